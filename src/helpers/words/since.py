"""What changed since the last pack: the previous pack's figures record
(``figures.json``) against this pack's comparisons.

Four things are said, each only when it happened: figures published since
(a measure's period moved on), ratings that changed, targets met or missed
since, and measures that entered or left the usual range for councils; then
last time's questions whose measure has moved (a new figure, or a changed
rating), so members can follow them up.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..stats.record import indicator_record
from ..stats.results import Comparison
from ..vocab import RAG_WORDS

__all__ = ["SinceLast", "since_last", "built_text"]


@dataclass
class SinceLast:
    previous_built: str
    new_figures: list[str] = field(default_factory=list)
    ratings: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    usual_range: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    @property
    def nothing(self) -> bool:
        return not (self.new_figures or self.ratings or self.targets or self.usual_range or self.questions)


def built_text(iso: str) -> str:
    """'12 January 2026' from an ISO timestamp ('' when unreadable)."""
    try:
        d = _dt.datetime.fromisoformat(str(iso))
    except ValueError:
        return ""
    return f"{d.day} {d.strftime('%B %Y')}"


def _rag(code) -> str:
    return RAG_WORDS.get(str(code), "not rated")


def _figure(c: Comparison, value) -> str:
    return c.indicator.format_value(value) if value is not None else c.status_word or "not available"


def _moved(before: dict, now: dict) -> bool:
    return (before.get("period") != now.get("period") and before.get("value") != now.get("value")) or \
        before.get("rag") != now.get("rag")


def since_last(previous: dict, comparisons: Iterable[Comparison]) -> SinceLast:
    """What changed between the previous pack's record and these comparisons."""
    out = SinceLast(built_text(previous.get("built", "")))
    before_all = previous.get("indicators", {})
    now_all = {}
    for c in comparisons:
        now = indicator_record(c)
        now_all[c.indicator_id] = now
        before = before_all.get(c.indicator_id)
        label = c.indicator.label
        if before is None:
            out.new_figures.append(f"{label}: new in this pack ({c.period_label}, {_figure(c, now['value'])}).")
            continue
        if before.get("period") != now["period"]:
            out.new_figures.append(f"{label}: {c.period_label} figure {_figure(c, now['value'])} (last pack: "
                                   f"{before.get('period_label')}, {_figure(c, before.get('value'))}).")
        if before.get("rag") != now["rag"] and not c.is_context:
            out.ratings.append(f"{label}: {_rag(before.get('rag'))} last time, {_rag(now['rag'])} now.")
        met_before, met_now = before.get("rag_target") == "green", now["rag_target"] == "green"
        if now["rag_target"] is not None and before.get("rag_target") is not None and met_before != met_now:
            out.targets.append(f"{label}: the target of {_figure(c, now['target'])} is "
                               f"{'now met' if met_now else 'now missed'}.")
        if before.get("unusual") != now["unusual"]:
            text = (f"now unusually {now['unusual']} among councils" if now["unusual"]
                    else "back within the usual range for councils")
            out.usual_range.append(f"{label}: {text}.")
    for q in previous.get("questions", []):
        moved = [i for i in q.get("indicators", []) if i in now_all and i in before_all
                 and _moved(before_all[i], now_all[i])]
        if moved:
            out.questions.append(q.get("text", ""))
    return out
