"""Labels and messages of the data page's upload section (issue 15 item 4), in zh and en."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "up_col_id": ("地块编号列", "Parcel id column"),
    "up_col_class": ("地类列（地类编码或地类名称）", "Land-use class column (codes or names)"),
    "up_col_region": ("乡镇 / 区名称列（可选）", "Township / district name column (optional)"),
    "up_none": ("（无）", "(none)"),
    "up_unset": ("— 请选择地类 —", "— choose a class —"),
    "up_classes": ("地类对应", "Land-use classes"),
    "up_classes_help": ("每个编码或名称对应一个地类；已按名称、三调 / GB/T 21010 编码或已知的土地覆被编码表预先识别，请核对。",
                        "Each code or name becomes one class; guessed from names, 三调 / GB/T 21010 "
                        "codes or a known land-cover code table — please check."),
    "up_code_table": ("编码表", "Code table"),
    "up_table_none": ("未识别：逐一指定", "Not recognised: choose each class"),
    "up_table_recognised": ("已识别编码表：{name}", "Recognised code table: {name}"),
    "up_table_unknown": ("未能确定编码含义（可能对应多个编码表），请为每个编码选择地类，或在上方选择编码表。",
                         "These codes could come from several code tables: choose a class for each "
                         "code, or pick the code table above."),
    "up_label_parcels": ("「{code}」· {n:,} 个地块", "“{code}” · {n:,} parcels"),
    "up_label_pixels": ("编码 {code} · {n:,} 个像元", "Code {code} · {n:,} pixels"),
    "up_zones": ("规划分区（永久基本农田、生态保护红线、城镇开发边界）",
                 "Planning zones (basic farmland, ecological red line, urban boundary)"),
    "up_zones_help": ("不指定分区时，所有地块都在城镇开发边界之外，新增建设用地为 0，城镇发展类情景将不可行。",
                      "Without zones no parcel lies inside the urban boundary: no construction "
                      "land can be added and growth scenarios are infeasible."),
    "up_zone_col": ("{zone}列（是 / 否，可选）", "{zone} column (yes / no, optional)"),
    "up_zone_layer": ("{zone}图层（面，可选）", "{zone} layer (polygons, optional)"),
    "up_zone_mask": ("{zone}（与地类栅格同网格的掩膜栅格，1 = 区内，或面图层，可选）",
                     "{zone} (mask raster on the land-use grid, 1 = inside, or polygons; optional)"),
    "zone_is_basic_farmland": ("永久基本农田", "Basic farmland"),
    "zone_is_red_line": ("生态保护红线", "Ecological red line"),
    "zone_in_urban_boundary": ("城镇开发边界", "Urban development boundary"),
    "up_no_change": ("禁止转换区（掩膜栅格，0 = 禁止转换，可选）",
                     "No-change areas (mask raster, 0 = no change; optional)"),
    "up_regions": ("乡镇 / 区边界（面图层：GeoPackage、压缩的 Shapefile、GeoJSON，可选）",
                   "Township / district boundaries (polygons: GeoPackage, zipped Shapefile, "
                   "GeoJSON; optional)"),
    "up_regions_col": ("边界图层的名称列", "Name column of the boundary layer"),
    "up_drivers": ("驱动因子（与地类栅格同网格，可选）", "Drivers (on the land-use grid; optional)"),
    "drv_dem": ("高程 DEM（米，同时计算坡度）", "Elevation DEM (m; slope is derived too)"),
    "drv_slope": ("坡度（度）", "Slope (degrees)"),
    "drv_pop": ("人口", "Population"),
    "drv_grade": ("耕地质量等别（1–15）", "Farmland grade (1–15)"),
    "drv_eco": ("生态重要性（0–1）", "Ecological importance (0–1)"),
    "up_pop_unit": ("人口栅格单位", "Population raster unit"),
    "pop_count": ("每像元人数", "persons per pixel"),
    "pop_density": ("人 / 平方公里", "persons per km²"),
    "up_crs_needed": ("「{file}」没有坐标系：请在下面填写数据所用的坐标系（如 EPSG:4490）。",
                      "“{file}” has no coordinate system: enter the one its coordinates are in "
                      "below (e.g. EPSG:4490)."),
    "up_report": ("导入报告", "Import report"),
    "up_grid_info": ("{rows} × {cols} 个 {pixel} 米像元，坐标系 {crs}", "{rows} × {cols} pixels of {pixel} m, CRS {crs}"),
    # errors: the file, the column or value at fault, and the fix
    "err_pick_column": ("「{file}」：还没有选择{what}。解决办法：在上方的下拉框中选择。",
                        "“{file}”: no {what} chosen. Fix: pick it in the list above."),
    "err_unset_classes": ("「{file}」中有 {n} 个地类编码 / 名称尚未指定地类：{codes}。解决办法：在“地类对应”中为每一项选择地类。",
                          "“{file}”: {n} class codes / names have no class yet: {codes}. Fix: "
                          "choose a class for each under “Land-use classes”."),
    "err_too_many_codes": ("「{file}」的列「{column}」有 {n} 个不同取值，不是地类列。解决办法：选择地类编码或地类名称列（如 DLBM、DLMC）。",
                           "“{file}”: column “{column}” has {n} distinct values, so it is not a "
                           "class column. Fix: pick the land-use code or name column (e.g. DLBM, "
                           "DLMC)."),
    "err_ids_missing": ("「{file}」的编号列「{column}」有 {n} 个地块没有编号。解决办法：选择每个地块都有编号的列，或在 GIS 中补齐编号。",
                        "“{file}”: id column “{column}” is empty for {n} parcels. Fix: pick a "
                        "column every parcel has, or fill in the ids in your GIS."),
    "err_ids_duplicate": ("「{file}」的编号列「{column}」有 {n} 个重复编号（{values}）。解决办法：选择每个地块唯一的编号列（如 BSM），或在 GIS 中重新编号。",
                          "“{file}”: id column “{column}” has {n} duplicated ids ({values}). Fix: "
                          "pick a column with a unique id per parcel (e.g. BSM) or renumber in "
                          "your GIS."),
    "err_flag_values": ("「{file}」的列「{column}」（{zone}）含有不是“是 / 否”的值：{values}。解决办法：选择取值为 是/否 或 1/0 的列，或把该分区作为单独的面图层上传。",
                        "“{file}”: column “{column}” ({zone}) has values that are not yes/no: "
                        "{values}. Fix: pick a column of yes/no or 1/0, or upload the zone as its "
                        "own polygon layer."),
    "err_import": ("无法导入「{file}」：{problem}。解决办法：{fix}",
                   "Cannot import “{file}”: {problem}. Fix: {fix}"),
    "err_read": ("无法读取「{file}」：{problem}。解决办法：{fix}",
                 "Cannot read “{file}”: {problem}. Fix: {fix}"),
}
