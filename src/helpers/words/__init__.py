"""Plain English from the statistics' codes, for members to read aloud.

The wording never goes further than the statistics (:mod:`helpers.stats`)
do, and every claim in it can be checked against the figures beside it.
Words for single codes live in :mod:`helpers.vocab`.

How the words follow the statistics (docs/statistics.md states them word for word)
--------------------------------------------------------------

Comparison words
    "higher than" and "lower than" only when the difference is beyond the
    95% limit and at least the minimum meaningful change; otherwise "similar
    to". "better" and "worse" only for measures with a polarity. Each
    comparison names the figure compared with, in brackets.

Rank words
    A rank is given as "8th of 11 among its neighbours", "joint 3rd of 12 in
    the South West" and "89th of 148 councils in England", with the quarter
    of councils it falls in; "joint" whenever another council has the same
    figure. Context measures and figures that are not comparable get no
    rank. A council whose comparators have no figures gets no rank among
    them, and the words say so.

Trend words
    The trend over three years is described when there is one, otherwise
    the trend over five years, otherwise the three years show no clear
    trend. "has risen each year since P (from a to b)" or "has fallen each
    year since P" only when the trend's shape is steady: it moved that way
    in every year from P. Otherwise the words compare the latest figure with
    the first of the window, naming its period and figure: "is lower than
    at P (a)", adding "though up from c at Q" when the latest year went the
    other way (the shape is reversed), or "though it has not fallen every
    year" when some earlier year did (uneven). "shows no clear trend over
    the three years to P" when the test finds none, and "there are not
    enough years to judge a trend" when the window is short. A trend that
    the latest year reversed is never the basis of a question or of
    "worsening" in a key message.

Change words
    "up from a at P" or "down from a at P", with "a change bigger than
    chance alone would explain" only when the change is beyond chance, and
    "a change within what chance alone could explain" when it was tested
    and is not; "unchanged from a at P" when the figure did not move.

Small-number words
    A figure that is not comparable is given with its count: "There are too
    few children to compare (8 of 12)", or, when the counts are suppressed,
    "The counts behind it are suppressed, so it is not compared with other
    councils". It gets no comparison words, rank, band, rating, trend words,
    key message or question.

Unusual words
    "unusually high (or low) among councils, allowing for its size" only
    beyond the 99.8% limit of the funnel of all councils; the funnel chart's
    title says the same of the same council.

Key messages
    A measure is eligible when it is comparable and it differs from its
    comparators or England, has a trend (described by the trend words, so a
    reversed one says so), changed beyond chance since last year, or is
    unusual among councils. Every measure rated Red comes first (the most
    serious first, leaving room for two more), then the strongest concern not
    yet said, the strongest strength, the biggest change, then the rest by
    strength. "No figure stands out" is said only when no measure of the
    section is eligible; figures too small to compare are named in a last
    message when there is room, and never called similar.
"""

from __future__ import annotations

from .findings import finding_directions, key_messages, score_finding, status_of
from .questions import question_items, questions
from .sentences import (band_sentence, change_sentence, describe, headline, rank_sentence, small_sentence,
                        status_sentence, trend_cell, trend_sentence, unusual_sentence, value_text)
from .titles import bars_title, funnel_title, strip_title, trend_title

__all__ = ["describe", "headline", "status_sentence", "rank_sentence", "band_sentence", "trend_sentence",
           "change_sentence", "small_sentence", "trend_cell", "unusual_sentence", "value_text", "key_messages",
           "score_finding", "finding_directions", "status_of", "questions", "question_items", "bars_title", "trend_title", "funnel_title",
           "strip_title"]
