package report

import (
	"strconv"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
)

// PeriodType is the length of a reporting period (kỳ báo cáo). Its String
// is DHIS2's PeriodTypeEnum name where DHIS2 has one, so a form's period
// type reads the same in tinhso's API and in a DHIS2 client's metadata.
type PeriodType int

const (
	// Weekly is an ISO 8601 week, Monday to Sunday, identified 2023W5
	// (DHIS2's Weekly). The year is the ISO week-numbering year, so
	// 2021W52 ends on 2 January 2022 and 2020W53 exists.
	Weekly PeriodType = iota + 1
	// Monthly is a calendar month, 202301 (also read as 2023-01).
	Monthly
	// Quarterly is a calendar quarter, 2023Q1.
	Quarterly
	// SixMonthly is a calendar half year, 2023S1 (January–June) and
	// 2023S2 (July–December).
	SixMonthly
	// NineMonthly is Vietnam's "báo cáo 9 tháng", January to September.
	// DHIS2 has no such period type; tinhso identifies it 2023NM ("nine
	// months"), a form that matches none of DHIS2's patterns (its N-prefixed
	// types read 2023Nov, 2023NovQ1, 2023NovS1), so it cannot be mistaken
	// for a DHIS2 period. A DHIS2 exchange of such a report has to map it,
	// e.g. to the Yearly period with the September cut-off.
	NineMonthly
	// Yearly is a calendar year, 2023.
	Yearly
)

// PeriodTypes lists the types from the shortest to the longest.
func PeriodTypes() []PeriodType {
	return []PeriodType{Weekly, Monthly, Quarterly, SixMonthly, NineMonthly, Yearly}
}

// String is the type's name: DHIS2's for the types it shares.
func (t PeriodType) String() string {
	switch t {
	case Weekly:
		return "Weekly"
	case Monthly:
		return "Monthly"
	case Quarterly:
		return "Quarterly"
	case SixMonthly:
		return "SixMonthly"
	case NineMonthly:
		return "NineMonthly"
	case Yearly:
		return "Yearly"
	}
	return "PeriodType(" + strconv.Itoa(int(t)) + ")"
}

// ParsePeriodType reads a type's name as String writes it.
func ParsePeriodType(s string) (PeriodType, error) {
	for _, t := range PeriodTypes() {
		if t.String() == s {
			return t, nil
		}
	}
	return 0, invalidPeriod("periodType", "report.period_type", s)
}

// Label is the type's name for a person: "Hằng quý" / "Quarterly".
func (t PeriodType) Label(l locale.Lang) string {
	return locale.T(l, "report.period_type."+t.String())
}

// Period is one reporting period: a type, a year and the number of the
// period in the year (the month, quarter, half or ISO week; 1 for a year
// and for nine months). The zero Period is not a period. Periods are
// comparable values and can key a map.
type Period struct {
	typ  PeriodType
	year int
	n    int
}

// MinYear and MaxYear bound the years ParsePeriod accepts: DHIS2 writes
// four digits, and a report before 1900 is a typing mistake.
const (
	MinYear = 1900
	MaxYear = 9999
)

// NewPeriod builds a period from its parts, checking them as ParsePeriod
// does: n is the month (1–12), quarter (1–4), half (1–2) or ISO week, and
// 1 for NineMonthly and Yearly.
func NewPeriod(t PeriodType, year, n int) (Period, error) {
	p := Period{typ: t, year: year, n: n}
	if code := p.check(); code != "" {
		return Period{}, invalidPeriod("period", code, p.String())
	}
	return p, nil
}

// check names what is wrong with p, "" when nothing is.
func (p Period) check() string {
	if p.year < MinYear || p.year > MaxYear {
		return "report.period_year"
	}
	switch p.typ {
	case Weekly:
		if p.n < 1 || p.n > isoWeeks(p.year) {
			return "report.period_week"
		}
	case Monthly:
		if p.n < 1 || p.n > 12 {
			return "report.period_month"
		}
	case Quarterly:
		if p.n < 1 || p.n > 4 {
			return "report.period_quarter"
		}
	case SixMonthly:
		if p.n < 1 || p.n > 2 {
			return "report.period_half"
		}
	case NineMonthly, Yearly:
		if p.n != 1 {
			return "report.period_format"
		}
	default:
		return "report.period_type"
	}
	return ""
}

// invalidPeriod is the validation error naming the bad input; the message
// is the catalogue's "invalid.<code>" with the input as its argument.
func invalidPeriod(field, code, input string) *errs.Error {
	return errs.Invalid(errs.Field{Name: field, Code: code, Args: []any{input}, Context: "report"})
}

// ParsePeriod reads a period identifier in DHIS2 notation: 2023W5 (or
// 2023W05), 202301 (or 2023-01), 2023Q1, 2023S1, 2023 and tinhso's 2023NM.
// It is strict: 2023Q5, 202313, 2023S3, 2023W54, 2023Q01, " 2023" and
// lower-case letters are refused, with an *errs.Error whose field "period"
// says which part is wrong (format, month, quarter, half, week or year).
func ParsePeriod(s string) (Period, error) {
	if len(s) < 4 || !digits(s[:4]) {
		return Period{}, invalidPeriod("period", "report.period_format", s)
	}
	year, _ := strconv.Atoi(s[:4])
	rest := s[4:]
	var p Period
	switch {
	case rest == "":
		p = Period{Yearly, year, 1}
	case rest == "NM":
		p = Period{NineMonthly, year, 1}
	case len(rest) == 2 && digits(rest):
		p = Period{Monthly, year, atoi(rest)}
	case len(rest) == 3 && rest[0] == '-' && digits(rest[1:]):
		p = Period{Monthly, year, atoi(rest[1:])}
	case len(rest) == 2 && rest[0] == 'Q' && digits(rest[1:]):
		p = Period{Quarterly, year, atoi(rest[1:])}
	case len(rest) == 2 && rest[0] == 'S' && digits(rest[1:]):
		p = Period{SixMonthly, year, atoi(rest[1:])}
	case (len(rest) == 2 || len(rest) == 3) && rest[0] == 'W' && digits(rest[1:]):
		p = Period{Weekly, year, atoi(rest[1:])}
	default:
		return Period{}, invalidPeriod("period", "report.period_format", s)
	}
	if code := p.check(); code != "" {
		return Period{}, invalidPeriod("period", code, s)
	}
	return p, nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// String is the period's identifier in DHIS2 notation (its canonical
// form: 202301, 2023W5), which ParsePeriod reads back to the same Period.
func (p Period) String() string {
	y := strconv.Itoa(p.year)
	switch p.typ {
	case Weekly:
		return y + "W" + strconv.Itoa(p.n)
	case Monthly:
		if p.n < 10 {
			return y + "0" + strconv.Itoa(p.n)
		}
		return y + strconv.Itoa(p.n)
	case Quarterly:
		return y + "Q" + strconv.Itoa(p.n)
	case SixMonthly:
		return y + "S" + strconv.Itoa(p.n)
	case NineMonthly:
		return y + "NM"
	case Yearly:
		return y
	}
	return ""
}

// IsZero reports whether p is the zero Period (no period).
func (p Period) IsZero() bool { return p.typ == 0 }

// Type is the period's type.
func (p Period) Type() PeriodType { return p.typ }

// Year is the period's year (the ISO week-numbering year for a week).
func (p Period) Year() int { return p.year }

// Number is the month, quarter, half or week in the year; 1 for a year
// and for nine months.
func (p Period) Number() int { return p.n }

// date is a civil date as a time.Time at midnight UTC: periods and cut-offs
// are days, not instants, and UTC keeps the arithmetic free of zones.
func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Day is the civil date of t (read in t's own location) as the package
// represents dates: midnight UTC.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return date(y, m, d)
}

// isoWeek1 is the Monday of ISO week 1 of year y: the week holding 4
// January.
func isoWeek1(y int) time.Time {
	jan4 := date(y, time.January, 4)
	return jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
}

// isoWeeks is the number of ISO weeks in year y (52 or 53).
func isoWeeks(y int) int {
	_, w := date(y, time.December, 28).ISOWeek() // 28 December is always in the last week
	return w
}

// Start is the period's first calendar day (midnight UTC).
func (p Period) Start() time.Time {
	switch p.typ {
	case Weekly:
		return isoWeek1(p.year).AddDate(0, 0, 7*(p.n-1))
	case Monthly:
		return date(p.year, time.Month(p.n), 1)
	case Quarterly:
		return date(p.year, time.Month(3*p.n-2), 1)
	case SixMonthly:
		return date(p.year, time.Month(6*p.n-5), 1)
	}
	return date(p.year, time.January, 1)
}

// End is the period's last calendar day (midnight UTC; the period includes
// the whole day).
func (p Period) End() time.Time {
	switch p.typ {
	case Weekly:
		return p.Start().AddDate(0, 0, 6)
	case Monthly:
		return date(p.year, time.Month(p.n)+1, 0)
	case Quarterly:
		return date(p.year, time.Month(3*p.n)+1, 0)
	case SixMonthly:
		return date(p.year, time.Month(6*p.n)+1, 0)
	case NineMonthly:
		return date(p.year, time.September, 30)
	}
	return date(p.year, time.December, 31)
}

// Contains reports whether the civil date of t (in t's location) lies in
// the period's calendar span.
func (p Period) Contains(t time.Time) bool {
	d := Day(t)
	return !d.Before(p.Start()) && !d.After(p.End())
}

// Next is the period that follows p. Nine months follow nine months a year
// later (they are a year-to-date period, not a tiling of the year). Past
// MaxYear the result has no identifier ParsePeriod reads.
func (p Period) Next() Period { return p.shift(1) }

// Prev is the period before p.
func (p Period) Prev() Period { return p.shift(-1) }

func (p Period) shift(k int) Period {
	switch p.typ {
	case Weekly:
		return PeriodOf(Weekly, p.Start().AddDate(0, 0, 7*k))
	case Monthly, Quarterly, SixMonthly:
		per := map[PeriodType]int{Monthly: 12, Quarterly: 4, SixMonthly: 2}[p.typ]
		i := p.year*per + p.n - 1 + k
		return Period{p.typ, floorDiv(i, per), i - floorDiv(i, per)*per + 1}
	}
	return Period{p.typ, p.year + k, 1}
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// PeriodOf is the period of type t whose calendar span holds the civil date
// of d. For NineMonthly it is the year's nine months, even for a date in
// October–December, which no nine-month period contains: callers that
// care check Contains.
func PeriodOf(t PeriodType, d time.Time) Period {
	d = Day(d)
	y, m := d.Year(), int(d.Month())
	switch t {
	case Weekly:
		wy, w := d.ISOWeek()
		return Period{Weekly, wy, w}
	case Monthly:
		return Period{Monthly, y, m}
	case Quarterly:
		return Period{Quarterly, y, (m + 2) / 3}
	case SixMonthly:
		return Period{SixMonthly, y, (m + 5) / 6}
	}
	return Period{t, y, 1}
}

// Overlapping lists, in order, the periods of type t whose calendar spans
// overlap the days from..to (both included; swapped if given backwards).
// Nine-month periods are listed when their January–September span
// overlaps.
func Overlapping(t PeriodType, from, to time.Time) []Period {
	from, to = Day(from), Day(to)
	if to.Before(from) {
		from, to = to, from
	}
	var ps []Period
	for p := PeriodOf(t, from); !p.Start().After(to); p = p.Next() {
		if !p.End().Before(from) {
			ps = append(ps, p)
		}
	}
	return ps
}

// Within is the period of type t that p rolls up into: the quarter, half,
// nine months or year a month belongs to, the year of a quarter. ok is
// false when p does not lie wholly inside one period of t: a type shorter
// than p's, a week across two months, a quarter or month of the fourth
// quarter for NineMonthly. A period is within its own type.
func (p Period) Within(t PeriodType) (Period, bool) {
	if p.IsZero() {
		return Period{}, false
	}
	q := PeriodOf(t, p.Start())
	if q.Start().After(p.Start()) || q.End().Before(p.End()) {
		return Period{}, false
	}
	return q, true
}

// Parts lists the periods of type t that make up p, in order: the months
// of a quarter, the quarters of a year, the months of nine months. It is
// nil when periods of t do not tile p exactly (weeks in a month, or t
// longer than p).
func (p Period) Parts(t PeriodType) []Period {
	if p.IsZero() || t == Weekly && p.typ != Weekly {
		return nil
	}
	ps := Overlapping(t, p.Start(), p.End())
	if len(ps) == 0 || !ps[0].Start().Equal(p.Start()) || !ps[len(ps)-1].End().Equal(p.End()) {
		return nil
	}
	if t == NineMonthly && p.typ != NineMonthly {
		return nil
	}
	return ps
}

// Months lists the months of p (of a quarter: three).
func (p Period) Months() []Period { return p.Parts(Monthly) }

// CutOff is the span of days whose data the period's report covers, as
// Nghị định 09/2019/NĐ-CP, Article 12 (thời gian chốt số liệu) sets it —
// different from the calendar span that DHIS2 exchanges:
//   - a month: from the 15th of the previous month to the 14th of the
//     month, so January's window opens on 15 December of the previous
//     year;
//   - a quarter: from the 15th of the month before the quarter to the 14th
//     of its last month (Q1 2023: 15/12/2022–14/03/2023);
//   - six months: the decree sets the first half only, 15 December of the
//     previous year to 14 June; the second half is taken as 15 June to 14
//     December, so that the two halves tile the year's window;
//   - nine months: 15 December of the previous year to 14 September;
//   - a year: 15 December of the previous year to 14 December.
//
// A week has no rule in the decree; its cut-off is its calendar span. Both
// ends are included (the to day is a whole day of data).
func (p Period) CutOff() (from, to time.Time) {
	switch p.typ {
	case Monthly, Quarterly, SixMonthly:
		first, last := p.Start(), p.End() // first and last month of the span
		return date(first.Year(), first.Month()-1, 15), date(last.Year(), last.Month(), 14)
	case NineMonthly:
		return date(p.year-1, time.December, 15), date(p.year, time.September, 14)
	case Yearly:
		return date(p.year-1, time.December, 15), date(p.year, time.December, 14)
	}
	return p.Start(), p.End()
}

// InCutOff reports whether data dated t (its civil date) fall in the
// period's cut-off window.
func (p Period) InCutOff(t time.Time) bool {
	from, to := p.CutOff()
	d := Day(t)
	return !d.Before(from) && !d.After(to)
}

// roman is a quarter's numeral as Vietnamese writes it (Quý I … Quý IV).
func roman(q int) string {
	return [...]string{"I", "II", "III", "IV"}[q-1]
}

// Label is the period as a person reads it, from the catalogues: "Tháng
// 01/2023", "Quý I/2023", "6 tháng đầu năm 2023", "9 tháng năm 2023",
// "Năm 2023"; in English "January 2023", "Q1 2023", "First half of 2023",
// "Nine months of 2023", "2023".
func (p Period) Label(l locale.Lang) string {
	switch p.typ {
	case Weekly:
		return locale.T(l, "report.period.weekly", p.n, p.year, locale.Date(l, p.Start().Add(12*time.Hour)), locale.Date(l, p.End().Add(12*time.Hour)))
	case Monthly:
		return locale.T(l, "report.period.monthly", p.n, time.Month(p.n).String(), p.year)
	case Quarterly:
		return locale.T(l, "report.period.quarterly", roman(p.n), p.n, p.year)
	case SixMonthly:
		return locale.T(l, "report.period.six_monthly."+strconv.Itoa(p.n), p.year)
	case NineMonthly:
		return locale.T(l, "report.period.nine_monthly", p.year)
	case Yearly:
		return locale.T(l, "report.period.yearly", p.year)
	}
	return ""
}

// MarshalText writes the period's identifier, so a Period is a JSON string
// ("2023Q1") in the API and in DHIS2 payloads. The zero Period is "".
func (p Period) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads an identifier as ParsePeriod does; "" is the zero
// Period (no period given), which callers that need one must refuse.
func (p *Period) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*p = Period{}
		return nil
	}
	q, err := ParsePeriod(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// Compare orders periods by their start day, then the shorter first (202301
// before 2023Q1 before 2023): -1, 0 or +1, for slices.SortFunc.
func (p Period) Compare(q Period) int {
	if c := p.Start().Compare(q.Start()); c != 0 {
		return c
	}
	switch {
	case p.End().Before(q.End()):
		return -1
	case p.End().After(q.End()):
		return 1
	}
	return 0
}
