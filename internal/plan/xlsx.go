package plan

// The Excel template of a plan (docs/plan-template.md): writing it (empty,
// or holding an exported plan), reading it back into a Doc that goes through
// the same Validate/Import as JSON, naming every problem by sheet and cell,
// and the Steering Committee's monthly review as a workbook.

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
)

const (
	xlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	xlsxMaxUpload   = 10 << 20 // bytes of an uploaded workbook
	xlsxMaxRows     = 20000    // rows of one sheet
)

// Sheet names of the template.
const (
	xlPlanSheet   = "Kế hoạch"
	xlTargetSheet = "Chỉ tiêu"
	xlTaskSheet   = "Nhiệm vụ"
	xlGuideSheet  = "Hướng dẫn"
	xlUnitSheet   = "Mã đơn vị"
)

// xlCol is one column of a sheet (one labelled row of the plan sheet): the
// Doc member it holds, its Vietnamese header, other headers accepted on
// import, and what the guide says about it.
type xlCol struct {
	key      string
	header   string
	aliases  []string
	width    float64
	text     bool // text number format, so that 1.10 stays "1.10"
	required bool
	help     string
	example  string
}

var xlPlanCols = []xlCol{
	{key: "number", header: "Số hiệu", aliases: []string{"Số, ký hiệu", "Số ký hiệu"}, text: true, required: true,
		help: "Số và ký hiệu của văn bản. Có thể để trống khi văn bản không có số, nhưng khi đó phải có «Mã kế hoạch».", example: "1331/KH-UBND"},
	{key: "key", header: "Mã kế hoạch", aliases: []string{"Khóa"}, text: true,
		help: "Khóa nhận diện kế hoạch khi nhập lại; để trống thì dùng «Số hiệu».", example: "hg-2021"},
	{key: "title", header: "Tên kế hoạch", aliases: []string{"Trích yếu"}, required: true,
		help: "Tên (trích yếu) của kế hoạch.", example: "Kế hoạch triển khai Chiến lược quốc gia phát triển kinh tế số và xã hội số …"},
	{key: "issuer", header: "Cơ quan ban hành", help: "Tên cơ quan ban hành như trong văn bản.", example: "UBND tỉnh Gia Lai"},
	{key: "issuerUnit", header: "Mã đơn vị ban hành", text: true, required: true,
		help: "Mã của đơn vị ban hành trong danh mục đơn vị (trang «Mã đơn vị»), còn hoạt động vào ngày ban hành.", example: "GL"},
	{key: "date", header: "Ngày ban hành", aliases: []string{"Ngày"},
		help: "Dạng dd/mm/yyyy hoặc yyyy-mm-dd; để trống khi chưa rõ (khi đó đơn vị được xác định theo ngày 01/01 của năm bắt đầu).", example: "22/06/2022"},
	{key: "signer", header: "Người ký", example: "Võ Ngọc Thành"},
	{key: "legalBases", header: "Căn cứ", aliases: []string{"Văn bản căn cứ"}, help: "Số hiệu các văn bản làm căn cứ, cách nhau bằng dấu chấm phẩy (;).", example: "411/QĐ-TTg; 749/QĐ-TTg"},
	{key: "spanFrom", header: "Từ năm", required: true, help: "Năm bắt đầu của kế hoạch (4 chữ số).", example: "2022"},
	{key: "spanTo", header: "Đến năm", required: true, help: "Năm kết thúc của kế hoạch (4 chữ số); mọi mốc chỉ tiêu phải nằm trong khoảng từ năm đến năm.", example: "2030"},
	{key: "status", header: "Trạng thái", help: "draft (dự thảo), in_force (đang có hiệu lực — mặc định khi để trống) hoặc replaced (đã được thay thế).", example: "in_force"},
	{key: "parent", header: "Kế hoạch cấp trên", text: true, help: "Mã kế hoạch (hoặc số hiệu) của kế hoạch cấp trên mà kế hoạch này triển khai; kế hoạch đó phải đã có trong hệ thống.", example: "1331/KH-UBND"},
	{key: "note", header: "Ghi chú"},
}

// Target columns before and after the milestone years.
var xlTargetColsBefore = []xlCol{
	{key: "code", header: "Mã chỉ tiêu", aliases: []string{"Mã"}, width: 11, text: true, required: true,
		help: "Mã chỉ tiêu, duy nhất trong kế hoạch; dùng để nhận diện chỉ tiêu khi nhập lại.", example: "KTS.1"},
	{key: "pillar", header: "Trụ cột", aliases: []string{"Chỉ số chính", "Trụ cột DTI"}, width: 18, text: true, required: true,
		help: "Mã chỉ số chính (trụ cột) của bộ chỉ số DTI (danh sách bên dưới); chấp nhận cả tên tiếng Việt.", example: "kinh_te_so"},
	{key: "group", header: "Nhóm", aliases: []string{"Nhóm chỉ tiêu"}, width: 24, help: "Nhóm (mục) của chỉ tiêu trong văn bản.", example: "1. Phát triển kinh tế số"},
	{key: "statement", header: "Nội dung chỉ tiêu", aliases: []string{"Chỉ tiêu"}, width: 60, required: true,
		help: "Nội dung chỉ tiêu như trong văn bản.", example: "Tỷ trọng kinh tế số chiếm tối thiểu 20% GRDP của tỉnh"},
	{key: "statementLater", header: "Nội dung giai đoạn sau", width: 40, help: "Nội dung của chỉ tiêu ở giai đoạn sau (ví dụ định hướng đến 2030), nếu văn bản tách riêng."},
	{key: "measure", header: "Đơn vị tính", aliases: []string{"ĐVT"}, width: 10, help: "Đơn vị tính: %, điểm, hệ thống …", example: "%"},
	{key: "direction", header: "Chiều đánh giá", aliases: []string{"Chiều"}, width: 12, text: true, required: true,
		help: "at_least (đạt tối thiểu), at_most (không vượt quá) hoặc exactly (đúng bằng).", example: "at_least"},
	{key: "baselineYear", header: "Năm cơ sở", width: 10, help: "Năm của giá trị cơ sở (4 chữ số); để trống cả hai cột cơ sở nếu không có.", example: "2022"},
	{key: "baselineValue", header: "Giá trị cơ sở", width: 14,
		help: "Một số, hoặc giá trị theo cấp dạng province=50; district=40; commune=30.", example: "45"},
}

var xlTargetColsAfter = []xlCol{
	{key: "levels", header: "Theo cấp", aliases: []string{"Giá trị theo cấp"}, width: 30,
		help: "Mốc theo cấp, áp dụng cho mọi năm có mốc: province=55; district=40; commune=20 (hoặc tỉnh=55; huyện=40; xã=20).", example: "province=55; district=40; commune=20"},
	{key: "responsibleUnit", header: "Đơn vị chịu trách nhiệm", aliases: []string{"Đơn vị theo dõi"}, width: 16, text: true,
		help: "Mã đơn vị chịu trách nhiệm theo dõi, cập nhật số liệu (trang «Mã đơn vị»).", example: "GL.STTTT"},
	{key: "source", header: "Nguồn số liệu", width: 12, text: true,
		help: "manual (nhập kèm tài liệu kiểm chứng — mặc định) hoặc indicator (lấy từ chỉ số báo cáo định kỳ).", example: "manual"},
	{key: "indicatorCode", header: "Mã chỉ số báo cáo", width: 16, text: true, help: "Bắt buộc khi nguồn số liệu là indicator."},
}

var xlTaskCols = []xlCol{
	{key: "number", header: "Số TT", aliases: []string{"STT", "Số thứ tự"}, width: 8, text: true, required: true,
		help: "Số thứ tự phân cấp (1, 1.1, I.2 …), duy nhất trong kế hoạch; dùng để nhận diện nhiệm vụ khi nhập lại.", example: "I.1.2"},
	{key: "group", header: "Nhóm nhiệm vụ", aliases: []string{"Nhóm"}, width: 22, help: "Nhóm (mục) của nhiệm vụ trong văn bản.", example: "Phát triển hạ tầng số"},
	{key: "pillar", header: "Trụ cột", aliases: []string{"Chỉ số chính", "Trụ cột DTI"}, width: 16, text: true,
		help: "Mã chỉ số chính (trụ cột) DTI; có thể để trống.", example: "ha_tang_so"},
	{key: "description", header: "Nội dung nhiệm vụ", aliases: []string{"Nhiệm vụ", "Nội dung"}, width: 60, required: true,
		help: "Nội dung nhiệm vụ như trong văn bản."},
	{key: "leadText", header: "Đơn vị chủ trì (nguyên văn)", width: 22, help: "Đơn vị chủ trì như viết trong văn bản (chỉ để hiển thị).", example: "Sở Thông tin và Truyền thông"},
	{key: "leadUnits", header: "Đơn vị chủ trì", aliases: []string{"Mã đơn vị chủ trì"}, width: 18, text: true,
		help: "Mã các đơn vị chủ trì, cách nhau bằng dấu chấm phẩy (;); phải còn hoạt động vào ngày ban hành kế hoạch.", example: "GL.STTTT; GL.SKHDT"},
	{key: "leadGroups", header: "Nhóm đơn vị chủ trì", width: 16, text: true,
		help: "Thay cho liệt kê mã: departments (sở ngành), districts (cấp huyện), communes (cấp xã) — mọi đơn vị loại đó thuộc đơn vị ban hành.", example: "districts"},
	{key: "coordinatingText", header: "Đơn vị phối hợp (nguyên văn)", width: 22, help: "Đơn vị phối hợp như viết trong văn bản.", example: "Các sở, ban, ngành; UBND các huyện, thị xã, thành phố"},
	{key: "coordinatingUnits", header: "Đơn vị phối hợp", aliases: []string{"Mã đơn vị phối hợp"}, width: 18, text: true,
		help: "Mã các đơn vị phối hợp, cách nhau bằng dấu chấm phẩy (;).", example: "GL.STC"},
	{key: "coordinatingGroups", header: "Nhóm đơn vị phối hợp", width: 16, text: true,
		help: "departments, districts, communes (hoặc sở ngành, cấp huyện, cấp xã), cách nhau bằng dấu chấm phẩy.", example: "departments; districts"},
	{key: "timeText", header: "Thời gian thực hiện", aliases: []string{"Thời gian", "Thời gian (nguyên văn)"}, width: 14, help: "Thời gian như viết trong văn bản.", example: "2022 - 2025"},
	{key: "from", header: "Từ năm", width: 8, help: "Năm bắt đầu (4 chữ số).", example: "2022"},
	{key: "to", header: "Đến năm", width: 8, help: "Năm phải hoàn thành (4 chữ số); nhiệm vụ quá hạn sau ngày 31/12 của năm này.", example: "2025"},
	{key: "output", header: "Sản phẩm", aliases: []string{"Sản phẩm đầu ra", "Kết quả"}, width: 24, help: "Sản phẩm, kết quả dự kiến."},
	{key: "budgetSource", header: "Nguồn kinh phí", width: 20, help: "Nguồn kinh phí.", example: "Ngân sách tỉnh"},
	{key: "budget", header: "Kinh phí (đồng)", aliases: []string{"Kinh phí"}, width: 16, help: "Kinh phí dự kiến, tính bằng đồng.", example: "50000000000"},
}

// Vietnamese names of codes, for the guide and the review workbook.
var (
	xlPlanStatusVI   = map[string]string{"draft": "Dự thảo", "in_force": "Đang có hiệu lực", "replaced": "Đã được thay thế"}
	xlDirectionVI    = map[string]string{"at_least": "Đạt tối thiểu (≥)", "at_most": "Không vượt quá (≤)", "exactly": "Đúng bằng (=)"}
	xlLevelVI        = map[string]string{"province": "Cấp tỉnh", "district": "Cấp huyện", "commune": "Cấp xã"}
	xlGroupVI        = map[string]string{"departments": "Các sở, ban, ngành", "districts": "UBND các huyện, thị xã, thành phố", "communes": "UBND các xã, phường, thị trấn"}
	xlSourceVI       = map[string]string{"manual": "Nhập kèm tài liệu kiểm chứng", "indicator": "Lấy từ chỉ số báo cáo định kỳ"}
	xlTaskStatusVI   = map[string]string{"not_started": "Chưa bắt đầu", "in_progress": "Đang thực hiện", "done": "Hoàn thành", "paused": "Tạm dừng", "cancelled": "Đã hủy"}
	xlTargetStatusVI = map[string]string{"achieved": "Đạt", "on_track": "Đúng tiến độ", "at_risk": "Có nguy cơ chậm", "off_track": "Chậm tiến độ", "no_data": "Chưa có số liệu"}
)

// Accepted spellings of codes on import (folded, punctuation removed).
var (
	xlStatusAlias = map[string]string{"du thao": "draft", "dang co hieu luc": "in_force", "co hieu luc": "in_force", "hieu luc": "in_force", "con hieu luc": "in_force",
		"da duoc thay the": "replaced", "da thay the": "replaced", "bi thay the": "replaced", "het hieu luc": "replaced"}
	xlDirectionAlias = map[string]string{"toi thieu": "at_least", "dat toi thieu": "at_least", "it nhat": "at_least", ">=": "at_least", "≥": "at_least",
		"toi da": "at_most", "khong vuot qua": "at_most", "<=": "at_most", "≤": "at_most", "dung bang": "exactly", "bang": "exactly", "=": "exactly"}
	xlLevelAlias = map[string]string{"tinh": "province", "cap tinh": "province", "huyen": "district", "cap huyen": "district", "xa": "commune", "cap xa": "commune"}
	xlGroupAlias = map[string]string{"so nganh": "departments", "so ban nganh": "departments", "cac so ban nganh": "departments", "cac so nganh": "departments", "cap so": "departments",
		"cap huyen": "districts", "huyen": "districts", "cac huyen": "districts", "ubnd cap huyen": "districts", "ubnd cac huyen thi xa thanh pho": "districts",
		"cap xa": "communes", "xa": "communes", "cac xa": "communes", "ubnd cap xa": "communes", "ubnd cac xa phuong thi tran": "communes"}
	xlSourceAlias = map[string]string{"nhap tay": "manual", "thu cong": "manual", "chi so": "indicator", "chi so bao cao": "indicator", "bao cao dinh ky": "indicator"}
)

// xlFold is the form headers and codes are compared in: lower case,
// without diacritics, "*" and punctuation other than what codes use.
func xlFold(s string) string {
	s = strings.NewReplacer("*", " ", ",", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s)
	return locale.Fold(s)
}

// alias maps a value through the accepted spellings; a value not found is
// returned as typed so that validation names it.
func xlAlias(v string, codes []string, aliases map[string]string) string {
	if v == "" {
		return v
	}
	for _, c := range codes {
		if strings.EqualFold(v, c) {
			return c
		}
	}
	if c, ok := aliases[xlFold(v)]; ok {
		return c
	}
	return v
}

// ---------------------------------------------------------------------------
// Writing

type xlStyles struct {
	header, label, text, wrap, date, money, title, bold, percent int
}

func xlNewStyles(f *excelize.File) (xlStyles, error) {
	var st xlStyles
	border := []excelize.Border{{Type: "left", Color: "A6A6A6", Style: 1}, {Type: "right", Color: "A6A6A6", Style: 1}, {Type: "top", Color: "A6A6A6", Style: 1}, {Type: "bottom", Color: "A6A6A6", Style: 1}}
	dateFmt, moneyFmt := "dd/mm/yyyy", "#,##0"
	defs := []struct {
		id *int
		s  *excelize.Style
	}{
		{&st.header, &excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1}, Border: border,
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "center", Horizontal: "center"}, NumFmt: 49}},
		{&st.label, &excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&st.text, &excelize.Style{NumFmt: 49, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&st.wrap, &excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&st.date, &excelize.Style{CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "left"}}},
		{&st.money, &excelize.Style{CustomNumFmt: &moneyFmt, Alignment: &excelize.Alignment{Vertical: "top"}}},
		{&st.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&st.bold, &excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&st.percent, &excelize.Style{NumFmt: 9, Alignment: &excelize.Alignment{Vertical: "top"}}},
	}
	for _, d := range defs {
		id, err := f.NewStyle(d.s)
		if err != nil {
			return st, err
		}
		*d.id = id
	}
	return st, nil
}

func xlCell(col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col, row)
	return c
}

func xlColName(col int) string {
	c, _ := excelize.ColumnNumberToName(col)
	return c
}

// xlHeader writes a bold, frozen, filterable header row and sets the widths.
func xlHeader(f *excelize.File, st xlStyles, sheet string, cols []xlCol, filter bool) error {
	for i, c := range cols {
		name := xlColName(i + 1)
		if err := f.SetCellStr(sheet, name+"1", c.header); err != nil {
			return err
		}
		w := c.width
		if w == 0 {
			w = 14
		}
		if err := f.SetColWidth(sheet, name, name, w); err != nil {
			return err
		}
		style := st.wrap
		if c.text {
			style = st.text
		}
		if err := f.SetColStyle(sheet, name, style); err != nil {
			return err
		}
	}
	last := xlCell(len(cols), 1)
	if err := f.SetCellStyle(sheet, "A1", last, st.header); err != nil {
		return err
	}
	f.SetRowHeight(sheet, 1, 32)
	if filter {
		if err := f.AutoFilter(sheet, "A1:"+last, nil); err != nil {
			return err
		}
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}})
}

// xlDropDown offers values in the cells of ref; typing something else is
// refused by Excel (import accepts Vietnamese names as well).
func xlDropDown(f *excelize.File, sheet, ref string, values []string, prompt string) error {
	dv := excelize.NewDataValidation(true)
	dv.SetSqref(ref)
	if err := dv.SetDropList(values); err != nil {
		return nil // too long for a list: no drop-down, import still checks
	}
	dv.SetError(excelize.DataValidationErrorStyleStop, "Giá trị không hợp lệ", "Chọn một giá trị trong danh sách: "+strings.Join(values, ", "))
	if prompt != "" {
		dv.SetInput("", prompt)
	}
	return f.AddDataValidation(sheet, dv)
}

func xlJoinFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// xlLevelsText writes levels as "province=55; district=40", with a bare
// number first for the whole when there is one.
func xlLevelsText(whole *float64, levels []DocLevel) string {
	var parts []string
	if whole != nil {
		parts = append(parts, xlJoinFloat(*whole))
	}
	for _, l := range levels {
		parts = append(parts, l.Level+"="+xlJoinFloat(l.Value))
	}
	return strings.Join(parts, "; ")
}

func xlSetDate(f *excelize.File, st xlStyles, sheet, cell, iso string) error {
	if iso == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return f.SetCellStr(sheet, cell, iso)
	}
	if err := f.SetCellValue(sheet, cell, t); err != nil {
		return err
	}
	return f.SetCellStyle(sheet, cell, cell, st.date)
}

// xlWorkbook writes the plan template holding d (the empty template when d
// is nil).
func (s *Store) xlWorkbook(ctx context.Context, d *Doc) (*excelize.File, error) {
	pillars, err := s.Pillars(ctx)
	if err != nil {
		return nil, err
	}
	pillarCodes := make([]string, len(pillars))
	for i, p := range pillars {
		pillarCodes[i] = p.Code
	}
	f := excelize.NewFile()
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	if err := f.SetSheetName("Sheet1", xlPlanSheet); err != nil {
		return nil, err
	}
	for _, name := range []string{xlTargetSheet, xlTaskSheet, xlGuideSheet, xlUnitSheet} {
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
	}
	st, err := xlNewStyles(f)
	if err != nil {
		return nil, err
	}
	title := "Biểu mẫu kế hoạch — Tỉnh số"
	if d != nil {
		title = "Kế hoạch " + xlPlanName(*d)
	}
	f.SetDocProps(&excelize.DocProperties{Title: title, Creator: "Tỉnh số", Language: "vi-VN", Created: time.Now().UTC().Format(time.RFC3339)})

	// Kế hoạch: one row per field, label in A, value in B, how to fill in C.
	sh := xlPlanSheet
	for i, h := range []string{"Thông tin", "Giá trị", "Cách điền"} {
		f.SetCellStr(sh, xlCell(i+1, 1), h)
	}
	f.SetCellStyle(sh, "A1", "C1", st.header)
	f.SetColWidth(sh, "A", "A", 24)
	f.SetColWidth(sh, "B", "B", 80)
	f.SetColWidth(sh, "C", "C", 60)
	f.SetColStyle(sh, "A", st.label)
	f.SetColStyle(sh, "B", st.text)
	f.SetColStyle(sh, "C", st.wrap)
	f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft", Selection: []excelize.Selection{{SQRef: "B2", ActiveCell: "B2", Pane: "bottomLeft"}}})
	for i, c := range xlPlanCols {
		row := i + 2
		label := c.header
		if c.required {
			label += " *"
		}
		f.SetCellStr(sh, xlCell(1, row), label)
		hint := c.help
		if c.example != "" {
			hint += " Ví dụ: " + c.example
		}
		f.SetCellStr(sh, xlCell(3, row), strings.TrimSpace(hint))
		cell := xlCell(2, row)
		if c.key == "status" {
			xlDropDown(f, sh, cell, PlanStatuses, "")
		}
		if d == nil {
			continue
		}
		switch c.key {
		case "number":
			f.SetCellStr(sh, cell, d.Number)
		case "key":
			f.SetCellStr(sh, cell, d.Key)
		case "title":
			f.SetCellStr(sh, cell, d.Title)
		case "issuer":
			f.SetCellStr(sh, cell, d.Issuer)
		case "issuerUnit":
			f.SetCellStr(sh, cell, d.IssuerUnit)
		case "date":
			xlSetDate(f, st, sh, cell, d.Date)
		case "signer":
			f.SetCellStr(sh, cell, d.Signer)
		case "legalBases":
			f.SetCellStr(sh, cell, strings.Join(d.LegalBases, "; "))
		case "spanFrom":
			f.SetCellInt(sh, cell, int64(d.SpanFrom))
		case "spanTo":
			f.SetCellInt(sh, cell, int64(d.SpanTo))
		case "status":
			f.SetCellStr(sh, cell, d.Status)
		case "parent":
			f.SetCellStr(sh, cell, d.Parent)
		case "note":
			f.SetCellStr(sh, cell, d.Note)
		}
	}

	// Chỉ tiêu: fixed columns, one column per milestone year, fixed columns.
	var years []int
	if d == nil {
		years = []int{2025, 2030}
	} else {
		for _, t := range d.Targets {
			for _, m := range t.Milestones {
				if !slices.Contains(years, m.Year) {
					years = append(years, m.Year)
				}
			}
		}
		slices.Sort(years)
		if len(years) == 0 {
			years = []int{d.SpanTo}
		}
	}
	tcols := slices.Clone(xlTargetColsBefore)
	for _, y := range years {
		tcols = append(tcols, xlCol{key: "year", header: strconv.Itoa(y), width: 9})
	}
	tcols = append(tcols, xlTargetColsAfter...)
	sh = xlTargetSheet
	if err := xlHeader(f, st, sh, tcols, true); err != nil {
		return nil, err
	}
	colOf := func(cols []xlCol, key string) int {
		return slices.IndexFunc(cols, func(c xlCol) bool { return c.key == key }) + 1
	}
	nTargets, nTasks := 0, 0
	if d != nil {
		nTargets, nTasks = len(d.Targets), len(d.Tasks)
		for i, t := range d.Targets {
			row := i + 2
			put := func(key, v string) {
				if v != "" {
					f.SetCellStr(sh, xlCell(colOf(tcols, key), row), v)
				}
			}
			put("code", t.Code)
			put("pillar", t.Pillar)
			put("group", t.Group)
			put("statement", t.Statement)
			put("statementLater", t.StatementLater)
			put("measure", t.Measure)
			put("direction", t.Direction)
			if b := t.Baseline; b != nil {
				if b.Year != 0 {
					f.SetCellInt(sh, xlCell(colOf(tcols, "baselineYear"), row), int64(b.Year))
				}
				if b.Value != nil && len(b.Levels) == 0 {
					f.SetCellFloat(sh, xlCell(colOf(tcols, "baselineValue"), row), *b.Value, -1, 64)
				} else {
					put("baselineValue", xlLevelsText(b.Value, b.Levels))
				}
			}
			for _, m := range t.Milestones {
				col := len(xlTargetColsBefore) + slices.Index(years, m.Year) + 1
				if m.Value != nil {
					f.SetCellFloat(sh, xlCell(col, row), *m.Value, -1, 64)
				} else {
					f.SetCellStr(sh, xlCell(col, row), "x")
				}
			}
			put("levels", xlLevelsText(nil, t.Levels))
			put("responsibleUnit", t.ResponsibleUnit)
			if t.Source != "" && t.Source != "manual" || t.IndicatorCode != "" {
				put("source", t.Source)
			} else {
				put("source", "manual")
			}
			put("indicatorCode", t.IndicatorCode)
		}
	}
	last := max(1000, nTargets+500)
	xlDropDown(f, sh, fmt.Sprintf("%[1]s2:%[1]s%[2]d", xlColName(colOf(tcols, "pillar")), last), pillarCodes, "Mã trụ cột DTI, xem trang «Hướng dẫn».")
	xlDropDown(f, sh, fmt.Sprintf("%[1]s2:%[1]s%[2]d", xlColName(colOf(tcols, "direction")), last), Directions, "at_least: đạt tối thiểu; at_most: không vượt quá; exactly: đúng bằng.")
	xlDropDown(f, sh, fmt.Sprintf("%[1]s2:%[1]s%[2]d", xlColName(colOf(tcols, "source")), last), []string{"manual", "indicator"}, "")
	for i := range years {
		col := xlColName(len(xlTargetColsBefore) + i + 1)
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(fmt.Sprintf("%[1]s2:%[1]s%[2]d", col, last))
		dv.SetInput("Mốc "+strconv.Itoa(years[i]), "Giá trị mốc của năm này; «x» khi chỉ có giá trị theo cấp (cột «Theo cấp»); để trống nếu không có mốc năm này.")
		f.AddDataValidation(sh, dv)
	}

	// Nhiệm vụ.
	if d != nil {
		dd := *d
		dd.Tasks = slices.Clone(d.Tasks)
		if err := s.xlGroups(ctx, &dd); err != nil {
			return nil, err
		}
		d = &dd
	}
	sh = xlTaskSheet
	if err := xlHeader(f, st, sh, xlTaskCols, true); err != nil {
		return nil, err
	}
	if d != nil {
		for i, t := range d.Tasks {
			row := i + 2
			put := func(key, v string) {
				if v != "" {
					f.SetCellStr(sh, xlCell(colOf(xlTaskCols, key), row), v)
				}
			}
			put("number", t.Number)
			put("group", t.Group)
			put("pillar", t.Pillar)
			put("description", t.Description)
			put("leadText", t.LeadText)
			put("leadUnits", strings.Join(t.LeadUnits, "; "))
			put("leadGroups", strings.Join(t.LeadGroups, "; "))
			put("coordinatingText", t.CoordinatingText)
			put("coordinatingUnits", strings.Join(t.CoordinatingUnits, "; "))
			put("coordinatingGroups", strings.Join(t.CoordinatingGroups, "; "))
			put("timeText", t.TimeText)
			if t.From != nil {
				f.SetCellInt(sh, xlCell(colOf(xlTaskCols, "from"), row), int64(*t.From))
			}
			if t.To != nil {
				f.SetCellInt(sh, xlCell(colOf(xlTaskCols, "to"), row), int64(*t.To))
			}
			put("output", t.Output)
			put("budgetSource", t.BudgetSource)
			if t.Budget != nil {
				c := xlCell(colOf(xlTaskCols, "budget"), row)
				f.SetCellFloat(sh, c, *t.Budget, -1, 64)
				f.SetCellStyle(sh, c, c, st.money)
			}
		}
	}
	last = max(1000, nTasks+500)
	xlDropDown(f, sh, fmt.Sprintf("%[1]s2:%[1]s%[2]d", xlColName(colOf(xlTaskCols, "pillar")), last), pillarCodes, "Mã trụ cột DTI, xem trang «Hướng dẫn».")
	bcol := xlColName(colOf(xlTaskCols, "budget"))
	f.SetColStyle(sh, bcol, st.money)

	if err := s.xlGuide(f, st, pillars); err != nil {
		return nil, err
	}
	if err := s.xlUnits(ctx, f, st, d); err != nil {
		return nil, err
	}
	active := 0
	if d == nil {
		active, _ = f.GetSheetIndex(xlGuideSheet)
	}
	f.SetActiveSheet(active)
	ok = true
	return f, nil
}

// xlGroups writes the units of a task that make up a whole group — every
// department, district or commune under the issuer on the plan's date — as
// that group, the way the plan says "các sở, ban, ngành". Importing the
// group gives the same units back.
func (s *Store) xlGroups(ctx context.Context, d *Doc) error {
	date := planDate(*d)
	if !org.ValidDate(date) {
		return nil
	}
	issuer, err := s.org.UnitByCode(ctx, d.IssuerUnit, date)
	if err != nil {
		return nil // the codes stay as they are
	}
	units, err := s.org.Units(ctx, org.UnitFilter{AsOf: date})
	if err != nil {
		return err
	}
	code := map[int64]string{}
	for _, u := range units {
		code[u.ID] = u.Code
	}
	names := []string{"departments", "districts", "communes"}
	members := map[string][]string{}
	for _, g := range names {
		ids, err := s.unitsUnder(ctx, issuer.ID, UnitGroups[g], date)
		if err != nil {
			return err
		}
		for _, id := range ids {
			members[g] = append(members[g], code[id])
		}
	}
	// compress replaces the members of whole groups in codes; a member may
	// instead be in also (the task's leads, which coordination leaves out).
	compress := func(codes, also []string) ([]string, []string) {
		in := map[string]bool{}
		for _, c := range codes {
			in[c] = true
		}
		var groups []string
		for _, g := range names {
			ms := members[g]
			if len(ms) < 2 {
				continue // one unit is clearer as its code
			}
			whole, some := true, false
			for _, m := range ms {
				some = some || in[m]
				whole = whole && (in[m] || slices.Contains(also, m))
			}
			if whole && some {
				groups = append(groups, g)
				for _, m := range ms {
					delete(in, m)
				}
			}
		}
		var rest []string
		for _, c := range codes {
			if in[c] {
				rest = append(rest, c)
			}
		}
		return rest, groups
	}
	for i := range d.Tasks {
		t := &d.Tasks[i]
		if len(t.LeadGroups) == 0 && len(t.CoordinatingGroups) == 0 {
			leads := t.LeadUnits
			t.LeadUnits, t.LeadGroups = compress(t.LeadUnits, nil)
			t.CoordinatingUnits, t.CoordinatingGroups = compress(t.CoordinatingUnits, leads)
		}
	}
	return nil
}

func xlPlanName(d Doc) string {
	if d.Number != "" {
		return d.Number
	}
	return d.Key
}

// xlGuide writes the «Hướng dẫn» sheet: the rules, every column, and the
// allowed values.
func (s *Store) xlGuide(f *excelize.File, st xlStyles, pillars []Pillar) error {
	sh := xlGuideSheet
	f.SetColWidth(sh, "A", "A", 16)
	f.SetColWidth(sh, "B", "B", 28)
	f.SetColWidth(sh, "C", "C", 70)
	f.SetColWidth(sh, "D", "D", 10)
	f.SetColWidth(sh, "E", "E", 36)
	row := 1
	line := func(style int, vals ...string) {
		for i, v := range vals {
			f.SetCellStr(sh, xlCell(i+1, row), v)
		}
		if style != 0 && len(vals) > 0 {
			f.SetCellStyle(sh, xlCell(1, row), xlCell(max(len(vals), 1), row), style)
		}
		row++
	}
	line(st.title, "HƯỚNG DẪN ĐIỀN BIỂU MẪU KẾ HOẠCH (Tỉnh số)")
	row++
	for _, p := range []string{
		"1. Mỗi tệp chứa một kế hoạch: trang «Kế hoạch» ghi thông tin chung (cột B), trang «Chỉ tiêu» mỗi dòng một chỉ tiêu, trang «Nhiệm vụ» mỗi dòng một nhiệm vụ. Không đổi tên trang tính và tên cột; cột lạ và trang tính khác được bỏ qua.",
		"2. Mốc của chỉ tiêu: mỗi năm một cột, tiêu đề cột là năm (ví dụ 2025, 2030). Có thể thêm hoặc xóa cột năm. Ô để trống: không có mốc năm đó; «x»: có mốc nhưng chỉ có giá trị theo cấp (cột «Theo cấp»).",
		"3. Mã đơn vị lấy ở trang «Mã đơn vị» (danh mục đơn vị tại ngày ban hành kế hoạch). Nhiều mã, nhiều nhóm cách nhau bằng dấu chấm phẩy (;).",
		"4. Ngày viết dd/mm/yyyy (ví dụ 22/06/2022) hoặc yyyy-mm-dd. Năm gồm 4 chữ số. Số thập phân dùng dấu phẩy hoặc dấu chấm (87,4 hoặc 87.4).",
		"5. Khi tải lên, hệ thống kiểm tra toàn bộ tệp trước. Có bất kỳ lỗi nào thì không dữ liệu nào được nhập, và mỗi lỗi chỉ rõ ô, ví dụ «Nhiệm vụ!F6 (Đơn vị chủ trì): không có đơn vị mã «GL.ABC»».",
		"6. Nhập lại cùng một tệp không tạo bản sao và không thay đổi gì. Kế hoạch được nhận diện theo «Mã kế hoạch» (hoặc «Số hiệu»), chỉ tiêu theo «Mã chỉ tiêu», nhiệm vụ theo «Số TT». Chỉ tiêu, nhiệm vụ có trong hệ thống mà không còn trong tệp sẽ bị xóa, trừ khi đã có số liệu thực hiện hoặc báo cáo tiến độ (khi đó được giữ lại và có cảnh báo).",
		"7. Các cột có dấu * là bắt buộc.",
	} {
		f.SetCellStr(sh, xlCell(1, row), p)
		f.MergeCell(sh, xlCell(1, row), xlCell(5, row))
		f.SetCellStyle(sh, xlCell(1, row), xlCell(5, row), st.wrap)
		f.SetRowHeight(sh, row, 32)
		row++
	}
	row++
	line(st.header, "Trang tính", "Cột", "Nội dung", "Bắt buộc", "Ví dụ")
	first := row
	list := func(sheet string, cols []xlCol) {
		for _, c := range cols {
			req := ""
			if c.required {
				req = "*"
			}
			line(0, sheet, c.header, c.help, req, c.example)
		}
	}
	list(xlPlanSheet, xlPlanCols)
	list(xlTargetSheet, xlTargetColsBefore)
	line(0, xlTargetSheet, "2025, 2030, … (mỗi năm một cột)", "Giá trị mốc của năm; «x» khi chỉ có giá trị theo cấp; để trống nếu không có mốc năm đó. Năm phải nằm trong khoảng «Từ năm» – «Đến năm» của kế hoạch.", "*", "20")
	list(xlTargetSheet, xlTargetColsAfter)
	list(xlTaskSheet, xlTaskCols)
	f.SetCellStyle(sh, xlCell(1, first), xlCell(5, row-1), st.wrap)
	row++
	table := func(title string, head []string, rows [][]string) {
		line(st.bold, title)
		line(st.header, head...)
		for _, r := range rows {
			line(0, r...)
		}
		row++
	}
	var pr [][]string
	for _, p := range pillars {
		pr = append(pr, []string{p.Code, p.NameVI, p.NameEN})
	}
	table("Trụ cột (chỉ số chính DTI, "+xlFramework(pillars)+") — cột «Trụ cột»", []string{"Mã", "Tên", "Tiếng Anh"}, pr)
	codes := func(list []string, names map[string]string) [][]string {
		var out [][]string
		for _, c := range list {
			out = append(out, []string{c, names[c]})
		}
		return out
	}
	table("Trạng thái kế hoạch — «Kế hoạch», dòng «Trạng thái»", []string{"Mã", "Ý nghĩa"}, codes(PlanStatuses, xlPlanStatusVI))
	table("Chiều đánh giá — «Chỉ tiêu», cột «Chiều đánh giá»", []string{"Mã", "Ý nghĩa"}, codes(Directions, xlDirectionVI))
	table("Cấp — «Chỉ tiêu», cột «Theo cấp» và «Giá trị cơ sở» (viết province=55; district=40 hoặc tỉnh=55; huyện=40)", []string{"Mã", "Ý nghĩa"}, codes(Levels, xlLevelVI))
	table("Nhóm đơn vị — «Nhiệm vụ», cột «Nhóm đơn vị chủ trì», «Nhóm đơn vị phối hợp» (hoặc viết sở ngành, cấp huyện, cấp xã)", []string{"Mã", "Ý nghĩa"},
		codes([]string{"departments", "districts", "communes"}, xlGroupVI))
	table("Nguồn số liệu — «Chỉ tiêu», cột «Nguồn số liệu»", []string{"Mã", "Ý nghĩa"}, codes([]string{"manual", "indicator"}, xlSourceVI))
	return nil
}

func xlFramework(ps []Pillar) string {
	if len(ps) > 0 {
		return ps[0].Framework
	}
	return ""
}

// xlUnits lists unit codes: under the issuer on the plan's date for an
// exported plan, every unit existing today for the empty template.
func (s *Store) xlUnits(ctx context.Context, f *excelize.File, st xlStyles, d *Doc) error {
	sh := xlUnitSheet
	cols := []xlCol{{header: "Mã đơn vị", width: 22, text: true}, {header: "Tên đơn vị", width: 50}, {header: "Cấp", width: 16}, {header: "Trực thuộc", width: 18, text: true},
		{header: "Hoạt động từ", width: 13}, {header: "Đến", width: 13}}
	if err := xlHeader(f, st, sh, cols, true); err != nil {
		return err
	}
	asOf := org.Today()
	if d != nil {
		asOf = planDate(*d)
		if !org.ValidDate(asOf) {
			asOf = org.Today()
		}
	}
	units, err := s.org.Units(ctx, org.UnitFilter{AsOf: asOf})
	if err != nil {
		return err
	}
	code := map[int64]string{}
	for _, u := range units {
		code[u.ID] = u.Code
	}
	if d != nil {
		// The issuer's subtree, and every unit the plan names.
		var root int64
		for _, u := range units {
			if u.Code == d.IssuerUnit {
				root = u.ID
			}
		}
		named := map[string]bool{d.IssuerUnit: true}
		for _, t := range d.Tasks {
			for _, c := range append(slices.Clone(t.LeadUnits), t.CoordinatingUnits...) {
				named[c] = true
			}
		}
		for _, t := range d.Targets {
			named[t.ResponsibleUnit] = true
		}
		parent := map[int64]int64{}
		for _, u := range units {
			if u.ParentID != nil {
				parent[u.ID] = *u.ParentID
			}
		}
		units = slices.DeleteFunc(units, func(u org.Unit) bool {
			if named[u.Code] {
				return false
			}
			for id, ok := u.ID, true; ok; id, ok = parent[id] {
				if id == root {
					return false
				}
			}
			return true
		})
	}
	for i, u := range units {
		row := i + 2
		f.SetCellStr(sh, xlCell(1, row), u.Code)
		f.SetCellStr(sh, xlCell(2, row), u.Name)
		f.SetCellStr(sh, xlCell(3, row), locale.T(locale.VI, "kind."+u.Kind))
		if u.ParentID != nil {
			f.SetCellStr(sh, xlCell(4, row), code[*u.ParentID])
		}
		xlSetDate(f, st, sh, xlCell(5, row), u.ValidFrom)
		xlSetDate(f, st, sh, xlCell(6, row), u.ValidTo)
	}
	return nil
}

// xlBytes writes a workbook and closes it.
func xlBytes(f *excelize.File) ([]byte, error) {
	defer f.Close()
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ---------------------------------------------------------------------------
// Reading

// xlIssue is one problem of an uploaded workbook, at a cell ("Nhiệm vụ!F6"),
// a sheet ("Chỉ tiêu"), or the file ("file").
type xlIssue struct {
	ref, label string
	code       string
	args       []any
}

// xlRow is where one target or task sits.
type xlRow struct {
	row        int
	milestones []int // column of each milestone, in Doc order
}

// xlMap locates the Doc's members in the workbook.
type xlMap struct {
	plan     map[string]string // key → "Kế hoạch!B2"
	tcols    map[string]int    // target key → column (1-based)
	kcols    map[string]int    // task key → column
	years    []int             // columns of the milestone years
	yearOf   map[int]int       // column → year
	targets  []xlRow
	tasks    []xlRow
	tHeaders map[int]string // column → header as written
	kHeaders map[int]string
}

// xlParsed is a workbook read into a Doc.
type xlParsed struct {
	doc    Doc
	m      xlMap
	issues []xlIssue
	fatal  bool              // nothing beyond issues can be checked
	names  map[string]string // the template's sheet name → the file's ("KẾ HOẠCH")
}

// actual writes a reference with the sheet named as in the file.
func (p *xlParsed) actual(ref string) string {
	sheet, cell, found := strings.Cut(ref, "!")
	if name, ok := p.names[sheet]; ok {
		sheet = name
	}
	if found {
		return sheet + "!" + cell
	}
	return sheet
}

func (p *xlParsed) add(ref, label, code string, args ...any) {
	p.issues = append(p.issues, xlIssue{ref: ref, label: label, code: code, args: args})
}

// xlSniff names what an upload is when it is not an xlsx workbook.
func xlSniff(data []byte) string {
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return "required"
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return "xlsx_xls" // Excel 97–2003, or an encrypted workbook
	case !bytes.HasPrefix(data, []byte("PK")):
		return "not_xlsx"
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "xlsx_corrupt"
	}
	var hasXL, hasWord bool
	for _, zf := range zr.File {
		switch {
		case strings.HasPrefix(zf.Name, "xl/"):
			hasXL = true
		case strings.HasPrefix(zf.Name, "word/"):
			hasWord = true
		case zf.Name == "mimetype":
			if rc, err := zf.Open(); err == nil {
				b := make([]byte, 64)
				n, _ := rc.Read(b)
				rc.Close()
				if strings.Contains(string(b[:n]), "opendocument.spreadsheet") {
					return "xlsx_ods"
				}
			}
		}
	}
	switch {
	case hasXL:
		return ""
	case hasWord:
		return "xlsx_word"
	}
	return "not_xlsx"
}

// xlParse reads an uploaded workbook. It never panics: a file excelize
// cannot read is one issue.
func (s *Store) xlParse(ctx context.Context, data []byte) (p *xlParsed) {
	p = &xlParsed{}
	if code := xlSniff(data); code != "" {
		p.add("file", "", code)
		p.fatal = true
		return p
	}
	defer func() {
		if v := recover(); v != nil {
			p = &xlParsed{fatal: true}
			p.add("file", "", "xlsx_corrupt")
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true, UnzipSizeLimit: 256 << 20, UnzipXMLSizeLimit: 32 << 20})
	if err != nil {
		p.add("file", "", "xlsx_corrupt")
		p.fatal = true
		return p
	}
	defer f.Close()
	sheets := map[string]string{}
	for _, name := range f.GetSheetList() {
		sheets[xlFold(name)] = name
	}
	rows := map[string][][]string{}
	for _, want := range []string{xlPlanSheet, xlTargetSheet, xlTaskSheet} {
		name, ok := sheets[xlFold(want)]
		if !ok {
			p.add(want, "", "missing_sheet", want)
			p.fatal = true
			continue
		}
		rs, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			p.add(want, "", "xlsx_corrupt")
			p.fatal = true
			continue
		}
		if len(rs) > xlsxMaxRows {
			p.add(want, "", "too_many_rows", xlsxMaxRows)
			p.fatal = true
			continue
		}
		rows[want] = rs
		if p.names == nil {
			p.names = map[string]string{}
		}
		p.names[want] = name
	}
	if p.fatal {
		return p
	}
	pillars, err := s.Pillars(ctx)
	if err != nil {
		p.add("file", "", "xlsx_corrupt")
		p.fatal = true
		return p
	}
	pillarAlias := map[string]string{}
	var pillarCodes []string
	for _, pl := range pillars {
		pillarCodes = append(pillarCodes, pl.Code)
		pillarAlias[xlFold(pl.NameVI)] = pl.Code
		pillarAlias[xlFold(pl.NameEN)] = pl.Code
	}
	pillar := func(v string) string { return xlAlias(v, pillarCodes, pillarAlias) }
	p.parsePlan(rows[xlPlanSheet])
	p.parseTargets(rows[xlTargetSheet], pillar)
	p.parseTasks(rows[xlTaskSheet], pillar)
	return p
}

func xlAt(row []string, col int) string {
	if col < 1 || col > len(row) {
		return ""
	}
	return strings.TrimSpace(row[col-1])
}

// xlMatch finds which column of cols a header names (by header, alias or
// JSON name), "" when none.
func xlMatch(cols []xlCol, header string) string {
	h := xlFold(header)
	if h == "" {
		return ""
	}
	for _, c := range cols {
		if h == xlFold(c.header) || strings.EqualFold(strings.TrimSpace(header), c.key) {
			return c.key
		}
		for _, a := range c.aliases {
			if h == xlFold(a) {
				return c.key
			}
		}
	}
	return ""
}

func xlHeaderOf(cols []xlCol, key string) string {
	for _, c := range cols {
		if c.key == key {
			return c.header
		}
	}
	return key
}

func (p *xlParsed) parsePlan(rows [][]string) {
	p.m.plan = map[string]string{}
	d := &p.doc
	vals := map[string]string{}
	set := func(key, ref, v string) {
		if _, dup := p.m.plan[key]; dup {
			p.add(ref, xlHeaderOf(xlPlanCols, key), "duplicate_column", xlHeaderOf(xlPlanCols, key))
			return
		}
		p.m.plan[key] = ref
		vals[key] = v
	}
	// A header row with a row of values under it, or labels with the value
	// to their right.
	horizontal := 0
	for r := 0; r < len(rows) && r < 5; r++ {
		n := 0
		for _, c := range rows[r] {
			if xlMatch(xlPlanCols, c) != "" {
				n++
			}
		}
		if n >= 3 {
			horizontal = r + 1
			break
		}
	}
	if horizontal > 0 {
		head := rows[horizontal-1]
		var vrow []string
		vr := horizontal + 1
		for ; vr <= len(rows); vr++ {
			if strings.TrimSpace(strings.Join(rows[vr-1], "")) != "" {
				vrow = rows[vr-1]
				break
			}
		}
		for c, h := range head {
			if key := xlMatch(xlPlanCols, h); key != "" {
				set(key, xlPlanSheet+"!"+xlCell(c+1, vr), xlAt(vrow, c+1))
			}
		}
	} else {
		for r, row := range rows {
			for c := 0; c < len(row); c++ {
				if key := xlMatch(xlPlanCols, row[c]); key != "" {
					set(key, xlPlanSheet+"!"+xlCell(c+2, r+1), xlAt(row, c+2))
					c++
				}
			}
		}
	}
	ref := func(key string) string {
		if r, ok := p.m.plan[key]; ok {
			return r
		}
		return xlPlanSheet
	}
	label := func(key string) string { return xlHeaderOf(xlPlanCols, key) }
	d.Number, d.Key, d.Title, d.Issuer, d.IssuerUnit = vals["number"], vals["key"], vals["title"], vals["issuer"], vals["issuerUnit"]
	d.Signer, d.Parent, d.Note = vals["signer"], vals["parent"], vals["note"]
	d.Status = xlAlias(vals["status"], PlanStatuses, xlStatusAlias)
	if v := vals["date"]; v != "" {
		if iso, ok := xlDate(v); ok {
			d.Date = iso
		} else {
			p.add(ref("date"), label("date"), "xlsx_date", v)
		}
	}
	d.LegalBases = xlSplit(vals["legalBases"], ";\n")
	if d.LegalBases == nil {
		d.LegalBases = []string{}
	}
	for _, k := range []string{"spanFrom", "spanTo"} {
		v := vals[k]
		if v == "" {
			continue // validation says it is required
		}
		y, ok := xlYear(v)
		if !ok {
			p.add(ref(k), label(k), "xlsx_year", v)
			continue
		}
		if k == "spanFrom" {
			d.SpanFrom = y
		} else {
			d.SpanTo = y
		}
	}
}

// xlColumns reads a header row: the column of each known key, the
// milestone years (any header that is a year), and problems with headers.
func (p *xlParsed) xlColumns(sheet string, rows [][]string, cols []xlCol, withYears bool) (head int, at map[int]string, keyCol map[string]int, years []int, yearOf map[int]int) {
	keyCol, yearOf, at = map[string]int{}, map[int]int{}, map[int]string{}
	// The header row is the one of the first five naming most columns.
	best := 0
	for r := 0; r < len(rows) && r < 5; r++ {
		n := 0
		for _, c := range rows[r] {
			if xlMatch(cols, c) != "" {
				n++
			}
		}
		if n > best {
			best, head = n, r+1
		}
	}
	if head == 0 {
		head = 1
	}
	var header []string
	if head <= len(rows) {
		header = rows[head-1]
	}
	for i, h := range header {
		col := i + 1
		at[col] = strings.TrimSpace(h)
		if key := xlMatch(cols, h); key != "" {
			if _, dup := keyCol[key]; dup {
				p.add(sheet+"!"+xlCell(col, head), strings.TrimSpace(h), "duplicate_column", strings.TrimSpace(h))
				continue
			}
			keyCol[key] = col
			continue
		}
		if withYears {
			if y, ok := xlHeaderYear(h); ok {
				if slices.Contains(years, y) {
					p.add(sheet+"!"+xlCell(col, head), strings.TrimSpace(h), "duplicate_column", strings.TrimSpace(h))
					continue
				}
				years = append(years, y)
				yearOf[col] = y
			}
		}
	}
	for _, c := range cols {
		if _, ok := keyCol[c.key]; !ok && c.required {
			p.add(sheet, "", "missing_column", c.header)
			p.fatal = true // every row would fail on it: the structure comes first
		}
	}
	return head, at, keyCol, years, yearOf
}

var xlYearHeader = regexp.MustCompile(`^(?:nam\s*)?(\d{4})(?:\.0+)?$`)

func xlHeaderYear(h string) (int, bool) {
	m := xlYearHeader.FindStringSubmatch(xlFold(h))
	if m == nil {
		return 0, false
	}
	y, _ := strconv.Atoi(m[1])
	return y, y >= 1900 && y <= 2200
}

func xlYear(v string) (int, bool) {
	f, ok := xlNumber(v)
	if !ok || f != math.Trunc(f) || f < 1000 || f > 9999 {
		return 0, false
	}
	return int(f), true
}

// xlNumber reads a number as Excel stores it (87.4) or as typed by hand
// in Vietnamese (87,4; 1.000.000; 55%).
func xlNumber(v string) (float64, bool) {
	v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "%"))
	v = strings.NewReplacer(" ", "", "\u00a0", "").Replace(v)
	if v == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && finite(f) {
		return f, true
	}
	dots, commas := strings.Count(v, "."), strings.Count(v, ",")
	switch {
	case dots > 0 && commas == 1 && strings.LastIndex(v, ",") > strings.LastIndex(v, "."): // 1.234,5
		v = strings.ReplaceAll(v, ".", "")
		v = strings.Replace(v, ",", ".", 1)
	case dots > 1 && commas == 0: // 1.000.000
		v = strings.ReplaceAll(v, ".", "")
	case commas == 1 && dots == 0: // 87,4
		v = strings.Replace(v, ",", ".", 1)
	case commas > 1 && dots == 0: // 1,000,000
		v = strings.ReplaceAll(v, ",", "")
	case commas >= 1 && dots == 1 && strings.LastIndex(v, ".") > strings.LastIndex(v, ","): // 1,234.5
		v = strings.ReplaceAll(v, ",", "")
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	return f, err == nil && finite(f)
}

var xlDMY = regexp.MustCompile(`^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$`)

// xlDate reads a date: an Excel date (a serial number), dd/mm/yyyy, or
// yyyy-mm-dd.
func xlDate(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if len(v) >= 10 && org.ValidDate(v[:10]) && (len(v) == 10 || v[10] == 'T' || v[10] == ' ') {
		return v[:10], true
	}
	if m := xlDMY.FindStringSubmatch(v); m != nil {
		iso := fmt.Sprintf("%s-%02s-%02s", m[3], m[2], m[1])
		return iso, org.ValidDate(iso)
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 1 && f < 2958466 {
		t, err := excelize.ExcelDateToTime(f, false)
		if err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	return "", false
}

func xlSplit(v, seps string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// xlLevels reads "province=55; district=40" (or "tỉnh: 55%; huyện: 40%"),
// with an optional bare number for the whole.
func xlLevels(v string) (whole *float64, levels []DocLevel, ok bool) {
	for _, part := range xlSplit(v, ";\n") {
		name, val, found := strings.Cut(part, "=")
		if !found {
			name, val, found = strings.Cut(part, ":")
		}
		if !found {
			f, isNum := xlNumber(part)
			if !isNum || whole != nil {
				return nil, nil, false
			}
			whole = &f
			continue
		}
		f, isNum := xlNumber(val)
		if !isNum {
			return nil, nil, false
		}
		levels = append(levels, DocLevel{Level: xlAlias(strings.TrimSpace(name), Levels, xlLevelAlias), Value: f})
	}
	return whole, levels, true
}

func (p *xlParsed) parseTargets(rows [][]string, pillar func(string) string) {
	sheet := xlTargetSheet
	cols := append(slices.Clone(xlTargetColsBefore), xlTargetColsAfter...)
	head, at, kc, years, yearOf := p.xlColumns(sheet, rows, cols, true)
	p.m.tcols, p.m.yearOf, p.m.tHeaders = kc, yearOf, at
	var yearCols []int
	for col := range yearOf {
		yearCols = append(yearCols, col)
	}
	sort.Ints(yearCols)
	p.m.years = yearCols
	_ = years
	p.doc.Targets = []DocTarget{}
	for r := head; r < len(rows); r++ {
		row, rowNo := rows[r], r+1
		get := func(key string) string { return xlAt(row, kc[key]) }
		blank := true
		for _, c := range kc {
			if xlAt(row, c) != "" {
				blank = false
			}
		}
		for _, c := range yearCols {
			if xlAt(row, c) != "" {
				blank = false
			}
		}
		if blank {
			continue
		}
		cell := func(key string) string { return sheet + "!" + xlCell(kc[key], rowNo) }
		t := DocTarget{Code: get("code"), Pillar: pillar(get("pillar")), Group: get("group"), Statement: get("statement"), StatementLater: get("statementLater"),
			Measure: get("measure"), Direction: xlAlias(get("direction"), Directions, xlDirectionAlias), ResponsibleUnit: get("responsibleUnit"),
			Source: xlAlias(get("source"), []string{"manual", "indicator"}, xlSourceAlias), IndicatorCode: get("indicatorCode"), Milestones: []DocValue{}}
		loc := xlRow{row: rowNo}
		by, bv := get("baselineYear"), get("baselineValue")
		if by != "" || bv != "" {
			t.Baseline = &DocBaseline{}
			if by != "" {
				if y, ok := xlYear(by); ok {
					t.Baseline.Year = y
				} else {
					p.add(cell("baselineYear"), "Năm cơ sở", "xlsx_year", by)
					t.Baseline.Year = -1 // reported; keeps validation quiet about it
				}
			}
			if bv != "" {
				whole, levels, ok := xlLevels(bv)
				if !ok {
					p.add(cell("baselineValue"), "Giá trị cơ sở", "xlsx_levels", bv)
					zero := 0.0
					whole = &zero
				}
				t.Baseline.Value, t.Baseline.Levels = whole, levels
			}
		}
		for _, c := range yearCols {
			v := xlAt(row, c)
			if v == "" {
				continue
			}
			m := DocValue{Year: yearOf[c]}
			if xlFold(v) == "x" || v == "✓" || xlFold(v) == "co" {
				// by level only
			} else if f, ok := xlNumber(v); ok {
				m.Value = &f
			} else {
				p.add(sheet+"!"+xlCell(c, rowNo), at[c], "xlsx_milestone", v)
				zero := 0.0
				m.Value = &zero
			}
			t.Milestones = append(t.Milestones, m)
			loc.milestones = append(loc.milestones, c)
		}
		if lv := get("levels"); lv != "" {
			whole, levels, ok := xlLevels(lv)
			if !ok || whole != nil {
				p.add(cell("levels"), "Theo cấp", "xlsx_levels", lv)
			} else {
				t.Levels = levels
			}
		}
		p.doc.Targets = append(p.doc.Targets, t)
		p.m.targets = append(p.m.targets, loc)
	}
}

func (p *xlParsed) parseTasks(rows [][]string, pillar func(string) string) {
	sheet := xlTaskSheet
	head, at, kc, _, _ := p.xlColumns(sheet, rows, xlTaskCols, false)
	p.m.kcols, p.m.kHeaders = kc, at
	p.doc.Tasks = []DocTask{}
	groups := func(v string) []string {
		var out []string
		for _, g := range xlSplit(v, ";\n") {
			out = append(out, xlAlias(g, []string{"departments", "districts", "communes"}, xlGroupAlias))
		}
		return out
	}
	for r := head; r < len(rows); r++ {
		row, rowNo := rows[r], r+1
		get := func(key string) string { return xlAt(row, kc[key]) }
		blank := true
		for _, c := range kc {
			if xlAt(row, c) != "" {
				blank = false
			}
		}
		if blank {
			continue
		}
		cell := func(key string) string { return sheet + "!" + xlCell(kc[key], rowNo) }
		t := DocTask{Number: get("number"), Group: get("group"), Pillar: pillar(get("pillar")), Description: get("description"),
			LeadText: get("leadText"), LeadUnits: xlSplit(get("leadUnits"), ";,\n\t "), LeadGroups: groups(get("leadGroups")),
			CoordinatingText: get("coordinatingText"), CoordinatingUnits: xlSplit(get("coordinatingUnits"), ";,\n\t "), CoordinatingGroups: groups(get("coordinatingGroups")),
			TimeText: get("timeText"), Output: get("output"), BudgetSource: get("budgetSource")}
		if n := get("number"); n != "" {
			// A number Excel stored as 1.1000000000000001 reads back as typed.
			if f, err := strconv.ParseFloat(n, 64); err == nil && strings.ContainsAny(n, ".eE") && len(n) > 8 {
				t.Number = strconv.FormatFloat(f, 'f', -1, 64)
			}
		}
		for _, k := range []string{"from", "to"} {
			v := get(k)
			if v == "" {
				continue
			}
			y, ok := xlYear(v)
			if !ok {
				p.add(cell(k), xlHeaderOf(xlTaskCols, k), "xlsx_year", v)
				continue
			}
			if k == "from" {
				t.From = &y
			} else {
				t.To = &y
			}
		}
		if v := get("budget"); v != "" {
			if f, ok := xlNumber(v); ok {
				t.Budget = &f
			} else {
				p.add(cell("budget"), xlHeaderOf(xlTaskCols, "budget"), "xlsx_number", v)
			}
		}
		p.doc.Tasks = append(p.doc.Tasks, t)
		p.m.tasks = append(p.m.tasks, xlRow{row: rowNo})
	}
}

// ---------------------------------------------------------------------------
// Locating validation errors

var (
	xlItemPath = regexp.MustCompile(`^(targets|tasks)\[(\d+)\](?:\.(.*))?$`)
	xlMilePath = regexp.MustCompile(`^milestones\[(\d+)\]\.(year|value)$`)
	xlIndex    = regexp.MustCompile(`\[\d+\]`)
)

// locate turns a Doc path (tasks[3].leadUnits[0]) into the cell that holds
// it (Nhiệm vụ!F5) and the header of its column.
func (m *xlMap) locate(path string) (string, string) {
	mm := xlItemPath.FindStringSubmatch(path)
	if mm == nil {
		if r, ok := m.plan[path]; ok {
			return r, xlHeaderOf(xlPlanCols, path)
		}
		if path == "number" { // the key falls back to the number
			if r, ok := m.plan["key"]; ok {
				return r, xlHeaderOf(xlPlanCols, "key")
			}
		}
		return xlPlanSheet, xlHeaderOf(xlPlanCols, path)
	}
	i, _ := strconv.Atoi(mm[2])
	rest := mm[3]
	if mm[1] == "tasks" {
		if i >= len(m.tasks) {
			return xlTaskSheet, ""
		}
		row := m.tasks[i].row
		key := strings.SplitN(xlIndex.ReplaceAllString(rest, ""), ".", 2)[0]
		if key == "" {
			key = "number"
		}
		col := m.kcols[key]
		if col == 0 {
			return xlTaskSheet + "!" + xlCell(1, row), xlHeaderOf(xlTaskCols, key)
		}
		return xlTaskSheet + "!" + xlCell(col, row), m.kHeaders[col]
	}
	if i >= len(m.targets) {
		return xlTargetSheet, ""
	}
	t := m.targets[i]
	cols := append(slices.Clone(xlTargetColsBefore), xlTargetColsAfter...)
	at := func(key string) (string, string) {
		col := m.tcols[key]
		if col == 0 {
			return xlTargetSheet + "!" + xlCell(1, t.row), xlHeaderOf(cols, key)
		}
		return xlTargetSheet + "!" + xlCell(col, t.row), m.tHeaders[col]
	}
	if ms := xlMilePath.FindStringSubmatch(rest); ms != nil {
		j, _ := strconv.Atoi(ms[1])
		if j < len(t.milestones) {
			return xlTargetSheet + "!" + xlCell(t.milestones[j], t.row), m.tHeaders[t.milestones[j]]
		}
	}
	switch key := xlIndex.ReplaceAllString(rest, ""); key {
	case "", "code":
		return at("code")
	case "milestones":
		if len(m.years) > 0 {
			return xlTargetSheet + "!" + xlCell(m.years[0], t.row), "Mốc theo năm"
		}
		return at("levels")
	case "levels.level":
		return at("levels")
	case "baseline.year":
		return at("baselineYear")
	case "baseline.value", "baseline.levels.level":
		return at("baselineValue")
	default:
		return at(strings.SplitN(key, ".", 2)[0])
	}
}

// xlsxError is a validation failure of a workbook: the fields are cells,
// and labels holds the header of each cell's column.
type xlsxError struct {
	err    *errs.Error
	labels []string
}

func (e *xlsxError) Error() string { return e.err.Error() }
func (e *xlsxError) Unwrap() error { return e.err }

// FieldLabels names each cell's column in problem+json messages.
func (e *xlsxError) FieldLabels() []string { return e.labels }

// xlErrorOf turns parse issues and a validation error into one error whose
// fields are cells, ordered by sheet, row and column. Validation errors on
// a cell that could not be read are left out (the read error says more).
func (p *xlParsed) xlErrorOf(verr error) error {
	issues := slices.Clone(p.issues)
	bad := map[string]bool{}
	for _, is := range issues {
		bad[is.ref] = true
	}
	spanBad := bad[p.m.plan["spanFrom"]] || bad[p.m.plan["spanTo"]]
	if e, ok := errs.As(verr); ok && verr != nil {
		if len(e.Fields) == 0 {
			return verr
		}
		for _, f := range e.Fields {
			// With no valid span, every milestone would be "outside" it.
			spanBad = spanBad || f.Name == "spanFrom" || f.Name == "spanTo"
		}
		for _, f := range e.Fields {
			ref, label := p.m.locate(f.Name)
			if bad[ref] && ref != xlPlanSheet || spanBad && f.Code == "outside_span" {
				continue
			}
			args := slices.Clone(f.Args)
			for i, a := range args {
				if s, ok := a.(string); ok && xlItemPath.MatchString(s) {
					ref, _ := p.m.locate(s)
					args[i] = p.actual(ref)
				}
			}
			issues = append(issues, xlIssue{ref: ref, label: label, code: f.Code, args: args})
		}
	} else if verr != nil {
		return verr
	}
	if len(issues) == 0 {
		return nil
	}
	order := map[string]int{"file": 0, xlPlanSheet: 1, xlTargetSheet: 2, xlTaskSheet: 3}
	pos := func(ref string) (int, int, int) {
		sheet, cell, _ := strings.Cut(ref, "!")
		c, r, _ := excelize.CellNameToCoordinates(cell)
		return order[sheet], r, c
	}
	sort.SliceStable(issues, func(i, j int) bool {
		si, ri, ci := pos(issues[i].ref)
		sj, rj, cj := pos(issues[j].ref)
		if si != sj {
			return si < sj
		}
		if ri != rj {
			return ri < rj
		}
		return ci < cj
	})
	out := &xlsxError{err: errs.Invalid()}
	for _, is := range issues {
		out.err.Fields = append(out.err.Fields, errs.Field{Name: p.actual(is.ref), Code: is.code, Args: is.args})
		out.labels = append(out.labels, is.label)
	}
	return out
}

// ---------------------------------------------------------------------------
// The review workbook

// xlReview writes the Steering Committee's monthly review: a summary, the
// overdue tasks by lead unit, those due in 30 days, those completed in the
// month, the targets at risk or off track, and the league table.
func (s *Store) xlReview(ctx context.Context, rv Review) (*excelize.File, error) {
	plans, err := s.Plans(ctx, "")
	if err != nil {
		return nil, err
	}
	planNo := map[int64]string{}
	for _, p := range plans {
		planNo[p.ID] = p.Number
		if p.Number == "" {
			planNo[p.ID] = p.Title
		}
	}
	pillars, err := s.Pillars(ctx)
	if err != nil {
		return nil, err
	}
	pillarName := map[string]string{}
	for _, p := range pillars {
		pillarName[p.Code] = p.NameVI
	}
	f := excelize.NewFile()
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	st, err := xlNewStyles(f)
	if err != nil {
		return nil, err
	}
	month := rv.Month
	if t, err := time.Parse("2006-01", rv.Month); err == nil {
		month = t.Format("01/2006")
	}
	f.SetDocProps(&excelize.DocProperties{Title: "Báo cáo tiến độ chuyển đổi số tháng " + month, Creator: "Tỉnh số", Language: "vi-VN", Created: time.Now().UTC().Format(time.RFC3339)})
	dateVal := func(iso string) any {
		if t, err := time.Parse(time.DateOnly, iso); err == nil {
			return t
		}
		return iso
	}

	// Tổng hợp.
	sh := "Tổng hợp"
	f.SetSheetName("Sheet1", sh)
	f.SetColWidth(sh, "A", "A", 48)
	f.SetColWidth(sh, "B", "B", 16)
	f.SetCellStr(sh, "A1", "BÁO CÁO TIẾN ĐỘ THỰC HIỆN CÁC KẾ HOẠCH CHUYỂN ĐỔI SỐ — THÁNG "+month)
	f.SetCellStyle(sh, "A1", "A1", st.title)
	f.SetCellStr(sh, "A2", "Số liệu tính đến ngày "+locale.ISODate(locale.VI, rv.AsOf)+" (phục vụ giao ban Ban Chỉ đạo chuyển đổi số)")
	count := func(groups []UnitTasks) (n int) {
		for _, g := range groups {
			n += len(g.Tasks)
		}
		return n
	}
	summary := [][]any{
		{"Chỉ tiêu", "Số lượng"},
		{"Tổng số nhiệm vụ", rv.Totals["tasks"]},
		{"Nhiệm vụ quá hạn", rv.Totals["overdue"]},
		{"Phần việc quá hạn của đơn vị chủ trì (trang «Quá hạn»)", count(rv.Overdue)},
		{"Đơn vị có nhiệm vụ quá hạn", len(rv.Overdue)},
		{"Phần việc đến hạn trong 30 ngày tới (trang «Sắp đến hạn»)", count(rv.DueSoon)},
		{"Phần việc hoàn thành trong tháng (trang «Hoàn thành»)", count(rv.Completed)},
		{"Tổng số chỉ tiêu", rv.Totals["targets"]},
	}
	for _, s := range TargetStatuses {
		summary = append(summary, []any{"Chỉ tiêu " + strings.ToLower(xlTargetStatusVI[s]), rv.Totals["targets_"+s]})
	}
	for i, r := range summary {
		f.SetSheetRow(sh, xlCell(1, i+4), &r)
	}
	f.SetCellStyle(sh, "A4", "B4", st.header)

	type col struct {
		header string
		width  float64
		style  int
	}
	table := func(name string, cols []col, rows [][]any) error {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
		xc := make([]xlCol, len(cols))
		for i, c := range cols {
			xc[i] = xlCol{header: c.header, width: c.width}
		}
		if err := xlHeader(f, st, name, xc, true); err != nil {
			return err
		}
		for i, r := range rows {
			row := i + 2
			if err := f.SetSheetRow(name, xlCell(1, row), &r); err != nil {
				return err
			}
		}
		for i, c := range cols {
			if c.style != 0 && len(rows) > 0 {
				f.SetCellStyle(name, xlCell(i+1, 2), xlCell(i+1, len(rows)+1), c.style)
			}
		}
		if len(rows) == 0 {
			f.SetCellStr(name, "A2", "Không có.")
		}
		return nil
	}
	unitCols := []col{{"STT", 6, 0}, {"Đơn vị chủ trì", 32, st.wrap}, {"Mã đơn vị", 14, 0}, {"Kế hoạch", 16, 0}, {"Số TT nhiệm vụ", 10, st.text}, {"Nội dung nhiệm vụ", 60, st.wrap}, {"Hạn hoàn thành", 13, st.date}}
	taskRows := func(groups []UnitTasks, extra func(ReviewTask) []any) [][]any {
		var out [][]any
		for _, g := range groups {
			for _, t := range g.Tasks {
				r := []any{len(out) + 1, g.Unit.Name, g.Unit.Code, t.PlanNumber, t.Number, t.Description, dateVal(t.DueOn)}
				out = append(out, append(r, extra(t)...))
			}
		}
		return out
	}
	status := func(t ReviewTask) string { return xlTaskStatusVI[t.Status] }
	if err := table("Quá hạn", append(slices.Clone(unitCols), col{"Số ngày quá hạn", 10, 0}, col{"Trạng thái", 14, 0}, col{"Tiến độ (%)", 9, 0}),
		taskRows(rv.Overdue, func(t ReviewTask) []any { return []any{t.DaysLate, status(t), t.Progress} })); err != nil {
		return nil, err
	}
	asOf := mustDate(rv.AsOf)
	if err := table("Sắp đến hạn", append(slices.Clone(unitCols), col{"Còn lại (ngày)", 10, 0}, col{"Trạng thái", 14, 0}, col{"Tiến độ (%)", 9, 0}),
		taskRows(rv.DueSoon, func(t ReviewTask) []any {
			return []any{int(mustDate(t.DueOn).Sub(asOf).Hours() / 24), status(t), t.Progress}
		})); err != nil {
		return nil, err
	}
	if err := table("Hoàn thành", append(slices.Clone(unitCols), col{"Ngày hoàn thành", 13, st.date}),
		taskRows(rv.Completed, func(t ReviewTask) []any { return []any{dateVal(t.CompletedOn)} })); err != nil {
		return nil, err
	}
	var trows [][]any
	for _, t := range rv.Targets {
		var ms []string
		for _, m := range t.Milestones {
			v := xlJoinFloat(m.Value)
			if m.Level != "" {
				v = xlLevelVI[m.Level] + " " + v
			}
			ms = append(ms, fmt.Sprintf("%d: %s", m.Year, v))
		}
		base := ""
		if b := t.Baseline; b != nil {
			base = fmt.Sprintf("%d: %s", b.Year, xlLevelsText(b.Value, levelsOf(b.Levels)))
		}
		var latest, measured, expected any = "", "", ""
		if n := len(t.Actuals); n > 0 {
			latest, measured = t.Actuals[n-1].Value, dateVal(t.Actuals[n-1].MeasuredOn)
		}
		if t.Expected != nil {
			expected = math.Round(*t.Expected*100) / 100
		}
		resp := ""
		if t.ResponsibleUnit != nil {
			resp = t.ResponsibleUnit.Name
		}
		trows = append(trows, []any{len(trows) + 1, planNo[t.PlanID], t.Code, pillarName[t.Pillar], t.Statement, t.Unit, xlDirectionVI[t.Direction], base,
			strings.Join(ms, "; "), latest, measured, expected, xlTargetStatusVI[t.Status], resp})
	}
	if err := table("Chỉ tiêu chậm", []col{{"STT", 6, 0}, {"Kế hoạch", 16, 0}, {"Mã chỉ tiêu", 10, st.text}, {"Trụ cột", 16, 0}, {"Nội dung chỉ tiêu", 56, st.wrap},
		{"Đơn vị tính", 9, 0}, {"Chiều đánh giá", 14, 0}, {"Cơ sở", 14, 0}, {"Mốc", 22, st.wrap}, {"Thực hiện gần nhất", 12, 0}, {"Ngày số liệu", 13, st.date},
		{"Giá trị cần đạt theo lộ trình", 14, 0}, {"Trạng thái", 16, 0}, {"Đơn vị chịu trách nhiệm", 28, st.wrap}}, trows); err != nil {
		return nil, err
	}
	var lrows [][]any
	for _, l := range rv.League {
		lrows = append(lrows, []any{l.Rank, l.Unit.Name, l.Unit.Code, l.Tasks, l.Done, l.InProgress, l.Overdue, l.DoneShare})
	}
	if err := table("Xếp hạng đơn vị", []col{{"Hạng", 6, 0}, {"Đơn vị chủ trì", 40, st.wrap}, {"Mã đơn vị", 14, 0}, {"Số nhiệm vụ chủ trì", 11, 0},
		{"Hoàn thành", 11, 0}, {"Đang thực hiện", 11, 0}, {"Quá hạn", 9, 0}, {"Tỷ lệ hoàn thành", 11, st.percent}}, lrows); err != nil {
		return nil, err
	}
	f.SetActiveSheet(0)
	ok = true
	return f, nil
}

func levelsOf(vs []Value) []DocLevel {
	var out []DocLevel
	for _, v := range vs {
		out = append(out, DocLevel{Level: v.Level, Value: v.Value})
	}
	return out
}
