"""The importers' error type (defined in :mod:`data.errors`, shared with class tables)."""

from data.errors import DataImportError, examples

__all__ = ["DataImportError", "examples"]
