package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/mail"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// Store holds indicators, report forms, their values and reports, and
// answers which units must report a form in a period.
type Store struct {
	db  *store.DB
	org *org.Store
	// Calendar counts deadlines; Now is the clock periods lock by (tests
	// move it).
	Calendar *Calendar
	Now      func() time.Time
	// MaxImportBytes caps a dataValueSets payload (DefaultImportLimit
	// when zero).
	MaxImportBytes int64
	computed       map[string]ComputedFunc
	jobs           *jobRunner
	importBatch    int  // values per write batch of an import (tests shrink it)
	deferTotals    int  // changes an import adds into running totals before one rebuild (tests shrink it)
	keyTriggers    bool // a long write on PostgreSQL leaves its foreign keys to their triggers (tests set it; bulk.go)
	// Mailer sends the reminders by e-mail (nil: none are sent); BaseURL
	// starts their links. The server sets both before Mount.
	Mailer  *mail.Client
	BaseURL string
	regs    *registryCache // analytics' snapshot of the org registry
	// frozen holds reads a one-off writer keeps (demo_submissions.go).
	frozen frozenReads
}

// NewStore builds the reporting store over db and the registry.
func NewStore(db *store.DB, orgs *org.Store) *Store {
	return &Store{db: db, org: orgs, Calendar: DefaultCalendar(), Now: time.Now, computed: map[string]ComputedFunc{}, jobs: newJobRunner(), regs: &registryCache{}}
}

// ComputedFunc answers a computed indicator for a unit (its subtree) and a
// period: a figure tinhso measures itself rather than one a unit enters
// (the share of periodic reports on the system). ok is false when there is
// nothing to measure (no report was due).
type ComputedFunc func(ctx context.Context, unit int64, p Period) (value float64, ok bool, err error)

// AddComputed makes the indicator with code computed by fn. Called from
// Mount, before the server takes requests.
func (s *Store) AddComputed(code string, fn ComputedFunc) { s.computed[code] = fn }

// Computed is the function of a computed indicator.
func (s *Store) Computed(code string) (ComputedFunc, bool) {
	fn, ok := s.computed[code]
	return fn, ok
}

// UnitRef names a unit.
type UnitRef struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
}

// Option is a category option of an indicator (a disaggregation).
type Option struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Indicator is a reporting indicator (chỉ tiêu báo cáo).
type Indicator struct {
	ID              int64    `json:"id"`
	Code            string   `json:"code"`
	Name            string   `json:"name"`
	Description     string   `json:"description,omitempty"`
	ValueType       string   `json:"valueType" doc:"NUMBER, INTEGER, INTEGER_ZERO_OR_POSITIVE, PERCENTAGE, BOOLEAN, TEXT or FILE"`
	Measure         string   `json:"measure,omitempty" doc:"unit of measure"`
	Aggregation     string   `json:"aggregation" doc:"over units: sum, average, last or none"`
	TimeAggregation string   `json:"timeAggregation" doc:"over time: sum, average, last or none"`
	ResponsibleUnit *UnitRef `json:"responsibleUnit,omitempty"`
	CategoryOptions []Option `json:"categoryOptions"`
	Numerator       string   `json:"numerator,omitempty" doc:"code of the numerator of a derived indicator"`
	Denominator     string   `json:"denominator,omitempty" doc:"code of the denominator of a derived indicator"`
	Factor          float64  `json:"factor,omitempty"`
	Source          string   `json:"source,omitempty"`
}

// IndicatorRef names an indicator on a form.
type IndicatorRef struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
}

// Section is a part of a form with its indicators in order.
type Section struct {
	Name       string         `json:"name"`
	Indicators []IndicatorRef `json:"indicators"`
}

// Assignment says that the units of Kind under Under report the form from
// From to To (empty while open).
type Assignment struct {
	Under UnitRef `json:"under"`
	Kind  string  `json:"kind"`
	From  string  `json:"from,omitempty" doc:"YYYY-MM-DD; from the start when absent"`
	To    string  `json:"to,omitempty" doc:"YYYY-MM-DD, the last day"`
}

// Form is a report form (chế độ báo cáo, biểu mẫu).
type Form struct {
	ID           int64        `json:"id"`
	Code         string       `json:"code"`
	Name         string       `json:"name"`
	PeriodType   string       `json:"periodType" doc:"Monthly, Quarterly, SixMonthly, NineMonthly or Yearly"`
	DeadlineDays int          `json:"deadlineDays" doc:"working days after the data cut-off"`
	GraceDays    int          `json:"graceDays"`
	Basis        string       `json:"basis,omitempty"`
	Issuer       UnitRef      `json:"issuerUnit"`
	Sections     []Section    `json:"sections"`
	Assignments  []Assignment `json:"assign"`
	Rules        []Rule       `json:"rules" doc:"validation rules; a failing rule blocks submission (rules.go)"`
}

const indicatorColumns = `i.id, i.code, i.name, i.description, i.value_type, i.measure, i.aggregation, i.time_aggregation,
	COALESCE(ru.id, 0), COALESCE(ru.code, ''), COALESCE(n.code, ''), COALESCE(d.code, ''), i.factor, i.source
	FROM report_indicators i LEFT JOIN org_units ru ON ru.id = i.responsible_unit_id
	LEFT JOIN report_indicators n ON n.id = i.numerator_id LEFT JOIN report_indicators d ON d.id = i.denominator_id`

// Indicators lists the indicators by code.
func (s *Store) Indicators(ctx context.Context) ([]Indicator, error) {
	return s.indicators(ctx, `SELECT `+indicatorColumns+` ORDER BY i.code`)
}

// Indicator is one indicator.
func (s *Store) Indicator(ctx context.Context, id int64) (Indicator, error) {
	list, err := s.indicators(ctx, `SELECT `+indicatorColumns+` WHERE i.id = $1`, id)
	if err != nil {
		return Indicator{}, err
	}
	if len(list) == 0 {
		return Indicator{}, errs.NotFound
	}
	return list[0], nil
}

func (s *Store) indicators(ctx context.Context, q string, args ...any) ([]Indicator, error) {
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("report: indicators: %w", err)
	}
	var out []Indicator
	for rows.Next() {
		var in Indicator
		var ru UnitRef
		if err := rows.Scan(&in.ID, &in.Code, &in.Name, &in.Description, &in.ValueType, &in.Measure, &in.Aggregation, &in.TimeAggregation,
			&ru.ID, &ru.Code, &in.Numerator, &in.Denominator, &in.Factor, &in.Source); err != nil {
			rows.Close()
			return nil, err
		}
		if ru.ID != 0 {
			in.ResponsibleUnit = &ru
		}
		if in.Numerator == "" {
			in.Factor = 0
		}
		in.CategoryOptions = []Option{}
		out = append(out, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.fillUnitNames(ctx, out); err != nil {
		return nil, err
	}
	idx := map[int64]int{}
	for i, in := range out {
		idx[in.ID] = i
	}
	orows, err := s.db.Read.QueryContext(ctx, `SELECT indicator_id, code, name FROM report_category_options ORDER BY indicator_id, sort_order`)
	if err != nil {
		return nil, err
	}
	defer orows.Close()
	for orows.Next() {
		var id int64
		var o Option
		if err := orows.Scan(&id, &o.Code, &o.Name); err != nil {
			return nil, err
		}
		if i, ok := idx[id]; ok {
			out[i].CategoryOptions = append(out[i].CategoryOptions, o)
		}
	}
	return out, orows.Err()
}

func (s *Store) fillUnitNames(ctx context.Context, list []Indicator) error {
	var ids []int64
	for _, in := range list {
		if in.ResponsibleUnit != nil {
			ids = append(ids, in.ResponsibleUnit.ID)
		}
	}
	units, err := s.org.UnitsByID(ctx, ids)
	if err != nil {
		return err
	}
	for i := range list {
		if r := list[i].ResponsibleUnit; r != nil {
			r.Name = units[r.ID].Name
		}
	}
	return nil
}

func (s *Store) unitRef(ctx context.Context, id int64) (UnitRef, error) {
	u, err := s.org.Unit(ctx, id, "")
	if err != nil {
		return UnitRef{}, err
	}
	return UnitRef{ID: u.ID, Code: u.Code, Name: u.Name}, nil
}

// Forms lists the forms by code, each with its sections and assignments.
func (s *Store) Forms(ctx context.Context) ([]Form, error) {
	return s.forms(ctx, `SELECT id, code, name, period_type, deadline_days, grace_days, basis, issuer_unit_id FROM report_forms ORDER BY code`)
}

// Form is one form.
func (s *Store) Form(ctx context.Context, id int64) (Form, error) {
	if f, ok := s.frozen.forms[id]; ok {
		return f, nil
	}
	list, err := s.forms(ctx, `SELECT id, code, name, period_type, deadline_days, grace_days, basis, issuer_unit_id FROM report_forms WHERE id = $1`, id)
	if err != nil {
		return Form{}, err
	}
	if len(list) == 0 {
		return Form{}, errs.NotFound
	}
	return list[0], nil
}

func (s *Store) forms(ctx context.Context, q string, args ...any) ([]Form, error) {
	rows, err := s.db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("report: forms: %w", err)
	}
	var out []Form
	for rows.Next() {
		var f Form
		if err := rows.Scan(&f.ID, &f.Code, &f.Name, &f.PeriodType, &f.DeadlineDays, &f.GraceDays, &f.Basis, &f.Issuer.ID); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.fillForm(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) fillForm(ctx context.Context, f *Form) error {
	var err error
	if f.Issuer, err = s.unitRef(ctx, f.Issuer.ID); err != nil {
		return err
	}
	f.Sections = []Section{}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT s.id, s.name, COALESCE(i.id, 0), COALESCE(i.code, ''), COALESCE(i.name, '')
		FROM report_form_sections s LEFT JOIN report_form_indicators fi ON fi.section_id = s.id
		LEFT JOIN report_indicators i ON i.id = fi.indicator_id
		WHERE s.form_id = $1 ORDER BY s.sort_order, fi.sort_order`, f.ID)
	if err != nil {
		return err
	}
	last := int64(0)
	for rows.Next() {
		var sid int64
		var name string
		var ref IndicatorRef
		if err := rows.Scan(&sid, &name, &ref.ID, &ref.Code, &ref.Name); err != nil {
			rows.Close()
			return err
		}
		if sid != last {
			f.Sections = append(f.Sections, Section{Name: name, Indicators: []IndicatorRef{}})
			last = sid
		}
		if ref.ID != 0 {
			sec := &f.Sections[len(f.Sections)-1]
			sec.Indicators = append(sec.Indicators, ref)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	as, err := s.assignments(ctx, f.ID)
	if err != nil {
		return err
	}
	f.Assignments = []Assignment{}
	for _, a := range as {
		ref, err := s.unitRef(ctx, a.under)
		if err != nil {
			return err
		}
		f.Assignments = append(f.Assignments, Assignment{Under: ref, Kind: a.kind, From: a.from, To: a.to})
	}
	f.Rules, err = formRules(ctx, s.db.Read, f.ID)
	return err
}

type assignmentRow struct {
	under          int64
	kind, from, to string
}

func (s *Store) assignments(ctx context.Context, form int64) ([]assignmentRow, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT under_unit_id, kind, valid_from, valid_to FROM report_form_assignments WHERE form_id = $1 ORDER BY sort_order`, form)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assignmentRow
	for rows.Next() {
		var a assignmentRow
		if err := rows.Scan(&a.under, &a.kind, &a.from, &a.to); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// FormUnits are the units that must report a form for a period.
type FormUnits struct {
	Form   string     `json:"form"`
	Period string     `json:"period"`
	AsOf   string     `json:"asOf" doc:"YYYY-MM-DD: the last day of the period's data cut-off, the day the registry is read on"`
	Units  []org.Unit `json:"units"`
}

// UnitsFor lists the units that must report form for period p: the
// assignments whose validity overlaps the period, each expanded to the
// units of its kind under its unit as the registry stood on the last day of
// the period's cut-off. An assignment under a unit that did not exist that
// day reads through its predecessors (a unit formed later) or successors
// (a unit ended earlier) that did.
func (s *Store) UnitsFor(ctx context.Context, form int64, p Period) (FormUnits, error) {
	if s.frozen.units != nil {
		k := frozenKey{form, p.String()}
		if fu, ok := s.frozen.units[k]; ok {
			return fu, nil
		}
		fu, err := s.unitsFor(ctx, form, p)
		if err == nil {
			s.frozen.units[k] = fu
		}
		return fu, err
	}
	return s.unitsFor(ctx, form, p)
}

func (s *Store) unitsFor(ctx context.Context, form int64, p Period) (FormUnits, error) {
	f, err := s.Form(ctx, form)
	if err != nil {
		return FormUnits{}, err
	}
	if p.Type().String() != f.PeriodType {
		return FormUnits{}, errs.Invalid(errs.Field{Name: "period", Code: "report.period_type_mismatch", Args: []any{f.PeriodType}, Context: "report"})
	}
	_, end := p.CutOff()
	asOf := end.Format("2006-01-02")
	start, last := p.Start().Format("2006-01-02"), p.End().Format("2006-01-02")
	out := FormUnits{Form: f.Code, Period: p.String(), AsOf: asOf, Units: []org.Unit{}}
	as, err := s.assignments(ctx, form)
	if err != nil {
		return out, err
	}
	units, err := s.org.Units(ctx, org.UnitFilter{AsOf: asOf})
	if err != nil {
		return out, err
	}
	parent := make(map[int64]int64, len(units))
	for _, u := range units {
		if u.ParentID != nil {
			parent[u.ID] = *u.ParentID
		}
	}
	active := func(id int64) bool { _, ok := parent[id]; return ok }
	for _, u := range units {
		if u.ParentID == nil {
			parent[u.ID] = 0
		}
	}
	want := map[int64]bool{}
	for _, a := range as {
		if a.from > last || (a.to != "" && a.to < start) {
			continue
		}
		roots, err := s.rootsAt(ctx, a.under, asOf, active)
		if err != nil {
			return out, err
		}
		for _, u := range units {
			if u.Kind != a.kind || want[u.ID] {
				continue
			}
			for id, n := parent[u.ID], 0; id != 0 && n < 64; id, n = parent[id], n+1 {
				if roots[id] {
					want[u.ID] = true
					break
				}
			}
		}
	}
	for _, u := range units {
		if want[u.ID] {
			out.Units = append(out.Units, u)
		}
	}
	// Named with their province, as in every other list: Lai Châu and Gia
	// Lai both have a "Sở Khoa học và Công nghệ".
	out.Units, err = s.org.WithLabels(ctx, out.Units)
	return out, err
}

// rootsAt is unit if it existed on date, else the units that stood for it
// then: its predecessors, or its successors.
func (s *Store) rootsAt(ctx context.Context, unit int64, date string, active func(int64) bool) (map[int64]bool, error) {
	roots := map[int64]bool{}
	if active(unit) {
		roots[unit] = true
		return roots, nil
	}
	preds, err := s.org.Predecessors(ctx, unit)
	if err != nil {
		return nil, err
	}
	succ, err := s.org.Successors(ctx, s.db.Read, unit, date)
	if err != nil {
		return nil, err
	}
	for _, id := range append(preds, succ...) {
		if active(id) {
			roots[id] = true
		}
	}
	return roots, nil
}

// formIDByCode is the id and issuer of the form with code, 0 when none.
func formOwner(ctx context.Context, q store.Querier, code string) (id, issuer int64, err error) {
	err = q.QueryRowContext(ctx, `SELECT id, issuer_unit_id FROM report_forms WHERE code = $1`, code).Scan(&id, &issuer)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return id, issuer, err
}

func trim(s string) string { return strings.TrimSpace(s) }
