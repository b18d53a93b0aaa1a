package dti_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/testapp"
)

var rawKey = regexp.MustCompile(`[>\s(](?:dti|field|invalid|error)\.[a-z_]+\.?[a-z_]*[<\s)]`)

// checkPage fetches a page as a signed-in official and checks what it
// must show, in Vietnamese, without a raw catalogue key.
func checkPage(t *testing.T, b *testapp.Browser, path string, status int, contains ...string) string {
	t.Helper()
	got, body := b.Get(t, path)
	if got != status {
		t.Fatalf("%s: status %d, want %d", path, got, status)
	}
	if !strings.Contains(body, `<html lang="vi">`) {
		t.Errorf("%s: not a Vietnamese page", path)
	}
	if k := rawKey.FindString(body); k != "" {
		t.Errorf("%s: a raw key shows: %q", path, k)
	}
	if strings.Contains(body, "%!") {
		t.Errorf("%s: a broken format verb", path)
	}
	for _, s := range contains {
		if !strings.Contains(body, s) {
			t.Errorf("%s lacks %q", path, s)
		}
	}
	return body
}

// The DTI pages, Vietnamese first, with Vietnamese numbers.
func TestPages(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		var id922 int64
		if err := app.DB.Read.QueryRow(`SELECT id FROM dti_frameworks WHERE code = '922-TINH'`).Scan(&id922); err != nil {
			t.Fatal(err)
		}
		b := app.Login(t, "baocao.pleiku")
		home := checkPage(t, b, "/", 200)
		if !strings.Contains(home, `href="/dti"`) {
			t.Error("the menu has no DTI entry")
		}
		checkPage(t, b, "/dti", 200, "Chỉ số chuyển đổi số (DTI)", "922/QĐ-BTTTT", "405/QĐ-BKHCN", "9 chỉ số chính, 98 chỉ số thành phần", "8 chỉ số chính, 47 chỉ số thành phần",
			"Kết quả quốc gia đã công bố", "62/63", "0,4790", "478,99", "Nhận thức số: 72,5/100", "31/34", "Trung bình cả nước (cấp tỉnh)", "0,6961")
		fw := checkPage(t, b, "/dti/frameworks/"+strconv.FormatInt(id922, 10), 200, "Đô thị thông minh", "không tính điểm", "1.000",
			"Người đứng đầu tỉnh (Bí thư hoặc Chủ tịch) là Trưởng ban Ban chỉ đạo chuyển đổi số", "Theo mức", "Phó Bí thư hoặc Phó Chủ tịch là Trưởng ban = 5",
			"Chỉ số mẫu 2.1", "Tên có nguồn, điểm mẫu", "Mức độ ứng dụng trí tuệ nhân tạo (AI) trong nền tảng số")
		if n := strings.Count(fw, ">Chỉ số mẫu</span>"); n != 90 {
			t.Errorf("922's page marks %d components as samples, want 90", n)
		}
		checkPage(t, b, "/dti/scores", 200, "Kết quả và xếp hạng")
		checkPage(t, b, "/dti/scores?framework="+strconv.FormatInt(id922, 10)+"&year=2022", 200, "Chưa có kết quả của bộ chỉ số trong năm này", "Kết quả quốc gia đã công bố năm 2022", "57/63", "29/63")
		checkPage(t, b, "/dti/scores?framework="+strconv.FormatInt(id922, 10)+"&year=hai", 422, "phải là năm gồm 4 chữ số")
		checkPage(t, b, "/dti/frameworks/999999", 404)
	})
}
