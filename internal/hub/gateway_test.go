package hub_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/testapp"
)

// world is a hub with a provider and two consumers, a Go backend behind
// the provider's services, and a running gateway on loopback.
type world struct {
	app      *testapp.App
	gw       *hub.Gateway
	url      string // the gateway, http://127.0.0.1:port
	backend  *httptest.Server
	hits     atomic.Int64 // calls the backend received
	svc      string       // /r1/ path of the judicial-records service
	svcID    int64
	with     string // X-Road-Client of the consumer with access
	without  string // and of the one without
	withID   int64
	noID     int64
	secretID int64 // the credential id of with's secret
	tokenW   string
	tokenN   string
	tokenL   string // of the consumer limited to 1 call a second
	limited  string
	stop     func()
}

// do sends an API call as user and decodes a 2xx answer.
func do(t testing.TB, app *testapp.App, user, method, path, body string) map[string]any {
	t.Helper()
	status, b, _ := app.Send(t, nil, testapp.Call{User: user, Method: method, Path: path, Body: body})
	if status/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, status, b)
	}
	var m map[string]any
	if len(b) > 0 {
		testapp.JSON(t, b, &m)
	}
	return m
}

func id(m map[string]any) int64 { return int64(m["id"].(float64)) }

// backend answers like a small registry service: it echoes what it got
// and says whether the exchange was in the message log before it.
func (w *world) backendHandler(t testing.TB) http.Handler {
	mux := http.NewServeMux()
	fast := bytes.Repeat([]byte(`{"ma":"079123","ket_qua":"khong_co_an_tich"},`), 22)
	mux.HandleFunc("/lltp/fast", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		rw.Write(fast)
	})
	mb := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	mux.HandleFunc("/lltp/mb", func(rw http.ResponseWriter, r *http.Request) {
		// The fixed-rate benchmark's 1 MB exchange: a 1 MiB body each way.
		io.Copy(io.Discard, r.Body)
		rw.Header().Set("Content-Type", "application/octet-stream")
		rw.Write(mb)
	})
	mux.HandleFunc("/lltp/", func(rw http.ResponseWriter, r *http.Request) {
		w.hits.Add(1)
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		logged := w.app.Count(t, `SELECT COUNT(*) FROM hub_log WHERE x_request_id = $1 AND kind = 'request'`, r.Header.Get("X-Road-Request-Id"))
		seen := map[string]any{
			"method": r.Method, "path": r.URL.EscapedPath(), "query": r.URL.RawQuery, "bodySize": n, "bodySha256": hex.EncodeToString(h.Sum(nil)),
			"client": r.Header.Get("X-Road-Client"), "id": r.Header.Get("X-Road-Id"), "requestId": r.Header.Get("X-Road-Request-Id"),
			"userId": r.Header.Get("X-Road-UserId"), "issue": r.Header.Get("X-Road-Issue"), "userAgent": r.Header.Get("User-Agent"),
			"authorization": r.Header.Get("Authorization"), "hop": r.Header.Get("X-Hop"), "custom": r.Header.Get("X-Custom"),
			"loggedBefore": logged,
		}
		rw.Header().Set("Server", "backend/1.0")
		rw.Header().Set("X-Road-Request-Hash", "forged-by-backend")
		rw.Header().Set("X-Backend", "yes")
		rw.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.URL.Path == "/lltp/echo" {
			rw.Header().Set("Content-Type", "application/octet-stream")
			io.Copy(rw, bytes.NewReader(bytes.Repeat([]byte("Lý lịch tư pháp "), 1<<16)))
			return
		}
		json.NewEncoder(rw).Encode(seen)
	})
	mux.HandleFunc("/slow/", func(rw http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	return mux
}

func newWorld(t testing.TB, app *testapp.App, tlsGateway bool, configure ...func(*hub.GatewayOptions)) *world {
	t.Helper()
	w := &world{app: app}
	w.backend = httptest.NewServer(w.backendHandler(t))
	t.Cleanup(w.backend.Close)

	a := do(t, app, "quantri.laichau", "POST", "/api/v1/hub/members", `{"memberClass":"GOV","memberCode":"H29.STP","name":"Sở Tư pháp tỉnh Lai Châu","unitId":{unit:LC.STP}}`)
	sa := do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/members/%d/subsystems", id(a)), `{"subsystemCode":"LLTP","name":"Hệ thống lý lịch tư pháp"}`)
	svc := do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/services", id(sa)),
		`{"serviceCode":"lltp","name":"Tra cứu lý lịch tư pháp","backendUrl":"`+w.backend.URL+`/lltp"}`)
	w.svcID = id(svc)
	do(t, app, "quantri.laichau", "PUT", fmt.Sprintf("/api/v1/hub/services/%d/openapi", w.svcID), jsonDoc(judicialYAML))
	do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/services/%d/endpoints", w.svcID), `{"method":"GET","path":"/closed/**","enabled":false}`)
	slow := do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/services", id(sa)),
		`{"serviceCode":"cham","name":"Dịch vụ chậm","backendUrl":"`+w.backend.URL+`/slow","timeoutMs":300}`)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + ln.Addr().String() + "/x"
	ln.Close()
	gone := do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/services", id(sa)),
		`{"serviceCode":"mat","name":"Dịch vụ ngừng","backendUrl":"`+down+`"}`)

	b := do(t, app, "admin", "POST", "/api/v1/hub/members", `{"memberClass":"GOV","memberCode":"GL.PLEIKU","name":"UBND thành phố Pleiku","unitId":{unit:GL.PLEIKU}}`)
	with := do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/members/%d/subsystems", id(b)), `{"subsystemCode":"MOTCUA","name":"Một cửa điện tử"}`)
	without := do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/members/%d/subsystems", id(b)), `{"subsystemCode":"CONGDL","name":"Cổng dữ liệu"}`)
	limited := do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/members/%d/subsystems", id(b)), `{"subsystemCode":"GIOIHAN","name":"Hệ thống giới hạn","ratePerSecond":1,"burst":1}`)
	w.limited = limited["identifier"].(string)
	w.withID, w.noID = id(with), id(without)
	w.with, w.without = with["identifier"].(string), without["identifier"].(string)
	for _, s := range []map[string]any{svc, slow, gone} {
		do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/services/%d/rights", id(s)), `{"consumer":"`+w.with+`"}`)
	}
	w.svc = "/r1/" + svc["identifier"].(string)

	opts := hub.GatewayOptions{Node: "plain", SealEvery: time.Hour}
	for _, c := range configure {
		c(&opts)
	}
	if tlsGateway {
		opts.Node = "tls"
	}
	w.url, w.gw, w.stop = startGateway(t, app, opts, tlsGateway)

	sw := do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/secrets", w.withID), `{"name":"một cửa"}`)
	sn := do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/secrets", w.noID), `{"name":"cổng"}`)
	sl := do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/secrets", id(limited)), `{"name":"giới hạn"}`)
	w.secretID = id(sw)
	if !tlsGateway {
		w.tokenW = w.token(t, sw["clientId"].(string), sw["clientSecret"].(string))
		w.tokenN = w.token(t, sn["clientId"].(string), sn["clientSecret"].(string))
		w.tokenL = w.token(t, sl["clientId"].(string), sl["clientSecret"].(string))
	}
	return w
}

// startGateway runs a gateway of app on loopback until the test ends
// (HTTPS with a server certificate of the hub's CA when tlsOn); stop ends
// it earlier, draining its message log.
func startGateway(t testing.TB, app *testapp.App, opts hub.GatewayOptions, tlsOn bool) (url string, gw *hub.Gateway, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	opts.Ready = func(a string) { ready <- a }
	scheme := "http"
	if tlsOn {
		is, err := app.Server.Hub.Authority().IssueServer(ctx, []string{"127.0.0.1"}, 2)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := tls.X509KeyPair([]byte(is.CertPEM), []byte(is.KeyPEM))
		if err != nil {
			t.Fatal(err)
		}
		opts.TLS, scheme = &tls.Config{Certificates: []tls.Certificate{cert}}, "https"
	}
	gw, err := app.Server.Hub.NewGateway(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- gw.Serve(ctx, ln) }()
	select {
	case a := <-ready:
		url = scheme + "://" + a
	case err := <-done:
		t.Fatalf("gateway: %v", err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway stopped with %v", err)
		}
	}
	t.Cleanup(stop)
	return url, gw, stop
}

// token buys an access token at the gateway's token endpoint.
func (w *world) token(t testing.TB, clientID, secret string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", w.url+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth(clientID, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&tok) != nil || !strings.EqualFold(tok.TokenType, "bearer") || tok.ExpiresIn <= 0 {
		t.Fatalf("token: %d %+v", res.StatusCode, tok)
	}
	return tok.AccessToken
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("not JSON (%d): %s", a.status, a.body)
	}
	return m
}

// call sends a request to the gateway.
func call(t testing.TB, client *http.Client, method, u string, body io.Reader, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, b}
}

// fault checks an X-Road error answer.
func fault(t *testing.T, a answer, status int, typ string) {
	t.Helper()
	if a.status != status || a.header.Get("X-Road-Error") != typ {
		t.Fatalf("status %d X-Road-Error %q, want %d %q: %s", a.status, a.header.Get("X-Road-Error"), status, typ, a.body)
	}
	m := a.json(t)
	if m["type"] != typ || m["message"] == "" || len(m) != 3 {
		t.Errorf("error body %s, want {type, message, detail} of %s", a.body, typ)
	}
}

func TestGateway(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		w := newWorld(t, app, false)
		bearer := func(tok string) string { return "Bearer " + tok }

		t.Run("a consumer with access gets the backend's answer with X-Road's headers", func(t *testing.T) {
			a := call(t, nil, "GET", w.url+w.svc+"/records/079123?ky=2025&loai=1", nil,
				"Authorization", bearer(w.tokenW), "X-Road-Client", w.with, "X-Road-UserId", "VN012345678901", "X-Road-Issue", "HS-2025-000123",
				"X-Road-Request-Id", "forged-by-client", "X-Road-Request-Hash", "forged", "User-Agent", "the-consumer/2.0",
				"Connection", "X-Hop", "X-Hop", "hop", "X-Custom", "passes")
			if a.status != 200 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			seen := a.json(t)
			rid := a.header.Get("X-Road-Request-Id")
			want := map[string]any{"method": "GET", "path": "/lltp/records/079123", "query": "ky=2025&loai=1", "client": w.with,
				"userId": "VN012345678901", "issue": "HS-2025-000123", "requestId": rid, "id": a.header.Get("X-Road-Id"),
				"userAgent": "", "authorization": "", "hop": "", "custom": "passes", "loggedBefore": float64(1)}
			for k, v := range want {
				if seen[k] != v {
					t.Errorf("backend saw %s = %v, want %v", k, seen[k], v)
				}
			}
			if len(rid) != 36 || rid == "forged-by-client" {
				t.Errorf("X-Road-Request-Id %q: want a UUID the hub made", rid)
			} else if ms, err := strconv.ParseInt(rid[:8]+rid[9:13], 16, 64); rid[14] != '7' || err != nil || time.Since(time.UnixMilli(ms)).Abs() > time.Minute {
				// Version 7 (time-ordered), so the log's index on it is appended to, not split at random.
				t.Errorf("X-Road-Request-Id %q: want a version-7 UUID carrying the current time", rid)
			}
			if qid := a.header.Get("X-Road-Id"); !strings.HasPrefix(qid, "TINHSO-") || len(qid) != len("TINHSO-")+36 {
				t.Errorf("X-Road-Id %q: want INSTANCE-uuid", qid)
			}
			if a.header.Get("X-Road-Client") != w.with || a.header.Get("X-Road-Service") != strings.TrimPrefix(w.svc, "/r1/") {
				t.Errorf("X-Road-Client %q, X-Road-Service %q", a.header.Get("X-Road-Client"), a.header.Get("X-Road-Service"))
			}
			if h, err := base64.StdEncoding.DecodeString(a.header.Get("X-Road-Request-Hash")); err != nil || len(h) != 64 {
				t.Errorf("X-Road-Request-Hash %q: want base64 of a SHA-512", a.header.Get("X-Road-Request-Hash"))
			}
			if a.header.Get("Server") != "" || a.header.Get("X-Backend") != "yes" || a.header.Get("X-Road-Error") != "" || a.header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("response headers %v: Server is not passed, the backend's own are", a.header)
			}
		})

		t.Run("the consumer's X-Road-Id is kept", func(t *testing.T) {
			a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", bearer(w.tokenW), "X-Road-Client", w.with, "X-Road-Id", "mot-cua-42")
			if a.status != 200 || a.header.Get("X-Road-Id") != "mot-cua-42" || a.json(t)["id"] != "mot-cua-42" {
				t.Fatalf("%d X-Road-Id %q: %s", a.status, a.header.Get("X-Road-Id"), a.body)
			}
		})

		t.Run("bodies stream both ways and their digests are logged", func(t *testing.T) {
			body := make([]byte, 1<<20)
			rand.Read(body)
			sum := sha256.Sum256(body)
			pr, pw := io.Pipe()
			go func() { // a chunked upload of unknown length
				for i := 0; i < len(body); i += 64 << 10 {
					pw.Write(body[i : i+64<<10])
				}
				pw.Close()
			}()
			a := call(t, nil, "POST", w.url+w.svc+"/requests", pr, "Authorization", bearer(w.tokenW), "X-Road-Client", w.with, "Content-Type", "application/octet-stream")
			seen := a.json(t)
			if a.status != 200 || seen["bodySize"] != float64(len(body)) || seen["bodySha256"] != hex.EncodeToString(sum[:]) {
				t.Fatalf("%d: the backend saw %v", a.status, seen)
			}
			b := call(t, nil, "GET", w.url+w.svc+"/echo", nil, "Authorization", bearer(w.tokenW), "X-Road-Client", w.with)
			if b.status != 200 || len(b.body) != len("Lý lịch tư pháp ")<<16 {
				t.Fatalf("%d, %d bytes", b.status, len(b.body))
			}
			if err := w.gw.Log().Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			var size int64
			var digest, fault string
			if err := app.DB.Read.QueryRow(`SELECT request_size, request_sha256, fault FROM hub_log WHERE x_request_id = $1 AND kind = 'response'`, a.header.Get("X-Road-Request-Id")).Scan(&size, &digest, &fault); err != nil {
				t.Fatal(err)
			}
			if size != int64(len(body)) || digest != hex.EncodeToString(sum[:]) || fault != "" {
				t.Errorf("logged %d bytes %s (fault %q), want %d %x", size, digest, fault, len(body), sum)
			}
			echoed := sha256.Sum256(b.body)
			if err := app.DB.Read.QueryRow(`SELECT response_size, response_sha256 FROM hub_log WHERE x_request_id = $1 AND kind = 'response'`, b.header.Get("X-Road-Request-Id")).Scan(&size, &digest); err != nil {
				t.Fatal(err)
			}
			if size != int64(len(b.body)) || digest != hex.EncodeToString(echoed[:]) {
				t.Errorf("logged response %d bytes %s, want %d %x", size, digest, len(b.body), echoed)
			}
			if a.header.Get("X-Road-Request-Hash") == b.header.Get("X-Road-Request-Hash") {
				t.Error("two different requests have one request hash")
			}
		})

		t.Run("a consumer without access gets X-Road's access-denied error", func(t *testing.T) {
			before := w.hits.Load()
			a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", bearer(w.tokenN), "X-Road-Client", w.without)
			fault(t, a, 500, hub.FaultAccessDenied)
			if d := a.json(t)["detail"].(string); len(d) != 36 {
				t.Errorf("detail %q: want the exchange's X-Road-Request-Id", d)
			}
			if w.hits.Load() != before {
				t.Error("the backend was called")
			}
		})

		t.Run("a forged X-Road-Client is refused", func(t *testing.T) {
			a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", bearer(w.tokenN), "X-Road-Client", w.with)
			fault(t, a, 500, hub.FaultAuthentication)
		})

		t.Run("bad requests", func(t *testing.T) {
			auth := []string{"Authorization", bearer(w.tokenW), "X-Road-Client", w.with}
			cases := []struct {
				name, method, path string
				headers            []string
				status             int
				fault              string
			}{
				{"no X-Road-Client", "GET", w.svc + "/records/1", []string{"Authorization", bearer(w.tokenW)}, 400, hub.FaultInvalidClient},
				{"a malformed X-Road-Client", "GET", w.svc + "/records/1", []string{"Authorization", bearer(w.tokenW), "X-Road-Client", "TINHSO/GOV"}, 400, hub.FaultInvalidClient},
				{"an unregistered client", "GET", w.svc + "/records/1", []string{"Authorization", bearer(w.tokenW), "X-Road-Client", "TINHSO/GOV/GL.PLEIKU/KHAC"}, 500, hub.FaultUnknownMember},
				{"no credential", "GET", w.svc + "/records/1", []string{"X-Road-Client", w.with}, 500, hub.FaultAuthentication},
				{"a token the hub did not sign", "GET", w.svc + "/records/1", []string{"Authorization", "Bearer eyJhbGciOiJFZERTQSJ9.e30.c2ln", "X-Road-Client", w.with}, 500, hub.FaultAuthentication},
				{"an unknown service", "GET", "/r1/TINHSO/GOV/H29.STP/LLTP/khongco", auth, 500, hub.FaultUnknownService},
				{"a short path", "GET", "/r1/TINHSO/GOV/H29.STP", auth, 400, hub.FaultBadRequest},
				{"another protocol version", "GET", strings.Replace(w.svc, "/r1/", "/r2/", 1), auth, 400, hub.FaultBadRequest},
				{"a dot segment", "GET", w.svc + "/records/../../admin", auth, 400, hub.FaultBadRequest},
				{"an encoded dot segment", "GET", w.svc + "/records/%2e%2e/%2E%2E/admin", auth, 400, hub.FaultBadRequest},
				{"an identifier with a space", "GET", "/r1/TINHSO/GOV/H29%20STP/LLTP/lltp", auth, 400, hub.FaultBadRequest},
				{"a path that is not UTF-8", "GET", w.svc + "/records/%FF%FE", auth, 400, hub.FaultBadRequest},
				{"a query that is not UTF-8", "GET", w.svc + "/records/1?ten=\xff", auth, 400, hub.FaultBadRequest},
				{"an X-Road-UserId that is not UTF-8", "GET", w.svc + "/records/1", append([]string{"X-Road-UserId", "VN\xff"}, auth...), 400, hub.FaultBadRequest},
				{"an X-Road-Client that is not UTF-8", "GET", w.svc + "/records/1", []string{"Authorization", bearer(w.tokenW), "X-Road-Client", "TINHSO/GOV/\xff/X"}, 400, hub.FaultInvalidClient},
				{"a disabled endpoint", "GET", w.svc + "/closed/x", auth, 500, hub.FaultDisabled},
				{"an unknown gateway path", "GET", "/admin", nil, 400, hub.FaultBadRequest},
			}
			before := w.hits.Load()
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					fault(t, call(t, nil, c.method, w.url+c.path, nil, c.headers...), c.status, c.fault)
				})
			}
			if w.hits.Load() != before {
				t.Error("the backend was called for a refused request")
			}
		})

		t.Run("errors as XML when asked", func(t *testing.T) {
			a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", bearer(w.tokenN), "X-Road-Client", w.without, "Accept", "text/xml")
			if a.status != 500 || !bytes.Contains(a.body, []byte("<type>"+hub.FaultAccessDenied+"</type>")) || !strings.HasPrefix(a.header.Get("Content-Type"), "text/xml") {
				t.Fatalf("%d %s %s", a.status, a.header.Get("Content-Type"), a.body)
			}
		})

		t.Run("backends that are down or hang", func(t *testing.T) {
			base := strings.TrimSuffix(w.svc, "lltp")
			auth := []string{"Authorization", bearer(w.tokenW), "X-Road-Client", w.with}
			fault(t, call(t, nil, "GET", w.url+base+"mat/x", nil, auth...), 500, hub.FaultNetwork)
			fault(t, call(t, nil, "GET", w.url+base+"cham/x", nil, auth...), 500, hub.FaultIO)
		})

		t.Run("a consumer calling faster than its rate", func(t *testing.T) {
			// A consumer with a rate of 1 call a second and a burst of 1: of
			// three calls in a row one at least is refused, before its
			// rights are looked at.
			limited := 0
			for range 3 {
				a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", bearer(w.tokenL), "X-Road-Client", w.limited)
				if a.status == 429 {
					fault(t, a, 429, hub.FaultRateLimited)
					limited++
				}
			}
			if limited == 0 {
				t.Error("no call was rate limited")
			}
		})

		t.Run("metadata services", func(t *testing.T) {
			a := call(t, nil, "GET", w.url+"/listClients", nil, "Accept", "application/json")
			if a.status != 200 {
				t.Fatalf("listClients: %d %s", a.status, a.body)
			}
			for _, s := range []string{`{"id":{"member_class":"GOV","member_code":"H29.STP","object_type":"MEMBER","xroad_instance":"TINHSO"},"name":"Sở Tư pháp tỉnh Lai Châu"}`,
				`{"id":{"member_class":"GOV","member_code":"GL.PLEIKU","subsystem_code":"MOTCUA","object_type":"SUBSYSTEM","xroad_instance":"TINHSO"},"name":"UBND thành phố Pleiku","subsystem_name":"Một cửa điện tử"}`} {
				if !bytes.Contains(a.body, []byte(s)) {
					t.Errorf("listClients lacks %s:\n%s", s, a.body)
				}
			}
			x := call(t, nil, "GET", w.url+"/listClients", nil)
			if !strings.HasPrefix(x.header.Get("Content-Type"), "text/xml") || !bytes.Contains(x.body, []byte("<id:memberCode>H29.STP</id:memberCode>")) {
				t.Errorf("listClients as XML: %s %s", x.header.Get("Content-Type"), x.body)
			}
			provider := strings.TrimSuffix(w.svc, "/lltp")
			lm := call(t, nil, "GET", w.url+provider+"/listMethods", nil, "Authorization", bearer(w.tokenN), "X-Road-Client", w.without)
			if lm.status != 200 || !bytes.Contains(lm.body, []byte(`{"member_class":"GOV","member_code":"H29.STP","object_type":"SERVICE","service_code":"lltp","service_type":"OPENAPI","subsystem_code":"LLTP","xroad_instance":"TINHSO","endpoint_list":[`)) ||
				!bytes.Contains(lm.body, []byte(`{"method":"GET","path":"/records/*"}`)) || bytes.Contains(lm.body, []byte("/closed")) {
				t.Errorf("listMethods: %d %s", lm.status, lm.body)
			}
			if lm.header.Get("X-Road-Request-Id") == "" || lm.header.Get("X-Road-Service") != strings.TrimPrefix(provider, "/r1/")+"/listMethods" {
				t.Errorf("listMethods headers %v", lm.header)
			}
			am := call(t, nil, "GET", w.url+provider+"/allowedMethods", nil, "Authorization", bearer(w.tokenN), "X-Road-Client", w.without)
			if am.status != 200 || string(bytes.TrimSpace(am.body)) != `{"service":[]}` {
				t.Errorf("allowedMethods of a consumer without rights: %d %s", am.status, am.body)
			}
			am = call(t, nil, "GET", w.url+provider+"/allowedMethods", nil, "Authorization", bearer(w.tokenW), "X-Road-Client", w.with)
			if !bytes.Contains(am.body, []byte(`"service_code":"lltp"`)) || !bytes.Contains(am.body, []byte(`"service_code":"cham"`)) {
				t.Errorf("allowedMethods: %s", am.body)
			}
			oa := call(t, nil, "GET", w.url+provider+"/getOpenAPI?serviceCode=lltp", nil, "Authorization", bearer(w.tokenW), "X-Road-Client", w.with)
			if oa.status != 200 || !bytes.Contains(oa.body, []byte("url: /lltp")) || bytes.Contains(oa.body, []byte("10.0.0.5")) || !bytes.Contains(oa.body, []byte("openapi: 3.0.3")) {
				t.Errorf("getOpenAPI (the backend's address must be gone): %d %s", oa.status, oa.body)
			}
			fault(t, call(t, nil, "GET", w.url+provider+"/getOpenAPI", nil, "Authorization", bearer(w.tokenW), "X-Road-Client", w.with), 500, hub.FaultInvalidRequest)
			fault(t, call(t, nil, "GET", w.url+provider+"/getOpenAPI?serviceCode=cham", nil, "Authorization", bearer(w.tokenW), "X-Road-Client", w.with), 500, hub.FaultMetaInternal)
		})

		t.Run("a wrong secret buys no token", func(t *testing.T) {
			req, _ := http.NewRequest("POST", w.url+"/oauth2/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "client_id": {"hubc_x"}, "client_secret": {"nope"}}.Encode()))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 401 || !bytes.Contains(b, []byte(`"invalid_client"`)) {
				t.Errorf("%d %s", res.StatusCode, b)
			}
		})

		t.Run("no record, no exchange: the gateway fails closed", func(t *testing.T) {
			if _, err := app.DB.Write.Exec(`ALTER TABLE hub_log_blocks RENAME TO hub_log_away`); err != nil {
				t.Fatal(err)
			}
			before := w.hits.Load()
			a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", bearer(w.tokenW), "X-Road-Client", w.with)
			if _, err := app.DB.Write.Exec(`ALTER TABLE hub_log_away RENAME TO hub_log_blocks`); err != nil {
				t.Fatal(err)
			}
			fault(t, a, 500, hub.FaultLoggingFailed)
			if w.hits.Load() != before {
				t.Error("the backend saw an exchange the log did not record")
			}
			if a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", bearer(w.tokenW), "X-Road-Client", w.with); a.status != 200 {
				t.Errorf("once the log is back: %d %s", a.status, a.body)
			}
		})

		t.Run("a revoked credential is refused on the next request", func(t *testing.T) {
			a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", bearer(w.tokenW), "X-Road-Client", w.with)
			if a.status != 200 {
				t.Fatalf("before revocation: %d %s", a.status, a.body)
			}
			do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/credentials/%d/revoke", w.secretID), "")
			fault(t, call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", bearer(w.tokenW), "X-Road-Client", w.with), 500, hub.FaultAuthentication)
		})

		t.Run("the log verifies, and names the record altered in the database", func(t *testing.T) {
			if err := w.gw.Log().Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			rep, err := hub.VerifyLog(context.Background(), app.DB, hub.VerifyOptions{})
			if err != nil || !rep.OK || len(rep.Chains) != 1 || rep.Chains[0].Records < 10 || rep.Chains[0].Unsealed != 0 {
				t.Fatalf("verify: %v %+v", err, rep)
			}
			kinds := map[string]int{}
			rows, _ := app.DB.Read.Query(`SELECT kind, COUNT(*) FROM hub_log GROUP BY kind`)
			for rows.Next() {
				var k string
				var n int
				rows.Scan(&k, &n)
				kinds[k] = n
			}
			rows.Close()
			for _, k := range []string{hub.RecordRequest, hub.RecordResponse, hub.RecordRefused, hub.RecordMeta} {
				if kinds[k] == 0 {
					t.Errorf("no %s record in the log: %v", k, kinds)
				}
			}
			var seq int64
			var rid string
			app.DB.Read.QueryRow(`SELECT seq, x_request_id FROM hub_log WHERE chain = 'plain' AND kind = 'response' ORDER BY seq LIMIT 1 OFFSET 1`).Scan(&seq, &rid)
			if _, err := app.DB.Write.Exec(`UPDATE hub_log SET status = 204 WHERE chain = 'plain' AND seq = $1`, seq); err != nil {
				t.Fatal(err)
			}
			rep, err = hub.VerifyLog(context.Background(), app.DB, hub.VerifyOptions{})
			if err != nil || rep.OK || rep.Chains[0].BrokenSeq != seq || !strings.Contains(rep.Chains[0].Problem, "record "+strconv.FormatInt(seq, 10)) || !strings.Contains(rep.Chains[0].Problem, rid) {
				t.Fatalf("verify after altering record %d: %v %+v", seq, err, rep)
			}
		})

		t.Run("the gateway stops cleanly", func(t *testing.T) {
			w.stop()
			w.stop = nil
			if _, err := http.Get(w.url + "/healthz"); err == nil {
				t.Error("the gateway still answers")
			}
		})
	})
}

// TestGatewayTLS: a consumer authenticates with a client certificate the
// hub's CA issued, over real TLS; out of its validity period it gets
// X-Road's error (on the same connection, and on a new one); once it is
// revoked, its next request (on the same connection) is refused.
func TestGatewayTLS(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		var skew atomic.Int64 // the gateway's clock runs ahead by this much
		w := newWorld(t, app, true, func(o *hub.GatewayOptions) {
			o.Clock = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		})
		is := do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/certificates", w.withID), `{"name":"TLS một cửa","days":7}`)
		cert, err := tls.X509KeyPair([]byte(is["certificate"].(string)), []byte(is["privateKey"].(string)))
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM([]byte(is["caCertificate"].(string))) {
			t.Fatal("no CA certificate")
		}
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}}}}
		a := call(t, client, "GET", w.url+w.svc+"/records/1", nil, "X-Road-Client", w.with, "Authorization", "Basic bW90Y3VhOmJhY2tlbmQ=")
		if a.status != 200 || a.json(t)["client"] != w.with {
			t.Fatalf("with a client certificate: %d %s", a.status, a.body)
		}
		if got := a.json(t)["authorization"]; got != "Basic bW90Y3VhOmJhY2tlbmQ=" {
			t.Errorf("with a certificate, the consumer's Authorization is the backend's: got %v", got)
		}
		// Out of its period (7 days): X-Road's words, not a TLS alert.
		for _, c := range []struct {
			skew time.Duration
			msg  string
		}{{8 * 24 * time.Hour, "TLS certificate is expired"}, {-2 * 24 * time.Hour, "TLS certificate is not yet valid"}} {
			skew.Store(int64(c.skew))
			for _, conn := range []string{"the same connection", "a new connection"} {
				if conn == "a new connection" {
					client.CloseIdleConnections()
				}
				a := call(t, client, "GET", w.url+w.svc+"/records/1", nil, "X-Road-Client", w.with)
				fault(t, a, 500, hub.FaultAuthentication)
				if want := "Client (" + w.with + ") " + c.msg; a.json(t)["message"] != want {
					t.Errorf("%v ahead, on %s: %s, want the message %q", c.skew, conn, a.body, want)
				}
			}
		}
		skew.Store(0)
		// A certificate of another authority fails the handshake.
		other := selfSignedClient(t)
		stranger := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &other, nil }}}}
		if _, err := stranger.Get(w.url + w.svc + "/records/1"); err == nil {
			t.Error("a certificate of another authority was accepted")
		}
		// The certificate is the subsystem's, not another's.
		fault(t, call(t, client, "GET", w.url+w.svc+"/records/1", nil, "X-Road-Client", w.without), 500, hub.FaultAuthentication)
		// Without a certificate nor a token.
		bare := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
		fault(t, call(t, bare, "GET", w.url+w.svc+"/records/1", nil, "X-Road-Client", w.with), 500, hub.FaultAuthentication)

		do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/credentials/%d/revoke", id(is)), "")
		fault(t, call(t, client, "GET", w.url+w.svc+"/records/1", nil, "X-Road-Client", w.with), 500, hub.FaultAuthentication)

		if err := w.gw.Log().Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		var cred string
		app.DB.Read.QueryRow(`SELECT credential FROM hub_log WHERE chain = 'tls' AND kind = 'request' ORDER BY seq LIMIT 1`).Scan(&cred)
		if cred != "certificate:"+strconv.FormatInt(id(is), 10) {
			t.Errorf("the request record names credential %q", cred)
		}
	})
}

// selfSignedClient is a client certificate no authority of the hub issued.
func selfSignedClient(t *testing.T) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "không phải của hub"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
