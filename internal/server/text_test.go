package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// Text fields of the org registry and of accounts refuse control and
// hidden characters and are bounded, with a message that names the field
// by what it is, and change nothing.
func TestTextFieldsRefuseControlCharacters(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		tables := []string{"org_units", "org_unit_versions", "org_events", "users", "api_tokens"}
		var before map[string]int
		snap := func(t *testing.T, app *testapp.App) { before = app.RowCounts(t, tables...) }
		unchanged := func(t *testing.T, app *testapp.App, _ []byte, _ http.Header) {
			for table, n := range app.RowCounts(t, tables...) {
				if n != before[table] {
					t.Errorf("%s: %d rows before, %d after a rejected write", table, before[table], n)
				}
			}
		}
		official := func(title, fullName string) string {
			return `{"fullName":"` + fullName + `","title":"` + title + `","unitId":{unit:LC.SKHCN},"roles":[{"role":"reporter"}]}`
		}
		app.Token(t, "quantri.laichau") // issued before any row counts tokens
		app.Token(t, "baocao.laichau")
		app.Run(t, nil, []testapp.Scenario{
			{Name: "an official's job title with a right-to-left override", Call: testapp.Call{User: "quantri.laichau", Method: "PUT", Path: "/api/v1/officials/{official:baocao.laichau}",
				Body: official(`Chuyên viên\u202eexe.`, "Lò Văn Giang")}, Status: 422,
				Fields: []string{"title"}, Contains: []string{"Chức vụ: chứa ký tự điều khiển hoặc ký tự ẩn", "U+202E"}},
			{Name: "an official's name with NUL", Call: testapp.Call{User: "quantri.laichau", Method: "PUT", Path: "/api/v1/officials/{official:baocao.laichau}",
				Body: official("Chuyên viên", `Lò Văn\u0000Giang`)}, Status: 422,
				Fields: []string{"fullName"}, Contains: []string{"Họ và tên: chứa ký tự điều khiển"}},
			{Name: "a job title too long", Call: testapp.Call{User: "quantri.laichau", Method: "PUT", Path: "/api/v1/officials/{official:baocao.laichau}",
				Body: official(strings.Repeat("ứ", 201), "Lò Văn Giang")}, Status: 422,
				Fields: []string{"title"}, Contains: []string{"Chức vụ: dài quá 200 ký tự"}},
			{Name: "a new official with a bell in the name", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/officials",
				Body: `{"username":"kiem.tra","fullName":"Kiểm\u0007Tra","unitId":{unit:LC.SKHCN},"password":"mat-khau-kiem-tra"}`}, Status: 422,
				Fields: []string{"fullName"}, Before: snap, Check: unchanged},
			{Name: "a unit name with an escape sequence", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/orgunits",
				Body: `{"code":"LC.X.KT","name":"Xã \u001b[2JKiểm Tra","kind":"commune","parentId":{unit:LC}}`}, Status: 422,
				Fields: []string{"name"}, Contains: []string{"Tên đơn vị: chứa ký tự điều khiển"}, Before: snap, Check: unchanged},
			{Name: "a correction to a unit name with DEL", Call: testapp.Call{User: "quantri.laichau", Method: "PUT", Path: "/api/v1/orgunits/{unit:LC.X.BANBO}",
				Body: `{"name":"Xã Bản Bo\u007f","kind":"commune"}`}, Status: 422, Fields: []string{"name"}, Before: snap, Check: unchanged},
			{Name: "a rename to a name with a zero-width no-break space", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/reorganisations",
				Body: `{"kind":"rename","date":"2025-12-01","subject":"LC.X.BANBO","name":"Xã Bản\ufeffBo Mới"}`}, Status: 422,
				Fields: []string{"name"}, Contains: []string{"Tên mới: chứa ký tự"}, Before: snap, Check: unchanged},
			{Name: "a reorganisation note with NUL", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/reorganisations",
				Body: `{"kind":"rename","date":"2025-12-01","subject":"LC.X.BANBO","name":"Xã Bản Bo Mới","note":"Theo\u0000 nghị quyết"}`}, Status: 422,
				Fields: []string{"note"}, Before: snap, Check: unchanged},
			{Name: "a multi-line reorganisation note is fine", Call: testapp.Call{User: "quantri.laichau", Method: "POST", Path: "/api/v1/reorganisations",
				Body: `{"kind":"rename","date":"2025-12-01","subject":"LC.X.BANBO","name":"Xã Bản Bo Mới","note":"Dòng một\r\nDòng hai\n\tthụt lề"}`}, Status: 201},
			{Name: "a token name with a line break", Call: testapp.Call{User: "baocao.laichau", Method: "POST", Path: "/api/v1/me/tokens", Body: `{"name":"Phần mềm\nbáo cáo"}`}, Status: 422,
				Fields: []string{"name"}, Contains: []string{"Tên mã truy cập: chứa ký tự điều khiển", "U+000A"}, Before: snap, Check: unchanged},
		})

		// The official's page says the same, beside the field.
		b := signIn(t, app, "quantri.laichau")
		id := strconv.FormatInt(app.OfficialID(t, "baocao.laichau"), 10)
		status, page := b.post(t, "/officials/"+id, url.Values{"fullName": {"Lò Văn Giang"}, "title": {"Chuyên viên\x00"}, "unitId": {strconv.FormatInt(app.UnitID(t, "LC.SKHCN"), 10)}, "role": {"reporter"}})
		if status != 422 || !strings.Contains(page, `id="title-err">Chức vụ: chứa ký tự điều khiển`) {
			t.Errorf("official form with NUL in the job title: %d", status)
		}
	})
}
