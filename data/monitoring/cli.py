"""Command line of monitoring: ``import-survey``, ``surveys`` and ``monitor``.

    python -m data import-survey --db STORE --survey wh2010.tif --mapping m.toml --year 2010
    python -m data surveys list --db STORE
    python -m data monitor --db STORE --scenario 2015规划 --survey "2010 wh2010_refy" \
        --base-year 2005 --plan-year 2015 --out violations.gpkg --out progress.xlsx \
        --out briefing.html

``--scenario`` names a saved scenario or period plan of the store's library, or a scenario
TOML (or preset key) that is solved on the store first. ``--survey`` names a stored survey, or
a survey file that is read for this run only (with ``--mapping`` and ``--survey-year``;
nothing is stored).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from data.errors import DataImportError
from wording import translate


def cmd_import_survey(args: argparse.Namespace) -> int:
    from data.monitoring.survey import import_survey

    report = import_survey(args.db, args.survey, args.mapping, args.year, name=args.name,
                           replace=args.replace)
    print(report.format())
    print(f"stored as survey '{report.name}' beside {args.db} (the store itself is unchanged)")
    return 0


def cmd_surveys(args: argparse.Namespace) -> int:
    from data.monitoring.survey import delete_survey, list_surveys

    if args.action == "delete":
        delete_survey(args.db, args.name)
        print(f"deleted survey '{args.name}'")
        return 0
    table = list_surveys(args.db)
    print(table.to_string(index=False) if len(table) else "no surveys imported yet")
    return 0


def cmd_monitor(args: argparse.Namespace) -> int:
    from data.monitoring.compare import monitor

    started = time.perf_counter()
    check_outputs(args.out)
    survey = survey_layer(args)
    plan = plan_for(args, survey.year)
    report = monitor(args.db, plan, survey)
    print(monitoring_summary(report, time.perf_counter() - started))
    if args.summary:
        args.summary.write_text(json.dumps(summary_dict(report), ensure_ascii=False, indent=2),
                                encoding="utf-8")
        print(f"wrote {args.summary}")
    if args.out:
        from data.monitoring.exports import write_export

        for out in args.out:
            written = write_export(report, args.db, out, lang=args.lang)
            print(f"wrote {written} ({written.stat().st_size:,} bytes)")
    return 0


OUT_SUFFIXES = (".gpkg", ".xlsx", ".html")


def check_outputs(paths: list[Path]) -> None:
    """Refuse an output the monitoring exports cannot write before any work is done."""
    for path in paths:
        if path.suffix.lower() not in OUT_SUFFIXES:
            raise DataImportError(f"--out {path.name}: monitoring writes no {path.suffix or 'extensionless'} "
                                  "files",
                                  "use .gpkg (suspected violations for GIS), .xlsx (tables per "
                                  "region) or .html (briefing)")


def survey_layer(args: argparse.Namespace):
    """A stored survey by name, or a survey file read for this run only."""
    import pandas as pd

    from data.monitoring.survey import SurveyLayer, check_year, list_surveys, load_survey, read_survey

    stored = set(list_surveys(args.db)["name"])
    if args.survey in stored:
        return load_survey(args.db, args.survey)
    path = Path(args.survey)
    if not path.is_file():
        listing = ", ".join(sorted(stored)) or "none yet"
        raise DataImportError(f"--survey {args.survey!r} is neither a stored survey of this store "
                              f"(stored: {listing}) nor a file",
                              "name a stored survey or give the path of a survey raster or "
                              "polygon file")
    if args.survey_year is None:
        raise DataImportError(f"--survey {path.name} is a file: its year is not known",
                              "add --survey-year YEAR (or import it once with import-survey)")
    year = check_year(args.survey_year)
    codes, _, tables = read_survey(args.db, path, args.mapping)
    version = tables.meta.get("version", "")
    uses = pd.DataFrame({"parcel_id": tables.parcels["parcel_id"].to_numpy(dtype=np.int64),
                         "land_use": codes})
    return SurveyLayer(name=path.stem, year=year, source=path.name, imported_at="",
                       store_version=version, current_store_version=version, land_use=uses)


def plan_for(args: argparse.Namespace, survey_year: int):
    """The plan: a saved scenario, or a scenario TOML / preset solved on the store now."""
    from data import library
    from data.monitoring.compare import plan_from_saved

    saved_names = set(library.list_scenarios(args.db)["name"]) \
        if library.library_path(args.db).exists() else set()
    if args.scenario in saved_names:
        saved = library.load_scenario(args.db, name=args.scenario)
        return plan_from_saved(saved, _parcel_ids(args.db), survey_year, args.base_year,
                               args.plan_year)
    return _solved_plan(args)


def _parcel_ids(db: Path) -> np.ndarray:
    from data.db import connect, query_df

    con = connect(db)
    try:
        ids = query_df(con, "SELECT parcel_id FROM parcels ORDER BY parcel_id")["parcel_id"]
    finally:
        con.close()
    return ids.to_numpy(dtype=np.int64)


def _solved_plan(args: argparse.Namespace):
    from data.landscape import load_landscape
    from data.monitoring.compare import Plan
    from solver.orchestrate import solve
    from solver.scenario import Scenario, ScenarioError

    spec = args.scenario
    try:
        if spec.endswith(".toml") or Path(spec).is_file():
            scenario = Scenario.from_toml(Path(spec))
        else:
            from data.presets import load_preset

            scenario = load_preset(spec)
    except (ScenarioError, KeyError, FileNotFoundError) as exc:
        raise DataImportError(f"--scenario {spec!r} is not a saved scenario of this store, a "
                              f"scenario file or a preset ({exc})",
                              "name a scenario saved in the library (python -m data scenarios "
                              "list --db STORE), a scenario .toml or a preset key") from exc
    if args.base_year is None or args.plan_year is None:
        raise DataImportError("a scenario solved for monitoring has no years",
                              "give --base-year (the store's map) and --plan-year (the target)")
    land = load_landscape(args.db)
    result = solve(land, scenario)
    if result.assignment is None:
        raise DataImportError(f"scenario {spec!r} has no allocation on this store "
                              f"(status {result.status})",
                              "solve it with `python -m solver solve` to see why, fix its "
                              "levers, or monitor against a saved scenario")
    print(f"solved {spec}: {result.status}, gap {result.gap}")
    codes = np.asarray(land.class_codes)[np.asarray(result.assignment)]
    return Plan(str(scenario.name or spec), scenario, codes, int(args.base_year),
                int(args.plan_year))


def summary_dict(report) -> dict:
    """Headline figures as JSON-ready data (counts, areas, deviations, statuses)."""
    statuses = report.progress["status"].value_counts().to_dict()
    return {
        "format": "landalloc-monitoring/1", "store": report.store_name, "plan": report.plan_name,
        "plan_period": report.plan_period, "survey": report.survey_name,
        "base_year": report.base_year, "plan_year": report.plan_year,
        "survey_year": report.survey_year, "elapsed_pct": round(100 * report.elapsed, 1),
        "violations": report.totals(), "unchecked": report.unchecked,
        "deviation_ha": {k: round(v, 2) for k, v in report.deviation_area().items()},
        "cropland_deficit_ha": round(float(report.regions["cropland_deficit_ha"].sum()), 2),
        "progress_status": {s: int(statuses.get(s, 0)) for s in ("green", "amber", "red")},
        "targets": report.progress[report.progress["kind"] == "target"][
            ["key", "base_ha", "plan_ha", "survey_ha", "realised_pct", "status", "reason"]
        ].to_dict(orient="records"),
    }


def monitoring_summary(report, seconds: float) -> str:
    """Plain-text headline of a monitoring run."""
    lines = [f"plan '{report.plan_name}'{f' ({report.plan_period})' if report.plan_period else ''}"
             f" {report.base_year}→{report.plan_year}, survey '{report.survey_name}' "
             f"{report.survey_year}: {100 * report.elapsed:.0f} % of the period elapsed "
             f"({seconds:.1f} s)", "suspected violations:"]
    for kind, total in report.totals().items():
        if kind in report.unchecked:
            zone = translate(f"mon_zone_{report.unchecked[kind]}", "en")
            lines.append(f"  {kind:<20} not checked (the store has no {zone})")
            continue
        lines.append(f"  {kind:<20} {total['parcels']:>9,} parcels {total['area_ha']:>12,.1f} ha "
                     f"in {total['patches']:,} patches")
    lines.append("deviations from the plan (ha):")
    lines += [f"  {name:<20} {area:>12,.1f}" for name, area in report.deviation_area().items()]
    targets = report.progress[report.progress["kind"] == "target"]
    lines.append("targets:")
    for row in targets.itertuples():
        realised = "" if row.realised_pct is None or np.isnan(row.realised_pct) \
            else f", {row.realised_pct:.0f} % of the planned change"
        lines.append(f"  {row.status:<6} {row.key:<34} base {row.base_ha:,.1f} plan "
                     f"{row.plan_ha:,.1f} survey {row.survey_ha:,.1f} ha ({row.reason}{realised})")
    regional = report.regions
    lines.append("regions: " + ", ".join(f"{n} {s}" for n, s in
                                         zip(regional["name_zh"], regional["status"], strict=True)))
    return "\n".join(lines)


def add_monitoring_commands(sub: argparse._SubParsersAction) -> None:
    """``import-survey``, ``surveys`` and ``monitor`` on the data command line."""
    imp = sub.add_parser("import-survey", help="read a newer survey (raster or polygons) onto a "
                                               "store's parcels and keep it beside the store")
    imp.add_argument("--db", required=True, type=Path, help="parcel or grid store (.duckdb)")
    imp.add_argument("--survey", required=True, type=Path,
                     help="class raster (.tif) on the store's grid, or polygons with a class "
                          "column (.gpkg .shp .zip .geojson .parquet)")
    imp.add_argument("--mapping", type=Path, help="class mapping TOML into the store's classes "
                                                  "(default: the store's own codes)")
    imp.add_argument("--year", required=True, help="survey year, e.g. 2010")
    imp.add_argument("--name", help="layer name (default '<year> <file stem>')")
    imp.add_argument("--replace", action="store_true", help="replace a survey of the same name")
    imp.set_defaults(run=cmd_import_survey)

    surveys = sub.add_parser("surveys", help="list or delete a store's imported surveys")
    actions = surveys.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="list the surveys")
    listing.add_argument("--db", required=True, type=Path)
    delete = actions.add_parser("delete", help="delete a survey")
    delete.add_argument("name")
    delete.add_argument("--db", required=True, type=Path)
    for parser in (listing, delete):
        parser.set_defaults(run=cmd_surveys)

    mon = sub.add_parser("monitor", help="hold a survey against the base map and a plan: "
                                         "suspected violations, deviations, progress")
    mon.add_argument("--db", required=True, type=Path, help="parcel or grid store (.duckdb)")
    mon.add_argument("--scenario", required=True,
                     help="saved scenario or period plan name, or a scenario TOML / preset key "
                          "to solve now")
    mon.add_argument("--survey", required=True,
                     help="stored survey name, or a survey file read for this run only")
    mon.add_argument("--mapping", type=Path, help="class mapping of a survey file")
    mon.add_argument("--survey-year", type=int, help="year of a survey file")
    mon.add_argument("--base-year", type=int, help="year of the store's base map (a period plan "
                                                   "has its own)")
    mon.add_argument("--plan-year", type=int, help="target year of a single-period plan")
    mon.add_argument("--out", action="append", type=Path, default=[],
                     help="violations .gpkg, per-region .xlsx or briefing .html (repeatable)")
    mon.add_argument("--summary", type=Path, help="headline figures as JSON")
    mon.add_argument("--lang", choices=["zh", "en"], default="zh", help="export language")
    mon.set_defaults(run=cmd_monitor)
