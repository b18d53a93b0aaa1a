package dti

import (
	"context"
	"database/sql"
	"fmt"
	"math"

	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/store"
)

// ReportValues answers indicators from the reporting domain's stored
// values, in plain SQL, until its analytics engine answers them: for a
// plain indicator, the unit's own values of the periods lying inside the
// year, the category options added up per period, then the periods
// combined by the indicator's time aggregation (sum, average, last; none
// takes the yearly value, or the last); a derived indicator is numerator /
// denominator × factor, each read so; an indicator tinhso measures itself
// (report.Store.AddComputed) answers through its function for the year.
type ReportValues struct {
	db      *store.DB
	reports *report.Store
}

// NewReportValues reads indicator values from db's report_values.
func NewReportValues(db *store.DB, reports *report.Store) *ReportValues {
	return &ReportValues{db: db, reports: reports}
}

// Value implements IndicatorSource.
func (r *ReportValues) Value(ctx context.Context, code string, unit int64, year int) (float64, bool, error) {
	if fn, ok := r.reports.Computed(code); ok {
		p, err := report.NewPeriod(report.Yearly, year, 1)
		if err != nil {
			return 0, false, err
		}
		return fn(ctx, unit, p)
	}
	var id, num, den sql.NullInt64
	var factor float64
	var timeAgg string
	err := r.db.Read.QueryRowContext(ctx, `SELECT id, numerator_id, denominator_id, factor, time_aggregation FROM report_indicators WHERE code = $1`, code).
		Scan(&id, &num, &den, &factor, &timeAgg)
	if err == sql.ErrNoRows {
		return 0, false, nil
	} else if err != nil {
		return 0, false, fmt.Errorf("indicator %s: %w", code, err)
	}
	if !num.Valid || !den.Valid {
		return r.plain(ctx, id.Int64, timeAgg, unit, year)
	}
	a, okA, err := r.plainByID(ctx, num.Int64, unit, year)
	if err != nil || !okA {
		return 0, false, err
	}
	b, okB, err := r.plainByID(ctx, den.Int64, unit, year)
	if err != nil || !okB || b == 0 {
		return 0, false, err
	}
	return a / b * factor, true, nil
}

func (r *ReportValues) plainByID(ctx context.Context, id, unit int64, year int) (float64, bool, error) {
	var timeAgg string
	if err := r.db.Read.QueryRowContext(ctx, `SELECT time_aggregation FROM report_indicators WHERE id = $1`, id).Scan(&timeAgg); err != nil {
		return 0, false, err
	}
	return r.plain(ctx, id, timeAgg, unit, year)
}

// plain combines the per-period totals of one indicator for a unit in a
// year.
func (r *ReportValues) plain(ctx context.Context, id int64, timeAgg string, unit int64, year int) (float64, bool, error) {
	rows, err := r.db.Read.QueryContext(ctx, `SELECT period_type, end_date, SUM(number) FROM report_values
		WHERE indicator_id = $1 AND unit_id = $2 AND start_date >= $3 AND end_date <= $4 AND number IS NOT NULL
		GROUP BY period, period_type, end_date ORDER BY end_date`, id, unit, fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-12-31", year))
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	var values []float64
	yearly := math.NaN()
	for rows.Next() {
		var typ, end string
		var v float64
		if err := rows.Scan(&typ, &end, &v); err != nil {
			return 0, false, err
		}
		if typ == report.Yearly.String() {
			yearly = v
		}
		values = append(values, v)
	}
	if err := rows.Err(); err != nil || len(values) == 0 {
		return 0, false, err
	}
	switch timeAgg {
	case "sum":
		if !math.IsNaN(yearly) {
			return yearly, true, nil
		}
		t := 0.0
		for _, v := range values {
			t += v
		}
		return t, true, nil
	case "average":
		t := 0.0
		for _, v := range values {
			t += v
		}
		return t / float64(len(values)), true, nil
	case "none":
		if !math.IsNaN(yearly) {
			return yearly, true, nil
		}
	}
	return values[len(values)-1], true, nil
}
