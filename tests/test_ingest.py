"""scrutiny ingest: folders and patterns, every row loaded before anything
is replaced, older or narrower releases refused, replaced copies kept,
files readable by the group, leftovers of interrupted runs removed."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from helpers.data.ingest import ingest
from helpers.errors import DataFileError

CSWW = "csww_indicators_2017_to_2025.csv"
SWCOUNT = "la_cla_swcount.csv"


def _lines(real_dir: Path, name: str = CSWW) -> list[str]:
    return (real_dir / name).read_text(encoding="utf-8-sig").splitlines(keepends=True)


def _refused(raw: Path, real_dir: Path, path: Path, text: str) -> str:
    """Write ``text`` to ``path``, ingest it expecting a refusal, check the
    file held is untouched; returns the message."""
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        ingest([path], raw)
    assert (raw / CSWW).read_bytes() == (real_dir / CSWW).read_bytes()
    return str(info.value)


@pytest.fixture
def raw(tmp_path, real_dir) -> Path:
    """data/raw holding the real workforce file."""
    folder = tmp_path / "raw"
    ingest([real_dir / CSWW], folder)
    return folder


def test_a_folder_is_ingested_and_what_is_not_a_publication_skipped(real_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SCRUTINY_RAW_DIR", str(tmp_path / "raw"))
    from helpers.cli import main
    report = ingest([real_dir], tmp_path / "raw")
    added = {r.id for r in report.by_status("new")}
    assert {"csww", "cin_b1", "finance_ro3", "ofsted_inspections", "utla_lookup", "sn_model_2025"} <= added
    skipped = {r.source_path.name: r.note for r in report.by_status("skipped")}
    assert skipped["README.md"] == "not a CSV or spreadsheet"
    assert set(skipped) == {"README.md"}   # every other file there is a publication
    text = report.summary()
    assert "README.md: skipped - not a CSV or spreadsheet" in text
    for path in (tmp_path / "raw").iterdir():
        if not path.name.startswith("."):
            assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask(), path
    # a pattern the shell did not expand is expanded here; the same files are unchanged
    assert main(["ingest", str(real_dir / "*.csv")]) == 0


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_one_bad_cell_is_refused_with_file_row_and_value(raw, tmp_path, real_dir):
    lines = _lines(real_dir)
    cells = lines[1013].split(",")
    cells[-3] = "12..5"
    lines[1013] = ",".join(cells)
    text = _refused(raw, real_dir, tmp_path / "new release.csv", "".join(lines))
    assert "new release.csv" in text and "row 1014" in text and "'12..5'" in text and "Nothing was copied" in text


def test_a_file_cut_off_mid_row_is_refused(raw, tmp_path, real_dir):
    text = (real_dir / CSWW).read_text(encoding="utf-8-sig")
    message = _refused(raw, real_dir, tmp_path / "cut.csv", text[: text.index("\n", len(text) // 2) + 40])
    assert re.search(r"cut\.csv: row \d+: has \d+ cells where the header has \d+\. The file looks truncated", message)


def test_an_older_or_narrower_release_is_refused_unless_allowed(raw, tmp_path, real_dir):
    lines = _lines(real_dir)
    header = lines[0].split(",")
    period = header.index("time_period")
    to_2023 = [lines[0]] + [x for x in lines[1:] if int(x.split(",")[period]) <= 2023]
    short = tmp_path / "csww_2017_to_2023.csv"
    text = _refused(raw, real_dir, short, "".join(to_2023))
    assert "csww_2017_to_2023.csv" in text and "older" in text and "2023" in text and "2025" in text
    assert "periods 2017-2023 (7)" in text and "periods 2017-2025 (9)" in text and "--allow-older" in text
    # narrower: the same years with one council missing
    devon = [lines[0]] + [x for x in lines[1:] if ",878," not in x]
    no_devon = tmp_path / "no_devon.csv"
    no_devon.write_text("".join(devon), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"narrower: 1 areas of the file held are missing in 2025 \(878\)"):
        ingest([no_devon], raw)
    # told to: installed, the replaced copy kept
    report = ingest([short], raw, allow_older=True)
    (r,) = report.results
    assert r.status == "replaced" and "--allow-older" in r.note and ".replaced" in r.note
    assert (raw / CSWW).read_text(encoding="utf-8") == "".join(to_2023)
    (kept,) = (raw / ".replaced").iterdir()
    assert kept.name.startswith(CSWW + ".") and kept.read_bytes() == (real_dir / CSWW).read_bytes()


def test_of_two_releases_the_newer_by_content_wins_whatever_the_names(tmp_path, real_dir):
    lines = _lines(real_dir)
    period = lines[0].split(",").index("time_period")
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "zz_latest_csww.csv").write_text(
        "".join([lines[0]] + [x for x in lines[1:] if int(x.split(",")[period]) <= 2022]), encoding="utf-8")
    (folder / "aa_old_csww.csv").write_bytes((real_dir / CSWW).read_bytes())
    report = ingest([folder], tmp_path / "raw")
    (used,) = report.by_status("new")
    assert used.source_path.name == "aa_old_csww.csv" and used.holding.latest == 2025
    (skipped,) = report.by_status("skipped")
    assert skipped.source_path.name == "zz_latest_csww.csv" and "newer or wider" in skipped.note


def test_leftovers_of_an_interrupted_run_are_removed_at_the_next_start(raw, real_dir):
    for name in (".csww_indicators_2017_to_2025.abc123.part.csv", ".fetch-state.json.partial", ".x.tmp"):
        (raw / name).write_text("half a file")
    (raw / "keep.txt").write_text("not ours")
    report = ingest([real_dir / SWCOUNT], raw)
    assert sorted(report.cleaned) == [".csww_indicators_2017_to_2025.abc123.part.csv", ".fetch-state.json.partial",
                                      ".x.tmp"]
    assert sorted(p.name for p in raw.iterdir()) == sorted([".lock", "keep.txt", CSWW, SWCOUNT])


def test_nothing_usable_is_an_error_naming_what_was_seen(tmp_path):
    folder = tmp_path / "empty-ish"
    folder.mkdir()
    (folder / "notes.txt").write_text("meeting notes\n")
    (folder / "minutes.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(DataFileError, match=r"nothing usable.*minutes\.pdf: not a CSV.*notes\.txt: not recognised"):
        ingest([folder], tmp_path / "raw")


def test_cli_ingest_errors_are_one_clear_line(tmp_path, monkeypatch, capsys, real_dir):
    from helpers.cli import main
    monkeypatch.setenv("SCRUTINY_RAW_DIR", str(tmp_path / "raw"))
    assert main(["ingest", str(tmp_path / "no-such-*.csv")]) == 2
    err = capsys.readouterr().err
    assert "no file matches this pattern" in err and "Traceback" not in err


def test_the_bytes_checked_are_the_bytes_installed(raw, tmp_path, real_dir, monkeypatch):
    """A file that changes while it is being checked: what is installed is
    the copy that was read and checked, never the changed file."""
    import helpers.data.ingest as ingest_module
    newer = tmp_path / "csww_new.csv"
    newer.write_bytes((real_dir / CSWW).read_bytes())
    checked = newer.read_bytes()
    real_load = ingest_module.load_fully

    def load_then_change(path, publication, shown=None):
        holding = real_load(path, publication, shown=shown)
        newer.write_text("time_period,junk\n2099,1\n", encoding="utf-8")   # the source changes meanwhile
        return holding
    monkeypatch.setattr(ingest_module, "load_fully", load_then_change)
    (raw / CSWW).unlink()
    report = ingest([newer], raw)
    (r,) = report.results
    assert r.status == "new" and (raw / CSWW).read_bytes() == checked
    assert not [p for p in raw.iterdir() if ".part" in p.name]
