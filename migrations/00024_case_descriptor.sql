-- DOMAIN.md §F5: the Government Security Classifications Policy as revised in 2023 lets an
-- OFFICIAL-SENSITIVE marking carry a descriptor (PERSONAL, COMMERCIAL, LOCSEN). A case file keeps
-- its descriptor beside its classification; empty is none.

-- +goose Up
ALTER TABLE case_files ADD COLUMN descriptor {{VARCHAR 20}} NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE case_files DROP COLUMN descriptor;
