"""OHID Fingertips indicator exports ("Download data" CSV from the Public
Health Profiles, or the Fingertips API's ``all_data/csv`` files).

A Fingertips export is not DfE tidy data: one row per indicator, area, sex,
age, category and time period, with the value, its 95% and 99.8% confidence
limits, the count and denominator, and a free-text ``Value note`` that says
why a value is missing or how it was made ("Value for Cornwall and Isles of
Scilly combined"). Areas are named by ONS code only.

The loader keeps the headline rows (``Sex`` Persons, no ``Category Type``:
the deprivation-decile breakdowns are left out) of England, regions and
upper-tier councils, and returns the Observations layout with these measures
per indicator (``i90284`` is indicator 90284)::

    i90284_value       the published value (a rate, percentage, ...)
    i90284_count       the count (numerator)
    i90284_denominator the denominator
    i90284_lower_95, i90284_upper_95, i90284_lower_998, i90284_upper_998
                       OHID's own confidence limits

A blank value is status ``x`` with the file's value note kept in the extra
``note`` column, so a pack can say why ("not presented due to ... trust not
submitting data"). Councils keep their ONS code in ``area_code``; the store
gives them DfE's LA number and region.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataFileError
from .dfe import OBSERVATION_COLUMNS, read_text_table

__all__ = ["sniff_fingertips", "load_fingertips", "FINGERTIPS_MEASURES"]

#: Export column (normalised) -> measure suffix.
FINGERTIPS_MEASURES = {
    "value": "value",
    "count": "count",
    "denominator": "denominator",
    "lower_ci_95.0_limit": "lower_95",
    "upper_ci_95.0_limit": "upper_95",
    "lower_ci_99.8_limit": "lower_998",
    "upper_ci_99.8_limit": "upper_998",
}
_SIGNATURE = ("indicator_id", "area_code", "area_type", "time_period", "value")
_ENGLAND = "E92000001"
_LA_TYPES = re.compile(r"^(count(y|ies)\s*&\s*uas?|upper tier|counties and unitary)", re.IGNORECASE)
_REGION_TYPES = re.compile(r"^region", re.IGNORECASE)
_HINT = ("Export the indicator again from Fingertips (Download > 'Data for ... in CSV format'), or use the "
         "Fingertips API's all_data/csv route")


def sniff_fingertips(path) -> bool:
    """True when ``path`` is a Fingertips export, judged by its header."""
    try:
        sample = read_text_table(Path(path), nrows=5)
    except DataFileError:
        return False
    return all(c in sample.columns for c in _SIGNATURE)


def _period(text: str) -> int | None:
    """The year a Fingertips period ends: '2023/24' -> 2024, '2023' -> 2023,
    '2021 - 23' -> 2023, '2022/23 - 24/25' -> 2025."""
    found = re.findall(r"\d{2,4}", text)
    if not found:
        return None
    first, last = found[0], found[-1]
    if len(first) != 4:
        return None
    if len(last) == 2:
        last = first[:2] + last
        if int(last) < int(first):
            last = str(int(last) + 100)
    return int(last)


def _level(area_type: pd.Series, code: pd.Series) -> pd.Series:
    level = pd.Series("", index=area_type.index, dtype=object)
    level[code == _ENGLAND] = "national"
    level[(level == "") & area_type.str.match(_REGION_TYPES)] = "regional"
    level[(level == "") & area_type.str.match(_LA_TYPES)] = "la"
    return level


def _headline_rows(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Persons, no category, areas at a level the store keeps; one row each."""
    sex = frame["sex"].str.strip().str.lower() if "sex" in frame else pd.Series("persons", index=frame.index)
    category = frame["category_type"].str.strip() if "category_type" in frame else ""
    frame = frame[(sex == "persons") & (category == "")].copy()
    frame["level"] = _level(frame["area_type"].str.strip(), frame["area_code"].str.strip())
    frame = frame[frame["level"] != ""]
    # England appears once per parent (none, and England itself): keep one.
    frame = frame.drop_duplicates(["indicator_id", "area_code", "time_period", "age"]
                                  if "age" in frame else ["indicator_id", "area_code", "time_period"])
    if frame.empty:
        raise DataFileError(path, "holds no figures for all persons in England, regions or upper-tier councils",
                            hint=_HINT)
    return frame


def load_fingertips(path) -> pd.DataFrame:
    """Load a Fingertips export into the Observations layout, with ``note``."""
    path = Path(path)
    frame = read_text_table(path)
    missing = [c for c in _SIGNATURE if c not in frame.columns]
    if missing:
        raise DataFileError(path, f"lacks the Fingertips column(s) {missing}", hint=_HINT)
    frame = _headline_rows(frame, path)
    periods = frame["time_period"].map(_period)
    if periods.isna().any():
        bad = frame.loc[periods.isna(), "time_period"].iloc[0]
        raise DataFileError(path, "has a time period that is not a year", column="Time period", value=bad,
                            hint=_HINT)
    ages = frame.groupby("indicator_id")["age"].transform("nunique") if "age" in frame else 1
    prefix = "i" + frame["indicator_id"].str.strip()
    if "age" in frame:
        with_age = prefix + "_" + frame["age"].str.lower().str.replace(r"[^a-z0-9]+", "_", regex=True).str.strip("_")
        prefix = prefix.where(np.asarray(ages) <= 1, with_age)
    notes = frame["value_note"].str.strip() if "value_note" in frame else pd.Series("", index=frame.index)
    is_national = frame["level"] == "national"
    base = pd.DataFrame({
        "source": "ohid_fingertips", "period": periods.astype(int), "level": frame["level"],
        "area_code": frame["area_code"].str.strip(), "area_name": frame["area_name"].str.strip(),
        "ons_code": frame["area_code"].str.strip(),
        "region_code": np.where(frame["level"] == "regional", frame["area_code"].str.strip(), ""),
        "region_name": np.where(frame["level"] == "regional", frame["area_name"].str.strip(), ""),
    }, index=frame.index)
    base.loc[is_national, "area_name"] = "England"
    # a row without a value has no figures at all (Fingertips writes -1 limits there)
    has_value = pd.to_numeric(frame["value"].str.strip(), errors="coerce").notna()
    pieces = []
    for column, suffix in FINGERTIPS_MEASURES.items():
        if column not in frame.columns:
            continue
        text = frame[column].str.strip()
        numbers = pd.to_numeric(text, errors="coerce")
        bad = numbers.isna() & (text != "")
        if bad.any():
            first = bad[bad].index[0]
            raise DataFileError(path, "holds text where a number belongs", column=column, value=text[first],
                                row=int(first) + 2, hint=_HINT)
        piece = base.copy()
        piece["measure"] = prefix + "_" + suffix
        usable = numbers.notna() & has_value
        piece["value"] = numbers.where(usable).astype(float)
        piece["status"] = np.where(usable, "ok", "x")
        piece["note"] = notes
        pieces.append(piece)
    out = pd.concat(pieces, ignore_index=True)
    return out[OBSERVATION_COLUMNS + ["note"]].reset_index(drop=True)
