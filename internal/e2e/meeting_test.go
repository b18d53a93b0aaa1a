package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestMeetingBrowser is the coordinator of Gia Lai (dieuphoi) recording a
// Steering Committee meeting (issue 11, part 5): from the menu to the
// meeting form, then on the meeting's page its conclusion with two
// directives, each with a lead unit and a deadline; the directives are
// listed as tasks, open as task pages, are found among all tasks, and the
// review names them «theo Kết luận số …». Same rules as TestBrowser.
func TestMeetingBrowser(t *testing.T) {
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
			b := root.person("5-dieuphoi-meeting")
			coordinatorRecordsMeeting(t, b, app)
			b.checkConsole()
			root.checkConsole()
		})
	}
}

func coordinatorRecordsMeeting(t *testing.T, b *browser, app *testapp.App) {
	b.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	b.login("dieuphoi")
	today := org.Today()
	day, _ := time.Parse(time.DateOnly, today)
	soon, later := day.AddDate(0, 0, 10).Format(time.DateOnly), day.AddDate(0, 2, 0).Format(time.DateOnly)

	b.headerClick("open the meetings", `header nav a[href="/meetings"]`)
	b.wantH1(vi("meeting.list_title"))
	b.wantText("main", "05/TB-BCĐ") // the demo's conclusions
	b.submit("#meeting-new")
	b.wantH1(vi("meeting.new"))
	b.do("type the meeting",
		chromedp.SetValue(chromedp.ID("heldOn"), locale.InputDate(today)),
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
		chromedp.SetValue(chromedp.CSS(field(1, "lead")), fmt.Sprint(app.UnitID(t, "GL25.SKHCN"))),
		chromedp.SetValue(chromedp.CSS(field(1, "due")), locale.InputDate(soon)),
		chromedp.SendKeys(chromedp.CSS(field(2, "content")), "Xã Biển Hồ số hóa hồ sơ thủ tục hành chính còn tồn đọng"),
		chromedp.SetValue(chromedp.CSS(field(2, "lead")), fmt.Sprint(app.UnitID(t, "GL25.X.BIENHO"))),
		chromedp.SetValue(chromedp.CSS(field(2, "due")), locale.InputDate(later)),
	)
	b.shotOf("conclusion-form", "#conclusion-form")
	b.submit("#conclusion-submit")
	b.wantText("main", vi("flash.conclusion_saved"), vi("meeting.conclusion_no", "77/TB-BCĐ"))
	b.wantText("#directives", "kết nối hệ thống một cửa điện tử", "Xã Biển Hồ số hóa", "Sở Khoa học và Công nghệ", locale.InputDate(later))
	if n := evalJS[int](b, "count the directives", `document.querySelectorAll("#directives tbody tr").length`); n != 2 {
		t.Errorf("%d directives listed, want 2", n)
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
