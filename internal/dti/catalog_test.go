package dti_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/locale"
)

// Every message code the domain gives a field ("dti.…"), every state,
// level, rule kind and provenance has its text in both catalogues.
func TestEveryCodeHasAMessage(t *testing.T) {
	t.Parallel()
	code := regexp.MustCompile(`"(dti\.[a-z_]+)"`)
	files, _ := filepath.Glob("*.go")
	keys := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(src), "\n") {
			if strings.Contains(line, "org.Action") {
				continue // the actions: dti.view, dti.manage, …
			}
			for _, m := range code.FindAllStringSubmatch(line, -1) {
				keys["invalid."+m[1]] = true
			}
		}
	}
	if len(keys) < 30 {
		t.Fatalf("found only %d codes", len(keys))
	}
	for _, s := range []string{dti.StateOpen, dti.StateSubmitted, dti.StateReturned, dti.StateReviewed, dti.StateAppraised, dti.StatePublished} {
		keys["dti.state."+s] = true
	}
	for _, l := range dti.Levels {
		keys["dti.level."+l] = true
	}
	for _, k := range dti.RuleKinds {
		keys["dti.rule."+k] = true
	}
	for _, p := range dti.Provenances {
		keys["dti.provenance."+p] = true
	}
	for k := range keys {
		for _, l := range locale.Langs {
			if !locale.Has(l, k) {
				t.Errorf("%s: no %s", l, k)
			}
		}
	}
}
