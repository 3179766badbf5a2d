"""Header value types: the wire table, the typed wrappers and the Python mapping.

The table :data:`HEADER_TYPES` is the single description of the ten wire types (msgpack's
fallback keeps its format the same way): the encoder, the decoder, the strategies and
``docs/format.md`` all read it. The lookups derived from it (``HEADER_TYPE_BY_ID``,
``HEADER_TYPE_BY_NAME``, ``LENGTH_PREFIXED``, ``header_type_of``) are for the package's own
modules; ``__all__`` lists only what the package exports.
"""

from __future__ import annotations

import datetime as _dt
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

from ._errors import EncodeError

__all__ = [
    "HeaderType",
    "HEADER_TYPES",
    "Byte",
    "Short",
    "Integer",
    "Long",
    "Timestamp",
    "HeaderValue",
    "HeaderInput",
    "MAX_HEADER_NAME_BYTES",
    "MAX_HEADER_VALUE_BYTES",
]

#: A header name is 1..255 UTF-8 bytes (its length is one unsigned byte).
MAX_HEADER_NAME_BYTES = 255
#: String and byte-array values are capped at 32,767 bytes (spec; AWS's C and Java codecs).
MAX_HEADER_VALUE_BYTES = 32767

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_ONE_MS = _dt.timedelta(milliseconds=1)


class _SizedInt(int):
    """An ``int`` that remembers its wire width, so it re-encodes as the same type."""

    __slots__ = ()
    # Set from HEADER_TYPES below: the table is the one place that says them.
    type_id: ClassVar[int]
    bits: ClassVar[int]

    def __new__(cls, value: int) -> _SizedInt:
        # bool is an int subclass; True as a Byte would be a silent type change.
        if isinstance(value, bool) or not isinstance(value, int):
            raise EncodeError(f"{cls.__name__} needs an int, not {type(value).__name__}")
        low = -(1 << (cls.bits - 1))
        if not low <= value < -low:
            raise EncodeError(
                f"{cls.__name__} holds {low}..{-low - 1} ({cls.bits}-bit signed); got {value}"
            )
        return super().__new__(cls, value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"


class Byte(_SizedInt):
    """A ``byte`` header value (wire type 2, signed 8-bit)."""

    __slots__ = ()


class Short(_SizedInt):
    """A ``short`` header value (wire type 3, signed 16-bit)."""

    __slots__ = ()


class Integer(_SizedInt):
    """An ``integer`` header value (wire type 4, signed 32-bit); a plain ``int`` maps here."""

    __slots__ = ()


class Long(_SizedInt):
    """A ``long`` header value (wire type 5, signed 64-bit)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True, order=True)
class Timestamp:
    """A ``timestamp`` header value (wire type 8): exact milliseconds since the Unix epoch.

    Any signed 64-bit count is kept, including ones a :class:`datetime.datetime` cannot hold.
    """

    millis: int

    def __post_init__(self) -> None:
        if isinstance(self.millis, bool) or not isinstance(self.millis, int):
            raise EncodeError(f"Timestamp needs an int of milliseconds, not {self.millis!r}")
        if not -(1 << 63) <= self.millis < 1 << 63:
            raise EncodeError(f"Timestamp milliseconds must fit in 64 bits; got {self.millis}")

    @classmethod
    def from_datetime(cls, value: _dt.datetime) -> Timestamp:
        """Convert an aware datetime exactly, truncating below the millisecond (toward -inf)."""
        if value.tzinfo is None or value.utcoffset() is None:
            raise EncodeError(
                "a naive datetime is ambiguous as a timestamp; give it a tzinfo "
                "(for example datetime.timezone.utc)"
            )
        # Integer arithmetic: float seconds * 1000 is off by 1 ms for some values.
        return cls((value - _EPOCH) // _ONE_MS)

    def to_datetime(self) -> _dt.datetime:
        """Return the UTC datetime; raise ``OverflowError`` if it is outside years 1..9999."""
        return _EPOCH + _dt.timedelta(milliseconds=self.millis)

    def __int__(self) -> int:
        return self.millis

    def __repr__(self) -> str:
        return f"Timestamp({self.millis})"

    def __str__(self) -> str:
        try:
            return self.to_datetime().isoformat(timespec="milliseconds")
        except OverflowError:
            return f"{self.millis} ms since the epoch"


#: A header value as decoded: the Python type says the wire type.
HeaderValue = bool | Byte | Short | Integer | Long | bytes | str | Timestamp | uuid.UUID
#: What :class:`eventstream.Message` accepts and converts (plain ``int``, ``datetime``, ...).
HeaderInput = HeaderValue | int | bytearray | memoryview | _dt.datetime


@dataclass(frozen=True, slots=True)
class HeaderType:
    """One row of the wire type table.

    ``python_class`` is the class of decoded values. ``fixed_size`` is the number of value
    bytes, or ``None`` for the types whose value is a u16 length (:data:`LENGTH_PREFIX`) and
    that many bytes. ``value_struct`` packs and unpacks the value where one format does (the
    integers and the timestamp), else ``None``. ``python_type`` and ``value_layout`` are the
    display strings of the table in ``docs/format.md``.
    """

    type_id: int
    name: str
    python_class: type
    fixed_size: int | None
    value_struct: struct.Struct | None
    python_type: str
    value_layout: str


_I8, _I16, _I32, _I64 = (struct.Struct(f">{code}") for code in "bhiq")

#: The wire types in id order, so ``HEADER_TYPES[type_id]`` is the row of a known id.
HEADER_TYPES: tuple[HeaderType, ...] = (
    HeaderType(0, "bool_true", bool, 0, None, "True", "no value bytes"),
    HeaderType(1, "bool_false", bool, 0, None, "False", "no value bytes"),
    HeaderType(2, "byte", Byte, 1, _I8, "Byte (int)", "i8"),
    HeaderType(3, "short", Short, 2, _I16, "Short (int)", "i16 big-endian"),
    HeaderType(4, "integer", Integer, 4, _I32, "Integer (int)", "i32 big-endian"),
    HeaderType(5, "long", Long, 8, _I64, "Long (int)", "i64 big-endian"),
    HeaderType(6, "byte_array", bytes, None, None, "bytes", "u16 length + bytes"),
    HeaderType(7, "string", str, None, None, "str", "u16 length + UTF-8"),
    HeaderType(8, "timestamp", Timestamp, 8, _I64, "Timestamp", "i64 milliseconds since the epoch"),
    HeaderType(9, "uuid", uuid.UUID, 16, None, "uuid.UUID", "16 bytes"),
)
#: The row of each known type id; ids 10..255 are not in it.
HEADER_TYPE_BY_ID: Mapping[int, HeaderType] = MappingProxyType({t.type_id: t for t in HEADER_TYPES})
#: The row of each wire name (``"bool_true"``, ..., ``"uuid"``).
HEADER_TYPE_BY_NAME: Mapping[str, HeaderType] = MappingProxyType({t.name: t for t in HEADER_TYPES})
#: The type ids whose value is a u16 length and that many bytes (byte_array, string).
LENGTH_PREFIXED: frozenset[int] = frozenset(t.type_id for t in HEADER_TYPES if t.fixed_size is None)
#: The length in front of a byte_array or string value.
LENGTH_PREFIX = struct.Struct(">H")

for _row in HEADER_TYPES:
    if issubclass(_row.python_class, _SizedInt):
        _row.python_class.type_id = _row.type_id
        _row.python_class.bits = 8 * (_row.fixed_size or 0)
del _row

_TRUE = HEADER_TYPE_BY_NAME["bool_true"]
_FALSE = HEADER_TYPE_BY_NAME["bool_false"]
# Both bool rows share a class; the value, not its class, picks one of them.
_BY_CLASS: dict[type, HeaderType] = {
    t.python_class: t for t in HEADER_TYPES if t.python_class is not bool
}


def header_type_of(value: HeaderValue) -> HeaderType:
    """Return the table row of a value already in canonical form (see ``Message``)."""
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    row = _BY_CLASS.get(type(value))
    if row is not None:
        return row
    # A subclass (of str, uuid.UUID, ...) is sent as the nearest class in the table.
    for klass in type(value).__mro__:
        row = _BY_CLASS.get(klass)
        if row is not None:
            return row
    raise EncodeError(
        f"{type(value).__name__} is not a canonical header value; Message() converts values"
    )


def header_type_id(value: HeaderValue) -> int:
    """Return the wire type id of a value already in canonical form."""
    return header_type_of(value).type_id


def canonical_value(name: str, value: object) -> HeaderValue:
    """Map a Python value to its canonical header value, or raise :class:`EncodeError`."""
    if isinstance(value, bool | Byte | Short | Integer | Long | Timestamp | uuid.UUID):
        return value
    if isinstance(value, int):
        if -(1 << 31) <= value < 1 << 31:
            return Integer(value)
        raise EncodeError(
            f"header {name!r}: {value} does not fit a 32-bit integer; wrap it as "
            "eventstream.Long(...) to send a 64-bit long"
        )
    if isinstance(value, str):
        try:
            encoded = value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise EncodeError(
                f"header {name!r}: string value is not valid Unicode ({exc.reason})"
            ) from None
        if len(encoded) > MAX_HEADER_VALUE_BYTES:
            raise EncodeError(
                f"header {name!r}: string value is {len(encoded)} UTF-8 bytes; the limit is "
                f"{MAX_HEADER_VALUE_BYTES}"
            )
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        if len(data) > MAX_HEADER_VALUE_BYTES:
            raise EncodeError(
                f"header {name!r}: byte_array value is {len(data)} bytes; the limit is "
                f"{MAX_HEADER_VALUE_BYTES}"
            )
        return data
    if isinstance(value, _dt.datetime):
        try:
            return Timestamp.from_datetime(value)
        except EncodeError as exc:
            raise EncodeError(f"header {name!r}: {exc.message}") from None
    raise EncodeError(
        f"header {name!r}: cannot send a {type(value).__name__} value; use bool, int, bytes, "
        "str, datetime, uuid.UUID or one of Byte/Short/Integer/Long/Timestamp"
    )


def check_header_name(name: object) -> bytes:
    """Return the UTF-8 bytes of a valid header name, or raise :class:`EncodeError`."""
    if not isinstance(name, str):
        raise EncodeError(f"header names are str, not {type(name).__name__}: {name!r}")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise EncodeError(f"header name {name!r} is not valid Unicode ({exc.reason})") from None
    if not encoded:
        raise EncodeError("header names cannot be empty")
    if len(encoded) > MAX_HEADER_NAME_BYTES:
        raise EncodeError(
            f"header name {name[:40]!r}... is {len(encoded)} UTF-8 bytes; the limit is "
            f"{MAX_HEADER_NAME_BYTES}"
        )
    return encoded
