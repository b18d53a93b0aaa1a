package hub_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestArchive: the seals older than the retention go, with their records,
// into an archive file, and out of the database; `hub verify` starts from
// the anchor and passes, the log goes on after it (a writer opened anew
// too), `hub verify --archives` and `hub verify-archive` check the files
// from the genesis; an altered, truncated or replaced file fails naming
// the record, and so do a live record altered, the anchor's seal deleted
// or the anchor altered. The proof of an archived exchange says where it
// is, and is read from the file.
func TestArchive(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			dir := t.TempDir()
			app := testapp.NewWith(t, u, func(c *config.Config) { c.Hub.ArchiveDir = dir })
			h := app.Server.Hub
			ctx := context.Background()
			w := newWorld(t, app, false)
			auth := []string{"Authorization", "Bearer " + w.tokenW, "X-Road-Client", w.with}
			var rids []string
			round := func(n int) {
				t.Helper()
				for range n {
					a := call(t, nil, "GET", w.url+w.svc+"/records/079123", nil, auth...)
					rids = append(rids, a.header.Get("X-Road-Request-Id"))
				}
				if err := w.gw.Log().Flush(ctx); err != nil {
					t.Fatal(err)
				}
			}
			round(2)
			round(2)
			round(2) // 12 records under 3 seals
			var sealed2 int64
			app.DB.Read.QueryRow(`SELECT sealed_at_us FROM hub_log_seals WHERE chain = 'plain' AND seq = 2`).Scan(&sealed2)

			// Nothing is old enough under the default 180 days.
			if code, out, errOut := tinhso(t, "hub", "archive", "--db", u, "--hub-archive-dir", dir); code != 0 || !strings.Contains(out, "0 archive file(s) written") {
				t.Fatalf("hub archive: %d %s %s", code, out, errOut)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_opmon_blocks`); n != 6 {
				t.Fatalf("%d monitoring rows in the blocks, want 6", n)
			}
			as, err := h.Archive(ctx, hub.ArchiveOptions{Dir: dir, Before: time.UnixMicro(sealed2 + 1)})
			if err != nil || len(as) != 1 {
				t.Fatalf("archive: %v %+v", err, as)
			}
			// The archived blocks' monitoring rows stay, out of the blocks.
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_opmon`); n != 6 {
				t.Errorf("%d monitoring rows after the archive, want 6", n)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_opmon_rows`); n != 4 {
				t.Errorf("%d monitoring rows moved out of the archived blocks, want 4", n)
			}
			a := as[0]
			if a.File != "hublog-plain-000000001-000000002.jsonl.gz" || a.FirstSeq != 1 || a.LastSeq != 8 || a.FirstSeal != 1 || a.LastSeal != 2 {
				t.Errorf("the archive: %+v", a)
			}
			file := filepath.Join(dir, a.File)
			if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("the archive file: %v %v", fi, err)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_log WHERE chain = 'plain'`); n != 4 {
				t.Errorf("%d records left in the database, want 4", n)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_log_seals WHERE chain = 'plain'`); n != 2 {
				t.Errorf("%d seals left, want the anchor's and one", n)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'hub.archive' AND detail LIKE '%hublog-plain-000000001-000000002.jsonl.gz%'`); n != 1 {
				t.Errorf("%d audit events of the archive", n)
			}
			// The log goes on after the anchor.
			round(1)
			code, out, errOut := tinhso(t, "hub", "verify", "--db", u)
			if code != 0 || !strings.Contains(out, "chain plain: ok, 6 records, 3 seals, sealed to record 14, 0 not yet sealed") || !strings.Contains(out, "records 1–8 archived") {
				t.Fatalf("verify after the archive: %d %s %s", code, out, errOut)
			}
			if code, out, errOut := tinhso(t, "hub", "verify", "--db", u, "--archives", dir); code != 0 || !strings.Contains(out, "1 archive files checked") {
				t.Errorf("verify --archives: %d %s %s", code, out, errOut)
			}
			if code, out, errOut := tinhso(t, "hub", "verify-archive", file); code != 0 || !strings.Contains(out, "archive ok: 1 file(s) of chain plain, records 1–8, 2 seals") {
				t.Errorf("verify-archive: %d %s %s", code, out, errOut)
			}

			// The proof of an archived exchange.
			proof := filepath.Join(dir, "proof.json")
			if code, _, errOut := tinhso(t, "hub", "export-proof", rids[1], "--db", u, "--hub-archive-dir", filepath.Join(dir, "khong-co")); code == 0 ||
				!strings.Contains(errOut, "is not in the live message log") || !strings.Contains(errOut, a.File) {
				t.Errorf("export-proof without the archive: %d %s", code, errOut)
			}
			code, out, errOut = tinhso(t, "hub", "export-proof", rids[1], "--db", u, "--hub-archive-dir", dir, "--out", proof)
			if code != 0 || !strings.Contains(out, "2 records of exchange "+rids[1]) || !strings.Contains(out, "the exchange is archived: read from "+file) {
				t.Fatalf("export-proof of an archived exchange: %d %s %s", code, out, errOut)
			}
			if code, out, errOut := tinhso(t, "hub", "verify-proof", proof); code != 0 || !strings.Contains(out, "proof ok: exchange "+rids[1]) {
				t.Errorf("verify-proof: %d %s %s", code, out, errOut)
			}
			if code, _, errOut := tinhso(t, "hub", "export-proof", "khong-co", "--db", u, "--hub-archive-dir", dir); code == 0 || !strings.Contains(errOut, "no exchange") {
				t.Errorf("an unknown exchange: %d %s", code, errOut)
			}

			// Everything sealed is archived (the clock 181 days on): the anchor
			// is the chain's head, and a writer opened anew goes on from it.
			w.stop()
			w.stop = nil
			as, _, err = h.RetainOnce(ctx, time.Now().AddDate(0, 0, 181))
			if err != nil || len(as) != 1 || as[0].FirstSeq != 9 || as[0].LastSeq != 14 || as[0].File != "hublog-plain-000000003-000000004.jsonl.gz" {
				t.Fatalf("the second archive: %v %+v", err, as)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_log WHERE chain = 'plain'`); n != 0 {
				t.Errorf("%d records left", n)
			}
			lw, err := h.NewLogWriter(ctx, hub.LogOptions{Chain: "plain", SealEvery: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if seq, _ := lw.Head(); seq != 14 {
				t.Errorf("a new writer's head: %d, want 14", seq)
			}
			lctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- lw.Run(lctx) }()
			if err := lw.Append(ctx, hub.Record{Kind: hub.RecordMeta, XRequestID: "sau-luu-tru", AtUS: time.Now().UnixMicro()}, true); err != nil {
				t.Fatal(err)
			}
			if err := lw.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			stop()
			<-done
			code, out, errOut = tinhso(t, "hub", "verify", "--db", u, "--archives", dir)
			if code != 0 || !strings.Contains(out, "chain plain: ok, 1 records, 2 seals, sealed to record 15") || !strings.Contains(out, "records 1–14 archived (from the anchor on here; 2 archive files checked)") {
				t.Fatalf("verify after two archives: %d %s %s", code, out, errOut)
			}
			file2 := filepath.Join(dir, as[0].File)
			if code, out, errOut := tinhso(t, "hub", "verify-archive", file, file2); code != 0 || !strings.Contains(out, "2 file(s) of chain plain, records 1–14, 4 seals") {
				t.Errorf("verify-archive of both: %d %s %s", code, out, errOut)
			}
			if code, _, errOut := tinhso(t, "hub", "verify-archive", file2, file); code != 1 || !strings.Contains(errOut, "does not follow the one before it") {
				t.Errorf("verify-archive out of order: %d %s", code, errOut)
			}

			// Altered files.
			orig, _ := os.ReadFile(file)
			lines := gunzipLines(t, orig)
			rewrite := func(name string, lines []string) string {
				p := filepath.Join(dir, name)
				var b bytes.Buffer
				zw := gzip.NewWriter(&b)
				zw.Write([]byte(strings.Join(lines, "\n") + "\n"))
				zw.Close()
				os.WriteFile(p, b.Bytes(), 0o600)
				return p
			}
			altered := append([]string(nil), lines...)
			altered[3] = strings.Replace(altered[3], `"userId":""`, `"userId":"VN000000000000"`, 1) // record 3
			if code, _, errOut := tinhso(t, "hub", "verify-archive", rewrite("altered.jsonl.gz", altered)); code != 1 || !strings.Contains(errOut, "record 3 (x-road-request-id") {
				t.Errorf("a record altered in the file: %d %s", code, errOut)
			}
			if code, _, errOut := tinhso(t, "hub", "verify-archive", rewrite("truncated.jsonl.gz", lines[:len(lines)-1])); code != 1 || !strings.Contains(errOut, "without its end line (truncated)") {
				t.Errorf("a truncated file: %d %s", code, errOut)
			}
			missing := append(append([]string(nil), lines[:2]...), lines[3:]...) // record 2 left out
			if code, _, errOut := tinhso(t, "hub", "verify-archive", rewrite("missing.jsonl.gz", missing)); code != 1 || !strings.Contains(errOut, "record 2 is missing") {
				t.Errorf("a record left out: %d %s", code, errOut)
			}
			if code, _, errOut := tinhso(t, "hub", "verify-archive", rewrite("x.jsonl.gz", []string{`{"khac":1}`})); code == 0 || !strings.Contains(errOut, "not an archive file") {
				t.Errorf("not an archive: %d %s", code, errOut)
			}
			os.WriteFile(file, mustGzip(strings.Join(altered, "\n")+"\n"), 0o600)
			if code, _, errOut := tinhso(t, "hub", "verify", "--db", u, "--archives", dir); code != 1 || !strings.Contains(errOut, "archive "+a.File+" is not the file archived") {
				t.Errorf("verify --archives with a replaced file: %d %s", code, errOut)
			}
			os.WriteFile(file, orig, 0o600)

			// The database altered after the archive.
			tamper := func(name, sql, undo, want string) {
				t.Helper()
				if _, err := app.DB.Write.Exec(sql); err != nil {
					t.Fatal(err)
				}
				if code, _, errOut := tinhso(t, "hub", "verify", "--db", u); code != 1 || !strings.Contains(errOut, want) {
					t.Errorf("%s: exit %d %s, want %q", name, code, errOut, want)
				}
				if _, err := app.DB.Write.Exec(undo); err != nil {
					t.Fatal(err)
				}
			}
			tamper("a live record", `UPDATE hub_log SET status = 500 WHERE chain = 'plain' AND seq = 15`, `UPDATE hub_log SET status = 0 WHERE chain = 'plain' AND seq = 15`, "record 15 (x-road-request-id sau-luu-tru) was altered")
			tamper("the anchor", `UPDATE hub_log_archives SET last_hash = '`+strings.Repeat("1", 64)+`' WHERE last_seal = 4`,
				`UPDATE hub_log_archives SET last_hash = (SELECT last_hash FROM hub_log_seals WHERE chain = 'plain' AND seq = 4) WHERE last_seal = 4`, "does not match its seal")
			tamper("the anchor's seal", `UPDATE hub_log_seals SET seq = 40 WHERE chain = 'plain' AND seq = 4`, `UPDATE hub_log_seals SET seq = 4 WHERE chain = 'plain' AND seq = 40`, "the anchor's seal 4 (the last archived) is missing")
			if code, out, errOut := tinhso(t, "hub", "verify", "--db", u, "--archives", dir); code != 0 {
				t.Errorf("verify once undone: %d %s %s", code, out, errOut)
			}
		})
	}
}

func gunzipLines(t *testing.T, b []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func mustGzip(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// TestOpmonRetention: monitoring rows older than --hub-opmon-days (7 by
// default) are deleted by the retention round, younger ones kept, and the
// API no longer shows them.
func TestOpmonRetention(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			app := testapp.NewWith(t, u, func(c *config.Config) { c.Hub.ArchiveDays = "0" })
			w := newWorld(t, app, false)
			auth := []string{"Authorization", "Bearer " + w.tokenW, "X-Road-Client", w.with}
			for range 4 {
				call(t, nil, "GET", w.url+w.svc+"/records/1", nil, auth...)
			}
			if err := w.gw.Log().Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_opmon`); n != 4 {
				t.Fatalf("%d monitoring rows", n)
			}
			day := int64(24 * time.Hour / time.Millisecond)
			// Two exchanges eight days old, one six.
			ageOps(t, app, map[int]int64{0: 8 * day, 1: 8 * day, 3: 6 * day})
			// Oldest first and in pages, across the hour, day and month the
			// reader asks for before the whole range.
			opmon := func(query string) (at []int64, next int64) {
				t.Helper()
				var got struct {
					Records []struct {
						RequestInTs int64 `json:"requestInTs"`
					} `json:"records"`
					NextRecordsFrom int64 `json:"nextRecordsFrom"`
				}
				status, b, _ := app.Send(t, nil, testapp.Call{User: "quantri.laichau", Method: "GET", Path: "/api/v1/hub/opmon?" + query})
				if status != 200 {
					t.Fatalf("%s: %d %s", query, status, b)
				}
				testapp.JSON(t, b, &got)
				for _, r := range got.Records {
					at = append(at, r.RequestInTs)
				}
				return at, got.NextRecordsFrom
			}
			ts, next := opmon("limit=4")
			if len(ts) != 4 || next != 0 || !slices.IsSorted(ts) || ts[3]-ts[0] < 8*day-60_000 || ts[3]-ts[2] < 6*day-60_000 {
				t.Fatalf("all four: %v next %d", ts, next)
			}
			for _, c := range []struct {
				query string
				want  []int64
				next  int64
			}{
				{"limit=2", ts[:2], ts[2]},
				{"limit=3", ts[:3], ts[3]},
				{"limit=1&from=" + strconv.FormatInt(ts[2]-day, 10), ts[2:3], ts[3]},
				{"limit=2&from=" + strconv.FormatInt(ts[2]-day, 10), ts[2:], 0},
			} {
				if at, next := opmon(c.query); !slices.Equal(at, c.want) || next != c.next {
					t.Errorf("%s: %v next %d, want %v next %d", c.query, at, next, c.want, c.next)
				}
			}
			// 0 keeps them.
			if code, out, _ := tinhso(t, "hub", "archive", "--db", u, "--hub-opmon-days", "0", "--hub-archive-days", "0"); code != 0 || !strings.Contains(out, "0 monitoring record(s) deleted") {
				t.Errorf("opmon days 0: %d %s", code, out)
			}
			code, out, errOut := tinhso(t, "hub", "archive", "--db", u, "--hub-archive-days", "0")
			if code != 0 || !strings.Contains(out, "0 archive file(s) written, 2 monitoring record(s) deleted") {
				t.Fatalf("hub archive: %d %s %s", code, out, errOut)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_opmon`); n != 2 {
				t.Errorf("%d monitoring rows left, want 2", n)
			}
			var got struct {
				RecordsCount int `json:"recordsCount"`
			}
			status, b, _ := app.Send(t, nil, testapp.Call{User: "quantri.laichau", Method: "GET", Path: "/api/v1/hub/opmon?from=2000-01-01"})
			testapp.JSON(t, b, &got)
			if status != 200 || got.RecordsCount != 2 {
				t.Errorf("the API after the purge: %d %s", status, b)
			}
			if _, purged, err := app.Server.Hub.RetainOnce(context.Background(), time.Now().AddDate(0, 0, 30)); err != nil || purged != 2 {
				t.Errorf("a month on: %d %v", purged, err)
			}
		})
	}
}

// ageOps moves back by the given milliseconds the request_in_ts of the
// monitoring rows at the given positions (in the order they were
// written), as time would: the rows are in the message log's blocks
// (migration 0029), whose bounds follow.
func ageOps(t *testing.T, app *testapp.App, by map[int]int64) {
	t.Helper()
	type block struct {
		chain  string
		first  int64
		ops    [][]any
		lo, hi int64
	}
	rows, err := app.DB.Read.Query(`SELECT chain, first_seq, ops FROM hub_log_blocks WHERE ops IS NOT NULL ORDER BY chain, first_seq`)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []block
	for rows.Next() {
		var b block
		var raw []byte
		if err := rows.Scan(&b.chain, &b.first, &raw); err != nil {
			t.Fatal(err)
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&b.ops); err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, b)
	}
	rows.Close()
	i := 0
	for _, b := range blocks {
		for j, op := range b.ops {
			ts, err := op[3].(json.Number).Int64()
			if err != nil {
				t.Fatal(err)
			}
			ts -= by[i]
			op[3] = ts
			if j == 0 || ts < b.lo {
				b.lo = ts
			}
			if j == 0 || ts > b.hi {
				b.hi = ts
			}
			i++
		}
		out, _ := json.Marshal(b.ops)
		if _, err := app.DB.Write.Exec(`UPDATE hub_log_blocks SET ops = $1, ops_first_ts = $2, ops_last_ts = $3 WHERE chain = $4 AND first_seq = $5`,
			string(out), b.lo, b.hi, b.chain, b.first); err != nil {
			t.Fatal(err)
		}
	}
}
