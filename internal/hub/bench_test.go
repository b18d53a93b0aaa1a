package hub_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/testapp"
)

// BenchmarkGateway measures one exchange through the gateway (a bearer
// token, the access check, the rate limit, the message log with group
// commit and operational monitoring, all on; on each engine) against, in
// the same run, calling the Go backend directly, a bare
// httputil.ReverseProxy and a bare fasthttp proxy in front of it, with a
// 1 KB JSON answer and net/http clients on loopback:
//
//	go test -run '^$' -bench Gateway -benchtime 20000x ./internal/hub/
//
// scripts/bench-hub.sh runs it and, when wrk and nginx are there, the
// issue's wrk comparison.
func BenchmarkGateway(b *testing.B) {
	for engine, u := range testapp.DemoURLs(b) {
		b.Run(string(engine), func(b *testing.B) { benchGateway(b, u) })
	}
}

func benchGateway(b *testing.B, dbURL string) {
	app := testapp.New(b, dbURL)
	w := newWorld(b, app, false)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	get := func(b *testing.B, url string, headers ...string) {
		req, _ := http.NewRequest("GET", url, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	b.Run("direct", func(b *testing.B) {
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b, w.backend.URL+"/lltp/fast")
			}
		})
	})
	rp := startReverseProxy(b, w.backend.URL)
	b.Run("reverseproxy", func(b *testing.B) {
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b, rp+"/lltp/fast")
			}
		})
	})
	fast := bareFastProxy(b, strings.TrimPrefix(w.backend.URL, "http://"))
	b.Run("fasthttp-proxy", func(b *testing.B) {
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b, fast+"/lltp/fast")
			}
		})
	})
	b.Run("gateway", func(b *testing.B) {
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b, w.url+w.svc+"/fast", "Authorization", "Bearer "+w.tokenW, "X-Road-Client", w.with)
			}
		})
	})
}

// startReverseProxy is the baseline of Go's standard library: a bare
// httputil.ReverseProxy to backend, until the benchmark ends.
func startReverseProxy(b *testing.B, backend string) string {
	target, _ := url.Parse(backend)
	rp := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	b.Cleanup(rp.Close)
	return rp.URL
}

// bareFastProxy is the baseline: a fasthttp server passing every request
// to the backend with a HostClient, nothing else.
func bareFastProxy(b *testing.B, backend string) string {
	hc := &fasthttp.HostClient{Addr: backend, MaxConns: 4096}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		req := &ctx.Request
		req.SetHost(backend)
		if err := hc.Do(req, &ctx.Response); err != nil {
			ctx.Error(err.Error(), fasthttp.StatusBadGateway)
		}
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

// BenchmarkLogWriter is the message log alone, on each engine: 64 callers
// each append an exchange's request record (waiting for its group's
// commit, as the gateway does) and then its response record (queued),
// so ns/op is the writer's cost of one exchange: without its monitoring
// row (engine/log) and with it, as the gateway writes it (engine/ops).
func BenchmarkLogWriter(b *testing.B) {
	for engine, u := range testapp.DemoURLs(b) {
		for _, withOps := range []bool{false, true} {
			name := string(engine) + "/log"
			if withOps {
				name = string(engine) + "/ops"
			}
			b.Run(name, func(b *testing.B) { benchLogWriter(b, u, withOps) })
		}
	}
}

func benchLogWriter(b *testing.B, u string, withOps bool) {
	app := testapp.New(b, u)
	ctx, cancel := context.WithCancel(context.Background())
	if err := app.Server.Hub.EnsureKeys(ctx); err != nil {
		b.Fatal(err)
	}
	w, err := app.Server.Hub.NewLogWriter(ctx, hub.LogOptions{Chain: "bench", SealEvery: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	rec := hub.Record{Client: "VN/GOV/GL.PLEIKU/MOTCUA", Service: "VN/GOV/H29.STP/LLTP/lltp", Credential: "secret:1", Method: "GET", Path: "/fast",
		RequestSHA256: strings.Repeat("a", 64), ResponseSHA256: strings.Repeat("b", 64), QueryID: "VN-0d6c7b1e-9f5e-4b8a-8c1d-3e2f1a0b9c8d"}
	var n atomic.Int64
	before := app.Count(b, `SELECT COUNT(*) FROM hub_log WHERE chain = 'bench'`)
	opsBefore := app.Count(b, `SELECT COUNT(*) FROM hub_opmon`)
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := rec
			r.Kind, r.AtUS, r.XRequestID = hub.RecordRequest, time.Now().UnixMicro(), fmt.Sprintf("bench-%d", n.Add(1))
			if err := w.Append(ctx, r, true); err != nil {
				b.Error(err)
				return
			}
			r.Kind, r.Status, r.ResponseSize, r.DurationUS = hub.RecordResponse, 200, 990, 250
			if withOps {
				ms := r.AtUS / 1000
				r.Op = &hub.OpRecord{XRequestID: r.XRequestID, MessageID: r.QueryID, MonitoringDataTs: ms / 1000, RequestInTs: ms, RequestOutTs: ms, ResponseInTs: ms,
					ResponseOutTs: ms, SecurityServerType: "Client", ClientXRoadInstance: "VN", ClientMemberClass: "GOV", ClientMemberCode: "GL.PLEIKU",
					ClientSubsystemCode: "MOTCUA", ServiceXRoadInstance: "VN", ServiceMemberClass: "GOV", ServiceMemberCode: "H29.STP", ServiceSubsystemCode: "LLTP",
					ServiceCode: "lltp", ServiceType: "REST", RestMethod: "GET", RestPath: "/fast", StatusCode: 200, ResponseSize: 990, Succeeded: true,
					MessageProtocolVersion: "1"}
			}
			w.Append(ctx, r, false)
		}
	})
	if err := w.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if got := app.Count(b, `SELECT COUNT(*) FROM hub_log WHERE chain = 'bench'`) - before; got != 2*b.N {
		b.Fatalf("%d records for %d exchanges", got, b.N)
	}
	if got := app.Count(b, `SELECT COUNT(*) FROM hub_opmon`) - opsBefore; withOps && got != b.N {
		b.Fatalf("%d monitoring rows for %d exchanges", got, b.N)
	}
}

// BenchmarkLogBlocks is the design docs/perf.md proposes for the writer,
// measured beside BenchmarkLogWriter: the same records, hashed and chained
// the same way, a group of 128 (64 exchanges) stored as one row of their
// canonical lines instead of one row each. ns/op is per exchange (two
// records), a transaction per group as the writer commits.
func BenchmarkLogBlocks(b *testing.B) {
	for engine, u := range testapp.DemoURLs(b) {
		b.Run(string(engine), func(b *testing.B) {
			app := testapp.New(b, u)
			ctx := context.Background()
			db := app.DB
			if _, err := db.Write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_log_blocks (chain TEXT NOT NULL, first_seq BIGINT NOT NULL, last_seq BIGINT NOT NULL,
				first_at_us BIGINT NOT NULL, last_at_us BIGINT NOT NULL, records TEXT NOT NULL, last_hash TEXT NOT NULL, PRIMARY KEY (chain, first_seq))`); err != nil {
				b.Fatal(err)
			}
			chain := fmt.Sprintf("bench-%d", time.Now().UnixNano()) // each round its own chain
			rec := hub.Record{Chain: chain, Client: "VN/GOV/GL.PLEIKU/MOTCUA", Service: "VN/GOV/H29.STP/LLTP/lltp", Credential: "secret:1", Method: "GET", Path: "/fast",
				RequestSHA256: strings.Repeat("a", 64), ResponseSHA256: strings.Repeat("b", 64), QueryID: "VN-0d6c7b1e-9f5e-4b8a-8c1d-3e2f1a0b9c8d"}
			prev, seq := hub.GenesisHash, int64(0)
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(64, b.N-done)
				var lines []byte
				first, firstAt := seq+1, int64(0)
				for i := range 2 * n {
					r := rec
					seq++
					r.Seq, r.AtUS, r.XRequestID, r.PrevHash = seq, time.Now().UnixMicro(), fmt.Sprintf("bench-%d", done+i/2), prev
					if i%2 == 0 {
						r.Kind = hub.RecordRequest
					} else {
						r.Kind, r.Status, r.ResponseSize, r.DurationUS = hub.RecordResponse, 200, 990, 250
					}
					if firstAt == 0 {
						firstAt = r.AtUS
					}
					c := r.Canonical()
					sum := sha256.Sum256(append(must(hex.DecodeString(prev)), c...))
					prev = hex.EncodeToString(sum[:])
					lines = append(append(lines, c...), prev...)
					lines = append(lines, '\n')
				}
				err := db.Tx(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO bench_log_blocks VALUES ($1, $2, $3, $4, $5, $6, $7)`, chain, first, seq, firstAt, time.Now().UnixMicro(), string(lines), prev)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				done += n
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
