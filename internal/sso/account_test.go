package sso_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestOfficialPageButtons: the administrator ends an official's sessions
// everywhere, then removes their second factor, from the official's page;
// the official makes their recovery codes anew from the account page with
// a current code (a wrong one is refused, audited and changes nothing).
func TestOfficialPageButtons(t *testing.T) {
	t.Parallel()
	for engine, u := range testapp.DemoURLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			app := testapp.NewWith(t, u, func(c *config.Config) { c.TOTPRoles = "coordinator" })
			now := time.Now()
			// The coordinator enrols at the first login.
			official := newBrowser(app)
			p := official.get(t, "/login?next=%2Faccount")
			f := form(p.Body)
			f.Set("username", "dieuphoi")
			f.Set("password", demo.Password)
			p = official.post(t, "/login", f)
			m := totpSecret.FindStringSubmatch(p.Body)
			if m == nil {
				t.Fatalf("no enrolment: %d %s", p.Status, p.URL)
			}
			secret := m[1]
			c0, _ := totp.GenerateCode(secret, now)
			p = official.post(t, "/login/totp", withCode(p, c0))
			old := recoveryCodes.FindAllStringSubmatch(p.Body, -1)
			if len(old) != 10 {
				t.Fatalf("no recovery codes: %d", p.Status)
			}
			p = official.get(t, "/account")
			if !strings.Contains(p.Body, `action="/account/recovery"`) {
				t.Fatalf("no way to make recovery codes anew:\n%.400s", p.Body)
			}
			csrf := form(p.Body).Get("csrf")
			user := app.OfficialID(t, "dieuphoi")
			unused := func() int {
				return app.Count(t, `SELECT COUNT(*) FROM auth_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, user)
			}
			// The code just used at login, and a wrong one, are refused.
			for _, bad := range []string{c0, "000000", ""} {
				if p = official.post(t, "/account/recovery", map[string][]string{"csrf": {csrf}, "code": {bad}}); p.Status != 422 || !strings.Contains(p.Body, `id="recovery-err"`) {
					t.Fatalf("recovery codes with %q: %d\n%.400s", bad, p.Status, p.Body)
				}
			}
			if unused() != 10 || audits(t, app, "totp.recovery", false) != 3 {
				t.Fatalf("after refusals: %d codes, %d audited", unused(), audits(t, app, "totp.recovery", false))
			}
			c1, _ := totp.GenerateCode(secret, now.Add(30*time.Second))
			p = official.post(t, "/account/recovery", map[string][]string{"csrf": {csrf}, "code": {c1}})
			fresh := recoveryCodes.FindAllStringSubmatch(p.Body, -1)
			if p.Status != 200 || len(fresh) != 10 || fresh[0][1] == old[0][1] {
				t.Fatalf("new recovery codes: %d, %d codes", p.Status, len(fresh))
			}
			if unused() != 10 || audits(t, app, "totp.recovery", true) != 1 {
				t.Fatal("the old codes were not replaced, or not audited")
			}
			// An old recovery code no longer signs in; a new one does.
			second := newBrowser(app)
			p = second.login(t, second.get(t, "/login?next=%2Faccount"), "dieuphoi")
			if q := second.post(t, "/login/totp", withCode(p, old[1][1])); q.Status != 401 {
				t.Fatalf("an old recovery code: %d", q.Status)
			}
			if q := second.post(t, "/login/totp", withCode(p, fresh[1][1])); q.URL.Path != "/account" {
				t.Fatalf("a new recovery code: %d %s", q.Status, q.URL)
			}

			// The administrator's buttons.
			admin := newBrowser(app)
			page := "/officials/" + itoa(user)
			p = admin.login(t, admin.get(t, "/login?next="+page), "admin")
			for _, action := range []string{page + "/sessions/end", page + "/totp/reset"} {
				if !strings.Contains(p.Body, `action="`+action+`"`) {
					t.Fatalf("no button for %s on the official's page", action)
				}
			}
			csrf = form(p.Body).Get("csrf")
			p = admin.post(t, page+"/sessions/end", map[string][]string{"csrf": {csrf}})
			if p.URL.Path != page || !strings.Contains(p.Body, "đăng xuất khỏi mọi nơi") {
				t.Fatalf("sign out everywhere: %d %s\n%.300s", p.Status, p.URL, p.Body)
			}
			for _, b := range []*browser{official, second} {
				if q := b.get(t, "/account"); q.URL.Path != "/login" {
					t.Fatalf("still signed in after the administrator's sign-out: %s", q.URL)
				}
			}
			if app.Count(t, `SELECT COUNT(*) FROM auth_totp WHERE user_id = $1`, user) != 1 {
				t.Fatal("signing out removed the second factor")
			}
			p = admin.post(t, page+"/totp/reset", map[string][]string{"csrf": {csrf}})
			if p.URL.Path != page || app.Count(t, `SELECT COUNT(*) FROM auth_totp WHERE user_id = $1`, user) != 0 || unused() != 0 {
				t.Fatalf("reset: %d %s", p.Status, p.URL)
			}
			if audits(t, app, "totp.reset", true) != 1 {
				t.Fatal("the reset is not audited")
			}
			// A reporter cannot (org.Authorize refuses, audited).
			rep := newBrowser(app)
			p = rep.login(t, rep.get(t, "/login?next=%2Faccount"), "baocao.pleiku")
			if q := rep.post(t, page+"/sessions/end", map[string][]string{"csrf": {form(p.Body).Get("csrf")}}); q.Status != 403 && q.Status != 404 {
				t.Fatalf("a reporter ends an official's sessions: %d", q.Status)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
