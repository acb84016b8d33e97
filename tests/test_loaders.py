"""Loaders on the real DfE releases: recognition by content, suppression codes,
BOMs, quoted empty strings, column order, renamed columns, and bad files."""

from __future__ import annotations

import csv
import shutil
from collections import Counter

import pandas as pd
import pytest

from helpers.errors import DataFileError, UnknownLayoutError
from helpers.loaders import identify, load
from helpers.loaders.dfe import load_dfe

EXPECTED_IDS = {
    "csww_indicators_2017_to_2025.csv": "csww",
    "b1_children_in_need_2013_to_2025.csv": "cin_b1",
    "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv": "cin_c1",
    "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv": "cin_c3",
    "d3_cpps_subsequent_plan_2013_to_2025.csv": "cp_d3",
    "d5_cpps_at31march_by_duration_2013_to_2025.csv": "cp_d5",
    "cla_number_and_rate_per_10k_children.csv": "cla_number",
    "la_cla_placement_stability.csv": "cla_placement_stability",
    "la_cla_swcount.csv": "cla_swcount",
    "la_care_leavers_accommodation_suitability.csv": "care_leavers_accommodation",
    "la_care_leavers_activity.csv": "care_leavers_activity",
    "ons_mid-year_population_estimates_2012_to_2024.csv": "ons_population",
}
GEO = {"time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
       "region_name", "old_la_code", "new_la_code", "la_name", "category", "population_type", "cla_group",
       "placement_stability", "sw_stability", "care_leaver_age", "breakdown", "age_group"}
CODES = ("c", "x", "z", "u", "low", "k")


def raw_code_counts(path):
    """Count code cells in value columns with the csv module alone."""
    counts = Counter()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            for col, cell in row.items():
                if col not in GEO and cell in CODES:
                    counts[cell] += 1
    return counts


@pytest.mark.parametrize("name", sorted(EXPECTED_IDS))
def test_each_release_is_recognised_by_content_under_any_name(real_dir, tmp_path, name):
    renamed = tmp_path / "download (3).csv"
    shutil.copy(real_dir / name, renamed)
    assert identify(real_dir / name) == EXPECTED_IDS[name]
    assert identify(renamed) == EXPECTED_IDS[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_IDS))
def test_codes_become_missing_values_and_keep_their_status(real_dir, name):
    obs = load_dfe(real_dir / name)
    expected = raw_code_counts(real_dir / name)
    got = obs.loc[obs["status"] != "ok", "status"].value_counts().to_dict()
    assert got == dict(expected)
    assert obs.loc[obs["status"] != "ok", "value"].isna().all()
    assert obs.loc[obs["status"] == "ok", "value"].notna().all()


def test_guide_code_counts_for_csww(real_dir):
    obs = load_dfe(real_dir / "csww_indicators_2017_to_2025.csv")
    assert obs["status"].value_counts().drop("ok").to_dict() == {"x": 98, "z": 81, "u": 51, "low": 12, "c": 8}


def test_bom_and_quoted_empty_strings(real_dir):
    cla = load_dfe(real_dir / "cla_number_and_rate_per_10k_children.csv")  # BOM on first header
    assert cla["period"].min() == 2021
    d3 = load_dfe(real_dir / "d3_cpps_subsequent_plan_2013_to_2025.csv")  # "" in national rows
    england = d3[(d3["level"] == "national") & (d3["period"] == 2025) & (d3["measure"] == "CPP_start")]
    assert england["area_code"].tolist() == ["E92000001"]
    assert england["value"].tolist() == [61840.0]


def test_column_order_does_not_matter(real_dir, tmp_path):
    src = real_dir / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
    frame = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    shuffled = tmp_path / "shuffled.csv"
    frame[list(reversed(frame.columns))].to_csv(shuffled, index=False)
    a = load_dfe(src).sort_values(["period", "area_code", "measure"]).reset_index(drop=True)
    b = load_dfe(shuffled).sort_values(["period", "area_code", "measure"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_older_release_with_renamed_columns_loads_the_same(real_dir, tmp_path):
    """Earlier releases named counts and population columns differently."""
    src = real_dir / "ons_mid-year_population_estimates_2012_to_2024.csv"
    frame = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    old = frame.rename(columns={"population_estimate": "Population", "time_period": "year",
                                "old_la_code": "la_code"})
    path = tmp_path / "old_release.csv"
    old.to_csv(path, index=False)
    assert identify(path) == "ons_population"
    a, b = load_dfe(src), load_dfe(path)
    assert a["value"].sum() == b["value"].sum()
    assert set(a["area_code"]) == set(b["area_code"])

    src = real_dir / "cla_number_and_rate_per_10k_children.csv"
    frame = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    path = tmp_path / "cla_old.csv"
    frame.rename(columns={"children_count": "number_of_children", "rate_per_10000": "rate_per_10000_children"}
                 ).to_csv(path, index=False)
    assert identify(path) == "cla_number"
    assert load_dfe(path)["measure"].value_counts().equals(load_dfe(src)["measure"].value_counts())


def test_la_counts_per_year_match_the_guide(real_dir):
    b1 = load_dfe(real_dir / "b1_children_in_need_2013_to_2025.csv")
    la = b1[(b1["level"] == "la") & (b1["measure"] == "At31_episodes")]
    per_year = la.groupby("period")["area_code"].nunique()
    assert per_year[2013] == 152 and per_year[2020] == 151 and per_year[2022] == 152 and per_year[2025] == 153


def test_joint_workforce_returns_stay_joint(real_dir):
    csww = load_dfe(real_dir / "csww_indicators_2017_to_2025.csv")
    codes = set(csww.loc[csww["level"] == "la", "area_code"])
    assert {"314/318", "940/941"} <= codes
    assert not {"314", "318", "940", "941"} & codes
    name = csww.loc[csww["area_code"] == "314/318", "area_name"].iloc[0]
    assert name == "Kingston upon Thames / Richmond upon Thames"


# ------------------------------------------------------------------ bad files

def test_truncated_file_names_file_and_row(real_dir, tmp_path):
    text = (real_dir / "d3_cpps_subsequent_plan_2013_to_2025.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    cut = tmp_path / "d3.csv"
    cut.write_text("\n".join(lines[:40]) + "\n" + lines[40][:35], encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load(cut)
    assert err.value.row == 41 and "d3.csv" in str(err.value) and "truncated" in str(err.value)


def test_wrong_encoding_is_named(real_dir, tmp_path):
    text = (real_dir / "la_cla_swcount.csv").read_text(encoding="utf-8-sig")
    bad = tmp_path / "swcount_utf16.csv"
    bad.write_bytes(text.encode("utf-16"))
    with pytest.raises(DataFileError) as err:
        load_dfe(bad, "cla_swcount")
    assert "swcount_utf16.csv" in str(err.value)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(text.replace("Southend-on-Sea", "Southénd").encode("latin-1"))
    with pytest.raises(DataFileError) as err:
        load_dfe(latin)
    assert "UTF-8" in str(err.value) and err.value.row is not None


def test_unknown_layout(tmp_path):
    f = tmp_path / "mystery.csv"
    f.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(UnknownLayoutError) as err:
        identify(f)
    assert "mystery.csv" in str(err.value) and "Children's social work workforce" in str(err.value)


def test_text_where_a_number_belongs_names_row_and_column(real_dir, tmp_path):
    src = real_dir / "csww_indicators_2017_to_2025.csv"
    frame = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.loc[10, "caseload_fte"] = "about fifteen"
    bad = tmp_path / "csww.csv"
    frame.to_csv(bad, index=False)
    with pytest.raises(DataFileError) as err:
        load_dfe(bad)
    e = err.value
    assert (e.row, e.column, e.value) == (12, "caseload_fte", "about fifteen")
    assert "csww.csv" in str(e) and "row 12" in str(e)
