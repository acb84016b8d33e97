"""``scrutiny ingest``: files a user downloaded by hand, recognised by their
content (any file name), loaded in full, and installed in ``data/raw/``
under their canonical names (a council's own monthly figures go to
``data/local/``).

Files, folders (their files, not sub-folders) and glob patterns are taken.
A file that is not a publication this tool reads is skipped with one line;
the ingest fails, installing nothing, when a recognised file is broken,
when a file is hostile (too large, a zip bomb, binary data named .csv, not
UTF-8), when a release is older or narrower than the one held (unless
``allow_older``), or when nothing usable was found.
"""

from __future__ import annotations

import glob
import hashlib
import re
import zipfile
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .. import paths
from ..errors import DataFileError, UnknownLayoutError
from ..paths import file_sha256
from .install import Holding, folder_lock, load_fully, put_in_place, readable_mode, temp_path, vet
from .manifest import Manifest, read_manifest

#: Files larger than this are refused.
MAX_INGEST_BYTES = 200 * 1024 * 1024
#: Publication id of a council's own monthly figures (helpers.loaders.local).
LOCAL_FIGURES = "local_figures"
#: What a folder may hold that ingest considers; anything else is skipped.
_CANDIDATE_SUFFIXES = {".csv", ".ods", ".xlsx", ".xlsm", ".xls", ".txt"}


def local_dir() -> Path:
    """Where ingested local figures live: ``data/local/``."""
    return paths.data_dir() / "local"


@dataclass
class IngestResult:
    """One file: where it came from, what it is, where it went. ``status``
    is ``new``, ``replaced``, ``unchanged`` or ``skipped`` (``note`` says why)."""

    source_path: Path
    id: str
    dest_path: Path | None
    status: str
    sha256: str = ""
    note: str = ""
    holding: Holding | None = field(default=None, repr=False)


@dataclass
class IngestReport:
    results: list[IngestResult] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)

    def by_status(self, *statuses: str) -> list[IngestResult]:
        return [r for r in self.results if r.status in statuses]

    def summary(self) -> str:
        lines = [f"removed {len(self.cleaned)} temporary file(s) left by an interrupted run"] if self.cleaned else []
        for r in self.results:
            if r.status == "skipped":
                lines.append(f"{r.source_path.name}: skipped - {r.note}")
                continue
            what = f" ({r.holding.describe()})" if r.holding is not None and r.status != "unchanged" else ""
            line = f"{r.source_path.name} -> {r.dest_path} ({r.id}): {r.status}{what}"
            lines.append(line + (f"; {r.note}" if r.note else ""))
        done = self.by_status("new", "replaced")
        lines.append(f"{len(done)} added or replaced, {len(self.by_status('unchanged'))} unchanged, "
                     f"{len(self.by_status('skipped'))} skipped")
        return "\n".join(lines)


# ------------------------------------------------------------ the files given

def expand(paths_in: Iterable[Path | str]) -> tuple[list[Path], list[IngestResult]]:
    """Files named, the files of folders named, and the matches of glob
    patterns (for shells that do not expand them); folder entries that are
    hidden or not a CSV or spreadsheet are skipped with a note."""
    files: list[Path] = []
    skipped: list[IngestResult] = []
    for given in paths_in:
        p = Path(given)
        if not p.exists() and glob.has_magic(str(given)):
            matches = sorted(Path(m) for m in glob.glob(str(given)))
            if not matches:
                raise DataFileError(p, "no file matches this pattern")
            entries = [m for m in matches if m.is_file()]
        elif p.is_dir():
            entries = []
            for child in sorted(p.iterdir()):
                if child.name.startswith(".") or not child.is_file():
                    continue
                if child.suffix.lower() not in _CANDIDATE_SUFFIXES:
                    skipped.append(IngestResult(child, "", None, "skipped", note="not a CSV or spreadsheet"))
                    continue
                entries.append(child)
        else:
            entries = [p]
        files.extend(e for e in entries if e not in files)
    return files, skipped


def _looks_binary(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if not head:
        return False
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
        return False
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:      # a character cut at the block end
            return False
    printable = sum(32 <= b < 127 or b in (9, 10, 13) or b >= 160 for b in head)
    return printable / len(head) < 0.95


def _not_utf8(path: Path) -> str | None:
    """Why a text file is not UTF-8 (with the line), or None."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8-sig")
        return None
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return (f"is not UTF-8 text (line {line}): save it as 'CSV UTF-8' (DfE and ONS publish UTF-8) and "
                "ingest that")


def examine(path: Path) -> tuple[str | None, str | None, bool]:
    """(publication id, problem, fatal) for one file: a recognised file has
    no problem; an unrecognised one a non-fatal problem (it is skipped); a
    hostile or unreadable one a fatal problem."""
    from ..loaders import identify, wide_text_encoding
    if not path.exists():
        return None, "file not found", True
    if not path.is_file():
        return None, "not a regular file", True
    size = path.stat().st_size
    if size == 0:
        return None, "the file is empty", True
    if size > MAX_INGEST_BYTES:
        return None, (f"the file is {size / 1e6:.0f} MB, over the {MAX_INGEST_BYTES // (1024 * 1024)} MB "
                      "limit for a publication file; is it the right download?"), True
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            wide = wide_text_encoding(fh.read(4096))
        if wide:
            return None, f"{wide} text, not UTF-8: save it as 'CSV UTF-8' and ingest that", True
        if _looks_binary(path):
            return None, "binary data, not a CSV or ODS publication file", True
        not_utf8 = _not_utf8(path)
        if not_utf8:
            return None, not_utf8, True
    try:
        return identify(path), None, False
    except UnknownLayoutError as exc:
        return None, f"not recognised ({exc.detail})", False
    except DataFileError as exc:
        if zipfile.is_zipfile(path):     # a damaged spreadsheet or a zip bomb
            return None, exc.detail + (f" ({exc.hint})" if exc.hint else ""), True
        return None, f"not recognised ({exc.detail})", False
    except (OSError, ValueError) as exc:
        return None, f"cannot be read ({exc})", True


def canonical_name(filename: str, given: Path) -> str:
    """The manifest's file name, with the given file's extension when the
    publication comes as CSV or spreadsheet (a 2021 neighbour model .xlsx)."""
    stem, ext = Path(filename).stem, Path(filename).suffix.lower()
    got = given.suffix.lower()
    if got != ext and got in {".csv", ".ods", ".xlsx", ".xlsm", ".xls"}:
        return stem + got
    return filename


def _local_filename(councils: list[str], source: Path) -> str:
    """A safe file name for a council's local figures: 'local_northmoor.csv'."""
    slugs = [re.sub(r"[^a-z0-9]+", "_", c.lower()).strip("_") or "council" for c in councils] or ["council"]
    stem = "local_" + "_".join(slugs)
    if len(stem) > 80:
        stem = stem[:64] + "_" + hashlib.sha256(stem.encode("utf-8")).hexdigest()[:8]
    ext = ".xlsx" if source.suffix.lower() in (".xlsx", ".xlsm") or zipfile.is_zipfile(source) else ".csv"
    return stem + ext


# ------------------------------------------------------------ planning

@dataclass
class _Plan:
    source: Path
    pub: str
    folder: Path
    name: str
    holding: Holding | None = None
    note: str = ""
    staged: Path | None = None     # the copy that was checked and is installed
    sha256: str = ""


def _examine_all(files: list[Path]):
    """(recognised [(file, publication)], skipped, problems) for the files given."""
    found, skipped, problems = [], [], []
    for f in files:
        pub, problem, fatal = examine(f)
        if problem:
            (problems.append((f, problem)) if fatal
             else skipped.append(IngestResult(f, "", None, "skipped", note=problem)))
        else:
            found.append((f, pub))
    return found, skipped, problems


def _stage(source: Path, folder: Path, name: str) -> tuple[Path, str]:
    """Copy ``source`` once into a temporary file in ``folder``, hashing the
    bytes as they are written: the copy is what is checked and installed,
    so a file that changes while it is being ingested cannot slip in unread."""
    tmp = temp_path(folder, name)
    h = hashlib.sha256()
    with open(source, "rb") as src, open(tmp, "wb") as out:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            h.update(chunk)
            out.write(chunk)
    tmp.chmod(readable_mode())
    return tmp, h.hexdigest()


def _plan(found, manifest: Manifest, dest: Path, local_dest: Path, staged: list[Path] | None):
    """What to install, what to skip, and the problems that stop the ingest.
    Official files are staged in ``dest`` (listed in ``staged``) and loaded
    from the staged copy; with ``staged`` None (the ingest is refused
    anyway) they are only read, to list every problem."""
    known = manifest.by_id()
    plans: dict[tuple[Path, str], list[_Plan]] = {}
    skipped: list[IngestResult] = []
    problems: list[tuple[Path, str]] = []
    local_errors: list[DataFileError] = []
    for f, pub in found:
        if pub == LOCAL_FIGURES:
            from ..loaders.local import validate_local
            check = validate_local(f)
            if not check.ok:
                err = check.error()
                local_errors.append(err)
                problems.append((f, err.detail.strip()))
                continue
            item = _Plan(f, pub, local_dest, _local_filename(check.councils, f))
        elif pub not in known:
            skipped.append(IngestResult(f, pub, None, "skipped",
                                        note=f"recognised as {pub!r}, which has no entry in the sources manifest"))
            continue
        else:
            name = canonical_name(known[pub].filename, f)
            tmp, digest = _stage(f, dest, name) if staged is not None else (f, "")
            if staged is not None:
                staged.append(tmp)
            try:
                item = _Plan(f, pub, dest, name, load_fully(tmp, pub, shown=f), staged=tmp if digest else None,
                             sha256=digest)
            except DataFileError as exc:
                problems.append((f, str(exc).removeprefix(f"{f}: ").removeprefix(f"{f}, ")))
                continue
        plans.setdefault((item.folder, Path(item.name).stem), []).append(item)
    chosen = []
    for group in plans.values():
        best, rest = _newest(group)
        chosen.append(best)
        for other in rest:
            skipped.append(IngestResult(other.source, other.pub, None, "skipped",
                                        note=f"{best.source.name} is a newer or wider release of {best.pub}"))
    return chosen, skipped, problems, local_errors


def _newest(group: list[_Plan]) -> tuple[_Plan, list[_Plan]]:
    """Of several files of one publication, the one with the latest period,
    then the most periods, then the most areas (never by file name)."""
    def key(p: _Plan):
        h = p.holding
        if h is None:
            return (0, 0, 0, p.source.stat().st_mtime)
        areas = len(set().union(*h.areas_by_period.values())) if h.areas_by_period else 0
        return (h.latest or 0, len(h.periods), areas, p.source.stat().st_mtime)
    ordered = sorted(group, key=key, reverse=True)
    return ordered[0], ordered[1:]


def _refuse(problems, local_errors, manifest: Manifest):
    listing = "; ".join(f"{s.id} ({s.filename})" for s in manifest.sources)
    hint = f"Nothing was copied. Known publications: {listing}; and local figures (docs/local-figures.md)"
    if len(problems) == 1:
        if local_errors:
            err = DataFileError(problems[0][0], problems[0][1], hint="Nothing was copied. "
                                + (local_errors[0].hint or ""))
            err.problems = getattr(local_errors[0], "problems", [])
            return err
        return DataFileError(problems[0][0], problems[0][1], hint=hint)
    err = DataFileError(None, f"{len(problems)} files cannot be ingested: "
                        + "; ".join(f"{f}: {why}" for f, why in problems), hint=hint)
    err.problems = [p for e in local_errors for p in getattr(e, "problems", [])]
    return err


# ------------------------------------------------------------ ingest

def ingest(paths_in: Iterable[Path | str], dest_dir: Path | str | None = None,
           manifest_path: Path | str | None = None, local_dir_in: Path | str | None = None, *,
           allow_older: bool = False) -> IngestReport:
    """Install files downloaded by hand (see the module's description).

    paths_in       files, folders or glob patterns
    dest_dir       where official files go (default data/raw)
    manifest_path  the sources manifest (default data/sources.yml)
    local_dir_in   where a council's own figures go (default data/local)
    allow_older    install a release older or narrower than the one held

    Raises DataFileError listing every problem, having installed nothing.
    """
    given = list(paths_in)
    if not given:
        raise DataFileError(None, "no files given to ingest",
                            hint="Usage: scrutiny ingest FILE_OR_FOLDER [...]")
    manifest = read_manifest(manifest_path)
    dest = Path(dest_dir) if dest_dir is not None else paths.raw_dir()
    local_dest = Path(local_dir_in) if local_dir_in is not None else local_dir()
    files, skipped = expand(given)
    found, skipped2, problems = _examine_all(files)
    skipped += skipped2
    if problems:   # refused whatever else is found: read the rest to list every problem, write nothing
        more, local_errors = _plan(found, manifest, dest, local_dest, None)[2:]
        raise _refuse(problems + more, local_errors, manifest)
    official = any(pub != LOCAL_FIGURES and pub in manifest.by_id() for _, pub in found)
    report = IngestReport()
    staged: list[Path] = []
    with (folder_lock(dest) if official else nullcontext([])) as cleaned:
        report.cleaned = cleaned
        try:
            chosen, skipped3, more, local_errors = _plan(found, manifest, dest, local_dest, staged)
            skipped += skipped3
            problems += more
            if problems:
                raise _refuse(problems, local_errors, manifest)
            if not chosen:
                why = "; ".join(f"{r.source_path.name}: {r.note}" for r in skipped[:12]) or "no files"
                raise DataFileError(None, f"nothing usable was found ({why})",
                                    hint="Give the CSV or spreadsheet files downloaded from the publications' "
                                         "pages (data/sources.yml, key 'landing'), or the folder that holds them")
            _install_all(chosen, report, allow_older)
        finally:
            for tmp in staged:
                tmp.unlink(missing_ok=True)
    report.results += skipped
    return report


def _install_all(chosen: list[_Plan], report: IngestReport, allow_older: bool) -> None:
    """Check every file against what is held, then rename each checked copy
    into place (local figures are copied first); a refusal anywhere installs
    nothing."""
    todo = []
    refusals = []
    for p in chosen:
        final = p.folder / p.name
        digest = p.sha256 or file_sha256(p.source)
        if final.is_file() and file_sha256(final) == digest:
            report.results.append(IngestResult(p.source, p.pub, final, "unchanged", digest, holding=p.holding))
            continue
        if p.holding is not None:
            try:
                p.note = vet(p.holding, final, p.pub, shown=p.source, allow_older=allow_older)
            except DataFileError as exc:
                refusals.append(exc)
                continue
        todo.append((p, final, digest))
    if refusals:
        if len(refusals) == 1:
            raise refusals[0]
        raise DataFileError(None, f"{len(refusals)} files were refused: " + "; ".join(map(str, refusals)),
                            hint="Nothing was copied")
    copies = []
    try:
        for p, final, digest in todo:
            if p.staged is None:        # local figures: validated from the source, copied now
                p.folder.mkdir(parents=True, exist_ok=True)
                p.staged, _ = _stage(p.source, p.folder, p.name)
                copies.append(p.staged)
        for p, final, digest in todo:
            done = put_in_place(p.staged, final)
            note = "; ".join(x for x in (p.note, f"previous copy kept as {done.kept}" if done.kept else "") if x)
            report.results.append(IngestResult(p.source, p.pub, final, done.status, digest, note, p.holding))
    finally:
        for tmp in copies:
            tmp.unlink(missing_ok=True)
