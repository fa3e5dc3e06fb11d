-- The guidance library: documents owned by an organisation, their versions (draft → submitted →
-- published → superseded, or returned with comments), each version's audience, tags,
-- contributors and attachments, acknowledgements of mandatory guidance, and the full-text index
-- of the current published versions.

-- +goose Up
CREATE TABLE guidance_documents (
    id                 {{SERIAL}},
    organisation_id    {{BIGINT}}      NOT NULL REFERENCES organisations (id),
    -- The published version readers see; NULL until the first version is published.
    current_version_id {{BIGINT}}{{if sqlite}} REFERENCES guidance_versions (id){{end}},
    -- Acknowledgements of versions numbered this or later count; a major version moves it.
    ack_from_number    INTEGER         NOT NULL DEFAULT 0,
    review_due_on      DATE,
    reviewed_at        {{TIMESTAMPTZ}},
    reviewed_by        {{BIGINT}}      REFERENCES users (id),
    created_by         {{BIGINT}}      NOT NULL REFERENCES users (id),
    created_at         {{TIMESTAMPTZ}} NOT NULL,
    updated_at         {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_guidance_documents_organisation ON guidance_documents (organisation_id, review_due_on);
CREATE INDEX idx_guidance_documents_current ON guidance_documents (current_version_id);

CREATE TABLE guidance_versions (
    id               {{SERIAL}},
    document_id      {{BIGINT}}      NOT NULL REFERENCES guidance_documents (id),
    number           INTEGER         NOT NULL,
    status           {{VARCHAR 20}}  NOT NULL,
    title            {{VARCHAR 200}} NOT NULL,
    summary          TEXT            NOT NULL DEFAULT '',
    body             TEXT            NOT NULL DEFAULT '',
    category         {{VARCHAR 50}}  NOT NULL,
    classification   {{SMALLINT}}    NOT NULL,
    audience_scope   {{VARCHAR 20}}  NOT NULL,
    audience_by_role BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    requires_ack     BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    major            BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    change_note      TEXT            NOT NULL DEFAULT '',
    author_id        {{BIGINT}}      NOT NULL REFERENCES users (id),
    created_at       {{TIMESTAMPTZ}} NOT NULL,
    updated_at       {{TIMESTAMPTZ}} NOT NULL,
    submitted_at     {{TIMESTAMPTZ}},
    submitted_by     {{BIGINT}}      REFERENCES users (id),
    approver_id      {{BIGINT}}      REFERENCES users (id),
    published_at     {{TIMESTAMPTZ}},
    superseded_at    {{TIMESTAMPTZ}},
    returned_at      {{TIMESTAMPTZ}},
    returned_by      {{BIGINT}}      REFERENCES users (id),
    return_comment   TEXT            NOT NULL DEFAULT '',
    UNIQUE (document_id, number)
);
-- One version at a time is being worked on.
CREATE UNIQUE INDEX ux_guidance_versions_open ON guidance_versions (document_id)
    WHERE status IN ('draft', 'submitted', 'returned');
-- Published versions newest first, with what decides who may read them: lists walk it and
-- decide without reading the versions' text.
{{if postgres}}
CREATE INDEX idx_guidance_versions_published ON guidance_versions (published_at, id)
    INCLUDE (classification, audience_scope, audience_by_role, category) WHERE status = 'published';
ALTER TABLE guidance_documents ADD CONSTRAINT fk_guidance_documents_current
    FOREIGN KEY (current_version_id) REFERENCES guidance_versions (id);
{{else}}
CREATE INDEX idx_guidance_versions_published ON guidance_versions (published_at, id, classification, audience_scope, audience_by_role, category)
    WHERE status = 'published';
{{end}}

CREATE TABLE guidance_version_tags (
    version_id {{BIGINT}}     NOT NULL REFERENCES guidance_versions (id) ON DELETE CASCADE,
    tag        {{VARCHAR 40}} NOT NULL,
    PRIMARY KEY (version_id, tag)
);
CREATE INDEX idx_guidance_version_tags_tag ON guidance_version_tags (tag, version_id);

-- Who the version is for: the scope (everyone in law enforcement, police forces, chosen kinds
-- of organisation, chosen organisations) and, when audience_by_role, only holders of these roles.
CREATE TABLE guidance_audience_kinds (
    version_id {{BIGINT}}     NOT NULL REFERENCES guidance_versions (id) ON DELETE CASCADE,
    kind       {{VARCHAR 40}} NOT NULL,
    PRIMARY KEY (version_id, kind)
);
CREATE INDEX idx_guidance_audience_kinds_kind ON guidance_audience_kinds (kind, version_id);
CREATE TABLE guidance_audience_organisations (
    version_id      {{BIGINT}} NOT NULL REFERENCES guidance_versions (id) ON DELETE CASCADE,
    organisation_id {{BIGINT}} NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (version_id, organisation_id)
);
CREATE INDEX idx_guidance_audience_organisations_organisation ON guidance_audience_organisations (organisation_id, version_id);
CREATE TABLE guidance_audience_roles (
    version_id {{BIGINT}}     NOT NULL REFERENCES guidance_versions (id) ON DELETE CASCADE,
    role       {{VARCHAR 40}} NOT NULL,
    PRIMARY KEY (version_id, role)
);
CREATE INDEX idx_guidance_audience_roles_role ON guidance_audience_roles (role, version_id);

-- Everyone who wrote any of a version (created, changed or submitted it): none of them may
-- approve it.
CREATE TABLE guidance_version_contributors (
    version_id {{BIGINT}} NOT NULL REFERENCES guidance_versions (id) ON DELETE CASCADE,
    user_id    {{BIGINT}} NOT NULL REFERENCES users (id),
    PRIMARY KEY (version_id, user_id)
);

CREATE TABLE guidance_attachments (
    id         {{SERIAL}},
    version_id {{BIGINT}}      NOT NULL REFERENCES guidance_versions (id) ON DELETE CASCADE,
    blob_id    {{BIGINT}}      NOT NULL REFERENCES blobs (id),
    name       {{VARCHAR 200}} NOT NULL,
    created_by {{BIGINT}}      NOT NULL REFERENCES users (id),
    created_at {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_guidance_attachments_version ON guidance_attachments (version_id);

CREATE TABLE guidance_acknowledgements (
    id              {{SERIAL}},
    document_id     {{BIGINT}}      NOT NULL REFERENCES guidance_documents (id),
    version_id      {{BIGINT}}      NOT NULL REFERENCES guidance_versions (id),
    version_number  INTEGER         NOT NULL,
    user_id         {{BIGINT}}      NOT NULL REFERENCES users (id),
    acknowledged_at {{TIMESTAMPTZ}} NOT NULL,
    UNIQUE (version_id, user_id)
);
CREATE INDEX idx_guidance_acknowledgements_user ON guidance_acknowledgements (user_id, document_id, version_number);
CREATE INDEX idx_guidance_acknowledgements_document ON guidance_acknowledgements (document_id, version_number);

{{if postgres}}
-- The search index: the current published version of each published document, as plain text.
-- terms weighs the title most, then the summary and tags, then the body. SQLite keeps the same
-- columns in an FTS5 table. The text and terms are kept out of line (toast_tuple_target), so a
-- search that finds thousands of documents in the GIN index reads their short rows only.
CREATE TABLE guidance_search (
    document_id BIGINT PRIMARY KEY REFERENCES guidance_documents (id),
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    tags        TEXT NOT NULL,
    body        TEXT NOT NULL,
    terms       tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('english', summary || ' ' || tags), 'B') ||
        setweight(to_tsvector('english', body), 'C')) STORED
) WITH (toast_tuple_target = 128);
CREATE INDEX idx_guidance_search_terms ON guidance_search USING GIN (terms);
{{else}}
-- The search index: the current published version of each published document, as plain text,
-- in FTS5 with the Porter stemmer (PostgreSQL uses its English configuration). The rowid is the
-- document's id. terms is PostgreSQL's weighted tsvector: FTS5 keeps its own index in its shadow
-- tables, so the column stays empty here; it exists so both databases have the same columns.
CREATE VIRTUAL TABLE guidance_search USING fts5(
    document_id UNINDEXED,
    title,
    summary,
    tags,
    body,
    terms UNINDEXED,
    tokenize = 'porter unicode61'
);
{{end}}

-- +goose Down
DROP TABLE guidance_search;
DROP TABLE guidance_acknowledgements;
DROP TABLE guidance_attachments;
DROP TABLE guidance_version_contributors;
DROP TABLE guidance_audience_roles;
DROP TABLE guidance_audience_organisations;
DROP TABLE guidance_audience_kinds;
DROP TABLE guidance_version_tags;
{{if postgres}}
ALTER TABLE guidance_documents DROP CONSTRAINT fk_guidance_documents_current;
{{end}}
DROP TABLE guidance_versions;
DROP TABLE guidance_documents;
