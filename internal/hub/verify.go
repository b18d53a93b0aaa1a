package hub

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
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
}

// ChainReport is the result of one chain.
type ChainReport struct {
	Chain      string `json:"chain"`
	Records    int64  `json:"records"`
	Seals      int64  `json:"seals"`
	SealedTo   int64  `json:"sealedTo" doc:"the last record a seal covers"`
	Unsealed   int64  `json:"unsealed" doc:"records after the last seal (not yet sealed, not a failure)"`
	OK         bool   `json:"ok"`
	BrokenSeq  int64  `json:"brokenSeq,omitempty" doc:"the first record that fails, 0 when a seal fails"`
	BrokenSeal int64  `json:"brokenSeal,omitempty"`
	Problem    string `json:"problem,omitempty"`
}

// VerifyReport is the result of every chain.
type VerifyReport struct {
	OK     bool          `json:"ok"`
	Chains []ChainReport `json:"chains"`
}

// VerifyLog checks every chain of the message log in db.
func VerifyLog(ctx context.Context, db *store.DB, o VerifyOptions) (VerifyReport, error) {
	keys := map[string]ed25519.PublicKey{}
	if len(o.PublicKeys) > 0 {
		for _, k := range o.PublicKeys {
			raw, err := base64.StdEncoding.DecodeString(k)
			if err != nil || len(raw) != ed25519.PublicKeySize {
				return VerifyReport{}, fmt.Errorf("public key %q: want the base64 of a raw Ed25519 key", k)
			}
			keys[kidOf(raw)] = ed25519.PublicKey(raw)
		}
	} else {
		ks, err := loadKeys(ctx, db.Read, false)
		if err != nil {
			return VerifyReport{}, err
		}
		for _, k := range ks {
			if k.Purpose == PurposeSeal {
				if pub, ok := k.public.(ed25519.PublicKey); ok {
					keys[k.KID] = pub
				}
			}
		}
	}
	var chains []string
	rows, err := db.Read.QueryContext(ctx, `SELECT DISTINCT chain FROM hub_log UNION SELECT DISTINCT chain FROM hub_log_seals`)
	if err != nil {
		return VerifyReport{}, err
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return VerifyReport{}, err
		}
		chains = append(chains, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return VerifyReport{}, err
	}
	slices.Sort(chains)
	rep := VerifyReport{OK: true, Chains: []ChainReport{}}
	for _, c := range chains {
		cr, err := verifyChain(ctx, db, c, keys)
		if err != nil {
			return VerifyReport{}, err
		}
		rep.OK = rep.OK && cr.OK
		rep.Chains = append(rep.Chains, cr)
	}
	return rep, nil
}

func loadSeals(ctx context.Context, db *store.DB, chain string) ([]Seal, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT chain, seq, first_seq, last_seq, last_hash, prev_seal, sealed_at_us, kid, signature FROM hub_log_seals WHERE chain = $1 ORDER BY seq`, chain)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Seal
	for rows.Next() {
		var s Seal
		if err := rows.Scan(&s.Chain, &s.Seq, &s.FirstSeq, &s.LastSeq, &s.LastHash, &s.PrevSeal, &s.SealedAtUS, &s.KID, &s.Signature); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func verifyChain(ctx context.Context, db *store.DB, chain string, keys map[string]ed25519.PublicKey) (ChainReport, error) {
	cr := ChainReport{Chain: chain}
	fail := func(seq, seal int64, format string, args ...any) (ChainReport, error) {
		cr.BrokenSeq, cr.BrokenSeal, cr.Problem = seq, seal, fmt.Sprintf(format, args...)
		return cr, nil
	}
	seals, err := loadSeals(ctx, db, chain)
	if err != nil {
		return cr, err
	}
	cr.Seals = int64(len(seals))
	// The seals' own chain, and their signatures.
	prevSeal, sealedTo := GenesisHash, int64(0)
	bySeq := map[int64]Seal{} // by last_seq
	for i, s := range seals {
		switch {
		case s.Seq != int64(i+1):
			return fail(0, int64(i+1), "seal %d is missing (the next seal is numbered %d)", i+1, s.Seq)
		case s.FirstSeq != sealedTo+1 || s.LastSeq < s.FirstSeq:
			return fail(0, s.Seq, "seal %d covers records %d–%d, but the seal before it ends at record %d", s.Seq, s.FirstSeq, s.LastSeq, sealedTo)
		case s.PrevSeal != prevSeal:
			return fail(0, s.Seq, "seal %d does not follow seal %d: its prev_seal is not that seal's hash (a seal was removed, reordered or altered)", s.Seq, s.Seq-1)
		}
		pub, ok := keys[s.KID]
		sig, derr := base64.StdEncoding.DecodeString(s.Signature)
		if !ok {
			return fail(0, s.Seq, "seal %d is signed by key %s, which is not a trusted seal key", s.Seq, s.KID)
		}
		if derr != nil || !ed25519.Verify(pub, s.Canonical(), sig) {
			return fail(0, s.Seq, "seal %d: the signature does not match the seal (the seal was altered)", s.Seq)
		}
		prevSeal, sealedTo = s.Hash(), s.LastSeq
		bySeq[s.LastSeq] = s
	}
	cr.SealedTo = sealedTo
	// The records, in pages.
	prev, next := GenesisHash, int64(1)
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
	if sealedTo > cr.Records {
		return fail(cr.Records+1, int64(len(seals)), "the seals cover records up to %d, but the chain ends at record %d (records were deleted)", sealedTo, cr.Records)
	}
	cr.Unsealed = cr.Records - sealedTo
	cr.OK = true
	return cr, nil
}
