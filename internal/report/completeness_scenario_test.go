package report_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

// clock is the time the completeness tests run at: 1 December 2026, 10:00 in
// Vietnam. Every 2025 period is past its deadline; 2026Q4's deadline is
// 16/12/2026.
var clock = time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)

// seeded is one report put in place the way the workflow leaves it.
type seeded struct {
	form, unit, period, state string
	onTime                    bool
	waiting                   string // unit code the report waits at
	comment                   string // a return's comment
}

// seedReports sets the clock and writes report_submissions (and their
// events) directly, as the workflow would have left them:
//   - Gia Lai's departments' form for 2025Q2 (the old province's 11
//     departments): Sở KH&CN accepted on time, Sở Tài chính submitted
//     late, Sở Y tế returned, Sở Nội vụ a draft; for 2025Q3 (the new
//     province's 11): Sở KH&CN submitted on time;
//   - the local units' form: Thành phố Pleiku (a district) approved 2025Q2
//     on time; Xã Biển Hồ (a commune) submitted 2025Q3 and 2026Q3, the
//     latter waiting at the province;
//   - Lai Châu's Sở KH&CN: 2025Q4 accepted, 2026Q1 submitted, 2026Q2
//     returned with a comment, 2026Q3 nothing (late, locked), 2026Q4 not yet
//     due; its yearly DTI inputs for 2025 accepted; and its four quarters
//     of 2023 accepted (the 4900/KH-UBND target year).
func seedReports(t *testing.T, app *testapp.App) {
	t.Helper()
	app.Server.Report.Now = func() time.Time { return clock }
	list := []seeded{
		{"CDS.QUY.SO.GL", "GL.SKHCN", "2025Q2", report.StateAccepted, true, "", ""},
		{"CDS.QUY.SO.GL", "GL.STC", "2025Q2", report.StateSubmitted, false, "GL25", ""},
		{"CDS.QUY.SO.GL", "GL.SYT", "2025Q2", report.StateReturned, true, "", "Thiếu số hồ sơ tiếp nhận quý II"},
		{"CDS.QUY.SO.GL", "GL.SNV", "2025Q2", report.StateDraft, false, "", ""},
		{"CDS.QUY.SO.GL", "GL25.SKHCN", "2025Q3", report.StateSubmitted, true, "GL25", ""},
		{"CDS.QUY.XA.GL", "GL.PLEIKU", "2025Q2", report.StateApproved, true, "", ""},
		{"CDS.QUY.XA.GL", "GL25.X.BIENHO", "2025Q3", report.StateSubmitted, true, "GL25", ""},
		{"CDS.QUY.XA.GL", "GL25.X.BIENHO", "2026Q3", report.StateSubmitted, true, "GL25", ""},
		{"CDS.QUY.SO.LC", "LC.SKHCN", "2025Q4", report.StateAccepted, true, "", ""},
		{"CDS.QUY.SO.LC", "LC.SKHCN", "2026Q1", report.StateSubmitted, true, "LC", ""},
		{"CDS.QUY.SO.LC", "LC.SKHCN", "2026Q2", report.StateReturned, true, "", "Thiếu số hồ sơ trực tuyến toàn trình"},
		{"CDS.DTI.NAM.LC", "LC.SKHCN", "2025", report.StateAccepted, true, "", ""},
	}
	for _, q := range []string{"2023Q1", "2023Q2", "2023Q3", "2023Q4"} {
		list = append(list, seeded{"CDS.QUY.SO.LC", "LC.SKHCN", q, report.StateAccepted, true, "", ""})
	}
	ctx := context.Background()
	approver := app.OfficialID(t, "dieuphoi")
	reporter := app.OfficialID(t, "baocao.laichau")
	err := app.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, x := range list {
			var form int64
			if err := tx.QueryRowContext(ctx, `SELECT id FROM report_forms WHERE code = $1`, x.form).Scan(&form); err != nil {
				return fmt.Errorf("form %s: %w", x.form, err)
			}
			unit := app.UnitID(t, x.unit)
			at := clock.AddDate(0, -1, 0)
			var waiting, approvedAt any
			if x.waiting != "" {
				waiting = app.UnitID(t, x.waiting)
			}
			if x.state == report.StateApproved || x.state == report.StateAccepted {
				approvedAt = at
			}
			var first any = at
			if x.state == report.StateDraft {
				first = nil
			}
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO report_submissions (form_id, unit_id, period, state, waiting_unit_id, first_submitted_at, submitted_at, on_time, approved_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9) RETURNING id`, form, unit, x.period, x.state, waiting, first, x.onTime && first != nil, approvedAt, at).Scan(&id); err != nil {
				return err
			}
			if first != nil {
				if _, err := tx.ExecContext(ctx, `INSERT INTO report_submission_events (submission_id, action, unit_id, user_id, at) VALUES ($1, 'submit', $2, $3, $4)`, id, unit, reporter, at); err != nil {
					return err
				}
			}
			if x.state == report.StateReturned {
				province := app.UnitID(t, strings.SplitN(x.unit, ".", 2)[0]+map[bool]string{true: "25", false: ""}[strings.HasPrefix(x.unit, "GL")])
				if _, err := tx.ExecContext(ctx, `INSERT INTO report_submission_events (submission_id, action, unit_id, comment, user_id, at) VALUES ($1, 'return', $2, $3, $4, $5)`,
					id, province, x.comment, approver, at.Add(time.Hour)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// counts is a completeness row's figures.
type counts struct{ expected, actual, onTime, approved, returned, late int }

// rowsHave checks the figures of some rows of a completeness answer, found
// by form, period and unit code.
func rowsHave(want map[string]counts) func(*testing.T, *testapp.App, []byte, http.Header) {
	return func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
		t.Helper()
		var res report.CompletenessResult
		testapp.JSON(t, body, &res)
		got := map[string]report.CompletenessRow{}
		for _, r := range res.Rows {
			got[r.Form+" "+r.Period+" "+r.Unit.Code] = r
		}
		for key, w := range want {
			r, ok := got[key]
			if !ok {
				t.Errorf("no row %s in %s", key, body)
				continue
			}
			g := counts{r.Expected, r.Actual, r.ActualOnTime, r.Approved, r.Returned, r.Late}
			if g != w {
				t.Errorf("%s: expected/actual/on time/approved/returned/late %v, want %v", key, g, w)
			}
			if w.expected > 0 && (r.Rate == nil || fmt.Sprintf("%.4f", *r.Rate) != fmt.Sprintf("%.4f", float64(w.actual)*100/float64(w.expected))) {
				t.Errorf("%s: rate %v", key, r.Rate)
			}
		}
	}
}

func noRow(keys ...string) func(*testing.T, *testapp.App, []byte, http.Header) {
	return func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
		t.Helper()
		var res report.CompletenessResult
		testapp.JSON(t, body, &res)
		for _, r := range res.Rows {
			for _, k := range keys {
				if r.Form+" "+r.Period+" "+r.Unit.Code == k || r.Unit.Code == k {
					t.Errorf("row %s should not be there", k)
				}
			}
		}
	}
}

// TestCompletenessScenarios is the completeness API's table: figures on
// both sides of 1 July 2025 (Gia Lai's departments and districts, then the
// merged province's departments and communes), rolled up to the province
// and across the reorganisation, the drill-down list, the caller's
// reminders, the roles and provinces refused, and every bad parameter
// named.
func TestCompletenessScenarios(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		seedReports(t, app)
		vars := map[string]string{}
		app.Run(t, vars, completenessScenarios())
	})
}

func completenessScenarios() []testapp.Scenario {
	api := "/api/v1/report/completeness"
	var denied int
	snapDenied := func(user string) func(*testing.T, *testapp.App) {
		return func(t *testing.T, app *testapp.App) { denied = app.Denials(t, user) }
	}
	refused := func(user string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
			t.Helper()
			if n := app.Denials(t, user) - denied; n != 1 {
				t.Errorf("%d access.denied rows for one refusal of %s", n, user)
			}
		}
	}
	get := func(user, path string) testapp.Call { return testapp.Call{User: user, Method: "GET", Path: path} }
	so, xa := "CDS.QUY.SO.GL", "CDS.QUY.XA.GL"
	return []testapp.Scenario{
		{Name: "completeness needs credentials", Call: get("", api+"?unit=GL25"), Status: 401},
		{Name: "the drill-down needs credentials", Call: get("", api+"/reports?unit=GL25"), Status: 401},
		{Name: "reminders need credentials", Call: get("", "/api/v1/report/reminders"), Status: 401},

		// Before 1 July 2025: the old province's departments; asked in
		// today's structure, they count under the merged province and
		// under the department each merged into.
		{Name: "departments 2025Q2, today's structure", Call: get("dieuphoi", api+"?form="+so+"&period=2025Q2&unit={unit:GL25}&children=true"), Status: 200,
			Contains: []string{`"asOf":"` + time.Now().In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly) + `"`},
			Check: rowsHave(map[string]counts{
				so + " 2025Q2 GL25":       {11, 2, 1, 1, 1, 9},
				so + " 2025Q2 GL25.SKHCN": {1, 1, 1, 1, 0, 0},
				so + " 2025Q2 GL25.STC":   {1, 1, 0, 0, 0, 0},
				so + " 2025Q2 GL25.SYT":   {1, 0, 0, 0, 1, 1},
			})},
		{Name: "departments 2025Q2 in the structure of 30 June 2025", Call: get("dieuphoi", api+"?form="+so+"&period=2025Q2&unit={unit:GL}&asOf=2025-06-30&children=true"), Status: 200,
			Contains: []string{`"asOf":"2025-06-30"`},
			Check: rowsHave(map[string]counts{
				so + " 2025Q2 GL":       {11, 2, 1, 1, 1, 9},
				so + " 2025Q2 GL.SKHCN": {1, 1, 1, 1, 0, 0},
			})},
		{Name: "the merged province did not exist on 30 June 2025", Call: get("dieuphoi", api+"?form="+so+"&period=2025Q2&unit={unit:GL25}&asOf=30/06/2025"), Status: 422, Fields: []string{"unit"},
			Contains: []string{"30/06/2025"}},
		{Name: "departments 2025Q3: the merged province's", Call: get("lanhdao", api+"?form="+so+"&period=2025Q3&unit={unit:GL25}"), Status: 200,
			Check: rowsHave(map[string]counts{so + " 2025Q3 GL25": {11, 1, 1, 0, 0, 10}})},

		// Districts, then communes.
		{Name: "districts 2025Q2 count under the province that inherited their duties", Call: get("dieuphoi", api+"?form="+xa+"&period=2025Q2&unit={unit:GL25}&children=true"), Status: 200,
			Check: func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
				rowsHave(map[string]counts{xa + " 2025Q2 GL25": {17, 1, 1, 1, 0, 16}, xa + " 2025Q2 GL25.X.BIENHO": {0, 0, 0, 0, 0, 0}})(t, app, body, h)
			}},
		{Name: "communes 2025Q3", Call: get("dieuphoi", api+"?form="+xa+"&period=2025Q3&unit={unit:GL25}&children=true"), Status: 200,
			Check: rowsHave(map[string]counts{xa + " 2025Q3 GL25": {42, 1, 1, 0, 0, 41}, xa + " 2025Q3 GL25.X.BIENHO": {1, 1, 1, 0, 0, 0}})},
		{Name: "the year 2025 sums four quarters across the reorganisation", Call: get("dieuphoi", api+"?form="+xa+"&period=2025&unit={unit:GL25}"), Status: 200,
			Check: rowsHave(map[string]counts{xa + " 2025 GL25": {17 + 17 + 42 + 42, 2, 2, 1, 0, 17 + 17 + 42 + 42 - 2}})},
		{Name: "a range of quarters", Call: get("dieuphoi", api+"?form="+xa+"&from=2025Q2&to=2025Q3&unit=GL25"), Status: 200,
			Check: rowsHave(map[string]counts{xa + " 2025Q2 GL25": {17, 1, 1, 1, 0, 16}, xa + " 2025Q3 GL25": {42, 1, 1, 0, 0, 41}})},
		{Name: "both Gia Lai forms and their total, rolled up to the nation", Call: get("admin", api+"?form="+so+","+xa+"&period=2025Q2&unit=VN&total=true"), Status: 200,
			Check: rowsHave(map[string]counts{so + " 2025Q2 VN": {11, 2, 1, 1, 1, 9}, xa + " 2025Q2 VN": {17, 1, 1, 1, 0, 16}, " 2025Q2 VN": {28, 3, 2, 2, 1, 25}})},
		{Name: "the units late or missing", Call: get("dieuphoi", api+"/reports?form="+so+"&period=2025Q2&unit={unit:GL25}"), Status: 200,
			Check: func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
				var res report.ExpectedReports
				testapp.JSON(t, body, &res)
				if len(res.Reports) != 11 {
					t.Fatalf("%d reports, want 11: %s", len(res.Reports), body)
				}
				by := map[string]report.ExpectedReport{}
				for _, r := range res.Reports {
					by[r.Unit.Code] = r
				}
				if r := by["GL.SYT"]; r.State != "returned" || !r.Late || r.Submitted {
					t.Errorf("Sở Y tế: %+v", r)
				}
				if r := by["GL.STC"]; !r.Submitted || r.OnTime || r.Late {
					t.Errorf("Sở Tài chính: %+v", r)
				}
				if r := by["GL.SKHCN"]; r.State != "accepted" || !r.OnTime || r.Deadline != "2025-06-17" {
					t.Errorf("Sở KH&CN: %+v", r)
				}
				if r := by["GL.SGDDT"]; r.State != "open" || !r.Late || !strings.Contains(r.Label, "Gia Lai") {
					t.Errorf("Sở GD&ĐT: %+v", r)
				}
			}},

		// Scope: only units in the scope of report.view.
		{Name: "Lai Châu's reporter may not see Gia Lai", Call: get("baocao.laichau", api+"?unit={unit:GL25}"), Status: 403,
			Before: snapDenied("baocao.laichau"), Check: refused("baocao.laichau")},
		{Name: "Lai Châu's admin may not see Gia Lai's list", Call: get("quantri.laichau", api+"/reports?unit={unit:GL25}"), Status: 403,
			Before: snapDenied("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "a district's reporter may not see the province", Call: get("baocao.pleiku", api+"?unit={unit:GL25}&form="+xa+"&period=2025Q2"), Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "a reporter sees their own unit", Call: get("baocao.laichau", api+"?form=CDS.QUY.SO.LC&period=2026Q2"), Status: 200,
			Check: func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
				rowsHave(map[string]counts{"CDS.QUY.SO.LC 2026Q2 LC.SKHCN": {1, 0, 0, 0, 1, 1}})(t, app, body, h)
				noRow("LC", "GL25")(t, app, body, h)
			}},
		{Name: "a reporter's own unit's drill-down", Call: get("baocao.laichau", api+"/reports?form=CDS.QUY.SO.LC&period=2026"), Status: 200,
			Contains: []string{`"period":"2026Q1"`, `"period":"2026Q4"`, `"state":"returned"`}},

		// Bad parameters, each named.
		{Name: "a period that is not one", Call: get("dieuphoi", api+"?period=2025Q5"), Status: 422, Fields: []string{"period"}},
		{Name: "an unknown form and unit", Call: get("dieuphoi", api+"?form=KHONG.CO&unit=KHONG.CO"), Status: 422, Fields: []string{"form", "unit"}, Contains: []string{"KHONG.CO"}},
		{Name: "a range without its end", Call: get("dieuphoi", api+"?from=2025Q1"), Status: 422, Fields: []string{"to"}},
		{Name: "a range backwards", Call: get("dieuphoi", api+"?from=2025Q3&to=2025Q1"), Status: 422, Fields: []string{"to"}},
		{Name: "a range of two types", Call: get("dieuphoi", api+"?from=2025Q1&to=202506"), Status: 422, Fields: []string{"to"}},
		{Name: "too many periods", Call: get("dieuphoi", api+"?from=201001&to=202512"), Status: 422, Fields: []string{"period"}},
		{Name: "a month asked of quarterly forms", Call: get("dieuphoi", api+"?form="+so+"&period=202503"), Status: 422, Fields: []string{"period"}},
		{Name: "flags and a date that are not", Call: get("dieuphoi", api+"?children=co&asOf=31/02/2025"), Status: 422, Fields: []string{"children", "asOf"}},
		{Name: "the drill-down of several units", Call: get("admin", api+"/reports?unit=GL25,LC"), Status: 422, Fields: []string{"unit"}},

		// The caller's reminders.
		{Name: "a reporter's reminders", Call: get("baocao.laichau", "/api/v1/report/reminders"), Status: 200,
			Contains: []string{`"kind":"late"`, `"period":"2026Q3"`, `"locked":true`, `"kind":"returned"`, "Thiếu số hồ sơ trực tuyến toàn trình",
				`"kind":"next"`, `"period":"2026Q4"`, `"deadline":"2026-12-16"`, `"daysLeft":15`, `"href":"/report/entry/`},
			Absent: []string{`"kind":"waiting"`, `"period":"2026Q1"`}},
		{Name: "an approver's reminders", Call: get("dieuphoi", "/api/v1/report/reminders"), Status: 200,
			Contains: []string{`"kind":"waiting"`, `"code":"GL25.X.BIENHO"`, `"period":"2026Q3"`}},
		{Name: "Lai Châu's waiting report is not Gia Lai's approver's", Call: get("dieuphoi", "/api/v1/report/reminders"), Status: 200,
			Absent: []string{`"code":"LC.SKHCN"`}},
	}
}
