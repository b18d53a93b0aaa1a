package report

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustPeriod(t *testing.T, s string) Period {
	t.Helper()
	p, err := ParsePeriod(s)
	if err != nil {
		t.Fatalf("ParsePeriod(%q): %v", s, err)
	}
	return p
}

func periods(t *testing.T, ss ...string) []Period {
	var ps []Period
	for _, s := range ss {
		ps = append(ps, mustPeriod(t, s))
	}
	return ps
}

func TestParsePeriodGood(t *testing.T) {
	for _, c := range []struct {
		in, canon string
		typ       PeriodType
		year, n   int
	}{
		{"202301", "202301", Monthly, 2023, 1},
		{"202312", "202312", Monthly, 2023, 12},
		{"2023-07", "202307", Monthly, 2023, 7}, // DHIS2 also reads yyyy-MM
		{"2023Q1", "2023Q1", Quarterly, 2023, 1},
		{"2023Q4", "2023Q4", Quarterly, 2023, 4},
		{"2023S1", "2023S1", SixMonthly, 2023, 1},
		{"2023S2", "2023S2", SixMonthly, 2023, 2},
		{"2023NM", "2023NM", NineMonthly, 2023, 1},
		{"2023", "2023", Yearly, 2023, 1},
		{"2023W5", "2023W5", Weekly, 2023, 5},
		{"2023W05", "2023W5", Weekly, 2023, 5}, // one or two digits, as DHIS2
		{"2023W52", "2023W52", Weekly, 2023, 52},
		{"2020W53", "2020W53", Weekly, 2020, 53}, // 2020 has 53 ISO weeks
		{"2026W53", "2026W53", Weekly, 2026, 53}, // so does 2026 (1 January a Thursday)
		{"1900", "1900", Yearly, 1900, 1},
	} {
		p, err := ParsePeriod(c.in)
		if err != nil {
			t.Errorf("ParsePeriod(%q): %v", c.in, err)
			continue
		}
		if p.Type() != c.typ || p.Year() != c.year || p.Number() != c.n || p.String() != c.canon {
			t.Errorf("ParsePeriod(%q) = %v %d %d %q, want %v %d %d %q", c.in, p.Type(), p.Year(), p.Number(), p, c.typ, c.year, c.n, c.canon)
		}
		if q := mustPeriod(t, p.String()); q != p {
			t.Errorf("%q does not round-trip: %v", c.in, q)
		}
	}
}

func TestParsePeriodBad(t *testing.T) {
	for _, c := range []struct{ in, code string }{
		{"2023Q5", "report.period_quarter"},
		{"2023Q0", "report.period_quarter"},
		{"202313", "report.period_month"},
		{"202300", "report.period_month"},
		{"2023-13", "report.period_month"},
		{"2023S3", "report.period_half"},
		{"2023S0", "report.period_half"},
		{"2023W0", "report.period_week"},
		{"2023W53", "report.period_week"}, // 2023 has 52 weeks
		{"2021W53", "report.period_week"},
		{"2023W54", "report.period_week"},
		{"1899", "report.period_year"},
		{"0000Q1", "report.period_year"},
		{"", "report.period_format"},
		{"abcd", "report.period_format"},
		{"2023q1", "report.period_format"},
		{" 2023", "report.period_format"},
		{"2023 ", "report.period_format"},
		{"2023Q01", "report.period_format"},
		{"20231", "report.period_format"},
		{"2023001", "report.period_format"},
		{"2023-1", "report.period_format"},
		{"2023W", "report.period_format"},
		{"2023W100", "report.period_format"},
		{"2023NM1", "report.period_format"},
		{"2023nm", "report.period_format"},
		{"2023April", "report.period_format"}, // DHIS2 types tinhso does not take
		{"2023NovQ1", "report.period_format"},
		{"20230115", "report.period_format"},
		{"٢٠٢٣", "report.period_format"},
	} {
		_, err := ParsePeriod(c.in)
		e, ok := errs.As(err)
		if !ok || len(e.Fields) != 1 {
			t.Errorf("ParsePeriod(%q) = %v, want a validation error", c.in, err)
			continue
		}
		if f := e.Fields[0]; f.Name != "period" || f.Code != c.code || len(f.Args) != 1 || f.Args[0] != c.in {
			t.Errorf("ParsePeriod(%q): field %+v, want period %s", c.in, f, c.code)
		}
		if e.Status != 422 {
			t.Errorf("ParsePeriod(%q): status %d", c.in, e.Status)
		}
		if !locale.Has(locale.VI, "invalid."+c.code) || !locale.Has(locale.EN, "invalid."+c.code) {
			t.Errorf("no message for %s", c.code)
		}
	}
}

func TestNewPeriodAndTypes(t *testing.T) {
	if p, err := NewPeriod(Quarterly, 2024, 3); err != nil || p.String() != "2024Q3" {
		t.Errorf("NewPeriod = %v, %v", p, err)
	}
	for _, c := range []struct {
		t    PeriodType
		y, n int
	}{{Quarterly, 2024, 5}, {Monthly, 2024, 0}, {Yearly, 2024, 2}, {PeriodType(99), 2024, 1}, {Monthly, 10000, 1}} {
		if _, err := NewPeriod(c.t, c.y, c.n); err == nil {
			t.Errorf("NewPeriod(%v, %d, %d) accepted", c.t, c.y, c.n)
		}
	}
	for _, pt := range PeriodTypes() {
		if got, err := ParsePeriodType(pt.String()); err != nil || got != pt {
			t.Errorf("ParsePeriodType(%q) = %v, %v", pt, got, err)
		}
		for _, l := range locale.Langs {
			if !locale.Has(l, "report.period_type."+pt.String()) {
				t.Errorf("no %s label for %v", l, pt)
			}
		}
	}
	if _, err := ParsePeriodType("monthly"); err == nil {
		t.Error("ParsePeriodType is case-sensitive, as DHIS2's enum")
	}
	if Quarterly.Label(locale.VI) != "Hằng quý" || Quarterly.Label(locale.EN) != "Quarterly" {
		t.Error(Quarterly.Label(locale.VI), Quarterly.Label(locale.EN))
	}
	var zero Period
	if !zero.IsZero() || zero.String() != "" || mustPeriod(t, "2023").IsZero() {
		t.Error("IsZero")
	}
}

func TestSpans(t *testing.T) {
	for _, c := range []struct{ p, start, end string }{
		{"202301", "2023-01-01", "2023-01-31"},
		{"202302", "2023-02-01", "2023-02-28"},
		{"202402", "2024-02-01", "2024-02-29"}, // leap year
		{"210002", "2100-02-01", "2100-02-28"}, // 2100 is not a leap year
		{"202312", "2023-12-01", "2023-12-31"},
		{"2023Q1", "2023-01-01", "2023-03-31"},
		{"2023Q2", "2023-04-01", "2023-06-30"},
		{"2023Q4", "2023-10-01", "2023-12-31"},
		{"2023S1", "2023-01-01", "2023-06-30"},
		{"2023S2", "2023-07-01", "2023-12-31"},
		{"2023NM", "2023-01-01", "2023-09-30"},
		{"2024", "2024-01-01", "2024-12-31"},
		{"2023W1", "2023-01-02", "2023-01-08"},
		{"2023W5", "2023-01-30", "2023-02-05"},
		{"2021W52", "2021-12-27", "2022-01-02"},
		{"2020W53", "2020-12-28", "2021-01-03"},
		{"2026W1", "2025-12-29", "2026-01-04"}, // week 1 may start in December
	} {
		p := mustPeriod(t, c.p)
		if !p.Start().Equal(d(c.start)) || !p.End().Equal(d(c.end)) {
			t.Errorf("%s: %s–%s, want %s–%s", c.p, p.Start().Format(time.DateOnly), p.End().Format(time.DateOnly), c.start, c.end)
		}
		if !p.Contains(d(c.start)) || !p.Contains(d(c.end)) || p.Contains(d(c.start).AddDate(0, 0, -1)) || p.Contains(d(c.end).AddDate(0, 0, 1)) {
			t.Errorf("%s: Contains disagrees with its span", c.p)
		}
		if p.Type() != NineMonthly && PeriodOf(p.Type(), d(c.end)) != p {
			t.Errorf("%s: PeriodOf(end) = %v", c.p, PeriodOf(p.Type(), d(c.end)))
		}
	}
}

func TestContainsUsesTheDatesOwnZone(t *testing.T) {
	ict := time.FixedZone("ICT", 7*3600)
	q := mustPeriod(t, "2024Q1")
	// 00:30 on 1 April in Hà Nội is still 31 March in UTC: the civil date
	// the official sees decides.
	if q.Contains(time.Date(2024, 4, 1, 0, 30, 0, 0, ict)) {
		t.Error("1 April (ICT) counted in Q1")
	}
	if !q.Contains(time.Date(2024, 3, 31, 23, 59, 0, 0, ict)) {
		t.Error("31 March (ICT) not in Q1")
	}
}

func TestNextPrev(t *testing.T) {
	for _, c := range []struct{ p, next string }{
		{"202301", "202302"},
		{"202312", "202401"},
		{"2023Q4", "2024Q1"},
		{"2023Q1", "2023Q2"},
		{"2023S2", "2024S1"},
		{"2023S1", "2023S2"},
		{"2023NM", "2024NM"},
		{"2023", "2024"},
		{"2023W52", "2024W1"},
		{"2020W52", "2020W53"},
		{"2020W53", "2021W1"},
	} {
		p, n := mustPeriod(t, c.p), mustPeriod(t, c.next)
		if p.Next() != n {
			t.Errorf("%s.Next() = %v, want %v", c.p, p.Next(), n)
		}
		if n.Prev() != p {
			t.Errorf("%s.Prev() = %v, want %v", c.next, n.Prev(), p)
		}
	}
	// Consecutive periods of the tiling types leave no day out.
	for _, s := range []string{"2019W50", "201911", "2019Q3", "2019S1", "2019"} {
		p := mustPeriod(t, s)
		for range 120 {
			n := p.Next()
			if !n.Start().Equal(p.End().AddDate(0, 0, 1)) {
				t.Fatalf("%v ends %v, %v starts %v", p, p.End(), n, n.Start())
			}
			p = n
		}
	}
}

func TestOverlapping(t *testing.T) {
	for _, c := range []struct {
		t        PeriodType
		from, to string
		want     []string
	}{
		{Monthly, "2023-11-20", "2024-02-01", []string{"202311", "202312", "202401", "202402"}},
		{Monthly, "2024-02-01", "2023-11-20", []string{"202311", "202312", "202401", "202402"}}, // backwards
		{Quarterly, "2023-03-31", "2023-04-01", []string{"2023Q1", "2023Q2"}},
		{Yearly, "2024-02-29", "2024-02-29", []string{"2024"}},
		{SixMonthly, "2022-12-15", "2023-06-14", []string{"2022S2", "2023S1"}},
		{NineMonthly, "2023-10-01", "2024-01-01", []string{"2024NM"}}, // 2023's nine months ended in September
		{NineMonthly, "2023-09-30", "2024-01-01", []string{"2023NM", "2024NM"}},
		{Weekly, "2022-12-31", "2023-01-09", []string{"2022W52", "2023W1", "2023W2"}},
	} {
		var got []string
		for _, p := range Overlapping(c.t, d(c.from), d(c.to)) {
			got = append(got, p.String())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Overlapping(%v, %s, %s) = %v, want %v", c.t, c.from, c.to, got, c.want)
		}
	}
}

func TestWithinAndParts(t *testing.T) {
	for _, c := range []struct {
		p    string
		t    PeriodType
		want string // "" when p does not roll up into t
	}{
		{"202305", Quarterly, "2023Q2"},
		{"202305", SixMonthly, "2023S1"},
		{"202305", NineMonthly, "2023NM"},
		{"202305", Yearly, "2023"},
		{"202305", Monthly, "202305"},
		{"202309", NineMonthly, "2023NM"},
		{"202310", NineMonthly, ""},
		{"202312", Quarterly, "2023Q4"},
		{"202312", SixMonthly, "2023S2"},
		{"2023Q3", NineMonthly, "2023NM"},
		{"2023Q3", SixMonthly, "2023S2"},
		{"2023Q4", NineMonthly, ""},
		{"2023Q1", Monthly, ""},
		{"2023NM", Yearly, "2023"},
		{"2023NM", SixMonthly, ""},
		{"2023W5", Monthly, ""}, // 30 January – 5 February
		{"2023W6", Monthly, "202302"},
		{"2021W52", Yearly, ""}, // ends on 2 January 2022
		{"202302", Weekly, ""},
	} {
		got, ok := mustPeriod(t, c.p).Within(c.t)
		if c.want == "" {
			if ok {
				t.Errorf("%s.Within(%v) = %v, want none", c.p, c.t, got)
			}
		} else if !ok || got != mustPeriod(t, c.want) {
			t.Errorf("%s.Within(%v) = %v %v, want %s", c.p, c.t, got, ok, c.want)
		}
	}
	for _, c := range []struct {
		p    string
		t    PeriodType
		want []string
	}{
		{"2023Q2", Monthly, []string{"202304", "202305", "202306"}},
		{"2024Q1", Monthly, []string{"202401", "202402", "202403"}},
		{"2023NM", Quarterly, []string{"2023Q1", "2023Q2", "2023Q3"}},
		{"2023", SixMonthly, []string{"2023S1", "2023S2"}},
		{"2023", NineMonthly, nil},
		{"202301", Weekly, nil},
		{"202301", Quarterly, nil},
		{"2023S2", Quarterly, []string{"2023Q3", "2023Q4"}},
	} {
		var got []string
		for _, p := range mustPeriod(t, c.p).Parts(c.t) {
			got = append(got, p.String())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s.Parts(%v) = %v, want %v", c.p, c.t, got, c.want)
		}
	}
	if got := mustPeriod(t, "2023Q4").Months(); !slices.Equal(got, periods(t, "202310", "202311", "202312")) {
		t.Errorf("Months = %v", got)
	}
	if got := mustPeriod(t, "2023").Months(); len(got) != 12 {
		t.Errorf("a year has %d months", len(got))
	}
}

func TestCutOff(t *testing.T) {
	for _, c := range []struct{ p, from, to string }{
		{"202301", "2022-12-15", "2023-01-14"}, // January opens in the previous year
		{"202302", "2023-01-15", "2023-02-14"},
		{"202403", "2024-02-15", "2024-03-14"}, // holds 29 February
		{"202312", "2023-11-15", "2023-12-14"},
		{"2023Q1", "2022-12-15", "2023-03-14"},
		{"2023Q2", "2023-03-15", "2023-06-14"},
		{"2023Q3", "2023-06-15", "2023-09-14"},
		{"2023Q4", "2023-09-15", "2023-12-14"},
		{"2023S1", "2022-12-15", "2023-06-14"},
		{"2023S2", "2023-06-15", "2023-12-14"},
		{"2023NM", "2022-12-15", "2023-09-14"},
		{"2023", "2022-12-15", "2023-12-14"},
		{"2024", "2023-12-15", "2024-12-14"},
		{"2023W5", "2023-01-30", "2023-02-05"}, // no rule in the decree: the calendar span
	} {
		p := mustPeriod(t, c.p)
		from, to := p.CutOff()
		if !from.Equal(d(c.from)) || !to.Equal(d(c.to)) {
			t.Errorf("%s.CutOff() = %s–%s, want %s–%s", c.p, from.Format(time.DateOnly), to.Format(time.DateOnly), c.from, c.to)
		}
		if !p.InCutOff(from) || !p.InCutOff(to) || p.InCutOff(from.AddDate(0, 0, -1)) || p.InCutOff(to.AddDate(0, 0, 1)) {
			t.Errorf("%s: InCutOff disagrees with CutOff", c.p)
		}
	}
	if !mustPeriod(t, "202403").InCutOff(d("2024-02-29")) || mustPeriod(t, "202402").InCutOff(d("2024-02-29")) {
		t.Error("29 February 2024 belongs to March's window")
	}
	// Each type's windows follow one another without gap or overlap, and a
	// year's months, quarters and halves tile the year's window.
	for _, s := range []string{"201901", "2019Q1", "2019S1", "2019"} {
		p := mustPeriod(t, s)
		for range 60 {
			_, to := p.CutOff()
			from, _ := p.Next().CutOff()
			if !from.Equal(to.AddDate(0, 0, 1)) {
				t.Fatalf("%v's window ends %v, %v's starts %v", p, to, p.Next(), from)
			}
			p = p.Next()
		}
	}
	for _, y := range []string{"2023", "2024"} {
		yf, yt := mustPeriod(t, y).CutOff()
		for _, pt := range []PeriodType{Monthly, Quarterly, SixMonthly} {
			parts := mustPeriod(t, y).Parts(pt)
			f, _ := parts[0].CutOff()
			_, tt := parts[len(parts)-1].CutOff()
			if !f.Equal(yf) || !tt.Equal(yt) {
				t.Errorf("%s: %v windows run %v–%v, the year's %v–%v", y, pt, f, tt, yf, yt)
			}
		}
	}
}

func TestLabels(t *testing.T) {
	for _, c := range []struct{ p, vi, en string }{
		{"202301", "Tháng 01/2023", "January 2023"},
		{"202312", "Tháng 12/2023", "December 2023"},
		{"2023Q1", "Quý I/2023", "Q1 2023"},
		{"2023Q2", "Quý II/2023", "Q2 2023"},
		{"2023Q3", "Quý III/2023", "Q3 2023"},
		{"2023Q4", "Quý IV/2023", "Q4 2023"},
		{"2023S1", "6 tháng đầu năm 2023", "First half of 2023"},
		{"2023S2", "6 tháng cuối năm 2023", "Second half of 2023"},
		{"2023NM", "9 tháng năm 2023", "Nine months of 2023"},
		{"2023", "Năm 2023", "2023"},
		{"2023W5", "Tuần 5/2023 (30/01/2023–05/02/2023)", "Week 5 of 2023 (30 Jan 2023–5 Feb 2023)"},
	} {
		p := mustPeriod(t, c.p)
		if got := p.Label(locale.VI); got != c.vi {
			t.Errorf("%s vi: %q, want %q", c.p, got, c.vi)
		}
		if got := p.Label(locale.EN); got != c.en {
			t.Errorf("%s en: %q, want %q", c.p, got, c.en)
		}
	}
}

func TestErrorsAreTyped(t *testing.T) {
	_, err := ParsePeriod("2023Q5")
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != "validation_failed" || e.Fields[0].Context != "report" {
		t.Fatalf("%#v", err)
	}
}

// FuzzParsePeriod checks that whatever ParsePeriod accepts has a canonical
// identifier that reads back to the same period, and that the canonical
// identifier is the input unless the input used an alternative DHIS2
// spelling (2023-01, 2023W05).
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"202301", "2023-01", "2023Q1", "2023S2", "2023NM", "2023", "2023W5", "2020W53", "2023W05", "2023Q5", "", "9999W52"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			if !p.IsZero() {
				t.Fatalf("%q: error and a period", s)
			}
			return
		}
		q, err := ParsePeriod(p.String())
		if err != nil || q != p {
			t.Fatalf("%q → %q → %v, %v", s, p.String(), q, err)
		}
		alt := len(s) == 7 && s[4] == '-' || len(s) == 7 && s[4] == 'W' && s[5] == '0'
		if !alt && p.String() != s {
			t.Fatalf("%q canonicalised to %q", s, p.String())
		}
		if p.Start().After(p.End()) || !p.Contains(p.Start()) || PeriodOf(p.Type(), p.Start()) != p {
			t.Fatalf("%q: span %v–%v", s, p.Start(), p.End())
		}
	})
}

func TestTextAndCompare(t *testing.T) {
	type doc struct {
		Period Period `json:"period"`
	}
	b, err := json.Marshal(doc{mustPeriod(t, "2023Q1")})
	if err != nil || string(b) != `{"period":"2023Q1"}` {
		t.Fatalf("%s %v", b, err)
	}
	var got doc
	if err := json.Unmarshal([]byte(`{"period":"2023-07"}`), &got); err != nil || got.Period != mustPeriod(t, "202307") {
		t.Errorf("%v %v", got, err)
	}
	if err := json.Unmarshal([]byte(`{"period":""}`), &got); err != nil || !got.Period.IsZero() {
		t.Errorf("empty: %v %v", got, err)
	}
	if err := json.Unmarshal([]byte(`{"period":"2023Q5"}`), &got); err == nil {
		t.Error("2023Q5 unmarshalled")
	} else if _, ok := errs.As(err); !ok {
		t.Errorf("untyped %v", err)
	}
	ps := periods(t, "2023", "202302", "2023Q1", "2022S2", "202301", "2023NM", "2022W52", "2023S1")
	slices.SortFunc(ps, Period.Compare)
	var ss []string
	for _, p := range ps {
		ss = append(ss, p.String())
	}
	if want := []string{"2022S2", "2022W52", "202301", "2023Q1", "2023S1", "2023NM", "2023", "202302"}; !slices.Equal(ss, want) {
		t.Errorf("sorted %v, want %v", ss, want)
	}
}
