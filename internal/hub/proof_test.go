package hub_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// TestProofCLI: `tinhso hub export-proof` writes one exchange with the
// chain to its seal; `tinhso hub verify-proof FILE` checks it without a
// database, exit 0, and exits 1 naming what is wrong when a field of the
// exchange, a record of the chain, the seal or its key is changed; a key
// pinned with --public-key that is not the seal's fails it.
func TestProofCLI(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			app := testapp.New(t, u)
			w := newWorld(t, app, false)
			auth := []string{"Authorization", "Bearer " + w.tokenW, "X-Road-Client", w.with}
			a := call(t, nil, "GET", w.url+w.svc+"/records/079123", nil, append(auth, "X-Road-UserId", "VN079123")...)
			call(t, nil, "GET", w.url+w.svc+"/records/2", nil, auth...)
			rid := a.header.Get("X-Road-Request-Id")
			// The one-stop system opts in: the bodies of its exchanges are
			// kept 30 days.
			do(t, app, "pheduyet.pleiku", "PUT", fmt.Sprintf("/api/v1/hub/subsystems/%d", w.withID), `{"name":"Một cửa điện tử","keepBodiesDays":30}`)
			kept := call(t, nil, "POST", w.url+w.svc+"/requests", strings.NewReader(`{"ho_ten":"Nguyễn Văn A","so_cccd":"079123456789"}`), append(auth, "Content-Type", "application/json")...)
			if kept.status != 200 {
				t.Fatalf("%d %s", kept.status, kept.body)
			}
			keptID := kept.header.Get("X-Road-Request-Id")
			dir := t.TempDir()
			file := filepath.Join(dir, "proof.json")
			// Not sealed yet: a clear error.
			if code, _, errOut := tinhso(t, "hub", "export-proof", rid, "--db", u, "--out", file); code == 0 || !strings.Contains(errOut, "not sealed yet") {
				t.Errorf("before the seal: %d %s", code, errOut)
			}
			if err := w.gw.Log().Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := tinhso(t, "hub", "export-proof", rid, "--db", u, "--out", file)
			if code != 0 || !strings.Contains(out, "2 records of exchange "+rid) {
				t.Fatalf("export-proof: %d %s %s", code, out, errOut)
			}
			if code, _, errOut := tinhso(t, "hub", "export-proof", "khong-co", "--db", u); code == 0 || !strings.Contains(errOut, `no exchange with X-Road-Request-Id "khong-co"`) {
				t.Errorf("an unknown exchange: %d %s", code, errOut)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_log_bodies WHERE x_request_id = $1`, rid); n != 0 {
				t.Errorf("%d bodies kept of an exchange before the opt-in", n)
			}
			var body []byte
			if err := app.DB.Read.QueryRow(`SELECT body FROM hub_log_bodies WHERE x_request_id = $1 AND part = 'request'`, keptID).Scan(&body); err != nil || !strings.Contains(string(body), "Nguyễn Văn A") {
				t.Errorf("the request body kept: %q %v", body, err)
			}
			bodyFile := filepath.Join(dir, "bodies.json")
			if code, out, errOut := tinhso(t, "hub", "export-proof", keptID, "--bodies", "--db", u, "--out", bodyFile); code != 0 || !strings.Contains(out, "2 bodies") {
				t.Fatalf("export-proof --bodies: %d %s %s", code, out, errOut)
			}
			if code, out, errOut := tinhso(t, "hub", "verify-proof", bodyFile); code != 0 || !strings.Contains(out, "2 bodies match their digests") {
				t.Errorf("verify-proof with bodies: %d %s %s", code, out, errOut)
			}
			b, _ := os.ReadFile(bodyFile)
			var p map[string]any
			json.Unmarshal(b, &p)
			p["bodies"].([]any)[0].(map[string]any)["body"] = base64.StdEncoding.EncodeToString([]byte(`{"ho_ten":"Nguyễn Văn B","so_cccd":"079123456789"}`))
			b, _ = json.Marshal(p)
			os.WriteFile(bodyFile, b, 0o644)
			if code, _, errOut := tinhso(t, "hub", "verify-proof", bodyFile); code != 1 || !strings.Contains(errOut, "body does not match the digest") {
				t.Errorf("a changed body: %d %s", code, errOut)
			}
			// Retention: once their days are over, the bodies go (the
			// digests stay in the log).
			app.DB.Write.Exec(`UPDATE hub_log_bodies SET expires_at_us = 1 WHERE x_request_id = $1`, keptID)
			if err := w.gw.Log().Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_log_bodies WHERE x_request_id = $1`, keptID); n != 0 {
				t.Errorf("%d expired bodies left", n)
			}
			w.stop()
			w.stop = nil

			// Offline: no --db.
			code, out, errOut = tinhso(t, "hub", "verify-proof", file)
			if code != 0 || !strings.Contains(out, "proof ok: exchange "+rid+", 2 records of it in chain plain") {
				t.Fatalf("verify-proof: %d %s %s", code, out, errOut)
			}
			_, keys, _ := tinhso(t, "hub", "keys", "--db", u)
			seal := regexp.MustCompile(`(?m)^seal .* active ([A-Za-z0-9+/=]+)$`).FindStringSubmatch(keys)
			if code, out, _ := tinhso(t, "hub", "verify-proof", file, "--public-key", seal[1]); code != 0 {
				t.Errorf("with the pinned key: %d %s", code, out)
			}
			if code, _, errOut := tinhso(t, "hub", "verify-proof", file, "--public-key", "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="); code != 1 || !strings.Contains(errOut, "not a trusted key") {
				t.Errorf("with another pinned key: %d %s", code, errOut)
			}

			orig, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			tampered := func(name string, change func(p map[string]any), want string) {
				t.Helper()
				var p map[string]any
				json.Unmarshal(orig, &p)
				change(p)
				b, _ := json.Marshal(p)
				f := filepath.Join(dir, "tampered.json")
				os.WriteFile(f, b, 0o644)
				code, _, errOut := tinhso(t, "hub", "verify-proof", f)
				if code != 1 || !strings.Contains(errOut, want) {
					t.Errorf("%s: exit %d %s, want %q", name, code, errOut, want)
				}
			}
			recs := func(p map[string]any) []any { return p["records"].([]any) }
			tampered("the status of the exchange", func(p map[string]any) { recs(p)[1].(map[string]any)["status"] = 204 }, "has been altered")
			tampered("the user of the exchange", func(p map[string]any) { recs(p)[0].(map[string]any)["userId"] = "VN000" }, "record")
			tampered("a record of the chain left out", func(p map[string]any) {
				r := recs(p)
				p["records"] = append(r[:2:2], r[3:]...)
			}, "a record is missing")
			tampered("the seal's time", func(p map[string]any) { p["seal"].(map[string]any)["sealedAtUs"] = 1 }, "signature does not verify")
			tampered("another key", func(p map[string]any) { p["publicKey"] = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" }, "not the seal's key")
			tampered("another exchange named", func(p map[string]any) { p["xRequestId"] = "khac" }, "is not one of exchange khac")
			if code, _, errOut := tinhso(t, "hub", "verify-proof", filepath.Join(dir, "khong-co.json")); code == 0 || !strings.Contains(errOut, "no such file") {
				t.Errorf("no file: %d %s", code, errOut)
			}
			os.WriteFile(filepath.Join(dir, "x.json"), []byte(`{"version":"khac"}`), 0o644)
			if code, _, errOut := tinhso(t, "hub", "verify-proof", filepath.Join(dir, "x.json")); code == 0 || !strings.Contains(errOut, "not a proof file") {
				t.Errorf("not a proof: %d %s", code, errOut)
			}
		})
	}
}
