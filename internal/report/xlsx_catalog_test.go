package report_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/report"
)

// Every problem the Excel import names and every label its workbook and
// pages show has a message in both catalogues.
func TestExcelMessages(t *testing.T) {
	t.Parallel()
	keys := map[string]bool{}
	code := regexp.MustCompile(`"(report_excel\.[a-z_]+)"`)
	files, _ := filepath.Glob("xlsx_*.go")
	for _, f := range files {
		if regexp.MustCompile(`_test\.go$`).MatchString(f) {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range code.FindAllStringSubmatch(string(src), -1) {
			switch m[1] {
			case "report_excel.type.other", "report_excel.status.until", "report_excel.deadline", "report_excel.deadline_unknown",
				"report_excel.hint_derived", "report_excel.yes", "report_excel.no", "report_excel.assignment", "report_excel.assignment_from", "report_excel.assignment_to":
				keys[m[1]] = true
			default:
				keys["invalid."+m[1]] = true
			}
		}
	}
	if len(keys) < 25 {
		t.Fatalf("found only %v", keys)
	}
	// The reasons CheckValue gives, as the import names them.
	for typ, bad := range map[report.ValueType]string{report.TypeNumber: "x", report.TypeInteger: "1.5", report.TypeIntegerPositive: "0",
		report.TypeIntegerNegative: "1", report.TypeIntegerZeroOrPositive: "-1", report.TypePercentage: "101", report.TypeUnitInterval: "2",
		report.TypeBoolean: "có", report.TypeTrueOnly: "false", report.TypeDate: "1/1/2025"} {
		e := report.CheckValue(typ, bad)
		if e == nil {
			t.Fatalf("%s accepts %q", typ, bad)
		}
		keys["invalid.report_excel."+e.Key] = true
	}
	for _, typ := range []string{"NUMBER", "INTEGER", "INTEGER_POSITIVE", "INTEGER_NEGATIVE", "INTEGER_ZERO_OR_POSITIVE", "PERCENTAGE", "UNIT_INTERVAL",
		"BOOLEAN", "TRUE_ONLY", "TEXT", "LONG_TEXT", "DATE", "FILE"} {
		keys["report_excel.type."+typ], keys["report_excel.value_type."+typ] = true, true
	}
	for _, s := range []string{"open", "returned", "reopened", "submitted", "approved", "accepted", "locked", "future"} {
		keys["report_excel.status."+s] = true
	}
	for _, s := range []string{"open", "draft", "submitted", "returned", "approved", "accepted"} {
		keys["report_excel.state."+s] = true
	}
	for _, a := range []string{"sum", "average", "last", "none"} {
		keys["report_excel.aggregation."+a] = true
	}
	keys["nav.report_forms"], keys["audit.kind.report.values.excel"], keys["invalid.export_format"] = true, true, true
	for k := range keys {
		for _, l := range locale.Langs {
			if !locale.Has(l, k) {
				t.Errorf("%s: no message %s", l, k)
			}
		}
	}
}
