package plan

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// ImportResult says what an import did. Importing the same document twice
// changes nothing the second time (Changes == 0).
type ImportResult struct {
	PlanID   int64     `json:"planId"`
	Created  bool      `json:"created"`
	Changes  int       `json:"changes" doc:"rows inserted, updated or deleted"`
	Targets  int       `json:"targets"`
	Tasks    int       `json:"tasks"`
	Warnings []Warning `json:"warnings,omitempty" doc:"targets, tasks or task units missing from the file that were kept because they hold actual values or progress"`
}

// Warning is something an import kept rather than deleted.
type Warning struct {
	Code  string `json:"code" doc:"target_kept, task_kept or unit_kept; task_edited (a task edited in the application, left as edited) or task_extended (a task whose due date an extension moved, left at that date)"`
	Item  string `json:"item" doc:"the target code or task number"`
	Count int    `json:"count" doc:"the actual values or progress reports it holds"`
}

type value struct {
	kind, level string
	year        int
	value       float64
}

type resolvedTarget struct {
	DocTarget
	responsible *int64
	values      []value
}

type resolvedTask struct {
	DocTask
	lead, coord             []int64
	sortKey, startOn, dueOn string
}

type resolved struct {
	doc      Doc
	issuer   org.Unit
	date     string
	parentID *int64
	targets  []resolvedTarget
	tasks    []resolvedTask
	// owner is the issuer of the plan holding the key when the import was
	// authorised (0: no such plan); checked again inside the transaction.
	owner   int64
	checked bool
}

// planDate is the date a plan's units are resolved at: its issue date, or
// the first day of its span.
func planDate(d Doc) string {
	if d.Date != "" {
		return d.Date
	}
	return fmt.Sprintf("%04d-01-01", d.SpanFrom)
}

func trimDoc(d *Doc) {
	t := strings.TrimSpace
	d.Key, d.Number, d.Title, d.Issuer, d.IssuerUnit, d.Date, d.Signer, d.Status, d.Parent, d.Note =
		t(d.Key), t(d.Number), t(d.Title), t(d.Issuer), strings.ToUpper(t(d.IssuerUnit)), t(d.Date), t(d.Signer), t(d.Status), t(d.Parent), t(d.Note)
	if d.Key == "" {
		d.Key = d.Number
	}
	if d.Status == "" {
		d.Status = "in_force"
	}
	for i := range d.Targets {
		x := &d.Targets[i]
		x.Code, x.Pillar, x.Group, x.Statement, x.StatementLater, x.Measure, x.Direction, x.ResponsibleUnit, x.Source, x.IndicatorCode =
			t(x.Code), t(x.Pillar), t(x.Group), t(x.Statement), t(x.StatementLater), t(x.Measure), t(x.Direction), strings.ToUpper(t(x.ResponsibleUnit)), t(x.Source), t(x.IndicatorCode)
		if x.Source == "" {
			x.Source = "manual"
		}
	}
	for i := range d.Tasks {
		x := &d.Tasks[i]
		x.Number, x.Group, x.Pillar, x.Description, x.LeadText, x.CoordinatingText, x.TimeText, x.Output, x.BudgetSource =
			t(x.Number), t(x.Group), t(x.Pillar), t(x.Description), t(x.LeadText), t(x.CoordinatingText), t(x.TimeText), t(x.Output), t(x.BudgetSource)
		for j := range x.LeadUnits {
			x.LeadUnits[j] = strings.ToUpper(t(x.LeadUnits[j]))
		}
		for j := range x.CoordinatingUnits {
			x.CoordinatingUnits[j] = strings.ToUpper(t(x.CoordinatingUnits[j]))
		}
	}
}

// Validate checks a document against the registry and reports every
// problem at once, each naming its item (targets[3].milestones[1].year).
func (s *Store) Validate(ctx context.Context, d Doc) (*resolved, error) {
	trimDoc(&d)
	v := errs.Validator{Context: "plan"}
	r := &resolved{doc: d, date: planDate(d)}
	v.Check(d.Key != "", "number", "required")
	if d.Key != d.Number {
		v.Text("key", d.Key, errs.Short)
	}
	v.Text("number", d.Number, errs.Short)
	v.Check(d.Title != "", "title", "required")
	v.Text("title", d.Title, errs.Line)
	v.Text("issuer", d.Issuer, errs.Name)
	v.Text("issuerUnit", d.IssuerUnit, errs.Short)
	v.Text("signer", d.Signer, errs.Name)
	v.Text("parent", d.Parent, errs.Short)
	v.Text("note", d.Note, errs.Paragraph)
	for i, b := range d.LegalBases {
		v.Text(fmt.Sprintf("legalBases[%d]", i), b, errs.Line)
	}
	v.Check(d.Date == "" || org.ValidDate(d.Date), "date", "date")
	v.Check(d.SpanFrom >= 1990 && d.SpanFrom <= 2100, "spanFrom", "range", 1990, 2100)
	v.Check(d.SpanTo >= d.SpanFrom && d.SpanTo <= 2100, "spanTo", "range", d.SpanFrom, 2100)
	v.Check(slices.Contains(PlanStatuses, d.Status), "status", "one_of", strings.Join(PlanStatuses, ", "))
	dateOK := d.Date == "" || org.ValidDate(d.Date)
	// Units are resolved on the issue date, else on the first day of the
	// span; with neither (the span's own error says why) there is no day to
	// check them on, only whether they exist — never "0000-01-01".
	spanOK := d.SpanFrom >= 1990 && d.SpanFrom <= 2100
	unitAt := func(field, code string) *org.Unit {
		if code == "" || !dateOK {
			return nil
		}
		if d.Date == "" && !spanOK {
			if _, err := s.org.UnitByCode(ctx, code, ""); err != nil {
				v.Add(field, "unknown_unit", code)
			}
			return nil
		}
		u, err := s.org.UnitByCode(ctx, code, r.date)
		if err != nil {
			if _, anyErr := s.org.UnitByCode(ctx, code, ""); anyErr == nil {
				v.Add(field, "inactive_unit_code", code, locale.ISODate(locale.VI, r.date))
			} else {
				v.Add(field, "unknown_unit", code)
			}
			return nil
		}
		return &u
	}
	if d.IssuerUnit == "" {
		v.Add("issuerUnit", "required")
	} else if u := unitAt("issuerUnit", d.IssuerUnit); u != nil {
		r.issuer = *u
	}
	if d.Parent != "" {
		id, code, err := s.parentPlan(ctx, d.Key, d.Parent)
		switch {
		case err != nil:
			return nil, err
		case code != "":
			v.Add("parent", code, d.Parent)
		default:
			r.parentID = &id
		}
	}
	pillars, err := s.pillarCodes(ctx)
	if err != nil {
		return nil, err
	}
	inSpan := func(y int) bool { return y >= d.SpanFrom && y <= d.SpanTo }
	codes := map[string]int{}
	for i, t := range d.Targets {
		f := fmt.Sprintf("targets[%d].", i)
		rt := resolvedTarget{DocTarget: t}
		v.Check(t.Code != "", f+"code", "required")
		if j, dup := codes[t.Code]; dup && t.Code != "" {
			v.Add(f+"code", "duplicate_of", t.Code, fmt.Sprintf("targets[%d]", j))
		}
		codes[t.Code] = i
		v.Check(slices.Contains(pillars, t.Pillar), f+"pillar", "one_of", strings.Join(pillars, ", "))
		v.Check(t.Statement != "", f+"statement", "required")
		v.Text(f+"code", t.Code, errs.Short)
		v.Text(f+"group", t.Group, errs.Name)
		v.Text(f+"statement", t.Statement, errs.Paragraph)
		v.Text(f+"statementLater", t.StatementLater, errs.Paragraph)
		v.Text(f+"measure", t.Measure, errs.Short)
		v.Text(f+"responsibleUnit", t.ResponsibleUnit, errs.Short)
		v.Text(f+"indicatorCode", t.IndicatorCode, errs.Short)
		v.Check(slices.Contains(Directions, t.Direction), f+"direction", "one_of", strings.Join(Directions, ", "))
		v.Check(t.Source == "manual" || t.Source == "indicator", f+"source", "one_of", "manual, indicator")
		v.Check(t.Source != "indicator" || t.IndicatorCode != "", f+"indicatorCode", "required")
		if u := unitAt(f+"responsibleUnit", t.ResponsibleUnit); u != nil {
			rt.responsible = &u.ID
		}
		v.Check(len(t.Milestones) > 0, f+"milestones", "required")
		years := map[int]bool{}
		for j, m := range t.Milestones {
			mf := fmt.Sprintf("%smilestones[%d]", f, j)
			if !inSpan(m.Year) {
				v.Add(mf+".year", "outside_span", m.Year, d.SpanFrom, d.SpanTo)
			}
			if years[m.Year] {
				v.Add(mf+".year", "duplicate", m.Year)
			}
			years[m.Year] = true
			switch {
			case m.Value != nil && finite(*m.Value):
				rt.values = append(rt.values, value{"milestone", "", m.Year, *m.Value})
			case m.Value != nil:
				v.Add(mf+".value", "number")
			case len(t.Levels) == 0:
				v.Add(mf+".value", "required")
			}
			for k, l := range t.Levels {
				if !slices.Contains(Levels, l.Level) {
					v.Add(fmt.Sprintf("%slevels[%d].level", f, k), "one_of", strings.Join(Levels, ", "))
					continue
				}
				rt.values = append(rt.values, value{"milestone", l.Level, m.Year, l.Value})
			}
		}
		if b := t.Baseline; b != nil {
			v.Check(b.Year >= 1990 && b.Year <= d.SpanTo, f+"baseline.year", "range", 1990, d.SpanTo)
			if b.Value != nil {
				rt.values = append(rt.values, value{"baseline", "", b.Year, *b.Value})
			}
			for k, l := range b.Levels {
				if !slices.Contains(Levels, l.Level) {
					v.Add(fmt.Sprintf("%sbaseline.levels[%d].level", f, k), "one_of", strings.Join(Levels, ", "))
					continue
				}
				rt.values = append(rt.values, value{"baseline", l.Level, b.Year, l.Value})
			}
			v.Check(b.Value != nil || len(b.Levels) > 0, f+"baseline.value", "required")
		}
		r.targets = append(r.targets, rt)
	}
	groupUnits := map[string][]int64{}
	expand := func(field, group string) []int64 {
		level, ok := UnitGroups[group]
		if !ok {
			v.Add(field, "one_of", "departments, districts, communes")
			return nil
		}
		if ids, ok := groupUnits[group]; ok || r.issuer.ID == 0 {
			return ids
		}
		ids, err := s.unitsUnder(ctx, r.issuer.ID, level, r.date)
		if err != nil {
			v.Add(field, "invalid")
		}
		groupUnits[group] = ids
		return ids
	}
	numbers := map[string]int{}
	for i, t := range d.Tasks {
		f := fmt.Sprintf("tasks[%d].", i)
		rt := resolvedTask{DocTask: t}
		v.Check(t.Number != "" && len(t.Number) <= 40, f+"number", "required")
		if j, dup := numbers[t.Number]; dup && t.Number != "" {
			v.Add(f+"number", "duplicate_of", t.Number, fmt.Sprintf("tasks[%d]", j))
		}
		numbers[t.Number] = i
		v.Check(t.Description != "", f+"description", "required")
		v.Text(f+"number", t.Number, errs.Short)
		v.Text(f+"group", t.Group, errs.Line)
		v.Text(f+"description", t.Description, errs.Paragraph)
		v.Text(f+"leadText", t.LeadText, errs.Line)
		v.Text(f+"coordinatingText", t.CoordinatingText, errs.Line)
		v.Text(f+"timeText", t.TimeText, errs.Name)
		v.Text(f+"output", t.Output, errs.Paragraph)
		v.Text(f+"budgetSource", t.BudgetSource, errs.Line)
		for j, c := range append(slices.Clone(t.LeadUnits), t.CoordinatingUnits...) {
			field := fmt.Sprintf("%sleadUnits[%d]", f, j)
			if j >= len(t.LeadUnits) {
				field = fmt.Sprintf("%scoordinatingUnits[%d]", f, j-len(t.LeadUnits))
			}
			v.Text(field, c, errs.Short)
		}
		v.Check(t.Pillar == "" || slices.Contains(pillars, t.Pillar), f+"pillar", "one_of", strings.Join(pillars, ", "))
		if t.From != nil {
			v.Check(*t.From >= 1990 && *t.From <= 2100, f+"from", "range", 1990, 2100)
			rt.startOn = fmt.Sprintf("%04d-01-01", *t.From)
		}
		if t.To != nil {
			v.Check(inSpan(*t.To) || *t.To >= d.SpanFrom && *t.To <= 2100, f+"to", "range", d.SpanFrom, 2100)
			v.Check(t.From == nil || *t.To >= *t.From, f+"to", "range", valueOr(t.From), 2100)
			rt.dueOn = fmt.Sprintf("%04d-12-31", *t.To)
		}
		v.Check(t.Budget == nil || *t.Budget >= 0 && finite(*t.Budget), f+"budget", "range", 0, "∞")
		for j, c := range t.LeadUnits {
			if u := unitAt(fmt.Sprintf("%sleadUnits[%d]", f, j), c); u != nil {
				rt.lead = appendNew(rt.lead, u.ID)
			}
		}
		for j, g := range t.LeadGroups {
			for _, id := range expand(fmt.Sprintf("%sleadGroups[%d]", f, j), g) {
				rt.lead = appendNew(rt.lead, id)
			}
		}
		for j, c := range t.CoordinatingUnits {
			if u := unitAt(fmt.Sprintf("%scoordinatingUnits[%d]", f, j), c); u != nil {
				rt.coord = appendNew(rt.coord, u.ID)
			}
		}
		for j, g := range t.CoordinatingGroups {
			for _, id := range expand(fmt.Sprintf("%scoordinatingGroups[%d]", f, j), g) {
				rt.coord = appendNew(rt.coord, id)
			}
		}
		// A unit that leads is not also listed as coordinating.
		rt.coord = slices.DeleteFunc(rt.coord, func(id int64) bool { return slices.Contains(rt.lead, id) })
		rt.sortKey = sortKey(t.Number)
		r.tasks = append(r.tasks, rt)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// parentPlan resolves the plan a document names as its parent, or says
// why it cannot be (unknown_plan, plan_cycle): a plan cannot be its own
// parent or lie above its parent, or the tree of plans would loop.
func (s *Store) parentPlan(ctx context.Context, key, parent string) (int64, string, error) {
	if parent == key {
		return 0, "plan_cycle", nil
	}
	var id int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT id FROM plans WHERE plan_key = $1`, parent).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "unknown_plan", nil
	} else if err != nil {
		return 0, "", fmt.Errorf("parent plan %q: %w", parent, err)
	}
	// Walk up from the parent; meeting the document's own plan is a loop.
	seen := map[int64]bool{}
	for cur := id; !seen[cur]; {
		seen[cur] = true
		var k string
		var up sql.NullInt64
		if err := s.db.Read.QueryRowContext(ctx, `SELECT plan_key, parent_id FROM plans WHERE id = $1`, cur).Scan(&k, &up); err != nil {
			return 0, "", fmt.Errorf("ancestors of plan %q: %w", parent, err)
		}
		if k == key {
			return 0, "plan_cycle", nil
		}
		if !up.Valid {
			return id, "", nil
		}
		cur = up.Int64
	}
	return 0, "plan_cycle", nil // a loop stored before this check existed
}

func valueOr(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func appendNew(ids []int64, id int64) []int64 {
	if slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}

// sortKey orders hierarchical numbers: "I.2.10" after "I.2.9", "II" after "I".
func sortKey(number string) string {
	var parts []string
	for _, p := range strings.Split(number, ".") {
		if p == "" {
			continue
		}
		if n, err := strconv.Atoi(p); err == nil {
			parts = append(parts, fmt.Sprintf("%06d", n))
		} else if n := roman(p); n > 0 {
			parts = append(parts, fmt.Sprintf("%06d", n))
		} else {
			parts = append(parts, locale.Fold(p))
		}
	}
	return strings.Join(parts, ".")
}

func roman(s string) int {
	vals := map[rune]int{'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100}
	total, prev := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		v, ok := vals[rune(s[i])]
		if !ok {
			return 0
		}
		if v < prev {
			total -= v
		} else {
			total += v
			prev = v
		}
	}
	return total
}

// unitsUnder lists the units of a level in the subtree of root on date.
func (s *Store) unitsUnder(ctx context.Context, root int64, level, date string) ([]int64, error) {
	units, err := s.org.Units(ctx, org.UnitFilter{AsOf: date})
	if err != nil {
		return nil, err
	}
	parent := map[int64]int64{}
	for _, u := range units {
		if u.ParentID != nil {
			parent[u.ID] = *u.ParentID
		}
	}
	var out []int64
	for _, u := range units { // tree order, so the result follows the registry's order
		if u.Level != level {
			continue
		}
		for id, ok := u.ID, true; ok; id, ok = parent[id] {
			if id == root {
				out = append(out, u.ID)
				break
			}
		}
	}
	return out, nil
}

// Import validates d and writes it in one transaction: a new plan, or the
// plan with the same key brought in line with the document. Targets and
// tasks are matched by code and number; those missing from the document
// are deleted unless they hold actuals or progress (then kept, with a
// warning). Import trusts its caller (the demo loader); a person's import
// goes through ImportAs.
func (s *Store) Import(ctx context.Context, d Doc) (ImportResult, error) {
	r, err := s.Validate(ctx, d)
	if err != nil {
		return ImportResult{}, err
	}
	return s.writeResolved(ctx, r)
}

// ImportAs is Import on behalf of an official, who must be allowed to
// manage the plans of the document's issuer and, when a plan with the
// document's key exists, of that plan's issuer too. A key names one plan,
// and the import overwrites it: without the second check, whoever manages
// plans in one province could take over and empty another province's
// plan by sending its key with their own issuer.
func (s *Store) ImportAs(ctx context.Context, p *org.Principal, d Doc) (ImportResult, error) {
	owner, err := s.AuthorizeImport(ctx, p, d)
	if err != nil {
		return ImportResult{}, err
	}
	r, err := s.Validate(ctx, d)
	if err != nil {
		return ImportResult{}, err
	}
	r.owner, r.checked = owner, true
	return s.writeResolved(ctx, r)
}

// AuthorizeImport runs ImportAs's checks without importing (the Excel
// import runs it before reporting a workbook's errors, so that someone
// who may not import the plan learns nothing from them). It returns the
// issuer of the plan that holds the key, 0 when there is none. Each
// refusal is audited by Authorize.
func (s *Store) AuthorizeImport(ctx context.Context, p *org.Principal, d Doc) (int64, error) {
	trimDoc(&d)
	// An unknown issuer is named by validation; the caller need only
	// manage plans somewhere to read that.
	var issuer int64
	if u, err := s.org.UnitByCode(ctx, d.IssuerUnit, ""); err == nil {
		issuer = u.ID
	}
	if err := s.org.Authorize(ctx, p, ManagePlans, issuer); err != nil {
		return 0, err
	}
	var owner int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT issuer_unit_id FROM plans WHERE plan_key = $1`, d.Key).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("import: owner of plan %q: %w", d.Key, err)
	}
	if owner != issuer {
		if err := s.org.Authorize(ctx, p, ManagePlans, owner); err != nil {
			return 0, err
		}
	}
	return owner, nil
}

func (s *Store) writeResolved(ctx context.Context, r *resolved) (ImportResult, error) {
	var res ImportResult
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = s.write(ctx, tx, r)
		return err
	})
	return res, err
}

func (s *Store) write(ctx context.Context, tx *sql.Tx, r *resolved) (ImportResult, error) {
	d := r.doc
	res := ImportResult{Targets: len(r.targets), Tasks: len(r.tasks)}
	now := store.Now()
	search := locale.Fold(d.Number + " " + d.Title)
	var cur struct {
		number, title, issuer, issuedOn, signer, status, note string
		issuerUnit                                            int64
		from, to                                              int
		parent                                                sql.NullInt64
	}
	err := tx.QueryRowContext(ctx, `SELECT id, number, title, issuer, issuer_unit_id, issued_on, signer, span_from, span_to, status, parent_id, note FROM plans WHERE plan_key = $1`, d.Key).
		Scan(&res.PlanID, &cur.number, &cur.title, &cur.issuer, &cur.issuerUnit, &cur.issuedOn, &cur.signer, &cur.from, &cur.to, &cur.status, &cur.parent, &cur.note)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		approval := d.RequiresApproval == nil || *d.RequiresApproval // on for new plans
		err = tx.QueryRowContext(ctx, `INSERT INTO plans (plan_key, number, title, search_text, issuer, issuer_unit_id, issued_on, signer, span_from, span_to, status, parent_id, note, created_at, updated_at, requires_approval)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15) RETURNING id`,
			d.Key, d.Number, d.Title, search, d.Issuer, r.issuer.ID, d.Date, d.Signer, d.SpanFrom, d.SpanTo, d.Status, r.parentID, d.Note, now, approval).Scan(&res.PlanID)
		if err != nil {
			return res, err
		}
		res.Created = true
		res.Changes++
	case err != nil:
		return res, err
	case r.checked && cur.issuerUnit != r.owner:
		// Someone created the plan, or moved it to another issuer, between
		// the authorisation and this transaction: authorise again.
		return res, errs.Conflict
	default:
		parentSame := (r.parentID == nil && !cur.parent.Valid) || (r.parentID != nil && cur.parent.Valid && *r.parentID == cur.parent.Int64)
		if cur.number != d.Number || cur.title != d.Title || cur.issuer != d.Issuer || cur.issuerUnit != r.issuer.ID || cur.issuedOn != d.Date ||
			cur.signer != d.Signer || cur.from != d.SpanFrom || cur.to != d.SpanTo || cur.status != d.Status || !parentSame || cur.note != d.Note {
			if _, err := tx.ExecContext(ctx, `UPDATE plans SET number=$1, title=$2, search_text=$3, issuer=$4, issuer_unit_id=$5, issued_on=$6, signer=$7, span_from=$8, span_to=$9, status=$10, parent_id=$11, note=$12, updated_at=$13 WHERE id=$14`,
				d.Number, d.Title, search, d.Issuer, r.issuer.ID, d.Date, d.Signer, d.SpanFrom, d.SpanTo, d.Status, r.parentID, d.Note, now, res.PlanID); err != nil {
				return res, err
			}
			res.Changes++
		}
		if d.RequiresApproval != nil {
			if n, err := setApprovalIfDifferent(ctx, tx, res.PlanID, *d.RequiresApproval); err != nil {
				return res, err
			} else {
				res.Changes += n
			}
		}
	}
	// Legal bases: replaced when they differ.
	var bases []string
	rows, err := tx.QueryContext(ctx, `SELECT number FROM plan_legal_bases WHERE plan_id = $1 ORDER BY position`, res.PlanID)
	if err != nil {
		return res, err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return ImportResult{}, err
		}
		bases = append(bases, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ImportResult{}, err
	}
	want := make([]string, 0, len(d.LegalBases))
	for _, b := range d.LegalBases {
		if b = strings.TrimSpace(b); b != "" {
			want = append(want, b)
		}
	}
	if !slices.Equal(bases, want) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM plan_legal_bases WHERE plan_id = $1`, res.PlanID); err != nil {
			return res, err
		}
		for i, b := range want {
			if _, err := tx.ExecContext(ctx, `INSERT INTO plan_legal_bases (plan_id, position, number) VALUES ($1, $2, $3)`, res.PlanID, i, b); err != nil {
				return res, err
			}
		}
		res.Changes++
	}
	if err := s.writeTargets(ctx, tx, r, &res); err != nil {
		return res, err
	}
	if err := s.writeTasks(ctx, tx, r, &res); err != nil {
		return res, err
	}
	if res.Changes > 0 {
		// updated_at is part of the data version the review cache keys on.
		if _, err := tx.ExecContext(ctx, `UPDATE plans SET updated_at = $1 WHERE id = $2`, now, res.PlanID); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (s *Store) writeTargets(ctx context.Context, tx *sql.Tx, r *resolved, res *ImportResult) error {
	type row struct {
		id                                                                 int64
		pillar, group, statement, later, measure, direction, source, indic string
		resp                                                               sql.NullInt64
		sort                                                               int
	}
	existing := map[string]row{}
	rows, err := tx.QueryContext(ctx, `SELECT id, code, pillar, group_name, statement, statement_later, measure, direction, responsible_unit_id, source, indicator_code, sort_order FROM targets WHERE plan_id = $1`, res.PlanID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var x row
		var code string
		if err := rows.Scan(&x.id, &code, &x.pillar, &x.group, &x.statement, &x.later, &x.measure, &x.direction, &x.resp, &x.source, &x.indic, &x.sort); err != nil {
			rows.Close()
			return err
		}
		existing[code] = x
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, t := range r.targets {
		seen[t.Code] = true
		x, ok := existing[t.Code]
		id := x.id
		sameResp := (t.responsible == nil && !x.resp.Valid) || (t.responsible != nil && x.resp.Valid && *t.responsible == x.resp.Int64)
		switch {
		case !ok:
			err := tx.QueryRowContext(ctx, `INSERT INTO targets (plan_id, code, pillar, group_name, statement, statement_later, measure, direction, responsible_unit_id, source, indicator_code, sort_order)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
				res.PlanID, t.Code, t.Pillar, t.Group, t.Statement, t.StatementLater, t.Measure, t.Direction, t.responsible, t.Source, t.IndicatorCode, i).Scan(&id)
			if err != nil {
				return err
			}
			res.Changes++
		case x.pillar != t.Pillar || x.group != t.Group || x.statement != t.Statement || x.later != t.StatementLater || x.measure != t.Measure ||
			x.direction != t.Direction || !sameResp || x.source != t.Source || x.indic != t.IndicatorCode || x.sort != i:
			if _, err := tx.ExecContext(ctx, `UPDATE targets SET pillar=$1, group_name=$2, statement=$3, statement_later=$4, measure=$5, direction=$6, responsible_unit_id=$7, source=$8, indicator_code=$9, sort_order=$10 WHERE id=$11`,
				t.Pillar, t.Group, t.Statement, t.StatementLater, t.Measure, t.Direction, t.responsible, t.Source, t.IndicatorCode, i, id); err != nil {
				return err
			}
			res.Changes++
		}
		// Values: replaced as a set when they differ.
		var have []value
		vr, err := tx.QueryContext(ctx, `SELECT kind, level, year, value FROM target_values WHERE target_id = $1 ORDER BY kind, year, level`, id)
		if err != nil {
			return err
		}
		for vr.Next() {
			var v value
			if err := vr.Scan(&v.kind, &v.level, &v.year, &v.value); err != nil {
				vr.Close()
				return err
			}
			have = append(have, v)
		}
		vr.Close()
		if err := vr.Err(); err != nil {
			return err
		}
		want := slices.Clone(t.values)
		slices.SortFunc(want, func(a, b value) int {
			return strings.Compare(fmt.Sprintf("%s|%06d|%s", a.kind, a.year, a.level), fmt.Sprintf("%s|%06d|%s", b.kind, b.year, b.level))
		})
		want = slices.CompactFunc(want, func(a, b value) bool { return a.kind == b.kind && a.year == b.year && a.level == b.level })
		if !slices.Equal(have, want) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM target_values WHERE target_id = $1`, id); err != nil {
				return err
			}
			for _, v := range want {
				if _, err := tx.ExecContext(ctx, `INSERT INTO target_values (target_id, kind, year, level, value) VALUES ($1, $2, $3, $4, $5)`, id, v.kind, v.year, v.level, v.value); err != nil {
					return err
				}
			}
			res.Changes++
		}
	}
	for code, x := range existing {
		if seen[code] {
			continue
		}
		var n int
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM target_actuals WHERE target_id = $1`, x.id).Scan(&n)
		if n > 0 {
			res.Warnings = append(res.Warnings, Warning{Code: "target_kept", Item: code, Count: n})
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM targets WHERE id = $1`, x.id); err != nil {
			return err
		}
		res.Changes++
	}
	return nil
}

func (s *Store) writeTasks(ctx context.Context, tx *sql.Tx, r *resolved, res *ImportResult) error {
	type row struct {
		id                                                                                     int64
		sortKey, group, pillar, desc, lead, coord, timeText, startOn, dueOn, output, budgetSrc string
		budget                                                                                 sql.NullFloat64
		reassigned, originalDue, edited                                                        string
	}
	existing := map[string]row{}
	rows, err := tx.QueryContext(ctx, `SELECT id, number, sort_key, group_name, pillar, description, lead_text, coordinating_text, time_text, start_on, due_on, output, budget_source, budget, reassigned_on, original_due_on, edited_on FROM tasks WHERE plan_id = $1`, res.PlanID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var x row
		var number string
		if err := rows.Scan(&x.id, &number, &x.sortKey, &x.group, &x.pillar, &x.desc, &x.lead, &x.coord, &x.timeText, &x.startOn, &x.dueOn, &x.output, &x.budgetSrc, &x.budget, &x.reassigned, &x.originalDue, &x.edited); err != nil {
			rows.Close()
			return err
		}
		existing[number] = x
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, t := range r.tasks {
		seen[t.Number] = true
		x, ok := existing[t.Number]
		id := x.id
		if ok && keepEdited(&t, x.edited, x.originalDue, x.dueOn, res) {
			continue // edited in the application: that stands over the file
		}
		sameBudget := (t.Budget == nil && !x.budget.Valid) || (t.Budget != nil && x.budget.Valid && *t.Budget == x.budget.Float64)
		switch {
		case !ok:
			err := tx.QueryRowContext(ctx, `INSERT INTO tasks (plan_id, number, sort_key, group_name, pillar, description, lead_text, coordinating_text, time_text, start_on, due_on, output, budget_source, budget)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
				res.PlanID, t.Number, t.sortKey, t.Group, t.Pillar, t.Description, t.LeadText, t.CoordinatingText, t.TimeText, t.startOn, t.dueOn, t.Output, t.BudgetSource, t.Budget).Scan(&id)
			if err != nil {
				return err
			}
			res.Changes++
		case x.sortKey != t.sortKey || x.group != t.Group || x.pillar != t.Pillar || x.desc != t.Description || x.lead != t.LeadText || x.coord != t.CoordinatingText ||
			x.timeText != t.TimeText || x.startOn != t.startOn || x.dueOn != t.dueOn || x.output != t.Output || x.budgetSrc != t.BudgetSource || !sameBudget:
			if _, err := tx.ExecContext(ctx, `UPDATE tasks SET sort_key=$1, group_name=$2, pillar=$3, description=$4, lead_text=$5, coordinating_text=$6, time_text=$7, start_on=$8, due_on=$9, output=$10, budget_source=$11, budget=$12 WHERE id=$13`,
				t.sortKey, t.Group, t.Pillar, t.Description, t.LeadText, t.CoordinatingText, t.TimeText, t.startOn, t.dueOn, t.Output, t.BudgetSource, t.Budget, id); err != nil {
				return err
			}
			res.Changes++
		}
		if x.reassigned != "" {
			// A coordinator gave the task its units after the plan was
			// issued: that decision stands over the plan's text.
			continue
		}
		if err := s.syncAssignments(ctx, tx, id, t, res); err != nil {
			return err
		}
	}
	for number, x := range existing {
		if seen[number] {
			continue
		}
		var n int
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM task_updates WHERE task_id = $1`, x.id).Scan(&n)
		if n > 0 {
			res.Warnings = append(res.Warnings, Warning{Code: "task_kept", Item: number, Count: n})
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tasks WHERE id = $1`, x.id); err != nil {
			return err
		}
		res.Changes++
	}
	return nil
}

// syncAssignments makes a task's lead and coordinating units those of the
// document, keeping the ones that already hold progress.
func (s *Store) syncAssignments(ctx context.Context, tx *sql.Tx, task int64, t resolvedTask, res *ImportResult) error {
	type key struct {
		unit int64
		role string
	}
	have := map[key]int64{}
	rows, err := tx.QueryContext(ctx, `SELECT id, unit_id, role FROM task_assignments WHERE task_id = $1`, task)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var k key
		if err := rows.Scan(&id, &k.unit, &k.role); err != nil {
			rows.Close()
			return err
		}
		have[k] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	want := map[key]bool{}
	for _, u := range t.lead {
		want[key{u, "lead"}] = true
	}
	for _, u := range t.coord {
		want[key{u, "coordinating"}] = true
	}
	for k := range want {
		if _, ok := have[k]; ok {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO task_assignments (task_id, unit_id, role) VALUES ($1, $2, $3)`, task, k.unit, k.role); err != nil {
			return err
		}
		res.Changes++
	}
	for k, id := range have {
		if want[k] {
			continue
		}
		var n int
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM task_updates WHERE assignment_id = $1`, id).Scan(&n)
		if n > 0 {
			res.Warnings = append(res.Warnings, Warning{Code: "unit_kept", Item: t.Number, Count: n})
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM task_assignments WHERE id = $1`, id); err != nil {
			return err
		}
		res.Changes++
	}
	return nil
}
