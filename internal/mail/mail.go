// Package mail sends e-mail through the SMTP server an operator
// configures (tinhso's reminders): a plain-text message in UTF-8 as RFC
// 5322 and MIME want it — the subject encoded per RFC 2047, the body
// quoted-printable — over SMTP with STARTTLS when the server offers it, or
// implicit TLS on port 465 (RFC 8314), and PLAIN authentication when a
// user is set (which net/smtp refuses to send unencrypted, except to the
// loopback). It is a leaf: it knows nothing of tinhso's domains.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/smtp"
	"strings"
	"time"
)

// Config is where and as whom mail is sent.
type Config struct {
	Addr     string // host:port of the SMTP server; port 465 means implicit TLS
	From     string // the sender, "Tên <dia.chi@tinh.gov.vn>" or a bare address
	User     string // for SMTP AUTH PLAIN; none when empty
	Password string
	// TLS is the client TLS configuration (nil: the system's roots and
	// the server's host name). Tests set RootCAs.
	TLS *tls.Config
	// Timeout bounds one whole delivery, dial to QUIT (1 minute when 0).
	Timeout time.Duration
	// LocalName is the name given in EHLO ("localhost" when empty).
	LocalName string
	// ImplicitTLS speaks TLS from the first byte; it is on for port 465
	// whatever it says.
	ImplicitTLS bool
}

// Client sends messages with one configuration. It is safe for
// concurrent use: each Send opens its own connection.
type Client struct {
	cfg  Config
	from *netmail.Address
	host string
}

// New checks cfg and returns its client.
func New(cfg Config) (*Client, error) {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("smtp-addr %q: want host:port", cfg.Addr)
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp-from %q: not an e-mail address", cfg.From)
	}
	if (cfg.User == "") != (cfg.Password == "") {
		return nil, errors.New("smtp-user and the SMTP password go together")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.LocalName == "" {
		cfg.LocalName = "localhost"
	}
	return &Client{cfg: cfg, from: from, host: host}, nil
}

// From is the sender's address.
func (c *Client) From() string { return c.from.Address }

// Message is one plain-text e-mail to one person.
type Message struct {
	To      string // address
	ToName  string // display name, may be Vietnamese
	Subject string
	Body    string // plain text; lines end with \n
}

// Send delivers m. The connection is closed when ctx ends.
func (c *Client) Send(ctx context.Context, m Message) error {
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("mail to %q: not an e-mail address", m.To)
	}
	to.Name = m.ToName
	_, domain, _ := strings.Cut(c.from.Address, "@")
	data, err := Format(*c.from, *to, m.Subject, m.Body, time.Now(), domain)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	conn, err := c.dial(ctx)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	err = c.deliver(conn, to.Address, data)
	if ctx.Err() != nil && err != nil {
		return fmt.Errorf("smtp %s: %w", c.cfg.Addr, ctx.Err())
	}
	return err
}

func (c *Client) tlsConfig() *tls.Config {
	cfg := &tls.Config{ServerName: c.host, MinVersion: tls.VersionTLS12}
	if c.cfg.TLS != nil {
		cfg = c.cfg.TLS.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = c.host
		}
	}
	return cfg
}

// implicitTLS reports whether the server expects TLS from the first byte
// (submissions over TLS, port 465).
func (c *Client) implicitTLS() bool {
	_, port, _ := net.SplitHostPort(c.cfg.Addr)
	return c.cfg.ImplicitTLS || port == "465"
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp %s: %w", c.cfg.Addr, err)
	}
	if !c.implicitTLS() {
		return conn, nil
	}
	tc := tls.Client(conn, c.tlsConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("smtp %s: TLS: %w", c.cfg.Addr, err)
	}
	return tc, nil
}

func (c *Client) deliver(conn net.Conn, to string, data []byte) error {
	sc, err := smtp.NewClient(conn, c.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: %w", c.cfg.Addr, err)
	}
	defer sc.Close()
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("smtp %s: %s: %w", c.cfg.Addr, what, err)
		}
		return nil
	}
	if err := step("EHLO", sc.Hello(c.cfg.LocalName)); err != nil {
		return err
	}
	if ok, _ := sc.Extension("STARTTLS"); ok && !c.implicitTLS() {
		if err := step("STARTTLS", sc.StartTLS(c.tlsConfig())); err != nil {
			return err
		}
	}
	if c.cfg.User != "" {
		if err := step("AUTH", sc.Auth(smtp.PlainAuth("", c.cfg.User, c.cfg.Password, c.host))); err != nil {
			return err
		}
	}
	if err := step("MAIL FROM", sc.Mail(c.from.Address)); err != nil {
		return err
	}
	if err := step("RCPT TO", sc.Rcpt(to)); err != nil {
		return err
	}
	w, err := sc.Data()
	if err := step("DATA", err); err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return step("DATA", err)
	}
	if err := step("DATA", w.Close()); err != nil {
		return err
	}
	return step("QUIT", sc.Quit())
}

// Format writes the message as RFC 5322 text with CRLF line ends: From,
// To, Subject (RFC 2047 encoded words when not ASCII, folded), Date,
// Message-ID (at domain), MIME-Version and a text/plain; charset=utf-8
// body in quoted-printable. Header values lose any CR or LF, so no input
// can add a header.
func Format(from, to netmail.Address, subject, body string, date time.Time, domain string) ([]byte, error) {
	var b bytes.Buffer
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	if domain == "" || strings.ContainsAny(domain, "<>@ \r\n") {
		domain = "localhost"
	}
	header := func(name, value string) {
		b.WriteString(name + ": " + value + "\r\n")
	}
	header("From", oneLine(from.String()))
	header("To", oneLine(to.String()))
	header("Subject", encodeSubject(oneLine(subject)))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	text := strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\r", "\n")
	if _, err := qp.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}

// encodeSubject encodes a subject as RFC 2047 Q-encoded words, each on a
// folded line of at most 78 characters (the first after "Subject: "),
// never splitting a character; plain ASCII is left as it is.
func encodeSubject(s string) string {
	ascii := true
	for _, r := range s {
		if r >= 0x80 || r < 0x20 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	const open, closing = "=?utf-8?q?", "?="
	var words []string
	var cur strings.Builder
	budget := 78 - len("Subject: ") - len(open) - len(closing)
	for _, r := range s {
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-!*+/.,:;()", r)):
			enc = string(r)
		default:
			var b strings.Builder
			for _, c := range []byte(string(r)) {
				fmt.Fprintf(&b, "=%02X", c)
			}
			enc = b.String()
		}
		if cur.Len()+len(enc) > budget {
			words = append(words, open+cur.String()+closing)
			cur.Reset()
			budget = 78 - 1 - len(open) - len(closing)
		}
		cur.WriteString(enc)
	}
	words = append(words, open+cur.String()+closing)
	return strings.Join(words, "\r\n ")
}
