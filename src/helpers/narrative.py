"""Plain-English sentences: kept for existing imports; see :mod:`helpers.words`
(the sentences) and :mod:`helpers.vocab` (the words for codes)."""

from __future__ import annotations

from .vocab import ordinal, possessive  # noqa: F401
from .words import *  # noqa: F401,F403
from .words import __all__ as _words_all

__all__ = [*_words_all, "ordinal", "possessive"]
