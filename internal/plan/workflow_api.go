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
		return func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			var sub SubmitInput
			var dec DecisionInput
			if action == "submit" {
				err = httpx.Decode(r, &sub)
			} else {
				err = httpx.Decode(r, &dec)
			}
			if err != nil {
				return err
			}
			ref, err := s.decideReport(r, id, action, sub, dec)
			if err != nil {
				return err
			}
			d, err := s.taskDetail(r, ref.task)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, d)
			return nil
		}
	}
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/task-updates/{id}/submit", Tag: tag, Summary: "Submit a draft or returned progress report to the unit's approver, optionally revised (the unit's reporter)", Request: SubmitInput{}, Response: TaskDetail{}},
		decide("submit"))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/task-updates/{id}/approve", Tag: tag, Summary: "Approve a submitted progress report: the unit's part takes its status and progress (the unit's approver)", Request: DecisionInput{}, Response: TaskDetail{}},
		decide("approve"))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/task-updates/{id}/return", Tag: tag, Summary: "Return a submitted report to its unit with a comment (the unit's approver), or an approved one (the plan's coordinator)", Request: DecisionInput{}, Response: TaskDetail{}},
		decide("return"))
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/task-updates", Tag: tag, Summary: "Progress reports waiting for the caller's approval (submitted, in the units the caller approves for)", Response: ReportQueueItem{}, List: true},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.org.Authorize(r.Context(), org.PrincipalFrom(r.Context()), ApproveReport, 0); err != nil {
				return err
			}
			pg, err := httpx.PageOf(r, 100, 1000)
			if err != nil {
				return err
			}
			list, err := s.reportQueue(r)
			if err != nil {
				return err
			}
			httpx.List(w, r, httpx.Slice(list, pg), len(list), pg)
			return nil
		})
	api.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/plans/{id}/approval", Tag: tag, Summary: "Whether the plan's units' progress reports need their approver's approval (the plan's coordinator)", Request: ApprovalSetting{}, Response: Plan{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			var in ApprovalSetting
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			if err := s.setApproval(r, id, in.RequiresApproval); err != nil {
				return err
			}
			p, err := s.Plan(r.Context(), id)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, p)
			return nil
		})

	// Comments.
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/tasks/{id}/comments", Tag: tag, Summary: "A task's threads: its own and its units' parts, oldest first; open evidence requests are the unit's to-do", Response: Comment{}, List: true},
		taskList(s, s.Comments))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/tasks/{id}/comments", Tag: tag, Summary: "Comment on a task or a unit's part, mention officials, attach evidence files (base64), or ask the unit for more evidence", Request: CommentInput{}, Response: Comment{}, Status: 201},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			var in CommentInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			cid, err := s.addComment(r, id, in)
			if err != nil {
				return err
			}
			list, err := s.Comments(r.Context(), id)
			if err != nil {
				return err
			}
			for _, c := range list {
				if c.ID == cid {
					httpx.JSON(w, 201, c)
					return nil
				}
			}
			return fmt.Errorf("comment %d not read back", cid)
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/comment-files/{id}", Tag: tag, Summary: "Download a comment's file"}, s.serveCommentFile)

	// Extensions.
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/tasks/{id}/extensions", Tag: tag, Summary: "A task's requests for a new due date and their decisions, newest first", Response: Extension{}, List: true},
		taskList(s, s.Extensions))
	api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/tasks/{id}/extensions", Tag: tag, Summary: "Ask for a new due date with a reason (a lead unit's reporter; a coordinating unit is refused)", Request: ExtensionInput{}, Response: Extension{}, Status: 201},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			var in ExtensionInput
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			eid, err := s.requestExtension(r, id, in)
			if err != nil {
				return err
			}
			list, err := s.Extensions(r.Context(), id)
			if err != nil {
				return err
			}
			for _, e := range list {
				if e.ID == eid {
					httpx.JSON(w, 201, e)
					return nil
				}
			}
			return fmt.Errorf("extension %d not read back", eid)
		})
	for _, word := range []string{"grant", "refuse"} {
		summary := "Grant a requested due date: the task's due date moves, the plan's stays visible (the plan's coordinator or issuer)"
		if word == "refuse" {
			summary = "Refuse a requested due date with a comment (the plan's coordinator or issuer)"
		}
		api.Handle(httpx.Route{Method: "POST", Path: "/api/v1/extensions/{id}/" + word, Tag: tag, Summary: summary, Request: DecisionInput{}, Response: Extension{}},
			func(w http.ResponseWriter, r *http.Request) error {
				id, err := httpx.PathID(r, "id")
				if err != nil {
					return err
				}
				var in DecisionInput
				if err := httpx.Decode(r, &in); err != nil {
					return err
				}
				e, err := s.decideExtension(r, id, word == "grant", in.Comment)
				if err != nil {
					return err
				}
				httpx.JSON(w, 200, e)
				return nil
			})
	}

	// Editing.
	api.Handle(httpx.Route{Method: "PUT", Path: "/api/v1/tasks/{id}", Tag: tag, Summary: "Edit a task: title, output, time frame, budget, status, units (the plan's coordinator); kept in its history, and not undone by importing the plan again", Request: TaskEdit{}, Response: Task{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := httpx.PathID(r, "id")
			if err != nil {
				return err
			}
			var in TaskEdit
			if err := httpx.Decode(r, &in); err != nil {
				return err
			}
			if err := s.editTask(r, id, in); err != nil {
				return err
			}
			t, err := s.Task(r.Context(), id)
			if err != nil {
				return err
			}
			httpx.JSON(w, 200, t)
			return nil
		})
	api.Handle(httpx.Route{Method: "GET", Path: "/api/v1/tasks/{id}/edits", Tag: tag, Summary: "A task's edit history, field by field, newest first", Response: TaskEditEntry{}, List: true},
		taskList(s, s.TaskEdits))
}

// reportQueue lists the submitted reports of the units the caller
// approves for, oldest first.
func (s *Store) reportQueue(r *http.Request) ([]ReportQueueItem, error) {
	ctx := r.Context()
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
			ok = s.can(r, ApproveReport, q.Unit.ID)
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
