package plan

// Where the programme's workflow lives (issue 11):
//   - meeting.go, meeting_api.go, meeting_pages.go, meeting_demo.go: the
//     Steering Committee's meetings (/meetings, /api/v1/meetings). A meeting
//     keeps the review it discussed frozen (steering_meetings.review_snapshot,
//     the Review's JSON). Its conclusion is a plan of the plans table
//     (steering_conclusions ties the two) whose tasks are its numbered
//     directives: progress, overdue, "my tasks", reassignment and the review
//     work on them unchanged, and the review names them «theo Kết luận số …».
//     Only the coordinator (meeting.manage) records them; all or nothing.
//   - document.go and internal/officialdoc: printed documents in the layout
//     of Nghị định 30/2020/NĐ-CP — the review's print view (a short report,
//     the full lists as appendix) and /review.pdf, a conclusion's print view
//     and PDF (pure Go, Tinos embedded).

// Doc is a plan with its targets and tasks as exchanged in JSON (the API's
// import and export, and the demo files in demodata/) and, sheet by sheet,
// in the Excel template.
type Doc struct {
	Key        string   `json:"key,omitempty" doc:"natural key; the number when absent"`
	Number     string   `json:"number"`
	Title      string   `json:"title"`
	Issuer     string   `json:"issuer"`
	IssuerUnit string   `json:"issuerUnit" doc:"org unit code of the issuing province or unit"`
	Date       string   `json:"date" doc:"YYYY-MM-DD; may be empty when unknown"`
	Signer     string   `json:"signer"`
	LegalBases []string `json:"legalBases"`
	SpanFrom   int      `json:"spanFrom"`
	SpanTo     int      `json:"spanTo"`
	Status     string   `json:"status" doc:"draft, in_force or replaced"`
	Parent     string   `json:"parent,omitempty" doc:"key of the plan this one implements"`
	Note       string   `json:"note"`
	// RequiresApproval: units' progress reports count once their approver
	// approves them (approval.go); absent, a new plan requires it and an
	// existing one keeps its setting.
	RequiresApproval *bool       `json:"requiresApproval,omitempty" doc:"units' progress reports count once approved by the unit's approver; absent: on for a new plan, unchanged for an existing one"`
	Targets          []DocTarget `json:"targets"`
	Tasks            []DocTask   `json:"tasks"`
}

// DocValue is a milestone or baseline value; Value may be null when the
// document gives values only by level.
type DocValue struct {
	Year  int      `json:"year"`
	Value *float64 `json:"value"`
}

// DocLevel is a value for one level.
type DocLevel struct {
	Level string  `json:"level"`
	Value float64 `json:"value"`
}

// DocBaseline is where a target started.
type DocBaseline struct {
	Year   int        `json:"year"`
	Value  *float64   `json:"value"`
	Levels []DocLevel `json:"levels,omitempty"`
}

// DocTarget is one target of a Doc. Levels split the milestone of each year
// by level (55% province, 40% district, 20% commune).
type DocTarget struct {
	Code            string       `json:"code"`
	Pillar          string       `json:"pillar"`
	Group           string       `json:"group"`
	Statement       string       `json:"statement"`
	StatementLater  string       `json:"statementLater,omitempty"`
	Measure         string       `json:"measure"`
	Direction       string       `json:"direction"`
	Baseline        *DocBaseline `json:"baseline"`
	Milestones      []DocValue   `json:"milestones"`
	Levels          []DocLevel   `json:"levels,omitempty"`
	ResponsibleUnit string       `json:"responsibleUnit"`
	Source          string       `json:"source,omitempty" doc:"manual or indicator"`
	IndicatorCode   string       `json:"indicatorCode,omitempty"`
}

// DocTask is one task of a Doc. Units are org unit codes; groups stand for
// every unit of a kind under the issuer as of the plan's date: departments
// (sở, ban, ngành), districts (UBND huyện, thị xã, thành phố), communes.
type DocTask struct {
	Number             string   `json:"number"`
	Group              string   `json:"group"`
	Pillar             string   `json:"pillar"`
	Description        string   `json:"description"`
	LeadText           string   `json:"leadText"`
	LeadUnits          []string `json:"leadUnits"`
	LeadGroups         []string `json:"leadGroups"`
	CoordinatingText   string   `json:"coordinatingText"`
	CoordinatingUnits  []string `json:"coordinatingUnits"`
	CoordinatingGroups []string `json:"coordinatingGroups"`
	TimeText           string   `json:"timeText"`
	From               *int     `json:"from"`
	To                 *int     `json:"to"`
	Output             string   `json:"output"`
	BudgetSource       string   `json:"budgetSource"`
	Budget             *float64 `json:"budget"`
}

// UnitGroups are the group names a task may name instead of units.
var UnitGroups = map[string]string{"departments": "department", "districts": "district", "communes": "commune"}

// The programme's workflow (issue 11, parts 1, 2, 3 and 8):
//
//   - approval.go: a plan's RequiresApproval (on for new plans, Doc
//     requiresApproval; the demo's use it) keeps a unit's progress report
//     a draft or submitted until the unit's approver (task.approve) approves
//     it; only approved reports move the part (task_assignments is always
//     the newest approved report), so the task's progress, the review and
//     the league count only those. Returned with a comment by the approver,
//     or after approval by the coordinator (task.reopen); every step in
//     task_update_events and the audit. Review.Waiting counts reports
//     waiting per unit. Old databases' reports count as approved.
//   - comments.go: threads per task and per unit's part, @mentions and a
//     picker, files under the evidence rules, requests for more evidence
//     (a to-do for the unit until answered).
//   - extension.go: a lead unit asks for a new due date; the coordinator or
//     the issuer's leader (task.extension.decide) grants or refuses; a
//     grant moves tasks.due_on and keeps the plan's in original_due_on
//     (TimeFrame.OriginalDueOn, «đã gia hạn đến …»).
//   - edit.go: the coordinator edits a task in the application (PUT
//     /api/v1/tasks/{id}, /tasks/{id}/edit), field by field in task_edits;
//     importing the plan again leaves an edited task alone (warning
//     task_edited) and an extended one at its date (task_extended).
//   - pages_workflow.go, workflow_api.go: the pages (task page sections,
//     /workflow: what waits for the viewer, counted on the home page) and
//     the API (tag plan-workflow). Notices go out through s.notify with
//     catalogue keys notice.*.
