"""Benchmark compactness at scale (issue 17): the compact search next to the optimum without it.

A script, not a test. Per instance, two solves in their own subprocesses (``bench_solver.run_child``: peak RSS
each, killed if they overrun):

* ``compact``: the scenario with its compactness weight (``solver.solve``: exact core, then
  the compactness search of ``solver.compact``);
* ``linear``: the same scenario with compactness weight 0 (the exact core's optimum), its
  allocation scored with the compactness objective too.

Columns: ``first`` time to the first allocation, ``1%`` first progress event with a proven gap
≤ 1 %, ``gap`` final proven gap, ``obj`` objective (points, status quo 0; the linear row is
scored with compactness), ``same`` share of shared boundary between same-use neighbours
(length-weighted), ``patches`` connected same-use patches, ``AI`` area-weighted aggregation
index (shared same-use edges over the most a square of the class's cells could share, in %;
for grids of equal cells), ``RSS`` peak resident memory of the solve's process.

    python tests/bench/bench_compact.py --store stores/wuhan_300m.duckdb \\
        --store stores/wuhan_120m.duckdb --sizes 1m --time-limit 60 --out out/bench/compact.json
    python tests/bench/bench_compact.py --time-limit 10          # the demo county only

Stores are built with the README's ``python -m data import-raster`` command.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_solver as bs  # noqa: E402  (the instances and the child-process machinery)

MODES = ("compact", "linear")


# ----- landscape figures ------------------------------------------------------------------
def layout_figures(land, assignment: np.ndarray) -> dict[str, float]:
    """Same-use boundary share, patch count and aggregation index of an allocation."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    e, length = land.edges, land.edge_length_m
    same = assignment[e[:, 0]] == assignment[e[:, 1]]
    n = land.n_parcels
    graph = coo_matrix((np.ones(int(same.sum())), (e[same, 0], e[same, 1])), shape=(n, n))
    patches, _ = connected_components(graph, directed=False)
    like = np.bincount(assignment[e[same, 0]], minlength=land.n_classes)
    cells = np.bincount(assignment, minlength=land.n_classes)
    side = np.floor(np.sqrt(cells))
    rest = cells - side * side
    most = 2 * side * (side - 1) + np.where(rest > side, 2 * rest - 2, np.where(rest > 0,
                                                                                  2 * rest - 1, 0))
    ai = np.divide(like, most, out=np.zeros(land.n_classes), where=most > 0)
    share = cells / max(n, 1)
    return {"same_pct": 100 * float(length[same].sum() / max(length.sum(), 1e-9)),
            "patches": int(patches), "ai_pct": 100 * float((ai * share).sum())}


# ----- the child --------------------------------------------------------------------------
def child(mode: str, spec: dict) -> dict:
    """One solve (``compact`` or ``linear``) with progress times and layout figures."""
    from solver import solve
    from solver.validate import check_allocation, objective_value

    started = time.monotonic()
    land = bs.make_landscape(spec)
    scenario = bs.make_scenario(land, {**spec, "compact": True})
    solved = scenario if mode == "compact" else scenario.with_value("weights.compactness", 0.0)
    reached: list[float] = []

    def progress(e) -> None:
        if not reached and e.gap is not None and e.gap <= 0.01:
            reached.append(e.elapsed_s)

    bs.mark_ready(spec, started)
    t0 = time.monotonic()
    r = solve(land, solved, on_progress=progress)
    wall = time.monotonic() - t0
    out = {"status": str(r.status), "gap": r.gap, "first_s": r.time_to_first_s,
           "to_1pct_s": reached[0] if reached else None, "wall_s": wall,
           "n_parcels": land.n_parcels, "n_mutable": r.n_mutable, "phases": list(r.phases)}
    if r.assignment is not None:
        out["valid"] = not check_allocation(land, solved, r.assignment)
        out["objective"] = objective_value(land, scenario, r.assignment)  # with compactness
        out.update(layout_figures(land, r.assignment))
    return out


# ----- the table --------------------------------------------------------------------------
def fmt(x, digits: int = 1) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def row(name: str, mode: str, r: dict) -> str:
    gap = "—" if r.get("gap") is None else f"{100 * r['gap']:.2f} %"
    status = r["status"] if r.get("valid", True) else r["status"] + " (INVALID)"
    return (f"| {name} | {mode} | {status} | {fmt(r.get('first_s'))} | {fmt(r.get('to_1pct_s'))} "
            f"| {gap} | {fmt(r.get('objective'), 3)} | {fmt(r.get('same_pct'), 2)} % "
            f"| {r.get('patches', '—'):,} | {fmt(r.get('ai_pct'), 2)} % "
            f"| {fmt(r.get('rss_mb'), 0)} |")


HEADER = ("| instance | solve | status | first (s) | 1 % (s) | gap | obj | same | patches "
          "| AI | RSS (MB) |\n|---|---|---|---|---|---|---|---|---|---|---|")


def instances(args: argparse.Namespace) -> list[dict]:
    base = {"time_limit": args.time_limit, "scenario": "base"}
    specs = [{**base, "kind": "demo", "preset": "balanced"}] if not args.no_demo else []
    specs += [{**base, "kind": "store", "path": p} for p in args.store]
    specs += [{**base, "kind": "synthetic", "size": s} for s in args.sizes.split(",") if s]
    return specs


def name_of(spec: dict) -> str:
    if spec["kind"] == "demo":
        return "demo county, balanced preset"
    if spec["kind"] == "store":
        return Path(spec["path"]).stem
    return f"synthetic {spec['size']}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--store", action="append", default=[], help="a grid store (repeatable)")
    p.add_argument("--sizes", default="", help="synthetic grids, e.g. 10k,100k,1m")
    p.add_argument("--no-demo", action="store_true")
    p.add_argument("--time-limit", type=float, default=30.0)
    p.add_argument("--out", default=None, help="write the results as JSON here")
    p.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    p.add_argument("--spec", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.child, json.loads(args.spec))))
        return
    print(f"time limit {args.time_limit:g} s; objective with compactness for both rows\n")
    print(HEADER)
    results = []
    for spec in instances(args):
        for mode in MODES:
            r = bs.run_child(mode, spec, __file__)
            results.append({"instance": name_of(spec), "mode": mode, **r})
            print(row(name_of(spec), mode, r), flush=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
