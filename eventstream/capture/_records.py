"""JSON Lines records of a capture, both ways: what ``decode --json`` writes, and the message
a record describes (``encode``). A frame's record keeps its exact bytes, so records encode
back to the identical stream.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, cast

from .._errors import EncodeError, EventStreamError
from .._headers import HEADER_TYPE_BY_NAME, HeaderInput, HeaderValue, Timestamp
from .._message import Message
from ..bedrock import (
    BedrockEvent,
    BedrockException,
    Block,
    Chunk,
    ErrorFrame,
    ImageBlock,
    Reassembled,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UnknownEvent,
    exception_body,
)
from ..bedrock._json import SHOWN_JSON_DEPTH, bounded, loads, nested_within
from ..bedrock._wire import to_wire
from ..bedrock.engine import ServiceEvent
from ._frames import NOT_JSON, CapturedFrame
from ._text import header_items

__all__ = ["RecordError", "frame_record", "record_message", "messages_from_jsonl"]


class RecordError(EventStreamError, ValueError):
    """A JSON Lines record cannot be turned into a frame.

    The message names the line; ``offset`` is where the line starts in the JSON Lines input
    and ``frame_index`` the frame it would have been, when the caller gives them.
    """


def _header_json(value: HeaderValue) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Timestamp):
        return value.millis
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bool | str):
        return value
    return int(value)


def payload_view(payload: bytes, parsed: Any = NOT_JSON) -> tuple[str, Any] | None:
    """``("payload", parsed)`` for a JSON payload, ``("payload_text", text)`` for other UTF-8.

    ``parsed`` is the payload's JSON if known (:data:`NOT_JSON`: parse it here). JSON nested
    deeper than :data:`SHOWN_JSON_DEPTH` is given as text.
    """
    if not payload:
        return None
    if parsed is NOT_JSON:
        try:
            parsed = loads(payload)
        except ValueError:
            parsed = NOT_JSON
    if parsed is not NOT_JSON:
        # Counting brackets in C spares the walk for all but bracket-heavy payloads.
        shallow = payload.count(b"[") + payload.count(b"{") <= SHOWN_JSON_DEPTH
        if shallow or nested_within(parsed, SHOWN_JSON_DEPTH):
            return "payload", parsed
    try:
        return "payload_text", payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


def frame_record(
    frame: CapturedFrame, *, source: str | None = None, bedrock: bool = False
) -> dict[str, Any]:
    """The JSON Lines record of a frame: enough to encode the identical bytes again.

    ``headers`` keep names, wire types and values; ``payload_base64`` is the exact payload,
    beside a ``payload`` (parsed JSON) or ``payload_text`` view when there is one.
    """
    record: dict[str, Any] = {"frame": frame.index, "offset": frame.offset, "length": frame.length}
    if source is not None:
        record["source"] = source
    record["headers"] = [
        {"name": name, "type": type_name, "value": _header_json(value)}
        for name, type_name, value in header_items(frame.message)
    ]
    view = payload_view(frame.message.payload, frame.payload_json)
    if view is not None:
        record[view[0]] = view[1]
    record["payload_base64"] = base64.b64encode(frame.message.payload).decode("ascii")
    if bedrock:
        record["event"] = event_record(frame)
    return record


def event_record(frame: CapturedFrame) -> dict[str, Any]:
    """The typed Bedrock event of a frame as JSON.

    ``class`` and ``name`` say what it is; the event's own fields are under ``fields``, keyed
    as on the wire, so no key the stream sends can stand in for the record's own.
    """
    if frame.event_error is not None:
        return {
            "class": "BedrockPayloadError",
            "name": frame.event_name,
            "message": frame.event_error.message,
        }
    event = frame.event
    out: dict[str, Any] = {"class": type(event).__name__, "name": frame.event_name}
    if isinstance(event, BedrockEvent | ServiceEvent):  # another service's too (an agent's)
        out["fields"] = bounded(to_wire(event))
        if isinstance(event, Chunk):
            view = payload_view(event.bytes or b"", frame.chunk_json)
            if view is not None and view[0] == "payload":
                out["json"] = view[1]  # the model's own event
    elif isinstance(event, BedrockException):
        out.update(status_code=event.status_code, retryable=event.retryable)
        if isinstance(event, ErrorFrame):  # from the :error-code and :error-message headers
            out["fields"] = {"error_code": event.error_code, "message": event.message}
        else:  # the payload's keys, as for events
            out["fields"] = bounded(exception_body(event))
    elif isinstance(event, UnknownEvent):
        out.update(event_type=event.event_type, stream=event.stream)
    return out


def _block_record(block: Block) -> dict[str, Any]:
    if isinstance(block, ToolResultBlock):
        return {
            "type": "tool_result",
            "tool_use_id": block.tool_use_id,
            "status": block.status,
            "content": [to_wire(piece) for piece in block.content],
        }
    if isinstance(block, ImageBlock):
        return {"type": "image", "format": block.format, "bytes": len(block.data)}
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text, "citations": len(block.citations)}
    if isinstance(block, ToolUseBlock):
        return {
            "type": "tool_use",
            "id": block.id,
            "name": block.name,
            "input": block.input,
            "input_json": block.input_json,
            "complete": block.complete,
        }
    redacted = block.redacted_content
    return {
        "type": "reasoning",
        "text": block.text,
        "signature": block.signature,
        "redacted_content": base64.b64encode(redacted).decode("ascii") if redacted else None,
    }


def _figures(value: object) -> dict[str, Any]:
    # Usage and metrics: typed structures (their wire keys), or plain mappings.
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    return to_wire(cast(Any, value))


def reassembled_record(result: Reassembled, stream: str | None) -> dict[str, Any]:
    """The reassembled message as JSON (nested at most :data:`SHOWN_JSON_DEPTH` levels)."""
    record = {
        "stream": stream,
        "complete": result.complete,
        "role": result.role,
        "model": result.model,
        "id": result.id,
        "text": result.text,
        "content": [_block_record(block) for block in result.content],
        "stop_reason": result.stop_reason,
        "stop_sequence": result.stop_sequence,
        "usage": _figures(result.usage),
        "metrics": _figures(result.metrics),
        "errors": [
            {
                "type": e.type,
                "message": e.message,
                "status_code": e.status_code,
                "retryable": e.retryable,
            }
            for e in result.errors
        ],
    }
    return cast(dict[str, Any], bounded(record))


def error_record(fault: EventStreamError, frames: int, bytes_decoded: int) -> dict[str, Any]:
    """The ``fault`` that ended a capture, as JSON, with what was decoded before it."""
    return {
        "class": type(fault).__name__,
        "message": fault.message,
        "offset": fault.offset,
        "frame_index": fault.frame_index,
        "frame_offset": fault.frame_offset,
        "frames_decoded": frames,
        "bytes_decoded": bytes_decoded,
    }


def _typed_value(type_name: object, value: object, where: str) -> HeaderInput:
    """The header value a record gives as ``{"type": type_name, "value": value}``, by the
    header type table: integers for the sized ints and timestamps, base64 for byte arrays."""
    row = HEADER_TYPE_BY_NAME.get(type_name) if isinstance(type_name, str) else None
    if row is None:
        raise RecordError(
            f"{where}: unknown header type {type_name!r}; one of {list(HEADER_TYPE_BY_NAME)}"
        )
    kind = row.python_class
    if kind is bool:
        # The type is the value; a contradicting value is a mistake worth reporting.
        expected = row.name == "bool_true"
        if value is not None and value is not expected:
            raise RecordError(f"{where}: a {type_name} header has the value {expected}")
        return expected
    if issubclass(kind, int) or kind is Timestamp:
        if not isinstance(value, int) or isinstance(value, bool):
            needs = "integer milliseconds" if kind is Timestamp else "an integer value"
            raise RecordError(f"{where}: a {type_name} header needs {needs}")
        return cast(HeaderInput, kind(value))
    if not isinstance(value, str):
        raise RecordError(f"{where}: a {type_name} header needs a string value")
    if kind is bytes:
        try:
            return base64.b64decode(value, validate=True)
        except (ValueError, binascii.Error):
            raise RecordError(f"{where}: a byte_array value is base64; {value!r} is not") from None
    if kind is uuid.UUID:
        try:
            return uuid.UUID(value)
        except ValueError:
            raise RecordError(f"{where}: {value!r} is not a UUID") from None
    return value


def _record_headers(headers: object, where: str) -> list[tuple[str, HeaderInput]]:
    items: list[Any]
    if isinstance(headers, dict):
        items = [{"name": name, "value": value} for name, value in headers.items()]
    elif isinstance(headers, list):
        items = headers
    else:
        raise RecordError(f"{where}: headers is a list of {{name, type, value}} or an object")
    pairs: list[tuple[str, HeaderInput]] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise RecordError(f"{where}: each header needs a string name: {item!r}")
        name, value = item["name"], item.get("value")
        at = f"{where}, header {name!r}"
        if "type" in item:
            try:
                pairs.append((name, _typed_value(item["type"], value, at)))
            except EncodeError as exc:  # out of range for its type
                raise RecordError(f"{at}: {exc}") from None
        elif isinstance(value, bool | int | str):
            pairs.append((name, value))  # the canonical type: bool, integer or string
        else:
            raise RecordError(f"{at}: give a type for a {type(value).__name__} value")
    return pairs


def _record_payload(record: dict[str, Any], where: str) -> bytes:
    exact = record.get("payload_base64")
    if exact is not None:
        if not isinstance(exact, str):
            raise RecordError(f"{where}: payload_base64 must be a string")
        try:
            payload = base64.b64decode(exact, validate=True)
        except (ValueError, binascii.Error):
            raise RecordError(f"{where}: payload_base64 is not base64") from None
        # A view edited by hand would be silently ignored: refuse instead.
        view = payload_view(payload)
        for key in ("payload", "payload_text"):
            if key in record and (view is None or view != (key, record[key])):
                raise RecordError(
                    f"{where}: {key} and payload_base64 disagree; to encode an edited {key}, "
                    "delete payload_base64"
                )
        return payload
    if "payload" in record:
        key = "payload"
        try:
            text = json.dumps(record["payload"], separators=(",", ":"), ensure_ascii=False)
        except RecursionError:
            # Read at the parser's limit, it cannot always be written from deeper down.
            raise RecordError(
                f"{where}: payload is nested too deeply to encode; give it as payload_base64"
            ) from None
    elif "payload_text" in record:
        key, text = "payload_text", record["payload_text"]
        if not isinstance(text, str):
            raise RecordError(f"{where}: payload_text must be a string")
    else:
        return b""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        # JSON can spell a lone surrogate ("\ud800"), which no UTF-8 payload can hold.
        raise RecordError(
            f"{where}: {key} holds the lone surrogate {text[exc.start]!r}, which is not "
            "UTF-8; give the exact bytes as payload_base64"
        ) from None


_FRAME_KEYS = {"headers", "payload", "payload_text", "payload_base64"}
#: Lines ``decode --json`` writes that are not frames; ``encode`` skips them.
_OTHER_RECORDS = {"error", "reassembled", "summary"}


def record_message(
    record: object, where: str, *, offset: int | None = None, frame_index: int | None = None
) -> Message | None:
    """The message a JSON Lines record describes; ``None`` for a non-frame record.

    ``where`` names the record in errors; ``offset`` and ``frame_index`` go on them.
    """
    try:
        return _record_message(record, where)
    except RecordError as exc:
        exc.offset, exc.frame_index = offset, frame_index
        raise


def _record_message(record: object, where: str) -> Message | None:
    if not isinstance(record, dict):
        raise RecordError(f"{where}: expected a JSON object, got {type(record).__name__}")
    if not _FRAME_KEYS & record.keys():
        if _OTHER_RECORDS & record.keys():
            return None
        raise RecordError(f"{where}: not a frame record (it has no headers and no payload)")
    headers = _record_headers(record.get("headers", []), where)
    payload = _record_payload(record, where)
    try:
        return Message(headers, payload)
    except EncodeError as exc:
        raise RecordError(f"{where}: {exc}") from None


def _no_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON (RFC 8259, section 6).
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    # 1e999 is JSON, but as a float it is infinite, and would be written back as Infinity.
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is too large for a float; give the payload as payload_text")
    return value


def messages_from_jsonl(data: bytes, name: str) -> Iterator[Message]:
    """The message of each frame record in a JSON Lines document, in order.

    Records that are not frames (``decode --json``'s ``reassembled``, ``error`` and
    ``summary`` lines) and blank lines are skipped. Problems raise :class:`RecordError`
    naming ``name`` and the line, with the line's byte offset and the frame it would be.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordError(
            f"{name}: JSON Lines are UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    offset = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # utf-8-sig dropped the mark
    frames = 0
    # Lines end at "\n" only: str.splitlines() would also cut at U+2028, U+2029 and U+0085,
    # which JSON strings may hold unescaped.
    for number, line in enumerate(text.split("\n"), 1):
        start, offset = offset, offset + len(line.encode("utf-8")) + 1
        if not line.strip():
            continue
        where = f"{name}, line {number}"
        try:
            record = json.loads(line, parse_constant=_no_constant, parse_float=_finite_float)
        except (ValueError, RecursionError) as exc:
            raise RecordError(f"{where}: not JSON ({exc})", offset=start) from None
        message = record_message(record, where, offset=start, frame_index=frames)
        if message is not None:
            frames += 1
            yield message
