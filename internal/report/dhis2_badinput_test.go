package report_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestDHIS2BadInput sends each kind of bad input the issue names, as a
// DHIS2 client would: every one is answered with its reason (DHIS2's
// conflict codes value by value, a 409 for a payload refused whole, 413,
// 415), never a 500, and no row of the values, their history or the
// reports changes.
func TestDHIS2BadInput(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		decemberNow(t, app)
		var before map[string]int
		snap := func(t *testing.T, app *testapp.App) { before = app.RowCounts(t, valueTables...) }
		unchanged := func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			t.Helper()
			for table, n := range app.RowCounts(t, valueTables...) {
				if n != before[table] {
					t.Errorf("%s: %d rows before, %d after", table, before[table], n)
				}
			}
		}
		post := func(body string) testapp.Call {
			return testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/dataValueSets" + codes, Body: body}
		}
		lcv := func(de, pe, ou, value string) string { return one(de, pe, ou, "", "", value) }
		type bad struct {
			name     string
			call     testapp.Call
			status   int
			contains []string
		}
		warning := func(name, body, code string, more ...string) bad {
			return bad{name, post(body), 200, append([]string{`"status":"WARNING"`, `"errorCode":"` + code + `"`, `"imported":0`, `"rejectedIndexes":[0]`}, more...)}
		}
		// The first value is stored, so the duplicates below repeat it.
		seed := lcv("CDS.HS.TIEPNHAN", "2026Q4", "LC.SKHCN", "1200")
		if status, body, _ := app.Send(t, nil, post(seed)); status != 200 || !strings.Contains(string(body), `"imported":1`) {
			t.Fatalf("seed: %d %s", status, body)
		}
		cases := []bad{
			warning("a word where a number belongs", lcv("CDS.HS.TIEPNHAN", "2026Q4", "LC.SKHCN", "nhiều"), "E7619", "value_not_zero_or_positive_integer"),
			warning("a Vietnamese decimal comma", lcv("CDS.DVC.TOANTRINH", "2026Q4", "LC.SKHCN", "45,5"), "E7619", "uses a decimal comma", "45.5"),
			warning("a percentage over 100", lcv("CDS.DVC.TOANTRINH", "2026Q4", "LC.SKHCN", "145"), "E7619", "value_not_percentage"),
			warning("a month for a quarterly form", lcv("CDS.HS.TIEPNHAN", "202611", "LC.SKHCN", "5"), "E7632", "202611"),
			warning("a period that is not one", lcv("CDS.HS.TIEPNHAN", "2026Q5", "LC.SKHCN", "5"), "E7611", "2026Q5"),
			warning("an unknown unit", lcv("CDS.HS.TIEPNHAN", "2026Q4", "LC.KHONGCO", "5"), "E7612", "LC.KHONGCO"),
			warning("an unknown indicator", lcv("KHONG.CO", "2026Q4", "LC.SKHCN", "5"), "E7610", "KHONG.CO"),
			warning("a derived indicator, computed not entered", lcv("CDS.HS.TRUCTUYEN.TYLE", "2026Q4", "LC.SKHCN", "5"), "E7610", "CDS.HS.TRUCTUYEN.TYLE"),
			warning("an unknown category option", one("CDS.DVC.SO", "2026Q4", "LC.SKHCN", "KHONGCO", "", "5"), "E7613", "KHONGCO"),
			warning("an option of another indicator", one("CDS.HS.TIEPNHAN", "2026Q4", "LC.SKHCN", "TOANTRINH", "", "5"), "E7613", "TOANTRINH"),
			warning("an attribute option combo", one("CDS.HS.TIEPNHAN", "2026Q4", "LC.SKHCN", "", "NGUONVON", "5"), "E7615", "NGUONVON"),
			warning("a unit not assigned to the form (the province itself)", lcv("CDS.HS.TIEPNHAN", "2026Q4", "LC", "5"), "E7636", "`LC`"),
			warning("a unit out of the reporter's scope", lcv("CDS.HS.TIEPNHAN", "2026Q4", "GL25.SKHCN", "5"), "E7617", "GL25.SKHCN"),
			warning("a locked quarter", lcv("CDS.HS.TIEPNHAN", "2026Q3", "LC.SKHCN", "5"), "E7643", "2026Q3", "CDS.QUY.SO.LC"),
			warning("a future quarter", lcv("CDS.HS.TIEPNHAN", "2027Q1", "LC.SKHCN", "5"), "E7641", "2027Q1"),
			{"the same value twice in one payload", post(`{"dataValues":[` +
				`{"dataElement":"CDS.HS.TIEPNHAN","period":"2026Q4","orgUnit":"LC.SKHCN","value":"1200"},` +
				`{"dataElement":"CDS.HS.TIEPNHAN","period":"2026Q4","orgUnit":"LC.SKHCN","value":"1300"}]}`), 200,
				[]string{`"errorCode":"E7699"`, `"indexes":[1]`, "first at index 0", `"ignored":2`}},
			{"the same value twice, once by the default uid", post(`{"dataValues":[` +
				`{"dataElement":"CDS.HS.TIEPNHAN","period":"2026Q4","orgUnit":"LC.SKHCN","value":"1200"},` +
				`{"dataElement":"CDS.HS.TIEPNHAN","categoryOptionCombo":"HllvX50cXC0","period":"2026Q4","orgUnit":"LC.SKHCN","value":"1300"}]}`), 200,
				[]string{`"errorCode":"E7699"`}},
			{"truncated JSON", post(`{"dataValues":[{"dataElement":"CDS.VB.DI","period":"2026Q4","orgUnit":"LC.SKHCN","value":"5"},{"dataElement":"CDS.V`), 409,
				[]string{`"status":"ERROR"`, "truncated", `"imported":0`}},
			{"not JSON at all", post(`dataelement,period`), 409, []string{`"status":"ERROR"`}},
			{"dataValues that is not a list", post(`{"dataValues":{"dataElement":"CDS.VB.DI"}}`), 409, []string{"dataValues must be an array"}},
			{"a value that is an object", post(`{"dataValues":[{"dataElement":"CDS.VB.DI","period":"2026Q4","orgUnit":"LC.SKHCN","value":{"n":5}}]}`), 409, []string{"expected a string"}},
			{"a period default after the values that needed it", post(`{"dataValues":[{"dataElement":"CDS.VB.DI","orgUnit":"LC.SKHCN","value":"5"}],"period":"2026Q4"}`), 409,
				[]string{"set-level default appears after the values"}},
			{"an unknown import strategy", testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/dataValueSets?importStrategy=MERGE", Body: seed}, 409,
				[]string{"importStrategy", "MERGE"}},
			{"an id scheme tinhso does not know", testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/dataValueSets?idScheme=ATTRIBUTE:abc", Body: seed}, 409,
				[]string{"idScheme"}},
			{"a payload naming an unknown scheme itself", post(`{"idScheme":"NAME","dataValues":[]}`), 409, []string{`"status":"ERROR"`, "idScheme"}},
			{"XML, which tinhso does not read", testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/dataValueSets", Body: `<dataValueSet/>`,
				Headers: map[string]string{"Content-Type": "application/xml"}}, 415, []string{"application/xml"}},
			{"a CSV row with two columns", testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/dataValueSets" + codes, Body: "CDS.VB.DI,2026Q4\n",
				Headers: map[string]string{"Content-Type": "application/csv"}}, 409, []string{"CSV line 1", "dataelement, period and orgunit are required"}},
			{"a CSV with a broken quote", testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/dataValueSets" + codes,
				Body: "\ufeffCDS.VB.DI,2026Q4,LC.SKHCN,,,5,,,\"open quote\n", Headers: map[string]string{"Content-Type": "application/csv"}}, 409, []string{"CSV line"}},
			{"a CSV decimal comma, quoted as Excel writes it", testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/dataValueSets" + codes,
				Body: "\ufeffCDS.DVC.TOANTRINH,2026Q4,LC.SKHCN,,,\"45,5\"\n", Headers: map[string]string{"Content-Type": "text/csv"}}, 200, []string{`"errorCode":"E7619"`, "decimal comma"}},
			{"a CSV followup that is not a boolean", testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/dataValueSets" + codes,
				Body: "CDS.VB.DI,2026Q4,LC.SKHCN,,,5,,,,có\n", Headers: map[string]string{"Content-Type": "text/csv"}}, 409, []string{"followup"}},
		}
		var table []testapp.Scenario
		for _, c := range cases {
			table = append(table, testapp.Scenario{Name: c.name, Call: c.call, Status: c.status, Contains: c.contains, DHIS2: true, Before: snap, Check: unchanged})
		}
		app.Run(t, map[string]string{}, table)

		// A failed import rolls back what it had already written: 300 good
		// values in batches of 50, then a truncated end.
		report.SetImportBatch(app.Server.Report, 50)
		t.Run("a truncated payload after written batches changes nothing", func(t *testing.T) {
			snap(t, app)
			var b strings.Builder
			b.WriteString(`{"dataValues":[`)
			units := lcDepartments(t, app)
			n := 0
			for _, u := range units {
				for _, de := range []string{"CDS.VB.DI", "CDS.VB.KYSO", "CDS.CBCC.TONG", "CDS.CBCC.TAPHUAN", "CDS.LGSP.KETNOI", "CDS.HS.GIAIQUYET", "CDS.HS.DUNGHAN"} {
					fmt.Fprintf(&b, `{"dataElement":%q,"period":"2026Q4","orgUnit":%q,"value":"%d"},`, de, u, n+1)
					n++
				}
			}
			b.WriteString(`{"dataElement":"CDS.VB.DI","peri`)
			status, body, h := app.Send(t, nil, testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/dataValueSets" + codes, Body: b.String()})
			if status != 409 || !strings.Contains(string(body), "truncated") || !strings.Contains(string(body), fmt.Sprintf(`"ignored":%d`, n)) {
				t.Fatalf("%d values then truncated: %d %s", n, status, body)
			}
			if n < 60 {
				t.Fatalf("only %d values: not enough for two batches", n)
			}
			unchanged(t, app, body, h)
		})
		report.SetImportBatch(app.Server.Report, 0)

		// 100 MB: refused with 413 naming the limit, whether the client
		// declares its length or streams it chunked; nothing is kept.
		for _, chunked := range []bool{false, true} {
			t.Run(fmt.Sprintf("a 100 MB payload (chunked %v)", chunked), func(t *testing.T) {
				snap(t, app)
				const size = 100 << 20
				var body io.Reader = &hugePayload{left: size}
				req, _ := http.NewRequest("POST", app.URL+"/api/dataValueSets"+codes, body)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+app.Token(t, "baocao.laichau"))
				req.ContentLength = size
				if chunked {
					req.ContentLength = -1
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 413 || !strings.Contains(string(b), "90 MiB") {
					t.Errorf("100 MB: %d %s", res.StatusCode, b)
				}
				unchanged(t, app, b, res.Header)
			})
		}
	})
}

// lcDepartments are the codes of the units that report CDS.QUY.SO.LC.
func lcDepartments(t *testing.T, app *testapp.App) []string {
	t.Helper()
	status, body, _ := app.Send(t, nil, testapp.Call{User: "quantri.laichau", Method: "GET", Path: "/api/dataSets?filter=code:eq:CDS.QUY.SO.LC&fields=organisationUnits[code]"})
	if status != 200 {
		t.Fatalf("units: %d %s", status, body)
	}
	var r struct {
		DataSets []struct{ OrganisationUnits []struct{ Code string } }
	}
	testapp.JSON(t, body, &r)
	var out []string
	for _, u := range r.DataSets[0].OrganisationUnits {
		out = append(out, u.Code)
	}
	return out
}

// hugePayload is a well-formed dataValueSets JSON of any size, made as it
// is read.
type hugePayload struct {
	left int64
	i    int
	buf  []byte
}

func (h *hugePayload) Read(p []byte) (int, error) {
	if h.left <= 0 {
		return 0, io.EOF
	}
	if len(h.buf) == 0 {
		if h.i == 0 {
			h.buf = []byte(`{"dataValues":[`)
		} else {
			h.buf = fmt.Appendf(nil, `{"dataElement":"CDS.VB.DI","period":"2026Q4","orgUnit":"LC.SKHCN","value":"%d"},`, h.i)
		}
		h.i++
	}
	n := copy(p, h.buf)
	if int64(n) > h.left {
		n = int(h.left)
	}
	h.buf = h.buf[n:]
	h.left -= int64(n)
	return n, nil
}
