package plan

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed demodata/*.json
var demoFiles embed.FS

//go:embed demodata/indicators.tsv
var demoIndicators string

// DemoDocs are the plans of the seed documents, hand-checked against
// ../shared/seeds (text exact), in the order they are loaded: parents and
// documents cited as legal bases first. The targets that
// demodata/indicators.tsv links to an indicator take their actual values
// from periodic reporting (source "indicator").
func DemoDocs() ([]Doc, error) {
	names, err := fs.Glob(demoFiles, "demodata/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var docs []Doc
	for _, n := range names {
		b, err := demoFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var d Doc
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, linkIndicators(docs, demoIndicators)
}

// linkIndicators applies a list of "plan<TAB>target<TAB>indicator" lines
// (# comments) to docs; a line naming no target of the docs is an error,
// so the list cannot drift from the plans.
func linkIndicators(docs []Doc, list string) error {
	for n, line := range strings.Split(list, "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return fmt.Errorf("demodata/indicators.tsv:%d: want plan, target and indicator", n+1)
		}
		found := false
		for i := range docs {
			if key := docs[i].Key; docs[i].Number != f[0] && key != f[0] {
				continue
			}
			for j := range docs[i].Targets {
				if t := &docs[i].Targets[j]; t.Code == f[1] {
					t.Source, t.IndicatorCode, found = "indicator", f[2], true
				}
			}
		}
		if !found {
			return fmt.Errorf("demodata/indicators.tsv:%d: no target %s in plan %s", n+1, f[1], f[0])
		}
	}
	return nil
}
