"""Lever names and labels (zh/en): one entry per lever of a scenario or a period plan.

A lever has one *name*, what explanations, suggestions and sweep notes call it, and one
*label*, that name with its unit as widgets, tables and the briefing report show it
(耕地保有量 → 耕地保有量（占现状 %）). A per-region lever is named after its whole-area lever
({region}耕地保有量; 分乡镇耕地保有量（占现状 %）). Catalogue keys made from an entry:
``<lever key>`` the label, ``lever.<lever key>`` the name, ``help.<lever key>`` the help text.
"""

from __future__ import annotations

from dataclasses import dataclass

Pair = tuple[str, str]


@dataclass(frozen=True)
class Words:
    """A lever's name (zh, en), the unit its label adds, and a widget's help text."""

    name: Pair
    unit: Pair | None = None
    help: Pair | None = None


PCT_OF_CURRENT: Pair = ("占现状 %", "% of current")
PCT_OF_AREA: Pair = ("占总面积 %", "% of total area")
HECTARES: Pair = ("公顷", "ha")

LEVERS: dict[str, Words] = {
    "farmland.quota_pct": Words(("耕地保有量", "farmland quota"), PCT_OF_CURRENT),
    "farmland.quota_ha": Words(("耕地保有量", "farmland quota"), HECTARES),
    "farmland.keep_basic_farmland": Words(("永久基本农田保持为耕地",
                                           "Basic farmland stays cropland")),
    "farmland.balance": Words(("耕地占补平衡", "cropland requisition–compensation balance")),
    "farmland.balance_quality_weighted": Words(("占补平衡按粮食产能计",
                                                "Balance measured in grain capacity")),
    "ecology.red_line_mode": Words(("生态保护红线", "Ecological red line")),
    "ecology.min_ecological_pct": Words(("生态用地下限", "minimum ecological land"),
                                        PCT_OF_CURRENT),
    "growth.min_new_built_ha": Words(("新增建设用地下限", "minimum new construction land"),
                                     HECTARES),
    "growth.max_new_built_ha": Words(("新增建设用地上限", "maximum new construction land"),
                                     HECTARES),
    "growth.only_inside_boundary": Words(("新增建设仅限城镇开发边界内",
                                          "New construction only inside the urban boundary")),
    "growth.expansion_cap": Words(("建设用地扩展系数上限", "construction land expansion cap"),
                                  ("×现状", "× current")),
    "conversion.allow_reclamation": Words(("允许建设用地复垦",
                                           "Allow reclamation of built-up land")),
    "conversion.water_fixed": Words(("水域保持不变", "Water stays water")),
    "conversion.max_changed_pct": Words(("转换总量上限", "conversion budget"), PCT_OF_AREA),
    "conversion.forbidden": Words(("禁止的转换", "Forbidden conversions")),
    "demand.rows": Words(("规划指标表", "Area targets")),
    "weights.suitability": Words(("适宜性 / 经济效益", "Suitability / economic benefit")),
    "weights.ecology": Words(("生态系统服务价值", "Ecosystem service value")),
    "weights.food": Words(("粮食生产能力", "Grain capacity")),
    "weights.carbon": Words(("碳储量", "Carbon storage")),
    "weights.compactness": Words(("紧凑度（同类相邻）", "Compactness (like neighbours)")),
    "weights.conversion_cost": Words(("转换成本", "Conversion cost")),
    "suitability.source": Words(
        ("适宜性来源", "Suitability source"),
        help=("适宜性评分的来源：按权重规则打分，或从两期土地利用图的实际变化中学习。",
              "Where the suitability scores come from: hand-set weighting rules, or learned "
              "from the observed change between two land-use maps.")),
    "solver.time_limit_s": Words(("求解时限", "Time limit"), ("秒", "s")),
    "solver.workers": Words(("并行线程数", "Search workers")),
    "solver.seed": Words(("随机种子", "Random seed")),
    "solver.target_gap_pct": Words(("目标最优性差距", "Target optimality gap"), ("%", "%")),
    # a period plan's own lever (solver.periods.Period.max_period_changed_pct)
    "periods.max_period_changed_pct": Words(
        ("本期转换上限", "conversion cap within the period"), PCT_OF_AREA),
}
#: Per-region lever → the whole-area lever it is named after.
PER_REGION: dict[str, str] = {
    "farmland.region_quota_pct": "farmland.quota_pct",
    "growth.region_min_new_built_ha": "growth.min_new_built_ha",
    "growth.region_max_new_built_ha": "growth.max_new_built_ha",
}
REGION_NAME: Pair = ("{region}{name}", "{name} of {region}")
REGION_LABEL: Pair = ("分乡镇{name}", "{name} by township")
#: Words of a lever's choices and of a demand-table row.
OTHER: dict[str, Pair] = {
    "red_line_locked": ("锁定现状用途", "locked to current use"),
    "red_line_ecological_only": ("仅限生态用地间转换", "ecological uses only"),
    "red_line_off": ("不约束", "not enforced"),
    "suitability_rules": ("规则评分", "Hand-set rules"),
    "suitability_learned": ("变化学习（{start}→{end}）", "Learned from change ({start}→{end})"),
    "suitability_learned_plain": ("变化学习", "Learned from change"),
    "lever_demand": ("{region}{name}规划指标", "demand for {name}{region}"),
    "lever_demand_region": ("{region}", " in {region}"),
}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _with_unit(name: Pair, unit: Pair | None) -> Pair:
    """The label: the name (English capitalised) followed by the unit in brackets."""
    zh, en = name[0], _capitalised(name[1])
    if unit is None:
        return zh, en
    return f"{zh}（{unit[0]}）", f"{en} ({unit[1]})"


def _region_words(key: str) -> Words:
    """A per-region lever's words, from its whole-area lever (``{region}`` left to fill)."""
    whole = LEVERS[PER_REGION[key]]
    name = tuple(t.replace("{name}", n) for t, n in zip(REGION_NAME, whole.name, strict=True))
    return Words(name, whole.unit)  # type: ignore[arg-type]


def words(key: str) -> Words:
    """The entry of a lever key (whole-area or per-region); KeyError for an unknown key."""
    return _region_words(key) if key in PER_REGION else LEVERS[key]


def names(key: str) -> Pair:
    """``(zh, en)`` name of a lever; a per-region lever's still holds ``{region}``."""
    return words(key).name


def labels(key: str) -> Pair:
    """``(zh, en)`` label of a lever: its name with its unit."""
    if key in PER_REGION:
        whole = LEVERS[PER_REGION[key]]
        name = tuple(t.format(name=n) for t, n in zip(REGION_LABEL, whole.name, strict=True))
        return _with_unit(name, whole.unit)  # type: ignore[arg-type]
    entry = LEVERS[key]
    return _with_unit(entry.name, entry.unit)


def name(key: str, lang: str, /, **values: object) -> str:
    """A lever's name in ``lang``; a per-region lever takes ``region=``."""
    text = names(key)[0 if lang == "zh" else 1]
    return text.format(**values) if values else text


def label(key: str, lang: str) -> str:
    """A lever's label (name with unit) in ``lang``."""
    return labels(key)[0 if lang == "zh" else 1]


def known(key: str) -> bool:
    """Whether ``key`` is a lever of this catalogue."""
    return key in LEVERS or key in PER_REGION


def help_key(key: str) -> str | None:
    """Catalogue key of a lever's help text (None: the lever has none)."""
    return f"help.{key}" if key in LEVERS and LEVERS[key].help else None


def demand_name(lang: str, class_name: str, region: str = "") -> str:
    """Name of a demand-table row: the class, in ``region`` when the row names one."""
    i = 0 if lang == "zh" else 1
    where = OTHER["lever_demand_region"][i].format(region=region) if region else ""
    return OTHER["lever_demand"][i].format(region=where, name=class_name)


def _text() -> dict[str, Pair]:
    keys = (*LEVERS, *PER_REGION)
    text: dict[str, Pair] = {key: labels(key) for key in keys}
    text |= {f"lever.{key}": names(key) for key in keys}
    text |= {help_key(key): LEVERS[key].help for key in LEVERS if help_key(key)}
    return text | OTHER


TEXT: dict[str, Pair] = _text()
