"""Position strips: the council among every council, by quarter."""

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
from .base import Chart, _fmt, _isnan, _lower_first, _measure_label, _new_axes, _ordinal, _period_text, _require_columns, _require_indicator, _short, default_caption, house_style, themed  # noqa: F401
from .layout import _layout  # noqa: F401

# --------------------------------------------------------------------------- position strip

def quartile_bands(indicator: Indicator) -> list[str]:
    """Band names from the lowest quarter of values to the highest: A is the
    best quarter by polarity; context indicators get plain quartiles."""
    if indicator.polarity == "lower_is_better":
        return ["A", "B", "C", "D"]
    if indicator.polarity == "higher_is_better":
        return ["D", "C", "B", "A"]
    return ["Q1", "Q2", "Q3", "Q4"]


@themed
def position_strip(data: pd.DataFrame, *, value: str = "value", label: str = "area_name", highlight: str,
                   indicator: Indicator, quartiles: Sequence[float] | None = None, england: float | None = None,
                   period: int | None = None, title: str | None = None, caption: str | None = None,
                   ax: Axes | None = None) -> Chart:
    """Where the council sits among all English councils, with quartile bands.

    data
        one row per council (``label``, ``value``); missing values are left out.
    quartiles
        the three cut points (lower quartile, median, upper quartile); by
        default computed from ``data`` (numpy's linear method). Band A is the
        best quarter by polarity; context indicators show Q1 (lowest) to Q4.
    england
        England's value, marked with a dashed line.
    """
    indicator = _require_indicator(indicator)
    frame, quartiles = _strip_frame(data, value, label, highlight, indicator, quartiles)
    council = frame[frame["area"] == highlight].iloc[0]
    title = title or _strip_title(highlight, indicator, council["band"])
    fig, ax, owns = _new_axes(ax, height_cm=6.2)
    with mpl.rc_context(house_style().rc):
        _draw_strip(ax, frame, council, highlight, indicator, quartiles, england)
        _layout(fig, ax, owns, title)

    value_col = _measure_label(indicator)
    table = frame.sort_values("value", ascending=indicator.polarity == "lower_is_better")
    table = table.rename(columns={"area": "Area", "value": value_col, "band": "Quartile band"})
    if not _isnan(england):
        table = pd.concat([table, pd.DataFrame([{"Area": "England", value_col: england, "Quartile band": ""}])],
                          ignore_index=True)
    alt = _strip_alt(indicator, frame, council, quartiles, england, highlight, period)
    return Chart(fig, ax, title, alt, table.reset_index(drop=True), caption or default_caption(indicator, period),
                 "position-strip", formats={value_col: indicator.decimals})


def _strip_frame(data: pd.DataFrame, value: str, label: str, highlight: str, indicator: Indicator,
                 quartiles: Sequence[float] | None) -> tuple[pd.DataFrame, list[float]]:
    """(each council with a value and its quartile band; the three cut
    points, from ``data`` unless given), checked."""
    _require_columns(data, [value, label])
    frame = pd.DataFrame({"area": data[label].astype(str),
                          "value": pd.to_numeric(data[value], errors="coerce")}).dropna(subset=["value"])
    if highlight not in set(frame["area"]):
        raise ParameterError("highlight", f"has no value in column '{label}'", highlight)
    if quartiles is None:
        quartiles = np.percentile(frame["value"], [25, 50, 75]).tolist()
    if len(quartiles) != 3 or list(quartiles) != sorted(quartiles):
        raise ParameterError("quartiles", "must be three ascending cut points (lower quartile, median, "
                                          "upper quartile)", quartiles)
    names = quartile_bands(indicator)
    frame["band"] = [names[int(np.searchsorted(quartiles, v, side="left"))] for v in frame["value"]]
    return frame, quartiles


def _draw_strip(ax: Axes, frame: pd.DataFrame, council, highlight: str, indicator: Indicator,
                quartiles: Sequence[float], england: float | None) -> None:
    """The quartile bands, every council's point (jittered the same way
    every build), the council's mark and label, England's line and the
    axis label, on ``ax`` in the house style in use."""
    style = house_style()
    lo, hi = frame["value"].min(), frame["value"].max()
    if not _isnan(england):
        lo, hi = min(lo, england), max(hi, england)
    pad = (hi - lo) * 0.04 or 1
    x0, x1 = lo - pad, hi + pad
    if lo >= 0:
        x0 = max(x0, 0)
    edges = [x0, *quartiles, x1]
    for i, band in enumerate(quartile_bands(indicator)):
        ax.axvspan(edges[i], edges[i + 1], color=style.colour("band_dark" if i % 2 else "band_light"),
                   lw=0, zorder=0)
        ax.annotate(band, xy=((edges[i] + edges[i + 1]) / 2, 1), xycoords=("data", "axes fraction"),
                    xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                    fontsize=style.font["base_pt"], fontweight="bold", color=style.colour("muted_text"))
    rng = np.random.default_rng(0)  # fixed jitter: the same chart every build
    jitter = rng.uniform(-0.28, 0.28, len(frame))
    others = frame["area"] != highlight
    ax.scatter(frame.loc[others, "value"], jitter[others.to_numpy()], s=22, color=style.colour("neighbours"),
               edgecolor=style.colour("axis"), linewidth=0.4, zorder=3)
    ax.scatter([council["value"]], [0], s=90, color=style.colour("council"), edgecolor="white",
               linewidth=1.3, zorder=6)
    ax.annotate(f"{highlight} {_short(indicator, council['value'])}", xy=(council["value"], 0),
                xytext=(0, 13), textcoords="offset points", ha="center", va="bottom",
                fontsize=style.font["small_pt"], fontweight="bold", color=style.colour("council"), zorder=7,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9))
    if not _isnan(england):
        ax.axvline(england, color=style.colour("england"), lw=style.lines["reference_width"],
                   linestyle=style.dash("england"), zorder=4)
        ax.annotate(f"England {_short(indicator, england)}", xy=(england, 0), xycoords=("data", "axes fraction"),
                    xytext=(3, 3), textcoords="offset points", ha="left", va="bottom",
                    fontsize=style.font["small_pt"], color=style.colour("england"),
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8), zorder=7)
    ax.set_xlim(x0, x1)
    ax.set_ylim(-0.5, 0.62)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    if indicator.is_context:
        note = "Q1 is the quarter of councils with the lowest figures"
    else:
        direction = "lowest" if indicator.polarity == "lower_is_better" else "highest"
        note = f"Band A is the best quarter of councils (the {direction} figures)"
    ax.set_xlabel(f"{_measure_label(indicator)}\n{note}")


_BAND_WORDS = {"A": "the best quarter", "B": "the second-best quarter", "C": "the second-worst quarter",
               "D": "the worst quarter", "Q1": "the lowest quarter", "Q2": "the second-lowest quarter",
               "Q3": "the second-highest quarter", "Q4": "the highest quarter"}


def _strip_title(highlight: str, indicator: Indicator, band: str) -> str:
    return f"{highlight} is in {_BAND_WORDS[band]} of councils for {_lower_first(indicator.label)}"


def _strip_alt(indicator, frame, council, quartiles, england, highlight, period) -> str:
    ascending = indicator.polarity == "lower_is_better"
    ranked = frame.sort_values("value", ascending=ascending).reset_index(drop=True)
    rank = int(ranked.index[ranked["area"] == highlight][0]) + 1
    order_word = "1st is the best" if not indicator.is_context else "1st is the highest"
    parts = [f"Strip chart of {_lower_first(indicator.label)} for {len(frame)} councils in England"
             f"{_period_text(indicator, period)}.",
             f"{highlight} {_fmt(indicator, council['value'])}, band {council['band']} ({_BAND_WORDS[council['band']]}), "
             f"{_ordinal(rank)} of {len(frame)} ({order_word}).",
             f"Quartile cut points {_short(indicator, quartiles[0])}, {_short(indicator, quartiles[1])} and "
             f"{_short(indicator, quartiles[2])}."]
    if not _isnan(england):
        parts.append(f"England {_fmt(indicator, england)}.")
    return " ".join(parts)
