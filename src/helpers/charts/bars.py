"""Benchmark bars: the council among its comparators, with the neighbour mean and England."""

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
from .base import Chart, _fmt, _isnan, _lower_first, _measure_label, _new_axes, _ordinal, _period_text, _require_columns, _require_indicator, _short, default_caption, finding_title, house_style, themed  # noqa: F401
from .layout import _layout, _line_style, _zero_based  # noqa: F401

# --------------------------------------------------------------------------- benchmark bars

@themed
def benchmark_bars(data: pd.DataFrame, *, value: str = "value", label: str = "area_name", highlight: str,
                   indicator: Indicator, status: str = "status", period: int | None = None,
                   neighbour_mean: float | None = None, england: float | None = None,
                   group: str = "statistical neighbours", title: str | None = None, caption: str | None = None,
                   ax: Axes | None = None) -> Chart:
    """Horizontal bars for the council and its comparators, best at the top.

    data
        one row per council: ``label`` (the area's name), ``value`` and, if
        present, ``status`` ("ok" or a code: c suppressed, x not available,
        z not applicable, u low reliability). A row that is not "ok" or has
        no value is drawn as a labelled gap, never as a zero bar.
    highlight
        the council the pack is about; its bar is the house colour.
    indicator
        the catalogue entry: label, unit, decimals and polarity. Bars are
        sorted best first; context indicators are sorted largest first.
    neighbour_mean, england
        reference values drawn as labelled vertical lines (omit to leave out).
    period
        the period shown (an int, e.g. 2025), for the alt text and caption;
        taken from a single-valued ``period`` column when not given.
    """
    indicator = _require_indicator(indicator)
    frame, order, drawn = _bars_frame(data, value, label, status, highlight, indicator)
    if period is None and "period" in data.columns and data["period"].nunique() == 1:
        period = int(data["period"].iloc[0])
    lines = [(v, name, role) for v, name, role in (
        (neighbour_mean, "Neighbour average", "neighbour_mean"), (england, "England", "england")) if not _isnan(v)]
    council_value = frame.loc[frame["area"] == highlight, "value"].iloc[0]
    title = title or finding_title(highlight, indicator, council_value, neighbour_mean)

    fig, ax, owns = _new_axes(ax, height_cm=max(6.5, 3.4 + 0.62 * len(order)))
    with mpl.rc_context(house_style().rc):
        _draw_bars(ax, frame, order, drawn, highlight, indicator, lines)
        _layout(fig, ax, owns, title)

    alt = _bars_alt(indicator, frame, drawn, highlight, council_value, neighbour_mean, england, group, period)
    return Chart(fig, ax, title, alt, _bars_table(frame, order, indicator, lines),
                 caption or default_caption(indicator, period), "benchmark-bars",
                 formats={_measure_label(indicator): indicator.decimals})


def _bars_frame(data: pd.DataFrame, value: str, label: str, status: str, highlight: str,
                indicator: Indicator) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """(every area's value and status; the areas in the order drawn: best
    first, context measures largest first, then the gaps by name; the areas
    with a value, in that order).
    A coded figure is never drawn; an "ok" row without a value is "missing"."""
    _require_columns(data, [value, label])
    frame = pd.DataFrame({
        "area": data[label].astype(str).to_numpy(),
        "value": pd.to_numeric(data[value], errors="coerce").to_numpy(dtype=float),
        "status": (data[status].fillna("ok").astype(str).to_numpy() if status in data.columns
                   else np.full(len(data), "ok", dtype=object)),
    })
    if highlight not in set(frame["area"]):
        raise ParameterError("highlight", f"is not a value in column '{label}'; it has "
                                          f"{sorted(frame['area'])[:12]}", highlight)
    frame.loc[frame["status"] != "ok", "value"] = np.nan
    frame.loc[(frame["status"] == "ok") & frame["value"].isna(), "status"] = "missing"
    ascending = indicator.polarity == "lower_is_better"
    drawn = frame[frame["value"].notna()].sort_values(["value", "area"], ascending=[ascending, True], kind="stable")
    gaps = frame[frame["value"].isna()].sort_values("area")
    return frame, list(drawn["area"]) + list(gaps["area"]), drawn


def _draw_bars(ax: Axes, frame: pd.DataFrame, order: list[str], drawn: pd.DataFrame, highlight: str,
               indicator: Indicator, lines: list[tuple[float, str, str]]) -> None:
    """The bars, area names, value labels (or the word for a gap) and
    reference lines, on ``ax`` in the house style in use."""
    style = house_style()
    palette = {a: style.colour("council") if a == highlight else style.colour("neighbours") for a in order}
    # plain barh: the same bars as seaborn's barplot at a fraction of the
    # cost, which matters with a chart per indicator in every pack
    # one row per area; a name on two lines (a joint return) gets a
    # quarter row more room each side so it clears its neighbours' names
    half = [0.5 + 0.25 * area.count("\n") for area in order]
    rows = np.concatenate([[0.0], np.cumsum(np.add(half[:-1], half[1:]))]) if order else np.array([])
    position = dict(zip(order, rows))
    if len(drawn):
        ax.barh([position[a] for a in drawn["area"]], drawn["value"], height=0.72,
                color=[palette[a] for a in drawn["area"]], linewidth=0)
    ax.set_yticks(rows, order)
    ax.set_ylim(rows[-1] + half[-1], -half[0])
    _zero_based(ax, list(drawn["value"]) + [v for v, _, _ in lines], head=1.14, axis="x")

    small = style.font["small_pt"]
    for y, row in zip(rows, frame.set_index("area").loc[order].itertuples()):
        is_council = row.Index == highlight
        if _isnan(row.value):
            word = STATUS_WORDS.get(row.status, f"not published ({row.status})")
            ax.annotate(word, xy=(0, y), xytext=(4, 0), textcoords="offset points", va="center",
                        ha="left", fontsize=small, style="italic", color=style.colour("muted_text"))
        else:
            # a white backing keeps the label readable where a reference line crosses it
            ax.annotate(_short(indicator, row.value), xy=(row.value, y), xytext=(3, 0),
                        textcoords="offset points", va="center", ha="left", fontsize=small,
                        color=style.colour("council") if is_council else style.colour("text"),
                        fontweight="bold" if is_council else "normal", zorder=6,
                        bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.85))
    for tick in ax.get_yticklabels():
        if tick.get_text() == highlight:
            tick.set_fontweight("bold")
            tick.set_color(style.colour("council"))
    _reference_lines(ax, indicator, lines, orientation="vertical")
    ax.set_ylabel("")
    ax.set_xlabel(textwrap.fill(_measure_label(indicator), 80))
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)


def _bars_table(frame: pd.DataFrame, order: list[str], indicator: Indicator,
                lines: list[tuple[float, str, str]]) -> pd.DataFrame:
    """The numbers drawn, in the order drawn, then the reference lines."""
    value_col = _measure_label(indicator)
    by_area = frame.set_index("area").loc[order]
    table = pd.DataFrame({
        "Area": order,
        value_col: by_area["value"].to_numpy(),
        "Note": ["" if s == "ok" else STATUS_WORDS.get(s, s) for s in by_area["status"]],
    })
    refs = pd.DataFrame([{"Area": name, value_col: v, "Note": "reference line"} for v, name, _ in lines])
    return pd.concat([table, refs], ignore_index=True) if len(refs) else table


def _reference_lines(ax: Axes, indicator: Indicator, lines: list[tuple[float, str, str]],
                     orientation: str = "vertical") -> None:
    """Reference lines with direct labels beyond the axes' top edge.

    Two labels sit on opposite sides of their lines (the lower value's label
    to its left, the higher's to its right) so they never collide, however
    close the lines are.
    """
    style = house_style()
    ordered = sorted(lines, key=lambda item: item[0])
    for i, (v, name, role) in enumerate(ordered):
        kw = _line_style(role)
        kw.pop("marker", None)
        ax.axvline(v, color=kw["color"], lw=kw["lw"], linestyle=kw["linestyle"], zorder=5)
        if len(ordered) == 1:
            ha, dx = "center", 0
        else:
            ha, dx = ("right", -3) if i == 0 else ("left", 3)
        ax.annotate(f"{name} {_short(indicator, v)}", xy=(v, 1), xycoords=("data", "axes fraction"),
                    xytext=(dx, 3), textcoords="offset points", ha=ha, va="bottom",
                    fontsize=style.font["small_pt"], color=kw["color"], fontweight="bold",
                    annotation_clip=False)


def _bars_alt(indicator, frame, drawn, highlight, council_value, neighbour_mean, england, group, period) -> str:
    n_others = len(frame) - 1
    parts = [f"Bar chart of {_lower_first(indicator.label)} for {highlight} and its {n_others} {group}"
             f"{_period_text(indicator, period)}."]
    figures = [f"{highlight} {_fmt(indicator, council_value)}" if not _isnan(council_value)
               else f"{highlight}'s figure is {STATUS_WORDS.get(frame.loc[frame.area == highlight, 'status'].iloc[0], 'not published')}"]
    if not _isnan(neighbour_mean):
        figures.append(f"neighbour average {_fmt(indicator, neighbour_mean)}")
    if not _isnan(england):
        figures.append(f"England {_fmt(indicator, england)}")
    parts.append(", ".join(figures) + ".")
    if not _isnan(council_value):
        rank = list(drawn["area"]).index(highlight) + 1
        if indicator.is_context:
            by_size = (drawn["value"] > council_value).sum() + 1
            parts.append(f"{highlight} has the {_ordinal(int(by_size))} highest figure of {len(drawn)}.")
        else:
            better = "lower" if indicator.polarity == "lower_is_better" else "higher"
            parts.append(f"{highlight} ranks {_ordinal(rank)} of {len(drawn)}, where {better} is better.")
    gaps = frame[frame["value"].isna() & (frame["area"] != highlight)]
    for word, names in gaps.groupby(gaps["status"].map(lambda s: STATUS_WORDS.get(s, "not published")))["area"]:
        names = sorted(names)
        verb = "is" if len(names) == 1 else "are"
        parts.append(f"The figure{'s' if len(names) > 1 else ''} for {_and_list(names)} {verb} {word}.")
    return " ".join(parts)


def _and_list(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
