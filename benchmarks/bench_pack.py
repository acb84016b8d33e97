"""Pack build speed: the naive way against the project's way, in one run.

Naive: for each section notebook, the `papermill` command line (a fresh
kernel per notebook), then the `jupyter nbconvert --to html --no-input`
command line per notebook, then WeasyPrint on the concatenated HTML.
Ours: helpers.pack.build_pack (one warm kernel reused, exporter/template and
fonts built once).

    python benchmarks/bench_pack.py --data ../shared/data/dfe --council Dorset
    python benchmarks/bench_pack.py --data ../shared/data/dfe --all            # and every council, measured
    python benchmarks/bench_pack.py --data ../shared/data/dfe --all --sample 6 # extrapolated, labelled so

Warm packs are built ``--repeat`` times (default 3) and the median printed
with the fastest and slowest, because wall times on a shared machine vary by
a fifth from run to run. Beside each wall time it prints the CPU seconds of
every process involved (this one, its kernels and the browser, read from
/proc), which vary less; for a batch, the busy CPU seconds of the whole
machine. On a machine with N cores, a batch cannot take less than its CPU
seconds divided by N.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def process_cpu() -> dict[str, float] | None:
    """CPU seconds used so far by this process and every process under it,
    by kind: 'this process' (with the processes it waited for), 'kernels and
    workers' (the Python processes under it) and
    'browser' (Chromium's). Processes that have ended count through the
    process that waited for them. None where /proc cannot be read."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    try:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                name = stat[stat.index("(") + 1:stat.rindex(")")]
                fields = stat[stat.rindex(")") + 2:].split()
                table[int(entry)] = (int(fields[1]), name, sum(int(f) for f in fields[11:15]) / tick)
    except OSError:
        return None
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    me = os.getpid()
    out = {"this process": table[me][2] if me in table else 0.0, "kernels and workers": 0.0, "browser": 0.0}
    pending = list(children.get(me, []))
    while pending:
        pid = pending.pop()
        parent, name, seconds = table[pid]
        out["browser" if "chrom" in name.lower() else "kernels and workers"] += seconds
        pending += children.get(pid, [])
    return out


def machine_cpu() -> tuple[float, float] | None:
    """(busy, stolen) CPU seconds of the whole machine since boot, from
    /proc/stat: a batch's worker processes and their kernels and browsers
    end with it, so their time is read off the machine. None where it cannot
    be read."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq) / tick, steal / tick


def cpu_used(before: dict | None, after: dict | None) -> dict[str, float]:
    """CPU seconds by kind between two readings of :func:`process_cpu`
    (empty where /proc could not be read)."""
    if before is None or after is None:
        return {}
    return {k: after[k] - before.get(k, 0.0) for k in after}


def cpu_text(parts: dict[str, float]) -> str:
    if not parts:
        return ""
    return (f"{sum(parts.values()):.1f} CPU s ("
            + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()) + ")")


def naive(council: str, data: str, notebooks: Path, out: Path) -> float:
    t = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    bodies = []
    for nb in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        executed = out / nb.name
        subprocess.run([str(BIN / "papermill"), str(nb), str(executed), "-p", "council", council,
                        "-p", "data", data, "--no-progress-bar"], check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                       check=True, capture_output=True)
        bodies.append(executed.with_suffix(".html").read_text(encoding="utf-8"))
    from weasyprint import HTML
    (out / "pack.html").write_text("\n".join(bodies), encoding="utf-8")
    HTML(string="\n".join(bodies)).write_pdf(str(out / "pack.pdf"))
    return time.perf_counter() - t


def ours(council: str, data: str, notebooks: Path, reports: Path) -> tuple[float, dict]:
    from helpers.pack import build_pack
    t = time.perf_counter()
    res = build_pack(council=council, data=data, notebooks_dir=notebooks, reports_dir=reports)
    return time.perf_counter() - t, res.timings


def children_cpu() -> float:
    """CPU seconds of every process this one has started and waited for
    (a batch's workers, and through them their kernels and browsers)."""
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold(council: str, data: str, notebooks: Path, reports: Path) -> tuple[float, float, str]:
    """`scrutiny build --council` from a new command line: (wall seconds,
    CPU seconds of it and everything it started, its summary line)."""
    before = children_cpu()
    t = time.perf_counter()
    out = subprocess.run([str(BIN / "scrutiny"), "build", "--council", council, "--data", data, "--notebooks",
                          str(notebooks), "--reports", str(reports), "--force"],
                         capture_output=True, text=True, env={**os.environ})
    seconds = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"cold build failed: {out.stdout}{out.stderr}")
    return seconds, children_cpu() - before, out.stdout.splitlines()[0]


def warm(council: str, data: str, notebooks: Path, reports: Path, repeat: int):
    ours(council, data, notebooks, reports)  # starts this process's kernels and browser
    runs = []
    for _ in range(max(1, repeat)):
        before = process_cpu()
        seconds, timings = ours(council, data, notebooks, reports)
        runs.append((seconds, timings, cpu_used(before, process_cpu())))
    ordered = sorted(runs, key=lambda run: run[0])
    return ordered[len(ordered) // 2], ordered[0][0], ordered[-1][0]


def batch_floor(cpu: dict[str, float], councils: int) -> str:
    """What a warm pack's CPU seconds imply for a batch of every council on
    this machine's cores: the least time it can take, in all and for the
    browser's and the kernels' parts (each pack in a batch costs at least
    a warm pack's CPU seconds, and a batch bound by CPU cannot go faster
    than its cores)."""
    if not cpu or not councils:
        return ""
    cores = os.cpu_count() or 1
    total = sum(cpu.values())

    def minutes(seconds: float) -> str:
        return f"{councils * seconds / cores / 60:.1f} min"
    return (f"    so a batch of {councils} packs on {cores} cores needs at least {minutes(total)} "
            f"({total:.1f} CPU s a pack); the browser's part alone {minutes(cpu.get('browser', 0.0))}, "
            f"the kernels' {minutes(cpu.get('kernels and workers', 0.0))}")


def batch(data: str, notebooks: Path, reports: Path, workers, sample: int) -> dict:
    from helpers.build.batch import run_batch, runs_for_all
    runs = runs_for_all(data)
    timed = runs[:sample] if sample else runs
    before_machine, before_tree = machine_cpu(), children_cpu()
    t = time.perf_counter()
    summary = run_batch(timed, force=True, workers=workers, data=data, notebooks_dir=notebooks,
                        reports_dir=reports, progress=False)
    took = time.perf_counter() - t
    after_machine = machine_cpu()
    return {"summary": summary, "runs": len(runs), "timed": len(timed), "seconds": took,
            "tree_cpu": children_cpu() - before_tree,
            "machine": None if not (before_machine and after_machine) else
            (after_machine[0] - before_machine[0], after_machine[1] - before_machine[1])}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "dfe"))
    ap.add_argument("--council", default="Dorset")
    ap.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    ap.add_argument("--all", action="store_true", help="also time a batch of every current council, measured")
    ap.add_argument("--sample", type=int, default=0, help="with --all: time N councils and extrapolate (labelled)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--skip-cold", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="warm packs to build (the median is printed)")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-pack-"))
    os.environ.setdefault("SCRUTINY_CACHE_DIR", str(work / "cache"))
    from helpers.store import open_store
    t = time.perf_counter()
    store = open_store(args.data)
    print(f"store ready in {time.perf_counter() - t:.1f} s ({store.key})", flush=True)
    results = {}
    if not args.skip_naive:
        results["naive"] = naive(args.council, args.data, args.notebooks, work / "naive")
        print(f"naive (papermill CLI + nbconvert CLI per notebook + WeasyPrint): {results['naive']:.1f} s", flush=True)
    if not args.skip_cold:
        seconds, cpu, line = cold(args.council, args.data, args.notebooks, work / "cold")
        results["cold"] = seconds
        print(f"ours, one pack from a cold command line (scrutiny build --council {args.council}): {seconds:.1f} s, "
              f"{cpu:.1f} CPU s\n    {line}", flush=True)
    (seconds, timings, cpu), fastest, slowest = warm(args.council, args.data, args.notebooks, work / "reports",
                                                    args.repeat)
    results["warm"] = seconds
    print(f"ours, a warm pack (kernels and browser running): {seconds:.1f} s, median of {max(1, args.repeat)} "
          f"(fastest {fastest:.1f} s, slowest {slowest:.1f} s); {cpu_text(cpu)}", flush=True)
    for k, v in timings.items():
        print(f"    {k:<28} {v:7.2f} s")
    from helpers.build.batch import runs_for_all
    floor = batch_floor(cpu, len(runs_for_all(args.data)))
    if floor:
        print(floor)
    if args.all:
        b = batch(args.data, args.notebooks, work / "batch", args.workers, args.sample)
        print(b["summary"].text())
        built = len(b["summary"].built)
        if built < b["timed"]:   # stopped or failed: no figure for a batch that did not finish
            why = f"stopped by {b['summary'].stopped_by}" if b["summary"].stopped_by else "some failed"
            print(f"every council: NOT MEASURED, {built} of {b['timed']} packs built in {b['seconds']:.1f} s ({why})")
            b = None
    if args.all and b is not None:
        total = b["seconds"] * b["runs"] / b["timed"]
        label = "measured" if b["timed"] == b["runs"] else f"EXTRAPOLATED from {b['timed']} councils"
        results["batch"] = total
        print(f"every council ({b['runs']}), members' and full editions: {total:.1f} s = {total / 60:.1f} min "
              f"({label}); {b['seconds'] / b['timed']:.2f} s a pack; {b['tree_cpu']:.0f} CPU s in the batch's "
              f"processes ({b['tree_cpu'] / b['timed']:.1f} a pack)")
        if b["machine"]:
            busy, stolen = b["machine"]
            cores = os.cpu_count() or 1
            print(f"    the whole machine meanwhile: {busy:.0f} CPU s busy of {b['seconds'] * cores:.0f} on {cores} "
                  f"cores ({stolen:.0f} s taken by the host); other users' work counts there too")
    print("\nsummary (one run):")
    if "batch" in results:
        print(f"  every council, both editions: {results['batch'] / 60:.1f} min (target 5 min)")
    if "cold" in results:
        print(f"  one pack from a cold command line: {results['cold']:.1f} s (target 5 s)")
    print(f"  a warm pack: {results['warm']:.1f} s")
    if "naive" in results:
        print(f"  warm pack against the naive way: {results['naive'] / results['warm']:.1f}x (target 30x); "
              f"cold: {results['naive'] / results.get('cold', float('nan')):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
