-- Scenario library layout 1 → 2 (period plans). Run inside the write transaction after
-- library_schema.sql (which has already created scenario_period_uses). Adds columns with
-- defaults, so every saved scenario stays as it was and reads as kind 'single'; idempotent.
ALTER TABLE scenarios ADD COLUMN IF NOT EXISTS kind VARCHAR DEFAULT 'single';
ALTER TABLE scenarios ADD COLUMN IF NOT EXISTS n_periods INTEGER DEFAULT 0;
UPDATE library_meta SET value = '2'
WHERE key = 'schema_version' AND CAST(value AS INTEGER) < 2;
