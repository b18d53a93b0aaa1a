package plan

import (
	"embed"
	"encoding/json"
	"io/fs"
	"sort"
)

//go:embed demodata/*.json
var demoFiles embed.FS

// DemoDocs are the plans of the seed documents, hand-checked against
// ../shared/seeds (text exact), in the order they are loaded: parents and
// documents cited as legal bases first.
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
	return docs, nil
}
