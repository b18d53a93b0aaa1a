package plan_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

var reportItem = regexp.MustCompile(`<li id="report-(\d+)" data-state="([a-z]+)">`)

// TestWorkflowPages walks the workflow through the task page as its
// officials use it: approval, threads, an extension and the edit page.
func TestWorkflowPages(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		vars := planVars(t, app)
		path := "/tasks/" + vars["task"]
		reporter, approver, coord := app.Login(t, "baocao.pleiku"), app.Login(t, "pheduyet.pleiku"), app.Login(t, "dieuphoi")
		var report string

		t.Run("what waits: the approver's list and home page", func(t *testing.T) {
			body := pageGet(t, approver, "/workflow")
			if !strings.Contains(section(body, "approve", "returned"), "gửi lãnh đạo đơn vị phê duyệt") {
				t.Error("the approver's list lacks the demo's reports waiting")
			}
			if home := pageGet(t, approver, "/"); !strings.Contains(home, vi("home.plan.waiting_approval")) || !strings.Contains(home, `href="/workflow#approve"`) {
				t.Error("the approver's home page does not count the reports waiting")
			}
			if !strings.Contains(section(pageGet(t, reporter, "/workflow"), "returned", "evidence"), "Đề nghị bổ sung biên bản nghiệm thu") {
				t.Error("the reporter's list lacks the demo's returned report")
			}
		})

		t.Run("the reporter submits for approval", func(t *testing.T) {
			body := pageGet(t, reporter, path)
			for _, want := range []string{`id="report-submit"`, `id="report-draft"`, vi("flow.approval_hint")} {
				if !strings.Contains(body, want) {
					t.Errorf("the report form lacks %q", want)
				}
			}
			status, body := postForm(t, app, reporter, path+"/updates", map[string]string{"assignmentId": vars["part"], "status": "in_progress", "progress": "70", "report": "Đã triển khai 70% (gửi duyệt)"})
			m := reportItem.FindStringSubmatch(body)
			if status != 200 || !strings.Contains(body, vi("flash.progress_submit")) || m == nil || m[2] != "submitted" {
				t.Fatalf("submit: status %d, newest report %v", status, m)
			}
			report = m[1]
			if !strings.Contains(body, vi("flow.not_counted")) {
				t.Error("the page does not say the report does not count yet")
			}
		})

		t.Run("the approver returns it with a comment", func(t *testing.T) {
			body := pageGet(t, approver, path)
			if !strings.Contains(body, fmt.Sprintf(`formaction="%s/reports/%s/approve"`, path, report)) {
				t.Fatal("the approver sees no approve button")
			}
			if strings.Contains(pageGet(t, reporter, path), fmt.Sprintf(`formaction="%s/reports/%s/approve"`, path, report)) {
				t.Error("the reporter sees the approve button")
			}
			status, body := approver.Post(t, path+"/reports/"+report+"/return", url.Values{"decision": {""}})
			if status != 422 || !strings.Contains(body, vi("invalid.required")) {
				t.Errorf("a return without a comment: status %d", status)
			}
			status, body = approver.Post(t, path+"/reports/"+report+"/return", url.Values{"decision": {"Thiếu số liệu phường Diên Hồng"}})
			if status != 200 || !strings.Contains(body, vi("flash.progress_return")) || !strings.Contains(body, "Thiếu số liệu phường Diên Hồng") {
				t.Errorf("return: status %d", status)
			}
		})

		t.Run("the reporter fixes and resubmits; the approver approves", func(t *testing.T) {
			body := pageGet(t, reporter, path)
			if !strings.Contains(body, vi("flow.fix_and_resubmit")) || !strings.Contains(body, vi("flow.state.returned")) {
				t.Fatal("the returned report offers no fix and resubmit")
			}
			status, body := postForm(t, app, reporter, path+"/reports/"+report+"/submit", map[string]string{"status": "in_progress", "progress": "80", "report": "Đã triển khai 80%, đủ số liệu các phường"})
			if status != 200 || !strings.Contains(body, vi("flash.progress_submit")) {
				t.Fatalf("resubmit: status %d", status)
			}
			status, body = approver.Post(t, path+"/reports/"+report+"/approve", url.Values{})
			if status != 200 || !strings.Contains(body, vi("flash.progress_approve")) {
				t.Fatalf("approve: status %d", status)
			}
			if mine := section(pageGet(t, reporter, path), "mine", "report-heading"); !strings.Contains(mine, "80%") {
				t.Error("the reporter's part does not show the approved 80%")
			}
		})

		t.Run("the review counts the reports waiting", func(t *testing.T) {
			body := pageGet(t, coord, "/review")
			waiting := section(body, "waiting-h", "league-h")
			if !strings.Contains(waiting, "Tỉnh Gia Lai") || !strings.Contains(body, vi("review.waiting")) {
				t.Errorf("the review does not list the demo's waiting reports under the province: %q", waiting)
			}
		})

		t.Run("a comment with a forbidden file, then a good one", func(t *testing.T) {
			before := rowCount(t, app, "task_comments")
			status, body := postForm(t, app, reporter, path+"/comments", map[string]string{"commentBody": "Gửi kèm tệp"}, upload{"chay.exe", "application/x-msdownload", []byte("MZ\x90\x00")})
			if status != 422 || !strings.Contains(body, "chay.exe") || !strings.Contains(body, "Gửi kèm tệp</textarea>") || rowCount(t, app, "task_comments") != before {
				t.Errorf("forbidden file: status %d", status)
			}
			status, body = postForm(t, app, reporter, path+"/comments", map[string]string{"commentBody": "Nhờ @pheduyet.pleiku xem giúp", "about": vars["part"]})
			if status != 200 || !strings.Contains(body, vi("flash.comment_saved")) || !strings.Contains(body[strings.Index(body, `id="comments"`):], "Phạm Thu Dung (@pheduyet.pleiku)") {
				t.Errorf("comment: status %d", status)
			}
		})

		t.Run("an evidence request is the unit's to-do until answered", func(t *testing.T) {
			status, body := postForm(t, app, coord, path+"/comments", map[string]string{"commentBody": "Đề nghị gửi biên bản nghiệm thu", "about": vars["part"], "kind": "evidence_request"})
			if status != 200 {
				t.Fatalf("request: status %d", status)
			}
			page := pageGet(t, reporter, path)
			m := regexp.MustCompile(`<option value="(\d+)">Đề nghị gửi biên bản nghiệm thu</option>`).FindStringSubmatch(page)
			if !strings.Contains(page, `id="evidence-todo"`) || m == nil {
				t.Fatal("the reporter does not see the request as a to-do")
			}
			status, body = postForm(t, app, reporter, path+"/comments", map[string]string{"commentBody": "Đã gửi biên bản", "replyTo": m[1]}, upload{"bien-ban.pdf", "application/pdf", []byte("%PDF-1.4\n%%EOF\n")})
			if status != 200 || strings.Contains(body, `id="evidence-todo"`) {
				t.Errorf("answer: status %d, to-do still shown %v", status, strings.Contains(body, `id="evidence-todo"`))
			}
			if !regexp.MustCompile(`href="/plans/comment-files/\d+"[^>]*>bien-ban.pdf<`).MatchString(body) {
				t.Error("the answer's file has no download link")
			}
		})

		t.Run("a coordinating unit may not ask for an extension", func(t *testing.T) {
			var coordTask int64
			app.DB.Read.QueryRow(`SELECT MIN(t.id) FROM tasks t JOIN task_assignments a ON a.task_id = t.id JOIN org_units u ON u.id = a.unit_id
				WHERE u.code = 'GL.PLEIKU' AND a.role = 'coordinating' AND a.ended_on = ''
				AND NOT EXISTS (SELECT 1 FROM task_assignments b WHERE b.task_id = t.id AND b.unit_id = u.id AND b.role = 'lead')`).Scan(&coordTask)
			cp := fmt.Sprintf("/tasks/%d", coordTask)
			if !strings.Contains(pageGet(t, reporter, cp), `id="extension-lead-only"`) {
				t.Error("the coordinating unit's page does not say only a lead unit may ask")
			}
			status, body := reporter.Post(t, cp+"/extensions", url.Values{"extDueOn": {"31/12/2027"}, "extReason": {"Chờ kinh phí"}})
			if status != 422 || !strings.Contains(body, "chỉ đơn vị chủ trì được đề nghị gia hạn") {
				t.Errorf("a coordinating unit's request: status %d", status)
			}
		})

		t.Run("a lead unit asks for an extension and the coordinator grants it", func(t *testing.T) {
			status, body := reporter.Post(t, path+"/extensions", url.Values{"extDueOn": {"30/06/2027"}, "extReason": {"Chờ bố trí kinh phí"}})
			if status != 200 || !strings.Contains(body, vi("flash.extension_requested")) {
				t.Fatalf("request: status %d", status)
			}
			page := pageGet(t, coord, path)
			m := regexp.MustCompile(`formaction="` + path + `/extensions/(\d+)/grant"`).FindStringSubmatch(page)
			if m == nil {
				t.Fatal("the coordinator sees no grant button")
			}
			status, body = coord.Post(t, path+"/extensions/"+m[1]+"/grant", url.Values{"extComment": {"Đồng ý"}})
			if status != 200 || !strings.Contains(body, vi("flow.extended_to", "30/06/2027")) || !strings.Contains(body, `id="extended-note"`) {
				t.Errorf("grant: status %d", status)
			}
		})

		t.Run("the coordinator switches approval off and on from the plan page", func(t *testing.T) {
			planPath := "/plans/" + vars["p1331"]
			if strings.Contains(pageGet(t, reporter, planPath), `id="approval-toggle"`) {
				t.Error("a reporter sees the approval switch")
			}
			if status, _ := reporter.Post(t, planPath+"/approval", url.Values{"requiresApproval": {"0"}}); status != 403 {
				t.Errorf("a reporter switches approval: status %d", status)
			}
			status, body := coord.Post(t, planPath+"/approval", url.Values{"requiresApproval": {"0"}})
			if status != 200 || !strings.Contains(body, vi("flow.plan_approval_off")) {
				t.Errorf("switch off: status %d", status)
			}
			if status, body = coord.Post(t, planPath+"/approval", url.Values{"requiresApproval": {"1"}}); status != 200 || !strings.Contains(body, vi("flow.plan_approval_on")) {
				t.Errorf("switch on: status %d", status)
			}
		})

		t.Run("the coordinator edits the task in the application", func(t *testing.T) {
			if status, _ := reporter.Get(t, path+"/edit"); status != 403 {
				t.Errorf("a reporter opens the edit page: status %d", status)
			}
			body := pageGet(t, coord, path+"/edit")
			if !strings.Contains(body, `id="edit-form"`) {
				t.Fatal("no edit form")
			}
			form := url.Values{"description": {""}, "output": {"Báo cáo"}, "dueOn": {"31/13/2027"}}
			if status, body := coord.Post(t, path+"/edit", form); status != 422 || !strings.Contains(body, `aria-invalid="true"`) {
				t.Errorf("a bad edit: status %d", status)
			}
			form = url.Values{"description": {"Nhiệm vụ đã sửa trên hệ thống"}, "output": {"Báo cáo kết quả"}, "timeText": {"2025 - 2027"}, "startOn": {"01/01/2025"}, "dueOn": {"30/06/2027"}, "budget": {"1.250,5"}}
			status, body := coord.Post(t, path+"/edit", form)
			if status != 200 || !strings.Contains(body, vi("flash.task_edited")) || !strings.Contains(section(body, "edits", "units-form"), "Nhiệm vụ đã sửa trên hệ thống") {
				t.Errorf("edit: status %d", status)
			}
		})
	})
}

// TestEditSurvivesReimport: importing a plan again leaves a task edited in
// the application as edited, and an extended task at its new date, and
// says so.
func TestEditSurvivesReimport(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		doc := func(to int) string {
			return fmt.Sprintf(`{"number":"98/KH-UBND","title":"Kế hoạch thử","issuer":"UBND tỉnh Gia Lai","issuerUnit":"GL25","date":"2025-08-01","spanFrom":2025,"spanTo":2027,
				"tasks":[{"number":"1","description":"Việc một","output":"Báo cáo","leadUnits":["GL25.SKHCN"],"from":2025,"to":2026},
				{"number":"2","description":"Việc hai","leadUnits":["GL25.SKHCN"],"from":2025,"to":%d}]}`, to)
		}
		status, body, _ := app.Do(t, "dieuphoi", "POST", "/api/v1/plans", doc(2026))
		var res plan.ImportResult
		testapp.JSON(t, body, &res)
		if status != 201 {
			t.Fatalf("import: %d %s", status, body)
		}
		var p plan.Plan
		_, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d", res.PlanID), "")
		testapp.JSON(t, body, &p)
		if !p.RequiresApproval {
			t.Error("a new plan does not require approval")
		}
		var tasks []plan.Task
		_, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/tasks", res.PlanID), "")
		testapp.JSON(t, body, &tasks)
		one, two := tasks[0], tasks[1]
		if status, body, _ := app.Do(t, "dieuphoi", "PUT", fmt.Sprintf("/api/v1/tasks/%d", one.ID),
			`{"description":"Việc một, đã sửa","output":"Báo cáo và phần mềm","timeText":"2025 - 2026","startOn":"2025-01-01","dueOn":"2026-12-31"}`); status != 200 {
			t.Fatalf("edit: %d %s", status, body)
		}
		// Sở KH&CN's approver reports for it too: it asks, the coordinator grants.
		status, body, _ = app.Do(t, "pheduyet.tinh", "POST", fmt.Sprintf("/api/v1/tasks/%d/extensions", two.ID), `{"dueOn":"2027-03-31","reason":"Chờ phê duyệt dự án"}`)
		var ext plan.Extension
		testapp.JSON(t, body, &ext)
		if status != 201 {
			t.Fatalf("extension: %d %s", status, body)
		}
		if status, body, _ := app.Do(t, "dieuphoi", "POST", fmt.Sprintf("/api/v1/extensions/%d/grant", ext.ID), `{}`); status != 200 {
			t.Fatalf("grant: %d %s", status, body)
		}
		check := func(wantWarnings ...string) {
			t.Helper()
			var got []string
			for _, w := range res.Warnings {
				got = append(got, w.Code+" "+w.Item)
			}
			if strings.Join(got, ",") != strings.Join(wantWarnings, ",") {
				t.Errorf("re-import warnings %v, want %v", got, wantWarnings)
			}
			_, body, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/tasks", res.PlanID), "")
			testapp.JSON(t, body, &tasks)
			if tasks[0].Description != "Việc một, đã sửa" || tasks[0].Output != "Báo cáo và phần mềm" {
				t.Errorf("the edit was undone: %q %q", tasks[0].Description, tasks[0].Output)
			}
			if tasks[1].TimeFrame.DueOn != "2027-03-31" || tasks[1].TimeFrame.OriginalDueOn != "2026-12-31" {
				t.Errorf("the extension was undone: %+v", tasks[1].TimeFrame)
			}
		}
		status, body, _ = app.Do(t, "dieuphoi", "POST", "/api/v1/plans", doc(2026))
		res = plan.ImportResult{}
		testapp.JSON(t, body, &res)
		if status != 200 || res.Changes != 0 {
			t.Errorf("the same import again: %d %s", status, body)
		}
		check("task_edited 1")
		// The file moves task 2 to 2027: the extension stands, and the
		// import says so.
		_, body, _ = app.Do(t, "dieuphoi", "POST", "/api/v1/plans", doc(2027))
		res = plan.ImportResult{}
		testapp.JSON(t, body, &res)
		check("task_edited 1", "task_extended 2")
	})
}
