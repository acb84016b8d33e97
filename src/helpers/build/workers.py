"""Where a batch's packs are built: a local process pool (the default) or a
Dask cluster, and how many workers a machine can hold.

Both runners take the same arguments, report each finished pack through
``report(outcome)`` and watch ``request`` (a
:class:`helpers.build.stop.StopRequest`): once a stop is asked for, no new
pack starts, the workers are stopped (each kills its kernel and browser and
removes its unfinished build folder) and every pack not finished is
reported as not built.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from ..errors import ParameterError, ScrutinyError

#: Memory one worker needs: itself and its kernel (about 0.9 GB) and its browser (about 0.5 GB).
WORKER_MEMORY_MB = int(os.environ.get("SCRUTINY_WORKER_MEMORY_MB", "1500"))
#: Seconds to reach a Dask scheduler before giving up.
DASK_CONNECT_S = float(os.environ.get("SCRUTINY_DASK_TIMEOUT", "5"))
_POLL_S = 0.2


# ------------------------------------------------------------------ how many

def cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def available_memory_mb() -> int | None:
    try:
        import psutil
        return int(psutil.virtual_memory().available / 2**20)
    except ImportError:  # pragma: no cover - psutil comes with dask distributed
        pass
    try:
        for line in open("/proc/meminfo", encoding="ascii"):
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def worker_count(asked: int | None, runs: int) -> tuple[int, str]:
    """(workers to start, a note when fewer than asked): at most one a core
    and as many as the free memory holds (WORKER_MEMORY_MB each), never
    more than there are packs."""
    if asked is not None and (isinstance(asked, bool) or not isinstance(asked, int) or asked < 1):
        raise ParameterError("workers", "must be a whole number of at least 1", asked)
    n_cores, memory = cores(), available_memory_mb()
    cap = n_cores if memory is None else max(1, min(n_cores, memory // WORKER_MEMORY_MB))
    note = ""
    if asked and asked > cap:
        held = f"{memory / 1024:.1f} GB of memory free" if memory is not None else "its memory"
        note = (f"--workers {asked}: this machine has {n_cores} core{'s' * (n_cores != 1)} and {held}, and each "
                f"worker needs a core and about {WORKER_MEMORY_MB / 1024:.1f} GB (itself, its kernel and its "
                f"browser), so {cap} worker{'s' * (cap != 1)} will run")
    return max(1, min(asked or cap, cap, runs)), note


# ------------------------------------------------------------------ the process pool

def run_pool(runs, options, workers: int, env: dict, request, report, build_one, make_outcome) -> list:
    """Build ``runs`` in a pool of ``workers`` processes; return the outcomes
    of the packs that finished (in the order they finished)."""
    from .batch import init_worker
    outcomes = []
    pool = ProcessPoolExecutor(max_workers=workers, initializer=init_worker, initargs=(env,))
    try:
        pending = {pool.submit(build_one, run, options): run for run in runs}
        while pending and not request.requested:
            done, _ = wait(pending, timeout=_POLL_S, return_when=FIRST_COMPLETED)
            for fut in done:
                run = pending.pop(fut)
                try:
                    out = fut.result()
                except Exception as exc:  # the worker process died
                    if request.requested:
                        continue
                    out = make_outcome(run, f"worker stopped: {type(exc).__name__}: {exc}")
                out.run = run  # the caller's object, for ordering the summary
                outcomes.append(out)
                report(out)
        if request.requested:
            _stop_children()
    finally:
        pool.shutdown(wait=not request.requested, cancel_futures=True)
    return outcomes


def _stop_children(grace_s: float = 5) -> None:
    """Ask every worker process to stop (they clean up and exit at once);
    kill any still running after ``grace_s``."""
    children = multiprocessing.active_children()
    for child in children:
        try:
            os.kill(child.pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + grace_s
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()
            child.join(1)


# ------------------------------------------------------------------ Dask

_ADDRESS = re.compile(r"^(?:(tcp|tls|inproc|ucx|ws|wss)://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})/?$")


def check_dask_address(address: str) -> str:
    """'local', or a scheduler address such as tcp://scheduler:8786
    (host:port means tcp); ParameterError for anything else."""
    text = str(address).strip()
    if text == "local":
        return text
    m = _ADDRESS.match(text)
    if not m or not 0 < int(m.group(3)) < 65536:
        raise ParameterError("dask", "must be 'local' or a Dask scheduler's address such as "
                                     "tcp://scheduler:8786", address)
    return text if m.group(1) else f"tcp://{text}"


def connect_dask(address: str, workers: int, env: dict):
    """(client, cluster or None): a local cluster of ``workers`` processes,
    or a client of the scheduler at ``address``, reached within
    DASK_CONNECT_S seconds or refused with one line."""
    from dask.distributed import Client, LocalCluster
    if address == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        cluster = None
        client = _reach(address)
    from .dask_setup import DaskWorkerSetup
    client.register_plugin(DaskWorkerSetup(env), name="scrutiny-worker")
    return client, cluster


def _reach(address: str):
    """A client of the scheduler at ``address``, after checking that a Dask
    scheduler answers there; ScrutinyError in one line when nothing answers
    within DASK_CONNECT_S seconds or what answers is not a Dask scheduler."""
    import asyncio
    from dask.distributed import Client
    try:
        kind = asyncio.run(asyncio.wait_for(_identity(address), DASK_CONNECT_S))
    except (OSError, TimeoutError, asyncio.TimeoutError, ValueError) as exc:
        reason = (str(exc).splitlines() or [""])[0] or "no answer"
        raise ScrutinyError(f"--dask {address}: no Dask scheduler answered within {DASK_CONNECT_S:.0f} s "
                            f"({reason[:200]}). Check the address and that the scheduler is running, "
                            f"or use --dask local") from None
    except Exception as exc:  # noqa: BLE001 - something answered, in another protocol
        kind = f"something that is not a Dask scheduler ({type(exc).__name__})"
    if kind != "Scheduler":
        raise ScrutinyError(f"--dask {address}: {kind if kind.startswith('something') else f'a Dask {kind}'} "
                            f"answered there, not a Dask scheduler. Give the scheduler's address "
                            f"(dask scheduler prints it), or use --dask local")
    return Client(address, timeout=DASK_CONNECT_S, set_as_default=False)


async def _identity(address: str) -> str:
    """What kind of Dask server answers at ``address`` ("Scheduler", "Worker"...)."""
    from distributed.comm import connect
    comm = await connect(address, timeout=DASK_CONNECT_S)
    try:
        await comm.write({"op": "identity", "reply": True})
        reply = await comm.read()
    finally:
        await comm.close()
    return str(reply.get("type", "server")) if isinstance(reply, dict) else "server"


def run_dask(runs, options, client, cluster, request, report, build_one, make_outcome) -> list:
    """Build ``runs`` on a Dask cluster; return the finished packs' outcomes."""
    from dask.distributed import as_completed
    futures = client.map(build_one, runs, options=options, pure=False)
    run_of = {f.key: r for f, r in zip(futures, runs)}
    done_keys, outcomes = set(), []
    finished = as_completed(futures)
    while len(done_keys) < len(futures) and not request.requested:
        for fut in finished.next_batch(block=False) if finished.has_ready() else ():
            done_keys.add(fut.key)
            try:
                out = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker died, or the task could not run
                out = make_outcome(run_of[fut.key], f"worker stopped: {type(exc).__name__}: {exc}")
            out.run = run_of[fut.key]
            outcomes.append(out)
            report(out)
        time.sleep(_POLL_S)
    if request.requested:
        _stop_dask(client, cluster, [f for f in futures if f.key not in done_keys])
    return outcomes


def _stop_dask(client, cluster, futures) -> None:
    """Cancel what has not finished; on a local cluster stop its workers at
    once, on a shared one stop this batch's builds (their kernels and
    browsers) and leave the workers running."""
    from .stop import run_cleanups
    try:
        client.cancel(futures, force=True)
    except Exception:  # noqa: BLE001
        pass
    if cluster is not None:
        try:
            pids = client.run(os.getpid, wait=True)
            for pid in pids.values():
                os.kill(pid, signal.SIGTERM)
        except Exception:  # noqa: BLE001 - already gone
            pass
    else:
        try:
            client.run(_stop_builds_here)
        except Exception:  # noqa: BLE001
            pass
    run_cleanups()


def _stop_builds_here() -> None:
    """On a shared worker: end this batch's running builds (their kernels
    and browser) and remove their unfinished folders; the worker lives on."""
    from . import install
    from .stop import run_cleanups
    run_cleanups()
    install.discard_unfinished()
