package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/testapp"
)

// blockValues are strings a record's fields may hold: plain, Vietnamese,
// JSON's escapes, and a NUL, which PostgreSQL's text cannot keep. (The
// gateway refuses text that is not UTF-8, and records it made valid; the
// block keeps such bytes too, TestLogBlocks' last part.)
var blockValues = []string{"", "/citizens/001", "Nguyễn Văn A", `say "hi"`, `a\b`, "tab\there\nnewline", "nul\x00", "😀 \u2028", "<&>"}

// v7 is a version-7 UUID of time at, as the gateway makes them.
func v7(at time.Time, n int) string {
	ms := at.UnixMilli()
	return fmt.Sprintf("%08x-%04x-7%03x-8%03x-%012x", ms>>16, ms&0xffff, n&0xfff, n&0xfff, n)
}

type blockWriter struct {
	w    *hub.LogWriter
	stop func()
}

func startLog(t *testing.T, app *testapp.App, chain string) blockWriter {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := app.Server.Hub.EnsureKeys(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := app.Server.Hub.NewLogWriter(ctx, hub.LogOptions{Chain: chain, SealEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	return blockWriter{w: w, stop: func() { cancel(); <-done }}
}

// TestLogBlocks: records written in blocks read back field for field
// (every byte of every value), through Records, the hub_log view and a
// proof found by X-Road-Request-Id (a version-7 id by its time, an older
// random one by reading every block), and the chain verifies.
func TestLogBlocks(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			app := testapp.New(t, u)
			ctx := context.Background()
			lw := startLog(t, app, "blocks")
			defer lw.stop()
			var sent []hub.Record
			for i, v := range blockValues {
				id := v7(time.Now(), i)
				if i == 3 {
					id = "0d6c7b1e-9f5e-4b8a-8c1d-3e2f1a0b9c8d" // version 4, as before 3 December 2026
				}
				r := hub.Record{Kind: hub.RecordRequest, AtUS: time.Now().UnixMicro(), XRequestID: id, Client: "VN/GOV/GL.PLEIKU/MOTCUA", Service: "VN/GOV/H29.STP/LLTP/lltp",
					Method: "GET", Path: v, Query: v, UserID: v, Issue: v, Status: -1, RequestSize: 1 << 40}
				if err := lw.w.Append(ctx, r, i%2 == 0); err != nil {
					t.Fatal(err)
				}
				sent = append(sent, r)
				r.Kind, r.Status, r.DurationUS = hub.RecordResponse, 200, 1234
				if err := lw.w.Append(ctx, r, false); err != nil {
					t.Fatal(err)
				}
				sent = append(sent, r)
			}
			if err := lw.w.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := app.Server.Hub.Records(ctx, app.DB.Read, "blocks", 1, 1000)
			if err != nil || len(got) != len(sent) {
				t.Fatalf("%d records, %v; sent %d", len(got), err, len(sent))
			}
			prev := hub.GenesisHash
			for i, r := range got {
				s := sent[i]
				if r.Seq != int64(i+1) || r.Kind != s.Kind || r.AtUS != s.AtUS || r.XRequestID != s.XRequestID || r.Path != s.Path || r.Query != s.Query ||
					r.UserID != s.UserID || r.Issue != s.Issue || r.Status != s.Status || r.RequestSize != s.RequestSize || r.DurationUS != s.DurationUS || r.PrevHash != prev {
					t.Errorf("record %d: got %+v\nsent %+v", i+1, r, s)
				}
				prev = r.Hash
			}
			rep, err := hub.VerifyLog(ctx, app.DB, hub.VerifyOptions{})
			if err != nil || !rep.OK {
				t.Fatalf("verify: %v %+v", err, rep)
			}
			// The view shows each record once, its text as written.
			for i, v := range blockValues {
				if v == "nul\x00" {
					continue // kept as base64 in the block
				}
				var path string
				if err := app.DB.Read.QueryRow(`SELECT path FROM hub_log WHERE chain = 'blocks' AND seq = $1`, 2*i+1).Scan(&path); err != nil || path != v {
					t.Errorf("hub_log view, record %d: %q %v, want %q", 2*i+1, path, err, v)
				}
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_log WHERE chain = 'blocks'`); n != len(sent) {
				t.Errorf("the view has %d records", n)
			}
			for _, i := range []int{0, 3, 7} {
				p, err := hub.ExportProof(ctx, app.DB, "VN", sent[2*i].XRequestID, hub.ProofOptions{})
				if err != nil || len(p.Subjects) != 2 || p.Subjects[0] != int64(2*i+1) {
					t.Fatalf("proof of %s: %v %+v", sent[2*i].XRequestID, err, p.Subjects)
				}
				b, _ := json.Marshal(p)
				if pr, err := hub.VerifyProof(b, hub.VerifyOptions{}); err != nil || !pr.OK {
					t.Errorf("proof of %s: %v %+v", sent[2*i].XRequestID, err, pr)
				}
			}
			if _, err := hub.ExportProof(ctx, app.DB, "VN", v7(time.Now().Add(-24*time.Hour), 0), hub.ProofOptions{}); err == nil {
				t.Error("a proof of an id never logged")
			}
			// Bytes that are not UTF-8 read back as they were written.
			raw := startLog(t, app, "raw")
			defer raw.stop()
			bad := "bad utf-8 \xff\xfe"
			if err := raw.w.Append(ctx, hub.Record{Kind: hub.RecordMeta, AtUS: 1, XRequestID: v7(time.Now(), 99), Path: bad, UserID: bad}, true); err != nil {
				t.Fatal(err)
			}
			if err := raw.w.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if got, err := app.Server.Hub.Records(ctx, app.DB.Read, "raw", 1, 10); err != nil || len(got) != 1 || got[0].Path != bad || got[0].UserID != bad {
				t.Errorf("raw bytes: %v %+v", err, got)
			}
			if rep, err := hub.VerifyLog(ctx, app.DB, hub.VerifyOptions{}); err != nil || !rep.OK {
				t.Errorf("verify with raw bytes: %v %+v", err, rep)
			}
		})
	}
}

// TestLogBlocksMigration: migration 0027 turns a message log of one row
// per record (the layout before it) into blocks, and the chain, its seals
// and its proofs still verify, every record as it was; 0029 after it
// leaves them so.
func TestLogBlocksMigration(t *testing.T) {
	t.Parallel()
	legacy, err := os.ReadFile("../store/migrations/0010_hub.sql")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(legacy), "CREATE TABLE hub_log (")
	j := strings.Index(string(legacy)[i:], ");")
	createLegacy := string(legacy)[i : i+j+2]
	var m []byte
	for _, f := range []string{"0027_hub_log_blocks.sql", "0029_hub_opmon_blocks.sql"} {
		b, err := os.ReadFile("../store/migrations/" + f)
		if err != nil {
			t.Fatal(err)
		}
		m = append(append(m, b...), '\n')
	}
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			app := testapp.New(t, u)
			ctx := context.Background()
			lw := startLog(t, app, "old")
			var ids []string
			for i := range 5 {
				r := hub.Record{Kind: hub.RecordRequest, AtUS: time.Now().UnixMicro(), XRequestID: v7(time.Now(), i), Path: blockValues[i], Status: 200}
				ids = append(ids, r.XRequestID)
				if err := lw.w.Append(ctx, r, true); err != nil {
					t.Fatal(err)
				}
				if i == 2 {
					lw.w.Flush(ctx) // two seals
				}
			}
			if err := lw.w.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			lw.stop()
			before, err := app.Server.Hub.Records(ctx, app.DB.Read, "old", 1, 100)
			if err != nil || len(before) != 5 {
				t.Fatalf("%d %v", len(before), err)
			}
			// The log as it was stored before 0027 (and monitoring before
			// 0029, which depends on it).
			undo := `DROP VIEW hub_opmon; DROP VIEW hub_opmon_blocks; ALTER TABLE hub_opmon_rows RENAME TO hub_opmon;
				DROP VIEW hub_log; DROP TABLE hub_log_blocks;`
			if engine == store.Postgres {
				undo += ` DROP FUNCTION hub_log_change();`
			}
			if _, err := app.DB.Write.Exec(undo + createLegacy); err != nil {
				t.Fatal(err)
			}
			for _, r := range before {
				if _, err := app.DB.Write.Exec(`INSERT INTO hub_log (chain, seq, kind, at_us, x_request_id, query_id, client, service, credential, method, path, query, user_id, issue,
					status, request_size, response_size, request_sha256, response_sha256, request_hash, fault, duration_us, prev_hash, hash)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`,
					r.Chain, r.Seq, r.Kind, r.AtUS, r.XRequestID, r.QueryID, r.Client, r.Service, r.Credential, r.Method, r.Path, r.Query, r.UserID, r.Issue,
					r.Status, r.RequestSize, r.ResponseSize, r.RequestSHA256, r.ResponseSHA256, r.RequestHash, r.Fault, r.DurationUS, r.PrevHash, r.Hash); err != nil {
					t.Fatal(err)
				}
			}
			// 0027 and 0029 as the migrator applies them on this engine.
			on, off := "{{SQLITE}}", "{{POSTGRES}}"
			if engine == store.Postgres {
				on, off = off, on
			}
			if _, err := app.DB.Write.Exec(strings.NewReplacer(on, "", off, "-- ").Replace(string(m))); err != nil {
				t.Fatal(err)
			}
			after, err := app.Server.Hub.Records(ctx, app.DB.Read, "old", 1, 100)
			if err != nil || fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("after 0027: %v\n%+v\nbefore:\n%+v", err, after, before)
			}
			if rep, err := hub.VerifyLog(ctx, app.DB, hub.VerifyOptions{}); err != nil || !rep.OK {
				t.Fatalf("verify: %v %+v", err, rep)
			}
			if p, err := hub.ExportProof(ctx, app.DB, "VN", ids[1], hub.ProofOptions{}); err != nil || len(p.Subjects) != 1 || p.Subjects[0] != 2 {
				t.Errorf("proof: %v %+v", err, p.Subjects)
			}
			// And the writer goes on from the migrated head.
			lw = startLog(t, app, "old")
			defer lw.stop()
			if err := lw.w.Append(ctx, hub.Record{Kind: hub.RecordRequest, AtUS: time.Now().UnixMicro(), XRequestID: v7(time.Now(), 9)}, true); err != nil {
				t.Fatal(err)
			}
			if seq, _ := lw.w.Head(); seq != 6 {
				t.Errorf("head %d after the migrated 5", seq)
			}
			if rep, err := hub.VerifyLog(ctx, app.DB, hub.VerifyOptions{}); err != nil || !rep.OK {
				t.Fatalf("verify after a new record: %v %+v", err, rep)
			}
		})
	}
}

// TestLogHoldsUnwaited: a record nobody waits for (a response, a refusal)
// is held for the next request's group, and committed on its own when
// none comes; a request's record, once committed, has every record
// queued before it committed too, in the same block; the monitoring rows
// ride in the blocks (hub_opmon) and a stop writes what is held.
func TestLogHoldsUnwaited(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			app := testapp.New(t, u)
			ctx := context.Background()
			lw := startLog(t, app, "hold")
			count := func() int { return app.Count(t, `SELECT COUNT(*) FROM hub_log WHERE chain = 'hold'`) }
			rec := func(kind string, n int) hub.Record {
				now := time.Now()
				r := hub.Record{Kind: kind, AtUS: now.UnixMicro(), XRequestID: v7(now, n), Status: 200}
				if kind == hub.RecordResponse {
					r.Op = &hub.OpRecord{XRequestID: r.XRequestID, RequestInTs: now.UnixMilli(), ResponseOutTs: now.UnixMilli(), StatusCode: 200, Succeeded: true,
						ClientXRoadInstance: "VN", ServiceXRoadInstance: "VN", ServiceCode: "hold", RestMethod: "GET", RestPath: "/x"}
				}
				return r
			}
			// Alone, a response is committed by the hold's timer.
			if err := lw.w.Append(ctx, rec(hub.RecordResponse, 1), false); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(10 * time.Second); count() != 1; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("a response nobody waits for was never committed")
				}
			}
			// Twenty responses, then a request that waits: when it returns
			// all twenty-one are there.
			for i := range 20 {
				if err := lw.w.Append(ctx, rec(hub.RecordResponse, 10+i), false); err != nil {
					t.Fatal(err)
				}
			}
			if err := lw.w.Append(ctx, rec(hub.RecordRequest, 40), true); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 22 {
				t.Fatalf("%d records after the request's commit, want 22", n)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_opmon WHERE service_code = 'hold'`); n != 21 {
				t.Errorf("%d monitoring rows, want 21", n)
			}
			// A stop commits what is held.
			if err := lw.w.Append(ctx, rec(hub.RecordResponse, 50), false); err != nil {
				t.Fatal(err)
			}
			lw.stop()
			if n := count(); n != 23 {
				t.Errorf("%d records after the stop, want 23", n)
			}
			if rep, err := hub.VerifyLog(ctx, app.DB, hub.VerifyOptions{}); err != nil || !rep.OK {
				t.Fatalf("verify: %v %+v", err, rep)
			}
		})
	}
}
