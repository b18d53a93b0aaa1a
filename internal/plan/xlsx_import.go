package plan

// Reading an uploaded plan workbook into a Doc that goes through the same
// Validate/Import as JSON, and naming every problem by sheet and cell —
// those of reading (internal/xlsx) and those of validation alike.

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// xlsxLimits are the limits of a plan upload.
func xlsxLimits() xlsx.Limits { return xlsx.DefaultLimits() }

// xlsxImportSlots and xlsxImportWait bound concurrent imports: a fourth
// waits this long for a slot, then is told to try again.
const (
	xlsxImportSlots = 3
	xlsxImportWait  = 2 * time.Second
)

// xlRow is where one target or task sits.
type xlRow struct {
	row        int
	milestones []int // column of each milestone, in Doc order
}

// xlMap locates the Doc's members in the workbook.
type xlMap struct {
	sheets   map[string]string // the template's sheet name → the file's ("KẾ HOẠCH")
	plan     map[string]string // key → "Kế hoạch!B2"
	tcols    map[string]int    // target key → column (1-based)
	kcols    map[string]int    // task key → column
	years    []int             // columns of the milestone years
	targets  []xlRow
	tasks    []xlRow
	tHeaders map[int]string // column → header as written
	kHeaders map[int]string
}

func (m *xlMap) sheet(name string) string {
	if s, ok := m.sheets[name]; ok {
		return s
	}
	return name
}

// xlParsed is a workbook read into a Doc.
type xlParsed struct {
	doc    Doc
	m      xlMap
	issues []errs.Field
	fatal  bool // nothing beyond issues can be checked
}

// fail records an error that stops the reading (a file or structure one).
func (p *xlParsed) fail(err error) {
	p.fatal = true
	if e, ok := errs.As(err); ok && len(e.Fields) > 0 {
		p.issues = append(p.issues, e.Fields...)
		return
	}
	p.issues = append(p.issues, xlsx.FileError("xlsx_corrupt").Fields...)
}

// xlParse reads an uploaded workbook. It never panics: a file it cannot
// read is one issue.
func (s *Store) xlParse(ctx context.Context, data []byte) (p *xlParsed) {
	p = &xlParsed{m: xlMap{sheets: map[string]string{}}}
	defer func() {
		if v := recover(); v != nil {
			p = &xlParsed{}
			p.fail(nil)
		}
	}()
	wb, err := xlsx.Open(data, xlsxLimits())
	if err != nil {
		p.fail(err)
		return p
	}
	sheets := map[string]*xlsx.Sheet{}
	for _, want := range []string{xlPlanSheet, xlTargetSheet, xlTaskSheet} {
		name, ok := wb.Find(want)
		if !ok {
			p.fatal = true
			p.issues = append(p.issues, errs.Field{Name: want, Code: "missing_sheet", Args: []any{want}})
			continue
		}
		sh, err := wb.Sheet(name)
		if err != nil {
			p.fail(err)
			continue
		}
		sheets[want], p.m.sheets[want] = sh, name
	}
	if p.fatal {
		return p
	}
	ch, err := s.xlChoices(ctx)
	if err != nil {
		p.fail(err)
		return p
	}
	p.parsePlan(sheets[xlPlanSheet], ch)
	p.parseTargets(sheets[xlTargetSheet], ch)
	p.parseTasks(sheets[xlTaskSheet], ch)
	for _, want := range []string{xlPlanSheet, xlTargetSheet, xlTaskSheet} {
		p.issues = append(p.issues, sheets[want].Errors()...)
	}
	return p
}

// xlMatch finds which column of cols a header names (by header, alias or
// JSON name), "" when none.
func xlMatch(cols []xlCol, header string) string {
	h := xlsx.Fold(header)
	if h == "" {
		return ""
	}
	for _, c := range cols {
		if h == xlsx.Fold(c.header) || strings.EqualFold(strings.TrimSpace(header), c.key) {
			return c.key
		}
		for _, a := range c.aliases {
			if h == xlsx.Fold(a) {
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

// xlRaw is a cell as written, for finding headers and labels.
func xlRaw(sh *xlsx.Sheet, col, row int) string { return strings.TrimSpace(sh.At(col, row).String()) }

func (p *xlParsed) parsePlan(sh *xlsx.Sheet, ch xlChoices) {
	p.m.plan = map[string]string{}
	type at struct{ col, row int }
	pos := map[string]at{}
	set := func(key string, col, row int) {
		if _, dup := pos[key]; dup {
			h := xlHeaderOf(xlPlanCols, key)
			sh.Fail(col, row, h, "duplicate_column", h)
			return
		}
		pos[key] = at{col, row}
		p.m.plan[key] = sh.Ref(col, row)
	}
	// A header row with a row of values under it, or labels with the value
	// to their right.
	horizontal := 0
	for r := 1; r <= sh.Rows() && r <= 5; r++ {
		n := 0
		for c := 1; c <= sh.Cols(r); c++ {
			if xlMatch(xlPlanCols, xlRaw(sh, c, r)) != "" {
				n++
			}
		}
		if n >= 3 {
			horizontal = r
			break
		}
	}
	read := map[int]bool{} // columns holding values or labels
	first, headerRow := 0, 1
	if horizontal > 0 {
		vr := horizontal + 1
		for ; vr <= sh.Rows(); vr++ {
			blank := true
			for c := 1; c <= sh.Cols(vr); c++ {
				blank = blank && sh.At(c, vr).IsBlank()
			}
			if !blank {
				break
			}
		}
		for c := 1; c <= sh.Cols(horizontal); c++ {
			if key := xlMatch(xlPlanCols, xlRaw(sh, c, horizontal)); key != "" {
				set(key, c, vr)
				read[c] = true
			}
		}
		first, headerRow = horizontal+1, horizontal
	} else {
		for r := 1; r <= sh.Rows(); r++ {
			for c := 1; c <= sh.Cols(r); c++ {
				if key := xlMatch(xlPlanCols, xlRaw(sh, c, r)); key != "" {
					set(key, c+1, r)
					read[c], read[c+1] = true, true
					if first == 0 {
						first = r
					}
					c++
				}
			}
		}
	}
	// One value per field: a merged region over two of them is refused.
	sh.ApplyMerges(max(first, 1), func(col int) (xlsx.MergeRule, string) {
		if read[col] {
			return xlsx.Refuse, xlRaw(sh, col, headerRow)
		}
		return xlsx.Ignore, ""
	})
	label := func(key string) string { return xlHeaderOf(xlPlanCols, key) }
	text := func(key string) string {
		if a, ok := pos[key]; ok {
			return sh.Text(a.col, a.row, label(key))
		}
		return ""
	}
	d := &p.doc
	d.Number, d.Key, d.Title, d.Issuer, d.IssuerUnit = text("number"), text("key"), text("title"), text("issuer"), text("issuerUnit")
	d.Signer, d.Parent, d.Note = text("signer"), text("parent"), text("note")
	if a, ok := pos["status"]; ok {
		d.Status = sh.Choice(a.col, a.row, label("status"), ch.status)
	}
	if a, ok := pos["date"]; ok {
		d.Date, _ = sh.Date(a.col, a.row, label("date"))
	}
	d.LegalBases = xlSplit(text("legalBases"), ";\n")
	if d.LegalBases == nil {
		d.LegalBases = []string{}
	}
	for _, k := range []string{"spanFrom", "spanTo"} {
		a, ok := pos[k]
		if !ok {
			continue // validation says it is required
		}
		y, _ := sh.Year(a.col, a.row, label(k))
		if k == "spanFrom" {
			d.SpanFrom = y
		} else {
			d.SpanTo = y
		}
	}
}

// xlColumns reads a header row: the column of each known key, the
// milestone years (any header that is a year), and problems with headers.
func (p *xlParsed) xlColumns(sh *xlsx.Sheet, cols []xlCol, withYears bool) (head int, at map[int]string, keyCol map[string]int, yearOf map[int]int) {
	keyCol, yearOf, at = map[string]int{}, map[int]int{}, map[int]string{}
	// The header row is the one of the first five naming most columns.
	best := 0
	for r := 1; r <= sh.Rows() && r <= 5; r++ {
		n := 0
		for c := 1; c <= sh.Cols(r); c++ {
			if xlMatch(cols, xlRaw(sh, c, r)) != "" {
				n++
			}
		}
		if n > best {
			best, head = n, r
		}
	}
	if head == 0 {
		head = 1
	}
	var years []int
	for col := 1; col <= sh.Cols(head); col++ {
		h := xlRaw(sh, col, head)
		at[col] = h
		if key := xlMatch(cols, h); key != "" {
			if _, dup := keyCol[key]; dup {
				sh.Fail(col, head, h, "duplicate_column", h)
				continue
			}
			keyCol[key] = col
			continue
		}
		if withYears {
			if y, ok := xlHeaderYear(h); ok {
				if slices.Contains(years, y) {
					sh.Fail(col, head, h, "duplicate_column", h)
					continue
				}
				years = append(years, y)
				yearOf[col] = y
			}
		}
	}
	for _, c := range cols {
		if _, ok := keyCol[c.key]; !ok && c.required {
			p.issues = append(p.issues, errs.Field{Name: sh.Name, Code: "missing_column", Args: []any{c.header}})
			p.fatal = true // every row would fail on it: the structure comes first
		}
	}
	// Merged regions: spread where a value naturally covers several rows,
	// refused in keys and amounts.
	spread := map[int]bool{}
	for _, c := range cols {
		if col, ok := keyCol[c.key]; ok && c.spread {
			spread[col] = true
		}
	}
	sh.ApplyMerges(head+1, func(col int) (xlsx.MergeRule, string) {
		_, year := yearOf[col]
		known := year
		for _, c := range keyCol {
			known = known || c == col
		}
		switch {
		case spread[col]:
			return xlsx.Apply, at[col]
		case known:
			return xlsx.Refuse, at[col]
		}
		return xlsx.Ignore, ""
	})
	return head, at, keyCol, yearOf
}

var xlYearHeader = regexp.MustCompile(`^(?:nam\s*)?(\d{4})(?:\.0+)?$`)

func xlHeaderYear(h string) (int, bool) {
	m := xlYearHeader.FindStringSubmatch(xlsx.Fold(h))
	if m == nil {
		return 0, false
	}
	y, _ := strconv.Atoi(m[1])
	return y, y >= 1900 && y <= 2200
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

// xlLevels reads "tỉnh=55; huyện=40,5" (or "province: 55%"), with an
// optional bare number for the whole. code names what is wrong — a number
// (xlsx_ambiguous_number), a level (xlsx_choice) or the form (xlsx_levels)
// — and args the message's arguments.
func xlLevels(ch xlChoices, v string) (whole *float64, levels []DocLevel, code string, args []any) {
	number := func(s string) (float64, string) {
		f, err := xlsx.ParseNumber(s)
		switch err {
		case nil:
			return f, ""
		case xlsx.ErrAmbiguous:
			return 0, "xlsx_ambiguous_number"
		}
		return 0, "xlsx_levels"
	}
	for _, part := range xlSplit(v, ";\n") {
		name, val, found := strings.Cut(part, "=")
		if !found {
			name, val, found = strings.Cut(part, ":")
		}
		if !found {
			if whole != nil {
				return nil, nil, "xlsx_levels", []any{v}
			}
			f, code := number(part)
			if code != "" {
				return nil, nil, code, []any{part}
			}
			whole = &f
			continue
		}
		f, code := number(val)
		if code != "" {
			if code == "xlsx_levels" {
				return nil, nil, code, []any{v}
			}
			return nil, nil, code, []any{strings.TrimSpace(val)}
		}
		level, ok := ch.level.Code(strings.TrimSpace(name))
		if !ok {
			return nil, nil, "xlsx_choice", []any{strings.TrimSpace(name), strings.Join(ch.level.Labels(), "; ")}
		}
		levels = append(levels, DocLevel{Level: level, Value: f})
	}
	return whole, levels, "", nil
}

// xlRowBlank reports a row with nothing in the columns read.
func xlRowBlank(sh *xlsx.Sheet, row int, keyCols map[string]int, more []int) bool {
	for _, c := range keyCols {
		if !sh.At(c, row).IsBlank() {
			return false
		}
	}
	for _, c := range more {
		if !sh.At(c, row).IsBlank() {
			return false
		}
	}
	return true
}

func (p *xlParsed) parseTargets(sh *xlsx.Sheet, ch xlChoices) {
	cols := append(slices.Clone(xlTargetColsBefore), xlTargetColsAfter...)
	head, at, kc, yearOf := p.xlColumns(sh, cols, true)
	p.m.tcols, p.m.tHeaders = kc, at
	var yearCols []int
	for col := range yearOf {
		yearCols = append(yearCols, col)
	}
	sort.Ints(yearCols)
	p.m.years = yearCols
	p.doc.Targets = []DocTarget{}
	for row := head + 1; row <= sh.Rows(); row++ {
		if xlRowBlank(sh, row, kc, yearCols) {
			continue
		}
		get := func(key string) string {
			if c, ok := kc[key]; ok {
				return sh.Text(c, row, at[c])
			}
			return ""
		}
		choice := func(key string, c *xlsx.Choices) string {
			if col, ok := kc[key]; ok {
				return sh.Choice(col, row, at[col], c)
			}
			return ""
		}
		t := DocTarget{Code: get("code"), Pillar: choice("pillar", ch.pillar), Group: get("group"), Statement: get("statement"), StatementLater: get("statementLater"),
			Measure: get("measure"), Direction: choice("direction", ch.direction), ResponsibleUnit: get("responsibleUnit"),
			Source: choice("source", ch.source), IndicatorCode: get("indicatorCode"), Milestones: []DocValue{}}
		loc := xlRow{row: row}
		yc, vc := kc["baselineYear"], kc["baselineValue"] // 0 when absent: blank
		if !sh.At(yc, row).IsBlank() || !sh.At(vc, row).IsBlank() {
			t.Baseline = &DocBaseline{}
			if !sh.At(yc, row).IsBlank() {
				if y, ok := sh.Year(yc, row, at[yc]); ok {
					t.Baseline.Year = y
				} else {
					t.Baseline.Year = -1 // reported; keeps validation quiet about it
				}
			}
			if !sh.At(vc, row).IsBlank() {
				zero := 0.0 // stands for a value reported as unreadable
				if sh.At(vc, row).Kind == xlsx.Number {
					v, _ := sh.Number(vc, row, at[vc])
					t.Baseline.Value = &v
				} else if text := sh.Text(vc, row, at[vc]); text != "" {
					whole, levels, code, args := xlLevels(ch, text)
					if code != "" {
						sh.Fail(vc, row, at[vc], code, args...)
						whole = &zero
					}
					t.Baseline.Value, t.Baseline.Levels = whole, levels
				} else {
					t.Baseline.Value = &zero
				}
			}
		}
		for _, c := range yearCols {
			cell := sh.At(c, row)
			if cell.IsBlank() {
				continue
			}
			m := DocValue{Year: yearOf[c]}
			zero := 0.0 // stands for a value reported as unreadable
			v := xlsx.Fold(cell.String())
			_, nerr := xlsx.ParseNumber(cell.String())
			switch {
			case cell.Kind == xlsx.Text && (v == "x" || v == "✓" || v == "co"):
				// by level only
			case cell.Kind == xlsx.Text && nerr == xlsx.ErrNotNumber:
				sh.Fail(c, row, at[c], "xlsx_milestone", strings.TrimSpace(cell.String()))
				m.Value = &zero
			default:
				if f, ok := sh.Number(c, row, at[c]); ok {
					m.Value = &f
				} else {
					m.Value = &zero
				}
			}
			t.Milestones = append(t.Milestones, m)
			loc.milestones = append(loc.milestones, c)
		}
		if lv := get("levels"); lv != "" {
			c := kc["levels"]
			whole, levels, code, args := xlLevels(ch, lv)
			switch {
			case code != "":
				sh.Fail(c, row, at[c], code, args...)
			case whole != nil:
				sh.Fail(c, row, at[c], "xlsx_levels", lv)
			default:
				t.Levels = levels
			}
		}
		p.doc.Targets = append(p.doc.Targets, t)
		p.m.targets = append(p.m.targets, loc)
	}
}

func (p *xlParsed) parseTasks(sh *xlsx.Sheet, ch xlChoices) {
	head, at, kc, _ := p.xlColumns(sh, xlTaskCols, false)
	p.m.kcols, p.m.kHeaders = kc, at
	p.doc.Tasks = []DocTask{}
	for row := head + 1; row <= sh.Rows(); row++ {
		if xlRowBlank(sh, row, kc, nil) {
			continue
		}
		get := func(key string) string {
			if c, ok := kc[key]; ok {
				return sh.Text(c, row, at[c])
			}
			return ""
		}
		groups := func(key string) []string {
			var out []string
			for _, g := range xlSplit(get(key), ";\n") {
				code, ok := ch.group.Code(g)
				if !ok {
					c := kc[key]
					sh.Fail(c, row, at[c], "xlsx_choice", g, strings.Join(ch.group.Labels(), "; "))
					continue
				}
				out = append(out, code)
			}
			return out
		}
		t := DocTask{Number: get("number"), Group: get("group"), Description: get("description"),
			LeadText: get("leadText"), LeadUnits: xlSplit(get("leadUnits"), ";,\n\t "), LeadGroups: groups("leadGroups"),
			CoordinatingText: get("coordinatingText"), CoordinatingUnits: xlSplit(get("coordinatingUnits"), ";,\n\t "), CoordinatingGroups: groups("coordinatingGroups"),
			TimeText: get("timeText"), Output: get("output"), BudgetSource: get("budgetSource")}
		if c, ok := kc["pillar"]; ok {
			t.Pillar = sh.Choice(c, row, at[c], ch.pillar)
		}
		for _, k := range []string{"from", "to"} {
			c, ok := kc[k]
			if !ok {
				continue
			}
			if y, ok := sh.Year(c, row, at[c]); ok {
				if k == "from" {
					t.From = &y
				} else {
					t.To = &y
				}
			}
		}
		if c, ok := kc["budget"]; ok {
			if f, ok := sh.Number(c, row, at[c]); ok {
				t.Budget = &f
			}
		}
		p.doc.Tasks = append(p.doc.Tasks, t)
		p.m.tasks = append(p.m.tasks, xlRow{row: row})
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
		return m.sheet(xlPlanSheet), xlHeaderOf(xlPlanCols, path)
	}
	i, _ := strconv.Atoi(mm[2])
	rest := mm[3]
	if mm[1] == "tasks" {
		sheet := m.sheet(xlTaskSheet)
		if i >= len(m.tasks) {
			return sheet, ""
		}
		row := m.tasks[i].row
		key := strings.SplitN(xlIndex.ReplaceAllString(rest, ""), ".", 2)[0]
		if key == "" {
			key = "number"
		}
		col := m.kcols[key]
		if col == 0 {
			return sheet + "!" + xlsx.CellName(1, row), xlHeaderOf(xlTaskCols, key)
		}
		return sheet + "!" + xlsx.CellName(col, row), m.kHeaders[col]
	}
	sheet := m.sheet(xlTargetSheet)
	if i >= len(m.targets) {
		return sheet, ""
	}
	t := m.targets[i]
	cols := append(slices.Clone(xlTargetColsBefore), xlTargetColsAfter...)
	at := func(key string) (string, string) {
		col := m.tcols[key]
		if col == 0 {
			return sheet + "!" + xlsx.CellName(1, t.row), xlHeaderOf(cols, key)
		}
		return sheet + "!" + xlsx.CellName(col, t.row), m.tHeaders[col]
	}
	if ms := xlMilePath.FindStringSubmatch(rest); ms != nil {
		j, _ := strconv.Atoi(ms[1])
		if j < len(t.milestones) {
			return sheet + "!" + xlsx.CellName(t.milestones[j], t.row), m.tHeaders[t.milestones[j]]
		}
	}
	switch key := xlIndex.ReplaceAllString(rest, ""); key {
	case "", "code":
		return at("code")
	case "milestones":
		if len(m.years) > 0 {
			return sheet + "!" + xlsx.CellName(m.years[0], t.row), "Mốc theo năm"
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

// xlBad tells whether validation's complaint about a cell adds nothing to
// a reading problem there (the cell, or a refused merged region over it).
type xlBad struct {
	cells  map[string]bool
	ranges []string // "Nhiệm vụ!C5:C6"
}

func (b xlBad) has(ref string) bool {
	if b.cells[ref] {
		return true
	}
	sheet, cell, ok := strings.Cut(ref, "!")
	if !ok {
		return false
	}
	col, row := xlCellPos(cell)
	for _, r := range b.ranges {
		rs, rc, _ := strings.Cut(r, "!")
		a, z, _ := strings.Cut(rc, ":")
		c1, r1 := xlCellPos(a)
		c2, r2 := xlCellPos(z)
		if rs == sheet && col >= c1 && col <= c2 && row >= r1 && row <= r2 {
			return true
		}
	}
	return false
}

// xlCellPos reads "B5" (0, 0 when it is not a cell).
func xlCellPos(cell string) (int, int) {
	i := strings.IndexFunc(cell, func(r rune) bool { return r >= '0' && r <= '9' })
	if i <= 0 {
		return 0, 0
	}
	row, err := strconv.Atoi(cell[i:])
	if err != nil {
		return 0, 0
	}
	col := 0
	for _, r := range strings.ToUpper(cell[:i]) {
		col = col*26 + int(r-'A') + 1
	}
	return col, row
}

// xlErrorOf turns reading problems and a validation error into one error
// whose fields are cells (with their column), ordered by sheet, row and
// column. Validation errors on a cell that could not be read are left out
// (the reading error says more).
func (p *xlParsed) xlErrorOf(verr error) error {
	issues := slices.Clone(p.issues)
	bad := xlBad{cells: map[string]bool{}}
	for _, is := range issues {
		if strings.Contains(is.Name, ":") {
			bad.ranges = append(bad.ranges, is.Name)
		} else {
			bad.cells[is.Name] = true
		}
	}
	spanBad := bad.has(p.m.plan["spanFrom"]) || bad.has(p.m.plan["spanTo"])
	planSheet := p.m.sheet(xlPlanSheet)
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
			if bad.has(ref) && ref != planSheet || spanBad && f.Code == "outside_span" {
				continue
			}
			args := slices.Clone(f.Args)
			for i, a := range args {
				if s, ok := a.(string); ok && xlItemPath.MatchString(s) {
					args[i], _ = p.m.locate(s)
				}
			}
			issues = append(issues, errs.Field{Name: ref, Code: f.Code, Args: args, Column: label})
		}
	} else if verr != nil {
		return verr
	}
	if len(issues) == 0 {
		return nil
	}
	order := map[string]int{xlsx.FileField: 0, planSheet: 1, p.m.sheet(xlTargetSheet): 2, p.m.sheet(xlTaskSheet): 3}
	pos := func(ref string) (int, int, int) {
		sheet, cell, _ := strings.Cut(ref, "!")
		c, r := xlCellPos(strings.SplitN(cell, ":", 2)[0])
		return order[sheet], r, c
	}
	sort.SliceStable(issues, func(i, j int) bool {
		si, ri, ci := pos(issues[i].Name)
		sj, rj, cj := pos(issues[j].Name)
		if si != sj {
			return si < sj
		}
		if ri != rj {
			return ri < rj
		}
		return ci < cj
	})
	return errs.Invalid(issues...)
}

// xlsxImport parses a workbook and imports it through the same path as the
// JSON import, one of a bounded number at a time. Errors name cells;
// nothing is written on any error.
func (s *Store) xlsxImport(r *http.Request, data []byte) (ImportResult, Doc, error) {
	release, err := s.imports.Acquire(r.Context())
	if err != nil {
		return ImportResult{}, Doc{}, err
	}
	defer release()
	p := s.xlParse(r.Context(), data)
	if p.fatal {
		return ImportResult{}, p.doc, p.xlErrorOf(nil)
	}
	if len(p.issues) > 0 {
		// Cells that could not be read: report them with everything
		// validation finds in the rest, and import nothing.
		if _, err := s.AuthorizeImport(r.Context(), org.PrincipalFrom(r.Context()), p.doc); err != nil {
			return ImportResult{}, p.doc, err
		}
		_, verr := s.Validate(r.Context(), p.doc)
		if _, ok := errs.As(verr); verr != nil && !ok {
			return ImportResult{}, p.doc, verr
		}
		return ImportResult{}, p.doc, p.xlErrorOf(verr)
	}
	res, err := s.importDoc(r, p.doc)
	if err != nil {
		if e, ok := errs.As(err); ok && e.Code == "validation_failed" {
			return res, p.doc, p.xlErrorOf(err)
		}
		return res, p.doc, err
	}
	return res, p.doc, nil
}
