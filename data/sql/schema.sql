-- Parcel store schema: one .duckdb file per study region.
-- Geometry is WKB in the store's metric CRS (meta key 'crs'); WGS 84 copies are for maps only.

CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,   -- name_zh, name_en, crs, synthetic, source, created_at, version, ...
    value VARCHAR NOT NULL
);

-- Land-use classes are data (data/classes.py): the source's own codes and keys, each with a role
-- the rules understand; CAS 6 classes by default (data/coefficients/classes_cas.csv).
CREATE TABLE land_classes (
    code     INTEGER PRIMARY KEY,  -- code used in parcels.land_use (the source's code)
    key      VARCHAR NOT NULL UNIQUE, -- identifier used by demand tables and exports
    role     VARCHAR NOT NULL CHECK (role IN ('cropland', 'forest', 'grassland', 'water', 'built', 'unused')),
    name_zh  VARCHAR NOT NULL,
    name_en  VARCHAR NOT NULL,
    color    VARCHAR NOT NULL,     -- '#rrggbb'
    sansheng VARCHAR NOT NULL CHECK (sansheng IN ('production', 'living', 'ecological'))
);

CREATE TABLE regions (
    region_id  INTEGER PRIMARY KEY,
    name_zh    VARCHAR NOT NULL,
    name_en    VARCHAR NOT NULL,
    population DOUBLE,             -- persons, NULL when unknown
    geom_wkb   BLOB                -- metric CRS, NULL when regions were not given as polygons
);

CREATE TABLE parcels (
    parcel_id         INTEGER PRIMARY KEY,
    region_id         INTEGER NOT NULL,
    land_use          INTEGER NOT NULL,       -- land_classes.code
    area_ha           DOUBLE  NOT NULL CHECK (area_ha > 0),
    geom_wkb          BLOB,                   -- metric CRS; grid stores: only cells cut by nodata
    geom_wgs84_wkb    BLOB,                   -- EPSG:4326, simplified, for maps; NULL in grid stores
    grid_row          INTEGER,                -- grid stores: the cell's row and column on the grid
    grid_col          INTEGER,
    lon               DOUBLE  NOT NULL,       -- centroid, EPSG:4326
    lat               DOUBLE  NOT NULL,
    slope_deg         DOUBLE,
    elevation_m       DOUBLE,
    farmland_grade    INTEGER,                -- 耕地质量等别 1 (best) .. 15 (worst); NULL unknown
    eco_importance    DOUBLE CHECK (eco_importance BETWEEN 0 AND 1),
    population        DOUBLE,                 -- persons living in the parcel
    dist_urban_m      DOUBLE,
    dist_road_m       DOUBLE,
    is_basic_farmland BOOLEAN NOT NULL DEFAULT FALSE,  -- 永久基本农田
    is_red_line       BOOLEAN NOT NULL DEFAULT FALSE,  -- 生态保护红线
    in_urban_boundary BOOLEAN NOT NULL DEFAULT FALSE,  -- 城镇开发边界
    no_conversion     BOOLEAN NOT NULL DEFAULT FALSE   -- water protection / other no-change mask
);

-- Share of each class inside a parcel (raster imports keep them; vector imports: 1.0 for the parcel's class).
CREATE TABLE class_shares (
    parcel_id INTEGER NOT NULL,
    land_use  INTEGER NOT NULL,
    share     DOUBLE  NOT NULL CHECK (share BETWEEN 0 AND 1)
    -- unique per (parcel_id, land_use), as written by the store builder; no index: an index on
    -- the millions of rows of a 30 m grid store costs more than the rest of the write
);

-- 双评价-style suitability of each parcel for each use, 0..100 (weights in meta 'suitability_weights').
CREATE TABLE suitability (
    parcel_id INTEGER NOT NULL,
    land_use  INTEGER NOT NULL,
    score     DOUBLE  NOT NULL CHECK (score BETWEEN 0 AND 100)
    -- unique per (parcel_id, land_use); no index (37 million rows at Wuhan's 30 m: 32 s)
);

-- learned_suitability (same columns, learned from observed change) is optional and not created
-- here: data/sql/learned_suitability.sql adds it to an existing store on request.

-- Parcel neighbours with the length of their shared boundary, built once at import (parcel_a < parcel_b).
CREATE TABLE adjacency (
    parcel_a INTEGER NOT NULL,
    parcel_b INTEGER NOT NULL,
    shared_m DOUBLE  NOT NULL CHECK (shared_m > 0),
    CHECK (parcel_a < parcel_b)   -- each pair once, as built (no index, see class_shares)
);

-- Grid stores (raster imports): the source grid, one row; empty for parcel (polygon) stores.
-- Cell polygons, centroids and GeoTIFFs are derived from it on demand (data/grid.py).
CREATE TABLE grid (
    crs          VARCHAR NOT NULL,
    pixel_m      DOUBLE  NOT NULL CHECK (pixel_m > 0),
    block_pixels INTEGER NOT NULL CHECK (block_pixels >= 1),  -- cell edge in source pixels
    origin_x     DOUBLE  NOT NULL,    -- top-left corner of the source raster
    origin_y     DOUBLE  NOT NULL,
    pixel_rows   INTEGER NOT NULL,
    pixel_cols   INTEGER NOT NULL,
    pixels       BLOB    NOT NULL     -- zlib-compressed int16 class code of every source pixel, -1 nodata
);

-- Derived drivers of grid stores (distance to each class, share of each class around a cell, ...):
-- one column per driver, created by the importer (data/importers/derived.py documents them).
