package hub_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestGatewayLimits: 1,000 connections at once, clients that trickle their
// headers (slowloris), headers too large, a body without end, and a
// backend that answers without end: each gets X-Road's error (or is cut
// off), the gateway keeps serving everyone else, and once all is over the
// goroutines and file descriptors are back where they were.
//
// Not parallel: it counts the process's goroutines and descriptors, which
// other tests running beside it would move.
func TestGatewayLimits(t *testing.T) {
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		w := newWorld(t, app, false, func(o *hub.GatewayOptions) {
			o.HeaderTimeout, o.BodyTimeout, o.MaxBody = 3*time.Second, 5*time.Second, 1<<20
		})
		endless := httpServe(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			chunk := bytes.Repeat([]byte("dữ liệu không dứt "), 1024)
			for {
				if _, err := rw.Write(chunk); err != nil {
					return
				}
			}
		}))
		provider := do(t, app, "quantri.laichau", "GET", fmt.Sprintf("/api/v1/hub/services/%d", w.svcID), "")
		svc := do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/services", int64(provider["subsystemId"].(float64))),
			`{"serviceCode":"khongdut","name":"Dịch vụ trả lời không dứt","backendUrl":"`+endless+`/x"}`)
		do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/services/%d/rights", id(svc)), `{"consumer":"`+w.with+`"}`)
		host := strings.TrimPrefix(w.url, "http://")
		request := "GET " + w.svc + "/fast HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + w.tokenW + "\r\nX-Road-Client: " + w.with + "\r\n"
		ok := func() {
			t.Helper()
			if a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", "Bearer "+w.tokenW, "X-Road-Client", w.with); a.status != 200 {
				t.Fatalf("an ordinary call: %d %s", a.status, a.body)
			}
		}
		quiet := func() {
			http.DefaultClient.CloseIdleConnections()
			w.gw.CloseIdleConnections()
		}
		stream := func() {
			t.Helper()
			req, _ := http.NewRequest("GET", w.url+"/r1/"+svc["identifier"].(string)+"/stream", nil)
			req.Header.Set("Authorization", "Bearer "+w.tokenW)
			req.Header.Set("X-Road-Client", w.with)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := io.CopyN(io.Discard, res.Body, 4<<20)
			res.Body.Close()
			if res.StatusCode != 200 || n != 4<<20 {
				t.Fatalf("%d, %d bytes", res.StatusCode, n)
			}
		}
		// Warm up: the backends' clients exist (one goroutine each), the
		// log's connections are open.
		ok()
		stream()
		quiet()
		time.Sleep(200 * time.Millisecond)
		g0, f0, files0 := runtime.NumGoroutine(), openFiles(t), fileNames()

		t.Run("1,000 connections at once", func(t *testing.T) {
			// The backend holds every answer until all 1,000 requests are
			// in: 1,000 exchanges in flight at once, each on its own
			// connection to the gateway.
			const n = 1000
			var arrived atomic.Int64
			all := make(chan struct{})
			barrier := httpServe(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				if arrived.Add(1) == n {
					close(all)
				}
				select {
				case <-all:
				case <-time.After(30 * time.Second):
				}
				rw.Write([]byte(`{"ok":true}`))
			}))
			b := do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/services", int64(provider["subsystemId"].(float64))),
				`{"serviceCode":"dongloat","name":"Dịch vụ chờ đủ 1.000","backendUrl":"`+barrier+`/x","timeoutMs":60000}`)
			do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/services/%d/rights", id(b)), `{"consumer":"`+w.with+`"}`)
			req := strings.Replace(request, w.svc+"/fast", "/r1/"+b["identifier"].(string)+"/x", 1) + "\r\n"
			var wg sync.WaitGroup
			errs := make(chan string, n)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := net.Dial("tcp", host)
					if err != nil {
						errs <- err.Error()
						return
					}
					defer c.Close()
					c.SetDeadline(time.Now().Add(60 * time.Second))
					if _, err := io.WriteString(c, req); err != nil {
						errs <- err.Error()
						return
					}
					res, err := http.ReadResponse(bufio.NewReader(c), nil)
					if err != nil {
						errs <- err.Error()
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						errs <- fmt.Sprintf("status %d %s", res.StatusCode, res.Header.Get("X-Road-Error"))
					}
				}()
			}
			wg.Wait()
			close(errs)
			failed := map[string]int{}
			for e := range errs {
				failed[e]++
			}
			if len(failed) > 0 || arrived.Load() != n {
				t.Errorf("of %d connections (%d reached the backend), failed: %v", n, arrived.Load(), failed)
			}
			ok()
		})

		t.Run("slowloris: headers trickled are cut off with X-Road's error", func(t *testing.T) {
			var wg sync.WaitGroup
			results := make(chan string, 20)
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := net.Dial("tcp", host)
					if err != nil {
						results <- err.Error()
						return
					}
					defer c.Close()
					c.SetDeadline(time.Now().Add(30 * time.Second))
					go func() { // one byte every 50 ms, for ever
						for i := 0; ; i++ {
							if _, err := c.Write([]byte{request[i%len(request)]}); err != nil {
								return
							}
							time.Sleep(50 * time.Millisecond)
						}
					}()
					res, err := http.ReadResponse(bufio.NewReader(c), nil)
					if err != nil {
						results <- "no answer: " + err.Error()
						return
					}
					res.Body.Close()
					results <- fmt.Sprintf("%d %s", res.StatusCode, res.Header.Get("X-Road-Error"))
				}()
			}
			ok() // the others are served meanwhile
			wg.Wait()
			close(results)
			for r := range results {
				if r != "400 "+hub.FaultBadRequest {
					t.Errorf("a slow client got %q", r)
				}
			}
		})

		t.Run("headers larger than the gateway reads", func(t *testing.T) {
			a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", "Bearer "+w.tokenW, "X-Road-Client", w.with, "X-Big", strings.Repeat("x", 4<<20))
			fault(t, a, 400, hub.FaultBadRequest)
		})

		t.Run("a body refused before it is read gets its answer, not a reset", func(t *testing.T) {
			// The gateway answers the consumer without access at once and
			// closes; the 8 MB still on their way are drained, not reset.
			a := call(t, nil, "POST", w.url+w.svc+"/records", bytes.NewReader(make([]byte, 8<<20)), "Authorization", "Bearer "+w.tokenN, "X-Road-Client", w.without, "Content-Type", "application/octet-stream")
			fault(t, a, 500, hub.FaultAccessDenied)
		})

		t.Run("a body without end", func(t *testing.T) {
			c, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			io.WriteString(c, strings.Replace(request, "GET ", "POST ", 1)+"Transfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\n\r\n")
			go func() {
				chunk := fmt.Sprintf("%x\r\n%s\r\n", 32<<10, bytes.Repeat([]byte("a"), 32<<10))
				for {
					if _, err := io.WriteString(c, chunk); err != nil {
						return
					}
				}
			}()
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var m map[string]string
			json.Unmarshal(b, &m)
			if res.StatusCode != 400 || m["type"] != hub.FaultBadRequest || !strings.Contains(m["message"], "larger than") {
				t.Errorf("%d %s", res.StatusCode, b)
			}
			ok()
		})

		t.Run("a backend that answers without end, the consumer going away", func(t *testing.T) {
			for range 5 {
				stream()
			}
			ok()
		})

		t.Run("no goroutine nor descriptor is left behind", func(t *testing.T) {
			var g, f int
			for range 100 { // until the connections' goroutines have ended
				quiet()
				time.Sleep(100 * time.Millisecond)
				if g, f = runtime.NumGoroutine(), openFiles(t); g <= g0+2 && f <= f0+2 {
					return
				}
			}
			buf := make([]byte, 1<<20)
			var extra []string
			for fd, name := range fileNames() {
				if files0[fd] != name {
					extra = append(extra, fd+" "+name)
				}
			}
			t.Errorf("goroutines %d → %d, descriptors %d → %d (new: %v)\n%s", g0, g, f0, f, extra, buf[:runtime.Stack(buf, true)])
		})
	})
}

// httpServe runs a handler on loopback until the test ends.
func httpServe(t *testing.T, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// fileNames are the process's descriptors and what they point to.
func fileNames() map[string]string {
	out := map[string]string{}
	es, _ := os.ReadDir("/proc/self/fd")
	for _, e := range es {
		out[e.Name()], _ = os.Readlink("/proc/self/fd/" + e.Name())
	}
	return out
}

// openFiles counts the process's file descriptors.
func openFiles(t *testing.T) int {
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(es)
}
