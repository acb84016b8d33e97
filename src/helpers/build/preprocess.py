"""nbconvert preprocessors that turn an executed section notebook into what
its pack section shows.

Registered on the section exporter (:func:`helpers.render.section_exporter`)
in this order:

- :class:`SectionCells` decides which cells reach the pack: not the code,
  not the first ``# Title`` cell (the pack prints its own section heading),
  not raw cells or cells tagged ``remove-cell``, and not the outputs of the
  parameters cells or of cells tagged ``remove-output``. It numbers every
  cell as the analyst sees it in JupyterLab (papermill's injected
  parameters cell is not counted), so a message can name the cell.
- :class:`SectionOutputs` decides, output by output, what a reader sees:
  HTML (the helpers' blocks, pandas tables), markdown, images and the text
  an analyst prints or displays reach the pack; warnings (stderr) and a
  cell's stray value (``<Axes: ...>``, ``[<matplotlib.lines.Line2D ...>]``,
  an object's repr) go to the build log instead. A figure keeps its alt
  text; one without any gets its title (and the log says so); an error, a
  figure with neither title nor alt text, or an output the pack cannot
  show (a widget, JavaScript) stops the build with :class:`CellError`
  naming the notebook and the cell.
- :class:`SectionMarkdown` renders each markdown cell as the pack shows it:
  a ``#`` heading becomes a level-2 heading (the section title is level 1),
  every heading gets an id unique in the pack (``<section>-<words>``) so the
  contents can link to it, images are embedded (a pack opens offline) and
  must have alt text.

Each preprocessor reads and writes ``resources["scrutiny"]``: the section
id, the notebook's file name and folder, and ``log``, the lines the build
log shows.
"""

from __future__ import annotations

import re
import unicodedata
from html import escape

from nbconvert.preprocessors import Preprocessor

from ..errors import PackBuildError
from ..figures import ALT_FROM_TITLE, METADATA_KEY

__all__ = ["CellError", "SectionCells", "SectionOutputs", "SectionMarkdown", "PREPROCESSORS", "new_context"]

#: Output types the pack shows, by MIME type.
SHOWN = ("text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg", "text/latex", "text/plain")
IMAGES = ("image/svg+xml", "image/png", "image/jpeg")
REMOVE_CELL = {"remove-cell", "remove_cell"}
REMOVE_OUTPUT = {"parameters", "injected-parameters", "remove-output", "remove_output"}
#: What an object's default repr looks like: ``<Figure size 800x450 with 1 Axes>``,
#: ``<Axes: title={'center': 'x'}>``, ``<seaborn.axisgrid.FacetGrid at 0x7f...>``.
_DEFAULT_REPR = re.compile(r"\A\s*\[?\s*<[^<>\n]+>(?:,\s*<[^<>\n]+>)*\s*\]?\s*\Z")


class CellError(PackBuildError):
    """A cell's output cannot reach the pack as the analyst saw it."""

    def __init__(self, where: str, problem: str, hint: str = ""):
        self.where = where
        super().__init__(f"{where}: {problem}" + (f". {hint}" if hint else ""))


def new_context(section: str, notebook: str, folder: str = "") -> dict:
    """The ``resources["scrutiny"]`` the preprocessors share for one notebook."""
    return {"section": section, "notebook": notebook, "folder": folder, "log": [], "ids": set()}


def _ctx(resources) -> dict:
    ctx = resources.get("scrutiny")
    if ctx is None:
        ctx = resources["scrutiny"] = new_context("section", "notebook")
    return ctx


def _where(ctx: dict, cell) -> str:
    number = cell.get("metadata", {}).get("scrutiny_cell")
    first = next((line.strip() for line in str(cell.get("source", "")).splitlines() if line.strip()), "")
    first = first if len(first) <= 50 else first[:47] + "..."
    cell_text = f"cell {number}" if number else "a cell"
    return f"{ctx['notebook']}, {cell_text}" + (f" ({first!r})" if first else "")


def _tags(cell) -> set:
    return set(cell.get("metadata", {}).get("tags", []))


class SectionCells(Preprocessor):
    """Which cells reach the pack, each numbered as the analyst sees it."""

    enabled = True

    def preprocess(self, nb, resources):
        ctx = _ctx(resources)
        kept, number, title_seen = [], 0, False
        for cell in nb.cells:
            tags = _tags(cell)
            if "injected-parameters" not in tags:
                number += 1
                cell.metadata["scrutiny_cell"] = number
            if tags & REMOVE_CELL or cell.cell_type == "raw":
                continue
            if cell.cell_type == "markdown" and not title_seen and re.match(r"\s*#\s+\S", cell.source):
                title_seen = True
                rest = cell.source.strip().split("\n", 1)[1] if "\n" in cell.source.strip() else ""
                if not rest.strip():
                    continue
                cell.source = rest
            if cell.cell_type == "code" and tags & REMOVE_OUTPUT:
                cell.outputs = []
            kept.append(cell)
        nb.cells = kept
        ctx.setdefault("log", [])
        return nb, resources


class SectionOutputs(Preprocessor):
    """What a reader sees of each output; the rest goes to the build log."""

    enabled = True

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        # a code cell with nothing left to show takes no room in the pack
        nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.outputs]
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        ctx = _ctx(resources)
        kept = []
        for output in cell.get("outputs", []):
            if self._keep(output, cell, ctx):
                kept.append(output)
        cell.outputs = kept
        return cell, resources

    def _keep(self, output, cell, ctx) -> bool:
        kind = output.get("output_type")
        where = _where(ctx, cell)
        if kind == "error":
            raise CellError(where, f"the cell failed with {output.get('ename')}: {output.get('evalue')}",
                            "Run the notebook in JupyterLab to see the error, and correct the cell")
        if kind == "stream":
            if output.get("name") == "stderr":
                text = output.get("text", "").strip()
                if text:
                    ctx["log"].append(f"{where}: {text.splitlines()[-1][:300]}")
                return False
            return bool(output.get("text", "").strip())
        if kind not in ("display_data", "execute_result"):
            return False
        data = output.get("data", {})
        shown = [m for m in SHOWN if m in data]
        if not shown:
            raise CellError(where, f"it shows output the pack cannot hold ({', '.join(sorted(data)) or 'empty'})",
                            "A pack is a page without JavaScript: draw charts with matplotlib or seaborn, "
                            "and show tables as pandas DataFrames")
        if set(shown) <= {"text/html", "text/plain"} and not any(str(data.get(m, "")).strip() for m in shown):
            return False  # an empty block (no commentary, say): nothing to show
        if shown == ["text/plain"] and self._stray(kind, data["text/plain"]):
            value = " ".join(str(data["text/plain"]).split())
            ctx["log"].append(f"{where}: not shown in the pack, the cell's value {value[:120]!r} (end the line "
                              f"with ';' to hide it in JupyterLab too, or print() text meant for readers)")
            return False
        for mime in IMAGES:
            if mime in data:
                self._alt_text(output, mime, where, ctx)
        return True

    @staticmethod
    def _stray(kind: str, text) -> bool:
        """A cell's last value shown only as text, or any object's default repr."""
        return kind == "execute_result" or bool(_DEFAULT_REPR.match(str(text)))

    @staticmethod
    def _alt_text(output, mime: str, where: str, ctx: dict) -> None:
        meta = output.setdefault("metadata", {}).setdefault(mime, {})
        ours = meta.get(METADATA_KEY) or {}
        alt = str(ours.get("alt") or meta.get("alt") or "").strip()
        if not alt:
            raise CellError(where, "a figure has no alt text and no title",
                            "Give it a title (ax.set_title) or alt text saying what it shows "
                            "(helpers.report.set_alt_text(ax, \"...\"))")
        if ours.get("alt_from") == ALT_FROM_TITLE:
            ctx["log"].append(f"{where}: a figure has no alt text; the pack uses its title: {alt!r} "
                              f"(give a better one with helpers.report.set_alt_text)")
        meta["alt"] = alt


# ----------------------------------------------------------------- markdown

def slug(text: str) -> str:
    """Words of a heading as an id: lower case ASCII letters, digits, hyphens."""
    plain = unicodedata.normalize("NFKD", re.sub(r"<[^>]+>", "", text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60] or "heading"


_ID = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""")


class _MarkdownProblem(Exception):
    pass


def _renderer_class():
    from nbconvert.filters.markdown_mistune import IPythonRenderer

    class PackRenderer(IPythonRenderer):
        """nbconvert's markdown renderer with headings a pack can link to
        (no self-closing anchor link) and images that must be embeddable and
        described."""

        def __init__(self, prefix: str, ids: set, **kw):
            super().__init__(escape=False, exclude_anchor_links=True, embed_images=True, **kw)
            self.prefix, self.ids = prefix, ids

        def heading(self, text, level, **attrs):
            level = max(2, int(level))
            base = f"{self.prefix}-{slug(text)}"
            ident, n = base, 2
            while ident in self.ids:
                ident, n = f"{base}-{n}", n + 1
            self.ids.add(ident)
            return f'<h{level} id="{escape(ident)}">{text}</h{level}>\n'

        def image(self, text, url, title=None):
            if not str(text or "").strip():
                raise _MarkdownProblem(f"the image {url!r} has no alt text",)
            if re.match(r"(?i)\s*(https?:)?//", str(url)):
                raise _MarkdownProblem(f"the image {url!r} is on the web; a pack opens offline, so put the "
                                       f"file beside the notebook and link it by name")
            out = super().image(text, url, title)
            if "data:" not in out:
                raise _MarkdownProblem(f"the image file {url!r} was not found beside the notebook")
            return out

    return PackRenderer


class SectionMarkdown(Preprocessor):
    """Each markdown cell as HTML (``cell.metadata["scrutiny_html"]``) with
    headings the contents can link to."""

    enabled = True

    def preprocess(self, nb, resources):
        # ids the helpers' own blocks use are taken: a heading "Key findings"
        # must not share the id of the section's generated one
        ids = _ctx(resources)["ids"]
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                ids.update(_ID.findall(str(output.get("data", {}).get("text/html", ""))))
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "markdown":
            return cell, resources
        ctx = _ctx(resources)
        from nbconvert.filters.markdown_mistune import MarkdownWithMath
        renderer = _renderer_class()(ctx["section"], ctx["ids"], path=ctx.get("folder") or "",
                                     attachments=cell.get("attachments") or {})
        try:
            cell.metadata["scrutiny_html"] = MarkdownWithMath(renderer=renderer).render(cell.source)
        except _MarkdownProblem as problem:
            raise CellError(_where(ctx, cell), str(problem),
                            "Write the image as ![what it shows](file.png), with the file beside the "
                            "notebook") from None
        return cell, resources


PREPROCESSORS = (SectionCells, SectionOutputs, SectionMarkdown)
