-- Stored files: one row per object in the blob store, with the envelope that opens it (the
-- wrapped data key, which also authenticates size and SHA-256). Guidance attachments, course
-- material and evidence refer to these rows; an object with no row is an orphan for the sweep.

-- +goose Up
CREATE TABLE blobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    object_key   TEXT     NOT NULL UNIQUE,
    key_id       TEXT     NOT NULL,
    wrapped_key  TEXT     NOT NULL,
    size         INTEGER  NOT NULL,
    sha256       TEXT     NOT NULL,
    content_type TEXT     NOT NULL,
    created_by   INTEGER  REFERENCES users (id),
    created_at   DATETIME NOT NULL
);

-- +goose Down
DROP TABLE blobs;
