-- DOMAIN.md §F5: a regional organised crime unit does not always cover one police region. Each
-- police force names the ROCU it works with (rocu_id); a ROCU's analysts see the forces that name
-- it. Tarian covers South Wales, Gwent and Dyfed-Powys; North Wales Police works with the North
-- West ROCU (TITAN) [verify]; there is no London ROCU: the Metropolitan Police and the City of
-- London Police are the London region. The NPCC is one of the programme's named partners.
--
-- An installation seeded before this version is corrected in place: names are changed (slugs are
-- stable and stay), the seeded London ROCU is retired where nobody belongs to it, and the NPCC is
-- added. A fresh installation has no organisations yet: SeedOrganisations loads the corrected list.

-- +goose Up
ALTER TABLE organisations ADD COLUMN rocu_id {{BIGINT}}{{if postgres}} REFERENCES organisations (id){{end}};

UPDATE organisations SET rocu_id = (
    SELECT r.id FROM organisations r WHERE r.kind = 'rocu' AND r.region = organisations.region ORDER BY r.id LIMIT 1)
WHERE kind = 'police_force';
UPDATE organisations SET rocu_id = (SELECT id FROM organisations WHERE slug = 'north-west-regional-organised-crime-unit')
WHERE slug = 'north-wales-police';
UPDATE organisations SET name = 'North West Regional Organised Crime Unit (TITAN)'
WHERE slug = 'north-west-regional-organised-crime-unit' AND name = 'North West Regional Organised Crime Unit';
UPDATE organisations SET name = 'Tarian Regional Organised Crime Unit'
WHERE slug = 'wales-regional-organised-crime-unit' AND name = 'Wales Regional Organised Crime Unit';
UPDATE organisations SET active = {{FALSE}}
WHERE slug = 'london-regional-organised-crime-unit' AND NOT EXISTS (SELECT 1 FROM users WHERE users.organisation_id = organisations.id);
UPDATE organisations SET rocu_id = NULL
WHERE rocu_id IN (SELECT id FROM organisations WHERE slug = 'london-regional-organised-crime-unit' AND active = {{FALSE}});
INSERT INTO organisations (slug, name, kind, region, active, created_at, updated_at)
SELECT 'national-police-chiefs-council', 'National Police Chiefs'' Council', 'agency', 'National', {{TRUE}}, {{NOW}}, {{NOW}}
WHERE EXISTS (SELECT 1 FROM organisations) AND NOT EXISTS (SELECT 1 FROM organisations WHERE slug = 'national-police-chiefs-council');

-- A ROCU's reports are keyed by the ROCU ('rocu:<id>'), no longer by the region ('region:<name>').
UPDATE statistics_reports SET scope_key = 'rocu:' || (
    SELECT MIN(r.id) FROM organisations r WHERE r.kind = 'rocu' AND r.region = substr(statistics_reports.scope_key, 8))
WHERE scope_key LIKE 'region:%'
  AND EXISTS (SELECT 1 FROM organisations r WHERE r.kind = 'rocu' AND r.region = substr(statistics_reports.scope_key, 8));

-- +goose Down
UPDATE statistics_reports SET scope_key = 'region:' || (
    SELECT r.region FROM organisations r WHERE 'rocu:' || r.id = statistics_reports.scope_key)
WHERE scope_key LIKE 'rocu:%';
ALTER TABLE organisations DROP COLUMN rocu_id;
