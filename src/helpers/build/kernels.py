"""Warm Jupyter kernels: one kernel kept running for many notebooks, and
the papermill engine that runs a notebook in it.

Each process keeps its kernels by slot (:func:`warm_kernel`): a batch
worker uses slot 0 for every council; a single pack runs its sections on up
to two slots at once. A kernel imports the heavy modules once
(``KERNEL_STARTUP``) and loads each store once; between notebooks its
namespace is reset (``KERNEL_RESET``).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

from ..errors import PackBuildError

#: Code the warm kernel runs once when it starts: everything a section
#: notebook imports, so no notebook pays for it (see :mod:`.kernel_side`).
KERNEL_STARTUP = "from helpers.build import kernel_side as _k; _k.prepare(); del _k"

#: Run between two notebooks: a clean namespace, and the kernel's state
#: (styles, options, helpers' module state, figures) as it was at start-up;
#: the memoised stores stay unless a notebook changed one.
KERNEL_RESET = "from helpers.build import kernel_side as _k; _k.reset()"

#: Seconds to wait for a cell's output to arrive once the kernel has said the
#: cell is done. nbclient's default (4 s, which papermill makes an error)
#: fails a pack on a busy machine although the cell ran; the cell's own
#: limit is the build's ``timeout``.
IOPUB_TIMEOUT = 60

#: Run once a store is loaded: what lives as long as the kernel is set aside
#: from the garbage collector.
KERNEL_SETTLE = "from helpers.build import kernel_side as _k; _k.settle(); del _k"


class WarmKernel:
    """One Jupyter kernel kept running for many notebooks. It imports the
    heavy modules once (KERNEL_STARTUP) and loads each store once (the
    store is memoised per process); between notebooks the namespace is
    reset (KERNEL_RESET)."""

    def __init__(self, kernel_name: str = "python3", startup_timeout: int = 120):
        import nbformat
        from nbclient import NotebookClient
        self.kernel_name = kernel_name
        self.env_key = _kernel_env_key()
        self._client = NotebookClient(nbformat.v4.new_notebook(), kernel_name=kernel_name,
                                      startup_timeout=startup_timeout)
        self._client.km = self._client.create_kernel_manager()
        # local sockets beside the connection file: no TCP ports to open, and
        # nothing for the kernel to warn about on every build
        prefix = _ipc_prefix()
        if prefix:
            self._client.km.transport = "ipc"
            self._client.km.ip = prefix
        # what the kernel process prints (ipykernel's own warnings, a crash)
        # goes to a log of its own, read back only when the kernel dies
        self.log_path = _kernel_log_path(prefix)
        with open(self.log_path, "wb") as log:
            self._client.start_new_kernel(stdout=log, stderr=log)
        self._client.start_new_kernel_client()
        self.km, self.kc = self._client.km, self._client.kc
        self.warm_data: set[str] = set()
        self.notebooks_run = 0
        self.run(KERNEL_STARTUP)

    def run(self, code: str, timeout: float = 300) -> list[str]:
        """Run set-up code in the kernel; the lines it printed."""
        from jupyter_core.utils import run_sync
        errors: list[str] = []
        printed: list[str] = []

        def hook(msg):
            if msg.get("msg_type") == "error":
                errors.append(f"{msg['content'].get('ename')}: {msg['content'].get('evalue')}")
            elif msg.get("msg_type") == "stream":
                printed.extend(line for line in msg["content"].get("text", "").splitlines() if line.strip())

        reply = run_sync(self.kc.execute_interactive)(code, timeout=timeout, store_history=False, output_hook=hook)
        if reply["content"].get("status") != "ok":
            raise PackBuildError(f"the warm kernel could not run its set-up code: {'; '.join(errors) or reply['content']}")
        return printed

    def preload(self, data: str) -> None:
        """Load the store for ``data`` into the kernel before the first notebook."""
        if data in self.warm_data:
            return
        self.run(f"import helpers.store as _s; _s.open_store({data!r}); del _s")
        self.run(KERNEL_SETTLE)
        self.warm_data.add(data)

    def reset(self) -> list[str]:
        """Restore the kernel between notebooks; what a notebook had changed in place."""
        return self.run(KERNEL_RESET)

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync
        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:
            return False

    def log_tail(self, lines: int = 5) -> str:
        """The last lines the kernel process printed (why it died, usually)."""
        try:
            text = open(self.log_path, encoding="utf-8", errors="replace").read()
        except OSError:
            return ""
        return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync
        try:
            self.kc.stop_channels()
            run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # pragma: no cover - best effort at exit
            self.kill()
        _remove_file(self.log_path)

    def kill(self) -> None:
        """Stop the kernel process at once (SIGKILL) and remove its
        connection file, sockets and log: for a build that is told to stop."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        try:  # no wait: the code this stops may hold the process's lock (the process is reaped later)
            if process is not None and process.returncode is None:
                os.kill(process.pid, signal.SIGKILL)
        except OSError:  # it has ended already
            pass
        for cleanup in (self.km.cleanup_connection_file, self.km.cleanup_ipc_files):
            try:
                cleanup()
            except Exception:  # noqa: BLE001
                pass
        _remove_file(self.log_path)


def _kernel_log_path(prefix: str | None) -> str:
    import tempfile
    from jupyter_core.paths import jupyter_runtime_dir
    folder = os.path.dirname(prefix) if prefix else jupyter_runtime_dir()
    try:
        os.makedirs(folder, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix="scrutiny-kernel-", suffix=".log", dir=folder)
    except OSError:
        fd, path = tempfile.mkstemp(prefix="scrutiny-kernel-", suffix=".log")
    os.close(fd)
    return path


def _remove_file(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def kill_all() -> None:
    """Kill every warm kernel of this process at once (see :mod:`helpers.build.stop`)."""
    for slot in list(_WARM):
        kernel = _WARM.pop(slot, None)
        if kernel is not None:
            kernel.kill()


def _ipc_prefix() -> str | None:
    """A path prefix for one kernel's local (IPC) sockets in the Jupyter
    runtime folder, or None to keep TCP: not a POSIX system, a path too
    long for a socket (about 100 bytes), or a folder that cannot hold one."""
    if os.name != "posix":
        return None
    import socket
    import uuid

    from jupyter_core.paths import jupyter_runtime_dir
    folder = jupyter_runtime_dir()
    prefix = os.path.join(folder, f"scrutiny-{uuid.uuid4().hex[:12]}")
    if len(prefix.encode()) >= 90:
        return None
    probe = f"{prefix}-probe"
    try:
        os.makedirs(folder, exist_ok=True)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.bind(probe)
    except OSError:
        return None
    finally:
        try:
            os.unlink(probe)
        except OSError:
            pass
    return prefix


def _kernel_env_key() -> tuple:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("SCRUTINY_")))


#: This process's warm kernels, by slot: slot 0 serves batches (one kernel a
#: worker process); a single pack runs its sections on up to two slots at once.
_WARM: dict[int, WarmKernel] = {}
_ATEXIT = False


def warm_kernel(slot: int = 0) -> WarmKernel:
    """This process's warm kernel for ``slot``, started on first use (and
    restarted if it died or the SCRUTINY_* environment it was started with
    changed)."""
    global _ATEXIT
    kernel = _WARM.get(slot)
    if kernel is not None and (kernel.env_key != _kernel_env_key() or not kernel.alive()):
        _shutdown_warm(slot)
        kernel = None
    if kernel is None:
        if not _ATEXIT:
            import atexit
            atexit.register(_shutdown_warm)
            from .stop import on_stop
            on_stop(kill_all)
            _ATEXIT = True
        kernel = _WARM[slot] = WarmKernel()
    return kernel


def _shutdown_warm(slot: int | None = None) -> None:
    for s in ([slot] if slot is not None else list(_WARM)):
        kernel = _WARM.pop(s, None)
        if kernel is not None:
            kernel.shutdown()


def _register_engine() -> str:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmKernelEngine(NBClientEngine):
        """papermill's nbclient engine, run in a kernel that is already
        started: papermill does not start or shut it down."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            warm: WarmKernel = kwargs.pop("warm_kernel")
            client = PapermillNotebookClient(
                nb_man, km=warm.km, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logging.getLogger("papermill"), log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file, iopub_timeout=IOPUB_TIMEOUT)
            client.kc = warm.kc  # reuse the open channels; nbclient leaves them open (it does not own km)
            return client.execute()

    papermill_engines.register("scrutiny-warm", WarmKernelEngine)
    return "scrutiny-warm"


_ENGINE: str | None = None


def ensure_engine() -> str:
    """The warm-kernel papermill engine's name, registered on first use."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _register_engine()
    return _ENGINE


class _KeepWarnings(logging.Filter):
    """papermill's warnings during a build (a parameter the notebook does not
    take...) go to the build's list of warnings, kept in its manifest, rather
    than to the log of every scheduled run."""

    def __init__(self):
        super().__init__()
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        sink = getattr(self.local, "sink", None)
        if sink is None or record.levelno < logging.WARNING:
            return True
        message = record.getMessage()
        if message not in sink:
            sink.append(message)
        return False


_PAPERMILL_WARNINGS = _KeepWarnings()
logging.getLogger("papermill").addFilter(_PAPERMILL_WARNINGS)


def execute_section(notebook: Path, output: Path, parameters: dict, *, warm: bool = True,
                    timeout: int = 600, slot: int = 0, notes: list | None = None):
    """Execute one section notebook with papermill (in the warm kernel of
    ``slot`` unless ``warm=False``) and return the executed notebook.
    papermill's warnings are added to ``notes`` (when given) instead of
    being printed."""
    _PAPERMILL_WARNINGS.local.sink = notes
    try:
        return _execute(notebook, output, parameters, warm=warm, timeout=timeout, slot=slot, notes=notes)
    finally:
        _PAPERMILL_WARNINGS.local.sink = None


def _execute(notebook: Path, output: Path, parameters: dict, *, warm: bool, timeout: int, slot: int,
             notes: list | None = None):
    import papermill as pm
    folder = str(Path(notebook).resolve().parent)  # as JupyterLab runs it: files beside it are found
    if not warm:
        return pm.execute_notebook(str(notebook), str(output), parameters=parameters, progress_bar=False,
                                   kernel_name="python3", execution_timeout=timeout, cwd=folder,
                                   iopub_timeout=IOPUB_TIMEOUT)
    engine = ensure_engine()
    kernel = warm_kernel(slot)
    kernel.preload(str(parameters.get("data") or "official"))
    if kernel.notebooks_run:
        for line in kernel.reset():  # what the notebook before had changed in place
            if notes is not None:
                notes.append(f"{line} (before {Path(notebook).name})")
    kernel.notebooks_run += 1
    kernel.run(f"import os as _os; _os.chdir({folder!r}); del _os")
    try:
        return pm.execute_notebook(str(notebook), str(output), parameters=parameters, progress_bar=False,
                                   engine_name=engine, kernel_name=kernel.kernel_name,
                                   execution_timeout=timeout, warm_kernel=kernel, request_save_on_cell_execute=False)
    except Exception as exc:
        # A dead kernel is replaced; so is one still busy with a cell that
        # timed out (it would hold up the next notebook until the cell ends).
        dead = not kernel.alive()
        if dead:
            tail = kernel.log_tail()
            _shutdown_warm(slot)
            raise PackBuildError(f"the kernel stopped while running {Path(notebook).name}"
                                 + (f" (it printed: {tail})" if tail else "")) from exc
        if _is_timeout(exc):
            _shutdown_warm(slot)
        raise


def _is_timeout(exc: BaseException) -> bool:
    from nbclient.exceptions import CellTimeoutError
    return isinstance(exc, (CellTimeoutError, TimeoutError))
