-- Single sign-on through each organisation's OpenID provider: its settings, which claim values
-- give which roles, the external identities linked to users, and the sign-ins under way (state,
-- nonce and PKCE verifier, bound to the browser that began them). Sessions record how they were
-- signed in, because a provider's sign-in counts as the second factor.

-- +goose Up
CREATE TABLE oidc_configs (
    organisation_id INTEGER  PRIMARY KEY REFERENCES organisations (id),
    enabled         BOOLEAN  NOT NULL DEFAULT 0,
    issuer_url      TEXT     NOT NULL,
    client_id       TEXT     NOT NULL,
    client_secret   TEXT     NOT NULL, -- sealed with the master key; never shown back
    scopes          TEXT     NOT NULL,
    email_claim     TEXT     NOT NULL,
    role_claim      TEXT     NOT NULL DEFAULT '',
    updated_by      INTEGER  REFERENCES users (id),
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);

CREATE TABLE oidc_role_mappings (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id INTEGER NOT NULL REFERENCES oidc_configs (organisation_id) ON DELETE CASCADE,
    role            TEXT    NOT NULL,
    claim_value     TEXT    NOT NULL,
    UNIQUE (organisation_id, role, claim_value)
);

CREATE TABLE oidc_identities (
    id              INTEGER  PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER  NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    organisation_id INTEGER  NOT NULL REFERENCES organisations (id),
    issuer          TEXT     NOT NULL,
    subject         TEXT     NOT NULL,
    created_at      DATETIME NOT NULL,
    last_sign_in_at DATETIME NOT NULL,
    UNIQUE (issuer, subject)
);

-- state_hash is the SHA-256 of the state sent to the provider; browser_hash that of the cookie
-- which binds the attempt to the browser that began it. A row is used once (used_at).
CREATE TABLE oidc_attempts (
    state_hash      TEXT     PRIMARY KEY,
    organisation_id INTEGER  NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    browser_hash    TEXT     NOT NULL,
    nonce           TEXT     NOT NULL,
    code_verifier   TEXT     NOT NULL, -- sealed with the master key
    next_path       TEXT     NOT NULL DEFAULT '/',
    created_at      DATETIME NOT NULL,
    expires_at      DATETIME NOT NULL,
    used_at         DATETIME
);
CREATE INDEX idx_oidc_attempts_expiry ON oidc_attempts (expires_at);

ALTER TABLE sessions ADD COLUMN sign_in_method TEXT NOT NULL DEFAULT 'password';

-- +goose Down
ALTER TABLE sessions DROP COLUMN sign_in_method;
DROP TABLE oidc_attempts;
DROP TABLE oidc_identities;
DROP TABLE oidc_role_mappings;
DROP TABLE oidc_configs;
