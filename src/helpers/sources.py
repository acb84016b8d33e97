"""Getting official data at run time: kept so that ``helpers.sources`` still
imports; the code lives in :mod:`helpers.data` (``manifest``, ``fetch``,
``ingest``)."""

from __future__ import annotations

from .data.fetch import FetchReport, FetchResult, fetch
from .data.ingest import LOCAL_FIGURES, MAX_INGEST_BYTES, IngestReport, IngestResult, ingest, local_dir
from .data.manifest import Source, default_manifest_path, load_manifest, read_manifest

__all__ = [
    "Source", "load_manifest", "read_manifest", "default_manifest_path",
    "FetchResult", "FetchReport", "fetch",
    "IngestResult", "IngestReport", "ingest", "LOCAL_FIGURES", "local_dir", "MAX_INGEST_BYTES",
]
