package dti_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/dti"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestFrameworkEditorPages builds a commune framework field by field on
// the editor's pages, on both engines: the header, two main indices, a
// component of each rule kind the forms offer, a move and a removal; each
// bad input (points above the main index's or the total, overlapping
// steps, parts that do not add up, a duplicate code, a number that is not
// one) comes back on the form naming the field, nothing written; other
// provinces' administrators and reporters are refused; a stale form is a
// conflict; the whole framework opens an assessment, after which it is
// locked and a new version is made from it.
func TestFrameworkEditorPages(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		coord := app.Login(t, "dieuphoi")
		gl := app.UnitID(t, "GL25")

		st, page := coord.Get(t, "/dti")
		wantPage(t, "overview", st, page, 200, `href="/dti/frameworks/new"`)
		st, page = coord.Get(t, "/dti/frameworks/new")
		wantPage(t, "new", st, page, 200, "Soạn bộ chỉ số mới", fmt.Sprintf(`value="%d"`, gl))
		head := url.Values{"code": {"gl xa"}, "owner": {fmt.Sprint(gl)}, "name": {"Bộ chỉ số chuyển đổi số cấp xã 2025"}, "decision": {"123/QĐ-UBND"},
			"issuedOn": {"15/03/2025"}, "issuer": {"UBND tỉnh Gia Lai"}, "level": {"commune"}, "yearFrom": {"2025"}, "yearTo": {"hai"}, "totalPoints": {"100"}}
		st, page = coord.Post(t, "/dti/frameworks", head)
		wantPage(t, "new: bad year", st, page, 422, "Áp dụng đến năm: phải là năm gồm 4 chữ số", `value="hai"`)
		head.Set("yearTo", "2025")
		st, page = coord.Post(t, "/dti/frameworks", head)
		wantPage(t, "new: bad code", st, page, 422, "Mã: ")
		head.Set("code", "GL-XA-2025")
		st, page = coord.Post(t, "/dti/frameworks", head)
		wantPage(t, "new", st, page, 200, "Đã tạo bộ chỉ số", "Chưa dùng được để mở đợt đánh giá", "Chưa có chỉ số chính.")
		var id int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_frameworks WHERE code = 'GL-XA-2025'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		st, page = coord.Post(t, "/dti/frameworks", head)
		wantPage(t, "new: code taken", st, page, 422, "Mã: «GL-XA-2025» đã tồn tại")

		rev := func() string {
			var r int
			if err := app.DB.Read.QueryRow(`SELECT revision FROM dti_frameworks WHERE id = $1`, id).Scan(&r); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(r)
		}
		base := fmt.Sprintf("/dti/frameworks/%d", id)
		post := func(what, path string, form url.Values, status int, contains ...string) string {
			t.Helper()
			form.Set("revision", rev())
			st, page := coord.Post(t, base+path, form)
			wantPage(t, what, st, page, status, contains...)
			return page
		}

		// Groups and main indices.
		post("group", "/groups", url.Values{"group.code": {"I"}, "group.name": {"Nhóm chỉ số nền tảng"}}, 200, "Đã lưu.", `value="Nhóm chỉ số nền tảng"`)
		st, page = coord.Get(t, base+"/mains/new")
		wantPage(t, "main form", st, page, 200, "Thêm chỉ số chính", "Nhóm chỉ số nền tảng")
		post("main 1", "/mains", url.Values{"code": {"1"}, "name": {"Nhận thức số"}, "group": {"I"}, "maxPoints": {"60"}, "provenance": {"official"}}, 200, "1. Nhận thức số")
		post("main 2 above the total", "/mains", url.Values{"code": {"2"}, "name": {"Chính quyền số"}, "maxPoints": {"50"}, "provenance": {"official"}}, 422,
			"Điểm tối đa: các chỉ số chính cộng lại được 110 điểm, vượt tổng điểm 100 (thừa 10 điểm)", `value="Chính quyền số"`)
		post("main 2 duplicate code", "/mains", url.Values{"code": {"1"}, "name": {"Chính quyền số"}, "maxPoints": {"40"}, "provenance": {"official"}}, 422, "Mã: «1» trùng với chỉ số chính thứ 1")
		post("main 2", "/mains", url.Values{"code": {"2"}, "name": {"Chính quyền số"}, "maxPoints": {"40"}, "provenance": {"official"}}, 200, "2. Chính quyền số")

		// Components, one rule kind after another.
		st, page = coord.Get(t, base+"/mains/1/components/new")
		wantPage(t, "component form", st, page, 200, "Thêm chỉ số thành phần vào 1", "Tham số cho «Theo mức»", `name="rule.steps[0].min"`)
		options := url.Values{"main": {"1"}, "code": {"1.1"}, "name": {"Chủ tịch UBND xã là Trưởng Ban chỉ đạo chuyển đổi số"}, "maxPoints": {"20"}, "rule.kind": {"options"},
			"rule.options[0].code": {"ct"}, "rule.options[0].label": {"Chủ tịch"}, "rule.options[0].points": {"20"},
			"rule.options[1].code": {""}, "rule.options[1].label": {""}, "rule.options[1].points": {""},
			"rule.options[2].code": {"pct"}, "rule.options[2].label": {"Phó Chủ tịch"}, "rule.options[2].points": {"25"},
			"evidence": {"Quyết định thành lập Ban chỉ đạo"}, "dataSource": {"UBND xã"}, "verifier": {"Sở Nội vụ"}, "provenance": {"official"}}
		post("options above the maximum", "/components", options, 422, "Điểm của mức đạt (dòng 3): ", `name="rule.options[2].points" value="25"`)
		options.Set("rule.options[2].points", "10")
		post("options", "/components", options, 200, "Chủ tịch UBND xã là Trưởng Ban chỉ đạo chuyển đổi số")
		steps := url.Values{"main": {"1"}, "code": {"1.2"}, "name": {"Số cuộc họp của Ban chỉ đạo trong năm"}, "maxPoints": {"20"}, "rule.kind": {"steps"}, "rule.measure": {"cuộc họp"},
			"rule.steps[0].min": {"4"}, "rule.steps[0].max": {""}, "rule.steps[0].points": {"20"},
			"rule.steps[1].min": {"2"}, "rule.steps[1].max": {"5"}, "rule.steps[1].points": {"10"}, "provenance": {"official"}}
		post("overlapping steps", "/components", steps, 422, "Khoảng (dòng 1): khoảng [4; &#43;∞) chồng lên dòng 2 [2; 5)")
		steps.Set("rule.steps[1].max", "4")
		post("steps", "/components", steps, 200, "Số cuộc họp của Ban chỉ đạo trong năm")
		parts := url.Values{"main": {"1"}, "code": {"1.3"}, "name": {"Người đứng đầu chủ trì chuyển đổi số"}, "maxPoints": {"20"}, "rule.kind": {"parts"},
			"rule.parts[0].code": {"a"}, "rule.parts[0].label": {"Dự đủ các cuộc họp của tỉnh"}, "rule.parts[0].points": {"10"},
			"rule.parts[1].code": {"b"}, "rule.parts[1].label": {"Chủ trì họp của xã"}, "rule.parts[1].points": {"5"}, "provenance": {"official"}}
		post("parts short of the maximum", "/components", parts, 422, "Các phần: ")
		parts.Set("rule.parts[1].points", "10")
		post("parts", "/components", parts, 200, "Người đứng đầu chủ trì chuyển đổi số")
		post("a fourth component above the main index", "/components", url.Values{"main": {"1"}, "code": {"1.4"}, "name": {"Thêm"}, "maxPoints": {"5"}, "rule.kind": {"yes_no"}, "provenance": {"official"}}, 422,
			"Điểm tối đa: các chỉ số thành phần cộng lại được 65 điểm, vượt điểm tối đa 60 của chỉ số chính (thừa 5 điểm)")
		post("not a number", "/components", url.Values{"main": {"2"}, "code": {"2.1"}, "name": {"Tỷ lệ hồ sơ trực tuyến"}, "maxPoints": {"bốn mươi"}, "rule.kind": {"ratio"}, "provenance": {"official"}}, 422, "Điểm tối đa: ")
		post("ratio", "/components", url.Values{"main": {"2"}, "code": {"2.1"}, "name": {"Tỷ lệ hồ sơ xử lý trực tuyến"}, "maxPoints": {"30"}, "rule.kind": {"ratio"},
			"rule.numerator": {"hồ sơ trực tuyến"}, "rule.denominator": {"hồ sơ tiếp nhận"}, "provenance": {"official"}}, 200, "Tỷ lệ hồ sơ xử lý trực tuyến")
		post("yes/no", "/components", url.Values{"main": {"2"}, "code": {"2.2"}, "name": {"Có trang thông tin điện tử"}, "maxPoints": {"5"}, "rule.kind": {"yes_no"}, "provenance": {"official"}}, 200, "Có trang thông tin điện tử")
		page = post("manual", "/components", url.Values{"main": {"2"}, "code": {"2.3"}, "name": {"Đánh giá của Hội đồng"}, "maxPoints": {"5"}, "rule.kind": {"manual"}, "provenance": {"sample"}}, 200, "Bộ chỉ số đã đủ điểm")

		// Change, move and remove.
		st, page = coord.Get(t, base+"/components/1.2")
		wantPage(t, "component edit form", st, page, 200, "Sửa chỉ số 1.2", `name="rule.steps[0].min" value="4"`, `value="cuộc họp"`)
		steps.Set("old", "1.2")
		steps.Set("name", "Số cuộc họp chuyên đề của Ban chỉ đạo")
		post("change", "/components", steps, 200, "Số cuộc họp chuyên đề của Ban chỉ đạo")
		post("move", "/move", url.Values{"kind": {"component"}, "code": {"1.3"}, "dir": {"up"}}, 200)
		post("remove", "/remove", url.Values{"kind": {"component"}, "code": {"2.3"}}, 200, "Chưa dùng được để mở đợt đánh giá")
		post("manual again", "/components", url.Values{"main": {"2"}, "code": {"2.3"}, "name": {"Đánh giá của Hội đồng"}, "maxPoints": {"5"}, "rule.kind": {"manual"}, "provenance": {"sample"}}, 200, "Bộ chỉ số đã đủ điểm")
		var f dti.Framework
		_, body, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/dti/frameworks/%d", id), "")
		testapp.JSON(t, body, &f)
		var got []string
		for _, c := range f.Components() {
			got = append(got, c.Code+" "+c.Rule.Kind)
		}
		if strings.Join(got, ", ") != "1.1 options, 1.3 parts, 1.2 steps, 2.1 ratio, 2.2 yes_no, 2.3 manual" || f.MainIndices[0].Group != "I" || f.Level != dti.LevelCommune || f.IssuedOn != "2025-03-15" || f.Owner != "GL25" {
			t.Errorf("the framework as built: %v, %+v", got, f)
		}
		if len(f.MainIndices[0].Components[0].Rule.Options) != 2 || f.MainIndices[0].Components[0].Evidence != "Quyết định thành lập Ban chỉ đạo" {
			t.Errorf("1.1 as built: %+v", f.MainIndices[0].Components[0])
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM audit_events WHERE kind = 'dti.framework' AND subject = 'GL-XA-2025'`); n < 12 {
			t.Errorf("%d audit events of the framework", n)
		}

		// A component's links to programme tasks survive its change on the
		// page and a changed import of the whole framework.
		var task int64
		if err := app.DB.Read.QueryRow(`SELECT t.id FROM tasks t JOIN plans p ON p.id = t.plan_id WHERE p.number = '3015/KH-UBND' AND t.number = '1.1'`).Scan(&task); err != nil {
			t.Fatal(err)
		}
		if st, body, _ := app.Do(t, "dieuphoi", "PUT", fmt.Sprintf("/api/v1/dti/frameworks/%d/components/2.1/tasks", id), fmt.Sprintf(`{"tasks":[%d]}`, task)); st != 200 {
			t.Fatalf("link: %d %s", st, body)
		}
		post("change a linked component", "/components", url.Values{"old": {"2.1"}, "main": {"2"}, "code": {"2.1"}, "name": {"Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến"}, "maxPoints": {"30"}, "rule.kind": {"ratio"}, "provenance": {"official"}}, 200,
			"Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến")
		_, doc, _ := app.Do(t, "dieuphoi", "GET", fmt.Sprintf("/api/v1/dti/frameworks/%d/document", id), "")
		changed := strings.Replace(string(doc), "Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến", "Tỷ lệ hồ sơ xử lý toàn trình trực tuyến", 1)
		if st, body, _ := app.Do(t, "dieuphoi", "POST", "/api/v1/dti/frameworks", changed); st != 200 || !strings.Contains(string(body), `"changed":true`) {
			t.Fatalf("import the changed document: %d %s", st, body)
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM dti_component_tasks l JOIN dti_components c ON c.id = l.component_id WHERE c.framework_id = $1 AND c.code = '2.1' AND c.name = 'Tỷ lệ hồ sơ xử lý toàn trình trực tuyến'`, id); n != 1 {
			t.Errorf("the link after the changes: %d", n)
		}

		// Refused: a stale form, another province's administrator, a reporter.
		stale := url.Values{"revision": {"1"}, "kind": {"component"}, "code": {"2.3"}, "csrf": {coord.CSRF(t)}}
		st, page = coord.Post(t, base+"/remove", stale)
		wantPage(t, "stale", st, page, 409, "vừa được người khác sửa")
		other := app.Login(t, "quantri.laichau")
		st, page = other.Get(t, "/dti/frameworks/new")
		wantPage(t, "Lai Châu's new framework", st, page, 200, fmt.Sprintf(`value="%d"`, app.UnitID(t, "LC")))
		if strings.Contains(page, fmt.Sprintf(`value="%d"`, gl)) {
			t.Error("Lai Châu's administrator is offered Gia Lai as the owner")
		}
		taken := url.Values{"code": {"LC-XA"}, "owner": {fmt.Sprint(gl)}, "name": {"Bộ chỉ số"}, "level": {"commune"}, "yearFrom": {"2025"}, "yearTo": {"2025"}, "totalPoints": {"100"}}
		if st, _ := other.Post(t, "/dti/frameworks", taken); st != 403 {
			t.Errorf("Lai Châu's administrator creates Gia Lai's framework: %d", st)
		}
		st, _ = other.Post(t, base+"/remove", url.Values{"revision": {rev()}, "kind": {"component"}, "code": {"2.3"}})
		if st != 403 {
			t.Errorf("another province's administrator: %d", st)
		}
		st, _ = other.Get(t, base+"/edit")
		if st != 403 {
			t.Errorf("another province's administrator reads the editor: %d", st)
		}
		reporter := app.Login(t, "baocao.bienho")
		if st, _ := reporter.Get(t, "/dti/frameworks/new"); st != 403 {
			t.Errorf("a reporter: %d", st)
		}
		if n := app.Count(t, `SELECT COUNT(*) FROM dti_components WHERE framework_id = $1`, id); n != 6 {
			t.Errorf("%d components after the refusals", n)
		}

		// Used by a cycle: locked, a new version instead.
		form := url.Values{"framework": {fmt.Sprint(id)}, "year": {"2025"}, "owner": {fmt.Sprint(gl)}, "deadline": {time.Now().AddDate(0, 1, 0).Format("02/01/2006")},
			"units": {fmt.Sprint(app.UnitID(t, "GL25.X.BIENHO"))}}
		st, page = coord.Post(t, "/dti/assessments", form)
		wantPage(t, "open", st, page, 200, "Đã mở đợt đánh giá.", "Biển Hồ")
		post("locked", "/remove", url.Values{"kind": {"component"}, "code": {"2.3"}}, 409, "đang được dùng trong 1 đợt đánh giá nên không sửa được")
		st, page = coord.Get(t, base+"/edit")
		wantPage(t, "locked editor", st, page, 200, "Tạo phiên bản mới", `value="GL-XA-2025-2026"`)
		if strings.Contains(page, `action="`+base+`/remove"`) {
			t.Error("a locked framework offers removals")
		}
		st, page = coord.Post(t, base+"/copy", url.Values{"code": {"GL-XA-2025-2026"}, "yearFrom": {"2026"}, "yearTo": {"2026"}})
		wantPage(t, "copy", st, page, 200, "Đã tạo phiên bản mới", "Bộ chỉ số đã đủ điểm", "Tỷ lệ hồ sơ xử lý toàn trình trực tuyến")
		if n := app.Count(t, `SELECT COUNT(*) FROM dti_components c JOIN dti_frameworks f ON f.id = c.framework_id WHERE f.code = 'GL-XA-2025-2026'`); n != 6 {
			t.Errorf("the new version has %d components", n)
		}
	})
}

// A draft does not open an assessment.
func TestDraftFrameworkOpensNothing(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		coord := app.Login(t, "dieuphoi")
		gl := app.UnitID(t, "GL25")
		st, page := coord.Post(t, "/dti/frameworks", url.Values{"code": {"GL-NHAP"}, "owner": {fmt.Sprint(gl)}, "name": {"Bản nháp"}, "level": {"commune"}, "yearFrom": {"2025"}, "yearTo": {"2025"}, "totalPoints": {"100"}})
		wantPage(t, "draft", st, page, 200, "Đã tạo bộ chỉ số")
		var id int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_frameworks WHERE code = 'GL-NHAP'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf(`{"framework": %d, "year": 2025, "owner": %d, "deadline": "%s", "units": [%d]}`, id, gl, time.Now().AddDate(0, 1, 0).Format(time.DateOnly), app.UnitID(t, "GL25.X.BIENHO"))
		st, res, _ := app.Do(t, "dieuphoi", "POST", "/api/v1/dti/assessments", body)
		if st != 422 || !strings.Contains(string(res), "framework_incomplete") {
			t.Errorf("a draft opens an assessment: %d %s", st, res)
		}
	})
}
