-- Parcel count, area and flagged area per land-use class (the store at a glance).
SELECT
    c.code,
    c.key,
    c.name_zh,
    c.name_en,
    count(p.parcel_id)                                            AS parcels,
    coalesce(sum(p.area_ha), 0)                                   AS area_ha,
    coalesce(sum(CASE WHEN p.is_basic_farmland THEN p.area_ha END), 0) AS basic_farmland_ha,
    coalesce(sum(CASE WHEN p.is_red_line THEN p.area_ha END), 0)       AS red_line_ha,
    coalesce(sum(CASE WHEN p.in_urban_boundary THEN p.area_ha END), 0) AS urban_boundary_ha
FROM land_classes AS c
LEFT JOIN parcels AS p ON p.land_use = c.code
GROUP BY ALL
ORDER BY c.code
