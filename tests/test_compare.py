"""The comparison engine (helpers.compare).

Two kinds of test: a small hand-built store (pandas frames, duck-typed) for
the rules, and the real DfE store (``real_store`` from conftest, built from
../shared/data/dfe) where rank, band, neighbour mean, funnel limits and trend
are recomputed here in plain pandas/numpy and must agree with the engine.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.compare import (FUNNEL_CLASSES, Comparison, band_from_rank, classify_funnel, compare_all,
                             compare_council, compare_indicator, estimate_overdispersion, funnel_curve,
                             funnel_limits, monthly_profile, rank_values, rolling_12_month, trend_test,
                             year_on_year)
from helpers.indicators import load_catalogue

CAT = load_catalogue()
Z95, Z998 = 1.959963984540054, 3.090232306167813


# --------------------------------------------------------------------------- a small hand-built store

COUNCILS = [("101", "Alpha", "E12000001"), ("102", "Beta", "E12000001"), ("103", "Gamma", "E12000001"),
            ("104", "Delta", "E12000001"), ("105", "Epsilon", "E12000001"), ("106", "Zeta", "E12000002"),
            ("107", "Eta", "E12000002"), ("108", "Theta", "E12000002"),
            ("314", "Kingston upon Thames", "E12000002"), ("318", "Richmond upon Thames", "E12000002"),
            ("838", "Dorset", "E12000002")]
REGION_NAMES = {"E12000001": "North", "E12000002": "South"}


def small_store(seed: int = 1):
    """11 councils, 2019-2025; csww indicators have a joint 314/318 return;
    Dorset (838) starts in 2023; cp_2yr has suppressed cells."""
    rng = np.random.default_rng(seed)
    recs = []
    for iid in ["wf_caseload", "wf_agency", "cla_rate", "sp_csc_per_child", "cp_2yr"]:
        ind = CAT[iid]
        start = len(recs)
        for p in range(2019, 2026):
            t = p - 2019
            for i, (code, name, reg) in enumerate(COUNCILS):
                if code == "838" and p < 2023:
                    continue
                if iid.startswith("wf") and code in ("314", "318"):
                    continue
                if iid == "wf_caseload":
                    den = 50 + 10 * i
                    num = round(den * (14 + i * 0.5 - (0.6 * t if code == "101" else 0)))
                    val = round(num / den, 1)
                elif iid == "wf_agency":
                    den = 100 + 20 * i
                    num = round(den * (0.10 + 0.01 * i + (0.02 * t if code == "102" else 0)))
                    val = round(100 * num / den, 1)
                elif iid == "cla_rate":
                    den = 50000 + 5000 * i
                    num = int(rng.poisson(den * (60 + 3 * i) / 1e4))
                    val = round(num / den * 1e4)
                elif iid == "cp_2yr":
                    den = 200 + 10 * i
                    num = int(rng.binomial(den, 0.04))
                    val = round(100 * num / den, 1)
                else:
                    den = 50000 + 5000 * i
                    num = den * (1200 + 40 * i)
                    val = round(num / den)
                status = "c" if iid == "cp_2yr" and num < 8 else "ok"
                recs.append(dict(area_code=code, area_name=name, level="la", region_code=reg,
                                 region_name=REGION_NAMES[reg], period=p, indicator=iid,
                                 value=val if status == "ok" else np.nan,
                                 numerator=num if status == "ok" else np.nan,
                                 denominator=den if status == "ok" else np.nan, status=status, source=ind.source))
            if iid.startswith("wf"):
                den, num = 90.0, 90.0 * (15 if iid == "wf_caseload" else 0.2)
                recs.append(dict(area_code="314/318", area_name="Kingston upon Thames / Richmond upon Thames",
                                 level="la", region_code="E12000002", region_name="South", period=p, indicator=iid,
                                 value=round(num / den * (100 if iid == "wf_agency" else 1), 1), numerator=num,
                                 denominator=den, status="ok", source=ind.source))
        la = pd.DataFrame(recs[start:])
        scale = {"percent": 100, "per_10k": 1e4}.get(ind.unit, 1)
        for p in range(2019, 2026):
            lp = la[(la.period == p) & (la.status == "ok")]
            for lvl, code, name, sub in [("national", "E92000001", "England", lp),
                                         ("regional", "E12000001", "North", lp[lp.region_code == "E12000001"]),
                                         ("regional", "E12000002", "South", lp[lp.region_code == "E12000002"])]:
                n, d = sub.numerator.sum(), sub.denominator.sum()
                recs.append(dict(area_code=code, area_name=name, level=lvl,
                                 region_code="" if lvl == "national" else code,
                                 region_name="" if lvl == "national" else name, period=p, indicator=iid,
                                 value=round(n / d * scale, 1), numerator=n, denominator=d, status="ok",
                                 source=ind.source))
    codes = [c[0] for c in COUNCILS]
    nb = [dict(model="dfe_2025", area_code=c, rank=r, neighbour_code=codes[(i + r) % len(codes)], closeness="Close")
          for i, c in enumerate(codes) for r in range(1, 6)]
    areas = pd.DataFrame([dict(area_code=c, area_name=n, level="la", ons_code="", region_code=r,
                               region_name=REGION_NAMES[r], first_period=2023 if c == "838" else 2019,
                               last_period=2025, note="") for c, n, r in COUNCILS])
    return SimpleNamespace(indicators=pd.DataFrame(recs), neighbours=pd.DataFrame(nb), areas=areas, catalogue=CAT)


@pytest.fixture(scope="module")
def small():
    return small_store()


def test_comparison_fields_and_latest_period(small):
    c = compare_indicator(small, "101", "wf_caseload")
    assert isinstance(c, Comparison)
    assert c.period == 2025 and c.period_label == "30 September 2025"
    assert c.value == 10.4 and c.status == "ok"
    assert c.comparator_codes == ("102", "103", "104", "105", "106")
    assert c.neighbour_n == 5 and c.neighbour_min <= c.neighbour_mean <= c.neighbour_max
    assert c.rank == 1 and c.rank_n == 6 and c.band == "A"
    assert c.rag == "green" and c.better_than_neighbours is True
    assert list(c.series.columns) == ["period", "council", "council_status", "neighbour_mean", "neighbour_n",
                                      "region", "england"]
    assert {"area_code", "area_name", "value", "status", "numerator", "denominator", "is_subject"} <= set(
        c.neighbour_values.columns)
    assert c.all_council_values["is_subject"].sum() == 1
    # a steady fall of 0.6 a year on ~700 cases: a trend over five years
    assert c.trend_5.direction == "falling" and c.trend_5.judgement == "improving"


def test_mapping_of_frames_is_accepted(small):
    frames = {"indicators": small.indicators, "neighbours": small.neighbours, "areas": small.areas}
    c = compare_indicator(frames, "Alpha", "wf_caseload", period=2024)
    assert c.area_code == "101" and c.period == 2024


def test_unknown_council_and_indicator(small):
    with pytest.raises(ValueError, match="Did you mean"):
        compare_indicator(small, "Alpah", "wf_caseload")
    with pytest.raises(Exception, match="wf_caseload"):
        compare_indicator(small, "101", "wf_caselod")


def test_joint_return_used_and_counted_once(small):
    c = compare_indicator(small, "314", "wf_agency")
    assert c.data_area_code == "314/318" and c.joint_with == "Richmond upon Thames"
    assert c.value == 20.0
    # 318 is a neighbour of 314 but resolves to the same joint row: dropped
    assert "314/318" not in set(c.neighbour_values.loc[~c.neighbour_values.is_subject, "area_code"])
    assert c.neighbour_total == 4
    # among all councils the joint row counts once
    la = small.indicators.query("indicator == 'wf_agency' and period == 2025 and level == 'la'")
    assert c.position_n == la["value"].notna().sum() == 10  # 9 councils + the joint row
    # a council whose own rows exist is not joint
    assert compare_indicator(small, "314", "cla_rate").joint_with is None


def test_reorganised_council_has_fewer_points(small):
    c = compare_indicator(small, "838", "cla_rate")
    assert c.trend_3.n_points == 3 and c.trend_3.enough_years
    assert c.trend_5.direction == "not enough years"
    c22 = compare_indicator(small, "838", "cla_rate", period=2024)
    assert c22.trend_3.direction == "not enough years"


def test_suppressed_value_is_nan_and_not_ranked(small):
    ind = small.indicators
    row = ind[(ind.indicator == "cp_2yr") & (ind.status == "c") & (ind.level == "la")].iloc[0]
    c = compare_indicator(small, row.area_code, "cp_2yr", period=int(row.period))
    assert c.status == "c" and math.isnan(c.value)
    assert math.isnan(c.rank) and c.band is None and c.rag == "n/a"
    assert c.funnel.classification == "no_value"


def test_context_indicator_has_no_rag_and_ranks_highest_first(small):
    c = compare_indicator(small, "838", "sp_csc_per_child")
    assert c.rag == "n/a" and c.rag_target is None and c.better_than_neighbours is None
    assert c.rank == 1  # the highest spend of its group is rank 1 for a context indicator
    assert c.funnel.kind is None and c.funnel.classification == "no_funnel" and "not counts" in c.funnel.note


def test_region_and_custom_comparators(small):
    c = compare_indicator(small, "102", "wf_agency", comparator="region")
    assert c.comparator == "region" and set(c.comparator_codes) == {"101", "103", "104", "105"}
    c2 = compare_indicator(small, "102", "wf_agency", comparator=["101", "107"])
    assert c2.comparator == "comparator group" and c2.neighbour_n == 2
    assert c2.neighbour_mean == pytest.approx(np.mean([c2.neighbour_values.value.iloc[1],
                                                       c2.neighbour_values.value.iloc[2]]))


def test_target_rag(small):
    met = compare_indicator(small, "101", "wf_caseload", target=12)
    assert met.rag_target == "green" and met.rag == "green"
    missed = compare_indicator(small, "838", "wf_caseload", target=12)
    assert missed.rag_target == "red"          # 19.0 against 12, far beyond the 99.8% limit
    near = compare_indicator(small, "101", "wf_caseload", target=10.2)
    assert near.rag_target == "amber"          # missed by 0.2: within what chance explains


def test_compare_council_and_compare_all_agree(small):
    comps = compare_council(small, "314")
    assert {c.indicator_id for c in comps} == {"wf_caseload", "wf_agency", "cla_rate", "sp_csc_per_child", "cp_2yr"}
    table = compare_all(small)
    assert len(table) == 5 * len(COUNCILS)
    for c in comps:
        row = table[(table.area_code == "314") & (table.indicator == c.indicator_id)].iloc[0]
        assert row["value"] == pytest.approx(c.value, nan_ok=True)
        assert row["neighbour_mean"] == pytest.approx(c.neighbour_mean, nan_ok=True)
        assert row["rank"] == pytest.approx(c.rank, nan_ok=True)
        assert row["trend"] == c.trend_3.direction and row["rag"] == c.rag


def test_funnel_limits_values():
    lim = funnel_limits([100, 400], 20.0, "percent", method="normal")
    se = math.sqrt(0.2 * 0.8 / 100) * 100
    assert lim.loc[0, "upper_95"] == pytest.approx(20 + Z95 * se)
    assert lim.loc[0, "lower_998"] == pytest.approx(20 - Z998 * se)
    pois = funnel_limits([10_000], 50.0, "per_10k", method="normal")  # expected count 50
    assert pois.loc[0, "upper_95"] == pytest.approx((50 + Z95 * math.sqrt(50)) / 10_000 * 1e4)
    exact = funnel_limits([10_000], 50.0, "per_10k")
    assert exact.loc[0, "lower_95"] < 50 < exact.loc[0, "upper_95"]
    with pytest.raises(ValueError, match="not counts"):
        funnel_limits([100], 1000.0, "gbp")


def test_funnel_curve_and_classification(small):
    ind = CAT["wf_agency"]
    frame = small.indicators.query("indicator == 'wf_agency' and period == 2025 and level == 'la'")
    curve = funnel_curve(frame, ind, points=50)
    assert len(curve) == 50 and (curve["upper_998"] >= curve["upper_95"]).all()
    cls = classify_funnel(frame, ind)
    assert set(cls["funnel"]) <= {"within", "above_95", "above_99.8", "below_95", "below_99.8"}


def _simulated_councils(seed: int, spread: float):
    """150 councils' counts of a proportion around 20%, each council's true
    rate drawn with a standard deviation of ``spread``."""
    rng = np.random.default_rng(seed)
    den = np.rint(np.exp(rng.uniform(np.log(200), np.log(5000), 150)))
    true = np.clip(rng.normal(0.2, spread, 150), 0.01, 0.99) if spread else np.full(150, 0.2)
    num = rng.binomial(den.astype(int), true).astype(float)
    return num, den


def test_overdispersion_recovers_the_spread_between_councils():
    for seed in (1, 2, 3):
        num, den = _simulated_councils(seed, 0.03)
        od = estimate_overdispersion("binomial", num.sum() / den.sum(), num, den)
        assert od.adjusted and od.k == 150 and od.phi > 3 and od.p_value < 1e-6
        # The true between-council variance is 0.03^2. Winsorising at 10% and
        # 90% (as Spiegelhalter and NHS England's SHMI do) guards against
        # outlying councils but, with normally spread councils, estimates
        # about half of it; the 95% limits then hold about 7 councils in 8.
        assert 0.3 * 0.03 ** 2 < od.tau2 < 0.8 * 0.03 ** 2, (seed, od)
        rate = num / den * 100
        lim = funnel_limits(den, num.sum() / den.sum() * 100, "percent", tau2=od.tau2)
        chance = funnel_limits(den, num.sum() / den.sum() * 100, "percent")
        outside = ((rate > lim["upper_95"]) | (rate < lim["lower_95"])).mean()
        assert 0.05 < outside < 0.2
        assert ((rate > chance["upper_95"]) | (rate < chance["lower_95"])).mean() > 0.3


def test_no_adjustment_when_chance_explains_the_spread():
    num, den = _simulated_councils(4, 0.0)
    od = estimate_overdispersion("binomial", num.sum() / den.sum(), num, den)
    assert od.p_value > 0.05 and od.tau2 == 0 and not od.adjusted
    assert 0.5 < od.phi < 1.2
    frame = pd.DataFrame({"value": num / den * 100, "numerator": num, "denominator": den})
    with_od = classify_funnel(frame, CAT["wf_agency"])
    without = classify_funnel(frame, CAT["wf_agency"], overdispersion=False)
    assert (with_od["funnel"] == without["funnel"]).all()
    assert with_od["upper_95"].to_numpy() == pytest.approx(without["upper_95"].to_numpy())
    # too few councils to judge: no adjustment
    assert estimate_overdispersion("binomial", 0.2, num[:9], den[:9]).tau2 == 0
    assert estimate_overdispersion(None, 0.2, num, den).tau2 == 0


def test_overdispersed_limits_add_the_spread_to_each_half_width():
    tau2 = 0.03 ** 2
    chance = funnel_limits([100, 400, 10_000], 20.0, "percent", method="normal")
    wide = funnel_limits([100, 400, 10_000], 20.0, "percent", method="normal", tau2=tau2)
    for n, row in zip((100, 400, 10_000), wide.itertuples()):
        # with normal limits this is Spiegelhalter's 0.2 +/- z sqrt(s^2 + tau^2)
        s2 = 0.2 * 0.8 / n
        assert row.upper_95 == pytest.approx((0.2 + Z95 * math.sqrt(s2 + tau2)) * 100)
        assert row.lower_998 == pytest.approx((0.2 - Z998 * math.sqrt(s2 + tau2)) * 100)
    assert (wide["upper_95"] > chance["upper_95"]).all() and (wide["lower_95"] < chance["lower_95"]).all()
    # the funnel no longer closes on the target: at a very large council the
    # 95% limits are still about +/- 1.96 tau
    assert wide.loc[2, "upper_95"] - 20 == pytest.approx(Z95 * 3.0, rel=0.02)
    # exact Poisson limits keep their asymmetry and stay at or above zero
    pois = funnel_limits([50, 5000], 20.0, "per_10k", tau2=1e-6)
    assert (pois["lower_998"] >= 0).all()
    assert pois.loc[1, "upper_95"] - 20 > 20 - pois.loc[1, "lower_95"]


def test_real_funnels_allow_for_the_spread_between_councils(real_store):
    # Referral rates differ between councils far beyond chance: with chance
    # limits most councils are "outliers", which tells members nothing.
    chance = compare_all(real_store, indicators=["fd_referral_rate", "ps_longterm"], overdispersion=False)
    adjusted = compare_all(real_store, indicators=["fd_referral_rate", "ps_longterm"])
    outside = ["above_95", "above_99.8", "below_95", "below_99.8"]

    def share(table, iid):
        part = table[(table.indicator == iid) & table.funnel.isin(FUNNEL_CLASSES)].drop_duplicates("data_area_code")
        return part.funnel.isin(outside).mean(), len(part)

    chance_share, n = share(chance, "fd_referral_rate")
    adjusted_share, n2 = share(adjusted, "fd_referral_rate")
    assert n == n2 == 153
    assert chance_share > 0.8 and 0.05 < adjusted_share < 0.25
    c = compare_indicator(real_store, "838", "fd_referral_rate")
    plain = compare_indicator(real_store, "838", "fd_referral_rate", overdispersion=False)
    assert c.funnel.overdispersed and c.funnel.phi > 10
    assert c.funnel.upper_95 - c.funnel.lower_95 > 2 * (plain.funnel.upper_95 - plain.funnel.lower_95)
    assert c.funnel.target == pytest.approx(plain.funnel.target)
    # the council's limits are the chance limits widened by tau^2 (per 10,000 children)
    t = c.funnel.target
    assert c.funnel.upper_95 - t == pytest.approx(
        math.sqrt((plain.funnel.upper_95 - t) ** 2 + Z95 ** 2 * c.funnel.tau2 * 1e8))
    expected = ("below_99.8" if c.value < c.funnel.lower_998 else "below_95" if c.value < c.funnel.lower_95
                else "above_99.8" if c.value > c.funnel.upper_998 else "above_95" if c.value > c.funnel.upper_95
                else "within")
    assert c.funnel.classification == expected


def test_trend_needs_more_than_noise():
    ind = CAT["fd_rereferral"]
    noisy = pd.DataFrame({"period": [2023, 2024, 2025], "value": [20.0, 21.0, 20.5],
                          "numerator": [200, 210, 205], "denominator": [1000, 1000, 1000]})
    assert trend_test(noisy, ind).direction == "no clear trend"
    real = pd.DataFrame({"period": [2023, 2024, 2025], "value": [20.0, 25.0, 30.0],
                         "numerator": [2000, 2500, 3000], "denominator": [10000, 10000, 10000]})
    t = trend_test(real, ind)
    assert t.direction == "rising" and t.judgement == "worsening" and t.change == pytest.approx(10.0)
    # tiny but "significant" with huge denominators: not a meaningful change
    tiny = pd.DataFrame({"period": [2023, 2024, 2025], "value": [20.0, 20.2, 20.4],
                         "numerator": [200_000, 202_000, 204_000], "denominator": [1e6, 1e6, 1e6]})
    assert trend_test(tiny, ind).direction == "no clear trend"
    # no counts: OLS slope; three points almost on a line
    ols = pd.DataFrame({"period": [2023, 2024, 2025], "value": [3.0, 4.0, 5.01]})
    t = trend_test(ols, CAT["wf_absence"])
    assert t.method == "OLS slope" and t.direction == "rising"
    assert trend_test(ols.iloc[1:], CAT["wf_absence"]).direction == "not enough years"


# --------------------------------------------------------------------------- monthly helpers

def _monthly():
    months = pd.period_range("2022-01", "2024-12", freq="M").astype(str)
    rows = []
    for team in ("East", "West"):
        for k, m in enumerate(months):
            rows.append({"month": m, "team": team, "value": 100 + k + (10 if m.endswith("-07") else 0)})
    return pd.DataFrame(rows)


def test_year_on_year_by_month():
    yoy = year_on_year(_monthly(), by="team")
    jan23 = yoy[(yoy.team == "East") & (yoy.month == "2023-01")].iloc[0]
    assert jan23["value_last_year"] == 100 and jan23["yoy_change"] == 12
    assert yoy[(yoy.month == "2022-05")]["value_last_year"].isna().all()


def test_rolling_12_month_needs_12_consecutive_months():
    df = _monthly()
    r = rolling_12_month(df, by="team")
    east = r[r.team == "East"].reset_index(drop=True)
    assert east.loc[:10, "rolling_12m"].isna().all()
    assert east.loc[11, "rolling_12m"] == pytest.approx(np.mean(east.loc[:11, "value"]))
    gap = df[~((df.team == "East") & (df.month == "2023-06"))]
    r2 = rolling_12_month(gap, by="team")
    e2 = r2[r2.team == "East"].set_index("month")["rolling_12m"]
    assert math.isnan(e2["2023-07"]) and math.isnan(e2["2024-05"]) and not math.isnan(e2["2024-06"])
    dt = df.assign(month=pd.to_datetime(df["month"]))
    assert rolling_12_month(dt, by="team")["rolling_12m"].notna().sum() == 2 * 25


def test_monthly_profile():
    prof = monthly_profile(_monthly(), by="team")
    july = prof[(prof.team == "East") & (prof.calendar_month == 7)].iloc[0]
    assert july["month_name"] == "July" and july["years"] == 3


# --------------------------------------------------------------------------- properties

@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60, unique=True))
def test_rank_order_flips_with_polarity(values):
    up = rank_values(values, "higher_is_better")
    down = rank_values(values, "lower_is_better")
    assert np.array_equal(up + down, np.full(len(values), len(values) + 1.0))
    assert np.array_equal(rank_values(values, "context"), up)


@given(st.integers(1, 400))
def test_bands_cover_all_and_are_balanced(n):
    bands = band_from_rank(np.arange(1, n + 1), n)
    counts = pd.Series(bands).value_counts()
    assert set(counts.index) <= set("ABCD") and counts.sum() == n
    if n >= 4:
        assert set(counts.index) == set("ABCD")
        assert counts.max() - counts.min() <= 1
    assert list(bands) == sorted(bands)  # better rank, better or equal band


@given(st.lists(st.floats(-100, 100, allow_nan=False), min_size=1, max_size=40))
def test_tied_values_share_band(values):
    values = [round(v) for v in values]
    r = rank_values(values, "higher_is_better")
    b = band_from_rank(r, len(values))
    for v in set(values):
        assert len({b[i] for i, x in enumerate(values) if x == v}) == 1


@settings(max_examples=60)
@given(st.floats(0.5, 99.5), st.lists(st.floats(5, 100_000), min_size=2, max_size=20),
       st.sampled_from(["wilson", "normal"]))
def test_binomial_limits_widen_as_denominators_shrink(target, dens, method):
    dens = sorted(dens)
    lim = funnel_limits(dens, target, "percent", method=method)
    assert np.all(np.diff(lim["upper_95"]) <= 1e-9) and np.all(np.diff(lim["lower_95"]) >= -1e-9)
    assert np.all(np.diff(lim["upper_998"]) <= 1e-9) and np.all(np.diff(lim["lower_998"]) >= -1e-9)
    assert (lim["upper_998"] >= lim["upper_95"] - 1e-9).all() and (lim["lower_998"] <= lim["lower_95"] + 1e-9).all()


@settings(max_examples=40)
@given(st.floats(5, 95), st.lists(st.floats(100, 100_000), min_size=1, max_size=10))
def test_exact_binomial_limits_bracket_the_target(target, dens):
    # exact (interpolated) limits step with the integer count, so they are not
    # strictly monotone; with an expected count of 5 or more they bracket the target
    lim = funnel_limits(dens, target, "percent", method="exact")
    assert (lim["lower_998"] <= lim["lower_95"] + 1e-9).all() and (lim["lower_95"] <= target).all()
    assert (lim["upper_95"] >= target).all() and (lim["upper_998"] >= lim["upper_95"] - 1e-9).all()


@settings(max_examples=60)
@given(st.floats(1, 1000), st.lists(st.floats(1_000, 1e6), min_size=2, max_size=20))
def test_poisson_limits_widen_as_denominators_shrink(rate, dens):
    dens = sorted(dens)
    lim = funnel_limits(dens, rate, "per_10k")
    assert np.all(np.diff(lim["upper_95"]) <= 1e-9) and np.all(np.diff(lim["lower_95"]) >= -1e-9)
    assert (lim["lower_95"] <= rate).all() and (lim["upper_95"] >= rate).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=6, max_size=6))
def test_neighbour_mean_between_min_and_max(values):
    codes = ["A01", "A02", "A03", "A04", "A05", "A06"]
    rows = [dict(area_code=c, area_name=c, level="la", region_code="R", region_name="R", period=2025,
                 indicator="wf_agency", value=np.nan if v is None else v, numerator=np.nan, denominator=np.nan,
                 status="c" if v is None else "ok", source="csww") for c, v in zip(codes, values)]
    nb = pd.DataFrame([dict(model="dfe_2025", area_code="A01", rank=r, neighbour_code=c, closeness="Close")
                       for r, c in enumerate(codes[1:], 1)])
    store = SimpleNamespace(indicators=pd.DataFrame(rows), neighbours=nb, areas=None, catalogue=CAT)
    c = compare_indicator(store, "A01", "wf_agency", period=2025)
    got = [v for v in values[1:] if v is not None]
    assert c.neighbour_n == len(got)
    if got:
        assert c.neighbour_min - 1e-9 <= c.neighbour_mean <= c.neighbour_max + 1e-9
        assert c.neighbour_min - 1e-9 <= c.neighbour_median <= c.neighbour_max + 1e-9
    else:
        assert math.isnan(c.neighbour_mean)


# --------------------------------------------------------------------------- real data, checked independently

def _la(store, iid, period):
    t = store.indicators
    return t[(t.indicator == iid) & (t.level == "la") & (t.period == period)]


def _neighbours(store, code):
    nb = store.neighbours
    nb = nb[(nb.model == "dfe_2025") & (nb.area_code == code)].sort_values("rank")
    return list(nb.neighbour_code.astype(str))


@pytest.mark.parametrize("code,iid", [("838", "fd_rereferral"), ("878", "cla_rate"), ("885", "cp_repeat"),
                                      ("204", "fd_referral_rate"), ("940", "cin_rate"), ("838", "ps_longterm")])
def test_real_rank_band_neighbour_mean(real_store, code, iid):
    ind = real_store.catalogue[iid]
    c = compare_indicator(real_store, code, iid)
    la = _la(real_store, iid, c.period)
    vals = la.set_index("area_code")["value"].where(la.set_index("area_code")["status"] == "ok")
    nbv = vals.reindex(_neighbours(real_store, code)).dropna()
    assert c.neighbour_n == len(nbv)
    assert c.neighbour_mean == pytest.approx(nbv.mean())
    assert c.neighbour_median == pytest.approx(nbv.median())
    # rank among the council and its neighbours, 1 = best
    better = (nbv > vals[code]) if ind.polarity != "lower_is_better" else (nbv < vals[code])
    assert c.rank == 1 + better.sum() and c.rank_n == len(nbv) + 1
    # position and band among all councils
    allv = vals.dropna()
    better_all = (allv > vals[code]) if ind.polarity != "lower_is_better" else (allv < vals[code])
    pos = 1 + better_all.sum()
    assert c.position == pos and c.position_n == len(allv)
    assert c.band == "ABCD"[min(3, (4 * (pos - 1)) // len(allv))]
    eng = real_store.indicators.query("indicator == @iid and level == 'national' and period == @c.period")
    assert c.england == pytest.approx(float(eng.value.iloc[0]))


def test_real_dorset_caseload_matches_the_data_guide(real_store):
    c = compare_indicator(real_store, "838", "wf_caseload")
    assert c.period == 2025 and c.value == pytest.approx(13.4) and c.england == pytest.approx(15.2)
    assert compare_indicator(real_store, "838", "wf_caseload", period=2019).value == pytest.approx(17.6)
    assert compare_indicator(real_store, "878", "wf_agency").value == pytest.approx(24.3)


def test_real_funnel_limits_recomputed(real_store):
    # chance limits (no allowance for the spread between councils)
    c = compare_indicator(real_store, "838", "fd_rereferral", overdispersion=False)
    assert c.funnel.tau2 == 0 and not c.funnel.overdispersed
    la = _la(real_store, "fd_rereferral", c.period)
    ok = la[(la.status == "ok") & la.numerator.notna() & la.denominator.notna() & (la.denominator > 0)]
    p0 = ok.numerator.sum() / ok.denominator.sum()
    n = c.denominator
    for z, lo, hi in [(Z95, c.funnel.lower_95, c.funnel.upper_95), (Z998, c.funnel.lower_998, c.funnel.upper_998)]:
        centre = (2 * n * p0 + z * z) / (2 * (n + z * z))
        half = z * math.sqrt(z * z + 4 * n * p0 * (1 - p0)) / (2 * (n + z * z))
        assert lo == pytest.approx((centre - half) * 100) and hi == pytest.approx((centre + half) * 100)
    assert c.funnel.target == pytest.approx(p0 * 100)
    expected = ("below_99.8" if c.value < c.funnel.lower_998 else "below_95" if c.value < c.funnel.lower_95
                else "above_99.8" if c.value > c.funnel.upper_998 else "above_95" if c.value > c.funnel.upper_95
                else "within")
    assert c.funnel.classification == expected
    # Poisson (caseload: cases with FTE as exposure), exact chi-squared limits
    from scipy import stats
    k = compare_indicator(real_store, "878", "wf_caseload", overdispersion=False)
    la = _la(real_store, "wf_caseload", k.period)
    ok = la[(la.status == "ok") & la.numerator.notna() & (la.denominator > 0)]
    rate = ok.numerator.sum() / ok.denominator.sum()
    mu = rate * k.denominator
    assert k.funnel.upper_95 == pytest.approx(stats.chi2.ppf(0.975, 2 * (mu + 1)) / 2 / k.denominator)
    assert k.funnel.lower_95 == pytest.approx(stats.chi2.ppf(0.025, 2 * mu) / 2 / k.denominator)


def test_real_trend_chi_squared_recomputed(real_store):
    c = compare_indicator(real_store, "838", "fd_rereferral")
    t = real_store.indicators
    s = t[(t.indicator == "fd_rereferral") & (t.area_code == "838") & t.period.between(c.period - 2, c.period)]
    s = s.sort_values("period")
    x = (s.period - c.period).to_numpy(float)
    r, n = s.numerator.to_numpy(float), s.denominator.to_numpy(float)
    p = r.sum() / n.sum()
    T = (x * (r - n * p)).sum()
    var = p * (1 - p) * ((n * x * x).sum() - (n * x).sum() ** 2 / n.sum())
    from scipy import stats
    pval = 2 * stats.norm.sf(abs(T / math.sqrt(var)))
    assert c.trend_3.p_value == pytest.approx(pval)
    assert c.trend_3.method.startswith("chi-squared")
    change = T / ((n * x * x).sum() - (n * x).sum() ** 2 / n.sum()) * 2 * 100
    assert c.trend_3.change == pytest.approx(change)
    is_trend = pval < 0.05 and abs(change) >= 1.0 and abs(change) > Z95 * math.sqrt(p * (1 - p) * 2 / n.mean()) * 100
    assert c.trend_3.is_trend == is_trend


def test_real_joint_return_kingston(real_store):
    c = compare_indicator(real_store, "314", "wf_agency")
    joint = _la(real_store, "wf_agency", c.period).set_index("area_code").loc["314/318"]
    assert c.data_area_code == "314/318" and c.joint_with == "Richmond upon Thames"
    assert c.value == pytest.approx(joint.value)
    la = _la(real_store, "wf_agency", c.period)
    assert c.position_n == la[la.status == "ok"].value.notna().sum()  # the joint row once
    r = compare_indicator(real_store, "318", "wf_agency")
    assert r.value == c.value and r.joint_with == "Kingston upon Thames"
    n = compare_indicator(real_store, "940", "wf_caseload")
    assert n.joint_with == "West Northamptonshire"


def test_real_reorganised_and_missing(real_store):
    cum = compare_indicator(real_store, "942", "cin_rate")  # Cumberland from 2024
    assert cum.trend_3.direction == "not enough years" and cum.trend_3.n_points == 2
    dorset = compare_indicator(real_store, "838", "fd_rereferral")  # from 2020
    assert dorset.series.loc[dorset.series.period < 2020, "council"].isna().all()
    assert dorset.trend_5.enough_years
    hackney = compare_indicator(real_store, "204", "cin_rate", period=2022)
    assert hackney.status == "x" and math.isnan(hackney.value) and math.isnan(hackney.rank)
    devon = compare_indicator(real_store, "878", "cp_2yr")
    assert devon.status == "c" and math.isnan(devon.value) and devon.rag == "n/a"
    # Hackney 2025's five-year window lacks 2021 and 2022: only 3 of 5 points
    assert compare_indicator(real_store, "204", "cin_rate").trend_5.direction == "not enough years"


def test_real_compare_all_shape_and_agreement(real_store):
    import time
    t0 = time.perf_counter()
    table = compare_all(real_store)
    elapsed = time.perf_counter() - t0
    assert len(table) == 153 * len(real_store.catalogue)
    assert elapsed < 10  # the benchmark (benchmarks/bench_compare.py) checks the 2 s goal
    for code in ("838", "314", "942", "204"):
        for c in compare_council(real_store, code, indicators=["wf_caseload", "fd_rereferral", "cla_rate",
                                                               "cp_2yr", "sp_csc_per_child"]):
            row = table[(table.area_code == code) & (table.indicator == c.indicator_id)].iloc[0]
            assert row["value"] == pytest.approx(c.value, nan_ok=True)
            assert row["neighbour_mean"] == pytest.approx(c.neighbour_mean, nan_ok=True)
            assert row["rank"] == pytest.approx(c.rank, nan_ok=True)
            assert row["position"] == pytest.approx(c.position, nan_ok=True)
            assert (row["band"] if isinstance(row["band"], str) else None) == c.band
            assert row["trend"] == c.trend_3.direction and row["rag"] == c.rag
            assert row["funnel"] == c.funnel.classification
    # bands cover every council with a value and are balanced, up to ties (tied councils share a band)
    once = table.drop_duplicates(["indicator", "data_area_code"])
    assert (once["band"].notna() == once["value"].notna()).all()
    for iid, part in once.dropna(subset=["band"]).groupby("indicator"):
        counts = part["band"].value_counts()
        largest_tie = int(part["value"].value_counts().max())
        # a band can gain a tie group at its lower edge and lose one at its upper edge
        assert counts.max() - counts.min() <= 1 + 2 * largest_tie, iid
