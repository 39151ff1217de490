-- Suitability learned from observed change (issue 13): one score per parcel and class, 0..100,
-- like the hand-set `suitability` table. Optional: created in an existing store by
-- data.store.write_learned_suitability (which replaces it whole, in one transaction, together
-- with meta 'learned_suitability' — a JSON description — and a new meta 'version'); stores
-- without it have no learned scores and use the rule suitability only.
CREATE TABLE learned_suitability (
    parcel_id BIGINT  NOT NULL,
    land_use  INTEGER NOT NULL,   -- land_classes.code
    score     DOUBLE  NOT NULL CHECK (score BETWEEN 0 AND 100)
    -- every parcel × every class exactly once (checked before writing); no index, see suitability
);
