"""Demo files in the layouts of publishers other than DfE, for the fictional
councils of :mod:`helpers.demo`:

* ``la_hospital_admissions_2324.csv``: an OHID Fingertips export (England
  twice, councils by ONS code on today's boundaries, OHID-style confidence
  limits, the island's value folded into its neighbour's with a value note);
* ``Childrens_social_care_in_England_2023_underlying_data.ods``: Ofsted's
  providers list, LA list and national time series, below title rows;
* ``RSX_LA_Data_2024-25_data_by_LA.ods``: MHCLG's revenue summary.

The draws come from their own generator, seeded from the demo seed.
"""

from __future__ import annotations

import numpy as np

from . import demo as d
from .demo_outcomes import _Draw

__all__ = ["PUBLISHER_FILES", "publisher_files"]


# ---------------------------------------------------------------- OHID Fingertips

_FT_HEADER = ["Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type",
              "Sex", "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit",
              "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator",
              "Value note", "Recent Trend", "Compared to England value or percentiles", "Compared to percentiles",
              "Time period Sortable", "New data", "Compared to goal", "Time period range"]
_FT_NAME = "Hospital admissions caused by unintentional and deliberate injuries in children (aged 0 to 14 years)"
_FT_YEARS = range(2011, 2025)   # 2010/11 to 2023/24


def _wilson_like(count: int, den: int, z: float) -> tuple[float, float]:
    """Byar's approximation to exact Poisson limits, per 10,000 (as OHID uses)."""
    if count == 0:
        return 0.0, 1e4 * z * z / den
    lo = count * (1 - 1 / (9 * count) - z / (3 * np.sqrt(count))) ** 3
    hi = (count + 1) * (1 - 1 / (9 * (count + 1)) + z / (3 * np.sqrt(count + 1))) ** 3
    return 1e4 * lo / den, 1e4 * hi / den


def _ft_row(code, name, area_type, parent, year, count, den, note=""):
    label = f"{year - 1}/{str(year)[2:]}"
    if count is None:
        figures = ["", "", "", "", "", "", ""]
    else:
        lo95, hi95 = _wilson_like(count, den, 1.959964)
        lo998, hi998 = _wilson_like(count, den, 3.090232)
        figures = [f"{1e4 * count / den:.7g}", f"{lo95:.7g}", f"{hi95:.7g}", f"{lo998:.7g}", f"{hi998:.7g}",
                   count, den]
    parent_code, parent_name = parent
    return ["90284", _FT_NAME, parent_code, parent_name, code, name, area_type, "Persons", "<15 yrs", "", "",
            label, *figures, note, "", "Not compared", "Not compared", f"{year - 1}0000", "", "", "1y"]


def _fingertips(m, r: _Draw) -> list[list]:
    """Counties & UAs (current geography, back-cast: the successor unitaries
    have figures for every year), England twice (no parent, and itself), the
    island folded into its neighbour, as OHID folds the Isles of Scilly into
    Cornwall."""
    current = [c for c in d.DEMO_COUNCILS if c.role != "predecessor"]
    island = next(c for c in current if c.role == "island")
    neighbour = d._BY_CODE["957"]
    rows = []
    for year in _FT_YEARS:
        total_n = total_d = 0
        figures = []
        for c in sorted(current, key=lambda c: c.ons_code):
            den = int(m.pop[(c.la_code, max(year - 1, d.ONS_YEARS.start))] * 0.82)
            n = r.count(0.0085 * den * (0.8 + 0.2 * c.need) * (1.0 - 0.02 * (year - 2011)))
            figures.append((c, n, den))
            total_n, total_d = total_n + n, total_d + den
        extra = next((n, den) for c, n, den in figures if c is island)
        for c, n, den in figures:
            parent = ("E92000001", "England")
            if c is island:
                rows.append(_ft_row(c.ons_code, c.name, "Counties & UAs (from Apr 2023)", parent, year, None, None,
                                    f"Value for {neighbour.name} and {island.name} combined"))
            elif c is neighbour:
                rows.append(_ft_row(c.ons_code, c.name, "Counties & UAs (from Apr 2023)", parent, year,
                                    n + extra[0], den + extra[1], f"Value for {neighbour.name} and {island.name} "
                                                                  f"combined"))
            else:
                rows.append(_ft_row(c.ons_code, c.name, "Counties & UAs (from Apr 2023)", parent, year, n, den))
        for parent in (("", ""), ("E92000001", "England")):
            rows.append(_ft_row("E92000001", "England", "England", parent, year, total_n, total_d))
    return rows


# ------------------------------------------------------------ Ofsted and MHCLG

FINGERTIPS_FILE = "la_hospital_admissions_2324.csv"
OFSTED_FILE = "Childrens_social_care_in_England_2023_underlying_data.ods"
RSX_FILE = "RSX_LA_Data_2024-25_data_by_LA.ods"
PUBLISHER_FILES = (FINGERTIPS_FILE, OFSTED_FILE, RSX_FILE)
_PROVIDER_HEADER = ["Web link", "URN", "Linked education URN", "Provision type", "Registration date",
                    "Registration status", "Name", "Address 1", "Address 2", "Town", "County", "Postcode",
                    "Ofsted Region", "Government Office Region", "Local authority", "Parliamentary constituency",
                    "Sector", "Places", "Short-break-only children's home", "Multi-building children's home",
                    "Organisation name"]
_HOME_TYPES = (("Children's home", 0.93), ("Secure children's home", 0.01),
               ("Residential special school (registered as a children's home)", 0.06))
_SECTORS = (("Private", 0.72), ("Local Authority", 0.18), ("Voluntary", 0.10))


def _providers(r: _Draw) -> list[list]:
    """Every demo council's providers at 31 March 2023: children's homes of
    every kind (none on the island) and fostering agencies, which have no
    places."""
    rows, urn = [], 2600000
    current = [c for c in d._sorted_councils(lambda c: c.role != "predecessor")]
    for c in current:
        homes = 0 if c.role == "island" else r.count(c.pop2012 / 2800 * c.need)
        for _ in range(homes):
            urn += 1
            kind = _HOME_TYPES[int(r.rng.choice(3, p=[w for _, w in _HOME_TYPES]))][0]
            sector = _SECTORS[int(r.rng.choice(3, p=[w for _, w in _SECTORS]))][0]
            places = int(r.rng.integers(6, 14)) if "ecure" in kind else int(r.rng.integers(1, 7))
            rows.append(["Ofsted Social Care Provider Webpage", f"SC{urn}", None, kind, "2019-04-01", "Active",
                         "REDACTED", "REDACTED", "REDACTED", "REDACTED", "REDACTED", "REDACTED", c.region_name,
                         c.region_name, c.name, c.name, sector, places, None, None, "DEMO provider"])
        if r.rng.random() < 0.6:
            urn += 1
            rows.append(["Ofsted Social Care Provider Webpage", str(urn), None, "Independent Fostering Agency",
                         "2015-06-01", "Active", "DEMO fostering", None, None, c.name, None, None, c.region_name,
                         c.region_name, c.name, c.name, "Private", None, None, None, "DEMO provider"])
    return rows


def _ofsted_workbook(r: _Draw) -> bytes:
    providers = _providers(r)
    places = sum(row[17] for row in providers if row[17] is not None)
    homes = sum(1 for row in providers if row[17] is not None)
    current = [c for c in d._sorted_councils(lambda c: c.role != "predecessor")]
    title = "Children's social care data in England 2023 - DEMO, fictional councils"
    la_sheet = [[f"{title} - local authority inspection outcomes at 31 March 2023"],
                ["This worksheet contains one table with a list of all local authorities."], [],
                ["Web link", "Local authority name", "Ofsted region", "Inspection date", "Overall effectiveness"],
                *[["Ofsted Local Authority Webpage", c.name, c.region_name, "2022-06-01", "Good"] for c in current]]
    provider_sheet = [[f"{title} - Providers and places at 31 March 2023"],
                      ["This worksheet contains one table, this table begins in cell A4."],
                      ["Some cells in this table are empty where they do not apply."],
                      _PROVIDER_HEADER, *providers]
    series = [[f"{title} - Providers and places time series"], ["This worksheet contains two tables."], [], [],
              ["Table 6a: National number of children's social care providers"],
              ["Date", "Data type", "All Children's Homes"]]
    years = range(2023, 2012, -1)
    series += [[f"{y}-03-31", "Providers", round(homes * (1 - 0.03 * (2023 - y)))] for y in years]
    series += [[], ["Table 6b: National number of places"], ["Date", "Data type", "All Children's Homes"]]
    series += [[f"{y}-03-31", "Places", round(places * (1 - 0.02 * (2023 - y)))] for y in years]
    return d._ods_workbook([("Cover", [[title]]), ("LA_level_at_31_Mar_2023", la_sheet),
                            ("Providers+places_at_31_Mar_2023", provider_sheet),
                            ("Providers+places_Time_series", series)])


_RSX_COLUMNS = (("Children Social Care - Net Current Expenditure (C7 = C3 - C6)", "RSX-csc-net-cur-exp"),
                ("Total Service Expenditure - Net Current Expenditure (C7 = C3 - C6)", "RSX-totsx-net-cur-exp"))


def _rsx_workbook(m, seed: int, r: _Draw) -> bytes:
    """2024-25 revenue summary: children's social care net spend as in the
    demo RO3, and all services' net spend (children's social care is about a
    seventh of it); England's total includes other kinds of authority."""
    rows, total = [], 0
    for row in d._ro3_rows(m, seed):
        if row[1] == "E92000001":
            rows.append([*row[:5], row[7], int(total * 1.45)])
            continue
        services = int(row[7] / r.rng.uniform(0.11, 0.19))
        total += services
        rows.append([*row[:5], row[7], services])
    header = ["E-code", "ONS Code", "Local authority", "Notes", "Class", *[h for h, _ in _RSX_COLUMNS]]
    codes = [None] * 5 + [code for _, code in _RSX_COLUMNS]
    grid = [["Revenue Outturn (RO) 2024-25: Service Expenditure Summary (RSX) data - DEMO, fictional councils"],
            ["Data are reported in £ thousand."], header, *rows, codes]
    return d._ods_bytes("RSX_LA_Data_202425", grid)


def publisher_files(m, seed: int) -> dict[str, bytes]:
    """The demo's Fingertips export, Ofsted workbook and RSX workbook."""
    r = _Draw(seed, 18)
    return {FINGERTIPS_FILE: d._csv_bytes(_FT_HEADER, _fingertips(m, r), False),
            OFSTED_FILE: _ofsted_workbook(r), RSX_FILE: _rsx_workbook(m, seed, r)}
