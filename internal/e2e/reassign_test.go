package e2e_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestReassignBrowser is the coordinator of Gia Lai (dieuphoi), on a
// desktop, dealing with a task nobody answers for (issue 6, part 7):
//
//   - the home page counts the tasks to be reassigned and links to the
//     review's section «Cần giao lại»; its first task has no lead unit
//     (Bình Định's conference named none) and is in no list by unit;
//   - from the review, the task page says it is to be reassigned; the
//     coordinator picks Sở Khoa học và Công nghệ as lead unit in the unit
//     picker of the reassignment form and saves;
//   - the task page shows the unit and no longer the note; back in the
//     review the task has left «Cần giao lại» and is among Sở KH&CN's
//     overdue parts (its due date, in 2023, has passed).
//
// Same rules as TestBrowser: skipped without TINHSO_TEST_CHROMIUM, SQLite
// always and PostgreSQL with TINHSO_TEST_POSTGRES, screenshots with
// TINHSO_E2E_SHOTS.
func TestReassignBrowser(t *testing.T) {
	inChromium(t, testapp.DemoURLs, func(t *testing.T, app *testapp.App, root *browser) {
		coordinatorReassigns(t, root.person("4-dieuphoi-reassign"), app)
	})
}

func coordinatorReassigns(t *testing.T, b *browser, app *testapp.App) {
	b.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	b.login("dieuphoi")
	month := org.Today()[:7]

	// The home page: how many tasks wait, and where.
	b.wantText("main", vi("home.plan.reassign"))
	b.submitWith("follow the tasks to reassign", chromedp.Click(chromedp.CSS(`main a[href="/review?month=`+month+`#reassign-h"]`)))
	b.wantH1(vi("review.heading", monthLabelVI(month)))
	b.wantText(`section[aria-labelledby="reassign-h"]`, vi("review.reassign"), vi("review.reassign_no_lead"))
	b.shotOf("review-reassign", `section[aria-labelledby="reassign-h"]`)

	href := b.attr(`section[aria-labelledby="reassign-h"] tbody tr a[href^="/tasks/"]`, "href")
	id, err := strconv.ParseInt(strings.TrimPrefix(href, "/tasks/"), 10, 64)
	if err != nil {
		b.fatalf("first task to reassign links %q", href)
	}
	var before plan.TaskDetail
	status, body, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/tasks/%d", id), "")
	if status != 200 {
		t.Fatalf("task %d: %d %s", id, status, body)
	}
	testapp.JSON(t, body, &before)
	if !before.Reassign || len(before.LeadUnits) != 0 || before.TimeFrame.DueOn == "" || before.TimeFrame.DueOn >= org.Today() {
		t.Fatalf("task %s: reassign %v, %d lead units, due %q; want one without lead unit, past due", before.Number, before.Reassign, len(before.LeadUnits), before.TimeFrame.DueOn)
	}
	skhcn := app.UnitID(t, "GL25.SKHCN")
	unitName := "Sở Khoa học và Công nghệ — tỉnh Gia Lai" // as pages name it, with its province
	if reviewHas(b, "overdue-h", unitName, href) {
		t.Fatalf("task %s, which nobody answers for, is among the overdue parts of %s", before.Number, unitName)
	}

	// The task page, from the review.
	b.submitWith("open task "+before.Number+" from the review",
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="reassign-h"] a[href="`+href+`"]`)))
	b.wantPath(href)
	b.wantText("#reassign-note", vi("task.reassign"), vi("task.reassign_no_lead"))
	b.wantText("#units-form", vi("task.units_heading"))

	// The unit picker: today's units of the province; a click picks one.
	option := fmt.Sprintf(`#lead option[value="%d"]`, skhcn)
	if got := strings.TrimSpace(b.text(option)); !strings.Contains(got, unitName+" (GL25.SKHCN)") {
		t.Errorf("the picker's option for Sở KH&CN reads %q", got)
	}
	if n := evalJS[int](b, "count the picked lead units", `document.querySelectorAll("#lead option:checked").length`); n != 0 {
		t.Errorf("%d lead units picked before the coordinator chose, want none", n)
	}
	b.do("pick Sở KH&CN as lead unit",
		chromedp.ScrollIntoView(chromedp.CSS(option)),
		chromedp.Click(chromedp.CSS(option)),
	)
	if picked := evalJS[[]string](b, "read the picked lead units", `[...document.querySelectorAll("#lead option:checked")].map(o => o.value)`); len(picked) != 1 || picked[0] != strconv.FormatInt(skhcn, 10) {
		b.fatalf("lead units picked: %v, want only Sở KH&CN (%d)", picked, skhcn)
	}
	b.shotOf("task-units-form", "#units-form + form")
	if status := b.submit(`#units-submit`); status != 200 {
		t.Errorf("save the units: status %d, want 200 after the redirect", status)
	}
	b.wantPath(fmt.Sprintf("/tasks/%d?ok=units_saved", id))
	b.wantText(".flash", vi("flash.units_saved"))
	// The coordinator's own unit: its part comes first on the page.
	b.wantText("main .my-part", unitName, vi("task.role.lead"))
	if n := evalJS[int](b, "look for the note", `document.querySelectorAll("#reassign-note").length`); n != 0 {
		t.Error("the task page still says the task is to be reassigned")
	}
	b.shotOf("task-units-saved", "main .my-part")

	// Back in the review: the task has moved.
	b.headerClick("back to Giao ban", `header nav a[href="/review"]`)
	if got := evalJS[int](b, "find the task among those to reassign", fmt.Sprintf(`document.querySelectorAll('section[aria-labelledby="reassign-h"] a[href="%s"]').length`, href)); got != 0 {
		t.Errorf("task %s is still to be reassigned in the review", before.Number)
	}
	if !reviewHas(b, "overdue-h", unitName, href) {
		t.Errorf("task %s is not among the overdue parts of %s; the section shows:\n%s", before.Number, unitName, b.text(`section[aria-labelledby="overdue-h"]`))
	}
	b.shotOf("review-after-reassign", `section[aria-labelledby="overdue-h"] tbody:has(a[href="`+href+`"])`)

	// The API agrees, and the audit trail has the change.
	status, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/tasks/%d", id), "")
	var after plan.TaskDetail
	testapp.JSON(t, body, &after)
	if status != 200 || after.Reassign || len(after.LeadUnits) != 1 || after.LeadUnits[0].Unit.ID != skhcn {
		t.Errorf("task %s after: %d, reassign %v, lead %+v", before.Number, status, after.Reassign, after.LeadUnits)
	}
	var n int
	if err := app.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE kind = 'task.reassign' AND actor = 'dieuphoi' AND subject = $1`, before.Number).Scan(&n); err != nil || n != 1 {
		t.Errorf("audit rows of the reassignment: %d (%v)", n, err)
	}
}
