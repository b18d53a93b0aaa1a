package hub_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/testapp"
)

// gateway runs app's gateway on loopback until the test ends: its
// consumers' listener (HTTP) and its listener for peer hubs (HTTPS, with a
// server certificate of the hub's own CA).
func gateway(t *testing.T, app *testapp.App, node string) (url, peerURL string, gw *hub.Gateway, stop func()) {
	t.Helper()
	url, gw, stop = startGateway(t, app, hub.GatewayOptions{Node: node, SealEvery: time.Hour, PeerAddr: "127.0.0.1:0"}, false)
	return url, "https://" + gw.PeerAddr(), gw, stop
}

// TestFederation: two hubs on loopback, each with its own database — the
// province's (instance TINHSO) and the national platform's (VN) — trust
// each other as peers. A consumer of the province calls a service of the
// national platform through both gateways over mutual TLS and gets its
// answer; both message logs hold the exchange (one X-Road-Id, each side's
// own X-Road-Request-Id) and verify; the national hub's own access rights
// decide; every fault on the way is an X-Road error; and no goroutine nor
// descriptor is left behind.
//
// Not parallel: it counts the process's goroutines and descriptors.
func TestFederation(t *testing.T) {
	province, national := testapp.DemoURLs(t), testapp.DemoURLs(t)
	for engine, u := range province {
		t.Run(string(engine), func(t *testing.T) {
			a := testapp.New(t, u)
			b := testapp.NewWith(t, national[engine], func(c *config.Config) { c.Hub.Instance = "VN" })
			federation(t, a, b, u, national[engine])
		})
	}
}

func federation(t *testing.T, a, b *testapp.App, aDB, bDB string) {
	ctx := context.Background()
	// The national platform: the population database's citizen check.
	seen := make(chan http.Header, 100)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		select {
		case seen <- r.Header.Clone():
		default:
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if strings.HasSuffix(r.URL.Path, "/stream") {
			io.Copy(w, bytes.NewReader(bytes.Repeat([]byte("Cơ sở dữ liệu quốc gia về dân cư "), 1<<15)))
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"soDinhDanh": strings.TrimPrefix(r.URL.Path, "/dancu/citizens/"), "hoTen": "Nguyễn Văn An", "khop": true,
			"bodySize": n, "bodySha256": hex.EncodeToString(h.Sum(nil)), "query": r.URL.RawQuery})
	}))
	t.Cleanup(backend.Close)
	bm := do(t, b, "admin", "POST", "/api/v1/hub/members", `{"memberClass":"GOV","memberCode":"BCA","name":"Bộ Công an","unitId":{unit:LC}}`)
	bx := do(t, b, "admin", "POST", fmt.Sprintf("/api/v1/hub/members/%d/subsystems", id(bm)), `{"subsystemCode":"DANCU","name":"Cơ sở dữ liệu quốc gia về dân cư"}`)
	bs := do(t, b, "admin", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/services", id(bx)),
		`{"serviceCode":"xacthuc","name":"Xác thực thông tin công dân","backendUrl":"`+backend.URL+`/dancu","timeoutMs":5000}`)
	svc := "/r1/" + bs["identifier"].(string)

	// The province: the one-stop system and the data portal.
	am := do(t, a, "admin", "POST", "/api/v1/hub/members", `{"memberClass":"GOV","memberCode":"GL.PLEIKU","name":"UBND thành phố Pleiku","unitId":{unit:GL.PLEIKU}}`)
	with := do(t, a, "admin", "POST", fmt.Sprintf("/api/v1/hub/members/%d/subsystems", id(am)), `{"subsystemCode":"MOTCUA","name":"Một cửa điện tử"}`)
	without := do(t, a, "admin", "POST", fmt.Sprintf("/api/v1/hub/members/%d/subsystems", id(am)), `{"subsystemCode":"CONGDL","name":"Cổng dữ liệu"}`)
	withID, withoutID := with["identifier"].(string), without["identifier"].(string)

	aURL, aPeer, aGW, aStop := gateway(t, a, "province")
	bURL, bPeer, bGW, bStop := gateway(t, b, "national")
	token := func(sub map[string]any) string {
		s := do(t, a, "admin", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/secrets", id(sub)), `{}`)
		w := &world{url: aURL}
		return w.token(t, s["clientId"].(string), s["clientSecret"].(string))
	}
	tokW, tokN := token(with), token(without)

	// Each registers the other: instance, gateway, CA certificates.
	peering := func(app *testapp.App) hub.Peering {
		var p hub.Peering
		status, body, _ := app.Send(t, nil, testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/hub/peering"})
		if status != 200 {
			t.Fatalf("peering: %d %s", status, body)
		}
		testapp.JSON(t, body, &p)
		return p
	}
	pa, pb := peering(a), peering(b)
	if pa.Instance != "TINHSO" || pb.Instance != "VN" || !strings.Contains(pb.CAPEM, "BEGIN CERTIFICATE") {
		t.Fatalf("peering %+v %+v", pa, pb)
	}
	peerJSON := func(inst, name, addr, ca string) string {
		b, _ := json.Marshal(hub.PeerInput{Instance: inst, Name: name, Address: addr, CAPEM: ca, TimeoutMS: 3000})
		return string(b)
	}
	toVN := do(t, a, "admin", "POST", "/api/v1/hub/peers", peerJSON("VN", "Nền tảng tích hợp, chia sẻ dữ liệu quốc gia (NDXP)", bPeer, pb.CAPEM))
	toLC := do(t, b, "admin", "POST", "/api/v1/hub/peers", peerJSON("TINHSO", "Trục liên thông tỉnh Lai Châu", aPeer, pa.CAPEM))
	// The national platform's provider grants the province's one-stop
	// system access: a subsystem of a peer instance, registered on grant.
	do(t, b, "admin", "POST", fmt.Sprintf("/api/v1/hub/services/%d/rights", id(bs)), `{"consumer":"`+withID+`"}`)

	get := func(tok, client, path string, headers ...string) answer {
		t.Helper()
		return call(t, nil, "GET", aURL+path, nil, append([]string{"Authorization", "Bearer " + tok, "X-Road-Client", client}, headers...)...)
	}
	quiet := func() {
		http.DefaultClient.CloseIdleConnections()
		aGW.CloseIdleConnections()
		bGW.CloseIdleConnections()
	}

	t.Run("the registry and its bad input", func(t *testing.T) {
		for _, c := range []struct{ body, field string }{
			{peerJSON("VN", "again", bPeer, pb.CAPEM), "xroadInstance"},
			{peerJSON("TINHSO", "myself", bPeer, pb.CAPEM), "xroadInstance"},
			{peerJSON("HN", "Hà Nội", bURL, pb.CAPEM), "address"},
			{peerJSON("HN", "Hà Nội", bPeer, "not a certificate"), "caCertificates"},
			{peerJSON("H/N", "Hà Nội", bPeer, pb.CAPEM), "xroadInstance"},
		} {
			status, body, h := a.Send(t, nil, testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/hub/peers", Body: c.body})
			if status != 422 {
				t.Fatalf("%s: %d %s", c.body, status, body)
			}
			if f := testapp.ProblemFields(t, body); len(f) != 1 || f[0] != c.field {
				t.Errorf("fields %v, want %s (%s)", f, c.field, h)
			}
		}
		// Only the hub's managers register peers.
		if status, body, _ := a.Send(t, nil, testapp.Call{User: "pheduyet.pleiku", Method: "POST", Path: "/api/v1/hub/peers", Body: peerJSON("HN", "Hà Nội", bPeer, pb.CAPEM)}); status != 403 {
			t.Errorf("an approver registers a peer: %d %s", status, body)
		}
		if n := a.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'hub.peer' AND subject = 'VN'`); n != 1 {
			t.Errorf("%d audit events of the peer", n)
		}
		// A subsystem of a peer instance calls through its own hub.
		foreign := b.Count(t, `SELECT x.id FROM hub_subsystems x JOIN hub_members m ON m.id = x.member_id WHERE m.instance = 'TINHSO' AND x.code = 'MOTCUA'`)
		if status, body, _ := b.Send(t, nil, testapp.Call{User: "admin", Method: "POST", Path: fmt.Sprintf("/api/v1/hub/subsystems/%d/secrets", foreign), Body: `{}`}); status != 422 {
			t.Errorf("a secret for a foreign subsystem: %d %s", status, body)
		}
		// A grant to an instance that is no peer is refused.
		if status, body, _ := b.Send(t, nil, testapp.Call{User: "admin", Method: "POST", Path: fmt.Sprintf("/api/v1/hub/services/%d/rights", id(bs)), Body: `{"consumer":"HN/GOV/X/Y"}`}); status != 422 {
			t.Errorf("a right for a stranger: %d %s", status, body)
		}
		_, body, _ := a.Send(t, nil, testapp.Call{User: "pheduyet.pleiku", Method: "GET", Path: "/api/v1/hub/peers"})
		var ps []hub.Peer
		testapp.JSON(t, body, &ps)
		if len(ps) != 1 || ps[0].Instance != "VN" || !ps[0].Enabled || len(ps[0].CAs) == 0 {
			t.Errorf("peers: %s", body)
		}
	})

	// Warm up, then count.
	if r := get(tokW, withID, svc+"/citizens/001"); r.status != 200 {
		t.Fatalf("warm-up: %d %s", r.status, r.body)
	}
	<-seen
	quiet()
	time.Sleep(200 * time.Millisecond)
	g0, f0, files0 := goroutines(), descriptors(t), fileNames()

	t.Run("a consumer of the province calls a service of the national platform", func(t *testing.T) {
		r := get(tokW, withID, svc+"/citizens/001098765432?hoTen=Nguy%E1%BB%85n", "X-Road-UserId", "VN001098765432")
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		got := r.json(t)
		if got["soDinhDanh"] != "001098765432" || got["query"] != "hoTen=Nguy%E1%BB%85n" {
			t.Errorf("answer %v", got)
		}
		h := <-seen
		qid, rid := r.header.Get("X-Road-Id"), r.header.Get("X-Road-Request-Id")
		if !strings.HasPrefix(qid, "TINHSO-") || h.Get("X-Road-Id") != qid || h.Get("X-Road-Client") != withID || h.Get("X-Road-UserId") != "VN001098765432" {
			t.Errorf("the backend saw %v; the answer: X-Road-Id %s", h, qid)
		}
		brid := h.Get("X-Road-Request-Id")
		if len(rid) != 36 || len(brid) != 36 || rid == brid {
			t.Errorf("request ids: province %q, national %q", rid, brid)
		}
		if r.header.Get("X-Road-Service") != bs["identifier"] || r.header.Get("X-Road-Request-Hash") == "" || r.header.Get("X-Road-Error") != "" {
			t.Errorf("headers %v", r.header)
		}
		aGW.Log().Flush(ctx)
		bGW.Log().Flush(ctx)
		if n := a.Count(t, `SELECT COUNT(*) FROM hub_log WHERE query_id = $1 AND x_request_id = $2 AND client = $3 AND status = 200`, qid, rid, withID); n != 1 {
			t.Errorf("province's log: %d response records", n)
		}
		if n := b.Count(t, `SELECT COUNT(*) FROM hub_log WHERE query_id = $1 AND x_request_id = $2 AND client = $3 AND credential = 'peer:TINHSO'`, qid, brid, withID); n != 2 {
			t.Errorf("national log: %d records", n)
		}
		if n := a.Count(t, `SELECT COUNT(*) FROM hub_opmon WHERE message_id = $1 AND service_xroad_instance = 'VN' AND succeeded = $2 AND security_server_type = 'Client'`, qid, true); n != 1 {
			t.Errorf("province's monitoring: %d", n)
		}
		if n := b.Count(t, `SELECT COUNT(*) FROM hub_opmon WHERE message_id = $1 AND client_xroad_instance = 'TINHSO' AND succeeded = $2 AND service_id > 0 AND security_server_type = 'Producer'`, qid, true); n != 1 {
			t.Errorf("national monitoring: %d", n)
		}
		// The call counts in the province's connections KPI: its one-stop
		// system connected to a national service (the warm-up's pair).
		today := time.Now().In(time.FixedZone("ICT", 7*3600)) // the province's day
		if k, err := a.Server.Hub.Measure(ctx, 0, today, today); err != nil || k.Connections != 1 || k.Connected != 1 {
			t.Errorf("province's KPI %+v, %v", k, err)
		}
		// listClients of the national instance is the national hub's own
		// list (with the Bộ Công an's population database), in JSON or XML
		// as asked; the province's own is its own.
		lc := call(t, nil, "GET", aURL+"/listClients?xRoadInstance=VN", nil, "Accept", "application/json")
		if lc.status != 200 || !strings.Contains(string(lc.body), `"member_code":"BCA","subsystem_code":"DANCU","object_type":"SUBSYSTEM","xroad_instance":"VN"`) ||
			strings.Contains(string(lc.body), `"xroad_instance":"TINHSO"`) {
			t.Errorf("listClients of VN: %d %s", lc.status, lc.body)
		}
		lx := call(t, nil, "GET", aURL+"/listClients?xRoadInstance=VN", nil)
		if lx.status != 200 || !strings.Contains(string(lx.body), "<id:memberCode>BCA</id:memberCode><id:subsystemCode>DANCU</id:subsystemCode>") {
			t.Errorf("listClients of VN in XML: %d %s", lx.status, lx.body)
		}
		if own := call(t, nil, "GET", aURL+"/listClients", nil, "Accept", "application/json"); own.status != 200 || strings.Contains(string(own.body), `"member_code":"BCA"`) {
			t.Errorf("the province's listClients: %d %s", own.status, own.body)
		}
	})

	t.Run("and the other way: a consumer of the national platform calls a service of the province", func(t *testing.T) {
		nm := do(t, b, "admin", "POST", "/api/v1/hub/members", `{"memberClass":"GOV","memberCode":"VPCP","name":"Văn phòng Chính phủ","unitId":{unit:LC}}`)
		nx := do(t, b, "admin", "POST", fmt.Sprintf("/api/v1/hub/members/%d/subsystems", id(nm)), `{"subsystemCode":"BAOCAO","name":"Hệ thống thông tin báo cáo Chính phủ"}`)
		sec := do(t, b, "admin", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/secrets", id(nx)), `{}`)
		tok := (&world{url: bURL}).token(t, sec["clientId"].(string), sec["clientSecret"].(string))
		ps := do(t, a, "admin", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/services", id(with)),
			`{"serviceCode":"hoso","name":"Tra cứu hồ sơ thủ tục hành chính","backendUrl":"`+backend.URL+`/dancu"}`)
		path := "/r1/" + ps["identifier"].(string) + "/citizens/004"
		r := call(t, nil, "GET", bURL+path, nil, "Authorization", "Bearer "+tok, "X-Road-Client", nx["identifier"].(string))
		fault(t, r, 500, hub.FaultAccessDenied) // no right yet
		do(t, a, "admin", "POST", fmt.Sprintf("/api/v1/hub/services/%d/rights", id(ps)), `{"consumer":"`+nx["identifier"].(string)+`"}`)
		r = call(t, nil, "GET", bURL+path, nil, "Authorization", "Bearer "+tok, "X-Road-Client", nx["identifier"].(string))
		if r.status != 200 || r.json(t)["soDinhDanh"] != "004" || !strings.HasPrefix(r.header.Get("X-Road-Id"), "VN-") {
			t.Fatalf("%d %v %s", r.status, r.header, r.body)
		}
		if h := <-seen; h.Get("X-Road-Client") != nx["identifier"] {
			t.Errorf("the province's backend saw %v", h)
		}
	})

	t.Run("bodies stream both ways, hashed alike on both sides", func(t *testing.T) {
		body := bytes.Repeat([]byte("Tờ khai căn cước "), 1<<16) // ~1.2 MB
		r := call(t, nil, "POST", aURL+svc+"/citizens/002", bytes.NewReader(body), "Authorization", "Bearer "+tokW, "X-Road-Client", withID, "X-Road-Id", "LC-HS-2026-0001")
		sum := sha256.Sum256(body)
		if r.status != 200 || r.json(t)["bodySha256"] != hex.EncodeToString(sum[:]) || r.header.Get("X-Road-Id") != "LC-HS-2026-0001" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		<-seen
		s := call(t, nil, "GET", aURL+svc+"/stream", nil, "Authorization", "Bearer "+tokW, "X-Road-Client", withID, "X-Road-Id", "LC-HS-2026-0002")
		<-seen
		if s.status != 200 || len(s.body) != 1<<15*len("Cơ sở dữ liệu quốc gia về dân cư ") {
			t.Fatalf("stream: %d, %d bytes", s.status, len(s.body))
		}
		aGW.Log().Flush(ctx)
		bGW.Log().Flush(ctx)
		for _, q := range []string{"LC-HS-2026-0001", "LC-HS-2026-0002"} {
			var ra, rb [2]string
			for _, x := range []struct {
				app *testapp.App
				out *[2]string
			}{{a, &ra}, {b, &rb}} {
				if err := x.app.DB.Read.QueryRowContext(ctx, `SELECT request_sha256, response_sha256 FROM hub_log WHERE query_id = $1 AND kind = 'response'`, q).Scan(&x.out[0], &x.out[1]); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if ra != rb {
				t.Errorf("%s: province logged %v, national %v", q, ra, rb)
			}
		}
	})

	t.Run("a foreign consumer without a right is refused by the national platform", func(t *testing.T) {
		r := get(tokN, withoutID, svc+"/citizens/001")
		fault(t, r, 500, hub.FaultAccessDenied)
		aGW.Log().Flush(ctx)
		if n := a.Count(t, `SELECT COUNT(*) FROM hub_log WHERE x_request_id = $1 AND fault = $2`, r.header.Get("X-Road-Request-Id"), hub.FaultAccessDenied); n != 1 {
			t.Errorf("the province's log does not hold the refusal: %d", n)
		}
	})

	t.Run("unknown instance", func(t *testing.T) {
		fault(t, get(tokW, withID, "/r1/HN/GOV/BCA/DANCU/xacthuc/citizens/1"), 500, hub.FaultUnknownMember)
	})

	edit := func(app *testapp.App, peer map[string]any, body string) {
		t.Helper()
		do(t, app, "admin", "PUT", fmt.Sprintf("/api/v1/hub/peers/%d", id(peer)), body)
		quiet()
	}
	t.Run("a disabled peer, on either side", func(t *testing.T) {
		edit(a, toVN, `{"enabled":false}`)
		fault(t, get(tokW, withID, svc+"/citizens/1"), 500, hub.FaultPeerDisabled)
		edit(a, toVN, `{"enabled":true}`)
		edit(b, toLC, `{"enabled":false}`)
		fault(t, get(tokW, withID, svc+"/citizens/1"), 500, hub.FaultPeerCaller)
		edit(b, toLC, `{"enabled":true}`)
		if r := get(tokW, withID, svc+"/citizens/1"); r.status != 200 {
			t.Fatalf("enabled again: %d %s", r.status, r.body)
		}
		<-seen
	})

	t.Run("untrusted certificates", func(t *testing.T) {
		// The province trusts another CA for the national platform: the
		// national platform's server certificate is refused.
		edit(a, toVN, peerJSON("", "", "", pa.CAPEM))
		r := get(tokW, withID, svc+"/citizens/1")
		fault(t, r, 500, hub.FaultAuthentication)
		if !strings.Contains(r.json(t)["message"].(string), "not trusted") {
			t.Errorf("message %s", r.body)
		}
		edit(a, toVN, peerJSON("", "", "", pb.CAPEM))
		// The national platform trusts another CA for the province: the
		// province's hub certificate is refused at the handshake.
		edit(b, toLC, peerJSON("", "", "", pb.CAPEM))
		r = get(tokW, withID, svc+"/citizens/1")
		fault(t, r, 500, hub.FaultAuthentication)
		edit(b, toLC, peerJSON("", "", "", pa.CAPEM))
		if r := get(tokW, withID, svc+"/citizens/1"); r.status != 200 {
			t.Fatalf("trusted again: %d %s", r.status, r.body)
		}
		<-seen
	})

	t.Run("a peer's hub speaks only for its own instance; other certificates of its CA are no hub's", func(t *testing.T) {
		hubCert, err := a.Server.Hub.Authority().IssueHubClient(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		pair, _ := tls.X509KeyPair([]byte(hubCert.CertPEM), []byte(hubCert.KeyPEM))
		client := func(c tls.Certificate) *http.Client {
			pool := x509Pool(t, pb.CAPEM)
			return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{c}}}}
		}
		hc := client(pair)
		defer hc.CloseIdleConnections()
		fault(t, call(t, hc, "GET", bPeer+svc+"/citizens/1", nil, "X-Road-Client", "LGSP-HN/GOV/X/Y"), 500, hub.FaultPeerCaller)
		fault(t, call(t, hc, "GET", bPeer+"/r1/TINHSO/GOV/GL.PLEIKU/MOTCUA/x", nil, "X-Road-Client", withID), 500, hub.FaultAccessDenied)
		if r := call(t, hc, "GET", bPeer+svc+"/citizens/1", nil, "X-Road-Client", withID); r.status != 200 {
			t.Fatalf("the province's hub certificate: %d %s", r.status, r.body)
		}
		<-seen
		// A consumer's certificate from the province's CA is not the
		// province's hub.
		is := do(t, a, "admin", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/certificates", id(with)), `{}`)
		cons, err := tls.X509KeyPair([]byte(is["certificate"].(string)), []byte(is["privateKey"].(string)))
		if err != nil {
			t.Fatal(err)
		}
		cc := client(cons)
		defer cc.CloseIdleConnections()
		fault(t, call(t, cc, "GET", bPeer+svc+"/citizens/1", nil, "X-Road-Client", withID), 500, hub.FaultPeerCaller)
	})

	t.Run("a peer that is down or hangs", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		down := "https://" + ln.Addr().String()
		ln.Close()
		do(t, a, "admin", "POST", "/api/v1/hub/peers", peerJSON("HN", "Trục liên thông Hà Nội", down, pb.CAPEM))
		fault(t, get(tokW, withID, "/r1/HN/GOV/SOTP/LLTP/lltp/x"), 500, hub.FaultPeerNetwork)

		hang, _ := net.Listen("tcp", "127.0.0.1:0")
		held := make(chan net.Conn, 8)
		go func() {
			for {
				c, err := hang.Accept()
				if err != nil {
					return
				}
				held <- c // accepted, never answered: not even the handshake
			}
		}()
		do(t, a, "admin", "POST", "/api/v1/hub/peers", `{"xroadInstance":"DN","name":"Trục liên thông Đà Nẵng","address":"https://`+hang.Addr().String()+`","caCertificates":`+jsonString(pb.CAPEM)+`,"timeoutMs":300}`)
		fault(t, get(tokW, withID, "/r1/DN/GOV/SOTP/LLTP/lltp/x"), 500, hub.FaultPeerIO)
		hang.Close()
		for len(held) > 0 {
			(<-held).Close()
		}
	})

	t.Run("no goroutine nor descriptor is left behind", func(t *testing.T) {
		var g, f int
		for range 100 {
			quiet()
			time.Sleep(100 * time.Millisecond)
			if g, f = goroutines(), descriptors(t); g <= g0+2 && f <= f0+2 {
				return
			}
		}
		var extra []string
		for fd, name := range fileNames() {
			if files0[fd] != name {
				extra = append(extra, fd+" "+name)
			}
		}
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines %d → %d, descriptors %d → %d (new: %v)\n%s", g0, g, f0, f, extra, buf[:runtime.Stack(buf, true)])
	})

	t.Run("both message logs verify", func(t *testing.T) {
		aStop()
		bStop()
		for chain, db := range map[string]string{"province": aDB, "national": bDB} {
			code, out, errOut := tinhso(t, "hub", "verify", "--db", db)
			if code != 0 || !strings.Contains(out, "chain "+chain+": ok, ") {
				t.Errorf("hub verify of the %s hub: exit %d\n%s%s", chain, code, out, errOut)
			}
		}
	})
}

// goroutines counts the process's goroutines but the idle-connection
// cleaners of fasthttp's clients: each client made during the test (a peer
// registered, a peer's CA changed) has one, which sleeps for the idle time
// (30 s) before it ends.
func goroutines() int {
	buf := make([]byte, 8<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if !strings.Contains(g, "(*HostClient).connsCleaner") {
			n++
		}
	}
	return n
}

// descriptors counts the process's file descriptors but the databases'
// files: the two hubs' connection pools may grow (up to their bound) while
// the test runs, each SQLite connection holding its files open.
func descriptors(t *testing.T) int {
	openFiles(t) // skips without /proc
	n := 0
	for _, name := range fileNames() {
		if !strings.HasSuffix(name, ".db") && !strings.HasSuffix(name, ".db-wal") && !strings.HasSuffix(name, ".db-shm") {
			n++
		}
	}
	return n
}

func x509Pool(t *testing.T, pemCerts string) *x509.CertPool {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(pemCerts)) {
		t.Fatal("no certificate")
	}
	return pool
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
