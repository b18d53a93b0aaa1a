package xlsx_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// book writes an excelize workbook to bytes.
func book(t testing.TB, f *excelize.File) []byte {
	t.Helper()
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func open(t testing.TB, data []byte) *xlsx.Workbook {
	t.Helper()
	wb, err := xlsx.Open(data, xlsx.DefaultLimits())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return wb
}

func sheet(t testing.TB, wb *xlsx.Workbook, name string) *xlsx.Sheet {
	t.Helper()
	sh, err := wb.Sheet(name)
	if err != nil {
		t.Fatalf("sheet %s: %v", name, err)
	}
	return sh
}

// fields lists the problems of a sheet as "ref code".
func fields(fs []errs.Field) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name+" "+f.Code)
	}
	return out
}

// fileCode is the code of a file-level refusal.
func fileCode(t testing.TB, err error) string {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || len(e.Fields) != 1 {
		t.Fatalf("want one field error, got %v", err)
	}
	return e.Fields[0].Code
}

// Parts of a minimal workbook written by hand, for what excelize does not
// write (numeric formula results, error values, the 1904 date system).
const (
	rawTypes = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`
	rawRoot  = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	rawBook  = `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr%s/><sheets><sheet name="Trang" sheetId="1" r:id="rId1"/></sheets></workbook>`
	rawRels  = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="/xl/styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`
	// Cell formats: 0 general, 1 built-in date (14), 2 custom dd/mm/yyyy,
	// 3 percentage, 4 a custom number with a quoted "d" that is no date.
	rawStyles = `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="#,##0 &quot;đồng&quot;"/></numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="9"/><xf numFmtId="165"/></cellXfs></styleSheet>`
	rawShared = `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>Sở Khoa học và Công nghệ</t></si><si><r><t xml:space="preserve">Chuyển đổi </t></r><r><rPr><b/></rPr><t>số</t></r><rPh><t>PHONETIC</t></rPh></si><si><t>1.500</t></si></sst>`
)

// raw builds a workbook from a sheet's XML (the sheetData and what
// follows it) and the workbookPr attributes.
func raw(t testing.TB, sheetBody, workbookPr string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	parts := [][2]string{
		{"[Content_Types].xml", rawTypes}, {"_rels/.rels", rawRoot}, {"xl/workbook.xml", fmt.Sprintf(rawBook, workbookPr)},
		{"xl/_rels/workbook.xml.rels", rawRels}, {"xl/styles.xml", rawStyles}, {"xl/sharedStrings.xml", rawShared},
		{"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + sheetBody + `</worksheet>`},
	}
	for _, p := range parts {
		w, err := zw.Create(p[0])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p[1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMergedRegions(t *testing.T) {
	f := excelize.NewFile()
	sh := "Nhiệm vụ"
	f.SetSheetName("Sheet1", sh)
	f.SetSheetRow(sh, "A1", &[]any{"Số TT", "Đơn vị chủ trì", "Kinh phí", "Ghi chú"})
	f.MergeCell(sh, "A1", "A1") // a header merge: left alone
	for r := 2; r <= 9; r++ {
		f.SetCellStr(sh, fmt.Sprintf("A%d", r), fmt.Sprint(r-1))
	}
	// A lead unit over three tasks: applies to each.
	f.SetCellStr(sh, "B2", "GL.STTTT")
	f.MergeCell(sh, "B2", "B4")
	// A budget over two tasks: which one spends it? Refused by range.
	f.SetCellFloat(sh, "C5", 100, -1, 64)
	f.MergeCell(sh, "C5", "C6")
	// A blank merged region in a key column: nothing to spread, no error.
	f.MergeCell(sh, "C8", "C9")
	// A merge in a column nobody reads.
	f.SetCellStr(sh, "D2", "ghi chú chung")
	f.MergeCell(sh, "D2", "D9")
	// A heading merged across the whole row covers the key column.
	f.SetCellStr(sh, "A10", "II. HẠ TẦNG SỐ")
	f.MergeCell(sh, "A10", "D10")

	s := sheet(t, open(t, book(t, f)), sh)
	if len(s.Merges()) != 6 {
		t.Fatalf("merges %v", s.Merges())
	}
	rule := func(col int) (xlsx.MergeRule, string) {
		switch col {
		case 1:
			return xlsx.Refuse, "Số TT"
		case 2:
			return xlsx.Apply, "Đơn vị chủ trì"
		case 3:
			return xlsx.Refuse, "Kinh phí"
		}
		return xlsx.Ignore, ""
	}
	s.ApplyMerges(2, rule)
	for _, cell := range []string{"B2", "B3", "B4"} {
		col, row := colRow(cell)
		if got := s.Text(col, row, "Đơn vị chủ trì"); got != "GL.STTTT" {
			t.Errorf("%s: %q, want the merged value", cell, got)
		}
	}
	if got := s.Text(2, 5, ""); got != "" {
		t.Errorf("B5 outside the region: %q", got)
	}
	if got := s.Text(4, 5, ""); got != "" {
		t.Errorf("D5 in an ignored column was filled: %q", got)
	}
	want := []string{"Nhiệm vụ!C5:C6 xlsx_merged", "Nhiệm vụ!A10:D10 xlsx_merged"}
	if got := fields(s.Errors()); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("errors %q, want %q", got, want)
	}
	if c := s.Errors()[0].Column; c != "Kinh phí" {
		t.Errorf("merge error names column %q", c)
	}
	// The refused region gave its value to nobody.
	if v, ok := s.Number(3, 6, "Kinh phí"); ok {
		t.Errorf("C6 of a refused region reads %v", v)
	}
}

func colRow(cell string) (int, int) {
	c, r, err := excelize.CellNameToCoordinates(cell)
	if err != nil {
		panic(err)
	}
	return c, r
}

func TestFormulasGiveTheirCachedValue(t *testing.T) {
	// As excelize writes a formula over a value: a string result.
	f := excelize.NewFile()
	f.SetCellFloat("Sheet1", "A1", 21, -1, 64)
	f.SetCellFloat("Sheet1", "B1", 42, -1, 64)
	f.SetCellFormula("Sheet1", "B1", "A1*2")
	f.SetCellFormula("Sheet1", "C1", "A1*3") // never calculated
	s := sheet(t, open(t, book(t, f)), "Sheet1")
	if v, ok := s.Number(2, 1, "B"); !ok || v != 42 {
		t.Errorf("B1 = %v %v, want the cached 42", v, ok)
	}
	if v := s.Text(3, 1, "C"); v != "" || len(s.Errors()) != 1 || s.Errors()[0].Code != "xlsx_formula_uncached" || s.Errors()[0].Name != "Sheet1!C1" {
		t.Errorf("uncached formula: %q %+v", v, s.Errors())
	}

	// As Excel writes them: numbers, strings, errors.
	data := raw(t, `<sheetData><row r="1">`+
		`<c r="A1"><f>2+3</f><v>5</v></c>`+
		`<c r="B1" t="str"><f>"Sở "&amp;"KH&amp;CN"</f><v>Sở KH&amp;CN</v></c>`+
		`<c r="C1" t="e"><f>1/0</f><v>#DIV/0!</v></c>`+
		`<c r="D1" t="b"><f>TRUE()</f><v>1</v></c>`+
		`<c r="E1" s="1"><f>DATE(2022,6,22)</f><v>44734</v></c>`+
		`</row></sheetData>`, "")
	s = sheet(t, open(t, data), "Trang")
	if v, ok := s.Number(1, 1, "A"); !ok || v != 5 {
		t.Errorf("A1 = %v %v", v, ok)
	}
	if v := s.Text(2, 1, "B"); v != "Sở KH&CN" {
		t.Errorf("B1 = %q", v)
	}
	if v, ok := s.Date(5, 1, "E"); !ok || v != "2022-06-22" {
		t.Errorf("E1 = %q %v", v, ok)
	}
	if s.At(4, 1).String() != "TRUE" {
		t.Errorf("D1 = %q", s.At(4, 1).String())
	}
	s.Text(3, 1, "Kinh phí")
	if got := fields(s.Errors()); len(got) != 1 || got[0] != "Trang!C1 xlsx_formula_error" || s.Errors()[0].Args[0] != "#DIV/0!" {
		t.Errorf("error value: %q", got)
	}
}

func TestDates(t *testing.T) {
	f := excelize.NewFile()
	builtin, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	dmy := "dd/mm/yyyy"
	custom, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &dmy})
	day := time.Date(2022, 6, 22, 0, 0, 0, 0, time.UTC)
	f.SetCellValue("Sheet1", "A1", day)
	f.SetCellStyle("Sheet1", "A1", "A1", builtin)
	f.SetCellValue("Sheet1", "A2", day)
	f.SetCellStyle("Sheet1", "A2", "A2", custom)
	f.SetCellStr("Sheet1", "A3", "22/06/2022")
	f.SetCellStr("Sheet1", "A4", "5/8/2025")
	f.SetCellStr("Sheet1", "A5", "2022-06-22")
	f.SetCellStr("Sheet1", "A6", "31/02/2022")
	f.SetCellInt("Sheet1", "A7", 2022) // a number, not a date format: not 14/07/1905
	f.SetCellStr("Sheet1", "A8", "06/22/2022")
	s := sheet(t, open(t, book(t, f)), "Sheet1")
	for row, want := range map[int]string{1: "2022-06-22", 2: "2022-06-22", 3: "2022-06-22", 4: "2025-08-05", 5: "2022-06-22"} {
		if got, ok := s.Date(1, row, "Ngày"); !ok || got != want {
			t.Errorf("A%d = %q %v, want %s", row, got, ok, want)
		}
	}
	if s.At(1, 1).Kind != xlsx.Date || s.At(1, 1).String() != "22/06/2022" {
		t.Errorf("A1 shows %q", s.At(1, 1).String())
	}
	if len(s.Errors()) != 0 {
		t.Fatalf("errors %+v", s.Errors())
	}
	for _, row := range []int{6, 7, 8} {
		if _, ok := s.Date(1, row, "Ngày"); ok {
			t.Errorf("A%d read as a date", row)
		}
	}
	got := s.Errors()
	if len(got) != 3 || got[0].Name != "Sheet1!A6" || got[0].Code != "xlsx_date" || got[0].Args[0] != "31/02/2022" || got[1].Args[0] != "2022" || got[2].Args[0] != "06/22/2022" {
		t.Errorf("errors %+v", got)
	}
	// A date where a number belongs is the cell's text in the message
	// (Excel turns 1.5 into 1 May), never an internal date.
	if _, ok := s.Number(1, 1, "Kinh phí"); ok || s.Errors()[3].Args[0] != "22/06/2022" {
		t.Errorf("date as number: %+v", s.Errors())
	}

	// The 1904 date system, an ISO date cell, and custom formats that are
	// (not) dates.
	data := raw(t, `<sheetData><row r="1"><c r="A1" s="2"><v>43272</v></c><c r="B1" t="d"><v>2022-06-22T00:00:00</v></c><c r="C1" s="4"><v>1500</v></c><c r="D1" s="3"><v>0.07</v></c></row></sheetData>`, ` date1904="1"`)
	s = sheet(t, open(t, data), "Trang")
	if v, ok := s.Date(1, 1, "A"); !ok || v != "2022-06-22" {
		t.Errorf("1904 serial: %q %v", v, ok)
	}
	if v, ok := s.Date(2, 1, "B"); !ok || v != "2022-06-22" {
		t.Errorf("ISO cell: %q %v", v, ok)
	}
	if v, ok := s.Number(3, 1, "C"); !ok || v != 1500 {
		t.Errorf(`#,##0 "đồng" read as %v %v`, v, ok)
	}
	if v, ok := s.Number(4, 1, "D"); !ok || v != 7 {
		t.Errorf("7%% read as %v %v", v, ok)
	}
}

func TestNumbersInTextCells(t *testing.T) {
	f := excelize.NewFile()
	texts := []string{"1.500", "1,5", "1.500,25", "1.500.000.000", "87,4", "55%", "-2,5", "1 500", "0,500", "1,500", "1.5", "1,234.5", "1,500,000", "mười", "12.34.5"}
	for i, v := range texts {
		f.SetCellStr("Sheet1", fmt.Sprintf("A%d", i+1), v)
	}
	f.SetCellFloat("Sheet1", "B1", 1.5, -1, 64) // numeric cells are numbers as they are
	f.SetCellFloat("Sheet1", "B2", 1500, -1, 64)
	s := sheet(t, open(t, book(t, f)), "Sheet1")
	want := map[int]float64{1: 1500, 2: 1.5, 3: 1500.25, 4: 1.5e9, 5: 87.4, 6: 55, 7: -2.5, 8: 1500, 9: 0.5}
	for row, w := range want {
		if got, ok := s.Number(1, row, "Giá trị"); !ok || got != w {
			t.Errorf("%q = %v %v, want %v", texts[row-1], got, ok, w)
		}
	}
	if v, ok := s.Number(2, 1, "B"); !ok || v != 1.5 {
		t.Errorf("numeric 1.5 = %v", v)
	}
	if v, ok := s.Number(2, 2, "B"); !ok || v != 1500 {
		t.Errorf("numeric 1500 = %v", v)
	}
	if len(s.Errors()) != 0 {
		t.Fatalf("errors %+v", s.Errors())
	}
	for row := 10; row <= len(texts); row++ {
		if v, ok := s.Number(1, row, "Giá trị"); ok {
			t.Errorf("%q read as %v", texts[row-1], v)
		}
	}
	codes := map[string]string{}
	for _, e := range s.Errors() {
		codes[e.Name] = e.Code
		if e.Column != "Giá trị" {
			t.Errorf("%s names column %q", e.Name, e.Column)
		}
	}
	for row, code := range map[int]string{10: "xlsx_ambiguous_number", 11: "xlsx_ambiguous_number", 12: "xlsx_ambiguous_number", 13: "xlsx_ambiguous_number", 14: "xlsx_number", 15: "xlsx_number"} {
		if got := codes[fmt.Sprintf("Sheet1!A%d", row)]; got != code {
			t.Errorf("%q: %q, want %s", texts[row-1], got, code)
		}
	}
	// Years are four digits, typed or numeric.
	f.SetCellStr("Sheet1", "C1", "2025")
	f.SetCellInt("Sheet1", "C2", 2030)
	f.SetCellStr("Sheet1", "C3", "năm sau")
	f.SetCellFloat("Sheet1", "C4", 2025.5, -1, 64)
	s = sheet(t, open(t, book(t, f)), "Sheet1")
	if y, ok := s.Year(3, 1, "Từ năm"); !ok || y != 2025 {
		t.Errorf("year text %v", y)
	}
	if y, ok := s.Year(3, 2, "Từ năm"); !ok || y != 2030 {
		t.Errorf("year number %v", y)
	}
	s.Year(3, 3, "Từ năm")
	s.Year(3, 4, "Từ năm")
	if got := fields(s.Errors()); strings.Join(got, "|") != "Sheet1!C3 xlsx_year|Sheet1!C4 xlsx_year" {
		t.Errorf("years: %q", got)
	}
}

func TestSharedAndInlineStrings(t *testing.T) {
	data := raw(t, `<sheetData><row r="2"><c r="B2" t="s"><v>0</v></c><c t="s"><v>1</v></c><c r="E2" t="inlineStr"><is><t>Hà Giang</t></is></c></row><row><c t="s"><v>2</v></c></row></sheetData>`, "")
	s := sheet(t, open(t, data), "Trang")
	if s.Text(2, 2, "") != "Sở Khoa học và Công nghệ" || s.Text(3, 2, "") != "Chuyển đổi số" || s.Text(5, 2, "") != "Hà Giang" {
		t.Errorf("row 2: %q %q %q", s.Text(2, 2, ""), s.Text(3, 2, ""), s.Text(5, 2, ""))
	}
	// A row without r follows the last; a shared "1.500" is text, read the Vietnamese way.
	if v, ok := s.Number(1, 3, ""); !ok || v != 1500 || s.Rows() != 3 {
		t.Errorf("A3 = %v %v, rows %d", v, ok, s.Rows())
	}
	if _, err := open(t, data).Sheet("Không có"); err == nil {
		t.Error("a missing sheet was read")
	}
	if name, ok := open(t, data).Find("TRANG"); !ok || name != "Trang" {
		t.Errorf("Find: %q %v", name, ok)
	}
}

func TestChoices(t *testing.T) {
	c := xlsx.NewChoices(
		xlsx.Choice{Code: "at_least", Label: "Đạt tối thiểu (càng cao càng tốt)", Aliases: []string{"≥", "tối thiểu"}},
		xlsx.Choice{Code: "at_most", Label: "Không vượt quá (càng thấp càng tốt)", Aliases: []string{"≤"}},
	)
	for in, want := range map[string]string{"at_least": "at_least", "AT_MOST": "at_most", "Đạt tối thiểu (càng cao càng tốt)": "at_least", "dat toi thieu (cang cao cang tot)": "at_least", "≤": "at_most", "Tối thiểu": "at_least"} {
		if got, ok := c.Code(in); !ok || got != want {
			t.Errorf("%q → %q %v, want %s", in, got, ok, want)
		}
	}
	if _, ok := c.Code("bằng"); ok {
		t.Error("an unknown value matched")
	}
	f := excelize.NewFile()
	f.SetCellStr("Sheet1", "A1", "Không vượt quá (càng thấp càng tốt)")
	f.SetCellStr("Sheet1", "A2", "exactly")
	s := sheet(t, open(t, book(t, f)), "Sheet1")
	if got := s.Choice(1, 1, "Chiều", c); got != "at_most" {
		t.Errorf("label read as %q", got)
	}
	s.Choice(1, 2, "Chiều", c)
	if e := s.Errors(); len(e) != 1 || e[0].Code != "xlsx_choice" || !strings.Contains(e[0].Args[1].(string), "Đạt tối thiểu") {
		t.Errorf("errors %+v", e)
	}
}

func TestForeignFiles(t *testing.T) {
	zipOf := func(names ...string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, n := range names {
			w, _ := zw.Create(n)
			if n == "mimetype" {
				io.WriteString(w, "application/vnd.oasis.opendocument.spreadsheet")
			} else {
				io.WriteString(w, "<x/>")
			}
		}
		zw.Close()
		return buf.Bytes()
	}
	good := book(t, excelize.NewFile())
	for _, c := range []struct {
		name string
		data []byte
		code string
	}{
		{"empty", nil, "required"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), "not_xlsx"},
		{"xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"), "xlsx_xls"},
		{"docx", zipOf("[Content_Types].xml", "word/document.xml"), "xlsx_word"},
		{"ods", zipOf("mimetype", "content.xml"), "xlsx_ods"},
		{"zip", zipOf("a.txt"), "not_xlsx"},
		{"truncated", good[:len(good)/2], "xlsx_corrupt"},
		{"no workbook part", zipOf("xl/styles.xml"), "xlsx_corrupt"},
	} {
		_, err := xlsx.Open(c.data, xlsx.DefaultLimits())
		if err == nil {
			t.Errorf("%s: opened", c.name)
			continue
		}
		if got := fileCode(t, err); got != c.code {
			t.Errorf("%s: %s, want %s", c.name, got, c.code)
		}
		if e, _ := errs.As(err); e.Fields[0].Name != "file" || e.Fields[0].Context != "xlsx" {
			t.Errorf("%s: field %+v", c.name, e.Fields[0])
		}
	}
	lim := xlsx.DefaultLimits()
	lim.MaxUpload = 100
	if _, err := xlsx.Open(good, lim); err == nil || err.(*errs.Error).Status != 413 {
		t.Errorf("too large: %v", err)
	}
}

func TestLimits(t *testing.T) {
	f := excelize.NewFile()
	for r := 1; r <= 30; r++ {
		f.SetCellInt("Sheet1", fmt.Sprintf("A%d", r), int64(r))
	}
	data := book(t, f)
	lim := xlsx.DefaultLimits()
	lim.MaxRows = 29
	wb, err := xlsx.Open(data, lim)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wb.Sheet("Sheet1"); err == nil || fileCode(t, err) != "too_many_rows" {
		t.Errorf("rows: %v", err)
	}
	lim = xlsx.DefaultLimits()
	lim.MaxCells = 10
	wb, _ = xlsx.Open(data, lim)
	if _, err := wb.Sheet("Sheet1"); err == nil || fileCode(t, err) != "xlsx_too_many_cells" {
		t.Errorf("cells: %v", err)
	}
	g := excelize.NewFile()
	g.SetCellStr("Sheet1", "A1", "x")
	g.SetCellStr("Sheet1", "K1", "far away")
	lim = xlsx.DefaultLimits()
	lim.MaxCols = 10
	wb, _ = xlsx.Open(book(t, g), lim)
	if _, err := wb.Sheet("Sheet1"); err == nil || fileCode(t, err) != "xlsx_too_many_columns" {
		t.Errorf("columns: %v", err)
	}
	// Blank formatted cells far away cost nothing but the cell count.
	h := excelize.NewFile()
	st, _ := h.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	h.SetCellStr("Sheet1", "A1", "x")
	h.SetCellStyle("Sheet1", "Z50", "Z50", st)
	wb, _ = xlsx.Open(book(t, h), lim)
	if s, err := wb.Sheet("Sheet1"); err != nil || s.Rows() != 1 {
		t.Errorf("formatted blank: %v", err)
	}
}

// bombRow is a row that compresses to almost nothing when repeated.
const bombRow = `<row><c t="inlineStr"><is><t>Nhiệm vụ chuyển đổi số lặp lại</t></is></c><c><v>1500</v></c></row>`

// bombSheet is a sheet of about size bytes of repeated rows, deflated:
// what it inflates to, its CRC and the compressed stream.
type bombSheet struct {
	size int64
	crc  uint32
	z    []byte
}

func newBombSheet(size int64) bombSheet {
	var z bytes.Buffer
	crc := crc32.NewIEEE()
	fw, _ := flate.NewWriter(&z, bombLevel)
	w := io.MultiWriter(fw, crc)
	head := `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
	io.WriteString(w, head)
	chunk := strings.Repeat(bombRow, 1000)
	n := int64(len(head))
	for ; n < size; n += int64(len(chunk)) {
		io.WriteString(w, chunk)
	}
	io.WriteString(w, `</sheetData></worksheet>`)
	fw.Close()
	return bombSheet{size: n + 24, crc: crc.Sum32(), z: z.Bytes()}
}

// bomb writes a workbook whose only sheet is b. declared, when not zero,
// is the size its zip directory claims instead (a directory that lies).
func bomb(t testing.TB, b bombSheet, declared int64) []byte {
	t.Helper()
	if declared == 0 {
		declared = b.size
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range [][2]string{{"[Content_Types].xml", rawTypes}, {"_rels/.rels", rawRoot}, {"xl/workbook.xml", fmt.Sprintf(rawBook, "")},
		{"xl/_rels/workbook.xml.rels", rawRels}, {"xl/styles.xml", rawStyles}, {"xl/sharedStrings.xml", rawShared}} {
		pw, _ := zw.Create(p[0])
		io.WriteString(pw, p[1])
	}
	rw, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: b.crc,
		CompressedSize64: uint64(len(b.z)), UncompressedSize64: uint64(declared)})
	if err != nil {
		t.Fatal(err)
	}
	rw.Write(b.z)
	zw.Close()
	return buf.Bytes()
}

// allocated is the memory fn allocates.
func allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// A sheet that inflates to 200 MB from well under 1 MB is refused, whatever
// its zip directory says, having inflated a few megabytes at most.
func TestZipBomb(t *testing.T) {
	const size = 200 << 20
	sheet := newBombSheet(size)
	honest := bomb(t, sheet, 0)
	lying := bomb(t, sheet, 50<<20) // claims to fit the 64 MiB limit
	if len(honest) > 2<<20 {
		t.Fatalf("the bomb is %d bytes compressed", len(honest))
	}
	t.Logf("bomb: %d KB compressed, %d MB inflated", len(honest)>>10, size>>20)

	_, err := xlsx.Open(honest, xlsx.DefaultLimits())
	if err == nil || fileCode(t, err) != "xlsx_unzipped_too_large" {
		t.Fatalf("honest directory: %v", err)
	}
	var serr error
	mem := allocated(func() {
		wb, err := xlsx.Open(lying, xlsx.DefaultLimits())
		if err != nil {
			serr = err
			return
		}
		_, serr = wb.Sheet("Trang")
	})
	if serr == nil || fileCode(t, serr) != "too_many_rows" {
		t.Fatalf("lying directory: %v", serr)
	}
	if mem > 32<<20 {
		t.Errorf("refusing the bomb allocated %d MB", mem>>20)
	}
	// A directory claiming less than the part holds: archive/zip stops at
	// the claim, so does the count.
	small := bomb(t, sheet, 4<<10)
	wb, err := xlsx.Open(small, xlsx.DefaultLimits())
	if err == nil {
		_, err = wb.Sheet("Trang")
	}
	if err == nil || fileCode(t, err) != "xlsx_corrupt" {
		t.Fatalf("understated directory: %v", err)
	}
}

// BenchmarkZipBomb measures refusing a workbook whose sheet inflates from
// 700 KB to 200 MB: from its zip directory alone, and when the directory
// claims 50 MB (refused at the row limit while streaming).
func BenchmarkZipBomb(b *testing.B) {
	sheet := newBombSheet(200 << 20)
	for _, c := range []struct {
		name     string
		declared int64
	}{{"directory", 0}, {"lying", 50 << 20}} {
		data := bomb(b, sheet, c.declared)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				wb, err := xlsx.Open(data, xlsx.DefaultLimits())
				if err == nil {
					_, err = wb.Sheet("Trang")
				}
				if err == nil {
					b.Fatal("bomb read")
				}
			}
		})
	}
}

// BenchmarkLargeSheet reads a legitimate sheet at the row limit with the
// package's reader; the "excelize" sub-benchmark reads the same workbook
// with excelize's GetRows, the path plan imports took before, as the
// baseline of the same run.
func BenchmarkLargeSheet(b *testing.B) {
	f := excelize.NewFile()
	sw, _ := f.NewStreamWriter("Sheet1")
	for r := 1; r <= 20000; r++ {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		sw.SetRow(cell, []any{fmt.Sprintf("%d.%d", r/100, r%100), "Nhóm nhiệm vụ", "kinh_te_so", strings.Repeat("Nội dung nhiệm vụ chuyển đổi số ", 6), "Sở KH&CN", "GL.SKHCN", "", "", "", "", "2022 - 2025", 2022, 2025, "Sản phẩm", "Ngân sách tỉnh", 1.5e9})
	}
	sw.Flush()
	data := book(b, f)
	b.Run("xlsx", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			wb, err := xlsx.Open(data, xlsx.DefaultLimits())
			if err != nil {
				b.Fatal(err)
			}
			if s, err := wb.Sheet("Sheet1"); err != nil || s.Rows() != 20000 {
				b.Fatal(err)
			}
		}
	})
	b.Run("excelize", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ef, err := excelize.OpenReader(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			if rows, err := ef.GetRows("Sheet1"); err != nil || len(rows) != 20000 {
				b.Fatal(err)
			}
			ef.Close()
		}
	})
}

func TestLimiter(t *testing.T) {
	l := xlsx.NewLimiter(3, 50*time.Millisecond)
	ctx := context.Background()
	var releases []func()
	for i := 0; i < 3; i++ {
		r, err := l.Acquire(ctx)
		if err != nil {
			t.Fatalf("slot %d: %v", i, err)
		}
		releases = append(releases, r)
	}
	// The fourth waits, then is told to come back.
	if _, err := l.Acquire(ctx); !errors.Is(err, xlsx.ErrBusy) || !errors.Is(err, errs.TooMany) || err.(*errs.Error).Status != 429 {
		t.Fatalf("fourth: %v", err)
	}
	// A slot freed while it waits lets it in.
	done := make(chan error)
	go func() {
		r, err := l.Acquire(ctx)
		if err == nil {
			r()
		}
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	releases[0]()
	if err := <-done; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	// A request that ends stops waiting.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	r, err := l.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Acquire(cctx); err == nil {
		t.Fatal("cancelled request got a slot")
	}
	r()
}
