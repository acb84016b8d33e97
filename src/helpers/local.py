"""Local performance: a council's own monthly figures, its targets, and what
a pack can say about a council outside the official English releases.

The notebook (``notebooks/70_local.ipynb``) is a parameters cell and calls::

    from helpers import local
    section = local.open_local(council=council, local_figures=local_figures,
                               targets_file=targets_file, data=data, ...)
    section.introduction()
    section.targets()
    section.front_door()      # referrals: trend, seasonality, sources
    section.assessments()     # within 45 days, about to breach
    section.workforce()       # caseloads, agency, vacancies, sickness
    section.budget()          # budget against forecast outturn by service line
    section.comparators()     # peers' own local figures, if supplied
    section.questions()

Each block is an :class:`~helpers.report.Html` (or a :class:`~helpers.charts.Chart`)
with ``_repr_html_``; every string taken from a file is HTML-escaped.

The numbers behind the blocks are plain functions on the tidy frame from
:func:`helpers.loaders.local.load_local`, tested on their own:
:func:`council_series`, :func:`rolling_average`, :func:`seasonality_table`,
:func:`referral_sources`, :func:`budget_variance`,
:func:`assessment_timeliness`, :func:`load_targets`,
:func:`performance_against_targets` and :func:`council_without_official_data`.
"""

from __future__ import annotations

import difflib
import html
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from .safe_yaml import load_yaml_file

from . import paths
from .errors import ConfigError, ParameterError, ScrutinyError, UnknownCouncilError
from .catalogue import Indicator
from .data import local_files
from .loaders.local import LocalMeasure, load_local, load_measures

__all__ = ["Target", "Targets", "load_targets", "performance_against_targets", "council_series",
           "rolling_average", "seasonality_table", "seasonal_peak", "referral_sources", "budget_variance",
           "assessment_timeliness", "OfficialDataStatement", "council_without_official_data",
           "find_local_figures", "demo_local_dir", "LocalSection", "open_local", "DIRECTIONS"]

_e = html.escape
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


def _Html():
    from .report import Html
    return Html


def _isnan(x) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def _month_words(ts) -> str:
    return f"{_MONTHS[ts.month - 1]} {ts.year}"


def _money(v) -> str:
    """'£2.3m', '£450,000', '-£1.2m'."""
    if _isnan(v):
        return "n/a"
    sign = "-" if v < 0 else ""
    a = abs(float(v))
    if a >= 1_000_000:
        return f"{sign}£{a / 1e6:,.1f}m"
    return f"{sign}£{a:,.0f}"


# --------------------------------------------------------------------------- series

def _measure(mid: str):
    measures = load_measures()
    try:
        return measures[mid]
    except KeyError as exc:
        raise ParameterError("measure", str(exc.args[0]) + f". Measures: {', '.join(measures.ids())}", mid) from None


def _for_council(frame: pd.DataFrame, council: str | None) -> pd.DataFrame:
    if council is None:
        names = list(dict.fromkeys(frame["council"]))
        if len(names) > 1:
            raise ParameterError("council", f"the figures hold {len(names)} councils; say which: "
                                            + ", ".join(names))
        return frame
    sub = frame[frame["council"].str.lower() == str(council).strip().lower()]
    return sub


def council_series(frame: pd.DataFrame, measure: str, *, council: str | None = None, team: str | None = None,
                   breakdown: str | None = None) -> pd.DataFrame:
    """One monthly series: columns month, value (sorted, one row a month).

    With ``team``/``breakdown`` None, the council-wide figure: the row with
    both blank where the file gives one, otherwise the breakdown rows (then
    the team rows) combined as the measure says (``sum``; ``mean`` is an
    unweighted average of the rows). A derived measure (e.g.
    ``assessments_within_45_days_pct``) is numerator / denominator x 100.
    Give ``breakdown="schools"`` or ``team="..."`` for one part."""
    m = _measure(measure)
    f = _for_council(frame, council)
    if getattr(m, "numerator", ""):
        num = council_series(f, m.numerator).set_index("month")["value"]
        den = council_series(f, m.denominator).set_index("month")["value"]
        both = num.index.intersection(den.index)
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = (num[both] / den[both].where(den[both] > 0) * 100)
        return pd.DataFrame({"month": both, "value": pct.to_numpy(dtype=float)}).sort_values("month") \
            .reset_index(drop=True)
    f = f[f["measure"] == m.id]
    if team is not None or breakdown is not None:
        sel = f
        sel = sel[sel["team"].str.lower() == (team or "").lower()]
        sel = sel[sel["breakdown"].str.lower() == (breakdown or "").lower()]
        out = sel[["month", "value"]]
    else:
        whole = f[(f["team"] == "") & (f["breakdown"] == "")][["month", "value"]]
        parts = f[(f["team"] == "") & (f["breakdown"] != "")]
        if parts.empty:
            parts = f[(f["team"] != "") & (f["breakdown"] == "")]
        how = "sum" if m.combine == "sum" else "mean"
        combined = parts.groupby("month", as_index=False)["value"].agg(how)
        combined = combined[~combined["month"].isin(whole["month"])]
        out = pd.concat([whole, combined], ignore_index=True)
    return out.groupby("month", as_index=False)["value"].first().sort_values("month").reset_index(drop=True)


def rolling_average(frame: pd.DataFrame, measure: str, *, council: str | None = None, breakdown: str | None = None,
                    months: int = 12) -> pd.DataFrame:
    """Columns month, value, rolling (the mean of the ``months`` months to
    and including this one; NaN until there are that many consecutive
    months: a missing month is a gap, not skipped)."""
    s = council_series(frame, measure, council=council, breakdown=breakdown)
    if s.empty:
        return s.assign(rolling=pd.Series(dtype=float))
    full = pd.date_range(s["month"].min(), s["month"].max(), freq="MS")
    s = s.set_index("month").reindex(full).rename_axis("month").reset_index()
    s["rolling"] = s["value"].rolling(months, min_periods=months).mean()
    return s


def seasonality_table(frame: pd.DataFrame, measure: str, *, council: str | None = None,
                      breakdown: str | None = None, year_start: int = 1) -> pd.DataFrame:
    """Year on year by month: one row per calendar month (in year order from
    ``year_start``), one column per year (calendar year, or '2024-25' for
    ``year_start=4``), then ``average`` (the mean of that month across the
    years with a figure) and ``years`` (how many)."""
    s = council_series(frame, measure, council=council, breakdown=breakdown)
    m, y = s["month"].dt.month, s["month"].dt.year
    start = np.where(m >= year_start, y, y - 1)
    s = s.assign(year=[str(a) if year_start == 1 else f"{a}-{str(a + 1)[-2:]}" for a in start],
                 calendar_month=m.to_numpy())
    wide = s.pivot_table(index="calendar_month", columns="year", values="value", aggfunc="first")
    order = [((year_start - 1 + i) % 12) + 1 for i in range(12)]
    wide = wide.reindex(order)
    years = list(wide.columns)
    out = wide.reset_index()
    out.columns.name = None
    out.insert(1, "month_name", [_MONTHS[i - 1] for i in out["calendar_month"]])
    out["average"] = wide[years].mean(axis=1).to_numpy()
    out["years"] = wide[years].notna().sum(axis=1).to_numpy()
    return out


def seasonal_peak(frame: pd.DataFrame, measure: str, *, council: str | None = None,
                  breakdown: str | None = None, min_years: int = 2) -> dict | None:
    """The calendar month with the highest average, if it stands out: dict
    with month_name, average, overall (mean of the 12 monthly averages),
    ratio, years; None with fewer than ``min_years`` years of that month."""
    t = seasonality_table(frame, measure, council=council, breakdown=breakdown)
    t = t[t["years"] >= min_years]
    if len(t) < 12:
        return None
    top = t.loc[t["average"].idxmax()]
    low = t.loc[t["average"].idxmin()]
    overall = float(t["average"].mean())
    return {"month_name": top["month_name"], "average": float(top["average"]), "overall": overall,
            "ratio": float(top["average"]) / overall if overall else float("nan"), "years": int(top["years"]),
            "low_month_name": low["month_name"], "low_average": float(low["average"])}


def referral_sources(frame: pd.DataFrame, *, council: str | None = None, months: int = 12,
                     measure: str = "referrals") -> pd.DataFrame:
    """Referrals by source: the latest ``months`` months against the same
    months a year earlier. Columns source, label, latest, share (% of the
    latest total), previous, change_pct; sorted by latest, largest first."""
    m = _measure(measure)
    f = _for_council(frame, council)
    f = f[(f["measure"] == measure) & (f["breakdown"] != "")]
    if f.empty:
        return pd.DataFrame(columns=["source", "label", "latest", "share", "previous", "change_pct"])
    last = f["month"].max()
    start = last - pd.DateOffset(months=months - 1)
    prev_start, prev_end = start - pd.DateOffset(years=1), last - pd.DateOffset(years=1)
    cur = f[(f["month"] >= start) & (f["month"] <= last)].groupby("breakdown")["value"].sum()
    prev_rows = f[(f["month"] >= prev_start) & (f["month"] <= prev_end)]
    full_prev = prev_rows["month"].nunique() == months
    prev = prev_rows.groupby("breakdown")["value"].sum() if full_prev else pd.Series(dtype=float)
    keys = list(dict.fromkeys([*m.breakdown_values, *cur.index]))
    rows = []
    total = float(cur.sum())
    for k in keys:
        if k not in cur.index:
            continue
        p = float(prev.get(k, np.nan)) if full_prev else np.nan
        c = float(cur[k])
        rows.append({"source": k, "label": _SOURCE_LABELS.get(k, k), "latest": c,
                     "share": c / total * 100 if total else np.nan, "previous": p,
                     "change_pct": (c - p) / p * 100 if p and not _isnan(p) else np.nan})
    out = pd.DataFrame(rows).sort_values("latest", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs.update({"start": start, "end": last, "months": months, "has_previous": full_prev})
    return out


_SOURCE_LABELS = {"police": "Police", "schools": "Schools", "health": "Health services",
                  "la_services": "Local authority services", "individual": "Individuals (family, public)",
                  "other_legal_agency": "Other legal agencies", "other": "Other", "anonymous": "Anonymous",
                  "unknown": "Unknown"}


def budget_variance(frame: pd.DataFrame, *, council: str | None = None, month=None,
                    tolerance_pct: float = 0.5) -> pd.DataFrame:
    """Budget against forecast outturn by service line for one month (the
    latest with both, unless ``month`` is given). Columns service_line,
    budget, forecast_outturn, variance (forecast - budget, £), variance_pct
    (% of budget), position ('Overspend', 'Underspend' or 'On budget' when
    within ``tolerance_pct`` per cent), last a 'Total' row."""
    f = _for_council(frame, council)
    b = f[f["measure"] == "budget"]
    o = f[f["measure"] == "forecast_outturn"]
    cols = ["service_line", "budget", "forecast_outturn", "variance", "variance_pct", "position"]
    if b.empty or o.empty:
        return pd.DataFrame(columns=cols)
    common = sorted(set(b["month"]) & set(o["month"]))
    if not common:
        return pd.DataFrame(columns=cols)
    when = pd.Timestamp(month) if month is not None else common[-1]
    b = b[b["month"] == when].assign(service_line=lambda d: d["breakdown"].replace("", "All services"))
    o = o[o["month"] == when].assign(service_line=lambda d: d["breakdown"].replace("", "All services"))
    t = b.groupby("service_line", sort=False)["value"].sum().rename("budget").to_frame().join(
        o.groupby("service_line", sort=False)["value"].sum().rename("forecast_outturn"), how="outer")
    t = t.reset_index()
    parts = t[t["service_line"] != "All services"].sort_values("budget", ascending=False, kind="stable")
    if len(parts):
        total = {"service_line": "Total", "budget": parts["budget"].sum(min_count=1),
                 "forecast_outturn": parts["forecast_outturn"].sum(min_count=1)}
        t = pd.concat([parts, pd.DataFrame([total])], ignore_index=True)
    else:
        t = t.replace({"service_line": {"All services": "Total"}})
    t["variance"] = t["forecast_outturn"] - t["budget"]
    with np.errstate(divide="ignore", invalid="ignore"):
        t["variance_pct"] = t["variance"] / t["budget"].where(t["budget"] != 0) * 100

    def position(r):
        if _isnan(r["variance"]):
            return "No figure"
        if not _isnan(r["variance_pct"]) and abs(r["variance_pct"]) < tolerance_pct:
            return "On budget"
        return "Overspend" if r["variance"] > 0 else ("Underspend" if r["variance"] < 0 else "On budget")

    t["position"] = t.apply(position, axis=1)
    t.attrs["month"] = when
    return t[cols]


def assessment_timeliness(frame: pd.DataFrame, *, council: str | None = None) -> pd.DataFrame:
    """Monthly: completed, within_45_days, pct_within (%), near_breach,
    overdue (NaN where the file has no figure)."""
    parts = {}
    for col, mid in (("completed", "assessments_completed"), ("within_45_days", "assessments_within_45_days"),
                     ("near_breach", "open_assessments_near_breach"), ("overdue", "open_assessments_overdue")):
        parts[col] = council_series(frame, mid, council=council).set_index("month")["value"]
    out = pd.DataFrame(parts)
    out.index.name = "month"
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pct_within"] = out["within_45_days"] / out["completed"].where(out["completed"] > 0) * 100
    return out.reset_index()[["month", "completed", "within_45_days", "pct_within", "near_breach", "overdue"]]


# --------------------------------------------------------------------------- targets

DIRECTIONS = {"at_most": "at_most", "at_least": "at_least", "lower_is_better": "at_most",
              "higher_is_better": "at_least", "max": "at_most", "min": "at_least"}
_TARGET_KEYS = {"target", "direction", "label", "note"}


@dataclass(frozen=True)
class Target:
    """A council's own target: met when the figure is ``at_most`` (no higher
    than) or ``at_least`` (no lower than) ``target``."""
    id: str
    target: float
    direction: str
    label: str = ""
    note: str = ""
    kind: str = "local"   # "local" measure or "official" indicator

    def met(self, value) -> bool | None:
        if _isnan(value):
            return None
        return value <= self.target if self.direction == "at_most" else value >= self.target

    @property
    def phrase(self) -> str:
        return "no more than" if self.direction == "at_most" else "at least"


@dataclass
class Targets:
    targets: dict[str, Target] = field(default_factory=dict)
    council: str = ""
    path: Path | None = None

    def __iter__(self):
        return iter(self.targets.values())

    def __len__(self):
        return len(self.targets)

    def __contains__(self, key):
        return key in self.targets

    def __getitem__(self, key) -> Target:
        return self.targets[key]


def load_targets(path) -> Targets:
    """A council's targets from YAML::

        council: Northmoor          # optional
        targets:
          caseload_average: {target: 15, direction: at_most, note: "1 to 15"}
          sickness_days_per_fte: {target: 7, direction: at_most}
          assessments_within_45_days_pct: 85     # direction from the measure
          wf_caseload: {target: 16, direction: at_most}   # an official indicator

    Keys are local measure ids (data/local_measures.yml, including derived
    ones) or indicator ids (data/indicators.yml). ``direction`` is
    ``at_most`` or ``at_least`` (``lower_is_better`` / ``higher_is_better``
    also read); it may be left out when the measure has a polarity.
    Raises :class:`ConfigError` naming the key for anything else."""
    path = Path(path)
    doc = load_yaml_file(path, what="targets file")
    if not isinstance(doc, dict) or "targets" not in doc:
        raise ConfigError(path, "must be a mapping with a 'targets:' key", key="targets",
                          hint="e.g.\ntargets:\n  caseload_average: {target: 15, direction: at_most}")
    unknown = sorted(set(map(str, doc)) - {"targets", "council"})
    if unknown:
        raise ConfigError(path, f"unknown top-level key(s): {', '.join(unknown)}", key=unknown[0],
                          hint="Top-level keys are 'council' and 'targets'")
    entries = doc["targets"]
    if not isinstance(entries, dict) or not entries:
        raise ConfigError(path, "'targets' must be a mapping of measure id to target", key="targets")
    measures = load_measures()
    try:
        from .catalogue import load_catalogue
        catalogue = load_catalogue()
        official = {i: catalogue[i] for i in catalogue.ids()}
    except ScrutinyError:
        official = {}
    out = Targets(council=str(doc.get("council") or "").strip(), path=path)
    for key, spec in entries.items():
        key = str(key)
        if key in measures:
            m = measures[key]
            label, polarity, kind = m.label, m.polarity, "local"
        elif key in official:
            label, polarity, kind = official[key].label, official[key].polarity, "official"
        else:
            near = difflib.get_close_matches(key, measures.ids() + list(official), n=3, cutoff=0.6)
            raise ConfigError(path, f"{key!r} is not a local measure or an indicator", key=f"targets.{key}",
                              hint=(f"Did you mean {', '.join(near)}? " if near else "")
                              + "Local measures are listed in data/local_measures.yml, indicators in "
                                "data/indicators.yml")
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            spec = {"target": spec}
        if not isinstance(spec, dict):
            raise ConfigError(path, "must be a number or a mapping with 'target' and 'direction'",
                              key=f"targets.{key}", hint="e.g. {target: 15, direction: at_most}")
        bad = sorted(set(map(str, spec)) - _TARGET_KEYS)
        if bad:
            raise ConfigError(path, f"unknown key(s) {', '.join(bad)}", key=f"targets.{key}.{bad[0]}",
                              hint=f"Allowed keys: {', '.join(sorted(_TARGET_KEYS))}")
        value = spec.get("target")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
            raise ConfigError(path, f"target must be a number, got {value!r}", key=f"targets.{key}.target")
        direction = spec.get("direction")
        if direction is None:
            if polarity == "context":
                raise ConfigError(path, f"{key} has no better or worse direction of its own, so say which side "
                                        f"is met", key=f"targets.{key}.direction",
                                  hint="Add direction: at_most or direction: at_least")
            direction = "at_most" if polarity == "lower_is_better" else "at_least"
        if str(direction) not in DIRECTIONS:
            raise ConfigError(path, f"direction {direction!r}", key=f"targets.{key}.direction",
                              hint="Use at_most (the figure should be no higher) or at_least (no lower)")
        out.targets[key] = Target(key, float(value), DIRECTIONS[str(direction)],
                                  str(spec.get("label") or label), str(spec.get("note") or ""), kind)
    return out


def _fmt_measure(m, value) -> str:
    return m.format_value(value) if hasattr(m, "format_value") else f"{value:,.1f}"


def performance_against_targets(frame: pd.DataFrame, targets: Targets | None, *, council: str | None = None,
                                month=None, store=None, area_code: str | None = None) -> pd.DataFrame:
    """Performance against targets in the latest month (or ``month``).

    One row per target, then one per measure in the figures that has a
    better-or-worse direction but no target. Columns: measure, label, month,
    value, target, direction, status ('met', 'not met', 'no target', 'no
    figure') and words (a sentence a member can read aloud). Official
    indicators in the targets are judged on the store's latest figure for
    ``area_code`` when a store is given."""
    measures = load_measures()
    f = _for_council(frame, council) if frame is not None and len(frame) else frame
    rows = []
    targets = targets or Targets()
    when_all = pd.Timestamp(month) if month is not None else (f["month"].max() if f is not None and len(f) else None)
    for t in targets:
        if t.kind == "official":
            rows.append(_official_target_row(t, store, area_code))
            continue
        m = measures[t.id]
        s = council_series(f, t.id) if f is not None and len(f) else pd.DataFrame(columns=["month", "value"])
        s = s[s["month"] <= when_all] if when_all is not None else s
        if s.empty or when_all is None or s["month"].iloc[-1] != when_all:
            when_txt = _month_words(when_all) if when_all is not None else "the latest month"
            rows.append({"measure": t.id, "label": t.label, "month": when_all, "value": np.nan,
                         "target": t.target, "direction": t.direction, "status": "no figure",
                         "words": f"No figure for {_lower_first(t.label)} in {when_txt}, so the target of "
                                  f"{t.phrase} {_fmt_measure(m, t.target)} cannot be judged."})
            continue
        value = float(s["value"].iloc[-1])
        met = t.met(value)
        gap = abs(value - t.target)
        side = ("within" if met else ("above" if t.direction == "at_most" else "below"))
        words = (f"{'Met' if met else 'Not met'}: {_lower_first(t.label)} was {_fmt_measure(m, value)} in "
                 f"{_month_words(when_all)}, {side} the target of {t.phrase} {_fmt_measure(m, t.target)}")
        if not met:
            words += f" ({_fmt_measure(m, gap).replace(' days', '')} {'over' if t.direction == 'at_most' else 'short'})"
        rows.append({"measure": t.id, "label": t.label, "month": when_all, "value": value, "target": t.target,
                     "direction": t.direction, "status": "met" if met else "not met", "words": words + "."})
    if f is not None and len(f):
        present = list(dict.fromkeys(f["measure"]))
        for mid in present:
            m = measures.measures.get(mid)
            if m is None or m.polarity == "context" or mid in targets:
                continue
            s = council_series(f, mid)
            s = s[s["month"] <= when_all]
            value = float(s["value"].iloc[-1]) if len(s) and s["month"].iloc[-1] == when_all else np.nan
            rows.append({"measure": mid, "label": m.label, "month": when_all, "value": value, "target": np.nan,
                         "direction": "", "status": "no target",
                         "words": f"No target set for {_lower_first(m.label)}"
                                  + (f" ({_fmt_measure(m, value)} in {_month_words(when_all)})."
                                     if not _isnan(value) else ".")})
    return pd.DataFrame(rows, columns=["measure", "label", "month", "value", "target", "direction", "status",
                                       "words"])


def _official_target_row(t: Target, store, area_code) -> dict:
    base = {"measure": t.id, "label": t.label, "month": None, "target": t.target, "direction": t.direction}
    if store is None or area_code is None:
        return base | {"value": np.nan, "status": "no figure",
                       "words": f"{t.label} comes from the official English releases, which have no figure for "
                                f"this council, so the target of {t.phrase} {t.target:g} cannot be judged."}
    ind = store.catalogue[t.id]
    rows = store.indicators
    rows = rows[(rows["area_code"].astype(str) == str(area_code)) & (rows["indicator"] == t.id)
                & (rows["status"] == "ok")]
    if rows.empty:
        return base | {"value": np.nan, "status": "no figure",
                       "words": f"No published figure for {_lower_first(t.label)}, so the target cannot be judged."}
    r = rows.sort_values("period").iloc[-1]
    value = float(r["value"])
    met = t.met(value)
    side = "within" if met else ("above" if t.direction == "at_most" else "below")
    return base | {"value": value, "status": "met" if met else "not met", "month": None,
                   "words": f"{'Met' if met else 'Not met'}: {_lower_first(t.label)} was {ind.format_value(value)} "
                            f"at {ind.period_label(int(r['period']))} (published figure), {side} the target of "
                            f"{t.phrase} {ind.format_value(t.target)}."}


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


# --------------------------------------------------------------------------- councils outside the releases

@dataclass
class OfficialDataStatement:
    """What a pack can and cannot compare for one council. ``in_official_data``
    is False for a council outside the English releases (e.g. a Welsh
    council); ``not_available`` and ``available`` are sentences."""
    council: str
    in_official_data: bool
    area_code: str | None = None
    not_available: list[str] = field(default_factory=list)
    available: list[str] = field(default_factory=list)
    reason: str = ""
    peers_with_figures: list[str] = field(default_factory=list)
    peers_without_figures: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts = [self.reason] if self.reason else []
        if self.not_available:
            parts.append("Not available: " + "; ".join(self.not_available) + ".")
        if self.available:
            parts.append("Available: " + "; ".join(self.available) + ".")
        return " ".join(parts)

    def to_html(self) -> str:
        if self.in_official_data:
            return (f'<section class="official-data"><p>{_e(self.reason)}</p></section>')
        na = "".join(f"<li>{_e(s)}</li>" for s in self.not_available)
        av = "".join(f"<li>{_e(s)}</li>" for s in self.available)
        return ('<section class="official-data no-official-data">'
                '<h2 id="local-official-data">What this pack can and cannot compare</h2>'
                f"<p>{_e(self.reason)}</p>"
                f"<h3>Not available for {_e(self.council)}</h3><ul>{na}</ul>"
                f"<h3>What the pack shows instead</h3><ul>{av}</ul></section>")

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.text


def council_without_official_data(council: str, *, data: str = "official", store=None, comparators_file: str = "",
                                  comparator: str = "", local_dirs=None) -> OfficialDataStatement:
    """Whether ``council`` is in the official English releases and, when it is
    not (a Welsh council such as Monmouthshire, or a fictional one such as
    Afon Uchaf), a clear statement of which comparisons are not available:
    no DfE statistical neighbours, no regional or England benchmark, no
    official indicators, no funnel limits, ranks or quartile bands; and of
    what the pack shows instead: the council's own monthly figures, its own
    targets, and the user-defined comparator group (naming which members'
    local figures were found in ``local_dirs``)."""
    if store is None:
        try:
            from .store import open_store
            store = open_store(data)
        except ScrutinyError:
            store = None   # the pack says no official figures could be read
    code = None
    if store is not None:
        try:
            code = store.resolve(council)
            if str(store.area(code)["level"]) != "la":
                code = None
        except UnknownCouncilError:
            code = None
    if code is not None:
        name = str(store.area(code)["area_name"])
        return OfficialDataStatement(name, True, code, reason=f"{name} is in the official English releases "
                                     f"(DfE LA number {code}); the other sections compare it with its statistical "
                                     f"neighbours, region and England.")
    st = OfficialDataStatement(council, False)
    why = (f"{council} is not in the official English releases{' (demo data)' if getattr(store, 'is_demo', False) else ''}. "
           if store is not None else "No official figures could be read for this pack. ")
    st.reason = why + ("The DfE publications cover councils in England only; a council in Wales, Scotland or "
                       "Northern Ireland reports to its own government's statistics, which this tool does not "
                       "read. So this pack is built from the council's own figures alone.")
    st.not_available = [
        "DfE statistical neighbours (the model covers English councils only)",
        "the regional and England benchmarks",
        "the official measures (workforce census, children in need, child protection, children looked after, "
        "care leavers, spending) and their trends over the published years",
        "ranks among English councils and the usual range for councils, which need every English council's "
        "figure",
        "Ofsted inspection judgements (Care Inspectorate Wales and others are not read)",
    ]
    st.available = [f"{council}'s own monthly figures, with 12-month averages and year-on-year seasonality",
                    "performance against the council's own targets, where a targets file is given"]
    if comparators_file:
        from .neighbours import load_comparator_groups
        groups = load_comparator_groups(comparators_file, store.areas if store is not None else None)
        chosen = groups[(groups["group"] == comparator) | (groups["label"] == comparator)] if comparator else \
            groups[groups["council"].str.lower() == council.lower()]
        if chosen.empty:
            chosen = groups[groups["group"] == groups["group"].iloc[0]]
        label = str(chosen["label"].iloc[0])
        members = [m for m in chosen["member"] if m.lower() != council.lower()]
        found = _peer_files(members, local_dirs or [])
        st.peers_with_figures = [m for m in members if m in found]
        st.peers_without_figures = [m for m in members if m not in found]
        text = (f"comparison with the comparator group \u201c{label}\u201d ({', '.join(members)}) on measures "
                f"that do not depend on population size, using each member's own local figures")
        if st.peers_without_figures:
            text += f"; no local figures were found for {', '.join(st.peers_without_figures)}"
        st.available.append(text)
    else:
        st.not_available.append("a comparator group: none was given (name peers in a comparators file, "
                                "with their own local figures files)")
    return st


# --------------------------------------------------------------------------- finding the files

def demo_local_dir() -> Path:
    return paths.demo_dir() / "local"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")


def _ensure_demo(council: str) -> Path:
    """The demo local figures for ``council`` (generated on first use,
    atomically). ParameterError when it is not a demo council."""
    from .demo import generate_local_demo
    target = demo_local_dir()
    wanted = target / f"{_slug(council)}_local_figures.csv"
    if wanted.exists():
        return wanted
    target.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".local-demo-", dir=target))
    try:
        try:
            written = generate_local_demo(tmp, council=council)
        except ValueError as exc:
            raise ParameterError("council", f"local_figures is 'demo' but {exc}", council) from None
        for p in written:
            final = target / p.name
            if not final.exists():
                os.replace(p, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return wanted


def _peer_files(members, folders) -> dict[str, Path]:
    """For each member council, the newest of its local figures files in ``folders``."""
    found: dict[str, Path] = {}
    for m in members:
        files = local_files.files_for(m, folders)
        if files:
            found[m] = max(files, key=lambda p: p.stat().st_mtime)
    return found


def find_local_files(council: str, local_figures: str = "") -> list[Path]:
    """The local figures files for ``council``: ``"demo"`` (generated demo
    figures), a path, or ``""`` for every file in data/local/ whose council
    is ``council`` (any case). ParameterError says what was looked for."""
    if local_figures == "demo":
        return [_ensure_demo(council)]
    if local_figures:
        p = Path(local_figures)
        if not p.is_file():
            raise ParameterError("local_figures", "no file has that path; give a local figures file (CSV or "
                                                  ".xlsx), \"\" to look in data/local/, or \"demo\"", local_figures)
        return [p]
    from .sources import local_dir
    folder = local_dir()
    hits = local_files.files_for(council, [folder])
    if hits:
        return hits
    raise ParameterError("local_figures", f"no local figures for {council} in {folder}. Add the council's file "
                                          f"with `scrutiny ingest FILE` (see docs/local-figures.md), give its "
                                          f"path, or use \"demo\"", local_figures)


def find_local_figures(council: str, local_figures: str = "") -> Path:
    """The newest local figures file for ``council`` (see :func:`find_local_files`)."""
    return max(find_local_files(council, local_figures), key=lambda p: p.stat().st_mtime)


def default_targets_file(local_path: Path, council: str, demo: bool = False) -> Path | None:
    """The targets file a pack uses when none is given: ``<council>_targets.yml``
    (or, outside the demo, ``targets.yml``) beside the council's figures."""
    candidates = [Path(local_path).parent / f"{_slug(council)}_targets.yml"]
    if not demo:
        candidates.append(Path(local_path).parent / "targets.yml")
    return next((c for c in candidates if c.is_file()), None)


def load_council_figures(paths_in: list[Path], council: str) -> pd.DataFrame:
    """``council``'s rows from its local figures files, each file checked to
    name it; with several files the newest months win (notes in
    ``attrs['warnings']``)."""
    frames = []
    warnings: list[str] = []
    for p in paths_in:
        rows = load_local(p)
        warnings.extend(rows.attrs.get("warnings", []))
        frames.append((Path(p), local_files.council_rows(rows, council, path=p)))
    combined, notes = local_files.combine_files(frames)
    combined.attrs.update({"path": ", ".join(str(p) for p in paths_in), "warnings": warnings + notes,
                           "metadata": {}})
    return combined


# --------------------------------------------------------------------------- the section

def _local_indicator(m: LocalMeasure) -> Indicator:
    """A catalogue-like entry so the chart functions print the measure's
    unit and decimals."""
    return _LocalIndicator(id=m.id, label=m.label, definition=m.definition, section="local", unit=m.unit,
                           polarity=m.polarity, source="local", period_basis="month end", decimals=m.decimals)


@dataclass(frozen=True)
class _LocalIndicator(Indicator):
    @property
    def unit_label(self) -> str:
        return {"count": "number", "fte": "FTE", "headcount": "headcount", "ratio": "cases per worker",
                "days": "days per FTE", "percent": "%", "gbp": "£"}.get(self.unit, self.unit)

    def format_value(self, value, *, with_unit: bool = True) -> str:
        if self.unit == "gbp" and value is not None and value == value and abs(value) >= 1e6:
            return _money(value)
        return super().format_value(value, with_unit=with_unit)


def _table(headers: list[str], rows: list[list], *, numeric: set[int] = frozenset(), caption: str = "",
           row_class: list[str] | None = None, first_is_header: bool = True) -> str:
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    body = []
    for i, r in enumerate(rows):
        cells = []
        for j, v in enumerate(r):
            text = _e(str(v))
            if j == 0 and first_is_header:
                cells.append(f'<th scope="row">{text}</th>')
            else:
                cls = ' class="num"' if j in numeric else ""
                cells.append(f"<td{cls}>{text}</td>")
        cls = f' class="{_e(row_class[i])}"' if row_class and row_class[i] else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f'<table class="local-table">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _chart_html(chart) -> str:
    try:
        return chart.to_html()
    finally:
        chart.close()


class LocalSection:
    """The local performance section for one council."""

    section_id = "local"
    title = "Local performance"

    def __init__(self, *, council, period=None, comparator="statistical neighbours", committee="",
                 meeting_date="", data="demo", comparators_file="", local_figures="", targets_file=""):
        from .report import check_parameters
        self.period_month = None
        if isinstance(period, str) and re.fullmatch(r"\s*\d{4}-\d{2}\s*", period):
            self.period_month = pd.Timestamp(period.strip() + "-01")
            period = None
        self.params = check_parameters(council, period, comparator, committee, meeting_date, data, comparators_file)
        if not isinstance(local_figures, (str, os.PathLike)):
            raise ParameterError("local_figures", "must be a path, \"\" (look in data/local/) or \"demo\"",
                                 local_figures)
        if not isinstance(targets_file, (str, os.PathLike)):
            raise ParameterError("targets_file", "must be a path or \"\"", targets_file)
        local_figures, targets_file = str(local_figures).strip(), str(targets_file).strip()
        self.is_demo = local_figures == "demo"
        self._store = None
        self.unavailable = ""
        first = council_without_official_data(self.params.council, data=self.params.data)
        self.name = first.council
        if local_figures in ("", "demo"):
            try:
                self.paths = find_local_files(self.name, local_figures)
            except ParameterError as exc:
                # no figures supplied: the section says so instead of failing the pack
                self.statement, self.path, self.target_set = first, None, None
                self.frame = pd.DataFrame(columns=["council", "month", "measure", "team", "breakdown", "value",
                                                   "unit", "note", "source_row"])
                self.latest = None
                self.unavailable = (f"No local figures were supplied for {self.name}"
                                    + (" (the demo has local figures for demo councils only)" if self.is_demo else
                                       "") + ". Add the council's own monthly figures with `scrutiny ingest FILE` "
                                    "(docs/local-figures.md) to show this section.")
                self._reason = str(exc)
                return
        else:
            self.paths = find_local_files(self.name, local_figures)
        self.path = self.paths[0]
        self.statement = first if not self.params.comparators_file else council_without_official_data(
            self.params.council, data=self.params.data, comparators_file=self.params.comparators_file,
            comparator=self.params.comparator, local_dirs=self._folders(local_figures))
        try:
            rows = load_council_figures(self.paths, self.name)
        except ParameterError:
            if local_files.same_council(self.params.council, self.name):
                raise
            rows = load_council_figures(self.paths, self.params.council)
        self.file_council = str(rows["council"].iloc[0])
        if not self.statement.in_official_data:
            self.name = self.file_council
        end = self._end_month(rows)
        self.frame = rows[rows["month"] <= end].reset_index(drop=True)
        self.frame.attrs.update(rows.attrs)
        self.latest = self.frame["month"].max()
        self.target_set = self._targets(targets_file, local_figures)
        self._store = None

    # -- set up ----------------------------------------------------------------
    def _folders(self, local_figures: str) -> list[Path]:
        from .sources import local_dir
        folders = []
        if local_figures == "demo":
            folders.append(demo_local_dir())
        elif local_figures:
            folders.append(Path(local_figures).parent)
        folders.append(local_dir())
        if self.params.comparators_file:
            folders.append(Path(self.params.comparators_file).parent)
        return list(dict.fromkeys(folders))

    def _end_month(self, rows: pd.DataFrame) -> pd.Timestamp:
        last = rows["month"].max()
        if self.period_month is not None:
            if self.period_month < rows["month"].min():
                raise ParameterError("period", f"the local figures start at {_month_words(rows['month'].min())}",
                                     self.period_month.strftime("%Y-%m"))
            return min(last, self.period_month)
        if self.params.period is not None:
            cut = pd.Timestamp(f"{self.params.period}-12-01")
            if cut < rows["month"].min():
                raise ParameterError("period", f"the local figures start at {_month_words(rows['month'].min())}",
                                     self.params.period)
            return min(last, cut)
        return last

    def _targets(self, targets_file: str, local_figures: str) -> Targets | None:
        path = targets_file or default_targets_file(self.path, self.file_council, local_figures == "demo")
        return load_targets(path) if path else None

    @property
    def store(self):
        if self._store is None and self.statement.in_official_data:
            from .store import open_store
            self._store = open_store(self.params.data)
        return self._store

    @property
    def measures(self):
        return load_measures()

    def has(self, measure: str) -> bool:
        m = self.measures[measure]
        if getattr(m, "numerator", ""):
            return self.has(m.numerator) and self.has(m.denominator)
        return bool((self.frame["measure"] == measure).any())

    def _caption(self, extra: str = "") -> str:
        first, last = self.frame["month"].min(), self.latest
        text = f"Source: {self.name}'s own performance data, {first:%B %Y} to {last:%B %Y}."
        if self.is_demo:
            text += " Demo data: invented figures for a fictional council."
        return text + (" " + extra if extra else "")

    # -- blocks ------------------------------------------------------------------
    def introduction(self):
        Html = _Html()
        if self.unavailable:
            return Html(f'<section class="introduction" id="local-introduction"><p>{_e(self.unavailable)}</p>'
                        f'</section>')
        p = self.params
        bits = [f"<strong>{_e(self.name)}</strong>"]
        if self.statement.in_official_data:
            bits[0] += f" (DfE LA number {_e(str(self.statement.area_code))})"
        if p.committee:
            bits.append(_e(p.committee))
        if p.meeting_day:
            bits.append("meeting of " + _e(p.meeting_day.strftime("%-d %B %Y")))
        parts = [f'<p class="pack-context">{" &middot; ".join(bits)}</p>']
        if self.is_demo:
            parts.append('<p class="demo-warning"><strong>Demo data:</strong> every figure on this page is invented, '
                         'for fictional councils, to show how a pack works. It describes no real council.</p>')
        present = set(self.frame["measure"])
        labels = [m.label for m in self.measures.measures.values() if m.id in present]
        first = self.frame["month"].min()
        parts.append(f"<p>This section shows {_e(self.name)}'s own monthly figures, from {_e(_month_words(first))} "
                     f"to {_e(_month_words(self.latest))}: {_e('; '.join(_lower_first(x) for x in labels))}. "
                     "They are the council's management information, not official statistics: they are not "
                     "checked by the DfE and can be revised.</p>")
        parts.append("<p>Monthly figures go up and down. The 12-month average smooths out the month-to-month "
                     "noise and the seasons; comparing a month with the same month a year earlier shows "
                     "seasonal patterns, such as the rise in referrals from schools before the summer holidays.</p>")
        for w in self.frame.attrs.get("warnings", []):
            parts.append(f'<p class="note">Data check: {_e(w)}</p>')
        return Html(f'<section class="introduction" id="local-introduction">{"".join(parts)}</section>')

    def official_data(self):
        """What can and cannot be compared: for a council outside the English
        releases; empty for a council in them (the other sections compare it)."""
        if self.statement.in_official_data:
            return _Html()("")
        return _Html()(self.statement.to_html())

    def trend(self, measure: str, *, breakdown: str | None = None, team: str | None = None, rolling: int = 12):
        """A monthly trend with its 12-month average (a Chart)."""
        from .charts import monthly_trend
        m = self.measures[measure]
        s = council_series(self.frame, measure, breakdown=breakdown, team=team)
        if s.empty:
            raise ParameterError("measure", f"the local figures have no {measure}"
                                 + (f" for {breakdown or team}" if breakdown or team else ""), measure)
        target = self.target_set[measure].target if self.target_set and measure in self.target_set and not breakdown \
            and not team else None
        label = m.label + (f" from {_SOURCE_LABELS.get(breakdown, breakdown).lower()}" if breakdown else "") \
            + (f": {team}" if team else "")
        ind = _local_indicator(m)
        ind = _LocalIndicator(**{**ind.__dict__, "label": label})
        rolling = rolling if s["month"].nunique() >= rolling + 1 else None
        return monthly_trend(s, rolling=rolling, indicator=ind, area=self.name, target=target,
                             caption=self._caption())

    def seasonality(self, measure: str = "referrals", *, breakdown: str | None = None, years: int = 4,
                    year_start: int = 1):
        """Year on year by calendar month (a Chart): one line per year, the
        title naming the peak month when one stands out, and the data table
        carrying each month's average across the years."""
        from .charts import seasonality_chart
        m = self.measures[measure]
        s = council_series(self.frame, measure, breakdown=breakdown)
        label = (f"Referrals from {_SOURCE_LABELS.get(breakdown, breakdown).lower()}" if breakdown and
                 measure == "referrals" else m.label + (f" ({breakdown})" if breakdown else ""))
        ind = _LocalIndicator(**{**_local_indicator(m).__dict__, "label": label})
        table = seasonality_table(self.frame, measure, breakdown=breakdown, year_start=year_start)
        title = _seasonal_title(label, table, seasonal_peak(self.frame, measure, breakdown=breakdown), self.name)
        chart = seasonality_chart(s, indicator=ind, area=self.name, years=years, year_start=year_start,
                                  title=title, caption=self._caption())
        if len(chart.data) == len(table):
            chart.data[f"Average of all years ({table.columns[2]} to {table.columns[-3]})"] = table["average"].to_numpy()
            chart.formats[chart.data.columns[-1]] = m.decimals
        return chart

    def _peak_sentence(self, measure: str, breakdown: str | None) -> str:
        peak = seasonal_peak(self.frame, measure, breakdown=breakdown)
        if not peak or peak["ratio"] < 1.15:
            return ""
        m = self.measures[measure]
        what = _lower_first(m.label) + (f" from {_SOURCE_LABELS.get(breakdown, breakdown).lower()}" if breakdown else "")
        return (f"Over {peak['years']} years, {what} peak in {peak['month_name']}: on average "
                f"{m.format_value(peak['average'])} in {peak['month_name']} against "
                f"{m.format_value(peak['overall'])} in an average month ({peak['ratio'] - 1:.0%} more). The "
                f"quietest month is {peak['low_month_name']} ({m.format_value(peak['low_average'])}).")

    def front_door(self):
        """Contacts and referrals: trend, seasonality (schools), sources."""
        if self.unavailable:
            return _Html()("")
        Html = _Html()
        parts = ['<section class="local-block"><h2 id="local-front-door">Contacts and referrals</h2>']
        if not self.has("referrals"):
            return Html(parts[0] + "<p>The local figures have no referrals.</p></section>")
        r = rolling_average(self.frame, "referrals")
        last = r.dropna(subset=["rolling"])
        if len(last) >= 13:
            now, before = last.iloc[-1], last.iloc[-13]
            change = (now["rolling"] - before["rolling"]) / before["rolling"] * 100
            parts.append(f"<p>In the 12 months to {_e(_month_words(now['month']))}, {_e(self.name)} received an "
                         f"average of {now['rolling']:,.0f} referrals a month, "
                         f"{'up' if change > 0 else 'down'} {abs(change):.0f}% on the 12 months before "
                         f"({before['rolling']:,.0f} a month).</p>")
        parts.append(_chart_html(self.trend("referrals")))
        if self.has("contacts"):
            parts.append(_chart_html(self.trend("contacts")))
        parts.append('<h3 id="local-seasonality">Seasonality: year on year by month</h3>')
        for breakdown in (None, "schools"):
            if breakdown and not ((self.frame["measure"] == "referrals") & (self.frame["breakdown"] == breakdown)).any():
                continue
            sentence = self._peak_sentence("referrals", breakdown)
            if sentence:
                parts.append(f"<p>{_e(sentence)}</p>")
            parts.append(_chart_html(self.seasonality("referrals", breakdown=breakdown)))
        parts.append(self.referral_sources().markup)
        parts.append("</section>")
        return Html("".join(parts))

    def referral_sources(self):
        if self.unavailable:
            return _Html()("")
        Html = _Html()
        t = referral_sources(self.frame)
        if t.empty:
            return Html('<p class="note">The local figures do not break referrals down by source.</p>')
        start, end = t.attrs["start"], t.attrs["end"]
        rows = [[r.label, f"{r.latest:,.0f}", f"{r.share:.1f}%",
                 "n/a" if _isnan(r.previous) else f"{r.previous:,.0f}",
                 "n/a" if _isnan(r.change_pct) else f"{r.change_pct:+.0f}%"] for r in t.itertuples()]
        total_now, total_prev = t["latest"].sum(), t["previous"].sum(min_count=1)
        rows.append(["All sources", f"{total_now:,.0f}", "100.0%",
                     "n/a" if _isnan(total_prev) else f"{total_prev:,.0f}",
                     "n/a" if _isnan(total_prev) or not total_prev else f"{(total_now - total_prev) / total_prev * 100:+.0f}%"])
        top = t.iloc[0]
        lead = (f"In the 12 months {start:%B %Y} to {end:%B %Y} the largest source of referrals was "
                f"{_lower_first(top.label)} ({top.share:.0f}%).")
        return Html(f'<h3 id="local-referral-sources">Where referrals come from</h3><p>{_e(lead)}</p>'
                    + _table(["Source", f"{start:%b %Y} to {end:%b %Y}", "Share", "Same months a year earlier",
                              "Change"], rows, numeric={1, 2, 3, 4},
                             caption="Referrals by source", row_class=[""] * (len(rows) - 1) + ["total"])
                    + f'<p class="chart-caption">{_e(self._caption())}</p>')

    def assessments(self):
        """Assessments completed within 45 working days, and open ones about to breach."""
        if self.unavailable:
            return _Html()("")
        Html = _Html()
        parts = ['<section class="local-block"><h2 id="local-assessments">Assessments</h2>']
        if not self.has("assessments_completed"):
            return Html(parts[0] + "<p>The local figures have no assessments.</p></section>")
        t = assessment_timeliness(self.frame)
        last = t.iloc[-1]
        year = t.tail(12)
        pct12 = year["within_45_days"].sum() / year["completed"].sum() * 100 if year["completed"].sum() else np.nan
        words = [f"In {_month_words(last['month'])}, {last['completed']:,.0f} assessments were completed"]
        if not _isnan(last["pct_within"]):
            words[0] += f", {last['pct_within']:.1f}% of them within 45 working days"
        words[0] += "."
        if not _isnan(pct12):
            words.append(f"Over the last 12 months, {pct12:.1f}% were completed within 45 working days.")
        if not _isnan(last["near_breach"]):
            words.append(f"At the end of {_month_words(last['month'])}, {last['near_breach']:,.0f} open assessments "
                         f"were about to breach 45 days" + (f" and {last['overdue']:,.0f} were already past it"
                                                            if not _isnan(last['overdue']) else "") + ".")
        parts.append("".join(f"<p>{_e(w)}</p>" for w in words))
        if self.has("assessments_within_45_days_pct"):
            parts.append(_chart_html(self.trend("assessments_within_45_days_pct")))
        if self.has("open_assessments_near_breach"):
            parts.append(_chart_html(self.trend("open_assessments_near_breach")))
        recent = t.tail(6)
        rows = [[f"{r.month:%b %Y}", f"{r.completed:,.0f}", "n/a" if _isnan(r.within_45_days) else f"{r.within_45_days:,.0f}",
                 "n/a" if _isnan(r.pct_within) else f"{r.pct_within:.1f}%",
                 "n/a" if _isnan(r.near_breach) else f"{r.near_breach:,.0f}",
                 "n/a" if _isnan(r.overdue) else f"{r.overdue:,.0f}"] for r in recent.itertuples()]
        parts.append(_table(["Month", "Completed", "Within 45 days", "% within 45 days", "Open, about to breach",
                             "Open, past 45 days"], rows, numeric={1, 2, 3, 4, 5},
                            caption="Assessments, last six months"))
        parts.append("</section>")
        return Html("".join(parts))

    def workforce(self):
        """Caseloads (by team), agency staff, vacancies, sickness."""
        if self.unavailable:
            return _Html()("")
        Html = _Html()
        parts = ['<section class="local-block"><h2 id="local-workforce">Social work workforce</h2>']
        for mid in ("caseload_average", "agency_social_workers", "vacancies", "sickness_days_per_fte"):
            if self.has(mid):
                parts.append(_chart_html(self.trend(mid)))
        teams = self.frame[(self.frame["measure"] == "caseload_average") & (self.frame["team"] != "")
                           & (self.frame["month"] == self.latest)]
        if len(teams):
            target = self.target_set["caseload_average"] if self.target_set and "caseload_average" in self.target_set else None
            rows = []
            for r in teams.sort_values("value", ascending=False).itertuples():
                status = ("no target" if target is None else ("Met" if target.met(r.value) else "Not met"))
                rows.append([r.team, f"{r.value:.1f}", status])
            head = ["Team", "Average caseload", "Against the target" + (f" ({target.phrase} {target.target:g})"
                                                                      if target else "")]
            parts.append(_table(head, rows, numeric={1},
                                caption=f"Caseloads by team, {_month_words(self.latest)}"))
        parts.append("</section>")
        return Html("".join(parts))

    def children(self):
        """Children in need, on plans and looked after: month-end counts."""
        if self.unavailable:
            return _Html()("")
        Html = _Html()
        parts = ['<section class="local-block"><h2 id="local-children">Children in need, on plans and looked after</h2>']
        for mid in ("cp_plans", "cla", "care_leavers_in_touch"):
            if self.has(mid):
                parts.append(_chart_html(self.trend(mid)))
        parts.append("</section>")
        return Html("".join(parts))

    def targets_table(self) -> pd.DataFrame:
        store, code = (self.store, self.statement.area_code) if self.statement.in_official_data else (None, None)
        return performance_against_targets(self.frame, self.target_set, store=store, area_code=code)

    def targets(self):
        """Performance against the council's own targets in the latest month."""
        if self.unavailable:
            return _Html()("")
        Html = _Html()
        head = '<section class="local-block"><h2 id="local-targets">Performance against targets</h2>'
        if not self.target_set:
            return Html(head + "<p>No targets were set for this pack, so performance is not judged against "
                               "targets.</p></section>")
        t = self.targets_table()
        words = {"met": "Met", "not met": "Not met", "no target": "No target", "no figure": "No figure"}
        rows, classes = [], []
        for r in t.itertuples():
            m = self.measures[r.measure] if r.measure in self.measures else None
            fmt = (lambda v: m.format_value(v)) if m is not None else (lambda v: f"{v:,.1f}")
            target = "" if _isnan(r.target) else f"{'≤' if r.direction == 'at_most' else '≥'} {fmt(r.target)}"
            rows.append([r.label, "n/a" if _isnan(r.value) else fmt(r.value), target or "none set",
                         words[r.status], r.words])
            classes.append("status-" + r.status.replace(" ", "-"))
        met = int((t["status"] == "met").sum())
        judged = int(t["status"].isin(["met", "not met"]).sum())
        lead = f"In {_month_words(self.latest)}, {met} of the {judged} targets with a figure were met."
        source = f'<p class="note">Targets from {_e(self.target_set.path.name)}.</p>' if self.target_set.path else ""
        return Html(head + f"<p>{_e(lead)}</p>"
                    + _table(["Measure", "Latest", "Target", "Result", "In words"], rows, numeric={1, 2},
                             caption="Against the council's own targets", row_class=classes)
                    + source + "</section>")

    def budget(self):
        """Budget against forecast outturn by service line."""
        if self.unavailable:
            return _Html()("")
        Html = _Html()
        head = '<section class="local-block"><h2 id="local-budget">Budget and forecast outturn</h2>'
        t = budget_variance(self.frame)
        if t.empty:
            return Html(head + "<p>The local figures have no budget and forecast outturn.</p></section>")
        when = t.attrs["month"]
        fy = when.year if when.month >= 4 else when.year - 1
        total = t.iloc[-1]
        over = t[(t["position"] == "Overspend") & (t["service_line"] != "Total")].sort_values("variance",
                                                                                               ascending=False)
        lead = (f"At the end of {_month_words(when)}, the forecast for {fy}-{str(fy + 1)[-2:]} is "
                + (f"an overspend of {_money(total.variance)} ({total.variance_pct:.1f}% of a budget of "
                   f"{_money(total.budget)})" if total.position == "Overspend" else
                   f"an underspend of {_money(-total.variance)} ({-total.variance_pct:.1f}%)"
                   if total.position == "Underspend" else "on budget") + ".")
        if len(over):
            o = over.iloc[0]
            lead += (f" The largest overspend is in {o.service_line.lower() if o.service_line[1:].islower() else o.service_line}: "
                     f"{_money(o.variance)} ({o.variance_pct:.1f}%).")
        rows, classes = [], []
        for r in t.itertuples():
            flag = {"Overspend": "\u25b2 Overspend", "Underspend": "\u25bc Underspend"}.get(r.position, r.position)
            rows.append([r.service_line, _money_full(r.budget), _money_full(r.forecast_outturn),
                         _money_full(r.variance, signed=True),
                         "n/a" if _isnan(r.variance_pct) else f"{r.variance_pct:+.1f}%", flag])
            classes.append(("total " if r.service_line == "Total" else "") + "position-" + r.position.lower().replace(" ", "-"))
        return Html(head + f"<p>{_e(lead)}</p>"
                    + _table(["Service line", "Budget", "Forecast outturn", "Variance", "Variance (% of budget)",
                              "Position"], rows, numeric={1, 2, 3, 4},
                             caption=f"Budget against forecast outturn, {_month_words(when)}", row_class=classes)
                    + '<p class="note">Variance is the forecast outturn minus the budget: a positive variance is an '
                      'overspend. Within 0.5% of the budget is shown as on budget.</p>'
                    + f'<p class="chart-caption">{_e(self._caption())}</p></section>')

    def comparators(self):
        """The council against its comparator group's own local figures, on
        measures that do not depend on population size."""
        if self.unavailable:
            return _Html()("")
        Html = _Html()
        head = '<section class="local-block"><h2 id="local-comparators">Comparison with peers\' own figures</h2>'
        peers = self.statement.peers_with_figures
        if not self.params.comparators_file or (not peers and not self.statement.peers_without_figures):
            return Html(head + "<p>No comparator group with local figures was given, so the local figures are not "
                               "compared with other councils.</p></section>")
        found = _peer_files(peers, self._folders_for_peers())
        frames = {self.name: self.frame}
        for peer, path in found.items():
            f = load_local(path)
            frames[peer] = f[(f["council"].str.lower() == peer.lower()) & (f["month"] <= self.latest)]
        comparable = ["caseload_average", "sickness_days_per_fte", "assessments_within_45_days_pct",
                      "care_leavers_in_touch"]
        headers = ["Measure"] + list(frames)
        rows = []
        for mid in comparable:
            m = self.measures[mid]
            row = [m.label]
            for name, f in frames.items():
                s = council_series(f, mid) if len(f) else pd.DataFrame(columns=["month", "value"])
                s = s[s["month"] == self.latest]
                row.append(m.format_value(s["value"].iloc[0]) if len(s) else "n/a")
            rows.append(row)
        missing = self.statement.peers_without_figures
        notes = ("<p class=\"note\">Counts (referrals, children on plans or looked after) are not compared: the "
                 "local files do not carry the councils' child populations, so the sizes of the councils would "
                 "decide the comparison.</p>")
        if missing:
            notes += f'<p class="note">No local figures were found for {_e(", ".join(missing))}.</p>'
        return Html(head + f"<p>Figures for {_e(_month_words(self.latest))}, from each council's own local "
                           f"figures file.</p>"
                    + _table(headers, rows, numeric=set(range(1, len(headers))),
                             caption=f"{self.name} and its comparator group") + notes + "</section>")

    def _folders_for_peers(self) -> list[Path]:
        folders = [self.path.parent]
        from .sources import local_dir
        folders.append(local_dir())
        if self.params.comparators_file:
            folders.append(Path(self.params.comparators_file).parent)
        return list(dict.fromkeys(folders))

    def questions(self):
        """Questions members may wish to ask, from the local figures."""
        if self.unavailable:
            return _Html()("")
        Html = _Html()
        qs = []
        if self.target_set:
            for r in self.targets_table().itertuples():
                if r.status == "not met":
                    qs.append(f"{r.label} missed its target in {_month_words(self.latest)}. What is the plan to "
                              f"bring it back within target, and by when?")
        peak = seasonal_peak(self.frame, "referrals", breakdown="schools") if self.has("referrals") else None
        if peak and peak["ratio"] >= 1.15:
            qs.append(f"Referrals from schools peak in {peak['month_name']} every year. Which schools do they come "
                      f"from, and is the rise professional anxiety or a backlog cleared before the holidays?")
        t = budget_variance(self.frame)
        if not t.empty:
            over = t[(t["position"] == "Overspend") & (t["service_line"] != "Total")]
            if len(over):
                o = over.sort_values("variance", ascending=False).iloc[0]
                qs.append(f"What is driving the forecast overspend in {o.service_line} ({_money(o.variance)}), and "
                          f"what can still be done this year?")
        if self.has("open_assessments_near_breach"):
            s = council_series(self.frame, "open_assessments_near_breach")
            if len(s) >= 13 and s["value"].iloc[-1] > s["value"].iloc[-13]:
                qs.append("More open assessments are close to the 45-day limit than a year ago. What is being done "
                          "to complete them in time?")
        if not self.statement.in_official_data:
            qs.append("Which published figures (for example from the Welsh Government's returns) could the council "
                      "share so members can compare it with other councils?")
        if not qs:
            qs.append("Which of these local measures would members like to see against a target?")
        items = "".join(f"<li>{_e(q)}</li>" for q in qs)
        return Html(f'<section class="questions"><h2 id="local-questions">Questions members may wish to ask</h2>'
                    f"<ol>{items}</ol></section>")


def _seasonal_title(label: str, table: pd.DataFrame, peak: dict | None, area: str) -> str:
    """'Referrals from schools peak in July every year' when the peak month is
    the highest of each complete year; a plain description otherwise."""
    years = [c for c in table.columns[2:-2]]
    if peak and peak["ratio"] >= 1.15:
        complete = [y for y in years if table[y].notna().all()]
        top = [table.loc[table[y].idxmax(), "month_name"] for y in complete]
        if complete and all(t == peak["month_name"] for t in top):
            return f"{area}: {_lower_first(label)} peak in {peak['month_name']} every year"
        return f"{area}: {_lower_first(label)} are highest in {peak['month_name']} on average"
    return f"{area}: {_lower_first(label)} by month, each year from {years[0]} to {years[-1]}"


def _money_full(v, signed: bool = False) -> str:
    if _isnan(v):
        return "n/a"
    sign = ("+" if v > 0 else "-" if v < 0 else "") if signed else ("-" if v < 0 else "")
    return f"{sign}£{abs(v):,.0f}"


def open_local(*, council, period=None, comparator="statistical neighbours", committee="", meeting_date="",
               data="demo", comparators_file="", local_figures="", targets_file="") -> LocalSection:
    """Open the local performance section for a council. Parameters as in the
    other notebooks, plus ``local_figures`` (a file, "" to look in
    data/local/, or "demo") and ``targets_file`` (a targets YAML or "")."""
    return LocalSection(council=council, period=period, comparator=comparator, committee=committee,
                        meeting_date=meeting_date, data=data, comparators_file=comparators_file,
                        local_figures=local_figures, targets_file=targets_file)
