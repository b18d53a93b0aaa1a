package dti

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

//go:embed demodata
var demoFiles embed.FS

// Published is a national result as public sources state it, kept apart
// from the assessments tinhso runs.
type Published struct {
	ID        int64           `json:"id,omitempty"`
	Unit      UnitRef         `json:"unit"`
	Year      int             `json:"year"`
	Kind      string          `json:"kind" doc:"unit, or average (the national average, under the nation)"`
	Framework string          `json:"framework,omitempty" doc:"the decision it was scored by"`
	Peers     int             `json:"peers,omitempty" doc:"ranked among (63 provinces, or 34 after the 2025 merger)"`
	Rank      *int            `json:"rank,omitempty"`
	Index     *float64        `json:"index,omitempty" doc:"0–1, where stated"`
	Points    *float64        `json:"points,omitempty" doc:"out of 1,000, where stated"`
	Source    string          `json:"source"`
	Note      string          `json:"note,omitempty"`
	Parts     []PublishedPart `json:"parts"`
}

// PublishedPart is a main index (kind main, code its pillar) or one of the
// three pillars (kind pillar: cqs, kts, xhs) of a published result.
type PublishedPart struct {
	Kind      string   `json:"kind"`
	Code      string   `json:"code"`
	Name      string   `json:"name"`
	Value     *float64 `json:"value,omitempty" doc:"0–1, where stated"`
	Points    *float64 `json:"points,omitempty"`
	MaxPoints *float64 `json:"maxPoints,omitempty"`
	Rank      *int     `json:"rank,omitempty"`
}

// PublishedFilter narrows the published results.
type PublishedFilter struct {
	Year  int
	Units []int64 // units (their own results); none for all
}

// PublishedResults lists published results by year and rank, for anyone
// who may view DTI (they are public).
func (s *Store) PublishedResults(ctx context.Context, p *org.Principal, f PublishedFilter) ([]Published, error) {
	if err := s.org.Authorize(ctx, p, ViewDTI, 0); err != nil {
		return nil, err
	}
	where, args := "WHERE 1=1", []any{}
	if f.Year != 0 {
		args = append(args, f.Year)
		where += fmt.Sprintf(" AND r.year = $%d", len(args))
	}
	if len(f.Units) > 0 {
		where += " AND r.unit_id IN (" + store.InList(&args, f.Units) + ")"
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT r.id, r.unit_id, r.year, r.kind, r.framework, r.peers, r.rank, r.index_value, r.points, r.source, r.note
		FROM dti_published r `+where+` ORDER BY r.year DESC, r.kind DESC, r.rank, r.id`, args...)
	if err != nil {
		return nil, err
	}
	var out []Published
	index := map[int64]int{}
	var units []int64
	for rows.Next() {
		var r Published
		var rank sql.NullInt64
		var ix, pts sql.NullFloat64
		if err := rows.Scan(&r.ID, &r.Unit.ID, &r.Year, &r.Kind, &r.Framework, &r.Peers, &rank, &ix, &pts, &r.Source, &r.Note); err != nil {
			rows.Close()
			return nil, err
		}
		r.Rank, r.Index, r.Points = intPtr(rank), floatPtr(ix), floatPtr(pts)
		r.Parts = []PublishedPart{}
		index[r.ID] = len(out)
		units = append(units, r.Unit.ID)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	var ids []int64
	for _, r := range out {
		ids = append(ids, r.ID)
	}
	var pa []any
	prows, err := s.db.Read.QueryContext(ctx, `SELECT result_id, kind, code, name, value, points, max_points, rank FROM dti_published_parts
		WHERE result_id IN (`+store.InList(&pa, ids)+`) ORDER BY result_id, sort_order`, pa...)
	if err != nil {
		return nil, err
	}
	for prows.Next() {
		var id int64
		var part PublishedPart
		var v, pts, max sql.NullFloat64
		var rank sql.NullInt64
		if err := prows.Scan(&id, &part.Kind, &part.Code, &part.Name, &v, &pts, &max, &rank); err != nil {
			prows.Close()
			return nil, err
		}
		part.Value, part.Points, part.MaxPoints, part.Rank = floatPtr(v), floatPtr(pts), floatPtr(max), intPtr(rank)
		out[index[id]].Parts = append(out[index[id]].Parts, part)
	}
	prows.Close()
	refs, err := s.unitRefs(ctx, units)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Unit = refs[out[i].Unit.ID]
	}
	return out, nil
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

// demoPublished is the file of published results.
type demoPublished struct {
	Note    string `json:"note"`
	Results []struct {
		Unit      string          `json:"unit"`
		Kind      string          `json:"kind"`
		Year      int             `json:"year"`
		Framework string          `json:"framework"`
		Peers     int             `json:"peers"`
		Rank      *int            `json:"rank"`
		Index     *float64        `json:"index"`
		Points    *float64        `json:"points"`
		Source    string          `json:"source"`
		Note      string          `json:"note"`
		Parts     []PublishedPart `json:"parts"`
	} `json:"results"`
}

// LoadPublished loads the national results public sources state for the
// demo provinces (demodata/published.json), once: units the registry does
// not hold are skipped; a result already there is left alone.
func LoadPublished(ctx context.Context, db *store.DB) error {
	b, err := demoFiles.ReadFile("demodata/published.json")
	if err != nil {
		return err
	}
	var file demoPublished
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return fmt.Errorf("dti published.json: %w", err)
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		for i, r := range file.Results {
			if r.Kind == "" {
				r.Kind = "unit"
			}
			if r.Source == "" {
				return fmt.Errorf("dti published.json: results[%d] has no source", i)
			}
			var unit int64
			if err := tx.QueryRowContext(ctx, `SELECT id FROM org_units WHERE code = $1`, r.Unit).Scan(&unit); err == sql.ErrNoRows {
				continue
			} else if err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM dti_published WHERE unit_id = $1 AND year = $2 AND kind = $3 AND peers = $4`, unit, r.Year, r.Kind, r.Peers).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO dti_published (unit_id, year, kind, framework, peers, rank, index_value, points, source, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
				unit, r.Year, r.Kind, r.Framework, r.Peers, r.Rank, r.Index, r.Points, r.Source, r.Note).Scan(&id); err != nil {
				return err
			}
			for j, p := range r.Parts {
				if _, err := tx.ExecContext(ctx, `INSERT INTO dti_published_parts (result_id, kind, code, name, value, points, max_points, rank, sort_order) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
					id, p.Kind, p.Code, p.Name, p.Value, p.Points, p.MaxPoints, p.Rank, j+1); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// errYear is a year query that is not a year.
func errYear(name string) error {
	return errs.Invalid(errs.Field{Name: name, Code: "dti.year", Context: "dti"})
}
