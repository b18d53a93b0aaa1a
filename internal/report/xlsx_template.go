package report

// The Excel workbook of a report form for one period (docs/report-excel.md):
// the «Dữ liệu» sheet laid out as officials read a form — its sections and
// indicators in order, category options as sub-rows — with one column per
// unit that must report and that the caller may enter data for, the values
// already entered filled in, each unit's report state under its name, and
// the «Hướng dẫn» sheet. xlsx_import.go reads it back.
//
// A column per unit rather than a sheet per unit: a district compiling its
// twenty communes' figures, or the province its departments', reads and
// checks them side by side, as in the compiled tables (biểu tổng hợp) they
// keep in Excel today; one department gets one column, the same layout.
// A sheet per unit would make twenty sheets to open one by one and a
// workbook whose size grows with the units times the indicators' labels.

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// xlDataSheet is the sheet of values.
const xlDataSheet = "Dữ liệu"

// xlMaxUnits bounds the unit columns of one workbook (Excel has room for
// thousands, officials do not; the import's column limit is 256).
const xlMaxUnits = 200

// The fixed columns of «Dữ liệu», left of the units' columns, and the
// labels of the rows above and under the header. The import finds them by
// these texts (case and diacritics ignored), not by position.
const (
	xlCodeHeader    = "Mã chỉ tiêu"
	xlOptionHeader  = "Mã phân tổ"
	xlNameHeader    = "Chỉ tiêu"
	xlMeasureHeader = "Đơn vị tính"

	xlFormLabel     = "Biểu mẫu"
	xlPeriodLabel   = "Kỳ báo cáo"
	xlDeadlineLabel = "Hạn gửi báo cáo"
	xlUnitsLabel    = "Tên đơn vị"
	xlStateLabel    = "Tình trạng báo cáo"
)

// xlFirstUnit is the column of the first unit; xlValueCol the column of
// the values of the rows above the header (form, period, deadline).
const (
	xlFirstUnit = 5
	xlValueCol  = 3
)

// Rows of the sheet: four title lines (title, form, period, deadline), a
// blank one, the header with the unit codes, the units' names and their
// report states; the indicators start at xlFirstRow.
const (
	xlFormRow   = 2
	xlPeriodRow = 3
	xlHeadRow   = 6
	xlFirstRow  = xlHeadRow + 3
)

// xlNameWidth is the width of the indicators' names, in characters.
const xlNameWidth = 64

// xlFit makes a row tall enough for text wrapped in the names' column:
// neither Excel nor LibreOffice measures rows again when opening a file.
func xlFit(sh *xlsx.Table, row int, text string) error {
	per := xlNameWidth * 115 / 100 // characters of a proportional font a line holds
	lines := (utf8.RuneCountInString(text) + per - 1) / per
	if lines <= 1 {
		return nil
	}
	return sh.Height(row, float64(15*lines))
}

// xlLine is one row of the form as the sheet lays it out.
type xlLine struct {
	section string // a section's heading (nothing else set)
	ind     *Indicator
	option  *Option // a category option's sub-row
	parent  bool    // the row of an indicator with options: its name, no values
	number  string  // "1.", "2." for indicators
}

// xlLayout is the form's rows in order.
func xlLayout(f Form, inds map[int64]Indicator) []xlLine {
	var out []xlLine
	n := 0
	placed := map[int64]bool{}
	for i, sec := range f.Sections {
		out = append(out, xlLine{section: xlRoman(i+1) + ". " + sec.Name})
		for _, ref := range sec.Indicators {
			in, ok := inds[ref.ID]
			if !ok || placed[ref.ID] {
				continue
			}
			placed[ref.ID] = true
			n++
			num := strconv.Itoa(n) + "."
			if len(in.CategoryOptions) == 0 || in.Numerator != "" {
				out = append(out, xlLine{ind: &in, number: num})
				continue
			}
			out = append(out, xlLine{ind: &in, parent: true, number: num})
			for j := range in.CategoryOptions {
				out = append(out, xlLine{ind: &in, option: &in.CategoryOptions[j]})
			}
		}
	}
	return out
}

// xlRoman numbers a form's sections as Vietnamese documents do (I, II …).
func xlRoman(n int) string {
	var b strings.Builder
	for _, r := range []struct {
		v int
		s string
	}{{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}} {
		for ; n >= r.v; n -= r.v {
			b.WriteString(r.s)
		}
	}
	return b.String()
}

// optionIDs are the ids of every indicator's category options by code.
func optionIDs(ctx context.Context, q store.Querier) (map[int64]map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, indicator_id, code FROM report_category_options`)
	if err != nil {
		return nil, fmt.Errorf("report: category options: %w", err)
	}
	defer rows.Close()
	out := map[int64]map[string]int64{}
	for rows.Next() {
		var id, ind int64
		var code string
		if err := rows.Scan(&id, &ind, &code); err != nil {
			return nil, err
		}
		if out[ind] == nil {
			out[ind] = map[string]int64{}
		}
		out[ind][code] = id
	}
	return out, rows.Err()
}

// xlYesNo are the answers of a yes/no indicator.
var xlYesNo = xlsx.NewChoices(
	xlsx.Choice{Code: "true", Label: "Có", Aliases: []string{"yes", "true", "1", "x", "đúng", "đã có"}},
	xlsx.Choice{Code: "false", Label: "Không", Aliases: []string{"no", "false", "0", "chưa", "chưa có", "sai"}},
)

// xlTypeHint is how a value of a type is typed, for the guide and the
// cells' input messages.
func xlTypeHint(t string) string {
	key := "report_excel.type." + t
	if !locale.Has(locale.VI, key) {
		key = "report_excel.type.other"
	}
	return locale.T(locale.VI, key)
}

// Report states of a unit as the workbook shows them.
const (
	xlOpen      = "open"
	xlReturned  = "returned"
	xlReopened  = "reopened"
	xlSubmitted = "submitted"
	xlApproved  = "approved"
	xlAccepted  = "accepted"
	xlLocked    = "locked"
	xlFuture    = "future"
)

// xlStatus is a unit's report for the form and period: what the workbook
// says of it and whether it takes changes.
type xlStatus struct {
	code   string
	until  time.Time // a reopening's end
	frozen bool      // changes are refused
}

// reportStatus reads a unit's report state as Check decides it: future,
// submitted or approved, locked past its deadline unless reopened.
func (c *Checker) reportStatus(ctx context.Context, form int64, p Period, unit int64) (xlStatus, error) {
	f := c.forms[form]
	if f == nil {
		return xlStatus{}, errs.NotFound
	}
	from, _ := p.CutOff()
	if Day(c.now.In(vietnam())).Before(from) {
		return xlStatus{code: xlFuture, frozen: true}, nil
	}
	key := ReportKey{Form: form, Unit: unit, Period: p.String()}
	st, err := c.state(ctx, key)
	if err != nil {
		return xlStatus{}, err
	}
	switch st {
	case StateSubmitted, StateApproved, StateAccepted:
		return xlStatus{code: st, frozen: true}, nil
	}
	lock, err := c.s.LockAt(form, p, f.deadline, f.grace)
	if err != nil {
		return xlStatus{}, err
	}
	if c.now.Before(lock) {
		if st == StateReturned {
			return xlStatus{code: xlReturned}, nil
		}
		return xlStatus{code: xlOpen}, nil
	}
	open, err := c.open(ctx, key, p, f)
	if err != nil {
		return xlStatus{}, err
	}
	if open {
		return xlStatus{code: xlReopened, until: c.reopened[key]}, nil
	}
	return xlStatus{code: xlLocked, frozen: true}, nil
}

func (st xlStatus) label(l locale.Lang) string {
	s := locale.T(l, "report_excel.status."+st.code)
	if st.code == xlReopened {
		s += " " + locale.T(l, "report_excel.status.until", locale.DateTime(l, st.until))
	}
	return s
}

// xlUnits are the units of form that must report p, and those of them that
// pr may take action a on, in UnitsFor's order. under, when not 0, keeps
// the units that are under it or it.
func (s *Store) xlUnits(ctx context.Context, pr *org.Principal, a org.Action, form int64, p Period, under int64) (due, mine []org.Unit, err error) {
	fu, err := s.UnitsFor(ctx, form, p)
	if err != nil {
		return nil, nil, err
	}
	for _, u := range fu.Units {
		if under != 0 {
			in, err := s.org.Within(ctx, u.ID, under)
			if err != nil {
				return nil, nil, err
			}
			if !in {
				continue
			}
		}
		due = append(due, u)
		ok, err := s.org.Can(ctx, pr, a, u.ID)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			mine = append(mine, u)
		}
	}
	return due, mine, nil
}

// xlRequest is what a template or values request names: a form, a
// period, optionally a unit whose subtree it keeps to.
type xlRequest struct {
	form   Form
	period Period
	under  int64
}

// xlSelect decides which units a request covers for action a: those due
// in the period (under the unit asked for) that the caller may act on. A
// caller who may act on none of them is refused through Authorize (one
// audited refusal); a unit asked for outside the caller's scope likewise.
func (s *Store) xlSelect(ctx context.Context, pr *org.Principal, a org.Action, q xlRequest) ([]org.Unit, error) {
	if q.under != 0 {
		if err := s.org.Authorize(ctx, pr, a, q.under); err != nil {
			return nil, err
		}
	}
	due, mine, err := s.xlUnits(ctx, pr, a, q.form.ID, q.period, q.under)
	if err != nil {
		return nil, err
	}
	if len(mine) == 0 {
		if len(due) > 0 {
			if err := s.org.Authorize(ctx, pr, a, due[0].ID); err != nil {
				return nil, err
			}
		}
		field := "period"
		if q.under != 0 {
			field = "unit"
		}
		return nil, errs.Invalid(errs.Field{Name: field, Code: "report_excel.no_units_due", Args: []any{q.form.Code, q.period.Label(locale.VI)}, Context: "report"})
	}
	return mine, nil
}

// xlStored reads the values stored for units and the form's indicators in
// p, by key.
func (s *Store) xlStored(ctx context.Context, q store.Querier, form Form, p Period, units []org.Unit) (map[Key]storedValue, error) {
	var uids, iids []int64
	for _, u := range units {
		uids = append(uids, u.ID)
	}
	for _, sec := range form.Sections {
		for _, in := range sec.Indicators {
			iids = append(iids, in.ID)
		}
	}
	out := map[Key]storedValue{}
	if len(uids) == 0 || len(iids) == 0 {
		return out, nil
	}
	args := []any{p.String()}
	uq := store.InList(&args, uids)
	iq := store.InList(&args, iids)
	rows, err := q.QueryContext(ctx, `SELECT indicator_id, option_id, unit_id, value, comment, followup, updated_at FROM report_values
		WHERE period = $1 AND unit_id IN (`+uq+`) AND indicator_id IN (`+iq+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("report: stored values: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		k := Key{Period: p.String()}
		var v storedValue
		if err := rows.Scan(&k.Indicator, &k.Option, &k.Unit, &v.value, &v.comment, &v.followup, &v.updated); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// storedValue is a value as stored, for the workbook and the export.
type storedValue struct {
	value, comment string
	followup       bool
	updated        time.Time
}

// xlCellValue is a stored value as a cell holds it: a number for the
// numeric types, Có/Không for yes/no, a date cell, text.
func xlCellValue(valueType, value string) any {
	switch ValueType(valueType) {
	case TypeBoolean, TypeTrueOnly:
		return xlYesNo.Label(value)
	case TypeText, TypeLongText:
		return value
	case TypeDate:
		return xlsx.ISODate(value)
	}
	f, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return value
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return int64(f)
	}
	return f
}

// xlBookData is everything one workbook shows.
type xlBookData struct {
	form     Form
	period   Period
	units    []org.Unit
	status   map[int64]xlStatus
	values   map[Key]storedValue
	inds     map[int64]Indicator
	options  map[int64]map[string]int64 // indicator → option code → id
	deadline time.Time                  // zero when the calendar does not cover it
	lock     time.Time
	made     time.Time
}

func (s *Store) xlData(ctx context.Context, pr *org.Principal, q xlRequest) (*xlBookData, error) {
	units, err := s.xlSelect(ctx, pr, EnterReports, q)
	if err != nil {
		return nil, err
	}
	if len(units) > xlMaxUnits {
		return nil, errs.Invalid(errs.Field{Name: "unit", Code: "report_excel.too_many_units", Args: []any{len(units), xlMaxUnits}, Context: "report"})
	}
	d := &xlBookData{form: q.form, period: q.period, units: units, status: map[int64]xlStatus{}, inds: map[int64]Indicator{}, made: s.Now()}
	all, err := s.Indicators(ctx)
	if err != nil {
		return nil, err
	}
	for _, in := range all {
		d.inds[in.ID] = in
	}
	if d.options, err = optionIDs(ctx, s.db.Read); err != nil {
		return nil, err
	}
	c, err := s.NewChecker(ctx, pr)
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		if d.status[u.ID], err = c.reportStatus(ctx, q.form.ID, q.period, u.ID); err != nil {
			return nil, err
		}
	}
	if d.values, err = s.xlStored(ctx, s.db.Read, q.form, q.period, units); err != nil {
		return nil, err
	}
	if dl, err := s.Calendar.Deadline(q.period, q.form.DeadlineDays); err == nil {
		d.deadline = dl
		d.lock, _ = s.LockAt(q.form.ID, q.period, q.form.DeadlineDays, q.form.GraceDays)
	}
	return d, nil
}

// xlPeriodChoices are the periods the period cell offers: the period and
// the four before it, and the next one.
func xlPeriodChoices(p Period) *xlsx.Choices {
	var list []xlsx.Choice
	q := p
	for range 4 {
		q = q.Prev()
	}
	for range 6 {
		list = append(list, xlsx.Choice{Code: q.String(), Label: xlPeriodText(q), Aliases: []string{q.Label(locale.VI), q.Label(locale.EN)}})
		q = q.Next()
	}
	return xlsx.NewChoices(list...)
}

// xlPeriodText is a period as its cell writes it: "2026Q4 — Quý IV/2026".
func xlPeriodText(p Period) string { return p.String() + " — " + p.Label(locale.VI) }

// xlWorkbook writes the workbook of d.
func (s *Store) xlWorkbook(d *xlBookData) (*xlsx.Book, error) {
	f, p := d.form, d.period
	b := xlsx.New(f.Code + " " + p.String() + " — " + f.Name)
	ok := false
	defer func() {
		if !ok {
			b.Close()
		}
	}()
	cols := []xlsx.Column{{Header: xlCodeHeader, Width: 25, Format: xlsx.TextFmt}, {Header: xlOptionHeader, Width: 12, Format: xlsx.TextFmt},
		{Header: xlNameHeader, Width: xlNameWidth}, {Header: xlMeasureHeader, Width: 11}}
	for _, u := range d.units {
		cols = append(cols, xlsx.Column{Header: u.Code, Width: 16})
	}
	title := []string{"BIỂU NHẬP SỐ LIỆU: " + strings.ToUpper(f.Name), "", "", ""}
	sh, err := b.AddGrid(xlDataSheet, title, cols)
	if err != nil {
		return nil, err
	}
	deadline := locale.T(locale.VI, "report_excel.deadline_unknown")
	if !d.deadline.IsZero() {
		deadline = locale.T(locale.VI, "report_excel.deadline", locale.Date(locale.VI, d.deadline), f.DeadlineDays, locale.DateTime(locale.VI, d.lock))
	}
	for _, m := range []struct {
		row          int
		label, value string
	}{{xlFormRow, xlFormLabel, f.Code}, {xlPeriodRow, xlPeriodLabel, xlPeriodText(p)}, {4, xlDeadlineLabel, deadline}} {
		if err := sh.Bold(1, m.row, m.label); err != nil {
			return nil, err
		}
		if err := sh.Set(xlValueCol, m.row, m.value); err != nil {
			return nil, err
		}
		if err := xlFit(sh, m.row, m.value); err != nil {
			return nil, err
		}
	}
	at := xlsx.Range{Col1: xlValueCol, Row1: xlPeriodRow, Col2: xlValueCol, Row2: xlPeriodRow}
	if err := sh.DropDownAt(at, xlPeriodChoices(p).Labels(), "Kỳ báo cáo của số liệu trong tệp; xem trang «Hướng dẫn»."); err != nil {
		return nil, err
	}
	last := xlFirstUnit + len(d.units) - 1
	if err := sh.Bold(xlValueCol, xlHeadRow+1, xlUnitsLabel); err != nil {
		return nil, err
	}
	if err := sh.Bold(xlValueCol, xlHeadRow+2, xlStateLabel); err != nil {
		return nil, err
	}
	for i, u := range d.units {
		col := xlFirstUnit + i
		if err := sh.Bold(col, xlHeadRow+1, u.Name); err != nil {
			return nil, err
		}
		if err := sh.Set(col, xlHeadRow+2, d.status[u.ID].label(locale.VI)); err != nil {
			return nil, err
		}
	}
	if err := sh.Height(xlHeadRow+1, 64); err != nil {
		return nil, err
	}
	if err := sh.Height(xlHeadRow+2, 32); err != nil {
		return nil, err
	}
	lines := xlLayout(f, d.inds)
	rowOf := map[string]int{} // indicator code (without options) → row
	for i, ln := range lines {
		if ln.ind != nil && ln.option == nil && !ln.parent {
			rowOf[ln.ind.Code] = xlFirstRow + i
		}
	}
	for i, ln := range lines {
		row := xlFirstRow + i
		if ln.section != "" {
			if err := sh.Bold(xlValueCol, row, ln.section); err != nil {
				return nil, err
			}
			continue
		}
		in := ln.ind
		name := ln.number + " " + in.Name
		switch {
		case ln.option != nil:
			name = "    – " + ln.option.Name
		case in.Numerator != "":
			name += " (tự tính)"
		case ln.parent:
			name += " (nhập theo phân tổ bên dưới)"
		}
		opt := ""
		if ln.option != nil {
			opt = ln.option.Code
		}
		for c, v := range []string{in.Code, opt, name, in.Measure} {
			if err := sh.Set(c+1, row, v); err != nil {
				return nil, err
			}
		}
		if err := xlFit(sh, row, name); err != nil {
			return nil, err
		}
		if len(d.units) == 0 || ln.parent {
			continue
		}
		cells := xlsx.Range{Col1: xlFirstUnit, Row1: row, Col2: last, Row2: row}
		if in.Numerator != "" {
			num, nok := rowOf[in.Numerator]
			den, dok := rowOf[in.Denominator]
			for j := range d.units {
				if !nok || !dok {
					break
				}
				c := xlsx.ColumnName(xlFirstUnit + j)
				n, m := fmt.Sprintf("%s%d", c, num), fmt.Sprintf("%s%d", c, den)
				factor := strconv.FormatFloat(in.Factor, 'f', -1, 64)
				if err := sh.Formula(xlFirstUnit+j, row, fmt.Sprintf(`IF(AND(ISNUMBER(%s),ISNUMBER(%s),%s<>0),ROUND(%s/%s*%s,2),"")`, n, m, m, n, m, factor)); err != nil {
					return nil, err
				}
			}
			if err := sh.HintAt(cells, in.Code, locale.T(locale.VI, "report_excel.hint_derived", in.Numerator, in.Denominator, in.Factor)); err != nil {
				return nil, err
			}
			continue
		}
		var option int64
		if ln.option != nil {
			option = d.options[in.ID][ln.option.Code]
		}
		for j, u := range d.units {
			v, ok := d.values[Key{Indicator: in.ID, Option: option, Unit: u.ID, Period: p.String()}]
			if !ok {
				continue
			}
			if err := sh.Set(xlFirstUnit+j, row, xlCellValue(in.ValueType, v.value)); err != nil {
				return nil, err
			}
		}
		hint := xlTypeHint(in.ValueType)
		if in.Measure != "" {
			hint += " (" + in.Measure + ")"
		}
		if in.Description != "" {
			hint += ". " + in.Description
		}
		switch ValueType(in.ValueType) {
		case TypeBoolean, TypeTrueOnly:
			err = sh.DropDownAt(cells, xlYesNo.Labels(), hint)
		default:
			err = sh.HintAt(cells, in.Code, hint)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := sh.Freeze(xlFirstUnit, xlFirstRow); err != nil {
		return nil, err
	}
	if err := sh.PrintWide(); err != nil {
		return nil, err
	}
	if err := s.xlGuide(b, d, lines); err != nil {
		return nil, err
	}
	b.Activate(xlDataSheet)
	ok = true
	return b, nil
}

// xlGuide writes «Hướng dẫn»: how to fill the sheet in, numbers, the
// deadline, what each indicator means, the units and their states.
func (s *Store) xlGuide(b *xlsx.Book, d *xlBookData, lines []xlLine) error {
	f, p := d.form, d.period
	g, err := b.AddGuide("HƯỚNG DẪN ĐIỀN BIỂU " + f.Code + " — " + strings.ToUpper(p.Label(locale.VI)))
	if err != nil {
		return err
	}
	from, to := p.CutOff()
	vi := func(t time.Time) string { return locale.Date(locale.VI, t) }
	deadline := "Hạn gửi báo cáo chưa xác định được: lịch làm việc của hệ thống chưa có ngày nghỉ của năm này; hỏi đầu mối của tỉnh."
	if !d.deadline.IsZero() {
		deadline = fmt.Sprintf("Hạn gửi báo cáo: hết ngày %s (%d ngày làm việc sau ngày chốt số liệu, không kể thứ Bảy, Chủ nhật và ngày nghỉ lễ, Tết). Sau %s, kỳ báo cáo bị khóa, trừ khi đầu mối mở lại cho đơn vị.",
			vi(d.deadline), f.DeadlineDays, locale.DateTime(locale.VI, d.lock))
	}
	lim := xlsx.DefaultLimits()
	for _, text := range []string{
		fmt.Sprintf("Biểu «%s» (mã %s), kỳ báo cáo %s (mã kỳ %s). Số liệu chốt từ ngày %s đến hết ngày %s (Nghị định 09/2019/NĐ-CP, Điều 12).", f.Name, f.Code, p.Label(locale.VI), p.String(), vi(from), vi(to)),
		deadline,
		fmt.Sprintf("1. Trang «%s»: mỗi dòng là một chỉ tiêu hoặc một phân tổ của chỉ tiêu, mỗi cột từ cột E là một đơn vị phải báo cáo (mã đơn vị ở dòng tiêu đề, tên đơn vị và tình trạng báo cáo ở hai dòng dưới). Điền số liệu vào ô giao giữa dòng chỉ tiêu và cột đơn vị. Tệp này có %d đơn vị.", xlDataSheet, len(d.units)),
		"2. Không sửa cột «Mã chỉ tiêu», cột «Mã phân tổ», dòng mã đơn vị và ô mã biểu mẫu: hệ thống đọc tệp theo các mã này. Có thể đổi thứ tự dòng, xóa dòng hoặc xóa cột của đơn vị không cần nhập; không thêm cột khác vào bên phải (ghi chú hãy để ở trang tính khác).",
		"3. Kỳ báo cáo: chọn trong danh sách ở ô «Kỳ báo cáo» (mặc định là kỳ của tệp tải về). Đổi kỳ thì số liệu trong tệp được nhập cho kỳ đã chọn.",
		"4. Số: nên nhập ô kiểu số. Nếu gõ thành chữ thì 12,5 hoặc 12.5 đều được; dấu chấm ngăn cách hàng nghìn (1.500 là một nghìn năm trăm, 1.500.000 là một triệu rưỡi). Cách viết 1,500 có thể hiểu hai nghĩa nên bị từ chối, kèm tên ô. Tỷ lệ (%) nhập số từ 0 đến 100 (ví dụ 45,5) hoặc ô định dạng phần trăm (45,5%). Số lượng (hồ sơ, văn bản, người …) là số nguyên, không có phần thập phân.",
		"5. Câu hỏi có/không: chọn «Có» hoặc «Không» trong danh sách của ô.",
		"6. Dòng «tự tính» (tỷ lệ tính từ hai chỉ tiêu khác) không cần nhập: Excel tự tính để tham khảo, hệ thống tính lại từ số liệu đã nhập và bỏ qua dòng này khi nhập tệp. Chỉ tiêu có phân tổ (ví dụ toàn trình / một phần) nhập ở các dòng phân tổ bên dưới; tổng do hệ thống cộng.",
		"7. Số liệu đã nhập trước khi tải tệp được điền sẵn. Ô để trống giữ nguyên số liệu đã có (không xóa); muốn xóa một số liệu, hãy sửa trên trang nhập liệu. Nhập lại đúng tệp này không thay đổi gì.",
		"8. Đơn vị có tình trạng «Đã gửi», «Đã phê duyệt», «Đã tiếp nhận», «Chưa đến kỳ» hoặc «Quá hạn — đã khóa» không nhận thay đổi: ô thay đổi ở cột của đơn vị đó bị từ chối, kèm tên ô; ô giữ nguyên giá trị thì không sao.",
		"9. Tải tệp lên ở trang của biểu mẫu (Biểu mẫu báo cáo › " + f.Code + " › Nhập từ Excel). Hệ thống kiểm tra toàn bộ tệp và cho xem trước các thay đổi; chỉ khi bấm xác nhận, số liệu mới được ghi — tất cả hoặc không có gì. Mỗi lỗi chỉ rõ ô, ví dụ «Dữ liệu!E12: phải là số nguyên không âm».",
		"10. Công thức được đọc theo kết quả đã tính khi lưu tệp (Excel, LibreOffice); công thức báo lỗi (#N/A, #REF! …) bị từ chối, kèm tên ô.",
		fmt.Sprintf("11. Giới hạn: tệp tối đa %d MB, khi giải nén tối đa %d MB; mỗi trang tính tối đa %s dòng và %d cột có dữ liệu.", lim.MaxUpload>>20, lim.MaxUnzipped>>20, locale.Number(locale.VI, float64(lim.MaxRows), 0), lim.MaxCols),
	} {
		if err := g.Paragraph(text); err != nil {
			return err
		}
	}
	var rows [][]string
	for _, ln := range lines {
		if ln.ind == nil || ln.option != nil {
			continue
		}
		in := ln.ind
		meaning := in.Description
		how := xlTypeHint(in.ValueType)
		switch {
		case in.Numerator != "":
			formula := locale.T(locale.VI, "report_excel.hint_derived", in.Numerator, in.Denominator, in.Factor)
			meaning = strings.TrimSpace(meaning + " " + formula)
			how = "Không nhập (tự tính)"
		case len(in.CategoryOptions) > 0:
			var names []string
			for _, o := range in.CategoryOptions {
				names = append(names, o.Code+": "+o.Name)
			}
			meaning = strings.TrimSpace(meaning + " Phân tổ: " + strings.Join(names, "; ") + ".")
		}
		if in.ResponsibleUnit != nil {
			meaning = strings.TrimSpace(meaning + " Đơn vị chịu trách nhiệm: " + in.ResponsibleUnit.Name + ".")
		}
		rows = append(rows, []string{in.Code, ln.number + " " + in.Name, meaning, in.Measure, how})
	}
	if err := g.Table("Các chỉ tiêu của biểu", []string{"Mã chỉ tiêu", "Chỉ tiêu", "Ý nghĩa, cách tính", "Đơn vị tính", "Cách nhập"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, u := range d.units {
		rows = append(rows, []string{u.Code, u.Name, d.status[u.ID].label(locale.VI)})
	}
	return g.Table("Các đơn vị trong tệp", []string{"Mã đơn vị", "Tên đơn vị", "Tình trạng báo cáo"}, rows)
}
