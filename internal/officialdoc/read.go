package officialdoc

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"unicode/utf16"
)

// Pages reads back the text of each page of a PDF this package wrote (for
// tests and checks; not a general PDF reader). It checks the structure a
// reader relies on first: the header, the cross-reference table (every
// entry at its object), the trailer and the page tree.
func Pages(pdf []byte) ([]string, error) {
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimSpace(pdf), []byte("%%EOF")) {
		return nil, errors.New("pdf: no header or no %%EOF")
	}
	m := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(pdf)
	if m == nil {
		return nil, errors.New("pdf: no startxref")
	}
	at, _ := strconv.Atoi(string(m[1]))
	if at >= len(pdf) || !bytes.HasPrefix(pdf[at:], []byte("xref")) {
		return nil, errors.New("pdf: startxref does not point at the xref table")
	}
	xm := regexp.MustCompile(`^xref\s+0 (\d+)\s+`).FindSubmatch(pdf[at:])
	if xm == nil {
		return nil, errors.New("pdf: bad xref header")
	}
	n, _ := strconv.Atoi(string(xm[1]))
	entries := regexp.MustCompile(`(\d{10}) (\d{5}) ([nf])`).FindAllSubmatch(pdf[at:], n)
	if len(entries) != n {
		return nil, fmt.Errorf("pdf: xref has %d entries, says %d", len(entries), n)
	}
	objs := map[int][]byte{}
	for i, e := range entries {
		if string(e[3]) != "n" {
			continue
		}
		off, _ := strconv.Atoi(string(e[1]))
		head := fmt.Sprintf("%d 0 obj", i)
		if off >= len(pdf) || !bytes.HasPrefix(pdf[off:], []byte(head)) {
			return nil, fmt.Errorf("pdf: xref entry %d does not point at its object", i)
		}
		end := bytes.Index(pdf[off:], []byte("endobj"))
		if end < 0 {
			return nil, fmt.Errorf("pdf: object %d has no endobj", i)
		}
		objs[i] = pdf[off+len(head) : off+end]
	}
	root := regexp.MustCompile(`/Root (\d+) 0 R`).FindSubmatch(pdf[at:])
	if root == nil {
		return nil, errors.New("pdf: no /Root in the trailer")
	}
	rootN, _ := strconv.Atoi(string(root[1]))
	pm := regexp.MustCompile(`/Pages (\d+) 0 R`).FindSubmatch(objs[rootN])
	if pm == nil {
		return nil, errors.New("pdf: the catalogue names no page tree")
	}
	pagesN, _ := strconv.Atoi(string(pm[1]))
	kids := regexp.MustCompile(`/Kids \[([^\]]*)\]`).FindSubmatch(objs[pagesN])
	count := regexp.MustCompile(`/Count (\d+)`).FindSubmatch(objs[pagesN])
	if kids == nil || count == nil {
		return nil, errors.New("pdf: page tree without /Kids or /Count")
	}
	refs := regexp.MustCompile(`(\d+) 0 R`).FindAllSubmatch(kids[1], -1)
	if c, _ := strconv.Atoi(string(count[1])); c != len(refs) {
		return nil, fmt.Errorf("pdf: /Count %d, %d kids", c, len(refs))
	}
	var out []string
	for _, r := range refs {
		pn, _ := strconv.Atoi(string(r[1]))
		cm := regexp.MustCompile(`/Contents (\d+) 0 R`).FindSubmatch(objs[pn])
		if cm == nil {
			return nil, fmt.Errorf("pdf: page object %d has no contents", pn)
		}
		cn, _ := strconv.Atoi(string(cm[1]))
		content, err := streamOf(objs[cn])
		if err != nil {
			return nil, fmt.Errorf("pdf: page object %d: %w", pn, err)
		}
		out = append(out, textOf(content))
	}
	return out, nil
}

func streamOf(obj []byte) ([]byte, error) {
	i := bytes.Index(obj, []byte("stream"))
	j := bytes.LastIndex(obj, []byte("endstream"))
	if i < 0 || j < i {
		return nil, errors.New("no stream")
	}
	data := bytes.TrimLeft(obj[i+len("stream"):j], "\r\n")
	if !bytes.Contains(obj[:i], []byte("/FlateDecode")) {
		return data, nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// textOf decodes the strings of a content stream (UTF-16BE, as fpdf writes
// text in a Unicode font): the pieces of one text object run together,
// each text object on a line of its own.
func textOf(content []byte) string {
	var out []byte
	inText := false
	for i := 0; i < len(content); i++ {
		switch c := content[i]; {
		case c == 'B' && i+1 < len(content) && content[i+1] == 'T' && (i == 0 || content[i-1] == ' ' || content[i-1] == '\n'):
			inText = true
		case c == 'E' && i+1 < len(content) && content[i+1] == 'T' && inText:
			inText = false
			out = append(out, '\n')
		case c == '(' && inText:
			var raw []byte
			depth := 1
			for i++; i < len(content) && depth > 0; i++ {
				b := content[i]
				switch {
				case b == '\\' && i+1 < len(content):
					i++
					switch e := content[i]; e {
					case 'n':
						raw = append(raw, '\n')
					case 'r':
						raw = append(raw, '\r')
					case 't':
						raw = append(raw, '\t')
					default:
						if e >= '0' && e <= '7' {
							v := 0
							k := 0
							for ; k < 3 && i < len(content) && content[i] >= '0' && content[i] <= '7'; k++ {
								v = v*8 + int(content[i]-'0')
								i++
							}
							i--
							raw = append(raw, byte(v))
						} else {
							raw = append(raw, e)
						}
					}
				case b == '(':
					depth++
					raw = append(raw, b)
				case b == ')':
					depth--
					if depth > 0 {
						raw = append(raw, b)
					}
				default:
					raw = append(raw, b)
				}
			}
			i--
			u := make([]uint16, 0, len(raw)/2)
			for k := 0; k+1 < len(raw); k += 2 {
				u = append(u, uint16(raw[k])<<8|uint16(raw[k+1]))
			}
			out = append(out, string(utf16.Decode(u))...)
		}
	}
	return string(out)
}
