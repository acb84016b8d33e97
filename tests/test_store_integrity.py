"""The store under attack and accident, on the real releases: a file replaced
while the store is built, a damaged cache, two releases of one publication,
implausible figures, a renamed column, a council missing from a release's
latest year, a release without country_name."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest

from helpers import store as store_module
from helpers.errors import DataFileError

CSWW = "csww_indicators_2017_to_2025.csv"
DEVON = "878"


def _edit_csww(path, fn):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    out = [header] + [r for r in (fn(header, r) for r in rows[1:]) if r is not None]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(out)


def _set_devon_caseload(path, value: str, year="2025"):
    def fn(h, r):
        if r[h.index("old_la_code")] == DEVON and r[h.index("time_period")] == year:
            r[h.index("caseload_fte")] = value
        return r
    _edit_csww(path, fn)


def _devon(st, indicator="wf_caseload", period=2025):
    f = st.indicators
    row = f[(f["area_code"] == DEVON) & (f["indicator"] == indicator) & (f["period"] == period)].iloc[0]
    return row["value"], row["status"]


@pytest.fixture
def cache(tmp_path):
    store_module._MEMO.clear()
    yield tmp_path / "cache"
    store_module._MEMO.clear()


def test_a_file_replaced_during_the_build_never_mixes_figures(real_copy, cache, monkeypatch, tmp_path):
    """An ingest (os.replace of a release) while the store is parsed: the
    snapshot holds the figures of the bytes its key names."""
    newer = tmp_path / "newer.csv"
    newer.write_bytes((real_copy / CSWW).read_bytes())
    _set_devon_caseload(newer, "19.9")
    real_build = store_module.build

    def build_while_ingesting(*args, **kwargs):
        os.replace(newer, real_copy / CSWW)  # lands after the inputs were read
        return real_build(*args, **kwargs)

    monkeypatch.setattr(store_module, "build", build_while_ingesting)
    first = store_module.load_store(real_copy, cache)
    monkeypatch.setattr(store_module, "build", real_build)
    assert _devon(first)[0] == pytest.approx(15.8)
    recorded = first.inputs.set_index("name").loc[CSWW, "sha256"]
    assert recorded != store_module.file_sha256(real_copy / CSWW)  # the key names the bytes parsed
    store_module._MEMO.clear()
    second = store_module.load_store(real_copy, cache)
    assert second.key != first.key and _devon(second)[0] == pytest.approx(19.9)
    # the first snapshot, opened by its folder as a build's notebooks do, is unchanged
    store_module._MEMO.clear()
    assert _devon(store_module.open_store(str(first.snapshot)))[0] == pytest.approx(15.8)


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "meta"])
def test_a_damaged_cache_is_reported_in_one_line_and_rebuilt(real_copy, cache, capsys, damage):
    built = store_module.load_store(real_copy, cache)
    before = built.indicators.copy()
    table = built.snapshot / "indicators.parquet"
    data = bytearray(table.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x04
        table.write_bytes(bytes(data))
    elif damage == "truncate":
        table.write_bytes(bytes(data[: len(data) // 3]))
    elif damage == "empty":
        table.write_bytes(b"")
    else:
        (built.snapshot / "meta.json").write_text("{not json")
    store_module._MEMO.clear()
    again = store_module.load_store(real_copy, cache)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "damaged store cache, rebuilt" in err[0] and str(built.snapshot) in err[0]
    assert again.indicators.equals(before)


def test_a_damaged_snapshot_opened_by_folder_says_to_run_again(real_copy, cache):
    built = store_module.load_store(real_copy, cache)
    (built.snapshot / "areas.parquet").write_bytes(b"PAR1 not really")
    store_module._MEMO.clear()
    with pytest.raises(store_module.ScrutinyError, match="damaged.*Run the build again"):
        store_module.open_store(str(built.snapshot))


def test_leftovers_of_an_interrupted_build_are_removed_but_not_a_running_one(real_copy, cache):
    from helpers.data.snapshot import owned_tempdir
    cache.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = owned_tempdir(cache, ".store-")
    (stale / ".owner").write_text(f"{os.uname().nodename}:{dead.stdout.strip()}")
    (stale / "inputs").mkdir()
    running = owned_tempdir(cache, ".store-")  # this process: alive
    store_module.load_store(real_copy, cache)
    assert not stale.exists() and running.exists()


def test_two_releases_are_ranked_by_content_not_file_name(real_copy, cache):
    full = (real_copy / CSWW).read_bytes()
    (real_copy / CSWW).unlink()
    older = real_copy / "aaa_csww.csv"   # sorts first by name, but ends in 2024
    older.write_bytes(full)
    _edit_csww(older, lambda h, r: None if r[h.index("time_period")] == "2025" else r)
    _set_devon_caseload(older, "99.0", year="2024")
    (real_copy / "zzz_csww.csv").write_bytes(full)
    st = store_module.load_store(real_copy, cache)
    assert _devon(st, period=2024)[0] == pytest.approx(14.5)  # the newer release wins where they overlap
    assert any("zzz_csww.csv is used (its figures reach 2025)" in w for w in st.warnings)
    store_module._MEMO.clear()
    os.replace(real_copy / "zzz_csww.csv", real_copy / "000_csww.csv")
    os.replace(older, real_copy / "zzz_old.csv")
    again = store_module.load_store(real_copy, cache)
    assert _devon(again, period=2024)[0] == pytest.approx(14.5)


@pytest.mark.parametrize("value", ["250", "-15.8"])
def test_implausible_official_figures_are_left_out_and_named(real_copy, cache, value):
    _set_devon_caseload(real_copy / CSWW, value)
    st = store_module.load_store(real_copy, cache)
    assert _devon(st) == (pytest.approx(float("nan"), nan_ok=True), "implausible")
    note = next(w for w in st.warnings if w.startswith("Implausible figures for wf_caseload"))
    assert CSWW in note and "column 'caseload_fte'" in note and "Devon 2025" in note and "row " in note
    from helpers.stats import compare_indicator
    comp = compare_indicator(st, DEVON, "wf_caseload", period=2025)
    assert comp.status == "implausible" and comp.status_word == "implausible value in the release"


def test_a_renamed_value_column_fails_the_store_or_says_so(real_copy, cache):
    def rename(h, r):
        return r
    path = real_copy / CSWW
    text = path.read_text(encoding="utf-8-sig").replace("caseload_fte", "caseload_fte_2025", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(store_module.MissingMeasuresError) as err:
        store_module.load_store(real_copy, cache)
    assert CSWW in str(err.value) and "caseload_fte" in str(err.value) and "--allow-missing-measures" in str(err.value)
    st = store_module.load_store(real_copy, cache, allow_missing_measures=True)
    assert _devon(st)[1] == "measure_missing"
    assert [m["indicator"] for m in st.missing_measures] == ["wf_caseload"]
    assert _devon(st, "wf_agency")[1] == "ok"  # the rest of the publication is still read


def test_a_council_missing_from_the_latest_year_is_not_in_this_release(real_copy, cache):
    _edit_csww(real_copy / CSWW, lambda h, r: None if (r[h.index("old_la_code")] == DEVON
                                                       and r[h.index("time_period")] == "2025") else r)
    st = store_module.load_store(real_copy, cache)
    assert _devon(st)[1] == "not_in_release"
    from helpers.stats import compare_indicator
    comp = compare_indicator(st, DEVON, "wf_caseload")
    assert comp.period == 2025 and comp.status_word == "not in this release"
    # joint workforce returns are not mistaken for absences
    assert not ((st.indicators["status"] == "not_in_release") & (st.indicators["area_code"] != DEVON)).any()


def test_a_release_without_country_name_is_refused_naming_the_column(real_copy, tmp_path):
    from helpers.loaders import load
    path = real_copy / CSWW
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    i = rows[0].index("country_name")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([r[:i] + r[i + 1:] for r in rows])
    with pytest.raises(DataFileError) as err:
        load(path)
    assert CSWW in str(err.value) and "'country_name'" in str(err.value)
