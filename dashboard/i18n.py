"""Every label, unit and message of the dashboard in Chinese (default) and English."""

from __future__ import annotations

LANGUAGES = ("zh", "en")

TEXT: dict[str, tuple[str, str]] = {
    # navigation and page titles
    "app_title": ("国土空间优化配置", "Territorial spatial allocation"),
    "page_scenario": ("情景优化", "Scenario"),
    "page_data": ("数据", "Data"),
    "page_about": ("关于", "About"),
    "language": ("语言 / Language", "Language / 语言"),
    "store": ("研究区数据库", "Study region store"),
    "synthetic_badge": ("合成示例数据，非真实地区", "Synthetic demo data, not a real place"),
    # levers
    "levers": ("规划调控参数", "Planning levers"),
    "preset": ("情景预设", "Scenario preset"),
    "grp_farmland": ("耕地保护", "Farmland protection"),
    "grp_ecology": ("生态保护", "Ecological protection"),
    "grp_growth": ("城镇发展", "Urban growth"),
    "grp_conversion": ("转换规则", "Conversion rules"),
    "grp_weights": ("目标权重", "Objective weights"),
    "grp_solver": ("求解设置", "Solver settings"),
    "farmland.quota_pct": ("耕地保有量（占现状 %）", "Farmland quota (% of current)"),
    "farmland.keep_basic_farmland": ("永久基本农田保持为耕地", "Basic farmland stays cropland"),
    "farmland.balance": ("耕地占补平衡", "Requisition–compensation balance"),
    "ecology.red_line_mode": ("生态保护红线", "Ecological red line"),
    "red_line_locked": ("锁定现状用途", "locked to current use"),
    "red_line_ecological_only": ("仅限生态用地间转换", "ecological uses only"),
    "red_line_off": ("不约束", "not enforced"),
    "ecology.min_ecological_pct": ("生态用地下限（占现状 %）", "Minimum ecological land (% of current)"),
    "growth.min_new_built_ha": ("新增建设用地下限（公顷）", "Minimum new construction (ha)"),
    "growth.max_new_built_ha": ("新增建设用地上限（公顷）", "Maximum new construction (ha)"),
    "growth.only_inside_boundary": ("新增建设仅限城镇开发边界内", "New construction only inside the urban boundary"),
    "growth.expansion_cap": ("建设用地扩展系数上限（×现状）", "Construction expansion cap (× current)"),
    "conversion.allow_reclamation": ("允许建设用地复垦", "Allow reclamation of built-up land"),
    "conversion.max_changed_pct": ("转换总量上限（占总面积 %）", "Conversion budget (% of total area)"),
    "weights.suitability": ("适宜性 / 经济效益", "Suitability / economic benefit"),
    "weights.ecology": ("生态系统服务价值", "Ecosystem service value"),
    "weights.food": ("粮食生产能力", "Grain capacity"),
    "weights.carbon": ("碳储量", "Carbon storage"),
    "weights.compactness": ("紧凑度（同类相邻）", "Compactness (like neighbours)"),
    "weights.conversion_cost": ("转换成本", "Conversion cost"),
    "solver.time_limit_s": ("求解时限（秒）", "Time limit (s)"),
    "solver.seed": ("随机种子", "Random seed"),
    "solve": ("求解", "Solve"),
    "solving": ("正在求解…", "Solving…"),
    "progress": ("已用 {elapsed:.1f} 秒 · 当前最优 {incumbent} · 已证明差距 {gap}",
                 "{elapsed:.1f} s · incumbent {incumbent} · proven gap {gap}"),
    # issue 15 items 6, 8: progress bar, KPI tiles and map legends
    "progress_time": ("已用 {elapsed:.1f} / {limit:g} 秒", "{elapsed:.1f} of {limit:g} s"),
    "progress_over": ("已用 {elapsed:.1f} 秒（时限 {limit:g} 秒已到，正在收尾）",
                      "{elapsed:.1f} s (the {limit:g} s limit is reached; finishing)"),
    "progress_best": ("当前最优 {incumbent} 分 · 已证明差距 {gap}",
                      "incumbent {incumbent} points · proven gap {gap}"),
    "progress_searching": ("正在寻找第一个可行方案", "looking for a first feasible allocation"),
    "progress_bound": ("已证明上界 {bound} 分", "proven bound {bound} points"),
    "legend_changes": ("转换地块（黑色边框）", "Converted parcels (dark outline)"),
    "region_scale": ("颜色：{label}", "Colour: {label}"),
    "polygon_image_note": ("地块较多（{n} 个）：地图以图像显示（{w} × {h} 像素），每个像素显示其中心"
                           "所在地块的用途，不含地块提示；统计与求解仍按全部地块。",
                           "Many parcels ({n}): the map is an image ({w} × {h} pixels), each "
                           "pixel in the use of the parcel at its centre, without parcel "
                           "tooltips; statistics and the solve use every parcel."),
    "levers_changed": ("参数已修改，点击“求解”更新结果（下方仍显示上一次结果）",
                       "Levers changed: press Solve to update (the previous result stays below)"),
    "read_only": ("只读链接：参数已锁定", "Read-only link: levers are locked"),
    "presentation": ("汇报模式", "Presentation mode"),
    "share_link": ("分享链接", "Share link"),
    "share_help": ("复制浏览器地址栏即可分享当前情景；加上 &mode=readonly 为只读链接",
                   "Copy the address bar to share this scenario; add &mode=readonly for a read-only link"),
    # results
    "status": ("求解状态", "Status"),
    "status_OPTIMAL": ("最优", "optimal"),
    "status_FEASIBLE": ("可行（未证明最优）", "feasible (not proven optimal)"),
    "status_INFEASIBLE": ("不可行", "infeasible"),
    "status_UNKNOWN": ("时限内未找到方案", "no solution within the time limit"),
    "status_MODEL_INVALID": ("模型无效", "model invalid"),
    "gap": ("最优性差距", "Optimality gap"),
    "gap_tile_optimal": ("0 %", "0 %"),  # short: the tile is narrow; the status line says "proven optimal"
    "gap_tile_unproven": ("未证明", "not proven"),
    "quality_optimal": ("已证明为最优方案", "Proven optimal"),
    "quality_proven": ("已证明与最优的差距不超过 {gap}", "Proven within {gap} of the optimum"),
    "quality_heuristic_compact": (
        "布局紧凑度为启发式结果，已证明与最优的差距不超过 {gap}",
        "The compact layout is a heuristic result, proven within {gap} of the optimum"),
    "quality_unproven": ("方案可行，但时限内未能证明其质量（差距超过 100 %），可延长求解时间",
                         "A feasible answer whose quality was not proven in time (gap above "
                         "100 %); allow more time"),
    "quality_unproven_compact": (
        "布局紧凑度为启发式结果，时限内未能证明其质量（差距超过 100 %），可延长求解时间",
        "The compact layout is a heuristic result whose quality was not proven in time (gap "
        "above 100 %); allow more time"),
    "wall_time": ("求解耗时", "Solve time"),
    "kpi_cropland": ("耕地面积", "Cropland"),
    "kpi_built": ("建设用地", "Construction land"),
    "kpi_esv": ("生态服务价值", "Ecosystem services"),
    "kpi_carbon": ("碳储量", "Carbon storage"),
    "kpi_grain": ("粮食生产能力", "Grain capacity"),
    "kpi_changed": ("转换面积", "Changed area"),
    "map_current": ("现状用地", "Current land use"),
    "map_optimized": ("优化方案", "Optimized allocation"),
    "show_changes": ("突出显示转换地块", "Highlight converted parcels"),
    "overlays": ("叠加图层", "Overlays"),
    "ov_is_red_line": ("生态保护红线", "Ecological red line"),
    "ov_is_basic_farmland": ("永久基本农田", "Basic farmland"),
    "ov_in_urban_boundary": ("城镇开发边界", "Urban development boundary"),
    "legend": ("图例", "Legend"),
    "chart_structure": ("用地结构", "Land-use structure"),
    "chart_indicators": ("指标变化", "Indicators vs. baseline"),
    "chart_transitions": ("转移矩阵", "Transition matrix"),
    "chart_regions": ("分区统计（乡镇对比）", "By region"),
    "before": ("现状", "Current"),
    "after": ("优化", "Optimized"),
    "from_class": ("原用途", "From"),
    "to_class": ("新用途", "To"),
    "class": ("地类", "Class"),
    "region": ("乡镇 / 区", "Region"),
    "area_ha": ("面积（公顷）", "Area (ha)"),
    "change_pct": ("相对现状变化（%）", "Change vs. baseline (%)"),
    "indicator": ("指标", "Indicator"),
    "scenario_label": ("情景", "Scenario"),
    "no_result": ("尚无结果：调整参数后点击“求解”。", "No result yet: set the levers and press Solve."),
    "cached": ("（缓存结果）", "(cached result)"),
    # issue 15 item 2: a time-limited result is interim, not the answer
    "interim_result": ("求解在 {limit:g} 秒时限内停止，尚未证明达到目标差距 {target:g} %。"
                       "这是当前最好的方案；再次点击“求解”将从此方案继续改进，其他用户打开同一情景时也会继续求解。",
                       "The solve stopped at its {limit:g} s time limit before proving the {target:g} % "
                       "target gap. This is the best allocation so far; pressing Solve again continues "
                       "from it, and anyone opening the same scenario continues too."),
    # infeasibility
    "infeasible_title": ("该情景不可行：以下参数相互冲突", "This scenario is impossible: these levers conflict"),
    "apply_relaxation": ("一键采用建议调整", "Apply the suggested relaxation"),
    # issue 15 item 3: one lever alone as a fix
    "relax_alone_help": ("或者只调整其中一项（其他参数保持不变）：",
                         "Or move one lever alone (everything else stays as set):"),
    "relax_alone": ("只调整{lever}：{current} → {value}", "Only {lever}: {current} → {value}"),
    "on": ("开", "on"),
    "off": ("关", "off"),
    "unit_ha": ("公顷", "ha"),
    "unknown_title": ("时限内未找到可行方案", "No solution found within the time limit"),
    "unknown_help": ("请延长求解时限或放宽约束后重试。", "Allow more time or relax a lever and try again."),
    # URL warnings
    "bad_param": ("链接参数 {key}={value} 无效，已使用默认值：{reason}",
                  "URL parameter {key}={value} is invalid and was replaced by the default: {reason}"),
    "unknown_region": ("{key} 中的乡镇“{name}”不在本数据库中，已忽略。现有乡镇：{known}", "{key}: region “{name}” is not in this store and was ignored. Regions: {known}"),
    "regional_levers": ("分区调控（乡镇指标）", "Regional levers (per township)"),
    "regional_levers_help": ("留空表示该乡镇不单独设定；耕地保有量为占本乡镇现状耕地的 %。", "Leave a cell blank for no regional target; the farmland quota is % of the township's current cropland."),
    "region_quota_pct": ("耕地保有量（%）", "Farmland quota (%)"),
    "region_min_new_built_ha": ("新增建设下限（公顷）", "Min. new construction (ha)"),
    "region_max_new_built_ha": ("新增建设上限（公顷）", "Max. new construction (ha)"),
    "region_map_indicator": ("地图指标", "Indicator on the map"),
    "region_map_change": ("显示相对现状的变化", "Show the change vs. current"),
    "page_periods": ("规划期（开发时序）", "Planning periods"),
    "periods_help": ("各期目标均从基期累计计算；建设用地一经配置，后续各期保持（不允许复垦时）。空白单元格沿用情景预设。", "Every target is cumulative from the base year; built-up land stays built-up in later periods (unless reclamation is allowed). Blank cells keep the preset's lever."),
    "base_year": ("基期年份", "Base year"),
    "period_name": ("规划期", "Period"),
    "period_year": ("期末年份", "End year"),
    "period_cap": ("本期转换上限（占总面积 %）", "Conversion cap in the period (% of area)"),
    "period_areas": ("各期末用地结构（公顷）", "Land use at the end of each period (ha)"),
    "period_map": ("显示规划期", "Period on the map"),
    "period_of_change": ("地块转换时序（首次改变用途的规划期）", "When each parcel changes (first period of change)"),
    "period_export": ("下载分期配置 CSV", "Download the phased allocation (CSV)"),
    # demand table (规划指标表)
    "grp_demand": ("规划指标表", "Demand table (area targets)"),
    "demand_help": ("每行一项面积指标：某地类在全域或某乡镇的目标、下限、上限或区间，单位为公顷或占现状面积的 %。"
                    "目标值按地块整体配置，实现到半个地块面积以内（可在“容差”中另设）。",
                    "One area target a row: a class in the whole area or one township, as an exact "
                    "target, a minimum, a maximum or a range, in hectares or % of its current area. "
                    "Parcels are allocated whole, so an exact target is met to within half a "
                    "parcel (or the tolerance you give)."),
    "demand_class": ("地类", "Class"),
    "demand_region": ("区域", "Area"),
    "demand_whole": ("全域", "Whole area"),
    "demand_mode": ("方式", "Kind"),
    "demand_mode_exact": ("目标", "Exact target"),
    "demand_mode_min": ("下限", "Minimum"),
    "demand_mode_max": ("上限", "Maximum"),
    "demand_mode_band": ("区间", "Range"),
    "demand_unit": ("单位", "Unit"),
    "demand_unit_ha": ("公顷", "ha"),
    "demand_unit_pct": ("% 现状", "% of current"),
    "demand_value": ("数值（区间填下限）", "Value (range: lower end)"),
    "demand_upper": ("区间上限", "Range: upper end"),
    "demand_tolerance": ("目标容差（公顷，可空）", "Target tolerance (ha, optional)"),
    "demand_no_class": ("规划指标表第 {row} 行未采用：请选择地类。",
                        "Demand table row {row} is not applied: choose a class."),
    "demand_unknown_class": ("规划指标表第 {row} 行未采用：地类“{cls}”不在本数据库中。现有地类：{known}",
                             "Demand table row {row} is not applied: class “{cls}” is not in this "
                             "store. Classes: {known}"),
    "demand_unknown_region": ("规划指标表第 {row} 行（{cls}）未采用：区域“{region}”不在本数据库中。现有乡镇：{known}",
                              "Demand table row {row} ({cls}) is not applied: region “{region}” is "
                              "not in this store. Regions: {known}"),
    "demand_no_mode": ("规划指标表第 {row} 行（{cls}）未采用：请选择方式和单位。",
                       "Demand table row {row} ({cls}) is not applied: choose a kind and a unit."),
    "demand_no_value": ("规划指标表第 {row} 行（{cls}）未采用：请填写数值。",
                        "Demand table row {row} ({cls}) is not applied: enter a value."),
    "demand_no_upper": ("规划指标表第 {row} 行（{cls}）未采用：区间还需填写上限。",
                        "Demand table row {row} ({cls}) is not applied: a range also needs its "
                        "upper end."),
    "demand_negative": ("规划指标表第 {row} 行（{cls}）未采用：数值不能为负。",
                        "Demand table row {row} ({cls}) is not applied: values cannot be negative."),
    "demand_pct_range": ("规划指标表第 {row} 行（{cls}）未采用：百分比应在 0–{max} % 之间。",
                         "Demand table row {row} ({cls}) is not applied: a percentage must be "
                         "0–{max} %."),
    "demand_upper_below": ("规划指标表第 {row} 行（{cls}）未采用：上限 {hi} 低于下限 {lo}，请调高上限或调低下限。",
                           "Demand table row {row} ({cls}) is not applied: the upper end {hi} is "
                           "below the lower end {lo}; raise the upper end or lower the lower end."),
    "demand_duplicate": ("规划指标表第 {row} 行（{cls} {region}）未采用：同一地类和区域已有一行；请合并为一行（区间可同时给出上下限）。",
                         "Demand table row {row} ({cls} {region}) is not applied: the same class "
                         "and area already has a row; merge them (a range takes both ends)."),
    "demand_invalid": ("规划指标表第 {row} 行（{cls}）未采用：{reason}",
                       "Demand table row {row} ({cls}) is not applied: {reason}"),
    "link_too_long": ("分享链接无法完整携带以下参数（过长）：{keys}；请保存情景后分享情景库中的链接。",
                      "These parameters are too long for a share link: {keys}; save the scenario "
                      "and share its library link instead."),
    "unknown_param": ("忽略未知的链接参数：{keys}", "Ignored unknown URL parameters: {keys}"),
    # data page
    "data_title": ("数据库概况", "Parcel store"),
    "n_parcels": ("地块数", "Parcels"),
    "n_regions": ("乡镇 / 区数", "Regions"),
    "total_area": ("总面积", "Total area"),
    "crs": ("投影坐标系", "Projected CRS"),
    "source": ("数据来源", "Source"),
    "version": ("数据版本", "Version"),
    "classes_table": ("地类", "Land-use classes"),
    "regions_table": ("乡镇 / 区", "Regions"),
    "coefficients_table": ("系数来源", "Coefficient sources"),
    "store_map": ("现状用地图", "Current land use map"),
    "save_export": ("保存、分享与导出", "Save, share and export"),
    "save_name": ("情景名称", "Scenario name"),
    "save_placeholder": ("如：2035 协调发展 方案A", "e.g. 2035 balanced, option A"),
    "save_overwrite": ("覆盖同名情景", "Overwrite a scenario of the same name"),
    "save": ("保存情景", "Save scenario"),
    "saved": ("已保存：{name}", "Saved: {name}"),
    "share_editable": ("分享链接（可编辑）", "Share link (editable)"),
    "share_read_only": ("只读链接", "Read-only link"),
    "saved_opened": ("已打开保存的情景“{name}”（未重新求解）", "Opened saved scenario “{name}” (not re-solved)"),
    "saved_stale": ("注意：保存该情景后数据库已更新，结果可能与当前数据不一致。", "Note: the store changed since this scenario was saved; the result may not match the current data."),
    "saved_mismatch": ("保存的情景“{name}”与当前数据库的地块不一致，无法打开；请重新求解。", "Saved scenario “{name}” does not match this store's parcels; solve it again."),
    "export_gpkg": ("GeoPackage", "GeoPackage"),
    "export_parquet": ("GeoParquet", "GeoParquet"),
    "export_csv": ("地块 CSV", "Parcels CSV"),
    "export_indicators_csv": ("指标 CSV", "Indicators CSV"),
    "export_xlsx": ("指标 Excel", "Indicators Excel"),
    "export_report": ("汇报材料 HTML", "Briefing report HTML"),
    "page_library": ("情景库", "Scenario library"),
    "library_empty": ("尚无保存的情景：在“情景优化”页求解后保存。", "No saved scenarios yet: solve one on the Scenario page and save it."),
    "library_open": ("打开", "Open"),
    "library_rename": ("重命名", "Rename"),
    "library_duplicate": ("复制", "Duplicate"),
    "library_delete": ("删除", "Delete"),
    "library_new_name": ("新名称", "New name"),
    "library_pick": ("选择情景", "Choose a scenario"),
    "library_done": ("完成", "Done"),
    # issue 15 items 1, 7, 9: library page and period plans
    "library_col_name": ("名称", "Name"),
    "library_col_kind": ("类型", "Kind"),
    "library_col_preset": ("预设", "Preset"),
    "library_col_status": ("求解状态", "Status"),
    "library_col_gap": ("最优性差距", "Optimality gap"),
    "library_col_changed": ("变化面积（公顷）", "Changed area (ha)"),
    "library_col_saved": ("保存时间（UTC）", "Saved (UTC)"),
    "library_col_stale": ("数据已更新", "Store changed"),
    "library_kind_single": ("单期情景", "Scenario"),
    "library_kind_periods": ("分期方案", "Period plan"),
    "library_yes": ("是", "yes"),
    "library_no": ("否", "no"),
    "library_delete_confirm": ("确定删除“{name}”？删除后其分享链接将失效，且无法恢复。",
                               "Delete “{name}”? Its share links stop working; this cannot be undone."),
    "library_delete_yes": ("确认删除", "Delete for good"),
    "library_delete_no": ("取消", "Cancel"),
    "library_deleted": ("已删除：{name}", "Deleted: {name}"),
    "period_unchanged": ("未变化", "unchanged"),
    "period_save_export": ("保存、分享与导出分期方案", "Save, share and export the period plan"),
    "period_save_placeholder": ("如：2035 分期方案 A", "e.g. 2035 phased plan A"),
    "period_save": ("保存分期方案", "Save period plan"),
    "period_export_gpkg": ("下载分期配置 GeoPackage", "Download the phased allocation (GeoPackage)"),
    "period_export_report": ("下载期末简报（HTML）", "Download the end-of-plan briefing (HTML)"),
    "upload_title": ("导入自己的数据", "Import your own data"),
    "upload_help": ("支持 GeoPackage、压缩的 Shapefile（.zip）、GeoJSON、GeoParquet 地块，或土地覆被 GeoTIFF（按格网聚合）。",
                    "GeoPackage, zipped Shapefile (.zip), GeoJSON or GeoParquet parcels, or a land-cover GeoTIFF (aggregated to grid cells)."),
    "upload_file": ("选择文件", "Choose a file"),
    "upload_name": ("数据库名称（字母、数字、_ 和 -）", "Store name (letters, digits, _ and -)"),
    "cell_size": ("格网边长（米）", "Cell size (m)"),
    "upload_crs": ("坐标系（文件没有时填写，如 EPSG:4490）", "CRS (only if the file has none, e.g. EPSG:4490)"),
    "upload_import": ("导入", "Import"),
    "upload_running": ("正在导入…", "Importing…"),
    "upload_done": ("已导入为数据库 {name}，现已切换到该数据库。", "Imported as store {name}; now switched to it."),
}


def translate(text_key: str, lang: str = "zh", /, **values: object) -> str:
    """The text of ``text_key`` in ``lang`` with ``values`` filled in; the key if unknown."""
    pair = TEXT.get(text_key)
    if pair is None:
        return text_key
    text = pair[0] if lang == "zh" else pair[1]
    return text.format(**values) if values else text


from dashboard.i18n_compare import COMPARE_TEXT  # noqa: E402 - the compare pages' labels

TEXT.update(COMPARE_TEXT)

from dashboard.i18n_grid import GRID_TEXT  # noqa: E402 - grid and large-store messages

TEXT.update(GRID_TEXT)

# issue 15 item 4: upload
from dashboard.i18n_upload import UPLOAD_TEXT  # noqa: E402 - the upload section's labels

TEXT.update(UPLOAD_TEXT)
