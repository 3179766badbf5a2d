"""Resource safety: lying lengths, huge frames, byte-at-a-time streams, header bombs.

No wall-clock thresholds: memory is measured with tracemalloc, work by counting bytes
copied into the decoder's buffer or function calls (sys.setprofile) at N and 2N.
"""

from __future__ import annotations

import struct
import sys
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest

import eventstream as es
from tests.support import prelude

MiB = 1024 * 1024


@contextmanager
def _peak_memory() -> Iterator[list[int]]:
    """Yield a list that holds, after the block, the peak bytes traced inside it."""
    result: list[int] = []
    tracemalloc.start()
    try:
        yield result
    finally:
        result.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


def _count_calls(work: Callable[[], object]) -> int:
    """Python and C function calls made by ``work()``: a measure of work, not of time."""
    calls = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


# --- lying lengths ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "limits", "limit_name"),
    [
        (0xFFFFFFFF, {}, "max_payload_length"),
        (16 * MiB + 16, {"max_payload_length": MiB}, "max_payload_length"),
    ],
)
def test_a_huge_claim_is_rejected_at_byte_12_while_bytes_trickle_in(
    total: int, limits: dict[str, int], limit_name: str
) -> None:
    claim = prelude(total)
    decoder = es.Decoder(**limits)
    with _peak_memory() as peak:
        for byte in claim[:11]:
            assert decoder.feed(bytes([byte])) == []
            assert decoder.pending <= 11
        with pytest.raises(es.LimitExceededError) as caught:
            decoder.feed(claim[11:])
    assert caught.value.limit_name == limit_name
    assert caught.value.offset == 0 and caught.value.frame_offset == 0
    assert peak[0] < 64 * 1024  # nothing was reserved for the claimed size


def test_a_huge_claim_under_lifted_limits_buffers_only_what_arrives() -> None:
    # With no limits, 0xFFFFFFFF is a legal total: memory follows the bytes fed, never the claim.
    decoder = es.Decoder(max_payload_length=None, max_headers_length=None)
    piece = b"\x00" * 4096
    decoder.feed(prelude(0xFFFFFFFF))
    with _peak_memory() as peak:
        for _ in range(256):
            decoder.feed(piece)
    assert decoder.pending == 12 + 256 * 4096
    assert peak[0] < 3 * MiB  # 1 MiB fed; a reservation toward 4 GiB would show here
    with pytest.raises(es.TruncatedError) as caught:
        decoder.close()
    assert (caught.value.expected, caught.value.received) == (0xFFFFFFFF, 12 + 256 * 4096)


def test_a_16_mib_frame_in_small_pieces_never_buffers_more_than_the_frame() -> None:
    payload = bytes(range(256)) * (16 * MiB // 256)
    data = es.Message({":event-type": "big"}, payload).encode()
    decoder = es.Decoder()
    got: list[es.Message] = []
    piece = 64 * 1024
    with _peak_memory() as peak:
        for start in range(0, len(data), piece):
            got += decoder.feed(data[start : start + piece])
            assert decoder.pending <= len(data)
        decoder.close()
    assert len(got) == 1 and got[0].payload == payload
    # The pending frame (once) plus the decoded payload (once), bytearray slack, the slices:
    # well under three copies. A decoder that kept the pieces and joined them would need more.
    assert peak[0] < 2.5 * len(data)


# --- linear work -----------------------------------------------------------------------------


class _CountingBuffer(bytearray):
    """A bytearray that counts the bytes appended to it."""

    appended = 0

    def __iadd__(self, other: Any) -> _CountingBuffer:
        type(self).appended += len(other)
        return super().__iadd__(other)


def _stream(frames: int) -> bytes:
    return es.Message({"n": es.Short(7)}, b"{}").encode() * frames


def _bytes_copied_one_byte_at_a_time(frames: int) -> int:
    data = _stream(frames)
    decoder = es.Decoder()
    # White-box: the decoder keeps its pending bytes in a bytearray; count what goes in.
    assert isinstance(decoder._buffer, bytearray)  # update this test if the design changes
    _CountingBuffer.appended = 0
    decoder._buffer = _CountingBuffer()
    got = 0
    for i in range(len(data)):
        got += len(decoder.feed(data[i : i + 1]))
    decoder.close()
    assert got == frames
    return _CountingBuffer.appended


def test_10000_frames_one_byte_at_a_time_copy_each_byte_once() -> None:
    size = len(_stream(10_000))
    copied = _bytes_copied_one_byte_at_a_time(10_000)
    assert copied == size  # every byte copied exactly once: no re-copying of the buffer
    assert _bytes_copied_one_byte_at_a_time(20_000) == 2 * copied


def test_10000_frames_one_byte_at_a_time_take_linear_work() -> None:
    def feed_all(frames: int) -> Callable[[], None]:
        data = _stream(frames)
        pieces = [data[i : i + 1] for i in range(len(data))]

        def work() -> None:
            decoder = es.Decoder()
            for piece in pieces:
                decoder.feed(piece)
            decoder.close()

        return work

    small, large = _count_calls(feed_all(10_000)), _count_calls(feed_all(20_000))
    assert 1.9 < large / small < 2.1


# --- header-count bombs ----------------------------------------------------------------------


def _bomb(headers: int, *, duplicate_last: bool = False) -> bytes:
    """A frame of ``headers`` bool headers with distinct 3-byte ASCII names (5 bytes each)."""
    digits = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    names = [
        bytes([digits[i // 3844], digits[i // 62 % 62], digits[i % 62]]) for i in range(headers)
    ]
    if duplicate_last:
        names[-1] = names[0]
    block = b"".join(b"\x03" + name + b"\x00" for name in names)
    head = struct.pack(">II", 16 + len(block), len(block))
    body = head + struct.pack(">I", zlib.crc32(head)) + block
    return body + struct.pack(">I", zlib.crc32(body))


def test_a_header_count_bomb_within_128_kib_decodes_in_linear_work() -> None:
    bomb = _bomb(26_000)
    assert len(bomb) - 16 <= es.DEFAULT_MAX_HEADERS_LENGTH
    message = es.decode(bomb)
    assert len(message.headers) == 26_000
    small = _count_calls(lambda: es.decode(_bomb(8_000)))
    large = _count_calls(lambda: es.decode(_bomb(16_000)))
    assert 1.8 < large / small < 2.2
    # A generous absolute bound too: a handful of calls per header, never per header pair.
    assert _count_calls(lambda: es.decode(bomb)) < 20 * 26_000


def test_a_duplicate_at_the_end_of_a_bomb_is_found_in_linear_work() -> None:
    with pytest.raises(es.HeaderError) as caught:
        es.decode(_bomb(26_000, duplicate_last=True))
    assert caught.value.problem == "duplicate-name"
    assert caught.value.offset == 12 + 5 * 25_999

    def decode_dup(n: int) -> Callable[[], None]:
        data = _bomb(n, duplicate_last=True)

        def work() -> None:
            with pytest.raises(es.HeaderError):
                es.decode(data)

        return work

    small, large = _count_calls(decode_dup(8_000)), _count_calls(decode_dup(16_000))
    assert 1.8 < large / small < 2.2
