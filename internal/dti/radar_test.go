package dti_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/testapp"
)

// The radar on a department's sheet, on the demo's 2025 cycle: its main
// indices against the average of every department of the cycle (which a
// department's official cannot see one by one), and against its previous
// year, its predecessors' 2024 average; the chart's values are also a
// table, and the SVG has its title and description.
func TestSheetRadar(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		var set, asm int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_frameworks WHERE code = $1`, dti.DemoSet).Scan(&set); err != nil {
			t.Fatal(err)
		}
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_assessments WHERE framework_id = $1 AND year = 2025`, set).Scan(&asm); err != nil {
			t.Fatal(err)
		}
		// The average the API gives is each main index's mean over every
		// department, as the coordinator who sees them all computes it.
		var all, own dti.Results
		_, body, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/dti/scores?framework=%d&year=2025&stage=current", set), "")
		testapp.JSON(t, body, &all)
		_, body, _ = app.Do(t, "baocao.sotp", "GET", fmt.Sprintf("/api/v1/dti/scores?framework=%d&year=2025&stage=current", set), "")
		testapp.JSON(t, body, &own)
		if all.Peers < 10 || len(own.Units) != 1 || len(all.Average) == 0 || len(own.Average) != len(all.Average) {
			t.Fatalf("results: %d peers, %d rows seen by the department, %d averages", all.Peers, len(own.Units), len(own.Average))
		}
		for i, a := range own.Average {
			sum := 0.0
			for _, u := range all.Units {
				sum += u.MainIndices[i].Points
			}
			if want := sum / float64(len(all.Units)); a.Index == nil || abs(a.Points-want) > 0.006 || abs(*a.Index-a.Points/a.MaxPoints) > 1e-9 {
				t.Errorf("average of %s: %+v, want %.2f points", a.Code, a, want)
			}
		}
		u := own.Units[0]
		sheet := fmt.Sprintf("/dti/assessments/%d/units/%d", asm, u.Unit.ID)
		b := app.Login(t, "baocao.sotp")
		st, page := b.Get(t, sheet)
		wantPage(t, "sheet radar", st, page, 200, `class="dti-radar"`, `aria-labelledby="radar-title radar-desc"`, "<desc id=\"radar-desc\">",
			fmt.Sprintf("Chỉ số chính so với trung bình của %d đơn vị cùng bộ chỉ số", all.Peers), "Theo điểm hiện tại", `class="radar-other"`, `id="radar-table"`)
		table := page[strings.Index(page, `id="radar-table"`):]
		table = table[:strings.Index(table, "</table>")]
		rows := regexp.MustCompile(`<tr><th scope="row"[^>]*>([^<]+)</th><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td></tr>`).FindAllStringSubmatch(table, -1)
		if len(rows) != len(u.MainIndices) {
			t.Fatalf("%d rows in the radar's table, want %d", len(rows), len(u.MainIndices))
		}
		for i, m := range u.MainIndices {
			if want := fmt.Sprintf("%.4f", *m.Index); rows[i][2] != strings.Replace(want, ".", ",", 1) {
				t.Errorf("%s: the unit's value %q, want %s", m.Code, rows[i][2], want)
			}
			if want := fmt.Sprintf("%.4f", *own.Average[i].Index); rows[i][3] != strings.Replace(want, ".", ",", 1) {
				t.Errorf("%s: the average %q, want %s", m.Code, rows[i][3], want)
			}
		}
		if n := strings.Count(page[strings.Index(page, `class="dti-radar"`):strings.Index(page, "</svg>")], "<line "); n != len(u.MainIndices) {
			t.Errorf("%d axes", n)
		}
		if u.Previous == nil {
			t.Fatal("the department has no previous year")
		}
		st, page = b.Get(t, sheet+"?compare=previous")
		wantPage(t, "sheet radar, previous year", st, page, 200, "Chỉ số chính so với năm 2024", "So với trung bình các đơn vị")
		if u.Previous.Averaged && !strings.Contains(page, locale.T(locale.VI, "dti.averaged")) {
			t.Error("an averaged previous year is not labelled")
		}
		for _, m := range u.Previous.MainIndices {
			if m.Index != nil && !strings.Contains(page, strings.Replace(fmt.Sprintf("%.4f", *m.Index), ".", ",", 1)) {
				t.Errorf("the previous year's %s (%.4f) is not shown", m.Code, *m.Index)
			}
		}
	})
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
