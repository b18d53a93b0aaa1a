package plan

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/officialdoc"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

// Printed documents in the administrative layout (issue 11, part 6): the
// review (a short report of one or two A4 pages — summary, overdue by unit,
// the Steering Committee's directives, decisions needed — with the full
// lists as an appendix) and a meeting's conclusion, each as a print view
// (HTML) and a PDF, both drawn from one officialdoc.Doc.

var conclusionPage = web.NewPage(pageTemplates, "templates/conclusion.html", "templates/parts.html", "templates/document.html")

func (s *Store) documentRoutes(site *web.Site) {
	site.Page("GET /meetings/{id}/conclusion/print", s.conclusionShow(false))
	site.Page("GET /meetings/{id}/conclusion.pdf", s.conclusionShow(true))
	site.Page("GET /review.pdf", s.reviewPDF)
}

// shortUnits is how many units the short review's table of overdue tasks
// names; the rest are summed in one line (the appendix lists them all).
const shortUnits = 12

func (s *Store) conclusionShow(pdf bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r, "id")
		if err != nil {
			return err
		}
		// A conclusion is sent to the units it gives duties: every official
		// may read it, as they read plans.
		if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewPlans, 0); err != nil {
			return err
		}
		m, err := s.Meeting(r.Context(), id)
		if err != nil {
			return err
		}
		if m.Conclusion == nil {
			return errs.NotFound
		}
		doc := s.conclusionDoc(r.Context(), locale.FromRequest(r), m)
		if pdf {
			return sendPDF(w, "ket-luan-"+strconv.FormatInt(m.ID, 10)+".pdf", doc)
		}
		return conclusionPage.Render(w, r, conclusionData{Doc: doc, Meeting: m})
	}
}

type conclusionData struct {
	Doc     officialdoc.Doc
	Meeting Meeting
}

func sendPDF(w http.ResponseWriter, name string, doc officialdoc.Doc) error {
	var buf bytes.Buffer
	if _, err := officialdoc.PDF(&buf, doc); err != nil {
		return fmt.Errorf("pdf %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename*=UTF-8''%s", url.PathEscape(name)))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err := buf.WriteTo(w)
	return err
}

// bodies names the issuing body of a document of unit: its parent's
// People's Committee above a department, the committee of a province.
func (s *Store) bodies(ctx context.Context, unit int64) (parent, body, place string) {
	u, err := s.org.Unit(ctx, unit, "")
	if err != nil {
		return "", "", ""
	}
	place = officialdoc.PlaceOf(u.Name)
	switch u.Level {
	case "province", "nation":
		return "", "UBND " + strings.ToUpper(u.Name), place
	}
	if u.ParentID != nil {
		if p, err := s.org.Unit(ctx, *u.ParentID, ""); err == nil {
			return "UBND " + strings.ToUpper(p.Name), strings.ToUpper(u.Name), officialdoc.PlaceOf(p.Name)
		}
	}
	return "", strings.ToUpper(u.Name), place
}

// conclusionDoc lays out a meeting's conclusion.
func (s *Store) conclusionDoc(ctx context.Context, lang locale.Lang, m Meeting) officialdoc.Doc {
	c := m.Conclusion
	parent, _, place := s.bodies(ctx, m.Unit.ID)
	T := func(key string, args ...any) string { return locale.T(lang, key, args...) }
	doc := officialdoc.Doc{ParentBody: parent, Body: m.Body, Number: c.Number, Place: place, Date: c.IssuedOn,
		Kind: T("document.conclusion_kind"), Title: c.Title, SignerAuthority: strings.ToUpper(c.SignerAuthority), SignerTitle: strings.ToUpper(c.SignerTitle), SignerName: c.Signer,
		Recipients: c.Recipients, Note: T("document.printed_note", m.Note)}
	pre := lines(c.Preamble)
	if len(pre) == 0 {
		pre = []string{T("document.conclusion_preamble", locale.ISODate(lang, m.HeldOn), m.Chair, m.Body, monthLabel(lang, m.ReviewMonth), locale.ISODate(lang, m.ReviewAsOf))}
	}
	doc.Sections = append(doc.Sections, officialdoc.Section{Paragraphs: pre})
	var items []string
	for _, t := range c.Directives {
		item := t.Description
		if !strings.HasSuffix(item, ".") {
			item += "."
		}
		lead := t.LeadText
		if len(t.LeadUnits) > 0 {
			lead = t.LeadUnits[0].Unit.Name
		}
		item += " " + T("document.directive_units", lead)
		if t.CoordinatingText != "" {
			item += " " + T("document.directive_coord", t.CoordinatingText)
		}
		item += " " + T("document.directive_due", locale.ISODate(lang, t.TimeFrame.DueOn))
		items = append(items, item)
	}
	doc.Sections = append(doc.Sections, officialdoc.Section{Heading: T("document.directives_heading"), Numbered: true, Paragraphs: items},
		officialdoc.Section{Paragraphs: []string{T("document.conclusion_closing", m.Body)}})
	if len(doc.Recipients) == 0 {
		doc.Recipients = []string{T("document.to_members"), T("document.to_units"), T("document.to_archive")}
	}
	return doc
}

// conclusionStatus is one conclusion's directives as a review shows them.
type conclusionStatus struct {
	ConclusionSource
	Tasks            []Task
	Done, Overdue, N int
}

// reviewConclusions lists the conclusions of plans in the review whose
// directives are not all done, or that were issued in its month, with
// their directives as of the review's day.
func (s *Store) reviewConclusions(ctx context.Context, rv Review, planIDs []int64) ([]conclusionStatus, error) {
	sources, err := s.conclusionSources(ctx)
	if err != nil || len(sources) == 0 {
		return nil, err
	}
	var out []conclusionStatus
	for _, pid := range planIDs {
		src, ok := sources[pid]
		if !ok || src.IssuedOn > rv.AsOf {
			continue
		}
		tasks, err := s.Tasks(ctx, TaskFilter{PlanID: pid, AsOf: rv.AsOf})
		if err != nil {
			return nil, err
		}
		cs := conclusionStatus{ConclusionSource: src, Tasks: tasks, N: len(tasks)}
		for _, t := range tasks {
			if t.Status == "done" || t.Status == "cancelled" {
				cs.Done++
			}
			if t.Overdue {
				cs.Overdue++
			}
		}
		if cs.Done < cs.N || strings.HasPrefix(src.IssuedOn, rv.Month) {
			out = append(out, cs)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IssuedOn > out[j].IssuedOn })
	return out, nil
}

// onlyUnit keeps the directives a unit leads (as it answers today).
func onlyUnit(list []conclusionStatus, unit int64) []conclusionStatus {
	var out []conclusionStatus
	for _, c := range list {
		var keep []Task
		for _, t := range c.Tasks {
			for _, a := range mergeParts(t.LeadUnits) {
				if a.Unit.ID == unit {
					keep = append(keep, t)
					break
				}
			}
		}
		if len(keep) > 0 {
			c.Tasks, c.N, c.Done, c.Overdue = keep, len(keep), 0, 0
			for _, t := range keep {
				if t.Status == "done" || t.Status == "cancelled" {
					c.Done++
				}
				if t.Overdue {
					c.Overdue++
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// sourceLabel is how the review names the plan a task comes from: its
// number, or «theo Kết luận số …» for a directive.
func sourceLabel(lang locale.Lang, sources map[int64]ConclusionSource, planID int64, number string) string {
	if c, ok := sources[planID]; ok {
		return locale.T(lang, "meeting.per_conclusion", c.Number)
	}
	return number
}

// reviewDoc lays out the short review: summary, overdue by unit, the
// Steering Committee's directives, decisions needed; with the full lists
// as an appendix when full.
func (s *Store) reviewDoc(ctx context.Context, lang locale.Lang, p *org.Principal, d reviewData, full bool) officialdoc.Doc {
	T := func(key string, args ...any) string { return locale.T(lang, key, args...) }
	rv := d.Review
	var parent, body, place string
	if p != nil {
		parent, body, place = s.bodies(ctx, p.UnitID)
	}
	doc := officialdoc.Doc{ParentBody: parent, Body: body, Symbol: "BC", Place: place, Date: rv.AsOf,
		Kind: T("document.review_kind"), Title: T("review.heading", d.MonthLabel),
		SignerTitle: T("document.review_signer"),
		Recipients:  []string{T("document.to_committee"), T("document.to_units"), T("document.to_archive")},
		Note:        T("document.review_note", locale.DateTime(lang, d.Generated))}
	tot := rv.Totals
	scope := ""
	if d.PlanLabel != "" || d.UnitLabel != "" {
		scope = " " + strings.TrimSpace(T("document.review_scope", d.PlanLabel, d.UnitLabel))
	}
	doc.Sections = append(doc.Sections, officialdoc.Section{Heading: T("document.review_summary_h"), Paragraphs: []string{
		T("document.review_summary", locale.ISODate(lang, rv.AsOf), tot["tasks"], tot["overdue"], tot["reassign"], d.Counts["due_soon"], d.Counts["completed"], scope),
		T("document.review_targets", tot["targets"], tot["targets_achieved"], tot["targets_not_achieved"], tot["targets_off_track"], tot["targets_at_risk"]),
	}})
	// Overdue by unit: the units most behind, the rest in one line.
	table := &officialdoc.Table{Columns: []officialdoc.Column{{Title: T("document.col_no"), Width: 10}, {Title: T("review.lead_unit")},
		{Title: T("document.col_overdue"), Width: 28, Right: true}, {Title: T("document.col_longest"), Width: 30, Right: true}}}
	otherUnits, otherTasks := 0, 0
	for i, ut := range rv.Overdue {
		if i >= shortUnits {
			otherUnits++
			otherTasks += ut.Total
			continue
		}
		longest := 0
		for _, t := range ut.Tasks {
			longest = max(longest, t.DaysLate)
		}
		table.Rows = append(table.Rows, officialdoc.Row{Cells: []string{strconv.Itoa(i + 1), ut.Unit.Name, strconv.Itoa(ut.Total), locale.Number(lang, float64(longest), 0)}})
	}
	sec := officialdoc.Section{Heading: T("document.review_overdue_h")}
	if len(table.Rows) == 0 {
		sec.Paragraphs = []string{T("document.review_no_overdue")}
	} else {
		sec.Table = table
		if otherUnits > 0 {
			sec.After = []string{T("document.review_other_units", otherUnits, otherTasks)}
		}
	}
	doc.Sections = append(doc.Sections, sec)
	// The Steering Committee's directives.
	sec = officialdoc.Section{Heading: T("document.review_directives_h")}
	for _, c := range d.Conclusions {
		line := T("document.review_conclusion", c.Number, locale.ISODate(lang, c.IssuedOn), c.N, c.Done, c.Overdue)
		var late []string
		for _, t := range c.Tasks {
			if t.Overdue && len(late) < 3 {
				lead := t.LeadText
				if len(t.LeadUnits) > 0 {
					lead = t.LeadUnits[0].Unit.Name
				}
				late = append(late, T("document.review_late_directive", t.Number, shorten(t.Description, 90), lead, locale.ISODate(lang, t.TimeFrame.DueOn)))
			}
		}
		if len(late) > 0 {
			line += " " + strings.Join(late, "; ") + "."
		}
		sec.Paragraphs = append(sec.Paragraphs, line)
	}
	if len(sec.Paragraphs) == 0 {
		sec.Paragraphs = []string{T("document.review_no_directives")}
	}
	doc.Sections = append(doc.Sections, sec)
	// Decisions needed.
	var asks []string
	if n := tot["reassign"]; n > 0 {
		asks = append(asks, T("document.ask_reassign", n))
	}
	for i, ut := range rv.Overdue {
		if i >= 3 {
			break
		}
		asks = append(asks, T("document.ask_unit", ut.Unit.Name, ut.Total))
	}
	if n := tot["targets_not_achieved"] + tot["targets_off_track"]; n > 0 {
		asks = append(asks, T("document.ask_targets", n))
	}
	for _, c := range d.Conclusions {
		if c.Overdue > 0 {
			asks = append(asks, T("document.ask_directives", c.Overdue, c.Number))
		}
	}
	if len(asks) == 0 {
		asks = []string{T("document.ask_none")}
	}
	doc.Sections = append(doc.Sections, officialdoc.Section{Heading: T("document.review_asks_h"), Numbered: true, Paragraphs: asks})
	if full {
		doc.Appendix = s.reviewAppendix(lang, d)
	}
	return doc
}

// reviewAppendix is the full review as tables (the PDF's appendix; the
// print view shows the review page's own sections).
func (s *Store) reviewAppendix(lang locale.Lang, d reviewData) *officialdoc.Appendix {
	T := func(key string, args ...any) string { return locale.T(lang, key, args...) }
	app := &officialdoc.Appendix{Title: T("document.appendix"), Subtitle: T("document.appendix_sub", d.MonthLabel)}
	taskTable := func(heading string, list []UnitTasks, dateKey string, late bool) officialdoc.Section {
		cols := []officialdoc.Column{{Title: T("review.plan"), Width: 27}, {Title: T("task.number"), Width: 13}, {Title: T("task.description")}, {Title: T(dateKey), Width: 21}}
		if late {
			cols = append(cols, officialdoc.Column{Title: T("review.days_late"), Width: 14, Right: true})
		}
		cols = append(cols, officialdoc.Column{Title: T("review.unit_status"), Width: 22})
		tb := &officialdoc.Table{Columns: cols}
		for _, ut := range list {
			tb.Rows = append(tb.Rows, officialdoc.Row{Group: true, Cells: []string{ut.Unit.Name + " (" + T("review.n_tasks", ut.Total) + ")"}})
			for _, t := range ut.Tasks {
				date := t.DueOn
				if dateKey == "review.completed_on" {
					date = t.CompletedOn
				}
				cells := []string{t.PlanNumber, t.Number, t.Description, locale.ISODate(lang, date)}
				if late {
					cells = append(cells, strconv.Itoa(t.DaysLate))
				}
				cells = append(cells, T("task.status."+t.Status)+" · "+strconv.Itoa(t.Progress)+"%")
				tb.Rows = append(tb.Rows, officialdoc.Row{Cells: cells})
			}
		}
		sec := officialdoc.Section{Heading: heading, Table: tb}
		if len(list) == 0 {
			sec.Table, sec.Paragraphs = nil, []string{T("review.none")}
		}
		return sec
	}
	app.Sections = append(app.Sections,
		taskTable(T("review.overdue"), d.Review.Overdue, "review.due", true),
		taskTable(T("review.due_soon"), d.Review.DueSoon, "review.due", false),
		taskTable(T("review.completed"), d.Review.Completed, "review.completed_on", false))
	re := officialdoc.Section{Heading: T("review.reassign")}
	if len(d.Review.Reassign) > 0 {
		tb := &officialdoc.Table{Columns: []officialdoc.Column{{Title: T("review.plan"), Width: 32}, {Title: T("task.number"), Width: 13}, {Title: T("task.description")}, {Title: T("review.due"), Width: 22}}}
		for _, t := range d.Review.Reassign {
			tb.Rows = append(tb.Rows, officialdoc.Row{Cells: []string{t.PlanNumber, t.Number, t.Description, locale.ISODate(lang, t.DueOn)}})
		}
		re.Table = tb
	} else {
		re.Paragraphs = []string{T("review.none")}
	}
	tg := officialdoc.Section{Heading: T("review.targets", len(d.Targets))}
	if len(d.Targets) > 0 {
		tb := &officialdoc.Table{Columns: []officialdoc.Column{{Title: T("review.plan"), Width: 32}, {Title: T("target.statement")}, {Title: T("field.status"), Width: 30}}}
		for _, t := range d.Targets {
			tb.Rows = append(tb.Rows, officialdoc.Row{Cells: []string{t.PlanNumber + " " + t.Code, t.Statement, T("target.status." + t.Status)}})
		}
		tg.Table = tb
	} else {
		tg.Paragraphs = []string{T("review.none")}
	}
	lg := officialdoc.Section{Heading: T("review.league")}
	if len(d.League) > 0 {
		tb := &officialdoc.Table{Columns: []officialdoc.Column{{Title: T("review.rank"), Width: 12, Right: true}, {Title: T("review.lead_unit")}, {Title: T("review.col_tasks"), Width: 18, Right: true},
			{Title: T("task.status.done"), Width: 20, Right: true}, {Title: T("task.status.overdue"), Width: 18, Right: true}, {Title: T("review.done_share"), Width: 20, Right: true}}}
		for _, row := range d.League {
			tb.Rows = append(tb.Rows, officialdoc.Row{Cells: []string{strconv.Itoa(row.Rank), row.Unit.Name, strconv.Itoa(row.Tasks), strconv.Itoa(row.Done), strconv.Itoa(row.Overdue), locale.Number(lang, row.Pct, 1) + "%"}})
		}
		lg.Table = tb
	} else {
		lg.Paragraphs = []string{T("review.none")}
	}
	app.Sections = append(app.Sections, re, tg, lg)
	return app
}

// reviewPDF sends the review of the same filters as /review/print as a
// PDF: the short review, then the appendix.
func (s *Store) reviewPDF(w http.ResponseWriter, r *http.Request) error {
	d, ferr, err := s.reviewPageData(r, true)
	if err != nil {
		return err
	}
	if ferr != nil {
		return ferr
	}
	doc := s.reviewDoc(r.Context(), locale.FromRequest(r), org.PrincipalFrom(r.Context()), d, true)
	return sendPDF(w, "giao-ban-"+d.Month+".pdf", doc)
}
