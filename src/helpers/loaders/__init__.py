"""Loaders, one per publication, and recognition of a file by its content.

``identify(path)`` says which publication a file is, whatever its name;
``load(path)`` reads it with the right loader. DfE tidy CSVs share one reader
(:mod:`helpers.loaders.dfe`, with the outcome publications described in
:mod:`helpers.loaders.dfe_outcomes`); the neighbour models, the ONS lookup,
MHCLG finance, Ofsted's inspection outcomes and its providers and places, and
OHID's Fingertips exports have their own modules.
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
    "ofsted_providers": "Ofsted children's social care providers and places at 31 March (underlying data)",
    "ohid_fingertips": "OHID Fingertips indicator export (public health profiles)",
    "local_figures": "A council's own monthly figures (the local figures template, CSV or .xlsx)",
}
KNOWN_PUBLICATIONS = {p.id: p.title for p in PUBLICATIONS} | OTHER_PUBLICATIONS

MAX_FILE_BYTES = 200 * 1024 * 1024
_SPREADSHEET_SUFFIXES = {".ods", ".xlsx", ".xls"}
#: Limits on a spreadsheet's zip members, checked before anything is
#: decompressed (an .ods or .xlsx is a zip). The official releases stay far
#: below them: the largest, MHCLG RO3, holds a 27 MB content.xml packed 31:1.
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
MAX_ZIP_RATIO = 200
MAX_ZIP_MEMBERS = 2000
_RATIO_FLOOR_BYTES = 1024 * 1024  # small members may pack tighter than MAX_ZIP_RATIO
_UTF16_32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")


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
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04"):
        check_zip_members(path)
    elif wide_text_encoding(head):
        raise DataFileError(path, f"is {wide_text_encoding(head)} text, not UTF-8",
                            hint="Save it as 'CSV UTF-8' (DfE and ONS publish UTF-8 CSV files)")


def wide_text_encoding(head: bytes) -> str | None:
    """'UTF-16' or 'UTF-32' when the first bytes of a file are text in one of
    them (a byte-order mark, or ASCII interleaved with NUL bytes)."""
    for bom, name in zip(_UTF16_32_BOMS, ("UTF-32", "UTF-32", "UTF-16", "UTF-16")):
        if head.startswith(bom):
            return name
    sample = head[:512]
    if len(sample) >= 16:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            return "UTF-16"
        if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "UTF-16"
    return None


def check_zip_members(path: Path, max_unzipped: int = MAX_UNZIPPED_BYTES) -> None:
    """Refuse a zip (an .ods or .xlsx) whose members would decompress to far
    more than ``max_unzipped`` bytes (by default more than any release
    holds), judged from the sizes its directory declares, before any member
    is decompressed. (A member that lies about its own size is not caught
    here; Python's zipfile stops reading it at the declared size.)"""
    import zipfile
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DataFileError(path, f"is a damaged zip or spreadsheet ({exc})",
                            hint="Download it again") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise DataFileError(path, f"is a zip of {len(members):,} files; a spreadsheet holds a few",
                            hint="Check it is the right file")
    total = sum(m.file_size for m in members)
    if total > max_unzipped:
        raise DataFileError(path, f"would decompress to {total / 1e6:,.0f} MB, more than any file this "
                                  f"tool reads ({max_unzipped / 1e6:,.0f} MB); not opened",
                            hint="Check it is the right file")
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > _RATIO_FLOOR_BYTES and ratio > MAX_ZIP_RATIO:
            raise DataFileError(path, f"member {m.filename!r} would decompress to {m.file_size / 1e6:,.0f} MB "
                                      f"from {m.compress_size / 1e3:,.0f} kB (ratio {ratio:,.0f}:1, more than "
                                      f"{MAX_ZIP_RATIO}:1); not opened",
                                hint="A zip bomb or a damaged file: check it is the right file")


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
        from .ofsted_providers import sniff_providers
        if sniff_providers(path):
            return "ofsted_providers"
        from ..neighbours import sniff_neighbours
        found = sniff_neighbours(path)
        if found:
            return "sn_model_2025" if found == "dfe_2025" else "sn_model_2021"
        raise UnknownLayoutError(path, "this spreadsheet matches no known publication",
                                 hint="Known publications: " + "; ".join(KNOWN_PUBLICATIONS.values()))
    found = sniff_dfe(path)
    if found:
        return found
    from .fingertips import sniff_fingertips
    if sniff_fingertips(path):
        return "ohid_fingertips"
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
    if publication:
        _check_file(path)
    publication = publication or identify(path)
    if publication in {p.id for p in PUBLICATIONS}:
        return publication, load_dfe(path, publication)
    if publication in ("finance_ro3", "finance_rsx"):
        from .finance import load_finance
        return publication, load_finance(path)
    if publication == "ofsted_inspections":
        from .ofsted import load_inspections
        return publication, load_inspections(path)
    if publication == "ofsted_providers":
        from .ofsted_providers import load_providers
        return publication, load_providers(path)
    if publication == "ohid_fingertips":
        from .fingertips import load_fingertips
        return publication, load_fingertips(path)
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
