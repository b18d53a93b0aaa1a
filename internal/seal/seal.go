// Package seal encrypts the secrets tinhso keeps in its database and must
// read back (the single sign-on provider's signing keys and token secret,
// officials' TOTP secrets) with AES-256-GCM under a key derived from the
// operator's secret (--sso-secret). Without a secret, values are stored
// as they are, marked so: a database written either way reads back.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
)

// Formats: Sealed values start with "a1:", values stored without a
// secret with "p1:".
const (
	SealedPrefix = "a1:"
	PlainPrefix  = "p1:"
)

// ErrNoSecret means a value is sealed and the server was started without
// the secret that opens it (or with another one).
var ErrNoSecret = errors.New("seal: the value is sealed; start tinhso with the same --sso-secret")

// Sealer seals and opens values; the zero value (and New("")) stores them
// unsealed.
type Sealer struct{ key []byte }

// New derives the sealing key from the operator's secret.
func New(secret string) *Sealer {
	if secret == "" {
		return &Sealer{}
	}
	sum := sha256.Sum256([]byte("tinhso sso keys\x00" + secret))
	return &Sealer{key: sum[:]}
}

// Sealed reports whether a stored value is sealed.
func Sealed(b []byte) bool { return strings.HasPrefix(string(b), SealedPrefix) }

func (s *Sealer) gcm() (cipher.AEAD, error) {
	block, err := aes.NewCipher(s.key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal returns what to store for plain.
func (s *Sealer) Seal(plain []byte) ([]byte, error) {
	if s == nil || s.key == nil {
		return append([]byte(PlainPrefix), plain...), nil
	}
	gcm, err := s.gcm()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return append([]byte(SealedPrefix), gcm.Seal(nonce, nonce, plain, []byte(SealedPrefix))...), nil
}

// Open returns the plain value of what Seal stored.
func (s *Sealer) Open(b []byte) ([]byte, error) {
	switch {
	case strings.HasPrefix(string(b), PlainPrefix):
		return b[len(PlainPrefix):], nil
	case strings.HasPrefix(string(b), SealedPrefix):
		if s == nil || s.key == nil {
			return nil, ErrNoSecret
		}
		gcm, err := s.gcm()
		if err != nil {
			return nil, err
		}
		b = b[len(SealedPrefix):]
		if len(b) < gcm.NonceSize() {
			return nil, errors.New("seal: sealed value too short")
		}
		plain, err := gcm.Open(nil, b[:gcm.NonceSize()], b[gcm.NonceSize():], []byte(SealedPrefix))
		if err != nil {
			return nil, ErrNoSecret // another secret: the same advice
		}
		return plain, nil
	}
	return nil, errors.New("seal: unknown format")
}
