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
is kept in ``reports/<council-slug>/.previous/<period>/``. See
reports/README.md.
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

from . import paths
from .build import install
from .build.fingerprint import is_up_to_date, package_versions, read_manifest  # noqa: F401
from .build.install import FAILED_DIR, PREVIOUS_DIR, TMP_PREFIX, clean_stale_temporaries, install_pack  # noqa: F401
from .build.plan import Plan, find_local, pack_fingerprint, plan_pack  # noqa: F401
from .data.rules import missing_line
from .data.snapshot import lease
from .paths import file_sha256
from .errors import PackBuildError, ParameterError, ScrutinyError, UnknownCouncilError  # noqa: F401

log = logging.getLogger(__name__)

FORMATS = ("html", "pdf")
COMPARATORS = ("statistical neighbours", "region")
#: Bumped when the way a pack is assembled changes, so --force is not needed.
PACK_FORMAT = "1"

#: Code the warm kernel runs once when it starts: everything a section
#: notebook imports, so no notebook pays for it; figures shown as JupyterLab
#: shows them (helpers.figures); then the state every notebook starts from
#: (helpers.build.kernel_state).
KERNEL_STARTUP = """
import warnings
import matplotlib
import matplotlib.pyplot
import numpy, pandas, seaborn
import IPython.display
import helpers, helpers.store, helpers.indicators
for _m in ("helpers.stats", "helpers.charts", "helpers.words", "helpers.report", "helpers.local"):
    try:
        __import__(_m)
    except Exception:
        pass
del _m
from helpers import figures as _f
_f.enable()
from helpers.build import kernel_state as _k
_k.snapshot()
del _f, _k
"""

#: Run between two notebooks: a clean namespace, and the kernel's state
#: (styles, options, helpers' module state, figures) as it was at start-up;
#: the memoised stores stay unless a notebook changed one.
KERNEL_RESET = """
get_ipython().run_line_magic("reset", "-f")
from helpers.build import kernel_state as _k
for _line in _k.restore():
    print(_line)
del _k
"""


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


def _check_date(value) -> str:
    if value in (None, ""):
        return ""
    try:
        return _dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ParameterError("meeting_date", "must be a date written YYYY-MM-DD, or empty", value) from None


MAX_TEXT = {"council": 100, "comparator": 100, "committee": 200, "data": 1000, "comparators_file": 1000}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SECTION_NAME = re.compile(r"^[A-Za-z0-9_]{1,60}$")


def _check_text(name: str, value, *, allow_int: bool = False) -> str:
    """A text parameter: a string (or an int where a code is allowed), at
    most MAX_TEXT[name] characters, no control characters or line breaks."""
    if isinstance(value, bool) or not (isinstance(value, str) or (allow_int and isinstance(value, int))):
        raise ParameterError(name, "must be text", value)
    text = str(value)
    if len(text) > MAX_TEXT[name]:
        raise ParameterError(name, f"must be at most {MAX_TEXT[name]} characters", text[:40] + "...")
    if _CONTROL.search(text):
        raise ParameterError(name, "must not contain control characters or line breaks", text)
    return text


def validate_parameters(*, council, period, comparator, committee, meeting_date, sections, data,
                        comparators_file, timeout, neighbours="") -> dict:
    """Check every build parameter before anything runs: types, lengths,
    characters, that a comparator group exists in the comparators file, and
    the timeout. Papermill writes parameters into the notebook as Python
    literals, so a value cannot inject code; this refuses nonsense early with
    a message that names the parameter."""
    council = _check_text("council", council, allow_int=True).strip()
    if not council:
        raise ParameterError("council", "is required (a name, DfE LA number or ONS code)", council)
    if period is not None:
        text = str(period).strip() if isinstance(period, (int, str)) and not isinstance(period, bool) else ""
        if not re.fullmatch(r"\d{4}(-\d{2})?", text):
            raise ParameterError("period", "must be a year such as 2025 (or a month such as 2025-06 for a "
                                           "council's own figures)", period)
        if not 1990 <= int(text[:4]) <= 2100:
            raise ParameterError("period", "must be a year between 1990 and 2100", period)
        period = int(text) if text.isdigit() else text
    comparator = "statistical neighbours" if comparator in (None, "") else _check_text("comparator", comparator)
    committee = _check_text("committee", committee or "").strip()
    meeting_date = _check_date(meeting_date)
    data = "official" if data is None else _check_text("data", str(data) if isinstance(data, os.PathLike) else data)
    if comparators_file not in (None, ""):
        comparators_file = _check_text("comparators_file", str(comparators_file)
                                       if isinstance(comparators_file, os.PathLike) else comparators_file)
        if not Path(comparators_file).is_file():
            raise ParameterError("comparators_file", "no such file", comparators_file)
    else:
        comparators_file = None
    if comparator not in COMPARATORS:
        if not comparators_file:
            raise ParameterError("comparator", f"must be one of {', '.join(map(repr, COMPARATORS))} or a group "
                                               f"in comparators_file (none given)", comparator)
        from .neighbours import load_comparator_groups
        groups = load_comparator_groups(comparators_file)
        names = set(groups["group"]) | set(groups["label"])
        if comparator not in names:
            raise ParameterError("comparator", f"no group of that name in {comparators_file}; groups: "
                                               f"{', '.join(sorted(set(groups['group'])))}", comparator)
    if sections is not None:
        items = [s for s in re.split(r"[,\s]+", sections) if s] if isinstance(sections, str) else sections
        if not isinstance(items, (list, tuple)) or not all(isinstance(x, str) and _SECTION_NAME.match(x)
                                                           for x in items):
            raise ParameterError("sections", "must be section names (letters, digits, underscores)", sections)
        sections = list(items) or None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 24 * 3600:
        raise ParameterError("timeout", "must be a number of seconds between 1 and 86400", timeout)
    from .neighbours import check_model_parameter
    return dict(council=council, period=period, comparator=comparator, committee=committee,
                meeting_date=meeting_date, sections=sections, data=data, comparators_file=comparators_file,
                timeout=timeout, neighbours=check_model_parameter(neighbours))


def discover_notebooks(notebooks_dir: Path | None = None) -> dict[str, Path]:
    """Section notebooks by section id, in pack order (metadata 'order', then
    file name)."""
    import nbformat
    nb_dir = Path(notebooks_dir) if notebooks_dir else paths.notebooks_dir()
    found = []
    for path in sorted(nb_dir.glob("*.ipynb")):
        if path.name.startswith((".", "_")) or ".ipynb_checkpoints" in path.parts:
            continue
        nb = nbformat.read(path, as_version=4)
        meta = nb.metadata.get("scrutiny") or {}
        if not meta.get("section"):
            continue
        found.append((int(meta.get("order", 0) or 0), path.name, str(meta["section"]), path))
    if not found:
        raise PackBuildError(f"{nb_dir}: no section notebooks found (notebooks with metadata "
                             f"'scrutiny': {{'section': ...}}). Set SCRUTINY_NOTEBOOKS_DIR or pass notebooks_dir.")
    return {sid: path for _, _, sid, path in sorted(found)}


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
    if isinstance(formats, str):
        formats = [f for f in re.split(r"[,\s]+", formats) if f]
    out = tuple(dict.fromkeys(str(f).lower() for f in formats))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise ParameterError("format", f"must be one or more of {', '.join(FORMATS)}", ",".join(map(str, formats)))
    return out


# ----------------------------------------------------------- warm kernel

class WarmKernel:
    """One Jupyter kernel kept running for many notebooks. It imports the
    heavy modules once (KERNEL_STARTUP) and loads each store once (the
    store is memoised per process); between notebooks the namespace is
    reset (KERNEL_RESET)."""

    def __init__(self, kernel_name: str = "python3", startup_timeout: int = 120):
        import nbformat
        from nbclient import NotebookClient
        self.kernel_name = kernel_name
        self.env_key = _kernel_env_key()
        self._client = NotebookClient(nbformat.v4.new_notebook(), kernel_name=kernel_name,
                                      startup_timeout=startup_timeout)
        self._client.km = self._client.create_kernel_manager()
        # local sockets beside the connection file: no TCP ports to open, and
        # nothing for the kernel to warn about on every build
        prefix = _ipc_prefix()
        if prefix:
            self._client.km.transport = "ipc"
            self._client.km.ip = prefix
        self._client.start_new_kernel()
        self._client.start_new_kernel_client()
        self.km, self.kc = self._client.km, self._client.kc
        self.warm_data: set[str] = set()
        self.notebooks_run = 0
        self.run(KERNEL_STARTUP)

    def run(self, code: str, timeout: float = 300) -> list[str]:
        """Run set-up code in the kernel; the lines it printed."""
        from jupyter_core.utils import run_sync
        errors: list[str] = []
        printed: list[str] = []

        def hook(msg):
            if msg.get("msg_type") == "error":
                errors.append(f"{msg['content'].get('ename')}: {msg['content'].get('evalue')}")
            elif msg.get("msg_type") == "stream":
                printed.extend(line for line in msg["content"].get("text", "").splitlines() if line.strip())

        reply = run_sync(self.kc.execute_interactive)(code, timeout=timeout, store_history=False, output_hook=hook)
        if reply["content"].get("status") != "ok":
            raise PackBuildError(f"the warm kernel could not run its set-up code: {'; '.join(errors) or reply['content']}")
        return printed

    def preload(self, data: str) -> None:
        """Load the store for ``data`` into the kernel before the first notebook."""
        if data in self.warm_data:
            return
        self.run(f"import helpers.store as _s; _s.open_store({data!r}); del _s\n"
                 f"from helpers.build import kernel_state as _k; _k.remember_stores(); del _k")
        self.warm_data.add(data)

    def reset(self) -> list[str]:
        """Restore the kernel between notebooks; what a notebook had changed in place."""
        return self.run(KERNEL_RESET)

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync
        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:
            return False

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync
        try:
            self.kc.stop_channels()
            run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # pragma: no cover - best effort at exit
            pass


def _ipc_prefix() -> str | None:
    """A path prefix for one kernel's local (IPC) sockets in the Jupyter
    runtime folder, or None to keep TCP: not a POSIX system, a path too
    long for a socket (about 100 bytes), or a folder that cannot hold one."""
    if os.name != "posix":
        return None
    import socket
    import uuid

    from jupyter_core.paths import jupyter_runtime_dir
    folder = jupyter_runtime_dir()
    prefix = os.path.join(folder, f"scrutiny-{uuid.uuid4().hex[:12]}")
    if len(prefix.encode()) >= 90:
        return None
    probe = f"{prefix}-probe"
    try:
        os.makedirs(folder, exist_ok=True)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.bind(probe)
    except OSError:
        return None
    finally:
        try:
            os.unlink(probe)
        except OSError:
            pass
    return prefix


def _kernel_env_key() -> tuple:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("SCRUTINY_")))


#: This process's warm kernels, by slot: slot 0 serves batches (one kernel a
#: worker process); a single pack runs its sections on up to two slots at once.
_WARM: dict[int, WarmKernel] = {}
_ATEXIT = False


def warm_kernel(slot: int = 0) -> WarmKernel:
    """This process's warm kernel for ``slot``, started on first use (and
    restarted if it died or the SCRUTINY_* environment it was started with
    changed)."""
    global _ATEXIT
    kernel = _WARM.get(slot)
    if kernel is not None and (kernel.env_key != _kernel_env_key() or not kernel.alive()):
        _shutdown_warm(slot)
        kernel = None
    if kernel is None:
        if not _ATEXIT:
            import atexit
            atexit.register(_shutdown_warm)
            _ATEXIT = True
        kernel = _WARM[slot] = WarmKernel()
    return kernel


def _shutdown_warm(slot: int | None = None) -> None:
    for s in ([slot] if slot is not None else list(_WARM)):
        kernel = _WARM.pop(s, None)
        if kernel is not None:
            kernel.shutdown()


def _register_engine() -> str:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmKernelEngine(NBClientEngine):
        """papermill's nbclient engine, run in a kernel that is already
        started: papermill does not start or shut it down."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            warm: WarmKernel = kwargs.pop("warm_kernel")
            client = PapermillNotebookClient(
                nb_man, km=warm.km, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logging.getLogger("papermill"), log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file)
            client.kc = warm.kc  # reuse the open channels; nbclient leaves them open (it does not own km)
            return client.execute()

    papermill_engines.register("scrutiny-warm", WarmKernelEngine)
    return "scrutiny-warm"


_ENGINE: str | None = None


def execute_section(notebook: Path, output: Path, parameters: dict, *, warm: bool = True,
                    timeout: int = 600, slot: int = 0):
    """Execute one section notebook with papermill (in the warm kernel of
    ``slot`` unless ``warm=False``) and return the executed notebook."""
    global _ENGINE
    import papermill as pm
    folder = str(Path(notebook).resolve().parent)  # as JupyterLab runs it: files beside it are found
    if not warm:
        return pm.execute_notebook(str(notebook), str(output), parameters=parameters, progress_bar=False,
                                   kernel_name="python3", execution_timeout=timeout, cwd=folder)
    if _ENGINE is None:
        _ENGINE = _register_engine()
    kernel = warm_kernel(slot)
    kernel.preload(str(parameters.get("data") or "official"))
    if kernel.notebooks_run:
        for line in kernel.reset():
            log.warning("%s (before %s)", line, Path(notebook).name)
    kernel.notebooks_run += 1
    kernel.run(f"import os as _os; _os.chdir({folder!r}); del _os")
    try:
        return pm.execute_notebook(str(notebook), str(output), parameters=parameters, progress_bar=False,
                                   engine_name=_ENGINE, kernel_name=kernel.kernel_name,
                                   execution_timeout=timeout, warm_kernel=kernel, request_save_on_cell_execute=False)
    except BaseException as exc:
        # A dead kernel is replaced; so is one still busy with a cell that
        # timed out (it would hold up the next notebook until the cell ends).
        if not kernel.alive() or _is_timeout(exc):
            _shutdown_warm(slot)
        raise


def _is_timeout(exc: BaseException) -> bool:
    from nbclient.exceptions import CellTimeoutError
    return isinstance(exc, (CellTimeoutError, TimeoutError))


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
    skipped: bool = False
    is_demo: bool = False
    missing_measures: list = field(default_factory=list)

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
        for kind in ("members_pdf", "members_html", "pdf", "html"):
            if kind in self.files:
                lines.append(f"  {self.out_dir / self.files[kind]}")
        for m in self.missing_measures:
            lines.append(f"  MISSING: {missing_line(m)}")
        for w in self.warnings[:10]:
            lines.append(f"  warning: {w}")
        if len(self.warnings) > 10:
            lines.append(f"  ... {len(self.warnings) - 10} more warnings in manifest.json")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"council": self.council, "area_code": self.area_code, "period": self.period,
                "out_dir": str(self.out_dir), "skipped": self.skipped, "timings": self.timings,
                "warnings": self.warnings}


# ------------------------------------------------------------------- build

def resolve_request(store, council, period=None):
    try:
        code = store.resolve(str(council))
    except ScrutinyError:
        raise
    except Exception as exc:  # resolve raises UnknownCouncilError; be safe with KeyError
        raise ParameterError("council", str(exc), council) from None
    name = str(store.area(code)["area_name"])
    if period is None:
        period = store.latest_period()
    try:
        period = int(period)
    except (TypeError, ValueError):
        raise ParameterError("period", "must be a year such as 2025", period) from None
    return code, name, period


def build_pack(council: str, period: int | None = None, *, comparator: str = "statistical neighbours",
               committee: str = "", meeting_date: str = "", sections=None, formats=FORMATS,
               data: str = "official", comparators_file: str | None = None, notebooks_dir=None,
               reports_dir=None, force: bool = True, warm: bool = True, timeout: int = 600,
               local_figures: str = "", targets_file: str = "", section_workers: int | None = None,
               allow_missing_measures: bool = False, neighbours: str = "", spec: str = "",
               commentary: str = "") -> PackResult:
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
                                  comparators_file=comparators_file, timeout=timeout, neighbours=neighbours)
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
                                    section_workers=section_workers, spec=spec, commentary=commentary)


def _build_from_snapshot(store, t0, timings, *, council, period, comparator, model, committee, meeting_date,
                         sections, formats, data, comparators_file, notebooks_dir, reports_dir, force, warm, timeout,
                         local_figures, targets_file, section_workers, spec="", commentary="") -> PackResult:
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
    if not force and is_up_to_date(dest, fp, formats):
        return PackResult(name, code, period, dest, skipped=True, is_demo=store.is_demo,
                          files={k: f"pack.{k}" for k in formats})
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
        install_pack(tmp, dest)
    except BaseException:
        install.keep_failed(tmp, dest)
        raise
    return PackResult(name, code, period, dest, files=files, timings=timings, warnings=warnings,
                      is_demo=store.is_demo, missing_measures=list(store.missing_measures))


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
        nb, seconds = executed[sid]
        timings[f"execute:{sid}"] = seconds
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
    """Execute every section notebook; {section: (executed notebook, seconds)}.

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
            nb = execute_section(nb_path, out_dir / nb_path.name, given,
                                 warm=warm, timeout=timeout, slot=slot)
        except Exception as exc:
            raise PackBuildError(f"{label}: section notebook {nb_path.name} failed: {_short_error(exc)}") from exc
        finally:
            slots.put(slot)
        return sid, nb, round(time.perf_counter() - t, 3)

    items = list(notebooks.items())
    if workers == 1:
        results = [run(item) for item in items]
    else:
        global _ENGINE
        if _ENGINE is None:
            _ENGINE = _register_engine()  # once, before threads use it
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="section") as pool:
            results = list(pool.map(run, items))
    return {sid: (nb, seconds) for sid, nb, seconds in results}


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

def add_build_arguments(parser) -> None:
    """Options of ``scrutiny build``."""
    g = parser.add_argument_group("what to build")
    who = g.add_mutually_exclusive_group(required=True)
    who.add_argument("--council", help="council name, DfE LA number or ONS code")
    who.add_argument("--all", action="store_true", help="every current council in the store")
    who.add_argument("--run-file", type=Path, help="YAML file listing runs (see reports/README.md)")
    g.add_argument("--period", type=int, default=None, help="year the period ends (default: latest)")
    g.add_argument("--comparator", default="statistical neighbours",
                   help="'statistical neighbours' (default), 'region' or a group in --comparators-file")
    g.add_argument("--comparators-file", default=None, help="YAML file of custom comparator groups")
    g.add_argument("--neighbours", default="", metavar="YEAR",
                   help="statistical neighbour model, e.g. 2025 or 2021 (default: the newest held)")
    g.add_argument("--local-figures", default="",
                   help="the council's own monthly figures (a file, or 'demo'); default: look in data/local/")
    g.add_argument("--targets-file", default="", help="the council's own targets (YAML)")
    g.add_argument("--committee", default="", help="committee name for the cover and running header")
    g.add_argument("--meeting-date", default="", help="meeting date, YYYY-MM-DD")
    g.add_argument("--sections", default=None, help="comma-separated sections (default: all)")
    g.add_argument("--format", default="html,pdf", help="html, pdf or html,pdf (default)")
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
    o.add_argument("--if-new-data", action="store_true",
                   help="for scheduled runs: build only packs whose inputs changed and print nothing when none did")
    o.add_argument("--timeout", type=int, default=600,
                   help="seconds one notebook cell may run before its pack fails (default 600)")
    o.add_argument("--workers", type=int, default=None, help="parallel workers for a batch (default: cores)")
    o.add_argument("--dask", metavar="SCHEDULER", default=None,
                   help="run the batch on Dask distributed: a scheduler address or 'local'")
    o.add_argument("--no-progress", action="store_true", help="no progress bar")
    o.add_argument("--allow-missing-measures", action="store_true",
                   help="build although a release lacks measures the catalogue needs (the pack says which; "
                        "the command exits 1)")


def cli_build(args) -> int:
    from .batch import BatchRun, run_batch, runs_for_all, runs_from_file
    formats = _formats(args.format)
    common = dict(formats=formats, data=args.data, notebooks_dir=args.notebooks, reports_dir=args.reports,
                  timeout=args.timeout)
    quiet = getattr(args, "if_new_data", False)
    if args.council:
        # one council: rebuilt every time, unless --if-new-data (then only when its inputs changed, silently)
        result = build_pack(council=args.council, period=args.period, comparator=args.comparator,
                            committee=args.committee, meeting_date=args.meeting_date, sections=args.sections,
                            comparators_file=args.comparators_file, force=not quiet,
                            local_figures=args.local_figures, targets_file=args.targets_file,
                            allow_missing_measures=args.allow_missing_measures, neighbours=args.neighbours,
                            spec=args.spec, commentary=args.commentary, **common)
        if not (quiet and result.skipped):
            print(result.summary())
            from .batch import write_index
            write_index(args.reports or paths.reports_dir())
        return 1 if result.missing_measures else 0
    defaults = BatchRun(council="", period=args.period, comparator=args.comparator, committee=args.committee,
                        meeting_date=args.meeting_date, sections=args.sections,
                        comparators_file=args.comparators_file, local_figures=args.local_figures,
                        targets_file=args.targets_file, neighbours=args.neighbours, spec=args.spec,
                        commentary=args.commentary)
    runs = runs_for_all(args.data, defaults) if args.all else runs_from_file(args.run_file, defaults)
    summary = run_batch(runs, force=args.force and not quiet, workers=args.workers, dask=args.dask,
                        progress=not (args.no_progress or quiet), allow_missing_measures=args.allow_missing_measures,
                        **common)
    if not quiet or not summary.ok or summary.missing_measures or any(o.ok and not o.skipped
                                                                        for o in summary.outcomes):
        print(summary.text())
    return 0 if summary.ok and not summary.missing_measures else 1
