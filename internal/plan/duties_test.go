package plan_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

// Duties across the reorganisation of 1 July 2025 (issue 6, part 7): what
// the districts held is read through their heirs, nobody answers for a
// unit that ended leaving no heir, and a coordinator reassigns.

// review fetches the review of a month as username.
func review(t *testing.T, app *testapp.App, username, month string) plan.Review {
	t.Helper()
	status, body, _ := app.Do(t, username, "GET", "/api/v1/review?month="+month, "")
	if status != 200 {
		t.Fatalf("review %s as %s: %d %s", month, username, status, body)
	}
	var rv plan.Review
	testapp.JSON(t, body, &rv)
	return rv
}

// task fetches one task with its history.
func task(t *testing.T, app *testapp.App, username string, id int64) plan.TaskDetail {
	t.Helper()
	status, body, _ := app.Do(t, username, "GET", fmt.Sprintf("/api/v1/tasks/%d", id), "")
	if status != 200 {
		t.Fatalf("task %d: %d %s", id, status, body)
	}
	var d plan.TaskDetail
	testapp.JSON(t, body, &d)
	return d
}

// taskNumbered finds a task of a plan by its number.
func taskNumbered(t *testing.T, app *testapp.App, planKey, number string) plan.Task {
	t.Helper()
	_, body, _ := app.Do(t, "admin", "GET", fmt.Sprintf("/api/v1/plans/%d/tasks?limit=10000", planID(t, app, planKey)), "")
	var tasks []plan.Task
	testapp.JSON(t, body, &tasks)
	for _, tk := range tasks {
		if tk.Number == number {
			return tk
		}
	}
	t.Fatalf("task %s of %s not found", number, planKey)
	return plan.Task{}
}

// endedUnits maps the id of every unit that ended before today to its last day.
func endedUnits(t *testing.T, app *testapp.App) map[int64]string {
	t.Helper()
	rows, err := app.DB.Read.Query(`SELECT id, valid_to FROM org_units WHERE valid_to IS NOT NULL AND valid_to < $1`, org.Today())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var to string
		if err := rows.Scan(&id, &to); err != nil {
			t.Fatal(err)
		}
		out[id] = to
	}
	return out
}

// unitsOfReview lists every unit the review holds accountable: the league
// and the lists by unit.
func unitsOfReview(rv plan.Review) map[string]plan.UnitRef {
	out := map[string]plan.UnitRef{}
	for _, l := range rv.League {
		out["league "+l.Unit.Code] = l.Unit
	}
	for name, list := range map[string][]plan.UnitTasks{"overdue": rv.Overdue, "due soon": rv.DueSoon, "completed": rv.Completed} {
		for _, ut := range list {
			out[name+" "+ut.Unit.Code] = ut.Unit
		}
	}
	return out
}

func reassignIDs(rv plan.Review) []int64 {
	var ids []int64
	for _, rt := range rv.Reassign {
		ids = append(ids, rt.TaskID)
	}
	return ids
}

func TestDecember2026ReviewHoldsNoEndedUnit(t *testing.T) {
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ended := endedUnits(t, app)
		if ended[app.UnitID(t, "GL.PLEIKU")] != "2025-06-30" {
			t.Fatal("the demo's Pleiku did not end on 30/06/2025")
		}
		for _, user := range []string{"dieuphoi", "lanhdao", "admin", "quantri.laichau"} {
			rv := review(t, app, user, "2026-12")
			if len(rv.League) == 0 {
				t.Fatalf("%s: empty league", user)
			}
			for where, u := range unitsOfReview(rv) {
				if to, ok := ended[u.ID]; ok {
					t.Errorf("%s: %s (%s) ended on %s but is in the review (%s)", user, u.Name, u.Code, to, where)
				}
			}
			// Tasks nobody answers for are listed apart and not counted late.
			overdue := map[int64]bool{}
			for _, ut := range rv.Overdue {
				for _, rt := range ut.Tasks {
					overdue[rt.TaskID] = true
				}
			}
			if len(rv.Reassign) == 0 || rv.Totals["reassign"] != len(rv.Reassign) {
				t.Errorf("%s: %d tasks to reassign, total %d", user, len(rv.Reassign), rv.Totals["reassign"])
			}
			for _, rt := range rv.Reassign {
				if overdue[rt.TaskID] && rt.Reason == "no_lead" {
					t.Errorf("%s: task %s %s has no lead unit but is listed overdue", user, rt.PlanNumber, rt.Number)
				}
			}
		}
		// The districts' duties went to the province: Gia Lai's review files
		// them under Tỉnh Gia Lai, and Vân Canh (Bình Định) is not ranked.
		rv := review(t, app, "dieuphoi", "2026-12")
		units := unitsOfReview(rv)
		if _, ok := units["league GL25"]; !ok {
			t.Error("the province, heir of the districts, is not in the league")
		}
		for _, code := range []string{"BD.VANCANH", "GL.PLEIKU", "GL.MANGYANG", "GL.BCDCDS"} {
			if _, ok := units["league "+code]; ok {
				t.Errorf("%s ranked in the league", code)
			}
		}
		// The workbook has the same section, and ranks no ended unit.
		status, data, _ := app.Do(t, "dieuphoi", "GET", "/api/v1/review.xlsx?month=2026-12", "")
		if status != 200 {
			t.Fatalf("review.xlsx: %d", status)
		}
		f := xlsxOpen(t, data)
		sheet, _ := f.GetRows("Cần giao lại")
		if len(sheet) != len(rv.Reassign)+1 || len(sheet) < 2 || sheet[1][2] != rv.Reassign[0].Number {
			t.Errorf("sheet «Cần giao lại»: %d rows for %d tasks", len(sheet)-1, len(rv.Reassign))
		}
		league, _ := f.GetRows("Xếp hạng đơn vị")
		for _, row := range league[1:] {
			if id := app.UnitID(t, row[2]); ended[id] != "" {
				t.Errorf("the workbook ranks %s, which ended on %s", row[2], ended[id])
			}
		}
		// Bình Định's ten section headings are groups, not tasks.
		_, body, _ := app.Do(t, "admin", "GET", fmt.Sprintf("/api/v1/plans/%d/tasks", planID(t, app, "bd-2023")), "")
		var bd []plan.Task
		testapp.JSON(t, body, &bd)
		for _, tk := range bd {
			if tk.Description == "Nhận thức số" || tk.Description == "thể chế số" || tk.Group == "10 nhóm nhiệm vụ CĐS" {
				t.Errorf("heading imported as task %s %q", tk.Number, tk.Description)
			}
			if len(tk.LeadUnits) == 0 && (!tk.Reassign || tk.Overdue) {
				t.Errorf("task %s has no lead unit: reassign %v, overdue %v", tk.Number, tk.Reassign, tk.Overdue)
			}
		}
		if len(bd) != 45 {
			t.Errorf("bd-2023 has %d tasks, want 45", len(bd))
		}
	})
}

func TestHeirsTakeOverTasks(t *testing.T) {
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		// The demo: Pleiku's task I.1.3 is the province's today.
		gl25 := app.UnitID(t, "GL25")
		i13 := taskNumbered(t, app, "1331/KH-UBND", "I.1.3")
		if len(i13.LeadUnits) != 1 || i13.LeadUnits[0].HeldBy == nil || i13.LeadUnits[0].HeldBy.ID != gl25 {
			t.Fatalf("I.1.3's lead part: %+v", i13.LeadUnits)
		}
		_, body, _ := app.Do(t, "lanhdao", "GET", "/api/v1/tasks?mine=1&role=lead", "")
		var mine []plan.Task
		testapp.JSON(t, body, &mine)
		if !slices.ContainsFunc(mine, func(tk plan.Task) bool { return tk.ID == i13.ID }) {
			t.Error("the province's leader does not see Pleiku's task among the province's")
		}

		// Lai Châu's State Bank branch leads 4900's task; dissolved with Sở
		// KH&CN as heir, the task is Sở KH&CN's.
		nhnn, skhcn := app.UnitID(t, "LC.NHNN"), app.UnitID(t, "LC.SKHCN")
		var nv plan.Task
		_, body, _ = app.Do(t, "admin", "GET", fmt.Sprintf("/api/v1/tasks?unit=%d&role=lead", nhnn), "")
		var led []plan.Task
		testapp.JSON(t, body, &led)
		if len(led) == 0 {
			t.Fatal("LC.NHNN leads no task")
		}
		mineOf := func(user string) []int64 {
			_, body, _ := app.Do(t, user, "GET", "/api/v1/tasks?mine=1&role=lead", "")
			var list []plan.Task
			testapp.JSON(t, body, &list)
			var ids []int64
			for _, tk := range list {
				ids = append(ids, tk.ID)
			}
			return ids
		}
		// One the bank leads and Sở KH&CN does not (4900's 10.3).
		before := mineOf("baocao.laichau")
		for _, tk := range led {
			if !slices.Contains(before, tk.ID) {
				nv = tk
			}
		}
		if nv.ID == 0 {
			t.Fatal("Sở KH&CN co-leads every task the bank leads")
		}
		status, body, _ := app.Do(t, "quantri.laichau", "POST", "/api/v1/reorganisations",
			`{"kind":"dissolve","date":"2026-11-01","from":["LC.NHNN"],"heirs":[{"unit":"LC.NHNN","heirs":["LC.SKHCN"]}]}`)
		if status != 201 {
			t.Fatalf("dissolve: %d %s", status, body)
		}
		var ev struct {
			ID    int64
			Heirs map[string][]string
		}
		testapp.JSON(t, body, &ev)
		if !slices.Equal(ev.Heirs["LC.NHNN"], []string{"LC.SKHCN"}) {
			t.Errorf("event heirs: %v", ev.Heirs)
		}
		if !slices.Contains(mineOf("baocao.laichau"), nv.ID) {
			t.Error("the heir's reporter does not see the inherited task among the tasks their unit leads")
		}
		got := task(t, app, "baocao.laichau", nv.ID)
		if len(got.LeadUnits) != 1 || got.LeadUnits[0].Unit.ID != nhnn || got.LeadUnits[0].HeldBy == nil || got.LeadUnits[0].HeldBy.ID != skhcn {
			t.Fatalf("the part is not recorded under the bank and held by Sở KH&CN: %+v", got.LeadUnits)
		}
		// The heir answers for it: it may report, and the review files it there.
		upd := fmt.Sprintf(`{"assignmentId":%d,"status":"in_progress","progress":30,"body":"Sở KH&CN tiếp nhận nhiệm vụ của chi nhánh"}`, got.LeadUnits[0].ID)
		if status, body, _ := app.Do(t, "baocao.laichau", "POST", fmt.Sprintf("/api/v1/tasks/%d/updates", nv.ID), upd); status != 201 {
			t.Errorf("the heir's report: %d %s", status, body)
		} else {
			// The demo's plans need approval: Lai Châu's approver approves it.
			var d plan.TaskDetail
			testapp.JSON(t, body, &d)
			if status, body, _ := app.Do(t, "pheduyet.laichau", "POST", fmt.Sprintf("/api/v1/task-updates/%d/approve", d.Updates[0].ID), `{}`); status != 200 {
				t.Errorf("the heir's report approved: %d %s", status, body)
			}
		}
		rv := review(t, app, "quantri.laichau", "2026-12")
		filed := false
		for _, l := range rv.League {
			if l.Unit.ID == nhnn {
				t.Error("the dissolved bank branch is ranked")
			}
			filed = filed || l.Unit.ID == skhcn
		}
		if !filed || slices.Contains(reassignIDs(rv), nv.ID) {
			t.Errorf("the inherited task is not Sở KH&CN's in the review (in league: %v, to reassign: %v)", filed, slices.Contains(reassignIDs(rv), nv.ID))
		}
		// Two heirs: no single unit answers; the task is to be reassigned.
		status, body, _ = app.Do(t, "quantri.laichau", "PUT", fmt.Sprintf("/api/v1/reorganisations/%d/heirs", ev.ID), `{"heirs":[{"heirs":["LC.SKHCN","LC.STC"]}]}`)
		if status != 200 {
			t.Fatalf("two heirs: %d %s", status, body)
		}
		rv = review(t, app, "quantri.laichau", "2026-12")
		i := slices.Index(reassignIDs(rv), nv.ID)
		if i < 0 {
			t.Fatal("a task whose lead unit left two heirs is not to be reassigned")
		}
		if rt := rv.Reassign[i]; rt.Reason != "unit_ended" || len(rt.EndedUnits) != 1 || rt.EndedUnits[0].ID != nhnn {
			t.Errorf("reassign entry: %+v", rt)
		}
		if got := task(t, app, "admin", nv.ID); !got.Reassign || !got.LeadUnits[0].Reassign || got.Overdue {
			t.Errorf("task: reassign %v, part reassign %v, overdue %v", got.Reassign, got.LeadUnits[0].Reassign, got.Overdue)
		}
	})
}

func TestReassignTaskUnits(t *testing.T) {
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		skhcn, stc, pleikuWard := app.UnitID(t, "GL25.SKHCN"), app.UnitID(t, "GL25.STC"), app.UnitID(t, "GL25.P.PLEIKU")
		put := func(user string, id int64, body string) (int, []byte) {
			t.Helper()
			status, b, _ := app.Do(t, user, "PUT", fmt.Sprintf("/api/v1/tasks/%d/units", id), body)
			return status, b
		}
		snapshot := func() [4]int {
			return [4]int{count(t, app, "task_assignments WHERE ended_on = ''"), count(t, app, "task_assignments"),
				count(t, app, "audit_events WHERE kind = 'task.reassign'"), count(t, app, "tasks WHERE reassigned_on <> ''")}
		}

		// A Bình Định task the conference named no lead unit for.
		nts := taskNumbered(t, app, "bd-2023", "NTS.1")
		if !nts.Reassign || len(nts.LeadUnits) != 0 {
			t.Fatalf("NTS.1 before: reassign %v, %d lead units", nts.Reassign, len(nts.LeadUnits))
		}
		before := review(t, app, "dieuphoi", "2026-12") // cached; the reassignment must show at once
		if !slices.Contains(reassignIDs(before), nts.ID) {
			t.Fatal("NTS.1 is not in the review's tasks to reassign")
		}

		refusals := []struct {
			name, user, body string
			id               int64
			status           int
			fields           []string
		}{
			{"an unknown unit", "dieuphoi", `{"leadUnits":[999999]}`, nts.ID, 422, []string{"leadUnits[0]"}},
			{"no lead unit", "dieuphoi", fmt.Sprintf(`{"leadUnits":[],"coordinatingUnits":[%d]}`, stc), nts.ID, 422, []string{"leadUnits"}},
			{"a unit that has ended", "dieuphoi", fmt.Sprintf(`{"leadUnits":[%d],"coordinatingUnits":[%d,999998]}`, app.UnitID(t, "GL.ANKHE"), skhcn), nts.ID, 422, []string{"leadUnits[0]", "coordinatingUnits[1]"}},
			{"an unknown member", "dieuphoi", `{"leadUnit":[1]}`, nts.ID, 422, []string{"leadUnit"}},
			{"a unit outside the coordinator's province", "dieuphoi", fmt.Sprintf(`{"leadUnits":[%d]}`, app.UnitID(t, "LC.SKHCN")), nts.ID, 403, nil},
			{"a reporter", "baocao.pleiku", fmt.Sprintf(`{"leadUnits":[%d]}`, skhcn), nts.ID, 403, nil},
			{"another province's admin", "quantri.laichau", fmt.Sprintf(`{"leadUnits":[%d]}`, app.UnitID(t, "LC.SKHCN")), nts.ID, 403, nil},
			{"a leader", "lanhdao", fmt.Sprintf(`{"leadUnits":[%d]}`, skhcn), nts.ID, 403, nil},
			{"a task that does not exist", "dieuphoi", fmt.Sprintf(`{"leadUnits":[%d]}`, skhcn), 999999, 404, nil},
		}
		for _, c := range refusals {
			t.Run("refused: "+c.name, func(t *testing.T) {
				was := snapshot()
				status, body := put(c.user, c.id, c.body)
				if status != c.status {
					t.Fatalf("status %d, want %d: %s", status, c.status, body)
				}
				if c.fields != nil {
					var p struct{ Errors []struct{ Field string } }
					testapp.JSON(t, body, &p)
					var got []string
					for _, e := range p.Errors {
						got = append(got, e.Field)
					}
					if !slices.Equal(got, c.fields) {
						t.Errorf("fields %v, want %v: %s", got, c.fields, body)
					}
				}
				if now := snapshot(); now != was {
					t.Errorf("a refused reassignment changed something: %v → %v", was, now)
				}
			})
		}

		// The coordinator gives NTS.1 a lead and a coordinating unit.
		status, body := put("dieuphoi", nts.ID, fmt.Sprintf(`{"leadUnits":[%d],"coordinatingUnits":[%d,%d]}`, skhcn, stc, skhcn))
		if status != 200 {
			t.Fatalf("reassign NTS.1: %d %s", status, body)
		}
		var got plan.Task
		testapp.JSON(t, body, &got)
		if len(got.LeadUnits) != 1 || got.LeadUnits[0].Unit.ID != skhcn || len(got.CoordinatingUnits) != 1 || got.CoordinatingUnits[0].Unit.ID != stc || got.Reassign {
			t.Fatalf("after: lead %+v, coordinating %+v, reassign %v", got.LeadUnits, got.CoordinatingUnits, got.Reassign)
		}
		if n := count(t, app, fmt.Sprintf("audit_events WHERE kind = 'task.reassign' AND subject = 'NTS.1' AND actor = 'dieuphoi' AND detail LIKE '%%+GL25.SKHCN%%'")); n != 1 {
			t.Errorf("%d audit rows for the reassignment", n)
		}
		after := review(t, app, "dieuphoi", "2026-12")
		if slices.Contains(reassignIDs(after), nts.ID) || after.Totals["reassign"] != before.Totals["reassign"]-1 {
			t.Errorf("NTS.1 still to reassign (totals %d → %d)", before.Totals["reassign"], after.Totals["reassign"])
		}
		tasksOf := func(rv plan.Review, unit int64) int {
			for _, l := range rv.League {
				if l.Unit.ID == unit {
					return l.Tasks
				}
			}
			return 0
		}
		if tasksOf(after, skhcn) != tasksOf(before, skhcn)+1 {
			t.Errorf("Sở KH&CN leads %d tasks in the review, was %d", tasksOf(after, skhcn), tasksOf(before, skhcn))
		}

		// Pleiku's I.1.3, held by the province, goes to the ward Pleiku: the
		// district's part is ended, not deleted; its reports stay.
		i13 := task(t, app, "dieuphoi", taskNumbered(t, app, "1331/KH-UBND", "I.1.3").ID)
		old := i13.LeadUnits[0]
		updates := len(i13.Updates)
		if updates == 0 {
			t.Fatal("I.1.3 has no progress history to keep")
		}
		var coord []string
		for _, a := range i13.CoordinatingUnits {
			coord = append(coord, fmt.Sprint(a.Unit.ID))
		}
		status, body = put("dieuphoi", i13.ID, fmt.Sprintf(`{"leadUnits":[%d],"coordinatingUnits":[%s]}`, pleikuWard, strings.Join(coord, ",")))
		if status != 200 {
			t.Fatalf("reassign I.1.3: %d %s", status, body)
		}
		d := task(t, app, "dieuphoi", i13.ID)
		if len(d.LeadUnits) != 1 || d.LeadUnits[0].Unit.ID != pleikuWard || d.LeadUnits[0].Progress != 0 {
			t.Errorf("new lead: %+v", d.LeadUnits)
		}
		if len(d.PreviousUnits) != 1 || d.PreviousUnits[0].ID != old.ID || d.PreviousUnits[0].EndedOn == "" || d.PreviousUnits[0].Progress != old.Progress {
			t.Errorf("previous units: %+v (old part %+v)", d.PreviousUnits, old)
		}
		if len(d.Updates) != updates {
			t.Errorf("%d progress reports after the reassignment, %d before", len(d.Updates), updates)
		}
		// The ended part takes no more reports; the district's reporter no
		// longer has the task.
		upd := fmt.Sprintf(`{"assignmentId":%d,"status":"done","progress":100,"body":"x"}`, old.ID)
		if status, body, _ := app.Do(t, "baocao.pleiku", "POST", fmt.Sprintf("/api/v1/tasks/%d/updates", i13.ID), upd); status != 422 || !strings.Contains(string(body), "assignmentId") {
			t.Errorf("a report on an ended part: %d %s", status, body)
		}
		_, body, _ = app.Do(t, "baocao.pleiku", "GET", "/api/v1/tasks?mine=1", "")
		var mine []plan.Task
		testapp.JSON(t, body, &mine)
		if slices.ContainsFunc(mine, func(tk plan.Task) bool { return tk.ID == i13.ID }) {
			t.Error("the reassigned task is still among Pleiku's")
		}
		rv := review(t, app, "dieuphoi", "2026-12")
		if tasksOf(rv, pleikuWard) == 0 {
			t.Error("the ward does not lead the reassigned task in the review")
		}

		// Importing the plan again keeps the coordinator's decision.
		docs, err := plan.DemoDocs()
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range docs {
			if doc.Key != "bd-2023" {
				continue
			}
			b, _ := json.Marshal(doc)
			if status, body, _ := app.Do(t, "dieuphoi", "POST", "/api/v1/plans", string(b)); status != 200 {
				t.Fatalf("re-import: %d %s", status, body)
			}
		}
		if d := task(t, app, "dieuphoi", nts.ID); len(d.LeadUnits) != 1 || d.LeadUnits[0].Unit.ID != skhcn {
			t.Errorf("the re-import undid the reassignment: %+v", d.LeadUnits)
		}
		// A unit given back its part takes it up again, with its progress;
		// a unit that has ended cannot be given a new part.
		first := task(t, app, "dieuphoi", nts.ID).LeadUnits[0]
		if status, body := put("dieuphoi", nts.ID, fmt.Sprintf(`{"leadUnits":[%d]}`, stc)); status != 200 {
			t.Fatalf("NTS.1 to Sở Tài chính: %d %s", status, body)
		}
		if status, body := put("dieuphoi", nts.ID, fmt.Sprintf(`{"leadUnits":[%d]}`, skhcn)); status != 200 {
			t.Fatalf("NTS.1 back to Sở KH&CN: %d %s", status, body)
		}
		if d := task(t, app, "dieuphoi", nts.ID); len(d.LeadUnits) != 1 || d.LeadUnits[0].ID != first.ID || len(d.PreviousUnits) != 2 {
			t.Errorf("given back: lead %+v, previous %+v", d.LeadUnits, d.PreviousUnits)
		}
		if status, body := put("dieuphoi", i13.ID, fmt.Sprintf(`{"leadUnits":[%d,%d]}`, old.Unit.ID, pleikuWard)); status != 422 || !strings.Contains(string(body), "leadUnits[0]") {
			t.Errorf("the ended district given a new part: %d %s", status, body)
		}
	})
}

func TestDutiesPages(t *testing.T) {
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		t.Run("the Pleiku reporter is warned that the unit ended", func(t *testing.T) {
			home := pageGet(t, app.Login(t, "baocao.pleiku"), "/")
			want := "Đơn vị của bạn đã kết thúc hoạt động từ 01/07/2025; nhiệm vụ đã chuyển cho Tỉnh Gia Lai; liên hệ quản trị để chuyển đơn vị."
			if !strings.Contains(home, want) {
				t.Errorf("the home page lacks %q", want)
			}
			i := strings.Index(home, want)
			if i < 0 || !strings.Contains(home[max(0, i-200):i], `data-alert="1"`) {
				t.Error("the warning is not marked for attention")
			}
			if strings.Contains(pageGet(t, app.Login(t, "dieuphoi"), "/"), "đã kết thúc hoạt động từ") {
				t.Error("an official of a living unit is warned")
			}
		})

		t.Run("the admin sees who needs moving", func(t *testing.T) {
			admin := app.Login(t, "admin")
			home := pageGet(t, admin, "/")
			if !strings.Contains(home, `href="/officials?unitEnded=1"`) || !strings.Contains(home, "cần chuyển đơn vị") {
				t.Error("the admin's home page does not point to the officials to move")
			}
			list := pageGet(t, admin, "/officials?unitEnded=1")
			for _, u := range []string{"pheduyet.pleiku", "baocao.pleiku", "baocao.ankhe"} {
				if !strings.Contains(list, u) {
					t.Errorf("the flagged list lacks %s", u)
				}
			}
			for _, u := range []string{"dieuphoi", "baocao.laichau"} {
				if strings.Contains(list, ">"+u+"<") {
					t.Errorf("the flagged list holds %s", u)
				}
			}
			all := pageGet(t, admin, "/officials")
			if !strings.Contains(all, "3 cán bộ thuộc đơn vị đã kết thúc hoạt động") || !strings.Contains(all, "cần chuyển đơn vị") {
				t.Error("the officials list does not flag the three officials on ended units")
			}
			status, body, _ := app.Do(t, "admin", "GET", "/api/v1/officials?unitEnded=1", "")
			if status != 200 || strings.Count(body2s(body), `"unitEndedOn":"2025-06-30"`) != 3 {
				t.Errorf("API: %d %s", status, body)
			}
		})

		t.Run("the unit page names the heir; the admin names it again", func(t *testing.T) {
			pleiku := app.UnitID(t, "GL.PLEIKU")
			admin := app.Login(t, "admin")
			page := pageGet(t, admin, fmt.Sprintf("/units/%d", pleiku))
			heirs := section(page, "heirs", "heirs-input")
			if !strings.Contains(page, "Kế thừa nhiệm vụ") || !strings.Contains(heirs, fmt.Sprintf(`href="/units/%d"`, app.UnitID(t, "GL25"))) || !strings.Contains(heirs, "Tỉnh Gia Lai") {
				t.Fatal("the unit page does not name the province as heir")
			}
			m := regexpFind(page, `action="(/reorganisations/\d+/heirs)"`)
			if m == "" {
				t.Fatal("no form to name the heirs again")
			}
			if strings.Contains(pageGet(t, app.Login(t, "baocao.pleiku"), fmt.Sprintf("/units/%d", pleiku)), `/heirs"`) {
				t.Error("a reporter is offered the heirs form")
			}
			before := rowCount(t, app, "org_event_heirs")
			status, body := admin.Post(t, m, url.Values{"unit": {fmt.Sprint(pleiku)}, "heirs": {"GL.ANKHE"}})
			if status != 422 || !strings.Contains(body, "Kế thừa nhiệm vụ: đơn vị «GL.ANKHE» không còn hoạt động tại ngày 2025-07-01") {
				t.Errorf("a heir that ended: %d", status)
			}
			if rowCount(t, app, "org_event_heirs") != before {
				t.Error("a refused heir changed the heirs")
			}
			status, body = admin.Post(t, m, url.Values{"unit": {fmt.Sprint(pleiku)}, "heirs": {"GL25.P.PLEIKU, GL25"}})
			if status != 200 || !strings.Contains(body, "Phường Pleiku") {
				t.Errorf("naming two heirs: %d", status)
			}
		})

		t.Run("the coordinator reassigns from the task page", func(t *testing.T) {
			coord := app.Login(t, "dieuphoi")
			month := org.Today()[:7]
			home := pageGet(t, coord, "/")
			if !strings.Contains(home, `href="/review?month=`+month+`#reassign-h"`) || !strings.Contains(home, "nhiệm vụ cần giao lại") {
				t.Error("the coordinator's home page does not count the tasks to reassign")
			}
			nts := taskNumbered(t, app, "bd-2023", "NTS.1")
			path := fmt.Sprintf("/tasks/%d", nts.ID)
			rv := pageGet(t, coord, "/review")
			if !strings.Contains(section(rv, "reassign-h", "overdue-h"), `href="`+path+`"`) {
				t.Error("the review's section «Cần giao lại» does not list NTS.1")
			}
			if !strings.Contains(section(pageGet(t, coord, "/review/print"), "reassign-h", "overdue-h"), `href="`+path+`"`) {
				t.Error("the printable review does not list NTS.1 to reassign")
			}
			page := pageGet(t, coord, path)
			if !strings.Contains(page, `id="reassign-note"`) || !strings.Contains(page, `action="`+path+`/units"`) {
				t.Fatal("the task page neither flags the task nor offers the reassignment form")
			}
			if strings.Contains(pageGet(t, app.Login(t, "baocao.pleiku"), path), `action="`+path+`/units"`) {
				t.Error("a reporter is offered the reassignment form")
			}
			skhcn := fmt.Sprint(app.UnitID(t, "GL25.SKHCN"))
			status, body := coord.Post(t, path+"/units", url.Values{"coordinating": {skhcn}})
			if status != 422 || !strings.Contains(body, "Đơn vị chủ trì: bắt buộc nhập") || !strings.Contains(body, `value="`+skhcn+`" selected`) {
				t.Errorf("no lead unit: %d", status)
			}
			status, body = coord.Post(t, path+"/units", url.Values{"lead": {skhcn}})
			if status != 200 || !strings.Contains(body, "Đã lưu phân công đơn vị") || strings.Contains(body, `id="reassign-note"`) {
				t.Errorf("reassigned: %d", status)
			}
			// (The coordinator's own unit: shown first, as theirs.)
			if !strings.Contains(section(body, "mine", "units-form"), "Sở Khoa học và Công nghệ") {
				t.Error("the task page does not show the new lead unit")
			}
			if strings.Contains(section(pageGet(t, coord, "/review"), "reassign-h", "overdue-h"), `href="`+path+`"`) {
				t.Error("the review still lists NTS.1 to reassign")
			}
			// The old assignment shows on the page.
			i13 := taskNumbered(t, app, "1331/KH-UBND", "I.1.3")
			p13 := fmt.Sprintf("/tasks/%d", i13.ID)
			form := url.Values{"lead": {fmt.Sprint(app.UnitID(t, "GL25.P.PLEIKU"))}}
			for _, a := range i13.CoordinatingUnits {
				form.Add("coordinating", fmt.Sprint(a.Unit.ID))
			}
			status, body = coord.Post(t, p13+"/units", form)
			prev := section(body, "previous-units", "history")
			if status != 200 || !strings.Contains(prev, "Thành phố Pleiku") || !strings.Contains(prev, "74%") {
				t.Errorf("previous assignments: %d %q", status, prev)
			}
		})

		t.Run("the reorganisation form takes heirs", func(t *testing.T) {
			admin := app.Login(t, "admin")
			status, body := admin.Post(t, "/reorganisations", url.Values{"kind": {"dissolve"}, "date": {"2026-11-01"}, "from": {"GL25.X.IALE"}, "heirs": {"NOPE"}})
			if status != 422 || !strings.Contains(body, "Kế thừa nhiệm vụ: đơn vị «NOPE» không còn hoạt động") {
				t.Errorf("unknown heir: %d", status)
			}
			status, body = admin.Post(t, "/reorganisations", url.Values{"kind": {"dissolve"}, "date": {"2026-11-01"}, "from": {"GL25.X.IALE"}, "heirs": {"GL25.X.IATUL"}})
			if status != 200 || !strings.Contains(body, "Kế thừa nhiệm vụ của Xã Ia Le (GL25.X.IALE):") || !strings.Contains(body, "Xã Ia Tul (GL25.X.IATUL)") {
				t.Errorf("dissolve with an heir: %d", status)
			}
		})
	})
}

func body2s(b []byte) string { return string(b) }

func regexpFind(s, pattern string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}
