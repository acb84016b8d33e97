"""End-to-end tests of pack building: real packs from the official data in
../shared/data/dfe, checked as a reader would (HTML text, PDF text, page
numbers, no external references, escaping)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from conftest import scrutiny_env

from helpers.errors import ParameterError
from helpers.pack import council_slug, pack_dir

ROOT = Path(__file__).resolve().parents[1]
SECTION_NOTEBOOKS = [
    ("00_summary", "summary", "Summary", 0),
    ("10_workforce", "workforce", "Social work workforce", 10),
    ("20_front_door", "front_door", "Front door and children in need", 20),
    ("30_child_protection", "child_protection", "Child protection", 30),
    ("40_looked_after", "looked_after", "Children looked after and placement stability", 40),
    ("45_cla_outcomes", "cla_outcomes", "Health and education of children looked after", 45),
    ("50_care_leavers", "care_leavers", "Care leavers", 50),
    ("60_spending", "spending", "Spending and inspection", 60),
]

STUB_BODY = '''
import html
from IPython.display import HTML, display
from helpers.store import open_store
from helpers.stats import compare_indicator
from helpers import charts
store = open_store(data)
code = store.resolve(str(council))
name = store.area(code)["area_name"]
chosen = store.catalogue.ids() if SECTION == "summary" else [i.id for i in store.catalogue.in_section(SECTION)]
rows = []
for ind_id in chosen[:LIMIT]:
    ind = store.catalogue[ind_id]
    try:
        c = compare_indicator(store, code, ind_id, period=period,
                              comparator=None if comparator == "statistical neighbours" else comparator)
    except ValueError:
        continue
    if SECTION == "summary":
        rows.append(f"<tr><th scope='row'>{html.escape(ind.label)}</th><td data-indicator='{ind_id}'>{ind.format_value(c.value)}</td></tr>")
        continue
    display(HTML(f'<h2 id="{SECTION}-{ind_id}">{html.escape(ind.label)}</h2>'
                 f'<p class="key-figure" data-indicator="{ind_id}" data-period="{c.period}">'
                 f'{html.escape(name)}: {ind.format_value(c.value)}</p>'))
    subject = c.neighbour_values.loc[c.neighbour_values['is_subject'].astype(bool), 'area_name']
    chart = charts.benchmark_bars(c.neighbour_values, highlight=subject.iloc[0] if len(subject) else c.area_name, indicator=ind,
                                  neighbour_mean=c.neighbour_mean, england=c.england, period=c.period)
    display(charts.display_chart(chart))
if SECTION == "summary":
    display(HTML('<h2 id="summary-at-a-glance">At a glance</h2><table><thead><tr><th scope="col">Indicator</th>'
                 '<th scope="col">' + html.escape(name) + '</th></tr></thead><tbody>' + "".join(rows) + '</tbody></table>'))
'''


def make_section_notebooks(dest: Path, limit: int = 99, broken: str | None = None) -> Path:
    """Stand-in section notebooks that follow the contract with the
    notebooks engineer (metadata, title cell, parameters cell, HTML
    outputs with <h2 id="<section>-<indicator>">), doing real work:
    comparisons and charts from the store. ``broken`` names a section whose
    notebook raises."""
    dest.mkdir(parents=True, exist_ok=True)
    for stem, sid, title, order in SECTION_NOTEBOOKS:
        nb = nbformat.v4.new_notebook()
        nb.metadata["scrutiny"] = {"section": sid, "title": title, "order": order}
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        params = nbformat.v4.new_code_cell(
            'council = "Dorset"\nperiod = None\ncomparator = "statistical neighbours"\ncommittee = ""\n'
            'meeting_date = ""\ndata = "demo"\ncomparators_file = None')
        params.metadata["tags"] = ["parameters"]
        body = f"SECTION = {sid!r}\nLIMIT = {limit}\n" + STUB_BODY
        if broken == sid:
            body = "raise RuntimeError('deliberately broken section')\n" + body
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), params, nbformat.v4.new_code_cell(body)]
        nbformat.write(nb, dest / f"{stem}.ipynb")
    return dest


def section_notebooks(tmp: Path, limit: int = 99) -> Path:
    """Stand-in notebooks (fast, same contract); test_real_notebooks_pack
    builds with the project's own notebooks."""
    return make_section_notebooks(tmp / "notebooks", limit=limit)


# ------------------------------------------------------------- unit tests

@pytest.mark.parametrize("name,slug", [
    ("Dorset", "dorset"), ("Bournemouth, Christchurch and Poole", "bournemouth-christchurch-and-poole"),
    ("St. Helens", "st-helens"), ("Brighton & Hove", "brighton-and-hove"), ("Southend-on-Sea", "southend-on-sea"),
    ("../../etc/passwd", "etc-passwd"), ("a/b\\c", "a-b-c"), ("Ynys Môn", "ynys-mon"),
])
def test_council_slug_is_safe(name, slug):
    assert council_slug(name) == slug


@pytest.mark.parametrize("name", ["..", "/", "", "../..", "☃", "   "])
def test_council_slug_refuses_what_cannot_be_a_folder(name):
    with pytest.raises(ParameterError, match="council"):
        council_slug(name)


def test_pack_dir_stays_inside_reports(tmp_path):
    assert pack_dir(tmp_path, "dorset", 2025) == (tmp_path / "dorset" / "2025").resolve()
    with pytest.raises(ParameterError):
        pack_dir(tmp_path, "..", 2025)
    with pytest.raises(ParameterError):
        pack_dir(tmp_path, "../x", 2025)


def test_render_escapes_hostile_text(demo_store):
    from helpers.render import RenderedSection, pack_context, render_pack_html
    hostile = '<script>alert("x")</script></style>'
    code = demo_store.councils().iloc[0]["area_code"]
    section = RenderedSection("workforce", "Social <b>work</b>", 10, "<p>body</p>", [{"id": "workforce-x", "text": "<i>x</i>"}])
    ctx = pack_context(demo_store, area_code=code, period=None, sections=[section],
                       comparator=hostile, committee=hostile, meeting_date="2026-01-20")
    html = render_pack_html(ctx)
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "Social &lt;b&gt;work&lt;/b&gt;" in html
    assert "DEMO DATA" in html
    assert "20 January 2026" in html


def test_assembling_a_pack_needs_no_charting_or_statistics_libraries(pack_env):
    # The build process only assembles what the kernels made. Importing
    # matplotlib, seaborn and scipy.stats there cost a first pack about 2.5 s.
    import subprocess
    import sys
    script = """
import sys
from helpers.render import RenderedSection, pack_context, render_pack_html
from helpers.store import open_store
store = open_store("demo")
code = store.councils().iloc[0]["area_code"]
section = RenderedSection("workforce", "Social work", 10, "<p>body</p>", [])
html = render_pack_html(pack_context(store, area_code=code, period=None, sections=[section],
                                     comparator="statistical neighbours", committee="C", meeting_date=""))
assert "Notes on the data" in html and "Sources and definitions" in html
heavy = [m for m in ("matplotlib", "seaborn", "scipy.stats", "helpers.charts", "helpers.stats.engine") if m in sys.modules]
print("heavy:", ",".join(heavy))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=os.environ)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("heavy:"), out.stdout


def test_render_section_strips_code_scripts_and_stderr():
    from helpers.render import render_section
    nb = nbformat.v4.new_notebook()
    nb.metadata["scrutiny"] = {"section": "workforce", "title": "Workforce", "order": 1}
    code = nbformat.v4.new_code_cell("SECRET_CODE = 1")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": '<h2 id="workforce-wf_caseload">Caseload</h2>'
                                                                  '<script src="https://cdn.example/x.js"></script>'
                                                                  '<img src="https://example.org/x.png" alt="x">'}),
        nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: something\n"),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Workforce"), code]
    s = render_section(nb)
    assert "SECRET_CODE" not in s.body and "<script" not in s.body and "https://" not in s.body
    assert "FutureWarning" not in s.body and any("FutureWarning" in w for w in s.warnings)
    assert s.headings == [{"id": "workforce-wf_caseload", "text": "Caseload"}]


def test_run_file_errors_name_file_and_key(tmp_path):
    from helpers.params import runs_from_file
    from helpers.errors import ConfigError
    f = tmp_path / "runs.yml"
    f.write_text("runs:\n  - council: Dorset\n  - council: Devon\n    meeting_date: 20/01/2026\n")
    with pytest.raises(ConfigError) as exc:
        runs_from_file(f)
    assert str(f) in str(exc.value) and "runs[1].meeting_date" in str(exc.value)
    f.write_text("runs:\n  - council: Dorset\n    colour: blue\n")
    with pytest.raises(ConfigError, match=r"runs\[0\]\.colour"):
        runs_from_file(f)
    f.write_text("defaults:\n  committee: People Scrutiny\nruns:\n  - council: 838\n    sections: [workforce]\n"
                 "    period: 2025\n    meeting_date: 2026-01-20\n")
    (run,) = runs_from_file(f)
    assert run.council == "838" and run.committee == "People Scrutiny" and run.sections == ("workforce",)
    assert run.period == 2025 and run.meeting_date == "2026-01-20"


# ------------------------------------------------------- end-to-end packs

def _pdf_text(path: Path) -> tuple[list[str], int]:
    from pypdf import PdfReader
    reader = PdfReader(str(path))
    return [p.extract_text() or "" for p in reader.pages], len(reader.pages)


def _no_external_references(html: str) -> None:
    assert not re.search(r"<script\b[^>]*\bsrc=", html, re.I)
    assert not re.search(r"<link\b", html, re.I)
    assert not re.search(r"""\b(src|srcset|poster)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html, re.I)
    # the only http(s) URLs are <a href> links to publishers' pages in the appendix
    for m in re.finditer(r"""(\w+)\s*=\s*["']https?://""", html):
        assert m.group(1).lower() == "href"


@pytest.fixture(scope="module")
def pack_env(tmp_path_factory, store_cache):
    base = tmp_path_factory.mktemp("packs")
    with scrutiny_env(cache_dir=store_cache, reports_dir=base / "reports"):
        yield base


pytestmark_packs = [pytest.mark.slow, pytest.mark.xdist_group("packs")]


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
@pytest.mark.parametrize("council", ["Dorset", "940", "Kingston upon Thames"])
def test_real_pack(council, pack_env, real_store, real_dir):
    from helpers.pack import build_pack
    nb_dir = section_notebooks(pack_env, limit=3)
    res = build_pack(council=council, data=str(real_dir), committee="Children's Scrutiny <Committee>",
                     meeting_date="2026-01-20", notebooks_dir=nb_dir, reports_dir=pack_env / "reports")
    code = real_store.resolve(council)
    name = real_store.area(code)["area_name"]
    assert res.out_dir == (pack_env / "reports" / council_slug(name) / str(res.period)).resolve()
    html = res.html.read_text(encoding="utf-8")
    manifest = json.loads(res.manifest.read_text())
    # every section present, in order, with its heading in the contents
    positions = [html.index(f'id="section-{sid}"') for _, sid, _, _ in SECTION_NOTEBOOKS]
    assert positions == sorted(positions)
    for _, sid, title, _ in SECTION_NOTEBOOKS:
        assert f'href="#section-{sid}"' in html
    assert manifest["sections"] == [sid for _, sid, _, _ in SECTION_NOTEBOOKS]
    # no code, no external references, escaped parameters
    assert "open_store(" not in html and "compare_indicator(" not in html
    _no_external_references(html)
    assert "Children&#39;s Scrutiny &lt;Committee&gt;" in html
    # key figures equal the store's values
    figures = re.findall(r'data-indicator="(\w+)" data-period="(\d+)">[^<]*: ([^<]+)</p>', html)
    assert figures, "no key figures found"
    for ind_id, per, shown in figures:
        ind = real_store.catalogue[ind_id]
        value = real_store.value(code, ind_id, int(per))
        if value != value:  # joint return or suppressed: the pack says so in words or uses the joint figure
            continue
        assert shown == ind.format_value(value), (ind_id, shown, value)
    # data notes and appendix trail
    assert 'id="data-notes"' in html and 'id="sources"' in html
    for entry in manifest["inputs"]:
        if entry.get("publication") == "csww":
            assert entry["sha256"] in html
    if code == "838":
        assert "On 1 April 2019" in html
    if code == "940":
        assert "joint" in html.lower()
    # the PDF: A4, page numbers, running header, sections
    texts, n = _pdf_text(res.pdf)
    assert n >= len(SECTION_NOTEBOOKS) + 3
    assert f"Page 2 of {n}" in texts[1] and f"Page {n} of {n}" in texts[-1]
    assert name in texts[2] and "20 January 2026" in texts[2]
    alltext = "\n".join(texts)
    for _, _, title, _ in SECTION_NOTEBOOKS:
        assert title in alltext
    from pypdf import PdfReader
    box = PdfReader(str(res.pdf)).pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2
    # manifest
    assert manifest["parameters"]["council"] == code and manifest["fingerprint"]
    assert set(manifest["versions"]) >= {"papermill", "nbconvert", "weasyprint", "pandas"}
    assert any(k.startswith("execute:") for k in manifest["timings"])
    assert sorted(p.name for p in (res.out_dir / "notebooks").iterdir()) == sorted(
        f"{stem}.ipynb" for stem, *_ in SECTION_NOTEBOOKS)


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_rebuild_keeps_previous_and_failure_keeps_current(pack_env, real_dir, tmp_path):
    from helpers.errors import PackBuildError
    from helpers.build.history import pack_history
    from helpers.pack import build_pack
    reports = tmp_path / "reports"
    nb_dir = make_section_notebooks(tmp_path / "nb", limit=1)
    first = build_pack(council="Dorset", data=str(real_dir), notebooks_dir=nb_dir, reports_dir=reports,
                       sections=["summary", "workforce"], formats=("html",))
    skipped = build_pack(council="Dorset", data=str(real_dir), notebooks_dir=nb_dir, reports_dir=reports,
                         sections=["summary", "workforce"], formats=("html",), force=False)
    assert skipped.skipped
    second = build_pack(council="Dorset", data=str(real_dir), notebooks_dir=nb_dir, reports_dir=reports,
                        sections=["summary", "workforce"], formats=("html",), committee="Second")
    assert second.out_dir == first.out_dir
    current, prev = pack_history(reports, "dorset")
    assert current == second.out_dir and prev.parent.name == str(first.period)
    assert "Second" in second.html.read_text() and "Second" not in (prev / "pack.html").read_text()
    broken = make_section_notebooks(tmp_path / "broken", limit=1, broken="workforce")
    with pytest.raises(PackBuildError, match="10_workforce.*deliberately broken"):
        build_pack(council="Dorset", data=str(real_dir), notebooks_dir=broken, reports_dir=reports,
                   sections=["summary", "workforce"], formats=("html",), committee="Third")
    assert "Second" in (second.out_dir / "pack.html").read_text()
    assert not list(second.out_dir.parent.glob(".tmp-*"))


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_demo_pack_offline(pack_env, tmp_path, monkeypatch):
    import socket
    from helpers.pack import build_pack
    from helpers.store import open_store

    def no_network(*a, **k):
        raise OSError("network disabled in this test")
    monkeypatch.setattr(socket.socket, "connect", no_network)
    store = open_store("demo")
    first = store.councils().iloc[0]["area_code"]
    res = build_pack(council=first, data="demo", notebooks_dir=section_notebooks(tmp_path, limit=1),
                     reports_dir=tmp_path / "reports")
    html = res.html.read_text()
    assert "DEMO DATA — fictional councils" in html
    texts, _ = _pdf_text(res.pdf)
    assert "DEMO DATA" in texts[0]


def test_warm_kernels_use_their_own_local_sockets(pack_env, capfd):
    # Two kernels (a single pack runs sections on two at once) must not share
    # sockets, and a scheduled run's log should carry no transport warning.
    from jupyter_core.paths import jupyter_runtime_dir

    from helpers.pack import WarmKernel
    kernels = [WarmKernel(), WarmKernel()]
    try:
        for kernel, value in zip(kernels, (1, 2)):
            assert kernel.km.transport == "ipc"
            assert kernel.km.ip.startswith(os.path.join(jupyter_runtime_dir(), "scrutiny-"))
            kernel.run(f"answer = {value}")
        assert kernels[0].km.ip != kernels[1].km.ip
        assert all(kernel.alive() for kernel in kernels)
    finally:
        for kernel in kernels:
            kernel.shutdown()
    assert "without encryption" not in capfd.readouterr().err
    assert not any(kernel.alive() for kernel in kernels)
    assert not [p for p in os.listdir(jupyter_runtime_dir()) if p.startswith(os.path.basename(kernels[0].km.ip))]


def test_kernels_keep_tcp_where_local_sockets_cannot_be_made(monkeypatch, tmp_path):
    from helpers import pack
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / ("deep" * 30)))  # too long for a socket path
    assert pack._ipc_prefix() is None
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(blocked / "runtime"))
    assert pack._ipc_prefix() is None
    import shutil
    import tempfile
    short = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # a socket path must stay short
    try:
        monkeypatch.setenv("JUPYTER_RUNTIME_DIR", short)
        prefix = pack._ipc_prefix()
        assert prefix and prefix.startswith(os.path.join(short, "scrutiny-")) and os.listdir(short) == []
    finally:
        shutil.rmtree(short, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.xdist_group("packs")
def test_real_notebooks_pack(pack_env, real_store, real_dir, tmp_path):
    """The project's own section notebooks (notebooks/), one section, both formats."""
    from helpers.pack import build_pack
    real = ROOT / "notebooks"
    if not (real / "10_workforce.ipynb").exists():
        pytest.skip("the section notebooks are not in notebooks/ yet")
    res = build_pack(council="North Northamptonshire", data=str(real_dir), notebooks_dir=real,
                     reports_dir=tmp_path / "reports", sections=["workforce"], meeting_date="2026-01-20")
    html = res.html.read_text(encoding="utf-8")
    _no_external_references(html)
    assert 'id="section-workforce"' in html and 'id="workforce-wf_caseload"' in html
    assert "from helpers import report" not in html
    texts, n = _pdf_text(res.pdf)
    assert f"Page {n} of {n}" in texts[-1]
    assert "Social work workforce" in "\n".join(texts)
