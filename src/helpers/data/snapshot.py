"""Store snapshots: the immutable folders a built indicator store lives in,
and what keeps them honest.

A snapshot ``<cache>/store-<key>/`` holds the store's Parquet tables and a
``meta.json`` that records the SHA-256 of every table; ``<key>`` is a hash of
the bytes the store was built from. It is written once, into a hidden
temporary folder renamed into place, and never changed after: a build (one
pack or a batch, every notebook and every worker) opens one snapshot by its
folder and sees the same figures from start to finish, whatever ``ingest`` or
``fetch`` do to the raw files meanwhile.

* :func:`copy_inputs` copies the raw files into the build's temporary folder,
  hashing each as it is read: the store is parsed from exactly the bytes its
  key names.
* :func:`read_tables` checks each table against its recorded checksum before
  reading it; a damaged, truncated or empty table raises
  :class:`DamagedSnapshot`, and the caller rebuilds.
* :func:`lease` marks a snapshot in use so pruning old snapshots never
  removes one a running build reads.
* :func:`owned_tempdir` and :func:`clean_leftovers` leave a note of the
  process that owns a temporary folder, so the folders of an interrupted
  build are removed at the next start and those of a build running now are
  not.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..errors import DataFileError, ScrutinyError

TABLES = ("indicators", "areas", "neighbours", "inspections", "inputs", "annotations")
OWNER_FILE = ".owner"
LEASES_DIR = ".leases"
#: A temporary folder with no owner note is left alone this long (seconds).
UNOWNED_GRACE_S = 6 * 3600
_CHUNK = 1 << 20


class DamagedSnapshot(ScrutinyError):
    """A snapshot whose tables do not match their checksums or cannot be read."""


# ------------------------------------------------------------------ inputs

def copy_inputs(files: list[Path], dest: Path) -> list[dict]:
    """Copy each input into ``dest`` (as ``<n>-<name>``), hashing the bytes
    as they are read; returns one record per file: the original path, the
    copy, its name, SHA-256 and size. A file that vanishes or cannot be read
    mid-copy is a :class:`DataFileError` naming it."""
    dest.mkdir(parents=True, exist_ok=True)
    records = []
    for i, src in enumerate(files):
        copy = dest / f"{i:03d}-{src.name}"
        h = hashlib.sha256()
        size = 0
        try:
            with open(src, "rb") as fin, open(copy, "wb") as fout:
                for chunk in iter(lambda: fin.read(_CHUNK), b""):
                    h.update(chunk)
                    fout.write(chunk)
                    size += len(chunk)
        except OSError as exc:
            raise DataFileError(src, f"could not be read while the store was built ({exc.strerror or exc})",
                                hint="If another command was replacing it, run again") from None
        records.append({"file": str(src), "copy": copy, "name": src.name, "sha256": h.hexdigest(), "size": size})
    return records


def key_of(records: list[dict], catalogue_bytes: bytes, salt: str) -> str:
    """The snapshot key: the schema and options (``salt``), the catalogue and
    every input's name and content hash."""
    h = hashlib.sha256(salt.encode())
    h.update(catalogue_bytes)
    for r in records:
        h.update(r["name"].encode() + b"\0" + r["sha256"].encode())
    return h.hexdigest()[:20]


# ------------------------------------------------------------------ tables

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def write_tables(folder: Path, frames: dict[str, pd.DataFrame], meta: dict) -> None:
    """Write each table as Parquet and ``meta.json`` with their checksums."""
    sums = {}
    for name in TABLES:
        path = folder / f"{name}.parquet"
        frames[name].to_parquet(path, index=False)
        sums[name] = _sha256(path)
    meta = {**meta, "checksums": sums}
    (folder / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    for p in folder.iterdir():
        if p.is_file():
            os.chmod(p, 0o644)
    os.chmod(folder, 0o755)


def read_meta(folder: Path) -> dict:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DamagedSnapshot(f"{folder}: meta.json is missing") from None
    except (OSError, ValueError) as exc:
        raise DamagedSnapshot(f"{folder}: meta.json cannot be read ({exc})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("checksums"), dict) or "key" not in meta:
        raise DamagedSnapshot(f"{folder}: meta.json lacks the key or the table checksums (an older cache)")
    return meta


def read_tables(folder: Path) -> tuple[dict, dict[str, pd.DataFrame]]:
    """(meta, tables) of a snapshot, each table checked against its
    checksum first; :class:`DamagedSnapshot` says which table is wrong."""
    meta = read_meta(folder)
    frames = {}
    for name in TABLES:
        path = folder / f"{name}.parquet"
        expected = meta["checksums"].get(name)
        try:
            actual = _sha256(path)
        except OSError as exc:
            raise DamagedSnapshot(f"{path}: cannot be read ({exc.strerror or exc})") from None
        if actual != expected:
            size = path.stat().st_size
            raise DamagedSnapshot(f"{path}: checksum does not match the one recorded when it was written "
                                  f"({'empty' if size == 0 else f'{size:,} bytes'})")
        try:
            frames[name] = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise DamagedSnapshot(f"{path}: cannot be read ({type(exc).__name__})") from None
    return meta, frames


def is_snapshot(folder) -> bool:
    """True for a folder that looks like a built store (meta.json and tables)."""
    try:
        p = Path(folder)
        return p.is_dir() and (p / "meta.json").is_file() and (p / "indicators.parquet").is_file()
    except (OSError, ValueError):
        return False


def discard(folder: Path) -> None:
    """Remove a snapshot: renamed aside first, so no reader sees half of it."""
    junk = folder.parent / f".junk-{folder.name}-{uuid.uuid4().hex[:8]}"
    try:
        os.rename(folder, junk)
    except OSError:
        return
    shutil.rmtree(junk, ignore_errors=True)


# ------------------------------------------------------------------ leases

def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str) -> bool:
    """Whether the process named ``host:pid`` may still run (always True for
    another host: it cannot be checked from here)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return not _zombie(int(pid))


def _zombie(pid: int) -> bool:
    """A process that has ended but not yet been reaped (its parent was
    killed, and whoever adopted it has not waited for it yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].startswith("Z")


@contextmanager
def lease(snapshot: Path):
    """Mark ``snapshot`` in use for the duration of the block."""
    folder = snapshot.parent / LEASES_DIR
    folder.mkdir(exist_ok=True)
    note = folder / f"{snapshot.name}.{uuid.uuid4().hex[:12]}"
    note.write_text(_me(), encoding="utf-8")
    try:
        yield snapshot
    finally:
        try:
            note.unlink()
        except OSError:
            pass


def leased(cache_dir: Path) -> set[str]:
    """Names of the snapshots a live process holds a lease on (dead leases are removed)."""
    names = set()
    folder = cache_dir / LEASES_DIR
    if not folder.is_dir():
        return names
    for note in folder.iterdir():
        try:
            owner = note.read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if _alive(owner):
            names.add(note.name.rsplit(".", 1)[0])
        else:
            try:
                note.unlink()
            except OSError:
                pass
    return names


# ------------------------------------------------------------------ temporary folders

def owned_tempdir(parent: Path, prefix: str, mode: int = 0o755) -> Path:
    """A fresh hidden folder in ``parent`` with a note of the process that owns it."""
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(tmp, mode)
    (tmp / OWNER_FILE).write_text(_me(), encoding="utf-8")
    return tmp


def clean_leftovers(parent: Path, pattern: str, grace_s: float = UNOWNED_GRACE_S, rescue=None) -> list[Path]:
    """Remove folders matching ``pattern`` in ``parent`` left by a process
    that has ended (its owner note names a dead process on this host), or,
    with no owner note, untouched for ``grace_s`` seconds. Symbolic links
    are never followed or removed. ``rescue(folder)``, when given, is asked
    first and may take a leftover elsewhere (returning True). Returns what
    was removed or rescued."""
    removed = []
    if not parent.is_dir():
        return removed
    now = time.time()
    for tmp in parent.glob(pattern):
        try:
            if tmp.is_symlink() or not tmp.is_dir():
                continue
            note = tmp / OWNER_FILE
            if note.is_file() and not note.is_symlink():
                stale = not _alive(note.read_text(encoding="utf-8").strip())
            else:
                stale = now - tmp.stat().st_mtime > grace_s
        except OSError:
            continue
        if stale:
            if rescue is None or not rescue(tmp):
                shutil.rmtree(tmp, ignore_errors=True)
            removed.append(tmp)
    return removed
