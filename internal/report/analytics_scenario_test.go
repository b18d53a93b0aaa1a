package report_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// TestAnalyticsAPIScenarios is the analytics API's table: every route
// (/api/analytics and /api/v1/analytics, .json, .csv, .xlsx), DHIS2's
// answer and error shapes, the contract of the acceptance tests, relative
// periods, the roles and provinces that must be refused (each refusal
// audited once), and every bad parameter answered 409 with an E71xx code,
// never 500.
func TestAnalyticsAPIScenarios(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		f := newAnaFixture(t, app)
		f.write("CDS.HS.TIEPNHAN GL.PLEIKU 2024Q1 120", "CDS.HS.TIEPNHAN GL.PLEIKU 2024Q2 80", "CDS.HS.TIEPNHAN GL.ANKHE 2024Q3 50",
			"CDS.HS.TRUCTUYEN GL.PLEIKU 2024Q1 60", "CDS.HS.TIEPNHAN LC.SKHCN 2024Q1 30", "T.AN.SUM GL.PLEIKU 2025Q2 3", "T.AN.SUM GL.PLEIKU 2024Q4 4")
		vars := map[string]string{"tiepnhan": fmt.Sprint(f.ind["CDS.HS.TIEPNHAN"])}
		table := dhis2Errors(analyticsScenarios())
		app.Run(t, vars, table)
		app.CheckCoverage(t, vars, table, "analytics")
	})
}

// dhis2Errors marks every row of an analytics table as DHIS2's (errors
// are WebMessages, problem+json only for the 401 authentication answers
// before analytics) and checks that a refusal carries an E71xx code.
func dhis2Errors(table []testapp.Scenario) []testapp.Scenario {
	for i := range table {
		sc := &table[i]
		sc.DHIS2 = true
		if sc.Status < 400 || sc.Status == 401 {
			continue
		}
		check := sc.Check
		sc.Check = func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
			t.Helper()
			var e struct {
				HTTPStatus string `json:"httpStatus"`
				ErrorCode  string `json:"errorCode"`
			}
			testapp.JSON(t, body, &e)
			if e.HTTPStatus != http.StatusText(sc.Status) || !strings.HasPrefix(e.ErrorCode, "E71") {
				t.Errorf("not DHIS2's analytics error: %s", body)
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type %q", h.Get("Content-Type"))
			}
			if check != nil {
				check(t, app, body, h)
			}
		}
	}
	return table
}

func analyticsScenarios() []testapp.Scenario {
	var denied int
	snapDenied := func(user string) func(*testing.T, *testapp.App) {
		return func(t *testing.T, app *testapp.App) { denied = app.Denials(t, user) }
	}
	refused := func(user string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			t.Helper()
			if n := app.Denials(t, user) - denied; n != 1 {
				t.Errorf("%d access.denied rows for one refusal of %s", n, user)
			}
		}
	}
	type grid struct {
		Headers []struct {
			Name, Column, ValueType, Type string
			Hidden, Meta                  bool
		}
		Rows     [][]string
		MetaData struct {
			Items      map[string]struct{ Name string }
			Dimensions map[string][]string
		}
		HeaderWidth, Height, Width int
	}
	shape := func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
		t.Helper()
		var g grid
		testapp.JSON(t, body, &g)
		want := []string{"dx|Data|TEXT|java.lang.String|false|true", "pe|Period|TEXT|java.lang.String|false|true",
			"ou|Organisation unit|TEXT|java.lang.String|false|true", "value|Value|NUMBER|java.lang.Double|false|false"}
		var got []string
		for _, h := range g.Headers {
			b, _ := json.Marshal(h.Hidden)
			m, _ := json.Marshal(h.Meta)
			got = append(got, strings.Join([]string{h.Name, h.Column, h.ValueType, h.Type, string(b), string(m)}, "|"))
		}
		if !slices.Equal(got, want) {
			t.Errorf("headers %v", got)
		}
		if g.HeaderWidth != 4 || g.Width != 4 || g.Height != len(g.Rows) || len(g.Rows) == 0 {
			t.Errorf("headerWidth %d width %d height %d rows %d", g.HeaderWidth, g.Width, g.Height, len(g.Rows))
		}
		for _, k := range []string{"dx", "pe", "ou"} {
			if g.MetaData.Items[k].Name == "" {
				t.Errorf("metaData.items lacks %s", k)
			}
			for _, id := range g.MetaData.Dimensions[k] {
				if g.MetaData.Items[id].Name == "" {
					t.Errorf("metaData.items lacks %s %s", k, id)
				}
			}
		}
		if _, ok := g.MetaData.Dimensions["co"]; !ok {
			t.Errorf("metaData.dimensions lacks co")
		}
	}
	periods := func(want ...string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
			t.Helper()
			var g grid
			testapp.JSON(t, body, &g)
			if got := g.MetaData.Dimensions["pe"]; !slices.Equal(got, want) {
				t.Errorf("pe %v, want %v", got, want)
			}
		}
	}
	conflict := func(name, query, code string) testapp.Scenario {
		return testapp.Scenario{Name: name, Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: "/api/v1/analytics?" + query}, Status: 409,
			Contains: []string{`"httpStatus":"Conflict"`, `"errorCode":"` + code + `"`}}
	}
	base := "dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&dimension=ou:{unit:GL}"
	var months []string
	for y := 2016; y <= 2025; y++ {
		for m := 1; m <= 12; m++ {
			months = append(months, fmt.Sprintf("%d%02d", y, m))
		}
	}
	tooMany := conflict("too many cells", "dimension=dx:CDS.HS.TIEPNHAN;CDS.HS.TRUCTUYEN;CDS.HS.GIAIQUYET;CDS.HS.DUNGHAN;CDS.VB.DI&dimension=pe:"+strings.Join(months, ";")+"&dimension=ou:LEVEL-3;{unit:VN}", "E7128")
	tooMany.Call.User = "admin"
	return []testapp.Scenario{
		{Name: "analytics need credentials", Call: testapp.Call{Method: "GET", Path: "/api/analytics?" + base}, Status: 401},
		{Name: "the v1 spelling needs credentials too", Call: testapp.Call{Method: "GET", Path: "/api/v1/analytics.json?" + base}, Status: 401},

		// The acceptance test's contract and DHIS2's shape.
		{Name: "dx by code, a year, a unit by id", Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: "/api/v1/analytics?" + base}, Status: 200,
			Contains: []string{`"headers"`, `"rows"`, `["{var:tiepnhan}","2024","{unit:GL}","250"]`, `"approval":"all"`}, Check: shape},
		{Name: "the unversioned path answers alike", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/analytics?" + base}, Status: 200, Check: shape},
		{Name: ".json is the same answer", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/analytics.json?" + base + "&outputIdScheme=CODE"}, Status: 200,
			Contains: []string{`["CDS.HS.TIEPNHAN","2024","GL","250"]`}, Check: shape},
		{Name: "v1 .json", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/analytics.json?" + base}, Status: 200, Check: shape},
		{Name: ".csv downloads with a BOM", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/analytics.csv?" + base + "&outputIdScheme=CODE"}, Status: 200,
			Header: map[string]string{"Content-Type": "text/csv"}, Contains: []string{"\ufeffData,Period,Organisation unit,Value\r\nCDS.HS.TIEPNHAN,2024,GL,250\r\n"}},
		{Name: "v1 .csv", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/analytics.csv?" + base}, Status: 200, Header: map[string]string{"Content-Type": "text/csv"}},
		{Name: ".xlsx downloads a workbook", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/analytics.xlsx?" + base}, Status: 200,
			Header: map[string]string{"Content-Type": "spreadsheetml"}},
		{Name: "v1 .xlsx", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/analytics.xlsx?" + base}, Status: 200, Header: map[string]string{"Content-Type": "spreadsheetml"}},
		{Name: "a derived rate as a filter of units", Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: "/api/v1/analytics?dimension=dx:CDS.HS.TRUCTUYEN.TYLE&dimension=pe:2024Q1&filter=ou:{unit:GL}&outputIdScheme=CODE"},
			Status: 200, Contains: []string{`["CDS.HS.TRUCTUYEN.TYLE","2024Q1","50.0"]`}},
		{Name: "relative periods expand into ISO ids", Call: testapp.Call{User: "dieuphoi", Method: "GET",
			Path: "/api/v1/analytics?dimension=dx:T.AN.SUM&dimension=pe:LAST_5_YEARS;THIS_YEAR&filter=ou:{unit:GL25}&relativePeriodDate=2026-03-15&outputIdScheme=CODE"},
			Status: 200, Contains: []string{`"LAST_5_YEARS":{"name":"5 năm trước"}`, `["T.AN.SUM","2024","4"]`, `["T.AN.SUM","2025","3"]`},
			Check: periods("2021", "2022", "2023", "2024", "2025", "2026")},
		{Name: "last 4 quarters and months of this year", Call: testapp.Call{User: "dieuphoi", Method: "GET",
			Path: "/api/v1/analytics?dimension=dx:T.AN.SUM&dimension=pe:LAST_4_QUARTERS;LAST_2_SIXMONTHS;THIS_NINE_MONTHS&filter=ou:{unit:GL25}&relativePeriodDate=2025-08-01"},
			Status: 200, Check: periods("2024Q3", "2024Q4", "2025Q1", "2025Q2", "2024S2", "2025S1", "2025NM")},
		{Name: "last 12 months", Call: testapp.Call{User: "dieuphoi", Method: "GET",
			Path: "/api/v1/analytics?dimension=dx:T.AN.SUM&dimension=pe:LAST_12_MONTHS&filter=ou:{unit:GL25}&relativePeriodDate=2025-01-20"},
			Status: 200, Check: periods("202401", "202402", "202403", "202404", "202405", "202406", "202407", "202408", "202409", "202410", "202411", "202412")},
		{Name: "an error in English", Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: "/api/v1/analytics?" + base + "&dimension=pe:THIS_YEAR", Headers: map[string]string{"Accept-Language": "en"}},
			Status: 409, Contains: []string{`"errorCode":"E7111"`, "given twice"}},
		{Name: "approved data only, stated", Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: "/api/v1/analytics?" + base + "&approval=approved"}, Status: 200,
			Contains: []string{`"approval":"approved"`, `"rows":[]`}},
		{Name: "DHIS2's approvalLevel names the same choice", Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: "/api/v1/analytics?" + base + "&approvalLevel=accepted"}, Status: 200,
			Contains: []string{`"approval":"accepted"`}},
		{Name: "no ou: the user's own units as a filter", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/analytics?dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&outputIdScheme=CODE"}, Status: 200,
			Contains: []string{`["CDS.HS.TIEPNHAN","2024","200"]`, `"ou":["GL.PLEIKU"]`}},
		{Name: "a reporter reads USER_ORGUNIT", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/analytics?dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&dimension=ou:USER_ORGUNIT"}, Status: 200,
			Contains: []string{`"{unit:GL.PLEIKU}","200"]`}},

		// Scope: an official reads only units under report.view.
		{Name: "Pleiku's reporter may not read Lai Châu", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/analytics?dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&dimension=ou:{unit:LC}"},
			Status: 403, Contains: []string{`"errorCode":"E7120"`}, Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "Pleiku's reporter may not read An Khê", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/analytics?dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&filter=ou:{unit:GL.ANKHE}"},
			Status: 403, Contains: []string{`"errorCode":"E7120"`}, Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "Gia Lai's leader may not read Lai Châu", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/analytics?dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&dimension=ou:{unit:LC.SKHCN}"},
			Status: 403, Before: snapDenied("lanhdao"), Check: refused("lanhdao")},
		{Name: "Lai Châu's admin may not read Gia Lai", Call: testapp.Call{User: "quantri.laichau", Method: "GET", Path: "/api/v1/analytics?dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&dimension=ou:{unit:GL25}"},
			Status: 403, Before: snapDenied("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "a level under another province", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/analytics?dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&dimension=ou:LEVEL-3-{unit:GL25}"},
			Status: 403, Before: snapDenied("baocao.laichau"), Check: refused("baocao.laichau")},
		{Name: "userOrgUnit outside the scope", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/analytics?dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&dimension=ou:USER_ORGUNIT&userOrgUnit={unit:GL25}"},
			Status: 403, Before: snapDenied("baocao.pleiku"), Check: refused("baocao.pleiku")},
		{Name: "Lai Châu's reporter reads Lai Châu", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/analytics?dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&dimension=ou:{unit:LC.SKHCN}&outputIdScheme=CODE"},
			Status: 200, Contains: []string{`["CDS.HS.TIEPNHAN","2024","LC.SKHCN","30"]`}},

		// Bad queries: DHIS2's 409 with the code that names the mistake.
		conflict("no data dimension", "dimension=pe:2024&dimension=ou:{unit:GL}", "E7102"),
		conflict("no period", "dimension=dx:CDS.HS.TIEPNHAN&dimension=ou:{unit:GL}", "E7104"),
		conflict("start and end dates", "dimension=dx:CDS.HS.TIEPNHAN&startDate=2024-01-01&endDate=2024-12-31", "E7104"),
		conflict("dates and periods", base+"&startDate=2024-01-01", "E7105"),
		conflict("an unknown dimension", base+"&dimension=xy:1", "E7125"),
		conflict("a dimension twice", base+"&dimension=dx:CDS.HS.TRUCTUYEN", "E7111"),
		conflict("a dimension and a filter", base+"&filter=pe:2023", "E7103"),
		conflict("co as a filter", base+"&filter=co", "E7110"),
		conflict("two data items as a filter", "filter=dx:CDS.HS.TIEPNHAN;CDS.HS.TRUCTUYEN&dimension=pe:2024&dimension=ou:{unit:GL}", "E7108"),
		conflict("an empty dimension", "dimension=dx:&dimension=pe:2024", "E7124"),
		conflict("a quarter that is not one", "dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024Q5&dimension=ou:{unit:GL}", "E7124"),
		conflict("an unknown relative period", "dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:LAST_7_WEEKS&dimension=ou:{unit:GL}", "E7124"),
		conflict("an unknown indicator", "dimension=dx:KHONG.CO&dimension=pe:2024&dimension=ou:{unit:GL}", "E7124"),
		conflict("an unknown category option", "dimension=dx:CDS.DVC.SO.KHONGCO&dimension=pe:2024&dimension=ou:{unit:GL}", "E7124"),
		conflict("an operand of a derived indicator", "dimension=dx:CDS.HS.TRUCTUYEN.TYLE.X&dimension=pe:2024&dimension=ou:{unit:GL}", "E7124"),
		conflict("a reporting rate of a form that does not exist", "dimension=dx:KHONG.CO.REPORTING_RATE&dimension=pe:2024&dimension=ou:{unit:GL}", "E7124"),
		conflict("an unknown unit", "dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&dimension=ou:KHONGCO", "E7124"),
		conflict("a unit group", "dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&dimension=ou:OU_GROUP-x", "E7124"),
		conflict("a level that is not one", "dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&dimension=ou:LEVEL-x", "E7124"),
		conflict("a unit that did not exist on asOf", "dimension=dx:CDS.HS.TIEPNHAN&dimension=pe:2024&dimension=ou:{unit:GL25}&asOf=2024-12-31", "E7124"),
		conflict("a date that is not one", base+"&asOf=2024-13-01", "E7100"),
		conflict("a relative period date that is not one", base+"&relativePeriodDate=hom-nay", "E7100"),
		conflict("an unknown approval", base+"&approval=some", "E7100"),
		conflict("an approval level tinhso lacks", base+"&approvalLevel=aBcDeF12345", "E7122"),
		conflict("an unknown id scheme", base+"&outputIdScheme=ATTRIBUTE", "E7100"),
		conflict("an unknown ouMode", base+"&ouMode=ALL", "E7100"),
		conflict("a flag that is not one", base+"&skipMeta=yes", "E7100"),
		tooMany,
	}
}
