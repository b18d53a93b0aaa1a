package plan

import (
	"math"
	"net/http"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
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
	Prev, Next  string // neighbouring months, Next empty after the current one
	Targets     []reviewTarget
	League      []leagueRow
	PillarNames map[string]string
	Generated   time.Time
	Counts      map[string]int // tasks listed in each section
	MoreTargets int            // all targets at risk, when the screen shows fewer
	// MoreReassign is the number of tasks to be reassigned when the screen
	// shows fewer.
	MoreReassign int
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
		ctx := r.Context()
		if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewReview, 0); err != nil {
			return err
		}
		rv, err := s.review(r)
		var ferr error
		if e, ok := errs.As(err); ok && len(e.Fields) > 0 {
			// A month typed wrong: show this month, and say so.
			ferr = err
			rv, err = s.ReviewFor(ctx, org.Today()[:7], s.org.Scopes(org.PrincipalFrom(ctx), ViewReview), org.Today())
		}
		if err != nil {
			return err
		}
		names, _, err := s.pillarNames(r)
		if err != nil {
			return err
		}
		lang := locale.FromRequest(r)
		d := reviewData{Review: rv, Print: print, MonthLabel: monthLabel(lang, rv.Month), PillarNames: names, Generated: time.Now(), Counts: map[string]int{}}
		if m, err := time.Parse("2006-01", rv.Month); err == nil {
			d.Prev = m.AddDate(0, -1, 0).Format("2006-01")
			if next := m.AddDate(0, 1, 0).Format("2006-01"); next <= org.Today()[:7] {
				d.Next = next
			}
		}
		plans, err := s.Plans(ctx, "")
		if err != nil {
			return err
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
			// On screen each unit shows its most urgent tasks and links to
			// the rest; the printed review and the workbook hold them all.
			// Units come most-loaded first; each shows up to five tasks
			// while the section's budget of lines lasts, then one line per
			// unit with a link to its tasks.
			for _, list := range []*[]UnitTasks{&d.Review.Overdue, &d.Review.DueSoon, &d.Review.Completed} {
				budget := screenTaskLines
				for i := range *list {
					ut := &(*list)[i]
					keep := min(screenTasksPerUnit, budget, len(ut.Tasks))
					ut.Tasks = ut.Tasks[:keep]
					budget -= keep
				}
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
		renderWith(reviewPage, w, r, ferr, d)
		return nil
	}
}
