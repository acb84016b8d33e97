"""Older layouts of DfE's releases: the columns each publication has renamed
and the category labels it has reworded since the 2019 release, so that an
older file loads into the same measures as the latest one.

Generic renames that any publication may use (``year`` for ``time_period``,
``la_code`` for ``old_la_code``...) stay in :data:`helpers.loaders.dfe.ALIASES`.
The renames here belong to one publication: DfE reuses names such as
``number`` for different things in different files, so they are applied
only once a file has been recognised as that publication (or while testing
whether it is one).

Names are matched after :func:`helpers.loaders.dfe.normalise_column` (lower
case, spaces and dashes as underscores). Each entry says which releases it
was seen in; the sources are the files DfE published on Explore Education
Statistics and the public code of DfE's own dashboards that reads them.

:func:`explain_missing` says, for a measure a recognised file lacks, where
DfE publishes it and what the file held instead (the columns it had that
were not read, the category labels that matched nothing), so the build's
missing-measures report says why, not only what.
"""

from __future__ import annotations

import pandas as pd

#: Columns renamed between releases, per publication: old name -> current name.
RENAMED: dict[str, dict[str, str]] = {
    # Children's social work workforce: until the 2022 release the LA figures
    # came as csww_headline_measures_2017_to_YYYY.csv, with "social_worker"
    # for "inpost", "leaver" for "leavers", "agency_worker_rate" for
    # "agency_rate" and a "_%" on every rate; it had no starters columns.
    "csww": {
        "social_worker_fte": "inpost_fte",
        "social_worker_headcount": "inpost_headcount",
        "leaver_fte": "leavers_fte",
        "leaver_headcount": "leavers_headcount",
        "turnover_rate_fte_%": "turnover_rate_fte",
        "turnover_rate_headcount_%": "turnover_rate_headcount",
        "absence_rate_fte_%": "absence_rate_fte",
        "agency_worker_rate_fte_%": "agency_rate_fte",
        "agency_worker_rate_headcount_%": "agency_rate_headcount",
        "agency_cover_rate_fte_%": "agency_cover_rate_fte",
        "vacancy_rate_fte_%": "vacancy_rate_fte",
        "vacancy_agency_cover_rate_fte_%": "vacancy_agency_cover_rate_fte",
    },
    # Children in need C1: until the 2024 release the columns were Referrals,
    # Re_referrals, Re_referrals_percent, No_Further_Action(_percent),
    # Not_in_Need(_percent), Referrals_child, Re_referrals_child(_percent),
    # with a rate per 10,000 after each count of referrals (Referrals and
    # Re_referrals are among the generic aliases).
    "cin_c1": {
        "re_referrals_percent": "rereferral_percent",
        "no_further_action": "no_further_action_count",
        "not_in_need": "not_in_need_count",
        "referrals_child": "referral_child_count",
        "re_referrals_child": "rereferral_child_count",
        "re_referrals_child_percent": "rereferral_child_percent",
    },
    # Children looked after, numbers and rates: until the 2024 release the
    # filter was "population_count" and the count "number".
    "cla_number": {
        "population_count": "population_type",
        "number": "children_count",
    },
    # Care leavers' accommodation (17 to 21): editions to the 2024 release
    # used age, accommodation_type, number and percentage; the 2025 release
    # took the names of the 22 to 25 file.
    "care_leavers_accommodation": {
        "age": "care_leaver_age",
        "accommodation_type": "breakdown",
        "number": "care_leaver_count",
        "percentage": "care_leaver_percent",
    },
}

#: Category labels reworded between releases, per publication and filter
#: column: old label -> current label.
RELABELLED: dict[str, dict[str, dict[str, str]]] = {
    # until the 2024 release: "at 31 March"; from 2025: "on 31 March"
    "cla_number": {"population_type": {
        "Children looked after at 31 March each year": "Children looked after on 31 March each year",
    }},
}


def renamed(publication: str, columns) -> list[str]:
    """The column names as the publication's current release names them."""
    table = RENAMED.get(publication, {})
    return [table.get(c, c) for c in columns]


def apply_layout(publication: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (normalised column names, text cells) with the publication's
    renamed columns and reworded labels in their current form. Where a file
    holds a column under both names, the current one is kept."""
    table = RENAMED.get(publication, {})
    if any(c in table for c in frame.columns):
        present = set(frame.columns)
        drop = [c for c in frame.columns if c in table and table[c] in present]
        frame = frame.drop(columns=drop).rename(columns=table)
    for column, labels in RELABELLED.get(publication, {}).items():
        if column in frame.columns and frame[column].isin(list(labels)).any():
            frame = frame.assign(**{column: frame[column].replace(labels)})
    return frame


def explain_missing(pub, measure: str, notes: dict | None = None) -> str:
    """Why a recognised file of ``pub`` (a Publication) lacks ``measure``:
    where DfE publishes it, and what the file held instead (``notes`` as
    recorded by the loader: ``unread_columns`` and ``unknown_labels``)."""
    notes = notes or {}
    where = _origin(pub, measure)
    held = []
    unread = notes.get("unread_columns") or []
    if unread:
        held.append(f"columns not read: {', '.join(repr(c) for c in unread[:8])}"
                    + (f" and {len(unread) - 8} more" if len(unread) > 8 else ""))
    for column, labels in sorted((notes.get("unknown_labels") or {}).items()):
        held.append(f"{column} labels not recognised: {', '.join(repr(v) for v in labels[:6])}"
                    + (f" and {len(labels) - 6} more" if len(labels) > 6 else ""))
    lacking = "no such rows" if pub.filters else "no such column"
    if not held:
        return f"DfE publishes it as {where}; the file has {lacking} and nothing else that could hold it"
    return f"DfE publishes it as {where}; the file has {lacking}; " + "; ".join(held)


def _origin(pub, measure: str) -> str:
    """'column X', or "column X of the rows whose F is 'L'" for a filtered
    publication."""
    if not pub.filters:
        return f"column {measure!r}"
    for column, suffix in pub.values.items():
        for combo in _combinations(pub.filters):
            prefix = "_".join(part for _, _, part in combo)
            if (f"{prefix}_{suffix}" if suffix else prefix) == measure:
                rows = " and ".join(f"{col} is {label!r}" for col, label, _ in combo)
                return f"column {column!r} of the rows whose {rows}"
    return f"measure {measure!r}"


def _combinations(filters: dict) -> list[list[tuple[str, str, str]]]:
    """Every choice of one label per filter column, in filter order."""
    combos: list[list[tuple[str, str, str]]] = [[]]
    for column, mapping in filters.items():
        combos = [c + [(column, label, part)] for c in combos for label, part in mapping.items()]
    return combos
