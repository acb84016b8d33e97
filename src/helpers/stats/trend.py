"""Direction of travel and change since the previous period, for many
series at once: numbers and codes, no words.

Rules (docs/statistics.md, "Direction of travel", "Change since last year"):
a trend over a window of 3 or 5 periods is called "rising" or "falling" only
when the test finds it (p < 0.05), it is beyond the limit for two single
years (counts), it is at least the minimum meaningful change, and the latest
figure is on the same side of the first figure as the fitted change. Its
*shape* says how it got there: "steady" (it moved that way in every year of
the window, no year missing), "reversed" (the latest year went the other
way) or "uneven" (otherwise). The words never claim more than the shape.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .funnel import SCALE, Z95, minimum_meaningful_change, usable_counts

__all__ = ["TREND_METHODS", "trend_arrays", "year_change_arrays", "trend_test"]

TREND_METHODS = {"binomial": "chi-squared test for linear trend (binomial)",
                 "poisson": "score test for linear trend (Poisson)", "ols": "OLS slope"}


def _ols(X, Yv, n):
    """OLS slope and its two-sided p-value for each row (X, Yv zero where missing)."""
    Sx, Sxx, Sy = X.sum(1), (X * X).sum(1), Yv.sum(1)
    sxx = Sxx - Sx ** 2 / n
    sxy = (X * Yv).sum(1) - Sx * Sy / n
    syy = (Yv * Yv).sum(1) - Sy ** 2 / n
    b = sxy / sxx
    ssr = np.maximum(syy - b * sxy, 0.0)
    df_res = n - 2
    se = np.sqrt(ssr / df_res / sxx)
    t = np.where(se > 0, b / se, np.where(b != 0, np.inf, 0.0))
    return b, 2 * stats.t.sf(np.abs(t), np.maximum(df_res, 1))


def _score_test(X, R0, E0, n, kind):
    """Score (chi-squared) test for linear trend on counts with exposure,
    pooled rate under the null: (slope per period in raw units, p-value,
    variance per unit, mean exposure)."""
    sE, sR = E0.sum(1), R0.sum(1)
    sEx, sExx, sRx = (E0 * X).sum(1), (E0 * X * X).sum(1), (R0 * X).sum(1)
    rate = sR / sE
    var_unit = rate * (1 - rate) if kind == "binomial" else rate
    sxx_w = sExx - sEx ** 2 / sE
    T = sRx - rate * sEx
    var_T = var_unit * sxx_w
    z = np.where(var_T > 0, T / np.sqrt(var_T), 0.0)
    return T / sxx_w, 2 * stats.norm.sf(np.abs(z)), var_unit, sE / n


def _ends(valid, x, Y):
    """First and last value and position of each row's points in the window."""
    G, W = Y.shape
    rows = np.arange(G)
    any_valid = valid.any(axis=1)
    first = np.argmax(valid, axis=1)
    last = W - 1 - np.argmax(valid[:, ::-1], axis=1)
    pick = (lambda a, i: np.where(any_valid, a[i], np.nan)) if W else (lambda a, i: np.full(G, np.nan))
    first_value = np.where(any_valid, Y[rows, first], np.nan) if W else np.full(G, np.nan)
    last_value = np.where(any_valid, Y[rows, last], np.nan) if W else np.full(G, np.nan)
    return first_value, last_value, pick(x, first), pick(x, last)


def _shape(valid, x, Y, direction, n, years):
    """'steady', 'reversed', 'uneven' for trends ('' otherwise) and the
    latest step: 'up', 'down', 'flat' or '' (the previous period missing)."""
    end = valid[:, x == 0].any(axis=1) if (x == 0).any() else np.zeros(len(Y), bool)
    prev = valid[:, x == -1].any(axis=1) if (x == -1).any() else np.zeros(len(Y), bool)
    y0 = Y[:, x == 0][:, 0] if (x == 0).any() else np.full(len(Y), np.nan)
    y1 = Y[:, x == -1][:, 0] if (x == -1).any() else np.full(len(Y), np.nan)
    latest = np.where(end & prev, np.where(y0 > y1, "up", np.where(y0 < y1, "down", "flat")), "")
    inwin = (x <= 0) & (x > -years)
    Yw = np.where(valid[:, inwin], Y[:, inwin], np.nan)
    with np.errstate(invalid="ignore"):
        steps = np.diff(Yw, axis=1)
        started = np.cumsum(np.isfinite(Yw), axis=1)[:, :-1] > 0   # steps after the first figure
        counted = started | np.isfinite(steps)
        all_up = np.where(counted, steps > 0, True).all(axis=1)
        all_down = np.where(counted, steps < 0, True).all(axis=1)
    # steady: every year from the first figure in the window to the last moved the same way, none missing
    full = n >= 2
    want = np.where(direction == "rising", "up", np.where(direction == "falling", "down", ""))
    steady = full & np.where(direction == "rising", all_up, all_down)
    reversed_ = (latest != "") & (latest != want) & (latest != "flat")
    shape = np.where(direction == "none", "", np.where(steady, "steady", np.where(reversed_, "reversed", "uneven")))
    shape = np.where(np.isin(direction, ["rising", "falling"]), shape, "")
    return shape.astype(object), latest.astype(object)


def trend_arrays(periods, end, Y, R, E, years: int, kind: str | None, unit: str, polarity: str) -> dict:
    """Direction of travel for G series at once over the ``years`` periods
    ending at ``end``. ``periods`` (W,) label the columns of ``Y`` (values),
    ``R`` (numerators) and ``E`` (denominators), each (G, W), NaN where
    missing. Returns a dict of (G,) arrays: direction, judgement, shape,
    latest_step, change, first_value, last_value, first_period, last_period,
    p_value, method, significant, beyond_limit, meaningful, n_points."""
    scale = SCALE.get(unit, 1.0)
    min_points = 3 if years <= 3 else years - 1
    x = np.asarray(periods, dtype=float) - float(end)
    Y, R, E = (np.atleast_2d(np.asarray(a, dtype=float)) for a in (Y, R, E))
    valid = np.isfinite(Y) & ((x <= 0) & (x > -years))[None, :]
    n = valid.sum(axis=1).astype(float)
    X, Yv = np.where(valid, x[None, :], 0.0), np.where(valid, Y, 0.0)
    usable = valid & usable_counts(kind, R, E) if kind is not None else np.zeros_like(valid)
    use_counts = (kind is not None) & (usable.sum(axis=1) == n) & (n > 0)
    first_value, last_value, xmin, xmax = _ends(valid, x, Y)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        b_ols, p_ols = _ols(X, Yv, n)
        slope_c, p_cnt, var_unit, mean_e = _score_test(X, np.where(usable, R, 0.0), np.where(usable, E, 0.0), n,
                                                       kind)
        span = xmax - xmin
        change = np.where(use_counts, slope_c * span * scale, b_ols * span)
        p_value = np.where(use_counts, p_cnt, p_ols)
        significant = np.nan_to_num(p_value, nan=1.0) < 0.05
        beyond = np.where(use_counts, np.abs(change) > Z95 * np.sqrt(var_unit * 2.0 / mean_e) * scale, True)
        meaningful = np.abs(np.nan_to_num(change)) >= minimum_meaningful_change(unit, Yv.sum(1) / n)
        agrees = np.sign(last_value - first_value) == np.sign(change)
    enough = (n >= min_points) & valid[:, x == 0].any(axis=1) if (x == 0).any() else np.zeros(len(n), bool)
    is_trend = enough & significant & beyond & meaningful & agrees
    direction = np.where(~enough, "too_few", np.where(is_trend, np.where(change > 0, "rising", "falling"), "none"))
    judgement = np.full(len(n), None, dtype=object)
    if polarity != "context":
        judgement = np.where(is_trend, np.where((change > 0) == (polarity == "higher_is_better"),
                                                "improving", "worsening"), None)
    shape, latest = _shape(valid, x, Y, direction, n, years)
    method = np.where(~enough, "", np.where(use_counts, TREND_METHODS.get(kind or "", ""), TREND_METHODS["ols"]))
    return {"direction": direction.astype(object), "judgement": judgement, "shape": shape, "latest_step": latest,
            "change": np.where(enough, change, np.nan), "first_value": first_value, "last_value": last_value,
            "first_period": xmin + end, "last_period": xmax + end, "p_value": np.where(enough, p_value, np.nan),
            "method": method.astype(object), "significant": enough & significant,
            "beyond_limit": np.where(use_counts & enough, beyond, None), "meaningful": enough & meaningful,
            "n_points": n.astype(int)}


def year_change_arrays(v1, n1, d1, v0, n0, d0, kind, unit) -> dict:
    """Change since the previous period and whether it is beyond chance
    (two-sample z-test with pooled binomial/Poisson variance; without counts
    ``significant`` is False and ``testable`` False)."""
    v1, v0 = np.asarray(v1, dtype=float), np.asarray(v0, dtype=float)
    n1, d1, n0, d0 = (np.asarray(a, dtype=float) for a in (n1, d1, n0, d0))
    scale = SCALE.get(unit, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        change = v1 - v0
        rel = np.where(v0 != 0, change / v0, np.nan)
        if kind is not None:
            testable = usable_counts(kind, n1, d1) & usable_counts(kind, n0, d0) & np.isfinite(change)
            pooled = (n1 + n0) / (d1 + d0)
            var_unit = pooled * (1 - pooled) if kind == "binomial" else pooled
            se = np.sqrt(var_unit * (1 / d1 + 1 / d0)) * scale
            z = np.where(testable & (se > 0), (n1 / d1 - n0 / d0) * scale / se, np.nan)
            z = np.where(testable & ~(se > 0), 0.0, z)
            p = np.where(testable, 2 * stats.norm.sf(np.abs(z)), np.nan)
        else:
            testable = np.zeros(change.shape, dtype=bool)
            z = p = np.full(change.shape, np.nan)
        significant = testable & (np.nan_to_num(p, nan=1.0) < 0.05)
        meaningful = np.isfinite(change) & (np.abs(np.nan_to_num(change)) >= minimum_meaningful_change(unit, v0))
    direction = np.where(~np.isfinite(change), "none", np.where(change > 0, "up", np.where(change < 0, "down",
                                                                                           "flat")))
    return {"change": change, "relative_change": rel, "z": z, "p_value": p, "testable": testable,
            "significant": significant, "meaningful": meaningful, "beyond_chance": significant & meaningful,
            "direction": direction.astype(object)}


def trend_test(series, indicator, years: int = 3, end_period: int | None = None):
    """Direction of travel for one council's series (a frame with period,
    value and optionally numerator, denominator) over the ``years`` periods
    ending at ``end_period`` (default: the last period with a value), as a
    :class:`~helpers.stats.results.Trend`."""
    from .funnel import funnel_kind
    from .results import Trend
    s = series.sort_values("period")
    value = s["value"].to_numpy(dtype=float)
    num = s["numerator"].to_numpy(dtype=float) if "numerator" in s else np.full(len(s), np.nan)
    den = s["denominator"].to_numpy(dtype=float) if "denominator" in s else np.full(len(s), np.nan)
    periods = s["period"].to_numpy(dtype=int)
    if end_period is None:
        ok = periods[np.isfinite(value)]
        end_period = int(ok.max()) if len(ok) else int(periods.max())
    t = trend_arrays(periods, int(end_period), value[None, :], num[None, :], den[None, :], years,
                     funnel_kind(indicator), indicator.unit, indicator.polarity)
    one = {k: (v[0] if isinstance(v, np.ndarray) else v) for k, v in t.items()}
    bl = one["beyond_limit"]
    return Trend(years=years, start_period=int(end_period) - years + 1, end_period=int(end_period),
                 n_points=int(one["n_points"]), direction=str(one["direction"]), judgement=one["judgement"],
                 shape=str(one["shape"]), latest_step=str(one["latest_step"]), change=float(one["change"]),
                 first_value=float(one["first_value"]), first_period=float(one["first_period"]),
                 last_value=float(one["last_value"]), last_period=float(one["last_period"]),
                 p_value=float(one["p_value"]), method=str(one["method"]), significant=bool(one["significant"]),
                 beyond_limit=None if bl is None else bool(bl), meaningful=bool(one["meaningful"]))
