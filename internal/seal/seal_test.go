package seal_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tinhso/tinhso/internal/seal"
)

// TestSeal: with a secret, values are stored encrypted and open only with
// the same secret; without one they are stored as they are, marked so.
func TestSeal(t *testing.T) {
	t.Parallel()
	s := seal.New("một bí mật đủ dài của nhà vận hành")
	plain := []byte("-----PRIVATE KEY----- 0123456789")
	sealed, err := s.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	if !seal.Sealed(sealed) || bytes.Contains(sealed, plain) {
		t.Fatalf("not sealed: %q", sealed)
	}
	if got, err := s.Open(sealed); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := seal.New("another secret of the operator").Open(sealed); !errors.Is(err, seal.ErrNoSecret) {
		t.Fatalf("opened with another secret: %v", err)
	}
	if _, err := seal.New("").Open(sealed); !errors.Is(err, seal.ErrNoSecret) {
		t.Fatalf("opened without a secret: %v", err)
	}
	var none *seal.Sealer
	stored, _ := none.Seal(plain)
	if seal.Sealed(stored) {
		t.Fatal("sealed without a secret")
	}
	if got, err := s.Open(stored); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("an unsealed value does not read back: %q %v", got, err)
	}
}
