"""``scrutiny fetch``: find each publication's latest release through the
publishers' services and install what changed in ``data/raw/``.

For each source in ``data/sources.yml``:

1. discover the latest file (:mod:`.services`), or take the stored ``url``,
   which overrides discovery; the DfE neighbour model has no public file and
   is reported as ``manual`` (``scrutiny ingest`` adds it);
2. if the release and file are the ones fetched last time (recorded in
   ``data/raw/.fetch-state.json``) and the file held is unchanged, download
   nothing;
3. otherwise download it with limits (:mod:`.web`) into a temporary file,
   check it is the publication expected (by content, and by ``sha256`` when
   the manifest gives one), load it in full, refuse it if it is older or
   narrower than the copy held, and install it (:mod:`.install`).

A failure of one source never touches its file; the report says per source
what happened and :attr:`FetchReport.ok` is False when anything failed.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import urlparse

from .. import paths
from ..errors import DataFileError, FetchError, ScrutinyError
from ..paths import file_sha256
from .ingest import canonical_name
from .install import Holding, folder_lock, load_fully, put_in_place, readable_mode, temp_path, vet
from .manifest import Source, read_manifest
from .services import DISCOVERERS, GOVUK_SPACING, Candidate, base_urls, download_arcgis, extract_member
from .web import Client, Limits, NotFound

STATE_FILE = ".fetch-state.json"


@dataclass
class FetchResult:
    """One source. ``status``: ``new`` (a new release was installed),
    ``unchanged``, ``available`` (``--check``: a new release is there, not
    downloaded), ``manual`` (no public download: use ``scrutiny ingest``) or
    ``failed`` (``reason`` says why; the file held is untouched)."""

    id: str
    status: str
    release: str = ""
    path: Path | None = None
    sha256: str = ""
    reason: str = ""
    holding: Holding | None = field(default=None, repr=False)
    error: Exception | None = field(default=None, repr=False)

    def line(self) -> str:
        text = f"{self.id:<27} {self.status}"
        if self.release:
            text += f": {self.release}"
        if self.holding is not None and self.status == "new":
            text += f" ({self.holding.describe()})"
        return text + (f" - {self.reason}" if self.reason else "")


@dataclass
class FetchReport:
    results: list[FetchResult] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.status != "failed" for r in self.results)

    @property
    def changed(self) -> bool:
        return any(r.status == "new" for r in self.results)

    def by_status(self, status: str) -> list[FetchResult]:
        return [r for r in self.results if r.status == status]

    def raise_for_failures(self) -> None:
        failed = self.by_status("failed")
        if failed:
            raise FetchError("; ".join(f"{r.id}: {r.reason}" for r in failed))

    def summary(self, quiet: bool = False) -> str:
        """One line per source; ``quiet`` keeps new releases and failures only."""
        shown = [r for r in self.results if not quiet or r.status in ("new", "failed", "available")]
        lines = [r.line() for r in shown]
        counts = {s: len(self.by_status(s)) for s in ("new", "unchanged", "available", "manual", "failed")}
        if not quiet or counts["new"] or counts["failed"]:
            lines.append(", ".join(f"{n} {s}" for s, n in counts.items() if n))
        return "\n".join(lines)


# ------------------------------------------------------------ state

def _read_state(dest: Path) -> dict:
    try:
        doc = json.loads((dest / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _write_state(dest: Path, state: dict) -> None:
    tmp = temp_path(dest, STATE_FILE.lstrip(".") + ".json")
    try:
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
        tmp.chmod(readable_mode())
        os.replace(tmp, dest / STATE_FILE)
    finally:
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------ one source

def _candidate(client: Client, bases: dict, src: Source) -> Candidate:
    if src.url:
        name = os.path.basename(urlparse(src.url).path) or src.filename
        return Candidate(url=src.url, filename=name, release=f"the file at {src.url}", version="", service="url")
    service_key, discover = DISCOVERERS[src.discover["service"]]
    return discover(client, bases[service_key], src.discover)


def _download(client: Client, cand: Candidate, tmp: Path) -> tuple[str, str]:
    """Download the candidate into ``tmp``: (SHA-256, the URL it came from).
    When the service answers 404, the places it also serves the file are
    tried in turn (for EES: the release's file route, then the release's zip)."""
    if cand.kind == "arcgis":
        download_arcgis(client, cand, tmp)
        return file_sha256(tmp), cand.url
    tried = []
    for url, member in ((cand.url, ""), *cand.alternates):
        try:
            if not member:
                return client.download(url, tmp).sha256, url
            archive = tmp.with_name(tmp.name + ".zip.part")
            try:
                client.download(url, archive)
                extract_member(archive, member, tmp, client.limits.max_bytes, url)
            finally:
                archive.unlink(missing_ok=True)
            return file_sha256(tmp), f"{url} ({member})"
        except NotFound:
            tried.append(url)
    raise FetchError(f"{cand.url}: HTTP 404 Not Found" + (f", and from {', '.join(tried[1:])} too" if len(tried) > 1
                     else "") + ". The publisher may have moved the file: check the service settings in "
                                "data/sources.yml, or download it by hand and use `scrutiny ingest`")


def _verify(src: Source, cand: Candidate, tmp: Path, digest: str) -> Holding:
    """The download is the publication expected, loads in full; its errors
    name the URL (not the temporary file)."""
    from ..loaders import identify
    if src.sha256 and digest != src.sha256:
        raise FetchError(f"{cand.url}: checksum mismatch: expected sha256 {src.sha256}, got {digest}. The file "
                         f"held was kept. If the publisher has released a new version, update sha256 for {src.id} "
                         "in data/sources.yml")
    try:
        found = identify(tmp)
    except DataFileError as exc:
        raise FetchError(f"{cand.url}: the download is not a recognised publication file ({exc.detail}). The file "
                         "held was kept") from None
    if found != src.id:
        raise FetchError(f"{cand.url}: the download holds {found!r}, not {src.id!r}. The file held was kept; check "
                         f"'discover' (or 'url') for {src.id} in data/sources.yml")
    return load_fully(tmp, src.id)


def _at_url(exc: DataFileError, url: str) -> FetchError:
    """A data error about a downloaded file, naming the URL it came from."""
    text = str(DataFileError(None, exc.detail, row=exc.row, column=exc.column, value=exc.value, hint=exc.hint))
    return FetchError(f"{url}: {text}")


def fetch_source(client: Client, bases: dict, src: Source, dest: Path, state: dict, *,
                 check: bool = False, allow_older: bool = False) -> FetchResult:
    """Discover, download, check and install one source (see the module)."""
    if src.service == "manual":
        why = src.discover.get("why") or "no public download is known"
        return FetchResult(src.id, "manual", reason=f"{why}: download it from {src.landing} and run "
                                                    f"`scrutiny ingest FILE`")
    try:
        cand = _candidate(client, bases, src)
    except ScrutinyError as exc:
        return FetchResult(src.id, "failed", reason=str(exc), error=exc)
    except Exception as exc:  # noqa: BLE001 - an answer no check foresaw must not end every other source
        return FetchResult(src.id, "failed", reason=f"the {src.service} service gave an answer this tool cannot "
                                                    f"read ({type(exc).__name__}: {exc}); use `scrutiny ingest` "
                                                    f"meanwhile", error=exc)
    final = dest / canonical_name(src.filename, Path(cand.filename))
    prev = state.get(src.id) or {}
    if (cand.version and prev.get("version") == cand.version and prev.get("file") == final.name
            and final.is_file() and file_sha256(final) == prev.get("sha256")):
        return FetchResult(src.id, "unchanged", cand.release, final, prev["sha256"])
    if check:
        why = "not downloaded (--check)" if cand.version else "the service gives no version: a fetch would compare"
        return FetchResult(src.id, "available", cand.release, final, reason=why)
    tmp = temp_path(dest, final.name)
    try:
        digest, came_from = _download(client, cand, tmp)
        record = {"version": cand.version, "file": final.name, "sha256": digest, "url": came_from,
                  "release": cand.release, "checked": time.strftime("%Y-%m-%dT%H:%M:%S")}
        if final.is_file() and file_sha256(final) == digest:
            state[src.id] = record
            return FetchResult(src.id, "unchanged", cand.release, final, digest)
        try:
            holding = _verify(src, cand, tmp, digest)
            note = vet(holding, final, src.id, shown=tmp, allow_older=allow_older)
        except DataFileError as exc:
            raise _at_url(exc, cand.url) from None
        put_in_place(tmp, final)
        state[src.id] = record
        return FetchResult(src.id, "new", cand.release, final, digest, note, holding)
    except ScrutinyError as exc:
        return FetchResult(src.id, "failed", cand.release, final, reason=str(exc), error=exc)
    finally:
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------ fetch

def fetch(manifest_path: Path | str | None = None, dest_dir: Path | str | None = None,
          only: Sequence[str] | str | None = None, *, check: bool = False, allow_older: bool = False,
          limits: Limits | None = None, on_result: Callable[[FetchResult], None] | None = None) -> FetchReport:
    """Fetch the latest release of every source in the manifest (or those
    named in ``only``) into ``dest_dir`` (default data/raw).

    check        report what is new without downloading
    allow_older  install a release older or narrower than the one held
    limits       size, time and retry limits (default :class:`Limits`)
    on_result    called with each source's result as it completes

    Configuration problems (the manifest, an unknown id) raise ConfigError
    before anything is fetched; per-source problems are ``failed`` results.
    """
    manifest = read_manifest(manifest_path)
    sources = manifest.select(only)
    bases = base_urls(manifest.services)
    dest = Path(dest_dir) if dest_dir is not None else paths.raw_dir()
    report = FetchReport()
    spacing = {urlparse(bases["govuk"]).netloc: GOVUK_SPACING}
    with folder_lock(dest) as cleaned, Client(limits, spacing=spacing) as client:
        report.cleaned = cleaned
        state = _read_state(dest)
        try:
            for src in sources:
                result = fetch_source(client, bases, src, dest, state, check=check, allow_older=allow_older)
                report.results.append(result)
                if on_result is not None:
                    on_result(result)
        finally:
            if not check:
                _write_state(dest, state)
    return report
