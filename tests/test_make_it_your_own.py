"""An analyst's edits, end to end, on the real releases.

``docs/make-it-your-own.md`` is followed step by step on a copy of the
notebooks (every fenced block with ``file=`` or ``cell=`` is applied), and
the pack built from the copy with ``scrutiny build --council Devon
--notebooks COPY`` must show exactly the edits, in HTML and PDF. A second
copy makes every edit that used to leak out of a notebook in the warm
kernel (the style, seaborn's theme, rcParams, pandas options, warning
filters, the helpers' module state, the loaded figures themselves) in the
workforce notebook; a batch of two councils built from it must match
packs built from the shipped notebooks in every other section.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from conftest import scrutiny_env

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DOC = ROOT / "docs" / "make-it-your-own.md"
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.S | re.M)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packs")]

#: Every edit that leaked from a notebook into later ones in a warm kernel.
HOSTILE = '''section.restyle(colours={"council": "#8B0000"})
import os, warnings
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
import helpers.charts, helpers.report
sns.set_theme(style="darkgrid", palette="rocket")
plt.rcParams["axes.facecolor"] = "black"
pd.set_option("display.precision", 1)
warnings.simplefilter("error")
helpers.charts.SOURCE_NAMES["csww"] = "Changed source"
helpers.report.HEADLINE_INDICATORS = ("cla_rate",)
os.environ["SCRUTINY_LEAK"] = "1"'''
#: ... and, at its end, a change to the loaded figures themselves.
HOSTILE_END = 'section.store.indicators.loc[:, "value"] = 0.0'


def doc_steps() -> list[tuple[str, dict, str]]:
    steps = []
    for lang, info, body in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        attrs = dict(item.split("=", 1) for item in shlex.split(info) if "=" in item)
        if "file" in attrs or "cell" in attrs:
            steps.append((lang, attrs, body))
    return steps


def insert_cell(notebook: Path, kind: str, source: str, before: str) -> None:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    at = next(i for i, c in enumerate(nb["cells"]) if before in "".join(c["source"]))
    cell = {"cell_type": kind, "id": f"mine-{len(nb['cells'])}", "metadata": {}, "source": source}
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    nb["cells"].insert(at, cell)
    notebook.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def follow_the_doc(copy: Path) -> int:
    shutil.copytree(NOTEBOOKS, copy)
    for lang, attrs, body in doc_steps():
        if "file" in attrs:
            target = copy / attrs["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        else:
            insert_cell(copy / attrs["cell"], "markdown" if lang == "markdown" else "code", body.rstrip("\n"),
                        attrs["before"])
    return len(doc_steps())


def sections(html: str) -> dict[str, str]:
    """Each pack section's markup, by id."""
    out = {}
    for m in re.finditer(r'<section class="pack-section[^"]*" id="([^"]+)"(.*?)(?=<section class="pack-section|'
                         r'</main>)', html, re.S):
        out[m.group(1)] = re.sub(r'id="cell-id=[^"]*"', "", m.group(2))
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory, store_cache, real_dir):
    """Packs from the shipped notebooks, from the copy the docs page makes,
    and from the hostile copy, in one process (its warm kernels serve all)."""
    base = tmp_path_factory.mktemp("own")
    with scrutiny_env(cache_dir=store_cache, data_dir=base / "data"):
        from helpers.build.batch import BatchRun, run_batch
        from helpers.cli import main
        runs = [BatchRun(council="Devon"), BatchRun(council="Dorset")]
        shipped = run_batch(runs, data=str(real_dir), reports_dir=base / "shipped", formats=("html",), workers=1,
                            progress=False, force=True)
        assert shipped.ok, shipped.text()
        steps = follow_the_doc(base / "my-notebooks")
        code = main(["build", "--council", "Devon", "--notebooks", str(base / "my-notebooks"), "--data",
                     str(real_dir), "--reports", str(base / "mine")])
        assert code == 0
        hostile = base / "hostile"
        shutil.copytree(NOTEBOOKS, hostile)
        insert_cell(hostile / "10_workforce.ipynb", "code", HOSTILE, "section.key_findings()")
        insert_cell(hostile / "10_workforce.ipynb", "code", HOSTILE_END, "section.questions()")
        leaky = run_batch(runs, data=str(real_dir), reports_dir=base / "hostile-packs", formats=("html",),
                          workers=1, progress=False, force=True, notebooks_dir=hostile)
        assert leaky.ok, leaky.text()
    return {"base": base, "steps": steps}


def pack(root: Path, slug: str) -> Path:
    (found,) = [p for p in (root / slug).iterdir() if p.name.isdigit()]
    return found


def test_the_docs_page_steps_build_a_pack_with_exactly_the_edits(built):
    assert built["steps"] >= 7
    folder = pack(built["base"] / "mine", "devon")
    html = (folder / "pack.html").read_text(encoding="utf-8")
    shipped = sections((pack(built["base"] / "shipped", "devon") / "pack.html").read_text(encoding="utf-8"))
    mine = sections(html)
    # markup a browser reads as the author meant: no self-closing links
    assert not re.search(r"<a\b[^>]*/>", html)
    from html.parser import HTMLParser
    HTMLParser().feed(html)
    # the heading is in the contents and links to the section's own heading
    assert 'href="#workforce-caseloads-across-the-comparator-group"' in html
    assert html.count('id="workforce-caseloads-across-the-comparator-group"') == 1
    # both charts are images with the alt text the analyst gave
    alts = re.findall(r'<figure class="chart chart-notebook"><img src="data:image/svg\+xml;base64,[^"]+" '
                      r'alt="([^"]+)"', mine["section-workforce"])
    assert alts == ["Bar chart of the latest average caseload of the council and each comparator council.",
                    "Line chart: monthly agency spending fell from £412,000 in April 2025 to £340,000 in "
                    "September 2025."]
    assert "Agency spending (£)" in mine["section-workforce"]  # the table of the analyst's own figures
    # commentary under the officer's name, flagged as older than the figures
    assert "Sam Patel, Head of Children&#x27;s Social Work &middot; 3 November 2025" in html
    assert 'class="commentary-stale"' in mine["section-workforce"]
    # the dropped measure is gone from every part of the pack
    assert "wf_agency" not in html and not re.search("agency social worker rate", html, re.I)
    # titles and targets from the specification
    assert ">Caseloads per social worker</h2>" in mine["section-workforce"]
    # the whole pack restyled: the council's colour in every section's charts
    for sid in ("section-summary", "section-workforce", "section-looked_after"):
        svgs = [base64.b64decode(s).decode() for s in re.findall(r"data:image/svg\+xml;base64,([^\"]+)", mine[sid])]
        assert any("#8b0000" in s.lower() for s in svgs), sid
    assert set(mine) == set(shipped)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert any("older than the figures" in w for w in manifest["warnings"])
    from pypdf import PdfReader
    text = "\n".join(p.extract_text() or "" for p in PdfReader(str(folder / "pack.pdf")).pages)
    assert "Caseloads across the comparator group" in text and "Sam Patel" in text
    assert "Written before these figures" in text and not re.search("agency social worker rate", text, re.I)


def test_edits_in_one_notebook_reach_no_other_section_or_council(built):
    for slug in ("devon", "dorset"):
        shipped = sections((pack(built["base"] / "shipped", slug) / "pack.html").read_text(encoding="utf-8"))
        leaky = sections((pack(built["base"] / "hostile-packs", slug) / "pack.html").read_text(encoding="utf-8"))
        assert set(shipped) == set(leaky)
        changed = [sid for sid in shipped if shipped[sid] != leaky[sid]]
        assert changed == ["section-workforce"], (slug, changed)
        assert "#8b0000" in "".join(base64.b64decode(s).decode().lower() for s in re.findall(
            r"data:image/svg\+xml;base64,([^\"]+)", leaky["section-workforce"]))
