package report_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
)

// Workbooks as other programs save them. Officials fill the template in
// with Excel or LibreOffice Calc; each lays the file out its own way:
// shared or inline strings, formulas with their cached results, its own
// styles and number formats.

// libreOfficeFixture is the department's workbook for 2026Q4, filled in
// with excelize (a formula among the values), then opened and saved by
// LibreOffice Calc 7.4 (soffice --convert-to xlsx), which computed the
// formulas and wrote their results. TINHSO_WRITE_FIXTURES=1 writes it
// again when soffice is installed.
const libreOfficeFixture = "testdata/excel_libreoffice_2026Q4.xlsx"

// xlLibreFill fills in a workbook for LibreOffice: a formula that Calc
// computes (CDS.HS.TRUCTUYEN = 60 % of the dossiers received) and numbers
// typed as text.
func xlLibreFill(t testing.TB, data []byte) []byte {
	b := xlEdit(t, xlFilled(t, data, "LC.SKHCN"))
	in, on := b.cell("CDS.HS.TIEPNHAN", "", "LC.SKHCN"), b.cell("CDS.HS.TRUCTUYEN", "", "LC.SKHCN")
	b.set(in, 1500)
	if err := b.f.SetCellFormula("Dữ liệu", on, in+"*0.6"); err != nil {
		t.Fatal(err)
	}
	b.set(b.cell("CDS.CBCC.TAPHUAN", "", "LC.SKHCN"), "40,0")
	return b.bytes()
}

// soffice converts data with LibreOffice (skipping the test without it).
func soffice(t testing.TB, data []byte) []byte {
	t.Helper()
	bin, err := exec.LookPath("soffice")
	if err != nil {
		if bin, err = exec.LookPath("libreoffice"); err != nil {
			t.Skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in", "bieu.xlsx")
	os.MkdirAll(filepath.Dir(in), 0o755)
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless", "--calc",
		"--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", filepath.Join(dir, "out"), in)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out", "bieu.xlsx"))
	if err != nil {
		t.Fatalf("soffice wrote nothing: %v", err)
	}
	return b
}

// reopen lets LC.SKHCN write 2026Q4 whenever the test runs, as a
// coordinator's reopening does.
func reopen(t testing.TB, app *testapp.App, period string) {
	t.Helper()
	_, err := app.DB.Write.Exec(`INSERT INTO report_reopenings (form_id, unit_id, period, open_until, reason, at) VALUES ($1, $2, $3, $4, 'test', $5)`,
		xlFormID(t, app, "CDS.QUY.SO.LC"), app.UnitID(t, "LC.SKHCN"), period, time.Now().AddDate(10, 0, 0).UTC(), time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
}

// checkLibre imports a workbook LibreOffice saved and checks the values,
// the formula's result among them, then that importing it again changes
// nothing.
func checkLibre(t *testing.T, app *testapp.App, data []byte, p report.Period) {
	t.Helper()
	res := xlImportOK(t, app, "baocao.laichau", "CDS.QUY.SO.LC", data, false)
	if res.ImportCount.Imported != 12 || res.Period != p.String() {
		t.Errorf("LibreOffice's file imported %+v for %s", res.ImportCount, res.Period)
	}
	for _, v := range [][3]string{{"CDS.HS.TIEPNHAN", "", "1500"}, {"CDS.HS.TRUCTUYEN", "", "900"}, {"CDS.DVC.TOANTRINH", "", "45.5"},
		{"CDS.DVC.SO", "MOTPHAN", "35"}, {"CDS.CBCC.TAPHUAN", "", "40"}} {
		if got := xlStored(t, app, v[0], v[1], "LC.SKHCN", p); got != v[2] {
			t.Errorf("%s/%s = %q, want %q", v[0], v[1], got, v[2])
		}
	}
	if res := xlImportOK(t, app, "baocao.laichau", "CDS.QUY.SO.LC", data, false); res.ImportCount != (report.ImportCount{Ignored: 12}) {
		t.Errorf("again %+v", res.ImportCount)
	}
}

// TestExcelLibreOfficeFixture imports the workbook LibreOffice saved.
func TestExcelLibreOfficeFixture(t *testing.T) {
	t.Parallel()
	p, _ := report.ParsePeriod("2026Q4")
	if os.Getenv("TINHSO_WRITE_FIXTURES") != "" {
		app := testapp.New(t, testapp.DemoURLs(t)["sqlite"])
		data := soffice(t, xlLibreFill(t, xlTemplate(t, app, "baocao.laichau", "CDS.QUY.SO.LC", p, "")))
		if err := os.WriteFile(libreOfficeFixture, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(libreOfficeFixture)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "sharedStrings") {
		t.Fatal("the fixture is not LibreOffice's (no shared strings part)")
	}
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		reopen(t, app, p.String())
		checkLibre(t, app, data, p)
	})
}

// TestExcelLibreOffice fills in today's workbook and has the installed
// LibreOffice save it (skipped without soffice).
func TestExcelLibreOffice(t *testing.T) {
	t.Parallel()
	u := testapp.DemoURLs(t)
	app := testapp.New(t, u["sqlite"])
	q := xlOpenPeriod(report.Quarterly)
	data := soffice(t, xlLibreFill(t, xlTemplate(t, app, "baocao.laichau", "CDS.QUY.SO.LC", q, "")))
	checkLibre(t, app, data, q)
}

// TestExcelOtherLayouts reads cells as other writers store them: inline
// strings (streaming writers), rich text runs, formulas with their cached
// results (Excel), a text formula's result, a number stored as text with a
// decimal comma, a shared string where a number belongs.
func TestExcelOtherLayouts(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		q := xlOpenPeriod(report.Quarterly)
		data := xlTemplate(t, app, "baocao.laichau", "CDS.QUY.SO.LC", q, "")
		b := xlEdit(t, data)
		rate, in, on, code := b.cell("CDS.DVC.TOANTRINH", "", "LC.SKHCN"), b.cell("CDS.HS.TIEPNHAN", "", "LC.SKHCN"),
			b.cell("CDS.HS.TRUCTUYEN", "", "LC.SKHCN"), b.cell("CDS.VB.DI", "", "")
		staff, trained := b.cell("CDS.CBCC.TONG", "", "LC.SKHCN"), b.cell("CDS.CBCC.TAPHUAN", "", "LC.SKHCN")
		b.f.Close()
		row := strings.TrimLeft(code, "A")
		data = xlSetXML(t, data, rate, `<c r="`+rate+`" t="inlineStr"><is><t>87,25</t></is></c>`)
		data = xlSetXML(t, data, code, `<c r="`+code+`" t="inlineStr"><is><r><t>CDS.VB</t></r><r><t>.DI</t></r></is></c>`)
		data = xlSetXML(t, data, "E"+row, `<c r="E`+row+`" t="str"><f>"1"&amp;"200"</f><v>1200</v></c>`)
		data = xlSetXML(t, data, in, `<c r="`+in+`"><f>1000+500</f><v>1500</v></c>`)
		data = xlSetXML(t, data, on, `<c r="`+on+`"><f>`+in+`*0.5</f><v>750</v></c>`)
		data = xlSetXML(t, data, staff, `<c r="`+staff+`" t="n"><v>85</v></c>`)
		data = xlSetXML(t, data, trained, `<c r="`+trained+`" t="s"><v>0</v></c>`) // a shared string: the first one
		_, sh := xlSheet(t, data, "Dữ liệu")
		first := sh.At(5, xlRowOf(t, sh, "CDS.CBCC.TAPHUAN", "")).String()
		if first == "" {
			t.Fatal("no shared string 0")
		}
		// The first shared string is a header, no number: the value is
		// refused by cell; then the cell is fixed as a number.
		status, body := xlUpload(t, app, "baocao.laichau", "CDS.QUY.SO.LC", data, true)
		if status != 422 || !strings.Contains(string(body), `"field":"Dữ liệu!`+trained+`"`) {
			t.Fatalf("a header in a number cell: %d %s", status, body)
		}
		data = xlSetXML(t, data, trained, `<c r="`+trained+`"><v>40</v></c>`)
		res := xlImportOK(t, app, "baocao.laichau", "CDS.QUY.SO.LC", data, false)
		if res.ImportCount.Imported != 6 {
			t.Errorf("imported %+v: %+v", res.ImportCount, res.Changes)
		}
		for _, v := range [][2]string{{"CDS.DVC.TOANTRINH", "87.25"}, {"CDS.VB.DI", "1200"}, {"CDS.HS.TIEPNHAN", "1500"}, {"CDS.HS.TRUCTUYEN", "750"},
			{"CDS.CBCC.TONG", "85"}, {"CDS.CBCC.TAPHUAN", "40"}} {
			if got := xlStored(t, app, v[0], "", "LC.SKHCN", q); got != v[1] {
				t.Errorf("%s = %q, want %q", v[0], got, v[1])
			}
		}
	})
}
