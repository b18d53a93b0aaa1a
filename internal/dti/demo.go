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
// frameworks the migration brings: sample cascaded sets for Gia Lai's
// departments and communes (marked as samples throughout), the national
// results public sources state for the demo provinces, 3015/KH-UBND's
// tasks linked to the components they address (demodata/links.json), and
// the department set's 2024 cycle (published) and 2025 cycle (in
// progress), demo_cycle.go. Run after the reporting
// demo, whose indicators the set's components compute themselves from.
func LoadDemo(ctx context.Context, db *store.DB) error {
	orgs := org.NewStore(db, password.Default()) // creates no account
	reports := report.NewStore(db, orgs)
	s := NewStore(db, orgs, reports)
	s.Indicators = NewReportValues(db, reports)
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
	return s.loadDemoCycles(ctx)
}
