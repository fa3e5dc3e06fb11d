-- Change counters of the lists that change rarely (issue 15): one row per family of data, bumped
-- in every transaction that writes it (core.Changed), read to make the ETag of a conditional GET.

-- +goose Up
CREATE TABLE data_versions (
    name {{VARCHAR 40}} PRIMARY KEY,
    version {{BIGINT}} NOT NULL DEFAULT 0
);
INSERT INTO data_versions (name, version) VALUES
    ('courses', 0), ('guidance', 0), ('organisations', 0), ('people', 0), ('templates', 0), ('operations', 0);

-- +goose Down
DROP TABLE data_versions;
