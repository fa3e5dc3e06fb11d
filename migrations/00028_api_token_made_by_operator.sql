-- A token made by the operator (msphub create-token) carries the operator's assurance, not that
-- of a signed-in session: it is not ended when its user is given a role that needs a second
-- factor they have not set up, nor when their second factor is reset. Tokens made before could
-- have been either, and are taken as made in a session, the stricter.

-- +goose Up
ALTER TABLE api_tokens ADD COLUMN by_operator BOOLEAN NOT NULL DEFAULT {{FALSE}};

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN by_operator;
