package sso_test

import (
	"net/url"
	"strings"
	"testing"

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
