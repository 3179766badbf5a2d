"""Our own vectors: frames laid out by hand with crcmod CRCs, and every error the decoder has."""

from __future__ import annotations

import datetime as dt
import struct
import uuid

import pytest

import eventstream as es
from tests.support import crc32_oracle, frame, header, string_header

# --- encoding each header type, against bytes laid out by hand ------------------------------

TYPE_CASES = [
    (True, header(b"h", 0)),
    (False, header(b"h", 1)),
    (es.Byte(-128), header(b"h", 2, b"\x80")),
    (es.Short(-2), header(b"h", 3, b"\xff\xfe")),
    (es.Integer(2**31 - 1), header(b"h", 4, b"\x7f\xff\xff\xff")),
    (7, header(b"h", 4, b"\x00\x00\x00\x07")),
    (es.Long(-(2**63)), header(b"h", 5, b"\x80" + b"\x00" * 7)),
    (b"\x00\xff", header(b"h", 6, b"\x00\x02\x00\xff")),
    (bytearray(b"ab"), header(b"h", 6, b"\x00\x02ab")),
    ("é", header(b"h", 7, b"\x00\x02\xc3\xa9")),
    (es.Timestamp(-1), header(b"h", 8, b"\xff" * 8)),
    (uuid.UUID(int=1), header(b"h", 9, b"\x00" * 15 + b"\x01")),
]


@pytest.mark.parametrize(("value", "wire"), TYPE_CASES)
def test_each_type_encodes_as_laid_out_by_hand(value: es.HeaderInput, wire: bytes) -> None:
    data = es.Message({"h": value}, b"payload").encode()
    assert data == frame(wire, b"payload")
    # And back: decode gives the canonical value with the same wire type.
    decoded = es.decode(data)
    assert decoded.encode() == data
    assert decoded == es.Message({"h": value}, b"payload")


def test_frame_layout_and_both_crcs_match_crcmod() -> None:
    data = es.Message({":event-type": "chunk"}, b"{}").encode()
    total, headers_length, prelude_crc = struct.unpack_from(">III", data)
    assert total == len(data) == 16 + headers_length + 2
    assert prelude_crc == crc32_oracle(data[:8])
    assert struct.unpack(">I", data[-4:])[0] == crc32_oracle(data[:-4])


def test_minimal_frame_is_16_bytes() -> None:
    data = es.Message().encode()
    assert data == frame() and len(data) == 16
    assert es.decode(data) == es.Message()


# --- the Python mapping ---------------------------------------------------------------------


def test_plain_values_map_to_documented_types() -> None:
    when = dt.datetime(2024, 1, 2, 3, 4, 5, 678999, tzinfo=dt.timezone.utc)
    message = es.Message({"b": True, "i": 5, "y": b"x", "s": "x", "t": when, "u": uuid.UUID(int=0)})
    assert [t for _, t, _ in message.typed_headers()] == [0, 4, 6, 7, 8, 9]
    # Timestamps truncate below the millisecond with integer arithmetic, not float.
    assert message.headers["t"] == es.Timestamp(1704164645678)


def test_decoded_values_keep_their_wire_width() -> None:
    for wrapper, type_id in ((es.Byte, 2), (es.Short, 3), (es.Integer, 4), (es.Long, 5)):
        data = es.Message({"n": wrapper(1)}).encode()
        message = es.decode(data)
        assert type(message.headers["n"]) is wrapper
        assert message.typed_headers()[0][1] == type_id
        assert message.encode() == data
    assert es.Message({"n": es.Short(1)}) != es.Message({"n": es.Integer(1)})
    assert es.Message({"n": True}) != es.Message({"n": es.Byte(1)})


def test_timestamps_outside_datetime_range_survive() -> None:
    for millis in (-(2**63), 2**63 - 1, 253402300800000):  # the last is year 10000
        data = es.Message({"t": es.Timestamp(millis)}).encode()
        value = es.decode(data).headers["t"]
        assert value == es.Timestamp(millis)
        assert isinstance(value, es.Timestamp)
        with pytest.raises(OverflowError):
            value.to_datetime()
        assert es.decode(data).encode() == data


def test_timestamp_datetime_conversions_are_exact() -> None:
    # A value where float arithmetic (dt.timestamp() * 1000) lands 1 ms low.
    when = dt.datetime(2023, 8, 29, 12, 0, 0, 1000, tzinfo=dt.timezone.utc)
    assert es.Timestamp.from_datetime(when).millis == 1693310400001
    assert es.Timestamp(1693310400001).to_datetime() == when
    before = dt.datetime(1969, 12, 31, 23, 59, 59, 999500, tzinfo=dt.timezone.utc)
    assert es.Timestamp.from_datetime(before).millis == -1
    offset = dt.datetime(1970, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert es.Timestamp.from_datetime(offset).millis == 0


@pytest.mark.parametrize(
    ("headers", "text"),
    [
        ({"": "x"}, "cannot be empty"),
        ({"n" * 256: "x"}, "is 256 UTF-8 bytes"),
        ({"é" * 128: "x"}, "is 256 UTF-8 bytes"),
        ({"s": "x" * 32768}, "32768 UTF-8 bytes"),
        ({"s": "é" * 16384}, "32768 UTF-8 bytes"),
        ({"b": b"x" * 32768}, "32768 bytes"),
        ({"i": 2**31}, "es.Long"),
        ({"i": 1.5}, "cannot send a float"),
        ({"i": None}, "cannot send a NoneType"),
        ({"t": dt.datetime(2024, 1, 1)}, "naive datetime"),
        ({"s": "\ud800"}, "not valid Unicode"),
        ([("a", 1), ("a", 2)], "appears twice"),
        ([(1, 1)], "header names are str"),
    ],
)
def test_invalid_messages_are_rejected_when_built(headers: object, text: str) -> None:
    with pytest.raises(es.EncodeError, match=text.replace("es.Long", r"eventstream\.Long")):
        es.Message(headers)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("wrapper", "low", "high"),
    [(es.Byte, -128, 127), (es.Short, -32768, 32767), (es.Integer, -(2**31), 2**31 - 1),
     (es.Long, -(2**63), 2**63 - 1)],
)  # fmt: skip
def test_integer_wrappers_check_their_range(wrapper: type[int], low: int, high: int) -> None:
    assert wrapper(low) == low and wrapper(high) == high
    for bad in (low - 1, high + 1):
        with pytest.raises(es.EncodeError, match=f"{low}..{high}"):
            wrapper(bad)
    with pytest.raises(es.EncodeError):
        wrapper(True)


def test_limits_at_the_edges_are_accepted() -> None:
    message = es.Message({"n" * 255: "x" * 32767, "b": b"y" * 32767, "e": "", "f": b""})
    assert es.decode(message.encode()) == message


def test_message_is_immutable_and_hashable() -> None:
    message = es.Message({"a": "b"}, bytearray(b"p"))
    assert type(message.payload) is bytes
    with pytest.raises(AttributeError):
        message.payload = b"q"  # type: ignore[misc]
    with pytest.raises(TypeError):
        message.headers["a"] = "c"  # type: ignore[index]
    assert hash(message) == hash(es.Message([("a", "b")], b"p"))
    assert list(es.Message([("z", 1), ("a", 2)]).headers) == ["z", "a"]


# --- decoding errors: class, fields and offset ---------------------------------------------


def test_prelude_crc_is_checked_before_the_lengths() -> None:
    data = frame(total=3, headers_length=99, prelude_crc=0)
    with pytest.raises(es.PreludeChecksumError) as info:
        es.decode(data)
    assert (info.value.expected, info.value.actual) == (0, crc32_oracle(data[:8]))
    assert (info.value.offset, info.value.frame_index, info.value.which) == (8, 0, "prelude")


@pytest.mark.parametrize("total", [0, 12, 15])
def test_total_below_16_is_rejected(total: int) -> None:
    with pytest.raises(es.FrameLengthError, match="below the minimum") as info:
        es.decode(frame(total=total) + b"\x00" * 16)
    assert info.value.total_length == total
    assert info.value.offset == 0


def test_headers_length_past_the_frame_is_rejected() -> None:
    data = frame(string_header(b"a", b"b"), headers_length=200)
    with pytest.raises(es.FrameLengthError, match="runs past the frame") as info:
        es.decode(data)
    assert info.value.offset == 4 and info.value.headers_length == 200


def test_limits_are_checked_before_the_message_crc_and_can_be_lifted() -> None:
    data = frame(b"", b"x" * 100, message_crc=0)
    with pytest.raises(es.LimitExceededError) as info:
        es.decode(data, max_payload_length=99)
    assert (info.value.limit_name, info.value.limit, info.value.actual) == (
        "max_payload_length", 99, 100,
    )  # fmt: skip
    block = string_header(b"a", b"b" * 50)
    with pytest.raises(es.LimitExceededError, match="max_headers_length=10"):
        es.decode(frame(block), max_headers_length=10)
    assert es.decode(frame(block), max_headers_length=None).headers == {"a": "b" * 50}
    big = frame(b"", b"x" * (es.DEFAULT_MAX_PAYLOAD_LENGTH + 1))
    with pytest.raises(es.LimitExceededError):
        es.decode(big)
    assert len(es.decode(big, max_payload_length=None).payload) == len(big) - 16


def test_message_crc_is_checked_before_the_headers() -> None:
    data = frame(header(b"a", 42), message_crc=1)
    with pytest.raises(es.MessageChecksumError) as info:
        es.decode(data)
    assert info.value.offset == len(data) - 4 and info.value.expected == 1


HEADER_CASES = [
    (header(b"", 7, b"\x00\x01x"), "empty-name", 12),
    (header(b"a", 10), "unknown-type", 14),
    (header(b"a", 255), "unknown-type", 14),
    (b"\x05ab", "truncated", 12),
    (b"\x01a", "truncated", 12),
    (header(b"a", 7, b"\x00"), "truncated", 15),
    (header(b"a", 7, b"\x00\x05abc"), "truncated", 15),
    (header(b"a", 6, b"\x80\x00" + b"x" * 32768), "value-too-long", 15),
    (header(b"a", 4, b"\x00\x00"), "truncated", 15),
    (header(b"a", 9, b"\x00" * 15), "truncated", 15),
    (header(b"a", 8, b"\x00" * 7), "truncated", 15),
    (header(b"\xff", 0), "invalid-utf8", 13),
    (header(b"a", 7, b"\x00\x02\xc3\x28"), "invalid-utf8", 17),
    (header(b"a", 0) + header(b"a", 1), "duplicate-name", 15),
]


@pytest.mark.parametrize(("block", "problem", "offset"), HEADER_CASES)
def test_header_block_is_parsed_strictly(block: bytes, problem: str, offset: int) -> None:
    # Valid CRCs and lengths: only the header parser can find the fault.
    data = frame(block, b"payload follows")
    with pytest.raises(es.HeaderError) as info:
        es.decode(data)
    assert info.value.problem == problem
    assert info.value.offset == offset
    assert info.value.frame_index == 0


def test_a_header_never_reads_into_the_payload() -> None:
    # The string's length runs past the block into a payload that would complete it.
    data = frame(header(b"a", 7, b"\x00\x04ab"), b"cd")
    with pytest.raises(es.HeaderError, match="runs past the header block"):
        es.decode(data)


def test_missing_and_trailing_bytes() -> None:
    data = frame(string_header(b"a", b"b"), b"p")
    with pytest.raises(es.TruncatedError) as short:
        es.decode(data[:-1])
    assert (short.value.expected, short.value.received) == (len(data), len(data) - 1)
    with pytest.raises(es.TruncatedError, match="prelude"):
        es.decode(data[:11])
    with pytest.raises(es.TrailingDataError) as extra:
        es.decode(data + data)
    assert extra.value.offset == len(data)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"message":"The security token included in the request is invalid."}', "JSON"),
        (b'  [{"error": 1}]', "JSON"),
        (b'data: {"type":"message_start"}\n\n', "Server-Sent Events"),
        (b"event: error\ndata: {}\n\n", "Server-Sent Events"),
        (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML"),
        (b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n\r\n{}", "HTTP response"),
        (b"000000b0000000541c3b8f5a0b3a6576656e742d74797065", "hex text"),
        (b"AAAAsAAAAFQcO49aCzpldmVudC10eXBl", "base64"),
        (b"Internal Server Error", "plain text"),
        (b'{"message":', "JSON"),
    ],
)
def test_non_eventstream_input_is_named(body: bytes, says: str) -> None:
    with pytest.raises(es.EventStreamError, match=says) as info:
        es.decode(body)
    assert isinstance(info.value, es.PreludeChecksumError | es.TruncatedError)
    assert "first bytes" in str(info.value)


def test_binary_garbage_gets_no_false_hint() -> None:
    with pytest.raises(es.PreludeChecksumError) as info:
        es.decode(bytes(range(200, 256)))
    assert "looks like" not in str(info.value)


def test_error_strings_say_where() -> None:
    with pytest.raises(es.MessageChecksumError) as info:
        es.decode(frame(b"", b"x", message_crc=5))
    assert str(info.value).startswith("frame 0, byte 13: message checksum mismatch")
    assert info.value.args == (info.value.message,)


def test_non_bytes_input_is_our_error_and_a_type_error() -> None:
    with pytest.raises(es.InputTypeError) as info:
        es.decode("not bytes")  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)


def test_strided_memoryview_is_our_error() -> None:
    data = frame(string_header(b"a", b"b"), b"p")
    spread = bytes(b for x in data for b in (x, 0))
    with pytest.raises(es.InputTypeError, match="C-contiguous") as info:
        es.decode(memoryview(spread)[::2])
    assert (info.value.offset, info.value.frame_index) == (0, 0)


def test_memoryview_and_bytearray_inputs() -> None:
    data = frame(string_header(b"a", b"b"), b"p")
    assert es.decode(bytearray(data)) == es.decode(memoryview(data)) == es.decode(data)
    wide = memoryview(bytearray(data + b"\x00\x00"))[: len(data)]
    assert es.decode(wide).payload == b"p"


def test_negative_limits_are_configuration_errors() -> None:
    with pytest.raises(es.ConfigurationError, match="max_payload_length"):
        es.Decoder(max_payload_length=-1)
    with pytest.raises(es.ConfigurationError, match="max_headers_length"):
        es.decode(b"", max_headers_length=-5)
