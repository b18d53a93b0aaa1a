package xlsx_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/tinhso/tinhso/internal/locale"
)

// Every code this package (and the plan workbook reader) gives a cell, a
// range, a sheet or the file has a message in both catalogues.
func TestEveryCodeHasAMessage(t *testing.T) {
	t.Parallel()
	code := regexp.MustCompile(`"((?:xlsx_|too_many_rows|missing_|duplicate_column|not_xlsx|file_too_large|required)[a-z_]*)"`)
	files, _ := filepath.Glob("*.go")
	more, _ := filepath.Glob("../plan/xlsx_*.go")
	seen := map[string]bool{}
	for _, f := range append(files, more...) {
		if filepath.Ext(f) != ".go" || regexp.MustCompile(`_test\.go$`).MatchString(f) {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range code.FindAllStringSubmatch(string(src), -1) {
			seen[m[1]] = true
		}
	}
	if len(seen) < 15 {
		t.Fatalf("found only %v", seen)
	}
	for c := range seen {
		for _, l := range locale.Langs {
			if !locale.Has(l, "invalid."+c) {
				t.Errorf("%s: no message invalid.%s", l, c)
			}
		}
	}
	for _, k := range []string{"field.xlsx.file", "error.xlsx_busy"} {
		for _, l := range locale.Langs {
			if !locale.Has(l, k) {
				t.Errorf("%s: no %s", l, k)
			}
		}
	}
}
