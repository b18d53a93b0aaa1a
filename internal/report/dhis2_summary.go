package report

// The import summary of POST /api/dataValueSets in DHIS2 2.42's shape: a
// WebMessage wrapper around an ImportSummary (research note §B1). Member
// names and order follow dhis2-core's Jackson output, so a client that
// parses DHIS2's answer parses tinhso's.

import (
	"fmt"
	"net/http"
	"strings"
)

// ImportStatus is the summary's status.
type ImportStatus string

// SUCCESS: no conflict. WARNING: some values were refused (value-level
// conflicts), the rest were imported. ERROR: the set was refused as a whole
// (unknown data set, no write access, unknown set-level org unit or AOC).
const (
	StatusSuccess ImportStatus = "SUCCESS"
	StatusWarning ImportStatus = "WARNING"
	StatusError   ImportStatus = "ERROR"
)

// ImportCount counts values by outcome; an unchanged value is "ignored", as
// is a refused one.
type ImportCount struct {
	Imported int `json:"imported"`
	Updated  int `json:"updated"`
	Ignored  int `json:"ignored"`
	Deleted  int `json:"deleted"`
}

// Conflict is DHIS2's ImportConflict (2.38+): Object is the first of
// Objects' values, Value the message (the name is DHIS2's, kept for
// backwards compatibility), Indexes the 0-based positions of the values in
// the payload. Empty members are omitted, as DHIS2 serialises NON_NULL.
type Conflict struct {
	Object    string            `json:"object,omitempty"`
	Objects   map[string]string `json:"objects,omitempty"`
	Value     string            `json:"value"`
	ErrorCode ErrorCode         `json:"errorCode,omitempty"`
	Property  string            `json:"property,omitempty"`
	Indexes   []int             `json:"indexes,omitempty"`

	// key groups conflicts as DHIS2 does: the error code and every object
	// value, so the same unknown org unit reported for 500 values is one
	// conflict with 500 indexes, while two unknown org units are two.
	key string
}

// ImportOptionsEcho is the part of DHIS2's importOptions echo that tinhso
// can honestly report. DHIS2 echoes many more knobs; clients read none of
// them for control flow, so only what tinhso applies is echoed.
type ImportOptionsEcho struct {
	IDSchemes         map[string]IDSchemeEcho `json:"idSchemes"`
	DryRun            bool                    `json:"dryRun"`
	Async             bool                    `json:"async"`
	ImportStrategy    ImportStrategy          `json:"importStrategy"`
	SkipExistingCheck bool                    `json:"skipExistingCheck"`
	FirstRowIsHeader  bool                    `json:"firstRowIsHeader"`
}

// IDSchemeEcho is how DHIS2 serialises one id scheme: {"type":"CODE"}.
type IDSchemeEcho struct {
	Type IDScheme `json:"type"`
}

// Echo renders the options for ImportSummary.ImportOptions. Only schemes
// set explicitly appear in idSchemes, so the defaults echo as {}.
func (o ImportOptions) Echo() *ImportOptionsEcho {
	e := &ImportOptionsEcho{
		IDSchemes:         map[string]IDSchemeEcho{},
		DryRun:            o.DryRun,
		Async:             o.Async,
		ImportStrategy:    o.Strategy,
		SkipExistingCheck: o.SkipExistingCheck,
		FirstRowIsHeader:  o.FirstRowIsHeader,
	}
	for _, s := range []struct {
		name string
		v    IDScheme
	}{
		{"idScheme", o.IDScheme},
		{"dataElementIdScheme", o.DataElementIDScheme},
		{"orgUnitIdScheme", o.OrgUnitIDScheme},
		{"categoryOptionComboIdScheme", o.CategoryOptionComboIDScheme},
		{"attributeOptionComboIdScheme", o.AttributeOptionComboIDScheme},
		{"dataSetIdScheme", o.DataSetIDScheme},
	} {
		if s.v != "" {
			e.IDSchemes[s.name] = IDSchemeEcho{Type: s.v}
		}
	}
	return e
}

// ImportSummary is DHIS2's ImportSummary as the response of a WebMessage.
// Member order is DHIS2's. RejectedIndexes and Conflicts are always
// present (DHIS2 initialises both to empty lists).
type ImportSummary struct {
	ResponseType    string             `json:"responseType"`
	Status          ImportStatus       `json:"status"`
	ImportOptions   *ImportOptionsEcho `json:"importOptions,omitempty"`
	Description     string             `json:"description,omitempty"`
	ImportCount     ImportCount        `json:"importCount"`
	Conflicts       []Conflict         `json:"conflicts"`
	RejectedIndexes []int              `json:"rejectedIndexes"`
	// DataSetComplete is the completeDate registered, or "false".
	DataSetComplete string `json:"dataSetComplete"`
}

// WebMessage is DHIS2's response wrapper (2.42: always used for
// dataValueSets). Code and devMessage are null in import answers and
// omitted, as DHIS2 omits nulls.
type WebMessage struct {
	HTTPStatus     string         `json:"httpStatus"`
	HTTPStatusCode int            `json:"httpStatusCode"`
	Status         string         `json:"status"`
	Message        string         `json:"message,omitempty"`
	Response       *ImportSummary `json:"response,omitempty"`
}

// Description DHIS2 gives a completed import, whether or not some values
// had conflicts.
const descriptionCompleted = "Import process completed successfully"

// Message wraps a summary as DHIS2's WebMessageUtils.importSummary does and
// returns the HTTP status code to answer with: 200 for SUCCESS and WARNING,
// 409 Conflict for ERROR.
func (s ImportSummary) Message() WebMessage {
	m := WebMessage{Response: &s}
	switch s.Status {
	case StatusError:
		m.HTTPStatus, m.HTTPStatusCode, m.Status = "Conflict", http.StatusConflict, "ERROR"
		m.Message = "An error occurred, please check import summary."
	case StatusWarning:
		m.HTTPStatus, m.HTTPStatusCode, m.Status = "OK", http.StatusOK, "WARNING"
		m.Message = "Import completed with warnings, please check import summary."
	default:
		m.HTTPStatus, m.HTTPStatusCode, m.Status = "OK", http.StatusOK, "OK"
		m.Message = "Import was successful."
	}
	return m
}

// SummaryBuilder collects the outcome of an import value by value. It keeps
// one Conflict per (error code, objects) with the indexes of every value it
// concerns, so its memory grows with distinct problems and refused values,
// not with the payload. The zero value is ready to use; not safe for
// concurrent use.
type SummaryBuilder struct {
	count     ImportCount
	conflicts []Conflict
	byKey     map[string]int
	rejected  []int
	setError  bool
	errorDesc string
	complete  string
	options   *ImportOptionsEcho
}

// Imported, Updated, Deleted and Ignored count one value each.
func (b *SummaryBuilder) Imported() { b.count.Imported++ }

// Updated counts an updated value.
func (b *SummaryBuilder) Updated() { b.count.Updated++ }

// Deleted counts a deleted value.
func (b *SummaryBuilder) Deleted() { b.count.Deleted++ }

// Ignored counts a value left as it was (unchanged value, comment and
// followup), which DHIS2 reports as ignored without a conflict.
func (b *SummaryBuilder) Ignored() { b.count.Ignored++ }

// Reject records that the value at index was refused for c: the conflict
// gains the index, the index joins rejectedIndexes and the value counts as
// ignored, as in DHIS2.
func (b *SummaryBuilder) Reject(index int, c Conflict) {
	b.count.Ignored++
	b.rejected = append(b.rejected, index)
	b.add(index, c)
}

// Warn records a conflict for the value at index that did not stop it from
// being imported (the caller counts the value itself).
func (b *SummaryBuilder) Warn(index int, c Conflict) { b.add(index, c) }

// RefuseSet records a set-level refusal (E7600–E7604): the summary becomes
// ERROR, its description is the conflict's message, and ignored counts the
// values the caller passes (all of the payload's, none stored).
func (b *SummaryBuilder) RefuseSet(c Conflict, values int) {
	b.setError = true
	if b.errorDesc == "" {
		b.errorDesc = c.Value
	}
	b.count.Ignored += values
	b.add(-1, c)
}

// Complete records that the data set was registered complete on date.
func (b *SummaryBuilder) Complete(date string) { b.complete = date }

// Options sets the importOptions echo (nil leaves it out).
func (b *SummaryBuilder) Options(e *ImportOptionsEcho) { b.options = e }

func (b *SummaryBuilder) add(index int, c Conflict) {
	if c.key == "" {
		c.key = string(c.ErrorCode) + ":" + c.Object + ":" + c.Value
	}
	if b.byKey == nil {
		b.byKey = map[string]int{}
	}
	i, ok := b.byKey[c.key]
	if !ok {
		c.Indexes = nil
		b.conflicts = append(b.conflicts, c)
		i = len(b.conflicts) - 1
		b.byKey[c.key] = i
	}
	if index >= 0 {
		b.conflicts[i].Indexes = append(b.conflicts[i].Indexes, index)
	}
}

// Summary returns the summary so far; the builder may go on being used.
func (b *SummaryBuilder) Summary() ImportSummary {
	s := ImportSummary{
		ResponseType:    "ImportSummary",
		Status:          StatusSuccess,
		ImportOptions:   b.options,
		Description:     descriptionCompleted,
		ImportCount:     b.count,
		Conflicts:       append([]Conflict{}, b.conflicts...),
		RejectedIndexes: append([]int{}, b.rejected...),
		DataSetComplete: "false",
	}
	switch {
	case b.setError:
		s.Status, s.Description = StatusError, b.errorDesc
	case len(b.conflicts) > 0:
		s.Status = StatusWarning
	}
	if b.complete != "" && !b.setError {
		s.DataSetComplete = b.complete
	}
	return s
}

// ErrorCode is one of DHIS2's E76xx import error codes.
type ErrorCode string

// DHIS2's codes (ErrorCode.java, CORE@2.40.0; unchanged through 2.42) that
// tinhso emits. Set level: E7600–E7604, which make the summary ERROR. Value
// level: the rest, which make it WARNING.
const (
	E7600 ErrorCode = "E7600" // data set not found
	E7601 ErrorCode = "E7601" // no write access to the data set
	E7603 ErrorCode = "E7603" // set-level org unit not found
	E7604 ErrorCode = "E7604" // set-level attribute option combo not found
	E7610 ErrorCode = "E7610" // data element not found
	E7611 ErrorCode = "E7611" // period not valid
	E7612 ErrorCode = "E7612" // org unit not found
	E7613 ErrorCode = "E7613" // category option combo not found
	E7615 ErrorCode = "E7615" // attribute option combo not found
	E7617 ErrorCode = "E7617" // org unit outside the user's hierarchy
	E7618 ErrorCode = "E7618" // value and comment both missing
	E7619 ErrorCode = "E7619" // value does not match the value type
	E7621 ErrorCode = "E7621" // not an option of the option set
	E7632 ErrorCode = "E7632" // period type not valid for the data element
	E7633 ErrorCode = "E7633" // data element not in the data set
	E7636 ErrorCode = "E7636" // data element not assigned to the org unit
	E7641 ErrorCode = "E7641" // future period
	E7642 ErrorCode = "E7642" // data already approved
	E7643 ErrorCode = "E7643" // period not open for data entry (locked)

	// E7699 is tinhso's, not DHIS2's: DHIS2 has no code for the same value
	// key twice in one payload (it silently lets the last one win, so the
	// result depends on order). tinhso refuses the later duplicates; the
	// code sits in DHIS2's data-value range so clients that switch on the
	// E76 prefix treat it as a value-level conflict.
	E7699 ErrorCode = "E7699"
)

// conflictSpec says how a code fills a Conflict: the objects map key (the
// singular schema name DHIS2 uses), the property, and the message template
// with DHIS2's wording (%s for the identifiers, in order).
type conflictSpec struct {
	objectKey string
	property  string
	message   string
}

func specFor(code ErrorCode) conflictSpec {
	switch code {
	case E7600:
		return conflictSpec{"dataSet", "dataSet", "Data set not found or not accessible: `%s`"}
	case E7601:
		return conflictSpec{"dataSet", "dataSet", "User does not have write access for DataSet: `%s`"}
	case E7603:
		return conflictSpec{"organisationUnit", "orgUnit", "Org unit not found or not accessible: `%s`"}
	case E7604:
		return conflictSpec{"categoryOptionCombo", "attributeOptionCombo", "Attribute option combo not found or not accessible: `%s`"}
	case E7610:
		return conflictSpec{"dataElement", "dataElement", "Data element not found or not accessible: `%s`"}
	case E7611:
		return conflictSpec{"period", "period", "Period not valid: `%s`"}
	case E7612:
		return conflictSpec{"organisationUnit", "orgUnit", "Organisation unit not found or not accessible: `%s`"}
	case E7613:
		return conflictSpec{"categoryOptionCombo", "categoryOptionCombo", "Category option combo not found or not accessible for writing data: `%s`"}
	case E7615:
		return conflictSpec{"categoryOptionCombo", "attributeOptionCombo", "Attribute option combo not found or not accessible for writing data: `%s`"}
	case E7617:
		return conflictSpec{"organisationUnit", "orgUnit", "Organisation unit: `%s` not in hierarchy of current user: `%s`"}
	case E7618:
		return conflictSpec{"dataElement", "value", "Data value or comment not specified for data element: `%s`"}
	case E7619:
		return conflictSpec{"dataElement", "value", "Value must match data element's `%s` type constraints: %s"}
	case E7621:
		return conflictSpec{"dataElement", "value", "Data value is not a valid option of the data element option set: `%s`"}
	case E7632:
		return conflictSpec{"period", "period", "Period type of period: `%s` not valid for data element: `%s`"}
	case E7633:
		return conflictSpec{"dataElement", "dataElement", "Data element: `%s` is not part of dataset: `%s`"}
	case E7636:
		return conflictSpec{"organisationUnit", "orgUnit", "Data element: `%[2]s` must be assigned through data sets to organisation unit: `%[1]s`"}
	case E7641:
		return conflictSpec{"period", "period", "Period: `%s` is after latest open future period: `%s` for data element: `%s`"}
	case E7642:
		return conflictSpec{"organisationUnit", "period", "Data is already approved for data set: `%[3]s` period: `%[2]s` organisation unit: `%[1]s` attribute option combo: `%[4]s`"}
	case E7643:
		return conflictSpec{"period", "period", "Period: `%s` is not open for this data set at this time: `%s`"}
	case E7699:
		return conflictSpec{"dataElement", "dataElement", "Data value for data element: `%s` period: `%s` organisation unit: `%s` appears more than once in the payload (first at index %s); only the first is imported"}
	}
	return conflictSpec{"", "", string(code) + " %s"}
}

// NewConflict builds the conflict for code about the given identifiers, in
// the order of the code's DHIS2 message (e.g. E7617: org unit, user). The
// first identifier is the conflict's object; conflicts group by code and all
// identifiers, as DHIS2 groups them.
func NewConflict(code ErrorCode, ids ...string) Conflict {
	spec := specFor(code)
	args := make([]any, strings.Count(spec.message, "%")-strings.Count(spec.message, "%%"))
	for i := range args {
		if i < len(ids) {
			args[i] = ids[i]
		} else {
			args[i] = ""
		}
	}
	c := Conflict{
		Value:     fmt.Sprintf(spec.message, args...),
		ErrorCode: code,
		Property:  spec.property,
		key:       string(code) + ":" + strings.Join(ids, ":"),
	}
	if len(ids) > 0 {
		c.Object = ids[0]
		c.Objects = map[string]string{spec.objectKey: ids[0]}
	}
	return c
}

// ValueTypeConflict is E7619 for a value of data element de refused by
// CheckValue with err; the reason's key joins the grouping so that, as in
// DHIS2, "not numeric" and "not an integer" for one data element stay apart.
func ValueTypeConflict(de string, err *ValueError) Conflict {
	c := NewConflict(E7619, de, err.Message)
	c.Objects = map[string]string{"dataElement": de, "value": err.Key}
	c.key = string(E7619) + ":" + de + ":" + err.Key
	return c
}
