"""The adapters' holes (issue 12, item 5), each a silent data loss or a leak before its fix.

* a non-blocking source whose ``read()`` returns ``None`` ("no data yet") was taken for the
  end of the stream: it is refused with an :class:`InputTypeError`;
* a read cancelled by ``asyncio.wait_for`` ended the iteration cleanly with frames still
  coming: every later call now raises :class:`DecoderStateError`;
* ``aclose()`` left the source open until garbage collection: it closes it at once;
* an ``httpx.Response`` or ``aiohttp.ClientResponse`` passed itself leaked a raw
  ``TypeError``: they are read (and closed) as they should be.

Also: an iteration that failed stays failed (a generator that raised would end cleanly on
the next call). Servers are real, on 127.0.0.1 (tests/slow_server.py).
"""

from __future__ import annotations

import asyncio
import io
import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import httpx
import pytest

import eventstream as es
from eventstream import bedrock as br
from tests.slow_server import HOLD, SlowServer

EVENTS = [
    br.MessageStart(role="assistant"),
    br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="Hel")),
    br.ContentBlockDelta(content_block_index=0, delta=br.TextDelta(text="lo")),
    br.MessageStop(stop_reason="end_turn"),
]
FRAMES = [br.encode_event(event, padding=False).encode() for event in EVENTS]
MESSAGES = [es.decode(frame) for frame in FRAMES]
TWO = FRAMES[0] + FRAMES[1]
STREAM = b"".join(FRAMES)


def run(main: Callable[[], Any]) -> Any:
    return asyncio.run(main())


# --- (a) a non-blocking source is not at its end when it has no data yet ---------------------


def _pipe(buffered: bool) -> io.RawIOBase | io.BufferedReader:
    read_end, write_end = os.pipe()
    os.write(write_end, TWO)  # two frames now, the rest "later": the writer stays open
    os.set_blocking(read_end, False)
    source = open(read_end, "rb", buffering=-1 if buffered else 0)  # noqa: SIM115
    source._write_end = write_end  # type: ignore[union-attr]  # closed by _close()
    return source


def _socket(buffered: bool) -> Any:
    ours, theirs = socket.socketpair()
    theirs.sendall(TWO)
    ours.setblocking(False)
    source = ours.makefile("rb", buffering=-1 if buffered else 0)
    source._peer = (ours, theirs)
    return source


def _close(source: Any) -> None:
    source.close()
    if hasattr(source, "_write_end"):
        os.close(source._write_end)
    for sock in getattr(source, "_peer", ()):
        sock.close()


NON_BLOCKING = {
    "pipe": lambda: _pipe(False),
    "pipe-buffered": lambda: _pipe(True),
    "socket": lambda: _socket(False),
    "socket-buffered": lambda: _socket(True),
}


def _check_non_blocking(got: list[Any], error: BaseException | None) -> None:
    assert got == MESSAGES[:2]
    assert isinstance(error, es.InputTypeError), repr(error)
    assert "non-blocking" in str(error)
    assert (error.offset, error.frame_index) == (len(TWO), 2)


@pytest.mark.parametrize("kind", list(NON_BLOCKING))
def test_a_non_blocking_source_with_no_data_yet_is_refused_not_taken_for_the_end(
    kind: str,
) -> None:
    # Before the fix: two of four frames, then a clean end.
    source = NON_BLOCKING[kind]()
    got: list[es.Message] = []
    error: BaseException | None = None
    try:
        for message in es.iter_messages(source):
            got.append(message)
    except es.EventStreamError as exc:
        error = exc
    finally:
        _close(source)
    _check_non_blocking(got, error)


class NoDataYet:
    """An async ``read()`` that, like a non-blocking source, returns ``None`` when it has
    nothing at hand."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def read(self, size: int) -> bytes | None:
        return self.chunks.pop(0) if self.chunks else None


def test_an_async_read_returning_none_is_refused_not_taken_for_the_end() -> None:
    async def main() -> tuple[list[Any], BaseException | None]:
        got: list[Any] = []
        try:
            async for message in es.aiter_messages(NoDataYet([TWO])):  # type: ignore[arg-type]
                got.append(message)
        except es.EventStreamError as exc:
            return got, exc
        return got, None

    _check_non_blocking(*run(main))


def test_a_non_blocking_file_read_by_aiter_messages_is_refused() -> None:
    source = _pipe(False)

    async def main() -> tuple[list[Any], BaseException | None]:
        got: list[Any] = []
        try:
            async for message in es.aiter_messages(source):  # type: ignore[arg-type]
                got.append(message)
        except es.EventStreamError as exc:
            return got, exc
        return got, None

    try:
        _check_non_blocking(*run(main))
    finally:
        _close(source)


def test_bedrock_events_refuse_a_non_blocking_source() -> None:
    source = _socket(False)
    got: list[Any] = []
    error: BaseException | None = None
    try:
        for event in br.events(source, "converse"):
            got.append(event)
    except es.EventStreamError as exc:
        error = exc
    finally:
        _close(source)
    assert got == EVENTS[:2]
    assert isinstance(error, es.InputTypeError) and "non-blocking" in str(error)


# --- (b) a cancelled read fails the iteration closed ------------------------------------------

#: Two frames, a pause longer than the caller's wait_for, then the other two.
PAUSED = [TWO, 0.4, FRAMES[2] + FRAMES[3]]


async def _after_wait_for(iterator: AsyncIterator[Any], per_item: float) -> list[Any]:
    """Take items with ``wait_for(anext(it), per_item)`` until one times out."""
    got = []
    while True:
        try:
            got.append(await asyncio.wait_for(anext(iterator), per_item))
        except TimeoutError:
            return got


async def _check_cancelled(iterator: AsyncIterator[Any], expected: list[Any]) -> None:
    assert await _after_wait_for(iterator, 0.1) == expected[:2]
    # Before the fix: StopAsyncIteration here, while frames 2 and 3 were on their way.
    for _ in range(2):  # and on every later call
        with pytest.raises(es.DecoderStateError, match="cancelled"):
            await anext(iterator)
    with pytest.raises(es.DecoderStateError):
        async for _ in iterator:
            pass


@pytest.mark.parametrize("client", ["httpx-aiter_bytes", "aiohttp-content", "aiohttp-iter_any"])
@pytest.mark.parametrize("layer", ["aiter_messages", "aiter_frames", "aevents"])
def test_a_read_cancelled_by_wait_for_fails_the_iteration_closed(client: str, layer: str) -> None:
    async def main(url: str) -> None:
        if client.startswith("httpx"):
            async with httpx.AsyncClient() as http, http.stream("GET", url) as response:
                await _check_layer(response.aiter_bytes())
        else:
            async with aiohttp.ClientSession() as session, session.get(url) as response:
                await _check_layer(
                    response.content if client == "aiohttp-content" else response.content.iter_any()
                )

    async def _check_layer(source: Any) -> None:
        if layer == "aevents":
            await _check_cancelled(br.aevents(source, "converse"), EVENTS)
        elif layer == "aiter_frames":
            frames = es.aiter_frames(source)
            assert [f.message for f in await _after_wait_for(frames, 0.1)] == MESSAGES[:2]
            with pytest.raises(es.DecoderStateError, match="cancelled"):
                await anext(frames)
        else:
            await _check_cancelled(es.aiter_messages(source), MESSAGES)

    with SlowServer({"/s": PAUSED}) as server:
        run(lambda: main(server.url("/s")))


def test_the_same_source_read_without_a_deadline_gives_every_frame() -> None:
    # The control: the pause alone loses nothing.
    async def main(url: str) -> list[es.Message]:
        async with httpx.AsyncClient() as http, http.stream("GET", url) as response:
            return [m async for m in es.aiter_messages(response.aiter_bytes())]

    with SlowServer({"/s": PAUSED}) as server:
        assert run(lambda: main(server.url("/s"))) == MESSAGES


# --- (c) aclose() closes the source at once ---------------------------------------------------


class Recorded:
    """Async sources that say when they are closed."""

    def __init__(self) -> None:
        self.closed = False

    async def generator(self) -> AsyncIterator[bytes]:
        try:
            for frame in FRAMES:
                yield frame
        finally:
            self.closed = True

    def iterator(self) -> AsyncIterator[bytes]:
        recorded = self

        class Iterator:
            def __init__(self) -> None:
                self.frames = list(FRAMES)

            def __aiter__(self) -> Iterator:
                return self

            async def __anext__(self) -> bytes:
                if not self.frames:
                    raise StopAsyncIteration
                return self.frames.pop(0)

            async def aclose(self) -> None:
                recorded.closed = True

        return Iterator()


LAYERS: dict[str, Callable[[Any], Any]] = {
    "aiter_messages": es.aiter_messages,
    "aiter_frames": es.aiter_frames,
    "aevents": lambda source: br.aevents(source, "converse"),
}


@pytest.mark.parametrize("kind", ["generator", "iterator"])
@pytest.mark.parametrize("layer", list(LAYERS))
def test_aclose_closes_the_source_at_once(layer: str, kind: str) -> None:
    async def main() -> None:
        recorded = Recorded()
        iterator = LAYERS[layer](getattr(recorded, kind)())
        await anext(iterator)
        await iterator.aclose()
        # Before the fix: still open here (closed later, by the event loop's finalizer).
        assert recorded.closed
        with pytest.raises(StopAsyncIteration):  # closed by its consumer: it ends
            await anext(iterator)

    run(main)


def test_the_sync_twin_closes_at_once_too() -> None:
    closed = []

    def source() -> Iterator[bytes]:
        try:
            yield from FRAMES
        finally:
            closed.append(True)

    for layer in (es.iter_messages, es.iter_frames, lambda s: br.events(s, "converse")):
        closed.clear()
        iterator = layer(source())
        next(iterator)
        iterator.close()  # type: ignore[attr-defined]
        assert closed == [True]


@pytest.mark.parametrize("layer", list(LAYERS))
def test_aclose_also_closes_a_source_when_nothing_was_read(layer: str) -> None:
    async def main() -> None:
        recorded = Recorded()
        iterator = recorded.iterator()
        await LAYERS[layer](iterator).aclose()
        assert recorded.closed

    run(main)


@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("client", ["httpx", "aiohttp"])
def test_aclose_releases_an_http_response_at_once(client: str, layer: str) -> None:
    # The server holds the stream open after one frame and reports the client going away.
    async def main(server: SlowServer) -> None:
        url = server.url("/held")
        if client == "httpx":
            async with httpx.AsyncClient() as http, http.stream("GET", url) as response:
                iterator = LAYERS[layer](response)
                await anext(iterator)
                await iterator.aclose()
                assert response.is_closed
                assert await asyncio.to_thread(server.disconnected("/held").wait, 1.0)
        else:
            async with aiohttp.ClientSession() as session, session.get(url) as response:
                iterator = LAYERS[layer](response)
                await anext(iterator)
                await iterator.aclose()
                assert response.closed
                assert await asyncio.to_thread(server.disconnected("/held").wait, 1.0)

    with SlowServer({"/held": [FRAMES[0], HOLD]}) as server:
        run(lambda: main(server))


def test_close_releases_a_sync_httpx_response_at_once() -> None:
    with (
        SlowServer({"/held": [FRAMES[0], HOLD]}) as server,
        httpx.Client() as http,
        http.stream("GET", server.url("/held")) as response,
    ):
        iterator = es.iter_messages(response)
        assert next(iterator) == MESSAGES[0]
        iterator.close()  # type: ignore[attr-defined]
        assert response.is_closed
        assert server.disconnected("/held").wait(1.0)


# --- (d) HTTP responses passed themselves ----------------------------------------------------


def test_iter_messages_reads_an_httpx_response() -> None:
    # Before the fix: TypeError from httpx's read(), which takes no size.
    plan = [FRAMES[0], FRAMES[1], FRAMES[2] + FRAMES[3]]
    with SlowServer({"/s": plan}) as server, httpx.Client() as http:
        with http.stream("GET", server.url("/s")) as response:
            assert list(es.iter_messages(response)) == MESSAGES
            assert response.is_closed
        with http.stream("GET", server.url("/s")) as response:
            assert list(br.events(response, "converse")) == EVENTS
        response = http.get(server.url("/s"))  # read already: its content
        assert list(es.iter_frames(response, read_size=7))[3].message == MESSAGES[3]


@pytest.mark.parametrize("client", ["httpx", "aiohttp"])
def test_aiter_messages_reads_an_http_response(client: str) -> None:
    # Before the fix: TypeError from read() (httpx's takes no size, aiohttp's is async and
    # takes none either).
    async def main(url: str) -> tuple[list[es.Message], list[Any], bool]:
        if client == "httpx":
            async with httpx.AsyncClient() as http:
                async with http.stream("GET", url) as response:
                    messages = [m async for m in es.aiter_messages(response)]
                    closed = response.is_closed
                async with http.stream("GET", url) as response:
                    events = [e async for e in br.aevents(response, "converse")]
        else:
            async with aiohttp.ClientSession() as session:
                async with session.get(url) as response:
                    messages = [m async for m in es.aiter_messages(response, read_size=5)]
                    closed = response.closed
                async with session.get(url) as response:
                    events = [e async for e in br.aevents(response, "converse")]
        return messages, events, closed

    with SlowServer({"/s": [FRAMES[0], FRAMES[1] + FRAMES[2], FRAMES[3]]}) as server:
        assert run(lambda: main(server.url("/s"))) == (MESSAGES, EVENTS, True)


def test_a_response_for_the_other_side_is_refused_naming_what_to_call() -> None:
    async def main(url: str) -> None:
        # The server holds each response open: one refused is still the caller's to read.
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            with pytest.raises(es.InputTypeError, match=r"aiter_messages\(\)"):
                next(es.iter_messages(response))  # type: ignore[arg-type]
            assert not response.closed
        async with httpx.AsyncClient() as http, http.stream("GET", url) as response:
            with pytest.raises(es.InputTypeError, match=r"aiter_messages\(\)"):
                next(es.iter_messages(response))
            assert not response.is_closed
        with (
            httpx.Client() as http,
            http.stream("GET", url) as response,
            pytest.raises(es.InputTypeError, match=r"iter_messages\(\)"),
        ):
            await anext(es.aiter_messages(response))  # type: ignore[arg-type]

    with SlowServer({"/s": [FRAMES[0], HOLD]}) as server:
        run(lambda: main(server.url("/s")))


# --- an iteration that failed stays failed ----------------------------------------------------


def test_a_failed_sync_iteration_raises_on_every_later_call() -> None:
    # A generator that raised ends cleanly on the next call: that would read as a complete
    # stream to a caller who caught the first error and went on.
    for layer in (es.iter_messages, es.iter_frames, lambda s: br.events(s, "converse")):
        iterator = layer([STREAM[:-3]])
        assert len([next(iterator) for _ in range(3)]) == 3
        with pytest.raises(es.TruncatedError):
            next(iterator)
        for _ in range(2):
            with pytest.raises(es.DecoderStateError, match="failed earlier") as caught:
                next(iterator)
            assert isinstance(caught.value.__cause__, es.TruncatedError)
            assert caught.value.frame_index == 3


def test_a_failed_async_iteration_raises_on_every_later_call() -> None:
    async def one() -> AsyncIterator[bytes]:
        yield STREAM[:-3]

    async def main() -> None:
        for layer in LAYERS.values():
            iterator = layer(one())
            assert len([await anext(iterator) for _ in range(3)]) == 3
            with pytest.raises(es.TruncatedError):
                await anext(iterator)
            for _ in range(2):
                with pytest.raises(es.DecoderStateError, match="failed earlier"):
                    await anext(iterator)

    run(main)


def test_a_clean_end_stays_a_clean_end() -> None:
    iterator = es.iter_messages([STREAM])
    assert list(iterator) == MESSAGES
    assert list(iterator) == []

    async def main() -> None:
        async def one() -> AsyncIterator[bytes]:
            yield STREAM

        iterator = es.aiter_messages(one())
        assert [m async for m in iterator] == MESSAGES
        with pytest.raises(StopAsyncIteration):
            await anext(iterator)

    run(main)
