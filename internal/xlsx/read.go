package xlsx

// Reading uploads with our own zip/XML reader rather than excelize's: it
// inflates only the parts it needs, counts every byte it inflates, stops a
// sheet at the first row, column or cell beyond the limits, and keeps a
// cell in 32 bytes, so a bomb is refused after a few megabytes whatever its
// zip directory claims.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
)

// Workbook is an uploaded workbook opened for reading.
type Workbook struct {
	files    map[string]*zip.File // by lower-case part name (OPC names ignore case)
	lim      Limits
	inflated int64
	sheets   []sheetRef
	shared   []string
	formats  []cellFormat // by cell format index (the s attribute of a cell)
	date1904 bool
}

type sheetRef struct{ name, part string }

type cellFormat uint8

const (
	fmtGeneral cellFormat = iota
	fmtDate
	fmtPercent
)

// errInflated stops a reader once the workbook has inflated more than
// Limits.MaxUnzipped.
var errInflated = errors.New("xlsx: inflated size above the limit")

// errCorrupt is a part that is not what OOXML says it is.
var errCorrupt = errors.New("xlsx: corrupt part")

// Open checks that data is an .xlsx workbook within the limits its zip
// directory declares and reads its sheet list, shared strings and cell
// formats. Errors are FileError values naming what the file is instead
// (an .xls, a Word file, an OpenDocument sheet, …).
func Open(data []byte, lim Limits) (*Workbook, error) {
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return nil, FileError("required")
	case int64(len(data)) > lim.MaxUpload:
		return nil, TooLarge(lim)
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return nil, FileError("xlsx_xls") // Excel 97–2003, or an encrypted workbook
	case !bytes.HasPrefix(data, []byte("PK")):
		return nil, FileError("not_xlsx")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, FileError("xlsx_corrupt")
	}
	w := &Workbook{files: map[string]*zip.File{}, lim: lim}
	var declared uint64
	var hasXL, hasWord bool
	for _, f := range zr.File {
		name := strings.ToLower(strings.TrimPrefix(f.Name, "/"))
		w.files[name] = f
		switch {
		case strings.HasPrefix(name, "xl/"):
			hasXL = true
		case strings.HasPrefix(name, "word/"):
			hasWord = true
		}
		// The directory's sizes refuse an honest bomb before any inflating;
		// a dishonest one is caught by archive/zip (no more than declared)
		// and by counting.
		if declared += f.UncompressedSize64; declared > uint64(lim.MaxUnzipped) || f.UncompressedSize64 > uint64(lim.MaxUnzipped) {
			return nil, FileError("xlsx_unzipped_too_large", lim.MaxUnzipped>>20)
		}
	}
	if f, ok := w.files["mimetype"]; ok && f.UncompressedSize64 < 256 {
		if b, err := w.readAll(f); err == nil && strings.Contains(string(b), "opendocument.spreadsheet") {
			return nil, FileError("xlsx_ods")
		}
	}
	switch {
	case hasWord && !hasXL:
		return nil, FileError("xlsx_word")
	case !hasXL:
		return nil, FileError("not_xlsx")
	}
	if err := w.load(); err != nil {
		return nil, w.fileError(err)
	}
	return w, nil
}

// fileError maps a failure to read a part to what the official is told.
func (w *Workbook) fileError(err error) error {
	if errors.Is(err, errInflated) {
		return FileError("xlsx_unzipped_too_large", w.lim.MaxUnzipped>>20)
	}
	if e, ok := errs.As(err); ok {
		return e
	}
	return FileError("xlsx_corrupt")
}

// counter counts the bytes inflated by every part of a workbook.
type counter struct {
	r io.Reader
	w *Workbook
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.w.inflated += int64(n)
	if c.w.inflated > c.w.lim.MaxUnzipped {
		return n, errInflated
	}
	return n, err
}

// open inflates a part through the counter.
func (w *Workbook) open(f *zip.File) (io.ReadCloser, io.Reader, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	return rc, bufio.NewReaderSize(&counter{r: rc, w: w}, 64<<10), nil
}

func (w *Workbook) readAll(f *zip.File) ([]byte, error) {
	rc, r, err := w.open(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(r)
}

// parse streams the XML of a part to fn, token by token. RawToken skips
// namespace resolution: OOXML elements are told apart by local name, and
// some writers use prefixes ("x:row").
func (w *Workbook) parse(part string, fn func(d *xml.Decoder, tok xml.Token) error) error {
	f, ok := w.files[strings.ToLower(part)]
	if !ok {
		return errCorrupt
	}
	rc, r, err := w.open(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	d := xml.NewDecoder(r)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(d, tok); err != nil {
			return err
		}
	}
}

func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// relID is the r:id attribute (any prefix bound to the relationships
// namespace).
func relID(se xml.StartElement) string {
	for _, a := range se.Attr {
		if a.Name.Local == "id" && a.Name.Space != "" {
			return a.Value
		}
	}
	return ""
}

type rel struct{ typ, target string }

// rels reads the relationships of part, targets resolved to part names.
func (w *Workbook) rels(part string) (map[string]rel, error) {
	dir, file := path.Split(part)
	name := dir + "_rels/" + file + ".rels"
	out := map[string]rel{}
	if _, ok := w.files[strings.ToLower(name)]; !ok {
		return out, nil
	}
	err := w.parse(name, func(_ *xml.Decoder, tok xml.Token) error {
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Relationship" || attr(se, "TargetMode") == "External" {
			return nil
		}
		t := attr(se, "Target")
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join(dir, t)
		}
		out[attr(se, "Id")] = rel{typ: attr(se, "Type"), target: t}
		return nil
	})
	return out, err
}

// load reads the sheet list, shared strings and cell formats.
func (w *Workbook) load() error {
	book := "xl/workbook.xml"
	root, err := w.rels("")
	if err != nil {
		return err
	}
	for _, r := range root {
		if strings.HasSuffix(r.typ, "/officeDocument") {
			book = r.target
		}
	}
	type sheet struct{ name, id string }
	var sheets []sheet
	err = w.parse(book, func(_ *xml.Decoder, tok xml.Token) error {
		se, ok := tok.(xml.StartElement)
		if !ok {
			return nil
		}
		switch se.Name.Local {
		case "workbookPr":
			v := attr(se, "date1904")
			w.date1904 = v == "1" || v == "true"
		case "sheet":
			sheets = append(sheets, sheet{name: attr(se, "name"), id: relID(se)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	rels, err := w.rels(book)
	if err != nil {
		return err
	}
	var sharedPart, stylesPart string
	for _, r := range rels {
		switch {
		case strings.HasSuffix(r.typ, "/sharedStrings"):
			sharedPart = r.target
		case strings.HasSuffix(r.typ, "/styles"):
			stylesPart = r.target
		}
	}
	for _, s := range sheets {
		// Chart sheets and dialog sheets hold no cells: not listed.
		if r, ok := rels[s.id]; ok && strings.HasSuffix(r.typ, "/worksheet") {
			w.sheets = append(w.sheets, sheetRef{name: s.name, part: r.target})
		}
	}
	if sharedPart != "" {
		if err := w.loadShared(sharedPart); err != nil {
			return err
		}
	}
	if stylesPart != "" {
		if err := w.loadStyles(stylesPart); err != nil {
			return err
		}
	}
	return nil
}

// loadShared reads the shared strings: the text runs of each item, without
// phonetic guides.
func (w *Workbook) loadShared(part string) error {
	var buf strings.Builder
	inT, phonetic := false, 0
	return w.parse(part, func(_ *xml.Decoder, tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				buf.Reset()
			case "t":
				inT = true
			case "rPh":
				phonetic++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				w.shared = append(w.shared, buf.String())
			case "t":
				inT = false
			case "rPh":
				phonetic--
			}
		case xml.CharData:
			if inT && phonetic == 0 {
				buf.Write(t)
			}
		}
		return nil
	})
}

// loadStyles reads which cell formats show dates or percentages.
func (w *Workbook) loadStyles(part string) error {
	custom := map[int]string{}
	inXfs := false
	return w.parse(part, func(_ *xml.Decoder, tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "numFmt":
				id, _ := strconv.Atoi(attr(t, "numFmtId"))
				custom[id] = attr(t, "formatCode")
			case "cellXfs":
				inXfs = true
			case "xf":
				if inXfs {
					id, _ := strconv.Atoi(attr(t, "numFmtId"))
					w.formats = append(w.formats, formatOf(id, custom))
				}
			}
		case xml.EndElement:
			if t.Name.Local == "cellXfs" {
				inXfs = false
			}
		}
		return nil
	})
}

// formatOf classifies a number format: the built-in date formats (14–22,
// 45–47, and the East Asian 27–36, 50–58), percentages (9, 10), or a
// custom code.
func formatOf(id int, custom map[int]string) cellFormat {
	if code, ok := custom[id]; ok {
		return codeFormat(code)
	}
	switch {
	case id >= 14 && id <= 22, id >= 27 && id <= 36, id >= 45 && id <= 47, id >= 50 && id <= 58:
		return fmtDate
	case id == 9 || id == 10:
		return fmtPercent
	}
	return fmtGeneral
}

// codeFormat reads the first section of a format code: a date when it has
// a day, month, year, hour or second outside quoted text, escapes and
// brackets (colours, conditions, locales), a percentage when it has "%".
func codeFormat(code string) cellFormat {
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				return fmtGeneral
			}
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				return fmtGeneral
			}
			switch strings.ToLower(code[i+1 : i+j]) { // elapsed time: [h]:mm
			case "h", "hh", "m", "mm", "s", "ss":
				return fmtDate
			}
			i += j
		case ';':
			return fmtGeneral
		case '%':
			return fmtPercent
		case 'd', 'D', 'm', 'M', 'y', 'Y', 'h', 'H', 's', 'S':
			return fmtDate
		}
	}
	return fmtGeneral
}

// SheetNames lists the worksheets in workbook order.
func (w *Workbook) SheetNames() []string {
	out := make([]string, len(w.sheets))
	for i, s := range w.sheets {
		out[i] = s.name
	}
	return out
}

// Find returns the sheet whose name folds to want's (case and diacritics
// ignored: "KẾ HOẠCH", "ke hoach").
func (w *Workbook) Find(want string) (string, bool) {
	for _, s := range w.sheets {
		if Fold(s.name) == Fold(want) {
			return s.name, true
		}
	}
	return "", false
}

// Kind is what a cell holds.
type Kind uint8

const (
	Blank    Kind = iota
	Text          // a string
	Number        // a number not formatted as a date
	Date          // a date: a date-formatted number, or an ISO date cell
	Bool          // TRUE or FALSE
	Error         // a formula's error value (#N/A, #REF!, …)
	Uncached      // a formula the file holds no result of
)

// Cell is one cell's value. Formulas give their cached result.
type Cell struct {
	Str  string  // the text of Text and Error cells
	Num  float64 // the value of Number, Bool (1, 0) and Date (serial, 1900 system) cells
	Kind Kind
	Pct  bool // a number formatted as a percentage
}

// IsBlank reports a cell with nothing but spaces.
func (c Cell) IsBlank() bool {
	return c.Kind == Blank || c.Kind == Text && strings.TrimSpace(c.Str) == ""
}

// String is the value as an official reads it: the text, a number as
// written without grouping (1.1, 2025), a date as dd/mm/yyyy, TRUE/FALSE,
// an error value.
func (c Cell) String() string {
	switch c.Kind {
	case Text, Error:
		return c.Str
	case Number:
		return strconv.FormatFloat(c.Num, 'f', -1, 64)
	case Date:
		if t, ok := serialTime(c.Num); ok {
			return t.Format("02/01/2006")
		}
		return strconv.FormatFloat(c.Num, 'f', -1, 64)
	case Bool:
		if c.Num != 0 {
			return "TRUE"
		}
		return "FALSE"
	}
	return ""
}

// serialTime is the day of an Excel serial (1900 system, whose serial 60
// is the 29 February 1900 that never was).
func serialTime(serial float64) (time.Time, bool) {
	if serial < 1 || serial >= 2958466 || math.IsNaN(serial) {
		return time.Time{}, false
	}
	days := int(math.Floor(serial))
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if days < 61 {
		base = base.AddDate(0, 0, 1)
	}
	return base.AddDate(0, 0, days), true
}

// timeSerial is the serial of an ISO date (1900 system).
func timeSerial(t time.Time) float64 {
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	days := t.Sub(base).Hours() / 24
	if days < 61 {
		days--
	}
	return math.Floor(days)
}

// Range is a rectangle of cells, 1-based and inclusive.
type Range struct{ Col1, Row1, Col2, Row2 int }

func (r Range) String() string {
	return CellName(r.Col1, r.Row1) + ":" + CellName(r.Col2, r.Row2)
}

// CellName writes a cell reference: (2, 5) is "B5".
func CellName(col, row int) string {
	return ColumnName(col) + strconv.Itoa(row)
}

// ColumnName writes a column's letters: 28 is "AB".
func ColumnName(col int) string {
	var b []byte
	for ; col > 0; col = (col - 1) / 26 {
		b = append([]byte{byte('A' + (col-1)%26)}, b...)
	}
	return string(b)
}

// parseRef reads "AB12" (or "$AB$12").
func parseRef(s string) (col, row int, ok bool) {
	s = strings.ReplaceAll(s, "$", "")
	i := 0
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z') {
		c := int(s[i]|0x20) - 'a' + 1
		col = col*26 + c
		i++
		if col > 16384 {
			return 0, 0, false
		}
	}
	row, err := strconv.Atoi(s[i:])
	if i == 0 || err != nil || row < 1 || row > 1048576 {
		return 0, 0, false
	}
	return col, row, true
}

// CellPos reads where a problem's field points: "Dữ liệu!E12", "E12", or
// the first cell of a range ("Nhiệm vụ!P5:P9"), for sorting problems by
// row and column. ok is false for a sheet or the file.
func CellPos(ref string) (col, row int, ok bool) {
	if i := strings.LastIndexByte(ref, '!'); i >= 0 {
		ref = ref[i+1:]
	}
	ref, _, _ = strings.Cut(ref, ":")
	return parseRef(ref)
}

func parseRange(s string) (Range, bool) {
	a, b, found := strings.Cut(s, ":")
	if !found {
		b = a
	}
	c1, r1, ok1 := parseRef(a)
	c2, r2, ok2 := parseRef(b)
	if !ok1 || !ok2 {
		return Range{}, false
	}
	return Range{min(c1, c2), min(r1, r2), max(c1, c2), max(r1, r2)}, true
}

// Sheet reads one worksheet, by its name in SheetNames, streaming it: the
// first row, column or cell beyond the limits ends the reading with an
// error naming the sheet.
func (w *Workbook) Sheet(name string) (*Sheet, error) {
	part := ""
	for _, s := range w.sheets {
		if s.name == name {
			part = s.part
		}
	}
	if part == "" {
		return nil, errs.Invalid(errs.Field{Name: name, Code: "missing_sheet", Args: []any{name}})
	}
	sh := &Sheet{Name: name}
	var (
		col, row, cells   int
		typ               string
		style             int
		val, inline       strings.Builder
		hasV, hasF, hasIS bool
		inV, inIS, inT    bool
		phonetic          int
	)
	limit := func(code string, arg int) error {
		return errs.Invalid(errs.Field{Name: name, Code: code, Args: []any{arg}})
	}
	err := w.parse(part, func(_ *xml.Decoder, tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				if r, err := strconv.Atoi(attr(t, "r")); err == nil && r > 0 {
					row = r
				} else {
					row++
				}
				col = 0
			case "c":
				if cells++; cells > w.lim.MaxCells {
					return limit("xlsx_too_many_cells", w.lim.MaxCells)
				}
				if ref := attr(t, "r"); ref != "" {
					c, r, ok := parseRef(ref)
					if !ok {
						return errCorrupt
					}
					col, row = c, r
				} else {
					col++
				}
				typ = attr(t, "t")
				style, _ = strconv.Atoi(attr(t, "s"))
				val.Reset()
				inline.Reset()
				hasV, hasF, hasIS = false, false, false
			case "v":
				inV = true
			case "f":
				hasF = true
			case "is":
				inIS, hasIS = true, true
			case "t":
				inT = inIS
			case "rPh":
				phonetic++
			case "mergeCell":
				if cells++; cells > w.lim.MaxCells {
					return limit("xlsx_too_many_cells", w.lim.MaxCells)
				}
				if r, ok := parseRange(attr(t, "ref")); ok {
					sh.merges = append(sh.merges, r)
				}
			}
		case xml.CharData:
			switch {
			case inV:
				val.Write(t)
			case inT && phonetic == 0:
				inline.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inV, hasV = false, true
			case "t":
				inT = false
			case "is":
				inIS = false
			case "rPh":
				phonetic--
			case "c":
				c, err := w.cell(typ, style, val.String(), inline.String(), hasV, hasF, hasIS)
				if err != nil {
					return err
				}
				if c.IsBlank() {
					return nil
				}
				if row > w.lim.MaxRows {
					return limit("too_many_rows", w.lim.MaxRows)
				}
				if col > w.lim.MaxCols {
					return limit("xlsx_too_many_columns", w.lim.MaxCols)
				}
				sh.put(col, row, c)
			}
		}
		return nil
	})
	if err != nil {
		if e, ok := errs.As(err); ok {
			return nil, e
		}
		return nil, w.fileError(err)
	}
	return sh, nil
}

// cell decodes one cell element.
func (w *Workbook) cell(typ string, style int, v, inline string, hasV, hasF, hasIS bool) (Cell, error) {
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(w.shared) {
			return Cell{}, errCorrupt
		}
		return Cell{Kind: Text, Str: w.shared[i]}, nil
	case "inlineStr":
		if !hasIS {
			inline = v
		}
		return Cell{Kind: Text, Str: inline}, nil
	case "str":
		if !hasV && hasF {
			return Cell{Kind: Uncached}, nil
		}
		return Cell{Kind: Text, Str: v}, nil
	case "b":
		if !hasV && hasF {
			return Cell{Kind: Uncached}, nil
		}
		b := 0.0
		if strings.TrimSpace(v) == "1" || strings.EqualFold(strings.TrimSpace(v), "true") {
			b = 1
		}
		return Cell{Kind: Bool, Num: b}, nil
	case "e":
		return Cell{Kind: Error, Str: v}, nil
	case "d":
		t, err := time.Parse("2006-01-02", strings.TrimSpace(v)[:min(10, len(strings.TrimSpace(v)))])
		if err != nil {
			return Cell{}, errCorrupt
		}
		return Cell{Kind: Date, Num: timeSerial(t)}, nil
	}
	if !hasV {
		if hasF {
			return Cell{Kind: Uncached}, nil
		}
		return Cell{}, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return Cell{}, errCorrupt
	}
	var format cellFormat
	if style >= 0 && style < len(w.formats) {
		format = w.formats[style]
	}
	switch format {
	case fmtDate:
		if w.date1904 {
			f += 1462
		}
		return Cell{Kind: Date, Num: f}, nil
	case fmtPercent:
		return Cell{Kind: Number, Num: f, Pct: true}, nil
	}
	return Cell{Kind: Number, Num: f}, nil
}
