package report_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/testapp"
	"github.com/tinhso/tinhso/internal/xlsx"
)

// BenchmarkExcel measures a province's largest Excel exchange in the demo:
// Lai Châu's communes' quarterly form for its 25 communes and wards (22
// rows to fill in, 550 values), through HTTP on each engine — the
// workbook's download, a dry run, and an import that changes every value —
// against the bare write of the same 550 values (WriteValues in one
// transaction), the baseline measured in the same run.
//
//	go test ./internal/report/ -run '^$' -bench BenchmarkExcel -benchtime 20x -count 3
func BenchmarkExcel(b *testing.B) {
	for engine, u := range testapp.DemoURLs(b) {
		app := testapp.New(b, u)
		q := xlOpenPeriod(report.Quarterly)
		tmpl := xlTemplate(b, app, "quantri.laichau", "CDS.QUY.XA.LC", q, "")
		_, sh := xlSheet(b, tmpl, "Dữ liệu")
		units := sh.Cols(6) - 4
		var rows []int
		for r := 9; r <= sh.Rows(); r++ {
			code := sh.At(1, r).String()
			if code == "" || code == "CDS.DVC.SO" && sh.At(2, r).String() == "" || len(code) > 5 && code[len(code)-5:] == ".TYLE" {
				continue
			}
			rows = append(rows, r)
		}
		filled := func(round int) []byte {
			bk := xlEdit(b, tmpl)
			for _, r := range rows {
				for c := 5; c < 5+units; c++ {
					v := 10 + round + c
					if sh.At(1, r).String() == "CDS.DVC.TOANTRINH" || sh.At(1, r).String() == "CDS.DTTM.TYLE" {
						v = (v % 90) + 1
					}
					bk.set(fmt.Sprintf("%s%d", xlsx.ColumnName(c), r), v)
				}
			}
			return bk.bytes()
		}
		files := [2][]byte{filled(0), filled(1)}
		n := len(rows) * units
		b.Run(string(engine)+"/template", func(b *testing.B) {
			for b.Loop() {
				xlTemplate(b, app, "quantri.laichau", "CDS.QUY.XA.LC", q, "")
			}
		})
		b.Run(string(engine)+"/dry-run", func(b *testing.B) {
			for b.Loop() {
				if r := xlImportOK(b, app, "quantri.laichau", "CDS.QUY.XA.LC", files[0], true); r.ImportCount.Imported+r.ImportCount.Updated != n {
					b.Fatalf("%+v, want %d values", r.ImportCount, n)
				}
			}
		})
		i := 0
		b.Run(string(engine)+"/import", func(b *testing.B) {
			for b.Loop() {
				i++
				xlImportOK(b, app, "quantri.laichau", "CDS.QUY.XA.LC", files[i%2], false)
			}
		})
		// Baseline: the same values written directly.
		var inputs [2][]report.ValueInput
		rowsDB, err := app.DB.Read.Query(`SELECT indicator_id, option_id, unit_id, period, value FROM report_values WHERE period = $1`, q.String())
		if err != nil {
			b.Fatal(err)
		}
		for rowsDB.Next() {
			var v report.ValueInput
			rowsDB.Scan(&v.Indicator, &v.Option, &v.Unit, &v.Period, &v.Value)
			v.PeriodOf, v.ValueType = q, "NUMBER"
			w := v
			w.Value += "1"
			inputs[0], inputs[1] = append(inputs[0], v), append(inputs[1], w)
		}
		rowsDB.Close()
		if len(inputs[0]) < n {
			b.Fatalf("%d values stored, want %d", len(inputs[0]), n)
		}
		b.Run(string(engine)+"/baseline-write", func(b *testing.B) {
			for b.Loop() {
				i++
				err := app.DB.Tx(context.Background(), func(tx *sql.Tx) error {
					_, err := app.Server.Report.WriteValues(context.Background(), tx, inputs[i%2], report.WriteOptions{Source: "bench"})
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
