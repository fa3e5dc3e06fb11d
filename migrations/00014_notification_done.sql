-- A notification that hands work over (a pack to sign off, guidance to approve, a training
-- request to decide) names what it is about in subject ("pack:12", "guidance_version:45",
-- "enrolment:9"): when the decision is made, by whoever makes it, every open notification of
-- that subject is marked done in the same transaction (done_at, and done_by: the user who decided,
-- no foreign key, it only tells "you" from "someone else"), so a
-- list shows it as done and nobody acts on work that is finished.

-- +goose Up
ALTER TABLE notifications ADD COLUMN subject {{VARCHAR 100}} NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN done_at {{TIMESTAMPTZ}};
ALTER TABLE notifications ADD COLUMN done_by {{BIGINT}};
CREATE INDEX idx_notifications_open_subject ON notifications (subject, user_id) WHERE done_at IS NULL AND subject <> '';

-- +goose Down
DROP INDEX idx_notifications_open_subject;
ALTER TABLE notifications DROP COLUMN done_by;
ALTER TABLE notifications DROP COLUMN done_at;
ALTER TABLE notifications DROP COLUMN subject;
