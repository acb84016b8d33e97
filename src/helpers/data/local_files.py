"""Finding a council's own monthly figures, and only that council's.

* Council names match without regard to case, spacing, "&"/"and" or the
  words a council's formal name adds ("Devon County Council" is Devon).
* A file names its council (a ``council`` column or a ``# council:`` line);
  a file given for one council that holds another's figures is refused.
* With several files for one council in ``data/local/``, each month comes
  from the file that reaches the newest month, and the overlaps are reported.
* Looking for one council's files reads only what each file declares (its
  ``# council:`` line or ``about`` sheet and its council column; for a
  workbook, only its first rows), after the size guards, so a large
  unrelated workbook in ``data/local/`` costs a pack nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import DataFileError, ParameterError

#: The first rows of a workbook read to learn which councils it holds.
DECLARED_ROWS = 2000
_FORMAL = re.compile(r"\b(metropolitan borough|royal borough of|london borough of|borough|county|city of|city|"
                     r"district|unitary|council|the)\b")


def council_key(name) -> str:
    """A council's name reduced for matching: 'Devon County Council' -> 'devon',
    'Brighton & Hove' -> 'brighton and hove'."""
    text = str(name or "").lower().replace("&", " and ")
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    stripped = re.sub(r"\s+", " ", _FORMAL.sub(" ", text)).strip()
    return stripped or re.sub(r"\s+", " ", text).strip()


def same_council(a, b) -> bool:
    return bool(council_key(a)) and council_key(a) == council_key(b)


def declared_councils(path: Path) -> list[str]:
    """The councils a local figures file says it holds, read cheaply; [] for
    a file that is not local figures, too large, or unreadable."""
    from ..loaders.local import check_local_size, sniff_local
    try:
        check_local_size(path)
        if not sniff_local(path):
            return []
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return _declared_xlsx(path)
        return _declared_csv(path)
    except (DataFileError, OSError, ValueError):
        return []


def _declared_csv(path: Path) -> list[str]:
    from ..loaders.local import _norm_header, _read_csv
    rows, meta = _read_csv(path)
    if not rows:
        return []
    header = [_norm_header(c) for c in rows[0][1]]
    names: dict[str, str] = {}
    if "council" in header:
        i = header.index("council")
        for _, cells in rows[1:]:
            if i < len(cells) and str(cells[i]).strip():
                names.setdefault(council_key(cells[i]), str(cells[i]).strip())
    if meta.get("council"):
        names.setdefault(council_key(meta["council"]), meta["council"])
    return list(names.values())


def _declared_xlsx(path: Path) -> list[str]:
    import openpyxl
    from ..loaders.local import _norm_header
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        names: dict[str, str] = {}
        for sheet in wb.sheetnames:
            col = None
            for i, row in enumerate(wb[sheet].iter_rows(values_only=True, max_row=DECLARED_ROWS)):
                cells = ["" if v is None else str(v).strip() for v in (row or ())]
                if not cells:
                    continue
                first = cells[0]
                if first.startswith("#") and ":" in first:
                    k, v = first[1:].split(":", 1)
                    if k.strip().lower() == "council" and v.strip():
                        names.setdefault(council_key(v), v.strip())
                elif sheet.strip().lower() in ("about", "metadata"):
                    if first.rstrip(":").lower() == "council" and len(cells) > 1 and cells[1]:
                        names.setdefault(council_key(cells[1]), cells[1])
                elif col is None and "council" in [_norm_header(c) for c in cells]:
                    col = [_norm_header(c) for c in cells].index("council")
                elif col is not None and col < len(cells) and cells[col]:
                    names.setdefault(council_key(cells[col]), cells[col])
        return list(names.values())
    finally:
        wb.close()


def candidate_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink() and not p.name.startswith(".")
                  and p.suffix.lower() in (".csv", ".xlsx"))


def files_for(council: str, folders) -> list[Path]:
    """Every local figures file in ``folders`` that holds ``council``'s figures."""
    out = []
    for folder in folders:
        for p in candidate_files(Path(folder)):
            if any(same_council(c, council) for c in declared_councils(p)):
                out.append(p)
    return out


def council_rows(frame: pd.DataFrame, council: str, *, path) -> pd.DataFrame:
    """The rows of ``frame`` for ``council`` (any case or formal name); a
    :class:`ParameterError` naming what the file holds when there are none."""
    keys = frame["council"].map(council_key)
    rows = frame[keys == council_key(council)]
    if rows.empty:
        held = ", ".join(dict.fromkeys(frame["council"])) or "no council"
        raise ParameterError("local_figures", f"the file holds figures for {held}, not {council}. Give "
                                              f"{council}'s own file, or correct the council it names (its "
                                              f"'council' column or '# council:' line)", str(path))
    return rows.assign(council=str(rows["council"].iloc[0]))


def combine_files(frames: list[tuple[Path, pd.DataFrame]]) -> tuple[pd.DataFrame, list[str]]:
    """One council's rows from several files: for each month of each measure,
    team and breakdown, the row of the file that reaches the newest month
    wins. Returns (rows, notes on each overlap)."""
    if len(frames) == 1:
        return frames[0][1], []
    ordered = sorted(frames, key=lambda pf: (pf[1]["month"].max(), pf[1]["month"].min()), reverse=True)
    key = ["measure", "team", "breakdown", "month"]
    tagged = [f.assign(_file=p.name, _rank=i) for i, (p, f) in enumerate(ordered)]
    allrows = pd.concat(tagged, ignore_index=True)
    kept = allrows.sort_values("_rank", kind="stable").drop_duplicates(key, keep="first")
    notes = []
    winner = ordered[0][0].name
    for rank, (path, frame) in enumerate(ordered[1:], start=1):
        overlap = frame.merge(kept[kept["_rank"] < rank][key + ["value", "_file"]], on=key,
                              suffixes=("", "_kept"))
        if overlap.empty:
            continue
        differ = int((overlap["value"] - overlap["value_kept"]).abs().gt(1e-9).sum())
        notes.append(f"{path.name} and {winner} both hold {overlap['month'].min():%b %Y} to "
                     f"{overlap['month'].max():%b %Y} ({len(overlap)} figures, {differ} different); the newer "
                     f"file's figures are used")
    out = kept.drop(columns=["_file", "_rank"]).sort_values(["council", "measure", "team", "breakdown", "month"],
                                                            kind="stable").reset_index(drop=True)
    return out, notes
