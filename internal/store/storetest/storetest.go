// Package storetest opens fresh databases for tests: SQLite always, and
// PostgreSQL whenever TINHSO_TEST_POSTGRES holds a URL.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
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

// templates holds, per key and engine, a database built once per test
// process; tests get copies of it, which is far cheaper than building it
// again (the demo province is thousands of rows).
var (
	templateMu sync.Mutex
	templates  = map[string]string{}
)

// Cloned returns, per engine under test, the URL of a fresh copy of a
// database that build filled once per process (key names the content). A
// SQLite copy is a file copy; a PostgreSQL copy is CREATE DATABASE …
// TEMPLATE, dropped when the test ends.
func Cloned(t testing.TB, key string, build func(ctx context.Context, db *store.DB) error) map[store.Engine]string {
	t.Helper()
	templateMu.Lock()
	defer templateMu.Unlock()
	out := map[store.Engine]string{}
	engines := []store.Engine{store.SQLite}
	base := os.Getenv("TINHSO_TEST_POSTGRES")
	if base != "" {
		engines = append(engines, store.Postgres)
	}
	for _, engine := range engines {
		tplKey := key + "/" + string(engine)
		tpl, ok := templates[tplKey]
		if !ok {
			var err error
			if tpl, err = buildTemplate(engine, base, build); err != nil {
				t.Fatalf("build %s template on %s: %v", key, engine, err)
			}
			templates[tplKey] = tpl
		}
		switch engine {
		case store.SQLite:
			dst := filepath.Join(t.TempDir(), "tinhso.db")
			b, err := os.ReadFile(tpl)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, b, 0o600); err != nil {
				t.Fatal(err)
			}
			out[engine] = "sqlite:" + dst
		case store.Postgres:
			name := "t_" + randomHex()
			admin, err := sql.Open("pgx", base)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := admin.Exec("CREATE DATABASE " + name + " TEMPLATE " + tpl); err != nil {
				admin.Close()
				t.Fatalf("clone %s: %v", tpl, err)
			}
			t.Cleanup(func() {
				admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
				admin.Close()
			})
			out[engine] = withDatabase(t, base, name)
		}
	}
	return out
}

func randomHex() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func withDatabase(t testing.TB, base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// buildTemplate makes the template database: a SQLite file, or a PostgreSQL
// database (left for the throw-away cluster of the test command to remove).
func buildTemplate(engine store.Engine, base string, build func(ctx context.Context, db *store.DB) error) (string, error) {
	ctx := context.Background()
	var dbURL, tpl string
	switch engine {
	case store.SQLite:
		dir, err := os.MkdirTemp("", "tinhso-template-")
		if err != nil {
			return "", err
		}
		tpl = filepath.Join(dir, "template.db")
		dbURL = "sqlite:" + tpl
	case store.Postgres:
		tpl = fmt.Sprintf("tpl_%d_%s", os.Getpid(), randomHex())
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return "", err
		}
		_, err = admin.Exec("CREATE DATABASE " + tpl)
		admin.Close()
		if err != nil {
			return "", err
		}
		u, err := url.Parse(base)
		if err != nil {
			return "", err
		}
		u.Path = "/" + tpl
		dbURL = u.String()
	}
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return "", err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return "", err
	}
	if err := build(ctx, db); err != nil {
		db.Close()
		return "", err
	}
	if engine == store.SQLite {
		// Fold the WAL into the file so a plain copy is complete.
		if _, err := db.Write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			db.Close()
			return "", err
		}
	}
	return tpl, db.Close()
}
