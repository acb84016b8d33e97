"""Demo DfE releases for the outcome, child protection and placement
measures: the fictional councils of :mod:`helpers.demo` in the layouts of the
real files.

* ``c3_factors_identified_at_end_of_assessment_2018_to_2025.csv`` (``x``
  for the factors a year's release did not have) and
  ``c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv`` (quoted
  empty strings on national and regional rows, as the real file writes them);
* the children-looked-after family: ``la_conviction_health_outcome_cla.csv``,
  ``la_cla_school_moves.csv`` (byte-order mark, ``number``/``percentage``),
  ``la_cla_during_year_new_placements.csv`` and
  ``la_children_who_ceased_during_the_year.csv``: the fixed frame of every
  council code every year, ``z`` for a council that did not exist and for the
  island council (as the Isles of Scilly), ``c`` for counts of 1 to 5;
* ``absence_la.csv``, ``ks2_la.csv`` and ``ks4_la.csv``: academic years
  written ``202425`` with ``Academic year``, no absence in 2019/20 and no key
  stage 2 tests in 2019/20 or 2020/21 (``x``, as in the real files);

OHID's, Ofsted's and MHCLG's files are made by :mod:`helpers.demo_publishers`.
National and regional counts are sums rounded to 10 and percentages are
recomputed from the unrounded sums, as DfE does. All draws come from one
generator seeded from the demo seed, so the same seed gives the same bytes
and the other demo files are unchanged by these.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from . import demo as d

__all__ = ["OUTCOME_FILES", "outcome_files"]

OUTCOME_FILES = (
    "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv",
    "c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv",
    "la_conviction_health_outcome_cla.csv",
    "la_cla_school_moves.csv",
    "la_cla_during_year_new_placements.csv",
    "la_children_who_ceased_during_the_year.csv",
    "absence_la.csv",
    "ks2_la.csv",
    "ks4_la.csv",
)
ACADEMIC_YEARS = range(2019, 2026)      # 2018/19 to 2024/25
SCHOOL_MOVE_YEARS = range(2020, 2025)
CEASED_YEARS = range(2020, 2025)
GROUPS = ("CINO at 31 March", "CLA 12 months at 31 March", "CPPO at 31 March")


class _Draw:
    """The demo's random draws for these files, from their own generator."""

    def __init__(self, seed: int, stream: int = 17):
        self.rng = np.random.default_rng([seed, stream])

    def binom(self, n, p) -> int:
        return int(self.rng.binomial(max(int(n), 0), float(np.clip(p, 0.0, 1.0))))

    def count(self, mean) -> int:
        return int(self.rng.poisson(max(float(mean), 0.0)))


def _cla_frame(years):
    """(year, council, has figures) for the fixed 155-code CLA frame."""
    for year in years:
        for c in d._sorted_councils(lambda c: True):
            yield year, c, d._cla_has_data(c, year) and c.role != "island"


def _share(n, den, nd=0):
    r = d._ratio(n, den, 100, nd)
    return "z" if r is None else r


# --------------------------------------------------------------------------- c4

_C4_COLS = ["Section47", "Section47_child", "ICPC", "ICPC_child", "Duration_0-10_days", "Duration_11-15_days",
            "Duration_16-20_days", "Duration_21+_days", "Duration_25th_Percentile", "Duration_median",
            "Duration_75th_Percentile"]
_C4_COUNTS = _C4_COLS[:8]


def _c4(m, r: _Draw) -> list[list]:
    rows = []
    for year in d.CIN_YEARS:
        for c in d._sorted_councils(lambda c: d._in_cin(c, year)):
            p = m.pop_for(c.la_code, year)
            s47 = r.count(175e-4 * p * c.need)
            icpc = r.binom(s47, r.rng.normal(0.31, 0.04))
            bands = r.rng.multinomial(icpc, r.rng.dirichlet(np.array([9, 72, 9, 10]) * 3)) if icpc else [0] * 4
            v = dict(zip(_C4_COUNTS, [s47, r.binom(s47, 0.86), icpc, r.binom(icpc, 0.98), *map(int, bands)]))
            v.update({"Duration_25th_Percentile": 13, "Duration_median": 14, "Duration_75th_Percentile": 15})
            available = (c.la_code, year) not in d._CIN_NOT_AVAILABLE
            codes = d._suppress_small(v, _C4_COUNTS) if available else {}
            rows.append(d._Row(year, d._la_area(c), ("Section 47s and Initial Child Protection Conferences",),
                               v, codes, available))
    agg = d._aggregate(rows, _C4_COUNTS, lambda s: {"Duration_25th_Percentile": 13, "Duration_median": 14,
                                                     "Duration_75th_Percentile": 15}, round_counts=True)
    return [d._format_row(x, _C4_COLS, order_b=False, quote_empty=True) for x in d._order(rows + agg)]


# --------------------------------------------------------------------------- c3

#: Factor columns with their share of England's assessments (the 2025 release).
_C3_FACTORS = {
    "Alcohol_Misuse_child": 0.021, "Alcohol_Misuse_parent": 0.143, "Alcohol_Misuse_person": 0.023,
    "Drug_Misuse_child": 0.048, "Drug_Misuse_parent": 0.141, "Drug_Misuse_person": 0.031,
    "Domestic_Abuse_child": 0.113, "Domestic_Abuse_parent": 0.317, "Domestic_Abuse_person": 0.050,
    "Mental_Health_child": 0.176, "Mental_Health_parent": 0.335, "Mental_Health_person": 0.046,
    "Learning_Disability_child": 0.123, "Learning_Disability_parent": 0.030, "Learning_Disability_person": 0.015,
    "Physical_Disability_child": 0.047, "Physical_Disability_parent": 0.054, "Physical_Disability_person": 0.010,
    "Young_Carer": 0.037, "Privately_fostered": 0.004, "Unaccompanied_asylum_seeker": 0.012,
    "Going_missing": 0.033, "Child_sexual_exploitation": 0.024, "Trafficking": 0.004, "Gangs": 0.017,
    "Socially_unacceptable_behaviour": 0.070, "Self_harm": 0.050, "Neglect": 0.176, "Emotional_Abuse": 0.190,
    "Physical_Abuse_unknown": 0.0, "Physical_Abuse_child_on_child": 0.030, "Physical_Abuse_adult_on_child": 0.120,
    "Sexual_Abuse_unknown": 0.0, "Sexual_Abuse_child_on_child": 0.025, "Sexual_Abuse_adult_on_child": 0.037,
    "Female_Genital_Mutilation": 0.002, "Faith_linked_abuse": 0.004, "Child_criminal_exploitation": 0.032,
    "Other": 0.163,
}
_C3_COLS = ["Episodes_with_assessment_factor", *_C3_FACTORS]
#: Columns a release did not have yet: x (the split of abuse by who harmed the
#: child from 2021, child criminal exploitation from 2022), as in the real file.
_C3_FROM = {"Physical_Abuse_child_on_child": 2021, "Physical_Abuse_adult_on_child": 2021,
            "Sexual_Abuse_child_on_child": 2021, "Sexual_Abuse_adult_on_child": 2021,
            "Child_criminal_exploitation": 2022}
C3_YEARS = range(2018, 2026)


def _c3_values(r: _Draw, assessed: int, year: int) -> dict:
    v = {"Episodes_with_assessment_factor": assessed}
    for col, share in _C3_FACTORS.items():
        if col.endswith("_unknown"):
            split = col.replace("_unknown", "_adult_on_child")
            whole = share + _C3_FACTORS[split] + _C3_FACTORS[split.replace("adult_on_child", "child_on_child")]
            share = whole if year < 2021 else (0.3 * whole if year == 2021 else 0.0)
        v[col] = r.binom(assessed, share * r.rng.lognormal(0, 0.15))
    return v


def _c3(m, r: _Draw) -> list[list]:
    rows = []
    for year in C3_YEARS:
        for c in d._sorted_councils(lambda c: d._in_cin(c, year)):
            assessed = r.count(330e-4 * m.pop_for(c.la_code, year) * c.need)
            v = _c3_values(r, assessed, year)
            available = (c.la_code, year) not in d._CIN_NOT_AVAILABLE
            codes = d._suppress_small(v, _C3_COLS) if available else {}
            codes.update({col: "x" for col, first in _C3_FROM.items() if year < first})
            rows.append(d._Row(year, d._la_area(c), ("Factors identified at the end of assessment",), v, codes,
                               available))
    agg = d._aggregate(rows, _C3_COLS, lambda s: {}, round_counts=True)
    for x in agg:
        x.codes = {col: "x" for col, first in _C3_FROM.items() if x.year < first}
    return [d._format_row(x, _C3_COLS, order_b=False) for x in d._order(rows + agg)]


# --------------------------------------------------------------- count tables

def _count_rows(la_rows, count_col: str, pct_col: str, denominators: dict) -> list:
    """Council and aggregate rows of a CLA-family table from council counts.

    ``la_rows``: (year, council, group filters, {label: count} or None when the
    council has no figures). ``denominators``: group -> {label: label of its
    denominator, or None for the group's total, its first label}. Council
    percentages are whole numbers of unrounded counts and counts of 1 to 5
    are ``c``; national and regional counts are rounded to 10, their
    percentages computed from the unrounded sums."""
    rows: list[d._Row] = []
    for year, c, group, counts in la_rows:
        labels = list(denominators[group])
        for label in labels:
            if counts is None:   # z; the island's total is 0 (as the Isles of Scilly's)
                island_total = c.role == "island" and label == labels[0]
                codes = {pct_col: "z"} if island_total else {count_col: "z", pct_col: "z"}
                rows.append(d._Row(year, d._la_area(c), group + (label,), {count_col: 0}, codes,
                                   available=c.role == "island"))
                continue
            n, den = counts[label], counts[denominators[group][label] or labels[0]]
            codes = {count_col: "c", pct_col: "c"} if 1 <= n <= 5 and label != labels[0] else {}
            rows.append(d._Row(year, d._la_area(c), group + (label,), {count_col: n, pct_col: _share(n, den)},
                               codes))
    sums = d._aggregate(rows, [count_col], lambda s: {}, round_counts=False)
    index = {(x.year, x.area, x.filters): x.values[count_col] for x in sums}
    for x in sums:
        group, label = x.filters[:-1], x.filters[-1]
        den = index[(x.year, x.area, group + (denominators[group][label] or list(denominators[group])[0],))]
        rows.append(d._Row(x.year, x.area, x.filters, {count_col: d._round10(x.values[count_col]),
                                                       pct_col: _share(x.values[count_col], den)}, {}))
    return rows


def _cla_table(rows, cols) -> list[list]:
    return [d._format_row(x, cols, order_b=True) for x in d._order(rows, d._ci_key)]


_HEALTH = {
    ("Health assessments: Children looked after all ages",):
        {"Total all ages": None, "Had their annual health assessment": None,
         "Had their immunisations up to date": None, "Had their teeth checked by a dentist": None},
    ("Development assessments: Children looked after ages 0 to 4 years",):
        {"Total ages 0 to 4 years": None, "Development assessments up to date": None},
    ("Ages 5 to 16 years with SDQ score",):
        {"Total ages 5 to 16 years": None, "SDQ score was received": None,
         "SDQ score is a cause for concern": "SDQ score was received",
         "SDQ score is borderline": "SDQ score was received", "SDQ score is normal": "SDQ score was received"},
    ("Substance misuse: Children looked after all ages",):
        {"Total all ages": None, "Identified as having a substance misuse problem": None,
         "Received an intervention for their substance misuse problem":
             "Identified as having a substance misuse problem",
         "Offered intervention but refused it": "Identified as having a substance misuse problem"},
    ("Convictions: Children looked after Ages 10 to 17 years",):
        {"Total ages 10 to 17 years": None,
         "Convicted or subject to youth cautions, or youth conditional cautions during the year": None},
}


def _health_counts(fam, r: _Draw, c, year) -> dict:
    total = r.binom(fam.cla[(c.la_code, year)]["on31"], 0.70)
    q = r.rng.normal(0, 0.04)
    under5, five16 = r.binom(total, 0.11), r.binom(total, 0.72)
    teen = r.binom(total, 0.55)
    received = r.binom(five16, 0.78 + q)
    concern = r.binom(received, 0.40 - q)
    borderline = r.binom(received - concern, 0.22)
    identified = r.binom(total, 0.03)
    helped = r.binom(identified, 0.45)
    return {
        _HEALTH_KEYS[0]: {"Total all ages": total, "Had their annual health assessment": r.binom(total, 0.89 + q),
                          "Had their immunisations up to date": r.binom(total, 0.83 + q),
                          "Had their teeth checked by a dentist": r.binom(total, 0.79 + q)},
        _HEALTH_KEYS[1]: {"Total ages 0 to 4 years": under5,
                          "Development assessments up to date": r.binom(under5, 0.87 + q)},
        _HEALTH_KEYS[2]: {"Total ages 5 to 16 years": five16, "SDQ score was received": received,
                          "SDQ score is a cause for concern": concern, "SDQ score is borderline": borderline,
                          "SDQ score is normal": received - concern - borderline},
        _HEALTH_KEYS[3]: {"Total all ages": total, "Identified as having a substance misuse problem": identified,
                          "Received an intervention for their substance misuse problem": helped,
                          "Offered intervention but refused it": r.binom(identified - helped, 0.7)},
        _HEALTH_KEYS[4]: {"Total ages 10 to 17 years": teen, "Convicted or subject to youth cautions, or youth "
                          "conditional cautions during the year": r.binom(teen, 0.02)},
        "sdq": (received, d._q(14.9 - 12 * q + r.rng.normal(0, 0.6), 1)),
    }


_HEALTH_KEYS = list(_HEALTH)


def _health(fam, r: _Draw) -> list[list]:
    la_rows, sdq = [], {}
    for year, c, has in _cla_frame(d.CLA_YEARS):
        counts = _health_counts(fam, r, c, year) if has else None
        for group in _HEALTH:
            la_rows.append((year, c, group, counts[group] if counts else None))
        sdq[(year, c.la_code)] = counts["sdq"] if counts else None
    rows = _count_rows(la_rows, "children_count", "children_percent", _HEALTH) + _sdq_average_rows(sdq)
    return _cla_table(rows, ["children_count", "children_percent"])


def _sdq_average_rows(sdq: dict) -> list:
    """'SDQ average score' rows: the council's average, and the average of
    children with a score for regions and England (the percentage is z)."""
    group = ("Ages 5 to 16 years with SDQ score", "SDQ average score")
    rows, totals = [], {}
    for year, c, _ in _cla_frame(d.CLA_YEARS):
        got = sdq.get((year, c.la_code))
        if got is None or got[0] == 0:
            rows.append(d._Row(year, d._la_area(c), group, {}, {"children_count": "z", "children_percent": "z"},
                               available=False))
            continue
        n, mean = got
        rows.append(d._Row(year, d._la_area(c), group, {"children_count": mean}, {"children_percent": "z"}))
        for key in ((year, "N"), (year, c.region_code)):
            a, b = totals.get(key, (0, Decimal(0)))
            totals[key] = (a + n, b + n * mean)
    for (year, key), (n, total) in totals.items():
        area = d._NATIONAL if key == "N" else d._regional(key)
        rows.append(d._Row(year, area, group, {"children_count": d._q(total / n, 1)}, {"children_percent": "z"}))
    return rows


# --------------------------------------------------- school moves, placements, exits

_MOVES = {("CLA on 31 March", "Any moves"): {"Total children": None, "With one or more moves during the year": None},
          ("CLA on 31 March", "Mid-year moves"):
              {"Total children": None, "With one or more mid-year moves during the year": None},
          ("CLA 2 years on 31 March", "Any moves"):
              {"Total children": None, "With one or more moves during the previous 2 years": None},
          ("CLA 2 years on 31 March", "Mid-year moves"):
              {"Total children": None, "With one or more mid-year moves during the previous 2 years": None}}


def _school_moves(fam, r: _Draw) -> list[list]:
    la_rows = []
    for year, c, has in _cla_frame(SCHOOL_MOVE_YEARS):
        if has:
            on31 = r.binom(fam.cla[(c.la_code, year)]["on31"], 0.80)   # of school age
            two = r.binom(on31, 0.85)
            q = r.rng.normal(0, 0.02)
            moves = {"year_any": r.binom(on31, 0.11 + q), "year_mid": 0, "two_any": r.binom(two, 0.20 + q)}
            moves["year_mid"] = r.binom(moves["year_any"], 0.72)
            moves["two_mid"] = r.binom(moves["two_any"], 0.74)
        for group, labels in _MOVES.items():
            if not has:
                la_rows.append((year, c, group, None))
                continue
            span = "year" if group[0] == "CLA on 31 March" else "two"
            kind = "any" if group[1] == "Any moves" else "mid"
            total = on31 if span == "year" else two
            la_rows.append((year, c, group, dict(zip(labels, (total, moves[f"{span}_{kind}"])))))
    return _cla_table(_count_rows(la_rows, "number", "percentage", _MOVES), ["number", "percentage"])


_LOCATION = ("Location of new placements during the year",)
_REASON = ("Reason for placement change during the year",)
_PLACEMENTS = {
    _LOCATION: {"Total new placements": None, "Placed inside LA boundary less than 20 miles from home": None,
                "Placed inside LA boundary more than 20 miles from home": None,
                "Placed outside LA boundary less than 20 miles from home": None,
                "Placed outside LA boundary more than 20 miles from home": None,
                "Distance not known or not recorded": None},
    _REASON: {"Total placements changing": None, "Allegation (s47)": None, "Approval removed": None,
              "Carer requests placement end other than due to child's behaviour": None,
              "Carer requests placement ends due to child's behaviour": None,
              "Change in the status of a placement only": None, "Change to/implementation of care plan": None,
              "Child requests placement to end": None, "Custody arrangement": None, "Other": None,
              "Resignation or closure of provision": None,
              "Responsible/area authority requests placement ends": None, "Standards of care concern": None},
}
_LOCATION_SHARES = np.array([46, 5, 10, 16, 13]) * 4.0
_REASON_SHARES = np.array([1, 1, 4, 8, 15, 34, 2, 0.3, 22, 2, 3, 3]) * 3.0


def _placements(fam, r: _Draw) -> list[list]:
    la_rows = []
    for year, c, has in _cla_frame(d.CLA_YEARS):
        if not has:
            la_rows += [(year, c, _LOCATION, None), (year, c, _REASON, None)]
            continue
        new = r.count(1.3 * fam.cla[(c.la_code, year)]["on31"])
        far = 1.6 if c.pop2012 < 10000 else 1.0       # the island places far from home
        shares = r.rng.dirichlet(_LOCATION_SHARES * np.array([1, 1, far, far, 1]))
        la_rows.append((year, c, _LOCATION, dict(zip(_PLACEMENTS[_LOCATION],
                                                     [new, *map(int, r.rng.multinomial(new, shares))]))))
        changing = r.binom(new, 0.68)
        reasons = r.rng.multinomial(changing, r.rng.dirichlet(_REASON_SHARES))
        la_rows.append((year, c, _REASON, dict(zip(_PLACEMENTS[_REASON], [changing, *map(int, reasons)]))))
    rows = _count_rows(la_rows, "children_count", "children_percent", _PLACEMENTS)
    return _cla_table(rows, ["children_count", "children_percent"])


_CEASED_REASONS = ("Total", "Accommodation on remand ended", "Adopted",
                   "Age assessment determined child aged 18 or over",
                   "Aged 18 (or over) and remained with current carers", "Care ceased for any other reason",
                   "Care taken by another local authority", "Child moved abroad", "Died",
                   "Left care to live with parents, relatives or other person with no parental responsibility",
                   "Moved into independent living (with no formalised support)",
                   "Moved into independent living (with supportive accommodation)",
                   "Residence order or child arrangement order granted",
                   "Returned home to live with parents or other person with parental responsibility which was not "
                   "part of the care planning process",
                   "Returned home to live with parents or other person with parental responsibility which was part "
                   "of the care planning process", "Sentenced to custody", "Special guardianship orders",
                   "Transferred to residential care funded by adult social services")
_CEASED_SHARES = np.array([1, 9, 0.5, 11, 20, 0.3, 0.3, 0.2, 3, 1, 6, 3, 4, 17, 0.2, 12, 0.4]) * 3.0
_AGES = ("Total", "Under 1 year", "1 to 4 years", "5 to 9 years", "10 to 15 years", "16 years", "17 years",
         "18 years and over")
_CEASED = {("Reason episode ceased",): {k: None for k in _CEASED_REASONS},
           ("Age on ceasing",): {k: None for k in _AGES},
           ("Gender",): {"Total": None, "Female": None, "Male": None}}


def _ceased(fam, r: _Draw) -> list[list]:
    la_rows = []
    for year, c, has in _cla_frame(CEASED_YEARS):
        if not has:
            la_rows += [(year, c, group, None) for group in _CEASED]
            continue
        n = fam.cla[(c.la_code, year)]["cease"]
        reasons = r.rng.multinomial(n, r.rng.dirichlet(_CEASED_SHARES))
        ages = r.rng.multinomial(n, r.rng.dirichlet(np.array([10, 19, 13, 14, 6, 5, 33]) * 3.0))
        female = r.binom(n, 0.46)
        la_rows += [(year, c, ("Reason episode ceased",), dict(zip(_CEASED_REASONS, [n, *map(int, reasons)]))),
                    (year, c, ("Age on ceasing",), dict(zip(_AGES, [n, *map(int, ages)]))),
                    (year, c, ("Gender",), {"Total": n, "Female": female, "Male": n - female})]
    return _cla_table(_count_rows(la_rows, "number", "percentage", _CEASED), ["number", "percentage"])


# ---------------------------------------------------------------- school outcomes

def _academic(rows: list[list]) -> list[list]:
    """DfE's academic-year cells: '202425' and 'Academic year'."""
    for row in rows:
        year = int(row[0])
        row[0], row[1] = f"{year - 1}{str(year)[2:]}", "Academic year"
    return rows


def _pupils(m, r: _Draw, per_child: float):
    """(year, council, group, pupils) for every school year, council and
    group, the pupils drawn in turn (lazily, so a caller's own draws for a
    row come before the next row's)."""
    for year in ACADEMIC_YEARS:
        for c in d._sorted_councils(lambda c: d._in_cin(c, year)):
            for group in GROUPS:
                yield year, c, group, r.count(per_child * m.pop_for(c.la_code, year) * _group_need(c, group))


def _group_need(c, group: str) -> float:
    """How many pupils a group has, relative to children in need; the island
    council looks after no children (as the Isles of Scilly)."""
    if c.role == "island" and group.startswith("CLA"):
        return 0.0
    return {"CINO at 31 March": 1.0, "CPPO at 31 March": 0.28, "CLA 12 months at 31 March": 0.42}[group] * c.need


_ABSENCE_COUNTS = ["t_pupils", "t_sess_possible", "t_sess_overall", "t_sess_authorised", "t_sess_unauthorised",
                   "t_pupils_pa_10_exact", "t_pupils_pa_50_exact"]
_ABSENCE_COLS = ["t_pupils", "t_sess_possible", "t_sess_overall", "pt_overall", "t_sess_authorised",
                 "pt_sess_authorised", "t_sess_unauthorised", "pt_sess_unauthorised", "t_pupils_pa_10_exact",
                 "pt_pupils_pa_10_exact", "t_pupils_pa_50_exact", "pt_pupils_pa_50_exact"]
_PHASES = {"Total": 1.0, "State-funded primary": 0.42, "State-funded secondary": 0.45, "Special": 0.10,
           "State-funded alternative provision school": 0.03}
_ABSENT_RATE = {"CINO at 31 March": 0.17, "CPPO at 31 March": 0.21, "CLA 12 months at 31 March": 0.09}


def _absence_derive(s: dict) -> dict:
    return {"pt_overall": _share(s["t_sess_overall"], s["t_sess_possible"], 1),
            "pt_sess_authorised": _share(s["t_sess_authorised"], s["t_sess_possible"], 1),
            "pt_sess_unauthorised": _share(s["t_sess_unauthorised"], s["t_sess_possible"], 1),
            "pt_pupils_pa_10_exact": _share(s["t_pupils_pa_10_exact"], s["t_pupils"], 1),
            "pt_pupils_pa_50_exact": _share(s["t_pupils_pa_50_exact"], s["t_pupils"], 1)}


def _absence_values(r: _Draw, pupils: int, group: str, phase: str) -> tuple[dict, dict]:
    if pupils == 0:
        return {col: 0 for col in _ABSENCE_COUNTS}, {col: "z" for col in _ABSENCE_COLS[1:]}
    possible = pupils * int(r.rng.integers(340, 352))
    rate = _ABSENT_RATE[group] * (1.6 if "alternative" in phase else 1.0) * r.rng.lognormal(0, 0.15)
    overall = r.binom(possible, rate)
    authorised = r.binom(overall, 0.55)
    v = {"t_pupils": pupils, "t_sess_possible": possible, "t_sess_overall": overall,
         "t_sess_authorised": authorised, "t_sess_unauthorised": overall - authorised,
         "t_pupils_pa_10_exact": r.binom(pupils, min(0.95, rate * 2.6)),
         "t_pupils_pa_50_exact": r.binom(pupils, rate * 0.5)}
    v.update(_absence_derive(v))
    codes = {}
    for col in ("t_pupils_pa_10_exact", "t_pupils_pa_50_exact"):
        if 1 <= v[col] <= 5:
            codes[col] = codes["pt" + col[1:]] = "c"
    return v, codes


def _absence(m, r: _Draw) -> list[list]:
    rows = []
    for year, c, group, base in _pupils(m, r, 0.0078):
        for phase, share in _PHASES.items():
            pupils = base if phase == "Total" else r.binom(base, share)
            v, codes = _absence_values(r, pupils, group, phase)
            if year == 2020:   # no absence figures for 2019/20 (COVID-19)
                v, codes = {}, {}
            rows.append(d._Row(year, d._la_area(c), ("six half terms", group, phase), v, codes,
                               available=year != 2020))
    agg = d._aggregate(rows, _ABSENCE_COUNTS, _absence_derive, round_counts=True)
    agg = [x if x.year != 2020 else d._Row(x.year, x.area, x.filters, {}, {}, available=False) for x in agg]
    return _academic([d._format_row(x, _ABSENCE_COLS, order_b=True) for x in d._order(rows + agg)])


_KS2_SUBJECTS = {"read": 0.50, "writta": 0.45, "mat": 0.46, "rwm": 0.33, "gps": 0.47, "scita": 0.55}
_KS2_COLS = [f"{k}_{s}_{w}" for s in _KS2_SUBJECTS for k, w in (("t", "eligible_pupils"),
                                                               ("t", "met_expected_standard"),
                                                               ("pt", "met_expected_standard"))]
_KS2_PROGRESS = [f"{k}_{s}_progress_{w}" for s in ("read", "writta", "mat")
                 for k, w in (("t", "eligible_pupils"), ("t", "score"), ("avg", "score"), ("avg", "score_lower_CI"),
                              ("avg", "score_upper_CI"))]
_KS2_COUNTS = [c for c in _KS2_COLS if c.startswith("t_")]
_GROUP_ATTAIN = {"CINO at 31 March": 1.0, "CPPO at 31 March": 0.95, "CLA 12 months at 31 March": 1.1}


def _ks_derive(pairs):
    def derive(s):
        return {pt: _share(s[num], s[den], nd) for pt, (num, den, nd) in pairs.items()}
    return derive


_KS2_PAIRS = {f"pt_{s}_met_expected_standard": (f"t_{s}_met_expected_standard", f"t_{s}_eligible_pupils", 0)
              for s in _KS2_SUBJECTS}


def _version(year: int) -> str:
    return "Revised" if year == ACADEMIC_YEARS.stop - 1 else "Final"


def _ks2_values(r: _Draw, n: int, group: str) -> tuple[dict, dict]:
    v, codes = {}, {}
    for subject, p in _KS2_SUBJECTS.items():
        met = r.binom(n, p * _GROUP_ATTAIN[group] * r.rng.lognormal(0, 0.12))
        v.update({f"t_{subject}_eligible_pupils": n, f"t_{subject}_met_expected_standard": met,
                  f"pt_{subject}_met_expected_standard": _share(met, n)})
        if 1 <= met <= 5:
            codes[f"t_{subject}_met_expected_standard"] = codes[f"pt_{subject}_met_expected_standard"] = "c"
    if 1 <= n <= 5:
        codes = {col: "c" for col in _KS2_COLS}
    elif n == 0:
        codes = {col: "z" for col in _KS2_COLS if not col.endswith("eligible_pupils")}
    return v, codes


def _ks2(m, r: _Draw) -> list[list]:
    rows = []
    for year, c, group, n in _pupils(m, r, 0.0007):
        tested = year not in (2020, 2021)   # no key stage 2 tests in 2019/20 or 2020/21
        v, codes = _ks2_values(r, n, group)
        rows.append(d._Row(year, d._la_area(c), (group, _version(year)), v if tested else {},
                           codes if tested else {}, available=tested))
    agg = d._aggregate(rows, _KS2_COUNTS, _ks_derive(_KS2_PAIRS), round_counts=True)
    agg = [x if x.year not in (2020, 2021) else d._Row(x.year, x.area, x.filters, {}, {}, available=False)
           for x in agg]
    return _academic([d._format_row(x, _KS2_COLS + _KS2_PROGRESS, order_b=True) for x in d._order(rows + agg)])


_KS4_COLS = ["t_pupils", "t_att8", "avg_att8", "t_l2basics_95", "pt_l2basics_95", "t_l2basics_94", "pt_l2basics_94",
             "t_ebacc_e_ptq_ee", "pt_ebacc_e_ptq_ee", "t_ebaccaps", "avg_ebaccaps", "t_inp8calc", "t_p8score",
             "avg_p8score", "p8score_CI_low", "p8score_CI_upp"]
_KS4_COUNTS = ["t_pupils", "t_att8", "t_l2basics_95", "t_l2basics_94", "t_ebacc_e_ptq_ee", "t_ebaccaps"]
_KS4_PAIRS = {"pt_l2basics_95": ("t_l2basics_95", "t_pupils", 1), "pt_l2basics_94": ("t_l2basics_94", "t_pupils", 1),
              "pt_ebacc_e_ptq_ee": ("t_ebacc_e_ptq_ee", "t_pupils", 1)}


def _ks4_derive(s):
    out = _ks_derive(_KS4_PAIRS)(s)
    for avg, total, nd in (("avg_att8", "t_att8", 1), ("avg_ebaccaps", "t_ebaccaps", 2)):
        r = d._ratio(s[total], s["t_pupils"], 1, nd)
        out[avg] = "z" if r is None else r
    return out


def _ks4_values(r: _Draw, n: int, group: str) -> tuple[dict, dict]:
    points = [d._q(max(0.0, r.rng.normal(17.5 * _GROUP_ATTAIN[group], 11.0)) * 4, 0) / 4 for _ in range(n)]
    v = {"t_pupils": n, "t_att8": sum(points, Decimal(0)), "t_l2basics_95": r.binom(n, 0.10),
         "t_l2basics_94": 0, "t_ebacc_e_ptq_ee": r.binom(n, 0.11),
         "t_ebaccaps": d._q(sum(float(p) for p in points) / 12.0, 2)}
    v["t_l2basics_94"] = v["t_l2basics_95"] + r.binom(n - v["t_l2basics_95"], 0.09)
    v.update(_ks4_derive(v))
    codes = {}
    for col in ("t_l2basics_95", "t_l2basics_94", "t_ebacc_e_ptq_ee"):
        if 1 <= v[col] <= 5:
            codes[col] = codes["pt" + col[1:]] = "c"
    if n == 0:
        codes = {col: "z" for col in _KS4_COLS[1:11]}
    return v, codes


def _ks4(m, r: _Draw) -> list[list]:
    rows = []
    for year, c, group, n in _pupils(m, r, 0.0008):
        v, codes = _ks4_values(r, n, group)
        if 1 <= n <= 5:
            codes = {col: "c" for col in _KS4_COLS[:11]}
        rows.append(d._Row(year, d._la_area(c), (group, _version(year)), v, codes))
    agg = d._aggregate(rows, _KS4_COUNTS, _ks4_derive, round_counts=False, decimals=2)
    for x in agg:
        for col in ("t_pupils", "t_l2basics_95", "t_l2basics_94", "t_ebacc_e_ptq_ee"):
            x.values[col] = d._round10(x.values[col])
    return _academic([d._format_row(x, _KS4_COLS, order_b=True) for x in d._order(rows + agg)])


# ------------------------------------------------------------------- the files

_HEADERS = {
    "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv": (d._GEO_A + ["category"] + _C3_COLS, False),
    "c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv": (d._GEO_A + ["category"] + _C4_COLS, False),
    "la_conviction_health_outcome_cla.csv":
        (d._GEO_B + ["characteristic", "breakdown", "children_count", "children_percent"], False),
    "la_cla_school_moves.csv":
        (d._GEO_B + ["cla_group", "move_measure", "school_stability", "number", "percentage"], True),
    "la_cla_during_year_new_placements.csv":
        (d._GEO_B + ["characteristic", "breakdown", "children_count", "children_percent"], False),
    "la_children_who_ceased_during_the_year.csv":
        (d._GEO_B + ["cla_group", "characteristic", "number", "percentage"], False),
    "absence_la.csv": (d._GEO_B + ["absence_terms", "social_care_group", "phase_type_grouping"] + _ABSENCE_COLS,
                       False),
    "ks2_la.csv": (d._GEO_B + ["social_care_group", "version"] + _KS2_COLS + _KS2_PROGRESS, True),
    "ks4_la.csv": (d._GEO_B + ["social_care_group", "version"] + _KS4_COLS, True),
}


def outcome_files(m, fam, seed: int) -> dict[str, bytes]:
    """The demo's DfE outcome and placement files: name -> bytes."""
    r = _Draw(seed)
    tables = {
        "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv": _c3(m, r),
        "c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv": _c4(m, r),
        "la_conviction_health_outcome_cla.csv": _health(fam, r),
        "la_cla_school_moves.csv": _school_moves(fam, r),
        "la_cla_during_year_new_placements.csv": _placements(fam, r),
        "la_children_who_ceased_during_the_year.csv": _ceased(fam, r),
        "absence_la.csv": _absence(m, r),
        "ks2_la.csv": _ks2(m, r),
        "ks4_la.csv": _ks4(m, r),
    }
    return {name: d._csv_bytes(_HEADERS[name][0], tables[name], _HEADERS[name][1]) for name in OUTCOME_FILES}

