package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// EnterReports may write a unit's values; ApproveReports may approve,
// return and unapprove the reports of the units under the scope.
const (
	EnterReports   org.Action = "report.enter"
	ApproveReports org.Action = "report.approve"
)

// Report states (report_submissions.state). A unit's report with no row is
// StateOpen: nothing entered or only values, never submitted.
const (
	StateOpen      = ""
	StateDraft     = "draft"
	StateSubmitted = "submitted"
	StateReturned  = "returned"
	StateApproved  = "approved"
	StateAccepted  = "accepted"
)

// Editable reports whether a report in state takes new values: before it
// is submitted, and after it is returned.
func Editable(state string) bool {
	return state == StateOpen || state == StateDraft || state == StateReturned
}

// ReportKey names one report: a form, a unit, a period.
type ReportKey struct {
	Form   int64
	Unit   int64
	Period string
}

// indicatorMeta is what the checker knows of an indicator.
type indicatorMeta struct {
	code, valueType string
	options         map[int64]bool
	derived         bool
	forms           []int64
}

// formMeta is what the checker knows of a form.
type formMeta struct {
	code            string
	periodType      PeriodType
	deadline, grace int
	indicators      map[int64]bool
}

// Checker decides whether values may be written, value by value, as every
// write path (the entry form, POST /api/dataValueSets, the Excel import)
// needs it: the value fits its indicator's type, the period is of a form's
// type that holds the indicator, the unit must report that form in that
// period, the caller may enter the unit's data, the period is open (after
// its cut-off began, before its lock, or reopened for the unit) and the
// report is not submitted or approved. It caches what it reads, so one
// checker serves one request; it is not safe for concurrent use.
type Checker struct {
	s        *Store
	p        *org.Principal
	now      time.Time
	force    bool
	inds     map[int64]*indicatorMeta
	forms    map[int64]*formMeta
	assigned map[ReportKey]bool // Unit 0: the period's set was loaded
	states   map[ReportKey]string
	reopened map[ReportKey]time.Time
	scope    map[int64]bool
}

// NewChecker loads the indicators and forms. p is the official writing;
// nil checks everything but the scope (the demo loader and tests).
func (s *Store) NewChecker(ctx context.Context, p *org.Principal) (*Checker, error) {
	c := &Checker{s: s, p: p, now: s.Now(), inds: map[int64]*indicatorMeta{}, forms: map[int64]*formMeta{},
		assigned: map[ReportKey]bool{}, states: map[ReportKey]string{}, reopened: map[ReportKey]time.Time{}, scope: map[int64]bool{}}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, code, value_type, numerator_id IS NOT NULL FROM report_indicators`)
	if err != nil {
		return nil, fmt.Errorf("report: checker: %w", err)
	}
	for rows.Next() {
		var id int64
		m := &indicatorMeta{options: map[int64]bool{}}
		if err := rows.Scan(&id, &m.code, &m.valueType, &m.derived); err != nil {
			rows.Close()
			return nil, err
		}
		c.inds[id] = m
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := c.scan(ctx, `SELECT indicator_id, id FROM report_category_options`, func(a, b int64) {
		if m := c.inds[a]; m != nil {
			m.options[b] = true
		}
	}); err != nil {
		return nil, err
	}
	frows, err := s.db.Read.QueryContext(ctx, `SELECT id, code, period_type, deadline_days, grace_days FROM report_forms ORDER BY code`)
	if err != nil {
		return nil, err
	}
	for frows.Next() {
		var id int64
		var pt string
		f := &formMeta{indicators: map[int64]bool{}}
		if err := frows.Scan(&id, &f.code, &pt, &f.deadline, &f.grace); err != nil {
			frows.Close()
			return nil, err
		}
		if f.periodType, err = ParsePeriodType(pt); err != nil {
			frows.Close()
			return nil, fmt.Errorf("report: form %s: %w", f.code, err)
		}
		c.forms[id] = f
	}
	frows.Close()
	if err := frows.Err(); err != nil {
		return nil, err
	}
	err = c.scan(ctx, `SELECT s.form_id, fi.indicator_id FROM report_form_indicators fi JOIN report_form_sections s ON s.id = fi.section_id
		JOIN report_forms f ON f.id = s.form_id ORDER BY f.code`, func(form, ind int64) {
		if f, m := c.forms[form], c.inds[ind]; f != nil && m != nil && !f.indicators[ind] {
			f.indicators[ind] = true
			m.forms = append(m.forms, form)
		}
	})
	return c, err
}

func (c *Checker) scan(ctx context.Context, q string, fn func(a, b int64)) error {
	rows, err := c.s.db.Read.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a, b int64
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		fn(a, b)
	}
	return rows.Err()
}

// Force skips the period and approval locks (a coordinator's correction,
// DHIS2's force=true for superusers); type, assignment and scope still hold.
func (c *Checker) Force() { c.force = true }

// IndicatorCode is an indicator's code, "" when unknown.
func (c *Checker) IndicatorCode(id int64) string {
	if m := c.inds[id]; m != nil {
		return m.code
	}
	return ""
}

// FormCode is a form's code, "" when unknown.
func (c *Checker) FormCode(id int64) string {
	if f := c.forms[id]; f != nil {
		return f.code
	}
	return ""
}

// Check decides whether v may be written and through which form. form is
// the data set a payload names (0: any form that holds the indicator for
// the period's type and that the unit reports). It fills v.ValueType. The
// conflict's identifiers are ids (callers that received codes put theirs
// back in); a nil conflict with a nil error means v may be written. With a
// lock conflict (E7642, E7643) formID is the form whose report is locked.
func (c *Checker) Check(ctx context.Context, v *ValueInput, form int64) (formID int64, conflict *Conflict, err error) {
	ind := c.inds[v.Indicator]
	de, ou, pe := id(v.Indicator), id(v.Unit), v.Period
	if ind == nil {
		return 0, conflictOf(E7610, de), nil
	}
	if ind.derived {
		// A derived indicator is computed, never entered.
		return 0, conflictOf(E7610, de), nil
	}
	v.ValueType = ind.valueType
	if v.Option != 0 && !ind.options[v.Option] {
		return 0, conflictOf(E7613, id(v.Option)), nil
	}
	if v.PeriodOf.IsZero() {
		return 0, conflictOf(E7611, pe), nil
	}
	if !v.Delete {
		if v.Value == "" && v.Comment == "" {
			return 0, conflictOf(E7618, de), nil
		}
		if v.Value != "" {
			if verr := CheckValue(ValueType(ind.valueType), v.Value); verr != nil {
				cf := ValueTypeConflict(de, verr)
				return 0, &cf, nil
			}
		}
	}
	// The forms that could carry the value: the one named, or those that
	// hold the indicator with the period's type.
	var candidates []int64
	if form != 0 {
		f := c.forms[form]
		if f == nil {
			return 0, conflictOf(E7600, id(form)), nil
		}
		if !f.indicators[v.Indicator] {
			return 0, conflictOf(E7633, de, f.code), nil
		}
		if f.periodType != v.PeriodOf.Type() {
			return 0, conflictOf(E7632, pe, de), nil
		}
		candidates = []int64{form}
	} else {
		for _, fid := range ind.forms {
			if c.forms[fid].periodType == v.PeriodOf.Type() {
				candidates = append(candidates, fid)
			}
		}
		if len(candidates) == 0 {
			return 0, conflictOf(E7632, pe, de), nil
		}
	}
	formID = 0
	for _, fid := range candidates {
		ok, err := c.assignedTo(ctx, fid, v.PeriodOf, v.Unit)
		if err != nil {
			return 0, nil, err
		}
		if ok {
			formID = fid
			break
		}
	}
	if formID == 0 {
		return 0, conflictOf(E7636, ou, de), nil
	}
	if ok, err := c.inScope(ctx, v.Unit); err != nil {
		return 0, nil, err
	} else if !ok {
		user := ""
		if c.p != nil {
			user = c.p.Username
		}
		return 0, conflictOf(E7617, ou, user), nil
	}
	if c.force {
		return formID, nil, nil
	}
	f := c.forms[formID]
	from, _ := v.PeriodOf.CutOff()
	if Day(c.now.In(vietnam())).Before(from) {
		return 0, conflictOf(E7641, pe, v.PeriodOf.Prev().String(), de), nil
	}
	key := ReportKey{Form: formID, Unit: v.Unit, Period: pe}
	state, err := c.state(ctx, key)
	if err != nil {
		return 0, nil, err
	}
	if !Editable(state) {
		return formID, conflictOf(E7642, ou, pe, f.code, "default"), nil
	}
	open, err := c.open(ctx, key, v.PeriodOf, f)
	if err != nil {
		return 0, nil, err
	}
	if !open {
		return formID, conflictOf(E7643, pe, f.code), nil
	}
	return formID, nil, nil
}

func conflictOf(code ErrorCode, ids ...string) *Conflict {
	c := NewConflict(code, ids...)
	return &c
}

func id(n int64) string { return fmt.Sprint(n) }

// assignedTo reports whether unit must report form for p.
func (c *Checker) assignedTo(ctx context.Context, form int64, p Period, unit int64) (bool, error) {
	loaded := ReportKey{Form: form, Period: p.String()}
	if !c.assigned[loaded] {
		fu, err := c.s.UnitsFor(ctx, form, p)
		if err != nil {
			return false, err
		}
		for _, u := range fu.Units {
			c.assigned[ReportKey{Form: form, Unit: u.ID, Period: p.String()}] = true
		}
		c.assigned[loaded] = true
	}
	return c.assigned[ReportKey{Form: form, Unit: unit, Period: p.String()}], nil
}

func (c *Checker) inScope(ctx context.Context, unit int64) (bool, error) {
	if c.p == nil {
		return true, nil
	}
	ok, seen := c.scope[unit]
	if seen {
		return ok, nil
	}
	ok, err := c.s.org.Can(ctx, c.p, EnterReports, unit)
	if err != nil {
		return false, err
	}
	c.scope[unit] = ok
	return ok, nil
}

// State is a report's state; the checker reads each once.
func (c *Checker) state(ctx context.Context, k ReportKey) (string, error) {
	if st, ok := c.states[k]; ok {
		return st, nil
	}
	st, err := reportState(ctx, c.s.db.Read, k)
	if err != nil {
		return "", err
	}
	c.states[k] = st
	return st, nil
}

func reportState(ctx context.Context, q store.Querier, k ReportKey) (string, error) {
	var st string
	err := q.QueryRowContext(ctx, `SELECT state FROM report_submissions WHERE form_id = $1 AND unit_id = $2 AND period = $3`, k.Form, k.Unit, k.Period).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return StateOpen, nil
	}
	return st, err
}

// open reports whether the period still takes values for the unit: before
// the form's lock (deadline plus grace), or reopened for it until later.
func (c *Checker) open(ctx context.Context, k ReportKey, p Period, f *formMeta) (bool, error) {
	lock, err := c.s.LockAt(k.Form, p, f.deadline, f.grace)
	if err != nil {
		return false, err
	}
	if c.now.Before(lock) {
		return true, nil
	}
	until, ok := c.reopened[k]
	if !ok {
		until, err = reopenedUntil(ctx, c.s.db.Read, k)
		if err != nil {
			return false, err
		}
		c.reopened[k] = until
	}
	return c.now.Before(until), nil
}

// LockAt is the instant a form's period locks for units not reopened.
func (s *Store) LockAt(form int64, p Period, deadline, grace int) (time.Time, error) {
	return s.Calendar.LockAt(p, deadline, time.Duration(grace)*24*time.Hour)
}

func reopenedUntil(ctx context.Context, q store.Querier, k ReportKey) (time.Time, error) {
	var until time.Time
	err := q.QueryRowContext(ctx, `SELECT open_until FROM report_reopenings WHERE form_id = $1 AND unit_id = $2 AND period = $3
		ORDER BY open_until DESC LIMIT 1`, k.Form, k.Unit, k.Period).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, fmt.Errorf("report: reopenings: %w", err)
	}
	return until, nil
}
