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
var demoFrameworks = []string{"demodata/gl-so-mau.json"}

// LoadDemo loads what the demo shows of the DTI beside the national
// frameworks the migration brings: a sample cascaded set for Gia Lai's
// departments (marked as a sample throughout) and the national results
// public sources state for the demo provinces. Run after the reporting
// demo, whose indicators the set's components compute themselves from.
func LoadDemo(ctx context.Context, db *store.DB) error {
	orgs := org.NewStore(db, password.Default()) // creates no account
	s := NewStore(db, orgs, report.NewStore(db, orgs))
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
	return LoadPublished(ctx, db)
}
