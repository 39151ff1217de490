"""What an import did: counts, class areas, aggregation error and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass
class ImportReport:
    """Summary of one import, printed by the CLI.

    Attributes
    ----------
    db_path : Path
        The store written.
    n_parcels, n_regions : int
        Parcels and regions in the store.
    n_repaired : int
        Invalid geometries repaired with ``shapely.make_valid`` (vector imports).
    n_rejected : int
        Features rejected: empty, null or unrepairable geometry (vector imports).
    n_dropped : int
        Grid cells dropped: no valid land-use pixel, or outside all regions (raster imports).
    class_area_ha : dict
        Area by role key (ha) as stored (majority / parcel class).
    aggregation_error : dict
        Raster imports: per role key, parcel-class area minus the raster's pixel area, in ha
        and in % of the pixel area (``{"forest": {"ha": -12.3, "pct": -0.4}}``).
    grain : DataFrame, optional
        Raster imports: the majority rule's class area error (%) at candidate cell sizes
        (``cell_m``, one column per class, ``worst_pct``).
    warnings : list of str
        Things that were fixed or assumed on the way.
    seconds : float
        Wall time of the import.
    """

    db_path: Path
    n_parcels: int = 0
    n_regions: int = 0
    n_repaired: int = 0
    n_rejected: int = 0
    n_dropped: int = 0
    class_area_ha: dict[str, float] = field(default_factory=dict)
    aggregation_error: dict[str, dict[str, float]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    grain: pd.DataFrame | None = None

    def recommended_cell_m(self, limit_pct: float = 5.0) -> float | None:
        """The coarsest cell size keeping every class within ``limit_pct`` (raster imports)."""
        if self.grain is None:
            return None
        fine = self.grain.loc[self.grain["worst_pct"] <= limit_pct, "cell_m"]
        return float(fine.max() if len(fine) else self.grain["cell_m"].min())

    def format(self) -> str:
        """A readable multi-line summary."""
        lines = [
            f"Wrote {self.db_path} in {self.seconds:.1f} s",
            f"  parcels: {self.n_parcels:,}   regions: {self.n_regions}",
            f"  repaired: {self.n_repaired:,}   rejected: {self.n_rejected:,}   "
            f"dropped: {self.n_dropped:,}",
            "  class areas (ha):",
        ]
        for key, area in self.class_area_ha.items():
            line = f"    {key:<18} {area:>14,.1f}"
            if key in self.aggregation_error:
                err = self.aggregation_error[key]
                line += f"   vs raster {err['ha']:+,.1f} ha ({err['pct']:+.2f} %)"
            lines.append(line)
        lines += self._grain_lines()
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _grain_lines(self) -> list[str]:
        if self.grain is None:
            return []
        lines = ["  class area error of the majority rule by cell size (% of the raster's area):"]
        for row in self.grain.itertuples(index=False):
            lines.append(f"    {row.cell_m:>7g} m   worst {row.worst_pct:6.2f} %")
        best = self.recommended_cell_m()
        lines.append(f"  recommended: with the majority rule, cells of {best:g} m or finer keep every "
                     "class within 5 %; at a coarser grain use --land-use-rule preserve_area "
                     "(class areas kept to about one cell; class shares are stored either way)")
        return lines
