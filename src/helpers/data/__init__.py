"""Getting data in: the sources manifest, discovery of the publishers' latest
releases (:mod:`.services`), downloads with limits (:mod:`.http`), and the
two ways files reach ``data/raw/``: :mod:`.fetch` and :mod:`.ingest`, which
both install through :mod:`.install` (load in full, refuse an older or
narrower release, keep the replaced copy, replace atomically)."""
