package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"time"
)

// Leases let one node of several sharing a database run a cluster-wide
// job (reminders, the hub's archiver): the node whose name is in
// job_leases, unexpired, runs it; a holder that stops renewing loses it
// when it expires and another node takes it over.

// NodeName names this process in leases: host, process and a random part,
// so two servers in one test process differ.
func NodeName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Lease takes or renews the lease of job name for holder until now+ttl:
// true when holder holds it now.
func (db *DB) Lease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	var held bool
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, '', $2) ON CONFLICT (name) DO NOTHING`, name, now.Add(-time.Second)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE job_leases SET holder = $1, expires_at = $2 WHERE name = $3 AND (holder = $1 OR expires_at < $4)`,
			holder, now.Add(ttl), name, now)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		held = n == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return held, nil
}

// Release gives holder's lease of name up (a node shutting down), so
// another node need not wait for it to expire.
func (db *DB) Release(ctx context.Context, name, holder string, now time.Time) error {
	_, err := db.Write.ExecContext(ctx, `UPDATE job_leases SET expires_at = $1 WHERE name = $2 AND holder = $3`, now.Add(-time.Second), name, holder)
	return err
}
