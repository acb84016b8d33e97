"""The two editions one build writes, and what the members' edition needs
from earlier packs.

* The full edition (``pack.html``, ``pack.pdf``): every section notebook.
* The members' edition (``members.html``, ``members.pdf``): the members'
  notebook (metadata ``scrutiny.edition: members``), with its own cover.
* ``figures.json``: the pack's figures record (:mod:`helpers.stats.record`),
  which the next pack reads to say what changed since this one; the record
  this pack compared with is kept beside it as ``previous-figures.json``.

The last pack is the newest complete pack of the same council in
``reports/<council>/`` (any period). Rebuilding from unchanged inputs
compares with the same earlier pack as before, so a pack whose inputs have
not changed keeps its fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

__all__ = ["MEMBERS", "RECORD", "PREVIOUS_RECORD", "split_members", "find_previous", "with_previous",
           "write_record", "keep_previous"]

MEMBERS = "members"
RECORD = "figures.json"
PREVIOUS_RECORD = "previous-figures.json"


def split_members(notebooks: dict) -> tuple[dict, Path | None]:
    """(the full edition's section notebooks, the members' notebook or None)."""
    sections = {sid: p for sid, p in notebooks.items() if sid != MEMBERS}
    return sections, notebooks.get(MEMBERS)


def _manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def find_previous(council_dir: Path, base_fingerprint: str) -> Path | None:
    """The figures record to compare this build with: the newest complete pack
    of the council (any period), or, when that pack was built from the same
    inputs as this build, the record it compared with itself."""
    packs = []
    if council_dir.is_dir():
        for folder in council_dir.iterdir():
            if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
                continue
            manifest = _manifest(folder)
            if manifest and (folder / RECORD).is_file():
                packs.append((str(manifest.get("built", "")), folder, manifest))
    if not packs:
        return None
    _, newest, manifest = max(packs, key=lambda p: p[0])
    if manifest.get("base_fingerprint") == base_fingerprint:
        kept = newest / PREVIOUS_RECORD
        return kept if kept.is_file() else None
    return newest / RECORD


def with_previous(base_fingerprint: str, previous: Path | None) -> str:
    """The pack's fingerprint: its inputs' and the record it compares with."""
    h = hashlib.sha256(base_fingerprint.encode())
    if previous is not None:
        h.update(b"|previous|" + previous.read_bytes())
    return h.hexdigest()[:32]


def write_record(members, tmp: Path, built: str) -> str:
    """Write the pack's figures record; returns its file name."""
    record = members.record()
    record["built"] = built
    (tmp / RECORD).write_text(json.dumps(record, indent=1, default=str), encoding="utf-8")
    return RECORD


def keep_previous(previous: Path | None, tmp: Path) -> str | None:
    """Keep the record this pack compared with inside the pack."""
    if previous is None:
        return None
    shutil.copyfile(previous, tmp / PREVIOUS_RECORD)
    return PREVIOUS_RECORD
