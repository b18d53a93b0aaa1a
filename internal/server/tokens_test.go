package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/auth"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/testapp"
)

// newToken has user create a token through the API and returns its secret
// and id.
func newToken(t *testing.T, app *testapp.App, user, body string) (string, int64) {
	t.Helper()
	status, b, _ := app.Send(t, nil, testapp.Call{User: user, Method: "POST", Path: "/api/v1/me/tokens", Body: body})
	if status != 201 {
		t.Fatalf("%s creates a token: %d %s", user, status, b)
	}
	var nt auth.NewToken
	testapp.JSON(t, b, &nt)
	return nt.Secret, nt.ID
}

// bearer calls GET /api/v1/me with a raw token.
func bearer(t *testing.T, app *testapp.App, secret string) int {
	t.Helper()
	status, _, _ := app.Send(t, nil, testapp.Call{Method: "GET", Path: "/api/v1/me", Headers: map[string]string{"Authorization": "Bearer " + secret}})
	return status
}

func auditCount(t *testing.T, app *testapp.App, kind, actor, subject string) int {
	t.Helper()
	return app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND actor = $2 AND subject = $3 AND success = $4`, kind, actor, subject, true)
}

// Administrators list and revoke the tokens of the officials they manage,
// and of nobody else; a password reset revokes them all.
func TestAdminsManageOfficialsTokens(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		lcTok, lcID := newToken(t, app, "baocao.laichau", `{"name":"Phần mềm báo cáo Lai Châu"}`)
		plTok, plID := newToken(t, app, "baocao.pleiku", `{"name":"Phần mềm báo cáo Pleiku"}`)
		lc, pl := strconv.FormatInt(app.OfficialID(t, "baocao.laichau"), 10), strconv.FormatInt(app.OfficialID(t, "baocao.pleiku"), 10)

		// Listing.
		for _, c := range []struct {
			who, official string
			want          int
		}{
			{"quantri.laichau", lc, 200}, {"admin", lc, 200}, {"admin", pl, 200},
			{"quantri.laichau", pl, 403}, {"dieuphoi", pl, 403}, {"lanhdao", pl, 403}, {"baocao.laichau", lc, 403},
		} {
			denied := app.Denials(t, c.who)
			status, body, _ := app.Send(t, nil, testapp.Call{User: c.who, Method: "GET", Path: "/api/v1/officials/" + c.official + "/tokens"})
			if status != c.want {
				t.Errorf("%s lists the tokens of official %s: %d %s", c.who, c.official, status, body)
				continue
			}
			if c.want == 403 {
				if app.Denials(t, c.who) != denied+1 {
					t.Errorf("%s: the refusal was not audited", c.who)
				}
				if strings.Contains(string(body), "Phần mềm báo cáo") {
					t.Errorf("%s: a refusal names tokens: %s", c.who, body)
				}
				continue
			}
			var list []org.Token
			testapp.JSON(t, body, &list)
			names := ""
			for _, tk := range list {
				names += tk.Name + ";"
			}
			if want := map[string]string{lc: "Phần mềm báo cáo Lai Châu", pl: "Phần mềm báo cáo Pleiku"}[c.official]; !strings.Contains(names, want) || strings.Contains(string(body), `"token":`) {
				t.Errorf("%s lists %s", c.who, body)
			}
		}

		// Revoking: Lai Châu's admin cannot touch Pleiku's token, not even
		// through a Lai Châu official's path.
		for _, path := range []string{"/api/v1/officials/" + pl + "/tokens/" + strconv.FormatInt(plID, 10), "/api/v1/officials/" + lc + "/tokens/" + strconv.FormatInt(plID, 10)} {
			status, body, _ := app.Send(t, nil, testapp.Call{User: "quantri.laichau", Method: "DELETE", Path: path})
			if status != 403 && status != 404 {
				t.Errorf("DELETE %s by Lai Châu's admin: %d %s", path, status, body)
			}
		}
		if bearer(t, app, plTok) != 200 {
			t.Fatal("Pleiku's token stopped working after refused revocations")
		}
		status, body, _ := app.Send(t, nil, testapp.Call{User: "quantri.laichau", Method: "DELETE", Path: "/api/v1/officials/" + lc + "/tokens/" + strconv.FormatInt(lcID, 10)})
		if status != 204 {
			t.Fatalf("Lai Châu's admin revokes a Lai Châu token: %d %s", status, body)
		}
		if bearer(t, app, lcTok) != 401 {
			t.Error("a token revoked by an administrator still works")
		}
		if auditCount(t, app, "token.revoke", "quantri.laichau", "baocao.laichau") != 1 {
			t.Error("the administrator's revocation was not audited")
		}
		if status, _, _ := app.Send(t, nil, testapp.Call{User: "admin", Method: "DELETE", Path: "/api/v1/officials/" + pl + "/tokens/abc"}); status != 404 {
			t.Errorf("revoking token abc: %d", status)
		}

		// A password reset revokes every token of the official.
		second, _ := newToken(t, app, "baocao.pleiku", `{"name":"Thứ hai"}`)
		status, body, _ = app.Send(t, nil, testapp.Call{User: "admin", Method: "POST", Path: "/api/v1/officials/" + pl + "/password", Body: `{"password":"mat-khau-moi-2026"}`})
		if status != 204 {
			t.Fatalf("reset: %d %s", status, body)
		}
		for _, s := range []string{plTok, second, app.Token(t, "baocao.pleiku")} {
			if bearer(t, app, s) != 401 {
				t.Errorf("a token of baocao.pleiku works after the password reset")
			}
		}
		var detail string
		app.DB.Read.QueryRow(`SELECT detail FROM audit_events WHERE kind = 'password.reset' AND subject = 'baocao.pleiku' ORDER BY id DESC LIMIT 1`).Scan(&detail)
		if detail != "3 API token(s) revoked" || auditCount(t, app, "token.revoke", "admin", "baocao.pleiku") != 1 {
			t.Errorf("reset audited as %q, %d token.revoke rows", detail, auditCount(t, app, "token.revoke", "admin", "baocao.pleiku"))
		}
	})
}

// The official's page shows an administrator the tokens, with a revoke
// button, and says that a password reset revokes them.
func TestOfficialPageTokens(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		tok, id := newToken(t, app, "baocao.laichau", `{"name":"Cổng dữ liệu mở"}`)
		lc := strconv.FormatInt(app.OfficialID(t, "baocao.laichau"), 10)
		b := signIn(t, app, "quantri.laichau")
		_, page := get(t, b, app, "/officials/"+lc)
		for _, want := range []string{"Cổng dữ liệu mở", fmt.Sprintf(`action="/officials/%s/tokens/%d/revoke"`, lc, id), "thu hồi mọi mã truy cập API của họ"} {
			if !strings.Contains(page, want) {
				t.Errorf("the official's page lacks %q", want)
			}
		}
		checkPage(t, "/officials/"+lc, page, "vi")
		// The reporter's own view of a colleague has no token list.
		_, page = get(t, signIn(t, app, "baocao.laichau"), app, "/officials/"+strconv.FormatInt(app.OfficialID(t, "quantri.laichau"), 10))
		if strings.Contains(page, "/tokens/") {
			t.Error("a reporter sees token controls on a colleague's page")
		}
		// Another province's admin cannot revoke through the page.
		status, _ := signIn(t, app, "dieuphoi").post(t, fmt.Sprintf("/officials/%s/tokens/%d/revoke", lc, id), url.Values{})
		if status != 403 || bearer(t, app, tok) != 200 {
			t.Errorf("Gia Lai's coordinator revokes a Lai Châu token through the page: %d", status)
		}
		status, page = b.post(t, fmt.Sprintf("/officials/%s/tokens/%d/revoke", lc, id), url.Values{})
		if status != 200 || !strings.Contains(page, "Đã thu hồi mã truy cập của cán bộ") || bearer(t, app, tok) != 401 {
			t.Errorf("Lai Châu's admin revokes through the page: %d", status)
		}
	})
}

// Every token expires: the default lifetime, at most the maximum, and a
// token past either is refused.
func TestTokensExpire(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		for _, c := range []struct{ body, field string }{
			{`{"name":"quá dài","expiresInDays":366}`, "expiresInDays"},
			{`{"name":"âm","expiresInDays":-1}`, "expiresInDays"},
		} {
			status, body, _ := app.Send(t, nil, testapp.Call{User: "baocao.ankhe", Method: "POST", Path: "/api/v1/me/tokens", Body: c.body})
			if status != 422 || !strings.Contains(string(body), `"field":"`+c.field+`"`) || !strings.Contains(string(body), "365") {
				t.Errorf("%s: %d %s", c.body, status, body)
			}
		}
		var exp sql.NullTime
		_, id := newToken(t, app, "baocao.ankhe", `{"name":"mặc định"}`)
		app.DB.Read.QueryRow(`SELECT expires_at FROM api_tokens WHERE id = $1`, id).Scan(&exp)
		if d := time.Until(exp.Time); !exp.Valid || d < 89*24*time.Hour || d > 91*24*time.Hour {
			t.Errorf("a token without a lifetime expires in %v", d)
		}
		year, _ := newToken(t, app, "baocao.ankhe", `{"name":"một năm","expiresInDays":365}`)
		if bearer(t, app, year) != 200 {
			t.Fatal("a one-year token does not work")
		}
		// Past its expiry.
		short, shortID := newToken(t, app, "baocao.ankhe", `{"name":"ngắn","expiresInDays":1}`)
		if bearer(t, app, short) != 200 {
			t.Fatal("a fresh token does not work")
		}
		ctx := context.Background()
		if _, err := app.DB.Write.ExecContext(ctx, `UPDATE api_tokens SET expires_at = $1 WHERE id = $2`, time.Now().UTC().Add(-time.Minute), shortID); err != nil {
			t.Fatal(err)
		}
		if bearer(t, app, short) != 401 {
			t.Error("an expired token is accepted")
		}
		// A token made before there was a maximum (no expiry) works until
		// it is older than the maximum.
		legacy, legacyID := newToken(t, app, "baocao.ankhe", `{"name":"cũ"}`)
		app.DB.Write.ExecContext(ctx, `UPDATE api_tokens SET expires_at = NULL, created_at = $1 WHERE id = $2`, time.Now().UTC().AddDate(0, 0, -30), legacyID)
		if bearer(t, app, legacy) != 200 {
			t.Error("a 30-day-old token without expiry is refused")
		}
		app.DB.Write.ExecContext(ctx, `UPDATE api_tokens SET created_at = $1 WHERE id = $2`, time.Now().UTC().AddDate(0, 0, -366), legacyID)
		if bearer(t, app, legacy) != 401 {
			t.Error("a token older than the maximum lifetime is accepted")
		}
		// The account page offers the configured bounds.
		_, page := get(t, signIn(t, app, "baocao.ankhe"), app, "/account")
		for _, want := range []string{`max="365"`, `value="90"`, "Từ 1 đến 365 ngày", "Đã hết hạn"} {
			if !strings.Contains(page, want) {
				t.Errorf("the account page lacks %q", want)
			}
		}
	})
}
