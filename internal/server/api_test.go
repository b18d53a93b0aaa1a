package server_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/testapp"
)

// foundationTags are the API tags this table must cover route by route;
// other domains keep their own tables.
var foundationTags = []string{"org", "officials", "account", "audit"}

// TestAPI runs the API table on a fresh demo per engine; every route of the
// foundation has rows, including the roles that must be refused.
func TestAPI(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		vars := map[string]string{}
		app.Run(t, vars, apiScenarios())
		app.CheckCoverage(t, vars, apiScenarios(), foundationTags...)
	})
}

func apiScenarios() []testapp.Scenario {
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
	// orgUnchanged is unchanged for a refusal, which writes its audit row.
	orgUnchanged := func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
		t.Helper()
		after := rowCounts(t, app)
		for table, n := range snapshot {
			if table != "audit_events" && after[table] != n {
				t.Errorf("%s: %d rows before, %d after a refused write", table, n, after[table])
			}
		}
	}
	var deniedBefore int
	snapDenied := func(user string) func(*testing.T, *testapp.App) {
		return func(t *testing.T, app *testapp.App) { deniedBefore = app.Denials(t, user) }
	}
	deniedOnce := func(user string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			t.Helper()
			if got := app.Denials(t, user); got != deniedBefore+1 {
				t.Errorf("access.denied rows of %s: %d → %d, want one more", user, deniedBefore, got)
			}
		}
	}
	auditRow := func(kind, subject string) func(*testing.T, *testapp.App, []byte, http.Header) {
		return func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			t.Helper()
			if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND subject = $2 AND success = $3`, kind, subject, true); n == 0 {
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

	return []testapp.Scenario{
		// Credentials.
		{Name: "no credentials", Call: testapp.Call{Method: "GET", Path: "/api/v1/orgunits"}, Status: 401,
			Contains: []string{`"code":"unauthorized"`}, Header: map[string]string{"WWW-Authenticate": "Bearer"}},
		{Name: "unknown bearer token", Call: testapp.Call{Method: "GET", Path: "/api/v1/me", Headers: map[string]string{"Authorization": "Bearer tsk_not-a-real-token"}}, Status: 401,
			Contains: []string{`"code":"unauthorized"`}},
		{Name: "not a bearer scheme", Call: testapp.Call{Method: "GET", Path: "/api/v1/me", Headers: map[string]string{"Authorization": "Basic YWRtaW46eA=="}}, Status: 401},
		{Name: "unknown route", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/no-such-thing"}, Status: 404,
			Contains: []string{`"code":"not_found"`, `"instance":"/api/v1/no-such-thing"`}},
		{Name: "unknown route without credentials", Call: testapp.Call{Method: "POST", Path: "/api/v1/orgunits/1/explode"}, Status: 404},

		// Org units: lists, search, dates, filters, pagination.
		{Name: "search is accent-insensitive", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/orgunits?q=lai+chau"}, Status: 200,
			Contains: []string{`"name":"Tỉnh Lai Châu"`, `"code":"LC"`, `"level":"province"`, `"parentId":`}, Absent: []string{`"code":"GL25"`}},
		{Name: "search with diacritics typed", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/orgunits?q=%C4%90ak+%C4%90oa&asOf=2023-01-01"}, Status: 200,
			Contains: []string{`"name":"Huyện Đak Đoa"`}},
		{Name: "search by code", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?q=gl25.skhcn"}, Status: 200,
			Check: unitCodes([]string{"GL25.SKHCN"}, []string{"GL.SKHCN"})},
		{Name: "as of 2023: the seed-era structure", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/orgunits?asOf=2023-01-01"}, Status: 200,
			Check: unitCodes([]string{"VN", "GL", "BD", "GL.PLEIKU", "GL.PLEIKU.TANSON", "GL.STTTT", "LC.TPLAICHAU"}, []string{"GL25", "GL25.SKHCN", "GL25.P.PLEIKU", "GL.SNNMT"})},
		{Name: "today: the 2025 structure", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/orgunits"}, Status: 200,
			Check: unitCodes([]string{"VN", "GL25", "GL25.SKHCN", "GL25.P.PLEIKU", "LC", "LC.X.BANBO", "GL.HHDN"}, []string{"GL", "BD", "GL.PLEIKU", "GL.STTTT", "LC.TPLAICHAU"})},
		{Name: "between the 2025 events", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/orgunits?asOf=2025-04-01"}, Status: 200,
			Check: unitCodes([]string{"GL", "GL.SKHCN", "GL.SNNMT", "GL.PLEIKU"}, []string{"GL.STTTT", "GL.SNNPTNT", "GL25"})},
		{Name: "level filter", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?level=province&asOf=2023-01-01"}, Status: 200,
			Check: func(t *testing.T, _ *testapp.App, body []byte, _ http.Header) {
				if got := codes(t, body); !slices.Equal(got, []string{"GL", "BD", "HG", "TQ", "LC"}) {
					t.Errorf("provinces of 2023 in tree order: %v", got)
				}
			}},
		{Name: "parent filter", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?parent={unit:GL25.VPUBND}"}, Status: 200,
			Check: func(t *testing.T, _ *testapp.App, body []byte, _ http.Header) {
				if got := codes(t, body); !slices.Equal(got, []string{"GL25.TTPVHCC"}) {
					t.Errorf("children of GL25.VPUBND: %v", got)
				}
			}},
		{Name: "bad asOf", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?asOf=2023-02-30"}, Status: 422, Fields: []string{"asOf"}},
		{Name: "bad level", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?level=galaxy"}, Status: 422, Fields: []string{"level"}},
		{Name: "bad parent", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?parent=GL"}, Status: 422, Fields: []string{"parent"}},
		{Name: "pagination: a middle page", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?level=province&asOf=2023-01-01&limit=2&offset=1"}, Status: 200,
			Header: map[string]string{"X-Total-Count": "5", "Link": `rel="next"`},
			Check: func(t *testing.T, _ *testapp.App, body []byte, h http.Header) {
				if got := codes(t, body); !slices.Equal(got, []string{"BD", "HG"}) {
					t.Errorf("page = %v, want [BD HG]", got)
				}
				if link := h.Get("Link"); !strings.Contains(link, "offset=3") || !strings.Contains(link, "limit=2") || !strings.Contains(link, "asOf=2023-01-01") {
					t.Errorf("Link = %q: want the next page with the same filters", link)
				}
			}},
		{Name: "pagination: the last page has no next link", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?level=province&asOf=2023-01-01&limit=2&offset=4"}, Status: 200,
			Header: map[string]string{"X-Total-Count": "5"},
			Check: func(t *testing.T, _ *testapp.App, body []byte, h http.Header) {
				if got := codes(t, body); !slices.Equal(got, []string{"LC"}) {
					t.Errorf("last page = %v", got)
				}
				if h.Get("Link") != "" {
					t.Errorf("Link on the last page: %q", h.Get("Link"))
				}
			}},
		{Name: "pagination: past the end", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?offset=100000"}, Status: 200, Contains: []string{"[]"}},
		{Name: "pagination: bad limit", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?limit=0"}, Status: 422, Fields: []string{"limit"}},
		{Name: "pagination: limit above the maximum", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?limit=999999"}, Status: 422, Fields: []string{"limit"}},
		{Name: "pagination: bad offset", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?offset=-1"}, Status: 422, Fields: []string{"offset"}},

		// One unit: path, children, history, successors and predecessors.
		{Name: "old province leads to the new one", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/orgunits/{unit:GL}"}, Status: 200,
			Check: detail(func(t *testing.T, d unitDetail) {
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
		{Name: "new province lists its predecessors", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/orgunits/{unit:GL25}"}, Status: 200,
			Check: detail(func(t *testing.T, d unitDetail) {
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
		{Name: "Sở TT&TT carries on in today's Sở KH&CN", Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: "/api/v1/orgunits/{unit:GL.STTTT}"}, Status: 200,
			Check: detail(func(t *testing.T, d unitDetail) {
				if unitList(d.Successors) != "GL25.SKHCN" {
					t.Errorf("GL.STTTT successors = %s", unitList(d.Successors))
				}
			})},
		{Name: "a renamed unit as of a date", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits/{unit:LC.CTK}?asOf=2025-04-01"}, Status: 200,
			Contains: []string{`"name":"Chi cục Thống kê tỉnh"`}},
		{Name: "a unit as of a date it did not exist", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits/{unit:GL25}?asOf=2023-01-01"}, Status: 404},
		{Name: "no such unit", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits/999999"}, Status: 404, Contains: []string{`"code":"not_found"`}},
		{Name: "unit id not a number", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits/GL"}, Status: 404},

		// Adding a unit.
		{Name: "admin adds a commune", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: newWard}, Status: 201,
			Contains: []string{`"code":"GL25.X.THU"`, `"name":"Xã Thử nghiệm"`, `"level":"commune"`},
			Capture:  map[string]string{"newWard": "id"},
			Check:    auditRow("unit.create", "GL25.X.THU")},
		{Name: "the new commune is in today's tree", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits/{var:newWard}"}, Status: 200,
			Contains: []string{`"code":"GL25.X.THU"`, `"kind":"create"`}},
		{Name: "the same code twice", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: newWard}, Status: 422, Fields: []string{"code"},
			Contains: []string{"«GL25.X.THU» đã tồn tại"}},
		{Name: "a reporter may not add a unit", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"GL25.X.R","name":"Xã R","kind":"commune","parentId":{unit:GL25}}`}, Status: 403,
			Contains: []string{`"code":"forbidden"`}, Before: snapDenied("baocao.pleiku"), Check: deniedOnce("baocao.pleiku")},
		{Name: "Lai Châu's admin may not add under Gia Lai", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"GL25.X.LC","name":"Xã LC","kind":"commune","parentId":{unit:GL25}}`}, Status: 403,
			Before: snapDenied("quantri.laichau"), Check: deniedOnce("quantri.laichau")},
		{Name: "Lai Châu's admin may not add a province", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"XX","name":"Tỉnh XX","kind":"province"}`}, Status: 403},
		{Name: "Lai Châu's admin adds under Lai Châu", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"LC.X.THU","name":"Xã Thử","kind":"commune","parentId":{unit:LC}}`}, Status: 201,
			Contains: []string{`"code":"LC.X.THU"`}},
		{Name: "bad code, Vietnamese by default", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"mã sai!","name":"Xã A","kind":"commune","parentId":{unit:GL25}}`}, Status: 422,
			Fields: []string{"code"}, Contains: []string{vi422, "Mã đơn vị: chỉ gồm chữ in hoa", `"code":"code_format"`}},
		{Name: "bad code in English", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"mã sai!","name":"Xã A","kind":"commune","parentId":{unit:GL25}}`,
			Headers: map[string]string{"Accept-Language": "en-GB,en;q=0.9"}}, Status: 422,
			Fields: []string{"code"}, Contains: []string{"Some input is invalid", "Code: only upper-case letters"}, Absent: []string{"Mã đơn vị", vi422}},
		{Name: "bad kind", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"GL25.X.K","name":"Xã K","kind":"galaxy","parentId":{unit:GL25}}`}, Status: 422,
			Fields: []string{"kind"}, Contains: []string{"Loại: phải là một trong: nation, province"}},
		{Name: "a commune under a commune", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"GL25.X.P","name":"Xã P","kind":"commune","parentId":{unit:GL25.X.GAO}}`}, Status: 422,
			Fields: []string{"parentId"}, Contains: []string{"Đơn vị cấp trên: không thể trực thuộc «Xã Gào» (sai cấp)"}},
		{Name: "a parent that does not exist", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"GL25.X.P","name":"Xã P","kind":"commune","parentId":999999}`}, Status: 422,
			Fields: []string{"parentId"}},
		{Name: "a parent that does not exist, for a reporter", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"GL25.X.P","name":"Xã P","kind":"commune","parentId":999999}`}, Status: 403},
		{Name: "a parent that has ended", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"GL25.X.P","name":"Xã P","kind":"commune","parentId":{unit:GL.PLEIKU}}`}, Status: 422,
			Fields: []string{"parentId"}, Contains: []string{"inactive_unit"}},
		{Name: "a commune without a parent", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"X1","name":"Xã mồ côi","kind":"commune"}`}, Status: 422,
			Fields: []string{"parentId"}},
		{Name: "everything wrong at once", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"","name":" ","kind":"","parentId":{unit:GL25},"validFrom":"2025-13-01"}`}, Status: 422,
			Fields: []string{"code", "name", "kind", "validFrom"}, Before: snap, Check: unchanged},

		// Correcting a unit.
		{Name: "admin corrects a name", Call: testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/orgunits/{unit:GL25.X.GAO}", Body: `{"name":"Xã  Gào ","kind":"commune","sortOrder":7}`}, Status: 200,
			Contains: []string{`"name":"Xã Gào"`, `"sortOrder":7`}, Check: auditRow("unit.update", "GL25.X.GAO")},
		{Name: "a correction cannot change the level", Call: testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/orgunits/{unit:GL25.X.GAO}", Body: `{"name":"Xã Gào","kind":"province"}`}, Status: 422,
			Fields: []string{"kind"}},
		{Name: "a reporter may not correct a unit", Call: testapp.Call{User: "baocao.pleiku", Method: "PUT", Path: "/api/v1/orgunits/{unit:GL.PLEIKU}", Body: `{"name":"Pleiku","kind":"city"}`}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: deniedOnce("baocao.pleiku")},
		{Name: "correcting a unit that does not exist", Call: testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/orgunits/999999", Body: `{"name":"X","kind":"commune"}`}, Status: 404},

		// Request bodies.
		{Name: "unknown JSON member", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"GL25.X.U","name":"Xã U","kind":"commune","parentId":{unit:GL25},"colour":"red"}`}, Status: 422,
			Fields: []string{"colour"}, Contains: []string{"colour: không có trường này"}},
		{Name: "wrong content type", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"GL25.X.U","name":"Xã U","kind":"commune","parentId":{unit:GL25}}`,
			Headers: map[string]string{"Content-Type": "text/plain"}}, Status: 422, Fields: []string{"body"}, Contains: []string{`"code":"content_type"`}},
		{Name: "form-encoded body", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/me/tokens", Body: `name=x`,
			Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, Status: 422, Fields: []string{"body"}},
		{Name: "malformed JSON", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":"GL25.X.U",`}, Status: 422,
			Fields: []string{"body"}, Contains: []string{`"code":"json"`}},
		{Name: "wrong JSON type", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Body: `{"code":42,"name":"Xã U","kind":"commune"}`}, Status: 422,
			Fields: []string{"code"}, Contains: []string{`"code":"type"`}},
		{Name: "empty body", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/orgunits", Headers: map[string]string{"Content-Type": "application/json"}}, Status: 422,
			Fields: []string{"body"}, Contains: []string{`"code":"required"`}},
		{Name: "trailing data", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/me/tokens", Body: `{"name":"a"} {"name":"b"}`}, Status: 422,
			Fields: []string{"body"}},

		// Reorganisations.
		{Name: "list reorganisations", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/reorganisations?limit=5"}, Status: 200,
			Header: map[string]string{"Link": `rel="next"`}, Absent: []string{`"kind":"create"`},
			Check: func(t *testing.T, _ *testapp.App, body []byte, h http.Header) {
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
		{Name: "merge two wards into a new one", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"merge","date":"2025-08-01","basis":"Nghị quyết thử nghiệm",
			"from":["GL25.P.ANBINH","gl25.p.ankhe"],"newUnits":[{"code":"GL25.P.ANKHEMOI","name":"Phường An Khê Mới","kind":"ward","parentId":{unit:GL25}}]}`}, Status: 201,
			Contains: []string{`"kind":"merge"`, `"date":"2025-08-01"`, `"from":["GL25.P.ANBINH","GL25.P.ANKHE"]`, `"to":["GL25.P.ANKHEMOI"]`,
				`"heirs":{"GL25.P.ANBINH":["GL25.P.ANKHEMOI"],"GL25.P.ANKHE":["GL25.P.ANKHEMOI"]}`},
			Capture: map[string]string{"merged": "id"}, Check: auditRow("unit.reorganise", "merge 2025-08-01")},
		{Name: "after the merge", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?asOf=2025-08-01&q=phuong+an"}, Status: 200,
			Check: unitCodes([]string{"GL25.P.ANKHEMOI", "GL25.P.ANPHU"}, []string{"GL25.P.ANKHE", "GL25.P.ANBINH"})},
		{Name: "on the eve of the merge", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits?asOf=2025-07-31&q=phuong+an"}, Status: 200,
			Check: unitCodes([]string{"GL25.P.ANKHE", "GL25.P.ANBINH", "GL25.P.ANPHU"}, []string{"GL25.P.ANKHEMOI"})},
		{Name: "a merged ward points to its successor", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits/{unit:GL25.P.ANBINH}"}, Status: 200,
			Check: detail(func(t *testing.T, d unitDetail) {
				if d.ValidTo != "2025-07-31" || unitList(d.Successors) != "GL25.P.ANKHEMOI" {
					t.Errorf("validTo %q, successors %s", d.ValidTo, unitList(d.Successors))
				}
			})},
		{Name: "the new ward lists what it merged", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits/{unit:GL25.P.ANKHEMOI}"}, Status: 200,
			Check: detail(func(t *testing.T, d unitDetail) {
				if got := unitList(d.Predecessors); got != "GL25.P.ANBINH GL25.P.ANKHE" && got != "GL25.P.ANKHE GL25.P.ANBINH" {
					t.Errorf("predecessors = %s", got)
				}
			})},
		{Name: "a merge that orphans units writes nothing", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"merge","date":"2025-08-01",
			"from":["GL25.VPUBND","GL25.SNV"],"newUnits":[{"code":"GL25.VPNV","name":"Văn phòng và Nội vụ","kind":"agency","parentId":{unit:GL25}}]}`}, Status: 422,
			Fields: []string{"from"}, Contains: []string{"GL25.TTPVHCC", `"code":"orphans"`}, Before: snap, Check: unchanged},
		{Name: "a merge with one predecessor into an existing unit", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"merge","date":"2025-08-01","from":["GL25.X.GAO"],"to":["GL25.X.BIENHO"]}`}, Status: 422,
			Fields: []string{"from"}, Before: snap, Check: unchanged},
		{Name: "a split needs two successors", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"split","date":"2025-08-01","from":["GL25.X.GAO"],"to":["GL25.X.BIENHO"]}`}, Status: 422,
			Fields: []string{"to"}},
		{Name: "unknown kind and bad date", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"explode","date":"01/08/2025"}`}, Status: 422,
			Fields: []string{"kind", "date"}},
		{Name: "unknown unit codes", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"merge","date":"2025-08-01","from":["NOPE1","NOPE2"],"to":["GL25.X.GAO"]}`}, Status: 422,
			Fields: []string{"from[0]", "from[1]"}, Contains: []string{"không có đơn vị này đang hoạt động tại ngày 2025-08-01"}},
		{Name: "a new unit under an unknown parent", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"merge","date":"2025-08-01","from":["GL25.X.GAO","GL25.X.BIENHO"],
			"newUnits":[{"code":"GL25.X.GB","name":"Xã GB","kind":"commune","parentId":999999}]}`}, Status: 422,
			Fields: []string{"newUnits[0].parentId"}, Before: snap, Check: unchanged},
		{Name: "rename", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"rename","date":"2025-09-01","subject":"GL25.X.BIENHO","name":"Xã Biển Hồ Xanh"}`}, Status: 201,
			Contains: []string{`"subjects":["GL25.X.BIENHO"]`}},
		{Name: "the old name before the rename", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits/{unit:GL25.X.BIENHO}?asOf=2025-08-31"}, Status: 200,
			Contains: []string{`"name":"Xã Biển Hồ"`}},
		{Name: "the new name from the rename", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits/{unit:GL25.X.BIENHO}?asOf=2025-09-01"}, Status: 200,
			Contains: []string{`"name":"Xã Biển Hồ Xanh"`}},
		{Name: "a rename to the same name", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"rename","date":"2025-10-01","subject":"GL25.X.BIENHO","name":"Xã Biển Hồ Xanh"}`}, Status: 422,
			Fields: []string{"name"}},
		{Name: "a move under its own child", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"move","date":"2025-10-01","subject":"GL25.VPUBND","parent":"GL25.TTPVHCC"}`}, Status: 422,
			Fields: []string{"parent"}},
		{Name: "a reporter may not reorganise", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"rename","date":"2025-10-01","subject":"GL25.X.GAO","name":"Xã Gào Mới"}`}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: deniedOnce("baocao.pleiku")},
		{Name: "Lai Châu's admin may not reorganise Gia Lai", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"merge","date":"2025-08-01","from":["GL25.X.GAO","GL25.X.IALY"],"to":["GL25.X.GAO"]}`}, Status: 403,
			Before: snap, Check: func(t *testing.T, app *testapp.App, b []byte, h http.Header) {
				after := rowCounts(t, app)
				for _, table := range []string{"org_units", "org_unit_versions", "org_events", "org_event_units"} {
					if after[table] != snapshot[table] {
						t.Errorf("%s changed by a refused reorganisation", table)
					}
				}
			}},

		// The heirs of a dissolve's duties (issue 6).
		{Name: "a dissolve names who takes over its duties", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"dissolve","date":"2025-11-01","from":["GL25.X.IALY"],"heirs":[{"heirs":["gl25.x.gao"]}]}`}, Status: 201,
			Contains: []string{`"kind":"dissolve"`, `"heirs":{"GL25.X.IALY":["GL25.X.GAO"]}`, `"GL25.X.GAO":"Xã Gào"`}, Capture: map[string]string{"dissolve": "id"},
			Check: auditRow("unit.reorganise", "dissolve 2025-11-01")},
		{Name: "the dissolved commune names its heir", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits/{unit:GL25.X.IALY}"}, Status: 200,
			Check: detail(func(t *testing.T, d unitDetail) {
				if d.ValidTo != "2025-10-31" || unitList(d.Heirs) != "GL25.X.GAO" || unitList(d.Successors) != "GL25.X.GAO" {
					t.Errorf("validTo %q, heirs %s, successors %s", d.ValidTo, unitList(d.Heirs), unitList(d.Successors))
				}
			})},
		{Name: "the heir's officials answer for the dissolved commune's records", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits/{unit:GL25.X.GAO}"}, Status: 200,
			Check: detail(func(t *testing.T, d unitDetail) {
				if len(d.Heirs) != 0 {
					t.Errorf("a living unit has heirs: %s", unitList(d.Heirs))
				}
			})},
		{Name: "heirs: every mistake named at once, nothing written", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"dissolve","date":"2025-11-01","from":["GL25.X.IALE","GL25.X.IATUL"],
			"heirs":[{"unit":"GL25.X.IALE","heirs":["NOPE","GL25.X.IATUL","GL.PLEIKU"]},{"unit":"GL25.X.GAO","heirs":["GL25"]},{"unit":"GL25.X.IATUL","heirs":[]}]}`}, Status: 422,
			Fields:   []string{"heirs[0].heirs[0]", "heirs[0].heirs[1]", "heirs[0].heirs[2]", "heirs[1].unit", "heirs[2].heirs"},
			Contains: []string{`"code":"heir_ends"`, `"code":"not_ended_by_event"`, "GL.PLEIKU"}, Before: snap, Check: unchanged},
		{Name: "heirs belong to a dissolve only", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"merge","date":"2025-11-01","from":["GL25.X.IALE","GL25.X.IATUL"],"to":["GL25.X.IALE"],"heirs":[{"heirs":["GL25"]}]}`}, Status: 422,
			Fields: []string{"heirs"}, Before: snap, Check: unchanged},
		{Name: "Lai Châu's admin may not hand a duty to Gia Lai", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/reorganisations", Body: `{"kind":"dissolve","date":"2025-11-01","from":["LC.X.THU"],"heirs":[{"heirs":["GL25.X.GAO"]}]}`}, Status: 403,
			Before: snap, Check: orgUnchanged},
		{Name: "admin names the heirs again", Call: testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/reorganisations/{var:dissolve}/heirs", Body: `{"heirs":[{"unit":"GL25.X.IALY","heirs":["GL25.X.BIENHO","GL25.X.GAO"]}]}`}, Status: 200,
			Contains: []string{`"heirs":{"GL25.X.IALY":["GL25.X.BIENHO","GL25.X.GAO"]}`}, Check: auditRow("unit.heirs", "dissolve 2025-11-01")},
		{Name: "two heirs: no single unit answers for the commune today", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/orgunits/{unit:GL25.X.IALY}"}, Status: 200,
			Check: detail(func(t *testing.T, d unitDetail) {
				if got := unitList(d.Heirs); got != "GL25.X.BIENHO GL25.X.GAO" && got != "GL25.X.GAO GL25.X.BIENHO" {
					t.Errorf("heirs %s", got)
				}
			})},
		{Name: "naming heirs again checks them", Call: testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/reorganisations/{var:dissolve}/heirs", Body: `{"heirs":[{"unit":"GL25.X.IALY","heirs":["GL25.X.IALY"]}]}`}, Status: 422,
			Fields: []string{"heirs[0].heirs[0]"}, Before: snap, Check: unchanged},
		{Name: "a merge's heirs are its successors, not named", Call: testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/reorganisations/{var:merged}/heirs", Body: `{"heirs":[{"heirs":["GL25"]}]}`}, Status: 422,
			Fields: []string{"heirs"}},
		{Name: "a reporter may not name heirs", Call: testapp.Call{User: "baocao.pleiku", Method: "PUT", Path: "/api/v1/reorganisations/{var:dissolve}/heirs", Body: `{"heirs":[{"heirs":["GL25.X.GAO"]}]}`}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: deniedOnce("baocao.pleiku")},
		{Name: "Lai Châu's admin may not name Gia Lai's heirs", Call: testapp.Call{User: "quantri.laichau", Method: "PUT", Path: "/api/v1/reorganisations/{var:dissolve}/heirs", Body: `{"heirs":[{"heirs":["LC"]}]}`}, Status: 403,
			Before: snap, Check: orgUnchanged},
		{Name: "heirs of an event that does not exist", Call: testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/reorganisations/999999/heirs", Body: `{"heirs":[{"heirs":["GL25"]}]}`}, Status: 404},

		// Officials.
		{Name: "admin lists every official", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/officials"}, Status: 200,
			Check: func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
				got := usernames(t, body)
				if total := app.Count(t, `SELECT COUNT(*) FROM users`); len(got) != total || h.Get("X-Total-Count") != strconv.Itoa(total) {
					t.Errorf("%d officials listed, X-Total-Count %q, %d in the database", len(got), h.Get("X-Total-Count"), total)
				}
				// Vietnamese order by given name: An, Bình, Châu, Dung, Em, Giang, Huy, Lan.
				want := []string{"admin", "dieuphoi", "lanhdao", "pheduyet.pleiku", "baocao.pleiku", "baocao.ankhe", "quantri.laichau", "baocao.laichau"}
				if demo := slices.DeleteFunc(got, func(u string) bool { return !slices.Contains(want, u) }); !slices.Equal(demo, want) {
					t.Errorf("demo officials in the order %v\nwant %v", demo, want)
				}
			}},
		{Name: "officials of one unit", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/officials?unit={unit:GL.PLEIKU}"}, Status: 200,
			Contains: []string{"baocao.pleiku", "pheduyet.pleiku"}, Absent: []string{"baocao.ankhe"}},
		{Name: "officials by name, accent-insensitive", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/officials?q=vo+thi+giang"}, Status: 200,
			Header: map[string]string{"X-Total-Count": "1"}, Contains: []string{`"fullName":"Võ Thị Giang"`}},
		{Name: "officials: the first page", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/officials?unit={unit:GL.PLEIKU}&limit=1"}, Status: 200,
			Header: map[string]string{"X-Total-Count": "2", "Link": "offset=1"},
			Check: func(t *testing.T, _ *testapp.App, body []byte, _ http.Header) {
				if got := usernames(t, body); !slices.Equal(got, []string{"pheduyet.pleiku"}) {
					t.Errorf("page = %v", got)
				}
			}},
		{Name: "officials: the last page", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/officials?unit={unit:GL.PLEIKU}&limit=1&offset=1"}, Status: 200,
			Header: map[string]string{"X-Total-Count": "2"},
			Check: func(t *testing.T, _ *testapp.App, body []byte, h http.Header) {
				if got := usernames(t, body); !slices.Equal(got, []string{"baocao.pleiku"}) || h.Get("Link") != "" {
					t.Errorf("page = %v, Link %q", got, h.Get("Link"))
				}
			}},
		{Name: "officials: bad unit", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/officials?unit=pleiku"}, Status: 422, Fields: []string{"unit"}},
		{Name: "one official", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/officials/{official:baocao.ankhe}"}, Status: 200,
			Contains: []string{`"username":"baocao.ankhe"`, `"unitName":"Thị xã An Khê"`, `"role":"reporter"`}, Absent: []string{"password", "argon2"}},
		{Name: "no such official", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/officials/999999"}, Status: 404},
		{Name: "admin adds an official", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials", Body: createOfficial}, Status: 201,
			Contains: []string{`"username":"canbo.thu"`, `"role":"reporter"`, `"scopeName":"Sở Khoa học và Công nghệ"`, `"disabled":false`}, Absent: []string{"mat-khau", "argon2"},
			Capture: map[string]string{"thu": "id"}, Check: auditRow("official.create", "canbo.thu")},
		{Name: "the new official uses the API", Call: testapp.Call{User: "canbo.thu", Method: "GET", Path: "/api/v1/me"}, Status: 200,
			Contains: []string{`"username":"canbo.thu"`}},
		{Name: "the same username twice", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials", Body: createOfficial}, Status: 422,
			Fields: []string{"username"}, Contains: []string{`"code":"duplicate"`}},
		{Name: "an official with every field wrong", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials",
			Body: `{"username":"A","fullName":"","email":"not-an-address","unitId":0,"roles":[{"role":"king"}],"password":"short"}`}, Status: 422,
			Fields: []string{"username", "password", "fullName", "email", "unitId", "roles[0].role"}, Before: snap, Check: unchanged},
		{Name: "a password equal to the username", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials",
			Body: `{"username":"canbo.bang.ten","fullName":"Trần Văn Bằng","unitId":{unit:LC},"password":"CANBO.BANG.TEN"}`}, Status: 422,
			Fields: []string{"password"}, Contains: []string{"không được trùng tên đăng nhập"}},
		{Name: "admin edits an official's roles", Call: testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/officials/{var:thu}",
			Body: `{"fullName":"Nguyễn Thị Thu","title":"Phó Trưởng phòng","unitId":{unit:LC.SKHCN},"roles":[{"role":"approver"},{"role":"reporter","scopeId":{unit:LC}}]}`}, Status: 200,
			Contains: []string{`"title":"Phó Trưởng phòng"`, `"role":"approver"`, `"scopeName":"Tỉnh Lai Châu"`},
			Check: func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
				auditRow("official.update", "canbo.thu")(t, app, nil, nil)
				auditRow("role.change", "canbo.thu")(t, app, nil, nil)
				if n := app.Count(t, `SELECT COUNT(*) FROM user_roles WHERE user_id = $1`, app.OfficialID(t, "canbo.thu")); n != 2 {
					t.Errorf("%d roles stored, want 2", n)
				}
			}},
		{Name: "editing with an invalid email", Call: testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/officials/{var:thu}", Body: `{"fullName":"Nguyễn Thị Thu","email":"thu@","unitId":{unit:LC.SKHCN}}`}, Status: 422,
			Fields: []string{"email"}, Before: snap, Check: unchanged},
		{Name: "editing an official who does not exist", Call: testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/officials/999999", Body: `{"fullName":"X","unitId":{unit:LC}}`}, Status: 404},
		{Name: "admin disables an official", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials/{var:thu}/disable"}, Status: 200,
			Contains: []string{`"disabled":true`}, Check: auditRow("account.disable", "canbo.thu")},
		{Name: "a disabled official's token is refused", Call: testapp.Call{User: "canbo.thu", Method: "GET", Path: "/api/v1/me"}, Status: 401,
			Header: map[string]string{"WWW-Authenticate": "invalid_token"}},
		{Name: "admin may not disable himself", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials/{official:admin}/disable"}, Status: 422,
			Fields: []string{"disabled"}},
		{Name: "disabling an official who does not exist", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials/999999/disable"}, Status: 404},
		{Name: "admin enables the official again", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials/{var:thu}/enable"}, Status: 200,
			Contains: []string{`"disabled":false`}, Check: auditRow("account.enable", "canbo.thu")},
		{Name: "the enabled official's token works again", Call: testapp.Call{User: "canbo.thu", Method: "GET", Path: "/api/v1/me"}, Status: 200},
		{Name: "a reporter may not enable anyone", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/officials/{official:pheduyet.pleiku}/enable"}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: deniedOnce("baocao.pleiku")},
		{Name: "a reporter may not sign anyone out", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/officials/{official:pheduyet.pleiku}/sessions/end"}, Status: 403,
			Before: snapDenied("baocao.pleiku"), Check: deniedOnce("baocao.pleiku")},
		{Name: "Lai Châu's admin may not reset a Gia Lai official's second factor", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/officials/{official:dieuphoi}/totp/reset"}, Status: 403,
			Before: snapDenied("quantri.laichau"), Check: deniedOnce("quantri.laichau")},
		{Name: "admin signs an official out everywhere", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials/{var:thu}/sessions/end"}, Status: 204,
			Check: auditRow("logout", "canbo.thu")},
		{Name: "admin resets an official's second factor", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials/{var:thu}/totp/reset"}, Status: 204,
			Check: auditRow("totp.reset", "canbo.thu")},
		{Name: "signing out an official who does not exist", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials/999999/sessions/end"}, Status: 404},
		{Name: "a too-short new password", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials/{var:thu}/password", Body: `{"password":"ngan"}`}, Status: 422,
			Fields: []string{"password"}, Contains: []string{"phải có ít nhất 10 ký tự"}},
		{Name: "admin resets a password", Call: testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials/{var:thu}/password", Body: `{"password":"mat-khau-moi-456"}`}, Status: 204,
			Check: func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
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
		{Name: "a reporter may not reset a password", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: "/api/v1/officials/{official:pheduyet.pleiku}/password", Body: `{"password":"mat-khau-moi-456"}`}, Status: 403},

		// Me and my tokens.
		{Name: "me", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/me"}, Status: 200,
			Contains: []string{`"username":"baocao.pleiku"`, `"fullName":"Hoàng Văn Em"`, `"roles":[{"role":"reporter"`, `"scopeName":"Thành phố Pleiku"`}},
		{Name: "create a token", Call: testapp.Call{User: "baocao.ankhe", Method: "POST", Path: "/api/v1/me/tokens", Body: `{"name":"Báo cáo tự động","expiresInDays":30}`}, Status: 201,
			Contains: []string{`"token":"tsk_`, `"name":"Báo cáo tự động"`, `"expiresAt":`},
			Capture:  map[string]string{"tok": "token", "tokID": "id"}, Check: auditRow("token.create", "baocao.ankhe")},
		{Name: "the new token works", Call: testapp.Call{Method: "GET", Path: "/api/v1/me", Headers: map[string]string{"Authorization": "Bearer {var:tok}"}}, Status: 200,
			Contains: []string{`"username":"baocao.ankhe"`}},
		{Name: "list my tokens without their secrets", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/me/tokens"}, Status: 200,
			Contains: []string{`"name":"Báo cáo tự động"`, `"prefix":"tsk_`, `"lastUsedAt":`}, Absent: []string{`"token":`, "{var:tok}"},
			Check: func(t *testing.T, _ *testapp.App, body []byte, h http.Header) {
				var list []org.Token
				testapp.JSON(t, body, &list)
				if len(list) != 2 || h.Get("X-Total-Count") != "2" { // the test's own token and the new one
					t.Errorf("%d tokens listed, X-Total-Count %q", len(list), h.Get("X-Total-Count"))
				}
			}},
		{Name: "admin lists an official's tokens", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/officials/{official:baocao.ankhe}/tokens"}, Status: 200,
			Contains: []string{`"name":"Báo cáo tự động"`, `"expiresAt":`}, Absent: []string{`"token":`}},
		{Name: "Lai Châu's admin may not list a Gia Lai official's tokens", Call: testapp.Call{User: "quantri.laichau", Method: "GET", Path: "/api/v1/officials/{official:baocao.ankhe}/tokens"}, Status: 403,
			Absent: []string{"Báo cáo tự động"}, Before: snapDenied("quantri.laichau"), Check: deniedOnce("quantri.laichau")},
		{Name: "Lai Châu's admin may not revoke a Gia Lai official's token", Call: testapp.Call{User: "quantri.laichau", Method: "DELETE", Path: "/api/v1/officials/{official:baocao.ankhe}/tokens/{var:tokID}"}, Status: 403,
			Before: snapDenied("quantri.laichau"), Check: deniedOnce("quantri.laichau")},
		{Name: "a reporter may not list a colleague's tokens", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/officials/{official:pheduyet.pleiku}/tokens"}, Status: 403},
		{Name: "the token survives the refusals", Call: testapp.Call{Method: "GET", Path: "/api/v1/me", Headers: map[string]string{"Authorization": "Bearer {var:tok}"}}, Status: 200},
		{Name: "a token too long-lived", Call: testapp.Call{User: "baocao.ankhe", Method: "POST", Path: "/api/v1/me/tokens", Body: `{"name":"mãi mãi","expiresInDays":3650}`}, Status: 422,
			Fields: []string{"expiresInDays"}, Contains: []string{"phải trong khoảng 1–365"}},
		{Name: "a token with no name", Call: testapp.Call{User: "baocao.ankhe", Method: "POST", Path: "/api/v1/me/tokens", Body: `{"name":"  ","expiresInDays":-1}`}, Status: 422,
			Fields: []string{"name", "expiresInDays"}},
		{Name: "someone else's token cannot be revoked", Call: testapp.Call{User: "baocao.pleiku", Method: "DELETE", Path: "/api/v1/me/tokens/{var:tokID}"}, Status: 404},
		{Name: "revoke my token", Call: testapp.Call{User: "baocao.ankhe", Method: "DELETE", Path: "/api/v1/me/tokens/{var:tokID}"}, Status: 204,
			Check: auditRow("token.revoke", "baocao.ankhe")},
		{Name: "a revoked token is refused", Call: testapp.Call{Method: "GET", Path: "/api/v1/me", Headers: map[string]string{"Authorization": "Bearer {var:tok}"}}, Status: 401},
		{Name: "revoking twice", Call: testapp.Call{User: "baocao.ankhe", Method: "DELETE", Path: "/api/v1/me/tokens/{var:tokID}"}, Status: 204},
		{Name: "revoking a token that does not exist", Call: testapp.Call{User: "baocao.ankhe", Method: "DELETE", Path: "/api/v1/me/tokens/999999"}, Status: 404},
		{Name: "admin revokes an official's token (already revoked: no change)", Call: testapp.Call{User: "admin", Method: "DELETE", Path: "/api/v1/officials/{official:baocao.ankhe}/tokens/{var:tokID}"}, Status: 204,
			Check: auditRow("token.revoke", "baocao.ankhe")},
		{Name: "admin revokes a token through the wrong official", Call: testapp.Call{User: "admin", Method: "DELETE", Path: "/api/v1/officials/{official:baocao.pleiku}/tokens/{var:tokID}"}, Status: 404},
		{Name: "the list shows the revocation", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/me/tokens"}, Status: 200,
			Contains: []string{`"revokedAt":`}},

		// The audit trail.
		{Name: "admin reads the audit trail", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/audit?kind=token.create&subject=baocao.ankhe"}, Status: 200,
			Header: map[string]string{"X-Total-Count": "1"}, Contains: []string{`"kind":"token.create"`, `"actor":"baocao.ankhe"`, `Báo cáo tự động`}},
		{Name: "audit: access denials are there", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/audit?kind=access.denied&subject=baocao.pleiku&limit=1"}, Status: 200,
			Header: map[string]string{"Link": `rel="next"`}, Contains: []string{`"success":false`, `"actor":"baocao.pleiku"`}},
		{Name: "audit: bad limit", Call: testapp.Call{User: "admin", Method: "GET", Path: "/api/v1/audit?limit=5000"}, Status: 422, Fields: []string{"limit"}},
		{Name: "a leader may not read the audit trail", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/audit"}, Status: 403,
			Before: snapDenied("lanhdao"), Check: deniedOnce("lanhdao")},
		{Name: "a reporter may not read the audit trail", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/audit"}, Status: 403},
	}
}

// unitDetail is the part of GET /api/v1/orgunits/{id} the table reads.
type unitDetail struct {
	Code         string
	Name         string
	ValidTo      string
	Path         []coded
	Children     []coded
	Heirs        []coded
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
