"""The incremental Decoder: any split of the input, prelude checks at 12 bytes, fail-closed errors.

Frames are laid out by hand (tests/support.py, CRCs from crcmod) or come from the public
vectors and the real Bedrock captures in ../shared, never from our own encoder.
"""

from __future__ import annotations

import array
import base64
import itertools
import json
import random
import struct
import tracemalloc
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import eventstream as es
from eventstream import strategies as ess
from tests.support import (
    SHARED,
    crc32_oracle,
    frame,
    header,
    prelude,
    recrc,
    shared_path,
    string_header,
)
from tests.vectors import (
    EMPTY,
    NEGATIVE,
    POSITIVE,
    RS_EXPECTED,
    RS_POSITIVE,
    bytewise,
    check_hand_built,
    decode_three_ways,
    event,
    feed_every_way,
    fixed_chunks,
    frame_ends_bytewise,
    hand_stream,
    negative_vector,
    positive_vector,
    random_split,
    run,
)

# --- our own frames, always present --------------------------------------------------------

ALL_TYPES_WIRE = (
    header(b"t", 0)
    + header(b"f", 1)
    + header(b"byte", 2, b"\xff")
    + header(b"short", 3, b"\x01\x2c")
    + header(b"int", 4, b"\xff\xfe\xee\x90")
    + header(b"long", 5, b"\x00\x00\x01\x00\x00\x00\x00\x00")
    + header(b"bytes", 6, b"\x00\x02\x00\xff")
    + header(b"str", 7, b"\x00\x02\xc3\xa9")
    + header(b"time", 8, b"\x00\x00\x01\x8b\xcf\xe5\x68\x00")
    + header(b"uuid", 9, bytes(range(16)))
)


def _message(headers: dict[str, es.HeaderValue], payload: bytes) -> es.Message:
    return es.Message(headers, payload)


ALL_TYPES_MESSAGE = _message(
    {
        "t": True,
        "f": False,
        "byte": es.Byte(-1),
        "short": es.Short(300),
        "int": es.Integer(-70000),
        "long": es.Long(1 << 40),
        "bytes": b"\x00\xff",
        "str": "é",
        "time": es.Timestamp(1_700_000_000_000),
        "uuid": uuid.UUID(bytes=bytes(range(16))),
    },
    b"",
)

EXCEPTION_FRAME = frame(
    string_header(b":exception-type", b"throttlingException")
    + string_header(b":content-type", b"application/json")
    + string_header(b":message-type", b"exception"),
    b'{"message":"Too many requests, please wait before trying again."}',
)
EXCEPTION_MESSAGE = es.Message(
    {
        ":exception-type": "throttlingException",
        ":content-type": "application/json",
        ":message-type": "exception",
    },
    b'{"message":"Too many requests, please wait before trying again."}',
)

OWN_STREAM = hand_stream(
    [
        EMPTY,
        event("chunk", b'{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdGFydCJ9"}'),
        (frame(ALL_TYPES_WIRE), ALL_TYPES_MESSAGE),
        (frame(b"", bytes(range(256)) * 4), es.Message({}, bytes(range(256)) * 4)),
        event("contentBlockDelta", b'{"delta":{"text":"Bonjour"},"contentBlockIndex":0}'),
        (EXCEPTION_FRAME, EXCEPTION_MESSAGE),
    ]
)
OWN, FRAMES, MESSAGES, STREAM, STARTS = OWN_STREAM

#: A prelude with a valid CRC that claims a 4 GiB frame.
HUGE_PRELUDE = prelude(0xFFFFFFFF, 0)


def test_own_frames_are_what_they_claim() -> None:
    # Guards the fixtures themselves: hand layout, crcmod CRCs, byte-faithful to Message.
    check_hand_built(OWN_STREAM)


# --- what feed() accepts ----------------------------------------------------------------------

BYTES_LIKE: list[tuple[str, Callable[[bytes], Any]]] = [
    ("bytes", bytes),
    ("bytearray", bytearray),
    ("memoryview", memoryview),
    ("memoryview-of-bytearray", lambda d: memoryview(bytearray(d))),
    ("memoryview-slice", lambda d: memoryview(b"\xaa" * 5 + d + b"\xbb" * 3)[5:-3]),
    ("memoryview-format-c", lambda d: memoryview(d).cast("c")),
    ("memoryview-of-array-b", lambda d: memoryview(array.array("b", d))),
    ("memoryview-2d", lambda d: memoryview(d).cast("B", (len(d), 1))),
]


@pytest.mark.parametrize(("kind", "convert"), BYTES_LIKE, ids=[k for k, _ in BYTES_LIKE])
def test_feed_takes_any_bytes_like(kind: str, convert: Callable[[bytes], Any]) -> None:
    decoder = es.Decoder()
    assert decoder.feed(convert(STREAM)) == MESSAGES
    assert decoder.pending == 0
    # Split inside the fourth frame's payload, each half in the same bytes-like type.
    cut = STARTS[3] + 101
    decoder = es.Decoder()
    assert decoder.feed(convert(STREAM[:cut])) == MESSAGES[:3]
    assert decoder.pending == 101
    assert decoder.feed(convert(STREAM[cut:])) == MESSAGES[3:]
    decoder.close()


def test_empty_feeds_change_nothing() -> None:
    decoder = es.Decoder()
    for empty in (b"", bytearray(), memoryview(b"")):
        assert decoder.feed(empty) == []
    cuts = [5, 12, STARTS[1] + 3, STARTS[2] + 12, STARTS[3] + 700]
    got: list[es.Message] = []
    for a, b in itertools.pairwise([0, *cuts, len(STREAM)]):
        state = (decoder.offset, decoder.pending, decoder.frame_index)
        assert decoder.feed(b"") == []
        assert (decoder.offset, decoder.pending, decoder.frame_index) == state
        got += decoder.feed(STREAM[a:b])
    assert decoder.feed(b"") == []
    assert got == MESSAGES
    decoder.close()


def test_a_fed_bytearray_is_free_to_reuse_at_once() -> None:
    # The decoder must copy the partial tail and release its view of the caller's buffer:
    # resizing a bytearray with a live export raises BufferError.
    cut = STARTS[2] + 20
    chunk = bytearray(STREAM[:cut])
    decoder = es.Decoder()
    assert decoder.feed(chunk) == MESSAGES[:2]
    chunk[:] = b"\x00" * 3  # overwrite and shrink: the 20 pending bytes must not change
    chunk.extend(b"more")
    assert decoder.feed(bytearray(STREAM[cut:])) == MESSAGES[2:]
    decoder.close()


@pytest.mark.parametrize("length", [5, len(FRAMES[1])])
def test_non_contiguous_memoryview_is_an_input_type_error(length: int) -> None:
    spread = bytes(b for x in FRAMES[1] for b in (x, 0))
    view = memoryview(spread)[: 2 * length : 2]
    assert bytes(view) == FRAMES[1][:length]
    with pytest.raises(es.InputTypeError):
        es.Decoder().feed(view)


@pytest.mark.parametrize("bad", ["text", 12, [1, 2], None])
def test_non_bytes_input_is_an_input_type_error_and_fails_closed(bad: object) -> None:
    decoder = es.Decoder()
    assert decoder.feed(FRAMES[0]) == MESSAGES[:1]
    with pytest.raises(es.InputTypeError) as info:
        decoder.feed(bad)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)
    with pytest.raises(es.DecoderStateError) as again:
        decoder.feed(FRAMES[1])
    assert again.value.__cause__ is info.value


def test_input_type_error_from_feed_carries_the_stream_position() -> None:
    decoder = es.Decoder()
    decoder.feed(STREAM[: STARTS[2] + 5])
    with pytest.raises(es.InputTypeError) as info:
        decoder.feed("text")  # type: ignore[arg-type]
    assert info.value.offset == STARTS[2] + 5
    assert info.value.frame_index == 2
    assert info.value.frame_offset == STARTS[2]


# --- every completed message, and only those ------------------------------------------------


def test_whole_stream_in_one_feed() -> None:
    decoder = es.Decoder()
    assert decoder.feed(STREAM) == MESSAGES
    assert (decoder.pending, decoder.offset, decoder.frame_index) == (0, len(STREAM), len(OWN))
    decoder.close()


def test_two_feeds_split_anywhere() -> None:
    # Every cut point of the stream: each feed returns exactly the frames it completes.
    for cut in range(len(STREAM) + 1):
        done = sum(1 for end in STARTS[1:] if end <= cut)
        decoder = es.Decoder()
        assert decoder.feed(STREAM[:cut]) == MESSAGES[:done], cut
        assert decoder.pending == cut - STARTS[done]
        assert decoder.offset == STARTS[done]
        assert decoder.feed(STREAM[cut:]) == MESSAGES[done:], cut
        assert decoder.pending == 0
        decoder.close()


def test_one_byte_at_a_time() -> None:
    decoder = es.Decoder()
    index = 0
    for position in range(1, len(STREAM) + 1):
        got = decoder.feed(STREAM[position - 1 : position])
        if position == STARTS[index + 1]:
            assert got == [MESSAGES[index]]
            index += 1
            assert decoder.pending == 0
        else:
            assert got == []
            # Never more than the one incomplete frame is held.
            assert decoder.pending == position - STARTS[index] < len(FRAMES[index])
        assert decoder.offset == STARTS[index]
        assert decoder.frame_index == index
    decoder.close()


def test_many_frames_in_one_large_feed() -> None:
    count = 5000
    data = STREAM * count
    decoder = es.Decoder()
    messages = decoder.feed(data)
    assert len(messages) == count * len(OWN)
    assert messages[-len(OWN) :] == MESSAGES and messages[: len(OWN)] == MESSAGES
    assert (decoder.pending, decoder.offset) == (0, len(data))
    decoder.close()


def test_a_20_mib_frame_whole_and_in_1_mib_feeds() -> None:
    payload = bytes(range(256)) * (20 * 4096)
    big = frame(string_header(b":event-type", b"chunk"), payload)
    expected = es.Message({":event-type": "chunk"}, payload)
    decoder = es.Decoder()
    assert decoder.feed(big) == [expected]
    assert decoder.pending == 0
    decoder = es.Decoder()
    step = 1 << 20
    for start in range(0, len(big) - step, step):
        assert decoder.feed(big[start : start + step]) == []
        assert decoder.pending == start + step
    assert decoder.feed(big[start + step :]) == [expected]
    assert decoder.pending == 0
    decoder.close()


# --- linear behaviour: only the partial tail is ever buffered -------------------------------


@pytest.mark.parametrize("tail", [0, 1, 11, 12, 13, len(FRAMES[3]) - 1])
def test_only_the_partial_tail_is_pending(tail: int) -> None:
    decoder = es.Decoder()
    data = STREAM * 3 + FRAMES[3][:tail]
    assert decoder.feed(data) == MESSAGES * 3
    assert decoder.pending == tail
    assert decoder.offset == 3 * len(STREAM)


def test_finishing_a_pending_frame_does_not_buffer_the_frames_after_it() -> None:
    decoder = es.Decoder()
    head = STARTS[3] + 40
    assert decoder.feed(STREAM[:head]) == MESSAGES[:3]
    assert decoder.pending == 40
    # One feed: the rest of frame 3, five whole streams, then 7 bytes of a frame.
    chunk = STREAM[head:] + STREAM * 5 + FRAMES[1][:7]
    assert decoder.feed(chunk) == MESSAGES[3:] + MESSAGES * 5
    assert decoder.pending == 7
    assert decoder.offset == 6 * len(STREAM)
    assert decoder.feed(FRAMES[1][7:]) == [MESSAGES[1]]
    assert decoder.pending == 0


def _peak_allocated_while(call: Callable[[], object]) -> int:
    """Peak bytes allocated while ``call`` runs, above what was allocated before it."""
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        call()
        return tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("pending_first", [0, 1000], ids=["fresh", "finishing-a-pending-frame"])
def test_a_large_feed_allocates_only_the_payloads_it_returns(pending_first: int) -> None:
    # Memory, not time: copying the rest of the feed (into the buffer, or per frame) would
    # at least double the peak. The payload copies are what the messages own.
    payload = bytes(range(256)) * 1024
    one = frame(string_header(b":event-type", b"chunk"), payload)
    count = 48
    chunk = one[pending_first:] + one * count if pending_first else one * count
    decoder = es.Decoder()
    decoder.feed(one[:pending_first])
    kept: list[list[es.Message]] = []
    peak = _peak_allocated_while(lambda: kept.append(decoder.feed(chunk)))
    returned = count + (1 if pending_first else 0)
    assert len(kept[0]) == returned and decoder.pending == 0
    payloads = returned * len(payload)
    # Room for the one pending frame's buffer and small objects, far below a second copy.
    assert payloads <= peak < payloads + 2 * len(one) + (1 << 20)


def test_pending_never_exceeds_the_incomplete_frame() -> None:
    rng = random.Random("pending")
    data = STREAM * 4
    ends = [0, *itertools.accumulate(len(f) for f in FRAMES * 4)]
    for _ in range(50):
        decoder = es.Decoder()
        position = 0
        for chunk in random_split(data, rng, max_cuts=30):
            decoder.feed(chunk)
            position += len(chunk)
            start = max(end for end in ends if end <= position)
            # Exactly the bytes of the frame under way; none of a completed frame stays.
            assert decoder.offset == start
            assert decoder.pending == position - start
        decoder.close()


# --- close() ------------------------------------------------------------------------------


def test_close_after_whole_frames_raises_nothing() -> None:
    decoder = es.Decoder()
    decoder.close()
    decoder = es.Decoder()
    decoder.feed(STREAM)
    decoder.close()


def test_close_inside_any_frame_raises_truncated_with_where() -> None:
    for cut in range(1, len(STREAM)):
        if cut in STARTS:
            continue
        index = max(i for i, start in enumerate(STARTS) if start < cut)
        start = STARTS[index]
        outcome = run([STREAM[:cut]])
        assert outcome.messages == MESSAGES[:index]
        error = outcome.error
        assert isinstance(error, es.TruncatedError) and outcome.at_close, cut
        assert error.expected == (12 if cut - start < 12 else len(FRAMES[index]))
        assert error.received == cut - start
        assert (error.offset, error.frame_index, error.frame_offset) == (cut, index, start)
        assert str(error).startswith(f"frame {index}, byte {cut}: ")


def test_close_inside_a_prelude_says_when_the_bytes_look_like_json() -> None:
    decoder = es.Decoder()
    assert decoder.feed(b'{"ok":0}') == []  # 8 bytes: too few for a prelude check
    with pytest.raises(es.TruncatedError) as info:
        decoder.close()
    assert "looks like a JSON document" in str(info.value)
    assert (info.value.expected, info.value.received) == (12, 8)


# --- the prelude is judged as soon as its 12 bytes are in ------------------------------------

DEFAULT_PAYLOAD = es.DEFAULT_MAX_PAYLOAD_LENGTH
BAD_PRELUDES = [
    # (id, prelude, error class, offset of the fault within the frame, limit name)
    ("total-0xffffffff", HUGE_PRELUDE, es.LimitExceededError, 0, "max_payload_length"),
    (
        "payload-one-over-default",
        prelude(16 + DEFAULT_PAYLOAD + 1, 0),
        es.LimitExceededError,
        0,
        "max_payload_length",
    ),
    (
        "headers-over-default",
        prelude(0xFFFFFFFF, es.DEFAULT_MAX_HEADERS_LENGTH + 1),
        es.LimitExceededError,
        4,
        "max_headers_length",
    ),
    ("total-below-16", prelude(15, 0), es.FrameLengthError, 0, None),
    ("total-zero", prelude(0, 0), es.FrameLengthError, 0, None),
    ("headers-past-frame", prelude(40, 25), es.FrameLengthError, 4, None),
    ("prelude-crc", prelude(0xFFFFFFFF, 0, crc=0x12345678), es.PreludeChecksumError, 8, None),
]


@pytest.mark.parametrize(
    ("prelude", "error", "where", "limit_name"),
    [case[1:] for case in BAD_PRELUDES],
    ids=[case[0] for case in BAD_PRELUDES],
)
@pytest.mark.parametrize("frames_before", [0, 1, len(OWN)])
@pytest.mark.parametrize("mode", ["11+1", "bytewise", "one-feed"])
def test_bad_prelude_is_rejected_at_exactly_12_bytes(  # noqa: PLR0917 - hypothesis passes the drawn values
    prelude: bytes,
    error: type[es.EventStreamError],
    where: int,
    limit_name: str | None,
    frames_before: int,
    mode: str,
) -> None:
    before = b"".join(FRAMES[:frames_before])
    start = len(before)
    # Whatever follows the prelude must never be waited for.
    data = before + prelude + b"\x00" * 20
    decoder = es.Decoder()
    got: list[es.Message] = []
    if mode == "11+1":
        got += decoder.feed(data[: start + 11])
        assert decoder.pending == 11
        chunks = [data[start + 11 : start + 12]]
    elif mode == "bytewise":
        chunks = bytewise(data[: start + 12])
    else:
        chunks = [data[: start + 12]]
    for chunk in chunks[:-1]:
        got += decoder.feed(chunk)
    with pytest.raises(error) as info:
        decoder.feed(chunks[-1])
    raised = info.value
    assert type(raised) is error
    assert got + list(raised.messages) == MESSAGES[:frames_before]
    assert raised.offset == start + where
    assert raised.frame_offset == start
    assert raised.frame_index == frames_before
    if limit_name is not None:
        assert isinstance(raised, es.LimitExceededError)
        assert raised.limit_name == limit_name
    if prelude == HUGE_PRELUDE:
        assert isinstance(raised, es.LimitExceededError)
        assert (raised.total_length, raised.actual) == (0xFFFFFFFF, 0xFFFFFFFF - 16)


def test_configured_payload_limit_is_checked_at_12_bytes() -> None:
    data = FRAMES[3]  # a 1024-byte payload
    outcome = run(bytewise(data), max_payload_length=1023)
    assert isinstance(outcome.error, es.LimitExceededError)
    assert (outcome.fed, outcome.error.limit, outcome.error.actual) == (12, 1023, 1024)
    assert run([data], max_payload_length=1024).messages == [MESSAGES[3]]


def test_lifted_limits_accept_a_huge_prelude_and_wait_for_its_bytes() -> None:
    decoder = es.Decoder(max_payload_length=None, max_headers_length=None)
    assert decoder.feed(STREAM + HUGE_PRELUDE + b"x" * 100) == MESSAGES
    assert decoder.pending == 112
    with pytest.raises(es.TruncatedError) as info:
        decoder.close()
    assert (info.value.expected, info.value.received) == (0xFFFFFFFF, 112)
    assert (info.value.offset, info.value.frame_offset) == (len(STREAM) + 112, len(STREAM))


# --- errors: where they are, and what was decoded before -----------------------------------

BAD_MESSAGE_CRC = frame(b"", b"payload", message_crc=0xDEADBEEF)
#: A header of unknown type 0x60 at block offset 3, with both CRCs recomputed.
BAD_HEADER = frame(b"\x01h\x60", b"{}")


def test_error_in_a_large_feed_keeps_earlier_and_same_feed_messages() -> None:
    decoder = es.Decoder()
    cut = STARTS[2] + 7
    first = decoder.feed(STREAM[:cut])
    assert first == MESSAGES[:2]
    chunk = STREAM[cut:] + STREAM + BAD_MESSAGE_CRC + STREAM
    with pytest.raises(es.MessageChecksumError) as info:
        decoder.feed(chunk)
    error = info.value
    bad_start = 2 * len(STREAM)
    assert error.messages == tuple(MESSAGES[2:] + MESSAGES)
    assert (error.frame_index, error.frame_offset) == (2 * len(OWN), bad_start)
    assert error.offset == bad_start + len(BAD_MESSAGE_CRC) - 4  # the CRC field
    assert (error.expected, error.actual) == (0xDEADBEEF, crc32_oracle(BAD_MESSAGE_CRC[:-4]))
    assert first == MESSAGES[:2]  # what an earlier feed returned is untouched


def test_error_completing_a_pending_frame_has_absolute_offsets() -> None:
    decoder = es.Decoder()
    assert decoder.feed(STREAM + BAD_HEADER[:9]) == MESSAGES
    with pytest.raises(es.HeaderError) as info:
        decoder.feed(BAD_HEADER[9:] + STREAM)
    error = info.value
    assert error.messages == ()
    assert (error.problem, error.header_name) == ("unknown-type", "h")
    assert error.offset == len(STREAM) + 12 + 2  # the type byte
    assert error.frame_index == len(OWN)


@pytest.mark.parametrize("mode", ["whole", "bytewise", "random"])
@pytest.mark.parametrize(
    ("bad", "error", "fault"),
    [
        (BAD_MESSAGE_CRC, es.MessageChecksumError, len(BAD_MESSAGE_CRC) - 4),
        (BAD_HEADER, es.HeaderError, 14),
        (prelude(0xFFFFFFFF, 0, crc=0), es.PreludeChecksumError, 8),
        (b'{"message":"The security token is invalid."}', es.PreludeChecksumError, 8),
    ],
    ids=["message-crc", "header", "prelude-crc", "json"],
)
def test_error_after_valid_frames_in_any_split(
    bad: bytes, error: type[es.EventStreamError], fault: int, mode: str
) -> None:
    data = STREAM + bad + STREAM
    if mode == "whole":
        chunks = [data]
    elif mode == "bytewise":
        chunks = bytewise(data)
    else:
        chunks = random_split(data, random.Random(f"{error.__name__}{len(bad)}"))
    outcome = run(chunks)
    assert outcome.messages == MESSAGES
    assert type(outcome.error) is error and not outcome.at_close
    assert outcome.error.offset == len(STREAM) + fault
    assert outcome.error.frame_index == len(OWN)
    assert outcome.error.frame_offset == len(STREAM)
    if bad.startswith(b"{"):
        assert "looks like a JSON document" in str(outcome.error)
    if mode == "bytewise":
        # Prelude faults at the 12th byte of the frame; the rest when the frame is complete.
        expected_at = 12 if error is es.PreludeChecksumError else len(bad)
        assert outcome.fed == len(STREAM) + expected_at


# --- fail closed ----------------------------------------------------------------------------


def _fail_by_prelude(decoder: es.Decoder) -> None:
    decoder.feed(STREAM + prelude(20, 0, crc=1))


def _fail_by_message_crc(decoder: es.Decoder) -> None:
    decoder.feed(FRAMES[1] + BAD_MESSAGE_CRC)


def _fail_by_header(decoder: es.Decoder) -> None:
    decoder.feed(BAD_HEADER)


def _fail_by_limit(decoder: es.Decoder) -> None:
    decoder.feed(HUGE_PRELUDE)


def _fail_by_truncation(decoder: es.Decoder) -> None:
    decoder.feed(STREAM[:-1])
    decoder.close()


def _fail_by_type(decoder: es.Decoder) -> None:
    decoder.feed("not bytes")  # type: ignore[arg-type]


FAILURES = [
    (_fail_by_prelude, es.PreludeChecksumError),
    (_fail_by_message_crc, es.MessageChecksumError),
    (_fail_by_header, es.HeaderError),
    (_fail_by_limit, es.LimitExceededError),
    (_fail_by_truncation, es.TruncatedError),
    (_fail_by_type, es.InputTypeError),
]


@pytest.mark.parametrize(("fail", "error"), FAILURES, ids=[e.__name__ for _, e in FAILURES])
def test_after_any_error_every_call_raises_decoder_state_error(
    fail: Callable[[es.Decoder], None], error: type[es.EventStreamError]
) -> None:
    decoder = es.Decoder()
    with pytest.raises(error) as info:
        fail(decoder)
    first = info.value
    state = (decoder.offset, decoder.frame_index)
    calls: list[Callable[[], object]] = [
        lambda: decoder.feed(b""),
        lambda: decoder.feed(FRAMES[0]),
        lambda: decoder.feed(STREAM),
        decoder.close,
        decoder.close,
        lambda: decoder.feed(FRAMES[1]),
    ]
    for call in calls:
        with pytest.raises(es.DecoderStateError) as later:
            call()
        assert later.value.__cause__ is first
        assert (later.value.offset, later.value.frame_index) == (first.offset, first.frame_index)
    # Nothing fed after the failure was taken in.
    assert (decoder.offset, decoder.frame_index) == state


def test_a_closed_decoder_refuses_more_input() -> None:
    decoder = es.Decoder()
    decoder.feed(STREAM)
    decoder.close()
    for call in (lambda: decoder.feed(FRAMES[0]), decoder.close, lambda: decoder.feed(b"")):
        with pytest.raises(es.DecoderStateError) as info:
            call()
        assert info.value.offset == len(STREAM)
        assert info.value.frame_index == len(OWN)


# --- public vectors (../shared/vectors) -----------------------------------------------------

#: Bytes after a valid frame: (id, bytes, error class or None when they stay pending,
#: offset of the fault from the garbage's start, and TruncatedError.expected when pending).
GARBAGE: list[tuple[str, bytes, type[es.EventStreamError] | None, int, int]] = [
    ("short", b"\x00garbage", None, 8, 12),
    ("zeros", b"\x00" * 16, es.PreludeChecksumError, 8, 0),
    ("deadbeef", b"\xde\xad\xbe\xef" * 5, es.PreludeChecksumError, 8, 0),
    ("json", b'{"message":"Internal server error"}', es.PreludeChecksumError, 8, 0),
    ("huge-prelude", HUGE_PRELUDE + b"tail", es.LimitExceededError, 0, 0),
    ("partial-frame", prelude(100, 0) + b"x" * 30, None, 42, 100),
]


@pytest.mark.parametrize("name", POSITIVE)
def test_positive_vector_in_every_split(name: str) -> None:
    # Whole, one byte at a time (the message comes out at the last byte), then trailing bytes,
    # and 20 random splits of each: every way gives the one expected message.
    data, expected = positive_vector(name)
    assert decode_three_ways(data, seed=name, random_splits=20) == expected


@pytest.mark.parametrize(
    ("garbage", "error", "fault", "expected_total"),
    [g[1:] for g in GARBAGE],
    ids=[g[0] for g in GARBAGE],
)
@pytest.mark.parametrize("name", POSITIVE)
def test_positive_vector_then_trailing_garbage(
    name: str,
    garbage: bytes,
    error: type[es.EventStreamError] | None,
    fault: int,
    expected_total: int,
) -> None:
    vector, expected = positive_vector(name)
    # Whole, one byte at a time and in 20 random splits; they agree but for the text of the
    # JSON hint (it quotes the bytes at hand), so each is checked.
    outcomes = feed_every_way(vector + garbage, seed=name + repr(garbage), text=False)
    for way, outcome in outcomes.items():
        # The valid frame always comes out first, whatever the garbage.
        assert outcome.messages == [expected], way
        raised = outcome.error
        assert raised is not None, way
        assert raised.frame_index == 1 and raised.frame_offset == len(vector), way
        assert raised.offset == len(vector) + fault, way
        if error is None:
            assert isinstance(raised, es.TruncatedError) and outcome.at_close, way
            assert (raised.expected, raised.received) == (expected_total, len(garbage))
        else:
            assert type(raised) is error and not outcome.at_close, way
        if garbage.startswith(b"{"):
            assert "looks like a JSON document" in str(raised)


@pytest.mark.parametrize(("name", "error", "raised_at"), NEGATIVE, ids=[n for n, *_ in NEGATIVE])
@pytest.mark.parametrize("before", [0, 1], ids=["alone", "after-a-frame"])
@pytest.mark.parametrize("after", [b"", b"\x00" * 40], ids=["", "garbage"])
def test_negative_vector_in_every_split(
    name: str, error: type[es.EventStreamError], raised_at: int, before: int, after: bytes
) -> None:
    vector = negative_vector(name)
    prefix = b"".join(FRAMES[:before])
    # The same fault, at the same absolute offset and with the same text, whatever the split.
    outcomes = feed_every_way(prefix + vector + after, seed=name)
    whole = outcomes["whole"]
    assert whole.messages == MESSAGES[:before]
    raised = whole.error
    assert type(raised) is error and not whole.at_close
    assert raised.frame_index == before and raised.frame_offset == len(prefix)
    assert outcomes["bytewise"].fed == len(prefix) + raised_at
    assert raised.offset is not None
    assert len(prefix) <= raised.offset < len(prefix) + raised_at
    # And decode() of the lone vector agrees (as do its other ways).
    with pytest.raises(error) as single:
        decode_three_ways(vector)
    assert single.value.offset == raised.offset - len(prefix)


def test_negative_header_vectors_with_recomputed_crcs_fail_in_the_header_block() -> None:
    for short in ("invalid_header_value_type", "invalid_header_name_length",
                  "invalid_header_string_value_length"):  # fmt: skip
        data = STREAM + recrc(negative_vector(f"smithy-rs/{short}"))
        outcome = feed_every_way(data, seed=short, random_splits=3)["whole"]
        assert outcome.messages == MESSAGES
        assert isinstance(outcome.error, es.HeaderError)
        assert outcome.error.frame_index == len(OWN)
        assert len(STREAM) + 12 <= outcome.error.offset < len(STREAM) + 12 + 122  # type: ignore[operator]


@pytest.mark.parametrize("size", range(1, 12))
def test_smithy_rs_valid_files_concatenated_in_fixed_chunks(size: int) -> None:
    # What smithy-rs's own streaming test does: its three valid files back to back.
    data = b"".join(positive_vector(f"smithy-rs/{n}")[0] for n in RS_POSITIVE)
    expected = [RS_EXPECTED[n] for n in RS_POSITIVE]
    outcome = run(fixed_chunks(data, size))
    assert outcome.error is None
    assert outcome.messages == expected


def test_smithy_rs_valid_files_concatenated_in_random_chunks_of_1_to_11() -> None:
    data = b"".join(positive_vector(f"smithy-rs/{n}")[0] for n in RS_POSITIVE)
    expected = [RS_EXPECTED[n] for n in RS_POSITIVE]
    rng = random.Random("smithy-rs")
    for _ in range(200):
        chunks, pos = [], 0
        while pos < len(data):
            step = rng.randint(1, 11)
            chunks.append(data[pos : pos + step])
            pos += step
        outcome = run(chunks)
        assert (outcome.error, outcome.messages) == (None, expected)


# --- real Bedrock captures (../shared/captures) ---------------------------------------------


def _capture_names() -> list[str]:
    folder = SHARED / "captures"
    names = sorted(p.name.removesuffix(".bin") for p in folder.glob("*.bin"))
    # Without ../shared, one case that skips with the reason (from shared_path).
    return names or ["(absent)"]


def _check_against_description(
    data: bytes, messages: Sequence[es.Message], ends: Sequence[int], described: dict[str, object]
) -> None:
    frames = described["frames"]
    assert isinstance(frames, list)
    assert described["size"] == len(data)
    assert len(messages) == len(frames) == len(ends)
    start = 0
    for message, end, spec in zip(messages, ends, frames, strict=True):
        assert (spec["offset"], spec["total_length"]) == (start, end - start)
        assert len(message.header_block()) == spec["headers_length"]
        assert list(message.headers.items()) == [tuple(pair) for pair in spec["headers"]]
        assert message.payload.decode("utf-8") == spec["payload_utf8"]
        raw = data[start:end]
        assert struct.unpack_from(">I", raw, 8)[0] == int(spec["prelude_crc"], 16)
        assert struct.unpack_from(">I", raw, len(raw) - 4)[0] == int(spec["message_crc"], 16)
        start = end
    assert start == len(data)


@pytest.mark.parametrize("name", _capture_names())
def test_capture_matches_its_description_whole_and_bytewise(name: str) -> None:
    data = shared_path("captures", f"{name}.bin").read_bytes()
    described = json.loads(shared_path("captures", f"{name}.decoded.json").read_bytes())
    # Byte by byte, each frame's end is where the decoder hands its message over.
    messages, ends = frame_ends_bytewise(data)
    _check_against_description(data, messages, ends, described)
    decoder = es.Decoder()
    assert decoder.feed(data) == messages
    assert (decoder.offset, decoder.frame_index, decoder.pending) == (len(data), len(ends), 0)
    decoder.close()
    assert feed_every_way(data, seed=name)["whole"].messages == messages


def test_envoy_capture_fed_as_its_seven_network_reads() -> None:
    stem = "envoy-ai-gateway_invoke-stream_claude-sonnet-4-5"
    lines = shared_path("captures", f"{stem}.network-reads.b64.txt").read_text().split()
    reads = [base64.b64decode(line) for line in lines]
    data = shared_path("captures", f"{stem}.bin").read_bytes()
    described = json.loads(shared_path("captures", f"{stem}.decoded.json").read_bytes())
    assert len(reads) == 7
    assert b"".join(reads) == data
    ends = [f["offset"] + f["total_length"] for f in described["frames"]]
    decoder = es.Decoder()
    got: list[es.Message] = []
    position = 0
    for read in reads:
        before = len(got)
        got += decoder.feed(read)
        position += len(read)
        completed = [end for end in ends if end <= position]
        assert len(got) == len(completed)
        assert decoder.pending == position - (completed[-1] if completed else 0)
        if before == 0:
            assert len(got) == 4  # the README: read 1 holds 4 whole frames
    decoder.close()
    assert got == es.Decoder().feed(data)
    _check_against_description(data, got, ends, described)


# --- properties ----------------------------------------------------------------------------

stream_settings = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@stream_settings
@given(ess.streams(), st.data())
def test_any_split_decodes_like_the_whole(
    stream: tuple[list[es.Message], bytes], data: st.DataObject
) -> None:
    messages, raw = stream
    assert es.Decoder().feed(raw) == messages
    parts = data.draw(ess.split_points(raw))
    assert b"".join(parts) == raw
    decoder = es.Decoder()
    got: list[es.Message] = []
    for part in parts:
        got += decoder.feed(part)
    assert got == messages
    assert (decoder.pending, decoder.offset, decoder.frame_index) == (0, len(raw), len(messages))
    decoder.close()


@stream_settings
@given(ess.streams(max_messages=4, max_payload=64), st.data())
def test_any_split_of_a_cut_stream_yields_the_whole_frames_then_truncated(
    stream: tuple[list[es.Message], bytes], data: st.DataObject
) -> None:
    messages, raw = stream
    cut = data.draw(st.integers(0, len(raw)))
    ends = list(itertools.accumulate(len(m.encode()) for m in messages))
    done = sum(1 for end in ends if end <= cut)
    start = ends[done - 1] if done else 0
    outcome = run(data.draw(ess.split_points(raw[:cut])))
    assert outcome.messages == messages[:done]
    if cut == start:
        assert outcome.error is None
    else:
        error = outcome.error
        assert isinstance(error, es.TruncatedError) and outcome.at_close
        assert error.received == cut - start
        assert error.expected == (12 if cut - start < 12 else ends[done] - start)
        assert (error.offset, error.frame_index, error.frame_offset) == (cut, done, start)


@stream_settings
@given(ess.streams(max_messages=3, max_payload=64), ess.corruptions(), st.data())
def test_a_corrupted_frame_after_a_stream_fails_in_any_split_as_decode_does(
    stream: tuple[list[es.Message], bytes], corruption: ess.Corruption, data: st.DataObject
) -> None:
    # In a stream, bytes after a frame are the next frame, not an error of this one, and
    # a frame cut to nothing is just the end of the stream.
    assume(corruption.error is not es.TrailingDataError and corruption.data)
    messages, prefix = stream
    if corruption.limits:
        messages, prefix = [], b""  # the limit could fail a frame of the prefix first
    with pytest.raises(es.EventStreamError) as single:
        es.decode(corruption.data, **corruption.limits)
    outcome = run(data.draw(ess.split_points(prefix + corruption.data)), **corruption.limits)
    assert outcome.messages == messages
    assert outcome.error is not None and corruption.matches(outcome.error), outcome.error
    assert single.value.offset is not None
    assert outcome.error.offset == single.value.offset + len(prefix)
    assert (outcome.error.frame_index, outcome.error.frame_offset) == (len(messages), len(prefix))
    # Only a frame cut short is waited for; everything else fails inside feed().
    assert outcome.at_close == (corruption.error is es.TruncatedError)
