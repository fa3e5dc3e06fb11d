-- Email delivery of the outbox: a sender claims a row with a lease (claimed_until, claim_token)
-- by a conditional UPDATE before it sends, so two replicas never send one notification twice;
-- a row that keeps failing, or whose outcome is unknown, ends with failed_at set.

-- +goose Up
ALTER TABLE outbox ADD COLUMN claimed_until {{TIMESTAMPTZ}};
ALTER TABLE outbox ADD COLUMN claim_token {{VARCHAR 64}} NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN failed_at {{TIMESTAMPTZ}};
DROP INDEX idx_outbox_pending;
CREATE INDEX idx_outbox_pending ON outbox (channel, next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;

-- +goose Down
DROP INDEX idx_outbox_pending;
CREATE INDEX idx_outbox_pending ON outbox (channel, next_attempt_at) WHERE delivered_at IS NULL;
ALTER TABLE outbox DROP COLUMN failed_at;
ALTER TABLE outbox DROP COLUMN claim_token;
ALTER TABLE outbox DROP COLUMN claimed_until;
