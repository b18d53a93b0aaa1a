package report_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/mail/mailtest"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestCompletenessPage drives the page, its drill-down and its exports as
// an official does, and the refusals.
func TestCompletenessPage(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		seedReports(t, app)
		gl25 := strconv.FormatInt(app.UnitID(t, "GL25"), 10)
		b := app.Login(t, "dieuphoi")
		status, body := b.Get(t, "/report/completeness?form=CDS.QUY.SO.GL&period=2025Q2&unit="+gl25)
		if status != 200 {
			t.Fatalf("page: %d\n%s", status, body)
		}
		for _, want := range []string{"Tình hình gửi báo cáo định kỳ", "Quý II/2025", "18,2%", "9,1%", "Quá hạn chưa gửi (9)", "Gửi sau hạn (1)",
			"Sở Y tế", "bị trả lại", "hạn 17/06/2025", "Tỉnh Gia Lai", "Tải bảng số liệu (Excel)", "/report/completeness?"} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		// Gia Lai's coordinator may go up to the nation? No: the crumb to
		// Việt Nam is not a link for someone whose scope is the province.
		if strings.Contains(body, `href="/report/completeness?`) && strings.Contains(body, "unit="+strconv.FormatInt(app.UnitID(t, "VN"), 10)) {
			t.Errorf("a link to the nation's figures for Gia Lai's coordinator")
		}

		// The form list offers each official the forms of their own
		// province (and above), not another province's.
		for user, forms := range map[string][2][]string{
			"dieuphoi":        {{"CDS.QUY.SO.GL", "CDS.QUY.XA.GL"}, {"CDS.QUY.SO.LC", "CDS.QUY.XA.LC"}},
			"quantri.laichau": {{"CDS.QUY.SO.LC", "CDS.QUY.XA.LC"}, {"CDS.QUY.SO.GL", "CDS.QUY.XA.GL"}},
			"admin":           {{"CDS.QUY.SO.GL", "CDS.QUY.SO.LC"}, nil},
		} {
			_, page := app.Login(t, user).Get(t, "/report/completeness")
			for _, code := range forms[0] {
				if !strings.Contains(page, `<option value="`+code+`"`) {
					t.Errorf("%s: the form list lacks %s", user, code)
				}
			}
			for _, code := range forms[1] {
				if strings.Contains(page, `<option value="`+code+`"`) {
					t.Errorf("%s: the form list offers another province's %s", user, code)
				}
			}
		}

		// Drill-down from the nation, as the admin.
		a := app.Login(t, "admin")
		_, body = a.Get(t, "/report/completeness?form=CDS.QUY.XA.GL&period=2025Q3")
		if !strings.Contains(body, "unit="+gl25) || !strings.Contains(body, "Việt Nam") {
			t.Errorf("the nation's page has no drill-down to Gia Lai:\n%s", body)
		}
		// The default: each form's latest period past its deadline.
		if status, body := b.Get(t, "/report/completeness"); status != 200 || !strings.Contains(body, "Quý III/2026") {
			t.Errorf("default page %d lacks Quý III/2026", status)
		}
		// Bad filters are named on the page.
		if status, body := b.Get(t, "/report/completeness?period=2025Q5&from=2025Q1"); status != 422 || !strings.Contains(body, "quý phải từ Q1 đến Q4") || !strings.Contains(body, `id="c-to-err"`) {
			t.Errorf("bad filters: %d\n%s", status, body)
		}
		// Out of scope: the error page, audited.
		denied := app.Denials(t, "baocao.laichau")
		if status, _ := app.Login(t, "baocao.laichau").Get(t, "/report/completeness?unit="+gl25); status != 403 {
			t.Errorf("Lai Châu's reporter on Gia Lai's page: %d", status)
		}
		if n := app.Denials(t, "baocao.laichau") - denied; n != 1 {
			t.Errorf("%d refusals audited, want 1", n)
		}

		// Exports.
		q := url.Values{"form": {"CDS.QUY.SO.GL"}, "period": {"2025Q2"}, "unit": {gl25}, "children": {"true"}}
		res, err := b.Client.Get(app.URL + "/report/completeness?" + q.Encode() + "&format=csv")
		if err != nil {
			t.Fatal(err)
		}
		csv := bodyOf(t, res)
		if res.StatusCode != 200 || !strings.HasPrefix(csv, "\ufeff") || !strings.Contains(csv, "Phải gửi") || !strings.Contains(csv, "CDS.QUY.SO.GL,2025Q2,Tỉnh Gia Lai,GL25,11,11,2,1,1,1,9,18.2,9.1") {
			t.Errorf("CSV export %d:\n%s", res.StatusCode, csv)
		}
		res, err = b.Client.Get(app.URL + "/report/completeness?" + q.Encode() + "&format=xlsx")
		if err != nil {
			t.Fatal(err)
		}
		if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || !strings.Contains(ct, "spreadsheetml") {
			t.Errorf("XLSX export %d %s", res.StatusCode, ct)
		}
		res.Body.Close()
		res, err = b.Client.Get(app.URL + "/report/completeness?" + q.Encode() + "&format=csv&what=reports")
		if err != nil {
			t.Fatal(err)
		}
		list := bodyOf(t, res)
		if !strings.Contains(list, "GL.SYT") || !strings.Contains(list, "bị trả lại") || strings.Count(list, "\n") != 12 {
			t.Errorf("list export:\n%s", list)
		}
		res, err = b.Client.Get(app.URL + "/report/completeness?" + q.Encode() + "&format=pdf")
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 422 {
			t.Errorf("format=pdf: %d", res.StatusCode)
		}
		res.Body.Close()
	})
}

func bodyOf(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String()
}

// TestRemindersOnHomePage: a reporter sees their unit's late, returned and
// next reports; an approver what waits for them; in Vietnamese first, in
// English when asked.
func TestRemindersOnHomePage(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		seedReports(t, app)
		var name string
		if err := app.DB.Read.QueryRow(`SELECT name FROM report_forms WHERE code = 'CDS.QUY.SO.LC'`).Scan(&name); err != nil {
			t.Fatal(err)
		}
		lan := app.Login(t, "baocao.laichau")
		_, body := lan.Get(t, "/")
		for _, want := range []string{
			"báo cáo quá hạn đã khóa sổ — đề nghị điều phối viên mở lại để gửi",
			"Bị trả lại: " + name + " — Quý II/2026; Trần Thị Bình, Tỉnh Lai Châu nhận xét: “Thiếu số hồ sơ trực tuyến toàn trình”",
			"Cần báo cáo: " + name + " — Quý IV/2026, hạn 16/12/2026 (còn 15 ngày)",
			fmt.Sprintf(`href="/report/entry/%d/%d/2026Q4"`, formID(t, app, "CDS.QUY.SO.LC"), app.UnitID(t, "LC.SKHCN")),
		} {
			if !strings.Contains(body, want) {
				t.Errorf("reporter's home page lacks %q", want)
			}
		}
		if strings.Contains(body, "Chờ bạn phê duyệt") {
			t.Error("a reporter is asked to approve")
		}
		// Reports past their lock are counted on the home page, listed here.
		if _, body := lan.Get(t, "/report/reminders"); !strings.Contains(body, "Quá hạn, đã khóa sổ: "+name+" — Quý III/2026, hạn 16/09/2026 (quá 76 ngày)") {
			t.Errorf("reminders page lacks the locked report:\n%s", body)
		}
		_, body = app.Login(t, "dieuphoi").Get(t, "/")
		if !strings.Contains(body, "Chờ bạn phê duyệt: ") || !strings.Contains(body, "Quý III/2026 của Xã Biển Hồ") {
			t.Errorf("approver's home page lacks the report waiting:\n%s", body)
		}
		if strings.Contains(body, "Sở Khoa học và Công nghệ — tỉnh Lai Châu") {
			t.Error("Gia Lai's approver sees Lai Châu's report")
		}
		en := app.Login(t, "baocao.laichau")
		en.Get(t, "/lang/en")
		_, body = en.Get(t, "/report/reminders")
		for _, want := range []string{"Report reminders", "To report: ", "Q4 2026", "Late and locked", "Returned"} {
			if !strings.Contains(body, want) {
				t.Errorf("English reminders page lacks %q", want)
			}
		}
	})
}

func formID(t *testing.T, app *testapp.App, code string) int64 {
	t.Helper()
	var id int64
	if err := app.DB.Read.QueryRow(`SELECT id FROM report_forms WHERE code = $1`, code).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestShareOfReportsIndicator checks the indicator tinhso computes itself
// against counts made another way (the units each form expects, through
// UnitsFor): Lai Châu in 2023, the 4900/KH-UBND target year; the merged
// Gia Lai in 2025Q2 over both its forms; and 2026, whose last quarter and
// year are not yet due and so not counted.
func TestShareOfReportsIndicator(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		seedReports(t, app)
		ctx := context.Background()
		s := app.Server.Report
		fn, ok := s.Computed(report.ShareOfReports)
		if !ok {
			t.Fatalf("%s is not computed", report.ShareOfReports)
		}
		if status, body, _ := app.Do(t, "baocao.laichau", "GET", "/api/v1/report/indicators", ""); status != 200 || !strings.Contains(string(body), `"code":"`+report.ShareOfReports+`","name":"Tỷ lệ báo cáo định kỳ`) || !strings.Contains(string(body), "80% báo cáo định kỳ (không bao gồm nội dung mật)") {
			t.Errorf("the indicator is not listed as defined: %d", status)
		}
		// expected counts the units that must report each form of a
		// province within p whose deadline has passed.
		expected := func(province string, p report.Period) int {
			t.Helper()
			n := 0
			forms, err := s.Forms(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range forms {
				if !strings.HasSuffix(f.Code, "."+province) {
					continue
				}
				pt, _ := report.ParsePeriodType(f.PeriodType)
				for _, fp := range report.Overlapping(pt, p.Start(), p.End()) {
					if w, ok := fp.Within(p.Type()); !ok || w != p {
						continue
					}
					d, err := s.Calendar.Deadline(fp, f.DeadlineDays)
					if err != nil {
						t.Fatal(err)
					}
					if !clock.After(d.Add(17 * time.Hour)) { // due at the end of the deadline day in Vietnam
						continue
					}
					fu, err := s.UnitsFor(ctx, f.ID, fp)
					if err != nil {
						t.Fatal(err)
					}
					n += len(fu.Units)
				}
			}
			return n
		}
		for _, tc := range []struct {
			unit, province, period string
			submitted              int
		}{
			{"LC", "LC", "2023", 4},
			{"GL25", "GL", "2025Q2", 3},
			{"LC", "LC", "2026", 1},
		} {
			p, _ := report.ParsePeriod(tc.period)
			n := expected(tc.province, p)
			v, ok, err := fn(ctx, app.UnitID(t, tc.unit), p)
			if err != nil || !ok {
				t.Fatalf("%s %s: %v %v", tc.unit, tc.period, ok, err)
			}
			if want := float64(tc.submitted) * 100 / float64(n); math.Abs(v-want) > 1e-9 || n == 0 {
				t.Errorf("%s %s: %.4f%%, want %d/%d = %.4f%%", tc.unit, tc.period, v, tc.submitted, n, want)
			}
		}
		// Nothing is due in a month no form reports by.
		m, _ := report.ParsePeriod("202603")
		if _, ok, err := fn(ctx, app.UnitID(t, "LC"), m); ok || err != nil {
			t.Errorf("a month: ok %v, err %v", ok, err)
		}
	})
}

// TestReminderEmails runs the reminder component against a loopback SMTP
// server: each official with an address gets one message of the
// reminders due, in Vietnamese, each reminder once; a new return brings a
// new message; a bad address is refused on the official's form.
func TestReminderEmails(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			smtp := mailtest.Start(t, mailtest.Options{User: "tinhso", Password: "thư-nhắc-việc"})
			app := testapp.NewWith(t, u, func(c *config.Config) {
				c.SMTPAddr, c.SMTPFrom, c.SMTPUser, c.SMTPPassword = smtp.Addr, "tinhso Lai Châu <tinhso@laichau.gov.vn>", "tinhso", "thư-nhắc-việc"
				c.BaseURL = "https://tinhso.laichau.gov.vn"
			})
			seedReports(t, app)
			// 11 December 2026: three working days before 2026Q4's deadline.
			later := time.Date(2026, 12, 11, 3, 0, 0, 0, time.UTC)
			app.Server.Report.Now = func() time.Time { return later }

			lan := app.OfficialID(t, "baocao.laichau")
			put := func(email string) (int, string) {
				o := fmt.Sprintf(`{"fullName":"Bùi Thị Lan","email":%q,"title":"Chuyên viên","unitId":%d,"roles":[{"role":"reporter","scopeId":%d}]}`,
					email, app.UnitID(t, "LC.SKHCN"), app.UnitID(t, "LC.SKHCN"))
				status, body, _ := app.Do(t, "quantri.laichau", "PUT", fmt.Sprintf("/api/v1/officials/%d", lan), o)
				return status, string(body)
			}
			if status, body := put("lan@"); status != 422 || !strings.Contains(body, `"field":"email"`) {
				t.Fatalf("a bad address: %d %s", status, body)
			}
			if status, body := put("lan@laichau.gov.vn"); status != 200 {
				t.Fatalf("set the address: %d %s", status, body)
			}

			var comp func(context.Context) error
			for _, c := range app.Server.Site().Components() {
				if c.Name == "report-reminders" {
					comp = c.Run
				}
			}
			if comp == nil {
				t.Fatal("no reminder component with SMTP configured")
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- comp(ctx) }()
			got := smtp.Next(t, 30*time.Second)
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if got.AuthUser != "tinhso" || len(got.To) != 1 || got.To[0] != "lan@laichau.gov.vn" {
				t.Errorf("envelope %+v", got)
			}
			m := got.Parse(t)
			if m.Subject != "tinhso: nhắc việc báo cáo định kỳ (1 quá hạn, 1 bị trả lại, 2 sắp đến hạn)" {
				t.Errorf("subject %q", m.Subject)
			}
			if !strings.Contains(m.To, "Bùi Thị Lan") || !strings.Contains(m.From, "tinhso Lai Châu") {
				t.Errorf("From %q To %q", m.From, m.To)
			}
			var name string
			app.DB.Read.QueryRow(`SELECT name FROM report_forms WHERE code = 'CDS.QUY.SO.LC'`).Scan(&name)
			for _, want := range []string{"Kính gửi Bùi Thị Lan,", "Quá hạn:", "Quý III/2026", "Bị trả lại:", "“Thiếu số hồ sơ trực tuyến toàn trình”",
				"Sắp đến hạn:", "Cần báo cáo: " + name + " — Quý IV/2026, hạn 16/12/2026 (còn 5 ngày)", "Năm 2026",
				fmt.Sprintf("https://tinhso.laichau.gov.vn/report/entry/%d/%d/2026Q4", formID(t, app, "CDS.QUY.SO.LC"), app.UnitID(t, "LC.SKHCN"))} {
				if !strings.Contains(m.Body, want) {
					t.Errorf("body lacks %q:\n%s", want, m.Body)
				}
			}
			if extra := smtp.Pending(); len(extra) != 0 {
				t.Errorf("%d more messages: officials without an address got mail", len(extra))
			}

			// Each reminder goes once.
			s := app.Server.Report
			if n, err := s.SendReminders(context.Background()); err != nil || n != 0 {
				t.Errorf("second run: %d sent, %v", n, err)
			}
			// A second return of 2026Q2 is a new reminder.
			var sub int64
			if err := app.DB.Read.QueryRow(`SELECT id FROM report_submissions WHERE unit_id = $1 AND period = '2026Q2'`, app.UnitID(t, "LC.SKHCN")).Scan(&sub); err != nil {
				t.Fatal(err)
			}
			if _, err := app.DB.Write.Exec(`INSERT INTO report_submission_events (submission_id, action, unit_id, comment, at) VALUES ($1, 'return', $2, $3, $4)`,
				sub, app.UnitID(t, "LC"), "Số liệu quý II chưa khớp với báo cáo 6 tháng", later); err != nil {
				t.Fatal(err)
			}
			if n, err := s.SendReminders(context.Background()); err != nil || n != 1 {
				t.Fatalf("after a new return: %d sent, %v", n, err)
			}
			m = smtp.Next(t, 10*time.Second).Parse(t)
			if m.Subject != "tinhso: nhắc việc báo cáo định kỳ (1 bị trả lại)" || !strings.Contains(m.Body, "Số liệu quý II chưa khớp") {
				t.Errorf("new return: %q\n%s", m.Subject, m.Body)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM report_reminders_sent WHERE user_id = $1`, lan); n != 5 {
				t.Errorf("%d reminders recorded, want 5", n)
			}
		})
	}
}

// TestNoMailWithoutSMTP: a server without SMTP settings runs no reminder
// component and sends nothing.
func TestNoMailWithoutSMTP(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		for _, c := range app.Server.Site().Components() {
			if c.Name == "report-reminders" {
				t.Error("a reminder component without SMTP")
			}
		}
		if n, err := app.Server.Report.SendReminders(context.Background()); n != 0 || err != nil {
			t.Errorf("SendReminders: %d, %v", n, err)
		}
	})
}
