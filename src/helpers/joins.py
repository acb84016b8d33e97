"""Publications that do not key councils by DfE's LA number, given it.

DfE's releases name a council by its 3-digit LA number, the key of the
store. MHCLG's revenue outturn and OHID's Fingertips exports name councils by
ONS code; Ofsted's providers list by name. Before their figures join the
store each council row gets the DfE number, name and region that the DfE
releases give it; rows that match no council are left out and listed in a
warning (district councils, police and fire authorities in MHCLG's files
never match, by design: only upper-tier councils run children's services).
"""

from __future__ import annotations

import pandas as pd

from .errors import ScrutinyError

__all__ = ["ONS_KEYED", "NAME_KEYED", "attach_ons_keyed", "attach_name_keyed"]

#: Publications whose council rows carry an ONS code and no DfE number.
ONS_KEYED = ("finance_ro3", "finance_rsx", "ohid_fingertips")
#: Publications whose council rows carry only a name.
NAME_KEYED = ("ofsted_providers",)

#: Names a publisher uses that the DfE releases spell differently.
_NAME_ALIASES = {"durham": "County Durham"}


def _ons_lookup(obs: pd.DataFrame) -> pd.DataFrame:
    """ONS code -> DfE area code, name and region, from every DfE council row
    of any period (a council keeps every ONS code it has had: Barnsley's
    E08000016 and E08000038 both lead to 370)."""
    la = obs[obs["level"] == "la"].sort_values("period")
    la = la[la["ons_code"].astype(str).str.len() > 0]
    latest = la.drop_duplicates("area_code", keep="last").set_index("area_code")
    pairs = la.drop_duplicates("ons_code", keep="last")[["ons_code", "area_code"]]
    out = pairs.set_index("ons_code")
    for col in ("area_name", "region_code", "region_name"):
        out[col] = out["area_code"].map(latest[col])
    return out


def _give_codes(frame: pd.DataFrame, matched: pd.Series, lookup: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    is_la = frame["level"] == "la"
    frame = frame[~is_la | matched].copy()
    is_la = frame["level"] == "la"
    keys = key[frame.index][is_la]
    for col in ("area_code", "area_name", "region_code", "region_name"):
        frame.loc[is_la, col] = keys.map(lookup[col]).to_numpy()
    return frame


def _unmatched_warning(publication: str, names, warns: list[str]) -> None:
    names = sorted({str(n) for n in names})
    if names:
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        warns.append(f"{publication}: {len(names)} areas match no council in the DfE releases and were left "
                     f"out: {shown}")


def attach_ons_keyed(obs: pd.DataFrame, items, warns: list[str]) -> list:
    """The ONS-keyed publications' releases, as (publication, file, frame)
    items, their council rows given DfE numbers from ``obs``."""
    found = [item for item in items if item[0] in ONS_KEYED]
    if not found:
        return []
    lookup = _ons_lookup(obs)
    out = []
    for pub, path, frame in found:
        key = frame["ons_code"].astype(str).str.strip().str.upper()
        matched = key.isin(lookup.index)
        is_la = frame["level"] == "la"
        if len(lookup) and pub not in ("finance_ro3", "finance_rsx"):
            _unmatched_warning(pub, frame.loc[is_la & ~matched, "area_name"], warns)
        elif len(lookup):
            unmatched = frame.loc[is_la & ~matched, "area_name"].unique()
            if len(unmatched):
                warns.append(f"Finance rows for {len(unmatched)} councils have ONS codes not found in the DfE "
                             f"releases and were left out: {', '.join(sorted(map(str, unmatched))[:8])}")
        frame = _give_codes(frame, matched, lookup, key)
        frame.loc[frame["level"] == "national", "area_code"] = "E92000001"
        out.append((pub, path, frame))
    return out


def attach_name_keyed(areas: pd.DataFrame, items, warns: list[str]) -> list:
    """The name-keyed publications' releases, as (publication, file, frame)
    items: each name is matched as a user's typed name is (case,
    punctuation, 'St.' and '&' ignored), the current council winning over an
    older namesake."""
    from .geography import normalise_name, resolve_council
    found = [item for item in items if item[0] in NAME_KEYED]
    if not found:
        return []
    la_areas = areas[areas["level"] == "la"]
    normalised = la_areas["area_name"].map(normalise_name)
    once = ~normalised.duplicated(keep=False)   # a name two councils share (Dorset) goes the long way
    quick = dict(zip(normalised[once], la_areas.loc[once, "area_code"]))
    lookup = la_areas.set_index("area_code")[["area_name", "region_code", "region_name"]].copy()
    lookup["area_code"] = lookup.index
    out = []
    for pub, path, frame in found:
        codes: dict[str, str] = {}
        for name in frame.loc[frame["level"] == "la", "area_name"].unique():
            wanted = _NAME_ALIASES.get(str(name).lower(), name)
            try:
                codes[name] = quick.get(normalise_name(wanted)) or resolve_council(wanted, la_areas)
            except ScrutinyError:
                pass
        key = frame["area_name"].map(codes)
        matched = key.notna()
        _unmatched_warning(pub, frame.loc[(frame["level"] == "la") & ~matched, "area_name"], warns)
        frame = _give_codes(frame, matched, lookup, key)
        is_la = frame["level"] == "la"
        frame.loc[is_la, "ons_code"] = frame.loc[is_la, "area_code"].map(
            la_areas.set_index("area_code")["ons_code"]).fillna("").to_numpy()
        out.append((pub, path, frame))
    return out
