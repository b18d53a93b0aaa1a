package server_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestTwoServersInOneProcess runs two servers on two databases side by side:
// each must show only its own data (home page, pages, API, audit trail), as
// a national deployment serving several provinces, the hub's second
// listener and parallel tests all need.
func TestTwoServersInOneProcess(t *testing.T) {
	t.Parallel()
	urls := testapp.DemoURLs(t)
	a := testapp.New(t, urls[store.SQLite])
	second := testapp.DemoURLs(t) // another copy
	b := testapp.New(t, second[store.SQLite])
	if engineURL, ok := second[store.Postgres]; ok {
		b = testapp.New(t, engineURL) // the other engine, when there is one
	}

	// Rename the coordinator's unit in server B only, through B's API.
	const newName = "Sở Khoa học và Công nghệ (tên chỉ có ở máy B)"
	status, body, _ := b.Send(t, nil, testapp.Call{User: "admin", Method: "PUT", Path: "/api/v1/orgunits/{unit:GL25.SKHCN}",
		Body: `{"name":"` + newName + `","kind":"department"}`})
	if status != 200 {
		t.Fatalf("rename in B: %d %s", status, body)
	}

	for _, c := range []struct {
		app  *testapp.App
		name string
		want bool
	}{{a, "A", false}, {b, "B", true}} {
		br := c.app.Login(t, "dieuphoi")
		_, home := br.Get(t, "/")
		if got := strings.Contains(home, newName); got != c.want {
			t.Errorf("server %s home page shows B's name: %v, want %v", c.name, got, c.want)
		}
		if !strings.Contains(home, "Sở Khoa học và Công nghệ") {
			t.Errorf("server %s home page does not name the coordinator's unit:\n%s", c.name, home)
		}
		_, unit := br.Get(t, "/units/"+strconv.FormatInt(c.app.UnitID(t, "GL25.SKHCN"), 10))
		if got := strings.Contains(unit, newName); got != c.want {
			t.Errorf("server %s unit page shows B's name: %v, want %v", c.name, got, c.want)
		}
		_, apiBody, _ := c.app.Send(t, nil, testapp.Call{User: "baocao.pleiku", Method: "GET", Path: "/api/v1/orgunits/{unit:GL25.SKHCN}"})
		if got := strings.Contains(string(apiBody), newName); got != c.want {
			t.Errorf("server %s API shows B's name: %v, want %v", c.name, got, c.want)
		}
	}

	// A refusal on A is audited in A's trail only.
	beforeA, beforeB := a.Denials(t, "baocao.ankhe"), b.Denials(t, "baocao.ankhe")
	if status, _, _ := a.Send(t, nil, testapp.Call{User: "baocao.ankhe", Method: "GET", Path: "/api/v1/review"}); status != 403 {
		t.Fatalf("An Khê's reporter on A's review: %d", status)
	}
	if a.Denials(t, "baocao.ankhe") != beforeA+1 || b.Denials(t, "baocao.ankhe") != beforeB {
		t.Errorf("refusal audited in the wrong trail: A %d→%d, B %d→%d", beforeA, a.Denials(t, "baocao.ankhe"), beforeB, b.Denials(t, "baocao.ankhe"))
	}
}
