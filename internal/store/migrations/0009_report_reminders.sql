-- Periodic reporting (issue 7), reminders: what was e-mailed to whom, so
-- that each reminder goes once. kind is due (the deadline is a few working
-- days away), late, returned or waiting (for the official's approval);
-- ref is the report_submission_events row a returned or waiting reminder
-- is about (a report returned twice is two reminders), 0 for due and late.
-- A node claims a row before it sends and deletes it when the delivery
-- fails, so several nodes never send the same reminder twice.
CREATE TABLE report_reminders_sent (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    form_id BIGINT NOT NULL REFERENCES report_forms(id),
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    period TEXT NOT NULL,
    ref BIGINT NOT NULL DEFAULT 0,
    email TEXT NOT NULL,
    sent_at {{TS}} NOT NULL,
    UNIQUE (user_id, kind, form_id, unit_id, period, ref)
);
CREATE INDEX report_reminders_sent_at ON report_reminders_sent (sent_at);

-- Completeness reads every report of a form for a range of periods (a
-- country's year of monthly reports: forty thousand rows) and needs only
-- these columns: the index covers them, so the table is not visited.
CREATE INDEX report_submissions_counts ON report_submissions (form_id, period, unit_id, state, on_time);
