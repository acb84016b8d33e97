"""Built packs in a real browser: headless Chromium (Debian's package,
driven by playwright-core from tests/browser/check_pack.mjs) with the
network off. No console errors, no script runs, every image loads from the
file itself, every contents link has a target and scrolls to it, and
axe-core finds no serious or critical accessibility violation.

The packs are the session's demo pack and real pack (tests/conftest.py);
screenshots and axe's full findings are kept in test-artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ARTIFACTS

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "browser" / "check_pack.mjs"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BLOCKING = ("serious", "critical")


def browser_missing() -> str | None:
    """Why the browser checks cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (Debian package 'chromium'; scripts/setup-system.sh installs it)"
    if not shutil.which("node"):
        return "no 'node' on PATH (Debian package 'nodejs'; scripts/setup-system.sh installs it)"
    for pkg in ("playwright-core", "axe-core"):
        if not (ROOT / "node_modules" / pkg / "package.json").exists():
            return f"node_modules/{pkg} missing: run 'npm ci' (make setup does)"
    return None


def run_check(html: Path, out: Path, timeout: int = 600, *extra: str) -> dict:
    """Run check_pack.mjs on one HTML file; its JSON result, also kept as
    out/result.json."""
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["node", str(SCRIPT), "--html", str(html), "--out", str(out), "--chromium", CHROMIUM,
                           *extra], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    (out / "stderr.txt").write_text(proc.stderr)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError(f"check_pack.mjs printed no JSON (exit {proc.returncode}):\n"
                             f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}") from None
    (out / "result.json").write_text(json.dumps(result, indent=1))
    assert "fatal" not in result, result["fatal"]
    return result


_RESULTS: dict[str, dict] = {}


@pytest.fixture(scope="module", params=["demo", "real"])
def checked(request) -> dict:
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    kind = request.param
    if kind not in _RESULTS:
        pack = request.getfixturevalue(f"{kind}_pack")
        _RESULTS[kind] = run_check(pack.html, ARTIFACTS / "browser" / kind)
    return _RESULTS[kind]


pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packs")]


def test_no_console_errors_and_no_script_runs(checked):
    assert checked["console_errors"] == []
    assert checked["page_errors"] == []
    assert checked["dialogs"] == []          # an alert() would mean injected markup ran
    assert checked["scripts"] == 0           # the pack itself carries no <script>
    assert checked["lang"] == "en-GB"
    assert "children's social care scrutiny pack" in checked["title"]


def test_every_image_loads_with_the_network_off(checked):
    images = checked["images"]
    assert images["count"] > 0, "a pack with charts has images"
    assert images["broken"] == []
    assert images["no_alt"] == []
    assert set(images["schemes"]) == {"data"}, images["schemes"]  # embedded, never fetched
    assert checked["blocked_requests"] == []  # nothing tried to reach the network
    assert checked["failed_requests"] == []


def test_contents_links_have_targets_and_scroll_to_them(checked):
    links = checked["links"]
    assert links["count"] > 5
    assert links["missing_targets"] == []
    assert links["clicked"] == links["count"]
    assert links["click_failures"] == []


def test_screenshots_kept(checked):
    for shot in checked["screenshots"]:
        data = Path(shot).read_bytes()[:8]
        assert data == b"\x89PNG\r\n\x1a\n", shot
    assert any(s.endswith("cover.png") for s in checked["screenshots"])
    assert any(s.endswith("after-contents-click.png") for s in checked["screenshots"])


def test_no_serious_or_critical_accessibility_violations(checked):
    violations = checked["axe"]["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    detail = "\n".join(f"{v['impact']}: {v['id']} ({v['count']} elements): {v['help']}\n    "
                       + "\n    ".join(f"{n['target']} {n['html'][:160]}" for n in v["nodes"][:3])
                       for v in blocking)
    assert not blocking, "axe-core found:\n" + detail


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("edition", ["members_html", "html"])
def test_nothing_is_wider_than_the_screen_and_chart_labels_stay_legible(real_pack, edition, width):
    """On a phone (390 px) and a laptop (1280 px): no element is wider than
    the window unless a box that scrolls on its own holds it (tables and
    charts), the page itself never scrolls sideways, and charts are drawn at
    a scale where their smallest labels (9 pt) are at least 10 px high."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    page = getattr(real_pack, edition)
    r = run_check(page, ARTIFACTS / "browser" / f"layout-{edition}-{width}", 600, "--width", str(width),
                  "--layout-only")
    layout = r["layout"]
    assert layout["viewport"] == width and layout["page_width"] <= width, layout
    assert layout["wide"] == [], layout["wide"]
    assert layout["charts"] > 0 and layout["chart_scale_min"] * 9 * 96 / 72 >= 10, layout


def test_the_layout_check_finds_what_is_too_wide(tmp_path):
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    bad = tmp_path / "wide.html"
    bad.write_text('<!DOCTYPE html><html lang="en"><head><title>w</title><meta name="viewport" '
                   'content="width=device-width"></head><body><table style="width:900px"><tr><td>x</td></tr>'
                   '</table><div style="overflow-x:auto"><p style="width:900px">scrolls in its box</p></div>'
                   '</body></html>', encoding="utf-8")
    layout = run_check(bad, ARTIFACTS / "browser" / "layout-self-test", 600, "--width", "390",
                       "--layout-only")["layout"]
    assert [w["tag"] for w in layout["wide"]] == ["table"] and layout["page_width"] > 390


@pytest.mark.slow
def test_the_checker_catches_what_it_should(tmp_path):
    """The harness itself: on a page with a broken image, a network image, a
    dangling contents link, an unlabelled image and low-contrast text it must
    report each, so a clean result on a pack means something."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><title>bad</title></head><body>'
        '<a href="#nowhere">dangling</a> <a href="#here">fine</a>'
        '<img src="data:image/png;base64,AAAA">'
        '<img src="https://example.invalid/x.png" alt="remote">'
        '<p style="color:#bbb;background:#fff">faint text</p>'
        '<h2 id="here">Here</h2><script>console.error("boom")</script></body></html>', encoding="utf-8")
    r = run_check(bad, ARTIFACTS / "browser" / "self-test")
    assert [m["href"] for m in r["links"]["missing_targets"]] == ["#nowhere"]
    assert len(r["images"]["broken"]) == 2 and len(r["images"]["no_alt"]) == 1
    assert any("example.invalid" in u for u in r["blocked_requests"])
    assert any("boom" in e for e in r["console_errors"]) and r["scripts"] == 1
    ids = {v["id"]: v["impact"] for v in r["axe"]["violations"]}
    assert ids.get("image-alt") == "critical" and ids.get("color-contrast") == "serious"
    assert "html-has-lang" in ids


def test_links_to_sections_not_in_the_pack_are_unlinked():
    """Found by the browser check on a pack with some sections only: the
    summary's table links every measure to its section, present or not."""
    from helpers.render import unlink_dangling_anchors
    html = ('<nav><a href="#section-summary">Summary</a></nav><h1 id="section-summary">S</h1>'
            '<a class="x" href="#front_door-fd_nfa">Referrals <b>NFA</b></a> <a href="https://x.org/">out</a>'
            '<a href="#def-a&amp;b">def</a><article id="def-a&amp;b"></article>')
    out = unlink_dangling_anchors(html)
    assert '<a href="#section-summary">Summary</a>' in out
    assert "front_door-fd_nfa" not in out and "Referrals <b>NFA</b>" in out
    assert '<a href="https://x.org/">out</a>' in out and 'href="#def-a&amp;b"' in out
