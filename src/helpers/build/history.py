"""Where a council's packs live under ``reports/``, and every earlier
complete pack kept as history.

::

    reports/<council-slug>/
      <period>/                     the committee's pack: the latest complete build for that period
      .history/<period>/<stamp>/    every pack it replaced, whole (stamp: when it was built, e.g.
                                    20261129T101502-3fa2c1), oldest first by name
      .partial/<period>/            the latest partial build (fewer sections or formats than the
                                    pack in <period>/), kept apart from it
      .failed/<period>/             what the last failed build produced
      .tmp-<period>-XXXX/           a build in progress
      .lock                         held for the instant a pack is moved into place

:func:`pack_history` lists a council's complete packs, newest first: what
"since the last pack" compares with. A pack is *complete* when its manifest
can be read and every file it lists is there with the SHA-256 recorded.

Packs built before history was kept may have a ``.previous/<period>/``
(one generation); it is listed too, and moved into ``.history`` the next
time a pack of that period is installed.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from ..errors import PackBuildError
from .fingerprint import read_manifest

HISTORY_DIR = ".history"
PARTIAL_DIR = ".partial"
PREVIOUS_DIR = ".previous"          # one generation, as packs were kept before history
LOCK_FILE = ".lock"
#: What a pack must hold at least as much of to replace another.
COVERED = ("sections", "formats", "editions")
_PERIOD = re.compile(r"^\d{4}$")
_LOCAL = threading.Lock()           # threads of one process (flock is per open file, not per thread)


# ------------------------------------------------------------------ reading

def is_intact(folder: Path) -> bool:
    """True when ``folder`` holds a readable manifest and every file it
    lists, each with the SHA-256 the manifest recorded."""
    from .fingerprint import files_match
    m = read_manifest(folder)
    files = m.get("files") if m else None
    return isinstance(files, dict) and bool(files) and files_match(folder, files)


def pack_history(reports_dir, slug: str, period: int | None = None) -> list[Path]:
    """Every complete pack of a council kept under ``reports_dir``, newest
    built first: the current pack of each period (``<slug>/<period>/``) and
    every earlier one (``<slug>/.history/<period>/<stamp>/``). With
    ``period``, only that period's. Partial, failed and unfinished builds are
    not listed. Each entry is a folder with its ``manifest.json`` and every
    file the manifest lists, checked against its SHA-256.

        >>> last = pack_history("reports", "devon")[0]      # doctest: +SKIP
        >>> json.loads((last / "manifest.json").read_text())["built"]
    """
    council = Path(reports_dir) / slug
    if not council.is_dir() or council.is_symlink():
        return []
    wanted = None if period is None else str(int(period))
    found = []
    for folder in _candidates(council):
        if wanted is not None and _period_of(council, folder) != wanted:
            continue
        if folder.is_symlink() or not is_intact(folder):
            continue
        built = str((read_manifest(folder) or {}).get("built", ""))
        current = folder.parent == council   # built in the same second as one it replaced: it is the newer
        found.append((built, current, folder.name, folder))
    found.sort(key=lambda item: item[:3], reverse=True)
    return [item[-1] for item in found]


def _candidates(council: Path):
    for child in council.iterdir():
        if _PERIOD.match(child.name) and child.is_dir():
            yield child
    for root in (council / HISTORY_DIR, council / PREVIOUS_DIR):
        if not root.is_dir() or root.is_symlink():
            continue
        for period_dir in root.iterdir():
            if not _PERIOD.match(period_dir.name) or period_dir.is_symlink():
                continue
            if root.name == PREVIOUS_DIR:
                yield period_dir
            elif period_dir.is_dir():
                yield from (p for p in period_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def _period_of(council: Path, folder: Path) -> str:
    rel = folder.relative_to(council).parts
    return rel[0] if len(rel) == 1 else rel[1]


# ------------------------------------------------------------------ places

def history_slot(pack: Path, council: Path | None = None) -> Path:
    """A new, unused place in the council's history for the pack now at
    ``pack`` (``<council>/<period>``, or a folder named for its period
    elsewhere in ``council``): ``.history/<period>/<built stamp>-<6 hex>``."""
    m = read_manifest(pack) or {}
    try:
        built = _dt.datetime.fromisoformat(str(m.get("built")))
    except ValueError:
        built = _dt.datetime.fromtimestamp(pack.stat().st_mtime)
    root = (council or pack.parent) / HISTORY_DIR / pack.name
    root.mkdir(parents=True, exist_ok=True)
    return root / f"{built:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def partial_dir(dest: Path) -> Path:
    """Where a partial build of ``dest``'s pack goes."""
    return dest.parent / PARTIAL_DIR / dest.name


def covers(new: dict | None, current: dict | None) -> bool:
    """Whether a pack with manifest ``new`` holds every section, format and
    edition of the pack with manifest ``current`` (and so may replace it).
    A pack without a readable manifest is replaced by anything."""
    if not current:
        return True
    if not new:
        return False
    for key in COVERED:
        have, had = new.get(key), current.get(key)
        if had and not set(had) <= set(have or ()):
            return False
    return True


def missing_from(new: dict | None, current: dict | None) -> list[str]:
    """What ``current`` has that ``new`` lacks, in words ("sections spending, looked_after")."""
    out = []
    for key in COVERED:
        had = (current or {}).get(key) or []
        lost = [x for x in had if x not in set((new or {}).get(key) or [])]
        if lost:
            out.append(f"{key} {', '.join(map(str, lost))}")
    return out


# ------------------------------------------------------------------ the lock

@contextmanager
def council_lock(council: Path, timeout: float = 120):
    """Hold ``<council>/.lock`` while a pack is moved into place, so two
    builds of one council's packs (two batches, or a batch and a single
    build) never move folders at the same time."""
    council.mkdir(parents=True, exist_ok=True)
    path = council / LOCK_FILE
    if path.is_symlink():
        raise PackBuildError(f"{path} is a symbolic link; remove it and build again")
    with _LOCAL:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        try:
            _acquire(fd, path, timeout)
            yield
        finally:
            os.close(fd)  # releases the lock


def _acquire(fd: int, path: Path, timeout: float) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: one process at a time is the operator's to keep
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise PackBuildError(f"{path}: another build has held this council's lock for {timeout:.0f} s; "
                                     f"if none is running, delete the file and build again") from None
            time.sleep(0.05)
