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
//     /dti/scores, /dti/assessments/{id}/units/{unit}; read-only). A lost
//     component links to the programme's tasks under the same pillar
//     (/tasks?pillar=…), until components are linked to tasks one by one.
//   - bench_test.go: BenchmarkResults, 34 provinces × 98 components and
//     3,321 communes × 65, against a raw scan of the same final scores
//     (docs/perf.md).
//
// Left for the next session (where this one stopped):
//
//   - pages to open an assessment, self-assess with uploads, review,
//     appraise, publish and correct (the API does all of it);
//   - the demo of part 7: a commune set, a complete 2024 cycle for Gia
//     Lai's departments on the sample set, a 2025 cycle in progress, and
//     3015's tasks linked to the components they address (a link table;
//     "where we lose points" then names the task, not the pillar);
//   - change from last year; charts (main indices as a radar or bars, rank
//     over the years); the Excel export of a whole scoring sheet in the
//     provinces' layout;
//   - part 5: a merged unit's history with its predecessors' scores, and
//     the plain average of their main indices for a year before a merger;
//   - the browser test; a benchmark of the evaluator over whole sheets
//     (docs/perf.md measures the results).
package dti
