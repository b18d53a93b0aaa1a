package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tinhso/tinhso/internal/testapp"
)

// TestPlanWorkflowBrowser is the programme workflow of issue 11 in
// Chromium, by three officials at three computers:
//
//   - Pleiku's reporter submits a progress report for approval;
//   - Pleiku's approver returns it with a comment;
//   - the reporter fixes it (done, 100 %) and submits it again;
//   - the approver approves it, and the coordinator's review counts it
//     among this month's completed parts;
//   - the reporter, for a lead unit, asks for a new due date on another
//     task, and the coordinator grants it: the task says «đã gia hạn đến …».
//
// Same rules as TestBrowser: skipped without TINHSO_TEST_CHROMIUM, SQLite
// always and PostgreSQL with TINHSO_TEST_POSTGRES.
func TestPlanWorkflowBrowser(t *testing.T) {
	chromium := needChromium(t)
	for engine, dbURL := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			start := time.Now()
			app := testapp.New(t, dbURL)
			root := newBrowser(t, chromium, app.URL)
			// Two of Pleiku's open lead parts in 1331/KH-UBND without a
			// report waiting, fewest lead units first (the review counts a
			// part of the province's when all its predecessors' are done):
			// one to report on, one to extend.
			rows, err := app.DB.Read.Query(`SELECT t.id FROM tasks t JOIN plans p ON p.id = t.plan_id JOIN task_assignments a ON a.task_id = t.id JOIN org_units u ON u.id = a.unit_id
				WHERE p.number = '1331/KH-UBND' AND u.code = 'GL.PLEIKU' AND a.role = 'lead' AND a.ended_on = '' AND a.status <> 'done' AND t.due_on <> ''
				AND NOT EXISTS (SELECT 1 FROM task_updates x WHERE x.assignment_id = a.id AND x.state <> 'approved')
				ORDER BY (SELECT COUNT(*) FROM task_assignments c WHERE c.task_id = t.id AND c.role = 'lead' AND c.ended_on = ''), t.id LIMIT 2`)
			if err != nil {
				t.Fatal(err)
			}
			var tasks []int64
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				tasks = append(tasks, id)
			}
			rows.Close()
			if len(tasks) < 2 {
				t.Fatalf("Pleiku leads %d open tasks of 1331/KH-UBND", len(tasks))
			}
			report, extend := fmt.Sprintf("/tasks/%d", tasks[0]), fmt.Sprintf("/tasks/%d", tasks[1])
			// The new due date: a year after the current one.
			var due string
			app.DB.Read.QueryRow(`SELECT due_on FROM tasks WHERE id = $1`, tasks[1]).Scan(&due)
			d, err := time.Parse(time.DateOnly, due)
			if err != nil {
				t.Fatalf("due date %q: %v", due, err)
			}
			newDue := d.AddDate(1, 0, 0).Format("02/01/2006")

			reporter := root.person("1-baocao.pleiku")
			reporter.login("baocao.pleiku")
			reporter.open(report)
			reporter.do("fill a progress report",
				chromedp.SetValue(chromedp.ID("status"), "in_progress"),
				chromedp.Clear(chromedp.ID("progress")),
				chromedp.SendKeys(chromedp.ID("progress"), "60"),
				chromedp.SendKeys(chromedp.ID("report"), "Đã triển khai 60%: 14 phường đã có kế hoạch."),
			)
			if status := reporter.submit("#report-submit"); status != 200 {
				t.Fatalf("submit: status %d", status)
			}
			reporter.wantText(".flash", vi("flash.progress_submit"))
			item := evalJS[string](reporter, "the newest report", `document.querySelector("ol.history > li").id`)
			reporter.wantText("#"+item, vi("flow.state.submitted"), vi("flow.not_counted"))
			id := strings.TrimPrefix(item, "report-")

			approver := root.person("2-pheduyet.pleiku")
			approver.login("pheduyet.pleiku")
			approver.open(report)
			approver.do("write why it goes back", chromedp.SendKeys(chromedp.ID("decision-"+id), "Thiếu số liệu của 9 xã; đề nghị bổ sung."))
			if status := approver.submit("#" + item + " button.return"); status != 200 {
				t.Fatalf("return: status %d", status)
			}
			approver.wantText(".flash", vi("flash.progress_return"))
			approver.wantText("#"+item, vi("flow.state.returned"), "Thiếu số liệu của 9 xã")

			reporter.open(report)
			reporter.wantText("#"+item, vi("flow.state.returned"), "Thiếu số liệu của 9 xã", vi("flow.fix_and_resubmit"))
			reporter.do("fix the report",
				chromedp.SetValue(chromedp.ID("rs-status-"+id), "done"),
				chromedp.Clear(chromedp.ID("rs-progress-"+id)),
				chromedp.SendKeys(chromedp.ID("rs-progress-"+id), "100"),
				chromedp.Clear(chromedp.ID("rs-report-"+id)),
				chromedp.SendKeys(chromedp.ID("rs-report-"+id), "Hoàn thành: 14 phường và 9 xã đã có kế hoạch, có số liệu từng xã."),
			)
			if status := reporter.submit("#" + item + " .resubmit-button"); status != 200 {
				t.Fatalf("resubmit: status %d", status)
			}
			reporter.wantText(".flash", vi("flash.progress_submit"))
			reporter.wantNoText("main .my-part", "100%")

			approver.open(report)
			if status := approver.submit("#" + item + " button.approve"); status != 200 {
				t.Fatalf("approve: status %d", status)
			}
			approver.wantText(".flash", vi("flash.progress_approve"))
			approver.wantText("#"+item, vi("flow.state.approved"), "14 phường và 9 xã")

			coordinator := root.person("3-dieuphoi")
			coordinator.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
			coordinator.login("dieuphoi")
			coordinator.open("/review")
			if !reviewHas(coordinator, "done-h", "Tỉnh Gia Lai", report) {
				t.Errorf("the review does not count the approved report among this month's completed parts: %s", coordinator.text(`section[aria-labelledby="done-h"]`))
			}
			coordinator.wantText(`section[aria-labelledby="waiting-h"]`, vi("review.waiting"))

			// The lead unit asks for a new due date; the coordinator grants it.
			reporter.open(extend)
			reporter.do("ask for a new due date",
				chromedp.SendKeys(chromedp.ID("extDueOn"), newDue),
				chromedp.SendKeys(chromedp.ID("extReason"), "Chờ bố trí kinh phí năm 2027 cho phần mềm."),
			)
			if status := reporter.submit("#extension-submit"); status != 200 {
				t.Fatalf("extension: status %d: %s", status, reporter.text("main"))
			}
			reporter.wantText(".flash", vi("flash.extension_requested"))
			reporter.wantText("#extensions + .card", vi("flow.extension_state.requested"), "Chờ bố trí kinh phí năm 2027")

			coordinator.open(extend)
			coordinator.do("comment on the grant", chromedp.SendKeys(chromedp.CSS(`#extensions + .card textarea[name="extComment"]`), "Đồng ý gia hạn."))
			if status := coordinator.submit(`#extensions + .card button.grant`); status != 200 {
				t.Fatalf("grant: status %d", status)
			}
			coordinator.wantText(".flash", vi("flash.extension_grant"))
			coordinator.wantText("#extended-note", vi("flow.extended_to", newDue))
			coordinator.wantText("#extensions + .card", vi("flow.extension_state.granted"))

			for _, b := range []*browser{root, reporter, approver, coordinator} {
				b.checkConsole()
			}
			t.Logf("%s: workflow journey took %s", engine, time.Since(start).Round(time.Millisecond))
		})
	}
}
