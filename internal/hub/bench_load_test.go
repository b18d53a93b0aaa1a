package hub_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/testapp"
)

// The load comparison, run by scripts/bench-hub.sh with WRK=1
// (which installs wrk and nginx from Debian's packages):
//
//	go test ./internal/hub/ -run '^$' -bench 'GatewayWrk|GatewayFixedRate' -benchtime 1x
//
// Both benchmarks measure once whatever b.N is: each case is a timed load
// run (TINHSO_BENCH_SECONDS, 10 s by default) from a separate process, so
// the load generator's own work is not the gateway's. Everything runs on
// loopback and shares the machine's cores, as in the calibration.

// benchSeconds is how long each load run lasts.
func benchSeconds() int {
	if n, err := strconv.Atoi(os.Getenv("TINHSO_BENCH_SECONDS")); err == nil && n > 0 {
		return n
	}
	return 10
}

// benchCase says whether a case runs: all of them, or those listed in
// TINHSO_BENCH_CASES (comma-separated, e.g. "gateway" for a profile).
func benchCase(name string) bool {
	only := os.Getenv("TINHSO_BENCH_CASES")
	return only == "" || slices.Contains(strings.Split(only, ","), name)
}

// benchWorld is the gateway with everything on, as BenchmarkGateway has it,
// plus a rate limit high enough never to refuse, so that the bucket is
// taken on every call.
func benchWorld(b *testing.B, dbURL string) *world {
	return newWorld(b, testapp.New(b, dbURL), false, func(o *hub.GatewayOptions) { o.Rate = 1_000_000 })
}

// BenchmarkGatewayWrk is the throughput comparison: wrk, 2 threads, 64
// connections, 1 KB JSON, against the backend directly, nginx as a plain
// reverse proxy (when installed), a bare httputil.ReverseProxy, a bare
// fasthttp proxy and the gateway, in that order in the same run. Metrics
// are requests per second and the gateway's ratios to nginx and to the
// ReverseProxy.
func BenchmarkGatewayWrk(b *testing.B) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		b.Skip("wrk is not installed (scripts/bench-hub.sh with WRK=1 installs it)")
	}
	for engine, u := range testapp.DemoURLs(b) {
		b.Run(string(engine), func(b *testing.B) {
			w := benchWorld(b, u)
			backend := strings.TrimPrefix(w.backend.URL, "http://")
			gw := []string{"-H", "Authorization: Bearer " + w.tokenW, "-H", "X-Road-Client: " + w.with}
			cases := []struct {
				name    string
				url     string
				headers []string
			}{
				{"direct", w.backend.URL + "/lltp/fast", nil},
				{"nginx", startNginx(b, backend), nil},
				{"reverseproxy", startReverseProxy(b, w.backend.URL), nil},
				{"fasthttp", bareFastProxy(b, backend), nil},
				{"gateway", w.url + w.svc + "/fast", gw},
			}
			rps := map[string]float64{}
			for _, c := range cases {
				if c.url == "" || !benchCase(c.name) {
					continue
				}
				if c.name != "direct" && c.name != "gateway" {
					c.url += "/lltp/fast"
				}
				rps[c.name] = runWrk(b, wrk, c.url, c.headers)
				b.ReportMetric(rps[c.name], c.name+"-req/s")
			}
			if n := rps["nginx"]; n > 0 && rps["gateway"] > 0 {
				b.ReportMetric(rps["gateway"]/n, "gateway/nginx")
			}
			if n := rps["reverseproxy"]; n > 0 && rps["gateway"] > 0 {
				b.ReportMetric(rps["gateway"]/n, "gateway/reverseproxy")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

var wrkRequests = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

// runWrk runs wrk once and returns its requests per second; any answer
// that is not a 2xx fails the benchmark, so a refused call is never
// counted as speed.
func runWrk(b *testing.B, wrk, url string, headers []string) float64 {
	b.Helper()
	args := append([]string{"-t2", "-c64", fmt.Sprintf("-d%ds", benchSeconds())}, headers...)
	out, err := exec.Command(wrk, append(args, url)...).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk %s: %v\n%s", url, err, out)
	}
	if bytes.Contains(out, []byte("Non-2xx")) || bytes.Contains(out, []byte("Socket errors")) {
		b.Fatalf("wrk %s: errors\n%s", url, out)
	}
	m := wrkRequests.FindSubmatch(out)
	if m == nil {
		b.Fatalf("wrk %s: no Requests/sec in\n%s", url, out)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// startNginx runs Debian's nginx as a plain keep-alive reverse proxy to
// backend (two workers, no access log) and returns its URL, or "" when
// nginx is not installed.
func startNginx(b *testing.B, backend string) string {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		return ""
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := b.TempDir()
	conf := fmt.Sprintf(`worker_processes 2; pid %[1]s/nginx.pid; error_log %[1]s/error.log; daemon off;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy;
  upstream b { server %[2]s; keepalive 64; }
  server { listen %[3]s; location / { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
`, dir, backend, addr)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", path, "-e", filepath.Join(dir, "error.log"))
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	// SIGTERM: nginx's master stops its workers, then itself (a SIGKILL
	// would leave the workers behind).
	b.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("nginx did not start on %s", addr)
	return ""
}

// loadPlan is what the load-generating process is asked to do.
type loadPlan struct {
	URL     string
	Method  string
	Headers map[string]string
	Rate    int // requests per second
	Seconds int
	Body    int // bytes of request body
}

// loadResult is what it measured: latencies from the moment each request
// was due (so a stall delays every request behind it, as wrk2 counts).
type loadResult struct {
	Sent, Errors             int
	P50, P99, P999, MaxMicro int64
	Rate                     float64
}

// BenchmarkGatewayFixedRate measures latency at a fixed rate of 5,000
// requests a second (1 KB answers), and at 100 a second with 1 MiB bodies
// each way streamed through, against the backend directly and through
// the gateway, with the heap's peak in this process (backend and gateway)
// during each run. The target: the gateway's p99 at most 2 ms
// above the direct one, and memory flat with large bodies.
func BenchmarkGatewayFixedRate(b *testing.B) {
	for engine, u := range testapp.DemoURLs(b) {
		b.Run(string(engine), func(b *testing.B) {
			w := benchWorld(b, u)
			auth := map[string]string{"Authorization": "Bearer " + w.tokenW, "X-Road-Client": w.with}
			for _, c := range []struct {
				name       string
				rate, body int
				path       string
			}{{"1KB", 5000, 0, "/fast"}, {"1MB", 100, 1 << 20, "/mb"}} {
				method := "GET"
				if c.body > 0 {
					method = "POST"
				}
				direct, dHeap := runLoad(b, loadPlan{URL: w.backend.URL + "/lltp" + c.path, Method: method, Rate: c.rate, Seconds: benchSeconds(), Body: c.body})
				through, gHeap := runLoad(b, loadPlan{URL: w.url + w.svc + c.path, Method: method, Headers: auth, Rate: c.rate, Seconds: benchSeconds(), Body: c.body})
				ms := func(us int64) float64 { return float64(us) / 1000 }
				b.ReportMetric(ms(direct.P99), c.name+"-direct-p99-ms")
				b.ReportMetric(ms(through.P99), c.name+"-gateway-p99-ms")
				b.ReportMetric(ms(through.P99-direct.P99), c.name+"-added-p99-ms")
				b.ReportMetric(ms(through.P50), c.name+"-gateway-p50-ms")
				b.ReportMetric(through.Rate, c.name+"-gateway-req/s")
				b.ReportMetric(float64(dHeap)/(1<<20), c.name+"-direct-heap-MB")
				b.ReportMetric(float64(gHeap)/(1<<20), c.name+"-gateway-heap-MB")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

// runLoad runs plan from a child process (this test binary, see TestMain)
// and returns its result and the peak heap in use here meanwhile.
func runLoad(b *testing.B, plan loadPlan) (loadResult, uint64) {
	b.Helper()
	js, _ := json.Marshal(plan)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TINHSO_HUB_LOAD="+string(js))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampled sync.WaitGroup
	sampled.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	err := cmd.Run()
	close(stop)
	sampled.Wait()
	if err != nil {
		b.Fatalf("load %s: %v\n%s", plan.URL, err, out.String())
	}
	var r loadResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		b.Fatalf("load %s: %v in %q", plan.URL, err, out.String())
	}
	if r.Errors > 0 {
		b.Fatalf("load %s: %d of %d requests failed", plan.URL, r.Errors, r.Sent)
	}
	return r, peak.Load()
}

// TestMain turns this test binary into the fixed-rate load generator when
// runLoad starts it with a plan; otherwise it runs the tests.
func TestMain(m *testing.M) {
	if plan := os.Getenv("TINHSO_HUB_LOAD"); plan != "" {
		os.Exit(generateLoad(plan))
	}
	os.Exit(m.Run())
}

// generateLoad sends plan's requests on schedule (request i is due at
// start + i/rate) from a pool of workers, discards the first second as
// warm-up, and prints a loadResult.
func generateLoad(js string) int {
	var p loadPlan
	if err := json.Unmarshal([]byte(js), &p); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	client := &fasthttp.Client{MaxConnsPerHost: 512, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	body := bytes.Repeat([]byte("x"), p.Body)
	interval := time.Second / time.Duration(p.Rate)
	start := time.Now().Add(100 * time.Millisecond)
	warm := start.Add(time.Second)
	end := warm.Add(time.Duration(p.Seconds) * time.Second)
	var next atomic.Int64
	var mu sync.Mutex
	var lat []int64
	var sent, errs int
	var wg sync.WaitGroup
	for range 256 {
		wg.Go(func() {
			req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			var mine []int64
			var mySent, myErrs int
			for {
				due := start.Add(time.Duration(next.Add(1)-1) * interval)
				if !due.Before(end) {
					break
				}
				time.Sleep(time.Until(due))
				req.Reset()
				req.SetRequestURI(p.URL)
				req.Header.SetMethod(p.Method)
				for k, v := range p.Headers {
					req.Header.Set(k, v)
				}
				if len(body) > 0 {
					req.SetBody(body)
				}
				err := client.Do(req, res)
				took := time.Since(due)
				if due.Before(warm) {
					continue
				}
				mySent++
				if err != nil || res.StatusCode() != 200 {
					myErrs++
					continue
				}
				mine = append(mine, took.Microseconds())
			}
			mu.Lock()
			lat, sent, errs = append(lat, mine...), sent+mySent, errs+myErrs
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(lat)
	at := func(q float64) int64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(q*float64(len(lat))))]
	}
	r := loadResult{Sent: sent, Errors: errs, P50: at(0.5), P99: at(0.99), P999: at(0.999), MaxMicro: at(1), Rate: float64(len(lat)) / float64(p.Seconds)}
	json.NewEncoder(os.Stdout).Encode(r)
	return 0
}
