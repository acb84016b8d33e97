"""Time compare_all (every indicator for every council) on the real store.

Run: .venv/bin/python benchmarks/bench_compare.py [raw_dir] [cache_dir]
Defaults: ../shared/data/dfe beside the project, and a temporary cache.
Prints the store size and the best and median of several runs; the goal is
under 2 seconds for every council and every indicator of the catalogue on a
2-core machine.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from helpers.stats import compare_all, compare_council
from helpers.store import load_store

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    raw = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "data" / "dfe"
    cache = Path(argv[2]) if len(argv) > 2 else Path(tempfile.mkdtemp(prefix="bench-compare-"))
    t0 = time.perf_counter()
    store = load_store(raw, cache)
    print(f"store: {len(store.indicators):,} rows, loaded in {time.perf_counter() - t0:.1f} s")
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        table = compare_all(store)
        runs.append(time.perf_counter() - t)
    councils, indicators = table["area_code"].nunique(), table["indicator"].nunique()
    print(f"compare_all: {councils} councils x {indicators} indicators = {len(table):,} rows; "
          f"best {min(runs):.3f} s, median {statistics.median(runs):.3f} s over {len(runs)} runs "
          f"(goal < 2 s): {'OK' if min(runs) < 2 else 'SLOW'}")
    t = time.perf_counter()
    compare_council(store, "838")
    print(f"compare_council (Dorset, all indicators with series and narrative inputs): "
          f"{time.perf_counter() - t:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
