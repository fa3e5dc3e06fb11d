-- Single sign-on through each organisation's OpenID provider: its settings, which claim values
-- give which roles, the external identities linked to users, and the sign-ins under way (state,
-- nonce and PKCE verifier, bound to the browser that began them). Sessions record how they were
-- signed in, because a provider's sign-in counts as the second factor.

-- +goose Up
CREATE TABLE oidc_configs (
    organisation_id {{BIGINT}}       PRIMARY KEY REFERENCES organisations (id),
    enabled         BOOLEAN          NOT NULL DEFAULT {{FALSE}},
    issuer_url      {{VARCHAR 500}}  NOT NULL,
    client_id       {{VARCHAR 255}}  NOT NULL,
    client_secret   TEXT             NOT NULL, -- sealed with the master key; never shown back
    scopes          {{VARCHAR 1000}} NOT NULL,
    email_claim     {{VARCHAR 100}}  NOT NULL,
    role_claim      {{VARCHAR 100}}  NOT NULL DEFAULT '',
    updated_by      {{BIGINT}}       REFERENCES users (id),
    created_at      {{TIMESTAMPTZ}}  NOT NULL,
    updated_at      {{TIMESTAMPTZ}}  NOT NULL
);

CREATE TABLE oidc_role_mappings (
    id              {{SERIAL}},
    organisation_id {{BIGINT}}      NOT NULL REFERENCES oidc_configs (organisation_id) ON DELETE CASCADE,
    role            {{VARCHAR 40}}  NOT NULL,
    claim_value     {{VARCHAR 200}} NOT NULL,
    UNIQUE (organisation_id, role, claim_value)
);

CREATE TABLE oidc_identities (
    id              {{SERIAL}},
    user_id         {{BIGINT}}      NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    organisation_id {{BIGINT}}      NOT NULL REFERENCES organisations (id),
    issuer          {{VARCHAR 500}} NOT NULL,
    subject         {{VARCHAR 255}} NOT NULL,
    created_at      {{TIMESTAMPTZ}} NOT NULL,
    last_sign_in_at {{TIMESTAMPTZ}} NOT NULL,
    UNIQUE (issuer, subject)
);

-- state_hash is the SHA-256 of the state sent to the provider; browser_hash that of the cookie
-- which binds the attempt to the browser that began it. A row is used once (used_at).
CREATE TABLE oidc_attempts (
    state_hash      {{VARCHAR 64}}   PRIMARY KEY,
    organisation_id {{BIGINT}}       NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    browser_hash    {{VARCHAR 64}}   NOT NULL,
    nonce           {{VARCHAR 64}}   NOT NULL,
    code_verifier   TEXT             NOT NULL, -- sealed with the master key
    next_path       {{VARCHAR 2000}} NOT NULL DEFAULT '/',
    created_at      {{TIMESTAMPTZ}}  NOT NULL,
    expires_at      {{TIMESTAMPTZ}}  NOT NULL,
    used_at         {{TIMESTAMPTZ}}
);
CREATE INDEX idx_oidc_attempts_expiry ON oidc_attempts (expires_at);

ALTER TABLE sessions ADD COLUMN sign_in_method {{VARCHAR 20}} NOT NULL DEFAULT 'password';

-- +goose Down
ALTER TABLE sessions DROP COLUMN sign_in_method;
DROP TABLE oidc_attempts;
DROP TABLE oidc_identities;
DROP TABLE oidc_role_mappings;
DROP TABLE oidc_configs;
