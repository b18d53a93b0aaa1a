package xlsx_test

import (
	"bytes"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/xlsx"
)

var pillars = xlsx.NewChoices(
	xlsx.Choice{Code: "nhan_thuc_so", Label: "Nhận thức số"},
	xlsx.Choice{Code: "kinh_te_so", Label: "Kinh tế số"},
)

// groups have labels with commas, so their list goes on the hidden sheet.
var groups = xlsx.NewChoices(
	xlsx.Choice{Code: "departments", Label: "Các sở, ban, ngành"},
	xlsx.Choice{Code: "districts", Label: "UBND các huyện, thị xã, thành phố"},
)

// built writes a small book with every kind of cell.
func built(t *testing.T) []byte {
	t.Helper()
	b := xlsx.New("Thử nghiệm")
	s, err := b.AddTable("Nhiệm vụ", []xlsx.Column{
		{Header: "Số TT", Width: 8, Format: xlsx.TextFmt},
		{Header: "Trụ cột", Width: 18},
		{Header: "Nhóm đơn vị", Width: 30},
		{Header: "Kinh phí (đồng)", Width: 16, Format: xlsx.Money},
		{Header: "Giá trị", Format: xlsx.NumberFmt},
		{Header: "Ngày", Format: xlsx.DateFmt},
		{Header: "Năm", Format: xlsx.Integer},
		{Header: "Tỷ lệ", Format: xlsx.Percent},
	})
	if err != nil {
		t.Fatal(err)
	}
	v := 87.4
	if err := s.Append("1.10", pillars.Label("kinh_te_so"), groups.Label("districts"), 1.5e9, &v, xlsx.ISODate("2022-06-22"), 2025, 0.25); err != nil {
		t.Fatal(err)
	}
	if err := s.Append("1.2", nil, nil, nil, 1500000.0, time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DropDown(2, 1000, pillars.Labels(), "Trụ cột DTI"); err != nil {
		t.Fatal(err)
	}
	if err := s.DropDown(3, 1000, groups.Labels(), ""); err != nil {
		t.Fatal(err)
	}
	g, err := b.AddGuide("HƯỚNG DẪN")
	if err != nil {
		t.Fatal(err)
	}
	g.Paragraph("1. Mỗi dòng một nhiệm vụ.")
	g.Table("Trụ cột", []string{"Mã", "Tên"}, [][]string{{"kinh_te_so", "Kinh tế số"}})
	b.Activate("Nhiệm vụ")
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestBookWritesWhatOfficialsRead(t *testing.T) {
	data := built(t)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, "|") != "Nhiệm vụ|Danh mục|Hướng dẫn" {
		t.Fatalf("sheets %q", got)
	}
	if vis, _ := f.GetSheetVisible("Danh mục"); vis {
		t.Error("the list sheet is visible")
	}
	sh := "Nhiệm vụ"
	// Header: bold, frozen, filterable, widths.
	sid, _ := f.GetCellStyle(sh, "A1")
	if st, _ := f.GetStyle(sid); st == nil || st.Font == nil || !st.Font.Bold {
		t.Error("header not bold")
	}
	if p, _ := f.GetPanes(sh); !p.Freeze || p.YSplit != 1 {
		t.Errorf("panes %+v", p)
	}
	if w, _ := f.GetColWidth(sh, "C"); w != 30 {
		t.Errorf("width of C: %v", w)
	}
	// Drop-downs offer Vietnamese labels, never codes.
	dvs, _ := f.GetDataValidations(sh)
	if len(dvs) != 2 {
		t.Fatalf("validations %+v", dvs)
	}
	if !strings.Contains(dvs[0].Formula1, "Kinh tế số") || strings.Contains(dvs[0].Formula1, "kinh_te_so") || dvs[0].Sqref != "B2:B1000" {
		t.Errorf("pillar drop-down %q on %s", dvs[0].Formula1, dvs[0].Sqref)
	}
	if dvs[1].Formula1 != "'Danh mục'!$A$1:$A$2" {
		t.Errorf("group drop-down %q", dvs[1].Formula1)
	}
	if v, _ := f.GetCellValue("Danh mục", "A1"); v != "Các sở, ban, ngành" {
		t.Errorf("list sheet A1 %q", v)
	}
	// Numbers stay numbers, with Vietnamese-style grouping formats.
	for cell, want := range map[string]string{"D2": "1500000000", "E2": "87.4", "E3": "1500000", "G2": "2025", "H2": "0.25"} {
		typ, _ := f.GetCellType(sh, cell)
		v, _ := f.GetCellValue(sh, cell, excelize.Options{RawCellValue: true})
		if v != want || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("%s = %q (%v), want the number %s", cell, v, typ, want)
		}
	}
	numFmt := func(cell string) string {
		id, _ := f.GetCellStyle(sh, cell)
		st, _ := f.GetStyle(id)
		if st.CustomNumFmt != nil {
			return *st.CustomNumFmt
		}
		return ""
	}
	for cell, want := range map[string]string{"D2": "#,##0", "E2": "#,##0.0", "E3": "#,##0", "F2": "dd/mm/yyyy", "F3": "dd/mm/yyyy"} {
		if got := numFmt(cell); got != want {
			t.Errorf("%s format %q, want %q", cell, got, want)
		}
	}
	if v, _ := f.GetCellValue(sh, "F2"); v != "22/06/2022" {
		t.Errorf("F2 shows %q", v)
	}
	// Text stays as typed.
	if v, _ := f.GetCellValue(sh, "A2"); v != "1.10" {
		t.Errorf("A2 %q", v)
	}
	guide, _ := f.GetRows("Hướng dẫn")
	if !strings.Contains(fmtRows(guide), "Kinh tế số") || !strings.Contains(fmtRows(guide), "Mỗi dòng một nhiệm vụ") {
		t.Errorf("guide %q", guide)
	}

	// What was written reads back: dates as dates, numbers as numbers,
	// labels as codes.
	s := sheet(t, open(t, data), sh)
	if s.Text(1, 2, "") != "1.10" || s.Choice(2, 2, "Trụ cột", pillars) != "kinh_te_so" || s.Choice(3, 2, "Nhóm", groups) != "districts" {
		t.Errorf("row 2: %q %q", s.Text(1, 2, ""), s.Text(2, 2, ""))
	}
	if v, ok := s.Number(4, 2, ""); !ok || v != 1.5e9 {
		t.Errorf("D2 %v", v)
	}
	if d, ok := s.Date(6, 3, ""); !ok || d != "2025-07-01" {
		t.Errorf("F3 %q", d)
	}
	if v, ok := s.Number(8, 2, ""); !ok || v != 25 {
		t.Errorf("H2 (25%%) read as %v", v)
	}
	if len(s.Errors()) != 0 {
		t.Errorf("errors %+v", s.Errors())
	}
}

func fmtRows(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "|"))
		b.WriteString("\n")
	}
	return b.String()
}

func TestSendAndUpload(t *testing.T) {
	b := xlsx.New("x")
	b.AddTable("Trang", []xlsx.Column{{Header: "A"}})
	rec := httptest.NewRecorder()
	if err := xlsx.Send(rec, "Kế hoạch 1331/KH-UBND.xlsx", b); err != nil {
		t.Fatal(err)
	}
	h := rec.Result().Header
	if h.Get("Content-Type") != xlsx.ContentType || !strings.Contains(h.Get("Content-Disposition"), `filename="Ke-hoach-1331-KH-UBND.xlsx"`) ||
		!strings.Contains(h.Get("Content-Disposition"), "filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%201331%2FKH-UBND.xlsx") {
		t.Errorf("headers %v", h)
	}
	data := rec.Body.Bytes()
	if _, err := xlsx.Open(data, xlsx.DefaultLimits()); err != nil {
		t.Fatalf("sent workbook: %v", err)
	}
	if got := xlsx.FileName("Kế hoạch", "1331/KH-UBND"); got != "Kế hoạch 1331-KH-UBND.xlsx" {
		t.Errorf("FileName %q", got)
	}

	lim := xlsx.DefaultLimits()
	post := func(ct string, body []byte) ([]byte, string, error) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", ct)
		return xlsx.Upload(httptest.NewRecorder(), r, lim)
	}
	if got, _, err := post(xlsx.ContentType, data); err != nil || !bytes.Equal(got, data) {
		t.Errorf("body upload: %v", err)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("file", "kế hoạch.xlsx")
	fw.Write(data)
	mw.Close()
	if got, name, err := post(mw.FormDataContentType(), mp.Bytes()); err != nil || !bytes.Equal(got, data) || name != "kế hoạch.xlsx" {
		t.Errorf("multipart upload: %q %v", name, err)
	}
	for _, c := range []struct {
		ct     string
		body   []byte
		status int
		code   string
	}{
		{"application/json", []byte("{}"), 415, "xlsx_content_type"},
		{xlsx.ContentType, bytes.Repeat([]byte("x"), int(lim.MaxUpload)+10), 413, "file_too_large"},
		{"multipart/form-data; boundary=x", []byte("--x--"), 422, "required"},
	} {
		_, _, err := post(c.ct, c.body)
		e, ok := errs.As(err)
		if !ok || e.Status != c.status || e.Fields[0].Code != c.code || e.Fields[0].Context != "xlsx" {
			t.Errorf("%s: %v", c.ct, err)
		}
	}
}
