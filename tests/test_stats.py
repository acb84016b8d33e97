"""The statistics (helpers.stats): each rule on a small hand-built store, the
same rules recomputed independently on the real releases, and the two views
of the one engine (one council, all councils) agreeing on every field."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import stats
from helpers.errors import UnknownCouncilError, UnknownIndicatorError
from helpers.stats import (Comparison, bands_by_value, classify_funnel, comparability, compare_all,
                           compare_council, compare_indicator, competition_ranks, estimate_overdispersion,
                           funnel_curve, funnel_limits, monthly_profile, quartile_cuts, rolling_12_month, tied,
                           trend_test, year_on_year)
from stores import CAT, COUNCILS, small_store

Z95, Z998 = 1.959963984540054, 3.090232306167813


@pytest.fixture(scope="module")
def small():
    return small_store()


# --------------------------------------------------------------------------- one council, by rule

def test_comparison_fields_and_latest_period(small):
    c = compare_indicator(small, "101", "wf_caseload")
    assert isinstance(c, Comparison)
    assert c.period == 2025 and c.period_label == "30 September 2025"
    assert c.value == 10.4 and c.status == "ok" and c.comparable
    assert c.comparator_codes == ("102", "103", "104", "105", "106")
    assert c.neighbour_n == 5 and c.neighbour_min <= c.neighbour_mean <= c.neighbour_max
    assert c.rank == 1 and c.rank_n == 6 and not c.rank_tied and c.band == "A"
    assert c.rag == "green" and c.better_than_neighbours is True
    assert {"period", "council", "council_status", "neighbour_mean", "neighbour_n", "region", "england"} <= set(
        c.series.columns)
    assert {"area_code", "area_name", "value", "status", "numerator", "denominator", "is_subject",
            "comparable"} <= set(c.neighbour_values.columns)
    assert c.all_council_values["is_subject"].sum() == 1
    # a steady fall of 0.6 a year on ~700 cases: a trend over five years, every year
    assert c.trend_5.direction == "falling" and c.trend_5.judgement == "improving" and c.trend_5.steady


def test_mapping_of_frames_is_accepted(small):
    frames = {"indicators": small.indicators, "neighbours": small.neighbours, "areas": small.areas}
    c = compare_indicator(frames, "Alpha", "wf_caseload", period=2024)
    assert c.area_code == "101" and c.period == 2024


def test_unknown_council_indicator_and_period(small):
    with pytest.raises(UnknownCouncilError, match="Did you mean"):
        compare_indicator(small, "Alpah", "wf_caseload")
    with pytest.raises(UnknownIndicatorError, match="wf_caseload"):
        compare_indicator(small, "101", "wf_caselod")
    with pytest.raises(stats.NoFiguresError, match="2019 to 2025|2019, 2020"):
        compare_indicator(small, "101", "wf_caseload", period=2031)


def test_joint_return_used_and_counted_once(small):
    c = compare_indicator(small, "314", "wf_agency")
    assert c.data_area_code == "314/318" and c.joint_with == "Richmond upon Thames"
    assert c.value == 20.0
    # 318 is a neighbour of 314 but resolves to the same joint row: dropped, and named
    assert "318" in c.dropped_joint
    assert "314/318" not in set(c.neighbour_values.loc[~c.neighbour_values.is_subject, "area_code"])
    assert c.neighbour_total == 4
    # among all councils the joint row counts once
    la = small.indicators.query("indicator == 'wf_agency' and period == 2025 and level == 'la'")
    assert c.position_n == la["value"].notna().sum() == 10  # 9 councils + the joint row
    assert compare_indicator(small, "314", "cla_rate").joint_with is None


def test_reorganised_council_has_fewer_points(small):
    c = compare_indicator(small, "838", "cla_rate")
    assert c.trend_3.n_points == 3 and c.trend_3.enough_years
    assert c.trend_5.direction == "too_few" or c.trend_5.n_points == 3
    c24 = compare_indicator(small, "838", "cla_rate", period=2024)
    assert c24.trend_3.direction == "too_few"


def test_suppressed_value_is_nan_and_not_ranked(small):
    ind = small.indicators
    row = ind[(ind.indicator == "cp_2yr") & (ind.status == "c") & (ind.level == "la")].iloc[0]
    c = compare_indicator(small, row.area_code, "cp_2yr", period=int(row.period))
    assert c.status == "c" and math.isnan(c.value)
    assert math.isnan(c.rank) and c.band is None and c.rag == "n/a"
    assert c.funnel.classification == "no_value"


def test_context_indicator_is_not_ranked_banded_or_rated(small):
    c = compare_indicator(small, "838", "sp_csc_per_child")
    assert c.rag == "n/a" and c.rag_target is None and c.better_than_neighbours is None
    assert math.isnan(c.rank) and c.rank_n == 0 and math.isnan(c.position) and c.band is None
    assert c.funnel.kind is None and c.funnel.classification == "no_funnel"
    assert c.funnel.no_funnel_reason == "money"
    assert c.vs_neighbours in ("higher", "lower", "similar")  # still compared, in words without polarity


def test_region_and_custom_comparators(small):
    c = compare_indicator(small, "102", "wf_agency", comparator="region")
    assert c.comparator == "region" and set(c.comparator_codes) == {"101", "103", "104", "105"}
    c2 = compare_indicator(small, "102", "wf_agency", comparator=["101", "107"])
    assert c2.comparator == "comparator group" and c2.neighbour_n == 2
    assert c2.neighbour_mean == pytest.approx(np.mean(c2.neighbour_values.value.iloc[1:3]))
    # the rank within the region is the rank among the same councils
    assert c2.region_rank == c.rank and c2.region_rank_n == c.rank_n


def test_no_neighbours_means_no_rank(small):
    lone = SimpleNamespace(indicators=small.indicators, neighbours=small.neighbours[small.neighbours.area_code != "101"],
                           areas=small.areas, catalogue=CAT)
    c = compare_indicator(lone, "101", "wf_caseload")
    assert c.neighbour_total == 0 and math.isnan(c.rank) and math.isnan(c.neighbour_mean)
    assert c.rag == "n/a" and not math.isnan(c.position)


def test_target_rag(small):
    met = compare_indicator(small, "101", "wf_caseload", target=12)
    assert met.rag_target == "green" and met.rag == "green"
    missed = compare_indicator(small, "838", "wf_caseload", target=12)
    assert missed.rag_target == "red"          # 19.0 against 12, far beyond the 99.8% limit
    near = compare_indicator(small, "101", "wf_caseload", target=10.2)
    assert near.rag_target == "amber"          # missed by 0.2: within what chance explains


def test_compare_council_never_takes_a_later_period(small):
    comps = compare_council(small, "314", period=2022)
    assert comps and all(c.period <= 2022 for c in comps)
    assert {c.indicator_id for c in compare_council(small, "314")} == {
        "wf_caseload", "wf_agency", "cla_rate", "sp_csc_per_child", "cp_2yr"}


# --------------------------------------------------------------------------- small numbers

def _one_indicator_store(iid, rows, polarity_check=True):
    """Councils A00..A39 with value/numerator/denominator for one indicator,
    each neighbour of the next five."""
    recs = [dict(area_code=f"A{k:02d}", area_name=f"Council {k}", level="la", region_code="E12000001",
                 region_name="North", period=2025, indicator=iid, value=v, numerator=n, denominator=d,
                 status="ok" if v == v else "c", source="x") for k, (v, n, d) in enumerate(rows)]
    recs.append(dict(area_code="E92000001", area_name="England", level="national", region_code="", region_name="",
                     period=2025, indicator=iid, value=float(np.nanmean([r[0] for r in rows])), numerator=np.nan,
                     denominator=np.nan, status="ok", source="x"))
    codes = [r["area_code"] for r in recs[:-1]]
    nb = pd.DataFrame([dict(model="dfe_2025", area_code=c, rank=j, neighbour_code=codes[(i + j) % len(codes)],
                            closeness="Close") for i, c in enumerate(codes) for j in range(1, 6)])
    return SimpleNamespace(indicators=pd.DataFrame(recs), neighbours=nb, areas=None, catalogue=CAT)


def test_comparability_rule():
    pct = CAT["wf_agency"]
    ok, why = comparability(pct, [50, 50, 50, 50], [10, 9.5, 1, np.nan], [20, 19, 2, np.nan], True)
    assert ok.tolist() == [True, False, False, False]
    assert why.tolist() == ["", "small_denominator", "small_denominator", "suppressed_counts"]
    rate = CAT["cla_rate"]
    ok, why = comparability(rate, [60, 60], [10, 9], [1700, 1500], True)
    assert ok.tolist() == [True, False] and why[1] == "small_count"
    ratio = CAT["wf_caseload"]
    assert comparability(ratio, [6.0, 15.0], [6, 75], [1, 5], True)[0].tolist() == [False, True]
    money = CAT["sp_csc_per_child"]
    assert comparability(money, [1200.0], [np.nan], [np.nan], True)[0].tolist() == [True]
    # a measure whose release gives no counts at all is not "suppressed"
    assert comparability(CAT["wf_absence"], [3.0], [np.nan], [np.nan], False)[0].tolist() == [True]


def test_small_figures_get_no_rank_band_or_rating_and_leave_others_ranks():
    rows = [(10.0 + k, 10.0 + k, 100.0) for k in range(30)] + [(100.0, 2.0, 2.0)]
    store = _one_indicator_store("wf_agency", rows)
    tiny = compare_indicator(store, "A30", "wf_agency")
    assert not tiny.comparable and tiny.small_reason == "small_denominator"
    assert math.isnan(tiny.rank) and math.isnan(tiny.position) and tiny.band is None
    assert tiny.rag == "n/a" and tiny.vs_neighbours is None and tiny.better_than_neighbours is None
    assert tiny.funnel.classification == "too_few"
    best = compare_indicator(store, "A00", "wf_agency")
    assert best.position == 1 and best.position_n == 30  # the tiny council is not counted
    table = compare_all(store)
    assert table.loc[table.area_code == "A30", "comparable"].item() is False or \
        not table.loc[table.area_code == "A30", "comparable"].item()


# --------------------------------------------------------------------------- ranks and bands

def test_competition_ranks_and_ties():
    r = competition_ranks([12.0, 9.0, 12.0, np.nan, 7.0], "lower_is_better")
    assert r[:3].tolist() == [3.0, 2.0, 3.0] and math.isnan(r[3]) and r[4] == 1.0
    assert tied(r).tolist() == [True, False, True, False, False]
    assert np.isnan(competition_ranks([1.0, 2.0], "context")).all()


def test_lait_bands_cut_values_at_their_quartiles():
    values = np.arange(1, 21, dtype=float)
    cuts = quartile_cuts(values)
    assert cuts == pytest.approx(tuple(np.quantile(values, [0.25, 0.5, 0.75])))
    up = bands_by_value(values, cuts, "higher_is_better")
    down = bands_by_value(values, cuts, "lower_is_better")
    assert up[-1] == "A" and up[0] == "D" and down[0] == "A" and down[-1] == "D"
    # a value on a cut point goes to the better band
    q1, q2, q3 = cuts
    assert bands_by_value([q3], cuts, "higher_is_better")[0] == "A"
    assert bands_by_value([q1], cuts, "lower_is_better")[0] == "A"
    assert bands_by_value([1.0], cuts, "context")[0] is None
    assert quartile_cuts([1.0, 2.0, 3.0]) is None


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60, unique=True))
def test_rank_order_flips_with_polarity(values):
    up = competition_ranks(values, "higher_is_better")
    down = competition_ranks(values, "lower_is_better")
    assert np.array_equal(up + down, np.full(len(values), len(values) + 1.0))


@given(st.lists(st.integers(-30, 30), min_size=4, max_size=60), st.sampled_from(["higher_is_better",
                                                                                "lower_is_better"]))
def test_equal_values_share_a_band_and_better_values_never_a_worse_band(values, polarity):
    v = np.array(values, dtype=float)
    b = bands_by_value(v, quartile_cuts(v), polarity)
    r = competition_ranks(v, polarity)
    for x in set(values):
        assert len({b[i] for i, y in enumerate(values) if y == x}) == 1
        assert len({r[i] for i, y in enumerate(values) if y == x}) == 1
    order = np.argsort(r, kind="stable")
    assert list(b[order]) == sorted(b[order])  # better rank, better or equal band


# --------------------------------------------------------------------------- funnels

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
    rng = np.random.default_rng(seed)
    den = np.rint(np.exp(rng.uniform(np.log(200), np.log(5000), 150)))
    true = np.clip(rng.normal(0.2, spread, 150), 0.01, 0.99) if spread else np.full(150, 0.2)
    return rng.binomial(den.astype(int), true).astype(float), den


def test_overdispersion_recovers_the_spread_between_councils():
    for seed in (1, 2, 3):
        num, den = _simulated_councils(seed, 0.03)
        od = estimate_overdispersion("binomial", num.sum() / den.sum(), num, den)
        assert od.adjusted and od.k == 150 and od.phi > 3 and od.p_value < 1e-6
        # winsorising estimates about half the true between-council variance
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
    assert od.p_value > 0.05 and od.tau2 == 0 and not od.adjusted and 0.5 < od.phi < 1.2
    frame = pd.DataFrame({"value": num / den * 100, "numerator": num, "denominator": den})
    with_od = classify_funnel(frame, CAT["wf_agency"])
    without = classify_funnel(frame, CAT["wf_agency"], overdispersion=False)
    assert (with_od["funnel"] == without["funnel"]).all()
    assert estimate_overdispersion("binomial", 0.2, num[:9], den[:9]).tau2 == 0
    assert estimate_overdispersion(None, 0.2, num, den).tau2 == 0


def test_overdispersed_limits_add_the_spread_to_each_half_width():
    tau2 = 0.03 ** 2
    chance = funnel_limits([100, 400, 10_000], 20.0, "percent", method="normal")
    wide = funnel_limits([100, 400, 10_000], 20.0, "percent", method="normal", tau2=tau2)
    for n, row in zip((100, 400, 10_000), wide.itertuples()):
        s2 = 0.2 * 0.8 / n   # Spiegelhalter's 0.2 +/- z sqrt(s^2 + tau^2)
        assert row.upper_95 == pytest.approx((0.2 + Z95 * math.sqrt(s2 + tau2)) * 100)
        assert row.lower_998 == pytest.approx((0.2 - Z998 * math.sqrt(s2 + tau2)) * 100)
    assert (wide["upper_95"] > chance["upper_95"]).all() and (wide["lower_95"] < chance["lower_95"]).all()
    assert wide.loc[2, "upper_95"] - 20 == pytest.approx(Z95 * 3.0, rel=0.02)
    pois = funnel_limits([50, 5000], 20.0, "per_10k", tau2=1e-6)
    assert (pois["lower_998"] >= 0).all() and pois.loc[1, "upper_95"] - 20 > 20 - pois.loc[1, "lower_95"]


@settings(max_examples=60)
@given(st.floats(0.5, 99.5), st.lists(st.floats(5, 100_000), min_size=2, max_size=20),
       st.sampled_from(["wilson", "normal"]))
def test_binomial_limits_widen_as_denominators_shrink(target, dens, method):
    lim = funnel_limits(sorted(dens), target, "percent", method=method)
    assert np.all(np.diff(lim["upper_95"]) <= 1e-9) and np.all(np.diff(lim["lower_95"]) >= -1e-9)
    assert (lim["upper_998"] >= lim["upper_95"] - 1e-9).all() and (lim["lower_998"] <= lim["lower_95"] + 1e-9).all()


@settings(max_examples=60)
@given(st.floats(1, 1000), st.lists(st.floats(1_000, 1e6), min_size=2, max_size=20))
def test_poisson_limits_widen_as_denominators_shrink(rate, dens):
    lim = funnel_limits(sorted(dens), rate, "per_10k")
    assert np.all(np.diff(lim["upper_95"]) <= 1e-9) and np.all(np.diff(lim["lower_95"]) >= -1e-9)
    assert (lim["lower_95"] <= rate).all() and (lim["upper_95"] >= rate).all()


# --------------------------------------------------------------------------- trends

def _series(values, num=None, den=None, start=2021):
    frame = pd.DataFrame({"period": range(start, start + len(values)), "value": values})
    if num is not None:
        frame["numerator"], frame["denominator"] = num, den
    return frame


def test_trend_needs_more_than_noise():
    ind = CAT["fd_rereferral"]
    assert trend_test(_series([20.0, 21.0, 20.5], [200, 210, 205], [1000] * 3), ind).direction == "none"
    t = trend_test(_series([20.0, 25.0, 30.0], [2000, 2500, 3000], [10000] * 3), ind)
    assert t.direction == "rising" and t.judgement == "worsening" and t.change == pytest.approx(10.0)
    assert t.steady and t.latest_step == "up"
    tiny = _series([20.0, 20.2, 20.4], [200_000, 202_000, 204_000], [1e6] * 3)
    assert trend_test(tiny, ind).direction == "none"
    ols = _series([3.0, 4.0, 5.01])
    t = trend_test(ols, CAT["wf_absence"])
    assert t.method == "OLS slope" and t.direction == "rising"
    assert trend_test(ols.iloc[1:], CAT["wf_absence"]).direction == "too_few"


def test_trend_shapes_say_how_the_series_moved():
    ind = CAT["wf_caseload"]
    den = [400.0] * 5
    # falls, then the latest year rises: a falling trend the latest year reversed
    vals = [20.0, 18.0, 16.0, 14.0, 15.0]
    t = trend_test(_series(vals, [v * 400 for v in vals], den), ind, years=5)
    assert t.direction == "falling" and t.shape == "reversed" and t.latest_step == "up"
    # down, up, down: lower overall, not every year
    vals = [20.0, 17.0, 18.0, 15.0, 14.0]
    t = trend_test(_series(vals, [v * 400 for v in vals], den), ind, years=5)
    assert t.direction == "falling" and t.shape == "uneven"
    # a missing year is never "each year"
    vals = [20.0, 18.0, np.nan, 14.0, 12.0]
    t = trend_test(_series(vals, [v * 400 for v in vals], den), ind, years=5)
    assert t.direction == "falling" and t.shape == "uneven"
    # the first figure in the window may be later than its first year
    vals = [np.nan, 18.0, 16.0, 14.0, 12.0]
    t = trend_test(_series(vals, [v * 400 for v in vals], den), ind, years=5)
    assert t.steady and t.first_period == 2022


def test_a_trend_needs_the_latest_figure_on_its_side_of_the_first():
    # a fitted fall over five years whose latest figure is above the first is no trend
    ind = CAT["wf_absence"]
    t = trend_test(_series([5.0, 1.0, 1.2, 1.1, 5.2]), ind, years=5)
    assert t.direction != "falling"


# --------------------------------------------------------------------------- monthly helpers

def _monthly():
    months = pd.period_range("2022-01", "2024-12", freq="M").astype(str)
    return pd.DataFrame([{"month": m, "team": team, "value": 100 + k + (10 if m.endswith("-07") else 0)}
                         for team in ("East", "West") for k, m in enumerate(months)])


def test_year_on_year_by_month():
    yoy = year_on_year(_monthly(), by="team")
    jan23 = yoy[(yoy.team == "East") & (yoy.month == "2023-01")].iloc[0]
    assert jan23["value_last_year"] == 100 and jan23["yoy_change"] == 12
    assert yoy[(yoy.month == "2022-05")]["value_last_year"].isna().all()


def test_rolling_12_month_needs_12_consecutive_months():
    df = _monthly()
    east = rolling_12_month(df, by="team").query("team == 'East'").reset_index(drop=True)
    assert east.loc[:10, "rolling_12m"].isna().all()
    assert east.loc[11, "rolling_12m"] == pytest.approx(np.mean(east.loc[:11, "value"]))
    gap = df[~((df.team == "East") & (df.month == "2023-06"))]
    e2 = rolling_12_month(gap, by="team").query("team == 'East'").set_index("month")["rolling_12m"]
    assert math.isnan(e2["2023-07"]) and math.isnan(e2["2024-05"]) and not math.isnan(e2["2024-06"])


def test_monthly_profile():
    prof = monthly_profile(_monthly(), by="team")
    july = prof[(prof.team == "East") & (prof.calendar_month == 7)].iloc[0]
    assert july["month_name"] == "July" and july["years"] == 3


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


def test_real_dorset_caseload_matches_the_data_guide(real_store):
    c = compare_indicator(real_store, "838", "wf_caseload")
    assert c.period == 2025 and c.value == pytest.approx(13.4) and c.england == pytest.approx(15.2)
    assert compare_indicator(real_store, "838", "wf_caseload", period=2019).value == pytest.approx(17.6)
    assert compare_indicator(real_store, "878", "wf_agency").value == pytest.approx(24.3)


@pytest.mark.parametrize("code,iid", [("838", "fd_rereferral"), ("885", "cp_repeat"), ("940", "wf_caseload"),
                                      ("838", "ps_longterm"), ("201", "wf_absence"), ("878", "wf_vacancy")])
def test_real_position_band_and_neighbour_mean_recomputed(real_store, code, iid):
    ind = real_store.catalogue[iid]
    c = compare_indicator(real_store, code, iid)
    la = _la(real_store, iid, c.period)
    ok = la[la.status == "ok"]
    # comparable figures: a percentage on 20 or more, a caseload on 5 FTE or more, counts published
    if ok.denominator.notna().any():
        least = {"percent": 20, "ratio": 5}[ind.unit]
        ok = ok[ok.denominator.notna() & ok.numerator.notna() & (ok.denominator >= least)]
    vals = ok.set_index("area_code")["value"]
    own = vals[c.data_area_code]
    better = (vals > own) if ind.polarity == "higher_is_better" else (vals < own)
    assert c.position == 1 + better.sum() and c.position_n == len(vals)
    assert c.position_tied == ((vals == own).sum() > 1)
    q1, q2, q3 = np.quantile(vals, [0.25, 0.5, 0.75])
    expected = ("ABCD"[0 if own <= q1 else 1 if own <= q2 else 2 if own <= q3 else 3]
                if ind.polarity == "lower_is_better" else
                "ABCD"[0 if own >= q3 else 1 if own >= q2 else 2 if own >= q1 else 3])
    assert c.band == expected
    eng = real_store.indicators.query("indicator == @iid and level == 'national' and period == @c.period")
    assert c.england == pytest.approx(float(eng.value.iloc[0]))


def test_real_funnel_limits_recomputed(real_store):
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


def test_real_funnels_allow_for_the_spread_between_councils(real_store):
    chance = compare_all(real_store, indicators=["fd_referral_rate"], overdispersion=False)
    adjusted = compare_all(real_store, indicators=["fd_referral_rate"])
    outside = ["above_95", "above_99.8", "below_95", "below_99.8"]

    def share(table):
        part = table[table.funnel_classification.isin(stats.FUNNEL_CLASSES)].drop_duplicates("data_area_code")
        return part.funnel_classification.isin(outside).mean(), len(part)

    chance_share, n = share(chance)
    adjusted_share, n2 = share(adjusted)
    assert n == n2 == 153 and chance_share > 0.8 and 0.05 < adjusted_share < 0.25
    c = compare_indicator(real_store, "838", "fd_referral_rate")
    plain = compare_indicator(real_store, "838", "fd_referral_rate", overdispersion=False)
    t = c.funnel.target
    assert c.funnel.overdispersed and c.funnel.phi > 10 and t == pytest.approx(plain.funnel.target)
    assert c.funnel.upper_95 - t == pytest.approx(
        math.sqrt((plain.funnel.upper_95 - t) ** 2 + Z95 ** 2 * c.funnel.tau2 * 1e8))


def test_real_small_councils_are_not_ranked_on_tiny_figures(real_store):
    scilly = compare_indicator(real_store, "420", "wf_agency")      # 100% of 2 FTE
    assert scilly.value == 100 and not scilly.comparable and scilly.small_reason == "small_denominator"
    assert math.isnan(scilly.rank) and scilly.band is None and scilly.rag == "n/a"
    london = compare_indicator(real_store, "201", "cp_repeat")      # 0.0%, plans started suppressed
    assert london.value == 0 and not london.comparable and london.small_reason == "suppressed_counts"
    assert math.isnan(london.position) and london.band is None and london.rag == "n/a"


def test_real_london_boroughs_are_ranked_within_london(real_store):
    c = compare_indicator(real_store, "202", "wf_caseload")
    assert c.region_code == "E12000007" and c.region_name == "London"
    assert c.region_rank_n > 25  # Inner and Outer London together


# --------------------------------------------------------------------------- the two views agree

def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if a is None or b is None:
        return a is b or (a != a and b is None) or (b != b and a is None)
    if isinstance(a, (float, np.floating)) or isinstance(b, (float, np.floating)):
        return a == pytest.approx(b, rel=1e-12, abs=1e-12, nan_ok=True)
    return a == b


@pytest.mark.xdist_group("every_comparison")
def test_one_council_and_all_councils_agree_on_every_field(every_comparison):
    table, comps = every_comparison
    assert len(table) == 153 * len(CAT) and len(comps) == len(table)
    columns = list(table.columns)
    checked = 0
    for row in table.to_dict("records"):
        c = comps[(row["area_code"], row["indicator"])]
        flat = c.as_row()
        assert list(flat) == columns
        for key in columns:
            assert _same(flat[key], row[key]), (row["area_code"], row["indicator"], key, flat[key], row[key])
            checked += 1
    assert checked == len(table) * len(columns) and len(columns) > 100
