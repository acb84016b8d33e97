"""Ofsted's "Children's social care in England" underlying data: providers and
places at 31 March, for placement sufficiency.

The workbook (``Childrens_social_care_in_England_2023_underlying_data.ods``)
has cover, notes and metadata sheets, then tables that start below a title
row (and one or two lines of description):

* ``Providers+places_at_31_Mar_2023``: every active provider, one row each,
  with ``Provision type``, ``Local authority`` (the area it is in), ``Sector``
  and ``Places``;
* ``LA_level_at_31_Mar_2023``: every local authority (used so that an area
  with no children's home counts as none, not as missing);
* ``Providers+places_Time_series``: Ofsted's national totals by date
  (table 6a, providers; table 6b, places).

Headers are found by their content and the date from the sheet name or the
title, so the 2024 and later workbooks read the same way. Children's homes
are Ofsted's "All children's homes": children's homes, secure children's
homes and residential special schools registered as children's homes. Every
local authority area gets, at the as-at date::

    ch_homes                   children's homes (all kinds)
    ch_places                  their registered places
    ch_places_private          places in homes run by private providers
    ch_places_local_authority  places in homes run by local authorities
    ch_places_voluntary        places in homes run by voluntary organisations

England's ``ch_places`` and ``ch_homes`` are Ofsted's published national
totals for every date of the time series. Councils are named, not coded: the
store matches the names to DfE's LA numbers.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataFileError
from ..geography import normalise_name
from .dfe import OBSERVATION_COLUMNS
from .finance import excel_engine, sheet_names

__all__ = ["sniff_providers", "load_providers", "CHILDRENS_HOME_TYPES"]

#: Provision types Ofsted counts as "All children's homes" (lower case, straight apostrophes).
CHILDRENS_HOME_TYPES = ("children's home", "secure children's home",
                        "residential special school (registered as a children's home)")
_PROVIDER_SHEET = re.compile(r"providers?[\W_]*(and|\+)?[\W_]*places[\W_]*at", re.IGNORECASE)
_LA_SHEET = re.compile(r"^la[\W_]*level[\W_]*at", re.IGNORECASE)
_SERIES_SHEET = re.compile(r"providers?[\W_]*(and|\+)?[\W_]*places[\W_]*time[\W_]*series", re.IGNORECASE)
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                         "nov", "dec"), start=1)}
_SECTORS = {"private": "ch_places_private", "local authority": "ch_places_local_authority",
            "voluntary": "ch_places_voluntary"}
_HINT = ("Download the 'underlying data' workbook again from Ofsted's 'Children's social care in England' "
         "statistics page")


def _norm(text) -> str:
    text = str(text).replace("\u2019", "'").replace("\u2018", "'").replace("\n", " ")
    return " ".join(text.split()).lower()


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


def sniff_providers(path) -> bool:
    """True for Ofsted's providers-and-places workbook, judged by its sheet
    names. Reads no cells; never raises."""
    path = Path(path)
    try:
        if not zipfile.is_zipfile(path):
            return False
        return any(_PROVIDER_SHEET.search(n) for n in sheet_names(path))
    except (OSError, DataFileError):
        return False


def _read(path: Path, sheets: list[str]) -> dict[str, pd.DataFrame]:
    try:
        return pd.read_excel(path, sheet_name=sheets, header=None, engine=excel_engine(path), dtype=object)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
        raise DataFileError(path, f"cannot be read as a spreadsheet ({exc})", hint=_HINT) from exc


def _table(grid: pd.DataFrame, wanted: set[str], path: Path, sheet: str) -> pd.DataFrame:
    """The table below the title lines: the first row holding every header
    in ``wanted`` is the header."""
    for i in range(min(20, len(grid))):
        cells = [_norm(v) if not _blank(v) else "" for v in grid.iloc[i].tolist()]
        if wanted <= set(cells):
            body = grid.iloc[i + 1:].copy()
            body.columns = cells
            body = body.loc[:, [c for c in body.columns if c]]
            return body.dropna(how="all")
    raise DataFileError(path, f"sheet {sheet!r} has no header row with {sorted(wanted)}", hint=_HINT)


def _as_at(sheet: str, grid: pd.DataFrame, path: Path) -> int:
    """The year of the as-at date, from '..._at_31_Mar_2023' or the title."""
    texts = [sheet] + [str(v) for v in grid.iloc[:3, 0].tolist() if not _blank(v)]
    for text in texts:
        m = re.search(r"at[\W_]+(\d{1,2})[\W_]+([A-Za-z]{3})[a-z]*[\W_]+(\d{4})", text, re.IGNORECASE)
        if m:
            return int(m.group(3))
    raise DataFileError(path, f"sheet {sheet!r} does not say the date its figures are at (as '31 March 2023')",
                        hint=_HINT)


def _series_year(v) -> int | None:
    """The year of a time-series date cell: a date, '2023-03-31' or '31-Mar-15 [Note 3]'."""
    if isinstance(v, (datetime, date, pd.Timestamp)):
        return int(v.year)
    m = re.search(r"\b(\d{4})\b", str(v))
    if m:
        return int(m.group(1))
    m = re.search(r"\d{1,2}[\W_]+[A-Za-z]{3}[\W_]+(\d{2})\b", str(v))
    return 2000 + int(m.group(1)) if m else None


def _council_figures(providers: pd.DataFrame, councils: list[str], path: Path) -> dict[str, dict[str, float]]:
    kind = providers["provision type"].map(_norm)
    homes = providers[kind.isin(CHILDRENS_HOME_TYPES)]
    places = pd.to_numeric(homes["places"], errors="coerce")
    if places.isna().any():
        bad = homes.index[places.isna()][0]
        raise DataFileError(path, "a children's home has no number of places", column="Places",
                            value=str(homes.at[bad, "places"]), hint=_HINT)
    homes = homes.assign(places=places, la=homes["local authority"].map(normalise_name),
                         sector=homes["sector"].map(_norm) if "sector" in homes else "")
    # one spelling per area ("Richmond upon Thames" and "Richmond Upon Thames")
    spelling: dict[str, str] = {}
    for name in list(homes["local authority"]) + list(councils):
        spelling.setdefault(normalise_name(name), " ".join(str(name).split()))
    out: dict[str, dict[str, float]] = {}
    for key, la in sorted(spelling.items()):
        mine = homes[homes["la"] == key]
        row = {"ch_homes": float(len(mine)), "ch_places": float(mine["places"].sum())}
        for sector, measure in _SECTORS.items():
            row[measure] = float(mine.loc[mine["sector"] == sector, "places"].sum())
        out[la] = row
    return out


def _national_series(grid: pd.DataFrame | None) -> dict[tuple[str, int], float]:
    """Ofsted's national totals: ('ch_homes' | 'ch_places', year) -> value."""
    if grid is None:
        return {}
    out: dict[tuple[str, int], float] = {}
    column = None
    for row in grid.itertuples(index=False):
        cells = list(row)
        first = _norm(cells[0]) if not _blank(cells[0]) else ""
        if first == "date":  # a table's header row: find its "All children's homes" column
            headers = [_norm(c) if not _blank(c) else "" for c in cells]
            column = headers.index("all children's homes") if "all children's homes" in headers else None
            continue
        if column is None or not first:
            continue
        kind = _norm(cells[1]) if not _blank(cells[1]) else ""
        measure = {"providers": "ch_homes", "places": "ch_places"}.get(kind)
        year = _series_year(cells[0])
        value = pd.to_numeric(cells[column], errors="coerce")
        if measure and year and not pd.isna(value):
            out[(measure, year)] = float(value)
    return out


def load_providers(path) -> pd.DataFrame:
    """Load the workbook into the Observations layout (councils by name)."""
    path = Path(path)
    names = sheet_names(path)
    provider_sheet = next((n for n in names if _PROVIDER_SHEET.search(n)), None)
    if provider_sheet is None:
        raise DataFileError(path, "has no 'Providers+places at ...' sheet", hint=_HINT)
    la_sheet = next((n for n in names if _LA_SHEET.search(n)), None)
    series_sheet = next((n for n in names if _SERIES_SHEET.search(n)), None)
    grids = _read(path, [n for n in (provider_sheet, la_sheet, series_sheet) if n])
    providers = _table(grids[provider_sheet], {"provision type", "local authority", "places"}, path, provider_sheet)
    year = _as_at(provider_sheet, grids[provider_sheet], path)
    councils: list[str] = []
    if la_sheet:
        la_table = _table(grids[la_sheet], {"local authority name"}, path, la_sheet)
        councils = [" ".join(str(v).split()) for v in la_table["local authority name"] if not _blank(v)]
    rows = []
    for la, figures in _council_figures(providers, councils, path).items():
        for measure, value in figures.items():
            rows.append(("la", la, la, measure, year, value))
    for (measure, when), value in sorted(_national_series(grids.get(series_sheet)).items()):
        rows.append(("national", "E92000001", "England", measure, when, value))
    out = pd.DataFrame(rows, columns=["level", "area_code", "area_name", "measure", "period", "value"])
    out["source"] = "ofsted_providers"
    out["ons_code"] = np.where(out["level"] == "national", "E92000001", "")
    out["region_code"] = ""
    out["region_name"] = ""
    out["status"] = "ok"
    out["period"] = out["period"].astype(int)
    return out[OBSERVATION_COLUMNS].reset_index(drop=True)
