package report

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tinhso/tinhso/internal/store"
)

// New rows of a long write on PostgreSQL go in with COPY (issue 7, speed):
// a million values and their history as multi-row INSERTs cost the server
// more than the rest of the import; COPY streams them in PostgreSQL's
// binary format. It runs on the connection that holds the write's
// transaction, so it is part of it: all or nothing, as before. SQLite has
// no COPY; its multi-row INSERTs with plain "?" are its fastest path.

// copyFunc writes rows (flattened, len(cols) values each) into table.
type copyFunc func(ctx context.Context, table string, cols []string, flat []any) error

var (
	valueColumns = []string{"indicator_id", "option_id", "unit_id", "period", "period_type", "start_date", "end_date",
		"value", "number", "comment", "followup", "created_by", "created_at", "updated_by", "updated_at"}
	historyColumns = []string{"indicator_id", "option_id", "unit_id", "period", "old_value", "new_value",
		"old_comment", "new_comment", "reason", "source", "changed_by", "changed_at"}
)

// bulkTx begins a long write's transaction: on PostgreSQL on a connection
// of its own, with the COPY writer for it; elsewhere a plain transaction
// and no COPY. done ends the connection after the transaction ends.
func bulkTx(ctx context.Context, db *store.DB) (tx *sql.Tx, copyRows copyFunc, done func(), err error) {
	if db.Engine != store.Postgres {
		tx, err = db.Write.BeginTx(ctx, nil)
		return tx, nil, func() {}, err
	}
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if tx, err = conn.BeginTx(ctx, nil); err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	copyRows = func(ctx context.Context, table string, cols []string, flat []any) error {
		if len(flat) == 0 {
			return nil
		}
		rows := make([][]any, 0, len(flat)/len(cols))
		for i := 0; i < len(flat); i += len(cols) {
			rows = append(rows, flat[i:i+len(cols)])
		}
		return conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return errors.New("report: COPY needs the pgx driver")
			}
			_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
			return err
		})
	}
	return tx, copyRows, func() { conn.Close() }, nil
}
