package hub_test

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestDemo: the demo's backends answer through the gateway with the
// credentials it prints: the one-stop system gets the judicial records'
// answer as the printed curl line asks it, the data portal X-Road's
// access-denied error; both are in the message log (which verifies) and in
// monitoring, and Lai Châu's KPI is computed from them. The national demo
// hub answers the printed federated curl line, and its consumer calls the
// province's reporting service the other way.
func TestDemo(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		gw, err := app.Server.Hub.NewGateway(hub.GatewayOptions{Node: "demo", SealEvery: time.Hour, PeerAddr: "127.0.0.1:0", Ready: func(a string) { ready <- a }})
		if err != nil {
			t.Fatal(err)
		}
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		done := make(chan error, 1)
		go func() { done <- gw.Serve(ctx, ln) }()
		defer func() { cancel(); <-done }()
		addr := <-ready
		var out bytes.Buffer
		d, err := app.Server.Hub.StartDemo(ctx, gw, &out)
		if err != nil {
			t.Fatal(err)
		}
		printed := out.String()
		for _, s := range []string{"Trục liên thông (LGSP gateway, X-Road REST): http://" + addr, "client_id " + d.WithID + "  client_secret " + d.WithSecret,
			"TINHSO/GOV/H29.VPUBND/CONGDL", "/r1/TINHSO/COM/VNPOST.LC/BUUCHINH/vnpost/tracking/", "/listClients"} {
			if !strings.Contains(printed, s) {
				t.Errorf("the demo does not print %q:\n%s", s, printed)
			}
		}
		// The curl line, as printed.
		m := regexp.MustCompile(`curl -H "Authorization: Bearer \$TOKEN" -H 'X-Road-Client: ([^']+)' (\S+)`).FindStringSubmatch(printed)
		if m == nil {
			t.Fatalf("no curl line:\n%s", printed)
		}
		w := &world{url: "http://" + addr}
		tok := w.token(t, d.WithID, d.WithSecret)
		a := call(t, nil, "GET", m[2], nil, "Authorization", "Bearer "+tok, "X-Road-Client", m[1])
		if a.status != 200 || a.json(t)["anTich"] != "Không có án tích" {
			t.Fatalf("the one-stop system's call: %d %s", a.status, a.body)
		}
		denied := call(t, nil, "GET", m[2], nil, "Authorization", "Bearer "+w.token(t, d.WithoutID, d.WithoutSecret), "X-Road-Client", d.WithoutClient)
		fault(t, denied, 500, hub.FaultAccessDenied)
		for _, p := range d.Services {
			if a := call(t, nil, "GET", "http://"+addr+p, nil, "Authorization", "Bearer "+tok, "X-Road-Client", d.WithClient); a.status != 200 {
				t.Errorf("%s: %d %s", p, a.status, a.body)
			}
		}
		// The federated curl line, as printed: the national platform answers.
		fed := regexp.MustCompile(`curl -H "Authorization: Bearer \$TOKEN" -H 'X-Road-Client: ([^']+)' (\S+/r1/VN/\S+)`).FindStringSubmatch(printed)
		if fed == nil || d.National == nil {
			t.Fatalf("no federated curl line:\n%s", printed)
		}
		if a := call(t, nil, "GET", fed[2], nil, "Authorization", "Bearer "+tok, "X-Road-Client", fed[1]); a.status != 200 || a.json(t)["duLieuMau"] == nil || a.json(t)["hoTen"] != "Nguyễn Văn An" {
			t.Errorf("the federated call: %d %s", a.status, a.body)
		}
		fault(t, call(t, nil, "GET", fed[2], nil, "Authorization", "Bearer "+w.token(t, d.WithoutID, d.WithoutSecret), "X-Road-Client", d.WithoutClient), 500, hub.FaultAccessDenied)
		// The other way: the government's reporting system reads the
		// province's reports.
		if a := call(t, d.National.HTTP, "GET", d.National.Gateway+d.National.Calls, nil, "X-Road-Client", d.National.Client); a.status != 200 || a.json(t)["ky"] != "2026Q3" {
			t.Errorf("the national consumer's call: %d %s", a.status, a.body)
		}
		oa := call(t, nil, "GET", "http://"+addr+"/r1/TINHSO/GOV/H29.STC/DKKD/getOpenAPI?serviceCode=dkkd", nil, "Authorization", "Bearer "+tok, "X-Road-Client", d.WithClient)
		if oa.status != 200 || !strings.Contains(string(oa.body), "Tra cứu danh sách hồ sơ doanh nghiệp") {
			t.Errorf("getOpenAPI: %d %s", oa.status, oa.body)
		}
		if err := gw.Log().Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if rep, err := hub.VerifyLog(ctx, app.DB, hub.VerifyOptions{}); err != nil || !rep.OK {
			t.Errorf("verify: %v %+v", err, rep)
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM hub_opmon WHERE client_subsystem_code = 'CONGDL' AND fault_code = $1`, hub.FaultAccessDenied); n == 0 {
			t.Error("the refusal is not in monitoring")
		}
		var k hub.KPI
		testapp.JSON(t, []byte(mustJSON(t, app, "quantri.laichau", "/api/v1/hub/kpi?unit="+itoa(app.UnitID(t, "LC")))), &k)
		if k.Systems != 8 || k.Connected != 7 || k.Connections != 8 {
			t.Errorf("Lai Châu's KPI in the demo: %+v (7 of 8 systems: all but the data portal; 6 connections of the one-stop system, 1 of the national platform's reporting system, 1 of the one-stop system to the national platform's service)", k)
		}
		// A second start (the demo restarted) reuses the registry.
		again, err := app.Server.Hub.StartDemo(ctx, gw, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { <-d.National.Done; <-again.National.Done }) // after cancel: their temporary databases removed
		if n := app.Count(t, `SELECT COUNT(*) FROM hub_services`); n != 6 {
			t.Errorf("%d services after a restart, want 6", n)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
