"""The sources manifest, ``data/sources.yml``: what each official file is,
its canonical name in ``data/raw/``, and how ``scrutiny fetch`` finds its
latest release (``discover``) or where to download it (``url``, which
overrides discovery).

Every problem is a :class:`ConfigError` naming the file and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from urllib.parse import urlparse

from .. import paths
from ..errors import ConfigError
from ..safe_yaml import load_yaml_file
from .services import DISCOVERERS, SERVICES

_REQUIRED = ("id", "title", "publisher", "licence", "landing", "filename")
_OPTIONAL = ("url", "sha256", "discover")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
#: Keys of ``discover`` for each service, and the ones it needs.
_DISCOVER_KEYS = {
    "ees": ({"service", "publication", "file", "title"}, ("publication",)),
    "govuk": ({"service", "collection", "document", "page", "attachment"}, ("attachment",)),
    "arcgis": ({"service", "layer"}, ("layer",)),
    "manual": ({"service", "why"}, ()),
}
MAX_MANIFEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Source:
    """One official publication file."""

    id: str
    title: str
    publisher: str
    licence: str
    landing: str
    filename: str
    url: str = ""
    sha256: str = ""
    discover: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def service(self) -> str:
        """``url`` when a stored URL overrides discovery, else the discovery
        service (``ees``, ``govuk``, ``arcgis``) or ``manual``."""
        if self.url:
            return "url"
        return self.discover.get("service", "manual")


@dataclass(frozen=True)
class Manifest:
    path: Path
    sources: list[Source]
    services: dict[str, str]

    def __iter__(self):
        return iter(self.sources)

    def by_id(self) -> dict[str, Source]:
        return {s.id: s for s in self.sources}

    def select(self, only: Iterable[str] | str | None) -> list[Source]:
        if not only:
            return list(self.sources)
        wanted = [only] if isinstance(only, str) else list(only)
        known = self.by_id()
        unknown = [w for w in wanted if w not in known]
        if unknown:
            raise ConfigError(self.path, f"no source with id {', '.join(map(repr, unknown))}",
                              hint=f"Known ids: {', '.join(sorted(known))}")
        return [s for s in self.sources if s.id in set(wanted)]


def default_manifest_path() -> Path:
    """``data/sources.yml`` in the project (or under ``SCRUTINY_DATA_DIR``)."""
    return paths.data_dir() / "sources.yml"


def read_manifest(manifest_path: Path | str | None = None) -> Manifest:
    """Read and validate the sources manifest (see the comments at the top of
    ``data/sources.yml`` for its keys)."""
    path = Path(manifest_path) if manifest_path is not None else default_manifest_path()
    doc = _read_yaml(path)
    if not isinstance(doc, dict) or "sources" not in doc:
        raise ConfigError(path, "expected a mapping with a 'sources' list", key="sources")
    extra = sorted(map(str, set(doc) - {"sources", "services"}))
    if extra:
        raise ConfigError(path, f"unknown top-level key(s): {', '.join(extra)}", key=extra[0],
                          hint="The top-level keys are 'services' and 'sources'")
    services = _services(path, doc.get("services"))
    entries = doc["sources"]
    if not isinstance(entries, list) or not entries:
        raise ConfigError(path, "'sources' must be a non-empty list", key="sources")
    out: list[Source] = []
    for i, entry in enumerate(entries, start=1):
        src = _source(path, i, entry)
        for other in out:
            if other.id == src.id:
                raise ConfigError(path, f"duplicate id {src.id!r}", key=f"sources[{i}].id")
            if other.filename == src.filename:
                raise ConfigError(path, f"duplicate filename {src.filename!r}", key=f"sources[{i}].filename")
        out.append(src)
    return Manifest(path, out, services)


def load_manifest(manifest_path: Path | str | None = None) -> list[Source]:
    """The manifest's sources (see :func:`read_manifest`)."""
    return read_manifest(manifest_path).sources


def _read_yaml(path: Path):
    """The manifest's YAML through the package's one safe reader (size,
    alias-expansion and date checks; errors name the file and line)."""
    return load_yaml_file(path, what="sources manifest", max_bytes=MAX_MANIFEST_BYTES)


def _services(path: Path, value) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(path, "must map service names to base URLs", key="services",
                          hint=f"Service names: {', '.join(SERVICES)}")
    out = {}
    for key, url in value.items():
        if key not in SERVICES:
            raise ConfigError(path, f"unknown service {key!r}", key=f"services.{key}",
                              hint=f"Service names: {', '.join(SERVICES)}")
        if not isinstance(url, str) or urlparse(url).scheme not in ("http", "https"):
            raise ConfigError(path, f"not an http(s) URL: {url!r}", key=f"services.{key}")
        out[key] = url.strip()
    return out


def _source(path: Path, i: int, entry) -> Source:
    where = f"sources[{i}]"
    if not isinstance(entry, dict):
        raise ConfigError(path, "each source must be a mapping", key=where)
    label = f"{where} ({entry.get('id')})" if entry.get("id") else where
    unknown = sorted(map(str, set(entry) - set(_REQUIRED) - set(_OPTIONAL)))
    if unknown:
        raise ConfigError(path, f"unknown key(s) {', '.join(unknown)}", key=f"{label}.{unknown[0]}",
                          hint=f"Allowed keys: {', '.join(_REQUIRED + _OPTIONAL)}")
    values: dict = {}
    for k in _REQUIRED + ("url", "sha256"):
        v = entry.get(k, "")
        v = "" if v is None else v
        if not isinstance(v, str):
            raise ConfigError(path, f"must be a string, got {type(v).__name__}", key=f"{label}.{k}")
        values[k] = v.strip()
        if k in _REQUIRED and not values[k]:
            raise ConfigError(path, "missing or empty required field", key=f"{label}.{k}")
    values["sha256"] = values["sha256"].lower()
    if values["sha256"] and not _SHA_RE.match(values["sha256"]):
        raise ConfigError(path, "sha256 must be 64 hexadecimal characters", key=f"{label}.sha256")
    for k in ("url", "landing"):
        if values[k] and urlparse(values[k]).scheme not in ("http", "https", "file"):
            raise ConfigError(path, f"not an http(s) URL: {values[k]!r}", key=f"{label}.{k}")
    fname = values["filename"]
    if Path(fname).name != fname or fname in (".", "..") or fname.startswith("."):
        raise ConfigError(path, "filename must be a plain file name without a directory", key=f"{label}.filename")
    values["discover"] = _discover(path, label, entry.get("discover"))
    return Source(**values)


def _discover(path: Path, label: str, spec) -> dict:
    if spec is None:
        return {"service": "manual"}
    key = f"{label}.discover"
    if not isinstance(spec, dict):
        raise ConfigError(path, "must be a mapping with 'service' and its settings", key=key)
    service = spec.get("service")
    if service not in _DISCOVER_KEYS:
        raise ConfigError(path, f"unknown service {service!r}", key=f"{key}.service",
                          hint=f"Services: {', '.join(_DISCOVER_KEYS)}")
    allowed, needed = _DISCOVER_KEYS[service]
    unknown = sorted(map(str, set(spec) - allowed))
    if unknown:
        raise ConfigError(path, f"unknown key(s) {', '.join(unknown)} for service {service}",
                          key=f"{key}.{unknown[0]}", hint=f"Allowed: {', '.join(sorted(allowed))}")
    for k in needed:
        if not spec.get(k):
            raise ConfigError(path, f"service {service} needs '{k}'", key=f"{key}.{k}")
    if service == "ees" and not (spec.get("file") or spec.get("title")):
        raise ConfigError(path, "service ees needs 'file' or 'title' (a pattern that picks the data file)", key=key)
    if service == "govuk" and not (spec.get("page") or (spec.get("collection") and spec.get("document"))):
        raise ConfigError(path, "service govuk needs 'page', or 'collection' and 'document'", key=key)
    for k in ("file", "title", "document", "attachment"):
        if spec.get(k):
            try:
                re.compile(str(spec[k]))
            except re.error as exc:
                raise ConfigError(path, f"not a valid pattern ({exc})", key=f"{key}.{k}") from None
    for k in ("page", "collection"):
        if spec.get(k) and not str(spec[k]).startswith("/"):
            raise ConfigError(path, "must be a GOV.UK path beginning with '/'", key=f"{key}.{k}")
    assert service == "manual" or service in DISCOVERERS
    return dict(spec)
