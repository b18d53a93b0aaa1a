package errs

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// TextKind is the kind of a free-text field, which sets how long it may be
// and whether it may hold line breaks. Every domain checks its text
// through Validator.Text, so the bounds live here and nowhere else.
type TextKind int

const (
	// Short is a key, a number or a code typed by a person, a token's
	// name, a signer, a unit of measure: one line, 100 characters.
	Short TextKind = iota
	// Name is the name of a person or a unit, a job title, an issuing
	// body, a group heading, an e-mail address: one line, 200 characters.
	Name
	// Line is one long line: a plan's title, the lead units as the plan
	// writes them, a legal basis, the source of a figure: 1,000 characters.
	Line
	// Paragraph is text that may run over several lines (tabs and line
	// breaks allowed): a task's description, a target's statement, a note,
	// a progress report: 10,000 characters.
	Paragraph
)

// MaxLen is the longest text of a kind, in characters.
func (k TextKind) MaxLen() int {
	switch k {
	case Short:
		return 100
	case Name:
		return 200
	case Line:
		return 1000
	}
	return 10000
}

// Text checks a free-text field: valid UTF-8, no control character (line
// breaks and tabs only in a Paragraph), no character that reorders text
// on screen (which can make a name or an audit line read as another), and
// no longer than its kind allows. The code names the first offending
// character, e.g. "U+0000".
func (v *Validator) Text(field, s string, kind TextKind) {
	if !utf8.ValidString(s) {
		v.Add(field, "text_encoding")
		return
	}
	for _, r := range s {
		if forbiddenRune(r, kind) {
			v.Add(field, "control_char", fmt.Sprintf("U+%04X", r))
			return
		}
	}
	if n := utf8.RuneCountInString(s); n > kind.MaxLen() {
		v.Add(field, "too_long", kind.MaxLen())
	}
}

func forbiddenRune(r rune, kind TextKind) bool {
	switch {
	case r == '\n' || r == '\t' || r == '\r':
		return kind != Paragraph
	case unicode.IsControl(r): // C0, DEL and C1, NUL among them
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
		return true // bidirectional embeddings, overrides, isolates and marks
	case r == 0xFEFF, r >= 0xFFF9 && r <= 0xFFFB, r == utf8.RuneError:
		return true // byte-order mark inside text, interlinear annotations
	}
	return false
}
