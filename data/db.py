"""DuckDB connections and queries with bound parameters.

DuckDB 2.0 blocks a connection while an ``execute()`` result is unfinished, and a connection
is not thread-safe. Every read here therefore takes its own cursor and fetches everything,
so one shared connection can serve many Streamlit sessions.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

SQL_DIR = Path(__file__).parent / "sql"


class StoreError(RuntimeError):
    """A parcel store is missing, unreadable or not a parcel store; the message says the fix."""


def connect(path: str | Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open a parcel store.

    Parameters
    ----------
    path : str or Path
        The ``.duckdb`` file (``":memory:"`` for an empty in-memory database).
    read_only : bool
        Open read-only (the default): many processes may read one store at once.
    """
    if str(path) != ":memory:" and not Path(path).exists():
        raise StoreError(
            f"No parcel store at {path}. Build one with `python -m data build-demo --db {path}` "
            "or import your data with `python -m data import-parcels` / `import-raster`."
        )
    try:
        return duckdb.connect(str(path), read_only=read_only and str(path) != ":memory:")
    except duckdb.Error as exc:
        raise StoreError(f"Cannot open {path} as a DuckDB parcel store: {exc}") from exc


@cache
def load_sql(name: str) -> str:
    """Text of ``data/sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def query_df(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | dict | None = None
) -> pd.DataFrame:
    """Run ``sql`` with bound ``params`` on a fresh cursor and return the whole result."""
    cur = con.cursor()
    try:
        return cur.execute(sql, params).df()
    finally:
        cur.close()


def query(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | dict | None = None
) -> list[tuple]:
    """Run ``sql`` with bound ``params`` on a fresh cursor and return all rows."""
    cur = con.cursor()
    try:
        return cur.execute(sql, params).fetchall()
    finally:
        cur.close()
