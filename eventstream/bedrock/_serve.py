"""Serving Bedrock streams without I/O: typed events in, response body chunks out.

Whatever stops the events early, an upstream's ``EventStreamError`` (truncation, a bad
checksum, a stall), its exception frame, or any other exception, the body ends with one
exception frame that the client's SDK raises as a modelled error. It never stops short
silently, and it never drops the connection: boto3 would report a dropped stream as
``urllib3 ProtocolError: Response ended prematurely``, which says nothing and is not retried.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from typing import Any, TypeAlias

from .._errors import EventStreamError
from ._events import BedrockException, ErrorFrame, InternalServerException, UnknownException
from ._http import Reply, error_response, response_headers
from ._streams import STREAMS, StreamName, TypedEvent, encode_event

__all__ = [
    "Served",
    "FaultHandler",
    "fault_exception",
    "encode_stream",
    "aencode_stream",
    "prime",
    "aprime",
    "respond",
    "arespond",
    "Body",
    "AsyncBody",
]

_log = logging.getLogger("eventstream.bedrock")

#: What a served stream is made of: events, or lists of events each sent as one chunk.
Served: TypeAlias = TypedEvent | list[TypedEvent]

#: Maps what ended a stream early (an exception raised, or an exception event yielded) to
#: the exception frame the client gets.
FaultHandler: TypeAlias = Callable[[Exception], BedrockException]


def fault_exception(error: Exception) -> BedrockException:
    """The default :data:`FaultHandler`.

    A Bedrock exception is its own answer (throttling stays throttling, a
    ``modelStreamErrorException`` keeps ``originalStatusCode``/``originalMessage``); an
    exception outside every union (:class:`UnknownException`), any ``EventStreamError`` and
    anything else become a retryable ``internalServerException``. Only an ``EventStreamError``
    (ours, with its offsets) or a timeout is described: other exceptions' text may hold
    internal addresses.
    """
    if isinstance(error, UnknownException):
        return InternalServerException(
            f"the upstream sent an exception this stream cannot carry ({error.name}): "
            f"{error.message}"
        )
    if isinstance(error, BedrockException):
        return error
    if isinstance(error, EventStreamError):
        return InternalServerException(
            f"the upstream stream failed: {type(error).__name__}: {error}"
        )
    if isinstance(error, (TimeoutError, asyncio.TimeoutError)):  # distinct before 3.11
        return InternalServerException("the upstream stream stalled (TimeoutError)")
    return InternalServerException(f"the upstream failed ({type(error).__name__})")


def _final_frame(
    error: Exception, stream: StreamName | None, on_fault: FaultHandler, padding: bool | str
) -> bytes:
    """The bytes of the exception frame that ends a stream cut short by ``error``."""
    exception = _answer(error, on_fault)
    union = STREAMS[stream] if stream is not None else None
    if (
        union is not None
        and not isinstance(exception, ErrorFrame)
        and union.exception_class(exception.exception_type) is not type(exception)
    ):
        # Outside the union the client finds no shape and reports an empty code and message
        # (ConverseStream has no modelTimeoutException): send one every union has.
        exception = InternalServerException(exception.message)
    elif exception.raw_payload is not None:
        # A payload that is not a JSON object would go out as it came, and no SDK reads it.
        exception = copy.copy(exception)
        exception.raw_payload = None
    try:
        return encode_event(exception, padding=padding).encode()
    except EventStreamError:  # an extra field JSON cannot carry: keep the message only
        return encode_event(InternalServerException(exception.message)).encode()


def _close(iterator: object) -> None:
    close = getattr(iterator, "close", None)
    if callable(close):
        close()


async def _aclose(iterator: object) -> None:
    aclose = getattr(iterator, "aclose", None)
    if callable(aclose):
        await aclose()


class Body(Iterator[bytes]):
    """Response body chunks; ``close()`` closes the events too, even before the first chunk
    (a generator closed before it starts would never reach its ``finally``)."""

    __slots__ = ("_chunks", "_events")

    def __init__(self, chunks: Generator[bytes, None, None], events: object) -> None:
        self._chunks = chunks
        self._events = events

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        """Stop: close the chunk generator and the events."""
        self._chunks.close()
        _close(self._events)


class AsyncBody(AsyncIterator[bytes]):
    """The async twin of :class:`Body`: ``aclose()`` closes the events."""

    __slots__ = ("_chunks", "_events")

    def __init__(self, chunks: AsyncGenerator[bytes, None], events: object) -> None:
        self._chunks = chunks
        self._events = events

    async def __anext__(self) -> bytes:
        return await anext(self._chunks)

    async def aclose(self) -> None:
        """Stop: close the chunk generator and the events."""
        await self._chunks.aclose()
        await _aclose(self._events)


def encode_stream(
    events: Iterable[Served],
    *,
    stream: StreamName | None = None,
    on_fault: FaultHandler = fault_exception,
    padding: bool | str = True,
) -> Body:
    """The response body for ``events``: one chunk per event, as ``encode_event`` gives; a
    list of events (as :func:`event_batches` yields) goes out as one chunk.

    The first exception event (yielded or raised) or any other exception from ``events``, or
    from encoding an event, ends the body with the exception frame ``on_fault`` maps it to,
    after every event before it; ``events`` is closed then, and when the body is closed early.
    With ``stream`` given, an exception outside its union goes out as
    ``internalServerException`` (same message), since the client could not read it.
    """
    iterator = iter(events)
    return Body(_chunks(iterator, stream, on_fault, padding), iterator)


def _chunks(
    iterator: Iterator[Served],
    stream: StreamName | None,
    on_fault: FaultHandler,
    padding: bool | str,
) -> Generator[bytes, None, None]:
    try:
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                return
            except Exception as error:
                yield _final_frame(error, stream, on_fault, padding)
                return
            chunk, stop = _encoded(item, padding)
            if stop is not None:
                yield chunk + _final_frame(stop, stream, on_fault, padding)
                return
            if chunk:
                yield chunk
    finally:
        _close(iterator)


def _encoded(item: Served, padding: bool | str) -> tuple[bytes, Exception | None]:
    """The bytes of an event or a list of events, up to what stops the stream (returned)."""
    if not isinstance(item, list):
        if isinstance(item, BedrockException):
            return b"", item
        try:
            return encode_event(item, padding=padding).encode(), None
        except Exception as error:
            return b"", error
    parts: list[bytes] = []
    for event in item:
        if isinstance(event, BedrockException):
            return b"".join(parts), event
        try:
            parts.append(encode_event(event, padding=padding).encode())
        except Exception as error:
            return b"".join(parts), error
    return b"".join(parts), None


def aencode_stream(
    events: AsyncIterable[Served],
    *,
    stream: StreamName | None = None,
    on_fault: FaultHandler = fault_exception,
    padding: bool | str = True,
) -> AsyncBody:
    """The async twin of :func:`encode_stream` (``events`` is ``aclose``-d at the end)."""
    iterator = aiter(events)
    return AsyncBody(_achunks(iterator, stream, on_fault, padding), iterator)


async def _achunks(
    iterator: AsyncIterator[Served],
    stream: StreamName | None,
    on_fault: FaultHandler,
    padding: bool | str,
) -> AsyncGenerator[bytes, None]:
    try:
        while True:
            try:
                item = await anext(iterator)
            except StopAsyncIteration:
                return
            except Exception as error:
                yield _final_frame(error, stream, on_fault, padding)
                return
            chunk, stop = _encoded(item, padding)
            if stop is not None:
                yield chunk + _final_frame(stop, stream, on_fault, padding)
                return
            if chunk:
                yield chunk
    finally:
        await _aclose(iterator)


class _Primed(Iterator[Served]):
    """The first event, then the rest; ``close()`` reaches the source even if never started."""

    __slots__ = ("_first", "_rest")

    def __init__(self, first: list[Served], rest: Iterator[Served]) -> None:
        self._first = first
        self._rest = rest

    def __next__(self) -> Served:
        if self._first:
            return self._first.pop()
        return next(self._rest)

    def close(self) -> None:
        self._first.clear()
        _close(self._rest)


class _APrimed(AsyncIterator[Served]):
    """The async twin of :class:`_Primed`."""

    __slots__ = ("_first", "_rest")

    def __init__(self, first: list[Served], rest: AsyncIterator[Served]) -> None:
        self._first = first
        self._rest = rest

    async def __anext__(self) -> Served:
        if self._first:
            return self._first.pop()
        return await anext(self._rest)

    async def aclose(self) -> None:
        self._first.clear()
        await _aclose(self._rest)


def _opening_exception(first: Served) -> BedrockException | None:
    """The exception ``first`` opens the stream with, if it does (alone or in a list)."""
    opening = (first[0] if first else None) if isinstance(first, list) else first
    return opening if isinstance(opening, BedrockException) else None


def prime(events: Iterable[Served]) -> Iterator[Served]:
    """Wait for the first event, so that a failure before any event can still be answered as
    an HTTP error (which boto3 raises as its modelled class, and retries when it may).

    Returns all the events, the first included. What ``events`` raises before its first event
    is raised here, and so is a first event that is an exception (alone or first in a list).
    """
    iterator = iter(events)
    try:
        first = next(iterator)
    except StopIteration:
        return iter(())
    opening = _opening_exception(first)
    if opening is not None:
        _close(iterator)
        raise opening
    return _Primed([first], iterator)


async def aprime(events: AsyncIterable[Served]) -> AsyncIterator[Served]:
    """The async twin of :func:`prime`."""
    iterator = aiter(events)
    try:
        first = await anext(iterator)
    except StopAsyncIteration:
        return _APrimed([], iterator)
    opening = _opening_exception(first)
    if opening is not None:
        await _aclose(iterator)
        raise opening
    return _APrimed([first], iterator)


def _one(chunk: bytes) -> Body:
    def chunks() -> Generator[bytes, None, None]:
        yield chunk

    return Body(chunks(), None)


def _aone(chunk: bytes) -> AsyncBody:
    async def chunks() -> AsyncGenerator[bytes, None]:
        yield chunk

    return AsyncBody(chunks(), None)


def _success_headers(
    stream: StreamName,
    request_id: str | None,
    model_content_type: str,
    headers: Mapping[str, str] | None,
) -> dict[str, str]:
    chosen = response_headers(stream, request_id=request_id, model_content_type=model_content_type)
    return {**chosen, **headers} if headers else chosen


def respond(
    events: Iterable[Served],
    stream: StreamName,
    *,
    request_id: str | None = None,
    model_content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    on_fault: FaultHandler = fault_exception,
    padding: bool | str = True,
) -> Reply[Body]:
    """The whole response for ``events``: wait for the first event (:func:`prime`); a fault
    before it is answered with :func:`error_response` of ``on_fault(fault)``, else a 200 with
    :func:`response_headers` (plus ``headers``) and :func:`encode_stream`'s body."""
    try:
        primed = prime(events)
    except Exception as error:
        reply = error_response(_answer(error, on_fault), request_id=request_id)
        return Reply(reply.status, reply.headers, _one(reply.body))
    body = encode_stream(primed, stream=stream, on_fault=on_fault, padding=padding)
    return Reply(200, _success_headers(stream, request_id, model_content_type, headers), body)


async def arespond(
    events: AsyncIterable[Served],
    stream: StreamName,
    *,
    request_id: str | None = None,
    model_content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    on_fault: FaultHandler = fault_exception,
    padding: bool | str = True,
) -> Reply[AsyncBody]:
    """The async twin of :func:`respond`."""
    try:
        primed = await aprime(events)
    except Exception as error:
        reply = error_response(_answer(error, on_fault), request_id=request_id)
        return Reply(reply.status, reply.headers, _aone(reply.body))
    body = aencode_stream(primed, stream=stream, on_fault=on_fault, padding=padding)
    return Reply(200, _success_headers(stream, request_id, model_content_type, headers), body)


def _answer(error: Exception, on_fault: FaultHandler) -> BedrockException:
    """``on_fault(error)``, or the default if the handler fails."""
    try:
        exception: Any = on_fault(error)
        if isinstance(exception, BedrockException):
            return exception
        raise TypeError(f"on_fault returned {type(exception).__name__}, not an exception")
    except Exception:
        _log.exception("on_fault failed; answering with the default exception")
        return fault_exception(error)
