"""Build a scrutiny pack: execute the section notebooks for one council and
period with papermill, render one self-contained HTML file and an A4 PDF,
and write them with the executed notebooks and a manifest to
``reports/<council-slug>/<period>/``.

    result = build_pack(council="Dorset", period=2025, data="official",
                        committee="Children and Young People Scrutiny Committee",
                        meeting_date="2026-01-20")
    print(result.summary())

Speed: each process keeps one warm Jupyter kernel (:class:`WarmKernel`) that
has already imported pandas, seaborn and ``helpers`` and loaded the store;
every notebook of every council runs in it after a namespace reset, through a
papermill engine that hands papermill the running kernel instead of starting
one. The nbconvert exporter, the Jinja environment and the headless Chromium
that prints the PDF are also built once per process (see :mod:`helpers.render`
and :mod:`helpers.pdf`).

Safety: a pack is written into a hidden temporary folder beside its
destination and renamed into place only when complete; the pack it replaces
is kept whole in ``reports/<council-slug>/.history/<period>/<stamp>/``, and a
build with fewer sections or formats than the pack in place is kept apart in
``reports/<council-slug>/.partial/<period>/`` (see
:mod:`helpers.build.history` and reports/README.md).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import params, paths
from .build import install
from .build.fingerprint import is_up_to_date, package_versions, read_manifest  # noqa: F401
from .build.kernels import (KERNEL_RESET, KERNEL_STARTUP, WarmKernel, _ipc_prefix, _shutdown_warm,  # noqa: F401
                            ensure_engine, execute_section, warm_kernel)
from .build.install import FAILED_DIR, PREVIOUS_DIR, TMP_PREFIX, clean_stale_temporaries, install_pack  # noqa: F401
from .build.history import partial_dir, pack_history  # noqa: F401
from .build.stop import Stopped
from .build.plan import Plan, find_local, pack_fingerprint, plan_pack  # noqa: F401
from .data.rules import missing_line
from .data.snapshot import lease
from .paths import file_sha256
from .errors import PackBuildError, ParameterError, ScrutinyError, UnknownCouncilError  # noqa: F401

log = logging.getLogger(__name__)

FORMATS = params.FORMATS
COMPARATORS = params.COMPARATOR_KEYWORDS
#: Bumped when the way a pack is assembled changes, so --force is not needed.
PACK_FORMAT = "1"

# ------------------------------------------------------------- parameters

def council_slug(name: str) -> str:
    """A folder name for a council: lower case ASCII letters, digits and
    hyphens. Refuses anything that could leave reports/ (a path separator or
    '..' surviving the slugging, or nothing left at all)."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii").lower()
    text = text.replace("&", " and ")
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80].strip("-")
    if not slug or slug in (".", "..") or "/" in slug or "\\" in slug or ".." in slug or os.sep in slug:
        raise ParameterError("council", "cannot be turned into a safe folder name", name)
    return slug


def pack_dir(reports_dir: Path, slug: str, period: int) -> Path:
    """reports/<slug>/<period>, checked to lie inside reports/."""
    base = Path(reports_dir).resolve()
    dest = (base / slug / str(int(period))).resolve()
    if base not in dest.parents:
        raise ParameterError("council", "would write outside the reports folder", slug)
    return dest


def validate_parameters(*, council, period, comparator, committee, meeting_date, sections, data,
                        comparators_file, timeout, neighbours="", local_figures="", targets_file="") -> dict:
    """Check every build parameter before anything runs (see
    :mod:`helpers.params`): types, lengths, characters, the period, that
    the files named exist and a comparator group is in its file, and the
    timeout. Papermill writes parameters into the notebook as Python
    literals, so a value cannot inject code; this refuses nonsense early
    with a message that names the parameter (all of them, when several are
    wrong)."""
    run, errors = params.check_run(dict(council=council, period=period, comparator=comparator,
                                        committee=committee or "", meeting_date=meeting_date, sections=sections,
                                        comparators_file=comparators_file, neighbours=neighbours,
                                        local_figures=local_figures, targets_file=targets_file))
    for check, value in ((params.check_data, data), (params.check_timeout, timeout)):
        try:
            check(value)
        except ParameterError as exc:
            errors.append(exc)
    params.raise_all(errors)
    return dict(council=run.council, period=run.period, comparator=run.comparator, committee=run.committee,
                meeting_date=run.meeting_date, sections=list(run.sections) if run.sections else None,
                data=params.check_data(data), comparators_file=run.comparators_file or None, timeout=timeout,
                neighbours=run.neighbours, local_figures=run.local_figures, targets_file=run.targets_file)


def discover_notebooks(notebooks_dir: Path | None = None) -> dict[str, Path]:
    """Section notebooks by section id, in pack order (metadata 'order', then
    file name)."""
    import nbformat
    nb_dir = Path(notebooks_dir) if notebooks_dir else paths.notebooks_dir()
    candidates = [p for p in sorted(nb_dir.glob("*.ipynb"))
                  if not p.name.startswith((".", "_")) and ".ipynb_checkpoints" not in p.parts]
    key = (str(nb_dir.resolve()), tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in candidates))
    if key in _DISCOVERED:  # a batch plans every run before it starts: read each notebook once
        return dict(_DISCOVERED[key])
    found = []
    for path in candidates:
        nb = nbformat.read(path, as_version=4)
        meta = nb.metadata.get("scrutiny") or {}
        if not meta.get("section"):
            continue
        found.append((int(meta.get("order", 0) or 0), path.name, str(meta["section"]), path))
    if not found:
        raise PackBuildError(f"{nb_dir}: no section notebooks found (notebooks with metadata "
                             f"'scrutiny': {{'section': ...}}). Set SCRUTINY_NOTEBOOKS_DIR or pass notebooks_dir.")
    _DISCOVERED.clear()
    _DISCOVERED[key] = {sid: path for _, _, sid, path in sorted(found)}
    return dict(_DISCOVERED[key])


_DISCOVERED: dict = {}


def select_sections(available: dict[str, Path], sections) -> dict[str, Path]:
    if not sections:
        return dict(available)
    if isinstance(sections, str):
        sections = [s for s in re.split(r"[,\s]+", sections) if s]
    chosen = {}
    for s in sections:
        key = s if s in available else next((k for k, p in available.items() if p.stem == s or p.stem.endswith("_" + s)), None)
        if key is None:
            raise ParameterError("sections", f"no section notebook called {s!r}; available: {', '.join(available)}", s)
        chosen[key] = available[key]
    return {k: available[k] for k in available if k in chosen}  # keep pack order


def _formats(formats) -> tuple[str, ...]:
    return params.check_formats(formats)


# ------------------------------------------------------------------ result

@dataclass
class PackResult:
    council: str
    area_code: str
    period: int
    out_dir: Path
    files: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    #: how many of ``warnings`` (the first) are the store's, about the releases
    #: rather than this pack: counted in the summary, listed by ``scrutiny store``
    store_warnings: int = 0
    skipped: bool = False
    is_demo: bool = False
    missing_measures: list = field(default_factory=list)
    partial: bool = False           # kept apart from the committee's pack (fewer sections or formats)
    lacks: list = field(default_factory=list)
    full_pack: Path | None = None   # the committee's pack it was kept apart from

    @property
    def html(self) -> Path | None:
        return self.out_dir / "pack.html" if "html" in self.files else None

    @property
    def pdf(self) -> Path | None:
        return self.out_dir / "pack.pdf" if "pdf" in self.files else None

    @property
    def members_html(self) -> Path | None:
        """The members' edition (HTML), when the build wrote one."""
        return self.out_dir / "members.html" if "members_html" in self.files else None

    @property
    def members_pdf(self) -> Path | None:
        return self.out_dir / "members.pdf" if "members_pdf" in self.files else None

    @property
    def manifest(self) -> Path:
        return self.out_dir / "manifest.json"

    def summary(self) -> str:
        if self.skipped:
            return f"{self.council} {self.period}: unchanged, kept {self.out_dir} (use --force to rebuild)"
        lines = [f"{self.council} {self.period}{' (demo data)' if self.is_demo else ''}: "
                 f"built in {self.timings.get('total', 0):.1f} s -> {self.out_dir}"]
        if self.partial:
            lines.append(f"  a partial build, kept apart: the committee's pack in {self.full_pack} has "
                         f"{'; '.join(self.lacks)}, which this one lacks, and stays in place "
                         f"(build with --replace to make this one the committee's pack)")
        for kind in ("members_pdf", "members_html", "pdf", "html"):
            if kind in self.files:
                lines.append(f"  {self.out_dir / self.files[kind]}")
        for m in self.missing_measures:
            lines.append(f"  MISSING: {missing_line(m)}")
        own = self.warnings[self.store_warnings:]
        for w in own[:10]:
            lines.append(f"  warning: {w}")
        if len(own) > 10:
            lines.append(f"  ... {len(own) - 10} more warnings in manifest.json")
        if self.store_warnings:
            n = self.store_warnings
            lines.append(f"  {n} note{'s' if n > 1 else ''} on the releases themselves ('scrutiny store' lists "
                         f"{'them' if n > 1 else 'it'}; also in manifest.json)")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"council": self.council, "area_code": self.area_code, "period": self.period,
                "out_dir": str(self.out_dir), "skipped": self.skipped, "timings": self.timings,
                "warnings": self.warnings}


# ------------------------------------------------------------------- build

def resolve_request(store, council, period=None):
    """(area code, name, period) of a pack: the council resolved (never a
    region or a joint return) and the period one the data holds (default the
    latest)."""
    try:
        code = params.resolve_council(store, council)
    except ScrutinyError:
        raise
    except Exception as exc:  # resolve raises UnknownCouncilError; be safe with KeyError
        raise ParameterError("council", str(exc), council) from None
    name = str(store.area(code)["area_name"])
    period = params.parse_period(period)
    if period is None:
        return code, name, int(store.latest_period())
    params.period_held(store, period, _periods_held(store))
    return code, name, period


def _periods_held(store) -> list[int]:
    """The periods a store holds, worked out once per store (batches ask for every run)."""
    key = getattr(store, "key", None)
    if key and _PERIODS.get("key") == key:
        return _PERIODS["held"]
    held = params.periods_held(store)
    if key:
        _PERIODS.update(key=key, held=held)
    return held


_PERIODS: dict = {}


def build_pack(council: str, period: int | None = None, *, comparator: str = "statistical neighbours",
               committee: str = "", meeting_date: str = "", sections=None, formats=FORMATS,
               data: str = "official", comparators_file: str | None = None, notebooks_dir=None,
               reports_dir=None, force: bool = True, warm: bool = True, timeout: int = 600,
               local_figures: str = "", targets_file: str = "", section_workers: int | None = None,
               allow_missing_measures: bool = False, neighbours: str = "", spec: str = "",
               commentary: str = "", replace_partial: bool = False) -> PackResult:
    """Build one pack and move it into ``reports/<council-slug>/<period>/``.

    council          name, DfE LA number or ONS code
    period           the year the period ends (default: the latest in the store)
    comparator       "statistical neighbours", "region" or a group in comparators_file
    committee        the committee's name, printed on the cover and the running header
    meeting_date     "YYYY-MM-DD" or ""
    sections         section ids or notebook names to include (default: all)
    formats          ("html", "pdf") or a subset
    data             "demo", "official" or a folder of releases
    notebooks_dir    the section notebooks (default notebooks/ or SCRUTINY_NOTEBOOKS_DIR)
    reports_dir      where packs go (default reports/ or SCRUTINY_REPORTS_DIR)
    force            rebuild even if an identical pack exists (batches pass False)
    warm             run notebooks in this process's warm kernel (False: a fresh kernel each)
    local_figures    the council's own monthly figures: a file, "demo", or "" to look in data/local/;
                     the local performance section is included only when figures are found
    targets_file     the council's own targets (YAML), or "" for one beside the figures
    section_workers  section notebooks run at once, each in its own warm kernel (default: up to
                     two, the cores of a small machine; batches pass 1 and run councils in parallel)
    allow_missing_measures  build although a recognised release lacks measures the catalogue
                     needs: the pack shows those figures as missing from the release, and
                     ``PackResult.missing_measures`` lists them (the command exits non-zero)
    neighbours       the statistical neighbour model: "" for the newest held, or its year ("2021")
    spec             the pack specification (YAML): "" for pack.yml beside the notebooks, if any
    commentary       the officer commentary folder: "" for the specification's, or commentary/
                     beside the notebooks
    replace_partial  install the pack as the committee's pack even when it has fewer sections or
                     formats than the pack in place (by default such a build is kept apart, in
                     ``reports/<council>/.partial/<period>/``, and the pack in place stays)

    A council outside the official English releases (a Welsh council, say)
    gets a pack of its local figures alone, which says which comparisons are
    not available.
    """
    from .store import open_store

    t0 = time.perf_counter()
    timings: dict = {}
    formats = _formats(formats)
    checked = validate_parameters(council=council, period=period, comparator=comparator, committee=committee,
                                  meeting_date=meeting_date, sections=sections, data=data,
                                  comparators_file=comparators_file, timeout=timeout, neighbours=neighbours,
                                  local_figures=local_figures, targets_file=targets_file)
    council, period, comparator, committee = (checked[k] for k in ("council", "period", "comparator", "committee"))
    meeting_date, sections, data, comparators_file = (checked[k] for k in ("meeting_date", "sections", "data",
                                                                          "comparators_file"))
    store = open_store(data, allow_missing_measures=allow_missing_measures)
    timings["store"] = round(time.perf_counter() - t0, 3)
    from .neighbours import resolve_model
    model = resolve_model(store.neighbours, checked["neighbours"])   # refuses a model not held, before any work
    with lease(store.snapshot):
        return _build_from_snapshot(store, t0, timings, council=council, period=period, comparator=comparator,
                                    model=model,
                                    committee=committee, meeting_date=meeting_date, sections=sections,
                                    formats=formats, data=data, comparators_file=comparators_file,
                                    notebooks_dir=notebooks_dir, reports_dir=reports_dir, force=force, warm=warm,
                                    timeout=timeout, local_figures=local_figures, targets_file=targets_file,
                                    section_workers=section_workers, spec=spec, commentary=commentary,
                                    replace_partial=replace_partial)


def _build_from_snapshot(store, t0, timings, *, council, period, comparator, model, committee, meeting_date,
                         sections, formats, data, comparators_file, notebooks_dir, reports_dir, force, warm, timeout,
                         local_figures, targets_file, section_workers, spec="", commentary="",
                         replace_partial=False) -> PackResult:
    from .build import editions
    plan = plan_pack(store, council=council, period=period, comparator=comparator, model=model, committee=committee,
                     meeting_date=meeting_date, sections=sections, comparators_file=comparators_file,
                     notebooks_dir=notebooks_dir, reports_dir=reports_dir, local_figures=local_figures,
                     targets_file=targets_file, spec=spec, commentary=commentary)
    name, code, period, dest = plan.name, plan.code, plan.period, plan.dest
    from .render import pdf_engine_version
    base_fp = pack_fingerprint(store, plan, formats, comparators_file)
    previous = editions.find_previous(dest.parent, base_fp) if plan.official else None
    fp = editions.with_previous(base_fp, previous)
    for place in () if force else (dest, partial_dir(dest)):
        if is_up_to_date(place, fp, formats):
            return PackResult(name, code, period, place, skipped=True, is_demo=store.is_demo,
                              files={k: f"pack.{k}" for k in formats}, partial=place != dest)
    tmp = install.new_build_folder(dest, period)
    warnings: list[str] = list(store.warnings)
    try:
        (tmp / "notebooks").mkdir()
        members_parameters = {**plan.parameters, "previous_pack": str(previous or "")}
        executed = _execute_sections(plan.notebooks, tmp / "notebooks", plan.parameters, plan.local_parameters,
                                     warm=warm, timeout=timeout, workers=section_workers,
                                     label=f"{name} ({code}) {period}", members_parameters=members_parameters)
        rendered = _render_sections(plan.notebooks, executed, timings, warnings)
        files = _write_outputs(store, plan, rendered, tmp, formats, comparator, committee, meeting_date,
                               local_figures, timings)
        if plan.official:
            files.update(_write_record(store, plan, tmp, timings, previous, comparator))
        timings["total"] = round(time.perf_counter() - t0, 3)
        versions = package_versions()
        if "pdf" in formats:
            versions["pdf engine"] = pdf_engine_version(files.pop("_printed_with"))
        manifest = {
            "council": name, "area_code": code, "slug": dest.parent.name, "period": period,
            "parameters": {**plan.local_parameters, "data": data}, "official_data": plan.official,
            "sections": [s.id for s in rendered if s.id != editions.MEMBERS],
            "editions": ["full"] + (["members"] if {"members_html", "members_pdf"} & set(files) else []),
            "formats": list(formats),
            "fingerprint": fp, "base_fingerprint": base_fp,
            "compared_with": _compared_with(previous),
            "store_key": store.key, "store_snapshot": str(store.snapshot),
            "is_demo": bool(store.is_demo), "built": timings.pop("_built"),
            "host": os.uname().nodename if hasattr(os, "uname") else "",
            "inputs": _inputs_records(store), "versions": versions, "timings": timings,
            "warnings": warnings,
            "files": {f: file_sha256(tmp / f) for f in [*_file_names(files),
                                                     *[f"notebooks/{p.name}" for p in plan.notebooks.values()]]},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str), encoding="utf-8")
        placed = install_pack(tmp, dest, replace_partial=replace_partial)
    except (KeyboardInterrupt, Stopped):
        install.discard(tmp)  # told to stop: nothing unfinished is kept
        raise
    except BaseException:
        install.keep_failed(tmp, dest)
        raise
    return PackResult(name, code, period, placed.folder, files=files, timings=timings, warnings=warnings,
                      store_warnings=len(store.warnings),
                      is_demo=store.is_demo, missing_measures=list(store.missing_measures),
                      partial=placed.partial, lacks=list(placed.missing), full_pack=dest if placed.partial else None)


def _compared_with(previous) -> dict | None:
    """Which pack this one says what changed since: its council, period and build time."""
    from .stats.record import read_record
    record = read_record(previous) if previous else None
    if not record:
        return None
    periods = sorted({r.get("period") for r in record.get("indicators", {}).values() if r.get("period")})
    return {"built": record.get("built", ""), "council": record.get("council", {}).get("name", ""),
            "latest_period": periods[-1] if periods else None}


def _file_names(files: dict) -> list[str]:
    """Every file a pack holds, from the {kind: name or [names]} of the outputs."""
    out = []
    for name in files.values():
        out += list(name) if isinstance(name, (list, tuple)) else [name]
    return out


def _write_record(store, plan: Plan, tmp: Path, timings: dict, previous, comparator) -> dict:
    """The pack's figures record, and the one it compared with."""
    from .build import editions
    from .members import Members
    from .report import check_parameters
    p = plan.parameters
    params = check_parameters(p["council"], p["period"], comparator, p.get("committee") or "",
                              p.get("meeting_date") or "", str(store.snapshot), p.get("comparators_file") or "",
                              p.get("neighbours") or "")
    out = {"record": editions.write_record(Members(params), tmp, timings["_built"])}
    kept = editions.keep_previous(previous, tmp)
    if kept:
        out["previous_record"] = kept
    return out


def _render_sections(notebooks: dict, executed: dict, timings: dict, warnings: list) -> list:
    from .render import render_section
    rendered = []
    for sid in notebooks:
        nb, seconds, notes = executed[sid]
        timings[f"execute:{sid}"] = seconds
        warnings.extend(notes)
        t = time.perf_counter()
        path = Path(notebooks[sid])
        section = render_section(nb, sid, notebook=path.name, folder=str(path.parent))
        rendered.append(section)
        warnings.extend(section.warnings)
        timings[f"render:{sid}"] = round(time.perf_counter() - t, 3)
    return rendered


def _write_outputs(store, plan: Plan, rendered, tmp: Path, formats, comparator, committee, meeting_date,
                   local_figures, timings) -> dict:
    """Assemble the full edition's HTML (and the members' edition's, when its
    notebook ran) and print their PDFs into ``tmp``; {kind: file name}."""
    from .render import local_pack_context, pack_context, render_pack_html
    t = time.perf_counter()
    built = _dt.datetime.now().replace(microsecond=0)
    timings["_built"] = built.isoformat()
    version = package_versions().get("scrutiny-packs") or ""
    sections = [s for s in rendered if s.id != "members"]
    members = next((s for s in rendered if s.id == "members"), None)
    if plan.official:
        from .data.groups import member_codes, resolve_group
        group = resolve_group(store, plan.code, comparator, plan.parameters.get("comparators_file") or "",
                              model=plan.model or None)
        context = pack_context(store, area_code=plan.code, period=plan.period, sections=sections,
                               comparator=comparator, committee=committee, meeting_date=meeting_date, built=built,
                               version=version, model=group.model,
                               comparator_codes=member_codes(store, plan.code, group), keep=plan.spec.keeps)
    else:
        context = local_pack_context(plan.name, sections=sections, committee=committee, meeting_date=meeting_date,
                                     built=built, version=version, is_demo=local_figures == "demo",
                                     comparator=comparator, comparator_label=_group_label(plan, comparator))
    documents = {"pack": render_pack_html(context)}
    if members is not None:
        from .members import inspection_facts
        from .render import render_members_html
        documents["members"] = render_members_html(
            {**context, "inspection": inspection_facts(store, plan.code) if plan.official else {}}, members)
    timings["assemble"] = round(time.perf_counter() - t, 3)
    return _print(documents, tmp, formats, timings)


def _group_label(plan: Plan, comparator: str) -> str:
    """A comparator group's label from its file ("" for the keywords or no file)."""
    path = plan.parameters.get("comparators_file")
    if not path or comparator in COMPARATORS:
        return ""
    from .neighbours import load_comparator_groups
    groups = load_comparator_groups(path)
    rows = groups[(groups["group"] == comparator) | (groups["label"] == comparator)]
    return str(rows["label"].iloc[0]) if len(rows) else ""


def _print(documents: dict[str, str], tmp: Path, formats, timings) -> dict:
    """Write each document's HTML and PDF: {"html": "pack.html", "pdf":
    "pack.pdf", "members_html": "members.html", "members_pdf": ...}."""
    from .render import write_pdf
    files = {}
    for name, html in documents.items():
        prefix = "" if name == "pack" else f"{name}_"
        if "html" in formats:
            (tmp / f"{name}.html").write_text(html, encoding="utf-8")
            files[f"{prefix}html"] = f"{name}.html"
        if "pdf" in formats:
            t = time.perf_counter()
            files["_printed_with"] = write_pdf(html, tmp / f"{name}.pdf")
            files[f"{prefix}pdf"] = f"{name}.pdf"
            timings[f"{prefix}pdf"] = round(time.perf_counter() - t, 3)
    return files


def _execute_sections(notebooks: dict[str, Path], out_dir: Path, parameters: dict, local_parameters: dict, *,
                      warm: bool, timeout: int, workers: int | None, label: str,
                      members_parameters: dict | None = None) -> dict:
    """Execute every section notebook; {section: (executed notebook,
    seconds, papermill's warnings)}.

    With warm kernels and more than one worker, sections run at the same time
    in separate warm kernels (one per slot), in notebook order; the first
    failure is raised as PackBuildError naming the section."""
    from concurrent.futures import ThreadPoolExecutor
    import queue
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    workers = max(1, min(int(workers), len(notebooks))) if warm else 1
    slots: "queue.SimpleQueue[int]" = queue.SimpleQueue()
    for slot in range(workers):
        slots.put(slot)

    def run(item):
        sid, nb_path = item
        slot = slots.get()
        t = time.perf_counter()
        try:
            # the local notebook compares no statistical neighbours: it takes no model
            own = {k: v for k, v in local_parameters.items() if k not in ("neighbours", "pack_spec", "commentary")}
            given = own if sid == "local" else (members_parameters or parameters) if sid == "members" else parameters
            notes: list[str] = []
            nb = execute_section(nb_path, out_dir / nb_path.name, given,
                                 warm=warm, timeout=timeout, slot=slot, notes=notes)
        except Exception as exc:
            raise PackBuildError(f"{label}: section notebook {nb_path.name} failed: {_short_error(exc)}") from exc
        finally:
            slots.put(slot)
        return sid, nb, round(time.perf_counter() - t, 3), [f"{nb_path.name}: {n}" for n in notes]

    items = list(notebooks.items())
    if workers == 1:
        results = [run(item) for item in items]
    else:
        ensure_engine()  # once, before threads use it
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="section") as pool:
            results = list(pool.map(run, items))
    return {sid: (nb, seconds, notes) for sid, nb, seconds, notes in results}


def _short_error(exc) -> str:
    ename = getattr(exc, "ename", None)
    if ename:
        cell = getattr(exc, "exec_count", None)
        return f"{ename}: {getattr(exc, 'evalue', '')}" + (f" (cell {cell})" if cell else "")
    return f"{type(exc).__name__}: {exc}"


def _inputs_records(store) -> list[dict]:
    cols = [c for c in ("file", "name", "publication", "sha256", "size") if c in store.inputs.columns]
    return json.loads(store.inputs[cols].to_json(orient="records"))


# --------------------------------------------------------------------- CLI

from .build.command import add_build_arguments, cli_build  # noqa: E402,F401 - `scrutiny build`
