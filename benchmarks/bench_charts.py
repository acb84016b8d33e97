"""Chart build and render times (house style), printed, not asserted.

    .venv/bin/python benchmarks/bench_charts.py
"""

from __future__ import annotations

import statistics
import time

import pandas as pd

from helpers import charts
from helpers.indicators import load_catalogue


def main() -> None:
    cat = load_catalogue()
    caseload = cat["wf_caseload"]
    bars = pd.DataFrame({"area_name": [f"Council {i}" for i in range(11)],
                         "value": [12 + i * 0.7 for i in range(11)], "status": "ok"})
    series = pd.DataFrame({"period": list(range(2017, 2026)) * 4,
                           "value": [15 + (i % 9) * 0.3 for i in range(36)],
                           "series": sum([[s] * 9 for s in ("Council 3", "Neighbour average", "Region", "England")], [])})
    builders = {
        "benchmark bars": lambda: charts.benchmark_bars(bars, highlight="Council 3", indicator=caseload,
                                                        neighbour_mean=15.1, england=15.2),
        "time series": lambda: charts.time_series(series, highlight="Council 3", indicator=caseload),
    }
    print(f"{'chart':<16}{'build+svg (median of 5)':>26}")
    for name, build in builders.items():
        build().to_svg()
        times = []
        for _ in range(5):
            t = time.perf_counter()
            build().to_svg()
            times.append(time.perf_counter() - t)
        print(f"{name:<16}{statistics.median(times) * 1000:>22.0f} ms")


if __name__ == "__main__":
    main()
