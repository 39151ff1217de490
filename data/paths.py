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


def list_stores() -> list[Path]:
    """All ``.duckdb`` stores in :func:`store_dir`, the demo first."""
    stores = sorted(store_dir().glob("*.duckdb"))
    return sorted(stores, key=lambda p: p.name != "demo.duckdb")
