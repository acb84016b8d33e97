"""One parameter model for notebooks, the command line, run files and
batches: periods as DfE writes them, every mistake of a run file at once,
runs checked against the data before anything starts, workers a machine can
hold, and a Dask address that is not a scheduler refused in seconds."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from helpers import params
from helpers.errors import ParameterError, ScrutinyError


@pytest.mark.parametrize("value, year", [
    (2025, 2025), (202425, 2025), ("2025", 2025), ("2024-25", 2025), ("2024/25", 2025), ("202425", 2025),
    ("2024-2025", 2025), (" 2019-20 ", 2020), (2025.0, 2025), ("1999-00", 2000), (None, None), ("", None),
])
def test_periods_are_read_as_dfe_writes_them(value, year):
    assert params.parse_period(value) == year


@pytest.mark.parametrize("value, words", [
    ("2024-26", "is not one year: DfE periods run one year, e.g. 2024-25 (the year ending 2025)"),
    ("202426", "is not one year"),
    ("twenty", "a year such as 2025, or a period as DfE writes it: 2024-25 or 202425"),
    ("2025-06; x", "a year such as 2025"),
    (True, "a year such as 2025"),
    (2025.5, "not float"),
    (1066, "between 1990 and 2100"),
])
def test_other_periods_are_refused_with_what_to_write(value, words):
    with pytest.raises(ParameterError) as err:
        params.parse_period(value)
    assert err.value.name == "period" and words in str(err.value)


def test_a_run_reports_every_problem_at_once():
    run, errors = params.check_run({"council": "", "period": "x", "meeting_date": "20/1/2026", "colour": "blue",
                                    "comparator": "peers", "format": "docx", "sections": ["../etc"]})
    assert run is None
    assert sorted(e.name for e in errors) == ["colour", "comparator", "council", "format", "meeting_date",
                                              "period", "sections"]
    good = params.check(council=878, period="2024-25", sections="summary, workforce", format="html",
                        comparator="Region", meeting_date="2026-01-20")
    assert (good.council, good.period, good.sections, good.formats, good.comparator) == (
        "878", 2025, ("summary", "workforce"), ("html",), "region")


def test_a_run_file_reports_every_mistake_with_its_key(tmp_path):
    f = tmp_path / "runs.yml"
    f.write_text("defaults:\n  committee: People\n  formats: [html, docx]\nruns:\n  - council: Dorset\n"
                 "    period: 2024-26\n    meeting_date: 2026-02-30\n  - council: Devon\n    colour: blue\n"
                 "  - {}\n  - council: Kent\n    period: 202425\n    meeting_date: 2026-01-20\n")
    runs, problems = params.read_run_file(f)
    keys = [k for k, _ in problems]
    assert keys == ["defaults.format", "runs[0].period", "runs[0].meeting_date", "runs[1].colour",
                    "runs[2].council"]
    assert "'2026-02-30' is not a real date" in dict(problems)["runs[0].meeting_date"]
    with pytest.raises(ScrutinyError) as err:
        params.runs_from_file(f)
    assert str(f) in str(err.value) and "5 problems" in str(err.value)
    f.write_text("runs:\n  - council: Kent\n    period: 202425\n    meeting_date: 2026-01-20\n    format: pdf\n")
    (run,) = params.runs_from_file(f)
    assert (run.period, run.meeting_date, run.formats) == (2025, "2026-01-20", ("pdf",))


def test_a_run_files_paths_are_read_from_its_own_folder(tmp_path, monkeypatch):
    (tmp_path / "meeting").mkdir()
    (tmp_path / "meeting" / "pack.yml").write_text("drop: []\n")
    (tmp_path / "meeting" / "commentary").mkdir()
    f = tmp_path / "meeting" / "runs.yml"
    f.write_text("defaults:\n  commentary: commentary\nruns:\n  - council: Kent\n    spec: pack.yml\n"
                 "  - council: Leeds\n    spec: nowhere.yml\n    local_figures: demo\n")
    monkeypatch.chdir(tmp_path)  # not the run file's folder
    runs, problems = params.read_run_file(f)
    assert [r.spec for _, r in runs] == [str(tmp_path / "meeting" / "pack.yml")]
    assert runs[0][1].commentary == str(tmp_path / "meeting" / "commentary")
    (key, text), = problems
    assert key == "runs[1].spec" and "nowhere.yml" in text and "no file has that path" in text


def test_a_notebooks_specification_and_commentary_paths_are_checked():
    with pytest.raises(ParameterError, match="pack_spec"):
        params.check_notebook("Devon", pack_spec="/no/such/pack.yml")
    with pytest.raises(ParameterError, match="commentary"):
        params.check_notebook("Devon", commentary=3)
    checked = params.check_notebook("Devon", pack_spec=None, commentary="")
    assert (checked.pack_spec, checked.commentary) == (None, "")


def test_runs_are_checked_against_the_data_before_anything_starts(real_store, tmp_path):
    from helpers.build.preflight import preflight
    from helpers.pack import discover_notebooks  # noqa: F401 - the project's notebooks
    Run = params.Run
    runs = [Run("Devonn"), Run("Dorset", period=2030), Run("England"), Run("Kent", sections=("workforse",)),
            Run("Leeds", neighbours="2019"), Run("Devon"), Run("878"), Run("E10000008", committee="Other"),
            Run("Cornwall")]
    out = preflight(runs, real_store, reports_dir=tmp_path / "reports")
    text = "\n".join(out.problems)
    assert "No council matches 'Devonn'. Did you mean: Devon (878)?" in text
    assert "the data holds no figures for 2030" in text
    assert "England is a country, not a council" in text
    assert "no section notebook called 'workforse'" in text
    assert "no statistical neighbour model '2019'" in text
    assert "both build Devon 2025" in text and "different parameters" in text   # E10000008 is Devon too
    assert len(out.duplicates) == 1 and "same pack" in out.duplicates[0]         # 878 is Devon: built once
    assert [r.council for r in out.runs] == ["Devon", "Cornwall"]
    assert not (tmp_path / "reports").exists() or not list((tmp_path / "reports").rglob("manifest.json"))


def test_workers_are_capped_by_cores_and_memory(monkeypatch):
    from helpers.build import workers
    monkeypatch.setattr(workers, "cores", lambda: 2)
    monkeypatch.setattr(workers, "available_memory_mb", lambda: 20_000)
    n, note = workers.worker_count(64, 153)
    assert n == 2 and "--workers 64" in note and "2 cores" in note and "2 workers will run" in note
    monkeypatch.setattr(workers, "available_memory_mb", lambda: 2_000)
    assert workers.worker_count(None, 153) == (1, "")
    assert workers.worker_count(2, 1)[0] == 1
    with pytest.raises(ParameterError, match="workers"):
        workers.worker_count(0, 5)


class _Http(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the handler's name
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_dask_address_that_is_not_a_scheduler_is_refused_within_seconds():
    from helpers.build.workers import DASK_CONNECT_S, check_dask_address, connect_dask
    with pytest.raises(ParameterError, match="'local' or a Dask scheduler's address"):
        check_dask_address("not a scheduler")
    assert check_dask_address("127.0.0.1:8786") == "tcp://127.0.0.1:8786"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]          # nothing listens once the socket is closed
    server = HTTPServer(("127.0.0.1", 0), _Http)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for port in (closed, server.server_port):
            t = time.monotonic()
            with pytest.raises(ScrutinyError) as err:
                connect_dask(f"tcp://127.0.0.1:{port}", 1, {})
            assert time.monotonic() - t < DASK_CONNECT_S + 5
            assert "\n" not in str(err.value) and "no Dask scheduler answered" in str(err.value)
    finally:
        server.shutdown()
