package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/mail"
	"github.com/tinhso/tinhso/internal/web"
)

// E-mail delivery: a notification that asks for an e-mail is written
// "pending"; a node claims it (pending → sending, one UPDATE, so two nodes
// never both send it), sends it and marks it sent, or puts it back for a
// later try (failed after maxTries). A claim left by a node that died
// goes back after claimTimeout.
const (
	maxTries     = 5
	claimTimeout = 10 * time.Minute
	batchSize    = 100
)

// DeliverMail sends the pending e-mails and returns how many went.
func (s *Store) DeliverMail(ctx context.Context) (int, error) {
	if s.Mailer == nil {
		return 0, nil
	}
	now := s.now()
	if _, err := s.db.Write.ExecContext(ctx, `UPDATE notifications SET mail_state = 'pending' WHERE mail_state = 'sending' AND mail_claimed_at < $1`, now.Add(-claimTimeout)); err != nil {
		return 0, fmt.Errorf("notify: release stale claims: %w", err)
	}
	sent := 0
	for {
		rows, err := s.db.Read.QueryContext(ctx, `SELECT id FROM notifications WHERE mail_state = 'pending' ORDER BY id LIMIT $1`, batchSize)
		if err != nil {
			return sent, err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return sent, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return sent, err
		}
		if len(ids) == 0 {
			return sent, nil
		}
		progress := false
		for _, id := range ids {
			if ctx.Err() != nil {
				return sent, ctx.Err()
			}
			ok, claimed, err := s.deliverOne(ctx, id)
			if err != nil {
				return sent, err
			}
			if claimed {
				progress = true
			}
			if ok {
				sent++
			}
		}
		if !progress {
			return sent, nil // every row was taken by another node
		}
	}
}

// deliverOne claims and sends one notification's e-mail.
func (s *Store) deliverOne(ctx context.Context, id int64) (sent, claimed bool, err error) {
	res, err := s.db.Write.ExecContext(ctx, `UPDATE notifications SET mail_state = 'sending', mail_claimed_at = $1, mail_tries = mail_tries + 1
		WHERE id = $2 AND mail_state = 'pending'`, s.now(), id)
	if err != nil {
		return false, false, fmt.Errorf("notify: claim e-mail: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, false, nil
	}
	var to, name, lang, kind, subject, body, args, link string
	var tries int
	err = s.db.Read.QueryRowContext(ctx, `SELECT u.email, u.full_name, u.locale, n.kind, n.subject_key, n.body_key, n.args, n.link, n.mail_tries
		FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.id = $1`, id).Scan(&to, &name, &lang, &kind, &subject, &body, &args, &link, &tries)
	if err != nil {
		return false, true, err
	}
	l := locale.Parse(lang)
	a := decodeArgs(l, args)
	msg := mail.Message{To: to, ToName: name, Subject: locale.T(l, subject, a...), Body: s.mailBody(l, name, body, a, link, kind)}
	// A node stopping lets the message in flight finish (the client's own
	// timeout bounds it): cut off after the server took it, it would be
	// sent again. A failure at QUIT comes after the server took it.
	if err := s.Mailer.Send(context.WithoutCancel(ctx), msg); err != nil && !strings.Contains(err.Error(), ": QUIT: ") {
		slog.ErrorContext(ctx, "notify: e-mail", "to", to, "notification", id, "err", err)
		state := "pending"
		if tries >= maxTries {
			state = "failed"
		}
		// Recorded even when ctx ended (a node stopping): the row goes back.
		_, uerr := s.db.Write.ExecContext(context.WithoutCancel(ctx), `UPDATE notifications SET mail_state = $1 WHERE id = $2`, state, id)
		return false, true, uerr
	}
	_, err = s.db.Write.ExecContext(context.WithoutCancel(ctx), `UPDATE notifications SET mail_state = 'sent', mailed_at = $1 WHERE id = $2`, s.now(), id)
	return true, true, err
}

func (s *Store) mailBody(l locale.Lang, name, bodyKey string, args []any, link, kind string) string {
	var b strings.Builder
	b.WriteString(locale.T(l, "notify.mail.greeting", name) + "\n\n")
	if bodyKey != "" {
		b.WriteString(locale.T(l, bodyKey, args...) + "\n")
	}
	if link != "" {
		b.WriteString("\n" + s.BaseURL + link + "\n")
	}
	b.WriteString("\n" + locale.T(l, "notify.mail.footer", locale.Key("notify.kind."+choiceKind(kind)), s.BaseURL+"/notifications/settings") + "\n")
	return b.String()
}

// Lease takes or renews the cluster-wide lease of a job for ttl: true when
// this node holds it now (store.DB.Lease).
func (s *Store) Lease(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	return s.db.Lease(ctx, name, s.Node, s.now(), ttl)
}

// Release gives the lease up (a node shutting down), so another node
// need not wait for it to expire.
func (s *Store) Release(ctx context.Context, name string) error {
	return s.db.Release(ctx, name, s.Node, s.now())
}

// reminderLease names the lease of the reminder job.
const reminderLease = "plan-reminders"

// Tick is one round of the background job: the node holding the lease
// produces the reminders due, then every node delivers pending e-mail.
func (s *Store) Tick(ctx context.Context) (reminders, mails int, err error) {
	ttl := 3 * s.interval()
	if ttl < time.Minute {
		ttl = time.Minute
	}
	held, err := s.Lease(ctx, reminderLease, ttl)
	if err != nil {
		return 0, 0, err
	}
	if held && s.reminderDue() {
		if reminders, err = s.SendReminders(ctx); err != nil {
			return reminders, 0, err
		}
	}
	mails, err = s.DeliverMail(ctx)
	return reminders, mails, err
}

// ReminderEvery is how often the lease holder looks for reminders: each
// pass reads every plan in force (the mail queue is looked at every
// Interval).
const ReminderEvery = 10 * time.Minute

// reminderDue reports whether this node's last reminder pass is older
// than ReminderEvery (by the wall clock, not the store's), and if so
// counts this one as the last.
func (s *Store) reminderDue() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.lastPass.IsZero() && time.Since(s.lastPass) < ReminderEvery {
		return false
	}
	s.lastPass = time.Now()
	return true
}

func (s *Store) interval() time.Duration {
	if s.Interval > 0 {
		return s.Interval
	}
	return time.Minute
}

// Component is the background job in the server's component list: a Tick
// at start and every Interval, and at once when a notice queued e-mail.
func (s *Store) Component() web.Component {
	return web.Component{Name: "notify", Run: func(ctx context.Context) error {
		t := time.NewTicker(s.interval())
		defer t.Stop()
		for {
			r, m, err := s.Tick(ctx)
			logErr(ctx, "tick", err)
			if r > 0 || m > 0 {
				slog.InfoContext(ctx, "notify: sent", "reminders", r, "mails", m)
			}
			select {
			case <-ctx.Done():
				s.Release(context.WithoutCancel(ctx), reminderLease)
				return nil
			case <-t.C:
			case <-s.kick:
			}
		}
	}}
}
