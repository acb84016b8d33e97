"""The data layer: official releases and a council's own figures.

Getting data in: the sources manifest (:mod:`.manifest`), discovery of the
publishers' latest releases (:mod:`.services`), downloads with limits, and
the two ways files reach ``data/raw/``: :mod:`.fetch` and :mod:`.ingest`,
which both install through :mod:`.install` (load in full, refuse an older or
narrower release, keep the replaced copy, replace atomically). Keeping it:
store snapshots with their checksums and leases (:mod:`.snapshot`).
Comparing it: every comparator group resolved in one place (:mod:`.groups`).
"""
