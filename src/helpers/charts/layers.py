"""Charts drawn in two layers: what is the same for every council, drawn
once per process, and what is the council's own, drawn for each.

A chart of all councils (the funnel plot, the position strip) is mostly the
same picture in every council's pack: every council's point, the limits,
the axes, the ticks and their labels. Only the highlighted council's mark,
its label and the title differ. In a batch the same picture would be drawn
153 times; here it is drawn once, as an SVG **background** kept in memory
and keyed by everything it is drawn from, and each council gets an SVG
**overlay** (its mark, label and title on a transparent figure of the same
size, with axes at the same place and the same limits), laid over it in
one SVG document. A single build draws its charts the same way, so a pack
is the same whether it was built alone or in a batch.

A chart whose own marks would change the layout (a label reaching beyond
the figure) is drawn whole instead; the caller decides with :meth:`Layer.fits`.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import OrderedDict
from dataclasses import dataclass

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure

#: Backgrounds kept per process: a pack has about 30 charts of all councils.
MAX_BACKGROUNDS = 256
_BACKGROUNDS: "OrderedDict[tuple, Layer]" = OrderedDict()
_EDGE_PT = 4.0


@dataclass(frozen=True)
class Layer:
    """A drawn background: its SVG, the figure's size (inches), and where
    its axes are (figure fractions) with their data limits."""
    svg: bytes
    size: tuple[float, float]
    bounds: tuple[float, float, float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def overlay(self, rc: dict) -> tuple[Figure, object]:
        """A transparent figure of the same size with invisible axes in the
        same place and with the same limits, for a council's own marks."""
        with mpl.rc_context(rc):
            fig = Figure(figsize=self.size, layout="none")
            ax = fig.add_axes(self.bounds)
        fig.patch.set_visible(False)
        ax.patch.set_visible(False)
        ax.set_axis_off()
        ax.set_xlim(self.xlim)
        ax.set_ylim(self.ylim)
        return fig, ax

    def fits(self, boxes, top_room: float) -> bool:
        """Whether boxes (left, right, bottom, top in points from the figure's
        bottom left) lie inside the figure's edges and below the title: the
        room the background's layout left. A label beyond it would have moved
        the axes in a chart drawn whole."""
        width, height = self.size[0] * 72, self.size[1] * 72
        return all(left >= _EDGE_PT - 0.01 and right <= width - _EDGE_PT + 0.01 and bottom >= _EDGE_PT - 0.01
                   and top <= height - top_room + 0.01 for left, right, bottom, top in boxes)


def digest(*parts) -> str:
    """A short digest of tables (their columns and values) and plain values."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, pd.DataFrame):
            h.update(repr(list(part.columns)).encode())
            h.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
        else:
            h.update(repr(part).encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


def background(key: tuple, draw) -> Layer:
    """The background for ``key``, drawn by ``draw()`` -> (figure, axes)
    the first time and kept (the most recent MAX_BACKGROUNDS)."""
    if key in _BACKGROUNDS:
        _BACKGROUNDS.move_to_end(key)
        return _BACKGROUNDS[key]
    fig, ax = draw()
    layer = Layer(svg=save_svg(fig), size=tuple(fig.get_size_inches()), bounds=tuple(ax.get_position().bounds),
                  xlim=tuple(ax.get_xlim()), ylim=tuple(ax.get_ylim()))
    _BACKGROUNDS[key] = layer
    while len(_BACKGROUNDS) > MAX_BACKGROUNDS:
        _BACKGROUNDS.popitem(last=False)
    return layer


def save_svg(fig: Figure) -> bytes:
    from .base import house_style
    buf = io.BytesIO()
    with mpl.rc_context(house_style().rc):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


_BODY = re.compile(rb"<svg\b[^>]*>(.*)</svg>\s*$", re.S)
_METADATA = re.compile(rb"<metadata>.*?</metadata>", re.S)


def compose(base: bytes, *overlays: bytes) -> bytes:
    """One SVG document: ``base`` with each overlay's content drawn over it
    (same size and coordinates; ids in matplotlib's SVG are hashes of what
    they name, so a definition both hold is the same definition)."""
    parts = []
    for svg in overlays:
        body = _BODY.search(svg)
        if body is None:
            raise ValueError("not an SVG document")
        parts.append(_METADATA.sub(b"", body.group(1)))
    end = base.rstrip().rfind(b"</svg>")
    return base[:end] + b"".join(parts) + base[end:]
