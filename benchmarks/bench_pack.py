"""Pack build speed: the naive way against the project's way, in one run.

Naive: for each section notebook, the `papermill` command line (a fresh
kernel per notebook), then the `jupyter nbconvert --to html --no-input`
command line per notebook, then WeasyPrint on the concatenated HTML.
Ours: helpers.pack.build_pack (one warm kernel reused, exporter/template and
fonts built once).

    python benchmarks/bench_pack.py --data ../shared/data/dfe --council Dorset
    python benchmarks/bench_pack.py --data ../shared/data/dfe --all            # every council, measured
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


def cpu_used(before: dict | None, after: dict | None) -> str:
    if before is None or after is None:
        return ""
    parts = {k: after[k] - before.get(k, 0.0) for k in after}
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "dfe"))
    ap.add_argument("--council", default="Dorset")
    ap.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    ap.add_argument("--all", action="store_true", help="time a batch of every current council")
    ap.add_argument("--sample", type=int, default=0, help="with --all: time N councils and extrapolate (labelled)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="warm packs to build (the median is printed)")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-pack-"))
    os.environ.setdefault("SCRUTINY_CACHE_DIR", str(work / "cache"))
    from helpers.store import open_store
    t = time.perf_counter()
    store = open_store(args.data)
    print(f"store ready in {time.perf_counter() - t:.1f} s ({store.key})")
    if not args.all:
        if not args.skip_naive:
            n = naive(args.council, args.data, args.notebooks, work / "naive")
            print(f"naive (papermill CLI + nbconvert CLI per notebook + WeasyPrint): {n:.1f} s")
        o, timings = ours(args.council, args.data, args.notebooks, work / "reports")
        print(f"ours, first pack in a new process (kernel start included): {o:.1f} s")
        starts = [k for k in timings if k.startswith("execute:")][:2]  # the first section in each kernel
        print("    " + ", ".join(f"{k} {timings[k]:.2f} s" for k in [*starts, "assemble", "pdf"] if k in timings)
              + "  (the first section in each kernel includes starting it)")
        warm = []
        for _ in range(max(1, args.repeat)):
            before = process_cpu()
            seconds, timings = ours(args.council, args.data, args.notebooks, work / "reports")
            warm.append((seconds, timings, cpu_used(before, process_cpu())))
        ordered = sorted(warm, key=lambda run: run[0])
        o2, timings, cpu = ordered[len(ordered) // 2]
        print(f"ours, next pack (warm kernel): {o2:.1f} s, median of {len(warm)} "
              f"(fastest {ordered[0][0]:.1f} s, slowest {ordered[-1][0]:.1f} s); {cpu}")
        for k, v in timings.items():
            print(f"    {k:<28} {v:7.2f} s")
        if not args.skip_naive:
            print(f"speed-up: {n / o:.1f}x (first pack), {n / o2:.1f}x (warm)")
        return 0
    from helpers.batch import run_batch, runs_for_all
    runs = runs_for_all(args.data)
    label = "measured"
    if args.sample:
        runs_to_time = runs[: args.sample]
        label = f"EXTRAPOLATED from {len(runs_to_time)} councils"
    else:
        runs_to_time = runs
    before = machine_cpu()
    t = time.perf_counter()
    summary = run_batch(runs_to_time, force=True, workers=args.workers, data=args.data,
                        notebooks_dir=args.notebooks, reports_dir=work / "reports")
    took = time.perf_counter() - t
    after = machine_cpu()
    print(summary.text())
    total = took * len(runs) / len(runs_to_time)
    print(f"all {len(runs)} councils: {total / 60:.1f} min ({label}); {took / len(runs_to_time):.1f} s per pack")
    if before and after:
        busy, stolen = after[0] - before[0], after[1] - before[1]
        cores = os.cpu_count() or 1
        print(f"machine CPU while the batch ran: {busy:.0f} CPU s busy of {took * cores:.0f} on {cores} cores "
              f"({busy / len(runs_to_time):.1f} CPU s a pack; {stolen:.0f} s taken by the host)")
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
