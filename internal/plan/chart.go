package plan

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/tinhso/tinhso/internal/locale"
)

// Chart is a target's progress drawn server-side as SVG: for the whole
// target or each level, the planned path (baseline, then the milestones,
// joined by straight lines, as the status rule reads it) and the actual
// values. The page template draws it with classes only (the content
// security policy forbids inline style).
type Chart struct {
	ID          string
	W, H        int
	Compact     bool // a sparkline for tables: no axes, no text
	Title, Desc string
	Left, Top   float64 // plot area
	Right, Bot  float64
	XGrid       []float64   // x of each 1 January drawn: the years' boundaries
	XTicks      []chartTick // year labels, each centred on its year
	YTicks      []chartTick
	Series      []chartSeries
	Today       float64 // x of today
	HasToday    bool    // today lies inside the years drawn
	HasBaseline bool
	YLabelX     float64 // where the value labels end
	XLabelY     float64 // where the year labels sit
	TodayY      float64 // where the "today" label sits
}

type chartTick struct {
	At    float64 // x or y in the viewBox
	Label string
}

type chartPoint struct {
	X, Y  float64
	Label string // what the point says to a screen reader (its <title>)
}

type chartSeries struct {
	Class      string // s0, s1, s2: the colour
	Name       string // legend: the level, or "" for the whole target
	PlanLine   string // SVG points of baseline → milestones
	ActualLine string // SVG points of the actual values
	Baseline   *chartPoint
	Milestones []chartPoint
	Actuals    []chartPoint
}

// chartLevels orders a target's levels: the whole first, then province,
// district, commune.
func chartLevels(t Target) []string {
	seen := map[string]bool{}
	for _, m := range t.Milestones {
		seen[m.Level] = true
	}
	for _, a := range t.Actuals {
		seen[a.Level] = true
	}
	var out []string
	for _, l := range append([]string{""}, Levels...) {
		if seen[l] {
			out = append(out, l)
		}
	}
	return out
}

// The x axis is the calendar (yearPoint): grid lines stand at 1 January and
// each year's label sits between them, so a date reads where it falls in its
// year (2 December 2026 near the end of 2026, not by the line of a year-end).
// A milestone or baseline of year Y is a year-end figure: it sits at the end
// of Y's span, on the line of 1 January Y+1.

// newChart lays out the chart of t as of today (YYYY-MM-DD). w and h are
// the viewBox size; compact drops the axes and text for a sparkline.
func newChart(t Target, lang locale.Lang, w, h int, compact bool, today string) *Chart {
	c := &Chart{ID: fmt.Sprintf("chart-%d", t.ID), W: w, H: h, Compact: compact}
	if compact {
		c.ID += "-mini"
		c.Left, c.Top, c.Right, c.Bot = 3, 3, float64(w)-3, float64(h)-3
	} else {
		c.Left, c.Top, c.Right, c.Bot = 58, 22, float64(w)-16, float64(h)-34
	}
	c.YLabelX, c.XLabelY, c.TodayY = c.Left-8, c.Bot+22, c.Top-8
	num := func(v float64) string { return locale.Number(lang, v, 2) }
	type raw struct {
		level      string
		base       *[2]float64
		milestones [][2]float64
		actuals    [][2]float64
		actualText []string
	}
	var all []raw
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := 0.0, math.Inf(-1)
	if compact {
		ymin = math.Inf(1) // a sparkline shows the change, not the level
	}
	see := func(x, y float64) {
		xmin, xmax = math.Min(xmin, x), math.Max(xmax, x)
		ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
	}
	// A year-end figure of year Y: drawn at the end of Y, with Y's span shown.
	seeYear := func(year int, y float64) {
		see(float64(year), y)
		see(endOfYear(year), y)
	}
	for _, level := range chartLevels(t) {
		rw := raw{level: level}
		if b := t.Baseline; b != nil {
			if level == "" && b.Value != nil {
				rw.base = &[2]float64{endOfYear(b.Year), *b.Value}
			}
			for _, l := range b.Levels {
				if level != "" && l.Level == level {
					rw.base = &[2]float64{endOfYear(b.Year), l.Value}
				}
			}
			if rw.base != nil {
				seeYear(b.Year, rw.base[1])
			}
		}
		for _, m := range t.Milestones {
			if m.Level == level {
				rw.milestones = append(rw.milestones, [2]float64{endOfYear(m.Year), m.Value})
				seeYear(m.Year, m.Value)
			}
		}
		sort.Slice(rw.milestones, func(i, j int) bool { return rw.milestones[i][0] < rw.milestones[j][0] })
		for _, a := range t.Actuals {
			if a.Level == level {
				x := yearPoint(a.MeasuredOn)
				rw.actuals = append(rw.actuals, [2]float64{x, a.Value})
				rw.actualText = append(rw.actualText, a.MeasuredOn)
				see(x, a.Value)
			}
		}
		all = append(all, rw)
	}
	if math.IsInf(xmin, 1) { // nothing to draw
		return nil
	}
	// Years: whole years around the data, at least two.
	x0, x1 := math.Floor(xmin), math.Ceil(xmax)
	if x1-x0 < 2 {
		x1 = x0 + 2
	}
	if compact && ymax-ymin < 1e-9 {
		ymin, ymax = ymin-1, ymax+1
	}
	step, lo, hi := niceScale(ymin, ymax)
	sx := func(x float64) float64 { return c.Left + (x-x0)/(x1-x0)*(c.Right-c.Left) }
	sy := func(y float64) float64 { return c.Bot - (y-lo)/(hi-lo)*(c.Bot-c.Top) }
	if !compact {
		// A line at every 1 January; about one year label per 55 units of
		// width, counted back from the last year (the final milestone's)
		// so that it is always named.
		every := 1
		for (x1-x0)/float64(every) > float64(w)/55 {
			every++
		}
		for y := x0; y <= x1+1e-9; y++ {
			c.XGrid = append(c.XGrid, sx(y))
		}
		for y := x1 - 1; y >= x0-1e-9; y -= float64(every) {
			c.XTicks = append([]chartTick{{At: sx(y + 0.5), Label: fmt.Sprintf("%d", int(y))}}, c.XTicks...)
		}
		for v := lo; v <= hi+step/1e6; v += step {
			c.YTicks = append(c.YTicks, chartTick{At: sy(v), Label: num(round(v, step))})
		}
	}
	if now := yearPoint(today); now >= x0 && now <= x1 {
		c.Today, c.HasToday = sx(now), true
	}
	unit := t.Unit
	var desc []string
	for i, rw := range all {
		s := chartSeries{Class: fmt.Sprintf("s%d", i)}
		if rw.level != "" {
			s.Name = locale.T(lang, "target.level."+rw.level)
		}
		var plan []string
		var parts []string
		if rw.base != nil {
			p := chartPoint{X: sx(rw.base[0]), Y: sy(rw.base[1]), Label: locale.T(lang, "chart.baseline_point", num(rw.base[1]), unit, int(rw.base[0])-1)}
			s.Baseline = &p
			c.HasBaseline = true
			plan = append(plan, pt(p))
			parts = append(parts, p.Label)
		} else if len(rw.actuals) > 1 {
			// Without a baseline the status rule draws its line from the
			// first actual value; so does the chart.
			plan = append(plan, fmt.Sprintf("%.1f,%.1f", sx(rw.actuals[0][0]), sy(rw.actuals[0][1])))
		}
		for _, m := range rw.milestones {
			p := chartPoint{X: sx(m[0]), Y: sy(m[1]), Label: locale.T(lang, "chart.milestone_point", num(m[1]), unit, int(m[0])-1)}
			s.Milestones = append(s.Milestones, p)
			plan = append(plan, pt(p))
			parts = append(parts, p.Label)
		}
		var act []string
		for j, a := range rw.actuals {
			p := chartPoint{X: sx(a[0]), Y: sy(a[1]), Label: locale.T(lang, "chart.actual_point", num(a[1]), unit, locale.ISODate(lang, rw.actualText[j]))}
			s.Actuals = append(s.Actuals, p)
			act = append(act, pt(p))
			parts = append(parts, p.Label)
		}
		if len(plan) > 1 {
			s.PlanLine = strings.Join(plan, " ")
		}
		if len(act) > 1 {
			s.ActualLine = strings.Join(act, " ")
		}
		line := strings.Join(parts, "; ")
		if s.Name != "" {
			line = s.Name + ": " + line
		}
		desc = append(desc, line)
		c.Series = append(c.Series, s)
	}
	c.Title = locale.T(lang, "chart.title", t.Statement)
	c.Desc = strings.Join(desc, ". ") + "."
	return c
}

// Diamond is the SVG path of a milestone's marker.
func (p chartPoint) Diamond(r float64) string {
	return fmt.Sprintf("M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ", p.X, p.Y-r, p.X+r, p.Y, p.X, p.Y+r, p.X-r, p.Y)
}

func pt(p chartPoint) string { return fmt.Sprintf("%.1f,%.1f", p.X, p.Y) }

// niceScale picks a round step (1, 2 or 5 × 10ⁿ) giving about four
// intervals from lo to hi, and widens lo and hi to multiples of it.
func niceScale(lo, hi float64) (step, min, max float64) {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / mag; {
	case f <= 1:
		step = mag
	case f <= 2:
		step = 2 * mag
	case f <= 5:
		step = 5 * mag
	default:
		step = 10 * mag
	}
	min = math.Floor(lo/step+1e-9) * step
	max = math.Ceil(hi/step-1e-9) * step
	if max <= min {
		max = min + step
	}
	return step, min, max
}

// round removes the floating-point dust of repeated additions of step.
func round(v, step float64) float64 {
	digits := math.Max(0, -math.Floor(math.Log10(step))+1)
	p := math.Pow(10, digits)
	return math.Round(v*p) / p
}
