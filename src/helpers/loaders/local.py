"""A council's own monthly figures: the template, its checks and its loader.

The file is long: one row per month, measure and (optionally) team or
breakdown. Columns (any order, any case)::

    month      YYYY-MM (an Excel date or YYYY-MM-DD on the 1st also works)
    measure    an id from data/local_measures.yml, e.g. referrals
    value      the figure: a number (commas, a leading £ and a trailing % are allowed)
    team       optional: the team the figure is for; blank = the whole council
    breakdown  optional: e.g. the referral source or budget service line
    unit       optional: if given, must agree with the measure's unit
    note       optional: free text, kept with the row
    council    optional: the council the row is for (else the file's
               "# council: NAME" line, or the ``council`` argument)

:func:`validate_local` reads the whole file and reports *every* problem with
its row (as a spreadsheet shows it) and column; :func:`load_local` returns
the tidy table or raises one :class:`~helpers.errors.DataFileError` listing
the problems. Nothing is dropped silently: a file either loads whole or not
at all. Text is kept as text (a team called ``<script>`` stays that string);
escaping is the renderer's job.
"""

from __future__ import annotations

import csv
import datetime as _dt
import difflib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from ..safe_yaml import load_yaml_file

from .. import paths
from ..errors import ConfigError, DataFileError

__all__ = ["LocalMeasure", "DerivedMeasure", "LocalMeasures", "load_measures", "LocalProblem",
           "LocalValidation", "validate_local", "load_local", "write_local_template", "sniff_local",
           "LOCAL_COLUMNS", "REQUIRED_COLUMNS", "OPTIONAL_COLUMNS", "MAX_PROBLEMS_SHOWN"]

REQUIRED_COLUMNS = ("month", "measure", "value")
OPTIONAL_COLUMNS = ("team", "breakdown", "unit", "note", "council")
#: Columns of the frame :func:`load_local` returns.
LOCAL_COLUMNS = ["council", "month", "measure", "team", "breakdown", "value", "unit", "note", "source_row"]
#: How many problems the error message lists (all are in ``.problems``).
MAX_PROBLEMS_SHOWN = 50
EARLIEST_YEAR = 2000

UNITS = ("count", "fte", "headcount", "ratio", "days", "percent", "gbp")
_UNIT_WORDS = {
    "count": {"count", "number", "no", "n", "children", "cases"},
    "fte": {"fte", "full time equivalent", "full-time equivalent"},
    "headcount": {"headcount", "head count", "people", "count", "number"},
    "ratio": {"ratio", "cases per worker", "cases per social worker", "average"},
    "days": {"days", "day", "days per fte"},
    "percent": {"percent", "%", "percentage", "pct"},
    "gbp": {"gbp", "£", "pounds", "£s", "gbp (£)"},
}
_KINDS = ("flow", "stock")
_POLARITIES = ("higher_is_better", "lower_is_better", "context")
_MEASURE_KEYS = {"id", "label", "definition", "unit", "decimals", "polarity", "kind", "combine", "teams",
                 "breakdown", "breakdown_values", "min", "max"}
_DERIVED_KEYS = {"id", "label", "definition", "unit", "decimals", "polarity", "numerator", "denominator"}
#: Plausible range of one month's figure, by unit, where a measure states no
#: ``min``/``max`` of its own in data/local_measures.yml: far beyond any
#: council's real figure, so only a slip (a stray exponent, a pasted total)
#: is refused.
DEFAULT_BOUNDS = {"count": (0, 1e6), "headcount": (0, 1e5), "fte": (0, 1e5), "ratio": (0, 1e3),
                  "days": (0, 366), "percent": (0, 100), "gbp": (-1e11, 1e11)}
#: Local figures files larger than this are refused (a council's monthly
#: figures for ten years are well under 5 MB), and so is a workbook that
#: would unpack to more than MAX_LOCAL_UNZIPPED bytes.
MAX_LOCAL_BYTES = 20 * 1024 * 1024
MAX_LOCAL_UNZIPPED = 100 * 1024 * 1024


# --------------------------------------------------------------------------- the measures list

@dataclass(frozen=True)
class LocalMeasure:
    id: str
    label: str
    definition: str
    unit: str
    polarity: str
    kind: str
    combine: str = "sum"
    teams: bool = True
    breakdown: str | None = None
    breakdown_values: tuple[str, ...] = ()
    decimals: int = 0
    minimum: float | None = None
    maximum: float | None = None

    @property
    def bounds(self) -> tuple[float, float]:
        """(lowest, highest) plausible value: the measure's own, else its unit's."""
        lo, hi = DEFAULT_BOUNDS[self.unit]
        return (lo if self.minimum is None else self.minimum, hi if self.maximum is None else self.maximum)

    @property
    def is_flow(self) -> bool:
        return self.kind == "flow"

    def format_value(self, value, *, with_unit: bool = True) -> str:
        """'1,234', '16.4', '£2,310,000', '87.5%', '6.5 days'."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "n/a"
        text = f"{float(value):,.{self.decimals}f}"
        if not with_unit:
            return text
        if self.unit == "percent":
            return f"{text}%"
        if self.unit == "gbp":
            return f"£{text}" if float(value) >= 0 else f"-£{text[1:]}"
        if self.unit == "days":
            return f"{text} days"
        if self.unit == "fte":
            return f"{text} FTE"
        return text


@dataclass(frozen=True)
class DerivedMeasure(LocalMeasure):
    numerator: str = ""
    denominator: str = ""


@dataclass
class LocalMeasures:
    """The controlled list: ``measures[id]`` and ``derived[id]``."""
    measures: dict[str, LocalMeasure]
    derived: dict[str, DerivedMeasure]
    path: Path | None = None

    def __getitem__(self, key: str) -> LocalMeasure:
        if key in self.measures:
            return self.measures[key]
        if key in self.derived:
            return self.derived[key]
        near = difflib.get_close_matches(key, list(self.measures) + list(self.derived), n=3, cutoff=0.6)
        raise KeyError(f"no local measure {key!r}" + (f"; did you mean {', '.join(near)}?" if near else ""))

    def __contains__(self, key) -> bool:
        return key in self.measures or key in self.derived

    def ids(self) -> list[str]:
        return list(self.measures) + list(self.derived)

    def suggest(self, key: str) -> list[str]:
        key = str(key).strip().lower()
        ids = self.ids()
        by_label = {m.label.lower(): m.id for m in [*self.measures.values(), *self.derived.values()]}
        found = difflib.get_close_matches(key, ids, n=3, cutoff=0.6)
        found += [by_label[x] for x in difflib.get_close_matches(key, list(by_label), n=2, cutoff=0.6)]
        # "assessments" -> every assessments_* measure
        found += [i for i in ids if key and len(key) >= 4 and i.startswith(key.replace(" ", "_"))]
        return list(dict.fromkeys(found))[:4]


def default_measures_path() -> Path:
    here = paths.PROJECT_ROOT / "data" / "local_measures.yml"
    return here if here.exists() else paths.PACKAGE_DIR / "local_measures.yml"


_MEASURES_CACHE: dict = {}


def load_measures(path: str | Path | None = None) -> LocalMeasures:
    """Read and check ``data/local_measures.yml``; :class:`ConfigError` names
    the key that is wrong."""
    path = Path(path) if path is not None else default_measures_path()
    try:
        stamp = (str(path), path.stat().st_mtime_ns)
    except OSError:
        raise ConfigError(path, "the list of local measures is missing") from None
    if stamp in _MEASURES_CACHE:
        return _MEASURES_CACHE[stamp]
    doc = load_yaml_file(path, what="list of local measures")
    if not isinstance(doc, dict) or not isinstance(doc.get("measures"), list):
        raise ConfigError(path, "expected a 'measures:' list", key="measures")
    measures: dict[str, LocalMeasure] = {}
    for i, entry in enumerate(doc["measures"], start=1):
        m = _measure(path, entry, f"measures[{i}]", _MEASURE_KEYS)
        if m["id"] in measures:
            raise ConfigError(path, f"duplicate id {m['id']!r}", key=f"measures[{i}].id")
        values = tuple(str(v) for v in (entry.get("breakdown_values") or ()))
        measures[m["id"]] = LocalMeasure(
            id=m["id"], label=m["label"], definition=m["definition"], unit=m["unit"], polarity=m["polarity"],
            kind=m["kind"], combine=str(entry.get("combine", "sum")), teams=bool(entry.get("teams", True)),
            breakdown=entry.get("breakdown"), breakdown_values=values, decimals=int(entry.get("decimals", 0)),
            minimum=_bound(path, entry, f"measures[{i}]", "min"), maximum=_bound(path, entry, f"measures[{i}]", "max"))
    derived: dict[str, DerivedMeasure] = {}
    for i, entry in enumerate(doc.get("derived") or [], start=1):
        m = _measure(path, entry, f"derived[{i}]", _DERIVED_KEYS, derived=True)
        for part in ("numerator", "denominator"):
            if entry.get(part) not in measures:
                raise ConfigError(path, f"{part} {entry.get(part)!r} is not a measure", key=f"derived[{i}].{part}")
        derived[m["id"]] = DerivedMeasure(
            id=m["id"], label=m["label"], definition=m["definition"], unit=m["unit"], polarity=m["polarity"],
            kind="flow", combine="sum", teams=False, decimals=int(entry.get("decimals", 1)),
            numerator=entry["numerator"], denominator=entry["denominator"])
    out = LocalMeasures(measures, derived, path)
    _MEASURES_CACHE.clear()
    _MEASURES_CACHE[stamp] = out
    return out


def _bound(path, entry, where, key) -> float | None:
    v = entry.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise ConfigError(path, f"{key} must be a number, not {v!r}", key=f"{where}.{key}")
    return float(v)


def _measure(path, entry, where, allowed, derived=False) -> dict:
    if not isinstance(entry, dict):
        raise ConfigError(path, "each measure must be a mapping", key=where)
    unknown = sorted(set(map(str, entry)) - allowed)
    if unknown:
        raise ConfigError(path, f"unknown key(s) {', '.join(unknown)}", key=f"{where}.{unknown[0]}",
                          hint=f"Allowed keys: {', '.join(sorted(allowed))}")
    need = ("id", "label", "definition", "unit", "polarity") + (() if derived else ("kind",))
    for k in need:
        if not entry.get(k):
            raise ConfigError(path, "missing or empty", key=f"{where}.{k}")
    if entry["unit"] not in UNITS:
        raise ConfigError(path, f"unit {entry['unit']!r}", key=f"{where}.unit", hint=f"Use one of: {', '.join(UNITS)}")
    if entry["polarity"] not in _POLARITIES:
        raise ConfigError(path, f"polarity {entry['polarity']!r}", key=f"{where}.polarity",
                          hint=f"Use one of: {', '.join(_POLARITIES)}")
    if not derived and entry["kind"] not in _KINDS:
        raise ConfigError(path, f"kind {entry['kind']!r}", key=f"{where}.kind", hint="Use flow or stock")
    if not derived and entry.get("combine", "sum") not in ("sum", "mean"):
        raise ConfigError(path, f"combine {entry.get('combine')!r}", key=f"{where}.combine", hint="Use sum or mean")
    return {k: str(entry[k]) for k in need} | {"kind": str(entry.get("kind", "flow"))}


# --------------------------------------------------------------------------- problems and the result

@dataclass(frozen=True)
class LocalProblem:
    """One thing wrong with one cell (or the file): ``row`` is the line as a
    spreadsheet shows it (the header row is the first row after any ``#``
    lines), ``column`` the column's name."""
    row: int | None
    column: str | None
    message: str
    value: object = None
    hint: str = ""

    def text(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        out = (", ".join(where) + ": " if where else "") + self.message
        if self.value is not None:
            out += f" (value: {self.value!r})"
        if self.hint:
            out += f". {self.hint}"
        return out


@dataclass
class LocalValidation:
    """What :func:`validate_local` found.

    ``frame`` holds every row that passed (columns :data:`LOCAL_COLUMNS`);
    ``problems`` every problem; ``rows`` the number of data rows read
    (blank lines are not rows). ``valid_rows + rows with a problem == rows``.
    """
    path: Path
    rows: int = 0
    problems: list[LocalProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    frame: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LOCAL_COLUMNS))
    councils: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def valid_rows(self) -> int:
        return len(self.frame)

    @property
    def rows_with_problems(self) -> list[int]:
        return sorted({p.row for p in self.problems if p.row is not None})

    def error(self) -> DataFileError | None:
        """One DataFileError listing the first 50 problems and the count, or None."""
        if not self.problems:
            return None
        n = len(self.problems)
        shown = self.problems[:MAX_PROBLEMS_SHOWN]
        listing = "\n".join(f"  - {p.text()}" for p in shown)
        more = f"\n  ... and {n - len(shown)} more" if n > len(shown) else ""
        bad_rows = len(self.rows_with_problems)
        msg = (f"{n} problem{'s' if n != 1 else ''} in the local figures ({bad_rows} of {self.rows} rows "
               f"affected); nothing was loaded:\n{listing}{more}\n--")
        err = DataFileError(self.path, msg, hint="Correct the file and try again; docs/local-figures.md "
                                                 "describes each column and measure")
        err.problems = list(self.problems)
        return err

    def raise_for_problems(self) -> None:
        err = self.error()
        if err is not None:
            raise err

    def summary(self) -> str:
        if self.ok:
            return (f"{self.path.name}: {self.rows} rows, all valid; councils: {', '.join(self.councils) or '-'}"
                    + ("".join(f"\n  note: {w}" for w in self.warnings)))
        return str(self.error())


# --------------------------------------------------------------------------- reading

def _norm_header(text) -> str:
    return re.sub(r"\s+", " ", str(text if text is not None else "").replace("\ufeff", "")).strip().lower()


def _read_csv(path: Path) -> tuple[list[tuple[int, list[str]]], dict[str, str]]:
    """(line number, cells) for the header and every row, and the ``# key:
    value`` metadata lines above the header."""
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise DataFileError(path, "cannot be decoded as text", hint="Save it as CSV (UTF-8)")
    meta: dict[str, str] = {}
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header_seen = False
    try:
        for cells in reader:
            line = reader.line_num
            if not header_seen and cells and str(cells[0]).lstrip().startswith("#"):
                body = ",".join(cells).lstrip()[1:].strip()
                if ":" in body:
                    k, v = body.split(":", 1)
                    meta[k.strip().lower()] = v.strip()
                continue
            if not header_seen and not any(c.strip() for c in cells):
                continue
            header_seen = True
            rows.append((line, cells))
    except csv.Error as exc:
        raise DataFileError(path, f"is not a readable CSV file ({exc})", row=reader.line_num,
                            hint="Save it again as CSV from the spreadsheet") from None
    return rows, meta


def _excel_cell(v):
    if v is None:
        return ""
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return v if isinstance(v, (int, float)) else str(v)


def _read_xlsx(path: Path) -> tuple[list[tuple[int, list]], dict[str, str]]:
    import openpyxl
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise DataFileError(path, f"cannot be opened as an Excel workbook ({type(exc).__name__}: {exc})",
                            hint="Save it again as .xlsx, or as CSV") from None
    try:
        names = wb.sheetnames
        meta: dict[str, str] = {}
        about = next((n for n in names if n.strip().lower() in ("about", "metadata")), None)
        if about:
            for r in wb[about].iter_rows(values_only=True):
                if r and r[0] is not None and len(r) > 1 and r[1] is not None:
                    meta[str(r[0]).strip().rstrip(":").lower()] = str(r[1]).strip()
        sheet = next((n for n in names if n.strip().lower() in ("figures", "data", "local figures")), None)
        if sheet is None:
            sheet = next(n for n in names if n != about) if len(names) > 1 or not about else names[0]
        rows: list[tuple[int, list]] = []
        header_seen = False
        for i, r in enumerate(wb[sheet].iter_rows(values_only=True), start=1):
            cells = [_excel_cell(v) for v in (r or ())]
            if not header_seen:
                first = str(cells[0]).strip() if cells else ""
                if first.startswith("#"):
                    body = first[1:].strip()
                    if ":" in body:
                        k, v = body.split(":", 1)
                        meta[k.strip().lower()] = v.strip()
                    continue
                if not any(str(c).strip() for c in cells):
                    continue
            header_seen = True
            rows.append((i, cells))
        return rows, meta
    finally:
        wb.close()


def check_local_size(path: Path) -> None:
    """Refuse, before reading it, a local figures file that is missing, not
    a file, larger than MAX_LOCAL_BYTES, or a workbook that would unpack to
    more than MAX_LOCAL_UNZIPPED bytes (a zip bomb)."""
    if not path.exists():
        raise DataFileError(path, "no such file")
    if not path.is_file():
        raise DataFileError(path, "is not a file")
    size = path.stat().st_size
    if size > MAX_LOCAL_BYTES:
        raise DataFileError(path, f"is {size / 1e6:,.0f} MB, more than a council's monthly figures file holds "
                                  f"({MAX_LOCAL_BYTES / 1e6:,.0f} MB at most); not read",
                            hint="Check it is the right file; keep one file per council")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PK\x03\x04":
        from . import check_zip_members
        check_zip_members(path, MAX_LOCAL_UNZIPPED)


def _read(path: Path):
    check_local_size(path)
    if path.stat().st_size == 0:
        raise DataFileError(path, "the file is empty", hint="Start from `scrutiny template local PATH`")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if path.suffix.lower() in (".xls", ".ods"):
        raise DataFileError(path, f"{path.suffix} files are not read for local figures",
                            hint="Save the sheet as .xlsx or CSV")
    return _read_csv(path)


def _first_header(path: Path) -> list[str]:
    """The header cells (after any ``#`` lines), reading only the file's start."""
    check_local_size(path)
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PK\x03\x04":
        if path.suffix.lower() not in (".xlsx", ".xlsm"):
            return []
        import openpyxl
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for name in wb.sheetnames:
                if name.strip().lower() in ("about", "metadata"):
                    continue
                for i, r in enumerate(wb[name].iter_rows(values_only=True, max_row=60)):
                    cells = ["" if v is None else str(v) for v in (r or ())]
                    if cells and cells[0].strip().startswith("#") or not any(c.strip() for c in cells):
                        continue
                    return cells
                return []
            return []
        finally:
            wb.close()
    with open(path, "rb") as fh:
        text = fh.read(64 * 1024).decode("utf-8-sig", errors="replace")
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        return next(csv.reader([line]), [])
    return []


def sniff_local(path) -> bool:
    """True when the file's header has the local template's required columns
    (month, measure, value). Reads only the start of the file."""
    try:
        header = {_norm_header(c) for c in _first_header(Path(path))}
    except Exception:  # a damaged file is simply not a local figures file here
        return False
    return set(REQUIRED_COLUMNS) <= header


# --------------------------------------------------------------------------- cell checks

_MONTH_RE = re.compile(r"^\s*(\d{4})\s*[-/]\s*(\d{1,2})\s*$")
_DATE_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?\s*$")
_MONTH_NAMES = {m.lower(): i for i, m in enumerate(
    ["", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]) if m}


def _parse_month(v) -> tuple[_dt.date | None, str | None]:
    """(first day of the month, None) or (None, why not)."""
    if isinstance(v, (_dt.datetime, _dt.date)):
        d = v.date() if isinstance(v, _dt.datetime) else v
        return _dt.date(d.year, d.month, 1), None
    text = str(v).strip()
    if not text:
        return None, "is empty"
    m = _MONTH_RE.match(text) or _DATE_RE.match(text)
    if m is None:
        m2 = re.match(r"^\s*([A-Za-z]{3})[a-z]*[\s\-]+(\d{4})\s*$", text)   # "Jul 2024", "July-2024"
        if m2 and m2.group(1).lower() in _MONTH_NAMES:
            return _dt.date(int(m2.group(2)), _MONTH_NAMES[m2.group(1).lower()], 1), None
        return None, "is not a month in the form YYYY-MM"
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        return None, f"month {month} is out of range (1 to 12)"
    if year < EARLIEST_YEAR:
        return None, f"year {year} is before {EARLIEST_YEAR}"
    if m.re is _DATE_RE:
        try:
            _dt.date(year, month, int(m.group(3)))
        except ValueError:
            return None, "is not a real date"
    return _dt.date(year, month, 1), None


_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")


def _parse_number(v, unit: str | None) -> tuple[float | None, str | None]:
    if isinstance(v, bool):
        return None, "is TRUE/FALSE, not a number"
    if isinstance(v, (int, float)):
        f = float(v)
    else:
        text = str(v).strip()
        if not text:
            return None, "is empty"
        if "," in text and not _THOUSANDS.fullmatch(text.replace("\u00a3", "").replace(" ", "").rstrip("%")
                                                   .strip("()").lstrip("+-")):
            return None, "has a comma that is not a thousands separator (a decimal comma?)"
        t = text.replace(",", "").replace("\u00a3", "").replace(" ", "")
        if t.endswith("%"):
            t = t[:-1]
        if t.startswith("(") and t.endswith(")"):   # accounting negative
            t = "-" + t[1:-1]
        if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", t):
            return None, "is not a number"
        f = float(t)
    if not math.isfinite(f):
        return None, "is not a finite number"
    return f, None


def _number_hint(raw) -> str:
    text = str(raw).strip()
    if re.fullmatch(r"[-+]?\d+,\d+", text):
        return (f"Write {text.replace(',', '.')} with a full stop for the decimals (or {text.replace(',', '')} "
                f"if the comma separates thousands: then it needs three digits after it, as in 1,234)")
    return "Leave out a row with no figure; write numbers without words"


def _implausible(measure: LocalMeasure, value: float) -> tuple[str, str] | None:
    """(problem, hint) when ``value`` is outside the measure's plausible range."""
    lo, hi = measure.bounds
    if value < lo:
        if lo == 0:
            return f"is negative; {measure.id} cannot be below 0", "Check the sign"
        return f"is below {lo:,.0f}, the lowest plausible {measure.id}", "Check the figure"
    if value > hi:
        what = "a percentage" if measure.unit == "percent" else measure.id
        return (f"is over {hi:,.0f}, the highest plausible value for {what}",
                "Check the figure; if it is right, raise 'max' for the measure in data/local_measures.yml")
    if measure.unit in ("count", "headcount") and not float(value).is_integer():
        return f"{measure.id} is a count, so a whole number", "Round it, or check the column"
    return None


def _key(text) -> str:
    return re.sub(r"[\s\-]+", "_", str(text).strip().lower())


# --------------------------------------------------------------------------- validate

def validate_local(path, *, council: str | None = None, today: _dt.date | None = None,
                   measures: LocalMeasures | None = None) -> LocalValidation:
    """Check a local figures file (CSV or .xlsx) and report every problem.

    Reports, each with its row and column: missing required columns, unknown
    columns, an unknown measure (with "did you mean"), a month that is
    unparsable, out of range or in the future (after ``today``), a value
    that is empty, text, negative where the measure cannot be, not whole
    for a count or over 100 for a percent, a unit that disagrees with the
    measure, a team or breakdown the measure does not allow, and duplicate
    rows (same council, month, measure, team and breakdown). Never raises
    for problems in the rows: see :meth:`LocalValidation.raise_for_problems`.
    Raises :class:`DataFileError` only for a file that cannot be read at all.
    """
    path = Path(path)
    measures = measures or load_measures()
    today = today or _dt.date.today()
    this_month = _dt.date(today.year, today.month, 1)
    rows, meta = _read(path)
    result = LocalValidation(path=path, metadata=meta)
    problems = result.problems
    if not rows:
        problems.append(LocalProblem(None, None, "the file has no header row and no figures",
                                     hint="Start from `scrutiny template local PATH`"))
        return result
    header_line, header_cells = rows[0]
    names = [_norm_header(c) for c in header_cells]
    col: dict[str, int] = {}
    shown: dict[str, str] = {}
    for i, n in enumerate(names):
        if not n:
            continue
        if n in col:
            problems.append(LocalProblem(header_line, str(header_cells[i]).strip(), "the column appears twice"))
            continue
        col[n] = i
        shown[n] = str(header_cells[i]).strip()
    known_cols = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    for n in col:
        if n not in known_cols:
            near = difflib.get_close_matches(n, sorted(known_cols), n=1, cutoff=0.6)
            problems.append(LocalProblem(header_line, shown[n], "is not a column of the template",
                                         hint=(f"Did you mean '{near[0]}'? " if near else "")
                                         + f"Columns: {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}"))
    missing = [c for c in REQUIRED_COLUMNS if c not in col]
    for c in missing:
        problems.append(LocalProblem(header_line, c, "required column is missing",
                                     hint=f"The header row must have {', '.join(REQUIRED_COLUMNS)}; found "
                                          f"{', '.join(shown.values()) or 'no names'}"))
    file_council = (council or meta.get("council") or "").strip()
    data = rows[1:]
    if missing:
        result.rows = sum(1 for _, cells in data if any(str(c).strip() for c in cells))
        return result
    if file_council.upper() == "YOUR COUNCIL NAME":
        problems.append(LocalProblem(None, "council", "the template's placeholder council name is still there",
                                     hint="Replace 'YOUR COUNCIL NAME' in the '# council:' line with the council's name"))
    if "council" not in col and not file_council:
        problems.append(LocalProblem(None, "council", "the file does not say which council it is for",
                                     hint="Add a 'council' column, or a first line '# council: NAME'"))

    def cell(cells, name):
        i = col.get(name)
        if i is None or i >= len(cells):
            return ""
        v = cells[i]
        return v if not isinstance(v, str) else v.strip()

    good: list[dict] = []
    seen: dict[tuple, int] = {}
    for line, cells in data:
        if not any(str(c).strip() for c in cells):
            continue   # a blank line is not a row
        result.rows += 1
        before = len(problems)
        row_council = str(cell(cells, "council")).strip() or file_council
        if "council" in col and not row_council:
            problems.append(LocalProblem(line, "council", "is empty",
                                         hint="Give the council's name, or remove the column and add '# council: NAME'"))
        # measure
        raw_measure = cell(cells, "measure")
        mkey = _key(raw_measure)
        measure = measures.measures.get(mkey)
        if not str(raw_measure).strip():
            problems.append(LocalProblem(line, shown["measure"], "is empty",
                                         hint=f"Use one of: {', '.join(measures.measures)}"))
        elif measure is None:
            near = measures.suggest(mkey)
            derived = mkey in measures.derived
            problems.append(LocalProblem(
                line, shown["measure"], "is a figure the pack works out, not one to send" if derived
                else "is not a known measure", value=raw_measure,
                hint=(f"Send {measures.derived[mkey].numerator} and {measures.derived[mkey].denominator} instead"
                      if derived else (f"Did you mean {' or '.join(repr(s) for s in near)}?" if near else
                                       f"Use one of: {', '.join(measures.measures)}"))))
        # month
        month, why = _parse_month(cell(cells, "month"))
        if why:
            problems.append(LocalProblem(line, shown["month"], why, value=cell(cells, "month") or None,
                                         hint="Write the month as YYYY-MM, e.g. 2025-07"))
        elif month > this_month:
            problems.append(LocalProblem(line, shown["month"], f"is in the future (after {this_month:%B %Y})",
                                         value=cell(cells, "month"), hint="Check the year"))
        # value
        raw_value = cell(cells, "value")
        value, why = _parse_number(raw_value, measure.unit if measure else None)
        if why:
            problems.append(LocalProblem(line, shown["value"], why, value=raw_value if raw_value != "" else None,
                                         hint=_number_hint(raw_value)))
        elif measure is not None:
            problem = _implausible(measure, value)
            if problem:
                problems.append(LocalProblem(line, shown["value"], problem[0], value=raw_value, hint=problem[1]))
        # unit
        raw_unit = str(cell(cells, "unit")).strip()
        if raw_unit and measure is not None and raw_unit.lower() not in _UNIT_WORDS[measure.unit] \
                and raw_unit.lower() != measure.unit:
            problems.append(LocalProblem(line, shown.get("unit", "unit"),
                                         f"does not match {measure.id}, which is in {measure.unit}",
                                         value=raw_unit, hint="Leave the unit blank or correct it"))
        # team and breakdown
        team = str(cell(cells, "team")).strip()
        breakdown_raw = str(cell(cells, "breakdown")).strip()
        breakdown = breakdown_raw
        if measure is not None:
            if team and not measure.teams:
                problems.append(LocalProblem(line, shown.get("team", "team"),
                                             f"{measure.id} is a council-wide figure, not given by team",
                                             value=team, hint="Leave the team blank"))
            if breakdown_raw:
                if not measure.breakdown:
                    problems.append(LocalProblem(line, shown.get("breakdown", "breakdown"),
                                                 f"{measure.id} has no breakdown", value=breakdown_raw,
                                                 hint="Leave the breakdown blank"))
                elif measure.breakdown_values:
                    bkey = _key(breakdown_raw)
                    aliases = {"la_service": "la_services", "local_authority_services": "la_services",
                               "health_services": "health", "school": "schools", "education": "schools",
                               "other_legal_agencies": "other_legal_agency"}
                    bkey = aliases.get(bkey, bkey)
                    if bkey in measure.breakdown_values:
                        breakdown = bkey
                    else:
                        near = difflib.get_close_matches(bkey, list(measure.breakdown_values), n=2, cutoff=0.6)
                        problems.append(LocalProblem(
                            line, shown.get("breakdown", "breakdown"),
                            f"is not a {measure.breakdown} for {measure.id}", value=breakdown_raw,
                            hint=(f"Did you mean {' or '.join(repr(s) for s in near)}? " if near else "")
                            + f"Use one of: {', '.join(measure.breakdown_values)}"))
        # duplicates (only among rows whose key is readable)
        if measure is not None and month is not None:
            k = (row_council.lower(), month, measure.id, team.lower(), breakdown.lower())
            if k in seen:
                problems.append(LocalProblem(line, None, f"repeats row {seen[k]}: same month, measure, team and "
                                                         f"breakdown", value=None,
                                             hint="Keep one of the two rows"))
            else:
                seen[k] = line
        if len(problems) == before:
            good.append({"council": row_council, "month": pd.Timestamp(month), "measure": measure.id,
                         "team": team, "breakdown": breakdown, "value": float(value), "unit": measure.unit,
                         "note": str(cell(cells, "note")), "source_row": line})
    if result.rows == 0:
        problems.append(LocalProblem(None, None, "the file has a header but no figures",
                                     hint="Add one row per month and measure"))
    frame = pd.DataFrame(good, columns=LOCAL_COLUMNS)
    frame["month"] = pd.to_datetime(frame["month"])
    frame["value"] = frame["value"].astype(float)
    result.frame = frame
    result.councils = list(dict.fromkeys(frame["council"])) if len(frame) else (
        [file_council] if file_council else [])
    result.warnings.extend(_consistency_warnings(frame, measures))
    return result


def _consistency_warnings(frame: pd.DataFrame, measures: LocalMeasures) -> list[str]:
    """Things worth a look that are not errors: breakdowns that do not add up
    to a council total given alongside them; within-45-days above completed;
    gaps in a measure's run of months."""
    out = []
    if frame.empty:
        return out
    for (council, mid), g in frame.groupby(["council", "measure"], sort=False):
        m = measures.measures[mid]
        months = g["month"].drop_duplicates().sort_values()
        full = pd.date_range(months.iloc[0], months.iloc[-1], freq="MS")
        gaps = len(full) - len(months)
        if gaps:
            out.append(f"{council}: {mid} has {gaps} month{'s' if gaps > 1 else ''} missing between "
                       f"{months.iloc[0]:%b %Y} and {months.iloc[-1]:%b %Y}; charts show them as gaps")
        if m.combine == "sum" and m.breakdown:
            whole = g[(g["team"] == "") & (g["breakdown"] == "")].set_index("month")["value"]
            parts = g[(g["team"] == "") & (g["breakdown"] != "")].groupby("month")["value"].sum()
            both = whole.index.intersection(parts.index)
            off = [mo for mo in both if abs(whole[mo] - parts[mo]) > 0.5]
            if off:
                out.append(f"{council}: the {m.breakdown} rows of {mid} do not add up to its council total in "
                           f"{len(off)} month(s), first {off[0]:%b %Y}; the council total is used")
    wide = frame[(frame["team"] == "") & (frame["breakdown"] == "")]
    for council, g in wide.groupby("council"):
        w = g[g["measure"] == "assessments_within_45_days"].set_index("month")["value"]
        c = g[g["measure"] == "assessments_completed"].set_index("month")["value"]
        both = w.index.intersection(c.index)
        over = [mo for mo in both if w[mo] > c[mo]]
        if over:
            out.append(f"{council}: assessments within 45 days exceed assessments completed in {len(over)} "
                       f"month(s), first {over[0]:%b %Y}")
    return out


def load_local(path, *, council: str | None = None, today: _dt.date | None = None) -> pd.DataFrame:
    """The figures as a tidy table, or :class:`DataFileError` listing every problem.

    Columns: council, month (Timestamp, first of the month), measure, team
    ("" for the whole council), breakdown ("" for none), value (float),
    unit, note, source_row (the row in the file). The council comes from
    a ``council`` column, else the file's ``# council:`` line, else the
    ``council`` argument. ``frame.attrs`` carries the file's path,
    metadata and warnings.
    """
    v = validate_local(path, council=council, today=today)
    v.raise_for_problems()
    frame = v.frame.sort_values(["council", "measure", "team", "breakdown", "month"], kind="stable")
    frame = frame.reset_index(drop=True)
    frame.attrs.update({"path": str(path), "metadata": dict(v.metadata), "warnings": list(v.warnings)})
    return frame


# --------------------------------------------------------------------------- the template

def _template_comment_lines(measures: LocalMeasures) -> list[str]:
    lines = ["# council: YOUR COUNCIL NAME",
             "# Local monthly figures for a scrutiny pack. One row per month, measure and (optionally) team",
             "# or breakdown. month is YYYY-MM. Leave team and breakdown blank for the whole council.",
             "# Lines starting with # are read only for 'council:'; see docs/local-figures.md.",
             "# Measures:"]
    for m in measures.measures.values():
        extra = f"; breakdown by {m.breakdown}" if m.breakdown else ""
        if m.breakdown_values:
            extra += f" ({', '.join(m.breakdown_values)})"
        lines.append(f"#   {m.id}: {m.label} ({m.unit}, {'monthly count' if m.is_flow else 'month end'}{extra})")
    return lines


def write_local_template(path) -> Path:
    """Write a blank template: CSV (header, with ``#`` guidance lines naming
    every measure) or, for a ``.xlsx`` path, a workbook with a ``figures``
    sheet (the header) and an ``about`` sheet (council name and the
    measures). Refuses to overwrite an existing file."""
    path = Path(path)
    if path.exists():
        raise DataFileError(path, "already exists; the template is not written over it",
                            hint="Choose a new file name")
    measures = load_measures()
    header = ["month", "measure", "team", "breakdown", "value", "unit", "note"]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        import openpyxl
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "figures"
        ws.append(header)
        ws.freeze_panes = "A2"
        about = wb.create_sheet("about")
        about.append(["council", "YOUR COUNCIL NAME"])
        about.append([])
        about.append(["measure", "label", "unit", "kind", "breakdown", "allowed breakdown values"])
        for m in measures.measures.values():
            about.append([m.id, m.label, m.unit, "monthly count" if m.is_flow else "month end",
                          m.breakdown or "", ", ".join(m.breakdown_values)])
        wb.save(path)
        return path
    buf = io.StringIO(newline="")
    for line in _template_comment_lines(measures):
        buf.write(line + "\n")
    csv.writer(buf, lineterminator="\n").writerow(header)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path
