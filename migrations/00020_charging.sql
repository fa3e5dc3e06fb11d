-- Charging decisions as the CPS records them (issue 13 item 2, DOMAIN.md §F2).
--
-- users.crown_prosecutor: only a Crown Prosecutor records a charging decision; CPS caseworkers
-- and paralegals (liaisons without it) record advice and action plans. Set by an administrator.
--
-- A pre-charge submission carries its DG6 category (red, green, green_priority) and the test
-- the police ask for (full_code, threshold); a Threshold Test submission may go with pre-charge
-- items still outstanding, each named in outstanding (one per line).
--
-- A charging decision names its test (charging_test), for the Threshold Test the date by which
-- it must be reviewed (review_on), for no further action its basis (nfa_basis: evidential or
-- public_interest), and for a charge the charges per suspect (cps_charges). The suspect is the
-- pseudonymous label the prosecutor enters (case files read no operations records).
--
-- The police charge (MG4) is a separate event after the CPS authorised it: police_charges holds
-- the date, the officer who charged and who recorded it. Existing cases keep every row as it is:
-- the new columns default to empty.

-- +goose Up
ALTER TABLE users ADD COLUMN crown_prosecutor BOOLEAN NOT NULL DEFAULT {{FALSE}};

ALTER TABLE pack_submissions ADD COLUMN dg6_category TEXT NOT NULL DEFAULT '';
ALTER TABLE pack_submissions ADD COLUMN charging_test TEXT NOT NULL DEFAULT '';
ALTER TABLE pack_submissions ADD COLUMN outstanding TEXT NOT NULL DEFAULT '';

ALTER TABLE cps_actions ADD COLUMN charging_test TEXT NOT NULL DEFAULT '';
ALTER TABLE cps_actions ADD COLUMN review_on DATE;
ALTER TABLE cps_actions ADD COLUMN nfa_basis TEXT NOT NULL DEFAULT '';
CREATE INDEX idx_cps_actions_review ON cps_actions (review_on) WHERE review_on IS NOT NULL;

CREATE TABLE cps_charges (
    id        {{SERIAL}},
    action_id {{BIGINT}}      NOT NULL REFERENCES cps_actions (id),
    case_id   {{BIGINT}}      NOT NULL REFERENCES case_files (id),
    position  {{SMALLINT}}    NOT NULL,
    suspect   {{VARCHAR 100}} NOT NULL,
    offence   TEXT            NOT NULL,
    statute   {{VARCHAR 200}} NOT NULL
);
CREATE INDEX idx_cps_charges_action ON cps_charges (action_id, position);

CREATE TABLE police_charges (
    id          {{SERIAL}},
    case_id     {{BIGINT}}      NOT NULL UNIQUE REFERENCES case_files (id),
    charged_on  DATE            NOT NULL,
    charged_by  {{VARCHAR 200}} NOT NULL,
    recorded_by {{BIGINT}}      NOT NULL REFERENCES users (id),
    recorded_at {{TIMESTAMPTZ}} NOT NULL
);

-- +goose Down
DROP TABLE police_charges;
DROP TABLE cps_charges;
DROP INDEX idx_cps_actions_review;
ALTER TABLE cps_actions DROP COLUMN nfa_basis;
ALTER TABLE cps_actions DROP COLUMN review_on;
ALTER TABLE cps_actions DROP COLUMN charging_test;
ALTER TABLE pack_submissions DROP COLUMN outstanding;
ALTER TABLE pack_submissions DROP COLUMN charging_test;
ALTER TABLE pack_submissions DROP COLUMN dg6_category;
ALTER TABLE users DROP COLUMN crown_prosecutor;
