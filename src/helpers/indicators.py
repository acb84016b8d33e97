"""The indicator catalogue: kept for existing imports; see :mod:`helpers.catalogue`."""

from __future__ import annotations

from .catalogue import (DERIVATIONS, PERIOD_BASES, POLARITIES, UNITS, Catalogue, Indicator,  # noqa: F401
                        default_sections, load_catalogue, parse_indicator)
from .vocab import STATUS_WORDS  # noqa: F401


def __getattr__(name):
    if name == "SECTIONS":  # read from data/indicators.yml on first use
        return default_sections()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
