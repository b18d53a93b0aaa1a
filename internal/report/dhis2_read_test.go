package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "dhis2", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// collect reads every value of a JSON payload.
func collectJSON(t testing.TB, payload []byte, opts ReadOptions) (DataValueSet, []DataValue, error) {
	t.Helper()
	var got []DataValue
	h, err := ReadJSON(bytes.NewReader(payload), opts, func(i int, v DataValue) error {
		if i != len(got) {
			t.Fatalf("index %d, want %d", i, len(got))
		}
		got = append(got, v)
		return nil
	})
	return h, got, err
}

func TestReadJSONClientPayload(t *testing.T) {
	var headerAtFirstValue DataValueSet
	calls := 0
	h, got, err := collectJSON(t, readTestdata(t, "client.json"), ReadOptions{OnHeader: func(h DataValueSet) error {
		calls++
		headerAtFirstValue = h
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := DataValueSet{DataSet: "BC_CDS_QUY", CompleteDate: "2025-04-10", Period: "2025Q1", OrgUnit: "XA_TAN_PHONG"}
	if h != wantHeader || headerAtFirstValue != wantHeader || calls != 1 {
		t.Errorf("header %+v, at first value %+v (%d calls), want %+v", h, headerAtFirstValue, calls, wantHeader)
	}
	want := []DataValue{
		{DataElement: "DVC_TRUC_TUYEN_TOAN_TRINH", Period: "2025Q1", OrgUnit: "XA_TAN_PHONG", CategoryOptionCombo: "default", Value: "42", Comment: "Số liệu từ Cổng dịch vụ công, đã đối chiếu"},
		// A bare number is kept as written, as DHIS2 coerces it to a string.
		{DataElement: "TY_LE_HO_SO_DUNG_HAN", Period: "2025Q1", OrgUnit: "XA_TAN_PHONG", Value: "97.5"},
		// Value-level period and orgUnit win over the set level.
		{DataElement: "SO_CAN_BO_DAO_TAO", Period: "2025Q2", OrgUnit: "XA_BINH_AN", Value: "16", StoredBy: "nguyenvana", LastUpdated: "2025-07-02T08:15:00.000"},
		{DataElement: "CO_KET_NOI_CSDL", Period: "2025Q1", OrgUnit: "XA_TAN_PHONG", Value: "true"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values\n got %+v\nwant %+v", got, want)
	}
}

func TestReadJSONHeaderAfterValues(t *testing.T) {
	h, got, err := collectJSON(t, readTestdata(t, "header_after.json"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h.DataSet != "DS1" || h.CompleteDate != "2023-02-20" || len(got) != 2 || got[1].Period != "202302" {
		t.Errorf("header %+v values %+v", h, got)
	}

	// A default that arrives after a value that needed it is refused.
	late := `{"dataValues":[{"dataElement":"DE1","orgUnit":"OU1","value":"1"}],"period":"202301"}`
	_, _, err = collectJSON(t, []byte(late), ReadOptions{})
	if !errors.Is(err, ErrLateDefault) {
		t.Errorf("late period: %v, want ErrLateDefault", err)
	}
	// The same member after values that all carry it is harmless.
	fine := `{"dataValues":[{"dataElement":"DE1","period":"202301","orgUnit":"OU1","value":"1"}],"period":"202301","orgUnit":"OU9"}`
	if _, got, err := collectJSON(t, []byte(fine), ReadOptions{}); err != nil || got[0].OrgUnit != "OU1" {
		t.Errorf("late but unneeded default: %v %+v", err, got)
	}
}

func TestReadJSONHeaderOnlyAndNull(t *testing.T) {
	calls := 0
	onHeader := func(DataValueSet) error { calls++; return nil }
	for _, p := range []string{`{"dataSet":"DS"}`, `{"dataSet":"DS","dataValues":null}`, `{"dataValues":[],"dataSet":"DS"}`} {
		calls = 0
		h, got, err := collectJSON(t, []byte(p), ReadOptions{OnHeader: onHeader})
		if err != nil || len(got) != 0 || calls != 1 {
			t.Errorf("%s: %v, %d values, OnHeader called %d times", p, err, len(got), calls)
		}
		if strings.HasPrefix(p, `{"dataSet"`) && h.DataSet != "DS" {
			t.Errorf("%s: header %+v", p, h)
		}
	}
	stop := errors.New("refused set")
	_, got, err := collectJSON(t, readTestdata(t, "client.json"), ReadOptions{OnHeader: func(DataValueSet) error { return stop }})
	if err != stop || len(got) != 0 {
		t.Errorf("OnHeader error: %v with %d values, want it returned before any value", err, len(got))
	}
}

func TestReadJSONTruncated(t *testing.T) {
	full := readTestdata(t, "client.json")
	full = bytes.TrimSpace(full)
	// Every strict prefix must be refused; none may panic or pass.
	for n := 0; n < len(full); n++ {
		_, _, err := collectJSON(t, full[:n], ReadOptions{})
		if err == nil {
			t.Fatalf("prefix of %d bytes accepted", n)
		}
		var pe *PayloadError
		if !errors.As(err, &pe) {
			t.Fatalf("prefix of %d bytes: %T %v, want *PayloadError", n, err, err)
		}
	}
	_, _, err := collectJSON(t, full[:len(full)-40], ReadOptions{})
	if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated payload: %v, want ErrTruncated", err)
	}
}

func TestReadJSONMalformedValueIndex(t *testing.T) {
	cases := []struct {
		payload string
		index   int
	}{
		{`{"dataValues":[{"dataElement":"a","value":"1"},{"dataElement":"b","value":1x}]}`, 1},
		{`{"dataValues":[{"dataElement":"a"},{"dataElement":"b"},{"dataElement":{"x":1}}]}`, 2},
		{`{"dataValues":[{"dataElement":"a","followup":"maybe"}]}`, 0},
		{`{"dataValues":{"dataElement":"a"}}`, -1},
		{`[{"dataElement":"a"}]`, -1},
		{`{"dataSet":"a"} {"x":1}`, -1},
		{``, -1},
	}
	for _, c := range cases {
		_, _, err := collectJSON(t, []byte(c.payload), ReadOptions{})
		var pe *PayloadError
		if !errors.As(err, &pe) || pe.Index != c.index {
			t.Errorf("%s: %v, want a *PayloadError at index %d", c.payload, err, c.index)
		}
	}
}

func TestReadJSONPayloadCap(t *testing.T) {
	p := readTestdata(t, "client.json")
	if _, _, err := collectJSON(t, p, ReadOptions{MaxBytes: int64(len(p))}); err != nil {
		t.Errorf("payload of exactly the cap: %v", err)
	}
	_, _, err := collectJSON(t, p, ReadOptions{MaxBytes: int64(len(p) - 1)})
	if !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("payload one byte over the cap: %v, want ErrPayloadTooLarge", err)
	}
	err = ReadCSV(bytes.NewReader(readTestdata(t, "client.csv")), ReadOptions{MaxBytes: 100}, func(int, DataValue) error { return nil })
	if !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("CSV over the cap: %v, want ErrPayloadTooLarge", err)
	}
}

func collectCSV(t testing.TB, payload string, opts ReadOptions) ([]DataValue, error) {
	t.Helper()
	var got []DataValue
	err := ReadCSV(strings.NewReader(payload), opts, func(i int, v DataValue) error {
		if i != len(got) {
			t.Fatalf("index %d, want %d", i, len(got))
		}
		got = append(got, v)
		return nil
	})
	return got, err
}

func TestReadCSVClientPayload(t *testing.T) {
	got, err := collectCSV(t, string(readTestdata(t, "client.csv")), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []DataValue{
		{DataElement: "DVC_TRUC_TUYEN_TOAN_TRINH", Period: "2025Q1", OrgUnit: "XA_TAN_PHONG", CategoryOptionCombo: "default", Value: "42", StoredBy: "nguyenvana", LastUpdated: "2025-04-02T08:00:00.000", Comment: `Gồm dịch vụ công "toàn trình", một phần`},
		{DataElement: "TY_LE_HO_SO_DUNG_HAN", Period: "2025Q1", OrgUnit: "XA_TAN_PHONG", Value: "97.5", Comment: "Ghi chú\nhai dòng", FollowUp: true},
		{DataElement: "SO_CAN_BO_DAO_TAO", Period: "2025Q1", OrgUnit: "XA_TAN_PHONG"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values\n got %+v\nwant %+v", got, want)
	}
}

func TestReadCSVHeaderDetection(t *testing.T) {
	data := "DE1,202301,OU1,,,5\r\nDE2,202301,OU1,,,6\r\n"
	header := "\ufeffmã chỉ tiêu,kỳ,đơn vị\r\n"
	cases := []struct {
		name    string
		payload string
		mode    CSVHeader
		want    int
	}{
		{"detect, no header", data, CSVHeaderDetect, 2},
		{"detect, Vietnamese header with BOM", header + data, CSVHeaderDetect, 2},
		{"present", data, CSVHeaderPresent, 1},
		{"absent", data, CSVHeaderAbsent, 2},
	}
	for _, c := range cases {
		got, err := collectCSV(t, c.payload, ReadOptions{CSVHeader: c.mode})
		if err != nil || len(got) != c.want {
			t.Errorf("%s: %v, %d values, want %d", c.name, err, len(got), c.want)
			continue
		}
		if got[len(got)-1].DataElement != "DE2" || got[len(got)-1].Value != "6" {
			t.Errorf("%s: last value %+v", c.name, got[len(got)-1])
		}
	}
	// With firstRowIsHeader=false a header row is data, and its period
	// reaches the caller as written (periods are checked by the import).
	got, err := collectCSV(t, header+data, ReadOptions{CSVHeader: CSVHeaderAbsent})
	if err != nil || len(got) != 3 || got[0].Period != "kỳ" || got[0].DataElement != "mã chỉ tiêu" {
		t.Errorf("absent header: %v %+v", err, got)
	}
	if o := DefaultImportOptions(); o.CSVHeader() != CSVHeaderDetect {
		t.Errorf("default CSVHeader %v", o.CSVHeader())
	}
}

func TestReadCSVErrorsNameTheLine(t *testing.T) {
	cases := []struct {
		name, payload string
		line          int
	}{
		{"short row", CSVColumns + "\nDE1,202301,OU1,,,1\nDE2,202301\n", 3},
		{"bad followup", CSVColumns + "\nDE1,202301,OU1,,,1,,,,sometimes\n", 2},
		{"bare quote", CSVColumns + "\nDE1,202301,OU1,,,1\nDE1,202302,OU1,,,\"2\"x\n", 3},
		{"unterminated quote", CSVColumns + "\nDE1,202301,OU1,,,1\nDE1,202302,OU1,,,\"2\n", 3},
	}
	for _, c := range cases {
		_, err := collectCSV(t, c.payload, ReadOptions{})
		var pe *PayloadError
		if !errors.As(err, &pe) || pe.Line != c.line || !strings.Contains(err.Error(), fmt.Sprintf("CSV line %d", c.line)) {
			t.Errorf("%s: %v, want a *PayloadError on line %d", c.name, err, c.line)
		}
	}
	if got, err := collectCSV(t, "", ReadOptions{}); err != nil || len(got) != 0 {
		t.Errorf("empty CSV: %v %v", got, err)
	}
}

// genPayload writes a DHIS2 JSON payload of n values to w, as a client
// would stream it, without building it in memory.
func genPayload(w io.Writer, n int) error {
	bw := &bytes.Buffer{}
	bw.WriteString(`{"dataSet":"BC_CDS_QUY","period":"2025Q1","orgUnit":"XA_TAN_PHONG","dataValues":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, `{"dataElement":"DE%06d","orgUnit":"OU%05d","categoryOptionCombo":"default","value":"%d","comment":"ghi chú"}`, i%1000, i/1000, i)
		if bw.Len() > 32<<10 {
			if _, err := w.Write(bw.Bytes()); err != nil {
				return err
			}
			bw.Reset()
		}
	}
	bw.WriteString("]}")
	_, err := w.Write(bw.Bytes())
	return err
}

// pipePayload returns a reader streaming genPayload(n) and a counter of the
// bytes it produced.
func pipePayload(n int) (io.Reader, *int64) {
	pr, pw := io.Pipe()
	size := new(int64)
	go func() {
		cw := &countWriter{w: pw, n: size}
		pw.CloseWithError(genPayload(cw, n))
	}()
	return pr, size
}

type countWriter struct {
	w io.Writer
	n *int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	return n, err
}

// TestReadJSONConstantMemory streams a large payload and checks the heap
// does not grow with it: the reader must never hold the payload.
func TestReadJSONConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 200,000 values")
	}
	const n = 200_000
	r, size := pipePayload(n)
	// The heap is the process's: what the test measures is its growth over
	// what was live before it began (other tests' servers may still hold
	// some).
	var peak, base uint64
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base = ms.HeapAlloc
	count := 0
	_, err := ReadJSON(r, ReadOptions{}, func(i int, v DataValue) error {
		count++
		if i%50_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base {
				peak = max(peak, ms.HeapAlloc-base)
			}
		}
		if v.Period != "2025Q1" || v.Value != fmt.Sprint(i) {
			return fmt.Errorf("value %d: %+v", i, v)
		}
		return nil
	})
	if err != nil || count != n {
		t.Fatalf("%v after %d values", err, count)
	}
	// The payload is ~25 MB; a reader that buffered it would exceed this.
	if limit := uint64(8 << 20); peak > limit || int64(peak) > *size/3 {
		t.Errorf("heap grew by %d bytes for a %d-byte payload", peak, *size)
	}
}

// BenchmarkReadJSON streams 1,000,000 values through an io.Pipe and reports
// throughput and allocations per payload.
func BenchmarkReadJSON(b *testing.B) {
	const n = 1_000_000
	b.ReportAllocs()
	var total int64
	var peak uint64
	var ms runtime.MemStats
	for b.Loop() {
		r, size := pipePayload(n)
		count := 0
		if _, err := ReadJSON(r, ReadOptions{}, func(i int, _ DataValue) error {
			count++
			if i%100_000 == 0 { // sampled: ReadMemStats stops the world
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			return nil
		}); err != nil || count != n {
			b.Fatalf("%v after %d values", err, count)
		}
		total += *size
	}
	b.ReportMetric(float64(total)/1e6/b.Elapsed().Seconds(), "MB/s")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*n), "ns/value")
}

// BenchmarkReadJSONWhole is the baseline of BenchmarkReadJSON: the same
// payload read whole and decoded at once with encoding/json, as a reader
// that does not stream would.
func BenchmarkReadJSONWhole(b *testing.B) {
	const n = 1_000_000
	b.ReportAllocs()
	var total int64
	var peak uint64
	var ms runtime.MemStats
	for b.Loop() {
		r, size := pipePayload(n)
		body, err := io.ReadAll(r)
		if err != nil {
			b.Fatal(err)
		}
		var set struct {
			DataValues []DataValue `json:"dataValues"`
		}
		if err := json.Unmarshal(body, &set); err != nil || len(set.DataValues) != n {
			b.Fatalf("%v after %d values", err, len(set.DataValues))
		}
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		total += *size
	}
	b.ReportMetric(float64(total)/1e6/b.Elapsed().Seconds(), "MB/s")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*n), "ns/value")
}

func FuzzReadJSON(f *testing.F) {
	f.Add(readTestdata(f, "client.json"))
	f.Add(readTestdata(f, "header_after.json"))
	f.Add([]byte(`{"dataValues":[{"dataElement":"a","value":1e3,"followup":"true"}],"period":"2023"}`))
	f.Add([]byte(`{"dataValues":[{}],"dataValues":[null]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		count := 0
		_, err := ReadJSON(bytes.NewReader(payload), ReadOptions{MaxBytes: 1 << 16}, func(i int, v DataValue) error {
			if i != count {
				t.Fatalf("index %d after %d values", i, count)
			}
			count++
			return nil
		})
		if err != nil {
			var pe *PayloadError
			if !errors.As(err, &pe) && !errors.Is(err, ErrPayloadTooLarge) {
				t.Fatalf("%T %v: want *PayloadError", err, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
		}
	})
}

// Strings with escapes take the slow path, plain ones the fast path; both
// must decode as encoding/json does.
func TestReadJSONStringEscapes(t *testing.T) {
	payload := "{\"dataValues\":[{\"dataElement\":\"DE\",\"period\":\"2023\",\"orgUnit\":\"OU\",\"comment\":\"s\\u1ed1 \\\"li\\u1ec7u\\\"\\n\",\"value\":\"ph\xe1\xba\xa7n\"},{\"dataElement\":\"DE\",\"comment\":\"bad \xff utf-8\",\"value\":null}]}"
	_, got, err := collectJSON(t, []byte(payload), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Comment != "số \"liệu\"\n" || got[0].Value != "phần" {
		t.Errorf("escaped: %q %q", got[0].Comment, got[0].Value)
	}
	if got[1].Comment != "bad \ufffd utf-8" || got[1].Value != "" {
		t.Errorf("invalid UTF-8: %q %q", got[1].Comment, got[1].Value)
	}
}

// BenchmarkReadCSV streams 1,000,000 CSV rows (with a header and a quoted
// Vietnamese comment) through an io.Pipe.
func BenchmarkReadCSV(b *testing.B) {
	const n = 1_000_000
	b.ReportAllocs()
	var total int64
	for b.Loop() {
		pr, pw := io.Pipe()
		size := new(int64)
		go func() {
			cw := &countWriter{w: pw, n: size}
			var buf bytes.Buffer
			buf.WriteString("\ufeff" + CSVColumns + "\n")
			var err error
			for i := 0; i < n && err == nil; i++ {
				fmt.Fprintf(&buf, "DE%06d,2025Q1,OU%05d,default,,%d,,,\"ghi chú, có dấu phẩy\",false,false\n", i%1000, i/1000, i)
				if buf.Len() > 32<<10 || i == n-1 {
					_, err = cw.Write(buf.Bytes())
					buf.Reset()
				}
			}
			pw.CloseWithError(err)
		}()
		count := 0
		if err := ReadCSV(pr, ReadOptions{}, func(int, DataValue) error { count++; return nil }); err != nil || count != n {
			b.Fatalf("%v after %d values", err, count)
		}
		total += *size
	}
	b.ReportMetric(float64(total)/1e6/b.Elapsed().Seconds(), "MB/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*n), "ns/value")
}

func FuzzReadCSV(f *testing.F) {
	f.Add(readTestdata(f, "client.csv"))
	f.Add([]byte("DE,2023,OU\n\"a\"\"b\",2023,OU,,,1,,,,TRUE\n"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		count := 0
		err := ReadCSV(bytes.NewReader(payload), ReadOptions{MaxBytes: 1 << 16}, func(i int, v DataValue) error {
			if i != count {
				t.Fatalf("index %d after %d values", i, count)
			}
			count++
			return nil
		})
		var pe *PayloadError
		if err != nil && !errors.As(err, &pe) && !errors.Is(err, ErrPayloadTooLarge) {
			t.Fatalf("%T %v: want *PayloadError", err, err)
		}
		if pe != nil && pe.Line < 1 {
			t.Fatalf("%v: no line", err)
		}
	})
}
