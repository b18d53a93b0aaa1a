package plan_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

// upload is a file sent with a page form.
type upload struct {
	name, contentType string
	data              []byte
}

// postForm sends a multipart form as a browser does (with the session's
// CSRF token), follows the redirect, and returns the final status and body.
func postForm(t *testing.T, app *testapp.App, b *testapp.Browser, path string, fields map[string]string, files ...upload) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", b.CSRF(t))
	for k, v := range fields {
		mw.WriteField(k, v)
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

func pageGet(t *testing.T, b *testapp.Browser, path string) string {
	t.Helper()
	status, body := b.Get(t, path)
	if status != 200 {
		t.Fatalf("GET %s: %d", path, status)
	}
	// Strict CSP: no inline style or script; and no broken catalogue formats.
	for _, bad := range []string{` style="`, `<script>`, `%!`} {
		if strings.Contains(body, bad) {
			i := strings.Index(body, bad)
			t.Errorf("GET %s: page holds %q: …%s…", path, bad, body[max(0, i-120):min(len(body), i+120)])
		}
	}
	// Labels and aria references need ids that are unique on the page.
	seen := map[string]bool{}
	for _, m := range idAttr.FindAllStringSubmatch(body, -1) {
		if seen[m[1]] {
			t.Errorf("GET %s: id %q is used twice", path, m[1])
		}
		seen[m[1]] = true
	}
	return body
}

var idAttr = regexp.MustCompile(`\sid="([^"]+)"`)

func rowCount(t *testing.T, app *testapp.App, table string) int {
	t.Helper()
	var n int
	if err := app.DB.Read.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var taskLink = regexp.MustCompile(`href="/tasks/(\d+)"`)

// section cuts the part of a page between two element ids.
func section(body, from, to string) string {
	i := strings.Index(body, `id="`+from+`"`)
	j := strings.Index(body, `id="`+to+`"`)
	if i < 0 || j < i {
		return ""
	}
	return body[i:j]
}

func TestPlanPages(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		// The Pleiku reporter's tasks, as the API knows them.
		_, raw, _ := app.Do(t, "baocao.pleiku", "GET", "/api/v1/tasks?mine=1", "")
		var mine []plan.Task
		testapp.JSON(t, raw, &mine)
		if len(mine) == 0 {
			t.Fatal("the Pleiku reporter has no tasks")
		}
		pleiku := app.UnitID(t, "GL.PLEIKU")
		var task plan.Task
		var part plan.Assignment
		for _, tk := range mine {
			if tk.PlanNumber != "1331/KH-UBND" {
				t.Errorf("task %s of plan %s among Pleiku's", tk.Number, tk.PlanNumber)
			}
			// The task Pleiku leads alone (I.1.3): its completion is the
			// whole task's, filed in the review under Pleiku's heir.
			for _, a := range tk.LeadUnits {
				if a.Unit.ID == pleiku && task.ID == 0 && len(tk.LeadUnits) == 1 {
					task, part = tk, a
				}
			}
		}
		if task.ID == 0 {
			t.Fatal("no task with Pleiku as its only lead unit")
		}

		reporter := app.Login(t, "baocao.pleiku")
		t.Run("my tasks", func(t *testing.T) {
			body := pageGet(t, reporter, "/tasks")
			seen := map[string]bool{}
			for _, m := range taskLink.FindAllStringSubmatch(body, -1) {
				seen[m[1]] = true
			}
			if len(seen) != len(mine) {
				t.Errorf("/tasks lists %d tasks, the API %d", len(seen), len(mine))
			}
			for _, tk := range mine {
				if !seen[fmt.Sprint(tk.ID)] {
					t.Errorf("/tasks misses task %s", tk.Number)
				}
			}
			if !strings.Contains(body, "1331/KH-UBND") || !strings.Contains(body, "Nhiệm vụ của tôi") {
				t.Error("/tasks does not name the plan or its title")
			}
			home := pageGet(t, reporter, "/")
			if !strings.Contains(home, `href="/tasks`) {
				t.Error("the home page has no link to the reporter's tasks")
			}
		})

		taskPath := fmt.Sprintf("/tasks/%d", task.ID)
		updates := rowCount(t, app, "task_updates")
		fields := func(progress string) map[string]string {
			return map[string]string{"assignmentId": fmt.Sprint(part.ID), "status": "in_progress", "progress": progress, "report": "Đã họp triển khai với các phường"}
		}
		pdf := upload{"bien-ban-hop.pdf", "application/pdf", []byte("%PDF-1.4\n% biên bản họp — Pleiku\n%%EOF\n")}

		t.Run("bad uploads write nothing", func(t *testing.T) {
			cases := []struct {
				name     string
				progress string
				file     upload
				want     string
			}{
				{"too large", "50", upload{"quet.pdf", "application/pdf", bytes.Repeat([]byte{'x'}, plan.MaxAttachment+1)}, "Tệp kiểm chứng: tệp lớn hơn 10 MB"},
				{"wrong type", "50", upload{"chay-thu.exe", "application/x-msdownload", []byte("MZ")}, "Tệp kiểm chứng: tệp «chay-thu.exe» không thuộc loại được chấp nhận"},
				{"progress 150", "150", pdf, "Tiến độ (%): phải trong khoảng 0–100"},
				// The browser declares a type from the name; the bytes decide.
				{"a web page named .pdf", "50", upload{"bien-ban.pdf", "application/pdf", []byte("<html><script>alert(1)</script></html>")},
					"Tệp kiểm chứng: nội dung tệp «bien-ban.pdf» không phải loại application/pdf"},
				{"a program named .png", "50", upload{"anh.png", "image/png", []byte("MZ\x90\x00\x03\x00\x00\x00")}, "Tệp kiểm chứng: nội dung tệp «anh.png» không phải loại image/png"},
				{"a report with NUL", "50", upload{}, "Nội dung báo cáo: chứa ký tự điều khiển"},
			}
			for _, c := range cases {
				f := fields(c.progress)
				if c.file.name == "" {
					f["report"] = "Đã họp triển khai với các phường\x00"
				}
				status, body := postForm(t, app, reporter, taskPath+"/updates", f, c.file)
				if status != 422 {
					t.Errorf("%s: status %d, want 422", c.name, status)
				}
				if !strings.Contains(body, c.want) {
					t.Errorf("%s: the page does not say %q", c.name, c.want)
				}
				if c.file.name != "" && !strings.Contains(body, "Đã họp triển khai với các phường</textarea>") {
					t.Errorf("%s: the report typed is not shown again", c.name)
				}
				if !strings.Contains(body, `aria-invalid="true"`) {
					t.Errorf("%s: the invalid field is not marked", c.name)
				}
			}
			if n := rowCount(t, app, "task_updates"); n != updates {
				t.Errorf("task_updates: %d rows, was %d", n, updates)
			}
		})

		t.Run("another district is refused", func(t *testing.T) {
			ankhe := app.Login(t, "baocao.ankhe")
			status, _ := postForm(t, app, ankhe, taskPath+"/updates", fields("60"), pdf)
			if status != 403 {
				t.Errorf("An Khê posting on Pleiku's part: status %d, want 403", status)
			}
			if n := rowCount(t, app, "task_updates"); n != updates {
				t.Errorf("task_updates: %d rows, was %d", n, updates)
			}
		})

		t.Run("progress with an attachment", func(t *testing.T) {
			f := fields("100")
			f["status"] = "done"
			status, body := postForm(t, app, reporter, taskPath+"/updates", f, pdf)
			if status != 200 {
				t.Fatalf("post: status %d", status)
			}
			// The demo's plans need approval: the report waits for the
			// unit's approver (approval.go), who approves it here.
			if !strings.Contains(body, vi("flash.progress_submit")) {
				t.Error("no confirmation after the report")
			}
			if m := regexp.MustCompile(`<li id="report-(\d+)" data-state="submitted">`).FindStringSubmatch(body); m == nil {
				t.Error("the new report is not shown as waiting for approval")
			} else if status, page := app.Login(t, "pheduyet.pleiku").Post(t, taskPath+"/reports/"+m[1]+"/approve", url.Values{}); status != 200 || !strings.Contains(page, vi("flash.progress_approve")) {
				t.Errorf("the approver's approval: status %d", status)
			}
			if n := rowCount(t, app, "task_updates"); n != updates+1 {
				t.Errorf("task_updates: %d rows, want %d", n, updates+1)
			}
			page := pageGet(t, reporter, taskPath)
			history := page[strings.Index(page, `id="history"`):]
			for _, want := range []string{"Đã họp triển khai với các phường", "Hoàng Văn Em", "bien-ban-hop.pdf"} {
				if !strings.Contains(history, want) {
					t.Errorf("the history does not show %q", want)
				}
			}
			m := regexp.MustCompile(`href="(/plans/attachments/\d+)"[^>]*>bien-ban-hop.pdf<`).FindStringSubmatch(history)
			if m == nil {
				t.Fatal("no download link for the attachment")
			}
			got, err := reporter.Client.Get(app.URL + m[1])
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(got.Body)
			got.Body.Close()
			if got.StatusCode != 200 || !bytes.Equal(data, pdf.data) {
				t.Errorf("download: status %d, %d bytes, want the %d bytes sent", got.StatusCode, len(data), len(pdf.data))
			}
		})

		t.Run("the coordinator's review shows it", func(t *testing.T) {
			coord := app.Login(t, "dieuphoi")
			body := pageGet(t, coord, "/review")
			done := section(body, "done-h", "targets-h")
			// Pleiku ended on 30/06/2025; the province took over its duties.
			if !strings.Contains(done, fmt.Sprintf(`href="%s"`, taskPath)) || !strings.Contains(done, "Tỉnh Gia Lai") {
				t.Error("the review's completed section does not show Pleiku's task under its heir, the province")
			}
			if strings.Contains(body, "Thành phố Pleiku") {
				t.Error("the review still names Thành phố Pleiku, which ended on 30/06/2025")
			}
			if !strings.Contains(body, `href="/review.xlsx?month=`) || !strings.Contains(body, `href="/review/print?month=`) {
				t.Error("the review links neither its workbook nor its printable version")
			}
			pageGet(t, coord, "/review/print")
			if status, _ := reporter.Get(t, "/review"); status != 403 {
				t.Errorf("a reporter opening the review: %d, want 403", status)
			}
		})

		t.Run("the leader sees targets and charts", func(t *testing.T) {
			leader := app.Login(t, "lanhdao")
			var plans []plan.Plan
			_, raw, _ := app.Do(t, "lanhdao", "GET", "/api/v1/plans", "")
			testapp.JSON(t, raw, &plans)
			var id int64
			for _, p := range plans {
				if p.Number == "1331/KH-UBND" {
					id = p.ID
				}
			}
			_, raw, _ = app.Do(t, "lanhdao", "GET", fmt.Sprintf("/api/v1/plans/%d/targets", id), "")
			var targets []plan.Target
			testapp.JSON(t, raw, &targets)
			body := pageGet(t, leader, fmt.Sprintf("/plans/%d", id))
			statusText := map[string]string{"achieved": "Đã đạt", "on_track": "Đúng tiến độ", "at_risk": "Có nguy cơ chậm", "off_track": "Chậm tiến độ", "no_data": "Chưa có số liệu"}
			for _, tg := range targets {
				link := fmt.Sprintf(`href="/targets/%d">%s</a>`, tg.ID, tg.Statement)
				i := strings.Index(body, link)
				if i < 0 {
					t.Errorf("/plans/%d misses target %s", id, tg.Code)
					continue
				}
				row := body[i:]
				row = row[:strings.Index(row, "</tr>")]
				if !strings.Contains(row, `data-status="`+tg.Status+`">`+statusText[tg.Status]) {
					t.Errorf("target %s: the row does not say %q", tg.Code, statusText[tg.Status])
				}
				if !strings.Contains(row, `<svg class="chart spark"`) {
					t.Errorf("target %s: no trend chart in its row", tg.Code)
				}
			}
			for _, want := range []string{"22/06/2022", "Võ Ngọc Thành", "nay: Sở Khoa học và Công nghệ", fmt.Sprintf(`href="/plans/%d/export.xlsx"`, id), fmt.Sprintf(`href="/api/v1/plans/%d/export"`, id)} {
				if !strings.Contains(body, want) {
					t.Errorf("/plans/%d does not show %q", id, want)
				}
			}
			tg := targets[0]
			page := pageGet(t, leader, fmt.Sprintf("/targets/%d", tg.ID))
			for _, want := range []string{`<svg class="chart"`, `<title id="chart-`, `<desc id="chart-`, `<polyline class="plan"`, `<polyline class="actual"`, statusText[tg.Status]} {
				if !strings.Contains(page, want) {
					t.Errorf("/targets/%d does not hold %q", tg.ID, want)
				}
			}
			if strings.Contains(page, `action="/targets/`) {
				t.Error("the leader, who may not report, is offered the form for actual values")
			}

			// The coordinator records an actual value typed the Vietnamese
			// way; a value that is no number writes nothing.
			coord := app.Login(t, "dieuphoi")
			path := fmt.Sprintf("/targets/%d/actuals", tg.ID)
			actuals := rowCount(t, app, "target_actuals")
			status, body := coord.Post(t, path, map[string][]string{"measuredOn": {"2026-06-30"}, "value": {"mười"}, "evidence": {"Báo cáo số 12/BC-SKHCN"}})
			if status != 422 || !strings.Contains(body, "Giá trị: phải là một số") {
				t.Errorf("a value in words: status %d", status)
			}
			if n := rowCount(t, app, "target_actuals"); n != actuals {
				t.Errorf("target_actuals: %d rows, was %d", n, actuals)
			}
			status, body = coord.Post(t, path, map[string][]string{"measuredOn": {"2026-06-30"}, "value": {"18,35"}, "evidence": {"Báo cáo số 12/BC-SKHCN"}})
			if status != 200 || !strings.Contains(body, "Đã ghi nhận số liệu thực hiện.") || !strings.Contains(body, "18,35") || !strings.Contains(body, "30/06/2026") {
				t.Errorf("recording 18,35: status %d", status)
			}
			if n := rowCount(t, app, "target_actuals"); n != actuals+1 {
				t.Errorf("target_actuals: %d rows, want %d", n, actuals+1)
			}
			// The leader cannot record one either way.
			if status, _ := leader.Post(t, path, map[string][]string{"measuredOn": {"2026-06-30"}, "value": {"19"}, "evidence": {"x"}}); status != 403 {
				t.Errorf("the leader recording a value: %d, want 403", status)
			}
		})

		t.Run("the coordinator pauses a task", func(t *testing.T) {
			coord := app.Login(t, "dieuphoi")
			status, body := coord.Post(t, taskPath+"/override", map[string][]string{"statusOverride": {"paused"}})
			if status != 200 || !strings.Contains(body, "Tạm dừng toàn bộ nhiệm vụ") {
				t.Errorf("pause: status %d", status)
			}
			if status, _ := reporter.Post(t, taskPath+"/override", map[string][]string{"statusOverride": {"cancelled"}}); status != 403 {
				t.Errorf("a reporter cancelling a task: %d, want 403", status)
			}
			status, body = coord.Post(t, taskPath+"/override", map[string][]string{"statusOverride": {""}})
			if status != 200 || strings.Contains(body, "<dd>Tạm dừng toàn bộ nhiệm vụ</dd>") {
				t.Errorf("lifting the pause: status %d", status)
			}
		})
	})
}
