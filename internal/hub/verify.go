package hub

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/tinhso/tinhso/internal/store"
)

// Verification reads every chain from its first record: each record must
// follow the one before it (seq+1, prev_hash = the previous hash) and hash
// to its stored hash; each seal must follow the seal before it (seq+1,
// first_seq = the previous last_seq+1, prev_seal = the previous seal's
// hash), carry a valid signature by a known seal key, and name the hash
// the chain really has at its last_seq. The first break is named: the
// chain, the record's seq and x_request_id, and what is wrong.

// VerifyOptions choose the keys seals are checked against.
type VerifyOptions struct {
	// PublicKeys, when set, are the only seal keys believed (base64 raw
	// Ed25519 keys, as `tinhso hub keys` prints them), so that one who can
	// rewrite the database cannot re-sign the log with a key of their own.
	// Empty: the seal keys in hub_keys.
	PublicKeys []string
	// TSARoots are the time-stamping authorities trusted (--hub-tsa-ca);
	// nil: a seal's time-stamp token is checked (imprint, signature) but
	// not its chain.
	TSARoots *x509.CertPool
	// Archives, when set, is the archive directory: a chain's archive
	// files are checked too, from the genesis to the anchor.
	Archives string
}

// ChainReport is the result of one chain.
type ChainReport struct {
	Chain    string `json:"chain"`
	Records  int64  `json:"records"`
	Seals    int64  `json:"seals"`
	SealedTo int64  `json:"sealedTo" doc:"the last record a seal covers"`
	Unsealed int64  `json:"unsealed" doc:"records after the last seal (not yet sealed, not a failure)"`
	Archived int64  `json:"archived" doc:"records archived (the anchor's seq): verification starts after them"`
	// ArchiveFiles is how many archive files were checked (with Archives).
	ArchiveFiles  int    `json:"archiveFiles,omitempty"`
	Timestamped   int64  `json:"timestamped" doc:"seals whose time-stamp token verified"`
	Untimestamped int64  `json:"untimestamped" doc:"seals without a token (none configured, or not yet stamped)"`
	OK            bool   `json:"ok"`
	BrokenSeq     int64  `json:"brokenSeq,omitempty" doc:"the first record that fails, 0 when a seal fails"`
	BrokenSeal    int64  `json:"brokenSeal,omitempty"`
	Problem       string `json:"problem,omitempty"`
}

// VerifyReport is the result of every chain.
type VerifyReport struct {
	OK     bool          `json:"ok"`
	Chains []ChainReport `json:"chains"`
}

// VerifyLog checks every chain of the message log in db.
func VerifyLog(ctx context.Context, db *store.DB, o VerifyOptions) (VerifyReport, error) {
	keys, err := sealKeys(ctx, db, o.PublicKeys)
	if err != nil {
		return VerifyReport{}, err
	}
	chains, err := queryAll(ctx, db.Read, scanString, `SELECT DISTINCT chain FROM hub_log_blocks UNION SELECT DISTINCT chain FROM hub_log_seals UNION SELECT DISTINCT chain FROM hub_log_archives`)
	if err != nil {
		return VerifyReport{}, err
	}
	slices.Sort(chains)
	rep := VerifyReport{OK: true, Chains: []ChainReport{}}
	for _, c := range chains {
		cr, err := verifyChain(ctx, db, c, keys, o)
		if err != nil {
			return VerifyReport{}, err
		}
		rep.OK = rep.OK && cr.OK
		rep.Chains = append(rep.Chains, cr)
	}
	return rep, nil
}

func loadSeals(ctx context.Context, db *store.DB, chain string) ([]Seal, error) {
	return queryAll(ctx, db.Read, scanSeal, `SELECT `+sealColumns+` FROM hub_log_seals WHERE chain = $1 ORDER BY seq`, chain)
}

func verifyChain(ctx context.Context, db *store.DB, chain string, keys map[string]ed25519.PublicKey, o VerifyOptions) (ChainReport, error) {
	cr := ChainReport{Chain: chain}
	fail := func(seq, seal int64, format string, args ...any) (ChainReport, error) {
		cr.BrokenSeq, cr.BrokenSeal, cr.Problem = seq, seal, fmt.Sprintf(format, args...)
		return cr, nil
	}
	anchor, anchored, err := anchorOf(ctx, db.Read, chain)
	if err != nil {
		return cr, err
	}
	if o.Archives != "" {
		var files []string
		as, err := Archives(ctx, db.Read, chain)
		if err != nil {
			return cr, err
		}
		for _, a := range as {
			path := filepath.Join(o.Archives, a.File)
			sum, err := archiveFileSum(path)
			if err != nil {
				return fail(a.FirstSeq, a.FirstSeal, "archive %s: %v", a.File, err)
			}
			if sum != a.SHA256 {
				return fail(a.FirstSeq, a.FirstSeal, "archive %s is not the file archived (its SHA-256 differs)", a.File)
			}
			files = append(files, path)
		}
		if len(files) > 0 {
			ar, err := VerifyArchiveFiles(files, o)
			if err != nil {
				return fail(0, 0, "archives: %v", err)
			}
			if !ar.OK {
				return fail(ar.BrokenSeq, ar.BrokenSeal, "archive %s: %s", filepath.Base(ar.File), ar.Problem)
			}
			if ar.FirstSeq != 1 || ar.LastSeq != anchor.LastSeq || ar.LastHash != anchor.LastHash || ar.LastSealHash != anchor.LastSealHash {
				return fail(anchor.LastSeq, anchor.LastSeal, "the archives (records %d–%d) do not lead to the database's anchor (record %d, seal %d)", ar.FirstSeq, ar.LastSeq, anchor.LastSeq, anchor.LastSeal)
			}
			cr.ArchiveFiles = ar.Files
		}
	}
	seals, err := loadSeals(ctx, db, chain)
	if err != nil {
		return cr, err
	}
	cr.Seals = int64(len(seals))
	// The seals' own chain, and their signatures. After an archive the
	// first seal is the anchor's: its signature and hash are checked, its
	// predecessor is in the archive.
	prevSeal, sealedTo, sealN := GenesisHash, int64(0), int64(0)
	if anchored {
		cr.Archived = anchor.LastSeq
		if len(seals) == 0 || seals[0].Seq != anchor.LastSeal {
			return fail(0, anchor.LastSeal, "the anchor's seal %d (the last archived) is missing from hub_log_seals", anchor.LastSeal)
		}
		s := seals[0]
		if problem := checkSealSignature(&s, keys); problem != "" {
			return fail(0, s.Seq, "%s", problem)
		}
		if s.Hash() != anchor.LastSealHash || s.LastSeq != anchor.LastSeq || s.LastHash != anchor.LastHash {
			return fail(anchor.LastSeq, s.Seq, "the anchor (record %d, seal %d) does not match its seal: the anchor or the seal was altered", anchor.LastSeq, s.Seq)
		}
		prevSeal, sealedTo, sealN = s.Hash(), s.LastSeq, s.Seq
		seals = seals[1:]
	}
	bySeq := map[int64]Seal{} // by last_seq
	for _, s := range seals {
		switch {
		case s.Seq != sealN+1:
			return fail(0, sealN+1, "seal %d is missing (the next seal is numbered %d)", sealN+1, s.Seq)
		case s.FirstSeq != sealedTo+1 || s.LastSeq < s.FirstSeq:
			return fail(0, s.Seq, "seal %d covers records %d–%d, but the seal before it ends at record %d", s.Seq, s.FirstSeq, s.LastSeq, sealedTo)
		case s.PrevSeal != prevSeal:
			return fail(0, s.Seq, "seal %d does not follow seal %d: its prev_seal is not that seal's hash (a seal was removed, reordered or altered)", s.Seq, s.Seq-1)
		}
		if problem := checkSealSignature(&s, keys); problem != "" {
			return fail(0, s.Seq, "%s", problem)
		}
		prevSeal, sealedTo, sealN = s.Hash(), s.LastSeq, s.Seq
		bySeq[s.LastSeq] = s
	}
	// Time-stamp tokens, the anchor's too.
	if anchored {
		seals = append([]Seal{{}}, seals...)
		seals[0], _ = scanSeal(db.Read.QueryRowContext(ctx, `SELECT `+sealColumns+` FROM hub_log_seals WHERE chain = $1 AND seq = $2`, chain, anchor.LastSeal))
	}
	for _, s := range seals {
		if s.TimestampToken == "" {
			cr.Untimestamped++
			continue
		}
		if _, err := verifySealTimestamp(&s, o.TSARoots); err != nil {
			return fail(0, s.Seq, "seal %d: the time-stamp token does not verify: %v", s.Seq, err)
		}
		cr.Timestamped++
	}
	cr.SealedTo = sealedTo
	// The records, in pages, from the anchor on.
	prev, next := GenesisHash, int64(1)
	if anchored {
		prev, next = anchor.LastHash, anchor.LastSeq+1
	}
	const page = 2000
	for {
		recs, err := (&Store{db: db}).Records(ctx, db.Read, chain, next, page)
		if err != nil {
			return cr, err
		}
		for _, r := range recs {
			if r.Seq != next {
				if r.Seq > next {
					return fail(next, 0, "record %d is missing (the next record is %d)", next, r.Seq)
				}
				return fail(r.Seq, 0, "record %d is out of order", r.Seq)
			}
			if r.PrevHash != prev {
				return fail(r.Seq, 0, "record %d (x-road-request-id %s) does not follow record %d: its prev_hash is not that record's hash", r.Seq, r.XRequestID, r.Seq-1)
			}
			if got := chainHash(prev, r.Canonical()); got != r.Hash {
				return fail(r.Seq, 0, "record %d (x-road-request-id %s) was altered: its contents do not hash to its stored hash", r.Seq, r.XRequestID)
			}
			if s, ok := bySeq[r.Seq]; ok && s.LastHash != r.Hash {
				return fail(r.Seq, s.Seq, "seal %d signed another hash for record %d: the records up to it were rewritten", s.Seq, r.Seq)
			}
			prev = r.Hash
			next++
			cr.Records++
		}
		if len(recs) < page {
			break
		}
	}
	if last := next - 1; sealedTo > last {
		return fail(last+1, sealN, "the seals cover records up to %d, but the chain ends at record %d (records were deleted)", sealedTo, last)
	}
	if anchored {
		var older int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_log_blocks WHERE chain = $1 AND first_seq <= $2`, chain, anchor.LastSeq).Scan(&older); err != nil {
			return cr, err
		}
		if older > 0 {
			return fail(anchor.LastSeq, 0, "%d blocks of records at or before the anchor (record %d) are still in hub_log_blocks", older, anchor.LastSeq)
		}
	}
	cr.Unsealed = next - 1 - sealedTo
	cr.OK = true
	return cr, nil
}
