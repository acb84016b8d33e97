"""The ``scrutiny`` command: a thin layer over the Python API.

    scrutiny demo                       generate demo data and build the demo pack
    scrutiny councils [--data DIR]      every council with its code, region and years
    scrutiny indicators                 the indicator catalogue
    scrutiny show COUNCIL INDICATOR     a council's series beside its neighbours and England
    scrutiny fetch [--check] [--quiet]  find and download the latest official releases
    scrutiny ingest FILE|FOLDER ...     add files downloaded by hand (recognised by content)
    scrutiny store [--rebuild]          build or describe the indicator store
    scrutiny build --council X ...      build a scrutiny pack (see scrutiny build --help)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import paths
from .errors import ScrutinyError

DATA_HELP = ("'demo' for the generated demo data, 'official' (the default) for data/raw, "
             "or a folder of official releases")


def _store(args):
    from .store import open_store
    return open_store(args.data, cache_dir=getattr(args, "cache", None))


# ------------------------------------------------------------------ commands

def cmd_councils(args) -> int:
    store = _store(args)
    councils = store.councils()
    if args.region:
        councils = councils[councils["region_name"].str.lower() == args.region.lower()]
    print(f"{'code':<8} {'council':<40} {'region':<26} years")
    for row in councils.itertuples():
        years = f"{row.first_period}-{row.last_period}"
        note = "  *" if row.note else ""
        print(f"{row.area_code:<8} {row.area_name[:40]:<40} {str(row.region_name)[:26]:<26} {years}{note}")
    print(f"\n{len(councils)} councils" + (" (demo data)" if store.is_demo else ""))
    if (councils["note"] != "").any():
        print("* reorganised: see 'scrutiny show' or the pack's data notes")
    return 0


def cmd_indicators(args) -> int:
    from .catalogue import load_catalogue
    catalogue = load_catalogue(args.catalogue)
    for ind in catalogue:
        arrow = {"higher_is_better": "higher is better", "lower_is_better": "lower is better",
                 "context": "context"}[ind.polarity]
        print(f"{ind.id:<18} {ind.label[:62]:<62} {ind.period_basis:<14} {arrow}")
    print(f"\n{len(catalogue)} indicators in {catalogue.path}")
    return 0


def cmd_show(args) -> int:
    from .stats import compare_indicator
    from .vocab import status_word
    from .words import describe
    store = _store(args)
    code = store.resolve(args.council)
    ind = store.catalogue[args.indicator]
    period = args.period
    if period is not None:
        from .stats import period_not_after
        shown = period_not_after(store, ind.id, period)
        if shown is None:
            raise ScrutinyError(f"{ind.label} has no figures for {period} or earlier. Leave out --period for the "
                                f"latest.")
        if shown != period:
            print(f"{ind.label} is not published for {period}; showing {ind.period_label(shown)}, the latest "
                  f"earlier figure.\n")
        period = shown
    comp = compare_indicator(store, code, ind.id, period=period)
    print(f"{ind.label}: {comp.area_name} ({code})")
    print(f"{ind.definition}\n")
    columns = [("council", comp.area_name), ("neighbour_mean", "Neighbour average"),
               ("region", comp.region_name or "Region"), ("england", "England")]
    print(f"{'period':<22}" + "".join(f"{title[:19]:>21}" for _, title in columns))
    for row in comp.series[comp.series["period"] <= comp.period].itertuples(index=False):
        cells = []
        for col, _ in columns:
            value = getattr(row, col)
            text = status_word(row.council_status) if col == "council" and row.council_status != "ok" \
                else ind.format_value(value)
            cells.append(f"{text[:20]:>21}")
        print(f"{ind.period_label(int(row.period)):<22}" + "".join(cells))
    print("\n" + " ".join(describe(comp)))
    return 0


def cmd_fetch(args) -> int:
    from .data.fetch import fetch
    quiet = args.quiet

    def show(result):
        if not quiet or result.status in ("new", "failed", "available"):
            print(result.line(), flush=True)

    report = fetch(manifest_path=args.manifest, dest_dir=args.dest, only=args.only or None, check=args.check,
                   allow_older=args.allow_older, on_result=show)
    if report.cleaned and not quiet:
        print(f"removed {len(report.cleaned)} temporary file(s) left by an interrupted run")
    tail = report.summary(quiet=quiet).splitlines()
    if tail and (not quiet or report.changed or not report.ok):
        print(tail[-1])
    if not report.ok:
        print("fetch: some sources failed (see above); the files held for them were kept", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_ingest(args) -> int:
    from .data.ingest import ingest
    report = ingest(args.files, dest_dir=args.dest, allow_older=args.allow_older)
    print(report.summary())
    return 0


def cmd_template(args) -> int:
    from .loaders.local import write_local_template
    path = write_local_template(args.path)
    print(f"Wrote a blank local figures template to {path}. docs/local-figures.md explains each column "
          f"and measure; check a filled-in file with 'scrutiny check-local FILE'.")
    return 0


def cmd_check_local(args) -> int:
    from .loaders.local import validate_local
    failed = 0
    for path in args.files:
        result = validate_local(path, council=args.council)
        print(result.summary())
        failed |= not result.ok
    return 1 if failed else 0


def cmd_store(args) -> int:
    from .store import load_store, open_store
    start = time.perf_counter()
    if args.rebuild:
        from .store import demo_data
        store = load_store(args.data if args.data not in (None, "official", "demo") else (
            paths.raw_dir() if args.data != "demo" else demo_data()), rebuild=True,
            allow_missing_measures=True)
    else:
        store = open_store(args.data, allow_missing_measures=True)
    took = time.perf_counter() - start
    ind = store.indicators
    print(f"Indicator store {store.key}{' (demo data)' if store.is_demo else ''}: {len(ind):,} figures, "
          f"{ind['indicator'].nunique()} indicators, {len(store.councils())} councils, "
          f"periods {ind['period'].min()}-{ind['period'].max()} ({took:.2f} s)")
    for row in store.inputs.itertuples():
        print(f"  {row.publication:<28} {Path(row.file).name}")
    for w in store.warnings:
        print(f"  note: {w}")
    return 1 if store.missing_measures else 0


def cmd_demo(args) -> int:
    """Generate the demo data (fictional councils, official file formats) and
    build a full demo pack, HTML and PDF, with no network."""
    from .demo import describe_demo
    from .pack import build_pack
    from .store import open_store
    open_store("demo")  # generates the demo releases on first use
    print(describe_demo())
    print(f"\nBuilding the demo pack for {args.council} (every section, HTML and PDF)...", flush=True)
    result = build_pack(council=args.council, data="demo", local_figures="demo", formats=("html", "pdf"),
                        committee="Children and Young People Overview and Scrutiny Committee",
                        meeting_date=args.meeting_date)
    print(result.summary())
    from .build.batch import write_index
    index = write_index(paths.reports_dir())
    print(f"Open {result.out_dir / 'pack.html'} in a browser, or {index} for every pack built."
)
    return 0


def cmd_build(args) -> int:
    from .pack import cli_build
    return cli_build(args)


# -------------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scrutiny", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("councils", help="list every council with its code, region and years available")
    p.add_argument("--data", default="official", help=DATA_HELP)
    p.add_argument("--region", help="only councils in this region")
    p.set_defaults(func=cmd_councils)

    p = sub.add_parser("indicators", help="list the indicator catalogue")
    p.add_argument("--catalogue", type=Path, default=None, help="catalogue YAML (default data/indicators.yml)")
    p.set_defaults(func=cmd_indicators)

    p = sub.add_parser("show", help="print a council's series beside its neighbours and England")
    p.add_argument("council", help="name, DfE LA number or ONS code")
    p.add_argument("indicator", help="indicator id (see 'scrutiny indicators')")
    p.add_argument("--period", type=int, default=None, help="year the period ends (default: latest)")
    p.add_argument("--data", default="official", help=DATA_HELP)
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("fetch", help="find and download the latest official releases (data/sources.yml)")
    p.add_argument("--only", nargs="*", help="publication ids to fetch (default: every source)")
    p.add_argument("--check", action="store_true", help="say which sources have a new release; download nothing")
    p.add_argument("--allow-older", action="store_true",
                   help="install a release even if it is older or narrower than the file held")
    p.add_argument("--quiet", action="store_true",
                   help="print only new releases and failures (for scheduled runs)")
    p.add_argument("--manifest", type=Path, default=None, help="sources manifest (default data/sources.yml)")
    p.add_argument("--dest", type=Path, default=None, help="folder to write to (default data/raw)")
    p.add_argument("--no-progress", action="store_true", help=argparse.SUPPRESS)  # older scripts pass it
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("ingest", help="add official files you downloaded by hand (files, folders or patterns)")
    p.add_argument("files", nargs="+", type=Path, help="files, folders or glob patterns")
    p.add_argument("--allow-older", action="store_true",
                   help="install a release even if it is older or narrower than the file held")
    p.add_argument("--dest", type=Path, default=None, help="folder to copy into (default data/raw)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("template", help="write a blank template for a council's own monthly figures")
    p.add_argument("kind", choices=["local"], help="the template to write")
    p.add_argument("path", type=Path, help="file to create (.csv or .xlsx); never overwritten")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("check-local", help="validate local figures files and list every problem")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--council", default=None, help="the council the figures are for, if the file has no council column")
    p.set_defaults(func=cmd_check_local)

    p = sub.add_parser("store", help="build (if needed) and describe the indicator store")
    p.add_argument("--data", default="official", help=DATA_HELP)
    p.add_argument("--rebuild", action="store_true", help="rebuild even if the inputs are unchanged")
    p.set_defaults(func=cmd_store)

    p = sub.add_parser("demo", help="generate demo data and build the demo pack, offline")
    p.add_argument("--council", default="Northmoor", help="the demo council (see the list printed)")
    p.add_argument("--meeting-date", default="", help="meeting date for the cover, YYYY-MM-DD")
    p.set_defaults(func=cmd_demo)

    try:
        from .pack import add_build_arguments
    except ImportError:
        add_build_arguments = None
    if add_build_arguments is not None:
        p = sub.add_parser("build", help="build scrutiny packs (HTML and PDF)")
        add_build_arguments(p)
        p.set_defaults(func=cmd_build)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ScrutinyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader (head, less) went away: nothing more to say
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0


if __name__ == "__main__":
    sys.exit(main())
