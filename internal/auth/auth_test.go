package auth_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	pwhash "github.com/tinhso/tinhso/internal/password"

	"github.com/tinhso/tinhso/internal/auth"
	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/server"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/store/storetest"
)

const password = "mat-khau-dung-1"

// site is a whole tinhso server on a small registry: a nation, a province,
// an administrator and two officials.
type site struct {
	t   *testing.T
	db  *store.DB
	url string
}

func newSite(t *testing.T, db *store.DB, cfg config.Config) *site {
	t.Helper()
	ctx := context.Background()
	orgs := org.NewStore(db, pwhash.Cheap())
	vn, err := orgs.CreateUnit(ctx, org.UnitInput{Code: "VN", Name: "Việt Nam", Kind: "nation", ValidFrom: "2000-01-01"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := orgs.CreateUnit(ctx, org.UnitInput{Code: "LC", Name: "Tỉnh Lai Châu", Kind: "province", ParentID: &vn.ID, ValidFrom: "2004-01-01"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []org.OfficialInput{
		{Username: "quan.tri", FullName: "Nguyễn Văn An", UnitID: vn.ID, Roles: []org.Grant{{Role: org.RoleAdmin}}},
		{Username: "can.bo", FullName: "Bùi Thị Lan", UnitID: p.ID, Roles: []org.Grant{{Role: org.RoleReporter}}},
		{Username: "nguoi.khac", FullName: "Lò Văn Sáng", UnitID: p.ID, Roles: []org.Grant{{Role: org.RoleReporter}}},
	} {
		o.Password = password
		if err := db.Tx(ctx, func(tx *sql.Tx) error { _, err := orgs.CreateOfficial(ctx, tx, o); return err }); err != nil {
			t.Fatal(err)
		}
	}
	return serve(t, db, cfg)
}

func serve(t *testing.T, db *store.DB, cfg config.Config) *site {
	// These tests are about the password step; the second factor has its
	// own (internal/sso/totp_test.go).
	cfg.TOTPRoles = "none"
	ts := httptest.NewServer(server.New(cfg, db).Handler())
	t.Cleanup(ts.Close)
	return &site{t: t, db: db, url: ts.URL}
}

func (s *site) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.Read.QueryRow(query, args...).Scan(&n); err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// audited counts the audit rows of a kind about a subject.
func (s *site) audited(kind, subject string, success bool) int {
	s.t.Helper()
	return s.count(`SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND subject = $2 AND success = $3`, kind, subject, success)
}

// browser keeps cookies and shows redirects instead of following them.
type browser struct {
	s      *site
	client *http.Client
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{s: s, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status int
	body   string
	header http.Header
}

func (b *browser) do(method, path string, form url.Values, header ...string) answer {
	b.s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.url+path, body)
	if err != nil {
		b.s.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, string(out), res.Header}
}

func (b *browser) get(path string, header ...string) answer { return b.do("GET", path, nil, header...) }

func (b *browser) post(path string, form url.Values, header ...string) answer {
	return b.do("POST", path, form, header...)
}

func (b *browser) login(username, pw string) answer {
	b.s.t.Helper()
	return b.post("/login", url.Values{"username": {username}, "password": {pw}})
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token of the session from the account page.
func (b *browser) csrf() string {
	b.s.t.Helper()
	m := csrfRe.FindStringSubmatch(b.get("/account").body)
	if m == nil {
		b.s.t.Fatal("no CSRF token on /account")
	}
	return m[1]
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.s.url)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// signedIn logs username in and fails the test otherwise.
func (s *site) signedIn(username string) *browser {
	s.t.Helper()
	b := s.browser()
	if a := b.login(username, password); a.status != http.StatusSeeOther {
		s.t.Fatalf("login %s: %d\n%s", username, a.status, a.body)
	}
	return b
}

// setCookie finds a Set-Cookie header of an answer.
func setCookie(a answer, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestPasswordHashes(t *testing.T) {
	t.Parallel()
	h1, err := pwhash.Cheap().Hash("mật khẩu tiếng Việt")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := pwhash.Cheap().Hash("mật khẩu tiếng Việt")
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=1024,t=1,p=1$") || h1 == h2 {
		t.Errorf("hashes %q and %q: want argon2id with its costs and a fresh salt each", h1, h2)
	}
	for pw, want := range map[string]bool{"mật khẩu tiếng Việt": true, "mat khau tieng Viet": false, "": false} {
		if ok, err := pwhash.Check(h1, pw); ok != want || err != nil {
			t.Errorf("CheckPassword(%q) = %v, %v", pw, ok, err)
		}
	}
	// A hash made with other costs still verifies: it carries them.
	h3, _ := pwhash.Hasher{Memory: 2048, Time: 2, Threads: 2}.Hash("x")
	if ok, _ := pwhash.Check(h3, "x"); !ok || !strings.Contains(h3, "m=2048,t=2,p=2") {
		t.Errorf("a hash with other costs does not verify: %s", h3)
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=18$m=1024,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=x$c2FsdA$a2V5", "$argon2id$v=19$m=1024,t=1,p=1$!!$a2V5"} {
		if ok, err := pwhash.Check(bad, "x"); ok || err == nil {
			t.Errorf("CheckPassword(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, config.Default())
		b := s.browser()
		a := b.login("  CAN.BO ", password)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/" {
			t.Fatalf("login: %d to %q", a.status, a.header.Get("Location"))
		}
		c := setCookie(a, auth.SessionCookie)
		if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.MaxAge <= 0 || len(c.Value) < 32 {
			t.Fatalf("session cookie: %+v", c)
		}
		// The session is stored by the hash of its secret only.
		if s.count(`SELECT COUNT(*) FROM sessions WHERE token_hash = $1`, c.Value) != 0 || s.count(`SELECT COUNT(*) FROM sessions`) != 1 {
			t.Error("the session secret is stored in clear, or no session was stored")
		}
		if s.audited("login", "can.bo", true) != 1 {
			t.Error("no audit row for the login")
		}
		if a := b.get("/account"); a.status != 200 || !strings.Contains(a.body, "Bùi Thị Lan") {
			t.Errorf("/account after login: %d", a.status)
		}
		// Where the person was going is where they land.
		if a := s.browser().post("/login", url.Values{"username": {"can.bo"}, "password": {password}, "next": {"/units?asOf=2023-01-01"}}); a.header.Get("Location") != "/units?asOf=2023-01-01" {
			t.Errorf("next ignored: %q", a.header.Get("Location"))
		}
		if a := s.browser().post("/login", url.Values{"username": {"can.bo"}, "password": {password}, "next": {"https://evil.example/"}}); a.header.Get("Location") != "/" {
			t.Errorf("an outside next is followed: %q", a.header.Get("Location"))
		}
		// Missing fields are named.
		a = s.browser().login("", "")
		if a.status != 422 || !strings.Contains(a.body, "Tên đăng nhập: bắt buộc nhập") || !strings.Contains(a.body, "Mật khẩu: bắt buộc nhập") {
			t.Errorf("empty login form: %d", a.status)
		}
	})
}

func TestSecureCookiesBehindHTTPS(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cfg := config.Default()
		cfg.BaseURL = "https://tinhso.laichau.gov.vn"
		s := newSite(t, db, cfg)
		a := s.browser().login("can.bo", password)
		c := setCookie(a, auth.SessionCookie)
		if a.status != http.StatusSeeOther || c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Fatalf("login behind https: %d, cookie %+v", a.status, c)
		}
		if l := setCookie(a, "lang"); l == nil || !l.Secure {
			t.Errorf("language cookie behind https: %+v", l)
		}
		if !strings.Contains(a.header.Get("Strict-Transport-Security"), "max-age=") {
			t.Error("no HSTS behind https")
		}
	})
}

func TestBadLoginsLookAlike(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, config.Default())
		wrong := s.browser().login("can.bo", "mat-khau-sai-1")
		unknown := s.browser().login("khong.co.ai", "mat-khau-sai-1")
		if wrong.status != 401 || unknown.status != 401 {
			t.Fatalf("wrong password %d, unknown account %d; want 401", wrong.status, unknown.status)
		}
		const msg = "Tên đăng nhập hoặc mật khẩu không đúng"
		if !strings.Contains(wrong.body, msg) || !strings.Contains(unknown.body, msg) {
			t.Errorf("the message is not %q", msg)
		}
		// Apart from the username typed back, the two pages are the same.
		if strings.ReplaceAll(wrong.body, "can.bo", "X") != strings.ReplaceAll(unknown.body, "khong.co.ai", "X") {
			t.Error("a wrong password and an unknown account answer differently")
		}
		if strings.Contains(wrong.body, "mat-khau-sai-1") {
			t.Error("the password typed is sent back")
		}
		if setCookie(wrong, auth.SessionCookie) != nil || s.count(`SELECT COUNT(*) FROM sessions`) != 0 {
			t.Error("a failed login opened a session")
		}
		if s.audited("login", "can.bo", false) != 1 || s.audited("login", "khong.co.ai", false) != 1 {
			t.Error("failed logins are not in the audit trail")
		}
		// A disabled account with the right password: the same answer.
		if _, err := db.Write.Exec(`UPDATE users SET disabled = $1 WHERE username = 'nguoi.khac'`, true); err != nil {
			t.Fatal(err)
		}
		disabled := s.browser().login("nguoi.khac", password)
		if disabled.status != 401 || strings.ReplaceAll(disabled.body, "nguoi.khac", "X") != strings.ReplaceAll(unknown.body, "khong.co.ai", "X") {
			t.Errorf("a disabled account answers %d differently", disabled.status)
		}
		// English on request.
		a := s.browser().post("/login", url.Values{"username": {"can.bo"}, "password": {"x"}}, "Accept-Language", "en")
		if !strings.Contains(a.body, "Wrong username or password") {
			t.Error("the English message is missing")
		}
	})
}

func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, config.Default())
		for i := range auth.MaxAccountFailures {
			if a := s.browser().login("can.bo", "mat-khau-sai-1"); a.status != 401 {
				t.Fatalf("failure %d: %d", i+1, a.status)
			}
		}
		// Locked now, even with the right password.
		a := s.browser().login("can.bo", password)
		if a.status != http.StatusTooManyRequests || !strings.Contains(a.body, "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau 15 phút") {
			t.Fatalf("after %d failures, the right password: %d", auth.MaxAccountFailures, a.status)
		}
		if setCookie(a, auth.SessionCookie) != nil || s.count(`SELECT COUNT(*) FROM sessions`) != 0 {
			t.Error("a throttled login opened a session")
		}
		if n := s.count(`SELECT COUNT(*) FROM audit_events WHERE kind = 'login' AND subject = 'can.bo' AND detail = 'throttled' AND success = $1`, false); n != 1 {
			t.Errorf("%d throttled attempts recorded, want 1", n)
		}
		// Attempts while locked are refused and recorded but not counted,
		// so the lock lifts a window after the last real failure.
		for range auth.MaxAccountFailures {
			if a := s.browser().login("can.bo", password); a.status != http.StatusTooManyRequests {
				t.Fatalf("a locked account: %d", a.status)
			}
		}
		if _, err := db.Write.Exec(`UPDATE audit_events SET at = $1 WHERE kind = 'login' AND subject = 'can.bo' AND detail <> 'throttled'`, store.Now().Add(-auth.ThrottleWindow-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if a := s.browser().login("can.bo", password); a.status != http.StatusSeeOther {
			t.Errorf("a window after the last real failure, still locked: %d", a.status)
		}
		// Other accounts from the same address still sign in.
		if a := s.browser().login("quan.tri", password); a.status != http.StatusSeeOther {
			t.Errorf("another account: %d", a.status)
		}
		// Per address: failures spread over many accounts, too few for any
		// one account's lock, lock everyone out from that address.
		orgs := org.NewStore(db, pwhash.Cheap())
		var lc int64
		db.Read.QueryRow(`SELECT id FROM org_units WHERE code = 'LC'`).Scan(&lc)
		per := auth.MaxAccountFailures - 1
		for i := 0; i*per < auth.MaxAddressFailures; i++ {
			name := "thu." + strconv.Itoa(i)
			err := db.Tx(context.Background(), func(tx *sql.Tx) error {
				_, err := orgs.CreateOfficial(context.Background(), tx, org.OfficialInput{Username: name, FullName: "Cán Bộ Thử", UnitID: lc, Password: password})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for range per {
				if a := s.browser().login(name, "mat-khau-sai-1"); a.status != 401 && a.status != http.StatusTooManyRequests {
					t.Fatalf("failure for %s: %d", name, a.status)
				}
			}
		}
		if a := s.browser().login("quan.tri", password); a.status != http.StatusTooManyRequests {
			t.Errorf("after %d failures from one address: %d", auth.MaxAddressFailures, a.status)
		}
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, config.Default())
		b := s.signedIn("can.bo")
		secret := b.cookie(auth.SessionCookie).Value
		// Without the CSRF token, nothing happens.
		if a := b.post("/logout", url.Values{}); a.status != 403 || s.count(`SELECT COUNT(*) FROM sessions`) != 1 {
			t.Fatalf("logout without CSRF: %d", a.status)
		}
		a := b.post("/logout", url.Values{"csrf": {b.csrf()}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/login" {
			t.Fatalf("logout: %d to %q", a.status, a.header.Get("Location"))
		}
		if c := setCookie(a, auth.SessionCookie); c == nil || c.MaxAge >= 0 {
			t.Errorf("the cookie is not cleared: %+v", c)
		}
		if s.count(`SELECT COUNT(*) FROM sessions`) != 0 || s.audited("logout", "can.bo", true) != 1 {
			t.Error("the session survives the logout, or the logout is not audited")
		}
		// The old cookie, replayed, opens nothing.
		replay := s.browser()
		u, _ := url.Parse(s.url)
		replay.client.Jar.SetCookies(u, []*http.Cookie{{Name: auth.SessionCookie, Value: secret, Path: "/"}})
		if a := replay.get("/account"); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/login") {
			t.Errorf("the old cookie still works: %d", a.status)
		}
		if a := replay.get("/api/v1/me"); a.status != 401 {
			t.Errorf("the old cookie still works on the API: %d", a.status)
		}
		// An expired session is no session.
		b = s.signedIn("can.bo")
		if _, err := db.Write.Exec(`UPDATE sessions SET expires_at = $1`, store.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if a := b.get("/account"); a.status != http.StatusSeeOther {
			t.Errorf("an expired session: %d", a.status)
		}
	})
}

func TestCSRFAndCrossOrigin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, config.Default())
		b := s.signedIn("can.bo")
		token := b.csrf()
		tokens := func() int { return s.count(`SELECT COUNT(*) FROM api_tokens`) }
		for _, c := range []struct {
			name   string
			form   url.Values
			header []string
		}{
			{"no CSRF token", url.Values{"name": {"a"}}, nil},
			{"a wrong CSRF token", url.Values{"name": {"a"}, "csrf": {"forged"}}, nil},
			{"another session's CSRF token", url.Values{"name": {"a"}, "csrf": {s.signedIn("quan.tri").csrf()}}, nil},
			{"cross-site, with the right token", url.Values{"name": {"a"}, "csrf": {token}}, []string{"Sec-Fetch-Site", "cross-site"}},
			{"another origin, with the right token", url.Values{"name": {"a"}, "csrf": {token}}, []string{"Origin", "https://evil.example"}},
		} {
			a := b.post("/account/tokens", c.form, c.header...)
			if a.status != 403 || !strings.Contains(a.body, "Phiên làm việc không hợp lệ hoặc yêu cầu đến từ trang khác") {
				t.Errorf("%s: %d", c.name, a.status)
			}
			if tokens() != 0 {
				t.Fatalf("%s: a token was created", c.name)
			}
		}
		// The same form, same-origin and with the token, goes through.
		if a := b.post("/account/tokens", url.Values{"name": {"a"}, "csrf": {token}}, "Sec-Fetch-Site", "same-origin"); a.status != 200 || tokens() != 1 {
			t.Fatalf("a proper form: %d, %d tokens", a.status, tokens())
		}
		// The API with a session cookie needs the token in a header.
		a := b.do("POST", "/api/v1/me/tokens", nil, "Content-Type", "application/json")
		if a.status != 403 || !strings.Contains(a.body, `"code":"csrf"`) || !strings.HasPrefix(a.header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("API call with a cookie and no CSRF header: %d %s", a.status, a.body)
		}
		req, _ := http.NewRequest("POST", s.url+"/api/v1/me/tokens", strings.NewReader(`{"name":"b"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", token)
		res, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 201 || tokens() != 2 {
			t.Errorf("API call with the CSRF header: %d", res.StatusCode)
		}
		// A cross-site login form is refused too (login CSRF).
		if a := s.browser().post("/login", url.Values{"username": {"can.bo"}, "password": {password}}, "Sec-Fetch-Site", "cross-site"); a.status != 403 || setCookie(a, auth.SessionCookie) != nil {
			t.Errorf("cross-site login: %d", a.status)
		}
		// Reading is allowed from anywhere.
		if a := b.get("/account", "Sec-Fetch-Site", "cross-site"); a.status != 200 {
			t.Errorf("cross-site GET: %d", a.status)
		}
	})
}

func TestPasswordChange(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, config.Default())
		here, there := s.signedIn("can.bo"), s.signedIn("can.bo")
		hash := func() string {
			var h string
			db.Read.QueryRow(`SELECT password_hash FROM users WHERE username = 'can.bo'`).Scan(&h)
			return h
		}
		before := hash()
		for _, c := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"current": {"sai-roi-1234"}, "new": {"mat-khau-moi-99"}, "confirm": {"mat-khau-moi-99"}}, "Mật khẩu hiện tại: không đúng"},
			{url.Values{"current": {password}, "new": {"ngan"}, "confirm": {"ngan"}}, "Mật khẩu mới: phải có ít nhất 10 ký tự"},
			{url.Values{"current": {password}, "new": {"mat-khau-moi-99"}, "confirm": {"mat-khau-khac-99"}}, "Nhập lại mật khẩu mới: không khớp với mật khẩu mới"},
		} {
			c.form.Set("csrf", here.csrf())
			a := here.post("/account/password", c.form)
			if a.status != 422 || !strings.Contains(a.body, c.want) {
				t.Errorf("%v: %d, want 422 with %q", c.form, a.status, c.want)
			}
			if strings.Contains(a.body, c.form.Get("current")) || strings.Contains(a.body, c.form.Get("new")) {
				t.Error("a password typed is sent back")
			}
		}
		if hash() != before || s.count(`SELECT COUNT(*) FROM sessions`) != 2 {
			t.Fatal("a refused change changed the password or the sessions")
		}
		if n := s.audited("password.change", "can.bo", false); n != 3 {
			t.Errorf("%d refused changes audited, want 3", n)
		}
		a := here.post("/account/password", url.Values{"csrf": {here.csrf()}, "current": {password}, "new": {"mat-khau-moi-99"}, "confirm": {"mat-khau-moi-99"}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/account?ok=password_changed" {
			t.Fatalf("password change: %d to %q\n%s", a.status, a.header.Get("Location"), a.body)
		}
		if s.audited("password.change", "can.bo", true) != 1 {
			t.Error("the change is not audited")
		}
		if a := here.get("/account"); a.status != 200 {
			t.Errorf("the session that changed the password was signed out: %d", a.status)
		}
		if a := there.get("/account"); a.status != http.StatusSeeOther {
			t.Errorf("the other session survives the password change: %d", a.status)
		}
		if a := s.browser().login("can.bo", password); a.status != 401 {
			t.Errorf("the old password still works: %d", a.status)
		}
		if a := s.browser().login("can.bo", "mat-khau-moi-99"); a.status != http.StatusSeeOther {
			t.Errorf("the new password does not work: %d", a.status)
		}
	})
}

var newTokenRe = regexp.MustCompile(`id="new-token">(tsk_[A-Za-z0-9_-]+)<`)

func TestTokensAndRoleChangesAreAudited(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, config.Default())
		b := s.signedIn("can.bo")
		a := b.post("/account/tokens", url.Values{"csrf": {b.csrf()}, "name": {"Hệ thống báo cáo"}, "expiresInDays": {"30"}})
		m := newTokenRe.FindStringSubmatch(a.body)
		if a.status != 200 || m == nil || a.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("token page: %d, Cache-Control %q", a.status, a.header.Get("Cache-Control"))
		}
		secret := m[1]
		if s.count(`SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1`, secret) != 0 {
			t.Error("the token is stored in clear")
		}
		if s.audited("token.create", "can.bo", true) != 1 {
			t.Error("token creation is not audited")
		}
		bearer := func(tok string) int {
			req, _ := http.NewRequest("GET", s.url+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		if got := bearer(secret); got != 200 {
			t.Fatalf("the new token: %d", got)
		}
		if page := b.get("/account").body; strings.Contains(page, secret) || !strings.Contains(page, secret[:10]) {
			t.Error("the account page shows the whole secret again, or not its prefix")
		}
		if s.count(`SELECT COUNT(*) FROM api_tokens WHERE last_used_at IS NOT NULL`) != 1 {
			t.Error("the token's use is not recorded")
		}
		// Somebody else cannot revoke it.
		var id string
		db.Read.QueryRow(`SELECT CAST(id AS TEXT) FROM api_tokens`).Scan(&id)
		other := s.signedIn("nguoi.khac")
		if a := other.post("/account/tokens/"+id+"/revoke", url.Values{"csrf": {other.csrf()}}); a.status != 404 || bearer(secret) != 200 {
			t.Errorf("another official revokes the token: %d", a.status)
		}
		if a := b.post("/account/tokens/"+id+"/revoke", url.Values{"csrf": {b.csrf()}}); a.status != http.StatusSeeOther {
			t.Fatalf("revoke: %d", a.status)
		}
		if got := bearer(secret); got != 401 {
			t.Errorf("a revoked token: %d", got)
		}
		if s.audited("token.revoke", "can.bo", true) != 1 {
			t.Error("token revocation is not audited")
		}
		// An expired token is refused.
		a = b.post("/account/tokens", url.Values{"csrf": {b.csrf()}, "name": {"ngắn hạn"}, "expiresInDays": {"1"}})
		short := newTokenRe.FindStringSubmatch(a.body)[1]
		if _, err := db.Write.Exec(`UPDATE api_tokens SET expires_at = $1 WHERE revoked_at IS NULL`, store.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if got := bearer(short); got != 401 {
			t.Errorf("an expired token: %d", got)
		}
		// A role change by an admin is audited with before and after.
		admin := s.signedIn("quan.tri")
		var canBo, lc int64
		db.Read.QueryRow(`SELECT id, unit_id FROM users WHERE username = 'can.bo'`).Scan(&canBo, &lc)
		req, _ := http.NewRequest("PUT", s.url+"/api/v1/officials/"+itoa(canBo), strings.NewReader(`{"fullName":"Bùi Thị Lan","unitId":`+itoa(lc)+`,"roles":[{"role":"approver"}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", admin.csrf())
		res, err := admin.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("role change: %d", res.StatusCode)
		}
		var actor, detail string
		db.Read.QueryRow(`SELECT actor, detail FROM audit_events WHERE kind = 'role.change' AND subject = 'can.bo'`).Scan(&actor, &detail)
		if want := "reporter@" + itoa(lc) + " → approver@" + itoa(lc); actor != "quan.tri" || detail != want {
			t.Errorf("role change audited as %q by %q, want %q by quan.tri", detail, actor, want)
		}
		// Every kind of security event is in the trail, readable by the admin.
		for _, kind := range []string{"login", "token.create", "token.revoke", "role.change", "official.update"} {
			if s.count(`SELECT COUNT(*) FROM audit_events WHERE kind = $1`, kind) == 0 {
				t.Errorf("no %s event", kind)
			}
		}
		if a := admin.get("/audit?kind=role.change"); a.status != 200 || !strings.Contains(a.body, "can.bo") || !strings.Contains(a.body, "Thay đổi vai trò") {
			t.Errorf("the audit page: %d", a.status)
		}
		if a := b.get("/audit"); a.status != 403 {
			t.Errorf("a reporter reads the audit page: %d", a.status)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
