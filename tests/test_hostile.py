"""Hostile input. Markup in a local figures file, a comparator group or a
council's name is shown as text; a parameter crafted to inject code through
papermill runs no code; bad parameters are refused before anything runs; a
council name cannot write outside reports/; huge, binary, wrongly encoded
and zip-bomb files are refused with a clear message and change nothing."""

from __future__ import annotations

import html as _html
import os
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from helpers.errors import DataFileError, ParameterError, ScrutinyError

ROOT = Path(__file__).resolve().parents[1]
SCRIPT_TEAM = '<script>alert("team")</script>'
IMG_TEAM = "<img src=x onerror=alert(1)>"
PEER = '<script>alert("peer")</script> Council'
MEMBER = "<svg onload=alert(2)>"
LABEL = "Peers <b>bold</b> & co"


def injection(marker: Path) -> list[str]:
    """Values that would run code if a parameter were pasted into the
    notebook's source rather than written as a literal."""
    return [
        f'Devon"; import os; os.system("touch {marker}"); x="',
        f"Devon'; import os; os.system('touch {marker}'); x='",
        f'x"""; import os; os.system("touch {marker}"); y="""',
        f"\\\"; __import__('os').system('touch {marker}'); #",
        f"{{__import__('os').system('touch {marker}')}}",
    ]


# ------------------------------------------------- papermill parameters

def test_papermill_writes_parameters_as_literals(tmp_path):
    """papermill's injected-parameters cell, executed: each hostile value
    comes back unchanged and the marker file is never created."""
    from papermill.parameterize import parameterize_notebook
    marker = tmp_path / "pwned"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nb.metadata["papermill"] = {}
    cell = nbformat.v4.new_code_cell('council = "Dorset"\ncommittee = ""')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    for value in injection(marker):
        out = parameterize_notebook(nb, {"council": value, "committee": value})
        injected = next(c for c in out.cells if "injected-parameters" in c.metadata.get("tags", []))
        namespace: dict = {}
        exec(compile(injected.source, "<injected>", "exec"), namespace)  # noqa: S102 - the point of the test
        assert namespace["council"] == value and namespace["committee"] == value
        assert not marker.exists(), f"code ran from {value!r}"


@pytest.mark.parametrize("kwargs,name", [
    (dict(committee="Scrutiny\nimport os"), "committee"),
    (dict(committee="x" * 201), "committee"),
    (dict(committee=["a list"]), "committee"),
    (dict(council="Devon\x00"), "council"),
    (dict(council="D" * 101), "council"),
    (dict(council=None), "council"),
    (dict(period="2025; import os"), "period"),
    (dict(period=True), "period"),
    (dict(period=1066), "period"),
    (dict(period="2025-06; x"), "period"),
    (dict(comparator='region"; import os; x="'), "comparator"),
    (dict(comparator={"group": 1}), "comparator"),
    (dict(comparator="my peers"), "comparator"),              # no comparators_file: no such group
    (dict(comparators_file="/nonexistent/groups.yml", comparator="peers"), "comparators_file"),
    (dict(meeting_date="2026-01-20; rm -rf /"), "meeting_date"),
    (dict(sections=["summary", "../../etc"]), "sections"),
    (dict(timeout=0), "timeout"),
    (dict(timeout="600"), "timeout"),
])
def test_build_refuses_bad_parameters_before_running_anything(kwargs, name, tmp_path, monkeypatch):
    from helpers import pack
    from helpers import store as store_mod

    def must_not_run(*a, **k):
        raise AssertionError("a bad parameter got as far as the store or a notebook")
    monkeypatch.setattr(store_mod, "open_store", must_not_run)
    monkeypatch.setattr(pack, "execute_section", must_not_run)
    args = dict(council="Dorset", data="demo", reports_dir=tmp_path / "reports")
    args.update(kwargs)
    with pytest.raises(ParameterError) as exc:
        pack.build_pack(**args)
    assert exc.value.name == name
    assert not (tmp_path / "reports").exists()


def test_comparator_group_must_exist_in_the_file(tmp_path):
    from helpers.pack import validate_parameters
    groups = tmp_path / "groups.yml"
    groups.write_text(f"groups:\n  peers:\n    label: '{LABEL}'\n    members: [Devon, Somerset]\n")
    base = dict(council="Dorset", period=None, committee="", meeting_date="", sections=None, data="demo",
                timeout=600, comparators_file=str(groups))
    assert validate_parameters(comparator="peers", **base)["comparator"] == "peers"
    assert validate_parameters(comparator=LABEL, **base)["comparator"] == LABEL
    with pytest.raises(ParameterError, match="no group of that name.*peers"):
        validate_parameters(comparator="friends", **base)


# ------------------------------------------------- markup shown as text

def _hostile_local_inputs(folder: Path) -> tuple[Path, Path]:
    """Ashcombe's demo local figures with hostile team names, a peer
    council's file whose council name is markup, and a comparator group
    with a hostile label and members."""
    from helpers.local import find_local_figures
    folder.mkdir(parents=True, exist_ok=True)
    own = find_local_figures("Ashcombe", "demo").read_text(encoding="utf-8")
    teams = {"Assessment team": SCRIPT_TEAM, "Care leavers team": IMG_TEAM}
    for old, new in teams.items():
        own = own.replace(f",{old},", f',"{new.replace(chr(34), chr(34) * 2)}",')
    (folder / "ashcombe_hostile.csv").write_text(own, encoding="utf-8")
    peer = find_local_figures("Northmoor", "demo").read_text(encoding="utf-8")
    peer = peer.replace("# council: Northmoor", f"# council: {PEER}")
    (folder / "peer_hostile.csv").write_text(peer, encoding="utf-8")
    groups = folder / "groups.yml"
    groups.write_text("groups:\n  peers:\n"
                      f"    label: '{LABEL}'\n"
                      f"    members: ['{PEER}', '{MEMBER}', Northmoor]\n", encoding="utf-8")
    return folder / "ashcombe_hostile.csv", groups


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_markup_in_local_figures_and_comparator_group_is_text(packs_env, tmp_path):
    from helpers.pack import build_pack
    local_file, groups = _hostile_local_inputs(tmp_path / "local")
    res = build_pack(council="Ashcombe", data="demo", sections=["local"], formats=("html",),
                     comparator=LABEL, comparators_file=str(groups), local_figures=str(local_file),
                     notebooks_dir=ROOT / "notebooks", reports_dir=tmp_path / "reports", committee="<i>Scrutiny</i>")
    page = res.html.read_text(encoding="utf-8")
    shutil.copyfile(res.html, _artifact("hostile-local-pack.html"))
    body = page.split("<body", 1)[1]
    assert "<script" not in body.lower()
    assert not re.search(r"<(img|svg)\b[^>]*\bon\w+\s*=", body, re.I), "an event handler attribute survived"
    shown = _html.unescape(re.sub(r"<[^>]+>", " ", body))
    for text in (SCRIPT_TEAM, IMG_TEAM, "<i>Scrutiny</i>", f"the comparator group '{LABEL}'"):
        assert text in shown, f"{text!r} is not shown as text"
    # Peers' names appear only in a pack for a council outside the official
    # data (local.py); wherever they appear they are text, never markup.
    for text in (PEER, MEMBER):
        assert text not in body
    from test_browser import browser_missing, run_check
    if browser_missing() is None:  # and in a browser: nothing ran
        r = run_check(res.html, _artifact("browser-hostile"))
        assert r["dialogs"] == [] and r["scripts"] == 0 and r["console_errors"] == []


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_injection_through_a_parameter_runs_no_code(packs_env, tmp_path):
    """The committee reaches the notebooks as a parameter unchanged (the
    council is resolved to its code first): hostile values are harmless."""
    from test_pack import make_section_notebooks

    from helpers.pack import build_pack
    marker = tmp_path / "pwned"
    nb_dir = make_section_notebooks(tmp_path / "nb", limit=1)
    for value in injection(marker)[:3]:
        res = build_pack(council="Ashcombe", data="demo", sections=["summary"], formats=("html",),
                         committee=value, notebooks_dir=nb_dir, reports_dir=tmp_path / "reports")
        assert not marker.exists(), f"code ran from {value!r}"
        executed = nbformat.read(res.out_dir / "notebooks" / "00_summary.ipynb", as_version=4)
        injected = next(c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", []))
        namespace: dict = {}
        exec(compile(injected.source, "<injected>", "exec"), namespace)  # noqa: S102
        assert namespace["committee"] == value
        assert _html.escape(value, quote=False) in _html.unescape(res.html.read_text()).replace(value, _html.escape(
            value, quote=False)) and not marker.exists()


# ------------------------------------------------- writing outside reports/

def test_council_names_cannot_leave_reports(tmp_path, monkeypatch):
    from helpers import pack
    monkeypatch.setattr(pack, "execute_section", lambda *a, **k: pytest.fail("should not run"))
    reports = tmp_path / "reports"
    for council in ("../../etc/passwd", "..", "/etc", "Ashcombe/../../x"):
        with pytest.raises(ScrutinyError):
            pack.build_pack(council=council, data="demo", reports_dir=reports)
    assert not any(tmp_path.glob("etc*")) and not (tmp_path / "x").exists()
    # a council folder that is a symbolic link out of reports/ is refused
    outside = tmp_path / "outside"
    outside.mkdir()
    reports.mkdir(exist_ok=True)
    (reports / "ashcombe").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ParameterError, match="outside the reports folder"):
        pack.build_pack(council="Ashcombe", data="demo", reports_dir=reports)
    assert list(outside.iterdir()) == []


# ------------------------------------------------- hostile files

def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.write(b"time_period,geographic_level\n")
        fh.truncate(size)
    return path


def _zip_bomb(path: Path, megabytes: int = 120) -> Path:
    """An .xlsx-looking zip whose sheet decompresses ~1000 times its size."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 20)
            for _ in range(megabytes):
                fh.write(block)
    return path


def hostile_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, words the refusal must contain)."""
    folder.mkdir(parents=True, exist_ok=True)
    real_csv = ("time_period,time_identifier,geographic_level,country_code,country_name,la_name,new_la_code\n"
                "2025,Reporting year,Local authority,E92000001,England,Ynys Môn,E10000008\n")
    u16 = folder / "cin_utf16.csv"
    u16.write_text(real_csv, encoding="utf-16")
    l1 = folder / "cin_latin1.csv"
    l1.write_bytes(real_csv.encode("latin-1"))
    binary = folder / "junk.csv"
    binary.write_bytes(bytes(range(256)) * 64)
    return {
        "huge": (_sparse(folder / "huge.csv", 201 * 1024 * 1024), "MB"),
        "binary": (binary, "binary"),
        "utf16": (u16, "UTF-16"),
        "latin1": (l1, "UTF-8"),
        "zip_bomb": (_zip_bomb(folder / "bomb.xlsx"), "decompress"),
        "zip_bomb_ods": (_zip_bomb(folder / "bomb.ods", 600), "decompress"),
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_files(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("kind", ["huge", "binary", "utf16", "latin1", "zip_bomb", "zip_bomb_ods"])
def test_identify_refuses_hostile_files(hostile, kind):
    from helpers.loaders import identify, load
    path, words = hostile[kind]
    with pytest.raises(DataFileError) as exc:
        identify(path)
    assert words in str(exc.value) and str(path) in str(exc.value)
    if kind.startswith("zip"):
        with pytest.raises(DataFileError, match="decompress"):
            load(path, "finance_ro3")  # a named publication does not skip the guard


def test_zip_guard_refuses_before_decompressing(hostile, monkeypatch):
    """The guard reads the zip's directory only: no member is opened."""
    from helpers.loaders import identify
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *a, **k: opened.append(a) or real_open(self, *a, **k))
    with pytest.raises(DataFileError):
        identify(hostile["zip_bomb"][0])
    assert opened == []


def test_zip_guard_passes_the_official_spreadsheets(real_dir):
    from helpers.loaders import check_zip_members
    sheets = sorted(real_dir.glob("*.ods"))
    assert sheets
    for p in sheets:
        check_zip_members(p)


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")} if folder.exists() else {}


@pytest.mark.parametrize("kind", ["huge", "binary", "utf16", "latin1", "zip_bomb"])
def test_ingest_refuses_and_changes_nothing(hostile, kind, tmp_path, real_dir):
    from helpers.sources import ingest
    raw = tmp_path / "raw"
    raw.mkdir()
    good = raw / "la_cla_swcount.csv"
    shutil.copyfile(real_dir / "la_cla_swcount.csv", good)
    local = tmp_path / "local"
    before = _snapshot(raw), _snapshot(local)
    path, words = hostile[kind]
    with pytest.raises(DataFileError) as exc:  # alone, and beside a good file: all or nothing
        ingest([path], dest_dir=raw, local_dir_in=local)
    assert words in str(exc.value) and "Nothing was copied" in str(exc.value)
    with pytest.raises(DataFileError):
        ingest([real_dir / "csww_indicators_2017_to_2025.csv", path], dest_dir=raw, local_dir_in=local)
    assert (_snapshot(raw), _snapshot(local)) == before


def test_cli_ingest_says_why(hostile, tmp_path, capsys, monkeypatch):
    from helpers.cli import main
    monkeypatch.setenv("SCRUTINY_RAW_DIR", str(tmp_path / "raw"))
    rc = main(["ingest", str(hostile["utf16"][0])])
    err = capsys.readouterr()
    assert rc != 0 and "UTF-16" in err.err + err.out
    assert not (tmp_path / "raw").exists() or not any((tmp_path / "raw").iterdir())


@pytest.mark.parametrize("kind", ["huge", "zip_bomb", "utf16"])
def test_store_refuses_and_keeps_its_cache(hostile, kind, tmp_path, real_dir):
    from helpers.store import load_store
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copyfile(real_dir / "la_cla_swcount.csv", raw / "la_cla_swcount.csv")
    path, words = hostile[kind]
    os.link(path, raw / path.name) if kind == "huge" else shutil.copyfile(path, raw / path.name)
    cache = tmp_path / "cache"
    (cache / "store-previous").mkdir(parents=True)
    (cache / "store-previous" / "meta.json").write_text('{"key": "previous"}')
    before = _snapshot(cache), _snapshot(raw)
    with pytest.raises(DataFileError) as exc:
        load_store(raw, cache)
    assert words in str(exc.value) and path.name in str(exc.value)
    assert (_snapshot(cache), _snapshot(raw)) == before


def _artifact(name: str) -> Path:
    from conftest import ARTIFACTS
    p = ARTIFACTS / "hostile" / name
    p.parent.mkdir(parents=True, exist_ok=True)
    return p
