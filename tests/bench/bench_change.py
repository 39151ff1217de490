"""Benchmark the learned change model on real Wuhan maps (issue 13): learn 2003 → 2005, allocate
2005 → 2010 to 2010's exact class areas, score against the real 2010 map.

A script, not a test. Each configuration runs ``python -m data validate-change`` in its own
process (the JSON it writes holds its scores, times and peak memory), then one table compares
them side by side: the learned model's FoM next to the nearest-same-class rule, the random
placement and the null model, the margin over the best baseline, training and allocation time,
and peak memory.

Configurations: every grain asked (default 30 m full resolution, 300 m, 1 km) with the
neighbourhood shares as drivers; at the coarse grains also the two other ways to give the
allocation a neighbourhood effect — no share drivers, and the engine's compactness term (with
and without the share drivers).

    python tests/bench/bench_change.py                          # 30 m, 300 m, 1 km (≈ 15 min)
    python tests/bench/bench_change.py --grains 300 1000 --out out/bench/change
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WUHAN = ROOT.parent / "shared" / "data" / "wuhan"


def command(grain: int, out: Path, neighbourhood: bool, compactness: float) -> list[str]:
    """The validate-change command line of one configuration."""
    maps = WUHAN / "LULCs"
    drivers = WUHAN / "DriveFactors"
    args = [sys.executable, "-m", "data", "validate-change",
            "--train-start", str(maps / "wh2003_refy.tif"),
            "--train-end", str(maps / "wh2005_refy.tif"),
            "--start", str(maps / "wh2005_refy.tif"), "--end", str(maps / "wh2010_refy.tif"),
            "--mapping", str(ROOT / "data" / "mappings" / "wuhan.toml"),
            "--no-change", str(WUHAN / "WaterWuhan.tif"),
            "--driver", f"dem={drivers / 'wh_df_dem.tif'}",
            "--driver", f"pop={drivers / 'wh_Pop.tif'}",
            "--driver", f"soil={drivers / 'wh_soiltype.tif'}",
            "--cell-size", str(grain), "--compactness", str(compactness),
            "--out", str(out / "score.json"), "--map", str(out / "allocated.tif")]
    return args + ([] if neighbourhood else ["--no-neighbourhood"])


def configurations(grains: list[int], compactness: float) -> list[tuple[str, int, bool, float]]:
    """(name, grain, share drivers, compactness weight) of every run."""
    runs = [(f"{g}m", g, True, 0.0) for g in grains]
    for g in (g for g in grains if g >= 300):
        runs += [(f"{g}m-no-shares", g, False, 0.0),
                 (f"{g}m-compact", g, False, compactness),
                 (f"{g}m-shares+compact", g, True, compactness)]
    return runs


def run(name: str, grain: int, neighbourhood: bool, compactness: float, out: Path) -> dict:
    """One configuration in its own process; its JSON plus the wall time seen from outside."""
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    done = subprocess.run(command(grain, folder, neighbourhood, compactness), cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        return {"name": name, "error": done.stderr.strip().splitlines()[-1:]}
    result = json.loads((folder / "score.json").read_text(encoding="utf-8"))
    return result | {"name": name, "wall_s": round(time.perf_counter() - started, 1)}


def row(result: dict) -> str:
    if "error" in result:
        return f"{result['name']:<22} failed: {result['error']}"
    s = result["scores"]
    return (f"{result['name']:<22} {s['learned']['fom']:>7.4f} {s['nearest']['fom']:>7.4f} "
            f"{s['random']['fom']:>7.4f} {s['null']['fom']:>6.3f} "
            f"{result['margin_over_best_baseline']:>+8.4f} "
            f"{s['learned']['fom'] / max(s['nearest']['fom'], 1e-9):>6.2f}× "
            f"{s['learned']['kappa']:>6.3f} {s['learned']['restricted_changed']:>6} "
            f"{result['model']['training']['seconds']:>7.1f} "
            f"{result['allocation']['seconds']:>7.1f} {result['allocation']['status']:>9} "
            f"{result['peak_memory_gb']:>6.2f} {result['wall_s']:>7.1f}")


HEADER = (f"{'run':<22} {'FoM':>7} {'nearest':>7} {'random':>7} {'null':>6} {'margin':>8} "
          f"{'ratio':>7} {'kappa':>6} {'restr':>6} {'train s':>7} {'alloc s':>7} "
          f"{'status':>9} {'GB':>6} {'wall s':>7}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grains", type=int, nargs="+", default=[30, 300, 1000])
    parser.add_argument("--compactness", type=float, default=1.0,
                        help="compactness weight of the compact runs")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "bench" / "change")
    args = parser.parse_args(argv)
    if not WUHAN.exists():
        print(f"the Wuhan data is not at {WUHAN}", file=sys.stderr)
        return 1
    print(HEADER)
    results = []
    for name, grain, neighbourhood, compactness in configurations(args.grains, args.compactness):
        results.append(run(name, grain, neighbourhood, compactness, args.out))
        print(row(results[-1]), flush=True)
    (args.out / "summary.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
