package report

import (
	"strconv"
	"testing"
	"time"
)

// TestDemoFiguresKeepTheirRelations checks the invented figures against
// the relations the forms' rules hold (a part never exceeds its whole)
// for every kind of unit over two years.
func TestDemoFiguresKeepTheirRelations(t *testing.T) {
	today := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	periods := demoPeriods(Quarterly, today)
	if len(periods) != 8 || periods[0].String() != "2024Q4" || periods[7].String() != "2026Q3" {
		t.Fatalf("quarters %v, want 2024Q4 … 2026Q3", periods)
	}
	if ys := demoPeriods(Yearly, today); len(ys) != 2 || ys[0].String() != "2024" || ys[1].String() != "2025" {
		t.Fatalf("years %v", ys)
	}
	num := func(v map[string]string, k string) float64 {
		f, err := strconv.ParseFloat(v[k], 64)
		if err != nil {
			t.Fatalf("%s = %q", k, v[k])
		}
		return f
	}
	parts := [][2]string{{"CDS.HS.TRUCTUYEN", "CDS.HS.TIEPNHAN"}, {"CDS.HS.GIAIQUYET", "CDS.HS.TIEPNHAN"}, {"CDS.HS.DUNGHAN", "CDS.HS.GIAIQUYET"},
		{"CDS.VB.KYSO", "CDS.VB.DI"}, {"CDS.CBCC.TAPHUAN", "CDS.CBCC.TONG"}, {"CDS.DTI.CHI.ATTT", "CDS.DTI.CHI.CDS"}}
	var first, last float64
	for _, u := range []demoUnit{{code: "LC.SKHCN"}, {code: "GL.PLEIKU", local: true}, {code: "GL25.X", local: true, small: true}} {
		for step, p := range periods {
			v := demoFigures(u, p, step)
			for _, pw := range parts {
				if num(v, pw[0]) > num(v, pw[1]) {
					t.Errorf("%s %s: %s %s > %s %s", u.code, p, pw[0], v[pw[0]], pw[1], v[pw[1]])
				}
			}
			if u.local && num(v, "CDS.HGD.CAPQUANG") > num(v, "CDS.HGD.TONG") {
				t.Errorf("%s %s: fibre above households", u.code, p)
			}
			if pc := num(v, "CDS.DVC.TOANTRINH"); pc < 0 || pc > 100 {
				t.Errorf("%s %s: percentage %v", u.code, p, pc)
			}
			share := num(v, "CDS.HS.TRUCTUYEN") / num(v, "CDS.HS.TIEPNHAN")
			if step == 0 {
				first += share
			} else if step == 7 {
				last += share
			}
		}
	}
	if last <= first {
		t.Errorf("the online share does not rise over two years: %.2f → %.2f", first/3, last/3)
	}
}
