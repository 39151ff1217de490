"""Labels and messages of the monitoring page (监测评估, issue 16), in zh and en."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "page_monitoring": ("监测评估", "Monitoring"),
    "mon_intro": ("将新一期土地调查与现状底图、规划方案对照：疑似违法违规图斑、规划实施进度和偏差。",
                  "A newer land survey held against the base map and the plan: suspected "
                  "violations, progress of the plan and deviations from it."),
    # pickers
    "mon_pick_survey": ("土地调查", "Land survey"),
    "mon_pick_plan": ("规划方案", "Plan"),
    "mon_base_year": ("基期年份", "Base year"),
    "mon_plan_year": ("规划目标年", "Plan target year"),
    "mon_years_help": ("单期情景未保存年份：请填写现状底图的年份和规划目标年。",
                       "A single-period scenario carries no years: give the base map's year "
                       "and the plan's target year."),
    "mon_survey_option": ("{name}（{year} 年）", "{name} ({year})"),
    "mon_stale_flag": (" ⚠ 数据库已更新", " ⚠ store changed since"),
    "mon_plan_single": ("{name}", "{name}"),
    "mon_plan_periods": ("{name}（规划期方案）", "{name} (period plan)"),
    "mon_stale_survey": ("调查「{name}」导入后数据库已更新，其地块可能不再对应；请重新导入该调查。",
                         "The store changed after survey “{name}” was imported: its parcels may "
                         "no longer match. Import the survey again."),
    "mon_stale_plan": ("规划方案「{name}」保存后数据库已更新，请重新求解并保存。",
                       "The store changed after plan “{name}” was saved: solve and save it "
                       "again."),
    "mon_held_single": ("规划「{plan}」（{base} → {year} 年）对照 {survey_year} 年调查「{survey}」："
                        "规划期已过 {elapsed}。",
                        "Plan “{plan}” ({base} → {year}) held against the {survey_year} survey "
                        "“{survey}”: {elapsed} of the planning period has passed."),
    "mon_held_period": ("规划期方案「{plan}」的「{period}」（{base} → {year} 年）对照 {survey_year} 年"
                        "调查「{survey}」：该期已过 {elapsed}。",
                        "Period “{period}” of plan “{plan}” ({base} → {year}) held against the "
                        "{survey_year} survey “{survey}”: {elapsed} of the period has passed."),
    "mon_caution": ("疑似图斑是实地核查的线索，不是违法认定。",
                    "Suspected patches are leads for field checks, not findings of a violation."),
    "mon_computing": ("正在对照现状、规划与调查…", "Comparing base map, plan and survey…"),
    # errors and empty states
    "mon_error": ("无法完成监测对照：{problem}。解决办法：{fix}",
                  "Cannot compare: {problem}. Fix: {fix}"),
    "mon_err_target_year": ("规划目标年 {year} 不晚于基期年份 {base}。",
                            "The plan's target year {year} is not after the base year {base}."),
    "mon_err_target_year_fix": ("请填写晚于基期的规划目标年。",
                                "Give a target year later than the base year."),
    "mon_err_survey_year": ("调查年份 {survey_year} 不晚于基期年份 {base}。",
                            "The survey year {survey_year} is not after the base year {base}."),
    "mon_err_survey_year_fix": ("请改正基期年份，或选择基期之后的调查。",
                                "Correct the base year, or pick a survey made after it."),
    "mon_err_title": ("无法完成监测对照", "Cannot compare"),
    "mon_err_fix": ("解决办法", "Fix"),
    "mon_no_survey": ("本数据库还没有土地调查。先在命令行导入一期调查（栅格 .tif 或矢量文件，用映射文件"
                      "转换为本库地类），再回到本页：",
                      "This store has no land survey yet. Import one from the command line (a "
                      "class raster .tif or a vector file, mapped into the store's classes), then "
                      "come back:"),
    "mon_no_plan": ("本数据库还没有保存的规划方案。请先在「情景优化」页面求解并保存一个情景（或在"
                    "「规划期」页面保存规划期方案），再回到本页对照。",
                    "This store has no saved plan yet. Solve and save a scenario on the Scenario "
                    "page first (or save a period plan on the Planning periods page), then come "
                    "back."),
    "mon_list_failed": ("无法读取：{reason}", "Cannot read: {reason}"),
    # headline and tiles
    "mon_headline": ("发现疑似违法违规 {n} 处图斑，涉及 {cells} 个{unit}、{ha} 公顷；{regions}。",
                     "{n} suspected violation patches found, {cells} {unit} and {ha} ha in "
                     "all; {regions}."),
    "mon_headline_none": ("未发现疑似违法违规图斑；{regions}。",
                          "No suspected violations found; {regions}."),
    "mon_headline_regions": ("{red} 个区域进度偏离、{amber} 个区域预警",
                             "regions off track: {red}, to watch: {amber}"),
    "mon_headline_regions_ok": ("各区域进度正常", "every region on track"),
    "mon_headline_targets": ("{n} 项规划指标超标/偏离", "plan targets off track: {n}"),
    "mon_scope_all": ("全域", "Whole area"),
    "mon_scope_region": ("范围：{region}", "Scope: {region}"),
    "mon_unit_cells": ("栅格", "cells"),
    "mon_unit_parcels": ("地块", "parcels"),
    "mon_tile_patches": ("{n} 处", "{n} patches"),
    "mon_tile_patch_one": ("{n} 处", "{n} patch"),
    "mon_tile_detail": ("{cells} 个{unit} · {ha} 公顷", "{cells} {unit} · {ha} ha"),
    "mon_tile_area": ("{ha} 公顷", "{ha} ha"),
    "mon_tile_deficit": ("耕地占补缺口", "Cropland deficit"),
    "mon_tile_deficit_where": ("{regions}", "{regions}"),
    "mon_tile_deficit_more": ("{regions} 等 {n} 个区域", "{regions} and {n} more"),
    "mon_tile_deficit_none": ("占补平衡", "balanced"),
    "mon_tiles_violations": ("疑似违法违规", "Suspected violations"),
    "mon_tiles_plan": ("规划实施", "Plan realisation"),
    "mon_no_types": ("请至少选择一种违法违规类型。", "Pick at least one violation type."),
    # filters
    "mon_filter_types": ("违法违规类型", "Violation types"),
    "mon_filter_region": ("区域", "Region"),
    "mon_all_regions": ("全部区域", "All regions"),
    # map
    "mon_map_title": ("疑似违法违规分布", "Where the suspected violations are"),
    "mon_map_deviation_title": ("规划实施偏差分布", "Deviations from the plan"),
    "mon_map_mode": ("地图显示", "Map shows"),
    "mon_map_violations": ("疑似违法违规", "Suspected violations"),
    "mon_map_deviations": ("规划实施偏差", "Deviations from the plan"),
    "mon_map_base_note": ("底图为调查地类（淡色）；圆圈标出面积最大的 {n} 处图斑，悬停查看详情。",
                          "Under them: the survey's land use, pale; circles mark the {n} largest "
                          "patches (hover for details)."),
    "mon_map_deviation_note": ("未变化的{unit}显示为淡色调查地类。",
                               "Unchanged {unit} show the survey's land use, pale."),
    "mon_marker_tooltip": ("<b>图斑 {patch_id}</b> · {type_name}<br/>{region} · {area} 公顷",
                           "<b>Patch {patch_id}</b> · {type_name}<br/>{region} · {area} ha"),
    # tables
    "mon_regions_title": ("分区域规划实施进度", "Progress by region"),
    "mon_regions_caption": ("实施率：规划变化中已按规划实现的面积比例；时间进度：规划期已过的比例。状态取该区域"
                            "各地类中最差的一项。",
                            "Realised: the share of the planned change done as planned; elapsed: "
                            "the share of the planning period passed. A region's status is the "
                            "worst of its classes."),
    "mon_targets_title": ("规划指标（全域）", "Plan targets (whole area)"),
    "mon_targets_none": ("该规划没有面积指标。", "The plan sets no area targets."),
    "mon_regions_numbers": ("分区域统计", "Figures by region"),
    "mon_progress_title": ("各区域地类面积进度（明细）", "Planned class areas by region (details)"),
    "mon_patches_title": ("面积最大的疑似违法违规图斑", "Largest suspected violations"),
    "mon_patches_top": ("显示前", "Show the top"),
    "mon_patches_none": ("所选范围内没有疑似违法违规图斑。", "No suspected violations in this "
                         "selection."),
    "mon_patches_caption": ("共 {n} 处，按面积从大到小；坐标为图斑中心（WGS 84）。",
                            "{n} in all, largest first; coordinates are patch centres (WGS 84)."),
    "mon_col_region": ("区域", "Region"),
    "mon_col_status": ("状态", "Status"),
    "mon_col_reason": ("原因", "Reason"),
    "mon_col_realised": ("实施率 %", "Realised %"),
    "mon_col_elapsed": ("时间进度 %", "Elapsed %"),
    "mon_col_violations": ("疑似违法违规{unit}数", "Suspected {unit}"),
    "mon_col_violations_ha": ("疑似违法违规面积（公顷）", "Suspected area (ha)"),
    "mon_col_deficit": ("耕地占补缺口（公顷）", "Cropland deficit (ha)"),
    "mon_col_as_planned": ("按规划实施（公顷）", "As planned (ha)"),
    "mon_col_not_realised": ("规划未实施（公顷）", "Not realised (ha)"),
    "mon_col_unplanned": ("规划外变化（公顷）", "Unplanned (ha)"),
    "mon_col_kind": ("类别", "Kind"),
    "mon_col_target": ("指标 / 地类", "Target / class"),
    "mon_col_lo": ("下限（公顷）", "Floor (ha)"),
    "mon_col_hi": ("上限（公顷）", "Cap (ha)"),
    "mon_col_base": ("基期（公顷）", "Base (ha)"),
    "mon_col_plan": ("规划（公顷）", "Plan (ha)"),
    "mon_col_survey": ("调查（公顷）", "Survey (ha)"),
    "mon_col_patch": ("图斑编号", "Patch"),
    "mon_col_type": ("类型", "Type"),
    "mon_col_area": ("面积（公顷）", "Area (ha)"),
    "mon_col_cells": ("{unit}数", "Number of {unit}"),
    "mon_col_change": ("现状 → 调查", "Base → survey"),
    "mon_col_lon": ("经度", "Longitude"),
    "mon_col_lat": ("纬度", "Latitude"),
    "mon_reason_row": ("{label}：{reason}", "{label}: {reason}"),
    # downloads
    "mon_downloads": ("下载", "Downloads"),
    "mon_dl_gpkg": ("疑似违法违规图斑（GeoPackage）", "Suspected violations (GeoPackage)"),
    "mon_dl_xlsx": ("分区域统计（Excel）", "Per-region tables (Excel)"),
    "mon_dl_html": ("监测简报（HTML）", "Monitoring briefing (HTML)"),
    "mon_dl_note": ("下载内容为完整的对照结果，不受上方筛选影响。",
                    "Downloads hold the whole comparison, not only the filtered view."),
    # survey upload
    "mon_upload_title": ("导入新一期调查", "Import a new survey"),
    "mon_upload_help": ("上传调查栅格（.tif，与本库同一网格）或矢量文件（GeoPackage、GeoJSON、zip 压缩的 "
                        "Shapefile），用本库的映射文件转换地类。",
                        "Upload a survey raster (.tif on the store's grid) or a vector file "
                        "(GeoPackage, GeoJSON, zipped Shapefile); its classes are mapped with "
                        "the store's mapping file."),
    "mon_upload_file": ("调查文件", "Survey file"),
    "mon_upload_year": ("调查年份", "Survey year"),
    "mon_upload_name": ("名称", "Name"),
    "mon_upload_replace": ("覆盖同名调查", "Replace a survey of the same name"),
    "mon_upload_button": ("导入调查", "Import survey"),
    "mon_upload_no_mapping": ("找不到本库的映射文件「{name}」，请在命令行导入并用 --mapping 指定。",
                              "The store's mapping file “{name}” was not found: import from the "
                              "command line with --mapping."),
    "mon_upload_done": ("已导入调查「{name}」：{n} 个{unit}，其中 {missing} 个无调查数据。",
                        "Imported survey “{name}”: {n} {unit}, {missing} without survey data."),
    "mon_upload_read_only": ("只读会话不能导入调查。", "A read-only session cannot import surveys."),
}
