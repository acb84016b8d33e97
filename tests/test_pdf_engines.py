"""The two PDF engines: Chromium over the DevTools pipe (the default where it
is installed) and WeasyPrint (the fallback). Both must give an A4 pack with
"Page i of n" on every page and contents whose page numbers are right; the
Chromium path must keep names from data files as text, survive its browser
being killed, and fall back cleanly when Chromium is absent."""

from __future__ import annotations

import html as _html
import json
import os
import re
import signal

import pytest

from helpers import pdf as chromium_pdf
from helpers.errors import ParameterError
from helpers.render import pdf_engine, write_pdf
from test_pdf import _contents, _norm  # the contents' dot leaders, read the same way

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packs")]

needs_chromium = pytest.mark.skipif(chromium_pdf.find_chromium() is None,
                                    reason="no Chromium (Debian package 'chromium'; scripts/setup-system.sh installs it)")


def _texts(path):
    from pypdf import PdfReader
    return [p.extract_text() or "" for p in PdfReader(str(path)).pages]


def test_engine_choice(monkeypatch):
    monkeypatch.delenv("SCRUTINY_PDF_ENGINE", raising=False)
    assert pdf_engine("weasyprint") == "weasyprint"
    monkeypatch.setenv("SCRUTINY_CHROMIUM", "/nonexistent/chromium")
    assert chromium_pdf.find_chromium() is None
    assert pdf_engine() == "weasyprint"  # auto falls back when there is no browser
    monkeypatch.setenv("SCRUTINY_PDF_ENGINE", "weasyprint")
    assert pdf_engine() == "weasyprint"
    with pytest.raises(ParameterError, match="pdf_engine.*chromium, weasyprint.*'pdfkit'"):
        pdf_engine("pdfkit")


def test_chromium_named_but_missing_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("SCRUTINY_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(chromium_pdf, "_browser", None)
    with pytest.raises(chromium_pdf.PDFError, match="Chromium is not installed.*SCRUTINY_PDF_ENGINE=weasyprint"):
        write_pdf("<p>x</p>", tmp_path / "x.pdf", engine="chromium")
    assert not (tmp_path / "x.pdf").exists()


def test_css_string_cannot_end_the_rule():
    hostile = 'Ward "A" \\ } @page { @top-left { content: "pwned" } } \n </style><script>'
    literal = chromium_pdf.css_string(hostile)
    inner = literal[1:-1]
    assert literal.startswith('"') and literal.endswith('"')
    assert not set(inner) & set('"\\{}<>;\n') - {"\\"}
    assert all(part[:6].isalnum() for part in inner.split("\\")[1:])  # only hex escapes
    # decoding the escapes gives the text back
    decoded = re.sub(r"\\([0-9a-f]{6}) ", lambda m: chr(int(m.group(1), 16)), inner)
    assert decoded == hostile


@needs_chromium
def test_chromium_prints_hostile_names_as_text(tmp_path):
    title = 'Ward "A" } @page { @top-left { content: "pwned" } } & <Panel>'
    body = "".join(f'<section class="pack-section" id="s{i}"><h1 class="section-title">Part {i}</h1>'
                   + "<p>Text.</p>" * 40 + "</section>" for i in range(3))
    doc = (f'<!DOCTYPE html><html><head><style>@page {{ size: A4; margin: 20mm; '
           f'@bottom-right {{ content: "Page " counter(page) " of " counter(pages); }} }} section {{ break-before: page; }}</style></head><body>'
           f'<p class="running-title">{_html.escape(title)}</p>'
           f'<nav class="toc"><ol><li><a class="toc-link" href="#s0">Part 0</a></li>'
           f'<li><a class="toc-link" href="#s2">Part 2</a></li></ol></nav>{body}</body></html>')
    out = tmp_path / "hostile.pdf"
    assert write_pdf(doc, out, engine="chromium") == "chromium"
    texts = _texts(out)
    assert len(texts) >= 3
    assert all(title in _norm(t) for t in texts[1:]), "the running header is the title, verbatim"
    assert not any("pwned" in t and title not in t for t in texts)
    entries = dict(_contents(texts))
    for name, page in entries.items():
        assert name in texts[page - 1].replace(f"{name} .", "")


@needs_chromium
def test_browser_killed_between_packs_is_restarted(tmp_path):
    doc = "<!DOCTYPE html><html><body><h1>One page</h1></body></html>"
    write_pdf(doc, tmp_path / "a.pdf", engine="chromium")
    first = chromium_pdf.browser()
    os.kill(first.proc.pid, signal.SIGKILL)
    first.proc.wait()
    write_pdf(doc, tmp_path / "b.pdf", engine="chromium")
    assert chromium_pdf.browser() is not first and chromium_pdf.browser().alive()
    assert "One page" in _texts(tmp_path / "b.pdf")[0]


def test_weasyprint_fallback_prints_the_demo_pack(demo_pack, tmp_path):
    """The whole demo pack through the fallback engine: A4, numbered pages,
    the running header, and contents entries on the pages they name."""
    from pypdf import PdfReader
    out = tmp_path / "pack.pdf"
    assert write_pdf(demo_pack.html.read_text(encoding="utf-8"), out, engine="weasyprint") == "weasyprint"
    reader = PdfReader(str(out))
    texts = [p.extract_text() or "" for p in reader.pages]
    n = len(texts)
    assert n >= 30
    assert all(abs(float(p.mediabox.width) - 595.3) < 2 for p in reader.pages)
    assert all(f"Page {i + 1} of {n}" in t for i, t in enumerate(texts))
    manifest = json.loads(demo_pack.manifest.read_text())
    assert all(manifest["council"] in t for t in texts[1:])
    entries = _contents(texts)
    assert len(entries) > 10
    wrong = [(e, p) for e, p in entries if _norm(e) not in _norm(texts[p - 1])]
    assert not wrong, wrong[:5]


def test_blank_charts_keep_each_image_size():
    """The draft's stand-in images: empty, and the same size as the charts
    they stand for, so the draft paginates as the pack does."""
    import base64
    import struct
    import zlib
    svg = ('<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n'
           '<svg xmlns="http://www.w3.org/2000/svg" width="453.6pt" height="283.46pt" viewBox="0 0 453.6 283.46">'
           + "<path d='M0 0'/>" * 500 + "</svg>")

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1200, 750, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\0" * 3601 * 750)) + chunk(b"IEND", b""))
    doc = (f'<p><img src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}" alt="a"></p>'
           f'<p><img src="data:image/png;base64,{base64.b64encode(png).decode()}" alt="b"></p>'
           f'<p><img src="data:image/svg+xml;base64,{base64.b64encode(b"<svg/>").decode()}" alt="c"></p>')
    blank = chromium_pdf._blank_charts(doc)
    sources = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', blank)
    assert len(sources) == 3
    first, second, third = (base64.b64decode(s) for s in sources)
    assert first == (b'<svg xmlns="http://www.w3.org/2000/svg" width="453.6pt" height="283.46pt" '
                     b'viewBox="0 0 453.6 283.46"/>')
    assert second == b'<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="750"/>'
    assert third == b"<svg/>", "an image whose size cannot be read is left as it is"
    assert len(blank) < len(doc) / 4


@needs_chromium
def test_chromium_draft_paginates_as_the_pack(demo_pack):
    """The draft (charts blanked) puts every contents entry on the page the
    printed pack does, so the pack is printed once, not twice."""
    html = demo_pack.html.read_text(encoding="utf-8")
    browser = chromium_pdf.browser()
    css = chromium_pdf.print_css("Running title", ["A"] * 12)
    prints = []
    original = browser._print

    def counting(session, draft=False):
        prints.append(draft)
        return original(session, draft)

    browser._print = counting
    try:
        pdf = browser.print_html(html, extra_css=css)
    finally:
        del browser._print
    assert prints == [True, False]
    blank = chromium_pdf._blank_charts(html)
    assert blank.count("<img") == html.count("<img") and len(blank) < len(html) / 2
    pages = chromium_pdf._destination_pages(pdf)
    assert len(pages) > 10 and max(pages.values()) > 30
