"""What needs members' attention first: the rule that picks and orders the
measures on the members' edition's first page, and its words.

A comparable figure needs attention when it is rated Red; is unusually
high or low among councils on its worse side (either side for a context
measure, where an outlier may be a difference in recording); has a
worsening trend the latest year did not reverse; or got worse since last
year by more than chance. Worst first: Red ratings (the furthest from the
comparators first), then figures unusual on their worse side, worsening
trends, changes for the worse, and context measures outside the usual range.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..stats.results import Comparison, isnan
from ..vocab import ordinal, place_name
from .findings import trend_used
from .questions import question_items
from .sentences import first_sentence, trend_clause

__all__ = ["AttentionItem", "attention_items", "REASON_WORDS", "ranks_line"]

#: Why a measure needs attention, most serious first.
REASONS = ("red", "unusual_worse", "worsening", "worse_change", "unusual")
REASON_WORDS = {
    "red": "rated Red: worse than similar councils by more than chance",
    "red_target": "rated Red: the target is missed by more than chance",
    "unusual_worse": "outside the usual range for councils, on the worse side",
    "worsening": "getting worse",
    "worse_change": "worse than last year by more than chance",
    "unusual": "outside the usual range for councils",
}


@dataclass(frozen=True)
class AttentionItem:
    comparison: Comparison
    reasons: tuple[str, ...]

    @property
    def order(self) -> tuple:
        c = self.comparison
        first = min(REASONS.index(r.replace("red_target", "red")) for r in self.reasons)
        rel = 0.0 if isnan(c.rel_diff_neighbours) else abs(c.rel_diff_neighbours)
        return (first, -len(self.reasons), -rel, c.indicator_id)


def _worse_side(c: Comparison, side: str) -> bool:
    return c.indicator.higher_is_better is not None and (side == "high") != c.indicator.higher_is_better


def _reasons(c: Comparison) -> tuple[str, ...]:
    if not c.has_value or not c.comparable:
        return ()
    out = []
    if c.rag == "red":
        out.append("red_target" if c.rag_target == "red" else "red")
    side = c.funnel.unusual_side
    if side and _worse_side(c, side):
        out.append("unusual_worse")
    t = trend_used(c)
    if t is not None and t.judgement == "worsening":
        out.append("worsening")
    ch = c.change_1y
    if ch is not None and ch.beyond_chance and not c.is_context and ch.direction in ("up", "down"):
        if (ch.direction == "up") != bool(c.indicator.higher_is_better):
            out.append("worse_change")
    if side and c.is_context:
        out.append("unusual")
    return tuple(out)


def attention_items(comparisons: Iterable[Comparison], limit: int | None = 8) -> list[AttentionItem]:
    """The measures that need members' attention, worst first."""
    items = [AttentionItem(c, r) for c in comparisons if c is not None for r in [_reasons(c)] if r]
    items.sort(key=lambda i: i.order)
    return items[:limit] if limit else items


def ranks_line(c: Comparison) -> str:
    """'8th of 11 among its neighbours · 10th of 14 in the South West · 110th
    of 147 councils in England', with "joint" where tied; "" when not ranked."""
    parts = []
    for rank, n, tied, where in ((c.rank, c.rank_n, c.rank_tied, "among its neighbours"),
                                 (c.region_rank, c.region_rank_n, c.region_rank_tied,
                                  f"in {place_name(c.region_name)}" if c.region_name else ""),
                                 (c.position, c.position_n, c.position_tied, "councils in England")):
        if where and not isnan(rank) and n > 1:
            parts.append(f"{'joint ' if tied else ''}{ordinal(int(rank))} of {int(n)} {where}")
    return " \u00b7 ".join(parts)


def describe_item(item: AttentionItem, catalogue=None) -> dict:
    """The words of one item: heading, finding, why, ranks and a question."""
    c = item.comparison
    why = [REASON_WORDS[r] for r in item.reasons]
    if "worsening" in item.reasons:
        why[item.reasons.index("worsening")] = f"getting worse: it {trend_clause(c)}"
    asked = question_items([c], catalogue=catalogue, min_score=0)
    return {"indicator": c.indicator_id, "heading": c.indicator.label, "finding": first_sentence(c),
            "why": why, "ranks": ranks_line(c), "question": asked[0][0] if asked else "",
            "rag": c.rag, "section": c.indicator.section}
