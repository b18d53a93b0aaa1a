package plan_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// TestPlanAPIScenarios is the programme domain's API table: every plan
// route has rows, including the roles and the provinces that must be
// refused (each refusal audited once and writing nothing).
func TestPlanAPIScenarios(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		vars := planVars(t, app)
		table := planScenarios(vars)
		app.Run(t, vars, table)
		app.CheckCoverage(t, vars, table, "plans")
	})
}

// planVars are the ids the table's paths and bodies refer to.
func planVars(t *testing.T, app *testapp.App) map[string]string {
	t.Helper()
	id := func(query string, args ...any) string {
		t.Helper()
		var n int64
		if err := app.DB.Read.QueryRow(query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return strconv.FormatInt(n, 10)
	}
	vars := map[string]string{
		"p1331": id(`SELECT id FROM plans WHERE number = $1`, "1331/KH-UBND"),
		"p4900": id(`SELECT id FROM plans WHERE number = $1`, "4900/KH-UBND"),
	}
	// A 1331 task led by Pleiku, and Pleiku's part of it.
	vars["task"] = id(`SELECT t.id FROM tasks t JOIN task_assignments a ON a.task_id = t.id JOIN org_units u ON u.id = a.unit_id
		WHERE t.plan_id = $1 AND u.code = 'GL.PLEIKU' AND a.role = 'lead' ORDER BY t.id LIMIT 1`, vars["p1331"])
	vars["part"] = id(`SELECT a.id FROM task_assignments a JOIN org_units u ON u.id = a.unit_id WHERE a.task_id = $1 AND u.code = 'GL.PLEIKU' AND a.role = 'lead'`, vars["task"])
	vars["target"] = id(`SELECT MIN(id) FROM targets WHERE plan_id = $1`, vars["p1331"])
	vars["target4900"] = id(`SELECT MIN(id) FROM targets WHERE plan_id = $1`, vars["p4900"])
	return vars
}

func planScenarios(vars map[string]string) []testapp.Scenario {
	var snapshot map[string]int
	tables := []string{"plans", "tasks", "targets", "task_assignments", "task_updates", "task_attachments", "target_actuals"}
	snap := func(t *testing.T, app *testapp.App) { snapshot = app.RowCounts(t, tables...) }
	var denied int
	snapDenied := func(user string) func(*testing.T, *testapp.App) {
		return func(t *testing.T, app *testapp.App) {
			snap(t, app)
			denied = app.Denials(t, user)
		}
	}
	// refused checks that a refusal was audited exactly once and wrote
	// nothing else.
	refused := func(user string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			t.Helper()
			if n := app.Denials(t, user) - denied; n != 1 {
				t.Errorf("%d access.denied rows for one refusal of %s", n, user)
			}
			for table, n := range app.RowCounts(t, tables...) {
				if n != snapshot[table] {
					t.Errorf("%s: %d rows before, %d after a refused write", table, snapshot[table], n)
				}
			}
		}
	}
	unchanged := func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
		t.Helper()
		for table, n := range app.RowCounts(t, tables...) {
			if n != snapshot[table] {
				t.Errorf("%s: %d rows before, %d after a rejected write", table, snapshot[table], n)
			}
		}
	}
	glDoc := `{"number":"97/KH-UBND","title":"Kế hoạch thử của Gia Lai","issuer":"UBND tỉnh Gia Lai","issuerUnit":"GL25","date":"2025-08-01","spanFrom":2025,"spanTo":2027,
		"tasks":[{"number":"1","description":"Triển khai nền tảng","leadUnits":["GL25.SKHCN"],"from":2025,"to":2026}]}`
	xlsx := map[string]string{"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
	return []testapp.Scenario{
		// Reading: every official reads plans, nobody anonymous does.
		{Name: "pillars need credentials", Call: testapp.Call{Method: "GET", Path: "/api/v1/pillars"}, Status: 401},
		{Name: "a reporter lists the pillars", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/pillars"}, Status: 200,
			Contains: []string{"nhan_thuc_so", "Nhận thức số"}},
		{Name: "plans need credentials", Call: testapp.Call{Method: "GET", Path: "/api/v1/plans"}, Status: 401},
		{Name: "Lai Châu's reporter reads Gia Lai's plans", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/plans"}, Status: 200,
			Contains: []string{"1331/KH-UBND", "4900/KH-UBND"}, Header: map[string]string{"X-Total-Count": "5"}},
		{Name: "one plan", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/plans/{var:p1331}"}, Status: 200, Contains: []string{`"number":"1331/KH-UBND"`}},
		{Name: "a plan that does not exist", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/plans/999999"}, Status: 404},
		{Name: "a plan id that is not a number", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/plans/mot"}, Status: 404},
		{Name: "a plan's tasks", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/plans/{var:p1331}/tasks"}, Status: 200, Header: map[string]string{"X-Total-Count": "36"}},
		{Name: "a plan's targets", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/plans/{var:p1331}/targets"}, Status: 200, Header: map[string]string{"X-Total-Count": "17"}},
		{Name: "a plan as an import document", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/plans/{var:p1331}/export"}, Status: 200, Contains: []string{`"issuerUnit"`, `"tasks"`}},
		{Name: "my tasks", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/tasks?mine=1"}, Status: 200, Contains: []string{"GL.PLEIKU"}},
		{Name: "a task filter with a bad status", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/tasks?status=xong&dueFrom=31/12/2025"}, Status: 422,
			Fields: []string{"status", "dueFrom"}},
		{Name: "one task", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/tasks/{var:task}"}, Status: 200, Contains: []string{`"updates"`}},
		{Name: "a task that does not exist", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/tasks/999999"}, Status: 404},
		{Name: "one target", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/targets/{var:target}"}, Status: 200, Contains: []string{`"statement"`, `"status"`}},

		// Importing a plan: coordinators and admins, in their own scope.
		{Name: "a reporter may not import a plan", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/plans", Body: glDoc}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "a leader may not import a plan", Call: testapp.Call{User: "lanhdao", Method: "POST", Path: "/api/v1/plans", Body: glDoc}, Status: 403,
			Before: snapDenied("lanhdao"), Check: refused("lanhdao")},
		{Name: "Lai Châu's admin may not import a Gia Lai plan", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/plans", Body: glDoc}, Status: 403,
			Before: snapDenied("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "an import with every field wrong", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans",
			Body: `{"number":"","title":"","issuerUnit":"GL25","spanFrom":2027,"spanTo":2025,"status":"xong","tasks":[{"number":"1","description":"","leadUnits":["KHONG.CO"]}]}`}, Status: 422,
			Contains: []string{"KHONG.CO"}, Before: snap, Check: unchanged},
		{Name: "the coordinator imports a Gia Lai plan", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans", Body: glDoc}, Status: 201,
			Contains: []string{`"created":true`}},
		{Name: "the same import again changes nothing", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans", Body: glDoc}, Status: 200,
			Contains: []string{`"changes":0`}},

		// Reporting progress: the unit's own reporter, nobody else's.
		{Name: "An Khê's reporter may not report on Pleiku's part", Call: testapp.Call{User: "baocao.ankhe", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: `{"assignmentId":{var:part},"status":"in_progress","progress":40,"body":"Đang làm"}`}, Status: 403,
			Before: snapDenied("baocao.ankhe"), Check: refused("baocao.ankhe")},
		{Name: "Lai Châu's reporter may not report on a Gia Lai task", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: `{"assignmentId":{var:part},"status":"in_progress","progress":40,"body":"Đang làm"}`}, Status: 403,
			Before: snapDenied("baocao.laichau"), Check: refused("baocao.laichau")},
		{Name: "a leader reads but does not report", Call: testapp.Call{User: "lanhdao", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: `{"assignmentId":{var:part},"status":"in_progress","progress":40,"body":"Đang làm"}`}, Status: 403,
			Before: snapDenied("lanhdao"), Check: refused("lanhdao")},
		{Name: "a progress report out of range", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: `{"assignmentId":{var:part},"status":"xong","progress":150,"body":"x"}`}, Status: 422,
			Fields: []string{"status", "progress"}, Before: snap, Check: unchanged},
		{Name: "Pleiku's reporter reports progress", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: `{"assignmentId":{var:part},"status":"in_progress","progress":40,"body":"Đã triển khai 40%"}`}, Status: 201,
			Contains: []string{"Đã triển khai 40%"}},

		// Pausing or cancelling a whole task: the coordinator of its plan.
		{Name: "a reporter may not pause a task", Call: testapp.Call{User: "baocao.pleiku", Method: "PUT", Path: "/api/v1/tasks/{var:task}/override", Body: `{"statusOverride":"paused"}`}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "Lai Châu's admin may not pause a Gia Lai task", Call: testapp.Call{User: "quantri.laichau", Method: "PUT", Path: "/api/v1/tasks/{var:task}/override", Body: `{"statusOverride":"paused"}`}, Status: 403,
			Before: snapDenied("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "an override that is not a status", Call: testapp.Call{User: "dieuphoi", Method: "PUT", Path: "/api/v1/tasks/{var:task}/override", Body: `{"statusOverride":"done"}`}, Status: 422,
			Fields: []string{"statusOverride"}},
		{Name: "the coordinator pauses the task", Call: testapp.Call{User: "dieuphoi", Method: "PUT", Path: "/api/v1/tasks/{var:task}/override", Body: `{"statusOverride":"paused"}`}, Status: 200,
			Contains: []string{`"statusOverride":"paused"`}},
		{Name: "and lifts it", Call: testapp.Call{User: "dieuphoi", Method: "PUT", Path: "/api/v1/tasks/{var:task}/override", Body: `{"statusOverride":""}`}, Status: 200},

		// Actual values of targets: in the target's province only.
		{Name: "Lai Châu's reporter may not record a Gia Lai actual", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/v1/targets/{var:target}/actuals",
			Body: `{"measuredOn":"2026-06-30","value":25,"evidence":"Báo cáo 12/BC"}`}, Status: 403,
			Before: snapDenied("baocao.laichau"), Check: refused("baocao.laichau")},
		{Name: "Gia Lai's coordinator may not record a Lai Châu actual", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/targets/{var:target4900}/actuals",
			Body: `{"measuredOn":"2026-06-30","value":25,"evidence":"Báo cáo 12/BC"}`}, Status: 403,
			Before: snapDenied("dieuphoi"), Check: refused("dieuphoi")},
		{Name: "an actual in the future without evidence", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/targets/{var:target}/actuals",
			Body: `{"measuredOn":"2999-01-01","value":5,"evidence":""}`}, Status: 422, Fields: []string{"measuredOn", "evidence"}, Before: snap, Check: unchanged},
		{Name: "the coordinator records an actual", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/targets/{var:target}/actuals",
			Body: `{"measuredOn":"2026-06-30","value":31,"evidence":"Báo cáo số 12/BC-SKHCN"}`}, Status: 201},

		// The Steering Committee's review: coordinators, leaders, admins.
		{Name: "a reporter may not read the review", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/review"}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "the leader reads the review", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/review?month=2026-12"}, Status: 200, Contains: []string{`"month":"2026-12"`}},
		{Name: "a review month that is not a month", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/review?month=12/2026"}, Status: 422, Fields: []string{"month"}},

		// Excel: template and exports for every official, the review
		// workbook as the review, imports as the JSON import.
		{Name: "the empty template", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/plans/template.xlsx"}, Status: 200, Header: xlsx},
		{Name: "a plan as a workbook", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/plans/{var:p1331}/export.xlsx"}, Status: 200, Header: xlsx},
		{Name: "a reporter may not download the review workbook", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/review.xlsx"}, Status: 403},
		{Name: "the review workbook", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/review.xlsx"}, Status: 200, Header: xlsx},
		{Name: "a reporter may not import a workbook", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/plans/import.xlsx", Headers: xlsx}, Status: 403},
		{Name: "a workbook that is not one", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans/import.xlsx", Body: "not a zip", Headers: xlsx}, Status: 422,
			Before: snap, Check: unchanged},

		// Evidence files: every official who reads plans.
		{Name: "an evidence file that does not exist", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/attachments/999999"}, Status: 404},
	}
}
