-- Identity and access: organisations, users, their sessions, MFA, API tokens, one-time links,
-- sign-in throttles, and the hash-chained audit log. Role assignments are casbin g rows.

-- +goose Up
CREATE TABLE organisations (
    id         {{SERIAL}},
    slug       {{VARCHAR 100}} NOT NULL UNIQUE,
    name       {{VARCHAR 200}} NOT NULL,
    kind       {{VARCHAR 40}}  NOT NULL,
    region     {{VARCHAR 100}} NOT NULL DEFAULT '',
    active     BOOLEAN         NOT NULL DEFAULT {{TRUE}},
    created_at {{TIMESTAMPTZ}} NOT NULL,
    updated_at {{TIMESTAMPTZ}} NOT NULL
);

CREATE TABLE users (
    id                  {{SERIAL}},
    organisation_id     {{BIGINT}}      NOT NULL REFERENCES organisations (id),
    email               {{VARCHAR 320}} NOT NULL UNIQUE,
    name                {{VARCHAR 200}} NOT NULL,
    password_hash       TEXT            NOT NULL DEFAULT '',
    password_changed_at {{TIMESTAMPTZ}},
    vetting_level       {{VARCHAR 20}}  NOT NULL DEFAULT 'none',
    vetting_expires_on  DATE,
    mfa_secret          TEXT            NOT NULL DEFAULT '',
    mfa_enabled_at      {{TIMESTAMPTZ}},
    mfa_last_step       {{BIGINT}}      NOT NULL DEFAULT 0,
    disabled_at         {{TIMESTAMPTZ}},
    last_sign_in_at     {{TIMESTAMPTZ}},
    created_at          {{TIMESTAMPTZ}} NOT NULL,
    updated_at          {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_users_organisation ON users (organisation_id, name);

CREATE TABLE recovery_codes (
    id         {{SERIAL}},
    user_id    {{BIGINT}}      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  {{VARCHAR 64}}  NOT NULL,
    used_at    {{TIMESTAMPTZ}},
    created_at {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_recovery_codes_user ON recovery_codes (user_id);

-- A session's id is the SHA-256 of its cookie value: a copy of this table opens no session.
CREATE TABLE sessions (
    id           {{VARCHAR 64}}  PRIMARY KEY,
    user_id      {{BIGINT}}      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   {{VARCHAR 64}}  NOT NULL,
    mfa_passed   BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    created_at   {{TIMESTAMPTZ}} NOT NULL,
    last_seen_at {{TIMESTAMPTZ}} NOT NULL,
    expires_at   {{TIMESTAMPTZ}} NOT NULL,
    client_ip    {{VARCHAR 64}}  NOT NULL DEFAULT '',
    user_agent   {{VARCHAR 512}} NOT NULL DEFAULT ''
);
CREATE INDEX idx_sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           {{SERIAL}},
    user_id      {{BIGINT}}      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         {{VARCHAR 100}} NOT NULL,
    prefix       {{VARCHAR 20}}  NOT NULL,
    token_hash   {{VARCHAR 64}}  NOT NULL UNIQUE,
    scope        {{VARCHAR 20}}  NOT NULL,
    expires_at   {{TIMESTAMPTZ}} NOT NULL,
    last_used_at {{TIMESTAMPTZ}},
    revoked_at   {{TIMESTAMPTZ}},
    created_at   {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_api_tokens_user ON api_tokens (user_id);

-- Single-use links: the first administrator's setup link and set-password links.
CREATE TABLE one_time_links (
    id         {{SERIAL}},
    purpose    {{VARCHAR 20}}  NOT NULL,
    user_id    {{BIGINT}}      REFERENCES users (id) ON DELETE CASCADE,
    token_hash {{VARCHAR 64}}  NOT NULL UNIQUE,
    expires_at {{TIMESTAMPTZ}} NOT NULL,
    used_at    {{TIMESTAMPTZ}},
    created_by {{BIGINT}}      REFERENCES users (id),
    created_at {{TIMESTAMPTZ}} NOT NULL
);

-- Failed sign-ins per account and per client address; the key never says whether an account exists.
CREATE TABLE sign_in_throttles (
    key               {{VARCHAR 100}} PRIMARY KEY,
    failures          INTEGER         NOT NULL DEFAULT 0,
    window_started_at {{TIMESTAMPTZ}} NOT NULL,
    next_attempt_at   {{TIMESTAMPTZ}} NOT NULL,
    locked_until      {{TIMESTAMPTZ}}
);

-- The audit log: ids are contiguous positions in the chain, each hash covers the row's fields
-- and the previous hash. Rows are appended one at a time under a lock and never changed.
CREATE TABLE audit_events (
    id           {{BIGINT}}      PRIMARY KEY,
    occurred_at  {{TIMESTAMPTZ}} NOT NULL,
    actor_id     {{BIGINT}},
    actor_org_id {{BIGINT}},
    action       {{VARCHAR 100}} NOT NULL,
    object_type  {{VARCHAR 50}}  NOT NULL DEFAULT '',
    object_id    {{VARCHAR 100}} NOT NULL DEFAULT '',
    outcome      {{VARCHAR 20}}  NOT NULL,
    client_ip    {{VARCHAR 64}}  NOT NULL DEFAULT '',
    user_agent   {{VARCHAR 512}} NOT NULL DEFAULT '',
    request_id   {{VARCHAR 64}}  NOT NULL DEFAULT '',
    details      TEXT            NOT NULL DEFAULT '',
    prev_hash    {{VARCHAR 64}}  NOT NULL,
    hash         {{VARCHAR 64}}  NOT NULL
);
CREATE INDEX idx_audit_events_occurred ON audit_events (occurred_at);
CREATE INDEX idx_audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX idx_audit_events_action ON audit_events (action, id);

{{if postgres}}
-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END
$$;
-- +goose StatementEnd
{{end}}
{{APPEND_ONLY "audit_events" "audit_events_append_only" "audit_events is append-only"}}

-- +goose Down
DROP TABLE audit_events;
{{if postgres}}
DROP FUNCTION audit_events_append_only();
{{end}}
DROP TABLE sign_in_throttles;
DROP TABLE one_time_links;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE recovery_codes;
DROP TABLE users;
DROP TABLE organisations;
