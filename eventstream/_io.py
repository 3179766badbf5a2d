"""Adapters that run the sans-IO :class:`Decoder` over sync and async byte sources.

The decoder never does I/O; these loops are the only place that reads. Both end with
``Decoder.close()``, so a stream that stops inside a frame raises :class:`TruncatedError`
instead of dropping the partial frame (as botocore does).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Iterable, Iterator
from typing import Protocol, TypeAlias

from ._codec import DEFAULT_MAX_HEADERS_LENGTH, DEFAULT_MAX_PAYLOAD_LENGTH
from ._decoder import Decoder
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
    decoder = Decoder(max_payload_length=max_payload_length, max_headers_length=max_headers_length)
    for chunk in _sync_chunks(source, read_size):
        # One message at a time, as each frame is decoded: a large read never turns into a
        # list of hundreds of messages. Those before a fault are yielded before it.
        yield from decoder._messages(chunk)
        del chunk  # not alive while the next read happens
    decoder.close()


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


async def aiter_messages(
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
    decoder = Decoder(max_payload_length=max_payload_length, max_headers_length=max_headers_length)
    async for chunk in _async_chunks(source, read_size):
        for message in decoder._messages(chunk):
            yield message
        del chunk  # not alive while the next read happens
    decoder.close()


def _frame_length(message: Message) -> int:
    return 16 + len(message.header_block()) + len(message.payload)


def iter_frames(
    source: SyncReader | Iterable[BytesLike],
    *,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> Iterator[tuple[int, int, Message]]:
    """Like :func:`iter_messages`, yielding ``(offset, frame_index, message)``.

    ``offset`` is where the frame starts in the stream: layers above use it in their errors.
    """
    offset = 0
    messages = iter_messages(
        source,
        read_size=read_size,
        max_payload_length=max_payload_length,
        max_headers_length=max_headers_length,
    )
    for index, message in enumerate(messages):
        yield offset, index, message
        offset += _frame_length(message)


async def aiter_frames(
    source: AsyncReader | AsyncIterable[BytesLike],
    *,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> AsyncIterator[tuple[int, int, Message]]:
    """The async twin of :func:`iter_frames`."""
    offset = 0
    index = 0
    messages = aiter_messages(
        source,
        read_size=read_size,
        max_payload_length=max_payload_length,
        max_headers_length=max_headers_length,
    )
    async for message in messages:
        yield offset, index, message
        offset += _frame_length(message)
        index += 1
