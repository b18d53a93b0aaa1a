package hub_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/testapp"
)

// testTSA is an RFC 3161 time-stamping authority on loopback, built here
// with encoding/asn1 and cryptobyte: a root CA, a TSA certificate with
// the time-stamping key usage under it, ECDSA P-256 signatures.
type testTSA struct {
	srv     *httptest.Server
	rootPEM []byte
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	// mode: tsaOK, tsaDown (500), tsaWrongImprint (stamps another digest),
	// tsaNoESS (no signing-certificate attribute), tsaOtherESS (one that
	// names another certificate).
	mode  atomic.Int32
	calls atomic.Int64
}

const (
	tsaOK int32 = iota
	tsaDown
	tsaWrongImprint
	tsaNoESS
	tsaOtherESS
)

var (
	oidTSTInfo       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningCertV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidECDSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

type tsaImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type tsaRequest struct {
	Version        int
	MessageImprint tsaImprint
	Nonce          *big.Int `asn1:"optional"`
	CertReq        bool     `asn1:"optional"`
}

type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint tsaImprint
	SerialNumber   *big.Int
	GenTime        time.Time `asn1:"generalized"`
	Nonce          *big.Int  `asn1:"optional"`
}

func newTestTSA(t testing.TB, name string) *testTSA {
	t.Helper()
	mk := func(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " root"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	root := mk(rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := mk(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}, root, &key.PublicKey, rootKey)
	a := &testTSA{rootPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}), cert: cert, key: key}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *testTSA) serve(w http.ResponseWriter, r *http.Request) {
	a.calls.Add(1)
	if a.mode.Load() == tsaDown || r.Header.Get("Content-Type") != "application/timestamp-query" {
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req tsaRequest
	if _, err := asn1.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	imprint := req.MessageImprint
	if a.mode.Load() == tsaWrongImprint {
		imprint.HashedMessage = append([]byte(nil), imprint.HashedMessage...)
		imprint.HashedMessage[0] ^= 0xff
	}
	info, err := asn1.Marshal(tstInfo{Version: 1, Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, MessageImprint: imprint,
		SerialNumber: big.NewInt(a.calls.Load()), GenTime: time.Now().UTC().Truncate(time.Second), Nonce: req.Nonce})
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(a.response(info))
}

// response is TimeStampResp { status granted, ContentInfo { SignedData } }.
func (a *testTSA) response(info []byte) []byte {
	digest := sha256.Sum256(info)
	attrs := cryptobyte.NewBuilder(nil)
	attrs.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidContentType)
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidTSTInfo) })
	})
	attrs.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidMessageDigest)
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest[:]) })
	})
	if mode := a.mode.Load(); mode != tsaNoESS {
		// SigningCertificateV2 { certs { ESSCertIDv2 { certHash (SHA-256) } } }
		sum := sha256.Sum256(a.cert.Raw)
		if mode == tsaOtherESS {
			sum[0] ^= 0xff
		}
		attrs.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oidSigningCertV2)
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1OctetString(sum[:]) })
					})
				})
			})
		})
	}
	inner := attrs.BytesOrPanic()
	set := cryptobyte.NewBuilder(nil)
	set.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(inner) })
	signed := sha256.Sum256(set.BytesOrPanic())
	sig, _ := ecdsa.SignASN1(rand.Reader, a.key, signed[:])
	alg := func(b *cryptobyte.Builder, oid asn1.ObjectIdentifier) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oid) })
	}
	out := cryptobyte.NewBuilder(nil)
	out.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1Int64(0) })
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oidSignedData)
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1Int64(3)
					b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { alg(b, oidSHA256) })
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(oidTSTInfo)
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddASN1OctetString(info) })
					})
					b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(a.cert.Raw) })
					b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1Int64(1)
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
								b.AddBytes(a.cert.RawIssuer)
								b.AddASN1BigInt(a.cert.SerialNumber)
							})
							alg(b, oidSHA256)
							b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(inner) })
							alg(b, oidECDSASHA256)
							b.AddASN1OctetString(sig)
						})
					})
				})
			})
		})
	})
	return out.BytesOrPanic()
}

// TestTimestampedSeals: with a time-stamping authority configured, the
// seals get RFC 3161 tokens over their hashes, which verify and
// verify-proof check against the trusted authority. The authority down:
// the seals stay without a token, the log goes on, and the next round
// stamps them. A token whose imprint is not the seal's is refused when it
// comes, and one moved onto another seal fails verify naming the seal; an
// authority not trusted fails it too.
func TestTimestampedSeals(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			tsa := newTestTSA(t, "TSA thử nghiệm")
			dir := t.TempDir()
			caFile := filepath.Join(dir, "tsa-ca.pem")
			os.WriteFile(caFile, tsa.rootPEM, 0o644)
			other := newTestTSA(t, "TSA khác")
			otherCA := filepath.Join(dir, "other-ca.pem")
			os.WriteFile(otherCA, other.rootPEM, 0o644)
			app := testapp.NewWith(t, u, func(c *config.Config) { c.Hub.TSAURL, c.Hub.TSACA = tsa.srv.URL, caFile })
			h := app.Server.Hub
			ctx := context.Background()
			w := newWorld(t, app, false)
			auth := []string{"Authorization", "Bearer " + w.tokenW, "X-Road-Client", w.with}
			round := func() string {
				t.Helper()
				a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, auth...)
				if err := w.gw.Log().Flush(ctx); err != nil {
					t.Fatal(err)
				}
				return a.header.Get("X-Road-Request-Id")
			}
			client, err := h.TSA()
			if err != nil || client == nil {
				t.Fatalf("the configured TSA: %v %v", client, err)
			}
			rid := round()
			round()
			// The sealer did not wait for the authority.
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_log_seals WHERE timestamp_token = ''`); n != 2 {
				t.Fatalf("%d seals without a token, want 2", n)
			}
			if n, err := h.StampSeals(ctx, client, 100); n != 2 || err != nil {
				t.Fatalf("stamped %d: %v", n, err)
			}
			code, out, errOut := tinhso(t, "hub", "verify", "--db", u, "--hub-tsa-ca", caFile)
			if code != 0 || !strings.Contains(out, "chain plain: 2 seals time-stamped, 0 without a token") {
				t.Fatalf("verify: %d %s %s", code, out, errOut)
			}
			proof := filepath.Join(dir, "proof.json")
			if code, out, errOut := tinhso(t, "hub", "export-proof", rid, "--db", u, "--out", proof); code != 0 {
				t.Fatalf("export-proof: %d %s %s", code, out, errOut)
			}
			if code, out, errOut := tinhso(t, "hub", "verify-proof", proof, "--hub-tsa-ca", caFile); code != 0 || !strings.Contains(out, "the seal's time-stamp token verifies") {
				t.Errorf("verify-proof: %d %s %s", code, out, errOut)
			}
			if code, _, errOut := tinhso(t, "hub", "verify-proof", proof, "--hub-tsa-ca", otherCA); code != 1 || !strings.Contains(errOut, "does not chain to a trusted time-stamping authority") {
				t.Errorf("verify-proof, another authority trusted: %d %s", code, errOut)
			}

			// The authority is down: the seal is made without a token, the
			// exchanges go on, the next round stamps it.
			tsa.mode.Store(tsaDown)
			round()
			if n, err := h.StampSeals(ctx, client, 100); n != 0 || err == nil || !strings.Contains(err.Error(), "time-stamping seal 3 of chain plain") {
				t.Errorf("with the authority down: %d %v", n, err)
			}
			if a := call(t, nil, "GET", w.url+w.svc+"/records/2", nil, auth...); a.status != 200 {
				t.Errorf("an exchange while the authority is down: %d", a.status)
			}
			code, out, _ = tinhso(t, "hub", "verify", "--db", u, "--hub-tsa-ca", caFile)
			if code != 0 || !strings.Contains(out, "2 seals time-stamped, 1 without a token") {
				t.Errorf("verify with a seal not yet stamped: %d %s", code, out)
			}
			// It answers a token over another digest: refused, not stored.
			tsa.mode.Store(tsaWrongImprint)
			if n, err := h.StampSeals(ctx, client, 100); n != 0 || err == nil || !strings.Contains(err.Error(), "message imprint") {
				t.Errorf("a token over another digest: %d %v", n, err)
			}
			// Its signing-certificate attribute (ESS) missing, or naming
			// another certificate: refused, not stored.
			tsa.mode.Store(tsaNoESS)
			if n, err := h.StampSeals(ctx, client, 100); n != 0 || err == nil || !strings.Contains(err.Error(), "no signing-certificate attribute (ESS)") {
				t.Errorf("a token without ESS: %d %v", n, err)
			}
			tsa.mode.Store(tsaOtherESS)
			if n, err := h.StampSeals(ctx, client, 100); n != 0 || err == nil || !strings.Contains(err.Error(), "signing-certificate attribute (ESS) names another certificate") {
				t.Errorf("a token whose ESS names another certificate: %d %v", n, err)
			}
			tsa.mode.Store(tsaOK)
			if n, err := h.StampSeals(ctx, client, 100); n != 1 || err != nil {
				t.Errorf("once the authority is back: %d %v", n, err)
			}
			if code, out, errOut := tinhso(t, "hub", "verify", "--db", u, "--hub-tsa-ca", caFile); code != 0 || !strings.Contains(out, "3 seals time-stamped, 0 without a token") {
				t.Errorf("verify: %d %s %s", code, out, errOut)
			}
			if code, _, errOut := tinhso(t, "hub", "verify", "--db", u, "--hub-tsa-ca", otherCA); code != 1 || !strings.Contains(errOut, "seal 1: the time-stamp token does not verify") {
				t.Errorf("verify trusting another authority: %d %s", code, errOut)
			}
			// Seal 1's token on seal 2: its imprint is not seal 2's hash.
			var tok1, tok2 string
			app.DB.Read.QueryRow(`SELECT timestamp_token FROM hub_log_seals WHERE chain = 'plain' AND seq = 1`).Scan(&tok1)
			app.DB.Read.QueryRow(`SELECT timestamp_token FROM hub_log_seals WHERE chain = 'plain' AND seq = 2`).Scan(&tok2)
			app.DB.Write.Exec(`UPDATE hub_log_seals SET timestamp_token = $1 WHERE chain = 'plain' AND seq = 2`, tok1)
			if code, _, errOut := tinhso(t, "hub", "verify", "--db", u, "--hub-tsa-ca", caFile); code != 1 || !strings.Contains(errOut, "seal 2: the time-stamp token does not verify: its message imprint") {
				t.Errorf("a token moved onto another seal: %d %s", code, errOut)
			}
			app.DB.Write.Exec(`UPDATE hub_log_seals SET timestamp_token = $1 WHERE chain = 'plain' AND seq = 2`, "AAAA"+tok2[4:])
			if code, _, errOut := tinhso(t, "hub", "verify", "--db", u, "--hub-tsa-ca", caFile); code != 1 || !strings.Contains(errOut, "seal 2: the time-stamp token does not verify") {
				t.Errorf("a damaged token: %d %s", code, errOut)
			}
			app.DB.Write.Exec(`UPDATE hub_log_seals SET timestamp_token = $1 WHERE chain = 'plain' AND seq = 2`, tok2)
			// In a proof: the token moved onto the proof's seal fails it.
			b, _ := os.ReadFile(proof)
			var p map[string]any
			json.Unmarshal(b, &p)
			p["seal"].(map[string]any)["timestampToken"] = tok2
			b, _ = json.Marshal(p)
			os.WriteFile(proof, b, 0o644)
			if code, _, errOut := tinhso(t, "hub", "verify-proof", proof, "--hub-tsa-ca", caFile); code != 1 || !strings.Contains(errOut, "time-stamp token does not verify: its message imprint") {
				t.Errorf("verify-proof with another seal's token: %d %s", code, errOut)
			}
		})
	}
}

// TestTimestampsFromOpenSSL: a real time-stamping authority's tokens,
// OpenSSL's `openssl ts -reply` behind HTTP, are accepted and verify, with
// the signing-certificate attribute in both its forms (ESS v1 with SHA-1,
// OpenSSL's default, and v2 with SHA-256).
func TestTimestampsFromOpenSSL(t *testing.T) {
	t.Parallel()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("no openssl")
	}
	dir := t.TempDir()
	// A root and a TSA certificate whose only extended key usage is
	// time-stamping, critical, as OpenSSL requires of a TSA's.
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "TSA OpenSSL root"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	certDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "TSA OpenSSL"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}}}, root, &key.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile := write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rootDER}))
	certFile := write("tsa.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}))
	keyFile := write("tsa.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	write("serial", []byte("01\n"))
	for _, alg := range []string{"sha1", "sha256"} {
		t.Run("ESS "+alg, func(t *testing.T) {
			conf := write("ts-"+alg+".cnf", []byte(`[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = `+filepath.Join(dir, "serial")+`
signer_cert = `+certFile+`
signer_key = `+keyFile+`
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.2
digests = sha256
accuracy = secs:1
ess_cert_id_alg = `+alg+`
`))
			var mu sync.Mutex // one openssl at a time: they share the serial file
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				q, _ := io.ReadAll(r.Body)
				query := write("query-"+alg+".tsq", q)
				reply := filepath.Join(dir, "reply-"+alg+".tsr")
				if out, err := exec.Command(openssl, "ts", "-reply", "-config", conf, "-queryfile", query, "-out", reply).CombinedOutput(); err != nil {
					http.Error(w, string(out), http.StatusInternalServerError)
					return
				}
				b, _ := os.ReadFile(reply)
				w.Header().Set("Content-Type", "application/timestamp-reply")
				w.Write(b)
			}))
			defer srv.Close()
			u := testapp.DemoURLs(t)[store.SQLite]
			app := testapp.NewWith(t, u, func(c *config.Config) { c.Hub.TSAURL, c.Hub.TSACA = srv.URL, caFile })
			w := newWorld(t, app, false)
			ctx := context.Background()
			for range 2 {
				if a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", "Bearer "+w.tokenW, "X-Road-Client", w.with); a.status != 200 {
					t.Fatalf("%d %s", a.status, a.body)
				}
				if err := w.gw.Log().Flush(ctx); err != nil {
					t.Fatal(err)
				}
			}
			client, err := app.Server.Hub.TSA()
			if err != nil {
				t.Fatal(err)
			}
			if n, err := app.Server.Hub.StampSeals(ctx, client, 100); n != 2 || err != nil {
				t.Fatalf("stamped %d by OpenSSL: %v", n, err)
			}
			if code, out, errOut := tinhso(t, "hub", "verify", "--db", u, "--hub-tsa-ca", caFile); code != 0 || !strings.Contains(out, "2 seals time-stamped, 0 without a token") {
				t.Errorf("verify: %d %s %s", code, out, errOut)
			}
		})
	}
}

// TestTimestampFailurePeriod: X-Road's acceptable-timestamp-failure-
// period. With the authority down, exchanges go on while the oldest seal
// without a token is younger than the period; past it the gateway refuses
// new exchanges with Server.ClientProxy.TimestampingFailed, before the
// backend sees them (metaservices still answer); once the authority
// stamps the backlog, exchanges go through again.
func TestTimestampFailurePeriod(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			tsa := newTestTSA(t, "TSA thử nghiệm")
			tsa.mode.Store(tsaDown)
			app := testapp.NewWith(t, u, func(c *config.Config) { c.Hub.TSAURL, c.Hub.TimestampFailure = tsa.srv.URL, "2s" })
			h := app.Server.Hub
			ctx := context.Background()
			w := newWorld(t, app, false)
			auth := []string{"Authorization", "Bearer " + w.tokenW, "X-Road-Client", w.with}
			get := func() answer {
				t.Helper()
				a := call(t, nil, "GET", w.url+w.svc+"/records/1", nil, auth...)
				if err := w.gw.Log().Flush(ctx); err != nil { // seals, and reads the oldest seal without a token
					t.Fatal(err)
				}
				return a
			}
			if a := get(); a.status != 200 {
				t.Fatalf("the first exchange: %d %s", a.status, a.body)
			}
			if a := get(); a.status != 200 {
				t.Fatalf("within the period: %d %s", a.status, a.body)
			}
			time.Sleep(2200 * time.Millisecond)
			if err := w.gw.Log().Flush(ctx); err != nil {
				t.Fatal(err)
			}
			before := w.hits.Load()
			a := get()
			fault(t, a, 500, hub.FaultTimestamping)
			if !strings.Contains(string(a.body), "Cannot time-stamp messages") {
				t.Errorf("the message: %s", a.body)
			}
			if w.hits.Load() != before {
				t.Error("the backend saw an exchange the hub could not time-stamp")
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_log WHERE kind = 'refused' AND fault = $1`, hub.FaultTimestamping); n != 1 {
				t.Errorf("%d refusals recorded", n)
			}
			if m := call(t, nil, "GET", w.url+"/listClients", nil, "Accept", "application/json"); m.status != 200 {
				t.Errorf("listClients while refusing: %d", m.status)
			}
			// The authority answers again: the backlog is stamped, the
			// next seal's check lifts the refusal.
			tsa.mode.Store(tsaOK)
			client, _ := h.TSA()
			if n, err := h.StampSeals(ctx, client, 100); err != nil || n == 0 {
				t.Fatalf("stamped %d: %v", n, err)
			}
			if err := w.gw.Log().Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if a := get(); a.status != 200 {
				t.Errorf("after the backlog was stamped: %d %s", a.status, a.body)
			}
		})
	}
}

// TestRetentionLoop: the retention component itself (not only its rounds)
// takes the lease, stamps the seals left without a token while the
// authority was down, lets a second node's component stand by, and on
// stop gives the lease back so that another node takes over at once.
func TestRetentionLoop(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			tsa := newTestTSA(t, "TSA thử nghiệm")
			tsa.mode.Store(tsaDown)
			app := testapp.New(t, u)
			ctx := context.Background()
			w := newWorld(t, app, false)
			for range 3 {
				call(t, nil, "GET", w.url+w.svc+"/records/1", nil, "Authorization", "Bearer "+w.tokenW, "X-Road-Client", w.with)
				if err := w.gw.Log().Flush(ctx); err != nil {
					t.Fatal(err)
				}
			}
			unstamped := func() int { return app.Count(t, `SELECT COUNT(*) FROM hub_log_seals WHERE timestamp_token = ''`) }
			if n := unstamped(); n != 3 {
				t.Fatalf("%d seals without a token, want 3", n)
			}
			opt := hub.Options{Instance: "TINHSO", Retention: hub.RetentionOptions{TSAURL: tsa.srv.URL, TimestampEvery: 20 * time.Millisecond, Every: time.Hour}}
			run := func(s *hub.Store) (stop func()) {
				ctx, cancel := context.WithCancel(ctx)
				done := make(chan error, 1)
				go func() { done <- s.RetentionComponent().Run(ctx) }()
				return func() {
					cancel()
					if err := <-done; err != nil {
						t.Errorf("the component stopped with %v", err)
					}
				}
			}
			wait := func(what string, ok func() bool) {
				t.Helper()
				for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("waited 10 s for %s", what)
					}
				}
			}
			holder := func() string {
				var h string
				app.DB.Read.QueryRow(`SELECT holder FROM job_leases WHERE name = 'hub-retention'`).Scan(&h)
				return h
			}
			first := hub.NewStore(app.DB, app.Org, opt)
			stopFirst := run(first)
			wait("the first node to try the authority", func() bool { return tsa.calls.Load() > 0 })
			h1 := holder()
			// The second node stands by while the first holds the lease.
			second := hub.NewStore(app.DB, app.Org, opt)
			stopSecond := run(second)
			time.Sleep(100 * time.Millisecond)
			if h := holder(); h != h1 || h == "" {
				t.Errorf("the lease went from %q to %q while its holder ran", h1, h)
			}
			tsa.mode.Store(tsaOK)
			wait("the seals to be stamped", func() bool { return unstamped() == 0 })
			stopFirst()
			// Given back: the second node takes over without waiting for the
			// lease to expire, and stamps a new seal.
			tsa.mode.Store(tsaDown)
			call(t, nil, "GET", w.url+w.svc+"/records/2", nil, "Authorization", "Bearer "+w.tokenW, "X-Road-Client", w.with)
			if err := w.gw.Log().Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if n := unstamped(); n != 1 {
				t.Fatalf("%d seals without a token after a new exchange", n)
			}
			tsa.mode.Store(tsaOK)
			wait("the second node to stamp", func() bool { return unstamped() == 0 })
			if h := holder(); h == h1 {
				t.Error("the second node stamped under the first node's lease")
			}
			stopSecond()
			if rep, err := hub.VerifyLog(ctx, app.DB, hub.VerifyOptions{}); err != nil || !rep.OK {
				t.Errorf("verify: %v %+v", err, rep)
			}
		})
	}
}
