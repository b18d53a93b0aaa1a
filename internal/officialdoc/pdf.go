package officialdoc

import (
	"embed"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

//go:embed fonts/Tinos-Regular.ttf fonts/Tinos-Bold.ttf fonts/Tinos-Italic.ttf fonts/Tinos-BoldItalic.ttf
var fonts embed.FS

// Page geometry of Nghị định 30 (A4; margins top and bottom 20–25 mm,
// left 30–35 mm, right 15–20 mm), in millimetres.
const (
	marginLeft   = 30.0
	marginRight  = 15.0
	marginTop    = 20.0
	marginBottom = 20.0
	pageWidth    = 210.0
	textWidth    = pageWidth - marginLeft - marginRight
	family       = "Tinos"
	indent       = 10.0 // the first line of a paragraph (1–1.27 cm)
)

// pt converts a font size to a line height in millimetres.
func pt(size float64) float64 { return size * 0.3528 * 1.25 }

// PDF writes d as an A4 PDF with its fonts embedded (subset), and returns
// the page on which the appendix begins (0 without one).
func PDF(w io.Writer, d Doc) (appendixPage int, err error) {
	f := fpdf.New("P", "mm", "A4", "")
	for style, file := range map[string]string{"": "Regular", "B": "Bold", "I": "Italic", "BI": "BoldItalic"} {
		b, err := fonts.ReadFile("fonts/Tinos-" + file + ".ttf")
		if err != nil {
			return 0, err
		}
		f.AddUTF8FontFromBytes(family, style, b)
	}
	if f.Err() {
		return 0, f.Error()
	}
	f.SetMargins(marginLeft, marginTop, marginRight)
	f.SetAutoPageBreak(true, marginBottom)
	f.SetTitle(strings.TrimSpace(d.Kind+" "+d.Title), true)
	f.SetCreator("tinhso", true)
	f.SetCreationDate(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) // reproducible output
	f.SetCellMargin(1)
	// The page number, from the second page, centred at the head (Phụ lục I, mục VIII).
	f.SetHeaderFunc(func() {
		if n := f.PageNo(); n > 1 {
			f.SetFont(family, "", 13)
			f.SetXY(marginLeft, 10)
			f.CellFormat(textWidth, 5, fmt.Sprint(n), "", 0, "C", false, 0, "")
			f.SetXY(marginLeft, marginTop)
		}
	})
	if d.Note != "" {
		f.SetFooterFunc(func() {
			f.SetFont(family, "I", 9)
			f.SetXY(marginLeft, -14)
			f.MultiCell(textWidth, 4, d.Note, "", "C", false)
		})
	}
	f.AddPage()
	p := &pdf{f: f}
	p.header(d)
	for _, s := range d.Sections {
		p.section(s)
	}
	p.signature(d)
	if d.Appendix != nil {
		f.AddPage()
		appendixPage = f.PageNo()
		f.SetFont(family, "B", 14)
		f.MultiCell(textWidth, pt(14), d.Appendix.Title, "", "C", false)
		if d.Appendix.Subtitle != "" {
			f.SetFont(family, "I", 13)
			f.MultiCell(textWidth, pt(13), d.Appendix.Subtitle, "", "C", false)
		}
		f.Ln(3)
		for _, s := range d.Appendix.Sections {
			p.section(s)
		}
	}
	if f.Err() {
		return 0, f.Error()
	}
	return appendixPage, f.Output(w)
}

type pdf struct{ f *fpdf.Fpdf }

// centred writes lines centred in a column and returns the y below them.
func (p *pdf) centred(x, y, w float64, style string, size float64, text string) float64 {
	f := p.f
	f.SetFont(family, style, size)
	f.SetXY(x, y)
	f.MultiCell(w, pt(size), text, "", "C", false)
	return f.GetY()
}

// rule draws a thin line of width w centred in a column.
func (p *pdf) rule(x, w, colW, y float64) {
	p.f.SetLineWidth(0.3)
	p.f.Line(x+(colW-w)/2, y, x+(colW+w)/2, y)
}

func (p *pdf) header(d Doc) {
	f := p.f
	const leftW, rightX, rightW = 72.0, 98.0, pageWidth - marginRight - 98.0
	top := marginTop
	// Ô 2: the issuing body; ô 3: its number and symbol.
	y := top
	if d.ParentBody != "" {
		y = p.centred(marginLeft-8, y, leftW, "", 12.5, d.ParentBody)
	}
	y = p.centred(marginLeft-8, y, leftW, "B", 12.5, d.Body)
	f.SetFont(family, "B", 12.5)
	p.rule(marginLeft-8, min(leftW/2.5, f.GetStringWidth(d.Body)), leftW, y+0.8)
	y = p.centred(marginLeft-8, y+2.5, leftW, "", 13, d.NumberLine())
	leftEnd := y
	// Ô 1: Quốc hiệu and tiêu ngữ; ô 4: place and date.
	y = p.centred(rightX, top, rightW, "B", 12.5, NationalTitle)
	y = p.centred(rightX, y, rightW, "B", 13.5, Motto)
	f.SetFont(family, "B", 13.5)
	p.rule(rightX, f.GetStringWidth(Motto), rightW, y+0.6)
	y = p.centred(rightX, y+2.5, rightW, "I", 13.5, d.DateLine())
	y = max(y, leftEnd) + 6
	// Ô 5: the kind and title.
	if d.Kind != "" {
		y = p.centred(marginLeft, y, textWidth, "B", 14, d.Kind)
	}
	if d.Title != "" {
		y = p.centred(marginLeft, y, textWidth, "B", 14, d.Title)
	}
	p.rule(marginLeft, 30, textWidth, y+1)
	f.SetXY(marginLeft, y+5)
}

// paragraph writes a justified paragraph with its first line indented.
func (p *pdf) paragraph(text string, size float64, first float64) {
	f := p.f
	f.SetFont(family, "", size)
	h := pt(size)
	for _, para := range strings.Split(text, "\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		lines := f.SplitText(para, textWidth-first)
		f.SetX(marginLeft + first)
		if len(lines) <= 1 {
			f.CellFormat(textWidth-first, h, para, "", 1, "L", false, 0, "")
		} else {
			f.CellFormat(textWidth-first, h, lines[0], "", 1, "J", false, 0, "")
			rest := strings.TrimSpace(strings.TrimPrefix(para, lines[0]))
			f.SetX(marginLeft)
			f.MultiCell(textWidth, h, rest, "", "J", false)
		}
		f.Ln(1.5)
	}
}

func (p *pdf) section(s Section) {
	f := p.f
	if s.Heading != "" {
		f.SetFont(family, "B", 13.5)
		f.SetX(marginLeft)
		f.MultiCell(textWidth, pt(13.5), s.Heading, "", "L", false)
		f.Ln(1)
	}
	for i, para := range s.Paragraphs {
		if s.Numbered {
			para = fmt.Sprintf("%d. %s", i+1, para)
		}
		p.paragraph(para, 13.5, indent)
	}
	if s.Table != nil {
		p.table(*s.Table)
		f.Ln(3)
	}
	for _, para := range s.After {
		p.paragraph(para, 13.5, indent)
	}
}

func (p *pdf) widths(t Table) []float64 {
	ws := make([]float64, len(t.Columns))
	fixed, free := 0.0, 0
	for i, c := range t.Columns {
		ws[i] = c.Width
		fixed += c.Width
		if c.Width == 0 {
			free++
		}
	}
	for i := range ws {
		if ws[i] == 0 {
			ws[i] = max(15, (textWidth-fixed)/float64(free))
		}
	}
	return ws
}

const tableSize = 11.0

func (p *pdf) table(t Table) {
	f := p.f
	ws := p.widths(t)
	h := pt(tableSize)
	_, pageH := f.GetPageSize()
	bottom := pageH - marginBottom
	head := func() {
		f.SetFont(family, "B", tableSize)
		p.row(ws, h, cellsOf(t.Columns), nil, false, true)
		f.SetFont(family, "", tableSize)
	}
	head()
	for _, r := range t.Rows {
		style := ""
		if r.Group {
			style = "B"
		}
		f.SetFont(family, style, tableSize)
		if f.GetY()+p.height(ws, h, r) > bottom {
			f.AddPage()
			head()
			f.SetFont(family, style, tableSize)
		}
		p.row(ws, h, r.Cells, t.Columns, r.Group, false)
	}
	f.SetFont(family, "", tableSize)
}

func cellsOf(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Title
	}
	return out
}

func (p *pdf) height(ws []float64, h float64, r Row) float64 {
	if r.Group {
		total := 0.0
		for _, w := range ws {
			total += w
		}
		return float64(max(1, len(p.f.SplitText(strings.Join(r.Cells, " "), total)))) * h
	}
	n := 1
	for i, c := range r.Cells {
		if i < len(ws) {
			n = max(n, len(p.f.SplitText(c, ws[i])))
		}
	}
	return float64(n)*h + 1
}

// row draws one bordered row; a group row is one cell across the table.
func (p *pdf) row(ws []float64, h float64, cells []string, cols []Column, group, header bool) {
	f := p.f
	x, y := marginLeft, f.GetY()
	if group {
		total := 0.0
		for _, w := range ws {
			total += w
		}
		f.SetXY(x, y)
		f.MultiCell(total, h, strings.Join(cells, " "), "1", "L", false)
		return
	}
	rh := p.height(ws, h, Row{Cells: cells})
	for i, w := range ws {
		c := ""
		if i < len(cells) {
			c = cells[i]
		}
		f.Rect(x, y, w, rh, "D")
		f.SetXY(x, y+0.5)
		align := "L"
		if header {
			align = "C"
		} else if i < len(cols) && cols[i].Right {
			align = "R"
		}
		f.MultiCell(w, h, c, "", align, false)
		x += w
	}
	f.SetXY(marginLeft, y+rh)
}

// signature writes the signer's block on the right and «Nơi nhận:» on the
// left, side by side (ô 7 and ô 9).
func (p *pdf) signature(d Doc) {
	f := p.f
	const leftW, rightX = 80.0, 105.0
	rightW := pageWidth - marginRight - rightX
	_, pageH := f.GetPageSize()
	// Keep the block together: it needs about 60 mm.
	need := 45.0 + float64(len(d.Recipients))*pt(11)
	if f.GetY()+need > pageH-marginBottom {
		f.AddPage()
	}
	top := f.GetY() + 4
	y := top
	if d.SignerAuthority != "" {
		y = p.centred(rightX, y, rightW, "B", 13.5, d.SignerAuthority)
	}
	if d.SignerTitle != "" {
		y = p.centred(rightX, y, rightW, "B", 13.5, d.SignerTitle)
	}
	y = p.centred(rightX, y+24, rightW, "B", 13.5, d.SignerName)
	signEnd := y
	f.SetFont(family, "BI", 12)
	f.SetXY(marginLeft, top)
	f.CellFormat(leftW, pt(12), "Nơi nhận:", "", 1, "L", false, 0, "")
	f.SetFont(family, "", 11)
	for _, r := range d.Recipients {
		f.SetX(marginLeft)
		f.MultiCell(leftW, pt(11), "- "+r, "", "L", false)
	}
	f.SetXY(marginLeft, max(signEnd, f.GetY())+2)
}
