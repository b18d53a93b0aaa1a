package report

import (
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/locale"
)

// TestChartLabelsFit: units' names, which share their first words, are
// written slanted and long enough to tell apart, with the chart grown to
// hold them; a figure in the millions widens the y axis instead of being
// cut at the edge; short labels stay level.
func TestChartLabelsFit(t *testing.T) {
	names := map[string]string{
		"a": "Sở Khoa học và Công nghệ", "b": "Sở Tài chính", "c": "Sở Nội vụ",
		"d": "Sở Giáo dục và Đào tạo", "e": "Sở Y tế", "f": "Văn phòng Ủy ban nhân dân tỉnh Gia Lai",
		"y": "2025",
	}
	t1 := pivotTable{colDims: []string{"pe"}, rowDims: []string{"ou"}, colKeys: [][]string{{"y"}}, cells: map[string]float64{}}
	for i, id := range []string{"a", "b", "c", "d", "e", "f"} {
		t1.rowKeys = append(t1.rowKeys, []string{id})
		t1.cells[key([]string{id, "y"})] = float64(1_250_000 * (i + 1))
	}
	c := newAnaChart(t1, locale.VI, func(id string) string { return names[id] })
	if !c.XSlant || c.H <= 320 {
		t.Errorf("long unit names: slant %v, height %d", c.XSlant, c.H)
	}
	var labels []string
	for _, x := range c.XTicks {
		labels = append(labels, x.Label)
	}
	got := strings.Join(labels, "|")
	for _, want := range []string{"Sở Khoa học và Công nghệ", "Sở Giáo dục và Đào tạo", "Văn phòng Ủy ban nhân dân t…"} {
		if !strings.Contains(got, want) {
			t.Errorf("x labels %q lack %q", got, want)
		}
	}
	top := c.YTicks[len(c.YTicks)-1].Label
	if need := float64(7 * len([]rune(top))); c.YLabelX < need {
		t.Errorf("y label %q needs %.0f px left of the axis, has %.0f", top, need, c.YLabelX)
	}

	t2 := pivotTable{colDims: []string{"pe"}, rowDims: []string{"ou"}, colKeys: [][]string{{"y"}}, cells: map[string]float64{}}
	for i, id := range []string{"b", "e"} {
		t2.rowKeys = append(t2.rowKeys, []string{id})
		t2.cells[key([]string{id, "y"})] = float64(i + 3)
	}
	if c := newAnaChart(t2, locale.VI, func(id string) string { return names[id] }); c.XSlant || c.H != 320 {
		t.Errorf("short labels: slant %v, height %d", c.XSlant, c.H)
	}
}
