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

The charts live one kind to a module: :mod:`.base` (the :class:`Chart`
object, the house style, titles and captions), :mod:`.layout`, :mod:`.bars`,
:mod:`.trend`, :mod:`.funnel`, :mod:`.strip`, :mod:`.glance`, :mod:`.monthly`
and :mod:`.layers` (the all-councils layer drawn once and reused).
"""

from __future__ import annotations

from .base import Chart, HouseStyle, SOURCE_NAMES, _TEXT_METRICS, _cell_text, _measure_text_per_renderer, _shared_text_metrics, apply_house_style, default_caption, display_chart, finding_title, house_style, themed, trend_title  # noqa: F401
from .bars import benchmark_bars  # noqa: F401
from .trend import time_series  # noqa: F401
from .funnel import funnel_plot  # noqa: F401
from .strip import position_strip, quartile_bands  # noqa: F401
from .glance import AT_A_GLANCE_COLUMNS, STATUS_TEXT, at_a_glance  # noqa: F401
from .monthly import monthly_trend, seasonality_chart  # noqa: F401
from ..theme import CM, STYLE_FILE, Theme, current_theme, load_theme, using_theme  # noqa: F401
from ..vocab import STATUS_WORDS  # noqa: F401

__all__ = [
    "Chart", "HouseStyle", "apply_house_style", "house_style", "finding_title", "trend_title",
    "benchmark_bars", "time_series", "funnel_plot", "position_strip", "at_a_glance",
    "monthly_trend", "seasonality_chart", "display_chart", "default_caption", "quartile_bands",
    "STATUS_WORDS", "SOURCE_NAMES",
]
