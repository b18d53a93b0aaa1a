package report

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
)

// Year holds what the law cannot compute for one year: the days that
// follow the lunar calendar or the Prime Minister's yearly announcement.
// The solar holidays (1/1, 30/4, 1/5, 2/9) and the compensatory days for
// holidays that fall on a weekend (Bộ luật Lao động 2019, Art. 112.3) are
// computed from the year alone. All dates are civil dates (see Day).
type Year struct {
	Year int
	// TetFrom and TetTo are the first and last days off for Tết Nguyên
	// đán as announced for officials, both included. They already hold
	// the weekends and compensatory days, which are not computed again.
	TetFrom, TetTo time.Time
	// HungKings is Giỗ Tổ Hùng Vương (10/3 lunar) in the solar calendar.
	HungKings time.Time
	// NationalDayAdjacent is the day before or after Quốc khánh 2/9 that
	// the Labour Code adds and the Prime Minister chooses each year; zero
	// means the default rule (see nationalDayAdjacent).
	NationalDayAdjacent time.Time
	// Swaps move a working day: the Off weekday is not worked, the Work
	// weekend day is (hoán đổi ngày làm việc, làm bù).
	Swaps []Swap
	// DaysOff are any other days off the government announces.
	DaysOff []time.Time
}

// Swap is one announced exchange of a working day for a weekend day.
type Swap struct{ Off, Work time.Time }

// Calendar tells working days from days off for state bodies: Saturdays
// and Sundays, the public holidays and their compensatory days, and the
// years' announced Tết days and swaps. Build one with NewCalendar or
// DefaultCalendar; it is immutable and safe for concurrent use.
//
// A year the calendar has no Year for still has its solar holidays, but
// not Tết nor Giỗ Tổ: Covers tells, and Deadline refuses to count through
// such a year rather than give a date that ignores Tết.
type Calendar struct {
	years map[int]Year
	off   map[time.Time]string // day → catalogue key of the reason
	work  map[time.Time]bool   // weekend days worked (làm bù)
}

// Catalogue keys of the reasons a day is not a working day.
const (
	ReasonWeekend      = "report.holiday.weekend"
	ReasonNewYear      = "report.holiday.new_year"
	ReasonTet          = "report.holiday.tet"
	ReasonHungKings    = "report.holiday.hung_kings"
	ReasonReunion      = "report.holiday.reunification"
	ReasonLabour       = "report.holiday.labour"
	ReasonNationalDay  = "report.holiday.national_day"
	ReasonCompensatory = "report.holiday.compensatory"
	ReasonSwap         = "report.holiday.swap"
	ReasonAnnounced    = "report.holiday.announced"
)

//go:embed calendar_vn.txt
var vietnamYears string

// DefaultCalendar is the calendar built from the years tinhso ships
// (calendar_vn.txt: 2021–2026, with how sure each year is). An operator
// adds or corrects years with With.
func DefaultCalendar() *Calendar {
	years, err := ParseYears(strings.NewReader(vietnamYears))
	if err != nil {
		panic("report: calendar_vn.txt: " + err.Error()) // a test parses it
	}
	c, err := NewCalendar(years...)
	if err != nil {
		panic("report: calendar_vn.txt: " + err.Error())
	}
	return c
}

// NewCalendar builds a calendar from the given years (a later Year for the
// same year replaces an earlier one). It refuses a Year whose dates lie
// outside it, a Tết span backwards or longer than 15 days, and a swap whose
// Off day is not a weekday or whose Work day is not a weekend day.
func NewCalendar(years ...Year) (*Calendar, error) {
	c := &Calendar{years: map[int]Year{}, off: map[time.Time]string{}, work: map[time.Time]bool{}}
	for _, y := range years {
		if err := y.check(); err != nil {
			return nil, err
		}
		c.years[y.Year] = y
	}
	for _, y := range c.years {
		off, work := y.days()
		for d, k := range off {
			c.off[d] = k
		}
		for d := range work {
			c.work[d] = true
		}
	}
	return c, nil
}

// With is a new calendar with the given years added or replacing c's.
func (c *Calendar) With(years ...Year) (*Calendar, error) {
	all := make([]Year, 0, len(c.years)+len(years))
	for _, y := range c.years {
		all = append(all, y)
	}
	return NewCalendar(append(all, years...)...)
}

// CalendarFile is the default calendar with the years of the file at path
// (calendar_vn.txt's format) added or replacing its own: how an operator
// adds a year once its holidays are announced (--calendar).
func CalendarFile(path string) (*Calendar, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	years, err := ParseYears(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return DefaultCalendar().With(years...)
}

// Covers reports whether the calendar holds the lunar holidays of year y.
func (c *Calendar) Covers(y int) bool { _, ok := c.years[y]; return ok }

// Years lists the years the calendar covers, in order.
func (c *Calendar) Years() []int {
	ys := make([]int, 0, len(c.years))
	for y := range c.years {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	return ys
}

func (y Year) check() error {
	bad := func(field string, d time.Time) error {
		return errs.Invalid(errs.Field{Name: field, Code: "report.calendar_date", Args: []any{d.Format(time.DateOnly), y.Year}, Context: "report"})
	}
	in := func(d time.Time) bool { return d.IsZero() || Day(d).Year() == y.Year }
	if y.Year < MinYear || y.Year > MaxYear {
		return errs.Invalid(errs.Field{Name: "year", Code: "report.period_year", Args: []any{strconv.Itoa(y.Year)}, Context: "report"})
	}
	if y.TetFrom.IsZero() != y.TetTo.IsZero() || !in(y.TetFrom) || !in(y.TetTo) ||
		Day(y.TetTo).Before(Day(y.TetFrom)) || Day(y.TetTo).Sub(Day(y.TetFrom)) > 14*24*time.Hour {
		return bad("tet", y.TetFrom)
	}
	if !in(y.HungKings) {
		return bad("hungKings", y.HungKings)
	}
	if n := y.NationalDayAdjacent; !n.IsZero() {
		if d := Day(n); d != date(y.Year, time.September, 1) && d != date(y.Year, time.September, 3) {
			return bad("nationalDayAdjacent", n)
		}
	}
	for _, s := range y.Swaps {
		if !in(s.Off) || s.Off.IsZero() || weekend(Day(s.Off)) {
			return bad("swap", s.Off)
		}
		if !in(s.Work) || s.Work.IsZero() || !weekend(Day(s.Work)) {
			return bad("swap", s.Work)
		}
	}
	for _, d := range y.DaysOff {
		if d.IsZero() || !in(d) {
			return bad("dayOff", d)
		}
	}
	return nil
}

func weekend(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }

// nationalDayAdjacent is the day the Labour Code adds to 2/9 when the year
// does not say: the neighbour that joins 2/9 to a weekend (Tuesday → the
// Monday before, Thursday → the Friday after, and so on), which is what
// the Prime Minister chose every year 2021–2025. For a Wednesday, which has
// no such neighbour, the day after.
func nationalDayAdjacent(y int) time.Time {
	d := date(y, time.September, 2)
	switch d.Weekday() {
	case time.Tuesday, time.Friday, time.Saturday:
		return d.AddDate(0, 0, -1)
	}
	return d.AddDate(0, 0, 1)
}

// days computes the year's days off and worked weekend days.
func (y Year) days() (off map[time.Time]string, work map[time.Time]bool) {
	off, work = map[time.Time]string{}, map[time.Time]bool{}
	adj := nationalDayAdjacent(y.Year)
	if !y.NationalDayAdjacent.IsZero() {
		adj = Day(y.NationalDayAdjacent)
	}
	type holiday struct {
		d   time.Time
		key string
	}
	hs := []holiday{
		{date(y.Year, time.January, 1), ReasonNewYear},
		{date(y.Year, time.April, 30), ReasonReunion},
		{date(y.Year, time.May, 1), ReasonLabour},
		{date(y.Year, time.September, 2), ReasonNationalDay},
		{adj, ReasonNationalDay},
	}
	if !y.HungKings.IsZero() {
		hs = append(hs, holiday{Day(y.HungKings), ReasonHungKings})
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].d.Before(hs[j].d) })
	if !y.TetFrom.IsZero() {
		for d := Day(y.TetFrom); !d.After(Day(y.TetTo)); d = d.AddDate(0, 0, 1) {
			off[d] = ReasonTet
		}
	}
	for _, h := range hs {
		off[h.d] = h.key
	}
	for _, d := range y.DaysOff {
		off[Day(d)] = ReasonAnnounced
	}
	for _, s := range y.Swaps {
		off[Day(s.Off)] = ReasonSwap
		work[Day(s.Work)] = true
	}
	// Art. 112.3: a holiday on a weekly rest day is made up on the next
	// working day, after the run of holidays it belongs to (30/4 on a
	// Sunday and 1/5 on the Monday give Tuesday 2/5).
	for _, h := range hs {
		if !weekend(h.d) {
			continue
		}
		d := h.d.AddDate(0, 0, 1)
		for weekend(d) || off[d] != "" {
			d = d.AddDate(0, 0, 1)
		}
		off[d] = ReasonCompensatory
	}
	return off, work
}

// DayOff says why the civil date of t is not a working day (a catalogue
// key, one of the Reason constants), or ok false on a working day.
func (c *Calendar) DayOff(t time.Time) (reason string, ok bool) {
	d := Day(t)
	if c.work[d] {
		return "", false
	}
	if k, ok := c.off[d]; ok {
		return k, true
	}
	if !c.Covers(d.Year()) {
		// Solar holidays hold every year, known or not.
		if k, ok := (Year{Year: d.Year()}).dayOff(d); ok {
			return k, true
		}
	}
	if weekend(d) {
		return ReasonWeekend, true
	}
	return "", false
}

func (y Year) dayOff(d time.Time) (string, bool) {
	off, _ := y.days()
	k, ok := off[d]
	return k, ok
}

// IsWorkingDay reports whether the civil date of t is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool { _, off := c.DayOff(t); return !off }

// AddWorkingDays is the n-th working day after the civil date of t (before
// it for a negative n); t itself for n = 0, working day or not. The
// result is a date at midnight UTC.
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	d := Day(t)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDate(0, 0, step)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// Deadline is the last day to send the period's report: workingDays
// working days after the end of its cut-off window (Khánh Hòa's
// 01/2023/QĐ-UBND sets 2; the report may be sent on that day). It
// refuses a negative count, and a count that runs through a year the
// calendar does not cover, where it would not know the days of Tết.
func (c *Calendar) Deadline(p Period, workingDays int) (time.Time, error) {
	if p.IsZero() {
		return time.Time{}, invalidPeriod("period", "report.period_format", "")
	}
	if workingDays < 0 {
		return time.Time{}, errs.Invalid(errs.Field{Name: "workingDays", Code: "report.working_days", Args: []any{workingDays}, Context: "report"})
	}
	_, to := p.CutOff()
	d := c.AddWorkingDays(to, workingDays)
	for y := to.Year(); y <= d.Year(); y++ {
		if !c.Covers(y) {
			return time.Time{}, errs.Invalid(errs.Field{Name: "period", Code: "report.calendar_year", Args: []any{y}, Context: "report"})
		}
	}
	return d, nil
}

// vietnam is Vietnam's time zone (UTC+7, no daylight saving), where a
// deadline day ends.
func vietnam() *time.Location { return time.FixedZone("ICT", 7*3600) }

// LockAt is the instant the period's data lock for a unit that has not
// been reopened: the end of the deadline day in Vietnam (midnight, UTC+7)
// plus grace, which the form's coordinator sets (0 locks at the deadline).
func (c *Calendar) LockAt(p Period, workingDays int, grace time.Duration) (time.Time, error) {
	d, err := c.Deadline(p, workingDays)
	if err != nil {
		return time.Time{}, err
	}
	if grace < 0 {
		return time.Time{}, errs.Invalid(errs.Field{Name: "grace", Code: "report.grace", Args: []any{grace.String()}, Context: "report"})
	}
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, vietnam()).Add(grace), nil
}

// ParseYears reads years in calendar_vn.txt's format (see that file): one
// "<year> <kind> <date> [<date>]" per line, # starting a comment. Lines for
// one year gather into one Year, in the order of their first line. An
// error names the line.
func ParseYears(r io.Reader) ([]Year, error) {
	var order []int
	byYear := map[int]*Year{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		f := strings.Fields(text)
		if len(f) == 0 {
			continue
		}
		bad := func() error {
			return errs.Invalid(errs.Field{Name: "line", Code: "report.calendar_line", Args: []any{line, strings.TrimSpace(sc.Text())}, Context: "report"})
		}
		if len(f) < 3 || len(f[0]) != 4 || !digits(f[0]) {
			return nil, bad()
		}
		year := atoi(f[0])
		var ds []time.Time
		for _, s := range f[2:] {
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return nil, bad()
			}
			ds = append(ds, d)
		}
		y := byYear[year]
		if y == nil {
			y = &Year{Year: year}
			byYear[year] = y
			order = append(order, year)
		}
		switch {
		case f[1] == "tet" && len(ds) == 2:
			y.TetFrom, y.TetTo = ds[0], ds[1]
		case f[1] == "hung_kings" && len(ds) == 1:
			y.HungKings = ds[0]
		case f[1] == "national_day_adjacent" && len(ds) == 1:
			y.NationalDayAdjacent = ds[0]
		case f[1] == "swap" && len(ds) == 2:
			y.Swaps = append(y.Swaps, Swap{Off: ds[0], Work: ds[1]})
		case f[1] == "day_off" && len(ds) == 1:
			y.DaysOff = append(y.DaysOff, ds[0])
		default:
			return nil, bad()
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	ys := make([]Year, 0, len(order))
	for _, y := range order {
		ys = append(ys, *byYear[y])
	}
	return ys, nil
}
