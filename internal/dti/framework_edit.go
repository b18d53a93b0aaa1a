package dti

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// A province builds its own cascaded framework on pages, a field at a time:
// CreateFramework writes the header, EditFramework applies one change (a
// group, a main index or a component added, changed, moved or removed) to
// the stored framework. Both check the whole framework with the importer's
// Validate in draft mode (a draft may lack main indices and components, and
// its points may fall short of what they add up to, never exceed it); Open
// refuses a framework that does not pass the full check.
//
// A framework an assessment uses is locked: its structure is what scored
// sheets were scored by. A change then is a new version, CopyFramework: the
// same structure under a new code, to edit and open next year's cycle by.

// CreateFramework creates a framework from its header (no main indices
// yet), for p with dti.manage on its owner; audited in the same
// transaction.
func (s *Store) CreateFramework(ctx context.Context, p *org.Principal, f Framework) (int64, error) {
	f.Groups, f.MainIndices = nil, nil
	return s.insertFramework(ctx, p, f, "created")
}

// CopyFramework copies framework id under a new code and years: the next
// version of a locked framework, a draft to edit (its links to programme
// tasks stay with the original).
func (s *Store) CopyFramework(ctx context.Context, p *org.Principal, id int64, code string, yearFrom, yearTo int) (int64, error) {
	cur, err := s.Framework(ctx, id)
	if err != nil {
		return 0, err
	}
	if err := s.authorizeOwner(ctx, p, cur.Owner); err != nil {
		return 0, err
	}
	f := cur.Document()
	f.Code, f.YearFrom, f.YearTo = code, yearFrom, yearTo
	return s.insertFramework(ctx, p, f, "copy of "+cur.Code)
}

func (s *Store) insertFramework(ctx context.Context, p *org.Principal, f Framework, detail string) (int64, error) {
	if err := s.authorizeOwner(ctx, p, strings.ToUpper(strings.TrimSpace(f.Owner))); err != nil {
		return 0, err
	}
	val, err := s.validate(ctx, f, true)
	if err != nil {
		return 0, err
	}
	f = val.Framework
	var id int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, exists, err := s.frameworkByCode(ctx, tx, f.Code); err != nil {
			return err
		} else if exists {
			return errs.Invalid(errs.Field{Name: "code", Code: "duplicate", Args: []any{f.Code}, Context: "dti"})
		}
		now := store.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO dti_frameworks (code, name, decision, issued_on, issuer, level, year_from, year_to, total_points, owner_unit_id, note, revision, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12) RETURNING id`,
			f.Code, f.Name, f.Decision, f.IssuedOn, f.Issuer, f.Level, f.YearFrom, f.YearTo, f.TotalPoints, nullID(val.owner), f.Note, now).Scan(&id); err != nil {
			return err
		}
		if err := syncStructure(ctx, tx, id, f.Document()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.FromContext(ctx, audit.DTIFramework, f.Code, detail, true))
	})
	if store.IsUniqueViolation(err) {
		return 0, errs.Invalid(errs.Field{Name: "code", Code: "duplicate", Args: []any{f.Code}, Context: "dti"})
	}
	return id, err
}

// ErrStaleFramework refuses a change made on a framework someone else
// changed since the form was shown.
var ErrStaleFramework = &errs.Error{Status: 409, Code: "framework_stale", Key: "error.dti.framework_stale"}

// EditFramework applies change to framework id as it stands at revision
// (the one the form was shown at; 0 takes the current one), for p with
// dti.manage on its owner: in one transaction, the changed framework
// checked as a draft, the structure written in place (main indices and
// components keep their ids, so links to programme tasks stay), the
// revision counted and the change audited (what says which, e.g. "component
// 1.2 changed"). Refused when an assessment uses the framework.
func (s *Store) EditFramework(ctx context.Context, p *org.Principal, id int64, revision int, what string, change func(*Framework) error) (Framework, error) {
	cur, err := s.Framework(ctx, id)
	if err != nil {
		return Framework{}, err
	}
	if err := s.authorizeOwner(ctx, p, cur.Owner); err != nil {
		return Framework{}, err
	}
	if revision == 0 {
		revision = cur.Revision
	}
	var out Framework
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		// The row first, at the revision the form was shown at: an Open at
		// the same moment waits for this change, or this for the Open (and
		// then finds the framework in use).
		if res, err := tx.ExecContext(ctx, `UPDATE dti_frameworks SET revision = revision WHERE id = $1 AND revision = $2`, id, revision); err != nil {
			return err
		} else if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return ErrStaleFramework
		}
		list, err := s.frameworks(ctx, tx, "WHERE f.id = $1", id)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return errs.NotFound
		}
		f := list[0]
		if f.Revision != revision {
			return ErrStaleFramework
		}
		var used int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM dti_assessments WHERE framework_id = $1`, id).Scan(&used); err != nil {
			return err
		}
		if used > 0 {
			return ErrFrameworkLocked(f.Code, used)
		}
		owner := f.Owner
		if err := change(&f); err != nil {
			return err
		}
		f.Owner = owner // the owner is the framework's, not the form's
		val, err := s.validate(ctx, f, true)
		if err != nil {
			return err
		}
		g := val.Framework
		res, err := tx.ExecContext(ctx, `UPDATE dti_frameworks SET name = $1, decision = $2, issued_on = $3, issuer = $4, level = $5, year_from = $6, year_to = $7,
			total_points = $8, note = $9, revision = $10, updated_at = $11 WHERE id = $12 AND revision = $13`,
			g.Name, g.Decision, g.IssuedOn, g.Issuer, g.Level, g.YearFrom, g.YearTo, g.TotalPoints, g.Note, revision+1, store.Now(), id, revision)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return ErrStaleFramework
		}
		if err := syncStructure(ctx, tx, id, g); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.FromContext(ctx, audit.DTIFramework, g.Code, fmt.Sprintf("%s; revision %d", what, revision+1), true)); err != nil {
			return err
		}
		out = g
		out.ID, out.Revision = id, revision+1
		return nil
	})
	if store.IsUniqueViolation(err) {
		return Framework{}, ErrStaleFramework // a code taken by a change made at the same moment
	}
	return out, err
}

// ErrFrameworkLocked says a framework an assessment uses cannot change; the
// form shows it as a whole and offers a new version.
func ErrFrameworkLocked(code string, used int) error {
	return &errs.Error{Status: 409, Code: "framework_locked", Key: "error.dti.framework_locked", Args: []any{code, used}}
}

// syncStructure writes f's groups, main indices and components over
// framework id's, in place: a main index or component with the id of a
// stored one updates it, one without is inserted (all of them, for a new
// framework), a stored one f no longer holds is deleted (a component with
// its links to tasks).
func syncStructure(ctx context.Context, tx *sql.Tx, id int64, f Framework) error {
	keptMain, keptComp := map[int64]bool{}, map[int64]bool{}
	for _, m := range f.MainIndices {
		keptMain[m.ID] = true
		for _, c := range m.Components {
			keptComp[c.ID] = true
		}
	}
	ids := func(q string) ([]int64, error) {
		rows, err := tx.QueryContext(ctx, q, id)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var x int64
			if err := rows.Scan(&x); err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		return out, rows.Err()
	}
	comps, err := ids(`SELECT id FROM dti_components WHERE framework_id = $1`)
	if err != nil {
		return err
	}
	mains, err := ids(`SELECT id FROM dti_main_indices WHERE framework_id = $1`)
	if err != nil {
		return err
	}
	for _, c := range comps {
		if keptComp[c] {
			continue
		}
		for _, q := range []string{`DELETE FROM dti_component_tasks WHERE component_id = $1`, `DELETE FROM dti_components WHERE id = $1`} {
			if _, err := tx.ExecContext(ctx, q, c); err != nil {
				return err
			}
		}
	}
	for _, m := range mains {
		if !keptMain[m] {
			if _, err := tx.ExecContext(ctx, `DELETE FROM dti_main_indices WHERE id = $1`, m); err != nil {
				return err
			}
		}
	}
	// Groups have no links: written again.
	if _, err := tx.ExecContext(ctx, `UPDATE dti_main_indices SET group_id = NULL WHERE framework_id = $1`, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM dti_groups WHERE framework_id = $1`, id); err != nil {
		return err
	}
	groupID := map[string]int64{}
	for i, g := range f.Groups {
		var gid int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO dti_groups (framework_id, code, name, sort_order) VALUES ($1, $2, $3, $4) RETURNING id`, id, g.Code, g.Name, i+1).Scan(&gid); err != nil {
			return err
		}
		groupID[g.Code] = gid
	}
	order := 0
	for i, m := range f.MainIndices {
		var gid sql.NullInt64
		if g, ok := groupID[m.Group]; ok {
			gid = sql.NullInt64{Int64: g, Valid: true}
		}
		mid := m.ID
		if mid != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE dti_main_indices SET group_id = $1, code = $2, pillar = $3, name = $4, max_points = $5, scored = $6, provenance = $7, source = $8, sort_order = $9
				WHERE id = $10 AND framework_id = $11`, gid, m.Code, m.Pillar, m.Name, m.MaxPoints, m.IsScored(), m.Provenance, m.Source, i+1, mid, id); err != nil {
				return err
			}
		} else if err := tx.QueryRowContext(ctx, `INSERT INTO dti_main_indices (framework_id, group_id, code, pillar, name, max_points, scored, provenance, source, sort_order)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`, id, gid, m.Code, m.Pillar, m.Name, m.MaxPoints, m.IsScored(), m.Provenance, m.Source, i+1).Scan(&mid); err != nil {
			return err
		}
		for _, c := range m.Components {
			order++
			rule, err := json.Marshal(c.Rule)
			if err != nil {
				return err
			}
			if c.ID != 0 {
				_, err = tx.ExecContext(ctx, `UPDATE dti_components SET main_index_id = $1, code = $2, name = $3, max_points = $4, rule = $5, evidence = $6, data_source = $7, verifier = $8,
					indicator_code = $9, provenance = $10, source = $11, sort_order = $12 WHERE id = $13 AND framework_id = $14`,
					mid, c.Code, c.Name, c.MaxPoints, string(rule), c.Evidence, c.DataSource, c.Verifier, c.Indicator, c.Provenance, c.Source, order, c.ID, id)
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO dti_components (framework_id, main_index_id, code, name, max_points, rule, evidence, data_source, verifier, indicator_code, provenance, source, sort_order)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
					id, mid, c.Code, c.Name, c.MaxPoints, string(rule), c.Evidence, c.DataSource, c.Verifier, c.Indicator, c.Provenance, c.Source, order)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Problems lists what keeps a stored framework from being used by an
// assessment (the full check a draft has not passed yet), nil when none.
func (s *Store) Problems(ctx context.Context, f Framework) ([]errs.Field, error) {
	_, err := s.Validate(ctx, f.Document())
	if e, ok := errs.As(err); ok && e.Status == 422 {
		return e.Fields, nil
	}
	if err != nil && !errors.Is(err, errs.NotFound) {
		return nil, err
	}
	return nil, nil
}
