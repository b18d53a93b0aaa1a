package plan_test

// The plan import on top of internal/xlsx: merged cells, numbers, dates,
// formulas, limits and the bound on concurrent imports, through the API
// and the import page; and one label per status in every workbook.

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

func TestXLSXMergedCells(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		id := xlsxPlanID(t, app, "1331/KH-UBND")
		f := xlsxOpen(t, xlsxExport(t, app, id))
		rows, _ := f.GetRows("Nhiệm vụ")
		// A lead unit written once over three tasks, as plans print it.
		lead := xlsxFind(t, f, "Nhiệm vụ", "Đơn vị chủ trì", "")
		col := strings.TrimRight(lead, "0123456789")
		r := 0
		for i := 1; i+2 < len(rows); i++ {
			if v, _ := f.GetCellValue("Nhiệm vụ", fmt.Sprintf("%s%d", col, i+1)); v != "" && !strings.Contains(v, ";") {
				r = i + 1
				break
			}
		}
		code, _ := f.GetCellValue("Nhiệm vụ", fmt.Sprintf("%s%d", col, r))
		f.SetCellStr("Nhiệm vụ", fmt.Sprintf("%s%d", col, r+1), "")
		f.SetCellStr("Nhiệm vụ", fmt.Sprintf("%s%d", col, r+2), "")
		if err := f.MergeCell("Nhiệm vụ", fmt.Sprintf("%s%d", col, r), fmt.Sprintf("%s%d", col, r+2)); err != nil {
			t.Fatal(err)
		}
		status, res, p := xlsxImport(t, app, "dieuphoi", xlsxBytes(t, f))
		if status != 200 {
			t.Fatalf("merged lead unit: %d %+v", status, p)
		}
		for _, n := range []string{rows[r][0], rows[r+1][0]} { // rows r+1 and r+2 of the sheet
			_, body, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/tasks?q=%s", id, n), "")
			var tasks []plan.Task
			testapp.JSON(t, body, &tasks)
			found := false
			for _, task := range tasks {
				for _, a := range task.LeadUnits {
					found = found || task.Number == n && a.Unit.Code == code
				}
			}
			if !found {
				t.Errorf("task %s does not have the merged lead unit %s (changes %d): %s", n, code, res.Changes, body)
			}
		}

		// A budget over two tasks, and a number over two rows: refused by
		// range, naming the column; nothing written.
		g := xlsxOpen(t, xlsxExport(t, app, id))
		budget := strings.TrimRight(xlsxFind(t, g, "Nhiệm vụ", "Kinh phí (đồng)", ""), "0123456789")
		g.SetCellFloat("Nhiệm vụ", budget+"5", 2e9, -1, 64)
		g.MergeCell("Nhiệm vụ", budget+"5", budget+"6")
		g.MergeCell("Nhiệm vụ", "A8", "A9")
		before := xlsxCounts(t, app)
		status, _, p = xlsxImport(t, app, "dieuphoi", xlsxBytes(t, g))
		if status != 422 {
			t.Fatalf("merged budget: %d %+v", status, p)
		}
		want := map[string]bool{"Nhiệm vụ!" + budget + "5:" + budget + "6": true, "Nhiệm vụ!A8:A9": true}
		for _, e := range p.Errors {
			if !want[e.Field] || e.Code != "xlsx_merged" || !strings.HasPrefix(e.Message, e.Field+" (") {
				t.Errorf("unexpected error %+v", e)
			}
			delete(want, e.Field)
		}
		if len(want) > 0 {
			t.Errorf("not refused: %v in %+v", want, p.Errors)
		}
		if !strings.Contains(p.Detail, "(Kinh phí (đồng))") || !strings.Contains(p.Detail, "bỏ gộp ô") {
			t.Errorf("detail %q", p.Detail)
		}
		if after := xlsxCounts(t, app); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("rows changed: %v → %v", before, after)
		}
	})
}

func TestXLSXNumbersDatesAndFormulas(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		id := xlsxPlanID(t, app, "1331/KH-UBND")
		f := xlsxOpen(t, xlsxExport(t, app, id))
		tasks, _ := f.GetRows("Nhiệm vụ")
		budget := func(n string) string { return xlsxFind(t, f, "Nhiệm vụ", "Kinh phí (đồng)", n) }
		// Vietnamese text numbers read as they are meant; ambiguous ones are refused by cell.
		f.SetCellStr("Nhiệm vụ", budget(tasks[1][0]), "1.500.000.000")
		f.SetCellStr("Nhiệm vụ", budget(tasks[2][0]), "2.500,5")
		f.SetCellStr("Nhiệm vụ", budget(tasks[3][0]), "1,500")
		f.SetCellStr("Nhiệm vụ", budget(tasks[4][0]), "1.5")
		// A formula's cached value is read (error values: internal/xlsx).
		f.SetCellFloat("Nhiệm vụ", budget(tasks[5][0]), 3000, -1, 64)
		f.SetCellFormula("Nhiệm vụ", budget(tasks[5][0]), "1000*3")
		// A date typed where a year belongs, and a year where a date belongs.
		style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		to := xlsxFind(t, f, "Nhiệm vụ", "Đến năm", tasks[7][0])
		f.SetCellFloat("Nhiệm vụ", to, 46022, -1, 64)
		f.SetCellStyle("Nhiệm vụ", to, to, style)
		f.SetCellInt("Kế hoạch", "B7", 2022)
		f.SetCellStyle("Kế hoạch", "B7", "B7", 0) // a plain number, not a date cell
		// Levels: a level that is none, and an ambiguous value.
		targets, _ := f.GetRows("Chỉ tiêu")
		lv1, lv2 := xlsxFind(t, f, "Chỉ tiêu", "Theo cấp", targets[1][0]), xlsxFind(t, f, "Chỉ tiêu", "Theo cấp", targets[2][0])
		old1, _ := f.GetCellValue("Chỉ tiêu", lv1)
		old2, _ := f.GetCellValue("Chỉ tiêu", lv2)
		f.SetCellStr("Chỉ tiêu", lv1, "tỉnh=55; thôn=20")
		f.SetCellStr("Chỉ tiêu", lv2, "tỉnh=55.5")
		before := xlsxCounts(t, app)
		status, _, p := xlsxImport(t, app, "dieuphoi", xlsxBytes(t, f))
		if status != 422 {
			t.Fatalf("%d %+v", status, p)
		}
		got := map[string]string{}
		for _, e := range p.Errors {
			got[e.Field] = e.Code + " " + e.Message
		}
		for cell, want := range map[string]string{
			"Nhiệm vụ!" + budget(tasks[3][0]): "xlsx_ambiguous_number",
			"Nhiệm vụ!" + budget(tasks[4][0]): "xlsx_ambiguous_number",
			"Kế hoạch!B7":                     "xlsx_date",
			"Nhiệm vụ!" + to:                  "xlsx_year",
			"Chỉ tiêu!" + lv1:                 "xlsx_choice",
			"Chỉ tiêu!" + lv2:                 "xlsx_ambiguous_number",
		} {
			if !strings.HasPrefix(got[cell], want) {
				t.Errorf("%s: %q, want %s", cell, got[cell], want)
			}
		}
		if m := got["Nhiệm vụ!"+budget(tasks[3][0])]; !strings.Contains(m, "«1,500» có thể hiểu theo hai cách") {
			t.Errorf("ambiguous message %q", m)
		}
		if m := got["Nhiệm vụ!"+to]; !strings.Contains(m, "«31/12/2025»") {
			t.Errorf("date in a year column shows %q", m)
		}
		if m := got["Kế hoạch!B7"]; !strings.Contains(m, "«2022»") {
			t.Errorf("year in a date cell shows %q", m)
		}
		if m := got["Chỉ tiêu!"+lv1]; !strings.Contains(m, "«thôn» không có trong danh sách; chọn một trong: tỉnh; huyện; xã") {
			t.Errorf("level message %q", m)
		}
		if len(p.Errors) != 6 {
			t.Errorf("want 6 errors, got %+v", p.Errors)
		}
		if after := xlsxCounts(t, app); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("rows changed: %v → %v", before, after)
		}

		// Without the bad cells it imports, and the numbers are right.
		f.SetCellStr("Nhiệm vụ", budget(tasks[3][0]), "1.500")
		f.SetCellStr("Nhiệm vụ", budget(tasks[4][0]), "1,5")
		f.SetCellStyle("Nhiệm vụ", to, to, 0)
		f.SetCellInt("Nhiệm vụ", to, 2025)
		f.SetCellStr("Kế hoạch", "B7", "22/06/2022")
		f.SetCellStr("Chỉ tiêu", lv1, old1)
		f.SetCellStr("Chỉ tiêu", lv2, old2)
		status, _, p = xlsxImport(t, app, "dieuphoi", xlsxBytes(t, f))
		if status != 200 {
			t.Fatalf("fixed: %d %+v", status, p)
		}
		want := map[string]float64{tasks[1][0]: 1.5e9, tasks[2][0]: 2500.5, tasks[3][0]: 1500, tasks[4][0]: 1.5, tasks[5][0]: 3000}
		_, body, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/tasks?limit=100", id), "")
		var all []plan.Task
		testapp.JSON(t, body, &all)
		for _, task := range all {
			if w, ok := want[task.Number]; ok && (task.Budget == nil || *task.Budget != w) {
				t.Errorf("task %s budget %v, want %v", task.Number, task.Budget, w)
			}
		}
	})
}

// A plan with no issue date and no span has no day to check its units on:
// the messages say what is missing, never an internal "0000-01-01".
func TestXLSXNoPlaceholderDate(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		_, data, _ := app.Do(t, "dieuphoi", "GET", "/api/v1/plans/template.xlsx", "")
		f := xlsxOpen(t, data)
		f.SetCellStr("Kế hoạch", "B2", "7/KH-UBND")
		f.SetCellStr("Kế hoạch", "B4", "Kế hoạch thử")
		f.SetCellStr("Kế hoạch", "B6", "GL")   // Gia Lai before 2025
		f.SetCellStr("Kế hoạch", "B10", "năm") // no span
		f.SetSheetRow("Nhiệm vụ", "A2", &[]any{"1", "", "", "Việc", "", "GL25.SKHCN"})
		status, _, p := xlsxImport(t, app, "admin", xlsxBytes(t, f))
		if status != 422 || strings.Contains(p.Detail, "0000") {
			t.Fatalf("%d %s", status, p.Detail)
		}
		if !strings.Contains(p.Detail, "Kế hoạch!B10 (Từ năm): phải là năm gồm 4 chữ số (ví dụ 2025); ô đang chứa «năm»") {
			t.Errorf("detail %q", p.Detail)
		}
		// With a span, a unit not yet existing on its first day is named with
		// the day as officials write it.
		f.SetCellInt("Kế hoạch", "B10", 2022)
		f.SetCellInt("Kế hoạch", "B11", 2025)
		status, _, p = xlsxImport(t, app, "admin", xlsxBytes(t, f))
		if status != 422 || !strings.Contains(p.Detail, "Nhiệm vụ!F2 (Đơn vị chủ trì): đơn vị «GL25.SKHCN» không còn hoạt động tại ngày 01/01/2022") {
			t.Fatalf("%d %s", status, p.Detail)
		}
	})
}

func TestXLSXWorkbookFieldIsNamed(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		// The API: the file is "Tệp Excel", not the evidence file of a task.
		status, body := xlsxPost(t, app, "dieuphoi", "/api/v1/plans/import.xlsx", xlsxType, []byte("%PDF-1.4 not a workbook"))
		if status != 422 || !strings.Contains(string(body), "Tệp Excel: không phải tệp Excel .xlsx; hãy chọn tệp .xlsx") || strings.Contains(string(body), "kiểm chứng") {
			t.Errorf("API: %d %s", status, body)
		}
		status, body = xlsxPost(t, app, "dieuphoi", "/api/v1/plans/import.xlsx", "image/png", []byte("x"))
		if status != 415 || !strings.Contains(string(body), "Tệp Excel: phải là tệp .xlsx") {
			t.Errorf("API media type: %d %s", status, body)
		}
		// The page.
		b := app.Login(t, "dieuphoi")
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("csrf", b.CSRF(t))
		fw, _ := mw.CreateFormFile("file", "bao-cao.pdf")
		fw.Write([]byte("%PDF-1.4"))
		mw.Close()
		res, err := b.Client.Post(app.URL+"/plans/import", mw.FormDataContentType(), &buf)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 422 || !strings.Contains(string(page), "Tệp Excel") || strings.Contains(string(page), "Tệp kiểm chứng") ||
			!strings.Contains(string(page), "hãy chọn tệp .xlsx") || !strings.Contains(string(page), "bao-cao.pdf") {
			t.Errorf("page: %d %s", res.StatusCode, page)
		}
	})
}

// bombFrom replaces a sheet of a real workbook with one that inflates to
// size bytes of repeated rows.
func bombFrom(t *testing.T, data []byte, part string, size int) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for _, f := range zr.File {
		w, _ := zw.Create(f.Name)
		if f.Name != part {
			rc, _ := f.Open()
			io.Copy(w, rc)
			rc.Close()
			continue
		}
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		chunk := strings.Repeat(`<row><c t="inlineStr"><is><t>1.1</t></is></c><c t="inlineStr"><is><t>Nhiệm vụ</t></is></c></row>`, 1000)
		for n := 0; n < size; n += len(chunk) {
			io.WriteString(w, chunk)
		}
		io.WriteString(w, `</sheetData></worksheet>`)
	}
	zw.Close()
	return buf.Bytes()
}

func TestXLSXLimits(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		good := xlsxExport(t, app, xlsxPlanID(t, app, "1331/KH-UBND"))
		before := xlsxCounts(t, app)
		bomb := bombFrom(t, good, "xl/worksheets/sheet3.xml", 70<<20)
		status, _, p := xlsxImport(t, app, "dieuphoi", bomb)
		if status != 422 || len(p.Errors) != 1 || p.Errors[0].Code != "xlsx_unzipped_too_large" || !strings.Contains(p.Errors[0].Message, "Tệp Excel: tệp khi giải nén lớn hơn 64 MB") {
			t.Fatalf("bomb (%d KB): %d %+v", len(bomb)>>10, status, p)
		}
		// Many rows within the size: refused at the row limit, naming the sheet.
		rows := bombFrom(t, good, "xl/worksheets/sheet3.xml", 3<<20)
		status, _, p = xlsxImport(t, app, "dieuphoi", rows)
		if status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "Nhiệm vụ" || p.Errors[0].Code != "too_many_rows" || !strings.Contains(p.Errors[0].Message, "20000") {
			t.Fatalf("rows: %d %+v", status, p)
		}
		if after := xlsxCounts(t, app); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("rows changed: %v → %v", before, after)
		}
	})
}

func TestXLSXConcurrentImportsAreBounded(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		good := xlsxExport(t, app, xlsxPlanID(t, app, "1331/KH-UBND"))
		// Three imports hold every slot; a fourth waits, then is told to retry.
		var releases []func()
		for range 3 {
			r, err := app.Server.Plan.ImportLimiter().Acquire(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			releases = append(releases, r)
		}
		status, body, h := xlsxPostH(t, app, "dieuphoi", "/api/v1/plans/import.xlsx", xlsxType, good)
		if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(string(body), "too_many_requests") ||
			!strings.Contains(string(body), "nhiều tệp Excel được nhập cùng lúc") {
			t.Fatalf("fourth import: %d %s", status, body)
		}
		for _, r := range releases {
			r()
		}
		if status, res, p := xlsxImport(t, app, "dieuphoi", good); status != 200 || res.Changes != 0 {
			t.Fatalf("after the others: %d %+v", status, p)
		}
	})
}

// One label per status: review.xlsx says what the pages say.
func TestXLSXReviewUsesThePagesLabels(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		_, body, _ := app.Do(t, "lanhdao", "GET", "/api/v1/review", "")
		var rv plan.Review
		testapp.JSON(t, body, &rv)
		_, data, _ := app.Do(t, "lanhdao", "GET", "/api/v1/review.xlsx?month="+rv.Month, "")
		f := xlsxOpen(t, data)
		var text strings.Builder
		for _, sh := range f.GetSheetList() {
			rows, _ := f.GetRows(sh)
			for _, r := range rows {
				text.WriteString(strings.Join(r, "|") + "\n")
			}
		}
		all := text.String()
		for _, old := range []string{"Chưa bắt đầu", "not_started", "in_progress", "at_least", "off_track"} {
			if strings.Contains(all, old) {
				t.Errorf("review.xlsx says %q", old)
			}
		}
		rows, _ := f.GetRows("Quá hạn")
		seen := map[string]bool{}
		i := 1
		for _, g := range rv.Overdue {
			for _, task := range g.Tasks {
				want := locale.T(locale.VI, "task.status."+task.Status)
				if rows[i][8] != want {
					t.Errorf("row %d status %q, the page says %q", i+1, rows[i][8], want)
				}
				seen[task.Status] = true
				i++
			}
		}
		if !seen["not_started"] || !strings.Contains(all, "Chưa triển khai") {
			t.Errorf("the demo's overdue tasks should include one not started: %v", seen)
		}
		slow, _ := f.GetRows("Chỉ tiêu chậm")
		for j, target := range rv.Targets {
			if got, want := slow[j+1][12], locale.T(locale.VI, "target.status."+target.Status); got != want {
				t.Errorf("target %s status %q, the page says %q", target.Code, got, want)
			}
			if got, want := slow[j+1][6], locale.T(locale.VI, "target.direction."+target.Direction); got != want {
				t.Errorf("target %s direction %q, the page says %q", target.Code, got, want)
			}
		}
	})
}
