"""Loaders, one per publication, and recognition of a file by its content.

``identify(path)`` says which publication a file is, whatever its name;
``load(path)`` reads it with the right loader. DfE tidy CSVs share one reader
(:mod:`helpers.loaders.dfe`); the neighbour models, the ONS lookup, MHCLG
finance and Ofsted outcomes have their own modules.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DataFileError, UnknownLayoutError
from .dfe import PUBLICATIONS, STATUS_LABELS, load_dfe, sniff_dfe

#: Publication ids that are not DfE tidy CSVs.
OTHER_PUBLICATIONS = {
    "sn_model_2025": "DfE statistical neighbour model (2025)",
    "sn_model_2021": "DfE statistical neighbour model (2021 groupings)",
    "utla_lookup": "ONS lower-tier to upper-tier local authority lookup",
    "finance_ro3": "MHCLG revenue outturn, social care (RO3)",
    "finance_rsx": "MHCLG revenue outturn, revenue summary (RSX)",
    "ofsted_inspections": "Ofsted local authority children's services inspection outcomes",
    "local_figures": "A council's own monthly figures (the local figures template, CSV or .xlsx)",
}
KNOWN_PUBLICATIONS = {p.id: p.title for p in PUBLICATIONS} | OTHER_PUBLICATIONS

MAX_FILE_BYTES = 200 * 1024 * 1024
_SPREADSHEET_SUFFIXES = {".ods", ".xlsx", ".xls"}


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DataFileError(path, "no such file")
    if not path.is_file():
        raise DataFileError(path, "is not a file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DataFileError(path, f"is {size / 1e6:,.0f} MB, larger than any official release "
                                  f"this tool reads ({MAX_FILE_BYTES / 1e6:,.0f} MB)",
                            hint="Check it is the right file")
    if size == 0:
        raise DataFileError(path, "the file is empty", hint="Download it again")


def identify(path) -> str:
    """The publication id of a file, judged by its content, not its name.

    Raises UnknownLayoutError naming the file and the known publications."""
    path = Path(path)
    _check_file(path)
    from .local import sniff_local
    if sniff_local(path):
        return "local_figures"
    if path.suffix.lower() in _SPREADSHEET_SUFFIXES or _is_zip(path):
        from .finance import sniff_finance
        from .ofsted import sniff_inspections
        found = sniff_finance(path)
        if found:
            return found
        if sniff_inspections(path):
            return "ofsted_inspections"
        from ..neighbours import sniff_neighbours
        found = sniff_neighbours(path)
        if found:
            return "sn_model_2025" if found == "dfe_2025" else "sn_model_2021"
        raise UnknownLayoutError(path, "this spreadsheet matches no known publication",
                                 hint="Known publications: " + "; ".join(KNOWN_PUBLICATIONS.values()))
    found = sniff_dfe(path)
    if found:
        return found
    from ..geography import sniff_utla_lookup
    from ..neighbours import sniff_neighbours
    nb = sniff_neighbours(path)
    if nb:
        return "sn_model_2025" if nb == "dfe_2025" else "sn_model_2021"
    if sniff_utla_lookup(path):
        return "utla_lookup"
    # read it properly so a damaged file gets its own precise error
    from .dfe import read_text_table
    frame = read_text_table(path, nrows=50)
    raise UnknownLayoutError(path, "its columns match no known publication",
                             hint="Known publications: " + "; ".join(KNOWN_PUBLICATIONS.values())
                                  + f". Columns found: {', '.join(list(frame.columns)[:12])}")


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def load(path, publication: str | None = None):
    """Load a file with its publication's loader. Returns (publication id, frame)."""
    path = Path(path)
    publication = publication or identify(path)
    if publication in {p.id for p in PUBLICATIONS}:
        return publication, load_dfe(path, publication)
    if publication in ("finance_ro3", "finance_rsx"):
        from .finance import load_finance
        return publication, load_finance(path)
    if publication == "ofsted_inspections":
        from .ofsted import load_inspections
        return publication, load_inspections(path)
    if publication == "sn_model_2025":
        from ..neighbours import load_sn_model_2025
        return publication, load_sn_model_2025(path)
    if publication == "sn_model_2021":
        from ..neighbours import load_sn_model_2021
        return publication, load_sn_model_2021(path)
    if publication == "local_figures":
        from .local import load_local
        return publication, load_local(path)
    if publication == "utla_lookup":
        from ..geography import load_utla_lookup
        return publication, load_utla_lookup(path)
    raise UnknownLayoutError(path, f"unknown publication id {publication!r}")


__all__ = ["identify", "load", "KNOWN_PUBLICATIONS", "STATUS_LABELS", "load_dfe"]
