package dti

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tinhso/tinhso/internal/locale"
)

// Charts drawn server-side as SVG, by the page template from these
// coordinates (classes only: the content security policy forbids inline
// style): a unit's main indices as horizontal bars (0–1) or on a radar
// against a comparison, and its rank over the years.

// BarChart is main indices as bars.
type BarChart struct {
	W, H int
	Bars []Bar
}

// Bar is one main index.
type Bar struct {
	Label, Value string
	Y, Width     float64 // the bar's top and length in the viewBox
	LabelY       float64
	Unscored     bool
}

const barLeft, barSpan, barRow = 8.0, 300.0, 34.0

// mainBars lays out main indices (value = points / maximum).
func mainBars(l locale.Lang, mains []MainScore) *BarChart {
	if len(mains) == 0 {
		return nil
	}
	c := &BarChart{W: int(barLeft + barSpan + 70), H: int(barRow*float64(len(mains))) + 4}
	for i, m := range mains {
		b := Bar{Label: m.Code + ". " + m.Name, Y: float64(i)*barRow + 16, LabelY: float64(i)*barRow + 12}
		if m.Index == nil {
			b.Unscored = true // the template says so
		} else {
			b.Width = barSpan * max(0, min(1, *m.Index))
			b.Value = padIndex(l, *m.Index)
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// RankChart is a unit's rank over the years: 1 at the top.
type RankChart struct {
	W, H   int
	Points []RankPoint
	Line   string // the polyline's points
	Ticks  []RankPoint
}

// RankPoint is one year's rank.
type RankPoint struct {
	X, Y     float64
	Year     string
	Label    string
	Averaged bool
}

// rankChart lays out rows (one per year, oldest first): rank / peers on a
// scale where the top is rank 1 and the bottom the most peers.
func rankChart(rows []HistoryRow) *RankChart {
	if len(rows) == 0 {
		return nil
	}
	const w, h, left, top, bottom = 360.0, 180.0, 36.0, 16.0, 30.0
	peers := 1
	for _, r := range rows {
		peers = max(peers, r.Peers, r.Rank)
	}
	c := &RankChart{W: int(w), H: int(h)}
	step := (w - left - 24) / float64(max(1, len(rows)-1))
	var line []string
	for i, r := range rows {
		x := left + float64(i)*step
		if len(rows) == 1 {
			x = left + (w-left)/2
		}
		y := top + (h-top-bottom)*float64(r.Rank-1)/float64(max(1, peers-1))
		label := fmt.Sprintf("%d/%d", r.Rank, r.Peers)
		if r.Averaged {
			label = "≈" + label
		}
		c.Points = append(c.Points, RankPoint{X: x, Y: y, Year: fmt.Sprint(r.Year), Label: label, Averaged: r.Averaged})
		line = append(line, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	c.Line = strings.Join(line, " ")
	c.Ticks = []RankPoint{{X: 4, Y: top + 4, Label: "1"}, {X: 4, Y: h - bottom + 4, Label: fmt.Sprint(peers)}}
	return c
}

// RadarChart is a unit's main indices (0–1) on a radar, one axis per
// scored main index, against a comparison (the peers' average, or the
// unit's previous year): two polygons over rings at a quarter, a half,
// three quarters and the whole.
type RadarChart struct {
	W, H        int
	CX, CY      float64
	Rings       []string // the rings' polygon points, innermost first
	Axes        []RadarAxis
	Unit, Other string // the two series' polygon points; Other is empty without a comparison
	Dots        []RadarDot
}

// RadarAxis is one main index: its spoke's end and its label.
type RadarAxis struct {
	X, Y   float64 // the spoke's end (the whole)
	LX, LY float64 // the label's anchor
	Anchor string  // start, middle or end
	Label  string
}

// RadarDot marks a series' value on an axis (Other: the comparison).
type RadarDot struct {
	X, Y  float64
	Other bool
}

const radarR = 110.0

// radarChart lays out values (the unit's index per axis) and other (the
// comparison's, nil entries or a nil slice for none) on axes labelled by
// labels. Fewer than three axes make no radar.
func radarChart(labels []string, values, other []*float64) *RadarChart {
	n := len(labels)
	if n < 3 {
		return nil
	}
	c := &RadarChart{W: 560, H: 340, CX: 280, CY: 170}
	at := func(k int, r float64) (float64, float64) {
		a := -math.Pi/2 + 2*math.Pi*float64(k)/float64(n)
		return c.CX + r*math.Cos(a), c.CY + r*math.Sin(a)
	}
	poly := func(val func(k int) float64) string {
		pts := make([]string, n)
		for k := range n {
			x, y := at(k, radarR*val(k))
			pts[k] = fmt.Sprintf("%.1f,%.1f", x, y)
		}
		return strings.Join(pts, " ")
	}
	for _, q := range []float64{0.25, 0.5, 0.75, 1} {
		c.Rings = append(c.Rings, poly(func(int) float64 { return q }))
	}
	for k, l := range labels {
		ax := RadarAxis{Label: l, Anchor: "middle"}
		ax.X, ax.Y = at(k, radarR)
		ax.LX, ax.LY = at(k, radarR+14)
		switch d := ax.LX - c.CX; {
		case d > 1:
			ax.Anchor = "start"
		case d < -1:
			ax.Anchor = "end"
		}
		if ax.LY > c.CY+1 {
			ax.LY += 9 // below the centre: the text hangs under its anchor
		}
		c.Axes = append(c.Axes, ax)
	}
	clamp := func(list []*float64, k int) float64 {
		if k >= len(list) || list[k] == nil {
			return 0
		}
		return max(0, min(1, *list[k]))
	}
	c.Unit = poly(func(k int) float64 { return clamp(values, k) })
	for k := range n {
		x, y := at(k, radarR*clamp(values, k))
		c.Dots = append(c.Dots, RadarDot{X: x, Y: y})
	}
	if slices.ContainsFunc(other, func(v *float64) bool { return v != nil }) {
		c.Other = poly(func(k int) float64 { return clamp(other, k) })
		for k := range n {
			if k < len(other) && other[k] != nil {
				x, y := at(k, radarR*clamp(other, k))
				c.Dots = append(c.Dots, RadarDot{X: x, Y: y, Other: true})
			}
		}
	}
	return c
}
