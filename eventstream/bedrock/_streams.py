"""The Bedrock stream unions as tables, and decoding/encoding typed events against them."""

from __future__ import annotations

import random
import re
import secrets
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from json.decoder import scanstring as _scan_string  # type: ignore[attr-defined]  # C where built
from json.encoder import encode_basestring as _encode_string
from typing import Any, Literal, Protocol, TypeAlias, cast

from .._codec import DEFAULT_MAX_HEADERS_LENGTH, DEFAULT_MAX_PAYLOAD_LENGTH
from .._decoder import Frame
from .._errors import ConfigurationError, EncodeError, InputTypeError
from .._headers import HeaderValue
from .._io import DEFAULT_READ_SIZE, AsyncReader, BytesLike, SyncReader, aiter_mapped, iter_mapped
from .._message import Message, message_from_wire
from . import _events
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
    TextDelta,
    ThrottlingException,
    UnexpectedEventError,
    UnknownEvent,
    UnknownException,
    ValidationException,
)
from ._json import MAX_JSON_DEPTH, dumps, loads, parse, too_deep
from ._wire import _EMPTY as EMPTY
from ._wire import (
    PADDING_ALPHABET,
    Struct,
    WireError,
    canonical_base64,
    decoder_of,
    install_init,
    to_wire,
)
from ._wire import _slot_setter as slot_setter

# Every declared structure gets a generated __init__ (see install_init): built once, here,
# where the typed layer is assembled.
for _shape in vars(_events).values():
    if isinstance(_shape, type) and issubclass(_shape, Struct) and _shape is not Struct:
        install_init(_shape)
del _shape

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
    "EventReader",
    "StreamMismatchWarning",
    "stream_from_path",
    "exception_body",
]

StreamName: TypeAlias = Literal["invoke", "converse", "bidirectional-input", "bidirectional-output"]
#: A stream name, or ``"auto"``: settle it from the first event frame (see :class:`EventReader`).
StreamChoice: TypeAlias = StreamName | Literal["auto"]
#: What ``decode_event`` returns: an event, an exception value, or a kept unknown frame.
TypedEvent: TypeAlias = BedrockEvent | BedrockException | UnknownEvent


@dataclass(frozen=True)
class Stream:
    """One event-stream union of the Bedrock Runtime service model."""

    name: str
    shape: str
    operation: str
    direction: Literal["response", "request"]
    events: tuple[type[BedrockEvent], ...]
    exceptions: tuple[type[BedrockException], ...]
    #: The operation's HTTP path (the service model's requestUri); ``{modelId}`` is the model.
    http_path: str

    def __post_init__(self) -> None:
        # Lookups by wire name, for decode_event: one dict lookup an event.
        by_type = {c.event_type: c for c in self.events}
        object.__setattr__(self, "_event_classes", by_type)
        object.__setattr__(
            self, "_exception_classes", {c.exception_type: c for c in self.exceptions}
        )

    def event_class(self, event_type: str) -> type[BedrockEvent] | None:
        """The class for ``:event-type`` in this union, or ``None``."""
        return self._event_classes.get(event_type)  # type: ignore[attr-defined, no-any-return]

    def exception_class(self, exception_type: str) -> type[BedrockException] | None:
        """The class for ``:exception-type`` in this union, or ``None``."""
        return self._exception_classes.get(exception_type)  # type: ignore[attr-defined, no-any-return]


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
            (Chunk,), _ALL_EXCEPTIONS, "/model/{modelId}/invoke-with-response-stream",
        ),
        Stream(
            "converse", "ConverseStreamOutput", "ConverseStream", "response",
            (MessageStart, ContentBlockStart, ContentBlockDelta, ContentBlockStop, MessageStop,
             Metadata),
            # The Converse union has no modelTimeoutException.
            tuple(c for c in _ALL_EXCEPTIONS if c is not ModelTimeoutException),
            "/model/{modelId}/converse-stream",
        ),
        Stream(
            "bidirectional-output", "InvokeModelWithBidirectionalStreamOutput",
            "InvokeModelWithBidirectionalStream", "response", (Chunk,), _ALL_EXCEPTIONS,
            "/model/{modelId}/invoke-with-bidirectional-stream",
        ),
        Stream(
            "bidirectional-input", "InvokeModelWithBidirectionalStreamInput",
            "InvokeModelWithBidirectionalStream", "request", (Chunk,), (),
            "/model/{modelId}/invoke-with-bidirectional-stream",
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
    except (KeyError, TypeError):  # TypeError: an unhashable name
        raise ConfigurationError(
            f"unknown stream {name!r}; choose one of {sorted(STREAMS)}"
        ) from None


def _check_choice(stream: object) -> None:
    if stream != "auto" and not (type(stream) is str and stream in _SERVICE_STREAMS):
        _stream(stream)  # type: ignore[arg-type]


# A path names the stream its response carries; the request stream of a bidirectional call
# travels the other way on the same path.
_BY_PATH_SUFFIX: dict[str, StreamName] = {
    s.http_path.rsplit("}", 1)[1]: cast(StreamName, s.name)
    for s in STREAMS.values()
    if s.direction == "response"
}


def stream_from_path(url: str) -> StreamName | None:
    """The response stream a request URL or path implies (by its operation's path), or
    ``None``."""
    path = url.split("?", 1)[0].rstrip("/")
    found: str | None
    found = next((name for suffix, name in _BY_PATH_SUFFIX.items() if path.endswith(suffix)), None)
    if found is None:  # another service's operation (eventstream.bedrock.engine registers them)
        found = next((n for n, s in _SERVICE_STREAMS.items() if s.matches_path(url)), None)
    return cast(StreamName | None, found)


def _guess(event_type: str) -> tuple[StreamName | None, str]:
    """The stream whose first event is ``event_type``, and a note saying how it was told."""
    if event_type == "chunk":
        return "invoke", (
            "invoke (detected from its 'chunk' events; a bidirectional stream needs --stream)"
        )
    if STREAMS["converse"].event_class(event_type) is not None:
        return "converse", f"converse (detected from its {event_type!r} event)"
    service = _SERVICE_EVENT_TYPES.get(event_type)
    if service is not None:
        return cast(StreamName, service), f"{service} (detected from its {event_type!r} event)"
    return None, f"unknown (the first event type, {event_type!r}, is in no Bedrock stream)"


#: The stream note while no event frame has settled ``stream="auto"``.
_NO_EVENT_NOTE = "unknown (no event frame to detect it from; exceptions decode anyway)"


class StreamMismatchWarning(UserWarning):
    """The stream named is not the one the frames are: its first event is in another union,
    so the events would all decode as :class:`UnknownEvent`."""


def _mismatch(stream: StreamName, message: Message) -> None:
    name = message.headers.get(":event-type")
    if not isinstance(name, str) or STREAMS[stream].event_class(name) is not None:
        return
    guessed, _ = _guess(name)
    if guessed is not None and guessed != stream:
        warnings.warn(
            f"the first event, {name!r}, is not in the {stream} stream's union but is in the "
            f"{guessed} stream's: is stream={guessed!r} meant? (stream='auto' settles it)",
            StreamMismatchWarning,
            stacklevel=4,
        )


class EventReader:
    """Sans-IO typing of a stream's frames: messages in, typed events out.

    ``stream="auto"`` settles the union from the first event frame (``chunk``: invoke; a
    Converse event: converse); frames before it, exceptions and errors, decode against every
    union. ``hint`` is a stream already known for "auto" (from a request URL, say).
    ``stream`` and ``stream_note`` say which union is in use and how it was chosen. A named
    stream whose first event belongs to another union gives a :class:`StreamMismatchWarning`
    (its events would all be unknown); ``warn=False`` leaves that to the caller.
    """

    __slots__ = ("stream", "stream_note", "strict", "fast", "_auto", "_unchecked")

    def __init__(
        self,
        stream: StreamChoice | None = "auto",
        *,
        strict: bool = False,
        hint: StreamName | None = None,
        warn: bool = True,
    ) -> None:
        _check_choice(stream)
        self.strict = strict
        #: The header blocks whose frames read_frame() has sent down a fast path, for
        #: :meth:`eventstream.Decoder.mapped` (bounded: a stream repeats a few blocks).
        self.fast: dict[bytes, tuple[Callable[[bytes], Any], Callable[[Frame], Any]]] = {}
        self._auto = stream == "auto" and hint is None
        # A named stream is checked against its first event frame (StreamMismatchWarning).
        self._unchecked = warn and stream not in ("auto", None)
        self.stream: StreamName | None
        if stream == "auto":
            self.stream = hint
            self.stream_note = f"{hint} (from the request URL)" if hint else _NO_EVENT_NOTE
        else:
            self.stream = stream
            self.stream_note = f"{stream} (as given)" if stream else "none (as given)"
        if self.stream in _SERVICE_STREAMS:
            self._unchecked = False
            self.__class__ = _ServiceEventReader

    def read(
        self,
        message: Message,
        *,
        offset: int | None = None,
        frame_index: int | None = None,
        payload_json: Any = None,
    ) -> TypedEvent:
        """The typed event of ``message``, as :func:`decode_event` gives it; ``offset`` and
        ``frame_index`` say where its frame starts, for errors."""
        if self._auto:
            self.settle(message)
            if type(self) is not EventReader:  # settled on another service's stream
                return self.read(message, offset=offset, frame_index=frame_index)
        elif self._unchecked:
            self._check(message)
        return decode_event(
            message, self.stream, strict=self.strict, frame_index=frame_index, offset=offset,
            payload_json=payload_json,
        )  # fmt: skip

    def _check(self, message: Message) -> None:
        _is_message(message)
        if message.headers.get(":message-type") == "event":
            self._unchecked = False
            assert self.stream is not None
            _mismatch(self.stream, message)

    def settle(self, message: Message) -> None:
        """Settle ``stream="auto"`` if ``message`` is the stream's first event frame (what
        :meth:`read` does first), without typing it."""
        _is_message(message)
        if self._auto and message.headers.get(":message-type") == "event":
            event_type = message.headers.get(":event-type")
            if isinstance(event_type, str):
                self._auto = False
                self.stream, self.stream_note = _guess(event_type)
                if self.stream in _SERVICE_STREAMS:
                    self.__class__ = _ServiceEventReader

    def read_frame(self, frame: Frame) -> TypedEvent:
        """The typed event of a decoded :class:`~eventstream.Frame`."""
        try:
            message = frame.message
        except AttributeError:  # free unless raised
            raise InputTypeError(
                f"read_frame() takes an eventstream.Frame, not a {type(frame).__name__}"
            ) from None
        if self._auto:
            self.settle(message)
            if type(self) is not EventReader:  # settled on another service's stream
                return self.read_frame(frame)
        elif self._unchecked:
            self._check(message)
        # Text deltas and chunks, nearly every event of Converse and Invoke streams, skip
        # decode_event's dispatch (~0.3 us of calls): same event, same checks
        # (tests/test_bedrock_fast_paths.py).
        # Where the layout does not match (a tool-use or reasoning delta), the general path
        # is taken from here, the fast one not tried a second time inside decode_event.
        # The reader is settled here, and what follows depends on the headers alone, so
        # the header block is recorded for the decoder to take such frames the same way.
        headers = message.headers
        event_type = headers.get(":event-type")
        if event_type == "contentBlockDelta":
            if self.stream in _DELTA_STREAMS and headers.get(":message-type") == "event":
                self._learn(message, _DELTA_PATH)
                delta = _text_delta(message.payload)
                if delta is not None:
                    return delta
                return _delta_miss(frame)
        elif (
            event_type == "chunk"
            and self.stream in _CHUNK_STREAMS
            and headers.get(":message-type") == "event"
        ):
            self._learn(message, _CHUNK_PATH)
            chunk = _chunk(message.payload)
            if chunk is not None:
                return chunk
            return _chunk_miss(frame)
        offset = frame.offset
        return decode_event(
            message, self.stream, strict=self.strict, frame_index=frame.frame_index, offset=offset
        )

    def _learn(
        self, message: Message, path: tuple[Callable[[bytes], Any], Callable[[Frame], Any]]
    ) -> None:
        block = message._header_block
        if block is not None and block not in self.fast:
            if len(self.fast) >= _FAST_BLOCKS:
                self.fast.clear()  # odd blocks first cannot keep Bedrock's own out for good
            self.fast[block] = path


#: Header blocks an EventReader's fast table holds at most (Bedrock sends one per event type).
_FAST_BLOCKS = 8


#: The streams (``None``: any) whose ``contentBlockDelta`` is :class:`ContentBlockDelta`.
_DELTA_STREAMS = frozenset(
    [
        None,
        *(
            name
            for name, union in STREAMS.items()
            if union.event_class("contentBlockDelta") is ContentBlockDelta
        ),
    ]
)


def _is_message(message: object) -> None:
    # Where a reader first looks at a message (once a stream): not one is an InputTypeError.
    if not isinstance(message, Message):
        raise InputTypeError(f"an EventReader reads eventstream.Message objects, not a "
                             f"{type(message).__name__}")  # fmt: skip


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
    payload_json: Any = None,
) -> TypedEvent:
    """Map one message to its typed event; exception frames are returned, not raised.

    ``stream`` names the union; an event or exception name outside it becomes
    :class:`UnknownEvent` / :class:`UnknownException` (keeping the whole message), or raises
    :class:`UnexpectedEventError` when ``strict``. A payload that does not fit its declared
    shape, or is not strict JSON, raises :class:`BedrockPayloadError`. ``frame_index`` and
    ``offset`` (where the frame starts in its stream) go into errors and exception values.
    ``payload_json`` spares a second parse to a caller that has parsed the payload already
    (strict JSON, as the payload's bytes say; ``None``: parse it here); it is not modified.
    """
    union = _stream(stream)
    try:
        headers = message.headers
    except AttributeError:  # not a Message: free to check here, on the way to the error
        raise InputTypeError(
            f"decode_event() takes an eventstream.Message, not a {type(message).__name__}"
        ) from None
    message_type = headers.get(":message-type")
    if message_type == "event":
        name = headers.get(":event-type")
        if type(name) is not str:
            name = ""
        cls = union.event_class(name) if union else _ANY_EVENT.get(name)
        if cls is not None:
            return _decode_payload(cls, message, frame_index, offset, payload_json)
        if strict:
            raise UnexpectedEventError(
                f"event {name!r} is not in the {stream} stream's union", frame=message,
                frame_index=frame_index, offset=offset, frame_offset=offset,
            )  # fmt: skip
        return UnknownEvent(name, message, stream)
    where = {"frame_index": frame_index, "offset": offset, "frame_offset": offset}
    if message_type == "exception":
        name = _text_header(message, ":exception-type") or ""
        exc_cls = union.exception_class(name) if union else _ANY_EXCEPTION.get(name)
        if exc_cls is None:
            if strict:
                raise UnexpectedEventError(
                    f"exception {name!r} is not in the {stream} stream's union", frame=message,
                    **where,
                )  # fmt: skip
            text = _exception_text(message, payload_json)
            return UnknownException(text, frame=message, name=name, **where)
        return _decode_exception(exc_cls, message, where, payload_json)
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


def _json_object(message: Message, value: Any = None) -> tuple[Any, str | None]:
    """The payload's JSON object (``value`` if parsed already), or ``(None, why not)``."""
    if value is None:
        value, problem = parse(message.payload)
        if problem is not None:
            return None, problem
    elif too_deep(message.payload, value):
        return parse(message.payload)  # the same verdict, in the same words
    if not isinstance(value, dict):
        return None, f"payload is JSON {type(value).__name__}, not an object"
    return value, None


def _decode_payload(
    cls: type[BedrockEvent],
    message: Message,
    frame_index: int | None,
    offset: int | None,
    value: Any,
    *,
    tried: bool = False,
) -> BedrockEvent:
    # The path every event takes: kept flat (no helper per step) on purpose. ``tried``: the
    # caller (EventReader.read_frame) has tried the fast paths already; not twice.
    payload = message.payload
    if value is None:
        if not tried:
            fast = (
                _text_delta(payload)
                if cls is ContentBlockDelta
                else (_chunk(payload) if cls is Chunk else None)
            )
            if fast is not None:
                return fast
        try:
            value = loads(payload)
        except ValueError as exc:
            raise BedrockPayloadError(
                f"payload is not JSON ({exc})", frame=message, frame_index=frame_index,
                offset=offset, frame_offset=offset,
            ) from None  # fmt: skip
    # too_deep() counts brackets first: done here, that spares a call for nearly every event.
    shallow = payload.count(b"[") + payload.count(b"{") <= MAX_JSON_DEPTH
    if type(value) is not dict or not (shallow or not too_deep(payload, value)):
        _, problem = _json_object(message, value)
        raise BedrockPayloadError(
            problem or "payload is not a JSON object", frame=message, frame_index=frame_index,
            offset=offset, frame_offset=offset,
        )  # fmt: skip
    try:
        # Bedrock's "p" padding goes to the event's padding; any other "p" stays in extra.
        return decoder_of(cls)(value)  # type: ignore[no-any-return]
    except WireError as exc:
        raise BedrockPayloadError(
            f"{cls.event_type} payload does not fit its shape: {exc}", frame=message,
            frame_index=frame_index, offset=offset, frame_offset=offset,
        ) from None  # fmt: skip


#: How Bedrock writes a text delta, up to the text's JSON string (contentBlockIndex first,
#: then delta, then "p"; an index of at most nine digits, so no big-integer concerns).
_TEXT_DELTA_HEAD = re.compile(
    rb'\{"contentBlockIndex":(0|[1-9][0-9]{0,8}),"delta":\{"text":"'
).match
_INDEX_KEY = b'{"contentBlockIndex":'
_TEXT_KEY = b',"delta":{"text":"'
# What may follow a fast path's text: nothing, or padding (a prefix of the alphabet) as the
# last key. One dict lookup gives the padding, or says the layout is not Bedrock's.
_PREFIXES = [PADDING_ALPHABET[:length] for length in range(len(PADDING_ALPHABET) + 1)]
_DELTA_TAILS: dict[str, str | None] = {"}}": None} | {f'}},"p":"{p}"}}': p for p in _PREFIXES}
_CHUNK_TAILS: dict[bytes, str | None] = {b'"}': None} | {
    f'","p":"{p}"}}'.encode(): p for p in _PREFIXES
}
_NOT_BEDROCK: Any = object()  # what the tables give for a tail they lack
_new = object.__new__
_set_index = slot_setter(ContentBlockDelta, "content_block_index")
_set_delta = slot_setter(ContentBlockDelta, "delta")
_set_padding = slot_setter(ContentBlockDelta, "padding")
_set_delta_extra = slot_setter(ContentBlockDelta, "extra")
_set_text = slot_setter(TextDelta, "text")
_set_text_extra = slot_setter(TextDelta, "extra")


def _text_delta(payload: bytes) -> ContentBlockDelta | None:
    """The event of a text delta in Bedrock's own layout, or ``None`` for the general path.

    Text deltas are nearly every event of a Converse stream, and Bedrock writes them one way:
    ``{"contentBlockIndex":N,"delta":{"text":"..."},"p":"abc..."}`` (``"p"`` optional). That
    layout is matched, the text read by json's C string scanner (strict, as ``loads`` is),
    and the event built directly: about half the cost of parsing the whole payload and
    mapping the dict (benchmarks/README.md). Anything else -- other key order, whitespace,
    an escape in ``"p"``, extra keys, bad JSON -- returns ``None`` and takes the general
    path, which gives the same event or the error; tests/test_bedrock_fast_paths.py checks
    that both agree.
    """
    # A one-digit index (nearly every block) by slicing, others by the pattern: ~0.1 us less.
    digit = payload[21:22]
    if payload[22:40] == _TEXT_KEY and digit.isdigit() and payload[:21] == _INDEX_KEY:
        index, start = digit[0] - 48, 40
    else:
        head = _TEXT_DELTA_HEAD(payload)
        if head is None:
            return None
        index, start = int(head[1]), head.end()
    try:
        whole = payload.decode()
        # Offsets agree in bytes and characters: what comes before the text is ASCII.
        text, end = _scan_string(whole, start, True)
    except ValueError:  # not UTF-8, or a bad string: the general path says which
        return None
    padding = _DELTA_TAILS.get(whole[end:], _NOT_BEDROCK)
    if padding is _NOT_BEDROCK:
        return None
    return text_delta_event(index, text, padding)


_CHUNK_KEY = b'{"bytes":"'
_set_bytes = slot_setter(Chunk, "bytes")
_set_chunk_padding = slot_setter(Chunk, "padding")
_set_chunk_extra = slot_setter(Chunk, "extra")


def text_delta_event(index: int, text: str, padding: str | None = None) -> ContentBlockDelta:
    """``ContentBlockDelta(content_block_index=index, delta=TextDelta(text=text),
    padding=padding)`` built through the slots (~0.4 us, where the constructors take ~0.8):
    for the fast path above and the readers of other formats (bedrock._families)."""
    delta = _new(TextDelta)
    _set_text(delta, text)
    _set_text_extra(delta, EMPTY)
    event = _new(ContentBlockDelta)
    _set_index(event, index)
    _set_delta(event, delta)
    _set_padding(event, padding)
    _set_delta_extra(event, EMPTY)
    return event


def _chunk(payload: bytes) -> Chunk | None:
    """The event of a chunk in Bedrock's own layout, or ``None`` for the general path.

    Bedrock writes ``{"bytes":"<base64>","p":"abc..."}`` (``"p"`` optional). Base64 holds no
    quote or backslash, so the text ends at the next quote; it must be canonical (it encodes
    back to itself), as the general path requires. No JSON is parsed at all.
    """
    if payload[:10] != _CHUNK_KEY:
        return None
    end = payload.find(b'"', 10)
    if end < 0:
        return None
    padding = _CHUNK_TAILS.get(payload[end:], _NOT_BEDROCK)
    if padding is _NOT_BEDROCK:
        return None
    data = canonical_base64(payload[10:end])
    if data is None:
        return None  # not canonical (or not base64 at all): the general path says which
    event = _new(Chunk)
    _set_bytes(event, data)
    _set_chunk_padding(event, padding)
    _set_chunk_extra(event, EMPTY)
    return event


def _delta_miss(frame: Frame) -> ContentBlockDelta:
    # A delta the fast path did not take (tool use, reasoning), by the general decoder.
    return cast(
        ContentBlockDelta,
        _decode_payload(
            ContentBlockDelta, frame.message, frame.frame_index, frame.offset, None, tried=True
        ),
    )


def _chunk_miss(frame: Frame) -> Chunk:
    return cast(
        Chunk,
        _decode_payload(Chunk, frame.message, frame.frame_index, frame.offset, None, tried=True),
    )


# (try the payload, else read the frame): what EventReader.fast maps a header block to.
_DELTA_PATH = (_text_delta, _delta_miss)
_CHUNK_PATH = (_chunk, _chunk_miss)

#: The streams (``None``: any) whose ``chunk`` is :class:`Chunk`.
_CHUNK_STREAMS = frozenset(
    [None, *(name for name, union in STREAMS.items() if union.event_class("chunk") is Chunk)]
)


def _is_padding(text: str) -> bool:
    return PADDING_ALPHABET.startswith(text)


def _exception_text(message: Message, value: Any = None) -> str:
    body, _ = _json_object(message, value)
    if body is not None and isinstance(body.get("message"), str):
        return str(body["message"])
    return message.payload.decode("utf-8", "replace")


def _decode_exception(
    cls: type[BedrockException], message: Message, where: dict[str, int | None], value: Any
) -> BedrockException:
    body, _ = _json_object(message, value)
    if body is None:
        # Still the exception it says it is (a throttling error must stay retryable); the
        # payload that is not a JSON object is kept as it came.
        exception = cls(
            _exception_text(message, value),
            offset=where["offset"],
            frame_index=where["frame_index"],
            frame_offset=where["frame_offset"],
        )
        exception.raw_payload = message.payload
        return exception
    kwargs: dict[str, Any] = {}
    body = body.copy()  # the caller's parse stays as the payload says
    sent = "message" in body
    text = body.pop("message", "")
    if not isinstance(text, str):
        body["message"], text = text, ""  # kept in extra, so it goes back on the wire as it was
    for name, key, kind in cls._fields:
        value = body.get(key)
        if isinstance(value, kind) and not isinstance(value, bool):
            kwargs[name] = body.pop(key)
    exception = cls(text, extra=body, **kwargs, **where)
    exception.message_sent = sent
    return exception


_JSON_HEADER = ("application/json",)


def _padding_for(
    event: BedrockEvent, padding: bool | str, rng: random.Random | None = None
) -> str | None:
    if padding is False:
        return None
    if isinstance(padding, str):
        chosen = padding
    elif event.padding is not None:
        chosen = event.padding
    else:
        # Random length: the padding exists to hide payload lengths (a side channel), so by
        # default from the system's CSPRNG; a given Random makes it reproducible (tests).
        size = len(PADDING_ALPHABET)
        length = 1 + (secrets.randbelow(size) if rng is None else rng.randrange(size))
        chosen = PADDING_ALPHABET[:length]
    if not _is_padding(chosen):
        raise EncodeError(f"padding {chosen!r} is not a prefix of {PADDING_ALPHABET!r}")
    return chosen


def _dumps(body: dict[str, Any]) -> bytes:
    try:
        return dumps(body)
    except ValueError as exc:  # NaN or an infinity: no JSON can carry it
        raise EncodeError(f"the event holds a value JSON cannot carry ({exc})") from None
    except RecursionError:
        raise EncodeError("the event's JSON nests too deeply to be written") from None


def exception_body(exception: BedrockException) -> dict[str, Any]:
    """The JSON object an exception frame carries: ``message``, the modelled fields that are
    set (``originalStatusCode``, ...) and the keys kept in ``extra``."""
    # A non-string "message" that arrived stays in extra and goes back as it came; one that
    # did not arrive is not invented.
    body: dict[str, Any] = {"message": exception.message} if exception.message_sent else {}
    body.update(exception.extra)
    for name, key, _ in exception._fields:
        value = getattr(exception, name)
        if value is not None:
            body[key] = value
    return body


def encode_event(
    event: TypedEvent, *, padding: bool | str = True, rng: random.Random | None = None
) -> Message:
    """Return the message Bedrock would send for ``event``.

    Events get the headers ``:event-type``, ``:content-type``, ``:message-type`` in that order
    and compact JSON with sorted keys; ``padding`` adds the ``"p"`` field: ``True`` keeps the
    event's own padding or draws a random-length prefix of :data:`PADDING_ALPHABET`, a string
    sets it, ``False`` leaves it out; ``rng`` (a :class:`random.Random`) draws the random
    lengths reproducibly, for tests and golden files. Exceptions get ``:exception-type``
    (lowerCamel) and a ``{"message": ...}`` payload without padding. Unknown events and
    exceptions, and decoded error frames, give back the message they were decoded from.
    """
    if type(event) is ContentBlockDelta and type(event.delta) is TextDelta and not event.extra:
        # Nearly every event a gateway sends: straight to the template (see below).
        fast = _text_delta_payload(event, event.delta, padding, rng)
        if fast is not None:
            headers, block = _DELTA_HEAD
            return message_from_wire(headers, block, fast)
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
            payload = _dumps(exception_body(event))
        return Message(
            {
                ":exception-type": event.exception_type,
                ":content-type": "application/json",
                ":message-type": "exception",
            },
            payload,
        )
    cls = type(event)
    head = _EVENT_HEADS.get(cls)
    if head is None:
        if not isinstance(event, BedrockEvent):
            raise InputTypeError(
                f"encode_event() takes a typed Bedrock event, not a {type(event).__name__}"
            )
        head = _EVENT_HEADS[cls] = _event_head(event.event_type)
    body = to_wire(event)
    # An extra "p" (one that was not Bedrock's padding) goes back as it came, unpadded.
    pad = None if "p" in body else _padding_for(event, padding, rng)
    if pad is not None:
        body["p"] = pad
    return message_from_wire(head[0], head[1], _dumps(body))


# Each event type's three headers, as a read-only mapping and as their wire bytes: the same
# for every event of a type, so built once (the encoder would otherwise encode them per event).
_EVENT_HEADS: dict[type, tuple[Mapping[str, HeaderValue], bytes]] = {}


def _event_head(event_type: str) -> tuple[Mapping[str, HeaderValue], bytes]:
    message = Message(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    )
    return message.headers, message.header_block()


_DELTA_HEAD = _EVENT_HEADS[ContentBlockDelta] = _event_head(ContentBlockDelta.event_type)


def _text_delta_payload(
    event: ContentBlockDelta, delta: TextDelta, padding: bool | str, rng: random.Random | None
) -> bytes | None:
    """The payload of a text delta without extra keys, written directly; ``None`` if the
    text has no UTF-8 form (then the general path escapes it).

    Text deltas are nearly every event of a Converse stream. Their JSON is a fixed template
    around the JSON string of the text, which json's C string encoder writes; the result is
    byte for byte what _dumps() gives (keys sorted: contentBlockIndex, delta, p), which the
    tests check. About twice as fast as building the dict and dumping it.
    """
    index = event.content_block_index
    if type(index) is not int or type(delta.text) is not str or delta.extra:
        return None
    text = _encode_string(delta.text)
    pad = _padding_for(event, padding, rng)
    tail = "}}" if pad is None else f'}},"p":"{pad}"}}'
    try:
        return f'{{"contentBlockIndex":{index},"delta":{{"text":{text}{tail}'.encode()
    except UnicodeEncodeError:
        return None


def events(
    source: SyncReader | Iterable[BytesLike],
    stream: StreamChoice,
    *,
    raise_exceptions: bool = True,
    strict: bool = False,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> Iterator[TypedEvent]:
    """Yield typed events from any byte source :func:`eventstream.iter_messages` accepts,
    or from one bytes-like buffer holding the whole stream.

    ``stream`` names the union, or is ``"auto"``: settled from the first event frame (see
    :class:`EventReader`). By default an exception frame is raised as its class (after every
    event before it was yielded); with ``raise_exceptions=False`` it is yielded as a value.
    The limits are the decoder's. As with :func:`eventstream.iter_frames`, every call after a
    failure raises :class:`eventstream.DecoderStateError`, a read timeout of the source
    raises :class:`eventstream.StreamStalledError`, and ``close()`` closes the source.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        source = (source,)  # one buffer: the whole stream
    reader = EventReader(stream, strict=strict)
    read = frame_reader(reader, raise_exceptions)

    # The typing runs inside the decoder's loop: one generator, where one over another
    # would cost a resume per event; text deltas and chunks by the reader's fast table.
    return iter_mapped(
        source, read, "bedrock.events()", fast=reader.fast, read_size=read_size,
        max_payload_length=max_payload_length, max_headers_length=max_headers_length,
    )  # fmt: skip


class _FrameReader(Protocol):
    def read_frame(self, frame: Frame) -> Any: ...


def frame_reader(reader: _FrameReader, raise_exceptions: bool) -> Callable[[Frame], Any]:
    """What ``events()`` and its kin map each frame with: ``reader.read_frame``, raising an
    exception frame's class when ``raise_exceptions`` (else it is a value, as a relay wants:
    then the bound method itself, no wrapper frame per event)."""
    read_frame = reader.read_frame
    if not raise_exceptions:
        return read_frame

    def read(frame: Frame) -> Any:
        event = read_frame(frame)
        if isinstance(event, BedrockException):
            raise event
        return event

    return read


class _MessageReader(Protocol):
    def read(self, message: Message) -> Any: ...


def typed_again(
    new_reader: Callable[[], _MessageReader],
) -> Callable[[tuple[Message, ...]], tuple[Any, ...]]:
    """A stall's events from its messages: the adapter kept the messages (a timeout is on),
    typed again once by a fresh reader, rather than kept twice. Each was typed without error
    on its way out."""

    def events_of(messages: tuple[Message, ...]) -> tuple[Any, ...]:
        again = new_reader()
        return tuple(again.read(message) for message in messages)

    return events_of


def aevents(
    source: AsyncReader | AsyncIterable[BytesLike],
    stream: StreamChoice,
    *,
    raise_exceptions: bool = True,
    strict: bool = False,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
    first_byte_timeout: float | None = None,
    idle_timeout: float | None = None,
) -> AsyncIterator[TypedEvent]:
    """The async twin of :func:`events`, over :func:`eventstream.aiter_messages` sources.

    ``first_byte_timeout`` and ``idle_timeout`` are :func:`eventstream.aiter_messages`' (in
    seconds, ``None``: no bound): a stall raises :class:`eventstream.StreamStalledError`
    whose ``events`` are the typed events so far (``reassemble(exc.events)``: the partial
    answer). ``aclose()`` closes the source at once.
    """
    reader = EventReader(stream, strict=strict)
    read = frame_reader(reader, raise_exceptions)
    again = typed_again(lambda: EventReader(stream, strict=strict, warn=False))
    return aiter_mapped(
        source, read, "bedrock.aevents()", events_of=again, fast=reader.fast,
        read_size=read_size,
        max_payload_length=max_payload_length, max_headers_length=max_headers_length,
        first_byte_timeout=first_byte_timeout, idle_timeout=idle_timeout,
    )  # fmt: skip


# --- the other services' streams -------------------------------------------------------------
#
# eventstream.bedrock.engine registers each service layer's streams here when it is imported
# (eventstream.bedrock.agent, eventstream.sagemaker, eventstream.awslambda), so EventReader,
# stream="auto", stream_from_path and the CLI know them. Bedrock Runtime's streams keep their
# paths: a reader on another service's stream becomes a _ServiceEventReader once, when it is
# made or settled, so no Bedrock event pays a lookup.


class _ServiceUnion(Protocol):
    name: str

    def event_class(self, event_type: str) -> Any: ...

    def matches_path(self, url: str) -> bool: ...

    def decode(
        self, message: Message, *, strict: bool, frame_index: int | None, offset: int | None
    ) -> Any: ...


_SERVICE_STREAMS: dict[str, _ServiceUnion] = {}
#: Event type -> the first registered service stream that has it (for stream="auto").
_SERVICE_EVENT_TYPES: dict[str, str] = {}


def _register_service_streams(streams: Mapping[str, Any]) -> None:
    for name, union in streams.items():
        if name in STREAMS:  # pragma: no cover - a declaration error
            raise ValueError(f"stream {name!r} is Bedrock Runtime's")
        _SERVICE_STREAMS[name] = union
        for cls in union.events:
            # Bedrock Runtime's own event types ("chunk") stay Bedrock Runtime's.
            if cls.event_type not in _ANY_EVENT:
                _SERVICE_EVENT_TYPES.setdefault(cls.event_type, name)


class _ServiceEventReader(EventReader):
    """An :class:`EventReader` on another service's stream: its union types the frames."""

    __slots__ = ()

    def read(
        self,
        message: Message,
        *,
        offset: int | None = None,
        frame_index: int | None = None,
        payload_json: Any = None,
    ) -> TypedEvent:
        assert self.stream is not None
        union = _SERVICE_STREAMS[self.stream]
        event: TypedEvent = union.decode(
            message, strict=self.strict, frame_index=frame_index, offset=offset
        )
        return event

    def read_frame(self, frame: Frame) -> TypedEvent:
        return self.read(frame.message, offset=frame.offset, frame_index=frame.frame_index)
