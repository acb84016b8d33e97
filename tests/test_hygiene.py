"""Repository rules: notebooks are committed without outputs, and no official
data file or rendered pack is tracked by git, and the statistics page states
the comparison engine's rules as its docstring does."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest

from helpers.checks import notebook_problems, staged_file_problems

ROOT = Path(__file__).resolve().parents[1]


def tracked_files() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return out.stdout.splitlines()


def test_committed_notebooks_have_no_outputs():
    notebooks = [f for f in tracked_files() if f.endswith(".ipynb")]
    problems = [p for nb in notebooks for p in notebook_problems(ROOT / nb)]
    assert problems == []


def test_the_check_catches_a_notebook_with_outputs(tmp_path):
    nb = {"cells": [{"cell_type": "code", "execution_count": 3, "metadata": {}, "source": "1+1",
                     "outputs": [{"output_type": "execute_result", "data": {"text/plain": "2"},
                                  "execution_count": 3, "metadata": {}}]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "dirty.ipynb"
    path.write_text(json.dumps(nb))
    assert len(notebook_problems(path)) == 2
    assert staged_file_problems(["data/raw/b1.csv", "reports/x/2025/pack.pdf"]) != []


def test_no_official_data_is_tracked():
    shared = ROOT.parent / "shared" / "data" / "dfe"
    if not shared.exists():
        pytest.skip("no shared data to compare with")
    official = {hashlib.sha256(p.read_bytes()).hexdigest() for p in shared.iterdir() if p.suffix != ".md"}
    for name in tracked_files():
        path = ROOT / name
        if path.is_file():
            assert hashlib.sha256(path.read_bytes()).hexdigest() not in official, name
    assert not [f for f in tracked_files() if f.startswith("data/") and f.endswith((".csv", ".ods", ".parquet"))]


def _docstring_rules(module) -> dict[str, str]:
    rules = module.__doc__.split("-" * 62 + "\n", 1)[1]
    out = {}
    for part in re.split(r"\n(?=\S)", rules):
        title, _, body = part.strip("\n").partition("\n")
        if title:
            out[title.strip()] = " ".join(body.split())
    return out


def test_the_statistics_page_states_the_engine_rules_word_for_word():
    page = (ROOT / "docs" / "statistics.md").read_text(encoding="utf-8")
    sections = {}
    for part in page.split("\n## ")[1:]:
        title, _, body = part.partition("\n")
        body = re.split(r"^#", body, flags=re.M)[0]  # up to the next heading of any level
        sections[title.strip()] = " ".join(body.split())
    import helpers.stats
    import helpers.words
    for module, least, must in ((helpers.stats, 10, "Over-dispersion (the funnel of all councils)"),
                                (helpers.words, 6, "Trend words")):
        rules = _docstring_rules(module)
        assert len(rules) >= least and must in rules
        for title, text in rules.items():
            assert sections.get(title) == text, f"docs/statistics.md section {title!r} differs from {module.__name__}"
