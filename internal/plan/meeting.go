package plan

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// The Steering Committee's meetings (issue 11, part 5). A meeting (phiên
// họp) keeps the review it discussed as a frozen snapshot; its conclusion
// (thông báo kết luận) numbers directives (ý kiến chỉ đạo), each a duty
// with a lead unit, coordinating units and a deadline.
//
// How directives are tasks: a conclusion is a document in the plans table
// (number and symbol, date, signer, issued by the committee's province)
// whose tasks are its directives, numbered 1, 2 …; steering_conclusions
// ties that plan to its meeting. So progress reports, overdue, deadlines,
// reassignment, "my tasks", the task pages and the review work on
// directives unchanged; the review names their source «theo Kết luận số …»
// (conclusionSources) and lists each open conclusion's directives.

// Actions of the Steering Committee's meetings.
const (
	// ManageMeetings records meetings and their conclusions: the
	// coordinator only (the committee's standing office).
	ManageMeetings org.Action = "meeting.manage"
)

// Meeting is a meeting of a Steering Committee.
type Meeting struct {
	ID          int64       `json:"id"`
	Unit        UnitRef     `json:"unit" doc:"the province (or unit) whose committee met"`
	Body        string      `json:"body" doc:"the committee's name as documents print it: BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ TỈNH GIA LAI"`
	HeldOn      string      `json:"heldOn" doc:"YYYY-MM-DD"`
	Title       string      `json:"title"`
	Chair       string      `json:"chair" doc:"who chaired, with their office"`
	Attendees   []string    `json:"attendees"`
	ReviewMonth string      `json:"reviewMonth" doc:"YYYY-MM, the month of the review discussed"`
	ReviewAsOf  string      `json:"reviewAsOf" doc:"the day the review's figures stood on"`
	Note        string      `json:"note"`
	CreatedBy   string      `json:"createdBy"`
	CreatedAt   time.Time   `json:"createdAt"`
	Conclusion  *Conclusion `json:"conclusion" doc:"null until it is recorded"`
	// Snapshot is the review as the committee saw it (the detail only).
	Snapshot *Review `json:"reviewSnapshot,omitempty" doc:"the review discussed, frozen when the meeting was recorded (GET /api/v1/meetings/{id} only)"`
}

// Conclusion is a meeting's conclusion with its directives.
type Conclusion struct {
	ID              int64    `json:"id"`
	MeetingID       int64    `json:"meetingId"`
	PlanID          int64    `json:"planId" doc:"the plan (kind: conclusion) whose tasks are the directives"`
	Number          string   `json:"number" doc:"số và ký hiệu, e.g. 12/TB-BCĐ"`
	IssuedOn        string   `json:"issuedOn" doc:"YYYY-MM-DD"`
	Title           string   `json:"title" doc:"trích yếu"`
	Signer          string   `json:"signer"`
	SignerAuthority string   `json:"signerAuthority" doc:"quyền hạn của người ký, e.g. KT. TRƯỞNG BAN"`
	SignerTitle     string   `json:"signerTitle" doc:"chức vụ, e.g. PHÓ TRƯỞNG BAN"`
	Preamble        string   `json:"preamble" doc:"the opening paragraphs before the directives"`
	Recipients      []string `json:"recipients" doc:"nơi nhận, one per line"`
	Directives      []Task   `json:"directives" doc:"the directives as tasks, numbered 1, 2 …"`
}

// MeetingInput records a meeting, optionally with its conclusion.
type MeetingInput struct {
	UnitID      int64            `json:"unitId" doc:"the committee's province; the caller's first meeting.manage scope when 0"`
	Body        string           `json:"body" doc:"default: BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ + the unit's name"`
	HeldOn      string           `json:"heldOn" doc:"YYYY-MM-DD or dd/mm/yyyy; not in the future"`
	Title       string           `json:"title" doc:"default: Phiên họp Ban Chỉ đạo tháng mm/yyyy"`
	Chair       string           `json:"chair"`
	Attendees   []string         `json:"attendees"`
	ReviewMonth string           `json:"reviewMonth" doc:"YYYY-MM; the meeting's month by default"`
	Note        string           `json:"note"`
	Conclusion  *ConclusionInput `json:"conclusion,omitempty"`
}

// ConclusionInput is a conclusion with its directives; all or nothing.
type ConclusionInput struct {
	Number          string           `json:"number"`
	IssuedOn        string           `json:"issuedOn" doc:"on or after the meeting"`
	Title           string           `json:"title" doc:"trích yếu; default: Kết luận của Trưởng Ban Chỉ đạo tại phiên họp ngày …"`
	Signer          string           `json:"signer"`
	SignerAuthority string           `json:"signerAuthority"`
	SignerTitle     string           `json:"signerTitle"`
	Preamble        string           `json:"preamble"`
	Recipients      []string         `json:"recipients"`
	Directives      []DirectiveInput `json:"directives" doc:"at least one"`
}

// DirectiveInput is one directive: it becomes a task of the conclusion.
type DirectiveInput struct {
	Content           string  `json:"content"`
	LeadUnit          int64   `json:"leadUnit" doc:"id of the lead unit (đơn vị chủ trì); required"`
	CoordinatingUnits []int64 `json:"coordinatingUnits"`
	DueOn             string  `json:"dueOn" doc:"YYYY-MM-DD or dd/mm/yyyy; on or after the conclusion's date"`
	Pillar            string  `json:"pillar"`
	Output            string  `json:"output"`
}

const meetingColumns = `m.id, m.unit_id, m.body, m.held_on, m.title, m.chair, m.attendees, m.review_month, m.review_as_of, m.note,
	COALESCE((SELECT u.full_name FROM users u WHERE u.id = m.created_by), ''), m.created_at`

func (s *Store) scanMeetings(ctx context.Context, q string, args ...any) ([]Meeting, error) {
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out := []Meeting{}
	for rows.Next() {
		var m Meeting
		var attendees string
		if err := rows.Scan(&m.ID, &m.Unit.ID, &m.Body, &m.HeldOn, &m.Title, &m.Chair, &attendees, &m.ReviewMonth, &m.ReviewAsOf, &m.Note, &m.CreatedBy, &m.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		m.Attendees = lines(attendees)
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	refs := s.refs(ctx)
	for i := range out {
		out[i].Unit = refs.get(out[i].Unit.ID)
		if out[i].Conclusion, err = s.conclusionOf(ctx, out[i].ID, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Meetings lists the meetings of committees within scopes, newest first.
func (s *Store) Meetings(ctx context.Context, scopes []int64) ([]Meeting, error) {
	all, err := s.scanMeetings(ctx, `SELECT `+meetingColumns+` FROM steering_meetings m ORDER BY m.held_on DESC, m.id DESC`)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, m := range all {
		if ok, err := s.withinAny(ctx, m.Unit.ID, scopes); err != nil {
			return nil, err
		} else if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

func (s *Store) withinAny(ctx context.Context, unit int64, scopes []int64) (bool, error) {
	for _, sc := range scopes {
		ok, err := s.org.Within(ctx, unit, sc)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// Meeting returns one meeting with its snapshot and conclusion.
func (s *Store) Meeting(ctx context.Context, id int64) (Meeting, error) {
	list, err := s.scanMeetings(ctx, `SELECT `+meetingColumns+` FROM steering_meetings m WHERE m.id = $1`, id)
	if err != nil {
		return Meeting{}, fmt.Errorf("load meeting %d: %w", id, err)
	}
	if len(list) == 0 {
		return Meeting{}, errs.NotFound
	}
	m := list[0]
	var snap string
	if err := s.db.Read.QueryRowContext(ctx, `SELECT review_snapshot FROM steering_meetings WHERE id = $1`, id).Scan(&snap); err != nil {
		return m, err
	}
	var rv Review
	if err := json.Unmarshal([]byte(snap), &rv); err != nil {
		return m, fmt.Errorf("meeting %d: review snapshot: %w", id, err)
	}
	m.Snapshot = &rv
	if m.Conclusion, err = s.conclusionOf(ctx, id, true); err != nil {
		return m, err
	}
	return m, nil
}

// conclusionOf reads a meeting's conclusion (nil when none), with its
// directives when withTasks.
func (s *Store) conclusionOf(ctx context.Context, meeting int64, withTasks bool) (*Conclusion, error) {
	var c Conclusion
	var recipients string
	err := s.db.Read.QueryRowContext(ctx, `SELECT c.id, c.meeting_id, c.plan_id, c.number, c.issued_on, p.title, c.signer, c.signer_authority, c.signer_title, c.preamble, c.recipients
		FROM steering_conclusions c JOIN plans p ON p.id = c.plan_id WHERE c.meeting_id = $1`, meeting).
		Scan(&c.ID, &c.MeetingID, &c.PlanID, &c.Number, &c.IssuedOn, &c.Title, &c.Signer, &c.SignerAuthority, &c.SignerTitle, &c.Preamble, &recipients)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.Recipients = lines(recipients)
	c.Directives = []Task{}
	if withTasks {
		if c.Directives, err = s.Tasks(ctx, TaskFilter{PlanID: c.PlanID}); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// ConclusionSource names a plan that is a conclusion: its number, date and
// meeting.
type ConclusionSource struct {
	PlanID    int64
	MeetingID int64
	Number    string
	IssuedOn  string
}

// conclusionSources maps each conclusion's plan to its source.
func (s *Store) conclusionSources(ctx context.Context) (map[int64]ConclusionSource, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT plan_id, meeting_id, number, issued_on FROM steering_conclusions`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]ConclusionSource{}
	for rows.Next() {
		var c ConclusionSource
		if err := rows.Scan(&c.PlanID, &c.MeetingID, &c.Number, &c.IssuedOn); err != nil {
			return nil, err
		}
		out[c.PlanID] = c
	}
	return out, rows.Err()
}

func lines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func trimLines(list []string) []string {
	out := []string{}
	for _, l := range list {
		for _, x := range strings.Split(l, "\n") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
	}
	return out
}

// committeeBody is the default name of a unit's committee, upper case as
// documents print it.
func committeeBody(u UnitRef) string {
	return "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ " + strings.ToUpper(u.Name)
}

// RecordMeeting authorises and records a meeting (and its conclusion when
// in holds one) in one transaction; it returns the meeting's id.
func (s *Store) RecordMeeting(ctx context.Context, p *org.Principal, in MeetingInput) (int64, error) {
	if in.UnitID == 0 {
		if sc := s.org.Scopes(p, ManageMeetings); len(sc) > 0 {
			in.UnitID = sc[0]
		}
	}
	if err := s.org.Authorize(ctx, p, ManageMeetings, in.UnitID); err != nil {
		return 0, err
	}
	return s.recordMeeting(ctx, p, in)
}

// recordMeeting records an authorised meeting (p nil: the demo loader).
func (s *Store) recordMeeting(ctx context.Context, p *org.Principal, in MeetingInput) (int64, error) {
	unit, err := s.org.Unit(ctx, in.UnitID, "")
	if err != nil {
		return 0, errs.Invalid(errs.Field{Name: "unitId", Code: "not_found", Context: "meeting"})
	}
	ref := UnitRef{ID: unit.ID, Code: unit.Code, Name: unit.Name}
	t := strings.TrimSpace
	in.Body, in.Title, in.Chair, in.Note = t(in.Body), t(in.Title), t(in.Chair), t(in.Note)
	in.HeldOn, in.ReviewMonth = locale.FormDate(t(in.HeldOn)), locale.FormMonth(t(in.ReviewMonth))
	in.Attendees = trimLines(in.Attendees)
	v := errs.Validator{Context: "meeting"}
	v.Check(in.HeldOn != "", "heldOn", "required")
	v.Check(in.HeldOn == "" || org.ValidDate(in.HeldOn), "heldOn", "date")
	v.Check(!org.ValidDate(in.HeldOn) || in.HeldOn <= org.Today(), "heldOn", "future")
	v.Check(in.Chair != "", "chair", "required")
	v.Text("chair", in.Chair, errs.Name)
	v.Text("body", in.Body, errs.Line)
	v.Text("title", in.Title, errs.Line)
	v.Text("note", in.Note, errs.Paragraph)
	v.Check(len(in.Attendees) <= 200, "attendees", "max_items", 200)
	for i, a := range in.Attendees {
		v.Text(fmt.Sprintf("attendees[%d]", i), a, errs.Line)
	}
	if org.ValidDate(in.HeldOn) {
		if in.ReviewMonth == "" {
			in.ReviewMonth = in.HeldOn[:7]
		}
		_, merr := time.Parse("2006-01", in.ReviewMonth)
		v.Check(merr == nil, "reviewMonth", "month")
		v.Check(merr != nil || in.ReviewMonth <= in.HeldOn[:7], "reviewMonth", "after_meeting")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	if in.Body == "" {
		in.Body = committeeBody(ref)
	}
	if in.Title == "" {
		in.Title = fmt.Sprintf("Phiên họp Ban Chỉ đạo tháng %s/%s", in.HeldOn[5:7], in.HeldOn[:4])
	}
	// The snapshot: the review of the committee's unit as it stood on the
	// meeting's day (or the end of the month discussed, if earlier).
	rv, err := s.ComputeReview(ctx, in.ReviewMonth, []int64{unit.ID}, in.HeldOn)
	if err != nil {
		return 0, err
	}
	snap, err := json.Marshal(rv)
	if err != nil {
		return 0, err
	}
	var conc *resolvedConclusion
	if in.Conclusion != nil {
		if conc, err = s.resolveConclusion(ctx, ref, in.HeldOn, in.Body, *in.Conclusion, "conclusion."); err != nil {
			return 0, err
		}
	}
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO steering_meetings (unit_id, body, held_on, title, chair, attendees, review_month, review_as_of, review_snapshot, note, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			unit.ID, in.Body, in.HeldOn, in.Title, in.Chair, strings.Join(in.Attendees, "\n"), in.ReviewMonth, rv.AsOf, string(snap), in.Note, nullUser(p), store.Now()).Scan(&id)
		if err != nil {
			return err
		}
		if p != nil {
			if err := audit.Record(ctx, tx, audit.FromContext(ctx, audit.MeetingRecord, unit.Code+" "+in.HeldOn, in.Title, true)); err != nil {
				return err
			}
		}
		if conc != nil {
			return s.writeConclusion(ctx, tx, p, id, conc)
		}
		return nil
	})
	if err == nil && conc != nil {
		s.noticeDirectives(ctx, p, conc)
	}
	return id, err
}

func nullUser(p *org.Principal) any {
	if p == nil || p.UserID == 0 {
		return nil
	}
	return p.UserID
}

// resolvedConclusion is a checked conclusion, ready to write.
type resolvedConclusion struct {
	in     ConclusionInput
	doc    *resolved
	leads  []int64 // each directive's lead unit
	planID int64
	tasks  []int64 // the directives' task ids, once written
}

// resolveConclusion checks a conclusion of the committee of unit, met on
// heldOn, and builds the plan document that holds its directives. prefix
// names its fields ("conclusion." inside a meeting, "" on its own).
func (s *Store) resolveConclusion(ctx context.Context, unit UnitRef, heldOn, body string, in ConclusionInput, prefix string) (*resolvedConclusion, error) {
	t := strings.TrimSpace
	in.Number, in.Title, in.Signer, in.SignerAuthority, in.SignerTitle, in.Preamble = t(in.Number), t(in.Title), t(in.Signer), t(in.SignerAuthority), t(in.SignerTitle), t(in.Preamble)
	in.IssuedOn = locale.FormDate(t(in.IssuedOn))
	in.Recipients = trimLines(in.Recipients)
	v := errs.Validator{Context: "conclusion"}
	f := func(name string) string { return prefix + name }
	v.Check(in.Number != "", f("number"), "required")
	v.Text(f("number"), in.Number, errs.Short)
	v.Check(in.IssuedOn != "", f("issuedOn"), "required")
	v.Check(in.IssuedOn == "" || org.ValidDate(in.IssuedOn), f("issuedOn"), "date")
	v.Check(!org.ValidDate(in.IssuedOn) || in.IssuedOn >= heldOn, f("issuedOn"), "before_meeting", locale.ISODate(locale.VI, heldOn))
	v.Check(in.Signer != "", f("signer"), "required")
	v.Text(f("signer"), in.Signer, errs.Name)
	v.Text(f("signerAuthority"), in.SignerAuthority, errs.Name)
	v.Text(f("signerTitle"), in.SignerTitle, errs.Name)
	v.Text(f("title"), in.Title, errs.Line)
	v.Text(f("preamble"), in.Preamble, errs.Paragraph)
	for i, r := range in.Recipients {
		v.Text(fmt.Sprintf("%srecipients[%d]", prefix, i), r, errs.Line)
	}
	v.Check(len(in.Directives) > 0, f("directives"), "min_directives")
	v.Check(len(in.Directives) <= 100, f("directives"), "max_items", 100)
	pillars, err := s.pillarCodes(ctx)
	if err != nil {
		return nil, err
	}
	date := in.IssuedOn
	if !org.ValidDate(date) {
		date = heldOn
	}
	rc := &resolvedConclusion{in: in}
	d := Doc{Key: "KL " + date[:4] + " " + in.Number, Number: in.Number, Title: in.Title, Issuer: body, IssuerUnit: unit.Code, Date: date, Signer: in.Signer,
		SpanFrom: mustYear(date), SpanTo: mustYear(date), Status: "in_force", LegalBases: []string{},
		Note: "Thông báo kết luận phiên họp Ban Chỉ đạo ngày " + locale.ISODate(locale.VI, heldOn)}
	if d.Title == "" {
		d.Title = "Kết luận của Trưởng Ban Chỉ đạo tại phiên họp ngày " + locale.ISODate(locale.VI, heldOn)
		rc.in.Title = d.Title
	}
	var dues []string
	for i, x := range in.Directives {
		field := func(name string) string { return fmt.Sprintf("%sdirectives[%d].%s", prefix, i, name) }
		num := strconv.Itoa(i + 1)
		x.Content, x.Pillar, x.Output = t(x.Content), t(x.Pillar), t(x.Output)
		x.DueOn = locale.FormDate(t(x.DueOn))
		v.Check(x.Content != "", field("content"), "required")
		v.Text(field("content"), x.Content, errs.Paragraph)
		v.Text(field("output"), x.Output, errs.Paragraph)
		v.Check(x.Pillar == "" || slices.Contains(pillars, x.Pillar), field("pillar"), "one_of", strings.Join(pillars, ", "))
		v.Check(x.DueOn != "", field("dueOn"), "required")
		v.Check(x.DueOn == "" || org.ValidDate(x.DueOn), field("dueOn"), "date")
		v.Check(!org.ValidDate(x.DueOn) || x.DueOn >= date, field("dueOn"), "before_conclusion")
		task := DocTask{Number: num, Pillar: x.Pillar, Description: x.Content, Output: x.Output, LeadUnits: []string{}, CoordinatingUnits: []string{}}
		if x.LeadUnit == 0 {
			v.Add(field("leadUnit"), "directive_lead", num)
		} else if code, ok := s.unitInCommittee(ctx, &v, field("leadUnit"), x.LeadUnit, unit.ID, date); ok {
			task.LeadUnits = append(task.LeadUnits, code)
			task.LeadText = s.unitName(ctx, x.LeadUnit)
		}
		var coordNames []string
		for j, c := range x.CoordinatingUnits {
			if c == x.LeadUnit {
				continue
			}
			if code, ok := s.unitInCommittee(ctx, &v, fmt.Sprintf("%s[%d]", field("coordinatingUnits"), j), c, unit.ID, date); ok && !slices.Contains(task.CoordinatingUnits, code) {
				task.CoordinatingUnits = append(task.CoordinatingUnits, code)
				coordNames = append(coordNames, s.unitName(ctx, c))
			}
		}
		task.CoordinatingText = strings.Join(coordNames, "; ")
		if org.ValidDate(x.DueOn) {
			y := mustYear(x.DueOn)
			task.From, task.To = &d.SpanFrom, &y
			task.TimeText = "Trước ngày " + locale.ISODate(locale.VI, x.DueOn)
			d.SpanTo = max(d.SpanTo, y)
		}
		dues = append(dues, x.DueOn)
		rc.leads = append(rc.leads, x.LeadUnit)
		d.Tasks = append(d.Tasks, task)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var n int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM plans WHERE plan_key = $1`, d.Key).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, errs.Invalid(errs.Field{Name: f("number"), Code: "duplicate", Args: []any{in.Number}, Context: "conclusion"})
	}
	r, err := s.Validate(ctx, d)
	if err != nil {
		// Checked above; what is left is named as the plan's field.
		return nil, err
	}
	for i := range r.tasks {
		// A directive is due on its day, not at the end of its year.
		r.tasks[i].startOn, r.tasks[i].dueOn = date, dues[i]
	}
	rc.doc = r
	return rc, nil
}

func mustYear(date string) int {
	y, _ := strconv.Atoi(date[:4])
	return y
}

// unitInCommittee checks that unit exists on date within the committee's
// unit, and returns its code.
func (s *Store) unitInCommittee(ctx context.Context, v *errs.Validator, field string, unit, committee int64, date string) (string, bool) {
	u, err := s.org.Unit(ctx, unit, "")
	if err != nil {
		v.Add(field, "not_found")
		return "", false
	}
	if !u.Active(date) {
		v.Add(field, "inactive_unit_code", u.Code, locale.ISODate(locale.VI, date))
		return "", false
	}
	if ok, err := s.org.Within(ctx, unit, committee); err != nil || !ok {
		v.Add(field, "outside_committee", u.Name)
		return "", false
	}
	return u.Code, true
}

func (s *Store) unitName(ctx context.Context, id int64) string {
	if u, err := s.org.Unit(ctx, id, ""); err == nil {
		return u.Name
	}
	return ""
}

// writeConclusion writes a checked conclusion of meeting inside tx.
func (s *Store) writeConclusion(ctx context.Context, tx *sql.Tx, p *org.Principal, meeting int64, rc *resolvedConclusion) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM steering_conclusions WHERE meeting_id = $1`, meeting).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errs.Conflict
	}
	res, err := s.write(ctx, tx, rc.doc)
	if err != nil {
		return err
	}
	if !res.Created {
		// Another conclusion took the number since it was checked.
		return errs.Invalid(errs.Field{Name: "number", Code: "duplicate", Args: []any{rc.in.Number}, Context: "conclusion"})
	}
	rc.planID = res.PlanID
	in := rc.in
	if _, err := tx.ExecContext(ctx, `INSERT INTO steering_conclusions (meeting_id, plan_id, number, issued_on, signer, signer_authority, signer_title, preamble, recipients, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		meeting, res.PlanID, in.Number, rc.doc.date, in.Signer, in.SignerAuthority, in.SignerTitle, in.Preamble, strings.Join(in.Recipients, "\n"), nullUser(p), store.Now()); err != nil {
		return err
	}
	if p != nil {
		if err := audit.Record(ctx, tx, audit.FromContext(ctx, audit.ConclusionIssue, in.Number, fmt.Sprintf("meeting %d, %d directives", meeting, len(in.Directives)), true)); err != nil {
			return err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM tasks WHERE plan_id = $1 ORDER BY sort_key`, res.PlanID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		rc.tasks = append(rc.tasks, id)
	}
	return rows.Err()
}

// RecordConclusion authorises and records the conclusion of a meeting that
// has none yet, in one transaction.
func (s *Store) RecordConclusion(ctx context.Context, p *org.Principal, meeting int64, in ConclusionInput) error {
	m, err := s.scanMeetings(ctx, `SELECT `+meetingColumns+` FROM steering_meetings m WHERE m.id = $1`, meeting)
	if err != nil {
		return err
	}
	if len(m) == 0 {
		return errs.NotFound
	}
	if err := s.org.Authorize(ctx, p, ManageMeetings, m[0].Unit.ID); err != nil {
		return err
	}
	if m[0].Conclusion != nil {
		return errs.Conflict
	}
	rc, err := s.resolveConclusion(ctx, m[0].Unit, m[0].HeldOn, m[0].Body, in, "")
	if err != nil {
		return err
	}
	if err := s.db.Tx(ctx, func(tx *sql.Tx) error { return s.writeConclusion(ctx, tx, p, meeting, rc) }); err != nil {
		return err
	}
	s.noticeDirectives(ctx, p, rc)
	return nil
}

// noticeDirectives tells each directive's lead unit (its reporters and
// approver) of its new duty.
func (s *Store) noticeDirectives(ctx context.Context, p *org.Principal, rc *resolvedConclusion) {
	var actor int64
	if p != nil {
		actor = p.UserID
	}
	for i, task := range rc.tasks {
		if i >= len(rc.leads) {
			break
		}
		x := rc.in.Directives[i]
		s.notify(ctx, Notice{
			Kind:    "plan.directive.assigned",
			Units:   []int64{rc.leads[i]},
			Roles:   []string{org.RoleReporter, org.RoleApprover},
			Subject: "meeting.notice.subject",
			Body:    "meeting.notice.body",
			Args:    []any{rc.in.Number, i + 1, shorten(strings.TrimSpace(x.Content), 200), locale.ISODate(locale.VI, locale.FormDate(strings.TrimSpace(x.DueOn)))},
			Link:    fmt.Sprintf("/tasks/%d", task),
			Actor:   actor,
		})
	}
}

// overviewDirectives gives the leader's overview the directives of the
// last conclusion among planIDs (the plans in the viewer's scopes).
func (s *Store) overviewDirectives(ctx context.Context, o *Overview, planIDs []int64) error {
	sources, err := s.conclusionSources(ctx)
	if err != nil || len(sources) == 0 {
		return err
	}
	var last *ConclusionSource
	for _, id := range planIDs {
		if c, ok := sources[id]; ok && (last == nil || c.IssuedOn > last.IssuedOn || c.IssuedOn == last.IssuedOn && c.MeetingID > last.MeetingID) {
			last = &c
		}
	}
	if last == nil {
		return nil
	}
	tasks, err := s.Tasks(ctx, TaskFilter{PlanID: last.PlanID})
	if err != nil {
		return err
	}
	d := &OverviewDirectives{Meeting: last.Number + ", " + locale.ISODate(locale.VI, last.IssuedOn), Href: fmt.Sprintf("/meetings/%d#conclusion", last.MeetingID), Items: []OverviewDirective{}}
	for _, t := range tasks {
		d.Items = append(d.Items, OverviewDirective{Number: t.Number, Text: t.Description, TaskID: t.ID, Status: t.Status, DueOn: t.TimeFrame.DueOn, Overdue: t.Overdue})
	}
	o.Directives = d
	return nil
}
