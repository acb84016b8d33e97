"""Funnel-plot limits (PHE methods), over-dispersion (Spiegelhalter 2005)
and the "similar to" test: statistics only, no words, no plotting.

The rules are stated in docs/statistics.md ("Funnel limits",
"Over-dispersion", "Similar to"); the module docstring of
:mod:`helpers.stats` holds the same text, checked by a test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..catalogue import Indicator

__all__ = ["Z95", "Z998", "SCALE", "FUNNEL_CLASSES", "funnel_kind", "minimum_meaningful_change", "Overdispersion",
           "NO_OVERDISPERSION", "estimate_overdispersion", "limits_raw", "funnel_limits", "pooled_target",
           "classify_values", "usable_counts", "classify_funnel", "funnel_curve", "difference_level"]

Z95 = float(stats.norm.ppf(0.975))     # 1.96
Z998 = float(stats.norm.ppf(0.999))    # 3.09
SCALE = {"percent": 100.0, "per_10k": 10_000.0, "ratio": 1.0, "days": 1.0, "gbp": 1.0, "score": 1.0}
FUNNEL_CLASSES = ("above_99.8", "above_95", "within", "below_95", "below_99.8")
WINSOR = 0.10
MIN_COUNCILS_FOR_OVERDISPERSION = 10


def funnel_kind(indicator: Indicator) -> str | None:
    """"binomial", "poisson" or None (no funnel: money, days, scores)."""
    if indicator.unit in ("gbp", "days", "score") or indicator.section == "spending":
        return None
    if indicator.unit == "percent":
        return "binomial"
    if indicator.unit in ("per_10k", "ratio"):
        return "poisson"
    return None


def minimum_meaningful_change(unit: str, reference) -> np.ndarray | float:
    """1 percentage point for percentages; 5% of the reference otherwise."""
    ref = np.abs(np.asarray(reference, dtype=float))
    out = np.full_like(ref, 1.0) if unit == "percent" else 0.05 * ref
    return float(out) if out.ndim == 0 else out


def usable_counts(kind, num, den) -> np.ndarray:
    """Counts a funnel or a test can use: finite, a positive denominator, a
    non-negative numerator (no more than the denominator for proportions)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    ok = np.isfinite(num) & np.isfinite(den) & (den > 0) & (num >= 0)
    if kind == "binomial":
        ok &= num <= den * (1 + 1e-9)
    return ok


# --------------------------------------------------------------------------- limits

def _wilson(p0, n, z):
    n = np.asarray(n, dtype=float)
    denom = 2.0 * (n + z * z)
    centre = (2.0 * n * p0 + z * z) / denom
    half = z * np.sqrt(z * z + 4.0 * n * p0 * (1.0 - p0)) / denom
    return centre - half, centre + half


def _binom_exact(p0, n, prob):
    """Spiegelhalter (2005) interpolated binomial quantile, as a proportion."""
    n = np.maximum(np.rint(np.asarray(n, dtype=float)), 1.0)
    r = stats.binom.ppf(prob, n, p0)
    f_r = stats.binom.cdf(r, n, p0)
    f_r1 = stats.binom.cdf(r - 1, n, p0)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(f_r - f_r1 > 0, (f_r - prob) / (f_r - f_r1), 0.0)
    return np.clip((r - alpha) / n, 0.0, 1.0)


def _binomial_limits(t, den, z, tail, method):
    p0 = np.clip(t, 0.0, 1.0)
    m = method or "wilson"
    if m == "wilson":
        return _wilson(p0, den, z)
    if m == "normal":
        se = np.sqrt(p0 * (1 - p0) / den)
        return np.clip(p0 - z * se, 0, 1), np.clip(p0 + z * se, 0, 1)
    if m == "exact":
        return _binom_exact(p0, den, tail), _binom_exact(p0, den, 1 - tail)
    raise ValueError(f"Unknown funnel method {method!r} for proportions: use wilson, exact or normal")


def _poisson_limits(t, den, z, tail, method):
    mu = t * den
    m = method or "exact"
    if m == "exact":
        lo = np.where(mu > 0, stats.chi2.ppf(tail, 2.0 * np.where(mu > 0, mu, 1.0)) / 2.0, 0.0)
        hi = stats.chi2.ppf(1 - tail, 2.0 * (mu + 1.0)) / 2.0
    elif m == "normal":
        lo, hi = np.maximum(mu - z * np.sqrt(mu), 0.0), mu + z * np.sqrt(mu)
    else:
        raise ValueError(f"Unknown funnel method {method!r} for counts: use exact or normal")
    return lo / den, hi / den


def limits_raw(kind: str, target_raw, den, method: str | None, tau2: float = 0.0) -> dict:
    """Lower/upper limits at 95% and 99.8% in raw units (a proportion, or a
    rate per unit of exposure) for denominators ``den`` around ``target_raw``,
    widened by a between-council variance ``tau2`` (raw units squared):
    {"95": (lo, hi), "99.8": (lo, hi)}."""
    den = np.asarray(den, dtype=float)
    t = np.asarray(target_raw, dtype=float)
    out = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, z, tail in (("95", Z95, 0.025), ("99.8", Z998, 0.001)):
            if kind == "binomial":
                lo, hi = _binomial_limits(t, den, z, tail, method)
            elif kind == "poisson":
                lo, hi = _poisson_limits(t, den, z, tail, method)
            else:
                raise ValueError(f"No funnel for kind {kind!r}")
            if tau2 > 0:
                spread = z * z * tau2
                lo = np.maximum(t - np.sqrt((t - lo) ** 2 + spread), 0.0)
                hi = t + np.sqrt((hi - t) ** 2 + spread)
                if kind == "binomial":
                    hi = np.minimum(hi, 1.0)
            out[name] = (lo, hi)
    return out


def funnel_limits(denominators, target: float, unit: str = "percent", *, method: str | None = None,
                  kind: str | None = None, tau2: float = 0.0) -> pd.DataFrame:
    """Funnel-plot control limits over ``denominators`` around ``target``.

    ``target`` and the limits are in the indicator's units (12.5 for 12.5%,
    350 for 350 per 10,000). ``unit`` picks the model: ``percent`` binomial,
    ``per_10k`` and ``ratio`` Poisson on the count with the denominator as
    exposure; pass ``kind`` to override. ``tau2`` (raw units squared, as
    :func:`estimate_overdispersion` gives it) widens the limits for the
    spread between councils; 0 gives chance limits. Columns: denominator,
    target, lower_998, lower_95, upper_95, upper_998. Raises ValueError for
    ``gbp`` (spend per child is not a count: no funnel).

    >>> funnel_limits([100], 20.0).round(1).iloc[0].tolist()
    [100.0, 20.0, 11.5, 13.3, 28.9, 32.3]
    """
    scale = SCALE.get(unit, 1.0)
    if kind is None:
        kind = {"percent": "binomial", "per_10k": "poisson", "ratio": "poisson"}.get(unit)
    if kind is None:
        raise ValueError(f"No funnel limits for unit {unit!r}: spend per child, days and scores are not counts")
    den = np.atleast_1d(np.asarray(denominators, dtype=float))
    lim = limits_raw(kind, target / scale, den, method, tau2)
    return pd.DataFrame({
        "denominator": den, "target": float(target),
        "lower_998": lim["99.8"][0] * scale, "lower_95": lim["95"][0] * scale,
        "upper_95": lim["95"][1] * scale, "upper_998": lim["99.8"][1] * scale,
    })


# --------------------------------------------------------------------------- over-dispersion

@dataclass(frozen=True)
class Overdispersion:
    """Spiegelhalter's (2005) over-dispersion estimate for one funnel."""
    phi: float        # mean squared winsorised z-score; 1 when chance alone explains the spread
    tau2: float       # between-council variance in raw units squared; 0 when not significant
    k: int            # councils with usable counts
    p_value: float    # chi-squared test of k * phi on k - 1 degrees of freedom

    @property
    def adjusted(self) -> bool:
        return self.tau2 > 0


NO_OVERDISPERSION = Overdispersion(float("nan"), 0.0, 0, float("nan"))


def _standard_error(kind: str, target_raw: float, den) -> np.ndarray:
    den = np.asarray(den, dtype=float)
    if kind == "binomial":
        return np.sqrt(target_raw * (1.0 - target_raw) / den)
    return np.sqrt(target_raw / den)


def estimate_overdispersion(kind: str | None, target_raw: float, num, den, value=None, *,
                            winsor: float = WINSOR, alpha: float = 0.05) -> Overdispersion:
    """Over-dispersion of the councils' rates ``num / den`` around
    ``target_raw`` (a proportion, or a rate per unit of exposure): see
    "Over-dispersion" in docs/statistics.md. Rows without usable counts, or
    without a published ``value`` when values are given, are left out."""
    if kind is None or not np.isfinite(target_raw) or target_raw <= 0 or \
            (kind == "binomial" and target_raw >= 1):
        return NO_OVERDISPERSION
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    ok = usable_counts(kind, num, den)
    if value is not None:
        ok &= np.isfinite(np.asarray(value, dtype=float))
    k = int(ok.sum())
    if k < MIN_COUNCILS_FOR_OVERDISPERSION:
        return Overdispersion(float("nan"), 0.0, k, float("nan"))
    se = _standard_error(kind, target_raw, den[ok])
    z = (num[ok] / den[ok] - target_raw) / se
    low, high = np.quantile(z, [winsor, 1.0 - winsor])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    p_value = float(stats.chi2.sf(k * phi, k - 1))
    tau2 = 0.0
    if p_value < alpha:
        w = 1.0 / se ** 2
        tau2 = max(0.0, float((k * phi - (k - 1)) / (w.sum() - (w ** 2).sum() / w.sum())))
    return Overdispersion(phi, tau2, k, p_value)


# --------------------------------------------------------------------------- classification

def pooled_target(value, num, den, kind: str | None, scale: float, fallback: float) -> float:
    """The all-council pooled rate (sum of numerators / sum of denominators
    over councils with a value and both counts), else ``fallback``."""
    if kind is None:
        return fallback
    value, num, den = (np.asarray(a, dtype=float) for a in (value, num, den))
    ok = np.isfinite(num) & np.isfinite(den) & (den > 0) & np.isfinite(value)
    if not ok.any() or den[ok].sum() <= 0:
        return fallback
    return float(num[ok].sum() / den[ok].sum() * scale)


def classify_values(value, limits_scaled: dict) -> np.ndarray:
    """Each value against scaled limits: one of FUNNEL_CLASSES."""
    v = np.asarray(value, dtype=float)
    lo95, hi95 = limits_scaled["95"]
    lo998, hi998 = limits_scaled["99.8"]
    return np.select([v > hi998, v > hi95, v < lo998, v < lo95],
                     ["above_99.8", "above_95", "below_99.8", "below_95"], "within").astype(object)


def classify_funnel(frame: pd.DataFrame, indicator: Indicator, target: float | None = None, *,
                    method: str | None = None, overdispersion: bool = True) -> pd.DataFrame:
    """Per-council funnel classification of a frame with value, numerator
    and denominator (one row per council; other columns kept). ``target``
    defaults to the pooled rate of the rows given; the limits allow for
    over-dispersion among them unless ``overdispersion=False``. Adds columns
    funnel_target, lower_998, lower_95, upper_95, upper_998, funnel (one of
    FUNNEL_CLASSES, "no_value", "no_counts" or "no_funnel"), funnel_phi and
    funnel_tau2."""
    out = frame.copy()
    for col in ("numerator", "denominator"):
        if col not in out.columns:
            out[col] = np.nan
    kind = funnel_kind(indicator)
    scale = SCALE[indicator.unit]
    value, num, den = (out[c].astype(float).to_numpy() for c in ("value", "numerator", "denominator"))
    if kind is None:
        for col in ("funnel_target", "lower_998", "lower_95", "upper_95", "upper_998"):
            out[col] = np.nan
        out["funnel"] = np.where(np.isfinite(value), "no_funnel", "no_value")
        out["funnel_phi"], out["funnel_tau2"] = np.nan, 0.0
        return out
    if target is None:
        target = pooled_target(value, num, den, kind, scale,
                               float(np.nanmean(value)) if np.isfinite(value).any() else np.nan)
    usable = usable_counts(kind, num, den)
    od = estimate_overdispersion(kind, target / scale, num, den, value) if overdispersion else NO_OVERDISPERSION
    lim = limits_raw(kind, target / scale, np.where(usable, den, 1.0), method, od.tau2)
    scaled = {k: (lo * scale, hi * scale) for k, (lo, hi) in lim.items()}
    out["funnel_target"] = target
    for col, (name, side) in {"lower_998": ("99.8", 0), "lower_95": ("95", 0), "upper_95": ("95", 1),
                              "upper_998": ("99.8", 1)}.items():
        out[col] = np.where(usable, scaled[name][side], np.nan)
    cls = np.where(usable, classify_values(value, scaled), "no_counts")
    out["funnel"] = np.where(np.isfinite(value), cls, "no_value")
    out["funnel_phi"], out["funnel_tau2"] = od.phi, od.tau2
    return out


def funnel_curve(frame: pd.DataFrame, indicator: Indicator, target: float | None = None, *,
                 points: int = 200, method: str | None = None, overdispersion: bool = True,
                 tau2: float | None = None) -> pd.DataFrame:
    """Limit curves for plotting: ``points`` denominators spaced evenly on a log
    scale from the smallest to the largest denominator in ``frame`` (with
    some margin), around ``target`` (default: the pooled rate of ``frame``).
    The limits allow for over-dispersion as :func:`classify_funnel` does
    (estimated from ``frame``, or ``tau2`` when given, e.g. a comparison's
    ``funnel.tau2``); ``overdispersion=False`` draws chance limits."""
    kind = funnel_kind(indicator)
    if kind is None:
        raise ValueError(f"{indicator.id}: {indicator.unit} figures are not counts, so there is no funnel")
    scale = SCALE[indicator.unit]
    value, num, den = (frame[c].astype(float).to_numpy() if c in frame.columns else np.full(len(frame), np.nan)
                       for c in ("value", "numerator", "denominator"))
    if target is None:
        target = pooled_target(value, num, den, kind, scale, float(np.nanmean(value)))
    used = den[usable_counts(kind, num, den)]
    if not len(used):
        raise ValueError(f"{indicator.id}: no denominators to draw a funnel")
    grid = np.geomspace(max(float(used.min()) * 0.8, 1.0), float(used.max()) * 1.2, points)
    if not overdispersion:
        tau2 = 0.0
    elif tau2 is None:
        tau2 = estimate_overdispersion(kind, target / scale, num, den, value).tau2
    return funnel_limits(grid, target, indicator.unit, method=method, kind=kind, tau2=tau2)


def difference_level(value, ref, num, den, kind, unit, method=None) -> np.ndarray:
    """-2..2: how far ``value`` is above (+) or below (-) ``ref``: 2 beyond the
    99.8% limit, 1 beyond 95%, 0 similar; NaN when either is missing. See
    "Similar to" in docs/statistics.md."""
    value = np.atleast_1d(np.asarray(value, dtype=float))
    ref = np.broadcast_to(np.asarray(ref, dtype=float), value.shape).astype(float)
    num = np.broadcast_to(np.asarray(num, dtype=float), value.shape)
    den = np.broadcast_to(np.asarray(den, dtype=float), value.shape)
    scale = SCALE.get(unit, 1.0)
    diff = value - ref
    mmc = np.broadcast_to(minimum_meaningful_change(unit, ref), value.shape)
    with np.errstate(invalid="ignore"):
        # without counts: the minimum meaningful change alone
        level = np.where(np.abs(diff) >= 3 * mmc, 2.0, np.where(np.abs(diff) >= mmc, 1.0, 0.0)) * np.sign(diff)
        if kind is not None:
            usable = usable_counts(kind, num, den) & np.isfinite(ref) & (ref >= 0)
            if kind == "binomial":
                usable &= ref <= scale
            if usable.any():
                safe_ref = np.where(usable, ref, 0.5 * scale if kind == "binomial" else 1.0)
                lim = limits_raw(kind, safe_ref / scale, np.where(usable, den, 1.0), method)
                lo95, hi95 = lim["95"][0] * scale, lim["95"][1] * scale
                lo998, hi998 = lim["99.8"][0] * scale, lim["99.8"][1] * scale
                stat_level = np.select([value > hi998, value > hi95, value < lo998, value < lo95],
                                       [2.0, 1.0, -2.0, -1.0], 0.0)
                stat_level = np.where(np.abs(diff) < mmc, 0.0, stat_level)
                level = np.where(usable, stat_level, level)
    return np.where(np.isfinite(value) & np.isfinite(ref), level, np.nan)
