"""Hypothesis properties of the frame codec."""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import eventstream as es
from eventstream import strategies as ess
from tests.support import crc32_oracle, recrc

slow_ok = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@slow_ok
@given(ess.messages())
def test_decode_of_encode_is_identity(message: es.Message) -> None:
    data = message.encode()
    assert es.decode(data) == message
    assert struct.unpack_from(">I", data, 8)[0] == crc32_oracle(data[:8])
    assert struct.unpack(">I", data[-4:])[0] == crc32_oracle(data[:-4])


@slow_ok
@given(ess.frames())
def test_encode_of_decode_is_byte_identical(data: bytes) -> None:
    assert es.decode(data).encode() == data


def _decode_or_our_error(data: bytes) -> None:
    try:
        message = es.decode(data)
    except es.EventStreamError as exc:
        assert exc.offset is not None and 0 <= exc.offset <= len(data)
        assert exc.frame_index == 0
    else:
        # Anything we accept is a well-formed frame that re-encodes to itself.
        assert message.encode() == data


@given(st.binary(max_size=300))
@example(b"")
@example(b"\x00\x00\x00\x10\x00\x00\x00\x00")
def test_random_bytes_give_a_message_or_our_error(data: bytes) -> None:
    _decode_or_our_error(data)


@slow_ok
@given(ess.frames(max_payload=64), st.data())
def test_mutated_frames_give_a_message_or_our_error(frame: bytes, data: st.DataObject) -> None:
    mutated = bytearray(frame)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(mutated) - 1))
        mutated[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(mutated) + 4))
    candidate = bytes(mutated[:cut])
    _decode_or_our_error(candidate)
    # With both CRCs recomputed, the header parser and length checks are what stand guard.
    if len(candidate) >= 12:
        _decode_or_our_error(recrc(candidate))
