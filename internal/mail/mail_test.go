package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/mail"
	"github.com/tinhso/tinhso/internal/mail/mailtest"
)

const body = "Kính gửi chị Bùi Thị Lan,\n\nBáo cáo chuyển đổi số hằng quý của sở, ban, ngành — Quý IV/2026 đến hạn ngày 16/12/2026 (còn 2 ngày làm việc). Một dòng rất dài để buộc quoted-printable phải xuống dòng mềm: Ủy ban nhân dân tỉnh Lai Châu, Sở Khoa học và Công nghệ, Hệ thống thông tin báo cáo của tỉnh.\n"

func send(t *testing.T, cfg mail.Config) error {
	t.Helper()
	c, err := mail.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c.Send(context.Background(), mail.Message{To: "lan@laichau.gov.vn", ToName: "Bùi Thị Lan", Subject: "tinhso: nhắc việc báo cáo định kỳ — 1 báo cáo sắp đến hạn, 1 báo cáo bị trả lại", Body: body})
}

// TestSendPlain sends to a loopback server that offers neither TLS nor
// AUTH and checks the message as RFC 5322 and MIME say: encoded subject
// and display name, UTF-8 quoted-printable body, CRLF lines of at most
// 78 characters, the headers a reader needs.
func TestSendPlain(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	if err := send(t, mail.Config{Addr: srv.Addr, From: "tinhso <tinhso@laichau.gov.vn>"}); err != nil {
		t.Fatal(err)
	}
	got := srv.Next(t, 10*time.Second)
	if got.From != "tinhso@laichau.gov.vn" || len(got.To) != 1 || got.To[0] != "lan@laichau.gov.vn" || got.TLS {
		t.Errorf("envelope %+v", got)
	}
	m := got.Parse(t)
	if m.Subject != "tinhso: nhắc việc báo cáo định kỳ — 1 báo cáo sắp đến hạn, 1 báo cáo bị trả lại" {
		t.Errorf("subject %q", m.Subject)
	}
	if !strings.Contains(m.RawHeader, "=?utf-8?q?") || strings.Contains(m.RawHeader, "nhắc") {
		t.Errorf("subject not RFC 2047 encoded:\n%s", m.RawHeader)
	}
	if m.To != "\"Bùi Thị Lan\" <lan@laichau.gov.vn>" && m.To != "Bùi Thị Lan <lan@laichau.gov.vn>" {
		t.Errorf("To %q", m.To)
	}
	for k, want := range map[string]string{"Content-Type": "text/plain; charset=utf-8", "Content-Transfer-Encoding": "quoted-printable", "MIME-Version": "1.0"} {
		if g := m.Header.Get(k); g != want {
			t.Errorf("%s: %q, want %q", k, g, want)
		}
	}
	if id := m.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@laichau.gov.vn>") {
		t.Errorf("Message-ID %q: want <…@the sender's domain>", id)
	}
	if m.Header.Get("Date") == "" {
		t.Errorf("Message-ID or Date missing:\n%s", m.RawHeader)
	}
	if _, err := m.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if strings.ReplaceAll(m.Body, "\r\n", "\n") != body {
		t.Errorf("body %q", m.Body)
	}
	for _, line := range strings.Split(string(got.Data), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line of %d characters: %q", len(line), line)
		}
		if strings.Contains(line, "\n") || strings.Contains(line, "\r") {
			t.Errorf("bare line end in %q", line)
		}
	}
}

// TestSendSecure goes through STARTTLS with AUTH PLAIN, then implicit TLS;
// a wrong password is refused with the step named.
func TestSendSecure(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{StartTLS: true, User: "tinhso", Password: "mật-khẩu-thư"})
	cfg := mail.Config{Addr: srv.Addr, From: "tinhso@gialai.gov.vn", User: "tinhso", Password: "mật-khẩu-thư", TLS: srv.ClientTLS}
	if err := send(t, cfg); err != nil {
		t.Fatal(err)
	}
	if got := srv.Next(t, 10*time.Second); !got.TLS || got.AuthUser != "tinhso" {
		t.Errorf("STARTTLS: TLS %v, user %q", got.TLS, got.AuthUser)
	}
	cfg.Password = "sai"
	if err := send(t, cfg); err == nil || !strings.Contains(err.Error(), "AUTH") {
		t.Errorf("wrong password: %v", err)
	}

	tlsSrv := mailtest.Start(t, mailtest.Options{Implicit: true})
	if err := send(t, mail.Config{Addr: tlsSrv.Addr, From: "tinhso@gialai.gov.vn", TLS: tlsSrv.ClientTLS, ImplicitTLS: true}); err != nil {
		t.Fatal(err)
	}
	if got := tlsSrv.Next(t, 10*time.Second); !got.TLS {
		t.Errorf("implicit TLS: message came in clear")
	}
	// A certificate the client does not trust stops the delivery.
	if err := send(t, mail.Config{Addr: tlsSrv.Addr, From: "tinhso@gialai.gov.vn", ImplicitTLS: true}); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("untrusted certificate: %v", err)
	}
}

// TestNoHeaderInjection keeps a subject or name with line breaks on one
// header line.
func TestNoHeaderInjection(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	c, err := mail.New(mail.Config{Addr: srv.Addr, From: "tinhso@gialai.gov.vn"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(context.Background(), mail.Message{To: "a@b.vn", ToName: "A\r\nBcc: x@y.vn", Subject: "Báo cáo\r\nBcc: x@y.vn", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	m := srv.Next(t, 10*time.Second).Parse(t)
	if m.Header.Get("Bcc") != "" {
		t.Errorf("a Bcc header got in:\n%s", m.RawHeader)
	}
}

// TestNewRefusesBadSettings names each mistake.
func TestNewRefusesBadSettings(t *testing.T) {
	for _, tc := range []struct {
		cfg  mail.Config
		want string
	}{
		{mail.Config{Addr: "smtp.gov.vn", From: "a@b.vn"}, "smtp-addr"},
		{mail.Config{Addr: "smtp.gov.vn:587", From: "không phải địa chỉ"}, "smtp-from"},
		{mail.Config{Addr: "smtp.gov.vn:587", From: "a@b.vn", User: "u"}, "password"},
	} {
		if _, err := mail.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %s", tc.cfg, err, tc.want)
		}
	}
}
