package report_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
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

// Benchmark sizes: 50 indicators × 1,000 communes × 20 quarters
// (TINHSO_BENCH_PERIODS takes fewer quarters, for profiling).
const (
	benchIndicators = 50
	benchUnits      = 1000
)

func benchPeriods() int {
	if n, err := strconv.Atoi(os.Getenv("TINHSO_BENCH_PERIODS")); err == nil && n > 0 && n <= 20 {
		return n
	}
	return 20
}

// BenchmarkImportMillion imports 1,000,000 data values through POST
// /api/dataValueSets (DHIS2 JSON named by codes, streamed from a
// generator, force=true as an administrator since the quarters are
// history) on SQLite and, when TINHSO_TEST_POSTGRES is set, PostgreSQL;
// and, as the baseline of the same run, a plain batched INSERT of the same
// rows into report_values in one transaction. It reports the import's
// seconds, the baseline's, their ratio, and the process's peak resident
// memory during the import (VmHWM after resetting it), and fails when the
// import does not count 1,000,000 imported values. Run with -benchtime 1x.
func BenchmarkImportMillion(b *testing.B) {
	engines := map[string]string{"sqlite": "sqlite:" + filepath.Join(b.TempDir(), "bench.db")}
	if pg := os.Getenv("TINHSO_TEST_POSTGRES"); pg != "" {
		engines["postgres"] = storetest.URLs(b)[store.Postgres]
	}
	names := []string{"sqlite", "postgres"}
	if os.Getenv("TINHSO_BENCH_KEY_TRIGGERS") != "" && engines["postgres"] != "" {
		// As for a role that may not set session_replication_role: the
		// foreign keys' triggers check every row (bulk.go).
		engines["postgres-key-triggers"] = storetest.URLs(b)[store.Postgres]
		names = append(names, "postgres-key-triggers")
	}
	for _, engine := range names {
		u, ok := engines[engine]
		if !ok {
			b.Run(engine, func(b *testing.B) { b.Skip("TINHSO_TEST_POSTGRES is not set") })
			continue
		}
		b.Run(engine, func(b *testing.B) {
			db := storetest.Open(b, u)
			ctx := context.Background()
			cfg := config.Default()
			cfg.Database = u
			cfg.Passwords = password.Cheap()
			srv := server.New(cfg, db)
			report.KeepKeyTriggers(srv.Report, engine == "postgres-key-triggers")
			ts := httptest.NewServer(srv.Handler())
			b.Cleanup(ts.Close)
			token, units := benchSetup(b, ctx, db, srv)
			periods := make([]string, benchPeriods())
			for i := range periods {
				periods[i] = fmt.Sprintf("%dQ%d", 2021+i/4, i%4+1)
			}
			for b.Loop() {
				clearValues(b, db)
				start, cpu0 := time.Now(), cpuTime()
				benchInsert(b, ctx, db, units, periods)
				insert, insertCPU := time.Since(start), cpuTime()-cpu0
				clearValues(b, db)

				resetPeak()
				startRSS := rss()
				start, cpu0 = time.Now(), cpuTime()
				pr, pw := io.Pipe()
				go func() { pw.CloseWithError(writePayload(pw, periods)) }()
				req, _ := http.NewRequest("POST", ts.URL+"/api/dataValueSets?idScheme=CODE&force=true", pr)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "ApiToken "+token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				imp, impCPU := time.Since(start), cpuTime()-cpu0
				peak := peakRSS()
				want := fmt.Sprintf(`"importCount":{"imported":%d,"updated":0,"ignored":0,"deleted":0}`, benchIndicators*benchUnits*len(periods))
				if res.StatusCode != 200 || !strings.Contains(string(body), want) {
					b.Fatalf("import: %d %.600s", res.StatusCode, body)
				}
				// The same payload again: every value read, checked and
				// found unchanged (DHIS2's ignored).
				start = time.Now()
				pr, pw = io.Pipe()
				go func() { pw.CloseWithError(writePayload(pw, periods)) }()
				req, _ = http.NewRequest("POST", ts.URL+"/api/dataValueSets?idScheme=CODE&force=true", pr)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "ApiToken "+token)
				res, err = http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body, _ = io.ReadAll(res.Body)
				res.Body.Close()
				again := time.Since(start)
				if !strings.Contains(string(body), fmt.Sprintf(`"ignored":%d`, benchIndicators*benchUnits*len(periods))) {
					b.Fatalf("re-import: %d %.600s", res.StatusCode, body)
				}
				b.ReportMetric(imp.Seconds(), "import-s")
				b.ReportMetric(insert.Seconds(), "insert-s")
				b.ReportMetric(imp.Seconds()/insert.Seconds(), "ratio")
				b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
				b.ReportMetric(float64(startRSS)/(1<<20), "start-MB")
				b.ReportMetric(again.Seconds(), "reimport-s")
				// CPU seconds of this process (PostgreSQL's own work is not
				// in them): steadier than wall time on a shared machine.
				b.ReportMetric(impCPU.Seconds(), "import-cpu-s")
				b.ReportMetric(insertCPU.Seconds(), "insert-cpu-s")
			}
		})
	}
}

// benchSetup builds a province of 1,000 communes, an administrator with a
// token, and a quarterly form of 50 integer indicators assigned to the
// communes; it returns the token and the communes' ids.
func benchSetup(b *testing.B, ctx context.Context, db *store.DB, srv *server.Server) (string, []int64) {
	b.Helper()
	orgs := srv.Org
	var units []int64
	var token string
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		nation, err := orgs.ImportUnit(ctx, tx, org.UnitInput{Code: "BVN", Name: "Quốc gia thử", Kind: "nation", ValidFrom: "2000-01-01"})
		if err != nil {
			return err
		}
		prov, err := orgs.ImportUnit(ctx, tx, org.UnitInput{Code: "BP", Name: "Tỉnh thử", Kind: "province", ParentID: &nation, ValidFrom: "2000-01-01"})
		if err != nil {
			return err
		}
		for i := range benchUnits {
			id, err := orgs.ImportUnit(ctx, tx, org.UnitInput{Code: fmt.Sprintf("BP.X%04d", i), Name: fmt.Sprintf("Xã thử %d", i), Kind: "commune", ParentID: &prov, ValidFrom: "2000-01-01"})
			if err != nil {
				return err
			}
			units = append(units, id)
		}
		user, err := orgs.CreateOfficial(ctx, tx, org.OfficialInput{Username: "bench.admin", FullName: "Quản trị thử", UnitID: prov,
			Roles: []org.Grant{{Role: org.RoleAdmin, ScopeID: nation}}, Password: "mat-khau-dai-123"})
		if err != nil {
			return err
		}
		nt, err := auth.CreateToken(ctx, tx, user, auth.TokenInput{Name: "bench"}, srv.Auth.Tokens)
		token = nt.Secret
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	var doc strings.Builder
	doc.WriteString(`{"indicators":[`)
	var codes []string
	for i := range benchIndicators {
		if i > 0 {
			doc.WriteString(",")
		}
		code := fmt.Sprintf("B.I%02d", i)
		codes = append(codes, `"`+code+`"`)
		fmt.Fprintf(&doc, `{"code":%q,"name":"Chỉ tiêu %d","valueType":"INTEGER_ZERO_OR_POSITIVE","aggregation":"sum","timeAggregation":"sum"}`, code, i)
	}
	fmt.Fprintf(&doc, `],"forms":[{"code":"B.QUY","name":"Biểu thử","periodType":"Quarterly","deadlineDays":2,"issuerUnit":"BP",
		"sections":[{"name":"A","indicators":[%s]}],"assign":[{"under":"BP","kinds":["commune"]}]}]}`, strings.Join(codes, ","))
	req, _ := http.NewRequest("POST", "/api/v1/report/import", strings.NewReader(doc.String()))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 201 {
		b.Fatalf("forms: %d %s", rec.Code, rec.Body)
	}
	return token, units
}

// writePayload writes the million values as a DHIS2 client would: one
// dataValues array, codes as identifiers.
func writePayload(w io.Writer, periods []string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"dataValues":[`)
	n := 0
	for _, pe := range periods {
		for u := range benchUnits {
			for i := range benchIndicators {
				if n > 0 {
					bw.WriteByte(',')
				}
				fmt.Fprintf(bw, `{"dataElement":"B.I%02d","period":"%s","orgUnit":"BP.X%04d","value":"%d"}`, i, pe, u, (n*7)%10000)
				n++
			}
		}
	}
	bw.WriteString("]}")
	return bw.Flush()
}

// benchInsert is the baseline: the same rows, INSERTed 500 a statement in
// one transaction (with each engine's cheapest placeholders), with no
// reading, checking or history.
func benchInsert(b *testing.B, ctx context.Context, db *store.DB, units []int64, periods []string) {
	b.Helper()
	var inds []int64
	rows, err := db.Read.Query(`SELECT id FROM report_indicators ORDER BY code`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		inds = append(inds, id)
	}
	rows.Close()
	now := store.Now()
	const batch, cols = 500, 15
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		args := make([]any, 0, batch*cols)
		n := 0
		flush := func() error {
			if len(args) == 0 {
				return nil
			}
			var q strings.Builder
			q.WriteString(`INSERT INTO report_values (indicator_id, option_id, unit_id, period, period_type, start_date, end_date,
				value, number, comment, followup, created_by, created_at, updated_by, updated_at) VALUES `)
			q.WriteString(store.RowPlaceholders(db.Engine, len(args)/cols, cols))
			_, err := tx.ExecContext(ctx, q.String(), args...)
			args = args[:0]
			return err
		}
		for _, pe := range periods {
			p, _ := report.ParsePeriod(pe)
			start, end := p.Start().Format(time.DateOnly), p.End().Format(time.DateOnly)
			for _, u := range units {
				for _, ind := range inds {
					v := (n * 7) % 10000
					args = append(args, ind, 0, u, pe, "Quarterly", start, end, strconv.Itoa(v), float64(v), "", false, nil, now, nil, now)
					n++
					if len(args) == batch*cols {
						if err := flush(); err != nil {
							return err
						}
					}
				}
			}
		}
		return flush()
	})
	if err != nil {
		b.Fatal(err)
	}
}

func clearValues(b *testing.B, db *store.DB) {
	b.Helper()
	for _, q := range []string{`DELETE FROM report_value_history`, `DELETE FROM report_values`} {
		if _, err := db.Write.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	if db.Engine == store.Postgres {
		db.Write.Exec(`VACUUM ANALYZE report_values`)
		db.Write.Exec(`VACUUM ANALYZE report_value_history`)
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeak resets the process's peak resident set size (Linux), after
// handing back to the system the memory the baseline's INSERT left in the
// heap, so that the peak is the import's own.
func resetPeak() {
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// rss is the process's resident set size now.
func rss() int64 { return procStatus("VmRSS:") }

// peakRSS is the process's peak resident set size in bytes since the last
// reset (VmHWM), 0 where /proc is not there.
func peakRSS() int64 { return procStatus("VmHWM:") }

// procStatus is a size line of /proc/self/status, in bytes.
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
