"""The incremental, sans-IO decoder: feed it byte slices of any size, get messages back."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, TypeVar, cast
from zlib import crc32

from ._codec import (
    _U32,
    DEFAULT_MAX_HEADERS_LENGTH,
    DEFAULT_MAX_PAYLOAD_LENGTH,
    Limits,
    _with_hint,
    as_byte_view,
    check_prelude,
    decode_body,
)
from ._errors import DecoderStateError, EventStreamError, TruncatedError
from ._message import MIN_FRAME_LENGTH, PRELUDE_LENGTH, Message

__all__ = ["Decoder", "Frame"]

T = TypeVar("T")

_PRELUDE = struct.Struct(">III")
_NO_LIMIT = 1 << 32
#: A pending frame up to this size is copied out to bytes (a copy, but bytes slice cheaply),
#: a larger one read through a view (no copy): benchmarks/README.md, "Thresholds".
_COPY_OUT_MAX = 8192
# tuple.__new__ on the class skips NamedTuple's Python-level __new__: a third of the cost of
# a Frame, which Decoder.frames() makes for every message.
_new_frame = tuple.__new__


class Frame(NamedTuple):
    """A decoded message and where its frame sat in the stream."""

    #: The decoded message.
    message: Message
    #: Stream offset of the frame's first byte.
    offset: int
    #: The frame's total length in bytes (its prelude's first field).
    length: int
    #: Zero-based index of the frame in the stream.
    frame_index: int


class Decoder:
    """Decode a stream of frames from byte slices that fall anywhere.

    ``feed(data)`` returns every message that ``data`` completes; :meth:`messages` and
    :meth:`frames` yield them one at a time instead (``frames`` with each frame's offset,
    length and index). ``close()`` ends the input and raises :class:`TruncatedError` if a
    frame is pending. The prelude is checked as soon as its 12 bytes arrive, so a bogus
    length is rejected before anything is buffered toward it. After any error the decoder
    fails closed: every later call raises :class:`DecoderStateError`.

    Work is linear in the bytes fed: complete frames are decoded in place from the fed
    buffer, and only the incomplete frame at its end is copied (once) into an internal
    buffer.
    """

    # Theory of operation.
    #
    # State: ``_buffer`` holds the one incomplete frame (possibly empty). While fewer than 12
    # of its bytes are known, ``_total`` is 0; once its prelude has passed check_prelude,
    # ``_total``, ``_headers_length`` and ``_prelude_crc`` describe it. ``_offset`` is where
    # that frame (or the next one) starts in the stream and ``_frame_index`` its index.
    # ``_failure`` is set by the first error and ``_closed`` by close(); either makes every
    # later call raise DecoderStateError (fail closed: no call after a fault can look like
    # a clean stream).
    #
    # Each call to _run() (feed, messages, frames) first finishes the pending frame from
    # the head of ``data``, copying only the bytes it lacks; then decodes every whole frame
    # straight from ``data`` (no copy but payloads); then keeps the tail in ``_buffer``.
    #
    # The ``_room`` invariant: ``_room`` is the number of bytes feed() may append to
    # ``_buffer`` without completing the pending prelude or frame, i.e. without decoding
    # anything. feed() uses it for reads too small to matter (a trickling socket: 7-byte
    # reads are 3x botocore, benchmarks/README.md) without entering the generator. It is 0
    # while a call is running, after an error and after close(), so those calls always take
    # the checked path; a call that completes sets it again from the pending frame.
    #
    # The fast loop inlines check_prelude's conditions for the frame that passes them all:
    # calling it for every frame costs 6 to 10% of the 4 KiB-read rate (interleaved A/B runs:
    # benchmarks/README.md, "Thresholds"). A frame failing any condition goes
    # to check_prelude, which raises the precise error; the inline test only picks the path.

    __slots__ = (
        "_limits",
        "_max_payload",
        "_max_headers",
        "_buffer",
        "_total",
        "_headers_length",
        "_prelude_crc",
        "_offset",
        "_frame_index",
        "_failure",
        "_closed",
        "_room",
    )

    def __init__(
        self,
        *,
        max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
        max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
    ) -> None:
        self._limits = Limits(max_payload_length, max_headers_length)
        # The limits as plain ints for the per-frame check (a u32 length never exceeds 2**32).
        self._max_payload = _NO_LIMIT if max_payload_length is None else max_payload_length
        self._max_headers = _NO_LIMIT if max_headers_length is None else max_headers_length
        self._buffer = bytearray()
        self._total = 0
        self._headers_length = 0
        self._prelude_crc = 0
        self._offset = 0
        self._frame_index = 0
        self._failure: EventStreamError | None = None
        self._closed = False
        self._room = PRELUDE_LENGTH

    @property
    def offset(self) -> int:
        """Stream offset where the next (or the pending) frame starts."""
        return self._offset

    @property
    def frame_index(self) -> int:
        """Number of frames decoded so far: the index of the next frame."""
        return self._frame_index

    @property
    def pending(self) -> int:
        """Bytes held of an incomplete frame."""
        return len(self._buffer)

    @property
    def needed(self) -> int:
        """Bytes that would complete the pending prelude, or the pending frame once its
        prelude is known (12 when nothing is pending). Feeding at most this much decodes at
        most one message, which lets a reader hand messages out one at a time."""
        return (self._total or PRELUDE_LENGTH) - len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Message]:
        """Take the next slice of the stream; return the messages it completes, in order.

        On a fault the error is raised at once; messages this call had completed before it
        are on the error as ``messages``, so none are lost.
        """
        # Fast path for reads too small to complete anything (a socket trickling bytes):
        # keep them and return. Only plain bytes, and only while usable (see _room).
        if type(data) is bytes and (size := len(data)) < self._room:
            self._room -= size
            self._buffer += data
            return []
        messages: list[Message] = []
        try:
            # extend() keeps what it took before an error, so those messages are not lost.
            messages.extend(self._run(data, False))
        except EventStreamError as exc:
            exc.messages = tuple(messages)
            raise
        return messages

    def messages(self, data: bytes | bytearray | memoryview) -> Iterator[Message]:
        """Take the next slice of the stream; yield each message it completes, as decoded.

        What :meth:`feed` collects, one at a time, so that only one message of a large read
        need be alive. Messages before a fault are yielded before it is raised. Run the
        iterator to the end: stopping early fails the decoder (the rest of ``data`` would be
        lost).
        """
        return cast(Iterator[Message], self._run(data, False))

    def frames(self, data: bytes | bytearray | memoryview) -> Iterator[Frame]:
        """Like :meth:`messages`, yielding each message as a :class:`Frame`: the message, the
        stream offset and length of its frame, and its index."""
        return cast(Iterator[Frame], self._run(data, True))

    def mapped(
        self,
        data: bytes | bytearray | memoryview,
        read: Callable[[Frame], T],
        fast: Mapping[bytes, tuple[Callable[[bytes], T | None], Callable[[Frame], T]]]
        | None = None,
    ) -> Iterator[T]:
        """Like :meth:`frames`, yielding ``read(frame)`` for each frame: for a typed layer.

        ``fast`` maps the bytes of a header block to ``(try_payload, miss)``. A frame of up
        to 8 KiB in ``bytes`` data whose block is a key, once its checksum is checked, has its
        payload given to ``try_payload``; what that returns, unless ``None``, is yielded for
        the frame with no :class:`Message` or :class:`Frame` made, else ``miss(frame)`` is.
        ``try_payload`` must give what ``read`` would (or ``None``). Whatever ``read``,
        ``try_payload`` or ``miss`` raises fails the decoder, as any error does.
        """
        return cast(Iterator[T], self._run(data, True, read, fast))

    def _run(
        self,
        data: bytes | bytearray | memoryview,
        located: bool,
        read: Callable[[Frame], Any] | None = None,
        fast: Mapping[bytes, Any] | None = None,
    ) -> Iterator[Any]:
        # One generator serves messages(), frames() and mapped(): ``located`` and ``read``
        # pick what is yielded, so the loop exists once and feed() pays no Frame per message.
        if self._failure is not None or self._closed:
            self._check_usable()
        self._room = 0  # stays 0 if anything below raises
        try:
            if type(data) is bytes:
                # Bytes are read as they are: slicing them costs less than slicing a view.
                yield from self._frames(data, located, read, fast)
            else:
                # Where the data would go in the stream, for an InputTypeError's position.
                # (A view's slices are not keys of ``fast``: that table is for bytes only.)
                at = self._offset + len(self._buffer)
                with as_byte_view(data, at, self._frame_index, self._offset) as view:
                    yield from self._frames(view, located, read, None)
        except EventStreamError as exc:
            self._failure = exc
            raise
        except GeneratorExit:
            self._failure = DecoderStateError(
                "a feed was stopped before all its messages were taken",
                offset=self._offset,
                frame_index=self._frame_index,
                frame_offset=self._offset,
            )
            raise
        except BaseException as exc:
            # Another exception (mapped()'s read, or an interrupt) leaves the rest of the
            # data unread: the decoder fails closed, as it does when a feed is stopped.
            self._failure = DecoderStateError(
                f"a feed stopped on {type(exc).__name__} before all its messages were taken",
                offset=self._offset,
                frame_index=self._frame_index,
                frame_offset=self._offset,
            )
            raise
        self._room = (self._total or PRELUDE_LENGTH) - len(self._buffer)

    def _frames(
        self,
        view: bytes | memoryview,
        located: bool,
        read: Callable[[Frame], Any] | None,
        fast: Mapping[bytes, Any] | None,
    ) -> Iterator[Any]:
        limits = self._limits
        size = len(view)
        pos = 0
        buffer = self._buffer
        if buffer:
            # Finish the pending frame first, copying only the bytes it still lacks.
            if not self._total:
                take = min(PRELUDE_LENGTH - len(buffer), size)
                buffer += view[:take]
                pos = take
                if len(buffer) < PRELUDE_LENGTH:
                    return
                self._total, self._headers_length, self._prelude_crc = check_prelude(
                    buffer, 0, limits, self._offset, self._frame_index
                )
            total = self._total
            take = min(total - len(buffer), size - pos)
            buffer += view[pos : pos + take]
            pos += take
            if len(buffer) < total:
                return
            start, index = self._offset, self._frame_index
            if total <= _COPY_OUT_MAX:
                # A small frame is copied out whole: slicing bytes beats slicing a view.
                message = decode_body(
                    bytes(buffer), 0, total, self._headers_length, self._prelude_crc,
                    start, index,
                )  # fmt: skip
            else:
                # A view, so the CRC reads a large frame in place; released before clear().
                with memoryview(buffer) as view_of_buffer:
                    message = decode_body(
                        view_of_buffer, 0, total, self._headers_length, self._prelude_crc,
                        start, index,
                    )  # fmt: skip
            self._offset = start + total
            self._frame_index = index + 1
            self._total = 0
            buffer.clear()
            if not located:
                yield message
            elif read is None:
                yield _new_frame(Frame, (message, start, total, index))
            else:
                yield read(_new_frame(Frame, (message, start, total, index)))
        if size - pos < PRELUDE_LENGTH:
            # Not even a prelude left (the usual end of a small read).
            buffer += view[pos:]
            return
        # Fast path: whole frames straight from the caller's buffer, no copies but payloads.
        base = self._offset - pos
        frame_index = self._frame_index
        max_headers, max_payload = self._max_headers, self._max_payload
        unpack_crc = _U32.unpack_from
        try:
            while size - pos >= PRELUDE_LENGTH:
                total, headers_length, prelude_crc = _PRELUDE.unpack_from(view, pos)
                # check_prelude's checks, inline for the frame that passes them all (see the
                # theory of operation above).
                if (
                    crc32(view[pos : pos + 8]) != prelude_crc
                    or total < MIN_FRAME_LENGTH
                    or headers_length > total - MIN_FRAME_LENGTH
                    or headers_length > max_headers
                    or total - headers_length - MIN_FRAME_LENGTH > max_payload
                ):
                    check_prelude(view, pos, limits, base, frame_index)
                if size - pos < total:
                    self._total, self._headers_length, self._prelude_crc = (
                        total,
                        headers_length,
                        prelude_crc,
                    )
                    break
                if fast and total <= _COPY_OUT_MAX:
                    # mapped(): a frame whose header block the layer above knows is offered
                    # to it by its payload, with no Message or Frame made (a third of the
                    # cost of a Bedrock text delta, benchmarks/README.md).
                    body = pos + PRELUDE_LENGTH + headers_length
                    end = pos + total - 4
                    # (``view`` is bytes here: _run passes no table with a memoryview.)
                    entry = fast.get(view[pos + PRELUDE_LENGTH : body])  # type: ignore[arg-type]
                    if (
                        entry is not None
                        and crc32(view[pos + 8 : end], prelude_crc) == unpack_crc(view, end)[0]
                    ):
                        at, index = pos, frame_index
                        pos += total
                        frame_index += 1
                        item = entry[0](view[body:end])
                        if item is None:
                            message = decode_body(
                                view, at, total, headers_length, prelude_crc, base, index, True
                            )
                            item = entry[1](_new_frame(Frame, (message, base + at, total, index)))
                        yield item
                        continue
                message = decode_body(
                    view, pos, total, headers_length, prelude_crc, base, frame_index
                )
                # Advance before handing the message out: the state is right at every yield.
                pos += total
                frame_index += 1
                if not located:
                    yield message
                elif read is None:
                    yield _new_frame(Frame, (message, base + pos - total, total, frame_index - 1))
                else:
                    yield read(
                        _new_frame(Frame, (message, base + pos - total, total, frame_index - 1))
                    )
        finally:
            # On an error too: offset and frame_index then say where the failing frame starts.
            self._offset = base + pos
            self._frame_index = frame_index
        if pos < size:
            buffer += view[pos:]

    def close(self) -> None:
        """End the input; raise :class:`TruncatedError` if a frame is incomplete."""
        self._check_usable()
        self._closed = True
        self._room = 0
        if self._buffer:
            received = len(self._buffer)
            expected = self._total or PRELUDE_LENGTH
            what = "frame" if self._total else "prelude"
            message = f"the stream ended after {received} of the {what}'s {expected} bytes"
            if not self._total:
                message = _with_hint(message, bytes(self._buffer))
            self._failure = TruncatedError(
                message,
                expected=expected,
                received=received,
                offset=self._offset + received,
                frame_index=self._frame_index,
                frame_offset=self._offset,
            )
            raise self._failure

    def _check_usable(self) -> None:
        if self._failure is not None:
            raise DecoderStateError(
                f"the decoder failed earlier and stays failed ({self._failure.message})",
                offset=self._failure.offset,
                frame_index=self._failure.frame_index,
                frame_offset=self._failure.frame_offset,
            ) from self._failure
        if self._closed:
            raise DecoderStateError(
                "the decoder is closed", offset=self._offset, frame_index=self._frame_index
            )
