"""The members' edition: a short pack a councillor can read in ten minutes.

What the members' notebook calls::

    from helpers import members
    pack = members.open_members(council=council, period=period, data=data, previous_pack=previous_pack)
    pack.attention()        # what needs members' attention first, worst first
    pack.since_last()       # what changed since the last pack
    pack.at_a_glance()      # the headline measures, coloured better or worse, with the words
    pack.sections()         # a page per section: findings, questions, a chart per measure needing attention
    pack.how_to_read()      # how to read the pack, and a glossary

The figures, comparisons and sentences are the full edition's (the same
engine, words and store snapshot); the members' edition chooses and orders
them, in plain English: no statistical terms, no band letters.
"""

from __future__ import annotations

import html

from . import words
from .report import Html, Parameters, _Context, _bars, _cell, at_a_glance_block, check_parameters, drawn_chart
from .stats.record import figures_record, read_record
from .vocab import RAG_WORDS, possessive
from .words.attention import attention_items, describe_item
from .words.since import since_last

__all__ = ["Members", "open_members", "inspection_facts"]

_e = html.escape
MAX_FINDINGS, MAX_QUESTIONS, MAX_CHARTS = 4, 3, 1


def inspection_facts(store, code: str) -> dict:
    """The council's latest Ofsted judgement: {judgement, date, type} or {}."""
    insp = store.inspections
    if insp is None or not len(insp) or "area_code" not in insp.columns:
        return {}
    own = insp[insp["area_code"].astype(str) == str(code)]
    if own.empty:
        return {}
    r = own.iloc[-1]
    return {"judgement": _cell(r.get("overall_effectiveness")), "date": _cell(r.get("inspection_date")),
            "type": _cell(r.get("inspection_type"))}


class Members(_Context):
    """The members' edition for one council."""

    section_id = "members"

    def __init__(self, params: Parameters, previous_pack: str = ""):
        self.title = "Members' edition"
        super().__init__(params)
        self.previous = read_record(previous_pack) if previous_pack else None
        self.previous_pack = previous_pack

    def comparisons(self) -> list:
        return [self.comparison(i) for i in self.indicators]

    # -- first page ---------------------------------------------------------------
    def attention(self, limit: int = 6) -> Html:
        """What needs members' attention first: the Ofsted judgement when it is
        not Good or Outstanding, then Red ratings and the largest changes for
        the worse, worst first (rule: :mod:`helpers.words.attention`)."""
        parts = ['<section class="attention"><h2 id="members-attention">What needs your attention</h2>']
        insp = inspection_facts(self.store, self.code)
        if insp.get("judgement") and insp["judgement"] not in ("Good", "Outstanding"):
            parts.append(f'<p class="attention-ofsted"><strong>Ofsted judged {_e(possessive(self.name))} '
                         f"children's services {_e(insp['judgement'])}</strong>"
                         + (f" (inspected {_e(insp['date'])})" if insp.get("date") else "") + ".</p>")
        items = [describe_item(i, self.catalogue) for i in attention_items(self.comparisons(), limit)]
        if not items:
            parts.append("<p>No measure is rated Red, outside the usual range for councils on its worse side, or "
                         "getting worse by more than chance.</p>")
        else:
            parts.append('<ol class="attention-list">' + "".join(self._item_html(i) for i in items) + "</ol>")
        too_few = [c for c in self.comparisons() if c.has_value and not c.comparable]
        if too_few:
            parts.append(f"<p>{len(too_few)} of {_e(possessive(self.name))} figures rest on too few children (or "
                         "social workers) to compare, or on counts that are suppressed: they are shown in their "
                         "sections but not ranked or rated.</p>")
        return Html("".join(parts) + "</section>")

    @staticmethod
    def _item_html(item: dict) -> str:
        rag = RAG_WORDS.get(item["rag"], "")
        marker = (f'<span class="rag rag-{_e(item["rag"])}">{_e(rag)}</span> ' if rag else "")
        parts = [f'<li class="attention-item"><h3>{marker}{_e(item["heading"])}</h3>',
                 f"<p>{_e(item['finding'])}</p>",
                 f'<p class="why"><strong>Why it is here:</strong> {_e("; ".join(item["why"]))}.</p>']
        if item["ranks"]:
            parts.append(f'<p class="ranks"><strong>Where it stands:</strong> {_e(item["ranks"])}.</p>')
        if item["question"]:
            parts.append(f'<p class="question"><strong>A question to ask:</strong> {_e(item["question"])}</p>')
        return "".join(parts) + "</li>"

    def since_last(self) -> Html:
        """What changed since the last pack (when the build found one)."""
        head = '<section class="since-last"><h2 id="members-since">Since the last pack</h2>'
        if self.previous is None:
            return Html(head + "<p>There is no earlier pack for this council to compare with. The next pack will "
                               "say what changed since this one.</p></section>")
        s = since_last(self.previous, self.comparisons())
        when = f" (built {_e(s.previous_built)})" if s.previous_built else ""
        if s.nothing:
            return Html(head + f"<p>Nothing has changed since the last pack{when}: no new figures have been "
                               f"published and no rating has changed.</p></section>")
        parts = [head, f"<p>Compared with the last pack{when}:</p>"]
        for title, items in (("New figures published", s.new_figures), ("Ratings that changed", s.ratings),
                             ("Targets", s.targets), ("The usual range for councils", s.usual_range),
                             ("Last time's questions whose measure has moved", s.questions)):
            if items:
                parts.append(f"<h3>{_e(title)}</h3><ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>")
        return Html("".join(parts) + "</section>")

    # -- at a glance ----------------------------------------------------------------
    def at_a_glance(self) -> Html:
        """The headline measures: the council's latest figure with its rating
        written beside it, and five years against its neighbours and England."""
        return at_a_glance_block(self, "members-at-a-glance")

    # -- a page per section ---------------------------------------------------------
    def sections(self) -> Html:
        """For each section, on a page of its own: its key findings, its
        questions and a chart of the measure that most needs attention."""
        by_section: dict[str, list] = {}
        for c in self.comparisons():
            by_section.setdefault(c.indicator.section, []).append(c)
        blocks = [self._section_page(sid, comps) for sid, comps in by_section.items()]
        return Html("".join(blocks))

    def _section_page(self, sid: str, comps: list) -> str:
        title = self.spec.section_titles.get(sid) or self.catalogue.section_titles.get(sid, sid)
        parts = [f'<section class="members-section" id="members-{_e(sid)}"><h2 id="members-{_e(sid)}-title">'
                 f"{_e(title)}</h2>"]
        findings = words.key_messages(comps, n=MAX_FINDINGS)
        parts.append("<h3>What the figures show</h3><ul>" + "".join(f"<li>{_e(f)}</li>" for f in findings)
                     + "</ul>")
        asked = words.questions(comps, limit=MAX_QUESTIONS, catalogue=self.catalogue)
        if asked:
            parts.append("<h3>Questions members may wish to ask</h3><ol>"
                         + "".join(f"<li>{_e(q)}</li>" for q in asked) + "</ol>")
        for item in attention_items(comps, MAX_CHARTS):
            c = item.comparison
            markup, _ = drawn_chart(self, _bars, c, self.chart_label(c))  # drawn once with the full edition's
            parts.append(markup or "")
        return "".join(parts) + "</section>"

    # -- reading the pack -------------------------------------------------------------
    def how_to_read(self) -> Html:
        """How to read the pack, with the meaning of each colour and a glossary."""
        from .members_text import glossary_html, how_to_read_html
        return Html(how_to_read_html(self.name, self.comparator_label) + glossary_html())

    def record(self, questions_limit: int = 8) -> dict:
        """This pack's figures record (saved as ``figures.json``)."""
        comps = self.comparisons()
        asked = words.question_items(comps, limit=questions_limit, catalogue=self.catalogue)
        council = {"name": self.name, "code": self.code}
        return figures_record(council, comps, asked, inspection=inspection_facts(self.store, self.code))


def open_members(*, council, period=None, comparator="statistical neighbours", committee="", meeting_date="",
                 data="demo", comparators_file="", neighbours="", previous_pack="", pack_spec="",
                 commentary="") -> Members:
    """Check the parameters and open the members' edition for one council.
    ``previous_pack`` is the folder (or ``figures.json``) of the last pack
    built for the council, or "" for none; ``pack_spec`` and ``commentary``
    as for :func:`helpers.report.open_summary`."""
    params = check_parameters(council, period, comparator, committee, meeting_date, data, comparators_file,
                              neighbours, pack_spec, commentary)
    return Members(params, str(previous_pack or ""))

