"""Putting a new release in place in ``data/raw/`` safely; shared by fetch
and ingest.

* One fetch or ingest at a time per folder (a lock file, ``.lock``); the
  first thing each does is remove the temporary files an interrupted run
  left behind (hidden names holding ``.part``, or ending ``.partial`` or
  ``.tmp``).
* A file is loaded in full by the project's own loader before it replaces
  anything: one bad cell or a file cut off mid-row is refused with the file,
  row, column and value.
* A file older (latest period earlier) or narrower (fewer periods; areas or
  measures missing from a period both hold) than the one held is refused
  unless the caller allows it, naming what each holds.
* The replaced copy is kept as ``.replaced/<name>.<YYYYMMDD-HHMMSS>`` (the
  newest three of each name), and the new file goes in with one atomic
  rename, readable by the group (mode 0644 under the usual umask).
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import DataFileError, ScrutinyError

REPLACED_DIR = ".replaced"
KEEP_REPLACED = 3
LOCK_NAME = ".lock"
LOCK_WAIT_SECONDS = 600.0
_SPREADSHEET_OR_CSV = {".csv", ".ods", ".xlsx", ".xls", ".xlsm"}


class RefusedError(DataFileError):
    """A release that would replace a newer or wider one."""


# ------------------------------------------------------------ the folder

def is_temporary(name: str) -> bool:
    """A temporary file of an interrupted fetch or ingest."""
    return name.startswith(".") and (".part" in name or name.endswith((".tmp", ".partial")))


def clean_temporaries(folder: Path) -> list[str]:
    """Remove what interrupted runs left in ``folder``; returns the names."""
    removed = []
    if not folder.is_dir():
        return removed
    for p in folder.iterdir():
        if is_temporary(p.name) and (p.is_file() or p.is_symlink()):
            try:
                p.unlink()
                removed.append(p.name)
            except OSError:
                pass
    return removed


@contextmanager
def folder_lock(folder: Path, wait: float = LOCK_WAIT_SECONDS):
    """Hold the folder's lock (waiting up to ``wait`` seconds for another
    fetch or ingest to finish), then clean up after interrupted runs. Yields
    the names of the temporary files removed."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise ScrutinyError(f"{folder}: another fetch or ingest has been writing here for over "
                                        f"{wait:.0f} s; wait for it to finish (or stop it) and try again") from None
                time.sleep(0.2)
        yield clean_temporaries(folder)
    finally:
        os.close(fd)


def temp_path(folder: Path, filename: str) -> Path:
    """A fresh hidden temporary file in ``folder`` that keeps the file's
    extension (loaders choose by it) and that :func:`is_temporary` knows."""
    stem, dot, ext = filename.rpartition(".")
    suffix = f".part.{ext}" if dot else ".part"
    fd, tmp = tempfile.mkstemp(prefix=f".{stem or filename}.", suffix=suffix, dir=folder)
    os.close(fd)
    return Path(tmp)


def readable_mode() -> int:
    """0666 less the process's umask: what an ordinary new file gets."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


# ------------------------------------------------------------ what a file holds

@dataclass
class Holding:
    """What one release holds: its periods, the areas in each, its measures."""

    publication: str
    areas_by_period: dict = field(default_factory=dict)   # period (or None) -> set of area codes
    measures: set = field(default_factory=set)
    rows: int = 0

    @property
    def periods(self) -> list[int]:
        return sorted(p for p in self.areas_by_period if p is not None)

    @property
    def latest(self) -> int | None:
        return self.periods[-1] if self.periods else None

    def describe(self) -> str:
        parts = []
        if self.periods:
            p = self.periods
            parts.append(f"periods {p[0]}-{p[-1]} ({len(p)})")
        areas = set().union(*self.areas_by_period.values()) if self.areas_by_period else set()
        parts.append(f"{len(areas)} areas")
        if self.measures:
            parts.append(f"{len(self.measures)} measures")
        return ", ".join(parts)


def holding(publication: str, frame: pd.DataFrame) -> Holding:
    """Summarise a loaded release (any loader's frame)."""
    out = Holding(publication, rows=len(frame))
    present = [c for c in ("area_code", "ons_code", "la_name") if c in frame.columns]
    if not present:
        return out
    # DfE's LA numbers where the file has them; else the column that tells
    # most areas apart (finance files name councils by ONS code only)
    counts = {c: frame[c].astype(str).str.strip().replace("", None).nunique() for c in present}
    area_col = present[0] if counts[present[0]] * 2 >= max(counts.values()) else max(counts, key=counts.get)
    areas = frame[area_col].astype(str).str.strip()
    if "period" in frame.columns:
        for period, group in areas.groupby(frame["period"]):
            out.areas_by_period[int(period)] = set(group)
    else:
        out.areas_by_period[None] = set(areas)
    if "measure" in frame.columns:
        out.measures = set(frame["measure"].astype(str))
    return out


def narrower_or_older(new: Holding, held: Holding) -> str | None:
    """Why ``new`` should not replace ``held``, or None."""
    if new.latest is not None and held.latest is not None and new.latest < held.latest:
        return f"it is older: its latest period is {new.latest}, the file held reaches {held.latest}"
    if len(new.periods) < len(held.periods):
        return f"it is narrower: {len(new.periods)} periods where the file held has {len(held.periods)}"
    for period, areas in sorted(held.areas_by_period.items(), key=lambda kv: -1 if kv[0] is None else kv[0],
                                reverse=True):
        if period in new.areas_by_period:
            missing = areas - new.areas_by_period[period]
            if missing:
                when = f" in {period}" if period is not None else ""
                return (f"it is narrower: {len(missing)} areas of the file held are missing{when} "
                        f"({', '.join(sorted(missing)[:6])}{', ...' if len(missing) > 6 else ''})")
    missing = held.measures - new.measures
    if missing:
        return (f"it is narrower: measures of the file held are missing "
                f"({', '.join(sorted(missing)[:6])}{', ...' if len(missing) > 6 else ''})")
    return None


def load_fully(path: Path, publication: str, shown: Path | str | None = None) -> Holding:
    """Load every row of ``path`` with the publication's own loader; errors
    name ``shown`` (the user's file) rather than a temporary name."""
    from ..loaders import load
    try:
        _, frame = load(path, publication)
    except DataFileError as exc:
        if shown is None or Path(shown) == path:
            raise
        raise DataFileError(shown, exc.detail, row=exc.row, column=exc.column, value=exc.value,
                            hint=exc.hint) from None
    except (ValueError, KeyError, TypeError, IndexError, OSError) as exc:
        raise DataFileError(shown or path, f"cannot be read in full as {publication} "
                                           f"({type(exc).__name__}: {exc})",
                            hint="Download the file again; if it persists the publisher may have "
                                 "changed its layout") from None
    if frame is None or len(frame) == 0:
        raise DataFileError(shown or path, f"holds no rows of {publication}", hint="Download it again")
    return holding(publication, frame)


# ------------------------------------------------------------ replacing

@dataclass
class Installed:
    path: Path
    status: str            # "new", "replaced" or "unchanged"
    holding: Holding | None = None
    kept: Path | None = None
    note: str = ""


def held_copies(final: Path) -> list[Path]:
    """The file held under ``final``'s name, and any copy of the same
    publication held under another extension (a .csv replaced by an .xlsx)."""
    olds = [final] if final.is_file() else []
    olds += [p for p in final.parent.glob(f"{final.stem}.*")
             if p != final and p.suffix.lower() in _SPREADSHEET_OR_CSV and p.is_file()]
    return olds


def vet(new: Holding, final: Path, publication: str, *, shown: Path | str, allow_older: bool = False) -> str:
    """Compare a loaded release with the file held; raise RefusedError when
    it is older or narrower (unless ``allow_older``). Returns a note for the
    report ("" when there is nothing to say)."""
    olds = held_copies(final)
    if not olds:
        return ""
    try:
        held = load_fully(olds[0], publication)
    except DataFileError as exc:
        return f"the file held could not be read ({exc.detail}), so it is replaced"
    reason = narrower_or_older(new, held)
    if reason and not allow_older:
        raise RefusedError(shown, f"not installed: {reason}. It holds {new.describe()}; {olds[0]} holds "
                                  f"{held.describe()}",
                           hint="The file held was kept. If you do mean to go back to this release, "
                                "run the command again with --allow-older")
    return f"installed although {reason} (--allow-older)" if reason else ""


def put_in_place(staged: Path, final: Path) -> Installed:
    """Move ``staged`` (a temporary file in the destination folder) to
    ``final`` with one rename, readable by the group, keeping the file it
    replaces under ``.replaced/``."""
    olds = held_copies(final)
    os.chmod(staged, readable_mode())
    kept = _keep_copies(olds, final.parent)
    os.replace(staged, final)
    for extra in olds:
        if extra != final:
            extra.unlink(missing_ok=True)
    return Installed(final, "replaced" if olds else "new", kept=kept)


def _keep_copies(olds: list[Path], folder: Path) -> Path | None:
    """Hard-link (or copy) each file about to be replaced into .replaced/
    with a time stamp; prune to the newest KEEP_REPLACED of each name."""
    if not olds:
        return None
    store = folder / REPLACED_DIR
    store.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    first = None
    for old in olds:
        copy = store / f"{old.name}.{stamp}"
        n = 1
        while copy.exists():
            n += 1
            copy = store / f"{old.name}.{stamp}-{n}"
        try:
            os.link(old, copy)
        except OSError:
            shutil.copy2(old, copy)
        first = first or copy
        previous = sorted((p for p in store.glob(f"{old.name}.*") if p.is_file()),
                          key=lambda p: p.name, reverse=True)   # the names carry the time stamp
        for stale in previous[KEEP_REPLACED:]:
            stale.unlink(missing_ok=True)
    return first
