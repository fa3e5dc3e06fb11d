-- Background jobs: one row per named job, claimed by one replica at a time with a conditional
-- UPDATE that takes a lease (no leader process); a replica that dies mid-run stops renewing its
-- lease and another takes the job once it has run out. job_runs keeps the latest runs of each
-- job for the admin page. reminders_sent makes each reminder go once: a reminder is sent in
-- the transaction that inserts its row, and the row's key (kind, object, due date) is unique.

-- +goose Up
CREATE TABLE jobs (
    name          {{VARCHAR 100}} PRIMARY KEY,
    every_seconds {{BIGINT}}      NOT NULL,
    next_run_at   {{TIMESTAMPTZ}} NOT NULL,
    lease_until   {{TIMESTAMPTZ}},
    run_id        {{VARCHAR 64}},
    updated_at    {{TIMESTAMPTZ}} NOT NULL
);

CREATE TABLE job_runs (
    id          {{SERIAL}},
    job         {{VARCHAR 100}} NOT NULL REFERENCES jobs (name),
    run_id      {{VARCHAR 64}}  NOT NULL UNIQUE,
    replica     {{VARCHAR 200}} NOT NULL,
    started_at  {{TIMESTAMPTZ}} NOT NULL,
    finished_at {{TIMESTAMPTZ}},
    outcome     {{VARCHAR 20}}  NOT NULL,
    summary     {{VARCHAR 500}} NOT NULL DEFAULT '',
    error       {{VARCHAR 500}} NOT NULL DEFAULT ''
);
CREATE INDEX idx_job_runs_job ON job_runs (job, id);

CREATE TABLE reminders_sent (
    kind      {{VARCHAR 50}}  NOT NULL,
    object_id {{BIGINT}}      NOT NULL,
    due_on    {{VARCHAR 10}}  NOT NULL,
    sent_at   {{TIMESTAMPTZ}} NOT NULL,
    PRIMARY KEY (kind, object_id, due_on)
);

-- +goose Down
DROP TABLE reminders_sent;
DROP TABLE job_runs;
DROP TABLE jobs;
