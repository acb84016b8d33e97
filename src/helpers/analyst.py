"""What an analyst adds to a section of the pack without writing helpers
code: the pack specification (which measures, titles, targets), officer
commentary, the chart theme, and the section's figures as a tidy table.

:class:`AnalystParts` is mixed into :class:`helpers.report.Section` and
:class:`helpers.report.Summary`; a notebook uses it as ``section.data``,
``section.restyle(...)``, ``section.commentary()`` and ``section.theme``.
"""

from __future__ import annotations

import datetime as _dt
import html
import sys
from pathlib import Path

import pandas as pd

from . import figures
from .commentary import council_folder, read_commentary, render_markdown
from .spec import PackSpec, find_spec, load_spec
from .theme import Theme, load_theme

__all__ = ["AnalystParts", "DATA_COLUMNS", "resolve_spec", "resolve_commentary"]

#: The columns of ``section.data``, in order, with what each holds.
DATA_COLUMNS = {
    "indicator": "the measure's id in the catalogue (data/indicators.yml), e.g. wf_caseload",
    "label": "the measure's name as the pack prints it",
    "period": "the year the period ends (2025 for 31 March 2025, 30 September 2025 or 2024-25)",
    "period_label": "the period in words: '31 March 2025', '2024-25'",
    "role": "'council' (the pack's council), 'comparator' (a council it is compared with), 'region' or 'england'",
    "area_code": "DfE LA number, or the ONS code of the region or England",
    "area_name": "the council, region or country",
    "value": "the figure in the measure's unit (NaN when not published: see status)",
    "numerator": "the count the figure is made from, where published",
    "denominator": "what the count is out of, where published",
    "status": "'ok', or the publisher's code for a figure withheld or not available (see the notes on the data)",
    "unit": "percent, per_10k, ratio, gbp, days or score",
    "polarity": "higher_is_better, lower_is_better or context",
}


def resolve_spec(value, catalogue) -> PackSpec:
    """The pack specification a notebook's ``pack_spec`` parameter names: a
    path, "" for ``pack.yml`` in the notebook's folder if there is one, or
    None for none."""
    if value is None:
        return PackSpec.empty()
    return load_spec(value or find_spec(Path.cwd()), catalogue)


def resolve_commentary(value, spec: PackSpec) -> Path | None:
    """The commentary folder a notebook's ``commentary`` parameter names: a
    folder, "" for the specification's (or ``commentary/`` beside the
    notebook), or None for none."""
    if value is None:
        return None
    if value:
        return Path(value)
    if spec.commentary is not None:
        return spec.commentary
    here = Path.cwd() / "commentary"
    return here if here.is_dir() else None


class AnalystParts:
    """Specification, theme, commentary and tidy data of one section."""

    spec: PackSpec = PackSpec.empty()
    theme: Theme

    def _setup_analyst(self, pack_spec, commentary) -> None:
        """Read the specification, theme and commentary (called as the section opens)."""
        from .pack import council_slug
        self.spec = resolve_spec(pack_spec, self.catalogue)
        self.theme = load_theme(self.spec.style)
        self._notes = read_commentary(council_folder(resolve_commentary(commentary, self.spec),
                                                     council_slug(self.name)))
        if figures.enable(self.theme.figure["image"]):
            self.theme.apply()  # an analyst's own seaborn charts match the pack's

    # -- the analyst's tools ------------------------------------------------------
    def restyle(self, **sections) -> None:
        """Change this section's chart theme (``section.theme``). Keys are
        those of ``chart_style.yml`` (figure, font, colours, lines); the
        charts drawn after the call, and ad hoc seaborn charts, use it.
        Other sections and councils keep theirs. To restyle the whole pack,
        name a style file in the pack specification instead.

        >>> section.restyle(colours={"council": "#8B0000"})   # doctest: +SKIP
        >>> section.theme.colour("council")                    # doctest: +SKIP
        '#8B0000'
        """
        self.theme = self.theme.replace(**sections)
        if figures.enabled():
            self.theme.apply()

    @property
    def data(self) -> pd.DataFrame:
        """The figures behind this section as one tidy table: a row per
        measure, period and area (the council, its comparators, its region
        and England), with the columns of :data:`DATA_COLUMNS`. A copy: change
        it as you like.

        >>> section.data.query("role == 'council'").pivot(index="period", columns="indicator",
        ...                                               values="value")      # doctest: +SKIP
        """
        f = self.store.indicators
        codes = {self.code: "council"}
        for code in self._comparator_codes():
            codes.setdefault(code, "comparator")
        region = str(self.area.get("region_code") or "")
        if region:
            codes.setdefault(region, "region")
        codes.setdefault("E92000001", "england")
        rows = f[f["indicator"].isin(self.indicators) & f["area_code"].isin(list(codes))].copy()
        rows["role"] = rows["area_code"].map(codes)
        inds = {i: self.catalogue[i] for i in self.indicators}
        rows["label"] = rows["indicator"].map(lambda i: self.heading_for(i))
        rows["period_label"] = [inds[i].period_label(p) for i, p in zip(rows["indicator"], rows["period"])]
        rows["unit"] = rows["indicator"].map(lambda i: inds[i].unit)
        rows["polarity"] = rows["indicator"].map(lambda i: inds[i].polarity)
        order = {iid: n for n, iid in enumerate(self.indicators)}
        rows = rows.sort_values(["indicator", "period", "role", "area_name"],
                                key=lambda s: s.map(order) if s.name == "indicator" else s)
        return rows[list(DATA_COLUMNS)].reset_index(drop=True)

    def heading_for(self, iid: str) -> str:
        """A measure's heading: the specification's title, else the catalogue's label."""
        return self.spec.titles.get(iid) or self.catalogue[iid].label

    def chart_title(self, iid: str, kind: str, generated: str) -> str:
        """The specification's title for one of a measure's charts, else the generated one."""
        return self.spec.chart_titles.get(iid, {}).get(kind) or generated

    # -- officer commentary ---------------------------------------------------------
    def commentary(self):
        """The officer's commentary on this section, under their name and
        date, apart from the generated text; nothing when there is none."""
        from .report import Html
        note = self._notes.get(self.section_id)
        if note is None:
            return Html("")
        return Html(self._commentary_html(note, self.indicators, f"{self.section_id}-commentary", "h2"))

    def _indicator_commentary(self, iid: str) -> str:
        note = self._notes.get(iid)
        return self._commentary_html(note, [iid], f"{self.section_id}-{iid}-commentary", "h3") if note else ""

    def _commentary_html(self, note, indicator_ids, anchor: str, level: str) -> str:
        e = html.escape
        shown = [(self.period_for(i)[0], self.catalogue[i]) for i in indicator_ids]
        shown = [(p, ind) for p, ind in shown if p is not None]
        stale = ""
        if shown:
            period, ind = max(shown, key=lambda x: x[0])
            if note.older_than(period, _period_end(ind, period)):
                about = f"figures for {note.period}" if note.period else f"written {_day(note.date)}"
                stale = (f'<p class="commentary-stale" role="note"><strong>Written before these figures:</strong> '
                         f"this commentary ({e(about)}) is older than the figures shown, for "
                         f"{e(ind.period_label(period))}. Read it as comment on the earlier figures.</p>")
                print(f"{note.path}: officer commentary dated {note.date.isoformat()} is older than the "
                      f"figures it sits beside ({ind.period_label(period)}); the pack flags it",
                      file=sys.stderr)
        return (f'<aside class="commentary" aria-labelledby="{e(anchor)}"><{level} id="{e(anchor)}">Officer '
                f"commentary</{level}>"
                f'<p class="commentary-by">{e(note.officer)} &middot; {e(_day(note.date))}</p>{stale}'
                f'<div class="commentary-text">{render_markdown(note.text)}</div></aside>')


def _day(date: _dt.date) -> str:
    return f"{date.day} {date.strftime('%B %Y')}"


def _period_end(ind, period: int) -> _dt.date | None:
    """The last day of a measure's period: 31 March, 30 September, or the
    end of a financial or school year."""
    basis = ind.period_basis
    if basis == "30 September":
        return _dt.date(int(period), 9, 30)
    if basis == "academic year":
        return _dt.date(int(period), 8, 31)
    return _dt.date(int(period), 3, 31)
