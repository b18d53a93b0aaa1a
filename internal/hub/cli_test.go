package hub_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/cli"
	"github.com/tinhso/tinhso/internal/testapp"
)

func tinhso(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestHubCLI: `tinhso hub verify --db URL` exits 0 on an intact log and 1
// on a tampered one, naming the record (a changed field, a deleted record,
// a reordered seal); the credential commands issue, list and revoke.
func TestHubCLI(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			app := testapp.New(t, u)
			w := newWorld(t, app, false)
			auth := []string{"Authorization", "Bearer " + w.tokenW, "X-Road-Client", w.with}
			for i := range 3 { // three seals of a few records each
				for range 2 {
					call(t, nil, "GET", w.url+w.svc+"/records/"+strconv.Itoa(i), nil, auth...)
				}
				if err := w.gw.Log().Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			w.stop()
			w.stop = nil

			code, out, errOut := tinhso(t, "hub", "verify", "--db", u)
			if code != 0 || !strings.Contains(out, "chain plain: ok, 12 records, 3 seals, sealed to record 12, 0 not yet sealed") {
				t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
			}
			// The seals checked against the key printed by `hub keys`.
			_, keys, _ := tinhso(t, "hub", "keys", "--db", u)
			seal := regexp.MustCompile(`(?m)^seal .* active ([A-Za-z0-9+/=]+)$`).FindStringSubmatch(keys)
			if seal == nil {
				t.Fatalf("hub keys: %s", keys)
			}
			if code, out, _ := tinhso(t, "hub", "verify", "--db", u, "--public-key", seal[1]); code != 0 {
				t.Errorf("verify with the pinned key: %d %s", code, out)
			}
			if code, out, _ := tinhso(t, "hub", "verify", "--db", u, "--public-key", "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="); code == 0 || !strings.Contains(out, "not a trusted seal key") {
				t.Errorf("verify with another key: %d %s", code, out)
			}

			tamper := func(t *testing.T, name, sql, undo, want string) {
				t.Helper()
				if _, err := app.DB.Write.Exec(sql); err != nil {
					t.Fatal(err)
				}
				code, out, errOut := tinhso(t, "hub", "verify", "--db", u)
				if code != 1 || !strings.Contains(out, "BROKEN") || !strings.Contains(errOut, want) || strings.Count(errOut, "\n") != 1 {
					t.Errorf("%s: exit %d\nstdout: %s\nstderr: %s\nwant %q", name, code, out, errOut, want)
				}
				if undo != "" {
					if _, err := app.DB.Write.Exec(undo); err != nil {
						t.Fatal(err)
					}
				}
			}
			tamper(t, "one field", `UPDATE hub_log SET user_id = 'VN000000000000' WHERE chain = 'plain' AND seq = 5`,
				`UPDATE hub_log SET user_id = '' WHERE chain = 'plain' AND seq = 5`, "record 5 (x-road-request-id")
			swap := `UPDATE hub_log_seals SET seq = -2 WHERE chain = 'plain' AND seq = 2;
				UPDATE hub_log_seals SET seq = 2 WHERE chain = 'plain' AND seq = 3;
				UPDATE hub_log_seals SET seq = 3 WHERE chain = 'plain' AND seq = -2`
			tamper(t, "reordered seals", swap, swap, "seal 2")
			if code, _, errOut := tinhso(t, "hub", "verify", "--db", u); code != 0 {
				t.Fatalf("the log does not verify once repaired: %s", errOut)
			}
			tamper(t, "a deleted record", `DELETE FROM hub_log WHERE chain = 'plain' AND seq = 7`, "", "record 7 is missing")

			// Credentials from the command line.
			code, out, errOut = tinhso(t, "hub", "secret", w.with, "--db", u, "--name", "máy chủ")
			if code != 0 || !strings.Contains(out, "client_secret: hubs_") {
				t.Fatalf("hub secret: %d %s %s", code, out, errOut)
			}
			dir := t.TempDir()
			code, out, errOut = tinhso(t, "hub", "cert", strconv.FormatInt(w.withID, 10), "--db", u, "--out", dir, "--days", "10")
			if code != 0 {
				t.Fatalf("hub cert: %d %s %s", code, out, errOut)
			}
			base := filepath.Join(dir, strings.ReplaceAll(w.with, "/", "_"))
			if _, err := tls.LoadX509KeyPair(base+".crt", base+".key"); err != nil {
				t.Errorf("the files hub cert wrote: %v", err)
			}
			if fi, err := os.Stat(base + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("the key file: %v %v", fi.Mode(), err)
			}
			cred := regexp.MustCompile(`credential #(\d+)`).FindStringSubmatch(out)[1]
			if code, out, _ := tinhso(t, "hub", "revoke", cred, "--db", u); code != 0 || !strings.Contains(out, "revoked certificate #"+cred) {
				t.Errorf("hub revoke: %d %s", code, out)
			}
			if _, out, _ := tinhso(t, "hub", "credentials", w.with, "--db", u); !strings.Contains(out, fmt.Sprintf("#%s certificate stopped", cred)) {
				t.Errorf("hub credentials: %s", out)
			}
			if code, out, _ := tinhso(t, "hub", "rotate-key", "seal", "--db", u); code != 0 || !strings.Contains(out, "seal key") {
				t.Errorf("hub rotate-key: %d %s", code, out)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE actor = 'cli' AND kind IN ('hub.credential', 'hub.key')`); n != 4 {
				t.Errorf("%d audit rows of the CLI's acts, want 4", n)
			}
			code, _, errOut = tinhso(t, "hub", "secret", "TINHSO/GOV/KHONG/CO", "--db", u)
			if code == 0 || !strings.Contains(errOut, "no subsystem TINHSO/GOV/KHONG/CO") {
				t.Errorf("a secret for no subsystem: %d %s", code, errOut)
			}
		})
	}
}

// TestPeerCLI: `tinhso hub peering` prints what another hub registers this
// one with; `hub peer-add`, `peers`, `peer-disable` and `peer-enable`
// manage the peers, audited as the CLI's; bad input is refused.
func TestPeerCLI(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			app := testapp.New(t, u)
			code, out, errOut := tinhso(t, "hub", "peering", "--db", u)
			if code != 0 || !strings.HasPrefix(out, "instance TINHSO\n-----BEGIN CERTIFICATE-----") {
				t.Fatalf("hub peering: %d %s %s", code, out, errOut)
			}
			ca := filepath.Join(t.TempDir(), "ca.crt")
			if err := os.WriteFile(ca, []byte(strings.TrimPrefix(out, "instance TINHSO\n")), 0o644); err != nil {
				t.Fatal(err)
			}
			if code, _, errOut := tinhso(t, "hub", "peer-add", "VN", "--address", "https://ndxp.gov.vn:5500", "--db", u); code == 0 || !strings.Contains(errOut, "--ca FILE is required") {
				t.Errorf("peer-add without a CA: %d %s", code, errOut)
			}
			if code, _, _ := tinhso(t, "hub", "peer-add", "VN", "--address", "http://ndxp.gov.vn", "--ca", ca, "--db", u); code == 0 {
				t.Error("peer-add with an http address")
			}
			code, out, errOut = tinhso(t, "hub", "peer-add", "VN", "--address", "https://ndxp.gov.vn:5500", "--ca", ca, "--name", "Nền tảng NDXP", "--db", u)
			if code != 0 || !strings.Contains(out, "peer #1 VN at https://ndxp.gov.vn:5500 trusted") {
				t.Fatalf("peer-add: %d %s %s", code, out, errOut)
			}
			if code, out, _ := tinhso(t, "hub", "peer-disable", "VN", "--db", u); code != 0 || out != "peer VN disabled\n" {
				t.Errorf("peer-disable: %d %q", code, out)
			}
			if _, out, _ := tinhso(t, "hub", "peers", "--db", u); !strings.Contains(out, "VN         disabled https://ndxp.gov.vn:5500 Nền tảng NDXP") {
				t.Errorf("peers: %q", out)
			}
			if code, out, _ := tinhso(t, "hub", "peer-enable", "VN", "--db", u); code != 0 || out != "peer VN enabled\n" {
				t.Errorf("peer-enable: %d %q", code, out)
			}
			if code, _, errOut := tinhso(t, "hub", "peer-enable", "HN", "--db", u); code == 0 || !strings.Contains(errOut, `no peer of instance "HN"`) {
				t.Errorf("an unknown peer: %d %s", code, errOut)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE actor = 'cli' AND kind = 'hub.peer' AND subject = 'VN'`); n != 3 {
				t.Errorf("%d audit rows of the CLI's peer acts, want 3", n)
			}
		})
	}
}
