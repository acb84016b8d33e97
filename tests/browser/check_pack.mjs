#!/usr/bin/env node
// Open a built scrutiny pack in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core; never a downloaded browser) with the network off,
// and report as JSON on stdout what a reader would meet:
//
//   console errors, page errors, dialogs (an alert() would mean a script ran),
//   requests that were not file:// or data: (blocked), images that did not load,
//   in-page links (href="#x") without a target or that do not scroll to it,
//   <script> elements in the pack itself, axe-core's accessibility violations, and
//   the layout: whether anything is wider than the window (outside a box that
//   scrolls on its own) and how small chart labels are drawn.
//
// Screenshots go to --out (test artefacts). Usage:
//   node tests/browser/check_pack.mjs --html reports/x/2025/pack.html --out test-artifacts/browser/x
// Options: --chromium PATH (default $CHROMIUM or /usr/bin/chromium), --width 1280, --height 900,
//          --max-clicks N (links clicked for real; the rest are checked for a target only),
//          --layout-only (load, measure the layout and take screenshots; no links, no axe).
// Exit code 0 whenever the checks ran (the JSON says what failed); 2 when they could not run.

import { mkdirSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "..", "package.json"));

function args(argv) {
  const out = {};
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) continue;
    const key = a.slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) out[key] = true;
    else { out[key] = next; i++; }
  }
  return out;
}

const opts = args(process.argv);
if (!opts.html) {
  console.error("usage: check_pack.mjs --html PACK.html --out DIR");
  process.exit(2);
}
const htmlPath = resolve(String(opts.html));
const outDir = resolve(String(opts.out || "test-artifacts/browser"));
const chromiumPath = String(opts.chromium || process.env.CHROMIUM || "/usr/bin/chromium");
const width = Number(opts.width || 1280);
const height = Number(opts.height || 900);
const maxClicks = Number(opts["max-clicks"] || 400);
const layoutOnly = Boolean(opts["layout-only"]);

// In the page: elements wider than the window (unless a box that scrolls on its
// own holds them), the page's own horizontal overflow, and the smallest scale a
// chart is drawn at (its labels' size is their drawn size times that scale).
function measureLayout() {
  const vw = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden") return p.getBoundingClientRect().right <= vw + 1;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= 0) continue;   // nothing, or parked left (skip links)
    if ((r.right > vw + 1 || r.left < -1) && !scrolls(el)) {
      if (!wide.some((w) => w.el.contains(el))) wide.push({ el, tag: el.tagName.toLowerCase(),
        cls: String(el.className || "").slice(0, 60), right: Math.round(r.right), width: Math.round(r.width) });
    }
  }
  // a chart is drawn for its width in centimetres (its style says so): the
  // scale is the width it is shown at over that width
  const charts = Array.from(document.querySelectorAll("figure.chart img")).map((img) => {
    const cm = parseFloat((img.style.width || "").replace("cm", ""));
    return cm ? img.getBoundingClientRect().width / (cm * 96 / 2.54) : 1;
  });
  return { viewport: vw, page_width: document.documentElement.scrollWidth,
    wide: wide.slice(0, 20).map(({ el, ...rest }) => rest), wide_count: wide.length,
    chart_scale_min: charts.length ? Math.min(...charts) : null, charts: charts.length };
}

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-dev-shm-usage"];

async function main() {
  const { chromium } = require("playwright-core");
  const axePath = require.resolve("axe-core/axe.min.js");
  mkdirSync(outDir, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), "scrutiny-chromium-"));
  const result = {
    html: htmlPath, chromium: chromiumPath, console_errors: [], page_errors: [], dialogs: [],
    blocked_requests: [], failed_requests: [], screenshots: [], timings_ms: {},
  };
  let last = Date.now();
  const mark = (name) => { const now = Date.now(); result.timings_ms[name] = now - last; last = now; };
  // A fresh --user-data-dir: playwright passes the profile folder it is given.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath, headless: true, chromiumSandbox: false, args: FLAGS,
    viewport: { width, height }, offline: true, acceptDownloads: false, javaScriptEnabled: true,
    // the pack's Content-Security-Policy forbids every script; the checks this
    // harness injects (axe, measurements) are let through, the pack's own are not
    bypassCSP: true,
  });
  try {
    result.browser_version = context.browser()?.version() ?? null;
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
      result.blocked_requests.push(url.slice(0, 300));
      return route.abort("blockedbyclient");
    });
    const page = context.pages()[0] || (await context.newPage());
    page.on("console", (msg) => {
      if (msg.type() === "error") result.console_errors.push(msg.text().slice(0, 500));
    });
    page.on("pageerror", (err) => result.page_errors.push(String(err).slice(0, 500)));
    page.on("dialog", async (d) => { result.dialogs.push(`${d.type()}: ${d.message()}`.slice(0, 300)); await d.dismiss(); });
    page.on("requestfailed", (req) => {
      const url = req.url();
      if (!url.startsWith("data:")) result.failed_requests.push(`${url.slice(0, 300)}: ${req.failure()?.errorText}`);
    });

    const t0 = Date.now();
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: "load", timeout: 120000 });
    result.load_ms = Date.now() - t0;
    result.title = await page.title();
    result.lang = await page.evaluate(() => document.documentElement.lang);
    // scripts in the pack itself (before axe is injected): there must be none
    result.scripts = await page.evaluate(() => document.scripts.length);

    // images: every <img> (and SVG <image>) decoded with a size
    await page.evaluate(async () => {
      await Promise.all(Array.from(document.images).map((img) => (img.decode ? img.decode().catch(() => {}) : null)));
    });
    mark("load");
    result.images = await page.evaluate(() => {
      const all = Array.from(document.images);
      const broken = all.filter((img) => !(img.complete && img.naturalWidth > 0 && img.naturalHeight > 0))
        .map((img) => ({ src: (img.getAttribute("src") || "").slice(0, 80), alt: img.alt }));
      const noAlt = all.filter((img) => !img.hasAttribute("alt")).map((img) => (img.getAttribute("src") || "").slice(0, 80));
      const schemes = {};
      for (const img of all) {
        const s = (img.getAttribute("src") || "").split(":")[0];
        schemes[s] = (schemes[s] || 0) + 1;
      }
      const svgs = document.querySelectorAll("svg").length;
      return { count: all.length, broken, no_alt: noAlt, schemes, inline_svgs: svgs };
    });

    result.layout = await page.evaluate(measureLayout);
    await page.screenshot({ path: join(outDir, "cover.png") });
    result.screenshots.push(join(outDir, "cover.png"));
    if (layoutOnly) {
      await page.screenshot({ path: join(outDir, "full-page.png"), fullPage: true, timeout: 90000 });
      result.screenshots.push(join(outDir, "full-page.png"));
      return result;
    }

    mark("images");
    // in-page links: each href="#x" has an element with id x (or <a name=x>)
    const links = await page.evaluate(() => Array.from(document.querySelectorAll('a[href^="#"]')).map((a, i) => {
      const raw = a.getAttribute("href").slice(1);
      let id = raw;
      try { id = decodeURIComponent(raw); } catch (e) { /* keep raw */ }
      const target = document.getElementById(id) || document.getElementsByName(id)[0] || null;
      a.setAttribute("data-check-link", String(i));
      const r = a.getBoundingClientRect();
      const style = getComputedStyle(a);
      const visible = r.width > 0 && r.height > 0 && style.visibility !== "hidden" && r.left >= 0;
      return { index: i, href: "#" + raw, id, text: a.textContent.trim().slice(0, 80), has_target: !!target, visible };
    }));
    result.links = { count: links.length, missing_targets: links.filter((l) => !l.has_target), clicked: 0,
      click_failures: [] };

    // click them: the target must end up at (or near) the top of the viewport,
    // unless the page cannot scroll that far (the last lines of the page)
    for (const l of links.filter((x) => x.has_target).slice(0, maxClicks)) {
      await page.evaluate(() => { window.scrollTo(0, 0); history.replaceState(null, "", location.pathname); });
      const sel = `a[data-check-link="${l.index}"]`;
      if (l.visible) await page.click(sel, { timeout: 5000 });
      else await page.evaluate((s) => document.querySelector(s).click(), sel);
      await page.waitForFunction((h) => location.hash === h, l.href, { timeout: 5000 }).catch(() => {});
      const where = await page.evaluate((id) => {
        const t = document.getElementById(id) || document.getElementsByName(id)[0];
        const r = t.getBoundingClientRect();
        const maxScroll = document.documentElement.scrollHeight - window.innerHeight;
        return { hash: location.hash, top: r.top, scrollY: window.scrollY, atBottom: window.scrollY >= maxScroll - 2,
          innerHeight: window.innerHeight };
      }, l.id);
      result.links.clicked++;
      const inView = where.top >= -2 && where.top < where.innerHeight;
      const atTop = Math.abs(where.top) <= 4 || where.atBottom;
      if (where.hash !== l.href || !inView || !atTop) {
        result.links.click_failures.push({ href: l.href, text: l.text, method: l.visible ? "click" : "element.click()", ...where });
      }
    }
    mark("links");
    // one screenshot after following the first section link, as a reader would
    const firstSection = links.find((l) => l.has_target && l.href.startsWith("#section-"));
    if (firstSection) {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.click(`a[data-check-link="${firstSection.index}"]`);
      await page.waitForTimeout(100);
      await page.screenshot({ path: join(outDir, "after-contents-click.png") });
      result.screenshots.push(join(outDir, "after-contents-click.png"));
    }
    await page.evaluate(() => { window.scrollTo(0, 0); for (const a of document.querySelectorAll("[data-check-link]")) a.removeAttribute("data-check-link"); });

    // the whole page, as one long picture (Chromium caps a capture's height)
    try {
      // PNG: JPEG cannot hold a page taller than 65,535 pixels
      result.page_height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.screenshot({ path: join(outDir, "full-page.png"), fullPage: true, timeout: 90000 });
      result.screenshots.push(join(outDir, "full-page.png"));
    } catch (e) {
      result.screenshot_error = String(e).slice(0, 300);
    }

    mark("screenshots");
    // axe-core, injected from node_modules (no network)
    await page.addScriptTag({ path: axePath });
    const axe = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations", "incomplete"] });
      return {
        version: window.axe.version,
        violations: r.violations.map((v) => ({
          id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
          count: v.nodes.length,
          nodes: v.nodes.slice(0, 8).map((n) => ({ target: n.target.map(String), html: n.html.slice(0, 300),
            summary: (n.failureSummary || "").slice(0, 400) })),
        })),
        // "needs review": what axe could not decide (e.g. text over an image)
        incomplete: r.incomplete.map((v) => ({ id: v.id, impact: v.impact, help: v.help, count: v.nodes.length })),
      };
    });
    result.axe = axe;
    mark("axe");
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return result;
}

main().then((r) => {
  process.stdout.write(JSON.stringify(r, null, 1) + "\n");
  process.exit(0);
}).catch((e) => {
  process.stdout.write(JSON.stringify({ fatal: String(e && e.stack || e).slice(0, 2000) }) + "\n");
  process.exit(2);
});
