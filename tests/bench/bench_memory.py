"""Resident memory across many consecutive solves in one process (the server's situation).

    python tests/bench/bench_memory.py [--solves 100] [--rows 60 --cols 75] [--json out.json]

Each solve uses another scenario (seed and farmland quota vary), so every result is new and
goes through the dashboard's own bounded result cache (``dashboard.services.remember_result``,
at most ``MAX_CACHED_RESULTS`` entries) exactly as a server session would store it. VmRSS is
read from /proc/self/status after each solve; the growth after a warm-up is what must stay
bounded. tests/reliability/test_memory.py runs a shorter version with an assert.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux /proc; no psutil needed)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def run(n_solves: int, rows: int, cols: int, warmup: int = 10,
        time_limit_s: float = 2.0) -> dict[str, object]:
    """Solve ``n_solves`` distinct scenarios; return RSS samples and the growth after warm-up."""
    from dashboard import services
    from dashboard.components.solving import result_key
    from data.demo import build_demo
    from data.landscape import load_landscape
    from data.presets import load_preset
    from solver import solve

    folder = Path(tempfile.mkdtemp(prefix="bench_memory_"))
    store = build_demo(folder / "demo.duckdb", rows=rows, cols=cols, cell_m=500.0)
    land = load_landscape(store)
    base = load_preset("growth").with_value("solver.time_limit_s", time_limit_s)
    samples, started = [], time.perf_counter()
    for i in range(n_solves):
        scenario = (base.with_value("solver.seed", i)
                    .with_value("farmland.quota_pct", 90.0 + (i % 20) * 0.5))
        result = solve(land, scenario)
        services.keep_result(result_key("bench", scenario), result, scenario)
        gc.collect()
        samples.append(round(rss_mb(), 1))
    cached = len(services._result_cache()[0])
    return {"solves": n_solves, "parcels": land.n_parcels, "warmup": warmup,
            "rss_after_warmup_mb": samples[warmup - 1], "rss_end_mb": samples[-1],
            "rss_max_mb": max(samples), "growth_after_warmup_mb":
                round(samples[-1] - samples[warmup - 1], 1),
            "cached_results": cached, "max_cached_results": services.MAX_CACHED_RESULTS,
            "seconds": round(time.perf_counter() - started, 1), "samples_mb": samples}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solves", type=int, default=100)
    parser.add_argument("--rows", type=int, default=60)
    parser.add_argument("--cols", type=int, default=75)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out = run(args.solves, args.rows, args.cols)
    summary = {k: v for k, v in out.items() if k != "samples_mb"}
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
