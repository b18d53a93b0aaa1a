// Package store opens the database (embedded SQLite or PostgreSQL), applies
// the migrations and runs transactions. Domain SQL lives in each domain
// package; this package only knows about connections and schema versions.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Engine names the database engine behind a DB.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB holds a writer and a reader pool. With SQLite the writer is a single
// connection (SQLite allows one writer at a time; queuing in Go is cheaper
// than busy retries) and readers share a pool; with PostgreSQL both are the
// same pool.
type DB struct {
	Engine Engine
	Write  *sql.DB
	Read   *sql.DB
}

// Open connects to the database named by rawURL: "sqlite:PATH" (or a bare
// path ending in .db) or "postgres://…". It checks the connection so that a
// wrong URL fails here with one clear error.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return openPostgres(ctx, rawURL)
	case strings.HasPrefix(rawURL, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//"))
	case strings.HasSuffix(rawURL, ".db"), strings.HasSuffix(rawURL, ".sqlite"):
		return openSQLite(ctx, rawURL)
	default:
		return nil, fmt.Errorf("database URL %q: want sqlite:PATH or postgres://…", rawURL)
	}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("database URL: sqlite: needs a file path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("database directory: %w", err)
		}
	}
	q := url.Values{}
	// busy_timeout first so the others never fail on a locked file.
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	dsn := "file:" + path + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate&_pragma=temp_store(MEMORY)")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	// Switching a new file to WAL takes an exclusive lock that SQLite does
	// not wait for, so two processes opening one file together may see
	// SQLITE_BUSY once; retry briefly.
	for range 50 {
		if err = pingWith(ctx, w); err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(ON)")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	return &DB{Engine: SQLite, Write: w, Read: r}, nil
}

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	db, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := pingWith(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL %s: %w", redact(rawURL), err)
	}
	return &DB{Engine: Postgres, Write: db, Read: db}, nil
}

func pingWith(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// redact hides the password of a database URL in messages and logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.Write.Close()
	if db.Read != db.Write {
		err = errors.Join(err, db.Read.Close())
	}
	return err
}

// Ping checks that the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error { return db.Read.PingContext(ctx) }

// Tx runs fn in one write transaction: committed when fn returns nil, rolled
// back otherwise, so a failed operation leaves nothing half-written.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Now is the time as stored: UTC, microseconds (PostgreSQL's precision), so a
// value read back compares equal to the one written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Querier is what both *sql.DB and *sql.Tx offer, so read helpers can run
// inside or outside a transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// IsUniqueViolation tells whether err comes from a UNIQUE constraint, on
// either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// Contains is a LIKE pattern matching s anywhere, with LIKE's own wildcards
// in s escaped; use it with `LIKE $n ESCAPE '\'`.
func Contains(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
}

// InList appends ids to args and returns their placeholders for an IN (…)
// list, "$3,$4,$5" ("NULL" for none, which matches nothing): both engines
// take $n, and a list of parameters keeps the query plan cacheable per size.
func InList(args *[]any, ids []int64) string {
	if len(ids) == 0 {
		return "NULL"
	}
	ph := make([]string, len(ids))
	for i, id := range ids {
		*args = append(*args, id)
		ph[i] = "$" + strconv.Itoa(len(*args))
	}
	return strings.Join(ph, ",")
}

// RowPlaceholders is the VALUES list of a multi-row INSERT, rows × cols
// parameters, with each engine's cheapest placeholders: on SQLite plain
// "?" in order, since SQLite resolves "$n" as a named parameter by a
// linear search of the names seen so far (a 7,500-parameter batch turns
// quadratic, measured); PostgreSQL takes $1…$n.
//
// shared, when given, starts every row with parameters bound once for the
// whole statement (the writer, the instant): shared[i] is the number of
// the parameter in that column, 1…k, and the statement's arguments are
// the k shared ones first, then each row's cols. On SQLite the k shared
// ones are "?1"…"?k" and the rest stay plain "?", which SQLite numbers
// after the largest seen; only the k are named, so its lookups stay
// short. Binding them once spares a time's formatting and copy per row.
func RowPlaceholders(e Engine, rows, cols int, shared ...int) string {
	k := 0
	for _, n := range shared {
		k = max(k, n)
	}
	var b strings.Builder
	b.Grow(rows * (cols + len(shared)) * 6)
	n := k // the last per-row parameter's number
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range len(shared) + cols {
			if c > 0 {
				b.WriteByte(',')
			}
			switch {
			case c < len(shared) && e == SQLite:
				b.WriteString("?" + strconv.Itoa(shared[c]))
			case c < len(shared):
				b.WriteString("$" + strconv.Itoa(shared[c]))
			case e == SQLite:
				b.WriteByte('?')
			default:
				n++
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}
