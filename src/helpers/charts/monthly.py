"""Monthly figures: a council's own trend and its seasons."""

from __future__ import annotations

import base64
import functools
import html
import io
import math
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.text as _mpl_text
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.lines import Line2D
from matplotlib.text import Annotation, Text
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

try:  # matplotlib 3.10 and later
    from matplotlib.ft2font import Kerning, LoadFlags
except ImportError:  # pragma: no cover - older matplotlib
    from types import SimpleNamespace

    from matplotlib import ft2font as _ft2font

    LoadFlags = SimpleNamespace(NO_HINTING=_ft2font.LOAD_NO_HINTING)
    Kerning = SimpleNamespace(UNFITTED=_ft2font.KERNING_UNFITTED)

from ..errors import ParameterError
from ..theme import CM, STYLE_FILE, Theme, current_theme, load_theme, using_theme  # noqa: F401
from ..catalogue import UNITS, Indicator
from ..vocab import STATUS_WORDS
from .base import Chart, _axis_label, _fmt, _isnan, _lower_first, _measure_label, _new_axes, _possessive, _require_columns, _require_indicator, _same_when_rounded, _short, house_style, themed  # noqa: F401
from .layout import _layout, _line_style, _zero_based  # noqa: F401
from .trend import _isolated_points  # noqa: F401

# --------------------------------------------------------------------------- monthly figures

def _monthly_frame(data: pd.DataFrame, month: str, value: str) -> pd.DataFrame:
    _require_columns(data, [month, value])
    try:
        months = pd.to_datetime(data[month].astype(str) if data[month].dtype == object else data[month])
    except (ValueError, TypeError) as exc:
        raise ParameterError("month", f"column '{month}' must hold dates or 'YYYY-MM' strings ({exc})") from None
    frame = pd.DataFrame({"month": months.dt.to_period("M").dt.to_timestamp().to_numpy(),
                          "value": pd.to_numeric(data[value], errors="coerce").to_numpy(dtype=float)})
    frame = frame.groupby("month", as_index=True)["value"].first()
    full = pd.date_range(frame.index.min(), frame.index.max(), freq="MS")
    return frame.reindex(full).rename_axis("month").reset_index()  # missing months become gaps


def _local_indicator(indicator: Indicator | None, value: str, label: str | None) -> Indicator:
    """The catalogue entry, or a plain one for a local count with no entry
    (whole numbers, no unit, named by ``label`` or the value column)."""
    if indicator is not None:
        return _require_indicator(indicator)
    return Indicator(id=value, label=label or value.replace("_", " ").capitalize(), definition="",
                     section="local", unit="ratio", polarity="context", source="local",
                     period_basis="31 March", decimals=0)


@themed
def monthly_trend(data: pd.DataFrame, *, month: str = "month", value: str = "value", rolling: int | None = None,
                  indicator: Indicator | None = None, label: str | None = None, area: str = "The council",
                  target: float | None = None,
                  zero_baseline: bool = True, title: str | None = None, caption: str | None = None,
                  ax: Axes | None = None) -> Chart:
    """The council's own monthly figures as a line, with an optional rolling average.

    data
        one row per month: ``month`` (a date, or text such as "2025-03") and
        ``value``. Months missing from the run are drawn as gaps.
    rolling
        if given (e.g. 3), a ``rolling``-month average is drawn as the main
        line and the monthly figures as a thin grey line behind it.
    indicator
        the catalogue entry (label, unit, decimals); a local measure without
        one is shown as whole numbers, named by ``label`` ("Contacts received").
    area
        the council's name, for the title and alt text.
    target
        a target in the indicator's unit, drawn as a labelled line.
    """
    ind = _local_indicator(indicator, value, label)
    if rolling is not None and (not isinstance(rolling, int) or rolling < 2):
        raise ParameterError("rolling", "must be a whole number of months, 2 or more", rolling)
    style = house_style()
    frame = _monthly_frame(data, month, value)
    if rolling:
        frame["rolling"] = frame["value"].rolling(rolling, min_periods=rolling).mean()

    fig, ax, owns = _new_axes(ax)
    with mpl.rc_context(style.rc):
        x = frame["month"].to_numpy()
        ends = []
        if rolling:
            ax.plot(x, frame["value"], color=style.colour("neighbours"), lw=1.2, marker="o", markersize=2.5, zorder=2)
            kw = _line_style("council")
            kw.pop("marker")
            ax.plot(x, frame["rolling"], **kw)
            main, main_name = frame["rolling"], f"{rolling}-month average"
            last_raw = frame["value"].last_valid_index()
            if last_raw is not None:
                ends.append((frame.loc[last_raw, "month"], frame.loc[last_raw, "value"],
                             f"Monthly {_short(ind, frame.loc[last_raw, 'value'])}", style.colour("muted_text"), False))
        else:
            kw = _line_style("council")
            kw["markersize"] = 3.5
            ax.plot(x, frame["value"], **kw)
            main, main_name = frame["value"], area
        last = main.last_valid_index()
        if last is not None:
            ends.append((frame.loc[last, "month"], main[last], f"{main_name} {_short(ind, main[last])}",
                         style.colour("council"), True))
        if not _isnan(target):
            ax.axhline(target, color=style.colour("england"), lw=1.2, linestyle=style.dash("target"), zorder=3)
        values = list(frame["value"].dropna()) + ([target] if not _isnan(target) else [])
        if zero_baseline:
            _zero_based(ax, values, head=1.15)
        if not _isnan(target):
            ends.append((frame["month"].iloc[-1], target, f"Target {_short(ind, target)}", style.colour("england"), False))
        _date_axis(ax)
        ax.set_xlim(frame["month"].iloc[0] - pd.Timedelta(days=12), frame["month"].iloc[-1] + pd.Timedelta(days=12))
        ax.grid(axis="y")
        ax.set_ylabel(_axis_label(ind) if indicator is not None else "")
        if title is None:
            title = _monthly_title(area, ind, frame, main)
        _layout(fig, ax, owns, title, ends=ends)

    value_col = ind.label if indicator is None else _measure_label(ind)
    table = pd.DataFrame({"Month": frame["month"].dt.strftime("%b %Y"), value_col: frame["value"]})
    formats = {value_col: ind.decimals}
    if rolling:
        table[f"{rolling}-month average"] = frame["rolling"]
        formats[f"{rolling}-month average"] = ind.decimals
    alt = _monthly_alt(area, ind, frame, rolling, target)
    return Chart(fig, ax, title, alt, table, caption or _monthly_caption(frame), "monthly-trend", formats=formats)


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator, formats=["%Y", "%b", "%d", "%H:%M", "%H:%M", "%S.%f"],
                                            offset_formats=["", "", "", "", "", ""])
    formatter.zero_formats = ["", "%Y", "%b", "%d-%b", "%H:%M", "%H:%M"]
    # January ticks read "Jan\n2025" so every year is named on the axis
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda v, _: mdates.num2date(v).strftime("%b\n%Y" if mdates.num2date(v).month == 1 else "%b")))


def _monthly_caption(frame: pd.DataFrame) -> str:
    first, last = frame["month"].iloc[0], frame["month"].iloc[-1]
    return f"Source: council's own performance data, {first:%B %Y} to {last:%B %Y}."


def _monthly_title(area: str, ind: Indicator, frame: pd.DataFrame, main: pd.Series) -> str:
    known = main.dropna()
    if len(known) < 2:
        return f"{ind.label}: {area}"
    first_month = frame.loc[known.index[0], "month"]
    # headline style ("Northmoor: agency social workers down since ..."): local
    # measures' labels are mostly plural nouns, so no verb has to agree
    if _same_when_rounded(known.iloc[0], known.iloc[-1], ind.decimals):
        return f"{area}: {_lower_first(ind.label)} about the same as in {first_month:%B %Y}"
    direction = "up" if known.iloc[-1] > known.iloc[0] else "down"
    return f"{area}: {_lower_first(ind.label)} {direction} since {first_month:%B %Y}"


def _monthly_alt(area, ind, frame, rolling, target) -> str:
    known = frame.dropna(subset=["value"])
    first, last = frame["month"].iloc[0], frame["month"].iloc[-1]
    parts = [f"Line chart of {area}'s monthly {_lower_first(ind.label)}, {first:%B %Y} to {last:%B %Y}."]
    if len(known):
        lr = known.iloc[-1]
        hi, lo = known.loc[known["value"].idxmax()], known.loc[known["value"].idxmin()]
        parts.append(f"Latest ({lr['month']:%B %Y}) {_fmt(ind, lr['value'])}; highest {_fmt(ind, hi['value'])} in "
                     f"{hi['month']:%B %Y}; lowest {_fmt(ind, lo['value'])} in {lo['month']:%B %Y}.")
    if rolling and frame["rolling"].notna().any():
        r = frame.dropna(subset=["rolling"]).iloc[-1]
        parts.append(f"{rolling}-month average {_fmt(ind, r['rolling'])} to {r['month']:%B %Y}.")
    if not _isnan(target):
        parts.append(f"Target {_fmt(ind, target)}.")
    gaps = frame["value"].isna().sum()
    if gaps:
        parts.append(f"{gaps} month{'s' if gaps > 1 else ''} with no figure.")
    return " ".join(parts)


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@themed
def seasonality_chart(data: pd.DataFrame, *, month: str = "month", value: str = "value", year_start: int = 1,
                      years: int | None = 5, indicator: Indicator | None = None, label: str | None = None,
                      area: str = "The council",
                      zero_baseline: bool = True, title: str | None = None, caption: str | None = None,
                      ax: Axes | None = None) -> Chart:
    """Year on year by calendar month: one line per year, the latest highlighted.

    data
        one row per month: ``month`` (a date or "YYYY-MM") and ``value``.
    year_start
        the first month of a year on the x axis: 1 for calendar years
        (labelled "2025"), 4 for financial years (labelled "2024-25").
    years
        how many of the most recent years to show (None: all).
    indicator, label, area
        as for :func:`monthly_trend`.
    """
    if year_start not in range(1, 13):
        raise ParameterError("year_start", "must be a month number from 1 to 12", year_start)
    ind = _local_indicator(indicator, value, label)
    style = house_style()
    frame = _monthly_frame(data, month, value)
    m, y = frame["month"].dt.month, frame["month"].dt.year
    start_year = np.where(m >= year_start, y, y - 1)
    frame["year"] = [str(s) if year_start == 1 else f"{s}-{str(s + 1)[-2:]}" for s in start_year]
    frame["position"] = (m - year_start) % 12
    year_names = list(dict.fromkeys(frame["year"]))
    if years:
        year_names = year_names[-years:]
    frame = frame[frame["year"].isin(year_names)]
    latest_year = year_names[-1]
    month_names = [_MONTHS[(year_start - 1 + i) % 12] for i in range(12)]

    fig, ax, owns = _new_axes(ax)
    with mpl.rc_context(style.rc):
        greys = sns.light_palette(style.colour("other"), n_colors=len(year_names) + 1)[1:]
        ends = []
        for i, year in enumerate(year_names):
            ys = np.full(12, np.nan)
            part = frame[frame["year"] == year]
            ys[part["position"].to_numpy()] = part["value"].to_numpy()
            if year == latest_year:
                kw = _line_style("council")
                kw["markersize"] = 4
                colour = style.colour("council")
            else:
                colour = mpl.colors.to_hex(greys[i])
                kw = dict(color=colour, lw=1.4, zorder=2 + i / 10)
            ax.plot(range(12), ys, **kw)
            _isolated_points(ax, list(range(12)), ys, kw)
            known = np.flatnonzero(~np.isnan(ys))
            if len(known):
                j = known[-1]
                text_colour = colour if year == latest_year else style.colour("muted_text")
                ends.append((j, ys[j], year, text_colour, year == latest_year))
        ax.set_xticks(range(12), month_names)
        ax.set_xlim(-0.3, 11.3)
        if zero_baseline:
            _zero_based(ax, frame["value"], head=1.15)
        ax.grid(axis="y")
        ax.set_ylabel(_axis_label(ind) if indicator is not None else "")
        title = title or _seasonal_title(area, ind, frame, latest_year, year_names)
        _layout(fig, ax, owns, title, ends=ends)

    value_col = ind.label if indicator is None else _measure_label(ind)
    wide = frame.pivot_table(index="position", columns="year", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex(range(12))[year_names]
    table = wide.reset_index(drop=True)
    table.insert(0, "Month", month_names)
    table.columns.name = None
    alt = _seasonal_alt(area, ind, frame, latest_year, year_names, value_col)
    return Chart(fig, ax, title, alt, table, caption or _monthly_caption(frame), "seasonality",
                 formats={name: ind.decimals for name in year_names})


def _same_months_change(frame, latest_year, year_names):
    """Latest year's total and the previous year's total over the same months."""
    if len(year_names) < 2:
        return None
    this = frame[frame["year"] == latest_year].dropna(subset=["value"])
    prev = frame[frame["year"] == year_names[-2]].set_index("position")["value"]
    common = [p for p in this["position"] if p in prev.index and not _isnan(prev[p])]
    if not common:
        return None
    now = this.set_index("position").loc[common, "value"].mean()
    then = prev.loc[common].mean()
    return now, then, len(common)


def _seasonal_title(area, ind, frame, latest_year, year_names) -> str:
    change = _same_months_change(frame, latest_year, year_names)
    if change is None:
        return f"{_possessive(area)} {_lower_first(ind.label)} by month"
    now, then, _ = change
    if _same_when_rounded(now, then, ind.decimals):
        return f"{_possessive(area)} {_lower_first(ind.label)} in {latest_year} is level with the same months of {year_names[-2]}"
    word = "higher" if now > then else "lower"
    return f"{_possessive(area)} {_lower_first(ind.label)} in {latest_year} is {word} than in the same months of {year_names[-2]}"


def _seasonal_alt(area, ind, frame, latest_year, year_names, value_col) -> str:
    parts = [f"Line chart of {area}'s {_lower_first(ind.label)} by month, one line for each year "
             f"from {year_names[0]} to {latest_year}; {latest_year} is highlighted."]
    change = _same_months_change(frame, latest_year, year_names)
    if change is not None:
        now, then, k = change
        parts.append(f"Over the {k} month{'s' if k > 1 else ''} with figures in both years, {latest_year} averages "
                     f"{_fmt(ind, now)} a month against {_fmt(ind, then)} in {year_names[-2]}.")
    latest = frame[frame["year"] == latest_year].dropna(subset=["value"])
    if len(latest):
        r = latest.iloc[-1]
        parts.append(f"Latest month {r['month']:%B %Y}: {_fmt(ind, r['value'])}.")
    return " ".join(parts)
