package report

import (
	"strings"
	"time"
)

// Relative periods as DHIS2's analytics take them (pe:LAST_12_MONTHS),
// expanded against a day (relativePeriodDate, today by default). As in
// DHIS2, LAST_… periods end before the current one (LAST_12_MONTHS on
// 15 March 2026 is March 2025 to February 2026), THIS_… is the current one
// and …_THIS_YEAR is every period of the current year. tinhso adds
// THIS_NINE_MONTHS and LAST_NINE_MONTHS for Vietnam's nine-month report.

// relativeRule is one keyword: the type of its periods and the offsets,
// from the period holding the day, of its first and last periods.
type relativeRule struct {
	typ         PeriodType
	first, last int
	wholeYear   int // for …_THIS_YEAR / …_LAST_YEAR: 0 this year, -1 last year (with first=last=0 unused)
	yearly      bool
}

var relativeRules = map[string]relativeRule{
	"THIS_MONTH":         {typ: Monthly},
	"LAST_MONTH":         {typ: Monthly, first: -1, last: -1},
	"LAST_3_MONTHS":      {typ: Monthly, first: -3, last: -1},
	"LAST_6_MONTHS":      {typ: Monthly, first: -6, last: -1},
	"LAST_12_MONTHS":     {typ: Monthly, first: -12, last: -1},
	"MONTHS_THIS_YEAR":   {typ: Monthly, yearly: true},
	"MONTHS_LAST_YEAR":   {typ: Monthly, yearly: true, wholeYear: -1},
	"THIS_QUARTER":       {typ: Quarterly},
	"LAST_QUARTER":       {typ: Quarterly, first: -1, last: -1},
	"LAST_4_QUARTERS":    {typ: Quarterly, first: -4, last: -1},
	"QUARTERS_THIS_YEAR": {typ: Quarterly, yearly: true},
	"QUARTERS_LAST_YEAR": {typ: Quarterly, yearly: true, wholeYear: -1},
	"THIS_SIX_MONTH":     {typ: SixMonthly},
	"LAST_SIX_MONTH":     {typ: SixMonthly, first: -1, last: -1},
	"LAST_2_SIXMONTHS":   {typ: SixMonthly, first: -2, last: -1},
	"THIS_NINE_MONTHS":   {typ: NineMonthly},
	"LAST_NINE_MONTHS":   {typ: NineMonthly, first: -1, last: -1},
	"THIS_YEAR":          {typ: Yearly},
	"LAST_YEAR":          {typ: Yearly, first: -1, last: -1},
	"LAST_5_YEARS":       {typ: Yearly, first: -5, last: -1},
	"LAST_10_YEARS":      {typ: Yearly, first: -10, last: -1},
}

// RelativePeriods lists the keywords analytics take, in a stable order.
func RelativePeriods() []string {
	return []string{"THIS_MONTH", "LAST_MONTH", "LAST_3_MONTHS", "LAST_6_MONTHS", "LAST_12_MONTHS", "MONTHS_THIS_YEAR", "MONTHS_LAST_YEAR",
		"THIS_QUARTER", "LAST_QUARTER", "LAST_4_QUARTERS", "QUARTERS_THIS_YEAR", "QUARTERS_LAST_YEAR",
		"THIS_SIX_MONTH", "LAST_SIX_MONTH", "LAST_2_SIXMONTHS", "THIS_NINE_MONTHS", "LAST_NINE_MONTHS",
		"THIS_YEAR", "LAST_YEAR", "LAST_5_YEARS", "LAST_10_YEARS"}
}

// IsRelativePeriod reports whether s is a relative period keyword.
func IsRelativePeriod(s string) bool { _, ok := relativeRules[strings.ToUpper(s)]; return ok }

// ExpandRelative lists the periods of keyword on day (its civil date), in
// order; ok is false for a word that is not a keyword.
func ExpandRelative(keyword string, day time.Time) ([]Period, bool) {
	r, ok := relativeRules[strings.ToUpper(keyword)]
	if !ok {
		return nil, false
	}
	cur := PeriodOf(r.typ, day)
	if r.yearly {
		y := PeriodOf(Yearly, day)
		for range -r.wholeYear {
			y = y.Prev()
		}
		return y.Parts(r.typ), true
	}
	var out []Period
	p := cur
	for range -r.first {
		p = p.Prev()
	}
	for i := r.first; i <= r.last; i++ {
		out = append(out, p)
		p = p.Next()
	}
	return out, true
}
