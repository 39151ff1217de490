"""Command line of the data layer: build the demo store, import real data, print indicators.

    python -m data build-demo --db stores/demo.duckdb
    python -m data import-parcels parcels.gpkg --db stores/mine.duckdb --mapping mapping.toml
    python -m data import-raster --landuse lu.tif --cell-size 300 --mapping m.toml --db out.duckdb
    python -m data info --db stores/demo.duckdb
    python -m data indicators --db stores/demo.duckdb [--assignment result.parquet]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _parse_drivers(items: list[str]) -> dict[str, str]:
    drivers = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"error: --driver expects NAME=FILE (e.g. dem=dem.tif), got {item!r}")
        drivers[name] = path
    return drivers


def cmd_build_demo(args: argparse.Namespace) -> int:
    from data.demo import build_demo

    started = time.perf_counter()
    path = build_demo(args.db, rows=args.rows, cols=args.cols, cell_m=args.cell_size,
                      seed=args.seed)
    print(f"built {path} ({args.rows * args.cols} parcels) in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_import_parcels(args: argparse.Namespace) -> int:
    from data.importers.vector import import_parcels

    print(import_parcels(args.file, args.db, args.mapping, name=args.name).format())
    return 0


def cmd_import_raster(args: argparse.Namespace) -> int:
    from data.importers.raster import import_raster

    report = import_raster(args.landuse, args.db, args.mapping, args.cell_size,
                           drivers=_parse_drivers(args.driver), regions_path=args.regions,
                           no_change=args.no_change, name=args.name)
    print(report.format())
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from data.db import connect
    from data.store import read_meta, summary_table

    con = connect(args.db)
    try:
        meta = read_meta(con)
        print(f"{meta.get('name_zh', '')} / {meta.get('name_en', '')}  version {meta['version']}")
        print(f"CRS {meta['crs']}, {meta['n_parcels']} parcels, source: {meta.get('source', '?')}")
        print(summary_table(con).to_string(index=False))
    finally:
        con.close()
    return 0


def cmd_indicators(args: argparse.Namespace) -> int:
    from data.indicators import indicators_cli

    return indicators_cli(args.db, args.assignment, args.out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("build-demo", help="build the synthetic demo county store")
    demo.add_argument("--db", required=True, type=Path, help="target .duckdb file")
    demo.add_argument("--rows", type=int, default=120)
    demo.add_argument("--cols", type=int, default=150)
    demo.add_argument("--cell-size", type=float, default=250.0, help="cell edge in metres")
    demo.add_argument("--seed", type=int, default=2024)
    demo.set_defaults(run=cmd_build_demo)

    vector = sub.add_parser("import-parcels", help="import a parcel file (gpkg/shp/zip/geojson/parquet)")
    vector.add_argument("file", type=Path)
    vector.add_argument("--db", required=True, type=Path)
    vector.add_argument("--mapping", type=Path, help="column/class mapping TOML (data/mappings/)")
    vector.add_argument("--name", help="display name of the study region")
    vector.set_defaults(run=cmd_import_parcels)

    raster = sub.add_parser("import-raster", help="aggregate a land-cover raster into grid parcels")
    raster.add_argument("--landuse", required=True, type=Path, help="class raster (GeoTIFF)")
    raster.add_argument("--driver", action="append", default=[], metavar="NAME=FILE",
                        help="driver raster, e.g. dem=dem.tif (repeatable)")
    raster.add_argument("--regions", type=Path, help="region polygons (e.g. districts .shp)")
    raster.add_argument("--no-change", type=Path, help="mask raster: 0 = no conversion allowed")
    raster.add_argument("--cell-size", required=True, type=float, help="parcel edge in metres")
    raster.add_argument("--mapping", required=True, type=Path, help="class mapping TOML")
    raster.add_argument("--db", required=True, type=Path)
    raster.add_argument("--name", help="display name of the study region")
    raster.set_defaults(run=cmd_import_raster)

    info = sub.add_parser("info", help="print a store's summary")
    info.add_argument("--db", required=True, type=Path)
    info.set_defaults(run=cmd_info)

    indicators = sub.add_parser("indicators", help="print the indicators of an allocation")
    indicators.add_argument("--db", required=True, type=Path)
    indicators.add_argument("--assignment", type=Path,
                            help="result file (parcel_id, use_after); the baseline when omitted")
    indicators.add_argument("--out", type=Path, help="write the indicator table as CSV")
    indicators.set_defaults(run=cmd_indicators)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError, RuntimeError) as exc:
        # Importer, store and validation errors carry the problem and the fix in their message.
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
