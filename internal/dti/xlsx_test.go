package dti_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/testapp"
)

// postWorkbook uploads a workbook as user.
func postWorkbook(t *testing.T, app *testapp.App, user string, data []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", app.URL+"/api/v1/dti/frameworks/workbook", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	req.Header.Set("Authorization", "Bearer "+app.Token(t, user))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// edited opens a workbook, applies edit and writes it back.
func edited(t *testing.T, data []byte, edit func(f *excelize.File)) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	edit(f)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A framework goes out to Excel and comes back the same; a workbook whose
// points do not add up, or whose rule cannot be read, is refused naming
// the cell, and nothing is written.
func TestFrameworkWorkbook(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		var id int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_frameworks WHERE code = '922-TINH'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/dti/frameworks/" + itoa(id)
		status, book, h := app.Do(t, "admin", "GET", path+"/workbook", "")
		if status != 200 || !strings.Contains(h.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("workbook: %d %s", status, h.Get("Content-Type"))
		}
		_, orig, _ := app.Do(t, "admin", "GET", path+"/document", "")

		copyOf := edited(t, book, func(f *excelize.File) { f.SetCellStr("Bộ chỉ số", "B2", "922-TINH-BAN-SAO") })
		before := app.RowCounts(t, "dti_frameworks", "dti_main_indices", "dti_components")
		for _, bad := range []struct {
			name   string
			edit   func(f *excelize.File)
			fields []string
			text   string
		}{
			{"a component's points that do not add up", func(f *excelize.File) { f.SetCellFloat("Chỉ số", "F3", 12, -1, 64) },
				[]string{"Chỉ số!F2"}, "Chỉ số!F2 (Điểm tối đa): các chỉ số thành phần cộng lại được 102 điểm, khác điểm tối đa 100 của chỉ số chính (chênh lệch 2 điểm)"},
			{"a total that does not add up", func(f *excelize.File) { f.SetCellFloat("Bộ chỉ số", "B11", 900, -1, 64) },
				[]string{"Bộ chỉ số!B11"}, "chênh lệch 100 điểm"},
			{"a tiered rule that cannot be read", func(f *excelize.File) { f.SetCellStr("Chỉ số", "I3", "chair: Bí thư = mười") },
				[]string{"Chỉ số!I3"}, "«mã: nội dung = điểm»"},
			{"an unknown level", func(f *excelize.File) { f.SetCellStr("Bộ chỉ số", "B8", "Cấp thôn") }, []string{"Bộ chỉ số!B8"}, "Cấp thôn"},
		} {
			t.Run(bad.name, func(t *testing.T) {
				status, body := postWorkbook(t, app, "admin", edited(t, copyOf, bad.edit))
				if status != 422 {
					t.Fatalf("%d %s", status, body)
				}
				if got := testapp.ProblemFields(t, body); strings.Join(got, " ") != strings.Join(bad.fields, " ") {
					t.Errorf("fields %v, want %v: %s", got, bad.fields, body)
				}
				if !strings.Contains(string(body), bad.text) {
					t.Errorf("no %q in %s", bad.text, body)
				}
				for table, n := range app.RowCounts(t, "dti_frameworks", "dti_main_indices", "dti_components") {
					if n != before[table] {
						t.Errorf("%s: %d rows, %d before", table, n, before[table])
					}
				}
			})
		}
		if status, body := postWorkbook(t, app, "dieuphoi", copyOf); status != 403 {
			t.Errorf("a province's coordinator imports a national framework: %d %s", status, body)
		}
		status, body := postWorkbook(t, app, "admin", copyOf)
		if status != 201 {
			t.Fatalf("import the copy: %d %s", status, body)
		}
		var res dti.ImportResult
		testapp.JSON(t, body, &res)
		_, copied, _ := app.Do(t, "admin", "GET", "/api/v1/dti/frameworks/"+itoa(res.ID)+"/document", "")
		var a, b map[string]any
		json.Unmarshal(orig, &a)
		json.Unmarshal(copied, &b)
		if m, _ := a["mainIndices"].([]any); len(m) != 9 {
			t.Fatalf("the original document: %s", orig)
		}
		b["code"] = a["code"]
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		if string(x) != string(y) {
			t.Errorf("the workbook did not come back the same:\n%s\n%s", x, y)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// The import page: the coordinator starts from the commune set's workbook,
// uploads it under a new code; a workbook whose points do not add up comes
// back with the cell named and nothing written.
func TestImportPage(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		var id int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_frameworks WHERE code = 'GL25-XA-MAU'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		_, book, _ := app.Do(t, "dieuphoi", "GET", "/api/v1/dti/frameworks/"+itoa(id)+"/workbook", "")
		copyOf := edited(t, book, func(f *excelize.File) { f.SetCellStr("Bộ chỉ số", "B2", "GL25-XA-2026") })
		b := app.Login(t, "dieuphoi")
		checkPage(t, b, "/dti/frameworks/import", 200, "Nhập bộ chỉ số từ Excel", "/api/v1/dti/frameworks/"+itoa(id)+"/workbook")
		before := app.RowCounts(t, "dti_frameworks", "dti_components")
		xl := "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		st, page := postPage(t, app, b, "/dti/frameworks/import", nil, upload{"xa.xlsx", xl, edited(t, copyOf, func(f *excelize.File) { f.SetCellFloat("Chỉ số", "F3", 90, -1, 64) })})
		wantPage(t, "points that do not add up", st, page, 422, "Chỉ số!F2 (Điểm tối đa)", "chênh lệch -10 điểm")
		st, page = postPage(t, app, b, "/dti/frameworks/import", nil, upload{"xa.txt", "text/plain", []byte("không phải Excel")})
		wantPage(t, "not a workbook", st, page, 422)
		for table, n := range app.RowCounts(t, "dti_frameworks", "dti_components") {
			if n != before[table] {
				t.Errorf("%s: %d rows, %d before a refused import", table, n, before[table])
			}
		}
		st, page = postPage(t, app, b, "/dti/frameworks/import", nil, upload{"xa.xlsx", xl, copyOf})
		wantPage(t, "import", st, page, 200, "Đã nhập bộ chỉ số.", "GL25-XA-2026", "Cấp xã")
		if st, _ := postPage(t, app, app.Login(t, "baocao.bienho"), "/dti/frameworks/import", nil, upload{"xa.xlsx", xl, copyOf}); st != 403 {
			t.Errorf("a commune's reporter imports a framework: %d", st)
		}
	})
}
