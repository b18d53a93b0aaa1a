package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/tinhso/tinhso/internal/httpx"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}
	cases := []struct {
		remote, xff, want string
	}{
		{"203.0.113.7:5000", "", "203.0.113.7"},
		{"203.0.113.7:5000", "1.2.3.4", "203.0.113.7"},              // not from a proxy: the header is ignored
		{"10.0.0.5:5000", "198.51.100.9", "198.51.100.9"},           // the proxy names the client
		{"10.0.0.5:5000", "6.6.6.6, 198.51.100.9", "198.51.100.9"},  // a forged first hop is skipped
		{"10.0.0.5:5000", "198.51.100.9, 10.0.0.7", "198.51.100.9"}, // two trusted proxies in a row
		{"10.0.0.5:5000", "garbage", "10.0.0.5"},
		{"[2001:db8::1]:443", "", "2001:db8::1"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		var got string
		httpx.WithRequest(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = httpx.ClientIP(r)
		})).ServeHTTP(httptest.NewRecorder(), r)
		if got != c.want {
			t.Errorf("remote %s, XFF %q: got %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}
