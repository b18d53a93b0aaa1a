package hub

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"database/sql"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Time-stamping (RFC 3161): when a time-stamping authority is configured
// (--hub-tsa-url), each seal gets a TimeStampToken whose message imprint
// is the SHA-256 seal hash (Seal.Hash, the hash the next seal chains to),
// so a third party's clock vouches that the seal, and every record and
// seal before it, existed then. As X-Road does by default, stamping is
// asynchronous: the sealer never waits for the authority (a slow one
// would stall the log's group commit); the retention job stamps the seals
// that have no token yet, oldest first, every TimestampEvery. When the
// authority is down or answers wrongly the seal stays without a token, a
// warning is logged, and it is tried again at the next round: exchanges
// go on (X-Road's acceptable-timestamp-failure-period, which stops
// exchanges after 4 hours without time-stamps, is not implemented).
//
// A token is checked (verify, verify-proof, verify-archive and before it
// is stored): a CMS SignedData over a TSTInfo whose message imprint is the
// seal's hash, the signed attributes' messageDigest that of the TSTInfo,
// the signature by the signer's certificate (RSA PKCS #1 v1.5, ECDSA or
// Ed25519), and, when trust anchors are given (--hub-tsa-ca), that
// certificate chaining to one of them with the time-stamping key usage at
// the token's time. The signer's certificate must be
// the one the signed signing-certificate attribute names (ESS, RFC 2634
// or 5035, which RFC 3161 §2.4.1 requires): without it, another
// certificate with the same key could be put in the token. Only what the
// protocol needs is parsed, with golang.org/x/crypto/cryptobyte.

// DefaultTimestampEvery is how often seals without a token are stamped.
const DefaultTimestampEvery = 10 * time.Second

var (
	oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningCert   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12} // ESS, RFC 2634: SHA-1
	oidSigningCertV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47} // ESS, RFC 5035: SHA-256 unless named
)

func hashOf(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256, true
	case oid.Equal(oidSHA384):
		return crypto.SHA384, true
	case oid.Equal(oidSHA512):
		return crypto.SHA512, true
	}
	return 0, false
}

// TSA is a time-stamping authority's client.
type TSA struct {
	URL    string
	Roots  *x509.CertPool // trust anchors; nil: the chain is not checked
	Client *http.Client   // nil: a client with a 10 s timeout
}

// LoadTSARoots reads a PEM file of trust anchors ("" : none).
func LoadTSARoots(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("hub TSA trust anchors: %w", err)
	}
	pool := x509.NewCertPool()
	n := 0
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			break
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("hub TSA trust anchors %s: %w", file, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("hub TSA trust anchors %s: no certificate", file)
	}
	return pool, nil
}

type messageImprint struct {
	HashAlgorithm struct {
		Algorithm asn1.ObjectIdentifier
	}
	HashedMessage []byte
}

type timeStampReq struct {
	Version        int
	MessageImprint messageImprint
	Nonce          *big.Int `asn1:"optional"`
	CertReq        bool     `asn1:"optional"`
}

// Stamp asks the authority for a token over a SHA-256 digest and checks
// what it answers; the token is DER.
func (t *TSA) Stamp(ctx context.Context, digest []byte) ([]byte, time.Time, error) {
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, time.Time{}, err
	}
	req := timeStampReq{Version: 1, Nonce: nonce, CertReq: true}
	req.MessageImprint.HashAlgorithm.Algorithm = oidSHA256
	req.MessageImprint.HashedMessage = digest
	body, err := asn1.Marshal(req)
	if err != nil {
		return nil, time.Time{}, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		return nil, time.Time{}, err
	}
	hr.Header.Set("Content-Type", "application/timestamp-query")
	c := t.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(hr)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, time.Time{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, time.Time{}, fmt.Errorf("the authority answered %s", resp.Status)
	}
	token, err := parseTimeStampResp(b)
	if err != nil {
		return nil, time.Time{}, err
	}
	tok, err := checkToken(token, digest, t.Roots)
	if err != nil {
		return nil, time.Time{}, err
	}
	if tok.nonce == nil || tok.nonce.Cmp(nonce) != 0 {
		return nil, time.Time{}, errors.New("the token's nonce is not the request's")
	}
	return token, tok.genTime, nil
}

// parseTimeStampResp reads TimeStampResp ::= SEQUENCE { status
// PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }.
func parseTimeStampResp(b []byte) ([]byte, error) {
	s := cryptobyte.String(b)
	var resp, status cryptobyte.String
	var code int64
	if !s.ReadASN1(&resp, cbasn1.SEQUENCE) || !resp.ReadASN1(&status, cbasn1.SEQUENCE) || !status.ReadASN1Integer(&code) {
		return nil, errors.New("the answer is not a TimeStampResp")
	}
	if code != 0 && code != 1 { // granted, grantedWithMods
		return nil, fmt.Errorf("the authority refused (PKIStatus %d)", code)
	}
	var token cryptobyte.String
	if !resp.ReadASN1Element(&token, cbasn1.SEQUENCE) {
		return nil, errors.New("the answer holds no token")
	}
	return token, nil
}

// timestampToken is what verification needs of a token.
type timestampToken struct {
	genTime  time.Time
	imprint  []byte
	nonce    *big.Int
	serial   *big.Int
	signer   *x509.Certificate
	certs    []*x509.Certificate
	policy   asn1.ObjectIdentifier
	tstInfo  []byte
	attrsSet []byte // the signed attributes, DER with a SET tag, as signed
	digest   crypto.Hash
	sig      []byte
	msgDig   []byte
	ctypeOK  bool
	ess      []essCertID // the signing-certificate attributes' first certificates
}

// essCertID names a certificate by its hash.
type essCertID struct {
	hash crypto.Hash
	sum  []byte
}

// names tells whether id names c.
func (id essCertID) names(c *x509.Certificate) bool {
	var sum []byte
	if id.hash == crypto.SHA1 {
		s := sha1.Sum(c.Raw)
		sum = s[:]
	} else {
		h := id.hash.New()
		h.Write(c.Raw)
		sum = h.Sum(nil)
	}
	return bytes.Equal(sum, id.sum)
}

var errToken = errors.New("not an RFC 3161 time-stamp token")

// parseToken reads ContentInfo { id-signedData, [0] SignedData } far
// enough to verify it.
func parseToken(der []byte) (*timestampToken, error) {
	t := &timestampToken{}
	s := cryptobyte.String(der)
	var ci, content, sd cryptobyte.String
	var ctype asn1.ObjectIdentifier
	if !s.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&ctype) || !ctype.Equal(oidSignedData) ||
		!ci.ReadASN1(&content, cbasn1.Tag(0).Constructed().ContextSpecific()) || !content.ReadASN1(&sd, cbasn1.SEQUENCE) {
		return nil, errToken
	}
	var version int64
	var digestAlgs, eci, econtent, certs cryptobyte.String
	var etype asn1.ObjectIdentifier
	var hasCerts bool
	if !sd.ReadASN1Integer(&version) || !sd.ReadASN1(&digestAlgs, cbasn1.SET) || !sd.ReadASN1(&eci, cbasn1.SEQUENCE) ||
		!eci.ReadASN1ObjectIdentifier(&etype) || !etype.Equal(oidTSTInfo) ||
		!eci.ReadASN1(&econtent, cbasn1.Tag(0).Constructed().ContextSpecific()) || !econtent.ReadASN1Bytes(&t.tstInfo, cbasn1.OCTET_STRING) ||
		!sd.ReadOptionalASN1(&certs, &hasCerts, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!sd.SkipOptionalASN1(cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return nil, errToken
	}
	if hasCerts {
		var err error
		if t.certs, err = x509.ParseCertificates(certs); err != nil {
			return nil, fmt.Errorf("the token's certificates: %w", err)
		}
	}
	var infos, si cryptobyte.String
	if !sd.ReadASN1(&infos, cbasn1.SET) || !infos.ReadASN1(&si, cbasn1.SEQUENCE) {
		return nil, errToken
	}
	// SignerInfo: version, sid, digestAlgorithm, [0] signedAttrs,
	// signatureAlgorithm, signature.
	var sid, dalg, attrs, salg cryptobyte.String
	var sidTag cbasn1.Tag
	var dalgOID asn1.ObjectIdentifier
	if !si.ReadASN1Integer(&version) || !si.ReadAnyASN1(&sid, &sidTag) || !si.ReadASN1(&dalg, cbasn1.SEQUENCE) || !dalg.ReadASN1ObjectIdentifier(&dalgOID) ||
		!si.ReadASN1Element(&attrs, cbasn1.Tag(0).Constructed().ContextSpecific()) || !si.ReadASN1(&salg, cbasn1.SEQUENCE) ||
		!si.ReadASN1Bytes(&t.sig, cbasn1.OCTET_STRING) {
		return nil, errToken
	}
	var ok bool
	if t.digest, ok = hashOf(dalgOID); !ok {
		return nil, fmt.Errorf("the token's digest algorithm %v is not supported", dalgOID)
	}
	// The signer's certificate: by issuer and serial, or by key id.
	for _, c := range t.certs {
		switch sidTag {
		case cbasn1.SEQUENCE:
			ias := sid
			var issuer cryptobyte.String
			serial := new(big.Int)
			if ias.ReadASN1Element(&issuer, cbasn1.SEQUENCE) && ias.ReadASN1Integer(serial) &&
				bytes.Equal(issuer, c.RawIssuer) && serial.Cmp(c.SerialNumber) == 0 {
				t.signer = c
			}
		case cbasn1.Tag(0).ContextSpecific():
			if bytes.Equal(sid, c.SubjectKeyId) {
				t.signer = c
			}
		}
	}
	// Signed attributes: the signature covers them with a SET tag.
	t.attrsSet = append([]byte{byte(cbasn1.SET)}, attrs[1:]...)
	var list cryptobyte.String
	if !attrs.ReadASN1(&list, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, errToken
	}
	for !list.Empty() {
		var attr, values cryptobyte.String
		var typ asn1.ObjectIdentifier
		if !list.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&typ) || !attr.ReadASN1(&values, cbasn1.SET) {
			return nil, errToken
		}
		switch {
		case typ.Equal(oidMessageDigest):
			if !values.ReadASN1Bytes(&t.msgDig, cbasn1.OCTET_STRING) {
				return nil, errToken
			}
		case typ.Equal(oidContentType):
			var v asn1.ObjectIdentifier
			t.ctypeOK = values.ReadASN1ObjectIdentifier(&v) && v.Equal(oidTSTInfo)
		case typ.Equal(oidSigningCert), typ.Equal(oidSigningCertV2):
			// SigningCertificate(V2) { certs SEQUENCE OF ESSCertID(v2), … };
			// the first names the signer's certificate.
			var sc, ids, first cryptobyte.String
			if !values.ReadASN1(&sc, cbasn1.SEQUENCE) || !sc.ReadASN1(&ids, cbasn1.SEQUENCE) || !ids.ReadASN1(&first, cbasn1.SEQUENCE) {
				return nil, errToken
			}
			id := essCertID{hash: crypto.SHA1}
			if typ.Equal(oidSigningCertV2) {
				id.hash = crypto.SHA256
				if first.PeekASN1Tag(cbasn1.SEQUENCE) {
					var alg cryptobyte.String
					var oid asn1.ObjectIdentifier
					if !first.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) {
						return nil, errToken
					}
					var ok bool
					if id.hash, ok = hashOf(oid); !ok {
						return nil, fmt.Errorf("the token's signing-certificate hash %v is not supported", oid)
					}
				}
			}
			if !first.ReadASN1Bytes(&id.sum, cbasn1.OCTET_STRING) {
				return nil, errToken
			}
			t.ess = append(t.ess, id)
		}
	}
	// TSTInfo: version, policy, messageImprint, serialNumber, genTime, …
	ti := cryptobyte.String(t.tstInfo)
	var info, mi, malg cryptobyte.String
	var malgOID asn1.ObjectIdentifier
	t.serial = new(big.Int)
	if !ti.ReadASN1(&info, cbasn1.SEQUENCE) || !info.ReadASN1Integer(&version) || !info.ReadASN1ObjectIdentifier(&t.policy) ||
		!info.ReadASN1(&mi, cbasn1.SEQUENCE) || !mi.ReadASN1(&malg, cbasn1.SEQUENCE) || !malg.ReadASN1ObjectIdentifier(&malgOID) ||
		!mi.ReadASN1Bytes(&t.imprint, cbasn1.OCTET_STRING) || !info.ReadASN1Integer(t.serial) || !info.ReadASN1GeneralizedTime(&t.genTime) {
		return nil, errors.New("the token's TSTInfo cannot be read")
	}
	if !malgOID.Equal(oidSHA256) {
		return nil, fmt.Errorf("the token's imprint is not SHA-256 (%v)", malgOID)
	}
	for !info.Empty() {
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !info.ReadAnyASN1Element(&el, &tag) {
			return nil, errors.New("the token's TSTInfo cannot be read")
		}
		if tag == cbasn1.INTEGER {
			t.nonce = new(big.Int)
			if !el.ReadASN1Integer(t.nonce) {
				return nil, errors.New("the token's nonce cannot be read")
			}
		}
	}
	return t, nil
}

// checkToken verifies a token over digest (SHA-256); with roots, that its
// signer chains to one of them.
func checkToken(der, digest []byte, roots *x509.CertPool) (*timestampToken, error) {
	t, err := parseToken(der)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(t.imprint, digest) {
		return t, fmt.Errorf("its message imprint %s is not the seal's hash %s", hex.EncodeToString(t.imprint), hex.EncodeToString(digest))
	}
	if t.signer == nil {
		return t, errors.New("the token holds no certificate of its signer")
	}
	h := t.digest.New()
	h.Write(t.tstInfo)
	if !bytes.Equal(h.Sum(nil), t.msgDig) || !t.ctypeOK {
		return t, errors.New("its signed attributes do not match its content")
	}
	h = t.digest.New()
	h.Write(t.attrsSet)
	sum := h.Sum(nil)
	switch pub := t.signer.PublicKey.(type) {
	case *rsa.PublicKey:
		err = rsa.VerifyPKCS1v15(pub, t.digest, sum, t.sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, sum, t.sig) {
			err = errors.New("bad ECDSA signature")
		}
	case ed25519.PublicKey:
		if !ed25519.Verify(pub, t.attrsSet, t.sig) {
			err = errors.New("bad Ed25519 signature")
		}
	default:
		err = fmt.Errorf("unsupported key %T", pub)
	}
	if err != nil {
		return t, fmt.Errorf("its signature does not verify: %v", err)
	}
	if len(t.ess) == 0 {
		return t, errors.New("it has no signing-certificate attribute (ESS), which RFC 3161 requires to name its signer's certificate")
	}
	for _, id := range t.ess {
		if !id.names(t.signer) {
			return t, fmt.Errorf("its signing-certificate attribute (ESS) names another certificate than its signer %q", t.signer.Subject.CommonName)
		}
	}
	if roots != nil {
		inter := x509.NewCertPool()
		for _, c := range t.certs {
			inter.AddCert(c)
		}
		if _, err := t.signer.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: t.genTime,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
			return t, fmt.Errorf("its signer %q does not chain to a trusted time-stamping authority: %v", t.signer.Subject.CommonName, err)
		}
	}
	return t, nil
}

// verifySealTimestamp checks a seal's token; its time.
func verifySealTimestamp(s *Seal, roots *x509.CertPool) (time.Time, error) {
	der, err := base64.StdEncoding.DecodeString(s.TimestampToken)
	if err != nil {
		return time.Time{}, errToken
	}
	digest, _ := hex.DecodeString(s.Hash())
	t, err := checkToken(der, digest, roots)
	if err != nil {
		return time.Time{}, err
	}
	return t.genTime, nil
}

// StampSeals gets tokens for the seals without one, oldest first, at most
// limit; it returns how many it stamped. It stops at the first failure
// (the authority is likely down; the rest waits for the next round).
func (s *Store) StampSeals(ctx context.Context, tsa *TSA, limit int) (int, error) {
	seals, err := queryAll(ctx, s.db.Read, scanSeal, `SELECT `+sealColumns+` FROM hub_log_seals WHERE timestamp_token = '' ORDER BY sealed_at_us, chain, seq LIMIT $1`, limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sl := range seals {
		digest, _ := hex.DecodeString(sl.Hash())
		tok, at, err := tsa.Stamp(ctx, digest)
		if err != nil {
			return n, fmt.Errorf("time-stamping seal %d of chain %s at %s: %w", sl.Seq, sl.Chain, tsa.URL, err)
		}
		if _, err := s.db.Write.ExecContext(ctx, `UPDATE hub_log_seals SET timestamp_token = $1 WHERE chain = $2 AND seq = $3 AND timestamp_token = ''`,
			base64.StdEncoding.EncodeToString(tok), sl.Chain, sl.Seq); err != nil {
			return n, err
		}
		slog.Debug("hub message log: seal time-stamped", "chain", sl.Chain, "seal", sl.Seq, "at", at)
		n++
	}
	return n, nil
}

// checkStamps reads when the oldest seal still without a time-stamp token
// was made, for stampsOverdue; the log's writer calls it after each seal
// (every node, since only one node stamps). Nothing when no authority or
// no failure period is configured.
func (s *Store) checkStamps(ctx context.Context) {
	o := s.opt.Retention
	if o.TSAURL == "" || o.TimestampFailure <= 0 {
		return
	}
	var oldest sql.NullInt64
	if err := s.db.Read.QueryRowContext(ctx, `SELECT MIN(sealed_at_us) FROM hub_log_seals WHERE timestamp_token = ''`).Scan(&oldest); err != nil {
		slog.Warn("hub message log: reading the seals without a time-stamp", "err", err)
		return
	}
	s.unstampedSince.Store(oldest.Int64)
}

// stampsOverdue reports whether the oldest seal without a time-stamp has
// waited longer than the configured failure period, and how long.
func (s *Store) stampsOverdue(now time.Time) (time.Duration, bool) {
	since := s.unstampedSince.Load()
	limit := s.opt.Retention.TimestampFailure
	if since == 0 || limit <= 0 {
		return 0, false
	}
	waited := now.Sub(time.UnixMicro(since))
	return waited, waited > limit
}
