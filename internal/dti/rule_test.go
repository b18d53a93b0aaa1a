package dti_test

import (
	"slices"
	"testing"

	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
)

func f(v float64) *float64 { return &v }
func b(v bool) *bool       { return &v }

// The rule kinds the provincial sets use (research/dti.md §2.4, §5.2,
// §5.3), as data.
var (
	chairRule = dti.Rule{Kind: dti.Tiered, Options: []dti.Option{
		{Code: "chair", Label: "Bí thư hoặc Chủ tịch", Points: 10}, {Code: "deputy", Label: "Phó Bí thư hoặc Phó Chủ tịch", Points: 5}, {Code: "none", Label: "Khác", Points: 0}}}
	meetingRule = dti.Rule{Kind: dti.Steps, Measure: "cuộc họp", Steps: []dti.Step{
		{Min: f(4), Points: 20}, {Min: f(3), Max: f(4), Points: 15}, {Min: f(2), Max: f(3), Points: 10}, {Min: f(1), Max: f(2), Points: 5}}}
	halvesRule = dti.Rule{Kind: dti.Parts, Parts: []dti.Option{
		{Code: "attends", Label: "Dự đầy đủ các phiên họp của tỉnh", Points: 5}, {Code: "chairs", Label: "Chủ trì các cuộc họp của huyện", Points: 5}}}
	ratioRule = dti.Rule{Kind: dti.Ratio, Numerator: "văn bản do người đứng đầu ký", Denominator: "văn bản chỉ đạo chuyên đề"}
)

func TestEvaluate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		rule   dti.Rule
		max    float64
		in     dti.Input
		want   float64
		fields []string // the input's members refused
		work   string   // Describe, in Vietnamese
	}{
		{"yes scores the maximum", dti.Rule{Kind: dti.YesNo}, 10, dti.Input{Yes: b(true)}, 10, nil, "Có → 10"},
		{"no scores 0", dti.Rule{Kind: dti.YesNo}, 10, dti.Input{Yes: b(false)}, 0, nil, "Không → 0"},
		{"yes/no unanswered", dti.Rule{Kind: dti.YesNo}, 10, dti.Input{}, 0, []string{"input.yes"}, ""},
		{"the chairman chairs: full", chairRule, 10, dti.Input{Option: "chair"}, 10, nil, "Bí thư hoặc Chủ tịch → 10"},
		{"a deputy chairs: half", chairRule, 10, dti.Input{Option: "deputy"}, 5, nil, ""},
		{"otherwise 0", chairRule, 10, dti.Input{Option: "none"}, 0, nil, ""},
		{"an option the rule lacks", chairRule, 10, dti.Input{Option: "secretary"}, 0, []string{"input.option"}, ""},
		{"4 meetings = 20", meetingRule, 20, dti.Input{Value: f(4)}, 20, nil, "4 ∈ [4; +∞) → 20"},
		{"6 meetings = 20 too", meetingRule, 20, dti.Input{Value: f(6)}, 20, nil, ""},
		{"3 meetings = 15", meetingRule, 20, dti.Input{Value: f(3)}, 15, nil, "3 ∈ [3; 4) → 15"},
		{"2 meetings = 10", meetingRule, 20, dti.Input{Value: f(2)}, 10, nil, ""},
		{"1 meeting = 5", meetingRule, 20, dti.Input{Value: f(1)}, 5, nil, ""},
		{"no meeting = 0", meetingRule, 20, dti.Input{Value: f(0)}, 0, nil, "0 → 0"},
		{"a negative count", meetingRule, 20, dti.Input{Value: f(-1)}, 0, []string{"input.value"}, ""},
		{"ratio 3/4 × 20", ratioRule, 20, dti.Input{A: f(3), B: f(4)}, 15, nil, "3 / 4 × 20 = 15"},
		{"ratio 2/3 × 10 keeps two decimals", ratioRule, 10, dti.Input{A: f(2), B: f(3)}, 6.67, nil, "2 / 3 × 10 = 6,67"},
		{"ratio as a percentage", ratioRule, 20, dti.Input{Value: f(87.5)}, 17.5, nil, "87,5% × 20 = 17,5"},
		{"a percentage above 100", ratioRule, 20, dti.Input{Value: f(120)}, 0, []string{"input.value"}, ""},
		{"a above b", ratioRule, 20, dti.Input{A: f(5), B: f(4)}, 0, []string{"input.a"}, ""},
		{"b = 0", ratioRule, 20, dti.Input{A: f(0), B: f(0)}, 0, []string{"input.b"}, ""},
		{"b missing", ratioRule, 20, dti.Input{A: f(1)}, 0, []string{"input.b"}, ""},
		{"both halves", halvesRule, 10, dti.Input{Parts: []string{"attends", "chairs"}}, 10, nil, "Dự đầy đủ các phiên họp của tỉnh (5) + Chủ trì các cuộc họp của huyện (5) = 10"},
		{"one half", halvesRule, 10, dti.Input{Parts: []string{"chairs"}}, 5, nil, ""},
		{"no half", halvesRule, 10, dti.Input{}, 0, nil, "0"},
		{"a half twice", halvesRule, 10, dti.Input{Parts: []string{"chairs", "chairs"}}, 0, []string{"input.parts[1]"}, ""},
		{"an unknown part", halvesRule, 10, dti.Input{Parts: []string{"sleeps"}}, 0, []string{"input.parts[0]"}, ""},
		{"manual within the maximum", dti.Rule{Kind: dti.Manual}, 15, dti.Input{Score: f(12.5)}, 12.5, nil, "12,5"},
		{"manual above the maximum", dti.Rule{Kind: dti.Manual}, 15, dti.Input{Score: f(15.5)}, 0, []string{"input.score"}, ""},
		{"manual unanswered", dti.Rule{Kind: dti.Manual}, 15, dti.Input{}, 0, []string{"input.score"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if fe := dti.CheckRule(tc.rule, tc.max, "rule."); fe != nil {
				t.Fatalf("the rule itself is refused: %v", fe)
			}
			got, fe := dti.Evaluate(tc.rule, tc.max, tc.in, "input.")
			if names := fieldNames(fe); !slices.Equal(names, tc.fields) {
				t.Fatalf("refused %v, want %v (%v)", names, tc.fields, fe)
			}
			if got != tc.want {
				t.Errorf("score %v, want %v", got, tc.want)
			}
			if tc.work != "" {
				if w := dti.Describe(locale.VI, tc.rule, tc.max, tc.in, got); w != tc.work {
					t.Errorf("working %q, want %q", w, tc.work)
				}
			}
		})
	}
}

func fieldNames(fe []errs.Field) []string {
	var out []string
	for _, f := range fe {
		out = append(out, f.Name)
	}
	return out
}

// Rules that cannot score consistently are refused, naming the member.
func TestCheckRule(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		rule   dti.Rule
		max    float64
		fields []string
		codes  []string
	}{
		{"overlapping steps", dti.Rule{Kind: dti.Steps, Steps: []dti.Step{{Min: f(3), Points: 15}, {Min: f(4), Points: 20}}}, 20,
			[]string{"r.steps[1]"}, []string{"dti.steps_overlap"}},
		{"steps overlapping in the middle", dti.Rule{Kind: dti.Steps, Steps: []dti.Step{{Min: f(0), Max: f(50), Points: 5}, {Min: f(40), Max: f(80), Points: 10}, {Min: f(80), Points: 20}}}, 20,
			[]string{"r.steps[1]"}, []string{"dti.steps_overlap"}},
		{"steps given in any order still checked", dti.Rule{Kind: dti.Steps, Steps: []dti.Step{{Min: f(80), Points: 20}, {Max: f(90), Points: 5}}}, 20,
			[]string{"r.steps[0]"}, []string{"dti.steps_overlap"}},
		{"an empty range", dti.Rule{Kind: dti.Steps, Steps: []dti.Step{{Min: f(4), Max: f(4), Points: 20}}}, 20, []string{"r.steps[0].max"}, []string{"dti.step_empty"}},
		{"a step above the maximum", dti.Rule{Kind: dti.Steps, Steps: []dti.Step{{Min: f(4), Points: 25}}}, 20, []string{"r.steps[0].points"}, []string{"dti.points_range"}},
		{"halves that do not add up", dti.Rule{Kind: dti.Parts, Parts: []dti.Option{{Code: "a", Label: "A", Points: 5}, {Code: "b", Label: "B", Points: 4}}}, 10,
			[]string{"r.parts"}, []string{"dti.parts_total"}},
		{"an option above the maximum", dti.Rule{Kind: dti.Tiered, Options: []dti.Option{{Code: "a", Label: "A", Points: 12}, {Code: "b", Label: "B", Points: 0}}}, 10,
			[]string{"r.options[0].points"}, []string{"dti.points_range"}},
		{"one option only", dti.Rule{Kind: dti.Tiered, Options: []dti.Option{{Code: "a", Label: "A", Points: 10}}}, 10, []string{"r.options"}, []string{"dti.rule_min"}},
		{"duplicate option codes", dti.Rule{Kind: dti.Tiered, Options: []dti.Option{{Code: "a", Label: "A", Points: 10}, {Code: "a", Label: "B", Points: 0}}}, 10,
			[]string{"r.options[1].code"}, []string{"duplicate_of"}},
		{"steps on a ratio", dti.Rule{Kind: dti.Ratio, Steps: []dti.Step{{Min: f(1), Points: 1}}}, 10, []string{"r.steps"}, []string{"dti.rule_member"}},
		{"an unknown kind", dti.Rule{Kind: "lottery"}, 10, []string{"r.kind"}, []string{"one_of"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fe := dti.CheckRule(tc.rule, tc.max, "r.")
			var codes []string
			for _, x := range fe {
				codes = append(codes, x.Code)
			}
			if !slices.Equal(fieldNames(fe), tc.fields) || !slices.Equal(codes, tc.codes) {
				t.Errorf("refused %v %v, want %v %v", fieldNames(fe), codes, tc.fields, tc.codes)
			}
		})
	}
}

// A message names the difference in the reader's language.
func TestRuleMessages(t *testing.T) {
	t.Parallel()
	fe := dti.CheckRule(dti.Rule{Kind: dti.Parts, Parts: []dti.Option{{Code: "a", Label: "A", Points: 5}, {Code: "b", Label: "B", Points: 2.5}}}, 10, "")
	if len(fe) != 1 {
		t.Fatal(fe)
	}
	if got := locale.T(locale.VI, "invalid."+fe[0].Code, fe[0].Args...); got != "các phần cộng lại được 7,5 điểm, khác điểm tối đa 10 (chênh lệch -2,5 điểm)" {
		t.Errorf("vi: %q", got)
	}
	if got := locale.T(locale.EN, "invalid."+fe[0].Code, fe[0].Args...); got != "the parts add up to 7.5 points, not the maximum 10 (difference -2.5 points)" {
		t.Errorf("en: %q", got)
	}
}
