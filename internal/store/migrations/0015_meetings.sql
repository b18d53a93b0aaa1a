-- The Steering Committee's meetings (phiên họp Ban Chỉ đạo, issue 11 part 5).
-- A meeting keeps the review it discussed as it stood that day
-- (review_snapshot, the review's JSON): later reports do not change what
-- the committee saw.
CREATE TABLE steering_meetings (
    id {{ID}},
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    body TEXT NOT NULL,
    held_on TEXT NOT NULL,
    title TEXT NOT NULL,
    chair TEXT NOT NULL,
    attendees TEXT NOT NULL DEFAULT '',
    review_month TEXT NOT NULL,
    review_as_of TEXT NOT NULL,
    review_snapshot TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    created_at {{TS}} NOT NULL
);
CREATE INDEX steering_meetings_unit ON steering_meetings (unit_id, held_on);

-- Its conclusion (thông báo kết luận). The directives (ý kiến chỉ đạo) are
-- the tasks of plan_id, a document of the plans table whose tasks are
-- numbered 1, 2 …: progress, overdue, reassignment, the review and "my
-- tasks" treat them as any plan's tasks. This row is what makes that plan
-- a conclusion.
CREATE TABLE steering_conclusions (
    id {{ID}},
    meeting_id BIGINT NOT NULL UNIQUE REFERENCES steering_meetings(id),
    plan_id BIGINT NOT NULL UNIQUE REFERENCES plans(id),
    number TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    signer TEXT NOT NULL,
    signer_authority TEXT NOT NULL DEFAULT '',
    signer_title TEXT NOT NULL DEFAULT '',
    preamble TEXT NOT NULL DEFAULT '',
    recipients TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    created_at {{TS}} NOT NULL
);
