package report_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/testapp"
)

// TestEntryPages is the path the browser test follows, through the pages:
// a commune's reporter fills in the quarterly form (Vietnamese numbers,
// a wrong value kept on the form with its error, a comment), the form's
// rule refuses the submission, the reporter corrects and sends; the
// province's approver returns it with a comment; the reporter sees why,
// corrects and sends again; it is approved. Then the history and the
// digest check, in Vietnamese and in English, and the refusals.
func TestEntryPages(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		w := newWorld(t, app, vnTime(2026, 12, 1, 10))
		k := w.key("CDS.QUY.XA.GL", "GL25.X.BIENHO", "2026Q4")
		path := fmt.Sprintf("/report/entry/%d/%d/2026Q4", k.Form, k.Unit)
		field := func(code string) string { return fmt.Sprintf("v.%d.0", w.indicator(code)) }
		want := func(body string, parts ...string) {
			t.Helper()
			for _, p := range parts {
				if !strings.Contains(html.UnescapeString(body), p) {
					t.Errorf("page lacks %q", p)
				}
			}
		}
		value := func(code string) (string, string) {
			t.Helper()
			var v, c string
			if err := app.DB.Read.QueryRow(`SELECT value, comment FROM report_values WHERE unit_id = $1 AND period = '2026Q4' AND indicator_id = $2`, k.Unit, w.indicator(code)).Scan(&v, &c); err != nil {
				t.Fatalf("value of %s: %v", code, err)
			}
			return v, c
		}

		rep := app.Login(t, "baocao.bienho")
		status, body := rep.Get(t, "/report/entry")
		if status != 200 {
			t.Fatalf("list: %d", status)
		}
		want(body, "Báo cáo định kỳ của đơn vị", "Xã Biển Hồ", "Quý IV/2026", `href="`+path+`"`, "Chưa nhập")

		status, body = rep.Get(t, path)
		if status != 200 {
			t.Fatalf("entry page: %d", status)
		}
		want(body, "Nhập số liệu", "Lưu nháp", "Gửi báo cáo", `name="`+field("CDS.HS.TIEPNHAN")+`"`, "Toàn trình", "Một phần", `inputmode="numeric"`, "Hạn gửi", "16/12/2026")

		// A draft with one wrong value: the others are saved, the wrong
		// one stays on the form with its message.
		status, body = rep.Post(t, path+"/save", url.Values{
			field("CDS.HS.TIEPNHAN"): {"1.234"}, "c" + field("CDS.HS.TIEPNHAN")[1:]: {"Số liệu từ phần mềm một cửa"},
			field("CDS.HS.TRUCTUYEN"): {"abc"}, field("CDS.DVC.TOANTRINH"): {"45,5"}, "action": {"draft"}})
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("draft with a wrong value: %d", status)
		}
		want(body, "«abc» không phải là số", `value="abc"`, "Đã lưu 2 giá trị hợp lệ; 1 giá trị chưa lưu được")
		if v, c := value("CDS.HS.TIEPNHAN"); v != "1234" || c != "Số liệu từ phần mềm một cửa" {
			t.Errorf("1.234 stored as %q (comment %q), want 1234", v, c)
		}
		if v, _ := value("CDS.DVC.TOANTRINH"); v != "45.5" {
			t.Errorf("45,5 stored as %q, want 45.5", v)
		}

		// The rule blocks the submission, with its message next to the field.
		status, body = rep.Post(t, path+"/save", url.Values{field("CDS.HS.TRUCTUYEN"): {"1.500"}, "action": {"submit"}})
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("submit with a failing rule: %d", status)
		}
		want(body, "Số hồ sơ xử lý trực tuyến không được lớn hơn số hồ sơ tiếp nhận", "đang là 1.500 so với 1.234")
		// The alert above the page writes the values as the card does.
		if strings.Contains(body, "1500") || strings.Contains(body, "1234") {
			t.Error("the refused submission shows 1500 or 1234, not 1.500 and 1.234")
		}
		w.wantState(k, "draft", "")

		status, body = rep.Post(t, path+"/save", url.Values{field("CDS.HS.TRUCTUYEN"): {"1.000"}, "action": {"submit"}})
		if status != 200 {
			t.Fatalf("submit: %d", status)
		}
		want(body, "Đã gửi báo cáo.", "Chờ Tỉnh Gia Lai phê duyệt", "1.234", "45,5", "Tỷ lệ dịch vụ công trực tuyến toàn trình (%)",
			"Số hồ sơ thủ tục hành chính tiếp nhận (hồ sơ)", `action="`+path+`/withdraw"`)
		if strings.Contains(body, `action="`+path+`/save"`) {
			t.Error("a submitted report still shows its entry form")
		}

		// The province's approver returns it; a return needs a comment.
		appr := app.Login(t, "pheduyet.tinh")
		status, body = appr.Get(t, "/report/approvals")
		want(body, "Báo cáo chờ phê duyệt", "Xã Biển Hồ", `href="`+path+`"`, "Gửi lúc", "bởi baocao.bienho", "Đang hiển thị 1 trong 1 báo cáo")
		// Filtered to another period, the report is not listed.
		_, body = appr.Get(t, "/report/approvals?period=2020Q1")
		want(body, "Đang hiển thị 0 trong 1 báo cáo")
		if strings.Contains(body, `href="`+path+`"`) {
			t.Error("the approvals list filtered to 2020Q1 lists a report of another period")
		}
		// The approver returns or approves; withdrawing is the commune's.
		_, body = appr.Get(t, path)
		want(body, `action="`+path+`/return"`, `action="`+path+`/approve"`)
		if strings.Contains(body, `action="`+path+`/withdraw"`) {
			t.Error("the approver is offered the commune's withdraw button")
		}
		status, body = appr.Post(t, path+"/return", url.Values{"comment": {""}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, "bắt buộc nhập") {
			t.Fatalf("return without a comment: %d", status)
		}
		status, body = appr.Post(t, path+"/return", url.Values{"comment": {"Số hồ sơ trực tuyến chưa khớp với Cổng dịch vụ công"}})
		if status != 200 {
			t.Fatalf("return: %d", status)
		}
		want(body, "Đã trả lại báo cáo cho đơn vị.")

		// The reporter sees why, corrects and sends again.
		_, body = rep.Get(t, path)
		want(body, "Báo cáo bị trả lại", "Số hồ sơ trực tuyến chưa khớp với Cổng dịch vụ công", "Gửi báo cáo")
		w.now = w.now.Add(time.Hour)
		status, _ = rep.Post(t, path+"/save", url.Values{field("CDS.HS.TRUCTUYEN"): {"980"}, "reason": {"Đối chiếu lại với Cổng dịch vụ công"}, "action": {"submit"}})
		if status != 200 {
			t.Fatalf("resubmit: %d", status)
		}
		w.now = w.now.Add(time.Hour)
		status, body = appr.Post(t, path+"/approve", url.Values{"comment": {"Đồng ý"}})
		if status != 200 {
			t.Fatalf("approve: %d", status)
		}
		want(body, "Đã phê duyệt báo cáo.", "Đã phê duyệt chính thức", "Phê duyệt chính thức")
		w.wantState(k, "accepted", "")

		_, body = rep.Get(t, path+"/history")
		want(body, "Lịch sử số liệu", "1.000", "980", "Đối chiếu lại với Cổng dịch vụ công", "Rơ Châm Hiền", "qua biểu mẫu nhập liệu")
		_, body = rep.Get(t, path+"/verify")
		want(body, "Kiểm tra mã SHA-256", "Trùng khớp", "CDS.HS.TIEPNHAN\t\t1234")
		if strings.Contains(body, "không khớp") {
			t.Error("a step's digest does not verify")
		}

		// In English.
		rep.Get(t, "/lang/en?next=/")
		_, body = rep.Get(t, "/report/entry")
		want(body, "Your units' periodic reports", "Q4 2026", "Final")
		_, body = rep.Get(t, path)
		want(body, "Steps of the report", "Approved (final)", "1,234", "45.5", "Returned")
		_, body = rep.Get(t, path+"/history")
		want(body, "History of the figures", "through the entry form")
		_, body = rep.Get(t, path+"/verify")
		want(body, "They match")

		// Refusals: a reporter of another province, a reporter approving,
		// anonymous.
		other := app.Login(t, "baocao.banbo")
		if status, _ := other.Get(t, path); status != http.StatusForbidden {
			t.Errorf("another province's reporter reads the report: %d", status)
		}
		before := app.RowCounts(t, "report_submissions", "report_submission_events", "report_values")
		if status, _ := rep.Post(t, path+"/unapprove", url.Values{}); status != http.StatusForbidden {
			t.Errorf("the reporter unapproves: %d", status)
		}
		if status, _ := other.Post(t, path+"/save", url.Values{field("CDS.HS.TIEPNHAN"): {"1"}}); status != http.StatusForbidden {
			t.Errorf("another province's reporter saves: %d", status)
		}
		for table, n := range app.RowCounts(t, "report_submissions", "report_submission_events", "report_values") {
			if n != before[table] {
				t.Errorf("%s changed on a refusal", table)
			}
		}
		res, err := testapp.NoRedirect().Get(app.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("anonymous: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
	})
}
