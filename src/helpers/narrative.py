"""Plain-English sentences from :mod:`helpers.compare` results, for members to
read aloud.

The wording follows the statistics and never goes further than they do:

* "higher than" / "lower than" only when the difference is beyond the 95%
  funnel limits (and at least the minimum meaningful change); otherwise
  "similar to" (see :mod:`helpers.compare`);
* "better" / "worse", "best" / "worst" only for indicators with a polarity;
  context-only indicators say "highest" / "lowest";
* a trend is named only when the trend test found one; otherwise "no clear
  trend", or "not enough years to judge a trend";
* "unusually high" / "unusually low" among all councils only beyond the 99.8%
  funnel limit that allows for the usual differences between councils
  (over-dispersion), never against chance limits alone;
* a missing figure is never estimated: it is "suppressed" (c), "not
  available" (x), "not applicable" (z) or "low reliability" (u);
* the period basis is always named (31 March, 30 September, financial year).

Key messages (:func:`key_messages`) and questions (:func:`questions`) follow
documented rules, below.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .compare import Comparison, Trend

__all__ = ["headline", "describe", "value_text", "status_sentence", "rank_sentence", "band_sentence",
           "unusual_sentence", "trend_phrase", "change_sentence", "key_messages", "score_finding",
           "finding_directions", "questions", "QUESTIONS", "GENERIC_QUESTIONS", "ordinal", "possessive", "SUBJECTS"]

def _catalogue():
    from .catalogue import load_catalogue
    global _CAT
    if _CAT is None:
        _CAT = load_catalogue()
    return _CAT


_CAT = None


def __getattr__(name):
    # kept for existing imports: the subjects and questions live in data/indicators.yml
    if name == "SUBJECTS":
        return {i.id: i.subject for i in _catalogue()}
    if name == "QUESTIONS":
        return {(i.id, d): q for i in _catalogue() for d, q in i.questions}
    if name == "GENERIC_QUESTIONS":
        return dict(_catalogue().generic_questions)
    raise AttributeError(name)


_STATUS_VERBS = {
    "c": "was suppressed in the national release to protect small numbers",
    "x": "is not available",
    "z": "is not applicable",
    "u": "is of low reliability, so the DfE does not publish it",
    "low": "rounds to zero",
    "k": "rounds to zero",
    "not_derivable": "is not available (an input to the calculation is missing)",
    "missing": "is not available",
}

_COMPARATOR = {"statistical neighbours": "its statistical neighbours", "region": "the other councils in its region",
               "comparator group": "its comparator group"}
_COMPARATOR_SHORT = {"statistical neighbours": "its neighbours", "region": "councils in its region",
                     "comparator group": "its comparator group"}
_BAND_POLAR = {"A": "the best quarter", "B": "the second-best quarter", "C": "the second-worst quarter",
               "D": "the worst quarter"}
_BAND_CONTEXT = {"A": "the highest quarter", "B": "the second-highest quarter", "C": "the second-lowest quarter",
                 "D": "the lowest quarter"}
_NUMBER_WORDS = {3: "three", 5: "five"}


# --------------------------------------------------------------------------- small helpers

def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def ordinal(n) -> str:
    n = int(n)
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def possessive(name: str) -> str:
    return f"{name}'s"


def _subject(c: Comparison) -> str:
    return c.indicator.name_in_sentence


def value_text(c: Comparison, value: float | None = None) -> str:
    """A value as a sentence says it: '13.4 cases per social worker',
    '24.3%', '349.8 per 10,000 children', '£1,457'."""
    v = c.value if value is None else value
    ind = c.indicator
    text = ind.format_value(v)
    if _nan(v):
        return text
    if ind.unit == "per_10k":
        return f"{text} children"
    if ind.unit == "ratio" and ind.id == "wf_caseload":
        return f"{text} cases per social worker"
    if ind.unit == "days":
        return f"{text} per social worker"
    return text


def _ref(c: Comparison, v: float) -> str:
    return c.indicator.format_value(v)


def _at(c: Comparison, period: int) -> str:
    """'at 31 March 2024', 'in the year to 31 March 2024', 'in 2023-24'."""
    phrase = c.indicator.period_phrase(period)
    return phrase[0].lower() + phrase[1:]


def _joint(c: Comparison) -> str:
    return f" (joint return with {c.joint_with})" if c.joint_with else ""


def _word(level_word: str | None) -> str | None:
    return {"higher": "higher than", "lower": "lower than", "similar": "similar to"}.get(level_word or "")


# --------------------------------------------------------------------------- sentences

def status_sentence(c: Comparison) -> str:
    """For a council without a published value: what happened to it, and the
    comparators' figures (never an estimate of the council's)."""
    verb = _STATUS_VERBS.get(c.status, "is not available")
    text = f"{c.indicator.period_phrase(c.period)} {possessive(c.area_name)} figure for the {_subject(c)}" \
           f"{_joint(c)} {verb}."
    refs = []
    if not _nan(c.neighbour_mean):
        refs.append(f"{_COMPARATOR.get(c.comparator, 'its comparators')} averaged {_ref(c, c.neighbour_mean)}")
    if not _nan(c.england):
        refs.append(f"England's figure was {_ref(c, c.england)}")
    if refs:
        text += " " + (" and ".join(refs)).capitalize()[0] + (" and ".join(refs))[1:] + "."
    return text


def _comparison_clause(c: Comparison) -> str:
    parts = []
    wn, we = _word(c.vs_neighbours), _word(c.vs_england)
    comp = _COMPARATOR.get(c.comparator, "its comparators")
    nb = f"{comp} ({_ref(c, c.neighbour_mean)})" if wn else None
    en = f"England ({_ref(c, c.england)})" if we else None
    if nb and en:
        if wn == we:
            parts.append(f"{wn} {nb} and {en}")
        else:
            parts.append(f"{wn} {nb} and {we} {en}")
    elif nb:
        parts.append(f"{wn} {nb}")
    elif en:
        parts.append(f"{we} {en}")
    return parts[0] if parts else ""


def _first_sentence(c: Comparison) -> str:
    if not c.has_value:
        return status_sentence(c)
    text = (f"{c.indicator.period_phrase(c.period)} {possessive(c.area_name)} {_subject(c)}{_joint(c)} "
            f"was {value_text(c)}")
    clause = _comparison_clause(c)
    return f"{text}, {clause}." if clause else f"{text}."


def _rank_words(c: Comparison) -> str | None:
    if _nan(c.rank) or c.rank_n < 2:
        return None
    short = _COMPARATOR_SHORT.get(c.comparator, "its comparators")
    joint = "joint " if c.rank_tied else ""
    r, n = int(c.rank), int(c.rank_n)
    if c.is_context:
        if r == 1:
            pos = f"the {joint}highest"
        elif r == n:
            pos = f"the {joint}lowest"
        else:
            pos = f"the {joint}{ordinal(r)} highest"
        return f"It is {pos} of {n} among {short}"
    return f"It ranks {joint}{ordinal(r)} of {n} among {short}"


def trend_phrase(t: Trend, *, as_clause: bool = True) -> str:
    """'has fallen for three years', 'has risen over five years', 'shows no
    clear trend over three years', 'there are not enough years to judge a trend'."""
    years = _NUMBER_WORDS.get(t.years, str(t.years))
    if t.direction == "not enough years":
        return "there are not enough years to judge a trend"
    if t.direction == "rising":
        return f"has risen for {years} years" if t.years == 3 else f"has risen over {years} years"
    if t.direction == "falling":
        return f"has fallen for {years} years" if t.years == 3 else f"has fallen over {years} years"
    return f"shows no clear trend over {years} years"


def _trend_clause(c: Comparison) -> tuple[str, bool]:
    """(phrase, joins the rank sentence with 'and')."""
    t3, t5 = c.trend_3, c.trend_5
    if t3.is_trend:
        return trend_phrase(t3), True
    if t5.is_trend:
        return trend_phrase(t5), True
    if not t3.enough_years:
        return "there are not enough years to judge a trend", False
    return trend_phrase(t3), True


def rank_sentence(c: Comparison) -> str:
    """'It ranks 2nd of 11 among its neighbours and has fallen for three years.'"""
    if not c.has_value:
        return ""
    rank = _rank_words(c)
    trend, joins = _trend_clause(c)
    if rank and joins:
        return f"{rank} and {trend}."
    if rank:
        return f"{rank}; {trend}."
    if joins:
        return f"It {trend}."
    return trend[0].upper() + trend[1:] + "."


def band_sentence(c: Comparison) -> str:
    """'Among 150 councils in England it is 20th, in the best quarter (band A).'"""
    if not c.has_value or c.band is None or _nan(c.position):
        return ""
    bands = _BAND_CONTEXT if c.is_context else _BAND_POLAR
    pos = int(c.position)
    if c.is_context:
        where = "the highest" if pos == 1 else f"{ordinal(pos)} highest"
    else:
        where = f"{ordinal(pos)}"
    return f"Among {c.position_n} councils in England it is {where}, in {bands[c.band]} (band {c.band})."


def _unusual_side(c: Comparison) -> str | None:
    """"high" or "low" when the council is beyond the 99.8% funnel limit that
    allows for over-dispersion, else None: with chance limits alone most
    councils would be "unusual" (see docs/statistics.md)."""
    f = c.funnel
    if not c.has_value or not f.overdispersed:
        return None
    return {"above_99.8": "high", "below_99.8": "low"}.get(f.classification)


def unusual_sentence(c: Comparison) -> str:
    """'Allowing for its size and the usual differences between councils,
    the figure is unusually high.', or "" (see :func:`_unusual_side`)."""
    side = _unusual_side(c)
    if side is None:
        return ""
    return (f"Allowing for its size and the usual differences between councils, the figure is unusually {side} "
            f"(beyond the 99.8% funnel limit).")


def change_sentence(c: Comparison) -> str:
    """Change since the previous period, and whether it is beyond chance."""
    ch = c.change_1y
    if ch is None or not c.has_value or ch.direction == "no comparison":
        return ""
    prev = f"{value_text(c, ch.previous_value)} {_at(c, ch.previous_period)}"
    if ch.direction == "no change":
        return f"It is unchanged from {prev}."
    updown = "up" if ch.direction == "up" else "down"
    if ch.significant is None:
        return f"It was {prev}."
    if ch.beyond_chance:
        return f"That is {updown} from {prev}, a change bigger than chance alone would explain."
    return f"That is {updown} from {prev}, a change within what chance alone could explain."


def headline(c: Comparison) -> str:
    """The council's figure against its comparators and England, its rank and
    its direction of travel, in two sentences."""
    return " ".join(s for s in (_first_sentence(c), rank_sentence(c)) if s)


def describe(c: Comparison) -> str:
    """The headline plus the national position, the change since last year
    and any caution (small numbers, series starting late, caveats)."""
    parts = [headline(c), band_sentence(c), unusual_sentence(c), change_sentence(c)]
    if c.has_value and c.funnel.small_numbers:
        parts.append("The numbers are small, so treat the comparison with caution.")
    if c.has_value and c.status == "u":
        parts.append("The DfE marks this figure as of low reliability.")
    return " ".join(p for p in parts if p)


# --------------------------------------------------------------------------- key messages

def score_finding(c: Comparison) -> int:
    """How strongly a finding stands out (0 = not at all).

    Rule: 2 points for each level of difference from the comparators (2 when
    beyond the 95% limit, 4 when beyond the 99.8% limit); 1 point for band
    A or D; 2 points for a three-year trend, or 1 for a five-year trend only;
    1 point for a change since last year beyond chance. Context-only
    indicators get half the points for the difference from comparators
    (1 or 2) and none for the band. No value scores 0."""
    if not c.has_value:
        return 0
    score = 0
    if not _nan(c.vs_neighbours_level):
        if c.is_context:
            score += int(abs(c.vs_neighbours_level))
        else:
            score += 2 * int(abs(c.vs_neighbours_level))
            if c.band in ("A", "D"):
                score += 1
    if c.trend_3.is_trend:
        score += 2
    elif c.trend_5.is_trend:
        score += 1
    if c.change_1y is not None and c.change_1y.beyond_chance:
        score += 1
    return score


def _is_change(c: Comparison) -> bool:
    return c.has_value and (c.trend_3.is_trend or c.trend_5.is_trend
                            or (c.change_1y is not None and c.change_1y.beyond_chance))


def _change_size(c: Comparison) -> float:
    t = c.trend_3 if c.trend_3.is_trend else c.trend_5 if c.trend_5.is_trend else None
    if t is not None and t.first_value:
        return abs(t.change / t.first_value)
    if c.change_1y is not None and c.change_1y.beyond_chance:
        return abs(c.change_1y.relative_change)
    return 0.0


def _message(c: Comparison) -> str:
    text = _first_sentence(c)
    extra = []
    if c.band is not None and not c.is_context and c.band in ("A", "D"):
        extra.append(f"in {_BAND_POLAR[c.band]} of councils in England")
    trend, joins = _trend_clause(c)
    if c.trend_3.is_trend or c.trend_5.is_trend:
        extra.append(f"it {trend}")
    elif c.change_1y is not None and c.change_1y.beyond_chance:
        updown = "up" if c.change_1y.direction == "up" else "down"
        extra.append(f"{updown} from {value_text(c, c.change_1y.previous_value)} a year earlier")
    if extra:
        text = text[:-1] + "; " + "; ".join(extra) + "."
    return text


def key_messages(comparisons: Iterable[Comparison], n: int = 5) -> list[str]:
    """The few strongest findings for a summary page.

    Rule: score every finding with :func:`score_finding` and keep those
    scoring at least 2 (beyond the 95% limit, or a three-year trend). Pick,
    in order: the strongest concern (worse than comparators, highest score),
    the strongest strength (better than comparators), the biggest change
    (largest relative change among trends and beyond-chance changes), then
    the rest by score (ties: larger relative difference from comparators),
    up to ``n``. If nothing qualifies, one sentence says so."""
    comps = [c for c in comparisons if c is not None]
    scored = [(score_finding(c), c) for c in comps]
    eligible = [(s, c) for s, c in scored if s >= 2]
    if not eligible:
        return ["No figure stands out from the comparators or shows a clear trend beyond what chance "
                "would explain."]

    def key(sc):
        s, c = sc
        rel = 0.0 if _nan(c.rel_diff_neighbours) else abs(c.rel_diff_neighbours)
        return (-s, -rel, c.indicator_id)

    eligible.sort(key=key)
    chosen: list[Comparison] = []
    worse = [c for s, c in eligible if c.better_than_neighbours is False]
    better = [c for s, c in eligible if c.better_than_neighbours is True]
    changes = sorted((c for s, c in eligible if _is_change(c)), key=lambda c: -_change_size(c))
    for pool in (worse, better, changes):
        for c in pool:
            if c not in chosen:
                chosen.append(c)
                break
    for _, c in eligible:
        if c not in chosen:
            chosen.append(c)
    return [_message(c) for c in chosen[:n]]


# --------------------------------------------------------------------------- questions

_DIRECTION_ORDER = ("worse", "worsening", "high", "low", "unusual", "rising", "falling", "suppressed")


def finding_directions(c: Comparison) -> list[str]:
    """Directions a comparison supports, most serious first."""
    out: list[str] = []
    if not c.has_value:
        return ["suppressed"] if c.status == "c" else []
    if not c.is_context:
        if c.better_than_neighbours is False or c.rag == "red":
            out.append("worse")
        if c.trend_3.judgement == "worsening" or (not c.trend_3.is_trend and c.trend_5.judgement == "worsening"):
            out.append("worsening")
        if c.better_than_neighbours is True:
            out.append("better")
    else:
        if c.vs_neighbours in ("higher", "lower"):
            out.append("high" if c.vs_neighbours == "higher" else "low")
        t = c.trend_3 if c.trend_3.is_trend else c.trend_5
        if t.is_trend:
            out.append(t.direction)
    # beyond the 99.8% limit that allows for the usual differences between
    # councils: for a context measure either way (an outlier may be a
    # difference in recording), otherwise only on the worse side
    side = _unusual_side(c)
    if side is not None:
        if c.is_context or (side == "high") != c.indicator.higher_is_better:
            out.insert(next((i for i, d in enumerate(out) if d in ("better", "rising", "falling")), len(out)),
                       "unusual")
    return out


def questions(comparisons: Comparison | Iterable[Comparison], *, generic: bool = True,
              limit: int | None = None, min_score: int = 2) -> list[str]:
    """"Questions members may wish to ask", from the findings: the rule table
    :data:`QUESTIONS` keyed by (indicator id, direction), falling back to
    :data:`GENERIC_QUESTIONS` when ``generic``. Only findings scoring at
    least ``min_score`` (:func:`score_finding`; 2 = beyond the 95% limit or a
    three-year trend) are asked about, except suppressed figures, which
    always prompt a request for the local figure. Measures outside the usual
    range for councils share one question. Ordered by score; no
    duplicates."""
    if isinstance(comparisons, Comparison):
        comparisons = [comparisons]
    items = []
    unusual: list[tuple[int, str, str]] = []
    for c in comparisons:
        if c.has_value and score_finding(c) < min_score:
            continue
        for d in finding_directions(c):
            if d == "better":
                continue
            q = c.indicator.question(d)
            if q is None and d == "unusual":
                unusual.append((-score_finding(c), c.indicator_id, _subject(c)))
                continue
            if q is None and generic and d in _catalogue().generic_questions:
                q = _catalogue().generic_questions[d].format(subject=_subject(c))
            if q:
                items.append((-score_finding(c), _DIRECTION_ORDER.index(d), c.indicator_id, q))
    if unusual and generic:
        unusual.sort()
        subjects = [f"the {subject}" for *_, subject in unusual]
        if len(subjects) > 4:  # the three that stand out most, then a count
            subjects = [*subjects[:3], f"{len(subjects) - 3} other measures"]
        listed = subjects[0] if len(subjects) == 1 else ", ".join(subjects[:-1]) + " and " + subjects[-1]
        one = len(subjects) == 1
        q = _catalogue().generic_questions["unusual"].format(subjects=listed, verb="is" if one else "are",
                                                pronoun="it" if one else "they")
        items.append((unusual[0][0], _DIRECTION_ORDER.index("unusual"), unusual[0][1], q))
    items.sort(key=lambda t: t[:3])
    seen, out = set(), []
    for *_, q in items:
        if q not in seen:
            seen.add(q)
            out.append(q)
    return out[:limit] if limit else out
