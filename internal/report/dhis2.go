package report

// This file holds the DHIS2 dataValueSets wire types and the import options a
// client passes as query parameters. It follows DHIS2 2.42's Web API
// (POST /api/dataValueSets), as described in
// /work/shared/research/dhis2-xroad.md §B1, so that a client written against
// DHIS2 works against tinhso by changing only its base URL.
//
// Nothing here touches the database: identifiers are kept as the strings the
// client sent (UIDs or codes, per the id schemes), and periods as their DHIS2
// notation (202301, 2023Q1, 2023S1, 2023). Resolving identifiers and
// validating periods against a form's period type is left to the import
// service that will be wired on top of these readers.
//
// How an import handler is meant to use the pieces:
//
//	opts, err := ParseImportOptions(r.URL.Query())     // *OptionError → 409 naming the parameter
//	var sum SummaryBuilder
//	var dups DuplicateChecker
//	read := ReadOptions{MaxBytes: limit, CSVHeader: opts.CSVHeader(),
//		OnHeader: func(h DataValueSet) error {
//			// opts.ApplyPayload(h); resolve h.DataSet; unknown: sum.RefuseSet(NewConflict(E7600, h.DataSet), 0)
//			// and return an error of the handler's own to stop reading (the answer is still the summary, 409)
//		}}
//	_, err = ReadJSON(body, read, func(i int, v DataValue) error {   // or ReadCSV
//		// dups.Check → sum.Reject(i, DuplicateConflict(v, first)); resolve ids → E7610/E7612/E7613;
//		// CheckValue(type, v.Value) → sum.Reject(i, ValueTypeConflict(de, verr)); store → sum.Imported() …
//	})
//	msg := sum.Summary().Message()                     // write msg as JSON with msg.HTTPStatusCode
//
// A *PayloadError or ErrPayloadTooLarge from a reader is a refusal of the
// whole payload (nothing stored: the import runs in one transaction).

import (
	"fmt"
	"net/url"
	"strings"
)

// DataValueSet is the set-level header of a dataValueSets payload. Its
// Period, OrgUnit and AttributeOptionCombo are defaults for values that omit
// them; CompleteDate, when present, also asks for the data set to be
// registered as complete.
type DataValueSet struct {
	DataSet              string `json:"dataSet,omitempty"`
	CompleteDate         string `json:"completeDate,omitempty"`
	Period               string `json:"period,omitempty"`
	OrgUnit              string `json:"orgUnit,omitempty"`
	AttributeOptionCombo string `json:"attributeOptionCombo,omitempty"`

	// Options a DHIS2 payload may carry itself; they win over the query
	// parameters (ImportOptions.ApplyPayload). Empty when absent.
	IDScheme                    string `json:"idScheme,omitempty"`
	DataElementIDScheme         string `json:"dataElementIdScheme,omitempty"`
	OrgUnitIDScheme             string `json:"orgUnitIdScheme,omitempty"`
	CategoryOptionComboIDScheme string `json:"categoryOptionComboIdScheme,omitempty"`
	DataSetIDScheme             string `json:"dataSetIdScheme,omitempty"`
	DryRun                      string `json:"dryRun,omitempty"`
	Strategy                    string `json:"strategy,omitempty"`
}

// DataValue is one value of a payload, with DHIS2's member names. Value is
// always a string on the wire in DHIS2's own exports; the JSON reader also
// accepts a bare number or boolean, as DHIS2's Jackson binding does.
type DataValue struct {
	DataElement          string `json:"dataElement"`
	Period               string `json:"period"`
	OrgUnit              string `json:"orgUnit"`
	CategoryOptionCombo  string `json:"categoryOptionCombo,omitempty"`
	AttributeOptionCombo string `json:"attributeOptionCombo,omitempty"`
	Value                string `json:"value,omitempty"`
	StoredBy             string `json:"storedBy,omitempty"`
	Created              string `json:"created,omitempty"`
	LastUpdated          string `json:"lastUpdated,omitempty"`
	Comment              string `json:"comment,omitempty"`
	// FollowUp is "followup" with a lower-case u on the wire (DHIS2's dxf2
	// DataValue), not "followUp".
	FollowUp bool `json:"followup,omitempty"`
	Deleted  bool `json:"deleted,omitempty"`
}

// applyDefaults fills the members DHIS2 takes from the set level when the
// value omits them: period, orgUnit and attributeOptionCombo.
func (v *DataValue) applyDefaults(h *DataValueSet) {
	if v.Period == "" {
		v.Period = h.Period
	}
	if v.OrgUnit == "" {
		v.OrgUnit = h.OrgUnit
	}
	if v.AttributeOptionCombo == "" {
		v.AttributeOptionCombo = h.AttributeOptionCombo
	}
}

// ImportStrategy is DHIS2's importStrategy parameter.
type ImportStrategy string

// The strategies DHIS2 documents for data values. CREATE_AND_UPDATE is the
// default. The legacy names (NEW_AND_UPDATES, NEW, UPDATES, DELETES) are
// accepted and mapped onto these; SYNC is refused (it has no meaning for
// aggregate values in tinhso).
const (
	StrategyCreate          ImportStrategy = "CREATE"
	StrategyUpdate          ImportStrategy = "UPDATE"
	StrategyCreateAndUpdate ImportStrategy = "CREATE_AND_UPDATE"
	StrategyDelete          ImportStrategy = "DELETE"
)

// IDScheme says how a payload names objects.
type IDScheme string

// tinhso supports UID (its own identifiers, what DHIS2 calls uid) and CODE.
// DHIS2 also lists NAME and ATTRIBUTE:<uid>; they are refused with an error
// that names them, rather than silently treated as UID.
const (
	SchemeUID  IDScheme = "UID"
	SchemeCode IDScheme = "CODE"
)

// ImportOptions are the query parameters of POST /api/dataValueSets that
// tinhso honours, under DHIS2's names.
type ImportOptions struct {
	DryRun            bool
	Strategy          ImportStrategy
	Async             bool
	SkipExistingCheck bool
	// FirstRowIsHeader is DHIS2's CSV switch (default true). ReadCSV treats
	// true as "detect" (see CSVHeader), false as "no header row".
	FirstRowIsHeader bool
	// DataSet is the data set of a CSV payload, which has no header members.
	DataSet string

	// Id schemes; empty means "not given", and the getters below fall back
	// to IDScheme and then to UID, as DHIS2 does.
	IDScheme                     IDScheme
	DataElementIDScheme          IDScheme
	OrgUnitIDScheme              IDScheme
	CategoryOptionComboIDScheme  IDScheme
	AttributeOptionComboIDScheme IDScheme
	DataSetIDScheme              IDScheme
}

// DefaultImportOptions are DHIS2's defaults.
func DefaultImportOptions() ImportOptions {
	return ImportOptions{Strategy: StrategyCreateAndUpdate, FirstRowIsHeader: true}
}

func (o ImportOptions) scheme(s IDScheme) IDScheme {
	switch {
	case s != "":
		return s
	case o.IDScheme != "":
		return o.IDScheme
	}
	return SchemeUID
}

// DataElementScheme is the effective scheme for data elements.
func (o ImportOptions) DataElementScheme() IDScheme { return o.scheme(o.DataElementIDScheme) }

// OrgUnitScheme is the effective scheme for organisation units.
func (o ImportOptions) OrgUnitScheme() IDScheme { return o.scheme(o.OrgUnitIDScheme) }

// CategoryOptionComboScheme is the effective scheme for category option combos.
func (o ImportOptions) CategoryOptionComboScheme() IDScheme {
	return o.scheme(o.CategoryOptionComboIDScheme)
}

// AttributeOptionComboScheme is the effective scheme for attribute option combos.
func (o ImportOptions) AttributeOptionComboScheme() IDScheme {
	return o.scheme(o.AttributeOptionComboIDScheme)
}

// DataSetScheme is the effective scheme for the data set.
func (o ImportOptions) DataSetScheme() IDScheme { return o.scheme(o.DataSetIDScheme) }

// OptionError names the parameter whose value was refused, so the API can
// answer 409 with it.
type OptionError struct {
	Param string
	Value string
	Want  string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("dataValueSets: parameter %s: %q is not accepted; use %s", e.Param, e.Value, e.Want)
}

// ParseImportOptions reads DHIS2's import parameters from a query string.
// Values are case-insensitive. Parameters tinhso does not know are ignored,
// as DHIS2 ignores them, so a client sending e.g. preheatCache still works;
// a known parameter with an unknown value is an *OptionError.
func ParseImportOptions(q url.Values) (ImportOptions, error) {
	o := DefaultImportOptions()
	var err error
	bools := []struct {
		name string
		dst  *bool
	}{
		{"dryRun", &o.DryRun},
		{"async", &o.Async},
		{"skipExistingCheck", &o.SkipExistingCheck},
		{"firstRowIsHeader", &o.FirstRowIsHeader},
	}
	for _, b := range bools {
		if s, ok := lastParam(q, b.name); ok {
			if *b.dst, err = parseBoolParam(b.name, s); err != nil {
				return o, err
			}
		}
	}
	if s, ok := lastParam(q, "importStrategy"); ok {
		if o.Strategy, err = parseStrategy("importStrategy", s); err != nil {
			return o, err
		}
	}
	schemes := []struct {
		name string
		dst  *IDScheme
	}{
		{"idScheme", &o.IDScheme},
		{"dataElementIdScheme", &o.DataElementIDScheme},
		{"orgUnitIdScheme", &o.OrgUnitIDScheme},
		{"categoryOptionComboIdScheme", &o.CategoryOptionComboIDScheme},
		{"attributeOptionComboIdScheme", &o.AttributeOptionComboIDScheme},
		{"dataSetIdScheme", &o.DataSetIDScheme},
	}
	for _, s := range schemes {
		if v, ok := lastParam(q, s.name); ok {
			if *s.dst, err = parseScheme(s.name, v); err != nil {
				return o, err
			}
		}
	}
	if s, ok := lastParam(q, "dataSet"); ok {
		o.DataSet = s
	}
	return o, nil
}

// ApplyPayload lets the options a JSON payload carries win over the query
// parameters, as DHIS2 does. Unknown values are *OptionError naming the
// payload member.
func (o *ImportOptions) ApplyPayload(h DataValueSet) error {
	var err error
	for _, s := range []struct {
		name, v string
		dst     *IDScheme
	}{
		{"idScheme", h.IDScheme, &o.IDScheme},
		{"dataElementIdScheme", h.DataElementIDScheme, &o.DataElementIDScheme},
		{"orgUnitIdScheme", h.OrgUnitIDScheme, &o.OrgUnitIDScheme},
		{"categoryOptionComboIdScheme", h.CategoryOptionComboIDScheme, &o.CategoryOptionComboIDScheme},
		{"dataSetIdScheme", h.DataSetIDScheme, &o.DataSetIDScheme},
	} {
		if s.v != "" {
			if *s.dst, err = parseScheme(s.name, s.v); err != nil {
				return err
			}
		}
	}
	if h.DryRun != "" {
		if o.DryRun, err = parseBoolParam("dryRun", h.DryRun); err != nil {
			return err
		}
	}
	if h.Strategy != "" {
		if o.Strategy, err = parseStrategy("strategy", h.Strategy); err != nil {
			return err
		}
	}
	return nil
}

// lastParam takes the last occurrence, as Spring's binding of a scalar does
// when a client repeats a parameter.
func lastParam(q url.Values, name string) (string, bool) {
	vs, ok := q[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return strings.TrimSpace(vs[len(vs)-1]), true
}

// parseBoolParam accepts what Spring's boolean binding accepts, which is what
// DHIS2 clients have been sending for years (true/false, 1/0, yes/no, on/off).
func parseBoolParam(name, s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off", "":
		return false, nil
	}
	return false, &OptionError{Param: name, Value: s, Want: "true or false"}
}

func parseStrategy(name, s string) (ImportStrategy, error) {
	switch strings.ToUpper(s) {
	case "CREATE", "NEW":
		return StrategyCreate, nil
	case "UPDATE", "UPDATES":
		return StrategyUpdate, nil
	case "CREATE_AND_UPDATE", "NEW_AND_UPDATES":
		return StrategyCreateAndUpdate, nil
	case "DELETE", "DELETES":
		return StrategyDelete, nil
	}
	return "", &OptionError{Param: name, Value: s, Want: "CREATE, UPDATE, CREATE_AND_UPDATE or DELETE"}
}

func parseScheme(name, s string) (IDScheme, error) {
	switch strings.ToUpper(s) {
	case "UID", "ID":
		return SchemeUID, nil
	case "CODE":
		return SchemeCode, nil
	}
	return "", &OptionError{Param: name, Value: s, Want: "UID or CODE (tinhso does not support NAME or ATTRIBUTE schemes)"}
}
