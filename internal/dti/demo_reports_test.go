package dti_test

import (
	"context"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/store/storetest"
	"github.com/tinhso/tinhso/internal/testapp"
)

// What `tinhso demo` loads (demo.LoadWithReports): the DTI cycles run
// after the demo's two years of reports, so the department set's computed
// components compute themselves from the reports' values in both years,
// each score keeping its inputs; the tests' demo province, without
// reports, declares them.
func TestDemoComputedComponents(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 12, 2, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	urls := storetest.Cloned(t, "demo-with-reports-dti", func(ctx context.Context, db *store.DB) error {
		_, err := demo.LoadWithReports(ctx, db, password.Cheap(), today)
		return err
	})
	for engine, u := range urls {
		t.Run(string(engine), func(t *testing.T) {
			db, err := store.Open(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, year := range []int{2024, 2025} {
				var computed, declared int
				if err := db.Read.QueryRow(`SELECT COUNT(CASE WHEN sc.computed <> '' THEN 1 END), COUNT(CASE WHEN sc.computed = '' THEN 1 END)
					FROM dti_scores sc JOIN dti_components c ON c.id = sc.component_id JOIN dti_assessment_units au ON au.id = sc.assessment_unit_id
					JOIN dti_assessments a ON a.id = au.assessment_id JOIN dti_frameworks f ON f.id = a.framework_id
					WHERE f.code = 'GL25-SO-MAU' AND a.year = $1 AND c.indicator_code <> ''`, year).Scan(&computed, &declared); err != nil {
					t.Fatal(err)
				}
				t.Logf("%d: %d computed components computed, %d declared", year, computed, declared)
				if computed == 0 {
					t.Errorf("%d: no computed component computed itself", year)
				}
			}
		})
	}
	// Without reports, none computes.
	for engine, u := range testapp.DemoURLs(t) {
		db, err := store.Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Read.QueryRow(`SELECT COUNT(*) FROM dti_scores WHERE computed <> ''`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if n != 0 {
			t.Errorf("%s: %d computed scores in the demo without reports", engine, n)
		}
	}
}
