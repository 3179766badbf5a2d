"""event_batches / aevent_batches give the events a read at a time, and encode_stream sends
each list as one chunk: the same events and bytes as one at a time, faults included."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

import eventstream as es
from eventstream import bedrock as br

EVENTS: list[br.TypedEvent] = [
    br.MessageStart(role="assistant"),
    *(
        br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text=f"word {i} "))
        for i in range(30)
    ),
    br.ContentBlockStop(content_block_index=0),
    br.MessageStop(stop_reason="end_turn"),
]
FRAMES = [br.encode_event(e, padding="abc").encode() for e in EVENTS]
BODY = b"".join(FRAMES)


def _split(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), 12))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


async def _alist(items: AsyncIterator[list[br.TypedEvent]]) -> list[list[br.TypedEvent]]:
    return [item async for item in items]


async def _achunks(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


@pytest.mark.parametrize("seed", range(5))
def test_a_batch_is_what_each_read_completes(seed: int) -> None:
    chunks = _split(BODY, seed)
    batches = list(br.event_batches(chunks, "converse"))
    assert [e for batch in batches for e in batch] == list(br.events(chunks, "converse"))
    # Each list holds exactly the frames whose last byte is in that read.
    ends = [sum(map(len, FRAMES[: i + 1])) for i in range(len(FRAMES))]
    read_ends = [sum(map(len, chunks[: i + 1])) for i in range(len(chunks))]
    expected = [
        sum(1 for end in ends if start < end <= stop)
        for start, stop in zip([0, *read_ends], read_ends, strict=False)
    ]
    assert [len(b) for b in batches] == [n for n in expected if n]
    assert asyncio.run(_alist(br.aevent_batches(_achunks(chunks), "converse"))) == batches


def test_a_fault_comes_after_the_events_before_it_in_the_same_read() -> None:
    bad = bytearray(BODY)
    third = sum(map(len, FRAMES[:2]))
    bad[third + len(FRAMES[2]) - 6] ^= 1  # the third frame's payload: a message CRC error
    got: list[list[br.TypedEvent]] = []
    with pytest.raises(es.MessageChecksumError) as info:
        got.extend(br.event_batches([bytes(bad)], "converse"))
    assert got == [EVENTS[:2]]
    assert info.value.frame_index == 2
    with pytest.raises(es.TruncatedError):
        list(br.event_batches([BODY[:-3]], "converse"))


def test_an_exception_frame_is_raised_after_its_batch_or_kept_in_it() -> None:
    throttled = br.ThrottlingException("slow down")
    body = BODY[: sum(map(len, FRAMES[:2]))] + br.encode_event(throttled).encode()
    got: list[list[br.TypedEvent]] = []
    with pytest.raises(br.ThrottlingException):
        got.extend(br.event_batches([body], "converse"))
    assert got == [EVENTS[:2]]
    assert list(br.event_batches([body], "converse", raise_exceptions=False)) == [
        [*EVENTS[:2], throttled]
    ]


def test_encode_stream_sends_a_list_as_one_chunk_up_to_what_ends_it() -> None:
    chunks = list(br.encode_stream([EVENTS[:3], [], EVENTS[3:]], padding="abc"))
    assert chunks == [b"".join(FRAMES[:3]), b"".join(FRAMES[3:])]
    throttled = br.ThrottlingException("slow down")
    ended = list(br.encode_stream([EVENTS[:2], [EVENTS[2], throttled, EVENTS[3]]], padding="abc"))
    assert ended == [b"".join(FRAMES[:2]), FRAMES[2] + br.encode_event(throttled).encode()]

    async def run() -> list[bytes]:
        async def batches() -> AsyncIterator[list[br.TypedEvent]]:
            yield EVENTS[:2]
            raise es.TruncatedError("cut", expected=9, received=1, offset=5)

        return [c async for c in br.aencode_stream(batches(), padding="abc")]

    first, last = asyncio.run(run())
    assert first == b"".join(FRAMES[:2])
    assert isinstance(br.decode_event(es.decode(last)), br.InternalServerException)


def test_prime_raises_a_list_that_opens_with_an_exception() -> None:
    with pytest.raises(br.ThrottlingException):
        br.prime([[br.ThrottlingException("slow")], EVENTS])
    assert list(br.prime([EVENTS[:1], EVENTS[1:2]])) == [EVENTS[:1], EVENTS[1:2]]


def test_sources_that_are_not_chunk_iterables_are_refused() -> None:
    with pytest.raises(es.InputTypeError):
        list(br.event_batches(BODY, "converse"))
    with pytest.raises(es.InputTypeError):
        asyncio.run(_alist(br.aevent_batches([BODY], "converse")))  # type: ignore[arg-type]
