package plan

import (
	"fmt"
	"math"
	"testing"

	"github.com/tinhso/tinhso/internal/locale"
)

// The year axis is the calendar: the grid stands at 1 January, each year's
// label sits in the middle of its year, year-end figures (milestones,
// baselines) on the line that closes their year, and today (2 December
// 2026) near the end of 2026, not by the line labelled 2026 of a year-end
// axis, where it read as late 2025.
func TestChartYearAxis(t *testing.T) {
	base := 10.0
	tg := Target{ID: 7, Statement: "Tỷ lệ hồ sơ trực tuyến", Unit: "%", Direction: "at_least",
		Baseline:   &Baseline{Year: 2022, Value: &base},
		Milestones: []Value{{Year: 2025, Value: 40}, {Year: 2027, Value: 60}},
		Actuals:    []Actual{{MeasuredOn: "2024-07-01", Value: 25}, {MeasuredOn: "2026-12-02", Value: 45}}}
	c := newChart(tg, locale.VI, 640, 300, false, "2026-12-02")
	if c == nil {
		t.Fatal("no chart")
	}
	// The years drawn: 2022 (the baseline's) to 2027 (the last milestone's).
	var labels []string
	for _, tk := range c.XTicks {
		labels = append(labels, tk.Label)
	}
	if len(c.XGrid) != 7 || len(c.XTicks) != 6 || labels[0] != "2022" || labels[5] != "2027" {
		t.Fatalf("grid %v, labels %v: want 7 lines (1/1/2022 … 1/1/2028) and the six years 2022–2027 between them", c.XGrid, labels)
	}
	year := func(y int) (from, to float64) { return c.XGrid[y-2022], c.XGrid[y-2022+1] }
	near := func(a, b float64) bool { return math.Abs(a-b) < 0.6 }
	for i, tk := range c.XTicks {
		from, to := c.XGrid[i], c.XGrid[i+1]
		if !near(tk.At, (from+to)/2) {
			t.Errorf("label %s at x=%.1f, want the middle of its year (%.1f–%.1f)", tk.Label, tk.At, from, to)
		}
	}
	from, to := year(2026)
	if !c.HasToday || c.Today <= from || c.Today >= to {
		t.Fatalf("today (2/12/2026) at x=%.1f, want inside 2026 (%.1f–%.1f)", c.Today, from, to)
	}
	// 2 December is day 336 of 365: 92% of the way through the year.
	if share := (c.Today - from) / (to - from); math.Abs(share-335.0/365) > 0.01 {
		t.Errorf("today sits %.0f%% into 2026, want 92%%", share*100)
	}
	s := c.Series[0]
	_, end2025 := year(2025)
	_, end2022 := year(2022)
	if !near(s.Milestones[0].X, end2025) || !near(s.Baseline.X, end2022) {
		t.Errorf("milestone 2025 at x=%.1f, baseline 2022 at x=%.1f: want the ends of their years (%.1f, %.1f)", s.Milestones[0].X, s.Baseline.X, end2025, end2022)
	}
	from2024, to2024 := year(2024)
	if mid := (from2024 + to2024) / 2; !near(s.Actuals[0].X, mid) {
		t.Errorf("the value of 1/7/2024 at x=%.1f, want mid-2024 (%.1f)", s.Actuals[0].X, mid)
	}
	if want := locale.T(locale.VI, "chart.milestone_point", "40", "%", 2025); s.Milestones[0].Label != want {
		t.Errorf("milestone label %q, want %q", s.Milestones[0].Label, want)
	}
	if want := locale.T(locale.VI, "chart.baseline_point", "10", "%", 2022); s.Baseline.Label != want {
		t.Errorf("baseline label %q, want %q", s.Baseline.Label, want)
	}
}

// A phone's chart of many years labels fewer years, each still in the
// middle of its own year, the last year always; today stays in its year.
func TestChartYearAxisNarrow(t *testing.T) {
	tg := Target{ID: 8, Direction: "at_least", Milestones: []Value{{Year: 2020, Value: 1}, {Year: 2030, Value: 9}},
		Actuals: []Actual{{MeasuredOn: "2026-12-02", Value: 5}}}
	c := newChart(tg, locale.VI, 360, 260, false, "2026-12-02")
	if len(c.XTicks) == 0 || len(c.XTicks) > 360/55 {
		t.Fatalf("%d labels on a 360-wide chart", len(c.XTicks))
	}
	if len(c.XGrid) != 12 {
		t.Errorf("%d year lines, want 12 (1/1/2020 … 1/1/2031)", len(c.XGrid))
	}
	if last := c.XTicks[len(c.XTicks)-1]; last.Label != "2030" {
		t.Errorf("last label %s, want 2030", last.Label)
	}
	for _, tk := range c.XTicks {
		var y int
		fmt.Sscan(tk.Label, &y)
		if i := y - 2020; i < 0 || i+1 >= len(c.XGrid) || !near1(tk.At, (c.XGrid[i]+c.XGrid[i+1])/2) {
			t.Errorf("label %s at %.1f, not in the middle of its year", tk.Label, tk.At)
		}
	}
	x := func(year float64) float64 { return c.Left + (year-2020)/(2031-2020)*(c.Right-c.Left) }
	if !near1(c.Today, x(2026+335.0/365)) {
		t.Errorf("today at %.1f, want %.1f", c.Today, x(2026+335.0/365))
	}
}

func near1(a, b float64) bool { return math.Abs(a-b) < 0.6 }
