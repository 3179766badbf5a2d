"""Hypothesis strategies for event-stream values, messages, frames, streams and corruptions.

Needs the ``hypothesis`` extra (``pip install 'eventstream[hypothesis]'``). Every strategy
reaches the extremes of its type: the ends of each integer width, empty and 32,767-byte
values, 255-byte names, timestamps a ``datetime`` cannot hold.

The corruption strategies draw a :class:`Corruption`: bytes broken in one known way, the
exact error class a strict decoder must raise for them, and a description. Use them to
fuzz any event-stream parser (``docs/fuzzing.md`` fuzzes botocore's with them).
"""

from __future__ import annotations

import itertools
import struct
import uuid
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ModuleNotFoundError as exc:
    # Hypothesis is an extra: say which, rather than leave a bare "No module named ...".
    if (exc.name or "").partition(".")[0] != "hypothesis":
        raise
    raise ModuleNotFoundError(
        "eventstream.strategies needs Hypothesis: pip install 'eventstream[hypothesis]'",
        name=exc.name,
    ) from exc

from ._codec import DEFAULT_MAX_HEADERS_LENGTH, DEFAULT_MAX_PAYLOAD_LENGTH
from ._errors import (
    EventStreamError,
    FrameLengthError,
    HeaderError,
    LimitExceededError,
    MessageChecksumError,
    PreludeChecksumError,
    TrailingDataError,
    TruncatedError,
)
from ._headers import (
    HEADER_TYPES,
    LENGTH_PREFIX,
    LENGTH_PREFIXED,
    MAX_HEADER_NAME_BYTES,
    MAX_HEADER_VALUE_BYTES,
    HeaderType,
    HeaderValue,
    header_type_of,
)
from ._message import MIN_FRAME_LENGTH, PRELUDE_LENGTH, Message
from .bedrock_strategies import (
    bedrock_exceptions,
    converse_streams,
    interrupted_streams,
    invoke_streams,
    malformed_streams,
)

__all__ = [
    "header_names",
    "header_values",
    "headers",
    "messages",
    "frames",
    "streams",
    "split_points",
    "split_streams",
    "Corruption",
    "corruptions",
    "flipped_bits",
    "truncated_frames",
    "trailing_data",
    "lying_lengths",
    "over_limits",
    "unknown_header_types",
    "invalid_utf8",
    "empty_header_names",
    "duplicate_names",
    "truncated_headers",
    "oversize_values",
    # Bedrock level (eventstream.bedrock_strategies): typed streams and their answers
    "converse_streams",
    "invoke_streams",
    "interrupted_streams",
    "malformed_streams",
    "bedrock_exceptions",
]


def _signed(bits: int) -> st.SearchStrategy[int]:
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return st.one_of(st.sampled_from([low, -1, 0, 1, high]), st.integers(low, high))


def header_names(*, max_bytes: int = MAX_HEADER_NAME_BYTES) -> st.SearchStrategy[str]:
    """Valid header names: 1..255 UTF-8 bytes, any code points, including the longest."""
    names = st.text(min_size=1, max_size=max_bytes).filter(
        lambda name: (
            0 < len(name.encode("utf-8", "surrogatepass")) <= max_bytes
            and not any(0xD800 <= ord(c) <= 0xDFFF for c in name)
        )
    )
    # Fixed names first: examples then shrink to "a", not to a 255-byte name.
    fixed = st.sampled_from(
        [n for n in ("a", ":event-type", "é", "n" * max_bytes) if len(n.encode()) <= max_bytes]
    )
    return st.one_of(fixed, names)


def _sized_text(max_bytes: int) -> st.SearchStrategy[str]:
    text = st.text(st.characters(exclude_categories=["Cs"]), max_size=64)
    # Built on draw: a strategy holding 32 KiB literals has a 100 kB repr in every report.
    edge = st.sampled_from([0, 1, 2]).map(
        lambda k: ("", "x" * max_bytes, "é" * (max_bytes // 2))[k]
    )
    return st.one_of(text, edge).filter(lambda s: len(s.encode("utf-8")) <= max_bytes)


def header_values(
    *, max_value_bytes: int = MAX_HEADER_VALUE_BYTES, types: Iterable[int] | None = None
) -> st.SearchStrategy[HeaderValue]:
    """Canonical values of all ten wire types, extremes included.

    ``types`` restricts the draw to those wire type ids (0..9); the Python type of a value
    says its wire type (``docs/format.md``).
    """
    if types is None:
        chosen = [t.type_id for t in HEADER_TYPES]
    else:
        chosen = sorted(set(types))
        known = range(len(HEADER_TYPES))
        if not chosen or any(t not in known for t in chosen):
            raise ValueError(f"types must be wire type ids 0..{known[-1]}, got {chosen!r}")
    return st.one_of([_values_of(HEADER_TYPES[t], max_value_bytes) for t in chosen])


def _values_of(row: HeaderType, max_value_bytes: int) -> st.SearchStrategy[HeaderValue]:
    """The values of one wire type, read from its row of the table."""
    if row.python_class is bool:
        # The type is the value: the one bool whose row this is.
        return st.just(next(b for b in (True, False) if header_type_of(b) is row))
    if row.value_struct is not None:
        # The integers and the timestamp: every value of the signed width, ends first.
        return _signed(8 * row.value_struct.size).map(row.python_class)
    if row.python_class is bytes:
        return _bytes(max_value_bytes)
    if row.python_class is str:
        return _sized_text(max_value_bytes)
    assert row.python_class is uuid.UUID, row
    return _uuids()


def _bytes(max_value_bytes: int) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=64),
        st.sampled_from([0, max_value_bytes]).map(lambda n: b"\x00" * n),
    )


def _uuids() -> st.SearchStrategy[uuid.UUID]:
    return st.builds(uuid.UUID, int=st.integers(0, (1 << 128) - 1))


def headers(*, max_size: int = 12, min_size: int = 0) -> st.SearchStrategy[dict[str, HeaderValue]]:
    """Header maps with unique names (wire order is the dict's order)."""
    return st.dictionaries(header_names(), header_values(), min_size=min_size, max_size=max_size)


def messages(
    *,
    max_headers: int = 12,
    max_payload: int = 512,
    max_headers_length: int = DEFAULT_MAX_HEADERS_LENGTH,
    min_headers: int = 0,
    min_payload: int = 0,
) -> st.SearchStrategy[Message]:
    """Valid messages: any headers, any payload (empty included).

    The header block stays within ``max_headers_length`` (the decoder's default limit), so
    every message decodes with default settings.
    """
    built = st.builds(
        Message,
        headers(max_size=max_headers, min_size=min_headers),
        st.binary(min_size=min_payload, max_size=max_payload),
    )
    return built.filter(lambda m: len(m.header_block()) <= max_headers_length)


def frames(**kwargs: int) -> st.SearchStrategy[bytes]:
    """Encoded valid frames; keyword arguments go to :func:`messages`."""
    return messages(**kwargs).map(_encode_as_drawn)


def _encode_as_drawn(message: Message) -> bytes:
    # The arguments of messages() bound the sizes (within the decoder's defaults unless
    # raised there), so the encoder's limits are lifted here, not applied a second time.
    return message.encode(max_payload_length=None, max_headers_length=None)


def streams(
    *, max_messages: int = 8, **kwargs: int
) -> st.SearchStrategy[tuple[list[Message], bytes]]:
    """``(messages, their concatenated frames)``: a whole stream and what it must decode to."""
    return st.lists(messages(**kwargs), max_size=max_messages).map(
        lambda ms: (ms, b"".join(_encode_as_drawn(m) for m in ms))
    )


def split_points(data: bytes, *, max_splits: int = 16) -> st.SearchStrategy[list[bytes]]:
    """Ways to cut ``data`` into consecutive slices (empty slices included)."""
    return st.lists(st.integers(0, len(data)), max_size=max_splits).map(
        lambda cuts: _cut(data, sorted(cuts))
    )


def _cut(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@st.composite
def split_streams(
    draw: st.DrawFn, /, *, max_splits: int = 16, **kwargs: int
) -> tuple[list[Message], list[bytes]]:
    """``(messages, chunks)``: a whole stream cut anywhere; the chunks join to its frames."""
    messages_, data = draw(streams(**kwargs))
    return messages_, draw(split_points(data, max_splits=max_splits))


# --- corruptions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Corruption:
    """Bytes broken in one known way, and what a strict decoder must do with them.

    ``data`` is the broken frame and ``original`` the valid frame it came from. Decoding
    ``data`` with ``decode(data, **limits)`` must raise exactly ``error`` (not a subclass),
    and for a :class:`HeaderError` one whose ``problem`` is ``problem``. ``description`` says
    what was done, for test output.
    """

    data: bytes
    error: type[EventStreamError]
    description: str
    original: bytes
    problem: str | None = None
    limits: Mapping[str, int | None] = field(default_factory=dict, hash=False)

    def matches(self, exc: BaseException) -> bool:
        """True if ``exc`` is exactly the declared error (class, and problem if any)."""
        if type(exc) is not self.error:
            return False
        return self.problem is None or getattr(exc, "problem", None) == self.problem

    def __repr__(self) -> str:
        # Frames with 32 KiB values would flood a falsifying-example report.
        shown = self.data.hex() if len(self.data) <= 64 else f"{self.data[:48].hex()}..."
        problem = f", problem={self.problem!r}" if self.problem else ""
        limits = f", limits={dict(self.limits)!r}" if self.limits else ""
        return (
            f"Corruption({self.description!r}, error={self.error.__name__}{problem}{limits}, "
            f"data=<{len(self.data)} bytes: {shown}>)"
        )


def _assemble(
    block: bytes,
    payload: bytes,
    *,
    total: int | None = None,
    headers_length: int | None = None,
) -> bytes:
    """A frame with both CRCs computed over what is given; the lengths may be forced."""
    if total is None:
        total = MIN_FRAME_LENGTH + len(block) + len(payload)
    if headers_length is None:
        headers_length = len(block)
    head = struct.pack(">II", total, headers_length)
    body = head + struct.pack(">I", zlib.crc32(head)) + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def _with_prelude(frame: bytes, total: int, headers_length: int) -> bytes:
    """``frame`` with new length fields and a recomputed prelude CRC; the rest unchanged."""
    head = struct.pack(">II", total, headers_length)
    return head + struct.pack(">I", zlib.crc32(head)) + frame[PRELUDE_LENGTH:]


def _spans(message: Message) -> list[tuple[int, int, int]]:
    """``(start, end, name length)`` of each header inside the message's header block."""
    spans = []
    pos = 0
    for name, value in message.headers.items():
        size = len(Message({name: value}).header_block())
        spans.append((pos, pos + size, len(name.encode("utf-8"))))
        pos += size
    return spans


def _source(
    source: st.SearchStrategy[Message] | None, *, min_headers: int = 0, min_payload: int = 0
) -> st.SearchStrategy[Message]:
    if source is None:
        return messages(
            max_headers=6, max_payload=64, min_headers=min_headers, min_payload=min_payload
        )
    return source.filter(lambda m: len(m.headers) >= min_headers and len(m.payload) >= min_payload)


#: Where :func:`flipped_bits` may flip: the prelude's length fields, its CRC, the header
#: block, the payload, the message CRC.
REGIONS = ("prelude", "prelude_crc", "headers", "payload", "message_crc")


@st.composite
def flipped_bits(
    draw: st.DrawFn,
    /,
    source: st.SearchStrategy[Message] | None = None,
    *,
    region: str | None = None,
) -> Corruption:
    """1 to 32 bits flipped within 4 adjacent bytes of one region: a checksum error.

    A CRC-32 detects every error burst of up to 32 bits, so the flip is always caught: by
    the prelude CRC in bytes 0..12, by the message CRC elsewhere. The window never straddles
    a CRC field and the bytes it covers, where that guarantee would not hold.
    """
    if region is not None and region not in REGIONS:
        raise ValueError(f"region must be one of {REGIONS}, not {region!r}")
    message = draw(
        _source(
            source,
            min_headers=1 if region == "headers" else 0,
            min_payload=1 if region == "payload" else 0,
        )
    )
    frame = message.encode()
    end = len(frame) - 4
    headers_end = PRELUDE_LENGTH + len(message.header_block())
    # region -> (first byte, end of the region, end of the segment the window stays in)
    bounds = {
        "prelude": (0, 8, 8),
        "prelude_crc": (8, 12, 12),
        "headers": (PRELUDE_LENGTH, headers_end, end),
        "payload": (headers_end, end, end),
        "message_crc": (end, len(frame), len(frame)),
    }
    if region is None:
        region = draw(st.sampled_from([r for r in REGIONS if bounds[r][0] < bounds[r][1]]))
    first, last, high = bounds[region]
    start = draw(st.integers(first, last - 1))
    width = draw(st.integers(1, min(4, high - start)))
    mask = draw(st.integers(1, (1 << (8 * width)) - 1))
    data = bytearray(frame)
    for k, flip in enumerate(mask.to_bytes(width, "big")):
        data[start + k] ^= flip
    error = PreludeChecksumError if start < PRELUDE_LENGTH else MessageChecksumError
    return Corruption(
        bytes(data),
        error,
        f"xor {mask:#x} at bytes {start}..{start + width - 1} ({region})",
        frame,
    )


@st.composite
def truncated_frames(
    draw: st.DrawFn, /, source: st.SearchStrategy[Message] | None = None
) -> Corruption:
    """A valid frame cut short anywhere (the empty input included): a truncation."""
    frame = draw(_source(source)).encode()
    size = draw(st.integers(0, len(frame) - 1))
    return Corruption(
        frame[:size], TruncatedError, f"the first {size} of {len(frame)} bytes", frame
    )


@st.composite
def trailing_data(
    draw: st.DrawFn, /, source: st.SearchStrategy[Message] | None = None
) -> Corruption:
    """A valid frame with bytes after it, which ``decode()`` (one frame) must refuse."""
    frame = draw(_source(source))
    frame_bytes = frame.encode()
    extra = draw(st.binary(min_size=1, max_size=32))
    return Corruption(
        frame_bytes + extra,
        TrailingDataError,
        f"{len(extra)} bytes after the frame",
        frame_bytes,
    )


_U32_MAX = 0xFFFFFFFF


@st.composite
def lying_lengths(
    draw: st.DrawFn, /, source: st.SearchStrategy[Message] | None = None
) -> Corruption:
    """Length fields that lie, under a recomputed (so valid) prelude CRC.

    The lie decides the error: a total below 16 or headers running past the frame give
    :class:`FrameLengthError`; a frame over the default limits :class:`LimitExceededError`
    (including a total of ``0xFFFFFFFF``); a total longer than the bytes
    :class:`TruncatedError`; a shorter total, or another headers length, with the old
    message CRC, :class:`MessageChecksumError`.
    """
    message = draw(_source(source))
    frame = message.encode()
    size = len(frame)
    headers_length = len(message.header_block())
    kinds = ["short-total", "headers-past-end", "longer", "over-limit"]
    if size > MIN_FRAME_LENGTH:
        kinds.append("other-headers")
    if len(message.payload) > 0:
        kinds.append("shorter")
    kind = draw(st.sampled_from(kinds))
    error: type[EventStreamError]
    if kind == "short-total":
        total, hl, error = (
            draw(st.integers(0, 15)),
            draw(st.integers(0, _U32_MAX)),
            FrameLengthError,
        )
    elif kind == "headers-past-end":
        total = draw(st.one_of(st.just(size), st.integers(16, _U32_MAX - 1)))
        hl, error = draw(st.integers(total - 15, _U32_MAX)), FrameLengthError
    elif kind == "longer":
        most = headers_length + MIN_FRAME_LENGTH + DEFAULT_MAX_PAYLOAD_LENGTH
        total = draw(st.one_of(st.integers(size + 1, size + 64), st.integers(size + 1, most)))
        hl, error = headers_length, TruncatedError
    elif kind == "over-limit":
        if draw(st.booleans()):
            least = headers_length + MIN_FRAME_LENGTH + DEFAULT_MAX_PAYLOAD_LENGTH + 1
            total = draw(st.one_of(st.just(_U32_MAX), st.integers(least, _U32_MAX)))
            hl = headers_length
        else:
            total = draw(st.one_of(st.just(_U32_MAX), st.integers(1 << 18, _U32_MAX)))
            hl = draw(st.integers(DEFAULT_MAX_HEADERS_LENGTH + 1, total - 16))
        error = LimitExceededError
    else:
        if kind == "shorter":
            total = draw(st.integers(headers_length + MIN_FRAME_LENGTH, size - 1))
            hl = headers_length
        else:
            total = size
            hl = draw(st.integers(0, size - 16).filter(lambda h: h != headers_length))
        error = MessageChecksumError
    data = _with_prelude(frame, total, hl)
    if error is MessageChecksumError:
        # 1 in 2**32: the old message CRC happens to hold at the new end; not a lie then.
        crc_at = total - 4
        assume(struct.pack(">I", zlib.crc32(data[:crc_at])) != data[crc_at : crc_at + 4])
    return Corruption(
        data,
        error,
        f"{kind}: total {total} (really {size}), headers {hl} (really {headers_length})",
        frame,
    )


@st.composite
def over_limits(draw: st.DrawFn, /, source: st.SearchStrategy[Message] | None = None) -> Corruption:
    """A valid frame and a configured limit it exceeds: :class:`LimitExceededError`.

    ``limits`` holds the keyword to decode with (``max_payload_length`` or
    ``max_headers_length``, set below the frame's figure).
    """
    message = draw(_source(source).filter(lambda m: bool(m.headers or m.payload)))
    frame = message.encode()
    sizes = {
        "max_payload_length": len(message.payload),
        "max_headers_length": len(message.header_block()),
    }
    name = draw(st.sampled_from([name for name, actual in sizes.items() if actual]))
    limit = draw(st.integers(0, sizes[name] - 1))
    return Corruption(
        frame,
        LimitExceededError,
        f"{name}={limit} for a frame with {sizes[name]}",
        frame,
        limits={name: limit},
    )


def _header_corruption(
    message: Message,
    block: bytes,
    problem: str,
    description: str,
    *,
    headers_length: int | None = None,
) -> Corruption:
    frame = message.encode()
    payload = message.payload
    if headers_length is not None:
        # The bytes past the shortened block become payload: the frame stays the same size.
        block, payload = block[:headers_length], block[headers_length:] + payload
    data = _assemble(block, payload)
    return Corruption(data, HeaderError, description, frame, problem=problem)


@st.composite
def unknown_header_types(
    draw: st.DrawFn, /, source: st.SearchStrategy[Message] | None = None
) -> Corruption:
    """One header's type byte set past the table (10..255), both CRCs valid: ``unknown-type``."""
    message = draw(_source(source, min_headers=1))
    spans = _spans(message)
    index = draw(st.integers(0, len(spans) - 1))
    start, _, name_length = spans[index]
    type_id = draw(st.integers(len(HEADER_TYPES), 255))
    block = bytearray(message.header_block())
    block[start + 1 + name_length] = type_id
    return _header_corruption(
        message, bytes(block), "unknown-type", f"header {index} has type {type_id}"
    )


#: Bytes that appear nowhere in valid UTF-8.
_NEVER_UTF8 = (0xC0, 0xC1, *range(0xF5, 0x100))


@st.composite
def invalid_utf8(
    draw: st.DrawFn, /, source: st.SearchStrategy[Message] | None = None
) -> Corruption:
    """A byte of a header name, or of a string value, that is never valid UTF-8."""
    message = draw(_source(source, min_headers=1))
    spans = _spans(message)
    block = bytearray(message.header_block())
    strings = [
        i for i, value in enumerate(message.headers.values()) if isinstance(value, str) and value
    ]
    index = draw(st.integers(0, len(spans) - 1))
    start, end, name_length = spans[index]
    in_value = draw(st.booleans()) if strings else False
    if in_value:
        index = draw(st.sampled_from(strings))
        start, end, name_length = spans[index]
        value_start = start + 1 + name_length + 1 + LENGTH_PREFIX.size
        at, what = draw(st.integers(value_start, end - 1)), "string value"
    else:
        at, what = draw(st.integers(start + 1, start + name_length)), "name"
    bad = draw(st.sampled_from(_NEVER_UTF8))
    block[at] = bad
    return _header_corruption(
        message, bytes(block), "invalid-utf8", f"byte {bad:#x} in header {index}'s {what}"
    )


@st.composite
def empty_header_names(
    draw: st.DrawFn, /, source: st.SearchStrategy[Message] | None = None
) -> Corruption:
    """One header's name length byte set to 0: ``empty-name``."""
    message = draw(_source(source, min_headers=1))
    spans = _spans(message)
    index = draw(st.integers(0, len(spans) - 1))
    block = bytearray(message.header_block())
    block[spans[index][0]] = 0
    return _header_corruption(
        message, bytes(block), "empty-name", f"header {index}'s name length set to 0"
    )


@st.composite
def duplicate_names(
    draw: st.DrawFn, /, source: st.SearchStrategy[Message] | None = None
) -> Corruption:
    """A header name repeated later in the block (any value, any type): ``duplicate-name``."""
    message = draw(
        _source(source, min_headers=1).filter(
            lambda m: len(m.header_block()) <= DEFAULT_MAX_HEADERS_LENGTH - 2 * 33_000
        )
    )
    spans = _spans(message)
    names = list(message.headers)
    index = draw(st.integers(0, len(spans) - 1))
    copy = Message({names[index]: draw(header_values())}).header_block()
    at = draw(st.sampled_from(sorted({end for _, end, _ in spans[index:]})))
    block = message.header_block()
    block = block[:at] + copy + block[at:]
    return _header_corruption(
        message, block, "duplicate-name", f"header {index}'s name again at block byte {at}"
    )


@st.composite
def truncated_headers(
    draw: st.DrawFn, /, source: st.SearchStrategy[Message] | None = None
) -> Corruption:
    """The header block ends inside a header (the rest becomes payload): ``truncated``."""
    message = draw(_source(source, min_headers=1))
    spans = _spans(message)
    index = draw(st.integers(0, len(spans) - 1))
    start, end, _ = spans[index]
    cut = draw(st.integers(start + 1, end - 1))
    return _header_corruption(
        message,
        message.header_block(),
        "truncated",
        f"header block cut at byte {cut}, inside header {index}",
        headers_length=cut,
    )


@st.composite
def oversize_values(
    draw: st.DrawFn, /, source: st.SearchStrategy[Message] | None = None
) -> Corruption:
    """A byte-array or string value of 32,768..65,535 bytes, all there: ``value-too-long``."""
    message = draw(_source(source))
    size = draw(st.one_of(st.just(MAX_HEADER_VALUE_BYTES + 1), st.integers(32768, 65535)))
    type_id = draw(st.sampled_from(sorted(LENGTH_PREFIXED)))
    name = draw(header_names().filter(lambda n: n not in message.headers))
    encoded = name.encode("utf-8")
    value = b"v" * size
    header = bytes([len(encoded)]) + encoded + bytes([type_id]) + LENGTH_PREFIX.pack(size) + value
    # Over the header block limit, LimitExceededError would come first.
    assume(len(message.header_block()) + len(header) <= DEFAULT_MAX_HEADERS_LENGTH)
    return _header_corruption(
        message,
        message.header_block() + header,
        "value-too-long",
        f"a {size}-byte {HEADER_TYPES[type_id].name} value",
    )


def corruptions(source: st.SearchStrategy[Message] | None = None) -> st.SearchStrategy[Corruption]:
    """Any of the corruptions above, each with its declared error."""
    return st.one_of(
        flipped_bits(source),
        truncated_frames(source),
        trailing_data(source),
        lying_lengths(source),
        over_limits(source),
        unknown_header_types(source),
        invalid_utf8(source),
        empty_header_names(source),
        duplicate_names(source),
        truncated_headers(source),
        oversize_values(source),
    )
