"""Every benchmark in one go: `make benchmark`. Prints figures; asserts nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STEPS = [
    ["bench_store.py"],
    ["bench_compare.py"],
    ["bench_charts.py"],
    ["bench_pack.py", "--council", "Dorset"],
]

if __name__ == "__main__":
    failed = 0
    for step in STEPS:
        print(f"\n== {' '.join(step)}", flush=True)
        failed |= subprocess.run([sys.executable, str(HERE / step[0]), *step[1:]]).returncode != 0
    sys.exit(1 if failed else 0)
