"""The indicator catalogue (``data/indicators.yml``): what each headline
figure is, how it is derived, which way is better and when it is counted."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ConfigError, UnknownIndicatorError
from .paths import DEFAULT_CATALOGUE

UNITS = ("percent", "per_10k", "ratio", "gbp", "days")
POLARITIES = ("higher_is_better", "lower_is_better", "context")
PERIOD_BASES = ("31 March", "30 September", "financial year")
DERIVATIONS = ("per_10k_population", "per_child_population", "ratio")
SECTIONS = {
    "workforce": "Social work workforce",
    "front_door": "Front door and children in need",
    "child_protection": "Child protection",
    "looked_after": "Children looked after and placement stability",
    "care_leavers": "Care leavers",
    "spending": "Spending and inspection",
    "local": "Local performance",
}
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
}

_REQUIRED = ("id", "label", "definition", "section", "unit", "polarity", "source", "period_basis")
_ALLOWED = set(_REQUIRED) | {"decimals", "value", "derive", "numerator", "denominator", "target", "caveat"}


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    definition: str
    section: str
    unit: str
    polarity: str
    source: str
    period_basis: str
    decimals: int = 1
    value: str | None = None
    derive: str | None = None
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    target: float | None = None
    caveat: str | None = None

    @property
    def is_context(self) -> bool:
        return self.polarity == "context"

    @property
    def higher_is_better(self) -> bool | None:
        """True, False, or None for context-only indicators."""
        if self.polarity == "context":
            return None
        return self.polarity == "higher_is_better"

    def period_label(self, period: int) -> str:
        """'30 September 2025', '31 March 2025' or '2024-25'."""
        if self.period_basis == "financial year":
            return f"{period - 1}-{str(period)[-2:]}"
        return f"{self.period_basis} {period}"

    def period_phrase(self, period: int) -> str:
        """How a sentence introduces the period: 'At 31 March 2025',
        'In the year to 31 March 2025', 'In 2024-25'."""
        if self.period_basis == "financial year":
            return f"In {self.period_label(period)}"
        if self.unit == "percent" and self.section == "workforce" and self.id in ("wf_turnover", "wf_absence", "wf_starters", "wf_days_lost"):
            return f"In the year to {self.period_label(period)}"
        if self.id in ("fd_referral_rate", "fd_rereferral", "fd_nfa", "fd_not_in_need", "cp_start_rate",
                       "cp_repeat", "cla_start_rate", "cla_cease_rate", "cin_start_rate"):
            return f"In the year to {self.period_label(period)}"
        return f"At {self.period_label(period)}"

    def format_value(self, value: float | None, *, with_unit: bool = True) -> str:
        """A figure as a pack prints it: '13.4', '24.3%', '£1,457', '65 per 10,000'."""
        if value is None or value != value:  # NaN
            return "n/a"
        text = f"{value:,.{self.decimals}f}"
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
                "gbp": "£ per child", "days": "days per FTE"}[self.unit]


def _as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@dataclass
class Catalogue:
    indicators: dict[str, Indicator] = field(default_factory=dict)
    path: Path | None = None

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
            close = difflib.get_close_matches(key, list(self.indicators), n=3, cutoff=0.5)
            raise UnknownIndicatorError(key, close) from None

    def ids(self) -> list[str]:
        return list(self.indicators)

    def in_section(self, section: str) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.section == section]

    def sections(self) -> list[str]:
        seen: list[str] = []
        for ind in self.indicators.values():
            if ind.section not in seen:
                seen.append(ind.section)
        return seen

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame([
            {"id": i.id, "label": i.label, "section": i.section, "unit": i.unit, "polarity": i.polarity,
             "source": i.source, "period_basis": i.period_basis, "target": i.target, "definition": i.definition}
            for i in self.indicators.values()])


def parse_indicator(entry: dict, path: Path | None, index: int) -> Indicator:
    where = f"indicators[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError(path, "each indicator must be a mapping of keys to values", key=where)
    ident = entry.get("id", where)
    unknown = sorted(set(entry) - _ALLOWED)
    if unknown:
        raise ConfigError(path, f"unknown key(s) {unknown} in indicator '{ident}'", key=where,
                          hint=f"Allowed keys are: {', '.join(sorted(_ALLOWED))}")
    missing = [k for k in _REQUIRED if k not in entry]
    if missing:
        raise ConfigError(path, f"indicator '{ident}' lacks {missing}", key=where)
    checks = (("unit", UNITS), ("polarity", POLARITIES), ("period_basis", PERIOD_BASES))
    for key, allowed in checks:
        if entry[key] not in allowed:
            raise ConfigError(path, f"indicator '{ident}' has {key} {entry[key]!r}", key=f"{ident}.{key}",
                              hint=f"Use one of: {', '.join(allowed)}")
    if entry["section"] not in SECTIONS:
        raise ConfigError(path, f"indicator '{ident}' has section {entry['section']!r}", key=f"{ident}.section",
                          hint=f"Use one of: {', '.join(SECTIONS)}")
    derive = entry.get("derive")
    if derive is not None and derive not in DERIVATIONS:
        raise ConfigError(path, f"indicator '{ident}' has derive {derive!r}", key=f"{ident}.derive",
                          hint=f"Use one of: {', '.join(DERIVATIONS)}")
    if derive is None and not entry.get("value"):
        raise ConfigError(path, f"indicator '{ident}' needs either 'value' or 'derive'", key=ident)
    if derive and not entry.get("numerator"):
        raise ConfigError(path, f"indicator '{ident}' derives its value but names no numerator", key=ident)
    if derive == "ratio" and not entry.get("denominator"):
        raise ConfigError(path, f"indicator '{ident}' is a ratio but names no denominator", key=ident)
    target = entry.get("target")
    if target is not None:
        try:
            target = float(target)
        except (TypeError, ValueError):
            raise ConfigError(path, f"indicator '{ident}' has a target that is not a number: {target!r}",
                              key=f"{ident}.target") from None
    return Indicator(
        id=str(entry["id"]), label=str(entry["label"]), definition=str(entry["definition"]).strip(),
        section=entry["section"], unit=entry["unit"], polarity=entry["polarity"], source=str(entry["source"]),
        period_basis=entry["period_basis"], decimals=int(entry.get("decimals", 1)),
        value=entry.get("value"), derive=derive, numerator=_as_tuple(entry.get("numerator")),
        denominator=_as_tuple(entry.get("denominator")), target=target, caveat=entry.get("caveat"))


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read and validate the catalogue. Errors name the file, the indicator and
    the key, and list the allowed values."""
    path = Path(path) if path else DEFAULT_CATALOGUE
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "catalogue file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, f"not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("indicators"), list):
        raise ConfigError(path, "the catalogue must have a top-level 'indicators:' list")
    catalogue = Catalogue(path=path)
    for i, entry in enumerate(doc["indicators"]):
        ind = parse_indicator(entry, path, i)
        if ind.id in catalogue.indicators:
            raise ConfigError(path, f"indicator id '{ind.id}' appears twice", key=ind.id)
        catalogue.indicators[ind.id] = ind
    return catalogue
