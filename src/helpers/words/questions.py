"""Questions members may wish to ask, from the findings: each indicator's
own questions in the catalogue (data/indicators.yml), else the catalogue's
general templates."""

from __future__ import annotations

from collections.abc import Iterable

from ..catalogue import Catalogue, load_catalogue
from ..stats.results import Comparison
from ..vocab import join_words
from .findings import finding_directions, score_finding
from .sentences import subject_of

__all__ = ["questions", "question_items", "DIRECTION_ORDER"]

DIRECTION_ORDER = ("worse", "worsening", "high", "low", "unusual", "rising", "falling", "suppressed")


def _templates(catalogue: Catalogue | None) -> dict[str, str]:
    return (catalogue or load_catalogue()).generic_questions


def _unusual_question(unusual: list, templates: dict[str, str]) -> tuple | None:
    """Measures outside the usual range for councils share one question."""
    if not unusual or "unusual" not in templates:
        return None
    unusual.sort()
    subjects = [f"the {subject}" for *_, subject in unusual]
    if len(subjects) > 4:  # the three that stand out most, then a count
        subjects = [*subjects[:3], f"{len(subjects) - 3} other measures"]
    one = len(subjects) == 1
    q = templates["unusual"].format(subjects=join_words(subjects), verb="is" if one else "are",
                                    pronoun="it" if one else "they")
    return (unusual[0][0], DIRECTION_ORDER.index("unusual"), unusual[0][1], q, [u[1] for u in unusual])


def questions(comparisons: Comparison | Iterable[Comparison], *, generic: bool = True, limit: int | None = None,
              min_score: int = 2, catalogue: Catalogue | None = None) -> list[str]:
    """"Questions members may wish to ask": for each finding scoring at least
    ``min_score`` (see :func:`~helpers.words.findings.score_finding`), the
    question the catalogue keys by (indicator, direction), falling back to
    the general templates when ``generic``. Suppressed figures always prompt
    a request for the local figure; figures too small to compare prompt
    none; a trend the latest year reversed is never asked about. Ordered by
    score, no duplicates.

    >>> questions(section.comparisons(), limit=3)          # doctest: +SKIP
    ["Which teams carry the vacancies, and how are their children's cases covered?"]
    """
    return [q for q, _ in question_items(comparisons, generic=generic, limit=limit, min_score=min_score,
                                         catalogue=catalogue)]


def question_items(comparisons: Comparison | Iterable[Comparison], *, generic: bool = True,
                   limit: int | None = None, min_score: int = 2,
                   catalogue: Catalogue | None = None) -> list[tuple[str, list[str]]]:
    """The questions of :func:`questions`, each with the indicator ids it rests on."""
    if isinstance(comparisons, Comparison):
        comparisons = [comparisons]
    templates = _templates(catalogue)
    items, unusual = [], []
    for c in comparisons:
        score = score_finding(c)
        if c.has_value and score < min_score:
            continue
        for d in finding_directions(c):
            if d == "better":
                continue
            q = c.indicator.question(d)
            if q is None and d == "unusual":
                unusual.append((-score, c.indicator_id, subject_of(c)))
                continue
            if q is None and generic and d in templates:
                q = templates[d].format(subject=subject_of(c))
            if q:
                items.append((-score, DIRECTION_ORDER.index(d), c.indicator_id, q, [c.indicator_id]))
    shared = _unusual_question(unusual, templates) if generic else None
    if shared:
        items.append(shared)
    items.sort(key=lambda t: t[:3])
    out: dict[str, list[str]] = {}
    for *_, q, ids in items:
        out.setdefault(q, [])
        out[q] += [i for i in ids if i not in out[q]]
    pairs = list(out.items())
    return pairs[:limit] if limit else pairs
