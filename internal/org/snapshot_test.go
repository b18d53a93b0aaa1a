package org_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/store/storetest"
)

// TestSnapshotAgrees checks that the in-memory snapshot answers as the
// store's queries do over the whole demo registry (its 2024 commune
// mergers, the 2025 province merger and the dissolved districts): the
// units on dates on both sides of 1 July 2025, every unit's successors on
// those dates, its predecessors, and its label.
func TestSnapshotAgrees(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := org.NewStore(db, password.Cheap())
		if err := db.Tx(ctx, func(tx *sql.Tx) error { return demo.LoadOrg(ctx, tx, s) }); err != nil {
			t.Fatal(err)
		}
		sn, err := s.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids := func(us []org.Unit) []int64 {
			var out []int64
			for _, u := range us {
				out = append(out, u.ID)
			}
			return out
		}
		all, err := s.Units(ctx, org.UnitFilter{AsOf: "1990-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		for _, date := range []string{"2022-06-14", "2024-12-14", "2025-06-30", "2025-07-01", "2026-12-14", org.Today()} {
			want, err := s.Units(ctx, org.UnitFilter{AsOf: date})
			if err != nil {
				t.Fatal(err)
			}
			tree := sn.At(date)
			if got := ids(tree.Units()); !slices.Equal(got, ids(want)) {
				t.Errorf("%s: snapshot lists %d units, Units %d", date, len(got), len(want))
			}
			for _, u := range want {
				all = append(all, u)
				got, _ := tree.Unit(u.ID)
				if (got.ParentID == nil) != (u.ParentID == nil) || (u.ParentID != nil && *got.ParentID != *u.ParentID) || got.Kind != u.Kind || got.Name != u.Name {
					t.Errorf("%s: unit %s is %+v in the snapshot, %+v in the store", date, u.Code, got, u)
				}
			}
		}
		seen := map[int64]bool{}
		for _, u := range all {
			if seen[u.ID] {
				continue
			}
			seen[u.ID] = true
			for _, date := range []string{"2024-12-14", "2025-07-01", org.Today()} {
				want, err := s.Successors(ctx, db.Read, u.ID, date)
				if err != nil {
					t.Fatal(err)
				}
				if got := sn.Successors(u.ID, date); !slices.Equal(sorted(got), sorted(want)) {
					t.Errorf("successors of %s on %s: snapshot %v, store %v", u.Code, date, got, want)
				}
			}
			want, err := s.Predecessors(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := sn.Predecessors(u.ID); !slices.Equal(sorted(got), sorted(want)) {
				t.Errorf("predecessors of %s: snapshot %v, store %v", u.Code, got, want)
			}
			byID, err := s.UnitsByID(ctx, []int64{u.ID})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := sn.Unit(u.ID); got.Label != byID[u.ID].Label || got.Name != byID[u.ID].Name {
				t.Errorf("unit %s: snapshot %q (%q), store %q (%q)", u.Code, got.Name, got.Label, byID[u.ID].Name, byID[u.ID].Label)
			}
		}
		// Within, for every unit against the scopes the demo's roles use.
		for _, code := range []string{"VN", "GL25", "GL", "BD", "LC", "LC.SKHCN", "GL.PLEIKU", "GL25.SKHCN"} {
			var scope int64
			if err := db.Read.QueryRow(`SELECT id FROM org_units WHERE code = $1`, code).Scan(&scope); err != nil {
				t.Fatal(err)
			}
			for id := range seen {
				want, err := s.Within(ctx, id, scope)
				if err != nil {
					t.Fatal(err)
				}
				if got := sn.Within(id, scope); got != want {
					t.Errorf("unit %d within %s: snapshot %v, store %v", id, code, got, want)
				}
			}
		}
		if len(seen) < 300 {
			t.Errorf("only %d units compared", len(seen))
		}
	})
}

func sorted(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
