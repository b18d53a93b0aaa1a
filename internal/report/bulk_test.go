package report_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/report"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/store/storetest"
	"github.com/tinhso/tinhso/internal/testapp"
)

// TestBulkMatchesWriteValues writes the same rounds of values twice, once
// through WriteValues (what forms and Excel use) and once as the
// dataValueSets import's writer does (WriteLong: set-based on PostgreSQL),
// and finds the same counts, values, history (in order) and running
// totals: updates, deletions, a number turned into text, a comment-only
// change, unchanged values, a key sent again in a later batch, and the
// CREATE, UPDATE and DELETE strategies. A long write that fails after its
// batches leaves everything as it was.
func TestBulkMatchesWriteValues(t *testing.T) {
	t.Parallel()
	first := []string{
		"T.AN.SUM GL.PLEIKU 2024Q1 10", "T.AN.SUM GL.PLEIKU 2024Q2 20", "T.AN.SUM GL.PLEIKU 202407 3", "T.AN.SUM GL.PLEIKU 202412 4",
		"T.AN.SUM GL.PLEIKU 2023Q4 2", "T.AN.SUM GL.ANKHE 2022Q4 9",
		"T.AN.LAST GL.ANKHE 2024Q1 1.5", "T.AN.LAST GL.ANKHE 202403 2.5", "T.AN.LAST GL.ANKHE 2024Q4 3.25",
		"T.AN.OPT.TOANTRINH GL.ANKHE 2024Q3 5", "T.AN.OPT.MOTPHAN GL.ANKHE 2024Q3 6",
	}
	type round struct {
		strategy report.ImportStrategy
		lines    []string
		text     int // index of a value sent as text (no number), -1 for none
		comment  int // index of a value sent with a comment, -1 for none
	}
	rounds := []round{
		{"", []string{
			"T.AN.SUM GL.PLEIKU 2024Q2 25", "T.AN.LAST GL.ANKHE 2024Q4 -", "T.AN.OPT.MOTPHAN GL.ANKHE 2024Q3 -",
			"T.AN.SUM GL.PLEIKU 2024S2 5", "T.AN.SUM GL.PLEIKU 2024NM 6", "T.AN.SUM GL.PLEIKU 2025 7", "T.AN.SUM GL.PLEIKU 2024W10 8",
			"T.AN.SUM GL.ANKHE 2025Q1 11", "T.AN.LAST GL.PLEIKU 2025Q2 4.5", "T.AN.SUM GL.PLEIKU 2025W1 1",
			"T.AN.LAST GL.PLEIKU 2025Q3 5", "T.AN.LAST GL.PLEIKU 2025Q3 -", "T.AN.SUM GL.ANKHE 2025Q1 12",
			"T.AN.SUM GL.PLEIKU 2024Q1 10", "T.AN.LAST GL.ANKHE 202403 hai", "T.AN.SUM GL.PLEIKU 202407 3",
			"T.AN.SUM GL.ANKHE 2021Q3 -",
		}, 14, 15},
		{report.StrategyUpdate, []string{"T.AN.SUM GL.PLEIKU 2024Q2 26", "T.AN.SUM GL.PLEIKU 2026Q1 1", "T.AN.LAST GL.ANKHE 2024Q1 1.75"}, -1, -1},
		{report.StrategyCreate, []string{"T.AN.SUM GL.PLEIKU 2024Q2 27", "T.AN.SUM GL.PLEIKU 2026Q2 2", "T.AN.LAST GL.ANKHE 2026Q2 1.0000000000000002"}, -1, -1},
		{report.StrategyDelete, []string{"T.AN.SUM GL.PLEIKU 2024Q1 1", "T.AN.SUM GL.PLEIKU 2027Q1 1", "T.AN.LAST GL.ANKHE 2024Q1 1"}, -1, -1},
	}
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		f := newAnaFixture(t, app)
		var user int64
		if err := app.DB.Read.QueryRow(`SELECT MIN(id) FROM users`).Scan(&user); err != nil {
			t.Fatal(err)
		}
		inputs := func(r round) []report.ValueInput {
			vs := f.inputs(r.lines...)
			if r.text >= 0 {
				vs[r.text].ValueType = "TEXT"
			}
			if r.comment >= 0 {
				vs[r.comment].Comment = "ghi chú"
			}
			return vs
		}
		states := map[string][]string{}
		for _, mode := range []string{"WriteValues", "long", "long, key triggers"} {
			long := mode != "WriteValues"
			t.Run(mode, func(t *testing.T) {
				report.KeepKeyTriggers(app.Server.Report, mode == "long, key triggers")
				defer report.KeepKeyTriggers(app.Server.Report, false)
				for _, table := range []string{"report_values", "report_value_history", "report_agg", "report_value_types"} {
					if _, err := app.DB.Write.Exec(`DELETE FROM ` + table); err != nil {
						t.Fatal(err)
					}
				}
				f.write(first...)
				var got []string
				for i, r := range rounds {
					o := report.WriteOptions{User: user, Source: "api", Reason: "DHIS2 dataValueSets", Strategy: r.strategy}
					vs := inputs(r)
					var c report.ImportCount
					var err error
					if long {
						before := bulkState(t, app)
						if _, err := app.Server.Report.WriteLong(ctx, distinctBatches(vs, 3), o, true); err == nil {
							t.Fatal("the failing long write did not fail")
						}
						if after := bulkState(t, app); strings.Join(after, "\n") != strings.Join(before, "\n") {
							t.Fatalf("round %d: a failed long write changed:\n%s\nbefore:\n%s", i, strings.Join(after, "\n"), strings.Join(before, "\n"))
						}
						c, err = app.Server.Report.WriteLong(ctx, distinctBatches(vs, 3), o, false)
					} else {
						// One call with every value, keys sent twice included
						// (its batches end before a key they already hold).
						err = app.DB.Tx(ctx, func(tx *sql.Tx) error {
							out, err := app.Server.Report.WriteValues(ctx, tx, vs, o)
							if err != nil {
								return err
							}
							for _, o := range out {
								switch o {
								case report.Imported:
									c.Imported++
								case report.Updated:
									c.Updated++
								case report.Deleted:
									c.Deleted++
								default:
									c.Ignored++
								}
							}
							return nil
						})
					}
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, fmt.Sprintf("round %d: %+v", i, c))
				}
				states[mode] = append(got, bulkState(t, app)...)
			})
		}
		want := strings.Join(states["WriteValues"], "\n")
		for _, mode := range []string{"long", "long, key triggers"} {
			if got := strings.Join(states[mode], "\n"); got != want {
				t.Errorf("%s:\n%s\nWriteValues:\n%s", mode, got, want)
			}
		}
	})
}

// distinctBatches cuts vs into batches of at most n values, starting a new
// one where a key comes again, as the import never sends a key twice in
// one batch.
func distinctBatches(vs []report.ValueInput, n int) [][]report.ValueInput {
	var out [][]report.ValueInput
	var cur []report.ValueInput
	seen := map[report.Key]bool{}
	for _, v := range vs {
		if len(cur) == n || seen[v.Key] {
			out, cur, seen = append(out, cur), nil, map[report.Key]bool{}
		}
		cur = append(cur, v)
		seen[v.Key] = true
	}
	return append(out, cur)
}

// bulkState is what a write leaves: the values, their history in the
// order it was written, the running totals and the value types, without
// ids and instants.
func bulkState(t *testing.T, app *testapp.App) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT indicator_id, option_id, unit_id, period, period_type, start_date, end_date, value, number, comment, followup, created_by, updated_by
			FROM report_values ORDER BY indicator_id, option_id, unit_id, period`,
		`SELECT indicator_id, option_id, unit_id, period, old_value, new_value, old_comment, new_comment, reason, source, changed_by
			FROM report_value_history ORDER BY id`,
		`SELECT indicator_id, period_type FROM report_value_types ORDER BY indicator_id, period_type`,
	} {
		rows, err := app.DB.Read.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				if i > 0 {
					b.WriteByte(' ')
				}
				switch v := v.(type) {
				case []byte:
					b.Write(v)
				case nil:
					b.WriteString("NULL")
				default:
					fmt.Fprint(&b, v)
				}
			}
			out = append(out, b.String())
		}
		rows.Close()
	}
	return append(out, aggRows(t, app)...)
}

// TestLongWriteKeepsForeignKeys writes, as the import's writer does, a
// batch naming a unit that does not exist, an indicator that does not,
// and a user that does not: each write fails and leaves nothing, as the
// foreign keys of report_values and report_value_history make it (on
// PostgreSQL checked by the write itself where the role may turn their
// triggers off, bulk.go).
func TestLongWriteKeepsForeignKeys(t *testing.T) {
	t.Parallel()
	testapp.Each(t, func(t *testing.T, app *testapp.App) {
		ctx := context.Background()
		f := newAnaFixture(t, app)
		var user int64
		if err := app.DB.Read.QueryRow(`SELECT MIN(id) FROM users`).Scan(&user); err != nil {
			t.Fatal(err)
		}
		good := "T.AN.SUM GL.PLEIKU 2024Q1 10"
		cases := map[string]func(vs []report.ValueInput, o *report.WriteOptions){
			"unit":      func(vs []report.ValueInput, o *report.WriteOptions) { vs[1].Unit = 1 << 40 },
			"indicator": func(vs []report.ValueInput, o *report.WriteOptions) { vs[1].Indicator = 1 << 40 },
			"user":      func(vs []report.ValueInput, o *report.WriteOptions) { o.User = 1 << 40 },
		}
		for name, spoil := range cases {
			for _, triggers := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s, key triggers %v", name, triggers), func(t *testing.T) {
					report.KeepKeyTriggers(app.Server.Report, triggers)
					defer report.KeepKeyTriggers(app.Server.Report, false)
					before := bulkState(t, app)
					vs := f.inputs(good, "T.AN.SUM GL.ANKHE 2024Q1 11")
					o := report.WriteOptions{User: user, Source: "api"}
					spoil(vs, &o)
					if _, err := app.Server.Report.WriteLong(ctx, [][]report.ValueInput{f.inputs("T.AN.SUM GL.PLEIKU 2024Q2 1"), vs}, o, false); err == nil {
						t.Fatal("written")
					} else {
						t.Log(err)
					}
					if after := bulkState(t, app); strings.Join(after, "\n") != strings.Join(before, "\n") {
						t.Errorf("changed:\n%s", strings.Join(after, "\n"))
					}
				})
			}
		}
		// And the same values with every key there are written.
		c, err := app.Server.Report.WriteLong(ctx, [][]report.ValueInput{f.inputs(good, "T.AN.SUM GL.ANKHE 2024Q1 11")}, report.WriteOptions{User: user, Source: "api"}, false)
		if err != nil || c.Imported != 2 {
			t.Fatalf("%+v %v", c, err)
		}
	})
}

// TestKeysOncePerBatch: the start-up check tells a PostgreSQL role that
// may set session_replication_role (the test cluster's superuser, or a
// plain role once granted SET ON PARAMETER) from one that may not, and
// says yes on SQLite, where long writes have no such path.
func TestKeysOncePerBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for engine, u := range storetest.URLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			db := storetest.Open(t, u)
			if ok, err := report.NewStore(db, nil).KeysOncePerBatch(ctx); err != nil || !ok {
				t.Fatalf("the test database's own role: %v %v", ok, err)
			}
			if engine != store.Postgres {
				return
			}
			role := fmt.Sprintf("tinhso_keys_%d", time.Now().UnixNano())
			if _, err := db.Write.Exec(`CREATE ROLE ` + role + ` LOGIN`); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				db.Write.Exec(`DROP OWNED BY ` + role)
				db.Write.Exec(`DROP ROLE ` + role)
			})
			pu, err := url.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			pu.User = url.User(role)
			plain, err := store.Open(ctx, pu.String())
			if err != nil {
				t.Fatal(err)
			}
			defer plain.Close()
			if ok, err := report.NewStore(plain, nil).KeysOncePerBatch(ctx); err != nil || ok {
				t.Fatalf("a plain role: %v %v, want false, nil", ok, err)
			}
			if _, err := db.Write.Exec(`GRANT SET ON PARAMETER session_replication_role TO ` + role); err != nil {
				t.Fatal(err)
			}
			if ok, err := report.NewStore(plain, nil).KeysOncePerBatch(ctx); err != nil || !ok {
				t.Fatalf("granted: %v %v, want true, nil", ok, err)
			}
		})
	}
}
