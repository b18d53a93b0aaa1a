package report_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/auth"
	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/server"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/store/storetest"
)

// country is a synthetic country shaped like Vietnam since 1 July 2025:
// 63 provinces holding 3,321 communes (45 provinces of 53, 18 of 52). In
// each province the first five communes were formed on 1 July 2025 by
// merging two older ones each, so the first half of 2025 had 3,636
// communes and its reports count under their successors today. One
// monthly form is assigned to every commune; each of the 12 months of 2025
// has a report from about 90% of the communes (some late, some approved,
// some returned).
type country struct {
	db     *store.DB
	srv    *server.Server
	form   int64
	nation int64
	token  string
}

const benchForm = `{"indicators":[{"code":"B.SO","name":"Số liệu thử","valueType":"INTEGER","aggregation":"sum","timeAggregation":"sum"}],
 "forms":[{"code":"B.THANG","name":"Báo cáo tháng thử nghiệm","periodType":"Monthly","deadlineDays":2,"issuerUnit":"VN",
  "sections":[{"name":"A","indicators":["B.SO"]}],"assign":[{"under":"VN","kinds":["commune"]}]}]}`

func buildCountry(b *testing.B, dbURL string) *country {
	b.Helper()
	ctx := context.Background()
	db := storetest.Open(b, dbURL)
	cfg := config.Default()
	cfg.Database, cfg.Passwords = dbURL, password.Cheap()
	srv := server.New(cfg, db)
	c := &country{db: db, srv: srv}
	now := store.Now()
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		unit := func(code, name, kind string, parent int64, from, to string) (int64, error) {
			var id int64
			var vto any
			if to != "" {
				vto = to
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO org_units (code, valid_from, valid_to, created_at) VALUES ($1, $2, $3, $4) RETURNING id`, code, from, vto, now).Scan(&id); err != nil {
				return 0, err
			}
			var p any
			if parent != 0 {
				p = parent
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO org_unit_versions (unit_id, name, search_name, kind, parent_id, sort_order, valid_from, valid_to) VALUES ($1, $2, $2, $3, $4, 0, $5, $6)`,
				id, name, kind, p, from, vto)
			return id, err
		}
		var err error
		if c.nation, err = unit("VN", "Việt Nam", "nation", 0, "1945-09-02", ""); err != nil {
			return err
		}
		for pi := range 63 {
			prov, err := unit(fmt.Sprintf("P%02d", pi), fmt.Sprintf("Tỉnh %02d", pi), "province", c.nation, "2000-01-01", "")
			if err != nil {
				return err
			}
			n := 52
			if pi < 45 {
				n = 53
			}
			for ci := range n {
				code := fmt.Sprintf("P%02d.X%02d", pi, ci)
				if ci >= 5 {
					if _, err := unit(code, "Xã "+code, "commune", prov, "2000-01-01", ""); err != nil {
						return err
					}
					continue
				}
				// A commune formed on 1 July 2025 from two older ones.
				merged, err := unit(code, "Xã "+code, "commune", prov, "2025-07-01", "")
				if err != nil {
					return err
				}
				var ev int64
				if err := tx.QueryRowContext(ctx, `INSERT INTO org_events (kind, event_date, created_at) VALUES ('merge', '2025-07-01', $1) RETURNING id`, now).Scan(&ev); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO org_event_units (event_id, unit_id, role) VALUES ($1, $2, 'to')`, ev, merged); err != nil {
					return err
				}
				for _, old := range []string{code + "A", code + "B"} {
					id, err := unit(old, "Xã "+old, "commune", prov, "2000-01-01", "2025-06-30")
					if err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, `INSERT INTO org_event_units (event_id, unit_id, role) VALUES ($1, $2, 'from')`, ev, id); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var doc report.Doc
	if err := jsonUnmarshal(benchForm, &doc); err != nil {
		b.Fatal(err)
	}
	if _, err := srv.Report.Import(ctx, doc); err != nil {
		b.Fatal(err)
	}
	if err := db.Read.QueryRowContext(ctx, `SELECT id FROM report_forms WHERE code = 'B.THANG'`).Scan(&c.form); err != nil {
		b.Fatal(err)
	}
	// Reports: for each month, every commune that must report, except one
	// in ten; of those sent, one in seven late, one in five approved, one
	// in thirteen returned.
	year, _ := report.ParsePeriod("2025")
	months := year.Months()
	type row struct {
		unit   int64
		period string
		state  string
		onTime bool
	}
	var rows []row
	for mi, m := range months {
		units, err := srv.Report.ExpectedUnits(ctx, c.form, []report.Period{m})
		if err != nil {
			b.Fatal(err)
		}
		for i, u := range units[m.String()] {
			k := i + mi
			if k%10 == 0 {
				continue
			}
			st := report.StateSubmitted
			switch {
			case k%13 == 0:
				st = report.StateReturned
			case k%5 == 0:
				st = report.StateApproved
			}
			rows = append(rows, row{u, m.String(), st, k%7 != 0})
		}
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		for i := 0; i < len(rows); i += 400 {
			batch := rows[i:min(i+400, len(rows))]
			var sb strings.Builder
			args := []any{c.form, now}
			sb.WriteString(`INSERT INTO report_submissions (form_id, unit_id, period, state, on_time, first_submitted_at, submitted_at, updated_at) VALUES `)
			for j, r := range batch {
				if j > 0 {
					sb.WriteString(",")
				}
				n := len(args)
				fmt.Fprintf(&sb, "($1, $%d, $%d, $%d, $%d, $2, $2, $2)", n+1, n+2, n+3, n+4)
				args = append(args, r.unit, r.period, r.state, r.onTime)
			}
			if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// An official of the nation, for the API.
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		id, err := srv.Org.CreateOfficial(ctx, tx, org.OfficialInput{Username: "quantri", FullName: "Quản trị", UnitID: c.nation, Password: "mat-khau-thu-nghiem",
			Roles: []org.Grant{{Role: org.RoleAdmin, ScopeID: c.nation}}})
		if err != nil {
			return err
		}
		nt, err := auth.CreateToken(ctx, tx, id, auth.TokenInput{Name: "bench"}, srv.Auth.Tokens)
		c.token = nt.Secret
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if db.Engine == store.Postgres {
		db.Write.ExecContext(ctx, `ANALYZE`)
	}
	return c
}

// figure is one unit's counts for one month.
type figure struct{ expected, actual, onTime, approved int }

// baseline computes the same figures with one plain SQL statement: the
// communes that stood on each month's cut-off day, mapped one merge step to
// their successor, LEFT JOINed to their reports and grouped by commune, by
// province and for the nation.
func (c *country) baseline(ctx context.Context) (map[string]figure, error) {
	year, _ := report.ParsePeriod("2025")
	var values []string
	for _, m := range year.Months() {
		_, end := m.CutOff()
		values = append(values, fmt.Sprintf("('%s', '%s')", m, end.Format(time.DateOnly)))
	}
	q := `WITH p(period, d) AS (VALUES ` + strings.Join(values, ", ") + `),
	c AS (SELECT p.period, v.unit_id AS unit, v.parent_id AS province FROM p
		JOIN org_unit_versions v ON v.kind = 'commune' AND v.valid_from <= p.d AND (v.valid_to IS NULL OR v.valid_to >= p.d)),
	r AS (SELECT c.period, COALESCE(t.unit_id, c.unit) AS unit, c.province,
		CASE WHEN s.state IN ('submitted', 'approved', 'accepted') THEN 1 ELSE 0 END AS actual,
		CASE WHEN s.state IN ('submitted', 'approved', 'accepted') AND s.on_time THEN 1 ELSE 0 END AS ontime,
		CASE WHEN s.state IN ('approved', 'accepted') THEN 1 ELSE 0 END AS approved
		FROM c
		LEFT JOIN report_submissions s ON s.form_id = $1 AND s.unit_id = c.unit AND s.period = c.period
		LEFT JOIN org_event_units f ON f.unit_id = c.unit AND f.role = 'from'
		LEFT JOIN org_event_units t ON t.event_id = f.event_id AND t.role = 'to' AND t.unit_id <> c.unit)
	SELECT period, unit, COUNT(*), SUM(actual), SUM(ontime), SUM(approved) FROM r GROUP BY period, unit
	UNION ALL SELECT period, province, COUNT(*), SUM(actual), SUM(ontime), SUM(approved) FROM r GROUP BY period, province
	UNION ALL SELECT period, $2, COUNT(*), SUM(actual), SUM(ontime), SUM(approved) FROM r GROUP BY period`
	rows, err := c.db.Read.QueryContext(ctx, q, c.form, c.nation)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]figure{}
	for rows.Next() {
		var period string
		var unit int64
		var f figure
		if err := rows.Scan(&period, &unit, &f.expected, &f.actual, &f.onTime, &f.approved); err != nil {
			return nil, err
		}
		out[fmt.Sprint(period, " ", unit)] = f
	}
	return out, rows.Err()
}

func (c *country) completeness(ctx context.Context) (map[string]figure, error) {
	year, _ := report.ParsePeriod("2025")
	res, err := c.srv.Report.Completeness(ctx, report.CompletenessQuery{Forms: []int64{c.form}, Periods: year.Months(), Units: []int64{c.nation}, Descendants: true})
	if err != nil {
		return nil, err
	}
	out := make(map[string]figure, len(res.Rows))
	for _, r := range res.Rows {
		out[fmt.Sprint(r.Period, " ", r.Unit.ID)] = figure{r.Expected, r.Actual, r.ActualOnTime, r.Approved}
	}
	return out, nil
}

// timed runs fn b.N times and reports p50 and p95 in ms, and the CPU
// time the process spent per run (user + system, all goroutines: it shows
// the work done even when other jobs share the machine).
func timed(b *testing.B, fn func() error) {
	b.Helper()
	var times []time.Duration
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ResetTimer()
	startCPU := cpu()
	for b.Loop() {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64((cpu()-startCPU).Microseconds())/1000/float64(len(times)), "cpu-ms/op")
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	at := func(q float64) float64 { return float64(times[int(float64(len(times)-1)*q)].Microseconds()) / 1000 }
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
}

// BenchmarkCompleteness measures the speed target — reporting
// rates for every unit of a 3,321-commune country for 12 months — on each
// engine under test: Completeness for the nation and every unit below it
// (40,620 rows of figures), the same through the API for the nation and
// its 63 provinces, and the plain SQL GROUP BY that computes the same
// figures, in the same run. It first checks that both give the same
// numbers.
func BenchmarkCompleteness(b *testing.B) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for engine, u := range storetest.URLs(b) {
		b.Run(string(engine), func(b *testing.B) {
			c := buildCountry(b, u)
			ctx := context.Background()
			got, err := c.completeness(ctx)
			if err != nil {
				b.Fatal(err)
			}
			want, err := c.baseline(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if len(got) != 12*(1+63+3321) {
				b.Fatalf("%d rows of figures, want %d", len(got), 12*(1+63+3321))
			}
			for k, w := range want {
				if got[k] != w {
					b.Fatalf("%s: completeness %+v, SQL %+v", k, got[k], w)
				}
			}
			b.Run("completeness_every_unit", func(b *testing.B) {
				timed(b, func() error { _, err := c.completeness(ctx); return err })
			})
			b.Run("baseline_sql_group_by", func(b *testing.B) {
				timed(b, func() error { _, err := c.baseline(ctx); return err })
			})
			ts := httptest.NewServer(c.srv.Handler())
			defer ts.Close()
			url := ts.URL + "/api/v1/report/completeness?form=B.THANG&from=202501&to=202512&unit=VN&children=true"
			b.Run("api_nation_and_provinces", func(b *testing.B) {
				timed(b, func() error {
					req, _ := http.NewRequest("GET", url, nil)
					req.Header.Set("Authorization", "Bearer "+c.token)
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						return err
					}
					defer res.Body.Close()
					body, _ := io.ReadAll(res.Body)
					if res.StatusCode != 200 || !strings.Contains(string(body), `"code":"P62"`) {
						return fmt.Errorf("status %d: %.300s", res.StatusCode, body)
					}
					return nil
				})
			})
		})
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
