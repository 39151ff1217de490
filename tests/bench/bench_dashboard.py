"""Dashboard speed in real Chromium: map render, first solve overhead, cached shared link.

    python tests/bench/bench_dashboard.py [--runs 3] [--json out/bench_dashboard.json]

Starts the dashboard on a fresh demo store, then for each run measures, in one browser:
- the data page's map: navigation → deck.gl canvas painted (no solve involved);
- a first solve of a scenario never seen before: navigation → KPI tiles on screen, next to
  the solver's own wall time (read from the status line), so overhead = total − solver;
- the same link opened in a fresh browser context: navigation → KPI tiles (cached result).
A benchmark, not a test: it prints numbers and ratios and writes JSON; it asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests.browser.conftest import CHROMIUM, FLAGS, running_app  # noqa: E402


def has_ink(page) -> bool:
    """True once the first deck.gl canvas shows more than a blank background."""
    from PIL import Image

    canvas = page.locator("canvas >> visible=true").first
    image = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
    background = image.getpixel((1, 1))
    return sum(1 for px in image.get_flattened_data() if px != background) > 10_000


def time_map(page, url: str) -> float:
    started = time.perf_counter()
    page.goto(f"{url}/data", wait_until="domcontentloaded")
    page.wait_for_selector("canvas >> visible=true", timeout=60_000)
    while not has_ink(page):
        if time.perf_counter() - started > 60:
            raise RuntimeError("the map did not paint within 60 s")
        page.wait_for_timeout(50)
    return time.perf_counter() - started


def time_solve(page, url: str) -> tuple[float, float]:
    started = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid='stMetric']", timeout=180_000)
    total = time.perf_counter() - started
    caption = " ".join(page.locator("[data-testid='stCaptionContainer']").all_inner_texts())
    match = re.search(r"求解耗时: ([0-9.]+) s", caption)
    return total, float(match.group(1)) if match else float("nan")


def measure(browser, url: str, seed: int) -> dict:
    """One run: the data page map, a first solve, then the same link in a fresh context."""
    link = f"{url}/?preset=balanced&solver.seed={seed}"
    first = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = first.new_page()
    map_s = time_map(page, url)
    total, solver = time_solve(page, link)
    page.close()  # a person closes the tab; an open one would keep its session busy
    warm_page = first.new_page()  # same browser profile: Streamlit's scripts are cached
    warm, _ = time_solve(warm_page, link)
    first.close()
    again = browser.new_context(viewport={"width": 1600, "height": 1000})
    cold, _ = time_solve(again.new_page(), link)  # a stakeholder's first visit ever
    again.close()
    return {"map_render_s": map_s, "first_solve_total_s": total, "solver_wall_s": solver,
            "overhead_s": total - solver, "cached_link_s": warm, "cached_link_cold_s": cold}


def run(runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    stores = Path(tempfile.mkdtemp(prefix="bench_dashboard_"))
    with running_app(stores) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        rows = [measure(browser, url, 100 + i) for i in range(runs)]
        browser.close()
    return {"runs": rows, "load_average": os.getloadavg(),
            "median": {k: statistics.median(r[k] for r in rows) for k in rows[0]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=REPO_ROOT / "out" / "bench_dashboard.json")
    args = parser.parse_args()
    report = run(args.runs)
    print(f"{'run':>4} {'map s':>7} {'1st solve s':>12} {'solver s':>9} {'overhead s':>11} "
          f"{'cached s':>9} {'cached, new browser s':>22}")
    for i, r in enumerate(report["runs"]):
        print(f"{i:>4} {r['map_render_s']:7.2f} {r['first_solve_total_s']:12.2f} "
              f"{r['solver_wall_s']:9.2f} {r['overhead_s']:11.2f} {r['cached_link_s']:9.2f} "
              f"{r['cached_link_cold_s']:22.2f}")
    m = report["median"]
    print(f"load average after the runs: {report['load_average'][0]:.1f} on {os.cpu_count()} cores")
    print(f"median: map {m['map_render_s']:.2f} s; first solve {m['first_solve_total_s']:.2f} s "
          f"= solver {m['solver_wall_s']:.2f} s + overhead {m['overhead_s']:.2f} s; cached link "
          f"{m['cached_link_s']:.2f} s in the same browser "
          f"({m['first_solve_total_s'] / m['cached_link_s']:.1f}× faster than the first solve), "
          f"{m['cached_link_cold_s']:.2f} s in a new browser profile")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
