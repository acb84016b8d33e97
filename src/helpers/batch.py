"""Batches of packs: see :mod:`helpers.build.batch` (kept here so older
imports keep working)."""

from .build.batch import (BatchRun, BatchSummary, Outcome, build_one, run_batch, runs_for_all,  # noqa: F401
                          write_index)
from .params import RUN_KEYS, runs_from_file  # noqa: F401
