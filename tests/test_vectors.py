"""Public conformance vectors from ../shared/vectors (aws-sdk-go, smithy-rs).

Each vector is read by ``decode_three_ways`` (tests/vectors.py): ``decode()`` whole, a
Decoder fed it whole and one byte at a time, and both with trailing bytes, all agreeing.
"""

from __future__ import annotations

import base64
import struct
import uuid

import pytest

import eventstream as es
from tests.support import crc32_oracle, recrc
from tests.vectors import (
    GO_POSITIVE,
    decode_three_ways,
    go_description,
    go_file,
    go_message,
    go_value,
    rs_file,
)


def _signed(crc: int) -> int:
    return crc - (1 << 32) if crc >= 1 << 31 else crc


@pytest.mark.parametrize("name", GO_POSITIVE)
def test_go_positive_decodes_to_its_description(name: str) -> None:
    data = go_file("encoded", "positive", name)
    described = go_description(name)
    message = decode_three_ways(data)
    assert described["total_length"] == len(data)
    total, headers_length, prelude_crc = struct.unpack_from(">III", data)
    assert (total, headers_length) == (described["total_length"], described["headers_length"])
    assert _signed(prelude_crc) == described["prelude_crc"]
    assert _signed(crc32_oracle(data[:-4])) == described["message_crc"]
    assert message.payload == base64.b64decode(described["payload"])
    got = message.typed_headers()
    assert [(n, t) for n, t, _ in got] == [(h["name"], h["type"]) for h in described["headers"]]
    for (_, type_id, value), spec in zip(got, described["headers"], strict=True):
        expected = go_value(type_id, spec["value"])
        assert value == expected
        assert type(value) is type(expected)


@pytest.mark.parametrize("name", GO_POSITIVE)
def test_go_positive_reencodes_byte_for_byte(name: str) -> None:
    data = go_file("encoded", "positive", name)
    assert decode_three_ways(data).encode() == data
    # And from the description alone, through the public constructor.
    assert es.encode(go_message(go_description(name))) == data


@pytest.mark.parametrize(
    ("name", "error", "text"),
    [
        ("corrupted_header_len", es.PreludeChecksumError, "Prelude checksum mismatch"),
        ("corrupted_length", es.PreludeChecksumError, "Prelude checksum mismatch"),
        ("corrupted_headers", es.MessageChecksumError, "Message checksum mismatch"),
        ("corrupted_payload", es.MessageChecksumError, "Message checksum mismatch"),
    ],
)
def test_go_negative_raises_the_named_error(
    name: str, error: type[es.ChecksumError], text: str
) -> None:
    assert go_file("decoded", "negative", name).decode().strip() == text
    data = go_file("encoded", "negative", name)
    with pytest.raises(error) as info:
        decode_three_ways(data)
    assert info.value.which == text.split()[0].lower()
    assert info.value.expected != info.value.actual
    # The CRC we report as computed is the true CRC of the covered bytes.
    covered = data[:8] if error is es.PreludeChecksumError else data[:-4]
    assert info.value.actual == crc32_oracle(covered)


def test_rs_all_headers_and_payload() -> None:
    data = rs_file("valid_with_all_headers_and_payload")
    message = decode_three_ways(data)
    assert message.typed_headers() == [
        ("true", 0, True),
        ("false", 1, False),
        ("byte", 2, es.Byte(50)),
        ("short", 3, es.Short(20000)),
        ("int", 4, es.Integer(500000)),
        ("long", 5, es.Long(50_000_000_000)),
        ("bytes", 6, b"some bytes"),
        ("str", 7, "some str"),
        ("time", 8, es.Timestamp(5_000_000_000)),
        ("uuid", 9, uuid.UUID("b79bc914-de21-4e13-b8b2-bc47e85b7f0b")),
    ]
    assert message.payload == b"some payload"
    assert message.encode() == data


def test_rs_empty_payload_and_no_headers() -> None:
    one = decode_three_ways(rs_file("valid_empty_payload"))
    assert one.typed_headers() == [("some-header", 3, es.Short(500))]
    assert one.payload == b""
    two = decode_three_ways(rs_file("valid_no_headers"))
    assert (dict(two.headers), two.payload) == ({}, b"another test payload")
    for name in ("valid_empty_payload", "valid_no_headers"):
        assert decode_three_ways(rs_file(name)).encode() == rs_file(name)


def test_rs_checksum_vectors_report_both_crcs() -> None:
    with pytest.raises(es.PreludeChecksumError) as prelude:
        decode_three_ways(rs_file("invalid_prelude_checksum"))
    assert (prelude.value.expected, prelude.value.actual) == (0xDEADBEEF, 0x8BB495FB)
    with pytest.raises(es.MessageChecksumError) as message:
        decode_three_ways(rs_file("invalid_message_checksum"))
    assert (message.value.expected, message.value.actual) == (0xDEADBEEF, 0x01A05860)


def test_rs_headers_length_past_frame_is_a_length_error() -> None:
    with pytest.raises(es.FrameLengthError) as info:
        decode_three_ways(rs_file("invalid_headers_length"))
    assert (info.value.headers_length, info.value.total_length) == (77, 89)
    assert info.value.offset == 4


INVALID_HEADERS = [
    ("invalid_header_value_type", "unknown-type"),
    ("invalid_header_name_length", "truncated"),
    ("invalid_header_string_value_length", "truncated"),
    ("invalid_header_string_length_cut_off", "truncated"),
    # smithy-rs reports InvalidUtf8String: it reads the 102-byte name past the 77-byte header
    # block. We never read outside the block, so the name is truncated before any UTF-8 check.
    ("invalid_header_name_length_too_long", "truncated"),
]


@pytest.mark.parametrize(("name", "problem"), INVALID_HEADERS)
def test_rs_invalid_header_files_fail_the_message_crc_first(name: str, problem: str) -> None:
    # The files were mutated without recomputing the message CRC; we check it before headers.
    with pytest.raises(es.MessageChecksumError):
        decode_three_ways(rs_file(name))


@pytest.mark.parametrize(("name", "problem"), INVALID_HEADERS)
def test_rs_invalid_header_files_with_recomputed_crcs(name: str, problem: str) -> None:
    data = recrc(rs_file(name))
    with pytest.raises(es.HeaderError) as info:
        decode_three_ways(data)
    assert info.value.problem == problem
    _total, headers_length = struct.unpack_from(">II", data)
    assert 12 <= info.value.offset < 12 + headers_length  # type: ignore[operator]
