"""iter_messages / aiter_messages over real clients reading a real HTTP server on 127.0.0.1.

The server (tests/http_server.py) sends hand-built frames with ``Transfer-Encoding: chunked``
in HTTP chunks that cut preludes, headers and payloads; requests, httpx (sync and async),
aiohttp, urllib3 and botocore's StreamingBody read it, and so does a file on disk.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import tracemalloc
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import requests
import urllib3
from botocore.response import StreamingBody  # type: ignore[import-untyped]

import eventstream as es
from tests.http_server import EVENTSTREAM, Body, EventStreamServer
from tests.support import frame, header, string_header
from tests.vectors import EMPTY, check_hand_built, event, hand_stream

# --- what the server sends -----------------------------------------------------------------

BIG_PAYLOAD = b'{"bytes":"' + b"QUJD" * 25_000 + b'"}'  # 100 KiB: spans 64 KiB reads
OWN_STREAM = hand_stream(
    [
        event("messageStart", b'{"role":"assistant"}'),
        EMPTY,
        event("contentBlockDelta", b'{"delta":{"text":"Hello"},"contentBlockIndex":0}'),
        event("chunk", BIG_PAYLOAD),
        (
            frame(header(b"n", 4, b"\x00\x00\x00\x2a") + header(b"ok", 0), b"\x00\xff" * 40),
            es.Message({"n": es.Integer(42), "ok": True}, b"\x00\xff" * 40),
        ),
        event("contentBlockDelta", b'{"delta":{"text":" world"},"contentBlockIndex":0}'),
        event("messageStop", b'{"stopReason":"end_turn"}'),
    ]
)
OWN, FRAMES, MESSAGES, STREAM, STARTS = OWN_STREAM

#: A frame whose message CRC is wrong, sent after frame 3.
BAD_FRAME = frame(string_header(b":event-type", b"chunk"), b"{}", message_crc=0xDEADBEEF)
CORRUPT = STREAM[: STARTS[4]] + BAD_FRAME + STREAM[STARTS[4] :]
#: Cut inside frame 5's payload, and 5 bytes into frame 6's prelude.
MID_FRAME_CUT = STARTS[5] + 60
MID_PRELUDE_CUT = STARTS[6] + 5
JSON_ERROR = b'{"message":"The security token included in the request is invalid."}'

BODIES = {
    "/stream": Body(STREAM),
    "/truncated": Body(STREAM[:MID_FRAME_CUT]),
    "/truncated-in-prelude": Body(STREAM[:MID_PRELUDE_CUT]),
    "/corrupt": Body(CORRUPT),
    "/empty": Body(b""),
    # What an AWS service sends on an auth failure: a JSON body with a Content-Length.
    "/error": Body(JSON_ERROR, status=403, content_type="application/json", chunk_sizes=None),
}


@dataclass
class Expected:
    messages: list[es.Message]
    error: type[es.EventStreamError] | None = None
    where: tuple[int, int, int] | None = None  # offset, frame_index, frame_offset
    sizes: tuple[int, int] | None = None  # TruncatedError expected, received
    text: str | None = None


EXPECTED = {
    "/stream": Expected(MESSAGES),
    "/truncated": Expected(
        MESSAGES[:5], es.TruncatedError, (MID_FRAME_CUT, 5, STARTS[5]), (len(FRAMES[5]), 60)
    ),
    "/truncated-in-prelude": Expected(
        MESSAGES[:6], es.TruncatedError, (MID_PRELUDE_CUT, 6, STARTS[6]), (12, 5)
    ),
    "/corrupt": Expected(
        MESSAGES[:4],
        es.MessageChecksumError,
        (STARTS[4] + len(BAD_FRAME) - 4, 4, STARTS[4]),
    ),
    "/empty": Expected([]),
    "/error": Expected([], es.PreludeChecksumError, (8, 0, 0), text="looks like a JSON document"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[EventStreamServer]:
    with EventStreamServer(BODIES) as running:
        yield running


def test_fixture_frames_are_what_they_claim() -> None:
    check_hand_built(OWN_STREAM)
    assert len(FRAMES[3]) > es.DEFAULT_READ_SIZE


def test_server_cuts_frames_at_odd_places() -> None:
    # The chunk boundaries must fall inside preludes and inside frames, not only between them.
    boundaries = BODIES["/stream"].boundaries()
    in_prelude = in_body = 0
    for boundary in boundaries:
        start = max(s for s in STARTS if s <= boundary)
        if 0 < boundary - start < 12:
            in_prelude += 1
        elif boundary - start >= 12:
            in_body += 1
    assert in_prelude >= 3 and in_body >= 10
    assert b"".join(BODIES["/stream"].chunks()) == STREAM


# --- collecting what an adapter yields -----------------------------------------------------


@dataclass
class Outcome:
    messages: list[es.Message] = field(default_factory=list)
    error: es.EventStreamError | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0


def _collect(messages: Iterator[es.Message], outcome: Outcome) -> Outcome:
    """Drain ``messages`` into ``outcome``; an error must come after every message before it."""
    try:
        for message in messages:
            outcome.messages.append(message)
    except es.EventStreamError as exc:
        outcome.error = exc
    return outcome


async def _acollect(messages: AsyncIterator[es.Message], outcome: Outcome) -> Outcome:
    try:
        async for message in messages:
            outcome.messages.append(message)
    except es.EventStreamError as exc:
        outcome.error = exc
    return outcome


def _headers(items: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in items.items()}


Reader = Callable[[str], Outcome]
TIMEOUT = 10


def _requests_iter_content(chunk_size: int | None) -> Reader:
    def read(url: str) -> Outcome:
        with requests.Session() as session, session.get(url, stream=True, timeout=TIMEOUT) as r:
            outcome = Outcome(headers=_headers(r.headers), status=r.status_code)
            return _collect(es.iter_messages(r.iter_content(chunk_size=chunk_size)), outcome)

    return read


def _requests_raw(read_size: int) -> Reader:
    def read(url: str) -> Outcome:
        with requests.Session() as session, session.get(url, stream=True, timeout=TIMEOUT) as r:
            outcome = Outcome(headers=_headers(r.headers), status=r.status_code)
            return _collect(es.iter_messages(r.raw, read_size=read_size), outcome)

    return read


def _httpx_iter_bytes(chunk_size: int | None) -> Reader:
    def read(url: str) -> Outcome:
        with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", url) as r:
            outcome = Outcome(headers=_headers(r.headers), status=r.status_code)
            return _collect(es.iter_messages(r.iter_bytes(chunk_size)), outcome)

    return read


def _run_async(make: Callable[[str], Coroutine[Any, Any, Outcome]]) -> Reader:
    # No pytest-asyncio here: each read gets its own event loop.
    def read(url: str) -> Outcome:
        return asyncio.run(make(url))

    return read


def _httpx_aiter_bytes(chunk_size: int | None) -> Reader:
    async def read(url: str) -> Outcome:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client, client.stream("GET", url) as r:
            outcome = Outcome(headers=_headers(r.headers), status=r.status_code)
            return await _acollect(es.aiter_messages(r.aiter_bytes(chunk_size)), outcome)

    return _run_async(read)


def _aiohttp(source: Callable[[aiohttp.ClientResponse], Any], read_size: int) -> Reader:
    async def read(url: str) -> Outcome:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as r:
            outcome = Outcome(headers=_headers(r.headers), status=r.status)
            messages = es.aiter_messages(source(r), read_size=read_size)
            return await _acollect(messages, outcome)

    return _run_async(read)


def _urllib3(source: Callable[[urllib3.BaseHTTPResponse], Any], read_size: int) -> Reader:
    def read(url: str) -> Outcome:
        with urllib3.PoolManager(timeout=TIMEOUT, retries=False) as pool:
            r = pool.request("GET", url, preload_content=False)
            try:
                outcome = Outcome(headers=_headers(r.headers), status=r.status)
                return _collect(es.iter_messages(source(r), read_size=read_size), outcome)
            finally:
                r.release_conn()
                r.close()

    return read


def _botocore_body(
    source: Callable[[StreamingBody], Any] = lambda body: body, read_size: int = 1024
) -> Reader:
    # What botocore hands back for an event-stream response: its StreamingBody over a
    # urllib3 response read with preload_content=False.
    def read(url: str) -> Outcome:
        with urllib3.PoolManager(timeout=TIMEOUT, retries=False) as pool:
            r = pool.request("GET", url, preload_content=False)
            body = StreamingBody(r, r.headers.get("content-length"))
            try:
                outcome = Outcome(headers=_headers(r.headers), status=r.status)
                return _collect(es.iter_messages(source(body), read_size=read_size), outcome)
            finally:
                body.close()
                r.release_conn()

    return read


READERS: dict[str, Reader] = {
    "requests-iter_content-None": _requests_iter_content(None),
    "requests-iter_content-7": _requests_iter_content(7),
    "requests-iter_content-1000": _requests_iter_content(1000),
    "requests-raw": _requests_raw(es.DEFAULT_READ_SIZE),
    "requests-raw-read5": _requests_raw(5),
    "httpx-iter_bytes": _httpx_iter_bytes(None),
    "httpx-iter_bytes-13": _httpx_iter_bytes(13),
    "httpx-aiter_bytes": _httpx_aiter_bytes(None),
    "httpx-aiter_bytes-3": _httpx_aiter_bytes(3),
    "aiohttp-iter_any": _aiohttp(lambda r: r.content.iter_any(), es.DEFAULT_READ_SIZE),
    "aiohttp-iter_chunked-9": _aiohttp(lambda r: r.content.iter_chunked(9), es.DEFAULT_READ_SIZE),
    "aiohttp-content-read": _aiohttp(lambda r: r.content, es.DEFAULT_READ_SIZE),
    "aiohttp-content-read10": _aiohttp(lambda r: r.content, 10),
    "urllib3-stream": _urllib3(lambda r: r.stream(), es.DEFAULT_READ_SIZE),
    "urllib3-stream-7": _urllib3(lambda r: r.stream(7), es.DEFAULT_READ_SIZE),
    "urllib3-read": _urllib3(lambda r: r, 4096),
    "botocore-StreamingBody-read": _botocore_body(),
    "botocore-StreamingBody-read-default": _botocore_body(read_size=es.DEFAULT_READ_SIZE),
    "botocore-StreamingBody-iter_chunks-11": _botocore_body(lambda b: b.iter_chunks(11)),
}


def _check(outcome: Outcome, expected: Expected) -> None:
    assert outcome.messages == expected.messages
    if expected.error is None:
        assert outcome.error is None
        return
    error = outcome.error
    assert type(error) is expected.error, repr(error)
    if expected.where is not None:
        assert (error.offset, error.frame_index, error.frame_offset) == expected.where
    if expected.sizes is not None:
        assert isinstance(error, es.TruncatedError)
        assert (error.expected, error.received) == expected.sizes
    if expected.text is not None:
        assert expected.text in str(error)


@pytest.mark.parametrize("path", list(BODIES))
@pytest.mark.parametrize("reader", list(READERS))
def test_http_client_through_adapter(server: EventStreamServer, reader: str, path: str) -> None:
    served = len(server.served)
    outcome = READERS[reader](server.url(path))
    assert server.served[served:] == [path]  # the request really reached our server
    body = BODIES[path]
    assert outcome.status == body.status
    assert outcome.headers["content-type"] == body.content_type
    assert (body.content_type == EVENTSTREAM) == (path != "/error")
    if body.chunk_sizes is not None:
        assert outcome.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in outcome.headers
    _check(outcome, EXPECTED[path])


@pytest.mark.parametrize("path", list(BODIES))
@pytest.mark.parametrize("read_size", [1, 3, 4096, es.DEFAULT_READ_SIZE])
def test_file_on_disk(tmp_path: Path, path: str, read_size: int) -> None:
    target = tmp_path / "body.bin"
    target.write_bytes(BODIES[path].data)
    with open(target, "rb") as source:
        outcome = _collect(es.iter_messages(source, read_size=read_size), Outcome())
        if EXPECTED[path].error in (None, es.TruncatedError):
            assert source.read() == b""  # read to the end before the verdict
    _check(outcome, EXPECTED[path])


@pytest.mark.parametrize("path", list(BODIES))
def test_botocore_streaming_body_over_a_raw_stream(path: str) -> None:
    data = BODIES[path].data
    with StreamingBody(io.BytesIO(data), len(data)) as body:
        outcome = _collect(es.iter_messages(body, read_size=1000), Outcome())
    _check(outcome, EXPECTED[path])


# --- the adapters' own behaviour -----------------------------------------------------------


def test_messages_are_yielded_as_their_frames_arrive() -> None:
    # Lazy: the first message comes out before the source is read to the end.
    reads: list[int] = []

    def chunks() -> Iterator[bytes]:
        for i in range(len(FRAMES)):
            reads.append(i)
            yield FRAMES[i]

    messages = es.iter_messages(chunks())
    assert next(messages) == MESSAGES[0]
    assert reads == [0]
    assert list(messages) == MESSAGES[1:]


def test_async_messages_are_yielded_as_their_frames_arrive() -> None:
    async def main() -> tuple[es.Message, list[int], list[es.Message]]:
        reads: list[int] = []

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(len(FRAMES)):
                reads.append(i)
                yield FRAMES[i]

        messages = es.aiter_messages(chunks())
        first = await messages.__anext__()
        seen = list(reads)
        rest = [m async for m in messages]
        return first, seen, rest

    first, seen, rest = asyncio.run(main())
    assert (first, seen, rest) == (MESSAGES[0], [0], MESSAGES[1:])


def _check_error_mid_stream(outcome: Outcome) -> None:
    assert outcome.messages == MESSAGES
    assert isinstance(outcome.error, es.MessageChecksumError)
    assert (outcome.error.frame_index, outcome.error.frame_offset) == (len(OWN), len(STREAM))


ERROR_MID_STREAM = STREAM + BAD_FRAME + STREAM


@pytest.mark.parametrize("size", [5, len(STREAM) + 20, len(ERROR_MID_STREAM)])
def test_error_mid_stream_yields_earlier_messages_first(size: int) -> None:
    # With one large chunk, the messages before the fault come from the error's ``messages``.
    data = ERROR_MID_STREAM
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    _check_error_mid_stream(_collect(es.iter_messages(chunks), Outcome()))
    _check_error_mid_stream(_collect(es.iter_messages(io.BytesIO(data), read_size=size), Outcome()))

    async def main() -> Outcome:
        async def source() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        return await _acollect(es.aiter_messages(source()), Outcome())

    _check_error_mid_stream(asyncio.run(main()))


class TrickleReader(io.RawIOBase):
    """A blocking reader that, like a pipe or an unbuffered socket, returns short reads."""

    def __init__(self, data: bytes, sizes: tuple[int, ...]) -> None:
        self._data = data
        self._pos = 0
        self._sizes = itertools.cycle(sizes)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1, /) -> bytes:
        step = next(self._sizes)
        if size >= 0:
            step = min(step, size)
        chunk = self._data[self._pos : self._pos + step]
        self._pos += len(chunk)
        return chunk


@pytest.mark.parametrize("path", list(BODIES))
def test_short_reads_are_not_taken_for_the_end(path: str) -> None:
    # Only an empty read() ends the input.
    with TrickleReader(BODIES[path].data, (1, 7, 12, 300, 5000)) as source:
        outcome = _collect(es.iter_messages(source, read_size=4096), Outcome())
    _check(outcome, EXPECTED[path])


def test_limits_are_passed_to_the_decoder() -> None:
    outcome = _collect(es.iter_messages(io.BytesIO(STREAM), max_payload_length=1000), Outcome())
    assert outcome.messages == MESSAGES[:3]
    assert isinstance(outcome.error, es.LimitExceededError)
    assert outcome.error.offset == STARTS[3]

    async def main() -> Outcome:
        async def one() -> AsyncIterator[bytes]:
            yield STREAM

        return await _acollect(es.aiter_messages(one(), max_headers_length=10), Outcome())

    outcome = asyncio.run(main())
    assert outcome.messages == []
    assert isinstance(outcome.error, es.LimitExceededError)
    assert outcome.error.limit_name == "max_headers_length"


@pytest.mark.parametrize("source", [STREAM, bytearray(STREAM), "text", 42, None])
def test_iter_messages_refuses_what_is_not_a_byte_source(source: object) -> None:
    with pytest.raises(es.InputTypeError):
        next(es.iter_messages(source))  # type: ignore[arg-type]


def test_aiter_messages_refuses_a_sync_iterable() -> None:
    async def main() -> None:
        await es.aiter_messages([STREAM]).__anext__()  # type: ignore[arg-type]

    with pytest.raises(es.InputTypeError):
        asyncio.run(main())


def test_aiter_messages_takes_a_sync_read() -> None:
    async def main() -> list[es.Message]:
        # Typed for async reads only, but a blocking read() works too (it blocks the loop).
        source = io.BytesIO(STREAM)
        return [m async for m in es.aiter_messages(source, read_size=7)]  # type: ignore[arg-type]

    assert asyncio.run(main()) == MESSAGES


@pytest.mark.parametrize("data", [STREAM[:-1], STREAM + b"\x00\x00\x00"])
def test_async_truncation_at_eof(data: bytes) -> None:
    async def main() -> Outcome:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await _acollect(es.aiter_messages(reader, read_size=100), Outcome())

    outcome = asyncio.run(main())
    assert outcome.messages == (MESSAGES[:-1] if len(data) < len(STREAM) else MESSAGES)
    assert isinstance(outcome.error, es.TruncatedError)
    assert outcome.error.offset == len(data)


# --- memory: one message at a time ----------------------------------------------------------


def test_iter_messages_holds_one_read_and_one_message_not_a_reads_worth() -> None:
    one = es.Message(
        {":event-type": "chunk", ":message-type": "event"}, b'{"bytes":"' + b"A" * 200 + b'"}'
    ).encode()
    data = one * 4000  # ~1 MB: 16 reads of 64 KiB, ~260 frames each
    source = io.BytesIO(data)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        count = sum(1 for _ in es.iter_messages(source))
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert count == 4000
    # A read, a few frames, and fixed overhead. Decoding a whole read into a list first (or
    # keeping the previous read alive during the next) would add 64 KiB or more.
    assert peak < es.DEFAULT_READ_SIZE + 16 * 1024, peak


def test_stopping_a_feed_midway_fails_the_decoder_closed() -> None:
    one = es.Message({"a": "b"}, b"x").encode()
    decoder = es.Decoder()
    messages = decoder.messages(one * 3)
    assert next(messages) == es.Message({"a": "b"}, b"x")
    messages.close()  # the two other frames would be lost: the decoder says so
    with pytest.raises(es.DecoderStateError, match="stopped before all its messages"):
        decoder.feed(b"")


@pytest.mark.parametrize("read_size", [0, -1, True])
def test_a_read_size_below_one_is_refused(read_size: int) -> None:
    # read(0) returns b"": without the check a whole stream would read as empty.
    with pytest.raises(es.ConfigurationError, match="read_size"):
        list(es.iter_messages(io.BytesIO(b"x"), read_size=read_size))
