package org

import (
	"context"
	"fmt"
	"strings"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/store"
)

// Names repeat across provinces: the demo alone holds three "Sở Khoa học và
// Công nghệ" and two "Tỉnh Gia Lai". Lists, pickers and badges therefore
// name a unit with its province, computed here and nowhere else.

// Label is how lists and pickers name a unit: "Sở Khoa học và Công nghệ —
// tỉnh Lai Châu". province is the name of the province the unit lies in
// ("" for a province itself, the nation, or a unit outside any province);
// a name that already says its province ("Báo Gia Lai") stays as it is.
func Label(name, province string) string {
	if province == "" || saysProvince(name, province) {
		return name
	}
	return name + " — " + lowerKind(province)
}

// ScopeLabel is how a role's badge names the subtree it covers: "tỉnh Lai
// Châu" for a province, "Sở Khoa học và Công nghệ, tỉnh Lai Châu" below
// one (the badge already has a dash, between the role and its scope).
func ScopeLabel(name, province string) string {
	if province == "" {
		return lowerKind(name)
	}
	if saysProvince(name, province) {
		return name
	}
	return name + ", " + lowerKind(province)
}

// kindWords are the words a unit's name starts with that say what it is;
// after a dash or a comma they are written in lower case, as Vietnamese
// does ("Sở Y tế tỉnh Gia Lai").
var kindWords = []string{"Tỉnh", "Thành phố", "Thị xã", "Thị trấn", "Huyện", "Xã", "Phường", "Đặc khu"}

func lowerKind(name string) string {
	for _, w := range kindWords {
		if rest, ok := strings.CutPrefix(name, w+" "); ok {
			return strings.ToLower(w) + " " + rest
		}
	}
	return name
}

// saysProvince reports whether name already holds the province's own name
// (without its kind word), accents and case aside.
func saysProvince(name, province string) bool {
	short := province
	for _, w := range kindWords {
		if rest, ok := strings.CutPrefix(province, w+" "); ok {
			short = rest
			break
		}
	}
	return strings.Contains(" "+locale.Fold(name)+" ", " "+locale.Fold(short)+" ")
}

// Provinces returns, for each unit of ids, the name of the province it lies
// in: today, or on its last day for a unit that has ended (Thành phố
// Pleiku lay in the old Tỉnh Gia Lai). Provinces, the nation and units
// outside any province are absent from the map.
func (s *Store) Provinces(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{Today()}
	in := store.InList(&args, ids)
	rows, err := s.db.Read.QueryContext(ctx, `
		WITH RECURSIVE up(start, id, d, depth) AS (
			SELECT u.id, u.id, CASE WHEN u.valid_to IS NULL OR u.valid_to > CAST($1 AS TEXT) THEN CAST($1 AS TEXT) ELSE u.valid_to END, 0
			FROM org_units u WHERE u.id IN (`+in+`)
			UNION ALL
			SELECT up.start, v.parent_id, up.d, up.depth + 1 FROM up
			JOIN org_unit_versions v ON v.unit_id = up.id AND v.valid_from <= up.d AND (v.valid_to IS NULL OR v.valid_to >= up.d)
			WHERE v.parent_id IS NOT NULL AND up.depth < 32
		)
		SELECT up.start, v.name FROM up
		JOIN org_unit_versions v ON v.unit_id = up.id AND v.valid_from <= up.d AND (v.valid_to IS NULL OR v.valid_to >= up.d)
		WHERE up.depth > 0 AND v.kind = 'province'`, args...)
	if err != nil {
		return nil, fmt.Errorf("provinces of units: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// WithLabels fills the Label of each unit (see Label), in one query.
func (s *Store) WithLabels(ctx context.Context, units []Unit) ([]Unit, error) {
	ids := make([]int64, len(units))
	for i, u := range units {
		ids[i] = u.ID
	}
	provinces, err := s.Provinces(ctx, ids)
	if err != nil {
		return units, err
	}
	for i := range units {
		units[i].Label = Label(units[i].Name, provinces[units[i].ID])
	}
	return units, nil
}

// LabelOf is the label of one unit.
func (s *Store) LabelOf(ctx context.Context, u Unit) string {
	us, _ := s.WithLabels(ctx, []Unit{u})
	if us[0].Label == "" {
		return u.Name
	}
	return us[0].Label
}
