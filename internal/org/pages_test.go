package org_test

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/testapp"
)

func vi(key string, args ...any) string { return locale.T(locale.VI, key, args...) }

// page fetches a page that must answer 200, with no date or month input
// (they follow the browser's language; see locale.ParseDate).
func page(t *testing.T, b *testapp.Browser, path string) string {
	t.Helper()
	status, body := b.Get(t, path)
	if status != 200 {
		t.Fatalf("GET %s: %d", path, status)
	}
	for _, bad := range []string{`type="date"`, `type="month"`} {
		if strings.Contains(body, bad) {
			t.Errorf("GET %s: the page has an input %s", path, bad)
		}
	}
	return body
}

var optionRe = regexp.MustCompile(`<option value="(\d+)"( selected)?>([^<]*)</option>`)

// options lists the choices of one select of a page: value → label, and
// the value selected.
func options(t *testing.T, body, id string) (map[string]string, string) {
	t.Helper()
	i := strings.Index(body, `<select id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no select #%s", id)
	}
	j := strings.Index(body[i:], "</select>")
	out, selected := map[string]string{}, ""
	for _, m := range optionRe.FindAllStringSubmatch(body[i:i+j], -1) {
		out[m[1]] = m[3]
		if m[2] != "" {
			selected = m[1]
		}
	}
	return out, selected
}

func TestUnitPages(t *testing.T) {
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		admin := app.Login(t, "admin")
		gl25 := strconv.FormatInt(app.UnitID(t, "GL25"), 10)
		units := func() int { return app.Count(t, `SELECT COUNT(*) FROM org_units`) }

		t.Run("Thêm đơn vị has a parent picker, and submitting works", func(t *testing.T) {
			list := page(t, admin, "/units")
			if !strings.Contains(list, `href="/units/new"`) {
				t.Fatal("/units has no link to add a unit")
			}
			form := page(t, admin, "/units/new")
			opts, selected := options(t, form, "parentId")
			if opts[gl25] != "Tỉnh Gia Lai (GL25)" || selected != "" {
				t.Errorf("the parent picker offers GL25 as %q (selected %q)", opts[gl25], selected)
			}
			if skhcn := strconv.FormatInt(app.UnitID(t, "LC.SKHCN"), 10); opts[skhcn] != "Sở Khoa học và Công nghệ — tỉnh Lai Châu (LC.SKHCN)" {
				t.Errorf("the parent picker names LC.SKHCN %q", opts[skhcn])
			}
			if strings.Contains(form, `<optgroup label="Tỉnh Gia Lai">`) == false {
				t.Error("the parent picker does not group units by province")
			}
			for id, label := range opts {
				if strings.HasPrefix(label, "Phường ") || strings.HasPrefix(label, "Xã ") {
					t.Errorf("the parent picker offers a commune, %s (%s): communes hold no units", label, id)
				}
			}
			// Coming from a unit's page, the picker starts on that unit.
			if _, selected := options(t, page(t, admin, "/units/new?parentId="+gl25), "parentId"); selected != gl25 {
				t.Errorf("from GL25's page the picker selects %q", selected)
			}

			before := units()
			// No parent: named, nothing written.
			status, body := admin.Post(t, "/units", url.Values{"code": {"GL25.P.THU"}, "name": {"Phường Thử"}, "kind": {"ward"}, "parentId": {""}})
			if status != 422 || !strings.Contains(body, vi("field.parentId")+": "+vi("invalid.required")) {
				t.Errorf("no parent: status %d, want 422 naming the parent", status)
			}
			// A month-first date: refused, named, kept as typed.
			status, body = admin.Post(t, "/units", url.Values{"code": {"GL25.P.THU"}, "name": {"Phường Thử"}, "kind": {"ward"}, "parentId": {gl25}, "validFrom": {"09/30/2025"}})
			if status != 422 || !strings.Contains(body, vi("field.validFrom")+": "+vi("invalid.date")) || !strings.Contains(body, `value="09/30/2025"`) {
				t.Errorf("a month-first date: status %d, want 422 naming the field and keeping the text", status)
			}
			if _, selected := options(t, body, "parentId"); selected != gl25 {
				t.Errorf("after an error the picker selects %q, want GL25 kept", selected)
			}
			if n := units(); n != before {
				t.Fatalf("refused forms wrote %d units", n-before)
			}
			// The form as a person fills it: parent picked, date dd/mm/yyyy.
			status, body = admin.Post(t, "/units", url.Values{"code": {"GL25.P.THU"}, "name": {"Phường Thử"}, "kind": {"ward"}, "parentId": {gl25}, "validFrom": {"01/09/2025"}})
			if status != 200 || !strings.Contains(body, "<h1>Phường Thử") || !strings.Contains(body, vi("flash.created")) {
				t.Fatalf("the filled form: status %d", status)
			}
			var from, parent string
			if err := app.DB.Read.QueryRow(`SELECT u.valid_from, p.code FROM org_units u JOIN org_unit_versions v ON v.unit_id = u.id JOIN org_units p ON p.id = v.parent_id WHERE u.code = 'GL25.P.THU'`).Scan(&from, &parent); err != nil {
				t.Fatal(err)
			}
			if from != "2025-09-01" || parent != "GL25" {
				t.Errorf("the new unit: from %s under %s, want 2025-09-01 under GL25", from, parent)
			}
		})

		t.Run("a province's administrator picks parents in the province only", func(t *testing.T) {
			opts, _ := options(t, page(t, app.Login(t, "quantri.laichau"), "/units/new"), "parentId")
			if len(opts) == 0 {
				t.Fatal("no parent to choose")
			}
			for _, label := range opts {
				if !strings.Contains(label, "Lai Châu") {
					t.Errorf("Lai Châu's administrator may pick %q", label)
				}
			}
		})

		t.Run("units carry their province; badges say their scope", func(t *testing.T) {
			found := page(t, admin, "/units?q=khoa+hoc+va+cong+nghe")
			for _, want := range []string{"Sở Khoa học và Công nghệ — tỉnh Lai Châu", "Sở Khoa học và Công nghệ — tỉnh Gia Lai", "Sở Khoa học và Công nghệ — tỉnh Tuyên Quang"} {
				if !strings.Contains(found, want) {
					t.Errorf("the search for Sở KH&CN lacks %q", want)
				}
			}
			officials := page(t, admin, "/officials")
			for _, want := range []string{"Sở Khoa học và Công nghệ — tỉnh Lai Châu", vi("role.badge", vi("role.admin"), "tỉnh Lai Châu"), vi("role.badge", vi("role.admin"), "Việt Nam"),
				vi("role.badge", vi("role.reporter"), "Sở Khoa học và Công nghệ, tỉnh Lai Châu"), vi("role.badge", vi("role.coordinator"), "tỉnh Gia Lai")} {
				if !strings.Contains(officials, want) {
					t.Errorf("/officials lacks %q", want)
				}
			}
			badges := regexp.MustCompile(`<span class="badge role">([^<]*)</span>`).FindAllStringSubmatch(officials, -1)
			if len(badges) < 8 {
				t.Errorf("/officials shows %d role badges", len(badges))
			}
			for _, b := range badges {
				if !strings.Contains(b[1], " — ") {
					t.Errorf("the badge %q does not say its scope", b[1])
				}
			}
			home := page(t, app.Login(t, "quantri.laichau"), "/")
			if !strings.Contains(home, "Quản trị — tỉnh Lai Châu") || !strings.Contains(home, "Sở Khoa học và Công nghệ — tỉnh Lai Châu") {
				t.Error("Lai Châu's administrator's home page does not say the role's scope and the unit's province")
			}
			// The API carries the same labels.
			_, raw, _ := app.Do(t, "admin", "GET", "/api/v1/orgunits?q=khoa+hoc+va+cong+nghe", "")
			var list []struct{ Code, Label string }
			testapp.JSON(t, raw, &list)
			labels := map[string]string{}
			for _, u := range list {
				labels[u.Code] = u.Label
			}
			if labels["TQ25.SKHCN"] != "Sở Khoa học và Công nghệ — tỉnh Tuyên Quang" {
				t.Errorf("API label of TQ25.SKHCN: %q", labels["TQ25.SKHCN"])
			}
		})

		t.Run("the unit search picker", func(t *testing.T) {
			pick := func(b *testapp.Browser, query string) []map[string]any {
				t.Helper()
				status, body := b.Get(t, "/units/picker?"+query)
				if status != 200 {
					t.Fatalf("/units/picker?%s: %d", query, status)
				}
				var out []map[string]any
				if err := json.Unmarshal([]byte(body), &out); err != nil {
					t.Fatalf("/units/picker?%s: %v: %s", query, err, body)
				}
				return out
			}
			reporter := app.Login(t, "baocao.ankhe")
			got := pick(reporter, "q="+url.QueryEscape("khoa hoc"))
			if len(got) != 3 {
				t.Errorf("\"khoa hoc\" finds %d units, want the three Sở KH&CN: %v", len(got), got)
			}
			for _, u := range got {
				if !strings.HasPrefix(u["label"].(string), "Sở Khoa học và Công nghệ — tỉnh ") {
					t.Errorf("choice %v has no province", u)
				}
			}
			// Closest first: the code typed exactly, then names with a word
			// that begins with the text.
			if got := pick(reporter, "q=GL25"); len(got) == 0 || got[0]["code"] != "GL25" {
				t.Errorf("\"GL25\" first offers %v", got)
			}
			if got := pick(reporter, "q=pleiku"); len(got) == 0 || got[0]["label"] != "Phường Pleiku — tỉnh Gia Lai" {
				t.Errorf("\"pleiku\" first offers %v", got)
			}
			// Codes already in a form are named, ended units said so.
			got = pick(reporter, "codes=GL.PLEIKU.HOALU,KHONG.CO")
			if len(got) != 1 || got[0]["label"] != "Phường Hoa Lư — tỉnh Gia Lai" || got[0]["ended"] != true {
				t.Errorf("codes=GL.PLEIKU.HOALU: %v", got)
			}
			if got := pick(reporter, "q="); len(got) != 0 {
				t.Errorf("an empty query offers %d units", len(got))
			}
			// Not signed in: to the login form, never the registry.
			res, err := testapp.NoRedirect().Get(app.URL + "/units/picker?q=gia+lai")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 303 || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
				t.Errorf("anonymous /units/picker: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
		})

		t.Run("the reorganisation form picks units, and takes typed codes", func(t *testing.T) {
			form := page(t, admin, "/reorganisations")
			for _, want := range []string{`id="from" name="from"`, `data-unit-picker="many"`, `data-unit-picker="one"`, `data-picker-none="` + vi("picker.none") + `"`, `href="/units" target="_blank"`} {
				if !strings.Contains(form, want) {
					t.Errorf("the reorganisation form lacks %s", want)
				}
			}
			// Without the script the fields hold typed codes: a rename, its
			// date dd/mm/yyyy.
			status, body := admin.Post(t, "/reorganisations", url.Values{"kind": {"rename"}, "date": {"01/10/2025"}, "basis": {"Quyết định thử"},
				"subject": {"GL25.P.PLEIKU"}, "name": {"Phường Pleiku Mới"}})
			if status != 200 || !strings.Contains(body, vi("flash.recorded")) {
				t.Fatalf("rename: status %d", status)
			}
			var date string
			if err := app.DB.Read.QueryRow(`SELECT event_date FROM org_events WHERE basis = 'Quyết định thử'`).Scan(&date); err != nil || date != "2025-10-01" {
				t.Errorf("the rename is dated %q (%v), want 2025-10-01", date, err)
			}
		})
	})
}
