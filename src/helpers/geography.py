"""Council geography: the ONS upper-tier lookup, the reorganisations that
changed DfE's 3-digit LA numbers, joint workforce returns, and turning what a
user types ("Devon", "878", "E10000008") into the store's area code.

Codes
-----
DfE identifies a council by a 3-digit LA number (``old_la_code``, e.g. ``878``
for Devon); ONS by a 9-character code (``E10000008``). The store keys
councils on the DfE number and keeps the ONS code alongside.

Reorganisations
---------------
:data:`REORGANISATIONS` is a hand-written table (not extracted from any
file) of the English reorganisations that retired DfE LA numbers since 2013.
The first period in which each publication family carries the successor
authorities was checked against the DfE releases (see ``DATA_GUIDE.md`` §4).
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from .errors import DataFileError, UnknownCouncilError

__all__ = [
    "Reorganisation", "JointReturn", "REORGANISATIONS", "JOINT_RETURNS",
    "successors", "predecessors", "joint_return_for", "reorganisation_note",
    "sniff_utla_lookup", "load_utla_lookup", "normalise_name", "resolve_council", "WELSH_COUNCILS", "welsh_council",
]


# --------------------------------------------------------------------------
# Reorganisations and joint returns
# --------------------------------------------------------------------------

#: Wales's 22 principal councils (English and Welsh names): their children's
#: services report to the Welsh Government, not to the DfE releases read here.
WELSH_COUNCILS = {
    "blaenau gwent": "Blaenau Gwent", "bridgend": "Bridgend", "pen-y-bont ar ogwr": "Bridgend",
    "caerphilly": "Caerphilly", "caerffili": "Caerphilly", "cardiff": "Cardiff", "caerdydd": "Cardiff",
    "carmarthenshire": "Carmarthenshire", "sir gaerfyrddin": "Carmarthenshire", "ceredigion": "Ceredigion",
    "conwy": "Conwy", "denbighshire": "Denbighshire", "sir ddinbych": "Denbighshire", "flintshire": "Flintshire",
    "sir y fflint": "Flintshire", "gwynedd": "Gwynedd", "isle of anglesey": "Isle of Anglesey",
    "anglesey": "Isle of Anglesey", "ynys mon": "Isle of Anglesey", "ynys môn": "Isle of Anglesey",
    "merthyr tydfil": "Merthyr Tydfil", "merthyr tudful": "Merthyr Tydfil", "monmouthshire": "Monmouthshire",
    "sir fynwy": "Monmouthshire", "neath port talbot": "Neath Port Talbot", "castell-nedd port talbot":
    "Neath Port Talbot", "newport": "Newport", "casnewydd": "Newport", "pembrokeshire": "Pembrokeshire",
    "sir benfro": "Pembrokeshire", "powys": "Powys", "rhondda cynon taf": "Rhondda Cynon Taf",
    "swansea": "Swansea", "abertawe": "Swansea", "torfaen": "Torfaen", "tor-faen": "Torfaen",
    "vale of glamorgan": "Vale of Glamorgan", "bro morgannwg": "Vale of Glamorgan", "wrexham": "Wrexham",
    "wrecsam": "Wrexham"}


def welsh_council(name: str) -> str | None:
    """The Welsh council a name means (English or Welsh name, any case), or None."""
    key = " ".join(str(name).replace("&", "and").lower().split())
    key = key.removesuffix(" county borough council").removesuffix(" county council").removesuffix(" council")
    return WELSH_COUNCILS.get(key)


@dataclass(frozen=True)
class Reorganisation:
    """One reorganisation of English councils.

    ``mapping`` says, for each retired DfE LA number, which new numbers cover
    its area (the main successor first). ``first_periods`` gives, per
    publication family, the first period (year the period ends) in which the
    successors appear in DfE's releases; families not listed follow the
    ``date``. ``ons_codes`` maps each DfE number to its ONS code."""

    name: str
    predecessors: tuple[str, ...]
    successors: tuple[str, ...]
    date: date
    mapping: dict[str, tuple[str, ...]]
    names: dict[str, str]
    ons_codes: dict[str, str]
    first_periods: dict[str, int]
    note: str
    series_break: str = field(default="")


REORGANISATIONS: tuple[Reorganisation, ...] = (
    Reorganisation(
        name="Dorset, Bournemouth and Poole (April 2019)",
        predecessors=("835", "836", "837"),
        successors=("838", "839"),
        date=date(2019, 4, 1),
        # Christchurch borough moved from Dorset County Council's area into BCP.
        mapping={"835": ("838", "839"), "836": ("839",), "837": ("839",)},
        names={"835": "Dorset County Council (to March 2019)", "836": "Poole", "837": "Bournemouth",
               "838": "Dorset", "839": "Bournemouth, Christchurch and Poole"},
        ons_codes={"835": "E10000009", "836": "E06000029", "837": "E06000028",
                   "838": "E06000059", "839": "E06000058"},
        first_periods={"children_in_need": 2020, "workforce": 2019, "population": 2019,
                       "looked_after": 2021},
        note=("On 1 April 2019 Dorset County Council (DfE 835), Poole (836) and Bournemouth (837) "
              "were replaced by two unitary councils: Dorset (838) and Bournemouth, Christchurch "
              "and Poole (839; Christchurch moved from the county). DfE treats Dorset 838 as a new "
              "authority, so its series starts in 2019 (workforce) or 2020 (children in need, child "
              "protection); figures for Dorset County Council 835 before then are for a different "
              "authority covering a different area. ONS population for 835, 836 and 837 is not "
              "available (x) for 2012-2018."),
        series_break="838",
    ),
    Reorganisation(
        name="Northamptonshire (April 2021)",
        predecessors=("928",),
        successors=("940", "941"),
        date=date(2021, 4, 1),
        mapping={"928": ("940", "941")},
        names={"928": "Northamptonshire", "940": "North Northamptonshire", "941": "West Northamptonshire"},
        ons_codes={"928": "E10000021", "940": "E06000061", "941": "E06000062"},
        first_periods={"children_in_need": 2022, "workforce": 2021, "population": 2021,
                       "looked_after": 2022},
        note=("On 1 April 2021 Northamptonshire County Council (DfE 928) was replaced by North "
              "Northamptonshire (940) and West Northamptonshire (941). Children in need and child "
              "protection figures for the two new councils start in 2022 (928 reports to 2021); the "
              "workforce census reports them as one joint return '940/941' from 2021."),
    ),
    Reorganisation(
        name="Cumbria (April 2023)",
        predecessors=("909",),
        successors=("942", "943"),
        date=date(2023, 4, 1),
        mapping={"909": ("942", "943")},
        names={"909": "Cumbria", "942": "Cumberland", "943": "Westmorland and Furness"},
        ons_codes={"909": "E10000006", "942": "E06000063", "943": "E06000064"},
        first_periods={"children_in_need": 2024, "workforce": 2023, "population": 2023,
                       "looked_after": 2024},
        note=("On 1 April 2023 Cumbria County Council (DfE 909) was replaced by Cumberland (942) "
              "and Westmorland and Furness (943). Children in need, child protection and children "
              "looked after figures for the new councils start in 2024 (Cumbria reports to 2023); "
              "the workforce census and ONS population start in 2023."),
    ),
)


@dataclass(frozen=True)
class JointReturn:
    """Councils that make one joint return to a DfE collection."""

    code: str
    members: tuple[str, ...]
    publications: tuple[str, ...]
    first_period: int | None
    note: str


JOINT_RETURNS: tuple[JointReturn, ...] = (
    JointReturn(
        code="314/318", members=("314", "318"), publications=("csww",), first_period=None,
        note=("Kingston upon Thames (314) and Richmond upon Thames (318) share a children's "
              "services company (Achieving for Children) and make one joint social work workforce "
              "return every year; workforce figures are for the two councils together."),
    ),
    JointReturn(
        code="940/941", members=("940", "941"), publications=("csww",), first_period=2021,
        note=("North Northamptonshire (940) and West Northamptonshire (941) share a children's "
              "trust and make one joint social work workforce return from 2021; workforce figures "
              "are for the two councils together."),
    ),
)


def _clean_code(code) -> str:
    """'878', 878, ' 940 / 941 ' -> '878', '878', '940/941'."""
    text = str(code).strip()
    if re.fullmatch(r"\d+\.0", text):
        text = text[:-2]
    return re.sub(r"\s*/\s*", "/", text)


def successors(code) -> list[str]:
    """The current DfE LA numbers that cover the area of a retired one.

    ``code`` is a DfE 3-digit LA number (``"928"``). Returns the successor
    numbers, main successor first (``["940", "941"]``), following later
    reorganisations too; an empty list when the council was not
    reorganised away."""
    code = _clean_code(code)
    for reorg in REORGANISATIONS:
        if code in reorg.mapping:
            out: list[str] = []
            for succ in reorg.mapping[code]:
                for final in (successors(succ) or [succ]):
                    if final not in out:
                        out.append(final)
            return out
    return []


def predecessors(code) -> list[str]:
    """The retired DfE LA numbers whose area a council took over, e.g.
    ``predecessors("839") == ["835", "836", "837"]``; empty when none."""
    code = _clean_code(code)
    out: list[str] = []
    for reorg in REORGANISATIONS:
        for pred, succs in reorg.mapping.items():
            if code in succs and pred not in out:
                out.append(pred)
    return out


def joint_return_for(code, period: int | None = None) -> str | None:
    """The joint workforce return a council is part of (``"314/318"``), or None.

    ``code`` is a DfE LA number; ``period`` (optional) is the census year, for
    joint returns that began in a given year (940/941 from 2021). The joint
    code itself is returned unchanged."""
    code = _clean_code(code)
    for joint in JOINT_RETURNS:
        if code == joint.code or code in joint.members:
            if period is not None and joint.first_period is not None and period < joint.first_period:
                return None
            return joint.code
    return None


def reorganisation_note(code) -> str | None:
    """A plain-English note for a pack's data notes about a council that was
    created or retired by a reorganisation, or is part of a joint workforce
    return; None when nothing needs saying. ``code`` is a DfE LA number."""
    code = _clean_code(code)
    notes = []
    for reorg in REORGANISATIONS:
        if code in reorg.predecessors or code in reorg.successors:
            notes.append(reorg.note)
    for joint in JOINT_RETURNS:
        if code == joint.code or code in joint.members:
            notes.append(joint.note)
    return " ".join(notes) if notes else None


# --------------------------------------------------------------------------
# ONS LTLA -> UTLA lookup
# --------------------------------------------------------------------------

_UTLA_COLUMN = re.compile(r"^(LTLA|UTLA)(\d{2})(CD|NM|NMW)$", re.IGNORECASE)


def _lookup_columns(header: list[str]) -> dict[str, str] | None:
    """Map 'UTLA23CD' etc. to roles, whatever the year suffix."""
    roles: dict[str, str] = {}
    for name in header:
        m = _UTLA_COLUMN.match(name.strip())
        if m:
            roles[f"{m.group(1).upper()}{m.group(3).upper()}"] = name
    if {"UTLACD", "UTLANM", "LTLACD"} <= roles.keys():
        return roles
    return None


def _read_header(path: Path) -> list[str] | None:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def sniff_utla_lookup(path) -> bool:
    """True if ``path`` is an ONS lower-tier to upper-tier authority lookup
    (a CSV with LTLAyyCD, UTLAyyCD and UTLAyyNM columns, any year)."""
    header = _read_header(Path(path))
    return bool(header) and _lookup_columns(header) is not None


def load_utla_lookup(path) -> pd.DataFrame:
    """Distinct upper-tier authorities from an ONS LTLA-UTLA lookup CSV.

    ``path`` is the lookup as downloaded from the ONS Open Geography portal
    (e.g. ``LTLA-UTLA_Apr23_Lookup_England-Wales.csv``). Returns one row per
    upper-tier authority with columns ``ons_code``, ``name``, ``name_welsh``
    (blank for English councils) and ``country`` (``England`` or ``Wales``,
    from the code's first letter), sorted by ``ons_code``."""
    path = Path(path)
    header = _read_header(path)
    roles = _lookup_columns(header or [])
    if roles is None:
        raise DataFileError(path, "is not an ONS LTLA-UTLA lookup: it lacks the UTLAyyCD, UTLAyyNM "
                                  "and LTLAyyCD columns", row=1,
                            value=", ".join((header or [])[:8]),
                            hint="Download the 'Lower Tier Local Authority to Upper Tier Local "
                                 "Authority' lookup CSV from the ONS Open Geography portal")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    codes = frame[roles["UTLACD"]].str.strip()
    names = frame[roles["UTLANM"]].str.strip()
    welsh = frame[roles["UTLANMW"]].str.strip() if "UTLANMW" in roles else pd.Series("", index=frame.index)
    for i, code in enumerate(codes):
        if not re.fullmatch(r"[EWSN]\d{8}", code):
            raise DataFileError(path, "holds a value that is not a 9-character ONS code", row=i + 2,
                                column=roles["UTLACD"], value=code,
                                hint="Download the lookup again from the ONS Open Geography portal")
    out = pd.DataFrame({"ons_code": codes, "name": names, "name_welsh": welsh})
    out = out.drop_duplicates("ons_code").sort_values("ons_code").reset_index(drop=True)
    countries = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}
    out["country"] = out["ons_code"].str[0].map(countries)
    return out


# --------------------------------------------------------------------------
# Resolving a council from what a user typed
# --------------------------------------------------------------------------

_SUFFIXES = ("metropolitan borough council", "county borough council", "borough council",
             "county council", "city council", "district council", "council", "cc", "ua", "mbc")


def normalise_name(name: str) -> str:
    """A council name reduced for matching: lower case, '&' read as 'and',
    'St.' as 'St', punctuation dropped, and 'council' / 'county council' /
    'City of' suffixes removed. ``"St. Helens Council"`` -> ``"st helens"``;
    ``"Bristol, City of"`` -> ``"bristol"``."""
    text = str(name).lower().replace("&", " and ").replace("’", "'")
    text = re.sub(r",\s*(city|county) of\s*$", "", text)
    text = re.sub(r"\bst\.", "st ", text)
    text = re.sub(r"[^a-z0-9 ]+", " ", text.replace("'", ""))
    text = " ".join(text.split())
    for suffix in _SUFFIXES:
        if text.endswith(" " + suffix) and len(text) > len(suffix) + 1:
            text = text[: -len(suffix) - 1]
            break
    return text


def _current_first(rows: pd.DataFrame) -> pd.DataFrame:
    """Order candidate areas so the current one comes first: latest
    ``last_period`` if the table has one, LA level before others."""
    rows = rows.copy()
    rows["_is_la"] = rows["level"].astype(str).eq("la") if "level" in rows else True
    keys, asc = ["_is_la"], [False]
    if "last_period" in rows:
        rows["_last"] = pd.to_numeric(rows["last_period"], errors="coerce").fillna(float("inf"))
        keys.append("_last")
        asc.append(False)
    return rows.sort_values(keys, ascending=asc, kind="stable")


def resolve_council(query, areas: pd.DataFrame) -> str:
    """The store's area code for a council given by code or name.

    ``query`` is what the user typed: a DfE 3-digit LA number (``"878"``), a
    joint return (``"314/318"``), an ONS code (``"E10000008"``) or a name
    (``"Devon"``, ``"Devon County Council"``, ``"St. Helens"``, ``"Brighton &
    Hove"``), matched ignoring case, punctuation and 'council'.
    ``areas`` is the store's areas table, one row per area, with columns
    ``area_code``, ``area_name``, ``level`` and ``ons_code`` (and optionally
    ``last_period``).

    When a name matches two areas (Dorset County Council 835 and Dorset 838)
    the current one (latest ``last_period``) is returned; give the code to
    pick the other. Raises :class:`UnknownCouncilError` with up to three
    suggestions when nothing matches."""
    given = str(query).strip()
    if not given:
        raise UnknownCouncilError(given)
    codes = areas["area_code"].astype(str).map(_clean_code)
    code = _clean_code(given)
    hit = areas[codes == code]
    if len(hit):
        return str(hit.iloc[0]["area_code"])
    if "ons_code" in areas:
        ons = areas["ons_code"].astype(str).str.strip().str.upper()
        hit = areas[ons == given.upper()]
        if len(hit):
            return str(_current_first(hit).iloc[0]["area_code"])
    names = areas["area_name"].astype(str).map(normalise_name)
    wanted = normalise_name(given)
    hit = areas[names == wanted]
    if len(hit) == 1:
        return str(hit.iloc[0]["area_code"])
    if len(hit) > 1:
        ordered = _current_first(hit)
        single_la = "level" in hit and hit["level"].astype(str).eq("la").sum() == 1
        if "last_period" in hit or single_la:
            return str(ordered.iloc[0]["area_code"])
        raise UnknownCouncilError(given, [f"{r.area_name} ({r.area_code})" for r in ordered.itertuples()][:3])
    # suggestions: close names, then names containing the query
    choices = dict(zip(names, zip(areas["area_name"].astype(str), areas["area_code"].astype(str))))
    close = difflib.get_close_matches(wanted, list(choices), n=3, cutoff=0.6)
    if len(close) < 3 and wanted:
        close += [n for n in choices if wanted in n and n not in close][: 3 - len(close)]
    raise UnknownCouncilError(given, [f"{choices[n][0]} ({choices[n][1]})" for n in close])
