package report

// Validation rules of a report form (quy tắc kiểm tra số liệu): two
// expressions over the form's indicators compared by an operator, as
// DHIS2's validation rules are (leftSide, operator, rightSide,
// missingValueStrategy), with the message an official reads when the rule
// fails. Rules are stored with the form (report_rules, migration 0008),
// imported with it (Doc's forms[].rules), checked on every draft (shown as
// warnings) and enforced on submission (a failing rule blocks Submit).
//
// Expressions: numbers (12, 0.5), references #{CODE} (the indicator's
// value; for an indicator with category options, the sum of its options)
// and #{CODE:OPTION} (one option), + - * / and parentheses. A yes/no
// indicator counts 1 for yes, 0 for no. Text indicators cannot be used.

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
	"github.com/tinhso/tinhso/internal/store"
)

// Rule is a validation rule of a form, as the import document and the API
// write it.
type Rule struct {
	Code      string `json:"code" doc:"unique within the form"`
	Left      string `json:"left" doc:"expression, e.g. #{CDS.HS.TRUCTUYEN}"`
	Operator  string `json:"operator" doc:"==, !=, <, <=, > or >="`
	Right     string `json:"right" doc:"expression, e.g. #{CDS.HS.TIEPNHAN}"`
	Message   string `json:"message" doc:"what the official reads when the rule fails (Vietnamese)"`
	MessageEn string `json:"messageEn,omitempty" doc:"the same in English"`
	Missing   string `json:"missing,omitempty" doc:"skip (default: the rule is not checked while a value it names is missing) or zero (a missing value counts 0)"`
}

// Text is the rule's message in a language.
func (r Rule) Text(l locale.Lang) string {
	if l == locale.EN && r.MessageEn != "" {
		return r.MessageEn
	}
	return r.Message
}

var ruleOperators = []string{"==", "!=", "<", "<=", ">", ">="}

// RuleResult is a rule checked against a report's values: Status is
// passed, failed or skipped (a value it names is missing, or it divides by
// zero); Left and Right are the sides' values when they could be computed.
type RuleResult struct {
	Rule
	Status string   `json:"status" doc:"passed, failed or skipped"`
	Left   *float64 `json:"leftValue,omitempty"`
	Right  *float64 `json:"rightValue,omitempty"`
}

// Rule outcomes.
const (
	RulePassed  = "passed"
	RuleFailed  = "failed"
	RuleSkipped = "skipped"
)

// ruleRef is a reference in an expression: an indicator's code and
// optionally one of its category options.
type ruleRef struct{ code, option string }

func (r ruleRef) String() string {
	if r.option == "" {
		return "#{" + r.code + "}"
	}
	return "#{" + r.code + ":" + r.option + "}"
}

// expr is a parsed expression.
type expr struct {
	op   byte // 'n' number, 'r' reference, 'u' unary minus, or + - * /
	num  float64
	ref  ruleRef
	l, r *expr
}

type exprParser struct {
	s    string
	i    int
	refs []ruleRef
	bad  int // the byte offset of the first error, -1 while none
}

// parseExpr parses an expression; bad is the offset where it stops making
// sense (-1 when it parses).
func parseExpr(s string) (e *expr, refs []ruleRef, bad int) {
	p := &exprParser{s: s, bad: -1}
	e = p.sum()
	p.space()
	if p.bad < 0 && p.i < len(p.s) {
		p.bad = p.i
	}
	if p.bad >= 0 {
		return nil, nil, p.bad
	}
	return e, p.refs, -1
}

func (p *exprParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *exprParser) fail() *expr {
	if p.bad < 0 {
		p.bad = p.i
	}
	return &expr{op: 'n'}
}

func (p *exprParser) sum() *expr {
	e := p.product()
	for p.bad < 0 {
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '+' && p.s[p.i] != '-') {
			return e
		}
		op := p.s[p.i]
		p.i++
		e = &expr{op: op, l: e, r: p.product()}
	}
	return e
}

func (p *exprParser) product() *expr {
	e := p.factor()
	for p.bad < 0 {
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '*' && p.s[p.i] != '/') {
			return e
		}
		op := p.s[p.i]
		p.i++
		e = &expr{op: op, l: e, r: p.factor()}
	}
	return e
}

func (p *exprParser) factor() *expr {
	p.space()
	if p.i >= len(p.s) {
		return p.fail()
	}
	switch c := p.s[p.i]; {
	case c == '-':
		p.i++
		return &expr{op: 'u', l: p.factor()}
	case c == '(':
		p.i++
		e := p.sum()
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return p.fail()
		}
		p.i++
		return e
	case c == '#':
		if !strings.HasPrefix(p.s[p.i:], "#{") {
			return p.fail()
		}
		end := strings.IndexByte(p.s[p.i:], '}')
		if end < 0 {
			return p.fail()
		}
		inner := p.s[p.i+2 : p.i+end]
		code, option, _ := strings.Cut(inner, ":")
		ref := ruleRef{code: strings.TrimSpace(code), option: strings.TrimSpace(option)}
		if !codePattern.MatchString(ref.code) || (strings.Contains(inner, ":") && !codePattern.MatchString(ref.option)) {
			p.i += 2
			return p.fail()
		}
		p.i += end + 1
		p.refs = append(p.refs, ref)
		return &expr{op: 'r', ref: ref}
	case c >= '0' && c <= '9' || c == '.':
		start := p.i
		for p.i < len(p.s) && (p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i] == '.') {
			p.i++
		}
		f, err := strconv.ParseFloat(p.s[start:p.i], 64)
		if err != nil {
			p.i = start
			return p.fail()
		}
		return &expr{op: 'n', num: f}
	}
	return p.fail()
}

// eval computes e with the values get gives; ok is false when a value is
// missing (unless zero: then it counts 0) or a division by zero occurs.
func (e *expr) eval(get func(ruleRef) (float64, bool), zero bool) (float64, bool) {
	switch e.op {
	case 'n':
		return e.num, true
	case 'r':
		v, ok := get(e.ref)
		if !ok && zero {
			return 0, true
		}
		return v, ok
	case 'u':
		v, ok := e.l.eval(get, zero)
		return -v, ok
	}
	a, ok := e.l.eval(get, zero)
	if !ok {
		return 0, false
	}
	b, ok := e.r.eval(get, zero)
	if !ok {
		return 0, false
	}
	switch e.op {
	case '+':
		return a + b, true
	case '-':
		return a - b, true
	case '*':
		return a * b, true
	}
	if b == 0 {
		return 0, false
	}
	return a / b, true
}

// compare applies op with a tolerance for the rounding of decimals
// (0.1 + 0.2 <= 0.3 holds).
func compare(op string, a, b float64) bool {
	eps := 1e-9 * math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
	eq := math.Abs(a-b) <= eps
	switch op {
	case "==":
		return eq
	case "!=":
		return !eq
	case "<":
		return a < b && !eq
	case "<=":
		return a < b || eq
	case ">":
		return a > b && !eq
	case ">=":
		return a > b || eq
	}
	return false
}

// ruleIndicator is what checking a rule needs to know of an indicator.
type ruleIndicator struct {
	valueType string
	derived   bool
	options   []string
}

// validateRules checks a form's rules in an import document and returns
// them trimmed: codes unique, operators known, expressions that parse and
// name only entered, numeric or yes/no indicators of the form (and their
// options), a message. prefix names the form ("forms[0].").
func (s *Store) validateRules(ctx context.Context, v *errs.Validator, prefix string, f DocForm, docIndicators []DocIndicator) ([]Rule, error) {
	if len(f.Rules) == 0 {
		return nil, nil
	}
	onForm := map[string]bool{}
	for _, sec := range f.Sections {
		for _, c := range sec.Indicators {
			onForm[c] = true
		}
	}
	known := map[string]*ruleIndicator{}
	lookup := func(code string) (*ruleIndicator, error) {
		if ri, ok := known[code]; ok {
			return ri, nil
		}
		var ri *ruleIndicator
		if i := slices.IndexFunc(docIndicators, func(d DocIndicator) bool { return d.Code == code }); i >= 0 {
			d := docIndicators[i]
			ri = &ruleIndicator{valueType: d.ValueType, derived: d.Numerator != "" || d.Denominator != "" || d.Factor != 0}
			for _, o := range d.CategoryOptions {
				ri.options = append(ri.options, o.Code)
			}
		} else {
			var err error
			if ri, err = dbRuleIndicator(ctx, s.db.Read, code); err != nil {
				return nil, err
			}
		}
		known[code] = ri
		return ri, nil
	}
	var out []Rule
	seen := map[string]bool{}
	for j, r := range f.Rules {
		q := fmt.Sprintf("%srules[%d].", prefix, j)
		r.Code, r.Left, r.Operator, r.Right = trim(r.Code), trim(r.Left), trim(r.Operator), trim(r.Right)
		r.Message, r.MessageEn, r.Missing = trim(r.Message), trim(r.MessageEn), trim(r.Missing)
		switch {
		case !codePattern.MatchString(r.Code):
			v.Add(q+"code", "code_format")
		case seen[r.Code]:
			v.Add(q+"code", "duplicate", r.Code)
		}
		seen[r.Code] = true
		v.Check(slices.Contains(ruleOperators, r.Operator), q+"operator", "one_of", strings.Join(ruleOperators, ", "))
		if r.Message == "" {
			v.Add(q+"message", "required")
		} else {
			v.Text(q+"message", r.Message, errs.Line)
		}
		v.Text(q+"messageEn", r.MessageEn, errs.Line)
		if r.Missing == "" {
			r.Missing = "skip"
		}
		v.Check(r.Missing == "skip" || r.Missing == "zero", q+"missing", "one_of", "skip, zero")
		for _, side := range []struct{ field, text string }{{"left", r.Left}, {"right", r.Right}} {
			if side.text == "" {
				v.Add(q+side.field, "required")
				continue
			}
			v.Text(q+side.field, side.text, errs.Line)
			_, refs, bad := parseExpr(side.text)
			if bad >= 0 {
				v.Add(q+side.field, "report.rule_expression", side.text, bad+1)
				continue
			}
			for _, ref := range refs {
				ri, err := lookup(ref.code)
				if err != nil {
					return nil, err
				}
				switch {
				case !onForm[ref.code] || ri == nil:
					v.Add(q+side.field, "report.rule_not_on_form", ref.code)
				case ri.derived:
					v.Add(q+side.field, "report.rule_derived", ref.code)
				case ri.valueType == string(TypeText) || ri.valueType == string(TypeLongText) || ri.valueType == "FILE":
					v.Add(q+side.field, "report.rule_text", ref.code)
				case ref.option != "" && !slices.Contains(ri.options, ref.option):
					v.Add(q+side.field, "report.rule_option", ref.option, ref.code)
				}
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func dbRuleIndicator(ctx context.Context, q store.Querier, code string) (*ruleIndicator, error) {
	var id int64
	ri := &ruleIndicator{}
	err := q.QueryRowContext(ctx, `SELECT id, value_type, numerator_id IS NOT NULL FROM report_indicators WHERE code = $1`, code).Scan(&id, &ri.valueType, &ri.derived)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil // the sections' check names the unknown code
	} else if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT code FROM report_category_options WHERE indicator_id = $1 ORDER BY sort_order`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		ri.options = append(ri.options, c)
	}
	return ri, rows.Err()
}

// formRules reads a form's rules in order.
func formRules(ctx context.Context, q store.Querier, form int64) ([]Rule, error) {
	rows, err := q.QueryContext(ctx, `SELECT code, left_side, operator, right_side, message, message_en, missing FROM report_rules WHERE form_id = $1 ORDER BY sort_order`, form)
	if err != nil {
		return nil, fmt.Errorf("report: rules: %w", err)
	}
	defer rows.Close()
	out := []Rule{}
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.Code, &r.Left, &r.Operator, &r.Right, &r.Message, &r.MessageEn, &r.Missing); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// writeRules replaces a form's rules when they differ from rules; it
// returns the rows it changed (0 for an unchanged form, so a re-import is
// idempotent).
func writeRules(ctx context.Context, tx *sql.Tx, form int64, rules []Rule) (int, error) {
	have, err := formRules(ctx, tx, form)
	if err != nil {
		return 0, err
	}
	if slices.Equal(have, rules) || (len(have) == 0 && len(rules) == 0) {
		return 0, nil
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM report_rules WHERE form_id = $1`, form)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	changes := int(n)
	for i, r := range rules {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_rules (form_id, code, left_side, operator, right_side, message, message_en, missing, sort_order)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, form, r.Code, r.Left, r.Operator, r.Right, r.Message, r.MessageEn, r.Missing, i+1); err != nil {
			return 0, fmt.Errorf("report: write rule %s: %w", r.Code, err)
		}
		changes++
	}
	return changes, nil
}

// ruleValues indexes a report's values for the rules: each option's
// number under #{CODE:OPTION}, and their sum (with the value of the
// indicator itself, if any) under #{CODE}. Values that are not numbers
// (text) are left out.
func ruleValues(vs []StoredValue) map[ruleRef]float64 {
	out := map[ruleRef]float64{}
	for _, v := range vs {
		if v.Number == nil {
			continue
		}
		if v.OptionCode != "" {
			out[ruleRef{v.IndicatorCode, v.OptionCode}] = *v.Number
		}
		total := ruleRef{code: v.IndicatorCode}
		out[total] += *v.Number
	}
	return out
}

// CheckRules checks rules against values (a report's, see ReportValues).
// A rule that no longer parses (edited by hand in the database) is
// skipped.
func CheckRules(rules []Rule, values []StoredValue) []RuleResult {
	vals := ruleValues(values)
	get := func(r ruleRef) (float64, bool) { v, ok := vals[r]; return v, ok }
	out := make([]RuleResult, 0, len(rules))
	for _, r := range rules {
		res := RuleResult{Rule: r, Status: RuleSkipped}
		le, _, bad1 := parseExpr(r.Left)
		re, _, bad2 := parseExpr(r.Right)
		if bad1 < 0 && bad2 < 0 {
			zero := r.Missing == "zero"
			a, okA := le.eval(get, zero)
			b, okB := re.eval(get, zero)
			if okA {
				res.Left = &a
			}
			if okB {
				res.Right = &b
			}
			if okA && okB {
				res.Status = RuleFailed
				if compare(r.Operator, a, b) {
					res.Status = RulePassed
				}
			}
		}
		out = append(out, res)
	}
	return out
}

// Refs lists the indicator codes a rule names, left side first.
func (r Rule) Refs() []string {
	var out []string
	for _, side := range []string{r.Left, r.Right} {
		if _, refs, bad := parseExpr(side); bad < 0 {
			for _, ref := range refs {
				if !slices.Contains(out, ref.code) {
					out = append(out, ref.code)
				}
			}
		}
	}
	return out
}

// ruleErrors turns failed rules into a validation error naming each rule
// (rules.CODE) with its message and the two values, as Submit refuses.
func ruleErrors(results []RuleResult) error {
	var fields []errs.Field
	for _, r := range results {
		if r.Status != RuleFailed {
			continue
		}
		fields = append(fields, errs.Field{Name: "rules." + r.Code, Code: "report.rule_failed", Context: "report",
			Args: []any{r.Message, number(*r.Left), number(*r.Right), r.Text(locale.EN)}})
	}
	if len(fields) == 0 {
		return nil
	}
	return errs.Invalid(fields...)
}

// number writes a computed value as exchange notation (12, 12.5).
func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
