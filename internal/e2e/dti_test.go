package e2e_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestDTIBrowser is the "Done when" journey of the DTI issue on the demo's
// 2025 cycle of the new Gia Lai's departments, every other department
// appraised already, by four officials at four computers:
//
//   - Sở Tư pháp's official, on a phone, opens the department's scoring
//     sheet from the DTI page, self-assesses the component left with an
//     evidence file, and submits the self-assessment;
//   - the coordinator adjusts one score with a reason in the preliminary
//     review and accepts the rest;
//   - the leader, for the appraisal council, appraises;
//   - the coordinator publishes the cycle;
//   - the department's official sees its rank and the components where it
//     loses most points, largest first, each with the 3015/KH-UBND task
//     that addresses it, and follows the first one to the task.
//
// Same rules as TestBrowser: skipped without TINHSO_TEST_CHROMIUM, SQLite
// always and PostgreSQL with TINHSO_TEST_POSTGRES, screenshots with
// TINHSO_E2E_SHOTS.
func TestDTIBrowser(t *testing.T) {
	inChromium(t, testapp.DemoURLs, func(t *testing.T, app *testapp.App, root *browser) {
		var set, asm int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_frameworks WHERE code = $1`, dti.DemoSet).Scan(&set); err != nil {
			t.Fatal(err)
		}
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_assessments WHERE framework_id = $1 AND year = 2025`, set).Scan(&asm); err != nil {
			t.Fatal(err)
		}
		unit := app.UnitID(t, dti.DemoOpenUnit)
		sheet := fmt.Sprintf("/dti/assessments/%d/units/%d", asm, unit)

		official := root.person("1-baocao.sotp")
		officialSelfAssesses(t, official, sheet)
		coordinator := root.person("2-dieuphoi")
		dtiCoordinatorReviews(t, coordinator, app, asm, unit, sheet)
		leader := root.person("3-lanhdao")
		leader.login("lanhdao")
		leader.open(sheet)
		leader.wantText("#appraisal-form", vi("dti.appraise.title"))
		if st := leader.submit(`#appraisal-form button[type=submit]`); st != 200 {
			t.Errorf("appraisal: status %d", st)
		}
		leader.wantText(".flash", vi("flash.dti_appraised"))
		leader.wantText("main .meta", vi("dti.state.appraised"))

		coordinator.open(fmt.Sprintf("/dti/assessments/%d", asm))
		coordinator.wantText("#publish-form", vi("dti.publish.hint"))
		if st := coordinator.submit(`#publish-form button[type=submit]`); st != 200 {
			t.Errorf("publish: status %d", st)
		}
		coordinator.wantText(".flash", vi("flash.dti_published"))
		officialReadsResults(t, official, app, set)
	})
}

func officialSelfAssesses(t *testing.T, b *browser, sheet string) {
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.login("baocao.sotp")
	b.open("/dti")
	b.wantH1(vi("dti.title"))
	b.submitWith("open the department's sheet", chromedp.Click(chromedp.CSS(`main a[href="`+sheet+`"]`)))
	b.wantPath(sheet)
	b.wantText("main .meta", vi("dti.state.open"))
	b.shot("sheet-open")
	comp := `main a[href="` + sheet + `/components/` + dti.DemoOpenComponent + `"]`
	b.submitWith("open the component left", chromedp.Click(chromedp.CSS(comp)))
	b.wantText("main h1", dti.DemoOpenComponent+".")
	file := filepath.Join(t.TempDir(), "Kế hoạch chuyển đổi số 2025 - Sở Tư pháp.pdf")
	if err := os.WriteFile(file, tinyPDF("Ke hoach chuyen doi so 2025"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Too high a score first: the form says which field and why.
	b.do("type a score above the maximum", chromedp.SendKeys(chromedp.ID("score"), "500"))
	if st := b.submit(`#score-form button[type=submit]:not([name])`); st != 422 {
		t.Errorf("a score above the maximum: status %d, want 422", st)
	}
	b.wantText("main .errors", vi("field.dti.input.score")+": "+vi("invalid.dti.above_max", "500", "50"))
	b.shot("score-too-high")
	b.do("fill the self-assessment",
		chromedp.Clear(chromedp.ID("score")),
		chromedp.SendKeys(chromedp.ID("score"), "40"),
		chromedp.SendKeys(chromedp.ID("comment"), "Đã ban hành kế hoạch chuyển đổi số năm 2025 của Sở"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
	)
	if st := b.submit(`#score-form button[type=submit]:not([name])`); st != 200 {
		t.Fatalf("self-assessment: status %d", st)
	}
	b.wantText(".flash", vi("flash.dti_scored"))
	b.wantText("#c"+strings.ReplaceAll(dti.DemoOpenComponent, ".", `\.`), filepath.Base(file), "40")
	if st := b.submit(`#submit-form button[type=submit]`); st != 200 {
		t.Fatalf("submit: status %d", st)
	}
	b.wantText(".flash", vi("flash.dti_submitted"))
	b.wantText("main .meta", vi("dti.state.submitted"))
}

func dtiCoordinatorReviews(t *testing.T, b *browser, app *testapp.App, asm, unit int64, sheet string) {
	b.login("dieuphoi")
	var sh dti.Sheet
	st, body, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/dti/assessments/%d/units/%d", asm, unit), "")
	if st != 200 {
		t.Fatalf("sheet: %d %s", st, body)
	}
	testapp.JSON(t, body, &sh)
	var code string
	var self float64
	for _, m := range sh.MainIndices {
		for _, l := range m.Components {
			if code == "" && l.Score != nil && l.Score.SelfScore >= 2 {
				code, self = l.Code, l.Score.SelfScore
			}
		}
	}
	if code == "" {
		t.Fatal("no component to adjust")
	}
	adjusted := math.Floor(self / 2)
	b.open(sheet)
	b.wantText("#review-form", vi("dti.review.title"))
	b.do("adjust "+code,
		chromedp.SetValue(chromedp.CSS(`[name="action.`+code+`"]`), "adjust"),
		chromedp.SendKeys(chromedp.CSS(`[name="score.`+code+`"]`), fmt.Sprint(adjusted)),
		chromedp.SendKeys(chromedp.CSS(`[name="reason.`+code+`"]`), "Biên bản chỉ chứng minh được một nửa"),
	)
	b.shot("review")
	if st := b.submit(`#review-form button[type=submit]`); st != 200 {
		t.Fatalf("review: status %d", st)
	}
	b.wantText(".flash", vi("flash.dti_reviewed"))
	b.wantText("main .meta", vi("dti.state.reviewed"))
	b.wantText("#c"+strings.ReplaceAll(code, ".", `\.`), vi("dti.review.adjusted"), "Biên bản chỉ chứng minh được một nửa")
	st, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/dti/assessments/%d/units/%d", asm, unit), "")
	testapp.JSON(t, body, &sh)
	for _, m := range sh.MainIndices {
		for _, l := range m.Components {
			if l.Code == code && (l.Score == nil || l.Score.ReviewScore == nil || *l.Score.ReviewScore != adjusted) {
				t.Errorf("%s after the review: %+v, want %v", code, l.Score, adjusted)
			}
		}
	}
}

func officialReadsResults(t *testing.T, b *browser, app *testapp.App, set int64) {
	var res dti.Results
	st, body, _ := app.Do(t, "baocao.sotp", "GET", fmt.Sprintf("/api/v1/dti/scores?framework=%d&year=2025", set), "")
	if st != 200 {
		t.Fatalf("scores: %d %s", st, body)
	}
	testapp.JSON(t, body, &res)
	if len(res.Units) != 1 || res.Units[0].Unit.Code != dti.DemoOpenUnit || res.Peers < 10 || len(res.Units[0].Losses) == 0 || len(res.Units[0].Losses[0].Tasks) == 0 {
		t.Fatalf("the department's results in the API: %+v", res)
	}
	u := res.Units[0]
	b.open(fmt.Sprintf("/dti/scores?framework=%d&year=2025", set))
	b.wantText("main table", fmt.Sprintf("%d/%d", u.Rank, res.Peers), "Sở Tư pháp")
	first := `main ol.losses > li:first-child`
	l := u.Losses[0]
	b.wantText(first, l.Component, l.Name, vi("dti.task_ref", l.Tasks[0].Plan, l.Tasks[0].Number))
	b.shot("results")
	b.submitWith("follow the task", chromedp.Click(chromedp.CSS(first+` a[href="/tasks/`+fmt.Sprint(l.Tasks[0].ID)+`"]`)))
	b.wantPath(fmt.Sprintf("/tasks/%d", l.Tasks[0].ID))
	b.wantText("main", "3015/KH-UBND")
}
