"""The scheduled refresh end to end, as cron runs it: `scrutiny fetch` from a
loopback copy of the publishers' services (tests/fake_services.py) fills an
empty data/raw, the neighbour model goes in by `scrutiny ingest`, and
`scrutiny build --run-file ... --if-new-data` builds the packs; a second run
downloads nothing and prints nothing; a newer release of one publication is
fetched and rebuilds only the pack that shows it; a service that breaks or
changes shape fails clearly and leaves data/raw as it was."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from fake_services import FakePublishers, with_a_later_year

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packs")]

CLA = "cla_number_and_rate_per_10k_children.csv"
RUNS = """\
defaults:
  period: 2025
  committee: Children's Scrutiny Committee
runs:
  - council: Devon
    sections: [workforce]
  - council: Plymouth
    sections: [looked_after]
"""


@pytest.fixture
def refresh(real_dir, tmp_path):
    # a cache of its own: the fetched files are not the session's inputs, and the
    # stores built here must not prune the session's shared cache under other tests
    with FakePublishers(real_dir) as fake:
        env = {**os.environ, **fake.env(), "SCRUTINY_RAW_DIR": str(tmp_path / "raw"),
               "SCRUTINY_REPORTS_DIR": str(tmp_path / "reports"), "SCRUTINY_CACHE_DIR": str(tmp_path / "cache")}
        (tmp_path / "runs.yml").write_text(RUNS, encoding="utf-8")
        yield fake, tmp_path, env


def scrutiny(env: dict, *args: str) -> subprocess.CompletedProcess:
    """One `scrutiny` command in a process of its own, as cron runs it."""
    return subprocess.run([sys.executable, "-m", "helpers.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600)


def _files(folder) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}


def _build(env: dict, tmp_path) -> subprocess.CompletedProcess:
    return scrutiny(env, "build", "--run-file", str(tmp_path / "runs.yml"), "--format", "html", "--if-new-data",
                    "--workers", "1")


def _built(tmp_path) -> dict:
    """{council folder: the time its pack was built}."""
    return {m.parent.parent.name: json.loads(m.read_text(encoding="utf-8"))["built"]
            for m in (tmp_path / "reports").glob("*/2025/manifest.json")}


def test_fetch_build_then_only_what_a_new_release_changes(refresh, real_dir):
    fake, tmp_path, env = refresh
    raw = tmp_path / "raw"
    # 1. an empty data/raw is filled from the services; the neighbour model is ingested by hand
    done = scrutiny(env, "fetch")
    assert done.returncode == 0, done.stderr
    assert "cla_number" in done.stdout and "new: Children looked after" in done.stdout
    assert "sn_model_2025" in done.stdout and "manual" in done.stdout and "scrutiny ingest" in done.stdout
    assert scrutiny(env, "ingest", str(real_dir / "sn_model_2025_wide.csv")).returncode == 0
    done = _build(env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 packs in " in done.stdout and ": 2 built, 0 unchanged, 0 failed" in done.stdout
    first = _built(tmp_path)
    assert set(first) == {"devon", "plymouth"}
    page = (tmp_path / "reports" / "devon" / "2025" / "pack.html").read_text(encoding="utf-8")
    assert "Devon" in page and 'id="section-workforce"' in page and 'id="section-looked_after"' not in page

    # 2. nothing new: nothing downloaded, nothing rebuilt, nothing printed (cron mails nothing)
    fake.downloads.clear()
    for done in (scrutiny(env, "fetch", "--quiet"), _build(env, tmp_path)):
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert fake.downloads == [] and _built(tmp_path) == first

    # 3. a newer CLA release: fetched, and only the pack that shows it is rebuilt
    fake.publish("children-looked-after-in-england-including-adoptions", CLA, with_a_later_year(real_dir / CLA))
    done = scrutiny(env, "fetch", "--quiet")
    assert done.returncode == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("cla_number") and "Reporting year 2026" in lines[0]
    assert "1 new" in lines[1]                                # the other sources are unchanged
    # a new release version gives every file of that publication a new id, so its
    # other files are downloaded again and found unchanged by content; no other publication's are
    same_publication = {f.filename for f in fake.publications[
        "children-looked-after-in-england-including-adoptions"].files}
    assert CLA in fake.downloads and set(fake.downloads) <= same_publication
    done = _build(env, tmp_path)
    assert done.returncode == 0 and ": 1 built, 1 unchanged, 0 failed" in done.stdout
    second = _built(tmp_path)
    assert second["devon"] == first["devon"] and second["plymouth"] != first["plymouth"]
    manifest = json.loads((tmp_path / "reports" / "plymouth" / "2025" / "manifest.json").read_text())
    cla_input = [i for i in manifest["inputs"] if i["publication"] == "cla_number"]
    assert [i["sha256"] for i in cla_input] == [hashlib.sha256((raw / CLA).read_bytes()).hexdigest()]

    # 4. a service that changes shape, or is down: a clear failure, exit 1, data/raw as it was
    held = _files(raw)
    for mode, words in (("shape", "changed shape"), ("down", "gave up after")):
        fake.mode = mode
        done = scrutiny(env, "fetch", "--quiet")
        assert done.returncode == 1 and words in done.stdout and fake.base in done.stdout
        assert "the files held for them were kept" in done.stderr and "Traceback" not in done.stderr
        assert _files(raw) == held


def test_a_batch_worker_leaves_nothing_on_stderr_when_it_ends(tmp_path):
    """Each batch worker keeps a warm kernel; when the worker ends, the
    kernel is shut down with it, so a scheduled run's log gets no warnings
    from orphaned kernels."""
    code = ("from concurrent.futures import ProcessPoolExecutor\n"
            "from helpers.build.batch import init_worker\n"
            "with ProcessPoolExecutor(1, initializer=init_worker, initargs=({},)) as pool:\n"
            "    assert pool.submit(int, '7').result() == 7\n")
    # the kernel inherits the pipes, so this waits for it too
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
