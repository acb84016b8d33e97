"""Key messages: the few findings that most deserve a member's attention
(the rule is in :mod:`helpers.words`, "Key messages")."""

from __future__ import annotations

from collections.abc import Iterable

from ..stats.results import Comparison, isnan
from ..vocab import band_quarter
from .sentences import first_sentence, trend_clause

__all__ = ["status_of", "NOTHING_COMPARED", "score_finding", "is_finding", "finding_directions", "key_messages", "NOTHING_STANDS_OUT", "trend_used"]

NOTHING_STANDS_OUT = ("No figure stands out: those compared are similar to their comparators and England, with no "
                      "clear trend and no change beyond chance since last year.")
NOTHING_COMPARED = "None of these figures can be compared with other councils."


def status_of(c: Comparison) -> str:
    """A figure's standing in one code, for colours and their words: better,
    similar or worse (from its rating), context (no polarity, or no figure),
    not_compared (too few to compare)."""
    if c.has_value and not c.comparable:
        return "not_compared"
    if c.is_context or not c.has_value:
        return "context"
    return {"green": "better", "amber": "similar", "red": "worse"}.get(c.rag, "context")


def trend_used(c: Comparison):
    """The trend the words describe (three years, else five), when there is
    one that the latest year did not reverse; else None."""
    for t in (c.trend_3, c.trend_5):
        if t.is_trend:
            return None if t.reversed else t
    return None


def _unusual(c: Comparison) -> str | None:
    return c.funnel.unusual_side if c.has_value and c.comparable else None


def _any_trend(c: Comparison) -> bool:
    return c.trend_3.is_trend or c.trend_5.is_trend


def is_finding(c: Comparison) -> bool:
    """Eligible for key findings: a comparable figure that differs from its
    comparators or England, has a trend (reversed or not), changed beyond
    chance or is unusual among councils."""
    if not c.has_value or not c.comparable:
        return False
    differs = any(not isnan(lvl) and lvl != 0 for lvl in (c.vs_neighbours_level, c.vs_england_level))
    changed = c.change_1y is not None and c.change_1y.beyond_chance
    return differs or _any_trend(c) or changed or _unusual(c) is not None


def score_finding(c: Comparison) -> int:
    """How strongly a finding stands out (0 = not at all): 2 points a level of
    difference from the comparators (1 for context measures), 1 a level of
    difference from England, 1 for the best or worst quarter, 2 for an
    unreversed three-year trend (1 for five years, or for a trend the latest
    year reversed), 1 for a change beyond chance, 2 for being unusual among
    councils."""
    if not is_finding(c):
        return 0
    weight = 1 if c.is_context else 2
    score = weight * int(abs(0 if isnan(c.vs_neighbours_level) else c.vs_neighbours_level))
    score += int(abs(0 if isnan(c.vs_england_level) else c.vs_england_level))
    score += 1 if c.band in ("A", "D") else 0
    t = trend_used(c)
    score += (2 if t.years == 3 else 1) if t is not None else (1 if _any_trend(c) else 0)
    score += 1 if c.change_1y is not None and c.change_1y.beyond_chance else 0
    score += 2 if _unusual(c) else 0
    return max(score, 1)


def _worse(c: Comparison) -> bool:
    return c.better_than_neighbours is False or c.rag == "red"


def _change_size(c: Comparison) -> float:
    t = trend_used(c)
    if t is not None and t.first_value:
        return abs(t.change / t.first_value)
    if c.change_1y is not None and c.change_1y.beyond_chance and not isnan(c.change_1y.relative_change):
        return abs(c.change_1y.relative_change)
    return 0.0


def _message(c: Comparison) -> str:
    text = first_sentence(c)
    extra = []
    if c.band in ("A", "D") and not c.is_context:
        extra.append(f"in the {band_quarter(c.band)} of councils in England")
    if _any_trend(c):
        extra.append(f"it {trend_clause(c)}")
    elif c.change_1y is not None and c.change_1y.beyond_chance:
        prev = c.indicator.format_value(c.change_1y.previous_value)
        extra.append(f"{'up' if c.change_1y.direction == 'up' else 'down'} from {prev} a year earlier")
    side = _unusual(c)
    if side:
        extra.append(f"unusually {side} among councils, allowing for its size")
    return text[:-1] + "; " + "; ".join(extra) + "." if extra else text


def key_messages(comparisons: Iterable[Comparison], n: int = 5) -> list[str]:
    """The few strongest findings: every measure rated Red first (the most
    serious first, leaving room for two more), then the strongest strength
    (better than comparators), the biggest change, and the rest by score, up
    to ``n``; one sentence when nothing stands out. Figures too small to
    compare are named in a last message when there is room."""
    comparisons = [c for c in comparisons if c is not None]
    eligible = [c for c in comparisons if is_finding(c)]
    too_few = [c for c in comparisons if c.has_value and not c.comparable]
    if not eligible:
        if any(c.has_value and c.comparable for c in comparisons):
            return [NOTHING_STANDS_OUT] + ([_too_few_message(too_few)] if too_few else [])
        return [NOTHING_COMPARED] + ([_too_few_message(too_few)] if too_few else [])

    def strength(c):
        rel = 0.0 if isnan(c.rel_diff_neighbours) else abs(c.rel_diff_neighbours)
        return (-score_finding(c), -rel, c.indicator_id)

    eligible.sort(key=strength)
    chosen: list[Comparison] = [c for c in eligible if c.rag == "red"][:max(1, n - 2)]
    pools = ([c for c in eligible if _worse(c)], [c for c in eligible if c.better_than_neighbours is True],
             sorted((c for c in eligible if _change_size(c) > 0), key=lambda c: -_change_size(c)))
    for pool in pools:
        for c in pool:
            if c not in chosen:
                chosen.append(c)
                break
    chosen += [c for c in eligible if c not in chosen]
    messages = [_message(c) for c in chosen[:n]]
    if too_few and len(messages) < n:
        messages.append(_too_few_message(too_few))
    return messages


def _too_few_message(comps: list[Comparison]) -> str:
    """'The agency social worker rate and the vacancy rate rest on too few
    social workers to compare, so they are shown but not rated.'"""
    from ..vocab import join_words
    names = [f"the {c.indicator.name_in_sentence}" for c in comps]
    counted = join_words(dict.fromkeys(c.indicator.counted for c in comps if c.small_reason != "suppressed_counts"))
    verb = "rests" if len(names) == 1 else "rest"
    why = f"on too few {counted} to compare" if counted else "on counts that are suppressed"
    if counted and any(c.small_reason == "suppressed_counts" for c in comps):
        why += ", or on counts that are suppressed"
    text = join_words(names)
    return f"{text[0].upper()}{text[1:]} {verb} {why}, so {'it is' if len(names) == 1 else 'they are'} shown but " \
           f"not rated."


def finding_directions(c: Comparison) -> list[str]:
    """Directions a comparison supports, most serious first: "worse",
    "worsening", "better", "high"/"low" (context), "unusual",
    "rising"/"falling" (context trends), "suppressed"."""
    if not c.has_value:
        return ["suppressed"] if c.status == "c" else []
    if not c.comparable:
        return []
    out: list[str] = []
    t = trend_used(c)
    if not c.is_context:
        if _worse(c):
            out.append("worse")
        if t is not None and t.judgement == "worsening":
            out.append("worsening")
        if c.better_than_neighbours is True:
            out.append("better")
    else:
        if c.vs_neighbours in ("higher", "lower"):
            out.append("high" if c.vs_neighbours == "higher" else "low")
        if t is not None:
            out.append(t.direction)
    side = _unusual(c)
    if side is not None and (c.is_context or (side == "high") != c.indicator.higher_is_better):
        # an outlier on the worse side (either side for context: it may be recording)
        at = next((i for i, d in enumerate(out) if d in ("better", "rising", "falling")), len(out))
        out.insert(at, "unusual")
    return out
