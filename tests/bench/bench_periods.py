"""Benchmark the joint multi-period model (开发时序) against the single-period model.

A script, not a test. The demo county (``data.demo.build_demo``) with the ``balanced`` preset
as base levers and three periods (2027 → 2030 → 2035) with cumulative county and per-township
growth targets, a per-period conversion cap in the first period, and the same final-period
targets solved by the single-period model. Every solve runs in its own subprocess (peak RSS
per solve). Prints a Markdown table and writes a JSON file.

    python tests/bench/bench_periods.py --out /tmp/bench/bench_periods.json
    python tests/bench/bench_periods.py --compact off --time-limit 60

Columns: ``first`` time to first solution, ``1%`` time of the first progress event with a
proven gap ≤ 1 % (gap = (bound − objective) / max(|objective|, 1 point), objective summed over
periods for the joint model), ``gap`` final gap, ``valid`` = the period validator (or the
single-period validator) finds no violation and the objective matches.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

#: (name, year, share of the final county growth target, first-period conversion cap %)
PERIODS = (("起步期", 2027, 0.3, 2.0), ("近期", 2030, 0.6, None), ("远期", 2035, 1.0, None))


def load_demo():
    from data.demo import build_demo
    from data.landscape import load_landscape

    db = Path(tempfile.gettempdir()) / "bench_demo_county.duckdb"
    if not db.exists():
        build_demo(db)
    return load_landscape(db)


def make_period_scenario(land, spec: dict):
    """Balanced preset; county growth 3 % of current built land by 2035, phased 30/60/100 %;
    every township ≥ 40 % of its built-area share of each period's target; the county seat
    ≤ 60 % of it; ecological land ≥ 99 %; compactness weight 2 (or 0)."""
    from data.presets import load_preset
    from solver.periods import PeriodScenario

    built = land.class_index("built")
    built0 = float(land.area_ha[land.current == built].sum())
    share = np.bincount(land.region, weights=land.area_ha * (land.current == built),
                        minlength=land.n_regions) / built0
    total = round(0.03 * built0, 1)
    base = load_preset("balanced").to_dict()
    base["ecology"]["min_ecological_pct"] = 99.0
    base["weights"]["compactness"] = 2.0 if spec["compact"] else 0.0
    base["solver"].update(time_limit_s=spec["time_limit"], workers=2)
    periods = []
    for name, year, frac, cap in PERIODS:
        target = round(frac * total, 1)
        mins = {r: round(0.4 * s * target, 1) for r, s in zip(land.region_names, share, strict=True)}
        growth = {"min_new_built_ha": target, "region_min_new_built_ha": mins,
                  "region_max_new_built_ha": {land.region_names[0]: round(0.6 * target, 1)}}
        periods.append({"name": name, "year": year, "growth": growth,
                        **({"max_period_changed_pct": cap} if cap is not None else {})})
    return PeriodScenario.from_dict({**base, "base_year": 2025, "periods": periods})


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _progress(reached: list[float]):
    def on(e) -> None:
        if not reached and e.gap is not None and e.gap <= 0.01:
            reached.append(e.elapsed_s)
    return on


def child_single(spec: dict) -> dict:
    from solver import solve
    from solver.validate import check_allocation, objective_tolerance, objective_value

    land = load_demo()
    s = make_period_scenario(land, spec).scenarios[-1]
    reached: list[float] = []
    t0 = time.monotonic()
    r = solve(land, s, on_progress=_progress(reached))
    wall = time.monotonic() - t0
    valid = None if r.assignment is None else (not check_allocation(land, s, r.assignment) and abs(
        objective_value(land, s, r.assignment) - r.objective) <= objective_tolerance(land))
    return {"status": str(r.status), "objective": r.objective, "bound": r.best_bound,
            "gap": r.gap, "first_s": r.time_to_first_s, "to_1pct_s": reached[0] if reached
            else None, "wall_s": wall, "valid": valid, "n_vars": r.n_variables,
            "n_rows": r.n_constraints, "phases": list(r.phases), "rss_mb": peak_rss_mb()}


def child_joint(spec: dict) -> dict:
    from solver import solve
    from solver.orchestrate import solve_periods
    from solver.period_validate import (
        check_periods,
        period_objective_tolerance,
        period_objective_value,
    )

    land = load_demo()
    ps = make_period_scenario(land, spec)
    hint, hint_s = None, None
    if spec.get("hinted"):  # warm start from the single-period solution of the final targets
        t0 = time.monotonic()
        hint = solve(land, ps.scenarios[-1])
        hint_s = time.monotonic() - t0
    reached: list[float] = []
    t0 = time.monotonic()
    r = solve_periods(land, ps, on_progress=_progress(reached), hint=hint)
    wall = time.monotonic() - t0
    valid = None if r.assignment is None else (
        not check_periods(land, ps, r.assignment) and abs(period_objective_value(
            land, ps, r.assignment) - r.objective) <= period_objective_tolerance(land, ps))
    return {"status": str(r.status), "objective": r.objective, "bound": r.best_bound,
            "gap": r.gap, "first_s": r.time_to_first_s, "to_1pct_s": reached[0] if reached
            else None, "wall_s": wall, "valid": valid, "n_vars": r.n_variables,
            "n_rows": r.n_constraints, "phases": list(r.phases), "hint_s": hint_s,
            "period_objective": list(r.period_objective),
            "changed_in_period_ha": list(r.changed_in_period_ha), "rss_mb": peak_rss_mb()}


CHILDREN = {"single": child_single, "joint": child_joint}
ROWS = (("single", "single (2035 targets)", "single", {}),
        ("joint", "joint, 3 periods", "joint", {}),
        ("hinted", "joint, hinted by single", "joint", {"hinted": True}))


def run_child(mode: str, spec: dict) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--spec", json.dumps(spec)]
    hard = 3 * spec["time_limit"] + 120
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=hard, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"status": f"killed after {hard} s"}
    if p.returncode != 0:
        return {"status": "error", "error": p.stderr.strip().splitlines()[-3:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


HEADER = ("| model | compact | status | variables | rows | first (s) | 1% (s) | wall (s) | gap | "
          "objective | bound | RSS (MB) | valid |")


def row(name: str, spec: dict, o: dict) -> str:
    gap = "—" if o.get("gap") is None else f"{100 * o['gap']:.2f}%"
    return (f"| {name} | {'on' if spec['compact'] else 'off'} | {o.get('status')} | "
            f"{o.get('n_vars', '—')} | {o.get('n_rows', '—')} | {fmt(o.get('first_s'))} | "
            f"{fmt(o.get('to_1pct_s'))} | {fmt(o.get('wall_s'))} | {gap} | "
            f"{fmt(o.get('objective'), 3)} | {fmt(o.get('bound'), 3)} | "
            f"{fmt(o.get('rss_mb'), 0)} | {o.get('valid')} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compact", choices=["both", "on", "off"], default="both")
    ap.add_argument("--time-limit", type=float, default=30.0, help="per solve, s")
    ap.add_argument("--rows", default="single,joint,hinted",
                    help="comma list of single, joint, hinted")
    ap.add_argument("--out", default="bench_periods.json")
    ap.add_argument("--child", choices=list(CHILDREN))
    ap.add_argument("--spec")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](json.loads(args.spec))))
        return
    print(" ".join(sys.argv), f"\n{time.strftime('%Y-%m-%d %H:%M:%S')}, load average "
          f"{os.getloadavg()[0]:.1f}, {os.cpu_count()} cores\n\n{HEADER}")
    print("|" + "---|" * (HEADER.count("|") - 1))
    results = []
    for compact in {"both": (True, False), "on": (True,), "off": (False,)}[args.compact]:
        spec = {"compact": compact, "time_limit": args.time_limit}
        for key, name, mode, extra in ROWS:
            if key not in args.rows.split(","):
                continue
            o = run_child(mode, {**spec, **extra})
            print(row(name, spec, o), flush=True)
            results.append({"spec": {**spec, **extra}, "mode": mode,
                            "load_avg_1min": os.getloadavg()[0], **o})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
