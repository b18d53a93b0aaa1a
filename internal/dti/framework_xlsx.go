package dti

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// A framework's workbook: «Bộ chỉ số» (labelled values: code, name,
// decision, years, level, total points), «Nhóm» (the groups) and «Chỉ số»
// (one row per main index, followed by the rows of its components), with
// a «Hướng dẫn» sheet. Export writes it; import reads the same layout, and
// its problems name cells, with the column's header.
const (
	xlInfoSheet  = "Bộ chỉ số"
	xlGroupSheet = "Nhóm"
	xlIndexSheet = "Chỉ số"
)

// xlInfo are the rows of «Bộ chỉ số», in order, with the JSON member each
// fills.
var xlInfo = []struct{ label, field string }{
	{"Mã bộ chỉ số", "code"}, {"Tên bộ chỉ số", "name"}, {"Quyết định ban hành", "decision"}, {"Ngày ban hành", "issuedOn"},
	{"Cơ quan ban hành", "issuer"}, {"Tỉnh ban hành (mã đơn vị)", "owner"}, {"Cấp được đánh giá", "level"}, {"Áp dụng từ năm", "yearFrom"},
	{"Áp dụng đến năm", "yearTo"}, {"Tổng điểm", "totalPoints"}, {"Ghi chú", "note"},
}

// Columns of «Chỉ số».
const (
	xcType = iota + 1
	xcCode
	xcName
	xcGroup
	xcPillar
	xcMax
	xcScored
	xcRule
	xcParams
	xcEvidence
	xcSource
	xcVerifier
	xcIndicator
	xcProvenance
	xcOrigin
)

var xlIndexCols = []xlsx.Column{
	{Header: "Loại", Width: 18}, {Header: "Mã", Width: 8, Format: xlsx.TextFmt}, {Header: "Tên chỉ số", Width: 60}, {Header: "Nhóm", Width: 8, Format: xlsx.TextFmt},
	{Header: "Trụ cột", Width: 22}, {Header: "Điểm tối đa", Width: 10, Format: xlsx.NumberFmt}, {Header: "Tính điểm", Width: 10}, {Header: "Cách tính điểm", Width: 18},
	{Header: "Tham số cách tính", Width: 50}, {Header: "Tài liệu kiểm chứng", Width: 30}, {Header: "Nguồn dữ liệu", Width: 24}, {Header: "Đơn vị xác minh", Width: 20},
	{Header: "Chỉ tiêu báo cáo (mã)", Width: 22, Format: xlsx.TextFmt}, {Header: "Nguồn gốc", Width: 16}, {Header: "Nguồn", Width: 40},
}

const (
	xlMain      = "main"
	xlComponent = "component"
)

// xlChoices are the coded columns' values, labelled in Vietnamese.
type xlChoices struct {
	rowType, level, scored, rule, provenance, pillar *xlsx.Choices
}

func (s *Store) xlChoices(r *http.Request) (xlChoices, error) {
	labeled := func(prefix string, codes []string, aliases map[string][]string) *xlsx.Choices {
		var list []xlsx.Choice
		for _, c := range codes {
			list = append(list, xlsx.Choice{Code: c, Label: locale.T(locale.VI, prefix+c), Aliases: append([]string{locale.T(locale.EN, prefix+c)}, aliases[c]...)})
		}
		return xlsx.NewChoices(list...)
	}
	ps, err := s.Pillars(r.Context())
	if err != nil {
		return xlChoices{}, err
	}
	var pl []xlsx.Choice
	for _, p := range ps {
		pl = append(pl, xlsx.Choice{Code: p.Code, Label: p.NameVI, Aliases: []string{p.NameEN}})
	}
	return xlChoices{
		rowType:    labeled("dti.row.", []string{xlMain, xlComponent}, map[string][]string{xlMain: {"chính"}, xlComponent: {"thành phần"}}),
		level:      labeled("dti.level.", Levels, nil),
		scored:     xlsx.NewChoices(xlsx.Choice{Code: "yes", Label: "Có", Aliases: []string{"yes", "x", "1", "true"}}, xlsx.Choice{Code: "no", Label: "Không", Aliases: []string{"no", "0", "false", "không tính điểm"}}),
		rule:       labeled("dti.rule.", RuleKinds, map[string][]string{Ratio: {"a/b"}, YesNo: {"có/không"}}),
		provenance: labeled("dti.provenance.", Provenances, nil),
		pillar:     xlsx.NewChoices(pl...),
	}, nil
}

// sendWorkbook answers with a framework's workbook.
func (s *Store) sendWorkbook(w http.ResponseWriter, r *http.Request, f Framework) error {
	ch, err := s.xlChoices(r)
	if err != nil {
		return err
	}
	b := xlsx.New(f.Name)
	info, err := b.AddForm(xlInfoSheet, []xlsx.Column{{Header: "Thông tin", Width: 30}, {Header: "Giá trị", Width: 70}})
	if err != nil {
		b.Close()
		return err
	}
	values := map[string]any{"code": f.Code, "name": f.Name, "decision": f.Decision, "issuedOn": xlsx.ISODate(f.IssuedOn), "issuer": f.Issuer, "owner": f.Owner,
		"level": ch.level.Label(f.Level), "yearFrom": f.YearFrom, "yearTo": f.YearTo, "totalPoints": f.TotalPoints, "note": f.Note}
	for _, row := range xlInfo {
		if err := info.Append(row.label, values[row.field]); err != nil {
			b.Close()
			return err
		}
	}
	groups, err := b.AddTable(xlGroupSheet, []xlsx.Column{{Header: "Mã nhóm", Width: 10, Format: xlsx.TextFmt}, {Header: "Tên nhóm", Width: 60}})
	if err != nil {
		b.Close()
		return err
	}
	for _, g := range f.Groups {
		if err := groups.Append(g.Code, g.Name); err != nil {
			b.Close()
			return err
		}
	}
	t, err := b.AddTable(xlIndexSheet, xlIndexCols)
	if err != nil {
		b.Close()
		return err
	}
	for _, m := range f.MainIndices {
		scored := "Có"
		if !m.IsScored() {
			scored = "Không"
		}
		if err := t.Append(ch.rowType.Label(xlMain), m.Code, m.Name, m.Group, ch.pillar.Label(m.Pillar), m.MaxPoints, scored, nil, nil, nil, nil, nil, nil,
			ch.provenance.Label(m.Provenance), m.Source); err != nil {
			b.Close()
			return err
		}
		for _, c := range m.Components {
			if err := t.Append(ch.rowType.Label(xlComponent), c.Code, c.Name, nil, nil, c.MaxPoints, nil, ch.rule.Label(c.Rule.Kind), strings.Join(ruleLines(locale.VI, c.Rule, true), "\n"),
				c.Evidence, c.DataSource, c.Verifier, c.Indicator, ch.provenance.Label(c.Provenance), c.Source); err != nil {
				b.Close()
				return err
			}
		}
	}
	last := max(t.Last()+200, 300)
	for _, dd := range []struct {
		col int
		c   *xlsx.Choices
	}{{xcType, ch.rowType}, {xcScored, ch.scored}, {xcRule, ch.rule}, {xcProvenance, ch.provenance}, {xcPillar, ch.pillar}} {
		if err := t.DropDown(dd.col, last, dd.c.Labels(), ""); err != nil {
			b.Close()
			return err
		}
	}
	g, err := b.AddGuide(xlsx.GuideSheet)
	if err != nil {
		b.Close()
		return err
	}
	for _, p := range []string{
		"Trang «Bộ chỉ số»: mã, tên, quyết định ban hành, năm áp dụng, cấp được đánh giá và tổng điểm. Để trống «Tỉnh ban hành» với bộ chỉ số quốc gia.",
		"Trang «Chỉ số»: mỗi chỉ số chính một dòng (Loại «Chỉ số chính»), tiếp theo là các dòng chỉ số thành phần của nó. Điểm của các chỉ số thành phần cộng lại phải bằng điểm tối đa của chỉ số chính; điểm các chỉ số chính được tính điểm cộng lại phải bằng tổng điểm. Khi không khớp, tệp bị từ chối và thông báo nêu phần chênh lệch.",
		"Cách tính điểm: Có/Không; Theo mức (mỗi dòng «mã: nội dung = điểm», ví dụ «chair: Bí thư hoặc Chủ tịch = 10»); Theo bậc (mỗi dòng «[từ; đến) = điểm», ví dụ «[4; +∞) = 20» và «[3; 4) = 15»: các khoảng không được chồng lên nhau); Tỷ lệ a/b (dòng «a: …» và «b: …»); Cộng từng phần (như Theo mức, các phần cộng lại bằng điểm tối đa); Nhập điểm.",
		"Chỉ tiêu báo cáo: mã chỉ tiêu của chế độ báo cáo mà chỉ số thành phần tự tính từ đó (cách tính Tỷ lệ, Theo bậc hoặc Có/Không).",
		"Nguồn gốc «Chỉ số mẫu»: tên chưa có trong nguồn công khai, chỉ dùng minh họa, không phải chỉ số chính thức.",
		"Số viết kiểu Việt Nam: 12,5 là mười hai phẩy năm.",
	} {
		if err := g.Paragraph(p); err != nil {
			b.Close()
			return err
		}
	}
	b.Activate(xlIndexSheet)
	return xlsx.Send(w, xlsx.FileName("Bộ chỉ số", f.Code), b)
}

// ruleLines writes a rule's parameters, one line each, in the language:
// with the codes ("chair: Bí thư hoặc Chủ tịch = 10") as the workbook's
// «Tham số» cell reads them back, or without for a page.
func ruleLines(l locale.Lang, r Rule, codes bool) []string {
	n := func(f float64) string { return locale.Number(l, f, 4) }
	var lines []string
	switch r.Kind {
	case Tiered, Parts:
		list := r.Options
		if r.Kind == Parts {
			list = r.Parts
		}
		for _, o := range list {
			line := o.Label + " = " + n(o.Points)
			if codes {
				line = o.Code + ": " + line
			}
			lines = append(lines, line)
		}
	case Steps:
		for _, s := range r.Steps {
			lines = append(lines, s.Span(l)+" = "+n(s.Points))
		}
		if r.Measure != "" && codes {
			lines = append(lines, "đơn vị: "+r.Measure)
		}
	case Ratio:
		if r.Numerator != "" {
			lines = append(lines, "a: "+r.Numerator)
		}
		if r.Denominator != "" {
			lines = append(lines, "b: "+r.Denominator)
		}
	}
	return lines
}

var spanPattern = regexp.MustCompile(`^\[\s*([^;\]]*?)\s*;\s*([^)\]]*?)\s*[)\]]\s*=\s*(.+)$`)

// parseParams reads a «Tham số» cell into r; problems are messages for the
// cell.
func parseParams(r *Rule, text string) (code string, args []any) {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	number := func(s string) (float64, bool) {
		f, err := xlsx.ParseNumber(s)
		return f, err == nil
	}
	switch r.Kind {
	case Tiered, Parts:
		var list []Option
		for i, l := range lines {
			eq := strings.LastIndex(l, "=")
			if eq < 0 {
				return "dti.xlsx_option", []any{l}
			}
			pts, ok := number(l[eq+1:])
			if !ok {
				return "dti.xlsx_option", []any{l}
			}
			head := strings.TrimSpace(l[:eq])
			c, label, found := strings.Cut(head, ":")
			if !found {
				c, label = strconv.Itoa(i+1), head
			}
			list = append(list, Option{Code: strings.TrimSpace(c), Label: strings.TrimSpace(label), Points: pts})
		}
		if r.Kind == Tiered {
			r.Options = list
		} else {
			r.Parts = list
		}
	case Steps:
		for _, l := range lines {
			if m, ok := strings.CutPrefix(l, "đơn vị:"); ok {
				r.Measure = strings.TrimSpace(m)
				continue
			}
			m := spanPattern.FindStringSubmatch(l)
			if m == nil {
				return "dti.xlsx_step", []any{l}
			}
			var st Step
			if lo := m[1]; lo != "" && lo != "−∞" && lo != "-∞" {
				f, ok := number(lo)
				if !ok {
					return "dti.xlsx_step", []any{l}
				}
				st.Min = &f
			}
			if hi := m[2]; hi != "" && hi != "+∞" && hi != "∞" {
				f, ok := number(hi)
				if !ok {
					return "dti.xlsx_step", []any{l}
				}
				st.Max = &f
			}
			pts, ok := number(m[3])
			if !ok {
				return "dti.xlsx_step", []any{l}
			}
			st.Points = pts
			r.Steps = append(r.Steps, st)
		}
	case Ratio:
		for _, l := range lines {
			k, v, _ := strings.Cut(l, ":")
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "a":
				r.Numerator = strings.TrimSpace(v)
			case "b":
				r.Denominator = strings.TrimSpace(v)
			default:
				return "dti.xlsx_ratio", []any{l}
			}
		}
	default:
		if len(lines) > 0 {
			return "dti.xlsx_no_params", nil
		}
	}
	return "", nil
}

// xlParsed is a workbook read into a framework, with where each member
// came from (JSON path → cell and its column's header) so that validation
// names cells.
type xlParsed struct {
	f      Framework
	cells  map[string][2]string
	issues []errs.Field
}

// readUpload reads an uploaded workbook into a framework, one of a few at
// a time; problems name cells.
func (s *Store) readUpload(w http.ResponseWriter, r *http.Request) (Framework, error) {
	release, err := s.imports.Acquire(r.Context())
	if err != nil {
		return Framework{}, err
	}
	defer release()
	data, _, err := xlsx.Upload(w, r, xlsx.DefaultLimits())
	if err != nil {
		return Framework{}, err
	}
	ch, err := s.xlChoices(r)
	if err != nil {
		return Framework{}, err
	}
	p, err := parseWorkbook(data, ch)
	if err != nil {
		return Framework{}, err
	}
	if len(p.issues) > 0 {
		return Framework{}, errs.Invalid(p.issues...)
	}
	if _, err := s.Validate(r.Context(), p.f); err != nil {
		return Framework{}, p.cellsOf(err)
	}
	return p.f, nil
}

func parseWorkbook(data []byte, ch xlChoices) (p *xlParsed, err error) {
	p = &xlParsed{cells: map[string][2]string{}}
	defer func() {
		if v := recover(); v != nil {
			err = xlsx.FileError("xlsx_corrupt")
		}
	}()
	wb, err := xlsx.Open(data, xlsx.DefaultLimits())
	if err != nil {
		return nil, err
	}
	sheets := map[string]*xlsx.Sheet{}
	var missing []errs.Field
	for _, want := range []string{xlInfoSheet, xlGroupSheet, xlIndexSheet} {
		name, ok := wb.Find(want)
		if !ok {
			if want != xlGroupSheet {
				missing = append(missing, errs.Field{Name: want, Code: "missing_sheet", Args: []any{want}})
			}
			continue
		}
		sh, err := wb.Sheet(name)
		if err != nil {
			return nil, err
		}
		sheets[want] = sh
	}
	if len(missing) > 0 {
		return nil, errs.Invalid(missing...)
	}
	p.parseInfo(sheets[xlInfoSheet], ch)
	if sh := sheets[xlGroupSheet]; sh != nil {
		for row := 2; row <= sh.Rows(); row++ {
			code, name := sh.Text(1, row, "Mã nhóm"), sh.Text(2, row, "Tên nhóm")
			if code == "" && name == "" {
				continue
			}
			f := fmt.Sprintf("groups[%d].", len(p.f.Groups))
			p.cells[f+"code"] = [2]string{sh.Ref(1, row), "Mã nhóm"}
			p.cells[f+"name"] = [2]string{sh.Ref(2, row), "Tên nhóm"}
			p.f.Groups = append(p.f.Groups, Group{Code: code, Name: name})
		}
		p.issues = append(p.issues, sh.Errors()...)
	}
	p.parseIndices(sheets[xlIndexSheet], ch)
	return p, nil
}

func (p *xlParsed) parseInfo(sh *xlsx.Sheet, ch xlChoices) {
	for row := 1; row <= sh.Rows(); row++ {
		label := xlsx.Fold(sh.At(1, row).String())
		for _, it := range xlInfo {
			if label != xlsx.Fold(it.label) {
				continue
			}
			p.cells[it.field] = [2]string{sh.Ref(2, row), it.label}
			switch it.field {
			case "code":
				p.f.Code = sh.Text(2, row, it.label)
			case "name":
				p.f.Name = sh.Text(2, row, it.label)
			case "decision":
				p.f.Decision = sh.Text(2, row, it.label)
			case "issuedOn":
				p.f.IssuedOn, _ = sh.Date(2, row, it.label)
			case "issuer":
				p.f.Issuer = sh.Text(2, row, it.label)
			case "owner":
				p.f.Owner = sh.Text(2, row, it.label)
			case "level":
				p.f.Level = sh.Choice(2, row, it.label, ch.level)
			case "yearFrom":
				p.f.YearFrom, _ = sh.Year(2, row, it.label)
			case "yearTo":
				p.f.YearTo, _ = sh.Year(2, row, it.label)
			case "totalPoints":
				p.f.TotalPoints, _ = sh.Number(2, row, it.label)
			case "note":
				p.f.Note = sh.Text(2, row, it.label)
			}
		}
	}
	for _, it := range xlInfo {
		if _, ok := p.cells[it.field]; !ok && it.field != "note" && it.field != "owner" && it.field != "decision" && it.field != "issuedOn" && it.field != "issuer" {
			p.issues = append(p.issues, errs.Field{Name: xlInfoSheet, Code: "dti.xlsx_missing_row", Args: []any{it.label}})
		}
	}
	p.issues = append(p.issues, sh.Errors()...)
}

func (p *xlParsed) parseIndices(sh *xlsx.Sheet, ch xlChoices) {
	header := func(c int) string { return xlIndexCols[c-1].Header }
	// The header must be the workbook's: columns are read by position.
	for c := xcType; c <= xcOrigin; c++ {
		if xlsx.Fold(sh.At(c, 1).String()) != xlsx.Fold(header(c)) {
			p.issues = append(p.issues, errs.Field{Name: sh.Ref(c, 1), Code: "dti.xlsx_header", Args: []any{header(c)}})
		}
	}
	if len(p.issues) > 0 {
		return
	}
	sh.ApplyMerges(2, func(col int) (xlsx.MergeRule, string) {
		if col < xcType || col > xcOrigin {
			return xlsx.Ignore, ""
		}
		return xlsx.Refuse, header(col)
	})
	mark := func(path string, col, row int) { p.cells[path] = [2]string{sh.Ref(col, row), header(col)} }
	for row := 2; row <= sh.Rows(); row++ {
		blank := true
		for c := xcType; c <= xcOrigin; c++ {
			blank = blank && sh.At(c, row).IsBlank()
		}
		if blank {
			continue
		}
		kind := sh.Choice(xcType, row, header(xcType), ch.rowType)
		max, _ := sh.Number(xcMax, row, header(xcMax))
		prov := sh.Choice(xcProvenance, row, header(xcProvenance), ch.provenance)
		switch kind {
		case xlMain:
			m := MainIndex{Code: sh.Text(xcCode, row, header(xcCode)), Name: sh.Text(xcName, row, header(xcName)), Group: sh.Text(xcGroup, row, header(xcGroup)),
				Pillar: sh.Choice(xcPillar, row, header(xcPillar), ch.pillar), MaxPoints: max, Provenance: prov, Source: sh.Text(xcOrigin, row, header(xcOrigin)), Components: []Component{}}
			if sh.Choice(xcScored, row, header(xcScored), ch.scored) == "no" {
				no := false
				m.Scored = &no
			}
			f := fmt.Sprintf("mainIndices[%d]", len(p.f.MainIndices))
			mark(f, xcCode, row)
			for path, col := range map[string]int{".code": xcCode, ".name": xcName, ".group": xcGroup, ".pillar": xcPillar, ".maxPoints": xcMax, ".provenance": xcProvenance, ".source": xcOrigin, ".components": xcCode} {
				mark(f+path, col, row)
			}
			p.f.MainIndices = append(p.f.MainIndices, m)
		case xlComponent:
			if len(p.f.MainIndices) == 0 {
				sh.Fail(xcType, row, header(xcType), "dti.xlsx_component_first")
				continue
			}
			c := Component{Code: sh.Text(xcCode, row, header(xcCode)), Name: sh.Text(xcName, row, header(xcName)), MaxPoints: max,
				Rule:     Rule{Kind: sh.Choice(xcRule, row, header(xcRule), ch.rule)},
				Evidence: sh.Text(xcEvidence, row, header(xcEvidence)), DataSource: sh.Text(xcSource, row, header(xcSource)), Verifier: sh.Text(xcVerifier, row, header(xcVerifier)),
				Indicator: sh.Text(xcIndicator, row, header(xcIndicator)), Provenance: prov, Source: sh.Text(xcOrigin, row, header(xcOrigin))}
			if c.Rule.Kind == "" {
				c.Rule.Kind = Manual
			}
			if code, args := parseParams(&c.Rule, sh.Text(xcParams, row, header(xcParams))); code != "" {
				sh.Fail(xcParams, row, header(xcParams), code, args...)
			}
			mi := len(p.f.MainIndices) - 1
			m := &p.f.MainIndices[mi]
			f := fmt.Sprintf("mainIndices[%d].components[%d]", mi, len(m.Components))
			for path, col := range map[string]int{"": xcCode, ".code": xcCode, ".name": xcName, ".maxPoints": xcMax, ".rule": xcParams, ".rule.kind": xcRule, ".evidence": xcEvidence,
				".dataSource": xcSource, ".verifier": xcVerifier, ".indicator": xcIndicator, ".provenance": xcProvenance, ".source": xcOrigin} {
				mark(f+path, col, row)
			}
			m.Components = append(m.Components, c)
		}
	}
	p.cells["mainIndices"] = [2]string{xlIndexSheet, ""}
	p.issues = append(p.issues, sh.Errors()...)
}

// cellsOf renames the fields of a validation error after the cells they
// came from (the longest known prefix of each path), ordered by sheet and
// cell; other errors pass unchanged.
func (p *xlParsed) cellsOf(err error) error {
	e, ok := errs.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	paths := make([]string, 0, len(p.cells))
	for k := range p.cells {
		paths = append(paths, k)
	}
	sort.Slice(paths, func(i, j int) bool { return len(paths[i]) > len(paths[j]) })
	out := make([]errs.Field, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f
		for _, path := range paths {
			if f.Name == path || strings.HasPrefix(f.Name, path+".") || strings.HasPrefix(f.Name, path+"[") {
				c := p.cells[path]
				out[i].Name, out[i].Column = c[0], c[1]
				break
			}
		}
	}
	return errs.Invalid(out...)
}
