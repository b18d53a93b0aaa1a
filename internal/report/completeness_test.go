package report_test

import (
	"context"
	"slices"
	"testing"

	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestExpectedUnitsAgree checks the bulk ExpectedUnits against UnitsFor
// for every demo form over three years on both sides of 1 July 2025.
func TestExpectedUnitsAgree(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		s := app.Server.Report
		forms, err := s.Forms(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(forms) < 6 {
			t.Fatalf("%d demo forms", len(forms))
		}
		for _, f := range forms {
			pt, _ := report.ParsePeriodType(f.PeriodType)
			first, _ := report.ParsePeriod("2024")
			last, _ := report.ParsePeriod("2026")
			ps := report.Overlapping(pt, first.Start(), last.End())
			got, err := s.ExpectedUnits(ctx, f.ID, ps)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				fu, err := s.UnitsFor(ctx, f.ID, p)
				if err != nil {
					t.Fatal(err)
				}
				var want []int64
				for _, u := range fu.Units {
					want = append(want, u.ID)
				}
				slices.Sort(want)
				if !slices.Equal(got[p.String()], want) {
					t.Errorf("%s %s: ExpectedUnits %v, UnitsFor %v", f.Code, p, got[p.String()], want)
				}
				if len(want) == 0 {
					t.Errorf("%s %s: no unit must report", f.Code, p)
				}
			}
		}
	})
}
