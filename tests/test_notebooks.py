"""The section notebooks: runs under papermill on demo data and on the real
official releases, and a run as JupyterLab runs one, with an analyst's own
cells, whose pack section shows what the notebook showed.

Runs on real data share one started kernel per test module (papermill hands
``km=`` to nbclient, which leaves a kernel it did not start running), so a
council's seven notebooks load the store and compare each indicator once, as
a pack build does. Every notebook also has one plain papermill run (its own
kernel, default parameters: the demo). The slow tests carry
``xdist_group("notebooks")``: with ``-n 2 --dist loadgroup`` they share one
worker and its kernel while the other worker runs the rest of the suite.
"""

from __future__ import annotations

import html
import json
import os
import re
import time
from pathlib import Path

import nbformat
import pytest

from helpers.checks import notebook_problems
from helpers.geography import joint_return_for

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
#: The summary and the six sections of official figures (the local-figures
#: notebook has its own tests).
SECTION_NOTEBOOKS = {"00_summary": "summary", "10_workforce": "workforce", "20_front_door": "front_door",
                     "30_child_protection": "child_protection", "40_looked_after": "looked_after",
                     "45_cla_outcomes": "cla_outcomes", "50_care_leavers": "care_leavers", "60_spending": "spending"}
NOTEBOOKS = [NOTEBOOK_DIR / f"{stem}.ipynb" for stem in SECTION_NOTEBOOKS]
NOTEBOOK_IDS = [p.stem for p in NOTEBOOKS]
REAL_COUNCILS = {"Dorset": "838", "Devon": "878", "North Northamptonshire": "940", "Cumberland": "942"}
DEMO_COUNCIL = ("Kestrel Vale", "952")
TIMINGS: dict[str, float] = {}

slow_notebooks = [pytest.mark.slow, pytest.mark.xdist_group("notebooks")]


def scrutiny_meta(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["metadata"]["scrutiny"]


# --------------------------------------------------------------------------- pack order (fast)

def test_there_is_a_notebook_for_the_summary_and_every_section():
    assert [scrutiny_meta(p)["section"] for p in NOTEBOOKS] == list(SECTION_NOTEBOOKS.values())
    assert [scrutiny_meta(p)["order"] for p in NOTEBOOKS] == [0, 10, 20, 30, 40, 45, 50, 60]
    every = [scrutiny_meta(p) for p in sorted(NOTEBOOK_DIR.glob("*.ipynb"))]
    orders = [m["order"] for m in every]
    assert orders == sorted(orders) and len(set(orders)) == len(orders), "two notebooks share a pack position"
    assert [notebook_problems(p) for p in NOTEBOOK_DIR.glob("*.ipynb")] == [[]] * len(every)


# --------------------------------------------------------------------------- as JupyterLab runs them

ANALYST_CELLS = [
    ("markdown", "## Our own look at caseloads\n\nWritten by the service."),
    ("code", "import matplotlib.pyplot as plt\nimport seaborn as sns\n"
             "data = section.data.query(\"indicator == 'wf_caseload' and role == 'council'\")\n"
             "ax = sns.lineplot(data=data, x='period', y='value')\nax.set_title('Caseload over time')\nplt.show()"),
    ("code", "fig, ax = plt.subplots()\nax.bar(['a', 'b'], [1, 2])\n"
             "report.set_alt_text(ax, 'Two bars, a and b.')\ndisplay(fig)\nplt.close(fig)"),
    ("code", "sns.histplot(data=section.data, x='value').set_title('Spread of values')"),
    ("code", "print('Figures checked by the performance team.')\nsection.theme"),
]


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_a_notebook_runs_as_jupyterlab_runs_it_and_its_pack_section_shows_what_it_showed(notebook_env, tmp_path):
    """nbclient in the notebook's own folder, the kernel's own figure
    backend (no MPLBACKEND), default parameters; an analyst's markdown and
    charts however shown reach the section, stray values do not."""
    from nbclient import NotebookClient
    from helpers.render import render_section
    nb = nbformat.read(NOTEBOOK_DIR / "10_workforce.ipynb", as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "section.questions()" in c.source)
    for kind, source in reversed(ANALYST_CELLS):
        nb.cells.insert(at, nbformat.v4.new_markdown_cell(source) if kind == "markdown"
                        else nbformat.v4.new_code_cell(source))
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MPLBACKEND", raising=False)
        NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
                       timeout=600).execute(env=env)
    section = render_section(nb, "workforce", notebook="10_workforce.ipynb")
    body = section.body
    assert {"id": "workforce-our-own-look-at-caseloads", "text": "Our own look at caseloads"} in section.headings
    alts = re.findall(r'<figure class="chart chart-notebook"><img src="data:image/svg\+xml;base64,[^"]+" alt="([^"]+)"',
                      body)
    assert alts == ["Chart: Caseload over time", "Two bars, a and b.", "Chart: Spread of values"]
    assert "Figures checked by the performance team." in body
    assert "Theme(" not in body and "Text(0." not in body and "&lt;Figure" not in body
    log = "\n".join(section.warnings)
    assert "10_workforce.ipynb, cell 9" in log and "its title" in log  # the seaborn chart without alt text
    assert "cell 11" in log and "Text(0.0, 1.0" in log                     # stray values, named
    assert "cell 12" in log and "Theme(" in log


# --------------------------------------------------------------------------- helpers

@pytest.fixture(scope="module")
def notebook_env(store_cache, tmp_path_factory):
    """Environment the kernels inherit: the shared store cache, and a data
    folder in tmp for the generated demo (never inside the project)."""
    keys = ("SCRUTINY_CACHE_DIR", "SCRUTINY_DATA_DIR", "MPLBACKEND")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ["SCRUTINY_CACHE_DIR"] = str(store_cache)
    os.environ["SCRUTINY_DATA_DIR"] = str(tmp_path_factory.mktemp("notebook-data"))
    os.environ["MPLBACKEND"] = "Agg"
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module", autouse=True)
def timings_file(tmp_path_factory):
    """Each notebook execution's time, written to notebook-timings.txt in
    the test run's temporary folder (one file per xdist worker)."""
    yield
    if TIMINGS:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        path = tmp_path_factory.getbasetemp() / f"notebook-timings-{worker}.txt"
        path.write_text("".join(f"{s:6.1f} s  {n}\n" for n, s in TIMINGS.items()), encoding="utf-8")


@pytest.fixture(scope="module")
def warm_kernel(notebook_env):
    from jupyter_client import KernelManager
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(NOTEBOOK_DIR))
    yield km
    km.shutdown_kernel(now=True)


def run(path: Path, out: Path, parameters: dict | None = None, km=None):
    import papermill as pm
    start = time.perf_counter()
    nb = pm.execute_notebook(str(path), str(out), parameters=parameters or {}, km=km, cwd=str(NOTEBOOK_DIR),
                             progress_bar=False, log_output=False)
    TIMINGS[f"{path.stem} {parameters.get('council', 'demo') if parameters else 'demo'}"
            f"{' (warm kernel)' if km else ''}"] = time.perf_counter() - start
    return nb


def html_outputs(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", out
            assert out.get("name") != "stderr", out.get("text")
            data = out.get("data", {})
            if "text/html" in data:
                parts.append(data["text/html"])
    return "\n".join(parts)


def indicator_block(markup: str, section: str, iid: str) -> str:
    start = markup.index(f'<h2 id="{section}-{iid}">')
    end = markup.find("<h2 ", start + 10)
    return markup[start:end if end > 0 else None]


def table_row(markup: str, section: str, iid: str) -> str:
    at = markup.index(f'id="{section}-{iid}"')
    return markup[markup.rindex("<tr>", 0, at):markup.index("</tr>", at)]


def expected_figure(store, code: str, iid: str):
    """(period, value, status) the pack should show: the indicator's latest
    published period, the council's own row or else its joint return."""
    f = store.indicators
    rows = f[f["indicator"] == iid]
    la_ok = rows[(rows["level"] == "la") & (rows["status"] == "ok")]
    period = int(la_ok["period"].max())
    last = store.area(code)["last_period"]
    if int(last) < period:
        period = int(la_ok.loc[la_ok["period"] <= int(last), "period"].max())
    at = rows[rows["period"] == period]
    own = at[at["area_code"] == code]
    if own.empty:
        own = at[at["area_code"] == joint_return_for(code, period)]
    if own.empty:
        return period, float("nan"), "missing"
    return period, float(own["value"].iloc[0]), str(own["status"].iloc[0])


def check_section(markup: str, store, code: str, section: str) -> int:
    """Every indicator of the section is there with the store's figure (or
    the word for a missing one). Returns how many figures were checked."""
    from helpers.vocab import STATUS_WORDS
    catalogue = store.catalogue
    present = set(store.indicators["indicator"])
    checked = 0
    for ind in catalogue.in_section(section):
        if ind.id not in present:
            continue
        period, value, status = expected_figure(store, code, ind.id)
        if f'<h2 id="{section}-{ind.id}">' not in markup:   # one row of a table of related measures
            row = table_row(markup, section, ind.id)
            assert html.escape(ind.label) in row
            shown = ind.format_value(value, with_unit=False) if status == "ok" else \
                STATUS_WORDS.get(status, "not available")
            assert html.escape(shown) in row, (ind.id, shown)
            checked += status == "ok"
            continue
        block = indicator_block(markup, section, ind.id)
        assert html.escape(ind.label) in block
        if status == "ok":
            assert html.escape(ind.format_value(value)) in block, (ind.id, ind.format_value(value))
            checked += 1
        else:
            assert STATUS_WORDS.get(status, "not available") in block, (ind.id, status)
        assert "<figure" in block and "<figcaption>" in block and "<details>" in block
        assert "Period basis" in block and ind.period_label(period) in block
    assert f'<h2 id="{section}-questions">Questions members may wish to ask</h2>' in markup
    return checked


def check_summary(markup: str, store, code: str) -> None:
    assert 'id="summary-key-messages"' in markup and 'id="summary-at-a-glance"' in markup
    present = set(store.indicators["indicator"])
    for ind in store.catalogue:
        if ind.id not in present:
            continue
        _, value, status = expected_figure(store, code, ind.id)
        row = markup[markup.index(f'href="#{ind.section}-{ind.id}"'):]
        row = row[:row.index("</tr>")]
        if status == "ok":
            figure = ind.format_value(value, with_unit=False)
            assert html.escape(figure) in row, (ind.id, figure)


def check_clean(markup: str) -> None:
    assert "<script" not in markup.lower()
    assert 'src="http' not in markup and "href=\"http" not in markup


# --------------------------------------------------------------------------- demo: one plain run each

@pytest.fixture(scope="module")
def demo_store(notebook_env):
    from helpers.store import open_store
    return open_store("demo")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_demo_notebook_runs_with_its_defaults(path, demo_store, tmp_path):
    """A plain papermill run (its own kernel), the parameters cell's defaults."""
    nb = run(path, tmp_path / path.name)
    markup = html_outputs(nb)
    check_clean(markup)
    assert "Demo data" in markup and DEMO_COUNCIL[0] in markup
    section = scrutiny_meta(path)["section"]
    if section == "summary":
        check_summary(markup, demo_store, DEMO_COUNCIL[1])
    else:
        check_section(markup, demo_store, DEMO_COUNCIL[1], section)


# --------------------------------------------------------------------------- real data: warm kernel

@pytest.mark.parametrize("council", list(REAL_COUNCILS))
@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_real_council_notebooks(council, real_store, real_dir, warm_kernel, tmp_path):
    code = REAL_COUNCILS[council]
    outputs = {}
    for path in NOTEBOOKS:
        nb = run(path, tmp_path / path.name, {"council": council, "data": str(real_dir),
                                              "meeting_date": "2025-11-20"}, km=warm_kernel)
        outputs[scrutiny_meta(path)["section"]] = markup = html_outputs(nb)
        check_clean(markup)
        assert html.escape(council) in markup and "20 November 2025" in markup
        assert "Demo data" not in markup
    check_summary(outputs["summary"], real_store, code)
    checked = sum(check_section(outputs[s], real_store, code, s) for s in outputs if s != "summary")
    assert checked >= 20
    if council in ("Dorset", "Cumberland"):
        # created by a reorganisation: the series start later, and say why
        assert "Local government changes" in outputs["front_door"]
        assert "created by a reorganisation" in outputs["front_door"]
    if council == "North Northamptonshire":
        workforce = outputs["workforce"]
        assert "North Northamptonshire and West Northamptonshire make one workforce return (940/941)" in workforce
        assert "not North Northamptonshire alone" in workforce
        assert "joint return with West Northamptonshire" in outputs["summary"]
    if not real_store.inspections.empty:
        assert '<h2 id="spending-inspection">Ofsted inspection</h2>' in outputs["spending"]


@pytest.mark.parametrize("parameters, message", [
    ({"council": "Dorsett"}, "No council matches 'Dorsett'. Did you mean: Dorset"),
    ({"council": "Dorset", "period": 1999}, "Parameter 'period': the data holds no figures for 1999 (periods "
                                            "held"),
    ({"council": "Dorset", "meeting_date": "20/11/2025"}, "Parameter 'meeting_date': must be a date in the "
                                                          "form YYYY-MM-DD"),
    ({"council": "Dorset", "comparator": "nearest neighbours"}, "Parameter 'comparator': must be "
                                                                "'statistical neighbours' or 'region'"),
])
@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_bad_parameter_fails_with_a_clear_message(parameters, message, real_dir, real_store, warm_kernel,
                                                  tmp_path):
    import papermill as pm
    with pytest.raises(pm.PapermillExecutionError) as err:
        run(NOTEBOOKS[1], tmp_path / "bad.ipynb", {**parameters, "data": str(real_dir)}, km=warm_kernel)
    text = str(err.value)
    assert message in text
    if parameters["council"] == "Dorsett":
        assert "did you mean" in text.lower()


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_bad_parameter_in_a_plain_run(notebook_env, tmp_path):
    import papermill as pm
    with pytest.raises(pm.PapermillExecutionError) as err:
        run(NOTEBOOKS[0], tmp_path / "bad.ipynb", {"council": "Kestrel Vail"})
    assert "did you mean: kestrel vale" in str(err.value).lower()
    assert err.value.ename == "UnknownCouncilError"


