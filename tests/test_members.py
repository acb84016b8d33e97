"""The members' edition: one build writes it beside the full edition; it is
short, puts what needs attention first, speaks plain English, says what
changed since the last pack, and reads on a phone."""

from __future__ import annotations

import csv
import html
import json
import re
import shutil

import pytest

from conftest import ARTIFACTS
from helpers import words
from helpers.stats import compare_council, compare_indicator
from helpers.words.attention import attention_items
from stores import small_store

#: Words members should not meet in their edition (technical terms, file and parameter names).
JARGON = re.compile(r"over-?dispersion|funnel|denominator|\bband [A-D]\b|quartile|\.yml\b|\bparameter\b|"
                    r"data store|p-value|z-score|confidence interval", re.I)


def _text(markup: str) -> str:
    markup = re.sub(r"<style>.*?</style>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


# --------------------------------------------------------------------------- the attention rule

def test_attention_puts_red_ratings_first_and_says_why():
    small = small_store()
    comps = [compare_indicator(small, "838", i) for i in ("wf_caseload", "wf_agency", "cla_rate")]
    items = attention_items(comps)
    assert items and items[0].comparison.indicator_id == "wf_caseload"      # Dorset's caseload: Red
    assert items[0].reasons[0] in ("red", "red_target")
    for item in items:
        c = item.comparison
        assert c.comparable and (c.rag == "red" or c.funnel.unusual_side or c.trend_3.is_trend
                                 or c.trend_5.is_trend or c.change_1y.beyond_chance)


def test_attention_never_picks_a_figure_too_small_to_compare(real_store):
    comps = compare_council(real_store, "Isles of Scilly") + compare_council(real_store, "City of London")
    assert all(i.comparison.comparable for i in attention_items(comps, limit=None))


# --------------------------------------------------------------------------- a real members' edition

@pytest.fixture(scope="module")
def devon(real_dir, packs_env):
    from helpers.pack import build_pack
    res = build_pack(council="Devon", data=str(real_dir), committee="Children's Scrutiny Committee",
                     meeting_date="2026-01-20", reports_dir=packs_env / "members-reports")
    for f in ("members.pdf", "members.html"):
        dest = ARTIFACTS / "packs" / f"devon-{f}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(res.out_dir / f, dest)
    return res


@pytest.mark.slow
@pytest.mark.xdist_group("members")
def test_one_build_writes_both_editions(devon, real_store):
    assert devon.members_pdf.is_file() and devon.members_html.is_file() and devon.pdf.is_file()
    manifest = json.loads(devon.manifest.read_text())
    assert manifest["editions"] == ["full", "members"]
    for name in ("members.html", "members.pdf", "pack.html", "pack.pdf", "figures.json"):
        assert name in manifest["files"]
    # the full edition keeps every measure the data holds
    full = devon.html.read_text(encoding="utf-8")
    held = set(real_store.indicators.loc[real_store.indicators["status"] == "ok", "indicator"])
    for ind in real_store.catalogue:
        if ind.id in held:
            assert f'id="{ind.section}-{ind.id}"' in full, ind.id


@pytest.mark.slow
@pytest.mark.xdist_group("members")
def test_members_pdf_is_short_and_puts_attention_first(devon, real_store):
    from pypdf import PdfReader
    pages = [p.extract_text() or "" for p in PdfReader(str(devon.members_pdf)).pages]
    from helpers.catalogue import default_sections
    text = " ".join(" ".join(p.split()) for p in pages)
    sections = sum(1 for sid, title in default_sections().items() if sid != "local" and title in text)
    # at most 16 A4 pages however many measures the catalogue holds: a page a section, with the cover,
    # what needs attention, at a glance and how to read
    assert sections >= 7 and len(pages) <= 16
    assert "Inadequate" in " ".join(pages[0].split())
    # what needs attention comes straight after the cover, the worst first
    at = next(i for i in range(1, len(pages)) if "What needs your attention" in pages[i])   # the cover is one page
    worst = attention_items(compare_council(real_store, "878"))[0].comparison.indicator.label
    assert at == 1 and worst in " ".join(pages[at].split())
    everything = " ".join(" ".join(p.split()) for p in pages)
    assert not JARGON.search(everything), JARGON.search(everything).group(0)


@pytest.mark.slow
@pytest.mark.xdist_group("members")
def test_members_html_speaks_plain_english_and_writes_colours_as_words(devon):
    markup = devon.members_html.read_text(encoding="utf-8")
    text = _text(markup)
    assert not JARGON.search(text), JARGON.search(text).group(0)
    alts = " ".join(re.findall(r'alt="([^"]*)"', markup))
    assert not JARGON.search(html.unescape(alts))
    for word in ("Red", "Amber", "Green", "Grey"):
        assert f"{word}:" in text or f"{word} " in text
    assert "What needs your attention" in text and "How to read this pack" in text and "Glossary" in text
    # every Red marker carries its word
    assert markup.count('class="rag rag-red"') == len(re.findall(r'class="rag rag-red">Red<', markup))


@pytest.mark.slow
@pytest.mark.xdist_group("members")
def test_figures_record_is_saved_with_the_pack(devon, real_store):
    record = json.loads((devon.out_dir / "figures.json").read_text())
    c = compare_indicator(real_store, "Devon", "wf_vacancy")
    saved = record["indicators"]["wf_vacancy"]
    assert saved["value"] == c.value and saved["rag"] == c.rag == "red" and saved["period"] == 2025
    assert record["inspection"]["judgement"] == "Inadequate"
    # the questions asked, each tied to measures saved in the record, Red ones among them
    assert record["questions"] and all(set(q["indicators"]) <= set(record["indicators"]) for q in record["questions"])
    assert any(record["indicators"][i]["rag"] == "red" for q in record["questions"] for i in q["indicators"])


# --------------------------------------------------------------------------- since the last pack

def _older_release(real_dir, tmp_path):
    """The real releases with the workforce file cut back to 2024: the data a
    committee had before the 2025 workforce census was published."""
    folder = tmp_path / "older"
    folder.mkdir()
    for p in real_dir.glob("*.csv"):
        shutil.copyfile(p, folder / p.name)
    csww = folder / "csww_indicators_2017_to_2025.csv"
    with csww.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    with csww.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([rows[0]] + [r for r in rows[1:] if r[0] != "2025"])
    return folder


@pytest.mark.slow
@pytest.mark.xdist_group("members")
def test_a_second_pack_says_what_changed_since_the_first_and_both_remain(real_dir, packs_env, tmp_path):
    from helpers.pack import build_pack
    reports = tmp_path / "reports"
    first = build_pack(council="Devon", data=str(_older_release(real_dir, tmp_path)), sections="summary,members",
                       formats=("html",), reports_dir=reports)
    text = _text(first.members_html.read_text(encoding="utf-8"))
    assert "There is no earlier pack" in text
    second = build_pack(council="Devon", data=str(real_dir), sections="summary,members", formats=("html",),
                        reports_dir=reports)
    since = _text(second.members_html.read_text(encoding="utf-8")).split("Since the last pack", 2)[-1]
    since = since.split("At a glance")[0]
    assert "New figures published" in since
    assert "Social worker vacancy rate: 30 September 2025 figure 20.0% (last pack: 30 September 2024" in since
    assert "Agency social worker rate" in since
    # the first pack is kept beside the second, and the second says which it compared with
    kept = [p for p in (reports / "devon").rglob("figures.json") if p.parent != second.out_dir]
    assert kept and json.loads(kept[0].read_text())["indicators"]["wf_vacancy"]["period"] == 2024
    manifest = json.loads(second.manifest.read_text())
    assert manifest["compared_with"]["latest_period"] == 2025 or manifest["compared_with"]["built"]
    # building again from the same inputs compares with the same first pack, and is up to date
    again = build_pack(council="Devon", data=str(real_dir), sections="summary,members", formats=("html",),
                       reports_dir=reports, force=False)
    assert again.skipped
