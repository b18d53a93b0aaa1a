package report_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

var workflowTables = []string{"report_submissions", "report_submission_events", "report_values", "report_value_history", "report_reopenings"}

// refusals builds the checks of a refused request: one access.denied row
// for the user, and no row written anywhere in the workflow's tables.
type refusals struct {
	snapshot map[string]int
	denied   int
}

func (r *refusals) before(user string) func(*testing.T, *testapp.App) {
	return func(t *testing.T, app *testapp.App) {
		r.snapshot = app.RowCounts(t, workflowTables...)
		if user != "" {
			r.denied = app.Denials(t, user)
		}
	}
}

func (r *refusals) after(user string) func(*testing.T, *testapp.App, []byte, http.Header) {
	return func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
		t.Helper()
		if user != "" {
			if n := app.Denials(t, user) - r.denied; n != 1 {
				t.Errorf("%d access.denied rows for one refusal of %s", n, user)
			}
		}
		for table, n := range app.RowCounts(t, workflowTables...) {
			if n != r.snapshot[table] {
				t.Errorf("%s: %d rows before, %d after a refused request", table, r.snapshot[table], n)
			}
		}
	}
}

// TestWorkflowAPIScenarios is the table of the report workflow's API and
// of DHIS2's completion and approval endpoints: every route, the roles
// and provinces refused (audited, writing nothing), anonymous callers, and
// the way of a report through submit, return, withdraw, approve,
// unapprove and reopen.
func TestWorkflowAPIScenarios(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		w := newWorld(t, app, vnTime(2026, 12, 1, 10))
		vars := map[string]string{}
		table := workflowScenarios(w)
		app.Run(t, vars, table)
		app.CheckCoverage(t, vars, table, "report.workflow", "dhis2.approval")
	})
}

func workflowScenarios(w *workflowWorld) []testapp.Scenario {
	var ref refusals
	refused := func(name, user string, c testapp.Call, status int) testapp.Scenario {
		c.User = user
		return testapp.Scenario{Name: name, Call: c, Status: status, Before: ref.before(user), Check: ref.after(user)}
	}
	anonymous := func(method, path string) testapp.Scenario {
		return testapp.Scenario{Name: "anonymous " + method + " " + path, Call: testapp.Call{Method: method, Path: path}, Status: 401,
			Before: ref.before(""), Check: ref.after("")}
	}
	state := func(k func() report.ReportKey, want string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
			t.Helper()
			if got := w.report(k()).State; got != want {
				t.Errorf("state %q, want %q (%s)", got, want, body)
			}
		}
	}
	gl := func() report.ReportKey { return w.key("CDS.QUY.XA.GL", "GL25.X.BIENHO", "2026Q4") }
	lc := func() report.ReportKey { return w.key("CDS.QUY.XA.LC", "LC.X.BANBO", "2026Q4") }
	old := func() report.ReportKey { return w.key("T.XA.LC", "LC.TAMDUONG.BANBO", "2024Q4") }
	const one = "/api/v1/report/reports/CDS.QUY.XA.GL/GL25.X.BIENHO/2026Q4"
	const lcQ = "ds=CDS.QUY.XA.LC&pe=2026Q4&ou=LC.X.BANBO"
	const oldQ = "ds=T.XA.LC&pe=2024Q4&ou=LC.TAMDUONG.BANBO"
	fill := func(t *testing.T, app *testapp.App) {
		w.t = t
		w.save("baocao.bienho", gl(), map[string]string{"CDS.HS.TIEPNHAN": "120", "CDS.HS.TRUCTUYEN": "90"})
	}
	// A 2024 commune report of a two-level chain, approved by its district
	// and waiting at the province (DHIS2's APPROVED_HERE).
	twoLevels := func(t *testing.T, app *testapp.App) {
		w.t = t
		if _, err := w.s.Import(w.ctx, decodeDoc(t, lcCommunes)); err != nil {
			t.Fatal(err)
		}
		w.official("pd.tamduong", "LC.TAMDUONG", org.RoleApprover, "LC.TAMDUONG")
		now := w.now
		w.now = vnTime(2024, 12, 10, 9)
		defer func() { w.now = now }()
		if _, err := w.s.SaveEntry(w.ctx, w.principal("quantri.laichau"), old(), []report.EntryField{{Indicator: w.indicator("CDS.HS.TIEPNHAN"), Value: "5", HasValue: true}}, locale.VI, ""); err != nil {
			t.Fatal(err)
		}
		if err := w.s.Submit(w.ctx, w.principal("quantri.laichau"), old(), ""); err != nil {
			t.Fatal(err)
		}
		if err := w.s.Approve(w.ctx, w.principal("pd.tamduong"), old(), ""); err != nil {
			t.Fatal(err)
		}
	}
	return []testapp.Scenario{
		// The tinhso API.
		anonymous("GET", "/api/v1/report/reports"),
		{Name: "a commune's reporter lists its reports, the unit still to start included", Before: fill,
			Call:   testapp.Call{User: "baocao.bienho", Method: "GET", Path: "/api/v1/report/reports?form=CDS.QUY.XA.GL&period=2026Q4&expected=true"},
			Status: 200, Contains: []string{`"code":"GL25.X.BIENHO"`, `"state":"draft"`}, Absent: []string{"GL25.X.GAO", "LC."}, Header: map[string]string{"X-Total-Count": "1"}},
		{Name: "the province's approver sees every commune of the form", Call: testapp.Call{User: "pheduyet.tinh", Method: "GET", Path: "/api/v1/report/reports?form=CDS.QUY.XA.GL&period=2026Q4&expected=true&limit=5"},
			Status: 200, Contains: []string{`"code":"GL25.X.BIENHO"`}, Header: map[string]string{"X-Total-Count": "42", "Link": "offset=5"}},
		{Name: "bad filters are named", Call: testapp.Call{User: "baocao.bienho", Method: "GET", Path: "/api/v1/report/reports?state=bogus&form=KHONG.CO&expected=true"},
			Status: 422, Fields: []string{"form", "state", "expected"}},
		{Name: "one report with its rules and levels", Call: testapp.Call{User: "baocao.bienho", Method: "GET", Path: one},
			Status: 200, Contains: []string{`"chain":[{"id":`, `"code":"GL25"`, `"HS_TRUCTUYEN_LE_TIEPNHAN"`, `"status":"passed"`, `"deadline":"2026-12-16"`, `"indicator":"CDS.HS.TIEPNHAN","value":"120"`}},
		refused("another province's reporter cannot read it", "baocao.banbo", testapp.Call{Method: "GET", Path: one}, 403),
		{Name: "a unit that does not report the form", Call: testapp.Call{User: "pheduyet.tinh", Method: "GET", Path: "/api/v1/report/reports/CDS.QUY.XA.GL/GL25.SKHCN/2026Q4"}, Status: 404},
		{Name: "an unknown unit", Call: testapp.Call{User: "pheduyet.tinh", Method: "GET", Path: "/api/v1/report/reports/CDS.QUY.XA.GL/KHONG.CO/2026Q4"}, Status: 404},
		refused("another province's approver cannot submit", "pheduyet.laichau", testapp.Call{Method: "POST", Path: one + "/submit"}, 403),
		{Name: "the reporter submits", Call: testapp.Call{User: "baocao.bienho", Method: "POST", Path: one + "/submit", Body: `{"comment":"Báo cáo quý IV"}`},
			Status: 200, Contains: []string{`"state":"submitted"`, `"waitingUnit":{"id":`, `"onTime":true`, `"valuesSha256":"`}},
		{Name: "twice is refused: the data are locked", Call: testapp.Call{User: "baocao.bienho", Method: "POST", Path: one + "/submit"}, Status: 409, Contains: []string{"report_not_editable"}},
		refused("a reporter cannot approve", "baocao.bienho", testapp.Call{Method: "POST", Path: one + "/approve"}, 403),
		refused("another province's approver cannot approve", "pheduyet.laichau", testapp.Call{Method: "POST", Path: one + "/approve"}, 403),
		refused("another province's approver cannot return", "pheduyet.laichau", testapp.Call{Method: "POST", Path: one + "/return", Body: `{"comment":"x"}`}, 403),
		{Name: "a return needs its reason", Call: testapp.Call{User: "pheduyet.tinh", Method: "POST", Path: one + "/return", Body: `{}`}, Status: 422, Fields: []string{"comment"}},
		{Name: "the province returns it", Call: testapp.Call{User: "pheduyet.tinh", Method: "POST", Path: one + "/return", Body: `{"comment":"Số hồ sơ trực tuyến chưa khớp"}`},
			Status: 200, Contains: []string{`"state":"returned"`}, Absent: []string{"waitingUnit"}},
		{Name: "nothing to withdraw", Call: testapp.Call{User: "baocao.bienho", Method: "POST", Path: one + "/withdraw"}, Status: 409, Contains: []string{"report_not_submitted"}},
		{Name: "the reporter sends it again", Call: testapp.Call{User: "baocao.bienho", Method: "POST", Path: one + "/submit", Body: `{"comment":"Đã sửa"}`}, Status: 200, Contains: []string{`"state":"submitted"`}},
		{Name: "and takes it back before any approval", Call: testapp.Call{User: "baocao.bienho", Method: "POST", Path: one + "/withdraw", Body: `{"comment":"Quên ghi chú"}`}, Status: 200, Contains: []string{`"state":"draft"`}},
		{Name: "and sends it once more", Call: testapp.Call{User: "baocao.bienho", Method: "POST", Path: one + "/submit"}, Status: 200, Check: state(gl, report.StateSubmitted)},
		{Name: "the province approves: final", Call: testapp.Call{User: "pheduyet.tinh", Method: "POST", Path: one + "/approve", Body: `{"comment":"Đồng ý"}`},
			Status: 200, Contains: []string{`"state":"accepted"`, `"approvedBy":"pheduyet.tinh"`}},
		refused("a reporter cannot unapprove", "baocao.bienho", testapp.Call{Method: "POST", Path: one + "/unapprove"}, 403),
		{Name: "the province withdraws its approval", Call: testapp.Call{User: "pheduyet.tinh", Method: "POST", Path: one + "/unapprove", Body: `{"comment":"Xem lại"}`}, Status: 200, Contains: []string{`"state":"submitted"`}},
		refused("a reporter cannot reopen", "baocao.bienho", testapp.Call{Method: "POST", Path: one + "/reopen", Body: `{"until":"2026-12-20","reason":"xin"}`}, 403),
		{Name: "a reopening needs a day and a reason", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: one + "/reopen", Body: `{"until":"20/12"}`}, Status: 422, Fields: []string{"until", "reason"}},
		{Name: "the coordinator reopens the period for the commune", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: one + "/reopen", Body: `{"until":"2026-12-28","reason":"Xã bổ sung số liệu sau khóa sổ"}`},
			Status: 200, Check: func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
				if n := app.Count(t, `SELECT COUNT(*) FROM report_reopenings WHERE reason = 'Xã bổ sung số liệu sau khóa sổ'`); n != 1 {
					t.Errorf("%d reopenings", n)
				}
			}},
		{Name: "the history of its values", Call: testapp.Call{User: "baocao.bienho", Method: "GET", Path: one + "/history"}, Status: 200,
			Contains: []string{`"indicator":"CDS.HS.TIEPNHAN"`, `"old":null,"new":"120"`, `"source":"form"`, `"user":"baocao.bienho"`}},
		refused("another province's reporter cannot read the history", "baocao.banbo", testapp.Call{Method: "GET", Path: one + "/history"}, 403),
		{Name: "its digests verify", Call: testapp.Call{User: "pheduyet.tinh", Method: "GET", Path: one + "/verify"}, Status: 200,
			Contains: []string{`"match":true`, `"canonical":"CDS.HS.TIEPNHAN\t\t120\nCDS.HS.TRUCTUYEN\t\t90\n"`}, Absent: []string{`"match":false`}},
		refused("another province's approver cannot verify", "pheduyet.laichau", testapp.Call{Method: "GET", Path: one + "/verify"}, 403),

		// DHIS2's completeDataSetRegistrations.
		anonymous("POST", "/api/completeDataSetRegistrations"),
		{Name: "a dry run registers nothing", Call: testapp.Call{User: "baocao.banbo", Method: "POST", Path: "/api/v1/completeDataSetRegistrations?idScheme=CODE&dryRun=true",
			Body: `{"completeDataSetRegistrations":[{"dataSet":"CDS.QUY.XA.LC","period":"2026Q4","organisationUnit":"LC.X.BANBO","completed":true}]}`},
			Status: 200, Contains: []string{`"responseType":"ImportSummary"`, `"status":"SUCCESS"`, `"imported":1`, `"dryRun":true`}, Check: state(lc, report.StateOpen)},
		{Name: "a registration by codes submits the report; an unknown unit is a conflict with its index", Call: testapp.Call{User: "baocao.banbo", Method: "POST", Path: "/api/completeDataSetRegistrations?idScheme=CODE",
			Body: `{"completeDataSetRegistrations":[{"dataSet":"CDS.QUY.XA.LC","period":"2026Q4","organisationUnit":"LC.X.BANBO","attributeOptionCombo":"HllvX50cXC0","date":"2026-12-01","storedBy":"banbo"},
			 {"dataSet":"CDS.QUY.XA.LC","period":"2026Q4","organisationUnit":"LC.X.KHONGCO"}]}`},
			Status: 200, Contains: []string{`"httpStatus":"OK"`, `"status":"WARNING"`, `"imported":1`, `"ignored":1`, `"errorCode":"E7612"`, `"indexes":[1]`}, Check: state(lc, report.StateSubmitted)},
		{Name: "again: nothing to do", Call: testapp.Call{User: "baocao.banbo", Method: "POST", Path: "/api/completeDataSetRegistrations?idScheme=CODE",
			Body: `{"completeDataSetRegistrations":[{"dataSet":"CDS.QUY.XA.LC","period":"2026Q4","organisationUnit":"LC.X.BANBO"}]}`},
			Status: 200, Contains: []string{`"status":"SUCCESS"`, `"imported":0`, `"ignored":1`}},
		{Name: "another province's reporter: a conflict, audited, nothing written", Before: ref.before("baocao.bienho"), Check: ref.after("baocao.bienho"),
			Call: testapp.Call{User: "baocao.bienho", Method: "POST", Path: "/api/v1/completeDataSetRegistrations?idScheme=CODE",
				Body: `{"completeDataSetRegistrations":[{"dataSet":"CDS.QUY.XA.LC","period":"2026Q4","organisationUnit":"LC.X.BINHLU"}]}`},
			Status: 200, Contains: []string{`"status":"WARNING"`, `"errorCode":"E7617"`, `"indexes":[0]`}},
		{Name: "the registrations of Lai Châu's communes", Call: testapp.Call{User: "pheduyet.laichau", Method: "GET", Path: "/api/completeDataSetRegistrations?dataSet=CDS.QUY.XA.LC&period=2026Q4&orgUnit=LC&children=true&idScheme=CODE"},
			Status: 200, Contains: []string{`"completeDataSetRegistrations":[{"dataSet":"CDS.QUY.XA.LC","period":"2026Q4","organisationUnit":"LC.X.BANBO","attributeOptionCombo":"default"`, `"storedBy":"baocao.banbo","completed":true`}},
		refused("another province's reporter cannot read them", "baocao.bienho", testapp.Call{Method: "GET", Path: "/api/v1/completeDataSetRegistrations?dataSet=CDS.QUY.XA.LC&period=2026Q4&orgUnit=LC"}, 403),

		// DHIS2's dataApprovals and dataAcceptances.
		{Name: "the approval state as the province's approver reads it", Call: testapp.Call{User: "pheduyet.laichau", Method: "GET", Path: "/api/dataApprovals?" + lcQ},
			Status: 200, Contains: []string{`"mayApprove":true`, `"mayUnapprove":false`, `"mayAccept":false`, `"mayReadData":true`, `"state":"UNAPPROVED_READY"`}},
		{Name: "and as the reporter", Call: testapp.Call{User: "baocao.banbo", Method: "GET", Path: "/api/v1/dataApprovals?wf=CDS.QUY.XA.LC&pe=2026Q4&ou=LC.X.BANBO"},
			Status: 200, Contains: []string{`"mayApprove":false`, `"state":"UNAPPROVED_READY"`}},
		refused("the reporter cannot approve", "baocao.banbo", testapp.Call{Method: "POST", Path: "/api/dataApprovals?" + lcQ}, 403),
		refused("Gia Lai's approver cannot approve Lai Châu's", "pheduyet.tinh", testapp.Call{Method: "POST", Path: "/api/dataApprovals?" + lcQ}, 403),
		{Name: "the province approves", Call: testapp.Call{User: "pheduyet.laichau", Method: "POST", Path: "/api/v1/dataApprovals?" + lcQ}, Status: 204, Check: state(lc, report.StateAccepted)},
		{Name: "final: accepted here", Call: testapp.Call{User: "pheduyet.laichau", Method: "GET", Path: "/api/dataApprovals?" + lcQ},
			Status: 200, Contains: []string{`"mayUnapprove":true`, `"mayUnaccept":true`, `"state":"ACCEPTED_HERE"`, `"acceptedBy":"pheduyet.laichau"`, `"acceptedAt":"2026-12-01T10:00:00.000"`}},
		anonymous("DELETE", "/api/dataApprovals?"+lcQ),
		{Name: "unaccept: the final approval withdrawn", Call: testapp.Call{User: "pheduyet.laichau", Method: "DELETE", Path: "/api/dataAcceptances?" + lcQ}, Status: 204, Check: state(lc, report.StateSubmitted)},
		{Name: "approve again, then unapprove", Call: testapp.Call{User: "pheduyet.laichau", Method: "POST", Path: "/api/dataApprovals?" + lcQ}, Status: 204},
		{Name: "unapprove", Call: testapp.Call{User: "pheduyet.laichau", Method: "DELETE", Path: "/api/v1/dataApprovals?" + lcQ}, Status: 204, Check: state(lc, report.StateSubmitted)},
		anonymous("POST", "/api/dataAcceptances?"+oldQ),
		{Name: "a district's approval waits at the province: approved here", Before: twoLevels, Call: testapp.Call{User: "pheduyet.laichau", Method: "GET", Path: "/api/dataApprovals?" + oldQ},
			Status: 200, Contains: []string{`"mayApprove":true`, `"mayAccept":true`, `"state":"APPROVED_HERE"`, `"approvedBy":"pd.tamduong"`}},
		refused("the district cannot accept its own approval", "pd.tamduong", testapp.Call{Method: "POST", Path: "/api/v1/dataAcceptances?" + oldQ}, 403),
		{Name: "the province accepts it: final", Call: testapp.Call{User: "pheduyet.laichau", Method: "POST", Path: "/api/v1/dataAcceptances?" + oldQ}, Status: 204, Check: state(old, report.StateAccepted)},
		{Name: "accepted: approved by the district, accepted by the province", Call: testapp.Call{User: "pheduyet.laichau", Method: "GET", Path: "/api/dataApprovals?" + oldQ},
			Status: 200, Contains: []string{`"state":"ACCEPTED_HERE"`, `"approvedBy":"pd.tamduong"`, `"acceptedBy":"pheduyet.laichau"`}},
		anonymous("DELETE", "/api/dataAcceptances?"+oldQ),
		{Name: "unaccept: back to the district's approval", Call: testapp.Call{User: "pheduyet.laichau", Method: "DELETE", Path: "/api/v1/dataAcceptances?" + oldQ}, Status: 204, Check: state(old, report.StateApproved)},
		{Name: "the states of several reports", Call: testapp.Call{User: "pheduyet.laichau", Method: "GET", Path: "/api/dataApprovals/approvals?wf=CDS.QUY.XA.LC&pe=2026Q4&ou=LC.X.BANBO,LC.X.BINHLU&ou=LC.SKHCN"},
			Status: 200, Contains: []string{`"ou":"LC.X.BANBO","ouName":"Xã Bản Bo`, `"state":"UNAPPROVED_READY"`, `"ou":"LC.X.BINHLU","ouName":"Xã Bình Lư`, `"state":"UNAPPROVED_WAITING"`, `"ou":"LC.SKHCN","aoc":"HllvX50cXC0","state":"UNAPPROVABLE"`}},
		anonymous("GET", "/api/v1/dataApprovals/approvals?wf=CDS.QUY.XA.LC&pe=2026Q4&ou=LC.X.BANBO"),
		refused("Gia Lai's approver cannot approve Lai Châu's in bulk", "pheduyet.tinh", testapp.Call{Method: "POST", Path: "/api/dataApprovals/approvals",
			Body: `{"wf":["CDS.QUY.XA.LC"],"pe":["2026Q4"],"approvals":[{"ou":"LC.X.BANBO"}]}`}, 403),
		{Name: "bulk approval", Call: testapp.Call{User: "pheduyet.laichau", Method: "POST", Path: "/api/dataApprovals/approvals",
			Body: `{"wf":["CDS.QUY.XA.LC"],"pe":["2026Q4"],"approvals":[{"ou":"LC.X.BANBO","aoc":"HllvX50cXC0"}]}`}, Status: 204, Check: state(lc, report.StateAccepted)},
		anonymous("POST", "/api/v1/dataApprovals/approvals"),
		{Name: "bulk unapproval", Call: testapp.Call{User: "pheduyet.laichau", Method: "POST", Path: "/api/dataApprovals/unapprovals",
			Body: `{"ds":["CDS.QUY.XA.LC"],"pe":["2026Q4"],"approvals":[{"ou":"LC.X.BANBO"}]}`}, Status: 204, Check: state(lc, report.StateSubmitted)},
		anonymous("POST", "/api/v1/dataApprovals/unapprovals"),
		refused("another province's reporter cannot withdraw the registration", "baocao.bienho", testapp.Call{Method: "DELETE", Path: "/api/completeDataSetRegistrations?" + lcQ}, 403),
		{Name: "the reporter withdraws the registration", Call: testapp.Call{User: "baocao.banbo", Method: "DELETE", Path: "/api/completeDataSetRegistrations?" + lcQ}, Status: 204, Check: state(lc, report.StateDraft)},
		anonymous("DELETE", "/api/v1/completeDataSetRegistrations?"+lcQ),
	}
}

// TestDHIS2Conflicts: what DHIS2 refuses as a conflict is a 409 WebMessage
// with DHIS2's words, and writes nothing.
func TestDHIS2Conflicts(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		w := newWorld(t, app, vnTime(2026, 12, 1, 10))
		for _, c := range []struct {
			user, method, path, body, want string
		}{
			{"pheduyet.laichau", "POST", "/api/dataApprovals?ds=CDS.QUY.XA.LC&pe=2026Q4&ou=LC.X.BANBO", "", "The report is not waiting for approval."},
			{"pheduyet.laichau", "GET", "/api/dataApprovals?pe=2026Q4&ou=LC.X.BANBO", "", "Either data set or data approval workflow must be specified"},
			{"pheduyet.laichau", "GET", "/api/dataApprovals?ds=CDS.QUY.XA.LC&pe=2026X9&ou=LC.X.BANBO", "", "Illegal period identifier: 2026X9"},
			{"pheduyet.laichau", "GET", "/api/v1/dataApprovals?ds=CDS.QUY.XA.LC&pe=2026Q4&ou=KHONG", "", "Organisation unit does not exist: KHONG"},
			{"pheduyet.laichau", "GET", "/api/dataApprovals?ds=KHONG&pe=2026Q4&ou=LC.X.BANBO", "", "Data approval workflow does not exist: KHONG"},
			{"pheduyet.laichau", "POST", "/api/v1/dataAcceptances?ds=CDS.QUY.XA.LC&pe=2026Q4&ou=LC.X.BANBO", "", "The report is not waiting for approval."},
			{"pheduyet.laichau", "DELETE", "/api/dataAcceptances?ds=CDS.QUY.XA.LC&pe=2026Q4&ou=LC.X.BANBO", "", "No level has approved the report"},
			{"pheduyet.laichau", "GET", "/api/dataApprovals/approvals?wf=CDS.QUY.XA.LC&ou=LC.X.BANBO", "", "Must have either pe or both startDate and endDate."},
			{"pheduyet.laichau", "POST", "/api/dataApprovals/approvals", `{"wf":["CDS.QUY.XA.LC"],"approvals":[{"ou":"LC.X.BANBO"}]}`, "Approvals must have periods"},
			{"pheduyet.laichau", "GET", "/api/completeDataSetRegistrations?period=2026Q4&orgUnit=LC", "", "At least one valid data set must be specified"},
			{"baocao.banbo", "DELETE", "/api/completeDataSetRegistrations?ds=CDS.QUY.XA.LC&pe=2026Q4&ou=LC.X.BANBO", "", "The report has not been sent."},
		} {
			before := app.RowCounts(t, workflowTables...)
			status, body, h := app.Send(t, nil, testapp.Call{User: c.user, Method: c.method, Path: c.path, Body: c.body})
			var m struct {
				HTTPStatus     string
				HTTPStatusCode int
				Status         string
				Message        string
			}
			testapp.JSON(t, body, &m)
			if status != 409 || m.HTTPStatus != "Conflict" || m.HTTPStatusCode != 409 || m.Status != "ERROR" || !strings.Contains(m.Message, c.want) || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Errorf("%s %s: %d %s, want a 409 WebMessage saying %q", c.method, c.path, status, body, c.want)
			}
			for table, n := range app.RowCounts(t, workflowTables...) {
				if n != before[table] {
					t.Errorf("%s %s wrote to %s", c.method, c.path, table)
				}
			}
		}
		// A failing rule refuses the registration with tinhso's E7698 and
		// the rule's message; the whole body refused is an ERROR summary.
		w.save("baocao.banbo", w.key("CDS.QUY.XA.LC", "LC.X.BANBO", "2026Q4"), map[string]string{"CDS.HS.TIEPNHAN": "10", "CDS.HS.TRUCTUYEN": "20"})
		status, body, _ := app.Send(t, nil, testapp.Call{User: "baocao.banbo", Method: "POST", Path: "/api/completeDataSetRegistrations?idScheme=CODE",
			Body: `{"completeDataSetRegistrations":[{"dataSet":"CDS.QUY.XA.LC","period":"2026Q4","organisationUnit":"LC.X.BANBO"},{"dataSet":"CDS.QUY.XA.LC","period":"2026Q3","organisationUnit":"LC.X.BANBO"}]}`})
		for _, s := range []string{`"status":"WARNING"`, `"errorCode":"E7698"`, "Dossiers processed online cannot exceed the dossiers received (now 20 against 10)", `"errorCode":"E7643"`, `"rejectedIndexes":[0,1]`} {
			if status != 200 || !strings.Contains(string(body), s) {
				t.Errorf("registration against the rules: %d, lacks %s: %s", status, s, body)
			}
		}
		status, body, _ = app.Send(t, nil, testapp.Call{User: "baocao.banbo", Method: "POST", Path: "/api/completeDataSetRegistrations", Body: `{"completeDataSetRegistrations":[{`})
		if status != 409 || !strings.Contains(string(body), `"status":"ERROR"`) || !strings.Contains(string(body), `"responseType":"ImportSummary"`) {
			t.Errorf("truncated JSON: %d %s", status, body)
		}
	})
}
