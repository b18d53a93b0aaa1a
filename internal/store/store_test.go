package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/store/storetest"
)

func TestMigrateIsIdempotentAndConcurrent(t *testing.T) {
	t.Parallel()
	for engine, u := range storetest.URLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			// Two "nodes" start together on the same database.
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					db, err := store.Open(ctx, u)
					if err != nil {
						errs[i] = err
						return
					}
					defer db.Close()
					_, errs[i] = db.Migrate(ctx)
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatalf("concurrent migrate: %v", err)
				}
			}
			db := storetest.Open(t, u)
			if n, err := db.Migrate(ctx); err != nil || n != 0 {
				t.Fatalf("second migrate applied %d, err %v; want 0, nil", n, err)
			}
			if err := db.CheckVersion(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Write.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', $2)`, store.LatestVersion()+5, store.Now()); err != nil {
			t.Fatal(err)
		}
		_, err := db.Migrate(ctx)
		var newer *store.ErrNewerSchema
		if !errors.As(err, &newer) || !strings.Contains(err.Error(), "upgrade tinhso") {
			t.Fatalf("Migrate on a newer database: got %v", err)
		}
		if err := db.CheckVersion(ctx); !errors.As(err, &newer) {
			t.Fatalf("CheckVersion on a newer database: got %v", err)
		}
	})
}

func TestTxRollsBackOnError(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.Exec(`INSERT INTO org_units (code, valid_from, created_at) VALUES ('X', '2020-01-01', $1)`, store.Now()); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx error = %v", err)
		}
		var n int
		db.Read.QueryRow(`SELECT COUNT(*) FROM org_units`).Scan(&n)
		if n != 0 {
			t.Fatalf("rolled-back insert left %d rows", n)
		}
	})
}

func TestBadURLs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, u := range []string{"mysql://x", "sqlite:", "postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=2"} {
		db, err := store.Open(ctx, u)
		if err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error leaks the password: %v", u, err)
		}
	}
}

// TestRowPlaceholders writes three rows with one statement on each engine
// and reads them back in order.
func TestRowPlaceholders(t *testing.T) {
	t.Parallel()
	if got := store.RowPlaceholders(store.Postgres, 2, 3); got != "($1,$2,$3),($4,$5,$6)" {
		t.Fatalf("PostgreSQL: %s", got)
	}
	if got := store.RowPlaceholders(store.SQLite, 2, 2); got != "(?,?),(?,?)" {
		t.Fatalf("SQLite: %s", got)
	}
	if got := store.RowPlaceholders(store.Postgres, 2, 2, 1, 1); got != "($1,$1,$2,$3),($1,$1,$4,$5)" {
		t.Fatalf("PostgreSQL, shared: %s", got)
	}
	if got := store.RowPlaceholders(store.SQLite, 2, 1, 1); got != "(?1,?),(?1,?)" {
		t.Fatalf("SQLite, shared: %s", got)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := store.Now()
		q := `INSERT INTO org_units (code, valid_from, created_at) VALUES ` + store.RowPlaceholders(db.Engine, 3, 3)
		if _, err := db.Write.ExecContext(ctx, q, "A", "2020-01-01", now, "B", "2021-01-01", now, "C", "2022-01-01", now); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Read.QueryContext(ctx, `SELECT code FROM org_units ORDER BY code`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var c string
			rows.Scan(&c)
			got = append(got, c)
		}
		if strings.Join(got, ",") != "A,B,C" {
			t.Fatalf("rows: %v", got)
		}
		// Shared parameters: bound once, in every row.
		q = `INSERT INTO org_units (created_at, valid_from, code) VALUES ` + store.RowPlaceholders(db.Engine, 3, 1, 1, 2)
		if _, err := db.Write.ExecContext(ctx, q, now, "2023-07-01", "D", "E", "F"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM org_units WHERE code IN ('D','E','F') AND valid_from = '2023-07-01'`).Scan(&n); err != nil || n != 3 {
			t.Fatalf("shared parameters: %d rows with them (%v), want 3", n, err)
		}
	})
}
