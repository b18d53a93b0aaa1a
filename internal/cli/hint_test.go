package cli

import "testing"

// The token hint works for whoever started the demo: go run leaves no
// binary behind, so its users get a go run command back.
func TestCommandName(t *testing.T) {
	cases := []struct{ exe, onPath, arg0, want string }{
		{"/tmp/go-build2193847/b001/exe/tinhso", "", "/tmp/go-build2193847/b001/exe/tinhso", "go run ./cmd/tinhso"},
		{`C:\Users\an\AppData\Local\Temp\go-build123\b001\exe\tinhso.exe`, "", "tinhso.exe", "go run ./cmd/tinhso"},
		{"/usr/local/bin/tinhso", "/usr/local/bin/tinhso", "tinhso", "tinhso"},
		{"/home/an/tinhso/tinhso", "", "./tinhso", "./tinhso"},
		{"/home/an/tinh so/tinhso", "/usr/local/bin/tinhso", "/home/an/tinh so/tinhso", "'/home/an/tinh so/tinhso'"},
		// A test binary in a go-build directory is not a go run build.
		{"/tmp/go-build99/b001/cli.test", "", "/tmp/go-build99/b001/cli.test", "/tmp/go-build99/b001/cli.test"},
	}
	for _, c := range cases {
		if got := commandName(c.exe, c.onPath, c.arg0); got != c.want {
			t.Errorf("commandName(%q, %q, %q) = %q, want %q", c.exe, c.onPath, c.arg0, got, c.want)
		}
	}
	if got := shellQuote("sqlite:/tmp/it's here/tinhso.db"); got != `'sqlite:/tmp/it'\''s here/tinhso.db'` {
		t.Errorf("shellQuote = %s", got)
	}
}
