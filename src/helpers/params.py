"""The one parameter model and validator: notebooks, the command line, run
files and batches check their parameters here, with the same rules and the
same words.

Two layers:

* **Form** (:func:`check_run`, :func:`check_notebook`): types, lengths,
  characters, dates, periods, section and format names, that the files
  named exist. No data is read. :func:`check_run` collects *every* problem
  of a run rather than stopping at the first, so a run file reports all its
  mistakes at once.
* **Against the data** (:func:`period_held`, and
  :func:`helpers.build.preflight.check_runs` for whole runs): that the
  period is one the data holds, the council exists, the neighbour model is
  held, the sections have notebooks and the comparator group can be used.
  Batches do this for every run before any kernel starts.

Periods are accepted as DfE writes them: ``2025``, ``"2025"``, ``"2024-25"``,
``"2024/25"``, ``"2024-2025"`` and ``"202425"`` all mean the year ending
2025, which is how packs name a period.

    >>> parse_period("2024-25")
    2025
    >>> check_run({"council": "Devon", "period": "202425"})[0].period
    2025
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Mapping

from .errors import ConfigError, ParameterError, ScrutinyError, UnknownCouncilError

FORMATS = ("html", "pdf")
COMPARATOR_KEYWORDS = ("statistical neighbours", "region")
DEFAULT_COMMITTEE = "Children and Young People Overview and Scrutiny Committee"
#: Longest text each parameter takes (a name that long is a mistake or an attack).
MAX_TEXT = {"council": 100, "comparator": 100, "committee": 200, "data": 1000, "comparators_file": 1000,
            "local_figures": 1000, "targets_file": 1000}
FIRST_YEAR, LAST_YEAR = 1990, 2100

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SECTION_NAME = re.compile(r"^[A-Za-z0-9_]{1,60}$")
PERIOD_HELP = ("a year such as 2025, or a period as DfE writes it: 2024-25 or 202425 "
               "(each the year ending 2025)")


class ParameterErrors(ScrutinyError):
    """Several parameter problems, reported together (one a line)."""

    def __init__(self, errors: list[ScrutinyError], where: str = ""):
        self.errors = list(errors)
        head = f"{where}: " if where else ""
        if len(self.errors) == 1:
            text = f"{head}{self.errors[0]}"
        else:
            text = f"{head}{len(self.errors)} problems:\n" + "\n".join(f"  - {e}" for e in self.errors)
        super().__init__(text)


# ------------------------------------------------------------------ one value

def _type_name(value) -> str:
    return type(value).__name__


def parse_period(value, name: str = "period") -> int | None:
    """The year a period ends, from any way DfE or a user writes it; None
    for "the latest". ParameterError names anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ParameterError(name, f"must be {PERIOD_HELP}, or None for the latest", value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, (int, str)) and type(value).__name__.startswith(("int", "uint")):
        value = int(value)  # numpy integers
    if isinstance(value, int):
        # 202425 unquoted in YAML or a spreadsheet is a number: DfE's time_period
        year = _year_from_text(str(value), name, value) if 100000 <= value <= 999999 else value
    elif isinstance(value, str):
        year = _year_from_text(value.strip(), name, value)
    else:
        raise ParameterError(name, f"must be {PERIOD_HELP}, or None for the latest; not {_type_name(value)}", value)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ParameterError(name, f"must be a year between {FIRST_YEAR} and {LAST_YEAR}", value)
    return year


def _year_from_text(text: str, name: str, raw) -> int:
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    m = (re.fullmatch(r"(\d{4})\s*[-/]\s*(\d{2}|\d{4})", text) or re.fullmatch(r"(\d{4})(\d{2})", text))
    if m:
        start, end = int(m.group(1)), m.group(2)
        following = (start + 1) % 100 if len(end) == 2 else start + 1
        if int(end) == following:
            return start + 1
        raise ParameterError(name, f"{text!r} is not one year: DfE periods run one year, e.g. "
                                   f"{start}-{(start + 1) % 100:02d} (the year ending {start + 1})", raw)
    raise ParameterError(name, f"must be {PERIOD_HELP}", raw)


def check_text(name: str, value, *, allow_int: bool = False, required: bool = False) -> str:
    """A text parameter: a string (or an int where a code is allowed), at
    most MAX_TEXT[name] characters, no control characters or line breaks."""
    if isinstance(value, os.PathLike):
        value = str(value)
    if isinstance(value, bool) or not (isinstance(value, str) or (allow_int and isinstance(value, int))):
        raise ParameterError(name, f"must be text, not {_type_name(value)}", value)
    text = str(value).strip()
    if len(text) > MAX_TEXT.get(name, 200):
        raise ParameterError(name, f"must be at most {MAX_TEXT.get(name, 200)} characters", text[:40] + "...")
    if _CONTROL.search(text):
        raise ParameterError(name, "must not contain control characters or line breaks", text)
    if required and not text:
        raise ParameterError(name, "is empty: give a council name, DfE LA number or ONS code, e.g. \"Devon\"")
    return text


def check_council(value) -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ParameterError("council", f"must be text (a council name, DfE LA number or ONS code), "
                                        f"not {_type_name(value)}", value)
    return check_text("council", value, allow_int=True, required=True)


def check_date(value, name: str = "meeting_date") -> str:
    """"" or a real date written YYYY-MM-DD (a date object is accepted)."""
    if value is None:
        return ""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if not isinstance(value, str):
        raise ParameterError(name, f"must be text in the form YYYY-MM-DD (or \"\"), not {_type_name(value)}", value)
    text = value.strip()
    if not text:
        return ""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ParameterError(name, "must be a date in the form YYYY-MM-DD, e.g. \"2025-11-20\" (or \"\" for none)",
                             value)
    try:
        _dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ParameterError(name, f"{text!r} is not a real date ({exc}); write a real date as YYYY-MM-DD",
                             value) from None
    return text


def check_file(name: str, value, *, what: str, folder_ok: bool = False, keywords=()) -> str:
    """"" or the path of an existing file (or folder where ``folder_ok``),
    or one of ``keywords`` (such as "demo")."""
    if value is None:
        return ""
    text = check_text(name, value)
    if not text or text in keywords:
        return text
    path = Path(text)
    if not (path.is_file() or (folder_ok and path.is_dir())):
        raise ParameterError(name, f"no {'file or folder' if folder_ok else 'file'} has that path; give {what}, "
                                   f"or \"\" for none", text)
    return text


def check_folder(name: str, value, *, what: str) -> str:
    """"" or the path of an existing folder."""
    if value is None:
        return ""
    text = check_text(name, value)
    if text and not Path(text).is_dir():
        raise ParameterError(name, f"no folder has that path; give {what}, or \"\" for none", text)
    return text


def check_data(value) -> str:
    if value is None:
        return "official"
    if isinstance(value, os.PathLike):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ParameterError("data", "must be 'demo', 'official' or the path of a folder of releases", value)
    text = check_text("data", value)
    if text not in ("demo", "official") and not Path(text).is_dir():
        raise ParameterError("data", "is not 'demo' or 'official', and no folder has that path. Use 'demo', "
                                     "'official' (data/raw) or a folder of official releases", text)
    return text


def check_comparator(value, comparators_file: str = "") -> str:
    """'statistical neighbours', 'region' (any case) or a group named in
    ``comparators_file`` (checked to be there when the file is given)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "statistical neighbours"
    if not isinstance(value, str):
        raise ParameterError("comparator", "must be text: 'statistical neighbours', 'region' or the name of a "
                                           "group in comparators_file", value)
    text = check_text("comparator", value)
    if text.lower() in COMPARATOR_KEYWORDS:
        return text.lower()
    if not comparators_file:
        raise ParameterError("comparator", "must be 'statistical neighbours' or 'region' (or the name of a group "
                                           "in comparators_file, which is empty)", text)
    from .neighbours import load_comparator_groups
    groups = load_comparator_groups(comparators_file)
    if text not in set(groups["group"]) | set(groups["label"]):
        allowed = ", ".join(repr(a) for a in [*COMPARATOR_KEYWORDS, *dict.fromkeys(groups["group"])])
        raise ParameterError("comparator", f"no group of that name in {comparators_file}. Allowed values: "
                                           f"{allowed}", text)
    return text


def check_sections(value) -> tuple[str, ...] | None:
    """Section names (a list, or text separated by commas); None for all."""
    if value is None:
        return None
    items = [s for s in re.split(r"[,\s]+", value) if s] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(x, str) and _SECTION_NAME.match(x) for x in items):
        raise ParameterError("sections", "must be section names (letters, digits, underscores), e.g. "
                                         "[summary, workforce]", value)
    return tuple(dict.fromkeys(items)) or None


def check_formats(value) -> tuple[str, ...]:
    """Output formats: html, pdf or both (a list, or text separated by commas)."""
    if value is None:
        return FORMATS
    items = [f for f in re.split(r"[,\s]+", value) if f] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(f, str) for f in items):
        raise ParameterError("format", f"must be one or more of {', '.join(FORMATS)}", value)
    out = tuple(dict.fromkeys(f.strip().lower() for f in items))
    if not out or any(f not in FORMATS for f in out):
        raise ParameterError("format", f"must be one or more of {', '.join(FORMATS)}", ",".join(map(str, items)))
    return out


def check_neighbours(value) -> str:
    from .neighbours import check_model_parameter
    return check_model_parameter(value)


def check_timeout(value) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 24 * 3600:
        raise ParameterError("timeout", "must be a number of seconds between 1 and 86400", value)
    return value


# ------------------------------------------------------------------ a notebook's parameters

@dataclass(frozen=True)
class NotebookParameters:
    """A section notebook's parameters, checked."""
    council: str
    period: int | None = None
    comparator: str = "statistical neighbours"
    committee: str = DEFAULT_COMMITTEE
    meeting_date: str = ""
    data: str = "demo"
    comparators_file: str = ""
    neighbours: str = ""     # statistical neighbour model: "" the newest held, or a year such as "2021"
    pack_spec: str | None = ""   # pack specification: "" pack.yml beside the notebook, None for none
    commentary: str | None = ""  # officer commentary folder: "" the usual one, None for none

    @property
    def meeting_day(self) -> _dt.date | None:
        return _dt.date.fromisoformat(self.meeting_date) if self.meeting_date else None


def check_notebook(council, period=None, comparator="statistical neighbours", committee=DEFAULT_COMMITTEE,
                   meeting_date="", data="demo", comparators_file="", neighbours="", pack_spec="",
                   commentary="") -> NotebookParameters:
    """Check a notebook's parameters' types and forms (not yet against the
    data). Raises the ParameterError, or ParameterErrors when there are several.

    council           a council name, DfE LA number or ONS code (a number such
                      as 878 is read as a DfE LA number)
    period            None (latest) or the year the period ends: 2025, "2024-25" or 202425
    comparator        "statistical neighbours", "region" or a group name in
                      ``comparators_file``
    committee         the committee's name, printed on the pages
    meeting_date      "" or the meeting date as YYYY-MM-DD
    data              "demo", "official" or a folder of releases
    comparators_file  "" or a YAML file of comparator groups
    neighbours        "" (the newest statistical neighbour model held) or a
                      model's year, e.g. "2021"
    pack_spec         "" (pack.yml beside the notebook), a specification file or None
    commentary        "" (commentary/ there), a folder of officer commentary or None
    """
    if not isinstance(committee, str):
        raise ParameterError("committee", f"must be text, not {_type_name(committee)}", committee)
    run, errors = check_run(dict(council=council, period=period, comparator=comparator, committee=committee,
                                 meeting_date=meeting_date, comparators_file=comparators_file,
                                 neighbours=neighbours))
    try:
        data = check_data(data)
    except ParameterError as exc:
        errors.append(exc)
    paths = {}
    for name, value, kind in (("pack_spec", pack_spec, "file"), ("commentary", commentary, "folder")):
        try:
            paths[name] = _optional_path(name, value, kind)
        except ParameterError as exc:
            errors.append(exc)
    raise_all(errors)
    return NotebookParameters(council=run.council, period=run.period, comparator=run.comparator,
                              committee=run.committee, meeting_date=run.meeting_date, data=data,
                              comparators_file=run.comparators_file, neighbours=run.neighbours, **paths)


def _optional_path(name: str, value, kind: str) -> str | None:
    """A path parameter: "" (look in the usual place), None (none) or a path that exists."""
    if value is None or value == "":
        return value
    if isinstance(value, os.PathLike):
        value = str(value)
    if not isinstance(value, str):
        raise ParameterError(name, f"must be the path of a {kind}, \"\" or None, not {_type_name(value)}", value)
    found = Path(value.strip())
    if not (found.is_file() if kind == "file" else found.is_dir()):
        raise ParameterError(name, f"no {kind} has that path; give one, \"\" for the usual place or None for none",
                             value)
    return str(found)


def raise_all(errors: list, where: str = "") -> None:
    """Raise the one problem as it is, or several together (ParameterErrors)."""
    if len(errors) == 1 and not where:
        raise errors[0]
    if errors:
        raise ParameterErrors(errors, where)


# ------------------------------------------------------------------ one run

@dataclass(frozen=True)
class Run:
    """Everything one pack build is asked for, checked in form: the unit of
    a batch, a run file's entry and a ``scrutiny build --council`` call."""
    council: str
    period: int | None = None
    comparator: str = "statistical neighbours"
    committee: str = ""
    meeting_date: str = ""
    sections: tuple | None = None
    formats: tuple = FORMATS
    comparators_file: str = ""
    local_figures: str = ""
    targets_file: str = ""
    neighbours: str = ""          # statistical neighbour model year; "" for the newest held
    spec: str = ""                # pack specification (YAML); "" for pack.yml beside the notebooks
    commentary: str = ""          # officer commentary folder; "" for the usual one

    def describe(self) -> str:
        """A short label for logs: the council and what is not the default."""
        parts = [str(self.council)]
        if self.period:
            parts.append(str(self.period))
        if self.sections:
            parts.append("sections " + ",".join(self.sections))
        if tuple(self.formats) != FORMATS:
            parts.append(",".join(self.formats) + " only")
        if self.comparator != "statistical neighbours":
            parts.append(f"against {self.comparator}")
        return " ".join(parts)


RUN_KEYS = tuple(f.name for f in fields(Run))
#: Other spellings a run file may use.
_ALIASES = {"format": "formats", "la": "council", "date": "meeting_date"}

_CHECKS = {
    "council": check_council,
    "period": parse_period,
    "committee": lambda v: check_text("committee", "" if v is None else v),
    "meeting_date": check_date,
    "sections": check_sections,
    "formats": check_formats,
    "neighbours": check_neighbours,
    "comparators_file": lambda v: check_file("comparators_file", v, what="the YAML file of comparator groups"),
    "local_figures": lambda v: check_file("local_figures", v, what="the council's own figures (a file or folder), "
                                          "or 'demo'", folder_ok=True, keywords=("demo",)),
    "targets_file": lambda v: check_file("targets_file", v, what="the YAML file of the council's targets"),
    "spec": lambda v: check_file("spec", v, what="the pack specification (YAML)"),
    "commentary": lambda v: check_folder("commentary", v, what="the folder of officer commentary"),
}


def check_run(values: Mapping, *, base: Run | None = None, need_council: bool = True) -> tuple[Run | None, list]:
    """Check every value of one run (keys as in :class:`Run`; ``format``
    is taken for ``formats``), on top of ``base``. Returns the run (None when
    anything is wrong) and the list of every problem found, each a
    ParameterError naming its parameter."""
    errors: list[ScrutinyError] = []
    values = {_ALIASES.get(k, k): v for k, v in values.items()}
    unknown = sorted(set(map(str, values)) - set(RUN_KEYS))
    for key in unknown:
        errors.append(ParameterError(key, f"is not a parameter of a run; parameters: {', '.join(RUN_KEYS)}"))
    out = asdict(base if base is not None else Run(council=""))
    for key, check in _CHECKS.items():
        if key in values:
            try:
                out[key] = check(values[key])
            except ParameterError as exc:
                errors.append(exc)
                out[key] = None
    if ("comparator" in values or "comparators_file" in values) and out.get("comparators_file") is not None:
        try:
            out["comparator"] = check_comparator(values.get("comparator", out.get("comparator")),
                                                 out.get("comparators_file") or "")
        except ScrutinyError as exc:  # no such group, or a comparators file that cannot be read
            errors.append(exc)
    if need_council and not out.get("council") and not any(getattr(e, "name", "") == "council" for e in errors):
        errors.append(ParameterError("council", "is required: a council name, DfE LA number or ONS code"))
    if errors:
        return None, errors
    return Run(**out), []


def check(**values) -> Run:
    """One run from keyword arguments; raises the problem (or every problem)."""
    run, errors = check_run(values)
    raise_all(errors)
    return run


def with_defaults(run: Run, **defaults) -> Run:
    """``run`` with the given values where it has the default."""
    blank = Run(council="")
    return replace(run, **{k: v for k, v in defaults.items() if getattr(run, k) == getattr(blank, k)})


# ------------------------------------------------------------------ run files

class RunFileErrors(ConfigError):
    """Every problem of a run file, each naming the file and the key
    (``runs[2].meeting_date``)."""

    def __init__(self, path: Path, problems: list[tuple[str, str]]):
        self.path = Path(path)
        self.problems = problems
        self.key = problems[0][0] if problems else None
        lines = [f"key '{key}': {text}" if key else text for key, text in problems]
        if len(lines) == 1:
            message = f"{path}, {lines[0]}"
        else:
            message = f"{path}: {len(lines)} problems, none built:\n" + "\n".join(f"  - {line}" for line in lines)
        ScrutinyError.__init__(self, message)


def _problem(where: str, exc: ScrutinyError) -> tuple[str, str]:
    name = getattr(exc, "name", None)
    detail = getattr(exc, "detail", None) or str(exc)
    if name:
        detail = re.sub(rf"^Parameter '{re.escape(name)}': ", "", str(exc))
        return f"{where}.{name}", detail
    return where, str(exc)


def runs_from_file(path, defaults: Run | None = None) -> list[Run]:
    """Read and check a YAML run file: ``runs:`` (a list of mappings, each
    with at least ``council:``) and optional ``defaults:`` applied to every
    run. Every problem in the file is reported at once (RunFileErrors)."""
    runs, problems = read_run_file(path, defaults)
    if problems:
        raise RunFileErrors(Path(path), problems)
    return [run for _, run in runs]


def read_run_file(path, defaults: Run | None = None) -> tuple[list[tuple[int, Run]], list[tuple[str, str]]]:
    """(the runs whose values are all good, each with its place in the
    file; every problem as (key, text)). A file that cannot be read as a
    run file at all raises ConfigError."""
    from .safe_yaml import load_yaml_file
    path = Path(path)
    doc = load_yaml_file(path, what="run file", dates_as_text=True)  # bad dates are reported with the rest
    if isinstance(doc, list):
        doc = {"runs": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("runs"), list) or not doc["runs"]:
        raise RunFileErrors(path, [("runs", "a run file needs a non-empty 'runs:' list. Each run is a mapping "
                                            "with at least 'council:'")])
    problems = [("", f"unknown top-level key '{k}'; use 'defaults:' and 'runs:'")
                for k in sorted(set(map(str, doc)) - {"runs", "defaults"})]
    base = defaults or Run(council="")
    file_defaults = doc.get("defaults") or {}
    if not isinstance(file_defaults, dict):
        problems.append(("defaults", "must be a mapping of parameters, e.g. 'committee: People Scrutiny'"))
    else:
        checked, errors = check_run(_beside(path, file_defaults), base=base, need_council=False)
        problems += [_problem("defaults", e) for e in errors]
        base = checked or base
    runs = []
    for i, entry in enumerate(doc["runs"]):
        where = f"runs[{i}]"
        if not isinstance(entry, dict):
            problems.append((where, "each run must be a mapping such as {council: Dorset}"))
            continue
        run, errors = check_run(_beside(path, entry), base=replace(base, council=""))
        problems += [_problem(where, e) for e in errors]
        if run is not None:
            runs.append((i, run))
    return runs, problems


#: Run-file keys that name a file or folder: a relative path is read from the run file's folder.
PATH_KEYS = ("comparators_file", "local_figures", "targets_file", "spec", "commentary")


def _beside(run_file: Path, entry: dict) -> dict:
    """``entry`` with its relative paths taken from the run file's folder
    (so a run file and the files it names move together)."""
    out = dict(entry)
    for key in PATH_KEYS:
        value = out.get(key)
        if isinstance(value, str) and value.strip() and value.strip() != "demo" and not Path(value.strip()).is_absolute():
            out[key] = str(Path(run_file).resolve().parent / value.strip())
    return out


# ------------------------------------------------------------------ against the data

def resolve_council(store, council) -> str:
    """The area code of a council (a name, DfE LA number or ONS code):
    UnknownCouncilError with suggestions for a misspelling; ParameterError
    for a region, England or a joint workforce return."""
    code = store.resolve(str(council))
    row = store.area(code)
    if row["level"] != "la":
        kind = "region" if row["level"] == "regional" else "country"
        raise ParameterError("council", f"{row['area_name']} is a {kind}, not a council; give a council name, "
                                        f"DfE LA number or ONS code", council)
    if bool(row["is_joint"]):
        members = [m for m in str(row["joint_members"]).split(",") if m]
        held = set(store.areas["area_code"])
        names = [f"{store.area(m)['area_name']} ({m})" for m in members if m in held]
        if names:
            raise UnknownCouncilError(str(council), names)
        raise ParameterError("council", "is a joint workforce return, not a council", council)
    return code


def periods_held(store) -> list[int]:
    """Every period (the year it ends) for which some council has a figure."""
    f = store.indicators
    ok = f[(f["level"] == "la") & (f["status"] == "ok")]
    return sorted(int(p) for p in ok["period"].unique())


def period_held(store, period: int | None, held: list[int] | None = None) -> None:
    """ParameterError unless ``period`` is None or a period the data holds."""
    held = periods_held(store) if held is None else held
    if period is None or period in held:
        return
    listing = f"{held[0]} to {held[-1]}" if held else "none"
    raise ParameterError("period", f"the data holds no figures for {period} (periods held, as the year the "
                                   f"period ends: {listing}). Use period = None for the latest", period)
