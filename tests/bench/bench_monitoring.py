"""Benchmark monitoring on real Wuhan maps (issue 16): the 2005 map as the store, a plan solved
and saved on it, the 2010 map imported as the survey, then ``monitor`` with its exports.

A script, not a test. Every step runs in its own process and reports its wall time and its own
peak memory; one table compares the grains side by side. At each grain the suspected
violations inside the open-water no-change mask are also counted directly from the three
rasters (at 30 m pixel by pixel, coarser by each block's majority class, as the importer
aggregates) and must equal what ``monitor`` found.

    python tests/bench/bench_monitoring.py                       # 30 m, 300 m, 1 km
    python tests/bench/bench_monitoring.py --grains 300 --work out/bench/monitoring
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
WUHAN = ROOT.parent / "shared" / "data" / "wuhan"
MAPPING = ROOT / "data" / "mappings" / "wuhan.toml"
PLAN, SURVEY = "2015规划", "2010监测"


def peak_gb() -> float:
    """This process's own peak resident memory (VmHWM: unlike ru_maxrss it does not carry the
    parent's peak over a fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024 ** 2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def step_store(db: Path, grain: int) -> dict:
    from data.__main__ import main

    code = main(["import-raster", "--landuse", str(WUHAN / "LULCs" / "wh2005_refy.tif"),
                 "--no-change", str(WUHAN / "WaterWuhan.tif"),
                 "--regions", str(WUHAN / "districts" / "wuhan_districts.shp"),
                 "--cell-size", str(grain), "--mapping", str(MAPPING), "--db", str(db)])
    return {"exit": code}


def step_plan(db: Path, grain: int) -> dict:
    """A 2015 plan: cropland ≥ 95 %, 8,000–12,000 ha of new construction land."""
    import numpy as np

    from data.landscape import load_landscape
    from solver.orchestrate import solve
    from solver.scenario import Scenario
    from tests.monitoring_cases import save_plan

    land = load_landscape(db)
    scenario = Scenario.from_dict({
        "name": "plan_2015", "farmland": {"quota_pct": 95.0, "balance": False},
        "growth": {"min_new_built_ha": 8000.0, "max_new_built_ha": 12000.0,
                   "only_inside_boundary": False, "expansion_cap": 1.6},
        "solver": {"time_limit_s": 300.0}})
    started = time.perf_counter()
    result = solve(land, scenario)
    solve_s = time.perf_counter() - started
    codes = np.asarray(land.class_codes)[np.asarray(result.assignment)]
    del land
    save_plan(db, PLAN, scenario, codes, summary=result.to_summary_dict())
    return {"status": str(result.status), "gap": result.gap, "solve_s": round(solve_s, 1)}


def step_survey(db: Path, grain: int) -> dict:
    from data.monitoring.survey import import_survey

    report = import_survey(db, WUHAN / "LULCs" / "wh2010_refy.tif", MAPPING, 2010, name=SURVEY,
                           replace=True)
    return {"n_missing": report.n_missing}


def step_monitor(db: Path, grain: int) -> dict:
    from data.__main__ import main

    out = db.parent / f"monitor_{grain}m"
    out.mkdir(exist_ok=True)
    summary = out / "summary.json"
    started = time.perf_counter()
    code = main(["monitor", "--db", str(db), "--scenario", PLAN, "--survey", SURVEY,
                 "--base-year", "2005", "--plan-year", "2015", "--summary", str(summary)])
    monitor_s = time.perf_counter() - started
    result = json.loads(summary.read_text(encoding="utf-8"))
    return {"exit": code, "monitor_s": round(monitor_s, 1), "summary": result}


def step_exports(db: Path, grain: int) -> dict:
    from data.__main__ import main

    out = db.parent / f"monitor_{grain}m"
    files = [out / "violations.gpkg", out / "progress.xlsx", out / "briefing.html"]
    args = ["monitor", "--db", str(db), "--scenario", PLAN, "--survey", SURVEY,
            "--base-year", "2005", "--plan-year", "2015"]
    for path in files:
        args += ["--out", str(path)]
    code = main(args)
    return {"exit": code, "bytes": {p.name: p.stat().st_size for p in files if p.exists()}}


STEPS = {"store": step_store, "plan": step_plan, "survey": step_survey,
         "monitor": step_monitor, "exports": step_exports}


def direct_count(grain: int) -> int:
    """Cells in the no-change mask whose majority class changed 2005 → 2010, from the rasters."""
    import numpy as np
    import rasterio

    k = max(1, round(grain / 30))

    def read(path: Path):
        with rasterio.open(path) as src:
            return src.read(1), src.nodata

    def blocks(values, fill):
        rows, cols = -(-values.shape[0] // k), -(-values.shape[1] // k)
        padded = np.full((rows * k, cols * k), fill, dtype=values.dtype)
        padded[:values.shape[0], :values.shape[1]] = values
        return padded.reshape(rows, k, cols, k).swapaxes(1, 2).reshape(rows, cols, k * k)

    def majority(path: Path):
        values, nodata = read(path)
        split = blocks(np.where(values != nodata, values, 0).astype(np.int8), 0)
        counts = np.stack([(split == c).sum(axis=2) for c in range(1, 8)], axis=2)
        return counts.argmax(axis=2) + 1, counts.sum(axis=2) > 0

    base, has_base = majority(WUHAN / "LULCs" / "wh2005_refy.tif")
    later, has_later = majority(WUHAN / "LULCs" / "wh2010_refy.tif")
    mask, mask_nodata = read(WUHAN / "WaterWuhan.tif")
    landuse, nodata = read(WUHAN / "LULCs" / "wh2005_refy.tif")
    restricted = blocks((mask == 0) & (mask != mask_nodata) & (landuse != nodata), False)
    return int((has_base & has_later & restricted.any(axis=2) & (base != later)).sum())


def run_step(name: str, db: Path, grain: int) -> dict:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--step", name, "--db", str(db),
                           "--grains", str(grain)], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"step {name} at {grain} m failed:\n{done.stdout[-3000:]}\n"
                         f"{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def bench(grain: int, work: Path) -> dict:
    folder = work / f"wuhan2005_{grain}m"
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"wuhan2005_{grain}m.duckdb"
    steps = {name: run_step(name, db, grain) for name in STEPS}
    found = steps["monitor"]["summary"]["violations"]["no_change"]["parcels"]
    expected = direct_count(grain)
    return {"grain": grain, "steps": steps, "no_change_found": found,
            "no_change_direct": expected, "equal": found == expected}


def table(results: list[dict]) -> str:
    lines = [f"{'grain':>6} {'step':<8} {'wall s':>8} {'peak GB':>8}  notes"]
    for result in results:
        for name, step in result["steps"].items():
            note = ""
            if name == "plan":
                note = f"{step['status']}, gap {step['gap']}, solve {step['solve_s']} s"
            elif name == "monitor":
                s = step["summary"]
                note = (f"no-change {s['violations']['no_change']['parcels']:,} cells "
                        f"{s['violations']['no_change']['area_ha']:,.0f} ha; unbalanced "
                        f"{s['violations']['cropland_unbalanced']['parcels']:,}; compare "
                        f"{step['monitor_s']} s in-process")
            elif name == "exports":
                note = ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in step["bytes"].items())
            lines.append(f"{result['grain']:>5}m {name:<8} {step['wall_s']:>8.1f} "
                         f"{step['peak_gb']:>8.2f}  {note}")
        lines.append(f"{'':>6} no-change violations: monitor {result['no_change_found']:,} vs "
                     f"rasters {result['no_change_direct']:,} → "
                     f"{'equal' if result['equal'] else 'DIFFERENT'}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grains", type=int, nargs="+", default=[30, 300, 1000])
    parser.add_argument("--work", type=Path, default=ROOT / "out" / "bench" / "monitoring")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:  # one step in this process: its result and own peak memory on the last line
        result = STEPS[args.step](args.db, args.grains[0])
        print(json.dumps({**result, "peak_gb": round(peak_gb(), 2)}, ensure_ascii=False))
        return 0
    results = [bench(grain, args.work) for grain in args.grains]
    (args.work / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2),
                                            encoding="utf-8")
    print(table(results))
    return 0 if all(r["equal"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
