package report

// Reading one report: its values, levels and steps (ReportDetail), the
// history of its values (History) and the check of its digests against
// that history (Verify).

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/store"
)

// ReportEvent is one step of a report.
type ReportEvent struct {
	ID           int64     `json:"id"`
	Action       string    `json:"action" doc:"submit, withdraw, approve, accept (the last level's approval), return, unapprove or reopen"`
	Unit         *UnitRef  `json:"unit,omitempty" doc:"the reporting unit (submit, withdraw, reopen) or the level that acted (approve, accept, return) or whose approval was withdrawn (unapprove)"`
	Comment      string    `json:"comment,omitempty"`
	ValuesSHA256 string    `json:"valuesSha256,omitempty" doc:"digest of the report's values at that moment (see Canonical)"`
	User         string    `json:"user,omitempty" doc:"username"`
	UserName     string    `json:"userName,omitempty"`
	At           time.Time `json:"at"`
}

// ReportDetail is one report with everything its page shows.
type ReportDetail struct {
	Report
	PeriodLabel   string        `json:"periodLabel"`
	Chain         []UnitRef     `json:"chain" doc:"the levels that approve it, nearest first"`
	Deadline      string        `json:"deadline,omitempty" doc:"YYYY-MM-DD, the last day to send it"`
	LockAt        *time.Time    `json:"lockAt,omitempty" doc:"when the period locks (deadline plus grace)"`
	ReopenedUntil *time.Time    `json:"reopenedUntil,omitempty" doc:"a coordinator's reopening for this unit, when later than the lock"`
	Values        []StoredValue `json:"values"`
	Rules         []RuleResult  `json:"rules"`
	Events        []ReportEvent `json:"events"`
}

// Detail reads one report.
func (s *Store) Detail(ctx context.Context, k ReportKey) (ReportDetail, error) {
	info, err := s.prepare(ctx, k)
	if err != nil {
		return ReportDetail{}, err
	}
	return s.detail(ctx, info)
}

func (s *Store) detail(ctx context.Context, info *reportInfo) (ReportDetail, error) {
	k := info.key
	r, err := s.reportOf(ctx, info)
	if err != nil {
		return ReportDetail{}, err
	}
	d := ReportDetail{Report: r, PeriodLabel: info.period.Label(locale.VI), Chain: info.chain}
	if day, err := s.Calendar.Deadline(info.period, info.form.DeadlineDays); err == nil {
		d.Deadline = day.Format(time.DateOnly)
	}
	if lock, err := s.LockAt(k.Form, info.period, info.form.DeadlineDays, info.form.GraceDays); err == nil {
		d.LockAt = &lock
		until, err := reopenedUntil(ctx, s.db.Read, k)
		if err != nil {
			return d, err
		}
		if until.After(lock) {
			u := until.UTC()
			d.ReopenedUntil = &u
		}
	}
	if d.Values, err = ReportValues(ctx, s.db.Read, k); err != nil {
		return d, err
	}
	d.Rules = CheckRules(info.form.Rules, d.Values)
	d.Events, err = s.events(ctx, k)
	return d, err
}

// events lists a report's steps, oldest first.
func (s *Store) events(ctx context.Context, k ReportKey) ([]ReportEvent, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT e.id, e.action, COALESCE(e.unit_id, 0), e.comment, e.values_sha256, COALESCE(u.username, ''), COALESCE(u.full_name, ''), e.at
		FROM report_submission_events e JOIN report_submissions s ON s.id = e.submission_id LEFT JOIN users u ON u.id = e.user_id
		WHERE s.form_id = $1 AND s.unit_id = $2 AND s.period = $3 ORDER BY e.at, e.id`, k.Form, k.Unit, k.Period)
	if err != nil {
		return nil, fmt.Errorf("report: events: %w", err)
	}
	out := []ReportEvent{}
	var ids []int64
	for rows.Next() {
		var e ReportEvent
		var unit int64
		if err := rows.Scan(&e.ID, &e.Action, &unit, &e.Comment, &e.ValuesSHA256, &e.User, &e.UserName, &e.At); err != nil {
			rows.Close()
			return nil, err
		}
		e.At = e.At.UTC()
		if unit != 0 {
			e.Unit = &UnitRef{ID: unit}
			ids = append(ids, unit)
		}
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	units, err := s.org.UnitsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if ref := out[i].Unit; ref != nil {
			u := units[ref.ID]
			ref.Code, ref.Name = u.Code, u.Label
			if ref.Name == "" {
				ref.Name = u.Name
			}
		}
	}
	return out, nil
}

// lastReturn is the step that returned a report most recently, nil when
// none did.
func lastReturn(evs []ReportEvent) *ReportEvent {
	for i := len(evs) - 1; i >= 0; i-- {
		switch evs[i].Action {
		case ActionReturn:
			return &evs[i]
		case ActionSubmit:
			return nil
		}
	}
	return nil
}

// ValueChange is one change of a value of a report: who, when, old → new,
// why and through what.
type ValueChange struct {
	Indicator     string    `json:"indicator"`
	IndicatorName string    `json:"indicatorName"`
	Option        string    `json:"option,omitempty"`
	OptionName    string    `json:"optionName,omitempty"`
	Old           *string   `json:"old" doc:"null when the value was created"`
	New           *string   `json:"new" doc:"null when the value was deleted"`
	OldComment    string    `json:"oldComment,omitempty"`
	NewComment    string    `json:"newComment,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	Source        string    `json:"source" doc:"form, api or excel"`
	User          string    `json:"user,omitempty"`
	UserName      string    `json:"userName,omitempty"`
	At            time.Time `json:"at"`
}

// History lists every change of the report's values, newest first.
func (s *Store) History(ctx context.Context, k ReportKey) ([]ValueChange, error) {
	info, err := s.prepare(ctx, k)
	if err != nil {
		return nil, err
	}
	k = info.key
	rows, err := s.db.Read.QueryContext(ctx, `SELECT i.code, i.name, COALESCE(o.code, ''), COALESCE(o.name, ''), h.old_value, h.new_value, h.old_comment, h.new_comment,
		h.reason, h.source, COALESCE(u.username, ''), COALESCE(u.full_name, ''), h.changed_at
		FROM report_value_history h JOIN report_indicators i ON i.id = h.indicator_id
		LEFT JOIN report_category_options o ON o.id = h.option_id LEFT JOIN users u ON u.id = h.changed_by
		WHERE h.unit_id = $1 AND h.period = $2 AND h.indicator_id IN (
			SELECT fi.indicator_id FROM report_form_indicators fi JOIN report_form_sections s ON s.id = fi.section_id WHERE s.form_id = $3)
		ORDER BY h.changed_at DESC, h.id DESC`, k.Unit, k.Period, k.Form)
	if err != nil {
		return nil, fmt.Errorf("report: value history: %w", err)
	}
	defer rows.Close()
	out := []ValueChange{}
	for rows.Next() {
		var c ValueChange
		var oldV, newV sql.NullString
		if err := rows.Scan(&c.Indicator, &c.IndicatorName, &c.Option, &c.OptionName, &oldV, &newV, &c.OldComment, &c.NewComment,
			&c.Reason, &c.Source, &c.User, &c.UserName, &c.At); err != nil {
			return nil, err
		}
		if oldV.Valid {
			c.Old = &oldV.String
		}
		if newV.Valid {
			c.New = &newV.String
		}
		c.At = c.At.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// valuesAt rebuilds a report's values as they stood at an instant from the
// history of its values (the last change of each value at or before at).
func valuesAt(ctx context.Context, q store.Querier, k ReportKey, at time.Time) ([]StoredValue, error) {
	rows, err := q.QueryContext(ctx, `SELECT h.id, i.code, COALESCE(o.code, ''), h.new_value, h.changed_at
		FROM report_value_history h JOIN report_indicators i ON i.id = h.indicator_id LEFT JOIN report_category_options o ON o.id = h.option_id
		WHERE h.unit_id = $1 AND h.period = $2 AND h.indicator_id IN (
			SELECT fi.indicator_id FROM report_form_indicators fi JOIN report_form_sections s ON s.id = fi.section_id WHERE s.form_id = $3)`,
		k.Unit, k.Period, k.Form)
	if err != nil {
		return nil, fmt.Errorf("report: values at %s: %w", at, err)
	}
	type change struct {
		id     int64
		code   string
		option string
		value  sql.NullString
		at     time.Time
	}
	var changes []change
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.id, &c.code, &c.option, &c.value, &c.at); err != nil {
			rows.Close()
			return nil, err
		}
		// Compared here, not in SQL: SQLite keeps instants as text.
		if !c.at.After(at) {
			changes = append(changes, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(changes, func(i, j int) bool {
		if !changes[i].at.Equal(changes[j].at) {
			return changes[i].at.Before(changes[j].at)
		}
		return changes[i].id < changes[j].id
	})
	type key struct{ code, option string }
	last := map[key]sql.NullString{}
	for _, c := range changes {
		last[key{c.code, c.option}] = c.value
	}
	out := []StoredValue{}
	for k, v := range last {
		if v.Valid {
			out = append(out, StoredValue{IndicatorCode: k.code, OptionCode: k.option, Value: v.String})
		}
	}
	sortValues(out)
	return out, nil
}

// Verification compares a report's digests with its values: the digest of
// the values now against the one its last submission or approval recorded
// (they must match while the report is locked), and each step's digest
// against the values the history holds for that instant.
type Verification struct {
	Current  string `json:"current" doc:"SHA-256 of the values as they are now"`
	Recorded string `json:"recorded,omitempty" doc:"the digest the last submission or approval recorded"`
	// Match is set while the report is submitted or approved: its values
	// are locked, so the two digests must be equal.
	Match     *bool        `json:"match,omitempty"`
	Canonical string       `json:"canonical" doc:"the text Current is the SHA-256 of"`
	Events    []EventCheck `json:"events"`
}

// EventCheck is one step's digest against the values of its instant.
type EventCheck struct {
	ReportEvent
	Recomputed string `json:"recomputed" doc:"SHA-256 of the values the history holds for the step's instant"`
	Match      bool   `json:"match"`
}

// Verify recomputes a report's digests (Kiểm tra mã SHA-256).
func (s *Store) Verify(ctx context.Context, k ReportKey) (Verification, error) {
	d, err := s.Detail(ctx, k)
	if err != nil {
		return Verification{}, err
	}
	k.Period = d.Period
	v := Verification{Current: Digest(d.Values), Recorded: d.ValuesSHA256, Canonical: Canonical(d.Values), Events: []EventCheck{}}
	if d.Done() {
		m := v.Current == v.Recorded
		v.Match = &m
	}
	for _, e := range d.Events {
		if e.ValuesSHA256 == "" {
			continue
		}
		vs, err := valuesAt(ctx, s.db.Read, k, e.At)
		if err != nil {
			return v, err
		}
		re := Digest(vs)
		v.Events = append(v.Events, EventCheck{ReportEvent: e, Recomputed: re, Match: re == e.ValuesSHA256})
	}
	return v, nil
}
