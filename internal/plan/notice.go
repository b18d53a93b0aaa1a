package plan

import (
	"context"
	"log/slog"
)

// Notices (issue 11, parts 2 and 4): the programme's workflow says who
// must know what — a report returned, a comment mentioning an official, an
// extension granted, a task due in seven days — and a Notifier delivers
// it (the home page's notification list, e-mail through the operator's
// SMTP server, each official's choice of e-mails). The plan domain does not
// deliver anything itself: the server's wiring gives it a Notifier
// (SetNotifier); without one, notices are dropped (tests that do not look
// at them, a server without delivery configured).

// Notice is one thing officials are told.
type Notice struct {
	// Kind names what happened ("plan.report.returned",
	// "plan.task.due_soon" …); officials choose their e-mails by kind.
	Kind string
	// Officials are the recipients by id, Units the units whose officials
	// with one of Roles receive it (both may be set; each official once).
	Officials []int64
	Units     []int64
	Roles     []string
	// Subject and Body are in the recipient's language when delivered;
	// here they are catalogue keys and arguments, rendered per recipient.
	Subject string
	Body    string
	Args    []any
	// Link is the page the notice points to ("/tasks/42#part-7").
	Link string
	// Actor is the official who caused it (not told about their own act).
	Actor int64
}

// Notifier delivers notices; internal/notify implements it.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// SetNotifier sets how notices are delivered (server wiring).
func (s *Store) SetNotifier(n Notifier) { s.notifier = n }

// notify hands a notice to the notifier. Delivery failing does not undo
// the act that caused it: the act is committed, the notice logged.
func (s *Store) notify(ctx context.Context, n Notice) {
	if s.notifier == nil {
		return
	}
	if err := s.notifier.Notify(ctx, n); err != nil {
		slog.WarnContext(ctx, "plan: notice not delivered", "kind", n.Kind, "link", n.Link, "err", err)
	}
}
