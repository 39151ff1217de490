"""Benchmark infeasibility explanations on real stores: proof, levers named, verified fix.

A script, not a test. Each store is solved in its own subprocess with a scenario that cannot
hold: the balanced preset with new construction allowed anywhere (raster stores carry no
urban boundary), no compactness, 耕地保有量 at ``--quota`` % and at least ``--growth`` × the
current built-up area of new construction. Printed per store: status, wall time of the whole
solve (proof + explanation), the conflicting levers with their joint and alone values and
whether the joint fix was verified by a re-solve, and the child's peak RSS.

    python tests/bench/bench_explain.py --store stores/wuhan_300m.duckdb \\
        --store stores/wuhan_30m.duckdb --time-limit 300 --out out/bench/bench_explain.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def child(store: str, quota: float, growth: float, time_limit: float) -> dict:
    """Solve the infeasible scenario on ``store``; the explanation's facts as a dict."""
    from data.landscape import load_landscape
    from data.presets import load_preset
    from solver.orchestrate import solve

    land = load_landscape(store)
    built = float(land.area_ha[land.current == land.class_index("built")].sum())
    s = (load_preset("balanced").with_value("growth.only_inside_boundary", False)
         .with_value("weights.compactness", 0.0).with_value("farmland.quota_pct", quota)
         .with_value("growth.min_new_built_ha", round(growth * built, 1))
         .with_value("solver.time_limit_s", time_limit))
    t0 = time.monotonic()
    r = solve(land, s)
    wall = time.monotonic() - t0
    ex = r.explanation
    return {"store": Path(store).stem, "parcels": land.n_parcels, "status": str(r.status),
            "wall_s": round(wall, 1), "phases": list(r.phases),
            "determined": None if ex is None else ex.determined,
            "levers": [] if ex is None else [
                {"key": x.key, "current": x.current, "suggested": x.suggested,
                 "alone": x.alone_value, "verified": x.verified} for x in ex.suggestions],
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def run(args: argparse.Namespace) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')}, load average {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} cores; quota {args.quota} %, growth {args.growth} × built, "
          f"limit {args.time_limit} s")
    print("| store | parcels | status | wall (s) | levers (now → joint; alone) | verified | "
          "peak RSS (MB) |\n|---|---|---|---|---|---|---|")
    rows = []
    for store in args.store:
        cmd = [sys.executable, __file__, "--child", store, "--quota", str(args.quota),
               "--growth", str(args.growth), "--time-limit", str(args.time_limit)]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            print(f"| {Path(store).stem} | failed: {done.stderr.strip()[-300:]} |")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(r)
        levers = "; ".join(f"{x['key']} {x['current']} → {x['suggested']} (alone {x['alone']})"
                           for x in r["levers"]) or "—"
        verified = all(x["verified"] for x in r["levers"]) if r["levers"] else "—"
        print(f"| {r['store']} | {r['parcels']:,} | {r['status']} | {r['wall_s']} | {levers} | "
              f"{verified} | {r['peak_rss_mb']:,} |", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print(f"\nwrote {args.out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", action="append", default=[], help="a parcel store (repeatable)")
    ap.add_argument("--quota", type=float, default=102.0, help="耕地保有量, %% of current")
    ap.add_argument("--growth", type=float, default=0.2,
                    help="minimum new construction as a share of current built-up area")
    ap.add_argument("--time-limit", type=float, default=300.0, help="per solve, s")
    ap.add_argument("--out", default="out/bench/bench_explain.json")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.quota, args.growth, args.time_limit)))
    else:
        run(args)


if __name__ == "__main__":
    main()
