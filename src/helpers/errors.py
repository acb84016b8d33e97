"""Error types. Each carries what a user needs to act: the file, the row, the
column or parameter, the value received and what to do next."""

from __future__ import annotations

from pathlib import Path


class ScrutinyError(Exception):
    """Base class for every error the package raises on purpose."""


class DataFileError(ScrutinyError):
    """A data file cannot be read or does not hold what it should.

    ``row`` is the 1-based line number in the file as a spreadsheet or text
    editor shows it (the header is line 1), so a user can go straight to it.
    """

    def __init__(self, path, message: str, *, row: int | None = None,
                 column: str | None = None, value: object | None = None,
                 hint: str | None = None):
        self.path = Path(path) if path is not None else None
        self.row = row
        self.column = column
        self.value = value
        self.hint = hint
        self.detail = message
        where = [str(self.path)] if self.path is not None else []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        text = ", ".join(where)
        text = f"{text}: {message}" if text else message
        if value is not None:
            text += f" (value: {value!r})"
        if hint:
            text += f". {hint}"
        super().__init__(text)


class UnknownLayoutError(DataFileError):
    """A file whose columns match no known publication."""


class ConfigError(ScrutinyError):
    """A YAML configuration file (catalogue, sources, comparator groups, run
    file, targets) is invalid."""

    def __init__(self, path, message: str, *, key: str | None = None, hint: str | None = None):
        self.path = Path(path) if path is not None else None
        self.key = key
        where = str(self.path) if self.path is not None else "configuration"
        if key:
            where += f", key '{key}'"
        text = f"{where}: {message}"
        if hint:
            text += f". {hint}"
        super().__init__(text)


class UnknownCouncilError(ScrutinyError):
    """A council name or code that matches no area, with suggestions."""

    def __init__(self, given: str, suggestions: list[str] | None = None):
        self.given = given
        self.suggestions = suggestions or []
        text = f"No council matches {given!r}."
        if self.suggestions:
            text += " Did you mean: " + ", ".join(self.suggestions) + "?"
        else:
            text += " Run 'scrutiny councils' to list every council with its code."
        super().__init__(text)


class UnknownIndicatorError(ScrutinyError):
    def __init__(self, given: str, suggestions: list[str] | None = None):
        self.given = given
        self.suggestions = suggestions or []
        text = f"No indicator has the id {given!r}."
        if self.suggestions:
            text += " Did you mean: " + ", ".join(self.suggestions) + "?"
        else:
            text += " Run 'scrutiny indicators' to list the catalogue."
        super().__init__(text)


class ParameterError(ScrutinyError):
    """A notebook or build parameter is invalid. Names the parameter, the rule
    and the value received."""

    def __init__(self, name: str, message: str, value: object | None = None):
        self.name = name
        self.value = value
        text = f"Parameter '{name}': {message}"
        if value is not None:
            text += f" (received {value!r})"
        super().__init__(text)


class FetchError(ScrutinyError):
    """A download failed (offline, HTTP error, checksum mismatch)."""


class PackBuildError(ScrutinyError):
    """Building a pack failed; carries the council and the cause."""
