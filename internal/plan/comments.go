package plan

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/audit"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

// Comments and requests on a task (issue 11, part 2). Each task has a
// thread, and so has each unit's part of it: text, mentions of officials
// (@username in the text, or picked from a list), evidence files under the
// same rules and limits as a progress report's. A request for more evidence
// is a comment on a unit's part, by the plan's coordinator or the unit's
// approver, that the unit sees as a to-do until someone who reports for it
// answers (a comment replying to it). Every comment is audited; the
// officials mentioned, the unit asked and the official who asked are told
// (Notice).

// Actions of the threads.
const (
	// CommentTask writes in a task's threads: anyone with a role over the
	// part's unit, or over the plan's issuer or one of the task's units
	// for the task's own thread.
	CommentTask org.Action = "task.comment"
	// RequestEvidence asks a unit for more evidence: the coordinator or
	// the unit's approver.
	RequestEvidence org.Action = "task.request_evidence"
)

// Comment kinds.
const (
	KindComment         = "comment"
	KindEvidenceRequest = "evidence_request"
)

// Comment is one message of a thread.
type Comment struct {
	ID           int64        `json:"id"`
	TaskID       int64        `json:"taskId"`
	AssignmentID *int64       `json:"assignmentId,omitempty" doc:"the unit's part it is about; absent for the task's own thread"`
	Unit         *UnitRef     `json:"unit,omitempty" doc:"that part's unit"`
	Kind         string       `json:"kind" doc:"comment or evidence_request"`
	Body         string       `json:"body"`
	ReplyTo      *int64       `json:"replyTo,omitempty"`
	Open         bool         `json:"open,omitempty" doc:"an evidence request not answered yet: a to-do for the unit"`
	AnsweredBy   *int64       `json:"answeredBy,omitempty" doc:"the comment that answered the request"`
	Mentions     []Mention    `json:"mentions"`
	Attachments  []Attachment `json:"attachments"`
	Author       string       `json:"author"`
	AuthorID     int64        `json:"-"`
	At           time.Time    `json:"at"`
}

// Mention is an official named in a comment.
type Mention struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	FullName string `json:"fullName"`
}

// CommentInput is a new comment.
type CommentInput struct {
	AssignmentID int64       `json:"assignmentId,omitempty" doc:"a unit's part of the task; absent for the task's own thread"`
	Kind         string      `json:"kind,omitempty" doc:"comment (default) or evidence_request (needs assignmentId)"`
	Body         string      `json:"body"`
	Mentions     []string    `json:"mentions,omitempty" doc:"usernames of officials to tell (a picker); @username in the body mentions too"`
	ReplyTo      int64       `json:"replyTo,omitempty" doc:"the comment answered; replying to an evidence request answers it"`
	Attachments  []FileInput `json:"attachments,omitempty"`
}

// mentionPattern finds @username in a comment's text.
var mentionPattern = regexp.MustCompile(`(?:^|[\s(,;])@([a-z0-9][a-z0-9._-]*[a-z0-9])`)

// commentRef is what a new comment is checked against.
type commentRef struct {
	id, task, assignment int64
	kind                 string
	answered             bool
	author               int64
}

// AddComment checks and records a comment. answers says whether its
// author reports for the part, so that a reply to an evidence request
// answers it. It returns the comment and the officials mentioned.
func (s *Store) AddComment(ctx context.Context, tx *sql.Tx, task int64, in CommentInput, answers bool, actor int64, author string) (int64, []int64, error) {
	in.Body = strings.TrimSpace(in.Body)
	if in.Kind == "" {
		in.Kind = KindComment
	}
	v := errs.Validator{Context: "comment"}
	v.Check(in.Kind == KindComment || in.Kind == KindEvidenceRequest, "kind", "one_of", "comment, evidence_request")
	v.Check(in.Body != "", "body", "required")
	v.Text("body", in.Body, errs.Paragraph)
	v.Check(len(in.Mentions) <= 50, "mentions", "max_items", 50)
	checkFiles(&v, "attachments", in.Attachments)
	var reply commentRef
	if in.ReplyTo != 0 {
		var a sql.NullInt64
		var answered sql.NullInt64
		var by sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT id, task_id, assignment_id, kind, answered_by, created_by FROM task_comments WHERE id = $1`, in.ReplyTo).
			Scan(&reply.id, &reply.task, &a, &reply.kind, &answered, &by)
		if errors.Is(err, sql.ErrNoRows) || err == nil && reply.task != task {
			v.Add("replyTo", "not_found")
		} else if err != nil {
			return 0, nil, err
		}
		reply.assignment, reply.answered, reply.author = a.Int64, answered.Valid, by.Int64
		if in.AssignmentID == 0 {
			in.AssignmentID = reply.assignment
		}
	}
	if in.AssignmentID != 0 {
		var t int64
		err := tx.QueryRowContext(ctx, `SELECT task_id FROM task_assignments WHERE id = $1`, in.AssignmentID).Scan(&t)
		if errors.Is(err, sql.ErrNoRows) || err == nil && t != task {
			v.Add("assignmentId", "not_found")
		} else if err != nil {
			return 0, nil, err
		}
	} else if in.Kind == KindEvidenceRequest {
		v.Add("assignmentId", "required")
	}
	// Officials picked must exist; @words in the text that name nobody
	// are text (an e-mail address, a handle elsewhere).
	ids := map[int64]bool{}
	var mentioned []int64
	for i, name := range in.Mentions {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE username = $1 AND disabled = FALSE`, strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "@"))).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			v.Add(fmt.Sprintf("mentions[%d]", i), "unknown_username", name)
			continue
		} else if err != nil {
			return 0, nil, err
		}
		if !ids[id] {
			ids[id] = true
			mentioned = append(mentioned, id)
		}
	}
	if err := v.Err(); err != nil {
		return 0, nil, err
	}
	for _, m := range mentionPattern.FindAllStringSubmatch(strings.ToLower(in.Body), 50) {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE username = $1 AND disabled = FALSE`, m[1]).Scan(&id); err == nil && !ids[id] {
			ids[id] = true
			mentioned = append(mentioned, id)
		}
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO task_comments (task_id, assignment_id, kind, body, reply_to, created_by, author, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		task, nilIfZero(in.AssignmentID), in.Kind, in.Body, nilIfZero(in.ReplyTo), nilIfZero(actor), author, store.Now()).Scan(&id)
	if err != nil {
		return 0, nil, err
	}
	for _, u := range mentioned {
		if _, err := tx.ExecContext(ctx, `INSERT INTO task_comment_mentions (comment_id, user_id) VALUES ($1, $2)`, id, u); err != nil {
			return 0, nil, err
		}
	}
	if err := insertFiles(ctx, tx, `INSERT INTO task_comment_files (comment_id, filename, content_type, size, sha256, data) VALUES ($1, $2, $3, $4, $5, $6)`, id, in.Attachments); err != nil {
		return 0, nil, err
	}
	if answers && reply.kind == KindEvidenceRequest && !reply.answered {
		if _, err := tx.ExecContext(ctx, `UPDATE task_comments SET answered_by = $1 WHERE id = $2 AND answered_by IS NULL`, id, reply.id); err != nil {
			return 0, nil, err
		}
	}
	return id, mentioned, nil
}

// Comments lists a task's threads, oldest first, with mentions and files.
func (s *Store) Comments(ctx context.Context, task int64) ([]Comment, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT c.id, c.task_id, c.assignment_id, a.unit_id, c.kind, c.body, c.reply_to, c.answered_by, c.author, COALESCE(c.created_by, 0), c.created_at
		FROM task_comments c LEFT JOIN task_assignments a ON a.id = c.assignment_id WHERE c.task_id = $1 ORDER BY c.created_at, c.id`, task)
	if err != nil {
		return nil, err
	}
	out := []Comment{}
	index := map[int64]int{}
	for rows.Next() {
		var c Comment
		var a, unit, reply, answered sql.NullInt64
		if err := rows.Scan(&c.ID, &c.TaskID, &a, &unit, &c.Kind, &c.Body, &reply, &answered, &c.Author, &c.AuthorID, &c.At); err != nil {
			rows.Close()
			return nil, err
		}
		if a.Valid {
			c.AssignmentID = &a.Int64
		}
		if unit.Valid {
			c.Unit = &UnitRef{ID: unit.Int64}
		}
		if reply.Valid {
			c.ReplyTo = &reply.Int64
		}
		if answered.Valid {
			c.AnsweredBy = &answered.Int64
		}
		c.Open = c.Kind == KindEvidenceRequest && !answered.Valid
		c.Mentions, c.Attachments = []Mention{}, []Attachment{}
		index[c.ID] = len(out)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	mr, err := s.db.Read.QueryContext(ctx, `SELECT m.comment_id, u.id, u.username, u.full_name FROM task_comment_mentions m JOIN users u ON u.id = m.user_id
		JOIN task_comments c ON c.id = m.comment_id WHERE c.task_id = $1 ORDER BY u.full_name`, task)
	if err != nil {
		return nil, err
	}
	for mr.Next() {
		var id int64
		var m Mention
		if err := mr.Scan(&id, &m.ID, &m.Username, &m.FullName); err != nil {
			mr.Close()
			return nil, err
		}
		out[index[id]].Mentions = append(out[index[id]].Mentions, m)
	}
	mr.Close()
	if err := mr.Err(); err != nil {
		return nil, err
	}
	fr, err := s.db.Read.QueryContext(ctx, `SELECT f.comment_id, f.id, f.filename, f.content_type, f.size, f.sha256 FROM task_comment_files f
		JOIN task_comments c ON c.id = f.comment_id WHERE c.task_id = $1 ORDER BY f.id`, task)
	if err != nil {
		return nil, err
	}
	for fr.Next() {
		var id int64
		var a Attachment
		if err := fr.Scan(&id, &a.ID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256); err != nil {
			fr.Close()
			return nil, err
		}
		out[index[id]].Attachments = append(out[index[id]].Attachments, a)
	}
	fr.Close()
	if err := fr.Err(); err != nil {
		return nil, err
	}
	refs := s.refs(ctx)
	for i := range out {
		if out[i].Unit != nil {
			r := refs.get(out[i].Unit.ID)
			out[i].Unit = &r
		}
	}
	return out, nil
}

// CommentFile returns a comment's file with its task.
func (s *Store) CommentFile(ctx context.Context, id int64) (Attachment, []byte, error) {
	var a Attachment
	var data []byte
	err := s.db.Read.QueryRowContext(ctx, `SELECT id, filename, content_type, size, sha256, data FROM task_comment_files WHERE id = $1`, id).
		Scan(&a.ID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &data)
	if errors.Is(err, sql.ErrNoRows) {
		err = errs.NotFound
	}
	return a, data, err
}

// addComment authorises and records a comment, then tells the people
// concerned.
func (s *Store) addComment(r *http.Request, task int64, in CommentInput) (int64, error) {
	ctx := r.Context()
	p := org.PrincipalFrom(ctx)
	t, err := s.Task(ctx, task)
	if err != nil {
		return 0, err
	}
	pl, err := s.Plan(ctx, t.PlanID)
	if err != nil {
		return 0, err
	}
	// The part it is about: the one named, or the one of the comment it
	// replies to.
	part := in.AssignmentID
	if part == 0 && in.ReplyTo != 0 {
		var a sql.NullInt64
		s.db.Read.QueryRowContext(ctx, `SELECT assignment_id FROM task_comments WHERE id = $1 AND task_id = $2`, in.ReplyTo, task).Scan(&a)
		part = a.Int64
	}
	var unit int64
	if part != 0 {
		for _, a := range append(append(slices.Clone(t.LeadUnits), t.CoordinatingUnits...), t.PreviousUnits...) {
			if a.ID == part {
				unit = a.Unit.ID
			}
		}
		if unit == 0 {
			return 0, errs.Invalid(errs.Field{Name: "assignmentId", Code: "not_found", Context: "comment"})
		}
	}
	switch {
	case in.Kind == KindEvidenceRequest:
		if unit == 0 {
			return 0, errs.Invalid(errs.Field{Name: "assignmentId", Code: "required", Context: "comment"})
		}
		err = s.org.Authorize(ctx, p, RequestEvidence, unit)
	case unit != 0:
		err = s.org.Authorize(ctx, p, CommentTask, unit)
	default:
		target := pl.IssuerUnit.ID
		for _, a := range append(slices.Clone(t.LeadUnits), t.CoordinatingUnits...) {
			if !s.can(r, CommentTask, target) && s.can(r, CommentTask, a.Unit.ID) {
				target = a.Unit.ID
			}
		}
		err = s.org.Authorize(ctx, p, CommentTask, target)
	}
	if err != nil {
		return 0, err
	}
	answers := unit != 0 && s.can(r, ReportTask, unit)
	subject := strings.TrimSpace(pl.Number + " " + t.Number)
	var id int64
	var mentioned []int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, mentioned, err = s.AddComment(ctx, tx, task, in, answers, p.UserID, p.FullName); err != nil {
			return err
		}
		kind := in.Kind
		if kind == "" {
			kind = KindComment
		}
		return audit.Record(ctx, tx, audit.From(r, audit.TaskComment, subject, fmt.Sprintf("%s %d", kind, id), true))
	})
	if err != nil {
		return 0, err
	}
	link := fmt.Sprintf("/tasks/%d#comment-%d", task, id)
	if len(mentioned) > 0 {
		s.notify(ctx, Notice{Kind: "plan.mention", Officials: mentioned, Subject: "notice.comment_mention.subject", Body: "notice.comment_mention.body",
			Args: []any{p.FullName, subject}, Link: link, Actor: p.UserID})
	}
	switch {
	case in.Kind == KindEvidenceRequest:
		s.notify(ctx, Notice{Kind: "plan.evidence.requested", Units: []int64{unit}, Roles: []string{org.RoleReporter, org.RoleApprover},
			Subject: "notice.evidence_requested.subject", Body: "notice.evidence_requested.body", Args: []any{subject}, Link: link, Actor: p.UserID})
	case in.ReplyTo != 0 && answers:
		var by sql.NullInt64
		var kind string
		s.db.Read.QueryRowContext(ctx, `SELECT kind, created_by FROM task_comments WHERE id = $1`, in.ReplyTo).Scan(&kind, &by)
		if kind == KindEvidenceRequest && by.Valid {
			s.notify(ctx, Notice{Kind: "plan.evidence.answered", Officials: []int64{by.Int64}, Subject: "notice.evidence_answered.subject", Body: "notice.evidence_answered.body",
				Args: []any{subject}, Link: link, Actor: p.UserID})
		}
	case unit != 0:
		s.notify(ctx, Notice{Kind: "plan.comment", Units: []int64{unit}, Roles: []string{org.RoleReporter, org.RoleApprover},
			Subject: "notice.comment.subject", Body: "notice.comment.body", Args: []any{p.FullName, subject}, Link: link, Actor: p.UserID})
	}
	return id, nil
}

// mentionChoices lists the officials a comment may pick: those of the
// task's units and of the plan's issuer.
func (s *Store) mentionChoices(ctx context.Context, t Task, issuer int64) ([]Mention, error) {
	units := []int64{issuer}
	for _, a := range append(slices.Clone(t.LeadUnits), t.CoordinatingUnits...) {
		units = append(units, a.Unit.ID)
		if a.HeldBy != nil {
			units = append(units, a.HeldBy.ID)
		}
	}
	var args []any
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, username, full_name FROM users WHERE disabled = FALSE AND unit_id IN (`+store.InList(&args, units)+`) ORDER BY full_name, username LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Mention
	for rows.Next() {
		var m Mention
		if err := rows.Scan(&m.ID, &m.Username, &m.FullName); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// openRequests counts the evidence requests not answered on the parts of
// these units (a unit's to-do list).
func (s *Store) openRequests(ctx context.Context, units []int64) (int, error) {
	if len(units) == 0 {
		return 0, nil
	}
	var args []any
	var n int
	err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM task_comments c JOIN task_assignments a ON a.id = c.assignment_id
		WHERE c.kind = 'evidence_request' AND c.answered_by IS NULL AND a.ended_on = '' AND a.unit_id IN (`+store.InList(&args, units)+`)`, args...).Scan(&n)
	return n, err
}
