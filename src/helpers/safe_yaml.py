"""The one way the package reads YAML: run files, targets, comparator groups,
the catalogue, the list of local measures, the sources manifest and the
chart style all come through :func:`load_yaml_file`.

A YAML file an analyst edits is small and plain, so this reader refuses what
no such file needs and an attacker or an accident could use:

* a file larger than ``max_bytes`` (1 MB unless told otherwise);
* an alias bomb: anchors and aliases are allowed (``<<: *defaults`` is a
  fair habit), but the document's size with every alias expanded is counted
  on the node graph, before anything is built, and a document that would
  expand past :data:`MAX_EXPANDED_NODES` nodes is refused in milliseconds;
* a date that is not a date (``2026-02-30``), named with its line.

Every problem is a :class:`~helpers.errors.ConfigError` naming the file, the
line and what to do; nothing reaches the user as a YAML traceback.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from .errors import ConfigError

__all__ = ["load_yaml_file", "load_yaml_text", "MAX_YAML_BYTES", "MAX_EXPANDED_NODES"]

#: The largest YAML file read (the catalogue, the biggest, is about 20 kB).
MAX_YAML_BYTES = 1024 * 1024
#: The most nodes a document may hold once every alias is expanded.
MAX_EXPANDED_NODES = 200_000


class _DateError(yaml.YAMLError):
    def __init__(self, node, text: str):
        super().__init__(text)
        self.node = node
        self.problem_mark = node.start_mark
        self.problem = text


class _Recursive(Exception):
    """An alias inside the value it names (``&a [*a]``)."""


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """PyYAML's safe loader (its C parser where built) with dates checked
    where they are read."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise _DateError(node, f"{node.value!r} is not a real date ({exc})") from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


class _TextDatesLoader(_Loader):
    """Dates kept as the text written, for a caller that checks them itself
    (and reports every bad one at once)."""

    def construct_yaml_timestamp(self, node):
        return self.construct_scalar(node)


_TextDatesLoader.add_constructor("tag:yaml.org,2002:timestamp", _TextDatesLoader.construct_yaml_timestamp)


def _expanded_size(root: Node, limit: int) -> int:
    """Nodes in the document with every alias expanded (aliases share node
    objects in PyYAML's graph, so each node's size is computed once; the
    count stops at ``limit + 1``)."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[Node] = [root]
    while stack:
        node = stack[-1]
        if id(node) in sizes:
            stack.pop()
            continue
        if isinstance(node, SequenceNode):
            kids = list(node.value)
        elif isinstance(node, MappingNode):
            kids = [n for pair in node.value for n in pair]
        else:
            sizes[id(node)] = 1
            stack.pop()
            continue
        if any(id(k) in visiting for k in kids):
            raise _Recursive()
        todo = [k for k in kids if id(k) not in sizes]
        if id(node) not in visiting and todo:
            visiting.add(id(node))
            stack.extend(todo)
            continue
        sizes[id(node)] = min(1 + sum(sizes.get(id(k), 1) for k in kids), limit + 1)
        visiting.discard(id(node))
        stack.pop()
    return sizes.get(id(root), 1)


def _key_of(root: Node, target: Node) -> str | None:
    """The dotted key of ``target`` in the document ('runs[2].meeting_date')."""
    stack: list[tuple[Node, str]] = [(root, "")]
    seen: set[int] = set()
    while stack:
        node, where = stack.pop()
        if node is target:
            return where or None
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((k, f"{where}[{i}]") for i, k in enumerate(node.value))
        elif isinstance(node, MappingNode):
            for k, v in node.value:
                name = getattr(k, "value", "?")
                stack.append((v, f"{where}.{name}" if where else str(name)))
    return None


def load_yaml_text(text: str, path, *, what: str = "YAML file", dates_as_text: bool = False):
    """Parse YAML text read from ``path`` (named in errors) safely; with
    ``dates_as_text`` a date is returned as the text written, unchecked."""
    loader = (_TextDatesLoader if dates_as_text else _Loader)(text)
    node = None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, MAX_EXPANDED_NODES)
        if size > MAX_EXPANDED_NODES:
            raise ConfigError(path, f"its anchors and aliases (&name, *name) would expand to more than "
                                    f"{MAX_EXPANDED_NODES:,} values; a {what} needs far fewer",
                              hint="Write the values out, or use each alias once or twice; the file was not read")
        return loader.construct_document(node)
    except _Recursive:
        raise ConfigError(path, "an alias (*name) is used inside the value it names, which never ends",
                          hint="Write the values out instead") from None
    except _DateError as exc:
        key = _key_of(node, exc.node)
        raise ConfigError(path, f"line {exc.problem_mark.line + 1}: {exc.problem}", key=key,
                          hint="Write a real date as YYYY-MM-DD") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, f"is not valid YAML{where}: {problem}",
                          hint="Check the indentation, the quotes and that dates are written YYYY-MM-DD") from None
    except RecursionError:
        raise ConfigError(path, "is nested too deeply to read", hint="Flatten the file") from None
    finally:
        loader.dispose()


def load_yaml_file(path, *, what: str = "YAML file", max_bytes: int = MAX_YAML_BYTES, dates_as_text: bool = False):
    """Read and parse a YAML file safely; :class:`ConfigError` for a missing,
    oversized, undecodable or invalid file. ``what`` names the file's role in
    messages ("targets file", "run file")."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise ConfigError(path, f"{what} not found") from None
    except IsADirectoryError:
        raise ConfigError(path, f"is a folder, not a {what}") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:
        raise ConfigError(path, f"is larger than {max_bytes // 1024:,} kB, far more than a {what} holds; not read",
                          hint="Check it is the right file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(path, f"is not UTF-8 text (line {line})", hint="Save it as UTF-8") from None
    return load_yaml_text(text, path, what=what, dates_as_text=dates_as_text)
