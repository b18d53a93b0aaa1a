package hub

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tinhso/tinhso/internal/store"
)

// The message log keeps a record of every exchange: who called what, when,
// the outcome, the sizes and the SHA-256 of both bodies (hashed while they
// stream). Records are chained, each to the one before it in its chain:
//
//	hash = SHA-256(prev_hash ‖ canonical(record))
//
// where canonical is the record's fields, one "name=value" line each in a
// fixed order with values quoted as Go quotes strings (Record.Canonical).
// A single writer per node owns its chain and commits records in groups:
// requests wait for their group's commit (one transaction for everything
// that arrived meanwhile), so the request's record is durable before the
// backend sees the request, at the cost of one commit per group rather
// than per request. Responses and refusals are queued without waiting.
// Every SealEvery the writer seals the chain's head: an Ed25519 signature
// over the last record's hash, chained to the previous seal.

// Record kinds.
const (
	RecordRequest  = "request"  // written before the backend sees the request
	RecordResponse = "response" // once the response has been relayed
	RecordRefused  = "refused"  // the gateway answered with an X-Road error
	RecordMeta     = "meta"     // a metadata service the gateway answered itself
)

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// GenesisHash is prev_hash of a chain's first record and prev_seal of its
// first seal.
var GenesisHash = strings.Repeat("0", 64)

// Record is one line of the message log.
type Record struct {
	Chain          string `json:"chain"`
	Seq            int64  `json:"seq"`
	Kind           string `json:"kind"`
	AtUS           int64  `json:"atUs" doc:"Unix microseconds"`
	XRequestID     string `json:"xRequestId"`
	QueryID        string `json:"queryId" doc:"X-Road-Id"`
	Client         string `json:"client"`
	Service        string `json:"service"`
	Credential     string `json:"credential" doc:"secret:ID or certificate:ID"`
	Method         string `json:"method"`
	Path           string `json:"path" doc:"the service path, percent-decoded"`
	Query          string `json:"query"`
	UserID         string `json:"userId" doc:"X-Road-UserId"`
	Issue          string `json:"issue" doc:"X-Road-Issue"`
	Status         int    `json:"status"`
	RequestSize    int64  `json:"requestSize"`
	ResponseSize   int64  `json:"responseSize"`
	RequestSHA256  string `json:"requestSha256"`
	ResponseSHA256 string `json:"responseSha256"`
	RequestHash    string `json:"requestHash" doc:"X-Road-Request-Hash"`
	Fault          string `json:"fault"`
	DurationUS     int64  `json:"durationUs"`
	PrevHash       string `json:"prevHash"`
	Hash           string `json:"hash"`
	// Op is the exchange's operational-monitoring row, written in the same
	// group (not part of the record's hash: monitoring is not evidence).
	Op *OpRecord `json:"-"`
	// Bodies are the exchange's bodies when its subsystems keep them,
	// written in the same group (their digests are the record's).
	Bodies []KeptBody `json:"-"`
}

// Canonical is the record's fields as its hash covers them.
func (r *Record) Canonical() []byte {
	b := make([]byte, 0, 512)
	b = append(b, "tinhso-hub-log-v1\n"...)
	str := func(k, v string) {
		b = append(b, k...)
		b = append(b, '=')
		b = appendQuoted(b, v)
		b = append(b, '\n')
	}
	num := func(k string, v int64) {
		b = append(b, k...)
		b = append(b, '=')
		b = strconv.AppendInt(b, v, 10)
		b = append(b, '\n')
	}
	str("chain", r.Chain)
	num("seq", r.Seq)
	str("kind", r.Kind)
	num("at_us", r.AtUS)
	str("x_request_id", r.XRequestID)
	str("query_id", r.QueryID)
	str("client", r.Client)
	str("service", r.Service)
	str("credential", r.Credential)
	str("method", r.Method)
	str("path", r.Path)
	str("query", r.Query)
	str("user_id", r.UserID)
	str("issue", r.Issue)
	num("status", int64(r.Status))
	num("request_size", r.RequestSize)
	num("response_size", r.ResponseSize)
	str("request_sha256", r.RequestSHA256)
	str("response_sha256", r.ResponseSHA256)
	str("request_hash", r.RequestHash)
	str("fault", r.Fault)
	num("duration_us", r.DurationUS)
	return b
}

// appendQuoted appends v as strconv.Quote writes it. Most values (ids,
// hashes, paths) are printable ASCII without quotes or backslashes, which
// Quote leaves as they are: those are copied without its rune-by-rune
// escaping, the writer's largest cost after the database.
func appendQuoted(b []byte, v string) []byte {
	if !plainText(v) {
		return strconv.AppendQuote(b, v)
	}
	b = append(b, '"')
	b = append(b, v...)
	return append(b, '"')
}

// plainText is printable ASCII without quotes or backslashes: written as
// it is between quotes by Go's quoting (the canonical form) and by JSON
// (the log's blocks) alike.
func plainText(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// chainHash is SHA-256(prev ‖ canonical), hex.
func chainHash(prev string, canonical []byte) string {
	p, _ := hex.DecodeString(prev)
	h := sha256.New()
	h.Write(p)
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil))
}

// Seal signs a chain's head.
type Seal struct {
	Chain      string `json:"chain"`
	Seq        int64  `json:"seq"`
	FirstSeq   int64  `json:"firstSeq"`
	LastSeq    int64  `json:"lastSeq"`
	LastHash   string `json:"lastHash"`
	PrevSeal   string `json:"prevSeal"`
	SealedAtUS int64  `json:"sealedAtUs"`
	KID        string `json:"kid"`
	Signature  string `json:"signature" doc:"base64 Ed25519 signature of the canonical seal"`
	// TimestampToken is an RFC 3161 TimeStampToken (base64 DER) over the
	// seal's hash, when a time-stamping authority is configured; not part
	// of the seal's hash (it is made after it).
	TimestampToken string `json:"timestampToken,omitempty"`
}

// Canonical is what the seal's signature covers.
func (s *Seal) Canonical() []byte {
	return fmt.Appendf(nil, "tinhso-hub-seal-v1\nchain=%q\nseq=%d\nfirst_seq=%d\nlast_seq=%d\nlast_hash=%q\nprev_seal=%q\nsealed_at_us=%d\nkid=%q\n",
		s.Chain, s.Seq, s.FirstSeq, s.LastSeq, s.LastHash, s.PrevSeal, s.SealedAtUS, s.KID)
}

// Hash is the seal's own hash, which the next seal carries: SHA-256 of the
// canonical seal and its signature.
func (s *Seal) Hash() string {
	h := sha256.New()
	h.Write(s.Canonical())
	h.Write([]byte(s.Signature))
	return hex.EncodeToString(h.Sum(nil))
}

// holdFor is how long records nobody waits for (responses, refusals) may
// wait for a request's record to be committed with, rather than be a
// commit of their own: at the gateway's load most groups held a few
// records, and the commits, not the records, were most of the writer's
// cost (measured, docs/perf.md).
const holdFor = 2 * time.Millisecond

// ErrLogUnavailable is what a request gets when its record could not be
// written (the gateway then refuses the exchange, unless it fails open).
var ErrLogUnavailable = errors.New("message log unavailable")

type pending struct {
	rec  Record
	done chan error // nil: nobody waits
}

// LogWriter appends to one chain.
type LogWriter struct {
	s       *Store
	chain   string
	in      chan *pending
	flush   chan chan error
	every   time.Duration
	maxRows int

	mu       sync.Mutex // guards the head, read by Head
	lastSeq  int64
	lastHash string
	// The last seal, known to the writer goroutine only.
	sealSeq, sealedTo int64
	sealHash          string
	retry             []*pending // queued records of a failed group, tried again
	held              []*pending // records nobody waits for, held for the next group
	hold              *time.Timer
	holding           bool      // hold is running
	stmt              *sql.Stmt // SQLite's insert of a block, prepared once
	stale             bool      // the head could not be read after a failure: read it first
}

// LogOptions tune a writer.
type LogOptions struct {
	Chain     string
	SealEvery time.Duration // 0: 5 seconds
	Queue     int           // records that may wait; 0: 8192
	MaxGroup  int           // records per commit at most; 0: 512
}

// NewLogWriter opens the writer of a chain, reading its head.
func (s *Store) NewLogWriter(ctx context.Context, o LogOptions) (*LogWriter, error) {
	if o.Chain == "" {
		o.Chain = "main"
	}
	if o.SealEvery <= 0 {
		o.SealEvery = 5 * time.Second
	}
	if o.Queue <= 0 {
		o.Queue = 8192
	}
	if o.MaxGroup <= 0 {
		o.MaxGroup = 512
	}
	w := &LogWriter{s: s, chain: o.Chain, in: make(chan *pending, o.Queue), flush: make(chan chan error), every: o.SealEvery, maxRows: o.MaxGroup}
	if err := w.loadHead(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *LogWriter) loadHead(ctx context.Context) error {
	seq, hash := int64(0), GenesisHash
	err := w.s.db.Write.QueryRowContext(ctx, `SELECT last_seq, last_hash FROM hub_log_blocks WHERE chain = $1 ORDER BY first_seq DESC LIMIT 1`, w.chain).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		w.stale = true
		return fmt.Errorf("message log head: %w", err)
	}
	sealSeq, sealedTo, sealHash := int64(0), int64(0), GenesisHash
	sl, err := scanSeal(w.s.db.Write.QueryRowContext(ctx, `SELECT `+sealColumns+` FROM hub_log_seals WHERE chain = $1 ORDER BY seq DESC LIMIT 1`, w.chain))
	if err == nil {
		sealSeq, sealedTo, sealHash = sl.Seq, sl.LastSeq, sl.Hash()
		if seq < sl.LastSeq {
			// Every record up to the last seal was archived (archive.go):
			// the chain goes on from the seal's head.
			seq, hash = sl.LastSeq, sl.LastHash
		}
	} else if !errors.Is(err, sql.ErrNoRows) {
		w.stale = true
		return fmt.Errorf("message log seals: %w", err)
	}
	w.mu.Lock()
	w.lastSeq, w.lastHash = seq, hash
	w.mu.Unlock()
	w.sealSeq, w.sealedTo, w.sealHash, w.stale = sealSeq, sealedTo, sealHash, false
	return nil
}

// Head is the chain's last committed record.
func (w *LogWriter) Head() (int64, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastSeq, w.lastHash
}

// Append queues a record; with wait it returns once the record is
// committed (or could not be), else at once.
func (w *LogWriter) Append(ctx context.Context, rec Record, wait bool) error {
	p := &pending{rec: rec}
	if wait {
		p.done = make(chan error, 1)
	}
	select {
	case w.in <- p:
	case <-ctx.Done():
		return ErrLogUnavailable
	}
	if !wait {
		return nil
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ErrLogUnavailable
	}
}

// TryAppend queues a record nobody waits for; false when the queue is
// full.
func (w *LogWriter) TryAppend(rec Record) bool {
	select {
	case w.in <- &pending{rec: rec}:
		return true
	default:
		return false
	}
}

// Run writes groups and seals until ctx ends, then writes what is queued
// and seals a last time.
func (w *LogWriter) Run(ctx context.Context) error {
	tick := time.NewTicker(w.every)
	defer tick.Stop()
	defer w.closeStmt()
	w.hold = time.NewTimer(holdFor)
	w.hold.Stop()
	defer w.hold.Stop()
	for {
		select {
		case p := <-w.in:
			w.group(context.WithoutCancel(ctx), p, false)
		case <-w.hold.C:
			w.holding = false
			w.group(context.WithoutCancel(ctx), nil, true)
		case <-tick.C:
			w.sealNow(context.WithoutCancel(ctx))
			w.s.checkStamps(ctx)
			w.purge(context.WithoutCancel(ctx))
		case reply := <-w.flush:
			end := context.WithoutCancel(ctx)
			w.drain(end)
			_, err := w.Seal(end)
			w.s.checkStamps(end)
			w.purge(end)
			reply <- err
		case <-ctx.Done():
			end := context.WithoutCancel(ctx)
			w.drain(end)
			w.flushRetries(end)
			w.sealNow(end)
			return nil
		}
	}
}

// drain commits everything queued.
func (w *LogWriter) drain(ctx context.Context) {
	for {
		select {
		case p := <-w.in:
			w.group(ctx, p, true)
			continue
		default:
		}
		if len(w.retry) > 0 || len(w.held) > 0 {
			w.group(ctx, nil, true)
		}
		return
	}
}

// Flush has the running writer commit what is queued and seal the head;
// it returns the seal's error.
func (w *LogWriter) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case w.flush <- reply:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *LogWriter) flushRetries(ctx context.Context) {
	for i := 0; i < 3 && len(w.retry) > 0; i++ {
		w.group(ctx, nil, true)
	}
	if n := len(w.retry); n > 0 {
		slog.Error("hub message log: records lost after retries", "chain", w.chain, "records", n)
		w.retry = nil
	}
}

// group commits first and whatever else is queued, in one transaction.
// Unless force, a group in which nobody waits (responses, refusals) is
// held, up to holdFor, for the next request's record to commit with.
func (w *LogWriter) group(ctx context.Context, first *pending, force bool) {
	batch := append(w.retry, w.held...)
	w.retry, w.held = nil, nil
	if first != nil {
		batch = append(batch, first)
	}
	waits := false
	for len(batch) < w.maxRows {
		select {
		case p := <-w.in:
			batch = append(batch, p)
			continue
		default:
		}
		break
	}
	if len(batch) == 0 {
		return
	}
	for _, p := range batch {
		waits = waits || p.done != nil
	}
	if !force && !waits && len(batch) < w.maxRows && w.hold != nil {
		w.held = batch
		if !w.holding {
			w.hold.Reset(holdFor)
			w.holding = true
		}
		return
	}
	if w.holding {
		w.hold.Stop()
		w.holding = false
	}
	if w.stale {
		if err := w.loadHead(ctx); err != nil {
			w.fail(batch)
			return
		}
	}
	seq, prev := w.Head()
	for _, p := range batch {
		seq++
		p.rec.Chain, p.rec.Seq, p.rec.PrevHash = w.chain, seq, prev
		p.rec.Hash = chainHash(prev, p.rec.Canonical())
		prev = p.rec.Hash
	}
	err := w.insert(ctx, batch)
	if err == nil {
		w.mu.Lock()
		w.lastSeq, w.lastHash = seq, prev
		w.mu.Unlock()
	} else {
		slog.Error("hub message log: commit failed", "chain", w.chain, "records", len(batch), "err", err)
		if lerr := w.loadHead(ctx); lerr != nil {
			slog.Error("hub message log: reading the head", "err", lerr)
		}
	}
	if err != nil {
		w.fail(batch)
		return
	}
	for _, p := range batch {
		if p.done != nil {
			p.done <- nil
		}
	}
}

// fail answers a group that could not be written: the waiting requests
// are refused, the queued records kept for the next group (up to a bound).
func (w *LogWriter) fail(batch []*pending) {
	for _, p := range batch {
		if p.done != nil {
			p.done <- ErrLogUnavailable
		} else if len(w.retry) < 4*w.maxRows {
			w.retry = append(w.retry, p)
		} else {
			slog.Error("hub message log: a record is lost", "chain", w.chain, "kind", p.rec.Kind, "x-road-request-id", p.rec.XRequestID)
		}
	}
}

// insert writes a group, its records and their exchanges' monitoring
// rows as one block, and kept bodies, in one transaction.
func (w *LogWriter) insert(ctx context.Context, batch []*pending) error {
	if w.s.db.Engine == store.SQLite && w.stmt == nil {
		// Prepared on the writer's one connection before the transaction
		// holds it.
		st, err := w.s.db.Write.PrepareContext(ctx, blockInsert)
		if err != nil {
			return err
		}
		w.stmt = st
	}
	if !slices.ContainsFunc(batch, func(p *pending) bool { return len(p.rec.Bodies) > 0 }) {
		// The block, monitoring rows included, is one row: its INSERT
		// commits on its own, without BEGIN and COMMIT around it (two
		// statements more, and on PostgreSQL two round trips more).
		return w.insertBlock(ctx, nil, batch)
	}
	return w.s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := w.insertBlock(ctx, tx, batch); err != nil {
			return err
		}
		return insertBodies(ctx, tx, batch)
	})
}

// closeStmt closes the statement insert prepared, once the writer stops.
func (w *LogWriter) closeStmt() {
	if w.stmt != nil {
		w.stmt.Close()
		w.stmt = nil
	}
}

// sealNow seals the records since the last seal, if any.
func (w *LogWriter) sealNow(ctx context.Context) {
	if _, err := w.Seal(ctx); err != nil {
		slog.Error("hub message log: seal failed", "chain", w.chain, "err", err)
	}
}

// Seal signs the chain's head now (called by the writer's goroutine, or
// by tests and the CLI while no writer runs); false when there was
// nothing new to seal.
func (w *LogWriter) Seal(ctx context.Context) (bool, error) {
	last, hash := w.Head()
	if last <= w.sealedTo {
		return false, nil
	}
	key := w.s.snapshot().sealKey
	if key == nil {
		return false, errors.New("no seal key")
	}
	if key.priv == nil {
		return false, fmt.Errorf("the seal key %s is held in a key file, not given to this node (--hub-seal-key)", key.kid)
	}
	sl := Seal{Chain: w.chain, Seq: w.sealSeq + 1, FirstSeq: w.sealedTo + 1, LastSeq: last, LastHash: hash, PrevSeal: w.sealHash,
		SealedAtUS: time.Now().UnixMicro(), KID: key.kid}
	sl.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key.priv, sl.Canonical()))
	_, err := w.s.db.Write.ExecContext(ctx, `INSERT INTO hub_log_seals (`+sealColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		sl.Chain, sl.Seq, sl.FirstSeq, sl.LastSeq, sl.LastHash, sl.PrevSeal, sl.SealedAtUS, sl.KID, sl.Signature, sl.TimestampToken)
	if err != nil {
		if lerr := w.loadHead(ctx); lerr != nil {
			slog.Error("hub message log: reading the head", "err", lerr)
		}
		return false, err
	}
	w.sealSeq, w.sealedTo, w.sealHash = sl.Seq, sl.LastSeq, sl.Hash()
	return true, nil
}

const sealColumns = `chain, seq, first_seq, last_seq, last_hash, prev_seal, sealed_at_us, kid, signature, timestamp_token`

func scanSeal(sc interface{ Scan(...any) error }) (Seal, error) {
	var s Seal
	err := sc.Scan(&s.Chain, &s.Seq, &s.FirstSeq, &s.LastSeq, &s.LastHash, &s.PrevSeal, &s.SealedAtUS, &s.KID, &s.Signature, &s.TimestampToken)
	return s, err
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q store.Querier, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanString scans a row of one text column.
func scanString(sc interface{ Scan(...any) error }) (string, error) {
	var s string
	err := sc.Scan(&s)
	return s, err
}
