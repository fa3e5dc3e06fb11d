-- Identity and access: organisations, users, their sessions, MFA, API tokens, one-time links,
-- sign-in throttles, and the hash-chained audit log. Role assignments are casbin g rows.

-- +goose Up
CREATE TABLE organisations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    slug       TEXT     NOT NULL UNIQUE,
    name       TEXT     NOT NULL,
    kind       TEXT     NOT NULL,
    region     TEXT     NOT NULL DEFAULT '',
    active     BOOLEAN  NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id     INTEGER  NOT NULL REFERENCES organisations (id),
    email               TEXT     NOT NULL UNIQUE,
    name                TEXT     NOT NULL,
    password_hash       TEXT     NOT NULL DEFAULT '',
    password_changed_at DATETIME,
    vetting_level       TEXT     NOT NULL DEFAULT 'none',
    vetting_expires_on  DATE,
    mfa_secret          TEXT     NOT NULL DEFAULT '',
    mfa_enabled_at      DATETIME,
    mfa_last_step       INTEGER  NOT NULL DEFAULT 0,
    disabled_at         DATETIME,
    last_sign_in_at     DATETIME,
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL
);
CREATE INDEX idx_users_organisation ON users (organisation_id, name);

CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT     NOT NULL,
    used_at    DATETIME,
    created_at DATETIME NOT NULL
);
CREATE INDEX idx_recovery_codes_user ON recovery_codes (user_id);

-- A session's id is the SHA-256 of its cookie value: a copy of this table opens no session.
CREATE TABLE sessions (
    id           TEXT     PRIMARY KEY,
    user_id      INTEGER  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT     NOT NULL,
    mfa_passed   BOOLEAN  NOT NULL DEFAULT 0,
    created_at   DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    client_ip    TEXT     NOT NULL DEFAULT '',
    user_agent   TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX idx_sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT     NOT NULL,
    prefix       TEXT     NOT NULL,
    token_hash   TEXT     NOT NULL UNIQUE,
    scope        TEXT     NOT NULL,
    expires_at   DATETIME NOT NULL,
    last_used_at DATETIME,
    revoked_at   DATETIME,
    created_at   DATETIME NOT NULL
);
CREATE INDEX idx_api_tokens_user ON api_tokens (user_id);

-- Single-use links: the first administrator's setup link and set-password links.
CREATE TABLE one_time_links (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    purpose    TEXT     NOT NULL,
    user_id    INTEGER  REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT     NOT NULL UNIQUE,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME,
    created_by INTEGER  REFERENCES users (id),
    created_at DATETIME NOT NULL
);

-- Failed sign-ins per account and per client address; the key never says whether an account exists.
CREATE TABLE sign_in_throttles (
    key               TEXT     PRIMARY KEY,
    failures          INTEGER  NOT NULL DEFAULT 0,
    window_started_at DATETIME NOT NULL,
    next_attempt_at   DATETIME NOT NULL,
    locked_until      DATETIME
);

-- The audit log: ids are contiguous positions in the chain, each hash covers the row's fields
-- and the previous hash. Rows are appended one at a time under a lock and never changed.
CREATE TABLE audit_events (
    id           INTEGER  PRIMARY KEY,
    occurred_at  DATETIME NOT NULL,
    actor_id     INTEGER,
    actor_org_id INTEGER,
    action       TEXT     NOT NULL,
    object_type  TEXT     NOT NULL DEFAULT '',
    object_id    TEXT     NOT NULL DEFAULT '',
    outcome      TEXT     NOT NULL,
    client_ip    TEXT     NOT NULL DEFAULT '',
    user_agent   TEXT     NOT NULL DEFAULT '',
    request_id   TEXT     NOT NULL DEFAULT '',
    details      TEXT     NOT NULL DEFAULT '',
    prev_hash    TEXT     NOT NULL,
    hash         TEXT     NOT NULL
);
CREATE INDEX idx_audit_events_occurred ON audit_events (occurred_at);
CREATE INDEX idx_audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX idx_audit_events_action ON audit_events (action, id);

-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_events;
DROP TABLE sign_in_throttles;
DROP TABLE one_time_links;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE recovery_codes;
DROP TABLE users;
DROP TABLE organisations;
