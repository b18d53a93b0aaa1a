package plan_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

func planID(t *testing.T, app *testapp.App, number string) int64 {
	t.Helper()
	_, body, _ := app.Do(t, "admin", "GET", "/api/v1/plans", "")
	var plans []plan.Plan
	testapp.JSON(t, body, &plans)
	for _, p := range plans {
		if p.Number == number || p.Key == number {
			return p.ID
		}
	}
	t.Fatalf("plan %s not found among %d", number, len(plans))
	return 0
}

func count(t *testing.T, app *testapp.App, table string) int {
	t.Helper()
	var n int
	if err := app.DB.Read.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPlanContract(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		status, body, _ := app.Do(t, "baocao.pleiku", "GET", "/api/v1/plans", "")
		if status != 200 {
			t.Fatalf("plans: %d %s", status, body)
		}
		var plans []map[string]any
		testapp.JSON(t, body, &plans)
		// The 5 seed plans and the demo's 2 Steering Committee conclusions
		// (documents whose tasks are directives, meeting_demo.go).
		if len(plans) != 7 {
			t.Fatalf("want the 5 seed plans and 2 conclusions, got %d", len(plans))
		}
		for _, p := range plans {
			for _, k := range []string{"id", "number", "title"} {
				if _, ok := p[k]; !ok {
					t.Errorf("plan without %q: %v", k, p)
				}
			}
		}
		id := planID(t, app, "1331/KH-UBND")
		_, body, _ = app.Do(t, "baocao.pleiku", "GET", fmt.Sprintf("/api/v1/plans/%d/tasks", id), "")
		var tasks []map[string]any
		testapp.JSON(t, body, &tasks)
		if len(tasks) != 36 {
			t.Fatalf("1331/KH-UBND has 36 tasks in its appendix, API gives %d", len(tasks))
		}
		for _, task := range tasks {
			for _, k := range []string{"number", "description", "leadUnits", "coordinatingUnits", "timeFrame", "status", "progress"} {
				if _, ok := task[k]; !ok {
					t.Errorf("task %v lacks %q", task["number"], k)
				}
			}
		}
		// The coordinating department of 2022 is now part of Sở KH&CN of the new Gia Lai.
		var typed []plan.Task
		testapp.JSON(t, body, &typed)
		held := false
		for _, task := range typed {
			for _, a := range append(task.LeadUnits, task.CoordinatingUnits...) {
				if a.Unit.Code == "GL.STTTT" {
					if a.Unit.Name != "Sở Thông tin và Truyền thông" || a.HeldBy == nil || a.HeldBy.Code != "GL25.SKHCN" {
						t.Fatalf("GL.STTTT part: %+v held by %+v", a.Unit, a.HeldBy)
					}
					held = true
				}
			}
		}
		if !held {
			t.Fatal("no task of 1331/KH-UBND names Sở Thông tin và Truyền thông")
		}
		_, body, _ = app.Do(t, "lanhdao", "GET", fmt.Sprintf("/api/v1/plans/%d/targets", id), "")
		var targets []map[string]any
		testapp.JSON(t, body, &targets)
		if len(targets) != 17 {
			t.Fatalf("1331/KH-UBND: want 17 targets, got %d", len(targets))
		}
		first := targets[0]
		if first["statement"] != "Tỷ trọng kinh tế số chiếm tối thiểu 20% GRDP của tỉnh" || first["unit"] != "%" {
			t.Errorf("first target: %v", first)
		}
		for _, tg := range targets {
			for _, k := range []string{"statement", "unit", "baseline", "milestones", "status"} {
				if _, ok := tg[k]; !ok {
					t.Errorf("target %v lacks %q", tg["code"], k)
				}
			}
			if s := tg["status"].(string); !strings.Contains("achieved on_track at_risk off_track no_data", s) {
				t.Errorf("target %v: status %q", tg["code"], s)
			}
		}
	})
}

func TestImportValidatesEverythingAndWritesNothing(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		doc := `{"number":"99/KH-UBND","title":"Kế hoạch thử","issuer":"UBND tỉnh Gia Lai","issuerUnit":"GL","date":"2022-08-01","spanFrom":2022,"spanTo":2025,"status":"in_force",
			"targets":[{"code":"A","pillar":"kinh_te_so","statement":"Chỉ tiêu","measure":"%","direction":"at_least","milestones":[{"year":2031,"value":10}]}],
			"tasks":[{"number":"1","description":"Việc một","leadUnits":["GL.KHONGCO"]},
			         {"number":"1","description":"Việc trùng số","leadUnits":["GL25.SKHCN"]}]}`
		before := count(t, app, "plans") + count(t, app, "tasks") + count(t, app, "targets") + count(t, app, "task_assignments")
		status, body, _ := app.Do(t, "dieuphoi", "POST", "/api/v1/plans", doc)
		if status != 422 {
			t.Fatalf("bad import: %d %s", status, body)
		}
		for _, field := range []string{"targets[0].milestones[0].year", "tasks[0].leadUnits[0]", "tasks[1].number", "tasks[1].leadUnits[0]"} {
			if !strings.Contains(string(body), `"field":"`+field+`"`) {
				t.Errorf("error list lacks %s: %s", field, body)
			}
		}
		if !strings.Contains(string(body), "GL.KHONGCO") || !strings.Contains(string(body), "2031") {
			t.Errorf("messages should name the bad values: %s", body)
		}
		after := count(t, app, "plans") + count(t, app, "tasks") + count(t, app, "targets") + count(t, app, "task_assignments")
		if before != after {
			t.Fatalf("a failed import wrote rows: %d → %d", before, after)
		}
	})
}

func TestImportIsIdempotentAndAuthorised(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		doc := `{"number":"98/KH-UBND","title":"Kế hoạch thử nghiệm","issuer":"UBND tỉnh Gia Lai","issuerUnit":"GL25","date":"2025-08-01","spanFrom":2025,"spanTo":2027,
			"legalBases":["1331/KH-UBND"],
			"targets":[{"code":"A","pillar":"chinh_quyen_so","statement":"Tỷ lệ hồ sơ trực tuyến","measure":"%","direction":"at_least","baseline":{"year":2024,"value":40},"milestones":[{"year":2026,"value":60},{"year":2027,"value":80}]}],
			"tasks":[{"number":"1","description":"Triển khai nền tảng","leadUnits":["GL25.SKHCN"],"coordinatingGroups":["departments"],"from":2025,"to":2026}]}`
		if status, body, _ := app.Do(t, "baocao.pleiku", "POST", "/api/v1/plans", doc); status != 403 {
			t.Fatalf("reporter import: %d %s", status, body)
		}
		status, body, _ := app.Do(t, "dieuphoi", "POST", "/api/v1/plans", doc)
		var res plan.ImportResult
		testapp.JSON(t, body, &res)
		if status != 201 || !res.Created || res.Changes == 0 {
			t.Fatalf("first import: %d %s", status, body)
		}
		status, body, _ = app.Do(t, "dieuphoi", "POST", "/api/v1/plans", doc)
		testapp.JSON(t, body, &res)
		if status != 200 || res.Created || res.Changes != 0 {
			t.Fatalf("second import of the same document should change nothing: %d %s", status, body)
		}
		// The export is the same document and imports as a no-op too.
		_, exp, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/export", res.PlanID), "")
		status, body, _ = app.Do(t, "dieuphoi", "POST", "/api/v1/plans", string(exp))
		testapp.JSON(t, body, &res)
		if status != 200 || res.Changes != 0 {
			t.Fatalf("re-importing the export: %d %s", status, body)
		}
		// The legal basis links to the plan tinhso holds.
		_, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d", res.PlanID), "")
		var p plan.Plan
		testapp.JSON(t, body, &p)
		if len(p.LegalBases) != 1 || p.LegalBases[0].PlanID == nil || *p.LegalBases[0].PlanID != planID(t, app, "1331/KH-UBND") {
			t.Errorf("legal basis not linked: %+v", p.LegalBases)
		}
		// Coordinating group "departments" expanded to the new Gia Lai's departments.
		_, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/tasks", res.PlanID), "")
		var tasks []plan.Task
		testapp.JSON(t, body, &tasks)
		if len(tasks) != 1 || len(tasks[0].CoordinatingUnits) < 10 {
			t.Fatalf("departments group: %+v", tasks)
		}
		for _, a := range tasks[0].CoordinatingUnits {
			// GL.HHDN (the business association) moved under the new province in 2025.
			if a.Unit.Code == "GL25.SKHCN" || !strings.HasPrefix(a.Unit.Code, "GL25.") && a.Unit.Code != "GL.HHDN" {
				t.Errorf("coordinating unit %s should be a GL25 department other than the lead", a.Unit.Code)
			}
		}
	})
}

func TestProgressReportingAndReview(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		id := planID(t, app, "1331/KH-UBND")
		pleiku, heir := app.UnitID(t, "GL.PLEIKU"), app.UnitID(t, "GL25")
		_, body, _ := app.Do(t, "baocao.pleiku", "GET", "/api/v1/tasks?mine=1", "")
		var mine []plan.Task
		testapp.JSON(t, body, &mine)
		var task plan.Task
		var part int64
		for _, tk := range mine {
			for _, a := range tk.LeadUnits {
				if a.Unit.ID == pleiku && tk.PlanID == id && a.Status != "done" && len(tk.LeadUnits) == 1 {
					task, part = tk, a.ID
				}
			}
		}
		if part == 0 {
			t.Fatalf("Pleiku's reporter sees no open 1331 task of Pleiku among %d", len(mine))
		}
		// The coordinator looks at the review first: a later report must
		// still show in it (the review cache keys on the data).
		if status, _, _ := app.Do(t, "dieuphoi", "GET", "/api/v1/review", ""); status != 200 {
			t.Fatalf("review before: %d", status)
		}
		// An Khê's reporter may not report on Pleiku's part.
		upd := fmt.Sprintf(`{"assignmentId":%d,"status":"in_progress","progress":60,"body":"Đã triển khai 60%%"}`, part)
		if status, body, _ := app.Do(t, "baocao.ankhe", "POST", fmt.Sprintf("/api/v1/tasks/%d/updates", task.ID), upd); status != 403 {
			t.Fatalf("An Khê on Pleiku's part: %d %s", status, body)
		}
		before := count(t, app, "task_updates")
		bad := fmt.Sprintf(`{"assignmentId":%d,"status":"in_progress","progress":150,"body":"x","attachments":[{"filename":"a.exe","contentType":"application/x-msdownload","data":"TVo="}]}`, part)
		status, body, _ := app.Do(t, "baocao.pleiku", "POST", fmt.Sprintf("/api/v1/tasks/%d/updates", task.ID), bad)
		if status != 422 || !strings.Contains(string(body), `"progress"`) || !strings.Contains(string(body), "attachments[0].contentType") {
			t.Fatalf("bad update: %d %s", status, body)
		}
		if count(t, app, "task_updates") != before {
			t.Fatal("a rejected update wrote a row")
		}
		file := []byte("Biên bản nghiệm thu\n")
		good := fmt.Sprintf(`{"assignmentId":%d,"status":"done","progress":100,"body":"Hoàn thành, có biên bản","attachments":[{"filename":"bien-ban.txt","contentType":"text/plain; charset=utf-8","data":"%s"}]}`,
			part, base64.StdEncoding.EncodeToString(file))
		status, body, _ = app.Do(t, "baocao.pleiku", "POST", fmt.Sprintf("/api/v1/tasks/%d/updates", task.ID), good)
		if status != 201 {
			t.Fatalf("good update: %d %s", status, body)
		}
		var detail struct {
			plan.Task
			Updates []plan.Update `json:"updates"`
		}
		testapp.JSON(t, body, &detail)
		if len(detail.Updates) == 0 || detail.Updates[0].Author != "Hoàng Văn Em" || len(detail.Updates[0].Attachments) != 1 {
			t.Fatalf("history: %+v", detail.Updates[:1])
		}
		status, got, hdr := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/attachments/%d", detail.Updates[0].Attachments[0].ID), "")
		if status != 200 || string(got) != string(file) || !strings.Contains(hdr.Get("Content-Disposition"), "bien-ban.txt") {
			t.Fatalf("attachment: %d %q %v", status, got, hdr)
		}
		// The demo's plans need approval: Pleiku's approver approves the
		// report before it counts (approval.go).
		if status, body, _ := app.Do(t, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/task-updates/%d/approve", detail.Updates[0].ID), `{}`); status != 200 {
			t.Fatalf("approve: %d %s", status, body)
		}
		// The review: refused to a reporter, shows the completion to the coordinator.
		if status, _, _ := app.Do(t, "baocao.pleiku", "GET", "/api/v1/review", ""); status != 403 {
			t.Fatalf("reporter review: %d", status)
		}
		status, body, _ = app.Do(t, "dieuphoi", "GET", "/api/v1/review", "")
		if status != 200 {
			t.Fatalf("review: %d %s", status, body)
		}
		var rv plan.Review
		testapp.JSON(t, body, &rv)
		found := false
		// Pleiku ended on 30/06/2025 and the province took over its duties:
		// the completion is filed under the province.
		for _, ut := range rv.Completed {
			for _, rt := range ut.Tasks {
				if rt.TaskID == task.ID && ut.Unit.ID == heir {
					found = true
				}
			}
		}
		if !found {
			t.Fatalf("this month's completion by Pleiku is not in the review's completed list under its heir")
		}
		if len(rv.League) == 0 || rv.League[0].Rank != 1 {
			t.Errorf("league: %+v", rv.League)
		}
		if status, body, _ := app.Do(t, "dieuphoi", "GET", "/api/v1/review?month=2026-13", ""); status != 422 || !strings.Contains(string(body), "month") {
			t.Errorf("bad month: %d %s", status, body)
		}
	})
}

func TestSuccessorSeesPredecessorsTasksAndActuals(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		_, body, _ := app.Do(t, "dieuphoi", "GET", "/api/v1/tasks?mine=1&role=lead", "")
		var mine []plan.Task
		testapp.JSON(t, body, &mine)
		n := 0
		for _, tk := range mine {
			for _, a := range tk.LeadUnits {
				if a.Unit.Code == "GL.STTTT" {
					n++
				}
			}
		}
		if n == 0 {
			t.Fatalf("Sở KH&CN of the new Gia Lai should hold the 1331 tasks Sở TT&TT led (%d tasks listed)", len(mine))
		}
		id := planID(t, app, "1331/KH-UBND")
		_, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/targets", id), "")
		var targets []plan.Target
		testapp.JSON(t, body, &targets)
		tg := targets[0]
		path := fmt.Sprintf("/api/v1/targets/%d/actuals", tg.ID)
		if status, body, _ := app.Do(t, "dieuphoi", "POST", path, `{"measuredOn":"2999-01-01","value":5,"evidence":""}`); status != 422 ||
			!strings.Contains(string(body), "measuredOn") || !strings.Contains(string(body), "evidence") {
			t.Fatalf("bad actual: %d %s", status, body)
		}
		if status, _, _ := app.Do(t, "baocao.laichau", "POST", path, `{"measuredOn":"2026-06-30","value":25,"evidence":"Báo cáo 12/BC"}`); status != 403 {
			t.Fatalf("Lai Châu's reporter on a Gia Lai target: %d", status)
		}
		status, body, _ := app.Do(t, "dieuphoi", "POST", path, `{"measuredOn":"2026-06-30","value":31,"evidence":"Báo cáo số 12/BC-SKHCN"}`)
		if status != 201 {
			t.Fatalf("actual: %d %s", status, body)
		}
		var after plan.Target
		testapp.JSON(t, body, &after)
		if after.Status != "achieved" || after.Actuals[len(after.Actuals)-1].Evidence != "Báo cáo số 12/BC-SKHCN" {
			t.Fatalf("31%% of GRDP meets the 2030 target of 30%%: status %s", after.Status)
		}
	})
}

// A task dropped from a re-imported plan is kept when it holds progress,
// with a warning naming it; one without progress is deleted.
func TestReimportKeepsTasksWithProgress(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		doc := func(tasks string) string {
			return `{"number":"97/KH-UBND","title":"Kế hoạch thử","issuerUnit":"GL25","date":"2025-08-01","spanFrom":2025,"spanTo":2026,"tasks":[` + tasks + `]}`
		}
		one := `{"number":"1","description":"Việc có tiến độ","leadUnits":["GL25.SKHCN"],"from":2025,"to":2026}`
		two := `{"number":"2","description":"Việc chưa làm","leadUnits":["GL25.SKHCN"],"from":2025,"to":2026}`
		status, body, _ := app.Do(t, "dieuphoi", "POST", "/api/v1/plans", doc(one+","+two))
		var res plan.ImportResult
		testapp.JSON(t, body, &res)
		if status != 201 {
			t.Fatalf("import: %d %s", status, body)
		}
		_, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/tasks", res.PlanID), "")
		var tasks []plan.Task
		testapp.JSON(t, body, &tasks)
		upd := fmt.Sprintf(`{"assignmentId":%d,"status":"in_progress","progress":30,"body":"Đang làm"}`, tasks[0].LeadUnits[0].ID)
		if status, body, _ := app.Do(t, "dieuphoi", "POST", fmt.Sprintf("/api/v1/tasks/%d/updates", tasks[0].ID), upd); status != 201 {
			t.Fatalf("update: %d %s", status, body)
		}
		status, body, _ = app.Do(t, "dieuphoi", "POST", "/api/v1/plans", doc(`{"number":"3","description":"Việc mới","leadUnits":["GL25.SKHCN"],"from":2025,"to":2026}`))
		testapp.JSON(t, body, &res)
		if status != 200 || len(res.Warnings) != 1 || res.Warnings[0].Code != "task_kept" || res.Warnings[0].Item != "1" || res.Warnings[0].Count != 1 {
			t.Fatalf("re-import: %d %s", status, body)
		}
		_, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/tasks", res.PlanID), "")
		testapp.JSON(t, body, &tasks)
		var numbers []string
		for _, tk := range tasks {
			numbers = append(numbers, tk.Number)
		}
		if strings.Join(numbers, ",") != "1,3" {
			t.Fatalf("after re-import the plan has tasks %v, want 1 (kept) and 3", numbers)
		}
	})
}
