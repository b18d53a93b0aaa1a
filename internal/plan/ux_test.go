package plan_test

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

func vi(key string, args ...any) string { return locale.T(locale.VI, key, args...) }

// noDateInputs fails on date and month inputs: they follow the browser's
// language, and dates are typed dd/mm/yyyy here.
func noDateInputs(t *testing.T, path, body string) {
	t.Helper()
	for _, bad := range []string{`type="date"`, `type="month"`} {
		if strings.Contains(body, bad) {
			t.Errorf("%s has an input %s", path, bad)
		}
	}
}

// plansByNumber reads the plans through the API.
func plansByNumber(t *testing.T, app *testapp.App) map[string]plan.Plan {
	t.Helper()
	var list []plan.Plan
	_, raw, _ := app.Do(t, "admin", "GET", "/api/v1/plans", "")
	testapp.JSON(t, raw, &list)
	out := map[string]plan.Plan{}
	for _, p := range list {
		out[p.Number] = p
	}
	return out
}

func TestUsabilityPages(t *testing.T) {
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		plans := plansByNumber(t, app)
		p1331, p3015 := plans["1331/KH-UBND"], plans["3015/KH-UBND"]

		t.Run("a plan whose span is over has ended", func(t *testing.T) {
			if !p3015.Ended || p3015.Status != "in_force" || p1331.Ended {
				t.Errorf("3015 (2023–2025): ended %v, status %s; 1331 (2022–2030): ended %v", p3015.Ended, p3015.Status, p1331.Ended)
			}
			body := pageGet(t, app.Login(t, "lanhdao"), "/plans")
			row := func(p plan.Plan) string {
				i := strings.Index(body, fmt.Sprintf(`<a href="/plans/%d">%s</a>`, p.ID, p.Number))
				if i < 0 {
					t.Fatalf("/plans does not list %s", p.Number)
				}
				return body[i : i+strings.Index(body[i:], "</tr>")]
			}
			if r := row(p3015); !strings.Contains(r, `data-status="ended">`+vi("plan.status.ended")) {
				t.Errorf("3015's row does not say %q", vi("plan.status.ended"))
			}
			if r := row(p1331); !strings.Contains(r, `data-status="in_force">`+vi("plan.status.in_force")) {
				t.Errorf("1331's row does not say %q", vi("plan.status.in_force"))
			}
		})

		t.Run("a target whose final year passed unmet is not achieved", func(t *testing.T) {
			var targets []plan.Target
			_, raw, _ := app.Do(t, "lanhdao", "GET", fmt.Sprintf("/api/v1/plans/%d/targets", p3015.ID), "")
			testapp.JSON(t, raw, &targets)
			var missed *plan.Target
			for i, tg := range targets {
				last := tg.Milestones[len(tg.Milestones)-1].Year
				if tg.Status == "off_track" && last < 2026 {
					t.Errorf("target %s (final milestone %d) is off track in December 2026, want not achieved", tg.Code, last)
				}
				if tg.Status == "not_achieved" && missed == nil {
					missed = &targets[i]
				}
			}
			if missed == nil {
				t.Fatal("no target of 3015/KH-UBND is not achieved")
			}
			leader := app.Login(t, "lanhdao")
			body := pageGet(t, leader, fmt.Sprintf("/targets/%d", missed.ID))
			if !strings.Contains(body, `data-status="not_achieved">`+vi("target.status.not_achieved")) {
				t.Errorf("target %s's page does not say %q", missed.Code, vi("target.status.not_achieved"))
			}
			plansPage := pageGet(t, leader, "/plans")
			if !strings.Contains(plansPage, "không đạt</a>") {
				t.Error("/plans does not count the targets not achieved")
			}
		})

		t.Run("dates are typed and shown dd/mm/yyyy", func(t *testing.T) {
			coord := app.Login(t, "dieuphoi")
			var target plan.Target
			_, raw, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/targets", p1331.ID), "")
			var targets []plan.Target
			testapp.JSON(t, raw, &targets)
			target = targets[0]
			path := fmt.Sprintf("/targets/%d", target.ID)
			body := pageGet(t, coord, path)
			noDateInputs(t, path, body)
			today := locale.InputDate(org.Today())
			if !strings.Contains(body, `placeholder="dd/mm/yyyy"`) || !strings.Contains(body, `value="`+today+`"`) || !strings.Contains(body, `inputmode="numeric"`) {
				t.Errorf("the actual's date field is not a dd/mm/yyyy text field holding today (%s)", today)
			}
			actuals := rowCount(t, app, "target_actuals")
			status, body := coord.Post(t, path+"/actuals", url.Values{"measuredOn": {"07/31/2026"}, "value": {"12,5"}, "evidence": {"Báo cáo thử"}})
			if status != 422 || !strings.Contains(body, vi("field.measuredOn")+": "+vi("invalid.date")) || !strings.Contains(body, `value="07/31/2026"`) {
				t.Errorf("a month-first date: status %d, want 422 naming the field and keeping what was typed", status)
			}
			if n := rowCount(t, app, "target_actuals"); n != actuals {
				t.Fatalf("a refused actual wrote %d rows", n-actuals)
			}
			status, _ = coord.Post(t, path+"/actuals", url.Values{"measuredOn": {"31/07/2026"}, "value": {"12,5"}, "evidence": {"Báo cáo thử"}})
			if status != 200 {
				t.Fatalf("an actual dated 31/07/2026: status %d", status)
			}
			var on string
			if err := app.DB.Read.QueryRow(`SELECT measured_on FROM target_actuals WHERE evidence = 'Báo cáo thử'`).Scan(&on); err != nil || on != "2026-07-31" {
				t.Errorf("the actual is dated %q (%v), want 2026-07-31", on, err)
			}

			// The task filters and the review's month.
			body = pageGet(t, coord, "/tasks?scope=all&dueFrom=01/01/2025&dueTo=31/12/2025")
			noDateInputs(t, "/tasks", body)
			if !strings.Contains(body, `value="01/01/2025"`) || !strings.Contains(body, `value="31/12/2025"`) {
				t.Error("the task filters do not show their dates dd/mm/yyyy")
			}
			if strings.Contains(body, `class="errors"`) {
				t.Error("the task filters refuse dates written dd/mm/yyyy")
			}
			status, body = coord.Get(t, "/tasks?scope=all&dueFrom=12/31/2025")
			if status != 422 || !strings.Contains(body, vi("field.dueFrom")+": "+vi("invalid.date")) {
				t.Errorf("a month-first due date: status %d, want 422 naming the field", status)
			}
			body = pageGet(t, coord, "/review?month=11/2026")
			noDateInputs(t, "/review", body)
			if !strings.Contains(body, vi("review.heading", "tháng 11/2026")) || !strings.Contains(body, `value="11/2026"`) {
				t.Error("/review?month=11/2026 is not November's review")
			}
			pageGet(t, coord, "/plans/"+strconv.FormatInt(p1331.ID, 10))
		})

		t.Run("the review filters by plan and unit, and never shows 0 of N", func(t *testing.T) {
			coord := app.Login(t, "dieuphoi")
			whole := pageGet(t, coord, "/review")
			if strings.Contains(whole, "Đang hiện 0 trong") {
				t.Error("the review says \"Đang hiện 0 trong …\"")
			}
			// (A unit past the screen's budget: TestReviewScreenBudget.)
			q := url.Values{"plan": {strconv.FormatInt(p1331.ID, 10)}}
			one := pageGet(t, coord, "/review?"+q.Encode())
			overdue := section(one, "overdue-h", "soon-h")
			if !strings.Contains(overdue, "1331/KH-UBND") || strings.Contains(overdue, "3015/KH-UBND") || strings.Contains(section(one, "targets-h", "league-h"), "3015/KH-UBND") {
				t.Error("the review of 1331/KH-UBND shows other plans")
			}
			if !strings.Contains(one, `<option value="`+q.Get("plan")+`" selected>`) || !strings.Contains(one, vi("review.filtered")) {
				t.Error("the filtered review does not show its filter")
			}
			for _, link := range []string{"/review/print?month=", "/review.xlsx?month="} {
				if !strings.Contains(one, `href="`+link) || !strings.Contains(one, "plan="+q.Get("plan")) {
					t.Errorf("the filtered review's %s link drops the filter", link)
				}
			}
			// One lead unit: the one with most tasks this month.
			var rv plan.Review
			_, raw, _ := app.Do(t, "dieuphoi", "GET", "/api/v1/review", "")
			testapp.JSON(t, raw, &rv)
			slices.SortFunc(rv.League, func(a, b plan.LeagueRow) int { return b.Tasks - a.Tasks })
			top := rv.League[0].Unit
			unit := pageGet(t, coord, "/review?unit="+strconv.FormatInt(top.ID, 10))
			league := unit[strings.Index(unit, `id="league-h"`):]
			if rows := strings.Count(league, "<th scope=\"row\">"); rows != 1 || !strings.Contains(league, top.Label) {
				t.Errorf("the review of %s ranks %d units", top.Code, rows)
			}
			if !strings.Contains(unit, `<option value="`+strconv.FormatInt(top.ID, 10)+`" selected>`) {
				t.Errorf("the unit filter does not show %s chosen", top.Code)
			}
			if len(unit) >= len(whole) {
				t.Errorf("the review of one unit is %d bytes, the whole %d", len(unit), len(whole))
			}
			// The print view and the workbook read the same filter.
			print := pageGet(t, coord, "/review/print?"+q.Encode())
			if strings.Contains(section(print, "overdue-h", "soon-h"), "3015/KH-UBND") || !strings.Contains(print, "1331/KH-UBND") {
				t.Error("the printed review of 1331 shows other plans")
			}
			res, err := coord.Client.Get(app.URL + "/review.xlsx?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(res.Body)
			res.Body.Close()
			cells := workbookText(t, data)
			if !strings.Contains(cells, "1331/KH-UBND") || strings.Contains(cells, "3015/KH-UBND") {
				t.Error("the review workbook of 1331 holds other plans (or not 1331)")
			}
			// Bad filters are named, and the whole month is shown.
			status, body := coord.Get(t, "/review?plan="+strconv.FormatInt(plans["4900/KH-UBND"].ID, 10))
			if status != 422 || !strings.Contains(body, vi("field.plan")+": "+vi("invalid.not_found")) {
				t.Errorf("another province's plan: status %d, want 422 naming the plan", status)
			}
		})

		t.Run("the reporter's part and form come first on a task of many units", func(t *testing.T) {
			_, raw, _ := app.Do(t, "baocao.pleiku", "GET", "/api/v1/tasks?mine=1", "")
			var mine []plan.Task
			testapp.JSON(t, raw, &mine)
			var task plan.Task
			for _, tk := range mine {
				if n := len(tk.LeadUnits) + len(tk.CoordinatingUnits); n > len(task.LeadUnits)+len(task.CoordinatingUnits) {
					task = tk
				}
			}
			if n := len(task.LeadUnits) + len(task.CoordinatingUnits); n < 20 {
				t.Fatalf("the Pleiku reporter's largest task has %d units", n)
			}
			path := fmt.Sprintf("/tasks/%d", task.ID)
			body := pageGet(t, app.Login(t, "baocao.pleiku"), path)
			mineAt, formAt, othersAt, historyAt := strings.Index(body, `class="card my-part"`), strings.Index(body, `action="`+path+`/updates"`),
				strings.Index(body, `<details class="card parts-others"`), strings.Index(body, `id="history"`)
			if mineAt < 0 || formAt < mineAt || othersAt < formAt || historyAt < othersAt {
				t.Fatalf("order on the page: own part %d, form %d, other units %d, history %d", mineAt, formAt, othersAt, historyAt)
			}
			if !strings.Contains(body[mineAt:formAt], "Thành phố Pleiku") {
				t.Error("the first part shown is not Pleiku's")
			}
			if strings.Contains(body, `<details class="card parts-others" open>`) {
				t.Error("the other units are not folded")
			}
			// The other units, lead first, each run in Vietnamese order.
			rows := regexp.MustCompile(`<th scope="row" data-label="[^"]*">([^<]+)`).FindAllStringSubmatch(body[othersAt:historyAt], -1)
			if len(rows) != len(task.LeadUnits)+len(task.CoordinatingUnits)-1 {
				t.Errorf("%d other units listed, want %d", len(rows), len(task.LeadUnits)+len(task.CoordinatingUnits)-1)
			}
			var leads []string
			for _, r := range rows[:len(task.LeadUnits)-1] {
				leads = append(leads, strings.TrimSpace(r[1]))
			}
			col := locale.Collator()
			if !slices.IsSortedFunc(leads, col.CompareString) {
				t.Errorf("the other lead units are not in Vietnamese order: %v", leads)
			}
			// The history is paged.
			n := len(regexp.MustCompile(`<li id="report-\d+"[^>]*>\n  <p class="who">`).FindAllString(body[historyAt:], -1))
			var total int
			fmt.Sscan(regexp.MustCompile(`id="history">[^(]*\((\d+)\)`).FindStringSubmatch(body)[1], &total)
			if total > 10 && (n != 10 || !strings.Contains(body, `href="`+path+`?history=10#history"`)) {
				t.Errorf("history of %d reports shows %d and links the older ones: %v", total, n, strings.Contains(body, "?history=10"))
			}
			if total > 10 {
				older := pageGet(t, app.Login(t, "baocao.pleiku"), path+"?history=10")
				if !strings.Contains(older, vi("task.history_shown", 11, min(20, total), total)) {
					t.Errorf("the second page of the history does not say it holds reports 11–%d", min(20, total))
				}
			}
		})

		t.Run("on the target chart today sits inside its year", func(t *testing.T) {
			var targets []plan.Target
			_, raw, _ := app.Do(t, "lanhdao", "GET", fmt.Sprintf("/api/v1/plans/%d/targets", p1331.ID), "")
			testapp.JSON(t, raw, &targets)
			body := pageGet(t, app.Login(t, "lanhdao"), fmt.Sprintf("/targets/%d", targets[0].ID))
			svg := body[strings.Index(body, `<div class="chart-wide">`):]
			svg = svg[:strings.Index(svg, "</svg>")]
			num := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
			var grid []float64
			grids := svg[strings.Index(svg, `<g class="grid">`):]
			grids = grids[:strings.Index(grids, "</g>")]
			for _, m := range regexp.MustCompile(`<line x1="([\d.]+)" x2="([\d.]+)"`).FindAllStringSubmatch(grids, -1) {
				if m[1] == m[2] {
					grid = append(grid, num(m[1]))
				}
			}
			label := regexp.MustCompile(`<text class="xlab" x="([\d.]+)"[^>]*>2026</text>`).FindStringSubmatch(svg)
			today := regexp.MustCompile(`<line class="today" x1="([\d.]+)"`).FindStringSubmatch(svg)
			if label == nil || today == nil || len(grid) < 3 {
				t.Fatalf("chart: label 2026 %v, today %v, %d year lines", label, today, len(grid))
			}
			at := num(label[1])
			var from, to float64
			for i := 0; i+1 < len(grid); i++ {
				if grid[i] < at && at < grid[i+1] {
					from, to = grid[i], grid[i+1]
				}
			}
			x := num(today[1])
			if to == 0 || x <= from || x >= to {
				t.Fatalf("today at x=%.1f, the year 2026 spans %.1f–%.1f", x, from, to)
			}
			// In December, near the year's end.
			if org.Today()[5:7] == "12" && (x-from)/(to-from) < 0.9 {
				t.Errorf("today (%s) sits %.0f%% into 2026", org.Today(), 100*(x-from)/(to-from))
			}
		})
	})
}

// workbookText is every cell of every sheet of a workbook, one per line.
func workbookText(t *testing.T, data []byte) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("workbook: %v", err)
	}
	defer f.Close()
	var b strings.Builder
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			b.WriteString(strings.Join(r, "\t") + "\n")
		}
	}
	return b.String()
}
