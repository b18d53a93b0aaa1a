// Package locale holds the message catalogues (Vietnamese first, English
// second) and the Vietnamese conventions for dates, numbers, sorting and
// accent-insensitive search.
package locale

import (
	"embed"
	"encoding/json"
	"fmt"
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

//go:embed catalog/*.json
var catalogFiles embed.FS

var catalogs = map[Lang]map[string]string{}

func init() {
	for _, l := range Langs {
		b, err := catalogFiles.ReadFile("catalog/" + string(l) + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("catalog %s: %v", l, err))
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
	return fmt.Sprintf(msg, args...)
}

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
