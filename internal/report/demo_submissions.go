package report

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// The demo's two years of reports (issue 7, part 9): every demo form's
// reports for the periods demoPeriods gives, from every unit that had to
// send them as the registry stood then — so districts before 1 July 2025
// and the new communes since — written as officials would: values typed
// on the entry form's day, submitted, approved at each level of the chain
// (commune → district → province before the reorganisation, commune →
// province since), some returned with a comment and sent again, some late,
// some missing, the last quarter partly still waiting. Every step goes
// through the workflow (Submit, Approve, Return) on a clock moved to the
// day it happened, so digests, events, audit rows, on-time flags and
// analytics are what the live system would have made; the figures are
// demoFigures', each value's reason DemoNote.

// demoActors are the demo accounts the loader acts as, per province: the
// reporter who types a unit's report where the demo has an account for
// that unit, else the province's coordinator or administrator entering it
// on the unit's behalf; and the approver of every level.
var demoActors = map[string]struct{ enter, approve string }{
	"GL25": {"dieuphoi", "pheduyet.tinh"},
	"LC":   {"quantri.laichau", "pheduyet.laichau"},
}

// demoReporters are the units whose own demo reporter enters their
// reports.
var demoReporters = map[string]string{
	"GL25.X.BIENHO": "baocao.bienho",
	"LC.X.BANBO":    "baocao.banbo",
	"LC.SKHCN":      "baocao.laichau",
	"GL.PLEIKU":     "baocao.pleiku",
	"GL.ANKHE":      "baocao.ankhe",
}

// demoReturnComments are what the demo's approvers write when they send a
// report back (invented, as the figures are).
var demoReturnComments = []string{
	"Đề nghị kiểm tra lại số hồ sơ tiếp nhận trực tuyến, chưa khớp với số liệu trên Cổng dịch vụ công của tỉnh.",
	"Số văn bản đi có ký số cao hơn kỳ trước nhiều, đề nghị rà soát và ghi rõ nguồn số liệu.",
	"Đề nghị bổ sung số cán bộ, công chức được tập huấn kỹ năng số trong kỳ.",
}

// DemoSubmissionsLoaded reports whether the demo's reports are there:
// values written by the loader (their history says source "demo").
func DemoSubmissionsLoaded(ctx context.Context, db *store.DB) (bool, error) {
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM report_value_history WHERE source = 'demo' LIMIT 1) v`).Scan(&n)
	return n > 0, err
}

// LoadDemoSubmissions writes the demo's reports up to today, unless it
// has written them before. It returns how many reports it
// wrote. orgs must be a store of its own (the reporting policy is added
// to it), not a server's.
func LoadDemoSubmissions(ctx context.Context, db *store.DB, orgs *org.Store, today time.Time) (int, error) {
	if done, err := DemoSubmissionsLoaded(ctx, db); err != nil || done {
		return 0, err
	}
	s := NewStore(db, orgs)
	s.allowRoles()
	// Nothing changes the registry or the forms while the loader runs: it
	// reads each form and each form × period's units once (every workflow
	// step asks again).
	forms, err := s.Forms(ctx)
	if err != nil {
		return 0, err
	}
	s.frozen = frozenReads{forms: map[int64]Form{}, units: map[frozenKey]FormUnits{}}
	for _, f := range forms {
		s.frozen.forms[f.ID] = f
	}
	var clock time.Time
	s.Now = func() time.Time { return clock }
	options, err := s.optionIDs(ctx, db.Read)
	if err != nil {
		return 0, err
	}
	principals := map[string]*org.Principal{}
	as := func(username string) (*org.Principal, context.Context, error) {
		p := principals[username]
		if p == nil {
			var id int64
			if err := db.Read.QueryRowContext(ctx, `SELECT id FROM users WHERE username = $1`, username).Scan(&id); err != nil {
				return nil, nil, fmt.Errorf("demo reports: account %s: %w", username, err)
			}
			if p, err = orgs.Principal(ctx, id); err != nil {
				return nil, nil, err
			}
			principals[username] = p
		}
		return p, audit.WithActor(ctx, p.UserID, p.Username), nil
	}
	n := 0
	for _, f := range forms {
		province := demoProvince(f.Issuer.Code)
		actors, ok := demoActors[province]
		if !ok {
			continue
		}
		pt, err := ParsePeriodType(f.PeriodType)
		if err != nil {
			return n, err
		}
		periods := demoPeriods(pt, today)
		if len(periods) == 0 {
			continue
		}
		// The province has sent this form on the system since the demo's
		// first period: before it nothing was expected here, so the share
		// of reports on the system (ShareOfReports) has no figure there
		// rather than 0%.
		if _, err := db.Write.ExecContext(ctx, `UPDATE report_form_assignments SET valid_from = $1
			WHERE form_id = $2 AND valid_from = '' AND (valid_to = '' OR valid_to >= $1)`, periods[0].Start().Format(time.DateOnly), f.ID); err != nil {
			return n, fmt.Errorf("demo reports: %s: %w", f.Code, err)
		}
		for step, p := range periods {
			fu, err := s.UnitsFor(ctx, f.ID, p)
			if err != nil {
				return n, err
			}
			lock, err := s.LockAt(f.ID, p, f.DeadlineDays, f.GraceDays)
			if err != nil {
				return n, err
			}
			last := step == len(periods)-1
			for _, u := range fu.Units {
				enter := actors.enter
				if r, ok := demoReporters[u.Code]; ok {
					enter = r
				}
				r := demoReport{s: s, clock: &clock, as: as, form: f, unit: u, period: p, step: step, last: last,
					lock: lock, options: options, enter: enter, approve: actors.approve, today: today}
				wrote, err := r.load(ctx)
				if err != nil {
					return n, fmt.Errorf("demo report %s %s %s: %w", f.Code, u.Code, p, err)
				}
				if wrote {
					n++
				}
			}
		}
	}
	return n, nil
}

// demoProvince is the province of the demo actors a form's issuer
// belongs to (the old Gia Lai's forms run on in the new province).
func demoProvince(issuer string) string {
	switch issuer {
	case "GL", "GL25", "BD":
		return "GL25"
	}
	return issuer
}

// demoReport is one report the loader writes.
type demoReport struct {
	s              *Store
	clock          *time.Time
	as             func(string) (*org.Principal, context.Context, error)
	form           Form
	unit           org.Unit
	period         Period
	step           int
	last           bool
	lock           time.Time
	options        map[int64]map[string]int64
	enter, approve string
	today          time.Time
}

// load writes the report's story, chosen by a stable draw per report: one
// in sixteen never sent (one in six of the last period's), one in ten sent
// after the deadline (within the grace days), one in ten returned once
// and sent again; of the last period's, a third still wait for approval
// and a few are drafts. It reports whether anything was written.
func (r demoReport) load(ctx context.Context) (bool, error) {
	fate := demoFrac("fate", r.form.Code, r.unit.Code, r.period.String())
	switch {
	case fate < 1.0/16, r.last && fate < 1.0/6:
		return false, nil
	}
	_, cutEnd := r.period.CutOff()
	deadline, err := r.s.Calendar.Deadline(r.period, r.form.DeadlineDays)
	if err != nil {
		return false, err
	}
	at := func(day time.Time, hour int) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), hour, int(60*demoFrac("minute", r.unit.Code, r.period.String(), hour)), 0, 0, vietnam()).UTC()
	}
	// Typed on the first working day after the cut-off; sent the same day,
	// or, for the late ones, after the deadline and before the lock.
	typed := at(r.s.Calendar.AddWorkingDays(cutEnd, 1), 9)
	sent := at(r.s.Calendar.AddWorkingDays(cutEnd, 1), 15)
	late := fate >= 1.0/6 && fate < 1.0/6+0.1
	if late && r.form.GraceDays > 0 {
		sent = at(deadline.AddDate(0, 0, 1+int(float64(r.form.GraceDays-1)*demoFrac("late", r.unit.Code, r.period.String()))), 10)
		typed = sent.Add(-2 * time.Hour)
	}
	if !sent.Before(r.lock) || sent.After(r.today) {
		return false, nil
	}
	reporter, rctx, err := r.as(r.enter)
	if err != nil {
		return false, err
	}
	k := ReportKey{Form: r.form.ID, Unit: r.unit.ID, Period: r.period.String()}
	*r.clock = typed
	c, err := r.s.NewChecker(rctx, reporter)
	if err != nil {
		return false, err
	}
	du := demoUnit{code: r.unit.Code, local: r.unit.Kind != "department", small: r.unit.Kind == "commune" || r.unit.Kind == "ward" || r.unit.Kind == "township"}
	if err := r.s.db.Tx(rctx, func(tx *sql.Tx) error {
		_, err := r.s.demoValues(rctx, tx, c, r.options, r.form, du, r.unit.ID, r.period, r.step, reporter.UserID, typed)
		return err
	}); err != nil {
		return false, err
	}
	if r.last && fate > 0.95 {
		return true, nil // a draft, not sent yet
	}
	*r.clock = sent
	if err := r.s.Submit(rctx, reporter, k, ""); err != nil {
		return false, err
	}
	approver, actx, err := r.as(r.approve)
	if err != nil {
		return false, err
	}
	returned := fate >= 1.0/6+0.1 && fate < 1.0/6+0.2
	day := sent
	for level := 0; level < 3; level++ {
		rep, err := r.s.Report(ctx, k)
		if err != nil {
			return false, err
		}
		if rep.State != StateSubmitted && rep.State != StateApproved || rep.WaitingUnit == nil {
			break
		}
		day = at(r.s.Calendar.AddWorkingDays(Day(day.In(vietnam())), 1+int(3*demoFrac("review", r.unit.Code, r.period.String(), level))), 10)
		if day.After(r.today) || r.last && fate > 2.0/3 {
			break // still waiting
		}
		*r.clock = day
		if returned && level == 0 {
			comment := demoReturnComments[int(fate*1000)%len(demoReturnComments)]
			if err := r.s.Return(actx, approver, k, comment); err != nil {
				return false, err
			}
			// The reporter corrects and sends again the next working day.
			day = at(r.s.Calendar.AddWorkingDays(Day(day.In(vietnam())), 1), 14)
			*r.clock = day
			if err := r.s.Submit(rctx, reporter, k, "Đã rà soát và cập nhật theo ý kiến của cấp trên."); err != nil {
				return false, err
			}
			returned = false
			level--
			continue
		}
		if err := r.s.Approve(actx, approver, k, ""); err != nil {
			return false, err
		}
	}
	return true, nil
}

// frozenReads are a store's answers that a one-off writer (the demo
// loader, on a store of its own) may keep for its run; a server's store
// never sets them.
type frozenReads struct {
	forms map[int64]Form
	units map[frozenKey]FormUnits
}

type frozenKey struct {
	form   int64
	period string
}
