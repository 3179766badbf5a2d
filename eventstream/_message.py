"""The message model and the frame encoder."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterable, Mapping
from html import escape
from types import MappingProxyType
from typing import Any, NoReturn, cast, overload
from zlib import crc32

from ._errors import ConfigurationError, EncodeError
from ._headers import (
    HEADER_TYPES,
    LENGTH_PREFIX,
    HeaderInput,
    HeaderValue,
    canonical_value,
    check_header_name,
    header_type_id,
    header_type_of,
)

__all__ = [
    "Message",
    "encode",
    "PRELUDE_LENGTH",
    "MIN_FRAME_LENGTH",
    "MAX_FRAME_LENGTH",
    "DEFAULT_MAX_PAYLOAD_LENGTH",
    "DEFAULT_MAX_HEADERS_LENGTH",
]

#: Total length, headers length and prelude CRC: three big-endian u32.
PRELUDE_LENGTH = 12
#: The prelude plus the trailing message CRC: a frame with no headers and no payload.
MIN_FRAME_LENGTH = 16
#: The total length is a u32.
MAX_FRAME_LENGTH = 0xFFFFFFFF
#: Spec limit on a payload: 24 MiB.
DEFAULT_MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024
#: Spec limit on an encoded header block: 128 KiB.
DEFAULT_MAX_HEADERS_LENGTH = 128 * 1024

# A frame up to this total is within both default limits, whatever its split.
_WITHIN_DEFAULTS = MIN_FRAME_LENGTH + min(DEFAULT_MAX_PAYLOAD_LENGTH, DEFAULT_MAX_HEADERS_LENGTH)

_U32 = struct.Struct(">I")
_PRELUDE_HEAD = struct.Struct(">II")
#: Frames up to this size are encoded by concatenation (the payload copied twice), larger ones
#: by a second crc32 call and a join: benchmarks/README.md, "Thresholds".
_CONCAT_MAX = 2048
_STRING_TAG = bytes((header_type_of("").type_id,))
_TAGS = tuple(bytes((t.type_id,)) for t in HEADER_TYPES)


def check_limit(name: str, value: object) -> None:
    """Raise :class:`ConfigurationError` unless ``value`` is a non-negative int or ``None``."""
    if value is not None and (not isinstance(value, int) or value < 0):
        raise ConfigurationError(f"{name} must be a non-negative int or None, not {value!r}")


def _encode_header(name: str, value: HeaderValue) -> bytes:
    name_bytes = name.encode("utf-8")
    head = bytes((len(name_bytes),)) + name_bytes
    # Most frequent first: Bedrock frames carry only string headers.
    if type(value) is str:
        text = value.encode("utf-8")
        return head + _STRING_TAG + LENGTH_PREFIX.pack(len(text)) + text
    row = header_type_of(value)
    head += _TAGS[row.type_id]
    if row.fixed_size is None:
        data = value.encode("utf-8") if isinstance(value, str) else cast(bytes, value)
        return head + LENGTH_PREFIX.pack(len(data)) + data
    if row.value_struct is not None:
        # The integers, and a Timestamp, whose int() is its milliseconds.
        return head + row.value_struct.pack(int(value))
    if isinstance(value, uuid.UUID):
        return head + value.bytes
    return head  # a bool: the type is the value


def _check_frame(
    total: int,
    headers_length: int,
    max_payload_length: int | None,
    max_headers_length: int | None,
) -> None:
    """Raise :class:`EncodeError` for a frame that a decoder with these limits refuses."""
    check_limit("max_payload_length", max_payload_length)
    check_limit("max_headers_length", max_headers_length)
    # In the order the decoder checks (check_prelude), so both name the same limit.
    if max_headers_length is not None and headers_length > max_headers_length:
        raise EncodeError(
            f"the header block is {headers_length} bytes, over max_headers_length="
            f"{max_headers_length}: a decoder with that limit refuses the frame "
            "(max_headers_length=None lifts it)"
        )
    payload_length = total - headers_length - MIN_FRAME_LENGTH
    if max_payload_length is not None and payload_length > max_payload_length:
        raise EncodeError(
            f"the payload is {payload_length} bytes, over max_payload_length="
            f"{max_payload_length}: a decoder with that limit refuses the frame "
            "(max_payload_length=None lifts it)"
        )
    if total > MAX_FRAME_LENGTH:
        raise EncodeError(f"a frame of {total} bytes does not fit the u32 total length")


class Message:
    """One event-stream frame: ordered, typed headers and a bytes payload. Immutable.

    ``headers`` may be a mapping or an iterable of ``(name, value)`` pairs; values are
    converted to their canonical header types (see ``docs/format.md``) and checked, so a
    ``Message`` that exists can be encoded (within the size limits of :meth:`encode`).
    Equality takes wire types into account: ``Short(1)`` and ``Integer(1)`` are different
    headers.
    """

    __slots__ = ("headers", "payload", "_header_block")

    headers: Mapping[str, HeaderValue]
    payload: bytes
    _header_block: bytes | None

    # Two signatures, not one union: with the union, mypy cannot infer a mixed dict literal
    # such as {"a": "x", "n": 5} against the Mapping branch and rejects it.
    @overload
    def __init__(
        self,
        headers: Mapping[str, HeaderInput] = ...,
        payload: bytes | bytearray | memoryview = ...,
    ) -> None: ...

    @overload
    def __init__(
        self,
        headers: Iterable[tuple[str, HeaderInput]],
        payload: bytes | bytearray | memoryview = ...,
    ) -> None: ...

    def __init__(
        self,
        headers: Mapping[str, HeaderInput] | Iterable[tuple[str, HeaderInput]] = (),
        payload: bytes | bytearray | memoryview = b"",
    ) -> None:
        pairs: Iterable[tuple[str, HeaderInput]]
        checked: dict[str, HeaderValue]
        if type(headers) is dict:
            # A dict cannot repeat a name: copy it whole, then check each header and put its
            # canonical value in place (the order is kept).
            pairs, checked, unique = headers.items(), headers.copy(), True
        else:
            pairs = headers.items() if isinstance(headers, Mapping) else headers
            checked, unique = {}, False
        # Each header's encoding when it is a str -> str pair (see _known_strings), else None.
        parts: list[bytes | None] = []
        for name, value in pairs:
            if (
                type(name) is str
                and type(value) is str
                and (encoded := _known_strings.get(name, _NOTHING).get(value)) is not None
            ):
                # Checked before: only the duplicate check is left.
                if not unique:
                    if name in checked:
                        raise _twice(name)
                    checked[name] = value
            else:
                check_header_name(name)
                if not unique and name in checked:
                    raise _twice(name)
                canonical = canonical_value(name, value)
                checked[name] = canonical
                if type(name) is str and type(canonical) is str:
                    encoded = _remember_string_header(name, canonical)
                else:
                    encoded = None
            parts.append(encoded)
        if type(payload) is not bytes:
            if not isinstance(payload, bytes | bytearray | memoryview):
                raise EncodeError(f"payload must be bytes-like, not {type(payload).__name__}")
            payload = bytes(payload)
        _set_headers(self, MappingProxyType(checked))
        _set_payload(self, payload)
        # All str headers: the block is ready now; otherwise header_block() encodes it.
        _set_header_block(self, None if None in parts else b"".join(parts))  # type: ignore[arg-type]

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Message is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Message is immutable; cannot delete {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        # The default would set each slot through __setattr__, which refuses. Rebuild through
        # the constructor instead (pickle, copy and deepcopy all come here): the headers in
        # wire order give the same block, cached again as for any new Message.
        return Message, (dict(self.headers), self.payload)

    def header_block(self) -> bytes:
        """Return the encoded header block (cached: the message is immutable)."""
        block = self._header_block
        if block is None:
            block = b"".join([_encode_header(name, value) for name, value in self.headers.items()])
            object.__setattr__(self, "_header_block", block)
        return block

    # The limits are meant as keywords but are not keyword-only: CPython 3.11 does not
    # specialize a call to a function with keyword-only parameters, and that cost 7% of the
    # encode() of a 300-byte frame.
    def encode(
        self,
        max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
        max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
    ) -> bytes:
        """Return the wire bytes of this message as one frame.

        A frame that :func:`decode` with the same ``max_payload_length`` and
        ``max_headers_length`` would refuse raises :class:`EncodeError`; ``None`` lifts a
        limit (the u32 total length still bounds the frame).
        """
        block = self._header_block
        if block is None:
            block = self.header_block()
        payload = self.payload
        headers_length = len(block)
        total = headers_length + len(payload) + MIN_FRAME_LENGTH
        # Identity, not equality: with the default limits themselves (the usual call), a
        # frame this small cannot be over either, and nothing else needs checking.
        if (
            total > _WITHIN_DEFAULTS
            or max_payload_length is not DEFAULT_MAX_PAYLOAD_LENGTH
            or max_headers_length is not DEFAULT_MAX_HEADERS_LENGTH
        ):
            _check_frame(total, headers_length, max_payload_length, max_headers_length)
        prelude = _PRELUDE_HEAD.pack(total, headers_length)
        # The message CRC covers the prelude, its CRC, the block and the payload.
        head = prelude + _U32.pack(crc32(prelude)) + block
        if total <= _CONCAT_MAX:
            # Most frames are a few hundred bytes: copying the payload twice costs less than
            # a second crc32 call and a join.
            body = head + payload
            return body + _U32.pack(crc32(body))
        return b"".join((head, payload, _U32.pack(crc32(payload, crc32(head)))))

    def typed_headers(self) -> list[tuple[str, int, HeaderValue]]:
        """Return ``(name, wire type id, value)`` for each header, in wire order."""
        return [(name, header_type_id(value), value) for name, value in self.headers.items()]

    def _key(self) -> tuple[Any, ...]:
        return (tuple(self.typed_headers()), self.payload)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name!r}: {value!r}" for name, value in self.headers.items())
        payload = self.payload
        if len(payload) <= 64:
            body = repr(payload)
        else:
            body = f"{payload[:48]!r} + ... ({len(payload)} bytes)"
        return f"Message({{{shown}}}, {body})"

    def _repr_html_(self) -> str:
        """Headers (name, wire type, value) and payload as a table, for notebooks."""
        rows = "".join(
            f"<tr><td>{escape(name)}</td><td>{HEADER_TYPES[type_id].name}</td>"
            f"<td>{escape(value if isinstance(value, str) else repr(value))}</td></tr>"
            for name, type_id, value in self.typed_headers()
        )
        payload = self.payload
        head = payload[:2048]
        try:
            shown = head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A character cut by the 2048-byte mark does not make the payload binary.
            if len(head) < len(payload) and exc.start >= len(head) - 3:
                shown = head[: exc.start].decode("utf-8")
            else:
                head = payload[:512]
                shown = repr(head)
        more = f" … ({len(payload)} bytes)" if len(head) < len(payload) else ""
        return (
            f"<table><caption>Message: {len(self.headers)} headers, {len(payload)}-byte "
            f"payload</caption><tr><th>header</th><th>type</th><th>value</th></tr>{rows}"
            f'<tr><th>payload</th><td colspan="2"><code>{escape(shown)}</code>{more}</td></tr>'
            "</table>"
        )


# Encoded str -> str headers already checked by Message(), as {name: {value: encoding}}:
# Bedrock and most services send the same few (':event-type': 'chunk', ...), so a repeat
# skips the checks and the encoding. Only exact str pairs, whose check cannot depend on
# anything else, and only short ones. Nested rather than keyed by (name, value): two lookups
# by str are cheaper than hashing and comparing a tuple. At most 64 names of 64 values each
# (a full level is emptied): caps on memory (full, ~2.4 MiB), not time, as a hit is faster at
# any size (benchmarks/README.md, "Thresholds").
_known_strings: dict[str, dict[str, bytes]] = {}
_NOTHING: dict[str, bytes] = {}  # the lookup default for an unknown name; never filled
_KNOWN_STRINGS_MAX = 64
_KNOWN_STRING_MAX_BYTES = 256


def _twice(name: str) -> EncodeError:
    return EncodeError(f"header {name!r} appears twice; a name may appear once per frame")


def _remember_string_header(name: str, value: str) -> bytes:
    encoded = _encode_header(name, value)
    if len(encoded) <= _KNOWN_STRING_MAX_BYTES:
        values = _known_strings.get(name)
        if values is None:
            if len(_known_strings) >= _KNOWN_STRINGS_MAX:
                _known_strings.clear()
            values = _known_strings[name] = {}
        elif len(values) >= _KNOWN_STRINGS_MAX:
            values.clear()
        values[value] = encoded
    return encoded


# Messages built without __init__ (decoded, or checked by the caller) set their slots through
# the slot descriptors: the decoder makes one per frame, and this is about twice as fast as
# object.__setattr__ by name.
_new = object.__new__
_set_headers = Message.__dict__["headers"].__set__
_set_payload = Message.__dict__["payload"].__set__
_set_header_block = Message.__dict__["_header_block"].__set__


def message_from_wire(
    headers: Mapping[str, HeaderValue], header_block: bytes | None, payload: bytes
) -> Message:
    """A message from checked parts: ``headers`` read-only, ``header_block`` their wire bytes.

    Decoding is byte-faithful, so a decoded frame's block is what :meth:`Message.header_block`
    would encode; keeping it saves re-encoding when the message is measured or sent on.
    """
    self = _new(Message)
    _set_headers(self, headers)
    _set_payload(self, payload)
    _set_header_block(self, header_block)
    return self


def encode(
    message: Message,
    *,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> bytes:
    """Return the wire bytes of ``message``; the same as ``message.encode(...)``."""
    return message.encode(
        max_payload_length=max_payload_length, max_headers_length=max_headers_length
    )
