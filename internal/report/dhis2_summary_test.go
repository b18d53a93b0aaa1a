package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// checkGolden compares v's JSON, indented, with testdata/dhis2/name.
// UPDATE_GOLDEN=1 rewrites the file instead.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	compact, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	path := filepath.Join("testdata", "dhis2", name)
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("%s differs\n got %s\nwant %s", name, out.Bytes(), want)
	}
}

func TestSummaryWarningGolden(t *testing.T) {
	var b SummaryBuilder
	o := DefaultImportOptions()
	o.DataElementIDScheme, o.OrgUnitIDScheme = SchemeCode, SchemeCode
	b.Options(o.Echo())
	b.Imported()
	b.Imported()
	b.Updated()
	b.Ignored()
	b.Reject(3, NewConflict(E7612, "Jkhdsf8sdf4"))
	b.Reject(4, ValueTypeConflict("TY_LE_HO_SO_DUNG_HAN", CheckValue(TypeNumber, "1,5")))
	b.Reject(6, NewConflict(E7612, "Jkhdsf8sdf4"))
	b.Reject(7, NewConflict(E7612, "XA_KHONG_CO"))
	b.Reject(9, ValueTypeConflict("TY_LE_HO_SO_DUNG_HAN", CheckValue(TypeNumber, "2,25")))
	b.Complete("2025-04-10")
	s := b.Summary()
	if s.Status != StatusWarning || len(s.Conflicts) != 3 {
		t.Fatalf("status %s, %d conflicts", s.Status, len(s.Conflicts))
	}
	if got := s.Conflicts[0].Indexes; !reflect.DeepEqual(got, []int{3, 6}) {
		t.Errorf("E7612 for one org unit: indexes %v, want [3 6]", got)
	}
	if got := s.Conflicts[1].Indexes; !reflect.DeepEqual(got, []int{4, 9}) {
		t.Errorf("E7619 with the same reason: indexes %v, want [4 9]", got)
	}
	if want := (ImportCount{Imported: 2, Updated: 1, Ignored: 6}); s.ImportCount != want {
		t.Errorf("count %+v, want %+v", s.ImportCount, want)
	}
	m := s.Message()
	if m.HTTPStatusCode != 200 || m.Status != "WARNING" {
		t.Errorf("message %+v", m)
	}
	checkGolden(t, "summary_warning.json", m)
}

func TestSummarySuccessAndErrorGolden(t *testing.T) {
	var ok SummaryBuilder
	ok.Imported()
	s := ok.Summary()
	if s.Status != StatusSuccess || s.Message().HTTPStatusCode != 200 {
		t.Errorf("success: %+v", s)
	}
	checkGolden(t, "summary_success.json", s.Message())

	var bad SummaryBuilder
	bad.RefuseSet(NewConflict(E7600, "BC_KHONG_CO"), 4)
	bad.Complete("2025-04-10") // not registered when the set is refused
	m := bad.Summary().Message()
	if m.HTTPStatusCode != 409 || m.HTTPStatus != "Conflict" || m.Response.Status != StatusError || m.Response.DataSetComplete != "false" {
		t.Errorf("set-level error: %+v", m)
	}
	checkGolden(t, "summary_error.json", m)
}

func TestConflictAggregation(t *testing.T) {
	var b SummaryBuilder
	// Two values of one data element fail for different reasons: DHIS2
	// keeps them apart (the reason is one of the objects).
	b.Reject(0, ValueTypeConflict("DE", CheckValue(TypeInteger, "1.5")))
	b.Reject(1, ValueTypeConflict("DE", CheckValue(TypeInteger, "x")))
	b.Reject(2, ValueTypeConflict("DE", CheckValue(TypeIntegerPositive, "-1")))
	b.Reject(3, ValueTypeConflict("DE", CheckValue(TypeInteger, "y")))
	// Same code, different objects.
	b.Reject(4, NewConflict(E7610, "A"))
	b.Reject(5, NewConflict(E7610, "B"))
	b.Reject(6, NewConflict(E7610, "A"))
	// A conflict without an index (set level) carries no indexes.
	b.Warn(-1, NewConflict(E7633, "A", "DS"))
	s := b.Summary()
	type row struct {
		code    ErrorCode
		object  string
		indexes []int
	}
	var got []row
	for _, c := range s.Conflicts {
		got = append(got, row{c.ErrorCode, c.Object, c.Indexes})
	}
	want := []row{
		{E7619, "DE", []int{0, 1, 3}},
		{E7619, "DE", []int{2}},
		{E7610, "A", []int{4, 6}},
		{E7610, "B", []int{5}},
		{E7633, "A", nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("conflicts\n got %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(s.RejectedIndexes, []int{0, 1, 2, 3, 4, 5, 6}) {
		t.Errorf("rejected %v", s.RejectedIndexes)
	}
	// The summary is a copy: later conflicts do not change it.
	b.Reject(7, NewConflict(E7610, "A"))
	if len(s.Conflicts[2].Indexes) != 2 {
		t.Errorf("summary shares the builder's slices")
	}
	if m := NewConflict(E7636, "OU", "DE").Value; m != "Data element: `DE` must be assigned through data sets to organisation unit: `OU`" {
		t.Errorf("E7636 message %q", m)
	}
	if c := NewConflict(E7610, "A"); !reflect.DeepEqual(c.Objects, map[string]string{"dataElement": "A"}) || c.Property != "dataElement" {
		t.Errorf("E7610 %+v", c)
	}
}

func TestParseImportOptions(t *testing.T) {
	o, err := ParseImportOptions(url.Values{})
	if err != nil || o != DefaultImportOptions() || o.Strategy != StrategyCreateAndUpdate || !o.FirstRowIsHeader {
		t.Errorf("defaults %+v %v", o, err)
	}
	if o.DataElementScheme() != SchemeUID || o.OrgUnitScheme() != SchemeUID {
		t.Errorf("default schemes %s %s", o.DataElementScheme(), o.OrgUnitScheme())
	}
	q, _ := url.ParseQuery("dryRun=true&importStrategy=new_and_updates&idScheme=code&orgUnitIdScheme=UID&async=1&skipExistingCheck=false&firstRowIsHeader=false&dataSet=BC&preheatCache=true")
	o, err = ParseImportOptions(q)
	if err != nil {
		t.Fatal(err)
	}
	want := ImportOptions{DryRun: true, Strategy: StrategyCreateAndUpdate, Async: true, DataSet: "BC", IDScheme: SchemeCode, OrgUnitIDScheme: SchemeUID}
	if o != want {
		t.Errorf("got %+v\nwant %+v", o, want)
	}
	if o.DataElementScheme() != SchemeCode || o.OrgUnitScheme() != SchemeUID || o.CategoryOptionComboScheme() != SchemeCode {
		t.Errorf("effective schemes %s %s %s", o.DataElementScheme(), o.OrgUnitScheme(), o.CategoryOptionComboScheme())
	}
	for _, c := range []struct{ query, param string }{
		{"dryRun=maybe", "dryRun"},
		{"importStrategy=SYNC", "importStrategy"},
		{"importStrategy=MERGE", "importStrategy"},
		{"dataElementIdScheme=NAME", "dataElementIdScheme"},
		{"orgUnitIdScheme=ATTRIBUTE:abc", "orgUnitIdScheme"},
		{"async=2", "async"},
	} {
		q, _ := url.ParseQuery(c.query)
		_, err := ParseImportOptions(q)
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Param != c.param || !strings.Contains(err.Error(), c.param) {
			t.Errorf("%s: %v, want an error naming %s", c.query, err, c.param)
		}
	}

	// The payload's own options win over the query.
	o = DefaultImportOptions()
	if err := o.ApplyPayload(DataValueSet{DataElementIDScheme: "CODE", DryRun: "true", Strategy: "DELETE"}); err != nil {
		t.Fatal(err)
	}
	if o.DataElementScheme() != SchemeCode || !o.DryRun || o.Strategy != StrategyDelete {
		t.Errorf("after payload %+v", o)
	}
	var oe *OptionError
	if err := o.ApplyPayload(DataValueSet{OrgUnitIDScheme: "NAME"}); !errors.As(err, &oe) || oe.Param != "orgUnitIdScheme" {
		t.Errorf("payload NAME scheme: %v", err)
	}

	// A payload read by ReadJSON carries its options to ApplyPayload.
	h, _, err := collectJSON(t, []byte(`{"idScheme":"CODE","dryRun":true,"dataValues":[]}`), ReadOptions{})
	o = DefaultImportOptions()
	if err != nil || o.ApplyPayload(h) != nil || !o.DryRun || o.DataSetScheme() != SchemeCode {
		t.Errorf("payload options %v %+v %+v", err, h, o)
	}
}
