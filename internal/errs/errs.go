// Package errs defines the typed errors that domain code returns. One
// function in httpx maps them to HTTP statuses and problem+json bodies; the
// messages come from the locale catalogues.
package errs

import (
	"errors"
	"fmt"
)

// Error is a failure a user or a client can act on.
type Error struct {
	Status int    // HTTP status
	Code   string // stable machine code, e.g. "validation_failed"
	Key    string // catalogue key of the message
	Args   []any  // message arguments
	Fields []Field
}

// Field names one invalid input: a form field, a JSON member, or a cell of
// an imported sheet.
type Field struct {
	Name string // JSON name of the field, or "Sheet!C12" for imports
	Code string // machine code: required, invalid, too_long, not_found, duplicate, …
	Args []any  // arguments of the message "invalid.<Code>"
	// Context is what the field belongs to ("plan", "official", "xlsx"): a
	// plan's title and an official's title share a name, not a label, so
	// labels are looked up as field.<Context>.<Name> before field.<Name>.
	Context string
	// Column is the header of the column a cell of an imported sheet lies
	// in, as the file writes it: messages say "Nhiệm vụ!F6 (Đơn vị chủ trì)".
	Column string
}

func (e *Error) Error() string {
	s := e.Code
	for _, f := range e.Fields {
		s += fmt.Sprintf("; %s: %s", f.Name, f.Code)
		if len(f.Args) > 0 {
			s += fmt.Sprintf(" %v", f.Args)
		}
	}
	return s
}

// Is lets errors.Is(err, errs.NotFound) match any Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

var (
	NotFound     = &Error{Status: 404, Code: "not_found", Key: "error.not_found"}
	Forbidden    = &Error{Status: 403, Code: "forbidden", Key: "error.forbidden"}
	Unauthorized = &Error{Status: 401, Code: "unauthorized", Key: "error.unauthorized"}
	Conflict     = &Error{Status: 409, Code: "conflict", Key: "error.conflict"}
	TooMany      = &Error{Status: 429, Code: "too_many_requests", Key: "error.too_many"}
	BadRequest   = &Error{Status: 400, Code: "bad_request", Key: "error.bad_request"}
)

// Invalid is a validation failure naming every bad field.
func Invalid(fields ...Field) *Error {
	return &Error{Status: 422, Code: "validation_failed", Key: "error.validation", Fields: fields}
}

// Validator collects field errors while a handler checks its input.
// Context, when set, is given to every field it records.
type Validator struct {
	Context string
	fields  []Field
}

// Add records that field failed with code.
func (v *Validator) Add(field, code string, args ...any) {
	v.fields = append(v.fields, Field{Name: field, Code: code, Args: args, Context: v.Context})
}

// Check adds the failure when ok is false.
func (v *Validator) Check(ok bool, field, code string, args ...any) {
	if !ok {
		v.Add(field, code, args...)
	}
}

// Err is nil when every check passed.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return Invalid(v.fields...)
}

// As extracts an *Error from err.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
