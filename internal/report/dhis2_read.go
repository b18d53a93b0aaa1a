package report

// Streaming readers for dataValueSets payloads. Neither keeps more than one
// value in memory: a 1,000,000-value import must run in constant memory
// (issue 7, "Speed"), so values are handed to a callback one at a time and
// the caller stores, validates or counts them as they come.

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// DefaultMaxPayload is the cap applied when ReadOptions.MaxBytes is zero:
// large enough for a million values in DHIS2 JSON (about 150 MB), small
// enough that a runaway client cannot fill the disk of a job spool.
const DefaultMaxPayload int64 = 256 << 20

// ErrPayloadTooLarge is returned (wrapped) once more than the cap has been
// read. The API answers it with 413; nothing read before it may be kept.
var ErrPayloadTooLarge = errors.New("dataValueSets: payload larger than the limit")

// ErrTruncated is returned (wrapped in a *PayloadError) when the JSON ends
// before its top-level object is closed.
var ErrTruncated = errors.New("payload ends before the JSON is complete (truncated upload?)")

// ErrLateDefault is returned (wrapped) when a set-level period, orgUnit or
// attributeOptionCombo appears after dataValues that needed it: a streaming
// reader has already handed those values on, so rather than import them
// without the default the whole payload is refused. DHIS2's own exports
// always put the header members first.
var ErrLateDefault = errors.New("set-level default appears after the values that need it; put period, orgUnit and attributeOptionCombo before dataValues")

// PayloadError locates a malformed payload: the index of the value (0-based,
// as DHIS2's conflict indexes; -1 for the set level), the CSV line (1-based,
// 0 for JSON) or the JSON byte offset.
type PayloadError struct {
	Index  int
	Line   int
	Offset int64
	Err    error
}

func (e *PayloadError) Error() string {
	var where string
	switch {
	case e.Line > 0:
		where = fmt.Sprintf("CSV line %d", e.Line)
	case e.Index >= 0:
		where = fmt.Sprintf("dataValues[%d] (byte %d)", e.Index, e.Offset)
	default:
		where = fmt.Sprintf("byte %d", e.Offset)
	}
	return "dataValueSets: " + where + ": " + e.Err.Error()
}

func (e *PayloadError) Unwrap() error { return e.Err }

// ReadOptions tune ReadJSON and ReadCSV.
type ReadOptions struct {
	// MaxBytes caps the payload; zero means DefaultMaxPayload.
	MaxBytes int64
	// OnHeader, when set, is called exactly once by ReadJSON: before the
	// first value, with the set-level members read so far (all of them in a
	// DHIS2-shaped payload), or at the end when there are no values. It lets
	// the caller refuse a set-level error (unknown data set, E7600) before
	// any value is handled. ReadCSV calls it once before the first value with
	// an empty header, since CSV has no set level.
	OnHeader func(DataValueSet) error
	// CSVHeader says whether the first CSV row is a header.
	CSVHeader CSVHeader
}

func (o ReadOptions) limit() int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return DefaultMaxPayload
}

// capReader fails with ErrPayloadTooLarge as soon as one byte beyond the cap
// is available, so the cap holds however the payload is framed (chunked
// uploads have no Content-Length to check up front).
type capReader struct {
	r     io.Reader
	left  int64
	limit int64
	probe [1]byte
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		n, err := c.r.Read(c.probe[:])
		if n > 0 {
			return 0, fmt.Errorf("%w (%d bytes)", ErrPayloadTooLarge, c.limit)
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// flexString accepts what DHIS2's Jackson binding coerces into a String: a
// JSON string, a number or a boolean (kept as written), or null.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
		return nil
	case b[0] == '"':
		// The decoder has already checked the syntax, so a string without
		// escapes and with valid UTF-8 is its bytes between the quotes; this
		// fast path halves the cost of a value (BenchmarkReadJSON).
		if inner := b[1 : len(b)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			*f = flexString(inner)
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case string(b) == "null":
		*f = ""
	case b[0] == '{' || b[0] == '[':
		return errors.New("expected a string, got an object or array")
	default:
		*f = flexString(b)
	}
	return nil
}

// flexBool accepts true/false, their string forms and null, as Jackson does.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true", `"true"`:
		*f = true
	case "false", `"false"`, "null", `""`:
		*f = false
	default:
		return fmt.Errorf("expected true or false, got %s", b)
	}
	return nil
}

// wireValue is DataValue as decoded, tolerant of DHIS2 clients' variants.
type wireValue struct {
	DataElement          flexString `json:"dataElement"`
	Period               flexString `json:"period"`
	OrgUnit              flexString `json:"orgUnit"`
	CategoryOptionCombo  flexString `json:"categoryOptionCombo"`
	AttributeOptionCombo flexString `json:"attributeOptionCombo"`
	Value                flexString `json:"value"`
	StoredBy             flexString `json:"storedBy"`
	Created              flexString `json:"created"`
	LastUpdated          flexString `json:"lastUpdated"`
	Comment              flexString `json:"comment"`
	FollowUp             flexBool   `json:"followup"`
	Deleted              flexBool   `json:"deleted"`
}

func (w *wireValue) value() DataValue {
	return DataValue{
		DataElement:          string(w.DataElement),
		Period:               string(w.Period),
		OrgUnit:              string(w.OrgUnit),
		CategoryOptionCombo:  string(w.CategoryOptionCombo),
		AttributeOptionCombo: string(w.AttributeOptionCombo),
		Value:                string(w.Value),
		StoredBy:             string(w.StoredBy),
		Created:              string(w.Created),
		LastUpdated:          string(w.LastUpdated),
		Comment:              string(w.Comment),
		FollowUp:             bool(w.FollowUp),
		Deleted:              bool(w.Deleted),
	}
}

// ReadJSON streams a DHIS2 JSON dataValueSet from r, calling fn for each
// value in order with its 0-based index (the index DHIS2's conflicts use)
// and the set-level defaults applied. It returns the set-level header.
//
// Header members may come before or after dataValues. dataSet and
// completeDate are honoured wherever they are; period, orgUnit and
// attributeOptionCombo apply to the values that follow them, and one that
// arrives after a value that lacked it is ErrLateDefault (see there).
// Unknown members are skipped, as DHIS2 skips them. An error from fn stops
// the read and is returned as is.
func ReadJSON(r io.Reader, opts ReadOptions, fn func(index int, v DataValue) error) (DataValueSet, error) {
	var h DataValueSet
	dec := json.NewDecoder(&capReader{r: r, left: opts.limit(), limit: opts.limit()})
	fail := func(index int, err error) (DataValueSet, error) {
		if errors.Is(err, ErrPayloadTooLarge) {
			return h, err
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			err = ErrTruncated
		}
		return h, &PayloadError{Index: index, Offset: dec.InputOffset(), Err: err}
	}
	headerSent := false
	sendHeader := func() error {
		if headerSent || opts.OnHeader == nil {
			headerSent = true
			return nil
		}
		headerSent = true
		return opts.OnHeader(h)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return fail(-1, errors.New("empty payload"))
		}
		return fail(-1, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fail(-1, errors.New("expected a JSON object with dataValues"))
	}
	index := 0
	// Which defaults earlier values relied on, to detect ErrLateDefault.
	var lackedPeriod, lackedOrgUnit, lackedAOC bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(-1, err)
		}
		key, _ := tok.(string)
		var dst *string
		late := false
		switch key {
		case "dataValues":
			if err := sendHeader(); err != nil {
				return h, err
			}
			tok, err := dec.Token()
			if err != nil {
				return fail(index, err)
			}
			if tok == nil { // "dataValues": null
				continue
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return fail(-1, errors.New("dataValues must be an array"))
			}
			for dec.More() {
				var w wireValue
				if err := dec.Decode(&w); err != nil {
					return fail(index, err)
				}
				v := w.value()
				lackedPeriod = lackedPeriod || v.Period == ""
				lackedOrgUnit = lackedOrgUnit || v.OrgUnit == ""
				lackedAOC = lackedAOC || v.AttributeOptionCombo == ""
				v.applyDefaults(&h)
				if err := fn(index, v); err != nil {
					return h, err
				}
				index++
			}
			if _, err := dec.Token(); err != nil { // the closing ']'
				return fail(index, err)
			}
			continue
		case "dataSet":
			dst = &h.DataSet
		case "completeDate":
			dst = &h.CompleteDate
		case "period":
			dst, late = &h.Period, lackedPeriod
		case "orgUnit":
			dst, late = &h.OrgUnit, lackedOrgUnit
		case "attributeOptionCombo":
			dst, late = &h.AttributeOptionCombo, lackedAOC
		case "idScheme":
			dst = &h.IDScheme
		case "dataElementIdScheme":
			dst = &h.DataElementIDScheme
		case "orgUnitIdScheme":
			dst = &h.OrgUnitIDScheme
		case "categoryOptionComboIdScheme":
			dst = &h.CategoryOptionComboIDScheme
		case "dataSetIdScheme":
			dst = &h.DataSetIDScheme
		case "dryRun":
			dst = &h.DryRun
		case "strategy":
			dst = &h.Strategy
		}
		if dst == nil {
			// Unknown or unused member (attributeCategoryOptions, href …):
			// skip it. It is bounded by the payload cap.
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(-1, err)
			}
			continue
		}
		var s flexString
		if err := dec.Decode(&s); err != nil {
			return fail(-1, fmt.Errorf("member %s: %w", key, err))
		}
		if late && s != "" {
			return fail(-1, fmt.Errorf("member %s: %w", key, ErrLateDefault))
		}
		*dst = string(s)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return fail(-1, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("unexpected content after the dataValueSet object")
		}
		return fail(-1, err)
	}
	if err := sendHeader(); err != nil {
		return h, err
	}
	return h, nil
}

// CSVHeader says how ReadCSV treats the first row.
type CSVHeader int

const (
	// CSVHeaderDetect (the default, and what DHIS2's firstRowIsHeader=true
	// maps to) skips the first row when its period column does not start
	// with a digit: every DHIS2 period does (2023, 2023Q1, 202301, 2023W1 …),
	// no header name does. DHIS2 itself skips the first row unconditionally;
	// detecting keeps a header-less file from losing its first value.
	CSVHeaderDetect CSVHeader = iota
	// CSVHeaderPresent always skips the first row.
	CSVHeaderPresent
	// CSVHeaderAbsent (firstRowIsHeader=false) reads the first row as data.
	CSVHeaderAbsent
)

// CSVHeader maps DHIS2's firstRowIsHeader onto ReadCSV's header handling.
func (o ImportOptions) CSVHeader() CSVHeader {
	if o.FirstRowIsHeader {
		return CSVHeaderDetect
	}
	return CSVHeaderAbsent
}

// CSV columns by position, as DHIS2's CsvDataValueSetReader reads them;
// header names are never used to find a column.
const (
	csvDataElement = iota
	csvPeriod
	csvOrgUnit
	csvCategoryOptionCombo
	csvAttributeOptionCombo
	csvValue
	csvStoredBy
	csvLastUpdated
	csvComment
	csvFollowUp
	csvDeleted
	csvColumns
)

// CSVColumns is the header row DHIS2 writes in its CSV exports.
const CSVColumns = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment,followup,deleted"

// ReadCSV streams a DHIS2 CSV payload: columns by position (CSVColumns),
// only the first three required, extra columns ignored. A UTF-8 byte order
// mark at the start is dropped (Excel writes one); fields may be quoted per
// RFC 4180, so a comment may hold commas, quotes and line breaks. fn gets
// each value with its 0-based index among the values (the header row is not
// counted); malformed rows are a *PayloadError with the CSV line.
func ReadCSV(r io.Reader, opts ReadOptions, fn func(index int, v DataValue) error) error {
	br := bufio.NewReaderSize(&capReader{r: r, left: opts.limit(), limit: opts.limit()}, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	} else if errors.Is(err, ErrPayloadTooLarge) {
		return err
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	index := 0
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, ErrPayloadTooLarge) {
				return err
			}
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line, err = pe.Line, pe.Err
			}
			return &PayloadError{Index: index, Line: max(line, 1), Err: err}
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if err := callHeader(opts); err != nil {
				return err
			}
			if opts.CSVHeader == CSVHeaderPresent ||
				opts.CSVHeader == CSVHeaderDetect && !looksLikePeriod(field(rec, csvPeriod)) {
				continue
			}
		}
		if len(rec) < 3 {
			return &PayloadError{Index: index, Line: line, Err: fmt.Errorf("%d column(s); dataelement, period and orgunit are required", len(rec))}
		}
		v := DataValue{
			DataElement:          strings.TrimSpace(rec[csvDataElement]),
			Period:               strings.TrimSpace(rec[csvPeriod]),
			OrgUnit:              strings.TrimSpace(rec[csvOrgUnit]),
			CategoryOptionCombo:  strings.TrimSpace(field(rec, csvCategoryOptionCombo)),
			AttributeOptionCombo: strings.TrimSpace(field(rec, csvAttributeOptionCombo)),
			Value:                field(rec, csvValue),
			StoredBy:             field(rec, csvStoredBy),
			LastUpdated:          field(rec, csvLastUpdated),
			Comment:              field(rec, csvComment),
		}
		if v.FollowUp, err = csvBool(field(rec, csvFollowUp)); err != nil {
			return &PayloadError{Index: index, Line: line, Err: fmt.Errorf("followup: %w", err)}
		}
		if v.Deleted, err = csvBool(field(rec, csvDeleted)); err != nil {
			return &PayloadError{Index: index, Line: line, Err: fmt.Errorf("deleted: %w", err)}
		}
		if err := fn(index, v); err != nil {
			return err
		}
		index++
	}
	if first {
		return callHeader(opts)
	}
	return nil
}

func callHeader(opts ReadOptions) error {
	if opts.OnHeader == nil {
		return nil
	}
	return opts.OnHeader(DataValueSet{})
}

// field returns column i, or "" when the row is shorter. ReuseRecord only
// reuses the slice, not the strings, so v may be retained by the callback.
func field(rec []string, i int) string {
	if i < len(rec) {
		return rec[i]
	}
	return ""
}

func looksLikePeriod(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && s[0] >= '0' && s[0] <= '9'
}

// csvBool reads the followup and deleted columns. DHIS2 uses Java's
// Boolean.parseBoolean, which turns anything but "true" into false without
// a word, so "1" or "có" silently mean false; tinhso takes 1/0 as well and
// refuses anything else with the line, rather than losing a flag.
func csvBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}
