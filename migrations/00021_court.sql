-- After charge (issue 13 item 3, DOMAIN.md §F1): the file goes on to court. A charged case gets
-- a court record when the team records its first hearing file; each step after that (PTPH, full
-- file upgrade, defence statement, disclosure review, further disclosure, trial, outcomes,
-- sentence, confiscation) is a dated row of court_steps, and court_cases holds where the case
-- stands (convicted: the outcomes include a conviction, so a sentence follows). Custody status per defendant (in custody with its custody time limit, on bail,
-- released under investigation) is a history: the latest row of a defendant is current.
-- Existing cases have no rows and keep working: a charged case without one has not started.

-- +goose Up
CREATE TABLE court_cases (
    case_id          {{BIGINT}}      PRIMARY KEY REFERENCES case_files (id),
    stage            TEXT            NOT NULL,
    anticipated_plea TEXT            NOT NULL DEFAULT '',
    first_hearing_on DATE,
    full_file_due_on DATE,
    convicted        BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    updated_at       {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_court_cases_full_file ON court_cases (full_file_due_on) WHERE full_file_due_on IS NOT NULL;

-- One step of the case after charge: what happened (step: the stage it reached), on which day,
-- the date it set (the first hearing's, or the full file's due date), the orders made and the
-- amount of a confiscation order in whole pounds.
CREATE TABLE court_steps (
    id            {{SERIAL}},
    case_id       {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    step          TEXT            NOT NULL,
    occurred_on   DATE            NOT NULL,
    next_on       DATE,
    plea          TEXT            NOT NULL DEFAULT '',
    stpo          BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    reparation    BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    amount_pounds {{BIGINT}}      NOT NULL DEFAULT 0,
    details       TEXT            NOT NULL DEFAULT '',
    recorded_by   {{BIGINT}}      NOT NULL REFERENCES users (id),
    recorded_at   {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_court_steps_case ON court_steps (case_id, id);

-- A defendant's custody status from a day: in_custody (with the custody time limit's expiry,
-- as the court or the CPS gave it), bail or rui. defendant is the pseudonymous reference the
-- case uses for them (as on the operation's suspect record).
CREATE TABLE court_custody (
    id             {{SERIAL}},
    case_id        {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    defendant      TEXT            NOT NULL,
    status         TEXT            NOT NULL,
    since_on       DATE            NOT NULL,
    ctl_expires_on DATE,
    recorded_by    {{BIGINT}}      NOT NULL REFERENCES users (id),
    recorded_at    {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_court_custody_case ON court_custody (case_id, defendant, id);
CREATE INDEX idx_court_custody_ctl ON court_custody (ctl_expires_on) WHERE ctl_expires_on IS NOT NULL;

-- +goose Down
DROP TABLE court_custody;
DROP TABLE court_steps;
DROP TABLE court_cases;
