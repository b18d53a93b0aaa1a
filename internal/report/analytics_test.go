package report_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

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

// inputs are values given as "CODE[.OPTION] UNIT PERIOD VALUE" each
// (VALUE "-" deletes).
func (f *anaFixture) inputs(lines ...string) []report.ValueInput {
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
	return vs
}

// write stores the values of lines (inputs).
func (f *anaFixture) write(lines ...string) {
	f.t.Helper()
	vs := f.inputs(lines...)
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
			// 2022W13 (28/3–3/4) lies across two quarters and 2022W26
			// (27/6–3/7) across two half years: no quarter holds them,
			// the half year and nine months do.
			"T.AN.SUM GL.PLEIKU 2022W13 2", "T.AN.SUM GL.PLEIKU 2022W26 4", "T.AN.SUM GL.PLEIKU 202201 1", "T.AN.SUM GL.ANKHE 2022Q3 8",
		)
		dieu := "dieuphoi"
		f.expect(dieu, "dimension=dx:T.AN.SUM&dimension=pe:2022;2022S1;2022S2;2022NM;2022Q1&filter=ou:{GL}",
			"T.AN.SUM 2022 = 15", "T.AN.SUM 2022S1 = 3", "T.AN.SUM 2022S2 = 8", "T.AN.SUM 2022NM = 15", "T.AN.SUM 2022Q1 = 1")
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

		// Predecessors: two old wards of An Khê merged into Phường An Khê,
		// the town itself dissolved with the new province as its heir.
		f.write("T.AN.SUM GL.ANKHE.NGOMAY 2023Q1 100", "T.AN.SUM GL.ANKHE.TAYSON 2023Q2 200", "T.AN.SUM GL.ANKHE 2023Q1 1")
		f.expect(dieu, "dimension=dx:T.AN.SUM&dimension=pe:2023&dimension=ou:{GL.ANKHE};{GL.ANKHE.NGOMAY}&asOf=2024-12-31",
			"T.AN.SUM 2023 GL.ANKHE = 301", "T.AN.SUM 2023 GL.ANKHE.NGOMAY = 100")
		f.expect(dieu, "dimension=dx:T.AN.SUM&dimension=pe:2023&dimension=ou:{GL.ANKHE}&asOf=2024-12-31&ouMode=SELECTED",
			"T.AN.SUM 2023 GL.ANKHE = 1")
		f.expect(dieu, "dimension=dx:T.AN.SUM&dimension=pe:2023&dimension=ou:{GL25.P.ANKHE};{GL25}",
			"T.AN.SUM 2023 GL25.P.ANKHE = 300", "T.AN.SUM 2023 GL25 = 301")
		f.expect(dieu, "dimension=dx:T.AN.SUM&dimension=pe:2023&dimension=ou:{GL25}&ouMode=SELECTED",
			"T.AN.SUM 2023 GL25 = 1")
		// LEVEL-3 under the new province and the coordinator's children.
		f.expect(dieu, "dimension=dx:T.AN.SUM&dimension=pe:2023&dimension=ou:LEVEL-3-{GL25}", "T.AN.SUM 2023 GL25.P.ANKHE = 300")
		f.expect(dieu, "dimension=dx:T.AN.SUM&dimension=pe:2023&dimension=ou:USER_ORGUNIT_CHILDREN", "T.AN.SUM 2023 GL25.P.ANKHE = 300")
		f.expect(dieu, "dimension=dx:T.AN.SUM&dimension=pe:2023&dimension=ou:LEVEL-commune;{GL25}", "T.AN.SUM 2023 GL25.P.ANKHE = 300")
		f.expect(dieu, "dimension=dx:T.AN.SUM&dimension=pe:2023&dimension=ou:USER_ORGUNIT", "T.AN.SUM 2023 GL25 = 301")

		// Each aggregation kind, over time and over units.
		f.write(
			"T.AN.AVG GL.PLEIKU 2024Q1 2", "T.AN.AVG GL.PLEIKU 2024Q2 4", "T.AN.AVG GL.PLEIKU 2024Q3 6", "T.AN.AVG GL.PLEIKU 2024Q4 8",
			"T.AN.AVG GL.ANKHE 2024Q1 10", "T.AN.AVG GL.ANKHE 2024Q2 20",
			"T.AN.LAST GL.PLEIKU 2024Q1 100", "T.AN.LAST GL.PLEIKU 2024Q3 300", "T.AN.LAST GL.ANKHE 2024Q2 50", "T.AN.LAST GL.ANKHE 2024Q4 40",
			"T.AN.NONE GL.PLEIKU 2024Q1 9", "T.AN.NONE GL.ANKHE 2024Q2 7",
			"T.AN.STOCK GL.PLEIKU 2024Q1 5", "T.AN.STOCK GL.PLEIKU 2024Q4 8", "T.AN.STOCK GL.ANKHE 2024Q2 3",
		)
		gl := "&dimension=ou:{GL};{GL.PLEIKU};{GL.ANKHE}"
		f.expect(dieu, "dimension=dx:T.AN.AVG&dimension=pe:2024;2024S1"+gl,
			"T.AN.AVG 2024 GL = 10", "T.AN.AVG 2024 GL.PLEIKU = 5", "T.AN.AVG 2024 GL.ANKHE = 15",
			"T.AN.AVG 2024S1 GL = 9", "T.AN.AVG 2024S1 GL.PLEIKU = 3", "T.AN.AVG 2024S1 GL.ANKHE = 15")
		f.expect(dieu, "dimension=dx:T.AN.LAST&dimension=pe:2024;2024S1"+gl,
			"T.AN.LAST 2024 GL = 40", "T.AN.LAST 2024 GL.PLEIKU = 300", "T.AN.LAST 2024 GL.ANKHE = 40",
			"T.AN.LAST 2024S1 GL = 50", "T.AN.LAST 2024S1 GL.PLEIKU = 100", "T.AN.LAST 2024S1 GL.ANKHE = 50")
		f.expect(dieu, "dimension=dx:T.AN.NONE&dimension=pe:2024;2024Q1;2024Q2"+gl,
			"T.AN.NONE 2024Q1 GL = 9", "T.AN.NONE 2024Q1 GL.PLEIKU = 9", "T.AN.NONE 2024Q2 GL = 7", "T.AN.NONE 2024Q2 GL.ANKHE = 7")
		f.expect(dieu, "dimension=dx:T.AN.STOCK&dimension=pe:2024;2024S1"+gl,
			"T.AN.STOCK 2024 GL = 11", "T.AN.STOCK 2024 GL.PLEIKU = 8", "T.AN.STOCK 2024 GL.ANKHE = 3",
			"T.AN.STOCK 2024S1 GL = 8", "T.AN.STOCK 2024S1 GL.PLEIKU = 5", "T.AN.STOCK 2024S1 GL.ANKHE = 3")

		// A derived rate is the ratio of the totals at every level (40/100,
		// not the mean of 50 % and 25 %), today as in 2024's structure.
		f.write("T.AN.NUM GL.PLEIKU 2024Q1 30", "T.AN.DEN GL.PLEIKU 2024Q1 60", "T.AN.NUM GL.ANKHE 2024Q2 10", "T.AN.DEN GL.ANKHE 2024Q2 40")
		f.expect(dieu, "dimension=dx:T.AN.RATE&dimension=pe:2024"+gl+";{GL25}",
			"T.AN.RATE 2024 GL = 40.0", "T.AN.RATE 2024 GL.PLEIKU = 50.0", "T.AN.RATE 2024 GL.ANKHE = 25.0", "T.AN.RATE 2024 GL25 = 40.0")
		f.expect(dieu, "dimension=dx:T.AN.RATE;T.AN.NUM;T.AN.DEN&filter=pe:2024Q1;2024Q2&filter=ou:{GL.PLEIKU};{GL.ANKHE}",
			"T.AN.RATE = 40.0", "T.AN.NUM = 40", "T.AN.DEN = 100")

		// Category options: the total, each option (co) and an operand.
		f.write("T.AN.OPT.TOANTRINH GL.PLEIKU 2024Q1 3", "T.AN.OPT.MOTPHAN GL.PLEIKU 2024Q1 4", "T.AN.OPT.TOANTRINH GL.ANKHE 2024Q3 5")
		f.expect(dieu, "dimension=dx:T.AN.OPT&dimension=pe:2024&filter=ou:{GL}", "T.AN.OPT 2024 = 12")
		a := f.expect(dieu, "dimension=dx:T.AN.OPT&dimension=co&dimension=pe:2024&filter=ou:{GL}", "T.AN.OPT TOANTRINH 2024 = 8", "T.AN.OPT MOTPHAN 2024 = 4")
		if got := strings.Join(a.MetaData.Dimensions["co"], ","); got != fmt.Sprintf("%d,%d", f.opt["T.AN.OPT.TOANTRINH"], f.opt["T.AN.OPT.MOTPHAN"]) {
			t.Errorf("co dimension %s", got)
		}
		f.expect(dieu, "dimension=dx:T.AN.OPT.TOANTRINH;T.AN.OPT.MOTPHAN&dimension=pe:2024Q1&filter=ou:{GL}",
			"T.AN.OPT.TOANTRINH 2024Q1 = 3", "T.AN.OPT.MOTPHAN 2024Q1 = 4")
		f.expect(dieu, "dimension=dx:T.AN.OPT.TOANTRINH&dimension=pe:2024Q1&filter=ou:{GL}&outputIdScheme=CODE", "T.AN.OPT.TOANTRINH 2024Q1 = 3")

		// A value written, changed or deleted is in the next answer; a
		// deleted latest value gives way to the one before it.
		q := "dimension=dx:T.AN.SUM;T.AN.LAST&dimension=pe:2024&filter=ou:{GL}"
		f.expect(dieu, q, "T.AN.SUM 2024 = 110", "T.AN.LAST 2024 = 40")
		f.write("T.AN.SUM GL.PLEIKU 2024Q4 45")
		f.expect(dieu, q, "T.AN.SUM 2024 = 115", "T.AN.LAST 2024 = 40")
		f.write("T.AN.SUM GL.ANKHE 2024Q4 -", "T.AN.LAST GL.ANKHE 2024Q4 -")
		f.expect(dieu, q, "T.AN.SUM 2024 = 111", "T.AN.LAST 2024 = 300")
		f.write("T.AN.LAST GL.PLEIKU 2024Q3 -", "T.AN.LAST GL.PLEIKU 2024Q1 -", "T.AN.LAST GL.ANKHE 2024Q2 -")
		f.expect(dieu, q, "T.AN.SUM 2024 = 111")
		if n := app.Count(t, `SELECT COUNT(*) FROM report_agg WHERE indicator_id = $1`, f.ind["T.AN.LAST"]); n != 0 {
			t.Errorf("%d totals left for an indicator without values", n)
		}
	})
}

// backfillSQL is the statement of migration 0007 that builds report_agg
// from report_values, and migration 0024 that keeps of its half years and
// nine months what the hook keeps (the benchmark fills its totals with
// them too).
func backfillSQL(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../store/migrations/0007_report_analytics.sql")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, "-- backfill"), strings.Index(s, "-- end backfill")
	if i < 0 || j < i {
		t.Fatal("migration 0007 has no backfill section")
	}
	m, err := os.ReadFile("../store/migrations/0024_report_agg_quarters.sql")
	if err != nil {
		t.Fatal(err)
	}
	return s[i:j] + string(m)
}

// aggRows reads report_agg as text, sums rounded.
func aggRows(t *testing.T, app *testapp.App) []string {
	t.Helper()
	rows, err := app.DB.Read.Query(`SELECT indicator_id, option_id, unit_id, period, value_sum, value_count, last_value, last_start, last_end FROM report_agg
		WHERE value_count > 0 ORDER BY indicator_id, option_id, unit_id, period`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ind, opt, unit int64
		var period, ls, le string
		var sum float64
		var n int
		var last sql.NullFloat64
		if err := rows.Scan(&ind, &opt, &unit, &period, &sum, &n, &last, &ls, &le); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d %d %d %s sum=%.6f n=%d last=%v@%s..%s", ind, opt, unit, period, sum, n, last.Float64, ls, le))
	}
	return out
}

// TestAnalyticsBackfillMatchesHook writes, changes and deletes values of
// every period type through WriteValues, then rebuilds report_agg with the
// migration's backfill: the running totals the hook kept are the same
// rows.
func TestAnalyticsBackfillMatchesHook(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		f := newAnaFixture(t, app)
		f.write(
			"T.AN.SUM GL.PLEIKU 2024Q1 10", "T.AN.SUM GL.PLEIKU 2024Q2 20", "T.AN.SUM GL.PLEIKU 202407 3", "T.AN.SUM GL.PLEIKU 202412 4",
			"T.AN.SUM GL.PLEIKU 2024S2 5", "T.AN.SUM GL.PLEIKU 2024NM 6", "T.AN.SUM GL.PLEIKU 2024 7", "T.AN.SUM GL.PLEIKU 2024W10 8",
			"T.AN.SUM GL.PLEIKU 2020W53 9", "T.AN.SUM GL.PLEIKU 2024W27 1", "T.AN.SUM GL.PLEIKU 2023W13 2", "T.AN.SUM GL.PLEIKU 2023W26 4",
			"T.AN.SUM GL.PLEIKU 2023S1 3", "T.AN.LAST GL.ANKHE 2023W13 2",
			"T.AN.LAST GL.ANKHE 2024Q1 1.5", "T.AN.LAST GL.ANKHE 202403 2.5", "T.AN.LAST GL.ANKHE 2024Q4 3.25",
			"T.AN.OPT.TOANTRINH GL.ANKHE 2024Q3 5", "T.AN.OPT.MOTPHAN GL.ANKHE 2024Q3 6",
		)
		f.write("T.AN.LAST GL.ANKHE 2024Q4 -", "T.AN.SUM GL.PLEIKU 2024Q2 25", "T.AN.OPT.MOTPHAN GL.ANKHE 2024Q3 -")
		hook := aggRows(t, app)
		if len(hook) == 0 {
			t.Fatal("the hook kept no totals")
		}
		if _, err := app.DB.Write.Exec(`DELETE FROM report_agg`); err != nil {
			t.Fatal(err)
		}
		if _, err := app.DB.Write.Exec(backfillSQL(t)); err != nil {
			t.Fatal(err)
		}
		if got := aggRows(t, app); strings.Join(got, "\n") != strings.Join(hook, "\n") {
			t.Errorf("backfill:\n%s\nhook:\n%s", strings.Join(got, "\n"), strings.Join(hook, "\n"))
		}
		// The period types the hook noted are those of the values stored.
		if n := app.Count(t, `SELECT COUNT(*) FROM (SELECT DISTINCT indicator_id, period_type FROM report_values) v
			FULL OUTER JOIN report_value_types t ON t.indicator_id = v.indicator_id AND t.period_type = v.period_type
			WHERE t.indicator_id IS NULL OR v.indicator_id IS NULL`); n != 0 {
			t.Errorf("%d period types noted differently from the values stored", n)
		}
	})
}

// TestAnalyticsApproval: every value counts by default, approved or not,
// and the answer says so; approval=approved keeps the values of approved
// or accepted reports, approval=accepted those of accepted ones, each as
// current as the report's state.
func TestAnalyticsApproval(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		f := newAnaFixture(t, app)
		f.write("T.AN.SUM GL.PLEIKU 2024Q1 10", "T.AN.SUM GL.PLEIKU 2024Q2 20", "T.AN.SUM GL.ANKHE 2024Q1 1")
		var form int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM report_forms WHERE code = 'T.AN.QUY'`).Scan(&form); err != nil {
			t.Fatal(err)
		}
		// The workflow's rows, as approval leaves them.
		state := func(unit, period, st string) {
			t.Helper()
			_, err := app.DB.Write.Exec(`DELETE FROM report_submissions WHERE form_id = $1 AND unit_id = $2 AND period = $3`, form, app.UnitID(t, unit), period)
			if err == nil {
				_, err = app.DB.Write.Exec(`INSERT INTO report_submissions (form_id, unit_id, period, state, updated_at) VALUES ($1, $2, $3, $4, $5)`,
					form, app.UnitID(t, unit), period, st, time.Now().UTC())
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		state("GL.PLEIKU", "2024Q1", report.StateApproved)
		state("GL.PLEIKU", "2024Q2", report.StateSubmitted)
		q := "dimension=dx:T.AN.SUM&dimension=pe:2024;2024Q1&filter=ou:{GL}"
		a := f.expect("dieuphoi", q, "T.AN.SUM 2024 = 31", "T.AN.SUM 2024Q1 = 11")
		if a.MetaData.Tinhso.Approval != "all" {
			t.Errorf("approval %q, want all", a.MetaData.Tinhso.Approval)
		}
		a = f.expect("dieuphoi", q+"&approval=approved", "T.AN.SUM 2024 = 10", "T.AN.SUM 2024Q1 = 10")
		if a.MetaData.Tinhso.Approval != "approved" {
			t.Errorf("approval %q, want approved", a.MetaData.Tinhso.Approval)
		}
		f.expect("dieuphoi", q+"&approval=accepted")
		state("GL.PLEIKU", "2024Q2", report.StateAccepted)
		f.expect("dieuphoi", q+"&approvalLevel=approved", "T.AN.SUM 2024 = 30", "T.AN.SUM 2024Q1 = 10")
		f.expect("dieuphoi", q+"&approvalLevel=accepted", "T.AN.SUM 2024 = 20")
		// A returned report leaves approved analytics at once.
		state("GL.PLEIKU", "2024Q1", report.StateReturned)
		f.expect("dieuphoi", q+"&approval=approved", "T.AN.SUM 2024 = 20")
		// Reporting rates (DHIS2's <form>.REPORTING_RATE …) from the
		// completeness counts: 17 districts of the old province must report.
		f.expect("dieuphoi", "dimension=dx:T.AN.QUY.REPORTING_RATE;T.AN.QUY.ACTUAL_REPORTS;T.AN.QUY.EXPECTED_REPORTS&dimension=pe:2024Q1;2024Q2&filter=ou:{GL}&outputIdScheme=CODE",
			"T.AN.QUY.REPORTING_RATE 2024Q1 = 0.0", "T.AN.QUY.ACTUAL_REPORTS 2024Q1 = 0", "T.AN.QUY.EXPECTED_REPORTS 2024Q1 = 17",
			"T.AN.QUY.REPORTING_RATE 2024Q2 = 5.9", "T.AN.QUY.ACTUAL_REPORTS 2024Q2 = 1", "T.AN.QUY.EXPECTED_REPORTS 2024Q2 = 17")
		f.expect("dieuphoi", fmt.Sprintf("dimension=dx:%d.REPORTING_RATE&filter=pe:2024Q1;2024Q2&dimension=ou:{GL}", form),
			fmt.Sprintf("%d.REPORTING_RATE GL = 2.9", form))
	})
}

// TestAnalyticsComputed: an indicator with a ComputedFunc answers through
// it, for each unit and period asked, and a derived indicator over it too.
func TestAnalyticsComputed(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		f := newAnaFixture(t, app)
		s := app.Server.Report
		gl := app.UnitID(t, "GL")
		s.AddComputed("T.AN.AVG", func(ctx context.Context, unit int64, p report.Period) (float64, bool, error) {
			if unit != gl {
				return 0, false, nil
			}
			return float64(p.Year()) / 100, true, nil
		})
		y24, _ := report.ParsePeriod("2024")
		y25, _ := report.ParsePeriod("2025")
		cells, err := s.Analytics(context.Background(), report.AnalyticsQuery{
			Data:    []report.AnalyticsData{{Indicator: f.ind["T.AN.AVG"]}},
			Periods: []report.Period{y24, y25},
			Units:   []report.AnalyticsUnit{{ID: gl}, {ID: app.UnitID(t, "LC")}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cells {
			got = append(got, fmt.Sprintf("%d %d %.2f", c.Period, c.Unit, c.Value))
		}
		if strings.Join(got, ";") != "0 0 20.24;1 0 20.25" {
			t.Errorf("computed cells %v", got)
		}
	})
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAnalyticsSumsAgree: the database's sums over a province's units and
// the combination of each unit's totals give the same figures (flows,
// derived rates, options, filters), on a server that sums and one that
// does not.
func TestAnalyticsSumsAgree(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		f := newAnaFixture(t, app)
		f.write("T.AN.SUM GL.PLEIKU 2024Q1 10", "T.AN.SUM GL.PLEIKU.CHILANG 2024Q2 20", "T.AN.SUM GL.ANKHE 2024 7", "T.AN.SUM GL25.P.ANKHE 2025Q3 5",
			"T.AN.NUM GL.PLEIKU 2024Q1 30", "T.AN.DEN GL.PLEIKU 2024Q1 60", "T.AN.NUM GL.ANKHE.NGOMAY 2024Q2 10", "T.AN.DEN GL.ANKHE.NGOMAY 2024Q2 40",
			"T.AN.OPT.TOANTRINH GL.PLEIKU 2024Q1 3", "T.AN.OPT.MOTPHAN GL.ANKHE 2024Q1 4", "T.AN.STOCK GL.PLEIKU 2024Q1 5", "T.AN.STOCK GL.PLEIKU 2024Q4 8")
		queries := []string{
			"dimension=dx:T.AN.SUM;T.AN.RATE;T.AN.OPT;T.AN.STOCK;T.AN.NUM&dimension=pe:2024;2024S1;2025&dimension=ou:{GL};{GL25};{GL.PLEIKU}",
			"dimension=dx:T.AN.SUM;T.AN.RATE&filter=pe:2024;2025&filter=ou:{GL};{BD}",
			"dimension=dx:T.AN.OPT&dimension=co&dimension=pe:2024&dimension=ou:{GL25}",
		}
		var summed []string
		for _, q := range queries {
			summed = append(summed, strings.Join(f.values(f.ask("admin", q)), "\n"))
		}
		if !strings.Contains(summed[0], "T.AN.RATE 2024 GL25 = 40.0") || !strings.Contains(summed[0], "T.AN.SUM 2024 GL = 37") {
			t.Fatalf("summed answers:\n%s", summed[0])
		}
		app.Server.Report.SumUnitByUnit()
		for i, q := range queries {
			if got := strings.Join(f.values(f.ask("admin", q)), "\n"); got != summed[i] {
				t.Errorf("%s\nunit by unit:\n%s\nsummed:\n%s", q, got, summed[i])
			}
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM org_units u JOIN org_unit_versions v ON v.unit_id = u.id WHERE v.parent_id = $1`, app.UnitID(t, "GL")); n == 0 {
			t.Fatal("no units under GL")
		}
	})
}

// TestTotalsGatheredMatchHook: a long import gathers the running totals
// of its batches and adds them at once; the totals are then those the hook
// keeps batch by batch, deletions and updates across batches included.
func TestTotalsGatheredMatchHook(t *testing.T) {
	t.Parallel()
	first := []string{
		"T.AN.SUM GL.PLEIKU 2024Q1 10", "T.AN.SUM GL.PLEIKU 2024Q2 20", "T.AN.SUM GL.PLEIKU 202407 3", "T.AN.SUM GL.PLEIKU 202412 4",
		"T.AN.SUM GL.PLEIKU 2023Q4 2", "T.AN.SUM GL.ANKHE 2022Q4 9",
		"T.AN.LAST GL.ANKHE 2024Q1 1.5", "T.AN.LAST GL.ANKHE 202403 2.5", "T.AN.LAST GL.ANKHE 2024Q4 3.25",
		"T.AN.OPT.TOANTRINH GL.ANKHE 2024Q3 5", "T.AN.OPT.MOTPHAN GL.ANKHE 2024Q3 6",
	}
	// The long write: updates, deletions, new values in 2024 and 2025, a
	// weekly value across years; 2022 and 2023 untouched.
	long := []string{
		"T.AN.SUM GL.PLEIKU 2024Q2 25", "T.AN.LAST GL.ANKHE 2024Q4 -", "T.AN.OPT.MOTPHAN GL.ANKHE 2024Q3 -",
		"T.AN.SUM GL.PLEIKU 2024S2 5", "T.AN.SUM GL.PLEIKU 2024NM 6", "T.AN.SUM GL.PLEIKU 2025 7", "T.AN.SUM GL.PLEIKU 2024W10 8",
		"T.AN.SUM GL.ANKHE 2025Q1 11", "T.AN.LAST GL.PLEIKU 2025Q2 4.5", "T.AN.SUM GL.PLEIKU 2025W1 1",
		"T.AN.LAST GL.PLEIKU 2025Q3 5", "T.AN.LAST GL.PLEIKU 2025Q3 -", "T.AN.SUM GL.ANKHE 2025Q1 12",
	}
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		totals := map[bool][]string{}
		f := newAnaFixture(t, app)
		for _, deferred := range []bool{false, true} {
			t.Run(fmt.Sprint("deferred=", deferred), func(t *testing.T) {
				if _, err := app.DB.Write.Exec(`DELETE FROM report_values`); err != nil {
					t.Fatal(err)
				}
				if _, err := app.DB.Write.Exec(`DELETE FROM report_agg`); err != nil {
					t.Fatal(err)
				}
				f.write(first...)
				vs := f.inputs(long...)
				err := app.DB.Tx(context.Background(), func(tx *sql.Tx) error {
					if deferred {
						return app.Server.Report.WriteGathered(context.Background(), tx, vs, 3, report.WriteOptions{Source: "api"})
					}
					_, err := app.Server.Report.WriteValues(context.Background(), tx, vs, report.WriteOptions{Source: "api"})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				got := aggRows(t, app)
				if len(got) == 0 {
					t.Fatal("no totals")
				}
				totals[deferred] = got
			})
		}
		if a, b := strings.Join(totals[false], "\n"), strings.Join(totals[true], "\n"); a != b {
			t.Errorf("rebuilt:\n%s\nhook:\n%s", b, a)
		}
	})
}
