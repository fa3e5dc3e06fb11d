-- The national picture comes in two editions (DOMAIN.md §G): the law-enforcement edition, with
-- force-level figures, and the partner edition, without them. A stored report is one of them;
-- those made before were law-enforcement editions, but for a partner agency's own area: those
-- hold the agency's figures only, and its analysts now read the partner edition only, so they
-- become partner editions and stay theirs. The monthly job makes one of each per month and area,
-- so its unique index now names the edition.

-- +goose Up
ALTER TABLE statistics_reports ADD COLUMN edition TEXT NOT NULL DEFAULT 'law_enforcement';
UPDATE statistics_reports SET edition = 'partner'
WHERE scope_key IN (SELECT 'org:' || CAST(id AS TEXT) FROM organisations WHERE kind NOT IN ('police_force', 'rocu', 'programme'));
DROP INDEX ux_statistics_reports_monthly;
CREATE UNIQUE INDEX ux_statistics_reports_monthly ON statistics_reports (month, scope_key, edition) WHERE origin = 'monthly';

-- +goose Down
DELETE FROM statistics_reports WHERE edition <> 'law_enforcement';
DROP INDEX ux_statistics_reports_monthly;
CREATE UNIQUE INDEX ux_statistics_reports_monthly ON statistics_reports (month, scope_key) WHERE origin = 'monthly';
ALTER TABLE statistics_reports DROP COLUMN edition;
