// Package dti is tinhso's Digital Transformation Index domain (Chỉ số
// đánh giá chuyển đổi số, issue 8): frameworks as versioned data, scoring
// rules, the provincial assessment cycle with evidence, results with rank
// and "where we lose points", and the national results public sources
// state.
//
// Where it stands (end of its first session):
//
//   - Migration 0012_dti.sql holds the whole schema and the national
//     frameworks. It moves 0002's dti_pillars here (one row per pillar,
//     with the names plans use) and loads 922/QĐ-BTTTT (provinces, DTI
//     2021–2023: 9 main indices, 98 components, 1,000 points, Đô thị thông
//     minh not scored) and 405/QĐ-BKHCN (DTI 2024: 8 main indices, 47
//     components) with every main index and point value research/dti.md
//     states as [seen]. Where a source does not state a value it is a
//     sample and says so (provenance sample, «chỉ số mẫu»): all of 922's
//     component points and rules and 90 of its component names; 405's
//     main-index points, its split of components among main indices and
//     all its component names. 922's 1.1–1.4 and Hà Giang's four
//     zero-score components carry their sourced names (provenance name).
//   - framework.go: Framework (the API's value and the import document
//     alike), Validate (points that do not add up are refused with the
//     difference, per main index and for the total; rules checked by
//     CheckRule; unknown pillars, indicators, groups, units named),
//     Import/ImportAs (matched by code, all or nothing, idempotent; a
//     changed structure is a new revision, refused once an assessment uses
//     the framework), Pillars and PlanPillars (plan.Store.UsePillars: plans
//     file their targets and tasks under the pillars of the framework
//     marked for_plans, 922).
//   - framework_xlsx.go: the framework as a workbook («Bộ chỉ số», «Nhóm»,
//     «Chỉ số», «Hướng dẫn») through internal/xlsx, and its import, whose
//     problems name cells (validation's JSON paths are mapped back to the
//     cells they came from).
//   - rule.go: the rule kinds as data (yes_no, options, steps with
//     half-open ranges that may not overlap, ratio a/b × max or a
//     percentage, parts that add up to the maximum, manual), the pure
//     evaluator Evaluate, CheckRule, FromValue (a computed component's
//     indicator value as the rule's input) and Describe (the working shown
//     with a score: "3 / 4 × 20 = 15").
//   - indicators.go: IndicatorSource, what a computed component reads, and
//     ReportValues, its implementation over the reporting domain's
//     report_values in plain SQL (per the indicator's time aggregation;
//     derived indicators as numerator / denominator × factor; computed
//     indicators through report.Store.Computed). server.New fills
//     Store.Indicators with it; the analytics engine (branch analytics)
//     takes its place when it lands.
//   - assessment.go and steps.go: the cycle. Open (framework, year, owner, units of the
//     framework's level under the owner, deadline, evidence guidance),
//     SelfAssess (the input the rule reads or the indicator value, score,
//     comment, explanation, evidence files checked by type, content and
//     size; every score needs evidence or an explanation; refused after the
//     deadline), Submit, Review (accept, adjust with a reason, ask for more
//     evidence: the unit is returned and answers those components only),
//     Appraise (never by someone who self-assessed the unit), Publish
//     (every unit appraised; locked; revision 1 in dti_final_scores) and
//     Correct (a new visible revision with its reason). Each step is one
//     transaction with its history row (dti_events) and its audit event
//     (audit.DTI…); the state moves with a guarded UPDATE, so a racing
//     step fails as a state conflict (409). Actions: dti.view, dti.manage
//     (admin, coordinator), dti.assess (also approver, reporter),
//     dti.review (admin, coordinator), dti.appraise (also leader).
//   - scores.go: a unit's Sheet (every component at each stage, the
//     working, evidence, history, revisions) and Results of a framework
//     and year (stage final: published revisions; current: the latest
//     stage of every unit): total, index = total / total points, rank among
//     every peer (same framework, hence same level; equal totals share a
//     rank), main indices, and the ten components with the largest gap
//     first. The caller sees the rows of the units in their dti.view
//     scope, ranked among all.
//   - api.go also answers the results table as a download
//     (/api/v1/dti/scores/export, XLSX or CSV through xlsx.SendExport).
//   - demo.go: LoadDemo imports demodata/gl-so-mau.json, a sample cascaded
//     set for Gia Lai's departments (6 main indices as Đắk Lắk's
//     department set, 1,000 points; every component a sample, nine
//     computing themselves from the reporting demo's indicators).
//   - published.go and demodata/published.json: national results the
//     sources state for the demo provinces (ranks, indices, points, the
//     main indices of Hà Giang 2022, the pillars of Tuyên Quang 2023, the
//     new Gia Lai's 31/34 for 2024, national averages), apart from the
//     assessments; LoadDemo loads them.
//   - api.go (routes under /api/v1/dti/, scenario_test.go is their table)
//     and pages.go with templates/ (/dti, /dti/frameworks/{id},
//     /dti/scores, /dti/assessments/{id}/units/{unit}).
//
// Second session (branch dti2):
//
//   - pages_cycle.go: the cycle on pages, for officials on a phone, each
//     form calling the store method the API calls: open an assessment
//     (/dti/assessments/new: framework, year, the units of its level under
//     the owner as they stood that year), the assessment (/dti/assessments/{id},
//     publish), a component's self-assessment with evidence uploads
//     (/dti/assessments/{id}/units/{unit}/components/{code}: the input its
//     rule reads, Vietnamese numbers, files, explanation; "save and next"),
//     and on the sheet: submit, the review (per component accept, adjust
//     with score and reason, ask for evidence), the appraisal, a
//     correction. Bad input comes back on the form naming the field ("Điểm
//     (chỉ số 1.1): …"); a step the state or the deadline refuses shows
//     why on the form (asForm), never an error page. /dti/frameworks/import
//     imports a cascaded set from Excel, problems named by cell.
//   - links.go and migration 0016: dti_component_tasks links a component to
//     the programme tasks that address it (GET /api/v1/dti/frameworks/{id}/links,
//     PUT …/components/{code}/tasks, audited dti.link); every Loss carries its
//     Tasks, and the results page links them (/tasks/{id}), the pillar's task
//     list only when a component has none.
//   - history.go: change from last year in Results (UnitScore.Previous,
//     Change, RankChange): the unit's own published result of the year
//     before by the same framework or, when it did not exist then, the plain
//     average of its predecessors' main indices and indices (org.Predecessors),
//     marked averaged, ranked among this year's units (the rule of the 2024
//     ranking of the 34 merged provinces). History (GET /api/v1/dti/history?unit=,
//     /dti/history?unit=): the unit's and its predecessors' published results
//     per framework and year, an averaged row for a year before it existed,
//     and the national results of the unit and its predecessors.
//   - chart.go: server-side SVG (main indices as bars, rank over the years)
//     on the history page.
//   - sheetExport (scores.go): the whole scoring sheet in the provinces'
//     layout (main-index rows, components with maximum, evidence asked,
//     declared input and working, self score, files, explanation, review,
//     appraisal, published score, total) through xlsx.SendExport, at
//     ?format=xlsx|csv on the sheet's API route and page.
//   - demo_cycle.go, demodata/gl-xa-mau.json and links.json: the commune
//     set (GL25-XA-MAU, 6 main indices, 12 sample components), 3015/KH-UBND's
//     tasks linked to both sample sets, a complete 2024 cycle of the
//     old Gia Lai's 15 departments (self-assessed with evidence, one score
//     adjusted in review per department, some changed by the council,
//     published) and a 2025 cycle of the new Gia Lai's 11 departments in
//     progress (all appraised but GL25.STP, one component left for the demo
//     account baocao.sotp), all run through Open/SelfAssess/…/Publish.
//   - internal/e2e/dti_test.go: the "Done when" journey in
//     Chromium; bench_eval_test.go: the rule evaluator over whole sheets
//     (docs/perf.md).
//
// Third session (branch dti3):
//
//   - framework_edit.go and pages_framework.go: a coordinator builds the
//     province's cascaded framework on pages, field by field
//     (/dti/frameworks/new, /dti/frameworks/{id}/edit and the forms of a
//     main index and a component): the header (issuing decision, date,
//     issuer, the province that owns it, level, years, total points),
//     groups, main indices (code, name, group, pillar, maximum points),
//     components (code, exact name, maximum points, the rule of every kind
//     with its parameters typed in rows, evidence, data source, verifying
//     agency, the indicator it computes itself from), each added, changed,
//     moved up or down or removed. Every change is EditFramework: one
//     transaction that applies it to the stored framework, checks the whole
//     with the importer's Validate in draft mode (a draft may lack main
//     indices and components and its points may fall short of the total,
//     never above it: dti.components_exceed, dti.points_exceed), writes the
//     structure in place (syncStructure: main indices and components keep
//     their ids, so links to tasks stay), counts the revision with a guarded
//     UPDATE (a form shown at an older revision is a 409,
//     ErrStaleFramework) and records audit.DTIFramework. Edit and Open both
//     take the framework's row first, so an assessment opened at the
//     moment of an edit either waits for it or locks the framework. Authorised by
//     dti.manage on the framework's owner (authorizeOwner). The form shows
//     what was typed and each message on its field, rows and main indices
//     named as the form shows them ("Khoảng (dòng 1): … chồng lên dòng 2").
//     The editor lists what keeps a draft from being used (Problems);
//     Open refuses an incomplete framework (dti.framework_incomplete).
//   - Decision: a framework an assessment uses is locked (ErrFrameworkLocked;
//     the importer refused it already), since its structure is what the
//     sheets were scored by; a change is a new version, CopyFramework
//     ("Tạo phiên bản mới": the same structure under a new code and years,
//     a draft to edit; links to tasks stay with the original).
//   - Import now writes a changed framework in place too, matched by code:
//     it used to delete and insert the components, which failed on the
//     foreign key of a component linked to a task.
//   - chart.go: a radar of the main indices (radarChart) on the unit's sheet
//     against the average of every unit of the same framework and year
//     (Results.Average, all peers, also in the API) or, at ?compare=previous,
//     the unit's previous year (its own, or its predecessors' average,
//     labelled); SVG with title and description, values and differences in
//     a table beside it.
//   - history.go: the history's averaged year is ranked (averagedRank) among
//     the next year's units, each with its own score of that year or its
//     predecessors' average, as the results' Previous is; it shows on the
//     rank chart marked ≈.
//   - demo.go: LoadDemoSets and LoadDemoCycles; `tinhso demo` runs the
//     cycles after the demo's reports (demo.LoadWithReports), so the
//     department set's computed components compute themselves (the tests'
//     demo province, without reports, declares them).
//   - internal/e2e/dti_editor_test.go: the coordinator builds a commune set of
//     2 main indices and 3 components in Chromium, opens a cycle with it, a
//     commune's official scores a component on a phone, and the set is then
//     locked and copied as a new version.
//
// Left for the next session:
//
//   - the speed of Results on PostgreSQL under load (docs/perf.md: keep
//     per-unit main-index totals at publication); the sheet's radar reads the
//     whole Results of its framework and year;
//   - the demo's 2024 cycle is opened by the system administrator (the
//     demo has no coordinator of the old province);
//   - the editor has no JSON API of its own (the API imports whole
//     documents); it does not edit a main index's "not scored" flag (kept
//     as imported) nor a component's source note; a copied version does not
//     take the original's links to tasks;
package dti
