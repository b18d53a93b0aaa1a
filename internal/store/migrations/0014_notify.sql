-- Notifications and reminders (issue 11, part 4; internal/notify).
-- A notification is one thing one official is told: its text is stored as
-- catalogue keys and arguments (JSON) and rendered in the reader's
-- language. mail_state says where its e-mail stands: '' none (the
-- official does not take this kind by e-mail, or has no address),
-- pending, sending (claimed by one node, with mail_claimed_at), sent,
-- failed (given up after several tries).
CREATE TABLE notifications (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    body_key TEXT NOT NULL DEFAULT '',
    args TEXT NOT NULL DEFAULT '[]',
    link TEXT NOT NULL DEFAULT '',
    actor_id BIGINT REFERENCES users(id),
    created_at {{TS}} NOT NULL,
    read_at {{TS}},
    mail_state TEXT NOT NULL DEFAULT '',
    mail_tries INTEGER NOT NULL DEFAULT 0,
    mail_claimed_at {{TS}},
    mailed_at {{TS}}
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_mail ON notifications (mail_state);

-- Which kinds an official takes by e-mail: a row says yes or no for one
-- kind; a kind without a row takes its default (notify.Kinds).
CREATE TABLE notification_prefs (
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    email BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- Reminder rules of a plan (đôn đốc): kind before_due (days before a
-- task's due date), on_due, overdue (every days while late),
-- before_report (days before the monthly progress report, due on day of
-- each month). A plan without rows follows the defaults
-- (notify.DefaultRules); saving the rules stores the whole set.
CREATE TABLE plan_reminder_rules (
    plan_id BIGINT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    days INTEGER NOT NULL DEFAULT 0,
    day INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (plan_id, position)
);

-- What reminders were produced, so that each goes once, across restarts
-- and nodes: rule is the rule's stable key (before_due:7, overdue:7,
-- digest …), due_on the date it is about, occurrence the n-th repetition
-- (overdue every 7 days). Written in the transaction that writes the
-- notifications it produced. The job reads a plan's rows first (the
-- unique index starts with plan_id) and writes only the new ones.
CREATE TABLE reminders_sent (
    id {{ID}},
    rule TEXT NOT NULL,
    plan_id BIGINT NOT NULL DEFAULT 0,
    task_id BIGINT NOT NULL DEFAULT 0,
    unit_id BIGINT NOT NULL DEFAULT 0,
    due_on TEXT NOT NULL,
    occurrence INTEGER NOT NULL DEFAULT 0,
    sent_at {{TS}} NOT NULL,
    UNIQUE (plan_id, task_id, unit_id, rule, due_on, occurrence)
);

-- Leases of cluster-wide jobs: the node whose holder is written here, and
-- not expired, runs the job; the others wait.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at {{TS}} NOT NULL
);
