// Package plan makes the provinces' plans live: plans (kế hoạch), their
// targets (chỉ tiêu) with baselines, milestones and actual values, their
// tasks (nhiệm vụ) with lead and coordinating units and per-unit progress,
// the Steering Committee's monthly review, and the leader's overview
// (overview*.go: /overview, /api/v1/overview; targets by status and
// pillar, units by overdue tasks, the 12 months' trend, with
// fillOverviewExtras where progress approval and meetings add the reports
// waiting for approval and the last meeting's directives). The workflow's
// notices go out through a Notifier (notice.go; internal/notify delivers
// them).
package plan

import (
	"fmt"
	"time"
)

// Plan statuses.
var PlanStatuses = []string{"draft", "in_force", "replaced"}

// Target directions.
var Directions = []string{"at_least", "at_most", "exactly"}

// Levels a target may be split by.
var Levels = []string{"province", "district", "commune"}

// Task statuses a unit reports; overdue is computed, never typed.
var TaskStatuses = []string{"not_started", "in_progress", "done", "paused", "cancelled"}

// Target statuses, computed from actual values.
var TargetStatuses = []string{"achieved", "on_track", "at_risk", "off_track", "not_achieved", "no_data"}

// Plan is a plan (kế hoạch) as listed.
type Plan struct {
	ID         int64   `json:"id"`
	Key        string  `json:"key" doc:"natural key: the number, or a chosen key for documents without one"`
	Number     string  `json:"number" doc:"số hiệu, e.g. 1331/KH-UBND"`
	Title      string  `json:"title"`
	Issuer     string  `json:"issuer"`
	IssuerUnit UnitRef `json:"issuerUnit"`
	IssuedOn   string  `json:"issuedOn" doc:"YYYY-MM-DD"`
	Signer     string  `json:"signer"`
	SpanFrom   int     `json:"spanFrom"`
	SpanTo     int     `json:"spanTo"`
	Status     string  `json:"status" doc:"draft, in_force or replaced"`
	Ended      bool    `json:"ended" doc:"computed from the span and today: in force, but its last year is over"`
	ParentID   *int64  `json:"parentId"`
	// RequiresApproval: a unit's progress report counts only once the
	// unit's approver approves it (approval.go).
	RequiresApproval bool          `json:"requiresApproval" doc:"progress reports count only once the unit's approver approves them"`
	Note             string        `json:"note"`
	LegalBases       []LegalBasis  `json:"legalBases"`
	TaskCount        int           `json:"taskCount"`
	TargetCount      int           `json:"targetCount"`
	Summary          *PlanProgress `json:"summary,omitempty"`
}

// EndedOn reports whether a plan in force has run its span by date
// (YYYY-MM-DD): a plan for 2022–2025 has ended on 1 January 2026. Derived,
// never stored, so it needs no job to flip it.
func (p Plan) EndedOn(date string) bool {
	return p.Status == "in_force" && p.SpanTo > 0 && len(date) >= 4 && date[:4] > fmt.Sprintf("%04d", p.SpanTo)
}

// ShownStatus is the status pages show: "ended" for a plan in force whose
// span is over, else the stored status.
func (p Plan) ShownStatus() string {
	if p.Ended {
		return "ended"
	}
	return p.Status
}

// PlanProgress counts a plan's tasks and targets by status.
type PlanProgress struct {
	Tasks   map[string]int `json:"tasks" doc:"by status, plus overdue"`
	Targets map[string]int `json:"targets" doc:"by status"`
}

// LegalBasis is a document a plan implements; PlanID links it when tinhso
// holds that document too.
type LegalBasis struct {
	Number string `json:"number"`
	PlanID *int64 `json:"planId"`
}

// UnitRef names an org unit inside another resource.
type UnitRef struct {
	ID    int64  `json:"id"`
	Code  string `json:"code"`
	Name  string `json:"name"`
	Label string `json:"label,omitempty" doc:"the name with the unit's province, as lists show it (names repeat across provinces)"`
}

// Value is a number for a year, optionally for one level.
type Value struct {
	Year  int     `json:"year"`
	Level string  `json:"level,omitempty" doc:"province, district or commune; absent for the whole"`
	Value float64 `json:"value"`
}

// Baseline is where a target started.
type Baseline struct {
	Year   int      `json:"year"`
	Value  *float64 `json:"value"`
	Levels []Value  `json:"levels,omitempty"`
}

// Actual is a measured value of a target, with its evidence.
type Actual struct {
	ID         int64     `json:"id"`
	MeasuredOn string    `json:"measuredOn" doc:"YYYY-MM-DD"`
	Level      string    `json:"level,omitempty"`
	Value      float64   `json:"value"`
	Evidence   string    `json:"evidence"`
	Unit       *UnitRef  `json:"unit,omitempty"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
	// Source is set for a value read from an indicator (the target's
	// source is "indicator"): no one typed it.
	Source *ActualSource `json:"source,omitempty" doc:"for a value read from periodic reporting's analytics: the indicator, period, units and reports it came from"`
}

// Target is a KPI (chỉ tiêu) of a plan with its computed status.
type Target struct {
	ID              int64     `json:"id"`
	PlanID          int64     `json:"planId"`
	Code            string    `json:"code"`
	Pillar          string    `json:"pillar"`
	Group           string    `json:"group"`
	Statement       string    `json:"statement"`
	StatementLater  string    `json:"statementLater,omitempty"`
	Unit            string    `json:"unit" doc:"unit of measure: %, điểm, hệ thống …"`
	Direction       string    `json:"direction" doc:"at_least, at_most or exactly"`
	Baseline        *Baseline `json:"baseline"`
	Milestones      []Value   `json:"milestones"`
	ResponsibleUnit *UnitRef  `json:"responsibleUnit"`
	Source          string    `json:"source" doc:"manual (entered with evidence) or indicator (from periodic reporting)"`
	IndicatorCode   string    `json:"indicatorCode,omitempty"`
	Actuals         []Actual  `json:"actuals"`
	Status          string    `json:"status" doc:"achieved, on_track, at_risk, off_track (an intermediate milestone missed or far behind the path), not_achieved (the last milestone's year is over and it was not met) or no_data"`
	Expected        *float64  `json:"expected,omitempty" doc:"where the straight line from baseline to the next milestone stands on the date of the latest actual"`
}

// Assignment is one unit's part in a task, with its own status and progress.
type Assignment struct {
	ID          int64      `json:"id"`
	Role        string     `json:"role" doc:"lead or coordinating"`
	Unit        UnitRef    `json:"unit"`
	HeldBy      *UnitRef   `json:"heldBy,omitempty" doc:"the unit that answers for it today, when the assigned unit has ended: its successor, or the heir its dissolve named"`
	Reassign    bool       `json:"reassign,omitempty" doc:"the assigned unit has ended and no single unit took over its duties: the part must be reassigned"`
	Status      string     `json:"status"`
	Progress    int        `json:"progress"`
	UpdatedAt   *time.Time `json:"updatedAt,omitempty"`
	CompletedOn string     `json:"completedOn,omitempty"`
	EndedOn     string     `json:"endedOn,omitempty" doc:"YYYY-MM-DD, for an assignment a coordinator replaced: the day it ended (its progress history stays)"`
}

// TimeFrame is when a task runs.
type TimeFrame struct {
	Text    string `json:"text" doc:"as written in the plan, e.g. 2022 - 2025, Hằng năm"`
	StartOn string `json:"startOn"`
	DueOn   string `json:"dueOn" doc:"the current due date: an extension granted moves it"`
	// OriginalDueOn is the plan's due date when an extension moved DueOn
	// (extension.go); empty when never extended.
	OriginalDueOn string `json:"originalDueOn,omitempty" doc:"the plan's due date, when an extension moved dueOn"`
}

// Task is a task (nhiệm vụ) of a plan.
type Task struct {
	ID                int64        `json:"id"`
	PlanID            int64        `json:"planId"`
	PlanNumber        string       `json:"planNumber"`
	Number            string       `json:"number"`
	Group             string       `json:"group"`
	Pillar            string       `json:"pillar"`
	Description       string       `json:"description"`
	LeadText          string       `json:"leadText"`
	CoordinatingText  string       `json:"coordinatingText"`
	LeadUnits         []Assignment `json:"leadUnits"`
	CoordinatingUnits []Assignment `json:"coordinatingUnits"`
	TimeFrame         TimeFrame    `json:"timeFrame"`
	Output            string       `json:"output"`
	BudgetSource      string       `json:"budgetSource"`
	Budget            *float64     `json:"budget"`
	Status            string       `json:"status" doc:"not_started, in_progress, done, paused or cancelled (derived from the lead units' statuses)"`
	Progress          int          `json:"progress" doc:"0–100, the mean of the lead units' progress"`
	Overdue           bool         `json:"overdue" doc:"computed: past its due date, neither done nor cancelled, and some lead unit answers for it"`
	Reassign          bool         `json:"reassign" doc:"to be reassigned (cần giao lại): not finished, and it has no lead unit or a lead unit that ended leaving no single heir"`
	StatusOverride    string       `json:"statusOverride,omitempty" doc:"paused or cancelled by the coordinator for the whole task"`
	PreviousUnits     []Assignment `json:"previousUnits,omitempty" doc:"assignments a coordinator ended by reassigning the task (one task only)"`
}

// Update is a progress report on a task by one unit.
type Update struct {
	ID          int64        `json:"id"`
	TaskID      int64        `json:"taskId"`
	Unit        *UnitRef     `json:"unit"`
	Status      string       `json:"status"`
	Progress    int          `json:"progress"`
	Body        string       `json:"body"`
	Author      string       `json:"author"`
	At          time.Time    `json:"at"`
	Attachments []Attachment `json:"attachments"`
	// State and Events: the report's approval (approval.go).
	State  string        `json:"state" doc:"draft, submitted, returned or approved; only approved reports move the unit's part"`
	Events []UpdateEvent `json:"events" doc:"each step: submit, approve, return (by the approver), reopen (the coordinator returning an approved report)"`
}

// Attachment is an evidence file of an update.
type Attachment struct {
	ID          int64  `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}
