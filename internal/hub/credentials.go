package hub

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
)

// Credential is a client secret or a TLS client certificate of a
// subsystem; secrets and private keys are never in it.
type Credential struct {
	ID          int64      `json:"id"`
	SubsystemID int64      `json:"subsystemId"`
	Subsystem   string     `json:"subsystem" doc:"the subsystem's identifier, which X-Road-Client must carry"`
	Kind        string     `json:"kind" doc:"secret or certificate"`
	Name        string     `json:"name"`
	ClientID    string     `json:"clientId,omitempty" doc:"the OAuth2 client_id of a secret"`
	CertSerial  string     `json:"certificateSerial,omitempty"`
	CertSHA256  string     `json:"certificateSha256,omitempty" doc:"the certificate's SHA-256 fingerprint, hex"`
	Certificate string     `json:"certificate,omitempty" doc:"the certificate, PEM"`
	NotAfter    *time.Time `json:"notAfter,omitempty"`
	Replaces    int64      `json:"replaces,omitempty" doc:"the credential a rotation replaced"`
	CreatedAt   time.Time  `json:"createdAt"`
	RevokedAt   *time.Time `json:"revokedAt,omitempty" doc:"when it stops (or stopped) working"`
	Active      bool       `json:"active"`
}

// IssuedCredential is a new credential with what is shown only once: the
// client secret, or the private key of a certificate the hub generated.
type IssuedCredential struct {
	Credential
	ClientSecret  string `json:"clientSecret,omitempty" doc:"shown only now; the hub keeps only its SHA-256"`
	PrivateKey    string `json:"privateKey,omitempty" doc:"PEM, shown only now, when no csr was sent"`
	CACertificate string `json:"caCertificate,omitempty" doc:"the hub CA's certificate, PEM"`
	TokenURL      string `json:"tokenUrl,omitempty" doc:"where to buy access tokens with the secret"`
}

// CredentialInput asks for a credential: a name to recognise it by, and
// for a certificate optionally a PEM certificate request (else the hub
// generates the key) and a lifetime.
type CredentialInput struct {
	Name string `json:"name,omitempty"`
	CSR  string `json:"csr,omitempty" doc:"PEM CERTIFICATE REQUEST; the hub generates an ECDSA P-256 key when absent"`
	Days int    `json:"days,omitempty" doc:"certificate lifetime in days, 365 when absent, at most 825"`
}

// RotateInput replaces a credential: the old one keeps working for
// graceMinutes (0: it stops now).
type RotateInput struct {
	CredentialInput
	GraceMinutes int `json:"graceMinutes,omitempty" doc:"minutes the old credential still works, at most 10080 (a week)"`
}

// Actor is who takes an administrative action: an official (through the
// API or a page) or the machine's operator (the CLI).
type Actor struct {
	UserID any
	event  func(kind, subject, detail string) audit.Event
}

// ActorOf is the official of a request.
func ActorOf(r *http.Request) Actor {
	return Actor{UserID: actorID(r), event: func(kind, subject, detail string) audit.Event {
		return audit.From(r, kind, subject, detail, true)
	}}
}

// Operator is the CLI's actor.
func Operator() Actor {
	return Actor{event: func(kind, subject, detail string) audit.Event {
		return audit.Event{Kind: kind, Success: true, Actor: "cli", Subject: subject, Detail: detail}
	}}
}

func (a Actor) ev(kind, subject, detail string) func() audit.Event {
	return func() audit.Event { return a.event(kind, subject, detail) }
}

const credentialColumns = `k.id, k.subsystem_id, k.kind, k.name, COALESCE(k.client_id, ''), COALESCE(k.cert_serial, ''), COALESCE(k.cert_sha256, ''), COALESCE(k.cert_pem, ''),
	k.not_after, COALESCE(k.replaces, 0), k.created_at, k.revoked_at, x.code, m.instance, m.member_class, m.member_code`

func (s *Store) credentials(ctx context.Context, where string, args ...any) ([]Credential, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+credentialColumns+` FROM hub_credentials k JOIN hub_subsystems x ON x.id = k.subsystem_id
		JOIN hub_members m ON m.id = x.member_id WHERE `+where+` ORDER BY k.created_at DESC, k.id DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := time.Now()
	var out []Credential
	for rows.Next() {
		var c Credential
		var notAfter, revoked sql.NullTime
		var x ClientID
		if err := rows.Scan(&c.ID, &c.SubsystemID, &c.Kind, &c.Name, &c.ClientID, &c.CertSerial, &c.CertSHA256, &c.Certificate,
			&notAfter, &c.Replaces, &c.CreatedAt, &revoked, &x.Subsystem, &x.Instance, &x.Class, &x.Member); err != nil {
			return nil, err
		}
		if notAfter.Valid {
			t := notAfter.Time
			c.NotAfter = &t
		}
		if revoked.Valid {
			t := revoked.Time
			c.RevokedAt = &t
		}
		c.Subsystem = x.String()
		c.Active = (c.RevokedAt == nil || now.Before(*c.RevokedAt)) && (c.NotAfter == nil || now.Before(*c.NotAfter))
		out = append(out, c)
	}
	return out, rows.Err()
}

// Credential reads one credential.
func (s *Store) Credential(ctx context.Context, id int64) (Credential, error) {
	cs, err := s.credentials(ctx, `k.id = $1`, id)
	if err != nil {
		return Credential{}, err
	}
	if len(cs) == 0 {
		return Credential{}, errs.NotFound
	}
	return cs[0], nil
}

// Credentials lists a subsystem's credentials, newest first.
func (s *Store) Credentials(ctx context.Context, subsystem int64) ([]Credential, error) {
	return s.credentials(ctx, `k.subsystem_id = $1`, subsystem)
}

// mayManage authorises the request's official on a subsystem's member.
func (s *Store) mayManage(r *http.Request, x Subsystem) error {
	return s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ManageMember, x.UnitID)
}

func (s *Store) validName(x Subsystem, in *CredentialInput, kind string) error {
	in.Name = strings.TrimSpace(in.Name)
	v := errs.Validator{Context: "hub"}
	v.Text("name", in.Name, errs.Short)
	// A peer instance's subsystem calls through its own hub, never with a
	// credential of this one.
	v.Check(x.xid.Instance == "" || x.xid.Instance == s.opt.Instance, "subsystem", "hub_foreign_credential")
	if kind == KindSecret {
		v.Check(in.CSR == "", "csr", "hub_secret_csr")
		v.Check(in.Days == 0, "days", "hub_secret_csr")
	}
	return v.Err()
}

// IssueSecret makes an OAuth2 client id and secret for a subsystem.
func (s *Store) IssueSecret(ctx context.Context, x Subsystem, in CredentialInput, a Actor) (IssuedCredential, error) {
	return s.issueSecret(ctx, x, in, a, 0, nil)
}

func (s *Store) issueSecret(ctx context.Context, x Subsystem, in CredentialInput, a Actor, replaces int64, retire *time.Time) (IssuedCredential, error) {
	if err := s.validName(x, &in, KindSecret); err != nil {
		return IssuedCredential{}, err
	}
	clientID := ClientIDPrefix + strings.ToLower(password.Random(12))
	secret := "hubs_" + password.Random(32)
	sum := sha256.Sum256([]byte(secret))
	var id int64
	detail := "secret.issue " + clientID
	if replaces != 0 {
		detail = fmt.Sprintf("secret.rotate #%d → %s", replaces, clientID)
	}
	err := s.write(ctx, a.ev(audit.HubCredential, x.Identifier, detail), func(tx *sql.Tx) error {
		if err := retireOld(ctx, tx, replaces, retire, a); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO hub_credentials (subsystem_id, kind, name, client_id, secret_hash, replaces, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, x.ID, KindSecret, in.Name, clientID, hex.EncodeToString(sum[:]), nullable(replaces), a.UserID, store.Now()).Scan(&id)
	})
	if err != nil {
		return IssuedCredential{}, err
	}
	c, err := s.Credential(ctx, id)
	return IssuedCredential{Credential: c, ClientSecret: secret, TokenURL: "/oauth2/token"}, err
}

func retireOld(ctx context.Context, tx *sql.Tx, id int64, at *time.Time, a Actor) error {
	if id == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE hub_credentials SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND (revoked_at IS NULL OR revoked_at > $1)`, *at, a.UserID, id)
	return err
}

// IssueCertificate makes a TLS client certificate for a subsystem.
func (s *Store) IssueCertificate(ctx context.Context, x Subsystem, in CredentialInput, a Actor) (IssuedCredential, error) {
	return s.issueCertificate(ctx, x, in, a, 0, nil)
}

func (s *Store) issueCertificate(ctx context.Context, x Subsystem, in CredentialInput, a Actor, replaces int64, retire *time.Time) (IssuedCredential, error) {
	if err := s.validName(x, &in, KindCertificate); err != nil {
		return IssuedCredential{}, err
	}
	is, err := s.authority.IssueClient(ctx, x.XRoadID(), x.MemberName, in.CSR, in.Days)
	if err != nil {
		return IssuedCredential{}, err
	}
	serial := is.Cert.SerialNumber.Text(16)
	detail := "certificate.issue serial=" + serial
	if replaces != 0 {
		detail = fmt.Sprintf("certificate.rotate #%d → serial=%s", replaces, serial)
	}
	var id int64
	notAfter := is.Cert.NotAfter.UTC().Truncate(time.Microsecond)
	err = s.write(ctx, a.ev(audit.HubCredential, x.Identifier, detail), func(tx *sql.Tx) error {
		if err := retireOld(ctx, tx, replaces, retire, a); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO hub_credentials (subsystem_id, kind, name, cert_serial, cert_sha256, cert_pem, not_after, replaces, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`, x.ID, KindCertificate, in.Name, serial, is.Fingerprint, is.CertPEM, notAfter, nullable(replaces), a.UserID, store.Now()).Scan(&id)
	})
	if err != nil {
		return IssuedCredential{}, err
	}
	c, err := s.Credential(ctx, id)
	return IssuedCredential{Credential: c, PrivateKey: is.KeyPEM, CACertificate: is.CAPEM}, err
}

// RevokeCredential stops a credential now: the gateway refuses it (and
// the tokens bought with it) from the next request on.
func (s *Store) RevokeCredential(ctx context.Context, id int64, a Actor) (Credential, error) {
	c, err := s.Credential(ctx, id)
	if err != nil {
		return c, err
	}
	now := store.Now()
	if c.RevokedAt != nil && !c.RevokedAt.After(now) {
		return c, nil // already stopped
	}
	label := c.ClientID
	if c.Kind == KindCertificate {
		label = "serial=" + c.CertSerial
	}
	err = s.write(ctx, a.ev(audit.HubCredential, c.Subsystem, fmt.Sprintf("%s.revoke #%d %s", c.Kind, c.ID, label)), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE hub_credentials SET revoked_at = $1, revoked_by = $2 WHERE id = $3`, now, a.UserID, id)
		return err
	})
	if err != nil {
		return c, err
	}
	return s.Credential(ctx, id)
}

// MaxGraceMinutes bounds how long a rotated credential keeps working.
const MaxGraceMinutes = 7 * 24 * 60

// RotateCredential issues a credential of the same kind for the same
// subsystem and stops the old one after the grace period.
func (s *Store) RotateCredential(ctx context.Context, id int64, in RotateInput, a Actor) (IssuedCredential, error) {
	c, err := s.Credential(ctx, id)
	if err != nil {
		return IssuedCredential{}, err
	}
	if !c.Active {
		return IssuedCredential{}, &errs.Error{Status: http.StatusConflict, Code: "hub_credential_inactive", Key: "error.hub.credential_inactive"}
	}
	if in.GraceMinutes < 0 || in.GraceMinutes > MaxGraceMinutes {
		return IssuedCredential{}, errs.Invalid(errs.Field{Name: "graceMinutes", Code: "range", Args: []any{0, MaxGraceMinutes}, Context: "hub"})
	}
	x, err := s.Subsystem(ctx, c.SubsystemID)
	if err != nil {
		return IssuedCredential{}, err
	}
	retire := store.Now().Add(time.Duration(in.GraceMinutes) * time.Minute)
	if in.Name == "" {
		in.Name = c.Name
	}
	if c.Kind == KindSecret {
		return s.issueSecret(ctx, x, in.CredentialInput, a, c.ID, &retire)
	}
	return s.issueCertificate(ctx, x, in.CredentialInput, a, c.ID, &retire)
}

// OperatorEvent is the audit event of an act of the CLI's operator, for
// RotateKey.
func OperatorEvent() audit.Event { return audit.Event{Actor: "cli"} }
