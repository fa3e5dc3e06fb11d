-- An event is written without its place in the log (seq NULL, hash ''), and the sequencer gives
-- it both a moment later. The indexes on seq and hash serve only sequenced events (verification,
-- proofs, the sequencer's next place), so they hold only those: an operation's write of its
-- event then adds no entry to them, and the sequencer adds it, off the request path.

-- +goose Up
DROP INDEX idx_audit_events_seq;
CREATE UNIQUE INDEX idx_audit_events_seq ON audit_events (seq) WHERE seq IS NOT NULL;
DROP INDEX idx_audit_events_hash;
CREATE INDEX idx_audit_events_hash ON audit_events (hash) WHERE seq IS NOT NULL;

-- +goose Down
DROP INDEX idx_audit_events_hash;
CREATE INDEX idx_audit_events_hash ON audit_events (hash);
DROP INDEX idx_audit_events_seq;
CREATE UNIQUE INDEX idx_audit_events_seq ON audit_events (seq);
