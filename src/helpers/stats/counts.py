"""Small numbers: when a figure rests on too few children (or social
workers) to be ranked, banded, rated or called unusual.

Rule (docs/statistics.md, "Small numbers"): a figure is not compared when

* the counts behind it are not published (a suppressed numerator or
  denominator) for a measure whose release gives counts; or
* a percentage rests on fewer than 20 (one child moves it by 5 points or
  more);
* a rate per 10,000 counts fewer than 10 children (or events);
* a caseload or days-lost figure rests on fewer than 5 full-time social
  workers.

Money and scores are always comparable. Such a figure is still shown, with
its count, but it gets no rank, band, rating, funnel verdict, key message or
question, and the councils that are ranked are counted without it.
"""

from __future__ import annotations

import numpy as np

from ..catalogue import Indicator

__all__ = ["MIN_DENOMINATOR_PERCENT", "MIN_COUNT_RATE", "MIN_FTE", "comparability", "counts_published"]

MIN_DENOMINATOR_PERCENT = 20
MIN_COUNT_RATE = 10
MIN_FTE = 5


def counts_published(indicator: Indicator, num, den) -> bool:
    """Whether the release gives this measure's counts at all (for some council)."""
    if not (indicator.numerator or indicator.denominator or indicator.derive):
        return False
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return bool((np.isfinite(num) & np.isfinite(den)).any())


def comparability(indicator: Indicator, value, num, den, published: bool) -> tuple[np.ndarray, np.ndarray]:
    """(comparable, reason) for each figure: reason is "" or one of
    "suppressed_counts", "small_denominator", "small_count"."""
    value, num, den = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (value, num, den))
    reason = np.full(value.shape, "", dtype=object)
    if indicator.unit in ("gbp", "score") or indicator.section == "spending":
        return np.isfinite(value), reason
    has = np.isfinite(value)
    with np.errstate(invalid="ignore"):
        if published:
            reason = np.where(has & ~(np.isfinite(num) & np.isfinite(den)), "suppressed_counts", reason)
        if indicator.unit == "percent":
            small = den < MIN_DENOMINATOR_PERCENT
            reason = np.where(has & (reason == "") & small, "small_denominator", reason)
        elif indicator.unit == "per_10k":
            reason = np.where(has & (reason == "") & (num < MIN_COUNT_RATE), "small_count", reason)
        elif indicator.unit in ("ratio", "days"):
            reason = np.where(has & (reason == "") & (den < MIN_FTE), "small_denominator", reason)
    return has & (reason == ""), reason.astype(object)
