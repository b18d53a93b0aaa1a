package hub_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestKeyFiles: the hub's keys in the database (the default) and in key
// files. `hub key-file` writes a key readable by its owner only; a file
// others may read is refused; with --hub-seal-key and --hub-ca-key the
// files' keys sign (seals, certificates) and no
// private key is left in the database, the older keys' erased; rotate-key
// refuses a purpose held in a file; a new file rotates the key, the old
// one still verifying.
func TestKeyFiles(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			dir := t.TempDir()
			// The database mode first: the keys' private halves are in hub_keys.
			if code, out, errOut := tinhso(t, "hub", "keys", "--db", u); code != 0 || strings.Count(out, "active") != 2 {
				t.Fatalf("hub keys: %d %s %s", code, out, errOut)
			}
			app0 := testapp.New(t, u)
			if n := app0.Count(t, `SELECT COUNT(*) FROM hub_keys WHERE private_key <> ''`); n != 2 {
				t.Fatalf("%d private keys in the database mode, want 2", n)
			}

			files := map[string]string{}
			pubs := map[string]string{}
			kidRe := regexp.MustCompile(`(\w+) key ([0-9a-f]{16}) \(([\w-]+)\), public key (\S+)`)
			for _, p := range []string{"seal", "ca"} {
				f := filepath.Join(dir, p+".pem")
				code, out, errOut := tinhso(t, "hub", "key-file", p, f)
				m := kidRe.FindStringSubmatch(out)
				if code != 0 || m == nil || m[1] != p {
					t.Fatalf("key-file %s: %d %s %s", p, code, out, errOut)
				}
				if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
					t.Fatalf("the key file's mode: %v %v", fi, err)
				}
				files[p], pubs[p] = f, m[2]
			}
			if code, _, errOut := tinhso(t, "hub", "key-file", "seal", files["seal"]); code == 0 || !strings.Contains(errOut, "exists") {
				t.Errorf("key-file over a file: %d %s", code, errOut)
			}
			os.Chmod(files["seal"], 0o644)
			if code, _, errOut := tinhso(t, "hub", "keys", "--db", u, "--hub-seal-key", files["seal"]); code == 0 || !strings.Contains(errOut, "mode 0644 lets others read it") {
				t.Errorf("a key file others may read: %d %s", code, errOut)
			}
			os.Chmod(files["seal"], 0o600)
			os.WriteFile(filepath.Join(dir, "bad.pem"), []byte("khong phai khoa"), 0o600)
			if code, _, errOut := tinhso(t, "hub", "keys", "--db", u, "--hub-seal-key", filepath.Join(dir, "bad.pem")); code == 0 || !strings.Contains(errOut, "want a PKCS #8 PEM block") {
				t.Errorf("not a key: %d %s", code, errOut)
			}
			if code, _, errOut := tinhso(t, "hub", "keys", "--db", u, "--hub-ca-key", files["seal"]); code == 0 || !strings.Contains(errOut, "want an ECDSA P-256 key") {
				t.Errorf("an Ed25519 key for the CA: %d %s", code, errOut)
			}

			app := testapp.NewWith(t, u, func(c *config.Config) {
				c.Hub.SealKey, c.Hub.CAKey = files["seal"], files["ca"]
			})
			w := newWorld(t, app, true) // the gateway's TLS certificate from the file's CA
			is := do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/certificates", w.withID), `{"name":"TLS một cửa","days":7}`)
			cert, err := tls.X509KeyPair([]byte(is["certificate"].(string)), []byte(is["privateKey"].(string)))
			if err != nil {
				t.Fatal(err)
			}
			roots := x509.NewCertPool()
			roots.AppendCertsFromPEM([]byte(is["caCertificate"].(string)))
			withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}}}}
			if a := call(t, withCert, "GET", w.url+w.svc+"/records/1", nil, "X-Road-Client", w.with); a.status != 200 {
				t.Fatalf("an exchange with a certificate of the file's CA: %d %s", a.status, a.body)
			}
			// A token of the single sign-on provider, through the TLS gateway.
			plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
			sw := do(t, app, "pheduyet.pleiku", "POST", fmt.Sprintf("/api/v1/hub/subsystems/%d/secrets", w.withID), `{"name":"một cửa"}`)
			req, _ := http.NewRequest("POST", w.url+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
			req.SetBasicAuth(sw["clientId"].(string), sw["clientSecret"].(string))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := plain.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			json.NewDecoder(res.Body).Decode(&tok)
			res.Body.Close()
			if a := call(t, plain, "GET", w.url+w.svc+"/records/2", nil, "X-Road-Client", w.with, "Authorization", "Bearer "+tok.AccessToken); a.status != 200 {
				t.Fatalf("an exchange with a token: %d %s", a.status, a.body)
			}
			if err := w.gw.Log().Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			w.stop()
			w.stop = nil
			if n := app.Count(t, `SELECT COUNT(*) FROM hub_keys WHERE private_key <> ''`); n != 0 {
				t.Errorf("%d private keys left in the database with key files", n)
			}
			_, keys, _ := tinhso(t, "hub", "keys", "--db", u)
			for p, kid := range pubs {
				if !regexp.MustCompile(`(?m)^` + p + ` +` + kid + ` .* active `).MatchString(keys) {
					t.Errorf("the %s key from the file is not the active one:\n%s", p, keys)
				}
			}
			sealPub := regexp.MustCompile(`(?m)^seal .* active ([A-Za-z0-9+/=]+)$`).FindStringSubmatch(keys)[1]
			if code, out, errOut := tinhso(t, "hub", "verify", "--db", u, "--public-key", sealPub); code != 0 || !strings.Contains(out, "chain tls: ok, 4 records, 1 seals") {
				t.Errorf("verify against the file's key: %d %s %s", code, out, errOut)
			}
			// The CA's certificates are signed by the file's key.
			certDir := filepath.Join(dir, "cert")
			if code, out, errOut := tinhso(t, "hub", "cert", w.with, "--db", u, "--out", certDir, "--hub-ca-key", files["ca"]); code != 0 {
				t.Fatalf("hub cert: %d %s %s", code, out, errOut)
			}
			caPEM, _ := os.ReadFile(filepath.Join(certDir, "ca.crt"))
			leafPEM, _ := os.ReadFile(filepath.Join(certDir, strings.ReplaceAll(w.with, "/", "_")+".crt"))
			lb, _ := pem.Decode(leafPEM)
			if lb == nil {
				t.Fatalf("no certificate in %s", certDir)
			}
			leaf, _ := x509.ParseCertificate(lb.Bytes)
			ca, _ := pem.Decode(caPEM)
			caCert, err := x509.ParseCertificate(ca.Bytes)
			if err != nil || leaf.CheckSignatureFrom(caCert) != nil || !strings.Contains(caCert.Subject.CommonName, pubs["ca"]) {
				t.Errorf("the client certificate and the file's CA: %v %v %s", err, leaf.CheckSignatureFrom(caCert), caCert.Subject.CommonName)
			}
			// Without the file the CA cannot sign: its key is not in the database.
			if code, _, errOut := tinhso(t, "hub", "cert", w.with, "--db", u, "--out", filepath.Join(dir, "cert2")); code == 0 || !strings.Contains(errOut, "held in a key file, not given here (--hub-ca-key)") {
				t.Errorf("hub cert without the CA's key file: %d %s", code, errOut)
			}
			if code, _, errOut := tinhso(t, "hub", "rotate-key", "seal", "--db", u, "--hub-seal-key", files["seal"]); code == 0 || !strings.Contains(errOut, "comes from the key file") {
				t.Errorf("rotate-key of a key file: %d %s", code, errOut)
			}
			if status, b, _ := app.Send(t, nil, testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/hub/keys/seal/rotate"}); status != 409 {
				t.Errorf("rotating a key file's key through the API: %d %s", status, b)
			}
			// Rotation: a new file.
			f2 := filepath.Join(dir, "seal2.pem")
			_, out, _ := tinhso(t, "hub", "key-file", "seal", f2)
			kid2 := kidRe.FindStringSubmatch(out)[2]
			if code, out, errOut := tinhso(t, "hub", "keys", "--db", u, "--hub-seal-key", f2); code != 0 ||
				!regexp.MustCompile(`(?m)^seal +`+kid2+` .* active `).MatchString(out) || !regexp.MustCompile(`(?m)^seal +`+pubs["seal"]+` .* retired `).MatchString(out) {
				t.Errorf("the new key file: %d %s %s", code, out, errOut)
			}
			if code, out, errOut := tinhso(t, "hub", "verify", "--db", u); code != 0 {
				t.Errorf("verify after the rotation: %d %s %s", code, out, errOut)
			}
			// Back to the old file: it holds a retired key.
			if code, _, errOut := tinhso(t, "hub", "keys", "--db", u, "--hub-seal-key", files["seal"]); code == 0 || !strings.Contains(errOut, "retired seal key") {
				t.Errorf("a retired key's file: %d %s", code, errOut)
			}
		})
	}
}
