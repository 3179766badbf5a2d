"""mitmproxy flow files (``mitmdump -w``): the HTTP flows whose responses are event streams.

A flow file is a sequence of tnetstrings (https://tnetstrings.info/), one dictionary per flow;
mitmproxy keeps each body de-chunked but with its content coding, which is undone here. The
reader is small and strict, so it needs no mitmproxy; a flow it does not know (a version
before 7, or another shape) is an error that says how to export HAR from mitmproxy instead.
"""

from __future__ import annotations

import re
from typing import Any

from ..bedrock import stream_from_path
from ._base import EVENTSTREAM_CONTENT_TYPE, Found, InputFormatError
from ._exchange import Exchange, Timing
from ._http import HttpMessage, decode_body

__all__: list[str] = []

_INTEGER = re.compile(rb"-?[0-9]{1,40}")
#: How deeply a flow's values may nest (a flow is three or four levels deep).
MAX_DEPTH = 32
_HAR_EXPORT = "with mitmproxy 10.1 or later, export HAR: mitmdump -nr FLOWS --set hardump=FLOWS.har"


def looks_like_flows(data: bytes) -> bool:
    """Whether ``data`` starts with a tnetstring dictionary (a flow file's first flow)."""
    colon = data.find(b":", 0, 12)
    if colon <= 0 or not data[:colon].isdigit():
        return False
    end = colon + 1 + int(data[:colon])
    # A dictionary's first item is a key: a length of its own ("7:version;" or so). A flow
    # longer than what was read for detection is told by that alone.
    if not data[colon + 1 : colon + 2].isdigit():
        return False
    return end >= len(data) or data[end : end + 1] == b"}"


def _value(data: bytes, at: int, depth: int, limit: int) -> tuple[Any, int]:
    """The tnetstring at ``at``, which must end before ``limit``, and where it ends."""
    colon = data.find(b":", at, min(at + 12, limit))
    if colon < 0 or not data[at:colon].isdigit():
        raise InputFormatError("mitmproxy flows: expected a tnetstring length", offset=at)
    length = int(data[at:colon])
    start, end = colon + 1, colon + 1 + length
    if end >= limit:
        raise InputFormatError(
            f"mitmproxy flows: a value claims {length:,} bytes, the file ends first", offset=at
        )
    kind = data[end]
    payload = data[start:end]
    if kind == ord(","):
        return payload, end + 1
    if kind == ord(";"):
        try:
            return payload.decode("utf-8", "surrogateescape"), end + 1
        except UnicodeDecodeError:  # pragma: no cover - surrogateescape decodes any bytes
            raise InputFormatError("mitmproxy flows: a bad string", offset=start) from None
    if kind == ord("#"):
        if _INTEGER.fullmatch(payload) is None:
            raise InputFormatError("mitmproxy flows: a bad integer", offset=start)
        return int(payload), end + 1
    if kind == ord("^"):
        try:
            return float(payload), end + 1
        except ValueError:
            raise InputFormatError("mitmproxy flows: a bad float", offset=start) from None
    if kind == ord("!"):
        if payload not in (b"true", b"false"):
            raise InputFormatError("mitmproxy flows: a bad boolean", offset=start)
        return payload == b"true", end + 1
    if kind == ord("~"):
        if payload:
            raise InputFormatError("mitmproxy flows: a null with content", offset=start)
        return None, end + 1
    if kind in (ord("]"), ord("}")):
        if depth >= MAX_DEPTH:
            raise InputFormatError("mitmproxy flows: values nested too deeply", offset=at)
        items = []
        position = start
        while position < end:
            item, position = _value(data, position, depth + 1, end)
            items.append(item)
        if kind == ord("]"):
            return items, end + 1
        if len(items) % 2:
            raise InputFormatError("mitmproxy flows: a dictionary with an odd count", offset=at)
        pairs = {}
        for key, value in zip(items[::2], items[1::2], strict=True):
            if not isinstance(key, bytes | str):
                raise InputFormatError("mitmproxy flows: a dictionary key is no string", offset=at)
            pairs[key.decode("latin-1") if isinstance(key, bytes) else key] = value
        return pairs, end + 1
    raise InputFormatError(f"mitmproxy flows: unknown tnetstring type {chr(kind)!r}", offset=end)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else ""


def _headers(value: object, where: str) -> list[tuple[str, str]]:
    if not isinstance(value, list) or not all(
        isinstance(pair, list) and len(pair) == 2 for pair in value
    ):
        raise InputFormatError(f"{where}: headers are not a list of pairs; {_HAR_EXPORT}")
    return [(_text(name).lower(), _text(item)) for name, item in value]


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def mitm_bodies(data: bytes) -> tuple[list[Found], str]:
    """The event-stream responses of the flows in ``data``, and a note on what was read."""
    position = 0
    flows = 0
    bodies: list[Found] = []
    other_types: set[str] = set()
    while position < len(data):
        flow, end = _value(data, position, 0, len(data))
        flows += 1
        where = f"mitmproxy flow {flows} (byte {position})"
        if not isinstance(flow, dict):
            raise InputFormatError(f"{where} is not a dictionary; {_HAR_EXPORT}", offset=position)
        version = flow.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 7:
            raise InputFormatError(
                f"{where} has flow format version {version!r}, which this reader does not "
                f"know; {_HAR_EXPORT}",
                offset=position,
            )
        position = end
        if flow.get("type") != "http":
            continue
        request, response = flow.get("request"), flow.get("response")
        if not isinstance(request, dict) or not isinstance(response, dict):
            continue  # a flow without a response (an error, a refused connection)
        headers = _headers(response.get("headers"), where)
        content_type = next((v for k, v in headers if k == "content-type"), "")
        media = content_type.split(";")[0].strip().lower()
        if media != EVENTSTREAM_CONTENT_TYPE:
            if media:
                other_types.add(media)
            continue
        content = response.get("content")
        if not isinstance(content, bytes):
            raise InputFormatError(
                f"{where}: the event-stream response has no saved content (mitmproxy streamed "
                "it: run without stream_large_bodies)"
            )
        method = _text(request.get("method"))
        path = _text(request.get("path"))
        host = _text(request.get("host"))
        port = request.get("port")
        scheme = _text(request.get("scheme")) or "http"
        url = f"{scheme}://{host}:{port}{path}" if host else path
        status = response.get("status_code")
        status = status if isinstance(status, int) and not isinstance(status, bool) else None
        reason = _text(response.get("reason"))
        # The content is stored de-chunked; its content codings remain.
        codings = [
            c.strip().lower()
            for k, v in headers
            if k == "content-encoding"
            for c in v.split(",")
            if c.strip()
        ][::-1]
        message = HttpMessage(
            0, len(content), _text(response.get("http_version")), status, reason, None, None,
            headers, [(0, len(content))] if content else [], codings,
        )  # fmt: skip
        body, _ = decode_body(content, message, where)
        timing = None
        started = _number(request.get("timestamp_start"))
        if started is not None:
            times = [
                _number(request.get("timestamp_end")),
                _number(response.get("timestamp_start")),
                _number(response.get("timestamp_end")),
            ]
            sent, first, last = (None if t is None else t - started for t in times)
            timing = Timing(started, sent, first, last)
        exchange = Exchange(
            status, reason or None, content_type, method or None, url or None, timing=timing
        )
        label = f"flow {flows}: {method or '?'} {url} -> {status}"
        bodies.append(Found(body, label, stream_from_path(path), exchange))
    if not bodies:
        found = f"; response types found: {', '.join(sorted(other_types))}" if other_types else ""
        raise InputFormatError(
            f"the mitmproxy file has {flows} flows and none with a saved "
            f"{EVENTSTREAM_CONTENT_TYPE} response{found}"
        )
    return bodies, f"{len(bodies)} of {flows} flows are {EVENTSTREAM_CONTENT_TYPE} responses"
