"""The comparison engine: kept for existing imports; see :mod:`helpers.stats`,
whose docstring (and docs/statistics.md) states every rule."""

from __future__ import annotations

from .neighbours import DEFAULT_MODEL  # noqa: F401
from .stats import *  # noqa: F401,F403
from .stats import __all__ as _stats_all
from .vocab import STATUS_WORDS  # noqa: F401

__all__ = [*_stats_all, "DEFAULT_MODEL", "STATUS_WORDS"]
