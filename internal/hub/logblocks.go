package hub

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tinhso/tinhso/internal/store"
)

// The message log is stored in blocks (migration 0027): each group the
// writer commits is one row of hub_log_blocks, its records a JSON array of
// arrays, the fields by position (blockFields), so that a group of a few
// hundred records is one insert instead of one per record and its three
// index entries (the writer was most of the gateway's time, docs/perf.md).
// A record's prev_hash is not stored: it is the hash of the record before
// it in the block, or the block's prev_hash. hub_log remains as a view of
// one row per record, for SQL.

// blockFields is the number of fields of a record in a block, and the
// position of each (the migration's comment and its view name them).
const blockFields = 22

const blockColumns = `chain, first_seq, last_seq, first_at_us, last_at_us, prev_hash, last_hash, records, ops_first_ts, ops_last_ts, ops`

// appendBlock appends the records of a group as a block's JSON array.
func appendBlock(b []byte, batch []*pending) []byte {
	b = append(b, '[')
	for i, p := range batch {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendBlockRecord(b, &p.rec)
	}
	return append(b, ']')
}

func appendBlockRecord(b []byte, r *Record) []byte {
	num := func(v int64) {
		b = strconv.AppendInt(b, v, 10)
		b = append(b, ',')
	}
	str := func(v string) {
		b = appendJSONString(b, v)
		b = append(b, ',')
	}
	b = append(b, '[')
	num(r.Seq)
	str(r.Kind)
	num(r.AtUS)
	str(r.XRequestID)
	str(r.QueryID)
	str(r.Client)
	str(r.Service)
	str(r.Credential)
	str(r.Method)
	str(r.Path)
	str(r.Query)
	str(r.UserID)
	str(r.Issue)
	num(int64(r.Status))
	num(r.RequestSize)
	num(r.ResponseSize)
	str(r.RequestSHA256)
	str(r.ResponseSHA256)
	str(r.RequestHash)
	str(r.Fault)
	num(r.DurationUS)
	b = appendJSONString(b, r.Hash)
	return append(b, ']')
}

// appendJSONString appends v as a JSON string. Most values are printable
// ASCII without quotes or backslashes and are copied as they are; a value
// that is not valid UTF-8 or holds a NUL (a percent-decoded path may: JSON
// and PostgreSQL's text could not keep its bytes) is stored as
// {"base64": "…"} so that it reads back byte for byte, as its hash needs.
func appendJSONString(b []byte, v string) []byte {
	if plainText(v) {
		b = append(b, '"')
		b = append(b, v...)
		return append(b, '"')
	}
	if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		b = append(b, `{"base64":"`...)
		b = base64.StdEncoding.AppendEncode(b, []byte(v))
		return append(b, `"}`...)
	}
	return appendJSONText(b, v)
}

// appendJSONText appends v as a JSON string, as encoding/json writes it
// (text that is not valid UTF-8 becomes U+FFFD).
func appendJSONText(b []byte, v string) []byte {
	if plainText(v) {
		b = append(b, '"')
		b = append(b, v...)
		return append(b, '"')
	}
	q, _ := json.Marshal(v) // a string: cannot fail
	return append(b, q...)
}

// decodeBlock reads a block's records, deriving each prev_hash.
func decodeBlock(chain, prevHash string, data []byte) ([]Record, error) {
	var raw [][]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("message log block: %w", err)
	}
	out := make([]Record, 0, len(raw))
	prev := prevHash
	for _, f := range raw {
		if len(f) != blockFields {
			return nil, fmt.Errorf("message log block: a record of %d fields, not %d", len(f), blockFields)
		}
		d := fieldDecoder{f: f}
		r := Record{Chain: chain, PrevHash: prev}
		r.Seq = d.num(0)
		r.Kind = d.str(1)
		r.AtUS = d.num(2)
		r.XRequestID, r.QueryID, r.Client, r.Service = d.str(3), d.str(4), d.str(5), d.str(6)
		r.Credential, r.Method, r.Path, r.Query = d.str(7), d.str(8), d.str(9), d.str(10)
		r.UserID, r.Issue = d.str(11), d.str(12)
		r.Status = int(d.num(13))
		r.RequestSize, r.ResponseSize = d.num(14), d.num(15)
		r.RequestSHA256, r.ResponseSHA256, r.RequestHash, r.Fault = d.str(16), d.str(17), d.str(18), d.str(19)
		r.DurationUS = d.num(20)
		r.Hash = d.str(21)
		if d.err != nil {
			return nil, fmt.Errorf("message log block: record %d: %w", r.Seq, d.err)
		}
		out = append(out, r)
		prev = r.Hash
	}
	return out, nil
}

type fieldDecoder struct {
	f   []json.RawMessage
	err error
}

func (d *fieldDecoder) num(i int) int64 {
	v, err := strconv.ParseInt(string(d.f[i]), 10, 64)
	if err != nil && d.err == nil {
		d.err = fmt.Errorf("field %d: %w", i, err)
	}
	return v
}

func (d *fieldDecoder) str(i int) string {
	raw := d.f[i]
	if len(raw) > 0 && raw[0] == '"' {
		if s, ok := plainJSONString(raw); ok {
			return s
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil && d.err == nil {
			d.err = fmt.Errorf("field %d: %w", i, err)
		}
		return s
	}
	var o struct {
		Base64 []byte `json:"base64"`
	}
	if err := json.Unmarshal(raw, &o); err != nil && d.err == nil {
		d.err = fmt.Errorf("field %d: %w", i, err)
	}
	return string(o.Base64)
}

// plainJSONString is a quoted JSON string without escapes, read without
// the decoder.
func plainJSONString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[len(raw)-1] != '"' {
		return "", false
	}
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' || c == '"' {
			return "", false
		}
	}
	return string(raw[1 : len(raw)-1]), true
}

// insertBlock writes a group's records as one block, in tx or, when tx
// is nil, as a statement of its own.
func (w *LogWriter) insertBlock(ctx context.Context, tx *sql.Tx, batch []*pending) error {
	first, last := &batch[0].rec, &batch[len(batch)-1].rec
	firstAt, lastAt := first.AtUS, first.AtUS
	for _, p := range batch {
		firstAt, lastAt = min(firstAt, p.rec.AtUS), max(lastAt, p.rec.AtUS)
	}
	args := []any{w.chain, first.Seq, last.Seq, firstAt, lastAt, first.PrevHash, last.Hash, string(appendBlock(make([]byte, 0, 512*len(batch)), batch)), nil, nil, nil}
	// The monitoring rows of the exchanges the group ends (migration 0029).
	var ops []byte
	var opsFirst, opsLast int64
	for _, p := range batch {
		o := p.rec.Op
		if o == nil {
			continue
		}
		if ops == nil {
			ops = append(make([]byte, 0, 420*len(batch)), '[')
			opsFirst, opsLast = o.RequestInTs, o.RequestInTs
		} else {
			ops = append(ops, ',')
		}
		ops = appendOpJSON(ops, o)
		opsFirst, opsLast = min(opsFirst, o.RequestInTs), max(opsLast, o.RequestInTs)
	}
	if ops != nil {
		args[8], args[9], args[10] = opsFirst, opsLast, string(append(ops, ']'))
	}
	var err error
	switch st := w.stmt; {
	case st != nil && tx != nil:
		_, err = tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	case st != nil:
		_, err = st.ExecContext(ctx, args...)
	case tx != nil:
		_, err = tx.ExecContext(ctx, blockInsert, args...)
	default:
		_, err = w.s.db.Write.ExecContext(ctx, blockInsert, args...)
	}
	return err
}

var blockInsert = `INSERT INTO hub_log_blocks (` + blockColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

// Records reads a chain's records from seq on, at most limit.
func (s *Store) Records(ctx context.Context, q store.Querier, chain string, from int64, limit int) ([]Record, error) {
	rows, err := q.QueryContext(ctx, `SELECT first_seq, prev_hash, records FROM hub_log_blocks WHERE chain = $1 AND last_seq >= $2 ORDER BY first_seq`, chain, from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() && len(out) < limit {
		var first int64
		var prev string
		var data []byte
		if err := rows.Scan(&first, &prev, &data); err != nil {
			return nil, err
		}
		recs, err := decodeBlock(chain, prev, data)
		if err != nil {
			return nil, fmt.Errorf("chain %s, block from %d: %w", chain, first, err)
		}
		for _, r := range recs {
			if r.Seq >= from && len(out) < limit {
				out = append(out, r)
			}
		}
	}
	return out, rows.Err()
}

// requestRecords finds the records of one exchange by its
// X-Road-Request-Id: the hub's ids are version-7 UUIDs, so only the
// blocks written from a minute before the id's time to the longest an
// exchange may last after it are read; any other id (records from before
// version-7 ids) is looked for in every block.
func (s *Store) requestRecords(ctx context.Context, q store.Querier, xRequestID string) ([]Record, error) {
	query := `SELECT chain, first_seq, prev_hash, records FROM hub_log_blocks ORDER BY chain, first_seq`
	var args []any
	if at, ok := uuidV7Time(xRequestID); ok {
		query = `SELECT chain, first_seq, prev_hash, records FROM hub_log_blocks WHERE first_at_us >= $1 AND first_at_us <= $2 ORDER BY chain, first_seq`
		args = []any{at.Add(-time.Minute).UnixMicro(), at.Add(maxExchange).UnixMicro()}
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var chain, prev string
		var first int64
		var data []byte
		if err := rows.Scan(&chain, &first, &prev, &data); err != nil {
			return nil, err
		}
		if !bytes.Contains(data, []byte(xRequestID)) {
			continue
		}
		recs, err := decodeBlock(chain, prev, data)
		if err != nil {
			return nil, fmt.Errorf("chain %s, block from %d: %w", chain, first, err)
		}
		for _, r := range recs {
			if r.XRequestID == xRequestID {
				out = append(out, r)
			}
		}
	}
	return out, rows.Err()
}

// maxExchange bounds how long after its request id's time an exchange's
// last record is written: well past any backend timeout the hub allows.
const maxExchange = 2 * time.Hour

// uuidV7Time is the time a version-7 UUID carries (RFC 9562: its first 48
// bits are Unix milliseconds).
func uuidV7Time(id string) (time.Time, bool) {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[14] != '7' {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(id[0:8]+id[9:13], 16, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}
