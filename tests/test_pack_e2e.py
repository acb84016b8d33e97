"""End to end: whole packs from the project's own notebooks.

A real pack for a reorganised council from the real releases (every official
section, HTML and PDF), a demo pack with the local performance section, and
a pack for a council outside the official English releases (local figures and
its own comparator group only)."""

from __future__ import annotations

import html as _html
import re
from pathlib import Path

import pytest
from conftest import scrutiny_env

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OFFICIAL_SECTIONS = ["summary", "workforce", "front_door", "child_protection", "looked_after", "cla_outcomes",
                     "care_leavers", "spending"]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packs")]


@pytest.fixture(scope="module")
def env(tmp_path_factory, store_cache):
    base = tmp_path_factory.mktemp("e2e")
    # demo data and data/local go under the test's folder, not the checkout
    with scrutiny_env(cache_dir=store_cache, reports_dir=base / "reports", data_dir=base / "data"):
        yield base


def pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader
    return [p.extract_text() or "" for p in PdfReader(str(path)).pages]


def indicator_block(page: str, section: str, indicator: str) -> str:
    start = page.index(f'id="{section}-{indicator}"')
    nxt = page.find("<h2", start + 10)
    return page[start: nxt if nxt > 0 else len(page)]


def test_full_real_pack_for_a_reorganised_council(env, real_dir, real_store):
    from helpers.pack import build_pack
    res = build_pack(council="Dorset", data=str(real_dir), notebooks_dir=NOTEBOOKS,
                     committee="People Overview and Scrutiny Committee", meeting_date="2026-01-20",
                     reports_dir=env / "reports")
    assert res.council == "Dorset" and res.period == 2025
    page = res.html.read_text(encoding="utf-8")
    for sid in OFFICIAL_SECTIONS:
        assert f'id="section-{sid}"' in page and f'href="#section-{sid}"' in page
    assert 'id="section-local"' not in page  # Dorset supplied no local figures
    assert "DEMO DATA" not in page
    # every indicator's latest figure in the text equals the store's value
    checked = 0
    for ind in real_store.catalogue:
        rows = real_store.series("838", ind.id)
        ok = rows[rows["status"] == "ok"]
        if ok.empty or f'id="{ind.section}-{ind.id}"' not in page:
            continue
        latest = ok.iloc[-1]
        block = _html.unescape(indicator_block(page, ind.section, ind.id))
        assert ind.format_value(latest["value"], with_unit=False) in block, (ind.id, latest["value"])
        checked += 1
    assert checked >= 25
    # Dorset's series starts with the new council; the predecessor is named, not merged
    assert "2019" in indicator_block(page, "workforce", "wf_caseload")
    # no code, no scripts, no external references
    assert "from helpers import" not in page and "<script" not in page.lower()
    assert not re.search(r"""\bsrc\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"<link\b", page, re.I)
    # the PDF: page numbers, running header, every section title
    pages = pdf_pages(res.pdf)
    n = len(pages)
    assert n > 10 and f"Page 1 of {n}" in pages[0] and f"Page {n} of {n}" in pages[-1]
    assert "Dorset" in pages[3] and "20 January 2026" in pages[3]
    text = "\n".join(pages)
    for title in ("Summary", "Social work workforce", "Front door and children in need", "Child protection",
                  "Children looked after and placement stability", "Care leavers", "Spending and inspection"):
        assert title in text
    caseload = real_store.value("838", "wf_caseload", 2025)
    assert f"{caseload:.1f}" in text


def test_demo_pack_with_local_section(env):
    from helpers.pack import build_pack
    res = build_pack(council="Northmoor", data="demo", local_figures="demo", notebooks_dir=NOTEBOOKS,
                     sections=["workforce", "local"], reports_dir=env / "reports")
    page = res.html.read_text(encoding="utf-8")
    assert 'id="section-workforce"' in page and 'id="section-local"' in page
    assert "DEMO DATA" in page
    assert "peak in July" in page or "highest in" in page  # the seasonality the members asked for
    assert "Budget" in page and "overspend" in page.lower()
    assert pdf_pages(res.pdf)


def test_pack_for_a_council_outside_the_english_releases(env):
    from helpers.pack import build_pack
    res = build_pack(council="Afon Uchaf", data="demo", local_figures="demo", notebooks_dir=NOTEBOOKS,
                     committee="Children's Scrutiny", reports_dir=env / "reports")
    page = res.html.read_text(encoding="utf-8")
    assert 'id="section-local"' in page and 'id="section-workforce"' not in page
    assert "not in the official English releases" in page
    assert "statistical neighbours" in page  # named among what is not available
    assert res.manifest.exists() and res.pdf.exists()
    pages = pdf_pages(res.pdf)
    assert "Afon Uchaf" in pages[0] and f"Page {len(pages)} of {len(pages)}" in pages[-1]
