package report

// Reading a filled-in form workbook (xlsx_template.go's layout, or any
// workbook keeping its codes) into values, checking every one of them with
// the Checker, and writing them all in one transaction — or none, with
// every problem named by its cell.

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// xlImportSlots and xlImportWait bound concurrent workbook imports: one
// more waits this long for a slot, then is told to try again (429).
const (
	xlImportSlots = 3
	xlImportWait  = 2 * time.Second
)

// ExcelResult is what an Excel import did, or would do in a dry run.
type ExcelResult struct {
	Form        string        `json:"form"`
	Period      string        `json:"period"`
	DryRun      bool          `json:"dryRun"`
	ImportCount ImportCount   `json:"importCount" doc:"imported: new values; updated: changed values; ignored: filled-in cells equal to the stored value; deleted: always 0 (a blank cell keeps what is stored)"`
	Units       []string      `json:"units" doc:"codes of the units whose columns the file holds"`
	Changes     []ExcelChange `json:"changes" doc:"each value written (or that would be, in a dry run), in the sheet's order"`
}

// ExcelChange is one value an import writes.
type ExcelChange struct {
	Cell          string `json:"cell"`
	Unit          string `json:"unit"`
	UnitName      string `json:"unitName"`
	Indicator     string `json:"indicator"`
	IndicatorName string `json:"indicatorName"`
	Option        string `json:"option,omitempty"`
	OptionName    string `json:"optionName,omitempty"`
	ValueType     string `json:"valueType"`
	Old           string `json:"old,omitempty" doc:"the stored value, absent for a new one"`
	New           string `json:"new"`
}

// xlValue is one filled-in cell.
type xlValue struct {
	ref      string
	col, row int
	in       ValueInput
	ind      *Indicator
	option   Option
	unit     org.Unit
}

// xlIssues are the problems found, each at a cell (or a range, the sheet,
// the file), returned sorted by row and column.
type xlIssues []errs.Field

func (is *xlIssues) add(f errs.Field) { *is = append(*is, f) }

func (is xlIssues) err(status int) error {
	if len(is) == 0 {
		return nil
	}
	out := slices.Clone([]errs.Field(is))
	slices.SortStableFunc(out, func(a, b errs.Field) int {
		ac, ar, aok := xlsx.CellPos(a.Name)
		bc, br, bok := xlsx.CellPos(b.Name)
		switch {
		case aok != bok:
			if !aok {
				return -1
			}
			return 1
		case ar != br:
			return ar - br
		}
		return ac - bc
	})
	e := errs.Invalid(out...)
	if status == 403 {
		e = &errs.Error{Status: 403, Code: "forbidden", Key: "error.forbidden", Fields: out}
	}
	return e
}

// xlRaw is a cell as written, trimmed.
func xlRaw(sh *xlsx.Sheet, col, row int) string { return strings.TrimSpace(sh.At(col, row).String()) }

// xlParsed is a workbook read: its form, period, unit columns and values.
type xlParsed struct {
	sheet  *xlsx.Sheet
	head   int
	period Period
	units  map[int]org.Unit // column → unit
	cols   []int            // unit columns in order
	values []xlValue
}

// xlRead opens data and reads it against form. It never panics: a file it
// cannot read is one problem.
func (s *Store) xlRead(ctx context.Context, pr *org.Principal, form Form, data []byte) (p *xlParsed, err error) {
	defer func() {
		if v := recover(); v != nil {
			p, err = nil, xlsx.FileError("xlsx_corrupt")
		}
	}()
	wb, err := xlsx.Open(data, xlsx.DefaultLimits())
	if err != nil {
		return nil, err
	}
	name, ok := wb.Find(xlDataSheet)
	if !ok {
		return nil, errs.Invalid(errs.Field{Name: xlDataSheet, Code: "missing_sheet", Args: []any{xlDataSheet}})
	}
	sh, err := wb.Sheet(name)
	if err != nil {
		return nil, err
	}
	p = &xlParsed{sheet: sh, units: map[int]org.Unit{}}
	fold := xlsx.Fold
	// The header is the row naming «Mã chỉ tiêu».
	codeCol := 0
	for r := 1; r <= min(sh.Rows(), 40) && p.head == 0; r++ {
		for c := 1; c <= sh.Cols(r); c++ {
			if fold(xlRaw(sh, c, r)) == fold(xlCodeHeader) {
				p.head, codeCol = r, c
				break
			}
		}
	}
	if p.head == 0 {
		return nil, errs.Invalid(errs.Field{Name: sh.Name, Code: "missing_column", Args: []any{xlCodeHeader}})
	}
	var issues xlIssues
	// The form and the period, in the rows above: a label, then its value
	// in the first filled cell to its right.
	meta := func(label string) (col, row int, ok bool) {
		for r := 1; r < p.head; r++ {
			for c := 1; c <= sh.Cols(r); c++ {
				if fold(xlRaw(sh, c, r)) != fold(label) {
					continue
				}
				for v := c + 1; v <= sh.Cols(r); v++ {
					if !sh.At(v, r).IsBlank() {
						return v, r, true
					}
				}
				return c + 1, r, true
			}
		}
		return 0, 0, false
	}
	fc, fr, ok := meta(xlFormLabel)
	if !ok {
		return nil, errs.Invalid(errs.Field{Name: sh.Name, Code: "report_excel.no_label", Args: []any{xlFormLabel}})
	}
	if code := sh.Text(fc, fr, xlFormLabel); !strings.EqualFold(code, form.Code) {
		if code == "" {
			return nil, errs.Invalid(errs.Field{Name: sh.Ref(fc, fr), Code: "report_excel.no_form", Column: xlFormLabel})
		}
		return nil, errs.Invalid(errs.Field{Name: sh.Ref(fc, fr), Code: "report_excel.other_form", Args: []any{code, form.Code}, Column: xlFormLabel})
	}
	pc, prow, ok := meta(xlPeriodLabel)
	if !ok {
		return nil, errs.Invalid(errs.Field{Name: sh.Name, Code: "report_excel.no_label", Args: []any{xlPeriodLabel}})
	}
	ptext := sh.Text(pc, prow, xlPeriodLabel)
	first := strings.FieldsFunc(ptext, func(r rune) bool { return r == ' ' || r == '—' || r == '-' || r == '(' || r == ')' })
	if len(first) == 0 {
		return nil, errs.Invalid(errs.Field{Name: sh.Ref(pc, prow), Code: "report_excel.no_period", Column: xlPeriodLabel})
	}
	pe, err := ParsePeriod(first[0])
	if err != nil {
		// A period written as its label: «Quý IV/2026», «Năm 2026».
		if pt, perr := ParsePeriodType(form.PeriodType); perr == nil {
			p := currentPeriod(pt, Day(s.Now().In(vietnam()))).Next()
			for range 40 {
				if fold(p.Label(locale.VI)) == fold(ptext) || fold(p.Label(locale.EN)) == fold(ptext) {
					pe, err = p, nil
					break
				}
				p = p.Prev()
			}
		}
	}
	if err != nil {
		e, _ := errs.As(err)
		f := errs.Field{Name: sh.Ref(pc, prow), Code: "report_excel.no_period", Column: xlPeriodLabel}
		if e != nil && len(e.Fields) > 0 {
			f.Code, f.Args = e.Fields[0].Code, e.Fields[0].Args
		}
		return nil, errs.Invalid(f)
	}
	if pe.Type().String() != form.PeriodType {
		pt, _ := ParsePeriodType(form.PeriodType)
		return nil, errs.Invalid(errs.Field{Name: sh.Ref(pc, prow), Code: "report.period_type_mismatch", Args: []any{pt.Label(locale.VI)}, Column: xlPeriodLabel})
	}
	p.period = pe

	// The header: the fixed columns by name, every other one a unit's code.
	fixed := map[string]int{}
	fu, err := s.UnitsFor(ctx, form.ID, pe)
	if err != nil {
		return nil, err
	}
	due := map[string]org.Unit{}
	for _, u := range fu.Units {
		due[strings.ToUpper(u.Code)] = u
	}
	seen := map[string]int{}
	for c := 1; c <= sh.Cols(p.head); c++ {
		h := xlRaw(sh, c, p.head)
		switch fold(h) {
		case "":
			continue
		case fold(xlCodeHeader), fold(xlOptionHeader), fold(xlNameHeader), fold(xlMeasureHeader):
			if _, dup := fixed[fold(h)]; dup {
				issues.add(errs.Field{Name: sh.Ref(c, p.head), Code: "duplicate_column", Args: []any{h}})
			}
			fixed[fold(h)] = c
			continue
		}
		code := strings.ToUpper(h)
		if _, dup := seen[code]; dup {
			issues.add(errs.Field{Name: sh.Ref(c, p.head), Code: "duplicate_column", Args: []any{h}})
			continue
		}
		seen[code] = c
		u, ok := due[code]
		if !ok {
			if _, err := s.org.UnitByCode(ctx, code, fu.AsOf); err == nil {
				issues.add(errs.Field{Name: sh.Ref(c, p.head), Code: "report_excel.unit_not_assigned", Args: []any{h, form.Code, pe.Label(locale.VI)}})
			} else {
				issues.add(errs.Field{Name: sh.Ref(c, p.head), Code: "report_excel.unknown_unit", Args: []any{h}})
			}
			continue
		}
		p.units[c] = u
		p.cols = append(p.cols, c)
	}
	if len(p.cols) == 0 && len(issues) == 0 {
		issues.add(errs.Field{Name: sh.Ref(xlFirstUnit, p.head), Code: "report_excel.no_unit_columns"})
	}
	// The caller's scope, before anything about values: one audited
	// refusal naming every column out of it.
	var refused xlIssues
	var first403 int64
	for _, c := range p.cols {
		u := p.units[c]
		ok, err := s.org.Can(ctx, pr, EnterReports, u.ID)
		if err != nil {
			return nil, err
		}
		if !ok {
			refused.add(errs.Field{Name: sh.Ref(c, p.head), Code: "report_excel.unit_scope", Args: []any{u.Code, u.Name}})
			if first403 == 0 {
				first403 = u.ID
			}
		}
	}
	if len(refused) > 0 {
		if err := s.org.Authorize(ctx, pr, EnterReports, first403); err != nil {
			if e, ok := errs.As(err); ok && e.Status == 403 {
				return nil, refused.err(403)
			}
			return nil, err
		}
	}

	// The rows.
	inds, err := s.Indicators(ctx)
	if err != nil {
		return nil, err
	}
	byCode := map[string]*Indicator{}
	for i := range inds {
		byCode[strings.ToUpper(inds[i].Code)] = &inds[i]
	}
	onForm := map[int64]bool{}
	for _, sec := range form.Sections {
		for _, in := range sec.Indicators {
			onForm[in.ID] = true
		}
	}
	options, err := optionIDs(ctx, s.db.Read)
	if err != nil {
		return nil, err
	}
	optCol := fixed[fold(xlOptionHeader)]
	isUnit := map[int]bool{}
	for _, c := range p.cols {
		isUnit[c] = true
	}
	headerOf := func(c int) string { return xlRaw(sh, c, p.head) }
	filled := func(row int) int { // the first filled unit cell of a row, 0 for none
		for _, c := range p.cols {
			if !sh.At(c, row).IsBlank() {
				return c
			}
		}
		return 0
	}
	// Merged regions: each unit and each row needs its own value, so a
	// region over the codes or the units' cells is refused by its range
	// (never read as a blank); one over names and sections is left alone.
	firstRow := p.head + 1
	for firstRow <= sh.Rows() && xlRaw(sh, codeCol, firstRow) == "" {
		firstRow++
	}
	sh.ApplyMerges(firstRow, func(c int) (xlsx.MergeRule, string) {
		if isUnit[c] || c == codeCol || c == optCol && optCol != 0 {
			return xlsx.Refuse, headerOf(c)
		}
		return xlsx.Ignore, ""
	})
	stray := map[int]bool{} // columns without a unit code that hold values
	rows := map[[2]int64]int{}
	for row := p.head + 1; row <= sh.Rows(); row++ {
		for c := 1; c <= sh.Cols(row); c++ {
			if !isUnit[c] && headerOf(c) == "" && c > codeCol && !sh.At(c, row).IsBlank() && !stray[c] && row > p.head+2 {
				stray[c] = true
				issues.add(errs.Field{Name: sh.Ref(c, row), Code: "report_excel.no_unit_code", Args: []any{xlsx.ColumnName(c)}})
			}
		}
		code := sh.Text(codeCol, row, xlCodeHeader)
		if code == "" {
			label := false
			for c := 1; c <= sh.Cols(row); c++ {
				if !isUnit[c] {
					if f := fold(xlRaw(sh, c, row)); f == fold(xlUnitsLabel) || f == fold(xlStateLabel) {
						label = true
					}
				}
			}
			if c := filled(row); c != 0 && !label {
				issues.add(errs.Field{Name: sh.Ref(c, row), Code: "report_excel.no_code", Column: headerOf(c)})
			}
			continue
		}
		in := byCode[strings.ToUpper(code)]
		switch {
		case in == nil:
			issues.add(errs.Field{Name: sh.Ref(codeCol, row), Code: "report.unknown_indicator", Args: []any{code}, Column: xlCodeHeader})
			continue
		case !onForm[in.ID]:
			issues.add(errs.Field{Name: sh.Ref(codeCol, row), Code: "report_excel.not_on_form", Args: []any{code, form.Code}, Column: xlCodeHeader})
			continue
		case in.Numerator != "":
			continue // computed: the template's formulas are for reading
		}
		var opt Option
		var optID int64
		if optCol != 0 {
			if oc := sh.Text(optCol, row, xlOptionHeader); oc != "" {
				for _, o := range in.CategoryOptions {
					if strings.EqualFold(o.Code, oc) {
						opt, optID = o, options[in.ID][o.Code]
					}
				}
				if optID == 0 {
					var codes []string
					for _, o := range in.CategoryOptions {
						codes = append(codes, o.Code)
					}
					issues.add(errs.Field{Name: sh.Ref(optCol, row), Code: "report_excel.unknown_option", Args: []any{in.Code, oc, strings.Join(codes, ", ")}, Column: xlOptionHeader})
					continue
				}
			}
		}
		if optID == 0 && len(in.CategoryOptions) > 0 {
			if c := filled(row); c != 0 {
				issues.add(errs.Field{Name: sh.Ref(c, row), Code: "report_excel.total_of_options", Args: []any{in.Code}, Column: headerOf(c)})
			}
			continue
		}
		if r, dup := rows[[2]int64{in.ID, optID}]; dup {
			issues.add(errs.Field{Name: sh.Ref(codeCol, row), Code: "report_excel.duplicate_row", Args: []any{strings.TrimSpace(in.Code + " " + opt.Code), r}, Column: xlCodeHeader})
			continue
		}
		rows[[2]int64{in.ID, optID}] = row
		for _, c := range p.cols {
			if sh.At(c, row).IsBlank() {
				continue
			}
			v, ok := xlCellText(sh, c, row, headerOf(c)+" · "+strings.TrimSpace(in.Code+" "+opt.Code), in.ValueType)
			if !ok {
				continue
			}
			u := p.units[c]
			p.values = append(p.values, xlValue{ref: sh.Ref(c, row), col: c, row: row, ind: in, option: opt, unit: u,
				in: ValueInput{Key: Key{Indicator: in.ID, Option: optID, Unit: u.ID, Period: pe.String()}, PeriodOf: pe, ValueType: in.ValueType, Value: v}})
		}
	}
	for _, f := range sh.Errors() {
		issues.add(f)
	}
	if err := issues.err(422); err != nil {
		return nil, err
	}
	return p, nil
}

// xlCellText reads one value as stored: numbers in DHIS2's notation
// (12.5), yes/no as true/false, dates as ISO, text as typed. A problem is
// recorded on the sheet, at the cell.
func xlCellText(sh *xlsx.Sheet, col, row int, label, valueType string) (string, bool) {
	shown := strings.TrimSpace(sh.At(col, row).String())
	var v string
	switch ValueType(valueType) {
	case TypeBoolean, TypeTrueOnly:
		v = sh.Choice(col, row, label, xlYesNo)
		if v != "true" && v != "false" {
			return "", false
		}
	case TypeDate:
		iso, ok := sh.Date(col, row, label)
		if !ok {
			return "", false
		}
		v = iso
	case "FILE":
		sh.Fail(col, row, label, "report_excel.file_value")
		return "", false
	case TypeText, TypeLongText:
		v = sh.Text(col, row, label)
		var val errs.Validator
		val.Text(sh.Ref(col, row), v, errs.Paragraph)
		if e, ok := errs.As(val.Err()); ok && e.Fields[0].Code != "too_long" {
			sh.Fail(col, row, label, e.Fields[0].Code, e.Fields[0].Args...)
			return "", false
		}
	case TypeNumber, TypeInteger, TypeIntegerPositive, TypeIntegerNegative, TypeIntegerZeroOrPositive, TypePercentage, TypeUnitInterval:
		f, ok := sh.Decimal(col, row, label)
		if !ok {
			return "", false
		}
		// 15 significant digits: what was typed, without a formula's
		// binary noise (0.1+0.2).
		f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
		if f == 0 {
			f = 0 // no "-0"
		}
		v = strconv.FormatFloat(f, 'f', -1, 64)
	default:
		v = sh.Text(col, row, label)
	}
	if v == "" {
		return "", false
	}
	if verr := CheckValue(ValueType(valueType), v); verr != nil {
		args := []any{shown}
		if verr.Key == "value_length_greater_than_max_length" {
			args = []any{MaxTextLength}
		}
		sh.Fail(col, row, label, "report_excel."+verr.Key, args...)
		return "", false
	}
	return v, true
}

// xlSame reports whether a value read equals the stored one: numbers by
// value (45.50 is 45.5), yes/no by meaning.
func xlSame(valueType, stored, read string) bool {
	if stored == read {
		return true
	}
	switch ValueType(valueType) {
	case TypeText, TypeLongText, TypeDate:
		return false
	case TypeBoolean, TypeTrueOnly:
		norm := func(s string) string {
			if s == "1" || strings.EqualFold(s, "true") {
				return "true"
			}
			return "false"
		}
		return norm(stored) == norm(read)
	}
	a, err1 := strconv.ParseFloat(stored, 64)
	b, err2 := strconv.ParseFloat(read, 64)
	return err1 == nil && err2 == nil && math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(a))
}

// xlFrozen groups the values a unit's report refuses (future, submitted or
// approved, locked) into one problem per column and reason.
type xlFrozen struct {
	code       string
	unit       org.Unit
	col        int
	first, end int
	n          int
}

// ImportExcel reads a filled-in workbook of form and writes its values
// for pr (or, with dryRun, only says what it would write). Every value is
// checked first; on any problem nothing is written and the error names
// every cell. Cells equal to the stored value are ignored, so importing the
// same file again changes nothing; a blank cell keeps the stored value.
// An import that changes values is audited in the same
// transaction (audit.ReportExcel).
func (s *Store) ImportExcel(ctx context.Context, pr *org.Principal, form Form, data []byte, dryRun bool, filename string) (ExcelResult, error) {
	p, err := s.xlRead(ctx, pr, form, data)
	if err != nil {
		return ExcelResult{}, err
	}
	res := ExcelResult{Form: form.Code, Period: p.period.String(), DryRun: dryRun, Units: []string{}, Changes: []ExcelChange{}}
	var units []org.Unit
	for _, c := range p.cols {
		units = append(units, p.units[c])
		res.Units = append(res.Units, p.units[c].Code)
	}
	stored, err := s.xlStored(ctx, s.db.Read, form, p.period, units)
	if err != nil {
		return res, err
	}
	c, err := s.NewChecker(ctx, pr)
	if err != nil {
		return res, err
	}
	var issues xlIssues
	type frozenKey struct {
		col  int
		code string
	}
	frozen := map[frozenKey]*xlFrozen{}
	var order []frozenKey
	var writes []ValueInput
	for i := range p.values {
		v := &p.values[i]
		old, exists := stored[v.in.Key]
		if exists && xlSame(v.ind.ValueType, old.value, v.in.Value) {
			res.ImportCount.Ignored++
			continue
		}
		if exists {
			// The entry page's comment and follow-up stay as they are.
			v.in.Comment, v.in.FollowUp = old.comment, old.followup
		}
		_, cf, err := c.Check(ctx, &v.in, form.ID)
		if err != nil {
			return res, err
		}
		if cf != nil {
			reason := ""
			switch cf.ErrorCode {
			case E7641:
				reason = "report_excel.future"
			case E7642:
				reason = "report_excel.frozen"
			case E7643:
				reason = "report_excel.locked"
			}
			if reason == "" {
				issues.add(errs.Field{Name: v.ref, Code: "report_excel.conflict", Args: []any{string(cf.ErrorCode), cf.Value}, Column: v.unit.Code})
				continue
			}
			k := frozenKey{v.col, reason}
			fz := frozen[k]
			if fz == nil {
				fz = &xlFrozen{code: reason, unit: v.unit, col: v.col, first: v.row}
				frozen[k] = fz
				order = append(order, k)
			}
			fz.end, fz.n = v.row, fz.n+1
			continue
		}
		ch := ExcelChange{Cell: v.ref, Unit: v.unit.Code, UnitName: v.unit.Name, Indicator: v.ind.Code, IndicatorName: v.ind.Name,
			Option: v.option.Code, OptionName: v.option.Name, ValueType: v.ind.ValueType, New: v.in.Value}
		if exists {
			ch.Old = old.value
		}
		res.Changes = append(res.Changes, ch)
		writes = append(writes, v.in)
		if exists {
			res.ImportCount.Updated++
		} else {
			res.ImportCount.Imported++
		}
	}
	for _, k := range order {
		fz := frozen[k]
		name := p.sheet.Ref(fz.col, fz.first)
		if fz.end != fz.first {
			name += ":" + xlsx.CellName(fz.col, fz.end)
		}
		args := []any{fz.unit.Code, fz.unit.Name, p.period.Label(locale.VI), fz.n}
		if fz.code == "report_excel.future" {
			from, _ := p.period.CutOff()
			args = append(args, locale.Date(locale.VI, from))
		}
		issues.add(errs.Field{Name: name, Code: fz.code, Args: args, Column: fz.unit.Code})
	}
	if err := issues.err(422); err != nil {
		return res, err
	}
	if dryRun || len(writes) == 0 {
		return res, nil
	}
	reason := "Nhập từ tệp Excel"
	if filename != "" {
		reason += " «" + filename + "»"
	}
	var outs []Outcome
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		outs, err = s.WriteValues(ctx, tx, writes, WriteOptions{User: pr.UserID, Source: "excel", Reason: reason})
		if err != nil {
			return err
		}
		var n ImportCount
		for _, o := range outs {
			switch o {
			case Imported:
				n.Imported++
			case Updated:
				n.Updated++
			}
		}
		if n.Imported+n.Updated == 0 {
			return nil
		}
		detail := fmt.Sprintf("%d imported, %d updated, %d unchanged; units %s", n.Imported, n.Updated, res.ImportCount.Ignored, strings.Join(res.Units, ", "))
		if filename != "" {
			detail += "; file " + filename
		}
		return audit.Record(ctx, tx, audit.FromContext(ctx, audit.ReportExcel, form.Code+" "+p.period.String(), detail, true))
	})
	if err != nil {
		return res, err
	}
	// What the write found (a value changed meanwhile to the same) counts.
	res.ImportCount = ImportCount{Ignored: res.ImportCount.Ignored}
	for _, o := range outs {
		switch o {
		case Imported:
			res.ImportCount.Imported++
		case Updated:
			res.ImportCount.Updated++
		case Ignored:
			res.ImportCount.Ignored++
		}
	}
	return res, nil
}
