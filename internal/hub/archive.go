package hub

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/store"
)

// Archiving (X-Road archives its message log into files every 6 hours):
// the seals older than the retention (--hub-archive-days, 180 by default)
// are written, with every record they cover, into one file per chain and
// run of seals, then deleted from the database in one transaction that
// also writes the chain's anchor (hub_log_archives): the last archived
// record's seq and hash and the last archived seal's hash. That seal stays
// in hub_log_seals, so its signature still checks and the next seal
// follows it; `tinhso hub verify` starts after the anchor. Nothing is
// archived from a chain that does not verify: the broken evidence stays
// where verify names it.
//
// The file, hublog-CHAIN-SSSSSSSSS-TTTTTTTTT.jsonl.gz (the first and last
// seal, nine digits), is gzip'd JSON lines:
//
//	{"archive": {version, instance, chain, firstSeq, lastSeq, firstSeal,
//	             lastSeal, prevHash, prevSeal, createdAtUs, keys: [{kid, publicKey}]}}
//	{"record": {…a Record as a proof holds it…}}          one per record, in order
//	{"seal": {…a Seal, with its timestampToken if any…}}  after its last record
//	{"end": {records, seals, lastHash, lastSealHash}}
//
// prevHash and prevSeal are the hashes the first record and the first seal
// follow (the previous file's last ones; GenesisHash for the first file),
// so the files of a chain form one chain with what is still in the
// database. `tinhso hub verify-archive FILE...` checks files offline
// (records, seals, signatures, time-stamp tokens, the end line, and the
// continuity between files given in order) and names the first broken
// record; `tinhso hub verify --archives DIR` checks a chain's files from
// the genesis to the anchor.

// ArchiveVersion names the archive file's format.
const ArchiveVersion = "tinhso-hub-archive-v1"

// DefaultArchiveRecords bounds the records of one archive file (X-Road
// rotates at 32 MB; a record is about 600 bytes before compression).
const DefaultArchiveRecords = 50000

// ArchiveHeader is an archive file's first line.
type ArchiveHeader struct {
	Version     string       `json:"version"`
	Instance    string       `json:"instance"`
	Chain       string       `json:"chain"`
	FirstSeq    int64        `json:"firstSeq"`
	LastSeq     int64        `json:"lastSeq"`
	FirstSeal   int64        `json:"firstSeal"`
	LastSeal    int64        `json:"lastSeal"`
	PrevHash    string       `json:"prevHash" doc:"the hash the first record follows"`
	PrevSeal    string       `json:"prevSeal" doc:"the hash of the seal before the first"`
	CreatedAtUS int64        `json:"createdAtUs"`
	Keys        []ArchiveKey `json:"keys" doc:"the seal keys of the file's seals"`
}

// ArchiveKey is a seal key in an archive.
type ArchiveKey struct {
	KID       string `json:"kid"`
	PublicKey string `json:"publicKey" doc:"base64 raw Ed25519 key"`
}

// ArchiveEnd is an archive file's last line (a truncated file has none).
type ArchiveEnd struct {
	Records      int64  `json:"records"`
	Seals        int64  `json:"seals"`
	LastHash     string `json:"lastHash"`
	LastSealHash string `json:"lastSealHash"`
}

type archiveLine struct {
	Archive *ArchiveHeader `json:"archive,omitempty"`
	Record  *Record        `json:"record,omitempty"`
	Seal    *Seal          `json:"seal,omitempty"`
	End     *ArchiveEnd    `json:"end,omitempty"`
}

// Archived is one archive, as hub_log_archives holds it.
type Archived struct {
	ID           int64  `json:"id"`
	Chain        string `json:"chain"`
	FirstSeq     int64  `json:"firstSeq"`
	LastSeq      int64  `json:"lastSeq"`
	FirstSeal    int64  `json:"firstSeal"`
	LastSeal     int64  `json:"lastSeal"`
	PrevHash     string `json:"prevHash"`
	LastHash     string `json:"lastHash"`
	LastSealHash string `json:"lastSealHash"`
	FirstAtUS    int64  `json:"firstAtUs"`
	LastAtUS     int64  `json:"lastAtUs"`
	File         string `json:"file" doc:"the file's name in the archive directory"`
	SHA256       string `json:"sha256" doc:"of the file"`
	ArchivedAtUS int64  `json:"archivedAtUs"`
}

const archiveColumns = `id, chain, first_seq, last_seq, first_seal, last_seal, prev_hash, last_hash, last_seal_hash, first_at_us, last_at_us, file, sha256, archived_at_us`

func scanArchived(sc interface{ Scan(...any) error }) (Archived, error) {
	var a Archived
	err := sc.Scan(&a.ID, &a.Chain, &a.FirstSeq, &a.LastSeq, &a.FirstSeal, &a.LastSeal, &a.PrevHash, &a.LastHash, &a.LastSealHash, &a.FirstAtUS, &a.LastAtUS, &a.File, &a.SHA256, &a.ArchivedAtUS)
	return a, err
}

// Archives lists a chain's archives, oldest first (every chain's when
// chain is empty).
func Archives(ctx context.Context, q store.Querier, chain string) ([]Archived, error) {
	return queryAll(ctx, q, scanArchived, `SELECT `+archiveColumns+` FROM hub_log_archives WHERE chain = $1 OR $1 = '' ORDER BY chain, last_seal`, chain)
}

// anchor is a chain's latest archive; ok false when none.
func anchorOf(ctx context.Context, q store.Querier, chain string) (Archived, bool, error) {
	a, err := scanArchived(q.QueryRowContext(ctx, `SELECT `+archiveColumns+` FROM hub_log_archives WHERE chain = $1 ORDER BY last_seal DESC LIMIT 1`, chain))
	if errors.Is(err, sql.ErrNoRows) {
		return Archived{}, false, nil
	}
	return a, err == nil, err
}

// ArchiveOptions say what to archive where.
type ArchiveOptions struct {
	Dir string // the archive directory (made when missing, 0700)
	// Before: seals made before it are archived.
	Before time.Time
	// MaxRecords bounds a file (0: DefaultArchiveRecords); a seal's
	// records are never split, so a file may hold more when one seal does.
	MaxRecords int
}

// Archive archives, chain by chain, the seals made before o.Before, one
// file per run of at most o.MaxRecords records; it returns what it wrote.
// Run by one node at a time (the retention job holds a lease).
func (s *Store) Archive(ctx context.Context, o ArchiveOptions) ([]Archived, error) {
	if o.Dir == "" {
		return nil, errors.New("hub archive: no directory")
	}
	if o.MaxRecords <= 0 {
		o.MaxRecords = DefaultArchiveRecords
	}
	chains, err := queryAll(ctx, s.db.Read, scanString, `SELECT DISTINCT chain FROM hub_log_seals WHERE sealed_at_us < $1 ORDER BY chain`, o.Before.UnixMicro())
	if err != nil {
		return nil, err
	}
	var out []Archived
	for _, c := range chains {
		for {
			a, ok, err := s.archiveOne(ctx, c, o)
			if err != nil {
				return out, fmt.Errorf("hub archive of chain %s: %w", c, err)
			}
			if !ok {
				break
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// archiveOne archives the next run of a chain's old seals; false when
// there is none.
func (s *Store) archiveOne(ctx context.Context, chain string, o ArchiveOptions) (Archived, bool, error) {
	prev, hasPrev, err := anchorOf(ctx, s.db.Read, chain)
	if err != nil {
		return Archived{}, false, err
	}
	h := ArchiveHeader{Version: ArchiveVersion, Instance: s.opt.Instance, Chain: chain, PrevHash: GenesisHash, PrevSeal: GenesisHash}
	if hasPrev {
		h.PrevHash, h.PrevSeal = prev.LastHash, prev.LastSealHash
	}
	old, err := queryAll(ctx, s.db.Read, scanSeal, `SELECT `+sealColumns+` FROM hub_log_seals WHERE chain = $1 AND seq > $2 AND sealed_at_us < $3 ORDER BY seq LIMIT 10000`,
		chain, prev.LastSeal, o.Before.UnixMicro())
	if err != nil {
		return Archived{}, false, err
	}
	var seals []Seal
	var n int64
	for _, sl := range old {
		if len(seals) > 0 && n+sl.LastSeq-sl.FirstSeq+1 > int64(o.MaxRecords) {
			break
		}
		seals = append(seals, sl)
		n += sl.LastSeq - sl.FirstSeq + 1
	}
	if len(seals) == 0 {
		return Archived{}, false, nil
	}
	first, last := seals[0], seals[len(seals)-1]
	h.FirstSeq, h.LastSeq, h.FirstSeal, h.LastSeal, h.CreatedAtUS = prev.LastSeq+1, last.LastSeq, first.Seq, last.Seq, time.Now().UnixMicro()
	keys, err := sealKeys(ctx, s.db, nil)
	if err != nil {
		return Archived{}, false, err
	}
	for _, sl := range seals {
		if !slices.ContainsFunc(h.Keys, func(k ArchiveKey) bool { return k.KID == sl.KID }) {
			pub, ok := keys[sl.KID]
			if !ok {
				return Archived{}, false, fmt.Errorf("seal %d: key %s is not in hub_keys", sl.Seq, sl.KID)
			}
			h.Keys = append(h.Keys, ArchiveKey{KID: sl.KID, PublicKey: base64.StdEncoding.EncodeToString(pub)})
		}
	}
	recs, err := (&Store{db: s.db}).Records(ctx, s.db.Read, chain, h.FirstSeq, int(h.LastSeq-h.FirstSeq+1))
	if err != nil {
		return Archived{}, false, err
	}
	// What goes into the file must verify, or nothing is archived.
	var buf archiveBuffer
	buf.line(archiveLine{Archive: &h})
	for _, r := range recs {
		buf.line(archiveLine{Record: &r})
		for i := range seals {
			if seals[i].LastSeq == r.Seq {
				buf.line(archiveLine{Seal: &seals[i]})
			}
		}
	}
	end := ArchiveEnd{Records: int64(len(recs)), Seals: int64(len(seals)), LastHash: last.LastHash, LastSealHash: last.Hash()}
	buf.line(archiveLine{End: &end})
	if buf.err != nil {
		return Archived{}, false, buf.err
	}
	rep, err := VerifyArchive(buf.reader(), VerifyOptions{})
	if err != nil {
		return Archived{}, false, err
	}
	if !rep.OK {
		return Archived{}, false, fmt.Errorf("the records to archive do not verify (nothing archived): %s", rep.Problem)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return Archived{}, false, err
	}
	name := fmt.Sprintf("hublog-%s-%09d-%09d.jsonl.gz", chain, first.Seq, last.Seq)
	sum, err := writeArchiveFile(filepath.Join(o.Dir, name), buf.gz.Bytes())
	if err != nil {
		return Archived{}, false, err
	}
	a := Archived{Chain: chain, FirstSeq: h.FirstSeq, LastSeq: h.LastSeq, FirstSeal: first.Seq, LastSeal: last.Seq, PrevHash: h.PrevHash,
		LastHash: last.LastHash, LastSealHash: last.Hash(), FirstAtUS: recs[0].AtUS, LastAtUS: recs[len(recs)-1].AtUS, File: name, SHA256: sum,
		ArchivedAtUS: time.Now().UnixMicro()}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO hub_log_archives (chain, first_seq, last_seq, first_seal, last_seal, prev_hash, last_hash, last_seal_hash, first_at_us, last_at_us, file, sha256, archived_at_us)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
			a.Chain, a.FirstSeq, a.LastSeq, a.FirstSeal, a.LastSeal, a.PrevHash, a.LastHash, a.LastSealHash, a.FirstAtUS, a.LastAtUS, a.File, a.SHA256, a.ArchivedAtUS).Scan(&a.ID); err != nil {
			return err
		}
		// Seals fall between the writer's groups, so the archived records
		// are whole blocks; one that straddles the range would be a block
		// written by something else, and nothing is archived.
		var straddling int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_log_blocks WHERE chain = $1 AND first_seq <= $3 AND last_seq >= $2 AND (first_seq < $2 OR last_seq > $3)`,
			chain, a.FirstSeq, a.LastSeq).Scan(&straddling); err != nil {
			return err
		}
		if straddling > 0 {
			return fmt.Errorf("a block of records crosses the archive's bounds %d–%d (nothing archived)", a.FirstSeq, a.LastSeq)
		}
		// The blocks' monitoring rows are not archived (they are not
		// evidence): they stay, for their own retention, in hub_opmon_rows.
		if _, err := tx.ExecContext(ctx, `INSERT INTO hub_opmon_rows (`+opColumns+`) SELECT `+opColumns+` FROM hub_opmon_blocks
			WHERE chain = $1 AND first_seq >= $2 AND last_seq <= $3`, chain, a.FirstSeq, a.LastSeq); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM hub_log_blocks WHERE chain = $1 AND first_seq >= $2 AND last_seq <= $3`, chain, a.FirstSeq, a.LastSeq); err != nil {
			return err
		}
		// The previous anchor's seal goes, the new anchor's stays.
		if _, err := tx.ExecContext(ctx, `DELETE FROM hub_log_seals WHERE chain = $1 AND seq >= $2 AND seq < $3`, chain, max(prev.LastSeal, 1), a.LastSeal); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Kind: audit.HubArchive, Success: true, Actor: "hub", Subject: chain,
			Detail: fmt.Sprintf("archive records=%d-%d seals=%d-%d file=%s sha256=%s", a.FirstSeq, a.LastSeq, a.FirstSeal, a.LastSeal, a.File, a.SHA256)})
	})
	if err != nil {
		// The file goes unless another node's archive of the same seals
		// committed it (a lease that expired during a long round).
		var n int
		if cerr := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_log_archives WHERE file = $1`, name).Scan(&n); cerr == nil && n == 0 {
			os.Remove(filepath.Join(o.Dir, name))
		}
		return Archived{}, false, err
	}
	slog.Info("hub message log: archived", "chain", chain, "records", len(recs), "seals", len(seals), "file", filepath.Join(o.Dir, name))
	return a, true, nil
}

// archiveBuffer writes the JSON lines of an archive, gzip'd, in memory (a
// file is bounded by MaxRecords).
type archiveBuffer struct {
	gz  bytes.Buffer
	zw  *gzip.Writer
	enc *json.Encoder
	err error
}

func (a *archiveBuffer) line(l archiveLine) {
	if a.zw == nil {
		a.zw = gzip.NewWriter(&a.gz)
		a.enc = json.NewEncoder(a.zw)
		a.enc.SetEscapeHTML(false)
	}
	if a.err == nil {
		a.err = a.enc.Encode(l)
	}
	if l.End != nil && a.err == nil {
		a.err = a.zw.Close()
	}
}

func (a *archiveBuffer) reader() io.Reader { return bytes.NewReader(a.gz.Bytes()) }

// writeArchiveFile writes b into path (never over an existing file), on
// disk before it returns; the SHA-256 of b, hex.
func writeArchiveFile(path string, b []byte) (string, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if _, serr := os.Stat(path); serr == nil {
			err = fmt.Errorf("%s exists already", path)
		}
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("hub archive file: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// ArchiveReport is the result of checking archive files.
type ArchiveReport struct {
	OK        bool   `json:"ok"`
	Files     int    `json:"files"`
	Chain     string `json:"chain"`
	FirstSeq  int64  `json:"firstSeq"`
	LastSeq   int64  `json:"lastSeq"`
	Records   int64  `json:"records"`
	Seals     int64  `json:"seals"`
	Timestamp int64  `json:"timestamped" doc:"seals with a time-stamp token, checked"`
	// LastHash and LastSealHash are where the files end (the next file,
	// or the database's anchor, follows them).
	LastHash     string `json:"lastHash"`
	LastSealHash string `json:"lastSealHash"`
	File         string `json:"file,omitempty" doc:"the file with the problem"`
	BrokenSeq    int64  `json:"brokenSeq,omitempty"`
	BrokenSeal   int64  `json:"brokenSeal,omitempty"`
	Problem      string `json:"problem,omitempty"`
}

// VerifyArchive checks one archive file's content (gzip'd JSON lines).
// o.PublicKeys pins the seal keys (else the file's own are believed),
// o.TSARoots the time-stamping authorities. The report names what is
// wrong; err is for a file that is not an archive at all.
func VerifyArchive(r io.Reader, o VerifyOptions) (ArchiveReport, error) {
	rep := ArchiveReport{}
	st := archiveState{}
	return st.check(r, o, &rep)
}

// VerifyArchiveFiles checks files of one chain given in order: each, and
// that each follows the one before it.
func VerifyArchiveFiles(paths []string, o VerifyOptions) (ArchiveReport, error) {
	rep := ArchiveReport{}
	st := archiveState{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return rep, err
		}
		rep.File = p
		_, err = st.check(f, o, &rep)
		f.Close()
		if err != nil {
			return rep, fmt.Errorf("%s: %w", p, err)
		}
		if !rep.OK {
			return rep, nil
		}
		rep.Files++
	}
	rep.File = ""
	return rep, nil
}

// archiveState carries a chain from one file to the next.
type archiveState struct {
	started            bool
	lastHash, lastSeal string
	lastSeq, lastSealN int64
}

func (st *archiveState) check(r io.Reader, o VerifyOptions, rep *ArchiveReport) (ArchiveReport, error) {
	rep.OK, rep.Problem = false, ""
	fail := func(seq, seal int64, format string, args ...any) (ArchiveReport, error) {
		rep.BrokenSeq, rep.BrokenSeal, rep.Problem = seq, seal, fmt.Sprintf(format, args...)
		return *rep, nil
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return *rep, fmt.Errorf("not an archive file: %w", err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	next := func() (archiveLine, bool, error) {
		if !sc.Scan() {
			return archiveLine{}, false, sc.Err()
		}
		var l archiveLine
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return l, true, err
		}
		return l, true, nil
	}
	l, ok, err := next()
	if err != nil || !ok || l.Archive == nil {
		return *rep, fmt.Errorf("not an archive file: no header line (%v)", err)
	}
	h := l.Archive
	if h.Version != ArchiveVersion {
		return *rep, fmt.Errorf("not an archive file: version %q, want %q", h.Version, ArchiveVersion)
	}
	if st.started && h.Chain != rep.Chain {
		return fail(h.FirstSeq, 0, "the file is of chain %q, the one before it of %q", h.Chain, rep.Chain)
	}
	if !st.started {
		rep.Chain, rep.FirstSeq = h.Chain, h.FirstSeq
		st.lastHash, st.lastSeal, st.lastSeq, st.lastSealN = h.PrevHash, h.PrevSeal, h.FirstSeq-1, h.FirstSeal-1
		st.started = true
	}
	if h.PrevHash != st.lastHash || h.FirstSeq != st.lastSeq+1 || h.PrevSeal != st.lastSeal || h.FirstSeal != st.lastSealN+1 {
		return fail(h.FirstSeq, h.FirstSeal, "the file does not follow the one before it (it starts at record %d, seal %d; the one before ends at record %d, seal %d)", h.FirstSeq, h.FirstSeal, st.lastSeq, st.lastSealN)
	}
	keys := map[string]ed25519.PublicKey{}
	if len(o.PublicKeys) > 0 {
		if keys, err = pinnedKeys(o.PublicKeys); err != nil {
			return *rep, err
		}
	} else {
		for _, k := range h.Keys {
			raw, err := base64.StdEncoding.DecodeString(k.PublicKey)
			if err != nil || len(raw) != ed25519.PublicKeySize || kidOf(raw) != k.KID {
				return fail(0, 0, "the file's key %s is not a base64 Ed25519 key of that id", k.KID)
			}
			keys[k.KID] = ed25519.PublicKey(raw)
		}
	}
	prev, seq, prevSeal, sealN, sealedTo := st.lastHash, st.lastSeq, st.lastSeal, st.lastSealN, st.lastSeq
	var recs, seals int64
	for {
		l, ok, err := next()
		if err != nil {
			return fail(seq+1, 0, "the line after record %d is not an archive line: %v", seq, err)
		}
		if !ok {
			return fail(seq+1, 0, "the file ends after record %d without its end line (truncated)", seq)
		}
		switch {
		case l.Record != nil:
			r := l.Record
			if r.Chain != h.Chain {
				return fail(r.Seq, 0, "record %d is of chain %q, the file of %q", r.Seq, r.Chain, h.Chain)
			}
			if r.Seq != seq+1 {
				return fail(seq+1, 0, "record %d is missing (the next record is %d)", seq+1, r.Seq)
			}
			if r.PrevHash != prev {
				return fail(r.Seq, 0, "record %d (x-road-request-id %s) does not follow record %d: its prev_hash is not that record's hash", r.Seq, r.XRequestID, r.Seq-1)
			}
			if got := chainHash(prev, r.Canonical()); got != r.Hash {
				return fail(r.Seq, 0, "record %d (x-road-request-id %s) was altered: its contents do not hash to its stored hash", r.Seq, r.XRequestID)
			}
			prev, seq = r.Hash, r.Seq
			recs++
		case l.Seal != nil:
			s := l.Seal
			switch {
			case s.Chain != h.Chain || s.Seq != sealN+1:
				return fail(0, sealN+1, "seal %d is missing (the next seal is %d of chain %s)", sealN+1, s.Seq, s.Chain)
			case s.FirstSeq != sealedTo+1 || s.LastSeq != seq:
				return fail(s.LastSeq, s.Seq, "seal %d covers records %d–%d, but it follows record %d and the seal before it ends at %d", s.Seq, s.FirstSeq, s.LastSeq, seq, sealedTo)
			case s.PrevSeal != prevSeal:
				return fail(0, s.Seq, "seal %d does not follow seal %d: its prev_seal is not that seal's hash", s.Seq, s.Seq-1)
			case s.LastHash != prev:
				return fail(s.LastSeq, s.Seq, "seal %d signed another hash for record %d: the records up to it were rewritten", s.Seq, s.LastSeq)
			}
			if problem := checkSealSignature(s, keys); problem != "" {
				return fail(0, s.Seq, "%s", problem)
			}
			if s.TimestampToken != "" {
				if _, err := verifySealTimestamp(s, o.TSARoots); err != nil {
					return fail(0, s.Seq, "seal %d: the time-stamp token does not verify: %v", s.Seq, err)
				}
				rep.Timestamp++
			}
			prevSeal, sealN, sealedTo = s.Hash(), s.Seq, s.LastSeq
			seals++
		case l.End != nil:
			e := l.End
			if sealedTo != seq {
				return fail(sealedTo+1, 0, "records %d–%d are under no seal of the file", sealedTo+1, seq)
			}
			if seq != h.LastSeq || sealN != h.LastSeal || e.Records != recs || e.Seals != seals || e.LastHash != prev || e.LastSealHash != prevSeal {
				return fail(seq, sealN, "the end line does not match the file (it says %d records and %d seals, the file holds %d and %d up to record %d, seal %d)", e.Records, e.Seals, recs, seals, seq, sealN)
			}
			if _, more, _ := next(); more {
				return fail(seq, sealN, "the file goes on after its end line")
			}
			st.lastHash, st.lastSeal, st.lastSeq, st.lastSealN = prev, prevSeal, seq, sealN
			rep.LastSeq, rep.LastHash, rep.LastSealHash = seq, prev, prevSeal
			rep.Records += recs
			rep.Seals += seals
			rep.OK = true
			return *rep, nil
		default:
			return fail(seq+1, 0, "an empty line after record %d", seq)
		}
	}
}

// checkSealSignature is "" when the seal is signed by one of keys.
func checkSealSignature(s *Seal, keys map[string]ed25519.PublicKey) string {
	pub, ok := keys[s.KID]
	if !ok {
		return fmt.Sprintf("seal %d is signed by key %s, which is not a trusted seal key", s.Seq, s.KID)
	}
	sig, err := base64.StdEncoding.DecodeString(s.Signature)
	if err != nil || !ed25519.Verify(pub, s.Canonical(), sig) {
		return fmt.Sprintf("seal %d: the signature does not match the seal (the seal was altered)", s.Seq)
	}
	return ""
}

// pinnedKeys reads base64 raw Ed25519 keys.
func pinnedKeys(ks []string) (map[string]ed25519.PublicKey, error) {
	keys := map[string]ed25519.PublicKey{}
	for _, k := range ks {
		raw, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("public key %q: want the base64 of a raw Ed25519 key", k)
		}
		keys[kidOf(raw)] = ed25519.PublicKey(raw)
	}
	return keys, nil
}

// sealKeys are the keys seals are checked against: the pinned ones, else
// the seal keys in hub_keys.
func sealKeys(ctx context.Context, db *store.DB, pinned []string) (map[string]ed25519.PublicKey, error) {
	if len(pinned) > 0 {
		return pinnedKeys(pinned)
	}
	ks, err := loadKeys(ctx, db.Read, false)
	if err != nil {
		return nil, err
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range ks {
		if k.Purpose == PurposeSeal {
			if pub, ok := k.public.(ed25519.PublicKey); ok {
				keys[k.KID] = pub
			}
		}
	}
	return keys, nil
}

// findInArchive reads an archive file for the proof of an exchange: the
// exchange's records, the chain after them up to the seal covering the
// last, the seal and its key. ok false when the file does not hold it.
func findInArchive(path, xRequestID string) (Proof, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return Proof{}, false, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return Proof{}, false, fmt.Errorf("%s: %w", path, err)
	}
	p := Proof{Version: ProofVersion, XRequestID: xRequestID}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var keys []ArchiveKey
	for sc.Scan() {
		var l archiveLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return Proof{}, false, fmt.Errorf("%s: %w", path, err)
		}
		switch {
		case l.Archive != nil:
			p.Instance, keys = l.Archive.Instance, l.Archive.Keys
		case l.Record != nil:
			if l.Record.XRequestID == xRequestID {
				p.Subjects = append(p.Subjects, l.Record.Seq)
			}
			if len(p.Subjects) > 0 {
				p.Records = append(p.Records, *l.Record)
			}
		case l.Seal != nil:
			if len(p.Subjects) == 0 {
				continue
			}
			p.Seal = *l.Seal
			for _, k := range keys {
				if k.KID == p.Seal.KID {
					p.PublicKey = k.PublicKey
				}
			}
			// The response of the exchange may follow under a later seal.
			if exchangeDone(p) {
				return p, true, nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return Proof{}, false, err
	}
	if len(p.Subjects) > 0 && p.Seal.Seq > 0 {
		// The exchange's last record is beyond this file: the proof holds
		// what the file has, up to its last seal.
		i := slices.IndexFunc(p.Records, func(r Record) bool { return r.Seq == p.Seal.LastSeq })
		p.Records = p.Records[:i+1]
		p.Subjects = slices.DeleteFunc(p.Subjects, func(s int64) bool { return s > p.Seal.LastSeq })
		return p, true, nil
	}
	return Proof{}, false, nil
}

// exchangeDone: the proof's records hold the record that ends its
// exchange (a response, a refusal or a metaservice's answer).
func exchangeDone(p Proof) bool {
	for _, r := range p.Records {
		if r.XRequestID == p.XRequestID && r.Kind != RecordRequest {
			return true
		}
	}
	return false
}

// archiveFileSum is the SHA-256 of a file, hex.
func archiveFileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
