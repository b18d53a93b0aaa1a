package server

import (
	"context"
	"fmt"
	"time"

	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/report"
)

// planIndicators lets plan targets whose source is an indicator read their
// actual values from reporting's analytics: plan declares what it needs
// (plan.Indicators) and the wiring adapts report.Store to it, so neither
// domain imports the other. Each year's actual is the indicator for the
// target's unit (its subtree, or its units of the target's level) and that
// year, in the org structure of the year's end (today for the current
// year).
type planIndicators struct{ r *report.Store }

// Version is analytics' version and today (Actuals dates the current
// year's figure no later than today).
func (p planIndicators) Version(ctx context.Context) (string, error) {
	v, err := p.r.AnalyticsVersion(ctx)
	return v + "@" + p.today(), err
}

// today is the day of the reporting clock, in Vietnam.
func (p planIndicators) today() string {
	return p.r.Now().In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly)
}

func (p planIndicators) Actuals(ctx context.Context, asks []plan.IndicatorAsk, detail bool) ([][]plan.Actual, error) {
	var qs []report.ValueQuery
	var at [][2]int // ask, year index
	for i, a := range asks {
		for j, y := range a.Years {
			pe, err := report.NewPeriod(report.Yearly, y, 1)
			if err != nil {
				continue
			}
			qs = append(qs, report.ValueQuery{Indicator: a.Code, Unit: a.Unit, Period: pe, Levels: a.Levels})
			at = append(at, [2]int{i, j})
		}
	}
	vals, err := p.r.IndicatorValues(ctx, qs, detail)
	if err != nil {
		return nil, fmt.Errorf("indicator actuals: %w", err)
	}
	// A figure of a year not over is dated no later than today: dated at
	// the end of its latest quarter (31/12 for the year's last), it would
	// lie after today, and the plan's assessment, which reads the actuals
	// measured by today, would pass over the newest figure.
	today := p.today()
	out := make([][]plan.Actual, len(asks))
	for k, v := range vals {
		if v.Value == nil {
			continue
		}
		q := qs[k]
		src := &plan.ActualSource{Indicator: q.Indicator, Period: q.Period.String(), AsOf: v.AsOf, Reported: v.Units, Href: v.Href, Units: []plan.UnitRef{}}
		for _, u := range v.Roots {
			src.Units = append(src.Units, plan.UnitRef{ID: u.ID, Code: u.Code, Name: u.Name, Label: u.Name})
		}
		for _, s := range v.Sources {
			src.Forms = append(src.Forms, plan.ActualForm{Code: s.Form, Name: s.FormName, Indicator: s.Indicator, Units: s.Units,
				UnitNames: s.UnitNames, Periods: s.Periods, States: s.States})
		}
		measured := v.LastEnd
		if end := q.Period.End().Format(time.DateOnly); measured == "" || measured > end {
			measured = end
		}
		measured = min(measured, today)
		out[at[k][0]] = append(out[at[k][0]], plan.Actual{MeasuredOn: measured, Value: *v.Value, Source: src})
	}
	return out, nil
}

// dtiIndicators lets the DTI's computed components read reporting's
// analytics: an indicator's value for a unit (its subtree, in the org
// structure of the year's end) and a year, always current.
type dtiIndicators struct{ r *report.Store }

func (d dtiIndicators) Value(ctx context.Context, code string, unit int64, year int) (float64, bool, error) {
	p, err := report.NewPeriod(report.Yearly, year, 1)
	if err != nil {
		return 0, false, err
	}
	vs, err := d.r.IndicatorValues(ctx, []report.ValueQuery{{Indicator: code, Unit: unit, Period: p}}, false)
	if err != nil || vs[0].Value == nil {
		return 0, false, err
	}
	return *vs[0].Value, true, nil
}
