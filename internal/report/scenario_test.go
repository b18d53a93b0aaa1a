package report_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// glForms is a Gia Lai quarterly form assigned to the old province's
// districts until 30 June 2025 and to the new province's communes since.
const glForms = `{"indicators":[
 {"code":"T.DVC.HOSO","name":"Số hồ sơ tiếp nhận","valueType":"INTEGER","measure":"hồ sơ","aggregation":"sum","timeAggregation":"sum","responsibleUnit":"GL25.SKHCN"},
 {"code":"T.DVC.TRUCTUYEN","name":"Số hồ sơ trực tuyến","valueType":"INTEGER","measure":"hồ sơ","aggregation":"sum","timeAggregation":"sum",
  "categoryOptions":[{"code":"TOANTRINH","name":"Toàn trình"},{"code":"MOTPHAN","name":"Một phần"}]},
 {"code":"T.DVC.TYLE","name":"Tỷ lệ hồ sơ trực tuyến","valueType":"PERCENTAGE","measure":"%","aggregation":"none","timeAggregation":"none",
  "numerator":"T.DVC.TRUCTUYEN","denominator":"T.DVC.HOSO","factor":100}],
 "forms":[{"code":"T.CDS.QUY","name":"Báo cáo chuyển đổi số hằng quý","periodType":"Quarterly","deadlineDays":2,"issuerUnit":"GL25",
  "sections":[{"name":"Dịch vụ công trực tuyến","indicators":["T.DVC.HOSO","T.DVC.TRUCTUYEN","T.DVC.TYLE"]}],
  "assign":[{"under":"GL","kinds":["district","town","city"],"to":"2025-06-30"},{"under":"GL25","kinds":["commune","ward","special_zone"],"from":"2025-07-01"}]}]}`

var reportTables = []string{"report_indicators", "report_category_options", "report_forms", "report_form_sections", "report_form_indicators", "report_form_assignments"}

// TestReportAPIScenarios is the reporting domain's API table: every route,
// the roles and provinces that must be refused (each refusal audited once
// and writing nothing), bad documents, and the units of a form on both
// sides of 1 July 2025.
func TestReportAPIScenarios(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		vars := map[string]string{}
		table := append(reportScenarios(vars), excelScenarios(vars)...)
		app.Run(t, vars, table)
		app.CheckCoverage(t, vars, append(table, completenessScenarios()...), "report") // completeness_scenario_test.go runs those
	})
}

func reportScenarios(vars map[string]string) []testapp.Scenario {
	var snapshot map[string]int
	var denied int
	snap := func(t *testing.T, app *testapp.App) { snapshot = app.RowCounts(t, reportTables...) }
	snapDenied := func(user string) func(*testing.T, *testapp.App) {
		return func(t *testing.T, app *testapp.App) {
			snap(t, app)
			denied = app.Denials(t, user)
		}
	}
	unchanged := func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
		t.Helper()
		for table, n := range app.RowCounts(t, reportTables...) {
			if n != snapshot[table] {
				t.Errorf("%s: %d rows before, %d after a rejected write", table, snapshot[table], n)
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
	ids := func(t *testing.T, app *testapp.App) {
		t.Helper()
		for name, q := range map[string]string{
			"form":      `SELECT id FROM report_forms WHERE code = 'T.CDS.QUY'`,
			"indicator": `SELECT id FROM report_indicators WHERE code = 'T.DVC.TYLE'`,
		} {
			var id int64
			if err := app.DB.Read.QueryRow(q).Scan(&id); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			vars[name] = strconv.FormatInt(id, 10)
		}
	}
	result := func(created bool, changes int) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
			t.Helper()
			var r struct {
				Created bool
				Changes int
			}
			testapp.JSON(t, body, &r)
			if r.Created != created || (changes >= 0 && r.Changes != changes) || (changes < 0 && r.Changes == 0) {
				t.Errorf("result %s, want created=%v changes=%d", body, created, changes)
			}
		}
	}
	units := func(want, absent []string, n int) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
			t.Helper()
			var r struct {
				Units []struct{ Code, Kind string }
			}
			testapp.JSON(t, body, &r)
			got := map[string]bool{}
			for _, u := range r.Units {
				got[u.Code] = true
			}
			for _, c := range want {
				if !got[c] {
					t.Errorf("%s missing from %s", c, body)
				}
			}
			for _, c := range absent {
				if got[c] {
					t.Errorf("%s should not report: %s", c, body)
				}
			}
			if len(r.Units) != n {
				t.Errorf("%d units, want %d", len(r.Units), n)
			}
		}
	}
	lcTakeover := strings.Replace(strings.Replace(glForms, `"issuerUnit":"GL25"`, `"issuerUnit":"LC"`, 1), `,"responsibleUnit":"GL25.SKHCN"`, ``, 1)
	lcForm := `{"forms":[{"code":"T.CDS.QUY","name":"Biểu của Lai Châu","periodType":"Quarterly","deadlineDays":2,"issuerUnit":"LC",
		"sections":[{"name":"A","indicators":["T.DVC.HOSO"]}],"assign":[{"under":"LC","kinds":["commune"]}]}]}`
	lcIndicator := `{"indicators":[{"code":"T.DVC.HOSO","name":"Hồ sơ của Lai Châu","valueType":"INTEGER","aggregation":"sum","timeAggregation":"sum"}]}`
	bad := `{"indicators":[{"code":"x y","name":"","valueType":"SO","aggregation":"tong","timeAggregation":"sum"},
		{"code":"T.BAD.D","name":"Tỷ lệ","valueType":"PERCENTAGE","aggregation":"none","timeAggregation":"none","numerator":"T.DVC.TYLE","denominator":"KHONG.CO","factor":100}],
		"forms":[{"code":"T.BAD.F","name":"Biểu","periodType":"Hangquy","deadlineDays":2,"issuerUnit":"KHONG.CO","sections":[{"name":"A","indicators":["KHONG.CO"]}],
		"assign":[{"under":"GL25","kinds":["xa"],"from":"2025-07-01","to":"2025-01-01"}]}]}`
	changed := strings.Replace(glForms, "Báo cáo chuyển đổi số hằng quý", "Báo cáo kết quả chuyển đổi số hằng quý", 1)
	var before string
	return []testapp.Scenario{
		{Name: "indicators need credentials", Call: testapp.Call{Method: "GET", Path: "/api/v1/report/indicators"}, Status: 401},
		{Name: "forms need credentials", Call: testapp.Call{Method: "GET", Path: "/api/v1/report/forms"}, Status: 401},
		{Name: "an import needs credentials", Call: testapp.Call{Method: "POST", Path: "/api/v1/report/import", Body: glForms}, Status: 401},

		// Importing: admins and coordinators, in their own province.
		{Name: "a reporter may not import forms", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/report/import", Body: glForms}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "a leader may not import forms", Call: testapp.Call{User: "lanhdao", Method: "POST", Path: "/api/v1/report/import", Body: glForms}, Status: 403,
			Before: snapDenied("lanhdao"), Check: refused("lanhdao")},
		{Name: "Lai Châu's admin may not import a form issued by Gia Lai", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/report/import", Body: glForms}, Status: 403,
			Before: snapDenied("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "Gia Lai's coordinator imports a form", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/report/import", Body: glForms}, Status: 201,
			Check: func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
				result(true, -1)(t, app, body, h)
				ids(t, app)
				if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'report.import'`); n != 1 {
					t.Errorf("%d report.import audit rows, want 1", n)
				}
			}},
		{Name: "the same document again changes nothing", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/report/import", Body: glForms}, Status: 200,
			Before: snap, Check: func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
				result(false, 0)(t, app, body, h)
				unchanged(t, app, body, h)
			}},
		{Name: "a changed name updates the form by code", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/report/import", Body: changed}, Status: 200,
			Before: snap, Check: func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
				result(false, 1)(t, app, body, h)
				unchanged(t, app, body, h)
			}},
		{Name: "Lai Châu's admin may not take over Gia Lai's form code", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/report/import", Body: lcForm}, Status: 403,
			Before: snapDenied("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "Lai Châu's admin may not take over Gia Lai's form and indicators", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/report/import", Body: lcTakeover}, Status: 403,
			Before: snapDenied("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "Lai Châu's admin may not take over an indicator Gia Lai answers for", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/report/import", Body: lcIndicator}, Status: 403,
			Before: snapDenied("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "a document with every member wrong", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/report/import", Body: bad}, Status: 422,
			Fields: []string{"indicators[0].code", "indicators[0].name", "indicators[0].valueType", "indicators[0].aggregation",
				"indicators[1].numerator", "indicators[1].denominator",
				"forms[0].periodType", "forms[0].issuerUnit", "forms[0].sections[0].indicators[0]", "forms[0].assign[0].kinds[0]", "forms[0].assign[0].to"},
			Before: snap, Check: unchanged},
		{Name: "a derived indicator computed from itself", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/report/import",
			Body: `{"indicators":[{"code":"T.SELF","name":"Vòng","valueType":"NUMBER","aggregation":"none","timeAggregation":"none","numerator":"T.SELF","denominator":"T.DVC.HOSO","factor":1}]}`}, Status: 422,
			Fields: []string{"indicators[0].numerator"}, Before: snap, Check: unchanged},
		{Name: "a form without a deadline or units", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/report/import",
			Body: `{"forms":[{"code":"T.F2","name":"Biểu","periodType":"Monthly","issuerUnit":"GL25","sections":[],"assign":[]}]}`}, Status: 422,
			Fields: []string{"forms[0].deadlineDays", "forms[0].sections", "forms[0].assign"}, Before: snap, Check: unchanged},
		{Name: "an unknown member is refused", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/report/import", Body: `{"bieu":[]}`}, Status: 422,
			Fields: []string{"bieu"}, Before: snap, Check: unchanged},

		// Reading.
		{Name: "a reporter lists the indicators", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/report/indicators"}, Status: 200,
			Contains: []string{`"code":"T.DVC.TYLE"`, `"numerator":"T.DVC.TRUCTUYEN"`, `"TOANTRINH"`, "Sở Khoa học và Công nghệ"}},
		{Name: "one indicator", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/report/indicators/{var:indicator}"}, Status: 200,
			Contains: []string{`"denominator":"T.DVC.HOSO"`, `"factor":100`}},
		{Name: "an indicator that does not exist", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/report/indicators/999999"}, Status: 404},
		{Name: "Lai Châu's reporter lists the forms", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/report/forms"}, Status: 200,
			Contains: []string{`"periodType":"Quarterly"`, `"code":"T.DVC.HOSO"`, "Số hồ sơ trực tuyến", "Dịch vụ công trực tuyến"},
			Check: func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
				// The demo's forms are listed too; this table's form is found by code.
				var list []struct {
					Code     string
					Sections []struct{ Indicators []struct{ Code string } }
				}
				testapp.JSON(t, body, &list)
				var codes []string
				for _, f := range list {
					if f.Code == "T.CDS.QUY" {
						for _, i := range f.Sections[0].Indicators {
							codes = append(codes, i.Code)
						}
					}
				}
				if got := strings.Join(codes, ","); got != "T.DVC.HOSO,T.DVC.TRUCTUYEN,T.DVC.TYLE" {
					t.Errorf("indicators in order %s", got)
				}
				before = string(body)
			}},
		{Name: "one form", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/report/forms/{var:form}"}, Status: 200,
			Contains: []string{`"code":"T.CDS.QUY"`, `"deadlineDays":2`, "Báo cáo kết quả chuyển đổi số hằng quý", `"kind":"ward"`}},
		{Name: "a form that does not exist", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/report/forms/999999"}, Status: 404},

		// Who must report, as the registry stood in the period.
		{Name: "before 1 July 2025 the old province's districts report", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/report/forms/{var:form}/units?period=2024Q4"}, Status: 200,
			Contains: []string{`"asOf":"2024-12-14"`}, Check: units([]string{"GL.PLEIKU", "GL.ANKHE", "GL.AYUNPA"}, []string{"GL25.P.ANKHE", "GL.ANKHE.ANBINH"}, 17)},
		{Name: "since 1 July 2025 the new province's communes and wards report", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/report/forms/{var:form}/units?period=2025Q3"}, Status: 200,
			Contains: []string{`"asOf":"2025-09-14"`, `"label":"Phường An Khê — tỉnh Gia Lai"`}, Check: units([]string{"GL25.P.ANKHE", "GL25.P.ANBINH"}, []string{"GL.PLEIKU"}, 42)},
		{Name: "a period that is not one", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/report/forms/{var:form}/units?period=2025Q5"}, Status: 422, Fields: []string{"period"}},
		{Name: "a period of another type", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/report/forms/{var:form}/units?period=202507"}, Status: 422, Fields: []string{"period"}},
		{Name: "no period", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/report/forms/{var:form}/units"}, Status: 422, Fields: []string{"period"}},
		{Name: "the units of a form that does not exist", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/report/forms/999999/units?period=2025Q3"}, Status: 404},
		{Name: "reading the forms again gives the same answer", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/report/forms"}, Status: 200,
			Check: func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
				if string(body) != before {
					t.Errorf("forms changed:\n%s\nwas\n%s", body, before)
				}
			}},
	}
}
