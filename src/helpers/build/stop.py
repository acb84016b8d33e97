"""Stopping cleanly: a build or batch told to stop (SIGTERM, SIGINT, SIGHUP)
stops within seconds, with its workers, kernels and browsers; a worker whose
parent has died stops by itself.

* In the process that runs a batch, :func:`stop_requests` turns a stop
  signal into a request the batch acts on (it stops its workers, keeps what
  was finished and says what was not); a second signal stops at once.
* In a worker (a process-pool worker or a Dask worker),
  :func:`worker_lifetime` makes the worker stop when told to and when its
  parent ends, even by ``kill -9``: Linux's parent-death signal
  (``prctl(PR_SET_PDEATHSIG)``) where there is one, and a watchdog thread
  that polls the parent's process id everywhere. Stopping kills the
  worker's kernels and browser and removes its unfinished build folders.
* Kernels watch their own parent (ipykernel's parent poller, given
  ``JPY_PARENT_PID``) and a browser ends when its DevTools pipe closes, so
  nothing outlives the worker that started it.
* :func:`uninterrupted` holds stop signals back for the instant a finished
  pack is moved into place, so a stop never leaves a council without its
  pack.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager

#: Signals that ask a build to stop.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))
WATCH_INTERVAL_S = 0.5
_MOVING = threading.Lock()
_MOVER: int | None = None          # the thread moving a pack into place now
_PENDING: dict = {}                # thread -> what to do once its move is done
_STOPPING = threading.Event()
_STOPPING_LOCK = threading.RLock()
_CLEANUPS: list = []


class Stopped(BaseException):
    """A build told to stop by a signal (not an error of the build)."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"stopped by {signal_name(signum)}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def on_stop(cleanup) -> None:
    """Run ``cleanup()`` when this process is stopped (kill kernels, close
    the browser...). Registered once per kind of resource."""
    if cleanup not in _CLEANUPS:
        _CLEANUPS.append(cleanup)


def run_cleanups() -> None:
    """Run every registered cleanup now (each at most a moment; errors ignored)."""
    for cleanup in list(_CLEANUPS):
        try:
            cleanup()
        except Exception:  # noqa: BLE001 - stopping must not stop half way
            pass


@contextmanager
def uninterrupted():
    """Hold back stopping while files are moved into place: a stop asked
    for meanwhile (by a signal, or the parent's death) waits for the move
    to finish. A stop signal's handler runs on the main thread whichever
    thread the signal arrived on, so masking signals is not enough."""
    global _MOVER
    with _MOVING:
        _MOVER = threading.get_ident()
        try:
            yield
        finally:
            _MOVER = None
    pending = _PENDING.pop(threading.get_ident(), None)
    if pending is not None:
        pending()


def when_safe(action) -> None:
    """Run ``action()`` now or, if this thread is moving a pack into place,
    as soon as the move is done."""
    if _MOVER == threading.get_ident():
        _PENDING[threading.get_ident()] = action
        return
    action()


def stop_now(code: int) -> None:
    """Stop this process at once: wait for a pack being moved into place by
    another thread, kill the kernels and browser, remove unfinished build
    folders, and exit with ``code``. Nothing here waits on a lock the
    interrupted code may hold."""
    if _MOVER == threading.get_ident():
        _PENDING[threading.get_ident()] = lambda: stop_now(code)
        return
    with _STOPPING_LOCK:
        if _STOPPING.is_set():   # already stopping (a second signal, or the watchdog): that call exits
            return
        _STOPPING.set()
    _MOVING.acquire(timeout=10)
    run_cleanups()
    from . import install
    install.discard_unfinished()
    os._exit(code)


# ------------------------------------------------------------------ workers

def worker_lifetime() -> None:
    """Make this worker process stop, cleanly and at once, when it is sent
    a stop signal or its parent process ends. Safe to call more than once."""
    if getattr(worker_lifetime, "_done", False):
        return
    worker_lifetime._done = True
    parent = os.getppid()
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            signal.signal(signum, lambda n, _frame: stop_now(128 + n))  # waits for a move in progress
        _parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent:  # the parent ended before the signal was asked for
        stop_now(128 + signal.SIGTERM)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watchdog", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(WATCH_INTERVAL_S)
        if os.getppid() != parent:
            stop_now(128 + signal.SIGTERM)


def _parent_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when the thread that
    started it ends (PR_SET_PDEATHSIG); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, int(signum), 0, 0, 0) == 0   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


# ------------------------------------------------------------------ the batch's own process

class StopRequest:
    """What the batch's process was asked: ``signum`` once a stop signal
    arrived (None until then)."""

    def __init__(self):
        self.signum: int | None = None
        self.event = threading.Event()

    @property
    def requested(self) -> bool:
        return self.signum is not None


@contextmanager
def stop_requests(on_request, on_force=None):
    """Within the block, a stop signal records a :class:`StopRequest` and
    calls ``on_request(signum)`` (which should stop the workers and return);
    a second signal calls ``on_force(signum)`` (default: exit at once).
    Outside the main thread signals cannot be caught, and the block runs
    without them."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handler(signum, _frame):
        if request.requested:
            when_safe(lambda: (on_force or (lambda n: stop_now(128 + n)))(signum))
            return
        request.signum = signum
        request.event.set()
        when_safe(lambda: on_request(signum))

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield request
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
