"""Words of the monitoring exports: workbook sheets, GeoPackage fields, briefing section."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {}
