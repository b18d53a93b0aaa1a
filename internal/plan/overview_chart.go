package plan

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/tinhso/tinhso/internal/locale"
)

// The overview's charts, drawn server-side as SVG in the style of the
// target charts (chart.go: the same classes, no inline style): the targets
// of each pillar as a bar split by status, each part a link to its
// targets; and the 12 months' trend as two lines, each point a link to
// that month's review.

// targetStatusOrder is the order of the parts of a pillar's bar: best
// first.
var targetStatusOrder = []string{"achieved", "on_track", "at_risk", "off_track", "not_achieved", "no_data"}

// BarChart is the targets-by-pillar chart.
type BarChart struct {
	ID          string
	W, H        int
	Title, Desc string
	LabelX      float64 // where the pillar names end
	Left, Right float64 // the bars' span
	Rows        []barRow
}

type barRow struct {
	Y, H, TextY float64
	Label       string // the pillar's name
	Total       string
	TotalX      float64
	Href        string // all the pillar's targets
	Segs        []barSeg
}

type barSeg struct {
	X, W   float64
	Status string
	Href   string
	Title  string // what a screen reader and a tooltip say
}

// TargetsHref is the list of the targets behind a figure of the overview.
func TargetsHref(pillar, status string) string {
	q := url.Values{}
	if pillar != "" {
		q.Set("pillar", pillar)
	}
	if status != "" {
		q.Set("status", status)
	}
	if len(q) == 0 {
		return "/overview/targets"
	}
	return "/overview/targets?" + q.Encode()
}

func newBarChart(o Overview, names map[string]string, lang locale.Lang) *BarChart {
	if len(o.Pillars) == 0 {
		return nil
	}
	const rowH, gap, top = 22.0, 10.0, 8.0
	c := &BarChart{ID: "overview-pillars", W: 720, LabelX: 196, Left: 204, Right: 660}
	c.H = int(top*2 + float64(len(o.Pillars))*(rowH+gap))
	most := 0
	for _, p := range o.Pillars {
		most = max(most, p.Total)
	}
	scale := (c.Right - c.Left) / float64(most)
	var desc []string
	for i, p := range o.Pillars {
		name := names[p.Pillar]
		if name == "" {
			name = p.Pillar
		}
		y := top + float64(i)*(rowH+gap)
		row := barRow{Y: y, H: rowH, TextY: y + rowH/2, Label: name, Total: locale.Number(lang, float64(p.Total), 0), Href: TargetsHref(p.Pillar, "")}
		x := c.Left
		var parts []string
		for _, st := range targetStatusOrder {
			n := p.Counts[st]
			if n == 0 {
				continue
			}
			label := fmt.Sprintf("%s: %s %s", name, locale.Number(lang, float64(n), 0), locale.T(lang, "target.status."+st))
			row.Segs = append(row.Segs, barSeg{X: x, W: float64(n) * scale, Status: st, Href: TargetsHref(p.Pillar, st), Title: label})
			parts = append(parts, locale.Number(lang, float64(n), 0)+" "+locale.T(lang, "target.status."+st))
			x += float64(n) * scale
		}
		row.TotalX = x + 6
		desc = append(desc, name+": "+strings.Join(parts, ", "))
		c.Rows = append(c.Rows, row)
	}
	c.Title = locale.T(lang, "overview.pillars_chart")
	c.Desc = strings.Join(desc, ". ") + "."
	return c
}

// TrendChart is the 12 months' trend.
type TrendChart struct {
	ID          string
	W, H        int
	Title, Desc string
	Left, Top   float64
	Right, Bot  float64
	YLabelX     float64
	XLabelY     float64
	YTicks      []chartTick
	XTicks      []chartTick
	Completed   trendLine
	Overdue     trendLine
}

type trendLine struct {
	Class  string
	Line   string
	Points []trendPoint
}

type trendPoint struct {
	X, Y  float64
	Label string
	Href  string
}

func newTrendChart(o Overview, lang locale.Lang) *TrendChart {
	if len(o.Trend) == 0 {
		return nil
	}
	c := &TrendChart{ID: "overview-trend", W: 720, H: 260, Left: 52, Top: 16, Right: 704, Bot: 226}
	c.YLabelX, c.XLabelY = c.Left-8, c.Bot+22
	hi := 0
	for _, m := range o.Trend {
		hi = max(hi, m.Completed, m.Overdue)
	}
	step, lo, top := niceScale(0, float64(max(hi, 4)))
	sy := func(v float64) float64 { return c.Bot - (v-lo)/(top-lo)*(c.Bot-c.Top) }
	n := len(o.Trend)
	sx := func(i int) float64 { return c.Left + (float64(i)+0.5)/float64(n)*(c.Right-c.Left) }
	for v := lo; v <= top+step/1e6; v += step {
		c.YTicks = append(c.YTicks, chartTick{At: sy(v), Label: locale.Number(lang, round(v, step), 0)})
	}
	c.Completed.Class, c.Overdue.Class = "s2", "s1"
	var cpts, opts, desc []string
	for i, m := range o.Trend {
		label := monthShort(lang, m.Month)
		c.XTicks = append(c.XTicks, chartTick{At: sx(i), Label: label})
		href := "/review?month=" + m.Month
		pc := trendPoint{X: sx(i), Y: sy(float64(m.Completed)), Href: href + "#done-h", Label: locale.T(lang, "overview.trend_completed_point", monthLabel(lang, m.Month), m.Completed)}
		po := trendPoint{X: sx(i), Y: sy(float64(m.Overdue)), Href: href + "#overdue-h", Label: locale.T(lang, "overview.trend_overdue_point", monthLabel(lang, m.Month), m.Overdue)}
		c.Completed.Points = append(c.Completed.Points, pc)
		c.Overdue.Points = append(c.Overdue.Points, po)
		cpts = append(cpts, pt(chartPoint{X: pc.X, Y: pc.Y}))
		opts = append(opts, pt(chartPoint{X: po.X, Y: po.Y}))
		desc = append(desc, pc.Label+"; "+po.Label)
	}
	c.Completed.Line, c.Overdue.Line = strings.Join(cpts, " "), strings.Join(opts, " ")
	c.Title = locale.T(lang, "overview.trend_chart")
	c.Desc = strings.Join(desc, ". ") + "."
	return c
}

// monthShort writes YYYY-MM as an axis label: 11/26 in Vietnamese (tháng
// 11 năm 2026), Nov 26 in English.
func monthShort(lang locale.Lang, month string) string {
	if len(month) != 7 {
		return month
	}
	if lang == locale.EN {
		t := mustDate(month + "-01")
		return t.Format("Jan 06")
	}
	return month[5:] + "/" + month[2:4]
}
