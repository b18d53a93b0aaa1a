// Package mailtest is a loopback SMTP server for tests: it speaks enough
// of RFC 5321 (EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP,
// QUIT), optionally over implicit TLS, and hands each message it receives
// to the test, decoded far enough to check headers and the body.
package mailtest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options choose what the server offers.
type Options struct {
	StartTLS bool // offer STARTTLS
	Implicit bool // TLS from the first byte (as on port 465)
	User     string
	Password string // with User: AUTH PLAIN is required before MAIL
}

// Received is one message as the server got it.
type Received struct {
	From     string
	To       []string
	Data     []byte // as sent, dot-unstuffed, CRLF line ends
	TLS      bool   // the message came over TLS (STARTTLS or implicit)
	AuthUser string
}

// Server is a running loopback SMTP server.
type Server struct {
	Addr string
	// ClientTLS trusts the server's certificate (for mail.Config.TLS).
	ClientTLS *tls.Config
	opts      Options
	ln        net.Listener
	serverTLS *tls.Config
	got       chan Received
	mu        sync.Mutex
	wg        sync.WaitGroup
	conns     int
}

// Start listens on 127.0.0.1:0 until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	server, client := certificates(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), ClientTLS: client, opts: opts, ln: ln, serverTLS: server, got: make(chan Received, 64)}
	if opts.Implicit {
		s.ln = tls.NewListener(ln, server)
	}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// Connections counts the connections accepted so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Next waits for the next message, failing the test after d.
func (s *Server) Next(t testing.TB, d time.Duration) Received {
	t.Helper()
	select {
	case m := <-s.got:
		return m
	case <-time.After(d):
		t.Fatalf("mailtest: no message within %v", d)
	}
	return Received{}
}

// Pending lists the messages received and not yet taken.
func (s *Server) Pending() []Received {
	var out []Received
	for {
		select {
		case m := <-s.got:
			out = append(out, m)
		default:
			return out
		}
	}
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(c)
		}()
	}
}

func (s *Server) session(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	_, secure := c.(*tls.Conn)
	r := bufio.NewReader(c)
	say := func(line string) { io.WriteString(c, line+"\r\n") }
	say("220 mailtest ESMTP")
	var m Received
	authed := s.opts.User == ""
	user := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			say("250-mailtest greets " + arg)
			if s.opts.StartTLS && !secure {
				say("250-STARTTLS")
			}
			if s.opts.User != "" {
				say("250-AUTH PLAIN")
			}
			say("250 8BITMIME")
		case "HELO", "NOOP":
			say("250 ok")
		case "RSET":
			m = Received{}
			say("250 ok")
		case "STARTTLS":
			if !s.opts.StartTLS || secure {
				say("502 not offered")
				continue
			}
			say("220 go ahead")
			tc := tls.Server(c, s.serverTLS)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, secure, r = tc, true, bufio.NewReader(tc)
			say = func(line string) { io.WriteString(tc, line+"\r\n") }
			m, authed = Received{}, s.opts.User == ""
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") || s.opts.User == "" {
				say("504 unrecognised mechanism")
				continue
			}
			if resp == "" {
				say("334 ")
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				resp = strings.TrimSpace(l)
			}
			b, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(b), "\x00")
			if err != nil || len(parts) != 3 || parts[1] != s.opts.User || parts[2] != s.opts.Password {
				say("535 authentication failed")
				continue
			}
			authed, user = true, parts[1]
			say("235 authenticated")
		case "MAIL":
			if !authed {
				say("530 authentication required")
				continue
			}
			m = Received{From: address(arg), TLS: secure, AuthUser: user}
			say("250 ok")
		case "RCPT":
			m.To = append(m.To, address(arg))
			say("250 ok")
		case "DATA":
			say("354 end with .")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			m.Data = []byte(data.String())
			s.got <- m
			m = Received{}
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("500 unknown command")
		}
	}
}

// address takes the path out of "FROM:<a@b>" or "TO:<a@b> SIZE=…".
func address(arg string) string {
	if i := strings.Index(arg, "<"); i >= 0 {
		if j := strings.Index(arg[i:], ">"); j >= 0 {
			return arg[i+1 : i+j]
		}
	}
	return arg
}

// Message is a received message parsed: its headers (encoded words
// decoded) and its body (quoted-printable decoded).
type Message struct {
	Header netmail.Header
	// Subject, From and To decoded.
	Subject, From, To string
	Body              string
	// Raw header lines, to check encodings and folding.
	RawHeader string
}

// Parse parses what the server received.
func (m Received) Parse(t testing.TB) Message {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(string(m.Data)))
	if err != nil {
		t.Fatalf("mailtest: parse message: %v\n%s", err, m.Data)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("mailtest: subject: %v", err)
	}
	from, _ := dec.DecodeHeader(msg.Header.Get("From"))
	to, _ := dec.DecodeHeader(msg.Header.Get("To"))
	var body []byte
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body, err = io.ReadAll(quotedprintable.NewReader(msg.Body))
	} else {
		body, err = io.ReadAll(msg.Body)
	}
	if err != nil {
		t.Fatalf("mailtest: body: %v", err)
	}
	raw, _, _ := strings.Cut(string(m.Data), "\r\n\r\n")
	return Message{Header: msg.Header, Subject: subject, From: from, To: to, Body: string(body), RawHeader: raw}
}

// certificates makes a self-signed certificate for 127.0.0.1: the
// server's TLS configuration, and a client one that trusts it.
func certificates(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mailtest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client
}
