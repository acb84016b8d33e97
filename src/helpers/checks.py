"""Repository hygiene checks, run by the pre-commit hook and the tests:
notebooks carry no outputs, and no official data or rendered pack is
committed.

    python -m helpers.checks staged-files FILE...   (pre-commit)
    python -m helpers.checks notebooks              (every notebook in notebooks/)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DATA_SUFFIXES = {".csv", ".ods", ".xlsx", ".xls", ".parquet", ".duckdb", ".zip"}
OUTPUT_SUFFIXES = {".html", ".pdf", ".ipynb", ".png"}


def notebook_problems(path: Path) -> list[str]:
    """Why a notebook is not clean: outputs or execution counts stored."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    problems = []
    for i, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"{path}: cell {i} has stored outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"{path}: cell {i} has an execution count")
    return problems


def staged_file_problems(files) -> list[str]:
    problems = []
    for name in files:
        p = Path(name)
        parts = p.parts
        if parts and parts[0] == "data" and p.suffix.lower() in DATA_SUFFIXES:
            problems.append(f"{name}: data files are obtained at run time (scrutiny fetch / ingest / demo), "
                            f"never committed")
        if parts and parts[0] == "reports" and p.suffix.lower() in OUTPUT_SUFFIXES:
            problems.append(f"{name}: rendered packs are outputs; keep them out of git")
        if p.suffix == ".ipynb" and p.exists():
            problems.extend(notebook_problems(p))
    return problems


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(__doc__)
        return 2
    if argv[0] == "staged-files":
        problems = staged_file_problems(argv[1:])
    elif argv[0] == "notebooks":
        problems = [p for nb in sorted(Path("notebooks").glob("*.ipynb")) for p in notebook_problems(nb)]
    else:
        print(__doc__)
        return 2
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
