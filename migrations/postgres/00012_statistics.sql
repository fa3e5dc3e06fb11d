-- The national picture (issue 12): the monthly and on-demand reports for chief officers, each a
-- PDF kept in the blob store, and the indexes that keep the dashboard's aggregates fast.

-- +goose Up
-- scope_key names what the report covers: 'national', 'region:<name>' or 'org:<id>'. origin:
-- 'monthly' (made by the job on the first of the month, at most one per month and scope) or
-- 'on_demand' (made by an analyst).
CREATE TABLE statistics_reports (
    id         BIGSERIAL PRIMARY KEY,
    month      TEXT        NOT NULL,
    scope_key  TEXT        NOT NULL,
    scope_name TEXT        NOT NULL,
    origin     TEXT        NOT NULL,
    blob_id    BIGINT      NOT NULL REFERENCES blobs (id),
    created_by BIGINT      REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX ux_statistics_reports_monthly ON statistics_reports (month, scope_key) WHERE origin = 'monthly';
CREATE INDEX idx_statistics_reports_scope ON statistics_reports (scope_key, month, id);

-- The dashboard's aggregates group people by their operation and count by date.
CREATE INDEX idx_victims_operation_dates ON victims (operation_id, nrm_referred_on, rg_decided_on, cg_decided_on);
CREATE INDEX idx_suspects_operation_arrest ON suspects (operation_id, arrested_on);
CREATE INDEX idx_suspect_charges_dates ON suspect_charges (charged_on, outcome_on);

-- +goose Down
DROP INDEX idx_suspect_charges_dates;
DROP INDEX idx_suspects_operation_arrest;
DROP INDEX idx_victims_operation_dates;
DROP TABLE statistics_reports;
