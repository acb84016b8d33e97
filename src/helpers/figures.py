"""Figures an analyst draws in a notebook, shown in the pack as JupyterLab
shows them.

A section notebook may draw its own matplotlib or seaborn chart and show it
however JupyterLab would: ``plt.show()``, a cell that ends with an Axes or a
Figure, or ``display(fig)``. In a Jupyter kernel the inline backend
(matplotlib-inline) hands every such figure to IPython's display
formatters; :func:`enable` registers the project's formatter for figures,
which writes the image (SVG or PNG, as the pack's theme says) together with
its alt text in the output's metadata. The pack build reads that metadata
(:mod:`helpers.build.preprocess`): a figure keeps the alt text it was given,
one without gets its title as alt text (and the build log says so), and one
with neither stops the build naming the notebook and cell.

    >>> import matplotlib.pyplot as plt
    >>> from helpers.figures import set_alt_text
    >>> fig, ax = plt.subplots()
    >>> _ = ax.bar(["2023", "2024"], [14.2, 15.8])
    >>> _ = ax.set_title("Caseloads rose in 2024")
    >>> set_alt_text(ax, "Bar chart: average caseload 14.2 in 2023 and 15.8 in 2024.") is fig
    True
    >>> figure_alt(fig)
    ('Bar chart: average caseload 14.2 in 2023 and 15.8 in 2024.', 'given')
"""

from __future__ import annotations

import base64
import io

from .errors import ParameterError

__all__ = ["set_alt_text", "figure_alt", "figure_of", "enable", "ALT_FROM_TITLE", "METADATA_KEY"]

#: Where a figure's alt text is kept on the matplotlib Figure.
_ALT_ATTR = "_scrutiny_alt_text"
#: The output-metadata key (under the image's MIME type) the pack build reads.
METADATA_KEY = "scrutiny"
ALT_FROM_TITLE = "title"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
_MIME = {"svg": "image/svg+xml", "png": "image/png"}


def figure_of(obj):
    """The matplotlib Figure behind a Figure, SubFigure, Axes, seaborn grid
    (FacetGrid, PairGrid, JointGrid) or :class:`helpers.charts.Chart`; None
    for anything else."""
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure
    if isinstance(obj, Figure):
        return obj
    if isinstance(obj, SubFigure):
        return obj.figure
    if isinstance(obj, Axes):
        return figure_of(obj.figure)
    inner = getattr(obj, "figure", None) or getattr(obj, "fig", None)
    return figure_of(inner) if inner is not None and inner is not obj else None


def set_alt_text(figure, text: str):
    """Give a figure the alt text the pack shows to readers who cannot see
    it: say what the chart shows and its main numbers, in a sentence or two.
    ``figure`` may be a Figure, an Axes or a seaborn grid. Returns the
    Figure.

    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> set_alt_text(ax, "Line chart: referrals fell from 612 to 540 a month.") is fig
    True
    """
    fig = figure_of(figure)
    if fig is None:
        raise ParameterError("figure", "must be a matplotlib Figure or Axes, or a seaborn grid",
                             type(figure).__name__)
    if not isinstance(text, str) or not text.strip():
        raise ParameterError("text", "must be a sentence saying what the chart shows", text)
    setattr(fig, _ALT_ATTR, " ".join(text.split()))
    return fig


def _titles(fig) -> list[str]:
    found = []
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text().strip():
        found.append(suptitle.get_text().strip())
    for ax in fig.get_axes():
        for loc in ("center", "left", "right"):
            title = ax.get_title(loc=loc).strip()
            if title:
                found.append(title)
    return list(dict.fromkeys(" ".join(t.split()) for t in found))


def figure_alt(fig) -> tuple[str, str]:
    """(alt text, where it came from): ``given`` by :func:`set_alt_text`,
    ``title`` from the figure's title and axes titles, or ("", "none")."""
    given = getattr(fig, _ALT_ATTR, None)
    if given:
        return given, "given"
    titles = _titles(fig)
    if titles:
        return "Chart: " + "; ".join(titles), ALT_FROM_TITLE
    return "", "none"


def _figure_image(fig, kind: str):
    """The figure as the pack embeds it, with its alt text as metadata."""
    buf = io.BytesIO()
    fig.canvas.print_figure(buf, format=kind, bbox_inches="tight", metadata={"Date": None}
                            if kind == "svg" else None, facecolor="white")
    alt, source = figure_alt(fig)
    meta = {METADATA_KEY: {"alt": alt, "alt_from": source}}
    if kind == "svg":
        return buf.getvalue().decode("utf-8"), meta
    return base64.b64encode(buf.getvalue()).decode("ascii"), meta


def _formatter(kind: str):
    def show_figure(fig):
        return _figure_image(fig, kind)
    show_figure.scrutiny = True
    return show_figure


def enable(image: str = "svg", shell=None) -> bool:
    """Show figures in this Jupyter kernel as the pack will: the inline
    backend, and a display formatter that writes each figure as ``image``
    ("svg" or "png") with its alt text. Called when a section opens (and by
    the pack build's kernels); does nothing outside a Jupyter kernel.
    Returns True when figures are set up."""
    if image not in _MIME:
        raise ParameterError("image", "must be 'svg' or 'png'", image)
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return False
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
    if matplotlib.get_backend() not in ("inline", INLINE_BACKEND):
        plt.switch_backend(INLINE_BACKEND)
    # pyplot loads its backend on first use, and matplotlib-inline then sets
    # IPython's figure formatters; load it now, so the formatter set below
    # is the one figures are shown with
    getattr(plt, "_get_backend_mod", lambda: None)()
    from matplotlib_inline.backend_inline import configure_inline_support
    configure_inline_support(shell, INLINE_BACKEND)
    for formatter in shell.display_formatter.formatters.values():
        formatter.pop(Figure, None)
    shell.display_formatter.formatters[_MIME[image]].for_type(Figure, _formatter(image))
    return True


def enabled(shell=None) -> bool:
    """True when this kernel shows figures through :func:`enable`'s formatter."""
    from IPython import get_ipython
    from matplotlib.figure import Figure
    shell = shell or get_ipython()
    if shell is None:
        return False
    for mime in _MIME.values():
        found = shell.display_formatter.formatters[mime].type_printers.get(Figure)
        if getattr(found, "scrutiny", False):
            return True
    return False
