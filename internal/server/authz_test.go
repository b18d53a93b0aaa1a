package server_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/testapp"
)

// An action is something an official tries through the API, on a target:
// a unit code or a username.
type action struct {
	name string
	call func(t *testing.T, app *testapp.App, who, target string, n int) testapp.Call
}

var (
	listOfficials = action{"list officials of", func(t *testing.T, app *testapp.App, who, unit string, _ int) testapp.Call {
		if unit == "" {
			return testapp.Call{User: who, Method: "GET", Path: "/api/v1/officials"}
		}
		return testapp.Call{User: who, Method: "GET", Path: "/api/v1/officials?unit={unit:" + unit + "}"}
	}}
	viewOfficial = action{"view official", func(t *testing.T, app *testapp.App, who, username string, _ int) testapp.Call {
		return testapp.Call{User: who, Method: "GET", Path: "/api/v1/officials/{official:" + username + "}"}
	}}
	editOfficial = action{"edit official", func(t *testing.T, app *testapp.App, who, username string, _ int) testapp.Call {
		// Send the official back unchanged: the matrix is about the right
		// to write, not about what is written.
		o, err := app.Org.Official(t.Context(), app.OfficialID(t, username))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(org.OfficialInput{FullName: o.FullName, Email: o.Email, Title: o.Title, UnitID: o.UnitID, Roles: o.Roles})
		return testapp.Call{User: who, Method: "PUT", Path: "/api/v1/officials/{official:" + username + "}", Body: string(b)}
	}}
	disableOfficial = action{"disable official", func(t *testing.T, app *testapp.App, who, username string, _ int) testapp.Call {
		return testapp.Call{User: who, Method: "POST", Path: "/api/v1/officials/{official:" + username + "}/disable"}
	}}
	resetPassword = action{"reset the password of", func(t *testing.T, app *testapp.App, who, username string, _ int) testapp.Call {
		return testapp.Call{User: who, Method: "POST", Path: "/api/v1/officials/{official:" + username + "}/password", Body: `{"password":"mat-khau-ma-tran"}`}
	}}
	addOfficialIn = action{"add an official in", func(t *testing.T, app *testapp.App, who, unit string, n int) testapp.Call {
		return testapp.Call{User: who, Method: "POST", Path: "/api/v1/officials",
			Body: fmt.Sprintf(`{"username":"matran.%d","fullName":"Cán Bộ Ma Trận %d","unitId":{unit:%s},"password":"mat-khau-ma-tran"}`, n, n, unit)}
	}}
	grantRoleOver = action{"add an official of their own unit, reporter over", func(t *testing.T, app *testapp.App, who, scope string, n int) testapp.Call {
		me, err := app.Org.OfficialByUsername(t.Context(), who)
		if err != nil {
			t.Fatal(err)
		}
		return testapp.Call{User: who, Method: "POST", Path: "/api/v1/officials",
			Body: fmt.Sprintf(`{"username":"matran.%d","fullName":"Cán Bộ Ma Trận %d","unitId":%d,"roles":[{"role":"reporter","scopeId":{unit:%s}}],"password":"mat-khau-ma-tran"}`, n, n, me.UnitID, scope)}
	}}
	addUnitUnder = action{"add a commune under", func(t *testing.T, app *testapp.App, who, unit string, n int) testapp.Call {
		return testapp.Call{User: who, Method: "POST", Path: "/api/v1/orgunits",
			Body: fmt.Sprintf(`{"code":"MT.%d","name":"Xã Ma Trận %d","kind":"commune","parentId":{unit:%s}}`, n, n, unit)}
	}}
	correctUnit = action{"correct unit", func(t *testing.T, app *testapp.App, who, code string, _ int) testapp.Call {
		u, err := app.Org.UnitByCode(t.Context(), code, "")
		if err != nil {
			t.Fatal(err)
		}
		return testapp.Call{User: who, Method: "PUT", Path: "/api/v1/orgunits/{unit:" + code + "}",
			Body: fmt.Sprintf(`{"name":%q,"kind":%q,"sortOrder":%d}`, u.Name, u.Kind, u.SortOrder)}
	}}
	renameUnit = action{"rename unit", func(t *testing.T, app *testapp.App, who, code string, n int) testapp.Call {
		return testapp.Call{User: who, Method: "POST", Path: "/api/v1/reorganisations",
			Body: fmt.Sprintf(`{"kind":"rename","date":"2025-12-01","subject":%q,"name":"Tên Ma Trận %d"}`, code, n)}
	}}
	addTwoHats = action{"add hai.vai, reporter in their unit and coordinator of GL25, in", func(t *testing.T, app *testapp.App, who, unit string, _ int) testapp.Call {
		return testapp.Call{User: who, Method: "POST", Path: "/api/v1/officials",
			Body: `{"username":"hai.vai","fullName":"Hà Thị Hai Vai","unitId":{unit:` + unit + `},"roles":[{"role":"reporter"},{"role":"coordinator","scopeId":{unit:GL25}}],"password":"mat-khau-ma-tran"}`}
	}}
	stripRoles = action{"take every role from", func(t *testing.T, app *testapp.App, who, username string, _ int) testapp.Call {
		o, err := app.Org.Official(t.Context(), app.OfficialID(t, username))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(org.OfficialInput{FullName: o.FullName, UnitID: o.UnitID, Roles: []org.Grant{}})
		return testapp.Call{User: who, Method: "PUT", Path: "/api/v1/officials/{official:" + username + "}", Body: string(b)}
	}}
	readAudit = action{"read the audit trail", func(t *testing.T, app *testapp.App, who, _ string, _ int) testapp.Call {
		return testapp.Call{User: who, Method: "GET", Path: "/api/v1/audit"}
	}}
	splitOffTopLevel = action{"split two communes and a parentless province off", func(t *testing.T, app *testapp.App, who, code string, n int) testapp.Call {
		return testapp.Call{User: who, Method: "POST", Path: "/api/v1/reorganisations",
			Body: fmt.Sprintf(`{"kind":"split","date":"2025-12-01","from":[%q],"newUnits":[{"code":"MT.%d","name":"Xã Ma Trận %d","kind":"commune","parentId":{unit:LC}},{"code":"MTP.%d","name":"Tỉnh Ma Trận %d","kind":"province"}]}`, code, n, n, n, n)}
	}}
	mergeIntoTopLevel = action{"merge into a new parentless province", func(t *testing.T, app *testapp.App, who, codes string, n int) testapp.Call {
		a, b, _ := strings.Cut(codes, "+")
		return testapp.Call{User: who, Method: "POST", Path: "/api/v1/reorganisations",
			Body: fmt.Sprintf(`{"kind":"merge","date":"2025-12-01","from":[%q,%q],"newUnits":[{"code":"MTP.%d","name":"Tỉnh Ma Trận %d","kind":"province"}]}`, a, b, n, n)}
	}}
	listUnits = action{"list org units", func(t *testing.T, app *testapp.App, who, _ string, _ int) testapp.Call {
		return testapp.Call{User: who, Method: "GET", Path: "/api/v1/orgunits?level=province"}
	}}
)

// TestAuthorizationMatrix walks roles × units × actions through the API.
// The demo's officials: admin (whole country), dieuphoi (coordinator of the
// new Gia Lai, GL25), lanhdao (leader of GL25), pheduyet.pleiku and
// baocao.pleiku (approver and reporter of Thành phố Pleiku, a 2022 district
// of the old Gia Lai), baocao.ankhe (reporter of Thị xã An Khê, another),
// quantri.laichau (admin of Lai Châu only), baocao.laichau (reporter of
// Lai Châu's Sở KH&CN). Every refusal must leave one access.denied row in
// the audit trail and nothing else behind.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	pleiku := []string{"pheduyet.pleiku", "baocao.pleiku"}
	laichau := []string{"quantri.laichau", "baocao.laichau"}
	matrix := []authzRow{
		// The national administrator may do everything, anywhere.
		{"admin", listOfficials, "", 200, append(append([]string{"admin", "dieuphoi", "lanhdao", "baocao.ankhe"}, pleiku...), laichau...), nil},
		{"admin", viewOfficial, "baocao.ankhe", 200, nil, nil},
		{"admin", editOfficial, "baocao.laichau", 200, nil, nil},
		{"admin", addOfficialIn, "GL25.SKHCN", 201, nil, nil},
		{"admin", grantRoleOver, "LC", 201, nil, nil},
		{"admin", addUnitUnder, "LC", 201, nil, nil},
		{"admin", correctUnit, "GL25.X.GAO", 200, nil, nil},
		{"admin", renameUnit, "LC.X.BANBO", 201, nil, nil},
		{"admin", readAudit, "", 200, nil, nil},

		// A reporter of a 2022 district sees their district's officials and
		// nobody else's, and changes nothing.
		{"baocao.pleiku", listOfficials, "GL.PLEIKU", 200, pleiku, nil},
		{"baocao.pleiku", listOfficials, "GL.ANKHE", 403, nil, nil},
		{"baocao.pleiku", listOfficials, "", 200, pleiku, append([]string{"admin", "dieuphoi", "lanhdao", "baocao.ankhe"}, laichau...)},
		{"baocao.pleiku", viewOfficial, "pheduyet.pleiku", 200, nil, nil},
		{"baocao.pleiku", viewOfficial, "baocao.ankhe", 403, nil, nil},
		{"baocao.pleiku", viewOfficial, "baocao.laichau", 403, nil, nil},
		{"baocao.pleiku", viewOfficial, "lanhdao", 403, nil, nil},
		{"baocao.pleiku", editOfficial, "pheduyet.pleiku", 403, nil, nil},
		{"baocao.pleiku", editOfficial, "baocao.pleiku", 403, nil, nil},
		{"baocao.pleiku", editOfficial, "baocao.ankhe", 403, nil, nil},
		{"baocao.pleiku", disableOfficial, "baocao.ankhe", 403, nil, nil},
		{"baocao.pleiku", resetPassword, "pheduyet.pleiku", 403, nil, nil},
		{"baocao.pleiku", addOfficialIn, "GL.PLEIKU", 403, nil, nil},
		{"baocao.pleiku", addUnitUnder, "GL25", 403, nil, nil},
		{"baocao.pleiku", correctUnit, "GL.PLEIKU", 403, nil, nil},
		{"baocao.pleiku", renameUnit, "GL25.P.PLEIKU", 403, nil, nil},
		{"baocao.pleiku", readAudit, "", 403, nil, nil},
		{"baocao.pleiku", listUnits, "", 200, nil, nil},

		// The other district, the other way round.
		{"baocao.ankhe", listOfficials, "GL.PLEIKU", 403, nil, nil},
		{"baocao.ankhe", viewOfficial, "baocao.pleiku", 403, nil, nil},
		{"baocao.ankhe", viewOfficial, "baocao.ankhe", 200, nil, nil},

		// An approver reads their district, like its reporter.
		{"pheduyet.pleiku", viewOfficial, "baocao.pleiku", 200, nil, nil},
		{"pheduyet.pleiku", viewOfficial, "baocao.ankhe", 403, nil, nil},
		{"pheduyet.pleiku", editOfficial, "baocao.pleiku", 403, nil, nil},

		// Lai Châu's administrator manages Lai Châu and nothing else.
		{"quantri.laichau", listOfficials, "", 200, laichau, append([]string{"admin", "dieuphoi", "lanhdao", "baocao.ankhe"}, pleiku...)},
		{"quantri.laichau", addOfficialIn, "LC.SKHCN", 201, nil, nil},
		{"quantri.laichau", addOfficialIn, "GL25.SKHCN", 403, nil, nil},
		{"quantri.laichau", addOfficialIn, "VN", 403, nil, nil},
		{"quantri.laichau", grantRoleOver, "LC.X.BANBO", 201, nil, nil},
		{"quantri.laichau", grantRoleOver, "GL25", 403, nil, nil},
		{"quantri.laichau", grantRoleOver, "VN", 403, nil, nil},
		{"quantri.laichau", viewOfficial, "baocao.laichau", 200, nil, nil},
		{"quantri.laichau", editOfficial, "baocao.laichau", 200, nil, nil},
		// An official of Lai Châu who also coordinates in Gia Lai: Lai
		// Châu's admin may edit them, keeping the Gia Lai role, but may not
		// take it away.
		{"admin", addTwoHats, "LC.SKHCN", 201, nil, nil},
		{"quantri.laichau", editOfficial, "hai.vai", 200, nil, nil},
		{"quantri.laichau", stripRoles, "hai.vai", 403, nil, nil},
		{"admin", stripRoles, "hai.vai", 200, nil, nil},
		{"quantri.laichau", viewOfficial, "dieuphoi", 403, nil, nil},
		{"quantri.laichau", editOfficial, "dieuphoi", 403, nil, nil},
		{"quantri.laichau", disableOfficial, "admin", 403, nil, nil},
		{"quantri.laichau", resetPassword, "admin", 403, nil, nil},
		{"quantri.laichau", addUnitUnder, "LC", 201, nil, nil},
		{"quantri.laichau", addUnitUnder, "GL25", 403, nil, nil},
		{"quantri.laichau", correctUnit, "LC.X.PACTA", 200, nil, nil},
		{"quantri.laichau", correctUnit, "GL25.X.GAO", 403, nil, nil},
		{"quantri.laichau", renameUnit, "LC.X.NAMSO", 201, nil, nil},
		{"quantri.laichau", renameUnit, "GL25.X.IALY", 403, nil, nil},
		// A unit without a parent lies in no province: only an admin of the
		// whole tree may create one, by a reorganisation as directly.
		{"quantri.laichau", mergeIntoTopLevel, "LC.X.SINHO+LC.X.SILOLAU", 403, nil, nil},
		{"quantri.laichau", splitOffTopLevel, "LC.X.SINHO", 403, nil, nil},
		{"admin", mergeIntoTopLevel, "LC.X.SINHO+LC.X.SILOLAU", 201, nil, nil},

		// The leader of the new Gia Lai reads everything in it, including
		// the old Gia Lai's districts through the 2025 merge, and nothing of
		// Lai Châu; and changes nothing.
		{"lanhdao", listOfficials, "GL.PLEIKU", 200, pleiku, nil},
		{"lanhdao", listOfficials, "", 200, append([]string{"dieuphoi", "lanhdao", "baocao.ankhe"}, pleiku...), append([]string{"admin"}, laichau...)},
		{"lanhdao", viewOfficial, "baocao.pleiku", 200, nil, nil},
		{"lanhdao", viewOfficial, "baocao.ankhe", 200, nil, nil},
		{"lanhdao", viewOfficial, "dieuphoi", 200, nil, nil},
		{"lanhdao", viewOfficial, "baocao.laichau", 403, nil, nil},
		{"lanhdao", viewOfficial, "admin", 403, nil, nil},
		{"lanhdao", editOfficial, "baocao.pleiku", 403, nil, nil},
		{"lanhdao", addUnitUnder, "GL25", 403, nil, nil},
		{"lanhdao", readAudit, "", 403, nil, nil},

		// The coordinator reads Gia Lai's officials but manages no units.
		{"dieuphoi", viewOfficial, "baocao.pleiku", 200, nil, nil},
		{"dieuphoi", editOfficial, "baocao.pleiku", 403, nil, nil},
		{"dieuphoi", addUnitUnder, "GL25", 403, nil, nil},
		{"dieuphoi", correctUnit, "GL25.X.GAO", 403, nil, nil},
		{"dieuphoi", renameUnit, "GL25.X.GAO", 403, nil, nil},
		{"dieuphoi", listUnits, "", 200, nil, nil},

		// A reporter of a department sees their own department.
		{"baocao.laichau", viewOfficial, "quantri.laichau", 200, nil, nil},
		{"baocao.laichau", viewOfficial, "baocao.pleiku", 403, nil, nil},
		{"baocao.laichau", listOfficials, "", 200, laichau, []string{"admin", "lanhdao", "baocao.pleiku"}},
		{"baocao.laichau", addOfficialIn, "LC.SKHCN", 403, nil, nil},
	}
	testapp.Each(t, func(t *testing.T, app *testapp.App) { authorizationMatrix(t, app, matrix) })
}

type authzRow struct {
	who   string
	do    action
	on    string
	want  int
	sees  []string // usernames a list must show
	hides []string // usernames it must not
}

func authorizationMatrix(t *testing.T, app *testapp.App, matrix []authzRow) {
	for i, row := range matrix {
		name := fmt.Sprintf("%s %s %s", row.who, row.do.name, row.on)
		t.Run(strings.TrimSpace(name), func(t *testing.T) {
			c := row.do.call(t, app, row.who, row.on, i)
			app.Token(t, row.who) // issued before counting rows
			before := rowCounts(t, app)
			deniedBefore := app.Denials(t, row.who)
			status, body, h := app.Send(t, nil, c)
			if status != row.want {
				t.Fatalf("%s %s: status %d, want %d\n%s", c.Method, c.Path, status, row.want, body)
			}
			after := rowCounts(t, app)
			denied := app.Denials(t, row.who) - deniedBefore
			if row.want == 403 {
				testapp.CheckProblem(t, 403, body, h)
				if denied != 1 {
					t.Errorf("a refusal wrote %d access.denied rows, want 1", denied)
				}
				var detail string
				app.DB.Read.QueryRow(`SELECT detail FROM audit_events WHERE kind = 'access.denied' AND actor = $1 ORDER BY id DESC LIMIT 1`, row.who).Scan(&detail)
				if path, _, _ := strings.Cut(app.Expand(t, nil, c.Path), "?"); detail != c.Method+" "+path {
					t.Errorf("access.denied detail %q, want %q", detail, c.Method+" "+path)
				}
				for table, n := range before {
					if want := n + map[bool]int{true: 1}[table == "audit_events"]; after[table] != want {
						t.Errorf("%s: %d rows before a refusal, %d after", table, n, after[table])
					}
				}
			} else if denied != 0 {
				t.Errorf("an allowed call wrote %d access.denied rows", denied)
			}
			if row.sees != nil || row.hides != nil {
				got := usernames(t, body)
				for _, u := range row.sees {
					if !slices.Contains(got, u) {
						t.Errorf("%s does not see %s in %v", row.who, u, got)
					}
				}
				for _, u := range row.hides {
					if slices.Contains(got, u) {
						t.Errorf("%s sees %s", row.who, u)
					}
				}
			}
		})
	}
}
