package dti

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/store"
)

// demoFrameworks are the cascaded sets the demo imports, through the same
// importer a coordinator uses (idempotent).
var demoFrameworks = []string{"demodata/gl-so-mau.json", "demodata/gl-xa-mau.json"}

// LoadDemo loads what the demo shows of the DTI beside the national
// frameworks the migration brings: LoadDemoSets, then LoadDemoCycles.
func LoadDemo(ctx context.Context, db *store.DB) error {
	if err := LoadDemoSets(ctx, db); err != nil {
		return err
	}
	return LoadDemoCycles(ctx, db)
}

func demoStore(db *store.DB) *Store {
	orgs := org.NewStore(db, password.Default()) // creates no account
	reports := report.NewStore(db, orgs)
	s := NewStore(db, orgs, reports)
	s.Indicators = NewReportValues(db, reports)
	return s
}

// LoadDemoSets loads sample cascaded sets for Gia Lai's departments and
// communes (marked as samples throughout), the national results public
// sources state for the demo provinces, and 3015/KH-UBND's tasks linked to
// the components they address (demodata/links.json). Run after the
// reporting demo's forms, whose indicators the sets' components compute
// themselves from.
func LoadDemoSets(ctx context.Context, db *store.DB) error {
	s := demoStore(db)
	for _, name := range demoFrameworks {
		b, err := demoFiles.ReadFile(name)
		if err != nil {
			return err
		}
		var f Framework
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return fmt.Errorf("dti demo %s: %w", name, err)
		}
		if _, err := s.Import(ctx, f); err != nil {
			return fmt.Errorf("dti demo %s: %w", name, err)
		}
	}
	if err := LoadPublished(ctx, db); err != nil {
		return err
	}
	if err := s.loadDemoLinks(ctx); err != nil {
		return fmt.Errorf("dti demo links: %w", err)
	}
	return nil
}

// LoadDemoCycles runs the department set's 2024 cycle (published) and 2025
// cycle (in progress), demo_cycle.go, once. Its computed components read
// the reporting demo's values: `tinhso demo` runs it after the demo's
// reports (report.LoadDemoSubmissions), so that they compute themselves;
// without reports (the tests' demo province) they are declared.
func LoadDemoCycles(ctx context.Context, db *store.DB) error {
	return demoStore(db).loadDemoCycles(ctx)
}
