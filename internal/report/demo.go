package report

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
)

//go:embed demodata
var demoFiles embed.FS

// DemoDoc is the embedded demo document, demodata/forms.json; ok is false
// when the file is absent.
func DemoDoc() (d Doc, ok bool, err error) {
	b, err := demoFiles.ReadFile("demodata/forms.json")
	if errors.Is(err, fs.ErrNotExist) {
		return Doc{}, false, nil
	} else if err != nil {
		return Doc{}, false, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Doc{}, false, fmt.Errorf("demo forms.json: %w", err)
	}
	return d, true, nil
}

// LoadDemo imports the demo indicators and forms through the same importer
// a coordinator uses (idempotent: a second load changes nothing). It does
// nothing when the demo file is absent.
func LoadDemo(ctx context.Context, db *store.DB) error {
	d, ok, err := DemoDoc()
	if err != nil || !ok {
		return err
	}
	s := NewStore(db, org.NewStore(db, password.Default())) // creates no account
	if _, err := s.Import(ctx, d); err != nil {
		return fmt.Errorf("demo report forms: %w", err)
	}
	return nil
}
