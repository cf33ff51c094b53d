"""Reading YAML that people wrote (templates, exams, assignments, submissions) safely, with lines.

Safe means: ``yaml.SafeLoader`` only (no Python objects), no aliases or anchors (the "billion laughs"
bomb needs them), duplicate keys refused, bounded size and nesting.  With lines means: every mapping
comes back as a :class:`Mapping` that remembers the line of each key, so an error can say
``problems/x.yaml:12: key 'params.Ki.low': …``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from psyq.errors import TemplateError

MAX_BYTES = 1_000_000  # a template or answer file is a few kilobytes; refuse anything absurd
MAX_DEPTH = 40
# Scalars: Python's int() is quadratic in the digits and PyYAML's sexagesimal ints (1:2:3, base 60)
# multiply ever larger numbers, so a 1 MB integer cost half a minute of CPU.  No number a template,
# assignment or answer needs is longer than this; text (strings) is not limited here.
MAX_NUMBER_CHARS = 100
MAX_SEXAGESIMAL_PARTS = 4  # 1:30:00 is three; PyYAML accepts any number
MAX_COLLECTION_ITEMS = 20_000  # entries of one mapping or list (flow or block)


class Mapping(dict):
    """A dict that knows the 1-based line of itself and of each of its keys."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line) if hasattr(self, "key_lines") else self.line


class Sequence(list):
    """A list that knows its line and the line of each item."""

    line: int = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        lines = getattr(self, "item_lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


def _make_loader(file: str, *, text_scalars: bool = False, duplicates: str = "error"):
    import yaml  # here, not at the top: a command that reads only cached templates never parses YAML

    class _Loader(yaml.SafeLoader):
        pass

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise TemplateError("YAML aliases (*name) are not allowed", file=file,
                                line=event.start_mark.line + 1,
                                hint="write the value out in full")
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise TemplateError("YAML anchors (&name) are not allowed", file=file,
                                line=event.start_mark.line + 1, hint="write the value out in full")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise TemplateError("the YAML is nested too deeply", file=file,
                                    line=event.start_mark.line + 1)
            node = yaml.SafeLoader.compose_node(self, parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) and len(node.value) > MAX_COLLECTION_ITEMS:
            raise TemplateError(f"a list or mapping has more than {MAX_COLLECTION_ITEMS:,} entries", file=file,
                                line=node.start_mark.line + 1)
        return node

    def _number_text(self, node) -> str:
        text = str(node.value)
        if len(text) > MAX_NUMBER_CHARS:
            raise TemplateError(f"a number is {len(text):,} characters long (at most {MAX_NUMBER_CHARS})",
                                file=file, line=node.start_mark.line + 1,
                                hint="write it with an exponent, e.g. 1.5e+12, or quote it as text")
        if text.count(":") + 1 > MAX_SEXAGESIMAL_PARTS:
            raise TemplateError(f"a base-60 number (1:30:00) has more than {MAX_SEXAGESIMAL_PARTS} parts",
                                file=file, line=node.start_mark.line + 1, hint="quote it as text")
        return text

    def construct_int(self, node):
        _number_text(self, node)
        return yaml.SafeLoader.construct_yaml_int(self, node)

    def construct_float(self, node):
        _number_text(self, node)
        return yaml.SafeLoader.construct_yaml_float(self, node)

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            raise TemplateError("expected a mapping", file=file, line=node.start_mark.line + 1)
        result = Mapping()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise TemplateError("YAML merge keys (<<) are not allowed", file=file,
                                    line=key_node.start_mark.line + 1)
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float)) or isinstance(key, bool):
                raise TemplateError("mapping keys must be plain text", file=file,
                                    line=key_node.start_mark.line + 1)
            key = str(key)
            if key in result:
                if duplicates == "keep-first":
                    # the caller decides what a repeated key means; remember every line it was on
                    dups = result.__dict__.setdefault("duplicates", {})
                    dups.setdefault(key, [result.key_lines[key]]).append(key_node.start_mark.line + 1)
                    continue
                raise TemplateError("duplicate key", file=file, line=key_node.start_mark.line + 1,
                                    key=key, hint="each key may appear once in a mapping")
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node, deep=False):
        result = Sequence(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    _Loader.compose_node = compose_node
    _Loader.construct_mapping = construct_mapping
    _Loader.construct_sequence = construct_sequence
    _Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    _Loader.add_constructor("tag:yaml.org,2002:float", construct_float)
    _Loader.add_constructor("tag:yaml.org,2002:map", lambda self, node: self.construct_mapping(node))
    _Loader.add_constructor("tag:yaml.org,2002:seq", lambda self, node: self.construct_sequence(node))
    # Dates stay text: a due date is shown, not computed with, and timestamps differ by timezone.
    _Loader.add_constructor("tag:yaml.org,2002:timestamp",
                            lambda self, node: self.construct_scalar(node))
    if text_scalars:
        # Answers keep their text as written ("0.80" has two significant figures, 0.8 has one).
        for tag in ("int", "float", "bool", "null", "binary"):
            _Loader.add_constructor(f"tag:yaml.org,2002:{tag}",
                                    lambda self, node: self.construct_scalar(node))
    return _Loader


def loads(text: str | bytes, file: str = "<text>", *, text_scalars: bool = False,
          duplicates: str = "error") -> Any:
    """Parse YAML text with line-aware mappings; errors are TemplateErrors naming file and line.

    ``text_scalars=True`` keeps every scalar as the text written (no ints, floats, booleans or
    nulls; an empty value is ``""``).  ``duplicates="keep-first"`` keeps the first of repeated keys
    and records ``{key: [lines…]}`` in the mapping's ``duplicates`` attribute instead of failing.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise TemplateError(f"file is too large ({len(text)} bytes; at most {MAX_BYTES})", file=file)
        if b"\x00" in text:
            raise TemplateError("file is binary, not YAML text", file=file)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TemplateError(f"file is not UTF-8 text (byte {exc.start})", file=file) from None
    if len(text) > MAX_BYTES:
        raise TemplateError(f"file is too large ({len(text)} characters; at most {MAX_BYTES})", file=file)
    import yaml

    try:
        loader = _make_loader(file, text_scalars=text_scalars, duplicates=duplicates)
        return yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader subclass
    except TemplateError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        cmark = exc.context_mark
        if exc.problem and exc.context and cmark is not None and mark is not None and cmark.line != mark.line:
            # e.g. an unclosed quote: say where the quoted text began, not only where the file ended
            problem += f" ({exc.context.strip()} that starts on line {cmark.line + 1})"
        raise TemplateError(f"invalid YAML: {problem}", file=file, line=line,
                            hint="check indentation and quoting near this line") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, control …)
        position = getattr(exc, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        char = exc.character
        if isinstance(char, str):
            char = ord(char)
        if not isinstance(char, int):
            what = "a character"
        elif getattr(exc, "encoding", None) not in (None, "unicode"):
            what = f"byte 0x{char:02X}"
        else:
            what = f"U+{char:04X}"
        raise TemplateError(f"invalid YAML: {what} is not allowed in YAML text", file=file,
                            line=line, hint="remove control characters; save the file as UTF-8 text") from None
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "not valid YAML"
        raise TemplateError(f"invalid YAML: {first}", file=file) from None
    except RecursionError:
        raise TemplateError("the YAML is nested too deeply", file=file) from None


def read(path: Path | str, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a YAML file: a regular file only (no FIFO, device or symlink to one), bounded."""
    from psyq.fsio import FileError, read_regular

    try:
        return read_regular(path, limit)
    except FileError as exc:
        raise TemplateError(exc.message, file=exc.file, hint=exc.hint) from None


def load(path: Path | str, *, raw: bool = False) -> Any:
    """Parse a YAML file (see :func:`read`); with ``raw=True`` return (data, the bytes read)."""
    data = read(path)
    parsed = loads(data, file=str(path))
    return (parsed, data) if raw else parsed


def line_of(container: Any, key: Any, default: int | None = None) -> int | None:
    """The line of ``key`` in a line-aware mapping or sequence, else ``default``."""
    if isinstance(container, Mapping):
        return container.line_of(key)
    if isinstance(container, Sequence) and isinstance(key, int):
        return container.line_of(key)
    return getattr(container, "line", default) or default
