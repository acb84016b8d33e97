"""Batches as an operator meets them: a stop signal stops everything within
seconds and keeps what was finished; a main process killed outright takes
its workers, kernels and browsers with it; a rerun finishes the rest; the
log is one line when all went well; one failing council does not stop the
others."""

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
COUNCILS = ("Dorset", "Devon", "Somerset", "Cornwall", "Wiltshire", "Swindon", "Plymouth", "Torbay")


# ------------------------------------------------------------------ processes

def _processes() -> dict[int, tuple[int, str, str]]:
    """{pid: (parent pid, start time, state)} of every process now."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            out[int(entry)] = (int(fields[1]), fields[19], fields[0])
    return out


def _descendants(root: int) -> set[tuple[int, str]]:
    """(pid, start time) of every process under ``root`` (kernels start their
    own sessions, so the tree is followed, not the session)."""
    table = _processes()
    found, todo = set(), [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, start, _) in table.items():
            if ppid == parent and (pid, start) not in found:
                found.add((pid, start))
                todo.append(pid)
    return found


def _alive(procs: set[tuple[int, str]]) -> list[int]:
    table = _processes()
    return [pid for pid, start in procs if pid in table and table[pid][1] == start and table[pid][2] != "Z"]


def _watch_tree(proc, until, seconds: float = 300) -> set[tuple[int, str]]:
    """Every process seen under ``proc`` until ``until()`` is true."""
    seen: set = set()
    deadline = time.time() + seconds
    while time.time() < deadline and not until():
        assert proc.poll() is None, proc.communicate()[0]
        seen |= _descendants(proc.pid)
        time.sleep(0.2)
    assert until(), "the batch did not get that far in time"
    return seen | _descendants(proc.pid)


def _gone_within(procs, seconds: float) -> list[int]:
    deadline = time.time() + seconds
    while time.time() < deadline and _alive(procs):
        time.sleep(0.2)
    return _alive(procs)


# ------------------------------------------------------------------ packs

def _complete(pack: Path) -> bool:
    m = pack / "manifest.json"
    if not m.exists():
        return False
    doc = json.loads(m.read_text())
    return all((pack / f).exists() for f in doc["files"])


def _visible(reports: Path) -> list[Path]:
    return [p for p in reports.glob("*/*") if p.is_dir() and not p.name.startswith(".")]


def _finished(reports: Path, n: int = 1):
    return lambda: len(list(reports.glob("*/2*/manifest.json"))) >= n


def _batch(tmp_path, real_dir, store_cache, *extra, councils=COUNCILS, formats="html,pdf"):
    nb = make_section_notebooks(tmp_path / "nb", limit=1)
    reports = tmp_path / "reports"
    run_file = tmp_path / "runs.yml"
    run_file.write_text("defaults:\n  committee: Scrutiny\n  sections: [summary, workforce]\nruns:\n"
                        + "".join(f"  - council: {c}\n" for c in councils))
    # cron's view: no terminal, a minimal environment
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8",
           "SCRUTINY_CACHE_DIR": str(store_cache), "SCRUTINY_REPORTS_DIR": str(reports)}
    cmd = [sys.executable, "-m", "helpers.cli", "build", "--run-file", str(run_file), "--data", str(real_dir),
           "--notebooks", str(nb), "--format", formats, *extra]
    env["PYTHONPATH"] = str(ROOT / "src")
    return cmd, env, reports


def _start(cmd, env):
    return subprocess.Popen(cmd, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _rerun_completes(cmd, env, reports, before: dict) -> subprocess.CompletedProcess:
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    for pack, text in before.items():  # finished packs were kept and skipped, not rebuilt
        assert (pack / "manifest.json").read_text() == text
    visible = _visible(reports)
    assert len(visible) == len(COUNCILS) and all(_complete(p) for p in visible)
    assert (reports / "index.html").read_text().count("pack.html") == len(COUNCILS)
    assert not list(reports.glob("*/.tmp-*"))
    return rerun


def _stop_by_sigterm(proc, reports) -> tuple[str, list, set]:
    """SIGTERM to a running batch once a pack has finished: every process of
    the batch gone within 10 s, exit 143 with "Stopped by SIGTERM", the
    finished packs whole and nothing unfinished left. (log, packs, tree)."""
    try:
        tree = _watch_tree(proc, _finished(reports))
        proc.send_signal(signal.SIGTERM)
        left = _gone_within(tree | {(proc.pid, _processes()[proc.pid][1])}, 10)
        assert not left, f"still running 10 s after SIGTERM: {left}"
        log, _ = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, log
    assert "Stopped by SIGTERM" in log, log
    packs = _visible(reports)
    assert packs and all(_complete(p) for p in packs)        # what finished stays, whole
    assert not list(reports.glob("*/.tmp-*"))                 # nothing unfinished left behind
    return log, packs, tree


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_sigterm_stops_everything_within_seconds_and_a_rerun_finishes(tmp_path, real_dir, store_cache):
    cmd, env, reports = _batch(tmp_path, real_dir, store_cache, "--workers", "2")
    log, packs, tree = _stop_by_sigterm(_start(cmd, env), reports)
    assert len(tree) >= 4, "expected workers, kernels and browsers under the batch"
    assert "Not built:" in log and "run the same command again" in log, log
    assert "IPKernelApp" not in log and "Traceback" not in log, log
    assert len(packs) < len(COUNCILS)
    before = {p: (p / "manifest.json").read_text() for p in packs}
    rerun = _rerun_completes(cmd, env, reports, before)
    # the cron log when all went well: one line, nothing on stderr
    assert rerun.stderr == "" and len(rerun.stdout.strip().splitlines()) == 1, rerun.stdout + rerun.stderr
    assert f"{len(before)} unchanged, 0 failed" in rerun.stdout


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_children_of_a_killed_batch_stop_by_themselves(tmp_path, real_dir, store_cache):
    cmd, env, reports = _batch(tmp_path, real_dir, store_cache, "--workers", "2")
    proc = _start(cmd, env)
    try:
        tree = _watch_tree(proc, _finished(reports))
        proc.send_signal(signal.SIGKILL)      # no chance to clean up: the children must notice
        proc.wait(timeout=5)
        left = _gone_within(tree, 10)
        assert not left, f"still running 10 s after the batch was killed: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
    packs = _visible(reports)
    assert packs and all(_complete(p) for p in packs)
    before = {p: (p / "manifest.json").read_text() for p in packs}
    time.sleep(1)
    _rerun_completes(cmd, env, reports, before)


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_dask_local_batch_stops_on_sigterm(tmp_path, real_dir, store_cache):
    cmd, env, reports = _batch(tmp_path, real_dir, store_cache, "--dask", "local", "--workers", "2",
                               formats="html")
    _stop_by_sigterm(_start(cmd, env), reports)


def _broken_for(nb_dir: Path, code: str) -> Path:
    """Stand-in notebooks whose summary fails for one council only."""
    import nbformat
    path = nb_dir / "00_summary.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = (f"if str(council) == {code!r}:\n    raise RuntimeError('deliberately broken for {code}')\n"
                          + nb.cells[2].source)
    nbformat.write(nb, path)
    return nb_dir


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_batch_failure_does_not_stop_others(tmp_path, real_dir, store_cache, monkeypatch):
    from helpers.build.batch import BatchRun, run_batch
    monkeypatch.setenv("SCRUTINY_CACHE_DIR", str(store_cache))
    nb = _broken_for(make_section_notebooks(tmp_path / "nb", limit=1), "878")
    runs = [BatchRun("Dorset", sections=("summary",)), BatchRun("Devon", sections=("summary",)),
            BatchRun("Somerset", sections=("summary",))]
    summary = run_batch(runs, workers=2, progress=False, formats=("html",), data=str(real_dir),
                        notebooks_dir=nb, reports_dir=tmp_path / "reports")
    assert not summary.ok
    assert [o.ok for o in summary.outcomes] == [True, False, True]
    text = summary.text()
    assert "FAILED Devon" in text and "deliberately broken for 878" in text
    assert (tmp_path / "reports" / "devon" / ".failed" / "2025" / "notebooks").is_dir()
    from helpers.cli import main
    rc = main(["build", "--run-file", str(tmp_path / "missing.yml"), "--data", str(real_dir)])
    assert rc == 2


def _figures(html: str) -> list[tuple[str, str]]:
    """Every chart of a pack, in order: (alt text, image)."""
    import re
    return re.findall(r'<img src="(data:image/[^"]+)" alt="([^"]*)"', html)


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_a_batch_built_pack_has_the_figures_of_a_single_build(tmp_path, real_dir, store_cache, monkeypatch):
    """Charts drawn once per batch (funnel backgrounds, the pages both
    editions show) leave each council's pack as a build of it alone would
    be, figure by figure."""
    from helpers.build.batch import BatchRun, run_batch
    monkeypatch.setenv("SCRUTINY_CACHE_DIR", str(store_cache))
    sections = ("summary", "members", "front_door")
    runs = [BatchRun(c, sections=sections, formats=("html",)) for c in ("Leeds", "Devon")]
    summary = run_batch(runs, workers=1, progress=False, data=str(real_dir), reports_dir=tmp_path / "batch")
    assert summary.ok, summary.text()
    alone = subprocess.run([sys.executable, "-m", "helpers.cli", "build", "--council", "Devon", "--sections",
                            ",".join(sections), "--format", "html", "--data", str(real_dir), "--reports",
                            str(tmp_path / "alone")], env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
                           capture_output=True, text=True, timeout=900)
    assert alone.returncode == 0, alone.stdout + alone.stderr
    for edition in ("pack.html", "members.html"):
        batch = _figures((tmp_path / "batch" / "devon" / "2025" / edition).read_text())
        single = _figures((tmp_path / "alone" / "devon" / "2025" / edition).read_text())
        assert len(batch) == len(single) and len(batch) >= 3, edition
        for i, (b, s) in enumerate(zip(batch, single)):
            assert b[1] == s[1], f"{edition} figure {i}: alt text differs"
            assert b[0] == s[0], f"{edition} figure {i} ({s[1][:60]}...) differs"
    leeds = _figures((tmp_path / "batch" / "leeds" / "2025" / "pack.html").read_text())
    assert all("Leeds" not in alt for _, alt in _figures((tmp_path / "batch" / "devon" / "2025" /
                                                          "pack.html").read_text()))
    assert any("Leeds" in alt for _, alt in leeds)
