"""Public conformance vectors from ../shared/vectors (aws-sdk-go, smithy-rs)."""

from __future__ import annotations

import base64
import json
import struct
import uuid

import pytest

import eventstream as es
from tests.support import crc32_oracle, recrc, shared_path

GO_POSITIVE = ["all_headers", "empty_message", "int32_header", "payload_no_headers",
               "payload_one_str_header"]  # fmt: skip


def _go(kind: str, cls: str, name: str) -> bytes:
    return shared_path("vectors", "aws-sdk-go", kind, cls, name).read_bytes()


def _signed(crc: int) -> int:
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def _expected_value(type_id: int, value: object) -> object:
    """Turn the JSON description's value into the value our decoder must give."""
    if type_id in (0, 1):
        return value
    if type_id in (6, 9):
        raw = base64.b64decode(str(value))
        return uuid.UUID(bytes=raw) if type_id == 9 else raw
    if type_id == 7:
        return base64.b64decode(str(value)).decode("utf-8")
    assert isinstance(value, int)
    wrapper = {2: es.Byte, 3: es.Short, 4: es.Integer, 5: es.Long, 8: es.Timestamp}[type_id]
    return wrapper(value)


@pytest.mark.parametrize("name", GO_POSITIVE)
def test_go_positive_decodes_to_its_description(name: str) -> None:
    data = _go("encoded", "positive", name)
    described = json.loads(_go("decoded", "positive", name))
    message = es.decode(data)
    assert described["total_length"] == len(data)
    total, headers_length, prelude_crc = struct.unpack_from(">III", data)
    assert (total, headers_length) == (described["total_length"], described["headers_length"])
    assert _signed(prelude_crc) == described["prelude_crc"]
    assert _signed(crc32_oracle(data[:-4])) == described["message_crc"]
    assert message.payload == base64.b64decode(described["payload"])
    got = message.typed_headers()
    assert [(n, t) for n, t, _ in got] == [(h["name"], h["type"]) for h in described["headers"]]
    for (_, type_id, value), spec in zip(got, described["headers"], strict=True):
        expected = _expected_value(type_id, spec["value"])
        assert value == expected
        assert type(value) is type(expected)


@pytest.mark.parametrize("name", GO_POSITIVE)
def test_go_positive_reencodes_byte_for_byte(name: str) -> None:
    data = _go("encoded", "positive", name)
    assert es.decode(data).encode() == data
    # And from the description alone, through the public constructor.
    described = json.loads(_go("decoded", "positive", name))
    rebuilt = es.Message(
        [(h["name"], _expected_value(h["type"], h["value"])) for h in described["headers"]],
        base64.b64decode(described["payload"]),
    )
    assert es.encode(rebuilt) == data


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
    assert _go("decoded", "negative", name).decode().strip() == text
    data = _go("encoded", "negative", name)
    with pytest.raises(error) as info:
        es.decode(data)
    assert info.value.which == text.split()[0].lower()
    assert info.value.expected != info.value.actual
    # The CRC we report as computed is the true CRC of the covered bytes.
    covered = data[:8] if error is es.PreludeChecksumError else data[:-4]
    assert info.value.actual == crc32_oracle(covered)


def _rs(name: str) -> bytes:
    return shared_path("vectors", "smithy-rs", name).read_bytes()


def test_rs_all_headers_and_payload() -> None:
    data = _rs("valid_with_all_headers_and_payload")
    message = es.decode(data)
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
    one = es.decode(_rs("valid_empty_payload"))
    assert one.typed_headers() == [("some-header", 3, es.Short(500))]
    assert one.payload == b""
    two = es.decode(_rs("valid_no_headers"))
    assert (dict(two.headers), two.payload) == ({}, b"another test payload")
    for name in ("valid_empty_payload", "valid_no_headers"):
        assert es.decode(_rs(name)).encode() == _rs(name)


def test_rs_checksum_vectors_report_both_crcs() -> None:
    with pytest.raises(es.PreludeChecksumError) as prelude:
        es.decode(_rs("invalid_prelude_checksum"))
    assert (prelude.value.expected, prelude.value.actual) == (0xDEADBEEF, 0x8BB495FB)
    with pytest.raises(es.MessageChecksumError) as message:
        es.decode(_rs("invalid_message_checksum"))
    assert (message.value.expected, message.value.actual) == (0xDEADBEEF, 0x01A05860)


def test_rs_headers_length_past_frame_is_a_length_error() -> None:
    with pytest.raises(es.FrameLengthError) as info:
        es.decode(_rs("invalid_headers_length"))
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
        es.decode(_rs(name))


@pytest.mark.parametrize(("name", "problem"), INVALID_HEADERS)
def test_rs_invalid_header_files_with_recomputed_crcs(name: str, problem: str) -> None:
    data = recrc(_rs(name))
    with pytest.raises(es.HeaderError) as info:
        es.decode(data)
    assert info.value.problem == problem
    _total, headers_length = struct.unpack_from(">II", data)
    assert 12 <= info.value.offset < 12 + headers_length  # type: ignore[operator]
