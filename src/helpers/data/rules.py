"""The store's rules for trusting a figure, applied while it is built.

* Which release wins: when two files hold the same publication, the one
  whose figures reach the latest period wins, then the one released later
  (a loader may record ``frame.attrs['release_date']``), then the one
  covering more periods; never the file's name. The store's notes say which
  file was used and why.
* Plausibility: each catalogue indicator has bounds (a percentage 0 to 100,
  rates, ratios, money and counts never negative, days at most 366, and any
  ``min``/``max`` the catalogue states). A published figure outside them is
  kept out of every comparison: its status becomes ``implausible`` (packs
  say "implausible value in the release") and the store's notes name the
  file, row, column and value.
* Loud gaps: a recognised file that lacks a measure the catalogue needs is
  listed in the store's ``missing_measures`` (the store refuses to open
  unless the user chooses to go on) and its figures get the status
  ``measure_missing``; a council in a release's earlier years but absent
  from its latest year gets a row with the status ``not_in_release``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Status codes the store gives (words in helpers.vocab.STATUS_WORDS).
IMPLAUSIBLE = "implausible"
MEASURE_MISSING = "measure_missing"
NOT_IN_RELEASE = "not_in_release"
#: Notes listing single figures stop after this many (the count is given).
MAX_LISTED = 12


# ------------------------------------------------------------------ releases

def release_order_key(frame: pd.DataFrame) -> tuple:
    """How releases of one publication are ranked, newest first: latest
    period, release date, number of periods covered, then a hash of the
    content (so the choice never depends on a file's name or order)."""
    periods = pd.to_numeric(frame["period"], errors="coerce") if "period" in frame.columns else pd.Series([])
    latest = int(periods.max()) if len(periods.dropna()) else -1
    released = str(frame.attrs.get("release_date") or "")
    content = int(pd.util.hash_pandas_object(frame.drop(columns=["file", "row", "column"], errors="ignore"),
                                             index=False).sum() % (1 << 62))
    return latest, released, int(periods.nunique()), content


def choose_releases(pub: str, releases: list[tuple[str, pd.DataFrame]], warns: list[str],
                    keys=("period", "area_code", "measure")) -> pd.DataFrame:
    """One frame for a publication from several files ``(name, frame)``:
    where they overlap, the newest release (:func:`release_order_key`) wins."""
    ranked = sorted(releases, key=lambda r: release_order_key(r[1]), reverse=True)
    frames = [fr.assign(file=name) for name, fr in ranked]
    if len(ranked) > 1:
        first = ranked[0]
        k = release_order_key(first[1])
        why = f"its figures reach {k[0]}" + (f", released {k[1]}" if k[1] else "")
        warns.append(f"{len(ranked)} releases of {pub} ({', '.join(n for n, _ in ranked)}): where they overlap, "
                     f"{first[0]} is used ({why}).")
    combined = pd.concat(frames, ignore_index=True)
    if len(ranked) == 1:
        return combined
    keys = [c for c in keys if c in combined.columns]
    return combined.drop_duplicates(keys, keep="first") if keys else combined


# ------------------------------------------------------------------ plausibility

#: Bounds by unit where an indicator states none of its own.
UNIT_BOUNDS = {"percent": (0.0, 100.0), "per_10k": (0.0, 10000.0), "ratio": (0.0, None),
               "gbp": (None, None), "days": (0.0, 366.0)}


def indicator_bounds(ind) -> tuple[float | None, float | None]:
    lo, hi = UNIT_BOUNDS.get(ind.unit, (None, None))
    if getattr(ind, "minimum", None) is not None:
        lo = ind.minimum
    if getattr(ind, "maximum", None) is not None:
        hi = ind.maximum
    return lo, hi


def flag_implausible(frame: pd.DataFrame, ind, warns: list[str]) -> pd.DataFrame:
    """Give figures outside the indicator's bounds (or with a negative
    numerator or denominator) the status ``implausible`` and no value; note
    each with its file, row and column."""
    lo, hi = indicator_bounds(ind)
    v = frame["value"]
    bad = pd.Series(False, index=frame.index)
    if lo is not None:
        bad |= v < lo
    if hi is not None:
        bad |= v > hi
    if ind.unit != "gbp" and lo is not None and lo >= 0:
        for col in ("numerator", "denominator"):  # counts: never negative
            bad |= frame[col] < 0
    bad &= frame["status"] == "ok"
    if not bad.any():
        return frame
    rng = f"{'' if lo is None else f'{lo:g}'} to {'no limit' if hi is None else f'{hi:g}'}"
    listed = []
    for r in frame[bad].head(MAX_LISTED).itertuples():
        column = getattr(r, "column", None)
        where = ", ".join(x for x in (str(getattr(r, "file", "") or ""),
                                      f"row {int(r.row)}" if _number(getattr(r, "row", None)) else "",
                                      f"column '{column}'" if isinstance(column, str) and column not in ("", "nan")
                                      else "") if x)
        shown = r.value if _number(r.value) and (r.value < (lo or 0) or (hi is not None and r.value > hi)) else (
            f"numerator {r.numerator:g}, denominator {r.denominator:g}")
        listed.append(f"{where}: {r.area_name} {r.period} {shown}")
    more = f"; and {int(bad.sum()) - len(listed)} more" if bad.sum() > len(listed) else ""
    warns.append(f"Implausible figures for {ind.id} ({ind.label}; plausible range {rng}) were left out and are "
                 f"shown as 'implausible value in the release': {'; '.join(listed)}{more}. Check the release, or "
                 f"state the indicator's 'min'/'max' in data/indicators.yml if such a figure can be right.")
    frame = frame.copy()
    frame.loc[bad, "status"] = IMPLAUSIBLE
    frame.loc[bad, "value"] = np.nan
    return frame


def _number(x) -> bool:
    try:
        return x is not None and not pd.isna(x)
    except (TypeError, ValueError):
        return False


# ------------------------------------------------------------------ gaps

def missing_measure_rows(ind, src: pd.DataFrame, meta_cols: list[str]) -> pd.DataFrame:
    """Rows saying ``measure_missing`` for every area and period the
    publication's file covers, for an indicator whose measures it lacks."""
    keys = src.drop_duplicates(["area_code", "period"])[["area_code", "period", *meta_cols]]
    out = keys.assign(indicator=ind.id, value=np.nan, numerator=np.nan, denominator=np.nan,
                      status=MEASURE_MISSING, source=ind.source)
    return out


def needed_measures(ind) -> list[str]:
    return list(dict.fromkeys([m for m in (ind.value, *ind.numerator, *ind.denominator) if m]))


def not_in_release_rows(frame: pd.DataFrame, ind, areas: pd.DataFrame) -> pd.DataFrame:
    """For one indicator: a ``not_in_release`` row at the latest period for
    each council that has a row in an earlier period but none in the latest
    (and is not covered there by a joint return)."""
    la = frame[frame["level"] == "la"]
    if la.empty:
        return frame.iloc[0:0]
    latest = int(la["period"].max())
    now = set(la.loc[la["period"] == latest, "area_code"])
    joint_members = {m for code in now if "/" in code for m in code.split("/")}
    earlier = set(la.loc[la["period"] < latest, "area_code"])
    current = set(areas.loc[(areas["level"] == "la") & (areas["last_period"] >= latest), "area_code"]) \
        if "last_period" in areas.columns else set()
    absent = sorted(c for c in earlier - now - joint_members if "/" not in c and c in current)
    if not absent:
        return frame.iloc[0:0]
    last_rows = la[la["area_code"].isin(absent)].sort_values("period").drop_duplicates("area_code", keep="last")
    out = last_rows.assign(period=latest, value=np.nan, numerator=np.nan, denominator=np.nan,
                           status=NOT_IN_RELEASE)
    for col in ("row", "column"):
        if col in out.columns:
            out[col] = None
    return out


def why_missing(publication: str, measures: list[str], notes: dict | None) -> str:
    """Why a recognised release lacks measures: where DfE publishes each,
    and what the file held instead (see helpers.loaders.layouts)."""
    from ..loaders.dfe import PUBLICATION_BY_ID
    from ..loaders.layouts import explain_missing
    pub = PUBLICATION_BY_ID.get(publication)
    if pub is None:
        return "the release's layout has no such figure"
    if len(measures) == 1:
        return explain_missing(pub, measures[0], notes)
    return "; ".join(f"{m}: {explain_missing(pub, m, notes)}" for m in measures)


def missing_line(m: dict) -> str:
    """One line of the missing-measures report: which file lacks which
    measures, the pack measure shown as missing, and why."""
    why = f": {m['why']}" if m.get("why") else ""
    return (f"{m['files']} ({m['publication']}) lacks {', '.join(m['measures'])}{why}. {m['label']} "
            f"({m['indicator']}) is shown as missing from the release")
