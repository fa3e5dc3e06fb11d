-- The audit log becomes a transparency log (RFC 6962, as Certificate Transparency and Trillian).
-- An operation inserts its event in its own transaction, taking the next id from a sequence
-- (on SQLite, id INTEGER PRIMARY KEY already numbers new rows): no lock is shared between
-- writers. The sequencer (one at a time across replicas) then gives waiting events (seq IS
-- NULL) their place in the log (seq 1, 2, 3, ... without gaps), their Merkle leaf hash (hash)
-- and the leaf hash of the event before (prev_hash), and keeps the tree's stored hashes
-- (golang.org/x/mod/sumdb/tlog layout) and its head (audit_tree). Signed checkpoints go to the
-- blob store; audit_checkpoints only remembers what was written.
-- Existing events keep their chain hashes until the sequencer carries them over: it verifies
-- the old chain first, and sequences them in id order (rows with seq IS NULL and prev_hash set).

-- +goose Up
{{if postgres}}
CREATE SEQUENCE audit_events_id_seq OWNED BY audit_events.id;
SELECT setval('audit_events_id_seq', COALESCE((SELECT MAX(id) FROM audit_events), 0) + 1, false);
ALTER TABLE audit_events ALTER COLUMN id SET DEFAULT nextval('audit_events_id_seq');
{{end}}
ALTER TABLE audit_events ADD COLUMN seq {{BIGINT}};
CREATE UNIQUE INDEX idx_audit_events_seq ON audit_events (seq);
CREATE INDEX idx_audit_events_waiting ON audit_events (id) WHERE seq IS NULL;
CREATE INDEX idx_audit_events_hash ON audit_events (hash);

-- Events stay append-only; the one change allowed is the sequencer's: giving a waiting event
-- its seq, hash and prev_hash, once, leaving everything it records as it was.
{{if postgres}}
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND (NEW.id, NEW.occurred_at, NEW.actor_id, NEW.actor_org_id, NEW.action, NEW.object_type, NEW.object_id,
            NEW.outcome, NEW.client_ip, NEW.user_agent, NEW.request_id, NEW.details)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.occurred_at, OLD.actor_id, OLD.actor_org_id, OLD.action, OLD.object_type, OLD.object_id,
            OLD.outcome, OLD.client_ip, OLD.user_agent, OLD.request_id, OLD.details) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END
$$;
-- +goose StatementEnd
{{else}}
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
{{end}}

-- The tree as the sequencer left it: one row.
CREATE TABLE audit_tree (
    id         {{SMALLINT}}    PRIMARY KEY CHECK (id = 1),
    size       {{BIGINT}}      NOT NULL,
    root       {{VARCHAR 64}}  NOT NULL, -- hex; empty for the empty tree
    last_hash  {{VARCHAR 64}}  NOT NULL, -- leaf hash of event seq = size: the next event's prev_hash
    updated_at {{TIMESTAMPTZ}} NOT NULL
);
INSERT INTO audit_tree (id, size, root, last_hash, updated_at)
VALUES (1, 0, '', '0000000000000000000000000000000000000000000000000000000000000000', {{NOW}});

-- The tree's hashes, at tlog's stored-hash indexes (tlog.StoredHashIndex): what proofs are
-- built from. `audit verify` recomputes them from the events and does not trust this table.
CREATE TABLE audit_tree_hashes (
    idx  {{BIGINT}} PRIMARY KEY,
    hash {{BYTEA}}  NOT NULL
);

-- The signed checkpoints written to the blob store (the blob store holds the signed notes).
CREATE TABLE audit_checkpoints (
    number     {{BIGINT}}      PRIMARY KEY,
    tree_size  {{BIGINT}}      NOT NULL,
    root       {{VARCHAR 64}}  NOT NULL,
    object_key {{VARCHAR 200}} NOT NULL,
    created_at {{TIMESTAMPTZ}} NOT NULL
);

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_tree_hashes;
DROP TABLE audit_tree;
{{if postgres}}
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END
$$;
-- +goose StatementEnd
{{else}}
DROP TRIGGER audit_events_no_update;
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
-- +goose StatementEnd
{{end}}
DROP INDEX idx_audit_events_hash;
DROP INDEX idx_audit_events_waiting;
DROP INDEX idx_audit_events_seq;
ALTER TABLE audit_events DROP COLUMN seq;
{{if postgres}}
ALTER TABLE audit_events ALTER COLUMN id DROP DEFAULT;
DROP SEQUENCE audit_events_id_seq;
{{end}}
