-- Scenario library: a sidecar DuckDB file next to a parcel store (<store stem>.library.duckdb).
-- The parcel store stays immutable and read-only; saved scenarios live here. Every write is one
-- transaction (data/library.py), so a scenario is either complete or absent.
-- Idempotent: run at the start of every write transaction.

CREATE TABLE IF NOT EXISTS library_meta (
    key   VARCHAR PRIMARY KEY,   -- schema_version, created_at
    value VARCHAR NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS scenario_ids START 1;

-- One row per saved scenario; the payload tables below hang off scenario_id.
CREATE TABLE IF NOT EXISTS scenarios (
    scenario_id     BIGINT    PRIMARY KEY,
    name            VARCHAR   NOT NULL UNIQUE,   -- user-chosen, validated (1..80 printable chars)
    token           VARCHAR   NOT NULL UNIQUE,   -- share link ?scenario=<token>; secrets.token_urlsafe
    preset          VARCHAR   NOT NULL,          -- preset key the scenario started from ('' = none)
    scenario_toml   VARCHAR   NOT NULL,          -- full Scenario.to_toml(): levers and solver settings
    status          VARCHAR   NOT NULL,          -- OPTIMAL, FEASIBLE, ...
    objective       DOUBLE,                      -- points; NULL without a solution
    best_bound      DOUBLE,
    gap             DOUBLE,                      -- relative, 0.01 = 1 %
    wall_time_s     DOUBLE,
    summary_json    VARCHAR   NOT NULL,          -- the whole result summary (JSON object)
    n_parcels       INTEGER   NOT NULL,          -- rows in scenario_assignments (completeness check)
    n_changed       INTEGER   NOT NULL,          -- parcels whose use differs from the store's
    changed_area_ha DOUBLE    NOT NULL,
    n_indicators    INTEGER   NOT NULL,          -- rows in scenario_indicators (completeness check)
    store_version   VARCHAR   NOT NULL,          -- meta.version of the parcel store at save time
    created_at      TIMESTAMP NOT NULL,          -- UTC, first save under this name
    saved_at        TIMESTAMP NOT NULL,          -- UTC, last save (overwrite) or rename
    -- layout 2 (appended, so a library migrated by ALTER TABLE has the same column order):
    kind            VARCHAR   DEFAULT 'single',  -- 'single' (one result) or 'periods' (a period plan)
    n_periods       INTEGER   DEFAULT 0          -- periods of a plan (rows per parcel in
                                                 -- scenario_period_uses); 0 for 'single'
);

-- The allocation: one land-use code per parcel. A plain table rather than a blob: DuckDB
-- bit-packs these integer columns to about the size of a compressed blob, and SQL can join
-- two scenarios (difference maps) or copy one (duplicate) without a round trip through Python.
-- No primary key: uniqueness is checked before the insert, and an ART index would cost more
-- than the table itself.
CREATE TABLE IF NOT EXISTS scenario_assignments (
    scenario_id BIGINT  NOT NULL,
    parcel_id   INTEGER NOT NULL,
    land_use    INTEGER NOT NULL
);

-- The indicator table of data.indicators.compute_indicators (tidy), in its original row order.
CREATE TABLE IF NOT EXISTS scenario_indicators (
    scenario_id BIGINT  NOT NULL,
    position    INTEGER NOT NULL,
    indicator   VARCHAR NOT NULL,
    "group"     VARCHAR NOT NULL,
    scope_type  VARCHAR NOT NULL,
    scope       VARCHAR NOT NULL,
    value       DOUBLE,
    unit        VARCHAR NOT NULL,
    baseline    DOUBLE,
    change      DOUBLE,
    label_zh    VARCHAR NOT NULL,
    label_en    VARCHAR NOT NULL
);

-- Layout 2: the land use of every parcel at the end of each period of a period plan
-- (kind = 'periods'); scenario_assignments holds the last period's, so every reader of a
-- saved allocation (compare, exports) sees the plan's end state.
CREATE TABLE IF NOT EXISTS scenario_period_uses (
    scenario_id BIGINT   NOT NULL,
    period      SMALLINT NOT NULL,   -- 0-based position in the plan's [[periods]]
    parcel_id   INTEGER  NOT NULL,
    land_use    INTEGER  NOT NULL
);

-- A new library starts at layout 2; one of layout 1 is moved on by library_migrate_v2.sql.
INSERT INTO library_meta VALUES ('schema_version', '2') ON CONFLICT DO NOTHING;
