"""The Bedrock stream unions as tables, and decoding/encoding typed events against them."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from .._codec import DEFAULT_MAX_HEADERS_LENGTH, DEFAULT_MAX_PAYLOAD_LENGTH
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
        raise ValueError(f"unknown stream {name!r}; choose one of {sorted(STREAMS)}") from None


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


def _json_object(message: Message, where: dict[str, int | None]) -> dict[str, Any]:
    try:
        value = json.loads(message.payload)
    # JSONDecodeError and UnicodeDecodeError are ValueErrors; deep nesting is a RecursionError.
    except (ValueError, RecursionError) as exc:
        raise BedrockPayloadError(f"payload is not JSON ({exc})", frame=message, **where) from None
    if not isinstance(value, dict):
        raise BedrockPayloadError(
            f"payload is JSON {type(value).__name__}, not an object", frame=message, **where
        )
    return value


def _decode_payload(
    cls: type[BedrockEvent], message: Message, where: dict[str, int | None]
) -> BedrockEvent:
    body = _json_object(message, where)
    padding = body.pop("p", None)
    if padding is not None and not isinstance(padding, str):
        body["p"] = padding  # not Bedrock's padding: keep it as an ordinary extra key
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


def _exception_text(message: Message) -> str:
    try:
        body = json.loads(message.payload)
    except (ValueError, RecursionError):
        return message.payload.decode("utf-8", "replace")
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return message.payload.decode("utf-8", "replace")


def _decode_exception(
    cls: type[BedrockException], message: Message, where: dict[str, int | None]
) -> BedrockException:
    body = _json_object(message, where)
    kwargs: dict[str, Any] = {}
    text = body.pop("message", "")
    for name, key in cls._fields:
        if key in body:
            kwargs[name] = body.pop(key)
    if not isinstance(text, str) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in kwargs.values()
    ):
        raise BedrockPayloadError(
            f"{cls.exception_type} payload has a field of the wrong type", frame=message, **where
        )
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
    if not PADDING_ALPHABET.startswith(chosen):
        raise ValueError(f"padding {chosen!r} is not a prefix of {PADDING_ALPHABET!r}")
    return chosen


def _dumps(body: dict[str, Any]) -> bytes:
    # Bedrock sends compact JSON with keys sorted at every level, UTF-8 unescaped.
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


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
        body: dict[str, Any] = dict(event.extra)
        body["message"] = event.message
        for name, key in event._fields:
            value = getattr(event, name)
            if value is not None:
                body[key] = value
        return Message._trusted(
            {
                ":exception-type": event.exception_type,
                ":content-type": "application/json",
                ":message-type": "exception",
            },
            _dumps(body),
        )
    body = to_wire(event)
    pad = _padding_for(event, padding)
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
