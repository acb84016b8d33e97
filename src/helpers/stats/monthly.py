"""Monthly series of a council's own figures: year on year, rolling 12
months and the seasonal profile (pure pandas, no words)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["year_on_year", "rolling_12_month", "monthly_profile"]

def _month_index(s: pd.Series) -> pd.Series:
    """Months as integers (year * 12 + month - 1) from datetimes or 'YYYY-MM'."""
    if isinstance(s.dtype, pd.PeriodDtype):
        ts = s.dt.to_timestamp()
    else:
        ts = pd.to_datetime(s.astype(str) if not pd.api.types.is_datetime64_any_dtype(s) else s, format="mixed")
    return ts.dt.year * 12 + ts.dt.month - 1


def _month_from_index(mi: pd.Series) -> pd.Series:
    mi = mi.astype(int)
    return pd.to_datetime(pd.DataFrame({"year": mi // 12, "month": mi % 12 + 1, "day": 1}))


def year_on_year(df: pd.DataFrame, month: str = "month", value: str = "value", by=None) -> pd.DataFrame:
    """Each month against the same month a year earlier.

    Input: a month column (datetime or 'YYYY-MM'), a value column and optional
    grouping columns ``by``. Returns the rows sorted by group and month with
    added columns month_start (first day of the month), value_last_year,
    yoy_change and yoy_pct (percent, NaN where last year is 0 or missing)."""
    by = [by] if isinstance(by, str) else list(by or [])
    out = df.copy()
    out["_mi"] = _month_index(out[month]).to_numpy()
    prev = out[by + ["_mi", value]].rename(columns={value: "value_last_year"})
    prev = prev.drop_duplicates(by + ["_mi"], keep="last")
    prev["_mi"] = prev["_mi"] + 12
    out = out.merge(prev, on=by + ["_mi"], how="left")
    out["month_start"] = _month_from_index(out["_mi"])
    out["yoy_change"] = out[value] - out["value_last_year"]
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = out["yoy_change"] / out["value_last_year"].where(out["value_last_year"] != 0) * 100
    out["yoy_pct"] = pct
    return out.sort_values(by + ["_mi"]).drop(columns="_mi").reset_index(drop=True)


def rolling_12_month(df: pd.DataFrame, month: str = "month", value: str = "value", by=None,
                     how: str = "mean") -> pd.DataFrame:
    """Rolling 12-month average (``how="mean"``) or total (``"sum"``).

    The window is 12 calendar months: a missing month is a gap, not skipped,
    and the rolling figure is NaN until 12 consecutive months have values.
    Returns the input rows (sorted) with a ``rolling_12m`` column."""
    by = [by] if isinstance(by, str) else list(by or [])
    out = df.copy()
    out["_mi"] = _month_index(out[month]).to_numpy()
    out = out.sort_values(by + ["_mi"]).reset_index(drop=True)
    keyed = out[by + ["_mi", value]].drop_duplicates(by + ["_mi"], keep="last")
    pieces = []
    grouped = keyed.groupby(by, sort=False) if by else [((), keyed)]
    for key, part in grouped:
        full = np.arange(part["_mi"].min(), part["_mi"].max() + 1)
        s = part.set_index("_mi")[value].astype(float).reindex(full)
        roll = s.rolling(12, min_periods=12)
        r = roll.mean() if how == "mean" else roll.sum()
        piece = pd.DataFrame({"_mi": full, "rolling_12m": r.to_numpy()})
        key = key if isinstance(key, tuple) else (key,)
        for col, k in zip(by, key):
            piece[col] = k
        pieces.append(piece)
    rolled = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=by + ["_mi", "rolling_12m"])
    out = out.merge(rolled, on=by + ["_mi"], how="left")
    return out.drop(columns="_mi")


def monthly_profile(df: pd.DataFrame, month: str = "month", value: str = "value", by=None) -> pd.DataFrame:
    """Average for each calendar month across years (seasonality): columns
    (by...), calendar_month (1-12), month_name, mean, min, max, years."""
    by = [by] if isinstance(by, str) else list(by or [])
    d = df.copy()
    mi = _month_index(d[month])
    d["calendar_month"] = (mi % 12 + 1).to_numpy()
    agg = d.groupby(by + ["calendar_month"])[value].agg(["mean", "min", "max", "count"]).reset_index()
    agg = agg.rename(columns={"count": "years"})
    agg["month_name"] = pd.to_datetime(agg["calendar_month"].astype(int).astype(str) + "-1-2000",
                                       format="%m-%d-%Y").dt.strftime("%B")
    return agg[by + ["calendar_month", "month_name", "mean", "min", "max", "years"]]
