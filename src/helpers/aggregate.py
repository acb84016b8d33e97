"""Regional and England figures computed from councils, for publications
that do not publish them.

DfE's tidy releases carry their own regional and England rows, and those are
always used as published. OHID's Fingertips exports carry England but no
regions; Ofsted's providers list and MHCLG's revenue outturn name councils
only (MHCLG's England row also covers police, fire and district councils).
For those, a region's figure is computed here from its councils, the way
the publishers compute their own aggregates:

    value = sum of the councils' numerators / sum of their denominators x scale

(scale 10,000 for rates per 10,000, 100 for percentages, 1 otherwise), over
the councils with both figures. Regions follow the councils' own region
codes, as DfE's files give them: London boroughs are in Inner London
(E13000001) or Outer London (E13000002), and London (E12000007) is computed
once from the boroughs of both, never by adding the two sub-regions' rows to
another London row. England is computed from every council, each counted
once, only where the publisher gives no England figure.

A computed figure is said to be computed: its ``source`` ends in
``(computed from councils)`` and a note for each area and period says how
many councils it covers and which are missing (a council whose figure the
publisher folds into a neighbour's, such as the Isles of Scilly with
Cornwall, is covered, not missing). Fewer than half a region's councils
with figures gives ``not_derivable`` rather than a figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["computed_areas", "COMPUTED_SUFFIX", "LONDON", "INNER_OUTER_LONDON", "ENGLAND"]

COMPUTED_SUFFIX = " (computed from councils)"
ENGLAND = "E92000001"
LONDON = "E12000007"
INNER_OUTER_LONDON = ("E13000001", "E13000002")
_SCALE = {"percent": 100.0, "per_10k": 10_000.0}
_MIN_COVERAGE = 0.5


def _scale(ind) -> float:
    if ind.derive == "per_child_population":
        return 1.0
    return _SCALE.get(ind.unit, 1.0)


def _groups(la: pd.DataFrame) -> dict[str, list[str]]:
    """Region code -> member council codes, with London once from its halves."""
    groups: dict[str, set[str]] = {}
    for region, code in zip(la["region_code"].astype(str), la["area_code"].astype(str)):
        if region and region != "nan":
            groups.setdefault(region, set()).add(code)
    halves = [groups[h] for h in INNER_OUTER_LONDON if h in groups]
    if halves and LONDON not in groups:
        groups[LONDON] = set().union(*halves)
    return {k: sorted(v) for k, v in groups.items()}


def _one_area(rows: pd.DataFrame, members: list[str], combined: set[str], scale: float):
    """(value, numerator, denominator, status, covered, missing names) for one area."""
    mine = rows[rows["area_code"].isin(members)]
    # a council with a zero denominator (no children's homes at all) adds nothing to
    # either sum, but it is covered, not missing
    counted = mine["numerator"].notna() & mine["denominator"].notna()
    usable = counted & ((mine["status"] == "ok") | (mine["denominator"] == 0))
    covered = mine[usable]
    missing = mine[~usable & ~mine["area_code"].isin(combined)]
    absent = [m for m in members if m not in set(mine["area_code"])]
    n_all = len(members) - len(set(members) & combined)
    num, den = float(covered["numerator"].sum()), float(covered["denominator"].sum())
    if not len(covered) or den <= 0 or len(covered) < _MIN_COVERAGE * max(n_all, 1):
        return np.nan, num, den, "not_derivable", len(covered), sorted(missing["area_name"]) + absent
    return num / den * scale, num, den, "ok", len(covered), sorted(missing["area_name"]) + absent


def _note(name: str, covered: int, missing: list[str], total_name: str) -> str:
    text = (f"{name}: computed by this pack from {covered} councils' figures (the sum of their "
            f"{total_name}); the publisher gives no figure for the area.")
    if missing:
        shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        text += f" Councils without a figure, left out: {shown}."
    return text


def computed_areas(indicators: pd.DataFrame, catalogue, area_names: dict[str, str],
                   combined: dict[tuple[str, int], set[str]] | None = None):
    """Regional and England rows for every indicator and period that has
    council figures but no published rows at that level.

    ``indicators`` is the store's table (INDICATOR_COLUMNS); ``area_names``
    names regions; ``combined`` gives, per (indicator, period), councils whose
    figures the publisher folds into another council's. Returns (rows to add,
    notes) where notes has columns indicator, area_code, period, note."""
    combined = combined or {}
    new_rows, notes = [], []
    for (iid, period), grp in indicators.groupby(["indicator", "period"], sort=False):
        levels = set(grp["level"])
        if "la" not in levels or ("regional" in levels and "national" in levels):
            continue
        ind = catalogue[iid]
        la = grp[grp["level"] == "la"]
        if la["numerator"].isna().all() or la["denominator"].isna().all():
            continue
        source = str(la["source"].iloc[0]) + COMPUTED_SUFFIX
        targets = {} if "regional" in levels else _groups(la)
        if "national" not in levels:
            targets[ENGLAND] = sorted(set(la["area_code"].astype(str)) - {c for c in la["area_code"] if "/" in c})
        what = {"per_10k_population": "counts over the sum of their populations",
                "per_child_population": "spending over the sum of their populations"}.get(
            ind.derive or "", "counts over the sum of their populations" if ind.unit == "per_10k"
            else "numerators over the sum of their denominators")
        for code, members in targets.items():
            value, num, den, status, covered, missing = _one_area(la, members, combined.get((iid, period), set()),
                                                                  _scale(ind))
            name = area_names.get(code, "England" if code == ENGLAND else code)
            level = "national" if code == ENGLAND else "regional"
            new_rows.append({"area_code": code, "area_name": name, "level": level,
                             "region_code": "" if level == "national" else code,
                             "region_name": "" if level == "national" else name, "period": period,
                             "indicator": iid, "value": value, "numerator": num, "denominator": den,
                             "status": status, "source": source})
            notes.append({"indicator": iid, "area_code": code, "period": period,
                          "note": _note(name, covered, missing, what)})
    return pd.DataFrame(new_rows), pd.DataFrame(notes, columns=["indicator", "area_code", "period", "note"])
