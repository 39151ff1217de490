"""Command line of the data layer: build the demo store, import real data, print indicators.

    python -m data build-demo --db stores/demo.duckdb
    python -m data import-parcels parcels.gpkg --db stores/mine.duckdb --mapping mapping.toml
    python -m data import-raster --landuse lu.tif --cell-size 300 --mapping m.toml --db out.duckdb
    python -m data info --db stores/demo.duckdb
    python -m data indicators --db stores/demo.duckdb [--assignment result.parquet]
    python -m data export --db stores/demo.duckdb --assignment result.parquet --out map.gpkg
    python -m data export --db stores/wuhan_300m.duckdb --assignment result.parquet --out map.tif
    python -m data export --db stores/demo.duckdb --saved 方案A --out brief.html --lang en
    python -m data scenarios list --db stores/demo.duckdb
    python -m data learn-suitability --db wuhan.duckdb --start A.tif --end B.tif --mapping m.toml
    python -m data validate-change --train-start A.tif --train-end B.tif --start B.tif \
        --end C.tif --mapping m.toml --no-change mask.tif --out score.json --map allocated.tif
    python -m data import-survey --db wuhan.duckdb --survey wh2010.tif --mapping m.toml --year 2010
    python -m data monitor --db wuhan.duckdb --scenario 2015规划 --survey "2010 wh2010_refy" \
        --base-year 2005 --plan-year 2015 --out violations.gpkg --out progress.xlsx
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _parse_drivers(items: list[str], option: str = "--driver") -> dict[str, str]:
    drivers = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"error: {option} expects NAME=FILE (e.g. dem=dem.tif), got {item!r}")
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
                           no_change=args.no_change, name=args.name,
                           layers=_parse_drivers(args.layer, "--layer"),
                           land_use_rule=args.land_use_rule)
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


def cmd_export(args: argparse.Namespace) -> int:
    import duckdb

    from data import exports, library

    try:
        if args.saved:
            saved = library.load_scenario(args.db, name=args.saved)
            if saved.stale:
                print(f"warning: the store changed since '{saved.name}' was saved "
                      f"(saved against {saved.store_version}, now {saved.current_store_version})",
                      file=sys.stderr)
            bundle = exports.ExportBundle.from_saved(args.db, saved)
        else:
            bundle = exports.ExportBundle.from_files(args.db, args.assignment, args.scenario,
                                                     args.summary, args.name)
        out = exports.export(bundle, args.out, kind=args.kind, lang=args.lang, wkt=args.wkt,
                             raster_grid=args.raster_grid)
    except (library.LibraryError, ValueError, OSError, RuntimeError, duckdb.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from data import library

    try:
        if args.action == "list":
            table = library.list_scenarios(args.db)
            columns = ["name", "preset", "status", "gap", "n_changed", "saved_at", "stale"]
            print(table[columns].to_string(index=False) if len(table) else "no saved scenarios")
        elif args.action == "delete":
            library.delete_scenario(args.db, args.name)
            print(f"deleted '{args.name}'")
        elif args.action == "rename":
            library.rename_scenario(args.db, args.name, args.new_name)
            print(f"renamed '{args.name}' to '{args.new_name}'")
        else:
            library.duplicate_scenario(args.db, args.name, args.new_name)
            print(f"copied '{args.name}' to '{args.new_name}'")
    except library.LibraryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_validate_change(args: argparse.Namespace) -> int:
    from data.change.validate import ValidationInputs, validate_change

    inputs = ValidationInputs(
        train_start=args.train_start, train_end=args.train_end, start=args.start, end=args.end,
        mapping=args.mapping, no_change=args.no_change,
        drivers=tuple((name, Path(path)) for name, path in _parse_drivers(args.driver).items()),
        cell_size_m=args.cell_size, inertia=args.inertia, compactness=args.compactness,
        neighbourhood=not args.no_neighbourhood,
        time_limit_s=args.time_limit, seed=args.seed)
    result = validate_change(inputs, args.out, args.map)
    print(validation_summary(result))
    return 0


def validation_summary(result: dict) -> str:
    """The scores of the learned model and the baselines as a small text table."""
    lines = [f"{'model':<9} {'FoM':>7} {'hits':>10} {'misses':>10} {'wrong':>10} "
             f"{'false al.':>10} {'kappa':>7} {'restricted changed':>19}"]
    for name, s in result["scores"].items():
        lines.append(f"{name:<9} {s['fom']:>7.4f} {s['hits']:>10,} {s['misses']:>10,} "
                     f"{s['wrong_hits']:>10,} {s['false_alarms']:>10,} {s['kappa']:>7.4f} "
                     f"{s['restricted_changed']:>19,}")
    allocation = result["allocation"]
    lines.append(f"allocation {allocation['status']} in {allocation['seconds']} s, "
                 f"gap {allocation['gap']}; learned − best baseline ({result['best_baseline']}) "
                 f"FoM = {result['margin_over_best_baseline']:+.4f}; total "
                 f"{result['seconds']} s, peak {result['peak_memory_gb']} GB")
    return "\n".join(lines)


def cmd_learn_suitability(args: argparse.Namespace) -> int:
    from data.change.learn import learn_store_suitability

    description = learn_store_suitability(
        args.db, args.start, args.end, args.mapping,
        {name: Path(path) for name, path in _parse_drivers(args.driver).items()},
        inertia=args.inertia, seed=args.seed)
    training = description["training"]
    print(f"stored learned suitability in {args.db} ({description['parcels']:,} parcels; "
          f"held-out accuracy {training['accuracy']:.3f}, log loss {training['log_loss']:.3f}); "
          "use it with [suitability] source = \"learned\"")
    return 0


def _add_change_commands(sub: argparse._SubParsersAction) -> None:
    learn = sub.add_parser(
        "learn-suitability", help="learn a grid store's suitability from observed change "
                                  "between two maps (the store imported from the later one)")
    learn.add_argument("--db", required=True, type=Path, help="grid store imported from --end")
    learn.add_argument("--start", required=True, type=Path, help="land-use map, period start")
    learn.add_argument("--end", required=True, type=Path, help="land-use map, period end")
    learn.add_argument("--mapping", required=True, type=Path, help="class mapping TOML")
    learn.add_argument("--driver", action="append", default=[], metavar="NAME=FILE",
                       help="driver raster described in the mapping (repeatable)")
    learn.add_argument("--inertia", type=float, default=0.1,
                       help="value of keeping a class against the probability of a change")
    learn.add_argument("--seed", type=int, default=0)
    learn.set_defaults(run=cmd_learn_suitability)

    check = sub.add_parser(
        "validate-change", help="learn change on one period, allocate the next with the "
                                "engine and score it against the real map")
    for option, text in (("--train-start", "land-use map at the start of the training period"),
                         ("--train-end", "land-use map at the end of the training period"),
                         ("--start", "land-use map the allocation starts from"),
                         ("--end", "real land-use map it is scored against (its class areas "
                                   "are the demand)")):
        check.add_argument(option, required=True, type=Path, help=text)
    check.add_argument("--mapping", required=True, type=Path, help="class mapping TOML")
    check.add_argument("--no-change", type=Path, help="mask raster: restricted cells are locked")
    check.add_argument("--driver", action="append", default=[], metavar="NAME=FILE",
                       help="driver raster described in the mapping (repeatable)")
    check.add_argument("--cell-size", type=float, default=30.0,
                       help="cell edge in metres (default 30: full resolution of a 30 m map)")
    check.add_argument("--inertia", type=float, default=0.1,
                       help="value of keeping a class against the probability of a change")
    check.add_argument("--compactness", type=float, default=0.0,
                       help="weight of the engine's compactness term (default 0)")
    check.add_argument("--no-neighbourhood", action="store_true",
                       help="leave the neighbourhood class shares out of the drivers")
    check.add_argument("--time-limit", type=float, default=300.0, help="engine limit (s)")
    check.add_argument("--seed", type=int, default=0)
    check.add_argument("--out", required=True, type=Path, help="scores (JSON)")
    check.add_argument("--map", type=Path, help="allocated map (GeoTIFF); the agreement map "
                                                "goes beside it as NAME.agreement.tif")
    check.set_defaults(run=cmd_validate_change)


def _add_library_commands(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser(
        "export", help="export an allocation (gpkg/parquet/csv), indicators (xlsx/csv) or a "
                       "briefing report (html)")
    export.add_argument("--db", required=True, type=Path, help="parcel store (.duckdb)")
    source = export.add_mutually_exclusive_group(required=True)
    source.add_argument("--assignment", type=Path,
                        help="result file (parcel_id, use_after): .parquet, .csv or .gpkg")
    source.add_argument("--saved", metavar="NAME", help="a scenario saved in the store's library")
    export.add_argument("--scenario", type=Path, help="scenario TOML (levers for xlsx/html)")
    export.add_argument("--summary", type=Path, help="solver summary JSON (status, gap, ...)")
    export.add_argument("--name", help="display name (default: scenario name or file stem)")
    export.add_argument("--out", required=True, type=Path,
                        help="output: .gpkg .parquet .csv .tif (allocation), .xlsx, .html")
    export.add_argument("--kind", choices=["allocation", "indicators", "report"],
                        help="what to write (default from the suffix; csv + indicators)")
    export.add_argument("--lang", choices=["zh", "en"], default="zh", help="report language")
    export.add_argument("--wkt", action="store_true", help="add geometry_wkt to an allocation CSV")
    export.add_argument("--raster-grid", choices=["source", "cell"], default="source",
                        help=".tif of a grid store: the source raster's grid (default) or one "
                             "pixel per cell")
    export.set_defaults(run=cmd_export)

    scenarios = sub.add_parser("scenarios", help="list, rename, duplicate or delete saved "
                                                 "scenarios")
    actions = scenarios.add_subparsers(dest="action", required=True)
    for action, names in (("list", ()), ("delete", ("name",)), ("rename", ("name", "new_name")),
                          ("duplicate", ("name", "new_name"))):
        command = actions.add_parser(action, help=f"{action} saved scenarios")
        for name in names:
            command.add_argument(name)
        command.add_argument("--db", required=True, type=Path, help="parcel store (.duckdb)")
        command.set_defaults(run=cmd_scenarios)


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
    raster.add_argument("--layer", action="append", default=[], metavar="NAME=FILE",
                        help="vector layer for a distance driver, e.g. road=roads.gpkg "
                             "(listed in the mapping's [derived] layers; repeatable)")
    raster.add_argument("--land-use-rule", choices=["majority", "preserve_area"],
                        help="a cell's class: majority (default) or preserve_area (every class "
                             "keeps its raster area to about one cell)")
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
    _add_library_commands(sub)
    _add_change_commands(sub)
    from data.monitoring.cli import add_monitoring_commands

    add_monitoring_commands(sub)
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
