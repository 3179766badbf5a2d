"""The typed-stream machinery the service layers share (``eventstream.bedrock.agent``,
``eventstream.sagemaker``, ``eventstream.awslambda``): declarations, stream tables, decoding,
encoding and iterating against them.

Public so that packages beside ``bedrock`` build on it by a public name; not documented API
(docs/services.md documents the layers built on it). Bedrock Runtime keeps its own tuned
paths (``bedrock.decode_event`` and friends); this is the same machinery, generic over a
service's table of streams: the declarations and their generated decoders and encoders
(``bedrock._wire``), the strict JSON reader, and the exception handling are Bedrock's own.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeAlias, cast

from .._codec import DEFAULT_MAX_HEADERS_LENGTH, DEFAULT_MAX_PAYLOAD_LENGTH
from .._decoder import Frame
from .._errors import ConfigurationError, EncodeError, InputTypeError
from .._headers import HeaderValue
from .._io import DEFAULT_READ_SIZE, AsyncReader, BytesLike, SyncReader, aiter_mapped, iter_mapped
from .._message import Message, message_from_wire
from ._events import (
    BedrockEvent,
    BedrockException,
    ErrorFrame,
    UnexpectedEventError,
    UnknownEvent,
    UnknownException,
)
from ._streams import (
    _decode_exception,
    _decode_payload,
    _dumps,
    _event_head,
    _exception_text,
    _json_object,
    _register_service_streams,
    encode_event,
    exception_body,
    frame_reader,
    typed_again,
)
from ._wire import JSON, Struct, UnionMember, WireError, decoder_of, install_init, to_wire

__all__ = [
    "JSON",
    "Struct",
    "UnionMember",
    "WireError",
    "decoder_of",
    "to_wire",
    "install_init",
    "ServiceEvent",
    "ServiceException",
    "ServiceStream",
    "ServiceTypedEvent",
    "Service",
    "ServiceReader",
]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ServiceEvent(Struct):
    """Base of the typed events of the services beside Bedrock Runtime.

    ``event_type`` is the ``:event-type`` on the wire. ``payload_field`` names the member
    that is the whole frame payload (the model's ``eventpayload`` blob: SageMaker's
    ``PayloadPart.Bytes``, Lambda's ``PayloadChunk.Payload``); without one the payload is the
    JSON object of the members. A ``"p"`` field of Bedrock's padding alphabet is kept in
    ``padding`` and sent again, never added.
    """

    event_type: ClassVar[str]
    payload_field: ClassVar[str | None] = None
    padding: str | None = field(default=None, compare=False, repr=False)


class ServiceException(BedrockException):
    """Base of the modelled exceptions of the services beside Bedrock Runtime.

    A :class:`~eventstream.bedrock.BedrockException` (raised by ``events()``, typed as the
    stream's error by the tools), whose message travels under ``message_key`` (SageMaker's
    are ``"Message"``).
    """

    message_key: ClassVar[str] = "message"


#: What decoding gives: an event, an exception value, or a kept unknown frame.
ServiceTypedEvent: TypeAlias = ServiceEvent | BedrockException | UnknownEvent


def _path_pattern(template: str) -> re.Pattern[str]:
    # "/agents/{agentId}/.../text" -> the path of any agent; a request URL ends with it.
    parts = re.split(r"\{[^}]+\}", template)
    return re.compile("(?:^|^[a-z]+://[^/]+)" + "[^/?]+".join(map(re.escape, parts)) + r"/?$")


@dataclass(frozen=True)
class ServiceStream:
    """One event-stream union of a service model, as ``bedrock.Stream`` is for Bedrock."""

    name: str
    service: str
    shape: str
    operation: str
    direction: Literal["response", "request"]
    events: tuple[type[ServiceEvent], ...]
    exceptions: tuple[type[ServiceException], ...]
    #: The operation's HTTP path (the model's requestUri), ``{name}`` for each path label.
    http_path: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "_event_classes", {c.event_type: c for c in self.events})
        object.__setattr__(
            self, "_exception_classes", {c.exception_type: c for c in self.exceptions}
        )
        object.__setattr__(self, "_path", _path_pattern(self.http_path))

    def event_class(self, event_type: str) -> type[ServiceEvent] | None:
        """The class for ``:event-type`` in this union, or ``None``."""
        return self._event_classes.get(event_type)  # type: ignore[attr-defined, no-any-return]

    def exception_class(self, exception_type: str) -> type[ServiceException] | None:
        """The class for ``:exception-type`` in this union, or ``None``."""
        return self._exception_classes.get(exception_type)  # type: ignore[attr-defined, no-any-return]

    def matches_path(self, url: str) -> bool:
        """Whether a request URL or path is this operation's."""
        return self._path.search(url.split("?", 1)[0]) is not None  # type: ignore[attr-defined]

    def decode(
        self,
        message: Message,
        *,
        strict: bool = False,
        frame_index: int | None = None,
        offset: int | None = None,
    ) -> ServiceTypedEvent:
        """The typed event of ``message`` in this union (see :func:`decode`)."""
        return decode(message, self, strict=strict, frame_index=frame_index, offset=offset)


def decode(
    message: Message,
    union: ServiceStream | None,
    *,
    events: Mapping[str, type[ServiceEvent]] | None = None,
    exceptions: Mapping[str, type[ServiceException]] | None = None,
    strict: bool = False,
    frame_index: int | None = None,
    offset: int | None = None,
) -> ServiceTypedEvent:
    """Map one message to its typed event in ``union`` (or, with ``None``, in the classes
    ``events``/``exceptions``), as ``bedrock.decode_event`` does for Bedrock Runtime:
    exceptions are returned, names outside the union kept whole in ``UnknownEvent`` /
    ``UnknownException`` (or refused with ``strict``), a payload that does not fit raises
    ``BedrockPayloadError``."""
    try:
        headers = message.headers
        message_type = headers.get(":message-type")
    except AttributeError:
        # Caught, not checked first: a try costs nothing on the per-event path.
        raise _not_a_message(message) from None
    if message_type == "event":
        name = headers.get(":event-type")
        if type(name) is not str:
            name = ""
        cls = union.event_class(name) if union else (events or {}).get(name)
        if cls is not None:
            if cls.payload_field is not None:
                fields: dict[str, Any] = {cls.payload_field: bytes(message.payload)}
                return cls(**fields)
            # Bedrock's own path: strict JSON, bounded depth, the generated decoder.
            bedrock_cls = cast(type[BedrockEvent], cls)
            typed = _decode_payload(bedrock_cls, message, frame_index, offset, None)
            return cast(ServiceEvent, typed)
        if strict:
            raise UnexpectedEventError(
                f"event {name!r} is not in the {_name(union)} stream's union", frame=message,
                frame_index=frame_index, offset=offset, frame_offset=offset,
            )  # fmt: skip
        return UnknownEvent(name, message, union.name if union else None)
    where = {"frame_index": frame_index, "offset": offset, "frame_offset": offset}
    if message_type == "exception":
        value = headers.get(":exception-type")
        name = value if isinstance(value, str) else ""
        exc_cls = union.exception_class(name) if union else (exceptions or {}).get(name)
        if exc_cls is None:
            if strict:
                raise UnexpectedEventError(
                    f"exception {name!r} is not in the {_name(union)} stream's union",
                    frame=message, **where,
                )  # fmt: skip
            return UnknownException(_exception_text(message), frame=message, name=name, **where)
        return _exception(exc_cls, message, where)
    if message_type == "error":
        code, text = headers.get(":error-code"), headers.get(":error-message")
        return ErrorFrame(
            text if isinstance(text, str) else "",
            error_code=code if isinstance(code, str) else "",
            frame=message,
            **where,
        )
    if strict:
        raise UnexpectedEventError(
            f"frame has no usable :message-type header ({message_type!r})", frame=message, **where
        )
    value = headers.get(":event-type")
    return UnknownEvent(value if isinstance(value, str) else "", message, _name(union, None))


def _not_a_message(value: object) -> InputTypeError:
    return InputTypeError(
        f"a service's decode_event takes an eventstream.Message, not a {type(value).__name__} "
        "(eventstream.decode(data) gives one from a frame's bytes)"
    )


def _name(union: ServiceStream | None, default: str | None = "(any)") -> Any:
    return union.name if union else default


def _exception(
    cls: type[ServiceException], message: Message, where: dict[str, int | None]
) -> BedrockException:
    key = cls.message_key
    if key == "message":
        return _decode_exception(cls, message, where, None)
    body, _ = _json_object(message)
    if body is not None and key in body and "message" not in body:
        # Read as botocore reads it ("Message", else "message"), decoded by Bedrock's reader
        # under its key; the key it came under goes back on the wire (encode).
        body = {("message" if k == key else k): v for k, v in body.items()}
        exception = _decode_exception(cls, message, where, body)
    else:
        exception = _decode_exception(cls, message, where, body)
        exception.wire_message_key = "message"  # type: ignore[attr-defined]
    return exception


def encode(event: ServiceTypedEvent) -> Message:
    """The message the service sends for ``event``: ``:event-type``, ``:content-type``
    (``application/json``, or ``application/octet-stream`` for a payload member),
    ``:message-type``, and compact JSON with sorted keys; exceptions as Bedrock's, their
    message under their ``message_key``; unknown frames as they came."""
    if isinstance(event, ServiceEvent):
        cls = type(event)
        head = _HEADS.get(cls)
        if head is None:
            head = _HEADS[cls] = _head(cls)
        if cls.payload_field is not None:
            payload = getattr(event, cls.payload_field)
            if not isinstance(payload, bytes | bytearray | memoryview):
                raise EncodeError(f"{cls.__name__}.{cls.payload_field} is not bytes")
            return message_from_wire(head[0], head[1], bytes(payload))
        body = to_wire(event)
        if event.padding is not None and "p" not in body:
            body["p"] = event.padding
        return message_from_wire(head[0], head[1], _dumps(body))
    if isinstance(event, ServiceException) and event.raw_payload is None:
        body = exception_body(event)
        key = getattr(event, "wire_message_key", event.message_key)
        if key != "message" and "message" in body:
            body[key] = body.pop("message")
        return Message(
            {
                ":exception-type": event.exception_type,
                ":content-type": "application/json",
                ":message-type": "exception",
            },
            _dumps(body),
        )
    if isinstance(event, BedrockException | UnknownEvent):
        return encode_event(event)  # unknown frames, error frames: Bedrock's, as they came
    raise EncodeError(f"not a typed event: {type(event).__name__}")


_HEADS: dict[type, tuple[Mapping[str, HeaderValue], bytes]] = {}


def _head(cls: type[ServiceEvent]) -> tuple[Mapping[str, HeaderValue], bytes]:
    if cls.payload_field is None:
        return _event_head(cls.event_type)
    # A blob payload goes as application/octet-stream (Smithy's event-stream binding).
    message = Message(
        {
            ":event-type": cls.event_type,
            ":content-type": "application/octet-stream",
            ":message-type": "event",
        }
    )
    return message.headers, message.header_block()


class ServiceReader:
    """Sans-IO typing of one service's frames, as ``bedrock.EventReader``: ``stream`` names
    a union of ``streams`` or is ``"auto"`` (settled from the first event frame; frames
    before it decode against every union); ``hint`` is a stream already known."""

    __slots__ = ("streams", "stream", "stream_note", "strict", "_union", "_auto", "_events",
                 "_exceptions")  # fmt: skip

    def __init__(
        self,
        streams: Mapping[str, ServiceStream],
        stream: str | None = "auto",
        *,
        strict: bool = False,
        hint: str | None = None,
    ) -> None:
        if stream not in ("auto", None) and not _known(streams, stream):
            raise ConfigurationError(
                f"unknown stream {stream!r}; choose one of {sorted(streams)} or 'auto'"
            )
        self.streams = streams
        self.strict = strict
        self._events, self._exceptions = _any_classes(streams)
        self._auto = stream == "auto" and hint is None
        self.stream: str | None
        if stream == "auto":
            self.stream = hint
            self.stream_note = (
                f"{hint} (from the request URL)" if hint else "unknown (no event frame yet)"
            )
        else:
            self.stream = stream
            self.stream_note = f"{stream} (as given)" if stream else "none (as given)"
        self._union = streams[self.stream] if self.stream else None

    def settle(self, message: Message) -> None:
        """Settle ``"auto"`` if ``message`` is the stream's first event frame."""
        try:
            if not self._auto or message.headers.get(":message-type") != "event":
                return
        except AttributeError:
            raise _not_a_message(message) from None
        name = message.headers.get(":event-type")
        if not isinstance(name, str):
            return
        self._auto = False
        found = [s.name for s in self.streams.values() if s.event_class(name) is not None]
        if not found:
            self.stream_note = f"unknown (the first event type, {name!r}, is in no stream here)"
            return
        self.stream = found[0]
        self._union = self.streams[found[0]]
        also = f"; {', '.join(found[1:])} has it too: name the stream" if found[1:] else ""
        self.stream_note = f"{found[0]} (detected from its {name!r} event{also})"

    def read(
        self, message: Message, *, offset: int | None = None, frame_index: int | None = None
    ) -> ServiceTypedEvent:
        """The typed event of ``message``; ``offset`` and ``frame_index`` go into errors."""
        if self._auto:
            self.settle(message)
        return decode(
            message, self._union, events=self._events, exceptions=self._exceptions,
            strict=self.strict, frame_index=frame_index, offset=offset,
        )  # fmt: skip

    def read_frame(self, frame: Frame) -> ServiceTypedEvent:
        """The typed event of a decoded :class:`~eventstream.Frame`."""
        return self.read(frame.message, offset=frame.offset, frame_index=frame.frame_index)


def _known(streams: Mapping[str, ServiceStream], name: object) -> bool:
    return isinstance(name, str) and name in streams


def _any_classes(
    streams: Mapping[str, ServiceStream],
) -> tuple[dict[str, type[ServiceEvent]], dict[str, type[ServiceException]]]:
    """Every event and exception class of ``streams`` by wire name (for frames decoded
    before a stream is known); the first union to name a class wins."""
    events: dict[str, type[ServiceEvent]] = {}
    exceptions: dict[str, type[ServiceException]] = {}
    for union in streams.values():
        for cls in union.events:
            events.setdefault(cls.event_type, cls)
        for exc in union.exceptions:
            exceptions.setdefault(exc.exception_type, exc)
    return events, exceptions


class Service:
    """A service's streams and the functions over them, bound (what its package exports)."""

    def __init__(self, name: str, streams: Mapping[str, ServiceStream]) -> None:
        self.name = name
        self.streams = streams
        # The events get the fast generated __init__ (a payload event is built by it per
        # frame); nested shapes keep the dataclass's: decoding builds them through their
        # slots anyway, and generating ~150 of them would double the import time.
        for cls in {c for s in streams.values() for c in s.events}:
            install_init(cls)
        self._events, self._exceptions = _any_classes(streams)
        _register_service_streams(streams)

    def decode_event(
        self,
        message: Message,
        stream: str | None = None,
        *,
        strict: bool = False,
        frame_index: int | None = None,
        offset: int | None = None,
    ) -> ServiceTypedEvent:
        """Map one message to its typed event (``stream``: a union name; ``None``: any)."""
        union = None
        if stream is not None:
            if not _known(self.streams, stream):
                raise ConfigurationError(
                    f"unknown stream {stream!r}; choose one of {sorted(self.streams)}"
                )
            union = self.streams[stream]
        return decode(
            message, union, events=self._events, exceptions=self._exceptions, strict=strict,
            frame_index=frame_index, offset=offset,
        )  # fmt: skip

    def encode_event(self, event: ServiceTypedEvent) -> Message:
        """The message the service sends for ``event``."""
        return encode(event)

    def events(
        self,
        source: SyncReader | Iterable[BytesLike],
        stream: str = "auto",
        *,
        raise_exceptions: bool = True,
        strict: bool = False,
        read_size: int = DEFAULT_READ_SIZE,
        max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
        max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
    ) -> Iterator[ServiceTypedEvent]:
        """Typed events from a byte source or one buffer, as ``bedrock.events``."""
        if isinstance(source, bytes | bytearray | memoryview):
            source = (source,)
        read = frame_reader(ServiceReader(self.streams, stream, strict=strict), raise_exceptions)
        return iter_mapped(
            source, read, f"{self.name}.events()", read_size=read_size,
            max_payload_length=max_payload_length, max_headers_length=max_headers_length,
        )  # fmt: skip

    def aevents(
        self,
        source: AsyncReader | AsyncIterable[BytesLike],
        stream: str = "auto",
        *,
        raise_exceptions: bool = True,
        strict: bool = False,
        read_size: int = DEFAULT_READ_SIZE,
        max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
        max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
        first_byte_timeout: float | None = None,
        idle_timeout: float | None = None,
    ) -> AsyncIterator[ServiceTypedEvent]:
        """The async twin of :meth:`events`, as ``bedrock.aevents``."""
        read = frame_reader(ServiceReader(self.streams, stream, strict=strict), raise_exceptions)

        events_of = typed_again(lambda: ServiceReader(self.streams, stream, strict=strict))
        return aiter_mapped(
            source, read, f"{self.name}.aevents()", events_of=events_of, read_size=read_size,
            max_payload_length=max_payload_length, max_headers_length=max_headers_length,
            first_byte_timeout=first_byte_timeout, idle_timeout=idle_timeout,
        )  # fmt: skip

    def stream_from_path(self, url: str) -> str | None:
        """The stream a request URL or path implies (its operation's path), or ``None``."""
        return next((s.name for s in self.streams.values() if s.matches_path(url)), None)


# Kept referenced: decoder_of and WireError are part of what this module re-exports.
_ = (decoder_of, WireError, UnionMember)
