package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
)

func TestShippedYears(t *testing.T) {
	years, err := ParseYears(strings.NewReader(vietnamYears))
	if err != nil {
		t.Fatal(err)
	}
	if len(years) != 6 {
		t.Fatalf("%d years", len(years))
	}
	// Tết Nguyên đán (mùng 1 tháng Giêng) must lie inside each year's
	// announced days off; Giỗ Tổ must be the weekday the announcements named.
	for _, c := range []struct {
		year      int
		tet, hung string
		hungDay   time.Weekday
	}{
		{2021, "2021-02-12", "2021-04-21", time.Wednesday},
		{2022, "2022-02-01", "2022-04-10", time.Sunday},
		{2023, "2023-01-22", "2023-04-29", time.Saturday},
		{2024, "2024-02-10", "2024-04-18", time.Thursday},
		{2025, "2025-01-29", "2025-04-07", time.Monday},
		{2026, "2026-02-17", "2026-04-26", time.Sunday},
	} {
		var y Year
		for _, yy := range years {
			if yy.Year == c.year {
				y = yy
			}
		}
		if y.TetFrom.After(d(c.tet)) || y.TetTo.Before(d(c.tet)) {
			t.Errorf("%d: Tết %s outside %v–%v", c.year, c.tet, y.TetFrom, y.TetTo)
		}
		if !y.HungKings.Equal(d(c.hung)) || y.HungKings.Weekday() != c.hungDay {
			t.Errorf("%d: Giỗ Tổ %v", c.year, y.HungKings)
		}
	}
}

func TestDaysOff(t *testing.T) {
	c := DefaultCalendar()
	for _, tc := range []struct {
		day    string
		reason string // "" for a working day
	}{
		{"2023-01-06", ""},
		{"2023-01-07", ReasonWeekend},
		{"2023-01-08", ReasonWeekend},
		{"2021-01-01", ReasonNewYear},
		{"2022-01-03", ReasonCompensatory}, // 1/1/2022 a Saturday
		{"2023-01-02", ReasonCompensatory}, // 1/1/2023 a Sunday
		{"2023-01-03", ""},
		{"2023-01-19", ""},
		{"2023-01-20", ReasonTet},
		{"2023-01-26", ReasonTet},
		{"2023-01-27", ""},
		{"2024-02-07", ""},
		{"2024-02-08", ReasonTet},
		{"2024-02-14", ReasonTet},
		{"2024-02-15", ""},
		{"2025-01-24", ""},
		{"2025-01-27", ReasonTet},
		{"2025-02-03", ""},
		{"2021-04-21", ReasonHungKings},
		{"2022-04-10", ReasonHungKings},
		{"2022-04-11", ReasonCompensatory}, // Giỗ Tổ on a Sunday
		{"2022-04-12", ""},
		// 2023: Giỗ Tổ Saturday 29/4, 30/4 Sunday, 1/5 Monday: two days made up.
		{"2023-04-29", ReasonHungKings},
		{"2023-04-30", ReasonReunion},
		{"2023-05-01", ReasonLabour},
		{"2023-05-02", ReasonCompensatory},
		{"2023-05-03", ReasonCompensatory},
		{"2023-05-04", ""},
		// 2024: Monday 29/4 off, Saturday 4/5 worked.
		{"2024-04-29", ReasonSwap},
		{"2024-04-30", ReasonReunion},
		{"2024-05-02", ""},
		{"2024-05-04", ""},
		{"2024-05-05", ReasonWeekend},
		// 2025: Friday 2/5 off, Saturday 26/4 worked.
		{"2025-04-26", ""},
		{"2025-05-02", ReasonSwap},
		{"2021-09-02", ReasonNationalDay},
		{"2021-09-03", ReasonNationalDay},
		{"2022-09-01", ReasonNationalDay},
		{"2023-09-01", ReasonNationalDay},
		{"2023-09-04", ReasonCompensatory}, // 2/9/2023 a Saturday
		{"2023-09-05", ""},
		{"2024-09-03", ReasonNationalDay},
		{"2024-09-04", ""},
		{"2025-09-01", ReasonNationalDay},
		{"2026-04-27", ReasonCompensatory}, // Giỗ Tổ 2026 a Sunday
		{"2026-02-23", ""},
		// 2027 is not covered: the solar holidays and their compensation
		// hold, Tết is not known.
		{"2027-01-01", ReasonNewYear},
		{"2027-05-03", ReasonCompensatory}, // 1/5/2027 a Saturday
		{"2027-02-08", ""},
		{"2027-09-03", ReasonNationalDay}, // default: Thursday 2/9, Friday after
	} {
		reason, off := c.DayOff(d(tc.day))
		if off != (tc.reason != "") || reason != tc.reason {
			t.Errorf("%s (%v): %q %v, want %q", tc.day, d(tc.day).Weekday(), reason, off, tc.reason)
		}
		if c.IsWorkingDay(d(tc.day)) != (tc.reason == "") {
			t.Errorf("%s: IsWorkingDay disagrees with DayOff", tc.day)
		}
		if tc.reason != "" && (!locale.Has(locale.VI, tc.reason) || !locale.Has(locale.EN, tc.reason)) {
			t.Errorf("no message for %s", tc.reason)
		}
	}
}

func TestNationalDayDefault(t *testing.T) {
	// The default rule gives back what the Prime Minister chose in 2021–2025.
	for y, want := range map[int]string{2021: "2021-09-03", 2022: "2022-09-01", 2023: "2023-09-01", 2024: "2024-09-03", 2025: "2025-09-01"} {
		if got := nationalDayAdjacent(y); !got.Equal(d(want)) {
			t.Errorf("%d: %v, want %s", y, got, want)
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	c := DefaultCalendar()
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2023-01-06", 0, "2023-01-06"},
		{"2023-01-07", 0, "2023-01-07"}, // n = 0 is the day itself
		{"2023-01-06", 1, "2023-01-09"},
		{"2023-01-19", 1, "2023-01-27"}, // across Tết 2023
		{"2024-02-07", 1, "2024-02-15"},
		{"2024-02-15", -1, "2024-02-07"},
		{"2023-04-28", 1, "2023-05-04"},
		{"2024-05-03", 1, "2024-05-04"}, // the Saturday worked in 2024
		{"2023-12-29", 1, "2024-01-02"},
		{"2023-01-09", -1, "2023-01-06"},
	} {
		if got := c.AddWorkingDays(d(tc.from), tc.n); !got.Equal(d(tc.want)) {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tc.from, tc.n, got.Format(time.DateOnly), tc.want)
		}
	}
}

func TestDeadline(t *testing.T) {
	c := DefaultCalendar()
	for _, tc := range []struct {
		p    string
		n    int
		want string
	}{
		{"202301", 2, "2023-01-17"}, // cut-off Saturday 14/1: Monday, Tuesday
		{"202302", 2, "2023-02-16"},
		{"2022Q4", 2, "2022-12-16"},
		{"2023Q1", 2, "2023-03-16"},
		{"2023Q2", 2, "2023-06-16"}, // cut-off Wednesday 14/6
		{"2024Q3", 2, "2024-09-17"}, // cut-off Saturday 14/9
		{"2023S1", 2, "2023-06-16"},
		{"2023NM", 2, "2023-09-18"}, // cut-off Thursday 14/9: Friday, Monday
		{"2023", 2, "2023-12-18"},
		{"202102", 2, "2021-02-18"},  // cut-off Sunday 14/2/2021, inside Tết (10–16/2)
		{"202402", 2, "2024-02-16"},  // cut-off on the last day of Tết 2024
		{"202602", 2, "2026-02-24"},  // cut-off Saturday 14/2/2026, the first day of Tết
		{"2024Q4", 20, "2025-01-13"}, // twenty working days across 1/1/2025
		{"202304", 0, "2023-04-14"},
	} {
		got, err := c.Deadline(mustPeriod(t, tc.p), tc.n)
		if err != nil || !got.Equal(d(tc.want)) {
			t.Errorf("Deadline(%s, %d) = %s, %v; want %s", tc.p, tc.n, got.Format(time.DateOnly), err, tc.want)
		}
	}
	for _, tc := range []struct {
		p    string
		n    int
		code string
	}{
		{"202701", 2, "report.calendar_year"}, // 2027's Tết not announced
		{"202001", 2, "report.calendar_year"},
		{"202301", -1, "report.working_days"},
	} {
		_, err := c.Deadline(mustPeriod(t, tc.p), tc.n)
		if e, ok := errs.As(err); !ok || e.Fields[0].Code != tc.code {
			t.Errorf("Deadline(%s, %d) = %v, want %s", tc.p, tc.n, err, tc.code)
		}
	}
	if _, err := c.Deadline(Period{}, 2); err == nil {
		t.Error("the zero period has a deadline")
	}
}

func TestLockAt(t *testing.T) {
	c := DefaultCalendar()
	p := mustPeriod(t, "202301") // deadline Tuesday 17/1/2023
	for _, tc := range []struct {
		grace time.Duration
		want  string
	}{
		{0, "2023-01-17T17:00:00Z"}, // midnight ending 17/1 in Vietnam
		{48 * time.Hour, "2023-01-19T17:00:00Z"},
		{90 * time.Minute, "2023-01-17T18:30:00Z"},
	} {
		got, err := c.LockAt(p, 2, tc.grace)
		if err != nil || got.UTC().Format(time.RFC3339) != tc.want {
			t.Errorf("LockAt(grace %v) = %v, %v; want %s", tc.grace, got.UTC(), err, tc.want)
		}
	}
	if _, err := c.LockAt(p, 2, -time.Hour); err == nil {
		t.Error("a negative grace accepted")
	}
	if _, err := c.LockAt(mustPeriod(t, "202801"), 2, 0); err == nil {
		t.Error("a lock time in an uncovered year")
	}
}

func TestOperatorYears(t *testing.T) {
	base := DefaultCalendar()
	ys, err := ParseYears(strings.NewReader(`
# Tết Đinh Mùi, as an operator would add it (illustrative days)
2027 tet 2027-02-04 2027-02-10
2027 hung_kings 2027-04-16   # illustrative
2027 day_off 2027-11-24
2027 swap 2027-02-11 2027-02-20
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := base.With(ys...)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Covers(2027) || base.Covers(2027) {
		t.Fatal("With changed the base calendar or did not add 2027")
	}
	if len(c.Years()) != 7 || c.Years()[6] != 2027 {
		t.Errorf("Years = %v", c.Years())
	}
	for day, reason := range map[string]string{
		"2027-02-04": ReasonTet, "2027-02-08": ReasonTet, "2027-02-11": ReasonSwap,
		"2027-02-20": "", "2027-04-16": ReasonHungKings, "2027-11-24": ReasonAnnounced, "2025-01-27": ReasonTet,
	} {
		if got, _ := c.DayOff(d(day)); got != reason {
			t.Errorf("%s: %q, want %q", day, got, reason)
		}
	}
	if got, err := c.Deadline(mustPeriod(t, "202702"), 2); err != nil || !got.Equal(d("2027-02-16")) {
		t.Errorf("Deadline(202702) = %v, %v", got, err)
	}
	// An operator correcting a shipped year replaces it whole.
	fixed, err := base.With(Year{Year: 2026, TetFrom: d("2026-02-16"), TetTo: d("2026-02-20")})
	if err != nil {
		t.Fatal(err)
	}
	if !fixed.IsWorkingDay(d("2026-02-23")) || fixed.IsWorkingDay(d("2026-02-16")) || !fixed.IsWorkingDay(d("2026-04-27")) {
		t.Error("the replaced 2026")
	}
}

func TestBadYears(t *testing.T) {
	for _, in := range []string{
		"2024 tet 2024-02-08",              // one date
		"2024 holiday 2024-02-08",          // unknown kind
		"2024 hung_kings 2024-04-31",       // no such day
		"24 hung_kings 2024-04-18",         // two-digit year
		"2024 hung_kings",                  // no date
		"2024 swap 2024-04-29",             // one date
		"2024 tet 2024-02-08 2024-02-14 x", // a stray field
	} {
		_, err := ParseYears(strings.NewReader("# header\n" + in + "\n"))
		e, ok := errs.As(err)
		if !ok || e.Fields[0].Name != "line" || e.Fields[0].Args[0] != 2 || e.Fields[0].Code != "report.calendar_line" {
			t.Errorf("%q: %v", in, err)
		}
	}
	for name, y := range map[string]Year{
		"Tết in another year": {Year: 2024, TetFrom: d("2023-02-08"), TetTo: d("2024-02-14")},
		"Tết backwards":       {Year: 2024, TetFrom: d("2024-02-14"), TetTo: d("2024-02-08")},
		"Tết of a month":      {Year: 2024, TetFrom: d("2024-02-01"), TetTo: d("2024-02-28")},
		"Tết half given":      {Year: 2024, TetFrom: d("2024-02-08")},
		"swap off a Saturday": {Year: 2024, Swaps: []Swap{{Off: d("2024-05-04"), Work: d("2024-05-11")}}},
		"swap work a Monday":  {Year: 2024, Swaps: []Swap{{Off: d("2024-04-29"), Work: d("2024-05-06")}}},
		"2/9 neighbour 5/9":   {Year: 2024, NationalDayAdjacent: d("2024-09-05")},
		"Giỗ Tổ next year":    {Year: 2024, HungKings: d("2025-04-07")},
		"year 0":              {Year: 0},
	} {
		if _, err := NewCalendar(y); err == nil {
			t.Errorf("%s accepted", name)
		} else if _, ok := errs.As(err); !ok {
			t.Errorf("%s: untyped %v", name, err)
		}
	}
}

func TestFieldLabels(t *testing.T) {
	// Every field an error of the package names has a label in both
	// catalogues, so a message never shows a JSON name.
	for _, name := range []string{"period", "periodType", "year", "tet", "hungKings", "nationalDayAdjacent", "swap", "dayOff", "workingDays", "grace", "line"} {
		for _, l := range locale.Langs {
			if !locale.Has(l, "field.report."+name) {
				t.Errorf("%s: no field.report.%s", l, name)
			}
		}
	}
}

// TestCalendarFile: an operator adds a year the embedded calendar lacks
// (--calendar), and a deadline that ran into it is counted; a bad line is
// named with its file and line. The 2027 days off here are a test's, not
// the announced ones.
func TestCalendarFile(t *testing.T) {
	q1, err := ParsePeriod("2027Q1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DefaultCalendar().Deadline(q1, 2); err == nil {
		t.Fatal("the embedded calendar counts through 2027")
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "2027.txt")
	os.WriteFile(good, []byte("# test days, not the announced ones\n2027 tet 2027-02-05 2027-02-10\n2027 hung_kings 2027-04-16\n"), 0o644)
	c, err := CalendarFile(good)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Deadline(q1, 2)
	if err != nil || d.Format("2006-01-02") != "2027-03-16" {
		t.Errorf("2027Q1 deadline %v, %v; want 16/03/2027 (14/3 is a Sunday: Monday 15, Tuesday 16)", d, err)
	}
	if !c.Covers(2026) || !c.Covers(2027) {
		t.Error("the file's years replace the embedded ones")
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("2027 tet 2027-02-05\n"), 0o644)
	if _, err := CalendarFile(bad); err == nil || !strings.Contains(err.Error(), "bad.txt") {
		t.Errorf("bad file: %v", err)
	}
}
