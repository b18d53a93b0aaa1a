package config_test

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/config"
)

func TestValidateNamesEveryMistake(t *testing.T) {
	c := config.Default()
	c.Addr, c.Database, c.LogLevel, c.TrustedProxies, c.TLSCert = "nohost", "mysql://x", "loud", "10.0.0.0/8, not-an-ip", "cert.pem"
	c.Calendar = "no-such-holidays.txt"
	err := c.Validate()
	if err == nil {
		t.Fatal("a bad configuration validated")
	}
	for _, want := range []string{"addr", "db", "log-level", "trusted-proxies", "tls-cert and tls-key", "calendar: open no-such-holidays.txt"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %s: %v", want, err)
		}
	}
	if err := config.Default().Validate(); err != nil {
		t.Fatalf("the default configuration is invalid: %v", err)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	t.Setenv("TINHSO_ADDR", "127.0.0.1:9001")
	t.Setenv("TINHSO_DATABASE_URL", "sqlite:/tmp/x.db")
	c := config.Default()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Bind(fs)
	if err := fs.Parse([]string{"-addr", "127.0.0.1:9002"}); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9002" || c.Database != "sqlite:/tmp/x.db" {
		t.Fatalf("addr %s, db %s", c.Addr, c.Database)
	}
	c.TrustedProxies = "10.0.0.5, 192.0.2.0/24"
	ps, err := c.Proxies()
	if err != nil || len(ps) != 2 || ps[0].Bits() != 32 {
		t.Fatalf("proxies %v, %v", ps, err)
	}
}

func TestMetricsAndTokenSettings(t *testing.T) {
	c := config.Default()
	c.MetricsAddr, c.MetricsToken, c.TokenTTL, c.TokenMaxTTL = "metrics", "short", "400d", "365d"
	err := c.Validate()
	for _, want := range []string{"metrics-addr", "metrics-token", "token-ttl \"400d\" is longer than token-max-ttl"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %s: %v", want, err)
		}
	}
	c = config.Default()
	c.MetricsAddr = c.Addr
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "must differ from addr") {
		t.Errorf("metrics on the main address: %v", err)
	}
	for _, bad := range []string{"", "0d", "-3d", "tomorrow", "1.5d", "0s", "-1h"} {
		c = config.Default()
		c.TokenTTL = bad
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "token-ttl") {
			t.Errorf("token-ttl %q validated: %v", bad, err)
		}
	}
	c = config.Default()
	c.TokenTTL, c.TokenMaxTTL = "12h", "30d"
	def, max, err := c.TokenLifetimes()
	if err != nil || def != 12*time.Hour || max != 30*24*time.Hour {
		t.Errorf("lifetimes %v %v %v", def, max, err)
	}
	t.Setenv("TINHSO_TOKEN_MAX_TTL", "60d")
	t.Setenv("TINHSO_METRICS_TOKEN", "kiem-tra-so-lieu-giam-sat-2026")
	c = config.Default()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Bind(fs)
	if err := fs.Parse([]string{"-token-ttl", "7d", "-metrics-addr", "127.0.0.1:9100"}); err != nil {
		t.Fatal(err)
	}
	if c.TokenTTL != "7d" || c.TokenMaxTTL != "60d" || c.MetricsAddr != "127.0.0.1:9100" || c.MetricsToken == "" {
		t.Errorf("bound %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("a good configuration: %v", err)
	}
}

func TestHubSettings(t *testing.T) {
	c := config.Default()
	c.Hub = config.Hub{Addr: c.Addr, Instance: "LGSP LC", Node: "", Rate: "-1", FailOpen: "maybe", Errors: "kebab", TLSCert: "x.pem",
		ArchiveDays: "-3", OpmonDays: "7", TSAURL: "ftp://tsa", SealKey: "khong-co.pem", TimestampFailure: "bốn giờ"}
	err := c.Validate()
	if err == nil {
		t.Fatal("bad hub settings accepted")
	}
	for _, want := range []string{"hub-addr", "hub-instance", "hub-node", "hub-rate", "hub-log-fail-open", "hub-errors", "hub-tls-cert and hub-tls-key",
		"hub-archive-days", "hub-tsa-url", "khong-co.pem", "hub-timestamp-failure-period"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q missing from %v", want, err)
		}
	}
	d := config.Default()
	if err := d.Validate(); err != nil || d.Hub.Instance == "" || d.Hub.FailsOpen() {
		t.Errorf("defaults: %v %+v", err, d.Hub)
	}
	if n, err := d.Hub.RateLimit(); err != nil || n != 100 {
		t.Errorf("default rate %d %v", n, err)
	}
	if a, o, err := d.Hub.Days(); err != nil || a != 180 || o != 7 || len(d.Hub.KeyFiles()) != 0 {
		t.Errorf("default retention %d %d %v, key files %v", a, o, err, d.Hub.KeyFiles())
	}
	// X-Road's acceptable-timestamp-failure-period: 4 hours, 0 for never.
	if p, err := d.Hub.TimestampFailurePeriod(); err != nil || p != 4*time.Hour {
		t.Errorf("default timestamp failure period %v %v", p, err)
	}
	for v, want := range map[string]time.Duration{"0": 0, "30m": 30 * time.Minute, " 2h ": 2 * time.Hour} {
		if p, err := (config.Hub{TimestampFailure: v}).TimestampFailurePeriod(); err != nil || p != want {
			t.Errorf("%q: %v %v", v, p, err)
		}
	}
	if _, err := (config.Hub{TimestampFailure: "-1h"}).TimestampFailurePeriod(); err == nil {
		t.Error("a negative period accepted")
	}
}

// TestSMTPSettings: e-mail is optional; when asked for, the server and the
// sender go together and so do the user and the password, which comes from
// the environment only.
func TestSMTPSettings(t *testing.T) {
	c := config.Default()
	c.SMTPFrom = "tinhso@gialai.gov.vn"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "need smtp-addr") {
		t.Errorf("smtp-from without smtp-addr: %v", err)
	}
	c = config.Default()
	c.SMTPAddr, c.SMTPFrom, c.SMTPUser = "mail.gialai.gov.vn", "không phải địa chỉ", "tinhso"
	err := c.Validate()
	for _, want := range []string{"smtp-addr \"mail.gialai.gov.vn\": want host:port", "smtp-from", "smtp-user: set the password in TINHSO_SMTP_PASSWORD"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %s: %v", want, err)
		}
	}
	t.Setenv("TINHSO_SMTP_ADDR", "mail.gialai.gov.vn:587")
	t.Setenv("TINHSO_SMTP_PASSWORD", "mật khẩu thư")
	c = config.Default()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Bind(fs)
	if err := fs.Parse([]string{"-smtp-from", "tinhso <tinhso@gialai.gov.vn>", "-smtp-user", "tinhso"}); err != nil {
		t.Fatal(err)
	}
	if c.SMTPAddr != "mail.gialai.gov.vn:587" || c.SMTPPassword != "mật khẩu thư" || c.SMTPUser != "tinhso" {
		t.Errorf("smtp settings %q %q %q", c.SMTPAddr, c.SMTPUser, c.SMTPPassword)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("a full SMTP configuration: %v", err)
	}
	if fs.Lookup("smtp-password") != nil {
		t.Error("the SMTP password is a flag: it would show in the process list")
	}
}
