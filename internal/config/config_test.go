package config_test

import (
	"flag"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/config"
)

func TestValidateNamesEveryMistake(t *testing.T) {
	c := config.Default()
	c.Addr, c.Database, c.LogLevel, c.TrustedProxies, c.TLSCert = "nohost", "mysql://x", "loud", "10.0.0.0/8, not-an-ip", "cert.pem"
	err := c.Validate()
	if err == nil {
		t.Fatal("a bad configuration validated")
	}
	for _, want := range []string{"addr", "db", "log-level", "trusted-proxies", "tls-cert and tls-key"} {
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
