package xlsx_test

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tinhso/tinhso/internal/xlsx"
)

// TestGrid writes a report-form grid: title lines that keep their style,
// labels left of the values and a header over several rows kept in view,
// drop-downs and hints over a row or one cell, a formula, wide printing.
func TestGrid(t *testing.T) {
	t.Parallel()
	b := xlsx.New("Biểu")
	g, err := b.AddGrid("Dữ liệu", []string{"BIỂU NHẬP SỐ LIỆU", "", ""}, []xlsx.Column{{Header: "Mã", Format: xlsx.TextFmt}, {Header: "Chỉ tiêu", Width: 40}, {Header: "LC.SKHCN"}, {Header: "LC.STC"}})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.Bold(2, 2, "Biểu mẫu"))
	must(g.Set(1, 7, "CDS.SOC"))
	must(g.Set(1, 8, "CDS.HS"))
	must(g.Set(3, 8, 10))
	must(g.Set(4, 8, 20))
	must(g.Formula(3, 9, "C8*2"))
	must(g.DropDownAt(xlsx.Range{Col1: 3, Row1: 7, Col2: 4, Row2: 7}, []string{"Có", "Không"}, "Có hoặc không"))
	must(g.DropDownAt(xlsx.Range{Col1: 3, Row1: 2, Col2: 3, Row2: 2}, []string{"2026Q4", "2026Q3"}, ""))
	must(g.HintAt(xlsx.Range{Col1: 3, Row1: 8, Col2: 4, Row2: 8}, "CDS.HS", "Số nguyên không âm"))
	must(g.Height(6, 48))
	must(g.Freeze(3, 7))
	must(g.PrintWide())
	data, err := b.Bytes()
	must(err)

	f, err := excelize.OpenReader(bytes.NewReader(data))
	must(err)
	defer f.Close()
	id, _ := f.GetCellStyle("Dữ liệu", "A1")
	if st, _ := f.GetStyle(id); st == nil || st.Font == nil || st.Font.Size != 14 || !st.Font.Bold {
		t.Errorf("the title lost its style: %+v", st)
	}
	if p, _ := f.GetPanes("Dữ liệu"); !p.Freeze || p.XSplit != 2 || p.YSplit != 6 {
		t.Errorf("panes %+v", p)
	}
	if h, _ := f.GetRowHeight("Dữ liệu", 6); h != 48 {
		t.Errorf("row 6 height %v", h)
	}
	if fm, _ := f.GetCellFormula("Dữ liệu", "C9"); fm != "C8*2" {
		t.Errorf("formula %q", fm)
	}
	dvs, _ := f.GetDataValidations("Dữ liệu")
	got := map[string]string{}
	for _, dv := range dvs {
		got[dv.Sqref] = dv.Type
	}
	if hint, ok := got["C8:D8"]; got["C7:D7"] != "list" || got["C2"] != "list" || !ok || hint == "list" {
		t.Errorf("validations %v", got)
	}
	if fit, _ := f.GetSheetProps("Dữ liệu"); fit.FitToPage == nil || !*fit.FitToPage {
		t.Error("not fitted to the page")
	}
	if got := f.GetSheetList(); len(got) != 1 {
		t.Errorf("sheets %v", got)
	}
	// The header has no filter: a grid's header holds unit codes.
	if fl := f.GetDefinedName(); len(fl) != 0 {
		t.Errorf("defined names (a filter) %v", fl)
	}
	// Read back, the formula has no result until Excel or Calc saved it.
	wb, err := xlsx.Open(data, xlsx.DefaultLimits())
	must(err)
	sh, err := wb.Sheet("Dữ liệu")
	must(err)
	if c := sh.At(3, 9); c.Kind != xlsx.Uncached {
		t.Errorf("C9 %+v", c)
	}
}

func TestParseDecimal(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]float64{"12.5": 12.5, "12,5": 12.5, "0.25": 0.25, "1234.5": 1234.5, "1234.567": 1234.567, "-3.75": -3.75,
		"1.500": 1500, "1.500.000": 1500000, "1.500,25": 1500.25, "45%": 45, "87.4 %": 87.4} {
		got, err := xlsx.ParseDecimal(in)
		if err != nil || got != want {
			t.Errorf("ParseDecimal(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]error{"1,500": xlsx.ErrAmbiguous, "1,234.5": xlsx.ErrAmbiguous, "abc": xlsx.ErrNotNumber, "1.2.3": xlsx.ErrNotNumber, "": xlsx.ErrNotNumber} {
		if _, err := xlsx.ParseDecimal(in); err != want {
			t.Errorf("ParseDecimal(%q) error %v, want %v", in, err, want)
		}
	}
}

func TestExportFormat(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]string{"": "", "format=json": "", "format=html": "", "format=xlsx": "xlsx", "format=CSV": "csv"} {
		f, ok, err := xlsx.ExportFormat(httptest.NewRequest("GET", "/x?"+q, nil))
		if err != nil || f != want || ok != (want != "") {
			t.Errorf("%q: %q %v %v", q, f, ok, err)
		}
	}
	if _, _, err := xlsx.ExportFormat(httptest.NewRequest("GET", "/x?format=pdf", nil)); err == nil {
		t.Error("pdf accepted")
	}
}

func TestCellPos(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string][2]int{"Dữ liệu!E12": {5, 12}, "AB3": {28, 3}, "Nhiệm vụ!P5:P9": {16, 5}} {
		c, r, ok := xlsx.CellPos(ref)
		if !ok || c != want[0] || r != want[1] {
			t.Errorf("CellPos(%q) = %d, %d, %v", ref, c, r, ok)
		}
	}
	for _, ref := range []string{"Dữ liệu", "file", ""} {
		if _, _, ok := xlsx.CellPos(ref); ok {
			t.Errorf("CellPos(%q) ok", ref)
		}
	}
}
