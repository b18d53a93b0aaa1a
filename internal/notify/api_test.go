package notify_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

// notice tells baocao.laichau (by id) and Sở KH&CN Lai Châu's reporters
// and approvers (by unit and role) something, as the plan package does.
func notice(t *testing.T, app *testapp.App, task int64) {
	t.Helper()
	err := app.Server.Notify.Notify(context.Background(), plan.Notice{Kind: "plan.report.returned",
		Units: []int64{app.UnitID(t, "LC.SKHCN")}, Roles: []string{"reporter", "approver"},
		Subject: "notify.overdue.subject", Body: "notify.overdue.body", Args: []any{"1", "99/KH-UBND", "Triển khai nền tảng nhắc việc", "2026-12-31", 3},
		Link: "/tasks/" + strconv.FormatInt(task, 10), Actor: app.OfficialID(t, "quantri.laichau")})
	if err != nil {
		t.Fatal(err)
	}
}

// The notices reach the unit's own reporters and approvers, each once,
// never the actor, nor a province-wide approver of another unit.
func TestNoticeRecipients(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		t.Parallel()
		task := reminderPlan(t, app)
		ids, err := app.Server.Notify.Recipients(context.Background(), plan.Notice{Units: []int64{app.UnitID(t, "LC.SKHCN")}, Roles: []string{"reporter", "approver"},
			Officials: []int64{app.OfficialID(t, "baocao.laichau"), app.OfficialID(t, "quantri.laichau")}, Actor: app.OfficialID(t, "quantri.laichau")})
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{app.OfficialID(t, "baocao.laichau"), app.OfficialID(t, "pheduyet.laichau")}
		if len(ids) != 2 || !(ids[0] == want[0] && ids[1] == want[1] || ids[0] == want[1] && ids[1] == want[0]) {
			t.Errorf("recipients %v, want %v (the reporter and the approver of LC.SKHCN)", ids, want)
		}
		// A unit that ended reaches the officials of the unit that answers
		// for it today: Thành phố Pleiku's reporter still holds it.
		ids, err = app.Server.Notify.Recipients(context.Background(), plan.Notice{Units: []int64{app.UnitID(t, "GL.PLEIKU")}, Roles: []string{"reporter"}})
		if err != nil || len(ids) == 0 {
			t.Errorf("Pleiku's reporters: %v %v", ids, err)
		}
		notice(t, app, task)
		if n := app.Count(t, `SELECT COUNT(*) FROM notifications`); n != 2 {
			t.Errorf("%d notifications, want 2", n)
		}
		// No SMTP configured: nothing waits for e-mail.
		if n := app.Count(t, `SELECT COUNT(*) FROM notifications WHERE mail_state <> ''`); n != 0 {
			t.Errorf("%d e-mails queued without a mailer", n)
		}
	})
}

func TestNotifyAPI(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		t.Parallel()
		task := reminderPlan(t, app)
		notice(t, app, task)
		var plan, note int64
		app.DB.Read.QueryRow(`SELECT plan_id FROM tasks WHERE id = $1`, task).Scan(&plan)
		app.DB.Read.QueryRow(`SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'baocao.laichau'`).Scan(&note)
		vars := map[string]string{"plan": strconv.FormatInt(plan, 10), "note": strconv.FormatInt(note, 10)}
		table := []testapp.Scenario{
			{Name: "anonymous list refused", Call: testapp.Call{Method: "GET", Path: "/api/v1/notifications"}, Status: 401},
			{Name: "the reporter's list", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/notifications"}, Status: 200,
				Contains: []string{`"subject":"Nhiệm vụ 1 (99/KH-UBND) đã quá hạn 3 ngày"`, "Hạn hoàn thành 31/12/2026 đã qua 3 ngày", `"actor":"Đặng Quốc Huy"`, `"readAt":null`, `"mail":"none"`},
				Header:   map[string]string{"X-Total-Count": "1"}},
			{Name: "in English", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/notifications", Headers: map[string]string{"Accept-Language": "en"}}, Status: 200,
				Contains: []string{"Task 1 (99/KH-UBND) is 3 days late", "Its due date 31 Dec 2026 passed"}},
			{Name: "the actor is not told", Call: testapp.Call{User: "quantri.laichau", Method: "GET", Path: "/api/v1/notifications"}, Status: 200, Contains: []string{"[]"}},
			{Name: "unread count", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/notifications/unread"}, Status: 200, Contains: []string{`{"unread":1}`}},
			{Name: "anonymous unread refused", Call: testapp.Call{Method: "GET", Path: "/api/v1/notifications/unread"}, Status: 401},
			{Name: "another's notification is not found", Call: testapp.Call{User: "pheduyet.pleiku", Method: "POST", Path: "/api/v1/notifications/{var:note}/read"}, Status: 404},
			{Name: "an unknown one", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/v1/notifications/999999/read"}, Status: 404},
			{Name: "mark read", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/v1/notifications/{var:note}/read"}, Status: 204},
			{Name: "unread filter is empty", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/notifications?unread=1"}, Status: 200, Contains: []string{"[]"}},
			{Name: "mark all read", Call: testapp.Call{User: "pheduyet.laichau", Method: "POST", Path: "/api/v1/notifications/read"}, Status: 200, Contains: []string{`{"marked":1}`}},
			{Name: "anonymous mark all refused", Call: testapp.Call{Method: "POST", Path: "/api/v1/notifications/read"}, Status: 401},
			{Name: "settings", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/notifications/settings"}, Status: 200,
				Contains: []string{`{"kind":"plan.task.due_soon","email":true}`, `{"kind":"plan.comment","email":false}`}},
			{Name: "an unknown kind refused", Call: testapp.Call{User: "baocao.laichau", Method: "PUT", Path: "/api/v1/notifications/settings", Body: `{"prefs":[{"kind":"plan.nothing","email":true}]}`}, Status: 422, Fields: []string{"prefs[0].kind"}},
			{Name: "choose e-mails", Call: testapp.Call{User: "baocao.laichau", Method: "PUT", Path: "/api/v1/notifications/settings", Body: `{"prefs":[{"kind":"plan.task.overdue","email":false},{"kind":"plan.comment","email":true}]}`}, Status: 200,
				Contains: []string{`{"kind":"plan.task.overdue","email":false}`, `{"kind":"plan.comment","email":true}`, `{"kind":"plan.task.due_soon","email":true}`}},
			{Name: "anonymous settings refused", Call: testapp.Call{Method: "PUT", Path: "/api/v1/notifications/settings", Body: `{"prefs":[]}`}, Status: 401},
			{Name: "rules: the defaults", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/plans/{var:plan}/reminders"}, Status: 200,
				Contains: []string{`"default":true`, `{"kind":"before_due","days":7}`, `{"kind":"overdue","days":7}`, `{"kind":"before_report","days":1,"day":25}`}},
			{Name: "rules of an unknown plan", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/plans/999999/reminders"}, Status: 404},
			{Name: "a reporter may not change them", Call: testapp.Call{User: "baocao.laichau", Method: "PUT", Path: "/api/v1/plans/{var:plan}/reminders", Body: `{"rules":[{"kind":"on_due","days":0}]}`}, Status: 403},
			{Name: "a leader may not", Call: testapp.Call{User: "lanhdao", Method: "PUT", Path: "/api/v1/plans/{var:plan}/reminders", Body: `{"rules":[{"kind":"on_due","days":0}]}`}, Status: 403},
			{Name: "another province's coordinator may not", Call: testapp.Call{User: "dieuphoi", Method: "PUT", Path: "/api/v1/plans/{var:plan}/reminders", Body: `{"rules":[{"kind":"on_due","days":0}]}`}, Status: 403},
			{Name: "a negative offset refused", Call: testapp.Call{User: "quantri.laichau", Method: "PUT", Path: "/api/v1/plans/{var:plan}/reminders", Body: `{"rules":[{"kind":"before_due","days":-3},{"kind":"overdue","days":0},{"kind":"before_report","days":1,"day":31}]}`}, Status: 422,
				Fields: []string{"rules[0].days", "rules[1].days", "rules[2].day"}, Contains: []string{"số ngày không được âm (đã nhập -3)"},
				Check: func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
					if n := app.Count(t, `SELECT COUNT(*) FROM plan_reminder_rules`); n != 0 {
						t.Errorf("%d rules written by a refused change", n)
					}
				}},
			{Name: "an unknown kind", Call: testapp.Call{User: "quantri.laichau", Method: "PUT", Path: "/api/v1/plans/{var:plan}/reminders", Body: `{"rules":[{"kind":"weekly","days":3}]}`}, Status: 422, Fields: []string{"rules[0].kind"}},
			{Name: "a rule twice", Call: testapp.Call{User: "quantri.laichau", Method: "PUT", Path: "/api/v1/plans/{var:plan}/reminders", Body: `{"rules":[{"kind":"on_due"},{"kind":"on_due"}]}`}, Status: 422, Fields: []string{"rules[1].kind"}},
			{Name: "the coordinator saves rules", Call: testapp.Call{User: "quantri.laichau", Method: "PUT", Path: "/api/v1/plans/{var:plan}/reminders", Body: `{"rules":[{"kind":"before_due","days":3},{"kind":"overdue","days":14}]}`}, Status: 200,
				Contains: []string{`"default":false`, `{"kind":"before_due","days":3}`, `{"kind":"overdue","days":14}`}, Absent: []string{"before_report"},
				Check: func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
					if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'plan.reminders'`); n != 1 {
						t.Errorf("%d audit events", n)
					}
				}},
			{Name: "reminders off", Call: testapp.Call{User: "quantri.laichau", Method: "PUT", Path: "/api/v1/plans/{var:plan}/reminders", Body: `{"rules":[]}`}, Status: 200, Contains: []string{`"default":false,"rules":[]`}},
			{Name: "back to the defaults", Call: testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/plans/{var:plan}/reminders", Body: `{"default":true}`}, Status: 200, Contains: []string{`"default":true`}},
		}
		app.Run(t, vars, table)
		app.CheckCoverage(t, vars, table, "notify")
		if n := app.Denials(t, "baocao.laichau"); n < 1 {
			t.Errorf("the reporter's refusal was not audited")
		}
	})
}

// The pages: the home page lists unread notifications, /notifications
// marks them read one by one or all at once, the settings page stores
// e-mail choices, and the plan's reminder page refuses a negative offset
// with the row named and changes nothing.
func TestNotifyPages(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		t.Parallel()
		task := reminderPlan(t, app)
		notice(t, app, task)
		lan := app.Login(t, "baocao.laichau")
		status, body := lan.Get(t, "/")
		if status != 200 || !strings.Contains(body, "Nhiệm vụ 1 (99/KH-UBND) đã quá hạn 3 ngày") || !strings.Contains(body, "thông báo chưa đọc") {
			t.Fatalf("home: %d\n%s", status, body)
		}
		status, body = lan.Get(t, "/notifications")
		var note int64
		app.DB.Read.QueryRow(`SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'baocao.laichau'`).Scan(&note)
		open := "/notifications/" + strconv.FormatInt(note, 10)
		if status != 200 || !strings.Contains(body, "Hạn hoàn thành 31/12/2026 đã qua 3 ngày") || !strings.Contains(body, `href="`+open+`"`) || !strings.Contains(body, "Đánh dấu tất cả đã đọc") {
			t.Fatalf("list: %d\n%s", status, body)
		}
		// Followed, a notification is read and leads to its page; another's
		// is not found.
		if status, _ := app.Login(t, "baocao.pleiku").Get(t, open); status != 404 {
			t.Errorf("another's notification followed: %d", status)
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM notifications WHERE id = $1 AND read_at IS NULL`, note); n != 1 {
			t.Errorf("another's visit marked the notification read")
		}
		if status, body = lan.Get(t, open); status != 200 || !strings.Contains(body, "99/KH-UBND") {
			t.Errorf("follow the notification: %d\n%s", status, body)
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM notifications WHERE id = $1 AND read_at IS NULL`, note); n != 0 {
			t.Errorf("the notification followed is still unread")
		}
		if status, body = lan.Post(t, "/notifications/"+strconv.FormatInt(note, 10)+"/read", url.Values{"next": {"/notifications?unread=1"}}); status != 200 || !strings.Contains(body, "Không có thông báo chưa đọc.") {
			t.Errorf("mark read: %d\n%s", status, body)
		}
		other := app.Login(t, "baocao.pleiku")
		if status, _ := other.Post(t, "/notifications/"+strconv.FormatInt(note, 10)+"/read", url.Values{}); status != 404 {
			t.Errorf("another's notification: %d", status)
		}
		approver := app.Login(t, "pheduyet.laichau")
		if status, body = approver.Post(t, "/notifications/read", url.Values{}); status != 200 || !strings.Contains(body, "Đã đánh dấu tất cả thông báo là đã đọc.") {
			t.Errorf("mark all: %d\n%s", status, body)
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM notifications WHERE read_at IS NULL`); n != 0 {
			t.Errorf("%d unread left", n)
		}
		if status, body = lan.Get(t, "/notifications/settings"); status != 200 || !strings.Contains(body, "Nhiệm vụ sắp đến hạn") || !strings.Contains(body, "chưa có địa chỉ thư điện tử") {
			t.Errorf("settings: %d\n%s", status, body)
		}
		if status, body = lan.Post(t, "/notifications/settings", url.Values{"email.plan.task.due_soon": {"1"}}); status != 200 || !strings.Contains(body, "Đã lưu lựa chọn") {
			t.Errorf("save settings: %d\n%s", status, body)
		}
		prefs, _ := app.Server.Notify.Prefs(context.Background(), app.OfficialID(t, "baocao.laichau"))
		for _, p := range prefs {
			if p.Email != (p.Kind == "plan.task.due_soon") {
				t.Errorf("pref %+v", p)
			}
		}
		// The plan's reminder rules.
		var planID int64
		app.DB.Read.QueryRow(`SELECT plan_id FROM tasks WHERE id = $1`, task).Scan(&planID)
		path := "/plans/" + strconv.FormatInt(planID, 10) + "/reminders"
		if status, body = lan.Get(t, path); status != 200 || !strings.Contains(body, "7 ngày trước hạn hoàn thành") || strings.Contains(body, `id="rules-save"`) {
			t.Errorf("rules as a reporter: %d\n%s", status, body)
		}
		if status, _ = lan.Post(t, path, url.Values{"kind.0": {"on_due"}}); status != 403 {
			t.Errorf("a reporter saves rules: %d", status)
		}
		admin := app.Login(t, "quantri.laichau")
		if status, body = admin.Get(t, "/plans/"+strconv.FormatInt(planID, 10)); status != 200 || !strings.Contains(body, `href="`+path+`"`) {
			t.Errorf("plan page lacks the link to its rules: %d", status)
		}
		status, body = admin.Get(t, path)
		if status != 200 || !strings.Contains(body, `id="rules-save"`) || !strings.Contains(body, "Kế hoạch đang dùng quy tắc mặc định.") {
			t.Fatalf("rules as the coordinator: %d\n%s", status, body)
		}
		status, body = admin.Post(t, path, url.Values{"kind.0": {"before_due"}, "days.0": {"-2"}, "kind.1": {"on_due"}})
		if status != 422 || !strings.Contains(body, "rules[0].days: số ngày không được âm (đã nhập -2)") {
			t.Errorf("negative offset: %d\n%s", status, body)
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM plan_reminder_rules`); n != 0 {
			t.Errorf("%d rules written", n)
		}
		status, body = admin.Post(t, path, url.Values{"kind.0": {"before_due"}, "days.0": {"10"}, "kind.1": {"before_report"}, "days.1": {"2"}, "day.1": {"20"}, "kind.2": {""}})
		if status != 200 || !strings.Contains(body, "Đã lưu quy tắc nhắc việc") {
			t.Errorf("save rules: %d\n%s", status, body)
		}
		rules, _ := app.Server.Notify.RulesOf(context.Background(), planID)
		if rules.Default || len(rules.Rules) != 2 || rules.Rules[0].Days != 10 || rules.Rules[1].Day != 20 {
			t.Errorf("rules %+v", rules)
		}
	})
}
