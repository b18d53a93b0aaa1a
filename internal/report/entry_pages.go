package report

// The pages of data entry and approval: the reports an official's units
// must send (/report/entry), those waiting for their approval
// (/report/approvals), and one report (/report/entry/{form}/{unit}/{period}):
// its entry form, usable on a phone (one column, large fields), its steps,
// the approvers' and the coordinator's actions, the history of its values
// and the check of its SHA-256 digests. Handlers call the same Store
// methods as the API (SaveEntry, Submit, Approve, Return, Unapprove,
// Withdraw, Reopen), so a page and the API decide and write alike.

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

//go:embed templates/*.html
var entryTemplates embed.FS

func newEntryPage(name string) *web.Page {
	return web.NewPage(entryTemplates, "templates/"+name, "templates/entry_parts.html")
}

var (
	reportsPage   = newEntryPage("reports.html")
	approvalsPage = newEntryPage("approvals.html")
	entryPage     = newEntryPage("entry.html")
	historyPage   = newEntryPage("history.html")
	verifyPage    = newEntryPage("verify.html")
)

func (s *Store) entryRoutes(site *web.Site) {
	site.AddMenu("/report/entry", "nav.report_entry", string(EnterReports))
	site.AddMenu("/report/approvals", "nav.report_approvals", string(ApproveReports))
	site.Page("GET /report/entry", s.reportsShow)
	site.Page("GET /report/approvals", s.approvalsShow)
	site.Page("GET /report/entry/{form}/{unit}/{period}", s.entryShow)
	site.Page("POST /report/entry/{form}/{unit}/{period}/save", s.entrySave)
	site.Page("POST /report/entry/{form}/{unit}/{period}/{step}", s.entryStep)
	site.Page("GET /report/entry/{form}/{unit}/{period}/history", s.historyShow)
	site.Page("GET /report/entry/{form}/{unit}/{period}/verify", s.verifyShow)
}

// pageKey reads the report a page is about from its path.
func pageKey(r *http.Request) (ReportKey, error) {
	form, err := httpx.PathID(r, "form")
	if err != nil {
		return ReportKey{}, err
	}
	unit, err := httpx.PathID(r, "unit")
	if err != nil {
		return ReportKey{}, err
	}
	p, err := ParsePeriod(r.PathValue("period"))
	if err != nil {
		return ReportKey{}, errs.NotFound
	}
	return ReportKey{Form: form, Unit: unit, Period: p.String()}, nil
}

// EntryPath is the page of a report (EntryHref).
func EntryPath(k ReportKey) string { return EntryHref(k.Form, k.Unit, k.Period) }

// canCache answers Can for one request, once per action and unit.
type canCache struct {
	s    *Store
	ctx  context.Context
	seen map[string]bool
}

func (s *Store) cans(r *http.Request) *canCache { return s.cansIn(r.Context()) }

func (s *Store) cansIn(ctx context.Context) *canCache {
	return &canCache{s: s, ctx: ctx, seen: map[string]bool{}}
}

func (c *canCache) can(a org.Action, unit int64) bool {
	k := string(a) + ":" + strconv.FormatInt(unit, 10)
	if v, ok := c.seen[k]; ok {
		return v
	}
	ok, err := c.s.org.Can(c.ctx, org.PrincipalFrom(c.ctx), a, unit)
	c.seen[k] = err == nil && ok
	return c.seen[k]
}

// currentPeriod is the period of type t whose data cut-off holds day.
func currentPeriod(t PeriodType, day time.Time) Period {
	p := PeriodOf(t, day)
	for _, c := range []Period{p, p.Next(), p.Prev()} {
		if c.InCutOff(day) {
			return c
		}
	}
	return p
}

// reportRow is a report as the lists show it.
type reportRow struct {
	Report
	PeriodLabel string
	Deadline    string // YYYY-MM-DD
	Late        bool   // past the deadline and not sent
	Href        string
}

// SentLate reports that the first submission came after the deadline.
func (r Report) SentLate() bool { return r.OnTime != nil && !*r.OnTime }

// SentOnTime reports that the first submission came before the deadline.
func (r Report) SentOnTime() bool { return r.OnTime != nil && *r.OnTime }

// UnitName is the name of the event's unit, "" when none.
func (e ReportEvent) UnitName() string {
	if e.Unit == nil {
		return ""
	}
	return e.Unit.Name
}

func (s *Store) rowOf(r Report, lang locale.Lang, forms map[int64]Form, today time.Time) reportRow {
	row := reportRow{Report: r, Href: EntryPath(ReportKey{Form: r.Form.ID, Unit: r.Unit.ID, Period: r.Period})}
	p, err := ParsePeriod(r.Period)
	if err != nil {
		return row
	}
	row.PeriodLabel = p.Label(lang)
	if f, ok := forms[r.Form.ID]; ok {
		if d, err := s.Calendar.Deadline(p, f.DeadlineDays); err == nil {
			row.Deadline = d.Format(time.DateOnly)
			row.Late = !r.Done() && today.After(d)
		}
	}
	return row
}

// Report list filters.
var stateFilters = []string{"todo", "returned", "sent", "final"}

func keepState(r Report, f string) bool {
	switch f {
	case "todo":
		return Editable(r.State)
	case "returned":
		return r.State == StateReturned
	case "sent":
		return r.State == StateSubmitted || r.State == StateApproved
	case "final":
		return r.State == StateAccepted
	}
	return true
}

type reportsData struct {
	Rows    []reportRow
	Period  string
	Form    string
	State   string
	Periods []string
	Forms   []Form
	States  []string
	Labels  map[string]string // period → label
}

// reportsShow lists the reports the official's units must send: for each
// form, its current period (the one whose cut-off holds today) and the one
// before, or the period asked for; only the units the official enters data
// for.
func (s *Store) reportsShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	if err := s.org.Authorize(ctx, p, EnterReports, 0); err != nil {
		return err
	}
	lang := locale.FromRequest(r)
	q := r.URL.Query()
	d := reportsData{Period: strings.TrimSpace(q.Get("period")), Form: q.Get("form"), State: q.Get("state"), States: stateFilters, Labels: map[string]string{}}
	var ferr error
	var want Period
	if d.Period != "" {
		if want, ferr = ParsePeriod(d.Period); ferr != nil {
			d.Period = ""
		}
	}
	if !slices.Contains(stateFilters, d.State) {
		d.State = ""
	}
	forms, err := s.Forms(ctx)
	if err != nil {
		return err
	}
	byID := map[int64]Form{}
	for _, f := range forms {
		byID[f.ID] = f
	}
	d.Forms = forms
	today := Day(s.Now().In(vietnam()))
	cans := s.cans(r)
	seenPeriod := map[string]bool{}
	for _, f := range forms {
		if d.Form != "" && d.Form != strconv.FormatInt(f.ID, 10) {
			continue
		}
		pt, err := ParsePeriodType(f.PeriodType)
		if err != nil {
			continue
		}
		cur := currentPeriod(pt, today)
		periods := []Period{cur, cur.Prev()}
		for _, pe := range []Period{cur, cur.Prev(), cur.Prev().Prev(), cur.Prev().Prev().Prev()} {
			if !seenPeriod[pe.String()] {
				seenPeriod[pe.String()] = true
				d.Periods = append(d.Periods, pe.String())
				d.Labels[pe.String()] = pe.Label(lang)
			}
		}
		if !want.IsZero() {
			if want.Type() != pt {
				continue
			}
			periods = []Period{want}
			d.Labels[want.String()] = want.Label(lang)
		}
		for _, pe := range periods {
			rs, err := s.Reports(ctx, ReportFilter{Form: f.ID, Period: pe.String(), Expected: true})
			if err != nil {
				return err
			}
			for _, rep := range rs {
				if cans.can(EnterReports, rep.Unit.ID) && keepState(rep, d.State) {
					d.Rows = append(d.Rows, s.rowOf(rep, lang, byID, today))
				}
			}
		}
	}
	slices.Sort(d.Periods)
	slices.Reverse(d.Periods)
	if ferr != nil {
		return renderErrors(reportsPage, w, r, http.StatusUnprocessableEntity, fieldProblems(lang, ferr), d)
	}
	return reportsPage.Render(w, r, d)
}

type approvalsData struct {
	Rows    []reportRow
	Form    string // a form's id, or "" for any
	Period  string // a period, or "" for any
	Forms   []Form // the forms with reports waiting, for the filter
	Periods []string
	Labels  map[string]string
	Total   int // reports waiting, before the filters
}

// approvalsShow lists the reports waiting at a level the official
// approves for, the longest waiting first, with when and by whom each was
// sent; filtered by form and period.
func (s *Store) approvalsShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := s.org.Authorize(ctx, org.PrincipalFrom(ctx), ApproveReports, 0); err != nil {
		return err
	}
	lang := locale.FromRequest(r)
	forms, err := s.Forms(ctx)
	if err != nil {
		return err
	}
	byID := map[int64]Form{}
	for _, f := range forms {
		byID[f.ID] = f
	}
	rs, err := s.Reports(ctx, ReportFilter{States: []string{StateSubmitted, StateApproved}})
	if err != nil {
		return err
	}
	today := Day(s.Now().In(vietnam()))
	cans := s.cans(r)
	q := r.URL.Query()
	d := approvalsData{Form: q.Get("form"), Period: q.Get("period"), Labels: map[string]string{}}
	withReports := map[int64]bool{}
	for _, rep := range rs {
		if rep.WaitingUnit == nil || !cans.can(ApproveReports, rep.WaitingUnit.ID) {
			continue
		}
		d.Total++
		withReports[rep.Form.ID] = true
		if !slices.Contains(d.Periods, rep.Period) {
			d.Periods = append(d.Periods, rep.Period)
		}
		if (d.Form != "" && d.Form != strconv.FormatInt(rep.Form.ID, 10)) || (d.Period != "" && d.Period != rep.Period) {
			continue
		}
		d.Rows = append(d.Rows, s.rowOf(rep, lang, byID, today))
	}
	for _, f := range forms {
		if withReports[f.ID] {
			d.Forms = append(d.Forms, f)
		}
	}
	slices.Sort(d.Periods)
	slices.Reverse(d.Periods)
	for _, pe := range d.Periods {
		if p, err := ParsePeriod(pe); err == nil {
			d.Labels[pe] = p.Label(lang)
		}
	}
	// The longest waiting first.
	slices.SortStableFunc(d.Rows, func(a, b reportRow) int {
		switch {
		case a.SubmittedAt == nil || b.SubmittedAt == nil:
			return 0
		case a.SubmittedAt.Before(*b.SubmittedAt):
			return -1
		case b.SubmittedAt.Before(*a.SubmittedAt):
			return 1
		}
		return 0
	})
	return approvalsPage.Render(w, r, d)
}

// entryField is one field of the entry form (an indicator, or one of its
// category options).
type entryField struct {
	Name, CommentName string
	Label             string // the option's name; the indicator's when it has none
	Kind              string // number, integer, choice, text, longtext, date, none
	Value, Comment    string // as stored, written for the page's language
	Rules             []string
}

type entryItemView struct {
	EntryItem
	Fields   []entryField
	Computed string // the value of a derived indicator, or ""
}

type entrySectionView struct {
	Name  string
	Items []entryItemView
}

type failedRule struct {
	Message     string
	Left, Right string
}

type entryData struct {
	D          ReportDetail
	Form       Form
	Key        ReportKey
	Base       string
	Sections   []entrySectionView
	Values     []valueView // read-only view
	Return     *ReportEvent
	Failed     []failedRule
	Locked     bool
	CanEdit    bool
	CanApprove bool
	CanReturn  bool
	CanUnappr  bool
	CanWithdr  bool
	CanReopen  bool
	LastLevel  bool // approving now makes it final
	Note       string
	Today      string
	// LockDay and ReopenDay are the last days the period takes values
	// (dd/mm/yyyy): before its lock, and until its reopening for the unit.
	LockDay, ReopenDay string
}

// lastDay is the day that ends at an instant (a lock at midnight ends the
// day before), written dd/mm/yyyy.
func lastDay(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(vietnam()).Add(-time.Nanosecond).Format("02/01/2006")
}

type valueView struct {
	Indicator, Option, Value, Comment string
}

func kindOf(t string) string {
	switch ValueType(t) {
	case TypeInteger, TypeIntegerPositive, TypeIntegerNegative, TypeIntegerZeroOrPositive:
		return "integer"
	case TypeNumber, TypePercentage, TypeUnitInterval:
		return "number"
	case TypeBoolean, TypeTrueOnly:
		return "choice"
	case TypeText:
		return "text"
	case TypeLongText:
		return "longtext"
	case TypeDate:
		return "date"
	}
	return "none"
}

// display writes a stored value for the page's language.
func display(lang locale.Lang, valueType, value string) string {
	switch kindOf(valueType) {
	case "integer", "number":
		return locale.FormatDecimal(lang, value)
	case "date":
		return locale.InputDate(value)
	}
	return value
}

// entryData gathers what the report page shows.
func (s *Store) entryData(r *http.Request, k ReportKey) (*entryData, error) {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	info, err := s.prepare(ctx, k)
	if err != nil {
		return nil, err
	}
	if err := s.org.Authorize(ctx, p, ViewReports, k.Unit); err != nil {
		return nil, err
	}
	lang := locale.FromRequest(r)
	det, err := s.detail(ctx, info)
	if err != nil {
		return nil, err
	}
	det.PeriodLabel = info.period.Label(lang)
	layout, err := s.entryLayout(ctx, k.Form)
	if err != nil {
		return nil, err
	}
	now := s.now()
	d := &entryData{D: det, Form: info.form, Key: info.key, Base: EntryPath(info.key), Return: lastReturn(det.Events),
		Today: Day(now.In(vietnam())).Format(time.DateOnly), LockDay: lastDay(det.LockAt), ReopenDay: lastDay(det.ReopenedUntil)}
	if err := s.entryOpen(ctx, s.db.Read, info, now); err != nil {
		d.Locked = true
	}
	cans := s.cans(r)
	editable := Editable(det.State) && !d.Locked
	d.CanEdit = editable && cans.can(EnterReports, k.Unit)
	if det.WaitingUnit != nil && (det.State == StateSubmitted || det.State == StateApproved) {
		d.CanApprove = cans.can(ApproveReports, det.WaitingUnit.ID)
		d.CanReturn = d.CanApprove
		d.LastLevel = chainIndex(det.Chain, det.WaitingUnit.ID) == len(det.Chain)-1
	}
	if det.ApprovedUnit != nil && (det.State == StateApproved || det.State == StateAccepted) {
		d.CanUnappr = cans.can(ApproveReports, det.ApprovedUnit.ID)
	}
	// Withdrawing is the reporting unit's step; an approver who may enter
	// the unit's data too returns the report instead, with a comment.
	d.CanWithdr = det.State == StateSubmitted && det.ApprovedUnit == nil && !d.Locked && !d.CanApprove && cans.can(EnterReports, k.Unit)
	d.CanReopen = cans.can(ManageReports, k.Unit)

	type vkey struct{ ind, opt int64 }
	have := map[vkey]StoredValue{}
	for _, v := range det.Values {
		have[vkey{v.IndicatorID, v.OptionID}] = v
	}
	num := map[int64]*float64{}
	for _, v := range det.Values {
		if v.Number != nil {
			n := *v.Number
			if cur := num[v.IndicatorID]; cur != nil {
				n += *cur
			}
			num[v.IndicatorID] = &n
		}
	}
	ruleAt := map[string][]string{}
	for _, rr := range det.Rules {
		if rr.Status != RuleFailed {
			continue
		}
		fr := failedRule{Message: rr.Text(lang), Left: locale.FormatDecimal(lang, number(*rr.Left)), Right: locale.FormatDecimal(lang, number(*rr.Right))}
		d.Failed = append(d.Failed, fr)
		if refs := rr.Refs(); len(refs) > 0 {
			ruleAt[refs[0]] = append(ruleAt[refs[0]], fr.Message)
		}
	}
	for _, sec := range layout {
		sv := entrySectionView{Name: sec.Name}
		for _, it := range sec.Items {
			iv := entryItemView{EntryItem: it}
			if it.Derived {
				n, den := num[it.Numerator], num[it.Denominator]
				if n != nil && den != nil && *den != 0 {
					iv.Computed = locale.Number(lang, *n / *den * it.Factor, 2)
				}
				sv.Items = append(sv.Items, iv)
				continue
			}
			opts := it.Options
			if len(opts) == 0 {
				opts = []EntryOption{{ID: 0, Name: it.Name}}
			}
			for _, o := range opts {
				cur := have[vkey{it.ID, o.ID}]
				f := entryField{Name: fieldName(it.ID, o.ID), CommentName: commentName(it.ID, o.ID), Label: o.Name, Kind: kindOf(it.ValueType),
					Value: display(lang, it.ValueType, cur.Value), Comment: cur.Comment}
				iv.Fields = append(iv.Fields, f)
				if cur.Value != "" || cur.Comment != "" {
					label := it.Name
					if o.ID != 0 {
						label += " — " + o.Name
					}
					// With its unit of measure, as the form's label has it
					// (45,5 is a percentage, 1.234 dossiers).
					if it.Measure != "" {
						label += " (" + it.Measure + ")"
					}
					d.Values = append(d.Values, valueView{Indicator: label, Value: showValue(lang, it.ValueType, cur.Value), Comment: cur.Comment})
				}
			}
			if msgs := ruleAt[it.Code]; len(msgs) > 0 {
				iv.Fields[0].Rules = msgs
			}
			sv.Items = append(sv.Items, iv)
		}
		d.Sections = append(d.Sections, sv)
	}
	return d, nil
}

// showValue writes a value for reading: numbers the language's way, yes/no
// as words.
func showValue(lang locale.Lang, valueType, value string) string {
	switch {
	case value == "":
		return ""
	case kindOf(valueType) == "choice":
		return locale.T(lang, "report.entry.choice."+value)
	case kindOf(valueType) == "date":
		return locale.ISODate(lang, value)
	}
	return display(lang, valueType, value)
}

// pageOf reads the report of a page's path with what its page shows.
func (s *Store) pageOf(r *http.Request) (ReportKey, *entryData, error) {
	k, err := pageKey(r)
	if err != nil {
		return k, nil, err
	}
	d, err := s.entryData(r, k)
	return k, d, err
}

func (s *Store) entryShow(w http.ResponseWriter, r *http.Request) error {
	_, d, err := s.pageOf(r)
	if err != nil {
		return err
	}
	return entryPage.Render(w, r, d)
}

// renderErrors renders a page with the given problems above it (and next
// to their fields), keeping what was typed.
func renderErrors(p *web.Page, w http.ResponseWriter, r *http.Request, status int, problems []httpx.ProblemField, data any) error {
	v := web.NewView(r, data)
	v.Form = r.PostForm
	v.Errors = problems
	return p.RenderView(w, r, status, v)
}

// fieldProblems turns a validation error into the page's problems; an
// error without fields (a refused step) becomes one message.
func fieldProblems(lang locale.Lang, err error) []httpx.ProblemField {
	e, ok := errs.As(err)
	if !ok {
		return nil
	}
	if len(e.Fields) == 0 {
		return []httpx.ProblemField{{Code: e.Code, Message: locale.T(lang, e.Key, e.Args...)}}
	}
	var out []httpx.ProblemField
	for _, f := range e.Fields {
		msg := httpx.FieldMessage(lang, f)
		if f.Code == "report.rule_failed" {
			msg = ruleFailedMessage(lang, f.Args)
		}
		out = append(out, httpx.ProblemField{Field: f.Name, Code: f.Code, Message: msg})
	}
	return out
}

// ruleFailedMessage is a failed rule's message (ruleErrors' arguments:
// the Vietnamese message, the two values in exchange notation, the English
// message) with its values written the language's way (1.500 so với
// 1.234), as the rules card above the form writes them.
func ruleFailedMessage(lang locale.Lang, args []any) string {
	if len(args) == 4 {
		args = slices.Clone(args)
		for _, i := range []int{1, 2} {
			if v, ok := args[i].(string); ok {
				args[i] = locale.FormatDecimal(lang, v)
			}
		}
	}
	return locale.T(lang, "invalid.report.rule_failed", args...)
}

// showStepError renders the report page again with err above it when it
// is the person's to fix (a validation failure, a refused step); other
// errors (forbidden, not found, internal) go to the error page.
func (s *Store) showStepError(w http.ResponseWriter, r *http.Request, k ReportKey, err error) error {
	e, ok := errs.As(err)
	if !ok || (e.Status != http.StatusUnprocessableEntity && e.Status != http.StatusConflict) {
		return err
	}
	d, derr := s.entryData(r, k)
	if derr != nil {
		return derr
	}
	return renderErrors(entryPage, w, r, e.Status, fieldProblems(locale.FromRequest(r), err), d)
}

// entrySave saves the entry form (Lưu nháp), then, for "Gửi báo cáo",
// submits the report when every value was valid.
func (s *Store) entrySave(w http.ResponseWriter, r *http.Request) error {
	k, err := pageKey(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	if err := r.ParseForm(); err != nil {
		return errs.BadRequest
	}
	lang := locale.FromRequest(r)
	var fields []EntryField
	for name := range r.PostForm {
		var ind, opt int64
		if n, _ := fmt.Sscanf(name, "v.%d.%d", &ind, &opt); n != 2 || name != fieldName(ind, opt) {
			continue
		}
		f := EntryField{Indicator: ind, Option: opt, Value: r.PostForm.Get(name), HasValue: true}
		if c, ok := r.PostForm[commentName(ind, opt)]; ok && len(c) > 0 {
			f.Comment, f.HasComment = c[0], true
		}
		fields = append(fields, f)
	}
	res, err := s.SaveEntry(ctx, p, k, fields, lang, r.PostForm.Get("reason"))
	if err != nil {
		return s.showStepError(w, r, k, err)
	}
	if len(res.Errors) > 0 {
		d, err := s.entryData(r, k)
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, sec := range d.Sections {
			for _, it := range sec.Items {
				for _, f := range it.Fields {
					label := it.Name
					if len(it.Options) > 0 {
						label += " — " + f.Label
					}
					names[f.Name], names[f.CommentName] = label, label
				}
			}
		}
		var problems []httpx.ProblemField
		for _, e := range res.Errors {
			problems = append(problems, httpx.ProblemField{Field: e.Field, Code: e.Code, Message: names[e.Field] + ": " + locale.T(lang, "invalid."+e.Code, e.Args...)})
		}
		d.Note = locale.T(lang, "report.entry.saved_some", res.Saved, len(res.Errors))
		return renderErrors(entryPage, w, r, http.StatusUnprocessableEntity, problems, d)
	}
	if r.PostForm.Get("action") != "submit" {
		web.Redirect(w, r, EntryPath(k)+"?ok=report_saved")
		return nil
	}
	if err := s.Submit(ctx, p, k, r.PostForm.Get("comment")); err != nil {
		return s.showStepError(w, r, k, err)
	}
	web.Redirect(w, r, EntryPath(k)+"?ok=report_submitted")
	return nil
}

// entryStep takes a step on the report: approve, return, unapprove,
// withdraw or reopen.
func (s *Store) entryStep(w http.ResponseWriter, r *http.Request) error {
	k, err := pageKey(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	if err := r.ParseForm(); err != nil {
		return errs.BadRequest
	}
	comment := r.PostForm.Get("comment")
	var step func(context.Context, *org.Principal, ReportKey, string) error
	switch r.PathValue("step") {
	case "approve":
		step = s.Approve
	case "return":
		step = s.Return
	case "unapprove":
		step = s.Unapprove
	case "withdraw":
		step = s.Withdraw
	case "reopen":
		step = func(ctx context.Context, p *org.Principal, k ReportKey, _ string) error {
			return s.Reopen(ctx, p, k, locale.FormDate(r.PostForm.Get("until")), r.PostForm.Get("reason"))
		}
	default:
		return errs.NotFound
	}
	if err := step(ctx, p, k, comment); err != nil {
		return s.showStepError(w, r, k, err)
	}
	web.Redirect(w, r, EntryPath(k)+"?ok=report_"+r.PathValue("step"))
	return nil
}

func (s *Store) historyShow(w http.ResponseWriter, r *http.Request) error {
	k, d, err := s.pageOf(r)
	if err != nil {
		return err
	}
	changes, err := s.History(r.Context(), k)
	if err != nil {
		return err
	}
	lang := locale.FromRequest(r)
	types := map[string]string{}
	for _, sec := range d.Sections {
		for _, it := range sec.Items {
			types[it.Code] = it.ValueType
		}
	}
	for i := range changes {
		c := &changes[i]
		if c.Old != nil {
			v := showValue(lang, types[c.Indicator], *c.Old)
			c.Old = &v
		}
		if c.New != nil {
			v := showValue(lang, types[c.Indicator], *c.New)
			c.New = &v
		}
	}
	return historyPage.Render(w, r, struct {
		E       *entryData
		Changes []ValueChange
	}{d, changes})
}

func (s *Store) verifyShow(w http.ResponseWriter, r *http.Request) error {
	k, d, err := s.pageOf(r)
	if err != nil {
		return err
	}
	v, err := s.Verify(r.Context(), k)
	if err != nil {
		return err
	}
	return verifyPage.Render(w, r, struct {
		E                       *entryData
		V                       Verification
		VerdictShown, VerdictOK bool
	}{d, v, v.Match != nil, v.Match != nil && *v.Match})
}
