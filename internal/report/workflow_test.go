package report_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

// vnTime is an instant given as Vietnam's wall clock.
func vnTime(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, time.FixedZone("ICT", 7*3600)).UTC()
}

// workflowWorld is a demo server with its reporting store's clock under
// the test's hand.
type workflowWorld struct {
	t   *testing.T
	app *testapp.App
	s   *report.Store
	now time.Time
	ctx context.Context
}

func newWorld(t *testing.T, app *testapp.App, now time.Time) *workflowWorld {
	w := &workflowWorld{t: t, app: app, s: app.Server.Report, now: now, ctx: context.Background()}
	w.s.Now = func() time.Time { return w.now }
	return w
}

func (w *workflowWorld) principal(username string) *org.Principal {
	w.t.Helper()
	p, err := w.app.Org.Principal(w.ctx, w.app.OfficialID(w.t, username))
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// as is a context acting for p, as a request's is (audit rows name p).
func (w *workflowWorld) as(p *org.Principal) context.Context {
	return audit.WithActor(w.ctx, p.UserID, p.Username)
}

func (w *workflowWorld) form(code string) int64 {
	w.t.Helper()
	var id int64
	if err := w.app.DB.Read.QueryRow(`SELECT id FROM report_forms WHERE code = $1`, code).Scan(&id); err != nil {
		w.t.Fatalf("form %s: %v", code, err)
	}
	return id
}

func (w *workflowWorld) indicator(code string) int64 {
	w.t.Helper()
	var id int64
	if err := w.app.DB.Read.QueryRow(`SELECT id FROM report_indicators WHERE code = $1`, code).Scan(&id); err != nil {
		w.t.Fatalf("indicator %s: %v", code, err)
	}
	return id
}

func (w *workflowWorld) key(form, unit, period string) report.ReportKey {
	return report.ReportKey{Form: w.form(form), Unit: w.app.UnitID(w.t, unit), Period: period}
}

// official adds an official with one role, for levels the demo has no
// account at.
func (w *workflowWorld) official(username, unit, role, scope string) {
	w.t.Helper()
	err := w.app.DB.Tx(w.ctx, func(tx *sql.Tx) error {
		_, err := w.app.Org.CreateOfficial(w.ctx, tx, org.OfficialInput{Username: username, FullName: "Cán Bộ " + username, UnitID: w.app.UnitID(w.t, unit),
			Password: "mat-khau-kiem-thu", Roles: []org.Grant{{Role: role, ScopeID: w.app.UnitID(w.t, scope)}}})
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// save types values on the entry form as an official does (field values
// as typed, in Vietnamese), failing the test on a refused field.
func (w *workflowWorld) save(who string, k report.ReportKey, typed map[string]string) report.SaveResult {
	w.t.Helper()
	var fields []report.EntryField
	for code, v := range typed {
		fields = append(fields, report.EntryField{Indicator: w.indicator(code), Value: v, HasValue: true})
	}
	res, err := w.s.SaveEntry(w.ctx, w.principal(who), k, fields, locale.VI, "")
	if err != nil {
		w.t.Fatalf("save as %s: %v", who, err)
	}
	return res
}

func (w *workflowWorld) report(k report.ReportKey) report.Report {
	w.t.Helper()
	r, err := w.s.Report(w.ctx, k)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

func (w *workflowWorld) wantState(k report.ReportKey, state, waiting string) {
	w.t.Helper()
	r := w.report(k)
	got := ""
	if r.WaitingUnit != nil {
		got = r.WaitingUnit.Code
	}
	if r.State != state || got != waiting {
		w.t.Fatalf("report %+v: state %q waiting %q, want %q waiting %q", k, r.State, got, state, waiting)
	}
}

func chainCodes(us []report.UnitRef) string {
	var out []string
	for _, u := range us {
		out = append(out, u.Code)
	}
	return strings.Join(out, " → ")
}

// lcCommunes is a Lai Châu quarterly form assigned to communes, wards and
// townships whatever the date, so that a commune reports on both sides of
// 1 July 2025 (the demo's commune form goes to districts before).
const lcCommunes = `{"forms":[{"code":"T.XA.LC","name":"Báo cáo thử của xã","periodType":"Quarterly","deadlineDays":2,"graceDays":5,"issuerUnit":"LC",
 "sections":[{"name":"Hồ sơ","indicators":["CDS.HS.TIEPNHAN","CDS.HS.TRUCTUYEN","CDS.HS.TRUCTUYEN.TYLE"]}],
 "assign":[{"under":"LC","kinds":["commune","ward","township"]}],
 "rules":[{"code":"TT_LE_TN","left":"#{CDS.HS.TRUCTUYEN}","operator":"<=","right":"#{CDS.HS.TIEPNHAN}","message":"Số hồ sơ xử lý trực tuyến không được lớn hơn số hồ sơ tiếp nhận"}]}]}`

// TestApprovalChain: the levels of a report as the registry stood in its
// period: a commune before 1 July 2025 goes to its district then its
// province, since to its province; a department to its province.
func TestApprovalChain(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		w := newWorld(t, app, vnTime(2026, 12, 1, 10))
		if _, err := w.s.Import(w.ctx, decodeDoc(t, lcCommunes)); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ unit, period, want string }{
			{"LC.TAMDUONG.BANBO", "2024Q4", "LC.TAMDUONG → LC"},
			{"LC.TAMDUONG.BANBO", "2025Q2", "LC.TAMDUONG → LC"},
			{"LC.X.BANBO", "2025Q3", "LC"},
			{"LC.SKHCN", "2024Q4", "LC"},
			{"GL25.X.BIENHO", "2026Q4", "GL25"},
			{"GL.PLEIKU", "2024Q4", "GL"},
			{"GL25.SKHCN", "2026Q4", "GL25"},
		} {
			p, _ := report.ParsePeriod(c.period)
			chain, err := w.s.Chain(w.ctx, app.UnitID(t, c.unit), p)
			if err != nil {
				t.Fatalf("%s %s: %v", c.unit, c.period, err)
			}
			if got := chainCodes(chain); got != c.want {
				t.Errorf("chain of %s in %s: %s, want %s", c.unit, c.period, got, c.want)
			}
		}
		// The report knows it too.
		d, err := w.s.Detail(w.ctx, w.key("T.XA.LC", "LC.TAMDUONG.BANBO", "2024Q4"))
		if err != nil || chainCodes(d.Chain) != "LC.TAMDUONG → LC" {
			t.Errorf("detail chain %v, %v", chainCodes(d.Chain), err)
		}
		// A unit that does not report the form has no report.
		if _, err := w.s.Report(w.ctx, w.key("T.XA.LC", "LC.SKHCN", "2024Q4")); err == nil || !strings.Contains(err.Error(), "report_not_assigned") {
			t.Errorf("a department's report of a commune form: %v", err)
		}
	})
}

func decodeDoc(t *testing.T, s string) report.Doc {
	t.Helper()
	var d report.Doc
	testapp.JSON(t, []byte(s), &d)
	return d
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
}

// TestStateMachineBeforeReorganisation walks a 2024 commune report up two
// levels: submit, the district approves, the province approves (final);
// unapprove level by level, a return, a correction and a resubmission.
// Each approver may act only at a level their scope covers; approved and
// submitted data are locked.
func TestStateMachineBeforeReorganisation(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		w := newWorld(t, app, vnTime(2024, 12, 10, 9))
		if _, err := w.s.Import(w.ctx, decodeDoc(t, lcCommunes)); err != nil {
			t.Fatal(err)
		}
		w.official("bc.banbo.cu", "LC.TAMDUONG.BANBO", org.RoleReporter, "LC.TAMDUONG.BANBO")
		w.official("pd.tamduong", "LC.TAMDUONG", org.RoleApprover, "LC.TAMDUONG")
		k := w.key("T.XA.LC", "LC.TAMDUONG.BANBO", "2024Q4")
		reporter, district, province := w.principal("bc.banbo.cu"), w.principal("pd.tamduong"), w.principal("pheduyet.laichau")

		if res := w.save("bc.banbo.cu", k, map[string]string{"CDS.HS.TIEPNHAN": "1.200", "CDS.HS.TRUCTUYEN": "900"}); res.Saved != 2 || len(res.Errors) != 0 {
			t.Fatalf("save %+v", res)
		}
		w.wantState(k, report.StateDraft, "")
		if err := w.s.Submit(w.ctx, reporter, k, "Báo cáo quý IV"); err != nil {
			t.Fatal(err)
		}
		w.wantState(k, report.StateSubmitted, "LC.TAMDUONG")
		if r := w.report(k); r.OnTime == nil || !*r.OnTime || r.FirstSubmittedAt == nil {
			t.Errorf("first submission before the deadline: %+v", r)
		}

		// The reporter cannot approve; the province's approver is not the
		// level it waits at, but the district lies in its scope.
		denied := app.Denials(t, "bc.banbo.cu")
		if err := w.s.Approve(w.as(reporter), reporter, k, ""); !errors.Is(err, errs.Forbidden) {
			t.Fatalf("reporter approves: %v", err)
		}
		if app.Denials(t, "bc.banbo.cu") != denied+1 {
			t.Error("the reporter's refusal is not audited")
		}
		w.wantState(k, report.StateSubmitted, "LC.TAMDUONG")
		// Submitted data are locked.
		if err := w.s.Submit(w.ctx, reporter, k, ""); !isCode(err, "report_not_editable") {
			t.Fatalf("submit twice: %v", err)
		}
		if _, err := w.s.SaveEntry(w.ctx, reporter, k, nil, locale.VI, ""); !isCode(err, "report_not_editable") {
			t.Fatalf("save while submitted: %v", err)
		}

		if err := w.s.Approve(w.ctx, district, k, "Đã rà soát"); err != nil {
			t.Fatal(err)
		}
		w.wantState(k, report.StateApproved, "LC")
		if r := w.report(k); r.ApprovedUnit == nil || r.ApprovedUnit.Code != "LC.TAMDUONG" || r.ApprovedBy != "pd.tamduong" {
			t.Errorf("after the district: %+v", r)
		}
		if err := w.s.Approve(w.ctx, district, k, ""); !errors.Is(err, errs.Forbidden) {
			t.Fatalf("the district approves at the province: %v", err)
		}
		if err := w.s.Approve(w.ctx, province, k, ""); err != nil {
			t.Fatal(err)
		}
		w.wantState(k, report.StateAccepted, "")
		if !w.report(k).Final() {
			t.Error("not final after the last level")
		}
		// Approved data are locked: the Checker refuses (E7642).
		c, err := w.s.NewChecker(w.ctx, reporter)
		if err != nil {
			t.Fatal(err)
		}
		pe, _ := report.ParsePeriod("2024Q4")
		v := report.ValueInput{Key: report.Key{Indicator: w.indicator("CDS.HS.TIEPNHAN"), Unit: k.Unit, Period: "2024Q4"}, PeriodOf: pe, Value: "5"}
		if _, cf, err := c.Check(w.ctx, &v, k.Form); err != nil || cf == nil || cf.ErrorCode != report.E7642 {
			t.Fatalf("checker on an approved report: %+v, %v", cf, err)
		}

		// Unapprove: the district cannot withdraw the province's approval;
		// the province can, and the district's approval stands again.
		if err := w.s.Unapprove(w.ctx, district, k, ""); !errors.Is(err, errs.Forbidden) {
			t.Fatalf("district unapproves the province: %v", err)
		}
		if err := w.s.Unapprove(w.ctx, province, k, "Cần xem lại"); err != nil {
			t.Fatal(err)
		}
		w.wantState(k, report.StateApproved, "LC")
		if r := w.report(k); r.ApprovedUnit == nil || r.ApprovedUnit.Code != "LC.TAMDUONG" || r.ApprovedBy != "pd.tamduong" {
			t.Errorf("after the province's unapproval: %+v", r)
		}
		if err := w.s.Unapprove(w.ctx, district, k, ""); err != nil {
			t.Fatal(err)
		}
		w.wantState(k, report.StateSubmitted, "LC.TAMDUONG")
		if err := w.s.Unapprove(w.ctx, district, k, ""); !isCode(err, "report_not_approved") {
			t.Fatalf("nothing left to unapprove: %v", err)
		}

		// Return needs a comment; then the unit corrects and sends again.
		if err := w.s.Return(w.ctx, district, k, " "); err == nil || !strings.Contains(err.Error(), "comment: required") {
			t.Fatalf("return without a comment: %v", err)
		}
		if err := w.s.Return(w.ctx, district, k, "Số hồ sơ trực tuyến chưa khớp phần mềm một cửa"); err != nil {
			t.Fatal(err)
		}
		w.wantState(k, report.StateReturned, "")
		w.now = w.now.Add(time.Hour)
		w.save("bc.banbo.cu", k, map[string]string{"CDS.HS.TRUCTUYEN": "950"})
		w.wantState(k, report.StateReturned, "")
		if err := w.s.Submit(w.ctx, reporter, k, "Đã sửa"); err != nil {
			t.Fatal(err)
		}
		w.wantState(k, report.StateSubmitted, "LC.TAMDUONG")
		d, err := w.s.Detail(w.ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range d.Events {
			actions = append(actions, e.Action)
		}
		if got := strings.Join(actions, " "); got != "submit approve accept unapprove unapprove return submit" {
			t.Errorf("events: %s", got)
		}
		// Every step is audited.
		for kind, n := range map[string]int{"report.submit": 2, "report.approve": 1, "report.accept": 1, "report.unapprove": 2, "report.return": 1} {
			if got := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND subject = $2`, kind, "T.XA.LC LC.TAMDUONG.BANBO 2024Q4"); got != n {
				t.Errorf("audit %s: %d rows, want %d", kind, got, n)
			}
		}
	})
}

func isCode(err error, code string) bool {
	e, ok := errs.As(err)
	return ok && e.Code == code
}

// TestRulesDigestAndFinal: after 1 July 2025 a commune's report goes to
// its province; a failing rule blocks the submission with its Vietnamese
// message (not the draft); the province's approval is final and locks the
// data; another province's approver cannot act; the digest is the SHA-256
// of the documented canonical text and verifies against the history.
func TestRulesDigestAndFinal(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		w := newWorld(t, app, vnTime(2026, 12, 1, 10))
		k := w.key("CDS.QUY.XA.GL", "GL25.X.BIENHO", "2026Q4")
		reporter, approver := w.principal("baocao.bienho"), w.principal("pheduyet.tinh")

		if res := w.save("baocao.bienho", k, map[string]string{"CDS.HS.TIEPNHAN": "1.234", "CDS.HS.TRUCTUYEN": "1.500", "CDS.DVC.TOANTRINH": "45,5"}); len(res.Errors) != 0 || res.Saved != 3 {
			t.Fatalf("a draft with a failing rule saves: %+v", res)
		}
		err := w.s.Submit(w.ctx, reporter, k, "")
		e, ok := errs.As(err)
		if !ok || e.Status != 422 || len(e.Fields) != 1 || e.Fields[0].Name != "rules.HS_TRUCTUYEN_LE_TIEPNHAN" {
			t.Fatalf("submit with a failing rule: %v", err)
		}
		if msg := httpx.FieldMessage(locale.VI, e.Fields[0]); !strings.Contains(msg, "Số hồ sơ xử lý trực tuyến không được lớn hơn số hồ sơ tiếp nhận (đang là 1500 so với 1234)") {
			t.Errorf("rule message: %s", msg)
		}
		w.wantState(k, report.StateDraft, "")
		w.save("baocao.bienho", k, map[string]string{"CDS.HS.TRUCTUYEN": "1.000"})
		if err := w.s.Submit(w.ctx, reporter, k, ""); err != nil {
			t.Fatal(err)
		}
		w.wantState(k, report.StateSubmitted, "GL25")

		// The canonical text and its digest, as documented.
		canonical := "CDS.DVC.TOANTRINH\t\t45.5\nCDS.HS.TIEPNHAN\t\t1234\nCDS.HS.TRUCTUYEN\t\t1000\n"
		sum := sha256.Sum256([]byte(canonical))
		r := w.report(k)
		if r.ValuesSHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("digest %s, want sha256 of %q", r.ValuesSHA256, canonical)
		}

		// Lai Châu's approver cannot act on Gia Lai's report; refusals
		// change nothing and are audited.
		lc := w.principal("pheduyet.laichau")
		before := app.RowCounts(t, "report_submissions", "report_submission_events", "report_values")
		denied := app.Denials(t, "pheduyet.laichau")
		for _, step := range []func() error{
			func() error { return w.s.Approve(w.as(lc), lc, k, "") },
			func() error { return w.s.Return(w.as(lc), lc, k, "không") },
		} {
			if err := step(); !errors.Is(err, errs.Forbidden) {
				t.Fatalf("another province's approver: %v", err)
			}
		}
		if app.Denials(t, "pheduyet.laichau") != denied+2 {
			t.Error("refusals not audited")
		}
		for table, n := range app.RowCounts(t, "report_submissions", "report_submission_events", "report_values") {
			if n != before[table] {
				t.Errorf("%s changed on a refusal", table)
			}
		}

		w.now = w.now.Add(time.Minute)
		if err := w.s.Approve(w.ctx, approver, k, "Đồng ý"); err != nil {
			t.Fatal(err)
		}
		w.wantState(k, report.StateAccepted, "")
		if _, err := w.s.SaveEntry(w.ctx, reporter, k, nil, locale.VI, ""); !isCode(err, "report_not_editable") {
			t.Fatalf("save after approval: %v", err)
		}
		if err := w.s.Withdraw(w.ctx, reporter, k, ""); !isCode(err, "report_approved") {
			t.Fatalf("withdraw after approval: %v", err)
		}

		v, err := w.s.Verify(w.ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if v.Match == nil || !*v.Match || v.Canonical != canonical || len(v.Events) != 2 {
			t.Fatalf("verification %+v", v)
		}
		for _, e := range v.Events {
			if !e.Match || e.ValuesSHA256 != r.ValuesSHA256 {
				t.Errorf("step %s: recorded %s recomputed %s", e.Action, e.ValuesSHA256, e.Recomputed)
			}
		}
		// A value changed behind the workflow's back shows.
		if _, err := app.DB.Write.Exec(`UPDATE report_values SET value = '999' WHERE unit_id = $1 AND period = $2 AND indicator_id = $3`, k.Unit, k.Period, w.indicator("CDS.HS.TRUCTUYEN")); err != nil {
			t.Fatal(err)
		}
		if v, err := w.s.Verify(w.ctx, k); err != nil || v.Match == nil || *v.Match || !v.Events[1].Match {
			t.Fatalf("tampered value: %+v, %v", v, err)
		}
	})
}

// TestReopenAfterDeadline: a quarter whose period locked refuses values
// and submissions until the coordinator reopens it for the unit; the late
// submission is recorded as not on time; a report returned after the lock
// is reopened for its unit to correct it.
func TestReopenAfterDeadline(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		w := newWorld(t, app, vnTime(2026, 12, 1, 10))
		k := w.key("CDS.QUY.XA.GL", "GL25.X.BIENHO", "2026Q3")
		reporter := w.principal("baocao.bienho")
		fields := []report.EntryField{{Indicator: w.indicator("CDS.HS.TIEPNHAN"), Value: "10", HasValue: true}}
		if _, err := w.s.SaveEntry(w.ctx, reporter, k, fields, locale.VI, ""); !isCode(err, "report_locked") {
			t.Fatalf("save in a locked quarter: %v", err)
		}
		if err := w.s.Submit(w.ctx, reporter, k, ""); !isCode(err, "report_locked") {
			t.Fatalf("submit in a locked quarter: %v", err)
		}
		if err := w.s.Reopen(w.ctx, reporter, k, "2026-12-05", "xin mở"); !errors.Is(err, errs.Forbidden) {
			t.Fatalf("a reporter reopens: %v", err)
		}
		coord := w.principal("dieuphoi")
		for _, c := range []struct{ until, reason, field string }{
			{"2026-11-30", "Xã mất điện", "until"}, {"2027-06-01", "Xã mất điện", "until"}, {"2026-12-05", "", "reason"}, {"05/12/2026", "Xã mất điện", "until"},
		} {
			err := w.s.Reopen(w.ctx, coord, k, c.until, c.reason)
			if e, ok := errs.As(err); !ok || len(e.Fields) != 1 || e.Fields[0].Name != c.field {
				t.Errorf("reopen until %q reason %q: %v", c.until, c.reason, err)
			}
		}
		if err := w.s.Reopen(w.ctx, coord, k, "2026-12-05", "Xã bị mất điện nhiều ngày, xin gửi muộn"); err != nil {
			t.Fatal(err)
		}
		if res := w.save("baocao.bienho", k, map[string]string{"CDS.HS.TIEPNHAN": "10"}); res.Saved != 1 {
			t.Fatalf("save after reopening %+v", res)
		}
		if err := w.s.Submit(w.ctx, reporter, k, ""); err != nil {
			t.Fatal(err)
		}
		if r := w.report(k); r.OnTime == nil || *r.OnTime {
			t.Errorf("a submission after the deadline is on time: %+v", r)
		}
		// After the reopening ends, a return reopens the period for five
		// working days: the unit can correct and send again.
		w.now = vnTime(2026, 12, 9, 10)
		if err := w.s.Return(w.ctx, w.principal("pheduyet.tinh"), k, "Thiếu số hồ sơ trực tuyến"); err != nil {
			t.Fatal(err)
		}
		w.now = vnTime(2026, 12, 15, 10)
		w.save("baocao.bienho", k, map[string]string{"CDS.HS.TRUCTUYEN": "4"})
		if err := w.s.Submit(w.ctx, reporter, k, ""); err != nil {
			t.Fatalf("resubmit within the return's reopening: %v", err)
		}
		w.wantState(k, report.StateSubmitted, "GL25")
		if n := app.Count(t, `SELECT COUNT(*) FROM report_reopenings WHERE unit_id = $1 AND period = $2`, k.Unit, k.Period); n != 2 {
			t.Errorf("%d reopenings, want the coordinator's and the return's", n)
		}
	})
}

// TestCanonical: the digest's text is sorted by indicator and option,
// leaves out empty values and escapes what would break a line.
func TestCanonical(t *testing.T) {
	vs := []report.StoredValue{
		{IndicatorCode: "B", Value: "x\ty\nz\\"},
		{IndicatorCode: "A", OptionCode: "TOANTRINH", Value: "3"},
		{IndicatorCode: "A", OptionCode: "MOTPHAN", Value: "2"},
		{IndicatorCode: "C", Value: "", Comment: "chỉ có ghi chú"},
	}
	want := "A\tMOTPHAN\t2\nA\tTOANTRINH\t3\nB\t\tx\\ty\\nz\\\\\n"
	if got := report.Canonical(vs); got != want {
		t.Fatalf("canonical %q, want %q", got, want)
	}
	rev := []report.StoredValue{vs[3], vs[2], vs[1], vs[0]}
	if report.Digest(rev) != report.Digest(vs) {
		t.Error("digest depends on order")
	}
	if report.Digest(nil) != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Error("empty report's digest is not that of the empty text")
	}
}

// TestRules checks expressions and operators without a database.
func TestRules(t *testing.T) {
	n := func(f float64) *float64 { return &f }
	vs := []report.StoredValue{
		{IndicatorCode: "A", Number: n(10)}, {IndicatorCode: "B", OptionCode: "X", Number: n(4)}, {IndicatorCode: "B", OptionCode: "Y", Number: n(7)},
		{IndicatorCode: "D", Number: n(0)},
	}
	for _, c := range []struct {
		left, op, right, missing, want string
	}{
		{"#{B}", "<=", "#{A}", "", report.RuleFailed},          // 11 > 10
		{"#{B:X} + #{B:Y}", "==", "11", "", report.RulePassed}, // options add up
		{"#{B:X}", "<", "#{A} / 2", "", report.RulePassed},
		{"(#{A} - #{B:Y}) * 2", ">=", "6", "", report.RulePassed},
		{"#{C}", "<=", "#{A}", "", report.RuleSkipped},    // C missing
		{"#{C}", "<=", "#{A}", "zero", report.RulePassed}, // C counts 0
		{"#{A} / #{D}", "<", "1", "", report.RuleSkipped}, // division by zero
		{"0.1 + 0.2", "==", "0.3", "", report.RulePassed},
		{"-#{A}", "!=", "10", "", report.RulePassed},
	} {
		res := report.CheckRules([]report.Rule{{Code: "R", Left: c.left, Operator: c.op, Right: c.right, Missing: c.missing, Message: "m"}}, vs)
		if res[0].Status != c.want {
			t.Errorf("%s %s %s (%s): %s, want %s", c.left, c.op, c.right, c.missing, res[0].Status, c.want)
		}
	}
}

// TestRulesImport: a form's rules are imported with it, checked whole
// (every bad member named), idempotent, replaced when they change, and
// shown with the form.
func TestRulesImport(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		w := newWorld(t, app, vnTime(2026, 12, 1, 10))
		res, err := w.s.Import(w.ctx, decodeDoc(t, lcCommunes))
		if err != nil || !res.Created {
			t.Fatalf("import %+v, %v", res, err)
		}
		if res, err := w.s.Import(w.ctx, decodeDoc(t, lcCommunes)); err != nil || res.Changes != 0 {
			t.Fatalf("again: %+v, %v; want no change", res, err)
		}
		f, err := w.s.Form(w.ctx, w.form("T.XA.LC"))
		if err != nil || len(f.Rules) != 1 || f.Rules[0].Code != "TT_LE_TN" || f.Rules[0].Missing != "skip" {
			t.Fatalf("rules of the form: %+v, %v", f.Rules, err)
		}
		changed := strings.Replace(lcCommunes, `"operator":"<="`, `"operator":"<"`, 1)
		if res, err := w.s.Import(w.ctx, decodeDoc(t, changed)); err != nil || res.Changes != 2 {
			t.Fatalf("a changed rule: %+v, %v; want its row replaced", res, err)
		}
		bad := strings.Replace(lcCommunes, `"rules":[{"code":"TT_LE_TN","left":"#{CDS.HS.TRUCTUYEN}","operator":"<=","right":"#{CDS.HS.TIEPNHAN}","message":"Số hồ sơ xử lý trực tuyến không được lớn hơn số hồ sơ tiếp nhận"}]`,
			`"rules":[{"code":"a b","left":"#{CDS.HS.TRUCTUYEN} +","operator":"=<","right":"#{CDS.VB.DI}","message":""},
			 {"code":"R2","left":"#{CDS.HS.TRUCTUYEN.TYLE}","operator":"<=","right":"#{CDS.HS.TIEPNHAN:TOANTRINH}","message":"m","missing":"never"}]`, 1)
		_, err = w.s.Import(w.ctx, decodeDoc(t, bad))
		e, ok := errs.As(err)
		if !ok {
			t.Fatalf("bad rules: %v", err)
		}
		var got []string
		for _, f := range e.Fields {
			got = append(got, f.Name+":"+f.Code)
		}
		want := "forms[0].rules[0].code:code_format forms[0].rules[0].operator:one_of forms[0].rules[0].message:required forms[0].rules[0].left:report.rule_expression forms[0].rules[0].right:report.rule_not_on_form " +
			"forms[0].rules[1].missing:one_of forms[0].rules[1].left:report.rule_derived forms[0].rules[1].right:report.rule_option"
		if strings.Join(got, " ") != want {
			t.Errorf("fields\n%s\nwant\n%s", strings.Join(got, " "), want)
		}
		if f, _ := w.s.Form(w.ctx, w.form("T.XA.LC")); len(f.Rules) != 1 || f.Rules[0].Operator != "<" {
			t.Errorf("a refused import changed the rules: %+v", f.Rules)
		}
	})
}

// TestCompleteDateSubmits: a DHIS2 payload with completeDate registers the
// reports it covered as complete — tinhso submits them, as the entry
// page's button does — and the summary's dataSetComplete gives the date;
// a dry run registers nothing; a report whose rules fail stays a draft,
// named in the conflicts, with dataSetComplete "false".
func TestCompleteDateSubmits(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		w := newWorld(t, app, vnTime(2024, 12, 10, 9))
		if _, err := w.s.Import(w.ctx, decodeDoc(t, lcCommunes)); err != nil {
			t.Fatal(err)
		}
		w.official("bc.banbo.cu", "LC.TAMDUONG.BANBO", org.RoleReporter, "LC.TAMDUONG.BANBO")
		k := w.key("T.XA.LC", "LC.TAMDUONG.BANBO", "2024Q4")
		payload := func(online string) string {
			return `{"dataSet":"T.XA.LC","completeDate":"2024-12-10","period":"2024Q4","orgUnit":"LC.TAMDUONG.BANBO","dataValues":[` +
				`{"dataElement":"CDS.HS.TIEPNHAN","value":"120"},{"dataElement":"CDS.HS.TRUCTUYEN","value":"` + online + `"}]}`
		}
		type answer struct {
			Response struct {
				Status          string
				DataSetComplete string
				ImportCount     report.ImportCount
				Conflicts       []report.Conflict
			}
		}
		post := func(query, body string) answer {
			t.Helper()
			status, out, _ := app.Do(t, "bc.banbo.cu", "POST", "/api/dataValueSets?idScheme=CODE"+query, body)
			if status != 200 {
				t.Fatalf("import: %d %s", status, out)
			}
			var a answer
			testapp.JSON(t, out, &a)
			return a
		}
		// Rules fail (online > received): values kept, the report a draft.
		a := post("", payload("150"))
		if a.Response.DataSetComplete != "false" || a.Response.Status != "WARNING" || len(a.Response.Conflicts) != 1 ||
			a.Response.Conflicts[0].Object != "completeDataSetRegistration" || a.Response.Conflicts[0].Objects["orgUnit"] != "LC.TAMDUONG.BANBO" {
			t.Fatalf("failing rule: %+v", a.Response)
		}
		if st := w.report(k).State; st == report.StateSubmitted {
			t.Fatalf("submitted with a failing rule")
		}
		// A dry run registers nothing.
		a = post("&dryRun=true", payload("90"))
		if a.Response.DataSetComplete != "false" || a.Response.ImportCount.Updated != 1 {
			t.Fatalf("dry run: %+v", a.Response)
		}
		if st := w.report(k).State; st == report.StateSubmitted {
			t.Fatalf("a dry run submitted")
		}
		a = post("", payload("90"))
		if a.Response.DataSetComplete != "2024-12-10" || a.Response.Status != "SUCCESS" || a.Response.ImportCount.Updated != 1 {
			t.Fatalf("complete: %+v", a.Response)
		}
		w.wantState(k, report.StateSubmitted, "LC.TAMDUONG")
		if r := w.report(k); r.SubmittedBy != "bc.banbo.cu" {
			t.Errorf("submitted by %q", r.SubmittedBy)
		}
	})
}
