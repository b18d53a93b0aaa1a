// Package report is tinhso's periodic-reporting domain (chế độ báo cáo
// định kỳ, issue 7): indicators, report forms on Vietnam's reporting
// calendar, data entry and approval up the tree, completeness, and
// exchange in DHIS2's formats.
//
// Where it stands: pure building blocks, indicators and report forms as
// stored data with their import and API, values with their history, the
// DHIS2-compatible exchange (dataValueSets in and out, metadata, jobs), and
// data entry and approval up the tree with DHIS2's completion and approval
// endpoints (docs/report-workflow.md is the officials' guide), and the Excel
// exchange (the workbook of a form and period, its import), and analytics
// that are always current (GET /api/analytics and the pivot page).
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
//   - store.go and migration 0004_report.sql: indicators (value type,
//     aggregation over units and over time, responsible unit, category
//     options, derived ones as numerator / denominator × factor) and forms
//     (period type, deadline and grace days, sections of indicators in
//     order, assignments to the units of some kinds under a unit over a
//     span of days). UnitsFor answers which units must report a form for
//     a period: the assignments overlapping the period, expanded as the
//     registry stood on the last day of the period's cut-off (a unit that
//     did not exist then reads through its predecessors or successors).
//   - import.go: the JSON document (Doc: "indicators" and "forms", each
//     form with "sections" and "assign"; the demo file and POST
//     /api/v1/report/import take it), validated whole with every bad member
//     named (indicators[2].valueType, forms[0].assign[1].kinds[0]), written
//     all or nothing, matched by code, idempotent. ImportAs authorises
//     report.manage on each form's issuer, on the issuer of the form that
//     already holds the code, and on each indicator's responsible unit (new
//     and current), so no code is taken over across provinces.
//   - api.go: Mount, the report.view / report.manage rules and the routes
//     under /api/v1/report/ (indicators, forms, forms/{id}/units?period=,
//     import, audited as report.import); scenario_test.go is its table
//     (xlsx_scenario_test.go adds the Excel routes' rows).
//   - demo.go: LoadDemo imports demodata/forms.json when it is there.
//     demo_values.go invents a report's figures (demoFigures, marked
//     DemoNote) and demo_submissions.go writes the demo's two years of
//     reports through the workflow on a moved clock (LoadDemoSubmissions:
//     submitted, approved at every level, some returned with a comment and
//     sent again, some late, some missing, the last quarter partly
//     waiting); `tinhso demo` loads them (demo.LoadReports), the tests'
//     demo province does not, so their reports start empty.
//   - dhis2_import.go: ImportDataValues, the import behind POST
//     /api/dataValueSets: a payload streamed by ReadJSON/ReadCSV, each value
//     resolved from preloaded maps (UID = tinhso's numeric ids, CODE =
//     codes; the default category option combo is empty, "default" or
//     HllvX50cXC0), checked by the Checker, refused with DHIS2's conflicts
//     naming what the client sent, deduplicated (E7699) and written in
//     one transaction on a second goroutine: by WriteValues on SQLite, and
//     on PostgreSQL set-based (bulk.go: each batch COPYed into a temporary
//     table, the outcomes, values, history and the totals' changes in a
//     few statements, the totals upserted once before commit; the foreign
//     keys of report_values and report_value_history checked and locked
//     once per key and batch, their triggers off, where the role may set
//     session_replication_role; TestBulkMatchesWriteValues holds the two
//     paths together); dry runs roll back; one audit event
//     (report.values.import) per import that changed something.
//   - dhis2_api.go: the DHIS2 routes (POST/GET /api/dataValueSets and
//     /api/v1/dataValueSets, .json and .csv), ForceReports (force=true,
//     administrators), 409 WebMessages for set-level refusals, 413 naming
//     the cap (Store.MaxImportBytes, DefaultImportLimit 90 MiB). A
//     payload's completeDate submits the reports it covered (Submit, as
//     the entry page's button does; dataSetComplete is the date when all
//     are complete, a report that cannot be submitted is a conflict).
//   - dhis2_export.go: GET /api/dataValueSets, streamed as DHIS2's JSON or
//     CSV, with DHIS2's E2001–E2012 validation and the caller's view scope.
//   - dhis2_metadata.go: /api/dataElements, /api/dataSets,
//     /api/organisationUnits, /api/categoryOptionCombos (pager, fields=,
//     filter=, order=, paging=false, /{id}), /api/me, /api/system/info.
//   - jobs.go and migration 0006_report_jobs.sql: async=true imports as
//     jobs (StartImportJob spools the upload, one job at a time per
//     server), DHIS2's /api/system/tasks and /api/system/taskSummaries for
//     DATAVALUE_IMPORT, readable by the owner or an administrator.
//   - dhis2_pages.go and templates/exchange*.html: the exchange page
//     (/report/exchange): upload a DHIS2 file, follow the job's progress bar,
//     read the summary and its conflicts in Vietnamese.
//   - completeness.go: completeness and timeliness (issue 7, part 4).
//     Completeness(ctx, CompletenessQuery) counts, per form, unit and
//     period, the reports expected (UnitsFor's units, read in bulk from an
//     org.Snapshot), submitted (submitted, approved or accepted), submitted
//     on time (report_submissions.on_time), approved, returned and late —
//     rolled up the tree of the structure asked for (today's by default:
//     a report of a unit that has ended counts under its successors or
//     heirs) and over time (a year sums a quarterly form's quarters);
//     CompletenessFor authorises report.view; ExpectedReports lists the
//     reports behind one unit's figure; ExpectedUnits is UnitsFor for many
//     periods at once. The indicator ShareOfReports (CDS.BC.HETHONG.TYLE,
//     demodata/forms.json) is computed from it (AddComputed in Mount).
//     DHIS2's REPORTING_RATE, REPORTING_RATE_ON_TIME, ACTUAL_REPORTS,
//     ACTUAL_REPORTS_ON_TIME and EXPECTED_REPORTS map onto a row's rate,
//     rateOnTime, actual, actualOnTime and expected.
//   - completeness_api.go and templates/completeness.html: GET
//     /api/v1/report/completeness (form, period, from/to, unit, children,
//     descendants, asOf, total, dueOnly; every bad parameter named),
//     GET /api/v1/report/completeness/reports (the drill-down list), the
//     page /report/completeness (a table per form × period with rates, the
//     units late, returned, sent late and not yet due, drill-down into a
//     unit) and /report/completeness?format=xlsx|csv (XLSX or CSV via
//     xlsx.SendExport; what=reports for the list).
//   - reminders.go and templates/reminders.html: Reminders(ctx, principal)
//     — the official's unit's next report of each form (period, deadline,
//     days left), its late reports (locked or not), the reports returned
//     to it with the approver's comment, the reports waiting for the
//     official's approval (waiting_unit_id in the report.approve scope) —
//     on the home page, on /report/reminders and at GET
//     /api/v1/report/reminders; each links to EntryHref, the workflow's
//     /report/entry/{form}/{unit}/{period}. SendReminders e-mails each
//     official with an address what is due (RemindDays working days before
//     the deadline), late, returned or waiting, each once (migration
//     0009_report_reminders.sql: report_reminders_sent, claimed before
//     sending), through the operator's SMTP server (internal/mail,
//     --smtp-addr); Mount runs it on start and daily at 07:00 as the
//     component "report-reminders", only when SMTP is configured.
//   - xlsx_template.go: the Excel workbook of a form and period
//     (docs/report-excel.md): sheet «Dữ liệu» with the form's sections and
//     indicators in order, category options as sub-rows, derived rates as
//     formulas, one column per unit due (UnitsFor) that the caller may enter
//     data for (a district's twenty communes side by side, one department
//     alone), values entered and each unit's report state (open, returned,
//     reopened, submitted, approved, locked …, read through the Checker),
//     a drop-down of periods and of Có/Không, input hints; sheet «Hướng
//     dẫn» with the cut-off, the deadline and each indicator's meaning.
//   - xlsx_import.go: ImportExcel reads such a workbook (as Excel or
//     LibreOffice saved it) against its form: form, period and units from
//     the sheet, every value through NewChecker/Check, all written with
//     WriteValues (source "excel") in one transaction with its audit row
//     (audit.ReportExcel), or none; a dry run says what would change. Every
//     problem names its cell; units outside the caller's scope are one
//     audited 403; blank cells keep, equal cells are ignored (idempotent).
//   - xlsx_pages.go: the routes (GET …/forms/{id}/template.xlsx, POST
//     …/forms/{id}/import.xlsx?dryRun=, GET …/forms/{id}/values) and the
//     pages under /report/forms (list, a form's page by period, upload with
//     preview and confirmation, values) and /report/indicators; every list
//     downloads with ?format=xlsx|csv (xlsx.ExportFormat, xlsx.SendExport),
//     the convention for every table.
//   - rules.go and migration 0008_report_workflow.sql: validation rules of
//     a form (report_rules), "left operator right" over #{CODE} and
//     #{CODE:OPTION} with + - * / and a Vietnamese message; imported with
//     the form (Doc's forms[].rules, validated, idempotent), listed in
//     Form.Rules; CheckRules evaluates them. They block Submit, never a
//     draft.
//   - workflow.go: the way of a report (form × unit × period) up the tree:
//     Chain (the districts and provinces above the unit as the registry
//     stood on the last day of the period's cut-off), Submit, Withdraw,
//     Approve (the last level's approval is final: state accepted),
//     Return (with a comment; after the lock it reopens the period for
//     ReturnReopenDays working days), Unapprove (the last approval, by its
//     level or one above), Reopen (the coordinator, until a day); every
//     step one transaction with its event, its SHA-256 and its audit line.
//     Reports(ReportFilter) lists reports for completeness and reminders;
//     Canonical and Digest define the digest (format 1: sorted
//     "CODE\tOPTION\tVALUE\n" lines).
//   - workflow_read.go: Detail (values, rules, levels, deadline, lock,
//     steps), History (every change of the values) and Verify (digests
//     recomputed now and from the history at each step's instant).
//   - entry.go: SaveEntry, the entry form's save: Vietnamese numbers
//     (locale.ParseDecimal) stored as DHIS2 numbers, yes/no, text, a
//     comment per value; every valid change of one save written together
//     through the Checker and WriteValues (source "form"), each invalid
//     one refused with its message and kept on the form.
//   - entry_pages.go and templates/: /report/entry (the reports the
//     official's units must send), /report/approvals (those waiting for
//     their approval), /report/entry/{form}/{unit}/{period} (the entry
//     form, one column for a phone, the steps and the approvers' and
//     coordinator's actions) with /history and /verify.
//   - workflow_api.go: /api/v1/report/reports (list, one report, submit,
//     withdraw, approve, return, unapprove, reopen, history, verify; tag
//     report.workflow); workflow_scenario_test.go is its table.
//   - dhis2_approval.go: DHIS2's completeDataSetRegistrations (POST, GET,
//     DELETE), dataApprovals (GET, POST, DELETE, bulk approvals and
//     unapprovals) and dataAcceptances at /api/ and /api/v1/ (tag
//     dhis2.approval), with the states of dhis2-core's DataApprovalState.
//
// Analytics that are always current (issue 7, part 7), each figure read
// at request time from running totals the write transaction keeps:
//
//   - analytics_agg.go and migration 0007_report_analytics.sql:
//     report_agg, per indicator × option × unit × period bucket (a value's
//     month, quarter and year above its own period; a half year and the
//     nine months only for values that lie within no quarter, the others
//     summed from the quarters at read time: storedBuckets, derivedFrom,
//     migration 0024) the sum, count and latest value; afterWrite (values.go) adds each write batch's
//     changes in one upsert and mends a deleted latest value, so there is
//     no rebuild step. A long import gathers many batches' changes and
//     adds them at once in the table's key order (analytics_rebuild.go,
//     50,000 rows at a time; on PostgreSQL the whole import's, in a
//     temporary table, bulk.go). readStats reads one unit at a time, groupTotals lets
//     the database sum a large unit set's additive indicators, and
//     readApprovedStats reads approved values from report_values at query
//     time (approval moves without a value written). The migration's
//     backfill builds the same rows from stored values.
//   - analytics_tree.go: org.Snapshot kept per registry fingerprint, and
//     per day the tree with where every unit's records stand (a unit that
//     ended stands in its successors and heirs; one formed later is not in
//     an earlier tree). Units are rolled up at query time, not stored per
//     ancestor, so a reorganisation or an "as of" question needs no
//     rewrite of any total.
//   - analytics.go: the engine (AnalyticsQuery → AnalyticsCell): time and
//     unit aggregation by each indicator's kinds (sum, average, last,
//     none), category options, derived indicators as the ratio of the
//     totals at every level, computed ones through Computed.
//   - analytics_periods.go: DHIS2's relative periods (THIS_YEAR,
//     LAST_5_YEARS, LAST_4_QUARTERS, LAST_12_MONTHS …; tinhso adds
//     THIS_NINE_MONTHS, LAST_NINE_MONTHS) against relativePeriodDate.
//   - analytics_api.go: GET /api/analytics and /api/v1/analytics (.json,
//     .csv, .xlsx) in DHIS2's shape (headers, rows of strings, metaData
//     items and dimensions, headerWidth, height, width), dx by id or code
//     and <indicator>.<option> operands, USER_ORGUNIT(_CHILDREN,
//     _GRANDCHILDREN), LEVEL-n and LEVEL-n-<unit>, asOf, approval,
//     ouMode; refusals as DHIS2's 409 with E71xx codes (403 E7120 for a
//     unit outside report.view, through org.Store.Authorize).
//   - analytics_pages.go, analytics_chart.go, templates/analytics.html:
//     the pivot table /report/analytics (rows, columns and filters chosen
//     by the official, Vietnamese numbers, a server-drawn SVG chart,
//     downloads through xlsx.SendExport); docs/analytics.md is its guide.
//   - analytics_source.go: IndicatorValue(s), one indicator's figure for a
//     unit and period with its sources (forms, units, periods, report
//     states, the pivot link): what plan targets (through the server's
//     wiring) and the DTI domain read; AnalyticsVersion for their caches.
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
