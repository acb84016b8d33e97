"""Officer commentary: what an officer writes about the figures, kept in
markdown files that survive every rebuild of the pack.

A commentary folder (``commentary/`` beside the notebooks or the pack
specification, or the folder a run file names) holds one folder per
council, named as its pack folder is (``devon``, ``north-northamptonshire``),
and in it one file per section or per measure::

    commentary/devon/workforce.md        the workforce section
    commentary/devon/wf_caseload.md      one measure (shown with it)
    commentary/devon/summary.md          the summary

Each file starts with who wrote it and when, then the text in markdown::

    ---
    officer: Sam Patel, Head of Children's Social Work
    date: 2025-11-03
    period: 2025        # optional: the year of the figures it discusses
    ---
    Caseloads fell after the two new teams started in June...

The pack shows it under the officer's name and date, apart from the
generated text. A commentary older than the figures beside it (its
``period`` is earlier than the period shown, or, without a period, its date
is before the end of that period) is flagged in the pack and in the build
log. Files are checked before any notebook runs: a file for a section or
measure that does not exist, a missing name or date, or a date in the
future raises :class:`~helpers.errors.ConfigError` naming the file.

    >>> note = Commentary.parse("---\\nofficer: Sam Patel\\ndate: 2025-11-03\\n---\\nCaseloads fell.",
    ...                         Path("workforce.md"))
    >>> note.officer, note.date.isoformat(), note.about
    ('Sam Patel', '2025-11-03', 'workforce')
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .safe_yaml import load_yaml_text

__all__ = ["Commentary", "council_folder", "read_commentary", "check_folder", "render_markdown"]

FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
MAX_BYTES = 100_000


@dataclass(frozen=True)
class Commentary:
    """One officer's commentary on a section or a measure."""
    about: str          # a section id or a measure id
    officer: str
    date: _dt.date
    text: str           # markdown
    path: Path
    period: int | None = None

    @classmethod
    def parse(cls, text: str, path: Path) -> "Commentary":
        path = Path(path)
        found = FRONT_MATTER.match(text)
        if not found:
            raise ConfigError(path, "a commentary starts with its officer and date between --- lines",
                              hint="Begin the file with: ---, officer: Your Name, date: YYYY-MM-DD, ---")
        meta = load_yaml_text(found.group(1), path, what="commentary") or {}
        if not isinstance(meta, dict):
            raise ConfigError(path, "the lines between --- must be officer: and date:")
        unknown = [k for k in meta if k not in ("officer", "date", "period")]
        if unknown:
            raise ConfigError(path, f"unknown key {unknown[0]!r}", key=str(unknown[0]),
                              hint="A commentary has officer, date and (optionally) period")
        officer = meta.get("officer")
        if not isinstance(officer, str) or not officer.strip() or len(officer) > 200:
            raise ConfigError(path, "says nothing about who wrote it", key="officer",
                              hint="Add a line such as: officer: Sam Patel, Head of Children's Social Work")
        date = meta.get("date")
        if not isinstance(date, _dt.date) or isinstance(date, _dt.datetime):
            raise ConfigError(path, "needs the date it was written, as YYYY-MM-DD", key="date")
        if date > _dt.date.today():
            raise ConfigError(path, f"is dated {date.isoformat()}, in the future", key="date")
        period = meta.get("period")
        if period is not None and (isinstance(period, bool) or not isinstance(period, int)
                                   or not 1990 <= period <= 2100):
            raise ConfigError(path, "must be the year of the figures it discusses, e.g. 2025", key="period")
        body = text[found.end():].strip()
        if not body:
            raise ConfigError(path, "has a name and date but no text")
        return cls(path.stem, " ".join(officer.split()), date, body, path, period)

    def older_than(self, period: int, period_end: _dt.date | None) -> bool:
        """True when the figures shown (``period``, ending ``period_end``) are
        newer than the ones this commentary discusses."""
        if self.period is not None:
            return int(period) > self.period
        return period_end is not None and self.date < period_end


def council_folder(folder, council_slug: str) -> Path | None:
    """The council's commentary folder inside ``folder``, or None."""
    if not folder:
        return None
    found = Path(folder) / council_slug
    return found if found.is_dir() else None


def read_commentary(folder) -> dict[str, Commentary]:
    """Every commentary file in one council's folder, by what it is about."""
    out = {}
    if folder is None:
        return out
    for path in sorted(Path(folder).glob("*.md")):
        if path.is_symlink() or not path.is_file():
            raise ConfigError(path, "is not a plain file; commentary files are plain markdown files")
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(path, f"is larger than {MAX_BYTES // 1000} kB, far more than a commentary holds")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ConfigError(path, "is not UTF-8 text", hint="Save it as UTF-8") from None
        note = Commentary.parse(text, path)
        out[note.about] = note
    return out


def check_folder(folder, catalogue, sections) -> list[Path]:
    """Check every file in one council's commentary folder names a section
    of the pack or a measure of the catalogue; the files, for the pack's
    fingerprint."""
    notes = read_commentary(folder)
    known = list(sections) + catalogue.ids()
    for about, note in notes.items():
        if about not in known:
            close = difflib.get_close_matches(about, known, n=3, cutoff=0.6)
            raise ConfigError(note.path, f"{about!r} is neither a section of this pack nor a measure",
                              hint=(f"Did you mean: {', '.join(close)}? " if close else "")
                              + "Name the file after a section (workforce.md) or a measure id (wf_caseload.md)")
    return [n.path for n in notes.values()]


def render_markdown(text: str) -> str:
    """An officer's markdown as HTML: paragraphs, lists, emphasis and links;
    any HTML in the text is shown as text, never run."""
    import mistune
    markdown = mistune.create_markdown(escape=True, plugins=["strikethrough", "table"])
    html = markdown(text)
    # an officer's headings sit under the commentary's own heading
    return re.sub(r"<(/?)h[1-3]\b", r"<\1h4", html)
