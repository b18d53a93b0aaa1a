package report_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// xlOpenPeriod is the period of type t officials are collecting today:
// the one whose data cut-off window holds today (Vietnam), open until
// some days after it ends, whenever the tests run.
func xlOpenPeriod(t report.PeriodType) report.Period {
	now := time.Now().In(time.FixedZone("ICT", 7*3600))
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	p := report.PeriodOf(t, day)
	for _, q := range []report.Period{p, p.Next(), p.Prev()} {
		if q.InCutOff(day) {
			return q
		}
	}
	return p
}

func xlFormID(t testing.TB, app *testapp.App, code string) int64 {
	t.Helper()
	var id int64
	if err := app.DB.Read.QueryRow(`SELECT id FROM report_forms WHERE code = $1`, code).Scan(&id); err != nil {
		t.Fatalf("form %s: %v", code, err)
	}
	return id
}

// xlTemplate downloads a form's workbook as user.
func xlTemplate(t testing.TB, app *testapp.App, user, form string, p report.Period, extra string) []byte {
	t.Helper()
	status, body, h := app.Do(t, user, "GET", fmt.Sprintf("/api/v1/report/forms/%d/template.xlsx?period=%s%s", xlFormID(t, app, form), p, extra), "")
	if status != 200 {
		t.Fatalf("template %s %s as %s: %d %s", form, p, user, status, body)
	}
	if ct := h.Get("Content-Type"); ct != xlsx.ContentType {
		t.Errorf("template Content-Type %q", ct)
	}
	return body
}

// xlUpload posts a workbook to the import API.
func xlUpload(t testing.TB, app *testapp.App, user, form string, data []byte, dryRun bool) (int, []byte) {
	t.Helper()
	path := fmt.Sprintf("/api/v1/report/forms/%d/import.xlsx", xlFormID(t, app, form))
	if dryRun {
		path += "?dryRun=true"
	}
	return xlPost(t, app, user, path, xlsx.ContentType, data)
}

func xlPost(t testing.TB, app *testapp.App, user, path, ctype string, data []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", app.URL+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+app.Token(t, user))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func xlImportOK(t testing.TB, app *testapp.App, user, form string, data []byte, dryRun bool) report.ExcelResult {
	t.Helper()
	status, body := xlUpload(t, app, user, form, data, dryRun)
	if status != 200 {
		t.Fatalf("import: %d %s", status, body)
	}
	var r report.ExcelResult
	testapp.JSON(t, body, &r)
	return r
}

// xlBook is a workbook being edited as an official would, with Excel
// (excelize writes what Excel writes: shared strings, typed cells).
type xlBook struct {
	t testing.TB
	f *excelize.File
}

func xlEdit(t testing.TB, data []byte) *xlBook {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("open workbook: %v", err)
	}
	return &xlBook{t: t, f: f}
}

// cell finds the cell of an indicator's row (option "" for its own row)
// in the column of unit ("" for the code column itself).
func (b *xlBook) cell(code, option, unit string) string {
	b.t.Helper()
	rows, err := b.f.GetRows("Dữ liệu")
	if err != nil {
		b.t.Fatal(err)
	}
	col := 1
	if unit != "" {
		col = 0
		for i, h := range rows[5] {
			if h == unit {
				col = i + 1
			}
		}
		if col == 0 {
			b.t.Fatalf("no column %s in %q", unit, rows[5])
		}
	}
	for r, row := range rows {
		if r > 5 && len(row) > 0 && row[0] == code && (len(row) > 1 && row[1] == option || len(row) == 1 && option == "") {
			c, _ := excelize.CoordinatesToCellName(col, r+1)
			return c
		}
	}
	b.t.Fatalf("no row %s/%s", code, option)
	return ""
}

func (b *xlBook) set(cell string, v any) *xlBook {
	b.t.Helper()
	if err := b.f.SetCellValue("Dữ liệu", cell, v); err != nil {
		b.t.Fatal(err)
	}
	return b
}

func (b *xlBook) bytes() []byte {
	b.t.Helper()
	buf, err := b.f.WriteToBuffer()
	if err != nil {
		b.t.Fatal(err)
	}
	b.f.Close()
	return buf.Bytes()
}

// xlPatch rewrites a part of a workbook's zip, as other writers lay their
// files out (inline strings, cached formula results …).
func xlPatch(t testing.TB, data []byte, part string, fn func(string) string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == part {
			b, found = []byte(fn(string(b))), true
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("no part %s", part)
	}
	return out.Bytes()
}

// xlSetXML replaces the cell element of ref in the first sheet's XML.
func xlSetXML(t testing.TB, data []byte, ref, cellXML string) []byte {
	t.Helper()
	return xlPatch(t, data, "xl/worksheets/sheet1.xml", func(s string) string {
		re := regexp.MustCompile(`<c r="` + ref + `"[^>]*?(/>|>.*?</c>)`)
		if !re.MatchString(s) {
			// An empty cell: add it at the end of its row.
			row := strings.TrimLeft(ref, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
			rr := regexp.MustCompile(`(<row r="` + row + `"[^>]*>.*?)</row>`)
			if !rr.MatchString(s) {
				t.Fatalf("no row %s", row)
			}
			return rr.ReplaceAllString(s, "${1}"+strings.ReplaceAll(cellXML, "$", "$$")+"</row>")
		}
		return re.ReplaceAllLiteralString(s, cellXML)
	})
}

// xlSheet opens a workbook with tinhso's own reader and reads a sheet.
func xlSheet(t testing.TB, data []byte, name string) (*xlsx.Workbook, *xlsx.Sheet) {
	t.Helper()
	wb, err := xlsx.Open(data, xlsx.DefaultLimits())
	if err != nil {
		t.Fatalf("xlsx.Open: %v", err)
	}
	sh, err := wb.Sheet(name)
	if err != nil {
		t.Fatalf("sheet %s: %v", name, err)
	}
	return wb, sh
}

// xlRowOf is the row whose column A holds code and column B option.
func xlRowOf(t testing.TB, sh *xlsx.Sheet, code, option string) int {
	t.Helper()
	for r := 1; r <= sh.Rows(); r++ {
		if sh.At(1, r).String() == code && sh.At(2, r).String() == option {
			return r
		}
	}
	t.Fatalf("no row %s/%s", code, option)
	return 0
}

// xlFilled is the department's quarterly form filled in as an official
// would: numbers typed into number cells, numbers typed as text with a
// Vietnamese decimal comma and thousands dots, a count typed as text.
func xlFilled(t testing.TB, data []byte, unit string) []byte {
	b := xlEdit(t, data)
	b.set(b.cell("CDS.DVC.TOANTRINH", "", unit), "45,5")
	b.set(b.cell("CDS.DVC.SO", "TOANTRINH", unit), 120)
	b.set(b.cell("CDS.DVC.SO", "MOTPHAN", unit), "35")
	b.set(b.cell("CDS.HS.TIEPNHAN", "", unit), "1.500")
	b.set(b.cell("CDS.HS.TRUCTUYEN", "", unit), 900)
	b.set(b.cell("CDS.HS.GIAIQUYET", "", unit), 1400)
	b.set(b.cell("CDS.HS.DUNGHAN", "", unit), 1350)
	b.set(b.cell("CDS.VB.DI", "", unit), 2000)
	b.set(b.cell("CDS.VB.KYSO", "", unit), 1980)
	b.set(b.cell("CDS.LGSP.KETNOI", "", unit), 3)
	b.set(b.cell("CDS.CBCC.TONG", "", unit), 85)
	b.set(b.cell("CDS.CBCC.TAPHUAN", "", unit), 40)
	return b.bytes()
}

// xlStored is the value stored for an indicator (and option) of a unit.
func xlStored(t testing.TB, app *testapp.App, code, option, unit string, p report.Period) string {
	t.Helper()
	var v string
	err := app.DB.Read.QueryRow(`SELECT v.value FROM report_values v JOIN report_indicators i ON i.id = v.indicator_id
		LEFT JOIN report_category_options o ON o.id = v.option_id
		WHERE i.code = $1 AND COALESCE(o.code, '') = $2 AND v.unit_id = $3 AND v.period = $4`, code, option, app.UnitID(t, unit), p.String()).Scan(&v)
	if err != nil {
		t.Fatalf("value %s/%s of %s: %v", code, option, unit, err)
	}
	return v
}

var xlTables = []string{"report_values", "report_value_history", "audit_events"}

// TestExcelTemplate downloads the workbook of a Lai Châu department's
// quarterly form, of its yearly DTI inputs (a yes/no drop-down), and of a
// district's twenty communes, and reads each back with xlsx.Open.
func TestExcelTemplate(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		q := xlOpenPeriod(report.Quarterly)
		data := xlTemplate(t, app, "baocao.laichau", "CDS.QUY.SO.LC", q, "")
		wb, sh := xlSheet(t, data, "Dữ liệu")
		if names := strings.Join(wb.SheetNames(), ","); names != "Dữ liệu,Hướng dẫn" {
			t.Errorf("sheets %s", names)
		}
		for cell, want := range map[[2]int]string{{1, 2}: "Biểu mẫu", {3, 2}: "CDS.QUY.SO.LC", {3, 3}: q.String() + " — " + q.Label("vi"),
			{1, 6}: "Mã chỉ tiêu", {2, 6}: "Mã phân tổ", {5, 6}: "LC.SKHCN", {5, 7}: "Sở Khoa học và Công nghệ", {5, 8}: "Đang nhập"} {
			if got := sh.At(cell[0], cell[1]).String(); got != want {
				t.Errorf("%s = %q, want %q", sh.Ref(cell[0], cell[1]), got, want)
			}
		}
		if sh.Cols(6) != 5 {
			t.Errorf("header has %d columns, want 4 and one unit", sh.Cols(6))
		}
		// Sections and indicators in the form's order, options as sub-rows.
		var codes []string
		for r := 9; r <= sh.Rows(); r++ {
			if c := sh.At(1, r).String(); c != "" {
				if o := sh.At(2, r).String(); o != "" {
					c += "/" + o
				}
				codes = append(codes, c)
			}
		}
		if got := strings.Join(codes[:5], " "); got != "CDS.DVC.TOANTRINH CDS.DVC.SO CDS.DVC.SO/TOANTRINH CDS.DVC.SO/MOTPHAN CDS.HS.TIEPNHAN" {
			t.Errorf("rows begin %s", got)
		}
		if sh.At(3, 9).String() != "I. Dịch vụ công trực tuyến và hồ sơ thủ tục hành chính" {
			t.Errorf("first section %q", sh.At(3, 9).String())
		}
		if got := codes[len(codes)-1]; got != "CDS.CBCC.TAPHUAN.TYLE" {
			t.Errorf("last row %s", got)
		}
		// A derived rate is a formula over its numerator and denominator.
		f := xlEdit(t, data)
		rate := f.cell("CDS.HS.TRUCTUYEN.TYLE", "", "LC.SKHCN")
		if formula, _ := f.f.GetCellFormula("Dữ liệu", rate); !strings.Contains(formula, "/") || !strings.Contains(formula, "*100") {
			t.Errorf("%s formula %q", rate, formula)
		}
		dvs, err := f.f.GetDataValidations("Dữ liệu")
		if err != nil {
			t.Fatal(err)
		}
		period := false
		hints := 0
		for _, dv := range dvs {
			if dv.Sqref == "C3" && dv.Type == "list" && strings.Contains(dv.Formula1, q.String()) && strings.Contains(dv.Formula1, q.Prev().String()) {
				period = true
			}
			if dv.PromptTitle != nil && *dv.PromptTitle == "CDS.HS.TIEPNHAN" && strings.Contains(*dv.Prompt, "Số nguyên không âm") {
				hints++
			}
		}
		if !period || hints != 1 {
			t.Errorf("period drop-down %v, hint of CDS.HS.TIEPNHAN %d: %+v", period, hints, dvs)
		}
		f.f.Close()
		_, guide := xlSheet(t, data, "Hướng dẫn")
		text := xlText(guide)
		deadline, err := app.Server.Report.Calendar.Deadline(q, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"HƯỚNG DẪN ĐIỀN BIỂU CDS.QUY.SO.LC", "Hạn gửi báo cáo: hết ngày " + deadline.Format("02/01/2006"), "12,5 hoặc 12.5",
			"Tổng số hồ sơ tiếp nhận trong kỳ", "Tự tính: CDS.HS.TRUCTUYEN / CDS.HS.TIEPNHAN × 100", "Số nguyên không âm", "LC.SKHCN"} {
			if !strings.Contains(text, want) {
				t.Errorf("guide lacks %q", want)
			}
		}

		// The yearly DTI inputs hold a yes/no question: a drop-down.
		y := xlOpenPeriod(report.Yearly)
		data = xlTemplate(t, app, "baocao.laichau", "CDS.DTI.NAM.LC", y, "")
		f = xlEdit(t, data)
		soc := f.cell("CDS.DTI.SOC", "", "LC.SKHCN")
		dvs, _ = f.f.GetDataValidations("Dữ liệu")
		yesno := false
		for _, dv := range dvs {
			if dv.Sqref == soc && dv.Type == "list" && strings.Contains(dv.Formula1, "Có") && strings.Contains(dv.Formula1, "Không") {
				yesno = true
			}
		}
		if !yesno {
			t.Errorf("no Có/Không drop-down at %s: %+v", soc, dvs)
		}
		f.f.Close()

		// The communes of a district: a form assigned to Pleiku's communes
		// and wards in 2024, downloaded by the city's approver.
		doc := `{"forms":[{"code":"T.XL.XA","name":"Biểu thử của các xã, phường thuộc Pleiku","periodType":"Quarterly","deadlineDays":2,"issuerUnit":"GL25",
			"sections":[{"name":"Hồ sơ","indicators":["CDS.HS.TIEPNHAN","CDS.HS.TRUCTUYEN"]}],"assign":[{"under":"GL.PLEIKU","kinds":["commune","ward"],"to":"2025-06-30"}]}]}`
		if status, body, _ := app.Do(t, "dieuphoi", "POST", "/api/v1/report/import", doc); status != 201 {
			t.Fatalf("import form: %d %s", status, body)
		}
		_, body, _ := app.Do(t, "pheduyet.pleiku", "GET", fmt.Sprintf("/api/v1/report/forms/%d/units?period=2024Q4", xlFormID(t, app, "T.XL.XA")), "")
		var due struct{ Units []struct{ Code string } }
		testapp.JSON(t, body, &due)
		if len(due.Units) < 20 {
			t.Fatalf("%d units due: %s", len(due.Units), body)
		}
		p24, _ := report.ParsePeriod("2024Q4")
		data = xlTemplate(t, app, "pheduyet.pleiku", "T.XL.XA", p24, "")
		_, sh = xlSheet(t, data, "Dữ liệu")
		if sh.Cols(6) != 4+len(due.Units) {
			t.Errorf("%d columns for %d communes", sh.Cols(6), len(due.Units))
		}
		for i, u := range due.Units {
			if got := sh.At(5+i, 6).String(); got != u.Code {
				t.Errorf("column %d is %s, want %s", 5+i, got, u.Code)
			}
			if got := sh.At(5+i, 8).String(); got != "Quá hạn — đã khóa" {
				t.Errorf("%s state %q, want locked", u.Code, got)
			}
		}
		// Pleiku's reporter may ask for one commune only.
		one := app.UnitID(t, due.Units[0].Code)
		data = xlTemplate(t, app, "baocao.pleiku", "T.XL.XA", p24, fmt.Sprintf("&unit=%d", one))
		if _, sh = xlSheet(t, data, "Dữ liệu"); sh.Cols(6) != 5 || sh.At(5, 6).String() != due.Units[0].Code {
			t.Errorf("one commune: %d columns, %q", sh.Cols(6), sh.At(5, 6).String())
		}
	})
}

// xlText is every cell of a sheet, for searching.
func xlText(sh *xlsx.Sheet) string {
	var b strings.Builder
	for r := 1; r <= sh.Rows(); r++ {
		for c := 1; c <= sh.Cols(r); c++ {
			b.WriteString(sh.At(c, r).String())
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// TestExcelImport fills in the department's workbook, previews it (a dry
// run writes nothing), imports it, imports it again (nothing changes),
// downloads it again with the values filled in, and changes one value.
func TestExcelImport(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		q := xlOpenPeriod(report.Quarterly)
		data := xlFilled(t, xlTemplate(t, app, "baocao.laichau", "CDS.QUY.SO.LC", q, ""), "LC.SKHCN")
		before := app.RowCounts(t, xlTables...)

		res := xlImportOK(t, app, "baocao.laichau", "CDS.QUY.SO.LC", data, true)
		if !res.DryRun || res.ImportCount != (report.ImportCount{Imported: 12}) || len(res.Changes) != 12 || res.Period != q.String() || strings.Join(res.Units, ",") != "LC.SKHCN" {
			t.Errorf("dry run %+v", res)
		}
		if got := app.RowCounts(t, xlTables...); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Errorf("a dry run wrote: %v, was %v", got, before)
		}
		if c := res.Changes[0]; c.Indicator != "CDS.DVC.TOANTRINH" || c.New != "45.5" || c.Old != "" || !strings.HasPrefix(c.Cell, "Dữ liệu!E") || c.Unit != "LC.SKHCN" {
			t.Errorf("first change %+v", c)
		}

		res = xlImportOK(t, app, "baocao.laichau", "CDS.QUY.SO.LC", data, false)
		if res.DryRun || res.ImportCount != (report.ImportCount{Imported: 12}) {
			t.Errorf("import %+v", res.ImportCount)
		}
		for _, v := range [][3]string{{"CDS.DVC.TOANTRINH", "", "45.5"}, {"CDS.DVC.SO", "TOANTRINH", "120"}, {"CDS.DVC.SO", "MOTPHAN", "35"},
			{"CDS.HS.TIEPNHAN", "", "1500"}, {"CDS.LGSP.KETNOI", "", "3"}} {
			if got := xlStored(t, app, v[0], v[1], "LC.SKHCN", q); got != v[2] {
				t.Errorf("%s/%s = %q, want %q", v[0], v[1], got, v[2])
			}
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM report_value_history WHERE source = 'excel' AND unit_id = $1`, app.UnitID(t, "LC.SKHCN")); n != 12 {
			t.Errorf("%d history rows from excel, want 12", n)
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'report.values.excel' AND actor = 'baocao.laichau' AND subject = $1`, "CDS.QUY.SO.LC "+q.String()); n != 1 {
			t.Errorf("%d audit rows, want 1", n)
		}

		// The same file again: nothing changes, nothing is audited.
		after := app.RowCounts(t, xlTables...)
		res = xlImportOK(t, app, "baocao.laichau", "CDS.QUY.SO.LC", data, false)
		if res.ImportCount != (report.ImportCount{Ignored: 12}) || len(res.Changes) != 0 {
			t.Errorf("second import %+v", res)
		}
		if got := app.RowCounts(t, xlTables...); fmt.Sprint(got) != fmt.Sprint(after) {
			t.Errorf("the same file again wrote: %v, was %v", got, after)
		}

		// Downloaded again, the workbook holds the values as numbers, and
		// importing it unchanged changes nothing either.
		again := xlTemplate(t, app, "baocao.laichau", "CDS.QUY.SO.LC", q, "")
		_, sh := xlSheet(t, again, "Dữ liệu")
		if c := sh.At(5, xlRowOf(t, sh, "CDS.DVC.TOANTRINH", "")); c.Kind != xlsx.Number || c.Num != 45.5 {
			t.Errorf("pre-filled rate %+v", c)
		}
		if c := sh.At(5, xlRowOf(t, sh, "CDS.HS.TIEPNHAN", "")); c.Kind != xlsx.Number || c.Num != 1500 {
			t.Errorf("pre-filled count %+v", c)
		}
		res = xlImportOK(t, app, "baocao.laichau", "CDS.QUY.SO.LC", again, false)
		if res.ImportCount != (report.ImportCount{Ignored: 12}) {
			t.Errorf("the downloaded workbook imported %+v", res.ImportCount)
		}

		// The period written as its label reads as the period.
		b0 := xlEdit(t, again)
		b0.set("C3", q.Label("vi"))
		if res := xlImportOK(t, app, "baocao.laichau", "CDS.QUY.SO.LC", b0.bytes(), true); res.Period != q.String() {
			t.Errorf("period %q read from %q", res.Period, q.Label("vi"))
		}

		// One value changed: one update; a comment entered on the entry
		// page stays.
		if _, err := app.DB.Write.Exec(`UPDATE report_values SET comment = 'theo sổ theo dõi' WHERE unit_id = $1 AND period = $2 AND indicator_id = (SELECT id FROM report_indicators WHERE code = 'CDS.VB.DI')`,
			app.UnitID(t, "LC.SKHCN"), q.String()); err != nil {
			t.Fatal(err)
		}
		b := xlEdit(t, again)
		b.set(b.cell("CDS.VB.DI", "", "LC.SKHCN"), "2.100")
		res = xlImportOK(t, app, "baocao.laichau", "CDS.QUY.SO.LC", b.bytes(), false)
		if res.ImportCount != (report.ImportCount{Updated: 1, Ignored: 11}) || len(res.Changes) != 1 || res.Changes[0].Old != "2000" || res.Changes[0].New != "2100" {
			t.Errorf("one change %+v", res)
		}
		var comment string
		app.DB.Read.QueryRow(`SELECT comment FROM report_values WHERE unit_id = $1 AND period = $2 AND indicator_id = (SELECT id FROM report_indicators WHERE code = 'CDS.VB.DI')`,
			app.UnitID(t, "LC.SKHCN"), q.String()).Scan(&comment)
		if comment != "theo sổ theo dõi" {
			t.Errorf("comment %q after the import", comment)
		}

		// The values list and its downloads.
		status, body, _ := app.Do(t, "baocao.laichau", "GET", fmt.Sprintf("/api/v1/report/forms/%d/values?period=%s", xlFormID(t, app, "CDS.QUY.SO.LC"), q), "")
		var vals []report.FormValue
		testapp.JSON(t, body, &vals)
		if status != 200 || len(vals) != 12 || vals[0].Indicator != "CDS.DVC.TOANTRINH" || vals[0].Value != "45.5" || vals[0].Unit.Code != "LC.SKHCN" || vals[0].State != "open" {
			t.Errorf("values %d %s", status, body)
		}
		status, body, h := app.Do(t, "baocao.laichau", "GET", fmt.Sprintf("/api/v1/report/forms/%d/values?period=%s&format=csv", xlFormID(t, app, "CDS.QUY.SO.LC"), q), "")
		recs := xlCSV(t, status, body, h)
		if len(recs) != 13 || recs[0][0] != "Mã đơn vị" || recs[1][3] != "CDS.DVC.TOANTRINH" || recs[1][8] != "45.5" {
			t.Errorf("values CSV %q", recs)
		}

		// Approved, the report is marked so in the workbook, whose unchanged
		// values import as before (nothing to write), while a change is
		// refused (TestExcelImportBadInput).
		if _, err := app.DB.Write.Exec(`INSERT INTO report_submissions (form_id, unit_id, period, state, updated_at) VALUES ($1, $2, $3, 'approved', $4)`,
			xlFormID(t, app, "CDS.QUY.SO.LC"), app.UnitID(t, "LC.SKHCN"), q.String(), time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		approved := xlTemplate(t, app, "baocao.laichau", "CDS.QUY.SO.LC", q, "")
		if _, sh := xlSheet(t, approved, "Dữ liệu"); sh.At(5, 8).String() != "Đã phê duyệt — đã khóa" {
			t.Errorf("approved report marked %q", sh.At(5, 8).String())
		}
		if res := xlImportOK(t, app, "baocao.laichau", "CDS.QUY.SO.LC", approved, false); res.ImportCount != (report.ImportCount{Ignored: 12}) {
			t.Errorf("the approved report's workbook imported %+v", res.ImportCount)
		}

		// Many units: Lai Châu's administrator fills in the communes' form
		// for all of them at once.
		data = xlTemplate(t, app, "quantri.laichau", "CDS.QUY.XA.LC", q, "")
		_, sh = xlSheet(t, data, "Dữ liệu")
		b = xlEdit(t, data)
		n := 0
		for c := 5; c <= sh.Cols(6); c++ {
			unit := sh.At(c, 6).String()
			b.set(b.cell("CDS.HGD.TONG", "", unit), 1000+c)
			b.set(b.cell("CDS.DTTM.TYLE", "", unit), fmt.Sprintf("%d,5", 60+c))
			n += 2
		}
		if n < 40 {
			t.Fatalf("only %d cells for %d columns", n, sh.Cols(6))
		}
		res = xlImportOK(t, app, "quantri.laichau", "CDS.QUY.XA.LC", b.bytes(), false)
		if res.ImportCount.Imported != n || len(res.Units) != n/2 {
			t.Errorf("communes %+v", res.ImportCount)
		}
	})
}

// xlCSV checks a CSV download: the UTF-8 byte-order mark, then records.
func xlCSV(t testing.TB, status int, body []byte, h http.Header) [][]string {
	t.Helper()
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV %d %s: %.200s", status, h.Get("Content-Type"), body)
	}
	if !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("CSV starts %q, want the UTF-8 BOM", body[:min(3, len(body))])
	}
	recs, err := csvReader(body[3:]).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func csvReader(b []byte) *csv.Reader { return csv.NewReader(bytes.NewReader(b)) }

// TestExcelImportBadInput sends workbooks with one mistake each: the
// answer names the cell with the reason, and nothing is written.
func TestExcelImportBadInput(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		q := xlOpenPeriod(report.Quarterly)
		tmpl := xlTemplate(t, app, "baocao.laichau", "CDS.QUY.SO.LC", q, "")
		good := xlFilled(t, tmpl, "LC.SKHCN")
		// Some values stored, so that "unchanged" means something.
		xlImportOK(t, app, "baocao.laichau", "CDS.QUY.SO.LC", good, false)
		at := func(code, option string) string {
			b := xlEdit(t, good)
			defer b.f.Close()
			return b.cell(code, option, "LC.SKHCN")
		}
		edit := func(fn func(b *xlBook)) []byte {
			b := xlEdit(t, good)
			fn(b)
			return b.bytes()
		}
		changed := func(code, option string, v any) []byte {
			return edit(func(b *xlBook) { b.set(b.cell(code, option, "LC.SKHCN"), v) })
		}
		var bomb bytes.Buffer
		zw := zip.NewWriter(&bomb)
		w, _ := zw.Create("xl/worksheets/sheet1.xml")
		w.Write(bytes.Repeat([]byte("0"), 80<<20))
		zw.Create("xl/workbook.xml")
		zw.Close()
		tiếp, rate := at("CDS.HS.TIEPNHAN", ""), at("CDS.DVC.TOANTRINH", "")
		so := at("CDS.DVC.SO", "")
		locked := q.Prev().Prev() // past its deadline and grace whenever the tests run
		for _, tc := range []struct {
			name    string
			data    []byte
			ctype   string
			status  int
			field   string // the first error's field
			message string // a part of its message
			before  func()
		}{
			{name: "text in a number cell", data: changed("CDS.HS.TIEPNHAN", "", "bốn mươi"), status: 422, field: "Dữ liệu!" + tiếp, message: "phải là một số"},
			{name: "a decimal in a count", data: changed("CDS.HS.TIEPNHAN", "", "12,5"), status: 422, field: "Dữ liệu!" + tiếp, message: "số nguyên không âm"},
			{name: "a negative count", data: changed("CDS.HS.TIEPNHAN", "", -3), status: 422, field: "Dữ liệu!" + tiếp, message: "số nguyên không âm"},
			{name: "a rate above 100", data: changed("CDS.DVC.TOANTRINH", "", 120), status: 422, field: "Dữ liệu!" + rate, message: "từ 0 đến 100"},
			{name: "a number two ways", data: changed("CDS.HS.TIEPNHAN", "", "1,500"), status: 422, field: "Dữ liệu!" + tiếp, message: "hai cách"},
			{name: "a value in the total row of an indicator with options", data: changed("CDS.DVC.SO", "", 155), status: 422, field: "Dữ liệu!" + strings.Replace(so, "A", "E", 1), message: "theo phân tổ"},
			{name: "an unknown indicator row", data: edit(func(b *xlBook) { b.set(b.cell("CDS.VB.DI", "", ""), "CDS.KHONG.CO") }), status: 422, field: "Dữ liệu!" + strings.Replace(at("CDS.VB.DI", ""), "E", "A", 1), message: "không có chỉ tiêu mã «CDS.KHONG.CO»"},
			{name: "an indicator of another form", data: edit(func(b *xlBook) { b.set(b.cell("CDS.VB.DI", "", ""), "CDS.DTI.SOC") }), status: 422, message: "không thuộc biểu CDS.QUY.SO.LC"},
			{name: "an unknown category option", data: edit(func(b *xlBook) { b.set(strings.Replace(b.cell("CDS.DVC.SO", "MOTPHAN", ""), "A", "B", 1), "KHAC") }), status: 422, message: "không có phân tổ mã «KHAC»"},
			{name: "the same indicator twice", data: edit(func(b *xlBook) { b.set(b.cell("CDS.VB.KYSO", "", ""), "CDS.VB.DI") }), status: 422, message: "đã có ở dòng"},
			{name: "a value in a row without a code", data: edit(func(b *xlBook) { b.set(b.cell("CDS.VB.DI", "", ""), "") }), status: 422, message: "không có mã chỉ tiêu"},
			{name: "the code column renamed", data: edit(func(b *xlBook) { b.set("A6", "Mã") }), status: 422, field: "Dữ liệu", message: "thiếu cột «Mã chỉ tiêu»"},
			{name: "a notes column added", data: edit(func(b *xlBook) { b.set("F6", "Ghi chú"); b.set("F20", "đã rà soát") }), status: 422, field: "Dữ liệu!F6", message: "«Ghi chú» không phải mã đơn vị"},
			{name: "a unit that does not report the form", data: edit(func(b *xlBook) { b.set("E6", "LC") }), status: 422, field: "Dữ liệu!E6", message: "không phải báo cáo biểu CDS.QUY.SO.LC"},
			{name: "the same unit twice", data: edit(func(b *xlBook) { b.set("F6", "LC.SKHCN") }), status: 422, field: "Dữ liệu!F6", message: "xuất hiện hai lần"},
			{name: "another form's file", data: edit(func(b *xlBook) { b.set("C2", "CDS.QUY.SO.GL") }), status: 422, field: "Dữ liệu!C2", message: "tệp là biểu «CDS.QUY.SO.GL»"},
			{name: "a monthly period", data: edit(func(b *xlBook) { b.set("C3", "202611") }), status: 422, field: "Dữ liệu!C3", message: "theo kỳ Hằng quý"},
			{name: "not a period", data: edit(func(b *xlBook) { b.set("C3", "Quý 5") }), status: 422, field: "Dữ liệu!C3"},
			{name: "a locked period", data: edit(func(b *xlBook) { b.set("C3", locked.String()) }), status: 422, field: "Dữ liệu!" + rate + ":", message: "đã khóa nhận số liệu"},
			{name: "an approved report", data: changed("CDS.HS.TIEPNHAN", "", 1600), status: 422, field: "Dữ liệu!" + tiếp, message: "đã gửi hoặc đã được phê duyệt",
				before: func() {
					if _, err := app.DB.Write.Exec(`INSERT INTO report_submissions (form_id, unit_id, period, state, updated_at) VALUES ($1, $2, $3, 'approved', $4)`,
						xlFormID(t, app, "CDS.QUY.SO.LC"), app.UnitID(t, "LC.SKHCN"), q.String(), time.Now().UTC()); err != nil {
						t.Fatal(err)
					}
				}},
			{name: "one value merged over two rows", data: edit(func(b *xlBook) {
				if err := b.f.MergeCell("Dữ liệu", b.cell("CDS.DVC.SO", "TOANTRINH", "LC.SKHCN"), b.cell("CDS.DVC.SO", "MOTPHAN", "LC.SKHCN")); err != nil {
					t.Fatal(err)
				}
			}), status: 422, field: "Dữ liệu!" + at("CDS.DVC.SO", "TOANTRINH") + ":" + at("CDS.DVC.SO", "MOTPHAN"), message: "bỏ gộp ô"},
			{name: "a formula whose result is an error", data: xlSetXML(t, good, tiếp, `<c r="`+tiếp+`" t="e"><f>1/0</f><v>#DIV/0!</v></c>`), status: 422, field: "Dữ liệu!" + tiếp, message: "#DIV/0!"},
			{name: "a formula saved without its result", data: xlSetXML(t, good, tiếp, `<c r="`+tiếp+`"><f>SUM(E1:E2)</f></c>`), status: 422, field: "Dữ liệu!" + tiếp, message: "chưa lưu kết quả"},
			{name: "no data sheet", data: edit(func(b *xlBook) { b.f.SetSheetName("Dữ liệu", "Sheet1") }), status: 422, field: "Dữ liệu", message: "thiếu trang tính"},
			{name: "not a workbook", data: []byte("%PDF-1.4 not a workbook"), status: 422, field: "file", message: "không phải tệp Excel"},
			{name: "an empty body", data: nil, status: 422, field: "file"},
			{name: "a zip bomb", data: bomb.Bytes(), status: 422, field: "file", message: "khi giải nén lớn hơn"},
			{name: "a file above 10 MB", data: bytes.Repeat([]byte("PK"), 6<<20), status: 413},
			{name: "JSON instead of a workbook", data: []byte(`{"a":1}`), ctype: "application/json", status: 415},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.before != nil {
					tc.before()
				}
				before := app.RowCounts(t, xlTables...)
				status, body := xlUploadType(t, app, "baocao.laichau", "CDS.QUY.SO.LC", tc.data, tc.ctype)
				if status != tc.status {
					t.Fatalf("status %d, want %d: %s", status, tc.status, body)
				}
				var p httpx.Problem
				if err := json.Unmarshal(body, &p); err != nil {
					t.Fatalf("problem %s: %v", body, err)
				}
				if tc.field != "" || tc.message != "" {
					if len(p.Errors) == 0 {
						t.Fatalf("no errors: %s", body)
					}
					e := p.Errors[0]
					if tc.field != "" && e.Field != tc.field && !(strings.HasSuffix(tc.field, ":") && strings.HasPrefix(e.Field, tc.field)) {
						t.Errorf("field %q, want %q: %s", e.Field, tc.field, body)
					}
					if !strings.Contains(e.Message, tc.message) {
						t.Errorf("message %q lacks %q", e.Message, tc.message)
					}
				}
				if got := app.RowCounts(t, xlTables...); fmt.Sprint(got) != fmt.Sprint(before) {
					t.Errorf("rows changed: %v, were %v", got, before)
				}
			})
		}
	})
}

func xlUploadType(t testing.TB, app *testapp.App, user, form string, data []byte, ctype string) (int, []byte) {
	t.Helper()
	if ctype == "" {
		return xlUpload(t, app, user, form, data, false)
	}
	return xlPost(t, app, user, fmt.Sprintf("/api/v1/report/forms/%d/import.xlsx", xlFormID(t, app, form)), ctype, data)
}

// TestExcelPages goes through the pages as an official: the forms and
// indicators lists with their downloads, a form's page, the upload, the
// preview and its confirmation.
func TestExcelPages(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		b := app.Login(t, "baocao.laichau")
		status, page := b.Get(t, "/report/forms")
		if status != 200 || !strings.Contains(page, "CDS.QUY.SO.LC") || !strings.Contains(page, `href="/report/forms?format=xlsx"`) || !strings.Contains(page, `href="/report/forms"`) {
			t.Fatalf("forms page %d %s", status, page)
		}
		// Vietnamese order: "Báo cáo kết quả …" before "Báo cáo thông tin …".
		if i, j := strings.Index(page, "Báo cáo kết quả"), strings.Index(page, "Báo cáo thông tin đầu vào"); i < 0 || j < 0 || i > j {
			t.Errorf("forms not in Vietnamese order (%d, %d)", i, j)
		}
		status, page = b.Get(t, "/report/indicators")
		if status != 200 || !strings.Contains(page, "CDS.HS.TIEPNHAN") || !strings.Contains(page, "Số nguyên không âm") {
			t.Errorf("indicators page %d", status)
		}
		res, err := b.Client.Get(app.URL + "/report/indicators?format=csv")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		recs := xlCSV(t, res.StatusCode, body, res.Header)
		if len(recs) < 27 || recs[0][0] != "Mã chỉ tiêu" {
			t.Errorf("indicators CSV %d rows", len(recs))
		}
		id := xlFormID(t, app, "CDS.QUY.SO.LC")
		q := xlOpenPeriod(report.Quarterly)
		status, page = b.Get(t, fmt.Sprintf("/report/forms/%d", id))
		if status != 200 || !strings.Contains(page, fmt.Sprintf(`/report/forms/%d/template.xlsx?period=%s`, id, q)) || !strings.Contains(page, "LC.SKHCN") {
			t.Fatalf("form page %d %s", status, page)
		}
		res, err = b.Client.Get(fmt.Sprintf("%s/report/forms/%d/template.xlsx?period=%s", app.URL, id, q))
		if err != nil {
			t.Fatal(err)
		}
		tmpl, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("template from the page: %d", res.StatusCode)
		}
		data := xlFilled(t, tmpl, "LC.SKHCN")
		before := app.RowCounts(t, xlTables...)
		status, page = xlPostFile(t, app, b, fmt.Sprintf("/report/forms/%d/import", id), data)
		if status != 200 || !strings.Contains(page, `id="import-preview"`) || !strings.Contains(page, "sẽ thêm 12 giá trị mới") || !strings.Contains(page, `name="confirm"`) {
			t.Fatalf("preview %d %s", status, page)
		}
		if got := app.RowCounts(t, xlTables...); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Errorf("the preview wrote: %v, was %v", got, before)
		}
		hidden := regexp.MustCompile(`name="data" value="([^"]+)"`).FindStringSubmatch(page)
		if hidden == nil {
			t.Fatal("no file to confirm")
		}
		status, page = b.Post(t, fmt.Sprintf("/report/forms/%d/import", id), url.Values{"data": {html.UnescapeString(hidden[1])}, "confirm": {"1"}, "filename": {"so.xlsx"}})
		if status != 200 || !strings.Contains(page, `id="import-result"`) || !strings.Contains(page, "12 giá trị mới") {
			t.Fatalf("confirm %d %s", status, page)
		}
		if got := xlStored(t, app, "CDS.DVC.TOANTRINH", "", "LC.SKHCN", q); got != "45.5" {
			t.Errorf("stored %q", got)
		}
		// A bad file: the page lists the errors by cell.
		bad := xlEdit(t, data)
		bad.set(bad.cell("CDS.HS.TIEPNHAN", "", "LC.SKHCN"), "nhiều")
		status, page = xlPostFile(t, app, b, fmt.Sprintf("/report/forms/%d/import", id), bad.bytes())
		if status != 422 || !strings.Contains(page, `id="import-errors"`) || !strings.Contains(page, "Dữ liệu!E") || !strings.Contains(page, "phải là một số") {
			t.Errorf("errors page %d %s", status, page)
		}
		status, page = b.Get(t, fmt.Sprintf("/report/forms/%d/values?period=%s", id, q))
		if status != 200 || !strings.Contains(page, "45,5 %") {
			t.Errorf("values page %d", status)
		}
		// Another province's reporter sees the form but none of its units.
		status, page = app.Login(t, "baocao.pleiku").Get(t, fmt.Sprintf("/report/forms/%d", id))
		if status != 200 || strings.Contains(page, "template.xlsx") {
			t.Errorf("Pleiku's page for Lai Châu's form: %d", status)
		}
	})
}

// xlPostFile uploads a workbook through a page's form.
func xlPostFile(t testing.TB, app *testapp.App, b *testapp.Browser, path string, data []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.CSRF(t))
	fw, _ := mw.CreateFormFile("file", "so.xlsx")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", app.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(page)
}
