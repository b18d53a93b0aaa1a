package plan

// The Excel template of a plan (docs/plan-template.md), empty or holding an
// exported plan: sheets Kế hoạch, Chỉ tiêu, Nhiệm vụ, Hướng dẫn, Mã đơn vị.
// Coded columns show the labels the pages use, from the same catalogue
// keys, and offer them in drop-downs; reading maps them back (xlsx_import.go).

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// Sheet names of the template.
const (
	xlPlanSheet   = "Kế hoạch"
	xlTargetSheet = "Chỉ tiêu"
	xlTaskSheet   = "Nhiệm vụ"
	xlUnitSheet   = "Mã đơn vị"
)

// xlCol is one column of a sheet (one labelled row of the plan sheet): the
// Doc member it holds, its Vietnamese header, other headers accepted on
// import, what a merged region may do over it, and what the guide says.
type xlCol struct {
	key      string
	header   string
	aliases  []string
	width    float64
	text     bool // text number format, so that 1.10 stays "1.10"
	required bool
	spread   bool // a merged region applies to each row (several tasks under one lead unit)
	help     string
	example  string
}

// Unit groups a task may name instead of units, in the order the guide and
// exports list them.
var xlGroupCodes = []string{"departments", "districts", "communes"}

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
		help: "Ô kiểu ngày, hoặc viết dd/mm/yyyy; để trống khi chưa rõ (khi đó đơn vị được xác định theo ngày 01/01 của năm bắt đầu).", example: "22/06/2022"},
	{key: "signer", header: "Người ký", example: "Võ Ngọc Thành"},
	{key: "legalBases", header: "Căn cứ", aliases: []string{"Văn bản căn cứ"}, help: "Số hiệu các văn bản làm căn cứ, cách nhau bằng dấu chấm phẩy (;).", example: "411/QĐ-TTg; 749/QĐ-TTg"},
	{key: "spanFrom", header: "Từ năm", required: true, help: "Năm bắt đầu của kế hoạch (4 chữ số).", example: "2022"},
	{key: "spanTo", header: "Đến năm", required: true, help: "Năm kết thúc của kế hoạch (4 chữ số); mọi mốc chỉ tiêu phải nằm trong khoảng từ năm đến năm.", example: "2030"},
	{key: "status", header: "Trạng thái", help: "Chọn trong danh sách: Dự thảo, Đang hiệu lực (khi để trống) hoặc Đã được thay thế.", example: "Đang hiệu lực"},
	{key: "parent", header: "Kế hoạch cấp trên", text: true, help: "Mã kế hoạch (hoặc số hiệu) của kế hoạch cấp trên mà kế hoạch này triển khai; kế hoạch đó phải đã có trong hệ thống.", example: "1331/KH-UBND"},
	{key: "note", header: "Ghi chú"},
}

// Target columns before and after the milestone years.
var xlTargetColsBefore = []xlCol{
	{key: "code", header: "Mã chỉ tiêu", aliases: []string{"Mã"}, width: 11, text: true, required: true,
		help: "Mã chỉ tiêu, duy nhất trong kế hoạch; dùng để nhận diện chỉ tiêu khi nhập lại.", example: "KTS.1"},
	{key: "pillar", header: "Trụ cột", aliases: []string{"Chỉ số chính", "Trụ cột DTI"}, width: 20, required: true, spread: true,
		help: "Chỉ số chính (trụ cột) của bộ chỉ số DTI: chọn trong danh sách (bảng bên dưới).", example: "Kinh tế số"},
	{key: "group", header: "Nhóm", aliases: []string{"Nhóm chỉ tiêu"}, width: 24, spread: true, help: "Nhóm (mục) của chỉ tiêu trong văn bản.", example: "1. Phát triển kinh tế số"},
	{key: "statement", header: "Nội dung chỉ tiêu", aliases: []string{"Chỉ tiêu"}, width: 60, required: true,
		help: "Nội dung chỉ tiêu như trong văn bản.", example: "Tỷ trọng kinh tế số chiếm tối thiểu 20% GRDP của tỉnh"},
	{key: "statementLater", header: "Nội dung giai đoạn sau", width: 40, help: "Nội dung của chỉ tiêu ở giai đoạn sau (ví dụ định hướng đến 2030), nếu văn bản tách riêng."},
	{key: "measure", header: "Đơn vị tính", aliases: []string{"ĐVT"}, width: 10, spread: true, help: "Đơn vị tính: %, điểm, hệ thống …", example: "%"},
	{key: "direction", header: "Chiều đánh giá", aliases: []string{"Chiều", "Yêu cầu"}, width: 22, required: true, spread: true,
		help: "Chọn trong danh sách: Đạt tối thiểu, Không vượt quá hoặc Đạt đúng giá trị.", example: "Đạt tối thiểu (càng cao càng tốt)"},
	{key: "baselineYear", header: "Năm cơ sở", width: 10, spread: true, help: "Năm của giá trị cơ sở (4 chữ số); để trống cả hai cột cơ sở nếu không có.", example: "2022"},
	{key: "baselineValue", header: "Giá trị cơ sở", width: 14,
		help: "Một số, hoặc giá trị theo cấp dạng tỉnh=50; huyện=40; xã=30.", example: "45"},
}

var xlTargetColsAfter = []xlCol{
	{key: "levels", header: "Theo cấp", aliases: []string{"Giá trị theo cấp"}, width: 30,
		help: "Mốc theo cấp, áp dụng cho mọi năm có mốc: tỉnh=55; huyện=40; xã=20 (hoặc province=55; district=40; commune=20).", example: "tỉnh=55; huyện=40; xã=20"},
	{key: "responsibleUnit", header: "Đơn vị chịu trách nhiệm", aliases: []string{"Đơn vị theo dõi"}, width: 16, text: true, spread: true,
		help: "Mã đơn vị chịu trách nhiệm theo dõi, cập nhật số liệu (trang «Mã đơn vị»).", example: "GL.STTTT"},
	{key: "source", header: "Nguồn số liệu", width: 26, spread: true,
		help: "Chọn trong danh sách: Nhập kèm tài liệu kiểm chứng (khi để trống) hoặc Lấy từ chỉ số báo cáo định kỳ.", example: "Nhập kèm tài liệu kiểm chứng"},
	{key: "indicatorCode", header: "Mã chỉ số báo cáo", width: 16, text: true, help: "Bắt buộc khi nguồn số liệu là chỉ số báo cáo định kỳ."},
}

var xlTaskCols = []xlCol{
	{key: "number", header: "Số TT", aliases: []string{"STT", "Số thứ tự"}, width: 8, text: true, required: true,
		help: "Số thứ tự phân cấp (1, 1.1, I.2 …), duy nhất trong kế hoạch; dùng để nhận diện nhiệm vụ khi nhập lại.", example: "I.1.2"},
	{key: "group", header: "Nhóm nhiệm vụ", aliases: []string{"Nhóm"}, width: 22, spread: true, help: "Nhóm (mục) của nhiệm vụ trong văn bản.", example: "Phát triển hạ tầng số"},
	{key: "pillar", header: "Trụ cột", aliases: []string{"Chỉ số chính", "Trụ cột DTI"}, width: 18, spread: true,
		help: "Chỉ số chính (trụ cột) DTI, chọn trong danh sách; có thể để trống.", example: "Hạ tầng số"},
	{key: "description", header: "Nội dung nhiệm vụ", aliases: []string{"Nhiệm vụ", "Nội dung"}, width: 60, required: true,
		help: "Nội dung nhiệm vụ như trong văn bản."},
	{key: "leadText", header: "Đơn vị chủ trì (nguyên văn)", width: 22, spread: true, help: "Đơn vị chủ trì như viết trong văn bản (chỉ để hiển thị).", example: "Sở Thông tin và Truyền thông"},
	{key: "leadUnits", header: "Đơn vị chủ trì", aliases: []string{"Mã đơn vị chủ trì"}, width: 18, text: true, spread: true,
		help: "Mã các đơn vị chủ trì, cách nhau bằng dấu chấm phẩy (;); phải còn hoạt động vào ngày ban hành kế hoạch. Ô gộp qua nhiều dòng áp dụng cho từng nhiệm vụ.", example: "GL.STTTT; GL.SKHDT"},
	{key: "leadGroups", header: "Nhóm đơn vị chủ trì", width: 24, spread: true,
		help: "Thay cho liệt kê mã: Các sở, ban, ngành; UBND các huyện, thị xã, thành phố; UBND các xã, phường, thị trấn (hoặc viết gọn sở ngành, cấp huyện, cấp xã) — mọi đơn vị loại đó thuộc đơn vị ban hành; nhiều nhóm cách nhau bằng dấu chấm phẩy.", example: "UBND các huyện, thị xã, thành phố"},
	{key: "coordinatingText", header: "Đơn vị phối hợp (nguyên văn)", width: 22, spread: true, help: "Đơn vị phối hợp như viết trong văn bản.", example: "Các sở, ban, ngành; UBND các huyện, thị xã, thành phố"},
	{key: "coordinatingUnits", header: "Đơn vị phối hợp", aliases: []string{"Mã đơn vị phối hợp"}, width: 18, text: true, spread: true,
		help: "Mã các đơn vị phối hợp, cách nhau bằng dấu chấm phẩy (;).", example: "GL.STC"},
	{key: "coordinatingGroups", header: "Nhóm đơn vị phối hợp", width: 24, spread: true,
		help: "Như cột «Nhóm đơn vị chủ trì».", example: "Các sở, ban, ngành; UBND các huyện, thị xã, thành phố"},
	{key: "timeText", header: "Thời gian thực hiện", aliases: []string{"Thời gian", "Thời gian (nguyên văn)"}, width: 14, spread: true, help: "Thời gian như viết trong văn bản.", example: "2022 - 2025"},
	{key: "from", header: "Từ năm", width: 8, spread: true, help: "Năm bắt đầu (4 chữ số).", example: "2022"},
	{key: "to", header: "Đến năm", width: 8, spread: true, help: "Năm phải hoàn thành (4 chữ số); nhiệm vụ quá hạn sau ngày 31/12 của năm này.", example: "2025"},
	{key: "output", header: "Sản phẩm", aliases: []string{"Sản phẩm đầu ra", "Kết quả"}, width: 24, spread: true, help: "Sản phẩm, kết quả dự kiến."},
	{key: "budgetSource", header: "Nguồn kinh phí", width: 20, spread: true, help: "Nguồn kinh phí.", example: "Ngân sách tỉnh"},
	{key: "budget", header: "Kinh phí (đồng)", aliases: []string{"Kinh phí"}, width: 16, help: "Kinh phí dự kiến, tính bằng đồng; mỗi nhiệm vụ một ô (không gộp ô).", example: "50.000.000.000"},
}

// xlChoices are the allowed values of the coded columns: the codes stored,
// the Vietnamese labels of the pages (same catalogue keys), and the English
// labels and older spellings still accepted on import.
type xlChoices struct {
	pillar, status, direction, source, group, level *xlsx.Choices
	pillars                                         []Pillar
}

// xlLabeled makes the choices of codes whose labels are catalogue keys
// prefix+code; aliases adds accepted spellings.
func xlLabeled(prefix string, codes []string, aliases map[string][]string) *xlsx.Choices {
	var list []xlsx.Choice
	for _, c := range codes {
		list = append(list, xlsx.Choice{Code: c, Label: locale.T(locale.VI, prefix+c),
			Aliases: append([]string{locale.T(locale.EN, prefix+c)}, aliases[c]...)})
	}
	return xlsx.NewChoices(list...)
}

func (s *Store) xlChoices(ctx context.Context) (xlChoices, error) {
	pillars, err := s.Pillars(ctx)
	if err != nil {
		return xlChoices{}, err
	}
	var pl []xlsx.Choice
	for _, p := range pillars {
		pl = append(pl, xlsx.Choice{Code: p.Code, Label: p.NameVI, Aliases: []string{p.NameEN}})
	}
	ch := xlChoices{pillar: xlsx.NewChoices(pl...), pillars: pillars}
	ch.status = xlLabeled("plan.status.", PlanStatuses, map[string][]string{
		"draft":    {"dự thảo"},
		"in_force": {"đang có hiệu lực", "có hiệu lực", "hiệu lực", "còn hiệu lực"},
		"replaced": {"đã thay thế", "bị thay thế", "hết hiệu lực"}})
	ch.direction = xlLabeled("target.direction.", Directions, map[string][]string{
		"at_least": {"Đạt tối thiểu (≥)", "đạt tối thiểu", "tối thiểu", "ít nhất", ">=", "≥"},
		"at_most":  {"Không vượt quá (≤)", "không vượt quá", "tối đa", "<=", "≤"},
		"exactly":  {"Đúng bằng (=)", "đúng bằng", "bằng", "="}})
	ch.source = xlLabeled("target.source.", []string{"manual", "indicator"}, map[string][]string{
		"manual":    {"nhập tay", "thủ công"},
		"indicator": {"chỉ số", "chỉ số báo cáo", "báo cáo định kỳ"}})
	ch.group = xlLabeled("unit_group.", xlGroupCodes, map[string][]string{
		"departments": {"sở ngành", "sở ban ngành", "các sở ngành", "cấp sở"},
		"districts":   {"cấp huyện", "huyện", "các huyện", "UBND cấp huyện"},
		"communes":    {"cấp xã", "xã", "các xã", "UBND cấp xã"}})
	// Levels are written short inside "tỉnh=55; huyện=40", and read in any
	// of the spellings the plans use.
	ch.level = xlsx.NewChoices(
		xlsx.Choice{Code: "province", Label: "tỉnh", Aliases: []string{"cấp tỉnh", locale.T(locale.EN, "target.level.province")}},
		xlsx.Choice{Code: "district", Label: "huyện", Aliases: []string{"cấp huyện", locale.T(locale.EN, "target.level.district")}},
		xlsx.Choice{Code: "commune", Label: "xã", Aliases: []string{"cấp xã", locale.T(locale.EN, "target.level.commune")}})
	return ch, nil
}

// xlLevelsText writes levels as "tỉnh=55; huyện=40,5", with a bare number
// first for the whole when there is one: Vietnamese numbers, since the
// cell is text and a reader takes "40.5" for ambiguous.
func xlLevelsText(ch xlChoices, whole *float64, levels []DocLevel) string {
	var parts []string
	if whole != nil {
		parts = append(parts, xlNum(*whole))
	}
	for _, l := range levels {
		parts = append(parts, ch.level.Label(l.Level)+"="+xlNum(l.Value))
	}
	return strings.Join(parts, "; ")
}

// xlNum writes a number as text the Vietnamese way, without grouping:
// 40,5; 1500.
func xlNum(v float64) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', -1, 64), ".", ",", 1)
}

func xlColumns(cols []xlCol) []xlsx.Column {
	out := make([]xlsx.Column, len(cols))
	for i, c := range cols {
		f := xlsx.General
		if c.text {
			f = xlsx.TextFmt
		}
		out[i] = xlsx.Column{Header: c.header, Width: c.width, Format: f}
	}
	return out
}

func xlColOf(cols []xlCol, key string) int {
	return slices.IndexFunc(cols, func(c xlCol) bool { return c.key == key }) + 1
}

func xlPlanName(d Doc) string {
	if d.Number != "" {
		return d.Number
	}
	return d.Key
}

// xlWorkbook writes the plan template holding d (the empty template when d
// is nil).
func (s *Store) xlWorkbook(ctx context.Context, d *Doc) (*xlsx.Book, error) {
	ch, err := s.xlChoices(ctx)
	if err != nil {
		return nil, err
	}
	title := "Biểu mẫu kế hoạch — Tỉnh số"
	if d != nil {
		title = "Kế hoạch " + xlPlanName(*d)
	}
	b := xlsx.New(title)
	ok := false
	defer func() {
		if !ok {
			b.Close()
		}
	}()
	if err := s.xlPlanSheet(b, ch, d); err != nil {
		return nil, err
	}
	if err := s.xlTargets(b, ch, d); err != nil {
		return nil, err
	}
	if d != nil {
		dd := *d
		dd.Tasks = slices.Clone(d.Tasks)
		if err := s.xlGroups(ctx, &dd); err != nil {
			return nil, err
		}
		d = &dd
	}
	if err := s.xlTasks(b, ch, d); err != nil {
		return nil, err
	}
	if err := s.xlGuide(b, ch); err != nil {
		return nil, err
	}
	if err := s.xlUnits(ctx, b, d); err != nil {
		return nil, err
	}
	if d == nil {
		b.Activate(xlsx.GuideSheet)
	} else {
		b.Activate(xlPlanSheet)
	}
	ok = true
	return b, nil
}

// xlPlanSheet writes «Kế hoạch»: one row per field, label in A, value in
// B, how to fill it in C.
func (s *Store) xlPlanSheet(b *xlsx.Book, ch xlChoices, d *Doc) error {
	sh, err := b.AddForm(xlPlanSheet, []xlsx.Column{{Header: "Thông tin", Width: 24, Format: xlsx.Label}, {Header: "Giá trị", Width: 80, Format: xlsx.TextFmt},
		{Header: "Cách điền", Width: 60}})
	if err != nil {
		return err
	}
	for i, c := range xlPlanCols {
		row := i + 2
		label := c.header
		if c.required {
			label += " *"
		}
		hint := c.help
		if c.example != "" {
			hint += " Ví dụ: " + c.example
		}
		var v any
		if d != nil {
			v = map[string]any{"number": d.Number, "key": d.Key, "title": d.Title, "issuer": d.Issuer, "issuerUnit": d.IssuerUnit,
				"date": xlsx.ISODate(d.Date), "signer": d.Signer, "legalBases": strings.Join(d.LegalBases, "; "), "spanFrom": d.SpanFrom,
				"spanTo": d.SpanTo, "status": ch.status.Label(d.Status), "parent": d.Parent, "note": d.Note}[c.key]
		}
		if err := sh.Append(label, v, strings.TrimSpace(hint)); err != nil {
			return err
		}
		if c.key == "status" {
			if err := sh.DropDown(2, row, ch.status.Labels(), ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// xlTargetYears are the milestone years that get a column.
func xlTargetYears(d *Doc) []int {
	if d == nil {
		return []int{2025, 2030}
	}
	var years []int
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
	return years
}

// xlTargets writes «Chỉ tiêu»: fixed columns, one column per milestone
// year, fixed columns.
func (s *Store) xlTargets(b *xlsx.Book, ch xlChoices, d *Doc) error {
	years := xlTargetYears(d)
	cols := slices.Clone(xlTargetColsBefore)
	for _, y := range years {
		cols = append(cols, xlCol{key: "year", header: strconv.Itoa(y), width: 9})
	}
	cols = append(cols, xlTargetColsAfter...)
	sh, err := b.AddTable(xlTargetSheet, xlColumns(cols))
	if err != nil {
		return err
	}
	n := 0
	if d != nil {
		n = len(d.Targets)
		for _, t := range d.Targets {
			row := make([]any, len(cols))
			put := func(key string, v any) { row[xlColOf(cols, key)-1] = v }
			put("code", t.Code)
			put("pillar", ch.pillar.Label(t.Pillar))
			put("group", t.Group)
			put("statement", t.Statement)
			put("statementLater", t.StatementLater)
			put("measure", t.Measure)
			put("direction", ch.direction.Label(t.Direction))
			if bl := t.Baseline; bl != nil {
				if bl.Year != 0 {
					put("baselineYear", bl.Year)
				}
				if bl.Value != nil && len(bl.Levels) == 0 {
					put("baselineValue", *bl.Value)
				} else {
					put("baselineValue", xlLevelsText(ch, bl.Value, bl.Levels))
				}
			}
			for _, m := range t.Milestones {
				col := len(xlTargetColsBefore) + slices.Index(years, m.Year)
				if m.Value != nil {
					row[col] = *m.Value
				} else {
					row[col] = "x"
				}
			}
			put("levels", xlLevelsText(ch, nil, t.Levels))
			put("responsibleUnit", t.ResponsibleUnit)
			source := t.Source
			if source == "" {
				source = "manual"
			}
			put("source", ch.source.Label(source))
			put("indicatorCode", t.IndicatorCode)
			if err := sh.Append(row...); err != nil {
				return err
			}
		}
	}
	last := max(1000, n+500)
	if err := sh.DropDown(xlColOf(cols, "pillar"), last, ch.pillar.Labels(), "Trụ cột DTI, xem trang «Hướng dẫn»."); err != nil {
		return err
	}
	if err := sh.DropDown(xlColOf(cols, "direction"), last, ch.direction.Labels(), ""); err != nil {
		return err
	}
	if err := sh.DropDown(xlColOf(cols, "source"), last, ch.source.Labels(), ""); err != nil {
		return err
	}
	for i, y := range years {
		if err := sh.Hint(len(xlTargetColsBefore)+i+1, last, "Mốc "+strconv.Itoa(y),
			"Giá trị mốc của năm này; «x» khi chỉ có giá trị theo cấp (cột «Theo cấp»); để trống nếu không có mốc năm này."); err != nil {
			return err
		}
	}
	return nil
}

// xlTasks writes «Nhiệm vụ».
func (s *Store) xlTasks(b *xlsx.Book, ch xlChoices, d *Doc) error {
	cols := xlColumns(xlTaskCols)
	cols[xlColOf(xlTaskCols, "budget")-1].Format = xlsx.Money
	sh, err := b.AddTable(xlTaskSheet, cols)
	if err != nil {
		return err
	}
	groups := func(codes []string) string {
		var out []string
		for _, c := range codes {
			out = append(out, ch.group.Label(c))
		}
		return strings.Join(out, "; ")
	}
	n := 0
	if d != nil {
		n = len(d.Tasks)
		for _, t := range d.Tasks {
			var from, to any
			if t.From != nil {
				from = *t.From
			}
			if t.To != nil {
				to = *t.To
			}
			if err := sh.Append(t.Number, t.Group, ch.pillar.Label(t.Pillar), t.Description, t.LeadText, strings.Join(t.LeadUnits, "; "), groups(t.LeadGroups),
				t.CoordinatingText, strings.Join(t.CoordinatingUnits, "; "), groups(t.CoordinatingGroups), t.TimeText, from, to,
				t.Output, t.BudgetSource, t.Budget); err != nil {
				return err
			}
		}
	}
	return sh.DropDown(xlColOf(xlTaskCols, "pillar"), max(1000, n+500), ch.pillar.Labels(), "Trụ cột DTI, xem trang «Hướng dẫn».")
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
	members := map[string][]string{}
	for _, g := range xlGroupCodes {
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
		for _, g := range xlGroupCodes {
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

// xlGuide writes «Hướng dẫn»: the rules, every column, the allowed values
// (label and code), and the limits of an upload.
func (s *Store) xlGuide(b *xlsx.Book, ch xlChoices) error {
	g, err := b.AddGuide("HƯỚNG DẪN ĐIỀN BIỂU MẪU KẾ HOẠCH (Tỉnh số)")
	if err != nil {
		return err
	}
	lim := xlsxLimits()
	for _, p := range []string{
		"1. Mỗi tệp chứa một kế hoạch: trang «Kế hoạch» ghi thông tin chung (cột B), trang «Chỉ tiêu» mỗi dòng một chỉ tiêu, trang «Nhiệm vụ» mỗi dòng một nhiệm vụ. Không đổi tên trang tính và tên cột; cột lạ và trang tính khác được bỏ qua.",
		"2. Mốc của chỉ tiêu: mỗi năm một cột, tiêu đề cột là năm (ví dụ 2025, 2030). Có thể thêm hoặc xóa cột năm. Ô để trống: không có mốc năm đó; «x»: có mốc nhưng chỉ có giá trị theo cấp (cột «Theo cấp»).",
		"3. Mã đơn vị lấy ở trang «Mã đơn vị» (danh mục đơn vị tại ngày ban hành kế hoạch). Nhiều mã, nhiều nhóm cách nhau bằng dấu chấm phẩy (;).",
		"4. Cột có danh sách chọn (trụ cột, chiều đánh giá, nguồn số liệu, trạng thái): chọn một giá trị trong danh sách; mã trong các bảng bên dưới cũng được chấp nhận.",
		"5. Ngày: ô kiểu ngày hoặc viết dd/mm/yyyy (ví dụ 22/06/2022). Năm gồm 4 chữ số. Số: nên nhập ô kiểu số; nếu viết thành chữ thì theo kiểu Việt Nam — dấu chấm ngăn cách hàng nghìn, dấu phẩy trước phần thập phân (1.500.000; 87,4). Cách viết có thể hiểu hai nghĩa như 1,500 hoặc 1.5 bị từ chối, kèm tên ô.",
		"6. Ô gộp: ở các cột như «Đơn vị chủ trì», «Nhóm nhiệm vụ», «Thời gian thực hiện», một ô gộp qua nhiều dòng được áp dụng cho từng dòng. Ở cột số thứ tự, nội dung, mã chỉ tiêu, mốc, kinh phí, mỗi dòng cần giá trị riêng: ô gộp ở đó bị từ chối, kèm vùng ô (ví dụ Nhiệm vụ!P5:P9).",
		"7. Công thức được đọc theo kết quả đã tính khi lưu tệp; công thức báo lỗi (#N/A, #REF! …) bị từ chối, kèm tên ô.",
		"8. Khi tải lên, hệ thống kiểm tra toàn bộ tệp trước. Có bất kỳ lỗi nào thì không dữ liệu nào được nhập, và mỗi lỗi chỉ rõ ô, ví dụ «Nhiệm vụ!F6 (Đơn vị chủ trì): không có đơn vị mã «GL.ABC»».",
		"9. Nhập lại cùng một tệp không tạo bản sao và không thay đổi gì. Kế hoạch được nhận diện theo «Mã kế hoạch» (hoặc «Số hiệu»), chỉ tiêu theo «Mã chỉ tiêu», nhiệm vụ theo «Số TT». Chỉ tiêu, nhiệm vụ có trong hệ thống mà không còn trong tệp sẽ bị xóa, trừ khi đã có số liệu thực hiện hoặc báo cáo tiến độ (khi đó được giữ lại và có cảnh báo).",
		"10. Giới hạn: tệp tối đa " + strconv.FormatInt(lim.MaxUpload>>20, 10) + " MB, khi giải nén tối đa " + strconv.FormatInt(lim.MaxUnzipped>>20, 10) +
			" MB; mỗi trang tính tối đa " + locale.Number(locale.VI, float64(lim.MaxRows), 0) + " dòng và " + strconv.Itoa(lim.MaxCols) + " cột có dữ liệu. Tệp lớn hơn hãy chia thành nhiều kế hoạch.",
		"11. Các cột có dấu * là bắt buộc.",
	} {
		if err := g.Paragraph(p); err != nil {
			return err
		}
	}
	var rows [][]string
	list := func(sheet string, cols []xlCol) {
		for _, c := range cols {
			req := ""
			if c.required {
				req = "*"
			}
			rows = append(rows, []string{sheet, c.header, c.help, req, c.example})
		}
	}
	list(xlPlanSheet, xlPlanCols)
	list(xlTargetSheet, xlTargetColsBefore)
	rows = append(rows, []string{xlTargetSheet, "2025, 2030, … (mỗi năm một cột)", "Giá trị mốc của năm; «x» khi chỉ có giá trị theo cấp; để trống nếu không có mốc năm đó. Năm phải nằm trong khoảng «Từ năm» – «Đến năm» của kế hoạch.", "*", "20"})
	list(xlTargetSheet, xlTargetColsAfter)
	list(xlTaskSheet, xlTaskCols)
	if err := g.Table("", []string{"Trang tính", "Cột", "Nội dung", "Bắt buộc", "Ví dụ"}, rows); err != nil {
		return err
	}
	table := func(title string, c *xlsx.Choices, codes []string, extra func(code string) string) error {
		var rows [][]string
		for _, code := range codes {
			r := []string{c.Label(code), code}
			if extra != nil {
				r = append(r, extra(code))
			}
			rows = append(rows, r)
		}
		head := []string{"Giá trị trong tệp", "Mã (cũng được chấp nhận)"}
		if extra != nil {
			head = append(head, "Tiếng Anh")
		}
		return g.Table(title, head, rows)
	}
	var pcodes []string
	en := map[string]string{}
	framework := ""
	for _, p := range ch.pillars {
		pcodes = append(pcodes, p.Code)
		en[p.Code] = p.NameEN
		framework = p.Framework
	}
	for _, t := range []struct {
		title string
		c     *xlsx.Choices
		codes []string
		extra func(string) string
	}{
		{"Trụ cột (chỉ số chính DTI, " + framework + ") — cột «Trụ cột» của «Chỉ tiêu» và «Nhiệm vụ»", ch.pillar, pcodes, func(c string) string { return en[c] }},
		{"Trạng thái kế hoạch — «Kế hoạch», dòng «Trạng thái»", ch.status, PlanStatuses, nil},
		{"Chiều đánh giá — «Chỉ tiêu», cột «Chiều đánh giá»", ch.direction, Directions, nil},
		{"Cấp — «Chỉ tiêu», cột «Theo cấp» và «Giá trị cơ sở» (viết tỉnh=55; huyện=40; xã=20)", ch.level, Levels, nil},
		{"Nhóm đơn vị — «Nhiệm vụ», cột «Nhóm đơn vị chủ trì», «Nhóm đơn vị phối hợp» (hoặc viết sở ngành, cấp huyện, cấp xã)", ch.group, xlGroupCodes, nil},
		{"Nguồn số liệu — «Chỉ tiêu», cột «Nguồn số liệu»", ch.source, []string{"manual", "indicator"}, nil},
	} {
		if err := table(t.title, t.c, t.codes, t.extra); err != nil {
			return err
		}
	}
	return nil
}

// xlUnits lists unit codes: under the issuer on the plan's date for an
// exported plan, every unit existing today for the empty template.
func (s *Store) xlUnits(ctx context.Context, b *xlsx.Book, d *Doc) error {
	sh, err := b.AddTable(xlUnitSheet, []xlsx.Column{{Header: "Mã đơn vị", Width: 22, Format: xlsx.TextFmt}, {Header: "Tên đơn vị", Width: 50}, {Header: "Cấp", Width: 16},
		{Header: "Trực thuộc", Width: 18, Format: xlsx.TextFmt}, {Header: "Hoạt động từ", Width: 13, Format: xlsx.DateFmt}, {Header: "Đến", Width: 13, Format: xlsx.DateFmt}})
	if err != nil {
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
	for _, u := range units {
		parent := ""
		if u.ParentID != nil {
			parent = code[*u.ParentID]
		}
		if err := sh.Append(u.Code, u.Name, locale.T(locale.VI, "kind."+u.Kind), parent, xlsx.ISODate(u.ValidFrom), xlsx.ISODate(u.ValidTo)); err != nil {
			return err
		}
	}
	return nil
}
