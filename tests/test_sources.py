"""Tests for helpers.sources: the manifest, fetch (against a local HTTP server
serving the real files in place, read-only) and ingest."""

from __future__ import annotations

import hashlib
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from helpers import sources
from helpers.data.web import Limits
from helpers.errors import ConfigError, DataFileError, FetchError

REAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "dfe"
PROJECT_MANIFEST = Path(__file__).resolve().parents[1] / "data" / "sources.yml"
CSWW = "csww_indicators_2017_to_2025.csv"
B1 = "b1_children_in_need_2013_to_2025.csv"
C1 = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"

needs_real = pytest.mark.skipif(not (REAL_DIR / CSWW).exists(), reason="real DfE files not present")


# ---------------------------------------------------------------------------
# A local server: /files/NAME serves the real file; /flaky/NAME fails with 500
# on the first request; /always500/NAME always fails; /truncate/NAME promises
# more bytes than it sends.
# ---------------------------------------------------------------------------

class _Handler(SimpleHTTPRequestHandler):
    counts: dict[str, int] = {}

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):  # noqa: N802
        _, mode, name = self.path.split("/", 2)
        self.counts[self.path] = self.counts.get(self.path, 0) + 1
        real = REAL_DIR / name
        if mode == "always500" or (mode == "flaky" and self.counts[self.path] == 1):
            self.send_error(500, "boom")
            return
        data = real.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        if mode == "truncate":
            self.send_header("Content-Length", str(len(data) + 5000))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    from helpers.data import web
    monkeypatch.setattr(web, "BACKOFF_SECONDS", 0.0)


def _entry(sid: str, filename: str, url: str = "", sha256: str = "") -> dict:
    return {"id": sid, "title": f"test {sid}", "publisher": "DfE", "licence": "OGL v3",
            "landing": "https://example.org/landing", "url": url, "filename": filename, "sha256": sha256}


def _manifest(tmp_path: Path, *entries: dict) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump({"sources": list(entries)}))
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(d: Path) -> list[str]:
    return [p.name for p in d.iterdir() if ".part" in p.name]


# ---------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------

def test_project_manifest_is_valid_and_complete():
    srcs = sources.load_manifest(PROJECT_MANIFEST)
    ids = {s.id for s in srcs}
    assert ids == {"csww", "cin_b1", "cin_c1", "cin_c3", "cp_d3", "cp_d5", "cla_number",
                   "cla_placement_stability", "cla_swcount", "care_leavers_accommodation",
                   "care_leavers_activity", "ons_population", "sn_model_2025", "utla_lookup",
                   "finance_ro3", "finance_rsx", "ofsted_inspections", "sn_model_2021", "cin_c4",
                   "cla_health_outcomes", "cla_new_placements", "cla_ceased", "cla_school_moves", "cin_absence",
                   "cin_ks2", "cin_ks4", "ohid_fingertips", "ofsted_providers"}
    assert all("Open Government Licence" in s.licence for s in srcs)
    if REAL_DIR.exists():   # every canonical name is the real release's name
        assert {s.filename for s in srcs if s.id != "sn_model_2021"} <= {p.name for p in REAL_DIR.iterdir()}
    # every source is found through a publisher's service, except the neighbour models and OHID's
    assert {s.id for s in srcs if s.service == "manual"} == {"sn_model_2025", "sn_model_2021", "ohid_fingertips"}


def test_manifest_rejects_unknown_key(tmp_path):
    bad = _entry("csww", CSWW)
    bad["mirror"] = "x"
    with pytest.raises(ConfigError, match="mirror"):
        sources.load_manifest(_manifest(tmp_path, bad))


def test_manifest_rejects_missing_field(tmp_path):
    bad = _entry("csww", CSWW)
    del bad["filename"]
    with pytest.raises(ConfigError, match="filename"):
        sources.load_manifest(_manifest(tmp_path, bad))


@pytest.mark.parametrize("field,value", [("sha256", "abc"), ("filename", "../x.csv"), ("url", "ftp://x/y")])
def test_manifest_rejects_bad_values(tmp_path, field, value):
    bad = _entry("csww", CSWW)
    bad[field] = value
    with pytest.raises(ConfigError, match=field):
        sources.load_manifest(_manifest(tmp_path, bad))


def test_manifest_rejects_duplicates_and_unknown_only(tmp_path):
    with pytest.raises(ConfigError, match="duplicate id"):
        sources.load_manifest(_manifest(tmp_path, _entry("csww", CSWW), _entry("csww", B1)))
    m = _manifest(tmp_path, _entry("csww", CSWW))
    with pytest.raises(ConfigError, match="nope"):
        sources.fetch(m, tmp_path / "raw", only=["nope"])


# ---------------------------------------------------------------------------
# fetch
# ---------------------------------------------------------------------------

@needs_real
def test_fetch_success_then_unchanged(server, tmp_path):
    dest = tmp_path / "raw"
    m = _manifest(tmp_path, _entry("csww", CSWW, f"{server}/files/{CSWW}", _sha(REAL_DIR / CSWW)),
                  _entry("cin_b1", B1, ""))
    report = sources.fetch(m, dest)
    assert [r.status for r in report.results] == ["new", "manual"]
    assert "scrutiny ingest" in report.results[1].reason
    assert (dest / CSWW).read_bytes() == (REAL_DIR / CSWW).read_bytes()
    assert report.ok and not _leftovers(dest)
    again = sources.fetch(m, dest, only="csww")
    assert [r.status for r in again.results] == ["unchanged"]


@needs_real
def test_checksum_mismatch_keeps_previous_file(server, tmp_path):
    dest = tmp_path / "raw"
    dest.mkdir()
    (dest / CSWW).write_text("previous good copy\n")
    wrong = "0" * 64
    m = _manifest(tmp_path, _entry("csww", CSWW, f"{server}/files/{CSWW}", wrong))
    report = sources.fetch(m, dest)
    (res,) = report.results
    assert res.status == "failed"
    assert CSWW in res.reason and wrong in res.reason and _sha(REAL_DIR / CSWW) in res.reason
    assert isinstance(res.error, FetchError)
    assert (dest / CSWW).read_text() == "previous good copy\n"
    assert not _leftovers(dest)
    with pytest.raises(FetchError, match="checksum mismatch"):
        report.raise_for_failures()


@needs_real
def test_retry_after_server_error(server, tmp_path):
    dest = tmp_path / "raw"
    url = f"{server}/flaky/{B1}"
    m = _manifest(tmp_path, _entry("cin_b1", B1, url))
    report = sources.fetch(m, dest, limits=Limits(retries=2))
    assert report.results[0].status == "new"
    assert _Handler.counts[f"/flaky/{B1}"] == 2
    assert _sha(dest / B1) == _sha(REAL_DIR / B1)


@needs_real
def test_persistent_server_error_fails_after_retries(server, tmp_path):
    dest = tmp_path / "raw"
    m = _manifest(tmp_path, _entry("cin_b1", B1, f"{server}/always500/{B1}"))
    report = sources.fetch(m, dest, limits=Limits(retries=2))
    assert report.results[0].status == "failed" and "500" in report.results[0].reason
    assert _Handler.counts[f"/always500/{B1}"] == 3
    assert not (dest / B1).exists() and not _leftovers(dest)


def test_connection_refused_says_offline(tmp_path):
    with socket.socket() as s:       # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    m = _manifest(tmp_path, _entry("csww", CSWW, f"http://127.0.0.1:{port}/files/{CSWW}"))
    report = sources.fetch(m, tmp_path / "raw", limits=Limits(retries=1))
    text = report.results[0].reason
    assert not report.ok and "offline" in text and "scrutiny ingest" in text and f"127.0.0.1:{port}" in text
    assert not _leftovers(tmp_path / "raw")


@needs_real
def test_truncated_download_leaves_no_partial_file(server, tmp_path):
    dest = tmp_path / "raw"
    dest.mkdir()
    m = _manifest(tmp_path, _entry("cin_c1", C1, f"{server}/truncate/{C1}"),
                  _entry("cin_b1", B1, f"{server}/truncate/{B1}"))
    (dest / B1).write_text("old\n")
    report = sources.fetch(m, dest, limits=Limits(retries=1))
    assert [r.status for r in report.results] == ["failed", "failed"]
    assert not (dest / C1).exists()
    assert (dest / B1).read_text() == "old\n"
    assert not _leftovers(dest)


@needs_real
def test_download_with_wrong_content_is_rejected(server, tmp_path):
    dest = tmp_path / "raw"
    m = _manifest(tmp_path, _entry("cin_b1", B1, f"{server}/files/{C1}"))
    report = sources.fetch(m, dest)
    assert report.results[0].status == "failed"
    assert "cin_c1" in report.results[0].reason
    assert not (dest / B1).exists() and not _leftovers(dest)


# ---------------------------------------------------------------------------
# ingest
# ---------------------------------------------------------------------------

@needs_real
def test_ingest_real_file_under_another_name(tmp_path):
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    link = downloads / "download (3).csv"          # points at the read-only real file
    link.symlink_to(REAL_DIR / B1)
    dest = tmp_path / "raw"
    report = sources.ingest([link], dest, manifest_path=PROJECT_MANIFEST)
    (res,) = report.results
    assert res.id == "cin_b1" and res.status == "new" and res.dest_path == dest / B1
    assert _sha(dest / B1) == _sha(REAL_DIR / B1)
    assert not _leftovers(dest)
    again = sources.ingest([link], dest, manifest_path=PROJECT_MANIFEST)
    assert again.results[0].status == "unchanged"


@needs_real
def test_ingest_is_all_or_nothing(tmp_path):
    good = tmp_path / "good.csv"
    good.symlink_to(REAL_DIR / CSWW)
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 40)
    dest = tmp_path / "raw"
    with pytest.raises(DataFileError) as info:
        sources.ingest([good, junk], dest, manifest_path=PROJECT_MANIFEST)
    text = str(info.value)
    assert "junk.csv" in text and "binary" in text
    assert "Known publications" in text and "cin_b1" in text
    assert not dest.exists() or not any(dest.iterdir())


def test_ingest_unrecognised_text_file(tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DataFileError, match="nothing usable.*notes.csv.*not recognised"):
        sources.ingest([notes], tmp_path / "raw", manifest_path=PROJECT_MANIFEST)
    assert not (tmp_path / "raw").exists() or not any((tmp_path / "raw").iterdir())


def test_ingest_refuses_huge_file(tmp_path, monkeypatch):
    from helpers.data import ingest as ingest_module
    monkeypatch.setattr(ingest_module, "MAX_INGEST_BYTES", 1000)
    big = tmp_path / "big.csv"
    big.write_text("x," * 1000)
    with pytest.raises(DataFileError, match="big.csv.*limit"):
        sources.ingest([big], tmp_path / "raw", manifest_path=PROJECT_MANIFEST)


def test_ingest_needs_files():
    with pytest.raises(DataFileError, match="no files"):
        sources.ingest([], manifest_path=PROJECT_MANIFEST)
