-- DTI components linked to the programme tasks that address them (issue 8
-- part 4): "where we lose points" names the task, not only the pillar. A
-- link belongs to one framework's component; a task removed with its plan
-- takes its links with it.
CREATE TABLE dti_component_tasks (
    component_id BIGINT NOT NULL REFERENCES dti_components(id),
    task_id BIGINT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    linked_by BIGINT REFERENCES users(id),
    linked_at {{TS}} NOT NULL,
    PRIMARY KEY (component_id, task_id)
);
CREATE INDEX dti_component_tasks_task ON dti_component_tasks (task_id);
