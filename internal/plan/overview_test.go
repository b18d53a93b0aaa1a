package plan_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/testapp"
)

// The leader's overview through the API: leaders, coordinators and
// administrators see it over their scopes; reporters and approvers are
// refused; the sections of other parts are present and empty until those
// parts fill them.
func TestOverviewAPI(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		t.Parallel()
		vars := map[string]string{}
		check := func(t *testing.T, app *testapp.App, body []byte, h http.Header) {
			var o plan.Overview
			if err := json.Unmarshal(body, &o); err != nil {
				t.Fatal(err)
			}
			if o.Plans == 0 || o.Tasks["total"] == 0 || o.Targets["total"] == 0 || len(o.Pillars) == 0 || len(o.Trend) != 12 {
				t.Errorf("overview %+v", o)
			}
			sum := 0
			for _, p := range o.Pillars {
				sum += p.Total
			}
			if sum != o.Targets["total"] {
				t.Errorf("pillars hold %d targets, the total says %d", sum, o.Targets["total"])
			}
			if len(o.OverdueUnits) == 0 || len(o.OverdueUnits) > plan.OverviewUnits || o.OverdueUnits[0].Overdue < o.OverdueUnits[len(o.OverdueUnits)-1].Overdue {
				t.Errorf("overdue units %+v", o.OverdueUnits)
			}
			if o.Trend[11].Month != o.AsOf[:7] {
				t.Errorf("the trend ends in %s, today is %s", o.Trend[11].Month, o.AsOf)
			}
		}
		table := []testapp.Scenario{
			{Name: "the leader", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/overview"}, Status: 200,
				Contains: []string{`"pillars":[`, `"overdueUnits":[`, `"trend":[`, `"approvals":{"total":7,`, `"directives":{"meeting":"48/TB-BCĐ, 30/06/2026"`}, Check: check},
			{Name: "the coordinator", Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: "/api/v1/overview"}, Status: 200, Check: check},
			{Name: "Lai Châu's administrator sees Lai Châu", Call: testapp.Call{User: "quantri.laichau", Method: "GET", Path: "/api/v1/overview"}, Status: 200},
			{Name: "a reporter is refused", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/overview"}, Status: 403},
			{Name: "an approver is refused", Call: testapp.Call{User: "pheduyet.tinh", Method: "GET", Path: "/api/v1/overview"}, Status: 403},
			{Name: "anonymous", Call: testapp.Call{Method: "GET", Path: "/api/v1/overview"}, Status: 401},
		}
		app.Run(t, vars, table)
		app.CheckCoverage(t, vars, table, "overview")
	})
}

// The overview's pages: the charts, the units, the trend, every figure a
// link to its list; the list of targets behind a figure; the home page's
// lines; refused to a reporter.
func TestOverviewPages(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		t.Parallel()
		leader := app.Login(t, "lanhdao")
		status, body := leader.Get(t, "/overview")
		if status != 200 {
			t.Fatalf("overview: %d\n%s", status, body)
		}
		for _, want := range []string{"Tổng quan chương trình", `<svg class="chart bars"`, `<svg class="chart trend"`, "Chỉ tiêu theo trụ cột và tình trạng",
			`href="/overview/targets?pillar=`, `href="/tasks?role=lead&amp;scope=all&amp;status=overdue&amp;unit=`, `href="/review?month=`,
			"Đơn vị có nhiều nhiệm vụ quá hạn nhất", "Xu hướng 12 tháng", "Chính quyền số"} {
			if !strings.Contains(body, want) {
				t.Errorf("overview lacks %q", want)
			}
		}
		// The directives of the demo's last conclusion (meeting_demo.go).
		if !strings.Contains(body, `id="directives"`) || !strings.Contains(body, "Rà soát, cập nhật Kiến trúc chính quyền số") {
			t.Error("the overview does not show the last conclusion's directives")
		}
		// The demo's reports waiting for their unit's approval (approval.go),
		// each unit linking to its part of the review.
		if !strings.Contains(body, `id="approvals"`) || !strings.Contains(body, `/review?unit=`) {
			t.Error("the overview does not show the reports waiting for approval")
		}
		status, body = leader.Get(t, "/overview/targets?status=achieved")
		if status != 200 || !strings.Contains(body, `href="/targets/`) || strings.Contains(body, `data-status="off_track"`) {
			t.Errorf("targets achieved: %d\n%s", status, body)
		}
		if status, _ = leader.Get(t, "/overview/targets?status=late"); status != 422 {
			t.Errorf("an unknown status: %d", status)
		}
		status, body = leader.Get(t, "/")
		if status != 200 || !strings.Contains(body, `href="/overview"`) || !strings.Contains(body, "chỉ tiêu đã đạt hoặc đúng tiến độ") {
			t.Errorf("home: %d\n%s", status, body)
		}
		reporter := app.Login(t, "baocao.pleiku")
		if status, _ = reporter.Get(t, "/overview"); status != 403 {
			t.Errorf("reporter: %d", status)
		}
		if _, body = reporter.Get(t, "/"); strings.Contains(body, `href="/overview"`) {
			t.Errorf("the reporter's home links to the overview")
		}
	})
}
