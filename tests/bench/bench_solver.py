"""Benchmark the allocation solver against HiGHS on the identical MILP, the LP bound and the flow.

A script, not a test. Every solve runs in its own subprocess, so peak RSS is per solve and a
solver that overruns its limit can be killed. One run produces the table of issue 11:

* instances: the demo county (``data.demo.build_demo``), synthetic grid counties
  (``solver.synthetic.grid_landscape``: 10k, 50k, 100k, 1M parcels) and parcel stores given
  with ``--store`` (the Wuhan land cover at 300, 120 and 90 m), each with and without the
  compactness term;
* on every store also a **demand** scenario: a 规划指标表 relative to the store's current class
  areas (built +20 %, cropland −8 %, forest and grassland each within ±5 %) with the other
  area levers opened, so that the demand table is what binds;
* per instance: ours (``solver.solve``), HiGHS on the identical model
  (``solver.rules.build_program``), the LP relaxation alone, and the min-cost flow alone
  (``solver.flow.solve_flow``, shown as "—" while that module does not exist).

    python tests/bench/bench_solver.py --sizes 10k,50k,100k,1m \\
        --store stores/wuhan_300m.duckdb --store stores/wuhan_120m.duckdb \\
        --store stores/wuhan_90m.duckdb --time-limit 30 --out out/bench/bench_issue11.json
    python tests/bench/bench_solver.py --sizes 10k --no-demo --time-limit 20 --out out/b.json
    python tests/bench/bench_solver.py --presets --out out/bench/bench_presets.json

Columns: ``first`` time to the first allocation, ``1%`` / ``0.1%`` time to a proven gap
≤ 1 % / ≤ 0.1 % (ours stops at its target gap: ``--target-gap``, default 1 %), ``gap``
final gap, ``wall`` the solve's wall time, ``RSS`` peak resident memory of the solve's
process (measured by the parent with ``wait4``, so also for killed processes). Gaps are
(bound − objective) / max(|objective|, 1 point) with the objective in points (0 = status quo),
for every solver. HiGHS is killed ``HIGHS_GRACE_S`` after its own time limit (it can overrun
it by minutes); the other solvers get more slack (``OVERRUN_FACTOR``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SIZES = {"1k": (25, 40), "10k": (100, 100), "50k": (200, 250), "100k": (250, 400),
         "1m": (1000, 1000)}
#: The demand scenario's table, in % of each class's current area in the store.
DEMAND_ROWS: tuple[dict[str, Any], ...] = (
    {"class": "built", "target_pct": 120.0},
    {"class": "cropland", "target_pct": 92.0},
    {"class": "forest", "min_pct": 95.0, "max_pct": 105.0},
    {"class": "grassland", "min_pct": 95.0, "max_pct": 105.0},
)
#: HiGHS is killed this long after its time limit: it overruns the limit (210 s for 30 s at
#: 100k with compactness; still running at 90 s on Wuhan 300 m without), and a benchmark
#: must not hang on it.
HIGHS_GRACE_S = 60.0
#: Our solver, the LP and the flow are killed after OVERRUN_FACTOR × limit + HIGHS_GRACE_S:
#: ours has overrun its limit by up to a third under load (model building), never by 2×.
OVERRUN_FACTOR = 2.0
#: Loading a store or building a 1M-parcel grid and its model happens before the solve clock
#: starts; a child still building after this long is killed too.
SETUP_TIMEOUT_S = 1800.0
POLL_S = 0.2
SCENARIOS = ("base", "demand")


# ----- instances (rebuilt identically in every child) ---------------------------------------
def make_landscape(spec: dict):
    """The landscape named by ``spec``: demo county, a parcel store or a synthetic grid."""
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
    """The scenario of ``spec`` on ``land``: a preset as is, the base or the demand scenario.

    Base: the balanced preset, growth target 3 % of current built land, ecological land
    ≥ 99 % (100 % with the balance and a 100 % quota leaves no source for growth on grids
    without unused land). Demand: the balanced preset with the growth minimum, ecological
    floor and farmland quota at 0 and the expansion cap at 5×, plus :data:`DEMAND_ROWS`.
    Both: compactness weight 2 or 0, new built land anywhere when the store has no urban
    boundary.
    """
    from data.presets import load_preset

    if spec.get("preset"):  # a shipped preset as is (demo county only)
        s = load_preset(spec["preset"]).with_value("solver.time_limit_s", spec["time_limit"])
        return s.with_value("solver.workers", 2)
    s = load_preset("balanced")
    if spec.get("scenario") == "demand":
        s = demand_scenario(s, land)
    else:
        built0 = float(land.area_ha[land.current == land.class_index("built")].sum())
        s = s.with_value("growth.min_new_built_ha", round(0.03 * built0, 1))
        s = s.with_value("ecology.min_ecological_pct", 99.0)
    if not land.urban_boundary.any():  # raster imports carry no 城镇开发边界: growth may go anywhere
        s = s.with_value("growth.only_inside_boundary", False)
    s = s.with_value("weights.compactness", 2.0 if spec["compact"] else 0.0)
    s = s.with_value("solver.time_limit_s", spec["time_limit"])
    if spec.get("target_gap") is not None:
        s = s.with_value("solver.target_gap_pct", spec["target_gap"])
    return s.with_value("solver.workers", 2)


def demand_scenario(s, land):
    """``s`` with the area levers opened (so the demand table binds) and the demand table."""
    s = (s.with_value("growth.min_new_built_ha", 0.0)
         .with_value("ecology.min_ecological_pct", 0.0)
         .with_value("farmland.quota_pct", 0.0)
         .with_value("growth.expansion_cap", 5.0))
    return s.with_demand(demand_rows(land))


def demand_rows(land) -> list[dict[str, Any]]:
    """:data:`DEMAND_ROWS` for the classes ``land`` has (a missing class would be an error)."""
    return [dict(row) for row in DEMAND_ROWS if land.class_index(row["class"]) >= 0]


def demand_areas(land, assignment: np.ndarray | None) -> dict[str, dict[str, float | None]]:
    """Current area, demanded band (ha) and allocated area of every demand class."""
    before = land.area_by_class(land.current)
    after = land.area_by_class(assignment) if assignment is not None else None
    out = {}
    for row in demand_rows(land):
        k = land.class_index(row["class"])
        lo = row.get("target_pct", row.get("min_pct"))
        hi = row.get("target_pct", row.get("max_pct"))
        out[row["class"]] = {"current_ha": float(before[k]),
                             "min_ha": float(before[k] * lo / 100),
                             "max_ha": float(before[k] * hi / 100),
                             "after_ha": None if after is None else float(after[k])}
    return out


def gap(obj: float | None, bound: float | None) -> float | None:
    """(bound − objective) / max(|objective|, 1 point), never negative; None if unknown."""
    if obj is None or bound is None:
        return None
    return max(bound - obj, 0.0) / max(abs(obj), 1.0)


def mark_ready(spec: dict, started: float) -> None:
    """Tell the parent that setup is done and the solve starts (its kill clock starts now)."""
    if spec.get("ready_file"):
        Path(spec["ready_file"]).write_text(f"{time.monotonic() - started:.3f}")


# ----- children -------------------------------------------------------------------------
def child_ours(spec: dict) -> dict:
    """``solver.solve`` with its progress events: first allocation, 1 % gap, validation."""
    from solver import solve
    from solver.validate import check_allocation, objective_tolerance, objective_value

    started = time.monotonic()
    land = make_landscape(spec)
    scenario = make_scenario(land, spec)
    reached: dict[float, float] = {}  # gap → first time a progress event proved it

    def progress(e) -> None:
        for gap in (0.01, 0.001):
            if gap not in reached and e.gap is not None and e.gap <= gap:
                reached[gap] = e.elapsed_s

    mark_ready(spec, started)
    t0 = time.monotonic()
    r = solve(land, scenario, on_progress=progress)
    wall = time.monotonic() - t0
    valid = None
    if r.assignment is not None:
        valid = not check_allocation(land, scenario, r.assignment) and abs(
            objective_value(land, scenario, r.assignment) - r.objective
        ) <= objective_tolerance(land)
    out = {"status": str(r.status), "objective": r.objective, "bound": r.best_bound,
           "gap": r.gap, "first_s": r.time_to_first_s,
           "to_1pct_s": reached.get(0.01), "to_01pct_s": reached.get(0.001),
           "wall_s": wall, "valid": valid, "n_parcels": land.n_parcels,
           "n_mutable": r.n_mutable, "n_vars": r.n_variables, "n_rows": r.n_constraints,
           "phases": list(r.phases), "message": r.message[:300]}
    if spec.get("scenario") == "demand":
        out["demand"] = demand_areas(land, r.assignment)
    return out


def child_lp(spec: dict) -> dict:
    """The LP relaxation of the identical model alone: time, bound, fractional parcels."""
    from solver.instance import build_instance
    from solver.model import AllocationModel

    started = time.monotonic()
    land = make_landscape(spec)
    model = AllocationModel(build_instance(land, make_scenario(land, spec)))
    mark_ready(spec, started)
    lp = model.solve_lp(spec["time_limit"])
    bound = lp.bound_units / model.instance.obj_scale if lp.bound_units is not None else None
    fractional = None
    if lp.values is not None:
        fixed, _ = model.lp_rounding(lp.values)
        fractional = int(((fixed < 0) & model.instance.mutable).sum())
    return {"status": lp.status, "bound": bound, "wall_s": lp.wall_time_s,
            "fractional_parcels": fractional}


def child_flow(spec: dict) -> dict:
    """``solver.flow.solve_flow(instance)`` alone, when that function exists.

    The flow carries the nested area targets only (no compactness term, no side rows such as
    占补平衡 or the conversion budget), so its allocation is checked by the validator like
    the others and may fail it. Its objective is that allocation's value in the full model
    (points, 0 = status quo); ``bound_units`` is read as documented in ``solver.flow``
    (objective units, status quo not subtracted) and is a bound of the flow's relaxation,
    left out (None) for a model with compactness. The raw unit figures are kept.
    """
    try:
        from solver.flow import solve_flow
    except (ImportError, AttributeError):
        return {"status": "missing"}
    from solver.instance import build_instance
    from solver.validate import check_allocation

    started = time.monotonic()
    land = make_landscape(spec)
    scenario = make_scenario(land, spec)
    inst = build_instance(land, scenario)
    mark_ready(spec, started)
    t0 = time.monotonic()
    r = solve_flow(inst)
    wall = time.monotonic() - t0
    assignment = getattr(r, "assignment", None)
    raw_obj, raw_bound = getattr(r, "objective_units", None), getattr(r, "bound_units", None)
    obj = inst.points_of(assignment) if assignment is not None else _points(raw_obj, inst)
    # without the compactness term the flow's optimum bounds nothing of a compact model
    bound = None if spec["compact"] else _points(raw_bound, inst)
    valid = None if assignment is None else not check_allocation(land, scenario, assignment)
    return {"status": str(r.status), "objective": obj, "bound": bound, "gap": gap(obj, bound),
            "wall_s": float(getattr(r, "wall_time_s", wall)), "outer_wall_s": wall,
            "valid": valid, "objective_units_raw": _number(raw_obj),
            "bound_units_raw": _number(raw_bound), "obj_scale": inst.obj_scale,
            "status_quo_units": int(inst.status_quo_units),
            "split_parcels": len(getattr(r, "split", ()))}


def _points(units: float | None, inst) -> float | None:
    """Units with the status quo not subtracted → points with status quo = 0."""
    if units is None:
        return None
    return (float(units) - inst.status_quo_units) / inst.obj_scale


def _number(x: Any) -> float | None:
    return None if x is None else float(x)


def child_highs(spec: dict) -> dict:
    """HiGHS on the identical MILP (same matrix, bounds, objective and offset)."""
    import highspy  # must not share a process with OR-Tools (clashing HiGHS symbols)

    from solver.instance import build_instance
    from solver.rules import build_program
    from solver.validate import check_allocation

    started = time.monotonic()
    land = make_landscape(spec)
    scenario = make_scenario(land, spec)
    inst = build_instance(land, scenario)
    builder, variables = build_program(inst)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(spec["time_limit"]))
    h.setOptionValue("mip_rel_gap", 0.01)
    lp = _highs_lp(highspy, builder, inst)
    mark_ready(spec, started)
    t0 = time.monotonic()
    h.passModel(lp)
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
            "to_1pct_s": wall if g is not None and g <= 0.01 else None}


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


CHILDREN = {"ours": child_ours, "highs": child_highs, "lp": child_lp, "flow": child_flow}


# ----- running a child ------------------------------------------------------------------
def solve_timeout_s(mode: str, time_limit: float) -> float:
    """Seconds a child may spend after its setup before it is killed."""
    if mode == "highs":
        return time_limit + HIGHS_GRACE_S
    return OVERRUN_FACTOR * time_limit + HIGHS_GRACE_S


def run_child(mode: str, spec: dict, script: str = __file__) -> dict:
    """Run one solver on one instance in a fresh process (``script --child mode``, this
    file by default); never raises, never hangs.

    Returns the child's JSON with ``rss_mb`` (peak, from ``wait4``) and ``setup_s`` added;
    ``status`` is ``"killed"`` (with ``killed_in`` and ``killed_after_s``) when a deadline
    passed, ``"error"`` (with the last stderr line) when the child failed.
    """
    with tempfile.TemporaryDirectory(prefix="bench_solver_") as tmp:
        folder = Path(tmp)
        ready, out, err = folder / "ready", folder / "stdout", folder / "stderr"
        cmd = [sys.executable, script, "--child", mode,
               "--spec", json.dumps({**spec, "ready_file": str(ready)})]
        with open(out, "w") as fo, open(err, "w") as fe:
            proc = subprocess.Popen(cmd, stdout=fo, stderr=fe, cwd=ROOT)
        rss_mb, killed = wait_child(proc, ready, solve_timeout_s(mode, spec["time_limit"]))
        setup_s = float(ready.read_text() or "nan") if ready.exists() else None
        res = child_outcome(proc.returncode, out.read_text(), err.read_text(), killed)
    return {**res, "rss_mb": rss_mb, "setup_s": setup_s, "exit_code": proc.returncode}


def wait_child(proc: subprocess.Popen, ready: Path,
               timeout_s: float) -> tuple[float, dict | None]:
    """Wait for ``proc`` with ``os.wait4`` (its own peak RSS, also when killed).

    The solve clock starts when the child writes ``ready``; before that, setup may take up
    to :data:`SETUP_TIMEOUT_S`. Sets ``proc.returncode``; returns (peak RSS MB, kill record
    or None).
    """
    start, solve_start, killed = time.monotonic(), None, None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        now = time.monotonic()
        if solve_start is None and ready.exists():
            solve_start = now
        if solve_start is None and now - start > SETUP_TIMEOUT_S:
            killed = {"killed_in": "setup", "killed_after_s": round(now - start, 1)}
        elif solve_start is not None and now - solve_start > timeout_s:
            killed = {"killed_in": "solve", "killed_after_s": round(now - solve_start, 1)}
        if killed:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(POLL_S)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait
    return usage.ru_maxrss / 1024.0, killed


def child_outcome(returncode: int, stdout: str, stderr: str, killed: dict | None) -> dict:
    """The child's result, or a record of why there is none."""
    if killed:
        return {"status": "killed", **killed}
    lines = stdout.strip().splitlines()
    if returncode != 0 or not lines:
        why = stderr.strip().splitlines()[-1:] or [f"exit code {returncode}"]
        if returncode < 0:  # e.g. the kernel's OOM killer
            why = [f"killed by signal {-returncode}", *why]
        return {"status": "error", "error": why}
    try:
        return json.loads(lines[-1])
    except json.JSONDecodeError:
        return {"status": "error", "error": [f"unreadable child output: {lines[-1][:200]}"]}


# ----- table ------------------------------------------------------------------------------
def fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def fmt_gap(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.2f}%"


def fmt_status(res: dict) -> str:
    """Short status: the solver's own, ``killed (stage, N s)``, ``error`` or ``—`` (not run,
    or ``solver.flow`` missing)."""
    status = res.get("status")
    if status in (None, "missing", "skipped"):
        return "—"
    if status == "killed":
        return f"killed ({res.get('killed_in')}, {res.get('killed_after_s')} s)"
    return str(status)


def fmt_valid(res: dict) -> str:
    return {True: "ok", False: "FAIL"}.get(res.get("valid"), "—")


def fmt_flow(res: dict) -> str:
    """The flow's status and whether its allocation passes the validator of the full model."""
    status = fmt_status(res)
    return status if res.get("valid") is None else f"{status}, valid {fmt_valid(res)}"


def highs_ratio(ours: dict, highs: dict) -> str:
    """HiGHS time to 1 % ÷ ours; a bound (≥, ≤) when only one of them reached 1 %.

    A solver that did not reach 1 % is credited with the time it ran (wall, or the time
    until it was killed), so the ratio is a valid inequality.
    """
    a, b = ours.get("to_1pct_s"), highs.get("to_1pct_s")
    if a is not None and b is not None and a > 0:
        return f"{b / a:.1f}×"
    ran_highs = highs.get("wall_s") or highs.get("killed_after_s")
    if a is not None and a > 0 and ran_highs:
        return f"> {ran_highs / a:.1f}×"
    ran_ours = ours.get("wall_s")
    if b is not None and ran_ours:
        return f"< {b / ran_ours:.1f}×"
    return "—"


COLUMNS = ("instance", "parcels", "mutable",
           "ours status", "ours first (s)", "ours 1% (s)", "ours 0.1% (s)", "ours gap", "ours wall (s)",
           "ours RSS (MB)", "ours valid",
           "HiGHS status", "HiGHS 1% (s)", "HiGHS gap", "HiGHS wall (s)", "HiGHS RSS (MB)",
           "HiGHS valid", "HiGHS/ours time to 1%",
           "LP (s)", "LP bound", "LP RSS (MB)", "flow (s)", "flow status",
           "ours obj", "HiGHS obj")
HEADER = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS)


def row(name: str, res: dict) -> str:
    """One markdown table row of an instance's results."""
    o, h, lp, f = res["ours"], res["highs"], res["lp"], res["flow"]
    cells = (name, o.get("n_parcels", "—"), o.get("n_mutable", "—"),
             fmt_status(o), fmt(o.get("first_s")), fmt(o.get("to_1pct_s")),
             fmt(o.get("to_01pct_s")), fmt_gap(o.get("gap")), fmt(o.get("wall_s")), fmt(o.get("rss_mb"), 0),
             fmt_valid(o),
             fmt_status(h), fmt(h.get("to_1pct_s")), fmt_gap(h.get("gap")),
             fmt(h.get("wall_s")), fmt(h.get("rss_mb"), 0), fmt_valid(h), highs_ratio(o, h),
             fmt(lp.get("wall_s")), fmt(lp.get("bound"), 3), fmt(lp.get("rss_mb"), 0),
             fmt(f.get("wall_s")), fmt_flow(f),
             fmt(o.get("objective"), 3), fmt(h.get("objective"), 3))
    return "| " + " | ".join(str(c) for c in cells) + " |"


def instance_name(spec: dict) -> str:
    scenario = " demand" if spec.get("scenario") == "demand" else ""
    return f"{spec['size']}{scenario} {'+compact' if spec['compact'] else 'no compact'}"


# ----- parent ---------------------------------------------------------------------------
def instances(args: argparse.Namespace) -> list[dict]:
    """Every (landscape, scenario, compactness) of the run, in table order."""
    unknown = [s for s in args.sizes.split(",") if s and s not in SIZES]
    if unknown:
        raise SystemExit(f"unknown --sizes {unknown}; known: {', '.join(SIZES)}")
    kinds = ([{"kind": "demo", "size": "demo"}] if args.demo else []) + [
        {"kind": "grid", "size": s} for s in args.sizes.split(",") if s] + [
        {"kind": "store", "size": Path(p).stem, "path": str(Path(p).resolve())}
        for p in args.store]
    specs = []
    for kind in kinds:
        scenarios = SCENARIOS if kind["kind"] == "store" and args.demand else ("base",)
        for scenario in scenarios:
            for compact in {"both": (True, False), "on": (True,), "off": (False,)}[args.compact]:
                specs.append({**kind, "scenario": scenario, "compact": compact,
                              "time_limit": args.time_limit,
                              "target_gap": args.target_gap})
    return specs


def modes(args: argparse.Namespace) -> tuple[str, ...]:
    return ("ours", *(() if not args.highs else ("highs",)), *(() if not args.lp else ("lp",)),
            "flow")


def check_stores(paths: list[str]) -> None:
    """Refuse missing stores before an hour-long run, not in its last rows."""
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise SystemExit(f"--store {missing} not found; build them with `python -m data "
                         "import-raster ... --cell-size N --db stores/NAME.duckdb` (README)")


def header_text() -> str:
    return (f"{' '.join(sys.argv)}\n{time.strftime('%Y-%m-%d %H:%M:%S')}, load average "
            f"{os.getloadavg()[0]:.1f}, {os.cpu_count()} cores\n")


def write_json(path: str, payload: Any) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(payload, indent=2), encoding="utf-8")


def run_benchmark(args: argparse.Namespace) -> None:
    """Every instance × solver, one subprocess each; the table row prints as it completes.

    The JSON file is rewritten after every row, so a run stopped half-way keeps its rows.
    """
    check_stores(args.store)
    print(header_text())
    print(HEADER, flush=True)
    meta = {"command": sys.argv, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "cores": os.cpu_count(), "time_limit_s": args.time_limit,
            "highs_grace_s": HIGHS_GRACE_S, "demand_rows": list(DEMAND_ROWS)}
    rows = []
    for spec in instances(args):
        res = {mode: {"status": "skipped"} for mode in CHILDREN}
        for mode in modes(args):
            res[mode] = run_child(mode, spec)
        name = instance_name(spec)
        print(row(name, res), flush=True)
        rows.append({"name": name, "spec": spec, "load_avg_1min": os.getloadavg()[0], **res})
        write_json(args.out, {"meta": meta, "rows": rows})
    print_demand(rows)
    print(f"\nwrote {args.out}")


def print_demand(rows: list[dict]) -> None:
    """The demand scenarios' table: current, demanded and allocated area per class."""
    lines = []
    for r in rows:
        for cls, a in (r["ours"].get("demand") or {}).items():
            after = "—" if a["after_ha"] is None else f"{a['after_ha']:,.0f}"
            lines.append(f"| {r['name']} | {cls} | {a['current_ha']:,.0f} | {a['min_ha']:,.0f}"
                         f" – {a['max_ha']:,.0f} | {after} |")
    if lines:
        print("\n| instance | class | current (ha) | demanded (ha) | ours (ha) |\n"
              "|---|---|---|---|---|\n" + "\n".join(lines))


PRESET_HEADER = ("| preset | status | first (s) | wall (s) | gap | objective | bound | "
                 "RSS (MB) | valid | phases |")


def run_presets(args: argparse.Namespace) -> None:
    """Every shipped preset on the demo county, one subprocess each."""
    from data.presets import PRESET_KEYS

    print(header_text())
    print(PRESET_HEADER + "\n|" + "---|" * (PRESET_HEADER.count("|") - 1))
    results = []
    for key in PRESET_KEYS:
        spec = {"kind": "demo", "size": "demo", "preset": key, "compact": True,
                "time_limit": args.time_limit}
        o = run_child("ours", spec)
        print(f"| {key} | {fmt_status(o)} | {fmt(o.get('first_s'))} | {fmt(o.get('wall_s'))} "
              f"| {fmt_gap(o.get('gap'))} | {fmt(o.get('objective'), 3)} | "
              f"{fmt(o.get('bound'), 3)} | {fmt(o.get('rss_mb'), 0)} | {fmt_valid(o)} | "
              f"{' '.join(o.get('phases', []))} |", flush=True)
        results.append({"spec": spec, "ours": o})
    write_json(args.out, results)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,50k,100k,1m",
                    help=f"comma list of synthetic grids from {list(SIZES)} ('' for none)")
    ap.add_argument("--demo", action=argparse.BooleanOptionalAction, default=True,
                    help="the demo county (--no-demo to leave it out)")
    ap.add_argument("--store", action="append", default=[],
                    help="also solve this parcel store (repeatable), e.g. a Wuhan import")
    ap.add_argument("--demand", action=argparse.BooleanOptionalAction, default=True,
                    help="also the demand scenario on every --store")
    ap.add_argument("--compact", choices=["both", "on", "off"], default="both",
                    help="with and/or without the compactness term")
    ap.add_argument("--highs", action=argparse.BooleanOptionalAction, default=True,
                    help="HiGHS on the identical model (--no-highs to skip)")
    ap.add_argument("--lp", action=argparse.BooleanOptionalAction, default=True,
                    help="the LP relaxation alone (--no-lp to skip)")
    ap.add_argument("--time-limit", type=float, default=30.0, help="per solve, s (all solvers)")
    ap.add_argument("--target-gap", type=float, default=None,
                    help="ours: stop at this proven gap in %% (default: the preset's, 1 %%)")
    ap.add_argument("--out", default="out/bench/bench_solver.json",
                    help="JSON file (its folder is created)")
    ap.add_argument("--presets", action="store_true",
                    help="instead: solve the demo county with every shipped preset (ours only)")
    ap.add_argument("--child", choices=list(CHILDREN), help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main() -> None:
    args = parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](json.loads(args.spec))))
    elif args.presets:
        run_presets(args)
    else:
        run_benchmark(args)


if __name__ == "__main__":
    main()
