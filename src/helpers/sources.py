"""Getting official data at run time.

Two ways in, both ending with the canonical files in ``data/raw/``
(:func:`helpers.paths.raw_dir`):

* :func:`fetch` downloads every source listed in the sources manifest
  (``data/sources.yml``) that has a URL;
* :func:`ingest` takes files a user downloaded by hand (any file name),
  recognises each by its content and copies it under its canonical name.

Both write through a temporary file in the destination directory and
``os.replace`` it into place only when it is complete and checked, so a
failed or interrupted run never leaves a half-written file and never
destroys the previous good copy.

Files are recognised with :func:`helpers.loaders.identify` when that module
is installed; until then a built-in fallback recognises the known layouts by
their header (CSV) or sheet names (ODS).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence
from urllib.parse import urlparse

import requests
from helpers.safe_yaml import load_yaml_file

from helpers import paths
from helpers.paths import file_sha256
from helpers.errors import ConfigError, DataFileError, FetchError

__all__ = [
    "Source", "load_manifest", "default_manifest_path",
    "FetchResult", "FetchReport", "fetch",
    "IngestResult", "IngestReport", "ingest", "LOCAL_FIGURES", "local_dir",
    "MAX_INGEST_BYTES",
]

#: Files larger than this are refused by :func:`ingest`.
MAX_INGEST_BYTES = 200 * 1024 * 1024
#: First wait between retries, in seconds; doubles on every retry.
BACKOFF_SECONDS = 1.0
_CHUNK = 64 * 1024

_REQUIRED = ("id", "title", "publisher", "licence", "landing", "filename")
_OPTIONAL = ("url", "sha256")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")

_OFFLINE_HINT = ("This machine appears to be offline (or the site cannot be reached). "
                 "Download the files by hand from each publication's page (see data/sources.yml, "
                 "key 'landing') and add them with `scrutiny ingest FILE...`")


# ---------------------------------------------------------------------------
# The manifest
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One official publication file."""

    id: str
    title: str
    publisher: str
    licence: str
    landing: str
    filename: str
    url: str = ""
    sha256: str = ""


def default_manifest_path() -> Path:
    """``data/sources.yml`` in the project (or under ``SCRUTINY_DATA_DIR``)."""
    return paths.data_dir() / "sources.yml"


def load_manifest(manifest_path: Path | str | None = None) -> list[Source]:
    """Read and validate the sources manifest.

    Raises :class:`ConfigError` naming the file and key for: a missing file,
    invalid YAML, unknown keys, missing or empty required fields, a malformed
    sha256 or URL, a file name with a directory part, duplicate ids or file
    names.
    """
    path = Path(manifest_path) if manifest_path is not None else default_manifest_path()
    doc = load_yaml_file(path, what="sources manifest")
    if not isinstance(doc, dict) or "sources" not in doc:
        raise ConfigError(path, "expected a mapping with a 'sources' list", key="sources")
    extra = set(doc) - {"sources"}
    if extra:
        raise ConfigError(path, f"unknown top-level key(s): {', '.join(sorted(map(str, extra)))}",
                          key=sorted(map(str, extra))[0], hint="The only top-level key is 'sources'")
    entries = doc["sources"]
    if not isinstance(entries, list) or not entries:
        raise ConfigError(path, "'sources' must be a non-empty list", key="sources")

    out: list[Source] = []
    seen_ids: set[str] = set()
    seen_files: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        where = f"sources[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(path, "each source must be a mapping", key=where)
        sid = entry.get("id")
        label = f"{where} ({sid})" if sid else where
        unknown = set(entry) - set(_REQUIRED) - set(_OPTIONAL)
        if unknown:
            raise ConfigError(path, f"unknown key(s) {', '.join(sorted(map(str, unknown)))}",
                              key=f"{label}.{sorted(map(str, unknown))[0]}",
                              hint=f"Allowed keys: {', '.join(_REQUIRED + _OPTIONAL)}")
        values = {}
        for k in _REQUIRED + _OPTIONAL:
            v = entry.get(k, "")
            if v is None:
                v = ""
            if not isinstance(v, str):
                raise ConfigError(path, f"must be a string, got {type(v).__name__}", key=f"{label}.{k}")
            values[k] = v.strip()
            if k in _REQUIRED and not values[k]:
                raise ConfigError(path, "missing or empty required field", key=f"{label}.{k}")
        values["sha256"] = values["sha256"].lower()
        if values["sha256"] and not _SHA_RE.match(values["sha256"]):
            raise ConfigError(path, "sha256 must be 64 hexadecimal characters", key=f"{label}.sha256")
        for k in ("url", "landing"):
            if values[k] and urlparse(values[k]).scheme not in ("http", "https", "file"):
                raise ConfigError(path, f"not an http(s) URL: {values[k]!r}", key=f"{label}.{k}")
        fname = values["filename"]
        if Path(fname).name != fname or fname in (".", ".."):
            raise ConfigError(path, "filename must be a plain file name without a directory",
                              key=f"{label}.filename")
        if values["id"] in seen_ids:
            raise ConfigError(path, f"duplicate id {values['id']!r}", key=f"{label}.id")
        if fname in seen_files:
            raise ConfigError(path, f"duplicate filename {fname!r}", key=f"{label}.filename")
        seen_ids.add(values["id"])
        seen_files.add(fname)
        out.append(Source(**values))
    return out


def _select(sources: list[Source], only: Iterable[str] | None, manifest: Path) -> list[Source]:
    if only is None:
        return sources
    wanted = [only] if isinstance(only, str) else list(only)
    known = {s.id for s in sources}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ConfigError(manifest, f"no source with id {', '.join(map(repr, unknown))}",
                          hint=f"Known ids: {', '.join(sorted(known))}")
    return [s for s in sources if s.id in set(wanted)]


# ---------------------------------------------------------------------------
# Recognising a file by its content
# ---------------------------------------------------------------------------


def _identifier() -> Callable[[Path], str]:
    """The loaders' recognition of a file by its content."""
    from .loaders import identify
    return identify


def _temp_in(dest_dir: Path, filename: str) -> Path:
    """A fresh temporary path in ``dest_dir`` that keeps the file's extension
    (so identification by extension still works) and is hidden."""
    stem, dot, ext = filename.rpartition(".")
    suffix = f".part.{ext}" if dot else ".part"
    fd, tmp = tempfile.mkstemp(prefix=f".{stem or filename}.", suffix=suffix, dir=dest_dir)
    os.close(fd)
    return Path(tmp)


def _unlink(path: Path | None) -> None:
    if path is not None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


# ---------------------------------------------------------------------------
# fetch
# ---------------------------------------------------------------------------


@dataclass
class FetchResult:
    """Outcome for one source: status is ``downloaded``, ``unchanged``
    (the file in place already has the same SHA-256), ``skipped`` (no URL in
    the manifest) or ``failed`` (``reason`` says why; any previous file is
    untouched)."""

    id: str
    status: str
    path: Path | None = None
    sha256: str = ""
    reason: str = ""
    error: Exception | None = field(default=None, repr=False)


@dataclass
class FetchReport:
    results: list[FetchResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.status != "failed" for r in self.results)

    def by_status(self, status: str) -> list[FetchResult]:
        return [r for r in self.results if r.status == status]

    def raise_for_failures(self) -> None:
        """Raise one :class:`FetchError` listing every failed source."""
        failed = self.by_status("failed")
        if failed:
            raise FetchError("; ".join(f"{r.id}: {r.reason}" for r in failed))

    def summary(self) -> str:
        lines = []
        for r in self.results:
            line = f"{r.id:<28} {r.status}"
            if r.reason:
                line += f" - {r.reason}"
            lines.append(line)
        return "\n".join(lines)


def _is_offline_error(exc: BaseException) -> bool:
    """True for connection refused, DNS failure or an unreachable network."""
    seen = set()
    todo = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, (ConnectionRefusedError, socket.gaierror)):
            return True
        if isinstance(e, OSError) and getattr(e, "errno", None) in (101, 113):   # net/host unreachable
            return True
        text = str(e)
        if any(s in text for s in ("Connection refused", "Name or service not known",
                                   "Temporary failure in name resolution", "Failed to resolve",
                                   "nodename nor servname", "Network is unreachable",
                                   "NameResolutionError", "getaddrinfo failed")):
            return True
        todo.extend([e.__cause__, e.__context__, *[a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]])
        reason = getattr(e, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
    return False


class _Retryable(Exception):
    """A transient failure worth retrying (5xx, truncated body, dropped connection)."""


def _download_once(session: requests.Session, src: Source, tmp: Path, timeout: float,
                   progress: bool) -> str:
    """Stream ``src.url`` into ``tmp``; return its SHA-256. Raises
    :class:`_Retryable`, :class:`FetchError` or a requests exception."""
    with session.get(src.url, stream=True, timeout=timeout) as resp:
        if resp.status_code >= 500:
            raise _Retryable(f"HTTP {resp.status_code} from {src.url}")
        if resp.status_code >= 400:
            raise FetchError(f"{src.id}: HTTP {resp.status_code} {resp.reason} from {src.url}. "
                             "Check the url in data/sources.yml, or download the file by hand "
                             "and use `scrutiny ingest`")
        expected = resp.headers.get("Content-Length")
        expected_n = int(expected) if expected and expected.isdigit() else None
        if resp.headers.get("Content-Encoding") not in (None, "", "identity"):
            expected_n = None   # length counts compressed bytes
        h = hashlib.sha256()
        got = 0
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=expected_n, unit="B", unit_scale=True, desc=src.id, leave=False)
        try:
            with open(tmp, "wb") as fh:
                try:
                    for chunk in resp.iter_content(chunk_size=_CHUNK):
                        if chunk:
                            fh.write(chunk)
                            h.update(chunk)
                            got += len(chunk)
                            if bar is not None:
                                bar.update(len(chunk))
                except (requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError,
                        requests.exceptions.ConnectionError) as exc:
                    raise _Retryable(f"download of {src.url} broke off after {got} bytes ({exc})") from exc
                fh.flush()
                os.fsync(fh.fileno())
        finally:
            if bar is not None:
                bar.close()
        if expected_n is not None and got != expected_n:
            raise _Retryable(f"incomplete download from {src.url}: {got} of {expected_n} bytes")
        return h.hexdigest()


def _fetch_one(session: requests.Session, src: Source, dest_dir: Path, timeout: float,
               retries: int, progress: bool) -> FetchResult:
    final = dest_dir / src.filename
    tmp = _temp_in(dest_dir, src.filename)
    try:
        attempt = 0
        while True:
            try:
                digest = _download_once(session, src, tmp, timeout, progress)
                break
            except (_Retryable, requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                if isinstance(exc, requests.exceptions.ConnectionError) and _is_offline_error(exc):
                    host = urlparse(src.url).netloc
                    raise FetchError(f"{src.id}: cannot connect to {host} ({type(exc).__name__}). "
                                     f"{_OFFLINE_HINT}") from exc
                if attempt >= retries:
                    return FetchResult(src.id, "failed", final,
                                       reason=f"gave up after {attempt + 1} attempt(s): {exc}",
                                       error=FetchError(f"{src.id}: {exc}"))
                time.sleep(BACKOFF_SECONDS * (2 ** attempt))
                attempt += 1
            except FetchError as exc:
                return FetchResult(src.id, "failed", final, reason=str(exc), error=exc)
            except requests.exceptions.RequestException as exc:
                err = FetchError(f"{src.id}: {exc}")
                return FetchResult(src.id, "failed", final, reason=str(err), error=err)

        if src.sha256 and digest != src.sha256:
            err = FetchError(f"{src.id}: checksum mismatch for {src.url}: expected sha256 {src.sha256}, "
                             f"got {digest}. The previous file (if any) was kept. If the publisher has "
                             "released a new version, update sha256 in data/sources.yml")
            return FetchResult(src.id, "failed", final, sha256=digest, reason=str(err), error=err)
        if final.exists() and file_sha256(final) == digest:
            return FetchResult(src.id, "unchanged", final, sha256=digest)
        try:
            found = _identifier()(tmp)
        except DataFileError as exc:
            err = FetchError(f"{src.id}: the download from {src.url} is not a recognised publication "
                             f"file ({exc.detail}). The previous file (if any) was kept")
            return FetchResult(src.id, "failed", final, sha256=digest, reason=str(err), error=err)
        if found != src.id:
            err = FetchError(f"{src.id}: the download from {src.url} holds publication {found!r}, not "
                             f"{src.id!r}. Check the url in data/sources.yml")
            return FetchResult(src.id, "failed", final, sha256=digest, reason=str(err), error=err)
        os.replace(tmp, final)
        tmp = None
        return FetchResult(src.id, "downloaded", final, sha256=digest)
    finally:
        _unlink(tmp)


def fetch(manifest_path: Path | str | None = None, dest_dir: Path | str | None = None,
          only: Sequence[str] | str | None = None, timeout: float = 30, retries: int = 3,
          progress: bool = True) -> FetchReport:
    """Download the official sources listed in the manifest.

    ``only`` restricts to some source ids. Each source is streamed to a
    temporary file in ``dest_dir`` (default :func:`helpers.paths.raw_dir`),
    retried with exponential backoff on dropped connections, timeouts, 5xx
    responses and truncated bodies (``retries`` extra attempts), checked
    against its ``sha256`` when the manifest gives one and identified by
    content, and only then moved into place with ``os.replace``.

    Per-source problems (HTTP errors, checksum mismatch, wrong content) are
    reported as ``failed`` in the returned :class:`FetchReport` and never
    touch the previous file; call :meth:`FetchReport.raise_for_failures` to
    turn them into an exception. When the machine appears to be offline
    (connection refused, DNS failure, network unreachable) ``fetch`` raises
    :class:`FetchError` at once, suggesting ``scrutiny ingest``.
    """
    manifest = Path(manifest_path) if manifest_path is not None else default_manifest_path()
    sources = _select(load_manifest(manifest), only, manifest)
    dest = Path(dest_dir) if dest_dir is not None else paths.raw_dir()
    dest.mkdir(parents=True, exist_ok=True)
    report = FetchReport()
    with requests.Session() as session:
        session.headers["User-Agent"] = "scrutiny-packs/0.1 (python-requests)"
        for src in sources:
            if not src.url:
                report.results.append(FetchResult(
                    src.id, "skipped", dest / src.filename,
                    reason=f"no download URL in the manifest; download it from {src.landing} "
                           "and run `scrutiny ingest FILE`"))
                continue
            report.results.append(_fetch_one(session, src, dest, timeout, retries, progress))
    return report


# ---------------------------------------------------------------------------
# ingest
# ---------------------------------------------------------------------------


@dataclass
class IngestResult:
    """One ingested file: where it came from, what it is, where it went;
    status ``copied`` or ``unchanged`` (same content already in place)."""

    source_path: Path
    id: str
    dest_path: Path
    status: str
    sha256: str


@dataclass
class IngestReport:
    results: list[IngestResult] = field(default_factory=list)

    def summary(self) -> str:
        return "\n".join(f"{r.source_path.name} -> {r.dest_path.name} ({r.id}, {r.status})"
                         for r in self.results)


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
    # Not UTF-8: accept mostly printable single-byte text (e.g. cp1252 CSV).
    printable = sum(32 <= b < 127 or b in (9, 10, 13) or b >= 160 for b in head)
    return printable / len(head) < 0.95


def _check_file(path: Path, known: dict[str, Source]) -> tuple[str | None, str | None]:
    """(publication id, None) or (None, problem description)."""
    if not path.exists():
        return None, "file not found"
    if not path.is_file():
        return None, "not a regular file"
    size = path.stat().st_size
    if size == 0:
        return None, "the file is empty"
    if size > MAX_INGEST_BYTES:
        return None, (f"the file is {size / 1e6:.0f} MB, over the {MAX_INGEST_BYTES // (1024 * 1024)} MB "
                      "limit for a publication file; is it the right download?")
    if not zipfile.is_zipfile(path):
        from .loaders import wide_text_encoding
        with open(path, "rb") as fh:
            wide = wide_text_encoding(fh.read(4096))
        if wide:
            return None, f"{wide} text, not UTF-8: save it as 'CSV UTF-8' and ingest that"
        if _looks_binary(path):
            return None, "binary data, not a CSV or ODS publication file"
    try:
        pub = _identifier()(path)
    except DataFileError as exc:
        return None, f"not recognised ({exc.detail})"
    except (OSError, ValueError) as exc:
        return None, f"cannot be read ({exc})"
    if pub not in known and pub != LOCAL_FIGURES:
        return None, f"recognised as {pub!r}, which has no entry in the sources manifest"
    return pub, None


#: Publication id of a council's own monthly figures (helpers.loaders.local);
#: ingested into data/local/ after validation, not into data/raw/.
LOCAL_FIGURES = "local_figures"


def local_dir() -> Path:
    """Where ingested local figures live: ``data/local/``."""
    return paths.data_dir() / "local"


def _local_filename(councils: list[str], source: Path) -> str:
    """A safe file name for a council's local figures: 'local_northmoor.csv'.
    Only lower-case letters, digits and underscores, whatever the council's
    name holds (no path separators, dots or markup)."""
    slugs = [re.sub(r"[^a-z0-9]+", "_", c.lower()).strip("_") or "council" for c in councils] or ["council"]
    stem = "local_" + "_".join(slugs)
    if len(stem) > 80:
        stem = stem[:64] + "_" + hashlib.sha256(stem.encode("utf-8")).hexdigest()[:8]
    ext = ".xlsx" if source.suffix.lower() in (".xlsx", ".xlsm") or zipfile.is_zipfile(source) else ".csv"
    return stem + ext


def ingest(paths_in: Iterable[Path | str], dest_dir: Path | str | None = None,
           manifest_path: Path | str | None = None, local_dir_in: Path | str | None = None) -> IngestReport:
    """Copy files downloaded by hand into ``dest_dir`` under their canonical names.

    Each file is recognised by content (``helpers.loaders.identify``), so
    the download's own file name does not matter. All or nothing: if any
    file is missing, too large (over 200 MB), binary junk, unrecognised, or
    two files are the same publication, :class:`DataFileError` is raised
    naming every problem file and the known publications, and nothing is
    copied. Copies go through temporary files and ``os.replace``.

    A council's own monthly figures (the local figures template, CSV or
    .xlsx) are checked with :func:`helpers.loaders.local.validate_local`;
    any problem in any row stops the whole ingest (the error lists every
    problem with its row and column, and carries them as ``.problems``).
    Valid local files go to ``local_dir_in`` (default ``data/local/``) as
    ``local_<council>.csv`` (or ``.xlsx``), a name made only of letters,
    digits and underscores.
    """
    files = [Path(p) for p in paths_in]
    if not files:
        raise DataFileError(None, "no files given to ingest",
                            hint="Usage: scrutiny ingest FILE [FILE...]")
    manifest = Path(manifest_path) if manifest_path is not None else default_manifest_path()
    known = {s.id: s for s in load_manifest(manifest)}
    dest = Path(dest_dir) if dest_dir is not None else paths.raw_dir()

    local_dest = Path(local_dir_in) if local_dir_in is not None else local_dir()
    # each plan entry: (file, publication id, destination folder, file name)
    plan: list[tuple[Path, str, Path, str]] = []
    problems: list[tuple[Path, str]] = []
    local_errors: list[DataFileError] = []
    claimed: dict[str, Path] = {}
    for f in files:
        pub, problem = _check_file(f, known)
        if problem:
            problems.append((f, problem))
            continue
        if pub == LOCAL_FIGURES:
            from .loaders.local import validate_local
            check = validate_local(f)
            if not check.ok:
                err = check.error()
                local_errors.append(err)
                problems.append((f, err.detail.strip()))
                continue
            target, claim = local_dest, _local_filename(check.councils, f)
            what = f"local figures for {', '.join(check.councils)}"
        else:
            target, claim = dest, known[pub].filename
            what = f"publication ({pub})"
        if claim in claimed:
            problems.append((f, f"same {what} as {claimed[claim]}"))
        else:
            claimed[claim] = f
            plan.append((f, pub, target, claim))
    if problems:
        listing = "; ".join(f"{s.id} ({s.filename})" for s in known.values())
        hint = f"Nothing was copied. Known publications: {listing}; and local figures (docs/local-figures.md)"
        if len(problems) == 1:
            if local_errors:
                err = DataFileError(problems[0][0], problems[0][1], hint="Nothing was copied. "
                                    + (local_errors[0].hint or ""))
                err.problems = getattr(local_errors[0], "problems", [])
                raise err
            raise DataFileError(problems[0][0], problems[0][1], hint=hint)
        err = DataFileError(None, f"{len(problems)} files cannot be ingested: "
                            + "; ".join(f"{f}: {why}" for f, why in problems), hint=hint)
        err.problems = [p for e in local_errors for p in getattr(e, "problems", [])]
        raise err

    staged: list[tuple[Path, Path, str, str, str]] = []
    try:
        for f, pub, target, filename in plan:
            target.mkdir(parents=True, exist_ok=True)
            final = target / filename
            digest = file_sha256(f)
            if final.exists() and file_sha256(final) == digest:
                staged.append((f, final, pub, digest, "unchanged"))
                continue
            tmp = _temp_in(target, filename)
            staged.append((f, final, pub, digest, str(tmp)))
            shutil.copyfile(f, tmp)
        report = IngestReport()
        for f, final, pub, digest, tmp in staged:
            if tmp != "unchanged":
                os.replace(tmp, final)
            report.results.append(IngestResult(f, pub, final,
                                               "unchanged" if tmp == "unchanged" else "copied", digest))
        return report
    finally:
        for *_, tmp in staged:
            if tmp != "unchanged":
                _unlink(Path(tmp))
