package plan

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/officialdoc"
	"github.com/tinhso/tinhso/internal/org"
)

// ---- /review ----

type reviewTarget struct {
	Target
	PlanNumber string
	Latest     []Actual
}

// leagueRow is a unit's standing with its share done in percent.
type leagueRow struct {
	LeagueRow
	Pct float64
}

type reviewData struct {
	Review
	Print       bool
	MonthLabel  string
	Prev, Next  string // links to the neighbouring months, Next empty after the current one
	PrintLink   string // the print view and the workbook, of the same filters
	XLSXLink    string
	ScreenLink  string
	Filter      reviewFilters
	PlanOptions []option
	UnitOptions []option
	PlanLabel   string // the plan and unit filtered on, named
	UnitLabel   string
	Targets     []reviewTarget
	League      []leagueRow
	PillarNames map[string]string
	Generated   time.Time
	Counts      map[string]int // tasks listed in each section
	MoreTargets int            // all targets at risk, when the screen shows fewer
	// MoreReassign is the number of tasks to be reassigned when the screen
	// shows fewer.
	MoreReassign int
	// Conclusions are the Steering Committee's conclusions with open
	// directives (document.go); Doc is the print view's short review in
	// the administrative layout, PDFLink its download.
	Conclusions []conclusionStatus
	Doc         officialdoc.Doc
	PDFLink     string
}

// trimForScreen keeps, on screen, each unit's most urgent tasks; the page
// links to the rest, and the printed review and the workbook hold them
// all. Units come most-loaded first; each shows up to screenTasksPerUnit
// tasks while the section's budget of lines lasts, then none: one line
// with a link to its tasks ("Xem 2 nhiệm vụ của …", never "Đang hiện 0
// trong 2").
func trimForScreen(list []UnitTasks) {
	budget := screenTaskLines
	for i := range list {
		keep := min(screenTasksPerUnit, budget, len(list[i].Tasks))
		list[i].Tasks = list[i].Tasks[:keep]
		budget -= keep
	}
}

// reviewFilters is what the review's filter form holds, to show it again.
type reviewFilters struct{ Plan, Unit string }

func (f reviewFilters) Active() bool { return f.Plan != "" || f.Unit != "" }

// reviewOptions are the choices of the review's filters: the plans in the
// viewer's scopes, and the lead units of the month's whole review (as they
// answer today), in Vietnamese order of their labels.
func (s *Store) reviewOptions(ctx context.Context, month string, plans []Plan, lang locale.Lang) (planOpts, unitOpts []option, err error) {
	p := org.PrincipalFrom(ctx)
	scopes := s.org.Scopes(p, ViewReview)
	inScope, err := s.plansInScope(ctx, scopes)
	if err != nil {
		return nil, nil, err
	}
	for _, pl := range plans {
		if !contains64(inScope, pl.ID) {
			continue
		}
		label := pl.Number
		if label == "" {
			label = locale.T(lang, "plan.no_number") + " · " + pl.Issuer
		}
		label += " — " + shorten(pl.Title, 60)
		planOpts = append(planOpts, option{Value: strconv.FormatInt(pl.ID, 10), Label: label})
	}
	whole, err := s.ReviewFor(ctx, month, scopes, org.Today())
	if err != nil {
		return nil, nil, err
	}
	units := make([]UnitRef, 0, len(whole.League))
	for _, row := range whole.League {
		units = append(units, row.Unit)
	}
	col := locale.Collator()
	slices.SortFunc(units, func(a, b UnitRef) int { return col.CompareString(a.Label, b.Label) })
	for _, u := range units {
		unitOpts = append(unitOpts, option{Value: strconv.FormatInt(u.ID, 10), Label: u.Label + " (" + u.Code + ")"})
	}
	return planOpts, unitOpts, nil
}

// shorten cuts s to at most n letters, at a word, with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndex(cut, " "); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// On screen the review stays readable at a province's scale: the printed
// review and the workbook hold every line.
const (
	screenTasksPerUnit = 5  // tasks shown per unit
	screenTaskLines    = 60 // task lines per section
	screenTargets      = 30 // targets off track or at risk shown
	screenReassign     = 30 // tasks to be reassigned shown
)

func (s *Store) reviewShow(print bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		d, ferr, err := s.reviewPageData(r, print)
		if err != nil {
			return err
		}
		renderWith(reviewPage, w, r, ferr, d)
		return nil
	}
}

// reviewPageData builds the review page's data (the screen, the print view
// and the PDF); ferr is a filter typed wrong, shown above this month's
// whole review.
func (s *Store) reviewPageData(r *http.Request, print bool) (reviewData, error, error) {
	var d reviewData
	{
		ctx := r.Context()
		if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewReview, 0); err != nil {
			return d, nil, err
		}
		rv, err := s.review(r)
		var ferr error
		fv := reviewFilters{Plan: r.URL.Query().Get("plan"), Unit: r.URL.Query().Get("unit")}
		if e, ok := errs.As(err); ok && len(e.Fields) > 0 {
			// A month or filter typed wrong: show this month whole, and say so.
			ferr = err
			fv = reviewFilters{}
			rv, err = s.ReviewFor(ctx, org.Today()[:7], s.org.Scopes(org.PrincipalFrom(ctx), ViewReview), org.Today())
		}
		if err != nil {
			return d, nil, err
		}
		names, _, err := s.pillarNames(r)
		if err != nil {
			return d, nil, err
		}
		lang := locale.FromRequest(r)
		d = reviewData{Review: rv, Print: print, MonthLabel: monthLabel(lang, rv.Month), PillarNames: names, Generated: time.Now(), Counts: map[string]int{}, Filter: fv}
		link := func(path, month string) string {
			q := url.Values{"month": {month}}
			if fv.Plan != "" {
				q.Set("plan", fv.Plan)
			}
			if fv.Unit != "" {
				q.Set("unit", fv.Unit)
			}
			return path + "?" + q.Encode()
		}
		if m, err := time.Parse("2006-01", rv.Month); err == nil {
			d.Prev = link("/review", m.AddDate(0, -1, 0).Format("2006-01"))
			if next := m.AddDate(0, 1, 0).Format("2006-01"); next <= org.Today()[:7] {
				d.Next = link("/review", next)
			}
		}
		d.PrintLink, d.XLSXLink, d.ScreenLink = link("/review/print", rv.Month), link("/review.xlsx", rv.Month), link("/review", rv.Month)
		d.PDFLink = link("/review.pdf", rv.Month)
		plans, err := s.Plans(ctx, "")
		if err != nil {
			return d, nil, err
		}
		if d.PlanOptions, d.UnitOptions, err = s.reviewOptions(ctx, rv.Month, plans, lang); err != nil {
			return d, nil, err
		}
		for _, o := range d.PlanOptions {
			if o.Value == fv.Plan {
				d.PlanLabel = o.Label
			}
		}
		if fv.Unit != "" {
			id, _ := strconv.ParseInt(fv.Unit, 10, 64)
			if u, err := s.org.Unit(ctx, id, ""); err == nil {
				d.UnitLabel = s.org.LabelOf(ctx, u)
				if !slices.ContainsFunc(d.UnitOptions, func(o option) bool { return o.Value == fv.Unit }) {
					// Not a lead unit this month: still the one chosen.
					d.UnitOptions = append([]option{{Value: fv.Unit, Label: d.UnitLabel + " (" + u.Code + ")"}}, d.UnitOptions...)
				}
			}
		}
		numbers := map[int64]string{}
		for _, p := range plans {
			numbers[p.ID] = p.Number
			if p.Number == "" {
				numbers[p.ID] = p.Issuer
			}
		}
		for i, rt := range d.Review.Reassign {
			// A plan without a number (a conference's tasks) is named by its issuer.
			d.Review.Reassign[i].PlanNumber = numbers[rt.PlanID]
		}
		for _, t := range rv.Targets {
			d.Targets = append(d.Targets, reviewTarget{Target: t, PlanNumber: numbers[t.PlanID], Latest: latest(t.Actuals)})
		}
		for _, row := range rv.League {
			d.League = append(d.League, leagueRow{LeagueRow: row, Pct: math.Round(row.DoneShare*1000) / 10})
		}
		for name, list := range map[string][]UnitTasks{"overdue": rv.Overdue, "due_soon": rv.DueSoon, "completed": rv.Completed} {
			for _, ut := range list {
				d.Counts[name] += len(ut.Tasks)
			}
		}
		if !print {
			for _, list := range []*[]UnitTasks{&d.Review.Overdue, &d.Review.DueSoon, &d.Review.Completed} {
				trimForScreen(*list)
			}
			if len(d.Review.Reassign) > screenReassign {
				d.MoreReassign = len(d.Review.Reassign)
				d.Review.Reassign = d.Review.Reassign[:screenReassign]
			}
			if len(d.Targets) > screenTargets {
				d.MoreTargets = len(d.Targets)
				d.Targets = d.Targets[:screenTargets]
			}
		}
		// Directives: named «theo Kết luận số …», and each open
		// conclusion's directives listed (meeting.go, document.go).
		sources, err := s.conclusionSources(ctx)
		if err != nil {
			return d, nil, err
		}
		if len(sources) > 0 {
			for _, list := range []*[]UnitTasks{&d.Review.Overdue, &d.Review.DueSoon, &d.Review.Completed} {
				for i := range *list {
					ut := &(*list)[i]
					ut.Tasks = slices.Clone(ut.Tasks) // the cached review's are shared
					for j := range ut.Tasks {
						ut.Tasks[j].PlanNumber = sourceLabel(lang, sources, ut.Tasks[j].PlanID, ut.Tasks[j].PlanNumber)
					}
				}
			}
			for i, rt := range d.Review.Reassign {
				d.Review.Reassign[i].PlanNumber = sourceLabel(lang, sources, rt.PlanID, rt.PlanNumber)
			}
			conclusionPlans, err := s.plansInScope(ctx, s.org.Scopes(org.PrincipalFrom(ctx), ViewReview))
			if err != nil {
				return d, nil, err
			}
			if fv.Plan != "" {
				id, _ := strconv.ParseInt(fv.Plan, 10, 64)
				conclusionPlans = slices.DeleteFunc(conclusionPlans, func(p int64) bool { return p != id })
			}
			if d.Conclusions, err = s.reviewConclusions(ctx, rv, conclusionPlans); err != nil {
				return d, nil, err
			}
			if fv.Unit != "" {
				unit, _ := strconv.ParseInt(fv.Unit, 10, 64)
				d.Conclusions = onlyUnit(d.Conclusions, unit)
			}
		}
		if print {
			d.Doc = s.reviewDoc(ctx, lang, org.PrincipalFrom(ctx), d, false)
		}
		return d, ferr, nil
	}
}
