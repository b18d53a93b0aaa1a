package hub_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// BenchmarkGateway measures one exchange through the gateway (a bearer
// token, the access check, the rate limit and the message log with group
// commit, all on; on each engine) against calling the Go backend directly, in the
// same run, with a 1 KB JSON answer and net/http clients on loopback:
//
//	go test -run '^$' -bench Gateway -benchtime 20000x ./internal/hub/
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
	b.Run("gateway", func(b *testing.B) {
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b, w.url+w.svc+"/fast", "Authorization", "Bearer "+w.tokenW, "X-Road-Client", w.with)
			}
		})
	})
}
