package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestSummaryMatchesDHIS2Reference decodes the DHIS2 2.42 answer quoted in
// the research note (§B1, importOptions left out) strictly into our types
// and encodes it again: any member name or order that differs from DHIS2's
// makes the bytes differ.
func TestSummaryMatchesDHIS2Reference(t *testing.T) {
	raw := readTestdata(t, "reference_2.42.json")
	var want bytes.Buffer
	if err := json.Compact(&want, raw); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var m WebMessage
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("re-encoded\n got %s\nwant %s", got, want.Bytes())
	}
	// And the builder produces the same bytes for the same import.
	var b SummaryBuilder
	b.Imported()
	b.Imported()
	b.Updated()
	b.Reject(3, NewConflict(E7612, "Jkhdsf8sdf4"))
	s := b.Summary()
	s.Status = StatusSuccess // the note's example pairs a conflict with SUCCESS; ours would say WARNING
	mm := s.Message()
	mm.Status, mm.Message = "OK", "Import was successful."
	built, _ := json.Marshal(mm)
	if !bytes.Equal(built, want.Bytes()) {
		t.Errorf("built\n got %s\nwant %s", built, want.Bytes())
	}
}

func TestCheckValue(t *testing.T) {
	cases := []struct {
		t     ValueType
		value string
		key   string // "" = accepted
	}{
		{TypeNumber, "12", ""},
		{TypeNumber, "-1.5", ""},
		{TypeNumber, ".5", ""},
		{TypeNumber, "1e3", ""},
		{TypeNumber, "1,5", "value_not_numeric"},
		{TypeNumber, "1.234,5", "value_not_numeric"},
		{TypeNumber, "+1", "value_not_numeric"},
		{TypeNumber, "NaN", "value_not_numeric"},
		{TypeNumber, " 1", "value_not_numeric"},
		{TypeNumber, "1e", "value_not_numeric"},
		{TypeNumber, "-", "value_not_numeric"},
		{TypeNumber, "", ""},
		{TypeInteger, "-42", ""},
		{TypeInteger, "0", ""},
		{TypeInteger, "007", "value_not_integer"},
		{TypeInteger, "1.0", "value_not_integer"},
		{TypeInteger, "1,5", "value_not_integer"},
		{TypeInteger, "-0", "value_not_integer"},
		{TypeInteger, "2147483648", "value_not_integer"},
		{TypeIntegerPositive, "1", ""},
		{TypeIntegerPositive, "0", "value_not_positive_integer"},
		{TypeIntegerPositive, "-3", "value_not_positive_integer"},
		{TypeIntegerNegative, "-3", ""},
		{TypeIntegerNegative, "3", "value_not_negative_integer"},
		{TypeIntegerZeroOrPositive, "0", ""},
		{TypeIntegerZeroOrPositive, "17", ""},
		{TypeIntegerZeroOrPositive, "-1", "value_not_zero_or_positive_integer"},
		{TypePercentage, "0", ""},
		{TypePercentage, "100", ""},
		{TypePercentage, "97.5", ""},
		{TypePercentage, "100.01", "value_not_percentage"},
		{TypePercentage, "-1", "value_not_percentage"},
		{TypePercentage, "97,5", "value_not_numeric"},
		{TypeUnitInterval, "0.3", ""},
		{TypeUnitInterval, "1.3", "value_not_unit_interval"},
		{TypeBoolean, "true", ""},
		{TypeBoolean, "FALSE", ""},
		{TypeBoolean, "có", "value_not_bool"},
		{TypeTrueOnly, "true", ""},
		{TypeTrueOnly, "false", "value_not_true_only"},
		{TypeText, "Đã kết nối với Trục liên thông văn bản quốc gia", ""},
		{TypeText, strings.Repeat("ế", MaxTextLength), ""},
		{TypeLongText, strings.Repeat("ế", MaxTextLength+1), "value_length_greater_than_max_length"},
		{TypeDate, "2025-02-28", ""},
		{TypeDate, "2025-02-30", "value_not_valid_date"},
		{TypeDate, "28/02/2025", "value_not_valid_date"},
		{ValueType("FILE_RESOURCE"), "anything", ""},
	}
	for _, c := range cases {
		err := CheckValue(c.t, c.value)
		got := ""
		if err != nil {
			got = err.Key
		}
		if got != c.key {
			t.Errorf("%s %q: %q, want %q", c.t, c.value, got, c.key)
		}
	}
	// The decimal comma is named, and the fix given.
	if err := CheckValue(TypeNumber, "1,5"); err == nil || !strings.Contains(err.Message, "decimal comma") || !strings.Contains(err.Message, "`1.5`") {
		t.Errorf("decimal comma message: %v", err)
	}
	if err := CheckValue(TypeNumber, "abc"); err == nil || strings.Contains(err.Message, "comma") {
		t.Errorf("plain garbage message: %v", err)
	}
}

func TestDuplicateChecker(t *testing.T) {
	var d DuplicateChecker
	vs := []DataValue{
		{DataElement: "DE", Period: "2025Q1", OrgUnit: "OU", CategoryOptionCombo: "a"},
		{DataElement: "DE", Period: "2025Q1", OrgUnit: "OU", CategoryOptionCombo: "b"},
		{DataElement: "DE", Period: "2025Q2", OrgUnit: "OU", CategoryOptionCombo: "a"},
		{DataElement: "DE", Period: "2025Q1", OrgUnit: "OU", CategoryOptionCombo: "a", Value: "other"},
		{DataElement: "DE", Period: "2025Q1", OrgUnit: "OU", CategoryOptionCombo: "a", AttributeOptionCombo: "x"},
		{DataElement: "DE", Period: "2025Q1", OrgUnit: "OU", CategoryOptionCombo: "b"},
		// Separator-safe: "D"+"E2025Q1" is not "DE"+"2025Q1".
		{DataElement: "D", Period: "E2025Q1", OrgUnit: "OU", CategoryOptionCombo: "a"},
	}
	var dups [][2]int
	var b SummaryBuilder
	for i, v := range vs {
		if first, dup := d.Check(i, v); dup {
			dups = append(dups, [2]int{first, i})
			b.Reject(i, DuplicateConflict(v, first))
		}
	}
	if want := [][2]int{{0, 3}, {1, 5}}; len(dups) != 2 || dups[0] != want[0] || dups[1] != want[1] {
		t.Errorf("duplicates %v, want %v", dups, want)
	}
	s := b.Summary()
	if len(s.Conflicts) != 2 || s.Conflicts[0].ErrorCode != E7699 || !strings.Contains(s.Conflicts[0].Value, "first at index 0") {
		t.Errorf("duplicate conflicts %+v", s.Conflicts)
	}

	// Header defaults are applied before the check: a value relying on the
	// set-level period collides with one stating it.
	payload := `{"period":"2025Q1","orgUnit":"OU","dataValues":[{"dataElement":"DE","value":"1"},{"dataElement":"DE","period":"2025Q1","value":"2"}]}`
	var d2 DuplicateChecker
	n := 0
	if _, _, err := collectJSON(t, []byte(payload), ReadOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := ReadJSON(strings.NewReader(payload), ReadOptions{}, func(i int, v DataValue) error {
		if _, dup := d2.Check(i, v); dup {
			n++
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Errorf("duplicate through defaults: %v, %d found", err, n)
	}
}

// DataValue encodes with DHIS2's member names (followup with a lower-case
// u), so a later GET /api/dataValueSets can reuse the type.
func TestDataValueMemberNames(t *testing.T) {
	v := DataValue{DataElement: "de", Period: "202301", OrgUnit: "ou", CategoryOptionCombo: "coc", AttributeOptionCombo: "aoc",
		Value: "1", StoredBy: "u", Created: "c", LastUpdated: "l", Comment: "m", FollowUp: true, Deleted: true}
	got, _ := json.Marshal(v)
	want := `{"dataElement":"de","period":"202301","orgUnit":"ou","categoryOptionCombo":"coc","attributeOptionCombo":"aoc","value":"1","storedBy":"u","created":"c","lastUpdated":"l","comment":"m","followup":true,"deleted":true}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	h, _ := json.Marshal(DataValueSet{DataSet: "ds", CompleteDate: "2023-02-01", Period: "202301", OrgUnit: "ou", AttributeOptionCombo: "aoc"})
	if want := `{"dataSet":"ds","completeDate":"2023-02-01","period":"202301","orgUnit":"ou","attributeOptionCombo":"aoc"}`; string(h) != want {
		t.Errorf("header %s", h)
	}
}
