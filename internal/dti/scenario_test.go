package dti_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

// The demo's officials in this table: dieuphoi (coordinator of the new
// Gia Lai: opens, reviews, publishes, and self-assesses one component of
// Pleiku, which bars it from appraising Pleiku), lanhdao (leader of Gia
// Lai: the appraisal council), baocao.pleiku and baocao.ankhe (each
// self-assesses their own district only), quantri.laichau (admin of Lai
// Châu: refused everything in Gia Lai).

var pdf = base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"))

// evidence is the JSON of one small PDF.
func evidence(name string) string {
	return fmt.Sprintf(`[{"filename":%q,"contentType":"application/pdf","data":%q}]`, name, pdf)
}

func score(component, input, extra string) string {
	return fmt.Sprintf(`{"component":%q,"input":%s%s}`, component, input, extra)
}

// cycleTables are the tables a refused or invalid write must leave as
// they were.
var cycleTables = []string{"dti_frameworks", "dti_components", "dti_assessments", "dti_assessment_units", "dti_scores", "dti_evidence", "dti_events", "dti_final_scores", "dti_revisions"}

// unchanged snapshots the tables and the refusals of a user before a row,
// and checks after it that nothing was written and that a refusal was
// audited once (denied true) or not at all.
func unchanged(user string, denied bool) (func(*testing.T, *testapp.App), func(*testing.T, *testapp.App, []byte, http.Header)) {
	var before map[string]int
	var refusals, audits int
	return func(t *testing.T, app *testapp.App) {
			before = app.RowCounts(t, cycleTables...)
			refusals = app.Denials(t, user)
			audits = app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind LIKE 'dti.%' AND success = $1`, true)
		}, func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			for table, n := range app.RowCounts(t, cycleTables...) {
				if n != before[table] {
					t.Errorf("%s: %d rows before, %d after a refused write", table, before[table], n)
				}
			}
			want := refusals
			if denied {
				want++
			}
			if got := app.Denials(t, user); got != want {
				t.Errorf("%s: %d refusals audited, want %d", user, got, want)
			}
			if got := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind LIKE 'dti.%' AND success = $1`, true); got != audits {
				t.Errorf("a refused write audited %d DTI steps", got-audits)
			}
		}
}

// writeValue stores a yearly report value for a unit, as the reporting
// domain holds it.
func writeValue(t *testing.T, app *testapp.App, indicator, unit string, year int, valueType, value string) {
	t.Helper()
	var id int64
	if err := app.DB.Read.QueryRow(`SELECT id FROM report_indicators WHERE code = $1`, indicator).Scan(&id); err != nil {
		t.Fatalf("indicator %s: %v", indicator, err)
	}
	p, err := report.NewPeriod(report.Yearly, year, 1)
	if err != nil {
		t.Fatal(err)
	}
	err = app.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := app.Server.Report.WriteValues(context.Background(), tx, []report.ValueInput{{
			Key: report.Key{Indicator: id, Unit: app.UnitID(t, unit), Period: p.String()}, PeriodOf: p, ValueType: valueType, Value: value}}, report.WriteOptions{Source: "api"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAssessmentCycle walks a district assessment through every step on
// both engines: import the framework, open, self-assess with evidence
// (and a component that computes itself from the reporting domain),
// submit, review (adjust, ask for evidence, accept), appraise, publish,
// correct, and the results; with the refused roles and the bad input of
// each step, which leave every table as it was.
func TestAssessmentCycle(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("testdata/huyen.json")
	if err != nil {
		t.Fatal(err)
	}
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		for _, u := range []string{"dieuphoi", "lanhdao", "baocao.pleiku", "baocao.ankhe", "quantri.laichau", "baocao.laichau"} {
			app.Token(t, u) // issued before any row counts
		}
		vars := map[string]string{}
		deadline := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
		past := time.Now().AddDate(0, 0, -1).Format(time.DateOnly)
		base := "/api/v1/dti/assessments/{var:asm}/units/{unit:GL.PLEIKU}"
		ankhe := "/api/v1/dti/assessments/{var:asm}/units/{unit:GL.ANKHE}"
		broken := func(edit func(m map[string]any)) string {
			var m map[string]any
			json.Unmarshal(doc, &m)
			edit(m)
			b, _ := json.Marshal(m)
			return string(b)
		}
		comp := func(m map[string]any, main, c int) map[string]any {
			return m["mainIndices"].([]any)[main].(map[string]any)["components"].([]any)[c].(map[string]any)
		}
		var table []testapp.Scenario
		add := func(rows ...testapp.Scenario) { table = append(table, rows...) }
		refused := func(name, user string, denied bool, status int, c testapp.Call, fields []string, contains ...string) testapp.Scenario {
			before, after := unchanged(user, denied)
			c.User = user
			return testapp.Scenario{Name: name, Call: c, Status: status, Fields: fields, Contains: contains, Before: before, Check: after}
		}

		// Frameworks.
		add(
			refused("an admin of Lai Châu may not import Gia Lai's framework", "quantri.laichau", true, 403, testapp.Call{Method: "POST", Path: "/api/v1/dti/frameworks", Body: string(doc)}, nil),
			refused("a reporter may not import a framework", "baocao.pleiku", true, 403, testapp.Call{Method: "POST", Path: "/api/v1/dti/frameworks", Body: string(doc)}, nil),
			refused("points that do not add up are refused with the difference", "dieuphoi", false, 422, testapp.Call{Method: "POST", Path: "/api/v1/dti/frameworks",
				Body: broken(func(m map[string]any) { m["totalPoints"] = 120 })}, []string{"totalPoints"}, "Tổng điểm: các chỉ số chính cộng lại được 100 điểm, khác tổng điểm 120 (chênh lệch -20 điểm)"),
			refused("components that do not add up to their main index", "dieuphoi", false, 422, testapp.Call{Method: "POST", Path: "/api/v1/dti/frameworks",
				Body: broken(func(m map[string]any) { comp(m, 1, 2)["maxPoints"] = 12.5 })}, []string{"mainIndices[1].maxPoints"}, "chênh lệch 2,5 điểm"),
			refused("overlapping thresholds are refused", "dieuphoi", false, 422, testapp.Call{Method: "POST", Path: "/api/v1/dti/frameworks",
				Body: broken(func(m map[string]any) {
					comp(m, 0, 0)["rule"].(map[string]any)["steps"].([]any)[1].(map[string]any)["max"] = 5
				})}, []string{"mainIndices[0].components[0].rule.steps[0]"}, "chồng lên"),
			refused("an unknown indicator and a rule an indicator cannot answer", "dieuphoi", false, 422, testapp.Call{Method: "POST", Path: "/api/v1/dti/frameworks",
				Body: broken(func(m map[string]any) {
					comp(m, 1, 0)["indicator"] = "KHONG.CO"
					comp(m, 1, 2)["indicator"] = "CDS.DTI.SOC"
				})},
				[]string{"mainIndices[1].components[0].indicator", "mainIndices[1].components[2].indicator"}),
			testapp.Scenario{Name: "the coordinator imports the framework", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/dti/frameworks", Body: string(doc)},
				Status: 201, Contains: []string{`"created":true`}, Capture: map[string]string{"fw": "id"}},
			testapp.Scenario{Name: "importing it again changes nothing", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/dti/frameworks", Body: string(doc)},
				Status: 200, Contains: []string{`"changed":false`, `"revision":1`}},
			testapp.Scenario{Name: "a reporter reads a framework", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/dti/frameworks/{var:fw}"},
				Status: 200, Contains: []string{`"code":"KT-HUYEN"`, `"maxPoints":60`, `"indicator":"CDS.DTI.CHUYENTRACH"`}},
			testapp.Scenario{Name: "its document imports as it is", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/dti/frameworks/{var:fw}/document"},
				Status: 200, Contains: []string{`"owner":"GL25"`}, Absent: []string{`"id"`, `"revision"`}},
			testapp.Scenario{Name: "frameworks need credentials", Call: testapp.Call{Method: "GET", Path: "/api/v1/dti/frameworks"}, Status: 401},
			testapp.Scenario{Name: "a framework downloads as a workbook", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/dti/frameworks/{var:fw}/workbook"}, Status: 200,
				Header: map[string]string{"Content-Type": "spreadsheetml", "Content-Disposition": "KT-HUYEN"}},
			refused("a workbook import that is no workbook", "dieuphoi", false, 422, testapp.Call{Method: "POST", Path: "/api/v1/dti/frameworks/workbook",
				Headers: map[string]string{"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, Body: "PK không phải tệp"}, []string{"file"}),
		)
		// Opening.
		open := func(units, dl string) string {
			return `{"framework":{var:fw},"year":2024,"owner":{unit:GL25},"deadline":"` + dl + `","guidance":"Mỗi điểm kèm văn bản chứng minh","units":[` + units + `]}`
		}
		add(
			refused("a reporter may not open an assessment", "baocao.pleiku", true, 403, testapp.Call{Method: "POST", Path: "/api/v1/dti/assessments", Body: open("{unit:GL.PLEIKU}", deadline)}, nil),
			refused("Lai Châu's admin may not open one in Gia Lai", "quantri.laichau", true, 403, testapp.Call{Method: "POST", Path: "/api/v1/dti/assessments", Body: open("{unit:GL.PLEIKU}", deadline)}, nil),
			refused("a department in a district framework, a unit of Lai Châu, a year outside", "dieuphoi", false, 422, testapp.Call{Method: "POST", Path: "/api/v1/dti/assessments",
				Body: strings.Replace(open("{unit:GL.STTTT},{unit:LC.TAMDUONG}", deadline), `"year":2024`, `"year":2023`, 1)},
				[]string{"year", "units[0]", "units[1]"}, "không thuộc cấp mà bộ chỉ số đánh giá (Cấp huyện)"),
			testapp.Scenario{Name: "the coordinator opens the 2024 assessment of two districts", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/dti/assessments",
				Body: open("{unit:GL.PLEIKU},{unit:GL.ANKHE}", deadline)}, Status: 201, Contains: []string{`"state":"open"`, `"code":"GL.ANKHE"`}, Capture: map[string]string{"asm": "id"}},
			refused("a unit is assessed once a year by a framework", "dieuphoi", false, 422, testapp.Call{Method: "POST", Path: "/api/v1/dti/assessments", Body: open("{unit:GL.ANKHE}", deadline)},
				[]string{"units[0]"}),
			testapp.Scenario{Name: "the used framework cannot change its structure", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/dti/frameworks",
				Body: broken(func(m map[string]any) { comp(m, 0, 0)["name"] = "Tên khác" })}, Status: 422, Fields: []string{"code"}, Contains: []string{"nhập phiên bản mới với mã khác"}},
		)
		// Self-assessment.
		add(
			refused("An Khê's reporter may not self-assess Pleiku", "baocao.ankhe", true, 403, testapp.Call{Method: "POST", Path: base + "/scores",
				Body: score("1.1", `{"value":3}`, `,"evidence":`+evidence("bien-ban.pdf"))}, nil),
			refused("a score above the component's maximum", "baocao.pleiku", false, 422, testapp.Call{Method: "POST", Path: base + "/scores",
				Body: score("2.3", `{"score":12}`, `,"explanation":"Tự chấm"`)}, []string{"input.score"}, "điểm 12 vượt điểm tối đa của chỉ số (10)"),
			refused("evidence of a forbidden type", "baocao.pleiku", false, 422, testapp.Call{Method: "POST", Path: base + "/scores",
				Body: score("1.1", `{"value":3}`, `,"evidence":[{"filename":"setup.exe","contentType":"application/x-msdownload","data":"TVqQAAMAAAAEAAAA"}]`)},
				[]string{"evidence[0].contentType"}),
			refused("evidence that is not what it says", "baocao.pleiku", false, 422, testapp.Call{Method: "POST", Path: base + "/scores",
				Body: score("1.1", `{"value":3}`, `,"evidence":[{"filename":"bien-ban.pdf","contentType":"application/pdf","data":"PGh0bWw+PC9odG1sPg=="}]`)},
				[]string{"evidence[0].data"}),
			refused("evidence too large", "baocao.pleiku", false, 422, testapp.Call{Method: "POST", Path: base + "/scores",
				Body: score("1.1", `{"value":3}`, `,"evidence":[{"filename":"lon.pdf","contentType":"application/pdf","data":"`+base64.StdEncoding.EncodeToString(append([]byte("%PDF-"), make([]byte, 10<<20)...))+`"}]`)},
				[]string{"evidence[0].data"}, "lớn hơn 10 MB"),
			refused("a score without evidence or explanation", "baocao.pleiku", false, 422, testapp.Call{Method: "POST", Path: base + "/scores", Body: score("1.1", `{"value":3}`, "")},
				[]string{"explanation"}, "tài liệu kiểm chứng hoặc văn bản giải trình"),
			refused("a ratio whose a exceeds b", "baocao.pleiku", false, 422, testapp.Call{Method: "POST", Path: base + "/scores", Body: score("1.4", `{"a":5,"b":4}`, `,"explanation":"x"`)},
				[]string{"input.a"}),
			refused("an unknown component", "baocao.pleiku", false, 422, testapp.Call{Method: "POST", Path: base + "/scores", Body: score("9.9", `{"score":1}`, `,"explanation":"x"`)},
				[]string{"component"}),
			testapp.Scenario{Name: "Pleiku's reporter self-assesses 1.1 with evidence: 3 meetings = 15", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: base + "/scores",
				Body: score("1.1", `{"value":3}`, `,"comment":"Họp quý I, II, IV","evidence":`+evidence("bien-ban-hop.pdf"))}, Status: 200,
				Contains: []string{`"selfScore":15`, `"working":"3 ∈ [3; 4) → 15"`, `"filename":"bien-ban-hop.pdf"`, `"total":15`}},
			refused("submitting before every component is scored", "baocao.pleiku", false, 422, testapp.Call{Method: "POST", Path: base + "/submit"}, []string{"scores"}, "còn 6 chỉ số thành phần chưa tự đánh giá"),
			testapp.Scenario{Name: "a component without an indicator value must be declared", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: base + "/scores",
				Body: score("2.1", `{}`, `,"explanation":"Theo báo cáo năm"`)}, Status: 422, Fields: []string{"input"}},
			testapp.Scenario{Name: "a component computes itself from the reporting domain and shows its input",
				Before: func(t *testing.T, app *testapp.App) {
					writeValue(t, app, "CDS.DTI.CHUYENTRACH", "GL.PLEIKU", 2024, "INTEGER_ZERO_OR_POSITIVE", "2")
					writeValue(t, app, "CDS.DTI.SOC", "GL.PLEIKU", 2024, "BOOLEAN", "true")
				},
				Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: base + "/scores", Body: score("2.1", `{}`, `,"explanation":"Theo báo cáo năm 2024"`)}, Status: 200,
				Contains: []string{`"computed":{"indicator":"CDS.DTI.CHUYENTRACH","year":2024,"value":2}`, `"working":"2 ∈ [2; 3) → 14"`}},
			testapp.Scenario{Name: "yes/no from a boolean indicator", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: base + "/scores", Body: score("2.2", `{}`, `,"evidence":`+evidence("soc.pdf"))},
				Status: 200, Contains: []string{`"computed":{"indicator":"CDS.DTI.SOC","year":2024,"value":1}`}},
			testapp.Scenario{Name: "tiered: a deputy chairs", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: base + "/scores", Body: score("1.2", `{"option":"deputy"}`, `,"evidence":`+evidence("qd.pdf"))}, Status: 200},
			testapp.Scenario{Name: "two halves", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: base + "/scores", Body: score("1.3", `{"parts":["attends","chairs"]}`, `,"evidence":`+evidence("tb.pdf"))}, Status: 200},
			testapp.Scenario{Name: "a ratio", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: base + "/scores", Body: score("1.4", `{"a":3,"b":4}`, `,"evidence":`+evidence("vb.pdf"))}, Status: 200,
				Contains: []string{`"working":"3 / 4 × 20 = 15"`}},
			testapp.Scenario{Name: "the coordinator scores one component of Pleiku itself", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: base + "/scores", Body: score("2.3", `{"score":6}`, `,"explanation":"Theo kết quả kiểm tra thực tế"`)}, Status: 200},
			refused("An Khê's reporter may not submit Pleiku", "baocao.ankhe", true, 403, testapp.Call{Method: "POST", Path: base + "/submit"}, nil),
			testapp.Scenario{Name: "Pleiku submits", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: base + "/submit"}, Status: 200, Contains: []string{`"state":"submitted"`, `"total":75`}},
			refused("no self-assessment once submitted", "baocao.pleiku", false, 409, testapp.Call{Method: "POST", Path: base + "/scores", Body: score("1.1", `{"value":4}`, `,"explanation":"x"`)}, nil, "Chờ rà soát"),
		)
		// Review.
		add(
			refused("a reporter may not review", "baocao.pleiku", true, 403, testapp.Call{Method: "POST", Path: base + "/review", Body: `{"acceptRest":true}`}, nil),
			refused("an adjustment needs a reason and a score within the maximum", "dieuphoi", false, 422, testapp.Call{Method: "POST", Path: base + "/review",
				Body: `{"decisions":[{"component":"1.1","action":"adjust","score":25},{"component":"1.2","action":"evidence"},{"component":"1.3","action":"approve"}]}`},
				[]string{"decisions[0].score", "decisions[0].reason", "decisions[1].reason", "decisions[2].action"}),
			testapp.Scenario{Name: "the reviewer adjusts 1.1 and asks for more evidence on 1.4", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: base + "/review",
				Body: `{"decisions":[{"component":"1.1","action":"adjust","score":10,"reason":"Chỉ có biên bản 2 cuộc họp"},{"component":"1.4","action":"evidence","reason":"Thiếu văn bản thứ ba"}],"acceptRest":true}`},
				Status: 200, Contains: []string{`"state":"returned"`, `"review":"adjusted"`, `"reviewScore":10`, `"reviewReason":"Chỉ có biên bản 2 cuộc họp"`}},
			refused("a returned unit answers only what was asked", "baocao.pleiku", false, 422, testapp.Call{Method: "POST", Path: base + "/scores", Body: score("1.2", `{"option":"chair"}`, `,"explanation":"x"`)}, []string{"component"}),
			testapp.Scenario{Name: "Pleiku adds the evidence asked for", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: base + "/scores", Body: score("1.4", `{"a":4,"b":4}`, `,"evidence":`+evidence("vb-3.pdf"))},
				Status: 200, Contains: []string{`"state":"returned"`}},
			testapp.Scenario{Name: "and submits again", Call: testapp.Call{User: "baocao.pleiku", Method: "POST", Path: base + "/submit"}, Status: 200, Contains: []string{`"state":"submitted"`}},
			testapp.Scenario{Name: "the reviewer accepts the rest", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: base + "/review", Body: `{"acceptRest":true}`}, Status: 200,
				Contains: []string{`"state":"reviewed"`, `"total":75`}},
		)
		// Appraisal.
		add(
			refused("a reporter may not appraise", "baocao.pleiku", true, 403, testapp.Call{Method: "POST", Path: base + "/appraisal", Body: `{"scores":[]}`}, nil),
			refused("someone who self-assessed the unit may not appraise it", "dieuphoi", false, 403, testapp.Call{Method: "POST", Path: base + "/appraisal", Body: `{"scores":[]}`},
				nil, "Người đã tham gia tự đánh giá đơn vị này không được thẩm định"),
			testapp.Scenario{Name: "nothing was appraised by the refused appraisal", Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: base}, Status: 200,
				Contains: []string{`"state":"reviewed"`}, Absent: []string{`"appraisedScore"`}},
			refused("a changed score needs a reason; a score above the maximum", "lanhdao", false, 422, testapp.Call{Method: "POST", Path: base + "/appraisal",
				Body: `{"scores":[{"component":"1.2","score":10},{"component":"2.3","score":11,"reason":"x"}]}`}, []string{"scores[0].reason", "scores[1].score"}),
			testapp.Scenario{Name: "the council appraises", Call: testapp.Call{User: "lanhdao", Method: "POST", Path: base + "/appraisal",
				Body: `{"scores":[{"component":"2.3","score":8,"reason":"Hội đồng ghi nhận kết quả kiểm tra"}]}`}, Status: 200,
				Contains: []string{`"state":"appraised"`, `"appraisedScore":8`, `"total":77`}},
		)
		// An Khê, quickly, and an assessment whose deadline has passed.
		for _, c := range []string{`{"component":"1.1","input":{"value":4}`, `{"component":"1.2","input":{"option":"chair"}`, `{"component":"1.3","input":{"parts":["chairs"]}`,
			`{"component":"1.4","input":{"a":1,"b":2}`, `{"component":"2.1","input":{"value":1}`, `{"component":"2.2","input":{"yes":false}`, `{"component":"2.3","input":{"score":4}`} {
			add(testapp.Scenario{Name: "An Khê self-assesses " + c[14:17], Call: testapp.Call{User: "baocao.ankhe", Method: "POST", Path: ankhe + "/scores", Body: c + `,"explanation":"Theo báo cáo của UBND thị xã"}`}, Status: 200})
		}
		add(
			refused("publishing before every unit is appraised", "dieuphoi", false, 422, testapp.Call{Method: "POST", Path: "/api/v1/dti/assessments/{var:asm}/publish"}, []string{"units"}, "GL.ANKHE"),
			testapp.Scenario{Name: "An Khê submits", Call: testapp.Call{User: "baocao.ankhe", Method: "POST", Path: ankhe + "/submit"}, Status: 200},
			testapp.Scenario{Name: "An Khê is reviewed", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: ankhe + "/review", Body: `{"acceptRest":true}`}, Status: 200},
			testapp.Scenario{Name: "An Khê is appraised", Call: testapp.Call{User: "lanhdao", Method: "POST", Path: ankhe + "/appraisal", Body: `{"scores":[]}`}, Status: 200, Contains: []string{`"total":57`}},
			testapp.Scenario{Name: "results before publication: the current stage", Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: "/api/v1/dti/scores?framework={var:fw}&year=2024&stage=current"},
				Status: 200, Contains: []string{`"peers":2`, `"stage":"current"`}},
			testapp.Scenario{Name: "no final results before publication", Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: "/api/v1/dti/scores?framework={var:fw}&year=2024"},
				Status: 200, Contains: []string{`"peers":0`, `"units":[]`}},
			refused("a reporter may not publish", "baocao.pleiku", true, 403, testapp.Call{Method: "POST", Path: "/api/v1/dti/assessments/{var:asm}/publish"}, nil),
			testapp.Scenario{Name: "the coordinator publishes", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/dti/assessments/{var:asm}/publish"}, Status: 200,
				Contains: []string{`"state":"published"`, `"publishedAt"`}},
			refused("published scores are locked", "baocao.pleiku", false, 409, testapp.Call{Method: "POST", Path: base + "/scores", Body: score("1.1", `{"value":4}`, `,"explanation":"x"`)}, nil),
			refused("publishing twice", "dieuphoi", false, 409, testapp.Call{Method: "POST", Path: "/api/v1/dti/assessments/{var:asm}/publish"}, nil),
		)
		// Results.
		add(
			testapp.Scenario{Name: "each unit's total, index and rank among its peers, with where it loses points",
				Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/dti/scores?framework={var:fw}&year=2024"}, Status: 200,
				Check: func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
					var res dti.Results
					testapp.JSON(t, body, &res)
					if res.Peers != 2 || len(res.Units) != 2 || res.Stage != dti.StageFinal {
						t.Fatalf("results: %s", body)
					}
					p, a := res.Units[0], res.Units[1]
					if p.Unit.Code != "GL.PLEIKU" || p.Total != 77 || p.Index != 0.77 || p.Rank != 1 || a.Unit.Code != "GL.ANKHE" || a.Total != 57 || a.Rank != 2 {
						t.Errorf("ranking: %+v / %+v", p, a)
					}
					if m := p.MainIndices[0]; m.Points != 45 || m.MaxPoints != 60 || m.Index == nil || *m.Index != 0.75 {
						t.Errorf("Pleiku's Nhận thức số: %+v", m)
					}
					// Pleiku loses 10 on 1.1 (adjusted), 6 on 2.1, 5 on 1.2, 2 on 2.3.
					var got []string
					for _, l := range p.Losses {
						got = append(got, fmt.Sprintf("%s:%v", l.Component, l.Gap))
					}
					if strings.Join(got, " ") != "1.1:10 2.1:6 1.2:5 2.3:2" || p.Losses[0].Evidence != 1 {
						t.Errorf("Pleiku loses %v (%+v)", got, p.Losses)
					}
				}},
			testapp.Scenario{Name: "a reporter sees their own row, ranked among every peer", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/dti/scores?framework={var:fw}&year=2024"},
				Status: 200, Contains: []string{`"peers":2`, `"code":"GL.ANKHE"`, `"rank":2`}, Absent: []string{"GL.PLEIKU"}},
			testapp.Scenario{Name: "Lai Châu's officials see no Gia Lai row", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/dti/scores?framework={var:fw}&year=2024"},
				Status: 200, Contains: []string{`"units":[]`}},
			testapp.Scenario{Name: "results need a framework and a year", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/dti/scores?year=24&stage=latest"},
				Status: 422, Fields: []string{"framework", "year", "stage"}},
			testapp.Scenario{Name: "the results table downloads as CSV", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/dti/scores/export?framework={var:fw}&year=2024&format=csv"},
				Status: 200, Header: map[string]string{"Content-Type": "text/csv"},
				Contains: []string{"\ufeffXếp hạng,Mã đơn vị,Đơn vị,Trạng thái,Bản,Tổng điểm,Chỉ số,1. Nhận thức số (điểm),1. Nhận thức số (chỉ số)", "1,GL.PLEIKU,", ",Đã công bố,1,77,0.77,45,0.75,", "2,GL.ANKHE,"}},
			testapp.Scenario{Name: "and as a workbook", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/dti/scores/export?framework={var:fw}&year=2024"},
				Status: 200, Header: map[string]string{"Content-Type": "spreadsheetml"}},
			testapp.Scenario{Name: "results need credentials", Call: testapp.Call{Method: "GET", Path: "/api/v1/dti/scores?framework={var:fw}&year=2024"}, Status: 401},
		)
		// Corrections.
		add(
			refused("a correction needs a reason", "dieuphoi", false, 422, testapp.Call{Method: "POST", Path: base + "/corrections", Body: `{"component":"1.1","score":15}`}, []string{"reason"}),
			refused("a reporter may not correct", "baocao.pleiku", true, 403, testapp.Call{Method: "POST", Path: base + "/corrections", Body: `{"component":"1.1","score":15,"reason":"x"}`}, nil),
			testapp.Scenario{Name: "a correction is a new, visible revision", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: base + "/corrections",
				Body: `{"component":"1.1","score":15,"reason":"Bổ sung biên bản cuộc họp quý III"}`}, Status: 200,
				Check: func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
					var sh dti.Sheet
					testapp.JSON(t, body, &sh)
					if sh.Revision != 2 || len(sh.Revisions) != 2 || sh.Revisions[0].Total != 77 || sh.Revisions[1].Total != 82 || sh.Revisions[1].Reason != "Bổ sung biên bản cuộc họp quý III" || sh.Total != 82 {
						t.Errorf("revisions: %+v, total %v", sh.Revisions, sh.Total)
					}
				}},
			testapp.Scenario{Name: "results follow the revision", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/dti/scores?framework={var:fw}&year=2024"},
				Status: 200, Contains: []string{`"total":82`, `"revision":2`}},
		)
		// Sheets, evidence, lists.
		add(
			testapp.Scenario{Name: "a unit's sheet has the history of every step", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: base}, Status: 200,
				Check: func(t *testing.T, app *testapp.App, body []byte, _ http.Header) {
					var sh dti.Sheet
					testapp.JSON(t, body, &sh)
					var actions []string
					for _, e := range sh.Events {
						actions = append(actions, e.Action)
					}
					want := "self self self self self self self submit adjust evidence accept accept accept accept accept returned self submit accept reviewed appraise appraised published correct"
					if strings.Join(actions, " ") != want {
						t.Errorf("history:\n%s\nwant\n%s", strings.Join(actions, " "), want)
					}
					vars["evidence"] = fmt.Sprint(sh.MainIndices[0].Components[0].Score.Evidence[0].ID)
				}},
			refused("An Khê may not read Pleiku's sheet", "baocao.ankhe", true, 403, testapp.Call{Method: "GET", Path: base}, nil),
			testapp.Scenario{Name: "an evidence file downloads as it was sent", Call: testapp.Call{User: "lanhdao", Method: "GET", Path: "/api/v1/dti/evidence/{var:evidence}"}, Status: 200,
				Header: map[string]string{"Content-Type": "application/pdf", "Content-Disposition": "bien-ban-hop.pdf"}, Contains: []string{"%PDF-1.4"}},
			refused("Lai Châu may not download Gia Lai's evidence", "baocao.laichau", true, 403, testapp.Call{Method: "GET", Path: "/api/v1/dti/evidence/{var:evidence}"}, nil),
			testapp.Scenario{Name: "a reporter lists the assessments of their unit", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/dti/assessments"}, Status: 200,
				Contains: []string{`"code":"KT-HUYEN"`}},
			testapp.Scenario{Name: "Lai Châu lists none of Gia Lai's", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/dti/assessments"}, Status: 200, Contains: []string{"[]"}},
			testapp.Scenario{Name: "one assessment", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/dti/assessments/{var:asm}"}, Status: 200, Contains: []string{`"revision":2`}},
			testapp.Scenario{Name: "another province's assessment is refused", Call: testapp.Call{User: "baocao.laichau", Method: "GET", Path: "/api/v1/dti/assessments/{var:asm}"}, Status: 403},
		)
		// A deadline that has passed.
		add(
			testapp.Scenario{Name: "an assessment whose deadline has passed", Call: testapp.Call{User: "dieuphoi", Method: "POST", Path: "/api/v1/dti/assessments", Body: open("{unit:GL.KBANG}", past)},
				Status: 201, Capture: map[string]string{"late": "id"}},
			refused("a self-assessment after the deadline", "dieuphoi", false, 409, testapp.Call{Method: "POST", Path: "/api/v1/dti/assessments/{var:late}/units/{unit:GL.KBANG}/scores",
				Body: score("1.1", `{"value":4}`, `,"explanation":"x"`)}, nil, "Đã hết hạn tự đánh giá"),
		)
		// Components linked to the programme's tasks.
		var task int64
		if err := app.DB.Read.QueryRow(`SELECT t.id FROM tasks t JOIN plans p ON p.id = t.plan_id WHERE p.number = '3015/KH-UBND' AND t.number = '1.1'`).Scan(&task); err != nil {
			t.Fatal(err)
		}
		vars["task"] = fmt.Sprint(task)
		links := "/api/v1/dti/frameworks/{var:fw}/components/1.1/tasks"
		add(
			refused("a reporter may not link tasks", "baocao.pleiku", true, 403, testapp.Call{Method: "PUT", Path: links, Body: `{"tasks":[{var:task}]}`}, nil),
			refused("an unknown task and a task twice", "dieuphoi", false, 422, testapp.Call{Method: "PUT", Path: links, Body: `{"tasks":[999999,{var:task},{var:task}]}`},
				[]string{"tasks[0]", "tasks[2]"}, "không có nhiệm vụ mã số 999999"),
			refused("an unknown component", "dieuphoi", false, 422, testapp.Call{Method: "PUT", Path: "/api/v1/dti/frameworks/{var:fw}/components/9.9/tasks", Body: `{"tasks":[{var:task}]}`},
				[]string{"component"}),
			testapp.Scenario{Name: "the coordinator links 3015's task 1.1 to component 1.1", Call: testapp.Call{User: "dieuphoi", Method: "PUT", Path: links, Body: `{"tasks":[{var:task}]}`},
				Status: 200, Contains: []string{`"plan":"3015/KH-UBND"`, `"number":"1.1"`}},
			testapp.Scenario{Name: "a reporter reads the links", Call: testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/dti/frameworks/{var:fw}/links"},
				Status: 200, Contains: []string{`"component":"1.1"`, `"plan":"3015/KH-UBND"`}},
			testapp.Scenario{Name: "the scores name the task where the unit loses points on 1.1", Call: testapp.Call{User: "dieuphoi", Method: "GET", Path: "/api/v1/dti/scores?framework={var:fw}&year=2024"},
				Status: 200, Contains: []string{`"component":"1.1"`, `"tasks":[{"id":{var:task},"plan":"3015/KH-UBND","number":"1.1"`}},
		)
		// A unit's history.
		add(
			testapp.Scenario{Name: "Pleiku's reporter reads its history", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/dti/history?unit={unit:GL.PLEIKU}"},
				Status: 200, Contains: []string{`"own":true`, `"code":"KT-HUYEN"`, `"year":2024`}},
			refused("An Khê's reporter may not read Pleiku's history", "baocao.ankhe", true, 403, testapp.Call{Method: "GET", Path: "/api/v1/dti/history?unit={unit:GL.PLEIKU}"}, nil),
			refused("a history needs a unit", "baocao.pleiku", false, 422, testapp.Call{Method: "GET", Path: "/api/v1/dti/history"}, []string{"unit"}),
		)
		// Published national results.
		add(
			testapp.Scenario{Name: "published national results, apart from the assessments", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/dti/published?year=2022"}, Status: 200,
				Contains: []string{`"code":"GL"`, `"rank":62`, `"peers":63`, `"index":0.479`, `"points":478.99`, `"points":72.5`}},
			testapp.Scenario{Name: "the new Gia Lai in 2024 among 34", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/dti/published?unit={unit:GL25}"}, Status: 200,
				Contains: []string{`"rank":31`, `"peers":34`, `"framework":"405/QĐ-BKHCN"`}},
			testapp.Scenario{Name: "a bad year", Call: testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/dti/published?year=hai"}, Status: 422, Fields: []string{"year"}},
		)
		app.Run(t, vars, table)
		app.CheckCoverage(t, vars, table, "dti")
		t.Run("the pages show the results and the sheet", func(t *testing.T) {
			b := app.Login(t, "lanhdao")
			checkPage(t, b, "/dti/scores?framework="+vars["fw"]+"&year=2024", 200, "<strong>1</strong>/2", "Thành phố Pleiku", "82", "0,8200", "0,7500",
				"Nơi bị mất điểm nhiều nhất", "mất 6 điểm (đạt 14/20)", "bản 2", `href="/tasks?pillar=nhan_luc_so"`)
			checkPage(t, b, "/dti/assessments/"+vars["asm"]+"/units/"+fmt.Sprint(app.UnitID(t, "GL.PLEIKU")), 200, "Đã công bố", "3 ∈ [3; 4) → 15",
				"Điều chỉnh", "Chỉ có biên bản 2 cuộc họp", "từ chỉ tiêu CDS.DTI.CHUYENTRACH năm 2024: 2", "bien-ban-hop.pdf", "Bổ sung biên bản cuộc họp quý III", "đính chính")
			// An Khê's reporter sees An Khê only.
			body := checkPage(t, app.Login(t, "baocao.ankhe"), "/dti/scores?framework="+vars["fw"]+"&year=2024", 200, "<strong>2</strong>/2")
			if strings.Contains(body, "Thành phố Pleiku") {
				t.Error("An Khê's reporter sees Pleiku's row")
			}
		})
		// Every step was audited.
		for kind, n := range map[string]int{"dti.framework": 1, "dti.open": 2, "dti.self": 15, "dti.submit": 3, "dti.review": 3, "dti.appraise": 2, "dti.publish": 1, "dti.correct": 1} {
			if got := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND success = $2 AND subject LIKE 'KT-HUYEN%'`, kind, true); got != n {
				t.Errorf("%s: %d audit events, want %d", kind, got, n)
			}
		}
		if got := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'dti.appraise' AND success = $1 AND subject LIKE 'KT-HUYEN%'`, false); got != 1 {
			t.Errorf("the refused appraisal: %d audit events", got)
		}
	})
}
