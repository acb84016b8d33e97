"""Putting a finished pack in place under ``reports/``, and nothing else.

A pack is built in a hidden temporary folder beside its destination and
renamed into place (see :mod:`helpers.build.history` for the layout). Under
the council's lock, the pack it replaces moves whole into
``<council>/.history/<period>/<stamp>/``, then the new folder is renamed to
``<council>/<period>``; a build with fewer sections or formats than the pack
in place goes to ``<council>/.partial/<period>`` instead, unless asked to
replace it. A failed build's output goes to ``<council>/.failed/<period>``.

Every folder on those paths is checked before anything moves: a symbolic
link anywhere under ``reports/`` is refused with a message, never followed,
so no build moves or deletes anything outside ``reports/``. Temporary
folders carry a note of the process that owns them; those of an interrupted
build are removed at the next start, and a finished pack whose build was
killed between its two renames is put in place.
"""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..data.snapshot import OWNER_FILE, clean_leftovers, owned_tempdir
from ..errors import PackBuildError
from . import stop
from .fingerprint import read_manifest
from .history import (HISTORY_DIR, PARTIAL_DIR, PREVIOUS_DIR, council_lock, covers, history_slot, is_intact,
                      missing_from, partial_dir)

FAILED_DIR = ".failed"
TMP_PREFIX = ".tmp-"
#: Build folders of this process not yet installed or discarded (removed if the process is stopped).
_UNFINISHED: set[Path] = set()


@dataclass
class Installed:
    """Where a pack went: ``folder``; ``partial`` when it was kept apart
    from the committee's pack, with what it lacks (``missing``)."""
    folder: Path
    partial: bool = False
    missing: tuple = ()


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def check_no_links(reports_dir: Path, dest: Path) -> None:
    """Refuse to build when any folder the build would write, move or delete
    under ``reports_dir`` is a symbolic link (or the reports folder itself
    resolves somewhere a link points). Checked before any work starts."""
    reports_dir = Path(reports_dir)
    council = dest.parent
    candidates = [council, dest]
    for kept in (PREVIOUS_DIR, FAILED_DIR, HISTORY_DIR, PARTIAL_DIR):
        candidates += [council / kept, council / kept / dest.name]
    for path in candidates:
        if _is_link(path):
            raise PackBuildError(f"{path} is a symbolic link; a pack build never writes, moves or deletes through "
                                 f"one. Remove the link (the folder it points to is not touched) or move the "
                                 f"real folder there, then build again")
    base = reports_dir.resolve()
    if base not in council.resolve().parents:
        raise PackBuildError(f"{council} lies outside {reports_dir}; remove the link that leads there")


def new_build_folder(dest: Path, period) -> Path:
    """A fresh temporary folder for a pack beside ``dest``, readable by the group."""
    tmp = owned_tempdir(dest.parent, f"{TMP_PREFIX}{period}-")
    _UNFINISHED.add(tmp)
    return tmp


def install_pack(tmp: Path, dest: Path, *, replace_partial: bool = False) -> Installed:
    """Move a finished pack into place, under the council's lock.

    When the pack in place has a section, format or edition the new one
    lacks, the new one goes to ``<council>/.partial/<period>`` (the
    committee's pack stays) unless ``replace_partial``. Otherwise the pack
    in place moves whole into history and the new folder is renamed to
    ``<council>/<period>``. Both are renames within one folder tree on one
    file system, made with stop signals held back: a reader sees the old
    complete pack or the new complete pack, never a half-written one."""
    check_no_links(dest.parent.parent, dest)
    with council_lock(dest.parent), stop.uninterrupted():
        new, current = read_manifest(tmp), read_manifest(dest)
        if not replace_partial and not covers(new, current):
            place = partial_dir(dest)
            place.parent.mkdir(exist_ok=True)
            _remove(place)
            os.replace(tmp, place)
            done = Installed(place, partial=True, missing=tuple(missing_from(new, current)))
        else:
            if dest.exists():
                os.replace(dest, history_slot(dest))
            os.replace(tmp, dest)
            _adopt_previous(dest)
            done = Installed(dest)
        _UNFINISHED.discard(tmp)
        _unlink(done.folder / OWNER_FILE)
    return done


def _adopt_previous(dest: Path) -> None:
    """A pack kept the old way (``.previous/<period>``) joins the history."""
    old = dest.parent / PREVIOUS_DIR / dest.name
    if old.is_dir() and not old.is_symlink():
        if is_intact(old):
            os.replace(old, history_slot(old, dest.parent))
        else:
            _remove(old)
    try:
        (dest.parent / PREVIOUS_DIR).rmdir()
    except OSError:
        pass


def keep_failed(tmp: Path, dest: Path) -> None:
    """Keep what a failed build produced (the executed notebooks show the
    error) in <council>/.failed/<period>, out of a reader's way. Where that
    path is a symbolic link, the output is discarded instead."""
    failed_root = dest.parent / FAILED_DIR
    failed = failed_root / dest.name
    try:
        if _is_link(failed_root) or _is_link(failed) or _is_link(dest.parent):
            raise OSError("symbolic link")
        with council_lock(dest.parent):
            _remove(failed)
            failed_root.mkdir(exist_ok=True)
            _unlink(tmp / OWNER_FILE)
            os.replace(tmp, failed)
    except (OSError, PackBuildError):
        shutil.rmtree(tmp, ignore_errors=True)
    _UNFINISHED.discard(tmp)


def discard(tmp: Path) -> None:
    """Remove an unfinished build's folder (a build that was stopped), and
    the council's folder when that leaves it empty."""
    shutil.rmtree(tmp, ignore_errors=True)
    _UNFINISHED.discard(tmp)
    try:
        tmp.parent.rmdir()
    except OSError:  # it holds packs (or another build's folder)
        pass


def discard_unfinished() -> None:
    """Remove every build folder of this process not yet in place (run when
    the process is told to stop)."""
    for tmp in list(_UNFINISHED):
        discard(tmp)


def _remove(folder: Path) -> None:
    """Remove a folder: renamed aside first (a reader never sees half of
    it), then deleted."""
    if not folder.exists() or _is_link(folder):
        return
    junk = folder.parent / f"{TMP_PREFIX}old-{uuid.uuid4().hex[:12]}"
    os.replace(folder, junk)
    shutil.rmtree(junk, ignore_errors=True)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def clean_stale_temporaries(reports_dir: Path, older_than_s: float = 3600) -> int:
    """Remove temporary folders left by a build that has ended (its owner
    note names a dead process) or, without a note, untouched for an hour; a
    build running now is not touched, and no symbolic link is followed. A
    finished pack whose build was killed between moving the old pack aside
    and moving the new one in is put in place instead."""
    reports_dir = Path(reports_dir)
    n = 0
    if not reports_dir.is_dir():
        return 0
    for council in reports_dir.iterdir():
        if council.name.startswith(".") or _is_link(council) or not council.is_dir():
            continue
        n += len(clean_leftovers(council, f"{TMP_PREFIX}*", grace_s=older_than_s, rescue=_rescue))
    return n


def _rescue(tmp: Path) -> bool:
    """Put a stale build folder's pack in place when its period has no pack
    and the pack is complete; True when it was."""
    period = tmp.name[len(TMP_PREFIX):].split("-", 1)[0]
    dest = tmp.parent / period
    if not period.isdigit() or dest.exists() or not is_intact(tmp):
        return False
    with council_lock(tmp.parent):
        if dest.exists():
            return False
        os.replace(tmp, dest)
    _unlink(dest / OWNER_FILE)
    return True
