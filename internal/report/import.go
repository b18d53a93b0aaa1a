package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// ManageReports may import indicators and forms; ViewReports may read them.
const (
	ViewReports   org.Action = "report.view"
	ManageReports org.Action = "report.manage"
)

// Doc is the import document: indicators and forms, matched by code.
type Doc struct {
	Indicators []DocIndicator `json:"indicators"`
	Forms      []DocForm      `json:"forms"`
}

// DocIndicator is an indicator in a document.
type DocIndicator struct {
	Code            string      `json:"code"`
	Name            string      `json:"name"`
	Description     string      `json:"description,omitempty"`
	ValueType       string      `json:"valueType" doc:"DHIS2's value types: NUMBER, INTEGER, INTEGER_ZERO_OR_POSITIVE, PERCENTAGE, BOOLEAN, TEXT or FILE"`
	Measure         string      `json:"measure,omitempty" doc:"unit of measure, e.g. %, hồ sơ"`
	Aggregation     string      `json:"aggregation" doc:"over units: sum, average, last or none"`
	TimeAggregation string      `json:"timeAggregation" doc:"over time: sum, average, last or none"`
	ResponsibleUnit string      `json:"responsibleUnit,omitempty" doc:"code of the unit responsible for it"`
	CategoryOptions []DocOption `json:"categoryOptions,omitempty"`
	Numerator       string      `json:"numerator,omitempty" doc:"a derived indicator (with denominator and factor): code of the numerator, an entered indicator"`
	Denominator     string      `json:"denominator,omitempty" doc:"a derived indicator: code of the denominator, an entered indicator"`
	Factor          float64     `json:"factor,omitempty" doc:"a derived indicator: numerator / denominator × factor"`
	Source          string      `json:"source,omitempty" doc:"provenance: the seed file and the quoted text"`
}

// DocOption is a category option.
type DocOption struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// DocForm is a report form in a document.
type DocForm struct {
	Code         string          `json:"code"`
	Name         string          `json:"name"`
	PeriodType   string          `json:"periodType" doc:"Monthly, Quarterly, SixMonthly, NineMonthly or Yearly"`
	DeadlineDays *int            `json:"deadlineDays" doc:"working days after the data cut-off (Nghị định 09/2019/NĐ-CP Art. 12)"`
	GraceDays    int             `json:"graceDays,omitempty" doc:"days after the deadline before the period locks; 0 when absent"`
	IssuerUnit   string          `json:"issuerUnit" doc:"code of the unit that prescribes the form"`
	Basis        string          `json:"basis,omitempty" doc:"legal basis"`
	Sections     []DocSection    `json:"sections"`
	Assignments  []DocAssignment `json:"assign" doc:"who must report, as the registry stood in each period"`
	Rules        []Rule          `json:"rules,omitempty" doc:"validation rules over the form's indicators (rules.go); replaced as a whole when they differ"`
}

// DocSection is a section of a form with its indicators' codes in order.
type DocSection struct {
	Name       string   `json:"name"`
	Indicators []string `json:"indicators"`
}

// DocAssignment assigns a form to the units of some kinds under a unit.
type DocAssignment struct {
	Under string   `json:"under" doc:"unit code"`
	Kinds []string `json:"kinds" doc:"org unit kinds, e.g. district, town, city"`
	From  string   `json:"from,omitempty" doc:"YYYY-MM-DD, the first day; from the start when absent"`
	To    string   `json:"to,omitempty" doc:"YYYY-MM-DD, the last day; open when absent"`
}

// ImportResult says what an import did.
type ImportResult struct {
	Created    bool `json:"created" doc:"an indicator or form was created"`
	Changes    int  `json:"changes" doc:"rows inserted, updated or deleted"`
	Indicators int  `json:"indicators"`
	Forms      int  `json:"forms"`
}

// ValueTypes and Aggregations are the values an indicator may take.
var (
	valueTypes   = []string{"NUMBER", "INTEGER", "INTEGER_ZERO_OR_POSITIVE", "PERCENTAGE", "BOOLEAN", "TEXT", "FILE"}
	aggregations = []string{"sum", "average", "last", "none"}
	codePattern  = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._-]{0,39}$`)
)

type resolvedIndicator struct {
	DocIndicator
	responsible *int64
}

type resolvedAssignment struct {
	under          int64
	kind, from, to string
}

type resolvedForm struct {
	DocForm
	issuer      int64
	assignments []resolvedAssignment
	rules       []Rule
}

type resolved struct {
	indicators []resolvedIndicator
	forms      []resolvedForm
	owners     map[string]int64 // form code → issuer authorised, when checked
}

func trimDoc(d *Doc) {
	for i := range d.Indicators {
		in := &d.Indicators[i]
		in.Code, in.Name, in.ValueType, in.Aggregation = trim(in.Code), trim(in.Name), trim(in.ValueType), trim(in.Aggregation)
		in.TimeAggregation, in.ResponsibleUnit, in.Numerator, in.Denominator = trim(in.TimeAggregation), trim(in.ResponsibleUnit), trim(in.Numerator), trim(in.Denominator)
		in.Description, in.Measure, in.Source = trim(in.Description), trim(in.Measure), trim(in.Source)
		for j := range in.CategoryOptions {
			in.CategoryOptions[j].Code, in.CategoryOptions[j].Name = trim(in.CategoryOptions[j].Code), trim(in.CategoryOptions[j].Name)
		}
	}
	for i := range d.Forms {
		f := &d.Forms[i]
		f.Code, f.Name, f.PeriodType, f.IssuerUnit, f.Basis = trim(f.Code), trim(f.Name), trim(f.PeriodType), trim(f.IssuerUnit), trim(f.Basis)
		for j := range f.Sections {
			f.Sections[j].Name = trim(f.Sections[j].Name)
			for k := range f.Sections[j].Indicators {
				f.Sections[j].Indicators[k] = trim(f.Sections[j].Indicators[k])
			}
		}
		for j := range f.Assignments {
			a := &f.Assignments[j]
			a.Under, a.From, a.To = trim(a.Under), trim(a.From), trim(a.To)
			for k := range a.Kinds {
				a.Kinds[k] = trim(a.Kinds[k])
			}
		}
	}
}

// dbIndicator is what the database holds of an indicator the document
// names without defining.
type dbIndicator struct {
	id      int64
	derived bool
}

func (s *Store) dbIndicator(ctx context.Context, q store.Querier, code string) (dbIndicator, bool, error) {
	var d dbIndicator
	var num sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, numerator_id FROM report_indicators WHERE code = $1`, code).Scan(&d.id, &num)
	if errors.Is(err, sql.ErrNoRows) {
		return d, false, nil
	}
	d.derived = num.Valid
	return d, err == nil, err
}

// Validate checks a whole document and resolves its codes, naming every bad
// member (indicators[2].valueType); it writes nothing.
func (s *Store) Validate(ctx context.Context, d Doc) (*resolved, error) {
	trimDoc(&d)
	v := errs.Validator{Context: "report"}
	r := &resolved{}
	if len(d.Indicators) == 0 && len(d.Forms) == 0 {
		v.Add("forms", "min_items", 1)
	}
	required := func(field, text string, kind errs.TextKind) {
		if text == "" {
			v.Add(field, "required")
			return
		}
		v.Text(field, text, kind)
	}
	unit := func(field, code string) *int64 {
		if code == "" {
			v.Add(field, "required")
			return nil
		}
		u, err := s.org.UnitByCode(ctx, code, "")
		if err != nil {
			v.Add(field, "unknown_unit", code)
			return nil
		}
		return &u.ID
	}
	// Indicators of the document by code, then the plain ones.
	inDoc := map[string]int{}
	for i, in := range d.Indicators {
		p := fmt.Sprintf("indicators[%d].", i)
		if !codePattern.MatchString(in.Code) {
			v.Add(p+"code", "code_format")
		} else if _, dup := inDoc[in.Code]; dup {
			v.Add(p+"code", "duplicate", in.Code)
		} else {
			inDoc[in.Code] = i
		}
	}
	derived := func(code string) (known, isDerived bool, err error) {
		if i, ok := inDoc[code]; ok {
			in := d.Indicators[i]
			return true, in.Numerator != "" || in.Denominator != "" || in.Factor != 0, nil
		}
		db, ok, err := s.dbIndicator(ctx, s.db.Read, code)
		return ok, db.derived, err
	}
	for i, in := range d.Indicators {
		p := fmt.Sprintf("indicators[%d].", i)
		required(p+"name", in.Name, errs.Name)
		v.Text(p+"description", in.Description, errs.Paragraph)
		v.Text(p+"measure", in.Measure, errs.Short)
		v.Check(slices.Contains(valueTypes, in.ValueType), p+"valueType", "one_of", strings.Join(valueTypes, ", "))
		v.Check(slices.Contains(aggregations, in.Aggregation), p+"aggregation", "one_of", strings.Join(aggregations, ", "))
		v.Check(slices.Contains(aggregations, in.TimeAggregation), p+"timeAggregation", "one_of", strings.Join(aggregations, ", "))
		ri := resolvedIndicator{DocIndicator: in}
		if in.ResponsibleUnit != "" {
			ri.responsible = unit(p+"responsibleUnit", in.ResponsibleUnit)
		}
		seen := map[string]bool{}
		for j, o := range in.CategoryOptions {
			q := fmt.Sprintf("%scategoryOptions[%d].", p, j)
			if !codePattern.MatchString(o.Code) {
				v.Add(q+"code", "code_format")
			} else if seen[o.Code] {
				v.Add(q+"code", "duplicate", o.Code)
			}
			seen[o.Code] = true
			required(q+"name", o.Name, errs.Name)
		}
		v.Text(p+"source", in.Source, errs.Paragraph)
		if in.Numerator != "" || in.Denominator != "" || in.Factor != 0 {
			v.Check(in.ValueType == "NUMBER" || in.ValueType == "PERCENTAGE", p+"valueType", "one_of", "NUMBER, PERCENTAGE")
			v.Check(in.Factor != 0, p+"factor", "required")
			for _, part := range []struct{ field, code string }{{"numerator", in.Numerator}, {"denominator", in.Denominator}} {
				switch known, isDerived, err := derived(part.code); {
				case err != nil:
					return nil, err
				case part.code == "":
					v.Add(p+part.field, "required")
				case part.code == in.Code:
					v.Add(p+part.field, "report.formula_cycle", part.code)
				case !known:
					v.Add(p+part.field, "report.unknown_indicator", part.code)
				case isDerived:
					v.Add(p+part.field, "report.derived_input", part.code)
				}
			}
		}
		if in.Numerator != "" && codePattern.MatchString(in.Code) {
			// An indicator that becomes derived must not be the input of a
			// derived indicator the document leaves as it is.
			var user string
			err := s.db.Read.QueryRowContext(ctx, `SELECT u.code FROM report_indicators u JOIN report_indicators i ON i.id IN (u.numerator_id, u.denominator_id)
				WHERE i.code = $1 ORDER BY u.code`, in.Code).Scan(&user)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, err
			}
			if _, redefined := inDoc[user]; user != "" && !redefined {
				v.Add(p+"numerator", "report.used_as_input", user)
			}
		}
		r.indicators = append(r.indicators, ri)
	}
	forms := map[string]bool{}
	for i, f := range d.Forms {
		p := fmt.Sprintf("forms[%d].", i)
		if !codePattern.MatchString(f.Code) {
			v.Add(p+"code", "code_format")
		} else if forms[f.Code] {
			v.Add(p+"code", "duplicate", f.Code)
		}
		forms[f.Code] = true
		required(p+"name", f.Name, errs.Line)
		if _, err := ParsePeriodType(f.PeriodType); err != nil {
			v.Add(p+"periodType", "one_of", "Monthly, Quarterly, SixMonthly, NineMonthly, Yearly")
		}
		rf := resolvedForm{DocForm: f}
		if id := unit(p+"issuerUnit", f.IssuerUnit); id != nil {
			rf.issuer = *id
		}
		v.Text(p+"basis", f.Basis, errs.Paragraph)
		if f.DeadlineDays == nil {
			v.Add(p+"deadlineDays", "required")
		} else {
			v.Check(*f.DeadlineDays >= 0 && *f.DeadlineDays <= 60, p+"deadlineDays", "range", 0, 60)
		}
		v.Check(f.GraceDays >= 0 && f.GraceDays <= 60, p+"graceDays", "range", 0, 60)
		v.Check(len(f.Sections) > 0, p+"sections", "min_items", 1)
		onForm := map[string]bool{}
		for j, sec := range f.Sections {
			q := fmt.Sprintf("%ssections[%d].", p, j)
			required(q+"name", sec.Name, errs.Line)
			v.Check(len(sec.Indicators) > 0, q+"indicators", "min_items", 1)
			for k, code := range sec.Indicators {
				field := fmt.Sprintf("%sindicators[%d]", q, k)
				known, _, err := derived(code)
				if err != nil {
					return nil, err
				}
				switch {
				case !known:
					v.Add(field, "report.unknown_indicator", code)
				case onForm[code]:
					v.Add(field, "duplicate", code)
				}
				onForm[code] = true
			}
		}
		v.Check(len(f.Assignments) > 0, p+"assign", "min_items", 1)
		for j, a := range f.Assignments {
			q := fmt.Sprintf("%sassign[%d].", p, j)
			under := unit(q+"under", a.Under)
			v.Check(len(a.Kinds) > 0, q+"kinds", "min_items", 1)
			for k, kind := range a.Kinds {
				v.Check(slices.Contains(org.Kinds, kind), fmt.Sprintf("%skinds[%d]", q, k), "one_of", strings.Join(org.Kinds, ", "))
			}
			okFrom, okTo := a.From == "" || org.ValidDate(a.From), a.To == "" || org.ValidDate(a.To)
			v.Check(okFrom, q+"from", "date")
			v.Check(okTo, q+"to", "date")
			if okFrom && okTo && a.From != "" && a.To != "" && a.To < a.From {
				v.Add(q+"to", "report.date_order", a.From)
			}
			if under != nil {
				for _, kind := range a.Kinds {
					rf.assignments = append(rf.assignments, resolvedAssignment{under: *under, kind: kind, from: a.From, to: a.To})
				}
			}
		}
		var err error
		if rf.rules, err = s.validateRules(ctx, &v, p, f, d.Indicators); err != nil {
			return nil, err
		}
		r.forms = append(r.forms, rf)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// Import validates the whole document and writes it in one transaction:
// all or nothing, by code, idempotent. The CLI and the demo call it; the
// API calls ImportAs.
func (s *Store) Import(ctx context.Context, d Doc) (ImportResult, error) {
	r, err := s.Validate(ctx, d)
	if err != nil {
		return ImportResult{}, err
	}
	return s.write(ctx, r)
}

// ImportAs is Import for an official, who must manage reports on the issuer
// of every form, on the issuer of the form that already holds each code (a
// code is not taken over from another province), and on the unit
// responsible for each indicator that names one. Each refusal is audited
// by Authorize.
func (s *Store) ImportAs(ctx context.Context, p *org.Principal, d Doc) (ImportResult, error) {
	owners, err := s.AuthorizeImport(ctx, p, d)
	if err != nil {
		return ImportResult{}, err
	}
	r, err := s.Validate(ctx, d)
	if err != nil {
		return ImportResult{}, err
	}
	r.owners = owners
	return s.write(ctx, r)
}

// AuthorizeImport runs ImportAs's checks; it returns the current issuer of
// every form code of the document that exists (0 for a new one).
func (s *Store) AuthorizeImport(ctx context.Context, p *org.Principal, d Doc) (map[string]int64, error) {
	trimDoc(&d)
	var units []int64
	add := func(id int64) {
		if !slices.Contains(units, id) {
			units = append(units, id)
		}
	}
	lookup := func(code string) int64 {
		if u, err := s.org.UnitByCode(ctx, code, ""); err == nil {
			return u.ID
		}
		return 0 // named by validation
	}
	owners := map[string]int64{}
	for _, f := range d.Forms {
		add(lookup(f.IssuerUnit))
		_, owner, err := formOwner(ctx, s.db.Read, f.Code)
		if err != nil {
			return nil, fmt.Errorf("import: owner of form %q: %w", f.Code, err)
		}
		owners[f.Code] = owner
		if owner != 0 {
			add(owner)
		}
	}
	for _, in := range d.Indicators {
		if in.ResponsibleUnit != "" {
			add(lookup(in.ResponsibleUnit))
		}
		var cur sql.NullInt64
		err := s.db.Read.QueryRowContext(ctx, `SELECT responsible_unit_id FROM report_indicators WHERE code = $1`, in.Code).Scan(&cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if cur.Valid {
			add(cur.Int64)
		}
	}
	if len(units) == 0 {
		units = []int64{0}
	}
	// The units first, "somewhere" (an unknown code) last, so that a
	// refusal names a real unit when there is one.
	slices.SortFunc(units, func(a, b int64) int {
		if (a == 0) != (b == 0) {
			if a == 0 {
				return 1
			}
			return -1
		}
		return 0
	})
	for _, u := range units {
		if err := s.org.Authorize(ctx, p, ManageReports, u); err != nil {
			return nil, err
		}
	}
	return owners, nil
}

func (s *Store) write(ctx context.Context, r *resolved) (ImportResult, error) {
	var res ImportResult
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res = ImportResult{}
		now := store.Now()
		ids := map[string]int64{}
		// Plain indicators first: derived ones refer to them.
		order := make([]resolvedIndicator, 0, len(r.indicators))
		for _, in := range r.indicators {
			if in.Numerator == "" {
				order = append(order, in)
			}
		}
		for _, in := range r.indicators {
			if in.Numerator != "" {
				order = append(order, in)
			}
		}
		idOf := func(code string) (sql.NullInt64, error) {
			if code == "" {
				return sql.NullInt64{}, nil
			}
			if id, ok := ids[code]; ok {
				return sql.NullInt64{Int64: id, Valid: true}, nil
			}
			d, ok, err := s.dbIndicator(ctx, tx, code)
			if err == nil && !ok {
				err = errs.Conflict
			}
			return sql.NullInt64{Int64: d.id, Valid: ok}, err
		}
		for _, in := range order {
			num, err := idOf(in.Numerator)
			if err != nil {
				return err
			}
			den, err := idOf(in.Denominator)
			if err != nil {
				return err
			}
			id, n, created, err := s.writeIndicator(ctx, tx, in, num, den, now)
			if err != nil {
				return err
			}
			ids[in.Code] = id
			res.Changes += n
			res.Created = res.Created || created
			res.Indicators++
		}
		for _, f := range r.forms {
			n, created, err := s.writeForm(ctx, tx, f, r.owners, now, idOf)
			if err != nil {
				return err
			}
			res.Changes += n
			res.Created = res.Created || created
			res.Forms++
		}
		return nil
	})
	return res, err
}

func nullID(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

func (s *Store) writeIndicator(ctx context.Context, tx *sql.Tx, in resolvedIndicator, num, den sql.NullInt64, now any) (id int64, changes int, created bool, err error) {
	resp := nullID(in.responsible)
	factor := in.Factor
	if !num.Valid {
		factor = 1
	}
	var cur struct {
		name, desc, vt, measure, agg, tagg, src string
		resp, num, den                          sql.NullInt64
		factor                                  float64
	}
	err = tx.QueryRowContext(ctx, `SELECT id, name, description, value_type, measure, aggregation, time_aggregation, responsible_unit_id, numerator_id, denominator_id, factor, source
		FROM report_indicators WHERE code = $1`, in.Code).Scan(&id, &cur.name, &cur.desc, &cur.vt, &cur.measure, &cur.agg, &cur.tagg, &cur.resp, &cur.num, &cur.den, &cur.factor, &cur.src)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = tx.QueryRowContext(ctx, `INSERT INTO report_indicators (code, name, description, value_type, measure, aggregation, time_aggregation, responsible_unit_id, numerator_id, denominator_id, factor, source, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
			in.Code, in.Name, in.Description, in.ValueType, in.Measure, in.Aggregation, in.TimeAggregation, resp, num, den, factor, in.Source, now).Scan(&id)
		if err != nil {
			return 0, 0, false, err
		}
		changes, created = 1, true
	case err != nil:
		return 0, 0, false, err
	default:
		if cur.name != in.Name || cur.desc != in.Description || cur.vt != in.ValueType || cur.measure != in.Measure || cur.agg != in.Aggregation ||
			cur.tagg != in.TimeAggregation || cur.resp != resp || cur.num != num || cur.den != den || cur.factor != factor || cur.src != in.Source {
			if _, err := tx.ExecContext(ctx, `UPDATE report_indicators SET name=$1, description=$2, value_type=$3, measure=$4, aggregation=$5, time_aggregation=$6,
				responsible_unit_id=$7, numerator_id=$8, denominator_id=$9, factor=$10, source=$11, updated_at=$12 WHERE id=$13`,
				in.Name, in.Description, in.ValueType, in.Measure, in.Aggregation, in.TimeAggregation, resp, num, den, factor, in.Source, now, id); err != nil {
				return 0, 0, false, err
			}
			changes = 1
		}
	}
	// Category options: replaced when they differ.
	rows, err := tx.QueryContext(ctx, `SELECT code, name FROM report_category_options WHERE indicator_id = $1 ORDER BY sort_order`, id)
	if err != nil {
		return 0, 0, false, err
	}
	var have []DocOption
	for rows.Next() {
		var o DocOption
		if err := rows.Scan(&o.Code, &o.Name); err != nil {
			rows.Close()
			return 0, 0, false, err
		}
		have = append(have, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, false, err
	}
	if !slices.Equal(have, in.CategoryOptions) {
		res, err := tx.ExecContext(ctx, `DELETE FROM report_category_options WHERE indicator_id = $1`, id)
		if err != nil {
			return 0, 0, false, err
		}
		n, _ := res.RowsAffected()
		changes += int(n)
		for i, o := range in.CategoryOptions {
			if _, err := tx.ExecContext(ctx, `INSERT INTO report_category_options (indicator_id, code, name, sort_order) VALUES ($1, $2, $3, $4)`, id, o.Code, o.Name, i+1); err != nil {
				return 0, 0, false, err
			}
			changes++
		}
	}
	return id, changes, created, nil
}

func (s *Store) writeForm(ctx context.Context, tx *sql.Tx, f resolvedForm, owners map[string]int64, now any, idOf func(string) (sql.NullInt64, error)) (changes int, created bool, err error) {
	id, owner, err := formOwner(ctx, tx, f.Code)
	if err != nil {
		return 0, false, err
	}
	if owners != nil && owner != owners[f.Code] {
		// Someone created the form, or moved it, between the
		// authorisation and this transaction: authorise again.
		return 0, false, errs.Conflict
	}
	if id == 0 {
		err = tx.QueryRowContext(ctx, `INSERT INTO report_forms (code, name, period_type, issuer_unit_id, deadline_days, grace_days, basis, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
			f.Code, f.Name, f.PeriodType, f.issuer, *f.DeadlineDays, f.GraceDays, f.Basis, now).Scan(&id)
		if err != nil {
			return 0, false, err
		}
		changes, created = 1, true
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE report_forms SET name=$1, period_type=$2, issuer_unit_id=$3, deadline_days=$4, grace_days=$5, basis=$6, updated_at=$7
			WHERE id=$8 AND (name <> $1 OR period_type <> $2 OR issuer_unit_id <> $3 OR deadline_days <> $4 OR grace_days <> $5 OR basis <> $6)`,
			f.Name, f.PeriodType, f.issuer, *f.DeadlineDays, f.GraceDays, f.Basis, now, id)
		if err != nil {
			return 0, false, err
		}
		n, _ := res.RowsAffected()
		changes += int(n)
	}
	// Sections and their indicators: replaced when they differ.
	var have []DocSection
	rows, err := tx.QueryContext(ctx, `SELECT s.id, s.name, COALESCE(i.code, '') FROM report_form_sections s
		LEFT JOIN report_form_indicators fi ON fi.section_id = s.id LEFT JOIN report_indicators i ON i.id = fi.indicator_id
		WHERE s.form_id = $1 ORDER BY s.sort_order, fi.sort_order`, id)
	if err != nil {
		return 0, false, err
	}
	last := int64(0)
	for rows.Next() {
		var sid int64
		var name, code string
		if err := rows.Scan(&sid, &name, &code); err != nil {
			rows.Close()
			return 0, false, err
		}
		if sid != last {
			have = append(have, DocSection{Name: name})
			last = sid
		}
		if code != "" {
			have[len(have)-1].Indicators = append(have[len(have)-1].Indicators, code)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	if !slices.EqualFunc(have, f.Sections, func(a, b DocSection) bool { return a.Name == b.Name && slices.Equal(a.Indicators, b.Indicators) }) {
		for _, q := range []string{
			`DELETE FROM report_form_indicators WHERE section_id IN (SELECT id FROM report_form_sections WHERE form_id = $1)`,
			`DELETE FROM report_form_sections WHERE form_id = $1`,
		} {
			res, err := tx.ExecContext(ctx, q, id)
			if err != nil {
				return 0, false, err
			}
			n, _ := res.RowsAffected()
			changes += int(n)
		}
		for i, sec := range f.Sections {
			var sid int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO report_form_sections (form_id, name, sort_order) VALUES ($1, $2, $3) RETURNING id`, id, sec.Name, i+1).Scan(&sid); err != nil {
				return 0, false, err
			}
			changes++
			for k, code := range sec.Indicators {
				ind, err := idOf(code)
				if err != nil {
					return 0, false, err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO report_form_indicators (section_id, indicator_id, sort_order) VALUES ($1, $2, $3)`, sid, ind.Int64, k+1); err != nil {
					return 0, false, err
				}
				changes++
			}
		}
	}
	// Assignments: replaced when they differ.
	var cur []resolvedAssignment
	arows, err := tx.QueryContext(ctx, `SELECT under_unit_id, kind, valid_from, valid_to FROM report_form_assignments WHERE form_id = $1 ORDER BY sort_order`, id)
	if err != nil {
		return 0, false, err
	}
	for arows.Next() {
		var a resolvedAssignment
		if err := arows.Scan(&a.under, &a.kind, &a.from, &a.to); err != nil {
			arows.Close()
			return 0, false, err
		}
		cur = append(cur, a)
	}
	arows.Close()
	if err := arows.Err(); err != nil {
		return 0, false, err
	}
	if !slices.Equal(cur, f.assignments) {
		res, err := tx.ExecContext(ctx, `DELETE FROM report_form_assignments WHERE form_id = $1`, id)
		if err != nil {
			return 0, false, err
		}
		n, _ := res.RowsAffected()
		changes += int(n)
		for i, a := range f.assignments {
			if _, err := tx.ExecContext(ctx, `INSERT INTO report_form_assignments (form_id, under_unit_id, kind, valid_from, valid_to, sort_order) VALUES ($1, $2, $3, $4, $5, $6)`,
				id, a.under, a.kind, a.from, a.to, i+1); err != nil {
				return 0, false, err
			}
			changes++
		}
	}
	n, err := writeRules(ctx, tx, id, f.rules)
	return changes + n, created, err
}
