package report

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/mail"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/web"
)

// Reminders (issue 7, part 5): what an official's unit must report next,
// what is late, what was returned to it, and what waits for the official's
// approval — on the home page, on /report/reminders, and by e-mail once a
// day when the operator configured an SMTP server.

// Reminder kinds.
const (
	ReminderNext     = "next"     // the unit's next report of a form, not yet due
	ReminderLate     = "late"     // due and not submitted
	ReminderReturned = "returned" // returned to the unit, with the approver's comment
	ReminderWaiting  = "waiting"  // waits for the official's approval
)

// RemindDays is how many working days before a deadline the e-mail
// reminder goes.
const RemindDays = 3

// Reminder is one thing an official has to do about a report.
type Reminder struct {
	Kind     string  `json:"kind" doc:"next, late, returned or waiting"`
	FormID   int64   `json:"formId"`
	Form     string  `json:"form"`
	FormName string  `json:"formName"`
	Unit     UnitRef `json:"unit" doc:"the unit that reports (its name with its province)"`
	Period   string  `json:"period"`
	// Deadline is the last day to send the report (YYYY-MM-DD); DaysLeft
	// counts calendar days to it from today in Vietnam (negative when
	// late), WorkingDaysLeft working days.
	Deadline        string     `json:"deadline"`
	DaysLeft        int        `json:"daysLeft"`
	WorkingDaysLeft int        `json:"workingDaysLeft"`
	Locked          bool       `json:"locked,omitempty" doc:"late and locked: the coordinator must reopen it"`
	Comment         string     `json:"comment,omitempty" doc:"returned: the approver's comment"`
	By              string     `json:"by,omitempty" doc:"returned: who returned it (person, unit)"`
	At              *time.Time `json:"at,omitempty" doc:"returned: when; waiting: when it was submitted"`
	Ref             int64      `json:"ref,omitempty" doc:"the report_submission_events row (returned, waiting)"`
	Href            string     `json:"href" doc:"the report's page"`
}

// EntryHref is the page of a report, where its unit enters and submits it
// and its approvers approve or return it (the workflow's entry page).
func EntryHref(form, unit int64, period string) string {
	return fmt.Sprintf("/report/entry/%d/%d/%s", form, unit, period)
}

// reminderBase is what reminders read once for many officials.
type reminderBase struct {
	forms   []*formInfo
	sn      *org.Snapshot
	now     time.Time
	today   time.Time     // civil date in Vietnam
	waiting *[]waitingRow // read once, when first needed
}

func (s *Store) reminderBase(ctx context.Context) (*reminderBase, error) {
	forms, err := s.loadForms(ctx, nil)
	if err != nil {
		return nil, err
	}
	sn, err := s.org.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	return &reminderBase{forms: forms, sn: sn, now: now, today: Day(now.In(vietnam()))}, nil
}

// Reminders lists what p has to do about reports, most urgent first: late
// reports, reports returned, reports waiting for p's approval, then the
// next report of each form.
func (s *Store) Reminders(ctx context.Context, p *org.Principal) ([]Reminder, error) {
	b, err := s.reminderBase(ctx)
	if err != nil {
		return nil, err
	}
	return s.remindersFor(ctx, b, p)
}

func (s *Store) remindersFor(ctx context.Context, b *reminderBase, p *org.Principal) ([]Reminder, error) {
	out := []Reminder{}
	if p == nil {
		return out, nil
	}
	unit := p.UnitID
	if ok, err := s.org.Can(ctx, p, EnterReports, unit); err != nil {
		return nil, err
	} else if ok {
		rs, err := s.unitReminders(ctx, b, unit)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	if ok, err := s.org.Can(ctx, p, ApproveReports, 0); err != nil {
		return nil, err
	} else if ok {
		rs, err := s.waitingReminders(ctx, b, p)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	order := map[string]int{ReminderLate: 0, ReminderReturned: 1, ReminderWaiting: 2, ReminderNext: 3}
	slices.SortStableFunc(out, func(a, c Reminder) int {
		if order[a.Kind] != order[c.Kind] {
			return order[a.Kind] - order[c.Kind]
		}
		return strings.Compare(a.Deadline, c.Deadline)
	})
	return out, nil
}

// unitState is a report of one unit as reminders read it.
type unitState struct {
	id          int64
	state       string
	reopenUntil time.Time
}

// unitReminders are the reports of unit: late, returned, next.
func (s *Store) unitReminders(ctx context.Context, b *reminderBase, unit int64) ([]Reminder, error) {
	states := map[slotKey]unitState{}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, form_id, period, state FROM report_submissions WHERE unit_id = $1`, unit)
	if err != nil {
		return nil, fmt.Errorf("report: reminders: %w", err)
	}
	for rows.Next() {
		var k slotKey
		var st unitState
		if err := rows.Scan(&st.id, &k.form, &k.period, &st.state); err != nil {
			rows.Close()
			return nil, err
		}
		k.unit = unit
		states[k] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rrows, err := s.db.Read.QueryContext(ctx, `SELECT form_id, period, open_until FROM report_reopenings WHERE unit_id = $1`, unit)
	if err != nil {
		return nil, err
	}
	for rrows.Next() {
		var k slotKey
		var until time.Time
		if err := rrows.Scan(&k.form, &k.period, &until); err != nil {
			rrows.Close()
			return nil, err
		}
		k.unit = unit
		st := states[k]
		if until.After(st.reopenUntil) {
			st.reopenUntil = until
		}
		states[k] = st
	}
	rrows.Close()
	if err := rrows.Err(); err != nil {
		return nil, err
	}
	u, _ := b.sn.Unit(unit)
	ref := UnitRef{ID: unit, Code: u.Code, Name: u.Label}
	var out []Reminder
	for _, f := range b.forms {
		// From a year back to the unit's first report not yet due.
		p := PeriodOf(f.typ, b.today.AddDate(-1, 0, 0))
		ahead := 0
		for range 60 {
			due := !b.now.Before(s.dueAt(f, p))
			if !due {
				ahead++
			}
			if _, ok := slices.BinarySearch(expectedAt(b.sn, f, p), unit); ok {
				st := states[slotKey{f.id, unit, p.String()}]
				r := s.reminder(b, f, p, ref)
				switch {
				case submittedState(st.state):
				case st.state == StateReturned:
					rr, err := s.returned(ctx, st.id, r)
					if err != nil {
						return nil, err
					}
					out = append(out, rr)
				case due:
					lock, err := s.LockAt(f.id, p, f.deadline, f.grace)
					r.Kind = ReminderLate
					r.Locked = err == nil && !b.now.Before(lock) && !b.now.Before(st.reopenUntil)
					out = append(out, r)
				default:
					r.Kind = ReminderNext
					out = append(out, r)
				}
				if !due && !submittedState(st.state) {
					break // the next report of the form
				}
			}
			if ahead >= 3 {
				break
			}
			p = p.Next()
		}
	}
	return out, nil
}

// reminder fills what every reminder of a report says.
func (s *Store) reminder(b *reminderBase, f *formInfo, p Period, unit UnitRef) Reminder {
	d := s.deadlineOf(f, p)
	r := Reminder{FormID: f.id, Form: f.code, FormName: f.name, Unit: unit, Period: p.String(),
		Deadline: d.Format(time.DateOnly), DaysLeft: int(d.Sub(b.today).Hours() / 24), Href: EntryHref(f.id, unit.ID, p.String())}
	r.WorkingDaysLeft = s.workingDaysBetween(b.today, d)
	return r
}

// workingDaysBetween counts the working days after from up to and
// including to (negative when to is earlier).
func (s *Store) workingDaysBetween(from, to time.Time) int {
	n, sign := 0, 1
	if to.Before(from) {
		from, to, sign = to, from, -1
	}
	for d := from.AddDate(0, 0, 1); !d.After(to) && n < 400; d = d.AddDate(0, 0, 1) {
		if s.Calendar.IsWorkingDay(d) {
			n++
		}
	}
	return sign * n
}

// returned completes a returned report's reminder with its latest return.
func (s *Store) returned(ctx context.Context, submission int64, r Reminder) (Reminder, error) {
	var ev, unit sql.NullInt64
	var comment, who string
	var at time.Time
	err := s.db.Read.QueryRowContext(ctx, `SELECT e.id, e.comment, e.at, e.unit_id, COALESCE(u.full_name, '') FROM report_submission_events e
		LEFT JOIN users u ON u.id = e.user_id WHERE e.submission_id = $1 AND e.action = 'return' ORDER BY e.id DESC LIMIT 1`, submission).
		Scan(&ev, &comment, &at, &unit, &who)
	r.Kind = ReminderReturned
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	} else if err != nil {
		return r, fmt.Errorf("report: return event: %w", err)
	}
	r.Ref, r.Comment, r.At = ev.Int64, comment, &at
	by := []string{}
	if who != "" {
		by = append(by, who)
	}
	if unit.Valid {
		if u, ok := s.labelOfUnit(ctx, unit.Int64); ok {
			by = append(by, u)
		}
	}
	r.By = strings.Join(by, ", ")
	return r, nil
}

func (s *Store) labelOfUnit(ctx context.Context, id int64) (string, bool) {
	us, err := s.org.UnitsByID(ctx, []int64{id})
	if err != nil {
		return "", false
	}
	u, ok := us[id]
	if u.Label == "" {
		return u.Name, ok
	}
	return u.Label, ok
}

// waitingRow is a report waiting at a unit for its approvers.
type waitingRow struct {
	form, unit, waiting, ev int64
	period                  string
	at                      sql.NullTime
}

// waitingRows reads, once per base, the reports waiting at some unit:
// submitted, or approved by a level below and sent on.
func (s *Store) waitingRows(ctx context.Context, b *reminderBase) ([]waitingRow, error) {
	if b.waiting != nil {
		return *b.waiting, nil
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT s.form_id, s.unit_id, s.period, s.waiting_unit_id, s.submitted_at,
		(SELECT COALESCE(MAX(e.id), 0) FROM report_submission_events e WHERE e.submission_id = s.id)
		FROM report_submissions s WHERE s.waiting_unit_id IS NOT NULL AND s.state IN ($1, $2)
		ORDER BY s.submitted_at, s.id`, StateSubmitted, StateApproved)
	if err != nil {
		return nil, fmt.Errorf("report: waiting reports: %w", err)
	}
	defer rows.Close()
	list := []waitingRow{}
	for rows.Next() {
		var x waitingRow
		if err := rows.Scan(&x.form, &x.unit, &x.period, &x.waiting, &x.at, &x.ev); err != nil {
			return nil, err
		}
		list = append(list, x)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	b.waiting = &list
	return list, nil
}

// waitingReminders are the reports waiting at a unit in p's scope of
// report.approve (decided on the snapshot, as Authorize would).
func (s *Store) waitingReminders(ctx context.Context, b *reminderBase, p *org.Principal) ([]Reminder, error) {
	list, err := s.waitingRows(ctx, b)
	if err != nil {
		return nil, err
	}
	scopes := s.org.Scopes(p, ApproveReports)
	forms := map[int64]*formInfo{}
	for _, f := range b.forms {
		forms[f.id] = f
	}
	can := map[int64]bool{}
	var out []Reminder
	for _, x := range list {
		ok, seen := can[x.waiting]
		if !seen {
			for _, sc := range scopes {
				if b.sn.Within(x.waiting, sc) {
					ok = true
					break
				}
			}
			can[x.waiting] = ok
		}
		f := forms[x.form]
		pe, perr := ParsePeriod(x.period)
		if !ok || f == nil || perr != nil {
			continue
		}
		u, _ := b.sn.Unit(x.unit)
		r := s.reminder(b, f, pe, UnitRef{ID: x.unit, Code: u.Code, Name: u.Label})
		r.Kind, r.Ref, r.At = ReminderWaiting, x.ev, optTime(x.at)
		out = append(out, r)
	}
	return out, nil
}

// Pages: the home-page lines and /report/reminders.

//go:embed templates/reminders*.html
var reminderTemplates embed.FS

var remindersPage = web.NewPage(reminderTemplates, "templates/reminders.html")

// homeLimit is how many reminders of a kind the home page lists one by
// one; the rest are counted on a line to /report/reminders.
const homeLimit = 5

// Text is the reminder as one line in lang.
func (r Reminder) Text(lang locale.Lang) string {
	pe, _ := ParsePeriod(r.Period)
	period := pe.Label(lang)
	deadline := locale.ISODate(lang, r.Deadline)
	switch r.Kind {
	case ReminderNext:
		if r.DaysLeft == 0 {
			return locale.T(lang, "reminder.next_today", r.FormName, period, deadline)
		}
		return locale.T(lang, "reminder.next", r.FormName, period, deadline, r.DaysLeft)
	case ReminderLate:
		key := "reminder.late"
		if r.Locked {
			key = "reminder.late_locked"
		}
		return locale.T(lang, key, r.FormName, period, deadline, -r.DaysLeft)
	case ReminderReturned:
		by := r.By
		if by == "" {
			by = locale.T(lang, "reminder.approver")
		}
		if r.Comment == "" {
			return locale.T(lang, "reminder.returned_no_comment", r.FormName, period, by)
		}
		return locale.T(lang, "reminder.returned", r.FormName, period, by, r.Comment)
	case ReminderWaiting:
		at := ""
		if r.At != nil {
			at = locale.Date(lang, *r.At)
		}
		return locale.T(lang, "reminder.waiting", r.FormName, period, r.Unit.Name, at)
	}
	return ""
}

func (s *Store) homeItems(r *http.Request) []web.HomeItem {
	ctx := r.Context()
	rs, err := s.Reminders(ctx, org.PrincipalFrom(ctx))
	if err != nil {
		slog.ErrorContext(ctx, "report reminders", "err", err)
		return nil
	}
	lang := locale.FromRequest(r)
	var items []web.HomeItem
	shown := map[string]int{}
	more := map[string]int{}
	locked := 0
	for _, x := range rs {
		if x.Kind == ReminderLate && x.Locked {
			locked++ // past its lock: counted on one line, listed on /report/reminders
			continue
		}
		if shown[x.Kind] >= homeLimit {
			more[x.Kind]++
			continue
		}
		shown[x.Kind]++
		items = append(items, web.HomeItem{Key: "reminder.line", Args: []any{x.Text(lang)}, Href: x.Href,
			Alert: x.Kind == ReminderLate || x.Kind == ReminderReturned || (x.Kind == ReminderNext && x.WorkingDaysLeft <= RemindDays)})
	}
	for _, k := range []string{ReminderLate, ReminderReturned, ReminderWaiting, ReminderNext} {
		if n := more[k]; n > 0 {
			items = append(items, web.HomeItem{Key: "reminder.more." + k, Count: n, Href: "/report/reminders", Alert: k != ReminderNext})
		}
	}
	if locked > 0 {
		items = append(items, web.HomeItem{Key: "reminder.locked", Count: locked, Href: "/report/reminders", Alert: true})
	}
	return items
}

type remindersView struct {
	Groups []reminderGroup
}

type reminderGroup struct {
	Kind  string
	Items []reminderLine
}

type reminderLine struct {
	Text, Href string
	Reminder
}

func (s *Store) reminderRoutes(site *web.Site) {
	site.AddHome("report-reminders", s.homeItems)
	site.Page("GET /report/reminders", func(w http.ResponseWriter, r *http.Request) error {
		rs, err := s.Reminders(r.Context(), org.PrincipalFrom(r.Context()))
		if err != nil {
			return err
		}
		lang := locale.FromRequest(r)
		var v remindersView
		for _, k := range []string{ReminderLate, ReminderReturned, ReminderWaiting, ReminderNext} {
			g := reminderGroup{Kind: k}
			for _, x := range rs {
				if x.Kind == k {
					g.Items = append(g.Items, reminderLine{Text: x.Text(lang), Href: x.Href, Reminder: x})
				}
			}
			if len(g.Items) > 0 {
				v.Groups = append(v.Groups, g)
			}
		}
		return remindersPage.Render(w, r, v)
	})
	site.API.Handle(httpx.Route{Method: "GET", Path: "/api/v1/report/reminders", Tag: "report",
		Summary:  "The caller's reminders: their unit's next and late reports, reports returned to it (with the approver's comment), reports waiting for the caller's approval",
		Response: Reminder{}, List: true},
		httpx.ListHandler(nil, func(ctx context.Context) ([]Reminder, error) {
			return s.Reminders(ctx, org.PrincipalFrom(ctx))
		}))
}

// E-mail.

// mailKind is the e-mail kind of a reminder, "" when it is not mailed
// (a next report whose deadline is more than RemindDays working days away).
func mailKind(r Reminder) string {
	switch r.Kind {
	case ReminderNext:
		if r.WorkingDaysLeft <= RemindDays {
			return "due"
		}
		return ""
	case ReminderLate, ReminderReturned, ReminderWaiting:
		return r.Kind
	}
	return ""
}

// SendReminders e-mails each official with an address the reminders due
// and not yet sent, one message per official, and returns how many
// messages went. Without a mailer it sends nothing. A failed delivery is
// logged and forgotten, so it is tried again on the next run; it does not
// stop the others.
func (s *Store) SendReminders(ctx context.Context) (int, error) {
	if s.Mailer == nil {
		return 0, nil
	}
	b, err := s.reminderBase(ctx)
	if err != nil {
		return 0, err
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, full_name, email, locale FROM users WHERE email <> '' AND disabled = $1 ORDER BY id`, false)
	if err != nil {
		return 0, fmt.Errorf("report: officials to remind: %w", err)
	}
	type official struct {
		id                  int64
		name, email, locale string
	}
	var officials []official
	for rows.Next() {
		var o official
		if err := rows.Scan(&o.id, &o.name, &o.email, &o.locale); err != nil {
			rows.Close()
			return 0, err
		}
		officials = append(officials, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	for _, o := range officials {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		p, err := s.org.Principal(ctx, o.id)
		if err != nil {
			return sent, err
		}
		rs, err := s.remindersFor(ctx, b, p)
		if err != nil {
			return sent, err
		}
		claimed, ids, err := s.claim(ctx, o.id, o.email, rs)
		if err != nil {
			return sent, err
		}
		if len(claimed) == 0 {
			continue
		}
		lang := locale.Parse(o.locale)
		msg := mail.Message{To: o.email, ToName: o.name, Subject: reminderSubject(lang, claimed), Body: s.reminderBody(lang, o.name, claimed)}
		if err := s.Mailer.Send(ctx, msg); err != nil {
			slog.ErrorContext(ctx, "reminder e-mail", "to", o.email, "err", err)
			if err := s.unclaim(ctx, ids); err != nil {
				return sent, err
			}
			continue
		}
		sent++
	}
	return sent, nil
}

// claim records the official's reminders to mail that were not sent
// before; a row another node claimed first is left to it.
func (s *Store) claim(ctx context.Context, user int64, email string, rs []Reminder) ([]Reminder, []int64, error) {
	var out []Reminder
	var ids []int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, r := range rs {
			kind := mailKind(r)
			if kind == "" {
				continue
			}
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO report_reminders_sent (user_id, kind, form_id, unit_id, period, ref, email, sent_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id`,
				user, kind, r.FormID, r.Unit.ID, r.Period, r.Ref, email, store.Now()).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				continue // sent before
			} else if err != nil {
				return fmt.Errorf("report: claim reminder: %w", err)
			}
			out = append(out, r)
			ids = append(ids, id)
		}
		return nil
	})
	return out, ids, err
}

func (s *Store) unclaim(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var args []any
	_, err := s.db.Write.ExecContext(ctx, `DELETE FROM report_reminders_sent WHERE id IN (`+store.InList(&args, ids)+`)`, args...)
	return err
}

func reminderSubject(lang locale.Lang, rs []Reminder) string {
	n := map[string]int{}
	for _, r := range rs {
		n[mailKind(r)]++
	}
	var parts []string
	for _, k := range []string{"late", "returned", "waiting", "due"} {
		if n[k] > 0 {
			parts = append(parts, locale.T(lang, "reminder.mail.count."+k, n[k]))
		}
	}
	return locale.T(lang, "reminder.mail.subject", strings.Join(parts, ", "))
}

func (s *Store) reminderBody(lang locale.Lang, name string, rs []Reminder) string {
	var b strings.Builder
	b.WriteString(locale.T(lang, "reminder.mail.greeting", name) + "\n\n")
	b.WriteString(locale.T(lang, "reminder.mail.intro") + "\n")
	for _, k := range []string{"late", "returned", "waiting", "due"} {
		first := true
		for _, r := range rs {
			if mailKind(r) != k {
				continue
			}
			if first {
				b.WriteString("\n" + locale.T(lang, "reminder.mail.heading."+k) + "\n")
				first = false
			}
			b.WriteString("- " + r.Text(lang) + "\n")
			if k == "waiting" || k == "returned" {
				b.WriteString("  " + r.Unit.Name + "\n")
			}
			b.WriteString("  " + s.BaseURL + r.Href + "\n")
		}
	}
	b.WriteString("\n" + locale.T(lang, "reminder.mail.footer", s.BaseURL+"/") + "\n")
	return b.String()
}

// reminderComponent runs SendReminders on start, then every day at 07:00
// in Vietnam.
func (s *Store) reminderComponent() web.Component {
	return web.Component{Name: "report-reminders", Run: func(ctx context.Context) error {
		for {
			if n, err := s.SendReminders(ctx); err != nil && ctx.Err() == nil {
				slog.ErrorContext(ctx, "report reminders", "err", err)
			} else if n > 0 {
				slog.InfoContext(ctx, "report reminders sent", "messages", n)
			}
			now := time.Now().In(vietnam())
			next := time.Date(now.Year(), now.Month(), now.Day(), 7, 0, 0, 0, vietnam())
			if !next.After(now) {
				next = next.AddDate(0, 0, 1)
			}
			t := time.NewTimer(next.Sub(now))
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
	}}
}

// mountCompleteness attaches completeness, the computed share of reports
// and the reminders (see completeness.go and this file).
func (s *Store) mountCompleteness(site *web.Site) {
	s.completenessRoutes(site)
	s.AddComputed(ShareOfReports, s.shareOfReports)
	s.reminderRoutes(site)
	if s.Mailer != nil {
		site.AddComponent(s.reminderComponent())
	}
}
