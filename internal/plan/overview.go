package plan

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/tinhso/tinhso/internal/locale"
)

// The leader's overview (issue 11, part 7): on one page, over the plans in
// the viewer's scopes, the targets by status and by pillar, the units with
// the most overdue tasks, the month-by-month trend of tasks completed and
// overdue, and — filled by the parts that own them — the progress reports
// waiting for approval and the directives of the last Steering Committee
// meeting. Every figure links to the list behind it. Computed from one
// read of the tasks and one of the targets, and cached per scope and day
// on the review's data version, as the review is.

// Overview is the leader's overview.
type Overview struct {
	AsOf    string         `json:"asOf" doc:"YYYY-MM-DD, today"`
	Plans   int            `json:"plans" doc:"plans in force in the caller's scopes"`
	Tasks   map[string]int `json:"tasks" doc:"tasks by status, plus overdue and total"`
	Targets map[string]int `json:"targets" doc:"targets by status, plus total"`
	// Pillars are the targets of each pillar by status, in the pillars'
	// order (pillars without targets left out).
	Pillars []PillarTargets `json:"pillars"`
	// OverdueUnits are the lead units with the most overdue tasks (at most
	// OverviewUnits), most first.
	OverdueUnits []UnitOverdue `json:"overdueUnits"`
	// Trend is the last 12 months, oldest first: tasks completed during
	// each month and tasks overdue at its end.
	Trend []MonthTrend `json:"trend"`
	// Approvals are the progress reports waiting for approval (issue 11
	// part 1, progress approval, fills it in fillOverviewExtras); nil
	// until that part is there, and the page leaves the section out.
	Approvals *OverviewApprovals `json:"approvals"`
	// Directives are those of the last Steering Committee meeting (issue
	// 11 part 5, meetings, fills it in fillOverviewExtras); nil until then.
	Directives *OverviewDirectives `json:"directives"`
}

// PillarTargets counts a pillar's targets by status.
type PillarTargets struct {
	Pillar string         `json:"pillar"`
	Total  int            `json:"total"`
	Counts map[string]int `json:"counts" doc:"by target status"`
}

// UnitOverdue is a lead unit with its overdue tasks.
type UnitOverdue struct {
	Unit    UnitRef `json:"unit"`
	Overdue int     `json:"overdue"`
	Tasks   int     `json:"tasks" doc:"the unit's lead parts"`
}

// MonthTrend is one month of the trend.
type MonthTrend struct {
	Month     string `json:"month" doc:"YYYY-MM"`
	Completed int    `json:"completed" doc:"tasks whose last lead part was completed during the month"`
	Overdue   int    `json:"overdue" doc:"tasks past due at the month's end (today for this month) and not completed by then"`
}

// OverviewApprovals are the reports waiting for approval (part 1).
type OverviewApprovals struct {
	Total int           `json:"total"`
	Units []UnitWaiting `json:"units" doc:"by unit, most first"`
	Href  string        `json:"href" doc:"the list of the reports waiting"`
}

// UnitWaiting is a unit with the reports waiting for its approval.
type UnitWaiting struct {
	Unit    UnitRef `json:"unit"`
	Waiting int     `json:"waiting"`
	Href    string  `json:"href"`
}

// OverviewDirectives are the directives of the last meeting (part 5).
type OverviewDirectives struct {
	Meeting string              `json:"meeting" doc:"the conclusion's number and the meeting's date"`
	Href    string              `json:"href"`
	Items   []OverviewDirective `json:"items"`
}

// OverviewDirective is one directive with its task's status.
type OverviewDirective struct {
	Number  string `json:"number"`
	Text    string `json:"text"`
	TaskID  int64  `json:"taskId"`
	Status  string `json:"status"`
	DueOn   string `json:"dueOn"`
	Overdue bool   `json:"overdue"`
}

// OverviewUnits is how many units the overview lists by overdue tasks.
const OverviewUnits = 10

// fillOverviewExtras is where the sections owned by other parts of issue
// 11 join the overview: progress approval sets o.Approvals, meetings set
// o.Directives, each over planIDs (the plans in the viewer's scopes).
func (s *Store) fillOverviewExtras(ctx context.Context, o *Overview, planIDs []int64) error {
	if err := s.overviewDirectives(ctx, o, planIDs); err != nil { // meeting.go
		return err
	}
	waiting, total, err := s.waitingByUnit(ctx, planIDs, nil) // approval.go
	if err != nil || total == 0 {
		return err
	}
	a := &OverviewApprovals{Total: total, Href: "/review#waiting-h"}
	for _, w := range waiting {
		a.Units = append(a.Units, UnitWaiting{Unit: w.Unit, Waiting: w.Count, Href: fmt.Sprintf("/review?unit=%d#waiting-h", w.Unit.ID)})
	}
	o.Approvals = a
	return nil
}

// OverviewFor builds the overview of the plans issued within scopes, as
// of today (YYYY-MM-DD), cached like the review.
func (s *Store) OverviewFor(ctx context.Context, scopes []int64, today string) (Overview, error) {
	version, err := s.dataVersion(ctx)
	if err != nil {
		return Overview{}, err
	}
	key := fmt.Sprint("overview", scopes, today, version)
	if o, ok := s.overviews.get(key); ok {
		return o, nil
	}
	o, err := s.ComputeOverview(ctx, scopes, today)
	if err == nil {
		s.overviews.put(key, o)
	}
	return o, err
}

// ComputeOverview builds the overview from the database, bypassing the
// cache.
func (s *Store) ComputeOverview(ctx context.Context, scopes []int64, today string) (Overview, error) {
	o := Overview{AsOf: today, Tasks: map[string]int{}, Targets: map[string]int{}, Pillars: []PillarTargets{}, OverdueUnits: []UnitOverdue{}}
	planIDs, err := s.plansInScope(ctx, scopes)
	if err != nil {
		return o, err
	}
	o.Plans = len(planIDs)
	var targets []Target
	var targetsErr error
	var wg sync.WaitGroup
	wg.Go(func() { targets, targetsErr = s.Targets(ctx, TargetFilter{PlanIDs: planIDs, AsOf: today}) })
	tasks, err := s.Tasks(ctx, TaskFilter{PlanIDs: planIDs, AsOf: today, LeadOnly: true})
	wg.Wait()
	if err != nil {
		return o, err
	}
	if targetsErr != nil {
		return o, targetsErr
	}
	// The trend's months, oldest first, and their ends.
	start := mustDate(today[:7] + "-01")
	months := make([]string, 12)
	ends := make([]string, 12)
	for i := range 12 {
		m := start.AddDate(0, i-11, 0)
		months[i] = m.Format("2006-01")
		ends[i] = m.AddDate(0, 1, -1).Format(time.DateOnly)
	}
	ends[11] = today
	o.Trend = make([]MonthTrend, 12)
	for i := range months {
		o.Trend[i].Month = months[i]
	}
	units := map[int64]*UnitOverdue{}
	for _, t := range tasks {
		o.Tasks["total"]++
		o.Tasks[t.Status]++
		if t.Overdue {
			o.Tasks["overdue"]++
		}
		if t.Status == "cancelled" {
			continue
		}
		parts := mergeParts(t.LeadUnits)
		// When the task was completed: its last lead part's day.
		completed := ""
		if t.Status == "done" {
			for _, a := range parts {
				completed = max(completed, a.CompletedOn)
			}
		}
		due := t.TimeFrame.DueOn
		for i := range months {
			if completed != "" && completed >= months[i]+"-01" && completed <= ends[i] {
				o.Trend[i].Completed++
			}
			if due != "" && due < ends[i] && (completed == "" && t.Status != "done" || completed > ends[i]) && !t.Reassign && t.Status != "paused" {
				o.Trend[i].Overdue++
			}
		}
		for _, a := range parts {
			if a.Reassign {
				continue
			}
			u := units[a.Unit.ID]
			if u == nil {
				u = &UnitOverdue{Unit: a.Unit}
				units[a.Unit.ID] = u
			}
			u.Tasks++
			if a.Status != "done" && due != "" && due < today && t.Status != "paused" {
				u.Overdue++
			}
		}
	}
	for _, u := range units {
		if u.Overdue > 0 {
			o.OverdueUnits = append(o.OverdueUnits, *u)
		}
	}
	col := locale.Collator()
	sort.Slice(o.OverdueUnits, func(i, j int) bool {
		a, b := o.OverdueUnits[i], o.OverdueUnits[j]
		if a.Overdue != b.Overdue {
			return a.Overdue > b.Overdue
		}
		return col.CompareString(a.Unit.Name, b.Unit.Name) < 0
	})
	if len(o.OverdueUnits) > OverviewUnits {
		o.OverdueUnits = o.OverdueUnits[:OverviewUnits]
	}
	byPillar := map[string]*PillarTargets{}
	for _, t := range targets {
		o.Targets["total"]++
		o.Targets[t.Status]++
		p := byPillar[t.Pillar]
		if p == nil {
			p = &PillarTargets{Pillar: t.Pillar, Counts: map[string]int{}}
			byPillar[t.Pillar] = p
		}
		p.Total++
		p.Counts[t.Status]++
	}
	order, err := s.pillarCodes(ctx)
	if err != nil {
		return o, err
	}
	for _, code := range order {
		if p := byPillar[code]; p != nil {
			o.Pillars = append(o.Pillars, *p)
			delete(byPillar, code)
		}
	}
	rest := make([]string, 0, len(byPillar))
	for code := range byPillar {
		rest = append(rest, code)
	}
	slices.Sort(rest) // pillars no framework names (a typo in an import)
	for _, code := range rest {
		o.Pillars = append(o.Pillars, *byPillar[code])
	}
	err = s.fillOverviewExtras(ctx, &o, planIDs)
	return o, err
}

// overviewCache holds a few recent overviews, as reviewCache holds
// reviews (the same version key and five-minute expiry).
type overviewCache struct {
	mu      sync.Mutex
	entries map[string]cachedOverview
}

type cachedOverview struct {
	at time.Time
	o  Overview
}

func (c *overviewCache) get(key string) (Overview, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || time.Since(e.at) > 5*time.Minute {
		return Overview{}, false
	}
	return e.o, true // callers only read it
}

func (c *overviewCache) put(key string, o Overview) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= 32 {
		c.entries = map[string]cachedOverview{}
	}
	c.entries[key] = cachedOverview{at: time.Now(), o: o}
}
