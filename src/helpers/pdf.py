"""A4 PDFs of a pack from headless Chromium, driven over the DevTools pipe.

Chromium lays a pack out several times faster than WeasyPrint (about 3 s
for an 87-page pack against 12-14 s), so packs are printed with it when it
is installed (Debian's ``chromium`` package; ``scripts/setup-system.sh``
installs it). :func:`helpers.render.write_pdf` falls back to WeasyPrint when
it is not, or when ``SCRUTINY_PDF_ENGINE=weasyprint``.

One browser is started per process, on first use, and kept for every later
pack (a batch worker prints all its councils with one browser). It talks to
this module over ``--remote-debugging-pipe`` (file descriptors 3 and 4, no
port is opened) and cannot reach the network: its proxy points at a closed
port and host names do not resolve. The pack's HTML is set as the content of
a blank page, so no file is read either.

What the pack's stylesheet asks of the paged media that Chromium does not
implement is added here for the print only:

- the running header (``string-set`` in the stylesheet) becomes a fixed
  ``@top-left`` string, and each section's name a named page's
  ``@bottom-left``;
- the page numbers in the contents (``target-counter`` in the stylesheet) are
  filled in from the PDF's own link destinations in a draft: the same pack
  with each chart an empty image of the same size, printed on a second page
  while the first is still decoding the charts. The pack is then printed
  (the numbers take the same room as the placeholders, so the pages do not
  move; this is checked, and the print repeated if they did).
"""

from __future__ import annotations

import atexit
import base64
import io
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .errors import ScrutinyError

#: Where to look for the browser, in order, unless ``SCRUTINY_CHROMIUM`` names one.
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
TIMEOUT = float(os.environ.get("SCRUTINY_PDF_TIMEOUT", "120"))


class PDFError(ScrutinyError):
    """The browser could not print the pack."""

    def __init__(self, message: str, *, hint: str | None = None):
        self.hint = hint
        super().__init__(f"PDF: {message}" + (f". {hint}" if hint else ""))


def find_chromium() -> str | None:
    """The Chromium executable to print with, or None when there is none."""
    named = os.environ.get("SCRUTINY_CHROMIUM")
    if named:
        return named if Path(named).is_file() and os.access(named, os.X_OK) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """A headless Chromium and a DevTools client on its pipe."""

    def __init__(self, executable: str):
        self.executable = executable
        self._profile = tempfile.mkdtemp(prefix="scrutiny-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        args = [executable, "--headless", "--remote-debugging-pipe", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps", "--mute-audio",
                "--hide-scrollbars", "--disable-dev-shm-usage", "--font-render-hinting=none",
                # no network: every host fails to resolve and the proxy is a closed port
                "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
                f"--user-data-dir={self._profile}", "about:blank"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run its sandbox as root

        def child_fds():  # the DevTools pipe is fds 3 (commands in) and 4 (replies out)
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, pass_fds=(3, 4), preexec_fn=child_fds)
        except OSError as exc:
            raise PDFError(f"could not start Chromium ({executable}): {exc}",
                           hint="Install Debian's 'chromium' package, or set SCRUTINY_PDF_ENGINE=weasyprint") from None
        finally:
            os.close(to_browser_r)
            os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._replies: dict[int, dict] = {}
        self._methods: dict[int, str] = {}
        self.version = self.call("Browser.getVersion", timeout=30).get("product", "Chromium")

    # -- protocol ----------------------------------------------------------
    def _send(self, message: dict) -> None:
        data = json.dumps(message).encode() + b"\0"
        while data:
            n = os.write(self._to_browser, data)
            data = data[n:]

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PDFError(f"Chromium did not answer within {TIMEOUT:.0f} s",
                               hint="Set SCRUTINY_PDF_TIMEOUT to allow longer, or SCRUTINY_PDF_ENGINE=weasyprint")
            ready, _, _ = select.select([self._from_browser], [], [], min(left, 1.0))
            if not ready:
                if self.proc.poll() is not None:
                    raise PDFError(f"Chromium stopped (exit code {self.proc.returncode})")
                continue
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise PDFError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        """Send a command without waiting; :meth:`reply` collects its answer."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._send(message)
        self._methods[self._next_id] = method
        return self._next_id

    def reply(self, command: int, timeout: float | None = None) -> dict:
        """The answer to a command :meth:`send` sent (answers to other
        commands that arrive first are kept for their own :meth:`reply`)."""
        deadline = time.monotonic() + (timeout or TIMEOUT)
        while command not in self._replies:
            message = self._receive(deadline)
            if message.get("id") in self._methods:  # events (no id), and answers no one waits for, are dropped
                self._replies[message["id"]] = message
        message = self._replies.pop(command)
        method = self._methods.pop(command, "a command")
        if "error" in message:
            raise PDFError(f"Chromium refused {method}: {message['error'].get('message')}")
        return message.get("result", {})

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float | None = None) -> dict:
        return self.reply(self.send(method, params, session), timeout)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        try:
            if self.alive():
                try:
                    self.call("Browser.close", timeout=5)
                except (PDFError, OSError):
                    pass
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            self._release()

    def kill(self) -> None:
        """Stop the browser at once (for a build told to stop). Nothing
        waits on the Popen object, whose lock the interrupted code may hold."""
        pid = self.proc.pid
        try:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 1
            while time.monotonic() < deadline and os.waitpid(pid, os.WNOHANG) == (0, 0):
                time.sleep(0.02)
        except (OSError, ChildProcessError):  # ended and reaped already
            pass
        self._release()

    def _release(self) -> None:
        """Close the pipes to the browser and remove its profile folder."""
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    # -- pages -------------------------------------------------------------
    def print_html(self, html: str, *, extra_css: str = "") -> bytes:
        """The PDF of ``html`` on the pages its stylesheet asks for, with the
        contents' page numbers filled in.

        Two pages work at once. One loads the pack itself, which is mostly
        decoding its charts. Meanwhile the other prints a draft of the same
        pack in which each chart is an empty image of the same size, so the
        draft's pages break exactly where the pack's will, to learn which
        page each contents entry starts on. The pack is then printed with
        those numbers, and checked: if any page moved it is printed again.
        """
        prepare = _PREPARE_JS % json.dumps(extra_css)
        pack, pack_session = self._open_page()
        draft, loading = None, []
        try:
            loading = [self.send("Page.setDocumentContent", {"frameId": pack_session[1], "html": html},
                                 session=pack_session[0]),
                       self._send_evaluate(pack_session[0], prepare)]
            draft, draft_session = self._open_page()
            self.call("Page.setDocumentContent", {"frameId": draft_session[1], "html": _blank_charts(html)},
                      session=draft_session[0])
            self._evaluate(draft_session[0], prepare)
            pages = _destination_pages(self._print(draft_session[0], draft=True))
            self._close_page(draft)
            draft = None
            self.reply(loading[0])
            self._evaluated(self.reply(loading[1]))
            for _ in range(3):
                self._evaluate(pack_session[0], _NUMBER_JS % json.dumps(pages))
                pdf = self._print(pack_session[0])
                found = _destination_pages(pdf)
                if found == pages:
                    return pdf
                pages = found
            return pdf
        finally:
            for command in loading:  # answers still owed when a print fails are not wanted
                self._methods.pop(command, None)
                self._replies.pop(command, None)
            for target in (draft, pack):
                if target is not None:
                    self._close_page(target)

    def _open_page(self) -> tuple[str, tuple[str, str]]:
        """A new blank page: its target id, and its (session, frame) ids."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            frame = self.call("Page.getFrameTree", session=session)["frameTree"]["frame"]["id"]
            # the pack's own scripts never run (it has none; a hostile output
            # that slipped past the sanitiser would): only this module's
            # print preparation, sent over DevTools, runs in the page
            self.call("Emulation.setScriptExecutionDisabled", {"value": True}, session=session)
        except PDFError:
            self._close_page(target)
            raise
        return target, (session, frame)

    def _close_page(self, target: str) -> None:
        try:
            self.call("Target.closeTarget", {"targetId": target}, timeout=10)
        except PDFError:
            pass

    def _send_evaluate(self, session: str, expression: str) -> int:
        return self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                              "returnByValue": True}, session=session)

    @staticmethod
    def _evaluated(result: dict):
        if "exceptionDetails" in result:
            raise PDFError(f"preparing the page for print failed: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    def _evaluate(self, session: str, expression: str):
        return self._evaluated(self.reply(self._send_evaluate(session, expression)))

    def _print(self, session: str, draft: bool = False) -> bytes:
        stream = self.call("Page.printToPDF", {
            "printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False,
            "generateTaggedPDF": not draft, "generateDocumentOutline": not draft, "transferMode": "ReturnAsStream",
        }, session=session)["stream"]
        out = io.BytesIO()
        try:
            while True:
                chunk = self.call("IO.read", {"handle": stream, "size": 4 << 20}, session=session)
                data = chunk.get("data", "")
                out.write(base64.b64decode(data) if chunk.get("base64Encoded") else data.encode("latin-1"))
                if chunk.get("eof"):
                    break
        finally:
            self.call("IO.close", {"handle": stream}, session=session)
        return out.getvalue()


# Runs once the document is set: wait for every image and font, add the
# print-only rules, and give each contents entry room for its page number.
_PREPARE_JS = r"""
(async (extraCss) => {
  const style = document.createElement('style');
  style.textContent = extraCss;
  document.head.appendChild(style);
  document.querySelectorAll('.pack-section').forEach((section, i) => {
    section.style.page = 'section-' + i;
  });
  document.querySelectorAll('.toc a.toc-link').forEach((a) => {
    const fill = document.createElement('span');
    fill.className = 'toc-fill';
    fill.setAttribute('aria-hidden', 'true');
    fill.textContent = '.'.repeat(400);
    const page = document.createElement('span');
    page.className = 'toc-page';
    page.textContent = '000';
    a.append(fill, page);
  });
  await document.fonts.ready;
  await Promise.all(Array.from(document.images, (img) => img.decode().catch(() => null)));
  return document.images.length;
})(%s)
"""

_DATA_IMAGE = re.compile(r'src="data:image/(svg\+xml|png);base64,([A-Za-z0-9+/=]+)"')
_SVG_SIZE = re.compile(rb"<svg\b[^>]*>", re.S)
_SVG_ATTRIBUTE = re.compile(rb'\b(width|height|viewBox)="([^"<>&]*)"')


def _blank_image(kind: str, data: str) -> str | None:
    """An empty SVG of the same size as a chart image (``data`` its base64),
    or None when the size cannot be read."""
    if kind == "png":
        head = base64.b64decode(data[:44])  # signature and IHDR: width, height at bytes 16-24
        if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
            return None
        attributes = {b"width": str(int.from_bytes(head[16:20], "big")).encode(),
                      b"height": str(int.from_bytes(head[20:24], "big")).encode()}
    else:
        tag = _SVG_SIZE.search(base64.b64decode(data[:4096]))
        if tag is None:
            return None
        attributes = dict(_SVG_ATTRIBUTE.findall(tag.group(0)))
        if b"width" not in attributes or b"height" not in attributes:
            return None
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"' + b"".join(
        b' %s="%s"' % (name, value) for name, value in attributes.items()) + b"/>"
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _blank_charts(html: str) -> str:
    """``html`` with each embedded chart image replaced by an empty image of
    the same size: the same layout, and nothing to decode or draw."""
    def blank(match: re.Match) -> str:
        src = _blank_image(match.group(1), match.group(2))
        return match.group(0) if src is None else f'src="{src}"'
    return _DATA_IMAGE.sub(blank, html)


_NUMBER_JS = r"""
((pages) => {
  document.querySelectorAll('.toc a.toc-link').forEach((a) => {
    const id = decodeURIComponent(a.getAttribute('href').slice(1));
    const page = a.querySelector('.toc-page');
    if (page) page.textContent = pages[id] !== undefined ? String(pages[id]) : '';
  });
  return true;
})(%s)
"""


def _destination_pages(pdf: bytes) -> dict[str, int]:
    """Page number (from 1) of every named destination Chromium wrote: one
    for each element a link in the pack points to."""
    from pypdf import PdfReader
    reader = PdfReader(io.BytesIO(pdf))
    pages = {}
    for name, dest in reader.named_destinations.items():
        number = reader.get_destination_page_number(dest)
        if number is not None and number >= 0:
            pages[name.lstrip("/")] = number + 1
    return pages


def css_string(text: str) -> str:
    """``text`` as a CSS string literal: every character other than letters,
    digits and spaces is written as a hex escape, so nothing in a council's
    or committee's name can end the string or the rule."""
    out = []
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch == " "):
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):06x} ")  # the space ends the escape and is not shown
    return '"' + "".join(out) + '"'


def print_css(running_title: str, section_titles: list[str]) -> str:
    """The paged-media rules Chromium needs that the pack's stylesheet
    states in a form only WeasyPrint reads."""
    margin = "font-size: 8.5pt; color: #4b4b4b; font-family: 'Liberation Sans', Arial, 'DejaVu Sans', sans-serif;"
    rules = [
        "@page { @top-left { content: %s; %s } }" % (css_string(running_title), margin),
        "@page :first { @top-left { content: none; } @bottom-left { content: none; } }",
        "@media print {",
        "  .toc a.toc-link { display: flex; align-items: baseline; gap: .35em; }",
        "  .toc a.toc-link::after { content: none; }",
        "  .toc-fill { flex: 1 1 0; min-width: 1.5em; overflow: hidden; white-space: nowrap; font-weight: 400;"
        " color: #6b6b6b; }",
        "  .toc-page { font-weight: 400; font-variant-numeric: tabular-nums; min-width: 1.8em; text-align: right; }",
        "}",
        "@media screen { .toc-fill, .toc-page { display: none; } }",
    ]
    for i, title in enumerate(section_titles):
        rules.append("@page section-%d { @bottom-left { content: %s; %s } }" % (i, css_string(title), margin))
    return "\n".join(rules)


_browser: Browser | None = None


def browser() -> Browser:
    """The process's browser, started on first use (and again if it died)."""
    global _browser
    if _browser is not None and not _browser.alive():
        _browser.close()
        _browser = None
    if _browser is None:
        executable = find_chromium()
        if executable is None:
            raise PDFError("Chromium is not installed",
                           hint="Install Debian's 'chromium' package, or set SCRUTINY_PDF_ENGINE=weasyprint")
        _browser = Browser(executable)
        from .build.stop import on_stop
        on_stop(kill_browser)
    return _browser


def kill_browser() -> None:
    """Kill the process's browser at once (see :mod:`helpers.build.stop`)."""
    global _browser
    if _browser is not None:
        _browser.kill()
        _browser = None


@atexit.register
def close_browser() -> None:
    """Stop the process's browser (run at exit; safe to call at any time)."""
    global _browser
    if _browser is not None:
        _browser.close()
        _browser = None


def write_pdf(html: str, target: Path, *, running_title: str, section_titles: list[str]) -> None:
    """Print ``html`` to ``target`` with the process's Chromium."""
    extra = print_css(running_title, section_titles)
    try:
        pdf = browser().print_html(html, extra_css=extra)
    except PDFError:
        # a browser that stopped mid-print is restarted once
        if _browser is not None and _browser.alive():
            raise
        pdf = browser().print_html(html, extra_css=extra)
    Path(target).write_bytes(pdf)
