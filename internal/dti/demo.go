package dti

import (
	"context"

	"github.com/tinhso/tinhso/internal/store"
)

// LoadDemo loads what the demo shows of the DTI beside the frameworks the
// migration brings: the national results public sources state for the
// demo provinces.
func LoadDemo(ctx context.Context, db *store.DB) error {
	return LoadPublished(ctx, db)
}
