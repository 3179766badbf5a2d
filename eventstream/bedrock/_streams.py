"""The Bedrock stream unions as tables, and decoding/encoding typed events against them."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from .._codec import DEFAULT_MAX_HEADERS_LENGTH, DEFAULT_MAX_PAYLOAD_LENGTH
from .._errors import ConfigurationError, EncodeError
from .._io import DEFAULT_READ_SIZE, AsyncReader, BytesLike, SyncReader, aiter_frames, iter_frames
from .._message import Message
from ._events import (
    BedrockEvent,
    BedrockException,
    BedrockPayloadError,
    Chunk,
    ContentBlockDelta,
    ContentBlockStart,
    ContentBlockStop,
    ErrorFrame,
    InternalServerException,
    MessageStart,
    MessageStop,
    Metadata,
    ModelStreamErrorException,
    ModelTimeoutException,
    ServiceUnavailableException,
    ThrottlingException,
    UnexpectedEventError,
    UnknownEvent,
    UnknownException,
    ValidationException,
)
from ._wire import WireError, from_wire, to_wire

__all__ = [
    "Stream",
    "STREAMS",
    "StreamName",
    "PADDING_ALPHABET",
    "decode_event",
    "encode_event",
    "events",
    "aevents",
    "TypedEvent",
    "MAX_JSON_DEPTH",
]

StreamName: TypeAlias = Literal["invoke", "converse", "bidirectional-input", "bidirectional-output"]
#: What ``decode_event`` returns: an event, an exception value, or a kept unknown frame.
TypedEvent: TypeAlias = BedrockEvent | BedrockException | UnknownEvent

#: Bedrock pads event payloads with a ``"p"`` field, a prefix of this alphabet.
PADDING_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class Stream:
    """One event-stream union of the Bedrock Runtime service model."""

    name: str
    shape: str
    operation: str
    direction: Literal["response", "request"]
    events: tuple[type[BedrockEvent], ...]
    exceptions: tuple[type[BedrockException], ...]

    def event_class(self, event_type: str) -> type[BedrockEvent] | None:
        """The class for ``:event-type`` in this union, or ``None``."""
        return next((c for c in self.events if c.event_type == event_type), None)

    def exception_class(self, exception_type: str) -> type[BedrockException] | None:
        """The class for ``:exception-type`` in this union, or ``None``."""
        return next((c for c in self.exceptions if c.exception_type == exception_type), None)


_ALL_EXCEPTIONS = (
    InternalServerException,
    ModelStreamErrorException,
    ValidationException,
    ThrottlingException,
    ModelTimeoutException,
    ServiceUnavailableException,
)

#: The unions, from the bedrock-runtime service model (API 2023-09-30).
STREAMS: dict[str, Stream] = {
    stream.name: stream
    for stream in (
        Stream(
            "invoke", "ResponseStream", "InvokeModelWithResponseStream", "response",
            (Chunk,), _ALL_EXCEPTIONS,
        ),
        Stream(
            "converse", "ConverseStreamOutput", "ConverseStream", "response",
            (MessageStart, ContentBlockStart, ContentBlockDelta, ContentBlockStop, MessageStop,
             Metadata),
            # The Converse union has no modelTimeoutException.
            tuple(c for c in _ALL_EXCEPTIONS if c is not ModelTimeoutException),
        ),
        Stream(
            "bidirectional-output", "InvokeModelWithBidirectionalStreamOutput",
            "InvokeModelWithBidirectionalStream", "response", (Chunk,), _ALL_EXCEPTIONS,
        ),
        Stream(
            "bidirectional-input", "InvokeModelWithBidirectionalStreamInput",
            "InvokeModelWithBidirectionalStream", "request", (Chunk,), (),
        ),
    )
}  # fmt: skip

# Every class that can be decoded when no stream is named.
_ANY_EVENT = {c.event_type: c for s in STREAMS.values() for c in s.events}
_ANY_EXCEPTION = {c.exception_type: c for c in _ALL_EXCEPTIONS}


def _stream(name: str | None) -> Stream | None:
    if name is None:
        return None
    try:
        return STREAMS[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown stream {name!r}; choose one of {sorted(STREAMS)}"
        ) from None


def _text_header(message: Message, name: str) -> str | None:
    value = message.headers.get(name)
    return value if isinstance(value, str) else None


def decode_event(
    message: Message,
    stream: StreamName | None = None,
    *,
    strict: bool = False,
    frame_index: int | None = None,
    offset: int | None = None,
) -> TypedEvent:
    """Map one message to its typed event; exception frames are returned, not raised.

    ``stream`` names the union; an event or exception name outside it becomes
    :class:`UnknownEvent` / :class:`UnknownException` (keeping the whole message), or raises
    :class:`UnexpectedEventError` when ``strict``. A payload that does not fit its declared
    shape raises :class:`BedrockPayloadError`. ``frame_index`` and ``offset`` (where the frame
    starts in its stream) go into errors and exception values.
    """
    union = _stream(stream)
    where = {"frame_index": frame_index, "offset": offset, "frame_offset": offset}
    message_type = _text_header(message, ":message-type")
    if message_type == "event":
        name = _text_header(message, ":event-type") or ""
        cls = union.event_class(name) if union else _ANY_EVENT.get(name)
        if cls is None:
            if strict:
                raise UnexpectedEventError(
                    f"event {name!r} is not in the {stream} stream's union", frame=message,
                    **where,
                )  # fmt: skip
            return UnknownEvent(name, message, stream)
        return _decode_payload(cls, message, where)
    if message_type == "exception":
        name = _text_header(message, ":exception-type") or ""
        exc_cls = union.exception_class(name) if union else _ANY_EXCEPTION.get(name)
        if exc_cls is None:
            if strict:
                raise UnexpectedEventError(
                    f"exception {name!r} is not in the {stream} stream's union", frame=message,
                    **where,
                )  # fmt: skip
            text = _exception_text(message)
            return UnknownException(text, frame=message, name=name, **where)
        return _decode_exception(exc_cls, message, where)
    if message_type == "error":
        return ErrorFrame(
            _text_header(message, ":error-message") or "",
            error_code=_text_header(message, ":error-code") or "",
            frame=message,
            **where,
        )
    if strict:
        raise UnexpectedEventError(
            f"frame has no usable :message-type header ({message_type!r})", frame=message, **where
        )
    return UnknownEvent(_text_header(message, ":event-type") or "", message, stream)


#: Deepest JSON nesting accepted in a payload: deeper values cannot be re-encoded safely
#: (json.dumps recurses), and no Bedrock shape comes close.
MAX_JSON_DEPTH = 200


def _too_deep(payload: bytes, value: Any) -> bool:
    # Cheap test first: fewer brackets than the limit cannot nest that deep.
    if payload.count(b"[") + payload.count(b"{") <= MAX_JSON_DEPTH:
        return False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def _json_value(message: Message) -> tuple[Any, str | None]:
    """The payload's JSON value, or ``(None, why not)``."""
    try:
        value = json.loads(message.payload)
    # JSONDecodeError and UnicodeDecodeError are ValueErrors; deep nesting is a RecursionError.
    except (ValueError, RecursionError) as exc:
        return None, f"payload is not JSON ({exc})"
    if _too_deep(message.payload, value):
        return None, f"payload JSON nests deeper than {MAX_JSON_DEPTH} levels"
    if not isinstance(value, dict):
        return None, f"payload is JSON {type(value).__name__}, not an object"
    return value, None


def _decode_payload(
    cls: type[BedrockEvent], message: Message, where: dict[str, int | None]
) -> BedrockEvent:
    body, problem = _json_value(message)
    if problem is not None:
        raise BedrockPayloadError(problem, frame=message, **where)
    padding = body.get("p")
    if isinstance(padding, str) and _is_padding(padding):
        del body["p"]
    else:
        # Absent, or not Bedrock's padding: a "p" that is there stays an ordinary extra key.
        padding = None
    try:
        event = from_wire(cls, body)
    except WireError as exc:
        raise BedrockPayloadError(
            f"{cls.event_type} payload does not fit its shape: {exc}", frame=message, **where
        ) from None
    if padding is not None:
        object.__setattr__(event, "padding", padding)
    return event


def _is_padding(text: str) -> bool:
    return PADDING_ALPHABET.startswith(text)


def _exception_text(message: Message) -> str:
    body, _ = _json_value(message)
    if body is not None and isinstance(body.get("message"), str):
        return str(body["message"])
    return message.payload.decode("utf-8", "replace")


def _decode_exception(
    cls: type[BedrockException], message: Message, where: dict[str, int | None]
) -> BedrockException:
    body, _ = _json_value(message)
    if body is None:
        # Still the exception it says it is (a throttling error must stay retryable); the
        # payload that is not a JSON object is kept as it came.
        exception = cls(
            _exception_text(message),
            offset=where["offset"],
            frame_index=where["frame_index"],
            frame_offset=where["frame_offset"],
        )
        exception.raw_payload = message.payload
        return exception
    kwargs: dict[str, Any] = {}
    text = body.pop("message", "")
    if not isinstance(text, str):
        body["message"], text = text, ""  # kept in extra, so it goes back on the wire as it was
    for name, key, kind in cls._fields:
        value = body.get(key)
        if isinstance(value, kind) and not isinstance(value, bool):
            kwargs[name] = body.pop(key)
    return cls(text, extra=body, **kwargs, **where)


_JSON_HEADER = ("application/json",)


def _padding_for(event: BedrockEvent, padding: bool | str) -> str | None:
    if padding is False:
        return None
    if isinstance(padding, str):
        chosen = padding
    elif event.padding is not None:
        chosen = event.padding
    else:
        # Random length: the padding exists to hide payload lengths (a side channel).
        chosen = PADDING_ALPHABET[: 1 + secrets.randbelow(len(PADDING_ALPHABET))]
    if not _is_padding(chosen):
        raise EncodeError(f"padding {chosen!r} is not a prefix of {PADDING_ALPHABET!r}")
    return chosen


def _dumps(body: dict[str, Any]) -> bytes:
    # Bedrock sends compact JSON with keys sorted at every level, UTF-8 unescaped.
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:
        # A lone surrogate (which JSON can carry as an escape) has no UTF-8 form: escape all.
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def encode_event(event: TypedEvent, *, padding: bool | str = True) -> Message:
    """Return the message Bedrock would send for ``event``.

    Events get the headers ``:event-type``, ``:content-type``, ``:message-type`` in that order
    and compact JSON with sorted keys; ``padding`` adds the ``"p"`` field: ``True`` keeps the
    event's own padding or draws a random-length prefix of :data:`PADDING_ALPHABET`, a string
    sets it, ``False`` leaves it out. Exceptions get ``:exception-type`` (lowerCamel) and a
    ``{"message": ...}`` payload without padding. Unknown events and exceptions, and decoded
    error frames, give back the message they were decoded from.
    """
    if isinstance(event, UnknownEvent):
        return event.message
    if isinstance(event, UnknownException):
        return event.frame
    if isinstance(event, ErrorFrame):
        if event.frame is not None:
            return event.frame
        return Message(
            [
                (":message-type", "error"),
                (":error-code", event.error_code),
                (":error-message", event.message),
            ]
        )
    if isinstance(event, BedrockException):
        if event.raw_payload is not None:
            payload = event.raw_payload
        else:
            # A non-string "message" that arrived stays in extra and goes back as it came.
            body: dict[str, Any] = {"message": event.message, **event.extra}
            for name, key, _ in event._fields:
                value = getattr(event, name)
                if value is not None:
                    body[key] = value
            payload = _dumps(body)
        return Message._trusted(
            {
                ":exception-type": event.exception_type,
                ":content-type": "application/json",
                ":message-type": "exception",
            },
            payload,
        )
    body = to_wire(event)
    # An extra "p" (one that was not Bedrock's padding) goes back as it came, unpadded.
    pad = None if "p" in body else _padding_for(event, padding)
    if pad is not None:
        body["p"] = pad
    return Message._trusted(
        {
            ":event-type": event.event_type,
            ":content-type": "application/json",
            ":message-type": "event",
        },
        _dumps(body),
    )


def events(
    source: SyncReader | Iterable[BytesLike],
    stream: StreamName,
    *,
    raise_exceptions: bool = True,
    strict: bool = False,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> Iterator[TypedEvent]:
    """Yield typed events from any byte source :func:`eventstream.iter_messages` accepts.

    By default an exception frame is raised as its class (after every event before it was
    yielded); with ``raise_exceptions=False`` it is yielded as a value. The limits are the
    decoder's.
    """
    _stream(stream)
    frames = iter_frames(
        source,
        read_size=read_size,
        max_payload_length=max_payload_length,
        max_headers_length=max_headers_length,
    )
    for offset, index, message in frames:
        event = decode_event(message, stream, strict=strict, frame_index=index, offset=offset)
        if raise_exceptions and isinstance(event, BedrockException):
            raise event
        yield event


async def aevents(
    source: AsyncReader | AsyncIterable[BytesLike],
    stream: StreamName,
    *,
    raise_exceptions: bool = True,
    strict: bool = False,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> AsyncIterator[TypedEvent]:
    """The async twin of :func:`events`, over :func:`eventstream.aiter_messages` sources."""
    _stream(stream)
    frames = aiter_frames(
        source,
        read_size=read_size,
        max_payload_length=max_payload_length,
        max_headers_length=max_headers_length,
    )
    async for offset, index, message in frames:
        event = decode_event(message, stream, strict=strict, frame_index=index, offset=offset)
        if raise_exceptions and isinstance(event, BedrockException):
            raise event
        yield event
