package plan_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/officialdoc"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

// The test's meeting: held on the 28th of last month of a fixed year, so
// that the directives fall due as the table expects whatever the date.
const (
	testHeldOn  = "2026-11-28"
	testIssued  = "2026-11-30"
	testNumber  = "99/TB-BCĐ"
	testDueSoon = "2026-12-20"
	testDueLate = "2027-03-31"
)

func meetingBody(conclusion string) string {
	c := ""
	if conclusion != "" {
		c = `, "conclusion": ` + conclusion
	}
	return `{"heldOn": "` + testHeldOn + `", "chair": "Đồng chí Lê Minh Châu, Phó Chủ tịch UBND tỉnh, Trưởng Ban Chỉ đạo",
		"attendees": ["Các thành viên Ban Chỉ đạo", "Sở Khoa học và Công nghệ"], "reviewMonth": "2026-11"` + c + `}`
}

func conclusionBody(number, lead2 string) string {
	return `{"number": "` + number + `", "issuedOn": "` + testIssued + `", "signer": "Lê Minh Châu", "signerAuthority": "Trưởng Ban",
		"recipients": ["Các thành viên Ban Chỉ đạo;", "Lưu: VT."],
		"directives": [
		 {"content": "Hoàn thành kết nối Hệ thống thông tin giải quyết thủ tục hành chính với Cổng Dịch vụ công quốc gia", "leadUnit": {unit:GL25.SKHCN}, "coordinatingUnits": [{unit:GL25.VPUBND}], "dueOn": "` + testDueSoon + `", "pillar": "chinh_quyen_so"},
		 {"content": "Xã Biển Hồ số hóa hồ sơ thủ tục hành chính còn tồn đọng", "leadUnit": ` + lead2 + `, "dueOn": "31/03/2027"}]}`
}

// TestMeetingAPIScenarios is the meetings' API table: the coordinator
// records a meeting and its conclusion; the other roles and provinces are
// refused (audited once, nothing written); a directive without a lead unit
// refuses the whole conclusion.
func TestMeetingAPIScenarios(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		vars := map[string]string{}
		tables := []string{"steering_meetings", "steering_conclusions", "plans", "tasks", "task_assignments"}
		var snapshot map[string]int
		var denied int
		snap := func(user string) func(*testing.T, *testapp.App) {
			return func(t *testing.T, app *testapp.App) {
				snapshot = app.RowCounts(t, tables...)
				denied = app.Denials(t, user)
			}
		}
		unchanged := func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			t.Helper()
			for table, n := range app.RowCounts(t, tables...) {
				if n != snapshot[table] {
					t.Errorf("%s: %d rows before, %d after a refused write", table, snapshot[table], n)
				}
			}
		}
		refused := func(user string) func(*testing.T, *testapp.App, []byte, http.Header) {
			return func(t *testing.T, app *testapp.App, b []byte, h http.Header) {
				t.Helper()
				if n := app.Denials(t, user) - denied; n != 1 {
					t.Errorf("%d access.denied rows for one refusal of %s", n, user)
				}
				unchanged(t, app, b, h)
			}
		}
		var frozen string
		table := []testapp.Scenario{
			{Name: "a reporter may not record a meeting", Call: testapp.Call{User: "baocao.bienho", Method: "POST", Path: "/api/v1/meetings", Body: meetingBody("")}, Status: 403,
				Before: snap("baocao.bienho"), Check: refused("baocao.bienho")},
			{Name: "the leader reads meetings but does not record them", Call: testapp.Call{User: "lanhdao", Method: "POST", Path: "/api/v1/meetings", Body: meetingBody("")}, Status: 403,
				Before: snap("lanhdao"), Check: refused("lanhdao")},
			{Name: "an administrator is not the committee's office", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/meetings", Body: meetingBody("")}, Status: 403,
				Before: snap("admin"), Check: refused("admin")},
			{Name: "a meeting without a chair, in the future", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/meetings", Body: `{"heldOn": "2099-01-01", "chair": " "}`}, Status: 422,
				Fields: []string{"heldOn", "chair"}, Before: snap("dieuphoi"), Check: unchanged},
			{Name: "a directive without a lead unit refuses the whole conclusion", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/meetings", Body: meetingBody(conclusionBody(testNumber, "0"))}, Status: 422,
				Fields: []string{"conclusion.directives[1].leadUnit"}, Contains: []string{"ý kiến chỉ đạo số 2 chưa có đơn vị chủ trì"}, Before: snap("dieuphoi"), Check: unchanged},
			{Name: "a directive given to another province's unit", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/meetings", Body: meetingBody(conclusionBody(testNumber, "{unit:LC.SKHCN}"))}, Status: 422,
				Fields: []string{"conclusion.directives[1].leadUnit"}, Before: snap("dieuphoi"), Check: unchanged},
			{Name: "the coordinator records a meeting; its review is frozen", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/meetings", Body: meetingBody("")}, Status: 201,
				Contains: []string{`"reviewSnapshot"`, `"reviewAsOf":"2026-11-28"`, `"conclusion":null`, "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ TỈNH GIA LAI"}, Capture: map[string]string{"meeting": "id"},
				Check: func(t *testing.T, app *testapp.App, b []byte, _ http.Header) { frozen = snapshotOf(t, b) }},
			{Name: "a conclusion whose deadline comes before it", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/meetings/{var:meeting}/conclusion",
				Body: strings.Replace(conclusionBody(testNumber, "{unit:GL25.X.BIENHO}"), testDueSoon, "2026-11-01", 1)}, Status: 422,
				Fields: []string{"directives[0].dueOn"}, Before: snap("dieuphoi"), Check: unchanged},
			{Name: "a leader of the committee may not record its conclusion", Call: testapp.Call{User: "lanhdao", Method: "POST", Path: "/api/v1/meetings/{var:meeting}/conclusion", Body: conclusionBody(testNumber, "{unit:GL25.X.BIENHO}")}, Status: 403,
				Before: snap("lanhdao"), Check: refused("lanhdao")},
			{Name: "the conclusion's two directives become tasks", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/meetings/{var:meeting}/conclusion", Body: conclusionBody(testNumber, "{unit:GL25.X.BIENHO}")}, Status: 201,
				Contains: []string{`"number":"99/TB-BCĐ"`, `"dueOn":"2026-12-20"`, `"dueOn":"2027-03-31"`, "Xã Biển Hồ số hóa", `"code":"GL25.VPUBND"`},
				Check: func(t *testing.T, app *testapp.App, b []byte, _ http.Header) {
					var m plan.Meeting
					testapp.JSON(t, b, &m)
					if m.Conclusion == nil || len(m.Conclusion.Directives) != 2 || m.Conclusion.Directives[1].Number != "2" {
						t.Fatalf("conclusion %+v", m.Conclusion)
					}
					vars["directive"] = fmt.Sprint(m.Conclusion.Directives[1].ID)
					vars["conclusionPlan"] = fmt.Sprint(m.Conclusion.PlanID)
					if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'meeting.conclusion' AND subject = $1`, testNumber); n != 1 {
						t.Errorf("%d audit rows for the conclusion", n)
					}
				}},
			{Name: "one conclusion per meeting", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/meetings/{var:meeting}/conclusion", Body: conclusionBody("100/TB-BCĐ", "{unit:GL25.X.BIENHO}")}, Status: 409},
			{Name: "the commune finds the directive among its tasks", Call: testapp.Call{User: "baocao.bienho", Method: "GET", Path: "/api/v1/tasks?mine=1&q=s%E1%BB%91+h%C3%B3a+h%E1%BB%93+s%C6%A1"}, Status: 200,
				Contains: []string{`"planNumber":"99/TB-BCĐ"`, `"id":{var:directive}`}},
			{Name: "and reports progress on it like any task", Call: testapp.Call{User: "baocao.bienho", Method: "POST", Path: "/api/v1/tasks/{var:directive}/updates", Body: `{"status": "in_progress", "progress": 40, "body": "Đã số hóa 40% hồ sơ"}`}, Status: 201},
			{Name: "the leader reads the meetings", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/meetings"}, Status: 200, Contains: []string{testNumber, `"heldOn":"2026-11-28"`, "05/TB-BCĐ", "48/TB-BCĐ", "minh họa"}},
			// The report waits for Biển Hồ's approver (a conclusion's plan needs
			// approval, as new plans do), so the live task shows it pending;
			// the snapshot must not move either way.
			{Name: "the snapshot did not move with the report", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/meetings/{var:meeting}"}, Status: 200,
				Check: func(t *testing.T, app *testapp.App, b []byte, _ http.Header) {
					if got := snapshotOf(t, b); got != frozen {
						t.Error("the meeting's review snapshot changed after a later report")
					}
				}},
			{Name: "a reporter does not read the committee's meetings", Call: testapp.Call{User: "baocao.bienho", Method: "GET", Path: "/api/v1/meetings"}, Status: 403, Before: snap("baocao.bienho"), Check: refused("baocao.bienho")},
			{Name: "another province's administrator does not read this one", Call: testapp.Call{User: "quantri.laichau", Method: "GET", Path: "/api/v1/meetings/{var:meeting}"}, Status: 403, Before: snap("quantri.laichau"), Check: refused("quantri.laichau")},
			{Name: "and does not see it listed", Call: testapp.Call{User: "quantri.laichau", Method: "GET", Path: "/api/v1/meetings"}, Status: 200, Absent: []string{testNumber}},
			{Name: "the leader's overview shows the last conclusion's directives", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/overview"}, Status: 200,
				Contains: []string{`"meeting":"99/TB-BCĐ, 30/11/2026"`, `"taskId":{var:directive}`, `"href":"/meetings/{var:meeting}#conclusion"`}},
			{Name: "an unknown meeting", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/meetings/999999"}, Status: 404},
		}
		app.Run(t, vars, table)
		app.CheckCoverage(t, vars, table, "meetings")

		// The pages: the review names the directive's source and lists the
		// conclusion; the printed documents are in the administrative
		// layout, and their PDFs say the same.
		coord := app.Login(t, "dieuphoi")
		review := pageGet(t, coord, "/review?month=2026-12")
		for _, want := range []string{"theo Kết luận số 99/TB-BCĐ", `id="directives-h"`, "Xã Biển Hồ số hóa"} {
			if !strings.Contains(review, want) {
				t.Errorf("the review lacks %q", want)
			}
		}
		print := pageGet(t, coord, "/review/print?month=2026-12")
		for _, want := range []string{officialdoc.NationalTitle, officialdoc.Motto, "Nơi nhận:", "I. TÌNH HÌNH CHUNG", "Kết luận số 99/TB-BCĐ", `class="review-doc print-doc od-appendix"`} {
			if !strings.Contains(print, want) {
				t.Errorf("the printed review lacks %q", want)
			}
		}
		pages := pdfPages(t, coord, app, "/review.pdf?month=2026-12")
		appendix := -1
		for i, p := range pages {
			if strings.Contains(p, "\nPHỤ LỤC\n") || strings.HasPrefix(p, "PHỤ LỤC\n") {
				appendix = i
				break
			}
		}
		if appendix < 1 || appendix > 2 {
			t.Errorf("the short review runs to %d pages before its appendix (of %d), want 1 or 2", appendix, len(pages))
		}
		short := strings.Join(pages[:max(appendix, 1)], "\n")
		for _, want := range []string{officialdoc.NationalTitle, officialdoc.Motto, "BÁO CÁO", "Gia Lai, ngày", "II. NHIỆM VỤ QUÁ HẠN THEO ĐƠN VỊ CHỦ TRÌ", "Kết luận số 99/TB-BCĐ", "Nơi nhận:"} {
			if !strings.Contains(short, want) {
				t.Errorf("the short review's PDF lacks %q", want)
			}
		}
		meeting := vars["meeting"]
		doc := pageGet(t, coord, "/meetings/"+meeting+"/conclusion/print")
		for _, want := range []string{"Số: 99/TB-BCĐ", "Gia Lai, ngày 30 tháng 11 năm 2026", "THÔNG BÁO", "TRƯỞNG BAN", "Lưu: VT."} {
			if !strings.Contains(doc, want) {
				t.Errorf("the printed conclusion lacks %q", want)
			}
		}
		text := strings.Join(pdfPages(t, app.Login(t, "baocao.bienho"), app, "/meetings/"+meeting+"/conclusion.pdf"), "\n")
		for _, want := range []string{officialdoc.NationalTitle, "Số: 99/TB-BCĐ", "Gia Lai, ngày 30 tháng 11 năm 2026", "Xã Biển Hồ số hóa", "Nơi nhận:", "Lê Minh Châu"} {
			if !strings.Contains(text, want) {
				t.Errorf("the conclusion's PDF lacks %q", want)
			}
		}
		page := pageGet(t, coord, "/meetings/"+meeting)
		if !strings.Contains(page, `id="directives"`) || !strings.Contains(page, "/tasks/"+vars["directive"]) {
			t.Error("the meeting page does not list its directives as tasks")
		}
	})
}

func snapshotOf(t *testing.T, b []byte) string {
	t.Helper()
	var m map[string]json.RawMessage
	testapp.JSON(t, b, &m)
	if len(m["reviewSnapshot"]) < 10 {
		t.Fatalf("no review snapshot in %s", b)
	}
	return string(m["reviewSnapshot"])
}

func pdfPages(t *testing.T, b *testapp.Browser, app *testapp.App, path string) []string {
	t.Helper()
	res, err := b.Client.Get(app.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("GET %s: %d %s\n%.300s", path, res.StatusCode, res.Header.Get("Content-Type"), data)
	}
	if dir := os.Getenv("TINHSO_KEEP_PDF"); dir != "" { // to look at them: pdftoppm
		os.WriteFile(filepath.Join(dir, strings.NewReplacer("/", "_", "?", "_").Replace(path)), data, 0o644)
	}
	pages, err := officialdoc.Pages(data)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return pages
}

// TestMeetingForm records a meeting and a conclusion through the pages:
// a row without a lead unit is named, nothing is written, and the rows
// typed come back.
func TestMeetingForm(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		coord := app.Login(t, "dieuphoi")
		pageGet(t, coord, "/meetings/new")
		status, body := coord.Post(t, "/meetings", url.Values{"csrf": {coord.CSRF(t)}, "heldOn": {"28/11/2026"}, "chair": {"Đồng chí Lê Minh Châu"}, "attendees": {"Sở KH&CN\nVăn phòng UBND tỉnh"}})
		if status != 200 || !strings.Contains(body, vi("flash.meeting_saved")) {
			t.Fatalf("record a meeting: %d", status)
		}
		var id int64
		if err := app.DB.Read.QueryRow(`SELECT MAX(id) FROM steering_meetings`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/meetings/%d", id)
		form := url.Values{"csrf": {coord.CSRF(t)}, "number": {"98/TB-BCĐ"}, "issuedOn": {"30/11/2026"}, "signer": {"Lê Minh Châu"},
			"d1.content": {"Rà soát hạ tầng số"}, "d1.lead": {fmt.Sprint(app.UnitID(t, "GL25.SKHCN"))}, "d1.due": {"31/12/2026"},
			"d3.content": {"Việc không có đơn vị chủ trì"}, "d3.due": {"31/12/2026"}}
		before := app.Count(t, `SELECT COUNT(*) FROM tasks`)
		status, body = coord.Post(t, path+"/conclusion", form)
		if status != 422 || !strings.Contains(body, vi("invalid.directive_lead", "2")) || !strings.Contains(body, "Việc không có đơn vị chủ trì") {
			t.Fatalf("a row without a lead unit: %d", status)
		}
		if app.Count(t, `SELECT COUNT(*) FROM tasks`) != before {
			t.Error("a refused conclusion wrote tasks")
		}
		form.Set("d3.lead", fmt.Sprint(app.UnitID(t, "GL25.X.BIENHO")))
		status, body = coord.Post(t, path+"/conclusion", form)
		if status != 200 || !strings.Contains(body, vi("flash.conclusion_saved")) || !strings.Contains(body, "Việc không có đơn vị chủ trì") {
			t.Fatalf("record the conclusion: %d", status)
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM tasks`) - before; n != 2 {
			t.Errorf("%d tasks from a conclusion of two directives", n)
		}
		if !strings.Contains(pageGet(t, coord, "/meetings"), "98/TB-BCĐ") {
			t.Error("the list of meetings does not show the conclusion")
		}
	})
}

// recorder keeps the notices it is given.
type recorder struct{ got []plan.Notice }

func (r *recorder) Notify(_ context.Context, n plan.Notice) error {
	r.got = append(r.got, n)
	return nil
}

// TestDirectiveNotices: each directive of a conclusion tells its lead unit
// (reporters and approver), pointing at the directive's task; a refused
// conclusion tells no one.
func TestDirectiveNotices(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		plans := plan.NewStore(app.DB, app.Org) // its own store: the server's notifier is not touched
		plans.UsePillars(dti.NewStore(app.DB, app.Org, nil).PlanPillars)
		rec := &recorder{}
		plans.SetNotifier(rec)
		p := &org.Principal{UserID: app.OfficialID(t, "dieuphoi"), Username: "dieuphoi", UnitID: app.UnitID(t, "GL25.SKHCN"),
			Grants: []org.Grant{{Role: org.RoleCoordinator, ScopeID: app.UnitID(t, "GL25")}}}
		skhcn, bienho := app.UnitID(t, "GL25.SKHCN"), app.UnitID(t, "GL25.X.BIENHO")
		in := plan.MeetingInput{HeldOn: testHeldOn, Chair: "Lê Minh Châu", Conclusion: &plan.ConclusionInput{Number: "97/TB-BCĐ", IssuedOn: testIssued, Signer: "Lê Minh Châu",
			Directives: []plan.DirectiveInput{{Content: "Việc một", LeadUnit: skhcn, DueOn: testDueSoon}, {Content: "Việc hai", DueOn: testDueLate}}}}
		if _, err := plans.RecordMeeting(ctx, p, in); err == nil || len(rec.got) != 0 {
			t.Fatalf("a directive without a lead unit: %v, %d notices", err, len(rec.got))
		}
		in.Conclusion.Directives[1].LeadUnit = bienho
		id, err := plans.RecordMeeting(ctx, p, in)
		if err != nil {
			t.Fatal(err)
		}
		m, err := plans.Meeting(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.got) != 2 {
			t.Fatalf("%d notices for two directives", len(rec.got))
		}
		for i, n := range rec.got {
			want := []int64{skhcn, bienho}[i]
			if n.Kind != "plan.directive.assigned" || len(n.Units) != 1 || n.Units[0] != want || n.Link != fmt.Sprintf("/tasks/%d", m.Conclusion.Directives[i].ID) || n.Actor != p.UserID {
				t.Errorf("notice %d: %+v", i, n)
			}
		}
	})
}
