-- Stored files: one row per object in the blob store, with the envelope that opens it (the
-- wrapped data key, which also authenticates size and SHA-256). Guidance attachments, course
-- material and evidence refer to these rows; an object with no row is an orphan for the sweep.

-- +goose Up
CREATE TABLE blobs (
    id           {{SERIAL}},
    object_key   {{VARCHAR 200}} NOT NULL UNIQUE,
    key_id       {{VARCHAR 32}}  NOT NULL,
    wrapped_key  {{VARCHAR 200}} NOT NULL,
    size         {{BIGINT}}      NOT NULL,
    sha256       {{VARCHAR 64}}  NOT NULL,
    content_type {{VARCHAR 100}} NOT NULL,
    created_by   {{BIGINT}}      REFERENCES users (id),
    created_at   {{TIMESTAMPTZ}} NOT NULL
);

-- +goose Down
DROP TABLE blobs;
