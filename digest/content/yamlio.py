"""Reading YAML safely, with the line and column of every value.

PyYAML's safe loader still expands anchors and aliases (the "billion laughs" bomb),
silently keeps the last of two duplicate keys and reads a whole file of any size. This
reader composes the node tree itself so that it can refuse all of those, refuse every
custom tag, and remember where each value stood for error messages.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML without libyaml: the pure-Python parser does it all
    CParser = yaml.parser.Parser

from digest.errors import Problem

MAX_BYTES = 1 << 20  # 1 MiB: the largest forum file so far is under 60 KB
MAX_DEPTH = 64

_STD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}

Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """Parsed data plus the (line, column) of each field path, both 1-based."""

    file: str
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # where each key (or list entry) is
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # where each value starts

    def where(self, path: Path_, value: bool = False) -> tuple[int, int]:
        """The position of path (its value's, if asked), or of its nearest parent that has one."""
        path = tuple(path)
        if value and path in self.values:
            return self.values[path]
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def problem(
        self, path: Path_, message: str, hint: str = "", severity: str = "error", value: bool = False
    ) -> Problem:
        line, col = self.where(path, value)
        return Problem(self.file, line, col, format_path(path), message, hint, severity)


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Refused(Exception):
    def __init__(self, mark: yaml.Mark | None, message: str, hint: str = "", path: Path_ = ()) -> None:
        super().__init__(message)
        self.mark, self.message, self.hint, self.path = mark, message, hint, path


class _Checked:
    """Refuses anchors, aliases and deep nesting as the document is composed."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(
                event.start_mark,
                "anchors and aliases (&name, *name) are not allowed",
                "write the value out in full",
            )
        if self.depth >= MAX_DEPTH:  # refused as it is read: no deep recursion, no RecursionError to unwind
            raise _Refused(
                event.start_mark, f"YAML is nested more than {MAX_DEPTH} levels deep", "flatten the structure"
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self.depth -= 1


class _Loader(_Checked, yaml.SafeLoader):
    pass


class _FastLoader(_Checked, yaml.composer.Composer, CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """libyaml's scanner and parser (C) under the same composer: marks are the same. Only
    for a document that loads: any problem is reported by _Loader, whose words tests pin."""

    def __init__(self, text: str) -> None:
        CParser.__init__(self, text)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()
        # libyaml reads some tags otherwise, and places an empty value elsewhere
        if getattr(event, "tag", None) is not None or getattr(event, "value", None) == "":
            raise _Refused(None, "for the reference parser")
        return super().compose_node(parent, index)


def _mark(m: yaml.Mark | None) -> tuple[int, int]:
    return (m.line + 1, m.column + 1) if m is not None else (1, 1)


def load_yaml(path: Path, display: str, remember: bool = False) -> tuple[Located | None, list[Problem]]:
    """Read one YAML file; on any problem return (None, problems) and never raise. With
    remember, the same bytes as last time give the same (shared, read-only) result."""

    def fail(line: int, col: int, message: str, hint: str = "") -> tuple[None, list[Problem]]:
        return None, [Problem(display, line, col, "", message, hint)]

    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return fail(
                1, 1, f"file is {size:,} bytes, over the {MAX_BYTES:,}-byte limit", "split it into smaller files"
            )
        raw = path.read_bytes()
    except OSError as exc:
        return fail(1, 1, f"cannot read file: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return fail(line, 1, "file is not UTF-8 text", "save it as UTF-8")
    if not remember:
        return parse_yaml(text, display)
    key = (str(path), display)
    with _PARSED_LOCK:
        hit = _PARSED.get(key)
    if hit is not None and hit[0] == raw:
        with _PARSED_LOCK:
            _PARSED[key] = _PARSED.pop(key, hit)  # most recently read last
        return hit[1]
    parsed = parse_yaml(text, display)
    with _PARSED_LOCK:
        _PARSED.pop(key, None)  # a changed file replaces its own entry...
        while len(_PARSED) >= 64:  # ...and a full cache forgets the file least recently read
            del _PARSED[next(iter(_PARSED))]
        _PARSED[key] = (raw, parsed)
    return parsed


# The last parse of each file, by its bytes: `digest preview` loads the site again after each
# save, and only the file that changed is parsed again. Callers must not change what they get.
_PARSED: dict[tuple[str, str], tuple[bytes, tuple[Located | None, list[Problem]]]] = {}
_PARSED_LOCK = threading.Lock()
_DERIVED: dict[tuple[int, object], tuple[Located, Any]] = {}


def derived(src: Located, key: object, make: Callable[[], Any]) -> Any:
    """What make() gives for a remembered parse (e.g. its validated model), kept beside it."""
    hit = _DERIVED.get((id(src), key))
    if hit is None or hit[0] is not src:
        if len(_DERIVED) >= 64:
            _DERIVED.clear()
        hit = _DERIVED[(id(src), key)] = (src, make())
    return hit[1]


def parse_yaml(text: str, display: str) -> tuple[Located | None, list[Problem]]:
    # what the reference refuses and libyaml may take: characters it cannot print, and tabs
    if FAST and "\t" not in text and not yaml.reader.Reader.NON_PRINTABLE.search(text):
        try:
            return _parse(_FastLoader(text), display), []
        except Exception:  # said again below, in the words of the reference parser
            pass
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:
        return None, [_reader_problem(exc, text, display)]
    try:
        node = loader.get_single_node()
        located = Located(display, None)
        located.data = _build(loader, node, (), located, 0) if node is not None else None
        return located, []
    except _Refused as exc:
        line, col = _mark(exc.mark)
        return None, [Problem(display, line, col, format_path(exc.path), exc.message, exc.hint)]
    except yaml.MarkedYAMLError as exc:
        return None, [syntax_problem(exc, text, display)]
    except yaml.YAMLError as exc:
        return None, [_reader_problem(exc, text, display)]
    except RecursionError:
        return None, [Problem(display, 1, 1, "", "YAML is nested too deeply", "flatten the structure")]
    finally:
        loader.dispose()


# where PyYAML starts a new line (its marks count these): CR LF, CR, LF, NEL, LS, PS; a file
# saved with CR line ends (or a stray one) has more lines than split("\n") makes
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_KEY = re.compile(r"( {0,200})(?:- )?([^\s:#'\"][^:#]{0,80}?):(?: |$)")


def syntax_problem(exc: yaml.MarkedYAMLError, text: str, display: str) -> Problem:
    """A YAML syntax error in plain words, at the line most likely to hold the mistake.

    PyYAML reports where it gave up, often the line after the mistake, in its own terms
    ("expected <block end>, but found '?'"). The usual mistakes are a tab in the
    indentation, a line indented differently from the lines it belongs with, a colon and
    space inside an unquoted value, and a quote never closed."""
    lines = _BREAK.split(text)
    line, col = _mark(exc.problem_mark or exc.context_mark)
    what = f"{exc.problem or exc.context or 'invalid YAML'}"

    def at(n: int, c: int, message: str, hint: str) -> Problem:
        return Problem(display, n, c, "", message, hint)

    for n, raw in enumerate(lines[:line], 1):  # a tab before the first character, at or above the error
        indent = raw[: len(raw) - len(raw.lstrip(" \t"))]
        if "\t" in indent:
            return at(
                n, indent.index("\t") + 1, "indented with a tab", "YAML indents with spaces only: replace the tab"
            )
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    above = next(
        (lines[k] for k in range(line - 2, -1, -1) if lines[k].strip() and not lines[k].lstrip().startswith("#")), ""
    )
    if exc.context and "quoted scalar" in exc.context and exc.context_mark is not None:
        n, c = _mark(exc.context_mark)
        return at(n, c, "a quote opened here is never closed", "end the value with the same quote mark")
    if exc.context and "simple key" in exc.context and exc.context_mark is not None:
        n, c = _mark(exc.context_mark)
        return at(n, c, "a key without a colon", "write `key: value`, with a colon and a space")
    if "mapping values are not allowed" in what:
        key = _KEY.match(here)
        if key and col == key.end(2) + 1:  # the line's own first colon: the line continues the value above
            return at(
                line,
                len(key.group(1)) + 1,
                f"'{key.group(2)}' is indented more than the line above, so it reads as part of that value",
                "line it up with the key it belongs beside",
            )
        first = _KEY.match(here)
        name = first.group(2) if first else "this key"
        return at(
            line, col, f"a colon and a space inside the value of '{name}'", f'put the value in quotes: {name}: "..."'
        )
    if "expected <block end>" in what or "expected <block mapping start>" in what or "did not find expected" in what:
        indent = len(here) - len(here.lstrip(" "))
        parent = _KEY.match(above)
        keys_at = len(parent.group(0)) - len(parent.group(0).lstrip(" -")) if parent else None
        shown = (
            f" ({indent} spaces, the line above's keys {keys_at})" if keys_at is not None and keys_at != indent else ""
        )
        return at(
            line,
            1,
            f"indented differently from the lines it belongs with{shown}",
            "line each key up with the others of its entry (YAML counts the spaces)",
        )
    return at(line, col, f"YAML syntax: {what}", "check indentation, colons and quotes")


def _reader_problem(exc: yaml.YAMLError, text: str, display: str) -> Problem:
    """PyYAML's reader errors (control characters) carry a character offset, not a mark."""
    pos = getattr(exc, "position", None)
    before = _BREAK.split(text[:pos]) if isinstance(pos, int) else [""]
    line, col = len(before), len(before[-1]) + 1
    what = str(exc).splitlines()[0]
    return Problem(display, line, col, "", f"YAML: {what}", "remove control characters from the file")


def _parse(loader: _Checked, display: str) -> Located:
    try:
        node = loader.get_single_node()
        located = Located(display, None)
        located.data = _build(loader, node, (), located, 0) if node is not None else None
        return located
    finally:
        loader.dispose()


FAST = CParser is not yaml.parser.Parser


def _build(loader: _Loader, node: yaml.Node, path: Path_, located: Located, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise _Refused(node.start_mark, f"YAML is nested more than {MAX_DEPTH} levels deep", "flatten the structure")
    located.positions.setdefault(path, _mark(node.start_mark))
    located.values[path] = _mark(node.start_mark)
    explicit_custom = node.tag not in _ALLOWED_TAGS
    if explicit_custom:
        raise _Refused(node.start_mark, f"tag '{node.tag}' is not allowed", "remove the tag; plain values only")
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<":
                raise _Refused(key_node.start_mark, "merge keys (<<) are not allowed", "write the values out in full")
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _ALLOWED_TAGS:
                raise _Refused(key_node.start_mark, "keys must be plain words", "write `name: value`")
            key = key_node.value
            if key in out:
                raise _Refused(
                    key_node.start_mark, f"key '{key}' appears twice in this mapping", "keep one of them", path + (key,)
                )
            located.positions[path + (key,)] = _mark(key_node.start_mark)
            out[key] = _build(loader, value_node, path + (key,), located, depth + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, child, path + (i,), located, depth + 1) for i, child in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.constructor.ConstructorError, ValueError, OverflowError):
        # e.g. a date-shaped '2025-13-10': keep the text, and validation says what is wrong
        return node.value
