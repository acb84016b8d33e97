"""The indicator store laid out as dense arrays (indicator x period x data
row), the shape the comparison engine computes on.

A *data row* is a council's own row or a joint return ("314/318"); each
council maps, per indicator and period, to its own row when the release has
one, else to the joint return that holds it. Built once per store content
(the store's key) and kept in a small cache keyed by that content, so a warm
kernel reuses it for the next section and council but never for other data.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Layout", "layout_for", "LONDON", "region_for_comparison"]

LONDON = "E12000007"
_CACHE: "OrderedDict[tuple, Layout]" = OrderedDict()
_LOCK = threading.Lock()
_KEEP = 4


def region_for_comparison(code: str) -> str:
    """A council's region for comparisons: Inner and Outer London count as London."""
    code = str(code or "")
    return LONDON if code.startswith("E13") else code


@dataclass(eq=False)
class Layout:
    indicator_ids: list
    periods: np.ndarray                 # (P,) ints, ascending
    data_codes: np.ndarray              # (D,) data row codes
    councils: np.ndarray                # (C,) council codes (no joint codes)
    names: dict                         # code -> name (councils, joint returns, regions)
    VD: np.ndarray                      # (I, P, D) values (NaN unless status ok)
    ND: np.ndarray                      # numerators
    DD: np.ndarray                      # denominators
    SD: np.ndarray                      # status codes, "" where there is no row
    DC: np.ndarray                      # (I, P, C) data row of each council, -1 for none
    council_region: np.ndarray          # (C,) region code (London for Inner/Outer London)
    region_names: dict
    nat: np.ndarray                     # (I, P) England's value
    nat_status: np.ndarray              # (I, P)
    reg: dict                           # region code -> (I, P) values
    joint_members: dict                 # joint data code -> member codes
    current: np.ndarray = None          # (C,) True for councils that exist in the latest period
    i_index: dict = field(default_factory=dict)
    p_index: dict = field(default_factory=dict)
    c_index: dict = field(default_factory=dict)
    d_index: dict = field(default_factory=dict)

    def __post_init__(self):
        self.i_index = {iid: k for k, iid in enumerate(self.indicator_ids)}
        self.p_index = {int(p): k for k, p in enumerate(self.periods.tolist())}
        self.c_index = {c: k for k, c in enumerate(self.councils.tolist())}
        self.d_index = {c: k for k, c in enumerate(self.data_codes.tolist())}

    def council_arrays(self, i: int, k: int, idx) -> tuple:
        """(value, numerator, denominator, status, data row) of councils ``idx``
        at indicator ``i`` and period index ``k``."""
        idx = np.asarray(idx, dtype=int)
        dc = np.where(idx >= 0, self.DC[i, k, np.maximum(idx, 0)], -1)
        safe = np.maximum(dc, 0)
        has = dc >= 0
        value = np.where(has, self.VD[i, k, safe], np.nan)
        num = np.where(has, self.ND[i, k, safe], np.nan)
        den = np.where(has, self.DD[i, k, safe], np.nan)
        status = np.where(has, self.SD[i, k, safe], "missing").astype(object)
        return value, num, den, np.where(status == "", "missing", status).astype(object), dc


def _names(st, tab) -> dict:
    sub = tab.loc[tab["level"] != "national", ["area_code", "area_name"]].drop_duplicates("area_code", keep="last")
    names = dict(zip(sub["area_code"].astype(str), sub["area_name"].astype(str)))
    if len(st.areas):
        names.update(zip(st.areas["area_code"].astype(str), st.areas["area_name"].astype(str)))
    return names


def _councils(st, la_codes) -> list:
    codes = set()
    for c in la_codes:
        codes |= {m.strip() for m in c.split("/")} if "/" in c else {c}
    if len(st.areas):
        a = st.areas
        lvl = a["level"].astype(str) if "level" in a.columns else pd.Series("la", index=a.index)
        codes |= {c for c in a.loc[lvl == "la", "area_code"].astype(str) if "/" not in c}
    if len(st.neighbours):
        codes |= set(st.neighbours["area_code"].astype(str)) | set(st.neighbours["neighbour_code"].astype(str))
    return sorted(codes)


def _council_regions(st, councils, la) -> np.ndarray:
    region = {}
    last = la.sort_values("period").drop_duplicates("area_code", keep="last")
    region.update(zip(last["area_code"].astype(str), last["region_code"].astype(str)))
    if len(st.areas) and "region_code" in st.areas.columns:
        a = st.areas[st.areas["region_code"].astype(str).str.len() > 0]
        region.update(zip(a["area_code"].astype(str), a["region_code"].astype(str)))
    out = []
    for c in councils:
        r = region.get(c, "")
        out.append(region_for_comparison("" if r in ("nan", "None") else r))
    return np.array(out, dtype=object)


def _current(st, councils, VD, DC) -> np.ndarray:
    """Councils that exist now: the store's areas say so (last period the
    latest), else a figure in the latest period."""
    if len(st.areas) and "last_period" in st.areas.columns:
        a = st.areas[st.areas["level"].astype(str) == "la"] if "level" in st.areas.columns else st.areas
        last = pd.to_numeric(a["last_period"], errors="coerce")
        latest = dict(zip(a["area_code"].astype(str), last >= last.max()))
        if latest:
            return np.array([bool(latest.get(c, False)) for c in councils], dtype=bool)
    has = np.isfinite(np.where(DC >= 0, np.take_along_axis(VD, np.maximum(DC, 0), axis=2), np.nan))
    return has[:, -1, :].any(axis=0) if has.shape[1] else np.zeros(len(councils), bool)


def _data_arrays(tab, ids, periods, data_codes):
    I, P, D = len(ids), len(periods), len(data_codes)
    ii = pd.Index(ids, dtype=object).get_indexer(tab["indicator"].astype(str).to_numpy(dtype=object))
    pp = np.searchsorted(periods, tab["period"].to_numpy(dtype=int))
    dd = pd.Index(data_codes, dtype=object).get_indexer(tab["area_code"].astype(str).to_numpy(dtype=object))
    ok = (ii >= 0) & (dd >= 0)
    ii, pp, dd = ii[ok], pp[ok], dd[ok]
    status = tab["status"].astype(str).to_numpy(dtype=object)[ok]
    VD, ND, DD = (np.full((I, P, D), np.nan) for _ in range(3))
    SD = np.full((I, P, D), "", dtype=object)
    value = tab["value"].to_numpy(dtype=float)[ok]
    VD[ii, pp, dd] = np.where(status == "ok", value, np.nan)
    for arr, col in ((ND, "numerator"), (DD, "denominator")):
        src = tab[col].to_numpy(dtype=float)[ok] if col in tab.columns else np.full(len(ii), np.nan)
        arr[ii, pp, dd] = src
    SD[ii, pp, dd] = status
    return VD, ND, DD, SD


def _council_rows(SD, data_codes, councils) -> np.ndarray:
    """DC: each council's own row where present, else a joint return holding it."""
    I, P, _ = SD.shape
    d_index = {c: k for k, c in enumerate(data_codes.tolist())}
    present = SD != ""
    DC = np.full((I, P, len(councils)), -1, dtype=int)
    for k, c in enumerate(councils):
        own = d_index.get(c)
        joints = [d_index[d] for d in data_codes.tolist() if "/" in d and c in [m.strip() for m in d.split("/")]]
        for j in joints:
            DC[:, :, k] = np.where(present[:, :, j], j, DC[:, :, k])
        if own is not None:
            DC[:, :, k] = np.where(present[:, :, own], own, DC[:, :, k])
    return DC


def _national_regional(tab, ids, periods):
    I, P = len(ids), len(periods)
    nat = np.full((I, P), np.nan)
    nat_status = np.full((I, P), "missing", dtype=object)
    reg: dict = {}
    ii = pd.Index(ids, dtype=object).get_indexer(tab["indicator"].astype(str).to_numpy(dtype=object))
    pp = np.searchsorted(periods, tab["period"].to_numpy(dtype=int))
    level = tab["level"].astype(str).to_numpy()
    code = tab["area_code"].astype(str).to_numpy()
    status = tab["status"].astype(str).to_numpy(dtype=object)
    value = np.where(status == "ok", tab["value"].to_numpy(dtype=float), np.nan)
    for r in np.flatnonzero((level == "national") & (ii >= 0)):
        nat[ii[r], pp[r]], nat_status[ii[r], pp[r]] = value[r], status[r]
    for r in np.flatnonzero((level == "regional") & (ii >= 0)):
        reg.setdefault(code[r], np.full((I, P), np.nan))[ii[r], pp[r]] = value[r]
    return nat, nat_status, reg


def build_layout(st) -> Layout:
    """Lay out a store (or any object with its ``indicators``, ``areas`` and
    ``neighbours`` tables)."""
    tab = st.indicators
    ids = sorted(tab["indicator"].astype(str).unique().tolist())
    periods = np.array(sorted(int(p) for p in tab["period"].unique()), dtype=int)
    la = tab[tab["level"].astype(str) == "la"]
    data_codes = np.array(sorted(la["area_code"].astype(str).unique().tolist()), dtype=object)
    councils = np.array(_councils(st, data_codes.tolist()), dtype=object)
    VD, ND, DD, SD = _data_arrays(la, ids, periods, data_codes)
    nat, nat_status, reg = _national_regional(tab, ids, periods)
    names = _names(st, tab)
    regional = tab[tab["level"].astype(str) == "regional"].drop_duplicates("area_code")
    region_names = dict(zip(regional["area_code"].astype(str), regional["area_name"].astype(str)))
    joint = {d: tuple(m.strip() for m in d.split("/")) for d in data_codes.tolist() if "/" in d}
    DC = _council_rows(SD, data_codes, councils.tolist())
    return Layout(indicator_ids=ids, periods=periods, data_codes=data_codes, councils=councils, names=names,
                  VD=VD, ND=ND, DD=DD, SD=SD, DC=DC,
                  council_region=_council_regions(st, councils.tolist(), la), region_names=region_names,
                  nat=nat, nat_status=nat_status, reg=reg, joint_members=joint,
                  current=_current(st, councils.tolist(), VD, DC))


def layout_for(st) -> Layout:
    """The layout of a store, from the cache when the store's content key
    has been laid out before. Stores without a key (hand-built tables) are
    laid out afresh each time."""
    key = getattr(st, "key", "") or ""
    if not key:
        return build_layout(st)
    cache_key = key
    with _LOCK:
        hit = _CACHE.get(cache_key)
        if hit is not None:
            _CACHE.move_to_end(cache_key)
            return hit
    layout = build_layout(st)
    with _LOCK:
        _CACHE[cache_key] = layout
        while len(_CACHE) > _KEEP:
            _CACHE.popitem(last=False)
    return layout
