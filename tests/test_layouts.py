"""Older layouts of DfE's releases load into the same measures as the
latest: one hand-written fixture per layout (tests/fixtures/releases), each
compared with the same figures written in the latest release's layout; a
measure a recognised file lacks is reported with where DfE publishes it and
what the file held instead."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from helpers.loaders import identify
from helpers.loaders.dfe import load_dfe
from helpers.store import MissingMeasuresError, build, check_measures

FIXTURES = Path(__file__).parent / "fixtures" / "releases"

#: Each older layout, and how the latest release (2025) names its columns
#: and labels, written out from the 2025 files' headers (not from the
#: loader's own tables, so the two are checked against each other).
LAYOUTS = {
    "csww_headline_measures_2017_to_2022.csv": ("csww", {
        "social_worker_fte": "inpost_fte", "leaver_fte": "leavers_fte", "turnover_rate_fte_%": "turnover_rate_fte",
        "absence_rate_fte_%": "absence_rate_fte", "agency_worker_rate_fte_%": "agency_rate_fte",
        "agency_cover_rate_fte_%": "agency_cover_rate_fte", "vacancy_rate_fte_%": "vacancy_rate_fte",
        "vacancy_agency_cover_rate_fte_%": "vacancy_agency_cover_rate_fte",
        "social_worker_headcount": "inpost_headcount", "leaver_headcount": "leavers_headcount",
        "turnover_rate_headcount_%": "turnover_rate_headcount", "agency_worker_rate_headcount_%":
            "agency_rate_headcount"}, {}),
    "c1_children_in_need_referrals_and_rereferrals_2013_to_2024.csv": ("cin_c1", {
        "Referrals": "referral_count", "Re_referrals": "rereferral_count", "Re_referrals_percent": "rereferral_percent",
        "No_Further_Action": "no_further_action_count", "No_Further_Action_percent": "no_further_action_percent",
        "Not_in_Need": "not_in_need_count", "Not_in_Need_percent": "not_in_need_percent",
        "Referrals_child": "referral_child_count", "Re_referrals_child": "rereferral_child_count",
        "Re_referrals_child_percent": "rereferral_child_percent"}, {}),
    "b1_children_in_need_2013_to_2024.csv": ("cin_b1", {"Awaiting_assessment": "awaiting_assessment"}, {}),
    "cla_number_and_rate_per_10k_children_2024.csv": ("cla_number", {
        "population_count": "population_type", "number": "children_count"}, {
        "Children looked after at 31 March each year": "Children looked after on 31 March each year"}),
    "la_care_leavers_accommodation_2024.csv": ("care_leavers_accommodation", {
        "age": "care_leaver_age", "accommodation_type": "breakdown", "number": "care_leaver_count",
        "percentage": "care_leaver_percent"}, {}),
}
#: Measures the catalogue needs that a layout does not publish at all.
NOT_IN_LAYOUT = {"csww_headline_measures_2017_to_2022.csv": {"starters_fte"}}


def _in_latest_layout(src: Path, columns: dict, labels: dict, dest: Path) -> Path:
    """The fixture's figures written in the latest release's layout."""
    with open(src, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = [columns.get(c, c) for c in rows[0]]
    body = [[labels.get(cell, cell) for cell in row] for row in rows[1:]]
    with open(dest, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *body])
    return dest


def _catalogue_needs(publication: str) -> set[str]:
    from helpers.data.rules import needed_measures
    from helpers.catalogue import load_catalogue
    return {m for ind in load_catalogue() if ind.source == publication for m in needed_measures(ind)}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_an_older_layout_loads_like_the_latest(name, tmp_path):
    publication, columns, labels = LAYOUTS[name]
    old = FIXTURES / name
    assert identify(old) == publication
    latest = _in_latest_layout(old, columns, labels, tmp_path / "latest.csv")
    assert identify(latest) == publication
    a = load_dfe(old, publication).drop(columns="column").sort_values(["period", "area_code", "measure"])
    b = load_dfe(latest, publication).drop(columns="column").sort_values(["period", "area_code", "measure"])
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    lacking = _catalogue_needs(publication) - set(a["measure"])
    assert lacking == NOT_IN_LAYOUT.get(name, set())


def test_the_2024_c1_layout_keeps_re_referrals_no_further_action_and_not_in_need():
    store = build([FIXTURES / "c1_children_in_need_referrals_and_rereferrals_2013_to_2024.csv"])
    assert store.missing_measures == []
    devon = store.indicators[(store.indicators["area_code"] == "878") & (store.indicators["period"] == 2024)]
    got = devon.set_index("indicator")[["value", "numerator", "denominator"]]
    assert got.loc["fd_rereferral"].tolist() == [22.5, 1800.0, 8000.0]
    assert got.loc["fd_nfa"].tolist() == [5.0, 400.0, 8000.0]
    assert got.loc["fd_not_in_need"].tolist() == [25.0, 2000.0, 8000.0]


def test_the_2024_cla_layout_with_at_31_march_gives_the_same_rates():
    store = build([FIXTURES / "cla_number_and_rate_per_10k_children_2024.csv"])
    assert store.missing_measures == []
    ind = store.indicators.set_index(["indicator", "area_code", "period"])
    assert ind.loc[("cla_rate", "878", 2024), "value"] == 60
    assert ind.loc[("cla_rate", "878", 2024), "numerator"] == 870
    assert ind.loc[("cla_start_rate", "880", 2024), "status"] == "x"


def test_a_measure_the_layout_does_not_publish_is_reported_with_why():
    store = build([FIXTURES / "csww_headline_measures_2017_to_2022.csv"])
    (m,) = store.missing_measures
    assert (m["indicator"], m["measures"], m["files"]) == ("wf_starters", ["starters_fte"],
                                                           "csww_headline_measures_2017_to_2022.csv")
    assert "DfE publishes it as column 'starters_fte'" in m["why"]
    assert "nothing else that could hold it" in m["why"]
    with pytest.raises(MissingMeasuresError) as info:
        check_measures(store)
    text = str(info.value)
    assert "csww_headline_measures_2017_to_2022.csv (csww) lacks starters_fte" in text
    assert "starters rate (wf_starters) is shown as missing" in text and "--allow-missing-measures" in text
    shown = store.indicators[store.indicators["indicator"] == "wf_starters"]
    assert set(shown["status"]) == {"measure_missing"} and set(shown["period"]) == {2021, 2022}
    assert store.indicators[store.indicators["indicator"] == "wf_caseload"]["status"].eq("ok").any()


def test_an_unknown_label_is_named_when_its_measure_goes_missing(tmp_path):
    text = (FIXTURES / "cla_number_and_rate_per_10k_children_2024.csv").read_text(encoding="utf-8")
    reworded = tmp_path / "cla.csv"
    reworded.write_text(text.replace("Children looked after at 31 March each year",
                                     "Looked after children at 31 March"), encoding="utf-8")
    store = build([reworded])
    (m,) = store.missing_measures
    assert m["indicator"] == "cla_rate" and m["measures"] == ["cla_at31_rate", "cla_at31_count",
                                                               "cla_at31_population"]
    assert ("column 'rate_per_10000' of the rows whose population_type is 'Children looked after on 31 March "
            "each year'") in m["why"]
    assert "population_type labels not recognised: 'Looked after children at 31 March'" in m["why"]


def test_a_renamed_value_column_is_named_among_the_columns_not_read(tmp_path):
    text = (FIXTURES / "c1_children_in_need_referrals_and_rereferrals_2013_to_2024.csv").read_text(encoding="utf-8")
    renamed = tmp_path / "c1.csv"
    renamed.write_text(text.replace(",Not_in_Need,", ",Assessed_not_in_need,", 1), encoding="utf-8")
    store = build([renamed])
    (m,) = store.missing_measures
    assert m["indicator"] == "fd_not_in_need" and m["measures"] == ["not_in_need_count"]
    assert "column 'not_in_need_count'" in m["why"] and "'assessed_not_in_need'" in m["why"]
