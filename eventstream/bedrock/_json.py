"""The one JSON reader and writer of the typed layer and the tools above it.

Strict RFC 8259 JSON: ``NaN``, ``Infinity`` and numbers that overflow to them are refused
(Python's ``json`` accepts them and writes them back as invalid JSON). Nesting is bounded so
that whatever was read can be written again.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

# What the package re-exports; the helpers below are shared inside the library only.
__all__ = ["MAX_JSON_DEPTH"]

#: Deepest JSON nesting accepted in a payload: deeper values cannot be written back safely
#: (``json.dumps`` recurses), and no Bedrock shape comes close.
MAX_JSON_DEPTH = 200


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} overflows a double")
    return value


# One decoder, built once: json.loads() with hooks builds a new JSONDecoder per call, which
# costs as much as parsing a small event's payload. Its scanner is json's C scanner.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)
_scan = _DECODER.scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__
_WHITESPACE = " \t\n\r"


def loads(data: bytes | bytearray | str) -> Any:
    """Parse strict UTF-8 JSON; raise ``ValueError`` (deep nesting included) on anything else.

    A byte order mark is refused (RFC 8259, section 8.1), as are UTF-16 and UTF-32.
    """
    text = data if isinstance(data, str) else data.decode("utf-8")
    try:
        if text[:1] in _WHITESPACE:  # also "": the scanner wants a value at 0
            return _DECODER.decode(text)
        try:
            value, end = _scan(text, 0)
        except StopIteration as exc:
            raise json.JSONDecodeError("Expecting value", text, exc.value) from None
    except RecursionError:
        raise ValueError("JSON nested too deeply for the parser") from None
    if end != len(text) and text[end:].strip(_WHITESPACE):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def too_deep(data: bytes, value: Any) -> bool:
    """Whether ``value`` (parsed from ``data``) nests deeper than :data:`MAX_JSON_DEPTH`: a
    value, or a member of a list or object, lies more than that many levels down."""
    # Cheap test first: fewer brackets than the limit cannot nest that deep.
    if data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH:
        return False
    # Then the brackets alone, outside strings, with innermost pairs taken out a few times,
    # all in C: a payload of many shallow values (a million "[]") empties at once, where a
    # walk of the parsed value would cost as much as the parse.
    shape = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    for _ in range(_QUICK_LEVELS):
        shape = shape.replace(b"[]", b"").replace(b"{}", b"")
        if not shape:
            return False
    # Members of the deepest allowed containers lie one level too deep.
    return not nested_within(value, MAX_JSON_DEPTH - 1, members=True)


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
#: Levels the quick test takes out before walking the value (which is exact at any depth).
_QUICK_LEVELS = 8


def parse(data: bytes) -> tuple[Any, str | None]:
    """``(value, None)`` for strict JSON within the depth limit, else ``(None, why not)``."""
    try:
        value = loads(data)
    # JSONDecodeError and UnicodeDecodeError are ValueErrors.
    except ValueError as exc:
        return None, f"payload is not JSON ({exc})"
    if too_deep(data, value):
        return None, f"payload JSON nests deeper than {MAX_JSON_DEPTH} levels"
    return value, None


# Built once, for the same reason as _DECODER: json.dumps() with options builds an encoder
# per call. Two: UTF-8 text as it is, and every non-ASCII character escaped.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
_ASCII_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), allow_nan=False).encode


def dumps(value: Any) -> bytes:
    """Compact JSON with keys sorted at every level, UTF-8 unescaped, as Bedrock sends it.

    Raise ``ValueError`` for NaN or an infinity, ``RecursionError`` for too deep a value.
    """
    try:
        return _ENCODER(value).encode()
    except UnicodeEncodeError:
        # A lone surrogate (which JSON can carry as an escape) has no UTF-8 form: escape all.
        return _ASCII_ENCODER(value).encode()


_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match[0]):04x}"


def escape_surrogates(text: str) -> str:
    """JSON text with each lone surrogate written as its escape, as ``ensure_ascii`` writes
    it: the same JSON value, now encodable as UTF-8. (JSON written with ``ensure_ascii=False``
    holds a raw surrogate only inside a string, where an escape means the same.)"""
    return _SURROGATE.sub(_surrogate_escape, text)


def utf8(text: str) -> bytes:
    """JSON text as UTF-8; a lone surrogate, read from an escape, goes out as one again."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return escape_surrogates(text).encode()


# --- JSON shown to people -------------------------------------------------------------------

#: JSON that the tools write out, or indent, is nested at most this deep. Lower than
#: MAX_JSON_DEPTH: JSON read at one call depth may not be written from a deeper one (the
#: indenting encoder is pure Python and recurses per level).
SHOWN_JSON_DEPTH = MAX_JSON_DEPTH // 2

#: Shown in place of JSON too deeply nested to write out.
TOO_DEEP = "(JSON nested too deeply to show)"


def nested_within(value: Any, levels: int, *, members: bool = False) -> bool:
    """Whether no list or object in ``value`` lies more than ``levels`` levels down (with
    ``members``, also no member of one that lies ``levels`` down: it must be empty)."""
    # Level by level, keeping only the containers: no (item, depth) pair per value, so a
    # payload of millions of empty lists costs a list of references, not a tuple each.
    level = [value] if type(value) in (dict, list) else []
    for _ in range(levels):
        below = []
        for item in level:
            children = item.values() if type(item) is dict else item
            below.extend([child for child in children if type(child) in (dict, list)])
        if not below:
            return True
        level = below
    # ``level`` holds the containers ``levels`` down: none may be there, or (``members``)
    # they must be empty.
    return not any(level) if members else not level


def bounded(value: Any, levels: int = SHOWN_JSON_DEPTH) -> Any:
    """``value`` with any list or object more than ``levels`` levels down replaced by a note."""
    if isinstance(value, dict):
        return {k: bounded(v, levels - 1) for k, v in value.items()} if levels else TOO_DEEP
    if isinstance(value, list | tuple):
        return [bounded(v, levels - 1) for v in value] if levels else TOO_DEEP
    return value


def json_text(
    value: object,
    *,
    separators: tuple[str, str] | None = (",", ":"),
    indent: int | None = None,
) -> str:
    """``value`` as JSON for display (compact by default), or :data:`TOO_DEEP`.

    JSON nested more than :data:`SHOWN_JSON_DEPTH` levels is not indented (the indenting
    encoder is slower by the depth for every value).
    """
    if indent is not None and not nested_within(value, SHOWN_JSON_DEPTH):
        separators, indent = (",", ":"), None
    try:
        return json.dumps(
            value, separators=separators, indent=indent, ensure_ascii=False, default=repr
        )
    except RecursionError:
        return TOO_DEEP


def pairs_text(mapping: object) -> str:
    """``k=v`` for each scalar item of a JSON object (nested objects and nulls left out)."""
    if not isinstance(mapping, Mapping):
        return ""
    return " ".join(
        f"{key}={value}"
        for key, value in mapping.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    )
