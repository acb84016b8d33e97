"""The notebook-facing API: what a section notebook calls to show one
council's figures, with words, charts and questions, as HTML.

A section notebook is a parameters cell and a few calls::

    from helpers import report
    section = report.open_section("workforce", council=council, period=period,
                                  comparator=comparator, data=data,
                                  comparators_file=comparators_file,
                                  committee=committee, meeting_date=meeting_date)
    section.introduction()
    section.key_findings()
    for ind in section.indicators:
        display(section.indicator(ind))
    section.questions()

and the summary notebook::

    summary = report.open_summary(council=council, ...)
    summary.key_messages()
    summary.at_a_glance()
    summary.indicator_table()

Every method returns an :class:`Html` block (shown in JupyterLab and stored
by papermill as ``text/html``). Parameters are checked when a section is
opened; a bad one raises :class:`~helpers.errors.ParameterError` or
:class:`~helpers.errors.UnknownCouncilError` naming the parameter, the rule,
the value received and the allowed values.

The statistics come from :mod:`helpers.stats`, the sentences from
:mod:`helpers.words` and the charts from :mod:`helpers.charts`. Every string taken from data is
HTML-escaped; the markup is semantic (h2/h3, tables with ``th scope``,
figure/figcaption), with no script and no external resource.
"""

from __future__ import annotations

import copy
import datetime as _dt
import html
import math
import re
from collections import OrderedDict

import pandas as pd

from . import words
from .analyst import AnalystParts
from .catalogue import Indicator
from .data.groups import resolve_group
from .errors import ParameterError, ScrutinyError
from .figures import set_alt_text  # noqa: F401  - for notebooks: report.set_alt_text(ax, "...")
from .params import COMPARATOR_KEYWORDS, DEFAULT_COMMITTEE, NotebookParameters, check_notebook  # noqa: F401
from .params import period_held, resolve_council
from .theme import using_theme
from .vocab import (PERIOD_BASIS_WORDS, POLARITY_WORDS, band_quarter, lower_first, ordinal, possessive, rag_label,
                    status_word, trend_label)

__all__ = ["Html", "Parameters", "Section", "Summary", "check_parameters", "open_section", "open_summary",
           "set_alt_text",
           "format_rank", "band_words", "trend_words", "rag_words", "SECTION_ORDER", "HEADLINE_INDICATORS"]

#: Section notebooks in pack order (notebook metadata ``scrutiny.order``).
SECTION_ORDER = {"summary": 0, "workforce": 10, "front_door": 20, "child_protection": 30, "looked_after": 40,
                 "cla_outcomes": 45, "care_leavers": 50, "spending": 60}

#: Indicators on the at-a-glance page, when the store has them.
HEADLINE_INDICATORS = ("wf_caseload", "wf_agency", "wf_turnover", "fd_referral_rate", "fd_rereferral",
                       "cin_rate", "cp_rate", "cp_repeat", "cla_rate", "ps_3plus_year", "cl_eet_1921",
                       "sp_csc_per_child")


_e = html.escape


# --------------------------------------------------------------------------- HTML block

class Html:
    """A block of report markup: shown as HTML in JupyterLab and in papermill
    outputs, as plain text elsewhere."""

    def __init__(self, markup: str, text: str = ""):
        self.markup = markup
        self.text = text or re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)).strip()

    def _repr_html_(self) -> str:
        return self.markup

    def __str__(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        short = self.text if len(self.text) < 300 else self.text[:297] + "..."
        return short

    def __add__(self, other: "Html") -> "Html":
        return Html(self.markup + other.markup, (self.text + " " + other.text).strip())


# --------------------------------------------------------------------------- parameters

#: A notebook's parameters, checked (one model for notebooks, the command line and batches).
Parameters = NotebookParameters
check_parameters = check_notebook


def _load_store(data: str):
    from .store import open_store
    try:
        return open_store(data)
    except ScrutinyError as exc:
        raise ParameterError("data", f"no data could be loaded: {exc}", data) from exc


def _resolve_council(store, council: str) -> str:
    return resolve_council(store, council)  # UnknownCouncilError with "Did you mean" suggestions


# --------------------------------------------------------------------------- words

def _isnan(x) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def format_rank(rank, n, *, context: bool, tied: bool = False, short: bool = False) -> str:
    """'3rd of 11 (1st is best)'; 'joint 2nd of 11'; 'not ranked'. ``short``
    leaves out the bracket (a table's note says it). Context measures are
    not ranked."""
    if context or _isnan(rank) or not n:
        return "not ranked"
    text = f"{'joint ' if tied else ''}{ordinal(int(rank))} of {int(n)}"
    return text if short else text + " (1st is best)"


def _table_value(ind: Indicator, value) -> str:
    """A figure in a table whose row names the unit: '12.1%', '£1,457',
    '349.8' (per 10,000), '11.8' (days)."""
    if _isnan(value):
        return "n/a"
    text = ind.format_value(float(value), with_unit=False)
    return {"percent": f"{text}%", "gbp": f"\u00a3{text}"}.get(ind.unit, text)


def _short_period(ind: Indicator, period: int) -> str:
    """'30 Sep 2025', '31 Mar 2025', '2024-25'."""
    label = ind.period_label(int(period))
    return label.replace("September", "Sep").replace("March", "Mar")


def band_words(band, *, context: bool, comparable: bool = True) -> str:
    """Quartile band among all English councils, in words."""
    if not comparable:
        return "too few to compare"
    if context:
        return "not banded (context)"
    quarter = band_quarter(band)
    return quarter[0].upper() + quarter[1:] if quarter else "no band"


def trend_words(direction, judgement=None) -> str:
    """'↑ rising (worsening)', '→ no clear trend', 'not enough years to judge'."""
    return trend_label(direction, judgement)


_RAG_COLOURS = {"green": "#1B7837", "amber": "#8C6D1F", "red": "#B2182B"}  # as chart_style.yml's status colours


def rag_words(rag, *, context: bool = False, comparable: bool = True) -> str:
    return rag_label(rag, context=context, comparable=comparable)


def _rag_html(rag, *, context: bool, comparable: bool = True) -> str:
    word = rag_words(rag, context=context, comparable=comparable)
    colour = _RAG_COLOURS.get(str(rag))
    if not colour or context or not comparable:
        return f'<span class="rag rag-na">{_e(word)}</span>'
    # the colour only repeats the word, for readers who see it
    return (f'<span class="rag rag-{_e(str(rag))}"><span aria-hidden="true" style="display:inline-block;'
            f'width:0.8em;height:0.8em;border-radius:50%;background:{colour};margin-right:0.3em"></span>'
            f'{_e(word)}</span>')


_lower_first = lower_first
_possessive = possessive


def _sentences_html(sentences) -> str:
    return "".join(f"<p>{_e(s)}</p>" for s in sentences if s)


# --------------------------------------------------------------------------- comparisons (memoised)

#: Comparisons already made in this process, keyed by the store's content
#: key and everything else the comparison depends on: a warm kernel running
#: one section after another compares each indicator once, and never reuses
#: a comparison for other data.
_COMPARISONS: dict = {}


def _compare(store, code: str, iid: str, period: int | None, comparator, model: str, target=None):
    from .stats import compare_indicator
    key = (store.key, code, iid, period, tuple(comparator) if isinstance(comparator, (list, tuple)) else comparator,
           model, target)
    if not store.key:
        return compare_indicator(store, code, iid, period, comparator, model=model, target=target)
    if key not in _COMPARISONS:
        if len(_COMPARISONS) > 2000:
            _COMPARISONS.clear()
        _COMPARISONS[key] = compare_indicator(store, code, iid, period, comparator, model=model, target=target)
    # a copy: a notebook that changes what it was given changes nothing for the next one
    return copy.deepcopy(_COMPARISONS[key])


# --------------------------------------------------------------------------- the shared context

def _published_periods(store) -> dict[str, list[int]]:
    """For each indicator, the periods in which any council has a figure."""
    f = store.indicators
    ok = f[(f["level"] == "la") & (f["status"] == "ok")]
    return {iid: sorted(int(p) for p in g.unique()) for iid, g in ok.groupby("indicator")["period"]}


class _Context(AnalystParts):
    """A council, its comparators and the period, checked against the store."""

    section_id = "summary"

    def __init__(self, params: Parameters, section: str | None = None):
        self.params = params
        self.store = _load_store(params.data)
        self.catalogue = self.store.catalogue
        self.code = _resolve_council(self.store, params.council)
        self.area = self.store.area(self.code)
        self.name = str(self.area["area_name"])
        self._setup_analyst(params.pack_spec, params.commentary)  # pack specification, theme, commentary
        indicator_ids = (self.spec.indicators_for(section, [i.id for i in self.catalogue.in_section(section)])
                         if section else self.spec.kept(self.catalogue))
        published = _published_periods(self.store)
        wanted = indicator_ids if indicator_ids is not None else self.catalogue.ids()
        self._published = published
        from .neighbours import resolve_model
        model = resolve_model(self.store.neighbours, params.neighbours)
        self.group = resolve_group(self.store, self.code, params.comparator, params.comparators_file,
                                   model=model or None)
        #: the statistical neighbour model ("dfe_2025"), "" when the data holds none
        self.model = model
        self.comparator_label, self._comparator = self.group.label, self.group.comparator
        self.comparator_notes = list(self.group.notes)
        self._check_period()
        in_data = [i for i in wanted if i in published]
        #: indicators shown, and those first published after the pack's period (left out, and said so)
        self.indicators: list[str] = [i for i in in_data if self.period_for(i)[0] is not None]
        self.not_yet: list[str] = [i for i in in_data if i not in self.indicators]

    # -- checks ---------------------------------------------------------------
    def _check_period(self):
        held = sorted({p for ps in self._published.values() for p in ps})
        self.available_periods = held
        period_held(self.store, self.params.period, held)

    # -- per indicator ----------------------------------------------------------
    def period_for(self, iid: str) -> tuple[int | None, str]:
        """The period to show for an indicator and, when it is not the one
        asked for, why. Never a period after the one asked for: a measure
        first published later has no period (None) for this pack."""
        ind = self.catalogue[iid]
        periods = self._published.get(iid, [])
        if not periods:
            return None, f"{ind.label} is not in the data."
        last = self.area.get("last_period")
        wanted = self.params.period
        if wanted is None:
            use = periods[-1]
            if not _isnan(last) and int(last) < use:
                earlier = [p for p in periods if p <= int(last)]
                if earlier:
                    use = earlier[-1]
            return use, ""
        earlier = [p for p in periods if p <= wanted]
        if not earlier:
            return None, (f"{ind.label} is first published for {ind.period_label(periods[0])}, after this "
                          f"pack's period, so it is not shown.")
        if earlier[-1] == wanted:
            return wanted, ""
        return earlier[-1], (f"{ind.label} is not published for {ind.period_label(wanted)}; the latest earlier "
                             f"figure, for {ind.period_label(earlier[-1])}, is shown.")

    def comparison(self, iid: str):
        """The comparison for one indicator at its period for this pack (see
        :meth:`period_for`), against this pack's comparator group: a
        :class:`helpers.stats.Comparison` of codes and numbers, for
        :mod:`helpers.words` to put into sentences.

        >>> section.comparison("wf_caseload").rank        # doctest: +SKIP
        8.0
        """
        period, _ = self.period_for(iid)
        if period is None:
            raise ParameterError("indicator", f"{self.catalogue[iid].label} has no figure for this pack's period "
                                              f"or earlier", iid)
        return _compare(self.store, self.code, iid, period, self._comparator, self.group.model,
                        self.spec.targets.get(iid))

    def comparisons(self) -> list:
        """The comparison of every measure shown (:attr:`indicators`, in
        order): a list of :class:`helpers.stats.Comparison`.

        >>> [c.indicator.id for c in section.comparisons()][:2]      # doctest: +SKIP
        ['wf_caseload', 'wf_vacancy']
        >>> max(section.comparisons(), key=lambda c: c.rank or 0).indicator.label   # doctest: +SKIP
        'Social worker vacancy rate'
        """
        return [self.comparison(i) for i in self.indicators]

    def subject_label(self, c) -> str:
        """The council's name, or the joint return's when the figure is joint."""
        if c.joint_with:
            return f"{self.name} and {c.joint_with} (joint return)"
        return self.name

    def chart_label(self, c) -> str:
        """The council as charts label it: a joint return on two lines, so a
        long pair of names does not squeeze the plot."""
        if c.joint_with:
            return f"{self.name} and\n{c.joint_with} (joint)"
        return self.name

    @property
    def neighbour_word(self) -> str:
        if self.params.comparator == "statistical neighbours":
            return "Neighbour average"
        if self.params.comparator == "region":
            return "Regional council average"
        return f"{self.comparator_label} average"

    # -- shared blocks -------------------------------------------------------------
    def _banner(self) -> str:
        p = self.params
        bits = [f"<strong>{_e(self.name)}</strong> (DfE LA number {_e(self.code)})"]
        if p.committee:
            bits.append(_e(p.committee))
        if p.meeting_day:
            bits.append("meeting of " + _e(p.meeting_day.strftime("%-d %B %Y")))
        demo = ""
        if self.store.is_demo:
            demo = ('<p class="demo-warning"><strong>Demo data:</strong> every figure on this page is invented, '
                    'for fictional councils, to show how a pack works. It describes no real council.</p>')
        return f'<p class="pack-context">{" &middot; ".join(bits)}</p>{demo}'

    def _comparator_codes(self) -> list[str]:
        from .stats.layout import layout_for
        from .stats.views import as_store, comparator_members
        st = as_store(self.store)
        _, codes = comparator_members(st, layout_for(st), self.code, self._comparator, self.group.model)
        return codes

    def _comparator_sentence(self) -> str:
        if self._comparator is None:
            from .neighbours import model_label
            if not self._comparator_codes():
                return (f"{self.name} has no statistical neighbours in the {model_label(self.model)} (the model "
                        f"does not cover it), so figures are compared with the region and with England only."
                        if self.model else "No statistical neighbour model is in the data, so figures are "
                        "compared with the region and with England only.")
            intro = f"Comparisons are with its statistical neighbours in the {model_label(self.model)}"
        elif self._comparator == "region":
            intro = f"Comparisons are with the other {self.comparator_label}"
        else:
            intro = f"Comparisons are with the comparator group \u201c{self.comparator_label}\u201d"
        known = set(self.store.areas["area_code"].astype(str))
        names = [str(self.store.area(c)["area_name"]) if c in known else c
                 for c in dict.fromkeys(self._comparator_codes())]
        listing = ", ".join(names) if names else "none found in the data"
        return f"{intro} ({len(names)} councils: {listing}), with the region and with England."

    def _joint_sentence(self, comparisons) -> str:
        """Who is left out of the comparisons because of a joint return."""
        from .stats.layout import layout_for
        from .stats.views import as_store
        joint = layout_for(as_store(self.store)).joint_members
        known = set(self.store.areas["area_code"].astype(str))

        def name(code):
            return str(self.store.area(code)["area_name"]) if code in known else code

        out, seen = [], set()
        for c in comparisons:
            for code in c.dropped_joint:
                if code in seen:
                    continue
                seen.add(code)
                members = next((m for m in joint.values() if code in m), (code,))
                others = [name(m) for m in members if m != code]
                if code in c.joint_partners:
                    out.append(f"{name(code)} is left out of the comparisons of workforce figures: it makes one "
                               f"joint workforce return with {self.name}, and that joint figure is the one shown.")
                else:
                    out.append(f"{name(code)} makes one joint workforce return with {', '.join(others)}, so the "
                               f"two count once among the comparators.")
        return " ".join(out)

    def _reorganisation_note(self) -> str:
        note = str(self.area.get("note", "") or "")
        return note.strip()


# --------------------------------------------------------------------------- a section

class Section(_Context):
    """One section of a pack for one council: introduction, key findings, each
    indicator with words and charts, and questions."""

    def __init__(self, section: str, params: Parameters):
        from .catalogue import default_sections
        titles = default_sections()
        if section not in titles or section == "local":
            allowed = [s for s in titles if s != "local"]
            raise ParameterError("section", f"must be one of {', '.join(allowed)}", section)
        self.section_id = section
        self.title = titles[section]
        super().__init__(params, section)
        self.title = self.spec.section_titles.get(section) or self.catalogue.section_titles.get(section, self.title)

    # -- blocks -------------------------------------------------------------------
    def introduction(self) -> Html:
        """Who, what, when and against whom; demo and reorganisation notes."""
        parts = [self._banner()]
        later = self._not_yet_sentence()
        if not self.indicators:
            when = f" for {self.params.period} or earlier" if self.params.period and self.not_yet else ""
            parts.append(f"<p>The data holds no {_e(self.title.lower())} figures{_e(when)}"
                         + (" (the demo data has none for this section)" if self.store.is_demo else "")
                         + ". The section is left empty rather than estimated.</p>")
            if later:
                parts.append(f'<p class="note">{_e(later)}</p>')
            return Html(f'<section class="introduction" id="{self.section_id}-introduction">{"".join(parts)}</section>')
        parts.append(self._measures_by_period())
        parts.append(f"<p>{_e(self._comparator_sentence())}</p>")
        joint = self._joint_sentence(self.comparisons())
        if joint:
            parts.append(f'<p class="note"><strong>Joint returns:</strong> {_e(joint)}</p>')
        for note in self.comparator_notes:
            parts.append(f'<p class="note">Comparator group: {_e(note)}</p>')
        if later:
            parts.append(f'<p class="note">{_e(later)}</p>')
        if self._reorganisation_note():
            first = int(self.area.get("first_period") or 0)
            parts.append(f'<p class="note"><strong>Local government changes:</strong> {_e(self.name)} was created by '
                         f"a reorganisation, so its own figures start later than England's"
                         + (f" (from {first})" if first else "") + ". The notes on the data at the end of the "
                         "pack say what changed.</p>")
        return Html(f'<section class="introduction" id="{self.section_id}-introduction">{"".join(parts)}</section>')

    def _not_yet_sentence(self) -> str:
        """Measures first published after the pack's period: left out, and said so."""
        if not self.not_yet:
            return ""
        items = [f"{_lower_first(self.catalogue[i].label)} (first published for "
                 f"{self.catalogue[i].period_label(self._published[i][0])})" for i in self.not_yet]
        return (f"Not shown because they are first published after {self.params.period}: "
                + "; ".join(items) + ".")

    def _measures_by_period(self) -> str:
        """The measures the section compares, grouped by the period of their
        latest published figures: '31 March 2025: children looked after per
        10,000 children; ...', '2024/25 school year: ...'."""
        groups: dict[str, list[str]] = {}
        for iid in self.indicators:
            ind = self.catalogue[iid]
            p, _ = self.period_for(iid)
            groups.setdefault(ind.period_heading(p), []).append(_lower_first(self.heading_for(iid)))
        n = len(self.indicators)
        upto = f" up to {self.params.period}" if self.params.period else ""
        head = (f"This section compares {_e(self.name)} on {n} measure{'s' if n > 1 else ''}, each at the latest "
                f"period published{_e(upto)}:")
        items = "".join(f"<li><strong>{_e(when)}:</strong> {_e('; '.join(labels))}</li>"
                        for when, labels in groups.items())
        return f'<p>{head}</p><ul class="measures-by-period">{items}</ul>'

    def key_findings(self) -> Html:
        """The findings that most deserve a member's attention, as a list."""
        comps = self.comparisons()
        items = words.key_messages(comps) if comps else []
        body = ("<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>") if items else \
            "<p>No figures to summarise in this section.</p>"
        return Html(f'<section class="key-findings"><h2 id="{self.section_id}-key-findings">Key findings</h2>'
                    f"{body}</section>")

    def indicator(self, iid: str) -> Html:
        """One indicator: heading, words, four charts, definition and notes."""
        if iid not in self.catalogue:
            self.catalogue[iid]  # UnknownIndicatorError with suggestions
        ind = self.catalogue[iid]
        anchor = f"{self.section_id}-{iid}"
        if iid not in self.indicators:
            return Html(f'<section class="indicator"><h2 id="{_e(anchor)}">{_e(self.heading_for(iid))}</h2>'
                        f"<p>The data holds no figures for this measure.</p>{_definition(ind, None)}</section>")
        _, period_note = self.period_for(iid)
        c = self.comparison(iid)
        subject = self.subject_label(c)
        parts = [f'<section class="indicator"><h2 id="{_e(anchor)}">{_e(self.heading_for(iid))}</h2>']
        parts.append(_sentences_html(words.describe(c)))
        parts.append(self._indicator_commentary(iid))
        if c.joint_with:
            parts.append(f'<p class="note"><strong>Joint return:</strong> {_e(self.name)} and {_e(c.joint_with)} '
                         f"make one workforce return ({_e(c.data_area_code)}). The figure describes the two "
                         f"councils together, not {_e(self.name)} alone.</p>")
        if period_note:
            parts.append(f'<p class="note">{_e(period_note)}</p>')
        start = self._series_start_note(c)
        if start:
            parts.append(f'<p class="note">{_e(start)}</p>')
        for chart in self._charts(c, self.chart_label(c)):
            parts.append(chart)
        parts.append(_definition(ind, c, self._other_notes(c)))
        parts.append("</section>")
        return Html("".join(parts))

    def all_indicators(self) -> Html:
        """Every measure of the section, one after another (as the loop in the notebooks)."""
        blocks = [self.indicator(i) for i in self.indicators]
        return sum(blocks[1:], blocks[0]) if blocks else Html("")

    def table(self, indicator_ids, title: str, note: str = "") -> Html:
        """Several related measures as one table (the council, its comparators'
        average, its region and England, band and trend), for measures that
        are context for the section rather than each worth a page of charts.
        ``note`` says in a sentence what the measures count; each measure's
        definition is in the appendix."""
        ids = [i for i in indicator_ids if i in self.indicators]
        anchor = f"{self.section_id}-{re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')}"
        head = f'<section class="indicator"><h2 id="{_e(anchor)}">{_e(title)}</h2>'
        if not ids:
            return Html(head + "<p>The data holds no figures for these measures.</p></section>")
        comps = [self.comparison(i) for i in ids]
        region = next((c.region_name for c in comps if c.region_name), "") or "Region"
        cols = ["Measure", "Period", self.name, self.neighbour_word, region, "England", "Trend (3 years)"]
        rows = []
        for c in comps:
            ind = c.indicator
            value = _table_value(ind, c.value) if c.has_value else c.status_word
            cells = [f'<th scope="row" style="text-align:left"><span id="{_e(self.section_id)}-{_e(ind.id)}">'
                     f"{_e(ind.label)}</span></th>",
                     f'<td style="white-space:nowrap">{_e(_short_period(ind, c.period))}</td>',
                     f'<td class="num">{_e(value)}</td>',
                     f'<td class="num">{_e(_table_value(ind, c.neighbour_mean))}</td>',
                     f'<td class="num">{_e(_table_value(ind, c.region_value))}</td>',
                     f'<td class="num">{_e(_table_value(ind, c.england))}</td>',
                     f"<td>{_e(trend_words(c.trend_3.direction, c.trend_3.judgement))}</td>"]
            rows.append("<tr>" + "".join(cells) + "</tr>")
        thead = "".join(f'<th scope="col">{_e(col)}</th>' for col in cols)
        units = sorted({c.indicator.unit_label for c in comps})
        lead = f"<p>{_e(note)}</p>" if note else ""
        return Html(head + lead + f'<table class="summary-table"><caption>{_e(title)}: {_e(self.name)} against '
                    f"{_e(self.comparator_label)}, its region and England ({_e('; '.join(units))})</caption>"
                    f"<thead><tr>{thead}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
                    '<p class="note">Trend: the direction over the three latest years, called rising or falling '
                    "only when the change is beyond chance. Each measure's definition and source are in the "
                    "appendix.</p></section>")

    def questions(self) -> Html:
        """"Questions members may wish to ask", from this section's findings."""
        qs = words.questions(self.comparisons(), limit=8, catalogue=self.catalogue)
        return _questions_html(qs, f"{self.section_id}-questions")

    def inspection(self) -> Html:
        """Ofsted's latest judgements for the council and its comparators."""
        return _inspection_html(self)

    # -- helpers -----------------------------------------------------------------
    def _series_start_note(self, c) -> str:
        s = c.series
        own = s[s["council"].notna()]
        eng = s[s["england"].notna()]
        if not len(own) or not len(eng):
            return ""
        first, eng_first = int(own["period"].min()), int(eng["period"].min())
        if first <= eng_first:
            return ""
        ind = c.indicator
        created = int(self.area.get("first_period") or 0)
        # said once, at the start of the section; but a publisher may give today's council figures
        # from before it existed (OHID), and then the series start is its own
        if self._reorganisation_note() and eng_first < created <= first:
            return ""
        when = ("in " if ind.period_basis in ("financial year", "academic year") else "at ") + ind.period_label(first)
        return f"{_possessive(self.name)} series for this measure starts {when}."

    def _other_notes(self, c) -> list[str]:
        """Notes under the definition: the publisher's notes and confidence
        limits for the council's figure, and how a regional or England figure
        the publisher does not give was computed (joint returns, periods and
        series starts have notes of their own above)."""
        from .render import figure_notes
        return figure_notes(self.store, c.indicator, c.period, [self.code, c.region_code, "E92000001"], self.code)

    def _charts(self, c, subject: str) -> list[str]:
        """Three charts an indicator: its neighbours (bars), its trend (lines)
        and all councils: the funnel plot where counts allow one (it shows
        whether a difference is beyond chance), otherwise the position among
        all councils with quartile bands (the band is in the words and the
        summary table either way). Fewer, purposeful charts keep a pack
        readable and quick to build."""
        out = []
        funnel_drawn = False
        for make in (_bars, _time_series, _funnel, _strip):
            if make is _strip and funnel_drawn:
                continue
            markup, reason = drawn_chart(self, make, c, subject)
            funnel_drawn = funnel_drawn or (make is _funnel and markup is not None)
            if markup is not None:
                out.append(markup)
                if reason:
                    out.append(f'<p class="note">{_e(reason)}</p>')
            elif reason:
                out.append(f'<p class="chart-missing">{_e(reason)}</p>')
        return out


#: Charts' markup for the same inputs, drawn once per kernel: the members'
#: edition shows charts the full edition shows too (see :func:`drawn_chart`).
_DRAWN: "OrderedDict[tuple, tuple]" = OrderedDict()
_DRAWN_MAX = 64


def _remembered(key, draw):
    """``draw()``'s result for ``key``, from the last 64 kept; nothing is
    kept without a store key."""
    if key is None:
        return draw()
    if key in _DRAWN:
        _DRAWN.move_to_end(key)
        return _DRAWN[key][0]
    value = draw()
    _DRAWN[key] = (value,)
    while len(_DRAWN) > _DRAWN_MAX:
        _DRAWN.popitem(last=False)
    return value


def drawn_chart(ctx: "_Context", make, c, subject: str) -> tuple[str | None, str]:
    """(markup or None, note) of one of an indicator's charts (``make`` is
    _bars, _time_series, _funnel or _strip). Only the neighbours' bars are
    kept for reuse (the members' edition shows them too), keyed by
    everything they are drawn from: the store's content, council, measure,
    period, comparator and model, the subject's name, the comparator's
    words, the chart style (the section's theme) and the specification's
    title and target for the measure. Drawn in the section's theme."""
    key = None
    if make is _bars and ctx.store.key:
        iid = c.indicator.id
        key = ("bars", ctx.store.key, c.area_code, iid, c.period, repr(ctx._comparator), ctx.group.model,
               subject, ctx.neighbour_word, ctx.comparator_label, ctx.theme.key,
               repr(ctx.spec.chart_titles.get(iid)), repr(ctx.spec.targets.get(iid)))

    def draw():
        with using_theme(ctx.theme):
            chart, reason = make(ctx, c, subject)
        if chart is None:
            return None, reason
        try:
            return chart.to_html(), reason
        finally:
            chart.close()
    return _remembered(key, draw)


def _definition(ind: Indicator, c, notes=()) -> str:
    items = [f"<dt>Definition</dt><dd>{_e(ind.definition)}</dd>"]
    when = f"; the figures shown are for {ind.period_label(c.period)}" if c is not None else ""
    items.append(f"<dt>Period basis</dt><dd>{_e(PERIOD_BASIS_WORDS[ind.period_basis])}{_e(when)}.</dd>")
    from .charts import SOURCE_NAMES
    items.append(f"<dt>Source</dt><dd>{_e(SOURCE_NAMES.get(ind.source, ind.source))} "
                 f"(indicator <code>{_e(ind.id)}</code>)</dd>")
    items.append(f"<dt>Reading it</dt><dd>{_e(POLARITY_WORDS[ind.polarity])}</dd>")
    if ind.caveat:
        items.append(f"<dt>Caveat</dt><dd>{_e(ind.caveat)}</dd>")
    for n in notes:
        items.append(f"<dt>Note</dt><dd>{_e(n)}</dd>")
    return f'<dl class="definition">{"".join(items)}</dl>'


# --------------------------------------------------------------------------- charts for one indicator

def _subject_frame(frame: pd.DataFrame, subject: str, flag: str = "is_subject") -> pd.DataFrame:
    frame = frame.copy()
    frame["area_name"] = frame["area_name"].astype(str)
    frame.loc[frame[flag].astype(bool), "area_name"] = subject
    return frame


def _measure_words(ind: Indicator) -> str:
    """How a title names the measure: its subject ('rate of children looked after')."""
    return ind.name_in_sentence


def _bars(sec: Section, c, subject: str):
    from .charts import benchmark_bars
    data = _subject_frame(c.neighbour_values, subject)
    comparator_name = {"Neighbour average": "its neighbours' average"}.get(
        sec.neighbour_word, f"the {_lower_first(sec.neighbour_word)}")
    title = sec.chart_title(c.indicator.id, "bars", words.bars_title(c, subject, comparator_name))
    chart = benchmark_bars(data, highlight=subject, indicator=c.indicator, period=c.period,
                           neighbour_mean=None if _isnan(c.neighbour_mean) else c.neighbour_mean,
                           england=None if _isnan(c.england) else c.england,
                           group=sec.comparator_label, title=title)
    return chart, ""


def _time_series(sec: Section, c, subject: str):
    from .charts import time_series
    s = c.series
    ind = c.indicator
    region = c.region_name or "Region"
    names = {"council": subject, "neighbour_mean": sec.neighbour_word, "region": region, "england": "England"}
    if c.comparator == "region":
        names.pop("neighbour_mean")  # the same councils as the region, less one
    long = s.melt(id_vars="period", value_vars=list(names), var_name="role", value_name="value")
    long["series"] = long["role"].map(names)
    long = long[long["period"] <= c.period]
    if long.loc[long["role"] == "council", "value"].notna().sum() < 2:
        return None, (f"No time series chart: {subject} has a figure for only one period of this measure."
                      if long.loc[long["role"] == "council", "value"].notna().any()
                      else f"No time series chart: {subject} has no published figures for this measure.")
    first = int(long.loc[long["value"].notna(), "period"].min())
    long = long[long["period"] >= first]
    roles = {v: k for k, v in names.items()}
    title = words.trend_title(c, subject)
    if title is None:
        known = c.series[(c.series["period"] <= c.period) & c.series["council"].notna()]
        from .charts import trend_title
        title = trend_title(subject, ind, float(known["council"].iloc[0]), float(known["council"].iloc[-1]),
                            int(known["period"].iloc[0]), subject=_measure_words(ind))
    chart = time_series(long, highlight=subject, indicator=ind, roles=roles,
                        title=sec.chart_title(ind.id, "trend", title))
    return chart, _gaps_sentence(s[(s["period"] >= first) & (s["period"] <= c.period)], ind, subject)


def _gaps_sentence(series: pd.DataFrame, ind: Indicator, subject: str) -> str:
    """Years with no figure for the council, said in words: the chart shows
    them as gaps in the line."""
    own = series[series["council"].notna()]
    if own.empty:
        return ""
    later = series[series["period"] >= own["period"].min()]
    gaps = later[later["council"].isna()]
    if gaps.empty:
        return ""
    items = [f"{ind.period_label(int(r.period))} ({status_word(r.council_status)})"
             for r in gaps.itertuples()]
    return (f"Gaps in {_possessive(subject)} line are years with no published figure: "
            + ", ".join(items) + ".")


_NO_FUNNEL = {"money": "spending figures are sums of money, not counts of independent events",
              "days": "days lost cluster in long absences, so they are not counts of independent events",
              "score": "a score is an average, not a count of independent events"}


def _funnel(sec: Section, c, subject: str):
    from .charts import default_caption, funnel_plot
    from .stats import funnel_curve
    ind = c.indicator
    if ind.unit not in ("percent", "per_10k"):
        return None, ""
    if c.funnel.kind is None:
        reason = _NO_FUNNEL.get(c.funnel.no_funnel_reason)
        return None, (f"No funnel plot: {reason}." if reason else "")
    if not c.has_value or not c.comparable:
        return None, ""  # said once, with the chart of all councils
    frame = _subject_frame(c.all_council_values, subject)
    frame = frame[frame["value"].notna() & frame["numerator"].notna() & (frame["denominator"] > 0)]
    left_out = int((~frame["comparable"].astype(bool)).sum())
    frame = frame[frame["comparable"].astype(bool)]
    if len(frame) < 10:
        return None, "No funnel plot: too few councils publish the counts for this measure."
    target = c.funnel.target if not _isnan(c.funnel.target) else None
    # the limits the council was classified against: the same target and
    # between-council spread
    limits = funnel_curve(frame, ind, target, tau2=c.funnel.tau2)
    limits = limits.rename(columns={"lower_95": "lower95", "upper_95": "upper95", "lower_998": "lower998",
                                    "upper_998": "upper998", "target": "centre"})
    how = ("The limits show the usual range for a council of each size: the outer line (99.8%) marks "
           "a figure as unusual, allowing for chance"
           + (" and for the usual differences between councils." if c.funnel.overdispersed else "."))
    if left_out:
        how += f" {left_out} councils with too few {ind.counted} to compare are not shown."
    chart = funnel_plot(frame, highlight=subject, indicator=ind, limits=limits, period=c.period,
                        centre_name="All councils",
                        title=sec.chart_title(ind.id, "all_councils", words.funnel_title(c, subject)),
                        caption=f"{how} {default_caption(ind, c.period)}",
                        denominator_label=("Children aged 0 to 17" if ind.unit == "per_10k"
                                           else f"Number of {ind.counted} counted"),
                        x_ticks=5, reuse_layers=True)  # every council's funnel shares its picture of all councils
    return chart, ""


def _strip(sec: Section, c, subject: str):
    from .charts import position_strip
    ind = c.indicator
    frame = _subject_frame(c.all_council_values, subject)
    frame = frame[frame["value"].notna()]
    charts = "No funnel plot or chart of all councils" if ind.unit in ("percent", "per_10k") and \
        c.funnel.kind is not None else "No chart of all councils"
    if not c.has_value or subject not in set(frame["area_name"]):
        return None, (f"{charts}: {_possessive(subject)} figure for {ind.period_label(c.period)} is "
                      f"{c.status_word}, so it cannot be placed among them.")
    if not c.comparable:
        return None, f"{charts}: there are too few {ind.counted} to place {subject} among them."
    frame = frame[frame["comparable"].astype(bool)]
    if len(frame) < 8:
        return None, "No chart of all councils: too few councils have a figure."
    chart = position_strip(frame, highlight=subject, indicator=ind, quartiles=_band_cuts(frame, ind),
                           england=None if _isnan(c.england) else c.england, period=c.period,
                           title=sec.chart_title(ind.id, "all_councils", words.strip_title(c, subject)))
    return chart, ""


def _band_cuts(frame: pd.DataFrame, ind: Indicator):
    """The quartile cut points the bands are drawn from (the comparable
    values of all councils), so the strip's bands agree with the band named
    in the words and tables; None for context measures."""
    from .stats import quartile_cuts
    if ind.is_context:
        return None
    cuts = quartile_cuts(frame["value"].to_numpy(dtype=float))
    return None if cuts is None or len(set(cuts)) < 3 else list(cuts)


# --------------------------------------------------------------------------- findings and questions

def _questions_html(qs: list[str], anchor: str) -> Html:
    body = ("<ol>" + "".join(f"<li>{_e(q)}</li>" for q in qs) + "</ol>") if qs else \
        "<p>No questions arise from the published figures in this section.</p>"
    return Html(f'<section class="questions"><h2 id="{_e(anchor)}">Questions members may wish to ask</h2>'
                f"{body}</section>")


# --------------------------------------------------------------------------- inspections

_INSPECTION_COLUMNS = (("inspection_date", "Inspection date"), ("inspection_type", "Inspection type"),
                       ("overall_effectiveness", "Overall effectiveness"),
                       ("impact_of_leaders", "Impact of leaders"),
                       ("help_and_protection", "Experiences of children who need help and protection"),
                       ("children_in_care", "Experiences of children in care"),
                       ("care_leavers", "Experiences of care leavers"))


def _inspection_html(ctx: _Context) -> Html:
    anchor = f"{ctx.section_id}-inspection"
    head = f'<section class="inspection"><h2 id="{anchor}">Ofsted inspection</h2>'
    insp = ctx.store.inspections
    if insp is None or not len(insp) or "area_code" not in insp.columns:
        return Html(head + "<p>The data holds no Ofsted inspection outcomes"
                    + (" (the demo data has none)" if ctx.store.is_demo else "")
                    + ". Add the Ofsted outcomes file to show the latest judgements.</p></section>")
    insp = insp.copy()
    insp["area_code"] = insp["area_code"].astype(str)
    codes = [ctx.code] + [str(c) for c in ctx.store.neighbours.loc[
        ctx.store.neighbours["area_code"].astype(str) == ctx.code, "neighbour_code"]]
    if isinstance(ctx._comparator, list):
        codes = [ctx.code] + list(ctx._comparator)
    cols = [(k, label) for k, label in _INSPECTION_COLUMNS if k in insp.columns]
    rows = []
    own = insp[insp["area_code"] == ctx.code]
    for code in dict.fromkeys(codes):
        r = insp[insp["area_code"] == code]
        if not len(r):
            continue
        r = r.iloc[-1]
        name = str(ctx.store.area(code)["area_name"]) if code in set(ctx.store.areas["area_code"]) else code
        # an empty judgement: the area was not judged separately (older framework)
        cells = "".join(f"<td>{_e(_cell(r[k]) or 'not judged separately')}</td>" for k, _ in cols)
        cls = ' class="subject"' if code == ctx.code else ""
        rows.append(f'<tr{cls}><th scope="row">{_e(name)}</th>{cells}</tr>')
    if own.empty:
        lead = f"<p>The data holds no Ofsted judgement for {_e(ctx.name)}.</p>"
    else:
        r = own.iloc[-1]
        lead = (f"<p>Ofsted's latest inspection of {_e(ctx.name)}'s children's services"
                + (f" ({_e(_cell(r['inspection_date']))})" if "inspection_date" in own.columns else "")
                + (f" judged overall effectiveness <strong>{_e(_cell(r['overall_effectiveness']))}</strong>."
                   if "overall_effectiveness" in own.columns else ".") + "</p>")
    thead = '<th scope="col">Council</th>' + "".join(f'<th scope="col">{_e(label)}</th>' for _, label in cols)
    table = (f'<table class="inspections"><caption>Latest Ofsted judgements (ILACS) for {_e(ctx.name)} and '
             f"its comparators</caption><thead><tr>{thead}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    return Html(head + lead + table + "<p class=\"chart-caption\">Source: Ofsted, local authority children's "
                "services inspection outcomes.</p></section>")


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (pd.Timestamp, _dt.date)):
        return v.strftime("%-d %B %Y")
    text = str(v)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return _dt.date.fromisoformat(text).strftime("%-d %B %Y")
    return text


# --------------------------------------------------------------------------- the summary

class Summary(_Context):
    """The summary page: key messages, at a glance, and every indicator."""

    section_id = "summary"

    def __init__(self, params: Parameters):
        self.title = "Summary"
        super().__init__(params)

    def introduction(self) -> Html:
        """Who the pack is for, what it compares and against whom.

        >>> summary.introduction()     # doctest: +SKIP
        """
        parts = [self._banner(),
                 f"<p>This pack compares {_e(self.name)}'s children's social care with similar councils, its "
                 f"region and England, using the latest published official statistics"
                 f"{' up to ' + str(self.params.period) if self.params.period else ''}. Each measure is "
                 f"counted at its own date (shown in every table).</p>",
                 f"<p>{_e(self._comparator_sentence())}</p>"]
        note = self._reorganisation_note()
        if note:
            parts.append(f'<p class="note"><strong>Local government changes:</strong> {_e(note)}</p>')
        return Html(f'<section class="introduction" id="summary-introduction">{"".join(parts)}</section>')

    def key_messages(self) -> Html:
        """The findings across every section that most deserve members' attention."""
        msgs = words.key_messages(self.comparisons())
        body = ("<ul>" + "".join(f"<li>{_e(m)}</li>" for m in msgs) + "</ul>") if msgs else \
            "<p>No figures to summarise.</p>"
        return Html(f'<section class="key-messages"><h2 id="summary-key-messages">Key messages</h2>{body}</section>')

    def at_a_glance(self) -> Html:
        """The headline measures: each figure with its rating in words, and
        five years against the neighbours and England."""
        return at_a_glance_block(self, "summary-at-a-glance")

    def indicator_table(self) -> Html:
        """Every indicator: value, comparator average, England, rank, band,
        trend and rating, each in words, with its period."""
        from .data.groups import region_name
        region = region_name(self.store, self.code) or "the region"
        cols = ["Measure", "Period", self.name, f"{self.neighbour_word}", "England",
                f"Rank among {self.comparator_label}", f"Rank in {region}", "Rank in England", "Trend", "Rating"]
        head = "".join(f'<th scope="col">{_e(c)}</th>' for c in cols)
        bodies = []
        joint_notes: set[str] = set()
        by_section: dict[str, list] = {}
        for c in self.comparisons():
            by_section.setdefault(c.indicator.section, []).append(c)
        for sec, comps in by_section.items():
            title = self.spec.section_titles.get(sec) or self.catalogue.section_titles.get(sec, sec)
            rows = [f'<tr class="section-row"><th scope="colgroup" colspan="{len(cols)}" style="text-align:left">'
                    f'{_e(title)}</th></tr>']
            for c in comps:
                ind = c.indicator
                if c.has_value:
                    value = _table_value(ind, c.value)
                    if c.joint_with:
                        value += " (joint)"
                        joint_notes.add(f"(joint): the figure is the joint workforce return of {self.name} and "
                                        f"{c.joint_with} ({c.data_area_code}), not {self.name}'s alone "
                                        f"(joint return with {c.joint_with}).")
                else:
                    value = c.status_word
                cells = [f'<th scope="row" style="text-align:left"><a href="#{_e(sec)}-{_e(ind.id)}">'
                         f"{_e(self.heading_for(ind.id))}</a></th>",
                         f'<td style="white-space:nowrap">{_e(_short_period(ind, c.period))}</td>',
                         f'<td class="num">{_e(value)}</td>',
                         f'<td class="num">{_e(_table_value(ind, c.neighbour_mean))}</td>',
                         f'<td class="num">{_e(_table_value(ind, c.england))}</td>',
                         f"<td>{_e(_rank_cell(c))}</td>",
                         f"<td>{_e(_rank_cell(c, 'region'))}</td>",
                         f"<td>{_e(_england_cell(c))}</td>",
                         f"<td>{_e(words.trend_cell(c))}</td>",
                         f"<td>{_rag_html(c.rag, context=c.is_context, comparable=c.comparable)}</td>"]
                rows.append("<tr>" + "".join(cells) + "</tr>")
            bodies.append("<tbody>" + "".join(rows) + "</tbody>")
        note = ("<p class=\"note\">Rank: 1st is best; joint where councils have the same figure; in England, "
                "with the quarter of councils it falls in. Context measures (neither higher nor lower is better) "
                "are not ranked or rated, and nor are figures with too few children to compare. Trend: the "
                "direction over the latest three (or five) years, called rising or falling only when the change "
                "is beyond chance. Rating: green is better than similar "
                "councils beyond chance, amber is similar, red is worse beyond chance (or a target "
                "missed).</p>")
        note += "".join(f'<p class="note">{_e(n)}</p>' for n in sorted(joint_notes))
        return Html(f'<section class="indicator-table"><h2 id="summary-indicators">Every measure</h2>'
                    f'<table class="summary-table"><caption>{_e(self.name)} against {_e(self.comparator_label)} '
                    f"and England, every measure, latest published period</caption><thead><tr>{head}</tr></thead>"
                    f"{''.join(bodies)}</table>{note}</section>")

    def questions(self) -> Html:
        """"Questions members may wish to ask", from every section's findings."""
        return _questions_html(words.questions(self.comparisons(), limit=8, catalogue=self.catalogue),
                               "summary-questions")


def at_a_glance_block(ctx: _Context, anchor: str) -> Html:
    """The at-a-glance page for a council: the headline measures it has (the
    pack specification's ``headline``, else :data:`HEADLINE_INDICATORS`)."""
    from .charts import at_a_glance
    rows = []
    for iid in [i for i in (ctx.spec.headline or HEADLINE_INDICATORS) if i in ctx.indicators]:
        c = ctx.comparison(iid)
        label = f"{ctx.heading_for(iid)} (joint return)" if c.joint_with else ctx.heading_for(iid)
        for r in c.series[c.series["period"] <= c.period].tail(5).itertuples():
            rows.append({"indicator_id": iid, "label": label, "period": int(r.period), "council": r.council,
                         "neighbour_mean": r.neighbour_mean, "england": r.england, "status": words.status_of(c)})
    head = f'<section class="at-a-glance"><h2 id="{_e(anchor)}">At a glance</h2>'
    if not rows:
        return Html(head + "<p>No headline figures in the data.</p></section>")
    frame = pd.DataFrame(rows)

    def draw():
        chart = at_a_glance(frame, council=ctx.name, catalogue=ctx.catalogue, theme=ctx.theme)
        try:
            return chart.to_html()
        finally:
            chart.close()
    # the summary and the members' edition show the same page: drawn once for the same figures
    key = (("at-a-glance", ctx.store.key, ctx.name, hash_frame(frame), ctx.theme.key) if ctx.store.key else None)
    return Html(head + _remembered(key, draw) + "</section>")


def hash_frame(frame: pd.DataFrame) -> str:
    """A digest of a table's columns and values."""
    import hashlib
    h = hashlib.sha256(repr(list(frame.columns)).encode())
    h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return h.hexdigest()


def _rank_cell(c, where: str = "group") -> str:
    if c.has_value and not c.comparable:
        return "too few to compare"
    if where == "region":
        return format_rank(c.region_rank, c.region_rank_n, context=c.is_context, tied=c.region_rank_tied, short=True)
    return format_rank(c.rank, c.rank_n, context=c.is_context, tied=c.rank_tied, short=True)


def _england_cell(c) -> str:
    """'89th of 148, second-worst quarter'; why not, for a figure not ranked."""
    if c.has_value and not c.comparable:
        return "too few to compare"
    if c.is_context:
        return "not ranked (context)"
    rank = format_rank(c.position, c.position_n, context=False, tied=c.position_tied, short=True)
    quarter = band_quarter(c.band) if c.band else ""
    return f"{rank}, {quarter}" if quarter and rank != "not ranked" else rank


# --------------------------------------------------------------------------- entry points

def open_section(section: str, *, council, period=None, comparator="statistical neighbours",
                 committee=DEFAULT_COMMITTEE, meeting_date="", data="demo", comparators_file="",
                 neighbours="", pack_spec="", commentary="") -> Section:
    """Check the parameters and open one section for one council.

    ``section`` is a section id from ``data/indicators.yml`` (workforce,
    front_door, child_protection, looked_after, care_leavers, spending).
    The parameters are those of :func:`check_parameters`. Raises
    ParameterError or UnknownCouncilError with what to change, and
    ConfigError naming the file and key for a bad pack specification or
    commentary.

    >>> section = open_section("workforce", council="Kestrel Vale", data="demo")   # doctest: +SKIP
    >>> section.indicators[:2]                                                   # doctest: +SKIP
    ['wf_caseload', 'wf_agency']
    """
    params = check_parameters(council, period, comparator, committee, meeting_date, data, comparators_file,
                              neighbours, pack_spec, commentary)
    return Section(section, params)


def open_summary(*, council, period=None, comparator="statistical neighbours", committee=DEFAULT_COMMITTEE,
                 meeting_date="", data="demo", comparators_file="", neighbours="", pack_spec="",
                 commentary="") -> Summary:
    """Check the parameters and open the summary for one council (the
    parameters of :func:`check_parameters`).

    >>> summary = open_summary(council="Kestrel Vale", data="demo")   # doctest: +SKIP
    >>> summary.key_messages()                                        # doctest: +SKIP
    """
    params = check_parameters(council, period, comparator, committee, meeting_date, data, comparators_file,
                              neighbours, pack_spec, commentary)
    return Summary(params)
