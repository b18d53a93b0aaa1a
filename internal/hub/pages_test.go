package hub_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

// TestHubPages walks the pages as officials do, Vietnamese first: a
// province's admin registers a member, a system and a service and issues a
// secret (shown once); Pleiku's approver asks for access; the provider
// approves; a reporter sees the registry but no forms, and is refused a
// write.
func TestHubPages(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		must := func(t *testing.T, status int, body string, want ...string) {
			t.Helper()
			if status != 200 {
				t.Fatalf("status %d\n%s", status, body)
			}
			for _, s := range want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
		}
		idIn := func(t *testing.T, body, prefix string) string {
			t.Helper()
			m := regexp.MustCompile(`href="` + regexp.QuoteMeta(prefix) + `(\d+)"`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no link %s…", prefix)
			}
			return m[1]
		}

		admin := app.Login(t, "quantri.laichau")
		status, body := admin.Get(t, "/hub")
		must(t, status, body, "Trục liên thông, chia sẻ dữ liệu (LGSP)", "Đăng ký thành viên", `href="/hub"`)

		status, body = admin.Post(t, "/hub/members", url.Values{"memberClass": {"GOV"}, "memberCode": {"Sở Tư pháp"}, "name": {""}, "unitCode": {"KHONG.CO"}})
		if status != 422 || !strings.Contains(body, "Mã thành viên: chỉ gồm chữ cái không dấu") || !strings.Contains(body, "Mã đơn vị quản lý: không tìm thấy") {
			t.Fatalf("a bad member: %d\n%s", status, body)
		}
		status, body = admin.Post(t, "/hub/members", url.Values{"memberClass": {"GOV"}, "memberCode": {"H29.STP"}, "name": {"Sở Tư pháp tỉnh Lai Châu"}, "unitCode": {"lc.stp"}})
		must(t, status, body, "Đã lưu.", "TINHSO/GOV/H29.STP", "Thêm hệ thống thông tin")
		memberID := regexp.MustCompile(`action="/hub/members/(\d+)/subsystems"`).FindStringSubmatch(body)[1]

		status, body = admin.Post(t, "/hub/members/"+memberID+"/subsystems", url.Values{"subsystemCode": {"LLTP"}, "name": {"Hệ thống lý lịch tư pháp"}})
		must(t, status, body, "TINHSO/GOV/H29.STP/LLTP")
		subID := idIn(t, body, "/hub/subsystems/")

		status, body = admin.Post(t, "/hub/subsystems/"+subID+"/services", url.Values{"serviceCode": {"lltp"}, "name": {"Tra cứu lý lịch tư pháp"}, "backendUrl": {"khong-phai-url"}})
		if status != 422 || !strings.Contains(body, "Địa chỉ hệ thống cung cấp: phải là địa chỉ http://") {
			t.Fatalf("a bad backend: %d\n%s", status, body)
		}
		status, body = admin.Post(t, "/hub/subsystems/"+subID+"/services", url.Values{"serviceCode": {"lltp"}, "name": {"Tra cứu lý lịch tư pháp"}, "backendUrl": {"http://127.0.0.1:9/lltp"}})
		must(t, status, body, "GET /r1/TINHSO/GOV/H29.STP/LLTP/lltp/…", "Thêm điểm cuối", "Mô tả OpenAPI 3")
		svcID := regexp.MustCompile(`action="/hub/services/(\d+)/endpoints"`).FindStringSubmatch(body)[1]
		status, body = admin.Post(t, "/hub/services/"+svcID+"/openapi", url.Values{"document": {judicialYAML}})
		must(t, status, body, "Đã lưu mô tả OpenAPI", "/records/{id}", "OPENAPI")

		// A secret is shown once, on the page that issued it.
		status, body = admin.Post(t, "/hub/subsystems/"+subID+"/secrets", url.Values{"name": {"Máy chủ LLTP"}})
		must(t, status, body, "chỉ hiển thị một lần", "client_secret", "hubs_")
		status, body = admin.Get(t, "/hub/subsystems/"+subID)
		must(t, status, body, "Khóa bí mật OAuth2", "Máy chủ LLTP")
		if strings.Contains(body, "hubs_") {
			t.Error("the secret is shown a second time")
		}

		// Pleiku asks for access for its one-stop system.
		pleiku := app.Login(t, "pheduyet.pleiku")
		consumer := do(t, app, "admin", "POST", "/api/v1/hub/members", `{"memberClass":"GOV","memberCode":"GL.PLEIKU","name":"UBND thành phố Pleiku","unitId":{unit:GL.PLEIKU}}`)
		sub := do(t, app, "pheduyet.pleiku", "POST", "/api/v1/hub/members/"+itoa64(id(consumer))+"/subsystems", `{"subsystemCode":"MOTCUA","name":"Một cửa điện tử"}`)
		status, body = pleiku.Get(t, "/hub/services/"+svcID)
		must(t, status, body, "Đề nghị cấp quyền khai thác", "Một cửa điện tử")
		if strings.Contains(body, "Quyền truy cập đã cấp") {
			t.Error("the consumer sees the provider's rights")
		}
		status, body = pleiku.Post(t, "/hub/services/"+svcID+"/access", url.Values{"consumerId": {itoa64(id(sub))}, "reason": {""}})
		if status != 422 || !strings.Contains(body, "Lý do, căn cứ khai thác: bắt buộc nhập") {
			t.Fatalf("a request without a reason: %d", status)
		}
		status, body = pleiku.Post(t, "/hub/services/"+svcID+"/access", url.Values{"consumerId": {itoa64(id(sub))}, "reason": {"Cấp phiếu lý lịch tư pháp liên thông"}})
		must(t, status, body, "Đã gửi yêu cầu")

		// The provider sees it at home and on its requests page, and approves.
		status, body = admin.Get(t, "/")
		must(t, status, body, "đang chờ bạn phê duyệt")
		status, body = admin.Get(t, "/hub/requests")
		must(t, status, body, "Chờ đơn vị tôi phê duyệt", "Cấp phiếu lý lịch tư pháp liên thông", "Phê duyệt")
		reqID := regexp.MustCompile(`action="/hub/requests/(\d+)/approve"`).FindStringSubmatch(body)[1]
		status, body = pleiku.Post(t, "/hub/requests/"+reqID+"/approve", url.Values{})
		if status != 403 {
			t.Errorf("the consumer approving its own request: %d", status)
		}
		status, body = admin.Post(t, "/hub/requests/"+reqID+"/approve", url.Values{})
		must(t, status, body, "Đã xử lý yêu cầu.", "Đã phê duyệt")
		status, body = admin.Get(t, "/hub/services/"+svcID)
		must(t, status, body, "TINHSO/GOV/GL.PLEIKU/MOTCUA", "toàn bộ dịch vụ")

		// A reporter reads the registry, has no forms, and is refused.
		reporter := app.Login(t, "baocao.laichau")
		status, body = reporter.Get(t, "/hub")
		must(t, status, body, "TINHSO/GOV/H29.STP", "TINHSO/GOV/H29.STP/LLTP/lltp")
		if strings.Contains(body, "Đăng ký thành viên") {
			t.Error("a reporter sees the register form")
		}
		denied := app.Denials(t, "baocao.laichau")
		status, _ = reporter.Post(t, "/hub/members", url.Values{"memberClass": {"GOV"}, "memberCode": {"X"}, "name": {"X"}, "unitCode": {"LC.SKHCN"}})
		if status != 403 || app.Denials(t, "baocao.laichau") != denied+1 {
			t.Errorf("a reporter registering a member: %d", status)
		}

		// In English.
		reporter.Get(t, "/lang/en")
		status, body = reporter.Get(t, "/hub")
		must(t, status, body, "Data exchange hub (LGSP)", "Members")

		// Anonymous visitors go to the login form.
		res, err := testapp.NoRedirect().Get(app.URL + "/hub")
		if err != nil || res.StatusCode != 303 || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("anonymous /hub: %v %v", res, err)
		}
	})
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// TestPeerPages: the hub's admin registers a peer hub on /hub/peers (bad
// input first), sees it with its CA's fingerprint and disables it; a
// province's admin sees the peers and this hub's peering details, without
// the forms, and is refused a registration.
func TestPeerPages(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		p, err := app.Server.Hub.Peering(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		admin := app.Login(t, "admin")
		status, body := admin.Get(t, "/hub/peers")
		if status != 200 || !strings.Contains(body, "Chưa có trục ngang hàng nào.") || !strings.Contains(body, "Đăng ký trục ngang hàng") || !strings.Contains(body, "BEGIN CERTIFICATE") {
			t.Fatalf("%d\n%s", status, body)
		}
		status, body = admin.Post(t, "/hub/peers", url.Values{"xroadInstance": {"VN"}, "name": {"NDXP"}, "address": {"http://ndxp"}, "caCertificates": {"x"}})
		if status != 422 || !strings.Contains(body, "địa chỉ phải là https://") || !strings.Contains(body, "phải gồm một hoặc nhiều chứng thư CA") {
			t.Fatalf("a bad peer: %d\n%s", status, body)
		}
		status, body = admin.Post(t, "/hub/peers", url.Values{"xroadInstance": {"VN"}, "name": {"Nền tảng NDXP"}, "address": {"https://ndxp.gov.vn:5500"}, "caCertificates": {p.CAPEM}})
		if status != 200 || !strings.Contains(body, "Đã lưu.") || !strings.Contains(body, "https://ndxp.gov.vn:5500") || !strings.Contains(body, "Tạm dừng") {
			t.Fatalf("%d\n%s", status, body)
		}
		peer, err := app.Server.Hub.PeerByInstance(context.Background(), "VN")
		if err != nil || len(peer.CAs) == 0 || !strings.Contains(body, peer.CAs[0]) {
			t.Fatalf("%v %+v", err, peer)
		}
		status, body = admin.Post(t, "/hub/peers/"+itoa64(peer.ID)+"/enabled", url.Values{"enabled": {"false"}})
		if status != 200 || !strings.Contains(body, "Cho hoạt động") {
			t.Fatalf("disable: %d\n%s", status, body)
		}
		if peer, _ = app.Server.Hub.PeerByInstance(context.Background(), "VN"); peer.Enabled {
			t.Error("still enabled")
		}

		province := app.Login(t, "quantri.laichau")
		status, body = province.Get(t, "/hub/peers")
		if status != 200 || !strings.Contains(body, "Nền tảng NDXP") || strings.Contains(body, `action="/hub/peers"`) {
			t.Fatalf("%d\n%s", status, body)
		}
		if status, _ = province.Post(t, "/hub/peers", url.Values{"xroadInstance": {"HN"}, "name": {"Hà Nội"}, "address": {"https://hn:5500"}, "caCertificates": {p.CAPEM}}); status != 403 {
			t.Errorf("a province's admin registers a peer: %d", status)
		}
	})
}
