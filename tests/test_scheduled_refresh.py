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
import subprocess
import sys

import pytest

from fake_services import FakePublishers, with_a_later_year
from helpers.cli import main
from helpers.data import web

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
def refresh(real_dir, tmp_path, monkeypatch, store_cache):
    monkeypatch.setattr(web, "BACKOFF_SECONDS", 0.0)
    with FakePublishers(real_dir) as fake:
        for key, value in {**fake.env(), "SCRUTINY_RAW_DIR": str(tmp_path / "raw"),
                           "SCRUTINY_REPORTS_DIR": str(tmp_path / "reports"),
                           "SCRUTINY_CACHE_DIR": str(store_cache)}.items():
            monkeypatch.setenv(key, value)
        (tmp_path / "runs.yml").write_text(RUNS, encoding="utf-8")
        yield fake, tmp_path


def _files(folder) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}


def _build(tmp_path) -> int:
    return main(["build", "--run-file", str(tmp_path / "runs.yml"), "--format", "html", "--if-new-data",
                 "--workers", "1"])


def _built(tmp_path) -> dict:
    """{council folder: the time its pack was built}."""
    return {m.parent.parent.name: json.loads(m.read_text(encoding="utf-8"))["built"]
            for m in (tmp_path / "reports").glob("*/2025/manifest.json")}


def test_fetch_build_then_only_what_a_new_release_changes(refresh, real_dir, capsys):
    fake, tmp_path = refresh
    raw = tmp_path / "raw"
    # 1. an empty data/raw is filled from the services; the neighbour model is ingested by hand
    assert main(["fetch"]) == 0
    out = capsys.readouterr().out
    assert "cla_number" in out and "new: Children looked after" in out and "sn_model_2025" in out
    assert "manual" in out and "scrutiny ingest" in out
    assert main(["ingest", str(real_dir / "sn_model_2025_wide.csv")]) == 0
    assert _build(tmp_path) == 0
    out = capsys.readouterr().out
    assert "2 packs: 2 built, 0 unchanged" in out
    first = _built(tmp_path)
    assert set(first) == {"devon", "plymouth"}
    page = (tmp_path / "reports" / "devon" / "2025" / "pack.html").read_text(encoding="utf-8")
    assert "Devon" in page and 'id="section-workforce"' in page and 'id="section-looked_after"' not in page

    # 2. nothing new: nothing downloaded, nothing rebuilt, nothing printed (cron mails nothing)
    fake.downloads.clear()
    assert main(["fetch", "--quiet"]) == 0
    assert _build(tmp_path) == 0
    quiet = capsys.readouterr()
    assert (quiet.out, quiet.err) == ("", "") and fake.downloads == []
    assert _built(tmp_path) == first

    # 3. a newer CLA release: fetched, and only the pack that shows it is rebuilt
    fake.publish("children-looked-after-in-england-including-adoptions", CLA, with_a_later_year(real_dir / CLA))
    assert main(["fetch", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("cla_number") and "Reporting year 2026" in out
    assert len(out.splitlines()) == 2 and "1 new" in out       # the other sources are unchanged
    # a new release version gives every file of that publication a new id, so its
    # other files are downloaded again and found unchanged by content; no other publication's are
    same_publication = {f.filename for f in fake.publications[
        "children-looked-after-in-england-including-adoptions"].files}
    assert CLA in fake.downloads and set(fake.downloads) <= same_publication
    assert _build(tmp_path) == 0
    assert "2 packs: 1 built, 1 unchanged" in capsys.readouterr().out
    second = _built(tmp_path)
    assert second["devon"] == first["devon"] and second["plymouth"] != first["plymouth"]
    manifest = json.loads((tmp_path / "reports" / "plymouth" / "2025" / "manifest.json").read_text())
    cla_input = [i for i in manifest["inputs"] if i["publication"] == "cla_number"]
    assert [i["sha256"] for i in cla_input] == [hashlib.sha256((raw / CLA).read_bytes()).hexdigest()]

    # 4. a service that changes shape: a clear failure, exit 1, data/raw as it was
    held = _files(raw)
    fake.mode = "shape"
    assert main(["fetch", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "changed shape" in captured.out and fake.base in captured.out and "Traceback" not in captured.err
    assert "the files held for them were kept" in captured.err
    assert _files(raw) == held
    fake.mode = "down"
    assert main(["fetch", "--quiet"]) == 1
    assert "gave up after" in capsys.readouterr().out
    assert _files(raw) == held


def test_a_batch_worker_leaves_nothing_on_stderr_when_it_ends(tmp_path):
    """Each batch worker keeps a warm kernel; when the worker ends, the
    kernel is shut down with it, so a scheduled run's log gets no warnings
    from orphaned kernels."""
    code = ("from concurrent.futures import ProcessPoolExecutor\n"
            "from helpers.batch import _init_worker\n"
            "with ProcessPoolExecutor(1, initializer=_init_worker, initargs=({},)) as pool:\n"
            "    assert pool.submit(int, '7').result() == 7\n")
    # the kernel inherits the pipes, so this waits for it too
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
