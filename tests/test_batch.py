"""Batches: a killed batch leaves finished packs intact and nothing
half-written where a reader looks; a rerun skips finished packs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_pack import make_section_notebooks

ROOT = Path(__file__).resolve().parents[1]


def _complete(pack: Path) -> bool:
    m = pack / "manifest.json"
    if not m.exists():
        return False
    doc = json.loads(m.read_text())
    return all((pack / f).exists() for f in doc["files"])


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_killed_batch_then_rerun(tmp_path, real_dir, store_cache):
    nb = make_section_notebooks(tmp_path / "nb", limit=1)
    reports = tmp_path / "reports"
    run_file = tmp_path / "runs.yml"
    run_file.write_text("defaults:\n  committee: Scrutiny\n  sections: [summary, workforce]\n"
                        "runs:\n  - council: Dorset\n  - council: Devon\n  - council: Somerset\n  - council: 940\n")
    env = {**os.environ, "SCRUTINY_CACHE_DIR": str(store_cache), "SCRUTINY_REPORTS_DIR": str(reports)}
    cmd = [sys.executable, "-m", "helpers.cli", "build", "--run-file", str(run_file), "--data", str(real_dir),
           "--notebooks", str(nb), "--format", "html", "--workers", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 240
        while time.time() < deadline and not list(reports.glob("*/2*/manifest.json")):
            assert proc.poll() is None, proc.stdout.read().decode()
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the batch and its kernel
        proc.wait()
    packs = [p for p in reports.glob("*/*") if not p.name.startswith(".")]
    assert packs, "no pack finished before the kill"
    for p in packs:  # every visible pack is complete
        assert _complete(p), p
    done_before = {p: (p / "manifest.json").read_text() for p in packs}
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "unchanged (skipped)" in rerun.stdout
    for p, text in done_before.items():  # finished packs were skipped, not rebuilt
        assert (p / "manifest.json").read_text() == text
    visible = [p for p in reports.glob("*/*") if not p.name.startswith(".")]
    assert len(visible) == 4 and all(_complete(p) for p in visible)
    index = (reports / "index.html").read_text()
    assert index.count("pack.html") == 4


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_batch_failure_does_not_stop_others(tmp_path, real_dir, store_cache, monkeypatch):
    from helpers.batch import BatchRun, run_batch
    monkeypatch.setenv("SCRUTINY_CACHE_DIR", str(store_cache))
    nb = make_section_notebooks(tmp_path / "nb", limit=1)
    runs = [BatchRun("Dorset", sections=("summary",)), BatchRun("Nowhere-on-Sea", sections=("summary",)),
            BatchRun("Devon", sections=("summary",))]
    summary = run_batch(runs, workers=2, progress=False, formats=("html",), data=str(real_dir),
                        notebooks_dir=nb, reports_dir=tmp_path / "reports")
    assert not summary.ok
    assert [o.ok for o in summary.outcomes] == [True, False, True]
    assert "Nowhere-on-Sea" in summary.text() and "FAILED" in summary.text()
    from helpers.cli import main
    rc = main(["build", "--run-file", str(tmp_path / "missing.yml"), "--data", str(real_dir)])
    assert rc == 2


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_dask_local_cluster(tmp_path, real_dir, store_cache, monkeypatch):
    from helpers.batch import BatchRun, run_batch
    monkeypatch.setenv("SCRUTINY_CACHE_DIR", str(store_cache))
    nb = make_section_notebooks(tmp_path / "nb", limit=1)
    summary = run_batch([BatchRun("Dorset", sections=("summary",)), BatchRun("Devon", sections=("summary",))],
                        dask="local", workers=2, progress=False, formats=("html",), data=str(real_dir),
                        notebooks_dir=nb, reports_dir=tmp_path / "reports")
    assert summary.ok, summary.text()
    assert len(list((tmp_path / "reports").glob("*/*/pack.html"))) == 2
