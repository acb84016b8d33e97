"""Local monthly figures: the template and its checks, ingest, the numbers
(seasonality, rolling averages, targets, budget variance), councils outside
the English releases, and the 70_local notebook under papermill."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

import pandas as pd
import pytest

from helpers.errors import ConfigError, DataFileError, ParameterError
from helpers.loaders import identify, load
from helpers.loaders.local import (LOCAL_COLUMNS, load_local, load_measures, sniff_local, validate_local,
                                   write_local_template)
from helpers import local

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2025, 10, 15)
HEADER = "month,measure,team,breakdown,value,unit,note\n"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    from helpers.demo import generate_local_demo
    d = tmp_path_factory.mktemp("local-demo")
    generate_local_demo(d)
    generate_local_demo(d, council="Afon Uchaf")
    return d


@pytest.fixture(scope="module")
def northmoor(demo_dir) -> pd.DataFrame:
    return load_local(demo_dir / "northmoor_local_figures.csv", today=TODAY)


def write(tmp_path, text, name="figures.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --------------------------------------------------------------------------- template and demo

def test_measures_list_is_valid_and_has_the_members_asks():
    m = load_measures()
    for mid in ("referrals", "contacts", "assessments_completed", "assessments_within_45_days",
                "open_assessments_near_breach", "cp_plans", "cla", "caseload_average", "agency_social_workers",
                "vacancies", "sickness_days_per_fte", "budget", "forecast_outturn", "care_leavers_in_touch"):
        assert mid in m
    assert "schools" in m["referrals"].breakdown_values and m["referrals"].kind == "flow"
    assert m["cla"].kind == "stock" and m["caseload_average"].teams
    assert m["assessments_within_45_days_pct"].numerator == "assessments_within_45_days"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_blank_template_is_recognised_and_says_it_has_no_figures(tmp_path, suffix):
    p = write_local_template(tmp_path / f"template{suffix}")
    assert sniff_local(p) and identify(p) == "local_figures"
    v = validate_local(p, today=TODAY)
    assert not v.ok and any("no figures" in x.message for x in v.problems)
    with pytest.raises(DataFileError):
        write_local_template(p)      # never written over


def test_demo_is_deterministic_and_complete(demo_dir, tmp_path, northmoor):
    from helpers.demo import generate_local_demo
    again = generate_local_demo(tmp_path)
    assert (tmp_path / "northmoor_local_figures.csv").read_bytes() == \
        (demo_dir / "northmoor_local_figures.csv").read_bytes()
    assert {p.name for p in again} == {"northmoor_local_figures.csv", "northmoor_targets.yml"}
    assert set(load_measures().measures) <= set(northmoor["measure"])
    for mid, g in northmoor.groupby("measure"):
        assert g["month"].nunique() >= 36, mid
    assert (northmoor["council"] == "Northmoor").all()
    for name in ("afon_uchaf_local_figures.csv", "bro_derwen_local_figures.csv", "cwm_gwyn_local_figures.csv",
                 "afon_uchaf_comparators.yml", "afon_uchaf_targets.yml"):
        assert (demo_dir / name).exists()


def test_good_file_loads_every_row(demo_dir):
    p = demo_dir / "northmoor_local_figures.csv"
    v = validate_local(p, today=TODAY)
    assert v.ok and v.valid_rows == v.rows
    data_lines = [ln for ln in p.read_text().splitlines()[3:] if ln.strip()]
    assert v.rows == len(data_lines)
    frame = load_local(p, today=TODAY)
    assert list(frame.columns) == LOCAL_COLUMNS and len(frame) == v.rows
    assert frame["month"].dt.day.eq(1).all()
    pub, loaded = load(p)
    assert pub == "local_figures" and len(loaded) == len(frame)


def test_council_from_column_argument_or_missing(tmp_path):
    p = write(tmp_path, "council,month,measure,value\nBro Derwen,2024-01,cla,50\n")
    assert load_local(p, today=TODAY)["council"].tolist() == ["Bro Derwen"]
    p2 = write(tmp_path, "month,measure,value\n2024-01,cla,50\n", "b.csv")
    assert load_local(p2, council="Cwm Gwyn", today=TODAY)["council"].tolist() == ["Cwm Gwyn"]
    v = validate_local(p2, today=TODAY)
    assert any(x.column == "council" for x in v.problems)


# --------------------------------------------------------------------------- hostile and broken input

BROKEN = ("# council: Northmoor\n" + HEADER +
          "2024-01,referrals,,schools,40,,\n"          # row 3 ok
          "2024-01,referals,,,40,,\n"                  # row 4 unknown measure
          "2024-13,cla,,,300,,\n"                      # row 5 month out of range
          "Jan-ish,cla,,,300,,\n"                      # row 6 unparsable month
          "2031-01,cla,,,300,,\n"                      # row 7 future
          "2024-02,cla,,,three hundred,,\n"            # row 8 text in a number
          "2024-02,cp_plans,,,-4,,\n"                  # row 9 negative count
          "2024-01,referrals,,schools,41,,\n"          # row 10 duplicate of row 3
          "2024-02,referrals,,teachers,5,,\n"          # row 11 unknown breakdown
          "2024-04,cla,,,12.5,,\n"                     # row 12 count not whole
          "2024-02,care_leavers_in_touch,,,120,,\n"    # row 13 percent over 100
          "2024-02,vacancies,,,4.5,%,\n"               # row 14 wrong unit
          "\n"                                         # row 15 blank: not a row
          "2024-03,cla,,,301,,\n")                     # row 16 ok


def test_every_problem_is_reported_with_row_and_column(tmp_path):
    p = write(tmp_path, BROKEN)
    v = validate_local(p, today=TODAY)
    found = {(x.row, x.column) for x in v.problems}
    expected = {(4, "measure"), (5, "month"), (6, "month"), (7, "month"), (8, "value"), (9, "value"),
                (10, None), (11, "breakdown"), (12, "value"), (13, "value"), (14, "unit")}
    assert expected <= found
    assert v.rows == 13 and v.rows_with_problems == sorted(r for r, _ in expected)
    # valid rows are never dropped silently: the good ones are all in the frame
    assert sorted(v.frame["source_row"]) == [3, 16]
    assert v.valid_rows + len(v.rows_with_problems) == v.rows
    unknown = next(x for x in v.problems if x.row == 4)
    assert "referrals" in unknown.hint        # did you mean
    dup = next(x for x in v.problems if x.row == 10)
    assert "row 3" in dup.message
    with pytest.raises(DataFileError) as info:
        load_local(p, today=TODAY)
    text = str(info.value)
    assert str(p) in text and "11 problems" in text and "row 8, column 'value'" in text
    assert len(info.value.problems) == 11


def test_missing_required_columns_and_unknown_columns(tmp_path):
    p = write(tmp_path, "# council: X\nmonth,measur,vaule\n2024-01,cla,3\n")
    v = validate_local(p, today=TODAY)
    cols = {x.column for x in v.problems if x.row == 2}
    assert {"measure", "value", "measur", "vaule"} <= cols
    assert any("Did you mean 'measure'" in x.hint for x in v.problems if x.column == "measur")


def test_error_lists_first_fifty_and_the_count(tmp_path):
    rows = "".join(f"2024-01,cla,Team {i},,x,,\n" for i in range(80))
    p = write(tmp_path, "# council: X\n" + HEADER + rows)
    with pytest.raises(DataFileError) as info:
        load_local(p, today=TODAY)
    assert "80 problems" in str(info.value) and "... and 30 more" in str(info.value)
    assert len(info.value.problems) == 80


def test_markup_in_a_team_name_is_kept_as_text_and_escaped_in_html(tmp_path, demo_dir):
    evil = "<script>alert('x')</script>"
    text = (demo_dir / "northmoor_local_figures.csv").read_text()
    text = text.replace("Assessment team", evil)
    p = write(tmp_path, text, "evil.csv")
    frame = load_local(p, today=TODAY)
    assert evil in set(frame["team"])
    section = local.open_local(council="Northmoor", local_figures=str(p), data="demo",
                               targets_file=str(demo_dir / "northmoor_targets.yml"))
    markup = section.workforce().markup
    assert "<script>" not in markup and html.escape(evil) in markup


def test_excel_file_good_and_broken(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "figures"
    ws.append(["Council", "Month", "Measure", "Team", "Breakdown", "Value"])
    ws.append(["Northmoor", dt.datetime(2024, 7, 1), "referrals", None, "schools", 90])
    ws.append(["Northmoor", "2024-08", "referrals", None, "schools", 12])
    good = tmp_path / "good.xlsx"
    wb.save(good)
    assert identify(good) == "local_figures"
    f = load_local(good, today=TODAY)
    assert f["month"].tolist() == [pd.Timestamp("2024-07-01"), pd.Timestamp("2024-08-01")]
    ws.append(["Northmoor", "2024-09", "referrals", None, "schools", "n/a"])
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    v = validate_local(bad, today=TODAY)
    assert [(x.row, x.column) for x in v.problems] == [(4, "Value")]


# --------------------------------------------------------------------------- ingest

def test_ingest_copies_a_valid_file_under_a_safe_name(tmp_path, demo_dir):
    from helpers.sources import ingest
    src = tmp_path / "My Figures (final).csv"
    src.write_bytes((demo_dir / "northmoor_local_figures.csv").read_bytes())
    dest = tmp_path / "local"
    report = ingest([src], dest_dir=tmp_path / "raw", local_dir_in=dest)
    [r] = report.results
    assert r.id == "local_figures" and r.dest_path == dest / "local_northmoor.csv" and r.status == "new"
    assert r.dest_path.read_bytes() == src.read_bytes()
    assert not list(dest.glob(".*"))        # no temporary file left
    # a council name with path characters still gives a plain file name
    odd = write(tmp_path, "council,month,measure,value\n../../etc/<b>x</b>,2024-01,cla,5\n", "odd.csv")
    r2 = ingest([odd], dest_dir=tmp_path / "raw", local_dir_in=dest).results[0]
    assert r2.dest_path.parent == dest and r2.dest_path.name == "local_etc_b_x_b.csv"


def test_ingest_of_a_broken_file_copies_nothing_and_names_rows(tmp_path, demo_dir):
    from helpers.sources import ingest
    good = tmp_path / "good.csv"
    good.write_bytes((demo_dir / "northmoor_local_figures.csv").read_bytes())
    bad = write(tmp_path, BROKEN.replace("Northmoor", "Cwm Gwyn"), "bad.csv")
    dest = tmp_path / "local"
    with pytest.raises(DataFileError) as info:
        ingest([good, bad], dest_dir=tmp_path / "raw", local_dir_in=dest)
    assert "Nothing was copied" in str(info.value) and "row 4, column 'measure'" in str(info.value)
    assert len(info.value.problems) == 11
    assert not dest.exists() or not any(dest.iterdir())
    with pytest.raises(DataFileError) as one:
        ingest([bad], dest_dir=tmp_path / "raw", local_dir_in=dest)
    assert one.value.path == bad and one.value.problems


# --------------------------------------------------------------------------- the numbers

def test_seasonality_table_matches_a_plain_calculation(northmoor):
    t = local.seasonality_table(northmoor, "referrals", breakdown="schools").set_index("calendar_month")
    rows = northmoor[(northmoor["measure"] == "referrals") & (northmoor["breakdown"] == "schools")]
    by_month: dict[int, list[float]] = {}
    for r in rows.itertuples():
        by_month.setdefault(r.month.month, []).append(r.value)
        assert t.loc[r.month.month, str(r.month.year)] == r.value
    for mo, vals in by_month.items():
        assert t.loc[mo, "average"] == pytest.approx(sum(vals) / len(vals))
        assert t.loc[mo, "years"] == len(vals)
    assert t["average"].idxmax() == 7 and t["average"].idxmin() == 8     # July peak, August low
    peak = local.seasonal_peak(northmoor, "referrals", breakdown="schools")
    assert peak["month_name"] == "July" and peak["ratio"] > 1.3


def test_council_total_and_rolling_average_match_a_plain_calculation(northmoor):
    refs = northmoor[northmoor["measure"] == "referrals"]
    totals: dict = {}
    for r in refs.itertuples():
        totals[r.month] = totals.get(r.month, 0) + r.value
    months = sorted(totals)
    r = local.rolling_average(northmoor, "referrals").set_index("month")
    for i, mo in enumerate(months):
        assert r.loc[mo, "value"] == totals[mo]
        if i < 11:
            assert pd.isna(r.loc[mo, "rolling"])
        else:
            assert r.loc[mo, "rolling"] == pytest.approx(sum(totals[m] for m in months[i - 11:i + 1]) / 12)


def test_rolling_average_treats_a_missing_month_as_a_gap(tmp_path):
    rows = "".join(f"2023-{m:02d},cla,,,{100 + m},,\n" for m in range(1, 13) if m != 6)
    rows += "".join(f"2024-{m:02d},cla,,,{200 + m},,\n" for m in range(1, 7))
    f = load_local(write(tmp_path, "# council: X\n" + HEADER + rows), today=TODAY)
    r = local.rolling_average(f, "cla").set_index("month")
    assert pd.isna(r.loc["2023-06-01", "value"])
    # every window that includes June 2023 is a gap; July 2023 to June 2024 is complete
    assert r["rolling"].notna().sum() == 1
    expected = (sum(100 + m for m in range(7, 13)) + sum(200 + m for m in range(1, 7))) / 12
    assert r.loc["2024-06-01", "rolling"] == pytest.approx(expected)


def test_derived_percentage_and_assessment_table(northmoor):
    t = local.assessment_timeliness(northmoor).set_index("month")
    one = northmoor[northmoor["month"] == "2025-09-01"].set_index("measure")["value"]
    assert t.loc["2025-09-01", "pct_within"] == pytest.approx(
        one["assessments_within_45_days"] / one["assessments_completed"] * 100)
    d = local.council_series(northmoor, "assessments_within_45_days_pct").set_index("month")
    assert d.loc["2025-09-01", "value"] == pytest.approx(t.loc["2025-09-01", "pct_within"])


def test_budget_variance(northmoor):
    t = local.budget_variance(northmoor)
    assert t.attrs["month"] == pd.Timestamp("2025-09-01")
    latest = northmoor[northmoor["month"] == "2025-09-01"]
    b = latest[latest["measure"] == "budget"].set_index("breakdown")["value"]
    o = latest[latest["measure"] == "forecast_outturn"].set_index("breakdown")["value"]
    rows = t.set_index("service_line")
    for line in b.index:
        assert rows.loc[line, "variance"] == pytest.approx(o[line] - b[line])
        assert rows.loc[line, "variance_pct"] == pytest.approx((o[line] - b[line]) / b[line] * 100)
    assert rows.loc["Total", "budget"] == pytest.approx(b.sum())
    assert rows.loc["Placements", "position"] == "Overspend"
    assert rows.loc["Social work staffing", "position"] == "Underspend"
    assert t["service_line"].iloc[-1] == "Total"


def test_budget_html_flags_overspends_in_words(demo_dir):
    section = local.open_local(council="Northmoor", local_figures=str(demo_dir / "northmoor_local_figures.csv"),
                               data="demo")
    markup = section.budget().markup
    assert "Overspend" in markup and "Underspend" in markup and "largest overspend is in placements" in markup


# --------------------------------------------------------------------------- targets

def test_targets_load_and_judge_the_latest_month(demo_dir, northmoor):
    targets = local.load_targets(demo_dir / "northmoor_targets.yml")
    assert targets["caseload_average"].target == 15 and targets["sickness_days_per_fte"].direction == "at_most"
    assert targets["wf_caseload"].kind == "official"
    t = local.performance_against_targets(northmoor, targets).set_index("measure")
    latest = northmoor[(northmoor["month"] == "2025-09-01") & (northmoor["team"] == "")
                       & (northmoor["breakdown"] == "")].set_index("measure")["value"]
    for mid in ("caseload_average", "sickness_days_per_fte", "agency_social_workers"):
        expected = "met" if latest[mid] <= targets[mid].target else "not met"
        assert t.loc[mid, "status"] == expected and t.loc[mid, "value"] == latest[mid]
        assert t.loc[mid, "words"].startswith("Met" if expected == "met" else "Not met")
    assert t.loc["wf_caseload", "status"] == "no figure"       # no store given
    assert t.loc["open_assessments_near_breach", "status"] == "no target"


def test_target_met_directions():
    at_most = local.Target("x", 7, "at_most")
    assert at_most.met(7) and at_most.met(6.5) and not at_most.met(7.1) and at_most.met(float("nan")) is None
    assert local.Target("y", 85, "at_least").met(85) and not local.Target("y", 85, "at_least").met(84.9)


@pytest.mark.parametrize("text, key", [
    ("targets:\n  caseloads: 15\n", "targets.caseloads"),
    ("targets:\n  caseload_average: {target: fifteen}\n", "targets.caseload_average.target"),
    ("targets:\n  caseload_average: {target: 15, direction: down}\n", "targets.caseload_average.direction"),
    ("targets:\n  referrals: 200\n", "targets.referrals.direction"),
    ("targets:\n  caseload_average: {target: 15, colour: red}\n", "targets.caseload_average.colour"),
    ("goals:\n  caseload_average: 15\n", "targets"),
    ("targets: [1, 2\n", None),
])
def test_bad_targets_raise_config_error_naming_the_key(tmp_path, text, key):
    p = write(tmp_path, text, "targets.yml")
    with pytest.raises(ConfigError) as info:
        local.load_targets(p)
    assert info.value.key == key
    if key == "targets.caseloads":
        assert "caseload_average" in str(info.value)


def test_target_shorthand_takes_the_direction_from_the_measure(tmp_path):
    p = write(tmp_path, "targets:\n  caseload_average: 15\n  care_leavers_in_touch: 95\n", "t.yml")
    t = local.load_targets(p)
    assert t["caseload_average"].direction == "at_most" and t["care_leavers_in_touch"].direction == "at_least"


# --------------------------------------------------------------------------- councils outside the releases

def test_statement_for_a_welsh_council(demo_store):
    st = local.council_without_official_data("Monmouthshire", store=demo_store)
    assert not st.in_official_data
    text = st.text
    for phrase in ("statistical neighbours", "England", "official measures"):
        assert phrase in text
    assert "<h2" in st._repr_html_()
    inside = local.council_without_official_data("Northmoor", store=demo_store)
    assert inside.in_official_data and inside.area_code == "951"


def test_statement_names_peers_with_and_without_files(demo_dir, demo_store):
    st = local.council_without_official_data("Afon Uchaf", store=demo_store,
                                             comparators_file=str(demo_dir / "afon_uchaf_comparators.yml"),
                                             comparator="afon_uchaf_peers", local_dirs=[demo_dir])
    assert st.peers_with_figures == ["Bro Derwen", "Cwm Gwyn"] and not st.peers_without_figures
    st2 = local.council_without_official_data("Afon Uchaf", store=demo_store,
                                              comparators_file=str(demo_dir / "afon_uchaf_comparators.yml"),
                                              local_dirs=[])
    assert st2.peers_without_figures == ["Bro Derwen", "Cwm Gwyn"] and "no local figures were found" in st2.text


def test_unknown_council_in_a_file_is_a_parameter_error(demo_dir):
    with pytest.raises(ParameterError) as info:
        local.open_local(council="Afon Uchaf", local_figures=str(demo_dir / "northmoor_local_figures.csv"),
                         data="demo")
    assert info.value.name == "local_figures" and "Northmoor" in str(info.value)


def test_section_without_local_figures_says_so_instead_of_failing(monkeypatch, tmp_path):
    # a pack build injects only the shared parameters: local_figures stays "demo"
    monkeypatch.setenv("SCRUTINY_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(local, "demo_local_dir", lambda: tmp_path / "demo-local")
    section = local.open_local(council="Monmouthshire", local_figures="demo", data="demo")
    assert section.unavailable and "No local figures were supplied for Monmouthshire" in section.introduction().text
    assert "DfE statistical neighbours" in section.official_data().text
    assert section.budget().markup == "" and section.questions().markup == ""


def test_section_accepts_a_council_code_as_a_pack_build_gives_it(monkeypatch, tmp_path):
    monkeypatch.setattr(local, "demo_local_dir", lambda: tmp_path / "demo-local")
    section = local.open_local(council="951", period=2025, local_figures="demo", data="demo",
                               comparators_file=None)
    assert section.name == "Northmoor" and section.latest == pd.Timestamp("2025-09-01")
    assert section.official_data().markup == ""


# --------------------------------------------------------------------------- charts

def test_seasonality_chart_names_the_july_peak(demo_dir, tmp_path):
    section = local.open_local(council="Northmoor", local_figures=str(demo_dir / "northmoor_local_figures.csv"),
                               data="demo")
    chart = section.seasonality("referrals", breakdown="schools")
    try:
        assert chart.title == "Northmoor: referrals from schools peak in July every year"
        assert any(c.startswith("Average of all years") for c in chart.data.columns)
        assert chart.to_png()[:4] == b"\x89PNG"
        assert "Data behind this chart" in chart._repr_html_()
    finally:
        chart.close()


# --------------------------------------------------------------------------- the notebook

NOTEBOOK = ROOT / "notebooks" / "70_local.ipynb"
slow_notebooks = [pytest.mark.slow, pytest.mark.xdist_group("notebooks")]


def test_notebook_layout():
    import ast
    import nbformat
    from helpers.checks import notebook_problems
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["scrutiny"] == {"section": "local", "title": "Local performance", "order": 70}
    assert nb.cells[0].source == "# Local performance"
    params = nb.cells[1]
    assert params.metadata.get("tags") == ["parameters"]
    names = [n.targets[0].id for n in ast.parse(params.source).body]
    assert names == ["council", "period", "comparator", "committee", "meeting_date", "data", "comparators_file",
                     "local_figures", "targets_file"]
    assert notebook_problems(NOTEBOOK) == []
    for cell in nb.cells[2:]:
        assert cell.cell_type == "code" and len(cell.source.splitlines()) <= 6 and "def " not in cell.source


def _run(tmp_path, **parameters) -> str:
    import papermill as pm
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters=parameters, cwd=str(ROOT), progress_bar=False,
                        kernel_name="python3")
    nb = json.loads(out.read_text())
    return "".join("".join(o.get("data", {}).get("text/html", "")) for c in nb["cells"] if c["cell_type"] == "code"
                   for o in c.get("outputs", []))


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_notebook_runs_for_demo_northmoor(tmp_path, demo_dir):
    out = _run(tmp_path, council="Northmoor", local_figures=str(demo_dir / "northmoor_local_figures.csv"),
               data="demo")
    assert "Performance against targets" in out and "peak in July every year" in out
    assert "Overspend" in out and "Questions members may wish to ask" in out
    assert "DfE LA number 951" in out


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_notebook_runs_for_a_council_without_official_data(tmp_path, demo_dir):
    out = _run(tmp_path, council="Afon Uchaf", local_figures=str(demo_dir / "afon_uchaf_local_figures.csv"),
               data="demo", comparator="afon_uchaf_peers",
               comparators_file=str(demo_dir / "afon_uchaf_comparators.yml"))
    assert "What this pack can and cannot compare" in out and "DfE statistical neighbours" in out
    assert "Bro Derwen" in out and "Cwm Gwyn" in out
    assert "Afon Uchaf and its comparator group" in out


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_a_welsh_councils_pack_says_only_what_is_true_for_it(tmp_path, demo_dir, real_dir):
    # Monmouthshire, built from its own figures (the demo's, relabelled) with the
    # real English releases loaded: every sentence of the cover and the notes true
    import collections
    import html as _html
    import re

    from helpers.pack import build_pack
    figures = tmp_path / "mon.csv"
    figures.write_text((demo_dir / "afon_uchaf_local_figures.csv").read_text(encoding="utf-8")
                       .replace("# council: Afon Uchaf", "# council: Monmouthshire"), encoding="utf-8")
    groups = tmp_path / "peers.yml"
    groups.write_text((demo_dir / "afon_uchaf_comparators.yml").read_text(encoding="utf-8")
                      .replace("Afon Uchaf", "Monmouthshire"), encoding="utf-8")
    for peer in ("bro_derwen", "cwm_gwyn"):
        (tmp_path / f"{peer}_local_figures.csv").write_bytes((demo_dir / f"{peer}_local_figures.csv").read_bytes())
    res = build_pack(council="Monmouthshire", data=str(real_dir), local_figures=str(figures),
                     comparators_file=str(groups), comparator="afon_uchaf_peers", formats=("html",),
                     reports_dir=tmp_path / "reports")
    markup = res.html.read_text(encoding="utf-8")
    text = " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", " ", markup,
                                                                  flags=re.S))).split())
    cover = text.split("Contents")[0]
    assert "Department for Education" not in cover and "its region and England" not in cover
    assert "Welsh rural peers" in cover and "data store" not in cover
    for leak in ("data/indicators.yml", "targets_file", "parameter", "mon.csv", "peers.yml", str(tmp_path)):
        assert leak not in text, leak
    paragraphs = [p for p in re.findall(r"<p[^>]*>(.*?)</p>", markup, re.S)
                  if len(p) > 80 and not p.startswith("Source:")]
    assert [p for p, n in collections.Counter(paragraphs).items() if n > 1] == []
    assert "traced from the indicator's id" not in text  # no official sources to trace


def test_a_welsh_council_without_figures_is_told_how_to_build_its_pack(real_dir):
    from helpers.cli import main
    import contextlib
    import io
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["build", "--council", "Monmouthshire", "--data", str(real_dir), "--format", "html"])
    message = err.getvalue()
    assert code == 2 and "Monmouthshire is a Welsh council" in message
    assert "scrutiny template local monmouthshire.csv" in message and "--local-figures" in message
    assert "Nottinghamshire" not in message and "Traceback" not in message
