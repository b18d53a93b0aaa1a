package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/locale"
	"github.com/tinhso/tinhso/internal/mail"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/plan"
	"github.com/tinhso/tinhso/internal/store"
)

// Mailer sends one e-mail (*mail.Client; tests may give another).
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// Store keeps notifications, officials' e-mail choices and the plans'
// reminder rules, and delivers notices (it is a plan.Notifier).
type Store struct {
	db    *store.DB
	org   *org.Store
	plans *plan.Store
	// Mailer sends the e-mails; nil: notifications are shown on the pages
	// only.
	Mailer Mailer
	// BaseURL starts the links in e-mails (https://tinhso.gialai.gov.vn).
	BaseURL string
	// Now is the clock of reminders and notifications (tests set it).
	Now func() time.Time
	// Node names this server in the reminder job's lease.
	Node string
	// Interval is how often a node looks for reminders to send and mail to
	// deliver (one minute when 0).
	Interval time.Duration
	// kick wakes the mail loop when a notice asks for an e-mail.
	kick chan struct{}
	// lastPass is when this node last looked for reminders (Tick).
	mu       sync.Mutex
	lastPass time.Time
}

// NewStore returns the notification store.
func NewStore(db *store.DB, orgs *org.Store, plans *plan.Store) *Store {
	return &Store{db: db, org: orgs, plans: plans, Now: store.Now, Node: store.NodeName(), kick: make(chan struct{}, 1)}
}

func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// today is the civil date in Vietnam of the store's clock.
func (s *Store) today() string { return s.now().In(vietnam).Format(time.DateOnly) }

var vietnam = time.FixedZone("ICT", 7*3600)

// Notification is one thing one official was told.
type Notification struct {
	ID      int64      `json:"id"`
	Kind    string     `json:"kind"`
	Subject string     `json:"subject" doc:"rendered in the caller's language"`
	Body    string     `json:"body"`
	Link    string     `json:"link"`
	Actor   string     `json:"actor,omitempty" doc:"who caused it, when someone did"`
	At      time.Time  `json:"at"`
	ReadAt  *time.Time `json:"readAt"`
	Mail    string     `json:"mail" doc:"its e-mail: none, pending, sending, sent or failed"`
}

// Unread reports whether the notification has not been read.
func (n Notification) Unread() bool { return n.ReadAt == nil }

// An argument as stored: its type keeps what locale.T must know (a
// catalogue key, a decimal, a date) across the JSON.
type storedArg struct {
	T string          `json:"t"`
	V json.RawMessage `json:"v"`
}

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func encodeArgs(args []any) (string, error) {
	out := make([]storedArg, 0, len(args))
	for _, a := range args {
		var t string
		var v any = a
		switch x := a.(type) {
		case locale.Key:
			t, v = "key", string(x)
		case locale.Num:
			t, v = "num", float64(x)
		case string:
			t = "s"
			if isoDate.MatchString(x) {
				t = "date"
			}
		case int:
			t = "i"
		case int64:
			t = "i"
		case int32:
			t = "i"
		case float64:
			t = "f"
		case time.Time:
			t, v = "time", x.UTC().Format(time.RFC3339)
		default:
			t, v = "s", fmt.Sprint(a)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		out = append(out, storedArg{T: t, V: b})
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// decodeArgs turns stored arguments into what locale.T formats in lang:
// dates as the language writes them (a string YYYY-MM-DD is a date).
func decodeArgs(lang locale.Lang, s string) []any {
	var in []storedArg
	if json.Unmarshal([]byte(s), &in) != nil {
		return nil
	}
	out := make([]any, 0, len(in))
	for _, a := range in {
		switch a.T {
		case "key":
			var k string
			json.Unmarshal(a.V, &k)
			out = append(out, locale.Key(k))
		case "num":
			var f float64
			json.Unmarshal(a.V, &f)
			out = append(out, locale.Num(f))
		case "i":
			var i int64
			json.Unmarshal(a.V, &i)
			out = append(out, i)
		case "f":
			var f float64
			json.Unmarshal(a.V, &f)
			out = append(out, f)
		case "date":
			var d string
			json.Unmarshal(a.V, &d)
			out = append(out, locale.ISODate(lang, d))
		case "time":
			var d string
			json.Unmarshal(a.V, &d)
			t, _ := time.Parse(time.RFC3339, d)
			out = append(out, locale.DateTime(lang, t))
		default:
			var x string
			json.Unmarshal(a.V, &x)
			out = append(out, x)
		}
	}
	return out
}

// Notify delivers a notice: one notification for each official it names
// or who holds one of its roles in one of its units as the registry stands
// today (the unit's successors when it has ended), never to the actor,
// each official once; an e-mail is queued for those who take the kind by
// e-mail (Prefs) and have an address. It implements plan.Notifier.
func (s *Store) Notify(ctx context.Context, n plan.Notice) error {
	var ids []int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		ids, err = s.notifyTx(ctx, tx, n, nil)
		return err
	})
	if err == nil && len(ids) > 0 {
		s.wake()
	}
	return err
}

// wake tells the mail loop there may be e-mail to send.
func (s *Store) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// notifyTx writes the notifications of n in tx and returns the ids of
// those with an e-mail pending.
func (s *Store) notifyTx(ctx context.Context, tx *sql.Tx, n plan.Notice, sn *org.Snapshot) ([]int64, error) {
	if n.Kind == "" || n.Subject == "" {
		return nil, fmt.Errorf("notify: a notice needs a kind and a subject")
	}
	users, err := s.recipients(ctx, n, sn)
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, nil
	}
	args, err := encodeArgs(n.Args)
	if err != nil {
		return nil, fmt.Errorf("notify: arguments: %w", err)
	}
	mailOn, err := s.mailChoices(ctx, tx, users, n.Kind)
	if err != nil {
		return nil, err
	}
	var actor any
	if n.Actor != 0 {
		actor = n.Actor
	}
	now := s.now()
	var pending []int64
	for _, u := range users {
		state := ""
		if mailOn[u] && s.Mailer != nil {
			state = "pending"
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO notifications (user_id, kind, subject_key, body_key, args, link, actor_id, created_at, mail_state)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, u, n.Kind, n.Subject, n.Body, args, n.Link, actor, now, state).Scan(&id); err != nil {
			return nil, fmt.Errorf("notify: insert: %w", err)
		}
		if state != "" {
			pending = append(pending, id)
		}
	}
	return pending, nil
}

// Recipients lists, in id order, the enabled officials a notice reaches.
func (s *Store) Recipients(ctx context.Context, n plan.Notice) ([]int64, error) {
	return s.recipients(ctx, n, nil)
}

// recipients is Recipients on a snapshot of the registry read once for
// many notices (nil: read now).
func (s *Store) recipients(ctx context.Context, n plan.Notice, sn *org.Snapshot) ([]int64, error) {
	set := map[int64]bool{}
	for _, id := range n.Officials {
		set[id] = true
	}
	if len(n.Units) > 0 && len(n.Roles) > 0 {
		if sn == nil {
			var err error
			if sn, err = s.org.Snapshot(ctx); err != nil {
				return nil, err
			}
		}
		today := s.today()
		var units []int64
		for _, u := range n.Units {
			for _, id := range append([]int64{u}, sn.Successors(u, today)...) {
				if !slices.Contains(units, id) {
					units = append(units, id)
				}
			}
		}
		var args []any
		in := store.InList(&args, units)
		roles := make([]string, 0, len(n.Roles))
		for _, r := range n.Roles {
			args = append(args, r)
			roles = append(roles, fmt.Sprintf("$%d", len(args)))
		}
		rows, err := s.db.Read.QueryContext(ctx, `SELECT u.id, u.unit_id, r.scope_unit_id FROM users u JOIN user_roles r ON r.user_id = u.id
			WHERE r.role IN (`+strings.Join(roles, ", ")+`) AND (r.scope_unit_id IN (`+in+`) OR u.unit_id IN (`+in+`))`, args...)
		if err != nil {
			return nil, fmt.Errorf("notify: recipients: %w", err)
		}
		type cand struct{ user, unit, scope int64 }
		var cands []cand
		for rows.Next() {
			var c cand
			if err := rows.Scan(&c.user, &c.unit, &c.scope); err != nil {
				rows.Close()
				return nil, err
			}
			cands = append(cands, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, c := range cands {
			// The unit's own officials: a role over the unit itself, or an
			// official of the unit whose role covers it (not a province's
			// approver for every commune).
			if slices.Contains(units, c.scope) || (slices.Contains(units, c.unit) && sn.Within(c.unit, c.scope)) {
				set[c.user] = true
			}
		}
	}
	delete(set, n.Actor)
	delete(set, 0)
	if len(set) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	var args []any
	args = append(args, false)
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id FROM users WHERE disabled = $1 AND id IN (`+store.InList(&args, ids)+`) ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// List is what a list of notifications asks for.
type List struct {
	UnreadOnly bool
	Limit      int // 50 when 0
	Offset     int
}

// Notifications lists an official's notifications, newest first, rendered
// in lang, with the number matching and the number unread.
func (s *Store) Notifications(ctx context.Context, user int64, lang locale.Lang, f List) (list []Notification, total, unread int, err error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	where := ` WHERE n.user_id = $1`
	if f.UnreadOnly {
		where += ` AND n.read_at IS NULL`
	}
	if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN n.read_at IS NULL THEN 1 ELSE 0 END), 0) FROM notifications n`+where, user).Scan(&total, &unread); err != nil {
		return nil, 0, 0, fmt.Errorf("notify: count: %w", err)
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT n.id, n.kind, n.subject_key, n.body_key, n.args, n.link, COALESCE(a.full_name, ''), n.created_at, n.read_at, n.mail_state
		FROM notifications n LEFT JOIN users a ON a.id = n.actor_id`+where+` ORDER BY n.id DESC LIMIT $2 OFFSET $3`, user, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("notify: list: %w", err)
	}
	defer rows.Close()
	list = []Notification{}
	for rows.Next() {
		var x Notification
		var subject, body, args string
		var read sql.NullTime
		if err := rows.Scan(&x.ID, &x.Kind, &subject, &body, &args, &x.Link, &x.Actor, &x.At, &read, &x.Mail); err != nil {
			return nil, 0, 0, err
		}
		a := decodeArgs(lang, args)
		x.Subject = locale.T(lang, subject, a...)
		if body != "" {
			x.Body = locale.T(lang, body, a...)
		}
		if read.Valid {
			x.ReadAt = &read.Time
		}
		if x.Mail == "" {
			x.Mail = "none"
		}
		list = append(list, x)
	}
	if f.UnreadOnly {
		// total counted the unread ones only; unread is the same.
		unread = total
	} else if err := rows.Err(); err != nil {
		return nil, 0, 0, err
	}
	return list, total, unread, rows.Err()
}

// UnreadCount counts an official's unread notifications.
func (s *Store) UnreadCount(ctx context.Context, user int64) (int, error) {
	var n int
	err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, user).Scan(&n)
	return n, err
}

// MarkRead marks one of the official's notifications read and returns
// the page it points to ("" for none); another's is not found.
func (s *Store) MarkRead(ctx context.Context, user, id int64) (link string, err error) {
	var owner int64
	err = s.db.Read.QueryRowContext(ctx, `SELECT user_id, link FROM notifications WHERE id = $1`, id).Scan(&owner, &link)
	if err == sql.ErrNoRows || (err == nil && owner != user) {
		return "", errs.NotFound
	} else if err != nil {
		return "", err
	}
	_, err = s.db.Write.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE id = $2 AND read_at IS NULL`, s.now(), id)
	return link, err
}

// MarkAllRead marks every notification of the official read and returns
// how many were unread.
func (s *Store) MarkAllRead(ctx context.Context, user int64) (int, error) {
	res, err := s.db.Write.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL`, s.now(), user)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// logErr logs a failure of a background step.
func logErr(ctx context.Context, what string, err error) {
	if err != nil && ctx.Err() == nil {
		slog.ErrorContext(ctx, "notify: "+what, "err", err)
	}
}
