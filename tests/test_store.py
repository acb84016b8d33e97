"""The indicator store on the real releases: every catalogue indicator for
Dorset, Devon and Worcestershire in 2019 and the latest year equals the source
file's figure, computed here with the csv module alone; reorganisations and
joint returns; the cache; a failed build leaves the previous store intact."""

from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest

from csvfiles import council_rows, number
from helpers.errors import DataFileError
from helpers.store import load_store

CSWW = "csww_indicators_2017_to_2025.csv"
B1 = "b1_children_in_need_2013_to_2025.csv"
C1 = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
D3 = "d3_cpps_subsequent_plan_2013_to_2025.csv"
D5 = "d5_cpps_at31march_by_duration_2013_to_2025.csv"
CLA = "cla_number_and_rate_per_10k_children.csv"
PS = "la_cla_placement_stability.csv"
SW = "la_cla_swcount.csv"
ACC = "la_care_leavers_accommodation_suitability.csv"
ACT = "la_care_leavers_activity.csv"
ONS = "ons_mid-year_population_estimates_2012_to_2024.csv"

# indicator -> (file, filters, published column) or (file, filters, numerator, denominator, scale)
SPEC = {
    "wf_caseload": (CSWW, {}, "caseload_fte"),
    "wf_agency": (CSWW, {}, "agency_rate_fte"),
    "wf_vacancy": (CSWW, {}, "vacancy_rate_fte"),
    "wf_turnover": (CSWW, {}, "turnover_rate_fte"),
    "wf_absence": (CSWW, {}, "absence_rate_fte"),
    "wf_days_lost": (CSWW, {}, "working_days_lost_fte", "inpost_fte", 1),
    "wf_starters": (CSWW, {}, "starters_fte", "inpost_fte", 100),
    "fd_referral_rate": (C1, {}, "referral_count", "POP", 10000),
    "fd_rereferral": (C1, {}, "rereferral_percent"),
    "fd_nfa": (C1, {}, "no_further_action_percent"),
    "fd_not_in_need": (C1, {}, "not_in_need_percent"),
    "cin_rate": (B1, {}, "At31_episodes", "POP", 10000),
    "cin_start_rate": (B1, {}, "Started_episodes", "POP", 10000),
    "cp_rate": (D5, {}, "CPP_At31", "POP", 10000),
    "cp_start_rate": (D3, {}, "CPP_start", "POP", 10000),
    "cp_repeat": (D3, {}, "CPP_subsequent_percent"),
    "cp_2yr": (D5, {}, "2_years_or_more_percent"),
    "cla_rate": (CLA, {"population_type": "Children looked after on 31 March each year"}, "rate_per_10000"),
    "cla_start_rate": (CLA, {"population_type": "Children starting to be looked after each year"}, "rate_per_10000"),
    "cla_cease_rate": (CLA, {"population_type": "Children ceasing to be looked after each year"}, "rate_per_10000"),
    "ps_3plus_year": (PS, {"cla_group": "CLA on 31 March",
                           "placement_stability": "With 3 or more placements during the year"}, "children_percent"),
    "ps_3plus_2yr": (PS, {"cla_group": "CLA 2 years on 31 March",
                          "placement_stability": "With 3 or more placements during the previous 2 years"},
                     "children_percent"),
    "ps_longterm": (PS, {"cla_group": "Children looked after continuously for at least 2.5 years on 31 March "
                                      "aged under 16 years",
                         "placement_stability": "Living with the same carer for at least 2 years"},
                    "children_percent"),
    "sw_3plus": (SW, {"sw_stability": "3 or more social workers during the year"}, "percentage"),
    "cl_accom_1921": (ACC, {"care_leaver_age": "19 to 21 years", "breakdown": "Accommodation considered suitable"},
                      "care_leaver_percent"),
    "cl_accom_1718": (ACC, {"care_leaver_age": "17 to 18 years", "breakdown": "Accommodation considered suitable"},
                      "care_leaver_percent"),
    "cl_eet_1921": (ACT, {"care_leaver_age": "19 to 21 years",
                          "breakdown": "Total in education, employment or training"}, "care_leaver_percent"),
    "cl_eet_1718": (ACT, {"care_leaver_age": "17 to 18 years",
                          "breakdown": "Total in education, employment or training"}, "care_leaver_percent"),
}
COUNCILS = {"Dorset": {"835", "838"}, "Devon": {"878"}, "Worcestershire": {"885"}}


rows = council_rows


def expected_values(real_dir, indicator, codes):
    """{(code, period): (value or None, status)} from the raw file."""
    spec = SPEC[indicator]
    file, filters = spec[0], spec[1]
    pop = {(r["old_la_code"], int(r["time_period"])): number(r["population_estimate"])
           for r in rows(real_dir / ONS)}
    out = {}
    for r in rows(real_dir / file):
        if r["old_la_code"] not in codes or any(r[k] != v for k, v in filters.items()):
            continue
        period = int(r["time_period"])
        if len(spec) == 3:
            v = number(r[spec[2]])
            out[(r["old_la_code"], period)] = (v, "ok" if v is not None else r[spec[2]])
        else:
            num = number(r[spec[2]])
            den = pop.get((r["old_la_code"], period - 1)) if spec[3] == "POP" else number(r[spec[3]])
            if num is None:
                out[(r["old_la_code"], period)] = (None, r[spec[2]])
            elif den is None:
                out[(r["old_la_code"], period)] = (None, "not_derivable" if spec[3] == "POP" else "x")
            else:
                out[(r["old_la_code"], period)] = (num / den * spec[4], "ok")
    return out


@pytest.mark.parametrize("council", sorted(COUNCILS))
@pytest.mark.parametrize("indicator", sorted(SPEC))
def test_every_indicator_equals_the_source_file(real_store, real_dir, council, indicator):
    codes = COUNCILS[council]
    expected = expected_values(real_dir, indicator, codes)
    assert expected, f"no rows for {council} in the source of {indicator}"
    latest = max(p for (_, p), (v, s) in expected.items())
    table = real_store.indicators
    checked = 0
    for (code, period), (value, status) in expected.items():
        if period not in (2019, latest):
            continue
        got = table[(table["indicator"] == indicator) & (table["area_code"] == code) & (table["period"] == period)]
        assert len(got) == 1, (indicator, code, period)
        row = got.iloc[0]
        assert row["status"] == status, (indicator, code, period)
        if value is None:
            assert math.isnan(row["value"])
        else:
            assert row["value"] == pytest.approx(value, rel=1e-12), (indicator, code, period)
        checked += 1
    assert checked >= 1


def test_cross_check_values_from_the_data_guide(real_store):
    t = real_store.indicators.set_index(["area_code", "indicator", "period"])["value"]
    assert t[("838", "wf_caseload", 2025)] == 13.4
    assert t[("835", "wf_caseload", 2018)] == 18.0
    assert round(t[("838", "fd_referral_rate", 2025)], 1) == 349.8
    assert round(t[("878", "fd_referral_rate", 2019)], 1) == 378.8
    assert round(t[("885", "fd_referral_rate", 2019)], 1) == 421.1
    assert round(t[("E92000001", "fd_referral_rate", 2025)], 1) == 519.4
    assert round(t[("838", "cin_rate", 2025)], 1) == 324.2
    assert round(t[("885", "cp_rate", 2025)], 1) == 43.5
    assert t[("E92000001", "cla_rate", 2025)] == 67
    st = real_store.indicators.set_index(["area_code", "indicator", "period"])["status"]
    assert st[("835", "fd_referral_rate", 2019)] == "not_derivable"  # ONS population for 835 is x


def test_every_english_council_of_the_latest_year_is_listed(real_store, real_dir):
    latest = {r["old_la_code"] for r in rows(real_dir / B1) if r["time_period"] == "2025"}
    assert len(latest) == 153
    listed = set(real_store.councils()["area_code"])
    assert latest <= listed
    assert "314/318" not in listed  # joint returns are not councils


def test_reorganised_councils_break_and_are_labelled(real_store):
    a = real_store.areas.set_index("area_code")
    assert a.loc["838", "area_name"] == "Dorset" and a.loc["835", "area_name"] == "Dorset (to 2019)"
    assert a.loc["835", "last_period"] == 2019 and a.loc["838", "first_period"] == 2019
    assert a.loc["909", "last_period"] == 2023 and a.loc["942", "first_period"] == 2023
    for code in ("835", "838", "928", "940", "909", "942"):
        assert a.loc[code, "note"], f"{code} needs a reorganisation note"
    # a code-only change (North Yorkshire, 2024) continues one series
    ny = real_store.series("815", "fd_referral_rate")
    assert ny["period"].min() <= 2014 and ny["period"].max() == 2025
    assert a.loc["815", "ons_code"] == "E06000065"


def test_joint_returns_are_joint(real_store):
    a = real_store.areas.set_index("area_code")
    assert a.loc["314/318", "is_joint"] and a.loc["314/318", "joint_members"] == "314,318"
    wf = real_store.indicators[real_store.indicators["indicator"] == "wf_caseload"]
    assert not wf["area_code"].isin(["314", "318"]).any()
    assert (wf["area_code"] == "314/318").sum() == 9


def test_cache_is_reused_and_rebuilt_only_when_inputs_change(real_copy, tmp_path):
    cache = tmp_path / "cache"
    first = load_store(real_copy, cache)
    again = load_store(real_copy, cache)
    assert again.key == first.key and len(list(cache.glob("store-*"))) == 1
    pd.testing.assert_frame_equal(first.indicators, again.indicators)
    (real_copy / "README.md").write_text("notes change nothing\n")
    assert load_store(real_copy, cache).key == first.key
    sw = real_copy / "la_cla_swcount.csv"
    sw.write_bytes(sw.read_bytes() + b"\n")  # any change to an input's bytes
    assert load_store(real_copy, cache).key != first.key


def test_a_failed_build_leaves_the_previous_store_intact(real_copy, tmp_path):
    cache = tmp_path / "cache"
    good = load_store(real_copy, cache)
    before = sorted(p.name for p in cache.iterdir())
    frame = pd.read_csv(real_copy / CSWW, dtype=str, keep_default_na=False)
    frame.loc[5, "agency_rate_fte"] = "n/a - see notes"
    frame.to_csv(real_copy / "csww_2026_release.csv", index=False)
    with pytest.raises(DataFileError) as err:
        load_store(real_copy, cache)
    assert "csww_2026_release.csv" in str(err.value) and "row 7" in str(err.value)
    assert sorted(p.name for p in cache.iterdir()) == before
    (real_copy / "csww_2026_release.csv").unlink()
    again = load_store(real_copy, cache)
    assert again.key == good.key


def test_unrecognised_files_are_reported_not_fatal(real_copy, tmp_path):
    (real_copy / "notes.csv").write_text("team,comment\nA,fine\n")
    store = load_store(real_copy, tmp_path / "cache")
    assert any("notes.csv" in w for w in store.warnings)
    shutil.rmtree(tmp_path / "cache")


def _ro3_net_current_expenditure(real_dir, ons_code):
    """Children's social care net current expenditure (£ thousand) straight
    from the RO3 workbook: header row and column found by their text."""
    sheet = pd.read_excel(real_dir / "RO3_LA_Data_2024-25_data_by_LA.ods", sheet_name="RO3_LA_Data_202425",
                          header=None, dtype=object, engine="calamine")
    header_row = next(i for i in range(30) if "ONS Code" in [str(v).strip() for v in sheet.iloc[i]])
    header = [str(v) for v in sheet.iloc[header_row]]
    col = next(i for i, h in enumerate(header)
               if "TOTAL CHILDREN SOCIAL CARE" in h and "Net Current Expenditure" in h)
    ons_col = header.index(next(h for h in header if h.strip() == "ONS Code"))
    row = sheet[sheet.iloc[:, ons_col].astype(str).str.strip() == ons_code].iloc[0]
    return float(row.iloc[col])


@pytest.mark.parametrize("code,ons_code,published", [("838", "E06000059", 1457), ("878", "E10000008", 1417),
                                                     ("885", "E10000034", 1188)])
def test_spend_per_child_equals_the_source_files(real_store, real_dir, code, ons_code, published):
    spend_k = _ro3_net_current_expenditure(real_dir, ons_code)
    pop = {r["old_la_code"]: float(r["population_estimate"]) for r in rows(real_dir / ONS)
           if r["time_period"] == "2024"}[code]
    t = real_store.indicators.set_index(["area_code", "indicator", "period"])
    got = t.loc[(code, "sp_csc_per_child", 2025)]
    assert got["status"] == "ok"
    assert got["value"] == pytest.approx(spend_k * 1000 / pop, rel=1e-12)
    assert round(got["value"]) == published  # the data guide's cross-check
