package report

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinhso/tinhso/internal/org"
)

// The org registry as analytics read it: org.Snapshot (every unit with its
// versions and the links that pass its records on: merges, splits, the
// heirs of a dissolve) held in memory, so that a query over a 1,000-unit
// subtree does not walk the tree unit by unit in SQL. A snapshot is kept
// while the registry's fingerprint (counts and sums of its tables, one
// cheap query) stays the same, and at most registryTTL.

const registryTTL = 5 * time.Minute

// registry is one snapshot of the org registry and the structures built
// from it, one per date asked.
type registry struct {
	fingerprint string
	loaded      time.Time
	sn          *org.Snapshot
	byCode      map[string]int64
	mu          sync.Mutex // guards structures and sn.At
	structures  map[string]*structure
}

// structure is the tree as it stood on one day, and where every unit's
// records stand in it: a unit that existed that day stands for itself; one
// that had ended stands in its successors and heirs that existed then
// (org.Successors); one formed later is not in it.
type structure struct {
	date     string
	tree     *org.AtTree
	depth    map[int64]int // 1 for a root
	level    map[int64]string
	roots    []int64
	children map[int64][]int64 // in tree order
	// standsFor lists, for each unit of the tree, the units whose records
	// it holds that day: itself and the predecessors mapped onto it.
	standsFor map[int64][]int64
}

// registryCache keeps the current snapshot of a store.
type registryCache struct {
	mu  sync.Mutex
	reg *registry
	// unitByUnit turns off the database's sums over large unit sets (tests
	// compare the two ways).
	unitByUnit atomic.Bool
	// noTotals skips the write hook's running totals (the benchmark of
	// what the hook costs a write).
	noTotals atomic.Bool
}

const fingerprintQuery = `SELECT
	(SELECT COUNT(*) FROM org_units), (SELECT COUNT(valid_to) FROM org_units),
	(SELECT COUNT(*) FROM org_unit_versions), (SELECT COALESCE(MAX(id), 0) FROM org_unit_versions),
	(SELECT COALESCE(SUM(parent_id), 0) FROM org_unit_versions), (SELECT COUNT(valid_to) FROM org_unit_versions),
	(SELECT COALESCE(SUM(sort_order), 0) FROM org_unit_versions),
	(SELECT COUNT(*) FROM org_event_units), (SELECT COUNT(*) FROM org_event_heirs), (SELECT COALESCE(MAX(id), 0) FROM org_event_heirs)`

// registry returns a current snapshot of the org registry.
func (s *Store) registry(ctx context.Context) (*registry, error) {
	var f [10]int64
	if err := s.db.Read.QueryRowContext(ctx, fingerprintQuery).Scan(&f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9]); err != nil {
		return nil, fmt.Errorf("report: registry fingerprint: %w", err)
	}
	fp := fmt.Sprint(f, org.Today())
	c := s.regs
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reg != nil && c.reg.fingerprint == fp && time.Since(c.reg.loaded) < registryTTL {
		return c.reg, nil
	}
	sn, err := s.org.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	reg := &registry{fingerprint: fp, loaded: time.Now(), sn: sn, byCode: map[string]int64{}, structures: map[string]*structure{}}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, code FROM org_units`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return nil, err
		}
		reg.byCode[code] = id
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c.reg = reg
	return reg, nil
}

// unit is a unit as it is today (or on its last day), with its label.
func (r *registry) unit(id int64) (org.Unit, bool) { return r.sn.Unit(id) }

// at is the structure of date, built once per snapshot and date.
func (r *registry) at(date string) *structure {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.structures[date]; ok {
		return st
	}
	if len(r.structures) >= 16 {
		r.structures = map[string]*structure{}
	}
	tree := r.sn.At(date)
	st := &structure{date: date, tree: tree, depth: map[int64]int{}, level: map[int64]string{}, children: map[int64][]int64{}, standsFor: map[int64][]int64{}}
	units := tree.Units() // tree order
	for _, u := range units {
		st.level[u.ID] = u.Level
		if u.ParentID == nil || !tree.Has(*u.ParentID) {
			st.depth[u.ID] = 1
			st.roots = append(st.roots, u.ID)
		} else {
			st.depth[u.ID] = st.depth[*u.ParentID] + 1
			st.children[*u.ParentID] = append(st.children[*u.ParentID], u.ID)
		}
	}
	for _, id := range r.allIDs() {
		for _, to := range r.sn.Successors(id, date) {
			if tree.Has(to) {
				st.standsFor[to] = append(st.standsFor[to], id)
			}
		}
	}
	r.structures[date] = st
	return st
}

func (r *registry) allIDs() []int64 {
	ids := make([]int64, 0, len(r.byCode))
	for _, id := range r.byCode {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// has reports whether unit is in the structure.
func (st *structure) has(unit int64) bool { return st.tree.Has(unit) }

// subtree lists unit and every unit under it, in tree order.
func (st *structure) subtree(unit int64) []int64 {
	out := []int64{unit}
	var walk func(id int64)
	walk = func(id int64) {
		for _, c := range st.children[id] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(unit)
	return out
}

// sources are the units whose values count for unit: with own, the values
// it holds itself (its own and its predecessors'); else those of its whole
// subtree. levels, when given, keep only the units of the subtree at those
// org levels (province, department, district, commune).
func (st *structure) sources(unit int64, own bool, levels []string) []int64 {
	holders := []int64{unit}
	if !own {
		holders = st.subtree(unit)
	}
	var out []int64
	for _, h := range holders {
		if len(levels) > 0 && !slices.Contains(levels, st.level[h]) {
			continue
		}
		out = append(out, st.standsFor[h]...)
	}
	return out
}

// atDepth lists the units of the subtree of unit at a depth of the tree
// (1 for a root), in tree order.
func (st *structure) atDepth(unit int64, depth int) []int64 {
	var out []int64
	for _, id := range st.subtree(unit) {
		if st.depth[id] == depth {
			out = append(out, id)
		}
	}
	return out
}

// atLevel lists the units of the subtree of unit at an org level.
func (st *structure) atLevel(unit int64, level string) []int64 {
	var out []int64
	for _, id := range st.subtree(unit) {
		if st.level[id] == level {
			out = append(out, id)
		}
	}
	return out
}
