"""Import the real Wuhan land cover at several cell sizes and solve each store once (issue 12).

A script, not a test. Every import and every solve runs in its own subprocess, so peak RSS is
per import / per solve (measured by the parent with ``wait4``, also for killed children), and
a child that overruns its deadline or memory cap is killed and reported as such.

    PYTHONPATH=. python tests/bench/bench_import.py   # from the repository root

is the run of BENCHMARKS.md (issue 12); its defaults spelled out, with the other options:

    PYTHONPATH=. python tests/bench/bench_import.py --cells 30 300 1000 --solve \\
        --time-limit 120 --solve-timeout 600 --import-timeout 1800 --max-rss-gb 20 \\
        --out out/bench/bench_import.json [--keep DIR] [--wuhan ../shared/data/wuhan]

A solve is killed after ``--solve-timeout`` s, an import after ``--import-timeout`` s, and
either when its resident memory passes ``--max-rss-gb`` (polled by the parent every 0.2 s).

Per cell size:

* **import**: ``data.importers.raster.import_raster`` with the README's options — land use
  ``LULCs/wh2010_refy.tif``, drivers ``dem`` and ``pop``, no-change mask ``WaterWuhan.tif``,
  the districts shapefile, mapping ``data/mappings/wuhan.toml`` — i.e. the same call as
  ``python -m data import-raster ... --cell-size N --db STORE``. The Wuhan data is read from
  ``../shared/data/wuhan`` relative to the repository root (``tests/conftest.py``'s
  ``WUHAN_DIR``). Measured: wall time of ``import_raster`` and of the whole process, peak RSS,
  store file size, parcels and adjacency rows (counted in the written store), and the worst
  class-area error of the majority rule at that grain (``report.grain``), plus the cell size
  the report recommends. Inside the child the importer's main steps are timed (their functions
  are wrapped in this script, nothing else is changed) with the peak RSS sampled while each
  step runs, to show where time and memory go.
* **solve** (``--solve``, default on): ``python -m solver solve --db STORE --scenario S.toml
  --time-limit 120 --summary S.json`` with a scenario written to a temporary folder
  (``[growth] only_inside_boundary = false, min_new_built_ha = 300``, ``[weights]
  compactness = 0.0``, everything else the defaults). Measured: status, the solver's own wall
  time, the process's wall time (including loading the store), gap and peak RSS.

Stores go to a temporary folder (removed at the end) unless ``--keep DIR``. One table prints
all sizes side by side, with ratios to the smallest store (fewest parcels); the JSON file
(``--out``) is rewritten after every child, so a run stopped half-way keeps what it measured.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
WUHAN_DIR = ROOT.parent / "shared" / "data" / "wuhan"  # as tests/conftest.py
MAPPING = ROOT / "data" / "mappings" / "wuhan.toml"
SCENARIO_TOML = """name = "bench_import"

[growth]
only_inside_boundary = false
min_new_built_ha = 300

[weights]
compactness = 0.0
"""
POLL_S = 0.2
SAMPLE_S = 0.05

#: Importer steps timed inside the import child: (module, function). Nested calls (e.g.
#: ``read_grid`` inside ``add_drivers``, ``class_counts`` inside ``grain_distortion``, the
#: store's own steps inside ``write_store``) are reported under their caller.
PHASES = (
    ("data.importers.raster", "read_grid"), ("data.importers.raster", "classify"),
    ("data.importers.raster", "class_counts"), ("data.importers.raster", "grid_parcels"),
    ("data.importers.raster", "cut_cell_polygons"), ("data.importers.raster", "add_drivers"),
    ("data.importers.raster", "aggregate"), ("data.importers.raster", "slope_degrees"),
    ("data.importers.raster", "no_change_flags"), ("data.importers.raster", "derived_drivers"),
    ("data.importers.derived", "distance_to_classes"), ("data.importers.derived", "window_count"),
    ("data.importers.derived", "_share"), ("data.importers.derived", "distance_to_mask"),
    ("data.importers.raster", "grid_spec"), ("data.importers.raster", "raster_regions"),
    ("data.importers.raster", "grid_adjacency"), ("data.importers.raster", "share_table"),
    ("data.importers.raster", "write_store"), ("data.importers.raster", "_summarise"),
    ("data.importers.raster", "grain_distortion"),
    ("data.store", "_grid_parcel_table"), ("data.store", "content_version"),
    ("data.store", "_write_atomically"), ("data.suitability", "suitability_scores"),
)


def wuhan_inputs(wuhan: Path) -> dict[str, Any]:
    """The README's import-raster options on the Wuhan data folder."""
    return {"landuse": str(wuhan / "LULCs" / "wh2010_refy.tif"),
            "drivers": {"dem": str(wuhan / "DriveFactors" / "wh_df_dem.tif"),
                        "pop": str(wuhan / "DriveFactors" / "wh_Pop.tif")},
            "no_change": str(wuhan / "WaterWuhan.tif"),
            "regions": str(wuhan / "districts" / "wuhan_districts.shp"),
            "mapping": str(MAPPING)}


# ----- memory of this process (Linux /proc, no psutil) -------------------------------------
def proc_status_mb(field: str, pid: int | str = "self") -> float | None:
    """A ``kB`` field of /proc/PID/status in MB (None when the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return None


class PhaseClock:
    """Wall time and sampled peak RSS of wrapped functions, nested calls under their caller."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.active: list[dict] = []
        self.stats: dict[str, dict] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            self._note(proc_status_mb("VmRSS") or 0.0)

    def _note(self, rss: float) -> None:
        for st in list(self.active):
            st["peak_mb"] = max(st["peak_mb"], rss)

    def wrap(self, module_name: str, name: str) -> bool:
        """Time ``module_name.name`` from now on; False when it does not exist (the importer
        changes: a step that is gone is left out, not an error)."""
        import importlib

        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return False
        fn = getattr(module, name, None)
        if not callable(fn):
            return False

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            path = " > ".join([*self.stack, name])
            st = self.stats.setdefault(path, {"phase": path, "depth": len(self.stack),
                                              "calls": 0, "seconds": 0.0, "peak_mb": 0.0,
                                              "rss_before_mb": None, "rss_after_mb": None})
            rss = proc_status_mb("VmRSS") or 0.0
            if st["rss_before_mb"] is None:
                st["rss_before_mb"] = round(rss, 1)
            self.stack.append(name)
            self.active.append(st)
            self._note(rss)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                st["seconds"] += time.perf_counter() - t0
                st["calls"] += 1
                rss = proc_status_mb("VmRSS") or 0.0
                self._note(rss)
                st["rss_after_mb"] = round(rss, 1)
                self.active.remove(st)
                self.stack.pop()

        setattr(module, name, timed)
        return True

    def table(self) -> list[dict]:
        return [{**st, "seconds": round(st["seconds"], 2), "peak_mb": round(st["peak_mb"], 1)}
                for st in self.stats.values()]


# ----- children ---------------------------------------------------------------------------
def child_import(spec: dict) -> dict:
    """``import_raster`` at one cell size, with its main steps timed."""
    clock = PhaseClock()
    missing = [f"{m}.{n}" for m, n in PHASES if not clock.wrap(m, n)]
    from data.importers.raster import import_raster

    rss_start = proc_status_mb("VmRSS")
    clock.start()
    t0 = time.perf_counter()
    report = import_raster(spec["landuse"], spec["db"], spec["mapping"], spec["cell_m"],
                           drivers=spec["drivers"], regions_path=spec["regions"],
                           no_change=spec["no_change"])
    seconds = time.perf_counter() - t0
    clock.stop()
    phases = clock.table()
    timed = sum(st["seconds"] for st in phases if st["depth"] == 0)
    phases.append({"phase": "(rest of import_raster, not in a timed step)", "depth": 0,
                   "calls": 1, "seconds": round(seconds - timed, 2), "peak_mb": None,
                   "rss_before_mb": None, "rss_after_mb": None})
    grain = report.grain
    cell_m = float(grain["cell_m"].iloc[(grain["cell_m"] - spec["cell_m"]).abs().argmin()])
    at_grain = grain[grain["cell_m"] == cell_m].iloc[0]
    keys = [c for c in grain.columns if c not in ("cell_m", "worst_pct")]
    stored = {k: round(v["pct"], 3) for k, v in report.aggregation_error.items()}
    return {"status": "ok", "seconds": seconds, "report_seconds": report.seconds,
            "cell_m": cell_m, "n_parcels": report.n_parcels, "n_regions": report.n_regions,
            "n_dropped": report.n_dropped,
            "grain_worst_pct": float(at_grain["worst_pct"]),
            "grain_pct": {k: round(float(at_grain[k]), 3) for k in keys},
            "stored_error_pct": stored,
            "stored_worst_pct": max((abs(v) for v in stored.values()), default=None),
            "recommended_cell_m": report.recommended_cell_m(),
            "warnings": report.warnings, "rss_start_mb": rss_start,
            "rss_hwm_mb": proc_status_mb("VmHWM"), "phases": phases, "steps_not_found": missing}


CHILDREN = {"import": child_import}


# ----- running a child --------------------------------------------------------------------
def run_process(cmd: list[str], timeout_s: float, max_rss_mb: float, log: Path) -> dict:
    """Run ``cmd`` (cwd = repository root); kill it past ``timeout_s`` or ``max_rss_mb``.

    Returns exit code, wall time, peak RSS (``wait4``, also when killed), stdout and the kill
    record (None when it ended by itself).
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    out, err = log.with_suffix(".stdout"), log.with_suffix(".stderr")
    t0 = time.monotonic()
    with open(out, "w") as fo, open(err, "w") as fe:
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe, cwd=ROOT, env=env)
    killed, polled = None, 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        elapsed = time.monotonic() - t0
        rss = proc_status_mb("VmRSS", proc.pid) or 0.0
        polled = max(polled, rss)
        if elapsed > timeout_s:
            killed = {"killed_by": "time", "killed_after_s": round(elapsed, 1)}
        elif rss > max_rss_mb:
            killed = {"killed_by": "memory", "killed_after_s": round(elapsed, 1),
                      "rss_at_kill_mb": round(rss)}
        if killed:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(POLL_S)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait
    return {"exit_code": proc.returncode, "process_wall_s": time.monotonic() - t0,
            "rss_mb": usage.ru_maxrss / 1024.0, "stdout": out.read_text(),
            "stderr": err.read_text(), "killed": killed}


def failure(run: dict) -> dict | None:
    """Why a child has no result (killed, signal, non-zero exit), or None."""
    if run["killed"]:
        return {"status": "killed", **run["killed"]}
    if run["exit_code"] < 0:
        return {"status": "error", "error": f"killed by signal {-run['exit_code']}"}
    return None


def last_line(text: str, limit: int | None = 300) -> str:
    lines = text.strip().splitlines()
    return lines[-1][:limit] if lines else ""


def run_import(cell_m: float, inputs: dict, db: Path, args: argparse.Namespace,
               work: Path) -> dict:
    """One import in a fresh process, plus counts read from the written store."""
    spec = {**inputs, "cell_m": cell_m, "db": str(db)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "import",
           "--spec", json.dumps(spec)]
    run = run_process(cmd, args.import_timeout, args.max_rss_gb * 1024,
                      work / f"import_{cell_m:g}")
    res = failure(run)
    if res is None:
        try:
            res = json.loads(last_line(run["stdout"], None) or "null") or {}
        except json.JSONDecodeError:
            res = {}
        if run["exit_code"] != 0 or res.get("status") != "ok":
            res = {"status": "error", "error": last_line(run["stderr"])
                   or f"exit code {run['exit_code']}"}
    res.update(process_wall_s=run["process_wall_s"], rss_mb=run["rss_mb"],
               exit_code=run["exit_code"], db=str(db), requested_cell_m=cell_m)
    if res["status"] == "ok":
        res.update(store_counts(db))
    return res


def store_counts(db: Path) -> dict:
    """File size, parcels and adjacency rows of a written store."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        parcels = con.execute("SELECT count(*) FROM parcels").fetchone()[0]
        adjacency = con.execute("SELECT count(*) FROM adjacency").fetchone()[0]
    finally:
        con.close()
    return {"store_bytes": db.stat().st_size, "store_parcels": int(parcels),
            "adjacency_rows": int(adjacency)}


def run_solve(db: Path, scenario: Path, args: argparse.Namespace, work: Path,
              label: str) -> dict:
    """``python -m solver solve`` on one store in a fresh process."""
    summary = work / f"summary_{label}.json"
    cmd = [sys.executable, "-m", "solver", "solve", "--db", str(db), "--scenario", str(scenario),
           "--time-limit", f"{args.time_limit:g}", "--summary", str(summary)]
    run = run_process(cmd, args.solve_timeout, args.max_rss_gb * 1024, work / f"solve_{label}")
    res = failure(run) or {}
    if summary.exists():
        s = json.loads(summary.read_text("utf-8"))
        keys = ("status", "objective", "best_bound", "gap", "lp_bound", "wall_time_s",
                "time_to_first_s", "n_parcels", "n_mutable", "n_variables", "n_constraints",
                "changed_parcels", "changed_area_ha", "phases", "message")
        res = {**{k: s.get(k) for k in keys}, **res}
    elif not res:
        res = {"status": "error", "error": last_line(run["stderr"]) or last_line(run["stdout"])
               or f"exit code {run['exit_code']}"}
    res.update(process_wall_s=run["process_wall_s"], rss_mb=run["rss_mb"],
               exit_code=run["exit_code"], cli_line=last_line(run["stdout"].split("\n", 1)[0]),
               command=" ".join(cmd[1:]))
    return res


# ----- table ------------------------------------------------------------------------------
def fmt(x: float | None, digits: int = 1, thousands: bool = False) -> str:
    if x is None:
        return "—"
    return f"{x:,.{digits}f}" if thousands else f"{x:.{digits}f}"


def fmt_status(res: dict | None) -> str:
    if not res:
        return "—"
    if res.get("status") == "killed":
        return f"killed ({res.get('killed_by')}, {res.get('killed_after_s')} s)"
    if res.get("status") == "error":
        return f"error: {str(res.get('error'))[:60]}"
    return str(res.get("status"))


#: (row label, stage, key, digits, thousands separators, ratio to the smallest store)
METRICS = (
    ("cell (m)", "import", "cell_m", 0, False, False),
    ("parcels", "import", "store_parcels", 0, True, True),
    ("adjacency rows", "import", "adjacency_rows", 0, True, True),
    ("store (MB)", "import", "store_mb", 1, True, True),
    ("import wall, import_raster (s)", "import", "seconds", 1, False, True),
    ("import wall, process (s)", "import", "process_wall_s", 1, False, True),
    ("import peak RSS (MB)", "import", "rss_mb", 0, True, True),
    ("worst class-area error at this grain (%)", "import", "grain_worst_pct", 2, False, False),
    ("solve status", "solve", "status", None, False, False),
    ("solve wall, solver (s)", "solve", "wall_time_s", 1, False, True),
    ("solve wall, process (s)", "solve", "process_wall_s", 1, False, True),
    ("solve gap (%)", "solve", "gap_pct", 2, False, False),
    ("solve peak RSS (MB)", "solve", "rss_mb", 0, True, True),
)


def value(res: dict, stage: str, key: str) -> Any:
    r = res.get(stage) or {}
    if key == "store_mb":
        return r["store_bytes"] / 2**20 if r.get("store_bytes") is not None else None
    if key == "gap_pct":
        return 100 * r["gap"] if r.get("gap") is not None else None
    if key == "status":
        return fmt_status(r) if r else "—"
    return r.get(key)


def table(results: list[dict]) -> str:
    """Metrics as rows, one column per cell size, then each size ÷ the smallest store."""
    ok = [r for r in results if (r.get("import") or {}).get("status") == "ok"]
    base = min(ok, key=lambda r: r["import"]["store_parcels"]) if ok else None
    others = [r for r in results if r is not base]
    cols = [f"{r['label']}" for r in results]
    cols += [f"{r['label']} ÷ {base['label']}" for r in others] if base else []
    lines = ["| metric | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for label, stage, key, digits, thousands, ratio in METRICS:
        cells = []
        for r in results:
            v = value(r, stage, key)
            cells.append(v if isinstance(v, str) else fmt(v, digits, thousands))
        if base:
            b = value(base, stage, key)
            for r in others:
                v = value(r, stage, key)
                numeric = isinstance(v, (int, float)) and isinstance(b, (int, float)) and b
                cells.append(f"{v / b:,.1f}×" if ratio and numeric else "—")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def phase_table(results: list[dict]) -> str:
    """Seconds and sampled peak RSS of the importer's steps, one column per cell size."""
    phases: list[str] = []
    per: dict[str, dict[str, dict]] = {}
    for r in results:
        for st in (r.get("import") or {}).get("phases", []):
            if st["phase"] not in phases:
                phases.append(st["phase"])
            per.setdefault(r["label"], {})[st["phase"]] = st
    if not phases:
        return ""
    labels = [r["label"] for r in results]
    lines = ["| importer step (calls at the first size) | "
             + " | ".join(f"{lb}: s / peak MB" for lb in labels) + " |",
             "|---|" + "---|" * len(labels)]
    for p in phases:
        first = next((per[lb][p] for lb in labels if p in per.get(lb, {})), {})
        parts = p.split(" > ")
        name = parts[-1] if len(parts) == 1 else f"{'↳' * (len(parts) - 1)} {parts[-1]} (in {parts[-2]})"
        cells = []
        for lb in labels:
            st = per.get(lb, {}).get(p)
            cells.append("—" if st is None else f"{st['seconds']:.2f} / {fmt(st['peak_mb'], 0, True)}")
        lines.append(f"| {name} ×{first.get('calls', 0)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----- parent ---------------------------------------------------------------------------
def header_text() -> str:
    return (f"{' '.join(sys.argv)}\n{time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load average "
            f"{os.getloadavg()[0]:.1f}, {os.cpu_count()} cores\n")


def git_state() -> dict:
    """HEAD and the modified files under data/ and solver/ (others may edit during a run)."""
    def git(*cmd: str) -> str:
        try:
            return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True,
                                  timeout=30).stdout.rstrip("\n")
        except (OSError, subprocess.SubprocessError):
            return ""
    return {"head": git("rev-parse", "--short", "HEAD"),
            "modified": git("status", "--porcelain", "--", "data", "solver").splitlines()}


def write_json(path: str, payload: Any) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")


def label_of(cell_m: float) -> str:
    return f"{cell_m:g} m"


def run_benchmark(args: argparse.Namespace) -> None:
    wuhan = Path(args.wuhan).resolve()
    inputs = wuhan_inputs(wuhan)
    missing = [p for p in (inputs["landuse"], *inputs["drivers"].values(), inputs["no_change"],
                           inputs["regions"], inputs["mapping"]) if not Path(p).exists()]
    if missing:
        raise SystemExit(f"missing input files: {missing} (Wuhan data expected at {wuhan})")
    print(header_text(), flush=True)
    meta = {"command": sys.argv, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "cores": os.cpu_count(), "load_avg_1min_start": os.getloadavg()[0],
            "inputs": inputs, "scenario_toml": SCENARIO_TOML, "time_limit_s": args.time_limit,
            "solve_timeout_s": args.solve_timeout, "import_timeout_s": args.import_timeout,
            "max_rss_gb": args.max_rss_gb, "git_start": git_state()}
    results = [{"label": label_of(c), "cell_m": c} for c in args.cells]
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        work = Path(tmp)
        stores = Path(args.keep).resolve() if args.keep else work
        stores.mkdir(parents=True, exist_ok=True)
        scenario = work / "bench_import_scenario.toml"
        scenario.write_text(SCENARIO_TOML, encoding="utf-8")
        for r in results:
            db = stores / f"wuhan_{r['cell_m']:g}m.duckdb"
            print(f"import {r['label']} → {db} …", flush=True)
            r["import"] = run_import(r["cell_m"], inputs, db, args, work)
            r["load_avg_1min_after_import"] = os.getloadavg()[0]
            i = r["import"]
            print(f"  {fmt_status(i)}: {fmt(i.get('seconds'))} s in import_raster, "
                  f"{fmt(i.get('process_wall_s'))} s process, peak {fmt(i.get('rss_mb'), 0)} MB"
                  f", {i.get('store_parcels', '—')} parcels", flush=True)
            write_json(args.out, {"meta": meta, "results": results})
        for r in results if args.solve else ():
            if r["import"].get("status") != "ok":
                r["solve"] = {"status": "skipped", "error": "import failed"}
                continue
            print(f"solve {r['label']} …", flush=True)
            r["solve"] = run_solve(Path(r["import"]["db"]), scenario, args, work,
                                   f"{r['cell_m']:g}")
            r["load_avg_1min_after_solve"] = os.getloadavg()[0]
            s = r["solve"]
            print(f"  {fmt_status(s)}: {fmt(s.get('wall_time_s'))} s solver, "
                  f"{fmt(s.get('process_wall_s'))} s process, peak {fmt(s.get('rss_mb'), 0)} MB",
                  flush=True)
            write_json(args.out, {"meta": meta, "results": results})
    meta["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    meta["git_end"] = git_state()
    write_json(args.out, {"meta": meta, "results": results})
    print()
    print(table(results))
    rec = {r["import"].get("recommended_cell_m") for r in results
           if r["import"].get("status") == "ok"}
    print(f"\nrecommended cell size by the import report (every class within 5 %): "
          f"{', '.join(f'{c:g} m' for c in sorted(rec)) or '—'}")
    phases = phase_table(results)
    if phases:
        print("\nImporter steps (wall s / peak RSS sampled while the step ran, MB):\n")
        print(phases)
    print(f"\nwrote {args.out}" + (f"; stores kept in {args.keep}" if args.keep else ""))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=float, nargs="+", default=[30.0, 300.0, 1000.0],
                    help="cell sizes in metres, one import each")
    ap.add_argument("--wuhan", default=str(WUHAN_DIR), help="the Wuhan data folder")
    ap.add_argument("--solve", action=argparse.BooleanOptionalAction, default=True,
                    help="solve every imported store once (--no-solve to skip)")
    ap.add_argument("--time-limit", type=float, default=120.0, help="solver time limit, s")
    ap.add_argument("--solve-timeout", type=float, default=600.0,
                    help="kill a solve process after this many seconds")
    ap.add_argument("--import-timeout", type=float, default=1800.0,
                    help="kill an import process after this many seconds")
    ap.add_argument("--max-rss-gb", type=float, default=20.0,
                    help="kill a child whose resident memory exceeds this (GB)")
    ap.add_argument("--keep", help="write the stores to this folder and keep them "
                                   "(default: a temporary folder, removed at the end)")
    ap.add_argument("--out", default="out/bench/bench_import.json",
                    help="JSON file (its folder is created)")
    ap.add_argument("--child", choices=list(CHILDREN), help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.keep and Path(args.keep).resolve().is_relative_to(ROOT):
        ap.error("--keep must be outside the repository")
    return args


def main() -> None:
    args = parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](json.loads(args.spec))))
    else:
        run_benchmark(args)


if __name__ == "__main__":
    main()
