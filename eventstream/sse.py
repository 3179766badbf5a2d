"""Server-Sent Events (``text/event-stream``): a strict, incremental, sans-IO codec.

The format the Anthropic and OpenAI streaming APIs speak, read and written as the WHATWG
HTML standard's "event stream interpretation" says: lines end in CRLF, LF or CR; ``event:``,
``data:`` (one or more, joined with newlines), ``id:`` and ``retry:`` fields; lines starting
with ``:`` are comments; a blank line dispatches the event; a leading byte order mark is
skipped. OpenAI ends its streams with a ``data: [DONE]`` event (:data:`DONE`).

Strict where the standard is lenient, as the frame codec is: text that is not UTF-8, a
line or event over its limit, and a stream that ends inside an event are errors (subclasses
of :class:`eventstream.EventStreamError` with the byte offset and event index), never
silently repaired or dropped. Nothing here does I/O: :meth:`SSEDecoder.feed` takes bytes as
they come and returns the events they complete.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import (
    ConfigurationError,
    EncodeError,
    EventStreamError,
    LimitExceededError,
    TruncatedError,
)

__all__ = [
    "ServerSentEvent",
    "SSEDecoder",
    "SSEError",
    "encode_sse",
    "decode_sse",
    "DONE",
    "DEFAULT_MAX_LINE_LENGTH",
    "DEFAULT_MAX_EVENT_LENGTH",
]

#: The data of the event OpenAI sends last: ``data: [DONE]``.
DONE = "[DONE]"
#: Bytes one line may hold (its field name, value and line ending).
DEFAULT_MAX_LINE_LENGTH = 1024 * 1024
#: Bytes the lines of one event may add up to.
DEFAULT_MAX_EVENT_LENGTH = 24 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"


class SSEError(EventStreamError):
    """Text that is not a well-formed event stream (invalid UTF-8, a field that cannot be
    written). ``frame_index`` is the index of the event concerned."""


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event: its type (``"message"`` when no ``event:`` field came), its data
    (the ``data:`` lines joined with newlines), and the ``id:`` and ``retry:`` in force."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None

    def encode(self) -> bytes:
        """The event's lines, ending in the blank line that dispatches it."""
        return encode_sse(self.data, event=self.event, id=self.id, retry=self.retry)


class SSEDecoder:
    """Decode an event stream from byte slices that fall anywhere.

    ``feed(data)`` returns the events ``data`` completes; ``close()`` ends the input and
    raises :class:`eventstream.TruncatedError` if an event was begun but not dispatched (the
    standard drops it; a stream cut short must not look complete). After an error every
    later call raises it again: the decoder fails closed.
    """

    __slots__ = (
        "_buffer", "_offset", "_index", "_event", "_data", "_has_data", "_id", "_retry",
        "_pending", "_event_start", "_event_bytes", "_started", "_failure", "_closed", "_cr",
        "max_line_length", "max_event_length",
    )  # fmt: skip

    def __init__(
        self,
        *,
        max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
        max_event_length: int = DEFAULT_MAX_EVENT_LENGTH,
    ) -> None:
        for name, value in (("max_line_length", max_line_length),
                            ("max_event_length", max_event_length)):  # fmt: skip
            if not (type(value) is int and value >= 1):
                raise ConfigurationError(f"{name} must be a positive int, not {value!r}")
        self.max_line_length = max_line_length
        self.max_event_length = max_event_length
        self._buffer = bytearray()  # the incomplete line
        self._offset = 0  # stream offset of _buffer[0]
        self._index = 0  # events dispatched so far
        self._event = ""
        self._data: list[str] = []
        self._has_data = False
        self._id: str | None = None
        self._retry: int | None = None
        self._pending = False  # a field of the next event has been read
        self._event_start = 0  # where that event's first line starts
        self._event_bytes = 0
        self._started = False  # the byte order mark is looked for only at the start
        self._failure: EventStreamError | None = None
        self._closed = False
        self._cr = False  # the last line ended in CR: an LF right after it is that ending

    def feed(self, data: bytes | bytearray | memoryview) -> list[ServerSentEvent]:
        """Take the next slice of the stream; return the events it completes, in order.

        On a fault the error is raised; events this call completed before it are on the
        error as ``messages``.
        """
        self._check_usable()
        events: list[ServerSentEvent] = []
        try:
            self._feed(bytes(data), events)
        except EventStreamError as exc:
            exc.messages = tuple(events)
            self._failure = exc
            raise
        return events

    def _feed(self, data: bytes, events: list[ServerSentEvent]) -> None:
        buffer = self._buffer
        if not data:
            return
        if self._cr and data[:1] == b"\n":
            # The LF of a CRLF split across two feeds.
            data = data[1:]
            self._offset += 1
        self._cr = False
        # What the buffer held is an unfinished line, with no line ending: the search starts
        # after it. (From the start, one long line fed a byte at a time was quadratic.)
        scan = len(buffer)
        buffer += data
        if not self._started:
            if len(buffer) < len(_BOM) and _BOM.startswith(buffer):
                return  # could still be a byte order mark
            self._started = True
            scan = 0
            if buffer.startswith(_BOM):
                del buffer[: len(_BOM)]
                self._offset += len(_BOM)
        start = 0
        size = len(buffer)
        # Most streams end lines with LF alone: with no CR in what is left, the search for
        # one per line is skipped (a tenth of the cost of a line).
        any_cr = buffer.find(b"\r", scan) >= 0
        line = self._line
        while True:
            # The next line ending: LF, CR, or CRLF, whichever comes first.
            lf = buffer.find(b"\n", scan)
            cr = buffer.find(b"\r", scan, lf if lf >= 0 else size) if any_cr else -1
            end = cr if cr >= 0 else lf
            if end < 0:
                break
            if cr >= 0 and cr + 1 == size:
                # A CR at the very end: its LF, if any, is in the next feed.
                line(buffer[start:cr], self._offset + start, events)
                self._cr = True
                start = size
                break
            width = 2 if cr >= 0 and buffer[cr + 1 : cr + 2] == b"\n" else 1
            # (A bytearray slice: _line only measures and decodes it.)
            line(buffer[start:end], self._offset + start, events)
            start = scan = end + width
        if start:
            del buffer[:start]
            self._offset += start
        if len(buffer) > self.max_line_length:
            raise self._over(
                f"a line runs past max_line_length={self.max_line_length} bytes with no end",
                "max_line_length", len(buffer), self._offset,
            )  # fmt: skip

    def _line(self, raw: bytes | bytearray, offset: int, events: list[ServerSentEvent]) -> None:
        if len(raw) > self.max_line_length:
            raise self._over(
                f"a line of {len(raw)} bytes is over max_line_length={self.max_line_length}",
                "max_line_length", len(raw), offset,
            )  # fmt: skip
        if not raw:
            self._dispatch(events)
            return
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SSEError(
                f"the event stream is not UTF-8 ({exc.reason})",
                offset=offset + exc.start,
                frame_index=self._index,
                frame_offset=offset,
            ) from None
        self._event_bytes += len(raw) + 1
        if self._event_bytes > self.max_event_length:
            raise self._over(
                f"an event's lines add up to more than max_event_length={self.max_event_length}",
                "max_event_length", self._event_bytes, offset,
            )  # fmt: skip
        if line[0] == ":":
            return  # a comment
        if not self._pending:
            self._pending, self._event_start = True, offset  # a field: an event has begun
        if line.startswith("data: "):  # nearly every line of a stream: no partition
            self._data.append(line[6:])
            self._has_data = True
            return
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._has_data = True
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:  # the standard ignores an id with NUL
            self._id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        # Other field names are ignored, as the standard says.

    def _over(self, text: str, limit_name: str, actual: int, offset: int) -> LimitExceededError:
        return LimitExceededError(
            text,
            limit_name=limit_name,
            limit=getattr(self, limit_name),
            actual=actual,
            total_length=actual,
            headers_length=0,
            offset=offset,
            frame_index=self._index,
            frame_offset=offset,
        )

    def _dispatch(self, events: list[ServerSentEvent]) -> None:
        if self._has_data:
            events.append(
                ServerSentEvent(
                    "\n".join(self._data), self._event or "message", self._id, self._retry
                )
            )
            self._index += 1
        # No data: nothing is dispatched (the standard), and the event type is reset.
        self._event, self._data, self._has_data = "", [], False
        self._pending, self._event_bytes = False, 0

    def close(self) -> None:
        """End the input; raise :class:`eventstream.TruncatedError` if an event is unfinished."""
        self._check_usable()
        self._closed = True
        if self._buffer or self._pending:
            # A last line without its ending is part of the unfinished event.
            received = len(self._buffer) + self._event_bytes
            self._failure = TruncatedError(
                f"the event stream ended inside event {self._index} ({received} bytes of it, "
                "with no blank line to dispatch it)",
                expected=received + 1,
                received=received,
                offset=self._offset + len(self._buffer),
                frame_index=self._index,
                frame_offset=self._event_start if self._pending else self._offset,
            )
            raise self._failure

    def _check_usable(self) -> None:
        if self._failure is not None:
            raise self._failure
        if self._closed:
            raise SSEError("the SSE decoder is closed", offset=self._offset)


def decode_sse(data: bytes | bytearray | memoryview) -> list[ServerSentEvent]:
    """Decode a whole event stream; raise as :class:`SSEDecoder` does (a stream that ends
    inside an event included)."""
    decoder = SSEDecoder()
    events = decoder.feed(data)
    try:
        decoder.close()
    except EventStreamError as exc:
        exc.messages = tuple(events)
        raise
    return events


def encode_sse(
    data: str,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
) -> bytes:
    """One event as UTF-8 lines ending in ``\\n``, then the blank line that dispatches it.

    ``data`` may hold newlines (each line becomes a ``data:`` line; CR and CRLF are line
    ends too, so they come back as LF); ``event`` ``"message"`` or ``None`` is left out.
    ``event`` and ``id`` cannot hold a line ending, nor ``id`` a NUL: :class:`EncodeError`.
    """
    if not isinstance(data, str):
        raise EncodeError(f"data must be str, not {type(data).__name__}")
    lines: list[str] = []
    if event is not None and event != "message":
        lines.append(f"event: {_field('event', event)}")
    if id is not None:
        if "\0" in _field("id", id):
            raise EncodeError("an SSE id cannot hold NUL (a reader ignores it)")
        lines.append(f"id: {id}")
    if retry is not None:
        if not (type(retry) is int and retry >= 0):
            raise EncodeError(f"retry is a non-negative int of milliseconds, not {retry!r}")
        lines.append(f"retry: {retry}")
    text = data.replace("\r\n", "\n").replace("\r", "\n")
    lines.extend(f"data: {line}" for line in text.split("\n"))
    try:
        return ("\n".join(lines) + "\n\n").encode("utf-8")
    except UnicodeEncodeError as exc:
        raise EncodeError(f"SSE text must be valid Unicode ({exc.reason})") from None


def _field(name: str, value: str) -> str:
    if not isinstance(value, str):
        raise EncodeError(f"the SSE {name} must be str, not {type(value).__name__}")
    if "\n" in value or "\r" in value:
        raise EncodeError(f"the SSE {name} {value!r} holds a line ending")
    return value
