package dti

import (
	"fmt"
	"strings"

	"github.com/tinhso/tinhso/internal/locale"
)

// Charts drawn server-side as SVG, by the page template from these
// coordinates (classes only: the content security policy forbids inline
// style): a unit's main indices as horizontal bars (0–1), and its rank
// over the years.

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
