package report

// The way of a report up the tree (issue 7, part 3): submit, approve level
// by level, return with a comment, unapprove, withdraw, and the
// coordinator's reopening of a locked period. One report is one form ×
// unit × period (report_submissions); each step is an event with the
// SHA-256 of the values it covered (report_submission_events) and a line
// of the audit trail, written in the step's transaction.
//
// The levels (Chain) are the unit's ancestors that are districts or
// provinces, as the registry stood on the last day of the period's data
// cut-off: before 1 July 2025 a commune's report goes to its district,
// then to the province; since, to the province; a department's and a
// district's to the province. The approvers of the level a report waits
// at (WaitingUnit) approve it; the last level's approval makes it final
// (state accepted). tinhso has no separate acceptance step: the approval
// by the next level up is what DHIS2 calls accepting the lower level's
// approval (see dhis2_approval.go).

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// ReturnReopenDays is how many working days a report returned after its
// period locked stays open for its unit to correct and send it again.
const ReturnReopenDays = 5

// MaxReopenDays bounds how far ahead a coordinator may reopen a period.
const MaxReopenDays = 92

// Event actions (report_submission_events.action).
const (
	ActionSubmit    = "submit"
	ActionWithdraw  = "withdraw"
	ActionApprove   = "approve" // a level approved; the next level approves next
	ActionAccept    = "accept"  // the last level approved: the report is final
	ActionReturn    = "return"
	ActionUnapprove = "unapprove"
	ActionReopen    = "reopen"
)

// FormRef names a form.
type FormRef struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
}

// Report is the state of one report (form × unit × period) as
// completeness, reminders and the pages read it.
type Report struct {
	Form   FormRef `json:"form"`
	Unit   UnitRef `json:"unit" doc:"the reporting unit; name is its label, with its province"`
	Period string  `json:"period"`
	// State is "" (open: nothing saved, or only values through the API),
	// draft, submitted, returned, approved (by an intermediate level) or
	// accepted (the last level approved it: final).
	State string `json:"state" doc:"'' (open), draft, submitted, returned, approved (by an intermediate level, ApprovedUnit; WaitingUnit approves next) or accepted (final)"`
	// WaitingUnit is the level whose approvers act next (submitted and
	// approved reports only).
	WaitingUnit  *UnitRef `json:"waitingUnit,omitempty"`
	ApprovedUnit *UnitRef `json:"approvedUnit,omitempty" doc:"the level that approved last"`
	// FirstSubmittedAt and OnTime are set by the first submission and kept
	// through returns: OnTime says whether it came before the end of the
	// deadline day.
	FirstSubmittedAt *time.Time `json:"firstSubmittedAt,omitempty"`
	OnTime           *bool      `json:"onTime,omitempty"`
	SubmittedAt      *time.Time `json:"submittedAt,omitempty" doc:"the last submission"`
	SubmittedBy      string     `json:"submittedBy,omitempty" doc:"username"`
	ApprovedAt       *time.Time `json:"approvedAt,omitempty" doc:"the last approval"`
	ApprovedBy       string     `json:"approvedBy,omitempty" doc:"username"`
	ValuesSHA256     string     `json:"valuesSha256,omitempty" doc:"digest of the values the last submission or approval covered (see Canonical)"`
	UpdatedAt        *time.Time `json:"updatedAt,omitempty"`
}

// Final reports whether the last level approved the report.
func (r Report) Final() bool { return r.State == StateAccepted }

// Done reports whether the report was sent and not returned or withdrawn
// since: submitted, approved or accepted (what completeness counts).
func (r Report) Done() bool {
	return r.State == StateSubmitted || r.State == StateApproved || r.State == StateAccepted
}

// ReportFilter narrows Reports; zero members do not filter.
type ReportFilter struct {
	Form    int64
	Period  string
	Unit    int64
	Units   []int64  // only these reporting units (nil: any)
	States  []string // only these states ("" is open)
	Waiting int64    // only the reports waiting at this unit
	// Expected, with Form and Period, also lists the units that must
	// report the form for the period and have no report row, as open
	// reports (State "").
	Expected bool
}

// Reports lists reports by form code, period and unit: the rows of
// report_submissions (a report someone saved, submitted or reopened), and
// with f.Expected the units still to start. It does not authorise;
// callers filter by scope.
func (s *Store) Reports(ctx context.Context, f ReportFilter) ([]Report, error) {
	q := `SELECT s.form_id, f.code, f.name, s.unit_id, s.period, s.state, COALESCE(s.waiting_unit_id, 0), COALESCE(s.approved_unit_id, 0),
		s.first_submitted_at, s.on_time, s.submitted_at, COALESCE(su.username, ''), s.approved_at, COALESCE(au.username, ''), s.values_sha256, s.updated_at
		FROM report_submissions s JOIN report_forms f ON f.id = s.form_id
		LEFT JOIN users su ON su.id = s.submitted_by LEFT JOIN users au ON au.id = s.approved_by WHERE 1=1`
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		q += fmt.Sprintf(" AND "+cond, len(args))
	}
	if f.Form != 0 {
		add("s.form_id = $%d", f.Form)
	}
	if f.Period != "" {
		add("s.period = $%d", f.Period)
	}
	if f.Unit != 0 {
		add("s.unit_id = $%d", f.Unit)
	}
	if f.Waiting != 0 {
		add("s.waiting_unit_id = $%d", f.Waiting)
	}
	if f.Units != nil {
		q += " AND s.unit_id IN (" + store.InList(&args, f.Units) + ")"
	}
	if f.States != nil {
		var ph []string
		for _, st := range f.States {
			args = append(args, st)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		q += " AND s.state IN (" + strings.Join(ph, ",") + ")"
	}
	q += " ORDER BY f.code, s.period, s.unit_id"
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("report: reports: %w", err)
	}
	var out []Report
	for rows.Next() {
		var r Report
		var waiting, approved int64
		var first, submitted, approvedAt, updated sql.NullTime
		var onTime sql.NullBool
		if err := rows.Scan(&r.Form.ID, &r.Form.Code, &r.Form.Name, &r.Unit.ID, &r.Period, &r.State, &waiting, &approved,
			&first, &onTime, &submitted, &r.SubmittedBy, &approvedAt, &r.ApprovedBy, &r.ValuesSHA256, &updated); err != nil {
			rows.Close()
			return nil, err
		}
		if waiting != 0 {
			r.WaitingUnit = &UnitRef{ID: waiting}
		}
		if approved != 0 {
			r.ApprovedUnit = &UnitRef{ID: approved}
		}
		r.FirstSubmittedAt, r.SubmittedAt, r.ApprovedAt, r.UpdatedAt = timePtr(first), timePtr(submitted), timePtr(approvedAt), timePtr(updated)
		if onTime.Valid {
			r.OnTime = &onTime.Bool
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if f.Expected && f.Form != 0 && f.Period != "" && (f.States == nil || slices.Contains(f.States, StateOpen)) && f.Waiting == 0 {
		if out, err = s.withExpected(ctx, f, out); err != nil {
			return nil, err
		}
	}
	return out, s.fillReportUnits(ctx, out)
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

// withExpected adds the units that must report f's form for its period and
// have no row, as open reports.
func (s *Store) withExpected(ctx context.Context, f ReportFilter, out []Report) ([]Report, error) {
	p, err := ParsePeriod(f.Period)
	if err != nil {
		return nil, err
	}
	form, err := s.Form(ctx, f.Form)
	if err != nil {
		return nil, err
	}
	if p.Type().String() != form.PeriodType {
		return out, nil
	}
	fu, err := s.UnitsFor(ctx, f.Form, p)
	if err != nil {
		return nil, err
	}
	have := map[int64]bool{}
	for _, r := range out {
		have[r.Unit.ID] = true
	}
	for _, u := range fu.Units {
		if have[u.ID] || (f.Unit != 0 && u.ID != f.Unit) || (f.Units != nil && !slices.Contains(f.Units, u.ID)) {
			continue
		}
		out = append(out, Report{Form: FormRef{ID: form.ID, Code: form.Code, Name: form.Name}, Unit: UnitRef{ID: u.ID}, Period: f.Period})
	}
	return out, nil
}

// fillReportUnits names the units of reports (code and label).
func (s *Store) fillReportUnits(ctx context.Context, rs []Report) error {
	var ids []int64
	for _, r := range rs {
		ids = append(ids, r.Unit.ID)
		if r.WaitingUnit != nil {
			ids = append(ids, r.WaitingUnit.ID)
		}
		if r.ApprovedUnit != nil {
			ids = append(ids, r.ApprovedUnit.ID)
		}
	}
	slices.Sort(ids)
	units, err := s.org.UnitsByID(ctx, slices.Compact(ids))
	if err != nil {
		return err
	}
	name := func(ref *UnitRef) {
		u := units[ref.ID]
		ref.Code, ref.Name = u.Code, u.Label
		if ref.Name == "" {
			ref.Name = u.Name
		}
	}
	for i := range rs {
		name(&rs[i].Unit)
		if rs[i].WaitingUnit != nil {
			name(rs[i].WaitingUnit)
		}
		if rs[i].ApprovedUnit != nil {
			name(rs[i].ApprovedUnit)
		}
	}
	return nil
}

// Report is one report, open when it has no row yet. The unit must report
// the form for the period (errs.NotFound otherwise).
func (s *Store) Report(ctx context.Context, k ReportKey) (Report, error) {
	info, err := s.prepare(ctx, k)
	if err != nil {
		return Report{}, err
	}
	return s.reportOf(ctx, info)
}

func (s *Store) reportOf(ctx context.Context, info *reportInfo) (Report, error) {
	rs, err := s.Reports(ctx, ReportFilter{Form: info.key.Form, Period: info.key.Period, Unit: info.key.Unit})
	if err != nil {
		return Report{}, err
	}
	if len(rs) > 0 {
		return rs[0], nil
	}
	return Report{Form: FormRef{ID: info.form.ID, Code: info.form.Code, Name: info.form.Name}, Unit: info.unit, Period: info.key.Period}, nil
}

// reportInfo is what every step knows of a report before it acts.
type reportInfo struct {
	key    ReportKey
	form   Form
	period Period
	unit   UnitRef // with its label
	chain  []UnitRef
}

var errNotAssigned = &errs.Error{Status: 404, Code: "report_not_assigned", Key: "error.report.not_assigned"}

// prepare loads the form and period of k and checks that the unit must
// report the form for the period.
func (s *Store) prepare(ctx context.Context, k ReportKey) (*reportInfo, error) {
	f, err := s.Form(ctx, k.Form)
	if err != nil {
		return nil, err
	}
	p, err := ParsePeriod(k.Period)
	if err != nil {
		return nil, err
	}
	if p.Type().String() != f.PeriodType {
		return nil, errs.Invalid(errs.Field{Name: "period", Code: "report.period_type_mismatch", Args: []any{f.PeriodType}, Context: "report"})
	}
	k.Period = p.String()
	fu, err := s.UnitsFor(ctx, k.Form, p)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(fu.Units, func(u org.Unit) bool { return u.ID == k.Unit })
	if i < 0 {
		return nil, errNotAssigned
	}
	u := fu.Units[i]
	info := &reportInfo{key: k, form: f, period: p, unit: UnitRef{ID: u.ID, Code: u.Code, Name: u.Label}}
	if info.unit.Name == "" {
		info.unit.Name = u.Name
	}
	if info.chain, err = s.Chain(ctx, k.Unit, p); err != nil {
		return nil, err
	}
	return info, nil
}

// Chain lists the levels that approve a unit's report for period p,
// nearest first: the unit's ancestors that are districts or provinces as
// the registry stood on the last day of p's cut-off (a commune before 1
// July 2025: its district, then its province; since: its province; a
// department or a district: its province). A unit with no such ancestor (a
// province reporting) approves its own report.
func (s *Store) Chain(ctx context.Context, unit int64, p Period) ([]UnitRef, error) {
	_, end := p.CutOff()
	path, err := s.org.Path(ctx, unit, end.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("report: approval levels of unit %d: %w", unit, err)
	}
	var units []org.Unit
	for i := len(path) - 2; i >= 0; i-- {
		if l := path[i].Level; l == "district" || l == "province" {
			units = append(units, path[i])
		}
	}
	if len(units) == 0 {
		units = path[len(path)-1:]
	}
	units, err = s.org.WithLabels(ctx, units)
	if err != nil {
		return nil, err
	}
	out := make([]UnitRef, len(units))
	for i, u := range units {
		out[i] = UnitRef{ID: u.ID, Code: u.Code, Name: u.Label}
		if out[i].Name == "" {
			out[i].Name = u.Name
		}
	}
	return out, nil
}

func chainIndex(chain []UnitRef, unit int64) int {
	return slices.IndexFunc(chain, func(u UnitRef) bool { return u.ID == unit })
}

// subRow is a report's row as a step reads it (id 0: no row yet).
type subRow struct {
	id                int64
	state             string
	waiting, approved int64
}

func readSub(ctx context.Context, q store.Querier, k ReportKey) (subRow, error) {
	var r subRow
	err := q.QueryRowContext(ctx, `SELECT id, state, COALESCE(waiting_unit_id, 0), COALESCE(approved_unit_id, 0) FROM report_submissions
		WHERE form_id = $1 AND unit_id = $2 AND period = $3`, k.Form, k.Unit, k.Period).Scan(&r.id, &r.state, &r.waiting, &r.approved)
	if errors.Is(err, sql.ErrNoRows) {
		return subRow{}, nil
	}
	return r, err
}

// The refusals of a step in the wrong state (409), each with its message.
var (
	errNotEditable  = &errs.Error{Status: 409, Code: "report_not_editable", Key: "error.report.not_editable"}
	errNotWaiting   = &errs.Error{Status: 409, Code: "report_not_waiting", Key: "error.report.not_waiting"}
	errNotApproved  = &errs.Error{Status: 409, Code: "report_not_approved", Key: "error.report.not_approved"}
	errNotSubmitted = &errs.Error{Status: 409, Code: "report_not_submitted", Key: "error.report.not_submitted"}
	errApproved     = &errs.Error{Status: 409, Code: "report_approved", Key: "error.report.approved"}
	errChanged      = &errs.Error{Status: 409, Code: "report_changed", Key: "error.report.changed"}
	// errDryRun rolls a step's transaction back after every check passed.
	errDryRun = errors.New("report: dry run")
)

func errFuture(from time.Time) error {
	return &errs.Error{Status: 409, Code: "report_future", Key: "error.report.future", Args: []any{from.Format("02/01/2006")}}
}

func errLocked(at time.Time) error {
	return &errs.Error{Status: 409, Code: "report_locked", Key: "error.report.locked", Args: []any{at.In(vietnam()).Format("15:04 02/01/2006")}}
}

// now is the instant of a step, as stored.
func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// entryOpen refuses a period whose cut-off has not begun and one that is
// locked for the unit (after its deadline plus grace, not reopened).
func (s *Store) entryOpen(ctx context.Context, q store.Querier, info *reportInfo, now time.Time) error {
	from, _ := info.period.CutOff()
	if Day(now.In(vietnam())).Before(from) {
		return errFuture(from)
	}
	locked, lock, err := s.lockedAt(ctx, q, info, now)
	if err != nil {
		return err
	}
	if locked {
		return errLocked(lock)
	}
	return nil
}

// lockedAt reports whether the period is locked for the unit at now, and
// when it locked.
func (s *Store) lockedAt(ctx context.Context, q store.Querier, info *reportInfo, now time.Time) (bool, time.Time, error) {
	lock, err := s.LockAt(info.form.ID, info.period, info.form.DeadlineDays, info.form.GraceDays)
	if err != nil {
		return false, time.Time{}, err
	}
	if now.Before(lock) {
		return false, lock, nil
	}
	until, err := reopenedUntil(ctx, q, info.key)
	if err != nil {
		return false, lock, err
	}
	return !now.Before(until), lock, nil
}

// stepUser is the principal's user id as stored (NULL for none).
func stepUser(p *org.Principal) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: p.UserID, Valid: p.UserID != 0}
}

func nullUnit(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// addEvent records one step of a report.
func addEvent(ctx context.Context, tx *sql.Tx, sub int64, action string, unit int64, comment, digest string, p *org.Principal, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO report_submission_events (submission_id, action, unit_id, comment, values_sha256, user_id, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, sub, action, nullUnit(unit), comment, digest, stepUser(p), at)
	if err != nil {
		return fmt.Errorf("report: %s event: %w", action, err)
	}
	return nil
}

// recordStep records a step: its event and its line of the audit trail.
func recordStep(ctx context.Context, tx *sql.Tx, sub int64, action string, unit int64, kind string, info *reportInfo, comment, digest string, p *org.Principal, now time.Time) error {
	if err := addEvent(ctx, tx, sub, action, unit, comment, digest, p, now); err != nil {
		return err
	}
	return auditStep(ctx, tx, kind, info, stepDetail(digest, comment))
}

// auditStep writes the step's line of the audit trail in its transaction:
// the report as "FORM UNIT PERIOD", the digest and the comment.
func auditStep(ctx context.Context, tx *sql.Tx, kind string, info *reportInfo, detail string) error {
	subject := info.form.Code + " " + info.unit.Code + " " + info.key.Period
	return audit.Record(ctx, tx, audit.FromContext(ctx, kind, subject, detail, true))
}

func stepDetail(digest, comment string) string {
	d := "sha256=" + digest
	if comment != "" {
		d += " — " + comment
	}
	return d
}

func checkComment(comment string, required bool) error {
	v := errs.Validator{Context: "report"}
	if required && strings.TrimSpace(comment) == "" {
		v.Add("comment", "required")
	}
	v.Text("comment", comment, errs.Paragraph)
	return v.Err()
}

// tx runs a step in one transaction; dry rolls it back once every check
// passed (DHIS2's dryRun).
func (s *Store) tx(ctx context.Context, dry bool, fn func(tx *sql.Tx) error) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil || !dry {
			return err
		}
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
}

// preEntry is what the unit's steps do first: load the report, authorise
// the caller to enter the unit's data (report.enter), check the comment.
func (s *Store) preEntry(ctx context.Context, p *org.Principal, k ReportKey, comment string) (*reportInfo, error) {
	info, err := s.prepare(ctx, k)
	if err != nil {
		return nil, err
	}
	if err := s.org.Authorize(ctx, p, EnterReports, info.key.Unit); err != nil {
		return nil, err
	}
	return info, checkComment(comment, false)
}

// Submit sends a report up (Gửi báo cáo): the caller must enter data for
// the unit (report.enter); the report must be open, a draft or returned;
// the period's cut-off must have begun and the period must not be locked
// for the unit; the form's rules must pass. The report then waits at the
// first level of its Chain. The first submission records whether it came
// on time. The DHIS2 import's completeDate and POST
// /api/completeDataSetRegistrations call it.
func (s *Store) Submit(ctx context.Context, p *org.Principal, k ReportKey, comment string) error {
	return s.submit(ctx, p, k, comment, false)
}

// submit is Submit; with dry it checks everything and writes nothing.
func (s *Store) submit(ctx context.Context, p *org.Principal, k ReportKey, comment string, dry bool) error {
	info, err := s.preEntry(ctx, p, k, comment)
	if err != nil {
		return err
	}
	k, now := info.key, s.now()
	onTime := sql.NullBool{}
	if due, err := s.Calendar.LockAt(info.period, info.form.DeadlineDays, 0); err == nil {
		onTime = sql.NullBool{Bool: now.Before(due), Valid: true}
	}
	return s.tx(ctx, dry, func(tx *sql.Tx) error {
		row, err := readSub(ctx, tx, k)
		if err != nil {
			return err
		}
		if !Editable(row.state) {
			return errNotEditable
		}
		if err := s.entryOpen(ctx, tx, info, now); err != nil {
			return err
		}
		values, err := ReportValues(ctx, tx, k)
		if err != nil {
			return err
		}
		if err := ruleErrors(CheckRules(info.form.Rules, values)); err != nil {
			return err
		}
		digest := Digest(values)
		first := info.chain[0].ID
		who := stepUser(p)
		if row.id == 0 {
			err = tx.QueryRowContext(ctx, `INSERT INTO report_submissions (form_id, unit_id, period, state, waiting_unit_id, first_submitted_at, submitted_at,
				submitted_by, on_time, values_sha256, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $6) RETURNING id`,
				k.Form, k.Unit, k.Period, StateSubmitted, first, now, who, onTime, digest).Scan(&row.id)
			if store.IsUniqueViolation(err) {
				return errChanged
			} else if err != nil {
				return fmt.Errorf("report: submit: %w", err)
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE report_submissions SET state = $1, waiting_unit_id = $2, approved_unit_id = NULL, approved_at = NULL, approved_by = NULL,
				first_submitted_at = COALESCE(first_submitted_at, $3), submitted_at = $3, submitted_by = $4, on_time = COALESCE(on_time, $5),
				values_sha256 = $6, updated_at = $3 WHERE id = $7 AND state = $8`,
				StateSubmitted, first, now, who, onTime, digest, row.id, row.state)
			if err != nil {
				return fmt.Errorf("report: submit: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errChanged
			}
		}
		if err := recordStep(ctx, tx, row.id, ActionSubmit, k.Unit, audit.ReportSubmit, info, comment, digest, p, now); err != nil {
			return err
		}
		return nil
	})
}

// Withdraw takes a submitted report back to a draft before any level
// approved it (Rút lại; DELETE /api/completeDataSetRegistrations): the
// caller must enter data for the unit, and the period must still be open
// for it (a report withdrawn after the lock could not be sent again).
func (s *Store) Withdraw(ctx context.Context, p *org.Principal, k ReportKey, comment string) error {
	return s.withdraw(ctx, p, k, comment, false)
}

func (s *Store) withdraw(ctx context.Context, p *org.Principal, k ReportKey, comment string, dry bool) error {
	info, err := s.preEntry(ctx, p, k, comment)
	if err != nil {
		return err
	}
	k, now := info.key, s.now()
	return s.tx(ctx, dry, func(tx *sql.Tx) error {
		row, err := readSub(ctx, tx, k)
		if err != nil {
			return err
		}
		switch {
		case row.state == StateApproved || row.state == StateAccepted || (row.state == StateSubmitted && row.approved != 0):
			return errApproved
		case row.state != StateSubmitted:
			return errNotSubmitted
		}
		if err := s.entryOpen(ctx, tx, info, now); err != nil {
			return err
		}
		values, err := ReportValues(ctx, tx, k)
		if err != nil {
			return err
		}
		digest := Digest(values)
		if err := setState(ctx, tx, row, StateDraft, 0, 0, sql.NullInt64{}, sql.NullTime{}, now); err != nil {
			return err
		}
		if err := recordStep(ctx, tx, row.id, ActionWithdraw, k.Unit, audit.ReportWithdraw, info, comment, digest, p, now); err != nil {
			return err
		}
		return nil
	})
}

// setState moves a report from row's state (checked again, so that two
// approvers acting at once cannot both succeed) to state, waiting at
// waiting, last approved by the level approved, by by at at.
func setState(ctx context.Context, tx *sql.Tx, row subRow, state string, waiting, approved int64, by sql.NullInt64, at sql.NullTime, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE report_submissions SET state = $1, waiting_unit_id = $2, approved_unit_id = $3, approved_by = $4, approved_at = $5, updated_at = $6
		WHERE id = $7 AND state = $8 AND COALESCE(waiting_unit_id, 0) = $9 AND COALESCE(approved_unit_id, 0) = $10`,
		state, nullUnit(waiting), nullUnit(approved), by, at, now, row.id, row.state, row.waiting, row.approved)
	if err != nil {
		return fmt.Errorf("report: %s: %w", state, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errChanged
	}
	return nil
}

// Approve is the approval by the level the report waits at (Phê duyệt):
// the caller must approve reports there (report.approve on WaitingUnit).
// The report then waits at the next level of its Chain or, approved by
// the last, is final (accepted). Its data stay locked.
func (s *Store) Approve(ctx context.Context, p *org.Principal, k ReportKey, comment string) error {
	plan, err := s.planApprove(ctx, p, k, comment, false)
	if err != nil {
		return err
	}
	return s.run(ctx, plan)
}

// preStep is what the approvers' steps do first: load the report, read its
// row, let check decide whether the step applies and at which level, and
// authorise the caller there (report.approve); comment is checked
// (required for a return).
func (s *Store) preStep(ctx context.Context, p *org.Principal, k ReportKey, comment string, required bool, check func(subRow) (int64, error)) (*reportInfo, subRow, error) {
	info, err := s.prepare(ctx, k)
	if err != nil {
		return nil, subRow{}, err
	}
	pre, err := readSub(ctx, s.db.Read, info.key)
	if err != nil {
		return nil, subRow{}, err
	}
	level, err := check(pre)
	if err != nil {
		return nil, subRow{}, err
	}
	if err := s.org.Authorize(ctx, p, ApproveReports, level); err != nil {
		return nil, subRow{}, err
	}
	if err := checkComment(comment, required); err != nil {
		return nil, subRow{}, err
	}
	return info, pre, nil
}

// sameRow reads the report's row in the step's transaction and refuses the
// step when someone acted since it was checked.
func sameRow(ctx context.Context, tx *sql.Tx, k ReportKey, pre subRow) (subRow, error) {
	row, err := readSub(ctx, tx, k)
	if err == nil && row != pre {
		err = errChanged
	}
	return row, err
}

// stepPlan is a step checked and authorised, to apply in a transaction
// (several in one, for DHIS2's bulk approvals: all or nothing).
type stepPlan func(ctx context.Context, tx *sql.Tx) error

func (s *Store) run(ctx context.Context, plans ...stepPlan) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, apply := range plans {
			if err := apply(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
}

// planApprove checks and authorises an approval; accept asks for DHIS2's
// acceptance: the report must have been approved by a lower level already
// (see dhis2_approval.go).
func (s *Store) planApprove(ctx context.Context, p *org.Principal, k ReportKey, comment string, accept bool) (stepPlan, error) {
	info, pre, err := s.preStep(ctx, p, k, comment, false, func(r subRow) (int64, error) {
		if (r.state != StateSubmitted && r.state != StateApproved) || r.waiting == 0 || (accept && r.state != StateApproved) {
			return 0, errNotWaiting
		}
		return r.waiting, nil
	})
	if err != nil {
		return nil, err
	}
	k, now := info.key, s.now()
	return func(ctx context.Context, tx *sql.Tx) error {
		row, err := sameRow(ctx, tx, k, pre)
		if err != nil {
			return err
		}
		state, next, action, kind := StateAccepted, int64(0), ActionAccept, audit.ReportAccept
		if i := chainIndex(info.chain, row.waiting); i >= 0 && i+1 < len(info.chain) {
			state, next, action, kind = StateApproved, info.chain[i+1].ID, ActionApprove, audit.ReportApprove
		}
		values, err := ReportValues(ctx, tx, k)
		if err != nil {
			return err
		}
		digest := Digest(values)
		if err := setState(ctx, tx, row, state, next, row.waiting, stepUser(p), sql.NullTime{Time: now, Valid: true}, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE report_submissions SET values_sha256 = $1 WHERE id = $2`, digest, row.id); err != nil {
			return err
		}
		return recordStep(ctx, tx, row.id, action, row.waiting, kind, info, comment, digest, p, now)
	}, nil
}

// Return sends a report back to its unit with a comment saying why (Trả
// lại): the caller must approve reports at the level it waits at. Every
// approval it had is cleared; the unit corrects it and submits it again,
// and every level approves again. A report returned after its period
// locked is reopened for its unit for ReturnReopenDays working days.
func (s *Store) Return(ctx context.Context, p *org.Principal, k ReportKey, comment string) error {
	info, pre, err := s.preStep(ctx, p, k, comment, true, func(r subRow) (int64, error) {
		if (r.state != StateSubmitted && r.state != StateApproved) || r.waiting == 0 {
			return 0, errNotWaiting
		}
		return r.waiting, nil
	})
	if err != nil {
		return err
	}
	k, now := info.key, s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		row, err := sameRow(ctx, tx, k, pre)
		if err != nil {
			return err
		}
		values, err := ReportValues(ctx, tx, k)
		if err != nil {
			return err
		}
		digest := Digest(values)
		if err := setState(ctx, tx, row, StateReturned, 0, 0, sql.NullInt64{}, sql.NullTime{}, now); err != nil {
			return err
		}
		if err := recordStep(ctx, tx, row.id, ActionReturn, row.waiting, audit.ReportReturn, info, comment, digest, p, now); err != nil {
			return err
		}
		locked, _, err := s.lockedAt(ctx, tx, info, now)
		if err != nil || !locked {
			return err
		}
		until := endOfDay(s.Calendar.AddWorkingDays(now.In(vietnam()), ReturnReopenDays))
		reason := fmt.Sprintf("trả lại sau khi khóa sổ: mở lại %d ngày làm việc để sửa và gửi lại", ReturnReopenDays)
		return addReopening(ctx, tx, info, row.id, until, reason, p, now)
	})
}

// endOfDay is the instant a civil day ends in Vietnam.
func endOfDay(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, vietnam()).UTC()
}

func addReopening(ctx context.Context, tx *sql.Tx, info *reportInfo, sub int64, until time.Time, reason string, p *org.Principal, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO report_reopenings (form_id, unit_id, period, open_until, reason, user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		info.key.Form, info.key.Unit, info.key.Period, until, reason, stepUser(p), now); err != nil {
		return fmt.Errorf("report: reopen: %w", err)
	}
	comment := reason + " (" + until.In(vietnam()).Add(-time.Second).Format("02/01/2006") + ")"
	if err := addEvent(ctx, tx, sub, ActionReopen, info.key.Unit, comment, "", p, now); err != nil {
		return err
	}
	return auditStep(ctx, tx, audit.ReportReopen, info, "until "+until.Format(time.RFC3339)+" — "+reason)
}

// Unapprove withdraws the last approval a report received (Hủy phê
// duyệt): the caller must approve reports at the level that gave it (its
// approvers, or those of a level above, whose scope covers it). The report
// goes back to wait at that level; its data stay locked until it is
// returned to the unit.
func (s *Store) Unapprove(ctx context.Context, p *org.Principal, k ReportKey, comment string) error {
	plan, err := s.planUnapprove(ctx, p, k, comment, false)
	if err != nil {
		return err
	}
	return s.run(ctx, plan)
}

// planUnapprove checks and authorises an unapproval; final asks that the
// report be final (DHIS2's unacceptance).
func (s *Store) planUnapprove(ctx context.Context, p *org.Principal, k ReportKey, comment string, final bool) (stepPlan, error) {
	info, pre, err := s.preStep(ctx, p, k, comment, false, func(r subRow) (int64, error) {
		if (r.state != StateApproved && r.state != StateAccepted) || r.approved == 0 || (final && r.state != StateAccepted) {
			return 0, errNotApproved
		}
		return r.approved, nil
	})
	if err != nil {
		return nil, err
	}
	k, now := info.key, s.now()
	return func(ctx context.Context, tx *sql.Tx) error {
		row, err := sameRow(ctx, tx, k, pre)
		if err != nil {
			return err
		}
		state, waiting, approved := StateSubmitted, row.approved, int64(0)
		var by sql.NullInt64
		var at sql.NullTime
		if i := chainIndex(info.chain, row.approved); i > 0 {
			// The approval that stands again is the one the level below gave.
			state, approved = StateApproved, info.chain[i-1].ID
			err := tx.QueryRowContext(ctx, `SELECT user_id, at FROM report_submission_events WHERE submission_id = $1 AND action = $2 AND unit_id = $3
				ORDER BY at DESC, id DESC LIMIT 1`, row.id, ActionApprove, approved).Scan(&by, &at)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		values, err := ReportValues(ctx, tx, k)
		if err != nil {
			return err
		}
		digest := Digest(values)
		if err := setState(ctx, tx, row, state, waiting, approved, by, at, now); err != nil {
			return err
		}
		return recordStep(ctx, tx, row.id, ActionUnapprove, row.approved, audit.ReportUnapprove, info, comment, digest, p, now)
	}, nil
}

// Reopen opens the period for one unit until the end of the day until
// (YYYY-MM-DD, in Vietnam), whatever its lock (Mở lại kỳ báo cáo): the
// caller must manage reports for the unit (report.manage: the
// coordinator); reason is required. It does not change the report's state:
// a submitted or approved report stays locked until it is returned or
// unapproved.
func (s *Store) Reopen(ctx context.Context, p *org.Principal, k ReportKey, until, reason string) error {
	info, err := s.prepare(ctx, k)
	if err != nil {
		return err
	}
	k = info.key
	if err := s.org.Authorize(ctx, p, ManageReports, k.Unit); err != nil {
		return err
	}
	now := s.now()
	today := Day(now.In(vietnam()))
	v := errs.Validator{Context: "report"}
	day, perr := time.Parse(time.DateOnly, strings.TrimSpace(until))
	switch {
	case strings.TrimSpace(until) == "":
		v.Add("until", "required")
	case perr != nil:
		v.Add("until", "date")
	case day.Before(today):
		v.Add("until", "report.reopen_past", today.Format("02/01/2006"))
	case day.After(today.AddDate(0, 0, MaxReopenDays)):
		v.Add("until", "report.reopen_far", MaxReopenDays)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		v.Add("reason", "required")
	}
	v.Text("reason", reason, errs.Paragraph)
	if err := v.Err(); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		row, err := readSub(ctx, tx, k)
		if err != nil {
			return err
		}
		if row.id == 0 {
			err := tx.QueryRowContext(ctx, `INSERT INTO report_submissions (form_id, unit_id, period, state, updated_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
				k.Form, k.Unit, k.Period, StateOpen, now).Scan(&row.id)
			if store.IsUniqueViolation(err) {
				return errChanged
			} else if err != nil {
				return err
			}
		}
		return addReopening(ctx, tx, info, row.id, endOfDay(day), reason, p, now)
	})
}

// markDraft records that the unit started its report (a draft saved
// through the entry form): an open report becomes a draft; a returned one
// stays returned until it is sent again.
func markDraft(ctx context.Context, tx *sql.Tx, k ReportKey, now time.Time) error {
	row, err := readSub(ctx, tx, k)
	if err != nil {
		return err
	}
	switch {
	case row.id == 0:
		_, err = tx.ExecContext(ctx, `INSERT INTO report_submissions (form_id, unit_id, period, state, updated_at) VALUES ($1, $2, $3, $4, $5)`,
			k.Form, k.Unit, k.Period, StateDraft, now)
		if store.IsUniqueViolation(err) {
			return errChanged
		}
	case row.state == StateOpen:
		_, err = tx.ExecContext(ctx, `UPDATE report_submissions SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4`, StateDraft, now, row.id, StateOpen)
	default:
		_, err = tx.ExecContext(ctx, `UPDATE report_submissions SET updated_at = $1 WHERE id = $2`, now, row.id)
	}
	return err
}

// StoredValue is a value of a report as stored.
type StoredValue struct {
	IndicatorID   int64     `json:"-"`
	IndicatorCode string    `json:"indicator"`
	OptionID      int64     `json:"-"`
	OptionCode    string    `json:"option,omitempty" doc:"the category option; absent for an indicator without options"`
	Value         string    `json:"value" doc:"as exchanged: 1234.5, true"`
	Comment       string    `json:"comment,omitempty"`
	Number        *float64  `json:"-"`
	UpdatedAt     time.Time `json:"updatedAt"`
	UpdatedBy     string    `json:"updatedBy,omitempty" doc:"username"`
}

// ReportValues reads the values of a report: those of the form's
// indicators for the unit and period, by indicator code and option code.
func ReportValues(ctx context.Context, q store.Querier, k ReportKey) ([]StoredValue, error) {
	rows, err := q.QueryContext(ctx, `SELECT v.indicator_id, i.code, v.option_id, COALESCE(o.code, ''), v.value, v.comment, v.number, v.updated_at, COALESCE(u.username, '')
		FROM report_values v JOIN report_indicators i ON i.id = v.indicator_id
		LEFT JOIN report_category_options o ON o.id = v.option_id LEFT JOIN users u ON u.id = v.updated_by
		WHERE v.unit_id = $1 AND v.period = $2 AND v.indicator_id IN (
			SELECT fi.indicator_id FROM report_form_indicators fi JOIN report_form_sections s ON s.id = fi.section_id WHERE s.form_id = $3)`,
		k.Unit, k.Period, k.Form)
	if err != nil {
		return nil, fmt.Errorf("report: values of a report: %w", err)
	}
	defer rows.Close()
	out := []StoredValue{}
	for rows.Next() {
		var v StoredValue
		var n sql.NullFloat64
		if err := rows.Scan(&v.IndicatorID, &v.IndicatorCode, &v.OptionID, &v.OptionCode, &v.Value, &v.Comment, &n, &v.UpdatedAt, &v.UpdatedBy); err != nil {
			return nil, err
		}
		if n.Valid {
			v.Number = &n.Float64
		}
		v.UpdatedAt = v.UpdatedAt.UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortValues(out)
	return out, nil
}

func sortValues(vs []StoredValue) {
	sort.Slice(vs, func(i, j int) bool {
		if vs[i].IndicatorCode != vs[j].IndicatorCode {
			return vs[i].IndicatorCode < vs[j].IndicatorCode
		}
		return vs[i].OptionCode < vs[j].OptionCode
	})
}

// Canonical is the text a report's digest is computed over (format 1):
// one line per value that is not empty, "INDICATOR\tOPTION\tVALUE\n" —
// the indicator's code, its category option's code (empty for an
// indicator without options), the value as exchanged (1234.5, true) —
// sorted by indicator code, then option code, byte by byte. In a value a
// backslash is written \\, a tab \t, a carriage return \r and a line feed
// \n, so that a line is always one value. Comments are not covered. The
// digest of a report with no value is that of the empty text. Anyone can
// check a digest with `sha256sum` over this text.
func Canonical(vs []StoredValue) string {
	sorted := slices.Clone(vs)
	sortValues(sorted)
	esc := strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\r", `\r`, "\n", `\n`)
	var b strings.Builder
	for _, v := range sorted {
		if v.Value == "" {
			continue
		}
		b.WriteString(v.IndicatorCode)
		b.WriteByte('\t')
		b.WriteString(v.OptionCode)
		b.WriteByte('\t')
		b.WriteString(esc.Replace(v.Value))
		b.WriteByte('\n')
	}
	return b.String()
}

// Digest is the SHA-256 of Canonical(vs), in lower-case hex.
func Digest(vs []StoredValue) string {
	sum := sha256.Sum256([]byte(Canonical(vs)))
	return hex.EncodeToString(sum[:])
}
