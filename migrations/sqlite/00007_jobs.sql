-- Background jobs: one row per named job, claimed by one replica at a time with a conditional
-- UPDATE that takes a lease (no leader process); a replica that dies mid-run stops renewing its
-- lease and another takes the job once it has run out. job_runs keeps the latest runs of each
-- job for the admin page. reminders_sent makes each reminder go once: a reminder is sent in
-- the transaction that inserts its row, and the row's key (kind, object, due date) is unique.

-- +goose Up
CREATE TABLE jobs (
    name          TEXT     PRIMARY KEY,
    every_seconds INTEGER  NOT NULL,
    next_run_at   DATETIME NOT NULL,
    lease_until   DATETIME,
    run_id        TEXT,
    updated_at    DATETIME NOT NULL
);

CREATE TABLE job_runs (
    id          INTEGER  PRIMARY KEY AUTOINCREMENT,
    job         TEXT     NOT NULL REFERENCES jobs (name),
    run_id      TEXT     NOT NULL UNIQUE,
    replica     TEXT     NOT NULL,
    started_at  DATETIME NOT NULL,
    finished_at DATETIME,
    outcome     TEXT     NOT NULL,
    summary     TEXT     NOT NULL DEFAULT '',
    error       TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX idx_job_runs_job ON job_runs (job, id);

CREATE TABLE reminders_sent (
    kind      TEXT     NOT NULL,
    object_id INTEGER  NOT NULL,
    due_on    TEXT     NOT NULL,
    sent_at   DATETIME NOT NULL,
    PRIMARY KEY (kind, object_id, due_on)
);

-- +goose Down
DROP TABLE reminders_sent;
DROP TABLE job_runs;
DROP TABLE jobs;
