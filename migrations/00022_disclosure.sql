-- Disclosure done properly (DOMAIN.md §F3, issue 13 item 4).
--
-- case_members.oic names the officer in the case among the team, and disclosure_role the
-- disclosure officer (disclosure_officer) and deputies (deputy); one person may be both. Until
-- the team names an officer in the case, the lead investigator is (models reads it so), so
-- whoever worked a case's sensitive schedule keeps it.
--
-- disclosure_entries gains an entry's own marking (0: the case's), the recorded reason for a
-- generic description, the disclosure officer's assessment (MG6E: whether the item might
-- reasonably be considered capable of undermining the prosecution case or assisting the
-- accused, and why) and the prosecutor's columns (MG6C: D, CND or I; MG6D: agree sensitive,
-- PII application needed). An MG6C entry is served on the defence, so the view an officer gave
-- on one before now is the assessment from now on, never on MG6C.
--
-- disclosure_revisions dates every change of a schedule entry (append-only);
-- disclosure_certificates holds the disclosure officer's signed and dated certifications (MG6E,
-- and the nil MG6D return); third_party_requests the requests for third-party material, in
-- stages with reasons. A new version of T0 names that duty (AG Guidelines 2022; Bater-James).

-- +goose Up
ALTER TABLE case_members ADD COLUMN oic BOOLEAN NOT NULL DEFAULT {{FALSE}};
ALTER TABLE case_members ADD COLUMN disclosure_role TEXT NOT NULL DEFAULT '';

ALTER TABLE disclosure_entries ADD COLUMN classification INTEGER NOT NULL DEFAULT 0;
ALTER TABLE disclosure_entries ADD COLUMN generic_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE disclosure_entries ADD COLUMN assessment TEXT NOT NULL DEFAULT '';
ALTER TABLE disclosure_entries ADD COLUMN undermines BOOLEAN NOT NULL DEFAULT {{FALSE}};
ALTER TABLE disclosure_entries ADD COLUMN cps_view TEXT NOT NULL DEFAULT '';
ALTER TABLE disclosure_entries ADD COLUMN cps_sensitive TEXT NOT NULL DEFAULT '';
ALTER TABLE disclosure_entries ADD COLUMN cps_pii TEXT NOT NULL DEFAULT '';
ALTER TABLE disclosure_entries ADD COLUMN cps_by {{BIGINT}};
ALTER TABLE disclosure_entries ADD COLUMN cps_at {{TIMESTAMPTZ}};
UPDATE disclosure_entries SET assessment = officer_view, officer_view = '' WHERE schedule = 'MG6C';

CREATE TABLE disclosure_revisions (
    id             {{SERIAL}},
    case_id        {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    entry_id       {{BIGINT}}      NOT NULL REFERENCES disclosure_entries (id),
    schedule       TEXT            NOT NULL,
    number         INTEGER         NOT NULL,
    classification INTEGER         NOT NULL DEFAULT 0,
    summary        TEXT            NOT NULL,
    description    TEXT            NOT NULL,
    revised_by     {{BIGINT}}      NOT NULL REFERENCES users (id),
    revised_at     {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_disclosure_revisions_case ON disclosure_revisions (case_id, id);

{{APPEND_ONLY "disclosure_revisions" "case_material_append_only" "disclosure_revisions is append-only"}}

CREATE TABLE disclosure_certificates (
    id           {{SERIAL}},
    case_id      {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    kind         TEXT            NOT NULL,
    statement    TEXT            NOT NULL,
    certified_by {{BIGINT}}      NOT NULL REFERENCES users (id),
    certified_at {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_disclosure_certificates_case ON disclosure_certificates (case_id, id);

{{APPEND_ONLY "disclosure_certificates" "case_material_append_only" "disclosure_certificates is append-only"}}

CREATE TABLE third_party_requests (
    id          {{SERIAL}},
    case_id     {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    stage       INTEGER         NOT NULL,
    holder      TEXT            NOT NULL,
    material    TEXT            NOT NULL,
    reason      TEXT            NOT NULL,
    asked_on    {{TIMESTAMPTZ}} NOT NULL,
    answer      TEXT            NOT NULL DEFAULT '',
    answered_on {{TIMESTAMPTZ}},
    created_by  {{BIGINT}}      NOT NULL REFERENCES users (id),
    created_at  {{TIMESTAMPTZ}} NOT NULL
);
CREATE INDEX idx_third_party_requests_case ON third_party_requests (case_id, id);

-- T0 gets the version after its latest, with the items of that version and the third-party item.
INSERT INTO checklist_templates (code, version, title, applies_to, change_note, created_at)
SELECT 'T0', MAX(version) + 1, 'Core (all MSA cases)', 'core', 'Third-party material requested in stages with reasons (DOMAIN.md §F3)', CURRENT_TIMESTAMP
FROM checklist_templates WHERE code = 'T0';

INSERT INTO template_items (template_id, position, text, why, form, stage, required)
SELECT n.id, i.position, i.text, i.why, i.form, i.stage, i.required
FROM template_items i
JOIN checklist_templates p ON p.id = i.template_id AND p.code = 'T0'
    AND p.version = (SELECT MAX(version) - 1 FROM checklist_templates WHERE code = 'T0')
JOIN checklist_templates n ON n.code = 'T0' AND n.version = p.version + 1;

INSERT INTO template_items (template_id, position, text, why, form, stage, required)
SELECT t.id, (SELECT MAX(i.position) FROM template_items i WHERE i.template_id = t.id) + 1,
    'Third-party material (social services, NGOs, health, the Single Competent Authority''s NRM file) requested in stages, each with written reasons',
    'AG Guidelines 2022; R v Bater-James [2020] EWCA Crim 790', 'MG6 PC–D', 'D', {{TRUE}}
FROM checklist_templates t
WHERE t.code = 'T0' AND t.version = (SELECT MAX(version) FROM checklist_templates WHERE code = 'T0');

-- +goose Down
DELETE FROM template_items WHERE template_id = (SELECT id FROM checklist_templates
    WHERE code = 'T0' AND change_note = 'Third-party material requested in stages with reasons (DOMAIN.md §F3)');
DELETE FROM checklist_templates WHERE code = 'T0' AND change_note = 'Third-party material requested in stages with reasons (DOMAIN.md §F3)';
DROP TABLE third_party_requests;
DROP TABLE disclosure_certificates;
DROP TABLE disclosure_revisions;
UPDATE disclosure_entries SET officer_view = assessment WHERE schedule = 'MG6C';
ALTER TABLE disclosure_entries DROP COLUMN cps_at;
ALTER TABLE disclosure_entries DROP COLUMN cps_by;
ALTER TABLE disclosure_entries DROP COLUMN cps_pii;
ALTER TABLE disclosure_entries DROP COLUMN cps_sensitive;
ALTER TABLE disclosure_entries DROP COLUMN cps_view;
ALTER TABLE disclosure_entries DROP COLUMN undermines;
ALTER TABLE disclosure_entries DROP COLUMN assessment;
ALTER TABLE disclosure_entries DROP COLUMN generic_reason;
ALTER TABLE disclosure_entries DROP COLUMN classification;
ALTER TABLE case_members DROP COLUMN disclosure_role;
ALTER TABLE case_members DROP COLUMN oic;
