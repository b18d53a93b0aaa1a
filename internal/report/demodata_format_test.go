package report_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// The structs below mirror the report document format (demodata/forms.json)
// member for member; the file is decoded with DisallowUnknownFields, so a
// member the format does not define fails the test.

type demoCategoryOption struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type demoIndicator struct {
	Code            string               `json:"code"`
	Name            string               `json:"name"`
	ValueType       string               `json:"valueType"`
	Measure         *string              `json:"measure"`
	Aggregation     string               `json:"aggregation"`
	TimeAggregation string               `json:"timeAggregation"`
	ResponsibleUnit string               `json:"responsibleUnit,omitempty"`
	Description     string               `json:"description,omitempty"`
	Numerator       string               `json:"numerator,omitempty"`
	Denominator     string               `json:"denominator,omitempty"`
	Factor          *float64             `json:"factor,omitempty"`
	CategoryOptions []demoCategoryOption `json:"categoryOptions,omitempty"`
	Source          string               `json:"source,omitempty"`
}

type demoSection struct {
	Name       string   `json:"name"`
	Indicators []string `json:"indicators"`
}

type demoAssign struct {
	Under string   `json:"under"`
	Kinds []string `json:"kinds"`
	From  string   `json:"from,omitempty"`
	To    string   `json:"to,omitempty"`
}

type demoRule struct {
	Code      string `json:"code"`
	Left      string `json:"left"`
	Operator  string `json:"operator"`
	Right     string `json:"right"`
	Message   string `json:"message"`
	MessageEn string `json:"messageEn,omitempty"`
	Missing   string `json:"missing,omitempty"`
}

type demoForm struct {
	Code         string        `json:"code"`
	Name         string        `json:"name"`
	PeriodType   string        `json:"periodType"`
	DeadlineDays *int          `json:"deadlineDays"`
	GraceDays    *int          `json:"graceDays,omitempty"`
	IssuerUnit   string        `json:"issuerUnit"`
	Basis        string        `json:"basis,omitempty"`
	Sections     []demoSection `json:"sections"`
	Assign       []demoAssign  `json:"assign"`
	Rules        []demoRule    `json:"rules,omitempty"`
}

type demoDocument struct {
	Indicators []demoIndicator `json:"indicators"`
	Forms      []demoForm      `json:"forms"`
}

var (
	demoCodeRE     = regexp.MustCompile(`^[A-Z0-9._-]{1,40}$`)
	demoRuleRef    = regexp.MustCompile(`#\{([A-Z0-9._-]+)(?::[A-Z0-9._-]+)?\}`)
	demoValueTypes = demoSet("NUMBER", "INTEGER", "INTEGER_ZERO_OR_POSITIVE", "PERCENTAGE", "BOOLEAN", "TEXT", "FILE")
	demoAggs       = demoSet("sum", "average", "last", "none")
	demoPeriods    = demoSet("Monthly", "Quarterly", "SixMonthly", "NineMonthly", "Yearly")
	demoKinds      = demoSet("nation", "province", "department", "agency", "city", "town", "district", "ward", "township", "commune", "special_zone")
)

func demoSet(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func demoDecodeStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("trailing data after the document")
	}
}

// demoUnitCodes reads the demo org unit registry and returns its codes.
func demoUnitCodes(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "demo", "data", "orgunits.json"))
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		Units []struct {
			Code string `json:"code"`
		} `json:"units"`
	}
	if err := json.Unmarshal(data, &reg); err != nil {
		t.Fatalf("orgunits.json: %v", err)
	}
	codes := map[string]bool{}
	for _, u := range reg.Units {
		codes[u.Code] = true
	}
	if len(codes) == 0 {
		t.Fatal("orgunits.json: no units")
	}
	return codes
}

func TestDemodataFormat(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("demodata", "forms.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc demoDocument
	demoDecodeStrict(t, data, &doc)
	units := demoUnitCodes(t)

	if len(doc.Indicators) == 0 || len(doc.Forms) == 0 {
		t.Fatalf("want indicators and forms, got %d and %d", len(doc.Indicators), len(doc.Forms))
	}

	inds := map[string]demoIndicator{}
	for _, in := range doc.Indicators {
		if !demoCodeRE.MatchString(in.Code) {
			t.Errorf("indicator code %q: not A–Z 0–9 . _ - of at most 40", in.Code)
		}
		if _, dup := inds[in.Code]; dup {
			t.Errorf("indicator code %q: duplicate", in.Code)
		}
		inds[in.Code] = in
		if in.Name == "" {
			t.Errorf("indicator %s: empty name", in.Code)
		}
		if in.Measure == nil {
			t.Errorf("indicator %s: measure missing", in.Code)
		}
		if !demoValueTypes[in.ValueType] {
			t.Errorf("indicator %s: value type %q", in.Code, in.ValueType)
		}
		if !demoAggs[in.Aggregation] || !demoAggs[in.TimeAggregation] {
			t.Errorf("indicator %s: aggregation %q / %q", in.Code, in.Aggregation, in.TimeAggregation)
		}
		if in.ResponsibleUnit != "" && !units[in.ResponsibleUnit] {
			t.Errorf("indicator %s: responsible unit %q not in orgunits.json", in.Code, in.ResponsibleUnit)
		}
		opts := map[string]bool{}
		for _, o := range in.CategoryOptions {
			if !demoCodeRE.MatchString(o.Code) || o.Name == "" || opts[o.Code] {
				t.Errorf("indicator %s: category option %+v malformed or duplicate", in.Code, o)
			}
			opts[o.Code] = true
		}
	}
	for _, in := range doc.Indicators {
		parts := 0
		if in.Numerator != "" {
			parts++
		}
		if in.Denominator != "" {
			parts++
		}
		if in.Factor != nil {
			parts++
		}
		switch parts {
		case 0:
			continue
		case 3:
		default:
			t.Errorf("indicator %s: numerator, denominator and factor go together", in.Code)
			continue
		}
		if in.ValueType != "NUMBER" && in.ValueType != "PERCENTAGE" {
			t.Errorf("indicator %s: derived, value type %q", in.Code, in.ValueType)
		}
		if *in.Factor == 0 {
			t.Errorf("indicator %s: factor 0", in.Code)
		}
		for _, ref := range []string{in.Numerator, in.Denominator} {
			r, ok := inds[ref]
			switch {
			case !ok:
				t.Errorf("indicator %s: references unknown indicator %q", in.Code, ref)
			case r.Numerator != "":
				t.Errorf("indicator %s: references derived indicator %q", in.Code, ref)
			case r.ValueType == "BOOLEAN" || r.ValueType == "TEXT" || r.ValueType == "FILE":
				t.Errorf("indicator %s: references non-numeric indicator %q", in.Code, ref)
			}
		}
	}

	forms := map[string]bool{}
	for _, f := range doc.Forms {
		if !demoCodeRE.MatchString(f.Code) {
			t.Errorf("form code %q: malformed", f.Code)
		}
		if forms[f.Code] {
			t.Errorf("form code %q: duplicate", f.Code)
		}
		forms[f.Code] = true
		if f.Name == "" {
			t.Errorf("form %s: empty name", f.Code)
		}
		if !demoPeriods[f.PeriodType] {
			t.Errorf("form %s: period type %q", f.Code, f.PeriodType)
		}
		if f.DeadlineDays == nil || *f.DeadlineDays < 0 {
			t.Errorf("form %s: deadlineDays missing or negative", f.Code)
		}
		if f.GraceDays != nil && *f.GraceDays < 0 {
			t.Errorf("form %s: graceDays negative", f.Code)
		}
		if !units[f.IssuerUnit] {
			t.Errorf("form %s: issuer unit %q not in orgunits.json", f.Code, f.IssuerUnit)
		}
		if len(f.Sections) == 0 {
			t.Errorf("form %s: no sections", f.Code)
		}
		seen := map[string]bool{}
		for _, s := range f.Sections {
			if s.Name == "" || len(s.Indicators) == 0 {
				t.Errorf("form %s: section %q empty", f.Code, s.Name)
			}
			for _, c := range s.Indicators {
				if _, ok := inds[c]; !ok {
					t.Errorf("form %s: unknown indicator %q", f.Code, c)
				}
				if seen[c] {
					t.Errorf("form %s: indicator %q twice", f.Code, c)
				}
				seen[c] = true
			}
		}
		if len(f.Assign) == 0 {
			t.Errorf("form %s: assigned to nobody", f.Code)
		}
		// Rules name the form's own indicators (the importer checks the
		// rest: operators, expressions, messages).
		for _, r := range f.Rules {
			if !demoCodeRE.MatchString(r.Code) || r.Message == "" {
				t.Errorf("form %s: rule %+v without code or message", f.Code, r)
			}
			for _, m := range demoRuleRef.FindAllStringSubmatch(r.Left+" "+r.Right, -1) {
				if !seen[m[1]] {
					t.Errorf("form %s: rule %s names %s, not on the form", f.Code, r.Code, m[1])
				}
			}
		}
		for _, a := range f.Assign {
			if !units[a.Under] {
				t.Errorf("form %s: assign under %q not in orgunits.json", f.Code, a.Under)
			}
			if len(a.Kinds) == 0 {
				t.Errorf("form %s: assign under %s without kinds", f.Code, a.Under)
			}
			for _, k := range a.Kinds {
				if !demoKinds[k] {
					t.Errorf("form %s: kind %q", f.Code, k)
				}
			}
			var from, to time.Time
			if a.From != "" {
				if from, err = time.Parse("2006-01-02", a.From); err != nil {
					t.Errorf("form %s: from %q: %v", f.Code, a.From, err)
				}
			}
			if a.To != "" {
				if to, err = time.Parse("2006-01-02", a.To); err != nil {
					t.Errorf("form %s: to %q: %v", f.Code, a.To, err)
				}
			}
			if a.From != "" && a.To != "" && from.After(to) {
				t.Errorf("form %s: from %s after to %s", f.Code, a.From, a.To)
			}
		}
	}
}
