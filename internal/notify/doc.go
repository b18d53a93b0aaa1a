// Package notify tells officials what they must know (issue 11, part 4):
// notifications on the home page and at /notifications (read and unread,
// mark one or all read, and one followed from the list, through
// /notifications/{id} to its page, is read; the API at
// /api/v1/notifications…), each
// official's choice of the kinds they also take by e-mail
// (/notifications/settings), delivery by e-mail through the operator's
// SMTP server (the reporting domain's mail.Client: --smtp-addr and the
// rest), and the reminders (đôn đốc) of the plans.
//
// What is here:
//   - notify.go: Store, Notification, Notify — the plan.Notifier the
//     server gives the plan domain (plan.Store.SetNotifier). A Notice's
//     Officials, and the officials holding one of its Roles in one of its
//     Units as the registry stands today (a unit that ended: the units
//     that answer for it), each get one notification, never the Actor. A
//     role counts for a unit when its scope is the unit, or when the
//     official belongs to the unit and the role covers it: a province-wide
//     approver is not told about every commune. Subject and Body are
//     catalogue keys rendered in the reader's language when read (page,
//     API, e-mail); arguments keep their type through the database: a
//     string YYYY-MM-DD is written as a date (31/12/2026), locale.Key and
//     locale.Num as locale.T writes them.
//   - kinds.go: the kinds officials choose e-mails for (Kinds, with their
//     defaults; plan.extension.* choose under plan.extension, any kind not
//     listed under "other"), Prefs and SetPrefs.
//   - rules.go: a plan's reminder rules (plan_reminder_rules): before_due
//     (days before a task's due date), on_due, overdue (every n days while
//     late), before_report (days before the monthly progress report, due on
//     a day of the month); DefaultRules until the coordinator saves others
//     (/plans/{id}/reminders, PUT /api/v1/plans/{id}/reminders, audited as
//     plan.reminders); a negative offset is refused naming its row.
//   - reminders.go: SendReminders, from 07:00 in Vietnam: every plan in
//     force, every lead part not done, each rule; notices to the lead
//     unit's reporters and approvers, and one digest a day per plan to the
//     coordinators of its issuer. DueOf is the one place that reads a
//     task's due date (switch it to the current, extended date there).
//     The sent-log (reminders_sent, unique on plan, task, unit, rule, due
//     date, occurrence) is written in the transaction of the reminder's
//     notifications, so a reminder goes once across restarts and nodes.
//   - delivery.go: the e-mail queue (notifications.mail_state: pending →
//     sending, claimed by one UPDATE, → sent, or back to pending, failed
//     after 5 tries; a claim of a node that died returns after 10
//     minutes), the cluster-wide lease (job_leases) and the background
//     job (Component, in the server's component list): every Interval
//     (1 minute) a Tick — the lease holder looks for reminders at most
//     every ReminderEvery (10 minutes), every node sends the pending
//     e-mail; a notice that queues e-mail wakes it at once.
//   - api.go: Mount, the API, the pages (templates/), the home item.
//
// Tests: reminders_test.go is the done-when test (a loopback SMTP
// listener from internal/mail/mailtest, a controllable clock in
// Store.Now, two server nodes on one PostgreSQL, one on SQLite: the
// reminder e-mail of a task due in 7 days arrives once); api_test.go the
// API table on both engines with the refused roles, the pages, and who a
// notice reaches; internal/e2e's TestPlanWorkflowBrowser follows the
// notices of the approval workflow in Chromium.
//
// Left for later: the reminders of periodic reports stay in
// internal/report (reminders.go, their own e-mail digest); a reminder
// comes at the earliest the day a rule says, not at an hour an official
// chooses; an e-mail cut off after the SMTP server took it but before it
// was marked sent (a node killed) goes again after the claim timeout.
package notify
