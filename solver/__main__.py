"""Command line: solve a stored study region under a scenario.

    python -m solver solve --db STORE.duckdb --scenario SCENARIO.toml|PRESET_KEY \\
        --out RESULT.(parquet|csv|gpkg) --summary SUMMARY.json [--time-limit S] [--workers N]
        [--demand DEMAND.csv] [--distributed [--scheduler tcp://HOST:PORT] [--dask-workers N]
        [--block-cells N]]

Exit codes: 0 OPTIMAL/FEASIBLE, 2 INFEASIBLE (explanation printed), 1 errors or no solution.
This is the only solver module that imports ``data`` (a composition root).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solver.demand import DemandError, read_demand_csv
from solver.distributed import ClusterError
from solver.landscape import Landscape
from solver.orchestrate import solve
from solver.result import AllocationResult, Status
from solver.scenario import Scenario, ScenarioError

EXIT_OK, EXIT_ERROR, EXIT_INFEASIBLE = 0, 1, 2
OUT_SUFFIXES = (".parquet", ".csv", ".gpkg")


class CliError(Exception):
    """An error to report in one line, without a traceback."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m solver",
                                     description="Territorial spatial allocation solver")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="solve a stored region under a scenario")
    s.add_argument("--db", required=True, help="parcel store (.duckdb)")
    s.add_argument("--scenario", required=True, help="scenario TOML file or preset key")
    s.add_argument("--out", help="result file: .parquet, .csv or .gpkg")
    s.add_argument("--summary", help="summary JSON file")
    s.add_argument("--time-limit", type=float, help="override [solver] time_limit_s (s)")
    s.add_argument("--workers", type=int, help="override [solver] workers")
    s.add_argument("--demand", help="demand table CSV (class, region, target_ha | min_ha / "
                                    "max_ha | *_pct); replaces the scenario's [demand] rows")
    s.add_argument("--distributed", action="store_true",
                   help="solve region blocks in parallel on Dask (province scale)")
    s.add_argument("--scheduler", help="with --distributed: address of an existing Dask "
                                       "scheduler (tcp://HOST:PORT); default a local cluster")
    s.add_argument("--dask-workers", type=int,
                   help="with --distributed and no --scheduler: local worker processes "
                        "(default: one per core)")
    s.add_argument("--block-cells", type=int,
                   help="with --distributed: largest block of cells solved as one piece "
                        "(default 400,000; neighbouring regions are grouped up to it)")
    return parser.parse_args(argv)


def load_scenario(spec: str, time_limit: float | None, workers: int | None) -> Scenario:
    """A scenario from a TOML path or a preset key, with command-line overrides."""
    if spec.endswith(".toml") or Path(spec).is_file():
        scenario = Scenario.from_toml(Path(spec))
    else:
        from data.presets import load_preset

        scenario = load_preset(spec)
    if time_limit is not None:
        scenario = scenario.with_value("solver.time_limit_s", time_limit)
    if workers is not None:
        scenario = scenario.with_value("solver.workers", workers)
    return scenario


def load_store(db: str) -> Landscape:
    if not Path(db).is_file():
        raise CliError(f"parcel store '{db}' does not exist (build one with "
                       "`python -m data build-demo --db PATH`)")
    from data.landscape import load_landscape

    return load_landscape(db)


def result_table(land: Landscape, result: AllocationResult) -> pd.DataFrame:
    """parcel_id, use_before/after as store codes and role keys."""
    codes, keys = np.array(land.class_codes), np.array(land.class_keys, dtype=object)
    after = result.assignment
    return pd.DataFrame({
        "parcel_id": land.parcel_id, "use_before": codes[land.current],
        "use_after": codes[after], "use_before_key": keys[land.current],
        "use_after_key": keys[after], "changed": after != land.current,
    })


def write_result(db: str, table: pd.DataFrame, out: Path) -> None:
    if out.suffix == ".csv":
        table.to_csv(out, index=False)
    elif out.suffix == ".parquet":
        table.to_parquet(out, index=False)
    else:
        from data.store import read_parcels_gdf

        gdf = read_parcels_gdf(db)[["parcel_id", "geometry"]]
        gdf.merge(table, on="parcel_id", how="inner").to_file(out, driver="GPKG")


def summary_dict(land: Landscape, scenario: Scenario, result: AllocationResult) -> dict:
    out: dict[str, Any] = {"scenario": scenario.name, **result.to_summary_dict()}
    out["scenario_levers"] = scenario.to_dict()
    return out


def print_targets(result: AllocationResult) -> None:
    """One line per demand row: limits, before, after, met or not."""
    for t in result.targets:
        if not t["key"].startswith("demand."):
            continue
        band = f"[{_ha(t['min_ha'])}, {_ha(t['max_ha'])}]"
        verdict = "—" if t["met"] is None else ("met" if t["met"] else "NOT MET")
        print(f"  {t['key']}: {band} ha, before {_ha(t['before_ha'])}, "
              f"after {_ha(t['after_ha'])} — {verdict}")


def _ha(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def run(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix not in OUT_SUFFIXES:
        raise CliError(f"--out '{out}' must end in one of {', '.join(OUT_SUFFIXES)}")
    scenario = load_scenario(args.scenario, args.time_limit, args.workers)
    if args.demand:
        scenario = scenario.with_demand(read_demand_csv(args.demand))
    if (args.scheduler or args.dask_workers or args.block_cells) and not args.distributed:
        raise CliError("--scheduler, --dask-workers and --block-cells need --distributed")
    if args.block_cells is not None and args.block_cells < 1:
        raise CliError(f"--block-cells {args.block_cells} must be a positive number of cells")
    land = load_store(args.db)
    extra: dict[str, Any] = {}
    if args.distributed:
        result, extra = solve_on_cluster(land, scenario, args.scheduler, args.dask_workers,
                                         args.block_cells)
    else:
        result = solve(land, scenario)
    print(f"{result.status}: objective {result.objective} bound {result.best_bound} "
          f"gap {result.gap} in {result.wall_time_s:.2f} s")
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary_dict(land, scenario, result) | extra,
                                                 ensure_ascii=False, indent=2), "utf-8")
    print_targets(result)
    if result.status == Status.INFEASIBLE:
        print(result.explanation.message_zh if result.explanation else result.message_zh)
        print(result.explanation.message_en if result.explanation else result.message)
        return EXIT_INFEASIBLE
    if result.assignment is None:
        print(result.message, file=sys.stderr)
        return EXIT_ERROR
    if out is not None:
        write_result(args.db, result_table(land, result), out)
    return EXIT_OK


def solve_on_cluster(land: Landscape, scenario: Scenario, scheduler: str | None,
                     n_workers: int | None, block_cells: int | None = None
                     ) -> tuple[AllocationResult, dict]:
    """The distributed solve with one progress line per block; the summary's extra part."""
    from solver.distributed import cluster, solve_distributed

    def report(event: object) -> None:
        print(event.message_zh, flush=True)

    with cluster(scheduler, n_workers) as client:
        out = solve_distributed(land, scenario, client, on_progress=report,
                                max_block_cells=block_cells)
    extra = {"distributed": {"workers": out.workers, "master_s": round(out.master_s, 3),
                             "blocks": out.blocks, "bound_parts": out.bound_parts,
                             "rounds": out.rounds}}
    return out.result, extra


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except ClusterError as exc:
        print(f"error: {exc.message_zh}\nerror: {exc.message_en}", file=sys.stderr)
        return EXIT_ERROR
    except (CliError, ScenarioError, DemandError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, not a traceback
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
