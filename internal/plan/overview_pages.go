package plan

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

// The overview's page (/overview), the list of targets behind its figures
// (/overview/targets), its API twin and its lines on the home page, for
// those who may see the review (leaders, coordinators, administrators).

var (
	overviewPage        = newPlanPage("overview.html")
	overviewTargetsPage = newPlanPage("overview_targets.html")
)

func (s *Store) overviewRoutes(site *web.Site) {
	site.AddMenu("/overview", "nav.overview", string(ViewReview))
	site.AddHome("plan-overview", s.overviewHome)
	site.Page("GET /overview", s.overviewShow)
	site.Page("GET /overview/targets", s.overviewTargetsShow)
	site.API.Handle(httpx.Route{Method: "GET", Path: "/api/v1/overview", Tag: "overview", Summary: "The leader's overview of the plans in the caller's scopes: targets by status and pillar, units by overdue tasks, 12 months' trend",
		Response: Overview{}}, func(w http.ResponseWriter, r *http.Request) error {
		o, err := s.overview(r)
		if err != nil {
			return err
		}
		httpx.JSON(w, 200, o)
		return nil
	})
}

func (s *Store) overview(r *http.Request) (Overview, error) {
	p := org.PrincipalFrom(r.Context())
	if err := s.org.Authorize(r.Context(), p, ViewReview, 0); err != nil {
		return Overview{}, err
	}
	return s.OverviewFor(r.Context(), s.org.Scopes(p, ViewReview), org.Today())
}

type overviewData struct {
	Overview
	Pillars     *BarChart
	Trend       *TrendChart
	PillarNames map[string]string
	Statuses    []string
	Month       string
	Units       []overviewUnit
	MonthsTable []overviewMonth
}

type overviewUnit struct {
	UnitOverdue
	Href string
}

type overviewMonth struct {
	MonthTrend
	Label, Href string
}

// OverdueHref is the list of a lead unit's overdue tasks.
func OverdueHref(unit int64) string {
	q := url.Values{"scope": {"all"}, "status": {"overdue"}, "role": {"lead"}}
	if unit != 0 {
		q.Set("unit", strconv.FormatInt(unit, 10))
	}
	return "/tasks?" + q.Encode()
}

func (s *Store) overviewShow(w http.ResponseWriter, r *http.Request) error {
	o, err := s.overview(r)
	if err != nil {
		return err
	}
	names, _, err := s.pillarNames(r)
	if err != nil {
		return err
	}
	lang := locale.FromRequest(r)
	d := overviewData{Overview: o, PillarNames: names, Statuses: targetStatusOrder, Month: o.AsOf[:7],
		Pillars: newBarChart(o, names, lang), Trend: newTrendChart(o, lang)}
	for _, u := range o.OverdueUnits {
		d.Units = append(d.Units, overviewUnit{UnitOverdue: u, Href: OverdueHref(u.Unit.ID)})
	}
	for _, m := range o.Trend {
		d.MonthsTable = append(d.MonthsTable, overviewMonth{MonthTrend: m, Label: monthLabel(lang, m.Month), Href: "/review?month=" + m.Month})
	}
	return overviewPage.Render(w, r, d)
}

type overviewTargetsData struct {
	Targets     []reviewTarget
	Pillar      string
	Status      string
	PillarNames map[string]string
}

// overviewTargetsShow lists the targets behind a figure of the overview:
// those of the plans in the viewer's scopes, of a pillar and/or status.
func (s *Store) overviewTargetsShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	if err := s.org.Authorize(ctx, p, ViewReview, 0); err != nil {
		return err
	}
	q := r.URL.Query()
	d := overviewTargetsData{Pillar: q.Get("pillar"), Status: q.Get("status")}
	if d.Status != "" && !contains(TargetStatuses, d.Status) {
		return errs.Invalid(errs.Field{Name: "status", Code: "one_of", Args: []any{"achieved, on_track, at_risk, off_track, not_achieved, no_data"}})
	}
	names, _, err := s.pillarNames(r)
	if err != nil {
		return err
	}
	d.PillarNames = names
	planIDs, err := s.plansInScope(ctx, s.org.Scopes(p, ViewReview))
	if err != nil {
		return err
	}
	ts, err := s.Targets(ctx, TargetFilter{PlanIDs: planIDs, Pillar: d.Pillar, Status: d.Status, AsOf: org.Today()})
	if err != nil {
		return err
	}
	plans, err := s.Plans(ctx, "")
	if err != nil {
		return err
	}
	numbers := map[int64]string{}
	for _, pl := range plans {
		numbers[pl.ID] = pl.Number
		if pl.Number == "" {
			numbers[pl.ID] = pl.Issuer
		}
	}
	for _, t := range ts {
		if d.Status != "" && t.Status != d.Status {
			continue
		}
		d.Targets = append(d.Targets, reviewTarget{Target: t, PlanNumber: numbers[t.PlanID], Latest: latest(t.Actuals)})
	}
	return overviewTargetsPage.Render(w, r, d)
}

// overviewHome puts the overview's headline figures on the home page of
// those who may see it, each linking to its list, and a line to the page.
func (s *Store) overviewHome(r *http.Request) []web.HomeItem {
	if !s.can(r, ViewReview, 0) {
		return nil
	}
	o, err := s.overview(r)
	if err != nil {
		return nil
	}
	items := []web.HomeItem{{Key: "home.overview", Href: "/overview"}}
	good := o.Targets["achieved"] + o.Targets["on_track"]
	if o.Targets["total"] > 0 {
		items = append(items, web.HomeItem{Key: "home.overview.targets", Args: []any{good, o.Targets["total"]}, Href: "/overview#targets-h"})
	}
	if n := o.Targets["off_track"] + o.Targets["not_achieved"]; n > 0 {
		items = append(items, web.HomeItem{Key: "home.overview.targets_behind", Count: n, Href: TargetsHref("", "off_track"), Alert: true})
	}
	if len(o.OverdueUnits) > 0 {
		u := o.OverdueUnits[0]
		items = append(items, web.HomeItem{Key: "home.overview.worst_unit", Args: []any{u.Unit.Label, u.Overdue}, Href: OverdueHref(u.Unit.ID), Alert: true})
	}
	if a := o.Approvals; a != nil && a.Total > 0 {
		items = append(items, web.HomeItem{Key: "home.overview.approvals", Count: a.Total, Href: a.Href})
	}
	return items
}
