package org

import (
	"context"
	"fmt"
	"slices"
)

// Snapshot is the registry's whole history in memory, read in a few
// queries: every unit with its versions, and the links of every
// reorganisation. It answers what Units, Successors and Predecessors
// answer, for any number of dates and units without a query each, so that
// bulk work (completeness over a country's 3,321 communes, twelve months
// at a time) stays fast. It does not see writes made after Snapshot
// returned. It builds trees as it is asked for them, so one goroutine uses
// a snapshot at a time.
type Snapshot struct {
	units map[int64]*snapUnit
	ids   []int64            // every unit, by id
	next  map[int64][]int64  // heirs: one step forward, as Heirs
	prev  map[int64][]int64  // one step back, as Predecessors follows
	trees map[string]*AtTree // by epoch; filled by At
	// bounds are the days the registry changes on (a unit or version
	// begins, or the day after one ends), in order: between two of them
	// the tree is the same, and dates share it.
	bounds []string
	today  string
}

type snapUnit struct {
	id                 int64
	code               string
	validFrom, validTo string
	versions           []snapVersion // by valid_from
}

type snapVersion struct {
	name, kind string
	parent     int64 // 0: none
	sort       int
	from, to   string // to "" while open
}

// Snapshot reads the registry's history.
func (s *Store) Snapshot(ctx context.Context) (*Snapshot, error) {
	sn := &Snapshot{units: map[int64]*snapUnit{}, next: map[int64][]int64{}, prev: map[int64][]int64{}, trees: map[string]*AtTree{}, today: Today()}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, code, valid_from, COALESCE(valid_to, '') FROM org_units ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("registry snapshot: %w", err)
	}
	for rows.Next() {
		u := &snapUnit{}
		if err := rows.Scan(&u.id, &u.code, &u.validFrom, &u.validTo); err != nil {
			rows.Close()
			return nil, err
		}
		sn.units[u.id] = u
		sn.ids = append(sn.ids, u.id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.Read.QueryContext(ctx, `SELECT unit_id, name, kind, COALESCE(parent_id, 0), sort_order, valid_from, COALESCE(valid_to, '')
		FROM org_unit_versions ORDER BY unit_id, valid_from`)
	if err != nil {
		return nil, fmt.Errorf("registry snapshot: versions: %w", err)
	}
	for rows.Next() {
		var id int64
		var v snapVersion
		if err := rows.Scan(&id, &v.name, &v.kind, &v.parent, &v.sort, &v.from, &v.to); err != nil {
			rows.Close()
			return nil, err
		}
		if u := sn.units[id]; u != nil {
			u.versions = append(u.versions, v)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The same links as heirs() and Predecessors: the successors of the
	// merge or split that ended a unit, and the heirs a dissolve named.
	link := func(q string) error {
		rows, err := s.db.Read.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("registry snapshot: links: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var from, to int64
			if err := rows.Scan(&from, &to); err != nil {
				return err
			}
			if from == to {
				continue
			}
			if !slices.Contains(sn.next[from], to) {
				sn.next[from] = append(sn.next[from], to)
			}
			if !slices.Contains(sn.prev[to], from) {
				sn.prev[to] = append(sn.prev[to], from)
			}
		}
		return rows.Err()
	}
	if err := link(`SELECT f.unit_id, t.unit_id FROM org_event_units f
		JOIN org_event_units t ON t.event_id = f.event_id AND t.role = 'to'
		WHERE f.role = 'from' ORDER BY 1, 2`); err != nil {
		return nil, err
	}
	if err := link(`SELECT unit_id, heir_id FROM org_event_heirs ORDER BY 1, 2`); err != nil {
		return nil, err
	}
	for id := range sn.next {
		slices.Sort(sn.next[id])
	}
	seen := map[string]bool{}
	bound := func(d string) {
		if d != "" && !seen[d] {
			seen[d] = true
			sn.bounds = append(sn.bounds, d)
		}
	}
	for _, u := range sn.units {
		bound(u.validFrom)
		if u.validTo != "" {
			bound(dayAfter(u.validTo))
		}
		for _, v := range u.versions {
			bound(v.from)
			if v.to != "" {
				bound(dayAfter(v.to))
			}
		}
	}
	slices.Sort(sn.bounds)
	return sn, nil
}

// Epoch is the first day of the span of days around date over which the
// registry does not change ("" before any unit): two dates with the same
// epoch see the same tree and the same successors.
func (sn *Snapshot) Epoch(date string) string {
	i, found := slices.BinarySearch(sn.bounds, date)
	if found {
		return sn.bounds[i]
	}
	if i == 0 {
		return ""
	}
	return sn.bounds[i-1]
}

// Today is the date the snapshot was taken on (Vietnam), YYYY-MM-DD.
func (sn *Snapshot) Today() string { return sn.today }

// exists reports whether unit exists on date as Successors reads it: it
// has not ended before date.
func (sn *Snapshot) exists(unit int64, date string) bool {
	u := sn.units[unit]
	return u != nil && (u.validTo == "" || u.validTo >= date)
}

// Successors is Store.Successors without queries: unit if it exists on
// date, else the units its heirs' links lead to that do.
func (sn *Snapshot) Successors(unit int64, date string) []int64 {
	seen := map[int64]bool{}
	var out []int64
	frontier := []int64{unit}
	for len(frontier) > 0 && len(seen) < 1000 {
		id := frontier[0]
		frontier = frontier[1:]
		if seen[id] || sn.units[id] == nil {
			continue
		}
		seen[id] = true
		if sn.exists(id, date) {
			out = append(out, id)
			continue
		}
		frontier = append(frontier, sn.next[id]...)
	}
	return out
}

// Predecessors is Store.Predecessors without queries: unit first, then
// every unit it succeeded or inherited the duties of, transitively.
func (sn *Snapshot) Predecessors(unit int64) []int64 {
	out := []int64{unit}
	seen := map[int64]bool{unit: true}
	for i := 0; i < len(out) && len(out) < 1000; i++ {
		for _, id := range sn.prev[out[i]] {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

func (u *snapUnit) versionAt(date string) (snapVersion, bool) {
	for i := len(u.versions) - 1; i >= 0; i-- {
		v := u.versions[i]
		if v.from <= date && (v.to == "" || v.to >= date) {
			return v, true
		}
	}
	return snapVersion{}, false
}

func (u *snapUnit) unit(v snapVersion) Unit {
	out := Unit{ID: u.id, Code: u.code, Name: v.name, Kind: v.kind, Level: LevelOf(v.kind), SortOrder: v.sort, ValidFrom: u.validFrom, ValidTo: u.validTo}
	if v.parent != 0 {
		p := v.parent
		out.ParentID = &p
	}
	return out
}

// AtTree is the registry as it stood on one date: what Units(AsOf) lists,
// with each unit's parent and children.
type AtTree struct {
	Date     string
	units    map[int64]Unit
	children map[int64][]int64
	sn       *Snapshot
	order    *[]Unit // tree order, shared by the dates of an epoch
}

// At is the tree of the registry on date (YYYY-MM-DD), built once per
// epoch (see Epoch) and shared by the dates in it.
func (sn *Snapshot) At(date string) *AtTree {
	epoch := sn.Epoch(date)
	if t := sn.trees[epoch]; t != nil {
		if t.Date == date {
			return t
		}
		return &AtTree{Date: date, units: t.units, children: t.children, sn: sn, order: t.order}
	}
	t := &AtTree{Date: date, units: map[int64]Unit{}, children: map[int64][]int64{}, sn: sn, order: new([]Unit)}
	for _, id := range sn.ids {
		if v, ok := sn.units[id].versionAt(date); ok {
			t.units[id] = sn.units[id].unit(v)
		}
	}
	for _, id := range sn.ids {
		if u, ok := t.units[id]; ok && u.ParentID != nil {
			t.children[*u.ParentID] = append(t.children[*u.ParentID], id)
		}
	}
	sn.trees[epoch] = t
	return t
}

// Has reports whether unit stood in the tree on its date.
func (t *AtTree) Has(unit int64) bool { _, ok := t.units[unit]; return ok }

// Unit is a unit as it stood on the tree's date.
func (t *AtTree) Unit(unit int64) (Unit, bool) { u, ok := t.units[unit]; return u, ok }

// Parent is the parent of unit on the tree's date, 0 for a root or a unit
// not in the tree.
func (t *AtTree) Parent(unit int64) int64 {
	if u, ok := t.units[unit]; ok && u.ParentID != nil {
		return *u.ParentID
	}
	return 0
}

// Children lists the direct children of unit, by id.
func (t *AtTree) Children(unit int64) []int64 { return t.children[unit] }

// Descendants lists the units below unit (not unit itself), depth first.
func (t *AtTree) Descendants(unit int64) []int64 {
	var out []int64
	stack := slices.Clone(t.children[unit])
	for len(stack) > 0 && len(out) < 1_000_000 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out = append(out, id)
		stack = append(stack, t.children[id]...)
	}
	return out
}

// Ancestors lists unit and the units above it on the tree's date, unit
// first; empty for a unit not in the tree.
func (t *AtTree) Ancestors(unit int64) []int64 {
	var out []int64
	for id, n := unit, 0; id != 0 && n < 64 && t.Has(id); id, n = t.Parent(id), n+1 {
		out = append(out, id)
	}
	return out
}

// Units lists the tree's units in tree order, as Units does (sorted once;
// the caller must not change the slice).
func (t *AtTree) Units() []Unit {
	if *t.order != nil {
		return *t.order
	}
	out := make([]Unit, 0, len(t.units))
	for _, id := range t.sn.ids {
		if u, ok := t.units[id]; ok {
			out = append(out, u)
		}
	}
	*t.order = TreeOrder(out)
	return *t.order
}

// Unit is a unit as Store.Unit(id, "") gives it: as it is on the
// snapshot's day, or on its last day for a unit that has ended; its Label
// names its province then, as WithLabels does.
func (sn *Snapshot) Unit(id int64) (Unit, bool) {
	u := sn.units[id]
	if u == nil || len(u.versions) == 0 {
		return Unit{}, false
	}
	date := sn.today
	if u.validTo != "" && u.validTo < date {
		date = u.validTo
	}
	v, ok := u.versionAt(date)
	if !ok {
		v = u.versions[len(u.versions)-1]
	}
	out := u.unit(v)
	province := ""
	for p, n := v.parent, 0; p != 0 && n < 64; n++ {
		pu := sn.units[p]
		if pu == nil {
			break
		}
		pv, ok := pu.versionAt(date)
		if !ok {
			break
		}
		if pv.kind == "province" {
			province = pv.name
			break
		}
		p = pv.parent
	}
	out.Label = Label(out.Name, province)
	return out, true
}

// ByCode finds a unit's id by code.
func (sn *Snapshot) ByCode(code string) (int64, bool) {
	for _, id := range sn.ids {
		if sn.units[id].code == code {
			return id, true
		}
	}
	return 0, false
}

// Within is Store.Within without queries: unit lies in the subtree of
// scope on its last day if it has ended, else on the snapshot's day; a
// scope also covers what its predecessors covered.
func (sn *Snapshot) Within(unit, scope int64) bool {
	if unit == scope {
		return true
	}
	u := sn.units[unit]
	if u == nil {
		return false
	}
	date := u.validTo
	if date == "" || date > sn.today {
		date = sn.today
	}
	tree := sn.At(date)
	// The ancestors as Store.Within walks them: up the versions valid on
	// date, whether or not each ancestor's own row says it exists then.
	var ancestors []int64
	for id, n := unit, 0; id != 0 && n < 33; n++ {
		ancestors = append(ancestors, id)
		p := tree.Parent(id)
		if p == 0 {
			break
		}
		id = p
	}
	if slices.Contains(ancestors, scope) {
		return true
	}
	if date == sn.today {
		return false
	}
	for _, a := range ancestors {
		if slices.Contains(sn.Successors(a, sn.today), scope) {
			return true
		}
	}
	return false
}
