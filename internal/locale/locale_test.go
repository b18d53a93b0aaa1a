package locale_test

import (
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/locale"
)

func TestCataloguesAgree(t *testing.T) {
	t.Parallel()
	vi, en := locale.Keys(locale.VI), locale.Keys(locale.EN)
	for _, k := range vi {
		if !locale.Has(locale.EN, k) {
			t.Errorf("key %q is in vi.json but not en.json", k)
		}
	}
	for _, k := range en {
		if !locale.Has(locale.VI, k) {
			t.Errorf("key %q is in en.json but not vi.json", k)
		}
	}
	if len(vi) < 20 {
		t.Fatalf("vi catalogue has only %d keys", len(vi))
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"Lai Châu": "lai chau",
		"Đak Đoa":  "dak doa",
		"  Sở Thông tin  và Truyền thông ": "so thong tin va truyen thong",
		"KBang": "kbang",
	}
	for in, want := range cases {
		if got := locale.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNumberAndDate(t *testing.T) {
	t.Parallel()
	if got := locale.Number(locale.VI, 1234567.5, 2); got != "1.234.567,5" {
		t.Errorf("vi number = %q", got)
	}
	if got := locale.Number(locale.EN, -1234.0, 2); got != "-1,234" {
		t.Errorf("en number = %q", got)
	}
	d := time.Date(2022, 6, 22, 3, 0, 0, 0, time.UTC)
	if got := locale.Date(locale.VI, d); got != "22/06/2022" {
		t.Errorf("vi date = %q", got)
	}
	if got := locale.ISODate(locale.EN, "2025-07-01"); got != "1 Jul 2025" {
		t.Errorf("en ISO date = %q", got)
	}
}

func TestVietnameseSort(t *testing.T) {
	t.Parallel()
	names := []string{"Đức Cơ", "Ia Pa", "Chư Sê", "Đak Đoa", "An Khê", "Ayun Pa", "Đak Pơ", "Chư Păh", "Dak Lak"}
	c := locale.Collator()
	c.SortStrings(names)
	want := []string{"An Khê", "Ayun Pa", "Chư Păh", "Chư Sê", "Dak Lak", "Đak Đoa", "Đak Pơ", "Đức Cơ", "Ia Pa"}
	if !slices.Equal(names, want) {
		t.Fatalf("sorted %v\nwant   %v", names, want)
	}
}

func TestFromRequest(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/", nil)
	if locale.FromRequest(r) != locale.VI {
		t.Error("default is not Vietnamese")
	}
	r.Header.Set("Accept-Language", "en-US,en;q=0.9")
	if locale.FromRequest(r) != locale.EN {
		t.Error("Accept-Language en ignored")
	}
	r.Header.Set("Cookie", "lang=vi")
	if locale.FromRequest(r) != locale.VI {
		t.Error("lang cookie ignored")
	}
	if !strings.Contains(locale.T(locale.VI, "app.name"), "Tỉnh số") {
		t.Errorf("app.name = %q", locale.T(locale.VI, "app.name"))
	}
}

func TestParseDate(t *testing.T) {
	good := map[string]string{
		"02/12/2026":   "2026-12-02",
		"2/7/2025":     "2025-07-02",
		" 01.07.2025 ": "2025-07-01",
		"31-12-2025":   "2025-12-31",
		"2025-07-01":   "2025-07-01",
		"29/02/2024":   "2024-02-29",
		"01072025":     "2025-07-01",
	}
	for in, want := range good {
		if got, ok := locale.ParseDate(in); !ok || got != want {
			t.Errorf("ParseDate(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	// An English browser's order, impossible days, two-digit years, and
	// year-first with slashes (ambiguous) are refused, never guessed.
	for _, in := range []string{"", "12/31/2025", "31/02/2025", "29/02/2025", "1/7/25", "2025/07/01", "01/07/2025x", "01//2025", "0/7/2025", "hôm nay", "2025-13-01", "/07/2025", "20250701", "0107202"} {
		if got, ok := locale.ParseDate(in); ok {
			t.Errorf("ParseDate(%q) = %q, want refused", in, got)
		}
	}
	if got := locale.InputDate("2025-07-01"); got != "01/07/2025" {
		t.Errorf("InputDate = %q", got)
	}
	if got := locale.InputDate("31/02/2025"); got != "31/02/2025" {
		t.Errorf("InputDate of a typed value = %q, want it kept", got)
	}
}

func TestParseMonth(t *testing.T) {
	good := map[string]string{"11/2026": "2026-11", "1/2026": "2026-01", "2026-11": "2026-11", "2026-1": "2026-01", " 03.2025": "2025-03", "112026": "2026-11"}
	for in, want := range good {
		if got, ok := locale.ParseMonth(in); !ok || got != want {
			t.Errorf("ParseMonth(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "13/2026", "0/2026", "2026/11", "11/26", "tháng 11", "01/11/2026"} {
		if got, ok := locale.ParseMonth(in); ok {
			t.Errorf("ParseMonth(%q) = %q, want refused", in, got)
		}
	}
	if got := locale.InputMonth("2026-11"); got != "11/2026" {
		t.Errorf("InputMonth = %q", got)
	}
}

// The fields' pattern attributes let through what the parsers take (the
// browser anchors them).
func TestDatePatterns(t *testing.T) {
	date := regexp.MustCompile(`^(?:` + locale.DatePattern + `)$`)
	for _, in := range []string{"02/12/2026", "2/7/2025", "01.07.2025", "31-12-2025", "2025-07-01", " 01/07/2025 ", "01072025"} {
		if !date.MatchString(in) {
			t.Errorf("DatePattern refuses %q", in)
		}
	}
	month := regexp.MustCompile(`^(?:` + locale.MonthPattern + `)$`)
	for _, in := range []string{"11/2026", "1/2026", "2026-11"} {
		if !month.MatchString(in) {
			t.Errorf("MonthPattern refuses %q", in)
		}
	}
}
