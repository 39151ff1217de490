"""Importers for real data: vector parcels (三调 图斑, any polygon layer) and land-cover rasters.

Both end in :func:`data.store.write_store` (atomic: a failed import never touches an existing
store) and return an :class:`ImportReport`. Bad input raises :class:`DataImportError` whose
message names the problem and the fix.
"""

from data.importers.errors import DataImportError
from data.importers.mapping import Mapping, load_mapping
from data.importers.report import ImportReport

__all__ = ["DataImportError", "ImportReport", "Mapping", "load_mapping"]
