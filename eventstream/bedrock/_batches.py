"""Typed events a read at a time: one list of events per chunk of input.

A relay that passes each list to :func:`encode_stream` sends one chunk per upstream read
instead of one per event: the framework's cost per send (an ASGI message, an HTTP chunk)
is paid per read, and under load, when reads carry many events, per many events. Both run
in the adapters' own loop (``eventstream._io``), so they fail closed, close their source,
wrap the source's errors and bound stalls exactly as :func:`events` and :func:`aevents` do.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import cast

from .._codec import DEFAULT_MAX_HEADERS_LENGTH, DEFAULT_MAX_PAYLOAD_LENGTH
from .._errors import InputTypeError
from .._io import DEFAULT_READ_SIZE, AsyncReader, BytesLike, SyncReader, aiter_mapped, iter_mapped
from ._streams import EventReader, StreamChoice, TypedEvent, frame_reader, typed_again

__all__ = ["event_batches", "aevent_batches"]


def event_batches(
    chunks: SyncReader | Iterable[BytesLike],
    stream: StreamChoice,
    *,
    raise_exceptions: bool = True,
    strict: bool = False,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> Iterator[list[TypedEvent]]:
    """Like :func:`events`, but yield the events of each chunk read as one list (chunks that
    complete no frame yield nothing).

    ``chunks`` is an iterable of byte chunks (httpx's ``iter_bytes()``, ...) or a binary file
    object. A fault is raised after the list of the events before it; so is an exception
    frame, unless ``raise_exceptions=False`` puts it in the list. Every call after a failure
    raises :class:`eventstream.DecoderStateError`; ``close()`` closes the source.
    """
    if isinstance(chunks, str | bytes | bytearray | memoryview):
        raise InputTypeError("event_batches() takes an iterable of byte chunks, not one buffer")
    reader = EventReader(stream, strict=strict)
    read = frame_reader(reader, raise_exceptions)
    batches = iter_mapped(
        chunks, read, "bedrock.event_batches()", batched=True, fast=reader.fast,
        read_size=read_size,
        max_payload_length=max_payload_length, max_headers_length=max_headers_length,
    )  # fmt: skip
    return cast(Iterator[list[TypedEvent]], batches)


def aevent_batches(
    chunks: AsyncReader | AsyncIterable[BytesLike],
    stream: StreamChoice,
    *,
    raise_exceptions: bool = True,
    strict: bool = False,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
    first_byte_timeout: float | None = None,
    idle_timeout: float | None = None,
) -> AsyncIterator[list[TypedEvent]]:
    """The async twin of :func:`event_batches`, over what :func:`aevents` reads (httpx's
    ``aiter_bytes()`` or response, aiohttp's ``content.iter_any()`` or response).

    ``first_byte_timeout`` and ``idle_timeout`` are :func:`aevents`': a stall raises
    :class:`eventstream.StreamStalledError` with the events so far.
    """
    if isinstance(chunks, str | bytes | bytearray | memoryview) or not (
        hasattr(chunks, "__aiter__") or hasattr(chunks, "read") or hasattr(chunks, "content")
    ):
        raise InputTypeError(
            f"aevent_batches() takes an async iterable of byte chunks, not a "
            f"{type(chunks).__name__}"
        )
    reader = EventReader(stream, strict=strict)
    read = frame_reader(reader, raise_exceptions)
    batches = aiter_mapped(
        chunks, read, "bedrock.aevent_batches()", batched=True, fast=reader.fast,
        events_of=typed_again(lambda: EventReader(stream, strict=strict, warn=False)),
        read_size=read_size,
        max_payload_length=max_payload_length, max_headers_length=max_headers_length,
        first_byte_timeout=first_byte_timeout, idle_timeout=idle_timeout,
    )  # fmt: skip
    return cast(AsyncIterator[list[TypedEvent]], batches)
