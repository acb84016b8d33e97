"""Sentences about one comparison (the rules are in :mod:`helpers.words`)."""

from __future__ import annotations

from ..stats.results import Comparison, Trend, isnan
from ..vocab import (COMPARATOR_WORDS, STATUS_VERBS, band_quarter, comparison_words, number_word, ordinal,
                     place_name, possessive)

__all__ = ["value_text", "figure", "at", "count_text", "trend_cell", "too_few_text", "status_sentence", "first_sentence", "small_sentence",
           "rank_sentence", "band_sentence", "trend_sentence", "trend_clause", "change_sentence",
           "unusual_sentence", "headline", "describe", "subject_of", "joint_note"]


def subject_of(c: Comparison) -> str:
    """How a sentence names the measure ("average caseload")."""
    return c.indicator.name_in_sentence


def figure(c: Comparison, v) -> str:
    """A figure as the catalogue formats it ('15.8', '24.3%', '£1,457')."""
    return c.indicator.format_value(v)


def value_text(c: Comparison, value: float | None = None) -> str:
    """A value as a sentence says it: '13.4 cases per social worker',
    '24.3%', '349.8 per 10,000 children', '£1,457'."""
    v = c.value if value is None else value
    ind = c.indicator
    text = ind.format_value(v)
    if isnan(v):
        return text
    if ind.unit == "per_10k":
        return f"{text} children"
    if ind.unit == "ratio" and ind.id == "wf_caseload":
        return f"{text} cases per social worker"
    if ind.unit == "days":
        return f"{text} per social worker"
    return text


def at(c: Comparison, period) -> str:
    """'at 31 March 2024', 'in the year to 31 March 2024', 'in 2023-24'."""
    phrase = c.indicator.period_phrase(int(period))
    return phrase[0].lower() + phrase[1:]


def count_text(x) -> str:
    """A count as a sentence gives it: whole numbers without decimals."""
    if isnan(x):
        return "not published"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def joint_note(c: Comparison) -> str:
    return f" (joint return with {c.joint_with})" if c.joint_with else ""


def _comparator(c: Comparison, short: bool = False) -> str:
    return COMPARATOR_WORDS.get(c.comparator, ("its comparators", "its comparators"))[1 if short else 0]


def status_sentence(c: Comparison) -> str:
    """For a council without a published value: what happened to it, and the
    comparators' figures (never an estimate of the council's)."""
    verb = STATUS_VERBS.get(c.status, "is not available")
    text = (f"{c.indicator.period_phrase(c.period)} {possessive(c.area_name)} figure for the {subject_of(c)}"
            f"{joint_note(c)} {verb}.")
    refs = []
    if not isnan(c.neighbour_mean):
        refs.append(f"{_comparator(c)} averaged {figure(c, c.neighbour_mean)}")
    if not isnan(c.england):
        refs.append(f"England's figure was {figure(c, c.england)}")
    if refs:
        joined = " and ".join(refs)
        text += f" {joined[0].upper()}{joined[1:]}."
    return text


def _comparison_clause(c: Comparison) -> str:
    wn, we = comparison_words(c.vs_neighbours), comparison_words(c.vs_england)
    nb = f"{_comparator(c)} ({figure(c, c.neighbour_mean)})" if wn else None
    en = f"England ({figure(c, c.england)})" if we else None
    if nb and en:
        return f"{wn} {nb} and {en}" if wn == we else f"{wn} {nb} and {we} {en}"
    if nb:
        return f"{wn} {nb}"
    return f"{we} {en}" if en else ""


def first_sentence(c: Comparison) -> str:
    """The figure, with its comparison to the comparators and England."""
    if not c.has_value:
        return status_sentence(c)
    text = (f"{c.indicator.period_phrase(c.period)} {possessive(c.area_name)} {subject_of(c)}{joint_note(c)} "
            f"was {value_text(c)}")
    clause = _comparison_clause(c) if c.comparable else ""
    return f"{text}, {clause}." if clause else f"{text}."


def small_sentence(c: Comparison) -> str:
    """Why a figure is not compared, with its count."""
    if not c.has_value or c.comparable:
        return ""
    return too_few_text(c.indicator, c.small_reason, c.numerator, c.denominator)


def too_few_text(indicator, reason: str, numerator, denominator) -> str:
    """'There are too few social workers to compare (2 of 2), so it is not
    ranked or rated.', or that the counts behind it are suppressed."""
    if reason == "suppressed_counts":
        return "The counts behind it are suppressed, so it is not compared with other councils."
    if indicator.unit == "percent":
        shown = f"{count_text(numerator)} of {count_text(denominator)}"
    elif reason == "small_count":
        shown = count_text(numerator)
    else:
        shown = f"{count_text(denominator)} full-time equivalent"
    return f"There are too few {indicator.counted} to compare ({shown}), so it is not ranked or rated."


def _rank_part(rank, n, tied: bool, where: str) -> str | None:
    if isnan(rank) or not n:
        return None
    return f"{'joint ' if tied else ''}{ordinal(int(rank))} of {int(n)} {where}"


def rank_sentence(c: Comparison) -> str:
    """'It ranks joint 3rd of 11 among its neighbours and 5th of 15 in the
    South West.' Nothing for context measures or figures not compared."""
    if not c.has_value or not c.comparable or c.is_context:
        return ""
    group_words = _comparator(c)
    if c.comparator != "region" and c.neighbour_total == 0:
        return f"No comparators are available in {group_words}, so it is not ranked among them."
    if c.comparator != "region" and c.neighbour_n == 0:
        return f"None of {group_words} has a figure, so it is not ranked among them."
    parts = []
    group = _rank_part(c.rank, c.rank_n, c.rank_tied, f"among {_comparator(c, short=True)}")
    if group and c.rank_n > 1:
        parts.append(group)
    if c.comparator != "region" and c.region_name:
        region = _rank_part(c.region_rank, c.region_rank_n, c.region_rank_tied, f"in {place_name(c.region_name)}")
        if region and c.region_rank_n > 1:
            parts.append(region)
    return f"It ranks {' and '.join(parts)}." if parts else ""


def band_sentence(c: Comparison) -> str:
    """'Among 148 councils in England it is 89th, in the second-worst quarter.'"""
    if not c.has_value or c.band is None or isnan(c.position) or c.is_context:
        return ""
    joint = "joint " if c.position_tied else ""
    return (f"Among {c.position_n} councils in England it is {joint}{ordinal(int(c.position))}, in the "
            f"{band_quarter(c.band)}.")


def _period_label(c: Comparison, period) -> str:
    return c.indicator.period_label(int(period))


def _at_period(c: Comparison, period) -> str:
    """'at 31 March 2023', 'in 2021-22', 'in the 2022/23 school year'
    (:meth:`helpers.catalogue.Indicator.period_at`)."""
    return c.indicator.period_at(int(period))


def _chosen_trend(c: Comparison) -> Trend:
    if c.trend_3.is_trend:
        return c.trend_3
    if c.trend_5.is_trend:
        return c.trend_5
    return c.trend_3


def trend_clause(c: Comparison) -> str:
    """The direction of travel as a verb phrase ('has fallen each year since
    ...', 'is lower than at ...', 'shows no clear trend over ...')."""
    t = _chosen_trend(c)
    if t.direction == "too_few":
        return ""
    if t.direction == "none":
        return f"shows no clear trend over the {number_word(t.years)} years to {_period_label(c, t.end_period)}"
    rising = t.direction == "rising"
    first = f"{_at_period(c, t.first_period)} ({figure(c, t.first_value)})"
    if t.steady:
        verb = "risen" if rising else "fallen"
        return (f"has {verb} each year since {_period_label(c, t.first_period)}, from "
                f"{figure(c, t.first_value)} to {figure(c, t.last_value)}")
    text = f"is {'higher' if rising else 'lower'} than {first}"
    if t.reversed and c.change_1y is not None and not isnan(c.change_1y.previous_value):
        updown = "down" if rising else "up"
        return (f"{text}, though {updown} from {figure(c, c.change_1y.previous_value)} "
                f"{_at_period(c, c.change_1y.previous_period)}")
    return f"{text}, though it has not {'risen' if rising else 'fallen'} every year"


def trend_sentence(c: Comparison) -> str:
    """The trend clause as a sentence (nothing for figures not compared)."""
    if not c.has_value or not c.comparable:
        return ""
    clause = trend_clause(c)
    if not clause:
        return "There are not enough years to judge a trend."
    return f"It {clause}."


def change_sentence(c: Comparison) -> str:
    """Change since the previous period, and whether it is beyond chance."""
    ch = c.change_1y
    if ch is None or not c.has_value or not c.comparable or ch.direction == "none":
        return ""
    prev = f"{value_text(c, ch.previous_value)} {at(c, ch.previous_period)}"
    if ch.direction == "flat":
        return f"It is unchanged from {prev}."
    updown = "up" if ch.direction == "up" else "down"
    if _chosen_trend(c).reversed:
        # the trend words already give last year's figure
        if ch.significant is None:
            return ""
        move = "rise" if updown == "up" else "fall"
        verdict = "bigger than chance alone would explain" if ch.beyond_chance else \
            "within what chance alone could explain"
        return f"That {move} is {verdict}."
    if ch.significant is None:
        return f"That is {updown} from {prev}."
    if ch.beyond_chance:
        return f"That is {updown} from {prev}, a change bigger than chance alone would explain."
    return f"That is {updown} from {prev}, a change within what chance alone could explain."


def unusual_sentence(c: Comparison) -> str:
    """'Allowing for its size and the usual differences between councils,
    the figure is unusually high among councils.', or ""."""
    side = c.funnel.unusual_side if c.has_value and c.comparable else None
    if side is None:
        return ""
    return f"Allowing for its size and the usual differences between councils, the figure is unusually {side}."


def headline(c: Comparison) -> str:
    """The figure against its comparators and England, and its rank."""
    return " ".join(s for s in (first_sentence(c), small_sentence(c), rank_sentence(c)) if s)


def describe(c: Comparison) -> list[str]:
    """Every sentence about one comparison, in reading order."""
    parts = [first_sentence(c), small_sentence(c), rank_sentence(c), band_sentence(c), trend_sentence(c),
             change_sentence(c), unusual_sentence(c)]
    if c.has_value and c.status == "u":
        parts.append("The DfE marks this figure as of low reliability.")
    return [p for p in parts if p]


def trend_cell(c: Comparison) -> str:
    """The trend in a few words for a table, by the same rules as the
    sentences: '↓ fallen each year (improving)', '↑ higher than 3 years ago,
    down last year', '→ no clear trend', 'not enough years'."""
    if not c.has_value or not c.comparable:
        return "not judged"
    t = _chosen_trend(c)
    if t.direction == "too_few":
        return "not enough years"
    if t.direction == "none":
        return "\u2192 no clear trend"
    rising = t.direction == "rising"
    arrow = "\u2191" if rising else "\u2193"
    judgement = f" ({t.judgement})" if t.judgement else ""
    if t.steady:
        return f"{arrow} {'risen' if rising else 'fallen'} each year{judgement}"
    text = f"{arrow} {'higher' if rising else 'lower'} than {t.years} years ago"
    if t.reversed:
        return f"{text}, {'down' if rising else 'up'} last year"
    return text + judgement
