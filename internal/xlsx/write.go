package xlsx

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// Format is how a column's cells are shown. Cells keep their type: a
// number stays a number whatever it looks like.
type Format uint8

const (
	General   Format = iota // wrapped text, numbers as typed
	TextFmt                 // text ("@"): what is typed stays as typed, 1.10 is not 1.1
	Label                   // bold wrapped text (the labels of a form sheet)
	NumberFmt               // numbers with thousands grouped and the decimals the value has: 1.500.000 and 87,4 on a Vietnamese Excel
	Integer                 // whole numbers without grouping: years, counts
	Money                   // whole amounts grouped: 1.500.000.000
	Percent                 // a share of one as a percentage: 0.25 shows 25%
	DateFmt                 // dates as dd/mm/yyyy
)

// Number formats in the file's own notation: Excel shows "," and "." with
// the separators of the computer's language, so on a Vietnamese office PC
// "#,##0.0" is 1.500,5 — the #.##0,## style officials write.
const (
	numGrouped = "#,##0"
	numDate    = "dd/mm/yyyy"
)

// Column is one column of a table sheet.
type Column struct {
	Header string
	Width  float64 // characters; 14 when zero
	Format Format
}

// ISODate is an ISO date (2022-06-22) to write as a date cell; another
// text is written as it is.
type ISODate string

// Book is a workbook being built.
type Book struct {
	f       *excelize.File
	styles  map[styleKey]int
	renamed bool // the default sheet has been given its name
	lists   int  // columns used on the hidden sheet of drop-down lists
}

type styleKey struct {
	format   Format
	decimals int
	header   bool
}

// listSheet holds drop-down options too long to inline; it is hidden and
// readers ignore it.
const listSheet = "Danh mục"

// New starts a workbook whose properties say title, tinhso and Vietnamese.
func New(title string) *Book {
	f := excelize.NewFile()
	f.SetDocProps(&excelize.DocProperties{Title: title, Creator: "Tỉnh số", Language: "vi-VN", Created: time.Now().UTC().Format(time.RFC3339)})
	return &Book{f: f, styles: map[styleKey]int{}}
}

// Close releases the workbook without writing it.
func (b *Book) Close() { b.f.Close() }

// Bytes writes the workbook and closes it.
func (b *Book) Bytes() ([]byte, error) {
	defer b.f.Close()
	buf, err := b.f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Activate makes a sheet the one shown on opening.
func (b *Book) Activate(name string) {
	if i, err := b.f.GetSheetIndex(name); err == nil && i >= 0 {
		b.f.SetActiveSheet(i)
	}
}

func (b *Book) style(k styleKey) (int, error) {
	if id, ok := b.styles[k]; ok {
		return id, nil
	}
	st := &excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}
	switch k.format {
	case TextFmt:
		st.NumFmt = 49
	case Label:
		st.Font = &excelize.Font{Bold: true}
	case NumberFmt:
		code := numGrouped
		if k.decimals > 0 {
			code += "." + strings.Repeat("0", k.decimals)
		}
		st.CustomNumFmt = &code
		st.Alignment.WrapText = false
	case Integer:
		st.NumFmt = 1
		st.Alignment.WrapText = false
	case Money:
		code := numGrouped
		st.CustomNumFmt = &code
		st.Alignment.WrapText = false
	case Percent:
		st.NumFmt = 9
		st.Alignment.WrapText = false
	case DateFmt:
		code := numDate
		st.CustomNumFmt = &code
		st.Alignment.WrapText, st.Alignment.Horizontal = false, "left"
	}
	if k.header {
		border := []excelize.Border{{Type: "left", Color: "A6A6A6", Style: 1}, {Type: "right", Color: "A6A6A6", Style: 1},
			{Type: "top", Color: "A6A6A6", Style: 1}, {Type: "bottom", Color: "A6A6A6", Style: 1}}
		st = &excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1}, Border: border,
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "center", Horizontal: "center"}, NumFmt: 49}
	}
	id, err := b.f.NewStyle(st)
	if err != nil {
		return 0, err
	}
	b.styles[k] = id
	return id, nil
}

// sheet creates a sheet (the first one renames the default "Sheet1").
func (b *Book) sheet(name string) error {
	if !b.renamed {
		b.renamed = true
		return b.f.SetSheetName("Sheet1", name)
	}
	_, err := b.f.NewSheet(name)
	return err
}

// Table is a sheet being written: a header row, then one row per record.
type Table struct {
	b    *Book
	name string
	cols []Column
	head int // the header's row
	last int // the last row written
}

// AddTable adds a sheet with a bold, frozen, filterable header row.
func (b *Book) AddTable(name string, cols []Column) (*Table, error) {
	return b.addSheet(name, nil, cols, true)
}

// AddForm adds a sheet with a bold, frozen header row and no filter: a
// form of labelled values, one per row.
func (b *Book) AddForm(name string, cols []Column) (*Table, error) {
	return b.addSheet(name, nil, cols, false)
}

// AddGrid adds a sheet that opens with title lines, then a header row
// without a filter: a grid of values, such as a report form with a row
// per indicator and a column per unit (Freeze keeps its labels in view).
func (b *Book) AddGrid(name string, title []string, cols []Column) (*Table, error) {
	return b.addSheet(name, title, cols, false)
}

// AddReport adds a sheet that opens with title lines (the first one large
// and bold), then a table whose header stays in view.
func (b *Book) AddReport(name string, title []string, cols []Column) (*Table, error) {
	return b.addSheet(name, title, cols, true)
}

func (b *Book) addSheet(name string, title []string, cols []Column, filter bool) (*Table, error) {
	if err := b.sheet(name); err != nil {
		return nil, err
	}
	head := 1
	if len(title) > 0 {
		head = len(title) + 2
		for i, line := range title {
			if err := b.f.SetCellStr(name, CellName(1, i+1), line); err != nil {
				return nil, err
			}
		}
		// The title's style goes on after the columns' (SetColStyle
		// restyles the cells a column already holds).
		defer func() {
			if big, err := b.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}); err == nil {
				b.f.SetCellStyle(name, "A1", "A1", big)
			}
		}()
	}
	s := &Table{b: b, name: name, cols: cols, head: head, last: head}
	hs, err := b.style(styleKey{header: true})
	if err != nil {
		return nil, err
	}
	for i, c := range cols {
		col := ColumnName(i + 1)
		if err := b.f.SetCellStr(name, CellName(i+1, head), c.Header); err != nil {
			return nil, err
		}
		w := c.Width
		if w == 0 {
			w = 14
		}
		if err := b.f.SetColWidth(name, col, col, w); err != nil {
			return nil, err
		}
		id, err := b.style(styleKey{format: c.Format})
		if err != nil {
			return nil, err
		}
		if err := b.f.SetColStyle(name, col, id); err != nil {
			return nil, err
		}
	}
	if len(cols) == 0 {
		return s, nil
	}
	last := CellName(len(cols), head)
	if err := b.f.SetCellStyle(name, CellName(1, head), last, hs); err != nil {
		return nil, err
	}
	if err := b.f.SetRowHeight(name, head, 32); err != nil {
		return nil, err
	}
	if filter {
		if err := b.f.AutoFilter(name, CellName(1, head)+":"+last, nil); err != nil {
			return nil, err
		}
	}
	below := CellName(1, head+1)
	err = b.f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: head, TopLeftCell: below, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: below, ActiveCell: below, Pane: "bottomLeft"}}})
	return s, err
}

// Name is the sheet's name.
func (s *Table) Name() string { return s.name }

// Last is the last row written (the header's when none is).
func (s *Table) Last() int { return s.last }

// Header is the header's row.
func (s *Table) Header() int { return s.head }

// Append writes a row after the last one; nil leaves a cell blank.
func (s *Table) Append(vals ...any) error {
	row := s.last + 1
	for i, v := range vals {
		if err := s.Set(i+1, row, v); err != nil {
			return err
		}
	}
	s.last = row
	return nil
}

// Set writes one cell. Strings are text; int and float64 numbers (float64
// pointers, nil for blank); ISODate and time.Time dates shown dd/mm/yyyy;
// bool TRUE/FALSE. A number is formatted by its column: grouped with its
// own decimals in NumberFmt and General columns, as a percentage in
// Percent ones, a whole amount in Money ones.
func (s *Table) Set(col, row int, v any) error {
	cell := CellName(col, row)
	f := s.b.f
	format := General
	if col <= len(s.cols) {
		format = s.cols[col-1].Format
	}
	s.last = max(s.last, row)
	styled := func(k styleKey) error {
		id, err := s.b.style(k)
		if err != nil {
			return err
		}
		return f.SetCellStyle(s.name, cell, cell, id)
	}
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		if v == "" {
			return nil
		}
		return f.SetCellStr(s.name, cell, v)
	case ISODate:
		t, err := time.Parse(time.DateOnly, string(v))
		if err != nil {
			return s.Set(col, row, string(v))
		}
		return s.Set(col, row, t)
	case time.Time:
		if err := f.SetCellValue(s.name, cell, v); err != nil {
			return err
		}
		return styled(styleKey{format: DateFmt})
	case bool:
		return f.SetCellBool(s.name, cell, v)
	case int:
		return s.Set(col, row, int64(v))
	case int64:
		if err := f.SetCellInt(s.name, cell, v); err != nil {
			return err
		}
		if format == NumberFmt || format == Money {
			return styled(styleKey{format: Money})
		}
		return nil
	case *float64:
		if v == nil {
			return nil
		}
		return s.Set(col, row, *v)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		if err := f.SetCellFloat(s.name, cell, v, -1, 64); err != nil {
			return err
		}
		switch format {
		case General, NumberFmt:
			return styled(styleKey{format: NumberFmt, decimals: decimals(v)})
		}
		return nil
	}
	return fmt.Errorf("xlsx: cannot write a %T", v)
}

// decimals is how many digits follow the point in v's shortest form.
func decimals(v float64) int {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if _, frac, ok := strings.Cut(s, "."); ok {
		return min(len(frac), 10)
	}
	return 0
}

// DropDown offers labels in the rows below the header down to last; Excel refuses
// anything else typed there (readers map a label back to its code with
// Choices). A short list is written into the rule itself, a long one (or
// one whose labels hold commas) on a hidden sheet.
func (s *Table) DropDown(col, last int, labels []string, prompt string) error {
	return s.DropDownAt(Range{Col1: col, Row1: s.head + 1, Col2: col, Row2: last}, labels, prompt)
}

// DropDownAt is DropDown over any range: a row of a grid (the yes/no
// answers of one indicator across units) or one cell (a form's period).
func (s *Table) DropDownAt(r Range, labels []string, prompt string) error {
	dv := excelize.NewDataValidation(true)
	dv.SetSqref(r.ref())
	inline := strings.Join(labels, ",")
	if utf16Len(inline) <= 255 && !strings.ContainsAny(strings.Join(labels, ""), `,"`) {
		if err := dv.SetDropList(labels); err != nil {
			return err
		}
	} else {
		ref, err := s.b.list(labels)
		if err != nil {
			return err
		}
		dv.SetSqrefDropList(ref)
	}
	msg := "Chọn một giá trị trong danh sách."
	if m := msg + " " + strings.Join(labels, "; "); utf16Len(m) <= 225 {
		msg = m
	}
	dv.SetError(excelize.DataValidationErrorStyleStop, "Giá trị không hợp lệ", msg)
	if prompt != "" {
		dv.SetInput("", clip(prompt, 255))
	}
	return s.b.f.AddDataValidation(s.name, dv)
}

// Hint shows a message when a cell of a column below the header (down to
// last) is selected.
func (s *Table) Hint(col, last int, title, msg string) error {
	return s.HintAt(Range{Col1: col, Row1: s.head + 1, Col2: col, Row2: last}, title, msg)
}

// HintAt is Hint over any range (the cells of one indicator's row).
func (s *Table) HintAt(r Range, title, msg string) error {
	dv := excelize.NewDataValidation(true)
	dv.SetSqref(r.ref())
	dv.SetInput(clip(title, 32), clip(msg, 255))
	return s.b.f.AddDataValidation(s.name, dv)
}

// Freeze keeps the columns left of col and the rows above row in view
// (Freeze(5, 9): columns A–D and rows 1–8), for a grid whose labels sit
// left of the values and whose header spans several rows.
func (s *Table) Freeze(col, row int) error {
	at := CellName(col, row)
	return s.b.f.SetPanes(s.name, &excelize.Panes{Freeze: true, XSplit: col - 1, YSplit: row - 1, TopLeftCell: at, ActivePane: "bottomRight",
		Selection: []excelize.Selection{{SQRef: at, ActiveCell: at, Pane: "bottomRight"}}})
}

// PrintWide sets the sheet to print landscape on A4, one page wide (as
// many pages down as it needs), so a grid of units prints whole.
func (s *Table) PrintWide() error {
	landscape, a4, one, any := "landscape", 9, 1, 0
	fit := true
	if err := s.b.f.SetSheetProps(s.name, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	return s.b.f.SetPageLayout(s.name, &excelize.PageLayoutOptions{Orientation: &landscape, Size: &a4, FitToWidth: &one, FitToHeight: &any})
}

// Height sets a row's height in points (a header of unit names that
// wraps over several lines).
func (s *Table) Height(row int, points float64) error {
	return s.b.f.SetRowHeight(s.name, row, points)
}

// Bold writes text in bold (a section's heading in a grid).
func (s *Table) Bold(col, row int, text string) error {
	if err := s.Set(col, row, text); err != nil {
		return err
	}
	id, err := s.b.style(styleKey{format: Label})
	if err != nil {
		return err
	}
	cell := CellName(col, row)
	return s.b.f.SetCellStyle(s.name, cell, cell, id)
}

// Formula writes a formula (without the leading "="), in the file's own
// notation: commas between arguments, English function names. The file
// holds no result: Excel and LibreOffice compute it on opening, and a
// reader sees the cell as Uncached until one of them saved it.
func (s *Table) Formula(col, row int, formula string) error {
	s.last = max(s.last, row)
	return s.b.f.SetCellFormula(s.name, CellName(col, row), formula)
}

// ref is a range as a rule names it: "C3" for one cell, "E10:X10".
func (r Range) ref() string {
	if r.Col1 == r.Col2 && r.Row1 == r.Row2 {
		return CellName(r.Col1, r.Row1)
	}
	return r.String()
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

func clip(s string, n int) string {
	r := []rune(s)
	for utf16Len(string(r)) > n {
		r = r[:len(r)-1]
	}
	return string(r)
}

// list writes labels in a column of the hidden list sheet and returns the
// reference a drop-down takes.
func (b *Book) list(labels []string) (string, error) {
	if b.lists == 0 {
		if _, err := b.f.NewSheet(listSheet); err != nil {
			return "", err
		}
		if err := b.f.SetSheetVisible(listSheet, false); err != nil {
			return "", err
		}
	}
	b.lists++
	col := ColumnName(b.lists)
	for i, l := range labels {
		if err := b.f.SetCellStr(listSheet, CellName(b.lists, i+1), l); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("'%s'!$%s$1:$%s$%d", listSheet, col, col, max(len(labels), 1)), nil
}

// Guide is the «Hướng dẫn» sheet: a title, paragraphs, and tables of
// columns and allowed values.
type Guide struct {
	b   *Book
	row int
}

// AddGuide adds the instructions sheet with its title.
func (b *Book) AddGuide(title string) (*Guide, error) {
	if err := b.sheet(GuideSheet); err != nil {
		return nil, err
	}
	for col, w := range map[string]float64{"A": 16, "B": 28, "C": 70, "D": 10, "E": 36} {
		if err := b.f.SetColWidth(GuideSheet, col, col, w); err != nil {
			return nil, err
		}
	}
	g := &Guide{b: b, row: 1}
	st, err := b.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return nil, err
	}
	b.f.SetCellStr(GuideSheet, "A1", title)
	b.f.SetCellStyle(GuideSheet, "A1", "A1", st)
	g.row = 3
	return g, nil
}

// Paragraph writes a line of text across the sheet's width.
func (g *Guide) Paragraph(text string) error {
	f, from, to := g.b.f, CellName(1, g.row), CellName(5, g.row)
	wrap, err := g.b.style(styleKey{format: General})
	if err != nil {
		return err
	}
	if err := f.SetCellStr(GuideSheet, from, text); err != nil {
		return err
	}
	if err := f.MergeCell(GuideSheet, from, to); err != nil {
		return err
	}
	if err := f.SetCellStyle(GuideSheet, from, to, wrap); err != nil {
		return err
	}
	if err := f.SetRowHeight(GuideSheet, g.row, float64(16*(1+utf16Len(text)/150))); err != nil {
		return err
	}
	g.row++
	return nil
}

// Table writes a bold title, a header row and rows of text, then a blank
// line.
func (g *Guide) Table(title string, head []string, rows [][]string) error {
	f := g.b.f
	bold, err := g.b.style(styleKey{format: Label})
	if err != nil {
		return err
	}
	head1, err := g.b.style(styleKey{header: true})
	if err != nil {
		return err
	}
	wrap, err := g.b.style(styleKey{format: General})
	if err != nil {
		return err
	}
	if title != "" {
		f.SetCellStr(GuideSheet, CellName(1, g.row), title)
		f.SetCellStyle(GuideSheet, CellName(1, g.row), CellName(1, g.row), bold)
		g.row++
	}
	for i, h := range head {
		f.SetCellStr(GuideSheet, CellName(i+1, g.row), h)
	}
	if len(head) > 0 {
		f.SetCellStyle(GuideSheet, CellName(1, g.row), CellName(len(head), g.row), head1)
		g.row++
	}
	first := g.row
	for _, r := range rows {
		for i, v := range r {
			if v != "" {
				if err := f.SetCellStr(GuideSheet, CellName(i+1, g.row), v); err != nil {
					return err
				}
			}
		}
		g.row++
	}
	if len(rows) > 0 {
		if err := f.SetCellStyle(GuideSheet, CellName(1, first), CellName(max(len(head), 1), g.row-1), wrap); err != nil {
			return err
		}
	}
	g.row++
	return nil
}
