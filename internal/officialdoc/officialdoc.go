// Package officialdoc lays out official documents (văn bản hành chính) as
// Nghị định 30/2020/NĐ-CP, Phụ lục I sets them: the issuing body above its
// number and symbol on the left, the Quốc hiệu and tiêu ngữ above the place
// and date on the right, the kind and title (trích yếu) centred, the body,
// the signer's block on the right and «Nơi nhận:» on the left, on A4 with
// the decree's margins, in a Times New Roman–compatible serif. One Doc is
// drawn to PDF here (pure Go, github.com/go-pdf/fpdf, the Tinos fonts
// embedded with their licence in fonts/) and to HTML by the domains'
// templates, so the printed page and the download say the same.
package officialdoc

import (
	"fmt"
	"strings"
	"time"
)

// Quốc hiệu and tiêu ngữ.
const (
	NationalTitle = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
	Motto         = "Độc lập - Tự do - Hạnh phúc"
)

// Doc is an official document.
type Doc struct {
	ParentBody string // cơ quan chủ quản, upper case; may be empty
	Body       string // the issuing body, upper case
	Number     string // số và ký hiệu, e.g. 12/TB-BCĐ; "" leaves the number blank for the clerk
	Symbol     string // the symbol alone, printed after a blank number (e.g. BC-SKHCN)
	Place      string // địa danh, e.g. Gia Lai
	Date       string // YYYY-MM-DD; "" leaves the date blank
	Kind       string // THÔNG BÁO, BÁO CÁO …
	Title      string // trích yếu
	Sections   []Section
	// The signer's block: authority (TM., KT. …), office, name.
	SignerAuthority string
	SignerTitle     string
	SignerName      string
	Recipients      []string // nơi nhận, each without its dash
	Appendix        *Appendix
	// Note is printed small at the foot of each page (e.g. that the text
	// is illustrative, or which system produced it).
	Note string
}

// Appendix follows the document on new pages (phụ lục).
type Appendix struct {
	Title    string // PHỤ LỤC
	Subtitle string
	Sections []Section
}

// Section is a heading with paragraphs and an optional table.
type Section struct {
	Heading    string
	Paragraphs []string
	Table      *Table
	After      []string // paragraphs after the table
	// Numbered prints the paragraphs as a numbered list (1. 2. …).
	Numbered bool
}

// Table is a bordered table.
type Table struct {
	Columns []Column
	Rows    []Row
}

// Column is a table column; Width is in millimetres (0 shares what is
// left).
type Column struct {
	Title string
	Width float64
	Right bool // numbers
}

// Row is a table row; a Group row is one cell across the table.
type Row struct {
	Cells []string
	Group bool
}

// NumberLine is the number line as printed: "Số: 12/TB-BCĐ", or with a
// blank for the clerk to fill in ("Số:      /BC-SKHCN").
func (d Doc) NumberLine() string {
	if d.Number != "" {
		return "Số: " + d.Number
	}
	return "Số:        /" + d.Symbol
}

// DateLine is "Gia Lai, ngày 05 tháng 12 năm 2025" (a day below 10 and a
// month below 3 take a leading zero, as the decree asks).
func (d Doc) DateLine() string {
	return PlaceDate(d.Place, d.Date)
}

// PlaceDate writes a place and a date (YYYY-MM-DD) as the decree does.
func PlaceDate(place, date string) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return place + ", ngày      tháng      năm " + time.Now().Format("2006")
	}
	month := fmt.Sprint(int(t.Month()))
	if t.Month() < 3 {
		month = fmt.Sprintf("%02d", int(t.Month()))
	}
	return fmt.Sprintf("%s, ngày %02d tháng %s năm %d", place, t.Day(), month, t.Year())
}

// PlaceOf is the place name of a province's name: "Tỉnh Gia Lai" → "Gia
// Lai", "Thành phố Hà Nội" → "Hà Nội".
func PlaceOf(unitName string) string {
	for _, p := range []string{"Tỉnh ", "Thành phố ", "tỉnh ", "thành phố "} {
		if rest, ok := strings.CutPrefix(unitName, p); ok {
			return rest
		}
	}
	return unitName
}
