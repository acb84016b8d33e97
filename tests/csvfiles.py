"""Reading the real releases with the csv module alone, for tests that
check the store's figures against the files independently of the loaders."""

from __future__ import annotations

import csv
from functools import lru_cache


@lru_cache(maxsize=None)
def council_rows(path) -> list[dict]:
    """The local authority rows of a DfE tidy CSV, every cell as text."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["geographic_level"] == "Local authority"]


def number(cell):
    """A cell's number, or None for a code ('c', 'x', ...) or a blank."""
    try:
        return float(cell)
    except ValueError:
        return None
