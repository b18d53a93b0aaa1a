package plan_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestTargetFromIndicator: a demo target linked to an indicator (Gia Lai
// 1331/KH-UBND XHS.5, households on fibre, CDS.HGD.CAPQUANG.TYLE) takes
// its actual values from the values the units report — the old
// district's in 2024, the new wards' in 2026 — moves when a value is
// written, and its page says where each value came from: the form, the
// units, the periods, the reports' states and the pivot table.
func TestTargetFromIndicator(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		var id int64
		if err := app.DB.Read.QueryRow(`SELECT t.id FROM targets t JOIN plans p ON p.id = t.plan_id WHERE p.number = '1331/KH-UBND' AND t.code = 'XHS.5'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ind := map[string]int64{}
		rows, err := app.DB.Read.Query(`SELECT code, id FROM report_indicators WHERE code LIKE 'CDS.HGD.%'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c string
			var i int64
			rows.Scan(&c, &i)
			ind[c] = i
		}
		rows.Close()
		write := func(lines ...string) {
			t.Helper()
			var vs []report.ValueInput
			for _, l := range lines {
				f := strings.Fields(l)
				pe, err := report.ParsePeriod(f[2])
				if err != nil {
					t.Fatal(err)
				}
				vs = append(vs, report.ValueInput{Key: report.Key{Indicator: ind[f[0]], Unit: app.UnitID(t, f[1]), Period: f[2]}, PeriodOf: pe, ValueType: "INTEGER_ZERO_OR_POSITIVE", Value: f[3]})
			}
			if err := app.DB.Tx(ctx, func(tx *sql.Tx) error {
				_, err := app.Server.Report.WriteValues(ctx, tx, vs, report.WriteOptions{Source: "form"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		type target struct {
			Source, IndicatorCode, Status string
			Actuals                       []struct {
				MeasuredOn string
				Value      float64
				Source     *struct {
					Indicator, Period, AsOf, Href string
					Reported                      int
					Units                         []struct{ Code string }
					Forms                         []struct {
						Code      string
						Units     int
						UnitNames []string
						Periods   []string
						States    map[string]int
					}
				}
			}
		}
		get := func() target {
			t.Helper()
			status, body, _ := app.Do(t, "lanhdao", "GET", fmt.Sprintf("/api/v1/targets/%d", id), "")
			if status != 200 {
				t.Fatalf("target: %d %s", status, body)
			}
			var tg target
			testapp.JSON(t, body, &tg)
			return tg
		}
		tg := get()
		if tg.Source != "indicator" || tg.IndicatorCode != "CDS.HGD.CAPQUANG.TYLE" || len(tg.Actuals) != 0 || tg.Status != "no_data" {
			t.Fatalf("before any report: %+v", tg)
		}
		write("CDS.HGD.TONG GL.ANKHE 2024Q4 2000", "CDS.HGD.CAPQUANG GL.ANKHE 2024Q4 1000",
			"CDS.HGD.TONG GL25.P.ANKHE 2025Q4 1000", "CDS.HGD.CAPQUANG GL25.P.ANKHE 2025Q4 820",
			"CDS.HGD.TONG GL25.P.ANKHE 2026Q3 1000", "CDS.HGD.CAPQUANG GL25.P.ANKHE 2026Q3 850")
		tg = get()
		var got []string
		for _, a := range tg.Actuals {
			got = append(got, fmt.Sprintf("%s=%.1f", a.MeasuredOn, a.Value))
		}
		if strings.Join(got, " ") != "2024-12-31=50.0 2025-12-31=82.0 2026-09-30=85.0" {
			t.Fatalf("actuals %v", got)
		}
		// 82 % met 2025's 80 %; 85 % is ahead of the line to 2030's 100 %.
		if tg.Status != "on_track" {
			t.Errorf("status %s, want on_track", tg.Status)
		}
		a := tg.Actuals[2].Source
		if a == nil || a.Indicator != "CDS.HGD.CAPQUANG.TYLE" || a.Period != "2026" || len(a.Units) != 1 || a.Units[0].Code != "GL25" || a.Reported != 1 ||
			!strings.HasPrefix(a.Href, "/report/analytics?") || len(a.Forms) != 2 || a.Forms[0].Code != "CDS.QUY.XA.GL" || a.Forms[0].Periods[0] != "2026Q3" || a.Forms[0].States["open"] != 1 {
			t.Errorf("source %+v", a)
		}
		if s := tg.Actuals[0].Source; s == nil || s.Units[0].Code != "GL" || s.AsOf != "2024-12-31" {
			t.Errorf("2024 read the old province as it stood then: %+v", s)
		}
		// A value written moves the target at once.
		write("CDS.HGD.TONG GL25.P.PLEIKU 2026Q3 1000", "CDS.HGD.CAPQUANG GL25.P.PLEIKU 2026Q3 350")
		tg = get()
		if v := tg.Actuals[len(tg.Actuals)-1].Value; v != 60 || tg.Status != "at_risk" {
			t.Errorf("after Pleiku's report: %.1f, %s", v, tg.Status)
		}
		// The page names the source; an approved report says so.
		var form int64
		app.DB.Read.QueryRow(`SELECT id FROM report_forms WHERE code = 'CDS.QUY.XA.GL'`).Scan(&form)
		if _, err := app.DB.Write.Exec(`INSERT INTO report_submissions (form_id, unit_id, period, state, updated_at) VALUES ($1, $2, '2026Q3', 'approved', $3)`,
			form, app.UnitID(t, "GL25.P.ANKHE"), time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		status, page := app.Login(t, "lanhdao").Get(t, fmt.Sprintf("/targets/%d", id))
		if status != 200 {
			t.Fatalf("page %d", status)
		}
		for _, want := range []string{"Tự động từ báo cáo định kỳ", "Chỉ tiêu CDS.HGD.CAPQUANG.TYLE, kỳ 2026", "CDS.QUY.XA.GL", "Phường An Khê — tỉnh Gia Lai",
			"kỳ 2026Q3", "1 giá trị đã phê duyệt;", "1 giá trị chưa gửi;", `href="/report/analytics?`, "Xem trong bảng phân tích",
			"Số liệu thực hiện được lấy tự động từ chỉ tiêu báo cáo định kỳ CDS.HGD.CAPQUANG.TYLE"} {
			if !strings.Contains(page, want) {
				t.Errorf("target page lacks %q", want)
			}
		}
	})
}
