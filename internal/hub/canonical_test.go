package hub_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/hub"
)

// TestCanonicalQuotesAsGo: every string field of a record is written as
// strconv.Quote writes it (the hash's definition), plain ASCII or not.
func TestCanonicalQuotesAsGo(t *testing.T) {
	for _, v := range []string{"", "VN/GOV/H29.STP/LLTP/lltp", "/citizens/001", "Nguyễn Văn A", `say "hi"`, `a\b`, "tab\there", "nul\x00", "del\x7f", "bad utf-8 \xff", "~"} {
		r := hub.Record{Chain: "main", Seq: 7, Kind: hub.RecordRequest, AtUS: -1, Path: v, Query: v, UserID: v, Status: 200}
		got := string(r.Canonical())
		for _, line := range []string{"path=" + strconv.Quote(v), "query=" + strconv.Quote(v), "user_id=" + strconv.Quote(v), "at_us=-1", "status=200", `chain="main"`} {
			if !strings.Contains(got, "\n"+line+"\n") {
				t.Errorf("%q: no line %s in\n%s", v, line, got)
			}
		}
		if !strings.HasPrefix(got, "tinhso-hub-log-v1\nchain=") || !strings.HasSuffix(got, "duration_us=0\n") || strings.Count(got, "\n") != 23 {
			t.Errorf("%q: layout\n%s", v, got)
		}
	}
}
