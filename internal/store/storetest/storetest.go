// Package storetest opens fresh databases for tests: SQLite always, and
// PostgreSQL whenever TINHSO_TEST_POSTGRES holds a URL.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/tinhso/tinhso/internal/store"
)

// URLs returns one fresh, empty database URL per engine under test. A
// PostgreSQL database is a schema of its own, dropped when the test ends.
func URLs(t testing.TB) map[store.Engine]string {
	t.Helper()
	urls := map[store.Engine]string{
		store.SQLite: "sqlite:" + filepath.Join(t.TempDir(), "tinhso.db"),
	}
	if pg := os.Getenv("TINHSO_TEST_POSTGRES"); pg != "" {
		urls[store.Postgres] = freshSchema(t, pg)
	}
	return urls
}

func freshSchema(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("TINHSO_TEST_POSTGRES: %v", err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("TINHSO_TEST_POSTGRES: create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Each runs fn once per engine, on a fresh migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for engine, u := range URLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			fn(t, Open(t, u))
		})
	}
}

// Open opens and migrates the database at u, closed when the test ends.
func Open(t testing.TB, u string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}
