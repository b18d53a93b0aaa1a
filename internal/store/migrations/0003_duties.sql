-- Duties across a reorganisation. A dissolve names the heirs of the
-- duties of each unit it ends (the 2025 abolition of districts handed them
-- to the province or to the new communes); a merge or split needs no rows
-- here, its successors are the heirs. Plans, tasks, targets and reports stay
-- recorded under the unit that held them and are read through these links.
-- id only grows, so the review cache sees a replaced heir as a change.
CREATE TABLE org_event_heirs (
    id {{ID}},
    event_id BIGINT NOT NULL REFERENCES org_events(id),
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    heir_id BIGINT NOT NULL REFERENCES org_units(id),
    UNIQUE (event_id, unit_id, heir_id)
);
CREATE INDEX org_event_heirs_unit ON org_event_heirs (unit_id);
CREATE INDEX org_event_heirs_heir ON org_event_heirs (heir_id);

-- A coordinator may give a task other lead or coordinating units. The old
-- assignment is ended, not deleted: its progress history stays with it.
-- Only assignments with ended_on = '' are current.
ALTER TABLE task_assignments ADD COLUMN ended_on TEXT NOT NULL DEFAULT '';
ALTER TABLE task_assignments ADD COLUMN ended_by BIGINT REFERENCES users(id);
-- A task whose units were changed by hand keeps them when its plan is
-- imported again: the import brings the plan's text in line, not the
-- later decisions of the coordinator.
ALTER TABLE tasks ADD COLUMN reassigned_on TEXT NOT NULL DEFAULT '';
