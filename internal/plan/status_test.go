package plan

import "testing"

func TestTargetStatus(t *testing.T) {
	t.Parallel()
	base := &Value{Year: 2022, Value: 10}
	ms := []Value{{Year: 2025, Value: 40}, {Year: 2030, Value: 60}}
	act := func(date string, v float64) Actual { return Actual{MeasuredOn: date, Value: v} }
	cases := []struct {
		name      string
		direction string
		baseline  *Value
		actuals   []Actual
		asOf      string
		want      string
	}{
		{"no actuals", "at_least", base, nil, "2024-06-30", "no_data"},
		{"actual after asOf ignored", "at_least", base, []Actual{act("2024-12-31", 30)}, "2024-06-30", "no_data"},
		// End of 2023 is 1/3 of the way from end-2022 (10) to end-2025 (40): the line is at 20.
		{"on the line", "at_least", base, []Actual{act("2023-12-31", 20)}, "2024-03-01", "on_track"},
		{"slightly behind", "at_least", base, []Actual{act("2023-12-31", 15)}, "2024-03-01", "at_risk"},
		{"far behind", "at_least", base, []Actual{act("2023-12-31", 11)}, "2024-03-01", "off_track"},
		{"missed a milestone whose year is over", "at_least", base, []Actual{act("2025-12-31", 39)}, "2026-02-01", "off_track"},
		{"met 2025, heading for 2030", "at_least", base, []Actual{act("2025-12-31", 41)}, "2026-02-01", "on_track"},
		{"final milestone met", "at_least", base, []Actual{act("2026-06-30", 61)}, "2026-07-01", "achieved"},
		{"no baseline, one value meeting the next milestone", "at_least", nil, []Actual{act("2024-12-31", 45)}, "2025-01-10", "on_track"},
		{"no baseline, one value short", "at_least", nil, []Actual{act("2024-12-31", 30)}, "2025-01-10", "at_risk"},
		{"at most: falling as planned", "at_most", &Value{Year: 2022, Value: 100}, []Actual{act("2023-12-31", 80)}, "2024-01-10", "on_track"},
		// The last milestone's year is over and it was not met: the target
		// is over, so it is not achieved (not merely late); until 1 January
		// after that year it can still be met.
		{"final year over, not met", "at_least", base, []Actual{act("2025-12-31", 41), act("2030-12-31", 59)}, "2031-01-01", "not_achieved"},
		{"final year over, nothing measured in it", "at_least", base, []Actual{act("2025-12-31", 41)}, "2031-03-01", "not_achieved"},
		{"final year not yet over", "at_least", base, []Actual{act("2025-12-31", 41), act("2030-06-30", 59)}, "2030-12-31", "on_track"},
		{"final year over, met late", "at_least", base, []Actual{act("2031-02-01", 60)}, "2031-03-01", "achieved"},
		{"at most: final year over, still too high", "at_most", &Value{Year: 2022, Value: 100}, []Actual{act("2025-12-31", 45)}, "2026-01-01", "not_achieved"},
	}
	downMs := []Value{{Year: 2025, Value: 40}}
	for _, c := range cases {
		m := ms
		if c.direction == "at_most" {
			m = downMs
		}
		got, _ := TargetStatus(c.direction, c.baseline, m, c.actuals, c.asOf)
		if got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

func TestOverallTaskStatus(t *testing.T) {
	t.Parallel()
	lead := func(st string, p int) Assignment { return Assignment{Status: st, Progress: p} }
	cases := []struct {
		leads    []Assignment
		override string
		due      string
		status   string
		progress int
		overdue  bool
	}{
		{[]Assignment{lead("done", 100), lead("done", 100)}, "", "2023-12-31", "done", 100, false},
		{[]Assignment{lead("done", 100), lead("not_started", 0)}, "", "2023-12-31", "in_progress", 50, true},
		{[]Assignment{lead("not_started", 0)}, "", "2030-12-31", "not_started", 0, false},
		{[]Assignment{lead("in_progress", 30)}, "cancelled", "2023-12-31", "cancelled", 30, false},
		{[]Assignment{lead("in_progress", 30)}, "paused", "2023-12-31", "paused", 30, true},
		{nil, "", "", "not_started", 0, false},
	}
	for i, c := range cases {
		task := Task{LeadUnits: c.leads, StatusOverride: c.override, TimeFrame: TimeFrame{DueOn: c.due}}
		overall(&task, "2024-06-01")
		if task.Status != c.status || task.Progress != c.progress || task.Overdue != c.overdue {
			t.Errorf("case %d: got %s %d%% overdue=%v, want %s %d%% overdue=%v", i, task.Status, task.Progress, task.Overdue, c.status, c.progress, c.overdue)
		}
	}
}

func TestSortKey(t *testing.T) {
	t.Parallel()
	order := []string{"I.1.1", "I.1.2", "I.2.9", "I.2.10", "II.1", "III.1", "10"}
	for i := 1; i < len(order); i++ {
		if sortKey(order[i-1]) >= sortKey(order[i]) && order[i] != "10" {
			t.Errorf("%s should sort before %s", order[i-1], order[i])
		}
	}
	if sortKey("2") >= sortKey("10") {
		t.Error("2 should sort before 10")
	}
}

// A target split by level is as bad as its worst level, and "not achieved"
// is worse than "off track".
func TestComputeTargetWorstLevel(t *testing.T) {
	tg := Target{Direction: "at_least",
		Milestones: []Value{{Year: 2025, Level: "province", Value: 80}, {Year: 2027, Level: "commune", Value: 50}},
		Actuals:    []Actual{{MeasuredOn: "2025-12-31", Level: "province", Value: 70}, {MeasuredOn: "2025-12-31", Level: "commune", Value: 10}}}
	computeTarget(&tg, "2026-06-01")
	if tg.Status != "not_achieved" {
		t.Errorf("province missed its only (final) milestone: status %s, want not_achieved", tg.Status)
	}
}

func TestPlanEnded(t *testing.T) {
	cases := []struct {
		status string
		to     int
		date   string
		want   bool
	}{
		{"in_force", 2025, "2025-12-31", false},
		{"in_force", 2025, "2026-01-01", true},
		{"in_force", 2030, "2026-12-02", false},
		{"replaced", 2020, "2026-12-02", false},
		{"draft", 2020, "2026-12-02", false},
	}
	for _, c := range cases {
		p := Plan{Status: c.status, SpanFrom: 2021, SpanTo: c.to}
		if got := p.EndedOn(c.date); got != c.want {
			t.Errorf("%s plan to %d on %s: ended %v, want %v", c.status, c.to, c.date, got, c.want)
		}
	}
}
