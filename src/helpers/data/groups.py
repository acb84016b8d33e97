"""Every comparator group resolved in one place: a council's DfE statistical
neighbours, the other councils of its region, or a group an analyst names in
a comparators file. The notebooks, the pack's data notes and the batch all
ask here, so a pack describes the group it compared with."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParameterError
from ..neighbours import DEFAULT_MODEL, load_comparator_groups

__all__ = ["ComparatorGroup", "resolve_group", "member_codes", "region_name", "KEYWORDS"]

KEYWORDS = ("statistical neighbours", "region")


@dataclass(frozen=True)
class ComparatorGroup:
    """A resolved comparator group.

    kind    "statistical neighbours", "region" or "comparator group"
    label   what a pack calls it ("statistical neighbours", "councils in the
            South West", or the group's label)
    codes   members' council codes in the store, without the council itself
            (None for statistical neighbours and region: the engine resolves
            those itself, per indicator)
    notes   members that could not be used, and why
    model   the statistical neighbour model
    """
    kind: str
    label: str
    codes: tuple[str, ...] | None
    notes: tuple[str, ...] = ()
    model: str = DEFAULT_MODEL

    @property
    def comparator(self):
        """What the comparison engine takes: None, "region" or the codes."""
        if self.kind == "statistical neighbours":
            return None
        if self.kind == "region":
            return "region"
        return list(self.codes or ())


def region_name(store, code: str) -> str:
    """The name of the region a council is compared within (London for Inner
    and Outer London boroughs)."""
    from ..stats.layout import region_for_comparison
    area = store.area(code)
    region = region_for_comparison(str(area.get("region_code", "") or ""))
    rows = store.areas[store.areas["area_code"].astype(str) == region]
    return str(rows.iloc[0]["area_name"]) if len(rows) else str(area.get("region_name", "") or "")


def member_codes(store, code: str, group: ComparatorGroup) -> list[str]:
    """The councils a group compares ``code`` with, as the engine resolves
    them (neighbours of the group's model, the current councils of its
    region, or the group's own members)."""
    from ..stats.layout import layout_for
    from ..stats.views import as_store, comparator_members
    st = as_store(store)
    return comparator_members(st, layout_for(st), code, group.comparator, group.model)[1]


def resolve_group(store, code: str, comparator: str, comparators_file: str = "", *,
                  model: str | None = None) -> ComparatorGroup:
    """The group ``comparator`` names for council ``code``: "statistical
    neighbours", "region" or a group (id or label) in ``comparators_file``.
    Raises ParameterError naming the allowed values."""
    if not model:
        from ..neighbours import resolve_model
        model = resolve_model(store.neighbours, "") or DEFAULT_MODEL
    if comparator in (None, "", "statistical neighbours"):
        return ComparatorGroup("statistical neighbours", "statistical neighbours", None, model=model)
    if comparator == "region":
        region = region_name(store, code)
        label = f"councils in {region}" if region else "councils in the region"
        return ComparatorGroup("region", label, None, model=model)
    if not comparators_file:
        raise ParameterError("comparator", "must be 'statistical neighbours' or 'region' (or the name of a group "
                                           "in comparators_file, which is empty)", comparator)
    groups = load_comparator_groups(comparators_file, store.areas)
    names = list(dict.fromkeys(groups["group"]))
    labels = dict(zip(groups["group"], groups["label"]))
    chosen = [g for g in names if g == comparator or labels[g] == comparator]
    if not chosen:
        allowed = ", ".join(repr(a) for a in [*KEYWORDS, *names])
        raise ParameterError("comparator", f"is not 'statistical neighbours', 'region' or a group in "
                                           f"{comparators_file}. Allowed values: {allowed}", comparator)
    rows = groups[groups["group"] == chosen[0]]
    notes = tuple(f"{r.member}: {r.note}" for r in rows.itertuples() if not r.resolved)
    codes = tuple(str(c) for c in rows.loc[rows["resolved"] & ~rows["duplicate"], "area_code"] if str(c) != code)
    if not codes:
        raise ParameterError("comparator", f"the group {chosen[0]!r} in {comparators_file} has no member found in "
                                           f"the data", comparator)
    return ComparatorGroup("comparator group", str(labels[chosen[0]]), codes, notes, model)
