package dti_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/testapp"
)

type upload struct {
	name, contentType string
	data              []byte
}

var pdfBytes = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

// postPage sends a form as a browser does: multipart when files is not
// nil, with the session's CSRF token; it follows the redirect.
func postPage(t *testing.T, app *testapp.App, b *testapp.Browser, path string, fields url.Values, files ...upload) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", b.CSRF(t))
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, f.name))
		h.Set("Content-Type", f.contentType)
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	mw.Close()
	req, err := http.NewRequest("POST", app.URL+path, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// wantPage checks a page answer: its status, Vietnamese text and no raw key.
func wantPage(t *testing.T, what string, status int, body string, wantStatus int, contains ...string) {
	t.Helper()
	if status != wantStatus {
		i := strings.Index(body, `class="errors"`)
		t.Fatalf("%s: status %d, want %d (%s)", what, status, wantStatus, body[max(i, 0):min(len(body), max(i, 0)+600)])
	}
	if k := rawKey.FindString(body); k != "" {
		t.Errorf("%s: a raw key shows: %q", what, k)
	}
	if strings.Contains(body, "%!") {
		t.Errorf("%s: a broken format verb", what)
	}
	for _, s := range contains {
		if !strings.Contains(body, s) {
			t.Errorf("%s lacks %q", what, s)
		}
	}
}

// TestCyclePages walks an assessment through the pages a non-technical
// official uses, on both engines: the coordinator opens it, the district's
// reporter self-assesses every component (one of each rule kind, with an
// evidence file or an explanation), submits, the coordinator reviews and
// adjusts one score with a reason, the leader appraises, the coordinator
// publishes and corrects; every bad input shows the form again with a
// message naming the field, and a step the state forbids says why.
func TestCyclePages(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("testdata/huyen.json")
	if err != nil {
		t.Fatal(err)
	}
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		status, body, _ := app.Do(t, "dieuphoi", "POST", "/api/v1/dti/frameworks", string(doc))
		if status != 201 {
			t.Fatalf("import: %d %s", status, body)
		}
		var fw struct{ ID int64 }
		testapp.JSON(t, body, &fw)
		coord := app.Login(t, "dieuphoi")
		pleiku, ankhe := app.UnitID(t, "GL.PLEIKU"), app.UnitID(t, "GL.ANKHE")

		// Open.
		_, page := coord.Get(t, "/dti")
		wantPage(t, "overview", 200, page, 200, `href="/dti/assessments/new"`)
		st, page := coord.Get(t, "/dti/assessments/new")
		wantPage(t, "open: pick", st, page, 200, "Chọn bộ chỉ số", "Bộ chỉ số kiểm thử đánh giá chuyển đổi số cấp huyện")
		st, page = coord.Get(t, fmt.Sprintf("/dti/assessments/new?framework=%d&year=2024", fw.ID))
		wantPage(t, "open: form", st, page, 200, "Đánh giá năm 2024", "Thành phố Pleiku", fmt.Sprintf(`name="units" value="%d"`, pleiku))
		form := url.Values{"framework": {fmt.Sprint(fw.ID)}, "year": {"2024"}, "owner": {fmt.Sprint(app.UnitID(t, "GL25"))}, "deadline": {"31/02/2025"}}
		st, page = coord.Post(t, "/dti/assessments", form)
		wantPage(t, "open: bad input", st, page, 422, "Hạn tự đánh giá: phải là ngày có thật", "Đơn vị được đánh giá: cần ít nhất 1", `value="31/02/2025"`)
		form.Set("deadline", time.Now().AddDate(0, 1, 0).Format("02/01/2006"))
		form.Set("guidance", "Mỗi điểm kèm biên bản hoặc văn bản")
		form["units"] = []string{fmt.Sprint(pleiku)}
		st, page = coord.Post(t, "/dti/assessments", form)
		wantPage(t, "open", st, page, 200, "Đã mở đợt đánh giá.", "Thành phố Pleiku", "Đang tự đánh giá", "0/7")
		var asm int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_assessments WHERE framework_id = $1`, fw.ID).Scan(&asm); err != nil {
			t.Fatal(err)
		}
		sheet := fmt.Sprintf("/dti/assessments/%d/units/%d", asm, pleiku)

		// Self-assessment, component by component.
		rep := app.Login(t, "baocao.pleiku")
		st, page = rep.Get(t, sheet)
		wantPage(t, "sheet: open", st, page, 200, sheet+"/components/1.1", "Tự đánh giá")
		st, page = rep.Get(t, sheet+"/components/1.1")
		wantPage(t, "component page", st, page, 200, "Theo bậc", `name="input.value"`, "Mỗi điểm kèm biên bản hoặc văn bản", `type="file"`)
		c11 := sheet + "/components/1.1"
		st, page = postPage(t, app, rep, c11, url.Values{"input.value": {"ba"}, "explanation": {"x"}})
		wantPage(t, "not a number", st, page, 422, "Giá trị: phải là một số", `value="ba"`)
		st, page = postPage(t, app, rep, c11, url.Values{"input.value": {"3"}})
		wantPage(t, "no evidence", st, page, 422, "Giải trình: mỗi điểm cần tài liệu kiểm chứng hoặc văn bản giải trình")
		st, page = postPage(t, app, rep, c11, url.Values{"input.value": {"3"}}, upload{"setup.exe", "application/x-msdownload", []byte("MZ\x90\x00")})
		wantPage(t, "forbidden type", st, page, 422, "Tệp kiểm chứng: tệp «setup.exe» không thuộc loại được chấp nhận")
		st, page = postPage(t, app, rep, c11, url.Values{"input.value": {"3"}, "then": {"next"}}, upload{"bien-ban-hop.pdf", "application/pdf", pdfBytes})
		wantPage(t, "1.1 saved, on to 1.2", st, page, 200, "Đã lưu tự đánh giá.", "1.2. ", `value="chair"`)
		st, page = postPage(t, app, rep, sheet+"/components/2.3", url.Values{"input.score": {"12"}, "explanation": {"Tự chấm"}})
		wantPage(t, "above the maximum", st, page, 422, "Điểm: điểm 12 vượt điểm tối đa của chỉ số (10)")
		for code, f := range map[string]url.Values{
			"1.2": {"input.option": {"chair"}},
			"1.3": {"input.parts": {"attends"}, "input.parts_sent": {"1"}},
			"1.4": {"input.a": {"3"}, "input.b": {"4"}},
			"2.1": {"input.value": {"2"}},
			"2.2": {"input.yes": {"yes"}},
			"2.3": {"input.score": {"7,5"}, "explanation": {"Tự chấm theo hướng dẫn"}},
		} {
			st, page = postPage(t, app, rep, sheet+"/components/"+code, f, upload{"van-ban-" + code + ".pdf", "application/pdf", pdfBytes})
			wantPage(t, "self-assess "+code, st, page, 200, "Đã lưu tự đánh giá.")
		}
		wantPage(t, "sheet after self-assessment", 200, page, 200, "bien-ban-hop.pdf", "3 / 4 × 20 = 15", "7,5", `id="submit-form"`)
		if strings.Contains(page, `id="review-form"`) {
			t.Error("the reporter is offered the review")
		}
		st, page = rep.Post(t, sheet+"/submit", url.Values{})
		wantPage(t, "submit", st, page, 200, "Đã gửi kết quả tự đánh giá để rà soát.", "Chờ rà soát")
		st, page = rep.Post(t, sheet+"/submit", url.Values{})
		wantPage(t, "submit twice", st, page, 409, "Không thực hiện được ở bước hiện tại của đơn vị (Chờ rà soát)")

		// Review.
		st, page = coord.Get(t, sheet)
		wantPage(t, "sheet: review", st, page, 200, `id="review-form"`, `name="action.1.1"`)
		st, page = coord.Post(t, sheet+"/review", url.Values{"action.1.1": {"adjust"}})
		wantPage(t, "adjust without score or reason", st, page, 422, "Điểm (chỉ số 1.1): bắt buộc nhập", "Lý do (chỉ số 1.1): cần nêu lý do")
		st, page = coord.Post(t, sheet+"/review", url.Values{"action.1.1": {"adjust"}, "score.1.1": {"30"}, "reason.1.1": {"x"}})
		wantPage(t, "adjust above the maximum", st, page, 422, "Điểm (chỉ số 1.1): điểm 30 vượt điểm tối đa của chỉ số (20)")
		st, page = coord.Post(t, sheet+"/review", url.Values{"action.1.1": {"adjust"}, "score.1.1": {"10"}, "reason.1.1": {"Chỉ có 2 biên bản họp"}})
		wantPage(t, "review", st, page, 200, "Đã ghi kết quả rà soát.", "Chờ thẩm định", "Chỉ có 2 biên bản họp")

		// Appraisal.
		st, page = rep.Post(t, sheet+"/appraisal", url.Values{})
		wantPage(t, "the reporter may not appraise", st, page, 403)
		lead := app.Login(t, "lanhdao")
		st, page = lead.Get(t, sheet)
		wantPage(t, "sheet: appraisal", st, page, 200, `id="appraisal-form"`, "Điểm thẩm định (để trống = giữ 10)")
		st, page = lead.Post(t, sheet+"/appraisal", url.Values{"appraised.2.3": {"9"}})
		wantPage(t, "appraise without reason", st, page, 422, "Lý do (chỉ số 2.3): cần nêu lý do")
		st, page = lead.Post(t, sheet+"/appraisal", url.Values{"appraised.2.3": {"9"}, "areason.2.3": {"Hội đồng đối chiếu biên bản"}})
		wantPage(t, "appraise", st, page, 200, "Đã ghi kết quả thẩm định.", "Chờ công bố")

		// Publish and correct.
		st, page = coord.Post(t, fmt.Sprintf("/dti/assessments/%d/publish", asm), url.Values{})
		wantPage(t, "publish", st, page, 200, "Đã công bố kết quả.", "Đã công bố", "bản 1")
		st, page = coord.Post(t, fmt.Sprintf("/dti/assessments/%d/publish", asm), url.Values{})
		wantPage(t, "publish twice", st, page, 409, "Không thực hiện được ở bước hiện tại của đơn vị (Đã công bố)")
		st, page = coord.Post(t, sheet+"/corrections", url.Values{"component": {"1.4"}, "score": {"mười"}, "reason": {"x"}})
		wantPage(t, "correct: not a number", st, page, 422, "Điểm: phải là một số")
		st, page = coord.Post(t, sheet+"/corrections", url.Values{"component": {"1.4"}, "score": {"20"}, "reason": {""}})
		wantPage(t, "correct: no reason", st, page, 422, "Lý do: cần nêu lý do")
		st, page = coord.Post(t, sheet+"/corrections", url.Values{"component": {"1.4"}, "score": {"20"}, "reason": {"Bổ sung văn bản đã ký"}})
		wantPage(t, "correct", st, page, 200, "Đã đính chính; kết quả có bản mới.", "bản 2", "Bổ sung văn bản đã ký")

		// A self-assessment after the deadline says so on the form.
		form.Set("deadline", time.Now().AddDate(0, 0, -2).Format("02/01/2006"))
		form["units"] = []string{fmt.Sprint(ankhe)}
		form.Set("year", "2025")
		st, page = coord.Post(t, "/dti/assessments", form)
		wantPage(t, "open a late one", st, page, 200, "Đã mở đợt đánh giá.")
		var late int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_assessments WHERE framework_id = $1 AND year = 2025`, fw.ID).Scan(&late); err != nil {
			t.Fatal(err)
		}
		before := app.RowCounts(t, cycleTables...)
		st, page = postPage(t, app, app.Login(t, "baocao.ankhe"), fmt.Sprintf("/dti/assessments/%d/units/%d/components/2.3", late, ankhe), url.Values{"input.score": {"5"}, "explanation": {"x"}})
		wantPage(t, "after the deadline", st, page, 409, "Đã hết hạn tự đánh giá", `value="5"`)
		for table, n := range app.RowCounts(t, cycleTables...) {
			if n != before[table] {
				t.Errorf("%s: %d rows before, %d after a refused self-assessment", table, before[table], n)
			}
		}
	})
}
