"""Maps in real Chromium: time to maps on screen and bytes sent per rerun, per store kind.

    python tests/bench/bench_dashboard_maps.py [--grid stores/wuhan_90m.duckdb]
        [--polygon /tmp/parcels_100k.duckdb] [--json out/bench_dashboard_maps.json]

For each store (the demo county, built fresh; optionally a grid store and a polygon store,
each copied into its own store folder) the dashboard is started and one browser measures:

- ``data map``: the data page opened → its map painted (no solve);
- ``open``: the scenario page opened with ``preset=growth`` and a fresh seed → the run ends
  and the first map is painted (the demo solves on opening, the solver's own wall time read
  from the status line; the other stores open on their current map, as stores over the
  auto-solve limit do);
- ``solve``: a lever changed, 求解 pressed → maps painted again (the issue's "求解 to maps");
- ``cached``: the resulting link in a new browser context → maps painted;
- ``overlay``: one overlay pill toggled → the rerun's end (a rerun that changes no result).

Bytes are the sum of the websocket frames the browser received during each step
(``page.on("websocket")`` → ``framereceived`` payload lengths): what the server sends per
rerun, deck.gl JSON and images included. A benchmark, not a test: it prints a table, writes
JSON and asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests.browser.conftest import CHROMIUM, FLAGS, running_app  # noqa: E402
from tests.browser.test_dashboard_browser import wait_idle  # noqa: E402

MAP_CANVAS = "[data-testid='stMain'] [data-testid='stDeckGlJsonChart'] canvas"
TIMEOUT_S = 600


class Meter:
    """Bytes of websocket frames a page received since the last :meth:`take`."""

    def __init__(self, page) -> None:
        self.total = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        self.total += len(payload)

    def take(self) -> int:
        seen, self.total = self.total, 0
        return seen


def map_painted(page) -> bool:
    """Whether the first map canvas on the page shows more than its background."""
    from PIL import Image

    canvas = page.locator(f"{MAP_CANVAS} >> visible=true").first
    if canvas.count() == 0:
        return False
    image = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
    background = image.getpixel((1, 1))
    return sum(1 for px in image.get_flattened_data() if px != background) > 5_000


def until_maps(page, started: float) -> float:
    """Seconds from ``started`` until the run has ended and the first map is painted."""
    wait_idle(page, TIMEOUT_S * 1000)
    page.wait_for_selector(f"{MAP_CANVAS} >> visible=true", timeout=TIMEOUT_S * 1000)
    while not map_painted(page):
        if time.perf_counter() - started > TIMEOUT_S:
            raise RuntimeError("no map painted")
        page.wait_for_timeout(50)
    return time.perf_counter() - started


def solver_seconds(page) -> float | None:
    caption = " ".join(page.locator("[data-testid='stCaptionContainer']").all_inner_texts())
    match = re.search(r"求解耗时: ([0-9.]+) s", caption)
    return float(match.group(1)) if match else None


def step(page, meter: Meter, action) -> dict:
    """Run ``action`` (navigation or click) and time it until the maps are painted."""
    meter.take()
    started = time.perf_counter()
    action()
    seconds = until_maps(page, started)
    page.wait_for_timeout(300)  # trailing frames of the same rerun
    return {"s": round(seconds, 2), "mb": round(meter.take() / 1e6, 3),
            "solver_s": solver_seconds(page)}


def new_page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    return context, page, Meter(page)


def measure_store(browser, url: str, store: str, solve: bool) -> dict:
    """The five steps on one store (``solve``: whether to press 求解 after a lever change)."""
    rows: dict[str, dict] = {}
    context, page, meter = new_page(browser)
    rows["data map"] = step(page, meter, lambda: page.goto(
        f"{url}/data?store={store}", wait_until="domcontentloaded"))
    seed = int(time.time()) % 100_000  # never cached
    # Stores without an urban boundary layer (imports) cannot keep growth inside one.
    levers = "" if store == "demo" else "&growth.only_inside_boundary=false" \
        "&growth.min_new_built_ha=100"
    rows["open"] = step(page, meter, lambda: page.goto(
        f"{url}/?store={store}&preset=growth&solver.seed={seed}{levers}",
        wait_until="domcontentloaded"))
    if solve and page.get_by_role("button", name="求解").count():
        growth = page.get_by_label("新增建设用地下限（公顷）")
        growth.fill(str(int(float(growth.input_value() or 0)) + 50))
        growth.press("Enter")
        page.wait_for_timeout(1000)
        wait_idle(page, TIMEOUT_S * 1000)
        rows["solve"] = step(page, meter, lambda: page.get_by_role("button", name="求解").click())
        link = page.url
        context.close()
        context, page, meter = new_page(browser)
        rows["cached"] = step(page, meter, lambda: page.goto(link, wait_until="domcontentloaded"))
    pill = page.get_by_role("button", name="生态保护红线")
    if pill.count():
        rows["overlay"] = step(page, meter, lambda: pill.first.click())
    context.close()
    return rows


def store_folder(source: Path) -> Path:
    """A fresh store folder holding a copy of ``source`` (the app may write beside it)."""
    folder = Path(tempfile.mkdtemp(prefix="bench_maps_"))
    shutil.copy(source, folder / source.name)
    return folder


def run(cases: list[tuple[str, Path | None, bool]]) -> dict:
    from playwright.sync_api import sync_playwright

    report = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        for label, source, solve in cases:
            folder = Path(tempfile.mkdtemp(prefix="bench_maps_")) if source is None else \
                store_folder(source)
            store = "demo" if source is None else source.stem
            # A large store opens on its current map and solves only when asked (the page's
            # own rule for millions of cells, applied here to time the first map alone).
            env = None if source is None else {"LANDALLOC_AUTO_SOLVE_MAX": "1000"}
            with running_app(folder, env) as url:
                report[label] = measure_store(browser, url, store, solve)
            print_case(label, report[label])
        browser.close()
    report["load_average"] = os.getloadavg()
    return report


def print_case(label: str, rows: dict) -> None:
    print(f"\n{label}", flush=True)
    print(f"  {'step':<10} {'seconds':>8} {'MB received':>12} {'solver s':>9}")
    for name, row in rows.items():
        solver = "" if row["solver_s"] is None else f"{row['solver_s']:.1f}"
        print(f"  {name:<10} {row['s']:8.2f} {row['mb']:12.3f} {solver:>9}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", type=Path, help="a grid store (.duckdb) to measure too")
    parser.add_argument("--polygon", type=Path, help="a large polygon store to measure too")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--solve-grid", action="store_true",
                        help="also press 求解 on the grid store (minutes at 90 m and finer)")
    parser.add_argument("--json", type=Path,
                        default=REPO_ROOT / "out" / "bench_dashboard_maps.json")
    args = parser.parse_args()
    cases = [] if args.skip_demo else [("demo (18,000 polygons)", None, True)]
    cases += [(f"grid: {args.grid.name}", args.grid, args.solve_grid)] if args.grid else []
    cases += [(f"polygons: {args.polygon.name}", args.polygon, True)] if args.polygon else []
    report = run(cases)
    print(f"\nload average after the runs: {report['load_average'][0]:.1f} on "
          f"{os.cpu_count()} cores")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
