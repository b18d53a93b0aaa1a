package dti_test

import (
	"math"
	"testing"

	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestNationalFrameworks checks the frameworks the migration loads
// through the API contract: 922 has 9 main indices, 98 components and
// 1,000 points, Đô thị thông minh unscored; 405 has 8 main indices and 47
// components; every framework's points add up, and components whose
// names public sources do not state are samples.
func TestNationalFrameworks(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		status, body, _ := app.Do(t, "baocao.pleiku", "GET", "/api/v1/dti/frameworks", "")
		if status != 200 {
			t.Fatalf("frameworks: %d %s", status, body)
		}
		var list []dti.Framework
		testapp.JSON(t, body, &list)
		byCode := map[string]dti.Framework{}
		for _, f := range list {
			byCode[f.Code] = f
		}
		for _, want := range []struct {
			code                 string
			decision             string
			mains, comps, scored int
			from, to             int
			pillars              []float64
		}{
			{"922-TINH", "922/QĐ-BTTTT", 9, 98, 8, 2021, 2023, []float64{100, 100, 100, 100, 100, 0, 200, 150, 150}},
			{"405-TINH", "405/QĐ-BKHCN", 8, 47, 8, 2024, 2024, []float64{100, 100, 100, 100, 100, 200, 150, 150}},
		} {
			f, ok := byCode[want.code]
			if !ok {
				t.Fatalf("framework %s is missing from %s", want.code, body)
			}
			if f.Decision != want.decision || f.Level != dti.LevelProvince || f.YearFrom != want.from || f.YearTo != want.to || f.TotalPoints != 1000 {
				t.Errorf("%s: %+v", want.code, f)
			}
			if len(f.MainIndices) != want.mains || len(f.Components()) != want.comps || f.ComponentCount != want.comps {
				t.Errorf("%s: %d main indices, %d components", want.code, len(f.MainIndices), len(f.Components()))
			}
			total, scored := 0.0, 0
			for i, m := range f.MainIndices {
				if m.MaxPoints != want.pillars[i] {
					t.Errorf("%s %s %s: maxPoints %v, want %v", want.code, m.Code, m.Name, m.MaxPoints, want.pillars[i])
				}
				sum := 0.0
				for _, c := range m.Components {
					sum += c.MaxPoints
					if c.Provenance == dti.Sample && c.Source == "" {
						t.Errorf("%s %s: a sample without a word on why", want.code, c.Code)
					}
				}
				if math.Abs(sum-m.MaxPoints) > 1e-9 {
					t.Errorf("%s %s: components add up to %v, not %v", want.code, m.Code, sum, m.MaxPoints)
				}
				if m.IsScored() {
					scored++
					total += m.MaxPoints
				}
			}
			if total != f.TotalPoints || scored != want.scored {
				t.Errorf("%s: %d scored main indices, %v points", want.code, scored, total)
			}
		}
		f := byCode["922-TINH"]
		if m := f.MainIndices[5]; m.Name != "Đô thị thông minh" || m.IsScored() || len(m.Components) != 3 {
			t.Errorf("922's sixth main index: %+v", m)
		}
		if c := f.MainIndices[0].Components[0]; c.Rule.Kind != dti.Tiered || c.Provenance != dti.NameOnly {
			t.Errorf("922 1.1: %+v", c)
		}
		named := 0
		for _, c := range f.Components() {
			if c.Provenance != dti.Sample {
				named++
			}
		}
		if named != 8 {
			t.Errorf("922: %d components with a name from a public source, want 8 (1.1–1.4 and Hà Giang's four)", named)
		}
		for _, c := range byCode["405-TINH"].Components() {
			if c.Provenance != dti.Sample {
				t.Errorf("405 %s: %s, but no component name of 405 is in public sources", c.Code, c.Provenance)
			}
		}
		// The demo's cascaded set for Gia Lai's departments is a sample
		// throughout.
		if g, ok := byCode["GL25-SO-MAU"]; !ok || g.Owner != "GL25" || g.Level != dti.LevelDepartment || len(g.MainIndices) != 6 || g.TotalPoints != 1000 {
			t.Errorf("the demo's departments set: %+v", g)
		} else {
			computed := 0
			for _, c := range g.Components() {
				if c.Provenance != dti.Sample {
					t.Errorf("GL25-SO-MAU %s is not marked a sample", c.Code)
				}
				if c.Indicator != "" {
					computed++
				}
			}
			if computed != 9 {
				t.Errorf("GL25-SO-MAU: %d components compute themselves, want 9", computed)
			}
		}
		// Plans keep their pillars, now through the dti domain.
		status, body, _ = app.Do(t, "baocao.pleiku", "GET", "/api/v1/pillars", "")
		var ps []struct {
			Code, Framework, NameVi string
			MaxPoints               int
		}
		testapp.JSON(t, body, &ps)
		if status != 200 || len(ps) != 9 || ps[0].Code != "nhan_thuc_so" || ps[0].Framework != "922/QĐ-BTTTT" || ps[5].MaxPoints != 200 || ps[5].NameVi != "Chính quyền số" {
			t.Errorf("pillars: %d %s", status, body)
		}
	})
}
