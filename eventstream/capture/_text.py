"""The text that shows a capture's frames to people, shared by the CLI and the notebook."""

from __future__ import annotations

import re
from typing import Any

from .._headers import HEADER_TYPES, HeaderValue
from .._message import Message
from ..bedrock import (
    AnthropicEvent,
    BedrockEvent,
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    MessageStart,
    MessageStop,
    Metadata,
    ReasoningContentDelta,
    TextDelta,
    ToolUseDelta,
    ToolUseStart,
)
from ..bedrock._json import json_text, pairs_text
from ..bedrock._wire import to_wire

__all__ = ["escape_controls", "escape_json_controls"]

# What a terminal acts on rather than shows: C0 and C1 controls (ESC and CSI start escape
# sequences that retitle or clear it), DEL, the line and paragraph separators, the bidi
# controls that reorder a line (Trojan Source, CVE-2021-42574), zero-width characters and
# the byte order mark; and lone surrogates (undecodable bytes kept by surrogateescape).
_CONTROLS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
    "\ufff9-\ufffb\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match[0]
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, keep: str = "") -> str:
    """``text`` safe to show on a terminal: every control character (bar those in ``keep``)
    written as a Python-style escape (``\\x1b``, ``\\n``, ``\\u202e``).

    Everything the tools show of a capture goes through this one function.
    """
    if _CONTROLS.search(text) is None:
        return text
    if keep:
        return _CONTROLS.sub(lambda m: m[0] if m[0] in keep else _escaped(m), text)
    return _CONTROLS.sub(_escaped, text)


def _json_escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match[0]):04x}"


def escape_json_controls(line: str) -> str:
    """A line of JSON with the control characters :func:`escape_controls` escapes written as
    JSON ``\\u`` escapes: the same JSON, safe on a terminal (and a lone surrogate, which
    no encoding can write, becomes the escape JSON allows for it)."""
    # Nearly every line is ASCII, where JSON has escaped all but DEL already: two C scans
    # (~0.2 us a KiB) instead of the pattern's (~6 us for a frame record).
    if line.isascii() and "\x7f" not in line:
        return line
    if _CONTROLS.search(line) is None:
        return line
    return _CONTROLS.sub(_json_escaped, line)


def preview_bytes(data: bytes) -> str:
    """One line showing ``data``: as text when it is printable UTF-8, else as hex."""
    if not data:
        return "(empty)"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\t\r\n" for c in text):
        # Backslashes doubled, so that an escape shown is never the capture's own text.
        return escape_controls(text.replace("\\", "\\\\"))
    head = data[:32].hex(" ")
    return f"0x {head} ..." if len(data) > 32 else f"0x {head}"


def header_items(message: Message) -> list[tuple[str, str, HeaderValue]]:
    """``(name, wire type name, value)`` for each header, in wire order."""
    return [(name, HEADER_TYPES[t].name, value) for name, t, value in message.typed_headers()]


def _shown(value: object) -> str:
    """A JSON value from a model's event in a line of text: a str as is, others as JSON."""
    return value if isinstance(value, str) else json_text(value)


def anthropic_detail(event: AnthropicEvent) -> str:
    """An Anthropic stream event on one line."""
    kind, body = event.type, event.body
    at = f"[{event.index}] " if event.index is not None else ""
    if kind == "message_start" and isinstance(body.get("message"), dict):
        message = body["message"]
        return " ".join(
            part
            for part in (
                f"role={_shown(message.get('role'))}",
                f"model={_shown(message.get('model'))}",
                f"id={_shown(message.get('id'))}",
                pairs_text(event.usage),
            )
            if part
        )
    if kind == "content_block_start" and isinstance(body.get("content_block"), dict):
        block = body["content_block"]
        if event.block_type == "tool_use":
            return f"{at}tool_use {_shown(block.get('name'))} id={_shown(block.get('id'))}"
        return f"{at}{_shown(block.get('type'))}"
    if kind == "content_block_delta" and isinstance(body.get("delta"), dict):
        delta = body["delta"]
        delta_type = _shown(delta.get("type"))
        if event.text is not None:
            return f"{at}{delta_type} {event.text!r}"
        if event.signature is not None:
            return f"{at}{delta_type} ({len(event.signature)} characters)"
        return f"{at}{json_text(delta)}"
    if kind == "content_block_stop":
        return at.strip()
    if kind == "message_delta":
        return " ".join(p for p in (pairs_text(body.get("delta")), pairs_text(event.usage)) if p)
    if kind == "message_stop":
        return pairs_text(event.metrics)
    if kind == "error" and isinstance(body.get("error"), dict):
        error = body["error"]
        return f"{_shown(error.get('type'))}: {_shown(error.get('message'))}"
    return json_text({k: v for k, v in body.items() if k != "type"})


def converse_detail(event: BedrockEvent) -> str:
    """A typed Converse event on one line."""
    if isinstance(event, MessageStart):
        return f"role={event.role}"
    if isinstance(event, ContentBlockStart):
        at = f"[{event.content_block_index}]"
        if isinstance(event.start, ToolUseStart):
            return f"{at} toolUse {event.start.name} id={event.start.tool_use_id}"
        return f"{at} {json_text(to_wire(event)['start'])}"
    if isinstance(event, ContentBlockDelta):
        at = f"[{event.content_block_index}]"
        delta = event.delta
        if isinstance(delta, TextDelta):
            return f"{at} text {delta.text!r}"
        if isinstance(delta, ToolUseDelta):
            return f"{at} toolUse {delta.input!r}"
        if isinstance(delta, ReasoningContentDelta):
            if delta.text is not None:
                return f"{at} reasoning {delta.text!r}"
            if delta.signature is not None:
                return f"{at} reasoning signature ({len(delta.signature)} characters)"
            if delta.redacted_content is not None:
                return f"{at} reasoning redacted ({len(delta.redacted_content)} bytes)"
        return f"{at} {json_text(to_wire(event)['delta'])}"
    if isinstance(event, ContentBlockStop):
        return f"[{event.content_block_index}]"
    if isinstance(event, MessageStop):
        return f"stop_reason={event.stop_reason}"
    if isinstance(event, Metadata):
        return " ".join(
            p for p in (pairs_text(to_wire(event.usage)), pairs_text(to_wire(event.metrics)))
        )
    body: Any = to_wire(event)
    return json_text(body)
