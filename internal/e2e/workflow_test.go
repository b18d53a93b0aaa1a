package e2e_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestPlanWorkflowBrowser is the first "Done when" of issue 11 in Chromium,
// one path in sequence, by four officials at four computers, each step
// checked on what the official sees:
//
//   - the coordinator (dieuphoi) reads the review's figures: reports
//     waiting for approval, parts completed this month;
//   - Pleiku's reporter submits a progress report on a task of
//     1331/KH-UBND: it waits for approval, not counted, and the review's
//     waiting figure goes up by one;
//   - Pleiku's approver follows the notice on her home page to the task
//     and returns the report with a comment;
//   - the reporter follows the notice of the return, reads the comment,
//     fixes the report (done, 100 %) and submits it again;
//   - the approver approves it; the review counts it (one more part
//     completed this month, under Tỉnh Gia Lai, one fewer waiting);
//   - the reporter, for the lead unit, asks for a new due date on an
//     overdue task; the coordinator follows the notice and grants it: the
//     task shows the current and the plan's due dates, and the review
//     lists it among the tasks due soon, «đã gia hạn đến …», no longer
//     among the overdue;
//   - the coordinator records a Steering Committee meeting and its
//     conclusion with two directives: they are tasks (their pages, the
//     list of tasks) and the review names them «theo Kết luận số …»;
//   - the leader (lanhdao) follows the home page to the overview: the
//     directives of that meeting with their status, the charts and lists
//     behind every figure;
//   - the morning's reminders: the coordinator's digest in the
//     notification list, marked read one, then all.
func TestPlanWorkflowBrowser(t *testing.T) {
	inChromium(t, testapp.DemoURLs, func(t *testing.T, app *testapp.App, root *browser) {
		w := newWorkflow(t, app)
		laps := newLaps()
		coordinator := root.person("1-dieuphoi")
		coordinator.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
		coordinator.login("dieuphoi")
		before := w.reviewFigures(coordinator)
		laps.lap("review before")

		reporter := root.person("2-baocao.pleiku")
		reporter.login("baocao.pleiku")
		w.reporterSubmits(reporter)
		if got := w.reviewFigures(coordinator); got.waiting != before.waiting+1 {
			t.Errorf("the review counts %d reports waiting for approval after the submission, want %d", got.waiting, before.waiting+1)
		}
		laps.lap("submit")

		approver := root.person("3-pheduyet.pleiku")
		approver.login("pheduyet.pleiku")
		w.approverReturns(approver)
		w.reporterResubmits(reporter)
		laps.lap("return, resubmit")
		w.approverApproves(approver)
		after := w.reviewFigures(coordinator)
		if after.completed != before.completed+1 || after.waiting != before.waiting {
			t.Errorf("after the approval the review shows %d completed this month and %d waiting, want %d and %d",
				after.completed, after.waiting, before.completed+1, before.waiting)
		}
		if !reviewHas(coordinator, "done-h", "Tỉnh Gia Lai", w.report) {
			t.Errorf("the review does not list the approved report among this month's completed parts: %s", coordinator.text(`section[aria-labelledby="done-h"]`))
		}
		laps.lap("approve")

		w.extension(reporter, coordinator)
		laps.lap("extension")
		w.coordinatorRecordsMeeting(coordinator)
		laps.lap("meeting")
		leader := root.person("4-lanhdao")
		w.leaderOverview(leader)
		laps.lap("overview")

		// The morning's reminders: 08:00 in Vietnam today.
		now := time.Now().In(time.FixedZone("ICT", 7*3600))
		morning := time.Date(now.Year(), now.Month(), now.Day(), 8, 0, 0, 0, now.Location())
		app.Server.Notify.Now = func() time.Time { return morning }
		if _, err := app.Server.Notify.SendReminders(context.Background()); err != nil {
			t.Fatal(err)
		}
		coordinatorNotifications(t, coordinator)
		laps.lap("notifications")
		t.Logf("workflow journey: %s", laps)
	})
}

// workflow is what the officials' steps share.
type workflow struct {
	t                  *testing.T
	app                *testapp.App
	report, extend     string // the tasks' pages
	reportNo, extendNo string // their notices' subjects: plan and task number
	item, id           string // the report in the task's history: its element, its id
	today, newDue      string // YYYY-MM-DD
}

// newWorkflow picks two of Pleiku's open lead parts in 1331/KH-UBND
// without a report waiting, fewest lead units first (the review counts a
// part of the province's when all its predecessors' are done), then the
// first due: one to report on, and an overdue one, to extend to 20 days
// from today.
func newWorkflow(t *testing.T, app *testapp.App) *workflow {
	t.Helper()
	w := &workflow{t: t, app: app, today: org.Today()}
	day, err := time.Parse(time.DateOnly, w.today)
	if err != nil {
		t.Fatal(err)
	}
	w.newDue = day.AddDate(0, 0, 20).Format(time.DateOnly)
	pick := func(what, cond string, args ...any) (page, subject string) {
		var id int64
		var number string
		err := app.DB.Read.QueryRow(`SELECT t.id, t.number FROM tasks t JOIN plans p ON p.id = t.plan_id JOIN task_assignments a ON a.task_id = t.id JOIN org_units u ON u.id = a.unit_id
			WHERE p.number = '1331/KH-UBND' AND u.code = 'GL.PLEIKU' AND a.role = 'lead' AND a.ended_on = '' AND a.status <> 'done' AND t.due_on <> '' `+cond+`
			AND NOT EXISTS (SELECT 1 FROM task_updates x WHERE x.assignment_id = a.id AND x.state <> 'approved')
			ORDER BY (SELECT COUNT(*) FROM task_assignments c WHERE c.task_id = t.id AND c.role = 'lead' AND c.ended_on = ''), t.due_on, t.id LIMIT 1`, args...).Scan(&id, &number)
		if err != nil {
			t.Fatalf("a task of 1331/KH-UBND that Pleiku leads alone, %s: %v", what, err)
		}
		return fmt.Sprintf("/tasks/%d", id), "1331/KH-UBND " + number
	}
	var report int64
	w.report, w.reportNo = pick("to report on", "")
	fmt.Sscanf(w.report, "/tasks/%d", &report)
	w.extend, w.extendNo = pick("overdue", "AND t.id <> $1 AND t.due_on < $2", report, w.today)
	return w
}

// reviewTotals are the review's totals that the approvals move.
type reviewTotals struct{ waiting, completed int }

// reviewFigures opens the review and reads its totals.
func (w *workflow) reviewFigures(b *browser) reviewTotals {
	b.t.Helper()
	b.open("/review")
	b.wantText("main h1", vi("review.title"))
	read := func(status string) int {
		s := strings.TrimSpace(b.text(`#totals + ul.stats li[data-status="` + status + `"] strong`))
		n, err := strconv.Atoi(strings.ReplaceAll(s, ".", ""))
		if err != nil {
			b.fatalf("the review's %s figure %q: %v", status, s, err)
		}
		return n
	}
	return reviewTotals{waiting: read("waiting"), completed: read("done")}
}

// followNotice follows, from the home page, the unread notice whose
// subject names subject to the page it points to, the notice list showing
// its body on the way; the notice is read then.
func (w *workflow) followNotice(b *browser, subject string, body ...string) {
	b.t.Helper()
	b.open("/")
	href := evalJS[string](b, "find the notice of "+subject, fmt.Sprintf(`(() => {
		const a = [...document.querySelectorAll('main a[href^="/notifications#n-"]')].find(a => a.textContent.includes(%q));
		return a ? a.getAttribute("href") : "";
	})()`, subject))
	if href == "" {
		b.fatalf("the home page shows no notice about %s: %s", subject, b.text("main"))
	}
	b.submitWith("open the notice of "+subject, chromedp.Click(chromedp.CSS(`main a[href="`+href+`"]`)))
	id := strings.TrimPrefix(href, "/notifications#n-")
	card := "#n-" + id
	b.wantText(card, append([]string{subject, vi("notify.new")}, body...)...)
	b.submitWith("follow the notice of "+subject, chromedp.Click(chromedp.CSS(card+` a[href="/notifications/`+id+`"]`)))
	// Followed, the notice is read.
	if evalJS[bool](b, "read the unread notices", `fetch("/api/v1/notifications?unread=1").then(r => r.json()).then(l => l.some(n => n.id === `+id+`))`, chromedp.EvalAwaitPromise) {
		b.t.Errorf("the notice about %s is still unread after it was followed", subject)
	}
}

func (w *workflow) reporterSubmits(b *browser) {
	b.open(w.report)
	b.do("fill a progress report",
		chromedp.SetValue(chromedp.ID("status"), "in_progress"),
		chromedp.Clear(chromedp.ID("progress")),
		chromedp.SendKeys(chromedp.ID("progress"), "60"),
		chromedp.SendKeys(chromedp.ID("report"), "Đã triển khai 60%: 14 phường đã có kế hoạch."),
	)
	if status := b.submit("#report-submit"); status != 200 {
		b.fatalf("submit: status %d", status)
	}
	b.wantText(".flash", vi("flash.progress_submit"))
	w.item = evalJS[string](b, "the newest report", `document.querySelector("ol.history > li").id`)
	w.id = strings.TrimPrefix(w.item, "report-")
	b.wantText("#"+w.item, vi("flow.state.submitted"), vi("flow.not_counted"), "14 phường đã có kế hoạch")
	b.shot("report-submitted")
}

func (w *workflow) approverReturns(b *browser) {
	w.followNotice(b, w.reportNo)
	b.wantPath(w.report) // at #report-…
	b.wantText("#"+w.item, vi("flow.state.submitted"), "14 phường đã có kế hoạch")
	b.do("write why it goes back", chromedp.SendKeys(chromedp.ID("decision-"+w.id), "Thiếu số liệu của 9 xã; đề nghị bổ sung."))
	if status := b.submit("#" + w.item + " button.return"); status != 200 {
		b.fatalf("return: status %d", status)
	}
	b.wantText(".flash", vi("flash.progress_return"))
	b.wantText("#"+w.item, vi("flow.state.returned"), "Thiếu số liệu của 9 xã")
}

func (w *workflow) reporterResubmits(b *browser) {
	w.followNotice(b, w.reportNo, "Thiếu số liệu của 9 xã")
	b.wantPath(w.report) // at #report-…
	b.wantText("#"+w.item, vi("flow.state.returned"), "Thiếu số liệu của 9 xã", vi("flow.fix_and_resubmit"))
	b.shot("report-returned")
	b.do("fix the report",
		chromedp.SetValue(chromedp.ID("rs-status-"+w.id), "done"),
		chromedp.Clear(chromedp.ID("rs-progress-"+w.id)),
		chromedp.SendKeys(chromedp.ID("rs-progress-"+w.id), "100"),
		chromedp.Clear(chromedp.ID("rs-report-"+w.id)),
		chromedp.SendKeys(chromedp.ID("rs-report-"+w.id), "Hoàn thành: 14 phường và 9 xã đã có kế hoạch, có số liệu từng xã."),
	)
	if status := b.submit("#" + w.item + " .resubmit-button"); status != 200 {
		b.fatalf("resubmit: status %d", status)
	}
	b.wantText(".flash", vi("flash.progress_submit"))
	b.wantText("#"+w.item, vi("flow.state.submitted"), "14 phường và 9 xã")
	b.wantNoText("main .my-part", "100%") // not counted before the approval
}

func (w *workflow) approverApproves(b *browser) {
	b.open(w.report)
	if status := b.submit("#" + w.item + " button.approve"); status != 200 {
		b.fatalf("approve: status %d", status)
	}
	b.wantText(".flash", vi("flash.progress_approve"))
	b.wantText("#"+w.item, vi("flow.state.approved"), "14 phường và 9 xã")
	b.wantText("main .my-part", "100%")
}

// extension: the lead unit asks for a new due date on its overdue task,
// the coordinator grants it.
func (w *workflow) extension(reporter, coordinator *browser) {
	coordinator.open("/review")
	if !reviewHas(coordinator, "overdue-h", "Tỉnh Gia Lai", w.extend) {
		w.t.Errorf("the review does not list %s among Tỉnh Gia Lai's overdue parts before the extension", w.extend)
	}
	newDue := locale.InputDate(w.newDue)
	reporter.open(w.extend)
	reporter.do("ask for a new due date",
		chromedp.SendKeys(chromedp.ID("extDueOn"), newDue),
		chromedp.SendKeys(chromedp.ID("extReason"), "Chờ bố trí kinh phí năm 2027 cho phần mềm."),
	)
	if status := reporter.submit("#extension-submit"); status != 200 {
		reporter.fatalf("extension: status %d: %s", status, reporter.text("main"))
	}
	reporter.wantText(".flash", vi("flash.extension_requested"))
	reporter.wantText("#extensions + .card", vi("flow.extension_state.requested"), "Chờ bố trí kinh phí năm 2027", vi("flow.extension_asked", newDue))

	w.followNotice(coordinator, w.extendNo, newDue)
	coordinator.wantPath(w.extend) // at #extensions
	coordinator.do("comment on the grant", chromedp.SendKeys(chromedp.CSS(`#extensions + .card textarea[name="extComment"]`), "Đồng ý gia hạn."))
	if status := coordinator.submit(`#extensions + .card button.grant`); status != 200 {
		coordinator.fatalf("grant: status %d", status)
	}
	coordinator.wantText(".flash", vi("flash.extension_grant"))
	coordinator.wantText("#extended-note", vi("flow.extended_to", newDue))
	coordinator.wantText("#extensions + .card", vi("flow.extension_state.granted"), vi("flow.due_now", newDue), "Đồng ý gia hạn")
	original := evalJS[string](coordinator, "the plan's due date", fmt.Sprintf(`fetch("/api/v1/tasks/%s").then(r => r.json()).then(t => t.timeFrame.originalDueOn)`,
		strings.TrimPrefix(w.extend, "/tasks/")), chromedp.EvalAwaitPromise)
	coordinator.wantText("main dl", vi("flow.extended_to", newDue), vi("flow.original_due", locale.ISODate(locale.VI, original)))
	coordinator.shot("extension-granted")

	// The review: due soon, extended, and no longer overdue.
	coordinator.open("/review")
	if reviewHas(coordinator, "overdue-h", "Tỉnh Gia Lai", w.extend) {
		w.t.Errorf("the review still lists %s among the overdue parts after the extension", w.extend)
	}
	if !reviewHas(coordinator, "soon-h", "Tỉnh Gia Lai", w.extend) {
		w.t.Errorf("the review does not list %s among the parts due soon after the extension: %s", w.extend, coordinator.text(`section[aria-labelledby="soon-h"]`))
	}
	coordinator.wantText(`section[aria-labelledby="soon-h"]`, vi("flow.extended_to", newDue))
}

// coordinatorRecordsMeeting: from the menu to the meeting form, then on
// the meeting's page its conclusion with two directives, each with a
// lead unit and a deadline; the directives are listed as tasks, open as
// task pages, are found among all tasks, and the review names them
// «theo Kết luận số …».
func (w *workflow) coordinatorRecordsMeeting(b *browser) {
	day, _ := time.Parse(time.DateOnly, w.today)
	soon, later := day.AddDate(0, 0, 10).Format(time.DateOnly), day.AddDate(0, 2, 0).Format(time.DateOnly)

	b.open("/")
	b.headerClick("open the meetings", `header nav a[href="/meetings"]`)
	b.wantH1(vi("meeting.list_title"))
	b.wantText("main", "05/TB-BCĐ") // the demo's conclusions
	b.submit("#meeting-new")
	b.wantH1(vi("meeting.new"))
	b.do("type the meeting",
		chromedp.SetValue(chromedp.ID("heldOn"), locale.InputDate(w.today)),
		chromedp.SendKeys(chromedp.ID("chair"), "Đồng chí Lê Minh Châu, Phó Chủ tịch UBND tỉnh, Trưởng Ban Chỉ đạo"),
		chromedp.SendKeys(chromedp.ID("attendees"), "Các thành viên Ban Chỉ đạo\nSở Khoa học và Công nghệ"),
	)
	b.shot("meeting-new")
	b.submit("#meeting-submit")
	if !strings.HasPrefix(b.location(), "/meetings/") {
		b.fatalf("after recording the meeting: at %s", b.location())
	}
	b.wantText("main", vi("flash.meeting_saved"), vi("meeting.snapshot_hint"))

	field := func(row int, name string) string { return fmt.Sprintf(`[name="d%d.%s"]`, row, name) }
	b.do("type the conclusion and its two directives",
		chromedp.SendKeys(chromedp.ID("number"), "77/TB-BCĐ"),
		chromedp.SendKeys(chromedp.ID("signer"), "Lê Minh Châu"),
		chromedp.SendKeys(chromedp.CSS(field(1, "content")), "Sở Khoa học và Công nghệ hoàn thành kết nối hệ thống một cửa điện tử với Cổng Dịch vụ công quốc gia"),
		chromedp.SetValue(chromedp.CSS(field(1, "lead")), fmt.Sprint(w.app.UnitID(w.t, "GL25.SKHCN"))),
		chromedp.SetValue(chromedp.CSS(field(1, "due")), locale.InputDate(soon)),
		chromedp.SendKeys(chromedp.CSS(field(2, "content")), "Xã Biển Hồ số hóa hồ sơ thủ tục hành chính còn tồn đọng"),
		chromedp.SetValue(chromedp.CSS(field(2, "lead")), fmt.Sprint(w.app.UnitID(w.t, "GL25.X.BIENHO"))),
		chromedp.SetValue(chromedp.CSS(field(2, "due")), locale.InputDate(later)),
	)
	b.shotOf("conclusion-form", "#conclusion-form")
	b.submit("#conclusion-submit")
	b.wantText("main", vi("flash.conclusion_saved"), vi("meeting.conclusion_no", "77/TB-BCĐ"))
	b.wantText("#directives", "kết nối hệ thống một cửa điện tử", "Xã Biển Hồ số hóa", "Sở Khoa học và Công nghệ", locale.InputDate(later))
	if n := evalJS[int](b, "count the directives", `document.querySelectorAll("#directives tbody tr").length`); n != 2 {
		w.t.Errorf("%d directives listed, want 2", n)
	}
	b.shotOf("meeting-directives", "#conclusion")

	// Each directive is a task: its page, and the list of all tasks.
	b.submitWith("open the second directive", chromedp.Click(chromedp.CSS(`#directives tbody tr:nth-child(2) a[href^="/tasks/"]`)))
	b.wantText("main", "Xã Biển Hồ số hóa", "77/TB-BCĐ")
	b.open("/tasks?scope=all&q=" + strings.ReplaceAll("Biển Hồ số hóa hồ sơ", " ", "+"))
	b.wantText("main", "Xã Biển Hồ số hóa hồ sơ thủ tục hành chính còn tồn đọng")

	// The review names the first directive's source (due in ten days).
	b.open("/review")
	b.wantText(`section[aria-labelledby="soon-h"]`, vi("meeting.per_conclusion", "77/TB-BCĐ"))
	b.wantText(`section[aria-labelledby="directives-h"]`, vi("meeting.per_conclusion", "77/TB-BCĐ"), "Xã Biển Hồ số hóa")
	b.shotOf("review-directives", `section[aria-labelledby="directives-h"]`)
}

// leaderOverview: the leader follows the home page's line to the
// overview: the directives of the last meeting with their status, the
// targets by status and by pillar as a chart of bars, the units with the
// most overdue tasks, the 12 months' trend; a directive opens its task, a
// part of a pillar's bar the list of those targets, a unit's figure the
// list of its overdue tasks.
func (w *workflow) leaderOverview(b *browser) {
	t := w.t
	b.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	b.login("lanhdao")
	b.wantText("main", vi("home.overview"))
	b.submit(`main a[href="/overview"]`)
	b.wantPath("/overview")
	b.wantH1(vi("overview.title"))
	b.wantText("#directives-h", vi("overview.directives", "77/TB-BCĐ, "+locale.ISODate(locale.VI, w.today)))
	b.wantText("#directives", "kết nối hệ thống một cửa điện tử", "Xã Biển Hồ số hóa hồ sơ", vi("task.status.not_started"))
	if n := evalJS[int](b, "count the directives", `document.querySelectorAll("#directives li.card").length`); n != 2 {
		t.Errorf("the overview lists %d directives of the last meeting, want 2", n)
	}
	b.wantText("#approvals", "Tỉnh Gia Lai") // Pleiku's reports, its successor's since 2025
	b.wantText("main", vi("overview.units"), vi("overview.trend"), vi("overview.trend_table"))
	if n := evalJS[int](b, "count the bars", `document.querySelectorAll("svg.chart.bars rect.seg").length`); n == 0 {
		t.Errorf("the pillar chart draws no bars")
	}
	if n := evalJS[int](b, "count the trend's points", `document.querySelectorAll("svg.chart.trend circle.point").length`); n != 24 {
		t.Errorf("the trend draws %d points, want 24 (two lines of 12 months)", n)
	}
	b.shot("overview")
	// A directive: its task.
	b.submitWith("open the second directive", chromedp.Click(chromedp.CSS(`#directives li.card:nth-child(2) a[href^="/tasks/"]`)))
	b.wantText("main", "Xã Biển Hồ số hóa", "77/TB-BCĐ")
	// A part of a pillar's bar: the targets behind it.
	b.open("/overview")
	href := b.attr(`svg.chart.bars a:has(rect.seg)`, "href")
	b.submitWith("click a bar", chromedp.Click(chromedp.CSS(`svg.chart.bars a:has(rect.seg) rect.seg`)))
	if got := b.location(); got != href || !strings.HasPrefix(got, "/overview/targets?pillar=") {
		t.Errorf("the bar led to %s, want %s", got, href)
	}
	b.wantH1(vi("overview.targets_title"))
	b.shot("overview-targets")
	// The unit with the most overdue tasks: its list.
	b.open("/overview")
	b.submit(`#overview-units tbody tr:first-child a`)
	if got := b.location(); !strings.HasPrefix(got, "/tasks?") || !strings.Contains(got, "status=overdue") {
		t.Errorf("the unit's figure led to %s", got)
	}
}

// coordinatorNotifications: the coordinator finds the day's reminder
// digests on the home page, opens the notification list, marks one read,
// then all.
func coordinatorNotifications(t *testing.T, b *browser) {
	b.open("/")
	b.wantText("main", vi("notify.home.unread"))
	b.submit(`main a[href="/notifications?unread=1"]`)
	b.wantH1(vi("notify.title"))
	b.wantText("main", "Tổng hợp nhắc việc kế hoạch")
	before := evalJS[int](b, "count the unread", `document.querySelectorAll("li.unread").length`)
	if before == 0 {
		b.fatalf("no unread notifications for the coordinator")
	}
	b.shot("notifications")
	b.submit(`li.unread form button[type=submit]`)
	if after := evalJS[int](b, "count the unread", `document.querySelectorAll("li.unread").length`); after != before-1 {
		t.Errorf("%d unread after marking one read, want %d", after, before-1)
	}
	if before > 1 {
		b.submit(`#read-all`)
		b.wantText("main", vi("flash.notify_read_all"))
	}
	b.open("/notifications?unread=1")
	b.wantText("main", vi("notify.none_unread"))
}
