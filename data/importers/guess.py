"""First guesses for an upload: which column is which, and which class each code is.

The data page shows these guesses for the planner to confirm. A guess is made only when the
evidence names one answer — a class name (耕地, Forest), a 三调 / GB/T 21010 code (0101, 03),
or a known land-cover code table that alone fits the codes (and, for a place-bound table such as
Wuhan's, the place). Anything else stays unguessed: an unknown code never gets a default role.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from data.importers.mapping import code_text

MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"

# ---- class names ---------------------------------------------------------------------------

#: Exact class names (三调 / GB/T 21010 / 土地利用现状 names, CAS LUCC names) → role.
NAMES: dict[str, str] = {
    **dict.fromkeys(("耕地", "水田", "水浇地", "旱地", "田坎", "农田", "旱田"), "cropland"),
    **dict.fromkeys(("园地", "果园", "茶园", "橡胶园", "其他园地", "种植园用地", "林地", "乔木林地",
                     "竹林地", "灌木林地", "其他林地", "有林地", "疏林地", "灌木林", "红树林地",
                     "森林沼泽", "灌丛沼泽", "森林", "落叶林", "常绿林"), "forest"),
    **dict.fromkeys(("草地", "天然牧草地", "人工牧草地", "其他草地", "沼泽草地", "高覆盖度草地",
                     "中覆盖度草地", "低覆盖度草地", "牧草地"), "grassland"),
    **dict.fromkeys(("水域", "水域及水利设施用地", "河流水面", "湖泊水面", "水库水面", "坑塘水面",
                     "沿海滩涂", "内陆滩涂", "沟渠", "沼泽地", "湿地", "滩地", "水体", "河渠", "湖泊",
                     "水库坑塘", "冰川及永久积雪", "永久性冰川雪地"), "water"),
    **dict.fromkeys(("建设用地", "城镇村及工矿用地", "城市", "建制镇", "村庄", "采矿用地",
                     "风景名胜及特殊用地", "城镇用地", "农村居民点", "其他建设用地", "工矿用地",
                     "住宅用地", "城镇住宅用地", "农村宅基地", "商业服务业用地", "商服用地",
                     "工矿仓储用地", "公共管理与公共服务用地", "交通运输用地", "特殊用地",
                     "铁路用地", "公路用地", "城镇村道路用地", "机场用地", "港口码头用地",
                     "管道运输用地", "水工建筑用地", "空闲地", "设施农用地", "工业用地",
                     "物流仓储用地", "城乡建设用地", "人造地表"), "built"),
    **dict.fromkeys(("未利用地", "其他土地", "盐碱地", "沙地", "裸土地", "裸岩石砾地", "裸地",
                     "戈壁", "荒漠", "裸岩", "其它未利用地", "其他未利用地"), "unused"),
}
#: Fallback: a Chinese name containing one of these (checked in this order) → role.
NAME_PARTS: tuple[tuple[str, str], ...] = (
    ("未利用", "unused"), ("建设", "built"), ("耕", "cropland"), ("水田", "cropland"),
    ("林", "forest"), ("园", "forest"), ("草", "grassland"), ("水", "water"), ("湖", "water"),
    ("河", "water"), ("滩", "water"), ("湿地", "water"), ("城", "built"), ("镇", "built"),
    ("村", "built"), ("住宅", "built"), ("工矿", "built"), ("交通", "built"), ("道路", "built"),
    ("裸", "unused"), ("沙", "unused"), ("荒", "unused"),
)
#: English words (lower case, singular) → role.
WORDS: dict[str, str] = {
    **dict.fromkeys(("cropland", "crop", "farmland", "arable", "agriculture", "agricultural",
                     "paddy", "rice", "cultivated", "cultivation", "field"), "cropland"),
    **dict.fromkeys(("forest", "woodland", "wood", "tree", "shrub", "shrubland", "orchard",
                     "plantation", "mangrove"), "forest"),
    **dict.fromkeys(("grassland", "grass", "pasture", "meadow", "rangeland", "savanna",
                     "herbaceous"), "grassland"),
    **dict.fromkeys(("water", "river", "lake", "reservoir", "pond", "wetland", "marsh", "swamp",
                     "sea", "waterbody"), "water"),
    **dict.fromkeys(("built", "urban", "construction", "residential", "settlement", "impervious",
                     "artificial", "industrial", "road", "building", "developed", "town",
                     "city", "village"), "built"),
    **dict.fromkeys(("unused", "barren", "bare", "sand", "desert", "rock", "gobi", "idle"),
                    "unused"),
}


def role_from_name(name: object) -> str | None:
    """The role a class name names (耕地 → cropland, "Built-up" → built), or None."""
    text = re.sub(r"[\s_\-·/()（）]+", "", str(name)).strip()
    if not text or text.isdigit():
        return None
    if text in NAMES:
        return NAMES[text]
    if re.search(r"[\u4e00-\u9fff]", text):
        return next((role for part, role in NAME_PARTS if part in text), None)
    words = [w.rstrip("s") if len(w) > 3 else w for w in re.findall(r"[a-z]+", str(name).lower())]
    roles = {WORDS[w] for w in words if w in WORDS}
    return roles.pop() if len(roles) == 1 else None


# ---- code tables ---------------------------------------------------------------------------

#: GB/T 21010-2017 / 三调 first-level codes → role (湿地 00 counted as water, 园地 02 as forest as in
#: data/mappings/example_vector.toml); exceptions by second-level code.
GBT_FIRST = {"00": "water", "01": "cropland", "02": "forest", "03": "forest", "04": "grassland",
             "05": "built", "06": "built", "07": "built", "08": "built", "09": "built",
             "10": "built", "11": "water", "12": "unused", "20": "built"}
GBT_EXCEPTIONS = {"1109": "built", "1201": "built", "1202": "built", "1203": "cropland"}


def role_from_gbt(code: object) -> str | None:
    """Role of a 三调 / GB/T 21010 code ("0101", "0301K", "03", "201"; 101 = "0101"), or None."""
    match = re.fullmatch(r"(\d{2,4})[A-Za-z]?", code_text(code))
    if match is None:
        return None
    digits = match.group(1)
    if len(digits) == 3:  # 三调 201..205 城镇村; otherwise an integer that lost its leading 0
        if digits.startswith("20"):
            return GBT_FIRST["20"]
        digits = "0" + digits
    if digits in GBT_EXCEPTIONS:
        return GBT_EXCEPTIONS[digits]
    if len(digits) == 2:
        return GBT_FIRST.get(digits)
    return GBT_FIRST.get(digits[:2]) if digits[:2] != "20" else None


@dataclass(frozen=True)
class CodeTable:
    """A known table of land-cover codes.

    ``classes`` maps a whole-number code to a class key: a role of the CAS class table, or a key
    of ``class_table`` when the table comes with its own classes (Wuhan: two forests).
    ``bounds`` (WGS 84 west, south, east, north) limits a place-bound table to its place.
    """

    key: str
    name_zh: str
    name_en: str
    classes: dict[int, str] = field(default_factory=dict)
    class_table: Path | None = None
    bounds: tuple[float, float, float, float] | None = None
    lookup: Callable[[object], str | None] | None = None  # text codes (三调) instead of classes
    #: Codes that name the table by themselves (0101, 11..67, 10..100). Small integers (1..9)
    #: are used by too many local tables to be recognised from the codes alone.
    distinctive: bool = True

    def resolve(self, code: object) -> str | None:
        """Class key of one code, or None when the table does not have it."""
        if self.lookup is not None:
            return self.lookup(code)
        text = code_text(code)
        if not re.fullmatch(r"-?\d+", text) or (len(text) > 1 and text.startswith("0")):
            return None  # "01" is a 三调 code, not code 1 of a raster table
        return self.classes.get(int(text))

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


def _wuhan() -> CodeTable:
    table = pd.read_csv(MAPPINGS / "wuhan_classes.csv")
    return CodeTable("wuhan", "武汉市土地覆被（PLUS 教程 7 类：1 草地 … 7 常绿林）",
                     "Wuhan land cover (PLUS tutorial, 7 classes: 1 grassland … 7 evergreen forest)",
                     dict(zip(table["code"].astype(int), table["key"], strict=True)),
                     class_table=MAPPINGS / "wuhan_classes.csv",
                     bounds=(113.6, 29.95, 114.65, 30.85))


CODE_TABLES: tuple[CodeTable, ...] = (
    _wuhan(),
    CodeTable("app", "本系统六类（1 耕地 2 林地 3 草地 4 水域 5 建设用地 6 未利用地）",
              "This app's six classes (1 cropland … 6 unused)",
              {1: "cropland", 2: "forest", 3: "grassland", 4: "water", 5: "built", 6: "unused"},
              distinctive=False),
    CodeTable("gbt", "三调 / GB/T 21010 地类编码", "三调 / GB/T 21010 land-use codes",
              lookup=role_from_gbt),
    CodeTable("resdc", "中国科学院土地利用分类（11 水田 … 67 裸岩石质地）",
              "CAS / RESDC land-use classes (11 paddy … 67 bare rock)",
              {11: "cropland", 12: "cropland", 21: "forest", 22: "forest", 23: "forest",
               24: "forest", 31: "grassland", 32: "grassland", 33: "grassland", 41: "water",
               42: "water", 43: "water", 44: "water", 45: "water", 46: "water", 51: "built",
               52: "built", 53: "built", 61: "unused", 62: "unused", 63: "unused", 64: "water",
               65: "unused", 66: "unused", 67: "unused", 99: "water"}),
    CodeTable("clcd", "CLCD 中国土地覆盖（1 耕地 … 9 湿地）",
              "CLCD China land cover (1 cropland … 9 wetland)",
              {1: "cropland", 2: "forest", 3: "forest", 4: "grassland", 5: "water",
               6: "unused", 7: "unused", 8: "built", 9: "water"}, distinctive=False),
    CodeTable("worldcover", "ESA WorldCover（10 林地 … 100 苔藓）",
              "ESA WorldCover (10 tree cover … 100 moss)",
              {10: "forest", 20: "forest", 30: "grassland", 40: "cropland", 50: "built",
               60: "unused", 70: "unused", 80: "water", 90: "water", 95: "forest",
               100: "grassland"}),
    CodeTable("globeland30", "GlobeLand30（10 耕地 … 100 冰雪）",
              "GlobeLand30 (10 cultivated … 100 snow and ice)",
              {10: "cropland", 20: "forest", 30: "grassland", 40: "forest", 50: "water",
               60: "water", 70: "grassland", 80: "built", 90: "unused", 100: "unused"}),
    CodeTable("esri", "Esri 10 米土地覆盖（1 水体 … 11 牧草地）",
              "Esri 10 m land cover (1 water … 11 rangeland)",
              {1: "water", 2: "forest", 4: "water", 5: "cropland", 7: "built", 8: "unused",
               9: "unused", 11: "grassland"}, distinctive=False),
)
TABLES_BY_KEY = {table.key: table for table in CODE_TABLES}


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def fitting_tables(codes: Iterable[object],
                   bounds: tuple[float, float, float, float] | None = None) -> list[CodeTable]:
    """Code tables that have every code (place-bound tables only where ``bounds`` meet theirs)."""
    codes = list(codes)
    return [table for table in CODE_TABLES
            if codes and all(table.resolve(c) is not None for c in codes)
            and (table.bounds is None or (bounds is not None and _overlaps(table.bounds, bounds)))]


def recognise(codes: Iterable[object], bounds: tuple[float, float, float, float] | None = None,
              column: str | None = None) -> CodeTable | None:
    """The one code table the codes come from, or None when none or several fit.

    A place-bound table that fits its place wins (Wuhan's 1..7 inside Wuhan); a vector column
    named ``land_use`` holding 1..6 is this app's own export. Otherwise exactly one table must
    fit, and its codes must be distinctive: 1..7 outside Wuhan could be CLCD or any local
    numbering, so nothing is guessed and the page shows the raw codes.
    """
    fits = fitting_tables(codes, bounds)
    placed = [t for t in fits if t.bounds is not None]
    if placed:
        return placed[0]
    if column == "land_use" and any(t.key == "app" for t in fits):
        return TABLES_BY_KEY["app"]
    return fits[0] if len(fits) == 1 and fits[0].distinctive else None


def guess_classes(codes: Iterable[object], table: CodeTable | None) -> dict[str, str | None]:
    """Class key guessed for each code (by ``code_text``): from the table, else from its name."""
    if table is not None:
        return {code_text(c): table.resolve(c) for c in codes}
    return {code_text(c): role_from_name(c) for c in codes}


# ---- columns --------------------------------------------------------------------------------

ID_NAMES = ("parcel_id", "bsm", "tbbh", "objectid", "fid", "id", "标识码", "图斑编号", "编号")
CLASS_NAMES = ("land_use", "dlbm", "dlmc", "landuse", "land_cover", "class", "lucc", "type",
               "地类编码", "地类名称", "地类")
REGION_NAMES = ("region", "xzqmc", "zldwmc", "xzmc", "township", "district", "county", "town",
                "乡镇", "行政区", "区县", "坐落单位名称", "name")
ZONE_NAMES: dict[str, tuple[str, ...]] = {
    "is_basic_farmland": ("is_basic_farmland", "sfjbnt", "jbnt", "jbnttb", "永久基本农田",
                          "基本农田", "basic_farmland"),
    "is_red_line": ("is_red_line", "stbhhx", "sfsthx", "sthx", "生态保护红线", "红线", "red_line"),
    "in_urban_boundary": ("in_urban_boundary", "czkfbj", "sfczkfbj", "kfbj", "城镇开发边界",
                          "开发边界", "urban_boundary"),
}
YES_NO = {"1", "0", "true", "false", "t", "f", "yes", "no", "y", "n", "是", "否", ""}


def _by_name(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def is_flag_column(values: pd.Series) -> bool:
    """Whether a column holds yes/no values (1/0, true/false, 是/否; empty = no)."""
    words = {"" if pd.isna(v) else str(v).strip().lower().removesuffix(".0") for v in
             values.unique()[:50]}
    return words <= YES_NO


def guess_columns(frame: pd.DataFrame) -> dict[str, str | None]:
    """Source column guessed for ``parcel_id``, ``land_use``, ``region`` and each zone flag."""
    columns = [str(c) for c in frame.columns if c != getattr(frame, "_geometry_column_name", None)
               and str(c) != "geometry"]
    guess: dict[str, str | None] = {
        "parcel_id": _by_name(columns, ID_NAMES) or _unique_column(frame, columns),
        "land_use": _by_name(columns, CLASS_NAMES) or _class_column(frame, columns),
        "region": _by_name(columns, REGION_NAMES),
    }
    for flag, names in ZONE_NAMES.items():
        column = _by_name(columns, names)
        guess[flag] = column if column is not None and is_flag_column(frame[column]) else None
    return guess


def _unique_column(frame: pd.DataFrame, columns: list[str]) -> str | None:
    return next((c for c in columns if frame[c].notna().all() and frame[c].is_unique), None)


def _class_column(frame: pd.DataFrame, columns: list[str]) -> str | None:
    """The column whose values are most often class names or 三调 codes."""
    def hits(column: str) -> int:
        values = frame[column].dropna().unique()[:100]
        return sum(role_from_name(v) is not None or role_from_gbt(v) is not None for v in values)
    best = max(columns, key=hits, default=None)
    return best if best is not None and hits(best) > 0 else None
