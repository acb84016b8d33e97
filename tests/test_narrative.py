"""Plain-English commentary (helpers.narrative)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from helpers.compare import compare_council, compare_indicator
from helpers.narrative import (QUESTIONS, describe, finding_directions, headline, key_messages, ordinal,
                               questions, score_finding)
from test_compare import small_store

POLAR_WORDS = re.compile(r"\b(best|worst|better|worse|improv\w*|worsen\w*)\b", re.I)


@pytest.fixture(scope="module")
def small():
    return small_store()


def test_ordinal():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]


def test_headline_shape(small):
    c = compare_indicator(small, "101", "wf_caseload")
    text = headline(c)
    assert text.startswith("At 30 September 2025 Alpha's average caseload was 10.4 cases per social worker, "
                           "lower than its statistical neighbours (15.5) and England (16.2).")
    assert "It ranks 1st of 6 among its neighbours" in text
    assert "has fallen over five years" in text


def test_similar_when_within_limits(small):
    c = compare_indicator(small, "314", "wf_agency")  # 20.0% on 90 FTE against 16.3%: within the limits
    assert c.vs_neighbours == "similar" and c.vs_england == "similar"
    assert "similar to its statistical neighbours" in headline(c)
    assert "(joint return with Richmond upon Thames)" in headline(c)


def test_context_never_says_better_or_worse(small):
    for code in ("101", "102", "838", "314"):
        for iid in ("cla_rate", "sp_csc_per_child"):
            text = describe(compare_indicator(small, code, iid))
            assert not POLAR_WORDS.search(text), text
    assert "highest" in describe(compare_indicator(small, "838", "sp_csc_per_child"))


def test_financial_year_phrase(small):
    assert headline(compare_indicator(small, "101", "sp_csc_per_child")).startswith("In 2024-25 Alpha's")


@pytest.mark.parametrize("status,word", [("c", "suppressed"), ("x", "not available"), ("z", "not applicable"),
                                         ("u", "low reliability")])
def test_status_words_and_no_invented_number(small, status, word):
    base = compare_indicator(small, "102", "wf_agency")
    c = dataclasses.replace(base, status=status, value=float("nan"))
    text = describe(c)
    assert word in text
    assert "Beta's figure" in text and "was 2" not in text
    assert "averaged 14.0%" in text  # the comparators' figure, never the council's


def test_not_enough_years(small):
    c = compare_indicator(small, "838", "cla_rate", period=2024)
    assert "not enough years to judge a trend" in headline(c)


def test_key_messages_rule(small):
    comps = [compare_indicator(small, code, iid) for code in ("101", "102", "838")
             for iid in ("wf_caseload", "wf_agency", "cla_rate")]
    msgs = key_messages(comps, n=3)
    assert 1 <= len(msgs) <= 3
    # the strongest concern comes first: Dorset's caseload (19.0, worse than neighbours beyond 99.8%)
    assert msgs[0].startswith("At 30 September 2025 Dorset's average caseload")
    assert any(m.startswith("At 30 September 2025 Alpha's average caseload") for m in msgs)
    quiet = [c for c in comps if score_finding(c) < 2]
    assert key_messages(quiet) == [key_messages([])[0]]


def test_questions_from_rule_table(small):
    c = compare_indicator(small, "102", "wf_agency")  # 23.3%, worse than neighbours
    assert "worse" in finding_directions(c)
    qs = questions([c])
    assert qs[0] == QUESTIONS[("wf_agency", "worse")]
    good = compare_indicator(small, "101", "wf_caseload")
    assert questions([good]) == []


def test_real_dorset_sentence(real_store):
    c = compare_indicator(real_store, "838", "wf_caseload")
    text = headline(c)
    assert text.startswith("At 30 September 2025 Dorset's average caseload was 13.4 cases per social worker, "
                           "lower than its statistical neighbours (")
    assert "England (15.2)" in text and "has fallen for three years" in text


def test_real_suppressed_and_not_available(real_store):
    devon = describe(compare_indicator(real_store, "878", "cp_2yr"))
    assert "suppressed" in devon and "Devon's figure" in devon
    hackney = describe(compare_indicator(real_store, "204", "cin_rate", period=2022))
    assert hackney.startswith("At 31 March 2022 Hackney's figure for the rate of children in need is not available")


def test_real_unusual_among_councils_only_beyond_the_adjusted_limits(real_store):
    blackpool = compare_indicator(real_store, "890", "cla_rate")  # 184 per 10,000 against 67 for all councils
    assert blackpool.funnel.classification == "above_99.8" and blackpool.funnel.overdispersed
    assert ("Allowing for its size and the usual differences between councils, the figure is unusually high"
            in describe(blackpool))
    # with chance limits alone it is also outside, but so are most councils: nothing is said
    plain = compare_indicator(real_store, "890", "cla_rate", overdispersion=False)
    assert plain.funnel.classification == "above_99.8" and "unusually" not in describe(plain)
    dorset = compare_indicator(real_store, "838", "fd_referral_rate")
    assert dorset.funnel.classification == "within" and "unusually" not in describe(dorset)
    # across every council and measure, the sentence follows the adjusted 99.8% limits exactly
    said = 0
    for code in ("890", "838", "204", "878", "420"):
        for c in compare_council(real_store, code):
            unusual = "unusually" in describe(c)
            assert unusual == (c.has_value and c.funnel.overdispersed
                               and c.funnel.classification in ("above_99.8", "below_99.8")), (code, c.indicator_id)
            said += unusual
    assert said >= 3
    # and members are given a question about it, good side or bad
    assert "unusual" in finding_directions(blackpool)
    asked = questions([blackpool])
    assert any("outside the usual range for councils, even allowing for size" in q for q in asked)
    assert not any("usual range" in q for q in questions(compare_council(real_store, "838", indicators=["fd_referral_rate"])))
    # a measure with a better side: asked about on the worse side only
    harrow = compare_indicator(real_store, "310", "wf_agency")  # 39.8% agency workers
    assert harrow.funnel.classification == "above_99.8" and "unusual" in finding_directions(harrow)
    scilly = compare_indicator(real_store, "420", "fd_rereferral")  # no re-referrals at all
    assert scilly.funnel.classification == "below_99.8" and "unusually low" in describe(scilly)
    assert "unusual" not in finding_directions(scilly)
    # several such measures share one question
    front_door = [c for c in compare_council(real_store, "890") if c.indicator.section == "front_door"]
    shared = [q for q in questions(front_door) if "usual range" in q]
    assert len(shared) == 1 and shared[0].startswith("Why are the rate of referrals, ")
    assert shared[0].count(" the rate of ") >= 2
    # a whole pack's summary names the three that stand out most and counts the rest
    everything = [q for q in questions(compare_council(real_store, "890")) if "usual range" in q]
    assert len(everything) == 1 and re.search(r"and \d+ other measures outside the usual range", everything[0])


def test_real_joint_and_agency_question(real_store):
    k = headline(compare_indicator(real_store, "314", "wf_agency"))
    assert "(joint return with Richmond upon Thames)" in k
    devon = compare_indicator(real_store, "878", "wf_agency")  # 24.3% against neighbours' 6.6%
    assert devon.rag == "red"
    assert "What is the plan to convert agency posts to permanent, and by when?" in questions([devon])


def test_real_council_summary(real_store):
    comps = compare_council(real_store, "838")
    msgs = key_messages(comps)
    assert 1 <= len(msgs) <= 5
    for m in msgs:
        assert m.endswith(".")
    for c in comps:
        text = describe(c)
        if c.is_context:
            assert not POLAR_WORDS.search(text), text
        if not c.has_value:
            assert "Dorset's figure" in text
