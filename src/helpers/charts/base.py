"""The chart object, the house style, text measurement, and the words of titles and captions."""

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
            from .layers import compose
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
