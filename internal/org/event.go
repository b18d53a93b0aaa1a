package org

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/store"
)

// EventKinds are the reorganisations the registry records.
var EventKinds = []string{"merge", "split", "rename", "move", "dissolve"}

// EventInput is one reorganisation as a person records it. For merge and
// split, From are the predecessors and To the successors: existing unit codes
// (a successor that also appears in From continues and absorbs the others)
// and/or NewUnits created on the date. Rename and move change Subject.
type EventInput struct {
	Kind     string      `json:"kind" doc:"merge, split, rename, move or dissolve"`
	Date     string      `json:"date" doc:"YYYY-MM-DD, the first day of the new structure"`
	Basis    string      `json:"basis,omitempty" doc:"the legal basis, e.g. Nghị quyết số 202/2025/QH15"`
	Note     string      `json:"note,omitempty"`
	From     []string    `json:"from,omitempty" doc:"codes of the predecessor units"`
	To       []string    `json:"to,omitempty" doc:"codes of existing successor units"`
	NewUnits []UnitInput `json:"newUnits,omitempty" doc:"successor units created by the event"`
	Subject  string      `json:"subject,omitempty" doc:"code of the unit renamed or moved"`
	Name     string      `json:"name,omitempty" doc:"new name (rename)"`
	Parent   string      `json:"parent,omitempty" doc:"code of the new parent (move)"`
	Heirs    []HeirInput `json:"heirs,omitempty" doc:"dissolve: who takes over the duties of the units it ends (a merge or split hands them to its successors)"`
}

// HeirInput names the heirs of the duties of a unit a dissolve ends: the
// units that answer for its tasks, targets and reports from then on.
type HeirInput struct {
	Unit  string   `json:"unit,omitempty" doc:"code of a unit the event ends; absent: every unit it ends that no other entry names"`
	Heirs []string `json:"heirs" doc:"codes of the units taking over, existing on the event's date"`
}

// Event is a recorded reorganisation.
type Event struct {
	ID       int64               `json:"id"`
	Kind     string              `json:"kind"`
	Date     string              `json:"date"`
	Basis    string              `json:"basis"`
	Note     string              `json:"note"`
	From     []string            `json:"from"`
	To       []string            `json:"to"`
	Subjects []string            `json:"subjects"`
	Heirs    map[string][]string `json:"heirs" doc:"for each unit the event ended, the codes of the units that took over its duties: those named by a dissolve, the successors of a merge or split; a unit absent here ended with no heir"`
	Names    map[string]string   `json:"names" doc:"the name of each unit code above (its last name)"`
}

// HeirsOf lists the heirs of an ended unit as labels.
func (e Event) HeirsOf(code string) []string {
	var out []string
	for _, h := range e.Heirs[code] {
		out = append(out, e.Label(h))
	}
	return out
}

// Ended lists the codes of the units the event ended, in the order of From.
func (e Event) Ended() []string {
	var out []string
	for _, c := range e.From {
		if !slices.Contains(e.To, c) {
			out = append(out, c)
		}
	}
	return out
}

// Label is "Name (CODE)" for a code of the event.
func (e Event) Label(code string) string {
	if n := e.Names[code]; n != "" {
		return n + " (" + code + ")"
	}
	return code
}

// RecordEvent applies a reorganisation in one transaction and checks that
// the tree stays whole: no unit left under a parent that has ended.
func (s *Store) RecordEvent(ctx context.Context, in EventInput, actor int64) (Event, error) {
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = s.ApplyEvent(ctx, tx, in, actor); err != nil {
			return err
		}
		return s.CheckTree(ctx, tx, in.Date)
	})
	if err != nil {
		return Event{}, err
	}
	return s.event(ctx, s.db.Read, id)
}

// ApplyEvent applies a reorganisation inside tx without the whole-tree
// check, so that a batch (the demo's 1 July 2025) can apply many events and
// check once at the end.
func (s *Store) ApplyEvent(ctx context.Context, tx *sql.Tx, in EventInput, actor int64) (int64, error) {
	in.Kind = strings.TrimSpace(in.Kind)
	v := errs.Validator{Context: "reorganisation"}
	v.Check(slices.Contains(EventKinds, in.Kind), "kind", "one_of", strings.Join(EventKinds, ", "))
	v.Check(ValidDate(in.Date), "date", "date")
	v.Text("basis", strings.TrimSpace(in.Basis), errs.Line)
	v.Text("note", strings.TrimSpace(in.Note), errs.Paragraph)
	v.Check(len(in.Heirs) == 0 || in.Kind == "dissolve", "heirs", "heirs_dissolve_only")
	if err := v.Err(); err != nil {
		return 0, err
	}
	var heirs map[int64][]int64
	lookup := func(field, code string) (Unit, bool) {
		u, err := s.unitWhere(ctx, tx, "u.code = $2", strings.ToUpper(strings.TrimSpace(code)), in.Date)
		if err != nil {
			// Predecessors are looked up on the eve of the event.
			u, err = s.unitWhere(ctx, tx, "u.code = $2", strings.ToUpper(strings.TrimSpace(code)), dayBefore(in.Date))
		}
		if err != nil {
			v.Add(field, "inactive_unit", in.Date)
			return Unit{}, false
		}
		return u, true
	}
	links := map[string][]int64{}
	switch in.Kind {
	case "merge", "split", "dissolve":
		var from, to []Unit
		for i, c := range in.From {
			if u, ok := lookup(fieldIndex("from", i), c); ok {
				from = append(from, u)
			}
		}
		for i, c := range in.To {
			if u, ok := lookup(fieldIndex("to", i), c); ok {
				to = append(to, u)
			}
		}
		for i := range in.NewUnits {
			in.NewUnits[i].ValidFrom = in.Date
			in.NewUnits[i].normalise()
			s.validate(ctx, tx, in.NewUnits[i], fieldIndex("newUnits", i)+".", &v)
		}
		successors := len(to) + len(in.NewUnits)
		v.Check(len(in.From) > 0, "from", "required")
		switch in.Kind {
		case "merge":
			v.Check(len(in.From) >= 2 || successors == 1 && len(to) == 0, "from", "min_items", 2)
			v.Check(successors == 1, "to", "exactly_one")
		case "split":
			v.Check(len(in.From) == 1, "from", "exactly_one")
			v.Check(successors >= 2, "to", "min_items", 2)
		case "dissolve":
			v.Check(successors == 0, "to", "none")
			heirs = s.resolveHeirs(ctx, tx, in.Heirs, from, in.Date, &v)
		}
		if err := v.Err(); err != nil {
			return 0, err
		}
		for _, u := range from {
			links["from"] = append(links["from"], u.ID)
			if slices.ContainsFunc(to, func(t Unit) bool { return t.ID == u.ID }) {
				continue // continues and absorbs the others
			}
			if err := s.endUnit(ctx, tx, u.ID, in.Date); err != nil {
				return 0, err
			}
		}
		for _, u := range to {
			links["to"] = append(links["to"], u.ID)
		}
		for _, nu := range in.NewUnits {
			id, err := s.insertUnit(ctx, tx, nu)
			if err != nil {
				return 0, err
			}
			links["to"] = append(links["to"], id)
		}
	case "rename", "move":
		u, ok := lookup("subject", in.Subject)
		var parent Unit
		if in.Kind == "rename" {
			in.Name = strings.Join(strings.Fields(in.Name), " ")
			v.Check(in.Name != "", "name", "required")
			v.Text("name", in.Name, errs.Name)
			v.Check(in.Name != u.Name, "name", "unchanged")
		} else if p, pok := lookup("parent", in.Parent); pok {
			parent = p
			v.Check(!parentIs(u.ParentID, p.ID), "parent", "unchanged")
			v.Check(parentFits(p.Level, u.Level), "parent", "parent_level", p.Name)
			if ok {
				inside, err := s.withinAt(ctx, tx, p.ID, u.ID, in.Date)
				if err != nil {
					return 0, err
				}
				v.Check(!inside, "parent", "cycle")
			}
		}
		if err := v.Err(); err != nil {
			return 0, err
		}
		name, parentID := u.Name, u.ParentID
		if in.Kind == "rename" {
			name = in.Name
		} else {
			parentID = &parent.ID
		}
		if err := s.newVersion(ctx, tx, u, name, parentID, in.Date); err != nil {
			return 0, err
		}
		links["subject"] = []int64{u.ID}
	}
	id, err := s.insertEvent(ctx, tx, in.Kind, in.Date, in.Basis, in.Note, actor, links)
	if err != nil {
		return 0, err
	}
	return id, s.insertHeirs(ctx, tx, id, heirs)
}

// resolveHeirs checks the heirs a dissolve names for the units it ends
// (from) and returns them by ended unit. An heir must exist on the date
// and not be one of the units that end; an entry without a unit applies to
// every ended unit that no other entry names.
func (s *Store) resolveHeirs(ctx context.Context, q store.Querier, in []HeirInput, from []Unit, date string, v *errs.Validator) map[int64][]int64 {
	out := map[int64][]int64{}
	ending := map[int64]bool{}
	byCode := map[string]Unit{}
	for _, u := range from {
		ending[u.ID] = true
		byCode[u.Code] = u
	}
	named := map[int64]bool{}
	var general []int64
	hasGeneral := false
	for i, h := range in {
		f := fieldIndex("heirs", i)
		var targets []int64
		if code := strings.ToUpper(strings.TrimSpace(h.Unit)); code == "" {
			if hasGeneral {
				v.Add(f+".unit", "required")
			}
			hasGeneral = true
		} else if u, ok := byCode[code]; !ok {
			v.Add(f+".unit", "not_ended_by_event", code)
		} else if named[u.ID] {
			v.Add(f+".unit", "duplicate", code)
		} else {
			named[u.ID] = true
			targets = []int64{u.ID}
		}
		var ids []int64
		v.Check(len(h.Heirs) > 0, f+".heirs", "required")
		for j, c := range h.Heirs {
			hf := f + ".heirs[" + itoa(j) + "]"
			code := strings.ToUpper(strings.TrimSpace(c))
			u, err := s.unitWhere(ctx, q, "u.code = $2", code, date)
			switch {
			case err != nil:
				v.Add(hf, "inactive_unit_code", code, date)
			case ending[u.ID]:
				v.Add(hf, "heir_ends", code)
			case !slices.Contains(ids, u.ID):
				ids = append(ids, u.ID)
			}
		}
		if h.Unit == "" || strings.TrimSpace(h.Unit) == "" {
			general = ids
			continue
		}
		for _, t := range targets {
			out[t] = ids
		}
	}
	if hasGeneral {
		for _, u := range from {
			if !named[u.ID] {
				out[u.ID] = general
			}
		}
	}
	return out
}

// insertHeirs records the heirs of each ended unit of an event.
func (s *Store) insertHeirs(ctx context.Context, tx *sql.Tx, event int64, heirs map[int64][]int64) error {
	for unit, ids := range heirs {
		for _, h := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO org_event_heirs (event_id, unit_id, heir_id) VALUES ($1, $2, $3)`, event, unit, h); err != nil {
				return err
			}
		}
	}
	return nil
}

func parentIs(p *int64, id int64) bool { return p != nil && *p == id }

func fieldIndex(name string, i int) string { return name + "[" + itoa(i) + "]" }

// endUnit closes a unit and its current version on the eve of date.
func (s *Store) endUnit(ctx context.Context, tx *sql.Tx, id int64, date string) error {
	last := dayBefore(date)
	if _, err := tx.ExecContext(ctx, `UPDATE org_units SET valid_to = $1 WHERE id = $2`, last, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE org_unit_versions SET valid_to = $1 WHERE unit_id = $2 AND valid_to IS NULL`, last, id)
	return err
}

// newVersion closes the current version of u and opens one from date.
func (s *Store) newVersion(ctx context.Context, tx *sql.Tx, u Unit, name string, parent *int64, date string) error {
	var sameDay int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM org_unit_versions WHERE unit_id = $1 AND valid_from = $2`, u.ID, date).Scan(&sameDay); err != nil {
		return err
	}
	if sameDay > 0 {
		// A version starts that day (the unit's first, or an earlier change
		// of the same day): correct it instead.
		_, err := tx.ExecContext(ctx, `UPDATE org_unit_versions SET name = $1, search_name = $2, parent_id = $3 WHERE unit_id = $4 AND valid_from = $5`,
			name, locale.Fold(name), parent, u.ID, date)
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE org_unit_versions SET valid_to = $1 WHERE unit_id = $2 AND valid_from <= $3 AND (valid_to IS NULL OR valid_to >= $3)`,
		dayBefore(date), u.ID, date); err != nil {
		return err
	}
	// The new version lasts until the next one when the change is recorded
	// after a later one, else as long as the unit.
	var validTo any
	if u.ValidTo != "" {
		validTo = u.ValidTo
	}
	var next sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT MIN(valid_from) FROM org_unit_versions WHERE unit_id = $1 AND valid_from > $2`, u.ID, date).Scan(&next); err != nil {
		return err
	}
	if next.Valid {
		validTo = dayBefore(next.String)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO org_unit_versions (unit_id, name, search_name, kind, parent_id, sort_order, valid_from, valid_to) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		u.ID, name, locale.Fold(name), u.Kind, parent, u.SortOrder, date, validTo)
	return err
}

func (s *Store) insertEvent(ctx context.Context, tx *sql.Tx, kind, date, basis, note string, actor int64, links map[string][]int64) (int64, error) {
	var by any
	if actor != 0 {
		by = actor
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO org_events (kind, event_date, basis, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		kind, date, strings.TrimSpace(basis), strings.TrimSpace(note), by, store.Now()).Scan(&id)
	if err != nil {
		return 0, err
	}
	for role, ids := range links {
		for _, u := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO org_event_units (event_id, unit_id, role) VALUES ($1, $2, $3)`, id, u, role); err != nil {
				return 0, err
			}
		}
	}
	return id, nil
}

// CheckTree verifies that on date and on its eve no existing unit hangs
// under a parent that does not exist.
func (s *Store) CheckTree(ctx context.Context, q store.Querier, date string) error {
	for _, d := range []string{dayBefore(date), date} {
		var code, name string
		err := q.QueryRowContext(ctx, `
			SELECT u.code, v.name FROM org_units u `+versionAt+`
			WHERE v.parent_id IS NOT NULL AND NOT EXISTS (
				SELECT 1 FROM org_unit_versions p WHERE p.unit_id = v.parent_id
				AND p.valid_from <= $1 AND (p.valid_to IS NULL OR p.valid_to >= $1))
			LIMIT 1`, d).Scan(&code, &name)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return err
		}
		return errs.Invalid(errs.Field{Name: "from", Code: "orphans", Args: []any{name + " (" + code + ")"}})
	}
	return nil
}

func (s *Store) withinAt(ctx context.Context, q store.Querier, unit, scope int64, date string) (bool, error) {
	for range 32 {
		if unit == scope {
			return true, nil
		}
		u, err := s.unitWhere(ctx, q, "u.id = $2", unit, date)
		if err != nil || u.ParentID == nil {
			return false, nil
		}
		unit = *u.ParentID
	}
	return false, nil
}

func (s *Store) event(ctx context.Context, q store.Querier, id int64) (Event, error) {
	evs, err := s.events(ctx, q, `WHERE e.id = $1`, id)
	if err != nil {
		return Event{}, err
	}
	if len(evs) == 0 {
		return Event{}, errs.NotFound
	}
	return evs[0], nil
}

// Events lists the reorganisations a unit took part in, or all when unit
// is zero, newest first.
func (s *Store) Events(ctx context.Context, unit int64) ([]Event, error) {
	if unit == 0 {
		return s.events(ctx, s.db.Read, `WHERE e.kind <> 'create'`)
	}
	return s.events(ctx, s.db.Read, `WHERE e.id IN (SELECT event_id FROM org_event_units WHERE unit_id = $1)`, unit)
}

func (s *Store) events(ctx context.Context, q store.Querier, where string, args ...any) ([]Event, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT e.id, e.kind, e.event_date, e.basis, e.note, COALESCE(l.role, ''), COALESCE(u.code, ''),
			COALESCE((SELECT v.name FROM org_unit_versions v WHERE v.unit_id = u.id ORDER BY v.valid_from DESC LIMIT 1), '')
		FROM org_events e
		LEFT JOIN org_event_units l ON l.event_id = e.id
		LEFT JOIN org_units u ON u.id = l.unit_id
		`+where+` ORDER BY e.event_date DESC, e.id DESC, l.role, u.code`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var role, code, name string
		if err := rows.Scan(&e.ID, &e.Kind, &e.Date, &e.Basis, &e.Note, &role, &code, &name); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != e.ID {
			e.From, e.To, e.Subjects, e.Names = []string{}, []string{}, []string{}, map[string]string{}
			out = append(out, e)
		}
		last := &out[len(out)-1]
		if code != "" {
			last.Names[code] = name
		}
		switch role {
		case "from":
			last.From = append(last.From, code)
		case "to":
			last.To = append(last.To, code)
		case "subject":
			last.Subjects = append(last.Subjects, code)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return out, s.fillHeirs(ctx, q, out, where, args)
}

// fillHeirs adds to each event the heirs of the units it ended: the rows a
// dissolve recorded, the successors of a merge or split.
func (s *Store) fillHeirs(ctx context.Context, q store.Querier, evs []Event, where string, args []any) error {
	if len(evs) == 0 {
		return nil
	}
	index := make(map[int64]int, len(evs))
	for i := range evs {
		index[evs[i].ID] = i
		evs[i].Heirs = map[string][]string{}
		if evs[i].Kind == "merge" || evs[i].Kind == "split" {
			for _, c := range evs[i].Ended() {
				evs[i].Heirs[c] = slices.Clone(evs[i].To)
			}
		}
	}
	rows, err := q.QueryContext(ctx, `
		SELECT h.event_id, u.code, hu.code,
			COALESCE((SELECT v.name FROM org_unit_versions v WHERE v.unit_id = hu.id ORDER BY v.valid_from DESC LIMIT 1), '')
		FROM org_event_heirs h JOIN org_units u ON u.id = h.unit_id JOIN org_units hu ON hu.id = h.heir_id
		WHERE h.event_id IN (SELECT e.id FROM org_events e `+where+`) ORDER BY h.event_id, u.code, hu.code`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var unit, heir, name string
		if err := rows.Scan(&id, &unit, &heir, &name); err != nil {
			return err
		}
		e := &evs[index[id]]
		e.Heirs[unit] = append(e.Heirs[unit], heir)
		e.Names[heir] = name
	}
	return rows.Err()
}

// Successors follows merges, splits and the heirs of dissolves forward from
// unit to the units that exist on date: what a plan, task or report of an
// old unit passes to.
func (s *Store) Successors(ctx context.Context, q store.Querier, unit int64, date string) ([]int64, error) {
	seen := map[int64]bool{}
	var out []int64
	frontier := []int64{unit}
	for len(frontier) > 0 && len(seen) < 1000 {
		id := frontier[0]
		frontier = frontier[1:]
		if seen[id] {
			continue
		}
		seen[id] = true
		var validTo string
		if err := q.QueryRowContext(ctx, `SELECT COALESCE(valid_to, '') FROM org_units WHERE id = $1`, id).Scan(&validTo); err != nil {
			return nil, err
		}
		if validTo == "" || validTo >= date {
			out = append(out, id)
			continue
		}
		next, err := s.heirs(ctx, q, id)
		if err != nil {
			return nil, err
		}
		frontier = append(frontier, next...)
	}
	return out, nil
}

// heirs are the units that took over the duties of unit when it ended, one
// step: the successors of the merge or split that ended it, or the heirs
// its dissolve named.
func (s *Store) heirs(ctx context.Context, q store.Querier, unit int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT t.unit_id FROM org_event_units f
		JOIN org_event_units t ON t.event_id = f.event_id AND t.role = 'to'
		WHERE f.unit_id = $1 AND f.role = 'from' AND t.unit_id <> $1
		UNION
		SELECT heir_id FROM org_event_heirs WHERE unit_id = $1
		ORDER BY 1`, unit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Heirs lists the units that took over the duties of unit when it ended
// (nothing for a unit that exists): the successors of its merge or split,
// or the heirs its dissolve named. Successors follows these links on to
// the units that exist today.
func (s *Store) Heirs(ctx context.Context, unit int64) ([]int64, error) {
	return s.heirs(ctx, s.db.Read, unit)
}

func itoa(i int) string { return strconv.Itoa(i) }

// Predecessors lists unit and every unit it succeeded or inherited the
// duties of, transitively: whose records the unit now answers for.
func (s *Store) Predecessors(ctx context.Context, unit int64) ([]int64, error) {
	out := []int64{unit}
	seen := map[int64]bool{unit: true}
	for i := 0; i < len(out) && len(out) < 1000; i++ {
		rows, err := s.db.Read.QueryContext(ctx, `
			SELECT f.unit_id FROM org_event_units t
			JOIN org_event_units f ON f.event_id = t.event_id AND f.role = 'from'
			WHERE t.unit_id = $1 AND t.role = 'to'
			UNION
			SELECT unit_id FROM org_event_heirs WHERE heir_id = $1`, out[i])
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// HeirsInput names again the heirs of the units a dissolve ended: for an
// event recorded before heirs were asked, or to correct them.
type HeirsInput struct {
	Heirs []HeirInput `json:"heirs"`
}

// SetHeirs replaces the heirs of the units a dissolve ended, for each unit
// the input names (or every unit, for an entry without one), checked as
// when the event is recorded, in one transaction.
func (s *Store) SetHeirs(ctx context.Context, event int64, in HeirsInput) (Event, error) {
	ev, err := s.event(ctx, s.db.Read, event)
	if err != nil {
		return Event{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var v errs.Validator
		v.Check(ev.Kind == "dissolve", "heirs", "heirs_dissolve_only")
		v.Check(len(in.Heirs) > 0, "heirs", "required")
		if err := v.Err(); err != nil {
			return err
		}
		var from []Unit
		for _, c := range ev.From {
			u, err := s.unitWhere(ctx, tx, "u.code = $2", c, dayBefore(ev.Date))
			if err != nil {
				return err
			}
			from = append(from, u)
		}
		heirs := s.resolveHeirs(ctx, tx, in.Heirs, from, ev.Date, &v)
		if err := v.Err(); err != nil {
			return err
		}
		for unit := range heirs {
			if _, err := tx.ExecContext(ctx, `DELETE FROM org_event_heirs WHERE event_id = $1 AND unit_id = $2`, event, unit); err != nil {
				return err
			}
		}
		return s.insertHeirs(ctx, tx, event, heirs)
	})
	if err != nil {
		return Event{}, err
	}
	return s.event(ctx, s.db.Read, event)
}
