"""The encoder refuses what the decoder refuses: the same limits, keywords and defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import eventstream as es
from eventstream import _message
from eventstream.strategies import frames, messages

PAYLOAD = es.DEFAULT_MAX_PAYLOAD_LENGTH
HEADERS = es.DEFAULT_MAX_HEADERS_LENGTH
LIFTED = {"max_payload_length": None, "max_headers_length": None}


def _block_of(length: int) -> dict[str, str]:
    """String headers whose encoded block is exactly ``length`` bytes (``length`` >= 6)."""
    headers: dict[str, str] = {}
    left = length
    while left:
        name = f"h{len(headers):03d}"
        overhead = 1 + len(name) + 1 + 2
        # Never leave a remainder too short for a header of its own.
        size = min(left - overhead, es.MAX_HEADER_VALUE_BYTES)
        if 0 < left - overhead - size < overhead:
            size -= overhead
        headers[name] = "v" * size
        left -= overhead + size
    assert len(es.Message(headers).header_block()) == length
    return headers


def test_the_defaults_are_the_decoders_and_the_spec() -> None:
    assert (PAYLOAD, HEADERS) == (25_165_824, 131_072)
    # One pair of constants: the encoder's module defines them, the codec re-exports them.
    assert es.DEFAULT_MAX_PAYLOAD_LENGTH is _message.DEFAULT_MAX_PAYLOAD_LENGTH
    assert es.Limits() == es.Limits(PAYLOAD, HEADERS)


def test_the_default_payload_limit_passes_and_one_byte_more_raises() -> None:
    at_limit = es.Message({":event-type": "chunk"}, b"x" * PAYLOAD)
    frame = at_limit.encode()
    assert es.encode(at_limit) == frame
    assert es.decode(frame) == at_limit
    over = es.Message({":event-type": "chunk"}, b"x" * (PAYLOAD + 1))
    calls: list[Callable[[], bytes]] = [over.encode, lambda: es.encode(over)]
    for call in calls:
        with pytest.raises(es.EncodeError, match=f"max_payload_length={PAYLOAD}") as info:
            call()
        assert f"{PAYLOAD + 1} bytes" in str(info.value)
        assert "max_payload_length=None lifts it" in str(info.value)
        assert isinstance(info.value, es.EventStreamError)
        assert isinstance(info.value, ValueError)


def test_the_default_headers_limit_passes_and_one_byte_more_raises() -> None:
    at_limit = es.Message(_block_of(HEADERS), b"{}")
    assert es.decode(at_limit.encode()) == at_limit
    over = es.Message(_block_of(HEADERS + 1), b"{}")
    with pytest.raises(es.EncodeError, match=f"max_headers_length={HEADERS}") as info:
        over.encode()
    assert f"{HEADERS + 1} bytes" in str(info.value)


def test_none_lifts_each_limit_and_decode_needs_the_same() -> None:
    big_payload = es.Message({}, b"x" * (PAYLOAD + 1))
    frame = big_payload.encode(max_payload_length=None)
    with pytest.raises(es.LimitExceededError):
        es.decode(frame)
    assert es.decode(frame, max_payload_length=None) == big_payload
    assert es.encode(big_payload, max_payload_length=None) == frame
    with pytest.raises(es.EncodeError, match="max_payload_length"):
        big_payload.encode(max_headers_length=None)

    big_block = es.Message(_block_of(HEADERS + 1))
    frame = big_block.encode(max_headers_length=None)
    with pytest.raises(es.LimitExceededError):
        es.decode(frame)
    assert es.decode(frame, max_headers_length=None) == big_block
    assert big_block.encode(**LIFTED) == frame


def test_small_limits_at_the_exact_boundary() -> None:
    message = es.Message({"a": "b"}, b"0123456789")
    block = len(message.header_block())
    assert message.encode(max_payload_length=10, max_headers_length=block) == message.encode()
    with pytest.raises(es.EncodeError, match="max_payload_length=9"):
        message.encode(max_payload_length=9)
    with pytest.raises(es.EncodeError, match=f"max_headers_length={block - 1}"):
        message.encode(max_headers_length=block - 1)
    # A zero limit admits exactly the empty part.
    assert es.Message().encode(max_payload_length=0, max_headers_length=0) == es.Message().encode()
    with pytest.raises(es.EncodeError, match="max_headers_length=0"):
        es.Message({"a": True}).encode(max_headers_length=0)


def test_over_both_limits_names_the_one_the_decoder_names() -> None:
    message = es.Message({"a": "b"}, b"payload")
    frame = message.encode()
    with pytest.raises(es.LimitExceededError) as decoded:
        es.decode(frame, max_payload_length=1, max_headers_length=1)
    with pytest.raises(es.EncodeError) as encoded:
        message.encode(max_payload_length=1, max_headers_length=1)
    assert decoded.value.limit_name == "max_headers_length"
    assert f"{decoded.value.limit_name}=1" in str(encoded.value)


@pytest.mark.parametrize("bad", [-1, 1.5, "10", b"10", [10]])
@pytest.mark.parametrize("keyword", ["max_payload_length", "max_headers_length"])
def test_a_bad_limit_is_a_configuration_error(keyword: str, bad: object) -> None:
    message = es.Message({"a": "b"}, b"tiny")
    given_limit: dict[str, Any] = {keyword: bad}
    calls: list[Callable[..., bytes]] = [message.encode, lambda **kw: es.encode(message, **kw)]
    for call in calls:
        with pytest.raises(es.ConfigurationError, match=f"{keyword} must be a non-negative"):
            call(**given_limit)
    # The same words as the decoder's.
    with pytest.raises(es.ConfigurationError) as info:
        es.decode(message.encode(), **given_limit)
    assert f"{keyword} must be a non-negative int or None, not {bad!r}" in str(info.value)


def test_the_u32_total_still_bounds_a_lifted_frame() -> None:
    # Four GiB cannot be built in a test: the check that encode() runs for large frames.
    with pytest.raises(es.EncodeError, match="does not fit the u32 total length"):
        _message._check_frame(es.MAX_FRAME_LENGTH + 1, 0, None, None)
    _message._check_frame(es.MAX_FRAME_LENGTH, 0, None, None)


sizes = st.integers(0, 80)
limits = st.one_of(st.none(), st.integers(0, 80))


@given(
    headers=st.integers(0, 3).map(lambda n: {f"h{i}": "v" * (3 * i) for i in range(n)}),
    payload=sizes,
    max_payload_length=limits,
    max_headers_length=limits,
)
def test_decode_accepts_exactly_what_encode_produces(
    headers: dict[str, str],
    payload: int,
    max_payload_length: int | None,
    max_headers_length: int | None,
) -> None:
    message = es.Message(headers, b"p" * payload)
    kwargs = {"max_payload_length": max_payload_length, "max_headers_length": max_headers_length}
    frame = message.encode(**LIFTED)
    try:
        encoded = message.encode(**kwargs)
    except es.EncodeError as refused:
        with pytest.raises(es.LimitExceededError) as info:
            es.decode(frame, **kwargs)
        assert f"{info.value.limit_name}={info.value.limit}" in str(refused)
    else:
        assert encoded == frame
        assert es.decode(frame, **kwargs) == message


@given(frames(max_payload=64))
def test_strategy_frames_decode_with_the_defaults(frame: bytes) -> None:
    assert es.decode(frame).encode() == frame


@given(messages(max_headers=2, max_payload=8, max_headers_length=40_000))
def test_strategy_messages_encode_with_the_defaults(message: es.Message) -> None:
    assert es.decode(message.encode()) == message
