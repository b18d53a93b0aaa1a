package report_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

// anaForms are the indicators analytics tests write: one per aggregation
// kind, a derived rate and one with category options, on a quarterly form
// of Gia Lai assigned to the old province's districts until 30 June 2025
// and to the new province's communes and wards since.
const anaForms = `{"indicators":[
 {"code":"T.AN.SUM","name":"Số hồ sơ","valueType":"INTEGER","aggregation":"sum","timeAggregation":"sum"},
 {"code":"T.AN.AVG","name":"Điểm bình quân","valueType":"NUMBER","aggregation":"average","timeAggregation":"average"},
 {"code":"T.AN.LAST","name":"Số liệu cuối kỳ","valueType":"NUMBER","aggregation":"last","timeAggregation":"last"},
 {"code":"T.AN.NONE","name":"Không cộng dồn","valueType":"NUMBER","aggregation":"none","timeAggregation":"none"},
 {"code":"T.AN.STOCK","name":"Số máy chủ","valueType":"INTEGER","aggregation":"sum","timeAggregation":"last"},
 {"code":"T.AN.NUM","name":"Hồ sơ trực tuyến","valueType":"INTEGER","aggregation":"sum","timeAggregation":"sum"},
 {"code":"T.AN.DEN","name":"Hồ sơ tiếp nhận","valueType":"INTEGER","aggregation":"sum","timeAggregation":"sum"},
 {"code":"T.AN.RATE","name":"Tỷ lệ hồ sơ trực tuyến","valueType":"PERCENTAGE","aggregation":"none","timeAggregation":"none","numerator":"T.AN.NUM","denominator":"T.AN.DEN","factor":100},
 {"code":"T.AN.OPT","name":"Dịch vụ công","valueType":"INTEGER","aggregation":"sum","timeAggregation":"sum",
  "categoryOptions":[{"code":"TOANTRINH","name":"Toàn trình"},{"code":"MOTPHAN","name":"Một phần"}]}],
 "forms":[{"code":"T.AN.QUY","name":"Biểu phân tích","periodType":"Quarterly","deadlineDays":2,"issuerUnit":"GL25",
  "sections":[{"name":"A","indicators":["T.AN.SUM","T.AN.AVG","T.AN.LAST","T.AN.NONE","T.AN.STOCK","T.AN.NUM","T.AN.DEN","T.AN.RATE","T.AN.OPT"]}],
  "assign":[{"under":"GL","kinds":["district","town","city"],"to":"2025-06-30"},{"under":"GL25","kinds":["commune","ward","special_zone"],"from":"2025-07-01"}]}]}`

// anaFixture is an app with anaForms imported and helpers to write values
// the way every write path does (WriteValues in a transaction) and to ask
// analytics through the API.
type anaFixture struct {
	t   *testing.T
	app *testapp.App
	ind map[string]int64 // code → id
	opt map[string]int64 // "CODE.OPTION" → option id
}

func newAnaFixture(t *testing.T, app *testapp.App) *anaFixture {
	t.Helper()
	if status, body, _ := app.Do(t, "dieuphoi", "POST", "/api/v1/report/import", anaForms); status != 201 {
		t.Fatalf("import: %d %s", status, body)
	}
	f := &anaFixture{t: t, app: app, ind: map[string]int64{}, opt: map[string]int64{}}
	rows, err := app.DB.Read.Query(`SELECT i.code, i.id, COALESCE(o.code, ''), COALESCE(o.id, 0) FROM report_indicators i LEFT JOIN report_category_options o ON o.indicator_id = i.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var code, opt string
		var id, oid int64
		if err := rows.Scan(&code, &id, &opt, &oid); err != nil {
			t.Fatal(err)
		}
		f.ind[code] = id
		if opt != "" {
			f.opt[code+"."+opt] = oid
		}
	}
	return f
}

// write stores values: "CODE[.OPTION] UNIT PERIOD VALUE" each (VALUE "-"
// deletes).
func (f *anaFixture) write(lines ...string) {
	f.t.Helper()
	var vs []report.ValueInput
	for _, l := range lines {
		parts := strings.Fields(l)
		code, unit, period, value := parts[0], parts[1], parts[2], parts[3]
		var opt int64
		if oid, ok := f.opt[code]; ok {
			opt, code = oid, code[:strings.LastIndex(code, ".")]
		} else if _, ok := f.ind[code]; !ok {
			f.t.Fatalf("no indicator %s", code)
		}
		pe, err := report.ParsePeriod(period)
		if err != nil {
			f.t.Fatal(err)
		}
		v := report.ValueInput{Key: report.Key{Indicator: f.ind[code], Option: opt, Unit: f.app.UnitID(f.t, unit), Period: period}, PeriodOf: pe, ValueType: "NUMBER", Value: value}
		if value == "-" {
			v.Value, v.Delete = "", true
		}
		vs = append(vs, v)
	}
	err := f.app.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := f.app.Server.Report.WriteValues(context.Background(), tx, vs, report.WriteOptions{Source: "api"})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

type anaAnswer struct {
	Headers []struct {
		Name, Column, ValueType, Type string
		Hidden, Meta                  bool
	}
	Rows     [][]string
	MetaData struct {
		Items      map[string]struct{ Name string }
		Dimensions map[string][]string
		Tinhso     struct {
			Approval    string
			OuMode      string
			OrgUnitAsOf map[string]string
		}
	}
	Height, Width, HeaderWidth int
}

// ask queries analytics as user and returns the answer.
func (f *anaFixture) ask(user, query string) anaAnswer {
	f.t.Helper()
	status, body, _ := f.app.Do(f.t, user, "GET", "/api/v1/analytics?"+f.expand(query), "")
	if status != 200 {
		f.t.Fatalf("analytics %s: %d %s", query, status, body)
	}
	var a anaAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		f.t.Fatalf("%s: %v", body, err)
	}
	return a
}

// expand turns {CODE} (a unit code) into the unit's id, URL-encoding ;.
func (f *anaFixture) expand(q string) string {
	for {
		i := strings.Index(q, "{")
		if i < 0 {
			break
		}
		j := strings.Index(q[i:], "}")
		code := q[i+1 : i+j]
		q = q[:i] + fmt.Sprint(f.app.UnitID(f.t, code)) + q[i+j+1:]
	}
	return strings.ReplaceAll(q, ";", url.QueryEscape(";"))
}

// values is the answer's rows as "dim1 dim2 … = value", with unit ids
// turned back into codes, sorted.
func (f *anaFixture) values(a anaAnswer) []string {
	codes := map[string]string{}
	rows, _ := f.app.DB.Read.Query(`SELECT id, code FROM org_units`)
	for rows.Next() {
		var id int64
		var c string
		rows.Scan(&id, &c)
		codes[fmt.Sprint(id)] = c
	}
	rows.Close()
	for code, id := range f.ind {
		codes["dx"+fmt.Sprint(id)] = code
	}
	for code, id := range f.opt {
		ind := code[:strings.LastIndex(code, ".")]
		codes["dx"+fmt.Sprint(f.ind[ind])+"."+fmt.Sprint(id)] = code
		codes["co"+fmt.Sprint(id)] = code[strings.LastIndex(code, ".")+1:]
	}
	var out []string
	for _, r := range a.Rows {
		parts := make([]string, 0, len(r))
		for i, c := range r[:len(r)-1] {
			switch h := a.Headers[i].Name; {
			case h == "ou" && codes[c] != "":
				c = codes[c]
			case (h == "dx" || h == "co") && codes[h+c] != "":
				c = codes[h+c]
			}
			parts = append(parts, c)
		}
		out = append(out, strings.Join(parts, " ")+" = "+r[len(r)-1])
	}
	sort.Strings(out)
	return out
}

func (f *anaFixture) expect(user, query string, want ...string) anaAnswer {
	f.t.Helper()
	a := f.ask(user, query)
	got := f.values(a)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		f.t.Errorf("%s\ngot  %q\nwant %q", query, got, want)
	}
	return a
}

// TestAnalyticsRollups writes values on both sides of 1 July 2025 and reads
// them through GET /api/v1/analytics: over time (quarters into halves and
// years) and over units (districts into the old province, and into the
// new province today), each aggregation kind, a derived rate at district
// and province level, category options, and a value written, changed and
// deleted seen by the next query.
func TestAnalyticsRollups(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		f := newAnaFixture(t, app)
		f.write(
			"T.AN.SUM GL.PLEIKU 2024Q1 10", "T.AN.SUM GL.PLEIKU 2024Q2 20", "T.AN.SUM GL.PLEIKU 2024Q3 30", "T.AN.SUM GL.PLEIKU 2024Q4 40",
			"T.AN.SUM GL.ANKHE 2024Q1 1", "T.AN.SUM GL.ANKHE 2024Q2 2", "T.AN.SUM GL.ANKHE 2024Q3 3", "T.AN.SUM GL.ANKHE 2024Q4 4",
			"T.AN.SUM GL.PLEIKU 2025Q1 7", "T.AN.SUM GL.PLEIKU 2025Q2 8",
			"T.AN.SUM GL25.P.ANKHE 2025Q3 5", "T.AN.SUM GL25.P.ANKHE 2025Q4 6",
		)
		dieu := "dieuphoi"
		// Over time, for the old province as it stood on its last day.
		f.expect(dieu, "dimension=dx:T.AN.SUM&dimension=pe:2024;2024S1;2024S2;2024NM;2024Q3&filter=ou:{GL}",
			"T.AN.SUM 2024 = 110", "T.AN.SUM 2024S1 = 33", "T.AN.SUM 2024S2 = 77", "T.AN.SUM 2024NM = 66", "T.AN.SUM 2024Q3 = 33")
		// Today's structure: the new province holds the old one's values.
		f.expect(dieu, "dimension=dx:T.AN.SUM&dimension=pe:2024;2025&dimension=ou:{GL25}",
			"T.AN.SUM 2024 GL25 = 110", "T.AN.SUM 2025 GL25 = 26")
		// As of 2024, values stay under the units that reported them: the
		// ward formed in 2025 is not in the old province.
		f.expect(dieu, "dimension=dx:T.AN.SUM&dimension=pe:2025&dimension=ou:{GL};{GL.PLEIKU}&asOf=2024-12-31",
			"T.AN.SUM 2025 GL = 15", "T.AN.SUM 2025 GL.PLEIKU = 15")
	})
}
