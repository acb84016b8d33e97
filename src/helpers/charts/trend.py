"""Time series: the council's figures over the years beside its comparators."""

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
from .base import Chart, _axis_label, _fmt, _isnan, _lower_first, _measure_label, _new_axes, _require_columns, _require_indicator, _short, default_caption, house_style, themed, trend_title  # noqa: F401
from .layout import _layout, _line_style, _period_ticks, _series_role, _zero_based  # noqa: F401
from .bars import _and_list  # noqa: F401

# --------------------------------------------------------------------------- time series

@themed
def time_series(data: pd.DataFrame, *, period: str = "period", value: str = "value", series: str = "series",
                highlight: str, indicator: Indicator, roles: Mapping[str, str] | None = None,
                zero_baseline: bool = True, title: str | None = None, caption: str | None = None,
                ax: Axes | None = None) -> Chart:
    """Lines over time for the council and its comparators, labelled at their ends.

    data
        one row per series and period: ``series`` names the line
        ("Devon", "Neighbour average", "South West", "England"), ``period``
        is the int year the period ends, ``value`` the figure (NaN for a
        missing or suppressed point, drawn as a gap).
    highlight
        the series that is the council; drawn in the house colour.
    roles
        optional {series name: role}; roles are council, neighbour_mean,
        region, england, other. Without it "England" is England, a name with
        "neighbour" is the neighbour average and anything else a region.
    zero_baseline
        start the y axis at zero (default) so changes are not exaggerated.
    """
    indicator = _require_indicator(indicator)
    _require_columns(data, [period, value, series])
    style = house_style()
    frame = pd.DataFrame({"period": pd.to_numeric(data[period], errors="coerce"),
                          "series": data[series].astype(str),
                          "value": pd.to_numeric(data[value], errors="coerce")}).dropna(subset=["period"])
    frame["period"] = frame["period"].astype(int)
    if highlight not in set(frame["series"]):
        raise ParameterError("highlight", f"is not a value in column '{series}'; it has "
                                          f"{sorted(frame['series'].unique())}", highlight)
    wide = frame.pivot_table(index="period", columns="series", values="value", aggfunc="first", dropna=False)
    periods = list(range(int(wide.index.min()), int(wide.index.max()) + 1))
    wide = wide.reindex(periods)  # a missing year becomes a gap, not a straight line across it
    names = list(dict.fromkeys(frame["series"]))
    role_of = {n: _series_role(n, highlight, roles) for n in names}
    draw_order = sorted(names, key=lambda n: {"other": 0, "region": 1, "neighbour_mean": 2, "england": 3,
                                              "council": 4}[role_of[n]])

    fig, ax, owns = _new_axes(ax)
    with mpl.rc_context(style.rc):
        for name in draw_order:
            kw = _line_style(role_of[name])
            ys = wide[name].to_numpy(dtype=float)
            ax.plot(periods, ys, label=name, **kw)
            _isolated_points(ax, periods, ys, kw)
        ax.set_xlim(periods[0] - 0.25, periods[-1] + 0.25)
        values = frame["value"].dropna()
        if zero_baseline:
            _zero_based(ax, values, head=1.15)
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.grid(axis="y")
        _period_ticks(ax, indicator, periods)
        ax.set_ylabel(_axis_label(indicator))
        ax.set_xlabel("")

        ends = []
        for name in draw_order:
            series_values = wide[name].dropna()
            if series_values.empty:
                continue
            x_end, y_end = int(series_values.index[-1]), float(series_values.iloc[-1])
            role = role_of[name]
            colour = style.colour("muted_text") if role == "other" else style.colour(role)
            ends.append((x_end, y_end, f"{name} {_short(indicator, y_end)}", colour, role == "council"))

        council = wide[highlight]
        known = council.dropna()
        if title is None:
            title = (trend_title(highlight, indicator, known.iloc[0], known.iloc[-1], int(known.index[0]))
                     if len(known) > 1 else f"{indicator.label}: {highlight}")
        _layout(fig, ax, owns, title, ends=ends)

    table = wide[names].reset_index().melt(id_vars="period", var_name="Series", value_name="value")
    table.insert(0, "Period", [indicator.period_label(p) for p in table["period"]])
    table = table.drop(columns="period").rename(columns={"value": _measure_label(indicator)})
    alt = _series_alt(indicator, wide, names, role_of, highlight, periods)
    return Chart(fig, ax, title, alt, table, caption or default_caption(indicator, periods=periods),
                 "time-series", formats={_measure_label(indicator): indicator.decimals})


def _isolated_points(ax: Axes, xs, ys: np.ndarray, kw: dict) -> None:
    """A point with gaps either side draws no line; show it as a dot."""
    known = ~np.isnan(ys)
    before = np.r_[False, known[:-1]]
    after = np.r_[known[1:], False]
    alone = known & ~before & ~after
    if alone.any() and "marker" not in kw:
        ax.plot(np.asarray(xs)[alone], ys[alone], linestyle="none", marker="o", markersize=4,
                color=kw["color"], zorder=kw["zorder"])


def _series_alt(indicator, wide, names, role_of, highlight, periods) -> str:
    council = wide[highlight].dropna()
    first, last = indicator.period_label(periods[0]), indicator.period_label(periods[-1])
    others = [n for n in names if n != highlight]
    parts = [f"Line chart of {_lower_first(indicator.label)} from {first} to {last} for {highlight}"
             + (f", compared with {_and_list(others)}." if others else ".")]
    if len(council):
        p0, p1 = int(council.index[0]), int(council.index[-1])
        if p0 != p1:
            parts.append(f"{highlight} went from {_fmt(indicator, council.iloc[0])} {indicator.period_at(p0)} "
                         f"to {_fmt(indicator, council.iloc[-1])} {indicator.period_at(p1)}.")
        else:
            parts.append(f"{highlight} {_fmt(indicator, council.iloc[-1])} {indicator.period_at(p1)}.")
        latest = [f"{n} {_fmt(indicator, wide.loc[p1, n])}" for n in others if not _isnan(wide.loc[p1, n])]
        if latest:
            parts.append(f"{indicator.period_at(p1)[:1].upper()}{indicator.period_at(p1)[1:]}: {', '.join(latest)}.")
    missing = [indicator.period_at(p) for p in periods if _isnan(wide.loc[p, highlight])]
    if missing:
        parts.append(f"No figure for {highlight} {_and_list(missing)}.")
    return " ".join(parts)
