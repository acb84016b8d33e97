"""Ranks with ties, quartile bands as the DfE's LAIT draws them, and RAG
ratings: pure functions on numbers, no words.

Rules (docs/statistics.md, "Ranks", "Quartile bands", "RAG"):

* Ranks are competition ranks ("1224"): tied values share the better rank
  and are "joint". Only measures with a polarity are ranked (1 = best);
  context measures get no rank, as in LAIT. Only comparable figures are
  ranked (see :mod:`helpers.stats.counts`).
* Quartile bands split the comparable values of all councils at their
  quartiles (Excel's QUARTILE.INC, numpy's linear interpolation): A is the
  best quarter by the measure's polarity. A value on a cut point goes to the
  better band, so equal values always share a band. Context measures get no
  band.
"""

from __future__ import annotations

import numpy as np

__all__ = ["competition_ranks", "tied", "quartile_cuts", "bands_by_value", "rag_from_level", "rag_against_target"]

BANDS = np.array(["A", "B", "C", "D"], dtype=object)


def _signed(values, polarity: str) -> np.ndarray:
    """Values signed so that bigger is better."""
    v = np.asarray(values, dtype=float)
    return -v if polarity == "lower_is_better" else v


def competition_ranks(values, polarity: str, eligible=None) -> np.ndarray:
    """Competition ranks along the last axis (1 = best; ties share the better
    rank); NaN for values that are missing, not ``eligible`` or of a context
    measure.

    >>> competition_ranks([12.0, 9.0, 12.0, float("nan")], "lower_is_better").tolist()
    [2.0, 1.0, 2.0, nan]
    """
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v) if eligible is None else np.isfinite(v) & np.asarray(eligible, dtype=bool)
    if polarity == "context":
        return np.full(v.shape, np.nan)
    s = np.where(ok, _signed(v, polarity), np.nan)
    # rank = 1 + number of eligible values strictly better
    better = (s[..., None, :] > s[..., :, None]).sum(axis=-1)
    return np.where(ok, better + 1.0, np.nan)


def tied(ranks) -> np.ndarray:
    """True where another entry along the last axis has the same rank."""
    r = np.asarray(ranks, dtype=float)
    same = (r[..., None, :] == r[..., :, None]).sum(axis=-1)
    return np.isfinite(r) & (same > 1)


def quartile_cuts(values) -> tuple[float, float, float] | None:
    """The lower quartile, median and upper quartile of the finite values
    (QUARTILE.INC), or None with fewer than four values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 4:
        return None
    q1, q2, q3 = np.quantile(v, [0.25, 0.5, 0.75])
    return float(q1), float(q2), float(q3)


def bands_by_value(values, cuts, polarity: str) -> np.ndarray:
    """LAIT quartile band ("A" best .. "D" worst) for each value, None where
    the value is missing, there are no cuts or the measure is context.

    >>> bands_by_value([1, 2, 3, 4, 5], (2, 3, 4), "higher_is_better").tolist()
    ['D', 'C', 'B', 'A', 'A']
    """
    v = np.asarray(values, dtype=float)
    if cuts is None or polarity == "context":
        return np.full(v.shape, None, dtype=object)
    q1, q2, q3 = cuts
    if polarity == "lower_is_better":
        idx = np.select([v <= q1, v <= q2, v <= q3], [0, 1, 2], 3)
    else:
        idx = np.select([v >= q3, v >= q2, v >= q1], [0, 1, 2], 3)
    return np.where(np.isfinite(v), BANDS[idx], None)


def rag_from_level(level, polarity: str) -> np.ndarray:
    """Against comparators: green when better beyond the 95% limit, red when
    worse beyond the 99.8% limit, amber otherwise; "n/a" for context measures
    or no comparison."""
    level = np.atleast_1d(np.asarray(level, dtype=float))
    if polarity == "context":
        return np.full(level.shape, "n/a", dtype=object)
    good = level if polarity == "higher_is_better" else -level
    out = np.select([good >= 1, good <= -2], ["green", "red"], "amber").astype(object)
    return np.where(np.isfinite(level), out, "n/a")


def rag_against_target(value, target, level, polarity: str) -> np.ndarray:
    """Against a target: green when met, red when missed beyond the 99.8%
    limit around it, amber otherwise; None without a target or for context."""
    value = np.atleast_1d(np.asarray(value, dtype=float))
    target = np.broadcast_to(np.asarray(target, dtype=float), value.shape)
    level = np.broadcast_to(np.asarray(level, dtype=float), value.shape)
    if polarity == "context":
        return np.full(value.shape, None, dtype=object)
    with np.errstate(invalid="ignore"):
        met = value >= target if polarity == "higher_is_better" else value <= target
    good = level if polarity == "higher_is_better" else -level
    out = np.where(met, "green", np.where(good <= -2, "red", "amber")).astype(object)
    out = np.where(np.isfinite(value), out, "n/a")
    return np.where(np.isfinite(target), out, None)
