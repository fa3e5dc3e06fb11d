-- The national picture reads the victims of a period through indexes that cover what it counts:
-- the profile of the victims of open operations grouped in index order (no sort of every victim),
-- and each decision with its outcome and the date it is measured from.

-- +goose Up
DROP INDEX idx_victims_operation_profile;
CREATE INDEX idx_victims_profile ON victims (age_band, sex, nationality, operation_id);
DROP INDEX idx_victims_rg;
CREATE INDEX idx_victims_rg ON victims (rg_decided_on, rg_outcome, nrm_referred_on, operation_id);
DROP INDEX idx_victims_cg;
CREATE INDEX idx_victims_cg ON victims (cg_decided_on, cg_outcome, rg_decided_on, operation_id);

-- +goose Down
DROP INDEX idx_victims_cg;
CREATE INDEX idx_victims_cg ON victims (cg_decided_on, rg_decided_on, operation_id);
DROP INDEX idx_victims_rg;
CREATE INDEX idx_victims_rg ON victims (rg_decided_on, nrm_referred_on, operation_id);
DROP INDEX idx_victims_profile;
CREATE INDEX idx_victims_operation_profile ON victims (operation_id, age_band, sex, nationality);
