package plan_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"

	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestWorkflowAPIScenarios is the programme workflow's API table (issue
// 11, parts 1, 2, 3 and 8): approval of progress reports, comments and
// requests for more evidence, deadline extensions and in-app editing, with
// the roles and provinces that must be refused (each refusal audited once,
// writing nothing) and the bad input of the issue refused whole.
func TestWorkflowAPIScenarios(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		vars := planVars(t, app)
		id := func(query string, args ...any) string {
			t.Helper()
			var n int64
			if err := app.DB.Read.QueryRow(query, args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			return strconv.FormatInt(n, 10)
		}
		// A task Pleiku only coordinates on.
		vars["coordTask"] = id(`SELECT MIN(t.id) FROM tasks t JOIN task_assignments a ON a.task_id = t.id JOIN org_units u ON u.id = a.unit_id
			WHERE u.code = 'GL.PLEIKU' AND a.role = 'coordinating' AND a.ended_on = '' AND t.due_on <> ''
			AND NOT EXISTS (SELECT 1 FROM task_assignments b WHERE b.task_id = t.id AND b.unit_id = u.id AND b.role = 'lead')`)
		table := workflowScenarios(t, vars)
		app.Run(t, vars, table)
		app.CheckCoverage(t, vars, table, "plan-workflow")
	})
}

// partOf reads one part of a task through the API.
func partOf(t *testing.T, app *testapp.App, task, part string) plan.Assignment {
	t.Helper()
	_, body, _ := app.Do(t, "admin", "GET", "/api/v1/tasks/"+task, "")
	var d plan.TaskDetail
	testapp.JSON(t, body, &d)
	for _, a := range append(d.LeadUnits, d.CoordinatingUnits...) {
		if strconv.FormatInt(a.ID, 10) == part {
			return a
		}
	}
	t.Fatalf("task %s has no part %s", task, part)
	return plan.Assignment{}
}

func workflowScenarios(t *testing.T, vars map[string]string) []testapp.Scenario {
	tables := []string{"task_updates", "task_update_events", "task_assignments", "task_attachments", "task_comments", "task_comment_files",
		"task_comment_mentions", "task_extensions", "task_edits", "tasks", "plans"}
	var snapshot map[string]int
	var denied int
	var before plan.Assignment
	snap := func(t *testing.T, app *testapp.App) { snapshot = app.RowCounts(t, tables...) }
	snapDenied := func(user string) func(*testing.T, *testapp.App) {
		return func(t *testing.T, app *testapp.App) {
			snap(t, app)
			denied = app.Denials(t, user)
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
	refused := func(user string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
			t.Helper()
			if n := app.Denials(t, user) - denied; n != 1 {
				t.Errorf("%d access.denied rows for one refusal of %s", n, user)
			}
			unchanged(t, app, body, h)
		}
	}
	// captureReport keeps the newest report of a TaskDetail answer.
	captureReport := func(name string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
			var d plan.TaskDetail
			testapp.JSON(t, body, &d)
			if len(d.Updates) == 0 {
				t.Fatal("no report in the answer")
			}
			vars[name] = strconv.FormatInt(d.Updates[0].ID, 10)
		}
	}
	keepPart := func(t *testing.T, app *testapp.App) { before = partOf(t, app, vars["task"], vars["part"]) }
	wantPart := func(progress func() int) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			if got := partOf(t, app, vars["task"], vars["part"]); got.Progress != progress() {
				t.Errorf("Pleiku's part stands at %d%%, want %d%%", got.Progress, progress())
			}
		}
	}
	txt := base64.StdEncoding.EncodeToString([]byte("Biên bản bổ sung\n"))
	page := base64.StdEncoding.EncodeToString([]byte("<!DOCTYPE html><html><script>alert(1)</script></html>"))
	report := `{"assignmentId":{var:part},"status":"in_progress","progress":55,"body":"Đã triển khai 55%, gửi phê duyệt","draft":true}`
	return []testapp.Scenario{
		// Approval: a draft, submitted, returned, fixed, approved.
		{Name: "the reporter saves a draft", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: report}, Status: 201, Contains: []string{`"state":"draft"`}, Before: keepPart, Check: captureReport("draft")},
		{Name: "another district does not see the draft", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/tasks/{var:task}"}, Status: 200,
			Absent: []string{"Đã triển khai 55%, gửi phê duyệt"}},
		{Name: "An Khê's reporter may not submit Pleiku's draft", Call: testapp.Call{User: "baocao.ankhe", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/submit", Body: `{}`}, Status: 403,
			Before: snapDenied("baocao.ankhe"), Check: refused("baocao.ankhe")},
		{Name: "a draft is not for the approver yet", Call: testapp.Call{User: "pheduyet.pleiku", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/approve", Body: `{}`}, Status: 422,
			Fields: []string{"state"}, Before: snap, Check: unchanged},
		{Name: "the reporter submits the draft", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/submit", Body: `{}`}, Status: 200,
			Contains: []string{`"state":"submitted"`, `"action":"submit"`}, Check: wantPart(func() int { return before.Progress })},
		{Name: "the approver's queue", Call: testapp.Call{User: "pheduyet.pleiku", Method: "GET", Path: "/api/v1/task-updates"}, Status: 200, Contains: []string{"Đã triển khai 55%, gửi phê duyệt"}},
		{Name: "a reporter has no approval queue", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/task-updates"}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "Lai Châu's approver may not approve Pleiku's report", Call: testapp.Call{User: "pheduyet.laichau", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/approve", Body: `{}`}, Status: 403,
			Before: snapDenied("pheduyet.laichau"), Check: refused("pheduyet.laichau")},
		{Name: "the reporter may not approve their own report", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/approve", Body: `{}`}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "the coordinator is not the unit's approver", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/approve", Body: `{}`}, Status: 403,
			Before: snapDenied("dieuphoi"), Check: refused("dieuphoi")},
		{Name: "returning needs a comment", Call: testapp.Call{User: "pheduyet.pleiku", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/return", Body: `{"comment":"  "}`}, Status: 422,
			Fields: []string{"comment"}, Before: snap, Check: unchanged},
		{Name: "the approver returns it with a comment", Call: testapp.Call{User: "pheduyet.pleiku", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/return",
			Body: `{"comment":"Bổ sung số liệu từng phường"}`}, Status: 200, Contains: []string{`"state":"returned"`, "Bổ sung số liệu từng phường"}},
		{Name: "a resubmission out of range", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/submit", Body: `{"progress":150}`}, Status: 422,
			Fields: []string{"progress"}, Before: snap, Check: unchanged},
		{Name: "a resubmission with a web page as evidence", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/submit",
			Body: `{"attachments":[{"filename":"so-lieu.pdf","contentType":"application/pdf","data":"` + page + `"}]}`}, Status: 422,
			Fields: []string{"attachments[0].data"}, Before: snap, Check: unchanged},
		{Name: "the reporter fixes and resubmits", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/submit",
			Body: `{"progress":60,"body":"Đã triển khai 60%: 14/14 phường có số liệu"}`}, Status: 200, Contains: []string{`"state":"submitted"`, "14/14 phường"}},
		{Name: "the approver approves; the part takes its progress", Call: testapp.Call{User: "pheduyet.pleiku", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/approve", Body: `{}`}, Status: 200,
			Contains: []string{`"state":"approved"`, `"action":"approve"`}, Check: wantPart(func() int { return 60 })},
		{Name: "approved twice", Call: testapp.Call{User: "pheduyet.pleiku", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/approve", Body: `{}`}, Status: 422,
			Fields: []string{"state"}, Before: snap, Check: unchanged},
		{Name: "the approver may not return an approved report", Call: testapp.Call{User: "pheduyet.pleiku", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/return", Body: `{"comment":"Xem lại"}`}, Status: 403,
			Before: snapDenied("pheduyet.pleiku"), Check: refused("pheduyet.pleiku")},
		{Name: "the coordinator returns the approved report; the part falls back", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/task-updates/{var:draft}/return",
			Body: `{"comment":"Số liệu chưa khớp báo cáo quý"}`}, Status: 200, Contains: []string{`"action":"reopen"`, "Số liệu chưa khớp báo cáo quý"},
			Check: wantPart(func() int { return before.Progress })},
		{Name: "a reporter may not switch approval off", Call: testapp.Call{User: "baocao.pleiku", Method: "PUT", Path: "/api/v1/plans/{var:p1331}/approval", Body: `{"requiresApproval":false}`}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "the coordinator switches approval off", Call: testapp.Call{User: "dieuphoi", Method: "PUT", Path: "/api/v1/plans/{var:p1331}/approval", Body: `{"requiresApproval":false}`}, Status: 200,
			Contains: []string{`"requiresApproval":false`}},
		{Name: "without approval a report counts at once", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/updates",
			Body: `{"assignmentId":{var:part},"status":"in_progress","progress":65,"body":"Đã triển khai 65%"}`}, Status: 201, Contains: []string{`"state":"approved"`}, Check: wantPart(func() int { return 65 })},
		{Name: "the coordinator switches approval on again", Call: testapp.Call{User: "dieuphoi", Method: "PUT", Path: "/api/v1/plans/{var:p1331}/approval", Body: `{"requiresApproval":true}`}, Status: 200,
			Contains: []string{`"requiresApproval":true`}},

		// Comments and requests for more evidence.
		{Name: "An Khê may not comment on Pleiku's part", Call: testapp.Call{User: "baocao.ankhe", Method: "POST", Path: "/api/v1/tasks/{var:task}/comments",
			Body: `{"assignmentId":{var:part},"body":"Góp ý"}`}, Status: 403, Before: snapDenied("baocao.ankhe"), Check: refused("baocao.ankhe")},
		{Name: "a comment with a forbidden file", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/comments",
			Body: `{"body":"Gửi kèm tệp","attachments":[{"filename":"chay.exe","contentType":"application/x-msdownload","data":"TVqQAAMAAAAEAAAA"}]}`}, Status: 422,
			Fields: []string{"attachments[0].contentType"}, Contains: []string{"chay.exe"}, Before: snap, Check: unchanged},
		{Name: "a comment with a web page behind a PDF's name", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/comments",
			Body: `{"body":"Gửi kèm tệp","attachments":[{"filename":"bien-ban.pdf","contentType":"application/pdf","data":"` + page + `"}]}`}, Status: 422,
			Fields: []string{"attachments[0].data"}, Before: snap, Check: unchanged},
		{Name: "a comment mentioning nobody known", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/comments",
			Body: `{"body":"Nhờ xem giúp","mentions":["khong.co.ai"]}`}, Status: 422, Fields: []string{"mentions[0]"}, Contains: []string{"khong.co.ai"}, Before: snap, Check: unchanged},
		{Name: "an empty comment", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/comments", Body: `{"body":" "}`}, Status: 422,
			Fields: []string{"body"}, Before: snap, Check: unchanged},
		{Name: "the reporter comments, mentions the approver and attaches a file", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/comments",
			Body: `{"body":"Kính gửi @pheduyet.pleiku: đã bổ sung biên bản","mentions":["dieuphoi"],"attachments":[{"filename":"bien-ban.txt","contentType":"text/plain; charset=utf-8","data":"` + txt + `"}]}`},
			Status: 201, Contains: []string{`"username":"pheduyet.pleiku"`, `"username":"dieuphoi"`, "bien-ban.txt"},
			Check: func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
				var c plan.Comment
				testapp.JSON(t, body, &c)
				vars["commentFile"] = strconv.FormatInt(c.Attachments[0].ID, 10)
			}},
		{Name: "a comment's file", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/comment-files/{var:commentFile}"}, Status: 200,
			Contains: []string{"Biên bản bổ sung"}, Header: map[string]string{"Content-Disposition": "bien-ban.txt", "Content-Security-Policy": "sandbox"}},
		{Name: "a reporter may not ask for evidence", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/comments",
			Body: `{"assignmentId":{var:part},"kind":"evidence_request","body":"Bổ sung"}`}, Status: 403, Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "an evidence request names a unit's part", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/tasks/{var:task}/comments",
			Body: `{"kind":"evidence_request","body":"Bổ sung"}`}, Status: 422, Fields: []string{"assignmentId"}, Before: snap, Check: unchanged},
		{Name: "the coordinator asks Pleiku for more evidence", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/tasks/{var:task}/comments",
			Body: `{"assignmentId":{var:part},"kind":"evidence_request","body":"Đề nghị gửi quyết định thành lập tổ công nghệ số"}`}, Status: 201,
			Contains: []string{`"open":true`, `"kind":"evidence_request"`}, Capture: map[string]string{"request": "id"}},
		{Name: "Pleiku answers the request", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/comments",
			Body: `{"replyTo":{var:request},"body":"Đã gửi quyết định số 12/QĐ-UBND","attachments":[{"filename":"qd.txt","contentType":"text/plain; charset=utf-8","data":"` + txt + `"}]}`}, Status: 201,
			Contains: []string{`"replyTo":{var:request}`}},
		{Name: "the threads, with the request answered", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/tasks/{var:task}/comments"}, Status: 200,
			Contains: []string{`"answeredBy"`, "12/QĐ-UBND"}, Absent: []string{`"open":true`}},

		// Extensions: a lead unit asks, the coordinator or the issuer decides.
		{Name: "a coordinating unit may not ask for an extension", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:coordTask}/extensions",
			Body: `{"dueOn":"2027-12-31","reason":"Chờ kinh phí"}`}, Status: 422, Fields: []string{"assignmentId"}, Contains: []string{"GL.PLEIKU", "phối hợp"}, Before: snap, Check: unchanged},
		{Name: "An Khê may not ask for Pleiku", Call: testapp.Call{User: "baocao.ankhe", Method: "POST", Path: "/api/v1/tasks/{var:task}/extensions",
			Body: `{"assignmentId":{var:part},"dueOn":"2027-12-31","reason":"Chờ kinh phí"}`}, Status: 403, Before: snapDenied("baocao.ankhe"), Check: refused("baocao.ankhe")},
		{Name: "an extension to a date already past the due one, and no reason", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/extensions",
			Body: `{"dueOn":"2020-01-01","reason":""}`}, Status: 422, Fields: []string{"dueOn", "reason"}, Before: snap, Check: unchanged},
		{Name: "Pleiku asks for a new due date", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/extensions",
			Body: `{"dueOn":"2027-06-30","reason":"Chờ bố trí kinh phí năm 2027"}`}, Status: 201, Contains: []string{`"state":"requested"`}, Capture: map[string]string{"ext": "id"}},
		{Name: "a second request while one waits", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/extensions",
			Body: `{"dueOn":"2027-12-31","reason":"Thêm thời gian"}`}, Status: 422, Fields: []string{"dueOn"}, Before: snap, Check: unchanged},
		{Name: "the requests", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/tasks/{var:task}/extensions"}, Status: 200, Contains: []string{"Chờ bố trí kinh phí năm 2027"}},
		{Name: "the reporter may not grant", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/extensions/{var:ext}/grant", Body: `{}`}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "Lai Châu's administrator may not grant", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/extensions/{var:ext}/grant", Body: `{}`}, Status: 403,
			Before: snapDenied("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "a refusal needs a comment", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/extensions/{var:ext}/refuse", Body: `{}`}, Status: 422,
			Fields: []string{"comment"}, Before: snap, Check: unchanged},
		{Name: "the coordinator grants it: due date moved, the plan's kept", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/extensions/{var:ext}/grant", Body: `{"comment":"Đồng ý"}`}, Status: 200,
			Contains: []string{`"state":"granted"`},
			Check: func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
				_, body, _ := app.Do(t, "admin", "GET", "/api/v1/tasks/"+vars["task"], "")
				var d plan.TaskDetail
				testapp.JSON(t, body, &d)
				if d.TimeFrame.DueOn != "2027-06-30" || d.TimeFrame.OriginalDueOn == "" || d.TimeFrame.OriginalDueOn == "2027-06-30" || d.Overdue {
					t.Errorf("after the grant: %+v overdue %v", d.TimeFrame, d.Overdue)
				}
			}},
		{Name: "granted twice", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/extensions/{var:ext}/grant", Body: `{}`}, Status: 422,
			Fields: []string{"state"}, Before: snap, Check: unchanged},
		{Name: "Pleiku asks again", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/tasks/{var:task}/extensions",
			Body: `{"dueOn":"2028-06-30","reason":"Thêm một năm"}`}, Status: 201, Capture: map[string]string{"ext2": "id"}},
		{Name: "the issuer's leader refuses", Call: testapp.Call{User: "lanhdao", Method: "POST", Path: "/api/v1/extensions/{var:ext2}/refuse", Body: `{"comment":"Phải xong trong năm 2027"}`}, Status: 200,
			Contains: []string{`"state":"refused"`, "Phải xong trong năm 2027"}},

		// Editing by the coordinator.
		{Name: "a reporter may not edit a task", Call: testapp.Call{User: "baocao.pleiku", Method: "PUT", Path: "/api/v1/tasks/{var:task}",
			Body: `{"description":"Sửa"}`}, Status: 403, Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "an edit without a title, due before it starts", Call: testapp.Call{User: "dieuphoi", Method: "PUT", Path: "/api/v1/tasks/{var:task}",
			Body: `{"description":"","startOn":"2026-01-01","dueOn":"2025-01-01","budget":-5,"statusOverride":"xong"}`}, Status: 422,
			Fields: []string{"description", "dueOn", "budget", "statusOverride"}, Before: snap, Check: unchanged},
		{Name: "the coordinator edits the output and budget", Call: testapp.Call{User: "dieuphoi", Method: "PUT", Path: "/api/v1/tasks/{var:task}",
			Body: `{"description":"Triển khai nền tảng số cấp xã","output":"Báo cáo kết quả","timeText":"2025 - 2027","startOn":"2025-01-01","dueOn":"2027-06-30","budgetSource":"Ngân sách tỉnh","budget":1250.5}`}, Status: 200,
			Contains: []string{`"output":"Báo cáo kết quả"`, `"budget":1250.5`}},
		{Name: "the edit history", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/tasks/{var:task}/edits"}, Status: 200,
			Contains: []string{`"field":"output"`, `"field":"budget"`, `"new":"1250.5"`}},
	}
}

// TestDemoHistoryInOrder: the demo's trail of approved reports was
// submitted when it was written, not the day the demo was loaded, so no
// report's history shows its submission after its approval.
func TestDemoHistoryInOrder(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		if n := app.Count(t, `SELECT COUNT(*) FROM task_update_events s JOIN task_update_events a ON a.update_id = s.update_id
			WHERE s.action = 'submit' AND a.action = 'approve' AND s.created_at > a.created_at`); n != 0 {
			t.Errorf("%d demo reports were submitted after their approval", n)
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM task_update_events WHERE action = 'submit'`); n == 0 {
			t.Errorf("the demo's reports have no submission in their history")
		}
	})
}
