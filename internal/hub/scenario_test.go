package hub_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

var hubTables = []string{"hub_members", "hub_subsystems", "hub_services", "hub_endpoints", "hub_rights", "hub_access_requests", "hub_credentials", "hub_keys", "hub_peers"}

// judicialYAML is an OpenAPI 3 description of the judicial-records service.
const judicialYAML = `openapi: 3.0.3
info:
  title: Tra cứu lý lịch tư pháp
  version: "1.0"
servers:
  - url: http://10.0.0.5:8080/lltp
paths:
  /records/{id}:
    get:
      summary: Phiếu lý lịch tư pháp
      parameters:
        - name: id
          in: path
          required: true
  /requests:
    post:
      summary: Nộp tờ khai
    get:
      description: |
        Danh sách tờ khai
        put: không phải phương thức
`

// TestHubAPIScenarios is the hub's API table: the registry, descriptions,
// rights and access requests, credentials and keys, with the roles that
// must be refused (each refusal audited once, writing nothing) and every
// administrative change audited.
func TestHubAPIScenarios(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		vars := map[string]string{}
		table := hubScenarios(vars)
		app.Run(t, vars, table)
		app.CheckCoverage(t, vars, table, "hub")
	})
}

func hubScenarios(vars map[string]string) []testapp.Scenario {
	var snapshot map[string]int
	var denied, events int
	var kind string
	snap := func(t *testing.T, app *testapp.App) { snapshot = app.RowCounts(t, hubTables...) }
	unchanged := func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
		t.Helper()
		for table, n := range app.RowCounts(t, hubTables...) {
			if n != snapshot[table] {
				t.Errorf("%s: %d rows before, %d after a rejected write", table, snapshot[table], n)
			}
		}
	}
	deny := func(user string) func(*testing.T, *testapp.App) {
		return func(t *testing.T, app *testapp.App) {
			snap(t, app)
			denied = app.Denials(t, user)
		}
	}
	refused := func(user string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
			t.Helper()
			if n := app.Denials(t, user) - denied; n != 1 {
				t.Errorf("%d access.denied rows for one refusal of %s", n, user)
			}
			unchanged(t, app, body, h)
		}
	}
	countEvents := func(app *testapp.App, t *testing.T) int {
		return app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND success = $2`, kind, true)
	}
	audit := func(k string) func(*testing.T, *testapp.App) {
		return func(t *testing.T, app *testapp.App) { kind = k; events = countEvents(app, t) }
	}
	audited := func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
		t.Helper()
		if n := countEvents(app, t) - events; n != 1 {
			t.Errorf("%d %s audit rows for one change, want 1", n, kind)
		}
	}
	both := func(fs ...func(*testing.T, *testapp.App, []byte, http.Header)) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, b []byte, h http.Header) {
			for _, f := range fs {
				f(t, app, b, h)
			}
		}
	}
	call := func(user, method, path, body string) testapp.Call {
		return testapp.Call{User: user, Method: method, Path: path, Body: body}
	}
	memberA := `{"memberClass":"GOV","memberCode":"H29.STP","name":"Sở Tư pháp tỉnh Lai Châu","unitId":{unit:LC.STP}}`
	consumer := `TINHSO/GOV/GL.PLEIKU/MOTCUA`
	return []testapp.Scenario{
		{Name: "the registry needs credentials", Call: call("", "GET", "/api/v1/hub/members", ""), Status: 401},

		// Members: the hub's managers register them under their units.
		{Name: "a reporter may not register a member", Call: call("baocao.laichau", "POST", "/api/v1/hub/members", memberA), Status: 403,
			Before: deny("baocao.laichau"), Check: refused("baocao.laichau")},
		{Name: "Gia Lai's coordinator may not register a Lai Châu member", Call: call("dieuphoi", "POST", "/api/v1/hub/members", memberA), Status: 403,
			Before: deny("dieuphoi"), Check: refused("dieuphoi")},
		{Name: "Lai Châu's admin registers the Department of Justice", Call: call("quantri.laichau", "POST", "/api/v1/hub/members", memberA), Status: 201,
			Contains: []string{`"identifier":"TINHSO/GOV/H29.STP"`, `"unitLabel":"Sở Tư pháp`}, Capture: map[string]string{"memberA": "id"},
			Before: audit("hub.registry"), Check: audited},
		{Name: "a member with every field wrong", Call: call("quantri.laichau", "POST", "/api/v1/hub/members", `{"memberClass":"XYZ","memberCode":"Sở TP","name":"","unitId":0}`), Status: 422,
			Fields: []string{"memberClass", "memberCode", "name", "unitId"}, Contains: []string{"Mã thành viên: chỉ gồm chữ cái không dấu"}, Before: snap, Check: unchanged},
		{Name: "a member code twice", Call: call("quantri.laichau", "POST", "/api/v1/hub/members", memberA), Status: 422,
			Fields: []string{"memberCode"}, Contains: []string{"TINHSO/GOV/H29.STP"}, Before: snap, Check: unchanged},
		{Name: "an unknown member of the body", Call: call("quantri.laichau", "POST", "/api/v1/hub/members", `{"memberClass":"GOV","ma":"x"}`), Status: 422,
			Fields: []string{"ma"}, Before: snap, Check: unchanged},
		{Name: "the national admin registers Pleiku", Call: call("admin", "POST", "/api/v1/hub/members", `{"memberClass":"GOV","memberCode":"GL.PLEIKU","name":"UBND thành phố Pleiku","unitId":{unit:GL.PLEIKU}}`), Status: 201,
			Capture: map[string]string{"memberB": "id"}},
		{Name: "a reporter reads the members", Call: call("baocao.laichau", "GET", "/api/v1/hub/members", ""), Status: 200,
			Contains: []string{`"memberCode":"H29.STP"`, `"memberCode":"GL.PLEIKU"`}, Header: map[string]string{"X-Total-Count": "2"}},
		{Name: "one member", Call: call("baocao.ankhe", "GET", "/api/v1/hub/members/{var:memberA}", ""), Status: 200, Contains: []string{`"xroadInstance":"TINHSO"`}},
		{Name: "a member that does not exist", Call: call("admin", "GET", "/api/v1/hub/members/999999", ""), Status: 404},
		{Name: "Pleiku's approver may not rename Lai Châu's member", Call: call("pheduyet.pleiku", "PUT", "/api/v1/hub/members/{var:memberA}", `{"name":"X","unitId":{unit:LC.STP}}`), Status: 403,
			Before: deny("pheduyet.pleiku"), Check: refused("pheduyet.pleiku")},
		{Name: "Lai Châu's admin may not move its member to Gia Lai", Call: call("quantri.laichau", "PUT", "/api/v1/hub/members/{var:memberA}", `{"name":"Sở Tư pháp","unitId":{unit:GL25}}`), Status: 403,
			Before: deny("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "Lai Châu's admin renames its member", Call: call("quantri.laichau", "PUT", "/api/v1/hub/members/{var:memberA}", `{"name":"Sở Tư pháp Lai Châu","unitId":{unit:LC.STP}}`), Status: 200,
			Contains: []string{`"name":"Sở Tư pháp Lai Châu"`, `"memberCode":"H29.STP"`}, Before: audit("hub.registry"), Check: audited},

		// Subsystems: a member's officials manage their own member.
		{Name: "Pleiku's approver may not add a subsystem to Lai Châu's member", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/members/{var:memberA}/subsystems", `{"subsystemCode":"X","name":"X"}`), Status: 403,
			Before: deny("pheduyet.pleiku"), Check: refused("pheduyet.pleiku")},
		{Name: "Lai Châu's admin adds the judicial-records system", Call: call("quantri.laichau", "POST", "/api/v1/hub/members/{var:memberA}/subsystems", `{"subsystemCode":"LLTP","name":"Hệ thống lý lịch tư pháp"}`), Status: 201,
			Contains: []string{`"identifier":"TINHSO/GOV/H29.STP/LLTP"`}, Capture: map[string]string{"subA": "id"}, Before: audit("hub.registry"), Check: audited},
		{Name: "Pleiku's approver adds its one-stop system", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/members/{var:memberB}/subsystems", `{"subsystemCode":"MOTCUA","name":"Hệ thống thông tin một cửa điện tử"}`), Status: 201,
			Contains: []string{`"identifier":"` + consumer + `"`}, Capture: map[string]string{"subB": "id"}},
		{Name: "a subsystem with a Vietnamese code and a negative rate", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/members/{var:memberB}/subsystems", `{"subsystemCode":"MỘT CỬA","name":"Một cửa","ratePerSecond":-1}`), Status: 422,
			Fields: []string{"subsystemCode", "ratePerSecond"}, Before: snap, Check: unchanged},
		{Name: "a subsystem code twice", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/members/{var:memberB}/subsystems", `{"subsystemCode":"MOTCUA","name":"Một cửa"}`), Status: 422,
			Fields: []string{"subsystemCode"}, Before: snap, Check: unchanged},
		{Name: "the subsystems of one member", Call: call("baocao.ankhe", "GET", "/api/v1/hub/subsystems?member={var:memberA}", ""), Status: 200,
			Contains: []string{`"subsystemCode":"LLTP"`}, Absent: []string{"MOTCUA"}},
		{Name: "one subsystem", Call: call("lanhdao", "GET", "/api/v1/hub/subsystems/{var:subB}", ""), Status: 200, Contains: []string{`"memberName":"UBND thành phố Pleiku"`}},
		{Name: "a leader may not change a subsystem", Call: call("lanhdao", "PUT", "/api/v1/hub/subsystems/{var:subB}", `{"name":"Một cửa","ratePerSecond":5}`), Status: 403,
			Before: deny("lanhdao"), Check: refused("lanhdao")},
		{Name: "Pleiku's approver sets its system's rate", Call: call("pheduyet.pleiku", "PUT", "/api/v1/hub/subsystems/{var:subB}", `{"name":"Hệ thống thông tin một cửa điện tử","ratePerSecond":50,"burst":100}`), Status: 200,
			Contains: []string{`"ratePerSecond":50`, `"burst":100`, `"keepBodiesDays":0`}},
		{Name: "bodies kept for longer than ten years", Call: call("pheduyet.pleiku", "PUT", "/api/v1/hub/subsystems/{var:subB}", `{"name":"Một cửa","keepBodiesDays":4000}`), Status: 422,
			Fields: []string{"keepBodiesDays"}, Contains: []string{"Lưu nội dung thông điệp (ngày)"}, Before: snap, Check: unchanged},

		// Services, endpoints, descriptions.
		{Name: "Pleiku's approver may not add a service to Lai Châu's system", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/subsystems/{var:subA}/services", `{"serviceCode":"x","name":"x","backendUrl":"http://127.0.0.1:9/"}`), Status: 403,
			Before: deny("pheduyet.pleiku"), Check: refused("pheduyet.pleiku")},
		{Name: "Lai Châu's admin registers the judicial-records service", Call: call("quantri.laichau", "POST", "/api/v1/hub/subsystems/{var:subA}/services",
			`{"serviceCode":"lltp","name":"Tra cứu lý lịch tư pháp","backendUrl":"http://127.0.0.1:9/lltp"}`), Status: 201,
			Contains: []string{`"identifier":"TINHSO/GOV/H29.STP/LLTP/lltp"`, `"serviceType":"REST"`, `"timeoutMs":30000`, `"enabled":true`},
			Capture:  map[string]string{"svc": "id"}, Before: audit("hub.registry"), Check: audited},
		{Name: "a service with a reserved code, a bad URL and a negative timeout", Call: call("quantri.laichau", "POST", "/api/v1/hub/subsystems/{var:subA}/services",
			`{"serviceCode":"listMethods","name":"x","backendUrl":"ftp://x/y?z=1","timeoutMs":-5}`), Status: 422,
			Fields: []string{"serviceCode", "backendUrl", "timeoutMs"}, Before: snap, Check: unchanged},
		{Name: "every service", Call: call("baocao.pleiku", "GET", "/api/v1/hub/services", ""), Status: 200, Contains: []string{`"serviceCode":"lltp"`}},
		{Name: "the services of a subsystem", Call: call("baocao.pleiku", "GET", "/api/v1/hub/services?subsystem={var:subB}", ""), Status: 200, Contains: []string{`[]`}},
		{Name: "a bad subsystem filter", Call: call("baocao.pleiku", "GET", "/api/v1/hub/services?subsystem=abc", ""), Status: 422, Fields: []string{"subsystem"}},
		{Name: "one service", Call: call("baocao.pleiku", "GET", "/api/v1/hub/services/{var:svc}", ""), Status: 200, Contains: []string{`"backendUrl":"http://127.0.0.1:9/lltp"`}},
		{Name: "Lai Châu's admin disables the service", Call: call("quantri.laichau", "PUT", "/api/v1/hub/services/{var:svc}", `{"name":"Tra cứu lý lịch tư pháp","backendUrl":"http://127.0.0.1:9/lltp","enabled":false}`), Status: 200,
			Contains: []string{`"enabled":false`}, Before: audit("hub.registry"), Check: audited},
		{Name: "and enables it again", Call: call("quantri.laichau", "PUT", "/api/v1/hub/services/{var:svc}", `{"name":"Tra cứu lý lịch tư pháp","backendUrl":"http://127.0.0.1:9/lltp","timeoutMs":5000,"enabled":true}`), Status: 200,
			Contains: []string{`"enabled":true`, `"timeoutMs":5000`}},
		{Name: "an endpoint with a bad method and a way out of the service", Call: call("quantri.laichau", "POST", "/api/v1/hub/services/{var:svc}/endpoints", `{"method":"FETCH","path":"/a/../b"}`), Status: 422,
			Fields: []string{"method", "path"}, Before: snap, Check: unchanged},
		{Name: "Lai Châu's admin adds an endpoint", Call: call("quantri.laichau", "POST", "/api/v1/hub/services/{var:svc}/endpoints", `{"method":"get","path":"/status"}`), Status: 201,
			Contains: []string{`"method":"GET","path":"/status"`}, Before: audit("hub.registry"),
			Check: func(t *testing.T, app *testapp.App, b []byte, h http.Header) {
				audited(t, app, b, h)
				vars["ep"] = strconv.Itoa(app.Count(t, `SELECT id FROM hub_endpoints WHERE path = '/status'`))
			}},
		{Name: "a reporter may not disable an endpoint", Call: call("baocao.laichau", "PUT", "/api/v1/hub/endpoints/{var:ep}", `{"enabled":false}`), Status: 403,
			Before: deny("baocao.laichau"), Check: refused("baocao.laichau")},
		{Name: "Lai Châu's admin disables the endpoint", Call: call("quantri.laichau", "PUT", "/api/v1/hub/endpoints/{var:ep}", `{"enabled":false}`), Status: 200,
			Contains: []string{`"path":"/status","enabled":false`}},
		{Name: "a Swagger 2 description is refused", Call: call("quantri.laichau", "PUT", "/api/v1/hub/services/{var:svc}/openapi", `{"document":"swagger: '2.0'\npaths: {}\n"}`), Status: 422,
			Fields: []string{"document"}, Contains: []string{"phiên bản 3"}, Before: snap, Check: unchanged},
		{Name: "a description that is not JSON", Call: call("quantri.laichau", "PUT", "/api/v1/hub/services/{var:svc}/openapi", `{"document":"{\"openapi\": \"3.0.0\", paths"}`), Status: 422,
			Fields: []string{"document"}, Before: snap, Check: unchanged},
		{Name: "a description and a URL at once", Call: call("quantri.laichau", "PUT", "/api/v1/hub/services/{var:svc}/openapi", `{"document":"openapi: 3.0.0","url":"http://127.0.0.1:9/x"}`), Status: 422,
			Fields: []string{"document"}, Before: snap, Check: unchanged},
		{Name: "no description yet", Call: call("baocao.laichau", "GET", "/api/v1/hub/services/{var:svc}/openapi", ""), Status: 404},
		{Name: "Lai Châu's admin uploads the YAML description", Call: call("quantri.laichau", "PUT", "/api/v1/hub/services/{var:svc}/openapi", jsonDoc(judicialYAML)), Status: 200,
			Contains: []string{`"serviceType":"OPENAPI"`, `"openapiVersion":"3.0.3"`, `"method":"GET","path":"/records/{id}"`, `"method":"POST","path":"/requests"`, `"method":"GET","path":"/requests"`},
			Absent:   []string{`"method":"PUT"`}, Before: audit("hub.registry"), Check: audited},
		{Name: "the description is served back as uploaded", Call: call("baocao.laichau", "GET", "/api/v1/hub/services/{var:svc}/openapi", ""), Status: 200,
			Contains: []string{"openapi: 3.0.3", "http://10.0.0.5:8080/lltp"}, Header: map[string]string{"Content-Type": "application/yaml"}},
		{Name: "a reporter may not remove an endpoint", Call: call("baocao.laichau", "DELETE", "/api/v1/hub/endpoints/{var:ep}", ""), Status: 403,
			Before: deny("baocao.laichau"), Check: refused("baocao.laichau")},
		{Name: "Lai Châu's admin removes the hand-made endpoint", Call: call("quantri.laichau", "DELETE", "/api/v1/hub/endpoints/{var:ep}", ""), Status: 200,
			Absent: []string{`"/status"`}, Before: audit("hub.registry"), Check: audited},

		// Rights, granted by the provider.
		{Name: "the consumer may not grant itself access", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/services/{var:svc}/rights", `{"consumer":"`+consumer+`"}`), Status: 403,
			Before: deny("pheduyet.pleiku"), Check: refused("pheduyet.pleiku")},
		{Name: "a right for a consumer that does not exist", Call: call("quantri.laichau", "POST", "/api/v1/hub/services/{var:svc}/rights", `{"consumer":"TINHSO/GOV/KHONG/CO"}`), Status: 422,
			Fields: []string{"consumer"}, Before: snap, Check: unchanged},
		{Name: "the provider grants the one-stop system access", Call: call("quantri.laichau", "POST", "/api/v1/hub/services/{var:svc}/rights", `{"consumer":"`+consumer+`"}`), Status: 201,
			Contains: []string{`"consumer":"` + consumer + `"`, `"service":"TINHSO/GOV/H29.STP/LLTP/lltp"`}, Capture: map[string]string{"right": "id"},
			Before: audit("hub.access"), Check: audited},
		{Name: "the same right twice", Call: call("quantri.laichau", "POST", "/api/v1/hub/services/{var:svc}/rights", `{"consumerId":{var:subB}}`), Status: 422,
			Fields: []string{"consumer"}, Before: snap, Check: unchanged},
		{Name: "the provider lists its service's rights", Call: call("quantri.laichau", "GET", "/api/v1/hub/services/{var:svc}/rights", ""), Status: 200, Contains: []string{consumer}},
		{Name: "the consumer may not list the provider's rights", Call: call("pheduyet.pleiku", "GET", "/api/v1/hub/services/{var:svc}/rights", ""), Status: 403,
			Before: deny("pheduyet.pleiku"), Check: refused("pheduyet.pleiku")},
		{Name: "the consumer lists the rights it holds", Call: call("pheduyet.pleiku", "GET", "/api/v1/hub/subsystems/{var:subB}/rights", ""), Status: 200, Contains: []string{`"serviceName":"Tra cứu lý lịch tư pháp"`}},
		{Name: "the consumer may not revoke the right", Call: call("pheduyet.pleiku", "DELETE", "/api/v1/hub/rights/{var:right}", ""), Status: 403,
			Before: deny("pheduyet.pleiku"), Check: refused("pheduyet.pleiku")},
		{Name: "the provider revokes the right", Call: call("quantri.laichau", "DELETE", "/api/v1/hub/rights/{var:right}", ""), Status: 204,
			Before: audit("hub.access"), Check: audited},

		// Access requests: the consumer asks, the provider decides.
		{Name: "a reporter of Lai Châu may not ask for Pleiku's system", Call: call("baocao.laichau", "POST", "/api/v1/hub/access-requests",
			`{"serviceId":{var:svc},"consumer":"`+consumer+`","reason":"Cần tra cứu"}`), Status: 403, Before: deny("baocao.laichau"), Check: refused("baocao.laichau")},
		{Name: "a request without a reason", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/access-requests", `{"serviceId":{var:svc},"consumer":"`+consumer+`"}`), Status: 422,
			Fields: []string{"reason"}, Before: snap, Check: unchanged},
		{Name: "Pleiku's approver asks for access", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/access-requests",
			`{"serviceId":{var:svc},"consumer":"`+consumer+`","reason":"Cấp phiếu lý lịch tư pháp trong thủ tục hành chính liên thông"}`), Status: 201,
			Contains: []string{`"state":"pending"`, `"requestedBy":"pheduyet.pleiku"`, `"providerName":"Sở Tư pháp Lai Châu"`}, Capture: map[string]string{"req": "id"},
			Before: audit("hub.access"), Check: audited},
		{Name: "the same request while the first is pending", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/access-requests",
			`{"serviceId":{var:svc},"consumerId":{var:subB},"reason":"Lần nữa"}`), Status: 422, Fields: []string{"consumer"}, Before: snap, Check: unchanged},
		{Name: "the provider sees the pending request", Call: call("quantri.laichau", "GET", "/api/v1/hub/access-requests?state=pending", ""), Status: 200, Contains: []string{`"consumer":"` + consumer + `"`}},
		{Name: "an official of neither side sees none", Call: call("baocao.ankhe", "GET", "/api/v1/hub/access-requests", ""), Status: 200, Contains: []string{"[]"}},
		{Name: "a bad state filter", Call: call("quantri.laichau", "GET", "/api/v1/hub/access-requests?state=maybe", ""), Status: 422, Fields: []string{"state"}},
		{Name: "the consumer reads its request", Call: call("pheduyet.pleiku", "GET", "/api/v1/hub/access-requests/{var:req}", ""), Status: 200, Contains: []string{`"state":"pending"`}},
		{Name: "an official of neither side may not read it", Call: call("baocao.ankhe", "GET", "/api/v1/hub/access-requests/{var:req}", ""), Status: 403,
			Before: deny("baocao.ankhe"), Check: refused("baocao.ankhe")},
		{Name: "the consumer may not approve its own request", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/access-requests/{var:req}/approve", `{}`), Status: 403,
			Before: deny("pheduyet.pleiku"), Check: refused("pheduyet.pleiku")},
		{Name: "a refusal needs a note", Call: call("quantri.laichau", "POST", "/api/v1/hub/access-requests/{var:req}/refuse", `{}`), Status: 422,
			Fields: []string{"note"}, Before: snap, Check: unchanged},
		{Name: "the provider approves", Call: call("quantri.laichau", "POST", "/api/v1/hub/access-requests/{var:req}/approve", `{"note":"Đồng ý theo Nghị định 111/2010/NĐ-CP"}`), Status: 200,
			Contains: []string{`"state":"approved"`, `"decidedBy":"quantri.laichau"`}, Before: audit("hub.access"),
			Check: func(t *testing.T, app *testapp.App, b []byte, h http.Header) {
				audited(t, app, b, h)
				if n := app.Count(t, `SELECT COUNT(*) FROM hub_rights WHERE request_id = `+vars["req"]); n != 1 {
					t.Errorf("%d rights from the approved request, want 1", n)
				}
			}},
		{Name: "a decided request cannot be decided again", Call: call("quantri.laichau", "POST", "/api/v1/hub/access-requests/{var:req}/refuse", `{"note":"Không"}`), Status: 409,
			Before: snap, Check: unchanged},
		{Name: "a request for access the consumer already has", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/access-requests",
			`{"serviceId":{var:svc},"consumer":"`+consumer+`","reason":"x"}`), Status: 422, Fields: []string{"consumer"}, Contains: []string{"đã có quyền"}},
		{Name: "the provider refuses nothing it has not got", Call: call("quantri.laichau", "POST", "/api/v1/hub/access-requests/999999/refuse", `{"note":"x"}`), Status: 404},
		{Name: "Lai Châu's admin adds a second consumer system", Call: call("quantri.laichau", "POST", "/api/v1/hub/members/{var:memberA}/subsystems", `{"subsystemCode":"TIEPNHAN","name":"Tiếp nhận hồ sơ"}`), Status: 201,
			Capture: map[string]string{"subC": "id"}},
		{Name: "a second request", Call: call("quantri.laichau", "POST", "/api/v1/hub/access-requests",
			`{"serviceId":{var:svc},"consumerId":{var:subC},"reason":"Tiếp nhận hồ sơ"}`), Status: 201, Capture: map[string]string{"req2": "id"}},
		{Name: "the provider may not withdraw the consumer's request", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/access-requests/{var:req2}/withdraw", ``), Status: 403,
			Before: deny("pheduyet.pleiku"), Check: refused("pheduyet.pleiku")},
		{Name: "the consumer withdraws", Call: call("quantri.laichau", "POST", "/api/v1/hub/access-requests/{var:req2}/withdraw", ``), Status: 200,
			Contains: []string{`"state":"withdrawn"`}, Before: audit("hub.access"), Check: audited},

		// Credentials.
		{Name: "a reporter may not issue a secret", Call: call("baocao.laichau", "POST", "/api/v1/hub/subsystems/{var:subB}/secrets", `{"name":"may chu"}`), Status: 403,
			Before: deny("baocao.laichau"), Check: refused("baocao.laichau")},
		{Name: "a secret takes no CSR", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/subsystems/{var:subB}/secrets", `{"csr":"x"}`), Status: 422,
			Fields: []string{"csr"}, Before: snap, Check: unchanged},
		{Name: "Pleiku's approver issues a client secret", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/subsystems/{var:subB}/secrets", `{"name":"Máy chủ một cửa"}`), Status: 201,
			Contains: []string{`"clientSecret":"hubs_`, `"clientId":"hubc_`, `"kind":"secret"`, `"tokenUrl":"/oauth2/token"`},
			Capture:  map[string]string{"secret": "clientSecret", "cred": "id"}, Before: audit("hub.credential"),
			Check: func(t *testing.T, app *testapp.App, b []byte, h http.Header) {
				audited(t, app, b, h)
				// The secret is neither stored nor audited.
				s := vars["secret"]
				if n := app.Count(t, `SELECT COUNT(*) FROM hub_credentials WHERE secret_hash = $1`, s); n != 0 {
					t.Error("the secret is stored as is")
				}
				if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE detail LIKE $1`, "%"+s+"%"); n != 0 {
					t.Error("the secret is in the audit trail")
				}
			}},
		{Name: "the credentials never show a secret again", Call: call("pheduyet.pleiku", "GET", "/api/v1/hub/subsystems/{var:subB}/credentials", ""), Status: 200,
			Contains: []string{`"active":true`}, Absent: []string{"hubs_", "clientSecret"}},
		{Name: "another member's official may not list them", Call: call("quantri.laichau", "GET", "/api/v1/hub/subsystems/{var:subB}/credentials", ""), Status: 403,
			Before: deny("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "a certificate for a broken CSR", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/subsystems/{var:subB}/certificates", `{"csr":"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"}`), Status: 422,
			Fields: []string{"csr"}},
		{Name: "Pleiku's approver has a client certificate issued", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/subsystems/{var:subB}/certificates", `{"name":"TLS","days":30}`), Status: 201,
			Contains: []string{"BEGIN CERTIFICATE", "BEGIN PRIVATE KEY", `"kind":"certificate"`, `"caCertificate":"-----BEGIN CERTIFICATE`}, Capture: map[string]string{"cert": "id"},
			Before: audit("hub.credential"), Check: both(audited, func(t *testing.T, app *testapp.App, b []byte, h http.Header) {
				if n := app.Count(t, `SELECT COUNT(*) FROM hub_credentials WHERE cert_pem LIKE '%PRIVATE KEY%'`); n != 0 {
					t.Error("a private key is stored")
				}
			})},
		{Name: "the certificate is rotated with an overlap", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/credentials/{var:cert}/rotate", `{"graceMinutes":5}`), Status: 201,
			Contains: []string{`"replaces":`, "BEGIN CERTIFICATE"}, Before: audit("hub.credential"), Check: audited},
		{Name: "a grace of more than a week", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/credentials/{var:cred}/rotate", `{"graceMinutes":20000}`), Status: 422,
			Fields: []string{"graceMinutes"}},
		{Name: "another member's official may not revoke it", Call: call("quantri.laichau", "POST", "/api/v1/hub/credentials/{var:cred}/revoke", ``), Status: 403,
			Before: deny("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "Pleiku's approver revokes the secret", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/credentials/{var:cred}/revoke", ``), Status: 200,
			Contains: []string{`"active":false`, `"revokedAt"`}, Before: audit("hub.credential"), Check: audited},
		{Name: "a revoked credential cannot be rotated", Call: call("pheduyet.pleiku", "POST", "/api/v1/hub/credentials/{var:cred}/rotate", `{}`), Status: 409},

		// Keys.
		{Name: "every official reads the public keys", Call: call("baocao.laichau", "GET", "/api/v1/hub/keys", ""), Status: 200,
			Contains: []string{`"purpose":"seal"`, `"purpose":"ca"`, `"algorithm":"Ed25519"`}, Absent: []string{"PRIVATE"}},
		{Name: "a province's admin may not rotate the hub's keys", Call: call("quantri.laichau", "POST", "/api/v1/hub/keys/seal/rotate", ``), Status: 403,
			Before: deny("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "a key of no known purpose", Call: call("admin", "POST", "/api/v1/hub/keys/wrong/rotate", ``), Status: 422, Fields: []string{"purpose"}},
		{Name: "the hub's admin rotates the seal key", Call: call("admin", "POST", "/api/v1/hub/keys/seal/rotate", ``), Status: 201,
			Contains: []string{`"purpose":"seal"`}, Absent: []string{"PRIVATE"}, Before: audit("hub.key"),
			Check: both(audited, func(t *testing.T, app *testapp.App, b []byte, h http.Header) {
				if n := app.Count(t, `SELECT COUNT(*) FROM hub_keys WHERE purpose = 'seal'`); n != 2 {
					t.Errorf("%d seal keys, want the old and the new", n)
				}
			})},

		// Peer hubs (federation; the exchanges themselves: federation_test.go).
		{Name: "every official reads what a peer registers this hub with", Call: call("baocao.laichau", "GET", "/api/v1/hub/peering", ""), Status: 200,
			Contains: []string{`"xroadInstance":"TINHSO"`, `BEGIN CERTIFICATE`}, Absent: []string{"PRIVATE"},
			Before: func(t *testing.T, app *testapp.App) {
				p, err := app.Server.Hub.Peering(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(p.CAPEM)
				vars["peerCA"] = string(b)
			}},
		{Name: "a province's admin may not register a peer hub", Call: call("quantri.laichau", "POST", "/api/v1/hub/peers", `{"xroadInstance":"VN","name":"NDXP","address":"https://ndxp.gov.vn:5500","caCertificates":{var:peerCA}}`), Status: 403,
			Before: deny("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "a peer with every field wrong", Call: call("admin", "POST", "/api/v1/hub/peers", `{"xroadInstance":"TINHSO","name":"","address":"http://ndxp.gov.vn","caCertificates":"không phải chứng thư","timeoutMs":-5}`), Status: 422,
			Fields: []string{"xroadInstance", "name", "address", "caCertificates", "timeoutMs"}, Contains: []string{"https://"}, Before: snap, Check: unchanged},
		{Name: "the hub's admin registers the national platform", Call: call("admin", "POST", "/api/v1/hub/peers", `{"xroadInstance":"VN","name":"Nền tảng NDXP","address":"https://ndxp.gov.vn:5500","caCertificates":{var:peerCA}}`), Status: 201,
			Contains: []string{`"xroadInstance":"VN"`, `"enabled":true`, `"timeoutMs":30000`, `"caFingerprints":["`}, Capture: map[string]string{"peer": "id"},
			Before: audit("hub.peer"), Check: audited},
		{Name: "an instance registered twice", Call: call("admin", "POST", "/api/v1/hub/peers", `{"xroadInstance":"VN","name":"again","address":"https://ndxp.gov.vn:5500","caCertificates":{var:peerCA}}`), Status: 422,
			Fields: []string{"xroadInstance"}, Before: snap, Check: unchanged},
		{Name: "every official reads the peers", Call: call("baocao.laichau", "GET", "/api/v1/hub/peers", ""), Status: 200, Contains: []string{`"xroadInstance":"VN"`}},
		{Name: "one peer", Call: call("baocao.laichau", "GET", "/api/v1/hub/peers/{var:peer}", ""), Status: 200, Contains: []string{`"address":"https://ndxp.gov.vn:5500"`}},
		{Name: "no such peer", Call: call("admin", "GET", "/api/v1/hub/peers/999999", ""), Status: 404},
		{Name: "a province's admin may not disable a peer", Call: call("quantri.laichau", "PUT", "/api/v1/hub/peers/{var:peer}", `{"enabled":false}`), Status: 403,
			Before: deny("quantri.laichau"), Check: refused("quantri.laichau")},
		{Name: "the hub's admin disables the peer", Call: call("admin", "PUT", "/api/v1/hub/peers/{var:peer}", `{"enabled":false}`), Status: 200,
			Contains: []string{`"enabled":false`, `"name":"Nền tảng NDXP"`}, Before: audit("hub.peer"), Check: audited},

		// Monitoring and the KPI (the traffic itself: gateway_test.go).
		{Name: "monitoring needs credentials", Call: call("", "GET", "/api/v1/hub/opmon", ""), Status: 401},
		{Name: "an official reads the monitoring records, none yet", Call: call("baocao.laichau", "GET", "/api/v1/hub/opmon?from=2026-01-01&to=2026-12-31", ""), Status: 200,
			Contains: []string{`"recordsCount":0`, `"records":[]`}},
		{Name: "monitoring with a malformed date and limit", Call: call("admin", "GET", "/api/v1/hub/opmon?from=hom-qua&limit=20000", ""), Status: 422,
			Fields: []string{"from", "limit"}},
		{Name: "statistics ending before they begin", Call: call("admin", "GET", "/api/v1/hub/opmon/stats?from=2026-05-01&to=2026-04-01", ""), Status: 422,
			Fields: []string{"to"}, Contains: []string{"Đến ngày"}},
		{Name: "statistics of an empty interval", Call: call("admin", "GET", "/api/v1/hub/opmon/stats?from=2026-05-01&to=2026-05-31&member={var:memberA}", ""), Status: 200,
			Contains: []string{`"total":{"key":"total","requests":0`, `"services":[]`}},
		{Name: "the KPI of Lai Châu without traffic", Call: call("baocao.laichau", "GET", "/api/v1/hub/kpi?unit={unit:LC}&from=2026-01-01&to=2026-12-31", ""), Status: 200,
			Contains: []string{`"connected":0`, `"share":0`, `"connections":0`}},
		{Name: "the KPI of a unit id that is not one", Call: call("admin", "GET", "/api/v1/hub/kpi?unit=abc", ""), Status: 422, Fields: []string{"unit"}},
	}
}

// jsonDoc wraps a description as the body of PUT …/openapi.
func jsonDoc(doc string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `{"document":"` + r.Replace(doc) + `"}`
}
