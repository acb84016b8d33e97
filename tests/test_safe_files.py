"""Hostile and unlucky files: YAML alias bombs and impossible dates in every
YAML the package reads, oversized and zip-bomb spreadsheets, symbolic links
under reports/."""

from __future__ import annotations

import time

import pytest

from helpers.errors import ConfigError

# 342 bytes: nine levels of nine aliases, 9**9 (387 million) strings expanded
ALIAS_BOMB = "\n".join(
    [f'a: &a [{", ".join(["lol"] * 9)}]']
    + [f"{b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi")]) + "\n"


def _readers():
    from helpers.params import runs_from_file
    from helpers.catalogue import load_catalogue
    from helpers.local import load_targets
    from helpers.loaders.local import load_measures
    from helpers.neighbours import load_comparator_groups
    from helpers.sources import load_manifest
    return {"run file": runs_from_file, "targets file": load_targets, "comparator groups": load_comparator_groups,
            "catalogue": load_catalogue, "local measures": load_measures, "sources manifest": load_manifest}


@pytest.mark.parametrize("kind", ["run file", "targets file", "comparator groups", "catalogue", "local measures",
                                  "sources manifest"])
def test_alias_bomb_is_refused_at_once_in_every_yaml(tmp_path, kind):
    path = tmp_path / "bomb.yml"
    path.write_text(ALIAS_BOMB)
    t = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        _readers()[kind](path)
    assert time.perf_counter() - t < 2
    assert "bomb.yml" in str(err.value) and "alias" in str(err.value)


@pytest.mark.parametrize("kind,text,key", [
    ("run file", "runs:\n  - council: Devon\n    meeting_date: 2026-02-30\n", "runs[0].meeting_date"),
    ("targets file", "council: Devon\nreviewed: 2026-02-30\ntargets:\n  wf_caseload: 16\n", "reviewed"),
    ("comparator groups", "groups:\n  g:\n    members: [Devon]\n    label: 2026-02-30\n", "groups.g.label"),
])
def test_an_impossible_date_names_the_file_line_and_key(tmp_path, kind, text, key):
    path = tmp_path / "dates.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        _readers()[kind](path)
    msg = str(err.value)
    assert "dates.yml" in msg and key in msg and "2026-02-30" in msg and "not a real date" in msg


def test_yaml_anchors_used_sensibly_still_work(tmp_path):
    from helpers.params import runs_from_file
    path = tmp_path / "runs.yml"
    path.write_text("runs:\n  - &devon {council: Devon, committee: Scrutiny}\n  - {<<: *devon, council: Dorset}\n")
    runs = runs_from_file(path)
    assert [(r.council, r.committee) for r in runs] == [("Devon", "Scrutiny"), ("Dorset", "Scrutiny")]


def test_recursive_alias_and_oversized_yaml_are_refused(tmp_path):
    from helpers.safe_yaml import MAX_YAML_BYTES, load_yaml_file
    loop = tmp_path / "loop.yml"
    loop.write_text("a: &a [*a]\n")
    with pytest.raises(ConfigError, match="inside the value it names"):
        load_yaml_file(loop)
    big = tmp_path / "big.yml"
    big.write_text("x: " + "y" * (MAX_YAML_BYTES + 10) + "\n")
    with pytest.raises(ConfigError, match="larger than"):
        load_yaml_file(big, what="run file")


def test_sources_manifest_syntax_error_is_a_config_error(tmp_path):
    from helpers.render import _sources
    bad = tmp_path / "sources.yml"
    bad.write_text("sources:\n  - id: csww\n    title: [unclosed\n")
    _sources.cache_clear()
    with pytest.raises(ConfigError, match="sources.yml.*line"):
        _sources(str(bad))


# ----------------------------------------------------------------- reports/ and symbolic links

def _pack_folders(tmp_path):
    reports = tmp_path / "reports"
    council = reports / "devon"
    (council / "2025").mkdir(parents=True)
    (council / "2025" / "pack.html").write_text("old pack")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "2025").mkdir()
    (outside / "2025" / "precious.txt").write_text("keep me")
    return reports, council, outside


@pytest.mark.parametrize("link", [".previous", ".failed"])
def test_symlinked_previous_or_failed_touch_nothing_outside_reports(tmp_path, link):
    from helpers.build.install import check_no_links, install_pack, keep_failed, new_build_folder
    from helpers.errors import PackBuildError
    reports, council, outside = _pack_folders(tmp_path)
    (council / link).symlink_to(outside, target_is_directory=True)
    tmp = new_build_folder(council / "2025", 2025)
    (tmp / "pack.html").write_text("new pack")
    with pytest.raises(PackBuildError, match="symbolic link"):
        check_no_links(reports, council / "2025")
    with pytest.raises(PackBuildError, match="symbolic link"):
        install_pack(tmp, council / "2025")
    keep_failed(tmp, council / "2025")
    assert (outside / "2025" / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in outside.iterdir()) == ["2025"]
    assert (council / "2025" / "pack.html").read_text() == "old pack"


def test_stale_pack_temporaries_go_but_a_running_build_stays(tmp_path):
    import os
    import subprocess
    import sys
    from helpers.build.install import clean_stale_temporaries, new_build_folder
    reports, council, outside = _pack_folders(tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = new_build_folder(council / "2025", 2025)
    (stale / ".owner").write_text(f"{os.uname().nodename}:{dead.stdout.strip()}")
    running = new_build_folder(council / "2025", 2025)
    (reports / "linked").symlink_to(outside, target_is_directory=True)
    (outside / ".tmp-x").mkdir()
    assert clean_stale_temporaries(reports) == 1
    assert not stale.exists() and running.exists() and (outside / ".tmp-x").exists()
    assert oct(running.stat().st_mode & 0o777) == "0o755"  # group-readable


# ----------------------------------------------------------------- bombs and oversized files

def _xlsx_bomb(path, unpacked_mb: int):
    """A workbook whose sheet is ``unpacked_mb`` MB of XML that compresses to almost nothing."""
    import zipfile
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            block = b" " * (1 << 20)
            for _ in range(unpacked_mb):
                fh.write(block)
    return path


@pytest.mark.parametrize("reader", ["check-local", "local figures", "store"])
def test_an_xlsx_bomb_is_refused_in_seconds(tmp_path, reader):
    import resource
    from helpers.errors import DataFileError
    bomb = _xlsx_bomb(tmp_path / "figures.xlsx", 600)
    assert bomb.stat().st_size < 3_000_000
    t = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(DataFileError) as err:
        if reader == "check-local":
            from helpers.loaders.local import validate_local
            validate_local(bomb)
        elif reader == "local figures":
            from helpers.loaders.local import load_local
            load_local(bomb)
        else:
            from helpers.loaders import identify
            identify(bomb)
    assert time.perf_counter() - t < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 200_000  # kB
    assert "figures.xlsx" in str(err.value) and "decompress" in str(err.value)


def test_a_large_unrelated_workbook_in_data_local_costs_nothing(tmp_path):
    from helpers.data.local_files import files_for
    from helpers.loaders.local import MAX_LOCAL_BYTES
    big = tmp_path / "other_council.xlsx"
    with open(big, "wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(MAX_LOCAL_BYTES + 1)
    _xlsx_bomb(tmp_path / "bomb.xlsx", 600)
    own = tmp_path / "local_devon.csv"
    own.write_text("# council: Devon\nmonth,measure,value\n2025-01,referrals,120\n")
    t = time.perf_counter()
    assert files_for("DEVON County Council", [tmp_path]) == [own]
    assert time.perf_counter() - t < 2
