"""A capture's body decoded frame by frame: each frame's place, its parsed payload and, with
Bedrock typing, its typed event; the reassembled answer they amount to.

One pass of the decoder over the body; each payload parsed once (and a Claude chunk's JSON
once more): whatever shows a frame reads what is kept here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from .._decoder import Decoder, Frame
from .._errors import EventStreamError
from .._message import Message
from ..bedrock import (
    AnthropicEvent,
    BedrockEvent,
    BedrockException,
    BedrockPayloadError,
    Chunk,
    ErrorFrame,
    EventReader,
    Reassembled,
    Reassembler,
    StreamName,
    TypedEvent,
    UnknownEvent,
    UnknownException,
    read_anthropic,
)
from ..bedrock._json import json_text, loads
from ._formats import Body
from ._text import anthropic_detail, converse_detail, preview_bytes

__all__ = ["CapturedFrame", "CaptureDecoder", "Decoded", "decode_frames", "NOT_JSON"]

_READ_SIZE = 64 * 1024


class _NotJson:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_JSON"


#: ``CapturedFrame.payload_json`` of a payload that is not strict JSON.
NOT_JSON: Any = _NotJson()


def _parsed(data: bytes) -> Any:
    try:
        return loads(data)
    except ValueError:
        return NOT_JSON


class CapturedFrame:
    """One decoded frame of a capture: where it starts, its length, its message.

    ``payload_json`` is the payload's strict JSON (:data:`NOT_JSON` if it is not JSON),
    parsed on first use unless decoding needed it. With Bedrock typing, ``event`` is the
    typed event (``None`` if its payload did not fit its declared shape; ``event_error``
    then says why), and ``anthropic`` the Anthropic event a Claude ``chunk`` carries.
    """

    __slots__ = ("index", "offset", "length", "message", "event", "event_error", "anthropic",
                 "chunk_json", "_payload_json")  # fmt: skip

    def __init__(
        self,
        frame: Frame,
        event: TypedEvent | None = None,
        event_error: BedrockPayloadError | None = None,
        *,
        payload_json: Any = None,
        chunk_json: Any = NOT_JSON,
        anthropic: AnthropicEvent | None = None,
    ) -> None:
        self.message: Message = frame.message
        self.offset: int = frame.offset
        self.length: int = frame.length
        self.index: int = frame.frame_index
        self.event = event
        self.event_error = event_error
        #: The JSON inside a ``chunk``'s bytes (:data:`NOT_JSON` if none).
        self.chunk_json: Any = chunk_json
        self.anthropic = anthropic
        self._payload_json = payload_json

    @property
    def payload_json(self) -> Any:
        """The payload as strict JSON, or :data:`NOT_JSON`."""
        if self._payload_json is None:
            self._payload_json = _parsed(self.message.payload) if self.message.payload else NOT_JSON
        return self._payload_json

    @property
    def message_type(self) -> str:
        """The ``:message-type`` header (``""`` if absent or not a string)."""
        return _text_header(self.message, ":message-type")

    @property
    def name(self) -> str:
        """``:event-type``, ``:exception-type`` or ``:error-code``, by message type."""
        key = {"exception": ":exception-type", "error": ":error-code"}.get(
            self.message_type, ":event-type"
        )
        return _text_header(self.message, key)

    @property
    def event_name(self) -> str:
        """The typed event's name: for a Claude ``chunk``, its Anthropic event type."""
        event = self.event
        if self.anthropic is not None:
            return self.anthropic.type
        if isinstance(event, UnknownException):
            return event.name
        if isinstance(event, ErrorFrame):
            return f"error {event.error_code}"
        if isinstance(event, BedrockException):
            return event.exception_type
        if isinstance(event, BedrockEvent | UnknownEvent):
            return event.event_type or "(no :event-type)"
        return self.name or "(none)"

    def event_detail(self) -> str:
        """The typed event on one line: the fields that matter, not the wire noise."""
        event = self.event
        if self.event_error is not None:
            return f"payload error: {self.event_error.message}"
        if self.anthropic is not None:
            return anthropic_detail(self.anthropic)
        if isinstance(event, Chunk):
            if self.chunk_json is not NOT_JSON:
                return json_text(self.chunk_json)
            return preview_bytes(event.bytes or b"")
        if isinstance(event, ErrorFrame):
            return event.message
        if isinstance(event, UnknownException):
            return f"HTTP {event.status_code} (not in the stream's union): {event.message}"
        if isinstance(event, BedrockException):
            retry = "retryable" if event.retryable else "not retryable"
            return f"HTTP {event.status_code}, {retry}: {event.message}"
        if isinstance(event, UnknownEvent):
            union = f"the {event.stream} stream's union" if event.stream else "any union"
            return f"not in {union}: {self.payload_preview()}"
        if isinstance(event, BedrockEvent):
            return converse_detail(event)
        return self.payload_preview()

    def payload_preview(self) -> str:
        """The payload on one line: printable text as is, other bytes as hex."""
        return preview_bytes(self.message.payload)

    def _key(self) -> tuple[Any, ...]:
        return (self.index, self.offset, self.length, self.message, self.event, self.event_error)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CapturedFrame):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # equal by value, and not immutable

    def __repr__(self) -> str:
        return f"CapturedFrame(index={self.index}, offset={self.offset}, length={self.length})"


def _text_header(message: Message, name: str) -> str:
    value = message.headers.get(name)
    return value if isinstance(value, str) else ""


class CaptureDecoder:
    """Decode one body frame by frame, optionally typing each frame as a Bedrock event.

    :meth:`frames` yields every frame up to a fault, then raises the
    :class:`EventStreamError`; a Bedrock payload that does not fit its shape is not a fault
    (the framing is intact): that frame carries ``event_error`` and decoding goes on.
    ``stream`` is a stream name, or ``None`` to settle it from the body's URL hint or its
    first event frame. ``bedrock="auto"`` types the frames only if the stream settles (the
    frames before its first event frame wait for it). ``on_progress`` is called with the
    number of bytes consumed so far.
    """

    def __init__(
        self,
        body: Body,
        *,
        bedrock: bool | Literal["auto"] = False,
        stream: StreamName | None = None,
        on_progress: Callable[[int], None] | None = None,
        read_size: int = _READ_SIZE,
    ) -> None:
        self.body = body
        self.bedrock = bedrock
        self.on_progress = on_progress
        self.read_size = read_size
        # Settles the stream during the one pass, typing or not (for the CLI's hint).
        # (A stream given that the events belie shows as unknown events in the output.)
        hint = None if stream else body.stream_hint
        self.reader = EventReader(stream or "auto", hint=hint, warn=False)
        self.reassembler = Reassembler() if bedrock else None
        if bedrock == "auto" and self.reader.stream is not None:
            self.bedrock = True  # the URL said
        self.frame_count = 0
        self.bytes_decoded = 0

    @property
    def stream(self) -> StreamName | None:
        """The Bedrock stream in use (settled as the frames come; ``None`` if unknown)."""
        return self.reader.stream

    @property
    def stream_note(self) -> str:
        """How :attr:`stream` was chosen."""
        return self.reader.stream_note

    def frames(self) -> Iterator[CapturedFrame]:
        """Yield each frame in order; raise the stream's fault after the frames before it."""
        waiting: list[Frame] = []  # "auto": frames before the stream is known
        try:
            for frame in self._decoded():
                if self.bedrock == "auto":
                    waiting.append(frame)
                    if not self._settles(frame):
                        continue
                    self.bedrock = True
                    yield from map(self._frame, waiting)
                    waiting.clear()
                else:
                    yield self._frame(frame)
        except EventStreamError:
            yield from self._untyped(waiting)
            raise
        yield from self._untyped(waiting)

    def _settles(self, frame: Frame) -> bool:
        self.reader.settle(frame.message)
        return self.reader.stream is not None

    def _untyped(self, waiting: list[Frame]) -> Iterator[CapturedFrame]:
        # "auto" and the stream never settled: the frames that waited for it, untyped.
        if waiting:
            self.bedrock = False
            yield from map(self._frame, waiting)

    def _decoded(self) -> Iterator[Frame]:
        data = self.body.data
        decoder = Decoder()
        view = memoryview(data)
        for start in range(0, len(data), self.read_size):
            yield from decoder.frames(view[start : start + self.read_size])
            if self.on_progress is not None:
                self.on_progress(min(start + self.read_size, len(data)))
        decoder.close()

    def _frame(self, frame: Frame) -> CapturedFrame:
        self.frame_count += 1
        self.bytes_decoded += frame.length
        message = frame.message
        if self.bedrock is not True:
            self.reader.settle(message)  # for the CLI's "these are Bedrock events" hint
            return CapturedFrame(frame)
        payload_json = _parsed(message.payload) if message.payload else NOT_JSON
        try:
            event = self.reader.read(
                message,
                offset=frame.offset,
                frame_index=frame.frame_index,
                payload_json=None if payload_json is NOT_JSON else payload_json,
            )
        except BedrockPayloadError as exc:
            return CapturedFrame(frame, event_error=exc, payload_json=payload_json)
        assert self.reassembler is not None
        if isinstance(event, Chunk):
            chunk_json = _parsed(event.bytes) if event.bytes is not None else NOT_JSON
            if chunk_json is NOT_JSON:
                self.reassembler.add(event)  # it records the chunk that is not JSON
                return CapturedFrame(frame, event, payload_json=payload_json)
            anthropic = read_anthropic(chunk_json)
            self.reassembler.add_anthropic(anthropic)
            return CapturedFrame(
                frame, event, payload_json=payload_json, chunk_json=chunk_json,
                anthropic=anthropic,
            )  # fmt: skip
        self.reassembler.add(event)
        return CapturedFrame(frame, event, payload_json=payload_json)


@dataclass(frozen=True)
class Decoded:
    """A body decoded to frames: every frame before the ``fault`` (``None`` if there is none).

    With Bedrock typing, ``stream`` is the Bedrock stream used (``stream_note`` says how it
    was chosen) and ``reassembled`` the message the frames amount to, partial after a fault.
    ``seen_stream`` is the Bedrock stream the frames are, typed or not (``None``: not one).
    """

    body: Body
    frames: tuple[CapturedFrame, ...]
    fault: EventStreamError | None = None
    stream: StreamName | None = None
    stream_note: str = ""
    reassembled: Reassembled | None = None
    seen_stream: StreamName | None = None

    @property
    def bytes_decoded(self) -> int:
        """Bytes of the body that formed whole, valid frames."""
        return sum(frame.length for frame in self.frames)


def decode_frames(
    body: Body,
    *,
    bedrock: bool | Literal["auto"] = False,
    stream: StreamName | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Decoded:
    """Decode every frame of ``body``; a fault ends the frames and is kept, not raised."""
    decoder = CaptureDecoder(body, bedrock=bedrock, stream=stream, on_progress=on_progress)
    frames: list[CapturedFrame] = []
    fault: EventStreamError | None = None
    try:
        frames.extend(decoder.frames())
    except EventStreamError as exc:
        fault = exc
    if decoder.reassembler is None or decoder.bedrock is not True:
        return Decoded(body, tuple(frames), fault, seen_stream=decoder.stream)
    return Decoded(
        body, tuple(frames), fault, decoder.stream, decoder.stream_note,
        decoder.reassembler.result(), decoder.stream,
    )  # fmt: skip
