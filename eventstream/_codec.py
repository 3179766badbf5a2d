"""Frame decoding: the prelude checks, the strict header parser and :func:`decode`.

Check order (``docs/format.md``): prelude CRC before either length is trusted; then
total >= 16, headers <= total - 16 and the configured limits, before any buffering; then
the message CRC; then the headers, strictly inside their block.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from zlib import crc32

from ._errors import (
    FrameLengthError,
    HeaderError,
    InputTypeError,
    LimitExceededError,
    MessageChecksumError,
    PreludeChecksumError,
    TrailingDataError,
    TruncatedError,
)
from ._headers import (
    HEADER_TYPE_BY_NAME,
    HEADER_TYPES,
    LENGTH_PREFIXED,
    MAX_HEADER_VALUE_BYTES,
    Byte,
    HeaderValue,
    Integer,
    Long,
    Short,
    Timestamp,
)
from ._message import (
    DEFAULT_MAX_HEADERS_LENGTH,
    DEFAULT_MAX_PAYLOAD_LENGTH,
    MIN_FRAME_LENGTH,
    PRELUDE_LENGTH,
    Message,
    check_limit,
    message_from_wire,
)

__all__ = [
    "Limits",
    "DEFAULT_MAX_PAYLOAD_LENGTH",
    "DEFAULT_MAX_HEADERS_LENGTH",
    "decode",
    "describe_non_eventstream",
]

# DEFAULT_MAX_PAYLOAD_LENGTH and DEFAULT_MAX_HEADERS_LENGTH live in _message, whose encoder
# enforces them too; they are imported above and exported from here as before.

_PRELUDE = struct.Struct(">III")
#: A larger frame in bytes is checksummed through a view (no copy), a smaller one from a slice
#: (cheaper to make): benchmarks/README.md, "Thresholds".
_SMALL_FRAME = 4096
_U32 = struct.Struct(">I")


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits a decoder enforces; ``None`` lifts a limit (the u32 fields still bound it)."""

    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH

    def __post_init__(self) -> None:
        check_limit("max_payload_length", self.max_payload_length)
        check_limit("max_headers_length", self.max_headers_length)


DEFAULT_LIMITS = Limits()


def describe_non_eventstream(data: bytes) -> str | None:
    """Say what ``data`` looks like when it is clearly not an event stream, else ``None``.

    Used for the hint in prelude errors: a JSON error body fed to a binary decoder should
    not surface as a bare "checksum mismatch 0x223a7b22" (litellm #20589).
    """
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return None
    if text[:1] in (b"{", b"["):
        return "this looks like a JSON document (an HTTP error body?), not an event stream"
    if text.startswith((b"data:", b"event:", b"id:", b"retry:", b": ")):
        return "this looks like Server-Sent Events text (text/event-stream), not an event stream"
    if text[:1] == b"<":
        return "this looks like HTML or XML (an error page?), not an event stream"
    if text.startswith(b"HTTP/"):
        return "this looks like a raw HTTP response; decode its body, not the status line"
    if len(text) >= 16 and all(c in b"0123456789abcdefABCDEF \t\r\n" for c in text):
        return "this looks like hex text; convert it to bytes first"
    b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n"
    if len(text) >= 16 and text.startswith(b"AAA") and all(c in b64 for c in text):
        return "this looks like base64 text; decode it to bytes first"
    if all(32 <= c < 127 or c in b"\t\r\n" for c in text):
        return "this looks like plain text, not a binary event stream"
    return None


def as_byte_view(
    data: bytes | bytearray | memoryview,
    offset: int = 0,
    frame_index: int = 0,
    frame_offset: int | None = None,
) -> memoryview:
    """Return a flat unsigned-byte view of any bytes-like object (use it as a context manager).

    ``offset``, ``frame_index`` and ``frame_offset`` (default: ``offset``) say where in the
    stream ``data`` goes, for the error.
    """
    where = {
        "offset": offset,
        "frame_index": frame_index,
        "frame_offset": offset if frame_offset is None else frame_offset,
    }
    try:
        view = memoryview(data)
    except TypeError:
        raise InputTypeError(
            f"expected bytes, bytearray or memoryview, not {type(data).__name__}", **where
        ) from None
    # A strided view (memoryview(b)[::2]) has the right format but no flat buffer for zlib.
    if not view.c_contiguous:
        view.release()
        raise InputTypeError("a memoryview must be C-contiguous to be decoded", **where)
    if view.format == "B" and view.ndim == 1:
        return view
    return view.cast("B")


def _with_hint(message: str, excerpt: bytes) -> str:
    hint = describe_non_eventstream(excerpt)
    if hint is None:
        return message
    return f"{hint} (first bytes: {excerpt[:32]!r}); {message}"


def check_prelude(
    buf: bytes | bytearray | memoryview,
    pos: int,
    limits: Limits,
    base: int = 0,
    frame_index: int = 0,
) -> tuple[int, int, int]:
    """Validate the 12-byte prelude at ``buf[pos:]``; return ``(total, headers, prelude_crc)``.

    ``base`` is the stream offset of ``buf[0]``, used only for error offsets.
    """
    total, headers_length, prelude_crc = _PRELUDE.unpack_from(buf, pos)
    actual = crc32(buf[pos : pos + 8])
    start = base + pos
    if actual != prelude_crc:
        excerpt = bytes(buf[pos : pos + 64])
        raise PreludeChecksumError(
            _with_hint(
                f"prelude checksum mismatch: the frame says 0x{prelude_crc:08x}, "
                f"its first 8 bytes give 0x{actual:08x}",
                excerpt,
            ),
            expected=prelude_crc,
            actual=actual,
            offset=start + 8,
            frame_index=frame_index,
            frame_offset=start,
        )
    if total < MIN_FRAME_LENGTH:
        raise FrameLengthError(
            f"total length {total} is below the minimum frame of {MIN_FRAME_LENGTH} bytes",
            total_length=total,
            headers_length=headers_length,
            offset=start,
            frame_index=frame_index,
            frame_offset=start,
        )
    if headers_length > total - MIN_FRAME_LENGTH:
        raise FrameLengthError(
            f"headers length {headers_length} runs past the frame: a total length of {total} "
            f"leaves room for at most {total - MIN_FRAME_LENGTH}",
            total_length=total,
            headers_length=headers_length,
            offset=start + 4,
            frame_index=frame_index,
            frame_offset=start,
        )
    limit = limits.max_headers_length
    if limit is not None and headers_length > limit:
        raise LimitExceededError(
            f"headers length {headers_length} exceeds max_headers_length={limit}",
            limit_name="max_headers_length",
            limit=limit,
            actual=headers_length,
            total_length=total,
            headers_length=headers_length,
            offset=start + 4,
            frame_index=frame_index,
            frame_offset=start,
        )
    limit = limits.max_payload_length
    payload_length = total - headers_length - MIN_FRAME_LENGTH
    if limit is not None and payload_length > limit:
        raise LimitExceededError(
            f"payload length {payload_length} exceeds max_payload_length={limit}",
            limit_name="max_payload_length",
            limit=limit,
            actual=payload_length,
            total_length=total,
            headers_length=headers_length,
            offset=start,
            frame_index=frame_index,
            frame_offset=start,
        )
    return total, headers_length, prelude_crc


def decode_body(  # noqa: PLR0917 - the per-frame hot path: positional calls are cheaper
    buf: bytes | bytearray | memoryview,
    pos: int,
    total: int,
    headers_length: int,
    prelude_crc: int,
    base: int = 0,
    frame_index: int = 0,
    checked: bool = False,
) -> Message:
    """Decode the frame at ``buf[pos:pos+total]`` whose prelude :func:`check_prelude` passed
    (and whose message CRC the caller has checked, if ``checked``).

    ``buf`` is best the caller's ``bytes`` object itself: slicing bytes costs less than
    slicing a view.
    """
    end = pos + total - 4
    if not checked:
        # A large frame in bytes is checksummed through a view, so the CRC does not copy it.
        src = memoryview(buf) if total > _SMALL_FRAME and type(buf) is bytes else buf
        (message_crc,) = _U32.unpack_from(buf, end)
        # The prelude CRC is the running CRC of bytes 0..8; continue it, not restart.
        actual = crc32(src[pos + 8 : end], prelude_crc)
        if actual != message_crc:
            raise MessageChecksumError(
                f"message checksum mismatch: the frame says 0x{message_crc:08x}, "
                f"its bytes give 0x{actual:08x}",
                expected=message_crc,
                actual=actual,
                offset=base + end,
                frame_index=frame_index,
                frame_offset=base + pos,
            )
    headers_start = pos + PRELUDE_LENGTH
    payload_start = headers_start + headers_length
    # Slicing bytes copies in one step, where bytes(view[a:b]) makes a view first: that is
    # a tenth of the time of a small frame.
    if type(buf) is bytes:
        block, payload = buf[headers_start:payload_start], buf[payload_start:end]
    else:
        block, payload = bytes(buf[headers_start:payload_start]), bytes(buf[payload_start:end])
    headers: Mapping[str, HeaderValue]
    parsed = _parsed_blocks.get(block)
    if parsed is None:
        try:
            headers = MappingProxyType(parse_headers(block, base + headers_start, frame_index))
        except HeaderError as exc:
            # parse_headers sees only the block; the frame's start is known here.
            exc.frame_offset = base + pos
            raise
        if len(block) <= _PARSED_BLOCK_MAX_BYTES:
            if len(_parsed_blocks) >= _PARSED_BLOCKS_MAX:
                _parsed_blocks.clear()
            _parsed_blocks[block] = block, headers
    else:
        # The cached block too, so that messages share one copy of it.
        block, headers = parsed
    return message_from_wire(headers, block, payload)


# Header blocks already parsed, by their bytes: the block and its headers. A stream repeats
# a handful of blocks (every Bedrock `chunk` frame carries the same three headers), so most
# frames skip the parser. Only blocks that parsed cleanly are kept, so errors and their
# offsets are unchanged; the values are immutable and the mapping read-only, so messages can
# share them. Bounded: small blocks only, and emptied when full. The caps bound memory (full,
# ~1.3 MiB), not time: a hit is faster at any size (benchmarks/README.md, "Thresholds").
_parsed_blocks: dict[bytes, tuple[bytes, Mapping[str, HeaderValue]]] = {}
_PARSED_BLOCKS_MAX = 256
_PARSED_BLOCK_MAX_BYTES = 1024


def _string(block: bytes, start: int, end: int, what: str, at: int, frame: int) -> str:  # noqa: PLR0917 - called for every header string; positional is cheaper
    try:
        return block[start:end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HeaderError(
            f"{what} is not valid UTF-8 ({exc.reason})",
            problem="invalid-utf8",
            offset=at + start + exc.start,
            frame_index=frame,
        ) from None


def parse_headers(block: bytes, base: int, frame_index: int) -> dict[str, HeaderValue]:
    """Parse a header block strictly; ``base`` is the stream offset of ``block[0]``."""
    headers: dict[str, HeaderValue] = {}
    end = len(block)
    pos = 0
    value: HeaderValue
    # Literal ids and unrolled branches below, for speed; tests/test_header_table.py proves
    # them against every row of HEADER_TYPES. Table values are bound once per block.
    length_prefixed, fixed_sizes = LENGTH_PREFIXED, _FIXED_SIZES
    while pos < end:
        name_length = block[pos]
        if name_length == 0:
            raise HeaderError(
                "header name is empty",
                problem="empty-name",
                offset=base + pos,
                frame_index=frame_index,
            )
        type_pos = pos + 1 + name_length
        if type_pos >= end:
            raise HeaderError(
                f"header name of {name_length} bytes and its type run past the header block "
                f"({end - pos - 1} bytes left)",
                problem="truncated",
                offset=base + pos,
                frame_index=frame_index,
            )
        name = _string(block, pos + 1, type_pos, "header name", base, frame_index)
        type_id = block[type_pos]
        value_pos = type_pos + 1
        if type_id in length_prefixed:
            if value_pos + 2 > end:
                raise _truncated(name, "value length", base + value_pos, frame_index)
            size = (block[value_pos] << 8) | block[value_pos + 1]
            value_pos += 2
            next_pos = value_pos + size
            if next_pos > end:
                raise _truncated(
                    name,
                    f"{size}-byte value ({end - value_pos} bytes left)",
                    base + value_pos - 2,
                    frame_index,
                )
            if size > MAX_HEADER_VALUE_BYTES:
                raise HeaderError(
                    f"header {name!r}: value of {size} bytes is over the "
                    f"{MAX_HEADER_VALUE_BYTES}-byte limit",
                    problem="value-too-long",
                    header_name=name,
                    offset=base + value_pos - 2,
                    frame_index=frame_index,
                )
            if type_id == 7:
                value = _string(
                    block, value_pos, next_pos, f"header {name!r} value", base, frame_index
                )
            else:
                value = block[value_pos:next_pos]
        elif type_id == 0:
            value, next_pos = True, value_pos
        elif type_id == 1:
            value, next_pos = False, value_pos
        elif 2 <= type_id <= 5 or 8 <= type_id <= 9:
            size = fixed_sizes[type_id]
            next_pos = value_pos + size
            if next_pos > end:
                raise _truncated(
                    name,
                    f"{size}-byte value ({end - value_pos} bytes left)",
                    base + value_pos,
                    frame_index,
                )
            if type_id == 2:
                raw = block[value_pos]
                value = Byte(raw - 256 if raw > 127 else raw)
            elif type_id == 3:
                value = Short(_unpack_short(block, value_pos)[0])
            elif type_id == 4:
                value = Integer(_unpack_integer(block, value_pos)[0])
            elif type_id == 5:
                value = Long(_unpack_long(block, value_pos)[0])
            elif type_id == 8:
                value = Timestamp(_unpack_timestamp(block, value_pos)[0])
            else:
                value = uuid.UUID(bytes=block[value_pos:next_pos])
        else:
            raise HeaderError(
                f"header {name!r} has unknown value type {type_id} (valid: 0..{_LAST_TYPE_ID})",
                problem="unknown-type",
                header_name=name,
                offset=base + type_pos,
                frame_index=frame_index,
            )
        if name in headers:
            raise HeaderError(
                f"header {name!r} appears twice; a name may appear once per frame",
                problem="duplicate-name",
                header_name=name,
                offset=base + pos,
                frame_index=frame_index,
            )
        headers[name] = value
        pos = next_pos
    return headers


# The values parse_headers reads from HEADER_TYPES, bound here so that the loop does no
# lookup in the table.
_FIXED_SIZES = {t.type_id: t.fixed_size for t in HEADER_TYPES if t.fixed_size}
_LAST_TYPE_ID = HEADER_TYPES[-1].type_id


def _unpacker(name: str) -> Callable[[bytes, int], tuple[int]]:
    value_struct = HEADER_TYPE_BY_NAME[name].value_struct
    assert value_struct is not None, name
    return value_struct.unpack_from


_unpack_short = _unpacker("short")
_unpack_integer = _unpacker("integer")
_unpack_long = _unpacker("long")
_unpack_timestamp = _unpacker("timestamp")


def _truncated(name: str, what: str, offset: int, frame_index: int) -> HeaderError:
    return HeaderError(
        f"header {name!r}: {what} runs past the header block",
        problem="truncated",
        header_name=name,
        offset=offset,
        frame_index=frame_index,
    )


def decode(
    data: bytes | bytearray | memoryview,
    *,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> Message:
    """Decode exactly one frame; raise an :class:`EventStreamError` subclass on any fault.

    Missing bytes raise :class:`TruncatedError`, extra bytes after a valid frame
    :class:`TrailingDataError`.
    """
    limits = Limits(max_payload_length, max_headers_length)
    with as_byte_view(data) as buf:
        size = len(buf)
        if size < PRELUDE_LENGTH:
            raise TruncatedError(
                _with_hint(
                    f"input of {size} bytes ends inside the {PRELUDE_LENGTH}-byte prelude",
                    bytes(buf),
                ),
                expected=PRELUDE_LENGTH,
                received=size,
                offset=size,
                frame_index=0,
                frame_offset=0,
            )
        total, headers_length, prelude_crc = check_prelude(buf, 0, limits)
        if size < total:
            raise TruncatedError(
                f"input ends after {size} of the frame's {total} bytes",
                expected=total,
                received=size,
                offset=size,
                frame_index=0,
                frame_offset=0,
            )
        source = data if type(data) is bytes else buf
        message = decode_body(source, 0, total, headers_length, prelude_crc)
        if size > total:
            raise TrailingDataError(
                f"{size - total} bytes follow the frame; decode() takes exactly one frame "
                "(use Decoder or iter_messages for a stream)",
                offset=total,
                frame_index=0,
                frame_offset=0,
            )
        return message
