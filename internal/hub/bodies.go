package hub

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// Message bodies for the subsystems that opt in (keepBodiesDays, as
// consumer or as provider): the gateway keeps the first MaxKeptBody bytes
// of each body while it streams (the log's SHA-256 covers the whole
// body), writes them with the exchange's response record, and the log's
// writer deletes them once their days are over.

// MaxKeptBody is how much of a body is kept.
const MaxKeptBody = 1 << 20

// Body parts.
const (
	BodyRequest  = "request"
	BodyResponse = "response"
)

// KeptBody is a body the log keeps.
type KeptBody struct {
	Part      string `json:"part" doc:"request or response"`
	Body      []byte `json:"body" doc:"base64, the first 1 MiB"`
	Size      int64  `json:"size" doc:"the whole body's size"`
	Truncated bool   `json:"truncated,omitempty"`
	ExpiresUS int64  `json:"-"`
}

type keptBody struct {
	buf       []byte
	truncated bool
}

func (k *keptBody) add(p []byte) {
	if k == nil {
		return
	}
	if room := MaxKeptBody - len(k.buf); room < len(p) {
		p, k.truncated = p[:max(room, 0)], true
	}
	k.buf = append(k.buf, p...)
}

func (k *keptBody) done(part string, size int64, days int) KeptBody {
	return KeptBody{Part: part, Body: k.buf, Size: size, Truncated: k.truncated, ExpiresUS: time.Now().AddDate(0, 0, days).UnixMicro()}
}

// insertBodies writes a group's bodies, in its transaction (a row at a
// time: each may be a mebibyte).
func insertBodies(ctx context.Context, tx *sql.Tx, batch []*pending) error {
	var st *sql.Stmt
	now := time.Now().UnixMicro()
	for _, p := range batch {
		for _, b := range p.rec.Bodies {
			if st == nil {
				var err error
				if st, err = tx.PrepareContext(ctx, `INSERT INTO hub_log_bodies (x_request_id, part, body, size, truncated, kept_at_us, expires_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7)`); err != nil {
					return err
				}
				defer st.Close()
			}
			body := b.Body
			if body == nil {
				body = []byte{}
			}
			if _, err := st.ExecContext(ctx, p.rec.XRequestID, b.Part, body, b.Size, b.Truncated, now, b.ExpiresUS); err != nil {
				return err
			}
		}
	}
	return nil
}

// purge deletes the bodies whose days are over.
func (w *LogWriter) purge(ctx context.Context) {
	if _, err := w.s.db.Write.ExecContext(ctx, `DELETE FROM hub_log_bodies WHERE expires_at_us < $1`, time.Now().UnixMicro()); err != nil {
		slog.Warn("hub message log: deleting expired bodies", "err", err)
	}
}

// Bodies are the kept bodies of an exchange.
func (s *Store) Bodies(ctx context.Context, xRequestID string) ([]KeptBody, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT part, body, size, truncated, expires_at_us FROM hub_log_bodies WHERE x_request_id = $1 ORDER BY part`, xRequestID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KeptBody
	for rows.Next() {
		var b KeptBody
		if err := rows.Scan(&b.Part, &b.Body, &b.Size, &b.Truncated, &b.ExpiresUS); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
