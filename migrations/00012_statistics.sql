-- The national picture (issue 12): the monthly and on-demand reports for chief officers, each a
-- PDF kept in the blob store, and the indexes that keep the dashboard's aggregates fast.

-- +goose Up
-- scope_key names what the report covers: 'national', 'region:<name>' or 'org:<id>'. origin:
-- 'monthly' (made by the job on the first of the month, at most one per month and scope) or
-- 'on_demand' (made by an analyst).
CREATE TABLE statistics_reports (
    id         {{SERIAL}},
    month      TEXT            NOT NULL,
    scope_key  TEXT            NOT NULL,
    scope_name TEXT            NOT NULL,
    origin     TEXT            NOT NULL,
    blob_id    {{BIGINT}}      NOT NULL REFERENCES blobs (id),
    created_by {{BIGINT}}      REFERENCES users (id),
    created_at {{TIMESTAMPTZ}} NOT NULL
);
CREATE UNIQUE INDEX ux_statistics_reports_monthly ON statistics_reports (month, scope_key) WHERE origin = 'monthly';
CREATE INDEX idx_statistics_reports_scope ON statistics_reports (scope_key, month, id);

-- The dashboard's aggregates: the people of each operation counted in one pass over a covering
-- index in operation order, and the events of a period found through an index on their date.
CREATE INDEX idx_victims_operation_nrm ON victims (operation_id, nrm_referred_on, rg_decided_on, rg_outcome, cg_decided_on, cg_outcome, duty_to_notify);
CREATE INDEX idx_victims_operation_profile ON victims (operation_id, age_band, sex, nationality);
CREATE INDEX idx_victims_referred ON victims (nrm_referred_on, operation_id);
CREATE INDEX idx_victims_rg ON victims (rg_decided_on, nrm_referred_on, operation_id);
CREATE INDEX idx_victims_cg ON victims (cg_decided_on, rg_decided_on, operation_id);
CREATE INDEX idx_suspects_arrested ON suspects (arrested_on, operation_id);
CREATE INDEX idx_suspect_charges_charged ON suspect_charges (charged_on, suspect_id);
CREATE INDEX idx_suspect_charges_outcome ON suspect_charges (outcome_on, outcome, suspect_id);

-- +goose Down
DROP INDEX idx_suspect_charges_outcome;
DROP INDEX idx_suspect_charges_charged;
DROP INDEX idx_suspects_arrested;
DROP INDEX idx_victims_cg;
DROP INDEX idx_victims_rg;
DROP INDEX idx_victims_referred;
DROP INDEX idx_victims_operation_profile;
DROP INDEX idx_victims_operation_nrm;
DROP TABLE statistics_reports;
