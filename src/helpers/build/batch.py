"""Batches of packs: every council (``scrutiny build --all``) or the runs in
a YAML run file (``scrutiny build --run-file FILE``), in a process pool
(one warm kernel per worker) or on Dask distributed (``--dask ADDRESS`` or
``--dask local``).

Before anything starts, every run is checked against the data and planned
(:mod:`helpers.build.preflight`): all problems are reported together and
nothing is built; runs that are the same pack are built once. Workers are
capped by cores and memory (:func:`helpers.build.workers.worker_count`).

One failing council does not stop the others; the summary names each
failure with its cause. A pack whose inputs are unchanged (same
fingerprint in its manifest) is skipped unless ``force``. A stop signal
(SIGTERM, SIGINT, SIGHUP) stops the batch within seconds: finished packs
stay, unfinished ones leave nothing where readers look, and the summary
says what was built, what was not and how to finish (run the same command
again). After the batch, ``reports/index.html`` is regenerated.

Run file::

    defaults:                 # optional, applied to every run
      committee: Children and Young People Scrutiny Committee
      comparator: statistical neighbours
    runs:
      - council: Dorset
        meeting_date: 2026-01-20
        sections: [summary, workforce]
      - council: 940
        period: 2024-25
        comparator: region
      - council: Cumbria
        period: 2022
        neighbours: 2021      # a model's year; default the newest held
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import paths
from ..params import Run, runs_from_file  # noqa: F401 - run files are read here by callers
from ..data.rules import missing_line
from . import stop

#: One run of a batch (the parameter model of :mod:`helpers.params`).
BatchRun = Run


@dataclass
class Outcome:
    run: Run
    ok: bool
    skipped: bool = False
    out_dir: str = ""
    seconds: float = 0.0
    error: str = ""
    council_name: str = ""
    partial: bool = False

    @property
    def name(self) -> str:
        return self.council_name or str(self.run.council)


@dataclass
class BatchSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    index: str = ""
    missing_measures: list = field(default_factory=list)
    not_built: list[str] = field(default_factory=list)   # stopped before these were built
    duplicates: list[str] = field(default_factory=list)
    stopped_by: str = ""                                  # the signal's name, when stopped
    stop_code: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes) and not self.stopped_by

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def built(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok and not o.skipped]

    def text(self, verbose: bool = False) -> str:
        """The log: one line when all went well (and each failure, missing
        measure and note); with ``verbose``, a line for every pack."""
        skipped = sum(1 for o in self.outcomes if o.skipped)
        partial = sum(1 for o in self.built if o.partial)
        counts = (f"{len(self.built)} built" + (f" ({partial} kept apart as partial)" if partial else "")
                  + f", {skipped} unchanged, {len(self.failures)} failed")
        dup = f"; {len(self.duplicates)} duplicate run(s) built once" if self.duplicates else ""
        index = f"; index {self.index}" if self.index else ""
        if self.stopped_by:
            lines = [f"Stopped by {self.stopped_by} after {_duration(self.seconds)}: {counts}, "
                     f"{len(self.not_built)} not built{dup}{index}."]
        else:
            lines = [f"{len(self.outcomes)} packs in {_duration(self.seconds)}: {counts}{dup}{index}."]
        lines += [f"  note: {n}" for n in self.notes]
        for o in self.failures:
            lines.append(f"  FAILED {o.name}: {o.error}")
        for m in self.missing_measures:
            lines.append(f"  MISSING: {missing_line(m)}")
        if verbose:
            lines += [f"  {_line(o)}" for o in self.outcomes if o.ok]
            lines += [f"  duplicate: {d}" for d in self.duplicates]
        if self.stopped_by:
            if self.built:
                lines.append(f"  Built: {', '.join(o.name for o in self.built)}")
            if self.not_built:
                lines.append(f"  Not built: {', '.join(self.not_built)}")
            lines.append("  To finish, run the same command again: packs already built are kept and skipped.")
        return "\n".join(lines)


def _line(o: Outcome) -> str:
    if o.skipped:
        return f"unchanged {o.name}: {o.out_dir}"
    kind = "built (partial, kept apart)" if o.partial else "built"
    return f"{kind} {o.name} in {o.seconds:.1f} s: {o.out_dir}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


# ------------------------------------------------------------------ runs

def runs_for_all(data: str, defaults: Run | None = None) -> list[Run]:
    """A run for every current council in the store (councils whose figures
    reach the latest period; joint returns and abolished councils are not
    councils a committee scrutinises)."""
    from ..store import open_store
    store = open_store(data)
    councils = store.councils()
    latest = councils["last_period"].max()
    current = councils[councils["last_period"] == latest]
    base = defaults or Run(council="")
    return [replace(base, council=str(code)) for code in current["area_code"]]


# ------------------------------------------------------------------ workers

def build_one(run: Run, options: dict) -> Outcome:
    """Build one run's pack; never raises (a failure is an Outcome)."""
    from ..pack import build_pack
    t = time.perf_counter()
    try:
        res = build_pack(council=run.council, period=run.period, comparator=run.comparator,
                         committee=run.committee, meeting_date=run.meeting_date, sections=run.sections,
                         comparators_file=run.comparators_file or None, local_figures=run.local_figures or "",
                         targets_file=run.targets_file or "", neighbours=run.neighbours or "",
                         formats=run.formats, spec=run.spec or "", commentary=run.commentary or "", **options)
        return Outcome(run, True, skipped=res.skipped, out_dir=str(res.out_dir), partial=res.partial,
                       seconds=time.perf_counter() - t, council_name=f"{res.council} {res.period}")
    except Exception as exc:  # one council's failure must not stop the batch
        return _failed(run, _cause(exc), time.perf_counter() - t)


def _failed(run: Run, error: str, seconds: float = 0.0) -> Outcome:
    return Outcome(run, False, seconds=seconds, error=error, council_name=run.describe())


def _cause(exc: BaseException) -> str:
    cause = str(exc) or type(exc).__name__
    if not getattr(exc, "__module__", "").startswith("helpers"):
        cause = f"{type(exc).__name__}: {cause}"
    return cause.splitlines()[0][:500]


def init_worker(env: dict) -> None:
    """Set up a process-pool worker: the batch's environment; stop with the
    batch (signals, or its process ending); shut the kernel and browser down
    when the worker ends; start the warm kernel now, while the first task is
    being sent."""
    os.environ.update(env)
    stop.worker_lifetime()
    from multiprocessing.util import Finalize
    from ..pack import _shutdown_warm
    from ..pdf import close_browser
    Finalize(None, close_browser, exitpriority=10)
    Finalize(None, _shutdown_warm, exitpriority=10)  # forked workers run no atexit hooks
    from ..pack import warm_kernel
    try:
        warm_kernel()
    except Exception:  # noqa: BLE001 - reported by the first build instead
        pass


# ------------------------------------------------------------------ the batch

def run_batch(runs: list[Run], *, force: bool = False, workers: int | None = None, dask: str | None = None,
              progress: bool = True, formats=None, data: str = "official", notebooks_dir=None,
              reports_dir=None, write_index_after: bool = True, timeout: int = 600,
              allow_missing_measures: bool = False, labels: list[str] | None = None,
              source: str = "", replace_partial: bool = False, problems: list[str] = ()) -> BatchSummary:
    """Build every run; return a summary. ``workers`` defaults to the
    number of cores (capped by cores and memory); ``dask`` is a scheduler
    address or 'local'; ``timeout`` is the seconds one notebook cell may run
    before that pack fails; ``formats`` (when given) replaces each run's;
    ``replace_partial`` lets a build with fewer sections or formats replace
    the committee's pack (see :func:`helpers.pack.build_pack`).
    Raises BatchConfigError, before anything starts, when any run cannot be
    built as asked (``labels`` and ``source`` name the runs in it), with
    every problem found and any ``problems`` the caller found already."""
    from ..data.snapshot import lease
    from ..store import open_store
    from .install import clean_stale_temporaries
    from .workers import check_dask_address
    t0 = time.perf_counter()
    if dask:
        dask = check_dask_address(dask)
    if formats is not None:
        from ..params import check_formats
        runs = [replace(r, formats=check_formats(formats)) for r in runs]
    reports = Path(reports_dir) if reports_dir else paths.reports_dir()
    reports.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(reports)
    # one store snapshot for the whole batch: every worker and notebook opens
    # this folder, whatever ingest or fetch do to the raw files meanwhile
    store = open_store(data, allow_missing_measures=allow_missing_measures)
    with lease(store.snapshot):
        summary = _plan_and_run(runs, store, t0, reports, force=force, workers=workers, dask=dask,
                                progress=progress, notebooks_dir=notebooks_dir, timeout=timeout,
                                write_index_after=write_index_after, labels=labels, source=source,
                                replace_partial=replace_partial, problems=list(problems))
    summary.missing_measures = list(store.missing_measures)
    return summary


def _plan_and_run(runs, store, t0, reports, *, force, workers, dask, progress, notebooks_dir, timeout,
                  write_index_after, labels, source, replace_partial, problems) -> BatchSummary:
    from .preflight import BatchConfigError, preflight
    from .workers import worker_count
    plan = preflight(runs, store, notebooks_dir=notebooks_dir, reports_dir=reports, labels=labels)
    if plan.problems or problems:
        raise BatchConfigError(sorted(problems + plan.problems, key=_run_index), source)
    summary = BatchSummary(duplicates=plan.duplicates)
    if not dask or dask == "local":
        workers, note = worker_count(workers, len(plan.runs))
        if note:
            summary.notes.append(note)
    options = dict(force=force, data=str(store.snapshot), timeout=timeout, section_workers=1,
                   replace_partial=replace_partial,
                   notebooks_dir=str(notebooks_dir) if notebooks_dir else None, reports_dir=str(reports))
    with stop.stop_requests(lambda signum: None) as request:
        outcomes = _execute(plan.runs, options, workers, dask, request, progress)
        if request.requested:
            summary.stopped_by = stop.signal_name(request.signum)
            summary.stop_code = 128 + request.signum
            from .install import clean_stale_temporaries
            clean_stale_temporaries(reports)
    finished = {id(o.run) for o in outcomes}
    summary.not_built = [f"{plan.names[id(r)]} {plan.dests[id(r)].name}" for r in plan.runs if id(r) not in finished]
    order = {id(r): i for i, r in enumerate(plan.runs)}
    summary.outcomes = sorted(outcomes, key=lambda o: order.get(id(o.run), 0))
    if write_index_after:
        summary.index = str(write_index(reports))
    summary.seconds = time.perf_counter() - t0
    return summary


def _run_index(problem: str) -> tuple:
    """Problems in the order of the run file (runs[3] before runs[12])."""
    import re
    m = re.search(r"runs\[(\d+)\]", problem)
    return (int(m.group(1)) if m else -1, problem)


def _execute(runs, options, workers, dask, request, progress) -> list[Outcome]:
    from tqdm import tqdm
    from . import workers as runners
    env = {k: v for k, v in os.environ.items() if k.startswith("SCRUTINY_") or k == "MPLBACKEND"}
    bar = tqdm(total=len(runs), unit="pack", desc="packs", disable=not (progress and sys.stderr.isatty()))

    def report(outcome: Outcome) -> None:
        bar.update(1)
        if not outcome.ok and not bar.disable:
            bar.write(f"FAILED {outcome.name}: {outcome.error}")

    try:
        if request.requested or not runs:
            return []
        if dask:
            client, cluster = runners.connect_dask(dask, workers, env)
            try:
                return runners.run_dask(runs, options, client, cluster, request, report, build_one, _failed)
            finally:
                client.close(timeout=5)
                if cluster is not None:
                    cluster.close(timeout=5)
        if workers == 1:
            return _run_here(runs, options, request, report)
        return runners.run_pool(runs, options, workers, env, request, report, build_one, _failed)
    finally:
        bar.close()


def _run_here(runs, options, request, report) -> list[Outcome]:
    """One worker: build in this process, one pack after another. A stop
    signal ends the pack being built (its kernel and browser are killed and
    its folder removed) and starts no other."""
    outcomes = []
    for run in runs:
        if request.requested:
            break
        with stop.stop_requests(_stop_this_process) as inner:
            try:
                out = build_one(run, options)
            except stop.Stopped as exc:
                request.signum = inner.signum or exc.signum
                break
        outcomes.append(out)
        report(out)
    return outcomes


def _stop_this_process(signum: int) -> None:
    stop.run_cleanups()       # the kernel and browser: the build in progress fails at once
    raise stop.Stopped(signum)


# -------------------------------------------------------------------- index

def write_index(reports_dir) -> Path:
    """Regenerate reports/index.html listing the committee's pack of every
    council and period (atomically); partial, earlier and failed builds are
    not listed."""
    from ..render import render_index
    reports = Path(reports_dir)
    reports.mkdir(parents=True, exist_ok=True)
    entries = []
    for m in sorted(reports.glob("*/*/manifest.json")):
        if m.parent.name.startswith(".") or m.parent.parent.name.startswith("."):
            continue
        try:
            doc = json.loads(m.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        rel = m.parent.relative_to(reports).as_posix()
        p = doc.get("parameters", {})
        entries.append({
            "council": doc.get("council", ""), "period": doc.get("period", ""), "committee": p.get("committee", ""),
            "meeting_date": p.get("meeting_date", ""), "is_demo": doc.get("is_demo", False),
            "html": f"{rel}/pack.html" if (m.parent / "pack.html").exists() else "",
            "pdf": f"{rel}/pack.pdf" if (m.parent / "pack.pdf").exists() else "",
            "members_html": f"{rel}/members.html" if (m.parent / "members.html").exists() else "",
            "members_pdf": f"{rel}/members.pdf" if (m.parent / "members.pdf").exists() else "",
            "built": str(doc.get("built", "")).replace("T", " ")})
    entries.sort(key=lambda e: (-int(e["period"] or 0), e["council"]))
    target = reports / "index.html"
    fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".html", dir=reports)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(render_index(entries))
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    return target
