package officialdoc_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/officialdoc"
)

func sample() officialdoc.Doc {
	return officialdoc.Doc{
		ParentBody: "UBND TỈNH GIA LAI", Body: "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ TỈNH GIA LAI", Number: "12/TB-BCĐ",
		Place: "Gia Lai", Date: "2026-01-05", Kind: "THÔNG BÁO", Title: "Kết luận của Trưởng Ban Chỉ đạo tại phiên họp ngày 30/12/2025",
		Sections: []officialdoc.Section{{Paragraphs: []string{"Ngày 30 tháng 12 năm 2025, Ban Chỉ đạo chuyển đổi số tỉnh họp phiên thường kỳ để đánh giá tình hình thực hiện nhiệm vụ chuyển đổi số năm 2025 và triển khai nhiệm vụ năm 2026; sau khi nghe báo cáo, Trưởng Ban Chỉ đạo kết luận như sau:"}},
			{Heading: "Ý kiến chỉ đạo", Numbered: true, Paragraphs: []string{"Sở Khoa học và Công nghệ chủ trì hoàn thành Kiến trúc chính quyền số tỉnh Gia Lai phiên bản 3.0, hoàn thành trước ngày 31/03/2026.", "Ủy ban nhân dân các xã, phường hoàn thành số hóa hồ sơ thủ tục hành chính."}},
			{Heading: "Bảng", Table: &officialdoc.Table{Columns: []officialdoc.Column{{Title: "TT", Width: 10}, {Title: "Đơn vị chủ trì"}, {Title: "Số nhiệm vụ quá hạn", Width: 30, Right: true}},
				Rows: []officialdoc.Row{{Cells: []string{"Sở Khoa học và Công nghệ"}, Group: true}, {Cells: []string{"1", "Sở Nội vụ", "3"}}}}}},
		SignerAuthority: "KT. TRƯỞNG BAN", SignerTitle: "PHÓ TRƯỞNG BAN", SignerName: "Lê Minh Châu",
		Recipients: []string{"Các thành viên Ban Chỉ đạo;", "Các sở, ban, ngành;", "Lưu: VT."},
		Appendix:   &officialdoc.Appendix{Title: "PHỤ LỤC", Sections: []officialdoc.Section{{Paragraphs: []string{"Danh sách đầy đủ."}}}},
		Note:       "Văn bản minh họa",
	}
}

// TestPDF writes a document and reads it back: the structure parses, the
// Vietnamese text is there as typed, the fonts are embedded.
func TestPDF(t *testing.T) {
	var buf bytes.Buffer
	app, err := officialdoc.PDF(&buf, sample())
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("OFFICIALDOC_KEEP") != "" {
		os.WriteFile(os.Getenv("OFFICIALDOC_KEEP"), buf.Bytes(), 0o644)
	}
	pages, err := officialdoc.Pages(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if app != 2 || len(pages) != 2 {
		t.Errorf("appendix on page %d of %d, want 2 of 2", app, len(pages))
	}
	text := strings.Join(pages, "\n")
	for _, want := range []string{officialdoc.NationalTitle, officialdoc.Motto, "Số: 12/TB-BCĐ", "Gia Lai, ngày 05 tháng 01 năm 2026", "THÔNG BÁO", "KT. TRƯỞNG BAN", "Lê Minh Châu", "Nơi nhận:", "- Lưu: VT.", "Sở Nội vụ", "PHỤ LỤC", "phiên bản 3.0"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	if !bytes.Contains(buf.Bytes(), []byte("/FontFile2")) {
		t.Error("the font is not embedded")
	}
}

func TestPlaceDate(t *testing.T) {
	for date, want := range map[string]string{"2026-01-05": "Gia Lai, ngày 05 tháng 01 năm 2026", "2025-12-30": "Gia Lai, ngày 30 tháng 12 năm 2025", "2026-03-09": "Gia Lai, ngày 09 tháng 3 năm 2026"} {
		if got := officialdoc.PlaceDate("Gia Lai", date); got != want {
			t.Errorf("%s: %q, want %q", date, got, want)
		}
	}
	if officialdoc.PlaceOf("Tỉnh Gia Lai") != "Gia Lai" {
		t.Error(officialdoc.PlaceOf("Tỉnh Gia Lai"))
	}
}
