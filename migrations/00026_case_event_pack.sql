-- A timeline event about a pack (its submission, approval or return, a share of it, the share's
-- end, its export) names the pack's number, so that a CPS liaison, who reads only the approved
-- packs up to the one shared with them, reads no event about another: a later pack's return
-- reasons, outstanding items and manifest hash. Earlier events name their pack only in their
-- words ("Pack 3 submitted for …", "Share of pack 3 with … expired"), from which it is read; a
-- revoked share's or an export's event did not name it, and stays without (a liaison does not
-- read those: casefile.Timeline).

-- +goose Up
ALTER TABLE case_events ADD COLUMN pack INTEGER;
{{if postgres}}
UPDATE case_events SET pack = CAST(split_part(summary, ' ', 2) AS INTEGER)
    WHERE kind IN ('submit', 'approve', 'return', 'share') AND summary ~ '^Pack [0-9]+ ';
UPDATE case_events SET pack = CAST(split_part(summary, ' ', 4) AS INTEGER)
    WHERE kind = 'share' AND summary ~ '^Share of pack [0-9]+ ';
{{else}}
UPDATE case_events SET pack = CAST(substr(summary, 6, instr(substr(summary, 6), ' ') - 1) AS INTEGER)
    WHERE kind IN ('submit', 'approve', 'return', 'share') AND summary GLOB 'Pack [0-9]* *';
UPDATE case_events SET pack = CAST(substr(summary, 15, instr(substr(summary, 15), ' ') - 1) AS INTEGER)
    WHERE kind = 'share' AND summary GLOB 'Share of pack [0-9]* *';
{{end}}

-- +goose Down
ALTER TABLE case_events DROP COLUMN pack;
