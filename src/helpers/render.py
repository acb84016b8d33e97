"""Turn executed section notebooks into one self-contained HTML pack and an
A4 PDF.

nbconvert renders each executed notebook's outputs with the project's own
template (``templates/scrutiny``: the JupyterLab base, no code, no prompts,
no stderr); :func:`render_pack_html` places those section bodies between a
cover, a contents list, notes on the data and the sources and definitions
appendix (``templates/pack.html.j2``, Jinja with autoescape, so every value
from a data file or a parameter is escaped); :func:`write_pdf` lays the same
HTML out on A4 (``templates/pack.css``: running header, page numbers,
contents with page numbers) with headless Chromium (:mod:`helpers.pdf`), or
with WeasyPrint where Chromium is not installed.

The exporter, the Jinja environment, the browser and WeasyPrint's fonts are
built once per process and reused for every section and every council.
"""

from __future__ import annotations

import datetime as _dt
import html as _html
import math
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import pdf as _chromium
from .catalogue import default_sections
from .errors import ParameterError

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

#: What a status code in the store means, for the data notes.
CODE_MEANINGS = {
    "c": "Suppressed by the publisher to protect confidentiality (small numbers).",
    "x": "Not available: not collected or not published for this area and year.",
    "z": "Not applicable.",
    "u": "Low reliability: published but the publisher warns against relying on it.",
    "low": "Rounds to zero.",
    "k": "Rounds to zero but is not zero.",
    "not_derivable": "A rate the pack derives could not be calculated because one of its inputs is missing or suppressed.",
    "missing": "No figure in the data for this area and year.",
    "implausible": "The release's figure is outside the range the indicator can take (a percentage over 100, a "
                   "negative count or rate); it is left out rather than compared. The data notes name the file, row "
                   "and column.",
    "measure_missing": "The release read lacks the column this figure comes from (renamed or dropped by the "
                       "publisher); the figure is missing from the release as read.",
    "not_in_release": "The council is in earlier years of this release but not in its latest year.",
}
SMALL_NUMBER = 10
_H2 = re.compile(r"<h2\b[^>]*\bid=\"([^\"]+)\"[^>]*>(.*?)</h2>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_SCRIPT = re.compile(r"<script\b.*?</script\s*>|<script\b[^>]*/>", re.S | re.I)
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.I)
_EXTERNAL_SRC = re.compile(r"""\b(src|srcset|data|poster)\s*=\s*(["'])\s*(?:https?:)?//[^"']*\2""", re.I)
#: Elements that embed another document or code, with what they hold.
_EMBED = re.compile(r"<(iframe|object|embed|frame|frameset|applet|base)\b.*?(?:</\1\s*>|/?>)", re.S | re.I)
_META_REFRESH = re.compile(r"""<meta\b[^>]*http-equiv\s*=\s*["']?\s*refresh[^>]*>""", re.I)
_TAG_OPEN = re.compile(r"""<[A-Za-z](?:[^<>"']|"[^"]*"|'[^']*')*>""")
_EMBED_CLOSE = re.compile(r"</(?:iframe|object|embed|frame|frameset|applet)\s*>", re.I)
#: on* event attributes and srcdoc, quoted or not
_EVENT_ATTR = re.compile(r"""\s(?:on[a-z]+|srcdoc|formaction)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.I)
#: a URL attribute whose value runs code or loads a document
_SCHEMES = r"(?:javascript|vbscript|data\s*:\s*text/html)"
_SCRIPT_URL = re.compile(r"""\b(href|src|action|xlink:href|data|background|poster|srcset)\s*=\s*"""
                         rf"""(?:"\s*{_SCHEMES}[^"]*"|'\s*{_SCHEMES}[^']*'|{_SCHEMES}[^\s>]*)""", re.I)


# ----------------------------------------------------------------- sections

@dataclass
class RenderedSection:
    id: str
    title: str
    order: int
    body: str
    headings: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"section-{self.id}"


_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt\s*=)", re.I)
NO_ALT_TEXT = "No description has been provided for this image"


@lru_cache(maxsize=1)
def section_exporter():
    """nbconvert's HTMLExporter with the project's template, built once per
    process (building it reads and compiles the template tree).

    HTMLExporter ends by parsing its whole output with BeautifulSoup, only
    to give images without alt text a placeholder one and to make input and
    output areas focusable; that pass took two thirds of a section's render
    time. Packs have no input areas, so the exporter here skips it and
    :func:`render_section` adds the same placeholder alt text (to an image
    an analyst displays without one) with a regular expression."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class SectionExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            resources = self._init_resources(resources)
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    from .build.preprocess import PREPROCESSORS
    exporter = SectionExporter(
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        template_name="scrutiny",
        template_file="section.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )
    for preprocessor in PREPROCESSORS:
        exporter.register_preprocessor(preprocessor(parent=exporter), enabled=True)
    return exporter


def section_meta(nb, fallback_id: str) -> tuple[str, str, int]:
    meta = dict(nb.metadata.get("scrutiny", {}) or {})
    sid = str(meta.get("section") or fallback_id)
    title = str(meta.get("title") or _first_heading(nb) or default_sections().get(sid, sid.replace("_", " ").capitalize()))
    order = int(meta.get("order", 0) or 0)
    return sid, title, order


def _first_heading(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.match(r"\s*#\s+(.+)", cell.source)
            return m.group(1).strip() if m else None
    return None


def render_section(nb, fallback_id: str = "section", notebook: str = "", folder: str = "") -> RenderedSection:
    """The outputs of one executed notebook as an HTML fragment, with its
    headings (``<h2 id=...>``) for the contents list. The exporter's
    preprocessors (:mod:`helpers.build.preprocess`) choose what a reader
    sees; what they leave out (warnings, stray values) is in ``warnings``,
    and an output that cannot reach the pack raises
    :class:`~helpers.build.preprocess.CellError` naming ``notebook`` and the
    cell."""
    from .build.preprocess import new_context
    sid, title, order = section_meta(nb, fallback_id)
    ctx = new_context(sid, notebook or f"{sid} notebook", folder)
    body, resources = section_exporter().from_notebook_node(nb, resources={"scrutiny": ctx})
    ctx = resources["scrutiny"]  # the preprocessors work on a copy of the resources
    warnings = list(ctx["log"])
    body, described = _IMG_WITHOUT_ALT.subn(f'<img alt="{NO_ALT_TEXT}"', body)
    if described:
        warnings.append(f"{ctx['notebook']}: {described} image(s) in HTML output without alt text")
    body, removed = _make_self_contained(body)
    if removed:
        warnings.append(f"{sid}: removed {removed} script or external reference(s) from the notebook's output")
    headings = [{"id": hid, "text": _html.unescape(_TAG.sub("", text)).strip()}
                for hid, text in _H2.findall(body)]
    return RenderedSection(sid, title, order, body.strip(), headings, warnings)


def _make_self_contained(body: str) -> tuple[str, int]:
    """Strip scripts, <link> tags, embedded documents (iframe, object,
    embed, base, meta refresh), event attributes (on*), srcdoc and
    javascript:/vbscript:/data:text/html URLs, and external src references:
    a pack opens offline and runs no code."""
    n = 0
    for pattern, repl in ((_SCRIPT, ""), (_EMBED, ""), (_EMBED_CLOSE, ""), (_META_REFRESH, ""), (_LINK_TAG, ""),
                          (_EXTERNAL_SRC, r'\1=""')):
        body, k = pattern.subn(repl, body)
        n += k
    count = [0]

    def clean_tag(match: re.Match) -> str:
        tag, k1 = _EVENT_ATTR.subn("", match.group(0))
        tag, k2 = _SCRIPT_URL.subn(r'\1=""', tag)
        count[0] += k1 + k2
        return tag

    body = _TAG_OPEN.sub(clean_tag, body)
    return body, n + count[0]


# --------------------------------------------------------------------- pack

@lru_cache(maxsize=1)
def _jinja():
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)),
                      autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
                      trim_blocks=False, lstrip_blocks=False)
    return env


@lru_cache(maxsize=1)
def pack_css() -> str:
    return (TEMPLATES_DIR / "pack.css").read_text(encoding="utf-8")


def render_pack_html(context: dict) -> str:
    """The whole pack as one HTML string. ``context`` is built by
    :func:`pack_context`; section bodies are inserted as markup, everything
    else is escaped."""
    from markupsafe import Markup
    ctx = dict(context)
    ctx["sections"] = [dict(anchor=s.anchor, id=s.id, title=s.title, headings=s.headings, body=Markup(s.body))
                       for s in context["sections"]]
    ctx["css"] = Markup(pack_css().replace("</", "<\\/"))
    return unlink_dangling_anchors(_jinja().get_template("pack.html.j2").render(**ctx))


def render_members_html(context: dict, members: RenderedSection) -> str:
    """The members' edition as one HTML string: the cover from ``context``
    (as :func:`pack_context` builds it, with ``inspection``, ``section_links``
    and ``full_edition``) and the members' notebook's rendered body."""
    from markupsafe import Markup
    ctx = dict(context)
    ctx["body"] = Markup(members.body)
    ctx["css"] = Markup(pack_css().replace("</", "<\\/"))
    ctx.setdefault("section_links", [{"anchor": h["id"], "title": h["text"]} for h in members.headings
                                     if h["id"].startswith("members-") and h["id"].endswith("-title")])
    ctx.setdefault("inspection", {})
    ctx.setdefault("full_edition", "pack.html")
    return unlink_dangling_anchors(_jinja().get_template("members.html.j2").render(**ctx))


_ID_ATTR = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""", re.I)
_NAME_ATTR = re.compile(r"""<a\b[^>]*\bname\s*=\s*["']([^"']+)["']""", re.I)
_LOCAL_LINK = re.compile(r"""<a\b[^>]*\bhref\s*=\s*["']#([^"']*)["'][^>]*>(.*?)</a\s*>""", re.I | re.S)


def unlink_dangling_anchors(html: str) -> str:
    """Keep the text but drop the link of every ``<a href="#x">`` whose target
    is not in the pack. A section cannot know which other sections a pack
    holds (the summary links each measure to its section), so a pack built
    with some sections only would otherwise carry links that go nowhere."""
    ids = set(_ID_ATTR.findall(html)) | set(_NAME_ATTR.findall(html))
    return _LOCAL_LINK.sub(lambda m: m.group(0) if _html.unescape(m.group(1)) in ids or m.group(1) in ids
                           else m.group(2), html)


def pack_context(store, *, area_code: str, period: int | None, sections: list[RenderedSection],
                 comparator: str, committee: str = "", meeting_date: str = "", comparator_codes=None,
                 built: _dt.datetime | None = None, version: str = "", model: str = "", keep=None) -> dict:
    """Everything the pack template needs apart from the section bodies:
    cover facts, data notes and the appendix, from the store and catalogue.
    ``keep(indicator_id, section)`` is False for a measure the pack
    specification leaves out (it is left out of the notes and sources too)."""
    area = store.area(area_code)
    catalogue = store.catalogue
    built = built or _dt.datetime.now()
    shown_sections = {s.id for s in sections}
    heading_ids = {h["id"] for s in sections for h in s.headings}
    indicator_ids = [i.id for i in catalogue
                     if i.section in shown_sections or any(h.endswith("-" + i.id) or h == i.id for h in heading_ids)]
    if "summary" in shown_sections and not indicator_ids:
        indicator_ids = catalogue.ids()
    if keep is not None:
        indicator_ids = [i for i in indicator_ids if keep(i, catalogue[i].section)]
    if comparator_codes is None:
        comparator_codes = comparator_members(store, area_code, comparator, model)
    council = {"name": str(area["area_name"]), "code": str(area_code), "ons_code": str(area.get("ons_code") or ""),
               "region": str(area.get("region_name") or ""), "region_code": str(area.get("region_code") or "")}
    running = " · ".join(x for x in (council["name"], committee, _date_text(meeting_date)) if x)
    return {
        "council": council,
        "committee": committee,
        "meeting_date_text": _date_text(meeting_date),
        "running_title": running,
        "comparator_text": (_neighbours_text(model) if comparator in (None, "", "statistical neighbours")
                            else "the other councils in its region" if comparator == "region"
                            else f"the comparator group '{comparator}'"),
        "data_as_at": data_as_at(store, indicator_ids, period),
        "is_demo": bool(store.is_demo),
        "store_key": store.key,
        "built_text": built.strftime("%-d %B %Y %H:%M"),
        "version": version,
        "sections": sections,
        "notes": data_notes(store, area_code, comparator_codes, council["region_code"], indicator_ids, period),
        "appendix": appendix(store, indicator_ids),
    }


def local_pack_context(council_name: str, *, sections: list[RenderedSection], committee: str = "",
                       meeting_date: str = "", built: _dt.datetime | None = None, version: str = "",
                       is_demo: bool = False, comparator: str = "", comparator_label: str = "") -> dict:
    """The template context for a council outside the official releases: its
    own figures only, so no official data notes or sources appendix.
    ``comparator_label`` is the comparator group's name as its file labels it."""
    built = built or _dt.datetime.now()
    running = " · ".join(x for x in (council_name, committee, _date_text(meeting_date)) if x)
    return {
        "council": {"name": council_name, "code": "", "ons_code": "", "region": "", "region_code": ""},
        "committee": committee, "meeting_date_text": _date_text(meeting_date), "running_title": running,
        "comparator_text": (f"its comparator group \u201c{comparator_label or comparator}\u201d, on the members' own "
                            f"figures" if comparator not in (None, "", "statistical neighbours", "region")
                            else "its own figures over time and its own targets (no comparator group was given)"),
        "data_as_at": ["the council's own monthly figures (see the local performance section)"],
        "is_demo": bool(is_demo), "store_key": "", "built_text": built.strftime("%-d %B %Y %H:%M"),
        "version": version, "sections": sections,
        "notes": {"codes": [], "reorganisations": [], "joint": [], "small": [], "small_threshold": SMALL_NUMBER,
                  "caveats": [{"label": "Official data", "text": f"{council_name} is not in the official English "
                               "releases, so this pack has no statistical neighbours, regional or England "
                               "comparisons or ranks; it shows the council's own figures."}]},
        "appendix": [],
    }


def _date_text(value: str) -> str:
    if not value:
        return ""
    try:
        d = _dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{d.day} {d.strftime('%B %Y')}"


def _neighbours_text(model: str) -> str:
    from .neighbours import model_label
    return f"its statistical neighbours ({model_label(model)})" if model else "its statistical neighbours"


def comparator_members(store, area_code: str, comparator: str | None, model: str = "") -> list[str]:
    if comparator == "region":
        area = store.area(area_code)
        c = store.councils()
        return [x for x in c.loc[c["region_code"] == area["region_code"], "area_code"] if x != area_code]
    nb = store.neighbours
    if nb is None or nb.empty:
        return []
    from .neighbours import resolve_model
    rows = nb[(nb["area_code"] == area_code) & (nb["model"] == (model or resolve_model(nb, "")))]
    return list(rows.sort_values("rank")["neighbour_code"])


def _latest_ok(frame, period: int | None):
    ok = frame[frame["status"] == "ok"]
    if period is not None:
        ok = ok[ok["period"] <= period]
    return int(ok["period"].max()) if len(ok) else None


def data_as_at(store, indicator_ids: list[str], period: int | None) -> list[str]:
    """'30 September 2025: social work workforce', '2024/25 school year:
    front door and children in need' and so on: the latest period of each
    kind shown in the pack."""
    ind = store.indicators
    ind = ind[ind["indicator"].isin(indicator_ids) & (ind["level"] == "national")]
    by_label: dict[str, list[str]] = {}
    for i in store.catalogue:
        if i.id not in indicator_ids:
            continue
        p = _latest_ok(ind[ind["indicator"] == i.id], period)
        if p is None:
            continue
        section = default_sections().get(i.section, i.section)
        titles = by_label.setdefault(i.period_heading(p), [])
        if section not in titles:
            titles.append(section)
    return [f"{label}: {', '.join(t.lower() if k else t for k, t in enumerate(titles))}"
            for label, titles in by_label.items()]


def data_notes(store, area_code: str, comparator_codes, region_code: str, indicator_ids: list[str],
               period: int | None, years: int = 5) -> dict:
    """Codes in place of figures, reorganisations, joint returns, small
    numbers and catalogue caveats for the figures a pack shows."""
    from .vocab import STATUS_WORDS
    codes_in_pack = [area_code, *comparator_codes, region_code, "E92000001"]
    areas = store.areas
    joint_rows = areas[areas["is_joint"].astype(bool)]
    joint_codes = [r.area_code for r in joint_rows.itertuples()
                   if area_code in str(r.joint_members).split(",")]
    ind = store.indicators
    last = period if period is not None else int(ind["period"].max())
    shown = ind[ind["indicator"].isin(indicator_ids) & ind["area_code"].isin(codes_in_pack + joint_codes)
                & (ind["period"] > last - years) & (ind["period"] <= last)]
    labels = {i.id: i.label for i in store.catalogue}
    codes = []
    coded = shown[shown["status"] != "ok"]
    for code, grp in coded.groupby("status", sort=True):
        examples = [f"{r.area_name}, {labels.get(r.indicator, r.indicator)}, {r.period}"
                    for r in grp.sort_values(["period", "area_name"], ascending=[False, True]).head(3).itertuples()]
        codes.append({"code": code, "word": STATUS_WORDS.get(code, "not available"),
                      "meaning": CODE_MEANINGS.get(code, "A code the publisher uses in place of a figure."),
                      "count": len(grp), "examples": "; ".join(examples) + ("; …" if len(grp) > 3 else "")})
    reorganisations = []
    seen = set()
    for code in [area_code, *comparator_codes]:
        rows = areas[areas["area_code"] == code]
        if rows.empty:
            continue
        note = str(rows.iloc[0].get("note") or "").strip()
        if note and note not in seen and not bool(rows.iloc[0]["is_joint"]):
            seen.add(note)
            reorganisations.append({"name": str(rows.iloc[0]["area_name"]), "note": note})
    joint = [str(r.note) for r in joint_rows.itertuples() if r.area_code in joint_codes and str(r.note).strip()]
    small = _too_few(store, area_code, indicator_ids, period)
    caveats = [{"label": i.label, "text": str(i.caveat).strip()} for i in store.catalogue
               if i.id in indicator_ids and i.caveat]
    caveats += annotation_notes(store, area_code, codes_in_pack, indicator_ids, period)
    return {"codes": codes, "reorganisations": reorganisations, "joint": joint, "small": small,
            "small_threshold": SMALL_NUMBER, "caveats": caveats}


def _too_few(store, area_code: str, indicator_ids: list[str], period: int | None) -> list[str]:
    """The council's figures with too few children to compare, by the
    engine's rule (:func:`helpers.stats.counts.comparability`; read here from
    the store's rows, without the statistics libraries), with their counts."""
    from .stats.counts import comparability, counts_published
    from .words.sentences import too_few_text
    table = store.indicators
    la = table[(table["level"] == "la") & table["indicator"].isin(indicator_ids)]
    joint = [str(c) for c in la["area_code"].unique() if area_code in str(c).split("/")]
    out = []
    for ind in store.catalogue:
        rows = la[la["indicator"] == ind.id]
        ok = rows[rows["status"] == "ok"]
        if period is not None:
            ok = ok[ok["period"] <= period]
        if ok.empty:
            continue
        p = int(ok["period"].max())   # the period the pack shows the measure at
        mine = ok[(ok["period"] == p) & ok["area_code"].isin([area_code, *joint])]
        if mine.empty:
            continue
        row = mine.sort_values("area_code").iloc[0]   # the council's own row before a joint return
        same = rows[rows["period"] == p]
        fine, why = comparability(ind, [row["value"]], [row["numerator"]], [row["denominator"]],
                                  counts_published(ind, same["numerator"], same["denominator"]))
        if not fine[0]:
            out.append(f"{ind.label} ({ind.period_label(p)}): {ind.format_value(row['value'])}. "
                       f"{too_few_text(ind, why[0], row['numerator'], row['denominator'])}")
    return out


def annotation_notes(store, area_code: str, codes: list[str], indicator_ids: list[str],
                     period: int | None) -> list[dict]:
    """What publishers say about the latest figures a pack shows (OHID's value
    notes and confidence limits), and how a regional or England figure the
    publisher does not give was computed, as {"label", "text"} notes."""
    notes = getattr(store, "annotations", None)
    if notes is None or notes.empty:
        return []
    ind = store.indicators
    out = []
    for i in store.catalogue:
        if i.id not in indicator_ids or i.id not in set(notes["indicator"]):
            continue
        mine = ind[(ind["indicator"] == i.id) & (ind["area_code"] == area_code) & (ind["status"] == "ok")]
        latest = _latest_ok(mine, period) if len(mine) else _latest_ok(ind[ind["indicator"] == i.id], period)
        if latest is not None:
            out += [{"label": i.label, "text": t} for t in figure_notes(store, i, latest, codes, area_code)]
    return out


def figure_notes(store, indicator, period: int, codes, area_code: str) -> list[str]:
    """Sentences on one indicator's figures for ``codes`` in ``period``: the
    publisher's value notes and, for the council, its confidence limits; how
    a computed regional or England figure was made."""
    notes = getattr(store, "annotations", None)
    if notes is None or notes.empty:
        return []
    rows = notes[(notes["indicator"] == indicator.id) & (notes["period"] == period) & notes["area_code"].isin(codes)]
    names = dict(zip(store.areas["area_code"], store.areas["area_name"]))
    when, fmt = indicator.period_label(period), indicator.format_value
    out = []
    for r in rows.itertuples():
        name = names.get(r.area_code, r.area_code)
        if r.area_code == area_code and not math.isnan(r.lower_95):
            text = (f"{name}, {when}: the publisher's 95% confidence interval is "
                    f"{fmt(r.lower_95, with_unit=False)} to {fmt(r.upper_95)}")
            if not math.isnan(r.lower_998):
                text += f" (99.8%: {fmt(r.lower_998, with_unit=False)} to {fmt(r.upper_998)})"
            out.append(text + ".")
        if r.note:
            prefix = "" if r.note.startswith(name) else f"{name}, {when}: "
            out.append(prefix + r.note.rstrip(".") + ".")
    return out


@lru_cache(maxsize=4)
def _sources(path: str | None = None) -> dict:
    from .safe_yaml import load_yaml_file
    from . import paths
    p = Path(path) if path else paths.data_dir() / "sources.yml"
    if not p.exists():
        p = paths.PROJECT_ROOT / "data" / "sources.yml"
    if not p.exists():
        return {}
    doc = load_yaml_file(p, what="sources manifest") or {}
    return {str(s.get("id")): s for s in doc.get("sources", []) if isinstance(s, dict)}


_POLARITY = {"higher_is_better": "Higher is better", "lower_is_better": "Lower is better",
             "context": "Context: neither higher nor lower is better in itself"}
_UNIT = {"percent": "Percentage", "per_10k": "Rate per 10,000 children (of the ages the definition gives)",
         "ratio": "Ratio", "gbp": "Pounds (£)", "days": "Days", "score": "Average score"}
_DERIVED_FROM_POPULATION = ("per_10k_population", "per_child_population")


def appendix(store, indicator_ids: list[str]) -> list[dict]:
    """The trail for each indicator: catalogue entry -> publication -> file."""
    sources = _sources()
    inputs = store.inputs
    groups: dict[str, dict] = {}
    for i in store.catalogue:
        if i.id not in indicator_ids:
            continue
        pubs = [i.source] + (["ons_population"] if i.derive in _DERIVED_FROM_POPULATION else [])
        files = []
        for pub in pubs:
            rows = inputs[inputs["publication"] == pub] if "publication" in inputs else inputs.iloc[0:0]
            for r in rows.itertuples():
                files.append({"name": getattr(r, "name", None) or Path(r.file).name, "sha256": str(r.sha256)})
        src = sources.get(i.source, {})
        landing = str(src.get("landing") or "")
        if not landing.startswith("https://"):
            landing = ""
        group = groups.setdefault(i.section, {"section": i.section, "title": default_sections().get(i.section, i.section),
                                              "indicators": []})
        group["indicators"].append({
            "id": i.id, "label": i.label, "definition": i.definition, "unit": _UNIT.get(i.unit, i.unit),
            "polarity": _POLARITY.get(i.polarity, i.polarity), "period_basis": _period_basis_text(i.period_basis),
            "target": None if i.target is None else i.format_value(i.target),
            "source_title": str(src.get("title") or i.source), "publisher": str(src.get("publisher") or ""),
            "landing": landing, "files": files})
    return list(groups.values())


def _period_basis_text(basis: str) -> str:
    return {"31 March": "Counted at, or in the year to, 31 March",
            "30 September": "Counted at, or in the year to, 30 September",
            "financial year": "Financial year (April to March)",
            "academic year": "School year (September to July), named by the year it ends"}.get(basis, basis)


# ---------------------------------------------------------------------- PDF

@lru_cache(maxsize=1)
def _font_config():
    from weasyprint.text.fonts import FontConfiguration
    return FontConfiguration()


def _url_fetcher():
    # Only data: URIs: a pack never reaches the network or the file system.
    from weasyprint.urls import URLFetcher
    return URLFetcher(allowed_protocols={"data"})


_CHART_TABLE = re.compile(r"<details><summary>Data behind this chart</summary>.*?</details>", re.S)


def print_ready(html: str) -> str:
    """The pack's HTML as the PDF prints it: without each chart's data table
    (shown collapsed in the HTML; the cover says where to find them), which
    also spares the PDF renderer parsing them."""
    return _CHART_TABLE.sub("", html)


#: How packs are printed: "auto" (Chromium when installed, else WeasyPrint),
#: "chromium" or "weasyprint". SCRUTINY_PDF_ENGINE overrides the default.
PDF_ENGINES = ("auto", "chromium", "weasyprint")
_RUNNING_TITLE = re.compile(r'<p class="running-title"[^>]*>(.*?)</p>', re.S)
_SECTION_TITLE = re.compile(r'<h1 class="section-title"[^>]*>(.*?)</h1>', re.S)


def _text(markup: str) -> str:
    return " ".join(_html.unescape(_TAG.sub("", markup)).split())


def pdf_engine(engine: str | None = None) -> str:
    """The engine a pack will be printed with: ``engine``, else
    ``SCRUTINY_PDF_ENGINE``, else Chromium when it is installed and
    WeasyPrint when it is not."""
    chosen = engine or os.environ.get("SCRUTINY_PDF_ENGINE") or "auto"
    if chosen not in PDF_ENGINES:
        raise ParameterError("pdf_engine", f"must be one of {', '.join(PDF_ENGINES)}", chosen)
    if chosen == "auto":
        return "chromium" if _chromium.find_chromium() else "weasyprint"
    return chosen


def pdf_engine_version(engine: str) -> str:
    """The engine and its version, as a pack's manifest records it."""
    if engine == "chromium":
        return _chromium.browser().version
    import weasyprint
    return f"WeasyPrint {weasyprint.__version__}"


def write_pdf(html: str, target: Path, engine: str | None = None) -> str:
    """Lay the pack out on A4 (pack.css's @page rules) and write the PDF;
    returns the engine used (see :func:`pdf_engine`)."""
    engine = pdf_engine(engine)
    printed = print_ready(html)
    if engine == "chromium":
        running = _RUNNING_TITLE.search(printed)
        _chromium.write_pdf(printed, Path(target), running_title=_text(running.group(1)) if running else "",
                            section_titles=[_text(t) for t in _SECTION_TITLE.findall(printed)])
        return engine
    from weasyprint import HTML
    HTML(string=printed, base_url="data:,", url_fetcher=_url_fetcher()).write_pdf(
        str(target), font_config=_font_config())
    return engine


# -------------------------------------------------------------------- index

def render_index(entries: list[dict], built: _dt.datetime | None = None) -> str:
    """reports/index.html: every pack, newest period first."""
    built = built or _dt.datetime.now()
    return _jinja().get_template("index.html.j2").render(
        entries=entries, css="", built_text=built.strftime("%-d %B %Y %H:%M"))
