"""The PDF as a reader gets it: the session's demo pack and real pack
(tests/conftest.py), read back with pypdf. A4 pages, every page numbered
"Page i of n", every section heading present on the page the contents list
gives, the "Every measure" figures equal the store's values (formatted with
the catalogue's Indicator.format_value), and pages rendered to PNG with
pdftoppm as artefacts in test-artifacts/pdf/."""

from __future__ import annotations

import html as _html
import json
import math
import re
import shutil
import subprocess

import pytest
from conftest import ARTIFACTS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packs")]

_CACHE: dict[str, dict] = {}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


@pytest.fixture(scope="module", params=["demo", "real"])
def pdf(request) -> dict:
    kind = request.param
    if kind not in _CACHE:
        from pypdf import PdfReader
        pack = request.getfixturevalue(f"{kind}_pack")
        reader = PdfReader(str(pack.pdf))
        html = pack.html.read_text(encoding="utf-8")
        titles = [_html.unescape(t) for t in re.findall(r'<h1 class="section-title" id="[^"]+">(.*?)</h1>', html)]
        _CACHE[kind] = {"kind": kind, "pack": pack, "reader": reader,
                        "texts": [p.extract_text() or "" for p in reader.pages],
                        "manifest": json.loads(pack.manifest.read_text()), "titles": titles,
                        "running": _norm(_html.unescape(re.search(r'<p class="running-title"[^>]*>(.*?)</p>', html).group(1)))}
    return _CACHE[kind]


_PAGE_NUMBER = re.compile(r"^Page \d+ of \d+")


def _body_lines(text: str, running: str) -> list[str]:
    """A page's text without its margins: the running header and the footer
    ("Page i of n", with the section's name, which some engines extract on
    the same line). Engines differ in whether margins come first or last."""
    lines = [_norm(x) for x in text.splitlines()]
    return [ln for ln in lines if ln and ln != running and not _PAGE_NUMBER.match(ln)]


def _contents(texts: list[str]) -> list[tuple[str, int]]:
    """(entry, page number) from the contents pages' dot leaders."""
    entries = []
    for text in texts[1:6]:
        for line in text.splitlines():
            m = re.match(r"^(.*?\S)\s*\.{4,}\s*(\d+)\s*$", line.strip())
            if m:
                entries.append((m.group(1).strip(), int(m.group(2))))
    return entries


def test_page_count_and_a4(pdf):
    reader, manifest = pdf["reader"], pdf["manifest"]
    n = len(reader.pages)
    # cover, contents, at least a page per section, notes, appendix
    assert n >= len(manifest["sections"]) + 4, n
    for page in reader.pages:
        box = page.mediabox
        assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2
    if pdf["kind"] == "demo":
        assert n >= 30, "a full demo pack has every section"


def test_every_page_is_numbered(pdf):
    texts = pdf["texts"]
    n = len(texts)
    unnumbered = [i + 1 for i, t in enumerate(texts) if f"Page {i + 1} of {n}" not in t]
    assert not unnumbered, f"pages without 'Page i of {n}': {unnumbered}"
    # the running header (council, committee, date) on every page but the cover
    name = pdf["manifest"]["council"]
    assert all(name in t for t in texts[1:])
    assert all("Children's Scrutiny <Committee> & Panel" in t for t in texts[1:])


def test_every_section_heading_on_the_page_the_contents_gives(pdf):
    texts, titles = pdf["texts"], pdf["titles"]
    n = len(texts)
    assert len(titles) == len(pdf["manifest"]["sections"]) + 2  # + notes on the data, sources
    assert titles[-2:] == ["Notes on the data", "Sources and definitions"]
    entries = _contents(texts)
    at = 0
    for title in titles:  # in pack order (a section may have a sub-heading of the same words)
        names = [e for e, _ in entries[at:]]
        assert title in names, f"{title!r} is not in the contents (in order)"
        at += names.index(title)
        page = entries[at][1]
        assert 1 < page <= n
        # on that page as a line of its own (engines differ in the order
        # they extract floated text, so not necessarily the first line)
        body = _body_lines(texts[page - 1], pdf["running"])
        assert title in body, (title, page, body[:3])
    # every contents entry (indicators too) is on the page it names
    wrong = [(e, p) for e, p in entries if _norm(e) not in _norm(texts[p - 1])]
    assert not wrong, f"contents entries not found on their page: {wrong[:5]}"
    assert len(entries) > len(titles)
    if pdf["kind"] == "demo":
        assert "DEMO DATA" in texts[0]


def test_key_figures_equal_the_store(pdf):
    from helpers.stats import compare_indicator
    from helpers.store import open_store
    manifest = pdf["manifest"]
    store = open_store(manifest["parameters"]["data"])
    code = manifest["area_code"]
    texts = pdf["texts"]
    listed = _contents(texts)
    pages = {}
    for entry, page in listed:
        pages.setdefault(entry, page)
    assert "Every measure" in pages, "the summary's 'Every measure' table is not in the contents"
    start = pages["Every measure"]
    after = sorted(p for _, p in listed if p > start)
    end = after[0] if after else start + 1
    table = _norm(" ".join(texts[start - 1:end]))
    checked, missing = 0, []
    for ind in store.catalogue:
        try:
            c = compare_indicator(store, code, ind.id)
        except ValueError:
            continue
        if c.value is None or not math.isfinite(c.value):
            continue
        assert c.value == pytest.approx(store.value(code, ind.id, c.period)), ind.id
        triples = {" ".join(ind.format_value(v, with_unit=u) for v in (c.value, c.neighbour_mean, c.england))
                   for u in (True, False)}
        if any(t in table for t in triples):
            checked += 1
        else:
            missing.append((ind.id, sorted(triples)))
    assert checked >= 10, f"only {checked} figures found in the 'Every measure' table"
    assert not missing, f"figures not in the PDF as the store has them: {missing[:5]}"


def test_pages_rendered_to_png(pdf):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm missing (Debian package poppler-utils; scripts/setup-system.sh installs it)")
    out = ARTIFACTS / "pdf" / pdf["kind"]
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    n = len(pdf["texts"])
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf["pack"].pdf), str(out / "page")],
                   check=True, timeout=600)
    pngs = sorted(out.glob("page-*.png"))
    assert len(pngs) == n
    for p in pngs:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 1000


def test_no_heading_stranded_alone_on_a_page(pdf):
    """A heading whose figure did not fit beside it must not be left on an
    otherwise empty page (seen first with 'At a glance', a chart taller than
    the page less the heading)."""
    texts, reader = pdf["texts"], pdf["reader"]
    headings = {_norm(e) for e, _ in _contents(texts)}
    stranded = []
    for i, text in enumerate(texts[1:], start=1):
        body = [ln for ln in (_norm(x) for x in text.splitlines()) if ln and "Page " not in ln
                and "Children's Scrutiny <Committee> & Panel" not in ln]
        if len(body) == 1 and body[0] in headings and not reader.pages[i].images:
            stranded.append((i + 1, body[0]))
    assert not stranded, f"pages holding only a heading: {stranded}"


def test_every_measure_table_starts_with_its_rows(pdf):
    """The every-measure table starts on a page of its own with its column
    headings and its first rows, never as a row of headings alone at the
    foot of the at-a-glance page."""
    texts, running = pdf["texts"], pdf["running"]
    pages = [i for i, t in enumerate(texts) if "Every measure" in _body_lines(t, running)]
    assert len(pages) == 1, pages
    body = _body_lines(texts[pages[0]], running)
    assert body[0] == "Every measure", body[:3]
    rows = [ln for ln in body if re.search(r"\b(1st|2nd|3rd|\d+th) of \d+\b", ln)]
    assert len(rows) >= 5, body[:20]
