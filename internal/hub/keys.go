package hub

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/store"
)

// The hub's keys live in hub_keys, one row per key: the newest key of a
// purpose signs, and every key of the purpose still verifies what it
// signed. (Access tokens are the single sign-on provider's: the hub has
// had no token key since migration 0021.) Private keys are PKCS #8 PEM in
// the database, which the hub's operator protects like the database
// itself; `tinhso hub verify --public-key` checks seals against a key held
// elsewhere, so that one who rewrites the database cannot re-sign it.
//
// A purpose may instead take its key from a file (Options.KeyFiles,
// --hub-seal-key, --hub-ca-key): PKCS #8 PEM, Ed25519
// for the seal, ECDSA P-256 for the CA, readable by its owner only
// (mode 0600 or stricter, checked). The file's key signs; hub_keys holds
// its public half (and, for the CA, the certificate made for it) with an
// empty private key, and when the file's key is first seen the private
// halves of the purpose's older keys are erased from the database (they
// only verify from then on). Rotation in that mode: write a new file
// (`tinhso hub key-file PURPOSE FILE`), point the flag at it and restart
// every node; the new key registers itself, the old one retires and
// verifies what it signed. `tinhso hub rotate-key` refuses a purpose held
// in a file.

// Key purposes.
const (
	PurposeSeal = "seal" // signs the message log's seals (Ed25519)
	PurposeCA   = "ca"   // the certificate authority (ECDSA P-256)
)

// Purposes lists the key purposes.
var Purposes = []string{PurposeSeal, PurposeCA}

// Key is one of the hub's keys; the private half never leaves the hub.
type Key struct {
	ID        int64      `json:"id"`
	Purpose   string     `json:"purpose"`
	KID       string     `json:"kid" doc:"key id: the first 16 hex digits of the SHA-256 of the public key"`
	Algorithm string     `json:"algorithm" doc:"Ed25519 or ECDSA-P256"`
	PublicKey string     `json:"publicKey" doc:"base64: the raw 32 bytes of an Ed25519 key, the PKIX DER of others"`
	CreatedAt time.Time  `json:"createdAt"`
	RetiredAt *time.Time `json:"retiredAt,omitempty" doc:"when a newer key took over signing"`
	CACert    string     `json:"certificate,omitempty" doc:"the CA certificate, PEM"`

	signer     crypto.Signer
	public     crypto.PublicKey
	cert       *x509.Certificate
	privatePEM string
}

// Active reports whether the key still signs.
func (k Key) Active() bool { return k.RetiredAt == nil }

func kidOf(pub []byte) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// newKey makes a key of a purpose: Ed25519 for seals, an ECDSA
// P-256 CA with its self-signed certificate.
func (s *Store) newKey(purpose string) (Key, error) {
	k := Key{Purpose: purpose, CreatedAt: store.Now()}
	var der []byte
	switch purpose {
	case PurposeSeal:
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return Key{}, err
		}
		k.Algorithm, k.signer, k.public = "Ed25519", priv, pub
		k.PublicKey = base64.StdEncoding.EncodeToString(pub)
		k.KID = kidOf(pub)
		if der, err = x509.MarshalPKCS8PrivateKey(priv); err != nil {
			return Key{}, err
		}
	case PurposeCA:
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return Key{}, err
		}
		pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
		if err != nil {
			return Key{}, err
		}
		k.Algorithm, k.signer, k.public = "ECDSA-P256", priv, &priv.PublicKey
		k.PublicKey = base64.StdEncoding.EncodeToString(pubDER)
		k.KID = kidOf(pubDER)
		if der, err = x509.MarshalPKCS8PrivateKey(priv); err != nil {
			return Key{}, err
		}
		cert, certPEM, err := s.selfSign(priv, k.KID)
		if err != nil {
			return Key{}, err
		}
		k.cert, k.CACert = cert, certPEM
	default:
		return Key{}, fmt.Errorf("hub key: unknown purpose %q", purpose)
	}
	k.privatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	return k, nil
}

// RotateKey makes a new key of a purpose, which signs from now on; the
// older keys retire (and keep verifying). The event names who asked.
func (s *Store) RotateKey(ctx context.Context, purpose string, ev audit.Event) (Key, error) {
	if !slices.Contains(Purposes, purpose) {
		return Key{}, errs.Invalid(errs.Field{Name: "purpose", Code: "one_of", Args: []any{"seal, ca"}, Context: "hub"})
	}
	if f := s.opt.KeyFiles[purpose]; f != "" {
		return Key{}, fmt.Errorf("%w: the %s key comes from the key file %s: write a new one (tinhso hub key-file %s FILE), point the flag at it and restart", errs.Conflict, purpose, f, purpose)
	}
	k, err := s.newKey(purpose)
	if err != nil {
		return Key{}, err
	}
	ev.Kind, ev.Subject, ev.Success = audit.HubKey, purpose, true
	ev.Detail = "key.rotate kid=" + k.KID
	err = s.write(ctx, func() audit.Event { return ev }, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE hub_keys SET retired_at = $1 WHERE purpose = $2 AND retired_at IS NULL`, k.CreatedAt, purpose); err != nil {
			return err
		}
		return insertKey(ctx, tx, &k)
	})
	return k, err
}

func insertKey(ctx context.Context, tx *sql.Tx, k *Key) error {
	return tx.QueryRowContext(ctx, `INSERT INTO hub_keys (purpose, kid, algorithm, public_key, private_key, certificate, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		k.Purpose, k.KID, k.Algorithm, k.PublicKey, k.privatePEM, k.CACert, k.CreatedAt).Scan(&k.ID)
}

// EnsureKeys creates the first key of each purpose that has none (at the
// first start of a hub), audited as the hub's own act.
func (s *Store) EnsureKeys(ctx context.Context) error {
	if err := s.registerFileKeys(ctx); err != nil {
		return err
	}
	var missing []string
	for _, p := range Purposes {
		var n int
		if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_keys WHERE purpose = $1 AND retired_at IS NULL`, p).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	keys := make([]Key, len(missing))
	for i, p := range missing {
		k, err := s.newKey(p)
		if err != nil {
			return err
		}
		keys[i] = k
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for i := range keys {
			// Another node may have made it meanwhile: the check again, in the transaction.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_keys WHERE purpose = $1 AND retired_at IS NULL`, keys[i].Purpose).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			if err := insertKey(ctx, tx, &keys[i]); err != nil {
				return err
			}
			ev := audit.Event{Kind: audit.HubKey, Success: true, Actor: "hub", Subject: keys[i].Purpose, Detail: "key.create kid=" + keys[i].KID}
			if err := audit.Record(ctx, tx, ev); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE hub_state SET version = version + 1 WHERE id = 1`)
		return err
	})
	if err != nil {
		return err
	}
	return s.Refresh(ctx)
}

// Keys lists the hub's keys (public halves), newest first.
func (s *Store) Keys(ctx context.Context) ([]Key, error) {
	return loadKeys(ctx, s.db.Read, false)
}

// loadKeys reads keys; withPrivate also parses the private halves.
func loadKeys(ctx context.Context, q store.Querier, withPrivate bool) ([]Key, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, purpose, kid, algorithm, public_key, private_key, certificate, created_at, retired_at FROM hub_keys ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var k Key
		var priv string
		var retired sql.NullTime
		if err := rows.Scan(&k.ID, &k.Purpose, &k.KID, &k.Algorithm, &k.PublicKey, &priv, &k.CACert, &k.CreatedAt, &retired); err != nil {
			return nil, err
		}
		if retired.Valid {
			t := retired.Time
			k.RetiredAt = &t
		}
		if err := k.parsePublic(); err != nil {
			return nil, fmt.Errorf("hub key %s: %w", k.KID, err)
		}
		if withPrivate {
			if err := k.parsePrivate(priv); err != nil {
				return nil, fmt.Errorf("hub key %s: %w", k.KID, err)
			}
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (k *Key) parsePublic() error {
	raw, err := base64.StdEncoding.DecodeString(k.PublicKey)
	if err != nil {
		return err
	}
	if k.Algorithm == "Ed25519" {
		if len(raw) != ed25519.PublicKeySize {
			return errors.New("bad Ed25519 public key")
		}
		k.public = ed25519.PublicKey(raw)
	} else if k.public, err = x509.ParsePKIXPublicKey(raw); err != nil {
		return err
	}
	if k.CACert != "" {
		b, _ := pem.Decode([]byte(k.CACert))
		if b == nil {
			return errors.New("bad CA certificate")
		}
		if k.cert, err = x509.ParseCertificate(b.Bytes); err != nil {
			return err
		}
	}
	return nil
}

func (k *Key) parsePrivate(p string) error {
	if p == "" {
		return nil // held in a key file (KeyFiles)
	}
	b, _ := pem.Decode([]byte(p))
	if b == nil {
		return errors.New("bad private key PEM")
	}
	key, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return errors.New("private key cannot sign")
	}
	k.signer = signer
	return nil
}

// keysWithPrivate reads the keys with their private halves, those held in
// key files from the files.
func (s *Store) keysWithPrivate(ctx context.Context, q store.Querier) ([]Key, error) {
	keys, err := loadKeys(ctx, q, true)
	if err != nil {
		return nil, err
	}
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	for i := range keys {
		if fk, ok := s.fileKeys[keys[i].Purpose]; ok && fk.KID == keys[i].KID {
			keys[i].signer = fk.signer
		}
	}
	return keys, nil
}

// ReadKeyFile reads the private key of a purpose from a PEM file, which
// must not be readable by others than its owner.
func ReadKeyFile(purpose, path string) (Key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Key{}, fmt.Errorf("hub %s key file: %w", purpose, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return Key{}, fmt.Errorf("hub %s key file %s: mode %04o lets others read it; chmod 600 %s", purpose, path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("hub %s key file: %w", purpose, err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return Key{}, fmt.Errorf("hub %s key file %s: want a PKCS #8 PEM block (PRIVATE KEY)", purpose, path)
	}
	priv, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return Key{}, fmt.Errorf("hub %s key file %s: %w", purpose, path, err)
	}
	k := Key{Purpose: purpose, CreatedAt: store.Now()}
	switch pk := priv.(type) {
	case ed25519.PrivateKey:
		if purpose == PurposeCA {
			return Key{}, fmt.Errorf("hub ca key file %s: want an ECDSA P-256 key, not Ed25519", path)
		}
		pub := pk.Public().(ed25519.PublicKey)
		k.Algorithm, k.signer, k.public, k.KID = "Ed25519", pk, pub, kidOf(pub)
		k.PublicKey = base64.StdEncoding.EncodeToString(pub)
	case *ecdsa.PrivateKey:
		if purpose != PurposeCA || pk.Curve != elliptic.P256() {
			return Key{}, fmt.Errorf("hub %s key file %s: want %s", purpose, path, map[bool]string{true: "an ECDSA P-256 key", false: "an Ed25519 key"}[purpose == PurposeCA])
		}
		der, err := x509.MarshalPKIXPublicKey(&pk.PublicKey)
		if err != nil {
			return Key{}, err
		}
		k.Algorithm, k.signer, k.public, k.KID = "ECDSA-P256", pk, &pk.PublicKey, kidOf(der)
		k.PublicKey = base64.StdEncoding.EncodeToString(der)
	default:
		return Key{}, fmt.Errorf("hub %s key file %s: unsupported key %T", purpose, path, priv)
	}
	return k, nil
}

// WriteKeyFile makes a new key of a purpose into path (mode 0600, never
// over an existing file); its public half.
func WriteKeyFile(purpose, path string) (Key, error) {
	if !slices.Contains(Purposes, purpose) {
		return Key{}, fmt.Errorf("hub key file: purpose %q, want seal or ca", purpose)
	}
	k, err := (&Store{opt: Options{Instance: DefaultInstance}}).newKey(purpose)
	if err != nil {
		return Key{}, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return Key{}, fmt.Errorf("hub key file: %w", err)
	}
	_, err = f.WriteString(k.privatePEM)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return Key{}, fmt.Errorf("hub key file: %w", err)
	}
	k.privatePEM, k.CACert, k.cert = "", "", nil
	return k, nil
}

// registerFileKeys reads the key files and makes each file's key the
// active key of its purpose in hub_keys (public half only), retiring the
// others and erasing their private halves.
func (s *Store) registerFileKeys(ctx context.Context) error {
	if len(s.opt.KeyFiles) == 0 {
		return nil
	}
	s.fileMu.Lock()
	loaded := s.fileKeys != nil
	s.fileMu.Unlock()
	if loaded {
		return nil
	}
	files := map[string]Key{}
	for _, purpose := range Purposes {
		path := s.opt.KeyFiles[purpose]
		if path == "" {
			continue
		}
		k, err := ReadKeyFile(purpose, path)
		if err != nil {
			return err
		}
		if purpose == PurposeCA {
			cert, certPEM, err := s.selfSign(k.signer.(*ecdsa.PrivateKey), k.KID)
			if err != nil {
				return err
			}
			k.cert, k.CACert = cert, certPEM
		}
		files[purpose] = k
	}
	changed := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, purpose := range Purposes {
			k, ok := files[purpose]
			if !ok {
				continue
			}
			var retired sql.NullTime
			var stored string
			err := tx.QueryRowContext(ctx, `SELECT purpose, retired_at FROM hub_keys WHERE kid = $1`, k.KID).Scan(&stored, &retired)
			switch {
			case err == nil && (stored != purpose || retired.Valid):
				return fmt.Errorf("hub %s key file %s holds key %s, which hub_keys has as a retired %s key: make a new key file", purpose, s.opt.KeyFiles[purpose], k.KID, stored)
			case err == nil:
				continue // registered already
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			k.privatePEM = ""
			if _, err := tx.ExecContext(ctx, `UPDATE hub_keys SET retired_at = $1 WHERE purpose = $2 AND retired_at IS NULL`, k.CreatedAt, purpose); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE hub_keys SET private_key = '' WHERE purpose = $1`, purpose); err != nil {
				return err
			}
			if err := insertKey(ctx, tx, &k); err != nil {
				return err
			}
			ev := audit.Event{Kind: audit.HubKey, Success: true, Actor: "hub", Subject: purpose, Detail: "key.file kid=" + k.KID}
			if err := audit.Record(ctx, tx, ev); err != nil {
				return err
			}
			changed = true
		}
		if !changed {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE hub_state SET version = version + 1 WHERE id = 1`)
		return err
	})
	if err != nil {
		return err
	}
	s.fileMu.Lock()
	s.fileKeys = files
	s.fileMu.Unlock()
	return s.Refresh(ctx) // a snapshot made before lacks the files' private halves
}
