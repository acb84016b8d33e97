"""Tests for the demo data generator (helpers.demo)."""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from helpers import demo

REAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "dfe"
CODES = {"c", "x", "z", "u", "low", "k"}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    demo.generate_demo_data(out, seed=2025)
    return out


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _num(s: str) -> Decimal | None:
    return None if s in CODES or s == "" else Decimal(s)


def _half_up(x: Decimal, nd: int) -> Decimal:
    return x.quantize(Decimal(1).scaleb(-nd), rounding=ROUND_HALF_UP)


def _pct(num: str, den: str, nd: int, scale: int = 100) -> Decimal:
    return _half_up(Decimal(num) * scale / Decimal(den), nd)


# ---------------------------------------------------------------------------
# Files, determinism, layout
# ---------------------------------------------------------------------------

def test_writes_every_file(demo_dir):
    from helpers.demo_outcomes import OUTCOME_FILES
    from helpers.demo_publishers import PUBLISHER_FILES
    names = sorted(p.name for p in demo_dir.iterdir())
    assert names == sorted([*demo.DEMO_FILES, demo.DEMO_FINANCE_FILE, *OUTCOME_FILES, *PUBLISHER_FILES])


def test_finance_workbook_loads_like_the_real_one(demo_dir):
    """The RO3 workbook goes through the real finance loader: every current
    demo council and England, spend in pounds, England the sum of councils."""
    from helpers.loaders import identify, load
    path = demo_dir / demo.DEMO_FINANCE_FILE
    assert identify(path) == "finance_ro3"
    _, frame = load(path)
    net = frame[frame["measure"] == "csc_net_current_expenditure"].set_index("ons_code")["value"]
    current = [c.ons_code for c in demo.DEMO_COUNCILS if c.role != "predecessor"]
    assert sorted(net.drop("E92000001").index) == sorted(current)
    assert net["E92000001"] == net.drop("E92000001").sum()
    assert (frame["status"] == "ok").all() and (net % 1000 == 0).all()


def test_same_seed_gives_identical_bytes(tmp_path):
    a = demo.generate_demo_data(tmp_path / "a", seed=7)
    b = demo.generate_demo_data(tmp_path / "b", seed=7)
    for pa, pb in zip(a, b):
        assert pa.name == pb.name
        assert pa.read_bytes() == pb.read_bytes(), pa.name


def test_different_seed_gives_different_figures(tmp_path):
    a = demo.generate_demo_data(tmp_path / "a", seed=1)
    b = demo.generate_demo_data(tmp_path / "b", seed=2)
    differ = [pa.name for pa, pb in zip(a, b) if pa.read_bytes() != pb.read_bytes()]
    assert "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv" in differ


def test_no_partial_files_left(demo_dir):
    assert not [p for p in demo_dir.iterdir() if p.name.endswith(".part")]


def _outcome_files():
    from helpers.demo_outcomes import OUTCOME_FILES
    from helpers.demo_publishers import FINGERTIPS_FILE
    return [*OUTCOME_FILES, FINGERTIPS_FILE]


@pytest.mark.parametrize("name", [*demo.DEMO_FILES, *_outcome_files()])
def test_header_bytes_match_real_file(demo_dir, name):
    """Header line, byte-order mark included, equals the real release's."""
    real = REAL_DIR / name
    if not real.exists():
        pytest.skip(f"real file {real} not present")
    with open(real, "rb") as fh:
        real_head = fh.readline()
    with open(demo_dir / name, "rb") as fh:
        demo_head = fh.readline()
    assert demo_head == real_head


@pytest.mark.parametrize("name", demo.DEMO_FILES)
def test_every_value_cell_is_number_or_code(demo_dir, name):
    df = _read(demo_dir / name)
    if name.startswith("sn_model"):
        return
    value_cols = [c for c in df.columns if c not in _ID_COLS]
    la = df[df.geographic_level == "Local authority"]
    for col in value_cols:
        for v in la[col]:
            assert v in CODES or _num(v) is not None, (name, col, v)
    assert set(df.time_identifier) == {"Reporting year"}
    assert set(df.geographic_level) == {"National", "Regional", "Local authority"}


_ID_COLS = {"time_period", "time_identifier", "geographic_level", "country_code", "country_name",
            "region_code", "region_name", "old_la_code", "new_la_code", "la_name", "category",
            "population_type", "cla_group", "placement_stability", "sw_stability", "care_leaver_age",
            "breakdown", "age_group"}


def test_d3_d5_quote_empty_strings_like_the_real_files(demo_dir):
    for name in ("d3_cpps_subsequent_plan_2013_to_2025.csv", "d5_cpps_at31march_by_duration_2013_to_2025.csv"):
        lines = (demo_dir / name).read_text().splitlines()
        national = next(line for line in lines if ",National," in line)
        assert national.startswith('2025,Reporting year,National,E92000001,England,"","",,"",""')
        regional = next(line for line in lines if ",Regional," in line)
        assert ',,"","",' in regional
    b1 = (demo_dir / "b1_children_in_need_2013_to_2025.csv").read_text()
    assert '""' not in b1


def test_national_rows_are_england_over_demo_councils(demo_dir):
    df = _read(demo_dir / "b1_children_in_need_2013_to_2025.csv")
    nat = df[df.geographic_level == "National"]
    assert set(nat.country_code) == {"E92000001"} and set(nat.la_name) == {""}
    la = df[df.geographic_level == "Local authority"]
    assert set(la.old_la_code) <= {c.la_code for c in demo.DEMO_COUNCILS}
    assert set(df[df.geographic_level == "Regional"].region_code) == {r[0] for r in demo.DEMO_REGIONS}


# ---------------------------------------------------------------------------
# Aggregates: national = (rounded) sum of LA rows
# ---------------------------------------------------------------------------

#: file -> (count columns, filter columns, counts rounded to 10?)
AGG = {
    "b1_children_in_need_2013_to_2025.csv": (["At31_episodes", "Started_episodes", "Anypoint_episodes"], [], True),
    "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv":
        (["referral_count", "rereferral_count", "not_in_need_count"], [], True),
    "d3_cpps_subsequent_plan_2013_to_2025.csv": (["CPP_start", "CPP_subsequent"], [], True),
    "d5_cpps_at31march_by_duration_2013_to_2025.csv": (["CPP_At31", "3_months_or_less"], [], True),
    "cla_number_and_rate_per_10k_children.csv": (["children_count"], ["population_type"], True),
    "la_cla_placement_stability.csv": (["children_count"], ["cla_group", "placement_stability"], True),
    "la_cla_swcount.csv": (["number"], ["sw_stability"], True),
    "la_care_leavers_accommodation_suitability.csv": (["care_leaver_count"], ["care_leaver_age", "breakdown"], True),
    "la_care_leavers_activity.csv": (["care_leaver_count"], ["care_leaver_age", "breakdown"], True),
    "csww_indicators_2017_to_2025.csv": (["inpost_fte", "cases", "case_holders_fte", "vacancy_fte"], [], False),
    "ons_mid-year_population_estimates_2012_to_2024.csv": (["population_estimate"], [], False),
}


@pytest.mark.parametrize("name", sorted(AGG))
def test_national_and_regional_rows_are_rounded_sums(demo_dir, name):
    cols, filters, round10 = AGG[name]
    df = _read(demo_dir / name)
    la = df[df.geographic_level == "Local authority"]
    checked = 0
    for level, key in (("National", None), ("Regional", "region_code")):
        agg = df[df.geographic_level == level]
        for _, row in agg.iterrows():
            sel = la[la.time_period == row.time_period]
            for f in filters:
                sel = sel[sel[f] == row[f]]
            if key:
                sel = sel[sel[key] == row[key]]
            for col in cols:
                cells = list(sel[col])
                if any(v in {"c", "u", "low"} for v in cells) or row[col] in CODES:
                    continue  # a hidden council figure: the sum cannot be checked from the file
                total = sum((Decimal(v) for v in cells if _num(v) is not None), Decimal(0))
                expected = _half_up(total / 10, 0) * 10 if round10 else total
                assert Decimal(row[col]) == expected, (name, level, row.time_period, col)
                checked += 1
    assert checked >= 4


# ---------------------------------------------------------------------------
# Internal consistency of derived values
# ---------------------------------------------------------------------------

def test_c1_percentages(demo_dir):
    df = _read(demo_dir / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv")
    la = df[df.geographic_level == "Local authority"]
    n = 0
    for _, r in la.iterrows():
        for pct, num, den in (("rereferral_percent", "rereferral_count", "referral_count"),
                              ("not_in_need_percent", "not_in_need_count", "referral_count"),
                              ("rereferral_child_percent", "rereferral_child_count", "referral_child_count")):
            if _num(r[num]) is None or _num(r[den]) is None:
                assert r[pct] in CODES
                continue
            assert Decimal(r[pct]) == _pct(r[num], r[den], 1), (r.la_name, r.time_period, pct)
            n += 1
    assert n > 500
    # c for counts 1-5 and the percentages derived from them
    small = la[la.no_further_action_count == "c"]
    assert len(small) and set(small.no_further_action_percent) == {"c"}


def test_d3_d5_percentages_and_suppression(demo_dir):
    d3 = _read(demo_dir / "d3_cpps_subsequent_plan_2013_to_2025.csv")
    for _, r in d3[d3.geographic_level != "Regional"].iterrows():
        if _num(r.CPP_start) is not None and _num(r.CPP_subsequent) is not None and Decimal(r.CPP_start) > 0:
            if r.geographic_level == "Local authority":
                assert Decimal(r.CPP_subsequent_percent) == _pct(r.CPP_subsequent, r.CPP_start, 1)
        elif r.CPP_start == "0":
            assert r.CPP_subsequent_percent == "z"
    d5 = _read(demo_dir / "d5_cpps_at31march_by_duration_2013_to_2025.csv")
    la = d5[d5.geographic_level == "Local authority"]
    for _, r in la.iterrows():
        vals = [r[b] for b in ("3_months_or_less", "more_than_3_months_6_months",
                               "more_than_6_months_less_than_1_year", "1_year_less_than_2_years",
                               "2_years_or_more")]
        if r.CPP_At31 in CODES:
            continue
        if all(_num(v) is not None for v in vals):
            assert sum(int(v) for v in vals) == int(r.CPP_At31)
            assert Decimal(r["2_years_or_more_percent"]) == _pct(r["2_years_or_more"], r.CPP_At31, 1) \
                if int(r.CPP_At31) else r["2_years_or_more_percent"] == "z"
        else:
            # secondary suppression: never exactly one hidden band
            assert sum(v == "c" for v in vals) != 1 or int(r.CPP_At31) <= 5
        for v in vals:
            if _num(v) is not None:
                assert not 1 <= int(v) <= 5


def test_b1_anypoint_is_at31_plus_ended(demo_dir):
    df = _read(demo_dir / "b1_children_in_need_2013_to_2025.csv")
    la = df[(df.geographic_level == "Local authority") & (df.Anypoint_episodes.str.isdigit())
            & (df.Ended_episodes.str.isdigit()) & (df.At31_episodes.str.isdigit())]
    assert len(la) > 100
    assert ((la.Anypoint_episodes.astype(int)) == la.At31_episodes.astype(int) + la.Ended_episodes.astype(int)).all()


def test_csww_formulas(demo_dir):
    """LA rows reproduce the DATA_GUIDE formulas exactly; aggregates are
    computed from unrounded sums (which include 'low' cells), so they may
    differ from a recomputation from the shown 1 dp figures by 0.1."""
    df = _read(demo_dir / "csww_indicators_2017_to_2025.csv")
    n = 0
    formulas = {
        "caseload_fte": lambda v: v["cases"] / v["case_holders_fte"],
        "agency_rate_fte": lambda v: v["agency_fte"] * 100 / (v["agency_fte"] + v["inpost_fte"]),
        "turnover_rate_fte": lambda v: v["leavers_fte"] * 100 / v["inpost_fte"],
        "absence_rate_fte": lambda v: v["working_days_lost_fte"] * 100 / (v["inpost_fte"] * 253),
        "vacancy_rate_fte": lambda v: v["vacancy_fte"] * 100 / (v["vacancy_fte"] + v["inpost_fte"]),
    }
    inputs = ("cases", "case_holders_fte", "agency_fte", "inpost_fte", "leavers_fte",
              "working_days_lost_fte", "vacancy_fte")
    for _, r in df.iterrows():
        vals = {k: _num(r[k]) for k in inputs}
        tol = Decimal(0) if r.geographic_level == "Local authority" else Decimal("0.1")
        for col, f in formulas.items():
            try:
                expected = _half_up(f(vals), 1)
            except TypeError:          # an input is a code
                continue
            if _num(r[col]) is None:
                continue
            assert abs(_num(r[col]) - expected) <= tol, (r.la_name, r.time_period, col)
            n += 1
    assert n > 500
    la = df[df.geographic_level == "Local authority"]
    joint = la[la.old_la_code.str.contains(" / ")]
    assert set(joint.old_la_code) == {"962 / 963"}
    assert set(joint.la_name) == {"Marchbury / Riverford"}
    assert set(joint.new_la_code) == {"E06009062 / E06009063"}
    assert not la.old_la_code.isin(["962", "963"]).any()
    assert "low" in set(la.agency_fte) and "x" in set(la.inpost_fte)


def test_cla_rates_use_population_of_previous_year(demo_dir):
    cla = _read(demo_dir / "cla_number_and_rate_per_10k_children.csv")
    ons = _read(demo_dir / "ons_mid-year_population_estimates_2012_to_2024.csv")
    pop = {(int(r.time_period), r.old_la_code): r.population_estimate
           for _, r in ons[ons.geographic_level == "Local authority"].iterrows()}
    n = 0
    for _, r in cla[cla.geographic_level == "Local authority"].iterrows():
        if _num(r.children_count) is None:
            continue
        assert r.population_estimate == pop[(int(r.time_period) - 1, r.old_la_code)]
        assert Decimal(r.rate_per_10000) == _pct(r.children_count, r.population_estimate, 0, 10000)
        n += 1
    assert n > 40
    nat = cla[cla.geographic_level == "National"]
    for _, r in nat.iterrows():   # national rate from rounded count within rounding error
        rate = Decimal(r.children_count) * 10000 / Decimal(r.population_estimate)
        assert abs(rate - Decimal(r.rate_per_10000)) <= 1


def test_placement_totals_match_cla_count(demo_dir):
    cla = _read(demo_dir / "cla_number_and_rate_per_10k_children.csv")
    ps = _read(demo_dir / "la_cla_placement_stability.csv")
    on31 = cla[(cla.geographic_level == "Local authority")
               & (cla.population_type == "Children looked after on 31 March each year")]
    tot = ps[(ps.geographic_level == "Local authority") & (ps.cla_group == "CLA on 31 March")
             & (ps.placement_stability == "Total children")]
    m = on31.merge(tot, on=["time_period", "old_la_code"])
    m = m[m.children_count_x.str.isdigit()]
    assert len(m) > 40 and (m.children_count_x == m.children_count_y).all()
    meas = ps[(ps.geographic_level == "Local authority") & (ps.placement_stability != "Total children")]
    both = meas.merge(ps[ps.placement_stability == "Total children"],
                      on=["time_period", "old_la_code", "cla_group"])
    both = both[both.children_count_x.str.isdigit() & both.children_count_y.str.isdigit()]
    for _, r in both.iterrows():
        assert Decimal(r.children_percent_x) == _pct(r.children_count_x, r.children_count_y, 0)


def test_care_leaver_activity_adds_up(demo_dir):
    df = _read(demo_dir / "la_care_leavers_activity.csv")
    la = df[df.geographic_level == "Local authority"]
    wide = la.pivot_table(index=["time_period", "old_la_code", "care_leaver_age"], columns="breakdown",
                          values="care_leaver_count", aggfunc="first")
    ok = wide[wide.apply(lambda r: all(str(v).isdigit() for v in (
        r["Total"], r["Total in education, employment or training"],
        r["Total not in education, employment or training"], r["Total information not known"])), axis=1)]
    assert len(ok) > 40
    total = ok["Total"].astype(int)
    parts = (ok["Total in education, employment or training"].astype(int)
             + ok["Total not in education, employment or training"].astype(int)
             + ok["Total information not known"].astype(int))
    assert (total == parts).all()
    assert set(la[(la.time_period == "2021") & (la.breakdown == "In an apprenticeship")].care_leaver_count) == {"z"}
    assert set(la[(la.time_period == "2023") & (la.breakdown == "In training or employment")].care_leaver_count) == {"z"}


# ---------------------------------------------------------------------------
# Geography: reorganisation, neighbours, description
# ---------------------------------------------------------------------------

def test_reorganisation_mirrors_northamptonshire(demo_dir):
    b1 = _read(demo_dir / "b1_children_in_need_2013_to_2025.csv")
    years = lambda df, code: sorted(int(y) for y in df[df.old_la_code == code].time_period)  # noqa: E731
    assert years(b1, "950") == list(range(2013, 2022))
    assert years(b1, "960") == list(range(2022, 2026))
    ons = _read(demo_dir / "ons_mid-year_population_estimates_2012_to_2024.csv")
    assert max(years(ons, "950")) == 2020 and min(years(ons, "961")) == 2021
    csww = _read(demo_dir / "csww_indicators_2017_to_2025.csv")
    assert max(years(csww, "950")) == 2020 and min(years(csww, "960")) == 2021
    cla = _read(demo_dir / "cla_number_and_rate_per_10k_children.csv")
    old = cla[cla.old_la_code == "950"]
    assert set(old[old.time_period != "2021"].children_count) == {"z"}
    assert set(old[old.time_period != "2021"].population_estimate) == {"x"}
    assert set(cla[(cla.old_la_code == "960") & (cla.time_period == "2021")].children_count) == {"z"}


def test_statistical_neighbours(demo_dir):
    sn = _read(demo_dir / "sn_model_2025_wide.csv")
    current = {c.la_code for c in demo.DEMO_COUNCILS if c.role != "predecessor"}
    assert set(sn.old_la_code) == current and len(sn) == 14
    rank = {"Extremely close": 0, "Very close": 1, "Close ": 2, "Somewhat close": 3, "Not close": 4}
    for _, r in sn.iterrows():
        codes = [r[f"SN_{i}"] for i in range(1, 11)]
        labels = [rank[r[f"SN_{i}P"]] for i in range(1, 11)]
        assert len(set(codes)) == 10 and r.old_la_code not in codes and set(codes) <= current
        assert labels == sorted(labels)


def test_describe_demo_names_councils():
    text = demo.describe_demo()
    for c in demo.DEMO_COUNCILS:
        assert c.name in text and c.la_code in text
    for _, name, _ in demo.DEMO_REGIONS:
        assert name in text


def test_demo_names_are_not_real_councils():
    real = REAL_DIR / "LTLA-UTLA_Apr23_Lookup_England-Wales.csv"
    if not real.exists():
        pytest.skip("lookup not present")
    with open(real, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    names = {r["UTLA23NM"] for r in rows} | {r["LTLA23NM"] for r in rows}
    assert not names & {c.name for c in demo.DEMO_COUNCILS}


# ---------------------------------------------------------------------------
# The outcome, child protection, placement and sufficiency files
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", _outcome_files())
def test_outcome_file_is_read_as_its_real_publication(demo_dir, name):
    from helpers.loaders import identify, load
    real = REAL_DIR / name
    if not real.exists():
        pytest.skip(f"real file {real} not present")
    pub = identify(demo_dir / name)
    assert pub == identify(real)
    _, demo_obs = load(demo_dir / name)
    _, real_obs = load(real)
    # the demo carries the real file's measures (a demo may lack a breakdown with no children in it)
    assert set(demo_obs["measure"]) <= set(real_obs["measure"]) and len(set(demo_obs["measure"])) > 0.9 * len(
        set(real_obs["measure"]))


@pytest.mark.parametrize("name", ["absence_la.csv", "ks2_la.csv", "ks4_la.csv"])
def test_school_outcome_files_use_academic_years(demo_dir, name):
    df = _read(demo_dir / name)
    assert set(df.time_identifier) == {"Academic year"}
    assert set(df.time_period) == {"201819", "201920", "202021", "202122", "202223", "202324", "202425"}
    la = df[df.geographic_level == "Local authority"]
    value_cols = [c for c in df.columns if c.startswith(("t_", "pt_", "avg_", "p8score"))]
    for col in value_cols:
        assert all(v in CODES or _num(v) is not None for v in la[col]), (name, col)


def test_school_outcomes_missing_in_the_covid_years_as_in_the_real_files(demo_dir):
    absence = _read(demo_dir / "absence_la.csv")
    assert set(absence.loc[absence.time_period == "201920", "pt_overall"]) == {"x"}
    ks2 = _read(demo_dir / "ks2_la.csv")
    assert set(ks2.loc[ks2.time_period.isin(["201920", "202021"]), "pt_rwm_met_expected_standard"]) == {"x"}


def test_island_council_has_no_children_looked_after_in_the_outcome_files(demo_dir):
    health = _read(demo_dir / "la_conviction_health_outcome_cla.csv")
    island = health[health.la_name == "Isle of Gannet"]
    assert set(island.children_percent) == {"z"}
    ks4 = _read(demo_dir / "ks4_la.csv")
    cla = ks4[(ks4.la_name == "Isle of Gannet") & (ks4.social_care_group == "CLA 12 months at 31 March")]
    assert set(cla.t_pupils) == {"0"}


def test_demo_builds_every_new_measure_with_regions_and_england(demo_store):
    new = [i for i in demo_store.catalogue if i.section == "cla_outcomes" or i.id.startswith(
        ("cp_s47", "cp_icpc", "cp_injury", "np_", "pc_", "ceased_", "suff_", "fd_factor_", "sp_csc_share"))]
    assert len(new) >= 45
    table = demo_store.indicators
    for ind in new:
        rows = table[(table["indicator"] == ind.id) & (table["status"] == "ok")]
        assert {"la", "regional", "national"} <= set(rows["level"]), ind.id
        assert rows[rows["level"] == "la"]["area_code"].nunique() >= 3, ind.id


def test_demo_files_written_by_another_version_are_written_again(tmp_path, monkeypatch):
    """An upgrade that adds publications must give the demo their files: the
    demo folder names the generator that wrote it, and a different one (or
    none, as before the stamp existed) has it written again, whole."""
    from helpers import store
    monkeypatch.setenv("SCRUTINY_DATA_DIR", str(tmp_path / "data"))
    raw = store.demo_data()
    names = sorted(p.name for p in raw.iterdir())
    assert (raw / store.DEMO_STAMP).read_text().strip() == demo.generator_version()
    first = (raw / names[1]).stat().st_mtime_ns
    assert store.demo_data() == raw and (raw / names[1]).stat().st_mtime_ns == first   # current: left alone
    # an older demo: one publication missing, no stamp
    (raw / store.DEMO_STAMP).unlink()
    lost = next(p for p in raw.iterdir() if "health" in p.name.lower() or "c4" in p.name.lower())
    lost.unlink()
    store.demo_data()
    assert sorted(p.name for p in raw.iterdir()) == names
    assert not [p for p in raw.parent.iterdir() if p.name.startswith(".demo")]   # nothing left beside it
