"""Loaders for DfE's tidy CSV releases (explore-education-statistics format).

One generic reader serves every publication; each publication is described by
a :class:`Publication`: the columns that recognise it, the filter columns that
split its rows into measures, and the value columns. The reader

* reads every cell as text (``utf-8-sig`` strips a byte-order mark);
* renames columns that DfE has renamed between releases (``ALIASES`` for
  names any release may use; :mod:`.layouts` for one publication's renamed
  columns and reworded category labels), so an older release of the same
  publication loads into the same measures;
* turns value codes (``c``, ``x``, ``z``, ``u``, ``low``, ``k`` and others)
  into missing values while keeping the code as the row's ``status``;
* returns the long Observations table described in ``docs/store.md``.

A cell that is neither a number nor a code stops the load with an error that
names the file, the row, the column and the value.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataFileError, UnknownLayoutError
from . import layouts
from .dfe_outcomes import OUTCOME_PUBLICATIONS
from .publication import Publication, keep_columns as _keep

OBSERVATION_COLUMNS = ["source", "period", "level", "area_code", "area_name", "ons_code",
                       "region_code", "region_name", "measure", "value", "status"]

#: Codes DfE and ONS use in place of a number, with what a pack says for each.
STATUS_LABELS = {
    "ok": "",
    "c": "suppressed",
    "x": "not available",
    "z": "not applicable",
    "u": "low reliability",
    "low": "fewer than 0.5 (rounds to zero)",
    "k": "rounds to zero but is not zero",
    ":": "not available",
    "..": "not available",
    "not_derivable": "cannot be derived (an input is missing)",
    "missing": "no figure published",
}
#: Tokens accepted as codes besides the letters above ("any other" short
#: code DfE may introduce is accepted too, see :func:`_is_code`).
_EXTRA_CODES = {"na", "n/a", "-", "~", "*", ".", "w", "s", "b", "e", "r", "p"}

LEVELS = {"national": "national", "regional": "regional", "local authority": "la"}

#: Column renames between releases: older name -> name used here. Matching is
#: on the normalised name (lower case, spaces and dashes as underscores).
ALIASES = {
    # geography and time
    "year": "time_period",
    "time_period": "time_period",
    "la_code": "old_la_code",
    "la_number": "old_la_code",
    "old_la_code": "old_la_code",
    "new_la_code": "new_la_code",
    "la_code_new": "new_la_code",
    "la_name": "la_name",
    "local_authority": "la_name",
    "geographic_level": "geographic_level",
    "country_code": "country_code",
    "country_name": "country_name",
    "region_code": "region_code",
    "region_name": "region_name",
    # population
    "population_estimate": "population_estimate",
    "population": "population_estimate",
    "pop_estimate": "population_estimate",
    "population_0_17": "population_estimate",
    "population_estimate_0_to_17": "population_estimate",
    "mid_year_population": "population_estimate",
    "mid_year_estimate": "population_estimate",
    # children looked after counts and rates
    "children_count": "children_count",
    "number": "number",
    "cla_count": "children_count",
    "number_of_children": "children_count",
    "rate_per_10000": "rate_per_10000",
    "rate_per_10000_children": "rate_per_10000",
    "rate": "rate_per_10000",
    "children_percent": "children_percent",
    "percentage": "percentage",
    # referrals (older CIN releases)
    "referrals": "referral_count",
    "number_of_referrals": "referral_count",
    "referral_count": "referral_count",
    "re_referrals": "rereferral_count",
    "rereferrals": "rereferral_count",
    "re_referral_count": "rereferral_count",
    "re_referral_percent": "rereferral_percent",
    "rereferrals_percent": "rereferral_percent",
    "nfa_count": "no_further_action_count",
    "nfa_percent": "no_further_action_percent",
    # workforce (older csww releases)
    "caseload": "caseload_fte",
    "average_caseload_fte": "caseload_fte",
    "agency_worker_rate_fte": "agency_rate_fte",
    "agency_rate": "agency_rate_fte",
    "vacancy_rate": "vacancy_rate_fte",
    "turnover_rate": "turnover_rate_fte",
    "absence_rate": "absence_rate_fte",
    "fte": "inpost_fte",
    "fte_social_workers": "inpost_fte",
}

_GEO = ["time_period", "geographic_level", "country_code", "region_code", "region_name",
        "old_la_code", "new_la_code", "la_name"]


CSWW_VALUES = _keep(
    "inpost_fte", "inpost_headcount", "starters_fte", "starters_headcount", "leavers_fte",
    "leavers_headcount", "turnover_rate_fte", "turnover_rate_headcount", "agency_fte",
    "agency_headcount", "agency_rate_fte", "agency_rate_headcount", "agency_cover_fte",
    "agency_cover_rate_fte", "vacancy_fte", "vacancy_rate_fte", "vacancy_agency_cover_rate_fte",
    "case_holders_fte", "cases", "caseload_fte", "working_days_lost_fte", "absence_rate_fte")

PUBLICATIONS: list[Publication] = [
    Publication(
        "csww", "Children's social work workforce", "30 September",
        signature=("caseload_fte", "agency_rate_fte", "inpost_fte"), values=CSWW_VALUES),
    Publication(
        "cin_b1", "Children in need: episodes and children (b1)", "31 March",
        signature=("at31_episodes", "started_episodes"),
        values=_keep("Anypoint_episodes", "Anypoint_child", "Started_episodes", "Started_child",
                     "Ended_episodes", "Ended_child", "At31_episodes", "awaiting_assessment")),
    Publication(
        "cin_c1", "Children in need: referrals and re-referrals (c1)", "31 March",
        signature=("referral_count", "rereferral_count"),
        values=_keep("referral_count", "rereferral_count", "rereferral_percent",
                     "no_further_action_count", "no_further_action_percent", "not_in_need_count",
                     "not_in_need_percent", "referral_child_count", "rereferral_child_count",
                     "rereferral_child_percent")),
    Publication(
        "cin_c3", "Children in need: factors identified at the end of assessment (c3)", "31 March",
        signature=("episodes_with_assessment_factor",),
        values={"*": ""}),
    Publication(
        "cp_d3", "Child protection plans: second or subsequent plans (d3)", "31 March",
        signature=("cpp_start", "cpp_subsequent"),
        values=_keep("CPP_start", "CPP_subsequent", "CPP_subsequent_percent")),
    Publication(
        "cp_d5", "Child protection plans at 31 March by duration (d5)", "31 March",
        signature=("cpp_at31", "2_years_or_more"),
        values=_keep("CPP_At31", "3_months_or_less", "3_months_or_less_percent",
                     "more_than_3_months_6_months", "more_than_3_months_6_months_percent",
                     "more_than_6_months_less_than_1_year", "more_than_6_months_less_than_1_year_percent",
                     "1_year_less_than_2_years", "1_year_less_than_2_years_percent",
                     "2_years_or_more", "2_years_or_more_percent")),
    Publication(
        "cla_number", "Children looked after: number and rate per 10,000 children", "31 March",
        signature=("population_type", "children_count", "rate_per_10000"),
        values={"children_count": "count", "rate_per_10000": "rate", "population_estimate": "population"},
        filters={"population_type": {
            "Children looked after on 31 March each year": "cla_at31",
            "Children starting to be looked after each year": "cla_starts",
            "Children ceasing to be looked after each year": "cla_ceased"}}),
    Publication(
        "cla_placement_stability", "Children looked after: placement stability", "31 March",
        signature=("cla_group", "placement_stability", "children_count"),
        values={"children_count": "count", "children_percent": "percent"},
        filters={
            "cla_group": {
                "CLA on 31 March": "ps_year",
                "CLA 2 years on 31 March": "ps_2yr",
                "Children looked after continuously for at least 2.5 years on 31 March aged under 16 years":
                    "ps_longterm"},
            "placement_stability": {
                "With 3 or more placements during the year": "3plus",
                "With 3 or more placements during the previous 2 years": "3plus",
                "Living with the same carer for at least 2 years": "same_carer",
                "Total children": "total"}}),
    Publication(
        "cla_swcount", "Children looked after: number of social workers in the year", "31 March",
        signature=("sw_stability",),
        values={"number": "count", "percentage": "percent"},
        filters={"sw_stability": {"Total children": "sw_total",
                                  "3 or more social workers during the year": "sw_3plus"}},
        fixed={"cla_group": "CLA on 31 March"}),
    Publication(
        "care_leavers_accommodation", "Care leavers: suitability of accommodation", "31 March",
        signature=("care_leaver_age", "breakdown", "care_leaver_count"),
        values={"care_leaver_count": "count", "care_leaver_percent": "percent"},
        filters={"care_leaver_age": {"17 to 18 years": "cl_1718", "19 to 21 years": "cl_1921"},
                 "breakdown": {"Accommodation considered suitable": "suitable",
                               "Accommodation considered unsuitable": "unsuitable",
                               "No information": "no_information",
                               "Suitability total": "suitability_total"}},
        require_values=("breakdown", ("Suitability total", "Accommodation considered suitable"))),
    Publication(
        "care_leavers_activity", "Care leavers: education, employment or training", "31 March",
        signature=("care_leaver_age", "breakdown", "care_leaver_count"),
        values={"care_leaver_count": "count", "care_leaver_percent": "percent"},
        filters={"care_leaver_age": {"17 to 18 years": "cl_1718", "19 to 21 years": "cl_1921"},
                 "breakdown": {"Total": "activity_total",
                               "Total in education, employment or training": "eet",
                               "Total not in education, employment or training": "neet",
                               "Total information not known": "activity_not_known"}},
        require_values=("breakdown", ("Total in education, employment or training", "Total"))),
    Publication(
        "ons_population", "ONS mid-year population estimates, children aged 0 to 17", "30 June",
        signature=("population_estimate", "age_group"),
        values={"population_estimate": ""},
        fixed={"age_group": "Children aged 0 to 17 years"}),
    *OUTCOME_PUBLICATIONS,
]
PUBLICATION_BY_ID = {p.id: p for p in PUBLICATIONS}


def normalise_column(name: str) -> str:
    name = name.replace("\ufeff", "").strip().strip('"').lower()
    name = re.sub(r"[\s\-/]+", "_", name)
    return ALIASES.get(name, name)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


# --------------------------------------------------------------------- reading

def read_text_table(path: Path, *, nrows: int | None = None) -> pd.DataFrame:
    """Read a CSV as text cells with normalised column names. Raises
    DataFileError for a file that is not UTF-8 text, is empty, or has rows of
    the wrong length (a truncated or damaged file)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(path, f"cannot be read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise DataFileError(path, "the file is empty", hint="Download it again")
    if b"\x00" in raw[:65536]:
        raise DataFileError(path, "this is a binary file, not a CSV",
                            hint="Check you chose the CSV download, not a spreadsheet or zip")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DataFileError(path, "is not UTF-8 text", row=line,
                            hint="Save the file as CSV UTF-8 (DfE files are UTF-8); "
                                 "if you opened it in Excel, use 'CSV UTF-8' when saving") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise DataFileError(path, "the file has no header row") from None
    columns = [normalise_column(c) for c in header]
    rows = []
    width = len(columns)
    for i, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != width:
            raise DataFileError(path, f"has {len(row)} cells where the header has {width}", row=i,
                                hint="The file looks truncated or damaged: download it again")
        rows.append(row)
        if nrows is not None and len(rows) >= nrows:
            break
    if not rows:
        raise DataFileError(path, "has a header but no data rows", hint="Download it again")
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    # a duplicated normalised column (two aliases of one name) keeps the first
    return frame.loc[:, ~frame.columns.duplicated()]


def match_publication(columns, sample: pd.DataFrame | None = None) -> Publication | None:
    """The publication whose signature columns a file has, under their
    current names or the names of an older release (:mod:`.layouts`);
    failing that, a DfE release (time_period and geographic_level) that
    lacks just one of a publication's three signature columns is still that
    publication (a renamed column then shows as a missing measure, loudly,
    rather than the whole file being skipped)."""
    def cols_of(pub):
        return {c.lower() for c in layouts.renamed(pub.id, columns)}

    for pub in PUBLICATIONS:
        cols = cols_of(pub)
        if not all(s.lower() in cols for s in pub.signature):
            continue
        if pub.require_values and sample is not None:
            col, wanted = pub.require_values
            current = layouts.apply_layout(pub.id, sample)
            if col in current.columns and not current[col].isin(wanted).any():
                continue
        return pub
    if not {"time_period", "geographic_level"} <= {c.lower() for c in columns}:
        return None
    near = [pub for pub in PUBLICATIONS if len(pub.signature) >= 3 and not pub.require_values
            and sum(s.lower() in cols_of(pub) for s in pub.signature) == len(pub.signature) - 1]
    return near[0] if len(near) == 1 else None


def sniff_dfe(path: Path) -> str | None:
    """Return the publication id of a DfE tidy CSV, judged by its content."""
    try:
        sample = read_text_table(path, nrows=400)
    except DataFileError:
        return None
    pub = match_publication(sample.columns, sample)
    return pub.id if pub else None


def _is_code(token: str) -> bool:
    t = token.strip().strip("[]").lower()
    if t in STATUS_LABELS or t in _EXTRA_CODES:
        return True
    # "any other" short code a future release introduces (letters or symbols,
    # never digits); longer text is an error, not a code.
    return 0 < len(t) <= 3 and not any(ch.isdigit() for ch in t)


def parse_values(frame: pd.DataFrame, column: str, path: Path, row_numbers: np.ndarray):
    """Numbers and statuses for one value column. Empty cells (including quoted
    empty strings) count as 'x' (not available)."""
    text = frame[column].astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna()
    status = pd.Series("ok", index=frame.index, dtype=object)
    if bad.any():
        tokens = text[bad].str.strip("[]").str.lower()
        empty = tokens == ""
        tokens = tokens.where(~empty, "x")
        not_code = ~tokens.map(_is_code)
        if not_code.any():
            first = not_code[not_code].index[0]
            raise DataFileError(path, "holds text where a number or a DfE code belongs",
                                row=int(row_numbers[frame.index.get_loc(first)]), column=column,
                                value=text[first],
                                hint="Correct the cell, or download the file again; known codes are "
                                     + ", ".join(k for k in STATUS_LABELS if k not in ("ok", "not_derivable")))
        status[bad] = tokens
    return numbers.astype(float), status


#: Columns a row of each geographic level needs (the area's code and name).
_GEO_NEEDS = {"national": ("country_code", "country_name"), "regional": ("region_code", "region_name"),
              "local authority": ("old_la_code", "la_name")}


def _check_geography(frame: pd.DataFrame, path: Path) -> None:
    """A release whose rows name a level (national, regional, local
    authority) must have that level's code and name columns."""
    levels = set(frame["geographic_level"].str.strip().str.lower())
    for level, cols in _GEO_NEEDS.items():
        lacking = [c for c in cols if c not in frame.columns]
        if level in levels and lacking:
            raise DataFileError(path, f"has {level} rows but no {' or '.join(repr(c) for c in lacking)} column",
                                hint="Every DfE release names each area by code and name; download the file again "
                                     "from the publication's page")


def load_dfe(path: Path, publication: str | None = None) -> pd.DataFrame:
    """Load one DfE tidy CSV into the Observations layout (docs/store.md)."""
    path = Path(path)
    frame = read_text_table(path)
    row_numbers = np.arange(2, len(frame) + 2)
    pub = PUBLICATION_BY_ID[publication] if publication else match_publication(frame.columns, frame)
    if pub is None:
        raise UnknownLayoutError(
            path, "its columns match no known publication",
            hint="Known publications: " + ", ".join(p.title for p in PUBLICATIONS)
                 + f". Columns found: {', '.join(list(frame.columns)[:15])}")
    missing = [c for c in ("time_period", "geographic_level") if c not in frame.columns]
    if missing:
        raise DataFileError(path, f"lacks the column(s) {missing} every DfE release has")
    frame = layouts.apply_layout(pub.id, frame)
    _check_geography(frame, path)
    for col in _GEO + ["country_name"]:
        if col not in frame.columns:
            frame[col] = ""
    keep = pd.Series(True, index=frame.index)
    for col, wanted in pub.fixed.items():
        if col in frame.columns:
            keep &= frame[col] == wanted
    levels = frame["geographic_level"].str.strip().str.lower().map(LEVELS)
    keep &= levels.notna()
    frame, levels, row_numbers = frame[keep], levels[keep], row_numbers[keep.to_numpy()]

    periods = pd.to_numeric(frame["time_period"].str.strip().str[:4], errors="coerce")
    if periods.isna().any():
        first = periods[periods.isna()].index[0]
        raise DataFileError(path, "has a time_period that is not a year", column="time_period",
                            row=int(row_numbers[frame.index.get_loc(first)]),
                            value=frame.at[first, "time_period"])
    # DfE writes academic or financial years as 202425: the period ends in the second year.
    raw_period = frame["time_period"].str.strip()
    periods = periods.where(raw_period.str.len() != 6, periods + 1).astype(int)

    old = frame["old_la_code"].str.replace(" ", "", regex=False)
    area_code = np.where(levels == "la", old,
                         np.where(levels == "regional", frame["region_code"], frame["country_code"]))
    area_name = np.where(levels == "la", frame["la_name"],
                         np.where(levels == "regional", frame["region_name"], frame["country_name"]))
    ons_code = np.where(levels == "la", frame["new_la_code"].str.replace(" ", "", regex=False),
                        np.where(levels == "regional", frame["region_code"], frame["country_code"]))
    base = pd.DataFrame({
        "source": pub.id, "period": periods.to_numpy(), "level": levels.to_numpy(),
        "area_code": area_code, "area_name": area_name, "ons_code": ons_code,
        "region_code": np.where(levels == "national", "", frame["region_code"]),
        "region_name": np.where(levels == "national", "", frame["region_name"]),
    }, index=frame.index)
    if (base["level"] == "la").any() and (base.loc[base["level"] == "la", "area_code"] == "").any():
        first = base.index[(base["level"] == "la") & (base["area_code"] == "")][0]
        raise DataFileError(path, "a local authority row has no LA code", column="old_la_code",
                            row=int(row_numbers[frame.index.get_loc(first)]))

    prefix = pd.Series("", index=frame.index, dtype=object)
    for col, mapping in pub.filters.items():
        if col not in frame.columns:
            raise DataFileError(path, f"lacks the filter column '{col}' of {pub.title}")
        # filter values match whatever their case and spacing (releases differ)
        folded = {" ".join(k.split()).lower(): v for k, v in mapping.items()}
        part = frame[col].map(lambda v, m=folded: m.get(" ".join(v.split()).lower()) or slugify(v))
        prefix = prefix.where(prefix == "", prefix + "_") + part

    value_columns, pieces = _value_pieces(pub, frame, base, prefix, path, row_numbers)
    if not pieces:
        raise DataFileError(path, f"has none of the value columns of {pub.title}")
    out = pd.concat(pieces, ignore_index=True)[OBSERVATION_COLUMNS + ["row", "column"]]
    out.attrs["layout_notes"] = _layout_notes(pub, frame, value_columns)
    dupes = out.duplicated(["period", "area_code", "measure"], keep=False)
    if dupes.any():
        d = out[dupes].iloc[0]
        raise DataFileError(path, f"has more than one row for {d.area_name} ({d.area_code}), "
                                  f"{d.period}, measure {d.measure}",
                            hint="The file may be two releases joined together; keep one")
    for col in ("source", "level", "area_code", "area_name", "ons_code", "region_code",
                "region_name", "measure", "status", "column"):
        out[col] = out[col].astype(str)
    return out


def _value_pieces(pub: Publication, frame: pd.DataFrame, base: pd.DataFrame, prefix: pd.Series, path: Path,
                  row_numbers) -> tuple[dict, list[pd.DataFrame]]:
    """(the value columns sought, one Observations piece per value column found)."""
    pieces = []
    present = {c.lower(): c for c in frame.columns}
    value_columns = pub.values
    if "*" in value_columns:  # every column that is not geography, time or a filter
        skip = set(_GEO) | {"time_identifier", "country_name", "category"} | set(pub.filters)
        value_columns = {c: "" for c in frame.columns if c not in skip}
    for value_col, suffix in value_columns.items():
        col = present.get(value_col.lower())
        if col is None:
            continue
        values, status = parse_values(frame, col, path, row_numbers)
        if pub.filters:
            measure = prefix + "_" + suffix if suffix else prefix
        else:
            measure = pd.Series(value_col, index=frame.index, dtype=object)
        piece = base.copy()
        piece["measure"] = measure.to_numpy()
        piece["value"] = values.to_numpy()
        piece["status"] = status.to_numpy()
        piece["row"] = row_numbers
        piece["column"] = col
        pieces.append(piece)
    return value_columns, pieces


def _layout_notes(pub: Publication, frame: pd.DataFrame, value_columns: dict) -> dict:
    """What a file held that the loader did not use: columns beyond its
    geography, filters and value columns, and filter labels that match no
    known category (the store says so when a measure is then missing)."""
    used = set(_GEO) | {"time_identifier", "country_name", "category"} | set(pub.filters) | set(pub.fixed)
    used |= {c.lower() for c in value_columns}
    unread = [c for c in frame.columns if c.lower() not in used]
    unknown = {}
    for col, mapping in pub.filters.items():
        labels = sorted(set(frame[col].dropna().astype(str)) - set(mapping))
        if labels:
            unknown[col] = labels
    return {"unread_columns": unread, "unknown_labels": unknown}
