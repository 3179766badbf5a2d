"""The sans-IO heart of the mock server: (the frames of a response, the faults) in, a plan of
writes out. The server only carries the plan out, so every fault can be tested without a
socket, and a plan says exactly which bytes a client was sent.
"""

from __future__ import annotations

import json
import random
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from .. import ConfigurationError, Message
from .. import bedrock as br
from . import _services
from ._faults import _FIELD_OPTIONS, WHOLE, Fault, check_stream, exception_class

__all__ = ["Send", "Stall", "Drop", "Op", "Plan", "plan_stream", "plan_reply", "plan_error"]


@dataclass(frozen=True, slots=True)
class Send:
    """Wait ``delay`` seconds, then write ``data`` (one HTTP chunk when chunked)."""

    data: bytes
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class Stall:
    """Write nothing for ``seconds`` (``None``: until the client or the server goes)."""

    seconds: float | None


@dataclass(frozen=True, slots=True)
class Drop:
    """Close the connection here, without ending the body."""


Op: TypeAlias = Send | Stall | Drop


@dataclass(frozen=True)
class Plan:
    """A response to carry out: status, headers, the body's writes, how the body is framed
    (``chunked``, else ``Content-Length``), the frames sent whole, and what each fault did
    (one journal record per fault)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    ops: tuple[Op, ...]
    chunked: bool
    frames: int = 0
    injected: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def body(self) -> bytes:
        """Every byte the body's writes carry."""
        return b"".join(op.data for op in self.ops if isinstance(op, Send))


def _faults(faults: object) -> Sequence[Fault]:
    """``faults`` if it is a sequence of :class:`Fault`, else :class:`ConfigurationError`."""
    if not isinstance(faults, Sequence) or not all(isinstance(f, Fault) for f in faults):
        raise ConfigurationError(f"faults {faults!r} must be a sequence of Fault (as_faults)")
    return faults


def _note(fault: Fault, applied: bool, **details: Any) -> dict[str, Any]:
    return {"fault": str(fault), "kind": fault.kind, "applied": applied, **details}


# --- what a frame is, for the protocol violations -------------------------------------------


def _role(message: Message, stream: str) -> str | None:
    """``start``, ``delta`` or ``stop`` for the message-level events, else ``None``."""
    event_type = message.headers.get(":event-type")
    if stream != "invoke":
        return {"messageStart": "start", "contentBlockDelta": "delta", "messageStop": "stop"}.get(
            str(event_type)
        )
    if event_type != "chunk":
        return None
    try:
        event = br.decode_event(message, "invoke")
        body = event.json() if isinstance(event, br.Chunk) else None
    except br.BedrockPayloadError:
        return None
    kind = body.get("type") if isinstance(body, dict) else None
    return {"message_start": "start", "content_block_delta": "delta", "message_stop": "stop"}.get(
        str(kind)
    )


Item: TypeAlias = tuple[Message, float]


def _violate(items: list[Item], fault: Fault, stream: str) -> tuple[list[Item], dict[str, Any]]:
    if not _services.is_bedrock(stream):
        return items, _note(fault, False, reason=f"the {stream} stream has no message start/stop")
    roles = [_role(message, stream) for message, _ in items]
    wanted = {"duplicate-start": "start", "delta-before-start": "delta", "missing-stop": "stop"}
    role = wanted[fault.value]
    if role not in roles:
        return items, _note(fault, False, reason=f"the stream has no {role} event")
    index = roles.index(role)
    if fault.value == "duplicate-start":
        doubled = [*items[: index + 1], (items[index][0], 0.0), *items[index + 1 :]]
        return doubled, _note(fault, True, frame=index + 1)
    if fault.value == "missing-stop":
        return items[:index] + items[index + 1 :], _note(fault, True, frame=index)
    if "start" in roles and roles.index("start") < index:
        start = roles.index("start")
        moved = [*items[:start], items[index], *items[start:index], *items[index + 1 :]]
        return moved, _note(fault, True, frame=start)
    return items, _note(fault, True, frame=index, reason="already before any start")


# --- frames ---------------------------------------------------------------------------------


def _ending_frame(fault: Fault, stream: str) -> Message:
    message = fault.options.get("message")
    if fault.kind == "error-frame":
        code = fault.options.get("code", "InternalFailure")
        text = message if message is not None else "An internal error occurred"
        return br.encode_event(br.ErrorFrame(text, error_code=code))
    cls = exception_class(fault.value, stream)
    text = (
        message if message is not None else f"{br.error_code(cls())} injected by eventstream.mock"
    )
    kwargs: dict[str, Any] = {
        name: int(fault.options[option]) if option == "original-status" else fault.options[option]
        for option, name in _FIELD_OPTIONS.items()
        if option in fault.options
    }
    return _services.encode(cls(text, **kwargs), stream)


def _unknown_frame(fault: Fault) -> Message:
    name = fault.options.get("name", "futureEvent")
    return Message(
        {":event-type": name, ":content-type": "application/json", ":message-type": "event"},
        b'{"note":"an event type no client knows yet"}',
    )


def _corrupt(frame: bytearray, fault: Fault) -> dict[str, Any]:
    if fault.value == "prelude-crc":
        frame[11] ^= 0x01
        return {"byte": 11}
    if fault.value == "message-crc":
        frame[-1] ^= 0x01
        return {"byte": len(frame) - 1}
    # A declared length that is wrong under a sound prelude: the reader believes it and
    # misreads the message boundary (a prelude CRC error would hide the length).
    by = int(fault.options.get("by", "1"))
    declared = max(16, min(int.from_bytes(frame[0:4], "big") + by, 0xFFFFFFFF))
    frame[0:4] = declared.to_bytes(4, "big")
    frame[8:12] = zlib.crc32(bytes(frame[0:8])).to_bytes(4, "big")
    return {"declared_length": declared, "length": len(frame)}


def _fragment(ops: list[Op], fault: Fault | None, rng: random.Random) -> list[Op]:
    if fault is None:
        return ops
    split = random.Random(int(fault.options["seed"])) if "seed" in fault.options else rng
    largest = int(fault.options.get("max", "64"))
    pieces: list[Op] = []
    for op in ops:
        if not isinstance(op, Send) or len(op.data) <= 1:
            pieces.append(op)
            continue
        data, start, delay = op.data, 0, op.delay
        while start < len(data):
            size = 1 if fault.value == "bytes" else split.randint(1, largest)
            pieces.append(Send(data[start : start + size], delay))
            start, delay = start + size, 0.0
    return pieces


def _stalls(
    faults: Sequence[Fault], count: int
) -> tuple[dict[int, list[Stall]], list[dict[str, Any]]]:
    stalls: dict[int, list[Stall]] = {}
    notes = []
    for fault in faults:
        if fault.kind == "stall":
            at = min(fault.at, count)
            stalls.setdefault(at, []).append(Stall(fault.seconds))
            notes.append(_note(fault, True, frame=at, seconds=fault.seconds))
    return stalls, notes


# --- plans ----------------------------------------------------------------------------------

_HTML = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"  # noqa: E501
_SSE = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_01","type":'
    b'"message","role":"assistant","content":[],"model":"claude","stop_reason":null,'
    b'"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}\n\n'
    b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
    b'"content_block":{"type":"text","text":""}}\n\n'
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
    b'"delta":{"type":"text_delta","text":"Hello"}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


def service_error(
    operation: _services.Operation,
    status: int,
    code: str | None,
    message: str,
    *,
    request_id: str | None,
) -> Plan:
    """The HTTP error ``operation``'s service answers with: ``status``, ``x-amzn-ErrorType``
    (none for a ``None`` or empty ``code``) and the JSON body of its error shape."""
    request_id = request_id if request_id is not None else str(uuid.uuid4())
    headers = {"Content-Type": "application/json", "x-amzn-RequestId": request_id}
    if code:
        headers["x-amzn-ErrorType"] = code
    body = json.dumps(operation.error_body(code, message, status), separators=(",", ":")).encode()
    return Plan(status, tuple(headers.items()), (Send(body),), False)


def _whole(fault: Fault, stream: str | None, request_id: str | None, rng: random.Random) -> Plan:
    if fault.kind == "http" and stream is not None and not _services.is_bedrock(stream):
        operation = _services.OPERATION_OF[stream]
        status = int(fault.value)
        given = fault.options.get("type")
        code = (
            given
            if given is not None
            else next((c for c, s in operation.errors.items() if s == status), None)
        )
        message = fault.options.get("message", f"{code or status} injected by eventstream.mock")
        plan = service_error(operation, status, code, message, request_id=request_id)
        return _custom_body(plan, fault, status)
    if fault.kind == "http":
        code = fault.options.get("type")
        status = int(fault.value)
        if code:
            cls = exception_class(code, "converse")
        else:
            cls = type(br.error_from_response(status, {}, b""))
        message = fault.options.get(
            "message", f"{br.error_code(cls())} injected by eventstream.mock"
        )
        reply = br.error_response(cls(message), request_id=request_id)
        headers = dict(reply.headers)
        if code == "":
            del headers["x-amzn-ErrorType"]
        plan = Plan(status, tuple(headers.items()), (Send(reply.body),), False)
        return _custom_body(plan, fault, status)
    headers = _services.stream_headers(stream or "converse", request_id=request_id)
    if fault.value == "json":
        message = fault.options.get("message", "An internal error occurred")
        body = json.dumps({"message": message}, separators=(",", ":")).encode()
    else:
        body = _HTML if fault.value == "html" else _SSE
    return Plan(200, tuple(headers.items()), (Send(body),), False, 0, (_note(fault, True),))


def _custom_body(plan: Plan, fault: Fault, status: int) -> Plan:
    """``plan`` with the ``body`` option's bytes, if given, and the fault's journal note."""
    headers = dict(plan.headers)
    body = plan.body
    if "body" in fault.options:
        body = fault.options["body"].encode()
        if not body.lstrip().startswith((b"{", b"[")):
            headers["Content-Type"] = (
                "text/html" if body.lstrip().startswith(b"<") else "text/plain"
            )
    injected = _note(fault, True, status=status, error_type=headers.get("x-amzn-ErrorType"))
    return Plan(status, tuple(headers.items()), (Send(body),), False, 0, (injected,))


def plan_stream(
    messages: Sequence[Message],
    delays: Sequence[float],
    stream: str,
    faults: Sequence[Fault] = (),
    *,
    request_id: str | None = None,
    model_content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    rng: random.Random | None = None,
) -> Plan:
    """The plan for a streaming response of ``messages`` (each after its delay) on
    ``stream`` (Bedrock Runtime's ``converse``/``invoke`` or another service's, as
    :data:`SERVED` lists), with ``faults`` (checked together already, as :func:`parse_faults`
    does; one ``stream`` cannot carry raises :class:`FaultSpecError`). ``headers`` are added
    to the response's own (the agent's session id, say)."""
    try:
        served = _services.OPERATION_OF.get(stream)
    except TypeError:  # an unhashable stream name
        served = None
    if served is None or not served.streaming:
        raise ConfigurationError(
            f"{stream!r} is not a served stream; choose one of {sorted(_services.OPERATION_OF)}"
        )
    faults = _faults(faults)
    given: tuple[object, object] = (messages, delays)
    if not all(isinstance(items, Sequence) for items in given):
        raise ConfigurationError("plan_stream takes a sequence of Messages and one of delays")
    if len(messages) != len(delays):
        raise ConfigurationError(
            f"plan_stream: {len(messages)} messages but {len(delays)} delays (one per message)"
        )
    for message in messages:
        if not isinstance(message, Message):
            raise ConfigurationError(f"plan_stream: {message!r} is not a Message")
    check_stream(faults, stream)
    rng = rng if rng is not None else random.Random()
    whole = next((f for f in faults if f.kind in WHOLE), None)
    if whole is not None:
        return _whole(whole, stream, request_id, rng)
    notes: list[dict[str, Any]] = []
    items: list[Item] = list(zip(messages, delays, strict=True))
    for fault in faults:
        if fault.kind == "violation":
            items, note = _violate(items, fault, stream)
            notes.append(note)
    for fault in sorted((f for f in faults if f.kind == "unknown-event"), key=lambda f: f.at):
        at = min(fault.at, len(items))
        items.insert(at, (_unknown_frame(fault), 0.0))
        notes.append(_note(fault, True, frame=at))
    for fault in faults:
        if fault.kind in ("exception", "error-frame"):
            at = min(fault.at, len(items))
            items = [*items[:at], (_ending_frame(fault, stream), 0.0)]
            notes.append(_note(fault, True, frame=at))
    frames = [bytearray(message.encode()) for message, _ in items]
    waits = [delay for _, delay in items]
    for fault in faults:
        if fault.kind == "corrupt":
            if fault.at < len(frames):
                notes.append(
                    _note(fault, True, frame=fault.at, **_corrupt(frames[fault.at], fault))
                )
            else:
                notes.append(_note(fault, False, reason=f"the response has {len(frames)} frames"))
    whole_frames = len(frames)
    drop = False
    for fault in faults:
        if fault.kind == "cut":
            if fault.at < len(frames):
                frame = frames[fault.at]
                kept = min(fault.byte or 0, len(frame) - 1)
                frames = [*frames[: fault.at], frame[:kept]]
                whole_frames = fault.at
                notes.append(_note(fault, True, frame=fault.at, byte=kept, length=len(frame)))
            else:
                notes.append(_note(fault, False, reason=f"the response has {len(frames)} frames"))
        elif fault.kind == "disconnect":
            at = min(fault.at, len(frames))
            frames, whole_frames, drop = frames[:at], at, True
            notes.append(_note(fault, True, frame=at))
    stalls, stall_notes = _stalls(faults, len(frames))
    notes += stall_notes
    ops: list[Op] = []
    for index, frame in enumerate(frames):
        ops += stalls.get(index, [])
        ops.append(Send(bytes(frame), waits[index]))
    ops += stalls.get(len(frames), [])
    if drop:
        ops.append(Drop())
    fragment = next((f for f in faults if f.kind == "fragment"), None)
    if fragment is not None:
        notes.append(_note(fragment, True))
    ops = _fragment(ops, fragment, rng)
    chosen = _services.stream_headers(
        stream, request_id=request_id, model_content_type=model_content_type
    )
    chosen.update(headers or {})
    return Plan(200, tuple(chosen.items()), tuple(ops), True, whole_frames, tuple(notes))


def plan_reply(
    body: bytes,
    faults: Sequence[Fault] = (),
    *,
    request_id: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    delay: float = 0.0,
    rng: random.Random | None = None,
) -> Plan:
    """The plan for a non-streaming JSON response: ``http``, ``stall`` (before the body),
    ``disconnect`` (instead of it) and ``fragment`` apply; other faults are journaled as not
    applied."""
    faults = _faults(faults)
    if not isinstance(body, bytes):
        raise ConfigurationError(f"plan_reply: the body is bytes, not {type(body).__name__}")
    rng = rng if rng is not None else random.Random()
    notes: list[dict[str, Any]] = []
    http = next((f for f in faults if f.kind == "http"), None)
    if http is not None:
        return _whole(http, None, request_id, rng)
    ops: list[Op] = [Stall(f.seconds) for f in faults if f.kind == "stall"]
    drop = any(f.kind == "disconnect" for f in faults)
    ops.append(Drop() if drop else Send(body, delay))
    fragment = next((f for f in faults if f.kind == "fragment"), None)
    for fault in faults:
        applies = fault.kind in ("stall", "disconnect", "fragment")
        notes.append(
            _note(fault, applies, **({} if applies else {"reason": "applies to streams only"}))
        )
    chosen = {
        "Content-Type": "application/json",
        "x-amzn-RequestId": request_id or "",
        **dict(headers),
    }
    ops = _fragment(ops, fragment, rng)
    return Plan(200, tuple(chosen.items()), tuple(ops), False, 0, tuple(notes))


def plan_error(exception: br.BedrockException, *, request_id: str | None = None) -> Plan:
    """The plan for the HTTP error Bedrock answers ``exception`` with, before any stream."""
    if not isinstance(exception, br.BedrockException):
        raise ConfigurationError(f"plan_error takes a BedrockException, not {exception!r}")
    reply = br.error_response(exception, request_id=request_id)
    return Plan(reply.status, tuple(reply.headers.items()), (Send(reply.body),), False)
