"""Funnel plots: every council by its size, with the usual range for councils."""

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
from .base import Chart, _axis_label, _fmt, _isnan, _lower_first, _measure_label, _new_axes, _period_text, _possessive, _require_columns, _require_indicator, _short, default_caption, house_style, themed  # noqa: F401
from .layout import _layered, _layout, _text_box  # noqa: F401

# --------------------------------------------------------------------------- funnel plot

_FUNNEL_LIMITS = ("denominator", "lower95", "upper95", "lower998", "upper998")


@themed
def funnel_plot(data: pd.DataFrame, *, numerator: str = "numerator", denominator: str = "denominator",
                label: str = "area_name", highlight: str, indicator: Indicator, limits: pd.DataFrame,
                centre: float | None = None, centre_name: str = "England", period: int | None = None,
                denominator_label: str = "Number counted (denominator)", title: str | None = None,
                caption: str | None = None, ax: Axes | None = None, x_ticks: int | None = None,
                reuse_layers: bool = False) -> Chart:
    """Every council's rate against the size of its count, with control limits.

    data
        one row per council with ``numerator`` and ``denominator`` counts;
        the rate plotted is numerator / denominator x 100 for percentages,
        x 10,000 for rates per 10,000 and x 1 otherwise.
    limits
        the funnel, in the indicator's unit: columns denominator, lower95,
        upper95, lower998, upper998, and optionally ``centre`` (or pass
        ``centre=``), usually England's rate.
    highlight
        the council to mark and label.
    x_ticks
        at most this many ticks on the count axis (large populations' labels
        otherwise run into each other); default matplotlib's choice.
    reuse_layers
        draw what is the same for every council (every point, the limits and
        the axes) once per process and lay each council's own mark, label
        and title over it (see :mod:`helpers.charts.layers`): the same
        image, drawn in a fraction of the time when many councils' charts
        are drawn. Only for a figure this function makes, saved as SVG.
    """
    indicator = _require_indicator(indicator)
    frame, lim, centre = _funnel_frame(data, numerator, denominator, label, highlight, indicator, limits, centre)
    style = house_style()
    subject = frame[frame["area"] == highlight].iloc[0]
    bottom, top = _funnel_range(frame["rate"].to_numpy(), centre, subject["rate"])
    x_top = max(frame["denominator"].max(), 1) * 1.06
    title = title or _funnel_title(highlight, indicator, subject["position"])
    mark = (subject, f"{highlight} {_short(indicator, subject['rate'])}", bottom, top, x_top, centre, centre_name,
            indicator)
    drawn = dict(frame=frame, lim=lim, centre=centre, centre_name=centre_name, bottom=bottom, top=top, x_top=x_top,
                 indicator=indicator, denominator_label=denominator_label, x_ticks=x_ticks)
    layered = _layered(style, ax, reuse_layers, "funnel", drawn, _funnel_background, title, mark, _funnel_mark)
    if layered is None:
        fig, ax, owns = _new_axes(ax)
        with mpl.rc_context(style.rc):
            ends = _funnel_background(ax, **drawn)
            _funnel_mark(fig, ax, owns, *mark)
            _layout(fig, ax, owns, title, ends=ends, end_pad=4)
    else:
        fig, ax = layered[:2]

    value_col = _measure_label(indicator)
    table = frame.sort_values("rate", ascending=False)[["area", "numerator", "denominator", "rate", "position"]]
    table.columns = ["Area", "Numerator", "Denominator", value_col, "Compared with the funnel limits"]
    alt = _funnel_alt(indicator, frame, subject, centre, centre_name, highlight, period)
    chart = Chart(fig, ax, title, alt, table.reset_index(drop=True), caption or default_caption(indicator, period),
                  "funnel", formats={"Numerator": 0, "Denominator": 0, value_col: indicator.decimals})
    if layered is not None:
        chart.background = layered[2]
        chart.whole = lambda: funnel_plot(data, numerator=numerator, denominator=denominator, label=label,
                                          highlight=highlight, indicator=indicator, limits=limits, centre=centre,
                                          centre_name=centre_name, period=period,
                                          denominator_label=denominator_label, title=title, caption=caption,
                                          x_ticks=x_ticks)
    return chart


def _funnel_frame(data, numerator, denominator, label, highlight, indicator, limits, centre):
    """(each council's counts, rate and place against the limits; the limits
    sorted by size; the centre), checked."""
    _require_columns(data, [numerator, denominator, label])
    _require_columns(limits, _FUNNEL_LIMITS, "limits")
    if centre is None:
        for col in ("centre", "target"):
            if col in limits.columns and limits[col].notna().any():
                centre = float(limits[col].dropna().iloc[0])
                break
    if _isnan(centre):
        raise ParameterError("centre", "is needed: pass centre= or give limits a 'centre' column")
    scale = {"percent": 100, "per_10k": 10_000}.get(indicator.unit, 1)
    frame = pd.DataFrame({"area": data[label].astype(str),
                          "numerator": pd.to_numeric(data[numerator], errors="coerce"),
                          "denominator": pd.to_numeric(data[denominator], errors="coerce")})
    frame = frame[(frame["denominator"] > 0) & frame["numerator"].notna()].copy()
    if highlight not in set(frame["area"]):
        raise ParameterError("highlight", f"has no numerator and denominator in column '{label}'", highlight)
    frame["rate"] = frame["numerator"] / frame["denominator"] * scale
    lim = limits.sort_values("denominator")
    for col in _FUNNEL_LIMITS[1:]:
        frame[col] = np.interp(frame["denominator"], lim["denominator"], lim[col])
    frame["position"] = [_funnel_position(r) for r in frame.itertuples()]
    return frame, lim, centre


def _funnel_range(rates: np.ndarray, centre: float, subject_rate: float) -> tuple[float, float]:
    """The rate axis: a few extreme small councils would squash the funnel,
    so it stops just beyond the 98th percentile (those points sit on its
    edge as triangles, counted in a note), and always shows the council."""
    spread_ = max(np.percentile(rates, 98) - np.percentile(rates, 2), abs(centre) * 0.1, 1e-9)
    top = max(np.percentile(rates, 98), centre, subject_rate) + 0.2 * spread_
    bottom = max(0.0, min(np.percentile(rates, 2), centre, subject_rate) - 0.2 * spread_)
    if rates.min() >= bottom - 0.05 * spread_ and rates.min() >= 0:
        bottom = max(0.0, min(rates.min(), centre) - 0.1 * spread_)
    if rates.max() <= top + 0.05 * spread_:
        top = max(rates.max(), centre) + 0.1 * spread_
    return float(bottom), float(top)


def _funnel_background(ax: Axes, *, frame, lim, centre, centre_name, bottom, top, x_top, indicator,
                       denominator_label, x_ticks) -> list:
    """What a funnel plot shows whichever council it is for: the limits,
    every council's point (the highlighted council's mark goes over its
    own), the axes; returns the end labels for :func:`_layout`."""
    style = house_style()
    d = lim["denominator"].to_numpy(dtype=float)
    ax.fill_between(d, lim["lower95"], lim["upper95"], color=style.colour("funnel_fill"), lw=0, zorder=1)
    for low, high, role in (("lower95", "upper95", "funnel_95"), ("lower998", "upper998", "funnel_998")):
        for col in (low, high):
            ax.plot(d, lim[col], color=style.colour(role), lw=1.1, linestyle=style.dash(role), zorder=2)
    ax.axhline(centre, color=style.colour("england"), lw=1.0, zorder=2)
    inside = frame[(frame["rate"] >= bottom) & (frame["rate"] <= top)]
    ax.scatter(inside["denominator"], inside["rate"], s=22, color=style.colour("neighbours"),
               edgecolor=style.colour("axis"), linewidth=0.4, zorder=3)
    off = frame[(frame["rate"] < bottom) | (frame["rate"] > top)]
    for marker, part, edge in (("^", off[off["rate"] > top], top), ("v", off[off["rate"] < bottom], bottom)):
        if len(part):
            ax.scatter(part["denominator"], np.full(len(part), edge), marker=marker, s=30,
                       color=style.colour("neighbours"), edgecolor=style.colour("axis"), linewidth=0.4,
                       zorder=3, clip_on=False)
    if len(off):
        ax.annotate(f"{len(off)} council{'s' if len(off) > 1 else ''} off the scale (triangles)",
                    xy=(1, 1), xycoords="axes fraction", xytext=(0, 3), textcoords="offset points",
                    ha="right", va="bottom", fontsize=style.font["small_pt"], color=style.colour("muted_text"))
    ax.set_ylim(bottom, top)
    ax.set_xlim(0, x_top)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    if x_ticks:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=x_ticks, min_n_ticks=3))
    ax.set_xlabel(denominator_label)
    ax.set_ylabel(_axis_label(indicator))
    x_end = d[-1] if d[-1] <= ax.get_xlim()[1] else ax.get_xlim()[1]
    ends = [(x_end, float(np.interp(x_end, d, lim["upper95"])), "95% limits", style.colour("funnel_95"), False),
            (x_end, float(np.interp(x_end, d, lim["upper998"])), "99.8% limits", style.colour("funnel_998"), False),
            (x_end, centre, f"{centre_name} {_short(indicator, centre)}", style.colour("england"), True)]
    return [e for e in ends if bottom <= e[1] <= top]


def _funnel_mark(fig: Figure, ax: Axes, owns: bool, subject, label: str, bottom: float, top: float,
                 x_top: float, centre: float, centre_name: str, indicator: Indicator) -> list[Text]:
    """The highlighted council's point and its label: right of the point
    where it fits, and above it, or below it near the top, where the "off
    the scale" triangles and note sit."""
    style = house_style()
    ax.scatter([subject["denominator"]], [subject["rate"]], s=80, color=style.colour("council"),
               edgecolor="white", linewidth=1.2, zorder=6)
    ha, dx = _label_side(label, subject["denominator"] / x_top,
                         _funnel_plot_width(fig, ax, owns, indicator, centre, centre_name))
    high = (subject["rate"] - bottom) / max(top - bottom, 1e-12) > 0.7
    return [ax.annotate(label, xy=(subject["denominator"], subject["rate"]), xytext=(dx, -8 if high else 8),
                        textcoords="offset points", ha=ha, va="top" if high else "baseline",
                        fontsize=style.font["small_pt"], fontweight="bold", color=style.colour("council"),
                        zorder=7, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))]


def _funnel_plot_width(fig: Figure, ax: Axes, owns: bool, indicator: Indicator, centre: float,
                       centre_name: str) -> float:
    """The funnel plot's width in points: the caller's axes', or for a figure
    we make, the figure's less room for the axis on the left and the limit
    labels on the right."""
    if not owns:
        return ax.get_position().width * fig.get_figwidth() * 72
    small = house_style().font["small_pt"]
    ends = max(_text_box(text, small, bold=bold)[1] for text, bold in (
        ("99.8% limits", False), (f"{centre_name} {_short(indicator, centre)}", True)))
    return fig.get_figwidth() * 72 - 55 - ends - 8


def _label_side(text: str, fx: float, plot_width: float, gap: float = 8) -> tuple[str, float]:
    """(ha, x offset in points) for a bold label by a point ``fx`` of the
    way across a plot: right of the point where it fits in the plot, else
    left of it, else centred over it; where none fits, the side with most
    room."""
    width = _text_box(text, house_style().font["small_pt"], bold=True)[1] + 4  # its backing box too
    at = fx * plot_width
    sides = [("left", gap, at + gap, at + gap + width), ("right", -gap, at - gap - width, at - gap),
             ("center", 0.0, at - width / 2, at + width / 2)]
    for ha, dx, start, end in sides:
        if start >= 0 and end <= plot_width:
            return ha, dx
    ha, dx, _, _ = min(sides, key=lambda side: max(-side[2], 0) + max(side[3] - plot_width, 0))
    return ha, dx


def _funnel_position(row) -> str:
    if row.rate > row.upper998:
        return "above the 99.8% limit"
    if row.rate < row.lower998:
        return "below the 99.8% limit"
    if row.rate > row.upper95:
        return "above the 95% limit"
    if row.rate < row.lower95:
        return "below the 95% limit"
    return "within the 95% limits"


def _funnel_title(highlight: str, indicator: Indicator, position: str) -> str:
    if position == "within the 95% limits":
        return f"{_possessive(highlight)} {_lower_first(indicator.label)} is within the range expected by chance"
    side = "higher" if position.startswith("above") else "lower"
    return f"{_possessive(highlight)} {_lower_first(indicator.label)} is {side} than chance alone would explain"


def _funnel_alt(indicator, frame, subject, centre, centre_name, highlight, period) -> str:
    outside = frame["position"].str.contains("99.8").sum()
    return (f"Funnel plot of {_lower_first(indicator.label)} for {len(frame)} councils"
            f"{_period_text(indicator, period)}, against the number counted. "
            f"{highlight} {_fmt(indicator, subject['rate'])} ({subject['numerator']:,.0f} of "
            f"{subject['denominator']:,.0f}), {subject['position']}; {centre_name} {_fmt(indicator, centre)}. "
            f"At {highlight}'s size the 95% limits are {_short(indicator, subject['lower95'])} to "
            f"{_short(indicator, subject['upper95'])}. {outside} of {len(frame)} councils are outside the 99.8% limits.")
