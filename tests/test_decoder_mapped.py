"""``Decoder.mapped`` and the typed layer's fast table give what the general path gives.

``bedrock.events`` types text deltas and chunks inside the decoder's loop: once the reader
has typed one frame of a header block the general way, later frames with that block are
offered to the fast path by their payload alone, with no Message or Frame made. Here whole
streams (frames built by hand, see tests/support.py) are read both ways -- through
``bedrock.events`` and through ``iter_frames`` + ``EventReader.read_frame`` -- in reads of
many sizes, and must give the same events, the same error (class, offset, frame index) and
the same events before it.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eventstream as es
from eventstream import bedrock as br

from .support import frame, string_header

EVENT = string_header(b":message-type", b"event")
JSON = string_header(b":content-type", b"application/json")


def _event_frame(event_type: bytes, payload: bytes, *, order: int = 0, **forced: Any) -> bytes:
    kind = string_header(b":event-type", event_type)
    headers = [kind + JSON + EVENT, EVENT + kind + JSON][order]
    return frame(headers, payload, **forced)


def _delta(text: str, padding: str | None = "abc", index: int = 0) -> bytes:
    body = f'{{"contentBlockIndex":{index},"delta":{{"text":{json.dumps(text)}}}'
    body += "}" if padding is None else f',"p":"{padding}"}}'
    return _event_frame(b"contentBlockDelta", body.encode())


def _chunk(data: bytes, padding: str | None = "abcd") -> bytes:
    body = b'{"bytes":"' + base64.b64encode(data) + b'"'
    body += b"}" if padding is None else b',"p":"' + padding.encode() + b'"}'
    return _event_frame(b"chunk", body)


START = _event_frame(b"messageStart", b'{"role":"assistant"}')
THROTTLED = frame(
    string_header(b":message-type", b"exception")
    + string_header(b":exception-type", b"throttlingException")
    + JSON,
    b'{"message":"slow down"}',
)


def _outcome(events: Iterator[Any]) -> tuple[list[Any], Any]:
    """The events (with what equality leaves out), then the error and where it says it is."""
    got: list[Any] = []
    try:
        for event in events:
            got.append((event, getattr(event, "padding", None), dict(getattr(event, "extra", {}))))
    except es.EventStreamError as exc:
        error = type(exc)
        if isinstance(exc, br.BedrockException):
            error = (type(exc), exc.message)
        return got, (error, exc.offset, exc.frame_index, exc.frame_offset)
    return got, None


def _general(
    chunks: list[bytes], stream: br.StreamChoice, raise_exceptions: bool
) -> tuple[list[Any], Any]:
    """The general path: every frame through EventReader.read_frame, no fast table."""
    reader = br.EventReader(stream)

    def events() -> Iterator[Any]:
        for located in es.iter_frames(chunks):
            event = reader.read_frame(located)
            if raise_exceptions and isinstance(event, br.BedrockException):
                raise event
            yield event

    return _outcome(events())


def _split(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = sorted({c for c in cuts if 0 < c < len(data)})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def _agree(frames: list[bytes], stream: br.StreamChoice = "converse", **split: Any) -> Any:
    """Both ways agree on ``frames`` in reads of several sizes; the outcome raising
    exception frames (the default), for the caller to look at."""
    data = b"".join(frames)
    sizes = [1, 7, 100, 4096, len(data) or 1]
    for cut in [[*range(size, len(data), size)] for size in sizes] + [split.get("cuts", [])]:
        chunks = _split(data, cut)
        for raise_exceptions in (False, True):
            expected = _general(chunks, stream, raise_exceptions)
            got = _outcome(br.events(chunks, stream, raise_exceptions=raise_exceptions))
            assert got == expected, (cut[:3], raise_exceptions)
            # bytearray reads go through a view, which the fast table never sees.
            viewed = [bytearray(c) for c in chunks]
            assert _outcome(br.events(viewed, stream, raise_exceptions=raise_exceptions)) == got
    return expected


TOOL_USE = _event_frame(
    b"contentBlockDelta", b'{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\\"a\\""}}}'
)
HOSTILE_DELTAS = [
    b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":"xyz"}',
    b'{"contentBlockIndex":0,"delta":{"text":"a","more":1}}',
    b'{"contentBlockIndex":0,"delta":{"text":"\xff"}}',
    b'{"contentBlockIndex":0,"delta":{"text":"a\\x"}}',
    b'{"contentBlockIndex":0,"delta":{"text":"a"},"p":"}',
    b'{"contentBlockIndex":0,"delta":{"text":NaN}}',
    b'{"contentBlockIndex":-1,"delta":{"text":"a"}}',
    b"[" * 200 + b"]" * 200,
    b"",
]


def test_a_learned_block_s_frames_agree_with_the_general_path() -> None:
    frames = [START, _delta("Hello"), _delta("", None), _delta("é\u2028😀", "abcdefghijk", 7)]
    frames += [TOOL_USE, _delta("x" * 9000), _delta("after"), _chunk(b"not this stream")]
    events, error = _agree(frames)
    assert error is None and len(events) == len(frames)
    # The 9,000-character delta is past the fast path's 8 KiB: the general path took it.
    assert events[5][0].delta.text == "x" * 9000


@pytest.mark.parametrize("payload", HOSTILE_DELTAS)
def test_a_hostile_payload_under_a_learned_block_fails_where_the_general_path_does(
    payload: bytes,
) -> None:
    frames = [START, _delta("one"), _event_frame(b"contentBlockDelta", payload), _delta("two")]
    events, _ = _agree(frames)
    assert events[1][0].delta.text == "one"  # what came before the fault is kept


def test_a_corrupt_checksum_under_a_learned_block_is_the_codec_s_error() -> None:
    bad = bytearray(_delta("bad"))
    bad[-1] ^= 1
    events, error = _agree([START, _delta("one"), bytes(bad), _delta("two")])
    assert error[0] is es.MessageChecksumError
    assert error[2] == 2 and error[3] == len(START) + len(_delta("one"))
    assert [e[0].delta.text for e in events[1:]] == ["one"]


def test_an_exception_frame_between_fast_frames_is_raised_or_yielded_as_before() -> None:
    frames = [START, _delta("one"), THROTTLED, _delta("two")]
    _, error = _agree(frames)
    assert error[0] == (br.ThrottlingException, "slow down")


def test_another_header_order_is_learned_on_its_own() -> None:
    other = _event_frame(
        b"contentBlockDelta", b'{"contentBlockIndex":0,"delta":{"text":"b"}}', order=1
    )
    events, error = _agree([START, _delta("a"), other, other, _delta("c")])
    assert error is None and [e[0].delta.text for e in events[1:]] == ["a", "b", "b", "c"]


def test_chunks_agree_with_the_general_path() -> None:
    frames = [_chunk(b'{"type":"ping"}'), _chunk(b"", None), _chunk(bytes(range(256)), "")]
    frames += [_event_frame(b"chunk", b'{"bytes":"YR=="}'), _chunk(b"after")]
    events, error = _agree(frames, "invoke")
    assert error[0] is br.BedrockPayloadError and error[2] == 3
    assert [e[0].bytes for e in events] == [b'{"type":"ping"}', b"", bytes(range(256))]


def test_a_stream_named_wrongly_learns_nothing() -> None:
    with pytest.warns(br.StreamMismatchWarning):
        events, error = _agree([START, _delta("a"), _delta("b")], "invoke")
    assert error is None and all(isinstance(e[0], br.UnknownEvent) for e in events)


@pytest.mark.parametrize("stream", ["auto", None])
def test_auto_and_no_stream_agree(stream: br.StreamChoice) -> None:
    _agree([START, _delta("a"), TOOL_USE, _delta("b"), _chunk(b"x")], stream)


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(st.text(max_size=30), min_size=1, max_size=6),
    hostile=st.sampled_from([None, *HOSTILE_DELTAS]),
    at=st.integers(0, 5),
    cuts=st.lists(st.integers(0, 2000), max_size=8),
)
def test_any_stream_of_deltas_agrees_at_any_cuts(
    texts: list[str], hostile: bytes | None, at: int, cuts: list[int]
) -> None:
    frames = [START] + [_delta(t, "ab"[: i % 3], i % 3) for i, t in enumerate(texts)]
    if hostile is not None:
        frames.insert(min(at, len(frames)), _event_frame(b"contentBlockDelta", hostile))
    _agree(frames, cuts=cuts)


# --- Decoder.mapped itself --------------------------------------------------------------------


def _table(block: bytes, take: Callable[[bytes], Any], miss: Callable[[es.Frame], Any]) -> Any:
    return {block: (take, miss)}


BLOCK = string_header(b"k", b"v")


def test_mapped_offers_known_blocks_and_reads_the_rest() -> None:
    frames = [frame(BLOCK, b"fast"), frame(BLOCK, b"miss"), frame(b"", b"other")]
    frames.append(frame(BLOCK, b"x" * 9000))  # past 8 KiB: never offered
    offered: list[bytes] = []

    def take(payload: bytes) -> Any:
        offered.append(payload)
        return None if payload == b"miss" else ("fast", payload)

    def miss(located: es.Frame) -> Any:
        return ("miss", located.message.payload, located.offset, located.frame_index)

    def read(located: es.Frame) -> Any:
        return ("read", located.message.payload[:5], located.offset, located.frame_index)

    decoder = es.Decoder()
    got = list(decoder.mapped(b"".join(frames), read, _table(BLOCK, take, miss)))
    second, third = len(frames[0]), len(frames[0]) + len(frames[1])
    assert got == [
        ("fast", b"fast"),
        ("miss", b"miss", second, 1),
        ("read", b"other", third, 2),
        ("read", b"xxxxx", third + len(frames[2]), 3),
    ]
    assert offered == [b"fast", b"miss"]
    assert decoder.frame_index == 4 and decoder.offset == len(b"".join(frames))
    # A view of the same bytes (a bytearray) is read without the table.
    assert [
        g[0] for g in es.Decoder().mapped(bytearray(frames[0]), read, _table(BLOCK, take, miss))
    ] == ["read"]


def test_mapped_fails_closed_when_read_raises() -> None:
    def read(located: es.Frame) -> Any:
        raise es.EventStreamError("refused", offset=located.offset, frame_index=0)

    decoder = es.Decoder()
    with pytest.raises(es.EventStreamError, match="refused"):
        list(decoder.mapped(frame(b"", b"a") + frame(b"", b"b"), read))
    with pytest.raises(es.DecoderStateError):
        decoder.feed(b"")


# --- aevents with a timeout: the fast table, and a stall's record -------------------------------


def _chunks_of(frames: list[bytes], size: int) -> list[bytes]:
    data = b"".join(frames)
    return [data[i : i + size] for i in range(0, len(data), size)]


async def _typed(
    chunks: list[bytes], *, stall: bool, reuse: bool = False, **options: Any
) -> tuple[list[Any], BaseException | None]:
    async def source() -> Any:
        buffer = bytearray()
        for chunk in chunks:
            if reuse:  # one buffer, overwritten for every read (as some sources do)
                buffer[:] = chunk
                yield buffer
            else:
                yield chunk
        if stall:
            await asyncio.sleep(5)

    got: list[Any] = []
    try:
        async for event in br.aevents(source(), "converse", **options):
            got.append((event, getattr(event, "padding", None)))
    except es.EventStreamError as exc:
        return got, exc
    return got, None


@pytest.mark.parametrize("size", [7, 100, 4096])
@pytest.mark.parametrize("reuse", [False, True])
def test_a_stall_after_fast_frames_carries_every_message_and_event(size: int, reuse: bool) -> None:
    frames = [START, _delta("one"), TOOL_USE, _delta("two", None), _delta("x" * 9000)]
    frames += [_delta("three", "abcdefgh")]
    data = b"".join(frames)
    chunks = [*_chunks_of(frames, size), _delta("cut")[:20]]  # and part of one more frame
    got, error = asyncio.run(_typed(chunks, stall=True, reuse=reuse, idle_timeout=0.1))
    assert isinstance(error, es.StreamStalledError)
    expected = list(es.iter_messages([data]))
    assert list(error.messages) == expected and error.messages_whole
    typed = [(e, getattr(e, "padding", None)) for e in br.events([data], "converse")]
    assert got == typed
    assert [(e, getattr(e, "padding", None)) for e in error.events] == typed


def test_aevents_with_a_timeout_agrees_with_the_general_path() -> None:
    frames = [
        START,
        _delta("one"),
        *[_event_frame(b"contentBlockDelta", p) for p in HOSTILE_DELTAS[:1]],
    ]
    frames += [_delta("two"), _event_frame(b"contentBlockDelta", HOSTILE_DELTAS[2]), _delta("lost")]
    chunks = _chunks_of(frames, 100)
    got, error = asyncio.run(_typed(chunks, stall=False, idle_timeout=5.0))
    events, expected_error = _general(chunks, "converse", True)
    assert got == [event[:2] for event in events]
    assert isinstance(error, br.BedrockPayloadError)
    assert (type(error), error.offset, error.frame_index, error.frame_offset) == expected_error


def test_mapped_fails_closed_on_any_exception_from_read() -> None:
    # Not only the library's errors: a bug in read (a ValueError) loses the rest of the
    # data too, so the decoder must not go on as if the stream were whole.
    def read(located: es.Frame) -> Any:
        if located.message.payload == b"a":
            raise ValueError("a bug in read")
        return located.message.payload

    decoder = es.Decoder()
    with pytest.raises(ValueError, match="a bug in read"):
        list(decoder.mapped(frame(b"", b"a") + frame(b"", b"b") + frame(b"", b"c"), read))
    with pytest.raises(es.DecoderStateError, match="ValueError") as info:
        decoder.feed(frame(b"", b"d"))
    assert info.value.frame_index == 1


def test_odd_header_blocks_first_do_not_keep_bedrock_s_own_out_of_the_table() -> None:
    reader = br.EventReader("converse")

    def read(data: bytes) -> None:
        (located,) = es.Decoder().frames(data)
        reader.read_frame(located)

    for n in range(12):  # twelve distinct blocks first: more than the table holds
        headers = _event_frame(b"contentBlockDelta", b"")[12:-4] + string_header(b"x", b"%d" % n)
        read(frame(headers, b'{"contentBlockIndex":0,"delta":{"text":"o"}}'))
    assert 0 < len(reader.fast) <= 8
    mine = _delta("mine")
    read(mine)
    read(mine)  # known now: the table is not emptied again for it
    assert mine[12 : 12 + len(_event_frame(b"contentBlockDelta", b"")) - 16] in reader.fast
