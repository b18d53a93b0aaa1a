package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestPlanIndicatorActuals: the wiring between plan targets and reporting
// (indicators.go). A figure of the year not over is dated no later than
// the reporting clock's today — a commune's 2026Q4 dossiers, typed on 2
// December 2026, date Lai Châu's 2026 share (4900/KH-UBND MT.2) 02/12/2026,
// not 31/12/2026, so the assessment, which reads the actuals measured by
// today, takes it — and values with no report yet name their own
// province's form (Lai Châu's commune form, not Gia Lai's).
func TestPlanIndicatorActuals(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		app.Server.Report.Now = func() time.Time { return time.Date(2026, 12, 2, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600)) }
		var target int64
		if err := app.DB.Read.QueryRow(`SELECT t.id FROM targets t JOIN plans p ON p.id = t.plan_id WHERE p.number = '4900/KH-UBND' AND t.code = 'MT.2'`).Scan(&target); err != nil {
			t.Fatal(err)
		}
		pe, err := report.ParsePeriod("2026Q4")
		if err != nil {
			t.Fatal(err)
		}
		var vs []report.ValueInput
		for code, v := range map[string]string{"CDS.HS.TIEPNHAN": "1000", "CDS.HS.TRUCTUYEN": "700"} {
			var ind int64
			if err := app.DB.Read.QueryRow(`SELECT id FROM report_indicators WHERE code = $1`, code).Scan(&ind); err != nil {
				t.Fatal(err)
			}
			vs = append(vs, report.ValueInput{Key: report.Key{Indicator: ind, Unit: app.UnitID(t, "LC.X.BANBO"), Period: "2026Q4"}, PeriodOf: pe,
				ValueType: "INTEGER_ZERO_OR_POSITIVE", Value: v})
		}
		if err := app.DB.Tx(ctx, func(tx *sql.Tx) error {
			_, err := app.Server.Report.WriteValues(ctx, tx, vs, report.WriteOptions{Source: "form"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		status, body, _ := app.Do(t, "pheduyet.laichau", "GET", fmt.Sprintf("/api/v1/targets/%d", target), "")
		if status != 200 {
			t.Fatalf("GET /api/v1/targets/%d: %d %s", target, status, body)
		}
		var tg struct {
			Status  string
			Actuals []struct {
				MeasuredOn string
				Value      float64
				Source     struct {
					Period string
					Forms  []struct {
						Code   string
						States map[string]int
					}
				}
			}
		}
		testapp.JSON(t, body, &tg)
		if len(tg.Actuals) != 1 {
			t.Fatalf("MT.2's actuals = %+v, want the one of 2026", tg.Actuals)
		}
		a := tg.Actuals[0]
		if a.Source.Period != "2026" || a.MeasuredOn != "2026-12-02" || a.Value != 70 {
			t.Errorf("MT.2's actual = %s %v (period %s), want 70 %% dated 2026-12-02 (today), for 2026", a.MeasuredOn, a.Value, a.Source.Period)
		}
		// 70 % is above 2023's 60 %.
		if tg.Status != "achieved" {
			t.Errorf("MT.2's status = %s, want achieved on 2026's 70 %%", tg.Status)
		}
		if len(a.Source.Forms) != 2 {
			t.Fatalf("MT.2's 2026 sources = %+v, want the numerator and the denominator", a.Source.Forms)
		}
		for _, f := range a.Source.Forms {
			if f.Code != "CDS.QUY.XA.LC" || f.States["open"] != 1 {
				t.Errorf("MT.2's 2026 source = %+v, want Lai Châu's commune form CDS.QUY.XA.LC, one value not yet sent", f)
			}
		}
	})
}
