package plan

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// In-app task editing (issue 11, part 8). The plan's coordinator edits a
// task's title (its description), output, time frame, units, budget and
// status in the application, without an Excel round trip; each changed
// field is kept in task_edits (old → new, who, when) and audited.
//
// Importing the plan again does not undo an edit: a task edited in the
// application (tasks.edited_on) is left as it is — fields and units — and
// the import lists it among its warnings (task_edited), as it leaves a
// reassigned task's units alone. A task whose due date an extension moved
// keeps that date; the import warns (task_extended) when the file's date
// is not the one the extension started from. To take the file's text
// again, the coordinator edits the task to match it.

// TaskEdit is the editable fields of a task, all replaced at once (PUT):
// read the task, change what must change, send it back.
type TaskEdit struct {
	Description       string   `json:"description" doc:"the task's title as the plan words it"`
	Output            string   `json:"output"`
	TimeText          string   `json:"timeText" doc:"the time frame as written, e.g. 2025 - 2026"`
	StartOn           string   `json:"startOn" doc:"YYYY-MM-DD or empty"`
	DueOn             string   `json:"dueOn" doc:"YYYY-MM-DD or empty; the current due date (an extension's, if one was granted)"`
	BudgetSource      string   `json:"budgetSource"`
	Budget            *float64 `json:"budget" doc:"million đồng; null for none"`
	StatusOverride    string   `json:"statusOverride" doc:"paused, cancelled, or empty"`
	LeadUnits         []int64  `json:"leadUnits,omitempty" doc:"ids of the lead units; absent keeps them"`
	CoordinatingUnits []int64  `json:"coordinatingUnits,omitempty" doc:"ids of the coordinating units; kept when leadUnits is absent"`
}

// TaskEditEntry is one field changed by an edit.
type TaskEditEntry struct {
	Field  string    `json:"field" doc:"description, output, timeText, startOn, dueOn, budgetSource, budget, statusOverride or units"`
	Old    string    `json:"old"`
	New    string    `json:"new"`
	Author string    `json:"author"`
	At     time.Time `json:"at"`
}

// EditOf is a task's current editable fields.
func EditOf(t Task) TaskEdit {
	e := TaskEdit{Description: t.Description, Output: t.Output, TimeText: t.TimeFrame.Text, StartOn: t.TimeFrame.StartOn, DueOn: t.TimeFrame.DueOn,
		BudgetSource: t.BudgetSource, Budget: t.Budget, StatusOverride: t.StatusOverride}
	return e
}

func budgetText(b *float64) string {
	if b == nil {
		return ""
	}
	return strconv.FormatFloat(*b, 'f', -1, 64)
}

// EditTask writes a coordinator's edit of a task (checked here) with its
// history. It reports the fields changed; none is no change at all.
func (s *Store) EditTask(ctx context.Context, tx *sql.Tx, task int64, in TaskEdit, actor int64, author string) ([]string, error) {
	in.Description, in.Output, in.TimeText, in.BudgetSource = strings.TrimSpace(in.Description), strings.TrimSpace(in.Output), strings.TrimSpace(in.TimeText), strings.TrimSpace(in.BudgetSource)
	v := errs.Validator{Context: "task"}
	v.Check(in.Description != "", "description", "required")
	v.Text("description", in.Description, errs.Paragraph)
	v.Text("output", in.Output, errs.Paragraph)
	v.Text("timeText", in.TimeText, errs.Line)
	v.Text("budgetSource", in.BudgetSource, errs.Line)
	v.Check(in.StartOn == "" || org.ValidDate(in.StartOn), "startOn", "date")
	v.Check(in.DueOn == "" || org.ValidDate(in.DueOn), "dueOn", "date")
	v.Check(in.StartOn == "" || in.DueOn == "" || in.StartOn <= in.DueOn, "dueOn", "due_before_start")
	v.Check(in.Budget == nil || finite(*in.Budget) && *in.Budget >= 0, "budget", "number")
	v.Check(in.StatusOverride == "" || in.StatusOverride == "paused" || in.StatusOverride == "cancelled", "statusOverride", "one_of", "paused, cancelled")
	if err := v.Err(); err != nil {
		return nil, err
	}
	var cur TaskEdit
	var budget sql.NullFloat64
	err := tx.QueryRowContext(ctx, `SELECT description, output, time_text, start_on, due_on, budget_source, budget, status_override FROM tasks WHERE id = $1`, task).
		Scan(&cur.Description, &cur.Output, &cur.TimeText, &cur.StartOn, &cur.DueOn, &cur.BudgetSource, &budget, &cur.StatusOverride)
	if err == sql.ErrNoRows {
		return nil, errs.NotFound
	} else if err != nil {
		return nil, err
	}
	if budget.Valid {
		cur.Budget = &budget.Float64
	}
	type change struct{ field, old, new string }
	var changes []change
	for _, c := range []change{
		{"description", cur.Description, in.Description}, {"output", cur.Output, in.Output}, {"timeText", cur.TimeText, in.TimeText},
		{"startOn", cur.StartOn, in.StartOn}, {"dueOn", cur.DueOn, in.DueOn}, {"budgetSource", cur.BudgetSource, in.BudgetSource},
		{"budget", budgetText(cur.Budget), budgetText(in.Budget)}, {"statusOverride", cur.StatusOverride, in.StatusOverride},
	} {
		if c.old != c.new {
			changes = append(changes, c)
		}
	}
	if in.LeadUnits != nil {
		ch, err := s.SetUnits(ctx, tx, task, UnitsInput{LeadUnits: in.LeadUnits, CoordinatingUnits: in.CoordinatingUnits}, actor)
		if err != nil {
			return nil, err
		}
		if len(ch.ended)+len(ch.added) > 0 {
			changes = append(changes, change{"units", "", s.changeText(ctx, ch)})
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	now := store.Now()
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET description = $1, output = $2, time_text = $3, start_on = $4, due_on = $5, budget_source = $6, budget = $7, status_override = $8, edited_on = $9 WHERE id = $10`,
		in.Description, in.Output, in.TimeText, in.StartOn, in.DueOn, in.BudgetSource, in.Budget, in.StatusOverride, org.Today(), task); err != nil {
		return nil, err
	}
	var fields []string
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO task_edits (task_id, field, old_value, new_value, created_by, author, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			task, c.field, c.old, c.new, nilIfZero(actor), author, now); err != nil {
			return nil, err
		}
		fields = append(fields, c.field)
	}
	_, err = tx.ExecContext(ctx, `UPDATE plans SET updated_at = $1 WHERE id = (SELECT plan_id FROM tasks WHERE id = $2)`, now, task)
	return fields, err
}

// TaskEdits lists a task's edit history, newest first.
func (s *Store) TaskEdits(ctx context.Context, task int64) ([]TaskEditEntry, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT field, old_value, new_value, author, created_at FROM task_edits WHERE task_id = $1 ORDER BY id DESC`, task)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []TaskEditEntry{}
	for rows.Next() {
		var e TaskEditEntry
		if err := rows.Scan(&e.Field, &e.Old, &e.New, &e.Author, &e.At); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// editTask authorises and records an edit: the principal manages the
// task's plan and every unit the edit adds.
func (s *Store) editTask(r *http.Request, task int64, in TaskEdit) error {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	t, err := s.Task(ctx, task)
	if err != nil {
		return err
	}
	pl, err := s.Plan(ctx, t.PlanID)
	if err != nil {
		return err
	}
	if err := s.org.Authorize(ctx, p, ManagePlans, pl.IssuerUnit.ID); err != nil {
		return err
	}
	if in.LeadUnits != nil {
		check := UnitsInput{LeadUnits: in.LeadUnits, CoordinatingUnits: in.CoordinatingUnits}
		added, err := s.checkUnits(ctx, s.db.Read, task, &check)
		if err != nil {
			return err
		}
		for _, k := range added {
			if err := s.org.Authorize(ctx, p, ManagePlans, k.unit); err != nil {
				return err
			}
		}
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		fields, err := s.EditTask(ctx, tx, task, in, p.UserID, p.FullName)
		if err != nil || len(fields) == 0 {
			return err
		}
		return audit.Record(ctx, tx, audit.From(r, audit.TaskEdit, strings.TrimSpace(pl.Number+" "+t.Number), strings.Join(fields, ", "), true))
	})
}

// keepEdited decides, while a plan is imported again, whether a task keeps
// what the application changed: an edited task is left alone (true); an
// extended one keeps its current due date.
func keepEdited(t *resolvedTask, edited, originalDue, currentDue string, res *ImportResult) bool {
	if edited != "" {
		res.Warnings = append(res.Warnings, Warning{Code: "task_edited", Item: t.Number})
		return true
	}
	if originalDue != "" {
		if t.dueOn != originalDue {
			res.Warnings = append(res.Warnings, Warning{Code: "task_extended", Item: t.Number})
		}
		t.dueOn = currentDue
	}
	return false
}

// setApprovalIfDifferent applies an imported document's approval setting
// to an existing plan; 1 when it changed.
func setApprovalIfDifferent(ctx context.Context, tx *sql.Tx, plan int64, on bool) (int, error) {
	res, err := tx.ExecContext(ctx, `UPDATE plans SET requires_approval = $1 WHERE id = $2 AND requires_approval <> $1`, on, plan)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// editForm reads the edit form of the task page.
func editForm(r *http.Request) (TaskEdit, error) {
	r.ParseForm()
	in := TaskEdit{Description: r.PostFormValue("description"), Output: r.PostFormValue("output"), TimeText: r.PostFormValue("timeText"),
		StartOn: locale.FormDate(r.PostFormValue("startOn")), DueOn: locale.FormDate(r.PostFormValue("dueOn")), BudgetSource: r.PostFormValue("budgetSource"),
		StatusOverride: r.PostFormValue("statusOverride")}
	var v errs.Validator
	if b := strings.TrimSpace(r.PostFormValue("budget")); b != "" {
		d, err := locale.ParseDecimal(locale.FromRequest(r), b)
		n, perr := strconv.ParseFloat(d, 64)
		v.Check(err == nil && perr == nil, "budget", "number")
		in.Budget = &n
	}
	if r.PostForm.Has("lead") {
		for field, out := range map[string]*[]int64{"lead": &in.LeadUnits, "coordinating": &in.CoordinatingUnits} {
			*out = []int64{}
			for _, x := range r.PostForm[field] {
				n, err := strconv.ParseInt(x, 10, 64)
				if err != nil {
					v.Add(field, "invalid")
					continue
				}
				*out = append(*out, n)
			}
		}
	}
	return in, v.Err()
}

func editFieldLabel(field string) string { return fmt.Sprintf("task.edit.field.%s", field) }
