"""Loaders of the outcome, child protection, placement and sufficiency
releases: recognition by content under any name, codes kept as status,
school and financial years, older layouts, and clear errors for bad files."""

from __future__ import annotations

import csv
import shutil
from collections import Counter

import pandas as pd
import pytest

from helpers.errors import DataFileError
from helpers.loaders import identify, load
from helpers.loaders.dfe import OBSERVATION_COLUMNS
from helpers.loaders.dfe_outcomes import OUTCOME_PUBLICATIONS
from helpers.loaders.fingertips import load_fingertips
from helpers.loaders.ofsted_providers import load_providers

EXPECTED_IDS = {
    "c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv": "cin_c4",
    "la_conviction_health_outcome_cla.csv": "cla_health_outcomes",
    "la_cla_school_moves.csv": "cla_school_moves",
    "la_cla_during_year_new_placements.csv": "cla_new_placements",
    "la_children_who_ceased_during_the_year.csv": "cla_ceased",
    "absence_la.csv": "cin_absence",
    "ks2_la.csv": "cin_ks2",
    "ks4_la.csv": "cin_ks4",
    "la_hospital_admissions_2324.csv": "ohid_fingertips",
    "Childrens_social_care_in_England_2023_underlying_data.ods": "ofsted_providers",
}
CODES = ("c", "x", "z", "u", "low", "k")
DFE = {name: pub for name, pub in EXPECTED_IDS.items() if pub in {p.id for p in OUTCOME_PUBLICATIONS}}


@pytest.mark.parametrize("name", sorted(EXPECTED_IDS))
def test_each_release_is_recognised_by_content_under_any_name(real_dir, tmp_path, name):
    renamed = tmp_path / ("download (3)" + (".ods" if name.endswith(".ods") else ".csv"))
    shutil.copy(real_dir / name, renamed)
    assert identify(real_dir / name) == EXPECTED_IDS[name]
    assert identify(renamed) == EXPECTED_IDS[name]


def _loaded_columns(pub_id: str, header: list[str]) -> list[str]:
    pub = next(p for p in OUTCOME_PUBLICATIONS if p.id == pub_id)
    wanted = {v.lower() for v in pub.values}
    return [c for c in header if c.lower().replace("-", "_") in wanted]


@pytest.mark.parametrize("name", sorted(DFE))
def test_codes_become_missing_values_and_keep_their_status(real_dir, name):
    pub, obs = load(real_dir / name)
    with open(real_dir / name, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        columns = _loaded_columns(pub, reader.fieldnames)
        expected = Counter(row[c] for row in reader for c in columns if row[c] in CODES)
    got = obs.loc[obs["status"] != "ok", "status"].value_counts().to_dict()
    assert got == dict(expected) and expected
    assert obs.loc[obs["status"] != "ok", "value"].isna().all()


def test_school_years_end_in_the_period_and_keep_their_label(real_dir):
    _, obs = load(real_dir / "ks4_la.csv")
    assert sorted(obs["period"].unique()) == list(range(2019, 2026))   # 2018/19 ... 2024/25
    devon = obs[(obs["area_code"] == "878") & (obs["period"] == 2025) & (obs["measure"] == "cla12_avg_att8")]
    assert devon["value"].tolist() == [15.6]


def test_a_later_release_with_renamed_columns_loads_the_same(real_dir, tmp_path):
    """The 2025 school moves release names its figures children_count and
    children_percent (the 2024 one: number and percentage); filter values may
    change case. Both load to the same measures."""
    src = real_dir / "la_cla_school_moves.csv"
    text = src.read_text(encoding="utf-8-sig").splitlines()
    text[0] = text[0].replace(",number,percentage", ",children_count,children_percent")
    changed = [line.replace("Mid-year moves", "Mid-Year Moves") for line in text]
    newer = tmp_path / "school_stability_by_la.csv"
    newer.write_text("\n".join(changed) + "\n", encoding="utf-8")
    _, old = load(src)
    pub, new = load(newer)
    assert pub == "cla_school_moves"
    same = OBSERVATION_COLUMNS   # the provenance columns name each file's own column
    pd.testing.assert_frame_equal(old[same].reset_index(drop=True), new[same].reset_index(drop=True))


def test_health_file_and_placements_file_share_columns_but_not_measures(real_dir):
    _, health = load(real_dir / "la_conviction_health_outcome_cla.csv")
    _, placements = load(real_dir / "la_cla_during_year_new_placements.csv")
    assert {"health_dental_check_percent", "sdq_average_score_count", "convictions_convicted_count"} \
        <= set(health["measure"])
    assert {"np_outside_far_percent", "np_total_count", "pc_carer_behaviour_count"} <= set(placements["measure"])
    assert not set(health["measure"]) & set(placements["measure"])


def test_text_in_a_value_cell_names_the_row_and_column(real_dir, tmp_path):
    lines = (real_dir / "c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv").read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("2025,") and ",878," in line)
    cells = lines[at].split(",")
    cells[-2] = "about fourteen"   # Duration_median
    lines[at] = ",".join(cells)
    bad = tmp_path / "c4.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFileError) as err:
        load(bad)
    message = str(err.value)
    assert f"row {at + 1}" in message and "duration_median" in message.lower() and "about fourteen" in message


# --------------------------------------------------------------------------- Fingertips

FT_HEADER = ("Indicator ID,Indicator Name,Parent Code,Parent Name,Area Code,Area Name,Area Type,Sex,Age,"
             "Category Type,Category,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,Lower CI 99.8 limit,"
             "Upper CI 99.8 limit,Count,Denominator,Value note,Recent Trend,"
             "Compared to England value or percentiles,Compared to percentiles,Time period Sortable,New data,"
             "Compared to goal,Time period range")


def _ft(path, rows):
    path.write_text(FT_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_fingertips_keeps_limits_notes_and_leaves_out_breakdowns(real_dir):
    obs = load_fingertips(real_dir / "la_hospital_admissions_2324.csv")
    devon = obs[(obs["area_code"] == "E10000008") & (obs["period"] == 2024)].set_index("measure")
    assert devon.loc["i90284_value", "value"] == 87.29903 and devon.loc["i90284_count", "value"] == 1055
    assert devon.loc["i90284_lower_95", "value"] == 82.10997 and devon.loc["i90284_upper_998", "value"] == 95.9282
    scilly = obs[(obs["area_code"] == "E06000053") & (obs["period"] == 2024)]
    assert set(scilly["status"]) == {"x"} and set(scilly["note"]) == {"Value for Cornwall and Isles of Scilly "
                                                                      "combined"}
    # councils (Persons, no deprivation category) and England once per year, no regions in the export
    assert obs.groupby(["area_code", "period", "measure"]).size().max() == 1
    assert set(obs["level"]) == {"la", "national"}
    # a value OHID does not present has no figures at all, not its -1 limits
    frimley = obs[(obs["area_name"] == "Surrey") & (obs["period"] == 2023)]
    assert frimley["value"].isna().all() and frimley["note"].str.startswith("Not presented").all()


def test_fingertips_periods_and_errors(tmp_path):
    row = ("90284,Injuries,E92000001,England,E10000008,Devon,Counties & UAs (from Apr 2023),Persons,<15 yrs,,,"
           "{period},{value},1,2,0.5,3,10,1000,,,,,,,,1y")
    ok = _ft(tmp_path / "a.csv", [row.format(period="2021 - 23", value="12.5")])
    assert load_fingertips(ok)["period"].unique().tolist() == [2023]
    bad = _ft(tmp_path / "b.csv", [row.format(period="2023/24", value="12.5"),
                                   row.format(period="2022/23", value="n/a")])
    with pytest.raises(DataFileError) as err:
        load_fingertips(bad)
    assert "row 3" in str(err.value) and "value" in str(err.value).lower() and "n/a" in str(err.value)
    males = _ft(tmp_path / "c.csv", [row.format(period="2023/24", value="1").replace("Persons", "Male")])
    with pytest.raises(DataFileError, match="no figures for all persons"):
        load_fingertips(males)


# --------------------------------------------------------------------------- Ofsted providers

def _workbook(path, titles: int, sheet="Providers+places_at_31_Mar_2024", places=4):
    header = ["Web link", "URN", "Provision type", "Local authority", "Sector", "Places"]
    rows = [["link", "SC1", "Children's home", "Devon", "Private", places],
            ["link", "SC2", "Secure children’s home", "Devon", "Local Authority", 10],
            ["link", "SC3", "Independent Fostering Agency", "Devon", "Private", None],
            ["link", "SC4", "Children's Home", "Torbay", "Voluntary", 3]]
    lead = [["Children's social care data in England 2024 - Providers and places at 31 March 2024"]]
    lead += [["A line about the table."]] * (titles - 1)
    la = [["Title"], ["Web link", "Local authority name"], ["link", "Devon"], ["link", "Torbay"], ["link", "Rutland"]]
    lead = [line + [None] * (len(header) - len(line)) for line in lead]
    la = [line + [None] * (2 - len(line)) for line in la]
    with pd.ExcelWriter(path, engine="odf") as xl:
        pd.DataFrame(lead + [header] + rows).to_excel(xl, sheet_name=sheet, header=False, index=False)
        pd.DataFrame(la).to_excel(xl, sheet_name="LA_level_at_31_Mar_2024", header=False, index=False)
    return path


@pytest.mark.parametrize("titles", [1, 3, 5])
def test_ofsted_tables_are_found_below_any_number_of_title_rows(tmp_path, titles):
    path = _workbook(tmp_path / f"providers_{titles}.ods", titles)
    assert identify(path) == "ofsted_providers"
    obs = load_providers(path).set_index(["area_name", "measure"])["value"]
    assert obs[("Devon", "ch_places")] == 14 and obs[("Devon", "ch_homes")] == 2
    assert obs[("Devon", "ch_places_private")] == 4 and obs[("Torbay", "ch_places_voluntary")] == 3
    assert obs[("Rutland", "ch_places")] == 0   # listed, no children's home: none, not missing
    assert load_providers(path)["period"].unique().tolist() == [2024]


def test_ofsted_home_without_places_is_an_error_naming_the_column(tmp_path):
    path = _workbook(tmp_path / "p.ods", 3, places="unknown")
    with pytest.raises(DataFileError) as err:
        load_providers(path)
    assert "Places" in str(err.value) and "unknown" in str(err.value)
