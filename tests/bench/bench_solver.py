"""Benchmark the allocation solver against HiGHS on the identical MILP and the LP bound.

A script, not a test. Every solve runs in its own subprocess, so peak RSS is per solve and a
solver that overruns its limit can be killed. Instances: the demo county (if ``data.demo`` is
importable) and synthetic grid counties (``solver.synthetic.grid_landscape``), each with and
without the compactness term. Prints one table and writes a JSON file.

    python tests/bench/bench_solver.py                       # demo + 10k + 50k + 100k
    python tests/bench/bench_solver.py --sizes 10k --no-demo --time-limit 20 --out b.json
    python tests/bench/bench_solver.py --sizes "" --no-demo --store stores/wuhan_300m.duckdb

Columns: ``first`` time to first solution, ``1%`` time to a proven gap ≤ 1 %, ``gap`` final
gap, ``RSS`` peak resident memory of the solve's process. Gaps are (bound − objective) /
max(|objective|, 1 point) with the objective in points (0 = status quo), for every solver.
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

SIZES = {"1k": (25, 40), "10k": (100, 100), "50k": (200, 250), "100k": (250, 400)}


# ----- instances (rebuilt identically in every child) ---------------------------------------
def make_landscape(spec: dict):
    if spec["kind"] == "demo":
        from data.demo import build_demo
        from data.landscape import load_landscape

        db = Path(tempfile.gettempdir()) / "bench_demo_county.duckdb"
        if not db.exists():
            build_demo(db)
        return load_landscape(db)
    if spec["kind"] == "store":  # an imported store, e.g. the Wuhan land cover at 300 m
        from data.landscape import load_landscape

        return load_landscape(spec["path"])
    from solver.synthetic import grid_landscape

    rows, cols = SIZES[spec["size"]]
    return grid_landscape(rows, cols, seed=1)


def make_scenario(land, spec: dict):
    """The balanced preset, growth target 3 % of current built land, ecological land ≥ 99 %
    (100 % with the balance and a 100 % quota leaves no source for growth on grids without
    unused land), compactness on/off."""
    from data.presets import load_preset

    if spec.get("preset"):  # a shipped preset as is (demo county only)
        s = load_preset(spec["preset"]).with_value("solver.time_limit_s", spec["time_limit"])
        return s.with_value("solver.workers", 2)
    built0 = float(land.area_ha[land.current == land.class_index("built")].sum())
    s = load_preset("balanced").with_value("growth.min_new_built_ha", round(0.03 * built0, 1))
    s = s.with_value("ecology.min_ecological_pct", 99.0)
    if not land.urban_boundary.any():  # raster imports carry no 城镇开发边界: growth may go anywhere
        s = s.with_value("growth.only_inside_boundary", False)
    s = s.with_value("weights.compactness", 2.0 if spec["compact"] else 0.0)
    s = s.with_value("solver.time_limit_s", spec["time_limit"])
    return s.with_value("solver.workers", 2)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def gap(obj: float | None, bound: float | None) -> float | None:
    if obj is None or bound is None:
        return None
    return max(bound - obj, 0.0) / max(abs(obj), 1.0)


# ----- children -------------------------------------------------------------------------
def child_ours(spec: dict) -> dict:
    from solver import solve
    from solver.validate import check_allocation, objective_tolerance, objective_value

    land = make_landscape(spec)
    scenario = make_scenario(land, spec)
    t0 = time.monotonic()
    reached: list[float] = []

    def progress(e) -> None:
        if not reached and e.gap is not None and e.gap <= 0.01:
            reached.append(e.elapsed_s)

    r = solve(land, scenario, on_progress=progress)
    wall = time.monotonic() - t0
    valid = None
    if r.assignment is not None:
        valid = not check_allocation(land, scenario, r.assignment) and abs(
            objective_value(land, scenario, r.assignment) - r.objective
        ) <= objective_tolerance(land)
    return {"status": str(r.status), "objective": r.objective, "bound": r.best_bound,
            "gap": r.gap, "first_s": r.time_to_first_s,
            "to_1pct_s": reached[0] if reached else None,
            "wall_s": wall, "valid": valid, "n_parcels": land.n_parcels,
            "n_mutable": r.n_mutable, "n_vars": r.n_variables, "n_rows": r.n_constraints,
            "phases": list(r.phases), "rss_mb": peak_rss_mb()}


def child_lp(spec: dict) -> dict:
    from solver.instance import build_instance
    from solver.model import AllocationModel

    land = make_landscape(spec)
    model = AllocationModel(build_instance(land, make_scenario(land, spec)))
    lp = model.solve_lp(spec["time_limit"])
    bound = lp.bound_units / model.instance.obj_scale if lp.bound_units is not None else None
    fractional = None
    if lp.values is not None:
        fixed, _ = model.lp_rounding(lp.values)
        fractional = int(((fixed < 0) & model.instance.mutable).sum())
    return {"status": lp.status, "bound": bound, "wall_s": lp.wall_time_s,
            "fractional_parcels": fractional, "rss_mb": peak_rss_mb()}


def child_highs(spec: dict) -> dict:
    import highspy  # must not share a process with OR-Tools (clashing HiGHS symbols)

    from solver.instance import build_instance
    from solver.rules import build_program
    from solver.validate import check_allocation

    land = make_landscape(spec)
    scenario = make_scenario(land, spec)
    inst = build_instance(land, scenario)
    builder, variables = build_program(inst)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(spec["time_limit"]))
    h.setOptionValue("mip_rel_gap", 0.01)
    t0 = time.monotonic()
    h.passModel(_highs_lp(highspy, builder, inst))
    h.run()
    wall = time.monotonic() - t0
    info = h.getInfo()
    has = info.primal_solution_status == 2
    obj = info.objective_function_value if has else None
    bound = info.mip_dual_bound if np.isfinite(info.mip_dual_bound) else None
    valid = None
    if has:
        assignment = variables.values(np.rint(np.asarray(h.getSolution().col_value)))
        valid = not check_allocation(land, scenario, assignment)
    g = gap(obj, bound)
    return {"status": h.modelStatusToString(h.getModelStatus()), "objective": obj,
            "bound": bound, "gap": g, "wall_s": wall, "valid": valid,
            "to_1pct_s": wall if g is not None and g <= 0.01 else None, "rss_mb": peak_rss_mb()}


def _highs_lp(highspy, builder, inst):
    """The identical model as a HighsLp: same matrix, bounds, objective (points) and offset."""
    a = builder.matrix().tocsc()
    lb, ub = builder.bounds()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = builder.n_vars, builder.n_rows
    lp.col_cost_ = builder.objective().astype(float) / inst.obj_scale
    lp.col_lower_ = np.zeros(builder.n_vars)
    lp.col_upper_ = builder.upper().astype(float)
    lp.row_lower_ = np.where(np.isfinite(lb), lb, -highspy.kHighsInf)
    lp.row_upper_ = np.where(np.isfinite(ub), ub, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * builder.n_vars
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.offset_ = (builder.offset - inst.status_quo_units) / inst.obj_scale
    return lp


CHILDREN = {"ours": child_ours, "lp": child_lp, "highs": child_highs}


# ----- parent ---------------------------------------------------------------------------
def run_child(mode: str, spec: dict) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--spec", json.dumps(spec)]
    hard = 3 * spec["time_limit"] + 120  # solvers may overrun their limits; never hang
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=hard, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"status": f"killed after {hard} s"}
    if p.returncode != 0:
        return {"status": "error", "error": p.stderr.strip().splitlines()[-1:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def fmt_gap(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.2f}%"


def ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None or a <= 0 else f"{b / a:.1f}×"


HEADER = ("| instance | parcels | mutable | ours first (s) | ours 1% (s) | ours gap | ours RSS "
          "(MB) | valid | HiGHS 1% (s) | HiGHS gap | HiGHS RSS (MB) | LP (s) | LP bound | "
          "ours obj | HiGHS obj | HiGHS/ours time to 1% |")


def row(name: str, res: dict) -> str:
    o, h, lp = res["ours"], res["highs"], res["lp"]
    return (f"| {name} | {o.get('n_parcels', '—')} | {o.get('n_mutable', '—')} | "
            f"{fmt(o.get('first_s'))} | {fmt(o.get('to_1pct_s'))} | {fmt_gap(o.get('gap'))} | "
            f"{fmt(o.get('rss_mb'), 0)} | {o.get('valid')} / {h.get('valid')} | "
            f"{fmt(h.get('to_1pct_s'))} | {fmt_gap(h.get('gap'))} | {fmt(h.get('rss_mb'), 0)} | "
            f"{fmt(lp.get('wall_s'))} | {fmt(lp.get('bound'), 3)} | {fmt(o.get('objective'), 3)}"
            f" | {fmt(h.get('objective'), 3)} | "
            f"{ratio(o.get('to_1pct_s'), h.get('to_1pct_s'))} |")


def instances(args: argparse.Namespace) -> list[dict]:
    specs = []
    kinds = ([{"kind": "demo", "size": "demo"}] if args.demo else []) + [
        {"kind": "grid", "size": s} for s in args.sizes.split(",") if s] + [
        {"kind": "store", "size": Path(p).stem, "path": str(Path(p).resolve())}
        for p in args.store]
    for kind in kinds:
        for compact in {"both": (True, False), "on": (True,), "off": (False,)}[args.compact]:
            specs.append({**kind, "compact": compact, "time_limit": args.time_limit})
    return specs


PRESET_HEADER = ("| preset | status | first (s) | wall (s) | gap | objective | bound | "
                 "RSS (MB) | valid | phases |")


def run_presets(args: argparse.Namespace) -> None:
    """Every shipped preset on the demo county, one subprocess each."""
    from data.presets import PRESET_KEYS

    print(" ".join(sys.argv), f"\n{time.strftime('%Y-%m-%d %H:%M:%S')}, load average "
          f"{os.getloadavg()[0]:.1f}\n")
    print(PRESET_HEADER + "\n|" + "---|" * (PRESET_HEADER.count("|") - 1))
    results = []
    for key in PRESET_KEYS:
        spec = {"kind": "demo", "size": "demo", "preset": key, "time_limit": args.time_limit}
        o = run_child("ours", spec)
        print(f"| {key} | {o.get('status')} | {fmt(o.get('first_s'))} | {fmt(o.get('wall_s'))} "
              f"| {fmt_gap(o.get('gap'))} | {fmt(o.get('objective'), 3)} | "
              f"{fmt(o.get('bound'), 3)} | {fmt(o.get('rss_mb'), 0)} | {o.get('valid')} | "
              f"{' '.join(o.get('phases', []))} |", flush=True)
        results.append({"spec": spec, "ours": o})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,50k,100k", help=f"comma list of {list(SIZES)}")
    ap.add_argument("--demo", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--compact", choices=["both", "on", "off"], default="both",
                    help="with and/or without the compactness term")
    ap.add_argument("--store", action="append", default=[],
                    help="also solve this parcel store (repeatable), e.g. a Wuhan import")
    ap.add_argument("--time-limit", type=float, default=30.0, help="per solve, s (all solvers)")
    ap.add_argument("--out", default="bench_solver.json")
    ap.add_argument("--presets", action="store_true",
                    help="instead: solve the demo county with every shipped preset (ours only)")
    ap.add_argument("--child", choices=list(CHILDREN))
    ap.add_argument("--spec")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](json.loads(args.spec))))
        return
    if args.presets:
        run_presets(args)
        return
    print(" ".join(sys.argv), f"\n{time.strftime('%Y-%m-%d %H:%M:%S')}, load average "
          f"{os.getloadavg()[0]:.1f}, {os.cpu_count()} cores\n\n{HEADER}")
    print("|" + "---|" * (HEADER.count("|") - 1))
    results = []
    for spec in instances(args):
        res = {mode: run_child(mode, spec) for mode in ("ours", "highs", "lp")}
        name = f"{spec['size']} {'+compact' if spec['compact'] else 'no compact'}"
        print(row(name, res), flush=True)
        results.append({"spec": spec, "load_avg_1min": os.getloadavg()[0], **res})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
