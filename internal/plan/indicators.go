package plan

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// Targets that move by themselves (issue 7, part 8): a target whose source
// is an indicator takes its actual values from periodic reporting's
// analytics, one per year, at the target's unit (its responsible unit, else
// the plan's issuer) and for each level its milestones are split by; no one
// types them. The plan domain does not import the reporting domain: it
// takes an Indicators from the server's wiring (internal/server), which
// adapts report.Store's analytics to it. Plans are read by every dashboard
// and reporting is the lower layer (the DTI domain reads it too), so the
// dependency points from the wiring to both, never between them.

// IndicatorAsk asks for a target's actual values from an indicator.
type IndicatorAsk struct {
	Code   string
	Unit   int64
	Years  []int
	Levels []string // org levels of the units counted; none: the whole subtree
}

// Indicators answers for targets whose source is an indicator.
type Indicators interface {
	// Actuals gives, for each ask in order, an actual value for each year
	// that has one (MeasuredOn the last day of the latest period counted,
	// Source filled; with detail, Source.Forms too).
	Actuals(ctx context.Context, asks []IndicatorAsk, detail bool) ([][]Actual, error)
	// Version changes whenever an answer may (caches key on it).
	Version(ctx context.Context) (string, error)
}

// ActualSource says where an actual value read from an indicator came
// from.
type ActualSource struct {
	Indicator string       `json:"indicator" doc:"the indicator's code"`
	Period    string       `json:"period" doc:"the period read, DHIS2 notation (2025)"`
	AsOf      string       `json:"asOf" doc:"the day whose org structure was read"`
	Units     []UnitRef    `json:"units" doc:"the units read: the target's unit, or those that stood for it then"`
	Reported  int          `json:"reported" doc:"how many units have values in it"`
	Forms     []ActualForm `json:"forms,omitempty" doc:"the reports the values come from, form by form (one target only)"`
	Href      string       `json:"href" doc:"the pivot table of the figure"`
}

// ActualForm is one form's part in an actual value.
type ActualForm struct {
	Code      string         `json:"code"`
	Name      string         `json:"name"`
	Indicator string         `json:"indicator"`
	Units     int            `json:"units"`
	UnitNames []string       `json:"unitNames"`
	Periods   []string       `json:"periods"`
	States    map[string]int `json:"states" doc:"values by their report's state: open, draft, submitted, returned, approved, accepted"`
}

// SetIndicators lets targets read indicators (server.New calls it before
// the server takes requests).
func (s *Store) SetIndicators(in Indicators) { s.indicators = in }

// levelUnits are the org levels a target's level counts: the province's
// own bodies and departments for "province".
var levelUnits = map[string][]string{"province": {"province", "department"}, "district": {"district"}, "commune": {"commune"}}

// indicatorYears are the years a target reads: from its plan's first year
// (its first milestone, or the year after its baseline, when earlier) to
// the current year, so a target whose deadline has passed still shows where
// it stands.
func indicatorYears(t Target, spanFrom int, today string) []int {
	from := spanFrom
	for _, m := range t.Milestones {
		if from == 0 || m.Year < from {
			from = m.Year
		}
	}
	if b := t.Baseline; b != nil && b.Year > 0 && (from == 0 || b.Year+1 < from) {
		from = b.Year + 1
	}
	to, _ := strconv.Atoi(today[:4])
	from = max(from, to-19)
	var out []int
	for y := from; y <= to && from > 0; y++ {
		out = append(out, y)
	}
	return out
}

// addIndicatorActuals appends to each target whose source is an indicator
// the actual values analytics give it.
func (s *Store) addIndicatorActuals(ctx context.Context, targets []Target, detail bool) error {
	if s.indicators == nil {
		return nil
	}
	type ask struct {
		target int
		level  string
	}
	var asks []IndicatorAsk
	var who []ask
	var plans []int64
	for _, t := range targets {
		if t.Source == "indicator" && t.IndicatorCode != "" && !slices.Contains(plans, t.PlanID) {
			plans = append(plans, t.PlanID)
		}
	}
	if len(plans) == 0 {
		return nil
	}
	type planInfo struct {
		issuer   int64
		spanFrom int
	}
	info := map[int64]planInfo{}
	var args []any
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, issuer_unit_id, span_from FROM plans WHERE id IN (`+store.InList(&args, plans)+`)`, args...)
	if err != nil {
		return fmt.Errorf("plan: indicator targets: %w", err)
	}
	for rows.Next() {
		var id int64
		var p planInfo
		if err := rows.Scan(&id, &p.issuer, &p.spanFrom); err != nil {
			rows.Close()
			return err
		}
		info[id] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	today := org.Today()
	for i, t := range targets {
		if t.Source != "indicator" || t.IndicatorCode == "" {
			continue
		}
		p := info[t.PlanID]
		unit := p.issuer
		if t.ResponsibleUnit != nil {
			unit = t.ResponsibleUnit.ID
		}
		years := indicatorYears(t, p.spanFrom, today)
		if len(years) == 0 {
			continue
		}
		var levels []string
		for _, m := range t.Milestones {
			if !slices.Contains(levels, m.Level) {
				levels = append(levels, m.Level)
			}
		}
		if len(levels) == 0 {
			levels = []string{""}
		}
		for _, l := range levels {
			asks = append(asks, IndicatorAsk{Code: t.IndicatorCode, Unit: unit, Years: years, Levels: levelUnits[l]})
			who = append(who, ask{i, l})
		}
	}
	if len(asks) == 0 {
		return nil
	}
	got, err := s.indicators.Actuals(ctx, asks, detail)
	if err != nil {
		return err
	}
	for k, acts := range got {
		t := &targets[who[k].target]
		for _, a := range acts {
			a.Level = who[k].level
			t.Actuals = append(t.Actuals, a)
		}
		sort.SliceStable(t.Actuals, func(i, j int) bool { return t.Actuals[i].MeasuredOn < t.Actuals[j].MeasuredOn })
	}
	return nil
}

// FromIndicator reports whether the actual value was read from an
// indicator (not typed).
func (a Actual) FromIndicator() bool { return a.Source != nil }
