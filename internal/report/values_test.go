package report_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestCheckAndWriteValues writes values the way every write path does
// (Checker, then WriteValues in a transaction) and checks each refusal the
// checker owes: type, form and period type, assignment, scope, future and
// locked periods, and the outcome counts and history of accepted writes.
func TestCheckAndWriteValues(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		s := app.Server.Report
		// 1 December 2026, 10:00 in Vietnam: 2026Q4's cut-off runs.
		now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		p, err := app.Org.Principal(ctx, app.OfficialID(t, "baocao.laichau"))
		if err != nil {
			t.Fatal(err)
		}
		var ind int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM report_indicators WHERE code = 'CDS.DVC.TOANTRINH'`).Scan(&ind); err != nil {
			t.Fatal(err)
		}
		sở := app.UnitID(t, "LC.SKHCN")
		in := func(unit int64, period, value string) report.ValueInput {
			pe, _ := report.ParsePeriod(period)
			return report.ValueInput{Key: report.Key{Indicator: ind, Unit: unit, Period: period}, PeriodOf: pe, Value: value}
		}
		check := func(v report.ValueInput) (int64, string) {
			t.Helper()
			c, err := s.NewChecker(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			form, cf, err := c.Check(ctx, &v, 0)
			if err != nil {
				t.Fatal(err)
			}
			if cf != nil {
				return 0, string(cf.ErrorCode)
			}
			return form, ""
		}
		for _, tc := range []struct {
			name string
			v    report.ValueInput
			want string
		}{
			{"not a number", in(sở, "2026Q4", "bốn mươi"), "E7619"},
			{"decimal comma", in(sở, "2026Q4", "45,5"), "E7619"},
			{"monthly period for a quarterly form", in(sở, "202611", "45"), "E7632"},
			{"a department does not report the communes' form", in(app.UnitID(t, "LC"), "2026Q4", "45"), "E7636"},
			{"Gia Lai's department is out of a Lai Châu reporter's scope", in(app.UnitID(t, "GL25.SKHCN"), "2026Q4", "45"), "E7617"},
			{"future quarter", in(sở, "2027Q1", "45"), "E7641"},
			{"locked: 2026Q3 closed in September", in(sở, "2026Q3", "45"), "E7643"},
			{"open quarter", in(sở, "2026Q4", "45.5"), ""},
		} {
			if _, got := check(tc.v); got != tc.want {
				t.Errorf("%s: conflict %q, want %q", tc.name, got, tc.want)
			}
		}

		write := func(v report.ValueInput) report.Outcome {
			t.Helper()
			form, code := check(v)
			if code != "" || form == 0 {
				t.Fatalf("check %+v: %s", v, code)
			}
			var out []report.Outcome
			err := app.DB.Tx(ctx, func(tx *sql.Tx) error {
				var err error
				out, err = s.WriteValues(ctx, tx, []report.ValueInput{v}, report.WriteOptions{User: p.UserID, Source: "api"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return out[0]
		}
		v := in(sở, "2026Q4", "45.5")
		v.ValueType = "PERCENTAGE"
		if got := write(v); got != report.Imported {
			t.Errorf("first write %v, want imported", got)
		}
		if got := write(v); got != report.Ignored {
			t.Errorf("same value again %v, want ignored", got)
		}
		v.Value = "50"
		if got := write(v); got != report.Updated {
			t.Errorf("new value %v, want updated", got)
		}
		v.Delete = true
		if got := write(v); got != report.Deleted {
			t.Errorf("delete %v, want deleted", got)
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM report_values WHERE unit_id = $1`, sở); n != 0 {
			t.Errorf("%d values left after delete", n)
		}
		var olds, news []sql.NullString
		rows, err := app.DB.Read.Query(`SELECT old_value, new_value FROM report_value_history WHERE unit_id = $1 ORDER BY id`, sở)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var o, n sql.NullString
			if err := rows.Scan(&o, &n); err != nil {
				t.Fatal(err)
			}
			olds, news = append(olds, o), append(news, n)
		}
		rows.Close()
		if len(olds) != 3 || olds[0].Valid || news[0].String != "45.5" || olds[1].String != "45.5" || news[1].String != "50" || olds[2].String != "50" || news[2].Valid {
			t.Errorf("history old %v new %v; want ∅→45.5, 45.5→50, 50→∅", olds, news)
		}

		// The quarter closed in September: before its lock it was open.
		now = time.Date(2026, 9, 15, 3, 0, 0, 0, time.UTC)
		if _, code := check(in(sở, "2026Q3", "45")); code != "" {
			t.Errorf("2026Q3 on 15 September: %s, want open", code)
		}
	})
}
