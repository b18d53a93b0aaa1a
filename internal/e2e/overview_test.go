package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tinhso/tinhso/internal/testapp"
)

// TestOverviewBrowser (issue 11, parts 4 and 7), on a desktop:
//
//   - the leader of Gia Lai (lanhdao) follows the home page's line to the
//     overview: the targets by status and by pillar as a chart of bars,
//     the units with the most overdue tasks, the 12 months' trend; a part
//     of a pillar's bar opens the list of those targets, a unit's figure
//     the list of its overdue tasks;
//   - the coordinator (dieuphoi) finds the day's reminder digests on the
//     home page, opens the notification list, marks one read, then all.
//
// Same rules as TestBrowser: skipped without TINHSO_TEST_CHROMIUM, SQLite
// always and PostgreSQL with TINHSO_TEST_POSTGRES, screenshots with
// TINHSO_E2E_SHOTS.
func TestOverviewBrowser(t *testing.T) {
	chromium := needChromium(t)
	shots := shotsDir(t)
	for engine, dbURL := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			app := testapp.New(t, dbURL)
			root := newBrowser(t, chromium, app.URL)
			if shots != "" {
				root.shots = filepath.Join(shots, string(engine))
				if err := os.MkdirAll(root.shots, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			leader := root.person("5-lanhdao-overview")
			leaderOverview(t, leader)
			leader.checkConsole()

			// The morning's reminders: 08:00 in Vietnam today.
			now := time.Now().In(time.FixedZone("ICT", 7*3600))
			morning := time.Date(now.Year(), now.Month(), now.Day(), 8, 0, 0, 0, now.Location())
			app.Server.Notify.Now = func() time.Time { return morning }
			if _, err := app.Server.Notify.SendReminders(context.Background()); err != nil {
				t.Fatal(err)
			}
			coordinator := root.person("6-dieuphoi-notifications")
			coordinatorNotifications(t, coordinator)
			coordinator.checkConsole()
			root.checkConsole()
		})
	}
}

func leaderOverview(t *testing.T, b *browser) {
	b.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	b.login("lanhdao")
	b.wantText("main", vi("home.overview"))
	b.submit(`main a[href="/overview"]`)
	b.wantPath("/overview")
	b.wantH1(vi("overview.title"))
	b.wantText("main", vi("overview.units"), vi("overview.trend"), vi("overview.trend_table"))
	if n := evalJS[int](b, "count the bars", `document.querySelectorAll("svg.chart.bars rect.seg").length`); n == 0 {
		t.Errorf("the pillar chart draws no bars")
	}
	if n := evalJS[int](b, "count the trend's points", `document.querySelectorAll("svg.chart.trend circle.point").length`); n != 24 {
		t.Errorf("the trend draws %d points, want 24 (two lines of 12 months)", n)
	}
	b.shot("overview")
	// A part of a pillar's bar: the targets behind it.
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

func coordinatorNotifications(t *testing.T, b *browser) {
	b.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	b.login("dieuphoi")
	b.wantText("main", vi("notify.home.unread"))
	b.submit(`main a[href="/notifications?unread=1"]`)
	b.wantH1(vi("notify.title"))
	b.wantText("main", "Tổng hợp nhắc việc kế hoạch")
	before := evalJS[int](b, "count the unread", `document.querySelectorAll("li.unread").length`)
	if before == 0 {
		t.Fatalf("no unread notifications for the coordinator")
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
