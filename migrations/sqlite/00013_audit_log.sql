-- The audit log becomes a transparency log: see the PostgreSQL variant of this migration.
-- On SQLite, id INTEGER PRIMARY KEY already numbers new rows.

-- +goose Up
ALTER TABLE audit_events ADD COLUMN seq INTEGER;
CREATE UNIQUE INDEX idx_audit_events_seq ON audit_events (seq);
CREATE INDEX idx_audit_events_waiting ON audit_events (id) WHERE seq IS NULL;
CREATE INDEX idx_audit_events_hash ON audit_events (hash);

DROP TRIGGER audit_events_no_update;
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN OLD.seq IS NOT NULL OR NEW.seq IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.occurred_at IS NOT OLD.occurred_at OR NEW.actor_id IS NOT OLD.actor_id
  OR NEW.actor_org_id IS NOT OLD.actor_org_id OR NEW.action IS NOT OLD.action OR NEW.object_type IS NOT OLD.object_type
  OR NEW.object_id IS NOT OLD.object_id OR NEW.outcome IS NOT OLD.outcome OR NEW.client_ip IS NOT OLD.client_ip
  OR NEW.user_agent IS NOT OLD.user_agent OR NEW.request_id IS NOT OLD.request_id OR NEW.details IS NOT OLD.details
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd

CREATE TABLE audit_tree (
    id         INTEGER  PRIMARY KEY CHECK (id = 1),
    size       INTEGER  NOT NULL,
    root       TEXT     NOT NULL,
    last_hash  TEXT     NOT NULL,
    updated_at DATETIME NOT NULL
);
INSERT INTO audit_tree (id, size, root, last_hash, updated_at)
VALUES (1, 0, '', '0000000000000000000000000000000000000000000000000000000000000000', CURRENT_TIMESTAMP);

CREATE TABLE audit_tree_hashes (
    idx  INTEGER PRIMARY KEY,
    hash BLOB    NOT NULL
);

CREATE TABLE audit_checkpoints (
    number     INTEGER  PRIMARY KEY,
    tree_size  INTEGER  NOT NULL,
    root       TEXT     NOT NULL,
    object_key TEXT     NOT NULL,
    created_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_tree_hashes;
DROP TABLE audit_tree;
DROP TRIGGER audit_events_no_update;
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd
DROP INDEX idx_audit_events_hash;
DROP INDEX idx_audit_events_waiting;
DROP INDEX idx_audit_events_seq;
ALTER TABLE audit_events DROP COLUMN seq;
