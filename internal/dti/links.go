package dti

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// A component is linked to the programme tasks that address it
// (dti_component_tasks): "where we lose points" names them.

// TaskRef names a programme task linked to a component.
type TaskRef struct {
	ID          int64  `json:"id"`
	Plan        string `json:"plan" doc:"the plan's number, e.g. 3015/KH-UBND"`
	Number      string `json:"number" doc:"the task's number in its plan"`
	Description string `json:"description"`
}

// LinksInput sets the tasks of one component.
type LinksInput struct {
	Tasks []int64 `json:"tasks" doc:"ids of the plan tasks that address the component (GET /api/v1/tasks); empty removes every link"`
}

// ComponentLinks is a component with its tasks.
type ComponentLinks struct {
	Component string    `json:"component"`
	Tasks     []TaskRef `json:"tasks"`
}

// componentTasks reads the tasks linked to the components of framework f,
// by component code.
func (s *Store) componentTasks(ctx context.Context, q store.Querier, framework int64) (map[string][]TaskRef, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.code, t.id, p.number, t.number, t.description FROM dti_component_tasks l
		JOIN dti_components c ON c.id = l.component_id JOIN tasks t ON t.id = l.task_id JOIN plans p ON p.id = t.plan_id
		WHERE c.framework_id = $1 ORDER BY c.id, p.number, t.sort_key, t.id`, framework)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]TaskRef{}
	for rows.Next() {
		var code string
		var t TaskRef
		if err := rows.Scan(&code, &t.ID, &t.Plan, &t.Number, &t.Description); err != nil {
			return nil, err
		}
		out[code] = append(out[code], t)
	}
	return out, rows.Err()
}

// Links lists the components of a framework that have tasks, in the
// framework's order.
func (s *Store) Links(ctx context.Context, framework int64) ([]ComponentLinks, error) {
	f, err := s.Framework(ctx, framework)
	if err != nil {
		return nil, err
	}
	m, err := s.componentTasks(ctx, s.db.Read, f.ID)
	if err != nil {
		return nil, err
	}
	out := []ComponentLinks{}
	for _, c := range f.Components() {
		if ts := m[c.Code]; len(ts) > 0 {
			out = append(out, ComponentLinks{Component: c.Code, Tasks: ts})
		}
	}
	return out, nil
}

// SetLinks replaces the tasks of one component, for p: dti.manage on the
// framework's owner. Unknown tasks are refused by their position; nothing
// is written then.
func (s *Store) SetLinks(ctx context.Context, p *org.Principal, framework int64, code string, in LinksInput) ([]TaskRef, error) {
	f, err := s.Framework(ctx, framework)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeOwner(ctx, p, f.Owner); err != nil {
		return nil, err
	}
	var comp Component
	for _, c := range f.Components() {
		if c.Code == strings.TrimSpace(code) {
			comp = c
		}
	}
	v := errs.Validator{Context: "dti"}
	if comp.ID == 0 {
		v.Add("component", "dti.unknown_component", code)
		return nil, v.Err()
	}
	seen := map[int64]int{}
	for i, id := range in.Tasks {
		field := fmt.Sprintf("tasks[%d]", i)
		if j, dup := seen[id]; dup {
			v.Add(field, "duplicate_of", fmt.Sprint(id), fmt.Sprintf("tasks[%d]", j))
			continue
		}
		seen[id] = i
		var n int
		if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM tasks WHERE id = $1`, id).Scan(&n); err != nil {
			return nil, err
		}
		v.Check(n == 1, field, "dti.unknown_task", id)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		return s.setLinks(ctx, tx, p, f, comp, in.Tasks)
	})
	if err != nil {
		return nil, err
	}
	m, err := s.componentTasks(ctx, s.db.Read, f.ID)
	if err != nil {
		return nil, err
	}
	if m[comp.Code] == nil {
		return []TaskRef{}, nil
	}
	return m[comp.Code], nil
}

func (s *Store) setLinks(ctx context.Context, tx *sql.Tx, p *org.Principal, f Framework, c Component, tasks []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM dti_component_tasks WHERE component_id = $1`, c.ID); err != nil {
		return err
	}
	now := store.Now()
	for _, t := range tasks {
		if _, err := tx.ExecContext(ctx, `INSERT INTO dti_component_tasks (component_id, task_id, linked_by, linked_at) VALUES ($1, $2, $3, $4)`, c.ID, t, userArg(p), now); err != nil {
			return err
		}
	}
	return audit.Record(ctx, tx, audit.FromContext(ctx, audit.DTILink, f.Code+" "+c.Code, fmt.Sprintf("%d tasks", len(tasks)), true))
}
