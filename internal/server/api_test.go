package server_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/auth"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/testapp"
)

// apiScenario is one row of the API table: a request, what must come back,
// and optionally what it captures for later rows or checks in the database.
// Rows run in order on one server per engine, so a row may build on the
// state the rows before it left.
type apiScenario struct {
	name     string
	call     call
	status   int
	contains []string // the body must contain each
	absent   []string // the body must contain none
	fields   []string // a 422 must name exactly these fields
	header   map[string]string
	capture  map[string]string // var name → top-level JSON member of the answer
	before   func(t *testing.T, app *testapp.App)
	check    func(t *testing.T, app *testapp.App, body []byte, h http.Header)
}

// foundationTags are the API tags this table must cover route by route;
// other domains keep their own tables.
var foundationTags = []string{"org", "officials", "account", "audit"}

// TestAPI runs the API table on a fresh demo per engine; every route of the
// foundation has rows, including the roles that must be refused.
func TestAPI(t *testing.T) {
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		vars := map[string]string{}
		runScenarios(t, app, vars, apiScenarios())
		checkRouteCoverage(t, app, vars, apiScenarios())
	})
}

func runScenarios(t *testing.T, app *testapp.App, vars map[string]string, table []apiScenario) {
	t.Helper()
	for _, sc := range table {
		t.Run(sc.name, func(t *testing.T) {
			if sc.before != nil {
				sc.before(t, app)
			}
			status, body, h := do(t, app, vars, sc.call)
			if status != sc.status {
				t.Fatalf("%s %s as %q: status %d, want %d\n%s", sc.call.method, sc.call.path, sc.call.user, status, sc.status, body)
			}
			for _, s := range sc.contains {
				if s = expand(t, app, vars, s); !strings.Contains(string(body), s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for _, s := range sc.absent {
				if s = expand(t, app, vars, s); strings.Contains(string(body), s) {
					t.Errorf("body holds %q:\n%s", s, body)
				}
			}
			for k, v := range sc.header {
				if got := h.Get(k); !strings.Contains(got, v) {
					t.Errorf("header %s = %q, want it to contain %q", k, got, v)
				}
			}
			if status >= 400 {
				checkProblem(t, status, body, h)
			}
			if sc.fields != nil {
				if got := problemFields(t, body); !slices.Equal(got, sc.fields) {
					t.Errorf("problem names fields %v, want %v\n%s", got, sc.fields, body)
				}
			}
			for name, member := range sc.capture {
				var m map[string]any
				testapp.JSON(t, body, &m)
				switch v := m[member].(type) {
				case string:
					vars[name] = v
				case float64:
					vars[name] = strconv.FormatInt(int64(v), 10)
				default:
					t.Fatalf("capture %s: member %q is %T in %s", name, member, m[member], body)
				}
			}
			if sc.check != nil {
				sc.check(t, app, body, h)
			}
		})
	}
}

// checkRouteCoverage fails when a registered route of the foundation has
// no row in the table.
func checkRouteCoverage(t *testing.T, app *testapp.App, vars map[string]string, table []apiScenario) {
	t.Helper()
	for _, rt := range app.Server.API.Routes() {
		if !slices.Contains(foundationTags, rt.Tag) {
			continue
		}
		re := routeRegexp(rt.Path)
		covered := false
		for _, sc := range table {
			path, _, _ := strings.Cut(expand(t, app, vars, sc.call.path), "?")
			if sc.call.method == rt.Method && re.MatchString(path) {
				covered = true
				break
			}
		}
		if !covered {
			t.Errorf("route %s %s has no scenario in the API table", rt.Method, rt.Path)
		}
	}
}

func apiScenarios() []apiScenario {
	var snapshot map[string]int
	snap := func(t *testing.T, app *testapp.App) { snapshot = rowCounts(t, app) }
	unchanged := func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
		t.Helper()
		after := rowCounts(t, app)
		for table, n := range snapshot {
			if after[table] != n {
				t.Errorf("%s: %d rows before, %d after a refused write", table, n, after[table])
			}
		}
	}
	var deniedBefore int
	snapDenied := func(user string) func(*testing.T, *testapp.App) {
		return func(t *testing.T, app *testapp.App) { deniedBefore = denials(t, app, user) }
	}
	deniedOnce := func(user string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			t.Helper()
			if got := denials(t, app, user); got != deniedBefore+1 {
				t.Errorf("access.denied rows of %s: %d → %d, want one more", user, deniedBefore, got)
			}
		}
	}
	auditRow := func(kind, subject string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			t.Helper()
			if n := count(t, app, `SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND subject = $2 AND success = $3`, kind, subject, true); n == 0 {
				t.Errorf("no %s audit row about %s", kind, subject)
			}
		}
	}
	unitCodes := func(want, notWant []string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, _ *testapp.App, body []byte, _ http.Header) {
			t.Helper()
			got := codes(t, body)
			for _, c := range want {
				if !slices.Contains(got, c) {
					t.Errorf("list lacks %s", c)
				}
			}
			for _, c := range notWant {
				if slices.Contains(got, c) {
					t.Errorf("list holds %s", c)
				}
			}
		}
	}
	detail := func(fn func(t *testing.T, d unitDetail)) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, _ *testapp.App, body []byte, _ http.Header) {
			t.Helper()
			var d unitDetail
			testapp.JSON(t, body, &d)
			fn(t, d)
		}
	}
	const vi422 = "Dữ liệu nhập chưa hợp lệ"
	newWard := `{"code":"gl25.x.thu","name":"  Xã   Thử nghiệm ","kind":"commune","parentId":{unit:GL25},"sortOrder":90}`
	createOfficial := `{"username":"canbo.thu","fullName":"Nguyễn Thị Thu","email":"thu@laichau.gov.vn","title":"Chuyên viên","unitId":{unit:LC.SKHCN},"roles":[{"role":"reporter"}],"password":"mat-khau-dai-123"}`

	return []apiScenario{
		// Credentials.
		{name: "no credentials", call: call{method: "GET", path: "/api/v1/orgunits"}, status: 401,
			contains: []string{`"code":"unauthorized"`}, header: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "unknown bearer token", call: call{method: "GET", path: "/api/v1/me", headers: map[string]string{"Authorization": "Bearer tsk_not-a-real-token"}}, status: 401,
			contains: []string{`"code":"unauthorized"`}},
		{name: "not a bearer scheme", call: call{method: "GET", path: "/api/v1/me", headers: map[string]string{"Authorization": "Basic YWRtaW46eA=="}}, status: 401},
		{name: "unknown route", call: call{user: "admin", method: "GET", path: "/api/v1/no-such-thing"}, status: 404,
			contains: []string{`"code":"not_found"`, `"instance":"/api/v1/no-such-thing"`}},
		{name: "unknown route without credentials", call: call{method: "POST", path: "/api/v1/orgunits/1/explode"}, status: 404},

		// Org units: lists, search, dates, filters, pagination.
		{name: "search is accent-insensitive", call: call{user: "baocao.laichau", method: "GET", path: "/api/v1/orgunits?q=lai+chau"}, status: 200,
			contains: []string{`"name":"Tỉnh Lai Châu"`, `"code":"LC"`, `"level":"province"`, `"parentId":`}, absent: []string{`"code":"GL25"`}},
		{name: "search with diacritics typed", call: call{user: "baocao.laichau", method: "GET", path: "/api/v1/orgunits?q=%C4%90ak+%C4%90oa&asOf=2023-01-01"}, status: 200,
			contains: []string{`"name":"Huyện Đak Đoa"`}},
		{name: "search by code", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?q=gl25.skhcn"}, status: 200,
			check: unitCodes([]string{"GL25.SKHCN"}, []string{"GL.SKHCN"})},
		{name: "as of 2023: the seed-era structure", call: call{user: "lanhdao", method: "GET", path: "/api/v1/orgunits?asOf=2023-01-01"}, status: 200,
			check: unitCodes([]string{"VN", "GL", "BD", "GL.PLEIKU", "GL.PLEIKU.TANSON", "GL.STTTT", "LC.TPLAICHAU"}, []string{"GL25", "GL25.SKHCN", "GL25.P.PLEIKU", "GL.SNNMT"})},
		{name: "today: the 2025 structure", call: call{user: "lanhdao", method: "GET", path: "/api/v1/orgunits"}, status: 200,
			check: unitCodes([]string{"VN", "GL25", "GL25.SKHCN", "GL25.P.PLEIKU", "LC", "LC.X.BANBO", "GL.HHDN"}, []string{"GL", "BD", "GL.PLEIKU", "GL.STTTT", "LC.TPLAICHAU"})},
		{name: "between the 2025 events", call: call{user: "lanhdao", method: "GET", path: "/api/v1/orgunits?asOf=2025-04-01"}, status: 200,
			check: unitCodes([]string{"GL", "GL.SKHCN", "GL.SNNMT", "GL.PLEIKU"}, []string{"GL.STTTT", "GL.SNNPTNT", "GL25"})},
		{name: "level filter", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?level=province&asOf=2023-01-01"}, status: 200,
			check: func(t *testing.T, _ *testapp.App, body []byte, _ http.Header) {
				if got := codes(t, body); !slices.Equal(got, []string{"GL", "BD", "HG", "TQ", "LC"}) {
					t.Errorf("provinces of 2023 in tree order: %v", got)
				}
			}},
		{name: "parent filter", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?parent={unit:GL25.VPUBND}"}, status: 200,
			check: func(t *testing.T, _ *testapp.App, body []byte, _ http.Header) {
				if got := codes(t, body); !slices.Equal(got, []string{"GL25.TTPVHCC"}) {
					t.Errorf("children of GL25.VPUBND: %v", got)
				}
			}},
		{name: "bad asOf", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?asOf=2023-02-30"}, status: 422, fields: []string{"asOf"}},
		{name: "bad level", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?level=galaxy"}, status: 422, fields: []string{"level"}},
		{name: "bad parent", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?parent=GL"}, status: 422, fields: []string{"parent"}},
		{name: "pagination: a middle page", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?level=province&asOf=2023-01-01&limit=2&offset=1"}, status: 200,
			header: map[string]string{"X-Total-Count": "5", "Link": `rel="next"`},
			check: func(t *testing.T, _ *testapp.App, body []byte, h http.Header) {
				if got := codes(t, body); !slices.Equal(got, []string{"BD", "HG"}) {
					t.Errorf("page = %v, want [BD HG]", got)
				}
				if link := h.Get("Link"); !strings.Contains(link, "offset=3") || !strings.Contains(link, "limit=2") || !strings.Contains(link, "asOf=2023-01-01") {
					t.Errorf("Link = %q: want the next page with the same filters", link)
				}
			}},
		{name: "pagination: the last page has no next link", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?level=province&asOf=2023-01-01&limit=2&offset=4"}, status: 200,
			header: map[string]string{"X-Total-Count": "5"},
			check: func(t *testing.T, _ *testapp.App, body []byte, h http.Header) {
				if got := codes(t, body); !slices.Equal(got, []string{"LC"}) {
					t.Errorf("last page = %v", got)
				}
				if h.Get("Link") != "" {
					t.Errorf("Link on the last page: %q", h.Get("Link"))
				}
			}},
		{name: "pagination: past the end", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?offset=100000"}, status: 200, contains: []string{"[]"}},
		{name: "pagination: bad limit", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?limit=0"}, status: 422, fields: []string{"limit"}},
		{name: "pagination: limit above the maximum", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?limit=999999"}, status: 422, fields: []string{"limit"}},
		{name: "pagination: bad offset", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?offset=-1"}, status: 422, fields: []string{"offset"}},

		// One unit: path, children, history, successors and predecessors.
		{name: "old province leads to the new one", call: call{user: "lanhdao", method: "GET", path: "/api/v1/orgunits/{unit:GL}"}, status: 200,
			check: detail(func(t *testing.T, d unitDetail) {
				if d.ValidTo != "2025-06-30" || unitList(d.Successors) != "GL25" {
					t.Errorf("GL: validTo %q, successors %s", d.ValidTo, unitList(d.Successors))
				}
				if !strings.Contains(unitList(d.Children), "GL.PLEIKU") {
					t.Errorf("GL's children on its last day lack GL.PLEIKU: %s", unitList(d.Children))
				}
				if unitList(d.Path) != "VN GL" {
					t.Errorf("GL path = %s", unitList(d.Path))
				}
			})},
		{name: "new province lists its predecessors", call: call{user: "lanhdao", method: "GET", path: "/api/v1/orgunits/{unit:GL25}"}, status: 200,
			check: detail(func(t *testing.T, d unitDetail) {
				if unitList(d.Predecessors) != "GL BD" && unitList(d.Predecessors) != "BD GL" {
					t.Errorf("GL25 predecessors = %s", unitList(d.Predecessors))
				}
				if len(d.Successors) != 0 || d.ValidTo != "" {
					t.Errorf("a living unit has successors %s, validTo %q", unitList(d.Successors), d.ValidTo)
				}
				if len(d.Events) == 0 || d.Events[0].Kind != "merge" {
					t.Errorf("GL25 history: %+v", d.Events)
				}
			})},
		{name: "Sở TT&TT carries on in today's Sở KH&CN", call: call{user: "dieuphoi", method: "GET", path: "/api/v1/orgunits/{unit:GL.STTTT}"}, status: 200,
			check: detail(func(t *testing.T, d unitDetail) {
				if unitList(d.Successors) != "GL25.SKHCN" {
					t.Errorf("GL.STTTT successors = %s", unitList(d.Successors))
				}
			})},
		{name: "a renamed unit as of a date", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits/{unit:LC.CTK}?asOf=2025-04-01"}, status: 200,
			contains: []string{`"name":"Chi cục Thống kê tỉnh"`}},
		{name: "a unit as of a date it did not exist", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits/{unit:GL25}?asOf=2023-01-01"}, status: 404},
		{name: "no such unit", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits/999999"}, status: 404, contains: []string{`"code":"not_found"`}},
		{name: "unit id not a number", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits/GL"}, status: 404},

		// Adding a unit.
		{name: "admin adds a commune", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: newWard}, status: 201,
			contains: []string{`"code":"GL25.X.THU"`, `"name":"Xã Thử nghiệm"`, `"level":"commune"`},
			capture:  map[string]string{"newWard": "id"},
			check:    auditRow("unit.create", "GL25.X.THU")},
		{name: "the new commune is in today's tree", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits/{var:newWard}"}, status: 200,
			contains: []string{`"code":"GL25.X.THU"`, `"kind":"create"`}},
		{name: "the same code twice", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: newWard}, status: 422, fields: []string{"code"},
			contains: []string{"«GL25.X.THU» đã tồn tại"}},
		{name: "a reporter may not add a unit", call: call{user: "baocao.pleiku", method: "POST", path: "/api/v1/orgunits", body: `{"code":"GL25.X.R","name":"Xã R","kind":"commune","parentId":{unit:GL25}}`}, status: 403,
			contains: []string{`"code":"forbidden"`}, before: snapDenied("baocao.pleiku"), check: deniedOnce("baocao.pleiku")},
		{name: "Lai Châu's admin may not add under Gia Lai", call: call{user: "quantri.laichau", method: "POST", path: "/api/v1/orgunits", body: `{"code":"GL25.X.LC","name":"Xã LC","kind":"commune","parentId":{unit:GL25}}`}, status: 403,
			before: snapDenied("quantri.laichau"), check: deniedOnce("quantri.laichau")},
		{name: "Lai Châu's admin may not add a province", call: call{user: "quantri.laichau", method: "POST", path: "/api/v1/orgunits", body: `{"code":"XX","name":"Tỉnh XX","kind":"province"}`}, status: 403},
		{name: "Lai Châu's admin adds under Lai Châu", call: call{user: "quantri.laichau", method: "POST", path: "/api/v1/orgunits", body: `{"code":"LC.X.THU","name":"Xã Thử","kind":"commune","parentId":{unit:LC}}`}, status: 201,
			contains: []string{`"code":"LC.X.THU"`}},
		{name: "bad code, Vietnamese by default", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: `{"code":"mã sai!","name":"Xã A","kind":"commune","parentId":{unit:GL25}}`}, status: 422,
			fields: []string{"code"}, contains: []string{vi422, "Mã đơn vị: chỉ gồm chữ in hoa", `"code":"code_format"`}},
		{name: "bad code in English", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: `{"code":"mã sai!","name":"Xã A","kind":"commune","parentId":{unit:GL25}}`,
			headers: map[string]string{"Accept-Language": "en-GB,en;q=0.9"}}, status: 422,
			fields: []string{"code"}, contains: []string{"Some input is invalid", "Code: only upper-case letters"}, absent: []string{"Mã đơn vị", vi422}},
		{name: "bad kind", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: `{"code":"GL25.X.K","name":"Xã K","kind":"galaxy","parentId":{unit:GL25}}`}, status: 422,
			fields: []string{"kind"}, contains: []string{"Loại: phải là một trong: nation, province"}},
		{name: "a commune under a commune", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: `{"code":"GL25.X.P","name":"Xã P","kind":"commune","parentId":{unit:GL25.X.GAO}}`}, status: 422,
			fields: []string{"parentId"}, contains: []string{"Đơn vị cấp trên: không thể trực thuộc «Xã Gào» (sai cấp)"}},
		{name: "a parent that does not exist", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: `{"code":"GL25.X.P","name":"Xã P","kind":"commune","parentId":999999}`}, status: 422,
			fields: []string{"parentId"}},
		{name: "a parent that does not exist, for a reporter", call: call{user: "baocao.pleiku", method: "POST", path: "/api/v1/orgunits", body: `{"code":"GL25.X.P","name":"Xã P","kind":"commune","parentId":999999}`}, status: 403},
		{name: "a parent that has ended", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: `{"code":"GL25.X.P","name":"Xã P","kind":"commune","parentId":{unit:GL.PLEIKU}}`}, status: 422,
			fields: []string{"parentId"}, contains: []string{"inactive_unit"}},
		{name: "a commune without a parent", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: `{"code":"X1","name":"Xã mồ côi","kind":"commune"}`}, status: 422,
			fields: []string{"parentId"}},
		{name: "everything wrong at once", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: `{"code":"","name":" ","kind":"","parentId":{unit:GL25},"validFrom":"2025-13-01"}`}, status: 422,
			fields: []string{"code", "name", "kind", "validFrom"}, before: snap, check: unchanged},

		// Correcting a unit.
		{name: "admin corrects a name", call: call{user: "admin", method: "PUT", path: "/api/v1/orgunits/{unit:GL25.X.GAO}", body: `{"name":"Xã  Gào ","kind":"commune","sortOrder":7}`}, status: 200,
			contains: []string{`"name":"Xã Gào"`, `"sortOrder":7`}, check: auditRow("unit.update", "GL25.X.GAO")},
		{name: "a correction cannot change the level", call: call{user: "admin", method: "PUT", path: "/api/v1/orgunits/{unit:GL25.X.GAO}", body: `{"name":"Xã Gào","kind":"province"}`}, status: 422,
			fields: []string{"kind"}},
		{name: "a reporter may not correct a unit", call: call{user: "baocao.pleiku", method: "PUT", path: "/api/v1/orgunits/{unit:GL.PLEIKU}", body: `{"name":"Pleiku","kind":"city"}`}, status: 403,
			before: snapDenied("baocao.pleiku"), check: deniedOnce("baocao.pleiku")},
		{name: "correcting a unit that does not exist", call: call{user: "admin", method: "PUT", path: "/api/v1/orgunits/999999", body: `{"name":"X","kind":"commune"}`}, status: 404},

		// Request bodies.
		{name: "unknown JSON member", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: `{"code":"GL25.X.U","name":"Xã U","kind":"commune","parentId":{unit:GL25},"colour":"red"}`}, status: 422,
			fields: []string{"colour"}, contains: []string{"colour: không có trường này"}},
		{name: "wrong content type", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: `{"code":"GL25.X.U","name":"Xã U","kind":"commune","parentId":{unit:GL25}}`,
			headers: map[string]string{"Content-Type": "text/plain"}}, status: 422, fields: []string{"body"}, contains: []string{`"code":"content_type"`}},
		{name: "form-encoded body", call: call{user: "admin", method: "POST", path: "/api/v1/me/tokens", body: `name=x`,
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, status: 422, fields: []string{"body"}},
		{name: "malformed JSON", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: `{"code":"GL25.X.U",`}, status: 422,
			fields: []string{"body"}, contains: []string{`"code":"json"`}},
		{name: "wrong JSON type", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", body: `{"code":42,"name":"Xã U","kind":"commune"}`}, status: 422,
			fields: []string{"code"}, contains: []string{`"code":"type"`}},
		{name: "empty body", call: call{user: "admin", method: "POST", path: "/api/v1/orgunits", headers: map[string]string{"Content-Type": "application/json"}}, status: 422,
			fields: []string{"body"}, contains: []string{`"code":"required"`}},
		{name: "trailing data", call: call{user: "admin", method: "POST", path: "/api/v1/me/tokens", body: `{"name":"a"} {"name":"b"}`}, status: 422,
			fields: []string{"body"}},

		// Reorganisations.
		{name: "list reorganisations", call: call{user: "baocao.ankhe", method: "GET", path: "/api/v1/reorganisations?limit=5"}, status: 200,
			header: map[string]string{"Link": `rel="next"`}, absent: []string{`"kind":"create"`},
			check: func(t *testing.T, _ *testapp.App, body []byte, h http.Header) {
				var evs []struct{ Date string }
				testapp.JSON(t, body, &evs)
				if n, _ := strconv.Atoi(h.Get("X-Total-Count")); len(evs) != 5 || n < 50 {
					t.Errorf("%d events on the page, X-Total-Count %q", len(evs), h.Get("X-Total-Count"))
				}
				for i := 1; i < len(evs); i++ {
					if evs[i].Date > evs[i-1].Date {
						t.Errorf("events not newest first: %s after %s", evs[i].Date, evs[i-1].Date)
					}
				}
			}},
		{name: "merge two wards into a new one", call: call{user: "admin", method: "POST", path: "/api/v1/reorganisations", body: `{"kind":"merge","date":"2025-08-01","basis":"Nghị quyết thử nghiệm",
			"from":["GL25.P.ANBINH","gl25.p.ankhe"],"newUnits":[{"code":"GL25.P.ANKHEMOI","name":"Phường An Khê Mới","kind":"ward","parentId":{unit:GL25}}]}`}, status: 201,
			contains: []string{`"kind":"merge"`, `"date":"2025-08-01"`, `"from":["GL25.P.ANBINH","GL25.P.ANKHE"]`, `"to":["GL25.P.ANKHEMOI"]`},
			check:    auditRow("unit.reorganise", "merge 2025-08-01")},
		{name: "after the merge", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?asOf=2025-08-01&q=phuong+an"}, status: 200,
			check: unitCodes([]string{"GL25.P.ANKHEMOI", "GL25.P.ANPHU"}, []string{"GL25.P.ANKHE", "GL25.P.ANBINH"})},
		{name: "on the eve of the merge", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits?asOf=2025-07-31&q=phuong+an"}, status: 200,
			check: unitCodes([]string{"GL25.P.ANKHE", "GL25.P.ANBINH", "GL25.P.ANPHU"}, []string{"GL25.P.ANKHEMOI"})},
		{name: "a merged ward points to its successor", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits/{unit:GL25.P.ANBINH}"}, status: 200,
			check: detail(func(t *testing.T, d unitDetail) {
				if d.ValidTo != "2025-07-31" || unitList(d.Successors) != "GL25.P.ANKHEMOI" {
					t.Errorf("validTo %q, successors %s", d.ValidTo, unitList(d.Successors))
				}
			})},
		{name: "the new ward lists what it merged", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits/{unit:GL25.P.ANKHEMOI}"}, status: 200,
			check: detail(func(t *testing.T, d unitDetail) {
				if got := unitList(d.Predecessors); got != "GL25.P.ANBINH GL25.P.ANKHE" && got != "GL25.P.ANKHE GL25.P.ANBINH" {
					t.Errorf("predecessors = %s", got)
				}
			})},
		{name: "a merge that orphans units writes nothing", call: call{user: "admin", method: "POST", path: "/api/v1/reorganisations", body: `{"kind":"merge","date":"2025-08-01",
			"from":["GL25.VPUBND","GL25.SNV"],"newUnits":[{"code":"GL25.VPNV","name":"Văn phòng và Nội vụ","kind":"agency","parentId":{unit:GL25}}]}`}, status: 422,
			fields: []string{"from"}, contains: []string{"GL25.TTPVHCC", `"code":"orphans"`}, before: snap, check: unchanged},
		{name: "a merge with one predecessor into an existing unit", call: call{user: "admin", method: "POST", path: "/api/v1/reorganisations", body: `{"kind":"merge","date":"2025-08-01","from":["GL25.X.GAO"],"to":["GL25.X.BIENHO"]}`}, status: 422,
			fields: []string{"from"}, before: snap, check: unchanged},
		{name: "a split needs two successors", call: call{user: "admin", method: "POST", path: "/api/v1/reorganisations", body: `{"kind":"split","date":"2025-08-01","from":["GL25.X.GAO"],"to":["GL25.X.BIENHO"]}`}, status: 422,
			fields: []string{"to"}},
		{name: "unknown kind and bad date", call: call{user: "admin", method: "POST", path: "/api/v1/reorganisations", body: `{"kind":"explode","date":"01/08/2025"}`}, status: 422,
			fields: []string{"kind", "date"}},
		{name: "unknown unit codes", call: call{user: "admin", method: "POST", path: "/api/v1/reorganisations", body: `{"kind":"merge","date":"2025-08-01","from":["NOPE1","NOPE2"],"to":["GL25.X.GAO"]}`}, status: 422,
			fields: []string{"from[0]", "from[1]"}, contains: []string{"không có đơn vị này đang hoạt động tại ngày 2025-08-01"}},
		{name: "a new unit under an unknown parent", call: call{user: "admin", method: "POST", path: "/api/v1/reorganisations", body: `{"kind":"merge","date":"2025-08-01","from":["GL25.X.GAO","GL25.X.BIENHO"],
			"newUnits":[{"code":"GL25.X.GB","name":"Xã GB","kind":"commune","parentId":999999}]}`}, status: 422,
			fields: []string{"newUnits[0].parentId"}, before: snap, check: unchanged},
		{name: "rename", call: call{user: "admin", method: "POST", path: "/api/v1/reorganisations", body: `{"kind":"rename","date":"2025-09-01","subject":"GL25.X.BIENHO","name":"Xã Biển Hồ Xanh"}`}, status: 201,
			contains: []string{`"subjects":["GL25.X.BIENHO"]`}},
		{name: "the old name before the rename", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits/{unit:GL25.X.BIENHO}?asOf=2025-08-31"}, status: 200,
			contains: []string{`"name":"Xã Biển Hồ"`}},
		{name: "the new name from the rename", call: call{user: "admin", method: "GET", path: "/api/v1/orgunits/{unit:GL25.X.BIENHO}?asOf=2025-09-01"}, status: 200,
			contains: []string{`"name":"Xã Biển Hồ Xanh"`}},
		{name: "a rename to the same name", call: call{user: "admin", method: "POST", path: "/api/v1/reorganisations", body: `{"kind":"rename","date":"2025-10-01","subject":"GL25.X.BIENHO","name":"Xã Biển Hồ Xanh"}`}, status: 422,
			fields: []string{"name"}},
		{name: "a move under its own child", call: call{user: "admin", method: "POST", path: "/api/v1/reorganisations", body: `{"kind":"move","date":"2025-10-01","subject":"GL25.VPUBND","parent":"GL25.TTPVHCC"}`}, status: 422,
			fields: []string{"parent"}},
		{name: "a reporter may not reorganise", call: call{user: "baocao.pleiku", method: "POST", path: "/api/v1/reorganisations", body: `{"kind":"rename","date":"2025-10-01","subject":"GL25.X.GAO","name":"Xã Gào Mới"}`}, status: 403,
			before: snapDenied("baocao.pleiku"), check: deniedOnce("baocao.pleiku")},
		{name: "Lai Châu's admin may not reorganise Gia Lai", call: call{user: "quantri.laichau", method: "POST", path: "/api/v1/reorganisations", body: `{"kind":"merge","date":"2025-08-01","from":["GL25.X.GAO","GL25.X.IALY"],"to":["GL25.X.GAO"]}`}, status: 403,
			before: snap, check: func(t *testing.T, app *testapp.App, b []byte, h http.Header) {
				after := rowCounts(t, app)
				for _, table := range []string{"org_units", "org_unit_versions", "org_events", "org_event_units"} {
					if after[table] != snapshot[table] {
						t.Errorf("%s changed by a refused reorganisation", table)
					}
				}
			}},

		// Officials.
		{name: "admin lists every official", call: call{user: "admin", method: "GET", path: "/api/v1/officials"}, status: 200,
			check: func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
				got := usernames(t, body)
				if total := count(t, app, `SELECT COUNT(*) FROM users`); len(got) != total || h.Get("X-Total-Count") != strconv.Itoa(total) {
					t.Errorf("%d officials listed, X-Total-Count %q, %d in the database", len(got), h.Get("X-Total-Count"), total)
				}
				// Vietnamese order by given name: An, Bình, Châu, Dung, Em, Giang, Huy, Lan.
				want := []string{"admin", "dieuphoi", "lanhdao", "pheduyet.pleiku", "baocao.pleiku", "baocao.ankhe", "quantri.laichau", "baocao.laichau"}
				if demo := slices.DeleteFunc(got, func(u string) bool { return !slices.Contains(want, u) }); !slices.Equal(demo, want) {
					t.Errorf("demo officials in the order %v\nwant %v", demo, want)
				}
			}},
		{name: "officials of one unit", call: call{user: "admin", method: "GET", path: "/api/v1/officials?unit={unit:GL.PLEIKU}"}, status: 200,
			contains: []string{"baocao.pleiku", "pheduyet.pleiku"}, absent: []string{"baocao.ankhe"}},
		{name: "officials by name, accent-insensitive", call: call{user: "admin", method: "GET", path: "/api/v1/officials?q=vo+thi+giang"}, status: 200,
			header: map[string]string{"X-Total-Count": "1"}, contains: []string{`"fullName":"Võ Thị Giang"`}},
		{name: "officials: the first page", call: call{user: "admin", method: "GET", path: "/api/v1/officials?unit={unit:GL.PLEIKU}&limit=1"}, status: 200,
			header: map[string]string{"X-Total-Count": "2", "Link": "offset=1"},
			check: func(t *testing.T, _ *testapp.App, body []byte, _ http.Header) {
				if got := usernames(t, body); !slices.Equal(got, []string{"pheduyet.pleiku"}) {
					t.Errorf("page = %v", got)
				}
			}},
		{name: "officials: the last page", call: call{user: "admin", method: "GET", path: "/api/v1/officials?unit={unit:GL.PLEIKU}&limit=1&offset=1"}, status: 200,
			header: map[string]string{"X-Total-Count": "2"},
			check: func(t *testing.T, _ *testapp.App, body []byte, h http.Header) {
				if got := usernames(t, body); !slices.Equal(got, []string{"baocao.pleiku"}) || h.Get("Link") != "" {
					t.Errorf("page = %v, Link %q", got, h.Get("Link"))
				}
			}},
		{name: "officials: bad unit", call: call{user: "admin", method: "GET", path: "/api/v1/officials?unit=pleiku"}, status: 422, fields: []string{"unit"}},
		{name: "one official", call: call{user: "admin", method: "GET", path: "/api/v1/officials/{official:baocao.ankhe}"}, status: 200,
			contains: []string{`"username":"baocao.ankhe"`, `"unitName":"Thị xã An Khê"`, `"role":"reporter"`}, absent: []string{"password", "argon2"}},
		{name: "no such official", call: call{user: "admin", method: "GET", path: "/api/v1/officials/999999"}, status: 404},
		{name: "admin adds an official", call: call{user: "admin", method: "POST", path: "/api/v1/officials", body: createOfficial}, status: 201,
			contains: []string{`"username":"canbo.thu"`, `"role":"reporter"`, `"scopeName":"Sở Khoa học và Công nghệ"`, `"disabled":false`}, absent: []string{"mat-khau", "argon2"},
			capture: map[string]string{"thu": "id"}, check: auditRow("official.create", "canbo.thu")},
		{name: "the new official uses the API", call: call{user: "canbo.thu", method: "GET", path: "/api/v1/me"}, status: 200,
			contains: []string{`"username":"canbo.thu"`}},
		{name: "the same username twice", call: call{user: "admin", method: "POST", path: "/api/v1/officials", body: createOfficial}, status: 422,
			fields: []string{"username"}, contains: []string{`"code":"duplicate"`}},
		{name: "an official with every field wrong", call: call{user: "admin", method: "POST", path: "/api/v1/officials",
			body: `{"username":"A","fullName":"","email":"not-an-address","unitId":0,"roles":[{"role":"king"}],"password":"short"}`}, status: 422,
			fields: []string{"username", "password", "fullName", "email", "unitId", "roles[0].role"}, before: snap, check: unchanged},
		{name: "a password equal to the username", call: call{user: "admin", method: "POST", path: "/api/v1/officials",
			body: `{"username":"canbo.bang.ten","fullName":"Trần Văn Bằng","unitId":{unit:LC},"password":"CANBO.BANG.TEN"}`}, status: 422,
			fields: []string{"password"}, contains: []string{"không được trùng tên đăng nhập"}},
		{name: "admin edits an official's roles", call: call{user: "admin", method: "PUT", path: "/api/v1/officials/{var:thu}",
			body: `{"fullName":"Nguyễn Thị Thu","title":"Phó Trưởng phòng","unitId":{unit:LC.SKHCN},"roles":[{"role":"approver"},{"role":"reporter","scopeId":{unit:LC}}]}`}, status: 200,
			contains: []string{`"title":"Phó Trưởng phòng"`, `"role":"approver"`, `"scopeName":"Tỉnh Lai Châu"`},
			check: func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
				auditRow("official.update", "canbo.thu")(t, app, nil, nil)
				auditRow("role.change", "canbo.thu")(t, app, nil, nil)
				if n := count(t, app, `SELECT COUNT(*) FROM user_roles WHERE user_id = $1`, officialID(t, app, "canbo.thu")); n != 2 {
					t.Errorf("%d roles stored, want 2", n)
				}
			}},
		{name: "editing with an invalid email", call: call{user: "admin", method: "PUT", path: "/api/v1/officials/{var:thu}", body: `{"fullName":"Nguyễn Thị Thu","email":"thu@","unitId":{unit:LC.SKHCN}}`}, status: 422,
			fields: []string{"email"}, before: snap, check: unchanged},
		{name: "editing an official who does not exist", call: call{user: "admin", method: "PUT", path: "/api/v1/officials/999999", body: `{"fullName":"X","unitId":{unit:LC}}`}, status: 404},
		{name: "admin disables an official", call: call{user: "admin", method: "POST", path: "/api/v1/officials/{var:thu}/disable"}, status: 200,
			contains: []string{`"disabled":true`}, check: auditRow("account.disable", "canbo.thu")},
		{name: "a disabled official's token is refused", call: call{user: "canbo.thu", method: "GET", path: "/api/v1/me"}, status: 401,
			header: map[string]string{"WWW-Authenticate": "invalid_token"}},
		{name: "admin may not disable himself", call: call{user: "admin", method: "POST", path: "/api/v1/officials/{official:admin}/disable"}, status: 422,
			fields: []string{"disabled"}},
		{name: "disabling an official who does not exist", call: call{user: "admin", method: "POST", path: "/api/v1/officials/999999/disable"}, status: 404},
		{name: "admin enables the official again", call: call{user: "admin", method: "POST", path: "/api/v1/officials/{var:thu}/enable"}, status: 200,
			contains: []string{`"disabled":false`}, check: auditRow("account.enable", "canbo.thu")},
		{name: "the enabled official's token works again", call: call{user: "canbo.thu", method: "GET", path: "/api/v1/me"}, status: 200},
		{name: "a reporter may not enable anyone", call: call{user: "baocao.pleiku", method: "POST", path: "/api/v1/officials/{official:pheduyet.pleiku}/enable"}, status: 403,
			before: snapDenied("baocao.pleiku"), check: deniedOnce("baocao.pleiku")},
		{name: "a too-short new password", call: call{user: "admin", method: "POST", path: "/api/v1/officials/{var:thu}/password", body: `{"password":"ngan"}`}, status: 422,
			fields: []string{"password"}, contains: []string{"phải có ít nhất 10 ký tự"}},
		{name: "admin resets a password", call: call{user: "admin", method: "POST", path: "/api/v1/officials/{var:thu}/password", body: `{"password":"mat-khau-moi-456"}`}, status: 204,
			check: func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
				_, hash, _, err := app.Org.PasswordHash(t.Context(), "canbo.thu")
				if err != nil {
					t.Fatal(err)
				}
				if ok, _ := password.Check(hash, "mat-khau-moi-456"); !ok {
					t.Error("the new password does not match the stored hash")
				}
				if ok, _ := password.Check(hash, "mat-khau-dai-123"); ok {
					t.Error("the old password still matches")
				}
				auditRow("password.reset", "canbo.thu")(t, app, nil, nil)
			}},
		{name: "a reporter may not reset a password", call: call{user: "baocao.pleiku", method: "POST", path: "/api/v1/officials/{official:pheduyet.pleiku}/password", body: `{"password":"mat-khau-moi-456"}`}, status: 403},

		// Me and my tokens.
		{name: "me", call: call{user: "baocao.pleiku", method: "GET", path: "/api/v1/me"}, status: 200,
			contains: []string{`"username":"baocao.pleiku"`, `"fullName":"Hoàng Văn Em"`, `"roles":[{"role":"reporter"`, `"scopeName":"Thành phố Pleiku"`}},
		{name: "create a token", call: call{user: "baocao.ankhe", method: "POST", path: "/api/v1/me/tokens", body: `{"name":"Báo cáo tự động","expiresInDays":30}`}, status: 201,
			contains: []string{`"token":"tsk_`, `"name":"Báo cáo tự động"`, `"expiresAt":`},
			capture:  map[string]string{"tok": "token", "tokID": "id"}, check: auditRow("token.create", "baocao.ankhe")},
		{name: "the new token works", call: call{method: "GET", path: "/api/v1/me", headers: map[string]string{"Authorization": "Bearer {var:tok}"}}, status: 200,
			contains: []string{`"username":"baocao.ankhe"`}},
		{name: "list my tokens without their secrets", call: call{user: "baocao.ankhe", method: "GET", path: "/api/v1/me/tokens"}, status: 200,
			contains: []string{`"name":"Báo cáo tự động"`, `"prefix":"tsk_`, `"lastUsedAt":`}, absent: []string{`"token":`, "{var:tok}"},
			check: func(t *testing.T, _ *testapp.App, body []byte, h http.Header) {
				var list []auth.Token
				testapp.JSON(t, body, &list)
				if len(list) != 2 || h.Get("X-Total-Count") != "2" { // the test's own token and the new one
					t.Errorf("%d tokens listed, X-Total-Count %q", len(list), h.Get("X-Total-Count"))
				}
			}},
		{name: "a token with no name", call: call{user: "baocao.ankhe", method: "POST", path: "/api/v1/me/tokens", body: `{"name":"  ","expiresInDays":-1}`}, status: 422,
			fields: []string{"name", "expiresInDays"}},
		{name: "someone else's token cannot be revoked", call: call{user: "baocao.pleiku", method: "DELETE", path: "/api/v1/me/tokens/{var:tokID}"}, status: 404},
		{name: "revoke my token", call: call{user: "baocao.ankhe", method: "DELETE", path: "/api/v1/me/tokens/{var:tokID}"}, status: 204,
			check: auditRow("token.revoke", "baocao.ankhe")},
		{name: "a revoked token is refused", call: call{method: "GET", path: "/api/v1/me", headers: map[string]string{"Authorization": "Bearer {var:tok}"}}, status: 401},
		{name: "revoking twice", call: call{user: "baocao.ankhe", method: "DELETE", path: "/api/v1/me/tokens/{var:tokID}"}, status: 204},
		{name: "revoking a token that does not exist", call: call{user: "baocao.ankhe", method: "DELETE", path: "/api/v1/me/tokens/999999"}, status: 404},
		{name: "the list shows the revocation", call: call{user: "baocao.ankhe", method: "GET", path: "/api/v1/me/tokens"}, status: 200,
			contains: []string{`"revokedAt":`}},

		// The audit trail.
		{name: "admin reads the audit trail", call: call{user: "admin", method: "GET", path: "/api/v1/audit?kind=token.create&subject=baocao.ankhe"}, status: 200,
			header: map[string]string{"X-Total-Count": "1"}, contains: []string{`"kind":"token.create"`, `"actor":"baocao.ankhe"`, `Báo cáo tự động`}},
		{name: "audit: access denials are there", call: call{user: "admin", method: "GET", path: "/api/v1/audit?kind=access.denied&subject=baocao.pleiku&limit=1"}, status: 200,
			header: map[string]string{"Link": `rel="next"`}, contains: []string{`"success":false`, `"actor":"baocao.pleiku"`}},
		{name: "audit: bad limit", call: call{user: "admin", method: "GET", path: "/api/v1/audit?limit=5000"}, status: 422, fields: []string{"limit"}},
		{name: "a leader may not read the audit trail", call: call{user: "lanhdao", method: "GET", path: "/api/v1/audit"}, status: 403,
			before: snapDenied("lanhdao"), check: deniedOnce("lanhdao")},
		{name: "a reporter may not read the audit trail", call: call{user: "baocao.pleiku", method: "GET", path: "/api/v1/audit"}, status: 403},
	}
}

// unitDetail is the part of GET /api/v1/orgunits/{id} the table reads.
type unitDetail struct {
	Code         string
	Name         string
	ValidTo      string
	Path         []coded
	Children     []coded
	Successors   []coded
	Predecessors []coded
	Events       []struct{ Kind string }
}

type coded struct{ Code string }

func unitList(us []coded) string {
	var out []string
	for _, u := range us {
		out = append(out, u.Code)
	}
	return strings.Join(out, " ")
}
