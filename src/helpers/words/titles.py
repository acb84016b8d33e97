"""Chart titles that say what the sentences say, by the same rules: a chart
title never claims what the words beside it do not."""

from __future__ import annotations

from ..stats.results import Comparison
from ..vocab import band_quarter, comparison_words, possessive
from .sentences import subject_of, trend_clause

__all__ = ["bars_title", "trend_title", "funnel_title", "strip_title"]


def _who(c: Comparison, subject: str) -> str:
    return f"{possessive(subject)} {subject_of(c)}"


def bars_title(c: Comparison, subject: str, comparator_name: str) -> str:
    """Title of the chart of the council beside its comparators."""
    if not c.has_value:
        return f"{_who(c, subject)} is {c.status_word}; its comparators are shown"
    if not c.comparable:
        return f"{_who(c, subject)}: too few {c.indicator.counted} to compare; its comparators are shown"
    relation = comparison_words(c.vs_neighbours)
    if relation:
        return f"{_who(c, subject)} is {relation} {comparator_name}"
    return f"{_who(c, subject)} beside {comparator_name}"


def trend_title(c: Comparison, subject: str) -> str | None:
    """Title of the chart over time: the trend words, or None for the chart's
    own title (first and last points) when there are too few years."""
    if not c.has_value:
        return (f"{_who(c, subject)}: the latest figure ({c.period_label}) is {c.status_word}; "
                f"earlier years are shown")
    if not c.comparable:
        return f"{_who(c, subject)} over time (too few {c.indicator.counted} to judge a trend)"
    clause = trend_clause(c)
    return f"{_who(c, subject)} {clause}" if clause else None


def funnel_title(c: Comparison, subject: str) -> str:
    """Title of the funnel of all councils: unusual only beyond the 99.8%
    limit, as the sentences say."""
    if not c.comparable:
        return f"{_who(c, subject)}: too few {c.indicator.counted} to place among councils"
    side = c.funnel.unusual_side
    if side:
        return f"{_who(c, subject)} is unusually {side} among councils, allowing for its size"
    return f"{_who(c, subject)} is within the usual range for a council of its size"


def strip_title(c: Comparison, subject: str) -> str:
    """Title of the chart of all councils' figures."""
    if c.band in ("A", "B", "C", "D") and not c.is_context:
        return f"{subject} is in the {band_quarter(c.band)} of councils in England for {subject_of(c)}"
    return f"{_who(c, subject)} among all councils in England"
