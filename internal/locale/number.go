package locale

import (
	"errors"
	"strings"
)

// ErrNotNumber and ErrAmbiguous are why ParseDecimal refused a text.
var (
	ErrNotNumber = errors.New("locale: not a number")
	ErrAmbiguous = errors.New("locale: number written in the other language's way")
)

// ParseDecimal reads a number a person typed in language l and returns it
// in the notation data exchange uses (DHIS2's): digits, "." before the
// decimals, "-" in front, no grouping, no leading or trailing zeros.
//
// Vietnamese: 1.234,5 → 1234.5; 12,5 → 12.5; 1.500 → 1500 (a "." followed
// by groups of three digits groups thousands). A lone "." that cannot be a
// thousands separator (12.5, 0.25, 1234.56) is the decimal point: a
// phone's number pad often has no ",", and no Vietnamese reader takes 12.5
// for anything but twelve and a half. English mirrors it: 1,234.5; 12.5;
// 1,500 → 1500; 12,5 → 12.5.
//
// Spaces between groups and a trailing % are dropped. A text mixing the
// two conventions the other way round (1,234.5 on a Vietnamese page) is
// ErrAmbiguous rather than a guess; anything else that is not a plain
// decimal (1.2.3, 1,,5, 1e5, 0x10) is ErrNotNumber.
func ParseDecimal(l Lang, s string) (string, error) {
	group, dec := ".", ","
	if l == EN {
		group, dec = ",", "."
	}
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", "\u2009", "").Replace(s)
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "−"):
		neg, s = true, strings.TrimPrefix(s, "−")
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if s == "" || len(s) > 60 || strings.Trim(s, "0123456789.,") != "" {
		return "", ErrNotNumber
	}
	var whole, frac string
	switch nd, ng := strings.Count(s, dec), strings.Count(s, group); {
	case nd > 1:
		if ng <= 1 && grouped(strings.SplitN(s, group, 2)[0], dec) {
			return "", ErrAmbiguous // 1,234,567 on a Vietnamese page
		}
		return "", ErrNotNumber
	case nd == 1:
		var ok bool
		whole, frac, ok = strings.Cut(s, dec)
		switch {
		case strings.Contains(frac, group):
			return "", ErrAmbiguous // 1,234.5 on a Vietnamese page
		case !ok || frac == "":
			return "", ErrNotNumber
		case strings.Contains(whole, group):
			if !grouped(whole, group) {
				return "", ErrNotNumber
			}
			whole = strings.ReplaceAll(whole, group, "")
		}
	case ng == 0:
		whole = s
	case grouped(s, group):
		whole = strings.ReplaceAll(s, group, "")
	case ng == 1:
		whole, frac, _ = strings.Cut(s, group) // 12.5: only a decimal point
		if frac == "" {
			return "", ErrNotNumber
		}
	default:
		return "", ErrNotNumber
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	frac = strings.TrimRight(frac, "0")
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out, nil
}

// grouped reports whether s is digits grouped by three with sep: 1 to 3
// digits not starting with 0, then one or more groups of exactly three
// (0.125 groups nothing: it is a decimal).
func grouped(s, sep string) bool {
	parts := strings.Split(s, sep)
	if len(parts) < 2 || len(parts[0]) < 1 || len(parts[0]) > 3 || parts[0][0] == '0' {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) != 3 {
			return false
		}
	}
	return true
}

// FormatDecimal writes a number held in exchange notation (1234.5, as
// ParseDecimal returns it and DHIS2 stores it) the way language l writes
// it (1.234,5 in Vietnamese, 1,234.5 in English), digit for digit, without
// the rounding of a float. Anything else (an exponent, text) comes back
// unchanged.
func FormatDecimal(l Lang, s string) string {
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(body, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || (hasFrac && frac == "") {
		return s
	}
	group, dec := ".", ","
	if l == EN {
		group, dec = ",", "."
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString(dec + frac)
	}
	return b.String()
}
