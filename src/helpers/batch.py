"""Batches of packs: every council (``scrutiny build --all``) or the runs in
a YAML run file (``scrutiny build --run-file FILE``), in a process pool
(one warm kernel per worker) or on Dask distributed (``--dask ADDRESS`` or
``--dask local``).

One failing council does not stop the others; the summary lists each
failure with its cause. A pack whose inputs are unchanged (same
fingerprint in its manifest) is skipped unless ``force``. After the batch,
``reports/index.html`` is regenerated (written to a temporary file and
renamed into place).

Run file::

    defaults:                 # optional, applied to every run
      committee: Children and Young People Scrutiny Committee
      comparator: statistical neighbours
    runs:
      - council: Dorset
        meeting_date: 2026-01-20
        sections: [summary, workforce]
      - council: 940
        period: 2025
        comparator: region
      - council: Cumbria
        period: 2022
        neighbours: 2021      # a model's year; default the newest held
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from . import paths
from .data.rules import missing_line
from .errors import ConfigError

RUN_KEYS = ("council", "period", "comparator", "committee", "meeting_date", "sections", "comparators_file",
            "local_figures", "targets_file", "neighbours", "spec", "commentary")


@dataclass(frozen=True)
class BatchRun:
    council: str
    period: int | None = None
    comparator: str = "statistical neighbours"
    committee: str = ""
    meeting_date: str = ""
    sections: tuple | str | None = None
    comparators_file: str | None = None
    local_figures: str = ""
    targets_file: str = ""
    neighbours: str = ""          # statistical neighbour model year; "" for the newest held
    spec: str = ""                # pack specification (YAML); "" for pack.yml beside the notebooks
    commentary: str = ""          # officer commentary folder; "" for the usual one


@dataclass
class Outcome:
    run: BatchRun
    ok: bool
    skipped: bool = False
    out_dir: str = ""
    seconds: float = 0.0
    error: str = ""
    council_name: str = ""


@dataclass
class BatchSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    index: str = ""
    missing_measures: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def text(self) -> str:
        built = sum(1 for o in self.outcomes if o.ok and not o.skipped)
        skipped = sum(1 for o in self.outcomes if o.skipped)
        lines = [f"{len(self.outcomes)} packs: {built} built, {skipped} unchanged (skipped), "
                 f"{len(self.failures)} failed, in {self.seconds:.1f} s."]
        if self.index:
            lines.append(f"Index: {self.index}")
        for o in self.failures:
            lines.append(f"  FAILED {o.council_name or o.run.council}: {o.error}")
        for m in self.missing_measures:
            lines.append(f"  MISSING: {missing_line(m)}")
        return "\n".join(lines)


# ------------------------------------------------------------------ runs

def runs_for_all(data: str, defaults: BatchRun | None = None) -> list[BatchRun]:
    """A run for every current council in the store (councils whose figures
    reach the latest period; joint returns and abolished councils are not
    councils a committee scrutinises)."""
    from .store import open_store
    store = open_store(data)
    councils = store.councils()
    latest = councils["last_period"].max()
    current = councils[councils["last_period"] == latest]
    base = defaults or BatchRun(council="")
    return [replace(base, council=str(code)) for code in current["area_code"]]


def runs_from_file(path, defaults: BatchRun | None = None) -> list[BatchRun]:
    """Read and validate a YAML run file. Errors name the file and the key
    (``runs[2].meeting_date``)."""
    from .safe_yaml import load_yaml_file
    path = Path(path)
    doc = load_yaml_file(path, what="run file")
    if isinstance(doc, list):
        doc = {"runs": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("runs"), list) or not doc["runs"]:
        raise ConfigError(path, "a run file needs a non-empty 'runs:' list", key="runs",
                          hint="Each run is a mapping with at least 'council:'")
    unknown_top = sorted(set(doc) - {"runs", "defaults"})
    if unknown_top:
        raise ConfigError(path, f"unknown top-level key(s) {unknown_top}", key=unknown_top[0],
                          hint="Use 'defaults:' and 'runs:'")
    base = asdict(defaults or BatchRun(council=""))
    file_defaults = doc.get("defaults") or {}
    if not isinstance(file_defaults, dict):
        raise ConfigError(path, "'defaults' must be a mapping", key="defaults")
    base.update(_check_run(path, "defaults", file_defaults, need_council=False))
    runs = []
    for i, entry in enumerate(doc["runs"]):
        where = f"runs[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(path, "each run must be a mapping such as {council: Dorset}", key=where)
        values = dict(base)
        values.update(_check_run(path, where, entry, need_council=True))
        runs.append(BatchRun(**values))
    return runs


def _check_run(path, where: str, entry: dict, need_council: bool) -> dict:
    unknown = sorted(set(entry) - set(RUN_KEYS))
    if unknown:
        raise ConfigError(path, f"unknown key(s) {unknown}", key=f"{where}.{unknown[0]}",
                          hint=f"Allowed keys: {', '.join(RUN_KEYS)}")
    out = {}
    if need_council and entry.get("council") in (None, ""):
        raise ConfigError(path, "each run needs a council (name, DfE number or ONS code)", key=f"{where}.council")
    if "council" in entry:
        out["council"] = str(entry["council"])
    if "period" in entry and entry["period"] is not None:
        p = entry["period"]
        if isinstance(p, bool) or not (isinstance(p, int) or (isinstance(p, str) and p.isdigit())):
            raise ConfigError(path, f"period must be a year such as 2025, not {p!r}", key=f"{where}.period")
        out["period"] = int(p)
    if "meeting_date" in entry:
        d = entry["meeting_date"]
        if isinstance(d, (_dt.date,)):
            d = d.isoformat()
        d = "" if d is None else str(d)
        if d:
            try:
                _dt.date.fromisoformat(d)
            except ValueError:
                raise ConfigError(path, f"meeting_date must be YYYY-MM-DD, not {d!r}",
                                  key=f"{where}.meeting_date") from None
        out["meeting_date"] = d
    if "neighbours" in entry:
        from .errors import ParameterError
        from .neighbours import check_model_parameter
        try:
            out["neighbours"] = check_model_parameter(entry["neighbours"])
        except ParameterError:
            raise ConfigError(path, f"neighbours must be a model's year such as 2021, not {entry['neighbours']!r}",
                              key=f"{where}.neighbours") from None
    for key in ("comparator", "committee", "comparators_file", "local_figures", "targets_file"):
        if key in entry:
            v = entry[key]
            if v is not None and not isinstance(v, (str, int)):
                raise ConfigError(path, f"{key} must be text", key=f"{where}.{key}")
            blank_is_text = key in ("committee", "local_figures", "targets_file")
            out[key] = "" if v is None and blank_is_text else (None if v is None else str(v))
    for key in ("spec", "commentary"):  # files beside the run file
        if entry.get(key) not in (None, ""):
            if not isinstance(entry[key], str):
                raise ConfigError(path, f"{key} must be a path", key=f"{where}.{key}")
            found = (Path(path).parent / entry[key]).resolve()
            if not (found.is_file() if key == "spec" else found.is_dir()):
                raise ConfigError(path, f"no {'file' if key == 'spec' else 'folder'} {found}", key=f"{where}.{key}")
            out[key] = str(found)
    if "sections" in entry:
        s = entry["sections"]
        if isinstance(s, str):
            s = [x.strip() for x in s.split(",") if x.strip()]
        if s is not None and (not isinstance(s, list) or not all(isinstance(x, str) for x in s)):
            raise ConfigError(path, "sections must be a list of section names", key=f"{where}.sections")
        out["sections"] = tuple(s) if s else None
    return out


# ------------------------------------------------------------------ workers

def build_one(run: BatchRun, options: dict) -> Outcome:
    """Build one run's pack; never raises (a failure is an Outcome)."""
    from .pack import build_pack
    t = time.perf_counter()
    try:
        res = build_pack(council=run.council, period=run.period, comparator=run.comparator,
                         committee=run.committee, meeting_date=run.meeting_date, sections=run.sections,
                         comparators_file=run.comparators_file, local_figures=run.local_figures or "",
                         targets_file=run.targets_file or "", neighbours=run.neighbours or "",
                         spec=run.spec or "", commentary=run.commentary or "", **options)
        return Outcome(run, True, skipped=res.skipped, out_dir=str(res.out_dir),
                       seconds=time.perf_counter() - t, council_name=res.council)
    except Exception as exc:  # one council's failure must not stop the batch
        cause = str(exc) or type(exc).__name__
        if not getattr(exc, "__module__", "").startswith("helpers"):
            cause = f"{type(exc).__name__}: {cause}"
        return Outcome(run, False, seconds=time.perf_counter() - t, error=cause.splitlines()[0][:500],
                       council_name=str(run.council))


def _init_worker(env: dict) -> None:
    os.environ.update(env)
    # A worker process ends without running atexit handlers: shut its kernel
    # down as it ends, so the kernel does not outlive it and log that it was orphaned.
    from multiprocessing.util import Finalize
    from .pack import _shutdown_warm, warm_kernel
    Finalize(None, _shutdown_warm, exitpriority=10)
    # Start the warm kernel now, while the first task is being sent.
    try:
        warm_kernel()
    except Exception:  # reported by the first build instead
        traceback.print_exc()


def run_batch(runs: list[BatchRun], *, force: bool = False, workers: int | None = None, dask: str | None = None,
              progress: bool = True, formats=("html", "pdf"), data: str = "official", notebooks_dir=None,
              reports_dir=None, write_index_after: bool = True, timeout: int = 600,
              allow_missing_measures: bool = False) -> BatchSummary:
    """Build every run; return a summary. ``workers`` defaults to the number
    of cores; ``dask`` is a scheduler address or 'local'; ``timeout`` is the
    seconds one notebook cell may run before that pack fails."""
    from .data.snapshot import lease
    from .pack import clean_stale_temporaries
    from .store import open_store
    t0 = time.perf_counter()
    reports = Path(reports_dir) if reports_dir else paths.reports_dir()
    reports.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(reports)
    # one store snapshot for the whole batch: every worker and notebook opens
    # this folder, whatever ingest or fetch do to the raw files meanwhile
    store = open_store(data, allow_missing_measures=allow_missing_measures)
    with lease(store.snapshot):
        summary = _run_batch_on(runs, store, t0, reports, force=force, workers=workers, dask=dask,
                             progress=progress, formats=formats, notebooks_dir=notebooks_dir,
                             write_index_after=write_index_after, timeout=timeout)
    summary.missing_measures = list(store.missing_measures)
    return summary


def _run_batch_on(runs, store, t0, reports, *, force, workers, dask, progress, formats, notebooks_dir,
                  write_index_after, timeout) -> BatchSummary:
    from tqdm import tqdm
    # councils run in parallel (one worker process each, one warm kernel
    # each), so each pack runs its sections one after another
    options = dict(force=force, formats=tuple(formats), data=str(store.snapshot), timeout=timeout,
                   section_workers=1, notebooks_dir=str(notebooks_dir) if notebooks_dir else None,
                   reports_dir=str(reports))
    workers = max(1, workers or os.cpu_count() or 1)
    summary = BatchSummary()
    bar = tqdm(total=len(runs), unit="pack", disable=not progress, desc="packs")
    env = {k: v for k, v in os.environ.items() if k.startswith("SCRUTINY_") or k == "MPLBACKEND"}
    try:
        if dask:
            outcomes = _run_dask(runs, options, dask, workers, env, bar)
        elif workers == 1:
            outcomes = []
            for run in runs:
                outcomes.append(build_one(run, options))
                _tick(bar, outcomes[-1])
        else:
            outcomes = []
            with ProcessPoolExecutor(max_workers=min(workers, len(runs)) or 1, initializer=_init_worker,
                                     initargs=(env,)) as pool:
                futures = {pool.submit(build_one, run, options): run for run in runs}
                for fut in as_completed(futures):
                    try:
                        out = fut.result()
                    except Exception as exc:  # a worker process died
                        out = Outcome(futures[fut], False, error=f"worker failed: {type(exc).__name__}: {exc}")
                    out.run = futures[fut]  # the caller's object, for ordering the summary
                    outcomes.append(out)
                    _tick(bar, out)
    finally:
        bar.close()
        if write_index_after:
            summary.index = str(write_index(reports))
    order = {id(r): i for i, r in enumerate(runs)}
    summary.outcomes = sorted(outcomes, key=lambda o: order.get(id(o.run), 0))
    summary.seconds = time.perf_counter() - t0
    return summary


def _tick(bar, outcome: Outcome) -> None:
    bar.update(1)
    if not outcome.ok:
        bar.write(f"FAILED {outcome.council_name or outcome.run.council}: {outcome.error}")


def _run_dask(runs, options, address: str, workers: int, env: dict, bar) -> list[Outcome]:
    from dask.distributed import Client, LocalCluster, as_completed as dask_completed
    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        client.run(os.environ.update, env)
        futures = client.map(build_one, runs, options=options, pure=False)
        run_of = {f.key: r for f, r in zip(futures, runs)}
        outcomes = []
        for fut in dask_completed(futures):
            try:
                out = fut.result()
            except Exception as exc:
                out = Outcome(run_of[fut.key], False, error=f"worker failed: {type(exc).__name__}: {exc}")
            out.run = run_of[fut.key]
            outcomes.append(out)
            _tick(bar, out)
        return outcomes
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# -------------------------------------------------------------------- index

def write_index(reports_dir) -> Path:
    """Regenerate reports/index.html listing every pack (atomically)."""
    from .render import render_index
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
