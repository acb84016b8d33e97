"""The one comparison engine: every rule applied to many councils at once.

:func:`league` places every council of England on one indicator and period
(positions, quartile bands, funnel classes, comparability);
:func:`compare_rows` compares any set of councils, each with its own
comparator group and its region, and returns flat columns of codes and
numbers. The single-council view (:func:`helpers.stats.compare_indicator`)
and the all-council table (:func:`helpers.stats.compare_all`) are both made
by :func:`compare_rows`, so they cannot state a rule twice.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..catalogue import Indicator
from .counts import comparability, counts_published
from .funnel import (NO_OVERDISPERSION, SCALE, classify_values, difference_level, estimate_overdispersion,
                     funnel_kind, limits_raw, pooled_target, usable_counts)
from .layout import Layout
from .ranking import (bands_by_value, competition_ranks, quartile_cuts, rag_against_target, rag_from_level,
                      tied)
from .trend import trend_arrays, year_change_arrays

__all__ = ["League", "league", "compare_rows", "resolve_members", "period_index", "NO_FUNNEL_REASONS"]

#: Why a measure has no funnel, by unit (docs/statistics.md, "Funnel limits").
NO_FUNNEL_REASONS = {"gbp": "money", "days": "days", "score": "score"}


@dataclass(eq=False)
class League:
    """Every data row (council or joint return) at one indicator and period."""
    value: np.ndarray
    num: np.ndarray
    den: np.ndarray
    status: np.ndarray
    comparable: np.ndarray
    reason: np.ndarray
    position: np.ndarray
    position_tied: np.ndarray
    position_n: int
    band: np.ndarray
    funnel: np.ndarray           # class per row
    limits: dict                 # "lower_998", "lower_95", "upper_95", "upper_998" -> (D,)
    target: float
    phi: float
    tau2: float
    kind: str | None
    method: str | None


def period_index(layout: Layout, i: int, period) -> int | None:
    """The period index to compare at: ``period`` itself (None when the store
    has no such period), or for None the latest period in which any council
    has a figure (any area, failing that)."""
    if period is not None:
        return layout.p_index.get(int(period))
    has = np.isfinite(layout.VD[i]).any(axis=1)
    if has.any():
        return int(np.flatnonzero(has)[-1])
    nat = np.isfinite(layout.nat[i])
    return int(np.flatnonzero(nat)[-1]) if nat.any() else None


def _funnel_columns(ind: Indicator, kind, value, num, den, england, method, overdispersion):
    D = len(value)
    nan = np.full(D, np.nan)
    if kind is None:
        cls = np.where(np.isfinite(value), "no_funnel", "no_value").astype(object)
        return cls, {"lower_998": nan, "lower_95": nan, "upper_95": nan, "upper_998": nan}, np.nan, np.nan, 0.0
    scale = SCALE[ind.unit]
    fallback = england if np.isfinite(england) else (float(np.nanmean(value)) if np.isfinite(value).any() else np.nan)
    target = pooled_target(value, num, den, kind, scale, fallback)
    usable = usable_counts(kind, num, den)
    od = estimate_overdispersion(kind, target / scale, num, den, value) if overdispersion else NO_OVERDISPERSION
    lim = limits_raw(kind, target / scale, np.where(usable, den, 1.0), method, od.tau2)
    scaled = {k: (lo * scale, hi * scale) for k, (lo, hi) in lim.items()}
    limits = {"lower_998": scaled["99.8"][0], "lower_95": scaled["95"][0], "upper_95": scaled["95"][1],
              "upper_998": scaled["99.8"][1]}
    limits = {k: np.where(usable, v, np.nan) for k, v in limits.items()}
    cls = np.where(usable, classify_values(value, scaled), "no_counts")
    cls = np.where(np.isfinite(value), cls, "no_value").astype(object)
    return cls, limits, target, od.phi, od.tau2


def league(layout: Layout, ind: Indicator, i: int, k: int, method: str | None = None,
           overdispersion: bool = True) -> League:
    """All councils at indicator ``i`` and period index ``k``: positions among
    comparable figures, LAIT bands, the funnel around the pooled rate.
    Cached on the layout (which is itself keyed by the store's content)."""
    cache = layout.__dict__.setdefault("_leagues", {})
    key = (ind.id, k, method, overdispersion, ind.polarity, ind.unit)
    hit = cache.get(key)
    if hit is not None:
        return hit
    value, num, den = layout.VD[i, k], layout.ND[i, k], layout.DD[i, k]
    status = np.where(layout.SD[i, k] == "", "missing", layout.SD[i, k]).astype(object)
    comparable, reason = comparability(ind, value, num, den, counts_published(ind, num, den))
    position = competition_ranks(value, ind.polarity, comparable)
    band = bands_by_value(value, quartile_cuts(value[comparable]), ind.polarity)
    band = np.where(comparable, band, None)
    kind = funnel_kind(ind)
    cls, limits, target, phi, tau2 = _funnel_columns(ind, kind, value, num, den, float(layout.nat[i, k]), method,
                                                     overdispersion)
    cls = np.where(np.isfinite(value) & ~comparable & (cls != "no_funnel"), "too_few", cls).astype(object)
    out = League(value=value, num=num, den=den, status=status, comparable=comparable, reason=reason,
                 position=position, position_tied=tied(position),
                 position_n=int((comparable & np.isfinite(value)).sum()), band=band, funnel=cls, limits=limits,
                 target=float(target), phi=float(phi), tau2=float(tau2), kind=kind,
                 method=(method or ("wilson" if kind == "binomial" else "exact")) if kind else None)
    cache[key] = out
    return out


# --------------------------------------------------------------------------- groups

def resolve_members(layout: Layout, i: int, k: int, subject_dc: np.ndarray, members: np.ndarray):
    """Resolve comparator groups at one indicator and period.

    ``members`` (G, K) holds council indices (-1 pads). A member whose data
    row is the subject's own (its joint-return partner) is dropped, and so is
    a second member of a joint return already in the group: a joint return
    counts once and is never a neighbour of one of its own members. Returns
    (kept, member data rows, dropped) as (G, K) arrays."""
    members = np.asarray(members, dtype=int)
    is_member = members >= 0
    mdc = np.where(is_member, layout.DC[i, k, np.maximum(members, 0)], -1)
    own = is_member & (mdc >= 0) & (mdc == subject_dc[:, None]) & (subject_dc[:, None] >= 0)
    joint_rows = np.array(["/" in d for d in layout.data_codes.tolist()] + [False], dtype=bool)
    cand = is_member & ~own & (mdc >= 0) & joint_rows[mdc]
    dup = np.zeros_like(is_member)
    gg, aa = np.nonzero(cand)
    if len(gg):
        keys = gg * (len(layout.data_codes) + 1) + mdc[gg, aa]
        _, first = np.unique(keys, return_index=True)
        later = np.ones(len(keys), dtype=bool)
        later[first] = False
        dup[gg[later], aa[later]] = True
    dropped = own | dup
    return is_member & ~dropped, mdc, dropped


def _group_stats(lg: League, kept, mdc) -> dict:
    """Neighbour mean, median, min, max and counts of the kept members."""
    safe = np.maximum(mdc, 0)
    nv = np.where(kept & (mdc >= 0), lg.value[safe], np.nan)
    n = np.isfinite(nv).sum(axis=1)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        # rounded to 9 decimals: a mean is then the same whatever the order of
        # summation, so it prints the same wherever it is recomputed
        return {"neighbour_mean": np.round(np.where(n > 0, np.nansum(nv, axis=1) / np.maximum(n, 1), np.nan), 9),
                "neighbour_median": np.where(n > 0, np.nanmedian(np.where(n[:, None] > 0, nv, 0.0), axis=1), np.nan),
                "neighbour_min": np.where(n > 0, np.nanmin(np.where(np.isfinite(nv), nv, np.inf), axis=1), np.nan),
                "neighbour_max": np.where(n > 0, np.nanmax(np.where(np.isfinite(nv), nv, -np.inf), axis=1), np.nan),
                "neighbour_n": n.astype(int), "neighbour_total": kept.sum(axis=1).astype(int), "_values": nv}


def _rank_in(lg: League, ind: Indicator, subject_dc, kept, mdc, prefix: str) -> dict:
    """The subject's competition rank among itself and its kept members."""
    dcs = np.concatenate([subject_dc[:, None], np.where(kept, mdc, -1)], axis=1)
    safe = np.maximum(dcs, 0)
    values = np.where(dcs >= 0, lg.value[safe], np.nan)
    eligible = (dcs >= 0) & lg.comparable[safe]
    ranks = competition_ranks(values, ind.polarity, eligible)
    n = (eligible & np.isfinite(values)).sum(axis=1)
    alone = n < 2   # no comparator with a comparable figure: no rank ("1st of 1" says nothing)
    return {f"{prefix}": np.where(alone, np.nan, ranks[:, 0]), f"{prefix}_n": np.where(ind.is_context, 0, n).astype(int),
            f"{prefix}_tied": tied(ranks)[:, 0] & ~alone}


# --------------------------------------------------------------------------- comparisons

def _verdicts(ind: Indicator, lg: League, value, num, den, comparable, nb_mean, england, target, method) -> dict:
    kind = funnel_kind(ind)
    lvl_nb = difference_level(value, nb_mean, num, den, kind, ind.unit, method)
    lvl_en = difference_level(value, england, num, den, kind, ind.unit, method)
    lvl_nb = np.where(comparable, lvl_nb, np.nan)
    lvl_en = np.where(comparable, lvl_en, np.nan)
    words = np.array(["lower", "similar", "higher"], dtype=object)

    def code(level):
        return np.where(np.isfinite(level), words[(np.sign(np.nan_to_num(level)) + 1).astype(int)], None)

    better = np.full(len(value), None, dtype=object)
    if not ind.is_context:
        good = lvl_nb if ind.polarity == "higher_is_better" else -lvl_nb
        better = np.where(np.isfinite(good) & (good != 0), good > 0, None)
    rag_nb = np.where(comparable, rag_from_level(lvl_nb, ind.polarity), "n/a").astype(object)
    if target is not None and np.isfinite(target) and not ind.is_context:
        lvl_t = difference_level(value, target, num, den, kind, ind.unit, method)
        rag_t = np.where(comparable, rag_against_target(value, target, lvl_t, ind.polarity), "n/a").astype(object)
        rag = rag_t
    else:
        rag_t = np.full(len(value), None, dtype=object)
        rag = rag_nb
    if ind.is_context:
        rag = np.full(len(value), "n/a", dtype=object)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"diff_neighbours": value - nb_mean, "rel_diff_neighbours": np.where(nb_mean != 0, (value - nb_mean) / nb_mean, np.nan),
                "diff_england": value - england,
                "rel_diff_england": np.where(england != 0, (value - england) / england, np.nan) if np.isfinite(england)
                else np.full(len(value), np.nan),
                "vs_neighbours": code(lvl_nb), "vs_neighbours_level": lvl_nb, "vs_england": code(lvl_en),
                "vs_england_level": lvl_en, "better_than_neighbours": better, "rag": rag, "rag_neighbours": rag_nb,
                "rag_target": rag_t}


def _funnel_fields(lg: League, subject_dc, comparable, value, den, kind) -> dict:
    safe = np.maximum(subject_dc, 0)
    has = subject_dc >= 0
    cls = np.where(has, lg.funnel[safe], "no_value").astype(object)
    if kind is None:
        cls = np.where(np.isfinite(value), "no_funnel", "no_value").astype(object)
    out = {"funnel_kind": np.full(len(value), kind, dtype=object),
           "funnel_method": np.full(len(value), lg.method, dtype=object),
           "funnel_target": np.full(len(value), lg.target), "funnel_denominator": den}
    for name, arr in lg.limits.items():
        out[f"funnel_{name}"] = np.where(has & comparable, arr[safe], np.nan)
    out["funnel_classification"] = cls
    out["funnel_phi"] = np.full(len(value), lg.phi)
    out["funnel_tau2"] = np.full(len(value), lg.tau2)
    return out


def _series_matrix(layout: Layout, i: int, subjects) -> tuple:
    """Each subject's own values, numerators and denominators over every
    period, (G, P), through its data row in each period."""
    dc = layout.DC[i][:, subjects].T                     # (G, P)
    safe = np.maximum(dc, 0)
    P = len(layout.periods)
    cols = np.arange(P)[None, :]
    has = dc >= 0
    return tuple(np.where(has, arr[i][cols, safe], np.nan) for arr in (layout.VD, layout.ND, layout.DD))


def _trend_fields(layout: Layout, ind: Indicator, i: int, k: int, subjects, Y, R, E) -> dict:
    out = {}
    period = int(layout.periods[k])
    kind = funnel_kind(ind)
    for years in (3, 5):
        t = trend_arrays(layout.periods, period, Y, R, E, years, kind, ind.unit, ind.polarity)
        G = len(subjects)
        out.update({f"trend_{years}_years": np.full(G, years), f"trend_{years}_start_period":
                    np.full(G, period - years + 1), f"trend_{years}_end_period": np.full(G, period)})
        for name in ("n_points", "direction", "judgement", "shape", "latest_step", "change", "first_value",
                     "first_period", "last_value", "last_period", "p_value", "method", "significant",
                     "beyond_limit", "meaningful"):
            out[f"trend_{years}_{name}"] = t[name]
    return out


def _change_fields(layout: Layout, ind: Indicator, k: int, Y, R, E) -> dict:
    G = Y.shape[0]
    period = int(layout.periods[k])
    prev = layout.p_index.get(period - 1)
    nan = np.full(G, np.nan)
    v0, n0, d0 = (nan, nan, nan) if prev is None else (Y[:, prev], R[:, prev], E[:, prev])
    yc = year_change_arrays(Y[:, k], R[:, k], E[:, k], v0, n0, d0, funnel_kind(ind), ind.unit)
    return {"change_1y_period": np.full(G, period), "change_1y_previous_period": np.full(G, period - 1),
            "change_1y_value": Y[:, k], "change_1y_previous_value": v0, "change_1y_change": yc["change"],
            "change_1y_relative_change": yc["relative_change"], "change_1y_z": yc["z"],
            "change_1y_p_value": yc["p_value"],
            "change_1y_significant": np.where(yc["testable"], yc["significant"], None),
            "change_1y_meaningful": yc["meaningful"], "change_1y_beyond_chance": yc["beyond_chance"],
            "change_1y_direction": yc["direction"]}


def compare_rows(layout: Layout, ind: Indicator, k: int, subjects, groups, regions, *, target=None,
                 method: str | None = None, overdispersion: bool = True) -> dict:
    """Compare councils ``subjects`` (G,) at period index ``k``, each against
    its comparator group (row of ``groups``, (G, K) council indices, -1 pads),
    the councils of its region (``regions``, (G, R)), all councils and
    England. Returns flat columns (see :meth:`Comparison.as_row`) plus
    "_kept", "_mdc", "_dropped" and "_values" for the single-council view."""
    i = layout.i_index[ind.id]
    subjects = np.asarray(subjects, dtype=int)
    lg = league(layout, ind, i, k, method, overdispersion)
    value, num, den, status, sdc = layout.council_arrays(i, k, subjects)
    comparable = np.where(sdc >= 0, lg.comparable[np.maximum(sdc, 0)], False)
    reason = np.where(sdc >= 0, lg.reason[np.maximum(sdc, 0)], "").astype(object)
    kept, mdc, dropped = resolve_members(layout, i, k, sdc, groups)
    rkept, rmdc, _ = resolve_members(layout, i, k, sdc, regions)
    out = {"value": value, "status": status, "numerator": num, "denominator": den,
           "comparable": comparable.astype(bool), "small_reason": reason}
    stats_ = _group_stats(lg, kept, mdc)
    out.update(stats_)
    out.update(_rank_in(lg, ind, sdc, kept, mdc, "rank"))
    out.update(_rank_in(lg, ind, sdc, rkept, rmdc, "region_rank"))
    safe = np.maximum(sdc, 0)
    out["position"] = np.where((sdc >= 0) & comparable, lg.position[safe], np.nan)
    out["position_n"] = np.full(len(subjects), 0 if ind.is_context else lg.position_n, dtype=int)
    out["position_tied"] = np.where((sdc >= 0) & comparable, lg.position_tied[safe], False).astype(bool)
    out["band"] = np.where((sdc >= 0) & comparable, lg.band[safe], None)
    england = float(layout.nat[i, k])
    out["england"] = np.full(len(subjects), england)
    out["england_status"] = np.full(len(subjects), layout.nat_status[i, k], dtype=object)
    tgt = ind.target if target is None else target
    out.update(_verdicts(ind, lg, value, num, den, comparable, stats_["neighbour_mean"], england, tgt, method))
    out["target"] = np.full(len(subjects), np.nan if tgt is None else float(tgt))
    out.update(_funnel_fields(lg, sdc, comparable, value, den, lg.kind))
    out["funnel_no_funnel_reason"] = np.full(len(subjects), NO_FUNNEL_REASONS.get(ind.unit, "money")
                                             if lg.kind is None else "", dtype=object)
    Y, R, E = _series_matrix(layout, i, subjects)
    out.update(_trend_fields(layout, ind, i, k, subjects, Y, R, E))
    out.update(_change_fields(layout, ind, k, Y, R, E))
    out.update({"_kept": kept, "_mdc": mdc, "_dropped": dropped, "_sdc": sdc})
    return out
