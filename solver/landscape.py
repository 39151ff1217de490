"""The solver's view of a study region: plain numpy arrays, no geometry, no database.

The data layer (``data.landscape.load_landscape``) fills a :class:`Landscape` from a parcel
store; tests build small ones by hand. Everything here is in natural units (ha, metres,
yuan, tonnes); :func:`solver.instance.build_instance` scales to integers once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Roles the rules understand. A store's class table gives each of its classes (any key, any
#: number of classes) one of these roles; several classes may share a role (e.g. deciduous and
#: evergreen forest, or rice and coconut both cropland-like).
ROLES: tuple[str, ...] = ("cropland", "forest", "grassland", "water", "built", "unused")
CLASS_KEYS = ROLES  # the six CAS classes use their role as key
ECOLOGICAL_KEYS: frozenset[str] = frozenset({"forest", "grassland", "water"})


@dataclass(frozen=True, eq=False)
class Landscape:
    """Parcels, their attributes and per-use values of one study region.

    Parameters
    ----------
    parcel_id : (n,) int64
        Store parcel ids, used only to label results.
    region : (n,) int32
        Region index 0..R-1 of each parcel (into ``region_names``).
    region_names : tuple of str
        Display name of each region (Chinese), length R.
    class_keys : tuple of str
        The store's own class keys (unique), length K.
    class_roles : tuple of str, optional
        The role (one of :data:`ROLES`) of each class, length K; defaults to the keys (the
        six CAS classes are their own roles).
    class_names_zh, class_names_en : tuple of str, optional
        Display names of the classes (demand tables may name classes by them).
    region_names_en : tuple of str, optional
        English names of the regions ("" where a store has none), for English labels.
    class_codes : tuple of int
        Store code of each class, length K (to write results back).
    current : (n,) int32
        Index into ``class_keys`` of each parcel's current use (the baseline).
    area_ha : (n,) float64
        Parcel area in hectares.
    basic_farmland, red_line, urban_boundary, no_conversion : (n,) bool
        永久基本农田, 生态保护红线, inside 城镇开发边界, and a no-change mask
        (e.g. water protection).
    farmland_grade : (n,) int32
        耕地质量等别 1 (best) .. 15 (worst); 0 where unknown.
    suitability : (n, K) float64
        双评价-style suitability of each parcel for each class, 0..100.
    edges : (m, 2) int64
        Neighbour pairs as parcel indices with i < j.
    edge_length_m : (m,) float64
        Shared boundary length of each pair in metres.
    esv_yuan_per_ha : (K,) float64
        Ecosystem service value of one hectare of each class (yuan/ha/yr).
    carbon_t_per_ha : (K,) float64
        Carbon storage of one hectare of each class (t C/ha, four pools summed).
    grain_t_per_ha : (n,) float64
        Grain production capacity of the parcel if it is cropland (t/ha/yr), from its grade.
    region_population : (R,) float64
        Population of each region (persons); NaN where unknown.
    learned_suitability : (n, K) float64, optional
        Suitability learned from observed change (0..100), when the store has it; a scenario
        uses it instead of ``suitability`` with ``[suitability] source = "learned"``.
    """

    parcel_id: np.ndarray
    region: np.ndarray
    region_names: tuple[str, ...]
    class_keys: tuple[str, ...]
    class_codes: tuple[int, ...]
    current: np.ndarray
    area_ha: np.ndarray
    basic_farmland: np.ndarray
    red_line: np.ndarray
    urban_boundary: np.ndarray
    no_conversion: np.ndarray
    farmland_grade: np.ndarray
    suitability: np.ndarray
    edges: np.ndarray
    edge_length_m: np.ndarray
    esv_yuan_per_ha: np.ndarray
    carbon_t_per_ha: np.ndarray
    grain_t_per_ha: np.ndarray
    region_population: np.ndarray = field(default_factory=lambda: np.zeros(0))
    class_roles: tuple[str, ...] | None = None
    class_names_zh: tuple[str, ...] = ()
    class_names_en: tuple[str, ...] = ()
    region_names_en: tuple[str, ...] = ()
    learned_suitability: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.class_roles is None:
            object.__setattr__(self, "class_roles", tuple(self.class_keys))

    def region_label(self, name: str, lang: str) -> str:
        """A region (given by its Chinese name, as lever keys name it) in ``lang``: the
        English name when the store has one, else the Chinese name."""
        if lang == "zh" or name not in self.region_names or not self.region_names_en:
            return name
        english = self.region_names_en[self.region_names.index(name)]
        return english or name

    @property
    def n_parcels(self) -> int:
        return int(self.parcel_id.shape[0])

    @property
    def n_classes(self) -> int:
        return len(self.class_keys)

    @property
    def n_regions(self) -> int:
        return len(self.region_names)

    def class_index(self, key: str) -> int:
        """Index of class ``key``; else of the only class with that role; -1 otherwise."""
        if key in self.class_keys:
            return self.class_keys.index(key)
        with_role = self.role_classes(key)
        return with_role[0] if len(with_role) == 1 else -1

    def role_classes(self, *roles: str) -> list[int]:
        """Indices of the classes whose role is one of ``roles``."""
        return [c for c, role in enumerate(self.class_roles) if role in roles]

    def in_role(self, uses: np.ndarray, *roles: str) -> np.ndarray:
        """Boolean mask: ``uses`` (class indices) has one of ``roles``."""
        return np.isin(uses, self.role_classes(*roles))

    def class_lookup(self, name: str) -> int:
        """Index of a class given by key, code (as text), Chinese or English name, or a role
        that only one class has; -1 if unknown."""
        text = str(name).strip()
        if text in self.class_keys:
            return self.class_keys.index(text)
        codes = [str(c) for c in self.class_codes]
        if text in codes:
            return codes.index(text)
        for column in (self.class_names_zh, self.class_names_en):
            if text in column:
                return column.index(text)
        return self.class_index(text)

    def area_by_class(self, assignment: np.ndarray) -> np.ndarray:
        """Hectares of each class under an assignment (class index per parcel)."""
        return np.bincount(assignment, weights=self.area_ha, minlength=self.n_classes)

    def check_shapes(self) -> None:
        """Raise ``ValueError`` naming the first array whose shape does not fit."""
        n, k = self.n_parcels, self.n_classes
        expected = {
            "region": (n,), "current": (n,), "area_ha": (n,), "basic_farmland": (n,),
            "red_line": (n,), "urban_boundary": (n,), "no_conversion": (n,),
            "farmland_grade": (n,), "suitability": (n, k), "esv_yuan_per_ha": (k,),
            "carbon_t_per_ha": (k,), "grain_t_per_ha": (n,),
            "edge_length_m": (self.edges.shape[0],),
        }
        if self.learned_suitability is not None:
            expected["learned_suitability"] = (n, k)
        for name, shape in expected.items():
            actual = getattr(self, name).shape
            if actual != shape:
                raise ValueError(f"Landscape.{name} has shape {actual}, expected {shape}")
        if len(self.class_roles) != k or set(self.class_roles) - set(ROLES):
            raise ValueError(f"Landscape.class_roles {self.class_roles} must give each of the "
                             f"{k} classes one role of {ROLES}")
        if self.edges.ndim != 2 or (self.edges.size and self.edges.shape[1] != 2):
            raise ValueError(f"Landscape.edges must be (m, 2), got {self.edges.shape}")
