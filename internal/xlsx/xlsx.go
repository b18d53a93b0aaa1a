// Package xlsx writes and reads the Excel workbooks officials exchange with
// tinhso, for every domain (plan templates, report forms, …).
//
// Writing: a Book of sheets with a bold, frozen header row, column widths,
// drop-downs whose options are Vietnamese labels, number formats that keep
// cells numeric, dates shown dd/mm/yyyy, a «Hướng dẫn» sheet, and Send for
// the HTTP download.
//
// Reading: Open checks an upload's type and the sizes its zip directory
// declares, then Sheet streams one worksheet with its own zip/XML reader,
// counting the bytes it inflates and the rows, columns and cells it meets,
// so that a workbook that inflates to hundreds of megabytes is refused
// after reading a few. A Sheet gives merged regions (applied to the cells
// they cover, or refused by range), the cached values of formulas, dates
// (date-formatted serials and dd/mm/yyyy text) and Vietnamese numbers typed
// as text. Every problem is an errs.Field naming "Sheet!Cell" (or a range,
// the sheet, or the file) with a code whose message is in the catalogues.
package xlsx

import (
	"net/http"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
)

// ContentType is the media type of an .xlsx workbook.
const ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// FileField is the form field of an uploaded workbook and the name of
// errors about the file as a whole.
const FileField = "file"

// fileContext names the workbook in messages (field.xlsx.file): the JSON
// name "file" means evidence elsewhere (field.file).
const fileContext = "xlsx"

// GuideSheet is the name of the instructions sheet.
const GuideSheet = "Hướng dẫn"

// Limits bound what reading one upload may cost. They are checked while
// streaming, before a sheet is whole in memory.
type Limits struct {
	MaxUpload   int64 // bytes of the uploaded file
	MaxUnzipped int64 // bytes of all its parts once inflated (declared and counted)
	MaxRows     int   // last row of a sheet that holds a value
	MaxCols     int   // last column of a sheet that holds a value
	MaxCells    int   // cell elements of a sheet, blank ones included: bounds the work a sheet of formatted blanks costs
}

// DefaultLimits fit the largest plan or report form a province files
// (a few thousand rows) with a wide margin; docs/plan-template.md states
// them to officials.
func DefaultLimits() Limits {
	return Limits{MaxUpload: 10 << 20, MaxUnzipped: 64 << 20, MaxRows: 20000, MaxCols: 256, MaxCells: 1000000}
}

// FileError is a problem with the upload as a whole.
func FileError(code string, args ...any) *errs.Error {
	return errs.Invalid(errs.Field{Name: FileField, Code: code, Args: args, Context: fileContext})
}

// TooLarge is the answer to an upload above lim.MaxUpload (413).
func TooLarge(lim Limits) *errs.Error {
	return &errs.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Key: "error.too_large",
		Fields: []errs.Field{{Name: FileField, Code: "file_too_large", Args: []any{lim.MaxUpload >> 20}, Context: fileContext}}}
}

// ErrMediaType is an API upload that is neither a workbook nor a form.
var ErrMediaType = &errs.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Key: "error.unsupported_media_type",
	Fields: []errs.Field{{Name: FileField, Code: "xlsx_content_type", Context: fileContext}}}

// Fold is the form headers, labels and codes are compared in: lower case,
// without diacritics, "*" (the required mark), commas and line breaks.
func Fold(s string) string {
	s = strings.NewReplacer("*", " ", ",", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s)
	return locale.Fold(s)
}

// Choice is one allowed value of a column: the code stored, the label the
// workbook shows (and its drop-down offers), and other spellings accepted.
type Choice struct {
	Code    string
	Label   string
	Aliases []string
}

// Choices are the allowed values of a column.
type Choices struct {
	list  []Choice
	index map[string]string // folded code, label or alias → code
}

// NewChoices indexes list; a later spelling never overrides an earlier one.
func NewChoices(list ...Choice) *Choices {
	c := &Choices{list: list, index: map[string]string{}}
	add := func(k, code string) {
		if k = Fold(k); k != "" {
			if _, dup := c.index[k]; !dup {
				c.index[k] = code
			}
		}
	}
	for _, ch := range list {
		add(ch.Code, ch.Code)
		add(ch.Label, ch.Code)
	}
	for _, ch := range list {
		for _, a := range ch.Aliases {
			add(a, ch.Code)
		}
	}
	return c
}

// Labels are the labels in order, for a drop-down.
func (c *Choices) Labels() []string {
	out := make([]string, len(c.list))
	for i, ch := range c.list {
		out[i] = ch.Label
	}
	return out
}

// Label is the label of code, or code itself when it is not a choice.
func (c *Choices) Label(code string) string {
	for _, ch := range c.list {
		if ch.Code == code {
			return ch.Label
		}
	}
	return code
}

// Code maps a code, a label or an alias (case, diacritics and commas
// ignored) to its code.
func (c *Choices) Code(v string) (string, bool) {
	code, ok := c.index[Fold(v)]
	return code, ok
}
