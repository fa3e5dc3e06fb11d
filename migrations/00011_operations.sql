-- The national operations database (DOMAIN.md §G, issue 12): every force's and agency's modern
-- slavery operations, with the potential victims and suspects recorded against them as
-- pseudonymous records (no names: personal identifiers stay in force systems). A case file's
-- victims and suspects are these records; the national picture counts them.

-- +goose Up
-- An operation: the unit of count. reference is the owning organisation's own reference, unique
-- within it, so that a re-import updates rather than duplicates.
CREATE TABLE operations (
    id                    {{SERIAL}},
    organisation_id       {{BIGINT}}      NOT NULL REFERENCES organisations (id),
    reference             TEXT            NOT NULL,
    name                  TEXT            NOT NULL,
    lead_officer_id       {{BIGINT}}      NOT NULL REFERENCES users (id),
    classification        INTEGER         NOT NULL,
    status                TEXT            NOT NULL,
    started_on            DATE            NOT NULL,
    ended_on              DATE,
    children_involved     BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    organised_crime_group BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    cross_border          BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    covert                BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    created_by            {{BIGINT}}      NOT NULL REFERENCES users (id),
    created_at            {{TIMESTAMPTZ}} NOT NULL,
    updated_at            {{TIMESTAMPTZ}} NOT NULL,
    UNIQUE (organisation_id, reference)
);
CREATE INDEX idx_operations_org ON operations (organisation_id, updated_at, id);
CREATE INDEX idx_operations_dates ON operations (started_on, ended_on);

-- Exploitation types, several at once: labour, sexual, criminal_county_lines,
-- criminal_forced, domestic_servitude, organ_harvesting.
CREATE TABLE operation_exploitation (
    operation_id {{BIGINT}} NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    type         TEXT       NOT NULL,
    PRIMARY KEY (operation_id, type)
);
CREATE INDEX idx_operation_exploitation_type ON operation_exploitation (type, operation_id);

-- The other organisations involved: a joint operation (with the NCA, the GLAA, other forces)
-- has at least one.
CREATE TABLE operation_partners (
    operation_id    {{BIGINT}} NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    organisation_id {{BIGINT}} NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (operation_id, organisation_id)
);

-- The named people on an operation: officers of the owning organisation and, on a joint
-- operation, named members of the partner organisations. A removed member keeps their row.
CREATE TABLE operation_members (
    id           {{SERIAL}},
    operation_id {{BIGINT}}      NOT NULL REFERENCES operations (id),
    user_id      {{BIGINT}}      NOT NULL REFERENCES users (id),
    added_by     {{BIGINT}}      REFERENCES users (id),
    added_at     {{TIMESTAMPTZ}} NOT NULL,
    removed_by   {{BIGINT}}      REFERENCES users (id),
    removed_at   {{TIMESTAMPTZ}}
);
CREATE UNIQUE INDEX idx_operation_members_active ON operation_members (operation_id, user_id) WHERE removed_at IS NULL;
CREATE INDEX idx_operation_members_user ON operation_members (user_id, operation_id) WHERE removed_at IS NULL;

-- A case file belongs to at most one operation; an operation may have many.
CREATE TABLE operation_cases (
    case_id      {{BIGINT}}      PRIMARY KEY REFERENCES case_files (id),
    operation_id {{BIGINT}}      NOT NULL REFERENCES operations (id),
    linked_by    {{BIGINT}}      REFERENCES users (id),
    linked_at    {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_operation_cases_operation ON operation_cases (operation_id);

-- Potential victims. age_band: under_18 bands and adult bands (see operations.AgeBands);
-- nationality: ISO 3166-1 alpha-2, or '' when not known. rg_outcome and cg_outcome:
-- '' (no decision yet), positive, negative. case_id: the case file of the operation that
-- this person is a victim in, if any.
CREATE TABLE victims (
    id               {{SERIAL}},
    operation_id     {{BIGINT}}      NOT NULL REFERENCES operations (id),
    reference        TEXT            NOT NULL,
    age_band         TEXT            NOT NULL,
    child            BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    sex              TEXT            NOT NULL,
    nationality      TEXT            NOT NULL DEFAULT '',
    nrm_referred_on  DATE,
    first_responder  TEXT            NOT NULL DEFAULT '',
    rg_decided_on    DATE,
    rg_outcome       TEXT            NOT NULL DEFAULT '',
    cg_decided_on    DATE,
    cg_outcome       TEXT            NOT NULL DEFAULT '',
    duty_to_notify   BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    safeguarding     BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    support_accepted BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    case_id          {{BIGINT}}      REFERENCES case_files (id),
    created_by       {{BIGINT}}      NOT NULL REFERENCES users (id),
    created_at       {{TIMESTAMPTZ}} NOT NULL,
    updated_at       {{TIMESTAMPTZ}} NOT NULL,
    UNIQUE (operation_id, reference)
);
CREATE INDEX idx_victims_case ON victims (case_id);

CREATE TABLE victim_exploitation (
    victim_id {{BIGINT}} NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    type      TEXT       NOT NULL,
    PRIMARY KEY (victim_id, type)
);
CREATE INDEX idx_victim_exploitation_type ON victim_exploitation (type, victim_id);

-- Suspects. role: the role in the group (see operations.SuspectRoles). Orders on conviction:
-- slavery and trafficking prevention order (s14) and reparation order (s8). confiscation_pounds:
-- the amount of a POCA confiscation order, 0 when none.
CREATE TABLE suspects (
    id                  {{SERIAL}},
    operation_id        {{BIGINT}}      NOT NULL REFERENCES operations (id),
    reference           TEXT            NOT NULL,
    age_band            TEXT            NOT NULL,
    child               BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    sex                 TEXT            NOT NULL,
    nationality         TEXT            NOT NULL DEFAULT '',
    role                TEXT            NOT NULL DEFAULT '',
    arrested_on         DATE,
    s45_raised          BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    sentence_months     INTEGER,
    stpo                BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    reparation_order    BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    confiscation_pounds BIGINT          NOT NULL DEFAULT 0,
    case_id             {{BIGINT}}      REFERENCES case_files (id),
    created_by          {{BIGINT}}      NOT NULL REFERENCES users (id),
    created_at          {{TIMESTAMPTZ}} NOT NULL,
    updated_at          {{TIMESTAMPTZ}} NOT NULL,
    UNIQUE (operation_id, reference)
);
CREATE INDEX idx_suspects_case ON suspects (case_id);

CREATE TABLE suspect_exploitation (
    suspect_id {{BIGINT}} NOT NULL REFERENCES suspects (id) ON DELETE CASCADE,
    type       TEXT       NOT NULL,
    PRIMARY KEY (suspect_id, type)
);

-- Charges per suspect and the outcome of each: '' (pending), convicted_plea, convicted_trial,
-- acquitted, discontinued, no_evidence_offered. offence: an MSA 2015 section (s1, s2, s4) or
-- an alternative charge code (see operations.Offences).
CREATE TABLE suspect_charges (
    id          {{SERIAL}},
    suspect_id  {{BIGINT}}      NOT NULL REFERENCES suspects (id) ON DELETE CASCADE,
    offence     TEXT            NOT NULL,
    charged_on  DATE            NOT NULL,
    outcome     TEXT            NOT NULL DEFAULT '',
    outcome_on  DATE,
    recorded_by {{BIGINT}}      REFERENCES users (id),
    updated_at  {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_suspect_charges_suspect ON suspect_charges (suspect_id, id);

-- +goose Down
DROP TABLE suspect_charges;
DROP TABLE suspect_exploitation;
DROP TABLE suspects;
DROP TABLE victim_exploitation;
DROP TABLE victims;
DROP TABLE operation_cases;
DROP TABLE operation_members;
DROP TABLE operation_partners;
DROP TABLE operation_exploitation;
DROP TABLE operations;
