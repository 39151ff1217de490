"""Where parcel stores live, and the demo store that is built on first use."""

from __future__ import annotations

import os
from pathlib import Path

from data.demo import build_demo

REPO_ROOT = Path(__file__).resolve().parent.parent


def store_dir() -> Path:
    """Folder of the parcel stores: ``$LANDALLOC_STORES`` or ``stores/`` in the repository."""
    return Path(os.environ.get("LANDALLOC_STORES", REPO_ROOT / "stores"))


def demo_store_path() -> Path:
    return store_dir() / "demo.duckdb"


def ensure_demo_store() -> Path:
    """The demo store, built (about 3 s) when it does not exist yet."""
    path = demo_store_path()
    if not path.exists():
        build_demo(path)
    return path


#: Sidecars kept next to a store (scenario library, monitoring surveys): not stores themselves.
SIDECAR_SUFFIXES = (".library.duckdb", ".surveys.duckdb")


def list_stores() -> list[Path]:
    """All parcel stores in :func:`store_dir`, the demo first (sidecars left out)."""
    stores = sorted(p for p in store_dir().glob("*.duckdb")
                    if not p.name.endswith(SIDECAR_SUFFIXES))
    return sorted(stores, key=lambda p: p.name != "demo.duckdb")
