"""Statistical neighbours and user comparator groups.

DfE publishes, for each council, its ten closest "statistical neighbours" by
3-digit LA number, each with a closeness label. Two layouts are read:

* the 2025 model (``sn_model_2025_wide.csv``): ``old_la_code, la_name,
  region_ind, region_name, SN_1, SN_1P, ..., SN_10, SN_10P``;
* the earlier model (2021 groupings), which users may still hold:
  ``LA num, LA Name, LA number, GOInd, GOReg, SN1, SNP, SN2, SNP, ...`` with
  the closeness header repeated, as CSV, ``.xlsx`` or ``.ods``.

Both load to one long table: ``model, area_code, area_name, rank,
neighbour_code, closeness`` (the store's ``.neighbours``).

Comparator groups are the user's own lists of councils in a YAML file
(:func:`load_comparator_groups`).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
from .safe_yaml import load_yaml_file

from .errors import ConfigError, DataFileError, UnknownCouncilError
from .geography import REORGANISATIONS, resolve_council, successors

__all__ = ["NEIGHBOUR_COLUMNS", "sniff_neighbours", "load_sn_model_2025", "load_sn_model_2021",
           "load_neighbours", "load_comparator_groups", "map_to_current", "neighbours_of",
           "available_models", "resolve_model", "model_label", "check_model_parameter"]

NEIGHBOUR_COLUMNS = ["model", "area_code", "area_name", "rank", "neighbour_code", "closeness"]
#: The statistical neighbour model packs compare with unless told otherwise.
DEFAULT_MODEL = "dfe_2025"
_SPREADSHEETS = {".xlsx", ".xlsm", ".xls", ".ods"}
_HINT_2025 = ("Download the statistical neighbour model again from DfE's 'Children's services "
              "statistical neighbour benchmarking tool' page")


def _norm(text) -> str:
    return re.sub(r"[\s_]+", " ", str(text).replace("\ufeff", "")).strip().lower()


def _la_code(value) -> str | None:
    """A DfE LA number as a 3-digit string, or None if the cell is not one
    (878, 878.0, '878', ' 878 ' -> '878')."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.0+)?", text):
        text = str(int(float(text)))
        return text if len(text) == 3 else None
    return None


# --------------------------------------------------------------------------
# Reading raw grids (header=None) from CSV or a spreadsheet
# --------------------------------------------------------------------------

def _read_grids(path: Path, nrows: int | None = None) -> dict[str, list[list]]:
    """Every sheet (or the CSV) as a list of rows of raw cells, unmangled."""
    if path.suffix.lower() in _SPREADSHEETS:
        from .loaders.finance import excel_engine
        engine = excel_engine(path)
        try:
            sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object,
                                   engine=engine, nrows=nrows)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
            raise DataFileError(path, f"cannot be read as a spreadsheet ({exc})",
                                hint="Check the file opens in a spreadsheet program") from exc
        return {name: frame.astype(object).where(frame.notna(), None).values.tolist()
                for name, frame in sheets.items()}
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = []
            for i, row in enumerate(csv.reader(fh)):
                if nrows is not None and i >= nrows:
                    break
                rows.append(row)
    except UnicodeDecodeError as exc:
        raise DataFileError(path, "is not a UTF-8 text file",
                            hint="Save it as CSV (UTF-8) or as .xlsx") from exc
    return {"": rows}


def _is_2025_header(cells) -> bool:
    names = {_norm(c) for c in cells if c is not None}
    return {"old la code", "sn 1", "sn 1p"} <= names


def _find_2021_header(rows: list[list], limit: int = 30) -> int | None:
    """Index of the row holding 'SN1' and 'SNP' headers (2021 layout)."""
    for i, row in enumerate(rows[:limit]):
        names = [_norm(c) for c in row if c is not None]
        if "sn1" in [n.replace(" ", "") for n in names] and any(n.replace(" ", "").startswith("snp") for n in names):
            return i
    return None


def sniff_neighbours(path) -> str | None:
    """Which statistical neighbour model a file holds, judged by its header:
    ``"dfe_2025"``, ``"dfe_2021"`` or None (not a neighbour file).
    ``path`` may be a CSV, ``.xlsx`` or ``.ods`` file."""
    path = Path(path)
    try:
        if path.suffix.lower() in _SPREADSHEETS and path.stat().st_size > 5_000_000:
            return None  # far larger than any neighbour model; spare a slow read
        grids = _read_grids(path, nrows=30)
    except (DataFileError, OSError):
        return None
    for rows in grids.values():
        if rows and any(_is_2025_header(r) for r in rows[:5]):
            return "dfe_2025"
        if _find_2021_header(rows) is not None:
            return "dfe_2021"
    return None


# --------------------------------------------------------------------------
# The 2025 model
# --------------------------------------------------------------------------

def load_sn_model_2025(path) -> pd.DataFrame:
    """DfE's 2025 statistical neighbour model as a long table.

    ``path`` is ``sn_model_2025_wide.csv`` as published. Returns columns
    ``model`` (``"dfe_2025"``), ``area_code`` (the council's 3-digit DfE LA
    number), ``area_name``, ``rank`` (1 = closest), ``neighbour_code`` (3-digit)
    and ``closeness`` (``"Very close"``, ``"Close"``, ...: trailing spaces in
    the file are removed). Raises DataFileError naming the row and column of
    a cell that is not a 3-digit LA number, a council listed as its own
    neighbour, or a repeated neighbour."""
    path = Path(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [str(c).strip() for c in frame.columns]
    lower = {_norm(c): c for c in frame.columns}
    missing = [c for c in ("old la code", "la name") if c not in lower]
    sn_cols = []
    for k in range(1, 51):
        code_col, label_col = lower.get(f"sn {k}"), lower.get(f"sn {k}p")
        if code_col is None:
            break
        if label_col is None:
            missing.append(f"SN_{k}P")
        sn_cols.append((k, code_col, label_col))
    if not sn_cols:
        missing.append("SN_1")
    if missing:
        raise DataFileError(path, "is not DfE's 2025 statistical neighbour model: columns missing: "
                            + ", ".join(missing), row=1, hint=_HINT_2025)
    return _long_from_rows(path, "dfe_2025", frame, lower["old la code"], lower["la name"], sn_cols,
                           first_row=2)


def _long_from_rows(path: Path, model: str, frame: pd.DataFrame, code_col, name_col,
                    sn_cols, first_row: int, labels: dict | None = None) -> pd.DataFrame:
    """Shared wide-to-long step with validation. ``first_row`` is the
    spreadsheet row number of the frame's first row."""
    records = []
    labels = labels or {}
    for i, row in enumerate(frame.itertuples(index=False)):
        row = dict(zip(frame.columns, row))
        line = first_row + i
        raw = row[code_col]
        if raw is None or str(raw).strip() == "" or (isinstance(raw, float) and pd.isna(raw)):
            continue  # blank line, e.g. a footnote gap
        area = _la_code(raw)
        if area is None:
            raise DataFileError(path, "holds a value that is not a 3-digit DfE LA number", row=line,
                                column=labels.get(code_col, str(code_col)), value=raw, hint=_HINT_2025)
        seen = set()
        for k, ncol, lcol in sn_cols:
            cell = row[ncol]
            if cell is None or str(cell).strip() == "" or (isinstance(cell, float) and pd.isna(cell)):
                continue
            code = _la_code(cell)
            col_label = labels.get(ncol, str(ncol))
            if code is None:
                raise DataFileError(path, "holds a neighbour that is not a 3-digit DfE LA number",
                                    row=line, column=col_label, value=cell, hint=_HINT_2025)
            if code == area:
                raise DataFileError(path, f"lists council {area} as its own neighbour", row=line,
                                    column=col_label, value=cell, hint=_HINT_2025)
            if code in seen:
                raise DataFileError(path, f"lists neighbour {code} twice for council {area}", row=line,
                                    column=col_label, value=cell, hint=_HINT_2025)
            seen.add(code)
            label = row[lcol] if lcol is not None else None
            label = "" if label is None or (isinstance(label, float) and pd.isna(label)) else str(label).strip()
            records.append((model, area, str(row[name_col]).strip(), k, code, label))
    out = pd.DataFrame.from_records(records, columns=NEIGHBOUR_COLUMNS)
    if out.empty:
        raise DataFileError(path, "holds no statistical neighbours", hint=_HINT_2025)
    out["rank"] = out["rank"].astype(int)
    return out


# --------------------------------------------------------------------------
# The earlier (2021 groupings) model
# --------------------------------------------------------------------------

def load_sn_model_2021(path) -> pd.DataFrame:
    """DfE's earlier statistical neighbour model (2021 groupings) as the same
    long table as :func:`load_sn_model_2025`, with ``model`` = ``"dfe_2021"``.

    ``path`` is a CSV, ``.xlsx`` or ``.ods`` file whose header row holds
    ``LA number`` (or ``LA num``), ``LA Name``, then ``SN1, SNP, SN2, SNP, ...
    SN10, SNP``: each neighbour column followed by its closeness column (the
    repeated ``SNP`` header is read by position). The header may sit below
    title rows and the table may be on any sheet."""
    path = Path(path)
    grids = _read_grids(path)
    for sheet, rows in grids.items():
        h = _find_2021_header(rows)
        if h is None:
            continue
        header = [None if c is None else str(c).strip() for c in rows[h]]
        width = max(len(r) for r in rows[h:])
        header += [None] * (width - len(header))
        body = [list(r) + [None] * (width - len(r)) for r in rows[h + 1:]]
        frame = pd.DataFrame(body, columns=range(width), dtype=object)
        frame = frame.where(frame.notna(), None)
        norm = [_norm(c).replace(" ", "") if c is not None else "" for c in header]
        labels = {i: (header[i] or f"column {i + 1}") for i in range(width)}
        # the 3-digit code column: prefer 'LA number', then any 'LA num...' whose
        # cells are 3-digit numbers
        code_col = None
        candidates = [i for i, n in enumerate(norm) if n in ("lanumber", "lanum", "lacode", "oldlacode")]
        for i in sorted(candidates, key=lambda i: norm[i] != "lanumber"):
            vals = [v for v in frame[i] if v is not None and str(v).strip()]
            if vals and all(_la_code(v) for v in vals):
                code_col = i
                break
        name_col = next((i for i, n in enumerate(norm) if n in ("laname", "localauthority", "name")), None)
        sn_cols = []
        for i, n in enumerate(norm):
            m = re.fullmatch(r"sn(\d+)", n)
            if m:
                label_col = i + 1 if i + 1 < width and norm[i + 1].startswith("snp") else None
                sn_cols.append((int(m.group(1)), i, label_col))
        where = f" (sheet '{sheet}')" if sheet else ""
        if code_col is None or name_col is None:
            missing = (["LA number (3-digit codes)"] if code_col is None else []) + \
                      (["LA Name"] if name_col is None else [])
            raise DataFileError(path, f"statistical neighbour table{where} lacks: " + ", ".join(missing),
                                row=h + 1, hint="The header row needs 'LA number', 'LA Name', 'SN1', "
                                                "'SNP', 'SN2', 'SNP', ...")
        sn_cols.sort()
        return _long_from_rows(path, "dfe_2021", frame, code_col, name_col, sn_cols,
                               first_row=h + 2, labels=labels)
    raise DataFileError(path, "is not a DfE statistical neighbour model: no header row with "
                              "'SN1' and 'SNP' columns was found",
                        hint="Supply DfE's statistical neighbour file as published (CSV, .xlsx or .ods)")


def load_neighbours(path) -> pd.DataFrame:
    """Load either neighbour model, recognised by content."""
    path = Path(path)
    kind = sniff_neighbours(path)
    if kind == "dfe_2025":
        return load_sn_model_2025(path)
    if kind == "dfe_2021":
        return load_sn_model_2021(path)
    raise DataFileError(path, "is not a DfE statistical neighbour model (no SN_1/SN1 columns)",
                        hint=_HINT_2025)


# --------------------------------------------------------------------------
# Using neighbours
# --------------------------------------------------------------------------

def neighbours_of(area_code, neighbours: pd.DataFrame, model: str = "dfe_2025") -> list[str]:
    """A council's statistical neighbours in rank order (closest first).

    ``area_code`` is the council's DfE LA number (``"878"``); ``neighbours``
    is a long table as returned by the loaders (or :func:`map_to_current`);
    ``model`` picks the model when the table holds more than one. Returns an
    empty list when the model has no row for the council (e.g. a council
    created after the model was built)."""
    code = str(area_code).strip()
    rows = neighbours[(neighbours["model"] == model) & (neighbours["area_code"].astype(str) == code)]
    return rows.sort_values("rank", kind="stable")["neighbour_code"].astype(str).tolist()


def available_models(neighbours: pd.DataFrame) -> list[str]:
    """The neighbour models a table holds, newest first (``["dfe_2025",
    "dfe_2021"]``)."""
    if neighbours is None or not len(neighbours) or "model" not in neighbours:
        return []
    return sorted(set(neighbours["model"].astype(str)), key=_model_year, reverse=True)


def _model_year(model: str) -> int:
    digits = re.findall(r"\d{4}", str(model))
    return int(digits[-1]) if digits else 0


def resolve_model(neighbours: pd.DataFrame, requested="") -> str:
    """The model to compare with: ``requested`` is "" (the newest held), a
    year (``2021``, ``"2025"``) or a model id (``"dfe_2021"``). Returns "" when
    the table holds no model at all; raises ParameterError naming the models
    held when the one asked for is not there."""
    from .errors import ParameterError
    held = available_models(neighbours)
    text = "" if requested is None else str(requested).strip()
    if not text:
        return held[0] if held else ""
    wanted = text if text.startswith("dfe_") else f"dfe_{text}"
    if wanted in held:
        return wanted
    offered = ", ".join(repr(m.removeprefix("dfe_")) for m in held) or "none (add one with `scrutiny ingest`)"
    raise ParameterError("neighbours", f"no statistical neighbour model {text!r} in the data; models held: {offered}",
                         requested)


def model_label(model: str) -> str:
    """'DfE statistical neighbour model 2025' for ``dfe_2025``."""
    year = _model_year(model)
    return f"DfE statistical neighbour model {year}" if year else "DfE statistical neighbours"


def check_model_parameter(value) -> str:
    """A ``neighbours`` parameter as text: "" (the newest model) or a year;
    ParameterError for anything else."""
    from .errors import ParameterError
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ParameterError("neighbours", "must be \"\" (the newest model) or a year such as \"2021\"", value)
    text = str(value).strip().removeprefix("dfe_")
    if text and not re.fullmatch(r"20\d\d", text):
        raise ParameterError("neighbours", "must be \"\" (the newest model) or a year such as \"2021\"", value)
    return text


def _area_name_lookup(areas: pd.DataFrame | None) -> dict[str, str]:
    if areas is None or "area_name" not in areas:
        return {}
    return dict(zip(areas["area_code"].astype(str), areas["area_name"].astype(str)))


def map_to_current(neighbours: pd.DataFrame, areas: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Replace neighbours that no longer exist by the councils that took over.

    ``neighbours`` is a long neighbour table (e.g. an older model naming
    Northamptonshire 928 or Cumbria 909); ``areas`` is the store's areas
    table (column ``area_code``; ``area_name`` is used in messages): a code is
    "current" when it is in ``areas`` and was not reorganised away.

    A retired neighbour is replaced by all its successors that are in
    ``areas`` (928 -> 940 and 941), in its rank position; the new rows carry
    ``via`` = the retired code (blank for unchanged rows) and ``rank`` is
    renumbered 1, 2, ... per council, with the model's rank kept in
    ``model_rank``. A successor already listed, or the council itself, is not
    added twice. Neighbours that are neither current nor mappable are dropped.
    Returns the new table and a list of plain-English messages describing
    every substitution and drop."""
    known = set(areas["area_code"].astype(str))
    names = _area_name_lookup(areas)
    retired = {p for r in REORGANISATIONS for p in r.predecessors}

    def label(code: str) -> str:
        return f"{names[code]} ({code})" if code in names else code

    messages: list[str] = []
    out_rows = []
    ordered = neighbours.sort_values(["model", "area_code", "rank"], kind="stable")
    for (model, area), group in ordered.groupby(["model", "area_code"], sort=False):
        area = str(area)
        listed = set(group["neighbour_code"].astype(str))
        taken: list[str] = []
        for row in group.itertuples(index=False):
            code = str(row.neighbour_code)
            if code in known and code not in retired:
                if code not in taken:
                    taken.append(code)
                    out_rows.append({**row._asdict(), "model_rank": row.rank, "via": ""})
                continue
            succ = [s for s in successors(code) if s in known]
            if not succ:
                messages.append(f"{model}: neighbour {label(code)} of {label(area)} is not a current "
                                f"council and has no known successor; it was dropped.")
                continue
            added = [s for s in succ if s != area and s not in taken and s not in listed]
            for s in added:
                taken.append(s)
                out_rows.append({**row._asdict(), "neighbour_code": s, "model_rank": row.rank, "via": code})
            skipped = [s for s in succ if s not in added]
            text = (f"{model}: neighbour {label(code)} of {label(area)} no longer exists; "
                    + (f"replaced by {' and '.join(label(s) for s in added)} at rank {row.rank}"
                       if added else "dropped"))
            if skipped:
                text += (f" ({' and '.join(label(s) for s in skipped)} not added again: "
                         f"already a neighbour or the council itself)")
            messages.append(text + ".")
    out = pd.DataFrame(out_rows, columns=NEIGHBOUR_COLUMNS + ["model_rank", "via"])
    if len(out):
        out["rank"] = out.groupby(["model", "area_code"]).cumcount() + 1
        out["model_rank"] = out["model_rank"].astype(int)
    return out.reset_index(drop=True), messages


# --------------------------------------------------------------------------
# Comparator groups (user YAML)
# --------------------------------------------------------------------------

_GROUP_KEYS = {"label", "council", "members"}
_TOP_KEYS = {"groups"}
GROUP_COLUMNS = ["group", "label", "council", "council_code", "member", "area_code", "resolved",
                 "duplicate", "note"]


def load_comparator_groups(path, areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """The user's comparator groups from a YAML file, one row per member.

    ``path`` is a YAML file with a top-level ``groups:`` mapping; each group
    has ``members`` (a non-empty list of council names or codes), an optional
    ``label`` (defaults to the group's id) and an optional ``council`` (the
    council the group is for). ``areas`` (optional) is the store's areas
    table; when given, each member is resolved to an ``area_code``.

    Columns: ``group``, ``label``, ``council`` (as written, or blank),
    ``council_code``, ``member`` (as written), ``area_code`` (None when not
    resolved), ``resolved`` (bool), ``duplicate`` (True when an earlier member
    of the same group resolved to the same council) and ``note`` (why a
    member was not resolved). Members not in the store, such as Welsh
    councils, are kept unresolved rather than rejected.

    Raises ConfigError for invalid YAML, unknown keys or empty member lists."""
    path = Path(path)
    data = load_yaml_file(path, what="comparator groups file")
    if not isinstance(data, dict):
        raise ConfigError(path, "must be a mapping with a 'groups:' key",
                          hint="Start the file with 'groups:' and list each group under it")
    unknown = sorted(set(map(str, data)) - _TOP_KEYS)
    if unknown:
        raise ConfigError(path, f"unknown top-level key(s): {', '.join(unknown)}", key=unknown[0],
                          hint="The only top-level key is 'groups'")
    groups = data.get("groups")
    if not isinstance(groups, dict) or not groups:
        raise ConfigError(path, "has no groups", key="groups",
                          hint="Under 'groups:' give each group an id with 'members: [...]'")
    rows = []
    for gid, spec in groups.items():
        gid = str(gid)
        if not isinstance(spec, dict):
            raise ConfigError(path, "must be a mapping with 'members' (and optionally 'label', 'council')",
                              key=f"groups.{gid}")
        unknown = sorted(set(map(str, spec)) - _GROUP_KEYS)
        if unknown:
            raise ConfigError(path, f"unknown key(s): {', '.join(unknown)}", key=f"groups.{gid}",
                              hint="Allowed keys are label, council and members")
        members = spec.get("members")
        if not isinstance(members, list) or not members:
            raise ConfigError(path, "members must be a non-empty list of council names or codes",
                              key=f"groups.{gid}.members", hint="For example: members: [Devon, Somerset, \"878\"]")
        label = str(spec.get("label") or gid)
        council = spec.get("council")
        council = "" if council is None else str(council).strip()
        council_code = None
        if council and areas is not None:
            try:
                council_code = resolve_council(council, areas)
            except UnknownCouncilError:
                council_code = None
        seen: set[str] = set()
        for pos, member in enumerate(members):
            if member is None or isinstance(member, (dict, list)) or not str(member).strip():
                raise ConfigError(path, f"member {pos + 1} is empty or not a name or code",
                                  key=f"groups.{gid}.members", hint="List names or codes, e.g. [Devon, \"878\"]")
            text = str(member).strip()
            code, note = None, ""
            if areas is not None:
                try:
                    code = resolve_council(text, areas)
                except UnknownCouncilError as exc:
                    note = ("not in the data store (for example a Welsh council); kept without figures"
                            + (f". Did you mean: {', '.join(exc.suggestions)}?" if exc.suggestions else ""))
            else:
                note = "not resolved: no areas table given"
            duplicate = code is not None and code in seen
            if code is not None:
                seen.add(code)
            rows.append({"group": gid, "label": label, "council": council, "council_code": council_code,
                         "member": text, "area_code": code, "resolved": code is not None,
                         "duplicate": duplicate, "note": note})
    out = pd.DataFrame(rows, columns=GROUP_COLUMNS)
    out["area_code"] = out["area_code"].astype(object)
    out["council_code"] = out["council_code"].astype(object)
    out["resolved"] = out["resolved"].astype(bool)
    out["duplicate"] = out["duplicate"].astype(bool)
    return out
