package sso_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tinhso/tinhso/internal/testapp"
)

// TestClientPages: the Vietnamese page registers an application and shows
// its secret once; the detail page never shows it again; a reporter is
// refused; the form names each bad field.
func TestClientPages(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		admin := app.Login(t, "admin")
		status, body := admin.Get(t, "/sso/clients")
		if status != 200 || !strings.Contains(body, "Ứng dụng đăng nhập một lần") || !strings.Contains(body, "Đăng ký ứng dụng") {
			t.Fatalf("list page: %d\n%.500s", status, body)
		}
		status, body = admin.Post(t, "/sso/clients", url.Values{"name": {""}, "unitId": {app.Expand(t, nil, "{unit:GL25}")},
			"grantTypes": {"authorization_code"}, "redirectUris": {"http://example.vn/cb"}, "scopes": {"openid"}})
		if status != 422 || !strings.Contains(body, "Tên ứng dụng: bắt buộc nhập") || !strings.Contains(body, "https") {
			t.Fatalf("bad form: %d\n%s", status, body)
		}
		status, body = admin.Post(t, "/sso/clients", url.Values{"id": {"congdvc.gialai"}, "name": {"Cổng dịch vụ công"}, "unitId": {app.Expand(t, nil, "{unit:GL25}")},
			"grantTypes": {"authorization_code", "refresh_token"}, "redirectUris": {"https://dichvucong.gialai.gov.vn/cb\r\nhttps://dichvucong.gialai.gov.vn/cb2"},
			"scopes": {"openid profile tinhso"}})
		if status != 200 || !strings.Contains(body, "tss_") || !strings.Contains(body, "chỉ hiện một lần") || !strings.Contains(body, "https://dichvucong.gialai.gov.vn/cb2") {
			t.Fatalf("registered: %d\n%s", status, body)
		}
		status, body = admin.Get(t, "/sso/clients/congdvc.gialai")
		if status != 200 || strings.Contains(body, "tss_") || !strings.Contains(body, "congdvc.gialai") {
			t.Fatalf("detail: %d\n%s", status, body)
		}
		status, body = admin.Post(t, "/sso/clients/congdvc.gialai/disabled", url.Values{"disabled": {"1"}})
		if status != 200 || !strings.Contains(body, "Đã khóa") {
			t.Fatalf("disable: %d\n%.800s", status, body)
		}
		reporter := app.Login(t, "baocao.pleiku")
		if status, _ := reporter.Get(t, "/sso/clients"); status != 403 {
			t.Fatalf("a reporter sees the page: %d", status)
		}
		if strings.Contains(func() string { _, b := reporter.Get(t, "/"); return b }(), "/sso/clients") {
			t.Fatal("a reporter's menu links the page")
		}
	})
}

// TestLoginPrompt: /login?prompt=login shows the form to a signed-in
// official, filled with the username asked for; signing in again replaces
// the old session.
func TestLoginPrompt(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		b := app.Login(t, "lanhdao")
		before := app.Count(t, `SELECT COUNT(*) FROM sessions WHERE user_id = $1`, app.OfficialID(t, "lanhdao"))
		status, body := b.Get(t, "/login?prompt=login&username=lanhdao&next=/account")
		if status != 200 || !strings.Contains(body, `action="/login"`) || !strings.Contains(body, `value="lanhdao"`) {
			t.Fatalf("prompt=login: %d\n%.500s", status, body)
		}
		if status, body := b.Get(t, "/login?next=/account"); status != 200 || strings.Contains(body, `action="/login"`) {
			t.Fatalf("without prompt a signed-in official goes on: %d", status)
		}
		b.Post(t, "/login", url.Values{"username": {"lanhdao"}, "password": {"tinhso-demo-2026"}, "next": {"/account"}})
		if after := app.Count(t, `SELECT COUNT(*) FROM sessions WHERE user_id = $1`, app.OfficialID(t, "lanhdao")); after != before {
			t.Fatalf("sessions %d → %d: signing in again should replace the session", before, after)
		}
	})
}

var endForm = regexp.MustCompile(`action="(/account/sessions/[a-f0-9]+/end)"`)

// TestAccountSessions: an official sees their sessions on the account page
// and ends one; that browser is signed out and the application signed in
// through it loses its tokens.
func TestAccountSessions(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		c := webClient(t, app, true)
		relying := newRP(t, app, c)
		phone := newBrowser(app)
		phone.login(t, phone.get(t, "/login"), "pheduyet.pleiku")
		tok := relying.signIn(t, phone, "sessions-1")
		desk := app.Login(t, "pheduyet.pleiku")
		_, body := desk.Get(t, "/account")
		if !strings.Contains(body, "Phiên đăng nhập") || !strings.Contains(body, "Phiên này") {
			t.Fatalf("account page lists no sessions:\n%.1500s", body)
		}
		m := endForm.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no button to end the other session")
		}
		if status, _ := desk.Post(t, m[1], url.Values{}); status != 200 {
			t.Fatalf("end session: %d", status)
		}
		if p := phone.get(t, "/account"); p.URL.Path != "/login" {
			t.Fatalf("the ended session still signs in: %s", p.URL)
		}
		_, err := relying.config.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
		if got := oauthError(t, err); got != "invalid_grant" {
			t.Fatalf("refresh after the session ended: %s", got)
		}
		if status, _ := desk.Get(t, "/account"); status != 200 {
			t.Fatalf("the desk session ended too: %d", status)
		}
	})
}
