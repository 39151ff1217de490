"""Benchmark the province-scale solve on Dask (issue 14): 1 and 2 local workers, one run.

A script, not a test. Per instance and worker count, one distributed solve
(``solver.distributed.solve_distributed`` on a local cluster) in its own process. Columns:
wall time, rounds, master (whole-area exact core) seconds, per-block search seconds (min /
median / max), global objective, global bound and proven global gap, peak memory of the
client process and of the largest worker, and the validator's verdict on the stitched
allocation. A **projection** to 16 / 64 / 256 workers is *computed* from the measured
per-block times (a simulation, stated as such): master and repairs serial as measured, each
round's block searches and bound steps scheduled longest-first on W workers.

Instances: Wuhan 2010 at 30 m (5.3 M cells, 13 districts; import with the README's
``python -m data import-raster ... --cell-size 30``) and a synthetic province
(``solver.synthetic.grid_landscape``, about 5 M cells of 250 m in 100 counties). Scenario:
``bench_solver.make_scenario`` (the balanced preset, growth 3 % of built land — 1 % on the
synthetic province —, ecological land ≥ 99 %, compactness weight 2).

    python tests/bench/bench_province.py --store stores/wuhan_30m.duckdb \\
        --synthetic 5000000 --counties 100 --workers 1 2 --time-limit 600 \\
        --out out/bench/province.json
"""

from __future__ import annotations

import argparse
import heapq
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PROJECTED_WORKERS = (16, 64, 256)
#: New construction land asked of the synthetic province, share of its built land (3 %, the
#: solver benchmark's share, is infeasible on large synthetic grids: their 城镇开发边界 room
#: ends near 2 %).
SYNTHETIC_GROWTH = 0.01


# ----- the child: one distributed solve ----------------------------------------------------------
def load(spec: dict):
    if spec.get("store"):
        from data.landscape import load_landscape

        return load_landscape(spec["store"])
    from solver.synthetic import grid_landscape

    side = int(round(np.sqrt(spec["synthetic"])))
    per = int(round(np.sqrt(spec["counties"])))
    return grid_landscape(side, side, seed=1, n_regions_x=per, n_regions_y=per)


def child(spec: dict) -> dict:
    import bench_solver as bs

    from solver.distributed import cluster, solve_distributed
    from solver.validate import check_allocation

    t_load = time.monotonic()
    land = load(spec)
    s = bs.make_scenario(land, {"compact": True, "time_limit": spec["time_limit"]})
    if spec.get("synthetic"):  # its urban boundary holds about 2 % of built land in new growth
        built = float(land.area_ha[land.current == land.class_index("built")].sum())
        s = s.with_value("growth.min_new_built_ha", round(SYNTHETIC_GROWTH * built, 1))
    load_s = time.monotonic() - t_load
    events: list[dict] = []
    with cluster(n_workers=spec["workers"]) as client:
        t0 = time.monotonic()
        out = solve_distributed(land, s, client, on_progress=lambda e: events.append(
            {"stage": e.stage, "name": e.name, "seconds": e.seconds, "at": time.monotonic()}))
        wall = time.monotonic() - t0
        worker_mb = client.run(_peak_mb)
    r = out.result
    violations = check_allocation(land, s, r.assignment) if r.assignment is not None else None
    return {
        "instance": spec["label"], "cells": land.n_parcels, "regions": land.n_regions,
        "workers": spec["workers"], "load_s": load_s, "wall_s": wall, "status": str(r.status),
        "objective": r.objective, "bound": r.best_bound, "gap": r.gap,
        "master_s": out.master_s, "rounds": out.rounds, "phases": list(r.phases),
        "client_peak_mb": _peak_mb(), "worker_peak_mb": max(worker_mb.values()),
        "valid": violations == [], "violations": [str(v) for v in (violations or [])[:3]],
        "bound_parts": out.bound_parts, "blocks": out.blocks, "events": len(events)}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ----- the projection ---------------------------------------------------------------------------
def makespan(times: list[float], workers: int) -> float:
    """Longest-first list scheduling of ``times`` on ``workers`` (what Dask's priorities do)."""
    loads = [0.0] * workers
    heapq.heapify(loads)
    for t in sorted(times, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + t)
    return max(loads) if loads else 0.0


def projection(row: dict, workers: int) -> float:
    """Simulated wall time on ``workers``: master and repairs serial, blocks in parallel."""
    total = row["master_s"]
    for rnd in row["rounds"]:
        total += makespan(rnd["block_s"], workers) + makespan(rnd["bound_s"], workers) + sum(
            rnd["repairs_s"])
    return total


# ----- the parent ------------------------------------------------------------------------------
def run(spec: dict) -> dict:
    cmd = [sys.executable, __file__, "--child", json.dumps(spec)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                          timeout=spec["time_limit"] * 3 + 600)
    if done.returncode != 0:
        return {"instance": spec["label"], "workers": spec["workers"], "status": "error",
                "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    head = ("| instance | cells | workers | wall (s) | rounds | master (s) | block s min / med / "
            "max | objective | bound | gap | client MB | worker MB | valid | "
            + " | ".join(f"proj. {w} (s)" for w in PROJECTED_WORKERS) + " |")
    lines = [head, "|" + "---|" * (13 + len(PROJECTED_WORKERS))]
    for r in rows:
        if r.get("status") == "error":
            lines.append(f"| {r['instance']} | | {r['workers']} | error: {r['error']} |")
            continue
        times = [t for rnd in r["rounds"] for t in rnd["block_s"]]
        spread = f"{min(times):.1f} / {np.median(times):.1f} / {max(times):.1f}"
        proj = " | ".join(f"{projection(r, w):.0f}" for w in PROJECTED_WORKERS)
        lines.append(
            f"| {r['instance']} | {r['cells']:,} | {r['workers']} | {r['wall_s']:.0f} | "
            f"{len(r['rounds'])} | {r['master_s']:.1f} | {spread} | {r['objective']:.3f} | "
            f"{r['bound']:.3f} | {100 * r['gap']:.2f} % | {r['client_peak_mb']:,.0f} | "
            f"{r['worker_peak_mb']:,.0f} | {r['valid']} | {proj} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--store", action="append", default=[], help="grid store (.duckdb)")
    p.add_argument("--synthetic", type=int, default=0, help="cells of a synthetic province")
    p.add_argument("--counties", type=int, default=100)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--time-limit", type=float, default=600.0)
    p.add_argument("--out", help="JSON file for the rows")
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child)), default=float))
        return 0
    specs = [{"store": s, "label": Path(s).stem} for s in args.store]
    if args.synthetic:
        specs.append({"synthetic": args.synthetic, "counties": args.counties,
                      "label": f"synthetic {args.synthetic / 1e6:.1f}M / {args.counties}"})
    rows = []
    for spec in specs:
        for w in args.workers:
            started = time.strftime("%H:%M:%S")
            row = run({**spec, "workers": w, "time_limit": args.time_limit})
            rows.append(row)
            print(f"{started} {spec['label']} workers={w}: {row.get('status')} "
                  f"wall {row.get('wall_s', float('nan')):.0f} s gap {row.get('gap')}",
                  flush=True)
            if args.out:
                Path(args.out).parent.mkdir(parents=True, exist_ok=True)
                Path(args.out).write_text(json.dumps(rows, indent=1, default=float))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
