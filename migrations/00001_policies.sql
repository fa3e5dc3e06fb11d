-- Access policy: casbin rows (read and written by gorm-adapter, which never migrates) and the
-- default policy last applied, so an upgrade can retire default rows without touching the
-- rows an administrator added.

-- +goose Up
CREATE TABLE casbin_rule (
    id    {{SERIAL}},
    ptype {{VARCHAR 100}} NOT NULL DEFAULT '',
    v0    {{VARCHAR 100}} NOT NULL DEFAULT '',
    v1    {{VARCHAR 100}} NOT NULL DEFAULT '',
    v2    {{VARCHAR 100}} NOT NULL DEFAULT '',
    v3    {{VARCHAR 100}} NOT NULL DEFAULT '',
    v4    {{VARCHAR 100}} NOT NULL DEFAULT '',
    v5    {{VARCHAR 100}} NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX idx_casbin_rule ON casbin_rule (ptype, v0, v1, v2, v3, v4, v5);

CREATE TABLE policy_baseline (
    id         INTEGER         PRIMARY KEY,
    rules      TEXT            NOT NULL,
    applied_at {{TIMESTAMPTZ}} NOT NULL
);

-- +goose Down
DROP TABLE policy_baseline;
DROP TABLE casbin_rule;
