"""Putting a finished pack in place under ``reports/``, and nothing else.

A pack is built in a hidden temporary folder beside its destination and
renamed into place; the pack it replaces is kept in
``<council>/.previous/<period>`` and a failed build's output in
``<council>/.failed/<period>``. Every folder on those paths is checked
before anything moves: a symbolic link anywhere under ``reports/`` (the
council's folder, the period folder, ``.previous``, ``.failed``) is refused
with a message, never followed, so no build moves or deletes anything
outside ``reports/``. Temporary folders carry a note of the process that owns
them; those of an interrupted build are removed at the next start.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from ..data.snapshot import clean_leftovers, owned_tempdir
from ..errors import PackBuildError

PREVIOUS_DIR = ".previous"
FAILED_DIR = ".failed"
TMP_PREFIX = ".tmp-"


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
    candidates = [council, dest, council / PREVIOUS_DIR, council / PREVIOUS_DIR / dest.name,
                  council / FAILED_DIR, council / FAILED_DIR / dest.name]
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
    return owned_tempdir(dest.parent, f"{TMP_PREFIX}{period}-")


def install_pack(tmp: Path, dest: Path) -> None:
    """Move a finished pack into place. The current pack (if any) becomes
    ``<council>/.previous/<period>`` (replacing the one kept before), then the
    new folder is renamed to ``<council>/<period>``. Both are renames within
    one folder tree on one file system: a reader sees the old complete pack
    or the new complete pack, never a half-written one."""
    check_no_links(dest.parent.parent, dest)
    owner = tmp / ".owner"
    if owner.exists():
        owner.unlink()
    prev_root = dest.parent / PREVIOUS_DIR
    if dest.exists():
        prev_root.mkdir(exist_ok=True)
        prev = prev_root / dest.name
        if prev.exists():
            junk = owned_tempdir(dest.parent, f"{TMP_PREFIX}old-")
            os.replace(prev, junk / "x")
            shutil.rmtree(junk, ignore_errors=True)
        os.replace(dest, prev)
    os.replace(tmp, dest)


def keep_failed(tmp: Path, dest: Path) -> None:
    """Keep what a failed build produced (the executed notebooks show the
    error) in <council>/.failed/<period>, out of a reader's way. Where that
    path is a symbolic link, the output is discarded instead."""
    failed_root = dest.parent / FAILED_DIR
    failed = failed_root / dest.name
    try:
        if _is_link(failed_root) or _is_link(failed) or _is_link(dest.parent):
            raise OSError("symbolic link")
        if failed.exists():
            junk = owned_tempdir(dest.parent, f"{TMP_PREFIX}old-")
            os.replace(failed, junk / "x")
            shutil.rmtree(junk, ignore_errors=True)
        failed_root.mkdir(exist_ok=True)
        owner = tmp / ".owner"
        if owner.exists():
            owner.unlink()
        os.replace(tmp, failed)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def clean_stale_temporaries(reports_dir: Path, older_than_s: float = 3600) -> int:
    """Remove temporary folders left by a build that has ended (its owner
    note names a dead process) or, without a note, untouched for an hour; a
    build running now is not touched, and no symbolic link is followed."""
    reports_dir = Path(reports_dir)
    n = 0
    if not reports_dir.is_dir():
        return 0
    for council in reports_dir.iterdir():
        if council.name.startswith(".") or _is_link(council) or not council.is_dir():
            continue
        n += len(clean_leftovers(council, f"{TMP_PREFIX}*", grace_s=older_than_s))
    return n
