"""The tables behind a single council's charts: its series beside its
comparators, region and England; its comparator group; all councils."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .engine import league, resolve_members
from .layout import Layout
from .ranking import competition_ranks

__all__ = ["series_table", "group_table", "all_council_table"]


def series_table(layout: Layout, ind, code: str, members: list[str]) -> pd.DataFrame:
    """One row a period: the council's value and status, its comparators'
    mean (the group resolved in that period) and count, its region's and
    England's values."""
    i = layout.i_index[ind.id]
    c = layout.c_index[code]
    region = layout.council_region[c]
    idx = np.array([layout.c_index[m] for m in members], dtype=int)[None, :] if members else \
        np.full((1, 1), -1, dtype=int)
    recs = []
    for k, period in enumerate(layout.periods.tolist()):
        value, num, den, status, sdc = layout.council_arrays(i, k, [c])
        kept, mdc, _ = resolve_members(layout, i, k, sdc, idx)
        nv = np.where(kept & (mdc >= 0), layout.VD[i, k, np.maximum(mdc, 0)], np.nan)[0]
        n = int(np.isfinite(nv).sum())
        recs.append({"period": int(period), "council": float(value[0]), "council_status": str(status[0]),
                     "council_numerator": float(num[0]), "council_denominator": float(den[0]),
                     "neighbour_mean": round(float(np.nanmean(nv)), 9) if n else np.nan, "neighbour_n": n,
                     "region": float(layout.reg[region][i, k]) if region in layout.reg else np.nan,
                     "england": float(layout.nat[i, k])})
    return pd.DataFrame(recs)


def group_table(layout: Layout, ind, k: int, code: str, members: list[str], res: dict, method=None,
                overdispersion=True) -> pd.DataFrame:
    """The council and each comparator kept in its group, in the group's
    order: the data row used, value, counts, comparability and rank among
    them (ranked as the engine ranks the council)."""
    i = layout.i_index[ind.id]
    lg = league(layout, ind, i, k, method, overdispersion)
    kept, mdc = res["_kept"][0], res["_mdc"][0]
    rows = [(code, int(res["_sdc"][0]), True, 0)]
    rows += [(m, int(mdc[a]), False, a + 1) for a, m in enumerate(members) if kept[a]]
    dcs = np.array([r[1] for r in rows], dtype=int)
    safe = np.maximum(dcs, 0)
    has = dcs >= 0
    values = np.where(has, lg.value[safe], np.nan)
    comparable = has & lg.comparable[safe]
    ranks = competition_ranks(values, ind.polarity, comparable)
    data_codes = [layout.data_codes[d] if d >= 0 else c for (c, d, _, _) in rows]
    return pd.DataFrame({
        "area_code": data_codes, "area_name": [layout.names.get(d, d) for d in data_codes], "value": values,
        "status": np.where(has, lg.status[safe], "missing"), "numerator": np.where(has, lg.num[safe], np.nan),
        "denominator": np.where(has, lg.den[safe], np.nan), "comparable": comparable,
        "is_subject": [r[2] for r in rows], "rank": ranks, "neighbour_rank": [r[3] for r in rows],
        "council_code": [r[0] for r in rows]})


def all_council_table(layout: Layout, ind, k: int, subject_dc: int, method=None,
                      overdispersion=True) -> pd.DataFrame:
    """Every data row with a row in the release at this period (a joint
    return once): value, counts, comparability, position, band, funnel class
    and limits, and which row is the council's."""
    i = layout.i_index[ind.id]
    lg = league(layout, ind, i, k, method, overdispersion)
    present = np.flatnonzero(layout.SD[i, k] != "")
    codes = layout.data_codes[present]
    frame = pd.DataFrame({
        "area_code": codes, "area_name": [layout.names.get(c, c) for c in codes], "value": lg.value[present],
        "status": lg.status[present], "numerator": lg.num[present], "denominator": lg.den[present],
        "comparable": lg.comparable[present], "small_reason": lg.reason[present],
        "position": lg.position[present], "position_n": lg.position_n, "position_tied": lg.position_tied[present],
        "band": lg.band[present], "funnel": lg.funnel[present], "is_subject": present == subject_dc})
    for name, arr in lg.limits.items():
        frame[name] = arr[present]
    frame["funnel_target"], frame["funnel_tau2"] = lg.target, lg.tau2
    return frame
