package locale_test

import (
	"errors"
	"testing"

	"github.com/tinhso/tinhso/internal/locale"
)

// TestParseDecimal: numbers as officials type them, read into exchange
// notation; the other language's way is refused, not guessed.
func TestParseDecimal(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		lang locale.Lang
		in   string
		want string
		err  error
	}{
		{locale.VI, "1.234,5", "1234.5", nil},
		{locale.VI, "12,5", "12.5", nil},
		{locale.VI, "1.500", "1500", nil},
		{locale.VI, "1.234.567", "1234567", nil},
		{locale.VI, "12.5", "12.5", nil}, // a lone point that cannot group thousands
		{locale.VI, "0,50", "0.5", nil},
		{locale.VI, "0.125", "0.125", nil}, // no thousands start with 0
		{locale.VI, " 45,5 % ", "45.5", nil},
		{locale.VI, "1 234,5", "1234.5", nil},
		{locale.VI, "-3", "-3", nil},
		{locale.VI, "−0,0", "0", nil},
		{locale.VI, "007", "7", nil},
		{locale.VI, ",5", "0.5", nil},
		{locale.VI, "1,234.5", "", locale.ErrAmbiguous},
		{locale.VI, "1,234,567", "", locale.ErrAmbiguous},
		{locale.VI, "1.2.3", "", locale.ErrNotNumber},
		{locale.VI, "1.23,5", "", locale.ErrNotNumber},
		{locale.VI, "12,", "", locale.ErrNotNumber},
		{locale.VI, "abc", "", locale.ErrNotNumber},
		{locale.VI, "1e5", "", locale.ErrNotNumber},
		{locale.VI, "", "", locale.ErrNotNumber},
		{locale.EN, "1,234.5", "1234.5", nil},
		{locale.EN, "1,500", "1500", nil},
		{locale.EN, "12,5", "12.5", nil},
		{locale.EN, "1.234,5", "", locale.ErrAmbiguous},
	} {
		got, err := locale.ParseDecimal(c.lang, c.in)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("ParseDecimal(%s, %q) = %q, %v; want %q, %v", c.lang, c.in, got, err, c.want, c.err)
		}
	}
}

func TestFormatDecimal(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		lang     locale.Lang
		in, want string
	}{
		{locale.VI, "1234.5", "1.234,5"},
		{locale.VI, "1234567", "1.234.567"},
		{locale.VI, "-12.25", "-12,25"},
		{locale.VI, "100", "100"},
		{locale.EN, "1234.5", "1,234.5"},
		{locale.VI, "1e5", "1e5"},
		{locale.VI, "", ""},
		{locale.VI, "true", "true"},
	} {
		if got := locale.FormatDecimal(c.lang, c.in); got != c.want {
			t.Errorf("FormatDecimal(%s, %q) = %q, want %q", c.lang, c.in, got, c.want)
		}
	}
	// What is written is read back.
	for _, s := range []string{"1234.5", "0.125", "-98765432.1", "7"} {
		for _, l := range locale.Langs {
			if back, err := locale.ParseDecimal(l, locale.FormatDecimal(l, s)); err != nil || back != s {
				t.Errorf("%s: %s → %q → %q, %v", l, s, locale.FormatDecimal(l, s), back, err)
			}
		}
	}
}
