-- Training: courses with their trainers and prerequisites, sessions of one or more days,
-- enrolments with approvals and waiting lists, the attendance register, versioned course
-- material, certificates, per-user calendar feeds; and the in-app notifications with their
-- outbox, which every area writes to.

-- +goose Up
CREATE TABLE courses (
    id                {{SERIAL}},
    code              {{VARCHAR 20}}  NOT NULL UNIQUE,
    title             {{VARCHAR 200}} NOT NULL,
    description       TEXT            NOT NULL DEFAULT '',
    organisation_id   {{BIGINT}}      NOT NULL REFERENCES organisations (id),
    status            {{VARCHAR 20}}  NOT NULL DEFAULT 'draft',
    -- Comma-separated role names and organisation kinds; empty means everyone.
    eligible_roles    {{VARCHAR 400}} NOT NULL DEFAULT '',
    eligible_kinds    {{VARCHAR 200}} NOT NULL DEFAULT '',
    approval_required BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    approval_days     INTEGER         NOT NULL DEFAULT 14,
    cpd_hours         {{NUMERIC 5 1}} NOT NULL DEFAULT 0,
    validity_months   INTEGER         NOT NULL DEFAULT 0,
    classification    {{VARCHAR 20}}  NOT NULL DEFAULT 'OFFICIAL',
    created_by        {{BIGINT}}      REFERENCES users (id),
    created_at        {{TIMESTAMPTZ}} NOT NULL,
    updated_at        {{TIMESTAMPTZ}} NOT NULL,
    published_at      {{TIMESTAMPTZ}}
);
CREATE INDEX idx_courses_title ON courses (title, id);

CREATE TABLE course_trainers (
    course_id {{BIGINT}}      NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id   {{BIGINT}}      NOT NULL REFERENCES users (id),
    added_by  {{BIGINT}}      REFERENCES users (id),
    added_at  {{TIMESTAMPTZ}} NOT NULL,
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX idx_course_trainers_user ON course_trainers (user_id);

CREATE TABLE course_prerequisites (
    course_id       {{BIGINT}} NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    prerequisite_id {{BIGINT}} NOT NULL REFERENCES courses (id),
    PRIMARY KEY (course_id, prerequisite_id)
);

-- seats_taken and waiting are the counters seats are claimed against, under a lock on this row
-- (DESIGN.md §9): the check constraint is the last line of defence.
CREATE TABLE course_sessions (
    id                     {{SERIAL}},
    course_id              {{BIGINT}}      NOT NULL REFERENCES courses (id),
    status                 {{VARCHAR 20}}  NOT NULL DEFAULT 'scheduled',
    venue                  {{VARCHAR 500}} NOT NULL DEFAULT '',
    joining_details        TEXT            NOT NULL DEFAULT '',
    capacity               INTEGER         NOT NULL,
    min_learners           INTEGER         NOT NULL DEFAULT 0,
    seats_taken            INTEGER         NOT NULL DEFAULT 0,
    waiting                INTEGER         NOT NULL DEFAULT 0,
    starts_at              {{TIMESTAMPTZ}} NOT NULL,
    ends_at                {{TIMESTAMPTZ}} NOT NULL,
    booking_closes_at      {{TIMESTAMPTZ}} NOT NULL,
    cancellation_cutoff_at {{TIMESTAMPTZ}} NOT NULL,
    cancel_reason          TEXT            NOT NULL DEFAULT '',
    cancelled_at           {{TIMESTAMPTZ}},
    completed_at           {{TIMESTAMPTZ}},
    created_by             {{BIGINT}}      REFERENCES users (id),
    created_at             {{TIMESTAMPTZ}} NOT NULL,
    updated_at             {{TIMESTAMPTZ}} NOT NULL,
    CHECK (seats_taken >= 0 AND seats_taken <= capacity),
    CHECK (waiting >= 0)
);
CREATE INDEX idx_course_sessions_course ON course_sessions (course_id, starts_at);
CREATE INDEX idx_course_sessions_starts ON course_sessions (starts_at);

CREATE TABLE session_days (
    id         {{SERIAL}},
    session_id {{BIGINT}}      NOT NULL REFERENCES course_sessions (id) ON DELETE CASCADE,
    day_number INTEGER         NOT NULL,
    starts_at  {{TIMESTAMPTZ}} NOT NULL,
    ends_at    {{TIMESTAMPTZ}} NOT NULL,
    UNIQUE (session_id, day_number)
);

CREATE TABLE session_trainers (
    session_id {{BIGINT}} NOT NULL REFERENCES course_sessions (id) ON DELETE CASCADE,
    user_id    {{BIGINT}} NOT NULL REFERENCES users (id),
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX idx_session_trainers_user ON session_trainers (user_id);

-- One row per request for a place. A learner holds at most one live row (requested, enrolled
-- or waitlisted) per session; waiting-list positions are unique, 1 being next.
CREATE TABLE enrolments (
    id              {{SERIAL}},
    session_id      {{BIGINT}}      NOT NULL REFERENCES course_sessions (id),
    course_id       {{BIGINT}}      NOT NULL REFERENCES courses (id),
    user_id         {{BIGINT}}      NOT NULL REFERENCES users (id),
    organisation_id {{BIGINT}}      NOT NULL REFERENCES organisations (id),
    state           {{VARCHAR 20}}  NOT NULL,
    position        INTEGER,
    requested_by    {{BIGINT}}      REFERENCES users (id),
    requested_at    {{TIMESTAMPTZ}} NOT NULL,
    expires_at      {{TIMESTAMPTZ}},
    decided_by      {{BIGINT}}      REFERENCES users (id),
    decided_at      {{TIMESTAMPTZ}},
    reason          TEXT            NOT NULL DEFAULT '',
    placed_at       {{TIMESTAMPTZ}},
    enrolled_at     {{TIMESTAMPTZ}},
    ended_at        {{TIMESTAMPTZ}},
    updated_at      {{TIMESTAMPTZ}} NOT NULL,
    CHECK ((state = 'waitlisted') = (position IS NOT NULL))
);
CREATE UNIQUE INDEX idx_enrolments_live ON enrolments (session_id, user_id) WHERE state IN ('requested', 'enrolled', 'waitlisted');
CREATE UNIQUE INDEX idx_enrolments_position ON enrolments (session_id, position) WHERE state = 'waitlisted';
CREATE INDEX idx_enrolments_user ON enrolments (user_id, state);
CREATE INDEX idx_enrolments_org ON enrolments (organisation_id, state);
CREATE INDEX idx_enrolments_session ON enrolments (session_id, state);

CREATE TABLE attendance (
    enrolment_id {{BIGINT}}      NOT NULL REFERENCES enrolments (id),
    day_id       {{BIGINT}}      NOT NULL REFERENCES session_days (id) ON DELETE CASCADE,
    status       {{VARCHAR 20}}  NOT NULL,
    recorded_by  {{BIGINT}}      REFERENCES users (id),
    recorded_at  {{TIMESTAMPTZ}} NOT NULL,
    PRIMARY KEY (enrolment_id, day_id)
);

CREATE TABLE course_materials (
    id             {{SERIAL}},
    course_id      {{BIGINT}}      NOT NULL REFERENCES courses (id),
    title          {{VARCHAR 200}} NOT NULL,
    classification {{VARCHAR 20}}  NOT NULL,
    created_by     {{BIGINT}}      REFERENCES users (id),
    created_at     {{TIMESTAMPTZ}} NOT NULL,
    updated_at     {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_course_materials_course ON course_materials (course_id, title);

CREATE TABLE material_versions (
    id           {{SERIAL}},
    material_id  {{BIGINT}}      NOT NULL REFERENCES course_materials (id),
    version      INTEGER         NOT NULL,
    blob_id      {{BIGINT}}      NOT NULL REFERENCES blobs (id),
    file_name    {{VARCHAR 255}} NOT NULL,
    note         {{VARCHAR 500}} NOT NULL DEFAULT '',
    uploaded_by  {{BIGINT}}      REFERENCES users (id),
    uploaded_at  {{TIMESTAMPTZ}} NOT NULL,
    published_by {{BIGINT}}      REFERENCES users (id),
    published_at {{TIMESTAMPTZ}},
    UNIQUE (material_id, version)
);

-- The verification code is public by design (printed on the certificate): it shows only
-- whether the certificate is valid.
CREATE TABLE certificates (
    id              {{SERIAL}},
    number          {{VARCHAR 40}}  NOT NULL UNIQUE,
    code            {{VARCHAR 40}}  NOT NULL UNIQUE,
    enrolment_id    {{BIGINT}}      NOT NULL UNIQUE REFERENCES enrolments (id),
    user_id         {{BIGINT}}      NOT NULL REFERENCES users (id),
    organisation_id {{BIGINT}}      NOT NULL REFERENCES organisations (id),
    course_id       {{BIGINT}}      NOT NULL REFERENCES courses (id),
    session_id      {{BIGINT}}      NOT NULL REFERENCES course_sessions (id),
    learner_name    {{VARCHAR 200}} NOT NULL,
    course_code     {{VARCHAR 20}}  NOT NULL,
    course_title    {{VARCHAR 200}} NOT NULL,
    cpd_hours       {{NUMERIC 5 1}} NOT NULL,
    completed_on    DATE            NOT NULL,
    expires_on      DATE,
    issued_by       {{BIGINT}}      REFERENCES users (id),
    issued_at       {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_certificates_user ON certificates (user_id, course_id);
CREATE INDEX idx_certificates_org ON certificates (organisation_id, expires_on);

-- A calendar feed's URL carries a random token; only its hash is kept.
CREATE TABLE calendar_feeds (
    user_id      {{BIGINT}}      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash   {{VARCHAR 64}}  NOT NULL UNIQUE,
    created_at   {{TIMESTAMPTZ}} NOT NULL,
    last_used_at {{TIMESTAMPTZ}}
);

-- In-app notifications: what changed, with a link. Each is written in the transaction of the
-- change that caused it, with one outbox row per delivery channel for a sender to work through.
CREATE TABLE notifications (
    id         {{SERIAL}},
    user_id    {{BIGINT}}      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       {{VARCHAR 50}}  NOT NULL,
    text       {{VARCHAR 500}} NOT NULL,
    link       {{VARCHAR 500}} NOT NULL DEFAULT '',
    created_at {{TIMESTAMPTZ}} NOT NULL,
    read_at    {{TIMESTAMPTZ}}
);
CREATE INDEX idx_notifications_user ON notifications (user_id, id);

CREATE TABLE outbox (
    id              {{SERIAL}},
    notification_id {{BIGINT}}      NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    channel         {{VARCHAR 20}}  NOT NULL,
    attempts        INTEGER         NOT NULL DEFAULT 0,
    next_attempt_at {{TIMESTAMPTZ}} NOT NULL,
    last_error      {{VARCHAR 500}} NOT NULL DEFAULT '',
    delivered_at    {{TIMESTAMPTZ}},
    created_at      {{TIMESTAMPTZ}} NOT NULL
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
