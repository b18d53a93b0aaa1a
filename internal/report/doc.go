// Package report is tinhso's periodic-reporting domain (chế độ báo cáo
// định kỳ, issue 7): indicators, report forms on Vietnam's reporting
// calendar, data entry and approval up the tree, completeness, and
// exchange in DHIS2's formats.
//
// Where it stands: the package holds pure building blocks, with no routes,
// no schema and no store yet; later work builds forms, data entry and the
// DHIS2 API on top of them.
//
//   - period.go: period types and periods in DHIS2 notation (202301,
//     2023Q1, 2023S1, 2023, 2023W5, and tinhso's 2023NM for the nine-month
//     report, which DHIS2 lacks); calendar spans, Next/Prev, roll-up
//     (Within, Parts), the data cut-off windows of Nghị định 09/2019/NĐ-CP
//     Art. 12 (CutOff) and labels from the catalogues.
//   - calendar.go and calendar_vn.txt: the working-day calendar of state
//     bodies (weekends, public holidays, compensatory days, the years'
//     announced Tết days and swaps) and report deadlines and lock times.
//   - DHIS2 payload parsing (dataValueSets and the rest) sits beside them
//     in the dhis2*.go files.
//
// In short: ParsePeriod / NewPeriod / PeriodOf make a Period; its String,
// Type, Start, End, Contains, Next, Prev, Within, Parts, Months, CutOff and
// Label answer for it; Overlapping lists periods over a range. A Calendar
// (DefaultCalendar, NewCalendar, With, ParseYears) answers IsWorkingDay,
// DayOff and AddWorkingDays, and gives a period's Deadline and LockAt.
// Errors are *errs.Error validation failures whose field codes have
// messages "invalid.report.…" in the catalogues; labels are "report.…".
//
// Dates are civil dates carried as time.Time at midnight UTC (see Day):
// a period and a cut-off are days, not instants. Only LockAt returns an
// instant, the end of a day in Vietnam's time zone.
package report
