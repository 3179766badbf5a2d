"""A capture's body decoded frame by frame: each frame's place, its parsed payload and, with
Bedrock typing, its typed event; the reassembled answer they amount to.

One pass of the decoder over the body; each payload parsed once (and a Claude chunk's JSON
once more): whatever shows a frame reads what is kept here.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from zlib import crc32

from .._codec import Limits, check_prelude, decode_body
from .._decoder import Decoder, Frame
from .._errors import EventStreamError, InputTypeError, TruncatedError
from .._message import (
    DEFAULT_MAX_HEADERS_LENGTH,
    DEFAULT_MAX_PAYLOAD_LENGTH,
    MIN_FRAME_LENGTH,
    PRELUDE_LENGTH,
    Message,
)
from ..awslambda import STREAMS as _LAMBDA_STREAMS
from ..bedrock import (
    STREAMS,
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
from ..bedrock.agent import STREAMS as _AGENT_STREAMS
from ..bedrock.failclosed import Ending, FailClosed
from ..sagemaker import STREAMS as _SAGEMAKER_STREAMS
from ._formats import Body, check_read_size
from ._text import anthropic_detail, converse_detail, preview_bytes

__all__ = [
    "CapturedFrame", "CaptureDecoder", "Decoded", "Gap", "decode_frames", "NOT_JSON",
    "STREAM_NAMES",
]  # fmt: skip

_READ_SIZE = 64 * 1024
_PRELUDE = struct.Struct(">III")


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


@dataclass(frozen=True)
class Gap:
    """Bytes ``--resync`` skipped: from ``offset``, ``length`` bytes up to the next valid frame
    (or the end of the body); ``fault`` is the error the damage raised there."""

    offset: int
    length: int
    fault: EventStreamError
    #: Whether the gap runs to the end of the body (no valid frame after it).
    to_end: bool = False

    @property
    def reason(self) -> str:
        """Why the bytes were skipped, in words."""
        return f"{type(self.fault).__name__}: {self.fault.message}"


#: Frames an ``"auto"`` decoder holds back while no event frame has settled the stream.
MAX_WAITING_FRAMES = 256


#: Every stream the capture tools can type: Bedrock Runtime's, then the other services'
#: (importing their layers, above, registers them with the Bedrock EventReader).
STREAM_NAMES: tuple[str, ...] = (
    *STREAMS, *_AGENT_STREAMS, *_SAGEMAKER_STREAMS, *_LAMBDA_STREAMS,
)  # fmt: skip

#: The streams whose events amount to one answer the Reassembler reads (``None``: not
#: settled yet, as a stream of exception frames alone stays).
_REASSEMBLED: frozenset[StreamName | None] = frozenset({"converse", "invoke", None})


class CaptureDecoder:
    """Decode one body frame by frame, optionally typing each frame as a Bedrock event.

    :meth:`frames` yields every frame up to a fault, then raises the
    :class:`EventStreamError`; a Bedrock payload that does not fit its shape is not a fault
    (the framing is intact): that frame carries ``event_error`` and decoding goes on.
    ``stream`` is a stream name, or ``None`` to settle it from the body's URL hint or its
    first event frame. ``bedrock="auto"`` types the frames only if the stream settles (the
    frames before its first event frame wait for it, up to :data:`MAX_WAITING_FRAMES`).
    ``on_progress`` is called with the number of bytes consumed so far. With ``resync``, a
    damaged frame does not end the body: :meth:`items` yields a :class:`Gap` for the bytes
    skipped to the next frame whose prelude and message checksums hold, and goes on.

    Memory is bounded by a read and the largest frame, whatever the body's size: frames are
    handed out as they are decoded and not kept. The iterations fail closed: after one
    raised, every call raises :class:`~eventstream.DecoderStateError`.
    """

    def __init__(
        self,
        body: Body,
        *,
        bedrock: bool | Literal["auto"] = False,
        stream: StreamName | None = None,
        on_progress: Callable[[int], None] | None = None,
        read_size: int = _READ_SIZE,
        resync: bool = False,
    ) -> None:
        if not isinstance(body, Body):
            raise InputTypeError(
                f"CaptureDecoder takes a capture.Body, not a {type(body).__name__} "
                "(capture.Body(data) for bytes)"
            )
        check_read_size(read_size, "CaptureDecoder")
        self.body = body
        self.bedrock = bedrock
        self.on_progress = on_progress
        self.read_size = read_size
        self.resync = resync
        # Settles the stream during the one pass, typing or not (for the CLI's hint).
        # (A stream given that the events belie shows as unknown events in the output.)
        hint = None if stream else body.stream_hint
        self.reader = EventReader(stream or "auto", hint=hint, warn=False)
        self.reassembler = Reassembler() if bedrock else None
        if bedrock == "auto" and self.reader.stream is not None:
            self.bedrock = True  # the URL said
        self.frame_count = 0
        self.bytes_decoded = 0
        #: Bytes of the body read so far (all of it once the frames are exhausted).
        self.bytes_read = 0
        self.gap_count = 0
        self.gap_bytes = 0

    def gap(self, start: int, end: int, fault: EventStreamError, *, to_end: bool = False) -> Gap:
        """The :class:`Gap` from ``start`` to ``end``, counted."""
        self.gap_count += 1
        self.gap_bytes += end - start
        return Gap(start, end - start, fault, to_end)

    @property
    def stream(self) -> StreamName | None:
        """The Bedrock stream in use (settled as the frames come; ``None`` if unknown)."""
        return self.reader.stream

    @property
    def stream_note(self) -> str:
        """How :attr:`stream` was chosen."""
        return self.reader.stream_note

    def reassembled(self) -> Reassembled | None:
        """The answer the frames so far amount to, or ``None``: no Bedrock typing, or a
        stream that is not an answer (another service's, Nova Sonic's bidirectional one)."""
        if self.reassembler is None or self.bedrock is not True:
            return None
        if self.stream not in _REASSEMBLED:
            return None
        return self.reassembler.result()

    def frames(self) -> Iterator[CapturedFrame]:
        """Yield each frame in order; raise the stream's fault after the frames before it."""
        ending = Ending("CaptureDecoder.frames()")
        return FailClosed(self._frames(ending), ending)

    def _frames(self, ending: Ending) -> Generator[CapturedFrame, None, None]:
        # _items records a failure in ``ending``, which follows this generator in the chain.
        for item in self._items(ending):
            if isinstance(item, CapturedFrame):
                yield item

    def items(self) -> Iterator[CapturedFrame | Gap]:
        """Like :meth:`frames`, with a :class:`Gap` for each run of bytes ``resync`` skipped."""
        ending = Ending("CaptureDecoder.items()")
        return FailClosed(self._items(ending), ending)

    def _items(self, ending: Ending) -> Generator[CapturedFrame | Gap, None, None]:
        # The failure is recorded here, not by a generator around this one: that would cost
        # a resume per frame.
        try:
            waiting: list[Frame | Gap] = []  # "auto": frames before the stream is known
            try:
                for item in self._decoded():
                    if self.bedrock == "auto":
                        waiting.append(item)
                        if isinstance(item, Gap):
                            continue
                        if not self._settles(item):
                            if len(waiting) < MAX_WAITING_FRAMES:
                                continue
                            self.bedrock = False  # no event frame so far: not a Bedrock stream
                        else:
                            self.bedrock = self.reader.stream is not None
                        yield from map(self._item, waiting)
                        waiting.clear()
                    else:
                        yield self._item(item)
            except EventStreamError:
                yield from self._untyped(waiting)
                raise
            yield from self._untyped(waiting)
        except GeneratorExit:
            raise
        except BaseException as exc:
            ending.fail(exc)
            raise

    def _settles(self, frame: Frame) -> bool:
        # Settled by the first event frame, whether its type names a stream or none.
        self.reader.settle(frame.message)
        headers = frame.message.headers
        return self.reader.stream is not None or (
            headers.get(":message-type") == "event" and isinstance(headers.get(":event-type"), str)
        )

    def _untyped(self, waiting: list[Frame | Gap]) -> Iterator[CapturedFrame | Gap]:
        # "auto" and the stream never settled: the frames that waited for it, untyped.
        if waiting:
            self.bedrock = False
            yield from map(self._item, waiting)

    def _item(self, item: Frame | Gap) -> CapturedFrame | Gap:
        return item if isinstance(item, Gap) else self._frame(item)

    def _reads(self) -> Iterator[bytes | memoryview]:
        for chunk in self.body.chunks(self.read_size):
            self.bytes_read += len(chunk)
            yield chunk
            if self.on_progress is not None:
                self.on_progress(self.bytes_read)

    def _decoded(self) -> Iterator[Frame | Gap]:
        if self.resync:
            yield from _resynced(self._reads(), self)
            return
        decoder = Decoder()
        for chunk in self._reads():
            yield from decoder.frames(chunk)
        decoder.close()

    def _frame(self, frame: Frame) -> CapturedFrame:
        self.frame_count += 1
        self.bytes_decoded += frame.length
        message = frame.message
        if self.bedrock is not True:
            self.reader.settle(message)  # for the CLI's "these are Bedrock events" hint
            return CapturedFrame(frame)
        # read_frame, not read(payload_json=...): a text delta or a chunk (nearly every
        # frame) is then typed without parsing its payload, which CapturedFrame parses only
        # if a view shows it (--summary and the table do not): 11 -> 8 us a frame.
        try:
            event = self.reader.read_frame(frame)
        except BedrockPayloadError as exc:
            return CapturedFrame(frame, event_error=exc)
        assert self.reassembler is not None
        if self.reader.stream not in _REASSEMBLED:
            # An agent's or SageMaker's stream, say: typed, but not a Bedrock answer.
            return CapturedFrame(frame, event)
        if isinstance(event, Chunk):
            chunk_json = _parsed(event.bytes) if event.bytes is not None else NOT_JSON
            if chunk_json is NOT_JSON:
                self.reassembler.add(event)  # it records the chunk that is not JSON
                return CapturedFrame(frame, event)
            anthropic = read_anthropic(chunk_json)  # for the event's detail
            self.reassembler.add_chunk_json(chunk_json)  # read as its model family
            return CapturedFrame(frame, event, chunk_json=chunk_json, anthropic=anthropic)
        self.reassembler.add(event)
        return CapturedFrame(frame, event)


_LIMITS = Limits()
#: The largest frame the capture decoder accepts (its default limits): what bounds how far
#: ahead a resynchronising search reads for one candidate.
MAX_FRAME_LENGTH = MIN_FRAME_LENGTH + DEFAULT_MAX_HEADERS_LENGTH + DEFAULT_MAX_PAYLOAD_LENGTH
# A frame's first byte is the top byte of its total length: at most this, under the limits.
# Searching for it skips, in C, the bytes no frame can start at.
_FIRST_BYTE = re.compile(b"[\x00-" + re.escape(bytes([MAX_FRAME_LENGTH >> 24])) + b"]")


def _valid_frame_at(buf: bytearray, pos: int, ended: bool) -> int | None:
    """The length of a valid frame at ``buf[pos:]``; 0 if more bytes are needed to tell;
    ``None`` if no frame starts there. The 12-byte prelude's checksum is tried first, so the
    message checksum runs only for the rare candidate that passes it."""
    if len(buf) - pos < PRELUDE_LENGTH:
        return None if ended else 0
    total, headers_length, prelude_crc = _PRELUDE.unpack_from(buf, pos)
    if crc32(buf[pos : pos + 8]) != prelude_crc:
        return None
    try:
        check_prelude(buf, pos, _LIMITS)
    except EventStreamError:
        return None
    if len(buf) - pos < total:
        return None if ended else 0
    try:
        decode_body(buf, pos, total, headers_length, prelude_crc)
    except EventStreamError:
        return None
    return int(total)


def _resynced(reads: Iterator[bytes | memoryview], owner: CaptureDecoder) -> Iterator[Frame | Gap]:
    """The frames of ``reads``, with a :class:`Gap` over each damaged run of bytes.

    After a fault, the search for the next frame starts one byte into the damaged one and
    takes the first offset whose prelude checksum, lengths and message checksum hold. The
    bytes kept are those not yet decoded: at most a read and the largest frame.
    """
    buf = bytearray()
    base = 0  # stream offset of buf[0]
    pos = 0  # where decoding (or the search) is in buf
    index = 0
    gap: tuple[int, EventStreamError] | None = None  # searching: where from, and why
    ended = False
    while True:
        while True:
            if gap is not None:
                match = _FIRST_BYTE.search(buf, pos)
                if match is None:
                    pos = len(buf)
                    if ended:
                        yield owner.gap(gap[0], base + pos, gap[1], to_end=True)
                        return
                    break
                pos = match.start()
                length = _valid_frame_at(buf, pos, ended)
                if length == 0:
                    break  # more bytes needed to tell
                if length is None:
                    pos += 1
                    continue
                yield owner.gap(gap[0], base + pos, gap[1])
                gap = None
            if len(buf) - pos < PRELUDE_LENGTH:
                if not ended:
                    break
                if pos == len(buf):
                    return
                gap = (base + pos, _truncated(buf, pos, base, index, None))
                pos += 1
                continue
            try:
                total, headers_length, prelude_crc = check_prelude(buf, pos, _LIMITS, base, index)
                if len(buf) - pos < total:
                    if not ended:
                        break
                    raise _truncated(buf, pos, base, index, total)
                message = decode_body(buf, pos, total, headers_length, prelude_crc, base, index)
            except EventStreamError as exc:
                gap = (base + pos, exc)
                pos += 1
                continue
            yield Frame(message, base + pos, total, index)
            pos += total
            index += 1
        # Drop what is done with; read on.
        del buf[:pos]
        base += pos
        pos = 0
        if ended:
            return  # pragma: no cover - every ended path returns above
        chunk = next(reads, None)
        if chunk is None:
            ended = True
        else:
            buf += chunk


def _truncated(
    buf: bytearray, pos: int, base: int, index: int, total: int | None
) -> TruncatedError:
    received = len(buf) - pos
    what, expected = ("frame", total) if total else ("prelude", PRELUDE_LENGTH)
    return TruncatedError(
        f"the stream ended after {received} of the {what}'s {expected} bytes",
        expected=expected,
        received=received,
        offset=base + len(buf),
        frame_index=index,
        frame_offset=base + pos,
    )


@dataclass(frozen=True)
class Decoded:
    """A body decoded to frames: every frame before the ``fault`` (``None`` if there is none).

    With Bedrock typing, ``stream`` is the Bedrock stream used (``stream_note`` says how it
    was chosen) and ``reassembled`` the message the frames amount to, partial after a fault.
    ``seen_stream`` is the Bedrock stream the frames are, typed or not (``None``: not one).
    ``size`` is the body's length in bytes; ``gaps`` the runs of bytes a resynchronising
    decoder skipped, in order.
    """

    body: Body
    frames: Sequence[CapturedFrame]
    fault: EventStreamError | None = None
    stream: StreamName | None = None
    stream_note: str = ""
    reassembled: Reassembled | None = None
    seen_stream: StreamName | None = None
    size: int = -1
    gaps: tuple[Gap, ...] = ()

    def __post_init__(self) -> None:
        if self.size < 0:
            object.__setattr__(self, "size", len(self.body.data))

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
    resync: bool = False,
) -> Decoded:
    """Decode every frame of ``body``; a fault ends the frames and is kept, not raised.

    Every frame is kept: for a body of any size, iterate a :class:`CaptureDecoder` instead.
    """
    decoder = CaptureDecoder(
        body, bedrock=bedrock, stream=stream, on_progress=on_progress, resync=resync
    )
    frames: list[CapturedFrame] = []
    gaps: list[Gap] = []
    fault: EventStreamError | None = None
    try:
        for item in decoder.items():
            (gaps if isinstance(item, Gap) else frames).append(item)  # type: ignore[arg-type]
    except EventStreamError as exc:
        fault = exc
    size = decoder.bytes_read
    if decoder.reassembler is None or decoder.bedrock is not True:
        return Decoded(
            body, tuple(frames), fault, seen_stream=decoder.stream, size=size, gaps=tuple(gaps)
        )
    return Decoded(
        body, tuple(frames), fault, decoder.stream, decoder.stream_note,
        decoder.reassembled(), decoder.stream, size, tuple(gaps),
    )  # fmt: skip
