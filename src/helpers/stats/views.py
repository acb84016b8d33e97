"""The two views of the comparison engine, built from the same rows:

* :func:`compare_indicator` (and :func:`compare_council`): one council, any
  comparator group, as a :class:`~helpers.stats.results.Comparison` with its
  series and the tables behind the charts;
* :func:`compare_all`: every council against its statistical neighbours, one
  row per council and indicator, with exactly the columns of
  :meth:`Comparison.as_row`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ..catalogue import load_catalogue
from ..errors import ScrutinyError, UnknownCouncilError
from ..neighbours import DEFAULT_MODEL
from .engine import compare_rows, league, period_index
from .layout import Layout, layout_for
from .results import Comparison, FunnelResult, Trend, YearChange, row_columns
from .tables import all_council_table, group_table, series_table

__all__ = ["compare_indicator", "compare_council", "compare_all", "league_table", "as_store", "NoFiguresError",
           "period_not_after"]

COMPARATOR_CODES = ("statistical neighbours", "region", "comparator group")


class NoFiguresError(ScrutinyError):
    """The store holds no figures for an indicator (or not for a period)."""


# --------------------------------------------------------------------------- inputs

def as_store(obj):
    """A store, or any object or mapping with its ``indicators`` table (and
    optionally ``neighbours``, ``areas``, ``catalogue``, ``key``)."""
    if isinstance(obj, SimpleNamespace) and getattr(obj, "_stats_view", False):
        return obj

    def get(key, default=None):
        return obj.get(key, default) if isinstance(obj, Mapping) else getattr(obj, key, default)

    indicators = get("indicators")
    if indicators is None:
        raise TypeError("compare needs an indicator store (or a mapping) with an 'indicators' table")
    neighbours = get("neighbours")
    areas = get("areas")
    return SimpleNamespace(
        indicators=indicators,
        neighbours=neighbours if neighbours is not None else
        pd.DataFrame(columns=["model", "area_code", "rank", "neighbour_code", "closeness"]),
        areas=areas if areas is not None else
        pd.DataFrame(columns=["area_code", "area_name", "level", "region_code", "region_name"]),
        catalogue=get("catalogue") or load_catalogue(), key=get("key", "") or "", _stats_view=True)


def council_code(layout: Layout, area_code) -> str:
    """A council's code from its code, DfE number or name (no joint codes)."""
    code = str(area_code).strip()
    if code.isdigit() and len(code) < 3:
        code = code.zfill(3)
    if code in layout.c_index:
        return code
    by_name = {layout.names.get(c, c).lower(): c for c in layout.councils.tolist()}
    if code.lower() in by_name:
        return by_name[code.lower()]
    close = difflib.get_close_matches(code.lower(), list(by_name), n=3, cutoff=0.6)
    raise UnknownCouncilError(str(area_code), close)


def neighbour_codes(st, code: str, model: str = DEFAULT_MODEL, layout: Layout | None = None) -> list[str]:
    """A council's statistical neighbours in ``model`` (the only model when
    the store holds one), nearest first."""
    return list(_neighbour_lists(st, model, layout or layout_for(st)).get(code, ()))


def _neighbour_lists(st, model: str, layout: Layout) -> dict:
    """Every council's neighbours in a model, kept on the store's layout (its
    neighbour table is part of the store's content key)."""
    cache = layout.__dict__.setdefault("_neighbour_lists", {})
    if model in cache:
        return cache[model]
    nb = st.neighbours
    out: dict[str, tuple] = {}
    if len(nb):
        if "model" in nb.columns:
            models = set(nb["model"].astype(str))
            use = model if model in models else (next(iter(models)) if len(models) == 1 else model)
            nb = nb[nb["model"].astype(str) == use]
        if "rank" in nb.columns:
            nb = nb.sort_values(["area_code", "rank"])
        for code, grp in nb.groupby(nb["area_code"].astype(str), sort=False):
            out[code] = tuple(grp["neighbour_code"].astype(str))
    cache[model] = out
    return out


def region_peers(layout: Layout, code: str) -> list[str]:
    """The other current councils of a council's region (London counted once)."""
    k = layout.c_index[code]
    region = layout.council_region[k]
    if not region:
        return []
    mask = (layout.council_region == region) & layout.current
    return [c for c in layout.councils[mask].tolist() if c != code]


def comparator_members(st, layout: Layout, code: str, comparator, model: str) -> tuple[str, list[str]]:
    """(comparator code, member codes) for None / a model name (statistical
    neighbours), "region", or a list of council codes (a comparator group)."""
    if comparator is None or (isinstance(comparator, str) and comparator in (model, "neighbours",
                                                                             "statistical neighbours")):
        return "statistical neighbours", neighbour_codes(st, code, model, layout)
    if isinstance(comparator, str) and comparator == "region":
        return "region", region_peers(layout, code)
    if isinstance(comparator, str):
        codes = neighbour_codes(st, code, comparator, layout)
        if codes:
            return "statistical neighbours", codes
        raise ValueError(f"Unknown comparator {comparator!r}: use None (statistical neighbours), 'region' "
                         f"or a list of area codes")
    return "comparator group", [str(c).strip() for c in comparator if str(c).strip() != code]


def _index_matrix(layout: Layout, rows: list[list[str]]) -> np.ndarray:
    K = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), max(K, 1)), -1, dtype=int)
    for g, r in enumerate(rows):
        for a, c in enumerate(r):
            out[g, a] = layout.c_index.get(c, -1)
    return out


# --------------------------------------------------------------------------- one council

def _trend(row: dict, years: int) -> Trend:
    p = f"trend_{years}_"
    bl = row[p + "beyond_limit"]
    return Trend(years=int(row[p + "years"]), start_period=int(row[p + "start_period"]),
                 end_period=int(row[p + "end_period"]), n_points=int(row[p + "n_points"]),
                 direction=str(row[p + "direction"]), judgement=row[p + "judgement"], shape=str(row[p + "shape"]),
                 latest_step=str(row[p + "latest_step"]), change=float(row[p + "change"]),
                 first_value=float(row[p + "first_value"]), first_period=float(row[p + "first_period"]),
                 last_value=float(row[p + "last_value"]), last_period=float(row[p + "last_period"]),
                 p_value=float(row[p + "p_value"]), method=str(row[p + "method"]),
                 significant=bool(row[p + "significant"]), beyond_limit=None if bl is None else bool(bl),
                 meaningful=bool(row[p + "meaningful"]))


def _year_change(row: dict) -> YearChange:
    p = "change_1y_"
    sig = row[p + "significant"]
    return YearChange(period=int(row[p + "period"]), previous_period=int(row[p + "previous_period"]),
                      value=float(row[p + "value"]), previous_value=float(row[p + "previous_value"]),
                      change=float(row[p + "change"]), relative_change=float(row[p + "relative_change"]),
                      z=float(row[p + "z"]), p_value=float(row[p + "p_value"]),
                      significant=None if sig is None else bool(sig), meaningful=bool(row[p + "meaningful"]),
                      beyond_chance=bool(row[p + "beyond_chance"]), direction=str(row[p + "direction"]))


def _funnel(row: dict) -> FunnelResult:
    p = "funnel_"
    return FunnelResult(kind=row[p + "kind"], method=row[p + "method"], target=float(row[p + "target"]),
                        denominator=float(row[p + "denominator"]), lower_998=float(row[p + "lower_998"]),
                        lower_95=float(row[p + "lower_95"]), upper_95=float(row[p + "upper_95"]),
                        upper_998=float(row[p + "upper_998"]), classification=str(row[p + "classification"]),
                        phi=float(row[p + "phi"]), tau2=float(row[p + "tau2"]),
                        no_funnel_reason=str(row[p + "no_funnel_reason"]))


def _scalar(v):
    if isinstance(v, np.generic):
        return v.item()
    return v


def _comparison(row: dict, ind, names: dict, frames: dict) -> Comparison:
    target = row["target"]
    return Comparison(
        indicator_id=ind.id, indicator=ind, period=int(row["period"]), area_code=row["area_code"],
        area_name=row["area_name"], data_area_code=row["data_area_code"],
        joint_partners=tuple(c for c in str(row["joint_partners"]).split("|") if c),
        value=float(row["value"]), status=str(row["status"]), numerator=float(row["numerator"]),
        denominator=float(row["denominator"]), comparable=bool(row["comparable"]),
        small_reason=str(row["small_reason"]), england=float(row["england"]),
        england_status=str(row["england_status"]), region_code=row["region_code"], region_name=row["region_name"],
        region_value=float(row["region_value"]), comparator=row["comparator"],
        comparator_codes=tuple(c for c in str(row["comparator_codes"]).split("|") if c),
        dropped_joint=tuple(c for c in str(row["dropped_joint"]).split("|") if c),
        **{k: _scalar(row[k]) for k in ("neighbour_mean", "neighbour_median", "neighbour_n", "neighbour_total",
                                        "neighbour_min", "neighbour_max", "rank", "rank_n", "rank_tied",
                                        "region_rank", "region_rank_n", "region_rank_tied", "position",
                                        "position_n", "position_tied", "band", "diff_neighbours",
                                        "rel_diff_neighbours", "diff_england", "rel_diff_england",
                                        "vs_neighbours", "vs_neighbours_level", "vs_england", "vs_england_level",
                                        "better_than_neighbours", "rag", "rag_neighbours", "rag_target")},
        trend_3=_trend(row, 3), trend_5=_trend(row, 5), change_1y=_year_change(row), funnel=_funnel(row),
        target=None if target is None or target != target else float(target), names=names, **frames)


def _subject_fields(layout: Layout, i: int, k: int | None, codes: list[str], comparator: str,
                    members: list[list[str]], res: dict) -> dict:
    """The identifying columns of each compared row."""
    G = len(codes)
    sdc = res["_sdc"]
    data_code = np.array([layout.data_codes[d] if d >= 0 else None for d in sdc], dtype=object)
    partners = np.array(["|".join(m for m in layout.joint_members.get(dc, ()) if m != c) if dc else ""
                         for dc, c in zip(data_code, codes)], dtype=object)
    dropped = [[m for m, drop in zip(mem, res["_dropped"][g][:len(mem)]) if drop] for g, mem in enumerate(members)]
    regions = [layout.council_region[layout.c_index[c]] for c in codes]
    reg_values = [float(layout.reg[r][i, k]) if r in layout.reg and k is not None else np.nan for r in regions]
    return {"indicator": np.full(G, layout.indicator_ids[i], dtype=object),
            "period": np.full(G, int(layout.periods[k])),
            "area_code": np.array(codes, dtype=object),
            "area_name": np.array([layout.names.get(c, c) for c in codes], dtype=object),
            "data_area_code": data_code, "joint_partners": partners,
            "region_code": np.array(regions, dtype=object),
            "region_name": np.array([layout.region_names.get(r, "") for r in regions], dtype=object),
            "region_value": np.array(reg_values, dtype=float),
            "comparator": np.full(G, comparator, dtype=object),
            "comparator_codes": np.array(["|".join(m) for m in members], dtype=object),
            "dropped_joint": np.array(["|".join(d) for d in dropped], dtype=object)}


def _rows(layout, ind, k, codes, comparator, members, *, target=None, method=None, overdispersion=True) -> dict:
    i = layout.i_index[ind.id]
    idx = np.array([layout.c_index[c] for c in codes], dtype=int)
    groups = _index_matrix(layout, members)
    regions = _index_matrix(layout, [region_peers(layout, c) for c in codes])
    res = compare_rows(layout, ind, k, idx, groups, regions, target=target, method=method,
                       overdispersion=overdispersion)
    res.update(_subject_fields(layout, i, k, codes, comparator, members, res))
    return res


def _frames(layout: Layout, ind, k: int, code: str, members: list[str], res: dict, method, overdispersion) -> dict:
    return {"series": series_table(layout, ind, code, members),
            "neighbour_values": group_table(layout, ind, k, code, members, res, method, overdispersion),
            "all_council_values": all_council_table(layout, ind, k, res["_sdc"][0], method, overdispersion)}


def compare_indicator(store_or_frames, area_code, indicator_id: str, period: int | None = None,
                      comparator=None, *, target: float | None = None, funnel_method: str | None = None,
                      overdispersion: bool = True, model: str = DEFAULT_MODEL) -> Comparison:
    """Compare one council with its comparators, its region, all councils and
    England on one indicator.

    ``period=None`` uses the latest period in which any council has a figure.
    ``comparator`` is None (DfE statistical neighbours, ``model``), "region"
    (the other councils of its region) or a list of council codes. ``target``
    overrides the catalogue's target for the rating. ``overdispersion=False``
    gives the funnel of all councils chance limits only. The rules are in
    docs/statistics.md.

    >>> c = compare_indicator(store, "Devon", "wf_caseload")   # doctest: +SKIP
    >>> c.value, c.rank, c.trend_3.direction                    # doctest: +SKIP
    (15.8, 6.0, 'none')
    """
    st = as_store(store_or_frames)
    ind = st.catalogue[indicator_id]
    layout = layout_for(st)
    code = council_code(layout, area_code)
    if ind.id not in layout.i_index:
        raise NoFiguresError(f"The store has no figures for {ind.id} ({ind.label}).")
    i = layout.i_index[ind.id]
    k = period_index(layout, i, period)
    if k is None:
        listing = ", ".join(str(p) for p in layout.periods.tolist())
        raise NoFiguresError(f"The store has no figures for {period} (periods held: {listing}).")
    comp, members = comparator_members(st, layout, code, comparator, model)
    members = [m for m in members if m in layout.c_index]
    res = _rows(layout, ind, k, [code], comp, [members], target=target, method=funnel_method,
                overdispersion=overdispersion)
    row = {key: v[0] for key, v in res.items()}
    frames = _frames(layout, ind, k, code, members, res, funnel_method, overdispersion)
    return _comparison(row, ind, layout.names, frames)


def compare_council(store, area_code, period: int | None = None, indicators=None, *, comparator=None,
                    targets: Mapping[str, float] | None = None, overdispersion: bool = True,
                    model: str = DEFAULT_MODEL) -> list[Comparison]:
    """Every catalogue indicator (or those listed) for one council, each at
    ``period`` or, where it has no figure then, its latest earlier period
    (never a later one); None means each indicator's latest period."""
    st = as_store(store)
    layout = layout_for(st)
    out = []
    for iid in (list(indicators) if indicators is not None else st.catalogue.ids()):
        if iid not in layout.i_index:
            continue
        p = _period_not_after(layout, layout.i_index[iid], period)
        if p is None:
            continue
        out.append(compare_indicator(st, area_code, iid, p, comparator, target=(targets or {}).get(iid),
                                     overdispersion=overdispersion, model=model))
    return out


def period_not_after(store, indicator_id: str, period) -> int | None:
    """The period a pack shows an indicator at: ``period`` or, where the
    indicator has no figure then, its latest earlier period (None: the
    latest; None back when it has none up to ``period``)."""
    st = as_store(store)
    layout = layout_for(st)
    if indicator_id not in layout.i_index:
        return None
    return _period_not_after(layout, layout.i_index[indicator_id], period)


def _period_not_after(layout: Layout, i: int, period) -> int | None:
    has = np.isfinite(layout.VD[i]).any(axis=1)
    ok = [int(p) for p, h in zip(layout.periods.tolist(), has) if h and (period is None or p <= int(period))]
    return ok[-1] if ok else None


# --------------------------------------------------------------------------- all councils

def _model_councils(st, layout: Layout, model: str) -> list[str]:
    nb = st.neighbours
    if len(nb):
        if "model" in nb.columns and model in set(nb["model"].astype(str)):
            nb = nb[nb["model"].astype(str) == model]
        return sorted(c for c in set(nb["area_code"].astype(str)) if c in layout.c_index)
    return [c for c in layout.councils[layout.current].tolist()]


def compare_all(store, period: int | None = None, *, model: str = DEFAULT_MODEL, indicators=None,
                funnel_method: str | None = None, overdispersion: bool = True) -> pd.DataFrame:
    """Every indicator for every council against its statistical neighbours:
    one row per council and indicator, at ``period`` (None: each indicator's
    latest period), with the columns of :meth:`Comparison.as_row`. Made by
    the same engine rows as :func:`compare_indicator`, which gives the same
    figures for any one council."""
    st = as_store(store)
    layout = layout_for(st)
    councils = _model_councils(st, layout, model)
    members = [[m for m in neighbour_codes(st, c, model, layout) if m in layout.c_index] for c in councils]
    frames = []
    for iid in (list(indicators) if indicators is not None else st.catalogue.ids()):
        if iid not in layout.i_index or not councils:
            continue
        k = period_index(layout, layout.i_index[iid], period)
        if k is None:
            continue
        res = _rows(layout, st.catalogue[iid], k, councils, "statistical neighbours", members,
                    method=funnel_method, overdispersion=overdispersion)
        frames.append(pd.DataFrame({key: res[key] for key in row_columns()}))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def league_table(store, indicator_id: str, period: int | None = None, *, method: str | None = None,
                 overdispersion: bool = True) -> pd.DataFrame:
    """All councils on one indicator and period: value, counts, comparability,
    position, band and funnel class (a joint return once)."""
    st = as_store(store)
    layout = layout_for(st)
    ind = st.catalogue[indicator_id]
    if ind.id not in layout.i_index:
        raise NoFiguresError(f"The store has no figures for {ind.id} ({ind.label}).")
    k = period_index(layout, layout.i_index[ind.id], period)
    if k is None:
        raise NoFiguresError(f"The store has no figures for {indicator_id} in {period}.")
    league(layout, ind, layout.i_index[ind.id], k, method, overdispersion)
    return all_council_table(layout, ind, k, -1, method, overdispersion)

