"""Tests for helpers.charts: what is drawn, what is said about it, and the
markup a pack embeds. Every chart is also written to /tmp/charts/ as PNG for
a person to look at."""

from __future__ import annotations

import html
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers import charts  # noqa: E402
from helpers.errors import ConfigError, ParameterError  # noqa: E402
from helpers.theme import load_theme  # noqa: E402
from helpers.catalogue import Indicator  # noqa: E402

OUT = Path(os.environ.get("CHART_PREVIEW_DIR", "/tmp/charts"))
DFE = Path(__file__).resolve().parents[2] / "shared" / "data" / "dfe"

CASELOAD = Indicator(id="wf_caseload", label="Average caseload per case-holding social worker",
                     definition="", section="workforce", unit="ratio", polarity="lower_is_better",
                     source="csww", period_basis="30 September", decimals=1)
AGENCY = Indicator(id="wf_agency", label="Agency social worker rate", definition="", section="workforce",
                   unit="percent", polarity="lower_is_better", source="csww", period_basis="30 September")
LONGTERM = Indicator(id="ps_longterm", label="Children in long-term placements", definition="",
                     section="looked_after", unit="percent", polarity="higher_is_better",
                     source="cla_placement_stability", period_basis="31 March")
CLA_RATE = Indicator(id="cla_rate", label="Children looked after rate", definition="", section="looked_after",
                     unit="per_10k", polarity="context", source="cla_number", period_basis="31 March", decimals=0)
SPEND = Indicator(id="sp_csc_per_child", label="Children's social care spend per child", definition="",
                  section="spending", unit="gbp", polarity="context", source="finance_ro3",
                  period_basis="financial year", decimals=0)

COUNCIL_BLUE = charts.house_style().colour("council")
GREY = charts.house_style().colour("neighbours")


def save(chart: charts.Chart, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.png").write_bytes(chart.to_png(dpi=150))


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def same_colour(a, b) -> bool:
    return np.allclose(mcolors.to_rgba(a)[:3], mcolors.to_rgba(b)[:3], atol=0.01)


@pytest.fixture
def neighbours() -> pd.DataFrame:
    return pd.DataFrame({
        "area_name": ["Dorset", "Wiltshire", "Somerset", "Devon", "Cornwall", "Shropshire"],
        "value": [13.4, 16.9, np.nan, 15.8, 14.2, 18.0],
        "status": ["ok", "ok", "c", "ok", "ok", "ok"],
        "period": 2025,
    })


# --------------------------------------------------------------------------- house style

def test_house_style_reads_packaged_file_and_sets_theme():
    style = charts.apply_house_style()
    assert style.figure["width_cm"] == 16
    assert style.font["base_pt"] >= 9 and style.font["small_pt"] >= 9
    assert matplotlib.rcParams["axes.spines.top"] is False
    assert matplotlib.rcParams["svg.fonttype"] == "none"  # SVG labels as text


def test_style_file_overrides_and_rejects_unknown_keys(tmp_path):
    good = tmp_path / "ok.yml"
    good.write_text("colours:\n  council: '#CC79A7'\n")
    assert charts.apply_house_style(good).colour("council") == "#CC79A7"
    assert charts.house_style().colour("neighbours") == GREY  # untouched keys keep the packaged value
    bad = tmp_path / "bad.yml"
    bad.write_text("colours:\n  councill: '#000000'\nfont:\n  base_pt: 10\n")
    with pytest.raises(ConfigError, match=r"colours\.councill"):
        charts.apply_house_style(bad)
    section = tmp_path / "section.yml"
    section.write_text("palette: {}\n")
    with pytest.raises(ConfigError, match="palette"):
        charts.apply_house_style(section)
    wrong = tmp_path / "wrong.yml"
    wrong.write_text("lines:\n  england_dash: wiggly\n")
    with pytest.raises(ConfigError, match="england_dash"):
        charts.apply_house_style(wrong)
    charts.apply_house_style()
    assert charts.house_style().colour("council") == COUNCIL_BLUE


# --------------------------------------------------------------------------- wording

def test_finding_title():
    assert (charts.finding_title("Dorset", CASELOAD, 13.4, 15.1, subject="caseload")
            == "Dorset's caseload is lower than its neighbours' average")
    assert "higher than England" in charts.finding_title("Devon", AGENCY, 24.3, 13.0, "England")
    assert "the same as" in charts.finding_title("Devon", CASELOAD, 15.14, 15.06)
    assert charts.finding_title("St Helens", CASELOAD, 1, 2).startswith("St Helens' ")
    assert charts.finding_title("Devon", CASELOAD, np.nan, 2) == \
        "Devon's average caseload per case-holding social worker"


# --------------------------------------------------------------------------- benchmark bars

def test_benchmark_bars_draws_sorted_highlighted_bars_and_gap(neighbours):
    chart = charts.benchmark_bars(neighbours, highlight="Devon", indicator=CASELOAD,
                                  neighbour_mean=15.6, england=15.2)
    ax = chart.ax
    bars = [p for p in ax.patches if p.get_width() > 0]
    assert len(bars) == 5  # Somerset is suppressed: no bar at all, not a zero bar
    assert not any(p.get_width() == 0 for p in ax.patches)
    devon = [p for p in bars if np.isclose(p.get_width(), 15.8)]
    assert len(devon) == 1 and same_colour(devon[0].get_facecolor(), COUNCIL_BLUE)
    assert all(same_colour(p.get_facecolor(), GREY) for p in bars if p is not devon[0])
    # best (lowest caseload) at the top; suppressed at the bottom
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Dorset", "Cornwall", "Devon", "Wiltshire", "Shropshire", "Somerset"]
    assert "suppressed" in texts(ax)
    # reference lines where they should be, with direct labels
    xs = sorted(line.get_xdata()[0] for line in ax.lines)
    assert xs == [15.2, 15.6]
    assert "England 15.2" in texts(ax) and "Neighbour average 15.6" in texts(ax)
    assert ax.get_xlim()[0] == 0
    assert "15.8" in texts(ax)
    # the finding, the alt text and the caption
    assert chart.title == "Devon's average caseload per case-holding social worker is higher than its neighbours' average"
    assert "Devon 15.8, neighbour average 15.6, England 15.2" in chart.alt_text
    assert "5 statistical neighbours at 30 September 2025" in chart.alt_text
    assert "Somerset is suppressed" in chart.alt_text
    assert chart.caption == "Source: DfE, Children's social work workforce, 30 September 2025."
    # the data table: every area in drawn order, the reference lines, the gap's reason
    table = chart.data
    assert list(table["Area"]) == labels + ["Neighbour average", "England"]
    values = dict(zip(table["Area"], table.iloc[:, 1]))
    assert values["Devon"] == 15.8 and np.isnan(values["Somerset"]) and values["England"] == 15.2
    assert table.loc[table["Area"] == "Somerset", "Note"].item() == "suppressed"
    save(chart, "benchmark_bars")


def test_benchmark_bars_polarity_and_context_ordering():
    frame = pd.DataFrame({"area_name": ["A", "B", "C"], "value": [60.0, 75.0, 68.0]})
    best_first = charts.benchmark_bars(frame, highlight="C", indicator=LONGTERM)
    assert [t.get_text() for t in best_first.ax.get_yticklabels()] == ["B", "C", "A"]
    context = charts.benchmark_bars(frame, highlight="C", indicator=CLA_RATE)
    assert [t.get_text() for t in context.ax.get_yticklabels()] == ["B", "C", "A"]
    assert "2nd highest figure of 3" in context.alt_text
    assert "ranks 2nd of 3, where higher is better" in best_first.alt_text


def test_benchmark_bars_on_real_devon_neighbours():
    sn_file, csww_file = DFE / "sn_model_2025_wide.csv", DFE / "csww_indicators_2017_to_2025.csv"
    if not (sn_file.exists() and csww_file.exists()):
        pytest.skip("real DfE files not available")
    sn = pd.read_csv(sn_file, encoding="utf-8-sig", dtype=str)
    devon = sn[sn["la_name"] == "Devon"].iloc[0]
    codes = [devon["old_la_code"]] + [devon[f"SN_{i}"] for i in range(1, 11)]
    csww = pd.read_csv(csww_file, dtype=str)
    la = csww[(csww["geographic_level"] == "Local authority") & (csww["time_period"] == "2025")]
    rows = la[la["old_la_code"].isin(codes)][["la_name", "caseload_fte"]]
    frame = pd.DataFrame({"area_name": rows["la_name"], "value": pd.to_numeric(rows["caseload_fte"], errors="coerce")})
    frame["status"] = np.where(frame["value"].notna(), "ok", rows["caseload_fte"])
    england = float(csww[(csww["geographic_level"] == "National") & (csww["time_period"] == "2025")]
                    ["caseload_fte"].iloc[0])
    mean = frame.loc[frame["area_name"] != "Devon", "value"].mean()
    chart = charts.benchmark_bars(frame, highlight="Devon", indicator=CASELOAD, neighbour_mean=mean,
                                  england=england, period=2025)
    assert len(frame) == 11
    assert f"England {england:.1f}" in chart.alt_text
    assert f"Devon {frame.loc[frame.area_name == 'Devon', 'value'].item():.1f}" in chart.alt_text
    save(chart, "benchmark_bars_devon_real")


def test_bad_arguments_name_the_parameter(neighbours):
    with pytest.raises(ParameterError, match="highlight"):
        charts.benchmark_bars(neighbours, highlight="Devonshire", indicator=CASELOAD)
    with pytest.raises(ParameterError, match=r"lacks column\(s\) \['rate'\]"):
        charts.benchmark_bars(neighbours, value="rate", highlight="Devon", indicator=CASELOAD)
    with pytest.raises(ParameterError, match="indicator"):
        charts.benchmark_bars(neighbours, highlight="Devon", indicator="wf_caseload")


# --------------------------------------------------------------------------- HTML

def test_html_escapes_names_and_carries_alt_caption_and_table(neighbours):
    evil = "<script>alert(1)</script>"
    frame = neighbours.copy()
    frame.loc[frame["area_name"] == "Wiltshire", "area_name"] = evil
    chart = charts.benchmark_bars(frame, highlight="Devon", indicator=CASELOAD, england=15.2,
                                  caption="Source: <b>test</b> & co")
    markup = chart.to_html()
    assert "<script>" not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert markup.startswith('<figure class="chart chart-benchmark-bars">')
    assert 'src="data:image/svg+xml;base64,' in markup  # the house style embeds SVG
    assert 'src="data:image/png;base64,' in chart.to_html(image="png")
    assert f'alt="{html.escape(chart.alt_text)}"' in markup
    assert "<figcaption><p class=\"chart-caption\">Source: &lt;b&gt;test&lt;/b&gt; &amp; co</p>" in markup
    assert "<details><summary>Data behind this chart</summary><table" in markup
    assert markup.count('<th scope="col">') == len(chart.data.columns)
    # one body row per data row, numbers with the indicator's one decimal
    assert markup.count("<tr>") == len(chart.data) + 1
    assert '<td class="num">15.8</td>' in markup and '<td class="num">13.4</td>' in markup
    assert chart._repr_html_() == markup
    png = chart.to_html(image="png")
    assert 'src="data:image/png;base64,' in png
    with pytest.raises(ParameterError, match="image"):
        chart.to_html(image="gif")


def test_svg_labels_are_text_or_outlines_and_png_is_png(neighbours, tmp_path):
    chart = charts.benchmark_bars(neighbours, highlight="Devon", indicator=CASELOAD)
    svg = chart.to_svg().decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    # labels are text, in the house font with a fallback, anchored as drawn
    assert ">Devon</text>" in svg and "font-family: 'DejaVu Sans', 'Arial'" in svg
    assert "text-anchor: end" in svg  # the area names end at the axis whatever the font
    assert 'width="453.' in svg  # 16 cm in points
    outlines = tmp_path / "outlines.yml"
    outlines.write_text("figure:\n  svg_text: outlines\n")
    drawn = charts.benchmark_bars(neighbours, highlight="Devon", indicator=CASELOAD,
                                  theme=load_theme(outlines)).to_svg().decode()
    assert "<text" not in drawn  # glyph outlines: the exact shapes, whatever fonts a reader has
    assert "<text" in chart.to_svg().decode()  # a chart keeps the theme it was drawn in
    bad = tmp_path / "bad.yml"
    bad.write_text("figure:\n  svg_text: paths\n")
    with pytest.raises(ConfigError, match="figure.svg_text.*'text' or 'outlines'"):
        charts.apply_house_style(bad)
    assert chart.to_png(72).startswith(b"\x89PNG")
    assert chart.to_svg() == chart.to_svg()  # reproducible


def test_display_chart_returns_html(neighbours):
    chart = charts.benchmark_bars(neighbours, highlight="Devon", indicator=CASELOAD)
    shown = charts.display_chart(chart)
    markup = shown if isinstance(shown, str) else shown.data
    assert "<figure" in markup and "Data behind this chart" in markup


# --------------------------------------------------------------------------- time series

def series_frame() -> pd.DataFrame:
    rows = []
    devon = [19.3, 19.6, 13.1, np.nan, 17.8, 18.3, 16.7, 14.5, 15.8]
    for i, p in enumerate(range(2017, 2026)):
        rows += [("Devon", p, devon[i]), ("Neighbour average", p, 17.0 - 0.2 * i),
                 ("South West", p, 17.4 - 0.25 * i), ("England", p, 17.7 - 0.3 * i)]
    return pd.DataFrame(rows, columns=["series", "period", "value"])


def test_time_series_gaps_labels_and_styles():
    chart = charts.time_series(series_frame(), highlight="Devon", indicator=CASELOAD)
    ax = chart.ax
    lines = {line.get_label(): line for line in ax.lines if not line.get_label().startswith("_")}
    assert set(lines) == {"Devon", "Neighbour average", "South West", "England"}
    devon = lines["Devon"]
    assert np.isnan(devon.get_ydata()[3])  # 2020 is a gap, not joined across
    assert same_colour(devon.get_color(), COUNCIL_BLUE)
    assert lines["England"].get_linestyle() == "--" and lines["Neighbour average"].get_linestyle() == ":"
    assert lines["England"].get_linestyle() != lines["South West"].get_linestyle()
    assert {"Devon 15.8", "England 15.3", "Neighbour average 15.4", "South West 15.4"} <= set(texts(ax))
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "Sep\n2025"
    assert ax.get_ylim()[0] == 0
    assert "from 19.3 at 30 September 2017 to 15.8 at 30 September 2025" in chart.alt_text
    assert "No figure for Devon at 30 September 2020" in chart.alt_text
    assert chart.title == "Devon's average caseload per case-holding social worker has fallen since 30 September 2017"
    assert len(chart.data) == 36 and set(chart.data["Period"]) >= {"30 September 2020"}
    save(chart, "time_series")


def test_time_series_financial_year_labels():
    frame = pd.DataFrame({"series": ["Devon"] * 3 + ["England"] * 3, "period": [2023, 2024, 2025] * 2,
                          "value": [1400, 1500, 1650, 1300, 1380, 1420]})
    chart = charts.time_series(frame, highlight="Devon", indicator=SPEND)
    assert [t.get_text() for t in chart.ax.get_xticklabels()] == ["2022-23", "2023-24", "2024-25"]
    assert "£1,650" in chart.alt_text and "in 2024-25" in chart.alt_text
    assert "Devon £1,650" in texts(chart.ax)


# --------------------------------------------------------------------------- funnel

def funnel_inputs():
    rng = np.random.default_rng(3)
    denominators = rng.integers(80, 900, 40).astype(float)
    numerators = np.round(denominators * rng.normal(0.15, 0.04, 40).clip(0.01))
    data = pd.DataFrame({"area_name": [f"Council {i}" for i in range(40)], "numerator": numerators,
                         "denominator": denominators})
    data.loc[0, ["area_name", "numerator", "denominator"]] = ["Devon", 118, 485]
    p = data["numerator"].sum() / data["denominator"].sum()
    n = np.linspace(20, 950, 100)
    limits = pd.DataFrame({"denominator": n})
    for z, tag in ((1.96, "95"), (3.09, "998")):
        se = np.sqrt(p * (1 - p) / n)
        limits[f"lower{tag}"] = (p - z * se).clip(0) * 100
        limits[f"upper{tag}"] = (p + z * se) * 100
    limits["centre"] = p * 100
    return data, limits, p * 100


def test_funnel_plot_rates_limits_and_subject():
    data, limits, centre = funnel_inputs()
    chart = charts.funnel_plot(data, highlight="Devon", indicator=AGENCY, limits=limits, period=2025)
    ax = chart.ax
    subject = [c for c in ax.collections if len(c.get_offsets()) == 1
               and same_colour(c.get_facecolor()[0], COUNCIL_BLUE)]
    assert len(subject) == 1
    x, y = subject[0].get_offsets()[0]
    assert x == 485 and y == pytest.approx(118 / 485 * 100)
    assert "Devon 24.3%" in texts(ax)
    assert any(np.isclose(line.get_ydata()[0], centre) for line in ax.lines)  # centre line
    assert len([line for line in ax.lines if line.get_linestyle() == "--"]) == 2  # 95% pair
    assert len([line for line in ax.lines if line.get_linestyle() == ":"]) == 2  # 99.8% pair
    assert "Devon 24.3% (118 of 485)" in chart.alt_text
    assert chart.data.loc[chart.data["Area"] == "Devon", "Compared with the funnel limits"].item() \
        .startswith("above")
    assert chart.formats["Numerator"] == 0
    save(chart, "funnel_plot")


def test_funnel_needs_a_centre():
    data, limits, _ = funnel_inputs()
    with pytest.raises(ParameterError, match="centre"):
        charts.funnel_plot(data, highlight="Devon", indicator=AGENCY, limits=limits.drop(columns="centre"))
    with pytest.raises(ParameterError, match="limits"):
        charts.funnel_plot(data, highlight="Devon", indicator=AGENCY, limits=limits.drop(columns="upper95"))


def test_funnel_per_10k_scale():
    data = pd.DataFrame({"area_name": ["A", "B"], "numerator": [50, 80], "denominator": [10000, 20000]})
    limits = pd.DataFrame({"denominator": [1000, 30000], "lower95": [30, 40], "upper95": [60, 50],
                           "lower998": [20, 35], "upper998": [70, 55]})
    chart = charts.funnel_plot(data, highlight="A", indicator=CLA_RATE, limits=limits, centre=45)
    assert chart.data.set_index("Area").iloc[:, 2]["A"] == pytest.approx(50.0)


# --------------------------------------------------------------------------- position strip

def test_position_strip_bands_and_marks():
    rng = np.random.default_rng(5)
    values = np.round(rng.normal(15, 2.5, 150), 1)
    frame = pd.DataFrame({"area_name": [f"LA {i}" for i in range(150)], "value": values})
    frame.loc[0, ["area_name", "value"]] = ["Devon", 15.8]
    q = [14.0, 15.2, 16.8]
    chart = charts.position_strip(frame, highlight="Devon", indicator=CASELOAD, quartiles=q, england=15.2,
                                  period=2025)
    ax = chart.ax
    assert [t for t in texts(ax) if len(t) == 1] == ["A", "B", "C", "D"]  # low is good: A on the left
    spans = [p for p in ax.patches]
    assert len(spans) == 4
    assert "Devon 15.8" in texts(ax) and "England 15.2" in texts(ax)
    assert chart.data.loc[chart.data["Area"] == "Devon", "Quartile band"].item() == "C"
    assert "band C (the second-worst quarter)" in chart.alt_text
    assert "Quartile cut points 14.0, 15.2 and 16.8" in chart.alt_text
    assert len(chart.data) == 151
    save(chart, "position_strip")
    context = charts.position_strip(frame, highlight="Devon", indicator=CLA_RATE)
    assert [t for t in texts(context.ax) if t.startswith("Q")] == ["Q1", "Q2", "Q3", "Q4"]
    higher = charts.position_strip(frame, highlight="Devon", indicator=LONGTERM, quartiles=q)
    assert [t for t in texts(higher.ax) if len(t) == 1] == ["D", "C", "B", "A"]


# --------------------------------------------------------------------------- at a glance

def glance_rows() -> pd.DataFrame:
    rows = []
    spec = {"wf_caseload": ("Average caseload per case-holding social worker", "ratio", 1, "lower_is_better",
                            [17.7, 18.3, 16.2, 14.5, 15.8], 15.2, 15.1),
            "wf_agency": ("Agency social worker rate", "percent", 1, "lower_is_better",
                          [21.7, 26.3, 31.2, 30.0, 24.3], 13.0, 6.6),
            "cla_rate": ("Children looked after rate", "per_10k", 0, "context", [52, 55, 57, 60, 60], 70, 62),
            "ps_longterm": ("Children in long-term placements", "percent", 1, "higher_is_better",
                            [70.1, 69.0, np.nan, 68.2, 71.5], 71.0, 70.2)}
    for ident, (label, unit, decimals, polarity, values, england, mean) in spec.items():
        for i, p in enumerate(range(2021, 2026)):
            rows.append(dict(indicator_id=ident, label=label, period=p, council=values[i],
                             neighbour_mean=mean + 0.1 * i, england=england - 0.1 * i, unit=unit,
                             period_basis="30 September" if ident.startswith("wf") else "31 March",
                             decimals=decimals, polarity=polarity))
    return pd.DataFrame(rows)


def test_at_a_glance_panels_numbers_and_arrows():
    chart = charts.at_a_glance(glance_rows(), council="Devon")
    fig = chart.figure
    assert len(chart.axes) == 4
    all_text = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert {"15.8", "24.3%", "60", "71.5%"} <= set(all_text)
    arrows = {t.get_text(): t.get_color() for ax in fig.axes for t in ax.texts if t.get_text() in "↑↓→"}
    assert set(arrows) == {"↑", "↓", "→"}
    style = charts.house_style()
    caseload_arrow = [t for t in fig.axes[0].texts if t.get_text() == "↑"][0]
    assert same_colour(caseload_arrow.get_color(), style.colour("worse"))  # caseload up is worse
    assert "Average caseload per case-holding social worker: 15.8 at 30 September 2025, up from 14.5" in chart.alt_text
    assert "unchanged from 60 per 10,000" in chart.alt_text
    assert len(chart.data) == 20 and list(chart.data.columns) == [
        "Indicator", "Period", "Devon", "Neighbour average", "England"]
    markup = chart.table_html()
    assert '<td class="num">60</td>' in markup and '<td class="num">24.3</td>' in markup
    save(chart, "at_a_glance")


def test_at_a_glance_needs_units_without_catalogue():
    rows = glance_rows().drop(columns=["unit"])
    with pytest.raises(ParameterError, match="unit"):
        charts.at_a_glance(rows, council="Devon")


# --------------------------------------------------------------------------- monthly

def monthly_frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    months = pd.date_range("2022-04-01", "2025-03-01", freq="MS")
    values = 300 + 40 * np.sin((months.month - 1) / 12 * 2 * np.pi) + rng.normal(0, 15, len(months))
    frame = pd.DataFrame({"month": months.strftime("%Y-%m"), "value": np.round(values + np.arange(len(months)))})
    return frame.drop(index=[20])  # December 2023 never arrived


def test_monthly_trend_rolling_gaps_and_target():
    chart = charts.monthly_trend(monthly_frame(), rolling=3, label="Contacts received", area="Devon", target=320)
    ax = chart.ax
    raw, rolling = ax.lines[0], ax.lines[1]
    assert len(raw.get_ydata()) == 36 and np.isnan(raw.get_ydata()[20])  # gap kept
    assert np.isnan(rolling.get_ydata()[:2]).all()
    assert same_colour(rolling.get_color(), COUNCIL_BLUE)
    assert any(t.startswith("3-month average") for t in texts(ax)) and "Target 320" in texts(ax)
    assert "1 month with no figure" in chart.alt_text and "Target 320" in chart.alt_text
    assert list(chart.data.columns) == ["Month", "Contacts received", "3-month average"]
    assert chart.data["Month"].iloc[20] == "Dec 2023"
    save(chart, "monthly_trend")
    with pytest.raises(ParameterError, match="rolling"):
        charts.monthly_trend(monthly_frame(), rolling=1)


def test_seasonality_chart_years_and_highlight():
    chart = charts.seasonality_chart(monthly_frame(), year_start=4, label="Contacts received", area="Devon")
    ax = chart.ax
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["Apr", "May"]
    assert {"2022-23", "2023-24", "2024-25"} <= set(texts(ax))
    latest = [line for line in ax.lines if same_colour(line.get_color(), COUNCIL_BLUE)]
    assert len(latest) == 1
    assert list(chart.data.columns) == ["Month", "2022-23", "2023-24", "2024-25"]
    assert "2024-25 is highlighted" in chart.alt_text
    save(chart, "seasonality")
    calendar = charts.seasonality_chart(monthly_frame(), label="Contacts received")
    assert list(calendar.data.columns)[1:] == ["2022", "2023", "2024", "2025"]


# --------------------------------------------------------------------------- drawing on a given axes, speed

def test_charts_draw_on_a_given_axes(neighbours):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(12, 4))
    left, right = fig.subplots(1, 2)
    a = charts.benchmark_bars(neighbours, highlight="Devon", indicator=CASELOAD, ax=left)
    b = charts.time_series(series_frame(), highlight="Devon", indicator=CASELOAD, ax=right)
    assert a.ax is left and b.ax is right and a.figure is fig
    assert left.get_title(loc="left").startswith("Devon's")


def test_module_draws_no_pyplot_figures(neighbours):
    import matplotlib.pyplot as plt
    before = len(plt.get_fignums())
    charts.benchmark_bars(neighbours, highlight="Devon", indicator=CASELOAD)
    assert len(plt.get_fignums()) == before  # notebooks show the Chart once, not the figure too


# --------------------------------------------------------------------------- the data table

def all_kinds(neighbours) -> dict:
    data, limits, _ = funnel_inputs()
    rng = np.random.default_rng(5)
    strip = pd.DataFrame({"area_name": [f"LA {i}" for i in range(150)], "value": np.round(rng.normal(15, 2.5, 150), 1)})
    strip.loc[0, "area_name"] = "Devon"
    return {
        "bars": charts.benchmark_bars(neighbours, highlight="Devon", indicator=CASELOAD, neighbour_mean=15.6,
                                      england=15.2),
        "series": charts.time_series(series_frame(), highlight="Devon", indicator=CASELOAD),
        "funnel": charts.funnel_plot(data, highlight="Devon", indicator=AGENCY, limits=limits),
        "strip": charts.position_strip(strip, highlight="Devon", indicator=CASELOAD, england=15.2),
        "glance": charts.at_a_glance(glance_rows(), council="Devon"),
        "monthly": charts.monthly_trend(monthly_frame(), rolling=3, label="Contacts received", target=320),
        "season": charts.seasonality_chart(monthly_frame(), year_start=4, label="Contacts received"),
    }


def _table_html_by_iterrows(chart) -> str:
    """The data table as it was built before, row by row with iterrows."""
    frame = chart.data
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in frame.columns)
    body = []
    for i, (_, row) in enumerate(frame.iterrows()):
        cells = []
        for col in frame.columns:
            decimals = chart.formats.get(col)
            if decimals is None and chart.row_decimals is not None:
                decimals = chart.row_decimals[i]
            text, numeric = charts._cell_text(row[col], decimals)
            cls = ' class="num"' if numeric else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="chart-data"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def test_table_html_is_the_same_as_row_by_row(neighbours):
    for chart in all_kinds(neighbours).values():
        assert chart.table_html() == _table_html_by_iterrows(chart)
    from matplotlib.figure import Figure
    ax = Figure().add_subplot()
    frames = [
        # ints and floats only: pandas gives every cell as a float
        (pd.DataFrame({"count": [1, 20_000], "rate": [0.5, np.nan]}), {"rate": 2}, None),
        (pd.DataFrame({"count": [1, 20_000], "rate": [0.5, np.nan]}), {}, [0, 3]),
        # mixed with text: each cell keeps its own type
        (pd.DataFrame({"area": ["<A>", None], "count": [3, 4_000], "rate": [1.25, np.nan], "flag": [True, False]}),
         {"count": 1}, None),
        (pd.DataFrame({"when": pd.to_datetime(["2025-03-31", "2024-03-31"]), "v": [1.0, 2.0]}), {}, None),
        (pd.DataFrame({"area": pd.Series(["x", pd.NA], dtype="string"), "n": pd.array([1, pd.NA], dtype="Int64")}),
         {}, None),
        (pd.DataFrame({"a": [], "b": []}), {}, None),
    ]
    for frame, formats, row_decimals in frames:
        chart = charts.Chart(ax.figure, ax, "t", "alt", frame, formats=formats, row_decimals=row_decimals)
        assert chart.table_html() == _table_html_by_iterrows(chart), frame


# --------------------------------------------------------------------------- layout without a layout engine

def test_charts_are_laid_out_before_drawing_and_save_in_one_draw(neighbours):
    width = charts.house_style().width_in
    for name, chart in all_kinds(neighbours).items():
        fig = chart.figure
        assert fig.get_layout_engine() is None, name  # savefig draws once, with nothing to lay out first
        assert fig.get_figwidth() == pytest.approx(width), name
        draws = []
        original = fig.draw
        fig.draw = lambda renderer, _draw=original, _draws=draws: (_draws.append(1), _draw(renderer))[1]
        png = chart.to_png()
        assert len(draws) == 1, name
        assert chart.to_png() == png, name  # the same bytes every time
        assert chart.to_svg() == chart.to_svg(), name
        chart.close()


def rendered_texts(fig):
    """Every visible text of a drawn figure with its extent in pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)
    with matplotlib.rc_context(charts.house_style().rc):
        canvas.draw()
    renderer = canvas.get_renderer()
    out = [(t.get_text(), t.get_window_extent(renderer)) for t in fig.texts if t.get_visible() and t.get_text()]
    for ax in fig.axes:
        texts = list(ax.texts) + [ax.xaxis.label, ax.yaxis.label]
        for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            texts += [tick.label1 for tick, loc in zip(axis.get_major_ticks(), axis.get_majorticklocs())
                      if min(low, high) <= loc <= max(low, high)]
        out += [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_visible() and t.get_text()]
    return out


def overlap(a, b, tolerance=0.5) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > tolerance) and (min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance)


def test_nothing_is_clipped_and_the_title_clears_the_plot():
    joint = "Kingston upon Thames and\nRichmond upon Thames (joint)"
    frame = pd.DataFrame({"area_name": [joint, "Bath and North East Somerset", "Windsor and Maidenhead", "Surrey"],
                          "value": [13.9, 16.3, 16.9, 15.1]})
    rows = []
    for i, p in enumerate(range(2017, 2026)):
        rows += [(joint, p, 10 + i * 0.5), ("Neighbour average", p, 15.3), ("Outer London", p, 14.6),
                 ("England", p, 15.2)]
    series = pd.DataFrame(rows, columns=["series", "period", "value"])
    made = {
        # the higher reference line's label runs right of its line, past the bars
        "bars": charts.benchmark_bars(frame, highlight=joint, indicator=CASELOAD, neighbour_mean=16.9, england=15.2,
                                      title=f"{joint}'s average caseload is lower than its neighbours' average"),
        "series": charts.time_series(series, highlight=joint, indicator=CASELOAD,
                                     title=f"{joint}'s average caseload has risen over the three years to "
                                           "30 September 2025"),
        "monthly": charts.monthly_trend(monthly_frame(), rolling=12, label="Contacts received", target=320),
    }
    for name, chart in made.items():
        fig = chart.figure
        texts = rendered_texts(fig)
        width, height = fig.bbox.width, fig.bbox.height
        for text, box in texts:
            assert box.x0 >= -0.5 and box.x1 <= width + 0.5 and box.y0 >= -0.5 and box.y1 <= height + 0.5, \
                f"{name}: {text!r} is cut off at the figure's edge ({box})"
        title = fig._suptitle.get_window_extent()
        assert title.x0 < 0.02 * width  # on the figure's left edge
        for text, box in texts:
            if text != fig._suptitle.get_text():
                assert not overlap(title, box), f"{name}: the title runs into {text!r}"
        # end labels and tick labels keep clear of each other
        labels = [(t, b) for t, b in texts if t != fig._suptitle.get_text()]
        for i, (a_text, a) in enumerate(labels):
            for b_text, b in labels[i + 1:]:
                assert not overlap(a, b, tolerance=1.0), f"{name}: {a_text!r} runs into {b_text!r}"
    # a two-line area name keeps both its lines in the bar chart's margin
    assert joint in [t.get_text() for t in made["bars"].ax.get_yticklabels()]
    # crowded period labels are thinned, the latest always kept, every tick mark kept
    ticks = [t.get_text() for t in made["series"].ax.get_xticklabels()]
    assert len(ticks) == 9 and ticks[-1] == "Sep\n2025"


def test_charts_on_the_callers_axes_keep_the_callers_layout(neighbours):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(12, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    engine = fig.get_layout_engine()
    before = left.get_position().bounds, right.get_position().bounds
    charts.benchmark_bars(neighbours, highlight="Devon", indicator=CASELOAD, ax=left)
    chart = charts.time_series(series_frame(), highlight="Devon", indicator=CASELOAD, ax=right)
    assert fig.get_layout_engine() is engine
    assert (left.get_position().bounds, right.get_position().bounds) == before
    assert fig._suptitle is None and right.get_title(loc="left").startswith("Devon's")
    assert {"Devon 15.8", "England 15.3"} <= set(texts(right))  # end labels drawn on the given axes
    assert chart.to_png(72).startswith(b"\x89PNG")


def test_text_measured_once_per_process_draws_the_same_bytes(neighbours, monkeypatch):
    """Labels are measured once per process, not once per draw; the charts
    saved are byte for byte those matplotlib's own per-draw measuring gives."""
    import matplotlib.text as mtext
    data, limits, _ = funnel_inputs()

    def draw():
        made = [charts.benchmark_bars(neighbours, highlight="Dorset", indicator=CASELOAD, neighbour_mean=15.1,
                                      england=15.2, period=2025),
                charts.funnel_plot(data, highlight="Devon", indicator=AGENCY, limits=limits, period=2025)]
        return [(c.to_svg(), c.to_png(dpi=60)) for c in made]

    assert mtext._get_text_metrics_with_cache is charts._shared_text_metrics
    charts._TEXT_METRICS.clear()
    shared = draw()
    measured = len(charts._TEXT_METRICS)
    assert measured > 20
    assert draw() == shared and len(charts._TEXT_METRICS) == measured  # the second time, nothing new to measure
    monkeypatch.setattr(mtext, "_get_text_metrics_with_cache", charts._measure_text_per_renderer)
    assert draw() == shared
