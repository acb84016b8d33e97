"""The Dask worker plugin of a batch (imported only when a batch runs on
Dask, so nothing else pays for importing distributed)."""

from __future__ import annotations

import os

from distributed.diagnostics.plugin import WorkerPlugin


class DaskWorkerSetup(WorkerPlugin):
    """Every worker of the batch gets the batch's environment (SCRUTINY_*),
    and stops at once with its kernel and browser when it is told to stop or
    its parent ends (see :mod:`helpers.build.stop`)."""

    name = "scrutiny-worker"

    def __init__(self, env: dict):
        self.env = dict(env)

    def setup(self, worker=None):
        os.environ.update(self.env)
        from .stop import worker_lifetime
        worker_lifetime()
