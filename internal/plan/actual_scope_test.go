package plan_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

// An actual value is recorded only for a unit in the target's scope: the
// unit answering for it, the units under it, and their successors. A unit
// that does not exist is a 422 naming unitId, never a 500.
func TestActualUnitInTargetScope(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		id := planID(t, app, "1331/KH-UBND")
		_, body, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/plans/%d/targets", id), "")
		var targets []plan.Target
		testapp.JSON(t, body, &targets)
		path := fmt.Sprintf("/api/v1/targets/%d/actuals", targets[0].ID)
		actual := func(unit string) string {
			return `{"measuredOn":"2026-06-30","value":25,"evidence":"Báo cáo 12/BC-SKHCN"` + unit + `}`
		}
		for _, c := range []struct {
			name, unit, field, message string
		}{
			{"a Lai Châu commune", fmt.Sprintf(`,"unitId":%d`, app.UnitID(t, "LC.X.BANBO")), "unitId", "LC.X.BANBO"},
			{"Lai Châu itself", fmt.Sprintf(`,"unitId":%d`, app.UnitID(t, "LC")), "unitId", "không thuộc phạm vi của chỉ tiêu"},
			{"the nation above the province", fmt.Sprintf(`,"unitId":%d`, app.UnitID(t, "VN")), "unitId", "không thuộc phạm vi"},
			{"a unit that does not exist", `,"unitId":999999`, "unitId", "không tìm thấy"},
			{"a negative unit", `,"unitId":-4`, "unitId", "không tìm thấy"},
		} {
			before := count(t, app, "target_actuals")
			status, body, _ := app.Do(t, "dieuphoi", "POST", path, actual(c.unit))
			if status != 422 || !strings.Contains(string(body), `"field":"`+c.field+`"`) || !strings.Contains(string(body), c.message) {
				t.Errorf("%s: %d %s", c.name, status, body)
			}
			if count(t, app, "target_actuals") != before {
				t.Errorf("%s: a refused actual was written", c.name)
			}
		}
		// In scope: a district of the old Gia Lai, the new Gia Lai's
		// commune, and by default the coordinator's own department.
		for _, c := range []struct{ unit, want string }{
			{fmt.Sprintf(`,"unitId":%d`, app.UnitID(t, "GL.PLEIKU")), "GL.PLEIKU"},
			{fmt.Sprintf(`,"unitId":%d`, app.UnitID(t, "GL25.X.GAO")), "GL25.X.GAO"},
			{"", "GL25.SKHCN"},
		} {
			status, body, _ := app.Do(t, "dieuphoi", "POST", path, actual(c.unit))
			if status != 201 {
				t.Fatalf("actual for %s: %d %s", c.want, status, body)
			}
			var tg plan.Target
			testapp.JSON(t, body, &tg)
			last := tg.Actuals[len(tg.Actuals)-1]
			for _, a := range tg.Actuals {
				if a.ID > last.ID {
					last = a
				}
			}
			if last.Unit == nil || last.Unit.Code != c.want {
				t.Errorf("the actual is for %+v, want %s", last.Unit, c.want)
			}
		}
	})
}
