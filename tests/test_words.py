"""The words (helpers.words): every generated sentence of every council and
indicator of the real store is read back by an auditor's checker
(tests/claims.py) and each claim is checked against the release; then the
rules for small numbers, trends, questions and key messages one by one."""

from __future__ import annotations

import dataclasses
import re

import pytest

from claims import check_text, summarise, truth_for
from helpers import words
from helpers.stats import compare_all, compare_council, compare_indicator, trend_test
from helpers.words.findings import NOTHING_COMPARED, NOTHING_STANDS_OUT, is_finding
from stores import CAT, small_store

POLAR_WORDS = re.compile(r"\b(best|worst|better|worse|improv\w*|worsen\w*)\b", re.I)
CLAIM_WORDS = re.compile(r"(higher than|lower than|unusually|has risen|has fallen|than at|bigger than chance)")


@pytest.fixture(scope="module")
def small():
    return small_store()


@pytest.fixture(scope="module")
def every_council(every_comparison):
    return every_comparison[1]


# --------------------------------------------------------------------------- every sentence, checked

@pytest.mark.xdist_group("every_comparison")
def test_every_claim_in_every_sentence_is_true(real_store, every_council):
    truth = truth_for(real_store)
    claims, false = [], []
    for (code, iid), c in every_council.items():
        found = check_text(truth, iid, c.period, code, " ".join(words.describe(c)))
        claims += found
        false += [(code, iid, x) for x in found if not x.true]
    counts = summarise(claims)
    assert not false, false[:10]
    # the sentences do make these claims, for thousands of figures
    for kind, least in {"comparison": 20000, "trend": 5000, "rank": 5000, "region rank": 5000, "position": 5000,
                        "joint": 5000, "quarter": 5000, "change": 8000, "small": 100}.items():
        assert counts.get(kind, [0])[0] >= least, (kind, counts)


@pytest.mark.xdist_group("every_comparison")
def test_no_figure_stands_out_only_when_no_sentence_says_one_does(real_store, every_council):
    sections: dict = {}
    for (code, iid), c in every_council.items():
        sections.setdefault((code, c.indicator.section), []).append(c)
    quiet = 0
    for key, comps in sections.items():
        messages = words.key_messages(comps)
        said = [s for c in comps if c.comparable for s in words.describe(c) if CLAIM_WORDS.search(s)]
        if messages[0] in (NOTHING_STANDS_OUT, NOTHING_COMPARED):
            quiet += 1
            assert not said, (key, said[:2])
        else:
            assert all(not m.startswith("No figure") for m in messages)
    assert quiet >= 1


@pytest.mark.xdist_group("every_comparison")
def test_questions_never_rest_on_a_trend_the_latest_year_reversed(every_council):
    asked = 0
    for c in every_council.values():
        directions = words.finding_directions(c)
        for d in ("worsening", "rising", "falling"):
            if d in directions:
                t = c.trend_3 if c.trend_3.is_trend else c.trend_5
                assert not t.reversed, (c.area_code, c.indicator_id, d)
                asked += 1
    assert asked > 50


# --------------------------------------------------------------------------- small numbers

@pytest.mark.parametrize("council", ["City of London", "Isles of Scilly"])
def test_tiny_councils_get_no_rank_band_rating_or_message_on_tiny_figures(real_store, council):
    comps = compare_council(real_store, council)
    small = [c for c in comps if c.has_value and not c.comparable]
    assert small, "both councils have figures too small to compare"
    for c in small:
        text = " ".join(words.describe(c))
        assert "too few" in text or "counts behind it are suppressed" in text
        assert "ranks" not in text and "quarter" not in text and "higher than" not in text
        assert c.rag == "n/a" and c.band is None
        assert not is_finding(c) and words.questions([c]) == []
    # they are named only in the message that says they are too few to compare
    for message in words.key_messages(comps, n=30):
        named = [c for c in small if c.indicator.name_in_sentence in message]
        assert not named or "too few" in message or "suppressed" in message, message


def test_the_count_is_shown_for_a_figure_too_small_to_compare(real_store):
    scilly = compare_indicator(real_store, "Isles of Scilly", "wf_agency")
    assert "There are too few social workers to compare (2 of 2)" in " ".join(words.describe(scilly))
    london = compare_indicator(real_store, "City of London", "cp_repeat")
    assert "The counts behind it are suppressed" in " ".join(words.describe(london))


# --------------------------------------------------------------------------- trend words

def _with_trend(small, values, years=5):
    """The small store's Alpha caseload with its trend replaced by one
    computed from ``values`` (2021-2025)."""
    import pandas as pd
    base = compare_indicator(small, "101", "wf_caseload")
    series = pd.DataFrame({"period": range(2021, 2026), "value": values,
                           "numerator": [v * 400 for v in values], "denominator": [400.0] * 5})
    t5 = trend_test(series, CAT["wf_caseload"], years=5)
    t3 = trend_test(series, CAT["wf_caseload"], years=3)
    change = dataclasses.replace(base.change_1y, value=values[-1], previous_value=values[-2],
                                 change=values[-1] - values[-2],
                                 direction="up" if values[-1] > values[-2] else "down")
    return dataclasses.replace(base, value=values[-1], trend_3=t3, trend_5=t5, change_1y=change)


def test_a_steady_fall_is_said_with_its_start_and_end(small):
    c = _with_trend(small, [20.0, 18.0, 16.0, 14.0, 12.0])
    assert words.trend_sentence(c) == "It has fallen each year since 30 September 2023, from 16.0 to 12.0."


def test_a_reversed_fall_says_so_and_asks_nothing_about_it(small):
    c = _with_trend(small, [20.0, 19.0, 16.0, 14.0, 15.0])
    text = words.trend_sentence(c)
    assert text.startswith("It is lower than at 30 September 2023 (16.0), though up from 14.0 at 30 September 2024")
    assert "worsening" not in words.finding_directions(c) and "fallen each year" not in text
    assert words.trend_cell(c).endswith("up last year")


def test_an_uneven_fall_says_it_was_not_every_year(small):
    c = _with_trend(small, [20.0, 19.0, 14.0, 15.0, 14.5])
    assert words.trend_sentence(c) == ("It is lower than at 30 September 2021 (20.0), though it has not fallen "
                                       "every year.")


def test_no_trend_and_too_few_years(small):
    assert words.trend_sentence(compare_indicator(small, "838", "cla_rate", period=2024)) == \
        "There are not enough years to judge a trend."
    flat = _with_trend(small, [15.0, 15.1, 14.9, 15.0, 15.05])
    assert words.trend_sentence(flat).startswith("It shows no clear trend over the three years to")


# --------------------------------------------------------------------------- other rules

def test_headline_shape(small):
    c = compare_indicator(small, "101", "wf_caseload")
    text = words.headline(c)
    assert text.startswith("At 30 September 2025 Alpha's average caseload was 10.4 cases per social worker, "
                           "lower than its statistical neighbours (15.5) and England (16.2).")
    assert "It ranks 1st of 6 among its neighbours" in text


def test_similar_when_within_limits_and_joint_returns_named(small):
    c = compare_indicator(small, "314", "wf_agency")  # 20.0% on 90 FTE against 16.3%: within the limits
    assert c.vs_neighbours == "similar" and c.vs_england == "similar"
    assert "similar to its statistical neighbours" in words.headline(c)
    assert "(joint return with Richmond upon Thames)" in words.headline(c)


def test_context_never_says_better_or_worse_nor_ranks(small):
    for code in ("101", "102", "838", "314"):
        for iid in ("cla_rate", "sp_csc_per_child"):
            text = " ".join(words.describe(compare_indicator(small, code, iid)))
            assert not POLAR_WORDS.search(text), text
            assert "ranks" not in text and "quarter" not in text


def test_financial_year_phrase(small):
    assert words.headline(compare_indicator(small, "101", "sp_csc_per_child")).startswith("In 2024-25 Alpha's")


@pytest.mark.parametrize("status,word", [("c", "suppressed"), ("x", "not available"), ("z", "not applicable"),
                                         ("u", "low reliability")])
def test_status_words_and_no_invented_number(small, status, word):
    base = compare_indicator(small, "102", "wf_agency")
    c = dataclasses.replace(base, status=status, value=float("nan"))
    text = " ".join(words.describe(c))
    assert word in text and "Beta's figure" in text and "was 2" not in text
    assert "averaged 14.0%" in text  # the comparators' figure, never the council's


def test_key_messages_rule(small):
    comps = [compare_indicator(small, code, iid) for code in ("101", "102", "838")
             for iid in ("wf_caseload", "wf_agency", "cla_rate")]
    msgs = words.key_messages(comps, n=3)
    assert 1 <= len(msgs) <= 3
    assert msgs[0].startswith("At 30 September 2025 Dorset's average caseload")  # the strongest concern first
    assert words.key_messages([]) == [NOTHING_COMPARED]


def test_questions_from_the_catalogue(small):
    c = compare_indicator(small, "102", "wf_agency")  # 23.3%, worse than neighbours
    assert "worse" in words.finding_directions(c)
    assert words.questions([c])[0] == CAT["wf_agency"].question("worse")
    assert words.questions([compare_indicator(small, "101", "wf_caseload")]) == []


def test_real_devon_sentences(real_store):
    caseload = " ".join(words.describe(compare_indicator(real_store, "Devon", "wf_caseload")))
    assert "It is lower than at 30 September 2023 (16.7), though up from 14.5 at 30 September 2024." in caseload
    assert "has fallen" not in caseload
    vacancy = compare_indicator(real_store, "Devon", "wf_vacancy")
    assert vacancy.rag == "red" and "higher than its statistical neighbours (9.0%)" in words.headline(vacancy)
    assert "Which teams carry the vacancies" in words.questions([vacancy])[0]


def test_real_unusual_among_councils_in_words_and_questions(real_store):
    blackpool = compare_indicator(real_store, "890", "cla_rate")  # 184 per 10,000 against 67 for all councils
    assert blackpool.funnel.classification == "above_99.8"
    assert "the figure is unusually high" in " ".join(words.describe(blackpool))
    assert "unusually high among councils" in words.funnel_title(blackpool, "Blackpool")
    dorset = compare_indicator(real_store, "838", "fd_referral_rate")
    assert dorset.funnel.classification in ("within", "above_95", "below_95")
    assert "unusually" not in " ".join(words.describe(dorset))
    assert "within the usual range" in words.funnel_title(dorset, "Dorset")
    front_door = [c for c in compare_council(real_store, "890") if c.indicator.section == "front_door"
                  and c.indicator.source in ("cin_b1", "cin_c1")]   # referrals and children in need
    shared = [q for q in words.questions(front_door) if "usual range" in q]
    assert len(shared) == 1 and shared[0].startswith("Why are the rate of referrals, ")
