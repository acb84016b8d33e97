"""Ofsted local authority children's services inspection outcomes.

The official-statistics workbook (``LA_Inspection_Outcomes_as_at_31_March_2025.ods``)
has cover, contents and notes sheets, then:

* ``Inspections_as_at_31_March``: each council's most recent judgements;
* ``In-year_inspections``: inspections and visits in the year;
* ``ILACS_inspection_history``: every ILACS short and standard inspection since
  2018, with a "Local authority status" column (Current / No longer exists).

Each data sheet has a title line, a description line, then the header row
(found here by content, not position). The overall and sub-judgement columns
become snake_case columns; the familiar ILACS headers get short names:

=====================================================================  ==========================
header                                                                 column
=====================================================================  ==========================
Overall effectiveness                                                  ``overall_effectiveness``
The impact of leaders on social work practice with children and ...   ``impact_of_leaders``
The experiences and progress of children who need help and protection  ``help_and_protection``
The experiences and progress of children in care                       ``children_in_care``
The experiences and progress of care leavers                           ``care_leavers``
The experiences and progress of children in care and care leavers     ``children_in_care_and_care_leavers``
=====================================================================  ==========================

Any other judgement column is kept under the snake_case of its header.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataFileError
from .finance import excel_engine, sheet_names

__all__ = ["JUDGEMENTS", "sniff_inspections", "load_inspections", "load_inspection_history"]

#: Judgement grades Ofsted uses (ILACS and the earlier single inspection framework).
JUDGEMENTS = ("Outstanding", "Good", "Requires improvement to be good", "Requires improvement",
              "Adequate", "Inadequate")
_GRADES = {g.lower(): g for g in JUDGEMENTS}

_SHORT_NAMES = {
    "overall effectiveness": "overall_effectiveness",
    "the impact of leaders on social work practice with children and families": "impact_of_leaders",
    "the experiences and progress of children who need help and protection": "help_and_protection",
    "the experiences and progress of children in care": "children_in_care",
    "the experiences and progress of care leavers": "care_leavers",
    "the experiences and progress of children in care and care leavers": "children_in_care_and_care_leavers",
}
_ID_COLUMNS = {
    "local authority area code": "ons_code", "ons code": "ons_code", "area code": "ons_code",
    "la code": "ons_code", "local authority code": "ons_code",
    "local authority name": "la_name", "local authority": "la_name", "la name": "la_name",
    "ofsted region": "region_name", "region": "region_name",
    "inspection date": "inspection_date", "inspection/visit date": "inspection_date",
    "inspection start date": "inspection_date",
    "publication date": "publication_date", "report publication date": "publication_date",
    "inspection type": "inspection_type", "inspection/visit type": "inspection_type",
    "local authority status": "la_status",
    "visit theme": "visit_theme",
    "web link": None,
}
#: Headers read as judgement columns besides those in _SHORT_NAMES.
_JUDGEMENT_HEADER = re.compile(r"effectiveness|experiences and progress|impact of leaders|judgement")
_LATEST_SHEET = re.compile(r"inspections?[ _-]*as[ _-]*at", re.IGNORECASE)
_HISTORY_SHEET = re.compile(r"inspection[ _-]*history", re.IGNORECASE)
_HINT = ("Download the workbook again from Ofsted's 'Local authority children's services "
         "inspection outcomes' official statistics page")


def _norm(text) -> str:
    text = str(text).replace("’", "'").replace("\n", " ")
    return " ".join(text.split()).lower().rstrip(":")


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", _norm(text)).strip("_")


def _is_blank(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


# --------------------------------------------------------------------------
# Recognising the workbook
# --------------------------------------------------------------------------

def sniff_inspections(path) -> bool:
    """True if ``path`` is Ofsted's LA children's services inspection outcomes
    workbook, judged by its sheet names (``Inspections_as_at_31_March``,
    ``ILACS_inspection_history``). Reads no cells; never raises."""
    path = Path(path)
    try:
        if not zipfile.is_zipfile(path):
            return False
        names = sheet_names(path)
    except (OSError, DataFileError):
        return False
    return any(_LATEST_SHEET.search(n) or _HISTORY_SHEET.search(n) for n in names)


# --------------------------------------------------------------------------
# Reading sheets
# --------------------------------------------------------------------------

def _read(path: Path, sheets: list[str]) -> dict[str, pd.DataFrame]:
    try:
        return pd.read_excel(path, sheet_name=sheets, header=None, engine=excel_engine(path), dtype=object)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
        raise DataFileError(path, f"cannot be read as a spreadsheet ({exc})", hint=_HINT) from exc


def _header_row(grid: pd.DataFrame, limit: int = 30) -> int | None:
    for i in range(min(limit, len(grid))):
        cells = {_norm(v) for v in grid.iloc[i].tolist() if isinstance(v, str)}
        if "overall effectiveness" in cells and cells & {"local authority name", "local authority", "la name"}:
            return i
    return None


def _as_at(texts: list[str], path: Path) -> pd.Timestamp:
    """'... as at 31 March 2025' in a title, else in the file name."""
    for text in texts + [path.stem.replace("_", " ")]:
        m = re.search(r"as at (\d{1,2}) ([A-Za-z]+),? (\d{4})", text, re.IGNORECASE)
        if m:
            try:
                return pd.Timestamp(pd.to_datetime(" ".join(m.groups()), format="%d %B %Y"))
            except ValueError:
                continue
    return pd.NaT


def _parse_date(v, path: Path, sheet: str, row: int, column: str):
    if _is_blank(v):
        return pd.NaT
    if isinstance(v, pd.Timestamp):
        return v.normalize()
    if hasattr(v, "year") and hasattr(v, "month"):
        return pd.Timestamp(v).normalize()
    try:
        return pd.Timestamp(pd.to_datetime(str(v).strip(), dayfirst=True)).normalize()
    except (ValueError, TypeError):
        raise DataFileError(path, f"sheet '{sheet}' holds text that is not a date", row=row,
                            column=column, value=v, hint=_HINT) from None


def _parse_grade(v, path: Path, sheet: str, row: int, column: str):
    if _is_blank(v):
        return None
    grade = _GRADES.get(_norm(v))
    if grade is None:
        raise DataFileError(path, f"sheet '{sheet}' holds a judgement Ofsted does not use", row=row,
                            column=column, value=v,
                            hint="Judgements are " + ", ".join(JUDGEMENTS) + ". " + _HINT)
    return grade


def _framework(inspection_type) -> str:
    if _is_blank(inspection_type):
        return ""
    first = str(inspection_type).split()[0]
    return first.upper() if first.isalpha() else str(inspection_type)


def _table(path: Path, sheet: str, grid: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The sheet's table with standard column names. Returns the frame (with
    a ``_row`` column holding the 1-based spreadsheet row), the judgement
    column names and the title lines above the header."""
    h = _header_row(grid)
    if h is None:
        raise DataFileError(path, f"sheet '{sheet}' has no header row with 'Local authority name' and "
                                  f"'Overall effectiveness'", hint=_HINT)
    raw = grid.iloc[h].tolist()
    names: dict[int, str] = {}
    judgements: list[str] = []
    labels: dict[str, str] = {}
    for i, v in enumerate(raw):
        if not isinstance(v, str) or not v.strip():
            continue
        key = _norm(v)
        if key in _ID_COLUMNS:
            if _ID_COLUMNS[key] is None or _ID_COLUMNS[key] in names.values():
                continue
            names[i] = _ID_COLUMNS[key]
        elif key in _SHORT_NAMES or _JUDGEMENT_HEADER.search(key):
            name = _SHORT_NAMES.get(key, _snake(v))
            names[i] = name
            judgements.append(name)
        else:
            continue  # a column this loader does not use
        labels[names[i]] = v.strip()
    if "la_name" not in names.values():
        raise DataFileError(path, f"sheet '{sheet}' lacks a 'Local authority name' column", row=h + 1, hint=_HINT)
    body = grid.iloc[h + 1:, list(names)].copy()
    body.columns = [names[i] for i in names]
    body["_row"] = np.arange(h + 2, h + 2 + len(body))
    body = body[~body["la_name"].map(_is_blank)]
    for name in ("inspection_date", "publication_date"):
        if name in body:
            body[name] = [_parse_date(v, path, sheet, r, labels[name]) for v, r in zip(body[name], body["_row"])]
            body[name] = pd.to_datetime(body[name])
    for name in judgements:
        body[name] = pd.Series([_parse_grade(v, path, sheet, r, labels[name])
                                for v, r in zip(body[name], body["_row"])], index=body.index, dtype=object)
    for name in ("ons_code", "la_name", "region_name", "inspection_type", "la_status", "visit_theme"):
        if name in body:
            body[name] = body[name].map(lambda v: "" if _is_blank(v) else " ".join(str(v).split()))
    if "ons_code" not in body:
        body["ons_code"] = ""
    titles = [str(v) for v in grid.iloc[:h, 0].tolist() if isinstance(v, str)]
    return body.reset_index(drop=True), judgements, titles


def _pick(names: list[str], pattern: re.Pattern) -> str | None:
    return next((n for n in names if pattern.search(n)), None)


# --------------------------------------------------------------------------
# Public loaders
# --------------------------------------------------------------------------

def load_inspections(path) -> pd.DataFrame:
    """Each council's latest inspection judgements, one row per council.

    ``path`` is Ofsted's 'LA children's services inspection outcomes'
    workbook (``.ods`` as published, or ``.xlsx``). Columns: ``ons_code``
    (blank if the sheet has none), ``la_name``, ``region_name`` (Ofsted
    region), ``inspection_date`` and ``publication_date`` (datetime, NaT if
    blank), ``inspection_type`` (e.g. 'ILACS Standard Inspection', taken from
    the history sheet when the latest-judgements sheet has no type column;
    blank if unknown), ``overall_effectiveness`` and each sub-judgement in
    the sheet (see the module docstring; None where the sheet is blank, e.g.
    ``care_leavers`` for inspections before January 2023),
    ``inspection_framework`` ('ILACS' for inspections since 2018 when the
    workbook says they are ILACS) and ``as_at`` (the date the workbook
    describes, e.g. 2025-03-31).

    Raises DataFileError naming the sheet, row, column and value for an
    unreadable date or an unknown judgement."""
    path = Path(path)
    names = sheet_names(path)
    latest = _pick(names, _LATEST_SHEET)
    history = _pick(names, _HISTORY_SHEET)
    if latest is None:
        raise DataFileError(path, "has no 'Inspections as at ...' sheet of latest judgements "
                                  f"(sheets: {', '.join(names)})", hint=_HINT)
    wanted = [latest] + ([history] if history else []) + [n for n in names if n.lower() in ("cover", "notes")]
    grids = _read(path, wanted)
    frame, judgements, titles = _table(path, latest, grids[latest])
    cover = [str(v) for g in (grids.get("Cover"), grids.get("cover")) if g is not None
             for v in g.values.ravel() if isinstance(v, str)]
    frame["as_at"] = _as_at(titles + cover, path)

    if "inspection_type" not in frame and history:
        hist, _, _ = _table(path, history, grids[history])
        key = "ons_code" if (frame["ons_code"] != "").all() and "ons_code" in hist else "la_name"
        types = {(k, d): t for k, d, t in zip(hist[key], hist["inspection_date"], hist["inspection_type"])}
        frame["inspection_type"] = [types.get((k, d), "") for k, d in zip(frame[key], frame["inspection_date"])]
    elif "inspection_type" not in frame:
        frame["inspection_type"] = ""
    mentions_ilacs = any("ilacs" in t.lower() for t in titles + cover) or any(
        "ilacs" in str(v).lower() for n in names if n.lower() == "notes"
        for v in grids.get(n, pd.DataFrame()).values.ravel())
    framework = frame["inspection_type"].map(_framework)
    fallback = np.where(mentions_ilacs & (frame["inspection_date"] >= pd.Timestamp("2018-01-01")), "ILACS", "")
    frame["inspection_framework"] = np.where(framework != "", framework, fallback)

    # one row per council: the latest inspection if a council appears twice
    key = "ons_code" if (frame["ons_code"] != "").all() else "la_name"
    frame = (frame.sort_values(["inspection_date", "_row"], na_position="first")
                  .drop_duplicates(key, keep="last").sort_values("_row"))
    columns = ["ons_code", "la_name", "region_name", "inspection_date", "publication_date",
               "inspection_type", "overall_effectiveness"] + \
              [j for j in judgements if j != "overall_effectiveness"] + ["inspection_framework", "as_at"]
    for c in columns:
        if c not in frame:
            frame[c] = pd.NaT if c.endswith("_date") else ""
    out = frame[columns].reset_index(drop=True)
    out.attrs.update(sheet=latest, judgements=[j for j in judgements if j != "overall_effectiveness"])
    return out


def load_inspection_history(path) -> pd.DataFrame:
    """Every ILACS short and standard inspection in the workbook's history
    sheet, one row per inspection, oldest first within each council.

    ``path`` is the same workbook as :func:`load_inspections`. Columns:
    ``ons_code``, ``la_name``, ``la_status`` ('Current' or 'No longer exists',
    blank if the sheet has no status column), ``region_name``,
    ``inspection_date``, ``publication_date``, ``inspection_type``,
    ``overall_effectiveness``, the sub-judgements (as in
    :func:`load_inspections`) and ``inspection_framework``.

    Returns an empty frame with these columns when the workbook has no
    history sheet (older releases)."""
    path = Path(path)
    names = sheet_names(path)
    history = _pick(names, _HISTORY_SHEET)
    base = ["ons_code", "la_name", "la_status", "region_name", "inspection_date", "publication_date",
            "inspection_type", "overall_effectiveness"]
    if history is None:
        out = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c.endswith("_date") else object)
                            for c in base + ["inspection_framework"]})
        out.attrs["note"] = "the workbook has no inspection history sheet"
        return out
    grid = _read(path, [history])[history]
    frame, judgements, _ = _table(path, history, grid)
    for c in ("la_status", "inspection_type"):
        if c not in frame:
            frame[c] = ""
    frame["inspection_framework"] = frame["inspection_type"].map(_framework)
    if (frame["inspection_framework"] == "").all() and "ilacs" in history.lower():
        frame["inspection_framework"] = "ILACS"
    columns = base + [j for j in judgements if j != "overall_effectiveness"] + ["inspection_framework"]
    out = frame.sort_values(["_row"])[columns].reset_index(drop=True)
    out.attrs.update(sheet=history)
    return out
