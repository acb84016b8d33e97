"""A committee's pack is never replaced by a partial one, every earlier
complete pack is kept, and the installer holds up when builds of one pack
race each other."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_pack import make_section_notebooks

ROOT = Path(__file__).resolve().parents[1]


def _fake_pack(council: Path, period: int, built: str, sections=("summary", "workforce"),
               formats=("html", "pdf"), text: str = "pack") -> Path:
    """A finished build folder (as a build leaves it before installing)."""
    from helpers.build.install import new_build_folder
    from helpers.paths import file_sha256
    tmp = new_build_folder(council / str(period), period)
    files = {}
    for kind in formats:
        (tmp / f"pack.{kind}").write_text(f"{text} {kind}")
        files[f"pack.{kind}"] = file_sha256(tmp / f"pack.{kind}")
    (tmp / "manifest.json").write_text(json.dumps({"built": built, "period": period, "sections": list(sections),
                                                   "formats": list(formats), "files": files}))
    return tmp


def test_partial_build_is_kept_apart_and_history_keeps_every_complete_pack(tmp_path):
    from helpers.build.history import pack_history
    from helpers.build.install import install_pack
    council = tmp_path / "reports" / "devon"
    dest = council / "2025"
    first = install_pack(_fake_pack(council, 2025, "2026-01-01T10:00:00", text="first"), dest)
    second = install_pack(_fake_pack(council, 2025, "2026-02-01T10:00:00", text="second"), dest)
    assert not first.partial and not second.partial
    quick = install_pack(_fake_pack(council, 2025, "2026-02-02T10:00:00", sections=("workforce",),
                                    formats=("html",), text="quick"), dest)
    assert quick.partial and quick.folder == council / ".partial" / "2025"
    assert quick.missing == ("sections summary", "formats pdf")
    assert (dest / "pack.html").read_text() == "second html"           # the committee's pack stays
    history = pack_history(tmp_path / "reports", "devon")
    assert [json.loads((p / "manifest.json").read_text())["built"] for p in history] == [
        "2026-02-01T10:00:00", "2026-01-01T10:00:00"]                   # newest first, partial not listed
    assert history[0] == dest and (history[1] / "pack.pdf").read_text() == "first pdf"
    # asked for explicitly, a partial build replaces the pack; the full one joins the history
    forced = install_pack(_fake_pack(council, 2025, "2026-02-03T10:00:00", sections=("workforce",),
                                     formats=("html",), text="forced"), dest, replace_partial=True)
    assert forced.folder == dest and not forced.partial
    assert len(pack_history(tmp_path / "reports", "devon", period=2025)) == 3
    assert pack_history(tmp_path / "reports", "devon", period=2024) == []
    assert not list(council.glob(".tmp-*"))


def test_history_lists_only_intact_packs_and_adopts_the_old_previous_folder(tmp_path):
    from helpers.build.history import pack_history
    from helpers.build.install import install_pack
    council = tmp_path / "reports" / "dorset"
    old = _fake_pack(council, 2024, "2025-01-01T10:00:00", text="kept the old way")
    (council / ".previous").mkdir()
    os.replace(old, council / ".previous" / "2024")
    assert [p.name for p in pack_history(tmp_path / "reports", "dorset")] == ["2024"]
    install_pack(_fake_pack(council, 2024, "2025-06-01T10:00:00"), council / "2024")
    install_pack(_fake_pack(council, 2024, "2025-07-01T10:00:00"), council / "2024")
    history = pack_history(tmp_path / "reports", "dorset")
    assert len(history) == 3 and not (council / ".previous").exists()
    (history[1] / "pack.pdf").write_text("damaged")                       # not intact: not listed
    assert len(pack_history(tmp_path / "reports", "dorset")) == 2


def _install_many(args) -> list[str]:
    reports, period, n, who = args
    sys.path.insert(0, str(ROOT / "src"))
    from helpers.build.install import install_pack
    errors = []
    council = Path(reports) / "kent"
    for i in range(n):
        try:
            install_pack(_fake_pack(council, period, f"2026-03-01T10:{who:02d}:{i:02d}", text=f"{who}-{i}"),
                         council / str(period))
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(f"{type(exc).__name__}: {exc}")
    return errors


def test_installer_is_safe_when_builds_of_one_pack_race(tmp_path):
    from helpers.build.history import pack_history
    reports = tmp_path / "reports"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        errors = sum(pool.map(_install_many, [(str(reports), 2025, 15, who) for who in range(4)]), [])
    assert errors == []
    council = reports / "kent"
    assert sorted(p.name for p in council.iterdir()) == [".history", ".lock", "2025"]
    assert len(pack_history(reports, "kent")) == 60                       # every pack, none lost or empty
    assert all(any(p.iterdir()) for p in (council / ".history" / "2025").iterdir())


def test_a_finished_pack_killed_between_its_two_moves_is_put_in_place(tmp_path):
    from helpers.build.install import clean_stale_temporaries
    council = tmp_path / "reports" / "leeds"
    tmp = _fake_pack(council, 2025, "2026-01-01T10:00:00", text="finished")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp / ".owner").write_text(f"{os.uname().nodename}:{dead.stdout.strip()}")
    unfinished = _fake_pack(council, 2024, "2026-01-01T10:00:00")
    (unfinished / "pack.pdf").write_text("half")                          # not intact: removed
    (unfinished / ".owner").write_text(f"{os.uname().nodename}:{dead.stdout.strip()}")
    assert clean_stale_temporaries(tmp_path / "reports") == 2
    assert (council / "2025" / "pack.html").read_text() == "finished html"
    assert not (council / "2025" / ".owner").exists() and not (council / "2024").exists()
    assert not list(council.glob(".tmp-*"))


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_a_partial_build_leaves_the_full_pack_where_the_index_points(tmp_path, real_dir, store_cache):
    """Devon in full, then `--sections workforce --format html`: the full
    pack stays in reports/devon/2025 and the index points at it."""
    nb = make_section_notebooks(tmp_path / "nb", limit=1)
    reports = tmp_path / "reports"
    env = {**os.environ, "SCRUTINY_CACHE_DIR": str(store_cache), "PYTHONPATH": str(ROOT / "src")}
    base = [sys.executable, "-m", "helpers.cli", "build", "--council", "Devon", "--data", str(real_dir),
            "--notebooks", str(nb), "--reports", str(reports)]
    full = subprocess.run(base, env=env, capture_output=True, text=True, timeout=600)
    assert full.returncode == 0, full.stdout + full.stderr
    pack = reports / "devon" / "2025"
    manifest = (pack / "manifest.json").read_text()
    quick = subprocess.run([*base, "--sections", "workforce", "--format", "html"], env=env, capture_output=True,
                           text=True, timeout=600)
    assert quick.returncode == 0, quick.stdout + quick.stderr
    assert "partial build, kept apart" in quick.stdout and "--replace" in quick.stdout
    assert (pack / "manifest.json").read_text() == manifest and (pack / "pack.pdf").exists()
    partial = reports / "devon" / ".partial" / "2025"
    assert json.loads((partial / "manifest.json").read_text())["sections"] == ["workforce"]
    index = (reports / "index.html").read_text()
    assert 'href="devon/2025/pack.html"' in index and 'href="devon/2025/pack.pdf"' in index
    assert ".partial" not in index
