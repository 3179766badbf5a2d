"""event_batches / aevent_batches give the events a read at a time, and encode_stream sends
each list as one chunk: the same events and bytes as one at a time, faults included."""

from __future__ import annotations

import asyncio
import io
import random
from collections.abc import AsyncIterator, Iterator

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


# --- the adapters' guarantees hold for batches too (they run in the same loop) ---------------


def test_a_failed_batch_iteration_stays_failed_and_names_itself() -> None:
    batches = br.event_batches([BODY[:-3]], "converse")
    assert next(batches) == EVENTS[:-1]  # the events before the cut, then the cut
    with pytest.raises(es.TruncatedError):
        next(batches)
    for _ in range(2):  # a generator that raised would end cleanly here
        with pytest.raises(es.DecoderStateError, match=r"bedrock\.event_batches\(\) failed"):
            next(batches)


def test_a_source_error_mid_stream_comes_after_the_events_before_it_and_sticks() -> None:
    # The source's own error is the caller's to see as it is (as with events()); the
    # iteration stays failed after it rather than ending as if the stream were complete.
    cut = len(FRAMES[0]) + len(FRAMES[1]) + 5

    def source() -> Iterator[bytes]:
        yield BODY[:cut]
        raise OSError("connection reset")

    got: list[br.TypedEvent] = []
    batches = br.event_batches(source(), "converse")
    with pytest.raises(OSError, match="connection reset"):  # noqa: PT012 (the loop is the act)
        for batch in batches:
            got.extend(batch)
    assert got == EVENTS[:2]
    with pytest.raises(es.DecoderStateError, match=r"stays failed \(OSError\)") as caught:
        next(batches)
    assert caught.value.frame_index == 2


def test_close_and_aclose_close_the_source_at_once() -> None:
    closed: list[str] = []

    def source() -> Iterator[bytes]:
        try:
            yield from FRAMES
        finally:
            closed.append("sync")

    async def asource() -> AsyncIterator[bytes]:
        try:
            for frame in FRAMES:
                yield frame
        finally:
            closed.append("async")

    batches = br.event_batches(source(), "converse")
    next(batches)
    batches.close()  # type: ignore[attr-defined]
    assert closed == ["sync"]

    async def main() -> None:
        abatches = br.aevent_batches(asource(), "converse")
        await anext(abatches)
        await abatches.aclose()  # type: ignore[attr-defined]
        assert closed == ["sync", "async"]

    asyncio.run(main())


def test_a_stall_in_aevent_batches_is_a_stall_with_the_events_so_far() -> None:
    async def stalling() -> AsyncIterator[bytes]:
        yield FRAMES[0] + FRAMES[1]
        await asyncio.sleep(5)
        yield FRAMES[2]

    async def main() -> tuple[list[br.TypedEvent], es.StreamStalledError]:
        got: list[br.TypedEvent] = []
        try:
            async for batch in br.aevent_batches(stalling(), "converse", idle_timeout=0.05):
                got.extend(batch)
        except es.StreamStalledError as exc:
            return got, exc
        raise AssertionError("no stall")

    got, error = asyncio.run(main())
    assert got == EVENTS[:2]
    assert error.timeout_name == "idle_timeout"
    assert list(error.events) == EVENTS[:2]
    assert (error.frame_index, error.offset) == (2, len(FRAMES[0]) + len(FRAMES[1]))


def test_a_read_cancelled_by_wait_for_fails_aevent_batches_closed() -> None:
    async def paused() -> AsyncIterator[bytes]:
        yield FRAMES[0]
        await asyncio.sleep(0.3)
        yield FRAMES[1]

    async def main() -> None:
        batches = br.aevent_batches(paused(), "converse")
        assert await asyncio.wait_for(anext(batches), 1) == EVENTS[:1]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(batches), 0.05)
        with pytest.raises(es.DecoderStateError, match="cancelled"):
            await anext(batches)

    asyncio.run(main())


def test_event_batches_reads_a_file_object() -> None:
    assert [e for b in br.event_batches(io.BytesIO(BODY), "converse", read_size=64) for e in b] == (
        EVENTS
    )
