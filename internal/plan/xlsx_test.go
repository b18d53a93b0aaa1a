package plan_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func xlsxPlanID(t *testing.T, app *testapp.App, number string) int64 {
	t.Helper()
	_, body, _ := app.Do(t, "admin", "GET", "/api/v1/plans", "")
	var plans []plan.Plan
	testapp.JSON(t, body, &plans)
	for _, p := range plans {
		if p.Number == number || p.Key == number {
			return p.ID
		}
	}
	t.Fatalf("plan %s not found", number)
	return 0
}

// xlsxCounts counts the rows of every table an import writes.
func xlsxCounts(t *testing.T, app *testapp.App) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"plans", "plan_legal_bases", "targets", "target_values", "tasks", "task_assignments"} {
		var n int
		if err := app.DB.Read.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// xlsxPost sends a body as username with a content type.
func xlsxPost(t *testing.T, app *testapp.App, username, path, contentType string, body []byte) (int, []byte) {
	t.Helper()
	status, b, _ := xlsxPostH(t, app, username, path, contentType, body)
	return status, b
}

func xlsxPostH(t *testing.T, app *testapp.App, username, path, contentType string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest("POST", app.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+app.Token(t, username))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header
}

func xlsxImport(t *testing.T, app *testapp.App, username string, data []byte) (int, plan.ImportResult, httpx.Problem) {
	t.Helper()
	status, body := xlsxPost(t, app, username, "/api/v1/plans/import.xlsx", xlsxType, data)
	var res plan.ImportResult
	var p httpx.Problem
	if status < 300 {
		testapp.JSON(t, body, &res)
	} else {
		testapp.JSON(t, body, &p)
	}
	return status, res, p
}

func xlsxOpen(t *testing.T, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("open workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func xlsxBytes(t *testing.T, f *excelize.File) []byte {
	t.Helper()
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// xlsxFind returns the cell of the column headed header in the row whose
// column A holds key (the header row when key is "").
func xlsxFind(t *testing.T, f *excelize.File, sheet, header, key string) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == header {
			col = i + 1
		}
	}
	if col < 0 {
		t.Fatalf("%s has no column %q: %q", sheet, header, rows[0])
	}
	for r, row := range rows {
		if len(row) > 0 && (key == "" && r == 0 || key != "" && row[0] == key) {
			c, _ := excelize.CoordinatesToCellName(col, r+1)
			return c
		}
	}
	t.Fatalf("%s has no row %q", sheet, key)
	return ""
}

func xlsxExport(t *testing.T, app *testapp.App, id int64) []byte {
	t.Helper()
	status, data, h := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/export.xlsx", id), "")
	if status != 200 {
		t.Fatalf("export.xlsx: %d %s", status, data)
	}
	if ct := h.Get("Content-Type"); ct != xlsxType {
		t.Fatalf("export.xlsx Content-Type %q", ct)
	}
	cd := h.Get("Content-Disposition")
	if !strings.Contains(cd, `filename="Ke-hoach-1331-KH-UBND.xlsx"`) || !strings.Contains(cd, "filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%201331-KH-UBND.xlsx") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	return data
}

func TestXLSXRoundTrip(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		id := xlsxPlanID(t, app, "1331/KH-UBND")
		data := xlsxExport(t, app, id)
		f := xlsxOpen(t, data)
		if got := f.GetSheetList(); strings.Join(got[:4], "|") != "Kế hoạch|Chỉ tiêu|Nhiệm vụ|Hướng dẫn" {
			t.Fatalf("sheets %q", got)
		}
		// Header rows are bold and frozen, and the pillar column offers the pillars.
		for _, sheet := range []string{"Chỉ tiêu", "Nhiệm vụ"} {
			panes, err := f.GetPanes(sheet)
			if err != nil || !panes.Freeze || panes.YSplit != 1 {
				t.Errorf("%s: header not frozen: %+v %v", sheet, panes, err)
			}
			sid, _ := f.GetCellStyle(sheet, "A1")
			style, _ := f.GetStyle(sid)
			if style == nil || style.Font == nil || !style.Font.Bold {
				t.Errorf("%s: header not bold", sheet)
			}
			// Drop-downs offer the Vietnamese words of the pages, never codes.
			dvs, _ := f.GetDataValidations(sheet)
			found := false
			for _, dv := range dvs {
				found = found || strings.Contains(dv.Formula1, "Kinh tế số")
				for _, code := range []string{"kinh_te_so", "nhan_thuc_so", "at_least", "manual", "in_force"} {
					if strings.Contains(dv.Formula1, code) {
						t.Errorf("%s: drop-down %s shows the code %s: %s", sheet, dv.Sqref, code, dv.Formula1)
					}
				}
			}
			if !found {
				t.Errorf("%s: no pillar drop-down among %d validations", sheet, len(dvs))
			}
		}
		dvs, _ := f.GetDataValidations("Kế hoạch")
		if len(dvs) != 1 || !strings.Contains(dvs[0].Formula1, "Đang hiệu lực") || strings.Contains(dvs[0].Formula1, "in_force") {
			t.Errorf("Kế hoạch: status drop-down %+v", dvs)
		}
		ctDVs, _ := f.GetDataValidations("Chỉ tiêu")
		labels := ""
		for _, dv := range ctDVs {
			labels += dv.Formula1
		}
		for _, want := range []string{"Đạt tối thiểu (càng cao càng tốt)", "Nhập kèm tài liệu kiểm chứng"} {
			if !strings.Contains(labels, want) {
				t.Errorf("Chỉ tiêu: no drop-down offers %q", want)
			}
		}
		// The cells hold the same words.
		if v, _ := f.GetCellValue("Kế hoạch", "B12"); v != "Đang hiệu lực" {
			t.Errorf("Kế hoạch!B12 %q", v)
		}
		if v, _ := f.GetCellValue("Chỉ tiêu", xlsxFind(t, f, "Chỉ tiêu", "Chiều đánh giá", "")); v != "Chiều đánh giá" {
			t.Errorf("header %q", v)
		}
		rows, _ := f.GetRows("Nhiệm vụ")
		if len(rows) != 37 {
			t.Fatalf("Nhiệm vụ: want a header and 36 tasks, got %d rows", len(rows))
		}

		// Export → import changes nothing.
		status, res, p := xlsxImport(t, app, "dieuphoi", data)
		if status != 200 || res.Changes != 0 || res.Created || res.PlanID != id || res.Tasks != 36 || res.Targets != 17 {
			t.Fatalf("re-import: %d %+v %+v", status, res, p)
		}

		// One changed cell is one change, and the API shows it.
		cell := xlsxFind(t, f, "Nhiệm vụ", "Nội dung nhiệm vụ", rows[3][0])
		changed := "Nội dung đã sửa trong Excel: chuyển đổi số toàn diện"
		f.SetCellStr("Nhiệm vụ", cell, changed)
		edited := xlsxBytes(t, f)
		status, res, p = xlsxImport(t, app, "dieuphoi", edited)
		if status != 200 || res.Changes != 1 {
			t.Fatalf("edited import: %d %+v %+v", status, res, p)
		}
		_, body, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/tasks?q=%s", id, rows[3][0]), "")
		var tasks []plan.Task
		testapp.JSON(t, body, &tasks)
		if len(tasks) != 1 || tasks[0].Description != changed {
			t.Fatalf("task %s after import: %+v", rows[3][0], tasks)
		}
		// The same file again: nothing.
		if status, res, p = xlsxImport(t, app, "dieuphoi", edited); status != 200 || res.Changes != 0 {
			t.Fatalf("edited import twice: %d %+v %+v", status, res, p)
		}

		// Every seed plan survives the round trip unchanged.
		for _, n := range []string{"3015/KH-UBND", "4900/KH-UBND", "hg-2021", "bd-2023"} {
			pid := xlsxPlanID(t, app, n)
			_, data, _ := app.Do(t, "admin", "GET", fmt.Sprintf("/api/v1/plans/%d/export.xlsx", pid), "")
			if status, res, p := xlsxImport(t, app, "admin", data); status != 200 || res.Changes != 0 {
				t.Errorf("%s round trip: %d %+v %+v", n, status, res, p)
			}
		}
	})
}

func TestXLSXImportReportsEveryErrorByCell(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		id := xlsxPlanID(t, app, "1331/KH-UBND")
		f := xlsxOpen(t, xlsxExport(t, app, id))
		tasks, _ := f.GetRows("Nhiệm vụ")
		first, second, third := tasks[1][0], tasks[2][0], tasks[3][0]

		unknown := xlsxFind(t, f, "Nhiệm vụ", "Đơn vị chủ trì", first)
		f.SetCellStr("Nhiệm vụ", unknown, "GL.KHONGCO")
		dup := xlsxFind(t, f, "Nhiệm vụ", "Số TT", third)
		f.SetCellStr("Nhiệm vụ", dup, second)
		year := xlsxFind(t, f, "Nhiệm vụ", "Từ năm", second)
		f.SetCellStr("Nhiệm vụ", year, "hai nghìn")
		// A milestone for 2035, outside 2022–2030, in a new year column.
		targets, _ := f.GetRows("Chỉ tiêu")
		newCol, _ := excelize.ColumnNumberToName(len(targets[0]) + 1)
		f.SetCellStr("Chỉ tiêu", newCol+"1", "2035")
		f.SetCellFloat("Chỉ tiêu", newCol+"3", 40, -1, 64)
		// A date that is not one.
		f.SetCellStr("Kế hoạch", "B7", "31/02/2022")

		before := xlsxCounts(t, app)
		status, _, p := xlsxImport(t, app, "dieuphoi", xlsxBytes(t, f))
		if status != 422 || p.Code != "validation_failed" {
			t.Fatalf("bad workbook: %d %+v", status, p)
		}
		if _, _, h := xlsxPostH(t, app, "dieuphoi", "/api/v1/plans/import.xlsx", xlsxType, xlsxBytes(t, f)); !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") {
			t.Errorf("error Content-Type %q", h.Get("Content-Type"))
		}
		want := map[string]string{
			"Kế hoạch!B7":              "xlsx_date",
			"Chỉ tiêu!" + newCol + "3": "outside_span",
			"Nhiệm vụ!" + unknown:      "unknown_unit",
			"Nhiệm vụ!" + year:         "xlsx_year",
			"Nhiệm vụ!" + dup:          "duplicate_of",
		}
		got := map[string]string{}
		for _, e := range p.Errors {
			got[e.Field] = e.Code
			if !strings.HasPrefix(e.Message, e.Field) {
				t.Errorf("message %q does not start with its cell", e.Message)
			}
		}
		for cell, code := range want {
			if got[cell] != code {
				t.Errorf("%s: want %s, got %q", cell, code, got[cell])
			}
		}
		if len(p.Errors) != len(want) {
			t.Errorf("want %d errors, got %+v", len(want), p.Errors)
		}
		for _, e := range p.Errors {
			switch e.Code {
			case "unknown_unit":
				if !strings.Contains(e.Message, "(Đơn vị chủ trì)") || !strings.Contains(e.Message, "GL.KHONGCO") {
					t.Errorf("unknown unit message %q", e.Message)
				}
			case "duplicate_of":
				// Names the other row's cell, not a JSON path.
				if !strings.Contains(e.Message, "Nhiệm vụ!A3") {
					t.Errorf("duplicate message %q", e.Message)
				}
			}
		}
		if after := xlsxCounts(t, app); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("rows changed by a refused import: %v → %v", before, after)
		}

		// A missing sheet, and a missing required column.
		g := xlsxOpen(t, xlsxExport(t, app, id))
		g.DeleteSheet("Chỉ tiêu")
		status, _, p = xlsxImport(t, app, "dieuphoi", xlsxBytes(t, g))
		if status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "Chỉ tiêu" || p.Errors[0].Code != "missing_sheet" {
			t.Fatalf("missing sheet: %d %+v", status, p)
		}
		h := xlsxOpen(t, xlsxExport(t, app, id))
		h.RemoveCol("Nhiệm vụ", "D")
		status, _, p = xlsxImport(t, app, "dieuphoi", xlsxBytes(t, h))
		if status != 422 || len(p.Errors) != 1 || p.Errors[0].Code != "missing_column" || !strings.Contains(p.Errors[0].Message, "Nội dung nhiệm vụ") {
			t.Fatalf("missing column: %d %+v", status, p)
		}
		if after := xlsxCounts(t, app); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("rows changed: %v → %v", before, after)
		}
	})
}

func TestXLSXRefusesForeignFilesAndOutsiders(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		before := xlsxCounts(t, app)
		png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
		var docx bytes.Buffer
		zw := zip.NewWriter(&docx)
		for _, name := range []string{"[Content_Types].xml", "word/document.xml"} {
			w, _ := zw.Create(name)
			w.Write([]byte("<?xml version=\"1.0\"?><x/>"))
		}
		zw.Close()
		truncated := xlsxExport(t, app, xlsxPlanID(t, app, "1331/KH-UBND"))
		truncated = truncated[:len(truncated)/2]
		for _, c := range []struct {
			name   string
			ct     string
			body   []byte
			status int
			code   string
		}{
			{"png as xlsx", xlsxType, png, 422, "not_xlsx"},
			{"png", "image/png", png, 415, "xlsx_content_type"},
			{"docx", xlsxType, docx.Bytes(), 422, "xlsx_word"},
			{"empty", xlsxType, nil, 422, "required"},
			{"truncated", xlsxType, truncated, 422, "xlsx_corrupt"},
			{"xls", xlsxType, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00"), 422, "xlsx_xls"},
			{"json", "application/json", []byte(`{"number":"x"}`), 415, "xlsx_content_type"},
			{"too large", xlsxType, bytes.Repeat([]byte("PK"), 6<<20), 413, "file_too_large"},
		} {
			status, body := xlsxPost(t, app, "dieuphoi", "/api/v1/plans/import.xlsx", c.ct, c.body)
			var p httpx.Problem
			testapp.JSON(t, body, &p)
			if status != c.status || len(p.Errors) != 1 || p.Errors[0].Field != "file" || p.Errors[0].Code != c.code || p.Errors[0].Message == "" {
				t.Errorf("%s: %d %s", c.name, status, body)
			}
		}
		// A multipart upload with no file, and with the wrong file.
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		fw, _ := mw.CreateFormFile("file", "anh.png")
		fw.Write(png)
		mw.Close()
		if status, body := xlsxPost(t, app, "dieuphoi", "/api/v1/plans/import.xlsx", mw.FormDataContentType(), mp.Bytes()); status != 422 || !strings.Contains(string(body), "not_xlsx") {
			t.Errorf("multipart png: %d %s", status, body)
		}
		// A reporter may not import, whatever the file.
		good := xlsxExport(t, app, xlsxPlanID(t, app, "1331/KH-UBND"))
		if status, body := xlsxPost(t, app, "baocao.pleiku", "/api/v1/plans/import.xlsx", xlsxType, good); status != 403 {
			t.Errorf("reporter import: %d %s", status, body)
		}
		// Lai Châu's administrator may not import Gia Lai's plan.
		if status, body := xlsxPost(t, app, "quantri.laichau", "/api/v1/plans/import.xlsx", xlsxType, good); status != 403 {
			t.Errorf("other province's admin: %d %s", status, body)
		}
		if status, _, _ := app.Do(t, "", "GET", "/api/v1/plans/template.xlsx", ""); status != 401 {
			t.Errorf("anonymous template: %d", status)
		}
		if after := xlsxCounts(t, app); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("rows changed: %v → %v", before, after)
		}
	})
}

func TestXLSXTemplateCreatesAPlan(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		status, data, h := app.Do(t, "baocao.pleiku", "GET", "/api/v1/plans/template.xlsx", "")
		if status != 200 || !strings.Contains(h.Get("Content-Disposition"), `filename="Bieu-mau-ke-hoach.xlsx"`) {
			t.Fatalf("template: %d %v", status, h)
		}
		f := xlsxOpen(t, data)
		guide, _ := f.GetRows("Hướng dẫn")
		text := fmt.Sprint(guide)
		for _, want := range []string{"kinh_te_so", "Kinh tế số", "at_least", "in_force", "districts", "Đơn vị chủ trì"} {
			if !strings.Contains(text, want) {
				t.Errorf("guide lacks %q", want)
			}
		}
		// The empty template is refused with the required fields named.
		status, _, p := xlsxImport(t, app, "admin", data)
		if status != 422 {
			t.Fatalf("empty template: %d %+v", status, p)
		}
		fields := map[string]bool{}
		for _, e := range p.Errors {
			fields[e.Field] = true
		}
		for _, want := range []string{"Kế hoạch!B2", "Kế hoạch!B4", "Kế hoạch!B6", "Kế hoạch!B10"} {
			if !fields[want] {
				t.Errorf("empty template: no error at %s in %+v", want, p.Errors)
			}
		}

		// Filled in by hand, Vietnamese style: a new plan.
		set := func(sheet, cell string, v any) {
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
		}
		set("Kế hoạch", "B2", "99/KH-UBND")
		set("Kế hoạch", "B4", "Kế hoạch chuyển đổi số thử nghiệm")
		set("Kế hoạch", "B6", "GL25")
		set("Kế hoạch", "B7", "05/08/2025")
		set("Kế hoạch", "B9", "1331/KH-UBND; 411/QĐ-TTg")
		set("Kế hoạch", "B10", 2025)
		set("Kế hoạch", "B11", "2030")
		set("Kế hoạch", "B12", "đang có hiệu lực")
		row := func(sheet string, r int, vals ...any) {
			for i, v := range vals {
				if v == nil {
					continue
				}
				c, _ := excelize.CoordinatesToCellName(i+1, r)
				set(sheet, c, v)
			}
		}
		// code, pillar, group, statement, later, measure, direction, base year, base value, 2025, 2030, levels, responsible
		row("Chỉ tiêu", 2, "CT.1", "Kinh tế số", "", "Tỷ trọng kinh tế số", "", "%", "tối thiểu", 2024, "12,5", 15, 30, nil, "GL25.SKHCN")
		row("Chỉ tiêu", 3, "CT.2", "chinh_quyen_so", "", "Hồ sơ xử lý trên môi trường mạng", "", "%", "at_least", nil, nil, "x", nil, "tỉnh=90; xã=70")
		// number, group, pillar, description, lead text, lead units, lead groups, coord text, coord units, coord groups, time, from, to, output, budget source, budget
		row("Nhiệm vụ", 2, "1", "Hạ tầng", "ha_tang_so", "Nâng cấp mạng", "Sở KH&CN", "gl25.skhcn", nil, nil, nil, "sở ngành", "2025-2026", 2025, "2026", nil, "Ngân sách tỉnh", "1.500.000.000")
		row("Nhiệm vụ", 3, "1.1", "", "", "Đào tạo", "", nil, "cấp xã", nil, nil, nil, "2025", "2025", 2025)
		before := xlsxCounts(t, app)
		status, res, p := xlsxImport(t, app, "dieuphoi", xlsxBytes(t, f))
		if status != 201 || !res.Created || res.Targets != 2 || res.Tasks != 2 {
			t.Fatalf("hand-filled template: %d %+v %+v", status, res, p)
		}
		after := xlsxCounts(t, app)
		if after["plans"] != before["plans"]+1 || after["tasks"] != before["tasks"]+2 {
			t.Fatalf("counts %v → %v", before, after)
		}
		_, body, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/targets", res.PlanID), "")
		var targets []plan.Target
		testapp.JSON(t, body, &targets)
		if len(targets) != 2 || targets[0].Pillar != "kinh_te_so" || targets[0].Direction != "at_least" || targets[0].Baseline == nil || *targets[0].Baseline.Value != 12.5 ||
			len(targets[1].Milestones) != 2 || targets[1].ResponsibleUnit != nil {
			t.Fatalf("targets: %s", body)
		}
		_, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/tasks", res.PlanID), "")
		var tasks []plan.Task
		testapp.JSON(t, body, &tasks)
		if len(tasks) != 2 || tasks[0].Budget == nil || *tasks[0].Budget != 1.5e9 || len(tasks[0].LeadUnits) != 1 || len(tasks[0].CoordinatingUnits) == 0 ||
			len(tasks[1].LeadUnits) == 0 || tasks[0].TimeFrame.DueOn != "2026-12-31" {
			t.Fatalf("tasks: %s", body)
		}
		_, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d", res.PlanID), "")
		var pl plan.Plan
		testapp.JSON(t, body, &pl)
		if pl.IssuedOn != "2025-08-05" || pl.Status != "in_force" || len(pl.LegalBases) != 2 {
			t.Fatalf("plan: %s", body)
		}
		// The same file twice changes nothing.
		if status, res, p := xlsxImport(t, app, "dieuphoi", xlsxBytes(t, f)); status != 200 || res.Changes != 0 {
			t.Fatalf("hand-filled template twice: %d %+v %+v", status, res, p)
		}
		// Its own export round-trips.
		_, data, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/export.xlsx", res.PlanID), "")
		if status, res, p := xlsxImport(t, app, "dieuphoi", data); status != 200 || res.Changes != 0 {
			t.Fatalf("round trip of the new plan: %d %+v %+v", status, res, p)
		}
	})
}

// A workbook made by hand, not from the template: the plan as a header row
// over a row of values, headers in any order and case, no guide.
func TestXLSXHandMadeWorkbook(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		book := func(title, number string) []byte {
			f := excelize.NewFile()
			f.SetSheetName("Sheet1", "KẾ HOẠCH")
			f.SetSheetRow("KẾ HOẠCH", "A1", &[]any{"Tên kế hoạch", "Số hiệu", "Mã đơn vị ban hành", "Ngày ban hành", "Từ năm", "Đến năm"})
			f.SetSheetRow("KẾ HOẠCH", "A2", &[]any{title, "12/KH-UBND", "GL25", "2025-09-01", 2025, 2026})
			f.NewSheet("Chỉ tiêu")
			f.SetSheetRow("Chỉ tiêu", "A1", &[]any{"Mã chỉ tiêu", "Nội dung chỉ tiêu", "Trụ cột", "Chiều đánh giá", "Năm 2026", "Đơn vị tính"})
			f.SetSheetRow("Chỉ tiêu", "A2", &[]any{"A", "Tỷ lệ hồ sơ trực tuyến", "Chính quyền số", "≥", 80, "%"})
			f.NewSheet("Nhiệm vụ")
			f.SetSheetRow("Nhiệm vụ", "A1", &[]any{"Nội dung nhiệm vụ", "STT", "Đến năm", "Đơn vị chủ trì"})
			f.SetSheetRow("Nhiệm vụ", "A2", &[]any{"Số hóa hồ sơ", 1, 2026, "GL25.SKHCN"})
			f.SetSheetRow("Nhiệm vụ", "A4", &[]any{"Tập huấn", number, 2025, "GL25.SKHCN, GL25.SNV"}) // the blank row 3 is skipped
			return xlsxBytes(t, f)
		}
		data := book("Kế hoạch của xã", "2")
		status, res, p := xlsxImport(t, app, "dieuphoi", data)
		if status != 201 || res.Targets != 1 || res.Tasks != 2 {
			t.Fatalf("hand-made workbook: %d %+v %+v", status, res, p)
		}
		if status, res, p = xlsxImport(t, app, "dieuphoi", data); status != 200 || res.Changes != 0 {
			t.Fatalf("hand-made workbook twice: %d %+v %+v", status, res, p)
		}
		// A blank title and a task without a number are named by cell, in
		// the sheet as the file names it.
		status, _, p = xlsxImport(t, app, "dieuphoi", book("", ""))
		if status != 422 || len(p.Errors) != 2 || p.Errors[0].Field != "KẾ HOẠCH!A2" || p.Errors[1].Field != "Nhiệm vụ!B4" {
			t.Fatalf("hand-made workbook with blanks: %d %+v", status, p)
		}
	})
}

func TestXLSXReviewWorkbook(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		_, body, _ := app.Do(t, "lanhdao", "GET", "/api/v1/review", "")
		var rv plan.Review
		testapp.JSON(t, body, &rv)
		n := 0
		for _, g := range rv.Overdue {
			n += len(g.Tasks)
		}
		if n == 0 {
			t.Fatalf("the demo review has no overdue tasks: %s", body)
		}
		status, data, h := app.Do(t, "lanhdao", "GET", "/api/v1/review.xlsx?month="+rv.Month, "")
		if status != 200 || h.Get("Content-Type") != xlsxType || !strings.Contains(h.Get("Content-Disposition"), "filename*=UTF-8''") {
			t.Fatalf("review.xlsx: %d %v", status, h)
		}
		f := xlsxOpen(t, data)
		for _, sheet := range []string{"Tổng hợp", "Quá hạn", "Sắp đến hạn", "Hoàn thành", "Chỉ tiêu chậm", "Xếp hạng đơn vị"} {
			if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
				t.Errorf("no sheet %s in %q", sheet, f.GetSheetList())
			}
		}
		rows, _ := f.GetRows("Quá hạn")
		if len(rows) != n+1 {
			t.Fatalf("Quá hạn: want %d tasks, got %d rows", n, len(rows)-1)
		}
		if strings.Join(rows[0][:7], "|") != "STT|Đơn vị chủ trì|Mã đơn vị|Kế hoạch|Số TT nhiệm vụ|Nội dung nhiệm vụ|Hạn hoàn thành" {
			t.Errorf("Quá hạn header %q", rows[0])
		}
		i := 1
		for _, g := range rv.Overdue {
			for _, task := range g.Tasks {
				r := rows[i]
				i++
				due := task.DueOn[8:10] + "/" + task.DueOn[5:7] + "/" + task.DueOn[:4]
				if r[1] != g.Unit.Name || r[4] != task.Number || r[5] != task.Description || r[6] != due || r[7] != strconv.Itoa(task.DaysLate) {
					t.Errorf("row %d %q, want %s %s due %s", i, r, g.Unit.Name, task.Number, due)
				}
			}
		}
		league, _ := f.GetRows("Xếp hạng đơn vị")
		if len(league) != len(rv.League)+1 {
			t.Errorf("league: %d rows for %d units", len(league)-1, len(rv.League))
		}
		// A reporter does not see the review; a bad month is named.
		if status, _, _ := app.Do(t, "baocao.pleiku", "GET", "/api/v1/review.xlsx", ""); status != 403 {
			t.Errorf("reporter review.xlsx: %d", status)
		}
		if status, body, _ := app.Do(t, "lanhdao", "GET", "/api/v1/review.xlsx?month=2025-13", ""); status != 422 || !strings.Contains(string(body), "month") {
			t.Errorf("bad month: %d %s", status, body)
		}
		// The page twin, with a session.
		b := app.Login(t, "lanhdao")
		res, err := b.Client.Get(app.URL + "/review.xlsx?month=" + rv.Month)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !bytes.Equal(page[:2], []byte("PK")) {
			t.Errorf("/review.xlsx: %d", res.StatusCode)
		}
	})
}

func TestXLSXImportPage(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		id := xlsxPlanID(t, app, "1331/KH-UBND")
		good := xlsxExport(t, app, id)
		b := app.Login(t, "dieuphoi")
		status, body := b.Get(t, "/plans/import")
		if status != 200 || !strings.Contains(body, `enctype="multipart/form-data"`) || !strings.Contains(body, `href="/plans/template.xlsx"`) {
			t.Fatalf("import page: %d", status)
		}
		upload := func(b *testapp.Browser, name string, data []byte) (int, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("csrf", b.CSRF(t))
			fw, _ := mw.CreateFormFile("file", name)
			fw.Write(data)
			mw.Close()
			res, err := b.Client.Post(app.URL+"/plans/import", mw.FormDataContentType(), &buf)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			out, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(out)
		}
		status, body = upload(b, "1331.xlsx", good)
		if status != 200 || !strings.Contains(body, "1331/KH-UBND") || !strings.Contains(body, "không có thay đổi nào") {
			t.Fatalf("upload unchanged: %d %s", status, body)
		}
		f := xlsxOpen(t, good)
		cell := xlsxFind(t, f, "Nhiệm vụ", "Đơn vị chủ trì", "I.1.1")
		f.SetCellStr("Nhiệm vụ", cell, "GL.KHONGCO")
		f.SetCellStr("Nhiệm vụ", strings.Replace(cell, "F", "L", 1), "năm sau")
		before := xlsxCounts(t, app)
		status, body = upload(b, "kế hoạch lỗi.xlsx", xlsxBytes(t, f))
		if status != 422 || !strings.Contains(body, "Nhiệm vụ!"+cell) || !strings.Contains(body, "GL.KHONGCO") || !strings.Contains(body, "năm sau") ||
			!strings.Contains(body, "kế hoạch lỗi.xlsx") || !strings.Contains(body, "2 lỗi") {
			t.Fatalf("upload with errors: %d %s", status, body)
		}
		if after := xlsxCounts(t, app); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("rows changed: %v → %v", before, after)
		}
		status, body = upload(b, "anh.png", []byte("\x89PNG\r\n\x1a\n"))
		if status != 422 || !strings.Contains(body, "không phải tệp Excel") {
			t.Fatalf("png upload: %d %s", status, body)
		}
		// A change through the page.
		cell = xlsxFind(t, f, "Nhiệm vụ", "Nội dung nhiệm vụ", "I.1.1")
		g := xlsxOpen(t, good)
		g.SetCellStr("Nhiệm vụ", cell, "Mô tả mới")
		status, body = upload(b, "1331.xlsx", xlsxBytes(t, g))
		if status != 200 || !strings.Contains(body, "Đã cập nhật kế hoạch 1331/KH-UBND: 1 thay đổi") || !strings.Contains(body, fmt.Sprintf(`href="/plans/%d"`, id)) {
			t.Fatalf("upload change: %d %s", status, body)
		}
		// Reporters are refused.
		r := app.Login(t, "baocao.pleiku")
		if status, _ := r.Get(t, "/plans/import"); status != 403 {
			t.Errorf("reporter import page: %d", status)
		}
		if status, _ := upload(r, "1331.xlsx", good); status != 403 {
			t.Errorf("reporter upload: %d", status)
		}
		// The template and export downloads work with a session.
		for _, path := range []string{"/plans/template.xlsx", fmt.Sprintf("/plans/%d/export.xlsx", id)} {
			res, err := r.Client.Get(app.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != xlsxType {
				t.Errorf("%s: %d", path, res.StatusCode)
			}
		}
	})
}

func TestXLSXRoutesInOpenAPI(t *testing.T) {
	t.Parallel()
	app := testapp.New(t, "sqlite:"+t.TempDir()+"/t.db")
	_, body, _ := app.Do(t, "", "GET", "/api/v1/openapi.json", "")
	for _, p := range []string{"/api/v1/plans/template.xlsx", "/api/v1/plans/{id}/export.xlsx", "/api/v1/plans/import.xlsx", "/api/v1/review.xlsx"} {
		if !strings.Contains(string(body), `"`+p+`"`) {
			t.Errorf("OpenAPI lacks %s", p)
		}
	}
}
