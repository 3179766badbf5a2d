"""Stall detection (issue 12, item 4): ``first_byte_timeout`` / ``idle_timeout`` on the async
adapters and ``bedrock.aevents``, and the sources' own read timeouts (sockets, httpx,
urllib3, requests, botocore, aiohttp) mapped to :class:`StreamStalledError`, sync and async.

Every server is real, on 127.0.0.1 (tests/slow_server.py), and stalls for real; timeouts
are 0.2 s, so each stall costs about that.
"""

from __future__ import annotations

import asyncio
import math
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import requests
import urllib3
from botocore.exceptions import ReadTimeoutError  # type: ignore[import-untyped]
from botocore.response import StreamingBody  # type: ignore[import-untyped]

import eventstream as es
from eventstream import bedrock as br
from tests.markdown import python_blocks
from tests.slow_server import HOLD, SlowServer
from tests.test_adapter_holes import EVENTS, FRAMES, MESSAGES, STREAM, TWO

STALL = 0.2
#: Two frames and 5 bytes of the third, then nothing.
CUT = [TWO, FRAMES[2][:5], HOLD]
CUT_AT = len(TWO) + 5


def run(main: Callable[[], Any]) -> Any:
    return asyncio.run(main())


def check_stall(
    error: BaseException | None,
    *,
    name: str,
    timeout: float | None,
    where: tuple[int, int, int],
    messages: list[es.Message],
) -> es.StreamStalledError:
    assert isinstance(error, es.StreamStalledError), repr(error)
    assert (error.timeout_name, error.timeout) == (name, timeout)
    assert (error.offset, error.frame_index, error.frame_offset) == where
    assert list(error.messages) == messages
    assert error.retryable
    return error


# --- the async timeouts ---------------------------------------------------------------------

#: Async sources over an HTTP response, by name: (client, what of the response to read).
ASYNC_SOURCES = ["httpx-response", "httpx-aiter_bytes", "aiohttp-response", "aiohttp-content"]


async def _with_source(url: str, kind: str, use: Callable[[Any], Any]) -> Any:
    """``await use(source)`` with a live async source reading ``url``."""
    if kind.startswith("httpx"):
        async with httpx.AsyncClient() as http, http.stream("GET", url) as response:
            return await use(response if kind == "httpx-response" else response.aiter_bytes())
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await use(response if kind == "aiohttp-response" else response.content)


async def _drain(iterator: AsyncIterator[Any]) -> tuple[list[Any], BaseException | None, float]:
    """Items until an error; the error and the seconds it took to come."""
    got: list[Any] = []
    start = time.monotonic()
    try:
        async for item in iterator:
            got.append(item)
            start = time.monotonic()
    except es.EventStreamError as exc:
        return got, exc, time.monotonic() - start
    return got, None, time.monotonic() - start


@pytest.mark.parametrize("kind", ASYNC_SOURCES)
def test_no_first_byte_within_first_byte_timeout_is_a_stall(kind: str) -> None:
    async def use(source: Any) -> None:
        iterator = es.aiter_messages(source, first_byte_timeout=STALL, idle_timeout=5)
        got, error, waited = await _drain(iterator)
        assert got == []
        stall = check_stall(
            error, name="first_byte_timeout", timeout=STALL, where=(0, 0, 0), messages=[]
        )
        assert STALL <= waited < STALL + 0.5
        assert "stalled: nothing came within first_byte_timeout=0.2 s" in str(stall)
        # Failed closed: every later call says so.
        for _ in range(2):
            with pytest.raises(es.DecoderStateError, match="stays failed") as caught:
                await anext(iterator)
            assert caught.value.__cause__ is stall

    with SlowServer({"/s": [HOLD]}) as server:
        run(lambda: _with_source(server.url("/s"), kind, use))


@pytest.mark.parametrize("kind", ASYNC_SOURCES)
def test_nothing_more_within_idle_timeout_is_a_stall_with_the_messages_so_far(kind: str) -> None:
    async def use(source: Any) -> None:
        got, error, waited = await _drain(es.aiter_messages(source, idle_timeout=STALL))
        assert got == MESSAGES[:2]
        stall = check_stall(
            error, name="idle_timeout", timeout=STALL, where=(CUT_AT, 2, len(TWO)),
            messages=MESSAGES[:2],
        )  # fmt: skip
        assert STALL <= waited < STALL + 0.5
        assert str(stall) == (
            f"frame 2, byte {CUT_AT}: stalled: nothing came within idle_timeout=0.2 s, "
            "after 2 frames and 5 bytes of the next"
        )

    with SlowServer({"/s": CUT}) as server:
        run(lambda: _with_source(server.url("/s"), kind, use))


def test_aiter_frames_stalls_with_the_messages_of_its_frames() -> None:
    async def use(source: Any) -> None:
        got, error, _ = await _drain(es.aiter_frames(source, idle_timeout=STALL))
        assert [frame.message for frame in got] == MESSAGES[:2]
        check_stall(
            error, name="idle_timeout", timeout=STALL, where=(CUT_AT, 2, len(TWO)),
            messages=MESSAGES[:2],
        )  # fmt: skip

    with SlowServer({"/s": CUT}) as server:
        run(lambda: _with_source(server.url("/s"), "httpx-aiter_bytes", use))


def test_aevents_stalls_with_the_events_so_far_and_stays_failed() -> None:
    async def use(source: Any) -> None:
        iterator = br.aevents(source, "converse", first_byte_timeout=1, idle_timeout=STALL)
        got, error, _ = await _drain(iterator)
        assert got == EVENTS[:2]
        stall = check_stall(
            error, name="idle_timeout", timeout=STALL, where=(len(TWO), 2, len(TWO)),
            messages=MESSAGES[:2],
        )  # fmt: skip
        assert list(stall.events) == EVENTS[:2]
        partial = br.reassemble(stall.events)
        assert (partial.text, partial.complete) == ("Hel", False)
        with pytest.raises(es.DecoderStateError, match=r"bedrock\.aevents\(\) failed earlier"):
            await anext(iterator)

    with SlowServer({"/s": [TWO, HOLD]}) as server:
        run(lambda: _with_source(server.url("/s"), "aiohttp-response", use))


def test_a_slow_stream_within_its_bounds_is_read_whole() -> None:
    # Each wait is below idle_timeout though the whole stream takes longer than it: the
    # timer, armed once, is moved on as reads succeed.
    plan = [FRAMES[0], 0.15, FRAMES[1], 0.15, FRAMES[2], 0.15, FRAMES[3]]

    async def use(source: Any) -> list[es.Message]:
        return [
            m async for m in es.aiter_messages(source, first_byte_timeout=0.3, idle_timeout=0.3)
        ]

    with SlowServer({"/s": plan}) as server:
        assert run(lambda: _with_source(server.url("/s"), "httpx-aiter_bytes", use)) == MESSAGES


def test_each_timeout_bounds_only_its_own_waits() -> None:
    async def read(url: str, **timeouts: float) -> list[es.Message]:
        async def use(source: Any) -> list[es.Message]:
            return [m async for m in es.aiter_messages(source, **timeouts)]

        return await _with_source(url, "httpx-aiter_bytes", use)

    async def main(server: SlowServer) -> None:
        # A slow first byte under idle_timeout alone, and a slow later one under
        # first_byte_timeout alone: neither is bounded.
        assert await read(server.url("/late-first"), idle_timeout=STALL) == MESSAGES
        assert await read(server.url("/late-second"), first_byte_timeout=STALL) == MESSAGES

    plans = {
        "/late-first": [0.4, STREAM],
        "/late-second": [FRAMES[0], 0.4, STREAM[len(FRAMES[0]) :]],
    }
    with SlowServer(plans) as server:
        run(lambda: main(server))


def test_the_time_the_caller_takes_between_items_does_not_count() -> None:
    async def instant() -> AsyncIterator[bytes]:
        for frame in FRAMES:
            yield frame

    async def main() -> list[es.Message]:
        got = []
        async for message in es.aiter_messages(
            instant(), first_byte_timeout=0.05, idle_timeout=0.05
        ):
            got.append(message)
            await asyncio.sleep(0.1)  # longer than either timeout
        return got

    assert run(main) == MESSAGES


def test_a_stall_leaves_the_task_uncancelled_and_outer_timeouts_alone() -> None:
    async def main(url: str) -> None:
        async def use(source: Any) -> None:
            # An outer deadline far off: the stall inside is ours, not its TimeoutError.
            async with asyncio.timeout(5):
                with pytest.raises(es.StreamStalledError):
                    async for _ in es.aiter_messages(source, idle_timeout=STALL):
                        pass
            task = asyncio.current_task()
            assert task is not None and task.cancelling() == 0
            await asyncio.sleep(0)  # not cancelled on the next await either

        await _with_source(url, "httpx-aiter_bytes", use)

    if sys.version_info < (3, 11):
        pytest.skip("asyncio.timeout and Task.cancelling are 3.11+")
    with SlowServer({"/s": CUT}) as server:
        run(lambda: main(server.url("/s")))


def test_a_cancellation_from_outside_stays_a_cancellation() -> None:
    # wait_for's own timeout, shorter than ours: the caller sees its TimeoutError, and the
    # iteration fails closed as cancelled (not as a stall it did not detect).
    async def use(source: Any) -> None:
        iterator = es.aiter_messages(source, idle_timeout=5)
        assert await asyncio.wait_for(anext(iterator), 1) == MESSAGES[0]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(iterator), 0.1)
        with pytest.raises(es.DecoderStateError, match="cancelled"):
            await anext(iterator)

    with SlowServer({"/s": [FRAMES[0], HOLD]}) as server:
        run(lambda: _with_source(server.url("/s"), "aiohttp-content", use))


@pytest.mark.parametrize("seconds", [0, -1, True, "1", math.nan, math.inf])
@pytest.mark.parametrize("name", ["first_byte_timeout", "idle_timeout"])
def test_a_bad_timeout_is_refused_at_the_call(name: str, seconds: object) -> None:
    async def never() -> AsyncIterator[bytes]:
        yield b""

    for layer in (
        es.aiter_messages,
        es.aiter_frames,
        lambda s, **k: br.aevents(s, "converse", **k),
    ):
        with pytest.raises(es.ConfigurationError, match=name):
            layer(never(), **{name: seconds})


# --- the sources' own read timeouts -----------------------------------------------------------


def _drain_sync(iterator: Iterator[Any]) -> tuple[list[Any], BaseException | None]:
    got: list[Any] = []
    try:
        for item in iterator:
            got.append(item)
    except es.EventStreamError as exc:
        return got, exc
    return got, None


@pytest.mark.parametrize(
    ("plan", "name", "where", "count"),
    [([HOLD], "first_byte_timeout", (0, 0, 0), 0), (CUT, "idle_timeout", (CUT_AT, 2, len(TWO)), 2)],
    ids=["first-byte", "idle"],
)
def test_a_socket_read_timeout_is_a_stall(
    plan: list[Any], name: str, where: tuple[int, int, int], count: int
) -> None:
    # Before the fix: a bare TimeoutError, and the next call ended the stream cleanly.
    with (
        SlowServer({"": plan}, raw=True) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=STALL) as sock,
        # Unbuffered: a BufferedReader would wait to fill each read_size-byte read, and keep
        # what it had received when the timeout struck.
        sock.makefile("rb", buffering=0) as source,
    ):
        iterator = es.iter_messages(source)
        got, error = _drain_sync(iterator)
        assert got == MESSAGES[:count]
        stall = check_stall(error, name=name, timeout=None, where=where, messages=[])
        assert isinstance(stall.__cause__, TimeoutError)
        assert "stalled: the source's read timed out (TimeoutError)" in str(stall)
        with pytest.raises(es.DecoderStateError, match="stays failed"):
            next(iterator)


SYNC_CLIENTS = ["httpx-response", "httpx-iter_bytes", "requests-iter_content", "urllib3-stream"]


def _sync_read(url: str, kind: str, use: Callable[[Any], Any]) -> tuple[Any, type[BaseException]]:
    """``use(source)`` with a sync client whose read timeout is STALL, and the class of the
    error that client raises for it."""
    if kind.startswith("httpx"):
        with (
            httpx.Client(timeout=httpx.Timeout(5, read=STALL)) as http,
            http.stream("GET", url) as response,
        ):
            source = response if kind == "httpx-response" else response.iter_bytes()
            return use(source), httpx.ReadTimeout
    if kind == "requests-iter_content":
        with requests.get(url, stream=True, timeout=(5, STALL)) as response:
            return use(response.iter_content(None)), requests.ConnectionError
    with urllib3.PoolManager() as pool:
        response = pool.request(
            "GET", url, preload_content=False, timeout=urllib3.Timeout(connect=5, read=STALL)
        )
        try:
            return use(response.stream()), urllib3.exceptions.ReadTimeoutError
        finally:
            response.release_conn()


@pytest.mark.parametrize("kind", SYNC_CLIENTS)
def test_an_http_clients_read_timeout_is_a_stall(kind: str) -> None:
    def use(source: Any) -> tuple[list[Any], BaseException | None]:
        return _drain_sync(es.iter_messages(source))

    with SlowServer({"/s": CUT}) as server:
        (got, error), raised = _sync_read(server.url("/s"), kind, use)
    assert got == MESSAGES[:2]
    stall = check_stall(
        error, name="idle_timeout", timeout=None, where=(CUT_AT, 2, len(TWO)), messages=[]
    )
    assert isinstance(stall.__cause__, raised)


def test_botocores_read_timeout_is_a_stall() -> None:
    with SlowServer({"/s": [HOLD]}) as server, urllib3.PoolManager() as pool:
        response = pool.request(
            "GET", server.url("/s"), preload_content=False,
            timeout=urllib3.Timeout(connect=5, read=STALL),
        )  # fmt: skip
        try:
            _, error = _drain_sync(es.iter_messages(StreamingBody(response, None)))
        finally:
            response.release_conn()
    stall = check_stall(
        error, name="first_byte_timeout", timeout=None, where=(0, 0, 0), messages=[]
    )
    assert isinstance(stall.__cause__, ReadTimeoutError)


def test_bedrock_events_over_a_timed_out_read_stall_and_stay_failed() -> None:
    def use(source: Any) -> None:
        iterator = br.events(source, "converse")
        got, error = _drain_sync(iterator)
        assert got == EVENTS[:2]
        check_stall(
            error, name="idle_timeout", timeout=None, where=(len(TWO), 2, len(TWO)), messages=[]
        )
        with pytest.raises(es.DecoderStateError, match=r"bedrock\.events\(\) failed earlier"):
            next(iterator)

    with SlowServer({"/s": [TWO, HOLD]}) as server:
        _sync_read(server.url("/s"), "httpx-response", use)


@pytest.mark.parametrize("client", ["httpx", "aiohttp"])
def test_an_async_clients_read_timeout_is_a_stall(client: str) -> None:
    # Our timeouts off: the client's own fires, and is mapped the same way (nothing kept).
    async def main(url: str) -> tuple[list[Any], BaseException | None]:
        if client == "httpx":
            async with (
                httpx.AsyncClient(timeout=httpx.Timeout(5, read=STALL)) as http,
                http.stream("GET", url) as response,
            ):
                got, error, _ = await _drain(es.aiter_messages(response))
        else:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=STALL)) as session,
                session.get(url) as response,
            ):
                got, error, _ = await _drain(es.aiter_messages(response))
        return got, error

    with SlowServer({"/s": CUT}) as server:
        got, error = run(lambda: main(server.url("/s")))
    assert got == MESSAGES[:2]
    stall = check_stall(
        error, name="idle_timeout", timeout=None, where=(CUT_AT, 2, len(TWO)), messages=[]
    )
    assert isinstance(stall.__cause__, httpx.ReadTimeout if client == "httpx" else TimeoutError)


def test_a_source_error_that_is_no_timeout_is_raised_as_it_is_and_stays_failed() -> None:
    def broken() -> Iterator[bytes]:
        yield TWO
        raise ConnectionResetError("peer reset")

    iterator = es.iter_messages(broken())
    assert [next(iterator), next(iterator)] == MESSAGES[:2]
    with pytest.raises(ConnectionResetError):
        next(iterator)
    with pytest.raises(es.DecoderStateError, match=r"stays failed \(ConnectionResetError\)") as e:
        next(iterator)
    assert (e.value.offset, e.value.frame_index) == (len(TWO), 2)


# --- what a gateway makes of it ---------------------------------------------------------------


def test_a_gateway_ends_a_stalled_upstream_with_an_exception_frame() -> None:
    # The serving functions catch any EventStreamError: the client gets the two events,
    # then a retryable internalServerException that says where the upstream stalled.
    async def use(source: Any) -> list[bytes]:
        events = br.aevents(source, "converse", idle_timeout=STALL)
        return [
            chunk async for chunk in br.aencode_stream(events, stream="converse", padding=False)
        ]

    with SlowServer({"/s": [TWO, HOLD]}) as server:
        chunks = run(lambda: _with_source(server.url("/s"), "httpx-response", use))
    served = list(br.events(b"".join(chunks), "converse", raise_exceptions=False))
    assert served[:2] == EVENTS[:2]
    assert isinstance(served[2], br.InternalServerException) and served[2].retryable
    assert "StreamStalledError" in served[2].message
    assert "idle_timeout=0.2 s" in served[2].message


# --- docs/streams.md: its examples, run --------------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "streams.md"


def _docs_namespace() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    for block in python_blocks(DOCS.read_text()):
        exec(block.compiled(str(DOCS)), namespace)
    return namespace


def test_the_docs_examples_read_whole_streams_and_stalls() -> None:
    docs = _docs_namespace()
    plans = {"/whole": [TWO, 0.05, FRAMES[2] + FRAMES[3]], "/stalled": [TWO, HOLD]}
    with SlowServer(plans) as server:
        assert run(lambda: docs["answer"](server.url("/whole"), idle_timeout=STALL)) == "Hello"
        assert run(lambda: docs["answer"](server.url("/stalled"), idle_timeout=STALL)) == (
            f"Hel [stalled: nothing for 0.2 s after byte {len(TWO)}]"
        )
        assert docs["answer_sync"](server.url("/whole"), read_timeout=STALL) == "Hello"
        assert docs["answer_sync"](server.url("/stalled"), read_timeout=STALL) == (
            f"Hel [stalled: the read timed out after byte {len(TWO)}]"
        )


def test_the_docs_relay_ends_a_stall_with_an_exception_frame_or_a_500() -> None:
    docs = _docs_namespace()

    async def main(url: str) -> tuple[int, dict[str, str], bytes]:
        async with httpx.AsyncClient() as http, http.stream("GET", url) as upstream:
            reply = await docs["relay"](upstream, first_byte_timeout=STALL, idle_timeout=STALL)
            body = b"".join([chunk async for chunk in reply.body])
            return reply.status, reply.headers, body

    with SlowServer({"/mid": [TWO, HOLD], "/first": [HOLD]}) as server:
        status, _, body = run(lambda: main(server.url("/mid")))
        assert status == 200
        served = list(br.events(body, "converse", raise_exceptions=False))
        assert served[:2] == EVENTS[:2]
        assert isinstance(served[2], br.InternalServerException)
        assert "StreamStalledError" in served[2].message
        # Before the first event: an HTTP error boto3 retries by itself.
        status, headers, _ = run(lambda: main(server.url("/first")))
        assert (status, headers["x-amzn-ErrorType"]) == (500, "InternalServerException")


# --- what a stall carries is bounded ------------------------------------------------------------


@pytest.mark.parametrize("layer", ["aiter_messages", "aevents"])
def test_a_stall_keeps_the_messages_of_the_first_kept_limit_bytes_only(
    monkeypatch: pytest.MonkeyPatch, layer: str
) -> None:
    # Before the bound, every message of a stream with a timeout on stayed in memory for the
    # whole iteration: a long stream grew without limit. Now past KEPT_LIMIT nothing more is
    # kept, and the stall says so.
    from eventstream import _io  # noqa: PLC0415 (the limit is internal)

    monkeypatch.setattr(_io, "KEPT_LIMIT", len(TWO))

    async def source() -> AsyncIterator[bytes]:
        for frame in FRAMES:  # one frame a read: the limit is passed after the third
            yield frame
        await asyncio.sleep(5)

    async def main() -> tuple[list[Any], BaseException | None, float]:
        if layer == "aevents":
            return await _drain(br.aevents(source(), "converse", idle_timeout=STALL))
        return await _drain(es.aiter_messages(source(), idle_timeout=STALL))

    got, error, _ = run(main)
    assert len(got) == len(FRAMES)
    assert isinstance(error, es.StreamStalledError)
    assert not error.messages_whole
    assert list(error.messages) == MESSAGES[:3]  # those read before the limit was passed
    assert "messages kept: those of its first" in str(error)
    if layer == "aevents":
        assert list(error.events) == EVENTS[:3]


def test_a_stall_within_the_limit_keeps_every_message() -> None:
    async def source() -> AsyncIterator[bytes]:
        yield STREAM
        await asyncio.sleep(5)

    got, error, _ = run(lambda: _drain(es.aiter_messages(source(), idle_timeout=STALL)))
    assert got == MESSAGES
    assert isinstance(error, es.StreamStalledError)
    assert error.messages_whole and list(error.messages) == MESSAGES
    assert "messages kept" not in str(error)
