package dti_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/testapp"
)

// The demo's DTI (part 7), read through the API on both engines: the
// commune set, the department set's published 2024 cycle with scores
// adjusted in review and changed by the council, its 2025 cycle in
// progress, and 3015/KH-UBND's tasks named where a department loses
// points.
func TestDemo(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		var set, communes int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_frameworks WHERE code = $1`, dti.DemoSet).Scan(&set); err != nil {
			t.Fatal(err)
		}
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_frameworks WHERE code = 'GL25-XA-MAU'`).Scan(&communes); err != nil {
			t.Fatal(err)
		}
		st, body, _ := app.Do(t, "baocao.bienho", "GET", fmt.Sprintf("/api/v1/dti/frameworks/%d", communes), "")
		if st != 200 || !strings.Contains(string(body), `"level":"commune"`) || !strings.Contains(string(body), `"provenance":"sample"`) {
			t.Errorf("the commune set: %d %.300s", st, body)
		}
		var res dti.Results
		st, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/dti/scores?framework=%d&year=2024", set), "")
		if st != 200 {
			t.Fatalf("2024 results: %d %s", st, body)
		}
		testapp.JSON(t, body, &res)
		if res.Peers != 15 || len(res.Units) != 15 {
			t.Fatalf("2024: %d peers, %d rows, want the old Gia Lai's 15 departments", res.Peers, len(res.Units))
		}
		linked := 0
		for i, u := range res.Units {
			if u.State != dti.StatePublished || u.Rank < 1 || (i > 0 && u.Rank < res.Units[i-1].Rank) || u.Index <= 0 || u.Index > 1 {
				t.Errorf("2024 %s: state %s rank %d index %v", u.Unit.Code, u.State, u.Rank, u.Index)
			}
			for j, l := range u.Losses {
				if j > 0 && l.Gap > u.Losses[j-1].Gap {
					t.Errorf("%s: losses not largest first", u.Unit.Code)
				}
				for _, task := range l.Tasks {
					if task.Plan == "3015/KH-UBND" {
						linked++
					}
				}
			}
		}
		if linked == 0 {
			t.Error("no loss names a task of 3015/KH-UBND")
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM dti_scores sc JOIN dti_assessment_units au ON au.id = sc.assessment_unit_id JOIN dti_assessments a ON a.id = au.assessment_id
			WHERE a.framework_id = $1 AND a.year = 2024 AND sc.review = 'adjusted'`, set); n == 0 {
			t.Error("no score adjusted in the 2024 review")
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM dti_events e JOIN dti_assessments a ON a.id = e.assessment_id WHERE a.framework_id = $1 AND a.year = 2024 AND e.action = 'appraise'`, set); n == 0 {
			t.Error("the 2024 council changed no score")
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM dti_scores sc JOIN dti_assessment_units au ON au.id = sc.assessment_unit_id JOIN dti_assessments a ON a.id = au.assessment_id
			WHERE a.framework_id = $1 AND sc.computed <> ''`, set); n == 0 {
			t.Error("no component computed itself from the reporting demo")
		}
		st, body, _ = app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/dti/scores?framework=%d&year=2025&stage=current", set), "")
		testapp.JSON(t, body, &res)
		states := map[string]string{}
		for _, u := range res.Units {
			states[u.Unit.Code] = u.State
		}
		if st != 200 || states[dti.DemoOpenUnit] != dti.StateOpen || len(states) < 10 {
			t.Errorf("2025 in progress: %d %v", st, states)
		}
		for code, s := range states {
			if code != dti.DemoOpenUnit && s != dti.StateAppraised {
				t.Errorf("2025: %s is %s, want appraised", code, s)
			}
		}
		st, body, _ = app.Do(t, "baocao.sotp", "GET", fmt.Sprintf("/api/v1/dti/frameworks/%d/links", set), "")
		if st != 200 || !strings.Contains(string(body), `"plan":"3015/KH-UBND"`) {
			t.Errorf("links: %d %.300s", st, body)
		}
	})
}
