package report_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestExchangePage uploads a DHIS2 CSV file through the exchange page as
// an official does: the page redirects to the job, which shows a progress
// bar that follows the job's status URL (and refreshes itself without the
// script), then the summary and each conflict explained in Vietnamese. A
// leader, who may not enter data, is refused the page.
func TestExchangePage(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		decemberNow(t, app)
		b := app.Login(t, "baocao.laichau")
		status, page := b.Get(t, "/report/exchange")
		if status != 200 || !strings.Contains(page, "Nhập số liệu theo định dạng DHIS2") || !strings.Contains(page, `enctype="multipart/form-data"`) {
			t.Fatalf("exchange page: %d\n%s", status, page)
		}
		if strings.Contains(page, `name="force"`) {
			t.Errorf("a reporter is offered force")
		}
		csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)[1]
		file := "\ufeffdataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n" +
			"CDS.HS.TIEPNHAN,2026Q4,LC.SKHCN,,,1200\n" +
			"CDS.DVC.TOANTRINH,2026Q4,LC.SKHCN,,,\"45,5\"\n" +
			"CDS.HS.TIEPNHAN,2026Q4,GL25.SKHCN,,,3\n"
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", csrf)
		mw.WriteField("idScheme", "CODE")
		fw, _ := mw.CreateFormFile("file", "so-lieu-quy4.csv")
		fw.Write([]byte(file))
		mw.Close()
		release := report.HoldJobs(app.Server.Report)
		req, _ := http.NewRequest("POST", app.URL+"/report/exchange", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		client := *b.Client
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc := res.Header.Get("Location")
		if res.StatusCode != 303 || !strings.HasPrefix(loc, "/report/exchange/jobs/") {
			t.Fatalf("upload: %d to %q", res.StatusCode, loc)
		}
		uid := strings.TrimPrefix(loc, "/report/exchange/jobs/")
		// While the job waits or runs, its page carries the bar, the status
		// URL the script polls, and a refresh for browsers without it.
		status, page = b.Get(t, loc)
		for _, want := range []string{"<progress", `data-job-status="/api/system/tasks/DATAVALUE_IMPORT/` + uid + `"`, `<noscript><meta http-equiv="refresh"`, "Đang chờ"} {
			if status != 200 || !strings.Contains(page, want) {
				t.Errorf("queued job page lacks %q (%d)\n%s", want, status, page)
			}
		}
		release()
		app.Server.Report.WaitJobs()
		status, page = b.Get(t, loc)
		if status != 200 {
			t.Fatalf("job page: %d", status)
		}
		for _, want := range []string{"so-lieu-quy4.csv", "Đã xong", "1 mới, 0 cập nhật, 0 xóa, 2 bỏ qua", "Đã nhập; một số giá trị bị từ chối",
			"Giá trị của chỉ tiêu «CDS.DVC.TOANTRINH» không đúng kiểu: dùng dấu phẩy thập phân", "Đơn vị «GL25.SKHCN» nằm ngoài phạm vi", `value="100"`} {
			if !strings.Contains(page, want) {
				t.Errorf("job page lacks %q\n%s", want, page)
			}
		}
		status, page = b.Get(t, "/report/exchange")
		if status != 200 || !strings.Contains(page, "/report/exchange/jobs/"+uid) {
			t.Errorf("the job is not listed: %d", status)
		}
		// The JSON the page's script polls.
		status, notes := b.Get(t, "/api/system/tasks/DATAVALUE_IMPORT/"+uid)
		if status != 200 || !strings.Contains(notes, `"percent":100`) {
			t.Errorf("status URL with the session: %d %s", status, notes)
		}
		// Another province's official may not open the job; a leader may
		// not open the page.
		if status, _ := app.Login(t, "dieuphoi").Get(t, loc); status != 403 {
			t.Errorf("Gia Lai's coordinator opens Lai Châu's job: %d", status)
		}
		if status, _ := app.Login(t, "lanhdao").Get(t, "/report/exchange"); status != 403 {
			t.Errorf("a leader opens the exchange page: %d", status)
		}

	})
}
