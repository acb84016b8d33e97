"""MHCLG local authority revenue outturn: RO3 (social care) and RSX (revenue
summary) "data by LA" workbooks.

The workbooks (``RO3_LA_Data_2024-25_data_by_LA.ods``,
``RSX_LA_Data_2024-25_data_by_LA.ods``) hold one data sheet
(``RO3_LA_Data_202425``) with title lines, a header row (``E-code``, ``ONS
Code``, ``Local authority``, ``Notes``, ``Class``, ..., then one column per
line and column of the return), ~410 authorities of every kind (districts,
police, fire...), an England row, a class summary block and a hidden row of
variable codes (``RO3-csctot-net-cur-exp``). Values are £ thousand; a code
in square brackets (``[x]`` return not received, ``[z]``, ``[n]``, ``[note
4]``) stands in for a missing value.

Nothing here relies on row or column positions: the header row is found by
its content, value columns by their header text (confirmed by the variable
code when the hidden row is present) and the financial year from the sheet
name or title. Only upper-tier councils (ONS codes E06, E08, E09, E10), which
carry children's social care, are returned, plus the England row. Values are
converted to pounds.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataFileError

__all__ = ["FINANCE_MEASURES", "sheet_names", "excel_engine", "sniff_finance", "load_finance"]

OBSERVATION_COLUMNS = ["source", "period", "level", "area_code", "area_name", "ons_code",
                       "region_code", "region_name", "measure", "value", "status"]

UPPER_TIER = re.compile(r"^E(06|08|09|10)\d{6}$")
ENGLAND = "E92000001"
_HINT = ("Download the 'data by LA' workbook again from the MHCLG 'Local authority revenue "
         "expenditure and financing' collection")


@dataclass(frozen=True)
class FinanceMeasure:
    """A value column: ``pattern`` matches the normalised header (lower case,
    single spaces, straight apostrophes); ``code`` is the hidden variable code.
    ``england`` False leaves out the England row's figure, when it covers
    authorities other than the upper-tier councils (police, fire, districts)
    and so is not the councils' total."""

    measure: str
    pattern: str
    code: str
    label: str
    england: bool = True


#: The measures read from each return, by source id.
FINANCE_MEASURES: dict[str, tuple[FinanceMeasure, ...]] = {
    "finance_ro3": (
        FinanceMeasure("csc_net_current_expenditure",
                       r"^total children'?s? social care - net current expenditure\b",
                       "RO3-csctot-net-cur-exp",
                       "TOTAL CHILDREN SOCIAL CARE - Net Current Expenditure"),
        FinanceMeasure("cla_net_current_expenditure",
                       r"^children'?s? social care - children looked after - net current expenditure\b",
                       "RO3-csclkd-net-cur-exp",
                       "Children's social care - Children Looked After - Net Current Expenditure"),
        FinanceMeasure("csc_total_expenditure",
                       r"^total children'?s? social care - total expenditure\b",
                       "RO3-csctot-tot-exp",
                       "TOTAL CHILDREN SOCIAL CARE - Total Expenditure"),
    ),
    "finance_rsx": (
        FinanceMeasure("csc_net_current_expenditure_rsx",
                       r"^children'?s? social care - net current expenditure\b",
                       "RSX-csc-net-cur-exp",
                       "Children Social Care - Net Current Expenditure"),
        FinanceMeasure("total_service_net_current_expenditure",
                       r"^total service expenditure - net current expenditure\b",
                       "RSX-totsx-net-cur-exp",
                       "Total Service Expenditure - Net Current Expenditure", england=False),
    ),
}

_SHEET = re.compile(r"^(RO3|RSX)_LA_Data", re.IGNORECASE)
_TITLE = re.compile(r"revenue (?:account )?outturn.*?\b(RO3|RSX)\b", re.IGNORECASE | re.DOTALL)
_VARCODE = re.compile(r"^[A-Z0-9]{2,5}-[a-z0-9]+(?:-[a-z0-9]+)*$")
_BARE_CODES = {"c", "x", "z", "u", "n", "low", "k", ":", "..", "-", "na", "n/a"}


def _norm(text) -> str:
    text = str(text).replace("’", "'").replace("‘", "'").replace("–", "-")
    return " ".join(text.split()).lower()


# --------------------------------------------------------------------------
# Cheap look at a workbook
# --------------------------------------------------------------------------

_ODS_TABLE = re.compile(rb'<table:table [^>]*?table:name="([^"]*)"')


def _ods_scan(path: Path, max_bytes: int | None) -> tuple[list[str], bytes]:
    """Sheet names from an ODS file's content.xml, streaming, plus the first
    part of the XML (for title text). ``max_bytes`` limits how much is
    decompressed (None: all)."""
    names: list[str] = []
    head = b""
    with zipfile.ZipFile(path) as zf:
        with zf.open("content.xml") as fh:
            read = 0
            tail = b""
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                read += len(chunk)
                buf = tail + chunk
                if len(head) < 400_000:
                    head += chunk[: 400_000 - len(head)]
                for m in _ODS_TABLE.finditer(buf):
                    name = m.group(1).decode("utf-8", "replace")
                    name = name.replace("&amp;", "&").replace("&apos;", "'").replace("&quot;", '"')
                    if name not in names:
                        names.append(name)
                tail = buf[-2000:]
                if max_bytes is not None and read >= max_bytes:
                    break
    return names, head


def sheet_names(path) -> list[str]:
    """The sheet names of an ``.ods`` or ``.xlsx`` workbook, without reading
    the cells. Raises DataFileError if the file is not a readable workbook."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            members = set(zf.namelist())
        if "content.xml" in members:
            return _ods_scan(path, None)[0]
        if "xl/workbook.xml" in members:
            with zipfile.ZipFile(path) as zf:
                xml = zf.read("xl/workbook.xml")
            return [n.decode("utf-8") for n in re.findall(rb'<sheet [^>]*?name="([^"]*)"', xml)]
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise DataFileError(path, f"is not a readable .ods or .xlsx workbook ({exc})",
                            hint="Check the download finished; open it in a spreadsheet program") from exc
    raise DataFileError(path, "is not an .ods or .xlsx workbook",
                        hint="Supply the workbook as published (.ods)")


def sniff_finance(path) -> str | None:
    """``"finance_ro3"``, ``"finance_rsx"`` or None: which MHCLG revenue
    outturn workbook ``path`` is, judged by its sheet names (``RO3_LA_Data_...``)
    or its title. Reads only the start of the workbook; never raises."""
    path = Path(path)
    try:
        if not zipfile.is_zipfile(path):
            return None
        with zipfile.ZipFile(path) as zf:
            members = set(zf.namelist())
        if "content.xml" in members:
            names, head = _ods_scan(path, 4 << 20)
            text = re.sub(rb"<[^>]+>", b" ", head).decode("utf-8", "replace")
        elif "xl/workbook.xml" in members:
            names, text = sheet_names(path), ""
        else:
            return None
    except (OSError, zipfile.BadZipFile, KeyError, DataFileError):
        return None
    for name in names:
        m = _SHEET.match(name)
        if m:
            return f"finance_{m.group(1).lower()}"
    m = _TITLE.search(text)
    if m:
        return f"finance_{m.group(1).lower()}"
    return None


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------

def _find_header_row(grid: pd.DataFrame, limit: int = 40) -> int | None:
    for i in range(min(limit, len(grid))):
        cells = {_norm(v) for v in grid.iloc[i].tolist() if isinstance(v, str)}
        if "ons code" in cells and ("local authority" in cells or "e-code" in cells):
            return i
    return None


def _find_code_row(grid: pd.DataFrame, start: int) -> int | None:
    """The (hidden) row of variable codes such as 'RO3-csctot-net-cur-exp'."""
    best, best_count = None, 1  # at least two codes make the row
    for i in range(len(grid) - 1, start, -1):
        count = sum(1 for v in grid.iloc[i].tolist() if isinstance(v, str) and _VARCODE.match(v.strip()))
        if count > best_count:
            best, best_count = i, count
    return best


def _period(sheet: str, texts: list[str]) -> int | None:
    """The year the financial year ends: 'RO3_LA_Data_202425' or '2024-25' -> 2025."""
    m = re.search(r"(20\d\d)(\d\d)(?!\d)", sheet)
    if m and (int(m.group(1)) + 1) % 100 == int(m.group(2)):
        return int(m.group(1)) + 1
    for text in texts:
        m = re.search(r"\b(20\d\d)\s*[-–/]\s*(\d\d)\b", text)
        if m and (int(m.group(1)) + 1) % 100 == int(m.group(2)):
            return int(m.group(1)) + 1
    return None


def _parse_value(v, path: Path, row: int, column: str) -> tuple[float, str]:
    """(value in £ thousand, status) for one cell."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return np.nan, "x"
    if isinstance(v, (bool, np.bool_)):
        raise DataFileError(path, "holds a true/false value where an amount in £ thousand belongs",
                            row=row, column=column, value=v, hint=_HINT)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v), "ok"
    text = str(v).strip()
    if text == "":
        return np.nan, "x"
    try:
        return float(text.replace(",", "")), "ok"
    except ValueError:
        pass
    m = re.fullmatch(r"\[\s*([^\[\]]+?)\s*\]", text)
    if m:
        return np.nan, m.group(1)
    if text.lower() in _BARE_CODES:
        return np.nan, text.lower()
    raise DataFileError(path, "holds text where an amount in £ thousand or a code such as [x] belongs",
                        row=row, column=column, value=text,
                        hint="Correct the cell or download the workbook again; codes are written in "
                             "square brackets, e.g. [x] for a return not received")


def load_finance(path) -> pd.DataFrame:
    """Children's social care spending from an MHCLG RO3 or RSX 'data by LA'
    workbook, as Observations (``docs/store.md``).

    ``path`` is the workbook as published (``.ods``; ``.xlsx`` also works).
    Returns one row per upper-tier council (ONS code E06/E08/E09/E10) and
    measure, plus England (level ``national``, area_code ``E92000001``) when
    the workbook has an England row. ``value`` is in pounds (the file's £
    thousand x 1000); ``[x]`` and other bracketed codes give NaN with the code
    (brackets removed) as ``status``. ``area_code`` is blank for councils: the
    store maps ONS codes to DfE LA numbers. Measures: RO3
    ``csc_net_current_expenditure`` (TOTAL CHILDREN SOCIAL CARE, net current
    expenditure, line C7), ``cla_net_current_expenditure`` (children looked
    after, C7) and ``csc_total_expenditure`` (C3); RSX
    ``csc_net_current_expenditure_rsx`` and
    ``total_service_net_current_expenditure`` (councils only: MHCLG's England
    total of service spending covers every kind of authority).

    ``frame.attrs`` carries ``sheet``, ``period``, ``header_row`` (1-based),
    ``columns`` (measure -> header text) and ``missing_returns`` (councils
    whose return was not received, Notes = M).

    Raises DataFileError naming the file, sheet and missing header when the
    workbook lacks an expected column, and naming the row, column header and
    value when a value cell holds text that is neither a number nor a code."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, "no such file")
    names = sheet_names(path)
    kind = sniff_finance(path)
    data_sheets = [n for n in names if _SHEET.match(n)] or names
    engine = excel_engine(path)
    grid = sheet = header_row = None
    for candidate in data_sheets:
        try:
            g = pd.read_excel(path, sheet_name=candidate, header=None, engine=engine, dtype=object)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
            raise DataFileError(path, f"sheet '{candidate}' cannot be read ({exc})", hint=_HINT) from exc
        h = _find_header_row(g)
        if h is not None:
            grid, sheet, header_row = g, candidate, h
            break
    if grid is None:
        raise DataFileError(path, f"no sheet has a header row with 'ONS Code' and 'Local authority' "
                                  f"(sheets: {', '.join(data_sheets)})", hint=_HINT)
    if kind is None:
        m = _SHEET.match(sheet)
        kind = f"finance_{m.group(1).lower()}" if m else None
    headers = [(_norm(v) if isinstance(v, str) else "") for v in grid.iloc[header_row].tolist()]
    raw_headers = [str(v) if v is not None and not (isinstance(v, float) and np.isnan(v)) else ""
                   for v in grid.iloc[header_row].tolist()]
    if kind is None:  # decide by the headers present
        for source, measures in FINANCE_MEASURES.items():
            if any(re.match(measures[0].pattern, h) for h in headers):
                kind = source
                break
    if kind is None:
        raise DataFileError(path, f"sheet '{sheet}' has neither the RO3 'TOTAL CHILDREN SOCIAL CARE - "
                                  f"Net Current Expenditure' column nor the RSX 'Children Social Care - "
                                  f"Net Current Expenditure' column", row=header_row + 1, hint=_HINT)

    def id_column(*wanted: str) -> int | None:
        return next((i for i, h in enumerate(headers) if h in wanted), None)

    ons_col = id_column("ons code")
    name_col = id_column("local authority", "local authority name")
    notes_col = id_column("notes")
    missing = [label for label, col in (("ONS Code", ons_col), ("Local authority", name_col)) if col is None]

    code_row = _find_code_row(grid, header_row)
    codes = ([str(v).strip() if isinstance(v, str) else "" for v in grid.iloc[code_row].tolist()]
             if code_row is not None else None)
    columns: dict[str, int] = {}
    for spec in FINANCE_MEASURES[kind]:
        by_header = [i for i, h in enumerate(headers) if re.match(spec.pattern, h)]
        by_code = [i for i, c in enumerate(codes or []) if c == spec.code]
        if len(by_header) > 1 and by_code:
            by_header = [i for i in by_header if i in by_code]
        if len(by_header) > 1:
            raise DataFileError(path, f"sheet '{sheet}' has {len(by_header)} columns headed like "
                                      f"'{spec.label}'", row=header_row + 1, hint=_HINT)
        if by_header and by_code and by_code[0] != by_header[0]:
            raise DataFileError(path, f"sheet '{sheet}': the column headed '{raw_headers[by_header[0]]}' "
                                      f"does not carry the variable code {spec.code} (found in another "
                                      f"column, '{raw_headers[by_code[0]]}')", row=header_row + 1,
                                hint="The workbook's layout has changed; check which column is the "
                                     "children's social care total")
        if by_header:
            columns[spec.measure] = by_header[0]
        else:
            missing.append(f"'{spec.label}'")
    if missing:
        raise DataFileError(path, f"sheet '{sheet}' lacks the expected header(s): {', '.join(missing)}",
                            row=header_row + 1, hint=_HINT)

    texts = [str(v) for v in grid.iloc[:header_row, 0].tolist() if isinstance(v, str)]
    period = _period(sheet, texts)
    if period is None:
        raise DataFileError(path, f"the financial year cannot be found in the sheet name '{sheet}' or its "
                                  f"title lines", hint="The title should name the year, e.g. 'Revenue "
                                                       "Outturn (RO) 2024-25'")

    england_rows = {spec.measure: spec.england for spec in FINANCE_MEASURES[kind]}
    records = []
    seen: dict[str, int] = {}
    missing_returns = []
    stop = code_row if code_row is not None else len(grid)
    for i in range(header_row + 1, stop):
        ons = grid.iat[i, ons_col]
        ons = ons.strip() if isinstance(ons, str) else ""
        if UPPER_TIER.match(ons):
            level, area_code = "la", ""
        elif ons == ENGLAND:
            level, area_code = "national", ENGLAND
        else:
            continue
        row_number = i + 1
        if ons in seen:
            raise DataFileError(path, f"sheet '{sheet}' lists ONS code {ons} twice (rows {seen[ons]} and "
                                      f"{row_number})", row=row_number, column=raw_headers[ons_col],
                                value=ons, hint=_HINT)
        seen[ons] = row_number
        name = str(grid.iat[i, name_col]).strip()
        if notes_col is not None and str(grid.iat[i, notes_col]).strip() == "M" and level == "la":
            missing_returns.append(name)
        for measure, col in columns.items():
            if level == "national" and not england_rows[measure]:
                continue
            value, status = _parse_value(grid.iat[i, col], path, row_number, raw_headers[col])
            records.append((kind, period, level, area_code, name, ons, "", "", measure,
                            value * 1000.0 if status == "ok" else np.nan, status))
    if not records:
        raise DataFileError(path, f"sheet '{sheet}' has no upper-tier council rows (ONS codes starting "
                                  f"E06, E08, E09 or E10)", column=raw_headers[ons_col], hint=_HINT)
    out = pd.DataFrame.from_records(records, columns=OBSERVATION_COLUMNS)
    out["period"] = out["period"].astype(int)
    out["value"] = out["value"].astype(float)
    out.attrs.update(sheet=sheet, period=period, header_row=header_row + 1,
                     columns={m: raw_headers[c] for m, c in columns.items()},
                     missing_returns=missing_returns)
    return out


def _members(path: Path) -> set[str]:
    try:
        with zipfile.ZipFile(path) as zf:
            return set(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return set()


def excel_engine(path) -> str | None:
    """The pandas engine for a workbook, judged by its content rather than its
    name (a file saved as .xlsx but named .ods still reads): ``"odf"`` for
    OpenDocument, ``"openpyxl"`` for Office Open XML, None to let pandas
    decide (e.g. legacy .xls)."""
    members = _members(Path(path))
    if "content.xml" in members:
        return "calamine" if _HAS_CALAMINE else "odf"
    if "xl/workbook.xml" in members:
        return "calamine" if _HAS_CALAMINE else "openpyxl"
    return None


# calamine (Rust) reads the 2024-25 RO3 workbook in about 1 s where odfpy
# takes about 25 s; odfpy remains the fallback.
try:
    import python_calamine  # noqa: F401
    _HAS_CALAMINE = True
except ImportError:  # pragma: no cover
    _HAS_CALAMINE = False
