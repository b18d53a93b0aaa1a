package hub

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
)

// The hub's certificate authority issues the TLS client certificates that
// consumer systems present to the gateway (and, for the operator's
// convenience, server certificates for the gateway and the backends). A
// client certificate names its subsystem in its subject's common name and
// in a URI SAN (urn:xroad:INSTANCE/CLASS/MEMBER/SUBSYSTEM); the gateway
// finds the credential by the certificate's SHA-256 fingerprint, so a
// revoked certificate stops on the next request even though it still
// chains to the CA.

// Authority is the hub's certificate authority.
type Authority struct{ s *Store }

// Certificate lifetimes, in days.
const (
	DefaultCertDays = 365
	MaxCertDays     = 825
	caDays          = 3650
)

func randomSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func (s *Store) selfSign(priv *ecdsa.PrivateKey, kid string) (*x509.Certificate, string, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "tinhso hub CA " + s.opt.Instance + " " + kid, Organization: []string{"tinhso " + s.opt.Instance}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(0, 0, caDays),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return nil, "", err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, "", err
	}
	return cert, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// current is the CA key that signs now.
func (a *Authority) current(ctx context.Context) (Key, error) {
	if err := a.s.EnsureKeys(ctx); err != nil {
		return Key{}, err
	}
	keys, err := a.s.keysWithPrivate(ctx, a.s.db.Read)
	if err != nil {
		return Key{}, err
	}
	for _, k := range keys {
		if k.Purpose == PurposeCA && k.Active() && k.cert != nil {
			if k.signer == nil {
				return Key{}, fmt.Errorf("hub CA: the key %s is held in a key file, not given here (--hub-ca-key)", k.KID)
			}
			return k, nil
		}
	}
	return Key{}, errors.New("hub CA: no active key")
}

// CACertificates are the CA's certificates, current first, in PEM: what a
// client trusts to check a gateway certificate the CA issued.
func (a *Authority) CACertificates(ctx context.Context) (string, error) {
	if err := a.s.EnsureKeys(ctx); err != nil {
		return "", err
	}
	keys, err := a.s.Keys(ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, k := range keys {
		if k.Purpose == PurposeCA && k.cert != nil && time.Now().Before(k.cert.NotAfter) {
			b.WriteString(k.CACert)
		}
	}
	return b.String(), nil
}

// Issued is a certificate the CA made, with its private key when the CA
// generated that too (PEM, shown once).
type Issued struct {
	Cert        *x509.Certificate
	CertPEM     string
	KeyPEM      string
	CAPEM       string
	Fingerprint string // hex SHA-256 of the DER
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// publicKeyOf reads the public key of a PEM certificate request, checking
// its signature; without a request it generates an ECDSA P-256 key.
func publicKeyOf(csrPEM string) (crypto.PublicKey, string, error) {
	if strings.TrimSpace(csrPEM) == "" {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, "", err
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, "", err
		}
		return &priv.PublicKey, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
	}
	bad := errs.Invalid(errs.Field{Name: "csr", Code: "hub_csr", Context: "hub"})
	b, _ := pem.Decode([]byte(csrPEM))
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		return nil, "", bad
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil || csr.CheckSignature() != nil {
		return nil, "", bad
	}
	switch k := csr.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return nil, "", bad
		}
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, "", bad
		}
	case ed25519.PublicKey:
	default:
		return nil, "", bad
	}
	return csr.PublicKey, "", nil
}

func (a *Authority) sign(ctx context.Context, tmpl *x509.Certificate, pub crypto.PublicKey) (Issued, error) {
	ca, err := a.current(ctx)
	if err != nil {
		return Issued{}, err
	}
	serial, err := randomSerial()
	if err != nil {
		return Issued{}, err
	}
	tmpl.SerialNumber = serial
	if tmpl.NotAfter.After(ca.cert.NotAfter) {
		tmpl.NotAfter = ca.cert.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.signer)
	if err != nil {
		return Issued{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return Issued{}, err
	}
	return Issued{Cert: cert, CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), CAPEM: ca.CACert, Fingerprint: fingerprint(der)}, nil
}

func certDays(days int) error {
	if days < 0 || days > MaxCertDays {
		return errs.Invalid(errs.Field{Name: "days", Code: "range", Args: []any{1, MaxCertDays}, Context: "hub"})
	}
	return nil
}

// IssueClient makes a TLS client certificate for a subsystem, for the
// public key of csrPEM (or for a key it generates).
func (a *Authority) IssueClient(ctx context.Context, x ClientID, memberName, csrPEM string, days int) (Issued, error) {
	if err := certDays(days); err != nil {
		return Issued{}, err
	}
	if days == 0 {
		days = DefaultCertDays
	}
	pub, keyPEM, err := publicKeyOf(csrPEM)
	if err != nil {
		return Issued{}, err
	}
	now := time.Now()
	uri, _ := url.Parse("urn:xroad:" + x.String())
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: x.String(), Organization: []string{memberName}},
		NotBefore:   now.Add(-5 * time.Minute),
		NotAfter:    now.AddDate(0, 0, days),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		URIs:        []*url.URL{uri},
	}
	is, err := a.sign(ctx, tmpl, pub)
	is.KeyPEM = keyPEM
	return is, err
}

// IssueServer makes a TLS server certificate for host names and addresses
// (the gateway's own, or a backend's that requires the hub's CA).
func (a *Authority) IssueServer(ctx context.Context, hosts []string, days int) (Issued, error) {
	if len(hosts) == 0 {
		return Issued{}, errs.Invalid(errs.Field{Name: "host", Code: "required", Context: "hub"})
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: hosts[0]},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	is, err := a.issueGenerated(ctx, tmpl, days, DefaultCertDays)
	if err != nil {
		return is, fmt.Errorf("server certificate: %w", err)
	}
	return is, nil
}

// issueGenerated signs tmpl for a key it generates (returned as KeyPEM),
// valid from a few minutes ago for days (0: def).
func (a *Authority) issueGenerated(ctx context.Context, tmpl *x509.Certificate, days, def int) (Issued, error) {
	if err := certDays(days); err != nil {
		return Issued{}, err
	}
	if days == 0 {
		days = def
	}
	pub, keyPEM, err := publicKeyOf("")
	if err != nil {
		return Issued{}, err
	}
	now := time.Now()
	tmpl.NotBefore, tmpl.NotAfter, tmpl.KeyUsage = now.Add(-5*time.Minute), now.AddDate(0, 0, days), x509.KeyUsageDigitalSignature
	is, err := a.sign(ctx, tmpl, pub)
	is.KeyPEM = keyPEM
	return is, err
}
