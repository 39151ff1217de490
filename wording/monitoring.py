"""Shared words of monitoring (监测评估, issue 16): violation types, deviations from the plan,
traffic-light statuses and their reasons — used by the monitoring page, its exports and the
briefing section alike."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # suspected violation types (data.monitoring.compare.VIOLATION_TYPES)
    "mon_type_red_line": ("生态保护红线内变化", "Change inside the ecological red line"),
    "mon_type_basic_farmland": ("永久基本农田非农化", "Basic farmland lost to other uses"),
    "mon_type_no_change": ("禁止转换区内变化", "Change inside a no-change mask"),
    "mon_type_outside_boundary": ("城镇开发边界外新增建设", "New construction outside the urban "
                                  "development boundary"),
    "mon_type_cropland_unbalanced": ("耕地占补不平衡", "Cropland taken without compensation"),
    "mon_unchecked": ("未检查「{type}」：本数据库没有{zone}。", "“{type}” not checked: this store "
                      "has no {zone}."),
    "mon_zone_is_red_line": ("生态保护红线", "ecological red line"),
    "mon_zone_is_basic_farmland": ("永久基本农田", "basic farmland"),
    "mon_zone_no_conversion": ("禁止转换区", "no-change mask"),
    "mon_zone_in_urban_boundary": ("城镇开发边界", "urban development boundary"),
    "mon_zone_cropland": ("耕地类", "cropland class"),
    # deviations from the plan (data.monitoring.compare.DEVIATIONS)
    "mon_dev_unchanged": ("未变化", "Unchanged"),
    "mon_dev_as_planned": ("按规划实施", "Realised as planned"),
    "mon_dev_not_realised": ("规划未实施", "Planned, not realised"),
    "mon_dev_unplanned": ("规划外变化", "Change not in the plan"),
    "mon_dev_different": ("与规划用途不同", "Changed to another use than planned"),
    "mon_dev_no_data": ("无调查数据", "No survey data"),
    # progress status and reasons (data.monitoring.compare.traffic_light)
    "mon_status_green": ("正常", "On track"),
    "mon_status_amber": ("预警", "Watch"),
    "mon_status_red": ("超标/偏离", "Off track"),
    "mon_reason_cap_exceeded": ("已超过上限", "cap already exceeded"),
    "mon_reason_floor_broken": ("已低于下限", "below the floor"),
    "mon_reason_within_limits": ("在指标范围内", "within its limits"),
    "mon_reason_held": ("保持不变", "held as planned"),
    "mon_reason_unplanned_change": ("规划不变但已变化", "changed where the plan keeps it"),
    "mon_reason_moving_away": ("与规划方向相反", "moving away from the plan"),
    "mon_reason_behind": ("进度滞后", "behind schedule"),
    "mon_reason_ahead": ("进度超前", "ahead of schedule"),
    "mon_reason_on_track": ("进度正常", "on schedule"),
    "mon_kind_target": ("规划指标", "Plan target"),
    "mon_kind_plan": ("规划地类面积", "Planned class area"),
}
