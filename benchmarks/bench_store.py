"""Indicator store speed: the first build from the raw releases, and the load
of a built store (the target is under 0.5 s), printed, not asserted.

    .venv/bin/python benchmarks/bench_store.py [--data ../shared/data/dfe]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "dfe"))
    args = ap.parse_args()
    from helpers import store as store_module

    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        built = store_module.load_store(args.data, cache)
        build_s = time.perf_counter() - t
        loads = []
        for _ in range(5):
            store_module._MEMO.clear()  # time the real load from Parquet, not the in-process memo
            t = time.perf_counter()
            store_module.load_store(args.data, cache)
            loads.append(time.perf_counter() - t)
    print(f"store: {len(built.indicators):,} figures, {built.indicators['indicator'].nunique()} indicators, "
          f"{len(built.councils())} councils from {len(built.inputs)} files")
    print(f"first build (parse every release): {build_s:.2f} s")
    print(f"load of the built store (hash inputs + read Parquet): median {statistics.median(loads):.3f} s, "
          f"worst {max(loads):.3f} s over {len(loads)} loads (target < 0.5 s)")


if __name__ == "__main__":
    main()
