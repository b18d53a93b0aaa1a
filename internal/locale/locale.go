// Package locale holds the message catalogues (Vietnamese first, English
// second) and the Vietnamese conventions for dates, numbers, sorting and
// accent-insensitive search.
package locale

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Lang is a supported language tag.
type Lang string

const (
	VI Lang = "vi"
	EN Lang = "en"
)

// Langs lists the supported languages, the default first.
var Langs = []Lang{VI, EN}

// A language's catalogue is catalog/<lang>.json plus any
// catalog/<lang>.<part>.json (vi.report.json …), so a domain with many
// messages keeps them in a file of its own. A key may be in one file only.
//
//go:embed catalog/*.json
var catalogFiles embed.FS

var catalogs = map[Lang]map[string]string{}

func init() {
	for _, l := range Langs {
		names, err := fs.Glob(catalogFiles, "catalog/"+string(l)+".*json")
		if err != nil || len(names) == 0 {
			panic(fmt.Sprintf("catalog %s: no files (%v)", l, err))
		}
		m := map[string]string{}
		for _, name := range names {
			b, err := catalogFiles.ReadFile(name)
			if err != nil {
				panic(err)
			}
			part := map[string]string{}
			if err := json.Unmarshal(b, &part); err != nil {
				panic(fmt.Sprintf("catalog %s: %v", name, err))
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					panic(fmt.Sprintf("catalog %s: key %q is in another file of %s too", name, k, l))
				}
				m[k] = v
			}
		}
		catalogs[l] = m
	}
}

// Parse maps a tag such as "en-US" to a supported language, VI otherwise.
func Parse(s string) Lang {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, l := range Langs {
		if s == string(l) || strings.HasPrefix(s, string(l)+"-") {
			return l
		}
	}
	return VI
}

// FromRequest picks the language of a request: the "lang" cookie set by the
// switch in the page header, else Accept-Language, else Vietnamese.
func FromRequest(r *http.Request) Lang {
	if c, err := r.Cookie("lang"); err == nil {
		return Parse(c.Value)
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			return Parse(tags[0].String())
		}
	}
	return VI
}

// T translates key, formatting args with fmt verbs in the message. A missing
// key falls back to Vietnamese and then to the key itself, so a gap shows
// instead of breaking the page (a test checks the catalogues agree).
func T(l Lang, key string, args ...any) string {
	msg, ok := catalogs[l][key]
	if !ok {
		if msg, ok = catalogs[VI][key]; !ok {
			msg = key
		}
	}
	if len(args) == 0 {
		return msg
	}
	copied := false
	for i, a := range args {
		var s string
		switch a := a.(type) {
		case Num:
			s = Number(l, float64(a), 2)
		case Key:
			s = T(l, string(a))
		default:
			continue
		}
		if !copied {
			args, copied = append([]any(nil), args...), true // the caller's slice stays as it was
		}
		args[i] = s
	}
	return fmt.Sprintf(msg, args...)
}

// Num is a message argument that T writes with the language's separators
// (12,5 in Vietnamese, 12.5 in English), for messages whose numbers are
// decimals: give it to a %s verb.
type Num float64

// Key is a message argument that T writes as the translation of a
// catalogue key (a state's or a level's name), in the message's language.
type Key string

// Has reports whether key is in the catalogue of l.
func Has(l Lang, key string) bool { _, ok := catalogs[l][key]; return ok }

// Keys lists the keys of a catalogue (for the catalogue test).
func Keys(l Lang) []string {
	var ks []string
	for k := range catalogs[l] {
		ks = append(ks, k)
	}
	return ks
}

// vnZone is Vietnam's time zone (UTC+7, no daylight saving); fixed so the
// binary needs no tz database.
var vnZone = time.FixedZone("ICT", 7*3600)

// Date formats a date the way each language writes it: 22/06/2022 in
// Vietnamese, 22 Jun 2022 in English.
func Date(l Lang, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(vnZone)
	if l == EN {
		return t.Format("2 Jan 2006")
	}
	return t.Format("02/01/2006")
}

// DateTime adds the time of day.
func DateTime(l Lang, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(vnZone)
	if l == EN {
		return t.Format("2 Jan 2006 15:04")
	}
	return t.Format("15:04 02/01/2006")
}

// ISODate formats an ISO date string (YYYY-MM-DD) for display.
func ISODate(l Lang, iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return Date(l, t.Add(12*time.Hour))
}

// Number formats a number with the language's separators: 1.234,5 in
// Vietnamese, 1,234.5 in English; decimals is the number of digits kept
// after the point, trailing zeros dropped.
func Number(l Lang, v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	thou, dec := ".", ","
	if l == EN {
		thou, dec = ",", "."
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(thou)
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString(dec + frac)
	}
	return b.String()
}

// Collator returns a collator that orders Vietnamese correctly (a < ă < â,
// d < đ, tones after the base letter).
func Collator() *collate.Collator { return collate.New(language.Vietnamese) }

// Fold lowers s and strips Vietnamese diacritics so that "lai chau" finds
// "Lai Châu" and "dak doa" finds "Đak Đoa".
func Fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ':
			b.WriteRune('d')
		default:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// Dates in forms are typed and shown as dd/mm/yyyy whatever the browser's
// language (a date input follows it: mm/dd/yyyy on an English Chrome, common
// on office PCs, turns 03/07 into 7 March). ParseDate and ParseMonth are the
// one place a typed date is read; they also take ISO, which links and API
// clients use.

// DatePlaceholder and MonthPlaceholder show the format in empty fields.
const (
	DatePlaceholder  = "dd/mm/yyyy"
	MonthPlaceholder = "mm/yyyy"
)

// DatePattern and MonthPattern are the fields' pattern attributes: what
// ParseDate and ParseMonth take, written for the browsers' v-mode regular
// expressions (/ and - escaped in classes).
const (
	DatePattern  = `\s*(\d{1,2}[\/.\-]\d{1,2}[\/.\-]\d{4}|\d{8}|\d{4}-\d{1,2}-\d{1,2})\s*`
	MonthPattern = `\s*(\d{1,2}[\/.\-]\d{4}|\d{6}|\d{4}-\d{1,2})\s*`
)

// ParseDate reads a date typed as dd/mm/yyyy (one-digit day and month, and
// "." or "-" between the parts, are taken too, as is ddmmyyyy: a phone's
// number pad has no "/") or as ISO yyyy-mm-dd, and returns it as
// yyyy-mm-dd; ok is false for anything else, including days that do not
// exist (31/02/2025).
func ParseDate(s string) (iso string, ok bool) {
	parts := splitDate(s)
	if len(parts) == 1 && len(parts[0]) == 8 && atoi(parts[0][4:]) >= 1900 {
		parts = []string{parts[0][:2], parts[0][2:4], parts[0][4:]}
	}
	var d, m, y int
	switch {
	case len(parts) == 3 && len(parts[0]) == 4:
		y, m, d = atoi(parts[0]), atoi(parts[1]), atoi(parts[2])
		if strings.ContainsAny(s, "/.") {
			return "", false // 2025/07/01 could be read either way
		}
	case len(parts) == 3 && len(parts[2]) == 4 && len(parts[0]) <= 2 && len(parts[1]) <= 2:
		d, m, y = atoi(parts[0]), atoi(parts[1]), atoi(parts[2])
	default:
		return "", false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if d < 1 || m < 1 || m > 12 || y < 1000 || t.Day() != d || int(t.Month()) != m {
		return "", false
	}
	return t.Format(time.DateOnly), true
}

// ParseMonth reads a month typed as mm/yyyy (or m/yyyy, with "." or "-")
// (or mmyyyy) or as ISO yyyy-mm, and returns it as yyyy-mm.
func ParseMonth(s string) (ym string, ok bool) {
	parts := splitDate(s)
	if len(parts) == 1 && len(parts[0]) == 6 && atoi(parts[0][2:]) >= 1900 {
		parts = []string{parts[0][:2], parts[0][2:]}
	}
	if len(parts) != 2 {
		return "", false
	}
	var m, y int
	switch {
	case len(parts[0]) == 4 && len(parts[1]) <= 2 && !strings.ContainsAny(s, "/."):
		y, m = atoi(parts[0]), atoi(parts[1])
	case len(parts[1]) == 4 && len(parts[0]) <= 2:
		m, y = atoi(parts[0]), atoi(parts[1])
	default:
		return "", false
	}
	if m < 1 || m > 12 || y < 1000 {
		return "", false
	}
	return fmt.Sprintf("%04d-%02d", y, m), true
}

// FormDate is a date field's value as the domain checks it: ISO when
// ParseDate reads it, else as typed (trimmed), so that the domain's own
// validation names the field and nothing is guessed.
func FormDate(s string) string {
	if iso, ok := ParseDate(s); ok {
		return iso
	}
	return strings.TrimSpace(s)
}

// FormMonth is FormDate for a month field.
func FormMonth(s string) string {
	if ym, ok := ParseMonth(s); ok {
		return ym
	}
	return strings.TrimSpace(s)
}

// splitDate cuts a typed date at "/", "." or "-" into runs of digits; nil
// when anything else is in it.
func splitDate(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '.' || r == '-' })
	if len(parts) != strings.Count(s, "/")+strings.Count(s, ".")+strings.Count(s, "-")+1 {
		return nil // "01//2025", a leading or trailing separator
	}
	for _, p := range parts {
		for _, r := range p {
			if r < '0' || r > '9' {
				return nil
			}
		}
	}
	return parts
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// InputDate writes an ISO date as a form field shows it, dd/mm/yyyy in
// every language; anything else (what a person typed) is returned as it is.
func InputDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("02/01/2006")
}

// InputMonth writes an ISO month (yyyy-mm) as mm/yyyy.
func InputMonth(s string) string {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return s
	}
	return t.Format("01/2006")
}
