package xlsx_test

import (
	"bytes"
	"encoding/csv"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/xlsx"
)

func TestSendExport(t *testing.T) {
	v := 87.5
	e := xlsx.Export{Name: "Chỉ tiêu báo cáo", Columns: []xlsx.Column{{Header: "Mã"}, {Header: "Tên"}, {Header: "Giá trị", Format: xlsx.NumberFmt}, {Header: "Ngày", Format: xlsx.DateFmt}},
		Rows: [][]any{{"CDS.DVC", "Tỷ lệ dịch vụ công, \"toàn trình\"", &v, xlsx.ISODate("2025-07-01")}, {"X", "", nil, nil}}}
	w := httptest.NewRecorder()
	if err := xlsx.SendExport(w, "csv", e); err != nil {
		t.Fatal(err)
	}
	body := w.Body.Bytes()
	if !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("CSV starts %q, want the UTF-8 BOM", body[:min(3, len(body))])
	}
	recs, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[1][1] != "Tỷ lệ dịch vụ công, \"toàn trình\"" || recs[1][2] != "87.5" || recs[1][3] != "2025-07-01" || recs[2][2] != "" {
		t.Errorf("CSV records %q", recs)
	}
	if cd := w.Header().Get("Content-Disposition"); !strings.Contains(cd, ".csv") || strings.Contains(cd, ".xlsx") {
		t.Errorf("disposition %q", cd)
	}

	w = httptest.NewRecorder()
	if err := xlsx.SendExport(w, "", e); err != nil {
		t.Fatal(err)
	}
	wb, err := xlsx.Open(w.Body.Bytes(), xlsx.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	sh, err := wb.Sheet(wb.SheetNames()[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := sh.At(2, 2).String(); got != "Tỷ lệ dịch vụ công, \"toàn trình\"" {
		t.Errorf("B2 = %q", got)
	}
	if got := sh.At(3, 2).String(); got != "87.5" {
		t.Errorf("C2 = %q, want the number 87.5", got)
	}

	if err := xlsx.SendExport(httptest.NewRecorder(), "pdf", e); err == nil {
		t.Error("format pdf accepted")
	}
}
