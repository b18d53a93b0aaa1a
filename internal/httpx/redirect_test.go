package httpx_test

import (
	"testing"

	"github.com/tinhso/tinhso/internal/httpx"
)

func TestLocalPath(t *testing.T) {
	for _, c := range []struct{ next, want string }{
		// Same-site paths pass unchanged.
		{"/", "/"},
		{"/ok", "/ok"},
		{"/ok?x=1", "/ok?x=1"},
		{"/tasks?status=overdue&unit=12#history", "/tasks?status=overdue&unit=12#history"},
		{"/plans/3?q=Pleiku%20%C4%91%C6%B0%E1%BB%9Dng", "/plans/3?q=Pleiku%20%C4%91%C6%B0%E1%BB%9Dng"},
		{"/tasks?q=Đắk Lắk", "/tasks?q=Đắk Lắk"},
		{"/login?next=%2Ftasks", "/login?next=%2Ftasks"},
		// Everything else goes home.
		{"", "/"},
		{"ok", "/"},
		{"//evil", "/"},
		{"//evil.example/x", "/"},
		{"///evil", "/"},
		{"/\\evil", "/"},
		{"\\\\evil", "/"},
		{"/ok\\..\\evil", "/"},
		{"/%09/evil", "/"},
		{"/\t/evil", "/"},
		{"\t//evil", "/"},
		{" //evil", "/"},
		{"/\r\n/evil", "/"},
		{"/ok\nSet-Cookie: x=1", "/"},
		{"/ok%0d%0aSet-Cookie:x", "/"},
		{"/\x00evil", "/"},
		{"/%00", "/"},
		{"/\x7f", "/"},
		{"/\u0085evil", "/"},
		{"/%2F/evil", "/"},
		{"/%2f%2fevil", "/"},
		{"/%5Cevil", "/"},
		{"/%5c%5cevil", "/"},
		{"/%zz", "/"},
		{"/%ff", "/"},
		{"https://x", "/"},
		{"https://x/ok", "/"},
		{"http:/x", "/"},
		{"javascript:alert(1)", "/"},
		{"data:text/html,x", "/"},
		{"//user@evil", "/"},
		{"/\\/evil", "/"},
	} {
		if got := httpx.LocalPath(c.next); got != c.want {
			t.Errorf("LocalPath(%q) = %q, want %q", c.next, got, c.want)
		}
	}
}
