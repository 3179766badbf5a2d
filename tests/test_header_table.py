"""HEADER_TYPES is the one wire type table: the encoder, the decoder and the lookups agree with it.

The decoder's header parser keeps literal type ids and unrolled branches for speed; these
tests prove each branch against its row: every type, its extremes, its size, its truncation,
and every id past the table refused.
"""

from __future__ import annotations

import uuid

import pytest

import eventstream as es
from eventstream._codec import parse_headers
from eventstream._headers import (
    HEADER_TYPE_BY_ID,
    HEADER_TYPE_BY_NAME,
    LENGTH_PREFIX,
    LENGTH_PREFIXED,
    canonical_value,
    header_type_id,
    header_type_of,
)

ROWS = es.HEADER_TYPES
NAME = b"h"


def _examples(row: es.HeaderType) -> list[es.HeaderValue]:
    """A representative value of the row's type and its extremes."""
    if row.python_class is bool:
        return [row.name == "bool_true"]
    if row.value_struct is not None:
        bits = 8 * row.value_struct.size
        low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        return [row.python_class(v) for v in (low, -1, 0, 1, 42, high)]
    if row.python_class is bytes:
        return [b"", b"\x00", b"\xffraw", b"b" * es.MAX_HEADER_VALUE_BYTES]
    if row.python_class is str:
        return ["", "x", "Hé 👋", "s" * es.MAX_HEADER_VALUE_BYTES]
    return [uuid.UUID(int=0), uuid.UUID(int=(1 << 128) - 1), uuid.UUID(int=0x1234 << 64)]


def _value_bytes(row: es.HeaderType, value: es.HeaderValue) -> bytes:
    """The value's wire bytes, built from the row alone (not by the encoder)."""
    if row.type_id in LENGTH_PREFIXED:
        data = value.encode("utf-8") if isinstance(value, str) else value
        assert isinstance(data, bytes)
        return LENGTH_PREFIX.pack(len(data)) + data
    if row.value_struct is not None:
        assert isinstance(value, int | es.Timestamp)
        return row.value_struct.pack(int(value))
    if isinstance(value, uuid.UUID):
        return value.bytes
    return b""


CASES = [(row, value) for row in ROWS for value in _examples(row)]


def _case_id(case: object) -> str:
    if isinstance(case, es.HeaderType):
        return case.name
    return repr(case)[:24]


@pytest.mark.parametrize(("row", "value"), CASES, ids=_case_id)
def test_every_row_encodes_and_decodes_as_the_table_says(
    row: es.HeaderType, value: es.HeaderValue
) -> None:
    assert header_type_of(value) is row
    assert header_type_id(value) == row.type_id
    value_bytes = _value_bytes(row, value)
    if row.fixed_size is None:
        assert len(value_bytes) == LENGTH_PREFIX.size + (
            len(value.encode()) if isinstance(value, str) else len(value)  # type: ignore[arg-type]
        )
    else:
        assert len(value_bytes) == row.fixed_size
    expected = bytes([len(NAME)]) + NAME + bytes([row.type_id]) + value_bytes
    message = es.Message({"h": value})
    # The encoder writes what the table says...
    assert message.header_block() == expected
    # ...and the parser's branch for this id reads it back: same class, value and size.
    parsed = parse_headers(expected, 0, 0)
    assert list(parsed) == ["h"]
    decoded = parsed["h"]
    if row.python_class is bool:
        assert decoded is value
    else:
        assert type(decoded) is row.python_class
        assert decoded == value
    assert es.Message(parsed).header_block() == expected
    # The whole frame too, through decode() (the parsed-block cache included).
    again = es.decode(message.encode())
    assert again == message and again.typed_headers() == [("h", row.type_id, value)]


@pytest.mark.parametrize("row", ROWS, ids=_case_id)
def test_a_value_one_byte_short_is_truncated(row: es.HeaderType) -> None:
    value = _examples(row)[-1]
    block = bytes([len(NAME)]) + NAME + bytes([row.type_id]) + _value_bytes(row, value)
    if row.fixed_size == 0:
        # Nothing to cut from a bool: the header ends at its type byte.
        assert parse_headers(block, 0, 0) == {"h": value}
        return
    with pytest.raises(es.HeaderError) as info:
        parse_headers(block[:-1], 100, 3)
    assert info.value.problem == "truncated" and info.value.header_name == "h"
    assert info.value.frame_index == 3
    # Blamed on the first byte after the type: the value, or the length that overstates it.
    assert info.value.offset == 100 + 1 + len(NAME) + 1
    if row.fixed_size is None:
        with pytest.raises(es.HeaderError, match="value length"):
            parse_headers(block[: 1 + len(NAME) + 1 + 1], 0, 0)
    else:
        assert f"{row.fixed_size}-byte value" in info.value.message


@pytest.mark.parametrize("type_id", range(len(ROWS), 256))
def test_every_id_past_the_table_is_an_unknown_type(type_id: int) -> None:
    assert type_id not in HEADER_TYPE_BY_ID
    block = bytes([len(NAME)]) + NAME + bytes([type_id]) + bytes(16)
    with pytest.raises(es.HeaderError) as info:
        parse_headers(block, 10, 2)
    assert info.value.problem == "unknown-type"
    assert info.value.header_name == "h"
    assert info.value.offset == 10 + 1 + len(NAME)
    assert f"valid: 0..{len(ROWS) - 1}" in info.value.message


@pytest.mark.parametrize("type_id", sorted(LENGTH_PREFIXED))
def test_length_prefixed_values_over_the_limit_are_refused(type_id: int) -> None:
    size = es.MAX_HEADER_VALUE_BYTES + 1
    block = bytes([len(NAME)]) + NAME + bytes([type_id]) + LENGTH_PREFIX.pack(size) + bytes(size)
    with pytest.raises(es.HeaderError) as info:
        parse_headers(block, 0, 0)
    assert info.value.problem == "value-too-long"


def test_the_table_and_its_lookups() -> None:
    assert [row.type_id for row in ROWS] == list(range(10))
    assert [row.name for row in ROWS] == [
        "bool_true", "bool_false", "byte", "short", "integer", "long",
        "byte_array", "string", "timestamp", "uuid",
    ]  # fmt: skip
    assert [row.python_class for row in ROWS] == [
        bool, bool, es.Byte, es.Short, es.Integer, es.Long, bytes, str, es.Timestamp, uuid.UUID,
    ]  # fmt: skip
    assert [row.fixed_size for row in ROWS] == [0, 0, 1, 2, 4, 8, None, None, 8, 16]
    assert dict(HEADER_TYPE_BY_ID) == dict(enumerate(ROWS))
    assert dict(HEADER_TYPE_BY_NAME) == {row.name: row for row in ROWS}
    assert sorted(LENGTH_PREFIXED) == [6, 7]
    assert LENGTH_PREFIX.size == 2
    for row in ROWS:
        # A struct exactly where the value is one fixed-width number.
        if row.value_struct is not None:
            assert row.value_struct.size == row.fixed_size
            assert row.value_struct.format.startswith(">")
        # The display strings of docs/format.md name the class.
        shown = row.python_type.split()[0]
        if row.python_class is bool:
            assert shown == str(row.name == "bool_true")
        else:
            assert shown in (row.python_class.__name__, row.python_class.__qualname__, "uuid.UUID")


def test_the_sized_ints_take_their_id_and_width_from_the_table() -> None:
    for row in ROWS:
        if issubclass(row.python_class, int) and row.python_class is not bool:
            assert row.python_class.type_id == row.type_id  # type: ignore[attr-defined]
            assert row.python_class.bits == 8 * (row.fixed_size or 0)  # type: ignore[attr-defined]
    with pytest.raises(es.EncodeError, match=r"-128\.\.127"):
        es.Byte(128)


def test_fixed_size_values_are_canonical_as_they_are() -> None:
    for row, value in CASES:
        if row.fixed_size is not None:
            assert canonical_value("h", value) is value


def test_header_type_of_subclasses_and_non_canonical_values() -> None:
    class Text(str):
        pass

    class Id(uuid.UUID):
        pass

    assert header_type_of(Text("x")) is HEADER_TYPE_BY_NAME["string"]
    assert header_type_of(Id(int=1)) is HEADER_TYPE_BY_NAME["uuid"]
    assert es.Message({"h": Text("x")}).header_block() == es.Message({"h": "x"}).header_block()
    for value in (5, 1.5, bytearray(b"x"), None):
        with pytest.raises(es.EncodeError, match="not a canonical header value"):
            header_type_of(value)  # type: ignore[arg-type]
