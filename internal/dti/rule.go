package dti

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
)

// Rule kinds: how a component turns what a unit declares into points.
const (
	YesNo  = "yes_no"  // có/không: the maximum or 0
	Tiered = "options" // one of several options, each with its points (the head chairs = full, a deputy = half, otherwise 0)
	Steps  = "steps"   // a measured value falls in a range, each range with its points (4 meetings = 20, 3 = 15, …)
	Ratio  = "ratio"   // a / b × maximum (or a percentage × maximum)
	Parts  = "parts"   // additive parts, each earned by its own condition (two halves)
	Manual = "manual"  // the score itself, up to the maximum
)

// RuleKinds lists the kinds, in the order forms offer them.
var RuleKinds = []string{YesNo, Tiered, Steps, Ratio, Parts, Manual}

// Rule is a component's scoring rule, stored as data.
type Rule struct {
	Kind        string   `json:"kind" doc:"yes_no, options, steps, ratio, parts or manual"`
	Options     []Option `json:"options,omitempty" doc:"options: each option with its points"`
	Steps       []Step   `json:"steps,omitempty" doc:"steps: ranges [min, max) of the measured value with their points; a value in no range scores 0"`
	Parts       []Option `json:"parts,omitempty" doc:"parts: each condition with its points; the points add up to the component's maximum"`
	Measure     string   `json:"measure,omitempty" doc:"steps: what the value counts, e.g. cuộc họp"`
	Numerator   string   `json:"numerator,omitempty" doc:"ratio: what a counts"`
	Denominator string   `json:"denominator,omitempty" doc:"ratio: what b counts"`
}

// Option is an option of a tiered rule, or a part of an additive one.
type Option struct {
	Code   string  `json:"code"`
	Label  string  `json:"label"`
	Points float64 `json:"points"`
}

// Step is a range of a steps rule: Min inclusive, Max exclusive; a missing
// bound is open.
type Step struct {
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
	Points float64  `json:"points"`
}

func (s Step) lo() float64 {
	if s.Min == nil {
		return math.Inf(-1)
	}
	return *s.Min
}

func (s Step) hi() float64 {
	if s.Max == nil {
		return math.Inf(1)
	}
	return *s.Max
}

// contains reports whether v lies in [Min, Max).
func (s Step) contains(v float64) bool { return v >= s.lo() && v < s.hi() }

// Span writes the range as [3; 4) with the language's numbers.
func (s Step) Span(l locale.Lang) string {
	lo, hi := "−∞", "+∞"
	if s.Min != nil {
		lo = num(l, *s.Min)
	}
	if s.Max != nil {
		hi = num(l, *s.Max)
	}
	return "[" + lo + "; " + hi + ")"
}

func num(l locale.Lang, f float64) string { return locale.Number(l, f, 2) }

// Input is what a unit declares for a component, as its rule reads it.
type Input struct {
	Yes    *bool    `json:"yes,omitempty" doc:"yes_no"`
	Option string   `json:"option,omitempty" doc:"options: the code of the option that holds"`
	Value  *float64 `json:"value,omitempty" doc:"steps: the measured value (meetings held); ratio: a percentage 0–100 instead of a and b"`
	A      *float64 `json:"a,omitempty" doc:"ratio: the numerator"`
	B      *float64 `json:"b,omitempty" doc:"ratio: the denominator, above 0"`
	Parts  []string `json:"parts,omitempty" doc:"parts: the codes of the parts earned"`
	Score  *float64 `json:"score,omitempty" doc:"manual: the score itself"`
}

// IsZero reports whether nothing is declared.
func (in Input) IsZero() bool {
	return in.Yes == nil && in.Option == "" && in.Value == nil && in.A == nil && in.B == nil && in.Parts == nil && in.Score == nil
}

// tolerance absorbs the binary noise of decimal points (0.1 + 0.2).
const tolerance = 1e-9

// CheckRule checks a rule against its component's maximum and returns its
// problems as fields under prefix ("mainIndices[0].components[2].rule."):
// an unknown kind, members the kind does not take, option points outside
// 0..max, ranges that overlap or are empty, parts whose points do not add
// up to the maximum (with the difference).
func CheckRule(r Rule, max float64, prefix string) []errs.Field {
	v := errs.Validator{Context: "dti"}
	if !slices.Contains(RuleKinds, r.Kind) {
		v.Add(prefix+"kind", "one_of", strings.Join(RuleKinds, ", "))
		return fields(v)
	}
	v.Check(r.Kind == Tiered || len(r.Options) == 0, prefix+"options", "dti.rule_member", r.Kind)
	v.Check(r.Kind == Steps || len(r.Steps) == 0, prefix+"steps", "dti.rule_member", r.Kind)
	v.Check(r.Kind == Parts || len(r.Parts) == 0, prefix+"parts", "dti.rule_member", r.Kind)
	v.Text(prefix+"measure", r.Measure, errs.Name)
	v.Text(prefix+"numerator", r.Numerator, errs.Line)
	v.Text(prefix+"denominator", r.Denominator, errs.Line)
	points := func(field string, p float64) {
		v.Check(p >= 0 && p <= max+tolerance && !math.IsNaN(p), field, "dti.points_range", locale.Num(max))
	}
	options := func(name string, list []Option, min int) {
		if len(list) < min {
			v.Add(prefix+name, "dti.rule_min", min)
		}
		seen := map[string]int{}
		for i, o := range list {
			f := fmt.Sprintf("%s%s[%d].", prefix, name, i)
			if o.Code == "" {
				v.Add(f+"code", "required")
			} else if j, dup := seen[o.Code]; dup {
				v.Add(f+"code", "duplicate_of", o.Code, fmt.Sprintf("%s[%d]", name, j))
			} else {
				seen[o.Code] = i
			}
			v.Text(f+"code", o.Code, errs.Short)
			v.Check(o.Label != "", f+"label", "required")
			v.Text(f+"label", o.Label, errs.Line)
			points(f+"points", o.Points)
		}
	}
	switch r.Kind {
	case Tiered:
		options("options", r.Options, 2)
	case Parts:
		options("parts", r.Parts, 2)
		sum := 0.0
		for _, p := range r.Parts {
			sum += p.Points
		}
		if len(r.Parts) >= 2 && math.Abs(sum-max) > tolerance {
			v.Add(prefix+"parts", "dti.parts_total", locale.Num(sum), locale.Num(max), locale.Num(sum-max))
		}
	case Steps:
		if len(r.Steps) == 0 {
			v.Add(prefix+"steps", "dti.rule_min", 1)
		}
		for i, s := range r.Steps {
			f := fmt.Sprintf("%ssteps[%d].", prefix, i)
			points(f+"points", s.Points)
			if s.lo() >= s.hi() {
				v.Add(f+"max", "dti.step_empty", s.Span(locale.VI))
			}
		}
		// Sorted by their lower bound, each range must end before the next
		// begins.
		order := make([]int, len(r.Steps))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return r.Steps[order[a]].lo() < r.Steps[order[b]].lo() })
		for k := 1; k < len(order); k++ {
			a, b := r.Steps[order[k-1]], r.Steps[order[k]]
			if b.lo() < a.hi() {
				v.Add(fmt.Sprintf("%ssteps[%d]", prefix, order[k]), "dti.steps_overlap", b.Span(locale.VI), fmt.Sprintf("steps[%d]", order[k-1]), a.Span(locale.VI))
			}
		}
	}
	return fields(v)
}

func fields(v errs.Validator) []errs.Field {
	if e, ok := errs.As(v.Err()); ok {
		return e.Fields
	}
	return nil
}

// Evaluate scores an input by a rule whose maximum is max (a rule checked
// by CheckRule). Problems name the input's members under prefix
// ("input."): a missing or unknown answer, a ratio whose a exceeds b or
// whose b is not above 0, a manual score above the maximum.
func Evaluate(r Rule, max float64, in Input, prefix string) (float64, []errs.Field) {
	v := errs.Validator{Context: "dti"}
	nonNegative := func(field string, p *float64) bool {
		if p == nil {
			v.Add(prefix+field, "required")
			return false
		}
		if *p < 0 || math.IsNaN(*p) || math.IsInf(*p, 0) {
			v.Add(prefix+field, "dti.negative")
			return false
		}
		return true
	}
	score := 0.0
	switch r.Kind {
	case YesNo:
		if in.Yes == nil {
			v.Add(prefix+"yes", "required")
		} else if *in.Yes {
			score = max
		}
	case Tiered:
		i := slices.IndexFunc(r.Options, func(o Option) bool { return o.Code == in.Option })
		switch {
		case in.Option == "":
			v.Add(prefix+"option", "required")
		case i < 0:
			v.Add(prefix+"option", "one_of", codes(r.Options))
		default:
			score = r.Options[i].Points
		}
	case Steps:
		if nonNegative("value", in.Value) {
			for _, s := range r.Steps {
				if s.contains(*in.Value) {
					score = s.Points
					break
				}
			}
		}
	case Ratio:
		if in.A == nil && in.B == nil && in.Value != nil {
			if nonNegative("value", in.Value) {
				v.Check(*in.Value <= 100+tolerance, prefix+"value", "range", 0, 100)
				score = math.Min(*in.Value/100, 1) * max
			}
			break
		}
		okA, okB := nonNegative("a", in.A), nonNegative("b", in.B)
		if okB && *in.B == 0 {
			v.Add(prefix+"b", "dti.denominator_zero")
			okB = false
		}
		if okA && okB {
			if *in.A > *in.B+tolerance {
				v.Add(prefix+"a", "dti.ratio_above_one", locale.Num(*in.A), locale.Num(*in.B))
			} else {
				score = *in.A / *in.B * max
			}
		}
	case Parts:
		seen := map[string]bool{}
		for i, c := range in.Parts {
			j := slices.IndexFunc(r.Parts, func(o Option) bool { return o.Code == c })
			switch {
			case j < 0:
				v.Add(fmt.Sprintf("%sparts[%d]", prefix, i), "one_of", codes(r.Parts))
			case seen[c]:
				v.Add(fmt.Sprintf("%sparts[%d]", prefix, i), "duplicate", c)
			default:
				seen[c] = true
				score += r.Parts[j].Points
			}
		}
	case Manual:
		if nonNegative("score", in.Score) {
			if *in.Score > max+tolerance {
				v.Add(prefix+"score", "dti.above_max", locale.Num(*in.Score), locale.Num(max))
			} else {
				score = *in.Score
			}
		}
	default:
		v.Add(prefix+"kind", "one_of", strings.Join(RuleKinds, ", "))
	}
	if f := fields(v); f != nil {
		return 0, f
	}
	return round(math.Min(score, max)), nil
}

// round keeps two decimals, as score sheets write points.
func round(f float64) float64 { return math.Round(f*100) / 100 }

func codes(list []Option) string {
	out := make([]string, len(list))
	for i, o := range list {
		out[i] = o.Code
	}
	return strings.Join(out, ", ")
}

// FromValue makes the input of a computed component from an indicator's
// value: the percentage of a ratio, the measured value of steps, yes when
// not zero for yes/no. ok is false for a kind a value cannot answer.
func FromValue(r Rule, value float64) (Input, bool) {
	switch r.Kind {
	case Ratio:
		v := math.Max(0, math.Min(value, 100))
		return Input{Value: &v}, true
	case Steps:
		return Input{Value: &value}, true
	case YesNo:
		yes := value != 0
		return Input{Yes: &yes}, true
	}
	return Input{}, false
}

// Describe says how an input scored, in the language: "3 / 4 × 20 = 15",
// "[3; 4) → 15".
func Describe(l locale.Lang, r Rule, max float64, in Input, score float64) string {
	n := func(f float64) string { return num(l, f) }
	switch r.Kind {
	case YesNo:
		if in.Yes != nil && *in.Yes {
			return locale.T(l, "dti.rule.yes") + " → " + n(score)
		}
		return locale.T(l, "dti.rule.no") + " → " + n(score)
	case Tiered:
		for _, o := range r.Options {
			if o.Code == in.Option {
				return o.Label + " → " + n(score)
			}
		}
	case Steps:
		if in.Value != nil {
			for _, s := range r.Steps {
				if s.contains(*in.Value) {
					return n(*in.Value) + " ∈ " + s.Span(l) + " → " + n(score)
				}
			}
			return n(*in.Value) + " → " + n(score)
		}
	case Ratio:
		if in.A != nil && in.B != nil {
			return n(*in.A) + " / " + n(*in.B) + " × " + n(max) + " = " + n(score)
		}
		if in.Value != nil {
			return n(*in.Value) + "% × " + n(max) + " = " + n(score)
		}
	case Parts:
		var got []string
		for _, o := range r.Parts {
			if slices.Contains(in.Parts, o.Code) {
				got = append(got, o.Label+" ("+n(o.Points)+")")
			}
		}
		if len(got) == 0 {
			return "0"
		}
		return strings.Join(got, " + ") + " = " + n(score)
	}
	return n(score)
}
