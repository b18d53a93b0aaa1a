package server_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/testapp"
)

// catalogueKeys are the prefixes of the message catalogue keys; a key
// showing on a page is a missing translation.
var catalogueKeys = []string{"app", "nav", "unit", "units", "field", "error", "invalid", "home", "official", "officials", "account", "token",
	"audit", "kind", "level", "role", "event", "reorg", "login", "action", "flash", "form"}

// visibleText drops the tags of a page (cheap: pages are large and the
// tests run under -race).
func visibleText(body string) string {
	var b strings.Builder
	b.Grow(len(body))
	inTag := false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '<':
			inTag = true
			b.WriteByte(' ')
		case c == '>':
			inTag = false
		case !inTag:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
}

// rawKey finds a catalogue key in text: a known prefix, a dot and a
// lower-case word, standing alone.
func rawKey(text string) string {
	for _, p := range catalogueKeys {
		for rest, off := text, 0; ; {
			i := strings.Index(rest, p+".")
			if i < 0 {
				break
			}
			at := off + i
			end := at + len(p) + 1
			if (at == 0 || !isWordByte(text[at-1])) && end < len(text) && text[end] >= 'a' && text[end] <= 'z' {
				j := end
				for j < len(text) && (text[j] >= 'a' && text[j] <= 'z' || text[j] == '_' || text[j] == '.') {
					j++
				}
				return text[at:j]
			}
			rest, off = text[end:], end
		}
	}
	return ""
}

// checkPage asserts what every rendered page must hold: the language, no
// untranslated catalogue key or broken format verb, and nothing the content
// security policy would block (inline scripts, styles or event handlers).
func checkPage(t *testing.T, path, body, lang string) {
	t.Helper()
	if !strings.Contains(body, `<html lang="`+lang+`">`) {
		t.Errorf("%s: not a %s page", path, lang)
	}
	text := visibleText(body)
	if k := rawKey(text); k != "" {
		t.Errorf("%s: untranslated key %q shows", path, k)
	}
	if i := strings.Index(text, "%!"); i >= 0 {
		t.Errorf("%s: a broken format verb shows: %s", path, text[i:min(i+60, len(text))])
	}
	for rest := body; ; {
		i := strings.Index(rest, "<script")
		if i < 0 {
			break
		}
		tag := rest[i : i+strings.IndexByte(rest[i:], '>')+1]
		if !strings.Contains(tag, "src=") {
			t.Errorf("%s: inline script %s is blocked by the CSP", path, tag)
		}
		rest = rest[i+len(tag):]
	}
	if strings.Contains(body, " style=") {
		t.Errorf("%s: an inline style attribute is blocked by the CSP", path)
	}
	for rest := body; ; {
		i := strings.Index(rest, " on")
		if i < 0 {
			break
		}
		j := i + 3
		for j < len(rest) && rest[j] >= 'a' && rest[j] <= 'z' {
			j++
		}
		if j > i+3 && j+1 < len(rest) && rest[j] == '=' && (rest[j+1] == '"' || rest[j+1] == '\'') {
			t.Errorf("%s: an inline %s attribute is blocked by the CSP", path, rest[i+1:j])
			break
		}
		rest = rest[j:]
	}
}

// browser is a signed-in person: a cookie jar, redirects shown rather
// than followed.
type browser struct {
	app    *testapp.App
	client *http.Client
}

// signIn posts the login form as username with the demo password. (It does
// not follow the redirect home, which is one of the dearest pages.)
func signIn(t *testing.T, app *testapp.App, username string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{app: app, client: &http.Client{Jar: jar, CheckRedirect: noRedirect.CheckRedirect}}
	res, err := b.client.PostForm(app.URL+"/login", url.Values{"username": {username}, "password": {demo.Password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %d", username, res.StatusCode)
	}
	return b
}

// get fetches a page without following redirects.
func get(t *testing.T, b *browser, app *testapp.App, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", app.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// post submits a form with the session's CSRF token, following a redirect
// (as a browser does after a successful post), and returns the final status
// and page.
func (b *browser) post(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	_, account := get(t, b, b.app, "/account")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(account)
	if m == nil {
		t.Fatal("no CSRF token on /account")
	}
	form.Set("csrf", m[1])
	res, err := b.client.PostForm(b.app.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode == http.StatusSeeOther {
		res2, body2 := get(t, b, b.app, res.Header.Get("Location"))
		return res2.StatusCode, body2
	}
	return res.StatusCode, string(body)
}

// TestPages renders every page as every demo role.
func TestPages(t *testing.T) {
	t.Parallel()
	testapp.Each(t, pages)
}

func pages(t *testing.T, app *testapp.App) {
	gl25, gl := app.UnitID(t, "GL25"), app.UnitID(t, "GL")

	t.Run("every page as every role", func(t *testing.T) {
		for _, acct := range demo.Accounts {
			t.Run(acct.Username, func(t *testing.T) {
				b := signIn(t, app, acct.Username)
				type page struct {
					path     string
					contains []string
					absent   []string
				}
				list := []page{
					{"/", []string{acct.FullName, "Việc cần làm"}, nil},
					{"/units", []string{"Cơ cấu đơn vị", "Tỉnh Gia Lai", ">GL25<", ">GL25.SKHCN<", "Tỉnh Lai Châu"}, []string{">GL.PLEIKU<", ">GL.STTTT<"}},
					{"/units?asOf=2023-01-01", []string{"Cơ cấu đơn vị", "Thành phố Pleiku", ">GL.PLEIKU<", "Sở Thông tin và Truyền thông", "Tỉnh Bình Định"}, []string{">GL25<"}},
					{"/units/" + strconv.FormatInt(gl25, 10), []string{"Tỉnh Gia Lai", ">GL25<", "Đơn vị tiền thân", ">BD<", "Sở Khoa học và Công nghệ"}, nil},
					{"/officials", []string{acct.FullName}, nil},
					{"/account", []string{acct.Username, acct.FullName, "Đổi mật khẩu", "Mã truy cập API"}, nil},
				}
				if acct.Username == "admin" {
					list = append(list,
						page{"/units?q=lai+chau", []string{"Tỉnh Lai Châu", "Báo Lai Châu"}, []string{"Tỉnh Gia Lai<"}},
						page{"/units/" + strconv.FormatInt(gl, 10), []string{"Tỉnh Gia Lai", "Đơn vị kế thừa", `href="/units/` + strconv.FormatInt(gl25, 10) + `"`, "Thành phố Pleiku"}, nil},
						page{"/reorganisations", []string{"Sáp nhập", "Nghị quyết số 202/2025/QH15"}, nil},
						page{"/audit", []string{"Nhật ký bảo mật", "Đăng nhập"}, nil})
				}
				var home string
				for _, p := range list {
					res, body := get(t, b, app, p.path)
					if res.StatusCode != 200 {
						t.Errorf("%s: status %d", p.path, res.StatusCode)
						continue
					}
					if p.path == "/" {
						home = body
					}
					checkPage(t, p.path, body, "vi")
					for _, s := range append(p.contains, "Đăng xuất", acct.FullName) {
						if !strings.Contains(body, s) {
							t.Errorf("%s as %s lacks %q", p.path, acct.Username, s)
						}
					}
					for _, s := range p.absent {
						if strings.Contains(body, s) {
							t.Errorf("%s as %s holds %q", p.path, acct.Username, s)
						}
					}
				}
				// The menu offers what the role may do.
				if admin := acct.Role == "admin"; strings.Contains(home, `href="/audit"`) != admin {
					t.Errorf("the audit menu entry shows %v for %s", !admin, acct.Username)
				}
			})
		}
	})

	t.Run("officials pages keep to the viewer's scope", func(t *testing.T) {
		b := signIn(t, app, "baocao.pleiku")
		_, body := get(t, b, app, "/officials")
		for _, s := range []string{"Hoàng Văn Em", "Phạm Thu Dung"} {
			if !strings.Contains(body, s) {
				t.Errorf("the Pleiku reporter does not see %s", s)
			}
		}
		for _, s := range []string{"Võ Thị Giang", "Nguyễn Văn An", "Đặng Quốc Huy"} {
			if strings.Contains(body, s) {
				t.Errorf("the Pleiku reporter sees %s", s)
			}
		}
		denied := app.Denials(t, "baocao.pleiku")
		for _, path := range []string{
			"/officials?unit=" + strconv.FormatInt(app.UnitID(t, "GL.ANKHE"), 10),
			"/officials/" + strconv.FormatInt(app.OfficialID(t, "baocao.ankhe"), 10),
			"/units/new",
			"/audit",
		} {
			res, body := get(t, b, app, path)
			if res.StatusCode != 403 || !strings.Contains(body, "Bạn không có quyền thực hiện thao tác này") {
				t.Errorf("%s: status %d, want the 403 page", path, res.StatusCode)
			}
			checkPage(t, path, body, "vi")
		}
		if got := app.Denials(t, "baocao.pleiku") - denied; got != 4 {
			t.Errorf("%d access.denied rows for 4 refused pages", got)
		}
		// Through succession, the leader of the new Gia Lai sees the
		// old Pleiku's officials, on the unit page too.
		lb := signIn(t, app, "lanhdao")
		_, body = get(t, lb, app, "/units/"+strconv.FormatInt(app.UnitID(t, "GL.PLEIKU"), 10))
		if !strings.Contains(body, "Hoàng Văn Em") {
			t.Error("the leader does not see Pleiku's reporter on the unit page")
		}
	})

	t.Run("anonymous visitors go to the login page", func(t *testing.T) {
		for path, next := range map[string]string{
			"/":                      "/",
			"/units?asOf=2023-01-01": "/units?asOf=2023-01-01",
			"/officials":             "/officials",
			"/account":               "/account",
		} {
			res, err := noRedirect.Get(app.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next="+url.QueryEscape(next) {
				t.Errorf("%s: %d to %q", path, res.StatusCode, res.Header.Get("Location"))
			}
		}
		anon := &browser{app: app, client: noRedirect}
		res, body := get(t, anon, app, "/login?next=%2Funits")
		if res.StatusCode != 200 || !strings.Contains(body, `action="/login"`) || !strings.Contains(body, `name="next" value="/units"`) || strings.Contains(body, "Đăng xuất") {
			t.Errorf("login page: %d\n%s", res.StatusCode, body)
		}
		checkPage(t, "/login", body, "vi")
		// An outside "next" is not followed after signing in.
		res2, _ := noRedirect.PostForm(app.URL+"/login", url.Values{"username": {"baocao.laichau"}, "password": {demo.Password}, "next": {"//evil.example/x"}})
		if res2 != nil {
			res2.Body.Close()
			if res2.StatusCode != http.StatusSeeOther || res2.Header.Get("Location") != "/" {
				t.Errorf("login with an outside next: %d to %q", res2.StatusCode, res2.Header.Get("Location"))
			}
		}
	})

	t.Run("English on request", func(t *testing.T) {
		b := signIn(t, app, "dieuphoi")
		res, _ := get(t, b, app, "/lang/en?next=/units")
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/units" {
			t.Fatalf("/lang/en: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		_, body := get(t, b, app, "/units")
		checkPage(t, "/units", body, "en")
		for _, s := range []string{"Org units", "Sign out", "Tỉnh Gia Lai"} {
			if !strings.Contains(body, s) {
				t.Errorf("English /units lacks %q", s)
			}
		}
		for _, s := range []string{"Cơ cấu đơn vị", "Đăng xuất"} {
			if strings.Contains(body, s) {
				t.Errorf("English /units still says %q", s)
			}
		}
		// The choice is remembered for the official's next sign-in.
		_, body = get(t, signIn(t, app, "dieuphoi"), app, "/account")
		if !strings.Contains(body, "Sign out") {
			t.Error("the language choice was not kept for the next session")
		}
		// An outside "next" is not followed.
		res, _ = get(t, b, app, "/lang/vi?next=//evil.example/")
		if res.Header.Get("Location") != "/" {
			t.Errorf("/lang/vi with an outside next redirects to %q", res.Header.Get("Location"))
		}
		_, body = get(t, b, app, "/units")
		if !strings.Contains(body, "Cơ cấu đơn vị") {
			t.Error("/lang/vi did not switch back")
		}
		// Without a session, Accept-Language picks English.
		_, body = get(t, &browser{app: app, client: noRedirect}, app, "/login", "Accept-Language", "en-US,en;q=0.8")
		if !strings.Contains(body, `<html lang="en">`) {
			t.Error("Accept-Language: en is ignored on the login page")
		}
	})

	t.Run("security headers", func(t *testing.T) {
		b := signIn(t, app, "admin")
		for _, path := range []string{"/", "/units", "/login", "/no-such-page", "/api/v1/orgunits", "/static/app.css", "/healthz"} {
			res, _ := get(t, b, app, path)
			h := res.Header
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("%s: CSP %q", path, csp)
			}
			if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
				t.Errorf("%s: hardening headers %v", path, h)
			}
			if h.Get("Strict-Transport-Security") != "" {
				t.Errorf("%s: HSTS over plain HTTP", path)
			}
			if cc := h.Get("Cache-Control"); strings.HasPrefix(path, "/static/") != strings.Contains(cc, "max-age") {
				t.Errorf("%s: Cache-Control %q", path, cc)
			}
		}
		res, body := get(t, b, app, "/no-such-page")
		if res.StatusCode != 404 || !strings.Contains(body, "Không tìm thấy") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("unknown page: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})

	t.Run("a form error keeps what was typed", func(t *testing.T) {
		b := signIn(t, app, "admin")
		before := rowCounts(t, app)
		status, body := b.post(t, "/units", url.Values{
			"code": {"GL25.X.FORM"}, "name": {"   "}, "kind": {"ward"}, "parentId": {strconv.FormatInt(gl25, 10)},
			"validFrom": {"2025-09-01"}, "sortOrder": {"12"},
		})
		if status != 422 {
			t.Fatalf("status %d, want 422", status)
		}
		checkPage(t, "POST /units", body, "vi")
		for _, s := range []string{
			"Tên đơn vị: bắt buộc nhập",
			`value="GL25.X.FORM"`,
			`<option value="ward" selected>`,
			`value="2025-09-01"`,
			`value="12"`,
			`<option value="` + strconv.FormatInt(gl25, 10) + `" selected>`,
			`class="field-error"`,
		} {
			if !strings.Contains(body, s) {
				t.Errorf("the form after an error lacks %q", s)
			}
		}
		after := rowCounts(t, app)
		if after["org_units"] != before["org_units"] || after["org_events"] != before["org_events"] {
			t.Error("a refused form wrote a unit")
		}
		// The corrected form goes through, and the person lands on the
		// new unit.
		status, body = b.post(t, "/units", url.Values{
			"code": {"GL25.X.FORM"}, "name": {"Phường Biểu Mẫu"}, "kind": {"ward"}, "parentId": {strconv.FormatInt(gl25, 10)}, "validFrom": {"2025-09-01"},
		})
		if status != 200 || !strings.Contains(body, "Phường Biểu Mẫu") || !strings.Contains(body, "GL25.X.FORM") {
			t.Errorf("corrected form: status %d", status)
		}
		// Another official's form: an invalid email keeps the name typed.
		status, body = b.post(t, "/officials", url.Values{
			"username": {"nguoi.moi"}, "fullName": {"Người Mới Đến"}, "email": {"khong-phai-thu"}, "unitId": {strconv.FormatInt(gl25, 10)},
			"password": {"mat-khau-dai-123"},
		})
		if status != 422 || !strings.Contains(body, "Thư điện tử: không phải địa chỉ thư điện tử hợp lệ") || !strings.Contains(body, `value="Người Mới Đến"`) {
			t.Errorf("official form error: status %d", status)
		}
		if strings.Contains(body, "mat-khau-dai-123") {
			t.Error("the password typed is sent back in the page")
		}
	})
}
