-- What a notification's email may name in its subject (a course's code and title), stored
-- when the notification is made, so that mail decides what it may quote from the notification
-- itself rather than from the thing its link points at. Empty: the email says nothing more than
-- "You have a new notification".

-- +goose Up
ALTER TABLE notifications ADD COLUMN mail_topic TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE notifications DROP COLUMN mail_topic;
