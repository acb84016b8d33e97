"""Laying a chart out: text measured from the font files, margins, titles, tick labels and end labels."""

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
from .base import HouseStyle, _isnan, _new_axes, house_style  # noqa: F401

# --------------------------------------------------------------------------- layout
#
# A chart function draws everything, then calls _layout. For a figure it made,
# _layout measures the text that will surround the axes (title, tick labels,
# axis labels, direct labels) from the font's metrics, and places the axes so
# all of it fits inside the figure. Nothing is drawn to measure it, and no
# layout engine runs at save time.

_EDGE_PT = 4.0       # clear space inside the figure's edges
_TITLE_GAP_PT = 8.0  # between the title and the highest text of the axes
# Rendered text (hinted at the output resolution) runs up to about 3% wider
# than the font's outline metrics measured here.
_WIDTH_SLACK = 1.03


@lru_cache(maxsize=16)
def _font_path(family: tuple[str, ...], bold: bool, italic: bool) -> str:
    """The font file text in the house style is drawn with (found as the
    style's rc parameters find it: the first of its families installed)."""
    with mpl.rc_context({"font.family": "sans-serif", "font.sans-serif": list(family)}):
        return findfont(FontProperties(weight="bold" if bold else "normal",
                                       style="italic" if italic else "normal"))


@lru_cache(maxsize=16)
def _font_heights(path: str) -> tuple[float, float, float]:
    """(ascent, descent, line gap) in em, as matplotlib lays out lines of text."""
    font = get_font(path)
    units = font.get_sfnt_table("head")["unitsPerEm"]
    for table, gap, ascent, descent in (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                                        ("hhea", "lineGap", "ascent", "descent")):
        metrics = font.get_sfnt_table(table)
        if metrics is not None:
            return metrics[ascent] / units, -metrics[descent] / units, metrics[gap] / units
    return 0.76, 0.24, 0.2


@lru_cache(maxsize=2048)
def _glyph(path: str, char: str) -> tuple[int, float]:
    """(glyph index, unhinted advance in em) of one character."""
    font = get_font(path)
    font.set_size(100, 72)
    glyph = font.load_char(ord(char), flags=LoadFlags.NO_HINTING)
    return font.get_char_index(ord(char)), glyph.linearHoriAdvance / 65536 / 100


@lru_cache(maxsize=4096)
def _kerning(path: str, left: int, right: int) -> float:
    font = get_font(path)
    font.set_size(100, 72)
    return font.get_kerning(left, right, Kerning.UNFITTED) / 64 / 100


@lru_cache(maxsize=8192)
def _line_em(line: str, path: str) -> float:
    """Width of one line of text in em: glyph advances plus kerning."""
    total, previous = 0.0, None
    for char in line:
        index, advance = _glyph(path, char)
        if previous is not None:
            total += _kerning(path, previous, index)
        total += advance
        previous = index
    return total


def _text_box(text: str, size: float, bold: bool = False, italic: bool = False, ha: str = "left",
              va: str = "baseline", rotation: float = 0.0, linespacing=None,
              pad: float = 0.0) -> tuple[float, float, float, float]:
    """(left, right, bottom, top) of a text's box in points from its anchor,
    as matplotlib would place it in the house font: lines as matplotlib
    spaces them, the box aligned by ``ha`` and ``va`` after rotating (0 or
    90 degrees), grown by ``pad`` points each side (a bbox patch). Measured
    from the font's metrics, never by drawing; remembered."""
    return _measured_box(tuple(house_style().font["family"]), text, float(size), bold, italic, ha, va,
                         float(rotation), linespacing, float(pad))


@lru_cache(maxsize=8192)
def _measured_box(family: tuple[str, ...], text: str, size: float, bold: bool, italic: bool, ha: str, va: str,
                  rotation: float, linespacing, pad: float) -> tuple[float, float, float, float]:
    path = _font_path(family, bold, italic)
    min_ascent, min_descent, line_gap = (m * size for m in _font_heights(path))
    lines = text.split("\n")
    width = max(_line_em(line, path) for line in lines) * size * _WIDTH_SLACK
    if isinstance(linespacing, (int, float)):  # a fixed spacing: each line centred in its step
        leading = (linespacing - 1) * (min_ascent + min_descent)
        ascent, descent = min_ascent + leading / 2, min_descent + leading / 2
    else:  # "normal": the font's line gap between lines
        half_gap = line_gap / 2 if len(lines) > 1 else 0.0
        ascent, descent = min_ascent + half_gap, min_descent + half_gap
    height = len(lines) * (ascent + descent)
    if abs(rotation % 180 - 90) < 1:  # on its side: the box turns, then is aligned
        width, height = height, width
    left = {"left": 0.0, "right": -width}.get(ha, -width / 2)
    bottom = {"bottom": 0.0, "top": -height, "center": -height / 2, "baseline": -descent,
              "center_baseline": -(height - (ascent / 2))}.get(va, -height / 2)
    return left - pad, left + width + pad, bottom - pad, bottom + height + pad


def _box_of(text: Text, **override) -> tuple[float, float, float, float]:
    """:func:`_text_box` for a matplotlib Text, from its own properties."""
    weight = text.get_fontweight()
    bold = weight in ("bold", "heavy", "black", "extra bold", "semibold", "demibold", "demi") or \
        (isinstance(weight, (int, float)) and weight >= 600)
    patch = text.get_bbox_patch()
    pad = 0.0
    if patch is not None:
        pad = getattr(patch.get_boxstyle(), "pad", 0.3) * text.get_fontsize() + patch.get_linewidth()
    props = dict(size=float(text.get_fontsize()), bold=bold, italic=text.get_fontstyle() != "normal",
                 ha=text.get_ha(), va=text.get_va(), rotation=float(text.get_rotation()),
                 linespacing=text.get_linespacing(), pad=pad)
    props.update(override)
    return _text_box(text.get_text(), **props)


def _fraction(ax: Axes, value: float, coords: str, axis: str) -> float | None:
    """Where ``value`` in ``coords`` ("data" or "axes fraction") falls along
    the axes, 0 to 1 from the left (x) or bottom (y)."""
    if coords == "axes fraction":
        return float(value)
    if coords != "data":
        return None
    the_axis = ax.xaxis if axis == "x" else ax.yaxis
    low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
    if not isinstance(value, (int, float, np.number)):
        value = the_axis.convert_units(value)  # dates
    return (float(value) - low) / (high - low) if high != low else 0.5


def _anchor(ax: Axes, text: Text) -> tuple[float, float, float, float] | None:
    """(x fraction, y fraction, x offset pt, y offset pt) of a text drawn in
    the axes, or None for one placed some other way."""
    if isinstance(text, Annotation):
        coords = text.xycoords
        if isinstance(coords, str):
            coords = (coords, coords)
        if not (isinstance(coords, tuple) and all(isinstance(c, str) for c in coords)):
            return None
        if text.anncoords == "offset points":
            (x, y), (dx, dy) = text.xy, text.xyann
        elif text.anncoords == text.xycoords:
            (x, y), (dx, dy) = text.xyann, (0.0, 0.0)
        else:
            return None
        fx, fy = _fraction(ax, x, coords[0], "x"), _fraction(ax, y, coords[1], "y")
    else:
        transform = text.get_transform()
        x, y = text.get_position()
        if transform == ax.transAxes:
            fx, fy = float(x), float(y)
        elif transform == ax.transData:
            fx, fy = _fraction(ax, x, "data", "x"), _fraction(ax, y, "data", "y")
        else:
            return None
        dx = dy = 0.0
    if fx is None or fy is None:
        return None
    return fx, fy, float(dx), float(dy)


def _tick_items(ax: Axes, axis: str) -> tuple[list, float]:
    """Boxes of an axis's visible tick labels, as (fx, fy, left, right,
    bottom, top), and how far beyond the spine they reach (points)."""
    xaxis = axis == "x"
    the_axis = ax.xaxis if xaxis else ax.yaxis
    low, high = ax.get_xlim() if xaxis else ax.get_ylim()
    the_axis.get_majorticklabels()  # formats the labels; draws nothing
    locations = the_axis.get_majorticklocs()
    ticks = the_axis.get_major_ticks(len(locations))
    items, reach = [], 0.0
    if not len(ticks) or not ticks[0].label1.get_visible():
        return items, reach
    tolerance = 1e-9 * max(abs(high - low), 1e-300)
    for tick, location in zip(ticks, locations):
        label = tick.label1
        if not label.get_text() or not (min(low, high) - tolerance <= location <= max(low, high) + tolerance):
            continue
        offset = tick.get_pad() + tick.get_tick_padding()
        f = (location - low) / (high - low)
        left, right, bottom, top = _box_of(label)
        if xaxis:  # hung below the spine
            items.append((f, 0.0, left, right, -offset - (top - bottom), -offset))
            reach = max(reach, offset + top - bottom)
        else:  # to the left of the spine
            items.append((0.0, f, -offset - (right - left), -offset, bottom, top))
            reach = max(reach, offset + right - left)
    return items, reach


def _frame_items(ax: Axes) -> tuple[list, tuple | None]:
    """The tick labels and the y axis label around the axes, each as (fx,
    fy, left, right, bottom, top): an anchor in axes fractions and a box in
    points from it; and the x axis label's, apart (see :func:`_place_xlabel`)."""
    items, xlabel = [], None
    for axis, tick_axis in (("x", ax.xaxis), ("y", ax.yaxis)):
        ticks, reach = _tick_items(ax, axis)
        items += ticks
        label = tick_axis.label
        if not (label.get_visible() and label.get_text()):
            continue
        marks = tick_axis.get_major_ticks()
        away = max(reach, marks[0].get_tick_padding() if marks else 0.0) + tick_axis.labelpad
        if axis == "x":  # centred below the tick labels
            left, right, bottom, top = _box_of(label, ha="center", va="top", rotation=0.0)
            xlabel = (0.5, 0.0, left, right, -away - (top - bottom), -away)
        else:  # turned on its side, left of the tick labels
            left, right, bottom, top = _box_of(label, ha="center", va="center", rotation=90.0)
            items.append((0.0, 0.5, -away - (right - left), -away, bottom, top))
    return items, xlabel


def _place_xlabel(ax: Axes, xlabel: tuple, left: float, right: float, width: float, plot_height: float) -> None:
    """Keep the x axis label centred under the plot where it fits in the
    figure, else move it sideways just enough to fit (a long measure name
    under a plot pushed right by long area names)."""
    _, _, start, end, _, top = xlabel
    plot_width = width - left - right
    centre = left + plot_width / 2
    half = (end - start) / 2
    moved = min(max(centre, _EDGE_PT + half), width - _EDGE_PT - half)
    if abs(moved - centre) > 0.01:
        # the label's height as matplotlib would place it: ``top`` below the spine
        ax.xaxis.set_label_coords((moved - left) / plot_width, top / plot_height)


def _text_items(ax: Axes, texts: Iterable[Text]) -> list[tuple[float, float, float, float, float, float]]:
    """Texts drawn in the axes (annotations, labels) as (fx, fy, left, right,
    bottom, top), like :func:`_frame_items`."""
    items = []
    for text in texts:
        if not text.get_visible() or not text.get_text():
            continue
        anchor = _anchor(ax, text)
        if anchor is None:
            continue
        fx, fy, dx, dy = anchor
        left, right, bottom, top = _box_of(text)
        items.append((fx, fy, left + dx, right + dx, bottom + dy, top + dy))
    return items


def _margins(spans: Iterable[tuple[float, float, float]], total: float, low_edge: float,
             high_edge: float) -> tuple[float, float]:
    """The smallest (low, high) margins in points that keep every span inside
    ``low_edge`` .. ``total - high_edge``. A span is (fraction along the
    axes, start, end), start and end in points from that fraction."""
    spans = list(spans)
    low, high = low_edge, high_edge
    least = 0.3 * total  # however long the labels, the plot keeps some room
    for _ in range(12):
        moved = False
        for f, start, end in spans:
            size = total - low - high
            at = low + f * size
            if at + start < low_edge - 0.01 and f < 0.999:
                low += min((low_edge - at - start) / (1 - f), max(size - least, 0))
                moved = True
            size = total - low - high
            at = low + f * size
            if at + end > total - high_edge + 0.01 and f > 0.001:
                high += min((at + end - total + high_edge) / f, max(size - least, 0))
                moved = True
        if not moved:
            break
    return low, high


def _wrap(text: str, width_pt: float, size: float, bold: bool = False) -> str:
    """``text`` broken into lines at spaces, each line as many words as fit
    in ``width_pt`` (a word longer than that gets a line of its own). Line
    breaks in ``text`` count as spaces, as :func:`textwrap.fill` has them."""
    space = _text_box(" ", size, bold)[1]
    lines, line, used = [], [], 0.0
    for word in text.split():
        width = _text_box(word, size, bold)[1]
        if line and used + space + width > width_pt:
            lines.append(" ".join(line))
            line, used = [], 0.0
        used += (space if line else 0.0) + width
        line.append(word)
    lines.append(" ".join(line))
    return "\n".join(lines)


def _layout(fig: Figure, ax: Axes, owns: bool, title: str, *,
            ends: Sequence[tuple[float, float, str, str, bool]] = (), end_pad: float = 6) -> None:
    """Finish a chart: its title, the direct labels at the ends of its lines
    (``ends``: see :func:`_end_labels`) and, for a figure the chart function
    made, the position of its axes.

    For a figure we made, the margins come from the text around the axes,
    measured from the font: the title above (on the figure's left edge, so
    long area names do not push it right), tick labels, axis labels and
    labels drawn beyond the axes (reference lines, end labels). The figure has
    no layout engine, so saving it draws it once and each save is the same.
    On an ``ax=`` the caller passed, the caller owns the layout: the title
    goes on the axes and nothing is moved.
    """
    style = house_style()
    if not owns:
        _end_labels(ax, list(ends), end_pad)
        width_pt = ax.get_position().width * fig.get_figwidth() * 72
        # bold DejaVu Sans averages about 0.62 em a character
        ax.set_title(textwrap.fill(title, width=max(20, int(width_pt / (0.62 * style.font["title_pt"])))),
                     loc="left")
        return

    width, height = fig.get_figwidth() * 72, fig.get_figheight() * 72
    top_room = _place_title(fig, title)

    def vertical(items):
        return _margins([(fy, b, t) for _, fy, _, _, b, t in items], height, _EDGE_PT, top_room)

    def horizontal(items):
        return _margins([(fx, a, b) for fx, _, a, b, _, _ in items], width, _EDGE_PT, _EDGE_PT)

    measure = ax.xaxis.label
    if measure.get_text():  # a measure name wider than the figure gets another line
        start, end, _, _ = _box_of(measure)
        if end - start > width - 2 * _EDGE_PT:
            measure.set_text("\n".join(_wrap(line, width - 2 * _EDGE_PT, measure.get_fontsize())
                                        for line in measure.get_text().split("\n")))
    frame, xlabel = _frame_items(ax)
    below = [xlabel] if xlabel else []  # in the height; placed across once the plot's width is known
    texts = _text_items(ax, ax.texts)
    low, high = vertical(frame + below + texts)
    if ends:
        # end labels sit in data units, spaced for the plot's height; should
        # they reach above the plot and so shrink it, they are spaced again
        labels: list[Annotation] = []
        for _ in range(3):
            for label in labels:
                label.remove()
            placed_for = height - low - high
            labels = _end_labels(ax, list(ends), end_pad, height_pt=placed_for)
            low, high = vertical(frame + below + texts + _text_items(ax, labels))
            if abs(height - low - high - placed_for) < 0.5:
                break
        texts += _text_items(ax, labels)
    left, right = horizontal(frame + texts)
    if _thin_tick_labels(ax, width - left - right):
        left, right = horizontal(_frame_items(ax)[0] + texts)
    if xlabel:
        _place_xlabel(ax, xlabel, left, right, width, height - low - high)
    ax.set_position((left / width, low / height, (width - left - right) / width, (height - low - high) / height))


def _place_title(fig: Figure, title: str) -> float:
    """Put the title at the figure's top left, wrapped to its width; returns
    the room it takes from the top (points), the gap below it included."""
    style = house_style()
    width, height = fig.get_figwidth() * 72, fig.get_figheight() * 72
    size = style.font["title_pt"]
    wrapped = _wrap(title, width - 0.01 * width - _EDGE_PT, size, bold=True)
    _, _, bottom, top = _text_box(wrapped, size, bold=True)
    fig.suptitle(wrapped, x=0.01, y=1 - _EDGE_PT / height, ha="left", va="top", fontsize=size, fontweight="bold")
    return _EDGE_PT + (top - bottom) + _TITLE_GAP_PT


def _layered(style: HouseStyle, ax: Axes | None, reuse: bool, kind: str, drawn: dict, draw_background,
             title: str, mark: tuple, draw_mark):
    """(figure, axes, background SVG) of a chart drawn in two layers (see
    :mod:`helpers.charts.layers`), or None to draw it whole: not asked for,
    drawn on a caller's axes or saved as PNG, or a mark that would move the
    axes (a label beyond the figure's edges).

    ``draw_background(ax, **drawn)`` draws what is the same for every
    council and returns the end labels for :func:`_layout`;
    ``draw_mark(fig, ax, owns, *mark)`` draws the council's own marks and
    returns its texts. The background is keyed by ``drawn`` (every table
    and value it is drawn from), the title's number of lines (the room it
    leaves) and the chart style."""
    if not reuse or ax is not None or style.figure.get("image", "png") != "svg":
        return None
    from .layers import background, digest
    size = style.font["title_pt"]
    width = style.size()[0] * 72
    lines = _wrap(title, width - 0.01 * width - _EDGE_PT, size, bold=True).count("\n") + 1  # as _place_title
    key = (kind, digest(*[drawn[k] for k in sorted(drawn) if k != "indicator"]), _indicator_key(drawn["indicator"]),
           lines, style.key)

    def draw():
        fig, axes, _ = _new_axes(None)
        with mpl.rc_context(style.rc):
            ends = draw_background(axes, **drawn)
            _layout(fig, axes, True, title, ends=ends, end_pad=4)
        fig._suptitle.set_visible(False)  # the council's title goes on its own layer
        return fig, axes

    layer = background(key, draw)
    fig, axes = layer.overlay(style.rc)
    with mpl.rc_context(style.rc):
        texts = draw_mark(fig, axes, True, *mark)
        top_room = _place_title(fig, title)
    left, bottom, w, h = layer.bounds
    width, height = layer.size[0] * 72, layer.size[1] * 72
    boxes = [(left * width + fx * w * width + a, left * width + fx * w * width + b,
              bottom * height + fy * h * height + c, bottom * height + fy * h * height + d)
             for fx, fy, a, b, c, d in _text_items(axes, texts)]
    if not layer.fits(boxes, top_room):
        return None
    return fig, axes, layer.svg


def _indicator_key(indicator: Indicator) -> tuple:
    return (indicator.id, indicator.label, indicator.unit, indicator.decimals, indicator.polarity)


def _thin_tick_labels(ax: Axes, plot_width: float) -> bool:
    """Blank every second (third, ...) label of a fixed set of x tick labels
    (periods, months) when they would run into each other across
    ``plot_width`` points, keeping the last. True if any were blanked."""
    if not isinstance(ax.xaxis.get_major_locator(), FixedLocator):
        return False  # a locator that chooses its own ticks spaces them
    low, high = ax.get_xlim()
    texts = [t.get_text() for t in ax.xaxis.get_majorticklabels()]
    ticks = [(loc, text) for loc, text in zip(ax.xaxis.get_majorticklocs(), texts)
             if min(low, high) <= loc <= max(low, high)]
    if len(ticks) < 3:
        return False
    size = float(ax.xaxis.get_major_ticks()[0].label1.get_fontsize())
    gap = 0.5 * size  # clear space between neighbouring labels
    at = [(loc - low) / (high - low) * plot_width for loc, _ in ticks]
    half = [(lambda b: (b[1] - b[0]) / 2)(_text_box(text, size, ha="center")) for _, text in ticks]
    n = len(ticks)
    for step in range(1, n):
        kept = list(range(n - 1, -1, -step))[::-1]
        if all(abs(at[j] - at[i]) >= half[i] + half[j] + gap for i, j in zip(kept, kept[1:])):
            break
    if step == 1:
        return False
    shown = set(kept)
    ax.set_xticks([loc for loc, _ in ticks], [text if i in shown else "" for i, (_, text) in enumerate(ticks)])
    return True


def _spread(positions: Sequence[float], gap, low: float | None = None,
            high: float | None = None) -> list[float]:
    """Move label positions apart so neighbours are at least ``gap`` apart,
    keeping their order and staying as close to where they were as it can.

    ``gap`` is one distance, or one per label (its height): two neighbours
    are then kept the mean of their two gaps apart."""
    if not len(positions):
        return []
    order = np.argsort(positions, kind="stable")
    sizes = np.broadcast_to(np.asarray(gap, dtype=float), (len(positions),))[order]
    steps = (sizes[1:] + sizes[:-1]) / 2  # steps[i - 1]: between sorted labels i - 1 and i
    ys = np.asarray(positions, dtype=float)[order].copy()
    for i in range(1, len(ys)):
        ys[i] = max(ys[i], ys[i - 1] + steps[i - 1])
    # centre each pushed cluster on the positions it came from
    wanted = np.asarray(positions, dtype=float)[order]
    shift = (wanted - ys).mean()
    if shift < 0:
        ys += shift
        for i in range(1, len(ys)):
            ys[i] = max(ys[i], ys[i - 1] + steps[i - 1])
    if high is not None and ys[-1] > high:
        ys[-1] = high
        for i in range(len(ys) - 2, -1, -1):
            ys[i] = min(ys[i], ys[i + 1] - steps[i])
    if low is not None and ys[0] < low:
        ys[0] = low
        for i in range(1, len(ys)):
            ys[i] = max(ys[i], ys[i - 1] + steps[i - 1])
    out = np.empty_like(ys)
    out[order] = ys
    return out.tolist()


def _points_in_data_y(ax: Axes, points: float, height_pt: float | None = None) -> float:
    """How many y-axis data units ``points`` of text height take on axes
    ``height_pt`` points high (default: estimated from an axes someone else
    lays out, which their layout may shrink a little, hence 0.8)."""
    low, high = ax.get_ylim()
    if height_pt is None:
        height_pt = ax.figure.get_figheight() * 72 * ax.get_position().height * 0.8
    return abs(high - low) * points / max(height_pt, 1)


def _end_labels(ax: Axes, items: list[tuple[float, float, str, str, bool]], pad_pt: float = 6,
                height_pt: float | None = None) -> list[Annotation]:
    """Direct labels at the right-hand end of lines, kept apart by their
    heights (a two-line label takes two lines' room).

    ``items`` holds (x, y, text, colour, bold) for each line's last point;
    ``height_pt`` is the axes' height when known (see :func:`_layout`).
    Only labels that could touch are moved apart: a line ending months
    before the others keeps its label by its last point.
    """
    style = house_style()
    if not items:
        return []
    small = style.font["small_pt"]
    one_line = _points_in_data_y(ax, small * 1.3, height_pt)
    # each label's room: one line's, plus the height of any further lines
    boxes = [_text_box(text, small, bold=bold) for _, _, text, _, bold in items]
    line_pt = (lambda b: b[3] - b[2])(_text_box("x", small))
    heights = [one_line + _points_in_data_y(ax, (b[3] - b[2]) - line_pt, height_pt) for b in boxes]
    # where each label runs across, in points on a plot narrower than any
    # this figure will have (so labels that might touch count as touching)
    across = 0.6 * ax.figure.bbox.width * 72 / ax.figure.dpi
    runs = [(_fraction(ax, x, "data", "x") * across + pad_pt, _fraction(ax, x, "data", "x") * across + pad_pt + b[1])
            for (x, *_), b in zip(items, boxes)]
    groups: list[list[int]] = []
    for i in sorted(range(len(items)), key=lambda i: runs[i][0]):
        if groups and runs[i][0] < max(runs[j][1] for j in groups[-1]):
            groups[-1].append(i)
        else:
            groups.append([i])
    low, high = ax.get_ylim()
    ys = [0.0] * len(items)
    for group in groups:
        # the lowest label sits on the x axis at most, not across its tick labels
        spread = _spread([items[i][1] for i in group], [heights[i] for i in group],
                         low + min(heights[i] for i in group) / 2.6, high + one_line)
        for i, y in zip(group, spread):
            ys[i] = y
    return [ax.annotate(text, xy=(x, y_label), xytext=(pad_pt, 0), textcoords="offset points",
                        va="center", ha="left", fontsize=small, color=colour,
                        fontweight="bold" if bold else "normal", annotation_clip=False)
            for (x, y, text, colour, bold), y_label in zip(items, ys)]


def _series_role(name: str, highlight: str, roles: Mapping[str, str] | None) -> str:
    if roles and name in roles:
        role = roles[name]
        if role not in ("council", "neighbour_mean", "region", "england", "other"):
            raise ParameterError("roles", f"role for series {name!r} must be one of council, "
                                          "neighbour_mean, region, england, other", role)
        return role
    lowered = name.lower()
    if name == highlight:
        return "council"
    if lowered == "england":
        return "england"
    if "neighbour" in lowered:
        return "neighbour_mean"
    return "region"


def _line_style(role: str) -> dict:
    style = house_style()
    width = style.lines["council_width"] if role == "council" else style.lines["reference_width"]
    dash = {"council": "solid", "other": "solid"}.get(role) or style.dash(role)
    kw = dict(color=style.colour(role), lw=width, linestyle=dash, zorder=4 if role == "council" else 3)
    if role == "neighbour_mean":
        kw["lw"] = width * 1.3  # dotted lines need weight to be seen
    if role == "council":
        kw.update(marker="o", markersize=4.5, markeredgecolor="white", markeredgewidth=0.8)
    return kw


def _short_period(indicator: Indicator, period: int, long_form: bool) -> str:
    """Tick labels from the indicator's period label: '30 September\\n2025'
    when there is room, else 'Sep\\n2025'; financial and school years stay
    '2024-25' and '2024/25'."""
    label = indicator.period_label(int(period))
    if indicator.period_basis in ("financial year", "academic year"):
        return label
    *words, year = label.split()
    if long_form:
        return " ".join(words) + "\n" + year
    return words[-1][:3] + "\n" + year


def _period_ticks(ax: Axes, indicator: Indicator, periods: Sequence[int]) -> None:
    periods = sorted(int(p) for p in periods)
    long_form = len(periods) <= 4
    step = 1 if len(periods) <= 10 else math.ceil(len(periods) / 10)
    shown = periods[::-1][::step][::-1]  # always keep the latest period
    ax.set_xticks(shown, [_short_period(indicator, p, long_form) for p in shown])


def _zero_based(ax: Axes, values: Iterable[float], head: float = 1.12, axis: str = "y") -> None:
    finite = [v for v in values if not _isnan(v)]
    top = max(finite) * head if finite and max(finite) > 0 else 1
    (ax.set_ylim if axis == "y" else ax.set_xlim)(0, top)
