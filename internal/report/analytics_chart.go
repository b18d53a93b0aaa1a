package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tinhso/tinhso/internal/locale"
)

// The pivot table's chart, drawn on the server as SVG with the classes of
// the target chart (internal/plan/chart.go: svg.chart, .grid, .axis, the
// series colours s0–s3), so it needs no script and obeys the content
// security policy. Periods across the columns draw lines, one per row (the
// first four rows); other columns draw grouped bars; a table of one column
// draws one bar per row (the first twelve).

const (
	chartSeries = 4
	chartBars   = 12
	chartLabel  = 28 // characters of a slanted category label
)

type anaChart struct {
	ID                    string
	W, H                  int
	Left, Top, Right, Bot float64
	YTicks, XTicks        []anaTick
	Series                []anaSeries
	Lines                 bool
	Title, Desc           string
	Omitted               int // rows not drawn
	YLabelX, XLabelY      float64
	XSlant                bool // category labels written slanted
}

type anaTick struct {
	At    float64
	Label string
}

type anaPoint struct {
	X, Y, W, H float64 // a bar's box; a point is X, Y
	Label      string
}

type anaSeries struct {
	Class, Name string
	Line        string
	Points      []anaPoint
}

// newAnaChart draws t, nil when there is nothing to draw.
func newAnaChart(t pivotTable, lang locale.Lang, label func(string) string) *anaChart {
	if len(t.rowKeys) == 0 || len(t.colKeys) == 0 {
		return nil
	}
	c := &anaChart{ID: "ana-chart", W: 720, H: 320, Left: 64, Top: 16, Right: 704, Bot: 280}
	c.YLabelX, c.XLabelY = c.Left-8, c.Bot+20
	join := func(ids []string) string {
		var ls []string
		for _, id := range ids {
			ls = append(ls, label(id))
		}
		return strings.Join(ls, " · ")
	}
	type series struct {
		name   string
		values []*float64
	}
	var xs []string
	var ss []series
	value := func(rk, ck []string) *float64 {
		if v, ok := t.cells[key(append(slices.Clone(rk), ck...))]; ok {
			return &v
		}
		return nil
	}
	if len(t.colKeys) >= 2 {
		for _, ck := range t.colKeys {
			xs = append(xs, join(ck))
		}
		for i, rk := range t.rowKeys {
			if i == chartSeries {
				c.Omitted = len(t.rowKeys) - chartSeries
				break
			}
			s := series{name: join(rk)}
			for _, ck := range t.colKeys {
				s.values = append(s.values, value(rk, ck))
			}
			ss = append(ss, s)
		}
		c.Lines = slices.Equal(t.colDims, []string{"pe"})
	} else {
		s := series{name: join(t.colKeys[0])}
		for i, rk := range t.rowKeys {
			if i == chartBars {
				c.Omitted = len(t.rowKeys) - chartBars
				break
			}
			xs = append(xs, join(rk))
			s.values = append(s.values, value(rk, t.colKeys[0]))
		}
		ss = []series{s}
	}
	lo, hi := 0.0, math.Inf(-1)
	for _, s := range ss {
		for _, v := range s.values {
			if v != nil {
				lo, hi = math.Min(lo, *v), math.Max(hi, *v)
			}
		}
	}
	if math.IsInf(hi, -1) {
		return nil
	}
	step, lo, hi := axisScale(lo, hi)
	// The y axis is as wide as its longest figure (about 7 px a character
	// at the chart's 12 px), so large numbers are not cut at the edge.
	var yLabels []string
	width := 0
	for v := lo; v <= hi+step/1e6; v += step {
		l := locale.Number(lang, v, 2)
		yLabels = append(yLabels, l)
		width = max(width, utf8.RuneCountInString(l))
	}
	c.Left = math.Max(c.Left, float64(16+7*width))
	c.YLabelX = c.Left - 8
	// Category labels that do not fit their slot (units' names, which
	// share their first words: "Sở …", "UBND huyện …") are written
	// slanted, up to chartLabel characters, and the chart grows to hold
	// them; each bar's tooltip and the table below hold the whole name.
	slot := (c.Right - c.Left) / float64(len(xs))
	every := max(1, int(math.Ceil(float64(len(xs))*70/(c.Right-c.Left))))
	longest := 0
	for i, x := range xs {
		if i%every == 0 {
			longest = max(longest, utf8.RuneCountInString(x))
		}
	}
	if float64(7*longest) > slot*float64(every) && len(xs) > 1 {
		c.XSlant = true
		longest = min(longest, chartLabel)
		extra := math.Ceil(float64(7*longest) * 0.6) // sin 35°
		c.H += int(extra)
		c.XLabelY = c.Bot + 14
	}
	for i, x := range xs {
		if i%every == 0 {
			lab := x
			if r := []rune(lab); c.XSlant && len(r) > chartLabel {
				lab = string(r[:chartLabel-1]) + "…"
			}
			c.XTicks = append(c.XTicks, anaTick{At: c.Left + slot*(float64(i)+0.5), Label: lab})
		}
	}
	sy := func(v float64) float64 { return c.Bot - (v-lo)/(hi-lo)*(c.Bot-c.Top) }
	for i, l := range yLabels {
		c.YTicks = append(c.YTicks, anaTick{At: sy(lo + float64(i)*step), Label: l})
	}
	var desc []string
	for si, s := range ss {
		out := anaSeries{Class: fmt.Sprintf("s%d", si), Name: s.name}
		var pts, parts []string
		for i, v := range s.values {
			if v == nil {
				continue
			}
			text := xs[i] + ": " + locale.Number(lang, *v, 2)
			parts = append(parts, text)
			if c.Lines {
				p := anaPoint{X: c.Left + slot*(float64(i)+0.5), Y: sy(*v), Label: s.name + " — " + text}
				out.Points = append(out.Points, p)
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.X, p.Y))
				continue
			}
			w := slot * 0.8 / float64(len(ss))
			x := c.Left + slot*float64(i) + slot*0.1 + w*float64(si)
			y0, y1 := sy(math.Max(0, *v)), sy(math.Min(0, *v))
			out.Points = append(out.Points, anaPoint{X: x, Y: y0, W: w, H: math.Max(1, y1-y0), Label: s.name + " — " + text})
		}
		if len(pts) > 1 {
			out.Line = strings.Join(pts, " ")
		}
		desc = append(desc, s.name+": "+strings.Join(parts, "; "))
		c.Series = append(c.Series, out)
	}
	c.Title = locale.T(lang, "analytics.chart_title")
	c.Desc = strings.Join(desc, ". ")
	return c
}

// axisScale is a round step (1, 2, 2.5 or 5 × 10ⁿ) giving four to eight
// intervals from lo to hi, and lo and hi widened to its multiples.
func axisScale(lo, hi float64) (step, min, max float64) {
	if hi <= lo {
		hi = lo + 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(hi-lo)))
	for _, f := range []float64{0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10} {
		step = f * mag
		if (hi-lo)/step <= 8 {
			break
		}
	}
	min = math.Floor(lo/step+1e-9) * step
	max = math.Ceil(hi/step-1e-9) * step
	if max <= min {
		max = min + step
	}
	return step, min, max
}
