-- The programme's workflow (issue 11, parts 1, 2, 3 and 8).

-- Progress approval. A unit's progress report is a draft until its
-- reporter submits it; the unit's approver approves it (only then does it
-- move the unit's part: task_assignments.status and progress are always
-- those of the part's latest approved report) or returns it with a comment;
-- the coordinator may return an approved report. Reports written before
-- approval existed count as approved. Plans say whether their units need
-- approval; plans already recorded keep working as they did, new plans
-- need it unless their document says otherwise.
ALTER TABLE plans ADD COLUMN requires_approval BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE task_updates ADD COLUMN state TEXT NOT NULL DEFAULT 'approved';
ALTER TABLE task_updates ADD COLUMN decided_by BIGINT REFERENCES users(id);
ALTER TABLE task_updates ADD COLUMN decided_at {{TS}};
UPDATE task_updates SET decided_at = created_at;
CREATE INDEX task_updates_state ON task_updates (state, unit_id);
CREATE INDEX task_updates_assignment ON task_updates (assignment_id, state);
-- Each step of a report: submit, approve, return (by the approver, or by
-- the coordinator after approval: reopen), with its comment.
CREATE TABLE task_update_events (
    id {{ID}},
    update_id BIGINT NOT NULL REFERENCES task_updates(id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    state TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    author TEXT NOT NULL DEFAULT '',
    created_at {{TS}} NOT NULL
);
CREATE INDEX task_update_events_update ON task_update_events (update_id);

-- Comments on a task (assignment_id NULL) or on one unit's part. kind is
-- comment, or evidence_request: a to-do for the unit until a comment
-- answers it (answered_by).
CREATE TABLE task_comments (
    id {{ID}},
    task_id BIGINT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    assignment_id BIGINT REFERENCES task_assignments(id) ON DELETE CASCADE,
    kind TEXT NOT NULL DEFAULT 'comment',
    body TEXT NOT NULL,
    reply_to BIGINT REFERENCES task_comments(id),
    answered_by BIGINT REFERENCES task_comments(id),
    created_by BIGINT REFERENCES users(id),
    author TEXT NOT NULL DEFAULT '',
    created_at {{TS}} NOT NULL
);
CREATE INDEX task_comments_task ON task_comments (task_id, created_at);
CREATE TABLE task_comment_mentions (
    comment_id BIGINT NOT NULL REFERENCES task_comments(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (comment_id, user_id)
);
CREATE TABLE task_comment_files (
    id {{ID}},
    comment_id BIGINT NOT NULL REFERENCES task_comments(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data {{BLOB}} NOT NULL
);
CREATE INDEX task_comment_files_comment ON task_comment_files (comment_id);

-- Deadline extensions (gia hạn): a lead unit asks, the coordinator or the
-- plan's issuer grants or refuses. A grant moves tasks.due_on; the first
-- one keeps the plan's date in original_due_on.
CREATE TABLE task_extensions (
    id {{ID}},
    task_id BIGINT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    assignment_id BIGINT NOT NULL REFERENCES task_assignments(id) ON DELETE CASCADE,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    previous_due_on TEXT NOT NULL DEFAULT '',
    due_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'requested',
    requested_by BIGINT REFERENCES users(id),
    requester TEXT NOT NULL DEFAULT '',
    requested_at {{TS}} NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    decider TEXT NOT NULL DEFAULT '',
    decided_at {{TS}},
    decision_comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX task_extensions_task ON task_extensions (task_id);
ALTER TABLE tasks ADD COLUMN original_due_on TEXT NOT NULL DEFAULT '';

-- A coordinator's edits of a task in the application, field by field; an
-- edited task keeps its fields when its plan is imported again (the import
-- lists it among its warnings: task_edited).
ALTER TABLE tasks ADD COLUMN edited_on TEXT NOT NULL DEFAULT '';
CREATE TABLE task_edits (
    id {{ID}},
    task_id BIGINT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    old_value TEXT NOT NULL DEFAULT '',
    new_value TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    author TEXT NOT NULL DEFAULT '',
    created_at {{TS}} NOT NULL
);
CREATE INDEX task_edits_task ON task_edits (task_id);
