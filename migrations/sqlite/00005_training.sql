-- Training: courses with their trainers and prerequisites, sessions of one or more days,
-- enrolments with approvals and waiting lists, the attendance register, versioned course
-- material, certificates, per-user calendar feeds; and the in-app notifications with their
-- outbox, which every area writes to.

-- +goose Up
CREATE TABLE courses (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    code              TEXT  NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    description       TEXT         NOT NULL DEFAULT '',
    organisation_id   INTEGER       NOT NULL REFERENCES organisations (id),
    status            TEXT  NOT NULL DEFAULT 'draft',
    -- Comma-separated role names and organisation kinds; empty means everyone.
    eligible_roles    TEXT NOT NULL DEFAULT '',
    eligible_kinds    TEXT NOT NULL DEFAULT '',
    approval_required BOOLEAN      NOT NULL DEFAULT 0,
    approval_days     INTEGER      NOT NULL DEFAULT 14,
    cpd_hours         REAL NOT NULL DEFAULT 0,
    validity_months   INTEGER      NOT NULL DEFAULT 0,
    classification    TEXT  NOT NULL DEFAULT 'OFFICIAL',
    created_by        INTEGER       REFERENCES users (id),
    created_at        DATETIME  NOT NULL,
    updated_at        DATETIME  NOT NULL,
    published_at      DATETIME
);
CREATE INDEX idx_courses_title ON courses (title, id);

CREATE TABLE course_trainers (
    course_id INTEGER      NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id   INTEGER      NOT NULL REFERENCES users (id),
    added_by  INTEGER      REFERENCES users (id),
    added_at  DATETIME NOT NULL,
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX idx_course_trainers_user ON course_trainers (user_id);

CREATE TABLE course_prerequisites (
    course_id       INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    prerequisite_id INTEGER NOT NULL REFERENCES courses (id),
    PRIMARY KEY (course_id, prerequisite_id)
);

-- seats_taken and waiting are the counters seats are claimed against, under a lock on this row
-- (DESIGN.md §9): the check constraint is the last line of defence.
CREATE TABLE course_sessions (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id              INTEGER       NOT NULL REFERENCES courses (id),
    status                 TEXT  NOT NULL DEFAULT 'scheduled',
    venue                  TEXT NOT NULL DEFAULT '',
    joining_details        TEXT         NOT NULL DEFAULT '',
    capacity               INTEGER      NOT NULL,
    min_learners           INTEGER      NOT NULL DEFAULT 0,
    seats_taken            INTEGER      NOT NULL DEFAULT 0,
    waiting                INTEGER      NOT NULL DEFAULT 0,
    starts_at              DATETIME  NOT NULL,
    ends_at                DATETIME  NOT NULL,
    booking_closes_at      DATETIME  NOT NULL,
    cancellation_cutoff_at DATETIME  NOT NULL,
    cancel_reason          TEXT         NOT NULL DEFAULT '',
    cancelled_at           DATETIME,
    completed_at           DATETIME,
    created_by             INTEGER       REFERENCES users (id),
    created_at             DATETIME  NOT NULL,
    updated_at             DATETIME  NOT NULL,
    CHECK (seats_taken >= 0 AND seats_taken <= capacity),
    CHECK (waiting >= 0)
);
CREATE INDEX idx_course_sessions_course ON course_sessions (course_id, starts_at);
CREATE INDEX idx_course_sessions_starts ON course_sessions (starts_at);

CREATE TABLE session_days (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER      NOT NULL REFERENCES course_sessions (id) ON DELETE CASCADE,
    day_number INTEGER     NOT NULL,
    starts_at  DATETIME NOT NULL,
    ends_at    DATETIME NOT NULL,
    UNIQUE (session_id, day_number)
);

CREATE TABLE session_trainers (
    session_id INTEGER NOT NULL REFERENCES course_sessions (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX idx_session_trainers_user ON session_trainers (user_id);

-- One row per request for a place. A learner holds at most one live row (requested, enrolled
-- or waitlisted) per session; waiting-list positions are unique, 1 being next.
CREATE TABLE enrolments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id      INTEGER      NOT NULL REFERENCES course_sessions (id),
    course_id       INTEGER      NOT NULL REFERENCES courses (id),
    user_id         INTEGER      NOT NULL REFERENCES users (id),
    organisation_id INTEGER      NOT NULL REFERENCES organisations (id),
    state           TEXT NOT NULL,
    position        INTEGER,
    requested_by    INTEGER      REFERENCES users (id),
    requested_at    DATETIME NOT NULL,
    expires_at      DATETIME,
    decided_by      INTEGER      REFERENCES users (id),
    decided_at      DATETIME,
    reason          TEXT        NOT NULL DEFAULT '',
    placed_at       DATETIME,
    enrolled_at     DATETIME,
    ended_at        DATETIME,
    updated_at      DATETIME NOT NULL,
    CHECK ((state = 'waitlisted') = (position IS NOT NULL))
);
CREATE UNIQUE INDEX idx_enrolments_live ON enrolments (session_id, user_id) WHERE state IN ('requested', 'enrolled', 'waitlisted');
CREATE UNIQUE INDEX idx_enrolments_position ON enrolments (session_id, position) WHERE state = 'waitlisted';
CREATE INDEX idx_enrolments_user ON enrolments (user_id, state);
CREATE INDEX idx_enrolments_org ON enrolments (organisation_id, state);
CREATE INDEX idx_enrolments_session ON enrolments (session_id, state);

CREATE TABLE attendance (
    enrolment_id INTEGER      NOT NULL REFERENCES enrolments (id),
    day_id       INTEGER      NOT NULL REFERENCES session_days (id) ON DELETE CASCADE,
    status       TEXT NOT NULL,
    recorded_by  INTEGER      REFERENCES users (id),
    recorded_at  DATETIME NOT NULL,
    PRIMARY KEY (enrolment_id, day_id)
);

CREATE TABLE course_materials (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id      INTEGER       NOT NULL REFERENCES courses (id),
    title          TEXT NOT NULL,
    classification TEXT  NOT NULL,
    created_by     INTEGER       REFERENCES users (id),
    created_at     DATETIME  NOT NULL,
    updated_at     DATETIME  NOT NULL
);
CREATE INDEX idx_course_materials_course ON course_materials (course_id, title);

CREATE TABLE material_versions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    material_id  INTEGER       NOT NULL REFERENCES course_materials (id),
    version      INTEGER      NOT NULL,
    blob_id      INTEGER       NOT NULL REFERENCES blobs (id),
    file_name    TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    uploaded_by  INTEGER       REFERENCES users (id),
    uploaded_at  DATETIME  NOT NULL,
    published_by INTEGER       REFERENCES users (id),
    published_at DATETIME,
    UNIQUE (material_id, version)
);

-- The verification code is public by design (printed on the certificate): it shows only
-- whether the certificate is valid.
CREATE TABLE certificates (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    number          TEXT  NOT NULL UNIQUE,
    code            TEXT  NOT NULL UNIQUE,
    enrolment_id    INTEGER       NOT NULL UNIQUE REFERENCES enrolments (id),
    user_id         INTEGER       NOT NULL REFERENCES users (id),
    organisation_id INTEGER       NOT NULL REFERENCES organisations (id),
    course_id       INTEGER       NOT NULL REFERENCES courses (id),
    session_id      INTEGER       NOT NULL REFERENCES course_sessions (id),
    learner_name    TEXT NOT NULL,
    course_code     TEXT  NOT NULL,
    course_title    TEXT NOT NULL,
    cpd_hours       REAL NOT NULL,
    completed_on    DATE         NOT NULL,
    expires_on      DATE,
    issued_by       INTEGER       REFERENCES users (id),
    issued_at       DATETIME  NOT NULL
);
CREATE INDEX idx_certificates_user ON certificates (user_id, course_id);
CREATE INDEX idx_certificates_org ON certificates (organisation_id, expires_on);

-- A calendar feed's URL carries a random token; only its hash is kept.
CREATE TABLE calendar_feeds (
    user_id      INTEGER      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME
);

-- In-app notifications: what changed, with a link. Each is written in the transaction of the
-- change that caused it, with one outbox row per delivery channel for a sender to work through.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER       NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT  NOT NULL,
    text       TEXT NOT NULL,
    link       TEXT NOT NULL DEFAULT '',
    created_at DATETIME  NOT NULL,
    read_at    DATETIME
);
CREATE INDEX idx_notifications_user ON notifications (user_id, id);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id INTEGER       NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    channel         TEXT  NOT NULL,
    attempts        INTEGER      NOT NULL DEFAULT 0,
    next_attempt_at DATETIME  NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    delivered_at    DATETIME,
    created_at      DATETIME  NOT NULL
);
CREATE INDEX idx_outbox_pending ON outbox (channel, next_attempt_at) WHERE delivered_at IS NULL;

-- +goose Down
DROP TABLE outbox;
DROP TABLE notifications;
DROP TABLE calendar_feeds;
DROP TABLE certificates;
DROP TABLE material_versions;
DROP TABLE course_materials;
DROP TABLE attendance;
DROP TABLE enrolments;
DROP TABLE session_trainers;
DROP TABLE session_days;
DROP TABLE course_sessions;
DROP TABLE course_prerequisites;
DROP TABLE course_trainers;
DROP TABLE courses;
