package plan

import (
	"math"
	"sort"
	"time"
)

// yearPoint places a date on a continuous year scale: a milestone "2025"
// means the end of 2025, i.e. 2026.0; an actual measured on 2024-07-01 is
// about 2024.5.
func yearPoint(date string) float64 {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return 0
	}
	start := time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	next := start.AddDate(1, 0, 0)
	return float64(t.Year()) + t.Sub(start).Hours()/next.Sub(start).Hours()
}

func endOfYear(y int) float64 { return float64(y + 1) }

// meets reports whether v satisfies goal in direction.
func meets(direction string, v, goal float64) bool {
	switch direction {
	case "at_most":
		return v <= goal+1e-9
	case "exactly":
		return math.Abs(v-goal) <= 1e-9*math.Max(1, math.Abs(goal))
	default:
		return v >= goal-1e-9
	}
}

// atRiskShare is how far behind the line (as a share of the whole distance
// from baseline to milestone) a target may be and still be "at risk" rather
// than "off track".
const atRiskShare = 0.25

// TargetStatus computes a target's status on date asOf (YYYY-MM-DD) for one
// level ("" for the whole): achieved when the latest actual meets the last
// milestone; not achieved when the last milestone's year has ended and it
// was not met (the target is over, not late); off track when an earlier
// milestone whose year has ended was missed;
// otherwise on track when the latest actual is at or beyond the straight
// line from the baseline to the next milestone, at risk when it is behind by
// at most a quarter of that distance, off track beyond. expected is the
// line's value on the actual's date (nil when there is no line).
func TargetStatus(direction string, baseline *Value, milestones []Value, actuals []Actual, asOf string) (status string, expected *float64) {
	var ms []Value
	for _, m := range milestones {
		ms = append(ms, m)
	}
	var acts []Actual
	for _, a := range actuals {
		if a.MeasuredOn <= asOf {
			acts = append(acts, a)
		}
	}
	if len(acts) == 0 || len(ms) == 0 {
		return "no_data", nil
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Year < ms[j].Year })
	sort.SliceStable(acts, func(i, j int) bool { return acts[i].MeasuredOn < acts[j].MeasuredOn })
	latest := acts[len(acts)-1]
	if meets(direction, latest.Value, ms[len(ms)-1].Value) {
		return "achieved", nil
	}
	now := yearPoint(asOf)
	if endOfYear(ms[len(ms)-1].Year) <= now {
		return "not_achieved", nil
	}
	// A milestone whose year is over must have been met by the last actual
	// measured up to the end of that year.
	for _, m := range ms {
		if endOfYear(m.Year) > now {
			break
		}
		var last *Actual
		for i := range acts {
			if yearPoint(acts[i].MeasuredOn) < endOfYear(m.Year) {
				last = &acts[i]
			}
		}
		if last == nil || !meets(direction, last.Value, m.Value) {
			return "off_track", nil
		}
	}
	// The line runs from the baseline (or the first actual) to the next
	// milestone after the latest actual.
	at := yearPoint(latest.MeasuredOn)
	next := ms[len(ms)-1]
	for _, m := range ms {
		if endOfYear(m.Year) >= at {
			next = m
			break
		}
	}
	var x0, y0 float64
	switch {
	case baseline != nil:
		x0, y0 = endOfYear(baseline.Year), baseline.Value
	case len(acts) > 1:
		x0, y0 = yearPoint(acts[0].MeasuredOn), acts[0].Value
	default:
		// One value and nothing to draw a line from: judge by the milestone.
		if meets(direction, latest.Value, next.Value) {
			return "on_track", nil
		}
		return "at_risk", nil
	}
	x1, y1 := endOfYear(next.Year), next.Value
	exp := y1
	if x1 > x0 {
		f := math.Max(0, math.Min(1, (at-x0)/(x1-x0)))
		exp = y0 + f*(y1-y0)
	}
	expected = &exp
	if meets(direction, latest.Value, exp) {
		return "on_track", expected
	}
	gap := math.Abs(y1 - y0)
	if gap == 0 || math.Abs(latest.Value-exp) <= atRiskShare*gap {
		return "at_risk", expected
	}
	return "off_track", expected
}

// worst orders target statuses for summarising levels: the whole target is
// as bad as its worst level.
var statusRank = map[string]int{"not_achieved": 0, "off_track": 1, "at_risk": 2, "on_track": 3, "achieved": 4, "no_data": 5}

// computeTarget fills t.Status (and Expected) from its values on asOf. A
// target split by level takes the worst status of the levels that have data.
func computeTarget(t *Target, asOf string) {
	levels := map[string][]Value{}
	for _, m := range t.Milestones {
		levels[m.Level] = append(levels[m.Level], m)
	}
	best := "no_data"
	t.Expected = nil
	for level, ms := range levels {
		var base *Value
		if t.Baseline != nil {
			if level == "" && t.Baseline.Value != nil {
				base = &Value{Year: t.Baseline.Year, Value: *t.Baseline.Value}
			}
			for _, l := range t.Baseline.Levels {
				if l.Level == level && level != "" {
					v := l
					v.Year = t.Baseline.Year
					base = &v
				}
			}
		}
		var acts []Actual
		for _, a := range t.Actuals {
			if a.Level == level {
				acts = append(acts, a)
			}
		}
		st, exp := TargetStatus(t.Direction, base, ms, acts, asOf)
		if st == "no_data" {
			continue
		}
		if best == "no_data" || statusRank[st] < statusRank[best] {
			best = st
			if level == "" {
				t.Expected = exp
			}
		}
	}
	t.Status = best
}

// overall derives a task's status and progress from its lead units.
func overall(t *Task, asOf string) {
	t.Status, t.Progress = "not_started", 0
	if len(t.LeadUnits) > 0 {
		done, started, sum := 0, 0, 0
		for _, a := range t.LeadUnits {
			sum += a.Progress
			switch a.Status {
			case "done":
				done++
				started++
			case "in_progress":
				started++
			default:
				if a.Progress > 0 {
					started++
				}
			}
		}
		t.Progress = sum / len(t.LeadUnits)
		switch {
		case done == len(t.LeadUnits):
			t.Status = "done"
		case started > 0:
			t.Status = "in_progress"
		}
	}
	if t.StatusOverride != "" {
		t.Status = t.StatusOverride
	}
	t.Overdue = t.TimeFrame.DueOn != "" && t.TimeFrame.DueOn < asOf && t.Status != "done" && t.Status != "cancelled"
	// A task nobody answers for is to be reassigned, not late: no lead
	// unit, or a lead unit that ended with no single heir and had not
	// finished. It is late again once a unit is given it.
	answered := false
	for _, a := range t.LeadUnits {
		if a.Reassign && a.Status != "done" {
			t.Reassign = true
		} else if !a.Reassign {
			answered = true
		}
	}
	if len(t.LeadUnits) == 0 {
		t.Reassign = true
	}
	if t.Status == "done" || t.Status == "cancelled" {
		t.Reassign = false
	}
	if !answered {
		t.Overdue = false
	}
}
