package plan

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
)

// Review is the Steering Committee's monthly review (giao ban): what is
// late, what falls due, what was finished, which targets slip, and how
// each lead unit stands.
type Review struct {
	Month     string         `json:"month" doc:"YYYY-MM"`
	AsOf      string         `json:"asOf" doc:"the last day of the month, or today for the current month"`
	Overdue   []UnitTasks    `json:"overdue" doc:"tasks past due, by lead unit"`
	DueSoon   []UnitTasks    `json:"dueSoon" doc:"tasks due in the next 30 days, by lead unit"`
	Completed []UnitTasks    `json:"completed" doc:"parts completed during the month, by lead unit"`
	Reassign  []ReassignTask `json:"reassign" doc:"tasks to be reassigned (cần giao lại): no lead unit, or a lead unit that ended leaving no single heir; never in the league or the lists by unit"`
	Targets   []Target       `json:"targets" doc:"targets not achieved, off track or at risk"`
	League    []LeagueRow    `json:"league" doc:"lead units ranked by share of their tasks done, then fewest overdue"`
	Waiting   []UnitCount    `json:"waiting" doc:"progress reports waiting for their unit's approval, by unit (they do not count yet)"`
	Totals    map[string]int `json:"totals"`
}

// UnitTasks groups tasks under one lead unit.
type UnitTasks struct {
	Unit  UnitRef      `json:"unit"`
	Total int          `json:"total"`
	Tasks []ReviewTask `json:"tasks"`
}

// ReviewFilter narrows a review to one plan and/or one lead unit (the unit
// answering today, which also holds its predecessors' parts); zero values
// keep everything. A unit's targets are those it is responsible for (or,
// when a target names no unit, those of the plans it issued).
type ReviewFilter struct {
	Plan int64
	Unit int64
}

// ReviewTask is a task seen from one lead unit's part.
type ReviewTask struct {
	TaskID      int64  `json:"taskId"`
	PlanID      int64  `json:"planId"`
	PlanNumber  string `json:"planNumber"`
	Number      string `json:"number"`
	Description string `json:"description"`
	DueOn       string `json:"dueOn" doc:"the current due date"`
	// OriginalDueOn: the plan's date, when an extension moved DueOn.
	OriginalDueOn string `json:"originalDueOn,omitempty" doc:"the plan's due date, when an extension moved dueOn («đã gia hạn đến …»)"`
	Status        string `json:"status" doc:"this unit's status"`
	Progress      int    `json:"progress"`
	CompletedOn   string `json:"completedOn,omitempty"`
	DaysLate      int    `json:"daysLate,omitempty"`
}

// ReassignTask is a task nobody answers for: the coordinator must give it
// a lead unit.
type ReassignTask struct {
	TaskID      int64     `json:"taskId"`
	PlanID      int64     `json:"planId"`
	PlanNumber  string    `json:"planNumber"`
	Number      string    `json:"number"`
	Description string    `json:"description"`
	DueOn       string    `json:"dueOn"`
	Status      string    `json:"status"`
	Progress    int       `json:"progress"`
	Reason      string    `json:"reason" doc:"no_lead (the plan names no lead unit) or unit_ended (a lead unit ended leaving no single heir)"`
	EndedUnits  []UnitRef `json:"endedUnits" doc:"the lead units that ended leaving no single heir"`
}

// LeagueRow is one lead unit's standing.
type LeagueRow struct {
	Rank       int     `json:"rank"`
	Unit       UnitRef `json:"unit"`
	Tasks      int     `json:"tasks"`
	Done       int     `json:"done"`
	InProgress int     `json:"inProgress"`
	Overdue    int     `json:"overdue"`
	DoneShare  float64 `json:"doneShare" doc:"0–1"`
}

// ReviewFor builds the review of month (YYYY-MM) over the plans issued
// within scope (and their predecessors' plans). today is the current date.
//
// Reviews are cached per month, scope and day, keyed on a version of the
// data they read: a new report, actual value, import, override,
// reassignment or reorganisation (heirs included) gives a new key, so a
// cached review is never stale, and a leader opening the review again pays
// one small query.
func (s *Store) ReviewFor(ctx context.Context, month string, scopes []int64, today string) (Review, error) {
	return s.ReviewOf(ctx, month, scopes, today, ReviewFilter{})
}

// ReviewOf is ReviewFor narrowed by f (cached alike).
func (s *Store) ReviewOf(ctx context.Context, month string, scopes []int64, today string, f ReviewFilter) (Review, error) {
	version, err := s.dataVersion(ctx)
	if err != nil {
		return Review{}, err
	}
	key := fmt.Sprint(month, scopes, today, version, f)
	if r, ok := s.reviews.get(key); ok {
		return r, nil
	}
	r, err := s.computeReview(ctx, month, scopes, today, f)
	if err == nil {
		s.reviews.put(key, r)
		// The caller may change the lists (the page trims them, names
		// plans): not the cached ones.
		r = r.clone()
	}
	return r, err
}

// dataVersion changes whenever anything a review reads changes.
func (s *Store) dataVersion(ctx context.Context) (string, error) {
	// A reassignment ends some assignments and adds others (MAX(id) and
	// COUNT move) and stamps its plan's updated_at; heirs named again
	// replace rows (MAX(id) moves; COUNT when some go).
	// A report's approval, return or resubmission adds an event (MAX(id)
	// of task_update_events); a grant or an edit stamps the plan.
	var updates, reportEvents, actuals, assignments, maxAssignment, events, versions, heirs, maxHeir int64
	var plans string
	err := s.db.Read.QueryRowContext(ctx, `SELECT
		(SELECT COALESCE(MAX(id), 0) FROM task_updates),
		(SELECT COALESCE(MAX(id), 0) FROM task_update_events),
		(SELECT COALESCE(MAX(id), 0) FROM target_actuals),
		(SELECT COUNT(*) FROM task_assignments),
		(SELECT COALESCE(MAX(id), 0) FROM task_assignments),
		(SELECT COALESCE(MAX(id), 0) FROM org_events),
		(SELECT COALESCE(MAX(id), 0) FROM org_unit_versions),
		(SELECT COUNT(*) FROM org_event_heirs),
		(SELECT COALESCE(MAX(id), 0) FROM org_event_heirs),
		(SELECT COALESCE(CAST(MAX(updated_at) AS TEXT), '') || ':' || CAST(COUNT(*) AS TEXT) FROM plans)`).
		Scan(&updates, &reportEvents, &actuals, &assignments, &maxAssignment, &events, &versions, &heirs, &maxHeir, &plans)
	if err != nil {
		return "", err
	}
	// Targets read from indicators move with the values reported.
	indicators := ""
	if s.indicators != nil {
		if indicators, err = s.indicators.Version(ctx); err != nil {
			return "", err
		}
	}
	return fmt.Sprint(updates, reportEvents, actuals, assignments, maxAssignment, events, versions, heirs, maxHeir, plans, indicators), nil
}

// reviewCache holds a few recent reviews; entries also expire after five
// minutes, for changes no version column sees (a unit name corrected in
// place).
type reviewCache struct {
	mu      sync.Mutex
	entries map[string]cachedReview
}

type cachedReview struct {
	at     time.Time
	review Review
}

func (c *reviewCache) get(key string) (Review, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || time.Since(e.at) > 5*time.Minute {
		return Review{}, false
	}
	// Callers may re-slice the lists (the page trims them): hand out copies.
	return e.review.clone(), true
}

// clone copies the lists of a review that a caller may change.
func (r Review) clone() Review {
	r.Overdue, r.DueSoon, r.Completed, r.Reassign = slices.Clone(r.Overdue), slices.Clone(r.DueSoon), slices.Clone(r.Completed), slices.Clone(r.Reassign)
	r.Targets, r.League, r.Totals, r.Waiting = slices.Clone(r.Targets), slices.Clone(r.League), maps.Clone(r.Totals), slices.Clone(r.Waiting)
	return r
}

func (c *reviewCache) put(key string, r Review) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= 32 {
		c.entries = map[string]cachedReview{}
	}
	c.entries[key] = cachedReview{at: time.Now(), review: r}
}

// ComputeReview builds the review from the database, bypassing the cache.
func (s *Store) ComputeReview(ctx context.Context, month string, scopes []int64, today string) (Review, error) {
	return s.computeReview(ctx, month, scopes, today, ReviewFilter{})
}

func (s *Store) computeReview(ctx context.Context, month string, scopes []int64, today string, f ReviewFilter) (Review, error) {
	start, err := time.Parse("2006-01", month)
	if err != nil {
		return Review{}, errs.Invalid(errs.Field{Name: "month", Code: "month"})
	}
	end := start.AddDate(0, 1, -1).Format(time.DateOnly)
	asOf := end
	if today < end {
		asOf = today
	}
	r := Review{Month: month, AsOf: asOf, Totals: map[string]int{}}
	planIDs, err := s.plansInScope(ctx, scopes)
	if err != nil {
		return r, err
	}
	if f.Plan != 0 {
		planIDs = slices.DeleteFunc(planIDs, func(id int64) bool { return id != f.Plan })
	}
	soon := mustDate(asOf).AddDate(0, 0, 30).Format(time.DateOnly)
	overdue, dueSoon, completed := map[int64]*UnitTasks{}, map[int64]*UnitTasks{}, map[int64]*UnitTasks{}
	league := map[int64]*LeagueRow{}
	put := func(m map[int64]*UnitTasks, u UnitRef, t ReviewTask) {
		if m[u.ID] == nil {
			m[u.ID] = &UnitTasks{Unit: u}
		}
		m[u.ID].Tasks = append(m[u.ID].Tasks, t)
		m[u.ID].Total++
	}
	{
		// Targets are read while the tasks are: two independent reads, and
		// SQLite serves readers in parallel.
		var targets []Target
		var targetsErr error
		var wg sync.WaitGroup
		wg.Go(func() { targets, targetsErr = s.Targets(ctx, TargetFilter{PlanIDs: planIDs, AsOf: asOf}) })
		tasks, err := s.Tasks(ctx, TaskFilter{PlanIDs: planIDs, AsOf: asOf, LeadOnly: true})
		wg.Wait()
		if err != nil {
			return r, err
		}
		for _, t := range tasks {
			parts := mergeParts(t.LeadUnits)
			if f.Unit != 0 {
				parts = slices.DeleteFunc(parts, func(a Assignment) bool { return a.Unit.ID != f.Unit })
				if len(parts) == 0 {
					continue
				}
			}
			r.Totals["tasks"]++
			if t.Overdue {
				r.Totals["overdue"]++
			}
			if t.Status == "cancelled" {
				continue
			}
			if t.Reassign {
				r.Totals["reassign"]++
				rt := ReassignTask{TaskID: t.ID, PlanID: t.PlanID, PlanNumber: t.PlanNumber, Number: t.Number, Description: t.Description, DueOn: t.TimeFrame.DueOn,
					Status: t.Status, Progress: t.Progress, Reason: "no_lead", EndedUnits: []UnitRef{}}
				for _, a := range t.LeadUnits {
					if a.Reassign && a.Status != "done" {
						rt.Reason = "unit_ended"
						rt.EndedUnits = append(rt.EndedUnits, a.Unit)
					}
				}
				r.Reassign = append(r.Reassign, rt)
			}
			for _, a := range parts {
				if a.Reassign {
					continue // nobody answers for this part: listed above
				}
				unit := a.Unit
				row := league[unit.ID]
				if row == nil {
					row = &LeagueRow{Unit: unit}
					league[unit.ID] = row
				}
				row.Tasks++
				rt := ReviewTask{TaskID: t.ID, PlanID: t.PlanID, PlanNumber: t.PlanNumber, Number: t.Number, Description: t.Description, DueOn: t.TimeFrame.DueOn,
					OriginalDueOn: t.TimeFrame.OriginalDueOn, Status: a.Status, Progress: a.Progress, CompletedOn: a.CompletedOn}
				done := a.Status == "done" && (a.CompletedOn == "" || a.CompletedOn <= asOf)
				switch {
				case done:
					row.Done++
					if a.CompletedOn >= month+"-01" && a.CompletedOn <= end {
						put(completed, unit, rt)
					}
				case t.TimeFrame.DueOn != "" && t.TimeFrame.DueOn < asOf && t.Status != "paused":
					row.Overdue++
					rt.DaysLate = int(mustDate(asOf).Sub(mustDate(t.TimeFrame.DueOn)).Hours() / 24)
					put(overdue, unit, rt)
				case t.TimeFrame.DueOn != "" && t.TimeFrame.DueOn <= soon:
					put(dueSoon, unit, rt)
				}
				if !done && (a.Status == "in_progress" || a.Progress > 0) {
					row.InProgress++
				}
			}
		}
		if targetsErr != nil {
			return r, targetsErr
		}
		var issuers map[int64]int64
		var held []int64 // the unit and the predecessors it answers for
		if f.Unit != 0 {
			if issuers, err = s.planIssuers(ctx); err != nil {
				return r, err
			}
			if held, err = s.org.Predecessors(ctx, f.Unit); err != nil {
				return r, err
			}
		}
		for _, t := range targets {
			if f.Unit != 0 {
				answers := issuers[t.PlanID]
				if t.ResponsibleUnit != nil {
					answers = t.ResponsibleUnit.ID
				}
				if !contains64(held, answers) {
					continue
				}
			}
			r.Totals["targets"]++
			r.Totals["targets_"+t.Status]++
			if t.Status == "not_achieved" || t.Status == "off_track" || t.Status == "at_risk" {
				r.Targets = append(r.Targets, t)
			}
		}
	}
	col := locale.Collator()
	flatten := func(m map[int64]*UnitTasks) []UnitTasks {
		out := []UnitTasks{}
		for _, ut := range m {
			sort.SliceStable(ut.Tasks, func(i, j int) bool {
				if ut.Tasks[i].DueOn != ut.Tasks[j].DueOn {
					return ut.Tasks[i].DueOn < ut.Tasks[j].DueOn
				}
				return ut.Tasks[i].Number < ut.Tasks[j].Number
			})
			out = append(out, *ut)
		}
		sort.Slice(out, func(i, j int) bool {
			if len(out[i].Tasks) != len(out[j].Tasks) {
				return len(out[i].Tasks) > len(out[j].Tasks)
			}
			return col.CompareString(out[i].Unit.Name, out[j].Unit.Name) < 0
		})
		return out
	}
	r.Overdue, r.DueSoon, r.Completed = flatten(overdue), flatten(dueSoon), flatten(completed)
	if err := s.reviewWaiting(ctx, &r, planIDs, f); err != nil {
		return r, err
	}
	for _, row := range league {
		if row.Tasks > 0 {
			row.DoneShare = float64(row.Done) / float64(row.Tasks)
		}
		r.League = append(r.League, *row)
	}
	sort.Slice(r.League, func(i, j int) bool {
		a, b := r.League[i], r.League[j]
		if a.DoneShare != b.DoneShare {
			return a.DoneShare > b.DoneShare
		}
		if a.Overdue != b.Overdue {
			return a.Overdue < b.Overdue
		}
		return col.CompareString(a.Unit.Name, b.Unit.Name) < 0
	})
	for i := range r.League {
		r.League[i].Rank = i + 1
	}
	if r.Targets == nil {
		r.Targets = []Target{}
	}
	if r.Reassign == nil {
		r.Reassign = []ReassignTask{}
	}
	if r.League == nil {
		r.League = []LeagueRow{}
	}
	return r, nil
}

func mustDate(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// mergeParts reports each lead part under the unit that answers for it
// today; when one unit succeeded several lead units of the same task
// (Báo Gia Lai and Đài PT-TH Gia Lai became one body), their parts count as
// one: done only when all are, with the least progress.
func mergeParts(parts []Assignment) []Assignment {
	var out []Assignment
	at := map[int64]int{}
	for _, a := range parts {
		if a.HeldBy != nil {
			a.Unit = *a.HeldBy
		}
		i, seen := at[a.Unit.ID]
		if !seen {
			at[a.Unit.ID] = len(out)
			out = append(out, a)
			continue
		}
		m := &out[i]
		if a.Status != "done" {
			m.Status, m.CompletedOn = a.Status, ""
		} else if m.Status == "done" && a.CompletedOn > m.CompletedOn {
			m.CompletedOn = a.CompletedOn
		}
		m.Progress = min(m.Progress, a.Progress)
	}
	return out
}

// planIssuers maps each plan to its issuing unit.
func (s *Store) planIssuers(ctx context.Context) (map[int64]int64, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, issuer_unit_id FROM plans`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, unit int64
		if err := rows.Scan(&id, &unit); err != nil {
			return nil, err
		}
		out[id] = unit
	}
	return out, rows.Err()
}

// plansInScope lists the plans issued by a unit within one of the scopes
// (or by a predecessor of one).
func (s *Store) plansInScope(ctx context.Context, scopes []int64) ([]int64, error) {
	plans, err := s.Plans(ctx, "")
	if err != nil {
		return nil, err
	}
	ids := []int64{}
	for _, p := range plans {
		for _, sc := range scopes {
			ok, err := s.org.Within(ctx, p.IssuerUnit.ID, sc)
			if err != nil {
				return nil, err
			}
			if ok {
				ids = append(ids, p.ID)
				break
			}
		}
	}
	return ids, nil
}
