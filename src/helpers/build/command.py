"""``scrutiny build``: one pack (``--council``) or a batch (``--all``,
``--run-file``). Every option is checked by :mod:`helpers.params` before
anything runs; a batch checks every run against the data before any kernel
starts (all problems at once).

What it prints is meant for a log read by people: for a batch, one line
when all went well, then each failure with its cause (``--verbose`` adds a
line per pack); nothing at all with ``--if-new-data`` when no pack changed.
Exit codes: 0 when every pack was built or unchanged, 1 when any failed (or
a release lacks measures), 2 when the command was refused before starting,
128 + the signal's number when it was stopped (143 for SIGTERM).
"""

from __future__ import annotations

import sys
from pathlib import Path

from .. import params, paths
from . import stop


def add_build_arguments(parser) -> None:
    """Options of ``scrutiny build``."""
    g = parser.add_argument_group("what to build")
    who = g.add_mutually_exclusive_group(required=True)
    who.add_argument("--council", help="council name, DfE LA number or ONS code")
    who.add_argument("--all", action="store_true", help="every current council in the store")
    who.add_argument("--run-file", type=Path, help="YAML file listing runs (see reports/README.md)")
    g.add_argument("--period", default=None,
                   help="the year the period ends: 2025, or as DfE writes it, 2024-25 or 202425 (default: latest)")
    g.add_argument("--comparator", default="statistical neighbours",
                   help="'statistical neighbours' (default), 'region' or a group in --comparators-file")
    g.add_argument("--comparators-file", default="", help="YAML file of custom comparator groups")
    g.add_argument("--neighbours", default="", metavar="YEAR",
                   help="statistical neighbour model, e.g. 2025 or 2021 (default: the newest held)")
    g.add_argument("--local-figures", default="",
                   help="the council's own monthly figures (a file, or 'demo'); default: look in data/local/")
    g.add_argument("--targets-file", default="", help="the council's own targets (YAML)")
    g.add_argument("--committee", default="", help="committee name for the cover and running header")
    g.add_argument("--meeting-date", default="", help="meeting date, YYYY-MM-DD")
    g.add_argument("--sections", default=None, help="comma-separated sections (default: all)")
    g.add_argument("--format", default=None, help="html, pdf or html,pdf (default)")
    g.add_argument("--spec", default="", help="pack specification (YAML): sections, measures, titles, targets "
                                              "(default: pack.yml beside the notebooks, if any)")
    g.add_argument("--commentary", default="", help="folder of officer commentary (default: commentary/ beside "
                                                    "the notebooks or the specification)")
    g.add_argument("--data", default="official",
                   help="'demo', 'official' (default, data/raw) or a folder of official releases")
    o = parser.add_argument_group("where and how")
    o.add_argument("--notebooks", type=Path, default=None, help="section notebooks folder (default notebooks/)")
    o.add_argument("--reports", type=Path, default=None, help="output folder (default reports/)")
    o.add_argument("--force", action="store_true", help="rebuild packs whose inputs have not changed")
    o.add_argument("--replace", action="store_true",
                   help="let a build with fewer sections or formats replace the committee's pack (by default "
                        "it is kept apart in <council>/.partial/<period>/)")
    o.add_argument("--if-new-data", action="store_true",
                   help="for scheduled runs: build only packs whose inputs changed and print nothing when none did")
    o.add_argument("--timeout", type=int, default=600,
                   help="seconds one notebook cell may run before its pack fails (default 600)")
    o.add_argument("--workers", type=int, default=None,
                   help="parallel workers for a batch (default and most: one a core, as memory allows)")
    o.add_argument("--dask", metavar="SCHEDULER", default=None,
                   help="run the batch on Dask distributed: a scheduler address (tcp://host:8786) or 'local'")
    o.add_argument("--verbose", action="store_true", help="a line for every pack, not only the failures")
    o.add_argument("--no-progress", action="store_true", help="no progress bar (there is none without a terminal)")
    o.add_argument("--allow-missing-measures", action="store_true",
                   help="build although a release lacks measures the catalogue needs (the pack says which; "
                        "the command exits 1)")


def _run_values(args) -> dict:
    values = dict(period=args.period, comparator=args.comparator, committee=args.committee,
                  meeting_date=args.meeting_date, sections=args.sections, comparators_file=args.comparators_file,
                  local_figures=args.local_figures, targets_file=args.targets_file, neighbours=args.neighbours,
                  spec=args.spec, commentary=args.commentary)
    if args.format is not None:
        values["formats"] = args.format
    return values


def cli_build(args) -> int:
    values = _run_values(args)
    if args.council:
        run, errors = params.check_run({**values, "council": args.council})
        params.raise_all(errors)
        return _build_single(run, args)
    defaults, errors = params.check_run(values, need_council=False)
    params.raise_all(errors)
    return _build_batch(defaults, args)


def _build_single(run, args) -> int:
    from ..pack import build_pack
    from .batch import write_index
    reports = args.reports or paths.reports_dir()
    quiet = args.if_new_data   # rebuilt every time, unless --if-new-data: then only when its inputs changed, silently
    try:
        with stop.stop_requests(_stop_single):
            result = build_pack(council=run.council, period=run.period, comparator=run.comparator,
                                committee=run.committee, meeting_date=run.meeting_date, sections=run.sections,
                                comparators_file=run.comparators_file or None, force=not quiet, formats=run.formats,
                                local_figures=run.local_figures, targets_file=run.targets_file,
                                allow_missing_measures=args.allow_missing_measures, neighbours=run.neighbours,
                                data=args.data, notebooks_dir=args.notebooks, reports_dir=reports,
                                timeout=args.timeout, replace_partial=args.replace, spec=run.spec,
                                commentary=run.commentary)
    except stop.Stopped as exc:
        print(f"Stopped by {stop.signal_name(exc.signum)}: {run.describe()} was not built; any pack already in "
              f"place is unchanged.", file=sys.stderr)
        return exc.exit_code
    if not (quiet and result.skipped):
        print(result.summary())
        write_index(reports)
    return 1 if result.missing_measures else 0


def _stop_single(signum: int) -> None:
    stop.run_cleanups()      # kernels and browser: the build in progress ends at once
    raise stop.Stopped(signum)


def _build_batch(defaults, args) -> int:
    from .batch import run_batch, runs_for_all
    problems: list[str] = []
    if args.all:
        runs, labels, source = runs_for_all(args.data, defaults), None, ""
    else:
        numbered, found = params.read_run_file(args.run_file, defaults)
        runs = [run for _, run in numbered]
        labels, source = [f"runs[{i}] ({r.describe()})" for i, r in numbered], str(args.run_file)
        problems = [f"key '{key}': {text}" if key else text for key, text in found]
    quiet = args.if_new_data
    summary = run_batch(runs, force=args.force and not quiet, workers=args.workers, dask=args.dask,
                        progress=not (args.no_progress or quiet), allow_missing_measures=args.allow_missing_measures,
                        data=args.data, notebooks_dir=args.notebooks, reports_dir=args.reports, timeout=args.timeout,
                        labels=labels, source=source, replace_partial=args.replace, problems=problems)
    changed = bool(summary.built) or bool(summary.notes)
    if args.verbose or not quiet or not summary.ok or summary.missing_measures or changed:
        print(summary.text(verbose=args.verbose), flush=True)
    if summary.stopped_by:
        return summary.stop_code
    return 0 if summary.ok and not summary.missing_measures else 1
