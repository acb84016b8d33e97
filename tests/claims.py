"""An auditor's check of generated sentences: every claim a sentence makes
about a council's figures is read back and checked against the release,
recomputed here from the store's table with plain pandas (not the engine).

Claims checked: comparisons ("higher than", "lower than", "similar to" a
named figure), ranks and "joint" (among neighbours, in the region, among all
councils, with the quarter), trends ("has fallen each year since", "is lower
than at" (or "in" a school or financial year), "though up from", "though it
has not fallen every year", and the
older "has fallen for three years" / "over five years"), changes since last
year, and "too few to compare". :func:`check_text` returns one
:class:`Claim` per claim found, with whether it is true.

Run as a script to print the counts for a list of councils.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

Z95 = 1.959963984540054
MODEL = "dfe_2025"


@dataclass
class Claim:
    kind: str
    text: str
    true: bool
    why: str = ""


# --------------------------------------------------------------------------- the release, independently

class Truth:
    """Figures recomputed from a store's tables with pandas."""

    def __init__(self, store):
        self.store = store
        tab = store.indicators
        self.la = tab[tab["level"] == "la"].copy()
        self.nat = tab[tab["level"] == "national"]
        self.reg = tab[tab["level"] == "regional"]
        self.cat = store.catalogue
        self._rows = {(r.indicator, int(r.period), r.area_code): r for r in self.la.itertuples()}
        nb = store.neighbours
        nb = nb[nb["model"].astype(str) == MODEL] if "model" in nb.columns else nb
        self.neighbours = {c: list(g.sort_values("rank")["neighbour_code"].astype(str))
                           for c, g in nb.groupby(nb["area_code"].astype(str))}
        self.joints: dict[str, list[str]] = {}
        for j in self.la["area_code"].unique():
            if "/" in j:
                for m in j.split("/"):
                    self.joints.setdefault(m, []).append(j)
        self._published: dict = {}
        self._league: dict = {}
        a = store.areas
        self.region = dict(zip(a["area_code"].astype(str), a["region_code"].astype(str)))
        self.current = set(a.loc[(a["level"] == "la") & ~a["is_joint"].astype(bool)
                                 & (a["last_period"] >= a["last_period"].max()), "area_code"].astype(str))

    def row(self, iid, period, code):
        """The council's own row, else the joint return that holds it."""
        r = self._rows.get((iid, int(period), code))
        if r is not None:
            return r
        for j in self.joints.get(code, ()):
            r = self._rows.get((iid, int(period), j))
            if r is not None:
                return r
        return None

    def value(self, iid, period, code) -> float:
        r = self.row(iid, period, code)
        return float(r.value) if r is not None and r.status == "ok" else math.nan

    def published_counts(self, iid, period) -> bool:
        key = (iid, int(period))
        if key not in self._published:
            ind = self.cat[iid]
            g = self.la[(self.la.indicator == iid) & (self.la.period == period)]
            self._published[key] = bool(ind.numerator or ind.denominator or ind.derive) and bool(
                (g.numerator.notna() & g.denominator.notna()).any())
        return self._published[key]

    def comparable(self, iid, period, r) -> bool:
        """The small-numbers rule, restated: docs/statistics.md."""
        ind = self.cat[iid]
        if r is None or r.status != "ok" or pd.isna(r.value):
            return False
        if ind.unit in ("gbp", "score") or ind.section == "spending":
            return True
        if self.published_counts(iid, period) and (pd.isna(r.numerator) or pd.isna(r.denominator)):
            return False
        if ind.unit == "percent":
            return not r.denominator < 20
        if ind.unit == "per_10k":
            return not r.numerator < 10
        if ind.unit in ("ratio", "days"):
            return not r.denominator < 5
        return True

    def group(self, iid, period, code, members):
        """Members' data rows, each once, none the council's own joint row."""
        own = self.row(iid, period, code)
        seen = {own.area_code} if own is not None else set()
        out = []
        for m in members:
            r = self.row(iid, period, m)
            if r is None:
                out.append((m, None))
                continue
            if r.area_code in seen:
                continue
            seen.add(r.area_code)
            out.append((m, r))
        return out

    def neighbour_mean(self, iid, period, code) -> float:
        vals = [float(r.value) for _, r in self.group(iid, period, code, self.neighbours.get(code, []))
                if r is not None and r.status == "ok" and not pd.isna(r.value)]
        return round(float(np.mean(vals)), 9) if vals else math.nan

    def england(self, iid, period) -> float:
        g = self.nat[(self.nat.indicator == iid) & (self.nat.period == period) & (self.nat.status == "ok")]
        return float(g.value.iloc[0]) if len(g) else math.nan

    def _rank(self, iid, period, code, rows):
        ind = self.cat[iid]
        own = self.row(iid, period, code)
        vals = [float(r.value) for r in rows if self.comparable(iid, period, r)]
        v = float(own.value)
        better = [x for x in vals if (x > v if ind.polarity == "higher_is_better" else x < v)]
        return len(better) + 1, len(vals) + 1, vals.count(v) >= 1

    def rank_in_group(self, iid, period, code):
        rows = [r for _, r in self.group(iid, period, code, self.neighbours.get(code, [])) if r is not None]
        return self._rank(iid, period, code, rows)

    def rank_in_region(self, iid, period, code):
        region = self.region.get(code, "")
        region = "E12000007" if region.startswith("E13") else region
        peers = [c for c in self.current if c != code and
                 ("E12000007" if self.region.get(c, "").startswith("E13") else self.region.get(c)) == region]
        rows = [r for _, r in self.group(iid, period, code, sorted(peers)) if r is not None]
        return self._rank(iid, period, code, rows)

    def position(self, iid, period, code):
        ind = self.cat[iid]
        key = (iid, int(period))
        if key not in self._league:
            g = self.la[(self.la.indicator == iid) & (self.la.period == period)]
            self._league[key] = np.array([float(r.value) for r in g.itertuples() if self.comparable(iid, period, r)])
        vals = self._league[key]
        own = self.row(iid, period, code)
        v = float(own.value)
        better = (vals > v).sum() if ind.polarity == "higher_is_better" else (vals < v).sum()
        tied = (vals == v).sum() > 1
        q1, q2, q3 = np.quantile(vals, [0.25, 0.5, 0.75])
        if ind.polarity == "lower_is_better":
            band = 0 if v <= q1 else 1 if v <= q2 else 2 if v <= q3 else 3
        else:
            band = 0 if v >= q3 else 1 if v >= q2 else 2 if v >= q1 else 3
        return int(better) + 1, len(vals), bool(tied), ["best", "second-best", "second-worst", "worst"][band]


# --------------------------------------------------------------------------- parsing

def _num(text: str) -> float:
    m = re.search(r"-?[\d,]*\.?\d+", text.replace("£", ""))
    return float(m.group(0).replace(",", "")) if m else math.nan


def _period_of(ind, label: str) -> int | None:
    for p in range(2005, 2035):
        if ind.period_label(p) == label.strip():
            return p
    return None


def _same(ind, shown: str, truth: float) -> bool:
    return not math.isnan(truth) and ind.format_value(truth, with_unit=False) == \
        ind.format_value(_num(shown), with_unit=False)


def _within_chance(ind, value, ref, num, den) -> bool:
    """Independent restatement of "similar to": within the 95% limits around
    the reference at the council's denominator, or below the minimum
    meaningful change."""
    mmc = 1.0 if ind.unit == "percent" else 0.05 * abs(ref)
    if abs(value - ref) < mmc:
        return True
    if ind.unit not in ("percent", "per_10k", "ratio") or ind.section == "spending" or pd.isna(num) \
            or pd.isna(den) or den <= 0:
        return abs(value - ref) < mmc
    scale = {"percent": 100.0, "per_10k": 1e4, "ratio": 1.0}[ind.unit]
    if ind.unit == "percent":
        p, n, z = ref / 100, den, Z95
        centre = (2 * n * p + z * z) / (2 * (n + z * z))
        half = z * math.sqrt(z * z + 4 * n * p * (1 - p)) / (2 * (n + z * z))
        return (centre - half) * 100 <= value <= (centre + half) * 100
    mu = ref / scale * den
    lo = stats.chi2.ppf(0.025, 2 * mu) / 2 if mu > 0 else 0.0
    hi = stats.chi2.ppf(0.975, 2 * (mu + 1)) / 2
    return lo / den * scale <= value <= hi / den * scale


# --------------------------------------------------------------------------- the checks

_CMP = re.compile(r"(higher than|lower than|similar to) (its statistical neighbours|its comparator group|"
                  r"the other councils in its region|England) \(([^)]+)\)(?: and (?:(higher than|lower than|"
                  r"similar to) )?England \(([^)]+)\))?")


def _comparisons(t: Truth, iid, period, code, text, value, r) -> list[Claim]:
    ind = t.cat[iid]
    out = []
    for m in _CMP.finditer(text):
        pairs = [(m.group(1), m.group(2), m.group(3))]
        if m.group(5):
            pairs.append((m.group(4) or m.group(1), "England", m.group(5)))
        for verb, who, shown in pairs:
            ref = t.england(iid, period) if who == "England" else t.neighbour_mean(iid, period, code)
            ok = _same(ind, shown, ref)
            if verb == "higher than":
                ok &= value > ref
            elif verb == "lower than":
                ok &= value < ref
            else:
                ok &= _within_chance(ind, value, ref, r.numerator, r.denominator)
            out.append(Claim("comparison", f"{verb} {who} ({shown})", bool(ok)))
    return out


_RANK = re.compile(r"It ranks (joint )?(\d+)\w\w of (\d+) among its neighbours(?: and (joint )?(\d+)\w\w of (\d+) in "
                   r"(?:the )?([^.]+))?\.")
_RANK_OLD = re.compile(r"It (?:ranks|is) (joint )?(\d+)\w\w of (\d+) among its neighbours")
_POS = re.compile(r"Among (\d+) councils in England it is (joint )?(\d+)\w\w(?: highest)?, in the ([\w-]+) quarter")


def _ranks(t: Truth, iid, period, code, text) -> list[Claim]:
    out = []
    m = _RANK.search(text) or _RANK_OLD.search(text)
    if m:
        r, n, tied = t.rank_in_group(iid, period, code)
        ok = (int(m.group(2)), int(m.group(3))) == (r, n) and bool(m.group(1)) == tied
        out.append(Claim("rank", m.group(0), ok, f"truth {'joint ' if tied else ''}{r} of {n}"))
        if m.re is _RANK and m.group(5):
            r, n, tied = t.rank_in_region(iid, period, code)
            ok = (int(m.group(5)), int(m.group(6))) == (r, n) and bool(m.group(4)) == tied
            out.append(Claim("region rank", m.group(0), ok, f"truth {'joint ' if tied else ''}{r} of {n}"))
    m = _POS.search(text)
    if m:
        r, n, tied, quarter = t.position(iid, period, code)
        ok_pos = (int(m.group(3)), int(m.group(1))) == (r, n)
        out.append(Claim("position", m.group(0), ok_pos, f"truth {r} of {n}"))
        out.append(Claim("joint", m.group(0), bool(m.group(2)) == tied, f"tied={tied}"))
        out.append(Claim("quarter", m.group(0), m.group(4) == quarter, f"truth {quarter}"))
    return out


def _steps(t: Truth, iid, code, start: int, end: int) -> list[float]:
    return [t.value(iid, p, code) for p in range(start, end + 1)]


_EACH = re.compile(r"has (risen|fallen) each year since ([^,]+), from ([^ ]+(?: per 10,000)?) to (\S+(?: per 10,000)?)"
                   r"\.(?:\s|$)")
# a school or financial year is 'in 2021-22' or 'in the 2022/23 school year', other periods 'at 31 March 2023'
_WHEN = r"(?:at |in (?:the )?)(.+?)(?: school year)?"
_THAN = re.compile(rf"is (higher|lower) than {_WHEN} \(([^)]+)\)(?:, though (up|down) from (.+?) {_WHEN}|, though "
                   r"it has not (?:risen|fallen) every year)?\.(?:\s|$)")
_OLD = re.compile(r"has (risen|fallen) (for|over) (three|five) years")


def _trends(t: Truth, iid, period, code, text) -> list[Claim]:
    ind = t.cat[iid]
    out = []
    for m in _EACH.finditer(text):
        start = _period_of(ind, m.group(2))
        vals = _steps(t, iid, code, start, period) if start else []
        diffs = np.diff(vals) if len(vals) > 1 else np.array([])
        ok = len(diffs) > 0 and not np.isnan(diffs).any() and (
            (diffs > 0).all() if m.group(1) == "risen" else (diffs < 0).all())
        ok &= _same(ind, m.group(3), vals[0]) and _same(ind, m.group(4), vals[-1]) if vals else False
        out.append(Claim("trend", m.group(0), bool(ok), f"series {vals}"))
    for m in _THAN.finditer(text):
        start = _period_of(ind, m.group(2))
        first, last = t.value(iid, start, code), t.value(iid, period, code)
        ok = _same(ind, m.group(3), first) and (last > first if m.group(1) == "higher" else last < first)
        if m.group(4):
            q = _period_of(ind, m.group(6))
            prev = t.value(iid, q, code)
            ok &= q == period - 1 and _same(ind, m.group(5), prev) and (last < prev if m.group(4) == "down"
                                                                          else last > prev)
        elif "not" in m.group(0):
            diffs = np.diff(_steps(t, iid, code, start, period))
            ok &= bool(np.isnan(diffs).any() or ((diffs >= 0).any() if m.group(1) == "lower" else (diffs <= 0).any()))
        out.append(Claim("trend", m.group(0), bool(ok), f"first {first}, last {last}"))
    for m in _OLD.finditer(text):
        years = 3 if m.group(3) == "three" else 5
        diffs = np.diff(_steps(t, iid, code, period - years + 1, period))
        ok = not np.isnan(diffs).any() and ((diffs > 0).all() if m.group(1) == "risen" else (diffs < 0).all())
        out.append(Claim("trend", m.group(0), bool(ok), f"steps {diffs}"))
    return out


_CHANGE = re.compile(r"That is (up|down) from (.+?) (?:at|in) (?:the year to )?(.+?)(?:,|\.(?:\s|$))")


def _changes(t: Truth, iid, period, code, text) -> list[Claim]:
    out = []
    cur, prev = t.value(iid, period, code), t.value(iid, period - 1, code)
    for m in _CHANGE.finditer(text):
        ok = cur > prev if m.group(1) == "up" else cur < prev
        out.append(Claim("change", m.group(0), bool(ok), f"{prev} -> {cur}"))
    m = re.search(r"That (rise|fall) is", text)
    if m:
        out.append(Claim("change", m.group(0), bool(cur > prev if m.group(1) == "rise" else cur < prev)))
    return out


def check_text(t: Truth, iid: str, period: int, code: str, text: str) -> list[Claim]:
    """Every claim in ``text`` (the sentences about one council's figure for
    ``iid`` at ``period``), checked against the release."""
    r = t.row(iid, period, code)
    if r is None or r.status != "ok" or pd.isna(r.value):
        return []
    value = float(r.value)
    claims = _comparisons(t, iid, period, code, text, value, r) + _trends(t, iid, period, code, text)
    claims += _changes(t, iid, period, code, text)
    if "among its neighbours" in text or "councils in England it is" in text:
        if not t.comparable(iid, period, r) or t.cat[iid].is_context:
            claims.append(Claim("rank", "a rank for a figure that is not comparable, or a context measure", False))
        else:
            claims += _ranks(t, iid, period, code, text)
    if "too few" in text or "counts behind it are suppressed" in text:
        claims.append(Claim("small", "not comparable", not t.comparable(iid, period, r)))
    elif re.search(r"(higher|lower) than (its|England)", text) and not t.comparable(iid, period, r):
        claims.append(Claim("small", "compared although not comparable", False))
    return claims


def summarise(claims: list[Claim]) -> dict:
    out: dict[str, list[int]] = {}
    for c in claims:
        tally = out.setdefault(c.kind, [0, 0])
        tally[0] += 1
        tally[1] += not c.true
    return out


_TRUTHS: dict = {}


def truth_for(store) -> Truth:
    """One Truth per store content."""
    key = getattr(store, "key", "") or id(store)
    if key not in _TRUTHS:
        _TRUTHS[key] = Truth(store)
    return _TRUTHS[key]
