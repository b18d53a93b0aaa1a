package report_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/testapp"
)

// BenchmarkAnalytics10M is the analytics target: one indicator, a
// 1,000-unit tree, five years rolled up by year, over a database holding
// 10,000,000 values, through GET /api/v1/analytics (authentication, the
// registry, the running totals, JSON), against a plain GROUP BY over the
// raw values of the same 1,000 units in the same run. It also checks that
// both give the same sums and that a value written is in the next answer.
//
// Building 10 M values takes minutes, so it runs only when asked:
//
//	TINHSO_BENCH_ANALYTICS=1 go test ./internal/report/ -run '^$' -bench BenchmarkAnalytics10M -benchtime 1x -timeout 60m
//
// (with TINHSO_TEST_POSTGRES set, on PostgreSQL too). TINHSO_BENCH_VALUES
// sets another number of values (the registry stays the same). With
// TINHSO_BENCH_KEEP=DIR the databases are kept (DIR/analytics.db, and the
// schema bench_analytics of TINHSO_TEST_POSTGRES) and a later run with the
// same variable times them again without building them.
func BenchmarkAnalytics10M(b *testing.B) {
	if os.Getenv("TINHSO_BENCH_ANALYTICS") == "" {
		b.Skip("set TINHSO_BENCH_ANALYTICS=1 to build 10,000,000 values and time analytics against a raw GROUP BY")
	}
	total := 10_000_000
	if v := os.Getenv("TINHSO_BENCH_VALUES"); v != "" {
		fmt.Sscan(v, &total)
	}
	urls := testapp.DemoURLs(b)
	if dir := os.Getenv("TINHSO_BENCH_KEEP"); dir != "" {
		urls = map[store.Engine]string{store.SQLite: "sqlite:" + filepath.Join(dir, "analytics.db")}
		if pg := os.Getenv("TINHSO_TEST_POSTGRES"); pg != "" {
			admin, err := sql.Open("pgx", pg)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := admin.Exec(`CREATE SCHEMA IF NOT EXISTS bench_analytics`); err != nil {
				b.Fatal(err)
			}
			admin.Close()
			u, _ := url.Parse(pg)
			q := u.Query()
			q.Set("search_path", "bench_analytics")
			u.RawQuery = q.Encode()
			urls[store.Postgres] = u.String()
		}
	}
	for engine, u := range urls {
		b.Run(string(engine), func(b *testing.B) {
			app := testapp.New(b, u)
			benchAnalytics(b, app, total)
		})
	}
}

// The synthetic country: three provinces of 1,000 units each (the province,
// 37 districts, 962 communes), every unit reporting every indicator every
// month of 2020–2024; the indicators are as many as make the values asked.
const (
	benchProvinces = 3
	benchDistricts = 37
	benchCommunes  = 26 // per district
	benchMonths    = 60
)

func benchAnalytics(b *testing.B, app *testapp.App, total int) {
	ctx := context.Background()
	start := time.Now()
	var built int
	app.DB.Read.QueryRow(`SELECT COUNT(*) FROM org_units WHERE code LIKE 'BX%'`).Scan(&built)
	if built > 0 {
		b.Logf("%s: timing the kept database", app.DB.Engine)
		benchQueries(b, app)
		return
	}
	// Units, through the registry's own import.
	var provinces []int64
	units := map[int64][]int64{} // province → its 1,000 units
	err := app.DB.Tx(ctx, func(tx *sql.Tx) error {
		vn := app.UnitID(b, "VN")
		add := func(code, name, kind string, parent int64) int64 {
			id, err := app.Org.ImportUnit(ctx, tx, org.UnitInput{Code: code, Name: name, Kind: kind, ParentID: &parent, ValidFrom: "2000-01-01"})
			if err != nil {
				b.Fatal(err)
			}
			return id
		}
		for p := range benchProvinces {
			root := add(fmt.Sprintf("BX%d", p), fmt.Sprintf("Tỉnh Thử nghiệm %d", p), "province", vn)
			provinces = append(provinces, root)
			units[root] = append(units[root], root)
			for d := range benchDistricts {
				dist := add(fmt.Sprintf("BX%d.H%02d", p, d), fmt.Sprintf("Huyện %02d", d), "district", root)
				units[root] = append(units[root], dist)
				for c := range benchCommunes {
					units[root] = append(units[root], add(fmt.Sprintf("BX%d.H%02d.X%02d", p, d, c), fmt.Sprintf("Xã %02d-%02d", d, c), "commune", dist))
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var all []int64
	for _, p := range provinces {
		all = append(all, units[p]...)
	}
	perIndicator := len(all) * benchMonths
	nInd := (total + perIndicator - 1) / perIndicator
	var doc strings.Builder
	doc.WriteString(`{"indicators":[`)
	for i := range nInd {
		if i > 0 {
			doc.WriteString(",")
		}
		fmt.Fprintf(&doc, `{"code":"BX.I%03d","name":"Chỉ tiêu thử %d","valueType":"INTEGER","aggregation":"sum","timeAggregation":"sum"}`, i, i)
	}
	doc.WriteString(`]}`)
	if status, body, _ := app.Do(b, "admin", "POST", "/api/v1/report/import", doc.String()); status != 201 {
		b.Fatalf("import indicators: %d %s", status, body)
	}
	inds := make([]int64, nInd)
	for i := range nInd {
		if err := app.DB.Read.QueryRow(`SELECT id FROM report_indicators WHERE code = $1`, fmt.Sprintf("BX.I%03d", i)).Scan(&inds[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%s: %d units, %d indicators, %d values to write", app.DB.Engine, len(all), nInd, nInd*perIndicator)

	// Values with plain INSERT … SELECTs (each unit × month of the five
	// years, per indicator), then their running totals with the migration's
	// backfill, the statement TestAnalyticsBackfillMatchesHook holds to the
	// write hook, per indicator.
	loadStart := time.Now()
	if _, err := app.DB.Write.ExecContext(ctx, `CREATE TABLE bench_months (m INTEGER NOT NULL, period TEXT NOT NULL, start_date TEXT NOT NULL, end_date TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	for m := range benchMonths {
		p, _ := report.NewPeriod(report.Monthly, 2020+m/12, m%12+1)
		if _, err := app.DB.Write.ExecContext(ctx, `INSERT INTO bench_months VALUES ($1, $2, $3, $4)`, m, p.String(), p.Start().Format(time.DateOnly), p.End().Format(time.DateOnly)); err != nil {
			b.Fatal(err)
		}
	}
	backfill := backfillSQL(b)
	for i, ind := range inds {
		err := app.DB.Tx(ctx, func(tx *sql.Tx) error {
			v := fmt.Sprintf("((%d * 7 + u.id * 13 + m.m * 3) %% 100 + 1)", ind)
			if _, err := tx.ExecContext(ctx, `INSERT INTO report_values (indicator_id, option_id, unit_id, period, period_type, start_date, end_date, value, number, comment, followup, created_at, updated_at)
				SELECT `+fmt.Sprint(ind)+`, 0, u.id, m.period, 'Monthly', m.start_date, m.end_date, CAST(`+v+` AS TEXT), `+v+`, '', FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
				FROM org_units u CROSS JOIN bench_months m WHERE u.code LIKE 'BX%' ORDER BY u.id, m.m`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO report_value_types (indicator_id, period_type) VALUES ($1, 'Monthly')`, ind); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, strings.ReplaceAll(backfill, "WHERE number IS NOT NULL", fmt.Sprintf("WHERE indicator_id = %d AND number IS NOT NULL", ind)))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		if i%10 == 9 {
			b.Logf("%s: %d indicators loaded in %s", app.DB.Engine, i+1, time.Since(loadStart).Round(time.Second))
		}
	}
	if app.DB.Engine == store.Postgres {
		if _, err := app.DB.Write.ExecContext(ctx, `ANALYZE report_values; ANALYZE report_agg`); err != nil {
			b.Fatal(err)
		}
	} else if _, err := app.DB.Write.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	var nValues, nAgg int
	app.DB.Read.QueryRow(`SELECT COUNT(*) FROM report_values`).Scan(&nValues)
	app.DB.Read.QueryRow(`SELECT COUNT(*) FROM report_agg`).Scan(&nAgg)
	b.Logf("%s: %d values and %d running totals loaded in %s (setup %s)", app.DB.Engine, nValues, nAgg,
		time.Since(loadStart).Round(time.Second), time.Since(start).Round(time.Second))

	benchQueries(b, app)
}

// benchQueries times the query on a built database.
func benchQueries(b *testing.B, app *testapp.App) {
	ctx := context.Background()
	// The query: one indicator, the first province's 1,000-unit tree, five
	// years by year.
	var root, ind int64
	var nInd int
	if err := app.DB.Read.QueryRow(`SELECT id FROM org_units WHERE code = 'BX0'`).Scan(&root); err != nil {
		b.Fatal(err)
	}
	app.DB.Read.QueryRow(`SELECT COUNT(*) FROM report_indicators WHERE code LIKE 'BX.I%'`).Scan(&nInd)
	if err := app.DB.Read.QueryRow(`SELECT id FROM report_indicators WHERE code = $1`, fmt.Sprintf("BX.I%03d", nInd/2)).Scan(&ind); err != nil {
		b.Fatal(err)
	}
	var subtree []int64
	rows, err := app.DB.Read.Query(`SELECT id FROM org_units WHERE code = 'BX0' OR code LIKE 'BX0.%' ORDER BY id`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		subtree = append(subtree, id)
	}
	rows.Close()
	var nValues, nAgg int
	app.DB.Read.QueryRow(`SELECT COUNT(*) FROM report_values`).Scan(&nValues)
	app.DB.Read.QueryRow(`SELECT COUNT(*) FROM report_agg`).Scan(&nAgg)
	b.Logf("%s: %d values, %d running totals; the tree of %d units", app.DB.Engine, nValues, nAgg, len(subtree))
	path := fmt.Sprintf("/api/v1/analytics?dimension=dx:%d&dimension=pe:2020%%3B2021%%3B2022%%3B2023%%3B2024&dimension=ou:%d&skipMeta=true", ind, root)
	ours := func() map[string]string {
		status, body, _ := app.Do(b, "admin", "GET", path, "")
		if status != 200 {
			b.Fatalf("analytics: %d %s", status, body)
		}
		var a anaAnswer
		testappJSON(b, body, &a)
		out := map[string]string{}
		for _, r := range a.Rows {
			out[r[1]] = r[len(r)-1]
		}
		return out
	}
	// The baseline gets the subtree's ids as literals, as analytics do (no
	// thousand-parameter statement to prepare), and the UNIQUE index on
	// (indicator, unit, period).
	var ids []string
	for _, u := range subtree {
		ids = append(ids, fmt.Sprint(u))
	}
	args := []any{ind}
	baseline := `SELECT substr(period, 1, 4), SUM(number) FROM report_values WHERE indicator_id = $1 AND unit_id IN (` + strings.Join(ids, ",") +
		`) AND start_date >= '2020-01-01' AND end_date <= '2024-12-31' GROUP BY substr(period, 1, 4)`
	raw := func() map[string]string {
		rows, err := app.DB.Read.QueryContext(ctx, baseline, args...)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var y string
			var s float64
			if err := rows.Scan(&y, &s); err != nil {
				b.Fatal(err)
			}
			out[y] = fmt.Sprintf("%.0f", s)
		}
		return out
	}
	if got, want := ours(), raw(); fmt.Sprint(got) != fmt.Sprint(want) || len(want) != 5 {
		b.Fatalf("analytics %v, GROUP BY %v", got, want)
	}
	const runs = 200
	measure := func(fn func() map[string]string) (p50, p95 time.Duration) {
		for range 5 {
			fn()
		}
		d := make([]time.Duration, runs)
		for i := range runs {
			t0 := time.Now()
			fn()
			d[i] = time.Since(t0)
		}
		slices.Sort(d)
		return d[runs/2], d[runs*95/100]
	}
	b.ResetTimer()
	o50, o95 := measure(ours)
	r50, r95 := measure(raw)
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(o50), "analytics-p50-ms")
	b.ReportMetric(ms(o95), "analytics-p95-ms")
	b.ReportMetric(ms(r50), "groupby-p50-ms")
	b.ReportMetric(ms(r95), "groupby-p95-ms")
	b.ReportMetric(ms(o95)/ms(r95), "p95-ratio")
	b.Logf("%s: analytics p50 %.1f ms p95 %.1f ms; GROUP BY p50 %.1f ms p95 %.1f ms; ratio %.2f", app.DB.Engine, ms(o50), ms(o95), ms(r50), ms(r95), ms(o95)/ms(r95))

	// A value written is in the next answer.
	before := ours()["2024"]
	p, _ := report.ParsePeriod("202412")
	err = app.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := app.Server.Report.WriteValues(ctx, tx, []report.ValueInput{{Key: report.Key{Indicator: ind, Unit: subtree[5], Period: "202412"},
			PeriodOf: p, ValueType: "INTEGER", Value: fmt.Sprint(1_000_000 + time.Now().UnixNano()%1_000_000)}}, report.WriteOptions{Source: "api"})
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if after := ours()["2024"]; after == before {
		b.Errorf("a value written is not in the next answer: %s before and after", before)
	}
}

func testappJSON(b *testing.B, body []byte, v any) { testapp.JSON(b, body, v) }

// BenchmarkWriteHook is what the running totals cost a write: 10,000
// quarterly values (10 indicators × 250 units × 4 quarters) through
// WriteValues in transactions of 2,000, with the hook and without it, on
// each engine.
//
//	go test ./internal/report/ -run '^$' -bench BenchmarkWriteHook -benchtime 3x
func BenchmarkWriteHook(b *testing.B) {
	for engine, u := range testapp.DemoURLs(b) {
		b.Run(string(engine), func(b *testing.B) {
			app := testapp.New(b, u)
			ctx := context.Background()
			var doc strings.Builder
			doc.WriteString(`{"indicators":[`)
			for i := range 10 {
				if i > 0 {
					doc.WriteString(",")
				}
				fmt.Fprintf(&doc, `{"code":"BW.I%02d","name":"Chỉ tiêu ghi %d","valueType":"INTEGER","aggregation":"sum","timeAggregation":"sum"}`, i, i)
			}
			doc.WriteString(`]}`)
			if status, body, _ := app.Do(b, "admin", "POST", "/api/v1/report/import", doc.String()); status != 201 {
				b.Fatalf("import: %d %s", status, body)
			}
			var inds, units []int64
			rows, _ := app.DB.Read.Query(`SELECT id FROM report_indicators WHERE code LIKE 'BW.I%'`)
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				inds = append(inds, id)
			}
			rows.Close()
			rows, _ = app.DB.Read.Query(`SELECT id FROM org_units ORDER BY id LIMIT 250`)
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				units = append(units, id)
			}
			rows.Close()
			round := 0
			write := func() time.Duration {
				round++
				var vs []report.ValueInput
				for _, ind := range inds {
					for _, u := range units {
						for q := 1; q <= 4; q++ {
							p, _ := report.NewPeriod(report.Quarterly, 2000+round, q)
							vs = append(vs, report.ValueInput{Key: report.Key{Indicator: ind, Unit: u, Period: p.String()}, PeriodOf: p, ValueType: "INTEGER", Value: fmt.Sprint(q * 10)})
						}
					}
				}
				t0 := time.Now()
				for i := 0; i < len(vs); i += 2000 {
					err := app.DB.Tx(ctx, func(tx *sql.Tx) error {
						_, err := app.Server.Report.WriteValues(ctx, tx, vs[i:min(i+2000, len(vs))], report.WriteOptions{Source: "api"})
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				return time.Since(t0)
			}
			var with, without time.Duration
			for b.Loop() {
				app.Server.Report.WriteWithoutTotals(false)
				with += write()
				app.Server.Report.WriteWithoutTotals(true)
				without += write()
			}
			app.Server.Report.WriteWithoutTotals(false)
			n := float64(b.N * len(inds) * len(units) * 4)
			b.ReportMetric(n/with.Seconds(), "values/s-with-totals")
			b.ReportMetric(n/without.Seconds(), "values/s-without")
			b.ReportMetric(with.Seconds()/without.Seconds(), "time-ratio")
		})
	}
}
