// Package password hashes and checks officials' passwords with argon2id, in
// the PHC string format that carries its own parameters. It is a leaf so
// that org (which creates accounts) and auth (which signs people in) share
// it without importing each other.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Hasher holds the argon2id costs of new hashes. Stored hashes carry their
// own parameters, so changing these never locks anyone out.
type Hasher struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// Default follows OWASP's minimum for argon2id (19 MiB, 2 passes).
func Default() Hasher { return Hasher{Memory: 19 * 1024, Time: 2, Threads: 1} }

// Cheap is for tests only: hashing stays fast under the race detector.
func Cheap() Hasher { return Hasher{Memory: 1024, Time: 1, Threads: 1} }

var b64 = base64.RawStdEncoding

// Hash returns a PHC-format argon2id hash of pw. A zero Hasher uses Default.
func (h Hasher) Hash(pw string) (string, error) {
	if h.Memory == 0 || h.Time == 0 || h.Threads == 0 {
		h = Default()
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, h.Time, h.Memory, h.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.Memory, h.Time, h.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("password: malformed hash")

// Check reports whether pw matches hash.
func Check(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	var p Hasher
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, errBadHash
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Random returns n random bytes, URL-safe base64 (session secrets, tokens,
// generated passwords).
func Random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
