"""At a glance: the headline measures, each with its latest figure and five years."""

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
from .base import Chart, HouseStyle, SOURCE_NAMES, _fmt, _isnan, _require_columns, _same_when_rounded, _short, house_style, themed  # noqa: F401
from .layout import _line_style, _short_period  # noqa: F401
from .trend import _isolated_points  # noqa: F401

# --------------------------------------------------------------------------- at a glance

AT_A_GLANCE_COLUMNS = ("indicator_id", "label", "period", "council", "neighbour_mean", "england")
#: A headline's rating (an optional ``status`` column of at_a_glance's rows): its colour role and words.
_STATUS_ROLES = {"better": "better", "similar": "similar", "worse": "worse", "context": "neutral",
                 "not_compared": "neutral"}
STATUS_TEXT = {"better": "Better than similar councils", "similar": "In line with similar councils",
               "worse": "Worse than similar councils", "context": "Context: not rated",
               "not_compared": "Too few to compare"}


def _row_indicator(ident: str, first: pd.Series, catalogue) -> Indicator:
    if catalogue is not None and ident in catalogue:
        return catalogue[ident]
    missing = [c for c in ("unit", "decimals") if c not in first.index or _isnan_or_blank(first[c])]
    if missing:
        raise ParameterError("rows", f"indicator {ident!r} is not in the catalogue and its rows lack {missing}; "
                                     "pass catalogue= or add unit and decimals columns")
    unit = str(first["unit"])
    if unit not in UNITS:
        raise ParameterError("rows", f"unit for {ident!r} must be one of {', '.join(UNITS)}", unit)
    polarity = str(first.get("polarity", "context") or "context")
    return Indicator(id=ident, label=str(first["label"]), definition="", section="local", unit=unit,
                     polarity=polarity, source=str(first.get("source", "local") or "local"),
                     period_basis=str(first.get("period_basis", "31 March") or "31 March"),
                     decimals=int(first["decimals"]))


def _isnan_or_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (not isinstance(v, str) and _isnan(v))


@themed
def at_a_glance(rows: pd.DataFrame, *, council: str, catalogue=None, ncols: int = 3, periods: int = 5,
                title: str | None = None, caption: str | None = None) -> Chart:
    """The summary page: one small panel per indicator.

    Each panel shows the indicator's label, the council's latest value as a
    big number with a trend arrow (up, down or level against the previous
    period, coloured better/worse by polarity, grey for context
    indicators), the latest England and neighbour average, and a small line
    chart of the last ``periods`` periods: council (solid, house colour),
    England (dashed) and neighbour average (dotted). One key at the top
    names the three lines for every panel.

    rows
        one row per indicator and period, columns:

        - ``indicator_id``: catalogue id (panels appear in first-seen order)
        - ``label``: the panel heading
        - ``period``: int year the period ends
        - ``council``, ``neighbour_mean``, ``england``: values (NaN allowed)
        - ``unit``, ``decimals``, and optionally ``polarity``, ``period_basis``:
          needed only for indicators not in ``catalogue``
    council
        the council's name, for the key and alt text.
    catalogue
        a :class:`~helpers.catalogue.Catalogue` (or {id: Indicator}) for
        units, decimals, polarity and period labels.
    """
    _require_columns(rows, AT_A_GLANCE_COLUMNS, "rows")
    if not len(rows):
        raise ParameterError("rows", "has no rows; at_a_glance needs at least one indicator")
    style = house_style()
    ids = list(dict.fromkeys(rows["indicator_id"].astype(str)))
    indicators = {i: _row_indicator(i, rows[rows["indicator_id"].astype(str) == i].iloc[0], catalogue) for i in ids}
    n = len(ids)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)

    # Laid out by hand in centimetres: every panel the same size, whatever its
    # labels, so the page reads as a grid (constrained layout would not).
    width = style.figure["width_cm"]
    margin, gap, top_block, panel_h = 0.2, 0.6, 2.2, 5.5
    panel_w = (width - 2 * margin - gap * (ncols - 1)) / ncols
    height = top_block + nrows * panel_h + 0.1
    fig = Figure(figsize=(width * CM, height * CM), layout="none")

    def box(x_cm, y_top_cm, w_cm, h_cm):  # centimetres from the top left -> figure fraction
        return [x_cm / width, 1 - (y_top_cm + h_cm) / height, w_cm / width, h_cm / height]

    panels: list[Axes] = []
    table_rows, row_decimals, summaries = [], [], []
    with mpl.rc_context(style.rc):
        for k, ident in enumerate(ids):
            ind = indicators[ident]
            sub = rows[rows["indicator_id"].astype(str) == ident].copy()
            sub["period"] = pd.to_numeric(sub["period"], errors="coerce").astype(int)
            sub = sub.sort_values("period").tail(periods)
            x0 = margin + (k % ncols) * (panel_w + gap)
            y0 = top_block + (k // ncols) * panel_h
            # heading (up to three lines), big number, England, neighbours; then the sparkline
            head = fig.add_axes(box(x0, y0, panel_w, 3.0))
            # room on the right so the last period's tick label stays on the page
            ax = fig.add_axes(box(x0 + 1.0, y0 + 3.4, panel_w - 1.65, 1.45))
            summaries.append(_glance_panel(head, ax, ind, sub, council, style, panel_w))
            panels.append(ax)
            for r in sub.itertuples():
                table_rows.append({"Indicator": ind.label, "Period": ind.period_label(int(r.period)),
                                   council: r.council, "Neighbour average": r.neighbour_mean, "England": r.england})
                row_decimals.append(ind.decimals)
        title = title or f"{council} at a glance"
        _glance_key(fig, style, council, title, margin, width, height)

    cap = caption or _glance_caption(rows, indicators)
    alt = (f"Summary of {n} indicators for {council}, each with its latest figure, trend and comparison "
           f"with England and the neighbour average. " + " ".join(summaries))
    table = pd.DataFrame(table_rows, columns=["Indicator", "Period", council, "Neighbour average", "England"])
    return Chart(fig, panels[0], title, alt, table, cap, "at-a-glance", row_decimals=row_decimals,
                 axes=tuple(panels))


def _glance_key(fig: Figure, style: HouseStyle, council: str, title: str, margin: float, width: float,
                height: float) -> None:
    """The title, the one key naming the three lines of every panel, and
    what the arrows mean, across the top of the figure (``width`` and
    ``height`` in centimetres, ``margin`` from its left edge)."""
    handles = [Line2D([], [], **{k: v for k, v in _line_style(role).items() if k != "zorder"}, label=name)
               for role, name in (("council", council), ("neighbour_mean", "Neighbour average"),
                                  ("england", "England"))]
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(margin / width, 1 - 0.85 / height),
               ncols=3, frameon=False, fontsize=style.font["small_pt"], handlelength=2.6,
               borderaxespad=0, borderpad=0)
    fig.text(margin / width, 1 - 1.75 / height,
             "Arrow: change since the previous period (green better, red worse, grey no change or context)",
             fontsize=style.font["small_pt"], color=style.colour("muted_text"), va="baseline", ha="left")
    fig.suptitle(textwrap.fill(title, int(width * CM * 72 / (0.62 * style.font["title_pt"]))),
                 x=margin / width, y=1 - 0.25 / height, ha="left", va="top")


def _glance_caption(rows: pd.DataFrame, indicators: dict) -> str:
    """Every source drawn on, once each, and the latest period."""
    all_periods = sorted(pd.to_numeric(rows["period"], errors="coerce").dropna().astype(int).unique())
    first_ind = next(iter(indicators.values()))
    return ("Sources: " + "; ".join(dict.fromkeys(SOURCE_NAMES.get(i.source, i.source) for i in indicators.values()))
            + (f". Latest periods to {first_ind.period_label(all_periods[-1])}." if all_periods else "."))


def _glance_panel(head: Axes, ax: Axes, ind: Indicator, sub: pd.DataFrame, council: str, style: HouseStyle,
                  panel_w_cm: float) -> str:
    """Draw one at-a-glance panel and return its one-sentence summary."""
    head.set_axis_off()
    small, muted = style.font["small_pt"], style.colour("muted_text")
    chars = int(panel_w_cm * CM * 72 / (0.62 * small))
    head.text(0, 1, textwrap.fill(ind.label, chars), transform=head.transAxes, va="top", ha="left",
              fontsize=small, fontweight="bold", linespacing=1.15)
    known = sub.dropna(subset=["council"])
    if len(known):
        latest = known.iloc[-1]
        latest_value, latest_period = float(latest["council"]), int(latest["period"])
        arrow, colour, change = _trend_arrow(ind, known, style)
        # positions in the 3 cm heading: number baseline 2.12 cm down (clear of a three-line
        # heading), comparisons 2.58 and 2.98 cm
        status = str(latest.get("status", "") or "") if "status" in known.columns else ""
        big = head.text(0, 1 - 2.12 / 3, _short(ind, latest_value), transform=head.transAxes, va="baseline",
                        ha="left", fontsize=style.font["big_number_pt"], fontweight="bold",
                        color=style.colour(_STATUS_ROLES.get(status, "text")) if status else style.colour("text"))
        if arrow:
            head.annotate(arrow, xy=(1, 0), xycoords=big, xytext=(4, 0), textcoords="offset points",
                          va="bottom", ha="left", fontsize=style.font["big_number_pt"] * 0.8,
                          fontweight="bold", color=colour)
        last_row = sub[sub["period"] == latest_period].iloc[0]
        comparison = []
        if not _isnan(last_row["england"]):
            comparison.append(f"England {_short(ind, last_row['england'])}")
        if not _isnan(last_row["neighbour_mean"]):
            comparison.append(f"Neighbours {_short(ind, last_row['neighbour_mean'])}")
        if status:  # the rating in words beside its colour, never the colour alone
            comparison = [f"{STATUS_TEXT.get(status, status)}", *comparison]
        for line, depth in zip(comparison, (2.58, 2.98, 3.38)):
            head.text(0, 1 - depth / 3, line, transform=head.transAxes, va="baseline", ha="left",
                      fontsize=small, color=style.colour(_STATUS_ROLES[status]) if line == STATUS_TEXT.get(status)
                      else muted, fontweight="bold" if line == STATUS_TEXT.get(status) else "normal")
        summary = (f"{ind.label}: {_fmt(ind, latest_value)} {ind.period_at(latest_period)}, {change}"
                   + (f"; {', '.join(comparison)}." if comparison else "."))
    else:
        head.text(0, 1 - 2.12 / 3, "no figure", transform=head.transAxes, fontsize=small, style="italic", color=muted)
        summary = f"{ind.label}: no figure for {council}."

    xs = sub["period"].to_numpy()
    for column, role in (("neighbour_mean", "neighbour_mean"), ("england", "england"), ("council", "council")):
        kw = _line_style(role)
        if role == "council":
            kw.update(markersize=3.5, lw=2.0)
        else:
            kw["lw"] = kw["lw"] * 0.8
        ys = pd.to_numeric(sub[column], errors="coerce").to_numpy(dtype=float)
        ax.plot(xs, ys, **kw)
        _isolated_points(ax, xs, ys, kw)
    ax.yaxis.set_major_locator(MaxNLocator(3))
    ax.margins(y=0.15)  # the highest and lowest points' markers stay inside the panel
    ax.tick_params(labelsize=small, length=2)
    ax.grid(axis="y")
    if len(xs):
        shown = sorted({int(xs[0]), int(xs[-1])})
        ax.set_xticks(shown, [_short_period(ind, p, False).replace("\n", " ") for p in shown])
        ax.set_xlim(xs[0] - 0.3, xs[-1] + 0.3)
    return summary




def _trend_arrow(ind: Indicator, known: pd.DataFrame, style: HouseStyle) -> tuple[str, str, str]:
    """(arrow, colour, words) for the change from the previous period."""
    if len(known) < 2:
        return "", style.colour("neutral"), "no earlier figure"
    previous, latest = float(known["council"].iloc[-2]), float(known["council"].iloc[-1])
    before = ind.period_at(int(known["period"].iloc[-2]))
    if _same_when_rounded(previous, latest, ind.decimals):
        return "→", style.colour("neutral"), f"unchanged from {_fmt(ind, previous)} {before}"
    rising = latest > previous
    arrow = "↑" if rising else "↓"
    words = f"{'up' if rising else 'down'} from {_fmt(ind, previous)} {before}"
    if ind.is_context:
        return arrow, style.colour("neutral"), words
    better = rising == (ind.polarity == "higher_is_better")
    return arrow, style.colour("better" if better else "worse"), words + (" (better)" if better else " (worse)")
