-- Periodic reporting (issue 7), data entry and approval: the validation
-- rules of a report form. A rule compares two expressions over the form's
-- indicators, "left_side operator right_side" (e.g. #{CDS.HS.TRUCTUYEN} <=
-- #{CDS.HS.TIEPNHAN}); a reference is #{CODE} (the indicator's value, or
-- the sum of its category options) or #{CODE:OPTION}. message is what the
-- official reads when the rule fails (Vietnamese; message_en for the
-- English page). missing says what a missing value does: 'skip' the rule
-- (the default) or count it as 'zero'. A failing rule blocks submission,
-- never a draft. The rules of a form are matched by code on import.
CREATE TABLE report_rules (
    id {{ID}},
    form_id BIGINT NOT NULL REFERENCES report_forms(id),
    code TEXT NOT NULL,
    left_side TEXT NOT NULL,
    operator TEXT NOT NULL,
    right_side TEXT NOT NULL,
    message TEXT NOT NULL,
    message_en TEXT NOT NULL DEFAULT '',
    missing TEXT NOT NULL DEFAULT 'skip',
    sort_order INTEGER NOT NULL,
    UNIQUE (form_id, code)
);

