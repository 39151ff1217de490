-- Statements of the scenario library (data/library.py), one per '-- name:' block.
-- Every value is a bound parameter ($name); no identifier ever comes from input.
-- The payload frames are registered as views named incoming_assignment / incoming_indicators.

-- name: has_schema
SELECT count(*) FROM duckdb_tables() WHERE table_name = 'scenarios';

-- name: schema_version
SELECT CAST(value AS INTEGER) FROM library_meta WHERE key = 'schema_version';

-- name: has_kind
-- 0 on a library of layout 1 (before period plans): it needs library_migrate_v2.sql.
SELECT count(*) FROM duckdb_columns() WHERE table_name = 'scenarios' AND column_name = 'kind';

-- Read from the parcel store (read-only) when a scenario is saved or opened.
-- name: store_version
SELECT value FROM meta WHERE key = 'version';

-- name: store_parcels
SELECT parcel_id, land_use, area_ha FROM parcels ORDER BY parcel_id;

-- name: store_codes
SELECT code FROM land_classes ORDER BY code;

-- name: find_by_name
SELECT scenario_id, token, created_at FROM scenarios WHERE name = $name;

-- name: insert_scenario
INSERT INTO scenarios (scenario_id, name, token, preset, scenario_toml, status, objective,
                       best_bound, gap, wall_time_s, summary_json, n_parcels, n_changed,
                       changed_area_ha, n_indicators, store_version, created_at, saved_at,
                       kind, n_periods)
VALUES ($scenario_id, $name, $token, $preset, $scenario_toml, $status, $objective, $best_bound,
        $gap, $wall_time_s, $summary_json, $n_parcels, $n_changed, $changed_area_ha,
        $n_indicators, $store_version, $created_at, $saved_at, $kind, $n_periods);

-- name: next_id
SELECT nextval('scenario_ids');

-- name: insert_assignment
INSERT INTO scenario_assignments (scenario_id, parcel_id, land_use)
SELECT $scenario_id, parcel_id, land_use FROM incoming_assignment ORDER BY parcel_id;

-- name: insert_indicators
INSERT INTO scenario_indicators
SELECT $scenario_id, position, indicator, "group", scope_type, scope, value, unit, baseline,
       change, label_zh, label_en
FROM incoming_indicators;

-- name: insert_period_uses
INSERT INTO scenario_period_uses (scenario_id, period, parcel_id, land_use)
SELECT $scenario_id, period, parcel_id, land_use FROM incoming_period_uses
ORDER BY period, parcel_id;

-- name: delete_scenario
DELETE FROM scenarios WHERE scenario_id = $scenario_id;

-- name: delete_assignment
DELETE FROM scenario_assignments WHERE scenario_id = $scenario_id;

-- name: delete_indicators
DELETE FROM scenario_indicators WHERE scenario_id = $scenario_id;

-- name: delete_period_uses
DELETE FROM scenario_period_uses WHERE scenario_id = $scenario_id;

-- name: list_scenarios
SELECT name, preset, status, objective, best_bound, gap, wall_time_s, n_parcels, n_changed,
       changed_area_ha, store_version, created_at, saved_at, token,
       coalesce(kind, 'single') AS kind, coalesce(n_periods, 0) AS n_periods
FROM scenarios
ORDER BY saved_at DESC, name;

-- name: header_by_name
SELECT * FROM scenarios WHERE name = $name;

-- name: header_by_token
SELECT * FROM scenarios WHERE token = $token;

-- name: load_assignment
SELECT parcel_id, land_use FROM scenario_assignments
WHERE scenario_id = $scenario_id ORDER BY parcel_id;

-- name: load_period_uses
SELECT period, parcel_id, land_use FROM scenario_period_uses
WHERE scenario_id = $scenario_id ORDER BY period, parcel_id;

-- name: load_indicators
SELECT indicator, "group", scope_type, scope, value, unit, baseline, change, label_zh, label_en
FROM scenario_indicators
WHERE scenario_id = $scenario_id ORDER BY position;

-- name: rename
UPDATE scenarios SET name = $new_name, saved_at = $saved_at WHERE scenario_id = $scenario_id;

-- name: copy_scenario
INSERT INTO scenarios
SELECT * REPLACE ($new_id AS scenario_id, $new_name AS name, $token AS token,
                  $now AS created_at, $now AS saved_at)
FROM scenarios WHERE scenario_id = $scenario_id;

-- name: copy_assignment
INSERT INTO scenario_assignments
SELECT $new_id, parcel_id, land_use FROM scenario_assignments
WHERE scenario_id = $scenario_id ORDER BY parcel_id;

-- name: copy_indicators
INSERT INTO scenario_indicators
SELECT * REPLACE ($new_id AS scenario_id) FROM scenario_indicators
WHERE scenario_id = $scenario_id;

-- name: copy_period_uses
INSERT INTO scenario_period_uses
SELECT $new_id, period, parcel_id, land_use FROM scenario_period_uses
WHERE scenario_id = $scenario_id ORDER BY period, parcel_id;

-- name: integrity
-- Scenarios whose payload row counts differ from their header (should never return a row).
SELECT s.name, s.n_parcels, coalesce(a.n, 0) AS assignment_rows,
       s.n_indicators, coalesce(i.n, 0) AS indicator_rows,
       s.n_parcels * coalesce(s.n_periods, 0) AS period_rows_expected,
       coalesce(p.n, 0) AS period_rows
FROM scenarios AS s
LEFT JOIN (SELECT scenario_id, count(*) AS n FROM scenario_assignments GROUP BY ALL) AS a
       USING (scenario_id)
LEFT JOIN (SELECT scenario_id, count(*) AS n FROM scenario_indicators GROUP BY ALL) AS i
       USING (scenario_id)
LEFT JOIN (SELECT scenario_id, count(*) AS n FROM scenario_period_uses GROUP BY ALL) AS p
       USING (scenario_id)
WHERE coalesce(a.n, 0) <> s.n_parcels OR coalesce(i.n, 0) <> s.n_indicators
   OR coalesce(p.n, 0) <> s.n_parcels * coalesce(s.n_periods, 0)
ORDER BY s.name;

-- name: orphans
-- Payload rows without a scenario header (should be 0).
SELECT (SELECT count(*) FROM scenario_assignments
        WHERE scenario_id NOT IN (SELECT scenario_id FROM scenarios))
     + (SELECT count(*) FROM scenario_indicators
        WHERE scenario_id NOT IN (SELECT scenario_id FROM scenarios))
     + (SELECT count(*) FROM scenario_period_uses
        WHERE scenario_id NOT IN (SELECT scenario_id FROM scenarios));
