"""Tests for helpers.neighbours against the real 2025 model in ../shared/data/dfe
and a synthetic file in DfE's earlier (2021 groupings) layout."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from helpers.errors import ConfigError, DataFileError
from helpers.neighbours import (NEIGHBOUR_COLUMNS, load_comparator_groups, load_sn_model_2021,
                                load_sn_model_2025, map_to_current, neighbours_of, sniff_neighbours)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dfe"
SN_2025 = DATA / "sn_model_2025_wide.csv"
needs_data = pytest.mark.skipif(not SN_2025.exists(),
                                reason=f"real DfE neighbour model not found at {SN_2025} (shared data not mounted)")


def _raw_row(code: str) -> dict[str, str]:
    """The row for one council read straight from the real file."""
    with open(SN_2025, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["old_la_code"] == code:
                return row
    raise AssertionError(f"{code} not in file")


@pytest.fixture(scope="module")
def sn2025() -> pd.DataFrame:
    if not SN_2025.exists():
        pytest.skip(f"real DfE neighbour model not found at {SN_2025}")
    return load_sn_model_2025(SN_2025)


@pytest.fixture
def areas() -> pd.DataFrame:
    rows = [("878", "Devon"), ("879", "Plymouth"), ("880", "Torbay"), ("838", "Dorset"),
            ("839", "Bournemouth, Christchurch and Poole"), ("940", "North Northamptonshire"),
            ("941", "West Northamptonshire"), ("942", "Cumberland"), ("943", "Westmorland and Furness"),
            ("928", "Northamptonshire"), ("909", "Cumbria"), ("933", "Somerset"), ("908", "Cornwall")]
    return pd.DataFrame([(c, n, "la", "") for c, n in rows],
                        columns=["area_code", "area_name", "level", "ons_code"])


# -- the real 2025 model ---------------------------------------------------------

@needs_data
def test_2025_shape(sn2025):
    assert sniff_neighbours(SN_2025) == "dfe_2025"
    assert list(sn2025.columns) == NEIGHBOUR_COLUMNS
    assert (sn2025["model"] == "dfe_2025").all()
    assert sn2025["area_code"].nunique() == 153
    per = sn2025.groupby("area_code")
    assert (per.size() == 10).all()
    assert (per["neighbour_code"].nunique() == 10).all()
    assert (sn2025["area_code"] != sn2025["neighbour_code"]).all()
    assert sorted(sn2025["rank"].unique()) == list(range(1, 11))
    assert sn2025["area_code"].str.fullmatch(r"\d{3}").all()
    assert sn2025["neighbour_code"].str.fullmatch(r"\d{3}").all()
    # trailing space in "Close " is stripped
    assert set(sn2025["closeness"]) == {"Extremely close", "Very close", "Close", "Somewhat close", "Not close"}
    assert (sn2025["closeness"] == "Close").sum() == 513
    # every neighbour is itself a council in the model
    assert set(sn2025["neighbour_code"]) <= set(sn2025["area_code"])


@needs_data
def test_2025_devon_matches_file(sn2025):
    raw = _raw_row("878")
    expected = [raw[f"SN_{k}"] for k in range(1, 11)]
    assert neighbours_of("878", sn2025) == expected
    assert expected[:3] == ["845", "838", "926"]  # West Sussex, Dorset, Norfolk as published
    devon = sn2025[sn2025["area_code"] == "878"].sort_values("rank")
    assert devon["closeness"].tolist() == [raw[f"SN_{k}P"].strip() for k in range(1, 11)]
    assert devon["area_name"].iloc[0] == "Devon"
    assert neighbours_of("878", sn2025, model="dfe_2021") == []
    assert neighbours_of("999", sn2025) == []


def test_2025_bad_code_reports_row_and_column(tmp_path):
    path = tmp_path / "sn.csv"
    header = "old_la_code,la_name,region_ind,region_name," + ",".join(f"SN_{k},SN_{k}P" for k in range(1, 3))
    path.write_text("\ufeff" + header + "\n878,Devon,7,South West,845,Very close,83X,Close \n", encoding="utf-8")
    assert sniff_neighbours(path) == "dfe_2025"
    with pytest.raises(DataFileError) as err:
        load_sn_model_2025(path)
    assert (err.value.row, err.value.column, err.value.value) == (2, "SN_2", "83X")


def test_2025_self_neighbour_rejected(tmp_path):
    path = tmp_path / "sn.csv"
    path.write_text("old_la_code,la_name,region_ind,region_name,SN_1,SN_1P\n878,Devon,7,South West,878,Close\n",
                    encoding="utf-8")
    with pytest.raises(DataFileError, match="its own neighbour"):
        load_sn_model_2025(path)


# -- the earlier (2021) layout ------------------------------------------------------

HEADER_2021 = ["LA num", "LA Name", "LA number", "GOInd", "GOReg"] + \
    [x for k in range(1, 11) for x in (f"SN{k}", "SNP")]
ROWS_2021 = [
    # Devon's list names Cumbria (909) and Northamptonshire (928), both reorganised since
    [1, "Devon", 878, 7, "South West", 908, "Very close", 909, "Very close", 933, "Close", 928, "Close",
     880, "Close", 879, "Somewhat close", 838, "Somewhat close", 940, "Somewhat close",
     836, "Not close", 999, "Not close"],
    [2, "Cornwall", 908, 7, "South West", 878, "Extremely close", 933, "Very close", 880, "Very close",
     879, "Close", 838, "Close", 909, "Close", 942, "Close", 943, "Somewhat close",
     941, "Somewhat close", 940, "Not close"],
]


def _write_2021(path: Path, title: bool = False):
    rows = ([["Statistical neighbours (2021 groupings)"], []] if title else []) + [HEADER_2021] + ROWS_2021
    if path.suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    else:
        width = len(HEADER_2021)
        frame = pd.DataFrame([r + [None] * (width - len(r)) for r in rows])
        frame.to_excel(path, header=False, index=False, sheet_name="SN",
                       engine="odf" if path.suffix == ".ods" else "openpyxl")


@pytest.mark.parametrize("name, title", [("sn2021.csv", False), ("sn2021.xlsx", True), ("sn2021.ods", False)])
def test_2021_layout(tmp_path, name, title):
    path = tmp_path / name
    _write_2021(path, title)
    assert sniff_neighbours(path) == "dfe_2021"
    sn = load_sn_model_2021(path)
    assert list(sn.columns) == NEIGHBOUR_COLUMNS
    assert (sn["model"] == "dfe_2021").all()
    assert neighbours_of("878", sn, model="dfe_2021") == ["908", "909", "933", "928", "880", "879",
                                                           "838", "940", "836", "999"]
    devon = sn[sn["area_code"] == "878"].sort_values("rank")
    assert devon["closeness"].tolist()[:3] == ["Very close", "Very close", "Close"]
    assert devon["area_name"].iloc[0] == "Devon"
    assert sorted(sn["area_code"].unique()) == ["878", "908"]


def test_2021_missing_code_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("LA Name,SN1,SNP\nDevon,908,Close\n", encoding="utf-8")
    assert sniff_neighbours(path) == "dfe_2021"
    with pytest.raises(DataFileError, match="LA number"):
        load_sn_model_2021(path)


def test_sniff_other_files(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("time_period,old_la_code\n2025,878\n", encoding="utf-8")
    assert sniff_neighbours(path) is None


# -- mapping old neighbours to current councils ----------------------------------------

def test_map_to_current(tmp_path, areas):
    path = tmp_path / "sn2021.csv"
    _write_2021(path)
    sn = load_sn_model_2021(path)
    mapped, messages = map_to_current(sn, areas)
    devon = mapped[mapped["area_code"] == "878"].sort_values("rank")
    # 909 -> 942, 943 in Cumbria's place; 928 -> 941 only (940 is listed later);
    # 836 Poole -> 839; 999 unknown is dropped
    assert devon["neighbour_code"].tolist() == ["908", "942", "943", "933", "941", "880", "879",
                                                "838", "940", "839"]
    assert devon["rank"].tolist() == list(range(1, 11))
    assert devon["via"].tolist() == ["", "909", "909", "", "928", "", "", "", "", "836"]
    assert devon.loc[devon["neighbour_code"] == "942", "model_rank"].item() == 2
    assert any("Cumbria (909)" in m and "Cumberland (942)" in m for m in messages)
    assert any("999" in m and "dropped" in m for m in messages)
    # Cornwall already lists 942 and 943 after Cumbria: 909 adds nothing new
    cornwall = mapped[mapped["area_code"] == "908"]
    assert cornwall["neighbour_code"].is_unique
    assert "909" not in set(cornwall["neighbour_code"])
    assert set(mapped["neighbour_code"]) <= set(areas["area_code"]) - {"909", "928"}


@needs_data
def test_map_to_current_leaves_2025_unchanged(sn2025):
    areas = pd.DataFrame({"area_code": sorted(sn2025["area_code"].unique())})
    mapped, messages = map_to_current(sn2025, areas)
    assert messages == []
    assert len(mapped) == len(sn2025)
    assert (mapped["via"] == "").all()


# -- comparator groups -----------------------------------------------------------------

GROUPS_YAML = """
groups:
  south_west_shires:
    label: South West shire counties
    members: [Devon, Somerset, "878", E10000008]
  monmouthshire_peers:
    label: Monmouthshire's Welsh peers
    council: Monmouthshire
    members: [Powys, Vale of Glamorgan, Ceredigion]
"""


def test_comparator_groups(tmp_path, areas):
    path = tmp_path / "groups.yml"
    path.write_text(GROUPS_YAML, encoding="utf-8")
    areas = areas.copy()
    areas.loc[areas["area_code"] == "878", "ons_code"] = "E10000008"
    groups = load_comparator_groups(path, areas)
    sw = groups[groups["group"] == "south_west_shires"]
    assert sw["member"].tolist() == ["Devon", "Somerset", "878", "E10000008"]
    assert sw["area_code"].tolist() == ["878", "933", "878", "878"]
    assert sw["duplicate"].tolist() == [False, False, True, True]
    assert (sw["label"] == "South West shire counties").all()
    welsh = groups[groups["group"] == "monmouthshire_peers"]
    assert not welsh["resolved"].any()
    assert welsh["area_code"].isna().all()
    assert (welsh["council"] == "Monmouthshire").all()
    assert welsh["note"].str.contains("not in the data store").all()
    # without an areas table members are kept, unresolved
    plain = load_comparator_groups(path)
    assert len(plain) == 7 and not plain["resolved"].any()


@pytest.mark.parametrize("text, match", [
    ("groups:\n  g:\n    members: [Devon]\n    colour: red\n", "colour"),
    ("groups:\n  g:\n    label: x\n    members: []\n", "non-empty"),
    ("groups:\n  g:\n    label: x\n", "non-empty"),
    ("grups:\n  g:\n    members: [Devon]\n", "grups"),
    ("groups: [Devon\n", "not valid YAML"),
])
def test_comparator_groups_invalid(tmp_path, text, match):
    path = tmp_path / "groups.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match) as err:
        load_comparator_groups(path)
    assert str(path) in str(err.value)


# --------------------------------------------------------------------------
# Both models in the store: mapped to successors, selectable, honest gaps
# --------------------------------------------------------------------------

FIXTURE_2021 = Path(__file__).parent / "fixtures" / "neighbours" / "lait_sn_groups_2021.csv"


@pytest.fixture(scope="module")
def two_models(real_dir):
    from helpers.store import build
    files = [real_dir / "b1_children_in_need_2013_to_2025.csv", real_dir / "sn_model_2025_wide.csv", FIXTURE_2021]
    return build(files)


def test_the_2021_model_is_kept_beside_2025_and_selectable(two_models):
    from helpers.errors import ParameterError
    from helpers.neighbours import available_models, resolve_model
    nb = two_models.neighbours
    assert available_models(nb) == ["dfe_2025", "dfe_2021"]
    assert resolve_model(nb, "") == "dfe_2025" and resolve_model(nb, 2021) == "dfe_2021"
    with pytest.raises(ParameterError, match=r"neighbours.*'2019'.*models held: '2025', '2021'"):
        resolve_model(nb, "2019")


def test_retired_neighbours_are_replaced_by_their_successors(two_models):
    from helpers.neighbours import neighbours_of
    nb = two_models.neighbours
    assert neighbours_of("888", nb, "dfe_2021") == ["942", "943", "886", "881"]     # Cumbria -> both successors
    assert neighbours_of("865", nb, "dfe_2021") == ["838", "839", "866", "931"]     # Dorset County -> Dorset, BCP
    assert neighbours_of("929", nb, "dfe_2021") == ["942", "943", "940", "941", "840"]
    lancs = nb[(nb["model"] == "dfe_2021") & (nb["area_code"] == "888")]
    assert list(lancs["via"]) == ["909", "909", "", ""] and list(lancs["model_rank"]) == [1, 1, 2, 3]
    assert any("Statistical neighbours" in w and "replaced" in w for w in two_models.warnings)


def test_a_council_the_model_does_not_cover_has_no_neighbours_in_it(two_models):
    from helpers.neighbours import neighbours_of
    nb = two_models.neighbours
    assert neighbours_of("942", nb, "dfe_2021") == []           # Cumberland did not exist in 2021
    assert len(neighbours_of("942", nb, "dfe_2025")) == 10


def test_ingest_takes_the_2021_model(tmp_path):
    from helpers.data.ingest import ingest
    (r,) = ingest([FIXTURE_2021], tmp_path / "raw").results
    assert r.id == "sn_model_2021" and r.dest_path.name == "sn_model_2021.csv" and r.status == "new"


def test_build_refuses_a_model_not_held_before_any_work(tmp_path, real_dir, store_cache, monkeypatch):
    from helpers.errors import ParameterError
    monkeypatch.setenv("SCRUTINY_CACHE_DIR", str(store_cache))
    from helpers.pack import build_pack
    with pytest.raises(ParameterError, match="neighbours"):
        build_pack(council="Devon", data=str(real_dir), neighbours="2019", reports_dir=tmp_path)
    assert not any(tmp_path.iterdir())
