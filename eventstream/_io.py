"""Adapters that run the sans-IO :class:`Decoder` over sync and async byte sources.

The decoder never does I/O; these loops are the only place that reads. Both end with
``Decoder.close()``, so a stream that stops inside a frame raises :class:`TruncatedError`
instead of dropping the partial frame (as botocore does).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Iterable, Iterator
from typing import Any, Protocol, TypeAlias, cast

from ._codec import DEFAULT_MAX_HEADERS_LENGTH, DEFAULT_MAX_PAYLOAD_LENGTH
from ._decoder import Decoder, Frame
from ._errors import ConfigurationError, InputTypeError
from ._message import Message

__all__ = ["iter_messages", "aiter_messages", "iter_frames", "aiter_frames", "DEFAULT_READ_SIZE"]

#: Bytes asked of a ``read()`` source at a time.
DEFAULT_READ_SIZE = 64 * 1024

BytesLike: TypeAlias = bytes | bytearray | memoryview


class SyncReader(Protocol):
    """Anything with a blocking ``read(size)``: files, sockets' makefile, urllib3, botocore."""

    def read(self, size: int, /) -> BytesLike: ...


class AsyncReader(Protocol):
    """Anything with ``read(size)`` returning an awaitable: aiohttp's StreamReader, ..."""

    def read(self, size: int, /) -> Awaitable[BytesLike]: ...


def _check_read_size(read_size: object) -> None:
    # read(0) returns b"", which reads as the end of input: a stream would look empty.
    if not isinstance(read_size, int) or isinstance(read_size, bool) or read_size < 1:
        raise ConfigurationError(f"read_size must be a positive int, not {read_size!r}")


def _sync_chunks(source: SyncReader | Iterable[BytesLike], read_size: int) -> Iterator[BytesLike]:
    _check_read_size(read_size)
    read = getattr(source, "read", None)
    if callable(read):
        while True:
            chunk = read(read_size)
            if not chunk:
                return
            yield chunk
            # Drop this read before the next one: two reads alive at once doubles the peak.
            del chunk
    if isinstance(source, str | bytes | bytearray | memoryview):
        raise InputTypeError(
            "iter_messages() takes a file object or an iterable of byte chunks; "
            "for one buffer use Decoder().feed() or decode()"
        )
    try:
        chunks = iter(source)  # type: ignore[arg-type]
    except TypeError:
        raise InputTypeError(
            f"iter_messages() cannot read from a {type(source).__name__}: it needs read(size) "
            "or to be an iterable of bytes"
        ) from None
    yield from chunks


def _decoded(
    source: SyncReader | Iterable[BytesLike],
    located: bool,
    read_size: int,
    max_payload_length: int | None,
    max_headers_length: int | None,
) -> Iterator[Any]:
    decoder = Decoder(max_payload_length=max_payload_length, max_headers_length=max_headers_length)
    take = decoder.frames if located else decoder.messages
    for chunk in _sync_chunks(source, read_size):
        # One message at a time, as each frame is decoded: a large read never turns into a
        # list of hundreds of messages. Those before a fault are yielded before it.
        yield from take(chunk)
        del chunk  # not alive while the next read happens
    decoder.close()


def iter_messages(
    source: SyncReader | Iterable[BytesLike],
    *,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> Iterator[Message]:
    """Yield each message from a binary file object or an iterable of byte chunks.

    Works with ``open(path, "rb")``, requests' ``iter_content()``, httpx's ``iter_bytes()``,
    urllib3's ``stream()`` and botocore's ``StreamingBody``. Messages decoded before a fault
    are yielded before the error is raised.
    """
    messages = _decoded(source, False, read_size, max_payload_length, max_headers_length)
    return cast(Iterator[Message], messages)


def iter_frames(
    source: SyncReader | Iterable[BytesLike],
    *,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> Iterator[Frame]:
    """Like :func:`iter_messages`, yielding each message as a :class:`Frame` (with the
    offset, length and index of its frame): layers above put them in their errors."""
    frames = _decoded(source, True, read_size, max_payload_length, max_headers_length)
    return cast(Iterator[Frame], frames)


async def _async_chunks(
    source: AsyncReader | AsyncIterable[BytesLike], read_size: int
) -> AsyncIterator[BytesLike]:
    _check_read_size(read_size)
    read = getattr(source, "read", None)
    if callable(read):
        while True:
            chunk = read(read_size)
            if inspect.isawaitable(chunk):
                chunk = await chunk
            if not chunk:
                return
            yield chunk
    if not hasattr(source, "__aiter__"):
        raise InputTypeError(
            f"aiter_messages() cannot read from a {type(source).__name__}: it needs an async "
            "read(size) or to be an async iterable of bytes"
        )
    async for chunk in source:
        yield chunk


async def _adecoded(
    source: AsyncReader | AsyncIterable[BytesLike],
    located: bool,
    read_size: int,
    max_payload_length: int | None,
    max_headers_length: int | None,
) -> AsyncIterator[Any]:
    decoder = Decoder(max_payload_length=max_payload_length, max_headers_length=max_headers_length)
    take = decoder.frames if located else decoder.messages
    async for chunk in _async_chunks(source, read_size):
        for item in take(chunk):
            yield item
        del chunk  # not alive while the next read happens
    decoder.close()


def aiter_messages(
    source: AsyncReader | AsyncIterable[BytesLike],
    *,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> AsyncIterator[Message]:
    """Yield each message from an async byte source.

    Works with httpx's ``aiter_bytes()``, aiohttp's ``content.iter_any()`` /
    ``iter_chunked(n)``, and objects with an async ``read(size)`` such as aiohttp's
    ``response.content``.
    """
    messages = _adecoded(source, False, read_size, max_payload_length, max_headers_length)
    return cast(AsyncIterator[Message], messages)


def aiter_frames(
    source: AsyncReader | AsyncIterable[BytesLike],
    *,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> AsyncIterator[Frame]:
    """The async twin of :func:`iter_frames`."""
    frames = _adecoded(source, True, read_size, max_payload_length, max_headers_length)
    return cast(AsyncIterator[Frame], frames)
