"""What both translators share: strict JSON in and out, and the Converse usage they read."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any, Protocol

from .._errors import EncodeError, EventStreamError
from ..bedrock import CacheDetail, Usage
from ..bedrock._json import escape_surrogates, loads, utf8
from ..bedrock.failclosed import Ending, FailClosed
from ..sse import ServerSentEvent, SSEDecoder, encode_sse
from ._tables import TranslateError, expect

__all__: list[str] = []  # helpers of this package only


#: Compact, UTF-8 as is, no NaN: what a client's JSON parser reads; ``dumps("x")`` is the
#: string's JSON form, which the per-delta templates splice in.
dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def json_bytes(value: Any) -> bytes:
    """``dumps(value)`` as UTF-8 (a lone surrogate written as its JSON escape)."""
    return utf8(dumps(value))


def sse(data: str, event: str | None = None) -> bytes:
    """``encode_sse`` of JSON text. A lone surrogate -- JSON carries it as an escape, UTF-8
    cannot -- is written as its escape on the rare second try: the hot path pays nothing."""
    try:
        return encode_sse(data, event=event)
    except EncodeError:
        return encode_sse(escape_surrogates(data), event=event)


def loads_event(data: str, index: int, what: str) -> dict[str, Any]:
    """The JSON object an SSE event's data holds; :class:`TranslateError` otherwise."""
    try:
        # The typed layer's strict parser: RFC 8259 (no NaN, no number that overflows to
        # infinity), and the C scanner called directly (~0.5 us less than JSONDecoder.decode).
        value = loads(data)
    except ValueError as exc:
        raise TranslateError(
            f"{what} event {index}: its data is not JSON ({exc})", frame_index=index
        ) from None
    if not isinstance(value, dict):
        raise TranslateError(
            f"{what} event {index}: its data is not a JSON object", frame_index=index
        )
    return value


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def usage_from_anthropic(usage: dict[str, Any]) -> Usage:
    """Converse usage for Anthropic's counts: the same input (both leave the cache out),
    cache read and write, the write split by TTL, and the total of the four."""
    inputs = _count(usage.get("input_tokens")) or 0
    outputs = _count(usage.get("output_tokens")) or 0
    read = _count(usage.get("cache_read_input_tokens"))
    write = _count(usage.get("cache_creation_input_tokens"))
    details: list[CacheDetail] = []
    creation = usage.get("cache_creation")
    if isinstance(creation, dict):
        for ttl in ("5m", "1h"):
            tokens = _count(creation.get(f"ephemeral_{ttl}_input_tokens"))
            if tokens:
                details.append(CacheDetail(ttl=ttl, input_tokens=tokens))
    return Usage(
        input_tokens=inputs,
        output_tokens=outputs,
        total_tokens=inputs + outputs + (read or 0) + (write or 0),
        cache_read_input_tokens=read,
        cache_write_input_tokens=write,
        cache_details=tuple(details) or None,
    )


def cache_creation(usage: Usage) -> dict[str, int] | None:
    """Anthropic's ``cache_creation`` (tokens written per TTL) for Converse's
    ``cacheDetails``, or ``None`` when there are none."""
    if not usage.cache_details:
        return None
    split = {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}
    for detail in usage.cache_details:
        key = f"ephemeral_{detail.ttl}_input_tokens"
        if key in split:
            split[key] += detail.input_tokens
    return split


# --- the drivers of the four streaming functions (to_anthropic, from_openai, ...) --------------


class _Writer(Protocol):
    def feed(self, event: Any) -> list[bytes]: ...
    def error(self, exception: BaseException) -> list[bytes]: ...
    def close(self) -> list[bytes]: ...


class _Reader(Protocol):
    def feed_bytes(self, data: bytes) -> list[Any]: ...
    def close(self) -> list[Any]: ...


def write_all(new: Callable[[], _Writer], events: Iterable[Any], what: str) -> Iterator[bytes]:
    """The SSE a writer gives for ``events``; an error the iteration raises goes out as the
    format's error event, and ends it. Fails closed (``DecoderStateError`` after raising)."""
    ending = Ending(f"translate.{what}()")
    return FailClosed(_write_all(new, events, what, ending), ending)


def _write_all(
    new: Callable[[], _Writer], events: Iterable[Any], what: str, ending: Ending
) -> Generator[bytes, None, None]:
    try:
        writer = new()
        expect(events, Iterable, f"{what} takes an iterable of events")
        try:
            for event in events:
                yield from writer.feed(event)
        except EventStreamError as exc:
            yield from writer.error(exc)
        yield from writer.close()
    except GeneratorExit:
        raise
    except BaseException as exc:
        ending.fail(exc)
        raise


def read_all(new: Callable[[], _Reader], body: Iterable[bytes], what: str) -> Iterator[Any]:
    """The typed events a reader gives for an SSE ``body`` in slices. Fails closed."""
    ending = Ending(f"translate.{what}()")
    return FailClosed(_read_all(new, body, what, ending), ending)


def _read_all(
    new: Callable[[], _Reader], body: Iterable[bytes], what: str, ending: Ending
) -> Generator[Any, None, None]:
    try:
        reader = new()
        expect(body, Iterable, f"{what} takes an iterable of bytes")
        for piece in body:
            yield from reader.feed_bytes(piece)
        yield from reader.close()
    except GeneratorExit:
        raise
    except BaseException as exc:
        ending.fail(exc)
        raise


class SSEReading:
    """What both readers share: SSE bytes in slices, each event they complete handed to the
    reader's ``feed_sse``."""

    _decoder: SSEDecoder | None

    def feed_sse(self, sse: ServerSentEvent) -> list[Any]:  # pragma: no cover - each reader's
        raise NotImplementedError

    def feed_bytes(self, data: bytes) -> list[Any]:
        """Take the next slice of an SSE body; return the Bedrock events it completes."""
        expect(data, (bytes, bytearray, memoryview), "feed_bytes takes bytes")
        if self._decoder is None:
            self._decoder = SSEDecoder()
        return [out for sse in self._decoder.feed(data) for out in self.feed_sse(sse)]
