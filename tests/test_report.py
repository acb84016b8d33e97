"""helpers.report without a kernel: parameter checks, the words it uses, and
the HTML blocks a section notebook shows (on demo and real data)."""

from __future__ import annotations

import base64
import dataclasses
import html
import re

import pytest
from conftest import scrutiny_env

from helpers import report
from helpers.errors import ParameterError, UnknownCouncilError
from helpers.geography import joint_return_for


@pytest.fixture(scope="module")
def report_env(store_cache, tmp_path_factory):
    """Stores built in the shared test cache; demo data generated in a
    temporary folder, never in the project."""
    with scrutiny_env(cache_dir=store_cache, data_dir=tmp_path_factory.mktemp("report-data")):
        yield


def latest_figure(store, code: str, indicator: str):
    """The council's row for the indicator's latest published period, as the
    tests expect the pack to show it (a joint return where the council has
    no row of its own)."""
    f = store.indicators
    ind = f[(f["indicator"] == indicator) & (f["level"] == "la") & (f["status"] == "ok")]
    period = int(ind["period"].max())
    rows = f[(f["indicator"] == indicator) & (f["period"] == period)]
    own = rows[rows["area_code"] == code]
    if own.empty:
        joint = joint_return_for(code, period)
        own = rows[rows["area_code"] == joint]
    return period, own.iloc[0]


# --------------------------------------------------------------------------- parameters

@pytest.mark.parametrize("kwargs, name, words", [
    (dict(council=None), "council", "must be text"),
    (dict(council=["Devon"]), "council", "not list"),
    (dict(council="  "), "council", "is empty"),
    (dict(council="Devon", period="twenty"), "period", "a year such as 2025"),
    (dict(council="Devon", period=True), "period", "a year such as 2025"),
    (dict(council="Devon", period=2025.5), "period", "a year such as 2025"),
    (dict(council="Devon", meeting_date="20/11/2025"), "meeting_date", "YYYY-MM-DD"),
    (dict(council="Devon", meeting_date="2025-02-30"), "meeting_date", "YYYY-MM-DD"),
    (dict(council="Devon", meeting_date=20251120), "meeting_date", "not int"),
    (dict(council="Devon", comparator="neighbours"), "comparator", "'statistical neighbours' or 'region'"),
    (dict(council="Devon", comparator=3), "comparator", "must be text"),
    (dict(council="Devon", committee=None), "committee", "must be text"),
    (dict(council="Devon", data="/no/such/folder"), "data", "'demo', 'official'"),
    (dict(council="Devon", comparators_file="/no/such.yml", comparator="x"), "comparators_file", "no file"),
])
def test_bad_parameters_name_the_parameter_and_the_rule(kwargs, name, words):
    with pytest.raises(ParameterError) as err:
        report.check_parameters(**kwargs)
    assert err.value.name == name
    assert f"Parameter '{name}'" in str(err.value)
    assert words in str(err.value)


def test_good_parameters_are_normalised():
    p = report.check_parameters(878, "2024", "Region", meeting_date="2025-11-20")
    assert (p.council, p.period, p.comparator, p.meeting_date) == ("878", 2024, "region", "2025-11-20")
    assert p.meeting_day.month == 11
    assert report.check_parameters("Devon", 2025.0).period == 2025


# --------------------------------------------------------------------------- words

def test_words_never_rely_on_a_glyph_or_a_colour():
    assert report.format_rank(1, 11, context=False) == "1st of 11 (1st is best)"
    assert report.format_rank(2, 10, context=False, tied=True) == "joint 2nd of 10 (1st is best)"
    assert report.format_rank(2, 10, context=True, tied=True) == "not ranked"
    assert report.format_rank(float("nan"), 10, context=False) == "not ranked"
    assert report.format_rank(12, 150, context=False, short=True) == "12th of 150"
    assert report.band_words("A", context=False) == "Best quarter"
    assert report.band_words("D", context=True) == "not banded (context)"
    assert report.band_words("D", context=False, comparable=False) == "too few to compare"
    assert report.band_words(None, context=False) == "no band"
    assert report.trend_words("rising", "worsening") == "\u2191 rising (worsening)"
    assert report.trend_words("too_few") == "not enough years to judge"
    assert report.rag_words("red") == "Red"
    assert report.rag_words("n/a", context=True) == "Not rated (context)"
    assert "Red" in report._rag_html("red", context=False)


def test_html_blocks_display_in_notebooks():
    block = report.Html("<p>A &amp; B</p>")
    assert block._repr_html_() == "<p>A &amp; B</p>"
    assert repr(block) == "A &amp; B"
    assert (block + report.Html("<p>C</p>")).markup == "<p>A &amp; B</p><p>C</p>"


# --------------------------------------------------------------------------- demo data

@pytest.fixture(scope="module")
def demo_workforce(report_env):
    return report.open_section("workforce", council="Kestrel Vale", data="demo")


def test_unknown_council_suggests_names(report_env):
    with pytest.raises(UnknownCouncilError, match="Did you mean: Kestrel Vale"):
        report.open_section("workforce", council="Kestrel Vail", data="demo")


def test_a_period_not_published_lists_the_periods(report_env):
    with pytest.raises(ParameterError) as err:
        report.open_section("looked_after", council="Kestrel Vale", data="demo", period=1999)
    text = str(err.value)
    assert "no figures for 1999" in text and "periods held" in text and "2025" in text


def test_a_bad_comparator_group_lists_the_allowed_values(report_env, tmp_path):
    groups = tmp_path / "groups.yml"
    groups.write_text("groups:\n  moorland:\n    label: Moorland councils\n    members: [Northmoor, Fellside, "
                      "Coldwater]\n", encoding="utf-8")
    with pytest.raises(ParameterError) as err:
        report.open_section("workforce", council="Kestrel Vale", data="demo", comparator="upland",
                            comparators_file=str(groups))
    assert "'statistical neighbours', 'region', 'moorland'" in str(err.value)
    section = report.open_section("workforce", council="Kestrel Vale", data="demo", comparator="moorland",
                                  comparators_file=str(groups))
    text = section.introduction().markup
    assert "Moorland councils" in text and "Northmoor" in text
    c = section.comparison("wf_caseload")
    assert set(c.comparator_codes) == {"951", "954", "953"}
    assert "Moorland councils average" in section.indicator("wf_caseload").markup


def test_region_comparator(report_env):
    section = report.open_section("front_door", council="Kestrel Vale", data="demo", comparator="region")
    assert "other councils in Northern Uplands" in section.introduction().markup
    assert section.comparison("cin_rate").comparator == "region"


def test_demo_section_blocks(demo_workforce):
    section = demo_workforce
    store = section.store
    intro = section.introduction().markup
    assert "Demo data" in intro and "Kestrel Vale" in intro
    assert section.indicators[0] == "wf_caseload"
    block = section.indicator("wf_caseload").markup
    period, row = latest_figure(store, section.code, "wf_caseload")
    ind = store.catalogue["wf_caseload"]
    assert '<h2 id="workforce-wf_caseload">' in block
    assert html.escape(ind.format_value(row["value"])) in block
    assert block.count("<figure") == 3  # bars, time series, all councils (no funnel for a ratio)
    assert block.count("<figcaption>") == 3 and block.count("<details>") == 3
    assert all(alt for alt in re.findall(r'<img [^>]*alt="([^"]*)"', block))
    assert "Source: DfE, Children&#x27;s social work workforce" in block or "Source: DfE" in block
    assert "Period basis" in block and ind.period_label(period) in block
    assert "<script" not in block and "http://" not in block and "https://" not in block
    funnel = section.indicator("wf_agency").markup
    assert funnel.count("<figure") == 3  # a percentage: bars, time series and a funnel plot
    assert "chart-funnel" in funnel and "chart-position-strip" not in funnel
    assert "workforce-key-findings" in section.key_findings().markup
    questions = section.questions().markup
    assert '<h2 id="workforce-questions">Questions members may wish to ask</h2>' in questions
    assert "<li>" in questions


def test_demo_suppressed_and_missing_figures_are_said_in_words(report_env):
    # Coldwater made no 2025 workforce return
    section = report.open_section("workforce", council="Coldwater", data="demo")
    block = section.indicator("wf_caseload").markup
    assert "not available" in block
    assert "cannot be compared" in block or "not available" in block


def test_demo_reorganised_council_says_its_series_starts_later(report_env):
    section = report.open_section("front_door", council="North Fenshire", data="demo")
    block = section.indicator("cin_rate").markup
    assert "starts at 31 March 2022" in block or "start at 31 March 2022" in block


def test_demo_spending_section_has_its_figures(report_env):
    section = report.open_section("spending", council="Kestrel Vale", data="demo")
    assert section.indicators == ["sp_csc_per_child", "sp_cla_share", "sp_csc_share"]
    c = section.comparison("sp_csc_per_child")
    store = report._load_store("demo")
    assert c.value == pytest.approx(store.value("952", "sp_csc_per_child", 2025))


def test_an_empty_section_says_so(report_env, monkeypatch):
    store = report._load_store("demo")
    ind = store.indicators
    bare = dataclasses.replace(store, indicators=ind[~ind["indicator"].str.startswith("sp_")])
    monkeypatch.setattr(report, "_load_store", lambda data: bare)
    section = report.open_section("spending", council="Kestrel Vale", data="demo")
    assert section.indicators == []
    assert "holds no spending and inspection figures" in section.introduction().markup
    assert "no Ofsted inspection outcomes" in section.inspection().markup
    assert "<h2" in section.questions().markup


def test_text_from_data_is_escaped(demo_workforce, monkeypatch):
    store = demo_workforce.store
    areas = store.areas.copy()
    areas.loc[areas["area_code"] == "952", "area_name"] = "Kestrel <Vale> & Co"
    odd = dataclasses.replace(store, areas=areas)
    monkeypatch.setattr(report, "_load_store", lambda data: odd)
    section = report.open_section("workforce", council="952", data="demo")
    markup = section.introduction().markup + section.indicator("wf_agency").markup
    assert "Kestrel &lt;Vale&gt; &amp; Co" in markup
    assert "<Vale>" not in markup


def test_summary_blocks(report_env):
    summary = report.open_summary(council="Kestrel Vale", data="demo", meeting_date="2025-11-20")
    assert "20 November 2025" in summary.introduction().markup
    assert 'id="summary-key-messages"' in summary.key_messages().markup
    glance = summary.at_a_glance().markup
    assert "<figure" in glance and "alt=" in glance
    table = summary.indicator_table().markup
    assert table.count('<th scope="row"') == len(summary.indicators)
    assert '<th scope="col">Rating</th>' in table
    for iid in summary.indicators:
        c = summary.comparison(iid)
        assert f'href="#{c.indicator.section}-{iid}"' in table
    assert re.search(r"(Green|Amber|Red)</span>", table)
    assert "Not rated (context)" in table
    assert "\u2192 no clear trend" in table or "\u2191" in table or "\u2193" in table


# --------------------------------------------------------------------------- real data

@pytest.fixture(scope="module")
def real_data(real_dir, real_store, report_env):
    return str(real_dir)


def test_real_unknown_council_did_you_mean(real_data):
    with pytest.raises(UnknownCouncilError) as err:
        report.open_section("workforce", council="Dorsett", data=real_data)
    assert "did you mean" in str(err.value).lower() and "Dorset" in str(err.value)


def test_real_region_or_joint_code_is_not_a_council(real_data):
    with pytest.raises(ParameterError, match="not a council"):
        report.open_section("workforce", council="South West", data=real_data)
    with pytest.raises(UnknownCouncilError, match="Kingston upon Thames"):
        report.open_section("workforce", council="314/318", data=real_data)


def test_real_joint_workforce_return_is_shown_as_joint(real_data, real_store):
    section = report.open_section("workforce", council="Kingston upon Thames", data=real_data)
    block = section.indicator("wf_caseload").markup
    assert "Kingston upon Thames and Richmond upon Thames make one workforce return (314/318)" in block
    assert "not Kingston upon Thames alone" in block
    assert "Kingston upon Thames and\nRichmond upon Thames (joint)" in block  # the charts' label
    _, row = latest_figure(real_store, "314", "wf_caseload")
    assert row["area_code"] == "314/318"
    assert real_store.catalogue["wf_caseload"].format_value(row["value"]) in block


def test_real_reorganised_council_series_starts_later(real_data):
    # said once, at the start of each section; the notes at the end say what changed
    section = report.open_section("front_door", council="Dorset", data=real_data)
    intro = section.introduction().markup
    assert "Dorset was created by a reorganisation" in intro and "On 1 April 2019" not in intro
    blocks = "".join(section.indicator(i).markup for i in section.indicators)
    assert "reorganisation" not in blocks
    summary = report.open_summary(council="Dorset", data=real_data).introduction().markup
    assert "On 1 April 2019" in summary


def test_real_funnel_plot_allows_for_the_spread_between_councils(real_data):
    # Referral rates vary between councils far more than chance: the funnel's
    # limits allow for that, and its title uses the sentences' rule (unusual
    # only beyond the 99.8% limit).
    section = report.open_section("front_door", council="Dorset", data=real_data)
    c = section.comparison("fd_referral_rate")
    assert c.funnel.overdispersed
    block = section.indicator("fd_referral_rate").markup
    side = c.funnel.classification.split("_")[0]
    expected = {"above_99.8": "is unusually high among councils", "below_99.8": "is unusually low among councils"}
    words = expected.get(c.funnel.classification, "is within the usual range for a council of its size")
    figure = block[block.index('class="chart chart-funnel"'):]
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', figure).group(1)).decode()
    title = " ".join(html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    assert "Dorset's" in title and words in " ".join(title.split())
    assert "chance alone" not in title
    caption = figure.split("</figcaption>")[0]
    assert "usual differences between councils" in caption and "over-dispersion" not in caption
    # the data table under the chart places Dorset as the limits it was classified against do
    assert c.funnel.lower_95 < c.funnel.upper_95
    table_place = {"within": "within the 95% limits", "above": "above the", "below": "below the"}[side]
    row = re.search(r"<tr>\s*<t[hd][^>]*>Dorset</t[hd]>(.*?)</tr>", figure, re.DOTALL)
    assert row and table_place in row.group(1)


def test_real_inspection_table(real_data, real_store):
    if real_store.inspections.empty:
        pytest.skip("no Ofsted outcomes in the real data")
    section = report.open_section("spending", council="Devon", data=real_data)
    block = section.inspection().markup
    assert '<h2 id="spending-inspection">' in block and '<th scope="row">Devon</th>' in block
    judgement = real_store.inspections.loc[real_store.inspections["area_code"] == "878",
                                           "overall_effectiveness"].iloc[-1]
    assert html.escape(str(judgement)) in block


@pytest.mark.parametrize("council", ["City of London", "Isles of Scilly"])
def test_real_tiny_councils_summary_ranks_and_rates_nothing_too_small(real_data, council):
    # figures on a suppressed or tiny denominator: no rank, quarter, rating or key message
    summary = report.open_summary(council=council, data=real_data)
    small = [c for c in summary.comparisons() if c.has_value and not c.comparable]
    assert small
    table = summary.indicator_table().markup
    for c in small:
        row = re.search(rf'#{c.indicator.section}-{c.indicator_id}">[^<]*</a></th>(.*?)</tr>', table, re.S).group(1)
        cells = [html.unescape(re.sub(r"<[^>]+>", "", x)) for x in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        assert cells[4] == cells[5] == cells[6] == "too few to compare", cells
        assert cells[8].startswith("Not rated (too few to compare)"), cells
    messages = html.unescape(summary.key_messages().markup)
    for c in small:
        assert c.indicator.name_in_sentence not in messages, c.indicator_id


@pytest.mark.parametrize("period", [2024, 2023])
def test_real_packs_for_earlier_periods_show_nothing_later(real_data, period):
    for section in ("workforce", "front_door", "child_protection", "looked_after", "care_leavers", "spending"):
        s = report.open_section(section, council="Devon", data=real_data, period=period)
        for iid in s.indicators:
            shown, _ = s.period_for(iid)
            assert shown <= period
            assert s.comparison(iid).period <= period
        text = s.introduction().markup
        if section == "spending":
            assert not s.indicators and "first published after" in text
        s.key_findings(), s.questions()


@pytest.mark.parametrize("council", ["City of London", "Isles of Scilly", "Devon"])
def test_data_notes_name_exactly_the_figures_the_engine_does_not_compare(real_data, real_store, council):
    # the notes read the store's rows without the statistics libraries; the
    # engine judges the same figures too small to compare
    from helpers.render import data_notes
    summary = report.open_summary(council=council, data=real_data)
    engine = {c.indicator.label for c in summary.comparisons() if c.has_value and not c.comparable}
    notes = data_notes(real_store, summary.code, [], "", real_store.catalogue.ids(), None)["small"]
    assert {n.split(" (")[0] for n in notes} == engine


@pytest.mark.parametrize("section", ["looked_after", "cla_outcomes", "front_door"])
def test_the_introduction_lists_every_measure_under_the_period_it_is_shown_for(real_data, section):
    """Each measure once, under the period of the figure the section shows
    for it ('2024/25 school year', '31 March 2024'), whatever the period the
    other measures have."""
    s = report.open_section(section, council="Devon", data=real_data)
    items = re.findall(r"<li><strong>(.*?):</strong> (.*?)</li>", s.introduction().markup)
    listed = {html.unescape(label): html.unescape(when) for when, labels in items for label in labels.split("; ")}
    assert len(listed) == len(s.indicators) >= 8
    for iid in s.indicators:
        ind = s.catalogue[iid]
        label = s.heading_for(iid)
        assert listed[label[0].lower() + label[1:]] == ind.period_heading(s.period_for(iid)[0]), iid
    assert len(items) >= 2   # these sections hold measures of more than one period
