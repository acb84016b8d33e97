"""What an analyst adds without writing helpers code: the pack
specification, officer commentary, the theme, and how a notebook's outputs
reach the pack (the nbconvert preprocessors). Quick tests on the real
catalogue and small notebooks made here; the builds are in
test_make_it_your_own.py."""

from __future__ import annotations

import datetime as dt
import re

import nbformat
import pytest

from helpers.build.preprocess import CellError
from helpers.catalogue import load_catalogue
from helpers.commentary import Commentary, check_folder, render_markdown
from helpers.errors import ConfigError
from helpers.render import render_section
from helpers.spec import load_spec
from helpers.theme import current_theme, load_theme, using_theme

CATALOGUE = load_catalogue()


def spec_file(tmp_path, text: str):
    path = tmp_path / "pack.yml"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the pack specification

def test_a_dropped_measure_leaves_every_list_and_a_section_keeps_the_order_given(tmp_path):
    spec = load_spec(spec_file(tmp_path, "drop: [wf_agency]\nsections:\n  workforce:\n    indicators: "
                                         "[wf_turnover, wf_caseload, wf_agency]\n  spending: false\n"), CATALOGUE)
    assert spec.indicators_for("workforce", ["wf_caseload", "wf_agency"]) == ["wf_turnover", "wf_caseload"]
    kept = spec.kept(CATALOGUE)
    assert "wf_agency" not in kept and "wf_vacancy" not in kept  # left out of the section's list
    assert not any(CATALOGUE[i].section == "spending" for i in kept)
    assert not spec.include_section("spending") and spec.include_section("workforce")
    assert not spec.keeps("wf_agency", "workforce") and spec.keeps("cla_rate", "looked_after")


@pytest.mark.parametrize("text, key, words", [
    ("drop: [wf_agencyy]\n", "drop[0]", "Did you mean: wf_agency"),
    ("dorp: [wf_agency]\n", "dorp", "Did you mean 'drop'"),
    ("sections:\n  workforse: false\n", "sections.workforse", "Did you mean 'workforce'"),
    ("sections:\n  workforce:\n    indicators: [cla_rate]\n", "sections.workforce.indicators[0]",
     "cla_rate is a measure of the looked_after section"),
    ("targets:\n  wf_turnover: 150\n", "targets.wf_turnover", "outside the range"),
    ("targets:\n  wf_starters: 10\n", "targets.wf_starters", "context measure"),
    ("chart_titles:\n  wf_caseload: {pie: x}\n", "chart_titles.wf_caseload.pie", "Allowed: bars, trend"),
    ("headline: [wf_agency]\ndrop: [wf_agency]\n", "headline", "in both headline and drop"),
    ("style: nowhere.yml\n", "style", "no file"),
])
def test_a_mistake_in_the_specification_names_the_file_and_key(tmp_path, text, key, words):
    path = spec_file(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_spec(path, CATALOGUE)
    assert str(path) in str(err.value) and f"key '{key}'" in str(err.value) and words in str(err.value)


def test_a_bad_style_file_named_by_the_specification_is_an_error_at_once(tmp_path):
    (tmp_path / "style.yml").write_text("colours:\n  councill: red\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"style.yml, key 'colours.councill'"):
        load_spec(spec_file(tmp_path, "style: style.yml\n"), CATALOGUE)


# --------------------------------------------------------------------------- commentary

NOTE = "---\nofficer: Sam Patel, Head of Service\ndate: 2025-11-03\n---\nCaseloads <b>fell</b> after June.\n"


def test_commentary_is_older_than_newer_figures_by_period_or_by_date(tmp_path):
    note = Commentary.parse(NOTE, tmp_path / "wf_caseload.md")
    assert (note.about, note.officer, note.date) == ("wf_caseload", "Sam Patel, Head of Service", dt.date(2025, 11, 3))
    assert note.older_than(2026, dt.date(2026, 3, 31)) and not note.older_than(2025, dt.date(2025, 9, 30))
    dated = Commentary.parse(NOTE.replace("---\nCase", "period: 2024\n---\nCase"), tmp_path / "workforce.md")
    assert dated.older_than(2025, dt.date(2025, 9, 30)) and not dated.older_than(2024, dt.date(2024, 9, 30))
    assert "&lt;b&gt;fell&lt;/b&gt;" in render_markdown(note.text)  # an officer's HTML is shown, never run


@pytest.mark.parametrize("text, words", [
    ("Caseloads fell.\n", "starts with its officer and date"),
    ("---\ndate: 2025-11-03\n---\nText\n", "key 'officer'"),
    ("---\nofficer: Sam\ndate: 03/11/2025\n---\nText\n", "key 'date'"),
    ("---\nofficer: Sam\ndate: 2999-01-01\n---\nText\n", "in the future"),
    ("---\nofficer: Sam\ndate: 2025-11-03\nteam: x\n---\nText\n", "unknown key 'team'"),
    ("---\nofficer: Sam\ndate: 2025-11-03\n---\n\n", "no text"),
])
def test_a_commentary_without_name_date_or_text_is_refused(tmp_path, text, words):
    with pytest.raises(ConfigError) as err:
        Commentary.parse(text, tmp_path / "workforce.md")
    assert "workforce.md" in str(err.value) and words in str(err.value)


def test_a_commentary_file_must_name_a_section_or_a_measure(tmp_path):
    (tmp_path / "workforse.md").write_text(NOTE, encoding="utf-8")
    with pytest.raises(ConfigError, match="neither a section of this pack nor a measure. Did you mean: workforce"):
        check_folder(tmp_path, CATALOGUE, ["summary", "workforce"])
    (tmp_path / "workforse.md").rename(tmp_path / "workforce.md")
    assert check_folder(tmp_path, CATALOGUE, ["summary", "workforce"]) == [tmp_path / "workforce.md"]


# --------------------------------------------------------------------------- the theme

def test_a_theme_is_a_value_and_drawing_in_one_leaves_no_trace(tmp_path):
    base = load_theme()
    red = base.replace(colours={"council": "#8B0000"})
    assert (red.colour("council"), base.colour("council")) == ("#8B0000", "#0072B2")
    with using_theme(red):
        assert current_theme() is red
    assert current_theme().colour("council") == "#0072B2"
    with pytest.raises(ConfigError, match="colours.councill"):
        base.replace(colours={"councill": "#000000"})


# --------------------------------------------------------------------------- outputs into the pack

def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["scrutiny"] = {"section": "workforce", "title": "Social work workforce", "order": 10}
    nb.cells = [nbformat.v4.new_markdown_cell("# Social work workforce"), *cells]
    return nb


def code(*outputs, source="x = 1"):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = list(outputs)
    return cell


def test_headings_link_from_the_contents_and_never_collide_with_the_sections_own():
    own = nbformat.v4.new_output("display_data", data={"text/html": '<h2 id="workforce-key-findings">Key findings</h2>'})
    nb = notebook(nbformat.v4.new_markdown_cell("## Key findings\n\n# Officer's view\n\n## Officer's view"), code(own))
    s = render_section(nb, notebook="10_workforce.ipynb")
    assert [h["id"] for h in s.headings] == ["workforce-key-findings-2", "workforce-officer-s-view",
                                             "workforce-officer-s-view-2", "workforce-key-findings"]
    assert not re.search(r"<a\b[^>]*/>", s.body) and "anchor-link" not in s.body


@pytest.mark.parametrize("output, words", [
    (nbformat.v4.new_output("error", ename="KeyError", evalue="'wf_agencyy'", traceback=[]),
     "the cell failed with KeyError"),
    (nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="}),
     "a figure has no alt text and no title"),
    (nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {}}),
     "output the pack cannot hold (application/vnd.jupyter.widget-view+json)"),
])
def test_an_output_the_pack_cannot_show_as_seen_stops_the_build_naming_notebook_and_cell(output, words):
    nb = notebook(nbformat.v4.new_markdown_cell("Some words"), code(output, source="sns.barplot(data=frame)"))
    with pytest.raises(CellError) as err:
        render_section(nb, notebook="10_workforce.ipynb")
    assert str(err.value).startswith("10_workforce.ipynb, cell 3 ('sns.barplot(data=frame)'): ") and words in str(err.value)


def test_a_markdown_image_must_be_described_and_beside_the_notebook(tmp_path):
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")
    (tmp_path / "map.png").write_bytes(png)
    ok = render_section(notebook(nbformat.v4.new_markdown_cell("![Map of the localities](map.png)")),
                        folder=str(tmp_path))
    assert 'alt="Map of the localities"' in ok.body and "data:image/png;base64," in ok.body
    for text, words in (("![](map.png)", "has no alt text"), ("![Map](https://example.org/m.png)", "on the web"),
                        ("![Map](missing.png)", "was not found")):
        with pytest.raises(CellError, match=words):
            render_section(notebook(nbformat.v4.new_markdown_cell(text)), folder=str(tmp_path))


def test_stray_values_and_warnings_go_to_the_log_and_printed_text_to_the_reader():
    nb = notebook(code(
        nbformat.v4.new_output("stream", name="stdout", text="Checked by the performance team.\n"),
        nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: something changed\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "<Figure size 800x450 with 1 Axes>"}),
        nbformat.v4.new_output("execute_result", data={"text/plain": "HouseStyle(figure={})"}, execution_count=3),
        nbformat.v4.new_output("display_data", data={"text/plain": "A note displayed on purpose"})))
    s = render_section(nb, notebook="10_workforce.ipynb")
    assert "Checked by the performance team." in s.body and "A note displayed on purpose" in s.body
    assert "Figure size" not in s.body and "HouseStyle" not in s.body and "FutureWarning" not in s.body
    assert len([w for w in s.warnings if w.startswith("10_workforce.ipynb, cell 2")]) == 3


# --------------------------------------------------------------------------- the pack fingerprint

def test_commentary_and_specification_enter_the_fingerprint_by_content(real_store, tmp_path):
    import shutil

    from helpers.build.plan import pack_fingerprint, plan_pack
    folder = tmp_path / "notebooks"
    shutil.copytree(__import__("pathlib").Path(__file__).resolve().parents[1] / "notebooks", folder)

    def fingerprint():
        plan = plan_pack(real_store, council="Devon", period=None, comparator="statistical neighbours",
                         committee="", meeting_date="", sections=None, comparators_file=None,
                         notebooks_dir=folder, reports_dir=tmp_path / "reports", local_figures="", targets_file="")
        return pack_fingerprint(real_store, plan, ("html",), None), plan

    bare, plan = fingerprint()
    assert plan.parameters["pack_spec"] is None and plan.parameters["commentary"] is None
    (folder / "commentary" / "devon").mkdir(parents=True)
    note = folder / "commentary" / "devon" / "workforce.md"
    note.write_text(NOTE, encoding="utf-8")
    with_note, plan = fingerprint()
    assert with_note != bare and plan.commentary_files == [note]
    note.write_text(NOTE.replace("June", "July"), encoding="utf-8")
    edited, _ = fingerprint()
    (folder / "pack.yml").write_text("drop: [wf_agency]\n", encoding="utf-8")
    specified, plan = fingerprint()
    assert len({bare, with_note, edited, specified}) == 4
    assert plan.parameters["pack_spec"] == str((folder / "pack.yml").resolve())
    (folder / "pack.yml").write_text("sections:\n  spending: false\n", encoding="utf-8")
    _, plan = fingerprint()
    assert "spending" not in plan.notebooks and "workforce" in plan.notebooks
    (folder / "commentary" / "devon" / "members.md").write_text(NOTE, encoding="utf-8")
    with pytest.raises(ConfigError, match="members.md.*neither a section of this pack"):
        fingerprint()  # the members' briefing shows no commentary: said, not silently dropped
    (folder / "commentary" / "devon" / "members.md").unlink()
    (folder / "commentary" / "devon" / "wf_agencyy.md").write_text(NOTE, encoding="utf-8")
    with pytest.raises(ConfigError, match="wf_agencyy.md.*Did you mean: wf_agency"):
        fingerprint()  # before any notebook runs


def test_kernel_state_keeps_caches_under_any_name_and_restores_the_rest():
    """Between notebooks a warm kernel keeps the caches keyed by content (also
    where a package re-exports one) and undoes what a notebook changed in
    helpers' own tables."""
    import helpers.charts
    from helpers.build import kernel_state
    saved = dict(kernel_state._SAVED)
    try:
        kernel_state.snapshot()
        helpers.charts._TEXT_METRICS[("probe",)] = 1            # a cache, reached through the package
        helpers.charts.SOURCE_NAMES["probe"] = "changed"         # a notebook's edit to a shared table
        kernel_state.restore()
        assert helpers.charts._TEXT_METRICS.get(("probe",)) == 1
        assert helpers.charts._TEXT_METRICS is helpers.charts.base._TEXT_METRICS
        assert "probe" not in helpers.charts.SOURCE_NAMES
    finally:
        helpers.charts._TEXT_METRICS.pop(("probe",), None)
        kernel_state._SAVED.clear()
        kernel_state._SAVED.update(saved)
