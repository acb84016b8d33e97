"""How a DfE tidy CSV publication is described: the columns that recognise
it, the filters that split its rows into measures, and its value columns."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Publication", "keep_columns"]


@dataclass(frozen=True)
class Publication:
    """How to recognise and read one DfE publication's tidy CSV.

    ``signature`` lists columns that must all be present; ``filters`` maps a
    filter column to a dict of {file value: measure prefix part} (values are
    matched whatever their case and spacing; a value not listed becomes its
    own slug); when ``require_values`` is given, the file must contain at
    least one of those values in that column (this tells apart files that
    share columns, such as the two care-leaver files). ``values`` maps value
    columns to the measure suffix (empty suffix keeps the column name as the
    measure); two names for one suffix are the same column in different
    releases (``number`` in one, ``children_count`` in the next).
    """

    id: str
    title: str
    period_basis: str
    signature: tuple[str, ...]
    values: dict[str, str]
    filters: dict[str, dict[str, str]] = field(default_factory=dict)
    require_values: tuple[str, tuple[str, ...]] | None = None
    fixed: dict[str, str] = field(default_factory=dict)  # column -> value the row must have


def keep_columns(*names: str) -> dict[str, str]:
    """Value columns whose names are kept as the measure names."""
    return {n: "" for n in names}
