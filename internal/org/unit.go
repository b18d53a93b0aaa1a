// Package org is the registry of org units over time (province → department
// or district → commune, and since 1 July 2025 province → commune), the
// reorganisations between them, the officials who belong to them, their
// roles, and the one policy that decides who may do what where.
package org

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/collate"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
)

// Kinds of org unit, and the level each belongs to.
var kindLevel = map[string]string{
	"nation":       "nation",
	"province":     "province",
	"department":   "department", // sở
	"agency":       "department", // ban, ngành and other provincial bodies
	"district":     "district",   // huyện
	"town":         "district",   // thị xã
	"city":         "district",   // thành phố thuộc tỉnh
	"commune":      "commune",    // xã
	"ward":         "commune",    // phường
	"township":     "commune",    // thị trấn
	"special_zone": "commune",    // đặc khu
}

// Kinds lists the kinds in display order.
var Kinds = []string{"nation", "province", "department", "agency", "city", "town", "district", "ward", "township", "commune", "special_zone"}

// LevelOf is the level of a kind.
func LevelOf(kind string) string { return kindLevel[kind] }

// Unit is an org unit as it was on a given date.
type Unit struct {
	ID        int64  `json:"id"`
	Code      string `json:"code"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Level     string `json:"level" doc:"nation, province, department, district or commune"`
	ParentID  *int64 `json:"parentId"`
	SortOrder int    `json:"sortOrder"`
	ValidFrom string `json:"validFrom" doc:"YYYY-MM-DD"`
	ValidTo   string `json:"validTo,omitempty" doc:"YYYY-MM-DD, the last day; absent while the unit exists"`
	Label     string `json:"label,omitempty" doc:"the name with the province the unit lies in, as lists show it (names repeat across provinces)"`
}

// Active reports whether the unit exists on date (YYYY-MM-DD).
func (u Unit) Active(date string) bool {
	return u.ValidFrom <= date && (u.ValidTo == "" || u.ValidTo >= date)
}

// Today is the current date in Vietnam, YYYY-MM-DD.
func Today() string { return time.Now().In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly) }

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._-]{0,39}$`)

// ValidDate reports whether s is a real YYYY-MM-DD date.
func ValidDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// dayAfter is the first day without a unit whose last day is date.
func dayAfter(date string) string {
	t, _ := time.Parse(time.DateOnly, date)
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}

// dayBefore is the last day of a unit or version that an event on date ends.
func dayBefore(date string) string {
	t, _ := time.Parse(time.DateOnly, date)
	return t.AddDate(0, 0, -1).Format(time.DateOnly)
}

// Store reads and writes org units, events and officials.
type Store struct {
	db        *store.DB
	passwords password.Hasher
	policy    map[Action][]string
}

// NewStore returns the org store on db; new passwords are hashed with
// passwords. The policy starts with the registry's own rules; domains add
// theirs with Allow when they mount.
func NewStore(db *store.DB, passwords password.Hasher) *Store {
	return &Store{db: db, passwords: passwords, policy: basePolicy()}
}

// HashPassword hashes a new password with the store's costs.
func (s *Store) HashPassword(pw string) (string, error) { return s.passwords.Hash(pw) }

// DB is the database the store works on (for domain packages that join
// their writes to a reorganisation in one transaction).
func (s *Store) DB() *store.DB { return s.db }

const unitColumns = `u.id, u.code, v.name, v.kind, v.parent_id, v.sort_order, u.valid_from, COALESCE(u.valid_to, '')`

// versionAt selects the version of u valid on the date bound to $1.
const versionAt = `JOIN org_unit_versions v ON v.unit_id = u.id AND v.valid_from <= $1 AND (v.valid_to IS NULL OR v.valid_to >= $1)`

// latestVersion selects the last version of u, for units that have ended.
const latestVersion = `JOIN org_unit_versions v ON v.unit_id = u.id AND v.valid_from = (SELECT MAX(valid_from) FROM org_unit_versions w WHERE w.unit_id = u.id)`

func scanUnit(sc interface{ Scan(...any) error }) (Unit, error) {
	var u Unit
	var parent sql.NullInt64
	err := sc.Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &parent, &u.SortOrder, &u.ValidFrom, &u.ValidTo)
	if parent.Valid {
		u.ParentID = &parent.Int64
	}
	u.Level = LevelOf(u.Kind)
	return u, err
}

func scanUnits(rows *sql.Rows, err error) ([]Unit, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Unit
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UnitFilter narrows a list of units.
type UnitFilter struct {
	AsOf   string // YYYY-MM-DD; today when empty
	Query  string // accent-insensitive search in names and codes
	Parent *int64 // direct children of this unit only
	Level  string
}

// Units lists the units that exist on f.AsOf, in tree order (sort order,
// then Vietnamese alphabetical order within one parent).
func (s *Store) Units(ctx context.Context, f UnitFilter) ([]Unit, error) {
	if f.AsOf == "" {
		f.AsOf = Today()
	}
	q := `SELECT ` + unitColumns + ` FROM org_units u ` + versionAt + ` WHERE 1=1`
	args := []any{f.AsOf}
	if f.Query != "" {
		args = append(args, store.Contains(locale.Fold(f.Query)), store.Contains(strings.ToUpper(strings.TrimSpace(f.Query))))
		q += fmt.Sprintf(` AND (v.search_name LIKE $%d ESCAPE '\' OR u.code LIKE $%d ESCAPE '\')`, len(args)-1, len(args))
	}
	if f.Parent != nil {
		args = append(args, *f.Parent)
		q += fmt.Sprintf(` AND v.parent_id = $%d`, len(args))
	}
	if f.Level != "" {
		var kinds []string
		for k, l := range kindLevel {
			if l == f.Level {
				kinds = append(kinds, "'"+k+"'")
			}
		}
		if len(kinds) == 0 {
			return nil, errs.Invalid(errs.Field{Name: "level", Code: "invalid"})
		}
		q += ` AND v.kind IN (` + strings.Join(kinds, ",") + `)`
	}
	units, err := scanUnits(s.db.Read.QueryContext(ctx, q, args...))
	if err != nil {
		return nil, err
	}
	return TreeOrder(units), nil
}

// Unit returns unit id as of asOf; with asOf empty, as it is today or, for a
// unit that has ended, as it was on its last day.
func (s *Store) Unit(ctx context.Context, id int64, asOf string) (Unit, error) {
	return s.unitWhere(ctx, s.db.Read, "u.id = $2", id, asOf)
}

// UnitByCode is Unit looked up by code.
func (s *Store) UnitByCode(ctx context.Context, code, asOf string) (Unit, error) {
	return s.unitWhere(ctx, s.db.Read, "u.code = $2", code, asOf)
}

func (s *Store) unitWhere(ctx context.Context, q store.Querier, where string, key any, asOf string) (Unit, error) {
	var row *sql.Row
	if asOf == "" {
		row = q.QueryRowContext(ctx, `SELECT `+unitColumns+` FROM org_units u `+versionAt+` WHERE `+where, Today(), key)
		if u, err := scanUnit(row); err == nil {
			return u, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return Unit{}, fmt.Errorf("load unit %v: %w", key, err)
		}
		row = q.QueryRowContext(ctx, `SELECT `+unitColumns+` FROM org_units u `+latestVersion+` WHERE `+strings.ReplaceAll(where, "$2", "$1"), key)
	} else {
		row = q.QueryRowContext(ctx, `SELECT `+unitColumns+` FROM org_units u `+versionAt+` WHERE `+where, asOf, key)
	}
	u, err := scanUnit(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Unit{}, errs.NotFound
	}
	return u, err
}

// Within reports whether unit lies in the subtree of scope (itself
// included): on the unit's last day if it has ended, else today. A scope
// also covers what its predecessors covered, so the new Gia Lai's officials
// keep authority over the old Gia Lai's and Bình Định's units and records.
func (s *Store) Within(ctx context.Context, unit, scope int64) (bool, error) {
	if unit == scope {
		return true, nil
	}
	var date string
	err := s.db.Read.QueryRowContext(ctx, `SELECT COALESCE(valid_to, '') FROM org_units WHERE id = $1`, unit).Scan(&date)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	today := Today()
	if date == "" || date > today {
		date = today
	}
	rows, err := s.db.Read.QueryContext(ctx, `
		WITH RECURSIVE up(id, depth) AS (
			SELECT CAST($1 AS BIGINT), 0
			UNION ALL
			SELECT v.parent_id, up.depth + 1 FROM up
			JOIN org_unit_versions v ON v.unit_id = up.id AND v.valid_from <= $2 AND (v.valid_to IS NULL OR v.valid_to >= $2)
			WHERE v.parent_id IS NOT NULL AND up.depth < 32
		)
		SELECT id FROM up ORDER BY depth`, unit, date)
	if err != nil {
		return false, err
	}
	var ancestors []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return false, err
		}
		ancestors = append(ancestors, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	if slices.Contains(ancestors, scope) {
		return true, nil
	}
	if date == today {
		return false, nil // a living unit's ancestors are all alive
	}
	for _, a := range ancestors {
		succ, err := s.Successors(ctx, s.db.Read, a, today)
		if err != nil {
			return false, err
		}
		if slices.Contains(succ, scope) {
			return true, nil
		}
	}
	return false, nil
}

// Path lists the ancestors of a unit as of asOf, root first, the unit last.
func (s *Store) Path(ctx context.Context, id int64, asOf string) ([]Unit, error) {
	var path []Unit
	for range 32 {
		u, err := s.Unit(ctx, id, asOf)
		if err != nil {
			return nil, err
		}
		path = append([]Unit{u}, path...)
		if u.ParentID == nil {
			break
		}
		id = *u.ParentID
	}
	return path, nil
}

// UnitInput is what a person types to add or correct a unit.
type UnitInput struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	ParentID  *int64 `json:"parentId"`
	SortOrder int    `json:"sortOrder"`
	ValidFrom string `json:"validFrom,omitempty" doc:"YYYY-MM-DD; today when absent"`
}

func (in *UnitInput) normalise() {
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	if in.ValidFrom == "" {
		in.ValidFrom = Today()
	}
}

// validate checks an input against the tree as of its date; prefix names
// the fields when the input is part of a larger request.
func (s *Store) validate(ctx context.Context, q store.Querier, in UnitInput, prefix string, v *errs.Validator) {
	v.Check(codePattern.MatchString(in.Code), prefix+"code", "code_format")
	v.Check(in.Name != "", prefix+"name", "required")
	v.Text(prefix+"name", in.Name, errs.Name)
	v.Check(LevelOf(in.Kind) != "", prefix+"kind", "one_of", strings.Join(Kinds, ", "))
	v.Check(ValidDate(in.ValidFrom), prefix+"validFrom", "date")
	if in.ParentID == nil {
		v.Check(in.Kind == "nation" || in.Kind == "province", prefix+"parentId", "required")
		return
	}
	if !ValidDate(in.ValidFrom) {
		return
	}
	if p, err := s.unitWhere(ctx, q, "u.id = $2", *in.ParentID, in.ValidFrom); err != nil {
		v.Add(prefix+"parentId", "inactive_unit", in.ValidFrom)
	} else if LevelOf(in.Kind) != "" && !parentFits(p.Level, LevelOf(in.Kind)) {
		// (An unknown kind is reported once, under kind.)
		v.Add(prefix+"parentId", "parent_level", p.Name)
	}
}

// parentFits reports whether a unit of level child may sit under parent:
// departments and districts under a province (and bodies under a department,
// such as the service centre under the People's Committee office), communes
// under a district (before 2025) or directly under a province (since),
// provinces under the nation.
func parentFits(parent, child string) bool {
	switch child {
	case "province":
		return parent == "nation"
	case "department":
		return parent == "province" || parent == "department"
	case "district":
		return parent == "province"
	case "commune":
		return parent == "district" || parent == "province"
	}
	return false
}

// insertUnit writes a new unit and its first version.
func (s *Store) insertUnit(ctx context.Context, tx *sql.Tx, in UnitInput) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO org_units (code, valid_from, created_at) VALUES ($1, $2, $3) RETURNING id`,
		in.Code, in.ValidFrom, store.Now()).Scan(&id)
	if store.IsUniqueViolation(err) {
		return 0, errs.Invalid(errs.Field{Name: "code", Code: "duplicate", Args: []any{in.Code}})
	} else if err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO org_unit_versions (unit_id, name, search_name, kind, parent_id, sort_order, valid_from) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, in.Name, locale.Fold(in.Name), in.Kind, in.ParentID, in.SortOrder, in.ValidFrom)
	return id, err
}

// CreateUnit adds a unit, recorded as a "create" event.
func (s *Store) CreateUnit(ctx context.Context, in UnitInput, actor int64) (Unit, error) {
	in.normalise()
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		v := errs.Validator{Context: "unit"}
		s.validate(ctx, tx, in, "", &v)
		if err := v.Err(); err != nil {
			return err
		}
		var err error
		if id, err = s.insertUnit(ctx, tx, in); err != nil {
			return err
		}
		_, err = s.insertEvent(ctx, tx, "create", in.ValidFrom, "", "", actor, map[string][]int64{"to": {id}})
		return err
	})
	if err != nil {
		return Unit{}, err
	}
	return s.Unit(ctx, id, "")
}

// UnitEdit corrects the current version of a unit (a typo in its name, its
// order or kind). Real changes over time are events: rename, move.
type UnitEdit struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	SortOrder int    `json:"sortOrder"`
}

// EditUnit applies a correction to the version valid today.
func (s *Store) EditUnit(ctx context.Context, id int64, in UnitEdit) (Unit, error) {
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := s.unitWhere(ctx, tx, "u.id = $2", id, "")
		if err != nil {
			return err
		}
		v := errs.Validator{Context: "unit"}
		v.Check(in.Name != "", "name", "required")
		v.Text("name", in.Name, errs.Name)
		v.Check(LevelOf(in.Kind) == u.Level, "kind", "same_level", u.Level)
		if err := v.Err(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE org_unit_versions SET name = $1, search_name = $2, kind = $3, sort_order = $4
			WHERE unit_id = $5 AND valid_from = (SELECT MAX(valid_from) FROM org_unit_versions WHERE unit_id = $5)`,
			in.Name, locale.Fold(in.Name), in.Kind, in.SortOrder, id)
		return err
	})
	if err != nil {
		return Unit{}, err
	}
	return s.Unit(ctx, id, "")
}

// TreeOrder sorts units depth-first: each parent followed by its children,
// siblings by sort order then by Vietnamese alphabetical order. Units whose
// parent is not in the list are roots.
func TreeOrder(units []Unit) []Unit {
	byID := map[int64]bool{}
	for _, u := range units {
		byID[u.ID] = true
	}
	children := map[int64][]Unit{}
	var roots []Unit
	for _, u := range units {
		if u.ParentID != nil && byID[*u.ParentID] {
			children[*u.ParentID] = append(children[*u.ParentID], u)
		} else {
			roots = append(roots, u)
		}
	}
	// Each name's collation key once: a country's registry sorts 3,000
	// communes.
	col := locale.Collator()
	var buf collate.Buffer
	keys := make(map[int64][]byte, len(units))
	for _, u := range units {
		keys[u.ID] = slices.Clone(col.KeyFromString(&buf, u.Name))
		buf.Reset()
	}
	sortSiblings := func(us []Unit) {
		slicesSortFunc(us, func(a, b Unit) int {
			if a.SortOrder != b.SortOrder {
				return a.SortOrder - b.SortOrder
			}
			return bytes.Compare(keys[a.ID], keys[b.ID])
		})
	}
	out := make([]Unit, 0, len(units))
	var walk func([]Unit)
	walk = func(us []Unit) {
		sortSiblings(us)
		for _, u := range us {
			out = append(out, u)
			walk(children[u.ID])
		}
	}
	walk(roots)
	return out
}

// ImportUnit adds a unit inside a caller's transaction, validated as
// CreateUnit does but without a "create" event: for loading a registry
// whose history is replayed by its events.
func (s *Store) ImportUnit(ctx context.Context, tx *sql.Tx, in UnitInput) (int64, error) {
	in.normalise()
	v := errs.Validator{Context: "unit"}
	s.validate(ctx, tx, in, "", &v)
	if err := v.Err(); err != nil {
		return 0, err
	}
	return s.insertUnit(ctx, tx, in)
}

// UnitsByID returns the units with the given ids as they are today, or as
// they were on their last day for units that have ended, with their labels.
func (s *Store) UnitsByID(ctx context.Context, ids []int64) (map[int64]Unit, error) {
	out := make(map[int64]Unit, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{Today()}
	in := store.InList(&args, ids)
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+unitColumns+` FROM org_units u
		JOIN org_unit_versions v ON v.unit_id = u.id AND v.valid_from = (SELECT MAX(w.valid_from) FROM org_unit_versions w WHERE w.unit_id = u.id AND w.valid_from <= $1)
		WHERE u.id IN (`+in+`)`, args...)
	units, err := scanUnits(rows, err)
	if err == nil {
		units, err = s.WithLabels(ctx, units)
	}
	for _, u := range units {
		out[u.ID] = u
	}
	return out, err
}
