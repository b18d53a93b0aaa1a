// Package audit keeps the trail of security events: logins and their
// failures, password, token and role changes, account changes and
// reorganisations. Admins read it; login throttling counts from it.
package audit

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/httpx"
	"github.com/tinhso/tinhso/internal/store"
)

// Kinds of event.
const (
	Login          = "login"
	Logout         = "logout"
	PasswordChange = "password.change"
	PasswordReset  = "password.reset"
	TokenCreate    = "token.create"
	TokenRevoke    = "token.revoke"
	OfficialCreate = "official.create"
	OfficialUpdate = "official.update"
	RoleChange     = "role.change"
	AccountDisable = "account.disable"
	AccountEnable  = "account.enable"
	UnitCreate     = "unit.create"
	UnitUpdate     = "unit.update"
	Reorganisation = "unit.reorganise"
	UnitHeirs      = "unit.heirs" // the heirs of a dissolved unit's duties named again
	AccessDenied   = "access.denied"
	CSRFRefused    = "csrf.refused" // a state-changing request without its form token, or from another site
	PlanImport     = "plan.import"
	TaskOverride   = "task.override"
	TaskReassign   = "task.reassign"  // a task's lead or coordinating units changed by hand
	PlanReminders  = "plan.reminders" // a plan's reminder rules changed (internal/notify)
	ReportImport   = "report.import"  // indicators and report forms imported
	// The DTI cycle: a framework imported, an assessment opened, a unit's
	// self-assessment, submission, review, appraisal, publication and a
	// correction of published scores.
	DTIFramework = "dti.framework"
	DTIOpen      = "dti.open"
	DTISelf      = "dti.self"
	DTISubmit    = "dti.submit"
	DTIReview    = "dti.review"
	DTIAppraise  = "dti.appraise"
	DTIPublish   = "dti.publish"
	DTICorrect   = "dti.correct"
	DTILink      = "dti.link" // a component's programme tasks set
	// ReportValuesImport is a DHIS2 dataValueSets import that changed
	// values, with its counts (and whether locks were forced).
	ReportValuesImport = "report.values.import"
	// Single sign-on (internal/sso): each is recorded on success and on
	// refusal (success false, the OAuth2 error in the detail).
	SSOAuthorize = "sso.authorize"  // an authorisation code issued to an application for an official
	SSOConsent   = "sso.consent"    // an official let an application receive their claims, or refused
	SSOToken     = "sso.token"      // tokens issued at the token endpoint (code exchange, client credentials)
	SSORefresh   = "sso.refresh"    // a refresh token rotated; a replay revokes the whole grant
	SSORevoke    = "sso.revoke"     // a token revoked by its application (RFC 7009) or by logging out
	SSOLogout    = "sso.logout"     // logging out through the provider (RP-initiated)
	SSOClient    = "sso.client"     // an application registered, edited or given a new secret
	SSOKeyRotate = "sso.key.rotate" // a new signing key
	TOTPReset    = "totp.reset"     // an official's second factor removed by an administrator (a lost phone)
	TOTPRecovery = "totp.recovery"  // an official made their recovery codes anew (or failed to)
	SSOBroker    = "sso.broker"     // a citizen's login brokered from the upstream provider (VNeID), or its failure
	SSOCitizen   = "sso.citizen"    // a citizen account made at the first brokered login
)

// Kinds of periodic reporting's values (internal/report).
const (
	ReportExcel = "report.values.excel" // report values imported from an Excel workbook
)

// Kinds of the data exchange hub (internal/hub).
const (
	HubRegistry   = "hub.registry"   // a member, subsystem, service, endpoint or description changed
	HubAccess     = "hub.access"     // an access right granted or revoked, an access request made or decided
	HubCredential = "hub.credential" // a client credential issued, rotated or revoked
	HubKey        = "hub.key"        // a hub key (token signing, seals, CA) created or rotated
	HubArchive    = "hub.archive"    // old sealed batches of the message log archived into a file and deleted from the database
	HubPeer       = "hub.peer"       // a peer hub (federation) registered, changed, enabled or disabled
)

// Kinds of the report workflow (internal/report/workflow.go): the steps of
// a report up the tree.
const (
	ReportSubmit    = "report.submit"
	ReportWithdraw  = "report.withdraw"
	ReportApprove   = "report.approve"
	ReportAccept    = "report.accept" // approved by the last level: final
	ReportReturn    = "report.return"
	ReportUnapprove = "report.unapprove"
	ReportReopen    = "report.reopen"
)

// Kinds of the Steering Committee's meetings (internal/plan/meeting.go).
const (
	MeetingRecord   = "meeting.record"     // a meeting recorded with its review snapshot
	ConclusionIssue = "meeting.conclusion" // a conclusion recorded, its directives made tasks
)

// Kinds of the programme's workflow (internal/plan: approval.go,
// comments.go, extension.go, edit.go).
const (
	TaskReportSubmit    = "task.report.submit"
	TaskReportApprove   = "task.report.approve"
	TaskReportReturn    = "task.report.return" // by the approver, or an approved report by the coordinator
	PlanApprovalSetting = "plan.approval"      // a plan's units need approval, or no longer
	TaskComment         = "task.comment"       // a comment or a request for more evidence
	TaskExtension       = "task.extension"     // a new due date asked, granted or refused
	TaskEdit            = "task.edit"          // a task's fields edited in the application
)

// Kinds lists every kind, in the order the audit page offers them.
var Kinds = []string{Login, Logout, PasswordChange, PasswordReset, TokenCreate, TokenRevoke, OfficialCreate, OfficialUpdate,
	RoleChange, AccountDisable, AccountEnable, UnitCreate, UnitUpdate, Reorganisation, UnitHeirs, PlanImport, TaskOverride, TaskReassign, PlanReminders, ReportImport, ReportValuesImport, ReportExcel,
	DTIFramework, DTIOpen, DTISelf, DTISubmit, DTIReview, DTIAppraise, DTIPublish, DTICorrect, DTILink, HubRegistry, HubAccess, HubCredential, HubKey, HubArchive, HubPeer,
	ReportSubmit, ReportWithdraw, ReportApprove, ReportAccept, ReportReturn, ReportUnapprove, ReportReopen,
	TaskReportSubmit, TaskReportApprove, TaskReportReturn, PlanApprovalSetting, TaskComment, TaskExtension, TaskEdit,
	SSOAuthorize, SSOConsent, SSOToken, SSORefresh, SSORevoke, SSOLogout, SSOClient, SSOKeyRotate, TOTPReset, TOTPRecovery, SSOBroker, SSOCitizen,
	MeetingRecord, ConclusionIssue,
	AccessDenied, CSRFRefused}

// Event is one line of the trail.
type Event struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Success bool      `json:"success"`
	ActorID int64     `json:"actorId,omitempty"`
	Actor   string    `json:"actor"`
	IP      string    `json:"ip"`
	Subject string    `json:"subject" doc:"what the event is about: a username, a unit code, a token name"`
	Detail  string    `json:"detail"`
}

// Record writes e; with a transaction, the event commits or rolls back with
// the change it describes.
func Record(ctx context.Context, q store.Querier, e Event) error {
	if e.At.IsZero() {
		e.At = store.Now()
	}
	var actor any
	if e.ActorID != 0 {
		actor = e.ActorID
	}
	_, err := q.ExecContext(ctx, `INSERT INTO audit_events (at, kind, success, actor_id, actor, ip, subject, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.At, e.Kind, e.Success, actor, e.Actor, e.IP, e.Subject, e.Detail)
	return err
}

type actorKey struct{}

type actor struct {
	id   int64
	name string
}

// WithActor records in ctx who acts, for From; auth sets it with the
// principal.
func WithActor(ctx context.Context, id int64, name string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor{id, name})
}

// From fills actor and address from a request.
func From(r *http.Request, kind, subject, detail string, success bool) Event {
	e := FromContext(r.Context(), kind, subject, detail, success)
	e.IP = httpx.ClientIP(r)
	return e
}

// FromContext fills actor and address from what the context carries (see
// httpx.WithRequest and WithActor); outside a request both stay empty.
func FromContext(ctx context.Context, kind, subject, detail string, success bool) Event {
	e := Event{Kind: kind, Subject: subject, Detail: detail, Success: success, IP: httpx.RequestFrom(ctx).IP}
	if a, ok := ctx.Value(actorKey{}).(actor); ok {
		e.ActorID, e.Actor = a.id, a.name
	}
	return e
}

// RequestLine is "METHOD /path" of the request a context serves, for the
// detail of an event ("" outside a request).
func RequestLine(ctx context.Context) string {
	if info := httpx.RequestFrom(ctx); info.Method != "" {
		return info.Method + " " + info.Path
	}
	return ""
}

// Filter narrows the trail.
type Filter struct {
	Kind    string
	Subject string
	Failed  bool      // failures only
	Since   time.Time // events after this time only
	Limit   int
	Offset  int
	// Within, when not nil, limits the trail to events done by or about
	// these accounts (a provincial admin sees their province's officials).
	Within *Accounts
}

// Accounts are the ids and usernames of a set of officials.
type Accounts struct {
	IDs       []int64
	Usernames []string
}

// where builds the WHERE clause of a filter, its arguments numbered from 1.
func (f Filter) where() (string, []any) {
	where, args := " WHERE 1=1", []any{}
	if f.Kind != "" {
		args = append(args, f.Kind)
		where += fmt.Sprintf(" AND kind = $%d", len(args))
	}
	if f.Subject != "" {
		args = append(args, f.Subject)
		where += fmt.Sprintf(" AND (subject = $%d OR actor = $%d)", len(args), len(args))
	}
	if f.Failed {
		args = append(args, false)
		where += fmt.Sprintf(" AND success = $%d", len(args))
	}
	if !f.Since.IsZero() {
		args = append(args, f.Since)
		where += fmt.Sprintf(" AND at > $%d", len(args))
	}
	if f.Within != nil {
		var ids, names []string
		for _, id := range f.Within.IDs {
			args = append(args, id)
			ids = append(ids, fmt.Sprintf("$%d", len(args)))
		}
		for _, n := range f.Within.Usernames {
			args = append(args, n)
			names = append(names, fmt.Sprintf("$%d", len(args)))
		}
		if len(ids) == 0 {
			where += " AND 1=0"
		} else {
			where += " AND (actor_id IN (" + strings.Join(ids, ",") + ") OR subject IN (" + strings.Join(names, ",") + "))"
		}
	}
	return where, args
}

// Count counts the events of a filter (Limit and Offset aside).
func Count(ctx context.Context, db *store.DB, f Filter) (int, error) {
	where, args := f.where()
	var n int
	err := db.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_events"+where, args...).Scan(&n)
	return n, err
}

// List reads the trail, newest first, with the total count.
func List(ctx context.Context, db *store.DB, f Filter) ([]Event, int, error) {
	where, args := f.where()
	var total int
	if err := db.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_events"+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	args = append(args, f.Limit, f.Offset)
	rows, err := db.Read.QueryContext(ctx, `SELECT id, at, kind, success, COALESCE(actor_id, 0), actor, ip, subject, detail FROM audit_events`+where+
		fmt.Sprintf(" ORDER BY at DESC, id DESC LIMIT $%d OFFSET $%d", len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.At, &e.Kind, &e.Success, &e.ActorID, &e.Actor, &e.IP, &e.Subject, &e.Detail); err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// Failures counts failed events of kind since t, for a subject or an address.
func Failures(ctx context.Context, db *store.DB, kind, column, value string, since time.Time) (int, error) {
	if column != "subject" && column != "ip" {
		return 0, fmt.Errorf("audit: cannot count by %q", column)
	}
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE kind = $1 AND success = $2 AND detail <> 'throttled' AND `+column+` = $3 AND at > $4`,
		kind, false, value, since).Scan(&n)
	return n, err
}
