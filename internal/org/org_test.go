package org_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/store/storetest"
)

// registry is an org store with helpers to look units up by code.
type registry struct {
	*org.Store
	t  *testing.T
	db *store.DB
}

func (r registry) id(code string) int64 {
	r.t.Helper()
	var id int64
	if err := r.db.Read.QueryRow(`SELECT id FROM org_units WHERE code = $1`, code).Scan(&id); err != nil {
		r.t.Fatalf("unit %s: %v", code, err)
	}
	return id
}

func (r registry) codes(ids []int64) []string {
	r.t.Helper()
	var out []string
	for _, id := range ids {
		var c string
		if err := r.db.Read.QueryRow(`SELECT code FROM org_units WHERE id = $1`, id).Scan(&c); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// unitsAt lists the codes of the units that exist on date.
func (r registry) unitsAt(date string) []string {
	r.t.Helper()
	units, err := r.Units(context.Background(), org.UnitFilter{AsOf: date})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, u := range units {
		out = append(out, u.Code)
	}
	return out
}

func (r registry) count(query string, args ...any) int {
	r.t.Helper()
	var n int
	if err := r.db.Read.QueryRow(query, args...).Scan(&n); err != nil {
		r.t.Fatal(err)
	}
	return n
}

// fieldsOf lists the fields a validation error names.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Code != "validation_failed" {
		t.Fatalf("want a validation error, got %v", err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Name+":"+f.Code)
	}
	return out
}

// TestDemoRegistryOverTime asks the demo registry "as of" the dates the
// seed plans and the 2025 reorganisations give.
func TestDemoRegistryOverTime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := registry{org.NewStore(db, password.Cheap()), t, db}
		// The registry alone: its units and the reorganisations replayed.
		if err := db.Tx(ctx, func(tx *sql.Tx) error { return demo.LoadOrg(ctx, tx, r.Store) }); err != nil {
			t.Fatal(err)
		}
		today := org.Today()

		t.Run("as of", func(t *testing.T) {
			cases := []struct {
				date        string
				exist, gone []string
			}{
				{"2023-01-01", []string{"VN", "GL", "BD", "HG", "TQ", "LC", "GL.STTTT", "GL.SKHDT", "GL.PLEIKU", "GL.PLEIKU.TANSON", "GL.BCDCDS", "LC.TPLAICHAU", "BD.TTPVHCC"},
					[]string{"GL25", "TQ25", "GL.SNNMT", "GL25.SKHCN", "LC.X.BANBO"}},
				{"2024-10-31", []string{"GL.PLEIKU.TANSON", "GL.PLEIKU.BIENHO"}, nil},
				{"2024-11-01", []string{"GL.PLEIKU.BIENHO"}, []string{"GL.PLEIKU.TANSON"}},
				{"2025-02-28", []string{"GL.STTTT", "LC.STTTT", "GL.BDT"}, []string{"GL.SNNMT", "GL.SDTTG"}},
				{"2025-03-01", []string{"GL.SKHCN", "GL.SNNMT", "GL.SDTTG", "LC.SKHCN", "GL"}, []string{"GL.STTTT", "LC.STTTT", "GL.SKHDT", "GL.BDT"}},
				{"2025-06-30", []string{"GL", "BD", "HG", "TQ", "GL.PLEIKU", "GL.SKHCN"}, []string{"GL25", "TQ25", "GL25.SKHCN"}},
				{"2025-07-01", []string{"GL25", "TQ25", "LC", "GL25.SKHCN", "TQ25.SKHCN", "GL25.P.PLEIKU", "GL25.TTPVHCC", "GL.HHDN", "LC.X.BANBO"},
					[]string{"GL", "BD", "HG", "TQ", "GL.PLEIKU", "GL.PLEIKU.CHILANG", "GL.SKHCN", "BD.SKHCN", "GL.BCDCDS", "LC.TPLAICHAU", "LC.TAMDUONG.BANBO"}},
				{today, []string{"GL25", "LC", "GL.HHDN"}, []string{"GL", "GL.PLEIKU"}},
			}
			for _, c := range cases {
				got := r.unitsAt(c.date)
				for _, code := range c.exist {
					if !slices.Contains(got, code) {
						t.Errorf("%s does not exist on %s", code, c.date)
					}
				}
				for _, code := range c.gone {
					if slices.Contains(got, code) {
						t.Errorf("%s exists on %s", code, c.date)
					}
				}
				seen := map[string]bool{}
				for _, code := range got {
					if seen[code] {
						t.Errorf("%s listed twice on %s", code, c.date)
					}
					seen[code] = true
				}
			}
			// The district level is gone since 1 July 2025.
			for date, want := range map[string]bool{"2025-06-30": true, "2025-07-01": false} {
				districts, err := r.Units(ctx, org.UnitFilter{AsOf: date, Level: "district"})
				if err != nil {
					t.Fatal(err)
				}
				if (len(districts) > 0) != want {
					t.Errorf("%d districts on %s", len(districts), date)
				}
			}
		})

		t.Run("a unit's versions", func(t *testing.T) {
			names := map[string]string{"2025-02-28": "Cục Thống kê", "2025-03-01": "Chi cục Thống kê tỉnh", "2025-06-30": "Chi cục Thống kê tỉnh", "2025-07-01": "Thống kê tỉnh"}
			for date, want := range names {
				u, err := r.Unit(ctx, r.id("LC.CTK"), date)
				if err != nil || u.Name != want {
					t.Errorf("LC.CTK on %s: %q, %v; want %q", date, u.Name, err, want)
				}
			}
			for date, parent := range map[string]string{"2025-06-30": "GL", "2025-07-01": "GL25"} {
				u, err := r.Unit(ctx, r.id("GL.HHDN"), date)
				if err != nil || u.ParentID == nil || *u.ParentID != r.id(parent) {
					t.Errorf("GL.HHDN's parent on %s: %v, %v; want %s", date, u.ParentID, err, parent)
				}
			}
			// An ended unit, asked without a date, is shown as on its last day.
			u, err := r.Unit(ctx, r.id("GL.STTTT"), "")
			if err != nil || u.ValidTo != "2025-02-28" || u.Name != "Sở Thông tin và Truyền thông" {
				t.Errorf("GL.STTTT today: %+v, %v", u, err)
			}
			if _, err := r.Unit(ctx, r.id("GL25"), "2023-01-01"); !errors.Is(err, errs.NotFound) {
				t.Errorf("GL25 in 2023: %v, want not found", err)
			}
			if _, err := r.UnitByCode(ctx, "NO.SUCH", ""); !errors.Is(err, errs.NotFound) {
				t.Errorf("unknown code: %v", err)
			}
			path, err := r.Path(ctx, r.id("GL.PLEIKU.CHILANG"), "2023-01-01")
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, p := range path {
				codes = append(codes, p.Code)
			}
			if !slices.Equal(codes, []string{"VN", "GL", "GL.PLEIKU", "GL.PLEIKU.CHILANG"}) {
				t.Errorf("path = %v", codes)
			}
		})

		t.Run("successors", func(t *testing.T) {
			cases := []struct {
				code, date string
				want       []string
			}{
				{"GL.STTTT", today, []string{"GL25.SKHCN"}},      // via GL.SKHCN (2025-03-01), then the province merge
				{"GL.STTTT", "2025-04-01", []string{"GL.SKHCN"}}, // between the two
				{"LC.STTTT", today, []string{"LC.SKHCN"}},
				{"HG.STTTT", today, []string{"TQ25.SKHCN"}},
				{"GL", today, []string{"GL25"}},
				{"BD", today, []string{"GL25"}},
				{"HG", today, []string{"TQ25"}},
				{"GL.PLEIKU.TANSON", today, []string{"GL25.X.BIENHO"}}, // 2024 and 2025 merges
				{"GL.PLEIKU", today, []string{"GL25"}},                 // districts were dissolved; the province took over their duties
				{"LC.SINHO", today, []string{"LC"}},
				{"GL.PLEIKU", "2025-06-30", []string{"GL.PLEIKU"}},
				{"GL25.SKHCN", today, []string{"GL25.SKHCN"}}, // a living unit is its own successor
				{"GL.STTTT", "2024-01-01", []string{"GL.STTTT"}},
			}
			for _, c := range cases {
				ids, err := r.Successors(ctx, db.Read, r.id(c.code), c.date)
				if err != nil {
					t.Fatal(err)
				}
				if got := r.codes(ids); !slices.Equal(got, c.want) {
					t.Errorf("Successors(%s, %s) = %v, want %v", c.code, c.date, got, c.want)
				}
			}
		})

		t.Run("within, through succession", func(t *testing.T) {
			cases := []struct {
				unit, scope string
				want        bool
			}{
				{"GL.PLEIKU.CHILANG", "GL.PLEIKU", true},
				{"GL.PLEIKU", "GL", true},
				{"GL.PLEIKU", "GL25", true}, // the old province's district, under the new province
				{"GL.PLEIKU.CHILANG", "GL25", true},
				{"BD.TTPVHCC", "GL25", true}, // Bình Định's, two levels down
				{"GL.STTTT", "GL25", true},
				{"GL.PLEIKU", "GL25.P.PLEIKU", false}, // a successor ward is not the district's successor
				{"GL.PLEIKU.DIENHONG", "GL25.P.DIENHONG", true},
				{"GL.ANKHE", "GL.PLEIKU", false},
				{"GL.PLEIKU", "LC", false},
				{"HG.STTTT", "GL25", false},
				{"HG.STTTT", "TQ25", true},
				{"GL25.X.GAO", "GL", false}, // a new unit is not under an ended scope
				{"GL25.X.GAO", "GL25", true},
				{"LC.SKHCN", "LC", true},
				{"LC.SKHCN", "LC.SKHCN", true},
				{"LC", "LC.SKHCN", false},
				{"GL.HHDN", "GL25", true}, // moved on 1 July 2025
				{"GL25.SKHCN", "VN", true},
			}
			for _, c := range cases {
				got, err := r.Within(ctx, r.id(c.unit), r.id(c.scope))
				if err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Errorf("Within(%s, %s) = %v, want %v", c.unit, c.scope, got, c.want)
				}
			}
			if ok, err := r.Within(ctx, 999999, r.id("VN")); ok || err != nil {
				t.Errorf("an unknown unit is within VN: %v, %v", ok, err)
			}
		})

		t.Run("search", func(t *testing.T) {
			for _, c := range []struct {
				q, asOf string
				want    string
			}{
				{"lai chau", "", "LC"},
				{"LAI CHÂU", "", "LC"},
				{"dak doa", "2023-01-01", "GL.DAKDOA"},
				{"Đak Đoa", "2023-01-01", "GL.DAKDOA"},
				{"gl.pleiku", "2023-01-01", "GL.PLEIKU"},
				{"thong tin va truyen thong", "2023-01-01", "GL.STTTT"},
			} {
				units, err := r.Units(ctx, org.UnitFilter{Query: c.q, AsOf: c.asOf})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.ContainsFunc(units, func(u org.Unit) bool { return u.Code == c.want }) {
					t.Errorf("search %q (as of %q) does not find %s", c.q, c.asOf, c.want)
				}
			}
			units, _ := r.Units(ctx, org.UnitFilter{Query: "thong tin va truyen thong"})
			if len(units) != 0 {
				t.Errorf("today, %d units are still called Sở Thông tin và Truyền thông", len(units))
			}
		})

		t.Run("events", func(t *testing.T) {
			evs, err := r.Events(ctx, r.id("GL.SKHCN"))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range evs {
				got = append(got, e.Kind+" "+e.Date+" "+strings.Join(e.From, ",")+"→"+strings.Join(e.To, ","))
			}
			want := []string{"merge 2025-07-01 BD.SKHCN,GL.SKHCN→GL25.SKHCN", "merge 2025-03-01 GL.SKHCN,GL.STTTT→GL.SKHCN"}
			if !slices.Equal(got, want) {
				t.Errorf("events of GL.SKHCN:\n%v\nwant\n%v", got, want)
			}
			all, err := r.Events(ctx, 0)
			if err != nil || len(all) < 100 {
				t.Fatalf("%d events, %v", len(all), err)
			}
			for i := 1; i < len(all); i++ {
				if all[i].Date > all[i-1].Date {
					t.Fatalf("events not newest first at %d", i)
				}
			}
		})

		t.Run("tree order", func(t *testing.T) {
			units, err := r.Units(ctx, org.UnitFilter{AsOf: "2023-01-01"})
			if err != nil {
				t.Fatal(err)
			}
			pos := map[int64]int{}
			for i, u := range units {
				pos[u.ID] = i
			}
			for i, u := range units {
				if u.ParentID != nil && pos[*u.ParentID] >= i {
					t.Fatalf("%s comes before its parent", u.Code)
				}
			}
			if units[0].Code != "VN" || units[1].Code != "GL" || units[2].Code != "GL.VPUBND" {
				t.Errorf("tree starts %s %s %s", units[0].Code, units[1].Code, units[2].Code)
			}
		})
	})
}

// tree builds a small registry: a nation, two provinces, a district with
// two communes.
func tree(t *testing.T, db *store.DB) registry {
	t.Helper()
	r := registry{org.NewStore(db, password.Cheap()), t, db}
	ctx := context.Background()
	add := func(code, name, kind, parent, from string) {
		t.Helper()
		in := org.UnitInput{Code: code, Name: name, Kind: kind, ValidFrom: from}
		if parent != "" {
			p := r.id(parent)
			in.ParentID = &p
		}
		if _, err := r.CreateUnit(ctx, in, 0); err != nil {
			t.Fatalf("add %s: %v", code, err)
		}
	}
	add("N", "Nước", "nation", "", "2000-01-01")
	add("P1", "Tỉnh Một", "province", "N", "2000-01-01")
	add("P2", "Tỉnh Hai", "province", "N", "2000-01-01")
	add("D", "Huyện Dưới", "district", "P1", "2000-01-01")
	add("C", "Xã Cũ", "commune", "D", "2000-01-01")
	add("E", "Xã Em", "commune", "D", "2000-01-01")
	return r
}

func TestRenameAndMoveCreateVersions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := tree(t, db)
		record := func(in org.EventInput) error {
			t.Helper()
			_, err := r.RecordEvent(ctx, in, 0)
			return err
		}
		nameOn := func(code, date string) string {
			t.Helper()
			u, err := r.Unit(ctx, r.id(code), date)
			if err != nil {
				t.Fatalf("%s on %s: %v", code, date, err)
			}
			return u.Name
		}
		versions := func(code string) int {
			return r.count(`SELECT COUNT(*) FROM org_unit_versions WHERE unit_id = $1`, r.id(code))
		}

		if err := record(org.EventInput{Kind: "rename", Date: "2020-01-01", Subject: "c", Name: "  Xã   Mới "}); err != nil {
			t.Fatal(err)
		}
		if versions("C") != 2 || nameOn("C", "2019-12-31") != "Xã Cũ" || nameOn("C", "2020-01-01") != "Xã Mới" {
			t.Errorf("after a rename: %d versions, %q then %q", versions("C"), nameOn("C", "2019-12-31"), nameOn("C", "2020-01-01"))
		}
		// Search follows the name of the date asked.
		for date, want := range map[string]bool{"2019-06-01": false, "2021-01-01": true} {
			units, _ := r.Units(ctx, org.UnitFilter{AsOf: date, Query: "xa moi"})
			if (len(units) == 1) != want {
				t.Errorf("search 'xa moi' on %s found %d", date, len(units))
			}
		}

		if err := record(org.EventInput{Kind: "move", Date: "2021-01-01", Subject: "D", Parent: "P2"}); err != nil {
			t.Fatal(err)
		}
		for date, want := range map[string]string{"2020-12-31": "N P1 D C", "2021-01-01": "N P2 D C"} {
			path, err := r.Path(ctx, r.id("C"), date)
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, u := range path {
				codes = append(codes, u.Code)
			}
			if strings.Join(codes, " ") != want {
				t.Errorf("path of C on %s = %v, want %s", date, codes, want)
			}
		}
		if ok, _ := r.Within(ctx, r.id("C"), r.id("P2")); !ok {
			t.Error("C is not within P2 after the move")
		}
		if ok, _ := r.Within(ctx, r.id("C"), r.id("P1")); ok {
			t.Error("C is still within P1 after the move")
		}

		// A rename recorded late, before a later version, applies until
		// that version and leaves one version per day.
		if err := record(org.EventInput{Kind: "rename", Date: "2019-06-01", Subject: "C", Name: "Xã Giữa"}); err != nil {
			t.Fatal(err)
		}
		for date, want := range map[string]string{"2019-05-31": "Xã Cũ", "2019-06-01": "Xã Giữa", "2019-12-31": "Xã Giữa", "2020-01-01": "Xã Mới", "2022-01-01": "Xã Mới"} {
			if got := nameOn("C", date); got != want {
				t.Errorf("C on %s is %q, want %q", date, got, want)
			}
		}
		for _, date := range []string{"2019-06-01", "2020-01-01", "2022-01-01"} {
			got := r.unitsAt(date)
			if n := len(slices.DeleteFunc(slices.Clone(got), func(c string) bool { return c != "C" })); n != 1 {
				t.Errorf("C listed %d times on %s", n, date)
			}
		}

		// Two renames on one day: the second corrects the first.
		for _, name := range []string{"Xã Tạm", "Xã Cuối"} {
			if err := record(org.EventInput{Kind: "rename", Date: "2023-01-01", Subject: "C", Name: name}); err != nil {
				t.Fatal(err)
			}
		}
		if got := nameOn("C", "2023-01-01"); got != "Xã Cuối" {
			t.Errorf("C on 2023-01-01 is %q", got)
		}
		if n := r.count(`SELECT COUNT(*) FROM org_unit_versions WHERE valid_to IS NOT NULL AND valid_to < valid_from`); n != 0 {
			t.Errorf("%d versions end before they start", n)
		}
		if n := r.count(`SELECT COUNT(*) FROM org_unit_versions a JOIN org_unit_versions b ON a.unit_id = b.unit_id AND a.id < b.id
			AND a.valid_from <= COALESCE(b.valid_to, '9999-12-31') AND b.valid_from <= COALESCE(a.valid_to, '9999-12-31')`); n != 0 {
			t.Errorf("%d pairs of versions overlap", n)
		}

		// Refusals.
		for _, c := range []struct {
			in   org.EventInput
			want []string
		}{
			{org.EventInput{Kind: "move", Date: "2024-01-01", Subject: "P1", Parent: "C"}, []string{"parent:parent_level"}},
			{org.EventInput{Kind: "move", Date: "2024-01-01", Subject: "D", Parent: "N"}, []string{"parent:parent_level"}},
			{org.EventInput{Kind: "move", Date: "2024-01-01", Subject: "D", Parent: "P2"}, []string{"parent:unchanged"}},
			{org.EventInput{Kind: "rename", Date: "2024-01-01", Subject: "C", Name: "Xã Cuối"}, []string{"name:unchanged"}},
			{org.EventInput{Kind: "rename", Date: "2024-01-01", Subject: "C", Name: " "}, []string{"name:required"}},
			{org.EventInput{Kind: "rename", Date: "1990-01-01", Subject: "C", Name: "Xã Xưa"}, []string{"subject:inactive_unit"}},
			{org.EventInput{Kind: "move", Date: "2024-01-01", Subject: "D", Parent: "NOPE"}, []string{"parent:inactive_unit"}},
		} {
			before := r.count(`SELECT COUNT(*) FROM org_unit_versions`)
			if got := fieldsOf(t, record(c.in)); !slices.Equal(got, c.want) {
				t.Errorf("%+v: %v, want %v", c.in, got, c.want)
			}
			if after := r.count(`SELECT COUNT(*) FROM org_unit_versions`); after != before {
				t.Errorf("%+v wrote %d versions", c.in, after-before)
			}
		}
	})
}

func TestCheckTreeRefusesOrphans(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := tree(t, db)
		tables := []string{"org_units", "org_unit_versions", "org_events", "org_event_units"}
		snapshot := func() []int {
			var out []int
			for _, tb := range tables {
				out = append(out, r.count(`SELECT COUNT(*) FROM `+tb))
			}
			return out
		}
		before := snapshot()
		// Dissolving a district whose communes stay would orphan them.
		_, err := r.RecordEvent(ctx, org.EventInput{Kind: "dissolve", Date: "2025-07-01", From: []string{"D"}}, 0)
		if got := fieldsOf(t, err); !slices.Equal(got, []string{"from:orphans"}) {
			t.Fatalf("dissolve D: %v", got)
		}
		if after := snapshot(); !slices.Equal(before, after) {
			t.Errorf("a refused reorganisation changed row counts %v → %v", before, after)
		}
		if u, err := r.Unit(ctx, r.id("D"), ""); err != nil || u.ValidTo != "" {
			t.Errorf("D after the refusal: %+v, %v", u, err)
		}
		// Merging the province away while the district stays under it.
		_, err = r.RecordEvent(ctx, org.EventInput{Kind: "merge", Date: "2025-07-01", From: []string{"P1", "P2"}, To: []string{"P2"}}, 0)
		if got := fieldsOf(t, err); !slices.Equal(got, []string{"from:orphans"}) {
			t.Fatalf("merge P1 into P2: %v", got)
		}
		if after := snapshot(); !slices.Equal(before, after) {
			t.Errorf("a refused merge changed row counts %v → %v", before, after)
		}
		// Merging the communes into a new one under the province, and
		// dissolving the district, on the same day, is whole.
		p1 := r.id("P1")
		tx, err := db.Write.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.ApplyEvent(ctx, tx, org.EventInput{Kind: "merge", Date: "2025-07-01", From: []string{"C", "E"},
			NewUnits: []org.UnitInput{{Code: "CE", Name: "Xã Chung", Kind: "commune", ParentID: &p1}}}, 0); err != nil {
			t.Fatal(err)
		}
		if err := r.CheckTree(ctx, tx, "2025-07-01"); err != nil {
			t.Fatalf("check between the two events: %v", err)
		}
		if _, err := r.ApplyEvent(ctx, tx, org.EventInput{Kind: "dissolve", Date: "2025-07-01", From: []string{"D"}}, 0); err != nil {
			t.Fatal(err)
		}
		if err := r.CheckTree(ctx, tx, "2025-07-01"); err != nil {
			t.Fatalf("check after both: %v", err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		succ, err := r.Successors(ctx, db.Read, r.id("C"), "2025-07-01")
		if err != nil || !slices.Equal(r.codes(succ), []string{"CE"}) {
			t.Errorf("successors of C: %v, %v", r.codes(succ), err)
		}
		// Siblings of one sort order in Vietnamese order: Tỉnh Hai < Tỉnh Một.
		if got := r.unitsAt("2025-07-01"); !slices.Equal(got, []string{"N", "P2", "P1", "CE"}) {
			t.Errorf("units on 2025-07-01: %v", got)
		}
		if got := r.unitsAt("2025-06-30"); !slices.Equal(got, []string{"N", "P2", "P1", "D", "C", "E"}) {
			t.Errorf("units on 2025-06-30: %v", got)
		}
		// A split needs two successors; a dissolution none.
		_, err = r.RecordEvent(ctx, org.EventInput{Kind: "split", Date: "2026-01-01", From: []string{"CE"},
			NewUnits: []org.UnitInput{{Code: "CE1", Name: "Xã Một", Kind: "commune", ParentID: &p1}}}, 0)
		if got := fieldsOf(t, err); !slices.Equal(got, []string{"to:min_items"}) {
			t.Errorf("split into one: %v", got)
		}
		_, err = r.RecordEvent(ctx, org.EventInput{Kind: "dissolve", Date: "2026-01-01", From: []string{"CE"}, To: []string{"P1"}}, 0)
		if got := fieldsOf(t, err); !slices.Equal(got, []string{"to:none"}) {
			t.Errorf("dissolve with a successor: %v", got)
		}
		ev, err := r.RecordEvent(ctx, org.EventInput{Kind: "split", Date: "2026-01-01", From: []string{"CE"}, Basis: " NQ 1/2026 ",
			NewUnits: []org.UnitInput{{Code: "CE1", Name: "Xã Một", Kind: "commune", ParentID: &p1}, {Code: "CE2", Name: "Xã Hai", Kind: "commune", ParentID: &p1}}}, 7)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind != "split" || ev.Basis != "NQ 1/2026" || !slices.Equal(ev.From, []string{"CE"}) || !slices.Equal(ev.To, []string{"CE1", "CE2"}) {
			t.Errorf("split event: %+v", ev)
		}
		succ, _ = r.Successors(ctx, db.Read, r.id("C"), "2026-01-01")
		if got := r.codes(succ); !slices.Equal(got, []string{"CE1", "CE2"}) {
			t.Errorf("successors of C after the split: %v", got)
		}
	})
}

func TestUnitValidation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := tree(t, db)
		p1, c := r.id("P1"), r.id("C")
		for _, tc := range []struct {
			in   org.UnitInput
			want []string
		}{
			{org.UnitInput{Code: "x y", Name: "A", Kind: "commune", ParentID: &p1}, []string{"code:code_format"}},
			{org.UnitInput{Code: "P1", Name: "A", Kind: "commune", ParentID: &p1}, []string{"code:duplicate"}},
			{org.UnitInput{Code: "A1", Name: "", Kind: "commune", ParentID: &p1}, []string{"name:required"}},
			{org.UnitInput{Code: "A1", Name: strings.Repeat("Xã ", 100), Kind: "commune", ParentID: &p1}, []string{"name:too_long"}},
			{org.UnitInput{Code: "A1", Name: "A", Kind: "hamlet", ParentID: &p1}, []string{"kind:one_of"}},
			{org.UnitInput{Code: "A1", Name: "A", Kind: "commune"}, []string{"parentId:required"}},
			{org.UnitInput{Code: "A1", Name: "A", Kind: "commune", ParentID: &c}, []string{"parentId:parent_level"}},
			{org.UnitInput{Code: "A1", Name: "A", Kind: "district", ParentID: &c}, []string{"parentId:parent_level"}},
			{org.UnitInput{Code: "A1", Name: "A", Kind: "commune", ParentID: &p1, ValidFrom: "1999-01-01"}, []string{"parentId:inactive_unit"}},
			{org.UnitInput{Code: "A1", Name: "A", Kind: "commune", ParentID: &p1, ValidFrom: "2020-02-30"}, []string{"validFrom:date"}},
		} {
			before := r.count(`SELECT COUNT(*) FROM org_units`)
			_, err := r.CreateUnit(ctx, tc.in, 0)
			if got := fieldsOf(t, err); !slices.Equal(got, tc.want) {
				t.Errorf("%+v: %v, want %v", tc.in, got, tc.want)
			}
			if r.count(`SELECT COUNT(*) FROM org_units`) != before {
				t.Errorf("%+v: a refused unit was written", tc.in)
			}
		}
		u, err := r.CreateUnit(ctx, org.UnitInput{Code: " p1.ward ", Name: " Phường  Mới ", Kind: "ward", ParentID: &p1, ValidFrom: "2010-05-01"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if u.Code != "P1.WARD" || u.Name != "Phường Mới" || u.Level != "commune" || u.ValidFrom != "2010-05-01" {
			t.Errorf("created %+v", u)
		}
		// A correction rewrites the current version, without a new one.
		u, err = r.EditUnit(ctx, u.ID, org.UnitEdit{Name: "Phường Mới Sửa", Kind: "township", SortOrder: 4})
		if err != nil || u.Name != "Phường Mới Sửa" || u.Kind != "township" || u.SortOrder != 4 {
			t.Errorf("edit: %+v, %v", u, err)
		}
		if n := r.count(`SELECT COUNT(*) FROM org_unit_versions WHERE unit_id = $1`, u.ID); n != 1 {
			t.Errorf("a correction made %d versions", n)
		}
		if _, err := r.EditUnit(ctx, u.ID, org.UnitEdit{Name: "X", Kind: "district"}); !slices.Equal(fieldsOf(t, err), []string{"kind:same_level"}) {
			t.Errorf("edit to another level: %v", err)
		}
		if _, err := r.EditUnit(ctx, 999999, org.UnitEdit{Name: "X", Kind: "ward"}); !errors.Is(err, errs.NotFound) {
			t.Errorf("edit an unknown unit: %v", err)
		}
	})
}

func TestTreeOrderIsVietnamese(t *testing.T) {
	t.Parallel()
	id := func(i int64) *int64 { return &i }
	units := []org.Unit{
		{ID: 10, Name: "Xã Đak Pơ", ParentID: id(1)},
		{ID: 11, Name: "Xã Ia Pa", ParentID: id(1)},
		{ID: 12, Name: "Xã Dun", ParentID: id(1)},
		{ID: 13, Name: "Xã Chư Sê", ParentID: id(1)},
		{ID: 14, Name: "Xã Ân Hảo", ParentID: id(1)},
		{ID: 15, Name: "Xã An Hòa", ParentID: id(1)},
		{ID: 16, Name: "Xã Ăn Khê", ParentID: id(1)},
		{ID: 20, Name: "Phường Zê", ParentID: id(1), SortOrder: -1},
		{ID: 30, Name: "Thôn Con", ParentID: id(13)},
		{ID: 1, Name: "Tỉnh"},
		{ID: 40, Name: "Đơn vị lạc", ParentID: id(99)}, // its parent is not listed: a root
	}
	var got []string
	for _, u := range org.TreeOrder(units) {
		got = append(got, u.Name)
	}
	// Roots are siblings too: Đ sorts before T.
	want := []string{"Đơn vị lạc", "Tỉnh", "Phường Zê", "Xã An Hòa", "Xã Ăn Khê", "Xã Ân Hảo", "Xã Chư Sê", "Thôn Con", "Xã Dun", "Xã Đak Pơ", "Xã Ia Pa"}
	if !slices.Equal(got, want) {
		t.Errorf("tree order:\n%v\nwant\n%v", got, want)
	}
}

func TestOfficialsAndAccess(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := tree(t, db)
		create := func(in org.OfficialInput) (int64, error) {
			var id int64
			err := db.Tx(ctx, func(tx *sql.Tx) error {
				var err error
				id, err = r.CreateOfficial(ctx, tx, in)
				return err
			})
			return id, err
		}
		admin, err := create(org.OfficialInput{Username: " Quan.Tri ", FullName: "Nguyễn  Văn An", UnitID: r.id("P1"), Password: "mat-khau-dai-1",
			Roles: []org.Grant{{Role: org.RoleAdmin}, {Role: org.RoleAdmin}}})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := create(org.OfficialInput{Username: "bao.cao", FullName: "Trần Thị Bích", UnitID: r.id("C"), Password: "mat-khau-dai-2",
			Roles: []org.Grant{{Role: org.RoleReporter}, {Role: org.RoleLeader, ScopeID: r.id("D")}}})
		if err != nil {
			t.Fatal(err)
		}
		other, err := create(org.OfficialInput{Username: "khac", FullName: "Lê Ánh", UnitID: r.id("P2"), Password: "mat-khau-dai-3"})
		if err != nil {
			t.Fatal(err)
		}
		o, err := r.Official(ctx, admin)
		if err != nil || o.Username != "quan.tri" || o.FullName != "Nguyễn Văn An" || len(o.Roles) != 1 || o.Roles[0].ScopeID != r.id("P1") || o.UnitName != "Tỉnh Một" {
			t.Errorf("official as stored: %+v, %v", o, err)
		}
		o, _ = r.Official(ctx, rep)
		if len(o.Roles) != 2 || o.Roles[0].Role != org.RoleLeader || o.Roles[1].Role != org.RoleReporter {
			t.Errorf("roles, most powerful first: %+v", o.Roles)
		}
		_, err = create(org.OfficialInput{Username: "BAO.CAO", FullName: "X", UnitID: r.id("C"), Password: "mat-khau-dai-2"})
		if got := fieldsOf(t, err); !slices.Equal(got, []string{"username:duplicate"}) {
			t.Errorf("a duplicate username in capitals: %v", got)
		}
		_, err = create(org.OfficialInput{Username: "x", FullName: "X", UnitID: 999999, Password: "y", Roles: []org.Grant{{Role: "owner", ScopeID: 999999}}})
		if got := fieldsOf(t, err); !slices.Equal(got, []string{"username:username_format", "password:too_short", "unitId:not_found", "roles[0].role:one_of", "roles[0].scopeId:not_found"}) {
			t.Errorf("everything wrong: %v", got)
		}

		list := func(scopes ...string) []string {
			t.Helper()
			var ids []int64
			for _, s := range scopes {
				ids = append(ids, r.id(s))
			}
			os, err := r.Officials(ctx, org.OfficialFilter{Scopes: ids})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, o := range os {
				out = append(out, o.Username)
			}
			return out
		}
		// Vietnamese lists sort people by given name: An < Ánh < Bích.
		if got := list("N"); !slices.Equal(got, []string{"quan.tri", "khac", "bao.cao"}) {
			t.Errorf("officials under N: %v", got)
		}
		if got := list("P1"); !slices.Equal(got, []string{"quan.tri", "bao.cao"}) {
			t.Errorf("officials under P1: %v", got)
		}
		if got := list("D"); !slices.Equal(got, []string{"bao.cao"}) {
			t.Errorf("officials under D: %v", got)
		}
		if got := list(); len(got) != 0 {
			t.Errorf("without a scope: %v", got)
		}

		pa, err := r.Principal(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		pr, _ := r.Principal(ctx, rep)
		po, _ := r.Principal(ctx, other)
		for _, c := range []struct {
			name string
			p    *org.Principal
			a    org.Action
			unit string
			want bool
		}{
			{"admin manages units in scope", pa, org.ManageUnits, "C", true},
			{"admin does not manage units outside", pa, org.ManageUnits, "P2", false},
			{"admin manages officials in scope", pa, org.ManageOfficial, "D", true},
			{"admin reads the audit somewhere", pa, org.ViewAudit, "", true},
			{"a reporter manages nothing", pr, org.ManageUnits, "C", false},
			{"a reporter reads officials of the leader's scope", pr, org.ViewOfficials, "E", true},
			{"but not outside it", pr, org.ViewOfficials, "P1", false},
			{"everyone views every unit", pr, org.ViewUnits, "P2", true},
			{"without roles, nothing", po, org.ViewUnits, "P2", false},
			{"without roles, not even one's own unit's officials", po, org.ViewOfficials, "P2", false},
			{"anonymous", nil, org.ViewUnits, "N", false},
		} {
			unit := int64(0)
			if c.unit != "" {
				unit = r.id(c.unit)
			}
			got, err := r.Can(ctx, c.p, c.a, unit)
			if err != nil || got != c.want {
				t.Errorf("%s: Can = %v, %v", c.name, got, err)
			}
		}
		if got := r.Scopes(pr, org.ViewOfficials); !slices.Equal(r.codes(got), []string{"D", "C"}) && !slices.Equal(r.codes(got), []string{"C", "D"}) {
			t.Errorf("reporter's scopes: %v", r.codes(got))
		}
		if len(r.Scopes(pr, org.ManageOfficial)) != 0 || !pa.Has(org.RoleAdmin) || pr.Has(org.RoleAdmin) {
			t.Error("Scopes or Has is wrong")
		}

		// Roles before and after an edit, for the audit trail.
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			before, after, err := r.UpdateOfficial(ctx, tx, rep, org.OfficialInput{FullName: "Trần Thị Bích", UnitID: r.id("E"), Roles: []org.Grant{{Role: org.RoleApprover}}})
			if err != nil {
				return err
			}
			if len(before) != 2 || len(after) != 1 || after[0].Role != org.RoleApprover || after[0].ScopeID != r.id("E") {
				t.Errorf("roles %+v → %+v", before, after)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// A disabled official is no principal.
		err = db.Tx(ctx, func(tx *sql.Tx) error { return r.SetDisabled(ctx, tx, rep, true) })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Principal(ctx, rep); !errors.Is(err, errs.Unauthorized) {
			t.Errorf("principal of a disabled official: %v", err)
		}
		if err := db.Tx(ctx, func(tx *sql.Tx) error { return r.SetDisabled(ctx, tx, 999999, true) }); !errors.Is(err, errs.NotFound) {
			t.Errorf("disable an unknown official: %v", err)
		}
	})
}
