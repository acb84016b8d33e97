"""Tests for helpers.geography against the real ONS lookup in ../shared/data/dfe."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers.errors import DataFileError, UnknownCouncilError
from helpers.geography import (JOINT_RETURNS, REORGANISATIONS, joint_return_for, load_utla_lookup,
                               normalise_name, predecessors, reorganisation_note, resolve_council,
                               sniff_utla_lookup, successors)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dfe"
LOOKUP = DATA / "LTLA-UTLA_Apr23_Lookup_England-Wales.csv"
needs_data = pytest.mark.skipif(not LOOKUP.exists(),
                                reason=f"real ONS lookup not found at {LOOKUP} (shared data not mounted)")


@pytest.fixture
def areas() -> pd.DataFrame:
    """A small areas table shaped like the store's ``.areas``."""
    return pd.DataFrame([
        ("E92000001", "England", "national", "E92000001", None),
        ("878", "Devon", "la", "E10000008", 2025),
        ("933", "Somerset", "la", "E06000066", 2025),
        ("835", "Dorset", "la", "E10000009", 2019),
        ("838", "Dorset", "la", "E06000059", 2025),
        ("839", "Bournemouth, Christchurch and Poole", "la", "E06000058", 2025),
        ("342", "St. Helens", "la", "E08000013", 2025),
        ("846", "Brighton and Hove", "la", "E06000043", 2025),
        ("801", "Bristol, City of", "la", "E06000023", 2025),
        ("314/318", "Kingston upon Thames / Richmond upon Thames", "la", "", 2025),
    ], columns=["area_code", "area_name", "level", "ons_code", "last_period"])


# -- ONS lookup ------------------------------------------------------------

@needs_data
def test_lookup_real_file():
    assert sniff_utla_lookup(LOOKUP)
    utla = load_utla_lookup(LOOKUP)
    assert list(utla.columns) == ["ons_code", "name", "name_welsh", "country"]
    assert utla["ons_code"].is_unique
    england = utla[utla["country"] == "England"]
    assert len(england) == 153
    assert england["ons_code"].str[:3].value_counts().to_dict() == {"E06": 63, "E08": 36, "E09": 33, "E10": 21}
    assert (utla["country"] == "Wales").sum() == 22
    devon = utla.set_index("ons_code").loc["E10000008"]
    assert devon["name"] == "Devon" and devon["name_welsh"] == ""
    assert utla.set_index("ons_code").loc["W06000001", "name_welsh"] == "Ynys Môn"
    # the BOM on the first header does not leak into the columns
    assert not any("\ufeff" in c for c in utla.columns)


def test_lookup_other_year_suffix(tmp_path):
    path = tmp_path / "lookup24.csv"
    path.write_text("\ufeffLTLA24CD,LTLA24NM,UTLA24CD,UTLA24NM\n"
                    "E07000040,East Devon,E10000008,Devon\nE07000041,Exeter,E10000008,Devon\n"
                    "W06000002,Gwynedd,W06000002,Gwynedd\n", encoding="utf-8")
    assert sniff_utla_lookup(path)
    utla = load_utla_lookup(path)
    assert utla["ons_code"].tolist() == ["E10000008", "W06000002"]
    assert utla["country"].tolist() == ["England", "Wales"]


def test_lookup_rejects_other_files(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("time_period,la_name\n2025,Devon\n", encoding="utf-8")
    assert not sniff_utla_lookup(path)
    with pytest.raises(DataFileError, match="LTLA-UTLA lookup"):
        load_utla_lookup(path)


def test_lookup_bad_code_names_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("LTLA23CD,LTLA23NM,UTLA23CD,UTLA23NM\nE07000040,East Devon,E10000008,Devon\n"
                    "E07000041,Exeter,Devon,Devon\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_utla_lookup(path)
    assert err.value.row == 3 and err.value.column == "UTLA23CD" and err.value.value == "Devon"


# -- reorganisations and joint returns ---------------------------------------

def test_successors_and_predecessors():
    assert successors("928") == ["940", "941"]
    assert successors(909) == ["942", "943"]
    assert successors("836") == ["839"] and successors("837") == ["839"]
    assert successors("835")[0] == "838"
    assert successors("878") == []
    assert predecessors("839") == ["835", "836", "837"]
    assert predecessors("941") == ["928"]
    assert predecessors("878") == []


def test_joint_returns():
    assert joint_return_for("314") == "314/318"
    assert joint_return_for("318") == "314/318"
    assert joint_return_for("314 / 318") == "314/318"
    assert joint_return_for("940", period=2021) == "940/941"
    assert joint_return_for("941", period=2020) is None
    assert joint_return_for("878") is None
    assert {j.code for j in JOINT_RETURNS} == {"314/318", "940/941"}


def test_reorganisation_notes():
    note = reorganisation_note("838")
    assert "new authority" in note and "835" in note
    assert "Cumberland" in reorganisation_note("909")
    assert "joint" in reorganisation_note("318")
    assert reorganisation_note("878") is None
    for reorg in REORGANISATIONS:
        assert set(reorg.mapping) == set(reorg.predecessors)
        assert all(s in reorg.successors for succ in reorg.mapping.values() for s in succ)


# -- resolving councils --------------------------------------------------------

@pytest.mark.parametrize("query, code", [
    ("878", "878"), (" 878 ", "878"), ("E10000008", "878"), ("e10000008", "878"),
    ("Devon", "878"), ("DEVON COUNTY COUNCIL", "878"), ("devon council", "878"),
    ("St Helens", "342"), ("st. helens", "342"), ("Brighton & Hove", "846"),
    ("Bournemouth, Christchurch & Poole", "839"), ("Bristol", "801"), ("Bristol City Council", "801"),
    ("England", "E92000001"), ("314/318", "314/318"), ("314 / 318", "314/318"),
])
def test_resolve_council(areas, query, code):
    assert resolve_council(query, areas) == code


def test_resolve_prefers_current_but_allows_explicit_code(areas):
    assert resolve_council("Dorset", areas) == "838"
    assert resolve_council("835", areas) == "835"
    assert resolve_council("E10000009", areas) == "835"


def test_resolve_unknown_suggests(areas):
    with pytest.raises(UnknownCouncilError) as err:
        resolve_council("Devn", areas)
    assert err.value.suggestions[0] == "Devon (878)"
    assert len(err.value.suggestions) <= 3
    assert "Did you mean" in str(err.value)
    with pytest.raises(UnknownCouncilError):
        resolve_council("999", areas)


def test_normalise_name():
    assert normalise_name("St. Helens Council") == "st helens"
    assert normalise_name("Kingston upon Hull, City of") == "kingston upon hull"
    assert normalise_name("Brighton & Hove") == normalise_name("Brighton and Hove")
