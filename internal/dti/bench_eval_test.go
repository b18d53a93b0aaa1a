package dti_test

import (
	"fmt"
	"testing"

	"github.com/tinhso/tinhso/internal/dti"
)

// evalComponents is a whole sheet of n components cycling through every
// rule kind, each with the input a unit would declare.
func evalComponents(n int) []dti.Component {
	var comps []dti.Component
	for i := range n {
		c := dti.Component{Code: fmt.Sprint(i), MaxPoints: 20}
		switch i % 6 {
		case 0:
			c.Rule = dti.Rule{Kind: dti.YesNo}
		case 1:
			c.Rule = dti.Rule{Kind: dti.Tiered, Options: []dti.Option{{Code: "head", Label: "a", Points: 20}, {Code: "deputy", Label: "b", Points: 10}, {Code: "none", Label: "c", Points: 0}}}
		case 2:
			four, three, two, one := 4.0, 3.0, 2.0, 1.0
			c.Rule = dti.Rule{Kind: dti.Steps, Steps: []dti.Step{{Min: &four, Points: 20}, {Min: &three, Max: &four, Points: 15}, {Min: &two, Max: &three, Points: 10}, {Min: &one, Max: &two, Points: 5}}}
		case 3:
			c.Rule = dti.Rule{Kind: dti.Ratio}
		case 4:
			c.Rule = dti.Rule{Kind: dti.Parts, Parts: []dti.Option{{Code: "a", Label: "a", Points: 10}, {Code: "b", Label: "b", Points: 10}}}
		default:
			c.Rule = dti.Rule{Kind: dti.Manual}
		}
		comps = append(comps, c)
	}
	return comps
}

func evalInputs(comps []dti.Component, units int) [][]dti.Input {
	out := make([][]dti.Input, units)
	for u := range units {
		row := make([]dti.Input, len(comps))
		for i, c := range comps {
			v := float64((u + i) % 5)
			switch c.Rule.Kind {
			case dti.YesNo:
				yes := (u+i)%3 != 0
				row[i].Yes = &yes
			case dti.Tiered:
				row[i].Option = c.Rule.Options[(u+i)%3].Code
			case dti.Steps:
				row[i].Value = &v
			case dti.Ratio:
				a, b := float64(u%97), float64(100+i)
				row[i].A, row[i].B = &a, &b
			case dti.Parts:
				row[i].Parts = []string{"a"}
			default:
				row[i].Score = &v
			}
		}
		out[u] = row
	}
	return out
}

// BenchmarkEvaluate scores whole sheets with the rule evaluator (what a
// self-assessment and a recomputation run per component): 34 provinces ×
// 98 components and 3,321 communes × 65, every rule kind in turn. The
// baseline, in the same run, only touches each input's number (the least
// any evaluator must read). docs/perf.md has the numbers.
func BenchmarkEvaluate(b *testing.B) {
	for _, c := range []struct {
		name         string
		units, comps int
	}{{"provinces-34x98", 34, 98}, {"communes-3321x65", 3321, 65}} {
		comps := evalComponents(c.comps)
		inputs := evalInputs(comps, c.units)
		b.Run(c.name+"/baseline", func(b *testing.B) {
			var sum float64
			for b.Loop() {
				for _, row := range inputs {
					for i := range row {
						switch {
						case row[i].Value != nil:
							sum += *row[i].Value
						case row[i].A != nil:
							sum += *row[i].A / *row[i].B
						case row[i].Score != nil:
							sum += *row[i].Score
						case row[i].Yes != nil && *row[i].Yes:
							sum++
						default:
							sum += float64(len(row[i].Option) + len(row[i].Parts))
						}
					}
				}
			}
			_ = sum
		})
		b.Run(c.name+"/evaluate", func(b *testing.B) {
			var sum float64
			for b.Loop() {
				for _, row := range inputs {
					for i, in := range row {
						score, fe := dti.Evaluate(comps[i].Rule, comps[i].MaxPoints, in, "input.")
						if fe != nil {
							b.Fatal(fe)
						}
						sum += score
					}
				}
			}
			_ = sum
		})
	}
}
