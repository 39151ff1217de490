"""The dashboard's view of the one wording catalogue (:mod:`wording`)."""

from __future__ import annotations

from wording import LANGUAGES, TEXT, translate

__all__ = ["LANGUAGES", "TEXT", "translate"]
