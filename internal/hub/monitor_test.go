package hub_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestMonitoring: every exchange leaves an operational-monitoring record
// with X-Road's field names; an official sees the exchanges of the
// members they manage only; the totals, error rates and percentiles, the
// Prometheus series (by service and status, nothing per request), and the
// KPI — the share of information systems connected, computed from the
// registry and the traffic, read by Lai Châu's plan target MT.10.
func TestMonitoring(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		w := newWorld(t, app, false)
		auth := func(tok, client string) []string {
			return []string{"Authorization", "Bearer " + tok, "X-Road-Client", client}
		}
		for range 3 {
			if a := call(t, nil, "GET", w.url+w.svc+"/records/079123", nil, auth(w.tokenW, w.with)...); a.status != 200 {
				t.Fatalf("%d %s", a.status, a.body)
			}
		}
		denied := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, append(auth(w.tokenN, w.without), "X-Road-UserId", "VN0123", "X-Road-Issue", "HS-9")...)
		fault(t, denied, 500, hub.FaultAccessDenied)
		deniedID := denied.json(t)["detail"].(string)
		unknown := call(t, nil, "GET", w.url+"/r1/TINHSO/GOV/H29.STP/LLTP/khongco/x", nil, auth(w.tokenW, w.with)...)
		fault(t, unknown, 500, hub.FaultUnknownService)
		if err := w.gw.Log().Flush(context.Background()); err != nil {
			t.Fatal(err)
		}

		type records struct {
			RecordsCount int              `json:"recordsCount"`
			Records      []map[string]any `json:"records"`
		}
		read := func(user, query string) records {
			t.Helper()
			var rs records
			testapp.JSON(t, []byte(fmt.Sprint(mustJSON(t, app, user, "/api/v1/hub/opmon"+query))), &rs)
			return rs
		}
		all := read("admin", "")
		if all.RecordsCount != 5 || len(all.Records) != 5 {
			t.Fatalf("the hub's admin sees %d records, want 5", all.RecordsCount)
		}
		var rec map[string]any
		for _, r := range all.Records {
			if r["xRequestId"] == deniedID {
				rec = r
			}
		}
		want := map[string]any{"clientXRoadInstance": "TINHSO", "clientMemberClass": "GOV", "clientMemberCode": "GL.PLEIKU", "clientSubsystemCode": "CONGDL",
			"serviceXRoadInstance": "TINHSO", "serviceMemberCode": "H29.STP", "serviceSubsystemCode": "LLTP", "serviceCode": "lltp", "serviceType": "OPENAPI",
			"restMethod": "GET", "restPath": "/records/1", "statusCode": float64(500), "succeeded": false, "faultCode": hub.FaultAccessDenied,
			"messageUserId": "VN0123", "messageIssue": "HS-9", "messageProtocolVersion": "1", "securityServerType": "Client"}
		for k, v := range want {
			if rec[k] != v {
				t.Errorf("%s = %v, want %v", k, rec[k], v)
			}
		}
		for _, k := range []string{"requestInTs", "requestOutTs", "responseInTs", "responseOutTs", "monitoringDataTs", "messageId", "requestSize", "responseSize", "faultString"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("no %s in %v", k, rec)
			}
		}
		ok := all.Records[0]
		if ok["succeeded"] != true || ok["statusCode"] != float64(200) || ok["requestInTs"].(float64) > ok["requestOutTs"].(float64) ||
			ok["requestOutTs"].(float64) > ok["responseInTs"].(float64) || ok["responseInTs"].(float64) > ok["responseOutTs"].(float64) || ok["responseSize"].(float64) == 0 {
			t.Errorf("a successful exchange: %v", ok)
		}

		// A member sees its own traffic: Pleiku's approver every call of
		// its systems, Lai Châu's admin the calls to its member's services
		// (not Pleiku's call to a service that does not exist), a reporter
		// nothing.
		if n := read("pheduyet.pleiku", "").RecordsCount; n != 5 {
			t.Errorf("Pleiku sees %d records, want 5", n)
		}
		if n := read("quantri.laichau", "").RecordsCount; n != 4 {
			t.Errorf("Lai Châu sees %d records, want 4", n)
		}
		if n := read("baocao.laichau", "").RecordsCount; n != 0 {
			t.Errorf("a reporter sees %d records", n)
		}
		if rs := read("admin", fmt.Sprintf("?subsystem=%d&limit=1", w.noID)); rs.RecordsCount != 1 {
			t.Errorf("one subsystem's records: %+v", rs)
		}
		day := time.Now().In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly)
		if n := read("admin", "?from=2020-01-01&to=2020-12-31").RecordsCount; n != 0 {
			t.Errorf("%d records in 2020", n)
		}
		if n := read("admin", "?from="+day+"&to="+day).RecordsCount; n != 5 {
			t.Errorf("%d records today, want 5", n)
		}

		var st struct {
			Total    hub.OpStat
			Services []hub.OpStat
			Clients  []hub.OpStat
			Days     []hub.OpStat
		}
		testapp.JSON(t, []byte(fmt.Sprint(mustJSON(t, app, "admin", "/api/v1/hub/opmon/stats"))), &st)
		if st.Total.Requests != 5 || st.Total.Failed != 2 || st.Total.ErrorRate != 0.4 || len(st.Days) != 1 || st.Days[0].Key != day {
			t.Errorf("totals %+v days %+v", st.Total, st.Days)
		}
		if len(st.Services) != 2 || st.Services[0].Key != strings.TrimPrefix(w.svc, "/r1/") || st.Services[0].Requests != 4 || st.Services[0].Failed != 1 ||
			st.Services[0].P50MS > st.Services[0].P99MS {
			t.Errorf("per service %+v", st.Services)
		}
		if len(st.Clients) != 2 || st.Clients[0].Key != w.with || st.Clients[0].Requests != 4 {
			t.Errorf("per client %+v", st.Clients)
		}

		// Prometheus: by service and status, nothing per request.
		rec2 := httptest.NewRecorder()
		app.Server.Metrics().ServeHTTP(rec2, httptest.NewRequest("GET", "/metrics", nil))
		body := rec2.Body.String()
		for _, s := range []string{`tinhso_hub_exchanges_total{service="` + strings.TrimPrefix(w.svc, "/r1/") + `",status="200"} 3`,
			`tinhso_hub_exchanges_total{service="unknown",status="500"} 1`, `tinhso_hub_faults_total{fault="` + hub.FaultAccessDenied + `"} 1`,
			`tinhso_hub_exchange_duration_seconds_count{service="` + strings.TrimPrefix(w.svc, "/r1/") + `"} 4`} {
			if !strings.Contains(body, s) {
				t.Errorf("/metrics lacks %s", s)
			}
		}
		if strings.Contains(body, deniedID) || strings.Contains(body, "khongco") {
			t.Error("/metrics carries a request's own values")
		}

		// The pages: the KPI, the totals, the latest exchanges.
		status, page := app.Login(t, "admin").Get(t, "/hub/monitoring")
		for _, s := range []string{"Giám sát vận hành", "Tỷ lệ hệ thống thông tin được kết nối, liên thông qua trục", "2 trên 4 hệ thống đã đăng ký",
			hub.FaultAccessDenied, w.without, "GET /records/1", strings.TrimPrefix(w.svc, "/r1/"), "<svg"} {
			if status != 200 || !strings.Contains(page, s) {
				t.Errorf("the monitoring page (%d) lacks %q", status, s)
			}
		}
		if status, page := app.Login(t, "baocao.laichau").Get(t, "/hub/monitoring?from=2026-01-01&to=2026-12-31"); status != 200 || !strings.Contains(page, "Chưa có giao dịch trong khoảng này.") || strings.Contains(page, w.without) {
			t.Errorf("a reporter's monitoring page (%d) shows traffic", status)
		}
		if status, page := app.Login(t, "admin").Get(t, "/hub/monitoring?from=sai"); status != 422 || !strings.Contains(page, "Từ ngày") {
			t.Errorf("a malformed date on the page: %d", status)
		}

		// The KPI: of the hub's four systems, the judicial records and the
		// one-stop system exchanged; one connection.
		var k hub.KPI
		testapp.JSON(t, []byte(fmt.Sprint(mustJSON(t, app, "baocao.laichau", "/api/v1/hub/kpi"))), &k)
		if k.Systems != 4 || k.Connected != 2 || k.Share != 50 || k.Connections != 1 {
			t.Errorf("the hub's KPI %+v", k)
		}
		testapp.JSON(t, []byte(fmt.Sprint(mustJSON(t, app, "baocao.laichau", fmt.Sprintf("/api/v1/hub/kpi?unit=%d", app.UnitID(t, "GL.PLEIKU"))))), &k)
		if k.Systems != 3 || k.Connected != 1 || k.Connections != 1 {
			t.Errorf("Pleiku's KPI %+v", k)
		}
		// Lai Châu's plan target MT.10 (50% of the information systems
		// connected through the platform) reads the computed share.
		var target int64
		if err := app.DB.Read.QueryRow(`SELECT t.id FROM targets t JOIN plans p ON p.id = t.plan_id WHERE p.number = '4900/KH-UBND' AND t.code = 'MT.10'`).Scan(&target); err != nil {
			t.Fatal(err)
		}
		var tg struct {
			Source, IndicatorCode string
			Actuals               []struct {
				MeasuredOn string
				Value      float64
			}
		}
		testapp.JSON(t, []byte(fmt.Sprint(mustJSON(t, app, "lanhdao", fmt.Sprintf("/api/v1/targets/%d", target)))), &tg)
		if tg.Source != "indicator" || tg.IndicatorCode != hub.KPIShareConnected || len(tg.Actuals) == 0 || tg.Actuals[len(tg.Actuals)-1].Value != 100 {
			t.Errorf("MT.10: %+v (Lai Châu's one system, the judicial records, exchanged: 100%%)", tg)
		}
	})
}

// mustJSON GETs an API path as user, failing unless 200.
func mustJSON(t testing.TB, app *testapp.App, user, path string) string {
	t.Helper()
	status, b, _ := app.Do(t, user, "GET", path, "")
	if status != 200 {
		t.Fatalf("GET %s as %s: %d %s", path, user, status, b)
	}
	return string(b)
}

// TestBreaker: a backend that cannot be reached opens its breaker after
// BreakerFailures calls; while open the hub answers X-Road's error itself
// without dialling; after the cool-down one probe goes through and, the
// backend being back, closes it; a failed probe opens it again.
func TestBreaker(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		var offset atomic.Int64
		w := newWorld(t, app, false, func(o *hub.GatewayOptions) {
			o.BreakerFailures, o.BreakerCooldown = 2, time.Minute
			o.Clock = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		provider := do(t, app, "quantri.laichau", "GET", "/api/v1/hub/services/"+fmt.Sprint(w.svcID), "")
		svc := do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/services", int64(provider["subsystemId"].(float64))),
			`{"serviceCode":"chapchon","name":"Dịch vụ chập chờn","backendUrl":"http://`+addr+`/x"}`)
		do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/services/%d/rights", id(svc)), `{"consumer":"`+w.with+`"}`)
		path := w.url + "/r1/" + svc["identifier"].(string) + "/ping"
		auth := []string{"Authorization", "Bearer " + w.tokenW, "X-Road-Client", w.with}

		fault(t, call(t, nil, "GET", path, nil, auth...), 500, hub.FaultNetwork)
		fault(t, call(t, nil, "GET", path, nil, auth...), 500, hub.FaultNetwork)
		// The backend comes back, but the breaker is open: no dial.
		var hits atomic.Int64
		up := func() *http.Server {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { hits.Add(1); rw.Write([]byte(`{"ok":true}`)) })}
			go srv.Serve(l)
			return srv
		}
		srv := up()
		open := call(t, nil, "GET", path, nil, auth...)
		fault(t, open, 500, hub.FaultCircuitOpen)
		if open.header.Get("Retry-After") == "" || hits.Load() != 0 {
			t.Errorf("Retry-After %q, %d calls reached the backend", open.header.Get("Retry-After"), hits.Load())
		}
		// Other backends are not concerned.
		if a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, auth...); a.status != 200 {
			t.Errorf("another backend: %d", a.status)
		}
		// After the cool-down, the probe goes through and closes it.
		offset.Add(int64(61 * time.Second))
		for range 2 {
			if a := call(t, nil, "GET", path, nil, auth...); a.status != 200 {
				t.Fatalf("half-open probe: %d %s", a.status, a.body)
			}
		}
		if hits.Load() != 2 {
			t.Errorf("%d calls reached the backend, want 2", hits.Load())
		}
		// Down again: open, and a failed probe opens it for another while.
		srv.Close()
		fault(t, call(t, nil, "GET", path, nil, auth...), 500, hub.FaultNetwork)
		fault(t, call(t, nil, "GET", path, nil, auth...), 500, hub.FaultNetwork)
		fault(t, call(t, nil, "GET", path, nil, auth...), 500, hub.FaultCircuitOpen)
		offset.Add(int64(61 * time.Second))
		fault(t, call(t, nil, "GET", path, nil, auth...), 500, hub.FaultNetwork)
		fault(t, call(t, nil, "GET", path, nil, auth...), 500, hub.FaultCircuitOpen)
		if bs := w.gw.Breakers(); len(bs) != 1 || !bs[0].Open || bs[0].Backend != "http://"+addr {
			t.Errorf("breakers %+v", bs)
		}
	})
}

// TestBackendRequiresHubCertificate: a backend that requires a client
// certificate of the hub's CA gets the hub's own.
func TestBackendRequiresHubCertificate(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		w := newWorld(t, app, false)
		ctx := context.Background()
		is, err := app.Server.Hub.Authority().IssueServer(ctx, []string{"127.0.0.1"}, 2)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := tls.X509KeyPair([]byte(is.CertPEM), []byte(is.KeyPEM))
		if err != nil {
			t.Fatal(err)
		}
		cas, err := app.Server.Hub.Authority().CACertificates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM([]byte(cas))
		backend := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(rw, `{"peer":%q}`, r.TLS.PeerCertificates[0].Subject.CommonName)
		}))
		backend.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
		backend.StartTLS()
		t.Cleanup(backend.Close)
		provider := do(t, app, "quantri.laichau", "GET", "/api/v1/hub/services/"+fmt.Sprint(w.svcID), "")
		svc := do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/services", int64(provider["subsystemId"].(float64))),
			`{"serviceCode":"mtls","name":"Dịch vụ đòi chứng thư","backendUrl":"`+backend.URL+`/v1"}`)
		do(t, app, "quantri.laichau", "POST", fmt.Sprintf("/api/v1/hub/services/%d/rights", id(svc)), `{"consumer":"`+w.with+`"}`)
		a := call(t, nil, "GET", w.url+"/r1/"+svc["identifier"].(string)+"/x", nil, "Authorization", "Bearer "+w.tokenW, "X-Road-Client", w.with)
		if a.status != 200 || a.json(t)["peer"] != "TINHSO hub" {
			t.Fatalf("%d %s", a.status, a.body)
		}
		if c := w.gw.ClientCertificate(); c == nil || c.Subject.CommonName != "TINHSO hub" || len(c.URIs) != 1 || c.URIs[0].String() != "urn:xroad:TINHSO" {
			t.Errorf("the hub's certificate %+v", c)
		}
	})
}
