"""Charts for scrutiny packs: one house style and one function per chart.

Every chart function takes tidy data (``data=`` a DataFrame plus column
names, or simple scalars) and an optional ``ax=``, draws on it and returns a
:class:`Chart`: the figure and axes, the title, alt text that states the
finding with its numbers, the tidy table of exactly the numbers drawn, and a
caption naming the source and period. Chart functions never load data and
never save files; :meth:`Chart.to_svg`, :meth:`Chart.to_png` and
:meth:`Chart.to_html` turn a chart into bytes or markup for the pack.

The house style lives in ``chart_style.yml`` (see :func:`apply_house_style`).

Example::

    chart = benchmark_bars(frame, highlight="Devon", indicator=catalogue["wf_caseload"],
                           neighbour_mean=16.0, england=15.2, period=2025)
    display_chart(chart)      # in a notebook: figure, alt text, caption, data table
"""

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

from .errors import ParameterError
from .theme import CM, STYLE_FILE, Theme, current_theme, load_theme, using_theme  # noqa: F401
from .catalogue import UNITS, Indicator
from .vocab import STATUS_WORDS

__all__ = [
    "Chart", "HouseStyle", "apply_house_style", "house_style", "finding_title", "trend_title",
    "benchmark_bars", "time_series", "funnel_plot", "position_strip", "at_a_glance",
    "monthly_trend", "seasonality_chart", "display_chart", "default_caption", "quartile_bands",
    "STATUS_WORDS", "SOURCE_NAMES",
]



# --------------------------------------------------------------------------- text metrics
# matplotlib measures every label each time a figure is drawn, and keeps what
# it measured only as long as that draw's renderer lives. A pack draws about
# ninety charts whose labels (years, area names, tick values) mostly repeat, so
# the measurements are kept per renderer kind and resolution for the life of
# the process instead. A measurement depends only on those, the text, the
# font properties and the math flag, so the figures drawn are unchanged.
_measure_text_per_renderer = getattr(_mpl_text, "_get_text_metrics_with_cache", None)
_TEXT_METRICS: dict = {}


def _shared_text_metrics(renderer, text, fontprop, ismath, dpi):
    if ismath == "TeX":
        return _measure_text_per_renderer(renderer, text, fontprop, ismath, dpi)
    key = (type(renderer), renderer.points_to_pixels(72), text, fontprop.copy(), ismath, dpi)
    found = _TEXT_METRICS.get(key)
    if found is None:
        if len(_TEXT_METRICS) > 50_000:
            _TEXT_METRICS.clear()
        found = _TEXT_METRICS[key] = renderer.get_text_width_height_descent(text, fontprop, ismath)
    return found


if _measure_text_per_renderer is not None:  # a matplotlib without the hook keeps its own cache
    _mpl_text._get_text_metrics_with_cache = _shared_text_metrics



# Publication ids (see docs/store.md) as a caption names them.
SOURCE_NAMES = {
    "csww": "DfE, Children's social work workforce",
    "cin_b1": "DfE, Children in need",
    "cin_c1": "DfE, Children in need",
    "cp_d3": "DfE, Children in need",
    "cp_d5": "DfE, Children in need",
    "cla_number": "DfE, Children looked after in England including adoptions",
    "cla_placement_stability": "DfE, Children looked after in England including adoptions",
    "cla_swcount": "DfE, Children looked after in England including adoptions",
    "care_leavers_accommodation": "DfE, Children looked after in England including adoptions",
    "care_leavers_activity": "DfE, Children looked after in England including adoptions",
    "ons_population": "ONS, Mid-year population estimates",
    "finance_ro3": "MHCLG, Local authority revenue outturn (RO3)",
    "ofsted_inspections": "Ofsted, Children's services inspection outcomes",
    "cin_c3": "DfE, Children in need",
    "cin_c4": "DfE, Children in need",
    "cla_health_outcomes": "DfE, Children looked after in England including adoptions",
    "cla_new_placements": "DfE, Children looked after in England including adoptions",
    "cla_ceased": "DfE, Children looked after in England including adoptions",
    "cla_school_moves": "DfE, Stability measures for children looked after in England",
    "cin_absence": "DfE, Outcomes for children in need, including children looked after",
    "cin_ks2": "DfE, Outcomes for children in need, including children looked after",
    "cin_ks4": "DfE, Outcomes for children in need, including children looked after",
    "ohid_fingertips": "OHID, Fingertips public health profiles",
    "ofsted_providers": "Ofsted, Children's social care in England (providers and places)",
    "finance_rsx": "MHCLG, Local authority revenue outturn (RSX)",
    "local": "Council's own performance data",
}



# --------------------------------------------------------------------------- house style
# The theme object and its YAML file live in helpers.theme; these names stay
# here for code written against the older module-level style.

HouseStyle = Theme


def house_style() -> Theme:
    """The theme the chart being drawn uses (see :func:`helpers.theme.current_theme`):
    the one passed as ``theme=`` to a chart function, else the packaged house style."""
    return current_theme()


def apply_house_style(path: str | Path | None = None) -> Theme:
    """Read a chart style file and set it as matplotlib's and seaborn's
    style in this process, for ad hoc charts; returns the :class:`Theme`.
    The project's chart functions draw in the theme they are given
    (``theme=``), never in a style left behind by earlier code.

    >>> style = apply_house_style()            # the packaged house style
    >>> style.colour("council")
    '#0072B2'
    """
    theme = load_theme(path)
    theme.apply()
    return theme


def themed(draw):
    """A chart function that takes ``theme=`` (a :class:`Theme`; default the
    one in use, else the packaged house style), draws in it and returns a
    :class:`Chart` that keeps it for saving."""
    @functools.wraps(draw)
    def wrapper(*args, theme: Theme | None = None, **kwargs):
        theme = theme or current_theme()
        with using_theme(theme):
            chart = draw(*args, **kwargs)
        if isinstance(chart, Chart):
            chart.theme = theme
        return chart
    return wrapper


# --------------------------------------------------------------------------- the Chart object

@dataclass
class Chart:
    """One drawn chart and everything a pack needs to publish it accessibly.

    ``data`` is a tidy table of exactly the numbers drawn, with readable
    column names; ``formats`` maps a column to the decimals it is printed
    with (``row_decimals`` gives per-row decimals where rows mix indicators).
    """

    figure: Figure
    ax: Axes
    title: str
    alt_text: str
    data: pd.DataFrame
    caption: str = ""
    kind: str = "chart"
    formats: dict[str, int] = field(default_factory=dict)
    row_decimals: list[int] | None = None
    axes: tuple[Axes, ...] = ()
    #: the theme it was drawn in, and is saved in
    theme: Theme | None = None
    #: a chart drawn in two layers: the background's SVG (``figure`` holds the
    #: council's own marks) and how to draw it whole (for PNG)
    background: bytes | None = field(default=None, repr=False)
    whole: Callable[[], "Chart"] | None = field(default=None, repr=False)

    # -- bytes -------------------------------------------------------------
    def to_svg(self) -> bytes:
        """The chart as SVG: text as text, or as outlines when the house
        style's ``figure.svg_text`` is ``outlines``."""
        return self._save(format="svg", metadata={"Date": None})

    def to_png(self, dpi: int | None = None) -> bytes:
        """The chart as PNG at ``dpi`` dots per inch (default: the house style's)."""
        if self.background is not None and self.whole is not None:
            return self.whole().to_png(dpi)
        return self._save(format="png", dpi=dpi or (self.theme or current_theme()).figure["png_dpi"])

    def _save(self, **kwargs) -> bytes:
        # Figures the chart functions make have no layout engine (see
        # _layout), so this draws once and gives the same bytes every time.
        buf = io.BytesIO()
        with mpl.rc_context((self.theme or current_theme()).rc):
            self.figure.savefig(buf, **kwargs)
        if self.background is not None and kwargs.get("format") == "svg":
            from .chart_layers import compose
            return compose(self.background, buf.getvalue())
        return buf.getvalue()

    # -- markup ------------------------------------------------------------
    def table_html(self) -> str:
        """The data table: ``<th scope="col">`` headers, numbers with the
        indicator's decimals, every value HTML-escaped."""
        frame = self.data
        head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in frame.columns)
        # the rows as iterrows gives them (one array of the frame's common
        # type), without building a Series per row
        values = frame.to_numpy()
        if values.dtype.kind in "biufcO":
            rows = values.tolist()
        else:  # dates and the like: as pandas boxes them
            rows = [list(row) for _, row in frame.iterrows()]
        decimals = [self.formats.get(c) for c in frame.columns]
        body = []
        for i, row in enumerate(rows):
            cells = []
            for value, d in zip(row, decimals):
                if d is None and self.row_decimals is not None:
                    d = self.row_decimals[i]
                text, numeric = _cell_text(value, d)
                cls = ' class="num"' if numeric else ""
                cells.append(f"<td{cls}>{html.escape(text)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        return (f'<table class="chart-data"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table>')

    def to_html(self, image: str | None = None) -> str:
        """A ``<figure>`` for the pack: the image (``svg`` inline as a data
        URI, or ``png``; default the house style's ``figure.image``) with the
        alt text, then a ``<figcaption>`` holding the source and the data
        table in a ``<details>`` element."""
        image = image or (self.theme or current_theme()).figure.get("image", "png")
        if image == "svg":
            src = "data:image/svg+xml;base64," + base64.b64encode(self.to_svg()).decode("ascii")
        elif image == "png":
            src = "data:image/png;base64," + base64.b64encode(self.to_png()).decode("ascii")
        else:
            raise ParameterError("image", "must be 'svg' or 'png'", image)
        width_cm = self.figure.get_figwidth() / CM
        alt = html.escape(self.alt_text, quote=True)
        return (
            f'<figure class="chart chart-{html.escape(self.kind)}">'
            f'<img src="{src}" alt="{alt}" style="width:{width_cm:.1f}cm;max-width:100%;height:auto">'
            f'<figcaption><p class="chart-caption">{html.escape(self.caption)}</p>'
            f"<details><summary>Data behind this chart</summary>{self.table_html()}</details>"
            f"</figcaption></figure>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def close(self) -> None:
        """Let the figure's memory go. Charts are not registered with pyplot,
        so nothing holds a figure but its Chart: dropping the Chart frees it,
        and there is nothing to tear down here (clearing the figure artist by
        artist costs more than it saves)."""


def _cell_text(value, decimals: int | None) -> tuple[str, bool]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "", False
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (f"{value:,}" if decimals is None else f"{value:,.{decimals}f}"), True
    if isinstance(value, (float, np.floating)):
        d = 1 if decimals is None else decimals
        return f"{value:,.{d}f}", True
    return str(value), False


def display_chart(chart: Chart, image: str | None = None):
    """Show a chart in a notebook as the pack will: figure, alt text,
    caption and data table. Returns an ``IPython.display.HTML`` object (or
    the markup as a string outside IPython)."""
    markup = chart.to_html(image=image)
    try:
        from IPython.display import HTML
    except ImportError:  # plain Python: hand back the markup
        return markup
    return HTML(markup)


# --------------------------------------------------------------------------- wording

def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _lower_first(text: str) -> str:
    # Keep acronyms ("EET rate") as they are.
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _same_when_rounded(a: float, b: float, decimals: int) -> bool:
    return round(a, decimals) == round(b, decimals)


def finding_title(area: str, indicator: Indicator, value: float | None, comparator: float | None,
                  comparator_name: str = "its neighbours' average", *, subject: str | None = None) -> str:
    """A title that states the finding, from the council's value and a comparator.

    ``subject`` is the short name of the measure (default: the indicator's
    label). Values that are equal once rounded to the indicator's decimals
    are "the same as".

    >>> finding_title("Dorset", caseload, 13.4, 15.1, subject="caseload")
    "Dorset's caseload is lower than its neighbours' average"
    """
    subject = subject or _lower_first(indicator.label)
    if value is None or comparator is None or _isnan(value) or _isnan(comparator):
        return f"{_possessive(area)} {subject}"
    if _same_when_rounded(value, comparator, indicator.decimals):
        relation = "the same as"
    else:
        relation = "higher than" if value > comparator else "lower than"
    return f"{_possessive(area)} {subject} is {relation} {comparator_name}"


def trend_title(area: str, indicator: Indicator, first: float, last: float, first_period: int,
                *, subject: str | None = None) -> str:
    """A title that states a trend: "Devon's caseload has risen since 2021"."""
    subject = subject or _lower_first(indicator.label)
    since = indicator.period_label(first_period)
    if _isnan(first) or _isnan(last) or _same_when_rounded(first, last, indicator.decimals):
        return f"{_possessive(area)} {subject} is about the same as in {since}"
    verb = "risen" if last > first else "fallen"
    return f"{_possessive(area)} {subject} has {verb} since {since}"


def _isnan(x) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def _fmt(indicator: Indicator, value) -> str:
    return indicator.format_value(None if _isnan(value) else float(value))


def _short(indicator: Indicator, value) -> str:
    """A value label on a chart: the number with % or £, no long unit words."""
    if _isnan(value):
        return "n/a"
    text = indicator.format_value(float(value), with_unit=False)
    if indicator.unit == "percent":
        return f"{text}%"
    if indicator.unit == "gbp":
        return f"£{text}"
    return text


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _axis_label(indicator: Indicator) -> str:
    unit = indicator.unit_label
    return unit if unit == "%" else unit[:1].upper() + unit[1:]


def _measure_label(indicator: Indicator) -> str:
    return f"{indicator.label} ({indicator.unit_label})"


def _period_text(indicator: Indicator, period) -> str:
    """' at 30 September 2025' for alt text, or '' when no period is known."""
    if period is None or _isnan(period):
        return ""
    phrase = indicator.period_phrase(int(period))
    return " " + _lower_first(phrase)


def default_caption(indicator: Indicator, period=None, *, periods: Sequence[int] | None = None) -> str:
    """"Source: DfE, Children's social work workforce, 30 September 2025." """
    source = SOURCE_NAMES.get(indicator.source, indicator.source)
    if periods:
        ps = sorted(int(p) for p in periods)
        when = indicator.period_label(ps[0]) if len(ps) == 1 else \
            f"{indicator.period_label(ps[0])} to {indicator.period_label(ps[-1])}"
    elif period is not None and not _isnan(period):
        when = indicator.period_label(int(period))
    else:
        when = ""
    return f"Source: {source}" + (f", {when}." if when else ".")


# --------------------------------------------------------------------------- drawing helpers

def _require_columns(data, columns: Iterable[str], parameter: str = "data") -> None:
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(parameter, "must be a pandas DataFrame", type(data).__name__)
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ParameterError(parameter, f"lacks column(s) {missing}; it has {list(data.columns)}. "
                                        "Name the columns with the matching keyword arguments")


def _require_indicator(indicator) -> Indicator:
    if not isinstance(indicator, Indicator):
        raise ParameterError("indicator", "must be an Indicator from the catalogue "
                                          "(e.g. load_catalogue()['wf_caseload'])", type(indicator).__name__)
    return indicator


def _new_axes(ax: Axes | None, height_cm: float | None = None) -> tuple[Figure, Axes, bool]:
    """The figure and axes to draw on; ``owns`` is True when we made them.

    Figures are made with ``matplotlib.figure.Figure`` rather than pyplot so a
    notebook shows the chart once (through :class:`Chart`), not twice. They
    have no layout engine: :func:`_layout` places the axes once, from the text
    around them, so saving draws the figure exactly once.
    """
    if ax is not None:
        return ax.figure, ax, False
    style = house_style()
    with mpl.rc_context(style.rc):  # spines and tick fonts are fixed when the axes are made
        fig = Figure(figsize=style.size(height_cm), layout="none")
        ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))  # moved by _layout
    return fig, ax, True


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
    :mod:`helpers.chart_layers`), or None to draw it whole: not asked for,
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
    from .chart_layers import background, digest
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
    _require_columns(data, [value, label])
    style = house_style()
    frame = pd.DataFrame({
        "area": data[label].astype(str).to_numpy(),
        "value": pd.to_numeric(data[value], errors="coerce").to_numpy(dtype=float),
        "status": (data[status].fillna("ok").astype(str).to_numpy() if status in data.columns
                   else np.full(len(data), "ok", dtype=object)),
    })
    if highlight not in set(frame["area"]):
        raise ParameterError("highlight", f"is not a value in column '{label}'; it has "
                                          f"{sorted(frame['area'])[:12]}", highlight)
    frame.loc[frame["status"] != "ok", "value"] = np.nan  # a coded figure is never drawn
    frame.loc[(frame["status"] == "ok") & frame["value"].isna(), "status"] = "missing"
    if period is None and "period" in data.columns and data["period"].nunique() == 1:
        period = int(data["period"].iloc[0])

    drawn = frame[frame["value"].notna()]
    gaps = frame[frame["value"].isna()]
    ascending = indicator.polarity == "lower_is_better"
    drawn = drawn.sort_values(["value", "area"], ascending=[ascending, True], kind="stable")
    gaps = gaps.sort_values("area")
    order = list(drawn["area"]) + list(gaps["area"])

    fig, ax, owns = _new_axes(ax, height_cm=max(6.5, 3.4 + 0.62 * len(order)))
    with mpl.rc_context(style.rc):
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
        references = [v for v in (neighbour_mean, england) if not _isnan(v)]
        _zero_based(ax, list(drawn["value"]) + references, head=1.14, axis="x")

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

        lines = [(v, name, role) for v, name, role in (
            (neighbour_mean, "Neighbour average", "neighbour_mean"), (england, "England", "england"))
            if not _isnan(v)]
        _reference_lines(ax, indicator, lines, orientation="vertical")

        ax.set_ylabel("")
        ax.set_xlabel(textwrap.fill(_measure_label(indicator), 80))
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)

        council_value = frame.loc[frame["area"] == highlight, "value"].iloc[0]
        title = title or finding_title(highlight, indicator, council_value, neighbour_mean)
        _layout(fig, ax, owns, title)

    value_col = _measure_label(indicator)
    table = pd.DataFrame({
        "Area": order,
        value_col: frame.set_index("area").loc[order, "value"].to_numpy(),
        "Note": ["" if s == "ok" else STATUS_WORDS.get(s, s) for s in frame.set_index("area").loc[order, "status"]],
    })
    refs = pd.DataFrame([{"Area": name, value_col: v, "Note": "reference line"} for v, name, _ in lines])
    table = pd.concat([table, refs], ignore_index=True) if len(refs) else table
    alt = _bars_alt(indicator, frame, drawn, highlight, council_value, neighbour_mean, england, group, period)
    return Chart(fig, ax, title, alt, table, caption or default_caption(indicator, period), "benchmark-bars",
                 formats={value_col: indicator.decimals})


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
            parts.append(f"{highlight} went from {_fmt(indicator, council.iloc[0])} {_period_at(indicator, p0)} "
                         f"to {_fmt(indicator, council.iloc[-1])} {_period_at(indicator, p1)}.")
        else:
            parts.append(f"{highlight} {_fmt(indicator, council.iloc[-1])} {_period_at(indicator, p1)}.")
        latest = [f"{n} {_fmt(indicator, wide.loc[p1, n])}" for n in others if not _isnan(wide.loc[p1, n])]
        if latest:
            parts.append(f"{_period_at(indicator, p1)[:1].upper()}{_period_at(indicator, p1)[1:]}: {', '.join(latest)}.")
    missing = [_period_at(indicator, p) for p in periods if _isnan(wide.loc[p, highlight])]
    if missing:
        parts.append(f"No figure for {highlight} {_and_list(missing)}.")
    return " ".join(parts)


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
        and title over it (see :mod:`helpers.chart_layers`): the same
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
    _require_columns(data, [value, label])
    style = house_style()
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
    council = frame[frame["area"] == highlight].iloc[0]

    fig, ax, owns = _new_axes(ax, height_cm=6.2)
    with mpl.rc_context(style.rc):
        lo, hi = frame["value"].min(), frame["value"].max()
        if not _isnan(england):
            lo, hi = min(lo, england), max(hi, england)
        pad = (hi - lo) * 0.04 or 1
        x0, x1 = lo - pad, hi + pad
        if lo >= 0:
            x0 = max(x0, 0)
        edges = [x0, *quartiles, x1]
        for i, band in enumerate(names):
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
        title = title or _strip_title(highlight, indicator, council["band"])
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
        handles = [Line2D([], [], **{k: v for k, v in _line_style(role).items() if k != "zorder"}, label=name)
                   for role, name in (("council", council), ("neighbour_mean", "Neighbour average"),
                                      ("england", "England"))]
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(margin / width, 1 - 0.85 / height),
                   ncols=3, frameon=False, fontsize=style.font["small_pt"], handlelength=2.6,
                   borderaxespad=0, borderpad=0)
        fig.text(margin / width, 1 - 1.75 / height,
                 "Arrow: change since the previous period (green better, red worse, grey no change or context)",
                 fontsize=style.font["small_pt"], color=style.colour("muted_text"), va="baseline", ha="left")
        title = title or f"{council} at a glance"
        fig.suptitle(textwrap.fill(title, int(width * CM * 72 / (0.62 * style.font["title_pt"]))),
                     x=margin / width, y=1 - 0.25 / height, ha="left", va="top")

    all_periods = sorted(pd.to_numeric(rows["period"], errors="coerce").dropna().astype(int).unique())
    first_ind = indicators[ids[0]]
    cap = caption or ("Sources: " + "; ".join(dict.fromkeys(SOURCE_NAMES.get(i.source, i.source)
                                                             for i in indicators.values())) +
                      (f". Latest periods to {first_ind.period_label(all_periods[-1])}." if all_periods else "."))
    alt = (f"Summary of {n} indicators for {council}, each with its latest figure, trend and comparison "
           f"with England and the neighbour average. " + " ".join(summaries))
    table = pd.DataFrame(table_rows, columns=["Indicator", "Period", council, "Neighbour average", "England"])
    return Chart(fig, panels[0], title, alt, table, cap, "at-a-glance", row_decimals=row_decimals,
                 axes=tuple(panels))


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
        summary = (f"{ind.label}: {_fmt(ind, latest_value)} {_period_at(ind, latest_period)}, {change}"
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


def _period_at(ind: Indicator, period: int) -> str:
    """'at 30 September 2025', 'in 2024-25' or 'in the 2024/25 school year', for sentences."""
    label = ind.period_label(int(period))
    if ind.period_basis == "academic year":
        return f"in the {label} school year"
    return f"in {label}" if ind.period_basis == "financial year" else f"at {label}"


def _trend_arrow(ind: Indicator, known: pd.DataFrame, style: HouseStyle) -> tuple[str, str, str]:
    """(arrow, colour, words) for the change from the previous period."""
    if len(known) < 2:
        return "", style.colour("neutral"), "no earlier figure"
    previous, latest = float(known["council"].iloc[-2]), float(known["council"].iloc[-1])
    before = _period_at(ind, int(known["period"].iloc[-2]))
    if _same_when_rounded(previous, latest, ind.decimals):
        return "→", style.colour("neutral"), f"unchanged from {_fmt(ind, previous)} {before}"
    rising = latest > previous
    arrow = "↑" if rising else "↓"
    words = f"{'up' if rising else 'down'} from {_fmt(ind, previous)} {before}"
    if ind.is_context:
        return arrow, style.colour("neutral"), words
    better = rising == (ind.polarity == "higher_is_better")
    return arrow, style.colour("better" if better else "worse"), words + (" (better)" if better else " (worse)")


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
