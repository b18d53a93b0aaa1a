package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

func readDoc(t *testing.T, path string) report.Doc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var d report.Doc
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// TestImportStore imports a small document through the store (as the demo
// and the CLI do): all of it, then nothing the second time; a Lai Châu form
// assigned to districts, then communes, reads on both sides of 1 July 2025.
func TestImportStore(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		s := report.NewStore(app.DB, app.Server.Org)
		d := readDoc(t, "testdata/forms_small.json")
		res, err := s.Import(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Created || res.Indicators != 4 || res.Forms != 1 || res.Changes == 0 {
			t.Errorf("first import %+v", res)
		}
		res, err = s.Import(ctx, d)
		if err != nil || res.Created || res.Changes != 0 {
			t.Errorf("second import %+v, %v; want no change", res, err)
		}
		forms, err := s.Forms(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The demo's forms are there too; the fixture's is found by code.
		var f report.Form
		for _, x := range forms {
			if x.Code == "S.CDS.6T" {
				f = x
			}
		}
		if f.Code == "" {
			t.Fatalf("the imported form S.CDS.6T is not among %d forms", len(forms))
		}
		if f.PeriodType != "SixMonthly" || f.GraceDays != 5 || len(f.Sections) != 2 || len(f.Sections[0].Indicators) != 3 || len(f.Assignments) != 4 {
			t.Errorf("form %+v", f)
		}
		for period, level := range map[string]string{"2024S2": "district", "2025S2": "commune"} {
			p, err := report.ParsePeriod(period)
			if err != nil {
				t.Fatal(err)
			}
			us, err := s.UnitsFor(ctx, f.ID, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(us.Units) == 0 {
				t.Errorf("%s: no unit must report", period)
			}
			for _, u := range us.Units {
				if u.Level != level {
					t.Errorf("%s: %s (%s) must not report", period, u.Code, u.Kind)
				}
			}
		}

		// An assignment under a unit formed later reads through its
		// predecessors: the new Gia Lai stands for the old one and Bình Định.
		four := 4
		merged := report.Doc{Forms: []report.DocForm{{Code: "S.GL25", Name: "Biểu", PeriodType: "Quarterly", DeadlineDays: &four, IssuerUnit: "GL25",
			Sections:    []report.DocSection{{Name: "A", Indicators: []string{"S.HOSO"}}},
			Assignments: []report.DocAssignment{{Under: "GL25", Kinds: []string{"department"}}}}}}
		if _, err := s.Import(ctx, merged); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM report_forms WHERE code = 'S.GL25'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		p, _ := report.ParsePeriod("2024Q4")
		us, err := s.UnitsFor(ctx, id, p)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, u := range us.Units {
			seen[u.Code[:3]] = true
		}
		if !seen["GL."] || !seen["BD."] || len(seen) != 2 {
			t.Errorf("2024Q4 under GL25: %v", us.Units)
		}

		// An indicator used as an input cannot become derived.
		bad := report.Doc{Indicators: []report.DocIndicator{{Code: "S.HOSO", Name: "Số hồ sơ", ValueType: "NUMBER", Aggregation: "sum", TimeAggregation: "sum",
			Numerator: "S.CO", Denominator: "S.CO", Factor: 1}}}
		_, err = s.Import(ctx, bad)
		e, ok := errs.As(err)
		if !ok || len(e.Fields) != 1 || e.Fields[0].Name != "indicators[0].numerator" || e.Fields[0].Code != "report.used_as_input" {
			t.Errorf("derived input: %v", err)
		}
	})
}

// TestDemoDoc checks the demo document, when the demo data are there:
// every member valid against the demo registry, and a second load a no-op.
func TestDemoDoc(t *testing.T) {
	d, ok, err := report.DemoDoc()
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Skip("no demodata/forms.json yet")
	}
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		s := report.NewStore(app.DB, app.Server.Org)
		if n := app.Count(t, `SELECT COUNT(*) FROM report_forms`); n == 0 {
			t.Errorf("the demo load imported no form")
		}
		res, err := s.Import(context.Background(), d)
		if err != nil || res.Changes != 0 {
			t.Errorf("demo forms again: %+v, %v", res, err)
		}
	})
}
