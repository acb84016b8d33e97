"""Faults during a batch (stand-in notebooks, as test_batch.py): a notebook
that raises, a kernel that dies, a cell that runs past the execution
timeout, and a full disk while the PDF is written. The batch goes on, each
failure is reported with its cause, and no partial pack replaces a good one
(the good pack stays, the failed build is kept in .failed/, no .tmp-* is
left)."""

from __future__ import annotations

import errno
import json

import nbformat
import pytest
from test_pack import make_section_notebooks

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packs")]

COUNCILS = {"ok_first": "Dorset", "raises": "Devon", "dies": "Somerset", "sleeps": "Cornwall",
            "disk_full": "Wiltshire", "ok_last": "Hampshire"}
TIMEOUT = 8

FAULTS = '''
import os, time
_fault = FAULTS.get(str(council))
if _fault == "raises":
    raise RuntimeError("deliberate fault in the section notebook")
if _fault == "dies":
    os._exit(3)
if _fault == "sleeps":
    time.sleep(600)
'''


def faulty_notebooks(dest, codes: dict[str, str]):
    """Stand-in notebooks (summary only) whose code cell misbehaves for the
    councils named in ``codes`` (area code -> fault)."""
    make_section_notebooks(dest, limit=1)
    path = dest / "00_summary.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[-1].source = f"FAULTS = {codes!r}\n" + FAULTS + nb.cells[-1].source
    nbformat.write(nb, path)
    return dest


def _manifest(out_dir):
    return json.loads((out_dir / "manifest.json").read_text())


def test_faults_are_reported_and_good_packs_survive(tmp_path, real_dir, real_store, store_cache, monkeypatch):
    from helpers import render
    from helpers.build.batch import BatchRun, run_batch
    from helpers.pack import council_slug
    monkeypatch.setenv("SCRUTINY_CACHE_DIR", str(store_cache))
    reports = tmp_path / "reports"
    codes = {real_store.resolve(name): fault for fault, name in COUNCILS.items()}
    runs = [BatchRun(name, sections=("summary",), committee="Faults") for name in COUNCILS.values()]
    common = dict(workers=1, progress=False, formats=("html", "pdf"), data=str(real_dir), reports_dir=reports,
                  timeout=TIMEOUT)

    # 1. good packs for every council
    good = run_batch(runs, notebooks_dir=make_section_notebooks(tmp_path / "good", limit=1), **common)
    assert good.ok, good.text()
    dirs = {fault: reports / council_slug(real_store.area(real_store.resolve(name))["area_name"])
            for fault, name in COUNCILS.items()}
    period = [p.name for p in dirs["ok_first"].iterdir() if not p.name.startswith(".")][0]
    before = {fault: _manifest(d / period) for fault, d in dirs.items()}

    # 2. the same runs with faults, and a full disk for one council's PDF
    real_write_pdf = render.write_pdf

    def write_pdf(html, target):
        if f"/{dirs['disk_full'].name}/" in str(target):
            with open(target, "wb") as fh:
                fh.write(b"%PDF-1.7 half a file")
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real_write_pdf(html, target)
    monkeypatch.setattr(render, "write_pdf", write_pdf)
    bad = run_batch(runs, force=True, notebooks_dir=faulty_notebooks(tmp_path / "faulty", codes), **common)

    outcome = {fault: o for fault, o in zip(COUNCILS, bad.outcomes)}
    assert [o.ok for o in bad.outcomes] == [True, False, False, False, False, True], bad.text()
    assert "deliberate fault in the section notebook" in outcome["raises"].error
    assert "00_summary.ipynb" in outcome["raises"].error
    assert "the kernel stopped while running 00_summary.ipynb" in outcome["dies"].error
    assert "CellTimeoutError" in outcome["sleeps"].error or "timed out" in outcome["sleeps"].error.lower()
    assert "No space left on device" in outcome["disk_full"].error
    text = bad.text()
    assert "4 failed" in text and text.count("FAILED") == 4
    # the council after the timeout was not held up by the sleeping cell
    assert outcome["ok_last"].seconds < TIMEOUT + 60

    for fault, d in dirs.items():
        assert not list(d.glob(".tmp-*")), f"{fault}: a temporary folder was left"
        now = _manifest(d / period)
        if fault.startswith("ok"):
            assert now["fingerprint"] != before[fault]["fingerprint"]  # rebuilt with the new notebooks
            continue
        assert now == before[fault], f"{fault}: the good pack was replaced"
        for name, digest in now["files"].items():  # and is whole
            from helpers.paths import file_sha256
            assert file_sha256(d / period / name) == digest, (fault, name)
        failed = d / ".failed" / period
        assert failed.is_dir(), f"{fault}: the failed build was not kept for inspection"
        assert not (failed / "manifest.json").exists()
    # what the failed builds left shows the cause
    executed = nbformat.read(dirs["raises"] / ".failed" / period / "notebooks" / "00_summary.ipynb", as_version=4)
    assert any(o.get("ename") == "RuntimeError" for c in executed.cells for o in c.get("outputs", []))
    index = (reports / "index.html").read_text()
    assert index.count("pack.html") == len(COUNCILS)
