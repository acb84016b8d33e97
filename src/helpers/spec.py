"""The pack specification: what a pack holds, in a YAML file an analyst
edits instead of code.

The file is ``pack.yml`` beside the section notebooks (or the one a run
file or ``scrutiny build --spec`` names). Every key is optional::

    style: council_style.yml      # chart style file for the whole pack (beside this file)
    commentary: commentary        # folder of officer commentary (default: commentary/ beside this file)
    drop: [wf_agency]             # measures left out of every part of the pack
    headline: [wf_caseload, cla_rate, cp_rate]   # the at-a-glance page, in this order
    titles:                       # headings that replace the catalogue's labels
      wf_caseload: Caseloads per social worker
    chart_titles:                 # chart titles that replace the generated ones
      wf_caseload: {bars: "Caseloads are lower than our neighbours'", trend: ..., all_councils: ...}
    targets:                      # local targets: ratings are against these
      wf_turnover: 15
    sections:
      workforce:
        title: Our social work workforce
        indicators: [wf_caseload, wf_turnover, wf_vacancy]   # which, and in what order
      spending: false             # leave the section out of the pack

A measure dropped (``drop``, or left out of its section's ``indicators``)
is gone everywhere: the section, its introduction, key findings and
questions, the summary's key messages, table, at a glance and questions,
and the notes and sources at the end. Every value is checked when the file
is read; a mistake raises :class:`~helpers.errors.ConfigError` naming the
file and the key, with the ids it could have meant.

    >>> spec = PackSpec.empty()
    >>> spec.indicators_for("workforce", ["wf_caseload", "wf_agency"])
    ['wf_caseload', 'wf_agency']
    >>> spec.include_section("workforce")
    True
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .safe_yaml import load_yaml_file

__all__ = ["PackSpec", "load_spec", "find_spec", "SPEC_NAME", "CHART_KINDS"]

#: The file a notebooks folder's specification is read from.
SPEC_NAME = "pack.yml"
KEYS = ("style", "commentary", "drop", "headline", "titles", "chart_titles", "targets", "sections")
SECTION_KEYS = ("title", "indicators")
#: Charts whose titles a specification may set.
CHART_KINDS = ("bars", "trend", "all_councils")


@dataclass(frozen=True)
class PackSpec:
    """A checked pack specification (see the module's documentation)."""
    path: Path | None = None
    style: Path | None = None
    commentary: Path | None = None
    drop: tuple[str, ...] = ()
    headline: tuple[str, ...] | None = None
    titles: dict = field(default_factory=dict)
    chart_titles: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)
    section_titles: dict = field(default_factory=dict)
    section_indicators: dict = field(default_factory=dict)
    left_out: tuple[str, ...] = ()

    @classmethod
    def empty(cls) -> "PackSpec":
        return cls()

    def include_section(self, section: str) -> bool:
        """False for a section the specification leaves out."""
        return section not in self.left_out

    def indicators_for(self, section: str, default: list[str]) -> list[str]:
        """The section's measures, in the specification's order, without
        the dropped ones."""
        chosen = self.section_indicators.get(section)
        ids = list(chosen) if chosen is not None else list(default)
        return [i for i in ids if i not in self.drop]

    def keeps(self, indicator_id: str, section: str) -> bool:
        """True when a measure of ``section`` is in the pack."""
        if indicator_id in self.drop or section in self.left_out:
            return False
        chosen = self.section_indicators.get(section)
        return chosen is None or indicator_id in chosen

    def kept(self, catalogue) -> list[str]:
        """Every measure the pack shows, section by section in the order given."""
        out = []
        for section in dict.fromkeys(i.section for i in catalogue):
            if section not in self.left_out:
                out += self.indicators_for(section, [x.id for x in catalogue.in_section(section)])
        return out

    def files(self) -> list[Path]:
        """The files that make this specification (for the pack fingerprint)."""
        return [p for p in (self.path, self.style) if p is not None]


def find_spec(notebooks_dir) -> Path | None:
    """``pack.yml`` in the notebooks folder, or None."""
    path = Path(notebooks_dir or ".") / SPEC_NAME
    return path if path.is_file() else None


def load_spec(path, catalogue) -> PackSpec:
    """Read and check a pack specification against the catalogue. ``path``
    None or "" gives the empty specification (the catalogue's pack)."""
    if path in (None, ""):
        return PackSpec.empty()
    path = Path(path)
    doc = load_yaml_file(path, what="pack specification") or {}
    if not isinstance(doc, dict):
        raise ConfigError(path, "a pack specification must be a mapping of keys", hint=f"Use: {', '.join(KEYS)}")
    _no_unknown(path, doc, KEYS, "")
    checker = _Checker(path, catalogue)
    drop = tuple(checker.ids(doc.get("drop", []), "drop"))
    sections, left_out, section_titles = {}, [], {}
    for sid, entry in (doc.get("sections") or {}).items():
        checker.section(sid)
        if entry is False:
            left_out.append(sid)
            continue
        if not isinstance(entry, dict):
            raise ConfigError(path, "must be false (leave the section out) or a mapping with title and "
                                    "indicators", key=f"sections.{sid}")
        _no_unknown(path, entry, SECTION_KEYS, f"sections.{sid}.")
        if "title" in entry:
            section_titles[sid] = checker.text(entry["title"], f"sections.{sid}.title")
        if "indicators" in entry:
            ids = checker.ids(entry["indicators"], f"sections.{sid}.indicators", section=sid)
            sections[sid] = tuple(ids)
    headline = None
    if "headline" in doc:
        headline = tuple(checker.ids(doc["headline"], "headline"))
        gone = [i for i in headline if i in drop]
        if gone:
            raise ConfigError(path, f"{gone[0]} is in both headline and drop", key="headline",
                              hint="Take it out of one of them")
    return PackSpec(path=path, style=checker.file(doc.get("style"), "style"),
                    commentary=checker.folder(doc.get("commentary"), "commentary"), drop=drop, headline=headline,
                    titles=checker.titles(doc.get("titles") or {}), chart_titles=checker.chart_titles(
                        doc.get("chart_titles") or {}), targets=checker.targets(doc.get("targets") or {}),
                    section_titles=section_titles, section_indicators=sections, left_out=tuple(left_out))


def _no_unknown(path, mapping: dict, allowed, prefix: str) -> None:
    unknown = [k for k in mapping if k not in allowed]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), allowed, n=1)
        raise ConfigError(path, f"unknown key {unknown[0]!r}", key=f"{prefix}{unknown[0]}",
                          hint=(f"Did you mean {close[0]!r}? " if close else "") + f"Allowed: {', '.join(allowed)}")


class _Checker:
    """Checks of one specification's values, each naming the file and key."""

    def __init__(self, path: Path, catalogue):
        self.path, self.catalogue = path, catalogue

    def fail(self, key: str, message: str, hint: str = ""):
        raise ConfigError(self.path, message, key=key, hint=hint or None)

    def indicator(self, value, key: str):
        if not isinstance(value, str) or value not in self.catalogue:
            close = difflib.get_close_matches(str(value), self.catalogue.ids(), n=3, cutoff=0.5)
            self.fail(key, f"no measure has the id {value!r}",
                      (f"Did you mean: {', '.join(close)}? " if close else "") + "Run 'scrutiny indicators' "
                      "to list the catalogue")
        return self.catalogue[value]

    def ids(self, value, key: str, section: str | None = None) -> list[str]:
        if not isinstance(value, list):
            self.fail(key, "must be a list of measure ids, e.g. [wf_caseload, wf_turnover]")
        out = []
        for n, item in enumerate(value):
            ind = self.indicator(item, f"{key}[{n}]")
            if section and ind.section != section:
                self.fail(f"{key}[{n}]", f"{ind.id} is a measure of the {ind.section} section, not {section}")
            if ind.id in out:
                self.fail(f"{key}[{n}]", f"{ind.id} is listed twice")
            out.append(ind.id)
        return out

    def section(self, sid) -> None:
        known = [s for s in self.catalogue.section_titles if s != "local"] + ["summary", "local"]
        if sid not in known:
            close = difflib.get_close_matches(str(sid), known, n=1)
            self.fail(f"sections.{sid}", "no section has that id",
                      (f"Did you mean {close[0]!r}? " if close else "") + f"Sections: {', '.join(known)}")

    def text(self, value, key: str) -> str:
        if not isinstance(value, str) or not value.strip() or len(value) > 200 or "\n" in value.strip():
            self.fail(key, "must be one line of text of at most 200 characters")
        return " ".join(value.split())

    def titles(self, doc) -> dict:
        if not isinstance(doc, dict):
            self.fail("titles", "must map measure ids to headings")
        return {self.indicator(k, f"titles.{k}").id: self.text(v, f"titles.{k}") for k, v in doc.items()}

    def chart_titles(self, doc) -> dict:
        if not isinstance(doc, dict):
            self.fail("chart_titles", "must map measure ids to {bars: ..., trend: ..., all_councils: ...}")
        out = {}
        for iid, kinds in doc.items():
            self.indicator(iid, f"chart_titles.{iid}")
            if not isinstance(kinds, dict):
                self.fail(f"chart_titles.{iid}", f"must map chart kinds ({', '.join(CHART_KINDS)}) to titles")
            _no_unknown(self.path, kinds, CHART_KINDS, f"chart_titles.{iid}.")
            out[iid] = {k: self.text(v, f"chart_titles.{iid}.{k}") for k, v in kinds.items()}
        return out

    def targets(self, doc) -> dict:
        if not isinstance(doc, dict):
            self.fail("targets", "must map measure ids to numbers, e.g. {wf_turnover: 15}")
        out = {}
        for iid, value in doc.items():
            ind = self.indicator(iid, f"targets.{iid}")
            key = f"targets.{iid}"
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                self.fail(key, f"must be a number in the measure's unit ({ind.unit_label})")
            if ind.is_context:
                self.fail(key, f"{ind.label} is a context measure (neither higher nor lower is better), so it "
                               f"has no target")
            low = ind.minimum if ind.minimum is not None else 0
            high = ind.maximum if ind.maximum is not None else (100 if ind.unit == "percent" else None)
            if value < low or (high is not None and value > high):
                self.fail(key, f"{value} is outside the range {ind.label} can take ({low} to {high})")
            out[ind.id] = float(value)
        return out

    def _relative(self, value, key: str) -> Path | None:
        if value in (None, ""):
            return None
        if not isinstance(value, str):
            self.fail(key, "must be a file or folder name (relative to this file)")
        return (self.path.parent / value).resolve()

    def file(self, value, key: str) -> Path | None:
        found = self._relative(value, key)
        if found is not None:
            if not found.is_file():
                self.fail(key, f"no file {found}")
            from .theme import load_theme
            load_theme(found)  # a bad style file is named now, not after the notebooks have run
        return found

    def folder(self, value, key: str) -> Path | None:
        found = self._relative(value, key)
        if found is None:
            default = self.path.parent / "commentary"
            return default.resolve() if default.is_dir() else None
        if not found.is_dir():
            self.fail(key, f"no folder {found}")
        return found
