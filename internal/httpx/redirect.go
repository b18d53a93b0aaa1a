package httpx

import (
	"net/url"
	"strings"
	"unicode"
)

// LocalPath returns next when it is a path on this site, and "/" for
// anything else. It guards every redirect to an address a request names
// (after login, after changing the language): browsers read "//evil",
// "/\evil" and "/\t/evil" as other hosts, and a scheme as another site, so
// next must start with one slash followed by something other than a slash
// or a backslash, and hold no backslash, no control character and no
// scheme, neither as written nor once percent-decoded.
func LocalPath(next string) string {
	if !localPath(next) {
		return "/"
	}
	decoded, err := url.PathUnescape(next)
	if err != nil || !localPath(decoded) {
		return "/"
	}
	return next
}

func localPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsRune(p, '\\') {
		return false
	}
	for _, r := range p {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, "//")
}
