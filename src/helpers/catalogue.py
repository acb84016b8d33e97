"""The indicator catalogue (``data/indicators.yml``): what each figure is, how
it is derived, which way is better, when it is counted, how a sentence names
it and which questions it prompts; the sections of a pack; and the general
question templates.

Everything here is read from YAML an analyst can edit, and validated with
errors that name the file, the indicator, the key and the allowed values.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, field
from pathlib import Path

from .safe_yaml import load_yaml_file

from .errors import ConfigError, UnknownIndicatorError
from .paths import DEFAULT_CATALOGUE
from .vocab import STATUS_WORDS, lower_first

__all__ = ["Indicator", "Catalogue", "load_catalogue", "parse_indicator", "UNITS", "POLARITIES", "PERIOD_BASES",
           "PERIOD_PHRASES", "DERIVATIONS", "QUESTION_DIRECTIONS", "STATUS_WORDS", "default_sections"]

UNITS = ("percent", "per_10k", "ratio", "gbp", "days", "score")
POLARITIES = ("higher_is_better", "lower_is_better", "context")
PERIOD_BASES = ("31 March", "30 September", "financial year", "academic year")
#: How a sentence introduces a period: 'At 31 March 2025', 'In the year to
#: 31 March 2025', 'In 2024-25'.
PERIOD_PHRASES = ("at", "year_to", "in")
DERIVATIONS = ("per_10k_population", "per_child_population", "ratio")
#: Finding directions a catalogue question can be keyed by (see helpers.words).
QUESTION_DIRECTIONS = ("worse", "worsening", "high", "low", "rising", "falling", "suppressed")

_REQUIRED = ("id", "label", "definition", "section", "unit", "polarity", "source", "period_basis", "subject")
_ALLOWED = set(_REQUIRED) | {"decimals", "value", "derive", "numerator", "denominator", "target", "caveat",
                             "questions", "period_phrase", "counted", "min", "max"}


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry. ``subject`` is how a sentence names the measure
    ("Devon's <subject> was ..."); ``counted`` what its denominator counts, in
    the plural ("children", "social workers"), for "too few children to
    compare"; ``questions`` maps a finding direction to the question members
    may wish to ask."""
    id: str
    label: str
    definition: str
    section: str
    unit: str
    polarity: str
    source: str
    period_basis: str
    subject: str = ""
    decimals: int = 1
    value: str | None = None
    derive: str | None = None
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    target: float | None = None
    caveat: str | None = None
    questions: tuple[tuple[str, str], ...] = ()
    period_phrase_kind: str = "at"
    counted: str = "cases"
    minimum: float | None = None
    maximum: float | None = None

    @property
    def is_context(self) -> bool:
        return self.polarity == "context"

    @property
    def higher_is_better(self) -> bool | None:
        """True, False, or None for context-only indicators."""
        if self.polarity == "context":
            return None
        return self.polarity == "higher_is_better"

    @property
    def name_in_sentence(self) -> str:
        """The subject, or the label in lower case when none is given."""
        return self.subject or lower_first(self.label)

    def question(self, direction: str) -> str | None:
        """The catalogue's question for a finding direction, if any."""
        return dict(self.questions).get(direction)

    def period_label(self, period: int) -> str:
        """'30 September 2025', '31 March 2025', '2024-25' or '2024/25'."""
        period = int(period)
        if self.period_basis == "financial year":
            return f"{period - 1}-{str(period)[-2:]}"
        if self.period_basis == "academic year":
            return f"{period - 1}/{str(period)[-2:]}"
        return f"{self.period_basis} {period}"

    def period_heading(self, period: int) -> str:
        """The period as a heading or list label: '31 March 2025', '2024-25
        financial year', '2024/25 school year'."""
        kind = {"academic year": " school year", "financial year": " financial year"}.get(self.period_basis, "")
        return f"{self.period_label(period)}{kind}"

    def period_at(self, period: int) -> str:
        """The period inside a sentence, as a point in time: 'at 31 March
        2023'; a financial or school year is 'in 2021-22' or 'in the 2022/23
        school year', never 'at' one."""
        if self.period_basis in ("financial year", "academic year"):
            phrase = self.period_phrase(period)
            return phrase[0].lower() + phrase[1:]
        return f"at {self.period_label(period)}"

    def period_phrase(self, period: int) -> str:
        """How a sentence introduces the period: 'At 31 March 2025',
        'In the year to 31 March 2025', 'In 2024-25', 'In the 2024/25 school year'."""
        label = self.period_label(period)
        if self.period_basis == "academic year":
            return f"In the {label} school year"
        if self.period_phrase_kind == "in" or self.period_basis == "financial year":
            return f"In {label}"
        if self.period_phrase_kind == "year_to":
            return f"In the year to {label}"
        return f"At {label}"

    def format_value(self, value: float | None, *, with_unit: bool = True) -> str:
        """A figure as a pack prints it: '13.4', '24.3%', '£1,457', '65 per 10,000'."""
        if value is None or value != value:  # NaN
            return "n/a"
        text = f"{value:,.{self.decimals}f}"
        if text.startswith("-") and float(text.replace(",", "")) == 0:
            text = text[1:]
        if not with_unit:
            return text
        if self.unit == "percent":
            return f"{text}%"
        if self.unit == "gbp":
            return f"£{text}"
        if self.unit == "per_10k":
            return f"{text} per 10,000"
        if self.unit == "days":
            return f"{text} days"
        return text

    @property
    def unit_label(self) -> str:
        return {"percent": "%", "per_10k": "per 10,000 children", "ratio": "cases per worker",
                "gbp": "£ per child", "days": "days per FTE", "score": "score"}[self.unit]


@dataclass
class Catalogue:
    """The indicators, in catalogue order, with the pack's sections (id ->
    title, in pack order) and the general question templates."""
    indicators: dict[str, Indicator] = field(default_factory=dict)
    path: Path | None = None
    section_titles: dict[str, str] = field(default_factory=dict)
    generic_questions: dict[str, str] = field(default_factory=dict)

    def __iter__(self):
        return iter(self.indicators.values())

    def __len__(self):
        return len(self.indicators)

    def __contains__(self, key):
        return key in self.indicators

    def __getitem__(self, key: str) -> Indicator:
        try:
            return self.indicators[key]
        except KeyError:
            close = difflib.get_close_matches(str(key), list(self.indicators), n=3, cutoff=0.5)
            raise UnknownIndicatorError(str(key), close) from None

    def ids(self) -> list[str]:
        return list(self.indicators)

    def in_section(self, section: str) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.section == section]

    def sections(self) -> list[str]:
        """Section ids that hold indicators, in pack order."""
        used = {i.section for i in self.indicators.values()}
        return [s for s in self.section_titles if s in used]

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame([
            {"id": i.id, "label": i.label, "section": i.section, "unit": i.unit, "polarity": i.polarity,
             "source": i.source, "period_basis": i.period_basis, "target": i.target, "definition": i.definition}
            for i in self.indicators.values()])


# --------------------------------------------------------------------------- parsing

def _as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _check_choice(path, ident: str, key: str, value, allowed) -> None:
    if value not in allowed:
        raise ConfigError(path, f"indicator '{ident}' has {key} {value!r}", key=f"{ident}.{key}",
                          hint=f"Use one of: {', '.join(allowed)}")


def _questions(path, ident: str, value) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ConfigError(path, f"indicator '{ident}' has questions that are not a mapping of direction to "
                                f"question", key=f"{ident}.questions",
                          hint=f"Directions: {', '.join(QUESTION_DIRECTIONS)}")
    out = []
    for direction, text in value.items():
        if direction not in QUESTION_DIRECTIONS:
            raise ConfigError(path, f"indicator '{ident}' has a question for {direction!r}",
                              key=f"{ident}.questions.{direction}",
                              hint=f"Use one of: {', '.join(QUESTION_DIRECTIONS)}")
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(path, f"indicator '{ident}' has an empty question for {direction!r}",
                              key=f"{ident}.questions.{direction}")
        out.append((str(direction), " ".join(text.split())))
    return tuple(out)


def _check_entry(entry, path, where: str, sections) -> str:
    if not isinstance(entry, dict):
        raise ConfigError(path, "each indicator must be a mapping of keys to values", key=where)
    ident = str(entry.get("id", where))
    unknown = sorted(set(entry) - _ALLOWED)
    if unknown:
        raise ConfigError(path, f"unknown key(s) {unknown} in indicator '{ident}'", key=where,
                          hint=f"Allowed keys are: {', '.join(sorted(_ALLOWED))}")
    missing = [k for k in _REQUIRED if k not in entry]
    if missing:
        raise ConfigError(path, f"indicator '{ident}' lacks {missing}", key=where)
    _check_choice(path, ident, "unit", entry["unit"], UNITS)
    _check_choice(path, ident, "polarity", entry["polarity"], POLARITIES)
    _check_choice(path, ident, "period_basis", entry["period_basis"], PERIOD_BASES)
    _check_choice(path, ident, "period_phrase", entry.get("period_phrase", "at"), PERIOD_PHRASES)
    _check_choice(path, ident, "section", entry["section"], list(sections))
    derive = entry.get("derive")
    if derive is not None:
        _check_choice(path, ident, "derive", derive, DERIVATIONS)
    if derive is None and not entry.get("value"):
        raise ConfigError(path, f"indicator '{ident}' needs either 'value' or 'derive'", key=ident)
    if derive and not entry.get("numerator"):
        raise ConfigError(path, f"indicator '{ident}' derives its value but names no numerator", key=ident)
    if derive == "ratio" and not entry.get("denominator"):
        raise ConfigError(path, f"indicator '{ident}' is a ratio but names no denominator", key=ident)
    for key in ("subject", "label", "definition"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise ConfigError(path, f"indicator '{ident}' has an empty {key}", key=f"{ident}.{key}")
    return ident


def parse_indicator(entry: dict, path: Path | None, index: int, sections=None) -> Indicator:
    """One catalogue entry, validated."""
    ident = _check_entry(entry, path, f"indicators[{index}]", sections or default_sections())
    target = entry.get("target")
    if target is not None:
        try:
            target = float(target)
        except (TypeError, ValueError):
            raise ConfigError(path, f"indicator '{ident}' has a target that is not a number: {target!r}",
                              key=f"{ident}.target") from None
    bounds = {}
    for key in ("min", "max"):
        v = entry.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise ConfigError(path, f"indicator '{ident}' has a {key} that is not a number: {v!r}",
                              key=f"{ident}.{key}")
        bounds[key] = None if v is None else float(v)
    return Indicator(
        minimum=bounds["min"], maximum=bounds["max"],
        id=ident, label=str(entry["label"]), definition=" ".join(str(entry["definition"]).split()),
        section=entry["section"], unit=entry["unit"], polarity=entry["polarity"], source=str(entry["source"]),
        period_basis=entry["period_basis"], subject=" ".join(str(entry["subject"]).split()),
        decimals=int(entry.get("decimals", 1)), value=entry.get("value"), derive=entry.get("derive"),
        numerator=_as_tuple(entry.get("numerator")), denominator=_as_tuple(entry.get("denominator")),
        target=target, caveat=entry.get("caveat"), questions=_questions(path, ident, entry.get("questions")),
        period_phrase_kind=str(entry.get("period_phrase", "at")), counted=str(entry.get("counted", "cases")))


def _sections(doc: dict, path) -> dict[str, str]:
    raw = doc.get("sections")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(path, "the catalogue must have a top-level 'sections:' list of {id, title}")
    out: dict[str, str] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) - {"id", "title"} or not item.get("id") or not item.get("title"):
            raise ConfigError(path, "each section needs exactly an 'id' and a 'title'", key=f"sections[{i}]")
        if item["id"] in out:
            raise ConfigError(path, f"section id '{item['id']}' appears twice", key=f"sections[{i}]")
        out[str(item["id"])] = str(item["title"])
    return out


def _generic_questions(doc: dict, path) -> dict[str, str]:
    raw = doc.get("generic_questions") or {}
    if not isinstance(raw, dict):
        raise ConfigError(path, "'generic_questions' must be a mapping of direction to question template",
                          key="generic_questions")
    return {str(k): " ".join(str(v).split()) for k, v in raw.items()}


def _read_yaml(path: Path):
    return load_yaml_file(path, what="catalogue file")


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read and validate the catalogue. Errors name the file, the indicator and
    the key, and list the allowed values."""
    path = Path(path) if path else DEFAULT_CATALOGUE
    doc = _read_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("indicators"), list):
        raise ConfigError(path, "the catalogue must have a top-level 'indicators:' list")
    catalogue = Catalogue(path=path, section_titles=_sections(doc, path),
                          generic_questions=_generic_questions(doc, path))
    for i, entry in enumerate(doc["indicators"]):
        ind = parse_indicator(entry, path, i, catalogue.section_titles)
        if ind.id in catalogue.indicators:
            raise ConfigError(path, f"indicator id '{ind.id}' appears twice", key=ind.id)
        catalogue.indicators[ind.id] = ind
    return catalogue


@functools.lru_cache(maxsize=1)
def default_sections() -> dict[str, str]:
    """The sections of the default catalogue (id -> title, in pack order)."""
    return dict(_sections(_read_yaml(DEFAULT_CATALOGUE), DEFAULT_CATALOGUE))
