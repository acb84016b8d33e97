"""Deterministic demo data: fictional councils in the official file formats.

The demo lets anyone run the whole pipeline without official data. It writes
invented figures for 14 fictional councils in 3 fictional regions into files
that have *exactly* the layout of the real DfE and ONS releases of the same
name (same header, column order, byte-order mark, quoted empty strings,
``Reporting year``, National / Regional / Local authority rows, suppression
codes), so the demo goes through the same loaders as real data.

Everything is generated from one seeded :class:`numpy.random.Generator`: the
same seed always gives byte-identical files.

What the demo reproduces from the real releases
-----------------------------------------------
* National ("England", E92000001) and regional rows are recomputed from the
  demo councils only. As DfE does, national and regional *counts* in the
  children-in-need, child-protection and children-looked-after families are
  rounded to a multiple of 10 while percentages and rates are computed from
  the unrounded sums; workforce (csww) and population figures are plain sums.
  Aggregates include suppressed (``c``) and low-reliability (``u``) council
  figures, and exclude council-years that are not available (``x``).
* Derived values are recomputed exactly as in the real files (DATA_GUIDE §2):
  percentages to 1 dp (CIN/CP, csww) or whole numbers (CLA family), CLA rates
  ``round(count / population * 10000)`` with the population of ONS mid-(Y-1),
  caseload ``cases / case_holders_fte`` and so on. Rounding is half-up.
* Codes: ``c`` for council counts of 1-5 in CIN/CP files (with secondary
  suppression in d5) and the percentages derived from them; ``x`` for a
  council-year that is not available; ``z`` for a percentage whose
  denominator is 0, for councils that did not exist in a CLA-family year and
  for the island council's CLA figures (as the real Isles of Scilly); ``u``
  for low-reliability returns; ``low`` for a tiny agency workforce (csww);
  ``k`` for a care-leaver percentage that rounds to 0 but is not 0.
* A reorganisation mirroring Northamptonshire: the county of Fenshire (950)
  splits into North Fenshire (960) and South Fenshire (961) on 1 April 2021.
* A joint workforce return mirroring Kingston / Richmond: Marchbury (962) and
  Riverford (963) make one csww return, ``962 / 963``.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

__all__ = [
    "DEMO_REGIONS",
    "DEMO_COUNCILS",
    "DEMO_FILES",
    "generate_demo_data",
    "describe_demo",
]

# --------------------------------------------------------------------------
# The fictional geography
# --------------------------------------------------------------------------

COUNTRY = ("E92000001", "England")

#: (region code, region name, region_ind in the neighbour file)
DEMO_REGIONS: tuple[tuple[str, str, int], ...] = (
    ("E12000901", "Northern Uplands", 1),
    ("E12000902", "Southern Shires", 2),
    ("E12000903", "Western Marches", 3),
)
_REGION_NAME = {code: name for code, name, _ in DEMO_REGIONS}
_REGION_IND = {code: ind for code, _, ind in DEMO_REGIONS}


@dataclass(frozen=True)
class DemoCouncil:
    """One fictional council.

    ``need`` scales every demand measure (1.0 is the demo average), ``pop2012``
    is the 0-17 population in mid-2012, ``growth`` its yearly growth.
    ``role`` is "" for an ordinary council, "predecessor" for the county that
    is abolished in 2021, "successor" for the two unitaries that replace it,
    "island" for the tiny island council and "joint" for the two councils
    making one workforce return.
    """

    la_code: str
    ons_code: str
    name: str
    region_code: str
    pop2012: int
    need: float
    growth: float
    role: str = ""

    @property
    def region_name(self) -> str:
        return _REGION_NAME[self.region_code]


DEMO_COUNCILS: tuple[DemoCouncil, ...] = (
    DemoCouncil("951", "E06009051", "Northmoor", "E12000901", 41800, 1.30, 0.002),
    DemoCouncil("952", "E08009052", "Kestrel Vale", "E12000901", 67900, 1.45, 0.004),
    DemoCouncil("953", "E08009053", "Coldwater", "E12000901", 55200, 1.20, 0.001),
    DemoCouncil("954", "E06009054", "Fellside", "E12000901", 30600, 0.95, -0.002),
    DemoCouncil("955", "E10009055", "Brackenridge", "E12000901", 121500, 0.85, 0.003),
    DemoCouncil("950", "E10009050", "Fenshire", "E12000902", 158300, 1.00, 0.007, "predecessor"),
    DemoCouncil("960", "E06009060", "North Fenshire", "E12000902", 71200, 1.15, 0.007, "successor"),
    DemoCouncil("961", "E06009061", "South Fenshire", "E12000902", 87100, 0.88, 0.007, "successor"),
    DemoCouncil("956", "E06009056", "Westhaven", "E12000902", 48300, 1.10, 0.005),
    DemoCouncil("957", "E10009057", "Ashcombe", "E12000902", 139700, 0.75, 0.006),
    DemoCouncil("958", "E06009058", "Isle of Gannet", "E12000902", 2350, 0.60, -0.004, "island"),
    DemoCouncil("962", "E06009062", "Marchbury", "E12000903", 38900, 1.05, 0.004, "joint"),
    DemoCouncil("963", "E06009063", "Riverford", "E12000903", 35100, 0.80, 0.003, "joint"),
    DemoCouncil("964", "E10009064", "Wyvern Hills", "E12000903", 109800, 0.90, 0.002),
    DemoCouncil("965", "E06009065", "Lowmere", "E12000903", 52600, 1.25, 0.000),
)
_BY_CODE = {c.la_code: c for c in DEMO_COUNCILS}
_PREDECESSOR = "950"
_SUCCESSORS = ("960", "961")
_SPLIT_YEAR = 2021          # 1 April 2021, as Northamptonshire
_JOINT = ("962", "963")

#: Council-years that are published as x / u, as the real quirks they mirror.
_CIN_NOT_AVAILABLE = {("956", 2022)}            # Westhaven: cyber attack (like Hackney)
_B1_LOW_RELIABILITY = {("952", 2024)}            # Kestrel Vale: system change (like Hampshire)
_C1_LOW_RELIABILITY = {("965", 2023)}            # Lowmere: re-referrals unreliable
_CSWW_NOT_AVAILABLE = {("953", 2025)}            # Coldwater: no 2025 workforce return
_CSWW_LOW_AGENCY = {("954", 2023), ("954", 2024), ("954", 2025)}  # Fellside
_CSWW_U_LEAVERS = {("964", 2024)}                # Wyvern Hills: leavers unreliable

CIN_YEARS = range(2013, 2026)
CSWW_YEARS = range(2017, 2026)
ONS_YEARS = range(2012, 2025)
CLA_YEARS = range(2021, 2026)
SWCOUNT_YEAR = 2024

DEMO_FILES: tuple[str, ...] = (
    "csww_indicators_2017_to_2025.csv",
    "b1_children_in_need_2013_to_2025.csv",
    "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv",
    "d3_cpps_subsequent_plan_2013_to_2025.csv",
    "d5_cpps_at31march_by_duration_2013_to_2025.csv",
    "cla_number_and_rate_per_10k_children.csv",
    "la_cla_placement_stability.csv",
    "la_cla_swcount.csv",
    "la_care_leavers_accommodation_suitability.csv",
    "la_care_leavers_activity.csv",
    "ons_mid-year_population_estimates_2012_to_2024.csv",
    "sn_model_2025_wide.csv",
)

# --------------------------------------------------------------------------
# Which council exists where and when
# --------------------------------------------------------------------------


def _in_cin(c: DemoCouncil, year: int) -> bool:
    """CIN/CP files (b1, c1, d3, d5): old code to 2021, new codes from 2022."""
    if c.role == "predecessor":
        return year <= _SPLIT_YEAR
    if c.role == "successor":
        return year > _SPLIT_YEAR
    return True


def _in_csww(c: DemoCouncil, year: int) -> bool:
    """Workforce census (30 September): old code to 2020, new codes from 2021."""
    if c.role == "predecessor":
        return year < _SPLIT_YEAR
    if c.role == "successor":
        return year >= _SPLIT_YEAR
    return True


def _in_ons(c: DemoCouncil, year: int) -> bool:
    """Mid-year population: old code to 2020, new codes from 2021."""
    return _in_csww(c, year)


def _cla_has_data(c: DemoCouncil, year: int) -> bool:
    """CLA family: fixed frame of all codes; the county has data in 2021 only,
    the unitaries from 2022 (population year 2021)."""
    if c.role == "predecessor":
        return year <= _SPLIT_YEAR
    if c.role == "successor":
        return year > _SPLIT_YEAR
    return True


def _sorted_councils(pred: Callable[[DemoCouncil], bool]) -> list[DemoCouncil]:
    """Councils in file order: by region code, then name (as DfE sorts)."""
    return sorted((c for c in DEMO_COUNCILS if pred(c)), key=lambda c: (c.region_code, c.name))


# --------------------------------------------------------------------------
# Numbers: exact half-up rounding and formatting as in the real files
# --------------------------------------------------------------------------


def _dec(x) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _q(x, nd: int = 0) -> Decimal:
    """Round half-up to ``nd`` decimal places."""
    return _dec(x).quantize(Decimal(1).scaleb(-nd), rounding=ROUND_HALF_UP)


def _ratio(num, den, scale: int, nd: int) -> Decimal | None:
    """num / den * scale rounded half-up to nd places, or None when den == 0."""
    d = _dec(den)
    if d == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 40
        return _q(_dec(num) * scale / d, nd)


def _fmt(x) -> str:
    """Write a number the way the releases do: no trailing '.0'."""
    if isinstance(x, str):
        return x
    d = _dec(x)
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def _round10(x) -> int:
    return int(_q(_dec(x) / 10, 0) * 10)


def _tenths(x: float) -> Decimal:
    """A full-time-equivalent figure, held exactly to 1 dp."""
    return _q(x, 1)


# --------------------------------------------------------------------------
# Writing CSV exactly like the releases
# --------------------------------------------------------------------------

#: Marker for a cell that the real file writes as a quoted empty string ``""``.
QUOTED_EMPTY = object()


def _cell(v) -> str:
    if v is QUOTED_EMPTY:
        return '""'
    s = _fmt(v)
    if any(ch in s for ch in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s


def _csv_bytes(header: list[str], rows: Iterable[list], bom: bool) -> bytes:
    lines = [",".join(_cell(h) for h in header)]
    lines.extend(",".join(_cell(v) for v in row) for row in rows)
    text = "\n".join(lines) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# Geography prefixes. Two column orders exist (DATA_GUIDE §1).
_GEO_A = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name",
          "region_code", "region_name", "old_la_code", "new_la_code", "la_name"]
_GEO_B = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name",
          "region_code", "region_name", "old_la_code", "la_name", "new_la_code"]


@dataclass(frozen=True)
class _Area:
    level: str                    # National / Regional / Local authority
    region_code: str = ""
    region_name: str = ""
    la_code: str = ""
    ons_code: str = ""
    la_name: str = ""


_NATIONAL = _Area("National")


def _regional(code: str) -> _Area:
    return _Area("Regional", code, _REGION_NAME[code])


def _la_area(c: DemoCouncil) -> _Area:
    return _Area("Local authority", c.region_code, c.region_name, c.la_code, c.ons_code, c.name)


def _geo(year: int, a: _Area, order_b: bool, quote_empty: bool = False) -> list:
    """The geography columns of one row. ``quote_empty`` reproduces d3/d5,
    which write "" for region_code, region_name, new_la_code and la_name on
    National and Regional rows."""
    def q(v):
        return QUOTED_EMPTY if (quote_empty and v == "") else v
    head = [year, "Reporting year", a.level, *COUNTRY, q(a.region_code), q(a.region_name), a.la_code]
    return head + ([a.la_name, a.ons_code] if order_b else [q(a.ons_code), q(a.la_name)])


# --------------------------------------------------------------------------
# The model: plausible figures per council and year
# --------------------------------------------------------------------------


class _Model:
    """Generates the 'true' figures. All random draws happen here, in a fixed
    order, so a seed fully determines every file."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        rng = self.rng
        # Council-level traits, drawn in a fixed order.
        self.trait = {}
        for c in DEMO_COUNCILS:
            self.trait[c.la_code] = {
                "trend": rng.normal(0.0, 0.025),        # drift of demand per year
                "agency": float(np.clip(rng.normal(0.15, 0.07), 0.03, 0.35)),
                "vacancy": float(np.clip(rng.normal(0.15, 0.06), 0.04, 0.32)),
                "caseload": float(np.clip(rng.normal(16.5, 2.0), 11.0, 23.0)),
                "absence": float(np.clip(rng.normal(0.035, 0.01), 0.012, 0.07)),
                "stab": rng.normal(0.0, 0.02),          # placement-stability quality
                "eet": rng.normal(0.0, 0.05),           # care-leaver outcomes
            }
        self.pop = self._population()
        self._need_cache: dict[tuple[str, int, str], float] = {}

    # ---- population --------------------------------------------------
    def _population(self) -> dict[tuple[str, int], int]:
        """ONS mid-year 0-17 population, 2012-2024. The successors share the
        county's population from 2021."""
        rng = self.rng
        pop: dict[tuple[str, int], int] = {}
        for c in DEMO_COUNCILS:
            level = float(c.pop2012)
            for y in ONS_YEARS:
                if y > ONS_YEARS.start:
                    level *= 1 + c.growth + rng.normal(0, 0.003)
                pop[(c.la_code, y)] = int(round(level))
        return pop

    def pop_for(self, code: str, year: int) -> int:
        """Population used for period ``year``: ONS mid-(year-1)."""
        return self.pop[(code, year - 1)]

    # ---- demand --------------------------------------------------------
    def need(self, c: DemoCouncil, year: int, measure: str) -> float:
        """Demand multiplier for one council, year and measure family."""
        key = (c.la_code, year, measure)
        if key not in self._need_cache:
            t = self.trait[c.la_code]["trend"]
            national_cycle = 1 + 0.04 * np.sin((year - 2013) / 2.2)
            self._need_cache[key] = float(
                c.need * (1 + t * (year - 2019)) * national_cycle * self.rng.lognormal(0, 0.05))
        return self._need_cache[key]

    def count(self, mean: float) -> int:
        return int(self.rng.poisson(max(mean, 0.0)))

    def binom(self, n: int, p: float) -> int:
        return int(self.rng.binomial(max(n, 0), float(np.clip(p, 0.0, 1.0))))


# --------------------------------------------------------------------------
# Generic table builder: LA rows -> regional and national aggregates
# --------------------------------------------------------------------------


@dataclass
class _Row:
    """One council (or aggregate) row before formatting.

    ``values`` holds true figures (ints or Decimals); ``codes`` overrides a
    cell with a code such as "c"; ``available`` False means the row is x and
    is left out of aggregates."""

    year: int
    area: _Area
    filters: tuple
    values: dict
    codes: dict
    available: bool = True
    region_code: str = ""


def _aggregate(rows: list[_Row], count_cols: list[str], derive: Callable[[dict], dict],
               round_counts: bool, keep: Callable[[dict], dict] | None = None,
               decimals: int = 1) -> list[_Row]:
    """National and regional rows from LA rows: sums of counts (rounded to 10
    if ``round_counts``, otherwise to ``decimals`` places), derived columns
    recomputed from the unrounded sums."""
    out: list[_Row] = []
    keys = sorted({(r.year, r.filters) for r in rows}, key=lambda k: k[0])
    groups: dict[tuple, list[_Row]] = {}
    for r in rows:
        groups.setdefault((r.year, r.filters, "N"), []).append(r)
        groups.setdefault((r.year, r.filters, r.area.region_code), []).append(r)
    for year, filt in keys:
        for area_key, area in [("N", _NATIONAL)] + [(code, _regional(code)) for code, _, _ in DEMO_REGIONS]:
            members = [r for r in groups.get((year, filt, area_key), []) if r.available]
            sums = {col: sum((_dec(r.values[col]) for r in members), Decimal(0)) for col in count_cols}
            derived = derive(sums)
            shown = {col: (_round10(v) if round_counts else _q(v, decimals)) for col, v in sums.items()}
            shown.update(derived)
            if keep:
                shown.update(keep(sums))
            out.append(_Row(year, area, filt, shown, {}))
    return out


def _order(rows: list[_Row], filter_order: Callable[[tuple], tuple] | None = None) -> list[_Row]:
    level_rank = {"National": 0, "Regional": 1, "Local authority": 2}

    def key(r: _Row):
        return (-r.year, level_rank[r.area.level], r.area.region_code, r.area.la_name,
                filter_order(r.filters) if filter_order else r.filters)
    return sorted(rows, key=key)


def _pct_or_code(num_col: str, den_col: str, values: dict, codes: dict, nd: int,
                 scale: int = 100) -> object:
    """A percentage cell for an LA: c if either input is suppressed, z if the
    denominator is 0, otherwise the rounded ratio."""
    if codes.get(num_col) == "c" or codes.get(den_col) == "c":
        return "c"
    r = _ratio(values[num_col], values[den_col], scale, nd)
    return "z" if r is None else r


# --------------------------------------------------------------------------
# Children in need and child protection (b1, c1, d3, d5)
# --------------------------------------------------------------------------

_B1_COLS = ["Anypoint_episodes", "Anypoint_child", "Started_episodes", "Started_child",
            "Ended_episodes", "Ended_child", "At31_episodes", "awaiting_assessment"]
_C1_COUNTS = ["referral_count", "rereferral_count", "no_further_action_count", "not_in_need_count",
              "referral_child_count", "rereferral_child_count"]
_C1_PCTS = {"rereferral_percent": ("rereferral_count", "referral_count"),
            "no_further_action_percent": ("no_further_action_count", "referral_count"),
            "not_in_need_percent": ("not_in_need_count", "referral_count"),
            "rereferral_child_percent": ("rereferral_child_count", "referral_child_count")}
_C1_HEADER = ["referral_count", "rereferral_count", "rereferral_percent", "no_further_action_count",
              "no_further_action_percent", "not_in_need_count", "not_in_need_percent",
              "referral_child_count", "rereferral_child_count", "rereferral_child_percent"]
_D5_BANDS = ["3_months_or_less", "more_than_3_months_6_months", "more_than_6_months_less_than_1_year",
             "1_year_less_than_2_years", "2_years_or_more"]


def _suppress_small(values: dict, cols: Iterable[str]) -> dict:
    """c for council counts of 1 to 5 (DfE's CIN rule)."""
    return {col: "c" for col in cols if 1 <= int(values[col]) <= 5}


def _c1_values(m: _Model, c: DemoCouncil, year: int, p: float) -> tuple[dict, dict]:
    """(values, codes) of one council's referrals and re-referrals (c1)."""
    ref = m.count(540e-4 * p * m.need(c, year, "ref"))
    rr = m.binom(ref, m.rng.normal(0.21, 0.03))
    nfa_p = max(0.0, m.rng.normal(0.06, 0.04)) if m.rng.random() > 0.08 else 0.0
    nfa = m.binom(ref, nfa_p)
    nin = m.binom(ref, m.rng.normal(0.29, 0.06))
    ref_child = m.binom(ref, m.rng.uniform(0.86, 0.92))
    rr_child = min(m.binom(rr, m.rng.uniform(0.80, 0.90)), ref_child)
    v = dict(zip(_C1_COUNTS, [ref, rr, nfa, nin, ref_child, rr_child]))
    codes = _suppress_small(v, _C1_COUNTS)
    for pc, (num, den) in _C1_PCTS.items():
        val = _pct_or_code(num, den, v, codes, 1)
        if isinstance(val, str):
            codes[pc] = val
        else:
            v[pc] = val
    if (c.la_code, year) in _C1_LOW_RELIABILITY:
        for col in ("rereferral_count", "rereferral_percent", "rereferral_child_count", "rereferral_child_percent"):
            codes[col] = "u"
    return v, codes


def _b1_values(m: _Model, c: DemoCouncil, year: int, p: float, referrals: int) -> tuple[dict, dict]:
    """(values, codes) of one council's children in need (b1)."""
    at31 = m.count(330e-4 * p * m.need(c, year, "cin"))
    started = m.binom(referrals, m.rng.uniform(0.55, 0.72))
    ended = max(0, int(round(started * m.rng.normal(1.0, 0.06))))
    anyp = at31 + ended
    v = {"Anypoint_episodes": anyp, "Anypoint_child": m.binom(anyp, m.rng.uniform(0.92, 0.96)),
         "Started_episodes": started, "Started_child": m.binom(started, m.rng.uniform(0.92, 0.97)),
         "Ended_episodes": ended, "Ended_child": m.binom(ended, m.rng.uniform(0.92, 0.97)),
         "At31_episodes": at31, "awaiting_assessment": m.binom(at31, m.rng.uniform(0.0, 0.06))}
    codes = _suppress_small(v, _B1_COLS)
    if (c.la_code, year) in _B1_LOW_RELIABILITY:
        codes = {col: "u" for col in _B1_COLS}
    return v, codes


def _d3_values(m: _Model, c: DemoCouncil, year: int, p: float) -> tuple[dict, dict]:
    """(values, codes) of one council's plans starting, second or subsequent (d3)."""
    start = m.count(60e-4 * p * m.need(c, year, "cp"))
    subs = m.binom(start, m.rng.normal(0.235, 0.04))
    v = {"CPP_start": start, "CPP_subsequent": subs}
    codes = _suppress_small(v, ["CPP_start", "CPP_subsequent"])
    val = _pct_or_code("CPP_subsequent", "CPP_start", v, codes, 1)
    if isinstance(val, str):
        codes["CPP_subsequent_percent"] = val
    else:
        v["CPP_subsequent_percent"] = val
    return v, codes


def _d5_values(m: _Model, c: DemoCouncil, year: int, p: float) -> tuple[dict, dict]:
    """(values, codes) of one council's plans open at 31 March by duration (d5)."""
    at31cp = m.count(42e-4 * p * m.need(c, year, "cp"))
    shares = m.rng.dirichlet(np.array([31.5, 25.5, 26.3, 14.4, 2.3]) * 4)
    bands = m.rng.multinomial(at31cp, shares) if at31cp else [0] * 5
    v = {"CPP_At31": at31cp, **{b: int(n) for b, n in zip(_D5_BANDS, bands)}}
    codes = _suppress_small(v, ["CPP_At31", *_D5_BANDS])
    small = [b for b in _D5_BANDS if codes.get(b) == "c"]
    if len(small) == 1 and "CPP_At31" not in codes:
        # Secondary suppression: one hidden band could be recovered by
        # subtraction, so hide the smallest other non-zero band too.
        others = sorted((v[b], i, b) for i, b in enumerate(_D5_BANDS) if b not in small and v[b] > 0)
        if others:
            codes[others[0][2]] = "c"
    for b in _D5_BANDS:
        val = _pct_or_code(b, "CPP_At31", v, codes, 1)
        if isinstance(val, str):
            codes[b + "_percent"] = val
        else:
            v[b + "_percent"] = val
    return v, codes


def _cin_tables(m: _Model) -> dict[str, list[list]]:
    """Rows (formatted lists, without header) of b1, c1, d3 and d5."""
    b1: list[_Row] = []
    c1: list[_Row] = []
    d3: list[_Row] = []
    d5: list[_Row] = []
    for year in CIN_YEARS:
        for c in _sorted_councils(lambda c: _in_cin(c, year)):
            p = m.pop_for(c.la_code, year)
            area = _la_area(c)
            avail = (c.la_code, year) not in _CIN_NOT_AVAILABLE
            v, codes = _c1_values(m, c, year, p)
            c1.append(_Row(year, area, ("Referrals and Re-referrals",), v, codes, avail))
            v, codes = _b1_values(m, c, year, p, v["referral_count"])
            b1.append(_Row(year, area, ("Children in Need",), v, codes, avail))
            v, codes = _d3_values(m, c, year, p)
            d3.append(_Row(year, area, ("Child Protection Plans which are a second or subsequent plan",),
                           v, codes, avail))
            v, codes = _d5_values(m, c, year, p)
            d5.append(_Row(year, area, ("Child Protection Plans by length of time",), v, codes, avail))

    for r in b1 + c1 + d3 + d5:
        if not r.available:
            r.codes = {}        # the whole council-year is x

    def c1_derive(s):
        return {pc: (_ratio(s[n], s[d], 100, 1) if s[d] else "z") for pc, (n, d) in _C1_PCTS.items()}

    def d3_derive(s):
        r = _ratio(s["CPP_subsequent"], s["CPP_start"], 100, 1)
        return {"CPP_subsequent_percent": "z" if r is None else r}

    def d5_derive(s):
        out = {}
        for b in _D5_BANDS:
            r = _ratio(s[b], s["CPP_At31"], 100, 1)
            out[b + "_percent"] = "z" if r is None else r
        return out

    specs = {
        "b1": (b1, _B1_COLS, lambda s: {}, _B1_COLS, False),
        "c1": (c1, _C1_COUNTS, c1_derive, _C1_HEADER, False),
        "d3": (d3, ["CPP_start", "CPP_subsequent"], d3_derive,
               ["CPP_start", "CPP_subsequent", "CPP_subsequent_percent"], True),
        "d5": (d5, ["CPP_At31", *_D5_BANDS], d5_derive,
               ["CPP_At31"] + [x for b in _D5_BANDS for x in (b, b + "_percent")], True),
    }
    out: dict[str, list[list]] = {}
    for key, (rows, counts, derive, value_cols, quote) in specs.items():
        allrows = _order(rows + _aggregate(rows, counts, derive, round_counts=True))
        out[key] = [_format_row(r, value_cols, order_b=False, quote_empty=quote) for r in allrows]
    return out


def _format_row(r: _Row, value_cols: list[str], order_b: bool, quote_empty: bool = False) -> list:
    geo = _geo(r.year, r.area, order_b, quote_empty and r.area.level != "Local authority")
    if not r.available:
        # Not available: x, unless the release writes other codes (e.g. z
        # for a council that did not exist that year).
        vals = [r.codes.get(col, "x") for col in value_cols]
    else:
        vals = [r.codes.get(col, r.values.get(col, "x")) for col in value_cols]
    return geo + list(r.filters) + vals


# --------------------------------------------------------------------------
# Workforce (csww)
# --------------------------------------------------------------------------

_CSWW_COLS = ["inpost_fte", "inpost_headcount", "starters_fte", "starters_headcount", "leavers_fte",
              "leavers_headcount", "turnover_rate_fte", "turnover_rate_headcount", "agency_fte",
              "agency_headcount", "agency_rate_fte", "agency_rate_headcount", "agency_cover_fte",
              "agency_cover_rate_fte", "vacancy_fte", "vacancy_rate_fte", "vacancy_agency_cover_rate_fte",
              "case_holders_fte", "cases", "caseload_fte", "working_days_lost_fte", "absence_rate_fte"]
_CSWW_COUNTS = ["inpost_fte", "inpost_headcount", "starters_fte", "starters_headcount", "leavers_fte",
                "leavers_headcount", "agency_fte", "agency_headcount", "agency_cover_fte", "vacancy_fte",
                "case_holders_fte", "cases", "working_days_lost_fte"]


def _csww_derive(s: dict) -> dict:
    """The csww rate formulas (DATA_GUIDE §2), 1 dp; z where a denominator is 0."""
    def r(num, den, scale=100):
        x = _ratio(num, den, scale, 1)
        return "z" if x is None else x
    return {
        "turnover_rate_fte": r(s["leavers_fte"], s["inpost_fte"]),
        "turnover_rate_headcount": r(s["leavers_headcount"], s["inpost_headcount"]),
        "agency_rate_fte": r(s["agency_fte"], s["agency_fte"] + s["inpost_fte"]),
        "agency_rate_headcount": r(s["agency_headcount"], s["agency_headcount"] + s["inpost_headcount"]),
        "agency_cover_rate_fte": r(s["agency_cover_fte"], s["agency_fte"]),
        "vacancy_rate_fte": r(s["vacancy_fte"], s["vacancy_fte"] + s["inpost_fte"]),
        "vacancy_agency_cover_rate_fte": r(s["agency_cover_fte"], s["vacancy_fte"]),
        "caseload_fte": r(s["cases"], s["case_holders_fte"], 1),
        "absence_rate_fte": r(s["working_days_lost_fte"], s["inpost_fte"] * 253),
    }


def _csww_council(m: _Model, c: DemoCouncil, year: int) -> dict:
    """True workforce counts for one council and census year."""
    t = m.trait[c.la_code]
    rng = m.rng
    p = m.pop[(c.la_code, min(year, ONS_YEARS.stop - 1))]
    inpost = _tenths(max(2.0, p / 1e4 * 30 * c.need ** 0.6 * rng.lognormal(0, 0.05)
                         * (1 + 0.012 * (year - 2017))))
    inpost_hc = max(int(np.ceil(float(inpost))), int(round(float(inpost) * rng.uniform(1.03, 1.08))))
    starters = _tenths(float(inpost) * rng.uniform(0.10, 0.22))
    leavers = _tenths(float(inpost) * rng.uniform(0.09, 0.20))
    a = float(np.clip(t["agency"] * rng.lognormal(0, 0.15), 0.0, 0.45))
    if c.role == "island":
        a = 0.0 if rng.random() < 0.7 else 0.1
    if (c.la_code, year) in _CSWW_LOW_AGENCY:
        agency = Decimal("0.04")   # non-zero but rounds to 0.0: published as "low"
    else:
        agency = _tenths(float(inpost) * a / (1 - a))
    v = float(np.clip(t["vacancy"] * rng.lognormal(0, 0.15), 0.0, 0.45))
    if c.role == "island":
        v = 0.0 if rng.random() < 0.5 else 0.12
    vacancy = _tenths(float(inpost) * v / (1 - v))
    cover = _tenths(float(min(agency, vacancy)) * rng.uniform(0.7, 1.0))
    if (c.la_code, year) in _CSWW_LOW_AGENCY:
        cover = agency
    holders = _tenths(float(inpost) * rng.uniform(0.55, 0.70))
    cases = int(round(float(holders) * t["caseload"] * rng.lognormal(0, 0.06)))
    days = _tenths(float(inpost) * 253 * t["absence"] * rng.lognormal(0, 0.2))
    return {
        "inpost_fte": inpost, "inpost_headcount": inpost_hc,
        "starters_fte": starters, "starters_headcount": int(np.ceil(float(starters) * rng.uniform(1.0, 1.06))),
        "leavers_fte": leavers, "leavers_headcount": int(np.ceil(float(leavers) * rng.uniform(1.0, 1.06))),
        "agency_fte": agency, "agency_headcount": int(np.ceil(float(agency) * rng.uniform(1.0, 1.04))),
        "agency_cover_fte": cover, "vacancy_fte": vacancy,
        "case_holders_fte": holders, "cases": cases, "working_days_lost_fte": days,
    }


def _csww_table(m: _Model) -> list[list]:
    rows: list[_Row] = []
    for year in CSWW_YEARS:
        for c in _sorted_councils(lambda c: _in_csww(c, year)):
            if c.la_code == _JOINT[1]:
                continue  # folded into the joint row below
            vals = _csww_council(m, c, year)
            area = _la_area(c)
            if c.la_code == _JOINT[0]:
                other = _BY_CODE[_JOINT[1]]
                vals2 = _csww_council(m, other, year)
                vals = {k: vals[k] + vals2[k] for k in vals}
                area = _Area("Local authority", c.region_code, c.region_name,
                             f"{c.la_code} / {other.la_code}", f"{c.ons_code} / {other.ons_code}",
                             f"{c.name} / {other.name}")
            vals.update(_csww_derive(vals))
            codes = {k: v for k, v in vals.items() if isinstance(v, str)}
            if (c.la_code, year) in _CSWW_LOW_AGENCY:
                codes.update({"agency_fte": "low", "agency_rate_fte": "low", "agency_cover_fte": "low"})
            if (c.la_code, year) in _CSWW_U_LEAVERS:
                codes.update({"leavers_fte": "u", "turnover_rate_fte": "u"})
            avail = (c.la_code, year) not in _CSWW_NOT_AVAILABLE
            rows.append(_Row(year, area, (), vals, codes, avail))
    allrows = _order(rows + _aggregate(rows, _CSWW_COUNTS, _csww_derive, round_counts=False))
    return [_format_row(r, _CSWW_COLS, order_b=False) for r in allrows]


# --------------------------------------------------------------------------
# Children looked after family (2021-2025)
# --------------------------------------------------------------------------

_POP_TYPES = ("Children ceasing to be looked after each year",
              "Children looked after on 31 March each year",
              "Children starting to be looked after each year")
_PS_GROUPS = (
    ("Children looked after continuously for at least 2.5 years on 31 March aged under 16 years",
     "Living with the same carer for at least 2 years"),
    ("CLA 2 years on 31 March", "With 3 or more placements during the previous 2 years"),
    ("CLA on 31 March", "With 3 or more placements during the year"),
)
_CL_AGES = ("17 to 18 years", "19 to 21 years")
_ACCOM = ("Accommodation considered suitable", "Accommodation considered unsuitable",
          "No information", "Suitability total")
_ACT = ("Education other than higher education", "Higher education i.e. studies beyond A level",
        "In an apprenticeship", "In training or employment",
        "In training or employment (excl. apprenticeship)",
        "Not in education, training or employment, owing to illness or disability",
        "Not in education, training or employment, owing to other reasons",
        "Not in education, training or employment, owing to pregnancy or parenting",
        "Total", "Total in education, employment or training", "Total information not known",
        "Total not in education, employment or training")


def _activity_not_applicable(label: str, year: int) -> bool:
    """The care-leaver activity breakdowns published as z: the split of
    training/employment into apprenticeships started in 2022."""
    if year <= 2021:
        return label in ("In an apprenticeship", "In training or employment (excl. apprenticeship)")
    return label == "In training or employment"


def _ci_key(filters: tuple) -> tuple:
    return tuple(f.lower() for f in filters)


class _ClaFamily:
    """Generates children looked after, placement stability, social worker
    changes and care leavers consistently (CLA on 31 March is the total
    in placement stability and swcount; care-leaver cohorts scale with it)."""

    def __init__(self, m: _Model):
        self.m = m
        self.cla: dict[tuple[str, int], dict[str, int]] = {}
        prev: dict[str, int] = {}
        for year in range(2020, CLA_YEARS.stop):
            for c in DEMO_COUNCILS:
                if c.role == "predecessor" and year > _SPLIT_YEAR:
                    continue
                if c.role == "successor" and year <= _SPLIT_YEAR:
                    continue
                p = m.pop_for(c.la_code, year)
                target = m.count(70e-4 * p * m.need(c, year, "cla"))
                starting = m.count(26e-4 * p * m.need(c, year, "cla_flow"))
                if c.la_code in prev:
                    last = prev[c.la_code]
                elif c.role == "successor":
                    share = m.pop[(c.la_code, 2021)] / sum(m.pop[(s, 2021)] for s in _SUCCESSORS)
                    last = int(round(prev[_PREDECESSOR] * share))
                else:
                    last = target
                ceasing = last + starting - target
                if ceasing < 0:
                    starting -= ceasing
                    ceasing = 0
                prev[c.la_code] = target
                self.cla[(c.la_code, year)] = {"on31": target, "start": starting, "cease": ceasing}

    def _frame(self):
        """(year, council, has_data) for the fixed CLA frame: every code every year."""
        for year in CLA_YEARS:
            for c in _sorted_councils(lambda c: True):
                yield year, c, _cla_has_data(c, year) and c.role != "island"

    # ---- cla_number -------------------------------------------------------
    def cla_number(self) -> list[list]:
        m = self.m
        rows: list[_Row] = []
        for year, c, has in self._frame():
            for pt in _POP_TYPES:
                if not has and c.role != "island":
                    rows.append(_Row(year, _la_area(c), (pt,), {}, {
                        "population_estimate": "x", "children_count": "z", "rate_per_10000": "z"},
                        available=False))
                    continue
                pop = m.pop_for(c.la_code, year)
                if c.role == "island":   # as the Isles of Scilly: population only
                    rows.append(_Row(year, _la_area(c), (pt,), {"population_estimate": pop, "children_count": 0},
                                     {"children_count": "z", "rate_per_10000": "z"}))
                    continue
                key = {"Children ceasing to be looked after each year": "cease",
                       "Children looked after on 31 March each year": "on31",
                       "Children starting to be looked after each year": "start"}[pt]
                n = self.cla[(c.la_code, year)][key]
                vals = {"population_estimate": pop, "children_count": n,
                        "rate_per_10000": _ratio(n, pop, 10000, 0)}
                codes = {"children_count": "c", "rate_per_10000": "c"} if 1 <= n <= 5 else {}
                rows.append(_Row(year, _la_area(c), (pt,), vals, codes))

        def derive(s):
            r = _ratio(s["children_count"], s["population_estimate"], 10000, 0)
            return {"rate_per_10000": "z" if r is None else r,
                    "population_estimate": s["population_estimate"]}
        agg = _aggregate(rows, ["population_estimate", "children_count"], derive, round_counts=True)
        allrows = _order(rows + agg, _ci_key)
        return [_format_row(r, ["population_estimate", "children_count", "rate_per_10000"], order_b=True)
                for r in allrows]

    # ---- helpers for total/part tables ------------------------------------
    def _parts_table(self, rows: list[_Row], count_col: str, pct_col: str, total_label_of) -> list[list]:
        """Aggregate a long table where each filter group has a total row;
        percentages = count / group total, whole numbers."""
        agg_rows: list[_Row] = []
        # Aggregate each (filters) cell as a plain sum first.
        agg = _aggregate(rows, [count_col], lambda s: {}, round_counts=False)
        by_key: dict[tuple, dict] = {}
        for r in agg:
            by_key.setdefault((r.year, r.area.level, r.area.region_code, r.filters[:-1]), {})[r.filters[-1]] = r
        for (year, level, region, prefix), parts in by_key.items():
            total_label = total_label_of(prefix)
            total = parts[total_label].values[count_col]
            for label, r in parts.items():
                raw = r.values[count_col]
                pct = _ratio(raw, total, 100, 0)
                if _activity_not_applicable(label, year):
                    vals = {count_col: "z", pct_col: "z"}
                else:
                    vals = {count_col: _round10(raw), pct_col: "z" if pct is None else pct}
                agg_rows.append(_Row(year, r.area, r.filters, vals, {}))
        return agg_rows

    @staticmethod
    def _part_codes(n: int, total: int, pct, small_c: bool) -> dict:
        if total == 0:
            return {"pct": "z"}
        if small_c and 1 <= n <= 5 and total < 200:
            return {"count": "c", "pct": "c"}
        if n > 0 and pct == 0:
            return {"pct": "k"}
        return {}

    # ---- placement stability ------------------------------------------------
    def placement_stability(self) -> list[list]:
        m = self.m
        rows: list[_Row] = []
        for year, c, has in self._frame():
            if has:
                t = m.trait[c.la_code]["stab"]
                on31 = self.cla[(c.la_code, year)]["on31"]
                two = m.binom(on31, m.rng.uniform(0.62, 0.72))
                lt = m.binom(on31, m.rng.uniform(0.25, 0.33))
                parts = {
                    _PS_GROUPS[0]: (lt, m.binom(lt, 0.69 + t + m.rng.normal(0, 0.03))),
                    _PS_GROUPS[1]: (two, m.binom(two, 0.25 - t + m.rng.normal(0, 0.02))),
                    _PS_GROUPS[2]: (on31, m.binom(on31, 0.10 - t / 2 + m.rng.normal(0, 0.015))),
                }
            for group, measure in _PS_GROUPS:
                for label in sorted(("Total children", measure), key=str.lower):
                    if not has:
                        rows.append(_Row(year, _la_area(c), (group, label), {"children_count": 0},
                                         {"children_count": "z", "children_percent": "z"}, available=False))
                        continue
                    total, n = parts[(group, measure)]
                    n = total if label == "Total children" else n
                    pct = _ratio(n, total, 100, 0)
                    codes = {}
                    if total == 0:
                        codes = {"children_percent": "z"}
                    elif 1 <= total <= 5 or 1 <= n <= 5:
                        codes = {"children_count": "c", "children_percent": "c"}
                    rows.append(_Row(year, _la_area(c), (group, label),
                                     {"children_count": n, "children_percent": pct}, codes))
        agg = self._parts_table(rows, "children_count", "children_percent", lambda prefix: "Total children")
        allrows = _order(rows + agg, _ci_key)
        return [_format_row(r, ["children_count", "children_percent"], order_b=True) for r in allrows]

    # ---- social worker changes (2024 only) ---------------------------------
    def swcount(self) -> list[list]:
        m = self.m
        rows: list[_Row] = []
        year = SWCOUNT_YEAR
        for c in _sorted_councils(lambda c: _cla_has_data(c, year)):
            total = self.cla[(c.la_code, year)]["on31"] if c.role != "island" else 0
            three = m.binom(total, m.rng.normal(0.27, 0.05))
            for label, n in (("Total children", total), ("3 or more social workers during the year", three)):
                if c.role == "island":
                    rows.append(_Row(year, _la_area(c), ("CLA on 31 March", label), {"number": 0},
                                     {"number": "z", "percentage": "z"}))
                    continue
                codes = {"number": "c", "percentage": "c"} if 1 <= n <= 5 else {}
                rows.append(_Row(year, _la_area(c), ("CLA on 31 March", label),
                                 {"number": n, "percentage": _ratio(n, total, 100, 0)}, codes))
        agg = self._parts_table(rows, "number", "percentage", lambda prefix: "Total children")
        order = {"Total children": 0, "3 or more social workers during the year": 1}
        allrows = _order(rows + agg, lambda f: (order[f[1]],))
        return [_format_row(r, ["number", "percentage"], order_b=True) for r in allrows]

    # ---- care leavers ---------------------------------------------------------
    def _cohorts(self) -> dict[tuple[str, int, str], int]:
        """Care leavers per council, year and age band (suitability total)."""
        out = {}
        for year, c, has in self._frame():
            if not has:
                continue
            on31 = self.cla[(c.la_code, year)]["on31"]
            out[(c.la_code, year, _CL_AGES[0])] = self.m.count(0.17 * on31)
            out[(c.la_code, year, _CL_AGES[1])] = self.m.count(0.40 * on31)
        return out

    def care_leavers(self) -> tuple[list[list], list[list]]:
        m = self.m
        cohorts = self._cohorts()
        acc_rows: list[_Row] = []
        act_rows: list[_Row] = []
        for year, c, has in self._frame():
            for age in _CL_AGES:
                if not has:
                    for label in _ACCOM:
                        acc_rows.append(_Row(year, _la_area(c), (age, label), {"care_leaver_count": 0},
                                             {"care_leaver_count": "z", "care_leaver_percent": "z"},
                                             available=False))
                    for label in _ACT:
                        act_rows.append(_Row(year, _la_area(c), (age, label), {"care_leaver_count": 0},
                                             {"care_leaver_count": "z", "care_leaver_percent": "z"},
                                             available=False))
                    continue
                total = cohorts[(c.la_code, year, age)]
                # accommodation
                unsuitable = m.binom(total, m.rng.uniform(0.02, 0.08))
                noinfo = m.binom(total - unsuitable, m.rng.uniform(0.005, 0.07))
                suitable = total - unsuitable - noinfo
                for label, n in zip(_ACCOM, (suitable, unsuitable, noinfo, total)):
                    pct = _ratio(n, total, 100, 0)
                    cd = self._part_codes(n, total, pct, small_c=True)
                    codes = {"care_leaver_count": cd["count"]} if "count" in cd else {}
                    if "pct" in cd:
                        codes["care_leaver_percent"] = cd["pct"]
                    acc_rows.append(_Row(year, _la_area(c), (age, label),
                                         {"care_leaver_count": n, "care_leaver_percent": pct}, codes))
                # activity: Total may differ slightly from the suitability total
                tot = max(0, total + int(m.rng.integers(-1, 3)))
                base_eet = (0.60 if age == _CL_AGES[0] else 0.52) + m.trait[c.la_code]["eet"]
                unknown = m.binom(tot, m.rng.uniform(0.02, 0.10))
                eet = m.binom(tot - unknown, base_eet)
                neet = tot - unknown - eet
                edu_share = 0.72 if age == _CL_AGES[0] else 0.25
                edu = m.binom(eet, edu_share)
                he = m.binom(eet - edu, 0.12 if age == _CL_AGES[0] else 0.20)
                train = eet - edu - he
                appr = m.binom(train, 0.15)
                illness = m.binom(neet, 0.15 if age == _CL_AGES[0] else 0.30)
                preg = m.binom(neet - illness, 0.06 if age == _CL_AGES[0] else 0.12)
                other = neet - illness - preg
                counts = dict(zip(_ACT, (edu, he, appr, train, train - appr, illness, other, preg,
                                         tot, eet, unknown, neet)))
                for label in _ACT:
                    n = counts[label]
                    if _activity_not_applicable(label, year):
                        act_rows.append(_Row(year, _la_area(c), (age, label), {"care_leaver_count": 0},
                                             {"care_leaver_count": "z", "care_leaver_percent": "z"}))
                        continue
                    pct = _ratio(n, tot, 100, 0)
                    cd = self._part_codes(n, tot, pct, small_c=label != "Total")
                    codes = {"care_leaver_count": cd["count"]} if "count" in cd else {}
                    if "pct" in cd:
                        codes["care_leaver_percent"] = cd["pct"]
                    act_rows.append(_Row(year, _la_area(c), (age, label),
                                         {"care_leaver_count": n, "care_leaver_percent": pct}, codes))
        cols = ["care_leaver_count", "care_leaver_percent"]
        acc = _order(acc_rows + self._parts_table(acc_rows, *cols, lambda p: "Suitability total"), _ci_key)
        act = _order(act_rows + self._parts_table(act_rows, *cols, lambda p: "Total"), _ci_key)
        return ([_format_row(r, cols, order_b=True) for r in acc],
                [_format_row(r, cols, order_b=True) for r in act])


# --------------------------------------------------------------------------
# Population and statistical neighbours
# --------------------------------------------------------------------------


def _ons_table(m: _Model) -> list[list]:
    rows: list[_Row] = []
    for year in ONS_YEARS:
        for c in _sorted_councils(lambda c: _in_ons(c, year)):
            rows.append(_Row(year, _la_area(c), ("Children aged 0 to 17 years",),
                             {"population_estimate": m.pop[(c.la_code, year)]}, {}))
    agg = _aggregate(rows, ["population_estimate"], lambda s: {}, round_counts=False)
    return [_format_row(r, ["population_estimate"], order_b=False) for r in _order(rows + agg)]


_CLOSENESS = ((0.25, "Extremely close"), (0.6, "Very close"), (1.1, "Close "),
              (1.8, "Somewhat close"), (float("inf"), "Not close"))


def _sn_table(m: _Model) -> list[list]:
    """Each 2025 council's 10 nearest demo councils by need and size."""
    current = [c for c in DEMO_COUNCILS if c.role != "predecessor"]
    feats = {c.la_code: np.array([c.need / 0.25, np.log(m.pop[(c.la_code, 2024)]) / 0.8])
             for c in current}
    rows = []
    for c in sorted(current, key=lambda c: int(c.la_code)):
        dists = sorted((float(np.linalg.norm(feats[c.la_code] - feats[o.la_code])), int(o.la_code))
                       for o in current if o.la_code != c.la_code)[:10]
        row = [c.la_code, c.name, _REGION_IND[c.region_code], c.region_name]
        for dist, code in dists:
            label = next(lbl for limit, lbl in _CLOSENESS if dist <= limit)
            row += [str(code), label]
        rows.append(row)
    return rows


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

_HEADERS: dict[str, tuple[list[str], bool]] = {
    "csww_indicators_2017_to_2025.csv": (_GEO_A + _CSWW_COLS, False),
    "b1_children_in_need_2013_to_2025.csv": (_GEO_A + ["category"] + _B1_COLS, False),
    "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv": (_GEO_A + ["category"] + _C1_HEADER, False),
    "d3_cpps_subsequent_plan_2013_to_2025.csv":
        (_GEO_A + ["category", "CPP_start", "CPP_subsequent", "CPP_subsequent_percent"], False),
    "d5_cpps_at31march_by_duration_2013_to_2025.csv":
        (_GEO_A + ["category", "CPP_At31"] + [x for b in _D5_BANDS for x in (b, b + "_percent")], False),
    "cla_number_and_rate_per_10k_children.csv":
        (_GEO_B + ["population_type", "population_estimate", "children_count", "rate_per_10000"], True),
    "la_cla_placement_stability.csv":
        (_GEO_B + ["cla_group", "placement_stability", "children_count", "children_percent"], True),
    "la_cla_swcount.csv": (_GEO_B + ["cla_group", "sw_stability", "number", "percentage"], True),
    "la_care_leavers_accommodation_suitability.csv":
        (_GEO_B + ["care_leaver_age", "breakdown", "care_leaver_count", "care_leaver_percent"], False),
    "la_care_leavers_activity.csv":
        (_GEO_B + ["care_leaver_age", "breakdown", "care_leaver_count", "care_leaver_percent"], True),
    "ons_mid-year_population_estimates_2012_to_2024.csv": (_GEO_A + ["age_group", "population_estimate"], False),
    "sn_model_2025_wide.csv": (["old_la_code", "la_name", "region_ind", "region_name"]
                               + [x for i in range(1, 11) for x in (f"SN_{i}", f"SN_{i}P")], True),
}


def demo_headers() -> dict[str, list[str]]:
    """The header of every demo file (identical to the real file's header)."""
    return {name: list(h) for name, (h, _) in _HEADERS.items()}


def _build(seed: int) -> dict[str, bytes]:
    m = _Model(seed)
    tables: dict[str, list[list]] = {}
    tables["ons_mid-year_population_estimates_2012_to_2024.csv"] = _ons_table(m)
    cin = _cin_tables(m)
    tables["b1_children_in_need_2013_to_2025.csv"] = cin["b1"]
    tables["c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"] = cin["c1"]
    tables["d3_cpps_subsequent_plan_2013_to_2025.csv"] = cin["d3"]
    tables["d5_cpps_at31march_by_duration_2013_to_2025.csv"] = cin["d5"]
    tables["csww_indicators_2017_to_2025.csv"] = _csww_table(m)
    fam = _ClaFamily(m)
    tables["cla_number_and_rate_per_10k_children.csv"] = fam.cla_number()
    tables["la_cla_placement_stability.csv"] = fam.placement_stability()
    tables["la_cla_swcount.csv"] = fam.swcount()
    acc, act = fam.care_leavers()
    tables["la_care_leavers_accommodation_suitability.csv"] = acc
    tables["la_care_leavers_activity.csv"] = act
    tables["sn_model_2025_wide.csv"] = _sn_table(m)
    out = {}
    for name in DEMO_FILES:
        header, bom = _HEADERS[name]
        out[name] = _csv_bytes(header, tables[name], bom)
    out[DEMO_FINANCE_FILE] = _ro3_workbook(m, seed)
    from .demo_outcomes import outcome_files
    from .demo_publishers import publisher_files
    out.update(outcome_files(m, fam, seed))
    out.update(publisher_files(m, seed))
    return out


#: The demo's MHCLG revenue outturn (RO3) workbook, in the layout the finance
#: loader reads from the real one: title lines, the header row with E-code,
#: ONS Code, Local authority, Notes and Class, the value columns named as
#: MHCLG names them, an England row and the hidden row of variable codes.
DEMO_FINANCE_FILE = "RO3_LA_Data_2024-25_data_by_LA.ods"
_RO3_COLUMNS = (
    ("Children's social care - Children Looked After - Net Current Expenditure (C7 = C3 - C6)",
     "RO3-csclkd-net-cur-exp"),
    ("TOTAL CHILDREN SOCIAL CARE - Total Expenditure (C3 = C1 + C2)", "RO3-csctot-tot-exp"),
    ("TOTAL CHILDREN SOCIAL CARE - Net Current Expenditure (C7 = C3 - C6)", "RO3-csctot-net-cur-exp"),
)


def _ro3_workbook(m: "_Model", seed: int) -> bytes:
    """2024-25 spend (£ thousand) for the demo's current councils: spend per
    child rises with need, about £900 to £2,000; looked-after children take
    roughly half of it. The same seed gives the same bytes."""
    rows = _ro3_rows(m, seed)
    header = ["E-code", "ONS Code", "Local authority", "Notes", "Class", *[h for h, _ in _RO3_COLUMNS]]
    codes = [None] * 5 + [code for _, code in _RO3_COLUMNS]
    grid = [["Revenue Outturn (RO) 2024-25: Social Care and Public Health (RO3) data - DEMO, fictional councils"],
            ["Data are reported in £ thousand."], header, *rows, codes]
    return _ods_bytes("RO3_LA_Data_202425", grid)


def _ro3_rows(m: "_Model", seed: int) -> list[list]:
    """The RO3 rows: each current council's E-code, ONS code, name, notes,
    class, then looked-after, total and net spend (£ thousand), and England."""
    rng = np.random.default_rng([seed, 2425])
    rows, totals = [], np.zeros(3)
    for i, c in enumerate(DEMO_COUNCILS):
        if c.role == "predecessor":
            continue
        children = m.pop[(c.la_code, 2024)]
        per_child = 1250 * c.need * rng.normal(1.0, 0.08)
        net = round(children * per_child / 1000)
        cla = round(net * rng.uniform(0.42, 0.58))
        total = round(net * rng.uniform(1.05, 1.15))
        totals += (cla, total, net)
        kind = {"E06": "UA", "E08": "MD", "E09": "LB", "E10": "SC"}[c.ons_code[:3]]
        rows.append([f"E9{i:03d}", c.ons_code, f"{c.name} {'CC' if kind == 'SC' else kind}", None, kind,
                     cla, total, net])
    rows.append(["Eng", "E92000001", "ENGLAND", None, "Eng", *[int(t) for t in totals]])
    return rows


def _ods_bytes(sheet: str, grid: list[list]) -> bytes:
    """A minimal OpenDocument spreadsheet with one sheet (see _ods_workbook)."""
    return _ods_workbook([(sheet, grid)])


def _ods_workbook(sheets: list[tuple[str, list[list]]]) -> bytes:
    """A minimal OpenDocument spreadsheet, its sheets in order, written
    directly so the bytes depend on the cells alone (no dates, no library
    state)."""
    import zipfile
    from xml.sax.saxutils import escape, quoteattr

    def cell(v) -> str:
        if v is None:
            return "<table:table-cell/>"
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            return (f'<table:table-cell office:value-type="float" office:value="{v}">'
                    f"<text:p>{v}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'

    def table(sheet: str, grid: list[list]) -> str:
        rows = "".join("<table:table-row>" + "".join(cell(v) for v in r) + "</table:table-row>" for r in grid)
        return f"<table:table table:name={quoteattr(sheet)}>{rows}</table:table>"

    content = ('<?xml version="1.0" encoding="UTF-8"?>\n'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               "<office:body><office:spreadsheet>" + "".join(table(n, g) for n, g in sheets)
               + "</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
                'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data, method in (("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED),
                                   ("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED),
                                   ("content.xml", content, zipfile.ZIP_DEFLATED)):
            info = zipfile.ZipInfo(name, date_time=(2025, 11, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, data.encode("utf-8"))
    return buf.getvalue()


def generator_version(seed: int = 2025) -> str:
    """A digest of the code that writes the demo files (this module and the
    modules it draws on) and the seed: demo files written by another
    version are written again (see :func:`helpers.store.demo_data`)."""
    import hashlib
    h = hashlib.sha256(f"seed={seed}".encode())
    here = Path(__file__).resolve().parent
    for name in ("demo.py", "demo_outcomes.py", "demo_publishers.py"):
        part = here / name
        if part.is_file():
            h.update(name.encode() + b"\0" + part.read_bytes())
    return h.hexdigest()[:24]


def generate_demo_data(out_dir: Path, seed: int = 2025) -> list[Path]:
    """Write the demo release files into ``out_dir`` and return their paths.

    The files have exactly the names and layouts of the real releases, so
    they load with the same loaders. The same ``seed`` always produces
    byte-identical files. Each file is written atomically (temporary file,
    then rename), so an interrupted run never leaves a half-written file.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    out_dir = Path(out_dir)
    return _write_all(out_dir, _build(int(seed)))


def _write_all(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Write each file atomically into ``out_dir``; their paths, in order."""
    paths = []
    for name, data in files.items():
        path = out_dir / name
        _write_atomic(path, data)
        paths.append(path)
    return paths


def describe_demo() -> str:
    """A short, human-readable description of the demo councils for the CLI."""
    buf = io.StringIO()
    buf.write("Demo data: invented figures for fictional councils (not real places or statistics).\n")
    for code, name, _ in DEMO_REGIONS:
        buf.write(f"\n{name} ({code})\n")
        for c in _sorted_councils(lambda c, code=code: c.region_code == code):
            note = {
                "predecessor": f"county abolished 31 March {_SPLIT_YEAR}; data to {_SPLIT_YEAR - 1} "
                               f"(workforce, population) / {_SPLIT_YEAR} (children in need)",
                "successor": f"unitary created 1 April {_SPLIT_YEAR} from Fenshire",
                "island": "tiny island council; many figures suppressed, CLA figures z",
                "joint": "joint workforce return " + " / ".join(_JOINT),
            }.get(c.role, "")
            buf.write(f"  {c.la_code}  {c.ons_code}  {c.name:<16}{'  ' + note if note else ''}\n")
    buf.write("\nQuirks: Westhaven children-in-need 2022 not available (x); Kestrel Vale 2024 "
              "children-in-need low reliability (u); Coldwater 2025 workforce x; Fellside agency "
              "workers 'low' 2023-2025.\n")
    return buf.getvalue()


# --------------------------------------------------------------------------
# Local monthly figures (the council's own template, docs/local-figures.md)
# --------------------------------------------------------------------------

#: The last month of the local demo figures: fixed, so a seed always gives
#: the same bytes whatever the date. 48 months end here.
LOCAL_DEMO_END = (2025, 9)
LOCAL_DEMO_MONTHS = 48

#: Fictional councils outside the English releases (Welsh-style names), with
#: 0-17 population and need as for DemoCouncil. Afon Uchaf is the subject of
#: the no-official-data demo; the other two are its comparator group.
LOCAL_ONLY_COUNCILS: dict[str, tuple[int, float]] = {
    "Afon Uchaf": (24600, 1.10),
    "Bro Derwen": (18900, 0.95),
    "Cwm Gwyn": (31200, 1.20),
}
LOCAL_ONLY_GROUP = ("afon_uchaf_peers", "Welsh rural peers", "Afon Uchaf", ("Bro Derwen", "Cwm Gwyn"))

_SOURCE_SHARE = {"police": 0.27, "schools": 0.20, "health": 0.14, "la_services": 0.10, "individual": 0.08,
                 "other_legal_agency": 0.03, "other": 0.12, "anonymous": 0.02, "unknown": 0.04}
#: Calendar-month multipliers (Jan..Dec). Schools peak in July before the
#: holidays and almost stop in August, as the minutes describe.
_SOURCE_SEASON = {
    "schools": (1.00, 1.05, 1.10, 0.85, 1.05, 1.15, 1.80, 0.30, 0.80, 1.20, 1.15, 0.85),
    "police": (1.00, 0.90, 0.95, 1.00, 1.00, 1.00, 1.05, 1.10, 0.95, 1.00, 1.00, 1.15),
}
_TEAMS = ("Assessment team", "Children in need team", "Child protection team", "Children looked after team",
          "Care leavers team")
_SERVICE_LINES = (("Placements", 0.45), ("Social work staffing", 0.25), ("Care leavers", 0.06),
                  ("Legal costs", 0.04), ("Early help", 0.09), ("Disabled children", 0.07),
                  ("Management and support", 0.04))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _local_profile(council: str) -> tuple[int, float]:
    for c in DEMO_COUNCILS:
        if c.name.lower() == council.lower():
            return c.pop2012, c.need
    for name, prof in LOCAL_ONLY_COUNCILS.items():
        if name.lower() == council.lower():
            return prof
    known = [c.name for c in DEMO_COUNCILS if c.role != "predecessor"] + list(LOCAL_ONLY_COUNCILS)
    raise ValueError(f"{council!r} is not a demo council; choose one of: {', '.join(known)}")


def _local_demo_rows(council: str, seed: int) -> list[list]:
    """The rows (month, measure, team, breakdown, value, unit, note) for one council."""
    import zlib
    pop, need = _local_profile(council)
    rng = np.random.default_rng([int(seed), zlib.crc32(council.encode("utf-8"))])
    end_y, end_m = LOCAL_DEMO_END
    end_index = end_y * 12 + end_m - 1
    months = [(i // 12, i % 12 + 1) for i in range(end_index - LOCAL_DEMO_MONTHS + 1, end_index + 1)]
    rows: list[list] = []

    def add(y, m, measure, value, team="", breakdown="", unit="", note=""):
        rows.append([f"{y:04d}-{m:02d}", measure, team, breakdown, value, unit, note])

    children = pop * (1 + 0.004 * 12)
    monthly_refs = children * 520 * need / 10000 / 12
    cin = children * 330 * need / 10000
    cp = children * 42 * need / 10000
    cla = children * 70 * need / 10000
    workforce = children * need / 700
    agency = workforce * 0.20
    vacancies = workforce * 0.16
    sickness = 9.2
    caseload = {t: 16.5 + rng.normal(0, 1.2) for t in _TEAMS}
    prev_refs = monthly_refs
    refs_by_month = []
    for k, (y, m) in enumerate(months):
        growth = 1 + 0.03 * k / 12
        total = 0
        for src, share in _SOURCE_SHARE.items():
            season = _SOURCE_SEASON.get(src, (1.0,) * 12)[m - 1]
            n = int(rng.poisson(monthly_refs * share * season * growth))
            total += n
            add(y, m, "referrals", n, breakdown=src)
        refs_by_month.append(total)
        add(y, m, "contacts", int(rng.poisson(total * 3.2)))
        add(y, m, "rereferrals", int(rng.binomial(total, 0.21)))
        completed = int(rng.poisson(0.92 * prev_refs))
        timely_p = 0.88 - (0.08 if m in (8, 9) else 0.0) + rng.normal(0, 0.015)
        add(y, m, "assessments_completed", completed)
        add(y, m, "assessments_within_45_days", int(rng.binomial(completed, min(max(timely_p, 0.5), 0.99))))
        add(y, m, "open_assessments_near_breach", int(rng.poisson(0.10 * total * (1.4 if m in (7, 8) else 1.0))))
        add(y, m, "open_assessments_overdue", int(rng.poisson(2.5 + (3 if m in (8, 9) else 0))))
        prev_refs = total
        cin = cin * 0.9 + children * 330 * need / 10000 * growth * 0.1 + rng.normal(0, 6)
        cp = cp * 0.85 + children * 42 * need / 10000 * 0.15 + rng.normal(0, 3)
        cla = cla + rng.normal(0.35, 1.6)
        add(y, m, "cin", int(round(cin)))
        add(y, m, "cp_plans", int(round(max(cp, 0))))
        add(y, m, "cla", int(round(max(cla, 0))))
        add(y, m, "care_leavers_in_touch", float(np.clip(92.5 + rng.normal(0, 1.8), 80, 100)).__round__(1))
        team_values = []
        for t in _TEAMS:
            caseload[t] = 0.8 * caseload[t] + 0.2 * (15.8 - 0.02 * k) + rng.normal(0, 0.5)
            team_values.append(round(caseload[t], 1))
            add(y, m, "caseload_average", round(caseload[t], 1), team=t)
        add(y, m, "caseload_average", round(float(np.mean(team_values)) + rng.normal(0, 0.05), 1))
        agency = max(0.0, agency * 0.985 + rng.normal(0, 0.6))
        add(y, m, "agency_social_workers", int(round(agency)))
        vacancies = max(0.0, vacancies * 0.99 + rng.normal(0, 0.5))
        add(y, m, "vacancies", round(vacancies, 1), unit="fte")
        sickness = float(np.clip(sickness - 0.05 + rng.normal(0, 0.2), 4.5, 12))
        add(y, m, "sickness_days_per_fte", round(sickness, 1))
        # money: the financial year starting each April
        fy_start = y if m >= 4 else y - 1
        fy_month = (m - 4) % 12          # 0 = April
        total_budget = children * need * 1000 * (1 + 0.05 * (fy_start - 2021))
        fy_rng = np.random.default_rng([int(seed), zlib.crc32(council.encode("utf-8")), fy_start])
        drift = {name: fy_rng.normal(0, 0.01) for name, _ in _SERVICE_LINES}
        for name, share in _SERVICE_LINES:
            budget = round(total_budget * share, -3)
            if name == "Placements":
                pressure = 0.02 + 0.012 * fy_month + 0.01 * (fy_start - 2021)
            elif name == "Social work staffing":
                pressure = -0.02 - 0.003 * fy_month
            else:
                pressure = drift[name] * (1 + fy_month / 6)
            add(y, m, "budget", int(budget), breakdown=name, unit="gbp")
            add(y, m, "forecast_outturn", int(round(budget * (1 + pressure), -3)), breakdown=name, unit="gbp",
                note="Forecast for the whole financial year")
    return rows


def _local_demo_csv(council: str, seed: int) -> bytes:
    import csv as _csv
    buf = io.StringIO(newline="")
    buf.write(f"# council: {council}\n")
    buf.write("# demo: invented figures for a fictional council, to show how a pack works\n")
    w = _csv.writer(buf, lineterminator="\n")
    w.writerow(["month", "measure", "team", "breakdown", "value", "unit", "note"])
    for r in _local_demo_rows(council, seed):
        w.writerow(r)
    return buf.getvalue().encode("utf-8")


def _local_demo_targets(council: str) -> bytes:
    return (f"# {council}'s own targets (demo). A target's direction says which side is met:\n"
            "# at_most (the figure should be no higher) or at_least (no lower).\n"
            f"council: {council}\n"
            "targets:\n"
            "  caseload_average: {target: 15, direction: at_most, note: \"Ideal caseload of 1 social worker to 15 cases\"}\n"
            "  sickness_days_per_fte: {target: 7, direction: at_most, note: \"No more than 7 days a year per member of staff\"}\n"
            "  assessments_within_45_days_pct: {target: 85, direction: at_least}\n"
            "  agency_social_workers: {target: 10, direction: at_most}\n"
            "  care_leavers_in_touch: {target: 95, direction: at_least}\n"
            "  wf_caseload: {target: 16, direction: at_most}\n").encode("utf-8")


def generate_local_demo(out_dir, seed: int = 2025, council: str = "Northmoor") -> list[Path]:
    """Write demo local monthly figures for ``council`` into ``out_dir``.

    Writes ``<council>_local_figures.csv`` (48 months to September 2025 of
    every measure in data/local_measures.yml, in the local figures template:
    referrals by source with a July peak from schools, caseloads by team, a
    budget by service line with an overspend in placements) and
    ``<council>_targets.yml``. For ``"Afon Uchaf"`` (a fictional council
    outside the English releases) it also writes its two peers' files and
    ``afon_uchaf_comparators.yml``, a comparator group naming them, so a
    pack with no official data can be built offline. ``council`` is any
    demo council (see :func:`describe_demo`) or a name in
    :data:`LOCAL_ONLY_COUNCILS`. The same seed gives byte-identical files;
    each is written atomically. Returns the paths written.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    _local_profile(council)
    name = next((c.name for c in DEMO_COUNCILS if c.name.lower() == council.lower()),
                next((n for n in LOCAL_ONLY_COUNCILS if n.lower() == council.lower()), council))
    out_dir = Path(out_dir)
    files: dict[str, bytes] = {
        f"{_slug(name)}_local_figures.csv": _local_demo_csv(name, int(seed)),
        f"{_slug(name)}_targets.yml": _local_demo_targets(name),
    }
    gid, label, subject, peers = LOCAL_ONLY_GROUP
    if name == subject:
        for peer in peers:
            files[f"{_slug(peer)}_local_figures.csv"] = _local_demo_csv(peer, int(seed))
        files[f"{_slug(subject)}_comparators.yml"] = (
            "# A comparator group for a council outside the English releases (demo).\n"
            "# The members are not in the DfE data; their figures come from their own local files.\n"
            "groups:\n"
            f"  {gid}:\n"
            f"    label: {label}\n"
            f"    council: {subject}\n"
            f"    members: [{', '.join(peers)}]\n").encode("utf-8")
    return _write_all(out_dir, files)
