"""Every word a pack uses for a code: statuses, bands, directions, ratings,
polarity, period bases and comparisons, each said once.

The statistics (:mod:`helpers.stats`) return codes and numbers; the words
(:mod:`helpers.words`), the report and the charts look the words up here, so
a change of wording is made in one place and no layer parses English back.
"""

from __future__ import annotations

import math

__all__ = ["STATUS_WORDS", "STATUS_VERBS", "status_word", "BAND_CODES", "band_quarter", "TREND_CODES",
           "TREND_WORDS", "JUDGEMENT_WORDS", "trend_label", "RAG_CODES", "RAG_WORDS", "rag_label",
           "POLARITY_WORDS", "PERIOD_BASIS_WORDS", "COMPARISON_WORDS", "comparison_words", "COMPARATOR_WORDS",
           "SMALL_REASONS", "NUMBER_WORDS", "number_word", "ordinal", "possessive", "lower_first",
           "join_words", "place_name"]

# --------------------------------------------------------------------------- statuses

#: What a pack says in place of a number, by the status code in the store
#: (the publishers' codes, and the store's own for figures it cannot derive).
STATUS_WORDS = {
    "ok": "",
    "c": "suppressed",
    "x": "not available",
    "z": "not applicable",
    "u": "low reliability",
    "low": "rounds to zero",
    "k": "rounds to zero",
    "not_derivable": "cannot be calculated",
    "missing": "not available",
    "implausible": "implausible value in the release",
    "measure_missing": "missing from the release",
    "not_in_release": "not in this release",
}

#: How a sentence says what happened to a figure that is not published.
STATUS_VERBS = {
    "c": "was suppressed in the national release to protect small numbers",
    "x": "is not available",
    "z": "is not applicable",
    "u": "is of low reliability, so the DfE does not publish it",
    "low": "rounds to zero",
    "k": "rounds to zero",
    "not_derivable": "is not available (an input to the calculation is missing)",
    "missing": "is not available",
    "implausible": "is left out: the release's figure is outside the range it can take",
    "measure_missing": "is missing from the release (its column is not in the file)",
    "not_in_release": "is not in this release",
}


def status_word(code) -> str:
    """'suppressed', 'not available', ... for a status code."""
    return STATUS_WORDS.get(str(code), "not available")


# --------------------------------------------------------------------------- quartile bands

BAND_CODES = ("A", "B", "C", "D")
_QUARTERS = {"A": "best quarter", "B": "second-best quarter", "C": "second-worst quarter", "D": "worst quarter"}


def band_quarter(band) -> str:
    """'best quarter', ..., for a band code (bands are given only to measures
    with a polarity, so the words are always better/worse words)."""
    return _QUARTERS.get(str(band), "")


# --------------------------------------------------------------------------- trends

#: Direction-of-travel codes (see docs/statistics.md, "Direction of travel").
TREND_CODES = ("rising", "falling", "none", "too_few")
TREND_WORDS = {"rising": "rising", "falling": "falling", "none": "no clear trend",
               "too_few": "not enough years to judge"}
JUDGEMENT_WORDS = {"improving": "improving", "worsening": "worsening"}
_ARROWS = {"rising": "\u2191", "falling": "\u2193", "none": "\u2192"}


def trend_label(direction, judgement=None) -> str:
    """'↑ rising (worsening)', '→ no clear trend', 'not enough years to judge'."""
    if direction in (None, "", "too_few") or (isinstance(direction, float) and math.isnan(direction)):
        return TREND_WORDS["too_few"]
    arrow = _ARROWS.get(direction, "")
    extra = f" ({JUDGEMENT_WORDS[judgement]})" if judgement in JUDGEMENT_WORDS else ""
    return f"{arrow} {TREND_WORDS.get(direction, direction)}{extra}".strip()


# --------------------------------------------------------------------------- ratings

RAG_CODES = ("green", "amber", "red", "n/a")
RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red"}


def rag_label(rag, *, context: bool = False, comparable: bool = True) -> str:
    """'Green', 'Amber', 'Red', or why there is no rating."""
    if not comparable:
        return "Not rated (too few to compare)"
    if context:
        return "Not rated (context)"
    return RAG_WORDS.get(str(rag), "Not rated (no comparison)")


# --------------------------------------------------------------------------- polarity and periods

POLARITY_WORDS = {
    "higher_is_better": "Higher is better.",
    "lower_is_better": "Lower is better.",
    "context": "Context measure: neither higher nor lower is better in itself, so it is not rated or ranked.",
}

PERIOD_BASIS_WORDS = {
    "31 March": "a count at 31 March, or the year to 31 March",
    "30 September": "the workforce census at 30 September (the year to 30 September for flows)",
    "financial year": "the financial year (April to March)",
    "academic year": "the school year (September to July)",
}

# --------------------------------------------------------------------------- comparisons

#: Difference codes (the level of a difference: see docs/statistics.md).
COMPARISON_WORDS = {"higher": "higher than", "lower": "lower than", "similar": "similar to"}


def comparison_words(code) -> str | None:
    """'higher than', 'lower than', 'similar to', or None for no comparison."""
    return COMPARISON_WORDS.get(code) if isinstance(code, str) else None


#: How a sentence names the comparator group, by comparator code.
COMPARATOR_WORDS = {
    "statistical neighbours": ("its statistical neighbours", "its neighbours"),
    "region": ("the other councils in its region", "councils in its region"),
    "comparator group": ("its comparator group", "its comparator group"),
}

#: Why a figure is too small to compare (see docs/statistics.md, "Small numbers").
SMALL_REASONS = {
    "small_denominator": "too few {counted} to compare",
    "small_count": "too few {counted} to compare",
    "suppressed_counts": "the counts behind it are suppressed, so it cannot be compared",
}

# --------------------------------------------------------------------------- small words

NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
                9: "nine", 10: "ten"}


def number_word(n: int) -> str:
    """'three' for 3 (one to ten in words, larger numbers in figures)."""
    return NUMBER_WORDS.get(int(n), str(int(n)))


def ordinal(n) -> str:
    """'1st', '2nd', '3rd', '11th', '22nd'."""
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def possessive(name: str) -> str:
    """"Devon's", "St Helens's" (names of places take 's, as in St James's)."""
    return f"{name}'s"


def lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym or a name
    in capitals ('SDQ', 'ICPCs')."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def place_name(name: str) -> str:
    """A region as a sentence names it: 'the South West', 'the East of
    England', 'London', 'Yorkshire and The Humber'."""
    name = str(name or "").strip()
    if not name or name in ("London", "Yorkshire and The Humber", "Inner London", "Outer London", "England"):
        return name
    return f"the {name}"


def join_words(items) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [str(i) for i in items if str(i)]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
