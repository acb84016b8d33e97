"""The house style of a pack's charts as an explicit theme object.

A :class:`Theme` holds the figure size, fonts, colours and line styles of
``chart_style.yml`` (validated: unknown sections or keys and values of the
wrong kind raise :class:`~helpers.errors.ConfigError` naming the file and
key). Nothing here is module state: a section holds its theme
(``section.theme``), a pack specification names a style file for the whole
pack, and a chart function draws in the theme it is given (``theme=``).
While one chart is drawn, :func:`using_theme` makes its theme the current
one for the drawing helpers; it is undone when the chart is drawn.

    >>> theme = load_theme()
    >>> theme.colour("council")
    '#0072B2'
    >>> with using_theme(theme.replace(colours={"council": "#8B0000"})):
    ...     current_theme().colour("council")
    '#8B0000'
    >>> current_theme().colour("council")
    '#0072B2'
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Mapping

import matplotlib as mpl
import seaborn as sns
from cycler import cycler

from .errors import ConfigError
from .safe_yaml import load_yaml_file

__all__ = ["Theme", "load_theme", "current_theme", "using_theme", "STYLE_FILE", "CM"]

STYLE_FILE = Path(__file__).with_name("chart_style.yml")
CM = 1 / 2.54  # inches per centimetre
_DASHES = ("solid", "dashed", "dotted", "dashdot")

# The schema of chart_style.yml: section -> key -> check. Each check returns an
# error message, or None when the value is acceptable.
def _positive(v):
    return None if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 else "must be a positive number"


def _colour(v):
    return None if isinstance(v, str) and mpl.colors.is_color_like(v) else "must be a colour such as \"#0072B2\""


def _dash(v):
    return None if v in _DASHES else f"must be one of: {', '.join(_DASHES)}"


def _image_format(v):
    return None if v in ("png", "svg") else "must be 'png' or 'svg'"


def _svg_text(v):
    return None if v in ("text", "outlines") else "must be 'text' or 'outlines'"


def _font_list(v):
    ok = isinstance(v, list) and v and all(isinstance(x, str) for x in v)
    return None if ok else "must be a list of font family names"


_SCHEMA: dict[str, dict[str, Callable]] = {
    "figure": {"width_cm": _positive, "height_cm": _positive, "png_dpi": _positive, "image": _image_format,
               "svg_text": _svg_text},
    "font": {"family": _font_list, "base_pt": _positive, "small_pt": _positive, "title_pt": _positive,
             "big_number_pt": _positive},
    "colours": {k: _colour for k in (
        "council", "neighbours", "neighbour_mean", "england", "region", "other", "better", "worse", "similar",
        "neutral",
        "text", "muted_text", "axis", "grid", "band_light", "band_dark", "funnel_fill", "funnel_95", "funnel_998")},
    "lines": {"council_width": _positive, "reference_width": _positive, "england_dash": _dash,
              "neighbour_mean_dash": _dash, "region_dash": _dash, "target_dash": _dash,
              "funnel_95_dash": _dash, "funnel_998_dash": _dash},
}


@dataclass(frozen=True)
class Theme:
    """The house style of a pack's charts: the validated contents of a chart
    style file. A theme is a value: :meth:`replace` gives a changed copy and
    nothing changes the theme another section or council draws in.

    >>> theme = load_theme()                       # the packaged house style
    >>> mine = theme.replace(colours={"council": "#8B0000"})
    >>> mine.colour("council"), theme.colour("council")
    ('#8B0000', '#0072B2')
    """

    figure: Mapping
    font: Mapping
    colours: Mapping
    lines: Mapping
    path: Path | None = None

    @property
    def width_in(self) -> float:
        return self.figure["width_cm"] * CM

    def size(self, height_cm: float | None = None) -> tuple[float, float]:
        """Figure size in inches: the house width and the given (or default) height."""
        return self.width_in, (height_cm or self.figure["height_cm"]) * CM

    def colour(self, role: str) -> str:
        return self.colours[role]

    def dash(self, role: str) -> str:
        return self.lines[f"{role}_dash"]

    @property
    def rc(self) -> dict:
        """matplotlib rc parameters for this style, over seaborn's 'ticks' style."""
        f, c = self.font, self.colours
        rc = dict(sns.axes_style("ticks"))
        rc.update(sns.plotting_context("paper"))
        rc.update({
            "font.family": "sans-serif",
            "font.sans-serif": list(f["family"]),
            "font.size": f["base_pt"],
            "axes.titlesize": f["title_pt"], "axes.titleweight": "bold", "axes.titlelocation": "left",
            "figure.titlesize": f["title_pt"], "figure.titleweight": "bold",
            "axes.labelsize": f["base_pt"], "xtick.labelsize": f["base_pt"], "ytick.labelsize": f["base_pt"],
            "legend.fontsize": f["small_pt"], "legend.title_fontsize": f["small_pt"], "legend.frameon": False,
            "axes.spines.top": False, "axes.spines.right": False,
            "axes.edgecolor": c["axis"], "axes.labelcolor": c["text"], "text.color": c["text"],
            "xtick.color": c["axis"], "ytick.color": c["axis"],
            "xtick.labelcolor": c["text"], "ytick.labelcolor": c["text"],
            "axes.grid": False, "grid.color": c["grid"], "grid.linewidth": 0.8,
            "axes.facecolor": "white", "figure.facecolor": "white", "savefig.facecolor": "white",
            "axes.linewidth": 0.8, "xtick.major.width": 0.8, "ytick.major.width": 0.8,
            "xtick.major.size": 3, "ytick.major.size": 3,
            "axes.prop_cycle": cycler(color=[c["council"], c["neighbour_mean"], c["region"], c["england"],
                                             "#E69F00", "#56B4E9", "#CC79A7"]),
            "lines.solid_capstyle": "butt",
            "figure.dpi": 100, "savefig.dpi": self.figure["png_dpi"],
            # SVG text as text (figure.svg_text: text): crisp, searchable and
            # selectable in the PDF, and quick to write and to print; a
            # reader without DejaVu Sans sees Arial, aligned as drawn (the
            # SVG anchors each label). "outlines" stores glyph shapes instead.
            "svg.fonttype": "none" if self.figure.get("svg_text", "text") == "text" else "path",
            "svg.hashsalt": "scrutiny-packs", "pdf.fonttype": 42,
            "axes.unicode_minus": True,
        })
        return rc

    @property
    def key(self) -> str:
        """A digest of the theme's contents: two themes with the same key draw
        the same charts (caches of drawn charts are keyed by it)."""
        cached = self.__dict__.get("_key")
        if cached is None:
            import hashlib
            text = repr([sorted((k, repr(v)) for k, v in getattr(self, s).items()) for s in _SCHEMA])
            cached = hashlib.sha256(text.encode()).hexdigest()[:20]
            object.__setattr__(self, "_key", cached)
        return cached

    def replace(self, **sections: Mapping) -> "Theme":
        """A copy with some keys changed, checked as a style file is:
        ``theme.replace(colours={"council": "#8B0000"}, font={"base_pt": 11})``."""
        unknown = sorted(set(sections) - set(_SCHEMA))
        if unknown:
            raise ConfigError(None, f"unknown section(s) {unknown}", key=unknown[0],
                              hint=f"Allowed sections are: {', '.join(_SCHEMA)}")
        values = {s: dict(getattr(self, s)) for s in _SCHEMA}
        for section, entries in sections.items():
            _check_section(None, section, entries)
            values[section].update(entries)
        return Theme(**values, path=self.path)

    def apply(self) -> "Theme":
        """Make this the matplotlib and seaborn style of this process, so ad
        hoc charts drawn with pyplot or seaborn match the pack's. Returns
        the theme."""
        sns.set_theme(style="ticks", rc=self.rc)
        return self


def _read_style_file(path: Path) -> dict:
    doc = load_yaml_file(path, what="chart style file")
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ConfigError(path, "a chart style file must be a mapping of sections",
                          hint=f"Use the sections: {', '.join(_SCHEMA)}")
    unknown = sorted(set(doc) - set(_SCHEMA))
    if unknown:
        raise ConfigError(path, f"unknown section(s) {unknown}", key=unknown[0],
                          hint=f"Allowed sections are: {', '.join(_SCHEMA)}")
    for section, entries in doc.items():
        _check_section(path, section, entries)
    return doc


def _check_section(path, section: str, entries) -> None:
    if not isinstance(entries, dict):
        raise ConfigError(path, "must be a mapping of keys to values", key=section)
    allowed = _SCHEMA[section]
    unknown = sorted(set(entries) - set(allowed))
    if unknown:
        names = [f"{section}.{k}" for k in unknown]
        raise ConfigError(path, f"unknown key(s) {names}", key=names[0],
                          hint=f"Allowed keys in '{section}' are: {', '.join(allowed)}")
    for key, value in entries.items():
        problem = allowed[key](value)
        if problem:
            raise ConfigError(path, f"{problem} (value: {value!r})", key=f"{section}.{key}")


@lru_cache(maxsize=8)
def _load_style(path: Path | None) -> Theme:
    base = _read_style_file(STYLE_FILE)
    missing = [f"{s}.{k}" for s, keys in _SCHEMA.items() for k in keys if k not in base.get(s, {})]
    if missing:
        raise ConfigError(STYLE_FILE, f"the packaged style lacks {missing}")
    if path is not None and Path(path).resolve() != STYLE_FILE.resolve():
        for section, entries in _read_style_file(Path(path)).items():
            base[section] = {**base[section], **entries}
    return Theme(**{s: dict(base[s]) for s in _SCHEMA}, path=Path(path) if path else STYLE_FILE)


def load_theme(path: str | Path | None = None) -> Theme:
    """The packaged house style, or a style file's keys over it.

    ``path`` is a YAML file with any of the sections and keys of the
    packaged ``chart_style.yml``; keys it leaves out keep the packaged
    values.

    >>> load_theme().font["base_pt"]
    10
    """
    return _load_style(Path(path).resolve() if path not in (None, "") else None)


_CURRENT: contextvars.ContextVar[Theme | None] = contextvars.ContextVar("scrutiny_theme", default=None)


def current_theme() -> Theme:
    """The theme of the chart being drawn (see :func:`using_theme`), else the
    packaged house style."""
    return _CURRENT.get() or load_theme()


@contextlib.contextmanager
def using_theme(theme: Theme | None):
    """Draw in ``theme`` inside the ``with`` block (None: the packaged one)."""
    token = _CURRENT.set(theme or load_theme())
    try:
        yield theme
    finally:
        _CURRENT.reset(token)
