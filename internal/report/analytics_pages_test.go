package report_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// TestAnalyticsPivotPage drives /report/analytics as officials do: the
// menu entry, a table of units × periods with Vietnamese numbers and its
// chart, the layout moved around, category options, downloads (XLSX, CSV
// with a BOM), a bad period named on the page, and a unit outside the
// official's scope refused.
func TestAnalyticsPivotPage(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		f := newAnaFixture(t, app)
		f.write("T.AN.SUM GL.PLEIKU 2024Q1 1000", "T.AN.SUM GL.PLEIKU 2024Q2 234", "T.AN.SUM GL.ANKHE 2024Q3 5",
			"T.AN.SUM GL25.P.ANKHE 2025Q3 7", "T.AN.AVG GL.PLEIKU 2024Q1 1234.5",
			"T.AN.NUM GL.PLEIKU 2024Q1 1", "T.AN.DEN GL.PLEIKU 2024Q1 3",
			"T.AN.OPT.TOANTRINH GL.PLEIKU 2024Q1 3", "T.AN.OPT.MOTPHAN GL.PLEIKU 2024Q1 4")
		b := app.Login(t, "dieuphoi")
		get := func(path string, want int) string {
			t.Helper()
			status, body := b.Get(t, path)
			if status != want {
				t.Fatalf("%s: status %d, want %d\n%s", path, status, want, body)
			}
			return body
		}
		home := get("/", 200)
		if !strings.Contains(home, `href="/report/analytics"`) || !strings.Contains(home, "Phân tích số liệu") {
			t.Errorf("the menu lacks the analytics page")
		}
		form := get("/report/analytics", 200)
		for _, want := range []string{"Phân tích số liệu báo cáo", `name="dx" value="T.AN.SUM"`, `data-unit-picker="many"`, `<option value="LAST_5_YEARS">5 năm trước</option>`} {
			if !strings.Contains(form, want) {
				t.Errorf("form lacks %q", want)
			}
		}
		page := get("/report/analytics?"+url.Values{"dx": {"T.AN.SUM"}, "pe": {"2024;2025"}, "ou": {"GL25"}, "children": {"1"}}.Encode(), 200)
		for _, want := range []string{"<th scope=\"col\" class=\"numcell\">Năm 2024</th>", "Tỉnh Gia Lai</th>", "<td class=\"numcell\">1.239</td>",
			"Phường An Khê", "<svg class=\"chart\"", "<polyline class=\"actual\"", "Tải Excel", "/api/v1/analytics?dimension=dx:T.AN.SUM&amp;dimension=ou:GL25;LEVEL-3-GL25&amp;dimension=pe:2024;2025", "Gồm mọi số liệu đã nhập"} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		// Indicators in the columns, one period as a filter: bars; a
		// decimal in Vietnamese and a rate with one decimal.
		page = get("/report/analytics?"+url.Values{"dx": {"T.AN.AVG", "T.AN.RATE"}, "pe": {"2024Q1"}, "ou": {"GL.PLEIKU"}, "at_dx": {"col"}, "at_pe": {"filter"}}.Encode(), 200)
		for _, want := range []string{"1.234,5", "33,3", "Kỳ: Quý I/2024", "<rect class=\"bar\""} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		page = get("/report/analytics?"+url.Values{"dx": {"T.AN.OPT"}, "pe": {"2024"}, "ou": {"GL"}, "co": {"1"}}.Encode(), 200)
		for _, want := range []string{"Toàn trình</th>", "Một phần</th>", ">3</td>", ">4</td>"} {
			if !strings.Contains(page, want) {
				t.Errorf("options page lacks %q", want)
			}
		}
		// Downloads.
		res, err := b.Client.Get(app.URL + "/report/analytics?" + url.Values{"dx": {"T.AN.SUM"}, "pe": {"2024"}, "ou": {"GL"}, "format": {"csv"}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		csv := readAll(t, res)
		if !strings.HasPrefix(csv, "\ufeffChỉ tiêu,Đơn vị,Năm 2024\r\n") || !strings.Contains(csv, "Số hồ sơ,Tỉnh Gia Lai,1239") {
			t.Errorf("csv %q", csv)
		}
		res, err = b.Client.Get(app.URL + "/report/analytics?" + url.Values{"dx": {"T.AN.SUM"}, "pe": {"2024"}, "ou": {"GL"}, "format": {"xlsx"}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") {
			t.Errorf("xlsx content type %q", ct)
		}
		res.Body.Close()
		// A bad period is named; a unit outside the scope is refused.
		page = get("/report/analytics?"+url.Values{"dx": {"T.AN.SUM"}, "pe": {"2024Q5"}}.Encode(), 422)
		if !strings.Contains(page, "“2024Q5” không phải là kỳ") {
			t.Errorf("bad period not named")
		}
		before := app.Denials(t, "baocao.pleiku")
		status, _ := app.Login(t, "baocao.pleiku").Get(t, "/report/analytics?"+url.Values{"dx": {"T.AN.SUM"}, "pe": {"2024"}, "ou": {"LC"}}.Encode())
		if status != 403 || app.Denials(t, "baocao.pleiku")-before != 1 {
			t.Errorf("out of scope: status %d, %d denials", status, app.Denials(t, "baocao.pleiku")-before)
		}
	})
}
