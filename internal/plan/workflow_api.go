package plan

import (
	"context"
	"fmt"
	"net/http"

	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/web"
)

// The workflow's policy, API and pages (approval.go, comments.go,
// extension.go, edit.go), attached by Mount.
func (s *Store) mountWorkflow(site *web.Site) {
	s.org.Allow(ApproveReport, org.RoleApprover)
	s.org.Allow(ReopenReport, org.RoleCoordinator)
	s.org.Allow(CommentTask, org.Roles...)
	s.org.Allow(RequestEvidence, org.RoleCoordinator, org.RoleApprover)
	s.org.Allow(DecideExtension, org.RoleCoordinator, org.RoleLeader)
	s.workflowAPI(site.API)
	s.workflowPages(site)
}

// ReportQueueItem is a report waiting for a decision, with its task.
type ReportQueueItem struct {
	Update
	PlanID          int64  `json:"planId"`
	PlanNumber      string `json:"planNumber"`
	TaskNumber      string `json:"taskNumber"`
	TaskDescription string `json:"taskDescription"`
}

// taskDetail reads a task back with the reports the caller may see.
func (s *Store) taskDetail(r *http.Request, id int64) (TaskDetail, error) {
	t, err := s.Task(r.Context(), id)
	if err != nil {
		return TaskDetail{}, fmt.Errorf("read back task %d: %w", id, err)
	}
	ups, err := s.Updates(r.Context(), id)
	if err != nil {
		return TaskDetail{}, fmt.Errorf("read back updates of task %d: %w", id, err)
	}
	return TaskDetail{Task: t, Updates: s.visibleUpdates(r, ups)}, nil
}

func (s *Store) workflowAPI(api *httpx.API) {
	const tag = "plan-workflow"
	decide := func(action string) httpx.HandlerFunc {
		return httpx.ActHandler(200, func(r *http.Request, id int64, dec DecisionInput) (TaskDetail, error) {
			return s.decideThen(r, id, action, SubmitInput{}, dec)
		})
	}
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/task-updates/{id}/submit", Tag: tag, Summary: "Submit a draft or returned progress report to the unit's approver, optionally revised (the unit's reporter)", Request: SubmitInput{}, Response: TaskDetail{}},
		httpx.ActHandler(200, func(r *http.Request, id int64, sub SubmitInput) (TaskDetail, error) {
			return s.decideThen(r, id, "submit", sub, DecisionInput{})
		}))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/task-updates/{id}/approve", Tag: tag, Summary: "Approve a submitted progress report: the unit's part takes its status and progress (the unit's approver)", Request: DecisionInput{}, Response: TaskDetail{}},
		decide("approve"))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/task-updates/{id}/return", Tag: tag, Summary: "Return a submitted report to its unit with a comment (the unit's approver), or an approved one (the plan's coordinator)", Request: DecisionInput{}, Response: TaskDetail{}},
		decide("return"))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/task-updates", Tag: tag, Summary: "Progress reports waiting for the caller's approval (submitted, in the units the caller approves for)", Response: ReportQueueItem{}, List: true},
		httpx.ListHandler(func(r *http.Request) error {
			return s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ApproveReport, 0)
		}, s.reportQueue))
	api.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/plans/{id}/approval", Tag: tag, Summary: "Whether the plan's units' progress reports need their approver's approval (the plan's coordinator)", Request: ApprovalSetting{}, Response: Plan{}},
		httpx.ActHandler(200, func(r *http.Request, id int64, in ApprovalSetting) (Plan, error) {
			if err := s.setApproval(r, id, in.RequiresApproval); err != nil {
				return Plan{}, err
			}
			return s.Plan(r.Context(), id)
		}))

	// Comments.
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/tasks/{id}/comments", Tag: tag, Summary: "A task's threads: its own and its units' parts, oldest first; open evidence requests are the unit's to-do", Response: Comment{}, List: true},
		taskList(s, s.Comments))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/tasks/{id}/comments", Tag: tag, Summary: "Comment on a task or a unit's part, mention officials, attach evidence files (base64), or ask the unit for more evidence", Request: CommentInput{}, Response: Comment{}, Status: 201},
		httpx.ActHandler(201, func(r *http.Request, id int64, in CommentInput) (Comment, error) {
			cid, err := s.addComment(r, id, in)
			if err != nil {
				return Comment{}, err
			}
			return readBack(r.Context(), id, cid, "comment", s.Comments, func(c Comment) int64 { return c.ID })
		}))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/comment-files/{id}", Tag: tag, Summary: "Download a comment's file"}, s.serveCommentFile)

	// Extensions.
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/tasks/{id}/extensions", Tag: tag, Summary: "A task's requests for a new due date and their decisions, newest first", Response: Extension{}, List: true},
		taskList(s, s.Extensions))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/tasks/{id}/extensions", Tag: tag, Summary: "Ask for a new due date with a reason (a lead unit's reporter; a coordinating unit is refused)", Request: ExtensionInput{}, Response: Extension{}, Status: 201},
		httpx.ActHandler(201, func(r *http.Request, id int64, in ExtensionInput) (Extension, error) {
			eid, err := s.requestExtension(r, id, in)
			if err != nil {
				return Extension{}, err
			}
			return readBack(r.Context(), id, eid, "extension", s.Extensions, func(e Extension) int64 { return e.ID })
		}))
	for _, word := range []string{"grant", "refuse"} {
		summary := "Grant a requested due date: the task's due date moves, the plan's stays visible (the plan's coordinator or issuer)"
		if word == "refuse" {
			summary = "Refuse a requested due date with a comment (the plan's coordinator or issuer)"
		}
		api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/extensions/{id}/" + word, Tag: tag, Summary: summary, Request: DecisionInput{}, Response: Extension{}},
			httpx.ActHandler(200, func(r *http.Request, id int64, in DecisionInput) (Extension, error) {
				return s.decideExtension(r, id, word == "grant", in.Comment)
			}))
	}

	// Editing.
	api.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/tasks/{id}", Tag: tag, Summary: "Edit a task: title, output, time frame, budget, status, units (the plan's coordinator); kept in its history, and not undone by importing the plan again", Request: TaskEdit{}, Response: Task{}},
		taskAct(s, s.editTask))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/tasks/{id}/edits", Tag: tag, Summary: "A task's edit history, field by field, newest first", Response: TaskEditEntry{}, List: true},
		taskList(s, s.TaskEdits))
}

// decideThen submits, approves or returns a report and answers its task
// as the caller sees it.
func (s *Store) decideThen(r *http.Request, id int64, action string, sub SubmitInput, dec DecisionInput) (TaskDetail, error) {
	ref, err := s.decideReport(r, id, action, sub, dec)
	if err != nil {
		return TaskDetail{}, err
	}
	return s.taskDetail(r, ref.task)
}

// taskAct answers a change to a task (act authorises and makes it) with
// the task as it now stands.
func taskAct[In any](s *Store, act func(r *http.Request, id int64, in In) error) httpx.HandlerFunc {
	return httpx.ActHandler(200, func(r *http.Request, id int64, in In) (Task, error) {
		if err := act(r, id, in); err != nil {
			return Task{}, err
		}
		return s.Task(r.Context(), id)
	})
}

// readBack finds the item id that was just added to task's list (a
// comment, an extension).
func readBack[T any](ctx context.Context, task, id int64, what string, list func(context.Context, int64) ([]T, error), idOf func(T) int64) (T, error) {
	var zero T
	items, err := list(ctx, task)
	if err != nil {
		return zero, err
	}
	for _, it := range items {
		if idOf(it) == id {
			return it, nil
		}
	}
	return zero, fmt.Errorf("%s %d not read back", what, id)
}

// reportQueue lists the submitted reports of the units the caller
// approves for, oldest first.
func (s *Store) reportQueue(ctx context.Context) ([]ReportQueueItem, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT u.id, u.task_id, u.unit_id, u.status, u.progress, u.body, u.author, u.created_at, t.plan_id, p.number, t.number, t.description
		FROM task_updates u JOIN tasks t ON t.id = u.task_id JOIN plans p ON p.id = t.plan_id WHERE u.state = 'submitted' AND u.unit_id IS NOT NULL ORDER BY u.created_at, u.id`)
	if err != nil {
		return nil, err
	}
	var all []ReportQueueItem
	for rows.Next() {
		var q ReportQueueItem
		var unit int64
		if err := rows.Scan(&q.ID, &q.TaskID, &unit, &q.Status, &q.Progress, &q.Body, &q.Author, &q.At, &q.PlanID, &q.PlanNumber, &q.TaskNumber, &q.TaskDescription); err != nil {
			rows.Close()
			return nil, err
		}
		q.Unit, q.State, q.Attachments, q.Events = &UnitRef{ID: unit}, StateSubmitted, []Attachment{}, []UpdateEvent{}
		all = append(all, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []ReportQueueItem{}
	refs := s.refs(ctx)
	allowed := map[int64]bool{}
	for _, q := range all {
		ok, seen := allowed[q.Unit.ID]
		if !seen {
			can, err := s.org.Can(ctx, org.PrincipalFrom(ctx), ApproveReport, q.Unit.ID)
			ok = err == nil && can
			allowed[q.Unit.ID] = ok
		}
		if ok {
			u := refs.get(q.Unit.ID)
			q.Unit = &u
			out = append(out, q)
		}
	}
	return out, nil
}

// serveCommentFile sends a comment's file to anyone who may view plans,
// with the same headers as an evidence file.
func (s *Store) serveCommentFile(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewPlans, 0); err != nil {
		return err
	}
	a, data, err := s.CommentFile(r.Context(), id)
	if err != nil {
		return err
	}
	sendFile(w, r, a, data)
	return nil
}

// taskList answers one task's list (its comments, extensions, edits) to
// anyone who may view plans.
func taskList[T any](s *Store, list func(context.Context, int64) ([]T, error)) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r, "id")
		if err != nil {
			return err
		}
		if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ViewPlans, 0); err != nil {
			return err
		}
		if _, err := s.Task(r.Context(), id); err != nil {
			return err
		}
		items, err := list(r.Context(), id)
		if err != nil {
			return err
		}
		httpx.List(w, r, items, len(items), httpx.Page{Limit: len(items) + 1})
		return nil
	}
}
