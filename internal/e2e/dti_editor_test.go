package e2e_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tinhso/tinhso/internal/testapp"
)

// TestDTIEditorBrowser: the coordinator of the new Gia Lai builds a small
// framework for communes on the editor's pages, field by field (the
// header, two main indices, three components of three rule kinds, a point
// total above the main index's refused on the form), opens a 2025 cycle
// for Xã Biển Hồ with it, and the commune's official self-assesses a
// component of it on a phone; the framework is then locked, offering a
// new version. Same rules as TestBrowser.
func TestDTIEditorBrowser(t *testing.T) {
	inChromium(t, testapp.DemoURLs, func(t *testing.T, app *testapp.App, root *browser) {
		b := root.person("1-dieuphoi")
		b.login("dieuphoi")
		b.open("/dti")
		b.submitWith("define a framework", chromedp.Click(chromedp.CSS(`main a[href="/dti/frameworks/new"]`)))
		b.wantH1(vi("dti.edit.new_title"))
		b.do("fill the header",
			chromedp.SendKeys(chromedp.ID("f-code"), "GL-XA-E2E"),
			chromedp.SetValue(chromedp.ID("f-owner"), fmt.Sprint(app.UnitID(t, "GL25"))),
			chromedp.SendKeys(chromedp.ID("f-name"), "Bộ chỉ số đánh giá chuyển đổi số cấp xã năm 2025"),
			chromedp.SendKeys(chromedp.ID("f-decision"), "45/QĐ-UBND"),
			chromedp.SendKeys(chromedp.ID("f-issued"), "20/03/2025"),
			chromedp.SendKeys(chromedp.ID("f-issuer"), "UBND tỉnh Gia Lai"),
			chromedp.SetValue(chromedp.ID("f-level"), "commune"),
			chromedp.SendKeys(chromedp.ID("f-from"), "2025"),
			chromedp.SendKeys(chromedp.ID("f-to"), "2025"),
			chromedp.SendKeys(chromedp.ID("f-total"), "100"),
		)
		if st := b.submit(`#framework-form button[type=submit]`); st != 200 {
			t.Fatalf("create: status %d", st)
		}
		b.wantText(".flash", vi("flash.dti_framework_created"))
		b.wantText("#status", vi("dti.edit.incomplete", 1))
		edit := b.location()

		addMain := func(code, name, points string, status int64) {
			b.submitWith("add a main index", chromedp.Click(chromedp.ID("add-main")))
			b.do("fill main index "+code,
				chromedp.SendKeys(chromedp.ID("m-code"), code),
				chromedp.SendKeys(chromedp.ID("m-name"), name),
				chromedp.SendKeys(chromedp.ID("m-max"), points),
			)
			if st := b.submit(`#main-form button[type=submit]`); st != status {
				t.Fatalf("main index %s: status %d, want %d", code, st, status)
			}
		}
		addMain("1", "Nhận thức số", "40", 200)
		b.wantText("#m1", "1. Nhận thức số")
		// 40 + 70 is above the total: the form says so and keeps the input.
		b.open(edit)
		addMain("2", "Chính quyền số", "70", 422)
		b.wantText("main .errors", vi("field.dti.maxPoints")+": "+vi("invalid.dti.points_exceed", "110", "100", "10"))
		if v := b.value("m-name"); v != "Chính quyền số" {
			t.Errorf("the name typed is lost: %q", v)
		}
		b.shot("main-too-many-points")
		b.do("correct the points", chromedp.Clear(chromedp.ID("m-max")), chromedp.SendKeys(chromedp.ID("m-max"), "60"))
		if st := b.submit(`#main-form button[type=submit]`); st != 200 {
			t.Fatalf("main index 2: status %d", st)
		}
		b.wantText("#m2", "2. Chính quyền số")

		component := func(main string, fill ...chromedp.Action[chromedp.Void]) int64 {
			b.submitWith("add a component to "+main, chromedp.Click(chromedp.CSS(`#m`+main+` a[href$="/mains/`+main+`/components/new"]`)))
			b.do("fill a component of "+main, fill...)
			return b.submit(`#component-form button[type=submit]`)
		}
		if st := component("1",
			chromedp.SendKeys(chromedp.ID("c-code"), "1.1"),
			chromedp.SendKeys(chromedp.ID("c-name"), "Chủ tịch UBND xã là Trưởng Ban chỉ đạo chuyển đổi số của xã"),
			chromedp.SendKeys(chromedp.ID("c-max"), "40"),
			chromedp.Click(chromedp.CSS(`input[name="rule.kind"][value="yes_no"]`)),
			chromedp.SendKeys(chromedp.ID("c-evidence"), "Quyết định thành lập Ban chỉ đạo"),
			chromedp.SendKeys(chromedp.ID("c-verifier"), "Sở Nội vụ"),
		); st != 200 {
			t.Fatalf("component 1.1: status %d", st)
		}
		b.wantText(`#c1\.1`, "Chủ tịch UBND xã là Trưởng Ban chỉ đạo chuyển đổi số của xã", vi("dti.rule.yes_no"))
		if st := component("2",
			chromedp.SendKeys(chromedp.ID("c-code"), "2.1"),
			chromedp.SendKeys(chromedp.ID("c-name"), "Người đứng đầu chủ trì họp về chuyển đổi số"),
			chromedp.SendKeys(chromedp.ID("c-max"), "30"),
			chromedp.Click(chromedp.CSS(`input[name="rule.kind"][value="options"]`)),
			chromedp.SendKeys(chromedp.CSS(`[name="rule.options[0].code"]`), "ct"),
			chromedp.SendKeys(chromedp.CSS(`[name="rule.options[0].label"]`), "Chủ tịch chủ trì"),
			chromedp.SendKeys(chromedp.CSS(`[name="rule.options[0].points"]`), "30"),
			chromedp.SendKeys(chromedp.CSS(`[name="rule.options[1].code"]`), "pct"),
			chromedp.SendKeys(chromedp.CSS(`[name="rule.options[1].label"]`), "Phó Chủ tịch chủ trì"),
			chromedp.SendKeys(chromedp.CSS(`[name="rule.options[1].points"]`), "15"),
		); st != 200 {
			t.Fatalf("component 2.1: status %d", st)
		}
		// Steps whose ranges overlap are refused, the range named.
		if st := component("2",
			chromedp.SendKeys(chromedp.ID("c-code"), "2.2"),
			chromedp.SendKeys(chromedp.ID("c-name"), "Số cuộc họp của Ban chỉ đạo trong năm"),
			chromedp.SendKeys(chromedp.ID("c-max"), "30"),
			chromedp.Click(chromedp.CSS(`input[name="rule.kind"][value="steps"]`)),
			chromedp.SendKeys(chromedp.ID("c-measure"), "cuộc họp"),
			chromedp.SendKeys(chromedp.CSS(`[name="rule.steps[0].min"]`), "4"),
			chromedp.SendKeys(chromedp.CSS(`[name="rule.steps[0].points"]`), "30"),
			chromedp.SendKeys(chromedp.CSS(`[name="rule.steps[1].min"]`), "2"),
			chromedp.SendKeys(chromedp.CSS(`[name="rule.steps[1].max"]`), "5"),
			chromedp.SendKeys(chromedp.CSS(`[name="rule.steps[1].points"]`), "15"),
		); st != 422 {
			t.Fatalf("overlapping steps: status %d, want 422", st)
		}
		b.wantText("main .errors", vi("field.dti.rule.steps")+" ("+vi("dti.edit.row", 1)+"): "+vi("invalid.dti.steps_overlap", "[4; +∞)", vi("dti.edit.row", 2), "[2; 5)"))
		b.shot("steps-overlap")
		b.do("correct the range", chromedp.Clear(chromedp.CSS(`[name="rule.steps[1].max"]`)), chromedp.SendKeys(chromedp.CSS(`[name="rule.steps[1].max"]`), "4"))
		if st := b.submit(`#component-form button[type=submit]`); st != 200 {
			t.Fatalf("component 2.2: status %d", st)
		}
		b.wantText("#status", vi("dti.edit.complete"))
		b.wantText(`#c2\.2`, "[2; 4) = 15")
		b.shot("framework-built")

		// The framework opens the commune's 2025 cycle.
		bienho := app.UnitID(t, "GL25.X.BIENHO")
		b.submitWith("open an assessment with it", chromedp.Click(chromedp.CSS(`#status a[href^="/dti/assessments/new"]`)))
		b.do("pick Xã Biển Hồ", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="units"][value="%d"]`, bienho))))
		if st := b.submit(`#open-form button[type=submit]`); st != 200 {
			t.Fatalf("open: status %d", st)
		}
		b.wantText(".flash", vi("flash.dti_opened"))
		asm := strings.TrimPrefix(b.location(), "/dti/assessments/")
		asm = asm[:strings.IndexAny(asm+"?", "?#")]

		official := root.person("2-baocao.bienho")
		official.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		official.login("baocao.bienho")
		official.open(fmt.Sprintf("/dti/assessments/%s/units/%d/components/1.1", asm, bienho))
		official.wantText("main h1", "1.1. Chủ tịch UBND xã là Trưởng Ban chỉ đạo chuyển đổi số của xã")
		official.do("answer yes with an explanation",
			chromedp.Click(chromedp.CSS(`input[name="input.yes"][value="yes"]`)),
			chromedp.SendKeys(chromedp.ID("explanation"), "Quyết định số 12/QĐ-UBND ngày 02/01/2025 của UBND xã"),
		)
		if st := official.submit(`#score-form button[type=submit]:not([name])`); st != 200 {
			t.Fatalf("self-assessment: status %d", st)
		}
		official.wantText(".flash", vi("flash.dti_scored"))
		official.wantText(`#c1\.1`, "40")

		// Locked now: a new version instead.
		b.open(edit)
		b.wantText("#locked", vi("dti.edit.locked", 1))
		if st := b.submit(`#copy-form button[type=submit]`); st != 200 {
			t.Fatalf("new version: status %d", st)
		}
		b.wantText(".flash", vi("flash.dti_framework_copied"))
		b.wantText("main .lead", "GL-XA-E2E-2026")
		b.shot("new-version")
	})
}
