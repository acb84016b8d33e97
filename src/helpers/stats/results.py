"""What the comparison engine returns: codes and numbers, never sentences.

:class:`Comparison` is one council, indicator and period; ``as_row()`` flattens
it into the columns of :func:`helpers.stats.compare_all`, so the two views
can be checked field by field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import pandas as pd

from ..catalogue import Indicator
from ..vocab import status_word

__all__ = ["Trend", "YearChange", "FunnelResult", "Comparison", "isnan", "row_columns"]


def isnan(x) -> bool:
    try:
        return x is None or (isinstance(x, float) and math.isnan(x)) or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Trend:
    """Direction of travel over a window of ``years`` periods ending at
    ``end_period`` (codes: docs/statistics.md, "Direction of travel")."""
    years: int
    start_period: int
    end_period: int
    n_points: int
    direction: str               # "rising" | "falling" | "none" | "too_few"
    judgement: str | None        # "improving" | "worsening" | None (context, or no trend)
    shape: str                   # "steady" | "reversed" | "uneven" | "" (no trend)
    latest_step: str             # "up" | "down" | "flat" | "" (no previous figure)
    change: float                # fitted change across the window, indicator units
    first_value: float
    first_period: float          # the first period in the window with a figure
    last_value: float
    last_period: float
    p_value: float
    method: str
    significant: bool
    beyond_limit: bool | None    # counts only: beyond the 95% limit for two single years
    meaningful: bool

    @property
    def is_trend(self) -> bool:
        return self.direction in ("rising", "falling")

    @property
    def enough_years(self) -> bool:
        return self.direction != "too_few"

    @property
    def steady(self) -> bool:
        """It moved the tested way in every year of the window."""
        return self.shape == "steady"

    @property
    def reversed(self) -> bool:
        """The latest year went against the tested direction."""
        return self.shape == "reversed"


@dataclass(frozen=True)
class YearChange:
    """Change from the previous period."""
    period: int
    previous_period: int
    value: float
    previous_value: float
    change: float
    relative_change: float
    z: float
    p_value: float
    significant: bool | None     # None without numerators and denominators
    meaningful: bool
    beyond_chance: bool          # significant (where testable) and meaningful
    direction: str               # "up" | "down" | "flat" | "none" (no comparison)


@dataclass(frozen=True)
class FunnelResult:
    """The council on the funnel of all councils."""
    kind: str | None             # "binomial" | "poisson" | None (no funnel)
    method: str | None
    target: float                # pooled rate of all councils, indicator units
    denominator: float
    lower_998: float
    lower_95: float
    upper_95: float
    upper_998: float
    classification: str          # FUNNEL_CLASSES, "no_value", "no_counts", "no_funnel" or "too_few"
    phi: float = float("nan")    # winsorised over-dispersion factor among all councils (1 = chance alone)
    tau2: float = 0.0            # between-council variance added to the limits (raw units squared)
    no_funnel_reason: str = ""   # "money" | "days" | "score" when kind is None

    @property
    def overdispersed(self) -> bool:
        """True when the limits allow for the spread between councils."""
        return self.tau2 > 0

    @property
    def unusual_side(self) -> str | None:
        """"high" or "low" beyond the 99.8% limit (the usual range for a
        council of its size), else None."""
        return {"above_99.8": "high", "below_99.8": "low"}.get(self.classification)


@dataclass(frozen=True, eq=False)
class Comparison:
    """Everything the statistics say about one council, indicator and period."""
    indicator_id: str
    indicator: Indicator
    period: int
    area_code: str
    area_name: str
    data_area_code: str | None   # the row used: the council's own, or a joint return ("314/318")
    joint_partners: tuple[str, ...]  # other members of that joint return (codes)
    value: float
    status: str                  # "ok", a DfE code, "not_derivable" or "missing"
    numerator: float
    denominator: float
    comparable: bool             # enough counts to rank, band, rate and call unusual
    small_reason: str            # "" | "suppressed_counts" | "small_denominator" | "small_count"
    england: float
    england_status: str
    region_code: str
    region_name: str
    region_value: float
    comparator: str              # "statistical neighbours" | "region" | "comparator group"
    comparator_codes: tuple[str, ...]
    dropped_joint: tuple[str, ...]   # group members left out: same joint return as the council or another member
    neighbour_mean: float
    neighbour_median: float
    neighbour_n: int             # comparators with a value
    neighbour_total: int         # comparators in the group (after joint returns are counted once)
    neighbour_min: float
    neighbour_max: float
    rank: float                  # among the council and its comparators, 1 = best; NaN when not ranked
    rank_n: int                  # comparable figures ranked
    rank_tied: bool
    region_rank: float           # among the councils of its region
    region_rank_n: int
    region_rank_tied: bool
    position: float              # among all English councils, 1 = best
    position_n: int
    position_tied: bool
    band: str | None             # "A".."D" (LAIT quartile band, A = best); None for context or not comparable
    diff_neighbours: float
    rel_diff_neighbours: float
    diff_england: float
    rel_diff_england: float
    vs_neighbours: str | None    # "higher" | "lower" | "similar" | None
    vs_neighbours_level: float   # -2..2
    vs_england: str | None
    vs_england_level: float
    better_than_neighbours: bool | None
    trend_3: Trend
    trend_5: Trend
    change_1y: YearChange | None
    funnel: FunnelResult
    target: float | None
    rag: str                     # "green" | "amber" | "red" | "n/a"
    rag_neighbours: str
    rag_target: str | None
    series: pd.DataFrame = field(repr=False, default=None)
    neighbour_values: pd.DataFrame = field(repr=False, default=None)
    all_council_values: pd.DataFrame = field(repr=False, default=None)
    names: dict = field(repr=False, default_factory=dict)

    @property
    def is_context(self) -> bool:
        return self.indicator.is_context

    @property
    def has_value(self) -> bool:
        return self.status == "ok" and not isnan(self.value)

    @property
    def status_word(self) -> str:
        return status_word(self.status)

    @property
    def period_label(self) -> str:
        return self.indicator.period_label(self.period)

    @property
    def trend(self) -> Trend:
        return self.trend_3

    @property
    def joint_with(self) -> str | None:
        """The other councils of a joint return, by name ("Richmond upon Thames")."""
        if not self.joint_partners:
            return None
        return " and ".join(self.names.get(c, c) for c in self.joint_partners)

    def as_row(self) -> dict:
        """The flat fields of :func:`helpers.stats.compare_all`'s table, in
        :func:`row_columns` order (tuples of codes joined with "|")."""
        row = {"indicator": self.indicator_id}
        for f in fields(self):
            if f.name in _NOT_FLAT:
                continue
            v = getattr(self, f.name)
            row[f.name] = "|".join(v) if isinstance(v, tuple) else v
        for prefix, obj in (("trend_3", self.trend_3), ("trend_5", self.trend_5), ("funnel", self.funnel),
                            ("change_1y", self.change_1y)):
            for f in fields(obj):
                row[f"{prefix}_{f.name}"] = getattr(obj, f.name)
        return row


_NOT_FLAT = {"indicator", "series", "neighbour_values", "all_council_values", "names", "trend_3", "trend_5",
             "change_1y", "funnel", "indicator_id"}


def row_columns() -> list[str]:
    """The columns of :func:`helpers.stats.compare_all`, in order."""
    cols = ["indicator"] + [f.name for f in fields(Comparison) if f.name not in _NOT_FLAT]
    for prefix, cls in (("trend_3", Trend), ("trend_5", Trend), ("funnel", FunnelResult),
                        ("change_1y", YearChange)):
        cols += [f"{prefix}_{f.name}" for f in fields(cls)]
    return cols
