"""Scenario library: saved scenarios with their results, next to an immutable parcel store.

The parcel store ``<stem>.duckdb`` is opened read-only by every process, so saved scenarios
live in a sidecar file ``<stem>.library.duckdb`` in the same folder (:func:`library_path`).
Schema: ``data/sql/library_schema.sql``; statements: ``data/sql/library_queries.sql``.

Write path, designed for many Streamlit sessions (threads) and several processes at once:

- every operation opens a short-lived connection, does its work in **one transaction** and
  closes, so a save killed at any moment leaves the whole scenario or nothing (DuckDB's WAL
  only replays committed transactions);
- DuckDB lets one process at a time open a file read-write; a second process gets a lock
  error, and two threads writing the same rows get a transaction conflict. Both are retried
  with jittered exponential backoff for :data:`RETRY_BUDGET_S`, then surface as
  :class:`LibraryBusyError` with a plain message — never as a raw "database is locked";
- operations of one process are serialised by a lock per library file, so threads never race
  into conflicts (or into DuckDB's instance open/close) in the first place.

Two kinds of entry share one name space and one list: a single-period scenario
(``kind='single'``, :func:`save_scenario`) and a period plan (``kind='periods'``,
:func:`save_period_plan`), which also keeps every parcel's use at the end of each period.
Layout 2 added the kind; a library of layout 1 is migrated in place on first use
(``data/sql/library_migrate_v2.sql``: two columns with defaults and a new table, nothing lost).

A saved scenario is found by name or by its share token (``?scenario=<token>``): 16
URL-safe characters from :func:`secrets.token_urlsafe`, unguessable and kept across
overwrite and rename, so a shared link follows the scenario.
"""

from __future__ import annotations

import json
import math
import random
import re
import secrets
import threading
import time
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import numpy as np
import pandas as pd

from data.db import connect, load_sql

SCHEMA_VERSION = 2       # library_meta.schema_version this module reads and writes
RETRY_BUDGET_S = 5.0     # how long an operation retries a library locked by another process
QUEUE_TIMEOUT_S = 60.0   # how long a thread waits for its turn behind this process's others
MAX_NAME_LENGTH = 80     # characters; names show up in tables, file names and share dialogs
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
INDICATOR_COLUMNS = ["indicator", "group", "scope_type", "scope", "value", "unit", "baseline",
                     "change", "label_zh", "label_en"]
LIST_COLUMNS = ["name", "preset", "status", "objective", "best_bound", "gap", "wall_time_s",
                "n_parcels", "n_changed", "changed_area_ha", "store_version", "created_at",
                "saved_at", "token", "kind", "n_periods", "stale"]
T = TypeVar("T")


class LibraryError(RuntimeError):
    """A library operation failed; the message says what and how to fix it."""


class LibraryBusyError(LibraryError):
    """The library stayed locked by other writers for the whole retry budget."""


class ScenarioNameError(LibraryError, ValueError):
    """A scenario name is empty, too long or contains control characters."""


class ScenarioExistsError(LibraryError):
    """A scenario of that name exists and ``overwrite`` was not asked for."""


class ScenarioNotFoundError(LibraryError, KeyError):
    """No saved scenario has that name or share token."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, eq=False)
class SavedScenario:
    """A saved scenario with its result, as loaded from the library.

    Attributes
    ----------
    name, token, preset, scenario_toml : str
        Name, share token, preset key and the full ``Scenario.to_toml()`` text.
    status : str
        Solver status (``OPTIMAL``, ``FEASIBLE``, ...).
    objective, best_bound, gap, wall_time_s : float or None
        Solver figures (gap relative, 0.01 = 1 %).
    summary : dict
        The whole result summary given at save time.
    assignment : DataFrame
        ``parcel_id, land_use`` (code), ordered by parcel id.
    indicators : DataFrame
        The tidy indicator table (:data:`INDICATOR_COLUMNS`) in its saved row order.
    store_version, current_store_version : str
        ``meta.version`` of the parcel store at save time and now.
    created_at, saved_at : datetime
        UTC, timezone-aware.
    """

    name: str
    token: str
    preset: str
    scenario_toml: str
    status: str
    objective: float | None
    best_bound: float | None
    gap: float | None
    wall_time_s: float | None
    summary: dict[str, Any]
    assignment: pd.DataFrame
    indicators: pd.DataFrame
    store_version: str
    current_store_version: str
    created_at: datetime
    saved_at: datetime
    n_changed: int = 0
    changed_area_ha: float = 0.0
    kind: str = "single"
    period_uses: pd.DataFrame | None = None

    @property
    def is_period_plan(self) -> bool:
        """True for a period plan (``scenario_toml`` is then a ``PeriodScenario`` TOML)."""
        return self.kind == "periods"

    @property
    def uses_compactness(self) -> bool:
        """Whether the saved levers weight compactness (its layout is then heuristic), for a
        single scenario and a period plan alike (base levers or any period's override)."""
        try:
            levers = tomllib.loads(self.scenario_toml)
        except tomllib.TOMLDecodeError:
            return False
        sections = [levers, *(p for p in levers.get("periods", []) if isinstance(p, dict))]
        return any(float((section.get("weights") or {}).get("compactness") or 0) > 0
                   for section in sections)

    @property
    def stale(self) -> bool:
        """True when the parcel store changed since the scenario was saved."""
        return self.store_version != self.current_store_version

    def codes_for(self, parcel_ids: np.ndarray) -> np.ndarray:
        """Land-use codes in the order of ``parcel_ids``.

        Raises
        ------
        LibraryError
            Some parcels have no code (the store changed its parcels since the save).
        """
        codes = pd.Series(self.assignment["land_use"].to_numpy(),
                          index=self.assignment["parcel_id"].to_numpy()).reindex(parcel_ids)
        if codes.isna().any():
            raise LibraryError(
                f"scenario '{self.name}' has no land use for {int(codes.isna().sum())} parcels "
                "of the current store: the store's parcels changed since it was saved "
                f"(saved against version {self.store_version}, now {self.current_store_version})."
                " Re-solve the scenario and save it again.")
        return codes.to_numpy(dtype=np.int64)

    def codes_by_period(self, parcel_ids: np.ndarray) -> np.ndarray:
        """(n, T) land-use codes of a period plan at the end of each period, in the order of
        ``parcel_ids``.

        Raises
        ------
        LibraryError
            Not a period plan, or some parcels have no code (the store changed).
        """
        if self.period_uses is None:
            raise LibraryError(f"'{self.name}' is a single-period scenario, not a period plan")
        wide = self.period_uses.pivot(index="parcel_id", columns="period", values="land_use")
        aligned = wide.reindex(parcel_ids)
        if aligned.isna().any().any():
            raise LibraryError(
                f"period plan '{self.name}' has no land use for some parcels of the current "
                "store: the store's parcels changed since it was saved. Solve the plan again "
                "and save it again.")
        return aligned.to_numpy(dtype=np.int64)


# -- paths, names, tokens ---------------------------------------------------------------------
def library_path(store_path: str | Path) -> Path:
    """The sidecar library of a parcel store: ``<stem>.library.duckdb`` in the same folder."""
    store_path = Path(store_path)
    return store_path.with_name(f"{store_path.stem}.library.duckdb")


def validate_name(name: object) -> str:
    """A scenario name, stripped, or a :class:`ScenarioNameError` that says what is wrong.

    Names are 1..:data:`MAX_NAME_LENGTH` characters of any script (中文 welcome) without
    control characters; surrounding whitespace is removed.
    """
    if not isinstance(name, str):
        raise ScenarioNameError(f"a scenario name must be text, got {type(name).__name__}")
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise ScenarioNameError("the scenario name is empty: type a name, e.g. '方案A 2030'")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ScenarioNameError(f"the scenario name has {len(cleaned)} characters; "
                                f"use at most {MAX_NAME_LENGTH}")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise ScenarioNameError("the scenario name contains control or invisible characters "
                                "(tab, newline, ...); use letters, digits, spaces and punctuation")
    return cleaned


def new_token() -> str:
    """An unguessable share token (96 random bits, URL-safe)."""
    return secrets.token_urlsafe(12)


def is_valid_token(token: object) -> bool:
    """Whether ``token`` looks like a share token (checked before it reaches SQL)."""
    return isinstance(token, str) and TOKEN_PATTERN.fullmatch(token) is not None


# -- SQL statements ---------------------------------------------------------------------------
@cache
def _statements() -> dict[str, str]:
    """The ``-- name:`` blocks of ``library_queries.sql``."""
    blocks: dict[str, str] = {}
    current: str | None = None
    for line in load_sql("library_queries").splitlines():
        if line.startswith("-- name:"):
            current = line.removeprefix("-- name:").strip()
            blocks[current] = ""
        elif current is not None and not line.startswith("--"):
            blocks[current] += line + "\n"
    return {name: sql.strip() for name, sql in blocks.items()}


def _sql(name: str) -> str:
    return _statements()[name]


def _rows(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None
          ) -> list[tuple]:
    """Run a named statement on ``con`` (inside its transaction) and fetch every row."""
    return con.execute(_sql(name), dict(params or {})).fetchall()


def _frame(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None
           ) -> pd.DataFrame:
    return con.execute(_sql(name), dict(params or {})).df()


# -- connections, transactions, retries -------------------------------------------------------
_PATH_LOCKS: dict[str, threading.Lock] = {}
_PATH_LOCKS_GUARD = threading.Lock()


def _path_lock(path: Path) -> threading.Lock:
    key = str(path.resolve())
    with _PATH_LOCKS_GUARD:
        return _PATH_LOCKS.setdefault(key, threading.Lock())


def _is_busy(exc: duckdb.Error) -> bool:
    """Lock held by another process, a transaction conflict, or a clashing open in-process.

    ``ResourceInUseException`` ("unique file handle conflict") happens when a connection
    opens the file while another thread's last connection is still tearing its instance down.
    """
    text = str(exc).lower()
    if isinstance(exc, duckdb.TransactionException):
        return "conflict" in text
    if isinstance(exc, duckdb.IOException):
        return "lock" in text
    if isinstance(exc, duckdb.ResourceInUseException):
        return True
    return isinstance(exc, duckdb.ConnectionException) and "different configuration" in text


def _attempt(path: Path, work: Callable[[duckdb.DuckDBPyConnection], T], write: bool) -> T:
    """One try: open, run ``work`` in one transaction, commit (or roll back), close."""
    con = duckdb.connect(str(path))
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            if write or _needs_migration(con):
                _ensure_schema(con)
            out = work(con)
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
        return out
    finally:
        con.close()


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables on first use, migrate an older layout; refuse a newer layout."""
    con.execute(load_sql("library_schema"))
    con.execute(load_sql("library_migrate_v2"))  # idempotent: no-op on layout 2
    version = int(_rows(con, "schema_version")[0][0])
    if version > SCHEMA_VERSION:
        raise LibraryError(f"this scenario library has layout version {version}, newer than "
                           f"this program's {SCHEMA_VERSION}: update the program")


def _needs_migration(con: duckdb.DuckDBPyConnection) -> bool:
    """A library of layout 1: reads migrate it too, so its queries see the new columns."""
    return _has_schema(con) and not int(_rows(con, "has_kind")[0][0])


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # the transaction was already aborted by the failure; nothing to undo


def _run(path: Path, work: Callable[[duckdb.DuckDBPyConnection], T], write: bool = True) -> T:
    """Run ``work`` in one transaction on the library, retrying while it is busy.

    Reads take the per-file lock too: operations are short (tens of ms), and one connection
    at a time per process means no in-process conflicts and no open/close races at all.
    """
    lock = _path_lock(path)
    # Waiting behind this process's own threads is ordinary queueing (each turn takes tens of
    # ms); the retry budget only starts once it is this thread's turn.
    if not lock.acquire(timeout=QUEUE_TIMEOUT_S):
        raise _busy(path)
    try:
        return _retry(path, work, write, time.monotonic() + RETRY_BUDGET_S)
    finally:
        lock.release()


def _retry(path: Path, work: Callable[[duckdb.DuckDBPyConnection], T], write: bool,
           deadline: float) -> T:
    delay = 0.01
    while True:
        try:
            return _attempt(path, work, write)
        except duckdb.Error as exc:
            if not _is_busy(exc):
                raise LibraryError(f"scenario library {path.name}: {exc}") from exc
            if time.monotonic() + delay > deadline:
                raise _busy(path) from exc
        # Jitter spreads competing processes out so they do not retry in lock-step.
        time.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 2, 0.1)


def _busy(path: Path) -> LibraryBusyError:
    return LibraryBusyError(
        f"the scenario library {path.name} is busy with other saves (waited "
        f"{RETRY_BUDGET_S:g} s); nothing was changed — please try again in a moment")


# -- store facts ------------------------------------------------------------------------------
def read_store_version(store_path: str | Path) -> str:
    """``meta.version`` of a parcel store (read-only)."""
    con = connect(store_path)
    try:
        return str(_rows(con, "store_version")[0][0])
    finally:
        con.close()


def _store_facts(store_path: str | Path) -> tuple[pd.DataFrame, set[int], str]:
    """Parcel ids with current use and area, class codes and ``meta.version`` (read-only)."""
    con = connect(store_path)
    try:
        parcels = _frame(con, "store_parcels")
        codes = {int(r[0]) for r in _rows(con, "store_codes")}
        version = _rows(con, "store_version")
    finally:
        con.close()
    return parcels, codes, str(version[0][0])


# -- validation of a save ---------------------------------------------------------------------
def _clean_assignment(assignment: pd.DataFrame, parcels: pd.DataFrame, codes: set[int]
                      ) -> tuple[pd.DataFrame, int, float]:
    """Typed ``parcel_id, land_use`` covering the store's parcels; changed count and area."""
    missing = {"parcel_id", "land_use"} - set(assignment.columns)
    if missing:
        raise LibraryError(f"the assignment needs columns parcel_id, land_use; "
                           f"missing {sorted(missing)}")
    if assignment[["parcel_id", "land_use"]].isna().any().any():
        raise LibraryError("the assignment has empty parcel_id or land_use values")
    frame = pd.DataFrame({"parcel_id": assignment["parcel_id"].astype("int64").to_numpy(),
                          "land_use": assignment["land_use"].astype("int64").to_numpy()})
    if frame["parcel_id"].duplicated().any():
        raise LibraryError("the assignment lists a parcel_id more than once")
    _check_coverage(frame, parcels, codes)
    merged = parcels.merge(frame, on="parcel_id", suffixes=("_before", ""))
    changed = merged["land_use"] != merged["land_use_before"]
    return (frame.sort_values("parcel_id", ignore_index=True), int(changed.sum()),
            float(merged.loc[changed, "area_ha"].sum()))


def _check_coverage(frame: pd.DataFrame, parcels: pd.DataFrame, codes: set[int]) -> None:
    ids = set(parcels["parcel_id"].tolist())
    given = set(frame["parcel_id"].tolist())
    if given != ids:
        raise LibraryError(
            f"the assignment does not match the store's parcels: {len(ids - given)} parcels "
            f"missing, {len(given - ids)} unknown ids; save the result of a solve of this store")
    unknown = sorted(set(frame["land_use"].tolist()) - codes)
    if unknown:
        raise LibraryError(f"the assignment uses land-use codes {unknown[:5]} that are not in "
                           f"the store's class table {sorted(codes)}")


def _clean_indicators(indicators: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in INDICATOR_COLUMNS if c not in indicators.columns]
    if missing:
        raise LibraryError(f"the indicator table misses columns {missing}; pass the table of "
                           "data.indicators.compute_indicators")
    table = indicators[INDICATOR_COLUMNS].reset_index(drop=True).copy()
    for column in ("value", "baseline", "change"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    for column in ("indicator", "group", "scope_type", "scope", "unit", "label_zh", "label_en"):
        table[column] = table[column].astype(str)
    table.insert(0, "position", np.arange(len(table), dtype=np.int64))
    return table


def _number(value: Any) -> float | None:
    """A finite float or None (NaN/inf and missing values are stored as NULL)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _json_default(value: Any) -> Any:
    """JSON for numpy scalars/arrays and other odd values in a result summary."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _now() -> datetime:
    """UTC now, naive (the TIMESTAMP columns hold UTC)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


# -- public API -------------------------------------------------------------------------------
def save_scenario(store_path: str | Path, name: str, scenario_toml: str, preset: str,
                  summary: Mapping[str, Any], assignment: pd.DataFrame,
                  indicators: pd.DataFrame, store_version: str | None = None,
                  overwrite: bool = False) -> SavedScenario:
    """Save a solved scenario, all or nothing, in the store's library.

    Parameters
    ----------
    store_path : str or Path
        The parcel store the scenario was solved on (the library sits next to it).
    name : str
        Unique name chosen by the user (see :func:`validate_name`).
    scenario_toml : str
        ``Scenario.to_toml()``: levers and solver settings.
    preset : str
        Key of the preset the scenario started from ('' for none).
    summary : mapping
        Result summary (``AllocationResult.to_summary_dict()``): at least ``status``;
        ``objective, best_bound, gap, wall_time_s`` when known.
    assignment : DataFrame
        ``parcel_id, land_use`` (code) for every parcel of the store.
    indicators : DataFrame
        The table of :func:`data.indicators.compute_indicators`.
    store_version : str, optional
        ``meta.version`` of the store the result belongs to; read from the store when omitted.
    overwrite : bool
        Replace a scenario of the same name (it keeps its share token and creation time).

    Returns
    -------
    SavedScenario
        What was saved, as :func:`load_scenario` would return it.

    Raises
    ------
    ScenarioNameError, ScenarioExistsError, LibraryError, LibraryBusyError
    """
    return _save(store_path, name, scenario_toml, preset, summary, assignment, indicators,
                 store_version, overwrite)


def save_period_plan(store_path: str | Path, name: str, plan_toml: str, preset: str,
                     summary: Mapping[str, Any], period_uses: pd.DataFrame,
                     indicators: pd.DataFrame, store_version: str | None = None,
                     overwrite: bool = False) -> SavedScenario:
    """Save a solved period plan (开发时序), all or nothing, in the store's library.

    It shares the library with single-period scenarios (one name space, one list, the same
    share tokens) and is told apart by ``kind='periods'``. The last period's uses are also
    kept as the plan's assignment, so comparisons and exports see its end state.

    Parameters
    ----------
    store_path, name, preset, store_version, overwrite
        As for :func:`save_scenario`.
    plan_toml : str
        ``PeriodScenario.to_toml()``: base levers, base year and the ``[[periods]]``.
    summary : mapping
        ``PeriodResult.to_summary_dict()`` (at least ``status``).
    period_uses : DataFrame
        ``period, parcel_id, land_use`` (code): every parcel once per period, periods
        numbered 0..T-1 in plan order (T ≤ 3).
    indicators : DataFrame
        The indicator table of the last period's land use.

    Returns
    -------
    SavedScenario
        With ``kind='periods'`` and ``period_uses``.

    Raises
    ------
    ScenarioNameError, ScenarioExistsError, LibraryError, LibraryBusyError
    """
    uses = _period_frame(period_uses)
    last = uses[uses["period"] == uses["period"].max()]
    return _save(store_path, name, plan_toml, preset, summary, last, indicators,
                 store_version, overwrite, uses)


def _period_frame(period_uses: pd.DataFrame) -> pd.DataFrame:
    """Typed ``period, parcel_id, land_use`` with periods 0..T-1 (checked, 1 ≤ T ≤ 3)."""
    missing = {"period", "parcel_id", "land_use"} - set(period_uses.columns)
    if missing:
        raise LibraryError(f"the period uses need columns period, parcel_id, land_use; "
                           f"missing {sorted(missing)}")
    if period_uses[["period", "parcel_id", "land_use"]].isna().any().any():
        raise LibraryError("the period uses have empty period, parcel_id or land_use values")
    uses = period_uses[["period", "parcel_id", "land_use"]].astype("int64")
    periods = sorted(set(uses["period"].tolist()))
    if not 1 <= len(periods) <= 3 or periods != list(range(len(periods))):
        raise LibraryError(f"a period plan has periods 0..T-1 with 1 ≤ T ≤ 3; got {periods[:6]}")
    return uses.reset_index(drop=True)


def _save(store_path: str | Path, name: str, scenario_toml: str, preset: str,
          summary: Mapping[str, Any], assignment: pd.DataFrame, indicators: pd.DataFrame,
          store_version: str | None, overwrite: bool,
          period_uses: pd.DataFrame | None = None) -> SavedScenario:
    """Validate and write one library entry (a period plan when ``period_uses`` is given)."""
    name = validate_name(name)
    if not isinstance(scenario_toml, str):
        raise LibraryError("scenario_toml must be the TOML text of the scenario")
    if not summary.get("status"):
        raise LibraryError("the result summary has no 'status'; pass the solver's summary")
    parcels, codes, current = _store_facts(store_path)
    uses = _clean_period_uses(period_uses, parcels, codes)  # first: its errors name the period
    table, n_changed, changed_ha = _clean_assignment(assignment, parcels, codes)
    ind = _clean_indicators(indicators)
    version = store_version if store_version is not None else current
    header = {
        "name": name, "preset": str(preset or ""), "scenario_toml": scenario_toml,
        "status": str(summary["status"]),
        **{k: _number(summary.get(k)) for k in ("objective", "best_bound", "gap",
                                                 "wall_time_s")},
        "summary_json": json.dumps(dict(summary), ensure_ascii=False, default=_json_default),
        "n_parcels": len(table), "n_changed": n_changed, "changed_area_ha": changed_ha,
        "n_indicators": len(ind), "store_version": str(version),
        "kind": "single" if uses is None else "periods",
        "n_periods": 0 if uses is None else int(uses["period"].nunique()),
    }

    def work(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        return _write_scenario(con, header, table, ind, overwrite, uses)

    written = _run(library_path(store_path), work)
    # Built from what was written rather than re-read: saves a second open of the library.
    return _saved({**header, **written}, table, ind.drop(columns="position"), current, uses)


def _clean_period_uses(uses: pd.DataFrame | None, parcels: pd.DataFrame, codes: set[int]
                       ) -> pd.DataFrame | None:
    """Each period's uses checked like an assignment (every parcel once, known codes)."""
    if uses is None:
        return None
    for period, part in uses.groupby("period"):
        try:
            _clean_assignment(part, parcels, codes)
        except LibraryError as exc:
            raise LibraryError(f"period {int(period) + 1}: {exc}") from None
    return uses.sort_values(["period", "parcel_id"], ignore_index=True)


def _write_scenario(con: duckdb.DuckDBPyConnection, header: dict[str, Any],
                    table: pd.DataFrame, ind: pd.DataFrame, overwrite: bool,
                    uses: pd.DataFrame | None = None) -> dict[str, Any]:
    """Insert (or replace) one scenario; returns the token and times it was given."""
    now = _now()
    token, created = new_token(), now
    existing = _rows(con, "find_by_name", {"name": header["name"]})
    if existing:
        if not overwrite:
            raise ScenarioExistsError(
                f"a scenario named '{header['name']}' already exists; choose another name or "
                "overwrite it")
        old_id, token, created = existing[0]
        _delete_by_id(con, old_id)
    scenario_id = int(_rows(con, "next_id")[0][0])
    _rows(con, "insert_scenario", {**header, "scenario_id": scenario_id, "token": token,
                                   "created_at": created, "saved_at": now})
    payload = {"incoming_assignment": table, "incoming_indicators": ind}
    if uses is not None:
        payload["incoming_period_uses"] = uses
    for view, frame in payload.items():
        con.register(view, frame)
    try:
        _rows(con, "insert_assignment", {"scenario_id": scenario_id})
        _rows(con, "insert_indicators", {"scenario_id": scenario_id})
        if uses is not None:
            _rows(con, "insert_period_uses", {"scenario_id": scenario_id})
    finally:
        for view in payload:
            con.unregister(view)
    return {"token": token, "created_at": created, "saved_at": now,
            "summary_json": header["summary_json"]}


def _delete_by_id(con: duckdb.DuckDBPyConnection, scenario_id: int) -> None:
    for statement in ("delete_assignment", "delete_indicators", "delete_period_uses",
                      "delete_scenario"):
        _rows(con, statement, {"scenario_id": scenario_id})


def list_scenarios(store_path: str | Path) -> pd.DataFrame:
    """Saved scenarios, newest first, without their payload (fast).

    Returns
    -------
    DataFrame
        :data:`LIST_COLUMNS`: name, preset, status, objective, best_bound, gap, wall_time_s,
        n_parcels, n_changed, changed_area_ha, store_version, created_at, saved_at (UTC),
        token, kind ('single' or 'periods'), n_periods and ``stale`` (the store changed
        since the save). Empty without a library.
    """
    path = library_path(store_path)
    if not path.exists():
        return pd.DataFrame({column: [] for column in LIST_COLUMNS})
    table = _run(path, lambda con: _frame(con, "list_scenarios") if _has_schema(con)
                 else pd.DataFrame(), write=False)
    if table.empty:
        return pd.DataFrame({column: [] for column in LIST_COLUMNS})
    table["stale"] = table["store_version"] != read_store_version(store_path)
    return table[LIST_COLUMNS]


def _has_schema(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(_rows(con, "has_schema")[0][0])


def load_scenario(store_path: str | Path, name: str | None = None,
                  token: str | None = None) -> SavedScenario:
    """A saved scenario with assignment and indicators, by name or by share token.

    Parameters
    ----------
    store_path : str or Path
        The parcel store (its library sits next to it).
    name, token : str, optional
        Exactly one of them.

    Returns
    -------
    SavedScenario
        Its ``stale`` property says whether the store changed since the save.

    Raises
    ------
    ScenarioNotFoundError
        No scenario has that name or token (malformed tokens never reach SQL).
    """
    if (name is None) == (token is None):
        raise LibraryError("load_scenario needs a name or a token (exactly one)")
    if token is not None and not is_valid_token(token):
        raise ScenarioNotFoundError("this share link is not valid: no saved scenario has it")
    path = library_path(store_path)
    key, statement = ((validate_name(name), "header_by_name") if name is not None
                      else (token, "header_by_token"))
    loaded = _run(path, lambda con: _load(con, statement, key), write=False) \
        if path.exists() else None
    if loaded is None:
        what = f"named '{key}'" if name is not None else "for this share link"
        raise ScenarioNotFoundError(f"no saved scenario {what} in {path.name}")
    header, assignment, indicators, uses = loaded
    return _saved(header, assignment, indicators, read_store_version(store_path), uses)


def find_shared(store_paths: Iterable[str | Path], token: str
                ) -> tuple[Path, SavedScenario]:
    """The store and saved scenario a share token belongs to, searching several stores.

    For share links that carry only ``?scenario=<token>``: stores without a library are
    skipped, and a malformed token never reaches SQL.

    Raises
    ------
    ScenarioNotFoundError
        No library of these stores has the token.
    """
    if not is_valid_token(token):
        raise ScenarioNotFoundError("this share link is not valid: no saved scenario has it")
    for store_path in store_paths:
        if library_path(store_path).exists():
            try:
                return Path(store_path), load_scenario(store_path, token=token)
            except ScenarioNotFoundError:
                continue
    raise ScenarioNotFoundError("no saved scenario for this share link (it may have been "
                                "deleted)")


def _load(con: duckdb.DuckDBPyConnection, statement: str, key: str
          ) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame, pd.DataFrame | None] | None:
    if not _has_schema(con):
        return None
    param = {"name": key} if statement == "header_by_name" else {"token": key}
    header = _frame(con, statement, param)
    if header.empty:
        return None
    row = header.iloc[0].to_dict()
    ids = {"scenario_id": int(row["scenario_id"])}
    uses = _frame(con, "load_period_uses", ids) if row.get("kind") == "periods" else None
    return row, _frame(con, "load_assignment", ids), _frame(con, "load_indicators", ids), uses


def _saved(row: dict[str, Any], assignment: pd.DataFrame, indicators: pd.DataFrame,
           current_version: str, uses: pd.DataFrame | None = None) -> SavedScenario:
    assignment = assignment.astype({"parcel_id": "int64", "land_use": "int64"})
    if uses is not None:
        uses = uses.astype("int64")[["period", "parcel_id", "land_use"]]
    return SavedScenario(
        name=row["name"], token=row["token"], preset=row["preset"],
        scenario_toml=row["scenario_toml"], status=row["status"],
        objective=_number(row["objective"]), best_bound=_number(row["best_bound"]),
        gap=_number(row["gap"]), wall_time_s=_number(row["wall_time_s"]),
        summary=json.loads(row["summary_json"]), assignment=assignment,
        indicators=indicators, store_version=row["store_version"],
        current_store_version=current_version,
        created_at=_aware(row["created_at"]), saved_at=_aware(row["saved_at"]),
        n_changed=int(row["n_changed"]), changed_area_ha=float(row["changed_area_ha"]),
        kind=str(row.get("kind") or "single"), period_uses=uses)


def _aware(value: Any) -> datetime:
    return pd.Timestamp(value).to_pydatetime().replace(tzinfo=UTC)


def _require_id(con: duckdb.DuckDBPyConnection, name: str) -> int:
    rows = _rows(con, "find_by_name", {"name": name})
    if not rows:
        raise ScenarioNotFoundError(f"no saved scenario named '{name}'")
    return int(rows[0][0])


def _require_free(con: duckdb.DuckDBPyConnection, name: str) -> None:
    if _rows(con, "find_by_name", {"name": name}):
        raise ScenarioExistsError(f"a scenario named '{name}' already exists; choose another name")


def _existing_library(store_path: str | Path, name: str) -> Path:
    path = library_path(store_path)
    if not path.exists():
        raise ScenarioNotFoundError(f"no saved scenario named '{name}' (no library yet)")
    return path


def rename_scenario(store_path: str | Path, old_name: str, new_name: str) -> None:
    """Rename a saved scenario; its share token stays valid.

    Raises
    ------
    ScenarioNotFoundError, ScenarioExistsError, ScenarioNameError, LibraryBusyError
    """
    old, new = validate_name(old_name), validate_name(new_name)
    path = _existing_library(store_path, old)

    def work(con: duckdb.DuckDBPyConnection) -> None:
        scenario_id = _require_id(con, old)
        if new != old:
            _require_free(con, new)
            _rows(con, "rename", {"scenario_id": scenario_id, "new_name": new,
                                  "saved_at": _now()})

    _run(path, work)


def duplicate_scenario(store_path: str | Path, name: str, new_name: str) -> str:
    """Copy a saved scenario under a new name with its own share token.

    Returns
    -------
    str
        The copy's share token.

    Raises
    ------
    ScenarioNotFoundError, ScenarioExistsError, ScenarioNameError, LibraryBusyError
    """
    source, target = validate_name(name), validate_name(new_name)
    path = _existing_library(store_path, source)
    token = new_token()

    def work(con: duckdb.DuckDBPyConnection) -> None:
        scenario_id = _require_id(con, source)
        _require_free(con, target)
        params = {"scenario_id": scenario_id, "new_id": int(_rows(con, "next_id")[0][0])}
        _rows(con, "copy_scenario", {**params, "new_name": target, "token": token,
                                     "now": _now()})
        _rows(con, "copy_assignment", params)
        _rows(con, "copy_indicators", params)
        _rows(con, "copy_period_uses", params)

    _run(path, work)
    return token


def delete_scenario(store_path: str | Path, name: str) -> None:
    """Delete a saved scenario and its payload (its share link stops working).

    Raises
    ------
    ScenarioNotFoundError, LibraryBusyError
    """
    name = validate_name(name)
    path = _existing_library(store_path, name)
    _run(path, lambda con: _delete_by_id(con, _require_id(con, name)))


def check_library(store_path: str | Path) -> list[str]:
    """Integrity problems of a library (empty when every scenario is complete).

    Checks that each scenario's assignment and indicator row counts match its header and
    that no payload rows are orphaned. Used by the kill-safety tests; cheap enough to run
    on start-up.
    """
    path = library_path(store_path)
    if not path.exists():
        return []

    def work(con: duckdb.DuckDBPyConnection) -> list[str]:
        if not _has_schema(con):
            return []
        problems = [f"scenario '{r[0]}': {r[2]} of {r[1]} assignment rows, "
                    f"{r[4]} of {r[3]} indicator rows, {r[6]} of {r[5]} period rows"
                    for r in _rows(con, "integrity")]
        orphans = int(_rows(con, "orphans")[0][0])
        return problems + ([f"{orphans} payload rows without a scenario"] if orphans else [])

    return _run(path, work, write=False)
