package xlsx

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
)

// Export is a table as every list page offers it for download: a title,
// the columns and the rows (cells as Table.Set takes them).
type Export struct {
	Name    string // the download's name without extension, e.g. "Chỉ tiêu báo cáo"
	Title   string // the sheet's name (Excel allows 31 characters)
	Columns []Column
	Rows    [][]any
}

// SendExport answers with e as a workbook (format "xlsx", the default) or
// as CSV with a UTF-8 byte-order mark, which Excel needs to read
// Vietnamese text in a CSV file (format "csv"). Numbers go to CSV with a
// point, as data; dates as YYYY-MM-DD.
func SendExport(w http.ResponseWriter, format string, e Export) error {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "", "xlsx":
		b := New(e.Name)
		defer b.Close()
		title := e.Title
		if title == "" {
			title = clip(e.Name, 31)
		}
		t, err := b.AddTable(title, e.Columns)
		if err != nil {
			return err
		}
		for _, row := range e.Rows {
			if err := t.Append(row...); err != nil {
				return err
			}
		}
		return Send(w, e.Name+".xlsx", b)
	case "csv":
		var sb strings.Builder
		sb.WriteString("\ufeff")
		cw := csv.NewWriter(&sb)
		cw.UseCRLF = true
		head := make([]string, len(e.Columns))
		for i, c := range e.Columns {
			head[i] = c.Header
		}
		cw.Write(head)
		for _, row := range e.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = csvCell(v)
			}
			cw.Write(rec)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", strings.ReplaceAll(Disposition(e.Name+".xlsx"), ".xlsx", ".csv"))
		w.Header().Set("Content-Length", strconv.Itoa(len(sb.String())))
		w.WriteHeader(http.StatusOK)
		_, err := w.Write([]byte(sb.String()))
		return err
	}
	return errs.Invalid(errs.Field{Name: "format", Code: "invalid"})
}

// ExportFormat reads the download a list request asks for. tinhso's
// convention for every table: the list's own URL (an API route or a page)
// with ?format=xlsx or ?format=csv downloads what the list shows, with the
// same filters; without it (or with format=json or html) the list answers
// as usual. Another format is a validation error naming "format".
func ExportFormat(r *http.Request) (format string, ok bool, err error) {
	switch f := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("format"))); f {
	case "", "json", "html":
		return "", false, nil
	case "xlsx", "csv":
		return f, true, nil
	}
	return "", false, errs.Invalid(errs.Field{Name: "format", Code: "export_format"})
}

func csvCell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case ISODate:
		return string(v)
	case time.Time:
		return v.Format(time.DateOnly)
	case *float64:
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "TRUE"
		}
		return "FALSE"
	}
	return fmt.Sprint(v)
}
