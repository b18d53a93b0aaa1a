package e2e_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestPlanBrowser is the journey of the programme-management issue, by three
// officials at three computers (three browser contexts of one Chromium):
//
//   - the reporter of Thành phố Pleiku, on a phone, opens "Nhiệm vụ của
//     tôi", finds the tasks of 1331/KH-UBND that the city leads, narrows
//     them to the open ones, opens one and reports it done with a text in
//     Vietnamese and a PDF; the update shows in the history and the file
//     downloads byte for byte;
//   - the coordinator opens "Giao ban" and finds that part among this
//     month's completed ones under Tỉnh Gia Lai, which took over the
//     city's duties when the districts ended on 30/06/2025 (and no longer
//     among the overdue, and the city nowhere), opens it, then prints the
//     review;
//   - the leader opens plan 1331/KH-UBND, sees its 17 targets each with its
//     status and small chart, and one target's full chart.
//
// Same rules as TestBrowser: skipped without TINHSO_TEST_CHROMIUM, SQLite
// always and PostgreSQL with TINHSO_TEST_POSTGRES, screenshots (and the
// printed review as a PDF) with TINHSO_E2E_SHOTS.
func TestPlanBrowser(t *testing.T) {
	inChromium(t, testapp.DemoURLs, func(t *testing.T, app *testapp.App, root *browser) {
		p := planByNumber(t, app, "1331/KH-UBND")
		laps := newLaps()
		r := reporterPostsProgress(t, root.person("1-baocao.pleiku"), app, p)
		laps.lap("reporter")
		coordinatorReviews(t, root.person("2-dieuphoi"), r)
		laps.lap("coordinator")
		leaderReadsTargets(t, root.person("3-lanhdao"), app, p)
		laps.lap("leader")
		t.Logf("plan journey: %s", laps)
	})
}

// laps times the steps of a journey, for its log.
type laps struct {
	tick time.Time
	done []string
}

func newLaps() *laps { return &laps{tick: time.Now()} }

// lap ends the step of who.
func (l *laps) lap(who string) {
	l.done = append(l.done, fmt.Sprintf("%s %s", who, time.Since(l.tick).Round(time.Millisecond)))
	l.tick = time.Now()
}

func (l *laps) String() string { return strings.Join(l.done, ", ") }

// report is what the reporter sent, for the others to find.
type report struct {
	taskID   int64
	number   string // the task's number in the plan, e.g. I.1.1
	text     string
	filename string
	data     []byte
}

// reporterPostsProgress is the reporter of Thành phố Pleiku, on a phone.
func reporterPostsProgress(t *testing.T, b *browser, app *testapp.App, p plan.Plan) report {
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.login("baocao.pleiku")

	// "Nhiệm vụ của tôi", from the main menu.
	b.headerClick("open Nhiệm vụ của tôi", `header nav a[href="/tasks"]`)
	b.wantPath("/tasks")
	b.wantH1(vi("tasks.title"))
	b.wantText("main .intro", vi("tasks.intro", "Thành phố Pleiku"))

	// The tasks of 1331/KH-UBND that the city leads, as the API knows
	// them: all on the page, marked as led by the city.
	pleiku := app.UnitID(t, "GL.PLEIKU")
	var tasks []plan.Task
	status, body, _ := app.Do(t, "baocao.pleiku", "GET", fmt.Sprintf("/api/v1/plans/%d/tasks", p.ID), "")
	if status != 200 {
		t.Fatalf("tasks of %s: %d %s", p.Number, status, body)
	}
	testapp.JSON(t, body, &tasks)
	led, open, alone := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, tk := range tasks {
		for _, a := range tk.LeadUnits {
			if a.Unit.ID == pleiku {
				led[tk.Number] = true
				alone[tk.Number] = len(tk.LeadUnits) == 1
				if a.Status != "done" && a.Status != "cancelled" {
					open[tk.Number] = true
				}
			}
		}
	}
	if len(open) == 0 {
		t.Fatalf("the demo has no open task of %s led by Thành phố Pleiku", p.Number)
	}
	rows := taskRows(b)
	b.wantTaskRows(rows, p.Number, led, vi("task.role.lead"))
	b.shot("my-tasks")

	// Narrowed to the open tasks the city leads, with the filter form.
	b.do("choose lead, open",
		chromedp.SetValue(chromedp.ID("f-role"), "lead"),
		chromedp.SetValue(chromedp.ID("f-status"), "open"),
	)
	b.submit(`form.filters button[type=submit]`)
	if u, err := url.Parse(b.location()); err != nil || u.Path != "/tasks" || u.Query().Get("role") != "lead" || u.Query().Get("status") != "open" {
		b.fatalf("the browser is on %s after filtering, want /tasks with role=lead and status=open", b.location())
	}
	if got := b.value("f-role"); got != "lead" {
		t.Errorf("role filter after filtering = %q, want lead kept", got)
	}
	rows = taskRows(b)
	b.wantTaskRows(rows, p.Number, open, vi("task.role.lead"))
	for _, row := range rows {
		if row.Status == vi("task.status.done") || row.Status == vi("task.status.cancelled") {
			t.Errorf("task %s of %s shows %q among the open tasks", row.Number, row.Plan, row.Status)
		}
	}
	b.shot("my-tasks-open")

	// The first open one of 1331/KH-UBND that the city leads alone, so that
	// its part done is the task done.
	var pick taskRow
	for _, row := range rows {
		if row.Plan == p.Number && open[row.Number] && alone[row.Number] {
			pick = row
			break
		}
	}
	if pick.Href == "" {
		b.fatalf("no open task of %s on the page", p.Number)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(pick.Href, "/tasks/"), 10, 64)
	if err != nil {
		b.fatalf("task link %q: %v", pick.Href, err)
	}
	b.submitWith("open task "+pick.Number, chromedp.Click(chromedp.CSS(`main table.tasks a[href="`+pick.Href+`"]`)))
	b.wantPath(pick.Href)
	b.wantText("main h1", vi("task.heading", pick.Number))
	b.wantText("main .crumbs", p.Number)
	b.wantText("main .my-part", "Thành phố Pleiku", vi("task.role.lead"), pick.Status)
	b.wantNoText("main .my-part", vi("task.status.done"))
	// On a phone the city's own part and the report form come first: the
	// form starts within two screens, not below every other unit's part
	// (it was 8,700 px down on a task of 40 units).
	ctx, cancel := b.step()
	top, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('form[action$="/updates"]').getBoundingClientRect().top + window.scrollY`))
	cancel()
	if err != nil {
		b.fatalf("measure the report form: %v", err)
	}
	if top > 2*844 {
		t.Errorf("the report form starts %.0f px down on a phone, want within two screens (1,688 px)", top)
	}

	// The report: done, 100 %, a text with diacritics and a real PDF.
	r := report{
		taskID:   id,
		number:   pick.Number,
		text:     "Đã hoàn thành nhiệm vụ " + pick.Number + ": ban hành kế hoạch của UBND thành phố, tập huấn cho 23 phường, xã; đính kèm biên bản kiểm tra.",
		filename: "Biên bản kiểm tra nhiệm vụ " + pick.Number + ".pdf",
		data:     tinyPDF("Bien ban kiem tra - Thanh pho Pleiku - " + pick.Number),
	}
	file := filepath.Join(t.TempDir(), r.filename)
	if err := os.WriteFile(file, r.data, 0o644); err != nil {
		t.Fatal(err)
	}
	b.wantText("main #report-heading", vi("task.report_heading"))
	if got := b.selectedText("assignmentId"); !strings.Contains(got, "Thành phố Pleiku") {
		t.Errorf("the report form is for %q, want Thành phố Pleiku's part", got)
	}
	b.do("fill the progress report",
		chromedp.SetValue(chromedp.ID("status"), "done"),
		chromedp.Clear(chromedp.ID("progress")),
		chromedp.SendKeys(chromedp.ID("progress"), "100"),
		chromedp.SendKeys(chromedp.ID("report"), r.text),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
	)
	if got := b.value("report"); got != r.text {
		t.Errorf("the report box holds %q, want %q", got, r.text)
	}
	// (The page of a task with 40 units is too long to keep whole.)
	b.shotOf("task-report-form", `main form[action$="/updates"]`)
	if status := b.submit(`form[action$="/updates"] button[type=submit]`); status != 200 {
		t.Errorf("progress report: status %d, want 200 after the redirect", status)
	}
	// The demo's plans need approval: the report waits for the city's
	// approver (TestPlanWorkflowBrowser walks that in the browser).
	b.wantPath(fmt.Sprintf("/tasks/%d?ok=progress_submit", id))
	b.wantText(".flash", vi("flash.progress_submit"))

	// The history: the new update on top, with its file; the city's part
	// done.
	b.wantText("#history", vi("task.history"))
	b.wantText("main ol.history > li", "Hoàng Văn Em", "Thành phố Pleiku", vi("task.status.done"), "100%", r.text, r.filename)
	b.wantText("main ol.history > li", vi("flow.state.submitted"))
	if got := strings.TrimSpace(b.text(`main ol.history > li a[download]`)); got != r.filename {
		t.Errorf("attachment link shows %q, want %q", got, r.filename)
	}
	b.shotOf("task-reported-part", `main .my-part`)
	b.shotOf("task-reported-history", `main ol.history > li`)

	// The link downloads the very bytes sent, with the file's name, in this
	// browser's session.
	href := b.attr(`main ol.history > li a[download]`, "href")
	got := b.fetch(href)
	if got.Status != 200 {
		t.Fatalf("GET %s: status %d", href, got.Status)
	}
	if data, err := base64.StdEncoding.DecodeString(got.Body); err != nil || !bytes.Equal(data, r.data) {
		t.Errorf("GET %s: %d bytes (%v), want the %d bytes sent", href, len(data), err, len(r.data))
	}
	if got.Type != "application/pdf" {
		t.Errorf("GET %s: Content-Type %q, want application/pdf", href, got.Type)
	}
	if _, params, err := mime.ParseMediaType(got.Disposition); err != nil || params["filename"] != r.filename {
		t.Errorf("GET %s: Content-Disposition %q (%v), want the file name %q", href, got.Disposition, err, r.filename)
	}

	// The API has the same update, text and file intact.
	var detail plan.TaskDetail
	status, body, _ = app.Do(t, "baocao.pleiku", "GET", fmt.Sprintf("/api/v1/tasks/%d", id), "")
	if status != 200 {
		t.Fatalf("GET /api/v1/tasks/%d: %d %s", id, status, body)
	}
	testapp.JSON(t, body, &detail)
	if len(detail.Updates) == 0 {
		t.Fatalf("task %s has no updates in the API", r.number)
	}
	u := detail.Updates[0]
	if u.Body != r.text || u.Status != "done" || u.Progress != 100 || u.Author != "Hoàng Văn Em" || u.Unit == nil || u.Unit.ID != pleiku {
		t.Errorf("latest update in the API = %+v, want Hoàng Văn Em's report for Thành phố Pleiku, done, 100 %%, %q", u, r.text)
	}
	if len(u.Attachments) != 1 || u.Attachments[0].Filename != r.filename || u.Attachments[0].Size != int64(len(r.data)) {
		t.Fatalf("attachments of the update in the API = %+v, want %s (%d bytes)", u.Attachments, r.filename, len(r.data))
	}
	status, body, _ = app.Do(t, "baocao.pleiku", "GET", fmt.Sprintf("/api/v1/attachments/%d", u.Attachments[0].ID), "")
	if status != 200 || !bytes.Equal(body, r.data) {
		t.Errorf("GET /api/v1/attachments/%d: status %d, %d bytes, want the %d bytes sent", u.Attachments[0].ID, status, len(body), len(r.data))
	}
	// The city's approver approves it: now the part is done.
	if status, body, _ := app.Do(t, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/task-updates/%d/approve", u.ID), `{}`); status != 200 {
		t.Fatalf("approve: %d %s", status, body)
	}
	b.open(fmt.Sprintf("/tasks/%d", id))
	b.wantText("main .my-part", vi("task.status.done"), "100%")
	return r
}

// coordinatorReviews is the coordinator of the Steering Committee, on a
// desktop.
func coordinatorReviews(t *testing.T, b *browser, r report) {
	b.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	b.login("dieuphoi")

	month := org.Today()[:7]
	heading := vi("review.heading", monthLabelVI(month))
	b.headerClick("open Giao ban", `header nav a[href="/review"]`)
	b.wantPath("/review")
	b.wantH1(heading)
	if got, want := b.value("month"), locale.InputMonth(month); got != want {
		t.Errorf("review month = %q, want this month %s", got, want)
	}

	// This month's completed parts, by lead unit: the reported task under
	// Tỉnh Gia Lai, the city's heir since 01/07/2025, and no longer among
	// the overdue ones; the city, which ended, is in no list.
	taskHref := fmt.Sprintf("/tasks/%d", r.taskID)
	if !reviewHas(b, "done-h", "Tỉnh Gia Lai", taskHref) {
		t.Errorf("task %s (%s) is not among this month's completed parts of Tỉnh Gia Lai; the section shows:\n%s",
			r.number, taskHref, b.text(`section[aria-labelledby="done-h"]`))
	}
	if reviewHas(b, "overdue-h", "Tỉnh Gia Lai", taskHref) {
		t.Errorf("task %s is still among the overdue parts of Tỉnh Gia Lai after it was reported done", r.number)
	}
	b.wantText(`section[aria-labelledby="done-h"]`, vi("review.completed"), "Tỉnh Gia Lai", r.number, vi("task.status.done"))
	b.wantNoText("main", "Thành phố Pleiku")
	b.shot("review")
	b.shotOf("review-completed-pleiku", `section[aria-labelledby="done-h"] tbody:has(a[href="`+taskHref+`"])`)

	// The task, from the review: the report and its file.
	b.submitWith("open task "+r.number+" from the review",
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="done-h"] a[href="`+taskHref+`"]`)))
	b.wantPath(taskHref)
	b.wantText("main h1", vi("task.heading", r.number))
	b.wantText("main ol.history > li", "Hoàng Văn Em", "Thành phố Pleiku", r.text, r.filename)
	b.shotOf("task-from-review-history", `main ol.history > li`)

	// The print view, from the review's button: the document without the
	// menus and the month form, the print button shown by the script, and
	// Chromium prints it.
	b.headerClick("back to Giao ban", `header nav a[href="/review"]`)
	b.submitWith("open Bản in", chromedp.Click(chromedp.CSS(`main a[href^="/review/print"]`)))
	b.wantPath("/review/print?month=" + month)
	b.wantH1(heading)
	// The short review in the administrative layout (Quốc hiệu, tiêu
	// ngữ, nơi nhận), then the full lists as its appendix.
	b.wantText("main #short-review", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Nơi nhận:")
	b.wantText("main .doc-kicker", strings.ToUpper(vi("document.appendix")))
	b.wantText("main", vi("review.total_overdue"), vi("review.league"))
	if !reviewHas(b, "done-h", "Tỉnh Gia Lai", taskHref) {
		t.Errorf("the print view does not list task %s among Tỉnh Gia Lai's completed parts", r.number)
	}
	if n := evalJS[int](b, "count the forms", `document.querySelectorAll("main form").length`); n != 0 {
		t.Errorf("the print view has %d forms in its content, want none", n)
	}
	if !evalJS[bool](b, "is the print button shown", `(() => { const p = document.querySelector("[data-print]"); return !!p && !p.hidden && p.getBoundingClientRect().width > 0 })()`) {
		t.Error("the print view's print button is not shown (app.js did not run?)")
	}
	b.wantText("[data-print]", vi("review.print_now"))
	b.shot("review-print")
	ctx, cancel := b.step()
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
	cancel()
	if err != nil {
		b.fatalf("print the review to PDF: %v", err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 10_000 {
		t.Errorf("the printed review is %d bytes starting %q, want a PDF", len(pdf), pdf[:min(8, len(pdf))])
	}
	if b.shots != "" {
		if err := os.WriteFile(filepath.Join(b.shots, b.prefix+"review-print.pdf"), pdf, 0o644); err != nil {
			t.Error(err)
		}
	}
	// As printed: the menus, the buttons and the footer left out, the
	// sections kept.
	b.do("emulate print media", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	shown := evalJS[map[string]bool](b, "what prints", `Object.fromEntries(["header.top", "footer", "main .actions", "main h1", "section[aria-labelledby=done-h]", "section[aria-labelledby=league-h]"].map(sel => {
		const el = document.querySelector(sel);
		return [sel, !!el && el.getClientRects().length > 0];
	}))`)
	for sel, want := range map[string]bool{"header.top": false, "footer": false, "main .actions": false, "main h1": true,
		"section[aria-labelledby=done-h]": true, "section[aria-labelledby=league-h]": true} {
		if shown[sel] != want {
			t.Errorf("printed review: %s shown = %t, want %t", sel, shown[sel], want)
		}
	}
	// Badges print as black outlines, whatever their status's colour.
	if bg := evalJS[string](b, "a badge's background", `getComputedStyle(document.querySelector("section[aria-labelledby=done-h] .badge.status")).backgroundColor`); bg != "rgba(0, 0, 0, 0)" {
		t.Errorf("printed review: a status badge has the background %s, want none", bg)
	}
	b.shot("review-print-media")
	b.do("back to screen media", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		return err
	}))
}

// leaderReadsTargets is the leader of the Steering Committee, on a desktop.
func leaderReadsTargets(t *testing.T, b *browser, app *testapp.App, p plan.Plan) {
	b.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	b.login("lanhdao")

	b.headerClick("open Kế hoạch", `header nav a[href="/plans"]`)
	b.wantH1(vi("plans.title"))
	b.wantText("main", p.Number)
	planHref := fmt.Sprintf("/plans/%d", p.ID)
	b.submitWith("open "+p.Number, chromedp.Click(chromedp.CSS(`main a[href="`+planHref+`"]`)))
	b.wantPath(planHref)
	b.wantText("main h1", p.Number)

	// Every target, with its status in words and its small chart, as the
	// API computes them.
	var targets []plan.Target
	status, body, _ := app.Do(t, "lanhdao", "GET", fmt.Sprintf("/api/v1/plans/%d/targets", p.ID), "")
	if status != 200 {
		t.Fatalf("targets of %s: %d %s", p.Number, status, body)
	}
	testapp.JSON(t, body, &targets)
	if len(targets) != 17 {
		t.Fatalf("%s has %d targets in the API, want 17", p.Number, len(targets))
	}
	b.wantText("main h2#targets", fmt.Sprintf("%s (%d)", vi("plan.targets"), len(targets)))
	rows := evalJS[[]targetRow](b, "read the targets table", `[...document.querySelectorAll("main table.targets tbody tr:not(.group-row)")].map(tr => {
		const badge = tr.querySelector(".badge.status");
		const svg = tr.querySelector("svg.chart");
		const title = svg && svg.querySelector(":scope > title");
		return {
			code: tr.cells[0].innerText.trim(),
			href: tr.cells[1].querySelector("a").getAttribute("href"),
			statement: tr.cells[1].querySelector("a").innerText.trim(),
			status: badge ? badge.innerText.trim() : "",
			chart: title ? title.textContent.trim() : "",
		};
	})`)
	if len(rows) != len(targets) {
		b.fatalf("the plan page lists %d targets, want %d", len(rows), len(targets))
	}
	statuses := map[string]bool{}
	for _, s := range []string{"achieved", "on_track", "at_risk", "off_track", "no_data"} {
		statuses[vi("target.status."+s)] = true
	}
	for i, tg := range targets {
		row := rows[i]
		if row.Code != tg.Code || row.Statement != tg.Statement || row.Href != fmt.Sprintf("/targets/%d", tg.ID) {
			t.Errorf("target row %d = %s %q → %s, want %s %q", i+1, row.Code, row.Statement, row.Href, tg.Code, tg.Statement)
		}
		if !statuses[row.Status] || row.Status != vi("target.status."+tg.Status) {
			t.Errorf("target %s shows status %q, want %q", tg.Code, row.Status, vi("target.status."+tg.Status))
		}
		if row.Chart != vi("chart.title", tg.Statement) {
			t.Errorf("target %s: small chart titled %q, want %q", tg.Code, row.Chart, vi("chart.title", tg.Statement))
		}
	}
	b.shot("plan")

	// One target with values: its page, its assessment and its chart.
	i := slices.IndexFunc(targets, func(tg plan.Target) bool { return len(tg.Actuals) > 0 })
	if i < 0 {
		t.Fatalf("no target of %s has values in the demo", p.Number)
	}
	tg := targets[i]
	b.submitWith("open target "+tg.Code, chromedp.Click(chromedp.CSS(`main table.targets a[href="`+rows[i].Href+`"]`)))
	b.wantPath(rows[i].Href)
	b.wantH1(tg.Statement)
	b.wantText("main .status-card", vi("target.assessment"), vi("target.status."+tg.Status))
	b.wantText("main h2#chart", vi("target.chart"))
	chart := evalJS[chartInfo](b, "read the visible chart", `(() => {
		const svg = [...document.querySelectorAll("main svg.chart")].find(s => s.getBoundingClientRect().width > 0);
		if (!svg) return {title: "", points: 0, milestones: 0, width: 0};
		return {
			title: svg.querySelector(":scope > title").textContent.trim(),
			points: svg.querySelectorAll("circle.point").length,
			milestones: svg.querySelectorAll("path.milestone").length,
			width: Math.round(svg.getBoundingClientRect().width),
		};
	})()`)
	if chart.Width < 300 {
		t.Errorf("target %s: the chart shown is %d px wide, want a full chart", tg.Code, chart.Width)
	}
	if chart.Title != vi("chart.title", tg.Statement) {
		t.Errorf("target %s: chart titled %q, want %q", tg.Code, chart.Title, vi("chart.title", tg.Statement))
	}
	if chart.Points != len(tg.Actuals) || chart.Milestones != len(tg.Milestones) {
		t.Errorf("target %s: chart has %d values and %d milestones, want %d and %d",
			tg.Code, chart.Points, chart.Milestones, len(tg.Actuals), len(tg.Milestones))
	}
	b.wantText("main figure", vi("chart.legend_actual"), vi("chart.legend_milestone"))
	b.shot("target")
}

type taskRow struct {
	Plan   string `json:"plan"`
	Number string `json:"number"`
	Href   string `json:"href"`
	Status string `json:"status"`
	Role   string `json:"role"`
}

type targetRow struct {
	Code      string `json:"code"`
	Href      string `json:"href"`
	Statement string `json:"statement"`
	Status    string `json:"status"`
	Chart     string `json:"chart"`
}

type chartInfo struct {
	Title      string `json:"title"`
	Points     int    `json:"points"`
	Milestones int    `json:"milestones"`
	Width      int    `json:"width"`
}

// taskRows reads the task table of the page: plan, number, link, the shown
// status and role.
func taskRows(b *browser) []taskRow {
	b.t.Helper()
	return evalJS[[]taskRow](b, "read the task table", `[...document.querySelectorAll("main table.tasks tbody")].flatMap(tb => {
		const group = tb.querySelector("tr.group-row a");
		const plan = group ? group.innerText.trim() : "";
		return [...tb.querySelectorAll("tr:not(.group-row)")].map(tr => {
			const cell = tr.cells[5];
			const role = cell.querySelector(".muted");
			return {
				plan,
				number: tr.querySelector("td.num").innerText.trim(),
				href: tr.querySelector("td.desc a").getAttribute("href"),
				status: cell.querySelector(".badge.status").innerText.trim(),
				role: role ? role.innerText.trim() : "",
			};
		});
	})`)
}

// wantTaskRows checks that the rows of plan number with role are exactly
// the tasks want.
func (b *browser) wantTaskRows(rows []taskRow, number string, want map[string]bool, role string) {
	b.t.Helper()
	got := map[string]bool{}
	for _, row := range rows {
		if row.Plan == number && row.Role == role {
			got[row.Number] = true
		}
	}
	for n := range want {
		if !got[n] {
			b.t.Errorf("%s: task %s of %s (%s) is not listed", b.location(), n, number, role)
		}
	}
	for n := range got {
		if !want[n] {
			b.t.Errorf("%s: task %s of %s is listed as %s, which the API does not say", b.location(), n, number, role)
		}
	}
}

// reviewHas reports whether the review section headed by id lists the task
// at href under unit.
func reviewHas(b *browser, id, unit, href string) bool {
	b.t.Helper()
	return evalJS[bool](b, "read the review section "+id, fmt.Sprintf(`[...document.querySelectorAll(%q)].some(tb => {
		const th = tb.querySelector("tr.group-row th");
		return th && th.firstChild.textContent.trim() === %q && !!tb.querySelector(%q);
	})`, `section[aria-labelledby="`+id+`"] tbody`, unit, `a[href="`+href+`"]`))
}

// login signs a demo user in through the login form.
func (b *browser) login(username string) {
	b.t.Helper()
	i := slices.IndexFunc(demo.Accounts, func(a demo.Account) bool { return a.Username == username })
	if i < 0 {
		b.t.Fatalf("no demo account %s", username)
	}
	b.open("/login")
	b.wantH1(vi("login.title"))
	b.do("type "+username+"'s credentials",
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
	)
	b.submit(`form[action="/login"] button[type=submit]`)
	b.wantPath("/")
	b.wantH1(vi("home.hello", demo.Accounts[i].FullName))
}

// selectedText is the text of the option chosen in the select box id.
func (b *browser) selectedText(id string) string {
	b.t.Helper()
	return evalJS[string](b, "read #"+id, fmt.Sprintf(`document.getElementById(%q).selectedOptions[0].textContent`, id))
}

// download is an answer fetched by the page, its body in base64.
type download struct {
	Status      int    `json:"status"`
	Type        string `json:"type"`
	Disposition string `json:"disposition"`
	Body        string `json:"body"`
}

// fetch GETs path from the page, with the browser's session.
func (b *browser) fetch(path string) download {
	b.t.Helper()
	return evalJS[download](b, "fetch "+path, fmt.Sprintf(`(async () => {
		const res = await fetch(%q, {credentials: "same-origin"});
		const buf = new Uint8Array(await res.arrayBuffer());
		let bin = "";
		for (const c of buf) bin += String.fromCharCode(c);
		return {
			status: res.status,
			type: res.headers.get("Content-Type") || "",
			disposition: res.headers.get("Content-Disposition") || "",
			body: btoa(bin),
		};
	})()`, path), chromedp.EvalAwaitPromise)
}

// evalJS evaluates a JavaScript expression on the page, failing the test
// with what on error.
func evalJS[T any](b *browser, what, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	return v
}

// planByNumber finds a plan through the API.
func planByNumber(t *testing.T, app *testapp.App, number string) plan.Plan {
	t.Helper()
	status, body, _ := app.Do(t, "lanhdao", "GET", "/api/v1/plans", "")
	if status != 200 {
		t.Fatalf("GET /api/v1/plans: %d %s", status, body)
	}
	var plans []plan.Plan
	testapp.JSON(t, body, &plans)
	for _, p := range plans {
		if p.Number == number {
			return p
		}
	}
	t.Fatalf("plan %s is not in the demo", number)
	return plan.Plan{}
}

// monthLabelVI names a month (YYYY-MM) as the review's heading does.
func monthLabelVI(month string) string {
	m, err := time.Parse("2006-01", month)
	if err != nil {
		panic(err)
	}
	return vi("review.month_label", int(m.Month()), m.Year(), m.Month().String())
}

// tinyPDF is a one-page PDF 1.4 document showing line (ASCII), with a
// correct cross-reference table.
func tinyPDF(line string) []byte {
	content := fmt.Sprintf("BT /F1 16 Tf 72 760 Td (%s) Tj ET", line)
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var buf bytes.Buffer
	buf.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = buf.Len()
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return buf.Bytes()
}
