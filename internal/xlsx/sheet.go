package xlsx

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
)

// Sheet is one worksheet read into memory (within the limits), with the
// problems its typed accessors found.
type Sheet struct {
	Name   string
	rows   [][]Cell // rows[r-1][c-1]
	merges []Range
	errs   []errs.Field
}

func (s *Sheet) put(col, row int, c Cell) {
	for len(s.rows) < row {
		s.rows = append(s.rows, nil)
	}
	r := s.rows[row-1]
	for len(r) < col {
		r = append(r, Cell{})
	}
	r[col-1] = c
	s.rows[row-1] = r
}

// Rows is the last row holding a value.
func (s *Sheet) Rows() int { return len(s.rows) }

// Cols is the last column of row holding a value.
func (s *Sheet) Cols(row int) int {
	if row < 1 || row > len(s.rows) {
		return 0
	}
	return len(s.rows[row-1])
}

// At is the cell at (col, row), Blank outside the values.
func (s *Sheet) At(col, row int) Cell {
	if row < 1 || row > len(s.rows) || col < 1 || col > len(s.rows[row-1]) {
		return Cell{}
	}
	return s.rows[row-1][col-1]
}

// Ref names a cell for messages: "Nhiệm vụ!F6".
func (s *Sheet) Ref(col, row int) string { return s.Name + "!" + CellName(col, row) }

// Merges are the merged regions of the sheet.
func (s *Sheet) Merges() []Range { return s.merges }

// Errors are the problems found so far, in the order found.
func (s *Sheet) Errors() []errs.Field { return s.errs }

// Fail records a problem at a cell; label is its column's header.
func (s *Sheet) Fail(col, row int, label, code string, args ...any) {
	s.errs = append(s.errs, errs.Field{Name: s.Ref(col, row), Code: code, Args: args, Column: label})
}

// Text is the cell's value as text, trimmed; a formula's error value or
// missing result is a problem.
func (s *Sheet) Text(col, row int, label string) string {
	c := s.At(col, row)
	switch c.Kind {
	case Error:
		s.Fail(col, row, label, "xlsx_formula_error", c.Str)
		return ""
	case Uncached:
		s.Fail(col, row, label, "xlsx_formula_uncached")
		return ""
	}
	return strings.TrimSpace(c.String())
}

// Number reads a number: numeric cells as they are (a percentage as shown,
// 55% is 55), text the Vietnamese way (ParseNumber). ok is false for a
// blank cell and for a problem, which is recorded.
func (s *Sheet) Number(col, row int, label string) (float64, bool) {
	c := s.At(col, row)
	switch c.Kind {
	case Blank:
		return 0, false
	case Number:
		if c.Pct {
			return roundPct(c.Num * 100), true
		}
		return c.Num, true
	case Text:
		if c.IsBlank() {
			return 0, false
		}
		f, err := ParseNumber(c.Str)
		switch err {
		case nil:
			return f, true
		case ErrAmbiguous:
			s.Fail(col, row, label, "xlsx_ambiguous_number", strings.TrimSpace(c.Str))
		default:
			s.Fail(col, row, label, "xlsx_number", strings.TrimSpace(c.Str))
		}
		return 0, false
	case Error, Uncached:
		s.Text(col, row, label)
		return 0, false
	}
	// A date here is often a number Excel took for one: 1.5 typed as 1 May.
	s.Fail(col, row, label, "xlsx_number", c.String())
	return 0, false
}

// Decimal reads a number as Number does, and also takes a text whose one
// point cannot group thousands as a decimal point: 12.5, 0.25, 1234.5 —
// figures officials type either way into a form. 1.500 stays one thousand
// five hundred (the Vietnamese reading) and 1,500 is still refused as
// ambiguous.
func (s *Sheet) Decimal(col, row int, label string) (float64, bool) {
	c := s.At(col, row)
	if c.Kind == Text && !c.IsBlank() {
		if f, err := ParseDecimal(c.Str); err == nil {
			return f, true
		}
	}
	return s.Number(col, row, label)
}

// ParseDecimal is ParseNumber that takes a single point before other than
// three digits, or after more than three, as a decimal point (12.5,
// 1234.567), where ParseNumber finds them ambiguous.
func ParseDecimal(s string) (float64, error) {
	f, err := ParseNumber(s)
	if err != ErrAmbiguous {
		return f, err
	}
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	t = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(t, "-"), "−"), "+")
	whole, frac, ok := strings.Cut(t, ".")
	if !ok || whole == "" || frac == "" || strings.Trim(whole+frac, "0123456789") != "" || len(whole) <= 3 && len(frac) == 3 {
		return 0, ErrAmbiguous
	}
	return ParseNumber(strings.Replace(s, ".", ",", 1))
}

// roundPct undoes the binary noise of ×100 (0.07 × 100 = 7.000000000000001).
func roundPct(f float64) float64 { return math.Round(f*1e9) / 1e9 }

// Year reads a four-digit year.
func (s *Sheet) Year(col, row int, label string) (int, bool) {
	c := s.At(col, row)
	if c.IsBlank() {
		return 0, false
	}
	if c.Kind == Error || c.Kind == Uncached {
		s.Text(col, row, label)
		return 0, false
	}
	var f float64
	var err error
	switch c.Kind {
	case Number:
		f = c.Num
	case Text:
		f, err = ParseNumber(c.Str)
	default:
		err = ErrNotNumber
	}
	if err != nil || c.Pct || f != math.Trunc(f) || f < 1000 || f > 9999 {
		s.Fail(col, row, label, "xlsx_year", strings.TrimSpace(c.String()))
		return 0, false
	}
	return int(f), true
}

// Date reads a date as ISO (2022-06-22): a date cell, or text written
// dd/mm/yyyy (or yyyy-mm-dd). A plain number is not taken for a serial:
// 2022 in a date column is a mistake, not 14/07/1905.
func (s *Sheet) Date(col, row int, label string) (string, bool) {
	c := s.At(col, row)
	switch c.Kind {
	case Blank:
		return "", false
	case Date:
		if t, ok := serialTime(c.Num); ok {
			return t.Format(time.DateOnly), true
		}
	case Text:
		if c.IsBlank() {
			return "", false
		}
		if iso, ok := ParseDate(c.Str); ok {
			return iso, true
		}
	case Error, Uncached:
		s.Text(col, row, label)
		return "", false
	}
	s.Fail(col, row, label, "xlsx_date", strings.TrimSpace(c.String()))
	return "", false
}

// Choice reads one of choices by code, label or alias. A value that is
// none of them is a problem naming the labels, and is returned as written.
func (s *Sheet) Choice(col, row int, label string, choices *Choices) string {
	v := s.Text(col, row, label)
	if v == "" {
		return ""
	}
	if code, ok := choices.Code(v); ok {
		return code
	}
	s.Fail(col, row, label, "xlsx_choice", v, strings.Join(choices.Labels(), "; "))
	return v
}

// MergeRule says what a merged region may do in a column.
type MergeRule uint8

const (
	Ignore MergeRule = iota // the column is not read
	Refuse                  // each row needs its own value (keys, amounts): a region covering rows is refused
	Apply                   // the region's value applies to every cell it covers (a lead unit over several tasks)
)

// ApplyMerges gives the cells of each merged region from row first down
// the region's value, or refuses the region naming its range when it
// covers a cell of a Refuse column (beyond its own first cell) — never a
// silently blank cell. rule tells each column's rule and header. Regions
// above first (headers) are left alone; one reaching from above first into
// the data is refused in every column read, as a header is no value.
func (s *Sheet) ApplyMerges(first int, rule func(col int) (MergeRule, string)) {
	for _, m := range s.merges {
		if m.Row2 < first {
			continue
		}
		v := s.At(m.Col1, m.Row1)
		refused := ""
		var covered [][2]int
		for r := max(m.Row1, first); r <= m.Row2; r++ {
			for c := m.Col1; c <= m.Col2; c++ {
				rl, label := rule(c)
				if c == m.Col1 && r == m.Row1 || rl == Ignore {
					continue
				}
				if (rl == Refuse || m.Row1 < first) && refused == "" {
					refused = label
					if refused == "" {
						refused = ColumnName(c)
					}
				}
				covered = append(covered, [2]int{c, r})
			}
		}
		if refused != "" && !v.IsBlank() {
			s.errs = append(s.errs, errs.Field{Name: s.Name + "!" + m.String(), Code: "xlsx_merged", Column: refused})
			continue
		}
		// Excel shows the region's value in every covered cell (a blank
		// one clears what a careless writer left under it).
		for _, at := range covered {
			if !v.IsBlank() || at[0] <= s.Cols(at[1]) {
				s.put(at[0], at[1], v)
			}
		}
	}
}

// ErrNotNumber and ErrAmbiguous are why ParseNumber refused a text.
var (
	ErrNotNumber = fmt.Errorf("xlsx: not a number")
	ErrAmbiguous = fmt.Errorf("xlsx: ambiguous number")
)

// ParseNumber reads a number typed as text the Vietnamese way: "." groups
// thousands and "," starts the decimals. 1.500 is one thousand five
// hundred, 1,5 is one and a half, 1.500.000,25 is fine; spaces may group
// thousands and a trailing % is dropped (55% is 55). A text an English
// reader would take for another number — 1,500 (1.5 or 1500?), 1.5,
// 1,234.5 — is ErrAmbiguous rather than a guess.
func ParseNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "\u2009", "").Replace(s)
	neg := false
	switch {
	case strings.HasPrefix(s, "-"), strings.HasPrefix(s, "−"):
		neg = true
		s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "−")
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if s == "" || strings.Trim(s, "0123456789.,") != "" {
		return 0, ErrNotNumber
	}
	whole, frac, hasComma := strings.Cut(s, ",")
	switch {
	case strings.Contains(frac, ","):
		if englishGroups(s, ",") {
			return 0, ErrAmbiguous // 1,500,000
		}
		return 0, ErrNotNumber
	case strings.Contains(frac, "."):
		return 0, ErrAmbiguous // 1,234.5
	case hasComma && frac == "":
		return 0, ErrNotNumber
	case hasComma && !strings.Contains(whole, ".") && len(frac) == 3 && len(whole) <= 3 && whole != "" && whole != "0":
		return 0, ErrAmbiguous // 1,500: 1.5 here, 1500 to an English reader
	}
	if strings.Contains(whole, ".") {
		if !vietGroups(whole) {
			if !hasComma && strings.Count(whole, ".") == 1 {
				return 0, ErrAmbiguous // 1.5, 87.4
			}
			return 0, ErrNotNumber
		}
		whole = strings.ReplaceAll(whole, ".", "")
	}
	if whole == "" {
		whole = "0"
	}
	num := whole
	if hasComma {
		num += "." + frac
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, ErrNotNumber
	}
	if neg {
		f = -f
	}
	return f, nil
}

// vietGroups: 1–3 digits, then groups of exactly three after each dot.
func vietGroups(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts[0]) < 1 || len(parts[0]) > 3 {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) != 3 {
			return false
		}
	}
	return true
}

func englishGroups(s, sep string) bool {
	whole, _, _ := strings.Cut(s, ".")
	return vietGroups(strings.ReplaceAll(whole, sep, "."))
}

var (
	dmyDate = regexp.MustCompile(`^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$`)
	isoDate = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$`)
)

// ParseDate reads a date typed as text: dd/mm/yyyy (also with "-" or ".",
// and one-digit day or month) or yyyy-mm-dd, and returns it as ISO. A day
// that does not exist (31/02/2022) is refused.
func ParseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	var y, m, d string
	if mm := dmyDate.FindStringSubmatch(s); mm != nil {
		d, m, y = mm[1], mm[2], mm[3]
	} else if mm := isoDate.FindStringSubmatch(s); mm != nil {
		y, m, d = mm[1], mm[2], mm[3]
	} else {
		return "", false
	}
	iso := fmt.Sprintf("%s-%02s-%02s", y, m, d)
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil || t.Format(time.DateOnly) != iso {
		return "", false
	}
	return iso, true
}
