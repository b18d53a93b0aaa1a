package report_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/testapp"
)

// valueTables are what an import writes (values, history, reports and
// running totals); a refused or dry-run import leaves them as they were.
var valueTables = []string{"report_values", "report_value_history", "report_submissions", "report_agg"}

// lcPayload is what a DHIS2 client of Lai Châu's Sở KH&CN sends for the
// fourth quarter of 2026, named by codes: set-level defaults, category
// option combos as DHIS2 writes them (a code, DHIS2's default uid,
// "default", nothing), a comment.
const lcPayload = `{"dataSet":"CDS.QUY.SO.LC","period":"2026Q4","orgUnit":"LC.SKHCN","dataValues":[
 {"dataElement":"CDS.DVC.TOANTRINH","value":"45.5"},
 {"dataElement":"CDS.DVC.SO","categoryOptionCombo":"TOANTRINH","value":"12"},
 {"dataElement":"CDS.DVC.SO","categoryOptionCombo":"MOTPHAN","value":30,"comment":"Gồm dịch vụ công một phần"},
 {"dataElement":"CDS.HS.TIEPNHAN","categoryOptionCombo":"HllvX50cXC0","value":"1200"},
 {"dataElement":"CDS.HS.TRUCTUYEN","categoryOptionCombo":"default","attributeOptionCombo":"default","value":"800","followup":false}]}`

// glCSV is DHIS2's CSV as Excel saves it (a byte-order mark, the header,
// a quoted comment with a comma), for Gia Lai's Sở KH&CN.
const glCSV = "\ufeffdataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment,followup,deleted\r\n" +
	"CDS.HS.TIEPNHAN,2026Q4,GL25.SKHCN,,,500,canbo,2026-11-30T08:00:00.000,\"Ghi chú, có dấu phẩy\",false,false\r\n" +
	"CDS.DVC.SO,2026Q4,GL25.SKHCN,TOANTRINH,,7\r\n"

// one is a payload of a single value for LC.SKHCN in 2026Q4 unless
// overridden.
func one(de, pe, ou, coc, aoc, value string) string {
	v := map[string]any{"dataElement": de, "period": pe, "orgUnit": ou, "value": value}
	if coc != "" {
		v["categoryOptionCombo"] = coc
	}
	if aoc != "" {
		v["attributeOptionCombo"] = aoc
	}
	b, _ := json.Marshal(map[string]any{"dataValues": []any{v}})
	return string(b)
}

const codes = "?idScheme=CODE"

// decemberNow sets the reporting clock to 1 December 2026, 10:00 in
// Vietnam: 2026Q4's cut-off runs, 2026Q3 is locked, 2027Q1 has not begun.
func decemberNow(t *testing.T, app *testapp.App) {
	now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	app.Server.Report.Now = func() time.Time { return now }
}

// summary decodes a WebMessage with an ImportSummary.
type summary struct {
	HTTPStatusCode int
	Status         string
	Message        string
	Response       struct {
		ResponseType string
		Status       string
		ImportCount  struct{ Imported, Updated, Ignored, Deleted int }
		Conflicts    []struct {
			Object    string
			Value     string
			ErrorCode string
			Property  string
			Indexes   []int
		}
		RejectedIndexes []int
		DataSetComplete string
		ImportOptions   struct{ DryRun bool }
		Description     string
	}
}

// TestDHIS2Scenarios is the DHIS2 API's table: every route, refused roles
// and provinces (each refusal audited, changing nothing), the import
// summaries of DHIS2 2.42, idempotence, dry runs, force, async jobs, the
// export's validation and scope, and the metadata clients read.
func TestDHIS2Scenarios(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		decemberNow(t, app)
		vars := map[string]string{}
		table := dhis2Scenarios(vars)
		app.Run(t, vars, table)
		app.CheckCoverage(t, vars, table, "dhis2")
	})
}

func dhis2Scenarios(vars map[string]string) []testapp.Scenario {
	var snapshot map[string]int
	var denied int
	snap := func(t *testing.T, app *testapp.App) { snapshot = app.RowCounts(t, valueTables...) }
	snapDenied := func(user string) func(*testing.T, *testapp.App) {
		return func(t *testing.T, app *testapp.App) {
			snap(t, app)
			denied = app.Denials(t, user)
		}
	}
	unchanged := func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
		t.Helper()
		for table, n := range app.RowCounts(t, valueTables...) {
			if n != snapshot[table] {
				t.Errorf("%s: %d rows before, %d after", table, snapshot[table], n)
			}
		}
	}
	refused := func(user string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
			t.Helper()
			if n := app.Denials(t, user) - denied; n != 1 {
				t.Errorf("%d access.denied rows for one refusal of %s", n, user)
			}
			unchanged(t, app, body, h)
		}
	}
	counts := func(status string, imported, updated, ignored, deleted int, conflicts ...string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
			t.Helper()
			var m summary
			testapp.JSON(t, body, &m)
			c := m.Response.ImportCount
			if m.Response.ResponseType != "ImportSummary" || m.Response.Status != status || c.Imported != imported || c.Updated != updated || c.Ignored != ignored || c.Deleted != deleted {
				t.Errorf("summary %s, want %s imported %d updated %d ignored %d deleted %d", body, status, imported, updated, ignored, deleted)
			}
			var got []string
			for _, cf := range m.Response.Conflicts {
				got = append(got, cf.ErrorCode)
			}
			if strings.Join(got, ",") != strings.Join(conflicts, ",") {
				t.Errorf("conflicts %v, want %v: %s", got, conflicts, body)
			}
		}
	}
	both := func(fs ...func(*testing.T, *testapp.App, []byte, http.Header)) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
			t.Helper()
			for _, f := range fs {
				f(t, app, body, h)
			}
		}
	}
	value := func(unit, indicator, period, want string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			t.Helper()
			var got string
			app.DB.Read.QueryRow(`SELECT v.value FROM report_values v JOIN report_indicators i ON i.id = v.indicator_id
				WHERE v.unit_id = $1 AND i.code = $2 AND v.period = $3 AND v.option_id = 0`, app.UnitID(t, unit), indicator, period).Scan(&got)
			if got != want {
				t.Errorf("%s %s %s = %q, want %q", unit, indicator, period, got, want)
			}
		}
	}
	auditKind := func(kind, contains string, n int) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			t.Helper()
			if got := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND detail LIKE $2`, kind, "%"+contains+"%"); got != n {
				t.Errorf("%d %s audit rows with %q, want %d", got, kind, contains, n)
			}
		}
	}
	csvHeaders := map[string]string{"Content-Type": "application/csv"}
	job := func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
		t.Helper()
		var m struct {
			Message  string
			Response struct{ ID, JobType, RelativeNotifierEndpoint string }
		}
		testapp.JSON(t, body, &m)
		if m.Message != "Initiated DATAVALUE_IMPORT" || m.Response.JobType != "DATAVALUE_IMPORT" || m.Response.RelativeNotifierEndpoint != "/api/system/tasks/DATAVALUE_IMPORT/"+m.Response.ID {
			t.Fatalf("async answer %s", body)
		}
		vars["job"] = m.Response.ID
		app.Server.Report.WaitJobs()
	}
	ids := func(t *testing.T, app *testapp.App) {
		t.Helper()
		for name, q := range map[string]string{
			"deTiepNhan": `SELECT id FROM report_indicators WHERE code = 'CDS.HS.TIEPNHAN'`,
			"dsSoLC":     `SELECT id FROM report_forms WHERE code = 'CDS.QUY.SO.LC'`,
			"cocToanTrinh": `SELECT o.id FROM report_category_options o JOIN report_indicators i ON i.id = o.indicator_id
				WHERE i.code = 'CDS.DVC.SO' AND o.code = 'TOANTRINH'`,
		} {
			var id int64
			if err := app.DB.Read.QueryRow(q).Scan(&id); err != nil {
				t.Fatal(err)
			}
			vars[name] = fmt.Sprint(id)
		}
	}
	approve := func(t *testing.T, app *testapp.App) {
		t.Helper()
		snap(t, app)
		if _, err := app.DB.Write.Exec(`INSERT INTO report_submissions (form_id, unit_id, period, state, updated_at)
			SELECT id, $1, '2026Q4', 'approved', $2 FROM report_forms WHERE code = 'CDS.QUY.SO.GL'`, app.UnitID(t, "GL25.SKHCN"), time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		snapshot = app.RowCounts(t, valueTables...)
	}
	dvs := "/api/dataValueSets"
	lc := "&dataSet=CDS.QUY.SO.LC&period=2026Q4&orgUnit=LC.SKHCN"
	return []testapp.Scenario{
		// Credentials and roles.
		{Name: "an import needs credentials", Call: testapp.Call{Method: "POST", Path: dvs, Body: lcPayload}, Status: 401, Before: snap, Check: unchanged},
		{Name: "a leader reads but may not import", Call: testapp.Call{User: "lanhdao", Method: "POST", Path: dvs + codes, Body: lcPayload}, Status: 403,
			Before: snapDenied("lanhdao"), Check: refused("lanhdao")},
		{Name: "Lai Châu's reporter may not write Gia Lai's data set for Gia Lai's department (E7601)", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: dvs + codes,
			Body: strings.ReplaceAll(strings.ReplaceAll(lcPayload, "LC.SKHCN", "GL25.SKHCN"), "CDS.QUY.SO.LC", "CDS.QUY.SO.GL")}, Status: 409, DHIS2: true,
			Contains: []string{`"errorCode":"E7601"`, `"httpStatus":"Conflict"`, "CDS.QUY.SO.GL"}, Before: snapDenied("baocao.laichau"), Check: refused("baocao.laichau")},
		{Name: "a reporter may not force locks", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: dvs + codes + "&force=true", Body: lcPayload}, Status: 403,
			Before: snapDenied("baocao.laichau"), Check: refused("baocao.laichau")},

		// A DHIS2 client's JSON payload, named by codes.
		{Name: "dry run: an import summary, nothing written", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/v1/dataValueSets" + codes + "&dryRun=true", Body: lcPayload}, Status: 200,
			Contains: []string{`"importCount":{"imported":5,"updated":0,"ignored":0,"deleted":0}`, `"conflicts":[]`, `"dryRun":true`},
			Before:   snap, Check: both(unchanged, auditKind("report.values.import", "", 0))},
		{Name: "Lai Châu's Sở KH&CN imports its quarter", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: dvs + codes, Body: lcPayload}, Status: 200,
			Contains: []string{`"httpStatus":"OK"`, `"httpStatusCode":200`, `"status":"OK"`, `"message":"Import was successful."`, `"dataSetComplete":"false"`},
			Check:    both(counts("SUCCESS", 5, 0, 0, 0), value("LC.SKHCN", "CDS.HS.TIEPNHAN", "2026Q4", "1200"), auditKind("report.values.import", "imported 5", 1))},
		{Name: "the same payload again is ignored", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/v1/dataValueSets.json" + codes, Body: lcPayload}, Status: 200,
			Before: snap, Check: both(counts("SUCCESS", 0, 0, 5, 0), unchanged, auditKind("report.values.import", "", 1))},
		{Name: "dry run of a change: counted as updated, nothing changes", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/dataValueSets.json" + codes + "&dryRun=true",
			Body: strings.Replace(lcPayload, `"1200"`, `"1300"`, 1)}, Status: 200,
			Before: snap, Check: both(counts("SUCCESS", 0, 1, 4, 0), unchanged, value("LC.SKHCN", "CDS.HS.TIEPNHAN", "2026Q4", "1200"))},
		{Name: "a value of another province's unit is a conflict (E7617), the rest imports", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: dvs + codes,
			Body: `{"dataValues":[{"dataElement":"CDS.HS.TIEPNHAN","period":"2026Q4","orgUnit":"LC.SKHCN","value":"1250"},
				{"dataElement":"CDS.HS.TIEPNHAN","period":"2026Q4","orgUnit":"GL25.SKHCN","value":"9"}]}`}, Status: 200,
			Contains: []string{`"status":"WARNING"`, `"message":"Import completed with warnings, please check import summary."`, "GL25.SKHCN", "baocao.laichau", `"rejectedIndexes":[1]`, `"indexes":[1]`},
			Check:    both(counts("WARNING", 0, 1, 1, 0, "E7617"), value("LC.SKHCN", "CDS.HS.TIEPNHAN", "2026Q4", "1250"))},
		{Name: "identifiers as tinhso's ids (UID)", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: dvs,
			Body: `{"dataValues":[{"dataElement":"{var:deTiepNhan}","period":"2026Q4","orgUnit":"{unit:LC.SKHCN}","categoryOptionCombo":"HllvX50cXC0","value":"1260"},
				{"dataElement":"CDS.HS.TIEPNHAN","period":"2026Q4","orgUnit":"{unit:LC.SKHCN}","value":"1"}]}`}, Status: 200,
			Before: ids, Contains: []string{`"object":"CDS.HS.TIEPNHAN"`}, Check: both(counts("WARNING", 0, 1, 1, 0, "E7610"), value("LC.SKHCN", "CDS.HS.TIEPNHAN", "2026Q4", "1260"))},
		{Name: "empty value with no comment deletes", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: dvs + codes,
			Body: `{"dataValues":[{"dataElement":"CDS.HS.TRUCTUYEN","period":"2026Q4","orgUnit":"LC.SKHCN","value":""}]}`}, Status: 200,
			Check: counts("SUCCESS", 0, 0, 0, 1)},
		{Name: "importStrategy=DELETE deletes", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: dvs + codes + "&importStrategy=DELETE",
			Body: `{"dataValues":[{"dataElement":"CDS.DVC.TOANTRINH","period":"2026Q4","orgUnit":"LC.SKHCN","value":"45.5"}]}`}, Status: 200,
			Check: counts("SUCCESS", 0, 0, 0, 1)},
		{Name: "an empty payload is a successful import of nothing", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: dvs, Body: `{}`}, Status: 200,
			Contains: []string{`"message":"Import was successful."`}, Before: snap, Check: unchanged},

		// CSV, as DHIS2 and Excel write it.
		{Name: "Gia Lai's coordinator imports DHIS2 CSV with a byte-order mark", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: dvs + codes, Body: glCSV, Headers: csvHeaders}, Status: 200,
			Check: both(counts("SUCCESS", 2, 0, 0, 0), value("GL25.SKHCN", "CDS.HS.TIEPNHAN", "2026Q4", "500"))},
		{Name: "text/csv is CSV too; again, ignored", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/dataValueSets" + codes, Body: glCSV,
			Headers: map[string]string{"Content-Type": "text/csv; charset=utf-8"}}, Status: 200, Before: snap, Check: both(counts("SUCCESS", 0, 0, 2, 0), unchanged)},
		{Name: "CSV without a header row", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: dvs + codes + "&firstRowIsHeader=false",
			Body: "CDS.VB.DI,2026Q4,GL25.SKHCN,,,40\n", Headers: csvHeaders}, Status: 200, Check: counts("SUCCESS", 1, 0, 0, 0)},

		// Set-level refusals: 409, nothing read further.
		{Name: "an unknown data set (E7600)", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: dvs + codes, Body: strings.Replace(lcPayload, "CDS.QUY.SO.LC", "KHONG.CO", 1)}, Status: 409, DHIS2: true,
			Contains: []string{`"errorCode":"E7600"`, "KHONG.CO", `"status":"ERROR"`}, Before: snap, Check: unchanged},
		{Name: "an unknown set-level org unit (E7603)", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: dvs + codes, Body: strings.Replace(lcPayload, `"orgUnit":"LC.SKHCN"`, `"orgUnit":"LC.KHONGCO"`, 1)}, Status: 409, DHIS2: true,
			Contains: []string{`"errorCode":"E7603"`, "LC.KHONGCO"}, Before: snap, Check: unchanged},
		{Name: "a set-level attribute option combo (E7604)", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: dvs + codes, Body: strings.Replace(lcPayload, `"period":"2026Q4",`, `"period":"2026Q4","attributeOptionCombo":"NGUONVON",`, 1)}, Status: 409, DHIS2: true,
			Contains: []string{`"errorCode":"E7604"`, "NGUONVON"}, Before: snap, Check: unchanged},
		{Name: "a data set named by id in the CSV's dataSet parameter", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: dvs + "?dataElementIdScheme=CODE&orgUnitIdScheme=CODE&dataSet=999999",
			Body: glCSV, Headers: csvHeaders}, Status: 409, DHIS2: true, Contains: []string{`"errorCode":"E7600"`}, Before: snap, Check: unchanged},

		// Force: an administrator writes a locked quarter, audited as such.
		{Name: "a locked quarter without force (E7643)", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: dvs + codes, Body: one("CDS.HS.TIEPNHAN", "2026Q3", "LC.SKHCN", "", "", "900")}, Status: 200,
			Before: snap, Check: both(counts("WARNING", 0, 0, 1, 0, "E7643"), unchanged)},
		{Name: "Lai Châu's administrator forces the locked quarter", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: dvs + codes + "&force=true", Body: one("CDS.HS.TIEPNHAN", "2026Q3", "LC.SKHCN", "", "", "900")}, Status: 200,
			Check: both(counts("SUCCESS", 1, 0, 0, 0), value("LC.SKHCN", "CDS.HS.TIEPNHAN", "2026Q3", "900"), auditKind("report.values.import", "force", 1))},
		{Name: "force does not widen the scope", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: dvs + codes + "&force=true", Body: one("CDS.HS.TIEPNHAN", "2026Q3", "GL25.SKHCN", "", "", "900")}, Status: 200,
			Before: snap, Check: both(counts("WARNING", 0, 0, 1, 0, "E7617"), unchanged)},

		// Async: a job with DHIS2's notifier endpoint; its owner or an administrator reads it.
		{Name: "async import starts a job", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: dvs + codes + "&async=true", Body: strings.Replace(lcPayload, `"1200"`, `"1400"`, 1)}, Status: 200,
			Check: job},
		{Name: "the owner follows the job's notifications", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/system/tasks/DATAVALUE_IMPORT/{var:job}"}, Status: 200,
			Contains: []string{`"completed":true`, "Import complete with status SUCCESS", "Process started", `"category":"DATAVALUE_IMPORT"`, `"level":"INFO"`},
			Check:    value("LC.SKHCN", "CDS.HS.TIEPNHAN", "2026Q4", "1400")},
		{Name: "the owner reads the job's summary", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/system/taskSummaries/DATAVALUE_IMPORT/{var:job}"}, Status: 200,
			Contains: []string{`"responseType":"ImportSummary"`, `"status":"SUCCESS"`, `"updated":1`}},
		{Name: "Lai Châu's administrator reads the job", Call: testapp.Call{User: "quantri.laichau", Method: "GET", Path: "/api/system/taskSummaries/DATAVALUE_IMPORT/{var:job}"}, Status: 200},
		{Name: "another official may not read the job", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/system/tasks/DATAVALUE_IMPORT/{var:job}"}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "Gia Lai's coordinator may not read Lai Châu's job", Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: "/api/system/taskSummaries/DATAVALUE_IMPORT/{var:job}"}, Status: 403},
		{Name: "a job that does not exist", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/system/tasks/DATAVALUE_IMPORT/aaaaaaaaaaa"}, Status: 404},
		{Name: "a job's status needs credentials", Call: testapp.Call{Method: "GET", Path: "/api/system/tasks/DATAVALUE_IMPORT/{var:job}"}, Status: 401},

		// Export.
		{Name: "an export needs credentials", Call: testapp.Call{Method: "GET", Path: dvs + "?dataSet=1&period=2026Q4&orgUnit=1"}, Status: 401},
		{Name: "an export without a data set (E2001)", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: dvs + "?inputIdScheme=CODE&period=2026Q4&orgUnit=LC.SKHCN"}, Status: 409, DHIS2: true,
			Contains: []string{`"errorCode":"E2001"`}},
		{Name: "an export without periods (E2002)", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: dvs + "?inputIdScheme=CODE&dataSet=CDS.QUY.SO.LC&orgUnit=LC.SKHCN"}, Status: 409, DHIS2: true,
			Contains: []string{`"errorCode":"E2002"`}},
		{Name: "an export with periods and dates (E2003)", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: dvs + "?inputIdScheme=CODE" + lc + "&startDate=2026-01-01&endDate=2026-12-31"}, Status: 409, DHIS2: true,
			Contains: []string{`"errorCode":"E2003"`}},
		{Name: "an export with the dates reversed (E2004)", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: dvs + "?inputIdScheme=CODE&dataSet=CDS.QUY.SO.LC&orgUnit=LC.SKHCN&startDate=2026-12-31&endDate=2026-01-01"}, Status: 409, DHIS2: true,
			Contains: []string{`"errorCode":"E2004"`}},
		{Name: "an export without an org unit (E2006)", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: dvs + "?inputIdScheme=CODE&dataSet=CDS.QUY.SO.LC&period=2026Q4"}, Status: 409, DHIS2: true,
			Contains: []string{`"errorCode":"E2006"`}},
		{Name: "an export of another province's unit (E2012)", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: dvs + "?inputIdScheme=CODE&idScheme=CODE&dataSet=CDS.QUY.SO.GL&period=2026Q4&orgUnit=GL25.SKHCN"}, Status: 409, DHIS2: true,
			Contains: []string{`"errorCode":"E2012"`, "GL25.SKHCN"}, Before: snapDenied("baocao.laichau"), Check: refused("baocao.laichau")},
		{Name: "the export by codes, DHIS2's members", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: dvs + "?inputIdScheme=CODE&idScheme=CODE" + lc}, Status: 200,
			Contains: []string{`{"dataSet":"CDS.QUY.SO.LC","completeDate":"","period":"2026Q4","orgUnit":"LC.SKHCN","dataValues":[`,
				`"dataElement":"CDS.HS.TIEPNHAN","period":"2026Q4","orgUnit":"LC.SKHCN","categoryOptionCombo":"default","attributeOptionCombo":"default","value":"1400","storedBy":"baocao.laichau"`,
				`"categoryOptionCombo":"MOTPHAN"`, `"comment":"Gồm dịch vụ công một phần"`, `"followup":false`, `+0000"`}},
		{Name: "the export by ids", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: dvs + ".json?dataSet={var:dsSoLC}&period=2026Q4&orgUnit={unit:LC.SKHCN}"}, Status: 200,
			Contains: []string{`"dataElement":"{var:deTiepNhan}"`, `"categoryOptionCombo":"HllvX50cXC0"`, `"categoryOptionCombo":"{var:cocToanTrinh}"`}},
		{Name: "the export as CSV (.csv)", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: dvs + ".csv?inputIdScheme=CODE&idScheme=CODE" + lc}, Status: 200,
			Header:   map[string]string{"Content-Type": "application/csv"},
			Contains: []string{"dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment,followup,deleted\n", "CDS.HS.TIEPNHAN,2026Q4,LC.SKHCN,default,default,1400,baocao.laichau,"}},
		{Name: "the export as CSV (Accept)", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/dataValueSets?inputIdScheme=CODE&idScheme=CODE" + lc, Headers: map[string]string{"Accept": "text/csv"}}, Status: 200,
			Contains: []string{"CDS.DVC.SO,2026Q4,LC.SKHCN,TOANTRINH,default,12,"}},
		{Name: "the versioned export as JSON", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/dataValueSets.json?inputIdScheme=CODE&idScheme=CODE" + lc}, Status: 200,
			Contains: []string{`"value":"1400"`}},
		{Name: "the versioned export as CSV", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/dataValueSets.csv?inputIdScheme=CODE&idScheme=CODE" + lc}, Status: 200,
			Contains: []string{"CDS.HS.TIEPNHAN,2026Q4,LC.SKHCN"}},
		{Name: "a province with its children, over a date range", Call: testapp.Call{User: "quantri.laichau", Method: "GET", Path: dvs + "?inputIdScheme=CODE&idScheme=CODE&dataSet=CDS.QUY.SO.LC&orgUnit=LC&children=true&startDate=2026-07-01&endDate=2026-12-31"}, Status: 200,
			Contains: []string{`{"dataValues":[`, `"period":"2026Q3"`, `"period":"2026Q4"`, `"orgUnit":"LC.SKHCN"`}},
		{Name: "a leader reads Gia Lai's values", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: dvs + "?inputIdScheme=CODE&idScheme=CODE&dataSet=CDS.QUY.SO.GL&period=2026Q4&orgUnit=GL25.SKHCN"}, Status: 200,
			Contains: []string{`"value":"500"`, `"comment":"Ghi chú, có dấu phẩy"`}},
		{Name: "Lai Châu's reporter may not read the province with children (E2012)", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: dvs + "?inputIdScheme=CODE&dataSet=CDS.QUY.SO.LC&orgUnit=LC&children=true&period=2026Q4"}, Status: 409, DHIS2: true,
			Contains: []string{`"errorCode":"E2012"`}},

		// Metadata.
		{Name: "metadata needs credentials", Call: testapp.Call{Method: "GET", Path: "/api/dataElements"}, Status: 401},
		{Name: "data elements in DHIS2's envelope", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/dataElements"}, Status: 200,
			Contains: []string{`"pager":{`, `"pageSize":50`, `"dataElements":[{`, `"displayName":"`}, Absent: []string{`"code":`}},
		{Name: "a data element by code, with fields", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/dataElements.json?filter=code:eq:CDS.HS.TIEPNHAN&fields=id,code,name,valueType,dataSetElements[dataSet[id,code]]"}, Status: 200,
			Contains: []string{`"total":1`, `"code":"CDS.HS.TIEPNHAN"`, `"id":"{var:deTiepNhan}"`, `"valueType":"INTEGER_ZERO_OR_POSITIVE"`, `"code":"CDS.QUY.SO.LC"`}},
		{Name: "derived indicators are not data elements", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/dataElements?paging=false&fields=code"}, Status: 200,
			Contains: []string{`"code":"CDS.HS.TIEPNHAN"`}, Absent: []string{`"code":"CDS.HS.TRUCTUYEN.TYLE"`, `"pager"`}},
		{Name: "one data element", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/dataElements/{var:deTiepNhan}"}, Status: 200,
			Contains: []string{`"code":"CDS.HS.TIEPNHAN"`, `"aggregationType":"SUM"`, `"categoryCombo":{"id":"bjDvmb4bfuf"}`}},
		{Name: "a data set with its elements and units", Call: testapp.Call{User: "baocao.laichau", Method: "GET",
			Path: "/api/dataSets?filter=code:eq:CDS.QUY.SO.LC&fields=id,code,name,displayName,periodType,dataSetElements[dataElement[id,code]],organisationUnits[id,code]"}, Status: 200,
			Contains: []string{`"periodType":"Quarterly"`, `"code":"LC.SKHCN"`, `"code":"CDS.DVC.SO"`}},
		{Name: "data sets as JSON", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/dataSets.json?fields=code&filter=code:$like:CDS.QUY&pageSize=2&page=2"}, Status: 200,
			Contains: []string{`"page":2`, `"pageSize":2`, `"prevPage":`}},
		{Name: "one data set", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/dataSets/{var:dsSoLC}.json"}, Status: 200,
			Contains: []string{`"code":"CDS.QUY.SO.LC"`, `{"id":"{unit:LC.SKHCN}"}`}},
		{Name: "org units: a district of the old Gia Lai, its parent and closing date", Call: testapp.Call{User: "baocao.pleiku", Method: "GET",
			Path: "/api/organisationUnits?filter=code:eq:GL.PLEIKU&fields=id,code,name,level,parent[id,code],closedDate"}, Status: 200,
			Contains: []string{`"code":"GL.PLEIKU"`, `"level":3`, `"parent":{"code":"GL","id":"{unit:GL}"}`, `"closedDate":"2025-06-30T00:00:00.000"`}},
		{Name: "org units by name, accents aside", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/organisationUnits.json?filter=name:ilike:" + url.QueryEscape("lai chau") + "&filter=level:eq:2&fields=code"}, Status: 200,
			Contains: []string{`"code":"LC"`, `"total":1`}},
		{Name: "one org unit", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/organisationUnits/{unit:GL25}"}, Status: 200,
			Contains: []string{`"code":"GL25"`, `"level":2`, `"path":"/{unit:VN}/{unit:GL25}"`, `"parent":{"id":"{unit:VN}"}`}},
		{Name: "an org unit that does not exist", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/organisationUnits/999999"}, Status: 404, DHIS2: true,
			Contains: []string{"OrganisationUnit with id 999999 could not be found."}},
		{Name: "a filter that is not one", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/organisationUnits?filter=code:sortof:GL"}, Status: 409, DHIS2: true},
		{Name: "category option combos: DHIS2's default and the options", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/categoryOptionCombos?fields=id,code,name&paging=false"}, Status: 200,
			Contains: []string{`"id":"HllvX50cXC0"`, `"code":"TOANTRINH"`}},
		{Name: "category option combos as JSON", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/categoryOptionCombos.json?filter=code:eq:default"}, Status: 200,
			Contains: []string{`"total":1`}},
		{Name: "one category option combo", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/categoryOptionCombos/HllvX50cXC0"}, Status: 200,
			Contains: []string{`"name":"default"`}},
		{Name: "data elements as JSON", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/dataElements.json?fields=:identifiable&pageSize=1"}, Status: 200,
			Contains: []string{`"pageSize":1`, `"nextPage":"http://`}},
		{Name: "org units, the default list", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/organisationUnits?order=name:desc&pageSize=3"}, Status: 200,
			Contains: []string{`"organisationUnits":[`}},
		{Name: "/api/me", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/me"}, Status: 200,
			Contains: []string{`"username":"baocao.laichau"`, `"F_DATAVALUE_ADD"`, `"organisationUnits":[{"id":"{unit:LC.SKHCN}"}]`, `"surname":"Bùi"`}},
		{Name: "/api/me.json with fields", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/me.json?fields=id,username,authorities"}, Status: 200,
			Contains: []string{`"username":"lanhdao"`, `"authorities":[]`}, Absent: []string{`"email"`}},
		{Name: "/api/me needs credentials", Call: testapp.Call{Method: "GET", Path: "/api/me"}, Status: 401},
		{Name: "/api/system/info", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/system/info"}, Status: 200,
			Contains: []string{`"version":"2.42.0"`, `"calendar":"iso8601"`, `"serverTimeZoneId":"Asia/Ho_Chi_Minh"`}},
		{Name: "/api/system/info.json", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/system/info.json"}, Status: 200, Contains: []string{`"systemName":"tinhso"`}},

		// Last: an approved report locks its values (E7642).
		{Name: "values of an approved report are refused (E7642)", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: dvs + codes, Body: one("CDS.HS.TIEPNHAN", "2026Q4", "GL25.SKHCN", "", "", "501")}, Status: 200,
			Before: approve, Contains: []string{"Data is already approved for data set: `CDS.QUY.SO.GL` period: `2026Q4` organisation unit: `GL25.SKHCN`"},
			Check: both(counts("WARNING", 0, 0, 1, 0, "E7642"), unchanged, value("GL25.SKHCN", "CDS.HS.TIEPNHAN", "2026Q4", "500"))},
	}
}
