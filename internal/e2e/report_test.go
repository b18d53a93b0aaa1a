package e2e_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/password"
	reporting "github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/store/storetest"
	"github.com/tinhso/tinhso/internal/testapp"
)

// reportDay is the day of TestReportBrowser: 2 December 2026, 09:00 in
// Vietnam, inside the data cut-off of 2026Q4 (15/09–14/12/2026), whose
// reports are not due yet; the demo's reports run from 2024Q4 to 2026Q3.
var reportDay = time.Date(2026, 12, 2, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))

// reportURLs are the demo province with the demo's two years of reports
// as of reportDay, per engine (built once per test process).
func reportURLs(t testing.TB) map[store.Engine]string {
	t.Helper()
	return storetest.Cloned(t, "demo-reports-2026-12-02", func(ctx context.Context, db *store.DB) error {
		if err := testapp.LoadDemo(ctx, db); err != nil {
			return err
		}
		_, err := demo.LoadReports(ctx, db, password.Cheap(), reportDay)
		return err
	})
}

// TestReportBrowser is the periodic-reporting journey of issue 7 ("Done
// when"), by two officials at two computers, on the demo's two years of
// reports and a clock fixed on reportDay:
//
//   - the reporter of Xã Bản Bo (Lai Châu), on a phone, opens "Báo cáo
//     định kỳ", finds the commune's quarterly form for Quý 4/2026, types
//     figures the Vietnamese way (1.234, 45,5) with more dossiers handled
//     online than received: the rule's Vietnamese message shows and
//     nothing is sent; fixed, the report goes to the province;
//   - the province's approver finds it among the reports waiting for her,
//     returns it with a comment; the reporter sees the comment on the
//     report and among the reminders of the home page, changes a figure
//     and sends it again; the approver approves it, finally (accepted);
//   - the province reads the figures in the pivot table (Bản Bo's
//     dossiers and Lai Châu's total for the quarter), the completeness of
//     Lai Châu's reports for the quarter, and the targets of 4900/KH-UBND
//     that read the indicators: MT.2 (the share of dossiers handled
//     online, CDS.HS.TRUCTUYEN.TYLE) and MT.5 (80% → 90% of periodic
//     reports on the system, CDS.BC.HETHONG.TYLE, computed) show another
//     2026 actual than before the journey.
//
// Same rules as TestBrowser: skipped without TINHSO_TEST_CHROMIUM, SQLite
// always and PostgreSQL with TINHSO_TEST_POSTGRES, screenshots with
// TINHSO_E2E_SHOTS.
func TestReportBrowser(t *testing.T) {
	inChromium(t, reportURLs, func(t *testing.T, app *testapp.App, root *browser) {
		app.Server.Report.Now = func() time.Time { return reportDay }
		j := newReportJourney(t, app)
		laps := newLaps()
		approver := root.person("2-pheduyet.laichau")
		approver.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
		approver.login("pheduyet.laichau")
		before := j.readFigures(approver, "before")
		laps.lap("figures before")

		reporter := root.person("1-baocao.banbo")
		j.reporterSubmits(reporter)
		laps.lap("reporter submits")
		j.approverReturns(approver)
		laps.lap("approver returns")
		j.reporterResubmits(reporter)
		laps.lap("reporter resubmits")
		j.approverApproves(approver)
		laps.lap("approver approves")
		j.provinceReadsPivot(approver)
		laps.lap("pivot")
		after := j.readFigures(approver, "after")
		laps.lap("figures after")
		j.compare(before, after)
		t.Logf("report journey: %s", laps)
	})
}

// reportJourney holds what the officials' steps share.
type reportJourney struct {
	t       *testing.T
	app     *testapp.App
	unit    int64 // Xã Bản Bo
	lc      int64 // Tỉnh Lai Châu
	form    int64 // CDS.QUY.XA.LC
	period  string
	label   string // Quý 4/2026
	href    string // the report's page
	comment string // the approver's, returning it
	mt2     int64  // target ids of 4900/KH-UBND
	mt5     int64
}

func newReportJourney(t *testing.T, app *testapp.App) *reportJourney {
	t.Helper()
	j := &reportJourney{t: t, app: app, unit: app.UnitID(t, "LC.X.BANBO"), lc: app.UnitID(t, "LC"), period: "2026Q4",
		comment: "Đề nghị xã kiểm tra lại số hồ sơ xử lý trực tuyến của quý 4, chưa khớp với Cổng dịch vụ công của tỉnh."}
	if err := app.DB.Read.QueryRow(`SELECT id FROM report_forms WHERE code = $1`, "CDS.QUY.XA.LC").Scan(&j.form); err != nil {
		t.Fatalf("form CDS.QUY.XA.LC: %v", err)
	}
	p, err := reporting.ParsePeriod(j.period)
	if err != nil {
		t.Fatal(err)
	}
	j.label = p.Label(locale.VI)
	j.href = reporting.EntryHref(j.form, j.unit, j.period)
	pl := planByNumber(t, app, "4900/KH-UBND")
	status, body, _ := app.Do(t, "pheduyet.laichau", "GET", fmt.Sprintf("/api/v1/plans/%d/targets", pl.ID), "")
	if status != 200 {
		t.Fatalf("targets of 4900/KH-UBND: %d %s", status, body)
	}
	var targets []struct {
		ID            int64  `json:"id"`
		Code          string `json:"code"`
		IndicatorCode string `json:"indicatorCode"`
	}
	testapp.JSON(t, body, &targets)
	for _, tg := range targets {
		switch {
		case tg.Code == "MT.2" && tg.IndicatorCode == "CDS.HS.TRUCTUYEN.TYLE":
			j.mt2 = tg.ID
		case tg.Code == "MT.5" && tg.IndicatorCode == "CDS.BC.HETHONG.TYLE":
			j.mt5 = tg.ID
		}
	}
	if j.mt2 == 0 || j.mt5 == 0 {
		t.Fatalf("4900/KH-UBND: MT.2 → CDS.HS.TRUCTUYEN.TYLE and MT.5 → CDS.BC.HETHONG.TYLE not found in %s", body)
	}
	return j
}

// The figures the reporter types, by indicator code, as typed.
var (
	firstTry = map[string]string{
		"CDS.DVC.TOANTRINH":     "45,5", // a percentage, with a decimal comma
		"CDS.DVC.SO/Toàn trình": "48",   // an indicator by category option
		"CDS.DVC.SO/Một phần":   "78",
		"CDS.HS.TIEPNHAN":       "1.234",
		"CDS.HS.TRUCTUYEN":      "1.500", // more than received: the rule refuses
		"CDS.HS.GIAIQUYET":      "1.180",
		"CDS.HS.DUNGHAN":        "1.102",
		"CDS.VB.DI":             "2.345",
		"CDS.VB.KYSO":           "2.210",
		"CDS.CBCC.TONG":         "42",
		"CDS.CBCC.TAPHUAN":      "31",
		"CDS.KNS.LUOT":          "1.850",
		"CDS.DTTM.TYLE":         "72,5",
		"CDS.HGD.TONG":          "1.620",
		"CDS.HGD.CAPQUANG":      "1.104",
	}
	// fixedOnline is the number of dossiers handled online once fixed;
	// resentOnline after the approver's return.
	fixedOnline  = "987"
	resentOnline = "1.012"
)

// fieldFor is the id of the entry form's field labelled with an
// indicator's code, or, for an indicator with category options (code/
// option name), the field of the option under the indicator's legend.
func fieldFor(b *browser, code string) string {
	b.t.Helper()
	code, option, _ := strings.Cut(code, "/")
	id := evalJS[string](b, "find the field of "+code, fmt.Sprintf(`(() => {
		const [code, option] = [%q, %q];
		const coded = el => { const c = el.querySelector(":scope > .code"); return c && c.textContent.trim() === code; };
		if (option) {
			const fs = [...document.querySelectorAll("form.entry fieldset.item")].find(fs => coded(fs.querySelector(":scope > legend")));
			const l = fs && [...fs.querySelectorAll("label[for]")].find(l => l.textContent.trim() === option);
			return l ? l.htmlFor : "";
		}
		const l = [...document.querySelectorAll("form.entry label[for]")].find(coded);
		return l ? l.htmlFor : "";
	})()`, code, option))
	if id == "" {
		b.fatalf("the entry form has no field labelled %s %s", code, option)
	}
	return id
}

// typeInto clears a field and types text into it, as on a keyboard.
func (b *browser) typeInto(id, text string) {
	b.t.Helper()
	sel := fmt.Sprintf(`[id=%q]`, id) // the entry form's ids hold dots
	b.do("type "+text+" into #"+id,
		chromedp.Clear(chromedp.CSS(sel)),
		chromedp.SendKeys(chromedp.CSS(sel), text),
	)
}

// fieldValue is the value of the field with id.
func (b *browser) fieldValue(id string) string {
	b.t.Helper()
	return evalJS[string](b, "read #"+id, fmt.Sprintf(`document.getElementById(%q).value`, id))
}

// state is the report's state as its page shows it.
func (j *reportJourney) wantState(b *browser, state string) {
	j.t.Helper()
	if got := strings.TrimSpace(b.text("main .status-card .badge.status")); got != vi("report.state."+state) {
		j.t.Errorf("%s: the report's state shows %q, want %q", b.location(), got, vi("report.state."+state))
	}
}

// apiReport is the report as the API has it.
type apiReport struct {
	State  string `json:"state"`
	Events []struct {
		Action  string `json:"action"`
		Comment string `json:"comment"`
	} `json:"events"`
	Values []struct {
		Indicator string `json:"indicator"`
		Value     string `json:"value"`
	} `json:"values"`
}

func (j *reportJourney) apiReport() apiReport {
	j.t.Helper()
	status, body, _ := j.app.Do(j.t, "pheduyet.laichau", "GET", fmt.Sprintf("/api/v1/report/reports/%d/%d/%s", j.form, j.unit, j.period), "")
	if status != 200 {
		j.t.Fatalf("the report in the API: %d %s", status, body)
	}
	var r apiReport
	testapp.JSON(j.t, body, &r)
	return r
}

func (r apiReport) value(code string) string {
	for _, v := range r.Values {
		if v.Indicator == code {
			return v.Value
		}
	}
	return ""
}

func (r apiReport) actions() []string {
	var out []string
	for _, e := range r.Events {
		out = append(out, e.Action)
	}
	return out
}

// reporterSubmits is the reporter of Xã Bản Bo, on a phone: the report of
// the quarter, a figure that breaks a rule, then fixed and sent.
func (j *reportJourney) reporterSubmits(b *browser) {
	t := j.t
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.login("baocao.banbo")

	b.headerClick("open Báo cáo định kỳ", `header nav a[href="/report/entry"]`)
	b.wantPath("/report/entry")
	b.wantH1(vi("report.entry.title"))
	// The commune's quarterly report for Quý 4/2026, not yet entered.
	row := j.row(b)
	for _, want := range []string{"CDS.QUY.XA.LC", "Xã Bản Bo", j.label, "16/12/2026", vi("report.state.open")} {
		if !strings.Contains(row, want) {
			t.Errorf("the row of %s on /report/entry does not show %q: %q", j.href, want, row)
		}
	}
	b.shot("entry-list")
	b.submitWith("open the report of "+j.label, chromedp.Click(chromedp.CSS(`main table.reports a[href="`+j.href+`"]`)))
	b.wantPath(j.href)
	b.wantText("main .lead", "Xã Bản Bo", j.label)
	j.wantState(b, "open")

	// The figures, typed the Vietnamese way; more dossiers handled online
	// than received.
	for code, v := range firstTry {
		b.typeInto(fieldFor(b, code), v)
	}
	b.shotOf("entry-form-typed", "main form.entry")
	if status := b.submit(`form.entry button[name=action][value=submit]`); status != 422 {
		t.Errorf("submitting a report that breaks a rule: status %d, want 422", status)
	}
	rule := "Số hồ sơ xử lý trực tuyến không được lớn hơn số hồ sơ tiếp nhận"
	b.wantText("main .card.rules", vi("report.entry.rules_failed"), rule, "1.500", "1.234")
	b.wantText(`[role=alert]`, rule)
	j.wantState(b, "draft")
	// The figures were kept as a draft, as typed; nothing was sent.
	if got := b.fieldValue(fieldFor(b, "CDS.DVC.TOANTRINH")); got != "45,5" {
		t.Errorf("CDS.DVC.TOANTRINH after the refused submit shows %q, want 45,5", got)
	}
	if got := b.fieldValue(fieldFor(b, "CDS.HS.TIEPNHAN")); got != "1.234" {
		t.Errorf("CDS.HS.TIEPNHAN after the refused submit shows %q, want 1.234", got)
	}
	r := j.apiReport()
	if r.State != reporting.StateDraft || strings.Contains(strings.Join(r.actions(), ","), "submit") {
		t.Errorf("after the refused submit the report is %s with steps %v, want a draft never sent", r.State, r.actions())
	}
	if r.value("CDS.DVC.TOANTRINH") != "45.5" || r.value("CDS.HS.TIEPNHAN") != "1234" {
		t.Errorf("stored draft: CDS.DVC.TOANTRINH %q, CDS.HS.TIEPNHAN %q, want 45.5 and 1234",
			r.value("CDS.DVC.TOANTRINH"), r.value("CDS.HS.TIEPNHAN"))
	}
	b.shot("entry-rule-failed")

	// Fixed and sent.
	b.typeInto(fieldFor(b, "CDS.HS.TRUCTUYEN"), fixedOnline)
	if status := b.submit(`form.entry button[name=action][value=submit]`); status != 200 {
		t.Errorf("submitting the fixed report: status %d, want 200 after the redirect", status)
	}
	b.wantPath(j.href + "?ok=report_submitted")
	b.wantText(".flash", vi("flash.report_submitted"))
	j.wantState(b, "submitted")
	b.wantText("main .status-card", vi("report.waiting_at", "Tỉnh Lai Châu"))
	b.wantNoText("main", vi("report.entry.rules_failed"))
	b.wantText("main table", "987", "1.234", "45,5")
	b.shot("entry-submitted")
}

// row is the text of the journey's report's row in the list of reports
// shown (/report/entry, /report/approvals).
func (j *reportJourney) row(b *browser) string {
	j.t.Helper()
	row := evalJS[string](b, "find the report's row", fmt.Sprintf(`(() => {
		const tr = [...document.querySelectorAll("main table.reports tbody tr")].find(tr => tr.querySelector('a[href=%q]'));
		return tr ? tr.innerText : "";
	})()`, j.href))
	if row == "" {
		b.fatalf("%s does not list %s; the page shows:\n%s", b.location(), j.href, b.text("main"))
	}
	return row
}

// approverReturns is the approver of Tỉnh Lai Châu, on a desktop: the
// report among those waiting for her, returned with a comment.
func (j *reportJourney) approverReturns(b *browser) {
	t := j.t
	b.headerClick("open Phê duyệt báo cáo", `header nav a[href="/report/approvals"]`)
	b.wantPath("/report/approvals")
	b.wantH1(vi("report.approvals.title"))
	row := j.row(b)
	for _, want := range []string{"CDS.QUY.XA.LC", "Xã Bản Bo", j.label, vi("report.state.submitted")} {
		if !strings.Contains(row, want) {
			t.Errorf("the row of %s on /report/approvals does not show %q: %q", j.href, want, row)
		}
	}
	b.shot("approvals")
	b.submitWith("open Bản Bo's report", chromedp.Click(chromedp.CSS(`main table.reports a[href="`+j.href+`"]`)))
	b.wantPath(j.href)
	j.wantState(b, "submitted")
	b.wantText("main table", "987", "1.234")
	b.wantText("main #approval + .card", vi("report.entry.approve_final"), vi("report.entry.return"))
	// Withdrawing is the commune's step, not the approver's.
	if n := evalJS[int](b, "count withdraw buttons", `document.querySelectorAll('main form[action$="/withdraw"]').length`); n != 0 {
		t.Error("the approver is offered the commune's withdraw button")
	}
	// The figures with their units of measure.
	b.wantText("main table", "Tỷ lệ dịch vụ công trực tuyến toàn trình (%)", "Số hồ sơ thủ tục hành chính tiếp nhận (hồ sơ)")
	b.shot("report-to-approve")

	b.do("write the comment", chromedp.SendKeys(chromedp.ID("return-comment"), j.comment))
	if status := b.submit(`form[action$="/return"] button[type=submit]`); status != 200 {
		t.Errorf("returning the report: status %d, want 200 after the redirect", status)
	}
	b.wantPath(j.href + "?ok=report_return")
	b.wantText(".flash", vi("flash.report_return"))
	j.wantState(b, "returned")
	b.wantText("main ol.events", vi("report.action.return"), j.comment)
	b.shot("report-returned")
}

// reporterResubmits: the reporter sees why on the home page and on the
// report, changes a figure and sends it again.
func (j *reportJourney) reporterResubmits(b *browser) {
	t := j.t
	b.headerClick("open the home page", `header nav a[href="/"]`)
	b.wantPath("/")
	formName := "Báo cáo kết quả chuyển đổi số hằng quý — cấp huyện (đến 30/6/2025), cấp xã (từ 01/7/2025) (Lai Châu)"
	line := vi("reminder.returned", formName, j.label, "Tao Thị Mai, Tỉnh Lai Châu", j.comment)
	link := evalJS[string](b, "find the returned reminder", fmt.Sprintf(`(() => {
		const a = [...document.querySelectorAll("main a")].find(a => a.innerText.includes(%q));
		return a ? a.getAttribute("href") : "";
	})()`, j.comment))
	if link != j.href {
		t.Errorf("the home page's reminder with the approver's comment links to %q, want %s", link, j.href)
	}
	b.wantText("main", line)
	b.shot("home-returned")

	b.submitWith("open the returned report from the home page", chromedp.Click(chromedp.CSS(`main a[href="`+j.href+`"]`)))
	b.wantPath(j.href)
	j.wantState(b, "returned")
	b.wantText("main .card.returned", vi("report.entry.returned_title"), "Tao Thị Mai", j.comment)
	if got := b.fieldValue(fieldFor(b, "CDS.HS.TRUCTUYEN")); got != fixedOnline {
		t.Errorf("CDS.HS.TRUCTUYEN on the returned report shows %q, want %s", got, fixedOnline)
	}
	b.shot("entry-returned")

	b.typeInto(fieldFor(b, "CDS.HS.TRUCTUYEN"), resentOnline)
	b.typeInto("reason", "Đối chiếu lại với Cổng dịch vụ công của tỉnh")
	if status := b.submit(`form.entry button[name=action][value=submit]`); status != 200 {
		t.Errorf("sending the report again: status %d, want 200 after the redirect", status)
	}
	b.wantPath(j.href + "?ok=report_submitted")
	j.wantState(b, "submitted")
	b.wantText("main table", resentOnline)
	if r := j.apiReport(); r.value("CDS.HS.TRUCTUYEN") != "1012" {
		t.Errorf("CDS.HS.TRUCTUYEN in the API after resubmitting = %q, want 1012", r.value("CDS.HS.TRUCTUYEN"))
	}
}

// approverApproves: the last level's approval makes the report final.
func (j *reportJourney) approverApproves(b *browser) {
	t := j.t
	b.headerClick("open Phê duyệt báo cáo", `header nav a[href="/report/approvals"]`)
	b.submitWith("open Bản Bo's report again", chromedp.Click(chromedp.CSS(`main table.reports a[href="`+j.href+`"]`)))
	b.wantPath(j.href)
	j.wantState(b, "submitted")
	b.wantText("main table", resentOnline)
	if status := b.submit(`form[action$="/approve"] button[type=submit]`); status != 200 {
		t.Errorf("approving the report: status %d, want 200 after the redirect", status)
	}
	b.wantPath(j.href + "?ok=report_approve")
	b.wantText(".flash", vi("flash.report_approve"))
	j.wantState(b, "accepted")
	b.shot("report-accepted")
	r := j.apiReport()
	if r.State != reporting.StateAccepted {
		t.Errorf("the report in the API is %s, want accepted", r.State)
	}
	steps := map[string]int{}
	for _, a := range r.actions() {
		steps[a]++
	}
	if steps["submit"] != 2 || steps["return"] != 1 || steps["accept"] != 1 || len(steps) != 3 {
		t.Errorf("the report's steps are %v, want submitted twice, returned once and accepted", r.actions())
	}
	// Off the approver's list.
	b.headerClick("open Phê duyệt báo cáo", `header nav a[href="/report/approvals"]`)
	if n := evalJS[int](b, "count the report's links", fmt.Sprintf(`document.querySelectorAll('main a[href=%q]').length`, j.href)); n != 0 {
		t.Errorf("/report/approvals still lists the accepted report")
	}
}

// provinceReadsPivot: the pivot table of dossiers received and handled
// online in Lai Châu's communes for the quarter, rows by unit.
func (j *reportJourney) provinceReadsPivot(b *browser) {
	t := j.t
	q := url.Values{"dx": {"CDS.HS.TIEPNHAN", "CDS.HS.TRUCTUYEN"}, "pe": {j.period}, "ou": {"LC"}, "children": {"1"},
		"at_ou": {"row"}, "at_dx": {"col"}, "at_pe": {"filter"}}
	b.open("/report/analytics?" + q.Encode())
	b.wantH1(vi("analytics.title"))
	rows := evalJS[[][]string](b, "read the pivot table", `[...document.querySelectorAll("main table.pivot tbody tr")].map(tr => [...tr.cells].map(c => c.innerText.trim()))`)
	var banbo, total []string
	for _, r := range rows {
		switch {
		case len(r) > 0 && strings.HasPrefix(r[0], "Xã Bản Bo"):
			banbo = r
		case len(r) > 0 && strings.HasPrefix(r[0], "Tỉnh Lai Châu"):
			total = r
		}
	}
	if banbo == nil || total == nil {
		b.fatalf("the pivot table has no row for Xã Bản Bo or Tỉnh Lai Châu: %q", rows)
	}
	if len(banbo) < 3 || banbo[1] != "1.234" || banbo[2] != resentOnline {
		t.Errorf("Xã Bản Bo's row in the pivot table = %q, want 1.234 received, %s online", banbo, resentOnline)
	}
	// Lai Châu's total is the sum of its units' rows, Bản Bo's included.
	sum := func(col int) float64 {
		s := 0.0
		for _, r := range rows {
			if len(r) > col && !strings.HasPrefix(r[0], "Tỉnh Lai Châu") {
				s += viNumber(t, r[col])
			}
		}
		return s
	}
	for col := 1; col <= 2; col++ {
		if got, want := viNumber(t, total[col]), sum(col); got != want || got < viNumber(t, banbo[col]) {
			t.Errorf("Tỉnh Lai Châu's total in column %d = %s, want the sum of its units' rows %v", col, total[col], want)
		}
	}
	b.shot("analytics-pivot")

	// Lai Châu alone, rows by period: the quarter holds Bản Bo's figures
	// with the other units' (none yet), and the year is its four quarters.
	q = url.Values{"dx": {"CDS.HS.TIEPNHAN"}, "pe": {"2026Q1;2026Q2;2026Q3;2026Q4;2026"}, "ou": {"LC"},
		"at_pe": {"row"}, "at_dx": {"col"}, "at_ou": {"filter"}}
	b.open("/report/analytics?" + q.Encode())
	rows = evalJS[[][]string](b, "read the pivot table by period", `[...document.querySelectorAll("main table.pivot tbody tr")].map(tr => [...tr.cells].map(c => c.innerText.trim()))`)
	byPeriod := map[string]float64{}
	for _, r := range rows {
		if len(r) == 2 {
			byPeriod[r[0]] = viNumber(t, r[1])
		}
	}
	label := func(p string) string {
		pe, err := reporting.ParsePeriod(p)
		if err != nil {
			t.Fatal(err)
		}
		return pe.Label(locale.VI)
	}
	quarters := 0.0
	for _, p := range []string{"2026Q1", "2026Q2", "2026Q3"} {
		if byPeriod[label(p)] == 0 {
			t.Errorf("the pivot table by period has no dossiers for %s: %q", label(p), rows)
		}
		quarters += byPeriod[label(p)]
	}
	if got := byPeriod[label("2026Q4")]; got != 1234 {
		t.Errorf("Lai Châu's dossiers received in %s = %v, want Bản Bo's 1.234 (the only report of the quarter): %q", label("2026Q4"), got, rows)
	}
	if got, want := byPeriod[label("2026")], quarters+1234; got != want {
		t.Errorf("Lai Châu's dossiers received in %s = %v, want the four quarters' %v: %q", label("2026"), got, want, rows)
	}
	b.shot("analytics-pivot-periods")
}

// figures are what the province reads before and after the journey.
type figures struct {
	mt2, mt5         string // the 2026 actual on each target's page, as shown
	mt2Date, mt5Date string
	// the assessment on each target's page: its badge and its explanation
	mt2Status, mt2Explain, mt5Status, mt5Explain string
	sent, expected                               string // Lai Châu's reports of the quarter, on the completeness page
	rate                                         string
}

// readFigures reads the targets' 2026 actuals and Lai Châu's completeness
// for the quarter, as the pages show them.
func (j *reportJourney) readFigures(b *browser, when string) figures {
	var f figures
	f.mt2, f.mt2Date, f.mt2Status, f.mt2Explain = j.targetActual(b, j.mt2, "CDS.HS.TRUCTUYEN.TYLE", when)
	f.mt5, f.mt5Date, f.mt5Status, f.mt5Explain = j.targetActual(b, j.mt5, "CDS.BC.HETHONG.TYLE", when)

	b.headerClick("open Tình hình báo cáo", `header nav a[href="/report/completeness"]`)
	b.wantH1(vi("completeness.title"))
	q := url.Values{"form": {"CDS.QUY.XA.LC"}, "period": {j.period}, "unit": {strconv.FormatInt(j.lc, 10)}}
	b.open("/report/completeness?" + q.Encode())
	row := evalJS[[]string](b, "read Lai Châu's row", `(() => {
		const tr = document.querySelector("main table.completeness tbody tr.total");
		return tr ? [...tr.cells].map(c => c.innerText.trim()) : [];
	})()`)
	if len(row) < 8 || !strings.HasPrefix(row[0], "Tỉnh Lai Châu") {
		b.fatalf("the completeness page has no total row for Tỉnh Lai Châu: %q", row)
	}
	f.expected, f.sent, f.rate = row[1], row[2], row[6]
	b.shot("completeness-" + when)
	return f
}

// targetActual opens a target's page and reads its 2026 actual (value and
// date) from the table of actuals, and its assessment (badge, text).
func (j *reportJourney) targetActual(b *browser, id int64, indicator, when string) (value, date, status, explain string) {
	b.open(fmt.Sprintf("/targets/%d", id))
	b.wantText("main .status-card", vi("target.src.auto", indicator))
	head := vi("target.src.indicator", indicator, "2026")
	cells := evalJS[[]string](b, "read the 2026 actual", fmt.Sprintf(`(() => {
		const tr = [...document.querySelectorAll("main table tbody tr")].find(tr => {
			const h = tr.querySelector(".src-head");
			return h && h.innerText.includes(%q);
		});
		return tr ? [...tr.cells].map(c => c.innerText.trim()) : [];
	})()`, head))
	if len(cells) < 3 {
		b.fatalf("/targets/%d shows no 2026 actual read from %s", id, indicator)
	}
	b.shot(fmt.Sprintf("target-%d-%s", id, when))
	return cells[1], cells[0], strings.TrimSpace(b.text("main .status-card .badge")), b.text("main .status-card ul.explain")
}

// compare checks that the figures moved as the journey makes them move.
func (j *reportJourney) compare(before, after figures) {
	t := j.t
	t.Logf("MT.2 2026: %s (%s) → %s (%s); MT.5 2026: %s (%s) → %s (%s); Lai Châu %s: sent %s of %s (%s) → %s of %s (%s)",
		before.mt2, before.mt2Date, after.mt2, after.mt2Date, before.mt5, before.mt5Date, after.mt5, after.mt5Date,
		j.period, before.sent, before.expected, before.rate, after.sent, after.expected, after.rate)
	// MT.2: Bản Bo's 1.012 online of 1.234 received (82 %) lifts Lai
	// Châu's 2026 share, which was below it.
	if b, a := viNumber(t, before.mt2), viNumber(t, after.mt2); !(a > b) {
		t.Errorf("MT.2's 2026 actual went %s → %s, want it higher", before.mt2, after.mt2)
	}
	// Dated by today, not by the quarter's end (31/12/2026), which the
	// assessment would take for a figure of the future and pass over.
	if before.mt2Date != "30/09/2026" || after.mt2Date != "02/12/2026" {
		t.Errorf("MT.2's 2026 actual is dated %s before the journey, %s after, want 30/09/2026 (2026Q3's end) and 02/12/2026 (today)", before.mt2Date, after.mt2Date)
	}
	// Its assessment reads the new figure: above 2023's 60 %, achieved.
	if before.mt2Status != vi("target.status.achieved") || after.mt2Status != vi("target.status.achieved") || !strings.Contains(after.mt2Explain, after.mt2) {
		t.Errorf("MT.2's assessment: %q before, %q (%q) after; want achieved on the latest figure %s", before.mt2Status, after.mt2Status, after.mt2Explain, after.mt2)
	}
	// MT.5: one more report sent on the system.
	if b, a := viNumber(t, before.mt5), viNumber(t, after.mt5); !(a > b) {
		t.Errorf("MT.5's 2026 actual went %s → %s, want it higher", before.mt5, after.mt5)
	}
	if after.mt5Date != "02/12/2026" || !strings.Contains(after.mt5Explain, after.mt5) {
		t.Errorf("MT.5's 2026 actual is dated %s and its assessment says %q, want today (02/12/2026) and the figure %s", after.mt5Date, after.mt5Explain, after.mt5)
	}
	// Completeness: Bản Bo's report counts among those sent.
	if b, a := viNumber(t, before.sent), viNumber(t, after.sent); a != b+1 {
		t.Errorf("Lai Châu's reports sent for %s went %s → %s, want one more", j.period, before.sent, after.sent)
	}
	if before.expected != after.expected {
		t.Errorf("Lai Châu's reports expected for %s went %s → %s, want no change", j.period, before.expected, after.expected)
	}
	if b, a := viNumber(t, before.rate), viNumber(t, after.rate); !(a > b) {
		t.Errorf("Lai Châu's rate of reports sent for %s went %s → %s, want it higher", j.period, before.rate, after.rate)
	}
}

// viNumber reads a number written the Vietnamese way (1.234,5), with an
// optional unit after it.
func viNumber(t *testing.T, s string) float64 {
	t.Helper()
	f := strings.Fields(s)
	if len(f) == 0 {
		t.Fatalf("no number in %q", s)
	}
	n := strings.TrimSuffix(f[0], "%")
	v, err := strconv.ParseFloat(strings.ReplaceAll(strings.ReplaceAll(n, ".", ""), ",", "."), 64)
	if err != nil {
		t.Fatalf("number %q: %v", s, err)
	}
	return v
}
