package hub_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

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
	target, _ := url.Parse(w.backend.URL)
	rp := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	defer rp.Close()
	b.Run("reverseproxy", func(b *testing.B) {
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b, rp.URL+"/lltp/fast")
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
