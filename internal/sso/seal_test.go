package sso

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestSeal: with a secret, keys are stored encrypted and open only with
// the same secret.
func TestSeal(t *testing.T) {
	k := newKeyring(nil, "một bí mật đủ dài của nhà vận hành", time.Hour)
	plain := []byte("-----PRIVATE KEY----- 0123456789")
	sealed, err := k.seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(sealed), sealedPrefix) || bytes.Contains(sealed, plain) {
		t.Fatalf("not sealed: %q", sealed)
	}
	if got, err := k.open(sealed); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open: %q %v", got, err)
	}
	other := newKeyring(nil, "another secret of the operator", time.Hour)
	if _, err := other.open(sealed); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("opened with another secret: %v", err)
	}
	if _, err := newKeyring(nil, "", time.Hour).open(sealed); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("opened without a secret: %v", err)
	}
}
