"""scrutiny fetch against a loopback copy of the publishers' services
(tests/fake_services.py): discovery, a second fetch that downloads nothing,
a newer release, services that are down or have changed shape, and the
limits on a download's size and time."""

from __future__ import annotations

import gzip
import json
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import SHARED_DFE
from fake_services import FakePublishers
from helpers.data import web
from helpers.data.fetch import fetch
from helpers.data.web import Client, Limits
from helpers.errors import FetchError

CSWW = "csww_indicators_2017_to_2025.csv"
MANUAL = {"sn_model_2025", "sn_model_2021", "ohid_fingertips"}


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(web, "BACKOFF_SECONDS", 0.0)


@pytest.fixture
def fake(real_dir, monkeypatch):
    with FakePublishers(real_dir) as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        yield server


def _snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} if folder.exists() else {}


def newer_csww(real_dir: Path) -> bytes:
    """The workforce file with a 2026 census added (the 2025 rows again,
    caseloads one higher): a newer release for the tests."""
    lines = (real_dir / CSWW).read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    period, caseload = header.index("time_period"), header.index("caseload_fte")
    extra = []
    for line in lines[1:]:
        cells = line.split(",")
        if len(cells) == len(header) and cells[period] == "2025":
            cells[period] = "2026"
            try:
                cells[caseload] = f"{float(cells[caseload]) + 1:.1f}"
            except ValueError:
                pass
            extra.append(",".join(cells))
    return ("\n".join(lines + extra) + "\n").encode()


def test_fetch_fills_an_empty_folder_then_downloads_nothing(fake, tmp_path):
    raw = tmp_path / "raw"
    first = fetch(dest_dir=raw)
    assert first.ok, first.summary()
    status = {r.id: r.status for r in first.results}
    assert {k for k, v in status.items() if v == "manual"} == MANUAL
    assert all(v == "new" for k, v in status.items() if k not in MANUAL)
    for name in ("csww_indicators_2017_to_2025.csv", "la_cla_swcount.csv", "RO3_LA_Data_2024-25_data_by_LA.ods",
                 "LA_Inspection_Outcomes_as_at_31_March_2025.ods"):
        assert (raw / name).read_bytes() == (SHARED_DFE / name).read_bytes()
    # the children in need publication's C4 file is taken for its own source, beside B1, C1 and the rest
    assert (raw / "c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv").read_bytes() == (
        SHARED_DFE / "c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv").read_bytes()
    from helpers.geography import load_utla_lookup
    assert load_utla_lookup(raw / "LTLA-UTLA_Apr23_Lookup_England-Wales.csv").equals(
        load_utla_lookup(SHARED_DFE / "LTLA-UTLA_Apr23_Lookup_England-Wales.csv"))
    assert all(p.stat().st_mode & 0o044 == 0o044 for p in raw.iterdir() if not p.name.startswith("."))
    fake.downloads.clear()
    second = fetch(dest_dir=raw)
    assert second.ok and fake.downloads == []
    assert {r.status for r in second.results} == {"unchanged", "manual"}


def test_newer_release_is_fetched_and_the_old_copy_kept(fake, tmp_path, real_dir):
    raw = tmp_path / "raw"
    assert fetch(dest_dir=raw, only=["csww", "cin_b1"]).ok
    fake.publish("children-s-social-work-workforce", "csww_indicators_2017_to_2026.csv", newer_csww(real_dir))
    check = fetch(dest_dir=raw, only=["csww", "cin_b1"], check=True)
    assert [r.status for r in check.results] == ["available", "unchanged"]
    assert (raw / CSWW).read_bytes() == (real_dir / CSWW).read_bytes()   # --check downloads nothing
    fake.downloads.clear()
    report = fetch(dest_dir=raw, only=["csww", "cin_b1"])
    (csww, b1) = report.results
    assert csww.status == "new" and "2026" in csww.release and csww.holding.latest == 2026
    assert b1.status == "unchanged" and fake.downloads == ["csww_indicators_2017_to_2026.csv"]
    assert (raw / CSWW).read_bytes() == newer_csww(real_dir)   # the canonical name stays
    kept = list((raw / ".replaced").glob(f"{CSWW}.*"))
    assert len(kept) == 1 and kept[0].read_bytes() == (real_dir / CSWW).read_bytes()


def test_an_older_release_on_the_server_is_refused(fake, tmp_path, real_dir):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / CSWW).write_bytes(newer_csww(real_dir))
    report = fetch(dest_dir=raw, only="csww")
    (r,) = report.results
    assert r.status == "failed" and "older" in r.reason and "2026" in r.reason and "--allow-older" in r.reason
    assert "/ees/data-set-files/" in r.reason            # names the URL
    assert (raw / CSWW).read_bytes() == newer_csww(real_dir)
    assert fetch(dest_dir=raw, only="csww", allow_older=True).results[0].status == "new"


@pytest.mark.parametrize("mode,words", [("down", "gave up after"), ("shape", "changed shape")])
def test_a_broken_service_fails_clearly_and_changes_nothing(fake, tmp_path, mode, words):
    raw = tmp_path / "raw"
    assert fetch(dest_dir=raw, only=["csww", "cin_b1", "finance_ro3"]).ok
    before = _snapshot(raw)
    fake.mode = mode
    report = fetch(dest_dir=raw, only=["csww", "cin_b1", "finance_ro3"])
    assert not report.ok
    failed = report.by_status("failed")
    assert [r.id for r in failed] == (["csww", "cin_b1", "finance_ro3"] if mode == "down" else ["csww", "cin_b1"])
    for r in failed:
        assert words in r.reason and fake.base in r.reason
    assert _snapshot(raw) == before


@pytest.mark.parametrize("mode,served", [("no-file-download", "la_cla_swcount.csv"),
                                          ("zip-only", "stability-measures-for-children-looked-after-in-england.zip")])
def test_a_file_the_data_set_route_does_not_offer_comes_from_the_release(fake, tmp_path, real_dir, mode, served):
    fake.mode = mode
    raw = tmp_path / "raw"
    report = fetch(dest_dir=raw, only=["cla_swcount"])
    (r,) = report.results
    assert r.status == "new", r.reason
    assert (raw / "la_cla_swcount.csv").read_bytes() == (real_dir / "la_cla_swcount.csv").read_bytes()
    assert fake.downloads == [served]
    assert not [p.name for p in raw.iterdir() if ".part" in p.name]
    state = json.loads((raw / ".fetch-state.json").read_text())
    assert "/releases/" in state["cla_swcount"]["url"]


def test_cli_fetch_exit_code_and_quiet_log(fake, tmp_path, monkeypatch, capsys):
    from helpers.cli import main
    monkeypatch.setenv("SCRUTINY_RAW_DIR", str(tmp_path / "raw"))
    assert main(["fetch", "--only", "cla_swcount", "ofsted_inspections"]) == 0
    out = capsys.readouterr().out
    assert "cla_swcount" in out and "new" in out
    assert main(["fetch", "--quiet", "--only", "cla_swcount", "ofsted_inspections"]) == 0
    assert capsys.readouterr().out == ""                 # nothing changed: nothing to log
    fake.mode = "shape"
    assert main(["fetch", "--quiet", "--only", "cla_swcount"]) == 1
    captured = capsys.readouterr()
    assert "cla_swcount" in captured.out and "failed" in captured.out and "Traceback" not in captured.err


def test_discovery_names_the_candidates_when_none_or_several_match(fake, tmp_path):
    from helpers.data.services import latest_ees
    base = fake.env()["SCRUTINY_EES_CONTENT_URL"]
    spec = {"publication": "characteristics-of-children-in-need", "file": "^zz_"}
    with Client() as client:
        with pytest.raises(FetchError, match=r"no file matches.*b1_children_in_need_2013_to_2025\.csv"):
            latest_ees(client, base, spec)
        with pytest.raises(FetchError, match=r"7 files match"):
            latest_ees(client, base, {**spec, "file": "_20"})
        old_slug = latest_ees(client, base, {"publication": "characteristics-of-children-in-need-old", "file": "^b1_"})
        assert old_slug.filename == "b1_children_in_need_2013_to_2025.csv"   # followed the redirect
        with pytest.raises(FetchError, match="no such publication"):
            latest_ees(client, base, {"publication": "no-such-thing", "file": "x"})


def test_attachment_patterns_match_every_years_file_name():
    """MHCLG and Ofsted name their files differently from year to year; the
    manifest's patterns take each name seen (and not the other publication's)."""
    import re
    from helpers.data.manifest import read_manifest
    spec = {s.id: s.discover["attachment"] for s in read_manifest() if s.discover.get("service") == "govuk"}
    seen = {"finance_ro3": ["RO3_2022-23_data_by_LA.ods", "RO3_2023-24_data_by_LA.ods",
                            "RO3_LA_Data_2024-25_data_by_LA.ods", "RO3_LA_Data_2025-26_data_by_LA.ods"],
            "finance_rsx": ["RSX_2022-23_data_by_LA.ods", "RSX_LA_Data_2024-25_data_by_LA.ods"],
            "ofsted_inspections": ["LA_Inspection_Outcomes_as_at_March_2024.ods",
                                   "LA_Inspection_Outcomes_as_at_31_March_2025.ods"]}
    for sid, names in seen.items():
        for other, pattern in spec.items():
            for name in names:
                assert bool(re.search(pattern, name, re.IGNORECASE)) == (other == sid), (other, name)
    assert not re.search(spec["ofsted_inspections"], "Childrens_social_care_in_England_2023_underlying_data.ods",
                         re.IGNORECASE)


# ---------------------------------------------------------------- limits

BOMB = gzip.compress(b"\0" * (1 << 30), compresslevel=9)    # 1 MB that inflates to 1 GB


class _Hostile(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        if self.path == "/bomb":
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(BOMB)))
            self.end_headers()
            self.wfile.write(BOMB)
        elif self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(100):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(10)
        elif self.path == "/busy":
            self.send_response(429)
            self.send_header("Retry-After", "3600")
            self.send_header("Content-Length", "0")
            self.end_headers()


@pytest.fixture
def hostile_server():
    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, *args):
            pass
    httpd = Server(("127.0.0.1", 0), _Hostile)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_gzip_bomb_is_refused_in_seconds_with_bounded_memory(hostile_server, tmp_path):
    tracemalloc.start()
    start = time.monotonic()
    with Client() as client, pytest.raises(FetchError) as info:
        client.download(f"{hostile_server}/bomb", tmp_path / "x")
    took = time.monotonic() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "/bomb" in str(info.value) and "larger than 210 MB (decompressed)" in str(info.value)
    assert took < 10 and peak < 50e6
    assert (tmp_path / "x").stat().st_size <= 210 * 1024 * 1024


def test_a_trickling_server_is_cut_off_at_the_deadline(hostile_server, tmp_path):
    start = time.monotonic()
    with Client(Limits(deadline=2)) as client, pytest.raises(FetchError) as info:
        client.download(f"{hostile_server}/trickle", tmp_path / "x")
    assert time.monotonic() - start < 6
    assert "/trickle" in str(info.value) and "longer than 2 s" in str(info.value)


def test_a_long_retry_after_is_not_waited_out(hostile_server, tmp_path):
    with Client() as client, pytest.raises(FetchError, match=r"/busy.*wait 3600 s"):
        client.get_json(f"{hostile_server}/busy")
