package plan_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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
	return append([]testapp.Scenario{
		// Reading: every official reads plans, nobody anonymous does.
		{Name: "pillars need credentials", Call: testapp.Call{Method: "GET", Path: "/api/v1/pillars"}, Status: 401},
		{Name: "a reporter lists the pillars", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/pillars"}, Status: 200,
			Contains: []string{"nhan_thuc_so", "Nhận thức số"}},
		{Name: "plans need credentials", Call: testapp.Call{Method: "GET", Path: "/api/v1/plans"}, Status: 401},
		{Name: "Lai Châu's reporter reads Gia Lai's plans", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/plans"}, Status: 200,
			Contains: []string{"1331/KH-UBND", "4900/KH-UBND"}, Header: map[string]string{"X-Total-Count": "7"}}, // 5 seed plans, 2 demo conclusions
		{Name: "one plan", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/plans/{var:p1331}"}, Status: 200, Contains: []string{`"number":"1331/KH-UBND"`}},
		{Name: "a plan that does not exist", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/plans/999999"}, Status: 404},
		{Name: "a plan id that is not a number", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/plans/mot"}, Status: 404},
		{Name: "a plan's tasks", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/plans/{var:p1331}/tasks"}, Status: 200, Header: map[string]string{"X-Total-Count": "36"}},
		{Name: "a plan's targets", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/plans/{var:p1331}/targets"}, Status: 200, Header: map[string]string{"X-Total-Count": "17"}},
		{Name: "a plan as an import document", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/plans/{var:p1331}/export"}, Status: 200, Contains: []string{`"issuerUnit"`, `"tasks"`}},
		{Name: "my tasks", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/tasks?mine=1"}, Status: 200, Contains: []string{"GL.PLEIKU"}},
		{Name: "a task filter with a bad status", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/tasks?status=xong&dueFrom=31/13/2025"}, Status: 422,
			Fields: []string{"status", "dueFrom"}},
		// Dates are read as officials write them (dd/mm/yyyy) or as ISO.
		{Name: "a task filter with dates written dd/mm/yyyy", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/tasks?dueFrom=01/01/2025&dueTo=31/12/2025"}, Status: 200},
		{Name: "a task filter with a month-first date", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/tasks?dueTo=12/31/2025"}, Status: 422, Fields: []string{"dueTo"}},
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
		{Name: "a review month that is not a month", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/review?month=13/2026"}, Status: 422, Fields: []string{"month"}},
		{Name: "a review month written mm/yyyy", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/review?month=11/2026"}, Status: 200, Contains: []string{`"month":"2026-11"`}},
		{Name: "the review of one plan", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/review?plan={var:p1331}"}, Status: 200, Contains: []string{`"planNumber":"1331/KH-UBND"`}, Absent: []string{`"planNumber":"3015/KH-UBND"`}},
		{Name: "the review of another province's plan", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/review?plan={var:p4900}&unit=0"}, Status: 422, Fields: []string{"plan", "unit"}},

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
	}, securityScenarios(snap, snapDenied, refused, unchanged)...)
}

// securityScenarios are the probes of issue 6 that fit the plan table: the
// takeover of a key, the units an actual may be for, plans that would be
// their own ancestors, control characters and bounds in text, and evidence
// whose bytes are not what it declares.
func securityScenarios(snap func(*testing.T, *testapp.App), snapDenied func(string) func(*testing.T, *testapp.App),
	refused func(string) func(*testing.T, *testapp.App, []byte, http.Header), unchanged func(*testing.T, *testapp.App, []byte, http.Header)) []testapp.Scenario {
	file := func(name, ct string, data []byte) string {
		return fmt.Sprintf(`{"assignmentId":{var:part},"status":"in_progress","progress":50,"body":"Kèm tệp","attachments":[{"filename":%q,"contentType":%q,"data":%q}]}`,
			name, ct, base64.StdEncoding.EncodeToString(data))
	}
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	jpeg := []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
	html := []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>")
	parentDoc := func(key, parent string) string {
		return fmt.Sprintf(`{"key":%q,"number":%q,"title":"Kế hoạch thử quan hệ cấp trên","issuerUnit":"GL25","date":"2025-08-01","spanFrom":2025,"spanTo":2026,"parent":%q}`, key, key, parent)
	}
	return []testapp.Scenario{
		// A key is not taken over across provinces (more in takeover_test.go).
		{Name: "Gia Lai's coordinator may not re-issue Lai Châu's 4900 as Gia Lai's", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans",
			Body: `{"number":"4900/KH-UBND","title":"Chiếm","issuerUnit":"GL","date":"2022-12-30","spanFrom":2023,"spanTo":2023}`}, Status: 403,
			Before: snapDenied("dieuphoi"), Check: refused("dieuphoi")},

		// An actual is for a unit in the target's scope.
		{Name: "an actual for a Lai Châu unit on a Gia Lai target", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/targets/{var:target}/actuals",
			Body: `{"measuredOn":"2026-06-30","value":25,"evidence":"Báo cáo 12/BC","unitId":{unit:LC.SKHCN}}`}, Status: 422,
			Fields: []string{"unitId"}, Contains: []string{"Đơn vị của số liệu: đơn vị «LC.SKHCN» không thuộc phạm vi của chỉ tiêu"}, Before: snap, Check: unchanged},
		{Name: "an actual for a unit that does not exist", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/targets/{var:target}/actuals",
			Body: `{"measuredOn":"2026-06-30","value":25,"evidence":"Báo cáo 12/BC","unitId":987654}`}, Status: 422,
			Fields: []string{"unitId"}, Contains: []string{"Đơn vị của số liệu: không tìm thấy"}, Before: snap, Check: unchanged},

		// A plan is not its own parent or ancestor.
		{Name: "a plan that is its own parent", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans", Body: parentDoc("ct-a", "ct-a")}, Status: 422,
			Fields: []string{"parent"}, Contains: []string{"Kế hoạch cấp trên: kế hoạch «ct-a» không thể là kế hoạch cấp trên"}, Before: snap, Check: unchanged},
		{Name: "plan A", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans", Body: parentDoc("ct-a", "")}, Status: 201},
		{Name: "plan B under A", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans", Body: parentDoc("ct-b", "ct-a")}, Status: 201},
		{Name: "plan C under B", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans", Body: parentDoc("ct-c", "ct-b")}, Status: 201},
		{Name: "A under C would be a loop", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans", Body: parentDoc("ct-a", "ct-c")}, Status: 422,
			Fields: []string{"parent"}, Contains: []string{`"code":"plan_cycle"`}, Before: snap, Check: unchanged},
		{Name: "A under B would be a loop", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans", Body: parentDoc("ct-a", "ct-b")}, Status: 422,
			Fields: []string{"parent"}},
		{Name: "B moved under A again changes nothing", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans", Body: parentDoc("ct-b", "ct-a")}, Status: 200,
			Contains: []string{`"changes":0`}},

		// Text: no control characters, bounded, labelled by what it is.
		{Name: "a plan title with NUL", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans",
			Body: `{"number":"96/KH-UBND","title":"Kế hoạch\u0000 thử","issuerUnit":"GL25","date":"2025-08-01","spanFrom":2025,"spanTo":2026}`}, Status: 422,
			Fields: []string{"title"}, Contains: []string{"Tên kế hoạch (trích yếu): chứa ký tự điều khiển", "U+0000"}, Absent: []string{"Chức vụ"}, Before: snap, Check: unchanged},
		{Name: "a plan without a title is named as such", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans",
			Body: `{"number":"96/KH-UBND","title":"","issuerUnit":"GL25","date":"2025-08-01","spanFrom":2025,"spanTo":2026}`}, Status: 422,
			Fields: []string{"title"}, Contains: []string{"Tên kế hoạch (trích yếu): bắt buộc nhập"}, Absent: []string{"Chức vụ"}},
		{Name: "the same in English", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans", Headers: map[string]string{"Accept-Language": "en"},
			Body: `{"number":"96/KH-UBND","title":"","issuerUnit":"GL25","date":"2025-08-01","spanFrom":2025,"spanTo":2026}`}, Status: 422,
			Fields: []string{"title"}, Contains: []string{"Plan title: "}, Absent: []string{"Job title"}},
		{Name: "a title over two lines, a signer with a right-to-left override, a task number with a tab", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans",
			Body: `{"number":"96/KH-UBND","title":"Kế hoạch\nthử","issuer":"UBND","signer":"Nguyễn\u202eVăn","issuerUnit":"GL25","date":"2025-08-01","spanFrom":2025,"spanTo":2026,
				"tasks":[{"number":"1\t2","description":"Nhiều dòng\nvẫn được\r\n\tthụt lề","leadUnits":["GL25.SKHCN"]}]}`}, Status: 422,
			Fields: []string{"title", "signer", "tasks[0].number"}, Contains: []string{"U+000A", "U+202E", "U+0009"}, Before: snap, Check: unchanged},
		{Name: "a task description too long", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans",
			Body: `{"number":"96/KH-UBND","title":"Kế hoạch thử","issuerUnit":"GL25","date":"2025-08-01","spanFrom":2025,"spanTo":2026,"tasks":[{"number":"1","description":"` + strings.Repeat("ệ", 10001) + `","leadUnits":["GL25.SKHCN"]}]}`}, Status: 422,
			Fields: []string{"tasks[0].description"}, Contains: []string{"dài quá 10000 ký tự"}, Before: snap, Check: unchanged},
		{Name: "a description of exactly 10000 Vietnamese characters", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/plans",
			Body: `{"number":"96/KH-UBND","title":"Kế hoạch thử","issuerUnit":"GL25","date":"2025-08-01","spanFrom":2025,"spanTo":2026,"tasks":[{"number":"1","description":"` + strings.Repeat("ệ", 10000) + `","leadUnits":["GL25.SKHCN"]}]}`}, Status: 201},
		{Name: "a progress report with a control character", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: `{"assignmentId":{var:part},"status":"in_progress","progress":45,"body":"Đã làm\u0007 xong"}`}, Status: 422,
			Fields: []string{"body"}, Contains: []string{"Nội dung báo cáo: chứa ký tự điều khiển"}, Absent: []string{"Nội dung yêu cầu"}, Before: snap, Check: unchanged},
		{Name: "evidence of an actual with an escape character", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/targets/{var:target}/actuals",
			Body: `{"measuredOn":"2026-06-30","value":25,"evidence":"Báo cáo \u001b[31m12/BC"}`}, Status: 422, Fields: []string{"evidence"}, Before: snap, Check: unchanged},

		// Evidence files are what they say they are.
		{Name: "a web page declared as a PDF", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: file("bien-ban.pdf", "application/pdf", html)}, Status: 422,
			Fields: []string{"attachments[0].data"}, Contains: []string{"«bien-ban.pdf» không phải loại application/pdf"}, Before: snap, Check: unchanged},
		{Name: "a JPEG declared as a PNG", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: file("anh.png", "image/png", jpeg)}, Status: 422, Fields: []string{"attachments[0].data"}, Before: snap, Check: unchanged},
		{Name: "a PDF declared as a Word document", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: file("bao-cao.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", []byte("%PDF-1.4\n%%EOF"))}, Status: 422,
			Fields: []string{"attachments[0].data"}, Before: snap, Check: unchanged},
		{Name: "a PDF declared as an old Excel file", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: file("so-lieu.xls", "application/vnd.ms-excel", []byte("%PDF-1.4\n%%EOF"))}, Status: 422, Fields: []string{"attachments[0].data"}, Before: snap, Check: unchanged},
		{Name: "binary declared as text", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: file("ghi-chu.txt", "text/plain; charset=utf-8", []byte("MZ\x90\x00\x03\x00\xff\xfe"))}, Status: 422, Fields: []string{"attachments[0].data"}, Before: snap, Check: unchanged},
		{Name: "a real PNG", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: file("anh-chup.png", "image/png", png)}, Status: 201},
		{Name: "a real PDF", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: file("bien-ban.pdf", "application/pdf", []byte("%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"))}, Status: 201},

		// Reassigning a task's units: the coordinator of its plan, to units
		// of their own province that exist. Last, as it takes Pleiku's part
		// away from the task the rows above use.
		{Name: "a reporter may not reassign a task", Call: testapp.Call{User: "baocao.pleiku", Method: "PUT", Path: "/api/v1/tasks/{var:task}/units", Body: `{"leadUnits":[{unit:GL25.P.PLEIKU}]}`}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "a leader may not reassign a task", Call: testapp.Call{User: "lanhdao", Method: "PUT", Path: "/api/v1/tasks/{var:task}/units", Body: `{"leadUnits":[{unit:GL25.P.PLEIKU}]}`}, Status: 403,
			Before: snapDenied("lanhdao"), Check: refused("lanhdao")},
		{Name: "Lai Châu's admin may not reassign a Gia Lai task", Call: testapp.Call{User: "quantri.laichau", Method: "PUT", Path: "/api/v1/tasks/{var:task}/units", Body: `{"leadUnits":[{unit:LC.SKHCN}]}`}, Status: 403,
			Before: snapDenied("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "Gia Lai's coordinator may not hand a task to Lai Châu", Call: testapp.Call{User: "dieuphoi", Method: "PUT", Path: "/api/v1/tasks/{var:task}/units", Body: `{"leadUnits":[{unit:LC.SKHCN}]}`}, Status: 403,
			Before: snapDenied("dieuphoi"), Check: refused("dieuphoi")},
		{Name: "a reassignment to units that do not exist or have ended", Call: testapp.Call{User: "dieuphoi", Method: "PUT", Path: "/api/v1/tasks/{var:task}/units",
			Body: `{"leadUnits":[999999,{unit:GL.ANKHE.SONGAN}],"coordinatingUnits":[{unit:GL25.SKHCN},999998]}`}, Status: 422,
			Fields: []string{"leadUnits[0]", "leadUnits[1]", "coordinatingUnits[1]"}, Before: snap, Check: unchanged},
		{Name: "a reassignment without a lead unit", Call: testapp.Call{User: "dieuphoi", Method: "PUT", Path: "/api/v1/tasks/{var:task}/units", Body: `{"leadUnits":[],"coordinatingUnits":[{unit:GL25.SKHCN}]}`}, Status: 422,
			Fields: []string{"leadUnits"}, Before: snap, Check: unchanged},
		{Name: "the coordinator gives the task to the ward Pleiku", Call: testapp.Call{User: "dieuphoi", Method: "PUT", Path: "/api/v1/tasks/{var:task}/units",
			Body: `{"leadUnits":[{unit:GL25.P.PLEIKU}],"coordinatingUnits":[{unit:GL25.SKHCN}]}`}, Status: 200,
			Contains: []string{`"code":"GL25.P.PLEIKU"`, `"previousUnits"`, `"endedOn"`, `"reassign":false`},
			Check: func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
				if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'task.reassign' AND actor = 'dieuphoi' AND success = $1`, true); n != 1 {
					t.Errorf("%d task.reassign audit rows", n)
				}
			}},
		{Name: "Pleiku's reporter no longer reports on the part taken away", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: `{"assignmentId":{var:part},"status":"done","progress":100,"body":"Xong"}`}, Status: 422,
			Fields: []string{"assignmentId"}, Before: snap, Check: unchanged},
	}
}
