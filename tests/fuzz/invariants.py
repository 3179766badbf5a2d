"""The invariants every harness checks; plain functions, so regression tests call them too.

Each function takes one fuzz input and either returns or raises ``InvariantViolation``. Any
other exception escaping the library propagates unchanged, which is the finding a fuzzer
reports as a crash: the library must parse or raise :class:`eventstream.EventStreamError`.
"""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import eventstream as es

__all__ = [
    "InvariantViolation",
    "LIMIT_PROFILES",
    "Outcome",
    "check_decode",
    "check_decode_and_fixed",
    "check_decoder",
    "fix_crcs",
    "split_input",
]


class InvariantViolation(AssertionError):
    """The library returned or raised something the spec forbids for this input."""


#: Limit settings the decoder harness picks from (the last control byte's low 2 bits).
LIMIT_PROFILES: tuple[dict[str, int | None], ...] = (
    {},
    {"max_payload_length": None, "max_headers_length": None},
    {"max_payload_length": 64, "max_headers_length": 64},
    {"max_payload_length": 0, "max_headers_length": 0},
)


def _fail(message: str, data: bytes) -> InvariantViolation:
    return InvariantViolation(f"{message} (input {len(data)} bytes: {data[:64].hex()}...)")


def _check_error(exc: es.EventStreamError, data: bytes) -> None:
    if exc.offset is None or not 0 <= exc.offset <= len(data):
        raise _fail(f"{type(exc).__name__} has offset {exc.offset!r}", data)
    if exc.frame_index is None or exc.frame_offset is None:
        raise _fail(f"{type(exc).__name__} lacks frame_index/frame_offset", data)
    # Formatting the message must never fail either (it runs in user tracebacks).
    str(exc)
    repr(exc)


def check_decode(data: bytes) -> None:
    """``decode()`` returns a message that re-encodes to ``data``, or raises our error."""
    try:
        message = es.decode(data)
    except es.EventStreamError as exc:
        _check_error(exc, data)
        if exc.frame_index != 0 or exc.frame_offset != 0:
            raise _fail("decode() reports a frame other than frame 0", data) from exc
        return
    if message.encode() != data:
        raise _fail("an accepted frame does not re-encode to its own bytes", data)
    repr(message)


def fix_crcs(data: bytes) -> bytes:
    """Recompute the CRCs of every frame the length fields delimit, keeping the lengths.

    A coverage-guided fuzzer cannot forge a CRC-32, so without this nearly every mutation
    stops at the prelude check; with it the length checks and the header parser are reached.
    """
    out = bytearray(data)
    pos = 0
    while pos + 12 <= len(out):
        total = struct.unpack_from(">I", out, pos)[0]
        struct.pack_into(">I", out, pos + 8, zlib.crc32(out[pos : pos + 8]))
        if total < 16 or pos + total > len(out):
            break
        end = pos + total - 4
        struct.pack_into(">I", out, end, zlib.crc32(out[pos:end]))
        pos += total
    return bytes(out)


def check_decode_and_fixed(data: bytes) -> None:
    """:func:`check_decode` on the input as given and with its CRCs recomputed."""
    check_decode(data)
    fixed = fix_crcs(data)
    if fixed != data:
        check_decode(fixed)


@dataclass
class Outcome:
    """What a :class:`eventstream.Decoder` made of a whole input."""

    messages: list[es.Message]
    error: es.EventStreamError | None

    def key(self) -> tuple[object, ...]:
        error = self.error
        if error is None:
            return (self.messages, None)
        where = (type(error), error.offset, error.frame_index, error.frame_offset)
        return (self.messages, where)


#: A piece of input as the harness feeds it: bytes, or a view of a bytearray.
Chunk = bytes | bytearray | memoryview


def _run_decoder(chunks: list[Chunk] | None, limits: dict[str, int | None], data: bytes) -> Outcome:
    """Feed ``chunks`` (``None``: what ``Decoder.needed`` asks for each time), then close."""
    decoder = es.Decoder(**limits)
    messages: list[es.Message] = []
    try:
        if chunks is None:
            pos = 0
            while pos < len(data):
                needed = decoder.needed
                if needed <= 0:
                    raise _fail(f"Decoder.needed is {needed}", data)
                got = decoder.feed(data[pos : pos + needed])
                if len(got) > 1:
                    raise _fail("feeding Decoder.needed bytes completed two messages", data)
                messages += got
                pos += needed
        else:
            for chunk in chunks:
                messages += decoder.feed(chunk)
        decoder.close()
    except es.EventStreamError as exc:
        _check_error(exc, data)
        messages += exc.messages
        # A failed decoder stays failed, whatever it is given next.
        try:
            decoder.feed(b"\x00")
        except es.DecoderStateError as again:
            if again.__cause__ is not exc:
                raise _fail("DecoderStateError does not chain the first error", data) from exc
        else:
            raise _fail("a failed decoder accepted more input", data) from exc
        return Outcome(messages, exc)
    return Outcome(messages, None)


def split_input(data: bytes) -> tuple[bytes, list[Chunk] | None, dict[str, int | None]]:
    """Read the decoder harness's input: ``body + 2 control bytes`` -> body, chunks, limits.

    Bits 0-1 of the big-endian control value pick the limits (:data:`LIMIT_PROFILES`), bit 2
    recomputes the body's CRCs (:func:`fix_crcs`), bit 3 hands the chunks over as
    memoryviews of a bytearray instead of bytes. The rest, the seed, chooses the cuts: 0
    feeds one byte at a time; 1 gives ``None``, for feeding what ``Decoder.needed`` asks;
    any other value seeds chunk sizes of 0..40 bytes (empty chunks included), so the fuzzer
    can steer where cuts fall.
    """
    if len(data) < 2:
        return data, [data], {}
    body = data[:-2]
    control = int.from_bytes(data[-2:], "big")
    limits = LIMIT_PROFILES[control & 3]
    if control & 4:
        body = fix_crcs(body)
    seed = control >> 4
    if seed == 1:
        return body, None, limits
    if seed == 0:
        bounds = [(i, i + 1) for i in range(len(body))]
    else:
        rng = random.Random(seed)
        bounds = []
        pos = 0
        while pos < len(body):
            size = rng.randint(0, 40)
            bounds.append((pos, pos + size))
            pos += size
    if control & 8:
        view = memoryview(bytearray(body))
        return body, [view[a:b] for a, b in bounds], limits
    return body, [body[a:b] for a, b in bounds], limits


def check_decoder(data: bytes) -> None:
    """``Decoder`` gives the same result whatever the cuts, consistent with ``decode()``.

    Checked: every error is ours and carries offsets; messages and the error (class, offset,
    frame) are identical for the whole input fed at once and for the fuzz-chosen cuts; the
    messages re-encode to exactly the bytes consumed; frame 0 agrees with ``decode()``; and
    ``Decoder.mapped`` over the same cuts gives the same payloads and error.
    """
    body, chunks, limits = split_input(data)
    whole = _run_decoder([body], limits, body)
    split = _run_decoder(chunks, limits, body)
    if whole.key() != split.key():
        raise _fail(f"cuts changed the outcome: {whole.key()!r} vs {split.key()!r}", data)
    consumed = b"".join(m.encode() for m in whole.messages)
    if not body.startswith(consumed):
        raise _fail("decoded messages do not re-encode to the bytes they came from", data)
    error = whole.error
    if error is None:
        if len(consumed) != len(body):
            raise _fail("close() succeeded with bytes left over", data)
    elif error.frame_index != len(whole.messages) or error.frame_offset != len(consumed):
        raise _fail("the error names the wrong frame", data)
    _agree_with_decode(body, whole, limits)
    if chunks is not None:
        mapped = _run_mapped(chunks, limits)
        if mapped != ([m.payload for m in whole.messages], whole.key()[1]):
            raise _fail(f"Decoder.mapped disagrees with feed: {mapped[1]!r}", data)


def _run_mapped(
    chunks: list[Chunk], limits: dict[str, int | None]
) -> tuple[list[bytes], tuple[object, ...] | None]:
    """The payloads and the error (as Outcome.key's) by ``Decoder.mapped``, with a fast table
    that learns every header block it reads and takes even-length payloads: both of its
    paths, and the general one, on the same frames."""
    decoder = es.Decoder(**limits)
    fast: dict[bytes, Any] = {}

    def take(payload: bytes) -> bytes | None:
        return payload if len(payload) % 2 == 0 else None

    def read(frame: es.Frame) -> bytes:
        block = frame.message.header_block()
        if block not in fast:
            fast[block] = (take, read)
        return frame.message.payload

    payloads: list[bytes] = []
    try:
        for chunk in chunks:
            payloads.extend(decoder.mapped(chunk, read, fast))
        decoder.close()
    except es.EventStreamError as exc:
        return payloads, (type(exc), exc.offset, exc.frame_index, exc.frame_offset)
    return payloads, None


def _agree_with_decode(body: bytes, outcome: Outcome, limits: dict[str, int | None]) -> None:
    """Frame 0 as ``decode()`` sees it must match what the ``Decoder`` made of it."""
    try:
        first = es.decode(body, **limits)
    except es.TrailingDataError as exc:
        if not outcome.messages or exc.offset != len(outcome.messages[0].encode()):
            raise _fail("decode() saw a whole first frame the Decoder did not", body) from exc
    except es.TruncatedError as exc:
        error = outcome.error
        if not body:  # no frame at all: a valid, empty stream for the Decoder
            if outcome.messages or error is not None:
                raise _fail("the Decoder made something of an empty stream", body) from exc
        elif outcome.messages or not isinstance(error, es.TruncatedError):
            raise _fail("decode() saw a truncated frame, the Decoder did not", body) from exc
    except es.EventStreamError as exc:
        error = outcome.error
        if outcome.messages or error is None or type(error) is not type(exc):
            raise _fail(f"decode() raised {exc!r}, the Decoder {error!r}", body) from exc
        if error.offset != exc.offset:
            raise _fail("decode() and the Decoder disagree on the offset", body) from exc
    else:
        if outcome.messages != [first] or outcome.error is not None:
            raise _fail("decode() accepted one frame, the Decoder did something else", body)
