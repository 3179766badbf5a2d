"""Typed events a read at a time: one list of events per chunk of input.

A relay that passes each list to :func:`encode_stream` sends one chunk per upstream read
instead of one per event: the framework's cost per send (an ASGI message, an HTTP chunk)
is paid per read, and under load, when reads carry many events, per many events.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

from .._codec import DEFAULT_MAX_HEADERS_LENGTH, DEFAULT_MAX_PAYLOAD_LENGTH
from .._decoder import Decoder
from .._errors import EventStreamError, InputTypeError
from .._io import BytesLike
from ._events import BedrockException
from ._streams import EventReader, StreamChoice, TypedEvent

__all__ = ["event_batches", "aevent_batches"]


def _batch(
    decoder: Decoder, reader: EventReader, chunk: BytesLike, raise_exceptions: bool
) -> tuple[list[TypedEvent], BaseException | None]:
    """The events ``chunk`` completes, and what stopped them (raised after they are out)."""
    batch: list[TypedEvent] = []
    try:
        for frame in decoder.frames(chunk):
            event = reader.read_frame(frame)
            if raise_exceptions and isinstance(event, BedrockException):
                return batch, event
            batch.append(event)
    except EventStreamError as error:  # raised after the events before it are out
        return batch, error
    return batch, None


def _decoder(max_payload_length: int | None, max_headers_length: int | None) -> Decoder:
    return Decoder(max_payload_length=max_payload_length, max_headers_length=max_headers_length)


def event_batches(
    chunks: Iterable[BytesLike],
    stream: StreamChoice,
    *,
    raise_exceptions: bool = True,
    strict: bool = False,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> Iterator[list[TypedEvent]]:
    """Like :func:`events`, but yield the events of each chunk of ``chunks`` as one list
    (chunks that complete no frame yield nothing).

    ``chunks`` is an iterable of byte chunks (httpx's ``iter_bytes()``, ...). A fault is
    raised after the list of the events before it; so is an exception frame, unless
    ``raise_exceptions=False`` puts it in the list.
    """
    if isinstance(chunks, str | bytes | bytearray | memoryview):
        raise InputTypeError("event_batches() takes an iterable of byte chunks, not one buffer")
    reader = EventReader(stream, strict=strict)
    decoder = _decoder(max_payload_length, max_headers_length)
    for chunk in chunks:
        batch, stop = _batch(decoder, reader, chunk, raise_exceptions)
        if batch:
            yield batch
        if stop is not None:
            raise stop
    decoder.close()


async def aevent_batches(
    chunks: AsyncIterable[BytesLike],
    stream: StreamChoice,
    *,
    raise_exceptions: bool = True,
    strict: bool = False,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> AsyncIterator[list[TypedEvent]]:
    """The async twin of :func:`event_batches`, over an async iterable of byte chunks
    (httpx's ``aiter_bytes()``, aiohttp's ``content.iter_any()``)."""
    if not hasattr(chunks, "__aiter__"):
        raise InputTypeError(
            f"aevent_batches() takes an async iterable of byte chunks, not a "
            f"{type(chunks).__name__}"
        )
    reader = EventReader(stream, strict=strict)
    decoder = _decoder(max_payload_length, max_headers_length)
    async for chunk in chunks:
        batch, stop = _batch(decoder, reader, chunk, raise_exceptions)
        if batch:
            yield batch
        if stop is not None:
            raise stop
    decoder.close()
