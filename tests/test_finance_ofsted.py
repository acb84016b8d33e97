"""Tests for the MHCLG revenue outturn (RO3, RSX) and Ofsted inspection
outcome loaders, against the real workbooks in ../shared/data/dfe.

The RO3 workbook is large (26 MB of XML): it is read once per module."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.errors import DataFileError
from helpers.loaders.finance import load_finance, sheet_names, sniff_finance
from helpers.loaders.ofsted import load_inspection_history, load_inspections, sniff_inspections

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dfe"
RO3 = DATA / "RO3_LA_Data_2024-25_data_by_LA.ods"
RSX = DATA / "RSX_LA_Data_2024-25_data_by_LA.ods"
OFSTED = DATA / "LA_Inspection_Outcomes_as_at_31_March_2025.ods"
OBS = ["source", "period", "level", "area_code", "area_name", "ons_code", "region_code", "region_name",
       "measure", "value", "status"]


def _need(path: Path):
    if not path.exists():
        pytest.skip(f"real data file not found at {path} (shared data not mounted)")


@pytest.fixture(scope="module")
def ro3() -> pd.DataFrame:
    _need(RO3)
    return load_finance(RO3)


@pytest.fixture(scope="module")
def rsx() -> pd.DataFrame:
    _need(RSX)
    return load_finance(RSX)


@pytest.fixture(scope="module")
def ro3_raw() -> pd.DataFrame:
    """The RO3 data sheet read plainly, to check loaded values against."""
    _need(RO3)
    return pd.read_excel(RO3, sheet_name="RO3_LA_Data_202425", header=None, engine="odf")


# -- finance: real files -------------------------------------------------------------

def test_sniff_finance():
    _need(RO3)
    _need(RSX)
    assert sniff_finance(RO3) == "finance_ro3"
    assert sniff_finance(RSX) == "finance_rsx"
    assert "RO3_LA_Data_202425" in sheet_names(RO3)
    if OFSTED.exists():
        assert sniff_finance(OFSTED) is None
    if (DATA / "sn_model_2025_wide.csv").exists():
        assert sniff_finance(DATA / "sn_model_2025_wide.csv") is None


def test_ro3_layout(ro3):
    assert list(ro3.columns) == OBS
    assert set(ro3["source"]) == {"finance_ro3"}
    assert set(ro3["period"]) == {2025}
    assert set(ro3["measure"]) == {"csc_net_current_expenditure", "cla_net_current_expenditure",
                                   "csc_total_expenditure"}
    las = ro3[ro3["level"] == "la"]
    for measure, rows in las.groupby("measure"):
        assert len(rows) == 153, measure
        assert rows["ons_code"].is_unique
    assert las["ons_code"].str[:3].value_counts().to_dict() == {"E06": 189, "E08": 108, "E09": 99, "E10": 63}
    assert (las["area_code"] == "").all() and (las["region_code"] == "").all()
    assert ro3.attrs["sheet"] == "RO3_LA_Data_202425"
    assert ro3.attrs["columns"]["csc_net_current_expenditure"].startswith(
        "TOTAL CHILDREN SOCIAL CARE - Net Current Expenditure")


def test_ro3_devon_matches_file(ro3, ro3_raw):
    raw = ro3_raw
    header = next(i for i in range(40) if "ONS Code" in raw.iloc[i].tolist())
    col = next(j for j, h in enumerate(raw.iloc[header])
               if str(h).startswith("TOTAL CHILDREN SOCIAL CARE - Net Current Expenditure"))
    ons_col = raw.iloc[header].tolist().index("ONS Code")
    devon_k = raw.loc[raw[ons_col] == "E10000008", col].item()
    assert devon_k == 209907  # £ thousand, as published
    devon = ro3[(ro3["ons_code"] == "E10000008") & (ro3["measure"] == "csc_net_current_expenditure")]
    assert devon["area_name"].item() == "Devon CC"
    assert devon["status"].item() == "ok"
    assert devon["value"].item() / 1000 == pytest.approx(devon_k)
    # the CLA sub-line and total expenditure, likewise
    cla_col = next(j for j, h in enumerate(raw.iloc[header])
                   if str(h).startswith("Children's social care - Children Looked After - Net Current"))
    cla = ro3[(ro3["ons_code"] == "E10000008") & (ro3["measure"] == "cla_net_current_expenditure")]
    assert cla["value"].item() / 1000 == pytest.approx(raw.loc[raw[ons_col] == "E10000008", cla_col].item())


def test_ro3_missing_returns_are_x(ro3):
    x = ro3[(ro3["status"] == "x") & (ro3["measure"] == "csc_net_current_expenditure")]
    assert sorted(x["area_name"]) == ["Birmingham", "Cumberland", "Slough UA"]
    assert x["value"].isna().all()
    assert sorted(ro3.attrs["missing_returns"]) == ["Birmingham", "Cumberland", "Slough UA"]
    ok = ro3[ro3["status"] == "ok"]
    assert ok["value"].notna().all()


def test_ro3_england_row(ro3):
    eng = ro3[ro3["level"] == "national"]
    assert set(eng["area_code"]) == {"E92000001"} and len(eng) == 3
    net = eng[eng["measure"] == "csc_net_current_expenditure"]["value"].item()
    assert net == pytest.approx(15_556_137.15471 * 1000)
    # England exceeds the sum of reporting councils (it includes estimates for missing returns)
    las = ro3[(ro3["level"] == "la") & (ro3["measure"] == "csc_net_current_expenditure")]
    assert net > las["value"].sum()


def test_ro3_and_rsx_agree(ro3, rsx):
    assert set(rsx["measure"]) == {"csc_net_current_expenditure_rsx", "total_service_net_current_expenditure"}
    csc = rsx[rsx["measure"] == "csc_net_current_expenditure_rsx"]
    assert (csc["level"] == "la").sum() == 153
    a = ro3[(ro3["measure"] == "csc_net_current_expenditure") & (ro3["level"] == "la")]
    b = csc[csc["level"] == "la"]
    both = a.merge(b, on="ons_code", suffixes=("_ro3", "_rsx"))
    assert len(both) == 153
    numeric = both[(both["status_ro3"] == "ok") & (both["status_rsx"] == "ok")]
    assert len(numeric) == 150
    np.testing.assert_allclose(numeric["value_ro3"], numeric["value_rsx"], rtol=0, atol=1e-6)
    assert (both["status_ro3"] == both["status_rsx"]).all()


# -- finance: synthetic faults ------------------------------------------------------------

def _workbook(path: Path, header: list[str], rows: list[list], codes: list[str] | None = None,
              sheet: str = "RO3_LA_Data_202425"):
    title = [["Worksheet 2: Revenue Outturn (RO) 2024-25: Social Care and Public Health (RO3) data"],
             ["Data are reported in £ thousand."]]
    grid = title + [header] + rows + ([codes] if codes else [])
    width = max(len(r) for r in grid)
    frame = pd.DataFrame([r + [None] * (width - len(r)) for r in grid])
    frame.to_excel(path, header=False, index=False, sheet_name=sheet, engine="odf")


ID = ["E-code", "ONS Code", "Local authority", "Notes", "Class"]
RO3_COLS = ["Children's social care - Children Looked After - Net Current Expenditure (C7 = C3 - C6)",
            "TOTAL CHILDREN SOCIAL CARE - Total Expenditure (C3 = C1 + C2)",
            "TOTAL CHILDREN SOCIAL CARE - Net Current Expenditure (C7 = C3 - C6)"]


def test_finance_missing_header(tmp_path):
    path = tmp_path / "ro3.ods"
    _workbook(path, ID + RO3_COLS[:2], [["E1121", "E10000008", "Devon CC", None, "SC", 1, 2]])
    assert sniff_finance(path) == "finance_ro3"
    with pytest.raises(DataFileError) as err:
        load_finance(path)
    text = str(err.value)
    assert str(path) in text and "RO3_LA_Data_202425" in text
    assert "TOTAL CHILDREN SOCIAL CARE - Net Current Expenditure" in text
    assert err.value.row == 3


def test_finance_no_header_row(tmp_path):
    path = tmp_path / "other.ods"
    pd.DataFrame([["hello", 1]]).to_excel(path, header=False, index=False, sheet_name="Sheet1", engine="odf")
    assert sniff_finance(path) is None
    with pytest.raises(DataFileError, match="ONS Code"):
        load_finance(path)


def test_finance_bad_text_value(tmp_path):
    path = tmp_path / "ro3.ods"
    codes = [None] * 5 + ["RO3-csclkd-net-cur-exp", "RO3-csctot-tot-exp", "RO3-csctot-net-cur-exp"]
    _workbook(path, ID + RO3_COLS, [
        ["E1121", "E10000008", "Devon CC", None, "SC", 114478, 233879, 209907],
        ["E4601", "E08000025", "Birmingham", "M", "MD", "[x]", "[x]", "[x]"],
        ["E1131", "E07000040", "East Devon", None, "SD", 0, 0, 0],
        ["E1203", "E06000059", "Dorset UA", None, "UA", 50000, 100000, "about 97k"],
    ], codes)
    with pytest.raises(DataFileError) as err:
        load_finance(path)
    assert err.value.row == 7
    assert err.value.column == RO3_COLS[2]
    assert err.value.value == "about 97k"


def test_finance_synthetic_values_and_codes(tmp_path):
    path = tmp_path / "ro3.ods"
    codes = [None] * 5 + ["RO3-csclkd-net-cur-exp", "RO3-csctot-tot-exp", "RO3-csctot-net-cur-exp"]
    _workbook(path, ID + RO3_COLS, [
        ["E1121", "E10000008", "Devon CC", None, "SC", 114478, 233879, 209907.5],
        ["E4601", "E08000025", "Birmingham", "M", "MD", "[x]", "[z]", "[note 4]"],
        ["E1131", "E07000040", "East Devon", None, "SD", 0, 0, 0],
        ["[Y]", "E06", "Unitary Authorities", None, "UA", 1, 2, 3],
    ], codes)
    out = load_finance(path)
    assert out.attrs["period"] == 2025
    assert sorted(out["ons_code"].unique()) == ["E08000025", "E10000008"]
    devon = out[out["ons_code"] == "E10000008"].set_index("measure")["value"]
    assert devon["csc_net_current_expenditure"] == 209_907_500.0
    brum = out[out["ons_code"] == "E08000025"].set_index("measure")["status"]
    assert brum.to_dict() == {"cla_net_current_expenditure": "x", "csc_total_expenditure": "z",
                              "csc_net_current_expenditure": "note 4"}
    assert not (out["level"] == "national").any()  # no England row in this file


def test_finance_variable_code_disagrees(tmp_path):
    path = tmp_path / "ro3.ods"
    codes = [None] * 5 + ["RO3-csctot-net-cur-exp", "RO3-csctot-tot-exp", "RO3-csclkd-net-cur-exp"]
    _workbook(path, ID + RO3_COLS, [["E1121", "E10000008", "Devon CC", None, "SC", 1, 2, 3]] * 1, codes)
    with pytest.raises(DataFileError, match="variable code"):
        load_finance(path)


# -- Ofsted -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def inspections() -> pd.DataFrame:
    _need(OFSTED)
    return load_inspections(OFSTED)


def test_sniff_inspections():
    _need(OFSTED)
    assert sniff_inspections(OFSTED)
    if RSX.exists():
        assert not sniff_inspections(RSX)
    assert not sniff_inspections(DATA / "sn_model_2025_wide.csv")


def test_inspections_latest(inspections):
    x = inspections
    assert len(x) == 153 and x["ons_code"].is_unique
    assert list(x.columns) == ["ons_code", "la_name", "region_name", "inspection_date", "publication_date",
                               "inspection_type", "overall_effectiveness", "impact_of_leaders",
                               "help_and_protection", "children_in_care", "care_leavers",
                               "inspection_framework", "as_at"]
    assert (x["as_at"] == pd.Timestamp("2025-03-31")).all()
    assert (x["inspection_framework"] == "ILACS").all()
    assert x["overall_effectiveness"].value_counts().to_dict() == {
        "Good": 67, "Outstanding": 36, "Requires improvement to be good": 31, "Inadequate": 19}
    devon = x.set_index("la_name").loc["Devon"]
    assert devon["ons_code"] == "E10000008"
    assert devon["inspection_date"] == pd.Timestamp("2024-09-30")
    assert devon["publication_date"] == pd.Timestamp("2025-05-13")
    assert devon["overall_effectiveness"] == "Inadequate"
    assert devon["impact_of_leaders"] == "Requires improvement to be good"
    assert devon["help_and_protection"] == "Inadequate"
    assert devon["inspection_type"] == "ILACS Standard Inspection"
    dorset = x.set_index("ons_code").loc["E06000059"]
    assert dorset["la_name"] == "Dorset" and dorset["region_name"] == "South West"
    assert dorset["inspection_date"] == pd.Timestamp("2025-03-17")
    assert dorset["overall_effectiveness"] == "Outstanding"
    assert dorset["care_leavers"] == "Good"
    assert dorset["inspection_type"] == "ILACS Short Inspection"
    # care leavers sub-judgement did not exist before January 2023: blank, not an error
    bradford = x.set_index("la_name").loc["Bradford"]
    assert bradford["overall_effectiveness"] == "Inadequate" and bradford["care_leavers"] is None


def test_inspection_history():
    _need(OFSTED)
    h = load_inspection_history(OFSTED)
    assert len(h) == 271
    assert h["la_status"].value_counts().to_dict() == {"Current": 268, "No longer exists": 3}
    gone = h[h["la_status"] == "No longer exists"].set_index("la_name")
    assert sorted(gone.index) == ["Bournemouth", "Cumbria", "Northamptonshire"]
    assert gone.loc["Northamptonshire", "overall_effectiveness"] == "Inadequate"
    assert gone.loc["Northamptonshire", "inspection_date"] == pd.Timestamp("2019-06-17")
    devon = h[h["ons_code"] == "E10000008"]
    assert devon["inspection_date"].tolist() == [pd.Timestamp("2020-01-20"), pd.Timestamp("2024-09-30")]
    assert devon["overall_effectiveness"].tolist() == ["Inadequate", "Inadequate"]
    assert set(h["inspection_framework"]) == {"ILACS"}


def _ofsted_workbook(path: Path, judgement: str):
    grid = [["Local authority inspection judgements as at 31 March 2024"], ["Description"],
            ["Web link", "Local authority name", "Ofsted region", "Inspection date", "Overall effectiveness",
             "The experiences and progress of children in care"],
            ["link", "Devon", "South West", "20/01/2020", "Inadequate", judgement]]
    width = max(len(r) for r in grid)
    frame = pd.DataFrame([r + [None] * (width - len(r)) for r in grid])
    frame.to_excel(path, header=False, index=False, sheet_name="Inspections_as_at_31_March", engine="openpyxl")


def test_inspections_synthetic_without_codes(tmp_path):
    path = tmp_path / "ofsted.xlsx"
    _ofsted_workbook(path, "Requires improvement to be good")
    assert sniff_inspections(path)
    x = load_inspections(path)
    row = x.iloc[0]
    assert row["ons_code"] == "" and row["la_name"] == "Devon"
    assert row["inspection_date"] == pd.Timestamp("2020-01-20")
    assert row["children_in_care"] == "Requires improvement to be good"
    assert row["as_at"] == pd.Timestamp("2024-03-31")
    assert len(load_inspection_history(path)) == 0


def test_inspections_unknown_judgement(tmp_path):
    path = tmp_path / "ofsted.xlsx"
    _ofsted_workbook(path, "Pretty good")
    with pytest.raises(DataFileError) as err:
        load_inspections(path)
    assert err.value.row == 4
    assert err.value.column == "The experiences and progress of children in care"
    assert err.value.value == "Pretty good"
