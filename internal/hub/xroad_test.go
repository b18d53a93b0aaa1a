package hub

import (
	"strings"
	"testing"
)

// TestFaultSpellings: every fault type the gateway answers has its X-Road
// 7.8 spelling, and the status follows X-Road's rule.
func TestFaultSpellings(t *testing.T) {
	all := []string{FaultBadRequest, FaultInvalidClient, FaultRateLimited, FaultAuthentication, FaultUnknownMember, FaultLoggingFailed, FaultTimestamping, FaultInternal,
		FaultUnknownService, FaultDisabled, FaultAccessDenied, FaultInvalidRequest, FaultMetaInternal, FaultNetwork, FaultIO, FaultCircuitOpen,
		FaultPeerDisabled, FaultPeerNetwork, FaultPeerIO, FaultPeerCaller}
	if len(all) != len(snakeFaults) {
		t.Fatalf("%d faults, %d snake spellings", len(all), len(snakeFaults))
	}
	for _, f := range all {
		s, ok := snakeFaults[f]
		if !ok || s != strings.ToLower(s) || strings.HasPrefix(f, "Server.") != strings.HasPrefix(s, "server.") {
			t.Errorf("%s → %q", f, s)
		}
		want := 400
		switch {
		case f == FaultRateLimited:
			want = 429
		case strings.HasPrefix(f, "Server."):
			want = 500
		}
		if FaultStatus(f) != want {
			t.Errorf("%s: status %d, want %d", f, FaultStatus(f), want)
		}
	}
	if snakeFaults[FaultAccessDenied] != "server.serverproxy.access_denied" || snakeFaults[FaultNetwork] != "server.serverproxy.service_failed.network_error" {
		t.Error("the 7.8 spellings of RestProxyTest")
	}
}

// TestPathRules: the service path's dot segments are refused however they
// are written, and endpoint globs match as X-Road's PathGlob.
func TestPathRules(t *testing.T) {
	for raw, ok := range map[string]bool{"": true, "/a/b": true, "/a%2Fb": true, "/a/../b": false, "/a/%2e%2e/b": false, "/./a": false,
		"/a/%2E%2E": false, "/a\\b": false, "/a%5C..": false, "/a%00": false, "/%zz": false, "/%FF": false, "/Nguy%E1%BB%85n": true, "/...": true} {
		if _, got := cleanPath(raw); got != ok {
			t.Errorf("cleanPath(%q) = %v, want %v", raw, got, ok)
		}
	}
	for _, c := range []struct {
		glob, path string
		ok         bool
	}{{"/pet/*", "/pet/1", true}, {"/pet/*", "/pet/1/x", false}, {"/pet/**", "/pet/1/x", true}, {"/a/*/b", "/a/x/b", true},
		{"/a.b", "/axb", false}, {globOf("/records/{id}"), "/records/42", true}, {globOf("/records/{id}"), "/records/", true}} {
		if got := compileGlob(c.glob).MatchString(c.path); got != c.ok {
			t.Errorf("%s ~ %s = %v", c.glob, c.path, got)
		}
	}
}

// TestIdentifierStrings: identifiers as headers carry them, each part
// percent-encoded where a path would need it (X-Road allows ? and others
// in codes), and read back by the parsers.
func TestIdentifierStrings(t *testing.T) {
	for _, c := range []struct {
		id   ServiceID
		want string
	}{
		{ServiceID{ClientID: ClientID{Instance: "VN", Class: "GOV", Member: "H29.STP", Subsystem: "LLTP"}, Code: "lltp"}, "VN/GOV/H29.STP/LLTP/lltp"},
		{ServiceID{ClientID: ClientID{Instance: "VN", Class: "GOV", Member: "A?B", Subsystem: "C'(D)+E"}, Code: "x=y,z?"}, "VN/GOV/A%3FB/C'(D)+E/x=y,z%3F"},
		{ServiceID{ClientID: ClientID{Instance: "VN", Class: "GOV", Member: "M"}, Code: "s"}, "VN/GOV/M/s"},
	} {
		if got := c.id.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.id, got, c.want)
		}
		if c.id.Subsystem == "" {
			continue
		}
		if back, err := ParseServiceID(c.want); err != nil || back != c.id {
			t.Errorf("ParseServiceID(%q) = %+v, %v", c.want, back, err)
		}
		if back, err := ParseClientID(c.id.ClientID.String()); err != nil || back != c.id.ClientID {
			t.Errorf("ParseClientID(%q) = %+v, %v", c.id.ClientID.String(), back, err)
		}
	}
}
