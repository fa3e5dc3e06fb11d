-- Case files and CPS evidence packs: versioned checklist templates (seeded from DOMAIN.md §B7),
-- case files with their team, checklist items, immutable evidence with its continuity record,
-- disclosure schedules, pack submissions, CPS shares and CPS actions, and the case timeline.

-- +goose Up
{{if postgres}}
-- +goose StatementBegin
CREATE FUNCTION case_material_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: evidence is immutable and a correction supersedes', TG_TABLE_NAME;
END
$$;
-- +goose StatementEnd
{{end}}

CREATE TABLE checklist_templates (
    id          {{SERIAL}},
    code        TEXT            NOT NULL,
    version     INTEGER         NOT NULL,
    title       TEXT            NOT NULL,
    applies_to  TEXT            NOT NULL,
    change_note TEXT            NOT NULL DEFAULT '',
    created_by  {{BIGINT}}      REFERENCES users (id),
    created_at  {{TIMESTAMPTZ}} NOT NULL,
    UNIQUE (code, version)
);

CREATE TABLE template_items (
    id          {{SERIAL}},
    template_id {{BIGINT}} NOT NULL REFERENCES checklist_templates (id),
    position    INTEGER    NOT NULL,
    text        TEXT       NOT NULL,
    why         TEXT       NOT NULL DEFAULT '',
    form        TEXT       NOT NULL DEFAULT '',
    stage       TEXT       NOT NULL,
    required    BOOLEAN    NOT NULL DEFAULT {{TRUE}},
    UNIQUE (template_id, position)
);

CREATE TABLE case_files (
    id                    {{SERIAL}},
    urn                   TEXT            NOT NULL,
    operation             TEXT            NOT NULL,
    organisation_id       {{BIGINT}}      NOT NULL REFERENCES organisations (id),
    classification        INTEGER         NOT NULL,
    status                TEXT            NOT NULL,
    cps_purpose           TEXT            NOT NULL DEFAULT '',
    offences              TEXT            NOT NULL,
    suspect_may_be_victim BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    orders_sought         BOOLEAN         NOT NULL DEFAULT {{FALSE}},
    lead_investigator_id  {{BIGINT}}      NOT NULL REFERENCES users (id),
    supervisor_id         {{BIGINT}}      NOT NULL REFERENCES users (id),
    created_by            {{BIGINT}}      NOT NULL REFERENCES users (id),
    created_at            {{TIMESTAMPTZ}} NOT NULL,
    updated_at            {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_case_files_org ON case_files (organisation_id, updated_at, id);
CREATE INDEX idx_case_files_updated ON case_files (updated_at, id);
CREATE INDEX idx_case_files_urn ON case_files (urn);

-- The team: who granted each membership and, for people of another organisation, on what legal
-- basis. A removed member keeps their row (removed_at) as the record of the grant.
CREATE TABLE case_members (
    id           {{SERIAL}},
    case_id      {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    user_id      {{BIGINT}}      NOT NULL REFERENCES users (id),
    role         TEXT            NOT NULL,
    legal_basis  TEXT            NOT NULL DEFAULT '',
    basis_detail TEXT            NOT NULL DEFAULT '',
    granted_by   {{BIGINT}}      REFERENCES users (id),
    granted_at   {{TIMESTAMPTZ}} NOT NULL,
    removed_by   {{BIGINT}}      REFERENCES users (id),
    removed_at   {{TIMESTAMPTZ}}
);
CREATE UNIQUE INDEX idx_case_members_active ON case_members (case_id, user_id) WHERE removed_at IS NULL;
CREATE INDEX idx_case_members_user ON case_members (user_id, case_id) WHERE removed_at IS NULL;

-- The template versions a case started with.
CREATE TABLE case_templates (
    case_id     {{BIGINT}} NOT NULL REFERENCES case_files (id),
    template_id {{BIGINT}} NOT NULL REFERENCES checklist_templates (id),
    PRIMARY KEY (case_id, template_id)
);

CREATE TABLE checklist_items (
    id               {{SERIAL}},
    case_id          {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    template_item_id {{BIGINT}}      NOT NULL REFERENCES template_items (id),
    status           TEXT            NOT NULL,
    na_reason        TEXT            NOT NULL DEFAULT '',
    owner_id         {{BIGINT}}      REFERENCES users (id),
    due_on           DATE,
    notes            TEXT            NOT NULL DEFAULT '',
    cps_reason       TEXT            NOT NULL DEFAULT '',
    cps_decided_by   {{BIGINT}}      REFERENCES users (id),
    cps_decided_at   {{TIMESTAMPTZ}},
    updated_by       {{BIGINT}}      REFERENCES users (id),
    updated_at       {{TIMESTAMPTZ}} NOT NULL,
    UNIQUE (case_id, template_item_id)
);

-- Evidence is immutable: a correction is a new row that supersedes the old one (at most one
-- correction per item). Exhibit references are unique in a case, compared without case and
-- spacing (exhibit_key).
CREATE TABLE evidence_items (
    id                {{SERIAL}},
    case_id           {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    exhibit_ref       TEXT            NOT NULL,
    exhibit_key       TEXT            NOT NULL,
    description       TEXT            NOT NULL,
    producer          TEXT            NOT NULL,
    produced_on       DATE,
    source            TEXT            NOT NULL DEFAULT '',
    kind              TEXT            NOT NULL,
    blob_id           {{BIGINT}}      REFERENCES blobs (id),
    file_name         TEXT            NOT NULL DEFAULT '',
    external_system   TEXT            NOT NULL DEFAULT '',
    external_id       TEXT            NOT NULL DEFAULT '',
    hash_algorithm    TEXT            NOT NULL DEFAULT '',
    external_hash     TEXT            NOT NULL DEFAULT '',
    supersedes_id     {{BIGINT}}      REFERENCES evidence_items (id),
    correction_reason TEXT            NOT NULL DEFAULT '',
    created_by        {{BIGINT}}      NOT NULL REFERENCES users (id),
    created_at        {{TIMESTAMPTZ}} NOT NULL
);
CREATE UNIQUE INDEX idx_evidence_exhibit ON evidence_items (case_id, exhibit_key);
CREATE UNIQUE INDEX idx_evidence_supersedes ON evidence_items (supersedes_id);

{{APPEND_ONLY "evidence_items" "case_material_append_only" "evidence_items is immutable: a correction supersedes"}}

CREATE TABLE item_evidence (
    item_id     {{BIGINT}}      NOT NULL REFERENCES checklist_items (id),
    evidence_id {{BIGINT}}      NOT NULL REFERENCES evidence_items (id),
    linked_by   {{BIGINT}}      REFERENCES users (id),
    linked_at   {{TIMESTAMPTZ}} NOT NULL,
    PRIMARY KEY (item_id, evidence_id)
);
CREATE INDEX idx_item_evidence_evidence ON item_evidence (evidence_id);

-- The continuity record of each exhibit: every upload, view, download, export and share.
CREATE TABLE custody_events (
    id           {{SERIAL}},
    evidence_id  {{BIGINT}}      NOT NULL REFERENCES evidence_items (id),
    case_id      {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    action       TEXT            NOT NULL,
    actor_id     {{BIGINT}}      REFERENCES users (id),
    actor_org_id {{BIGINT}}      REFERENCES organisations (id),
    occurred_at  {{TIMESTAMPTZ}} NOT NULL,
    details      TEXT            NOT NULL DEFAULT ''
);
CREATE INDEX idx_custody_events_evidence ON custody_events (evidence_id, id);

{{APPEND_ONLY "custody_events" "case_material_append_only" "custody_events is append-only"}}

CREATE TABLE disclosure_entries (
    id           {{SERIAL}},
    case_id      {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    schedule     TEXT            NOT NULL,
    number       INTEGER         NOT NULL,
    description  TEXT            NOT NULL,
    location     TEXT            NOT NULL,
    officer_view TEXT            NOT NULL DEFAULT '',
    created_by   {{BIGINT}}      NOT NULL REFERENCES users (id),
    created_at   {{TIMESTAMPTZ}} NOT NULL,
    updated_by   {{BIGINT}}      REFERENCES users (id),
    updated_at   {{TIMESTAMPTZ}} NOT NULL,
    UNIQUE (case_id, schedule, number)
);

-- A submitted pack: a frozen snapshot (JSON) with its own SHA-256, numbered per case.
CREATE TABLE pack_submissions (
    id              {{SERIAL}},
    case_id         {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    number          INTEGER         NOT NULL,
    purpose         TEXT            NOT NULL,
    snapshot        TEXT            NOT NULL,
    manifest_sha256 TEXT            NOT NULL,
    status          TEXT            NOT NULL,
    submitted_by    {{BIGINT}}      NOT NULL REFERENCES users (id),
    submitted_at    {{TIMESTAMPTZ}} NOT NULL,
    decided_by      {{BIGINT}}      REFERENCES users (id),
    decided_at      {{TIMESTAMPTZ}},
    decision_reason TEXT            NOT NULL DEFAULT '',
    voided_at       {{TIMESTAMPTZ}},
    void_reason     TEXT            NOT NULL DEFAULT '',
    UNIQUE (case_id, number)
);

CREATE TABLE case_shares (
    id                 {{SERIAL}},
    case_id            {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    submission_id      {{BIGINT}}      NOT NULL REFERENCES pack_submissions (id),
    liaison_id         {{BIGINT}}      NOT NULL REFERENCES users (id),
    liaison_org_id     {{BIGINT}}      NOT NULL REFERENCES organisations (id),
    shared_by          {{BIGINT}}      NOT NULL REFERENCES users (id),
    shared_at          {{TIMESTAMPTZ}} NOT NULL,
    expires_at         {{TIMESTAMPTZ}} NOT NULL,
    revoked_by         {{BIGINT}}      REFERENCES users (id),
    revoked_at         {{TIMESTAMPTZ}},
    -- when the share-expiry job recorded that the share ran out (once per share)
    expiry_recorded_at {{TIMESTAMPTZ}}
);
CREATE INDEX idx_case_shares_liaison ON case_shares (liaison_id, case_id);
CREATE INDEX idx_case_shares_case ON case_shares (case_id);
CREATE INDEX idx_case_shares_expiry ON case_shares (expires_at) WHERE revoked_at IS NULL AND expiry_recorded_at IS NULL;

-- CPS advice, charging decisions and action-plan items, with the investigators' answers.
CREATE TABLE cps_actions (
    id                  {{SERIAL}},
    case_id             {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    kind                TEXT            NOT NULL,
    decision            TEXT            NOT NULL DEFAULT '',
    text                TEXT            NOT NULL,
    due_on              DATE,
    item_id             {{BIGINT}}      REFERENCES checklist_items (id),
    created_by          {{BIGINT}}      NOT NULL REFERENCES users (id),
    created_at          {{TIMESTAMPTZ}} NOT NULL,
    response            TEXT            NOT NULL DEFAULT '',
    responded_by        {{BIGINT}}      REFERENCES users (id),
    responded_at        {{TIMESTAMPTZ}},
    -- when the team was reminded that the item falls due, and that it is overdue (once each)
    due_reminded_at     {{TIMESTAMPTZ}},
    overdue_reminded_at {{TIMESTAMPTZ}}
);
CREATE INDEX idx_cps_actions_case ON cps_actions (case_id, id);
CREATE INDEX idx_cps_actions_open ON cps_actions (case_id) WHERE kind = 'action' AND responded_at IS NULL AND due_on IS NOT NULL;

-- The case timeline: every status move and every step of sign-off and CPS review.
CREATE TABLE case_events (
    id          {{SERIAL}},
    case_id     {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    occurred_at {{TIMESTAMPTZ}} NOT NULL,
    actor_id    {{BIGINT}}      REFERENCES users (id),
    kind        TEXT            NOT NULL,
    summary     TEXT            NOT NULL,
    details     TEXT            NOT NULL DEFAULT ''
);
CREATE INDEX idx_case_events_case ON case_events (case_id, id);

-- The default checklist templates, version 1, from DOMAIN.md §B7. "form" keeps the Form/stage
-- column as written there; "stage" is the earliest stage it names (EIA early advice, PC
-- pre-charge, FF full file, D disclosure). T5 names no stage: it is placed at FF, where T0 puts
-- MG13 ancillary orders [verify]. Typology variants are not required [verify].
INSERT INTO checklist_templates (code, version, title, applies_to, change_note, created_at) VALUES
    ('T0', 1, 'Core (all MSA cases)', 'core', 'Default from DOMAIN.md §B7', CURRENT_TIMESTAMP),
    ('T1', 1, 's1 slavery, servitude, forced or compulsory labour', 's1', 'Default from DOMAIN.md §B7', CURRENT_TIMESTAMP),
    ('T2', 1, 's2 human trafficking', 's2', 'Default from DOMAIN.md §B7', CURRENT_TIMESTAMP),
    ('T3', 1, 's4 (offence with intent to commit s2)', 's4', 'Default from DOMAIN.md §B7', CURRENT_TIMESTAMP),
    ('T4', 1, 'Suspect may be a victim / s45', 's45', 'Default from DOMAIN.md §B7', CURRENT_TIMESTAMP),
    ('T5', 1, 'STPO/STRO and financial orders', 'orders', 'Default from DOMAIN.md §B7', CURRENT_TIMESTAMP);

INSERT INTO template_items (template_id, position, text, why, form, stage, required)
SELECT t.id, v.position, v.text, v.why, v.form, v.stage, v.required{{if postgres}} = 1{{end}}
FROM checklist_templates t JOIN (
    SELECT 'T0' AS code, 1 AS position, 'Points-to-prove matrix mapped to evidence' AS text, 'Code test; basis of MG5' AS why, 'MG3 PC; MG5 FF' AS form, 'PC' AS stage, 1 AS required
    UNION ALL SELECT 'T0', 2, 'Suspect profile: antecedents, vulnerability, interpreter, bail/RUI, PACE clock', 'NFS suspect section', 'MG3 PC', 'PC', 1
    UNION ALL SELECT 'T0', 3, 'Interview record and summary of the suspect''s account', 'NFS defence-case section', 'MG15 PC', 'PC', 1
    UNION ALL SELECT 'T0', 4, 'Lines of inquiry: done, dropped (with reason), outstanding (with date)', 'NFS; CPIA', 'MG3/MG6 PC', 'PC', 1
    UNION ALL SELECT 'T0', 5, 'Outstanding-evidence register', 'NFS', 'MG6 PC', 'PC', 1
    UNION ALL SELECT 'T0', 6, 'Victim and witness engagement; special measures; interpreter; intermediary', 'Main point of failure', 'MG2/9/10 PC–FF', 'PC', 1
    UNION ALL SELECT 'T0', 7, 'NRM or MS1 referral and RG/CG dates for each victim', 's52; safeguarding', 'MG6 PC', 'PC', 1
    UNION ALL SELECT 'T0', 8, 'Financial strategy, FIU contact, restraint', 'NFS; needed for reparation', 'MG3, MG17 EIA–PC', 'EIA', 1
    UNION ALL SELECT 'T0', 9, 'Linked suspects and operations (ROCU, NCA, GLAA)', 'Avoids coordination delay', 'MG3 PC', 'PC', 1
    UNION ALL SELECT 'T0', 10, 'Digital strategy: reasons, keywords, date ranges', 'NFS; AG Guidelines Annex A', 'MG3/MG6 PC', 'PC', 1
    UNION ALL SELECT 'T0', 11, 'Exhibit list and continuity statements', 'Chain of custody', 'MG11/12 PC–FF', 'PC', 1
    UNION ALL SELECT 'T0', 12, 'Unused material schedules and MG6E; DMD in the Crown Court', 'CPIA', 'MG6C/D/E D', 'D', 1
    UNION ALL SELECT 'T0', 13, 'Ancillary orders (STPO, forfeiture, reparation)', 'Prevention and compensation', 'MG13 FF', 'FF', 1
    UNION ALL SELECT 'T1', 1, 'Victim account of recruitment, conditions, threats, inability to leave', '"Held" or "required" element', 'ABE/MG11 PC', 'PC', 1
    UNION ALL SELECT 'T1', 2, 'Control evidence: retained ID, restricted movement, debt ledgers', 'Compulsion despite consent', 'MG11/12 PC', 'PC', 1
    UNION ALL SELECT 'T1', 3, 'Work evidence: hours, sites, employer or client records, GLAA licence', 'Labour was extracted', 'MG11 PC', 'PC', 1
    UNION ALL SELECT 'T1', 4, 'Pay evidence: withheld wages, controlled accounts', 'Benefit; POCA', 'MG17 PC', 'PC', 1
    UNION ALL SELECT 'T1', 5, 'Accommodation: tenancy, occupancy, photos or body-worn video', 'Dependency', 'MG12 PC', 'PC', 1
    UNION ALL SELECT 'T1', 6, 'Vulnerability factors (age, health, language, immigration status)', 's1(4)', 'MG11/medical PC', 'PC', 1
    UNION ALL SELECT 'T1', 7, 'Knowledge: the suspect''s communications and role', '"Knew or ought to know"', 'MG15/comms PC', 'PC', 1
    UNION ALL SELECT 'T1', 8, 'Independent witnesses (co-workers, neighbours, NGOs)', 'Corroboration', 'MG11 PC–FF', 'PC', 1
    UNION ALL SELECT 'T1', 9, 'Domestic-servitude variant: visa sponsorship, confinement', 'Typology', 'MG11/12 PC', 'PC', 0
    UNION ALL SELECT 'T2', 1, 'Travel proof: tickets, passenger and border records, ANPR, vehicles', 'Travel element', 'MG11/12 PC', 'PC', 1
    UNION ALL SELECT 'T2', 2, 'Suspect''s act: recruit, transport, harbour, receive, transfer control', 'Arranging or facilitating', 'Comms/MG15 PC', 'PC', 1
    UNION ALL SELECT 'T2', 3, 'Intended exploitation (labour, sexual, criminal, organs)', 's3 purpose', 'MG11/adverts PC', 'PC', 1
    UNION ALL SELECT 'T2', 4, 'Nationality and place of the conduct', 's2(6)–(7) jurisdiction', 'MG3 PC', 'PC', 1
    UNION ALL SELECT 'T2', 5, 'Overseas evidence and letter-of-request status', 'Slow; start early', 'EIA/MG6', 'EIA', 1
    UNION ALL SELECT 'T2', 6, 'Sexual-exploitation variant: adverts, payments, premises', 'Purpose; alternative charges', 'MG12 PC', 'PC', 0
    UNION ALL SELECT 'T2', 7, 'County-lines variant: line-phone data, cash, safeguarding', 'Exploiter or exploited; s45', 'Comms/MG11 PC', 'PC', 0
    UNION ALL SELECT 'T2', 8, 'Vehicle, ship or aircraft used', 'Forfeiture (ss11–12)', 'MG13 FF', 'FF', 1
    UNION ALL SELECT 'T3', 1, 'Proof of the underlying offence', 'Conduct element', 'MG11/12 PC', 'PC', 1
    UNION ALL SELECT 'T3', 2, 'Link to the planned trafficking', 'Specific intent', 'Comms/MG15 PC', 'PC', 1
    UNION ALL SELECT 'T3', 3, 'Kidnap or false imprisonment involved?', 'Maximum rises to life', 'MG3 PC', 'PC', 1
    UNION ALL SELECT 'T4', 1, 'Exploitation indicators and how they were investigated', 'CPS four-stage approach', 'MG3/MG6 PC', 'PC', 1
    UNION ALL SELECT 'T4', 2, 'NRM referral or reason for none; RG/CG outcome', 'Prosecutor review', 'MG6 PC', 'PC', 1
    UNION ALL SELECT 'T4', 3, 'Check against Schedule 4 exclusions', 'Whether s45 is available', 'MG3 PC', 'PC', 1
    UNION ALL SELECT 'T4', 4, 'Compulsion evidence for and against', 'Prosecution must disprove s45', 'MG11 PC–FF', 'PC', 1
    UNION ALL SELECT 'T4', 5, 'Social-care, NGO and medical material scheduled', 'Disclosure requests', 'MG6C/D D', 'D', 1
    UNION ALL SELECT 'T5', 1, 'Conviction (STPO) or risk evidence (STRO)', 'Statutory gateway', 'MG13/complaint', 'FF', 1
    UNION ALL SELECT 'T5', 2, 'Each prohibition justified as necessary; travel ban and passports', 'Necessity test', 'MG13', 'FF', 1
    UNION ALL SELECT 'T5', 3, 'Chief officer notified (NCA or immigration applicant)', 's15(7)', 'Application', 'FF', 1
    UNION ALL SELECT 'T5', 4, 'Confiscation leading to a reparation order', 'Victim compensation', 'MG17/19', 'FF', 1
) v ON v.code = t.code AND t.version = 1;

-- +goose Down
DROP TABLE case_events;
DROP TABLE cps_actions;
DROP TABLE case_shares;
DROP TABLE pack_submissions;
DROP TABLE disclosure_entries;
DROP TABLE custody_events;
DROP TABLE item_evidence;
DROP TABLE evidence_items;
DROP TABLE checklist_items;
DROP TABLE case_templates;
DROP TABLE case_members;
DROP TABLE case_files;
DROP TABLE template_items;
DROP TABLE checklist_templates;
{{if postgres}}
DROP FUNCTION case_material_append_only();
{{end}}
