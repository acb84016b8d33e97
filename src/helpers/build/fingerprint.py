"""What a pack depends on, by content, and whether an installed pack is
still the one its manifest describes.

A pack's fingerprint hashes the *contents* of everything that can change
what it shows: the official releases of the publications its sections show
(per publication, so a new release of one publication rebuilds only the
packs that show it), the geography and neighbour model, the catalogue, the
store's schema, the section notebooks, the templates, the council's own
figures, targets and comparator groups files, the list of local measures,
the sources manifest, the package's code and version, and (when a pack has
them) officer commentary and a pack specification. Paths never enter it:
moving a file changes nothing; editing one rebuilds the pack.

"Up to date" means the manifest records the same fingerprint *and* every
file it lists is there with the SHA-256 it recorded: a truncated
``pack.html`` is rebuilt, never skipped.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from ..paths import PACKAGE_DIR, file_sha256

#: Publications every official pack depends on: geography and neighbours.
ALWAYS = ("sn_model_2025", "sn_model_2021", "utla_lookup")
#: Publications a section shows beyond its indicators' sources.
SECTION_EXTRAS = {"spending": ("finance_rsx", "ofsted_inspections")}
#: Sections that show figures from every publication.
EVERYTHING = ("summary", "local")


def package_versions() -> dict:
    from importlib import metadata
    out = {"python": sys.version.split()[0]}
    for dist in ("scrutiny-packs", "pandas", "numpy", "matplotlib", "seaborn", "papermill", "nbconvert",
                 "nbclient", "nbformat", "ipykernel", "jinja2", "weasyprint", "pypdf", "pyarrow"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _tree_digest(root: Path, patterns=("*",)) -> str:
    h = hashlib.sha256()
    for pattern in patterns:
        for p in sorted(root.rglob(pattern)):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def templates_digest() -> str:
    from ..render import TEMPLATES_DIR
    return _tree_digest(TEMPLATES_DIR)


def code_digest() -> str:
    """The package's own code and bundled files (so a change of code is a
    change of pack even before the version number moves)."""
    return _tree_digest(PACKAGE_DIR, ("*.py", "*.yml", "*.css", "*.j2", "*.json"))


def publications_for(sections, catalogue) -> set[str]:
    """Publication ids whose figures the given sections show."""
    sections = set(sections)
    every = bool(sections & set(EVERYTHING))
    pubs = set(ALWAYS)
    for ind in catalogue:
        if every or ind.section in sections:
            pubs.add(ind.source)
            if ind.derive in ("per_10k_population", "per_child_population"):
                pubs.add("ons_population")
    for sid in sections:
        pubs.update(SECTION_EXTRAS.get(sid, ()))
    if every:
        for extra in SECTION_EXTRAS.values():
            pubs.update(extra)
    return pubs


def input_digests(store, sections) -> dict[str, list[str]]:
    """{publication: sorted SHA-256s of its files} for the publications the
    sections show, from the store snapshot's record of its inputs."""
    if store is None or store.inputs is None or "publication" not in store.inputs.columns:
        return {}
    wanted = publications_for(sections, store.catalogue)
    out: dict[str, list[str]] = {}
    for row in store.inputs.itertuples():
        if row.publication in wanted:
            out.setdefault(str(row.publication), []).append(str(row.sha256))
    return {k: sorted(v) for k, v in sorted(out.items())}


def file_digest(path) -> str:
    """SHA-256 of a file's bytes, or "" for no file."""
    if not path:
        return ""
    return file_sha256(path)


def fingerprint(*, parameters: dict, store, notebooks: dict[str, Path], formats, files: dict,
                pack_format: str, pdf_engine: str = "") -> tuple[str, dict]:
    """(fingerprint, what it hashed): ``parameters`` without paths,
    ``files`` a mapping of role -> path or list of paths (local figures,
    targets, comparators, commentary, specification...; "" or [] for none)."""
    parts = {
        "parameters": parameters,
        "formats": sorted(formats),
        "pack_format": pack_format,
        "pdf_engine": pdf_engine,
        "version": package_versions().get("scrutiny-packs"),
        "code": code_digest(),
        "templates": templates_digest(),
        "notebooks": {sid: file_digest(p) for sid, p in notebooks.items()},
        "store_schema": _store_schema(),
        "catalogue": file_digest(getattr(store.catalogue, "path", None)) if store is not None else "",
        "inputs": input_digests(store, list(notebooks)),
        "files": {role: ([file_digest(p) for p in paths] if isinstance(paths, (list, tuple)) else file_digest(paths))
                  for role, paths in sorted(files.items())},
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32], parts


def _store_schema() -> str:
    from ..store import SCHEMA_VERSION
    return SCHEMA_VERSION


def read_manifest(out_dir: Path) -> dict | None:
    try:
        m = json.loads((Path(out_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return m if isinstance(m, dict) else None


def is_up_to_date(out_dir: Path, fp: str, formats) -> bool:
    """True when the pack in ``out_dir`` has fingerprint ``fp`` and every
    file its manifest lists matches the SHA-256 recorded for it."""
    m = read_manifest(out_dir)
    if not m or m.get("fingerprint") != fp:
        return False
    recorded = m.get("files")
    if not isinstance(recorded, dict):
        return False
    needed = {f"pack.{k}" for k in formats}
    if not needed <= set(recorded):
        return False
    return files_match(out_dir, recorded)


def files_match(folder, recorded: dict) -> bool:
    """True when every file of ``recorded`` ({name: SHA-256}) is in
    ``folder``, not a symlink, with that digest."""
    for name, digest in recorded.items():
        path = Path(folder) / name
        try:
            if path.is_symlink() or file_sha256(path) != digest:
                return False
        except OSError:
            return False
    return True
