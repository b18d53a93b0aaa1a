package errs_test

import (
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/errs"
)

func TestText(t *testing.T) {
	for _, c := range []struct {
		name, s string
		kind    errs.TextKind
		code    string // "" when accepted
	}{
		{"a Vietnamese name", "Nguyễn Thị Minh Khai", errs.Name, ""},
		{"NUL", "Nguyễn\x00Khai", errs.Name, "control_char"},
		{"NUL in a paragraph", "Đoạn\x00văn", errs.Paragraph, "control_char"},
		{"bell", "a\x07", errs.Line, "control_char"},
		{"escape", "\x1b[31mđỏ", errs.Short, "control_char"},
		{"DEL", "a\x7fb", errs.Name, "control_char"},
		{"C1 next line", "a\u0085b", errs.Paragraph, "control_char"},
		{"right-to-left override", "tệp\u202Efdp.exe", errs.Name, "control_char"},
		{"isolate", "a\u2066b", errs.Line, "control_char"},
		{"byte-order mark inside", "a\uFEFFb", errs.Name, "control_char"},
		{"invalid UTF-8", "a\xffb", errs.Paragraph, "text_encoding"},
		{"newline in a name", "Sở\nKH&CN", errs.Name, "control_char"},
		{"tab in a line", "Sở\tKH&CN", errs.Line, "control_char"},
		{"newline, CRLF and tab in a paragraph", "Dòng một\r\nDòng hai\n\tthụt lề", errs.Paragraph, ""},
		{"200 Vietnamese letters in a name", strings.Repeat("ữ", 200), errs.Name, ""},
		{"201", strings.Repeat("ữ", 201), errs.Name, "too_long"},
		{"100 in a short field", strings.Repeat("đ", 100), errs.Short, ""},
		{"101 in a short field", strings.Repeat("đ", 101), errs.Short, "too_long"},
		{"1000 in a line", strings.Repeat("x", 1000), errs.Line, ""},
		{"1001 in a line", strings.Repeat("x", 1001), errs.Line, "too_long"},
		{"10001 in a paragraph", strings.Repeat("x", 10001), errs.Paragraph, "too_long"},
		{"empty", "", errs.Name, ""},
		{"zero-width joiner (emoji, Indic scripts)", "👩\u200D💻", errs.Name, ""},
	} {
		v := errs.Validator{Context: "test"}
		v.Text("f", c.s, c.kind)
		e, _ := errs.As(v.Err())
		got := ""
		if e != nil {
			got = e.Fields[0].Code
			if e.Fields[0].Name != "f" || e.Fields[0].Context != "test" {
				t.Errorf("%s: field %+v", c.name, e.Fields[0])
			}
		}
		if got != c.code {
			t.Errorf("%s: %q, want %q", c.name, got, c.code)
		}
	}
	v := errs.Validator{}
	v.Text("f", "a\x00", errs.Name)
	if e, _ := errs.As(v.Err()); e == nil || e.Fields[0].Args[0] != "U+0000" {
		t.Errorf("the message names the character: %+v", e)
	}
}
