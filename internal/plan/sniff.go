package plan

import (
	"archive/zip"
	"bytes"
	"net/http"
	"strings"
	"unicode/utf8"
)

// oleMagic starts the compound files of Word and Excel 97–2003.
const oleMagic = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"

// ContentMatches reports whether an evidence file's bytes are what its
// declared type (one of AllowedTypes) says: a PDF starts with its
// header, Word and Excel files are ZIP packages holding word/ or xl/ (or
// the old compound format), images are what http.DetectContentType reads,
// and text is valid UTF-8 without NUL bytes. The declared type is the one
// the download is sent with, so a mismatch is refused rather than stored.
func ContentMatches(contentType string, data []byte) bool {
	switch contentType {
	case "application/pdf":
		// The header may follow a little junk, as readers accept.
		return bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-"))
	case "image/png", "image/jpeg":
		return http.DetectContentType(data) == contentType
	case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		return ooxmlHolds(data, "word/")
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return ooxmlHolds(data, "xl/")
	case "application/msword", "application/vnd.ms-excel":
		return bytes.HasPrefix(data, []byte(oleMagic))
	case "text/plain; charset=utf-8", "text/csv; charset=utf-8":
		return utf8.Valid(data) && !bytes.ContainsRune(data, 0)
	}
	return false
}

// ooxmlHolds reports whether data is an Office Open XML package (a ZIP
// with [Content_Types].xml) with a part under dir.
func ooxmlHolds(data []byte, dir string) bool {
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return false
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return false
	}
	var types, part bool
	for _, f := range zr.File {
		types = types || f.Name == "[Content_Types].xml"
		part = part || strings.HasPrefix(f.Name, dir)
	}
	return types && part
}
