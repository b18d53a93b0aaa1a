package hub

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/store"
)

// A proof lets one exchange be shown to a third party (a dispute) and
// checked offline, with nothing but the file and the hub's public seal
// key: the exchange's records, every record of the chain after them up to
// the seal that covers them (each with its fields, so that each hash is
// recomputed: hash = SHA-256(prev_hash ‖ canonical)), the seal, and the
// seal's public key. Changing any field of the exchange's records changes
// their hash, which no longer leads to the hash the seal signed.
//
// The records after the exchange's are those of other exchanges of the
// same few seconds (a seal every 5 s): their metadata — who called which
// service, digests, sizes — is in the proof, never their bodies.
//
// The seal carries its RFC 3161 time-stamp token when it has one
// (timestamp.go), checked too. An exchange that was archived (archive.go)
// is exported from its archive file, which the proof names.

// ProofVersion names the proof file's format.
const ProofVersion = "tinhso-hub-proof-v1"

// Proof is an exported exchange with what proves it.
type Proof struct {
	Version    string  `json:"version"`
	Instance   string  `json:"instance"`
	XRequestID string  `json:"xRequestId"`
	Subjects   []int64 `json:"subjects" doc:"the seqs of the exchange's own records"`
	// Records is the chain from the exchange's first record to the seal's
	// last, without a gap.
	Records   []Record `json:"records"`
	Seal      Seal     `json:"seal"`
	PublicKey string   `json:"publicKey" doc:"base64 raw Ed25519 key of the seal's kid"`
	// Bodies, when asked for and kept, are the exchange's bodies, which
	// must hash to the digests of its response record.
	Bodies []KeptBody `json:"bodies,omitempty"`
	// Archive names the archive file the proof was read from, when the
	// exchange had left the database.
	Archive string `json:"archive,omitempty"`
}

// ProofOptions choose what a proof holds and where archives are.
type ProofOptions struct {
	Bodies bool // the exchange's kept bodies too
	// ArchiveDir is the archive directory, read for an exchange that was
	// archived; empty: such an exchange is only said to be archived.
	ArchiveDir string
}

// ArchivedError says that an exchange is not in the live message log but
// may be in archives, which were not read.
type ArchivedError struct {
	XRequestID string
	Dir        string
	Files      []Archived
	Problem    string // why the files were not read
}

func (e *ArchivedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the exchange %s is not in the live message log; %d archive file(s) hold the older records", e.XRequestID, len(e.Files))
	for _, a := range e.Files {
		fmt.Fprintf(&b, "\n  %s (chain %s, records %d–%d, %s – %s, sha256 %s)", a.File, a.Chain, a.FirstSeq, a.LastSeq,
			time.UnixMicro(a.FirstAtUS).UTC().Format(time.RFC3339), time.UnixMicro(a.LastAtUS).UTC().Format(time.RFC3339), a.SHA256)
	}
	if e.Problem != "" {
		fmt.Fprintf(&b, "\n%s", e.Problem)
	}
	return b.String()
}

// ErrNotSealed: the exchange's records are not yet under a seal.
var ErrNotSealed = errors.New("the exchange's records are not sealed yet (seals follow every few seconds)")

// ExportProof builds the proof of the exchange with X-Road-Request-Id
// xRequestID (the detail of an error, the header of an answer). An
// exchange that was archived is read from its archive file in
// o.ArchiveDir; without the directory (or the file) the error is an
// *ArchivedError naming the archives.
func ExportProof(ctx context.Context, db *store.DB, instance, xRequestID string, o ProofOptions) (Proof, error) {
	p, err := exportLive(ctx, db, instance, xRequestID, o.Bodies)
	if !errors.Is(err, errs.NotFound) {
		return p, err
	}
	as, aerr := Archives(ctx, db.Read, "")
	if aerr != nil || len(as) == 0 {
		return p, cmp.Or(aerr, err)
	}
	ae := &ArchivedError{XRequestID: xRequestID, Dir: o.ArchiveDir, Files: as}
	if o.ArchiveDir == "" {
		ae.Problem = "give the archive directory (--hub-archive-dir) to export its proof from them"
		return p, ae
	}
	for i := len(as) - 1; i >= 0; i-- {
		path := filepath.Join(o.ArchiveDir, as[i].File)
		ap, found, ferr := findInArchive(path, xRequestID)
		if ferr != nil {
			ae.Problem = fmt.Sprintf("reading the archives in %s: %v", o.ArchiveDir, ferr)
			return p, ae
		}
		if found {
			ap.Instance, ap.Archive = cmp.Or(ap.Instance, instance), as[i].File
			if o.Bodies {
				if ap.Bodies, err = (&Store{db: db}).Bodies(ctx, xRequestID); err != nil {
					return ap, err
				}
			}
			return ap, nil
		}
	}
	return p, errs.NotFound
}

func exportLive(ctx context.Context, db *store.DB, instance, xRequestID string, withBodies bool) (Proof, error) {
	q := db.Read
	p := Proof{Version: ProofVersion, Instance: instance, XRequestID: xRequestID}
	found, err := (&Store{db: db}).requestRecords(ctx, q, xRequestID)
	if err != nil {
		return p, err
	}
	var chain string
	for _, r := range found {
		if chain == "" || r.Chain == chain {
			chain = r.Chain
			p.Subjects = append(p.Subjects, r.Seq)
		}
	}
	if len(p.Subjects) == 0 {
		return p, errs.NotFound
	}
	first, last := p.Subjects[0], p.Subjects[len(p.Subjects)-1]
	p.Seal, err = scanSeal(q.QueryRowContext(ctx, `SELECT `+sealColumns+` FROM hub_log_seals WHERE chain = $1 AND last_seq >= $2 ORDER BY seq LIMIT 1`, chain, last))
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotSealed
	} else if err != nil {
		return p, err
	}
	if p.Records, err = (&Store{db: db}).Records(ctx, q, chain, first, int(p.Seal.LastSeq-first+1)); err != nil {
		return p, err
	}
	keys, err := loadKeys(ctx, q, false)
	if err != nil {
		return p, err
	}
	for _, k := range keys {
		if k.Purpose == PurposeSeal && k.KID == p.Seal.KID {
			p.PublicKey = k.PublicKey
		}
	}
	if p.PublicKey == "" {
		return p, fmt.Errorf("the seal key %s is not in hub_keys", p.Seal.KID)
	}
	if withBodies {
		if p.Bodies, err = (&Store{db: db}).Bodies(ctx, xRequestID); err != nil {
			return p, err
		}
	}
	return p, nil
}

// ProofReport is the result of checking a proof.
type ProofReport struct {
	OK         bool   `json:"ok"`
	XRequestID string `json:"xRequestId"`
	Bodies     int    `json:"bodies" doc:"bodies in the proof, checked against the digests (a truncated one by its size only)"`
	Chain      string `json:"chain"`
	Subjects   int    `json:"subjects"`
	Records    int    `json:"records"`
	SealSeq    int64  `json:"sealSeq"`
	SealedAtUS int64  `json:"sealedAtUs"`
	KID        string `json:"kid"`
	// TimestampedAt is the time-stamp token's time, when the seal has one.
	TimestampedAt string `json:"timestampedAt,omitempty"`
	Problem       string `json:"problem,omitempty"`
}

// VerifyProof checks a proof file offline: the chain of its records, the
// seal's signature by its public key — one of pinned when given (base64
// raw Ed25519 keys, as `tinhso hub keys` prints them), so that a proof
// re-signed with another key fails — and that the records named are the
// exchange's. The report says what is wrong (and OK false); err is for a
// file that is not a proof at all.
//
// A seal's time-stamp token is checked too (o.TSARoots, when given, the
// authorities trusted); o.PublicKeys are the pinned keys.
func VerifyProof(b []byte, o VerifyOptions) (ProofReport, error) {
	pinned := o.PublicKeys
	var p Proof
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return ProofReport{}, fmt.Errorf("not a proof file: %w", err)
	}
	if p.Version != ProofVersion {
		return ProofReport{}, fmt.Errorf("not a proof file: version %q, want %q", p.Version, ProofVersion)
	}
	rep := ProofReport{XRequestID: p.XRequestID, Bodies: len(p.Bodies), Chain: p.Seal.Chain, Subjects: len(p.Subjects), Records: len(p.Records), SealSeq: p.Seal.Seq, SealedAtUS: p.Seal.SealedAtUS, KID: p.Seal.KID}
	fail := func(format string, args ...any) (ProofReport, error) {
		rep.Problem = fmt.Sprintf(format, args...)
		return rep, nil
	}
	if len(p.Records) == 0 || len(p.Subjects) == 0 {
		return fail("the proof holds no record")
	}
	prev := p.Records[0].PrevHash
	for i := range p.Records {
		r := &p.Records[i]
		if r.Chain != p.Seal.Chain {
			return fail("record %d is of chain %q, the seal of %q", r.Seq, r.Chain, p.Seal.Chain)
		}
		if i > 0 && r.Seq != p.Records[i-1].Seq+1 {
			return fail("record %d follows record %d: a record is missing", r.Seq, p.Records[i-1].Seq)
		}
		if r.PrevHash != prev {
			return fail("record %d (x-road-request-id %s) does not follow the record before it", r.Seq, r.XRequestID)
		}
		if h := chainHash(prev, r.Canonical()); h != r.Hash {
			return fail("record %d (x-road-request-id %s) has been altered: its fields hash to %s, not %s", r.Seq, r.XRequestID, h, r.Hash)
		}
		prev = r.Hash
	}
	lastRec := p.Records[len(p.Records)-1]
	if lastRec.Seq != p.Seal.LastSeq || prev != p.Seal.LastHash {
		return fail("the records end at %d with hash %s; the seal covers up to %d with hash %s", lastRec.Seq, prev, p.Seal.LastSeq, p.Seal.LastHash)
	}
	for _, s := range p.Subjects {
		i := slices.IndexFunc(p.Records, func(r Record) bool { return r.Seq == s })
		if i < 0 || p.Records[i].XRequestID != p.XRequestID {
			return fail("record %d is not one of exchange %s in the proof", s, p.XRequestID)
		}
	}
	for _, b := range p.Bodies {
		i := slices.IndexFunc(p.Records, func(r Record) bool { return r.XRequestID == p.XRequestID && r.Kind == RecordResponse })
		if i < 0 {
			return fail("the proof holds a %s body but no response record", b.Part)
		}
		r := p.Records[i]
		digest, size := r.RequestSHA256, r.RequestSize
		if b.Part == BodyResponse {
			digest, size = r.ResponseSHA256, r.ResponseSize
		}
		if b.Size != size || (!b.Truncated && (int64(len(b.Body)) != size || sha256Hex(b.Body) != digest)) {
			return fail("the %s body does not match the digest the message log recorded", b.Part)
		}
	}
	raw, err := base64.StdEncoding.DecodeString(p.PublicKey)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return fail("the proof's public key is not a base64 Ed25519 key")
	}
	if kidOf(raw) != p.Seal.KID {
		return fail("the proof's public key is not the seal's key %s", p.Seal.KID)
	}
	if len(pinned) > 0 && !slices.Contains(pinned, p.PublicKey) {
		return fail("the seal is signed by key %s, which is not a trusted key given", p.Seal.KID)
	}
	sig, err := base64.StdEncoding.DecodeString(p.Seal.Signature)
	if err != nil || !ed25519.Verify(ed25519.PublicKey(raw), p.Seal.Canonical(), sig) {
		return fail("seal %d of chain %s: the signature does not verify", p.Seal.Seq, p.Seal.Chain)
	}
	if p.Seal.TimestampToken != "" {
		at, err := verifySealTimestamp(&p.Seal, o.TSARoots)
		if err != nil {
			return fail("seal %d of chain %s: the time-stamp token does not verify: %v", p.Seal.Seq, p.Seal.Chain, err)
		}
		rep.TimestampedAt = at.UTC().Format(time.RFC3339)
	}
	rep.OK = true
	return rep, nil
}
