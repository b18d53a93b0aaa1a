package plan

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// A coordinator gives a task other lead or coordinating units: a unit that
// ended leaving no heir, a task whose plan named nobody, or a decision to
// hand the work elsewhere. The assignments taken away are ended, not
// deleted, so their progress history stays on the task page; the task then
// keeps its units when its plan is imported again.

// UnitsInput is a task's new lead and coordinating units.
type UnitsInput struct {
	LeadUnits         []int64 `json:"leadUnits" doc:"ids of the lead units, at least one; each existing today, or already leading the task"`
	CoordinatingUnits []int64 `json:"coordinatingUnits" doc:"ids of the coordinating units (a lead unit listed here too is only lead)"`
}

type assignmentKey struct {
	unit int64
	role string
}

// assignmentChange is what SetUnits did, for the audit trail.
type assignmentChange struct {
	ended, added []assignmentKey
}

// checkUnits validates a reassignment against the task's current units:
// every unit must exist today, unless it already holds that role on the
// task (a district kept as lead while its heir answers for it). It
// returns the units the reassignment adds.
func (s *Store) checkUnits(ctx context.Context, q store.Querier, task int64, in *UnitsInput) ([]assignmentKey, error) {
	current := map[assignmentKey]bool{}
	rows, err := q.QueryContext(ctx, `SELECT unit_id, role FROM task_assignments WHERE task_id = $1 AND ended_on = ''`, task)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k assignmentKey
		if err := rows.Scan(&k.unit, &k.role); err != nil {
			rows.Close()
			return nil, err
		}
		current[k] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var v errs.Validator
	v.Check(len(in.LeadUnits) > 0, "leadUnits", "required")
	v.Check(len(in.LeadUnits) <= 200, "leadUnits", "max_items", 200)
	v.Check(len(in.CoordinatingUnits) <= 200, "coordinatingUnits", "max_items", 200)
	if err := v.Err(); err != nil {
		return nil, err
	}
	units, err := s.org.UnitsByID(ctx, append(slices.Clone(in.LeadUnits), in.CoordinatingUnits...))
	if err != nil {
		return nil, err
	}
	today := org.Today()
	var added []assignmentKey
	var lead, coord []int64
	check := func(field, role string, ids []int64, out *[]int64) {
		for i, id := range ids {
			f := fmt.Sprintf("%s[%d]", field, i)
			u, ok := units[id]
			k := assignmentKey{id, role}
			switch {
			case !ok:
				v.Add(f, "unknown_unit_id", id)
			case slices.Contains(*out, id) || role == "coordinating" && slices.Contains(lead, id):
				// listed twice, or lead already
			case current[k]:
				*out = append(*out, id)
			case !u.Active(today):
				v.Add(f, "inactive_unit_code", u.Code, today)
			default:
				*out = append(*out, id)
				added = append(added, k)
			}
		}
	}
	check("leadUnits", "lead", in.LeadUnits, &lead)
	check("coordinatingUnits", "coordinating", in.CoordinatingUnits, &coord)
	if err := v.Err(); err != nil {
		return nil, err
	}
	in.LeadUnits, in.CoordinatingUnits = lead, coord
	return added, nil
}

// SetUnits makes the task's current assignments those of in (checked by
// checkUnits): assignments left out are ended today by actor, new ones
// added, and one ended earlier for the same unit and role taken up again
// with its progress. The plan's updated_at moves, so the review cache sees
// the change.
func (s *Store) SetUnits(ctx context.Context, tx *sql.Tx, task int64, in UnitsInput, actor int64) (assignmentChange, error) {
	var ch assignmentChange
	if _, err := s.checkUnits(ctx, tx, task, &in); err != nil {
		return ch, err
	}
	type row struct {
		id    int64
		ended bool
	}
	have := map[assignmentKey]row{}
	rows, err := tx.QueryContext(ctx, `SELECT id, unit_id, role, ended_on FROM task_assignments WHERE task_id = $1`, task)
	if err != nil {
		return ch, err
	}
	for rows.Next() {
		var k assignmentKey
		var x row
		var ended string
		if err := rows.Scan(&x.id, &k.unit, &k.role, &ended); err != nil {
			rows.Close()
			return ch, err
		}
		x.ended = ended != ""
		have[k] = x
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ch, err
	}
	want := map[assignmentKey]bool{}
	var order []assignmentKey
	for _, id := range in.LeadUnits {
		want[assignmentKey{id, "lead"}] = true
		order = append(order, assignmentKey{id, "lead"})
	}
	for _, id := range in.CoordinatingUnits {
		want[assignmentKey{id, "coordinating"}] = true
		order = append(order, assignmentKey{id, "coordinating"})
	}
	today := org.Today()
	var by any
	if actor != 0 {
		by = actor
	}
	for k, x := range have {
		if x.ended || want[k] {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE task_assignments SET ended_on = $1, ended_by = $2 WHERE id = $3`, today, by, x.id); err != nil {
			return ch, err
		}
		ch.ended = append(ch.ended, k)
	}
	for _, k := range order {
		x, ok := have[k]
		switch {
		case ok && !x.ended:
			continue
		case ok:
			_, err = tx.ExecContext(ctx, `UPDATE task_assignments SET ended_on = '', ended_by = NULL WHERE id = $1`, x.id)
		default:
			_, err = tx.ExecContext(ctx, `INSERT INTO task_assignments (task_id, unit_id, role) VALUES ($1, $2, $3)`, task, k.unit, k.role)
		}
		if err != nil {
			return ch, err
		}
		ch.added = append(ch.added, k)
	}
	if len(ch.ended)+len(ch.added) == 0 {
		return ch, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET reassigned_on = $1 WHERE id = $2`, today, task); err != nil {
		return ch, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE plans SET updated_at = $1 WHERE id = (SELECT plan_id FROM tasks WHERE id = $2)`, store.Now(), task)
	return ch, err
}

// setUnits authorises and records a reassignment: the principal must manage
// the task's plan and every unit the reassignment adds.
func (s *Store) setUnits(r *http.Request, task int64, in UnitsInput) error {
	ctx := r.Context()
	t, err := s.Task(ctx, task)
	if err != nil {
		return err
	}
	p, err := s.Plan(ctx, t.PlanID)
	if err != nil {
		return err
	}
	if err := s.org.Authorize(ctx, org.PrincipalFrom(ctx), ManagePlans, p.IssuerUnit.ID); err != nil {
		return err
	}
	check := in
	added, err := s.checkUnits(ctx, s.db.Read, task, &check)
	if err != nil {
		return err
	}
	for _, k := range added {
		if err := s.org.Authorize(ctx, org.PrincipalFrom(ctx), ManagePlans, k.unit); err != nil {
			return err
		}
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		ch, err := s.SetUnits(ctx, tx, task, in, org.PrincipalFrom(ctx).UserID)
		if err != nil || len(ch.ended)+len(ch.added) == 0 {
			return err
		}
		return audit.Record(ctx, tx, audit.From(r, audit.TaskReassign, strings.TrimSpace(p.Number+" "+t.Number), s.changeText(ctx, ch), true))
	})
}

// changeText writes a reassignment for the audit trail: "lead −GL.PLEIKU
// +GL25.P.PLEIKU; coordinating +GL25.SKHCN".
func (s *Store) changeText(ctx context.Context, ch assignmentChange) string {
	var ids []int64
	for _, k := range append(slices.Clone(ch.ended), ch.added...) {
		ids = append(ids, k.unit)
	}
	units, _ := s.org.UnitsByID(ctx, ids)
	var parts []string
	for _, role := range []string{"lead", "coordinating"} {
		var p []string
		for _, k := range ch.ended {
			if k.role == role {
				p = append(p, "−"+units[k.unit].Code)
			}
		}
		for _, k := range ch.added {
			if k.role == role {
				p = append(p, "+"+units[k.unit].Code)
			}
		}
		if len(p) > 0 {
			parts = append(parts, role+" "+strings.Join(p, " "))
		}
	}
	return strings.Join(parts, "; ")
}
