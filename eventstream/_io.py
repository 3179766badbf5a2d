"""Adapters that run the sans-IO :class:`Decoder` over sync and async byte sources.

The decoder never does I/O; these loops are the only place that reads. Both end with
``Decoder.close()``, so a stream that stops inside a frame raises :class:`TruncatedError`
instead of dropping the partial frame (as botocore does).

Every iteration fails closed: once it has raised (a decoding error, a stall, the source's
own error, a cancelled read), each later call raises :class:`DecoderStateError`. A Python
generator that raised would instead end cleanly on the next call, and a caller who caught
the first error and went on would read a cut stream as a whole one.
"""

from __future__ import annotations

import inspect
import itertools
import math
import operator
import sys
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar, cast

from ._codec import DEFAULT_MAX_HEADERS_LENGTH, DEFAULT_MAX_PAYLOAD_LENGTH
from ._decoder import Decoder, Frame
from ._errors import (
    ConfigurationError,
    DecoderStateError,
    EventStreamError,
    InputTypeError,
    StreamStalledError,
)
from ._message import Message

if TYPE_CHECKING:
    import asyncio

__all__ = ["iter_messages", "aiter_messages", "iter_frames", "aiter_frames", "DEFAULT_READ_SIZE"]

#: Bytes of a stream within which an async iteration with a timeout keeps its reads, so that
#: a stall can carry their messages (``StreamStalledError.messages``); past it, memory stays
#: flat.
KEPT_LIMIT = 16 * 2**20

#: Bytes asked of a ``read()`` source at a time.
DEFAULT_READ_SIZE = 64 * 1024

BytesLike: TypeAlias = bytes | bytearray | memoryview
T = TypeVar("T")


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


def _check_timeout(name: str, seconds: object) -> None:
    if seconds is None:
        return
    if (
        not isinstance(seconds, int | float)
        or isinstance(seconds, bool)
        or not math.isfinite(seconds)
        or seconds <= 0
    ):
        raise ConfigurationError(
            f"{name} must be a positive number of seconds, or None for no limit, not {seconds!r}"
        )


# --- HTTP responses passed themselves ---------------------------------------------------------

#: Response classes read through their body iterators, by (top-level module, class name):
#: their own read() takes no size (httpx) or is async and takes none (aiohttp), so calling
#: it as a file's leaked a raw TypeError. Matched by name: the library imports neither.
_RESPONSES = {("httpx", "Response"): "httpx", ("aiohttp", "ClientResponse"): "aiohttp"}


def _response_kind(source: object) -> str | None:
    for klass in type(source).__mro__:
        kind = _RESPONSES.get((klass.__module__.partition(".")[0], klass.__name__))
        if kind is not None:
            return kind
    return None


def _refusal(source: Any, kind: str | None, sync: bool) -> str | None:
    """Why a response cannot be read on this side (sync or async), or ``None``."""
    if kind == "aiohttp" and sync:
        return (
            "iter_messages() cannot read an aiohttp.ClientResponse (its reads are async): "
            "pass it to aiter_messages()"
        )
    if kind == "httpx" and sync and not hasattr(source.stream, "__iter__"):
        return (
            "iter_messages() was given the httpx.Response of an httpx.AsyncClient, whose body "
            "reads are async: pass it to aiter_messages()"
        )
    if kind == "httpx" and not sync and not hasattr(source.stream, "__aiter__"):
        return (
            "aiter_messages() was given the httpx.Response of a sync httpx.Client: pass it to "
            "iter_messages()"
        )
    return None


def _closer(source: object, kind: str | None, sync: bool) -> Callable[[], object] | None:
    """What closes ``source`` when the iteration over it ends or is closed: a response this
    side reads, or an iterator given as the source. Files, sockets and other readers stay
    open: whoever opened them closes them (and so does a response refused)."""
    name = "close" if sync else "aclose"
    if kind == "aiohttp":
        name = "close"  # ClientResponse.close(): not a coroutine
    if kind is not None:
        if _refusal(source, kind, sync) is not None:
            return None
    elif callable(getattr(source, "read", None)) or not hasattr(
        source, "__next__" if sync else "__anext__"
    ):
        return None
    close = getattr(source, name, None)
    return close if callable(close) else None


# --- failing closed -------------------------------------------------------------------------

# asyncio is imported by an iteration with a timeout on, not here: it would add ~25 ms to
# "import eventstream" for every sync use. Without it loaded, nothing can be one of its
# cancellations or (before 3.11, where it is a class of its own) its TimeoutError.


def _asyncio_error(error: BaseException, name: str) -> bool:
    """Whether ``error`` is an ``asyncio.<name>``, if asyncio is loaded at all."""
    loaded = sys.modules.get("asyncio")
    return loaded is not None and isinstance(error, getattr(loaded, name))


def _timed_out(error: BaseException) -> bool:
    """Whether ``error`` is a read timeout, or was raised from one.

    Each client wraps the socket's ``TimeoutError`` in its own class, but keeps it in the
    chain: httpx's ``ReadTimeout``, urllib3's ``ReadTimeoutError``, botocore's, and requests'
    ``ConnectionError`` around urllib3's (requests' streaming reads report a read timeout
    as a connection error). aiohttp's ``ServerTimeoutError`` is a ``TimeoutError`` itself.
    """
    if not isinstance(error, Exception):  # a cancellation is not a timeout
        return False
    found: BaseException | None = error
    for _ in range(8):
        if found is None:
            return False
        if isinstance(found, TimeoutError) or _asyncio_error(found, "TimeoutError"):
            return True
        found = found.__cause__ or found.__context__
    return False


def _position(decoder: Decoder) -> dict[str, int | None]:
    """Where a decoder is: bytes received, the frame it waits for and where that starts."""
    return {
        "offset": decoder.offset + decoder.pending,
        "frame_index": decoder.frame_index,
        "frame_offset": decoder.offset,
    }


def _stalled(
    decoder: Decoder,
    timeout: float | None,
    cause: BaseException | None,
    kept: list[Any] | None,
    whole: bool = True,
) -> StreamStalledError:
    """The error for a stall: ``timeout`` is ours, else the source's read timed out."""
    received = decoder.offset + decoder.pending
    name = "idle_timeout" if received else "first_byte_timeout"
    if not received:
        where = "before the first byte"
    else:
        frames = decoder.frame_index
        where = f"after {frames} frame{'' if frames == 1 else 's'}"
        if decoder.pending:
            where += f" and {decoder.pending} bytes of the next"
    if timeout is None:
        text = f"stalled: the source's read timed out ({type(cause).__name__}) {where}"
    else:
        text = f"stalled: nothing came within {name}={timeout:g} s, {where}"
    if not whole:
        text += f" (messages kept: those of its first {KEPT_LIMIT // 2**20} MiB only)"
    error = StreamStalledError(text, timeout_name=name, timeout=timeout, **_position(decoder))
    if kept:
        # The reads kept, decoded again: their frames decoded cleanly once (no limits now:
        # they passed the stream's), and a frame they end inside of is left out, as it was.
        again = Decoder(max_payload_length=None, max_headers_length=None)
        error.messages = tuple(again.feed(b"".join(kept)))
    error.messages_whole = whole
    return error


def _non_blocking(what: str, decoder: Decoder) -> InputTypeError:
    return InputTypeError(
        f"read() returned None: the source is non-blocking and had no data yet, which is not "
        f"the end of the stream. {what} needs a blocking source (sock.setblocking(True), "
        "os.set_blocking(fd, True)); in asyncio, read a StreamReader with aiter_messages()",
        **_position(decoder),
    )


class _Ending:
    """How one iteration ended: its first failure, and what closes its source.

    Shared by the generator that reads (which records a failure before raising it) and the
    iterator handed out (which raises :class:`DecoderStateError` on every call after one).
    """

    __slots__ = ("what", "failure", "where", "closer", "events_of", "kept_whole")

    def __init__(
        self,
        what: str,
        closer: Callable[[], object] | None,
        events_of: Callable[[tuple[Message, ...]], tuple[Any, ...]] | None = None,
    ) -> None:
        self.what = what
        self.failure: BaseException | None = None
        self.where: dict[str, int | None] = {}
        self.closer = closer
        self.events_of = events_of
        #: Whether what :meth:`kept` holds is every message so far (see KEPT_LIMIT).
        self.kept_whole = True

    def fail(self, error: BaseException, decoder: Decoder) -> BaseException:
        """Record ``error``; return what to raise for it (a source's read timeout becomes a
        :class:`StreamStalledError`, and a stall gets its ``events``)."""
        if not isinstance(error, EventStreamError) and _timed_out(error):
            error = _stalled(decoder, None, error, self.kept(), self.kept_whole)
        if isinstance(error, StreamStalledError) and self.events_of is not None:
            error.events = self.events_of(error.messages)
        self.failure = error
        if isinstance(error, EventStreamError):
            self.where = {
                "offset": error.offset,
                "frame_index": error.frame_index,
                "frame_offset": error.frame_offset,
            }
        else:
            self.where = _position(decoder)
        return error

    def kept(self) -> list[Any] | None:
        return None

    def failed(self) -> DecoderStateError:
        """The error for a call after the failure."""
        failure = self.failure
        if failure is not None and _asyncio_error(failure, "CancelledError"):
            text = (
                f"{self.what} was cancelled while it waited for its source (by asyncio.wait_for, "
                "a timeout or a task cancel): what was on its way is lost, so it stays failed; "
                "bound the waits with first_byte_timeout and idle_timeout instead"
            )
        elif isinstance(failure, EventStreamError):
            text = f"{self.what} failed earlier and stays failed ({failure.message})"
        else:
            text = f"{self.what} failed earlier and stays failed ({type(failure).__name__})"
        error = DecoderStateError(text, **self.where)
        error.__cause__ = failure
        return error

    def release(self, quiet: bool) -> Any:
        """Close the source (once); a close that fails is not raised over an error."""
        closer, self.closer = self.closer, None
        if closer is None:
            return None
        try:
            return closer()
        except Exception:
            if not quiet:
                raise
        return None


class _Tail(_Ending):
    """The iterator after the reading generator, in :class:`_SyncStream`'s chain: it ends
    cleanly after a clean end and raises after a failure, every time."""

    __slots__ = ()

    def __iter__(self) -> _Tail:
        return self

    def __next__(self) -> Any:
        if self.failure is None:
            raise StopIteration
        raise self.failed()


class _SyncStream(itertools.chain):  # type: ignore[type-arg]
    """What the sync adapters return: the reading generator, then its :class:`_Tail`.

    A chain, so that each item costs what the bare generator costs (a ``__next__`` written
    in Python costs ~4% of the 4 KiB-read figure): once the generator has raised, the chain
    moves on to the tail, which raises :class:`DecoderStateError`. ``close()`` closes the
    generator, and the source even if nothing was read.
    """

    __slots__ = ("_generator", "_tail")
    _generator: Generator[Any, None, None]
    _tail: _Tail

    def __new__(cls, generator: Generator[Any, None, None], tail: _Tail) -> _SyncStream:
        self = super().__new__(cls, generator, tail)
        self._generator = generator
        self._tail = tail
        return self

    def close(self) -> None:
        """Stop: close the generator and the source."""
        self._generator.close()
        self._tail.release(False)


class _AsyncStream(_Ending):
    """What the async adapters return: the reading async generator, failing closed.

    After a failure, a cancelled read included, every ``__anext__`` raises
    :class:`DecoderStateError`; ``aclose()`` closes the generator and the source at once
    (an async generator left to the garbage collector closes it only when the event loop's
    finalizer gets to it).
    """

    __slots__ = ("_generator", "_next", "_kept")

    def __init__(
        self,
        what: str,
        closer: Callable[[], object] | None,
        keep: bool,
        events_of: Callable[[tuple[Message, ...]], tuple[Any, ...]] | None,
    ) -> None:
        super().__init__(what, closer, events_of)
        self._kept: list[Any] | None = [] if keep else None

    def start(self, generator: AsyncGenerator[Any, None]) -> _AsyncStream:
        self._generator = generator
        self._next = generator.__anext__
        return self

    def __aiter__(self) -> _AsyncStream:
        return self

    # ``it.__anext__`` is ``_next``: the generator's own (C) __anext__, or _raise_failed once
    # it failed. The type slot reads the property and calls what it gives, with no Python
    # frame: +30 ns an item over the bare generator, where a def costs +70 ns (~5% of the
    # 4 KiB-read figure).
    __anext__ = property(operator.attrgetter("_next"))

    def fail(self, error: BaseException, decoder: Decoder) -> BaseException:
        error = super().fail(error, decoder)
        self._next = self._raise_failed
        return error

    async def _raise_failed(self) -> Any:
        raise self.failed()

    def kept(self) -> list[Any] | None:
        return self._kept

    async def arelease(self, quiet: bool) -> None:
        result = self.release(quiet)
        if inspect.isawaitable(result):
            try:
                await result
            except Exception:
                if not quiet:
                    raise

    async def aclose(self) -> None:
        """Stop: close the generator and the source."""
        await self._generator.aclose()
        await self.arelease(False)


# --- sync -----------------------------------------------------------------------------------


def _sync_chunks(
    source: Any, read_size: int, kind: str | None, decoder: Decoder, what: str
) -> Generator[BytesLike, None, None]:
    _check_read_size(read_size)
    if kind is not None:
        refusal = _refusal(source, kind, True)
        if refusal is not None:
            raise InputTypeError(refusal)
        yield from source.iter_bytes()  # httpx
        return
    read = getattr(source, "read", None)
    if callable(read):
        while True:
            chunk = read(read_size)
            if not chunk:
                if chunk is None:
                    raise _non_blocking(what, decoder)
                return
            yield chunk
            # Drop this read before the next one: two reads alive at once doubles the peak.
            del chunk
    if isinstance(source, str | bytes | bytearray | memoryview):
        raise InputTypeError(
            f"{what} takes a file object or an iterable of byte chunks; "
            "for one buffer use Decoder().feed() or decode()"
        )
    try:
        chunks = iter(source)
    except TypeError:
        raise InputTypeError(
            f"{what} cannot read from a {type(source).__name__}: it needs read(size) "
            "or to be an iterable of bytes"
        ) from None
    yield from chunks


#: What :meth:`Decoder.mapped` takes as ``fast``: header blocks to ``(try_payload, miss)``.
Fast: TypeAlias = Mapping[bytes, tuple[Callable[[bytes], Any], Callable[[Frame], Any]]]


def _decoded(
    source: Any,
    tail: _Tail,
    *,
    located: bool,
    read_size: int,
    max_payload_length: int | None,
    max_headers_length: int | None,
    kind: str | None,
    read: Callable[[Frame], Any] | None,
    fast: Fast | None = None,
    batched: bool = False,
) -> Generator[Any, None, None]:
    decoder = Decoder(max_payload_length=max_payload_length, max_headers_length=max_headers_length)
    take = _taker(decoder, located, read, fast)
    chunks = _sync_chunks(source, read_size, kind, decoder, tail.what)
    failing = False
    try:
        for chunk in chunks:
            # One message at a time, as each frame is decoded: a large read never turns into
            # a list of hundreds of messages. Those before a fault are yielded before it.
            items = take(chunk)
            yield from _batched(items) if batched else items
            del chunk, items  # not alive while the next read happens
        decoder.close()
    except GeneratorExit:
        raise
    except BaseException as exc:
        failing = True
        error = tail.fail(exc, decoder)
        if error is exc:
            raise
        raise error from exc
    finally:
        chunks.close()
        tail.release(failing)


def _taker(
    decoder: Decoder, located: bool, read: Callable[[Frame], Any] | None, fast: Fast | None
) -> Callable[[BytesLike], Iterator[Any]]:
    """What a read is decoded with: messages, frames, or ``read`` of each frame (inside the
    decoder's loop, with its ``fast`` table: no generator or map between them)."""
    if read is None:
        return decoder.frames if located else decoder.messages
    return lambda chunk: decoder.mapped(chunk, read, fast)


def _batched(items: Iterator[Any]) -> Generator[list[Any], None, None]:
    """``items`` as one list (nothing if there are none); a fault is raised after the list
    of the items before it."""
    batch: list[Any] = []
    try:
        batch.extend(items)  # keeps what came before an exception
    except BaseException:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


def _sync_stream(source: Any, what: str, **options: Any) -> _SyncStream:
    kind = _response_kind(source)
    tail = _Tail(what, _closer(source, kind, True))
    return _SyncStream(_decoded(source, tail, kind=kind, **options), tail)


def iter_mapped(
    source: SyncReader | Iterable[BytesLike],
    read: Callable[[Frame], T],
    what: str,
    **options: Any,
) -> Iterator[T]:
    """:func:`iter_frames` with ``read`` applied to each frame in its own loop, for a layer
    built on it (``bedrock.events``): one generator, not one over another, failing closed
    as the adapters do, named ``what`` in its errors. ``options`` are iter_frames', and
    ``fast``, the :meth:`Decoder.mapped` table."""
    return cast(Iterator[T], _sync_stream(source, what, located=True, read=read, **options))


def iter_messages(
    source: SyncReader | Iterable[BytesLike],
    *,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> Iterator[Message]:
    """Yield each message from a binary file object or an iterable of byte chunks.

    Works with ``open(path, "rb")``, requests' ``iter_content()``, httpx's ``iter_bytes()``
    or its ``Response`` itself, urllib3's ``stream()`` and botocore's ``StreamingBody``.
    Messages decoded before a fault are yielded before the error is raised, and every call
    after it raises :class:`DecoderStateError`. A read timeout of the source (a socket's
    ``settimeout``, httpx's or urllib3's) raises :class:`StreamStalledError`. ``close()``
    closes a response or an iterator given as the source.
    """
    stream = _sync_stream(
        source, "iter_messages()", located=False, read=None, read_size=read_size,
        max_payload_length=max_payload_length, max_headers_length=max_headers_length,
    )  # fmt: skip
    return cast(Iterator[Message], stream)


def iter_frames(
    source: SyncReader | Iterable[BytesLike],
    *,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
) -> Iterator[Frame]:
    """Like :func:`iter_messages`, yielding each message as a :class:`Frame` (with the
    offset, length and index of its frame): layers above put them in their errors."""
    stream = _sync_stream(
        source, "iter_frames()", located=True, read=None, read_size=read_size,
        max_payload_length=max_payload_length, max_headers_length=max_headers_length,
    )  # fmt: skip
    return cast(Iterator[Frame], stream)


# --- async ----------------------------------------------------------------------------------


async def _async_chunks(
    source: Any, read_size: int, kind: str | None, decoder: Decoder, what: str
) -> AsyncGenerator[BytesLike, None]:
    _check_read_size(read_size)
    given = source
    refusal = _refusal(source, kind, False)
    if refusal is not None:
        raise InputTypeError(refusal)
    if kind == "httpx":
        source = source.aiter_bytes()
    elif kind == "aiohttp":
        source = source.content  # a StreamReader: read(size)
    read = getattr(source, "read", None)
    if callable(read):
        while True:
            chunk = read(read_size)
            if inspect.isawaitable(chunk):
                chunk = await chunk
            if not chunk:
                if chunk is None:
                    raise _non_blocking(what, decoder)
                return
            yield chunk
    if not hasattr(source, "__aiter__"):
        raise InputTypeError(
            f"{what} cannot read from a {type(source).__name__}: it needs an async "
            "read(size) or to be an async iterable of bytes"
        )
    chunks = source.__aiter__()
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        # An async for does not close what it iterates: close what was made here now, not
        # when it is collected (what was given is the closer's: _closer()).
        aclose = getattr(chunks, "aclose", None)
        if chunks is not given and aclose is not None:
            await aclose()


class _Watch:
    """The stall timer of one async iteration: one timer, re-armed only when it fires.

    A timer per read (``asyncio.timeout``) costs ~4 us a read, as much as decoding a
    Bedrock event. Instead each wait records when it began; the timer, when it fires,
    cancels the read if the wait it finds has run out, or re-arms for the wait's deadline.
    The cancellation it causes is told from any other one by ``fired`` (and on 3.11+ by
    ``Task.uncancel()``, as ``asyncio.timeout`` does). A wait costs ~0.2 us: the clock and the
    task (``current_task(loop)``: without the loop it looks the running loop up again, twice
    the cost); the task's cancel count is read only when the timer fires.
    """

    __slots__ = (
        "_loop", "_time", "_handle", "_when", "_since", "_limit", "waiting", "fired", "_task",
        "_count", "_current_task", "cancelled",
    )  # fmt: skip

    def __init__(self) -> None:
        import asyncio  # noqa: PLC0415 (only here: see _asyncio_error)

        self._current_task = asyncio.current_task
        #: What a cancelled read raises, for the reading loop's ``except``.
        self.cancelled = asyncio.CancelledError
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            raise ConfigurationError(
                "first_byte_timeout and idle_timeout need an asyncio event loop; under another "
                "one, bound the reads with its own timeouts"
            ) from None
        self._time = self._loop.time
        self._handle: asyncio.TimerHandle | None = None
        self._when = 0.0
        self._since = 0.0
        self._limit = 0.0
        self.waiting = False
        self.fired = False
        self._task: asyncio.Task[Any] | None = None
        self._count = 0

    def start(self, limit: float) -> None:
        """A wait of at most ``limit`` seconds begins."""
        self._since = since = self._time()
        self._limit = limit
        self.waiting = True
        self._task = self._current_task(self._loop)
        deadline = since + limit
        if self._handle is None or self._when > deadline:
            if self._handle is not None:
                self._handle.cancel()
            self._when = deadline
            self._handle = self._loop.call_at(deadline, self._expire)

    def _expire(self) -> None:
        self._handle = None
        if not self.waiting:
            return  # no read waits: the next one arms a timer again
        deadline = self._since + self._limit
        if self._time() < deadline:
            self._when = deadline
            self._handle = self._loop.call_at(deadline, self._expire)
            return
        task = self._task
        if task is not None:
            if sys.version_info >= (3, 11):
                # The count before this cancel: uncancel() must come back to it (ours()).
                self._count = task.cancelling()
            self.fired = True
            task.cancel()

    def ours(self) -> bool:
        """Whether a cancellation of the read is the watch's alone (then it is undone)."""
        if not self.fired:
            return False
        if sys.version_info >= (3, 11) and self._task is not None:
            return self._task.uncancel() <= self._count
        return True

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


async def _adecoded(
    source: Any,
    stream: _AsyncStream,
    *,
    located: bool,
    read_size: int,
    max_payload_length: int | None,
    max_headers_length: int | None,
    kind: str | None,
    read: Callable[[Frame], Any] | None,
    first_byte_timeout: float | None,
    idle_timeout: float | None,
    fast: Fast | None = None,
    batched: bool = False,
) -> AsyncGenerator[Any, None]:
    decoder = Decoder(max_payload_length=max_payload_length, max_headers_length=max_headers_length)
    take = _taker(decoder, located, read, fast)
    chunks = _async_chunks(source, read_size, kind, decoder, stream.what)
    watch: _Watch | None = None
    failing = False
    try:
        kept = stream.kept()
        if kept is None:
            async for chunk in chunks:
                items = take(chunk)
                for item in _batched(items) if batched else items:
                    yield item
                del chunk, items  # not alive while the next read happens
        else:
            watch = _Watch()
            keep = kept.append
            cancelled = watch.cancelled
            limit = first_byte_timeout
            next_chunk = chunks.__anext__
            while True:
                if limit is not None:
                    watch.start(limit)
                try:
                    chunk = await next_chunk()
                except StopAsyncIteration:
                    break
                except cancelled:
                    if watch.ours():
                        raise _stalled(decoder, limit, None, kept, stream.kept_whole) from None
                    raise
                finally:
                    watch.waiting = False
                if watch.fired and watch.ours():  # a source that swallowed the cancellation
                    raise _stalled(decoder, limit, None, kept, stream.kept_whole)
                if chunk:
                    limit = idle_timeout
                items = take(chunk)
                for item in _batched(items) if batched else items:
                    yield item
                # A stall's record is the stream's bytes, decoded again if it stalls
                # (_stalled): a read kept costs less than a Message and Frame kept per frame,
                # and the reads can go through the decoder's fast table. After its frames
                # were taken, so the decoder has vetted it; a copy if the source may reuse it.
                keep(chunk if type(chunk) is bytes else bytes(chunk))
                del chunk, items
                if decoder.offset > KEPT_LIMIT and keep is not _ignore:
                    # Bounded: past the limit a stall carries the messages up to it only.
                    keep = _ignore
                    stream.kept_whole = False
        decoder.close()
    except GeneratorExit:
        raise
    except BaseException as exc:
        failing = True
        error = stream.fail(exc, decoder)
        if error is exc:
            raise
        raise error from exc
    finally:
        if watch is not None:
            watch.stop()
        await chunks.aclose()
        await stream.arelease(failing)


def _ignore(item: Any) -> None:
    """What keeps an item once :data:`KEPT_LIMIT` is reached: nothing."""


def _async_stream(
    source: Any,
    what: str,
    *,
    first_byte_timeout: float | None,
    idle_timeout: float | None,
    events_of: Callable[[tuple[Message, ...]], tuple[Any, ...]] | None = None,
    **options: Any,
) -> _AsyncStream:
    _check_timeout("first_byte_timeout", first_byte_timeout)
    _check_timeout("idle_timeout", idle_timeout)
    kind = _response_kind(source)
    # The messages are kept only while a timeout is on: a stall then carries them.
    keep = first_byte_timeout is not None or idle_timeout is not None
    stream = _AsyncStream(what, _closer(source, kind, False), keep, events_of)
    generator = _adecoded(
        source, stream, kind=kind, first_byte_timeout=first_byte_timeout,
        idle_timeout=idle_timeout, **options,
    )  # fmt: skip
    return stream.start(generator)


def aiter_mapped(
    source: AsyncReader | AsyncIterable[BytesLike],
    read: Callable[[Frame], T],
    what: str,
    *,
    events_of: Callable[[tuple[Message, ...]], tuple[Any, ...]] | None = None,
    **options: Any,
) -> AsyncIterator[T]:
    """The async twin of :func:`iter_mapped` (``bedrock.aevents``); ``events_of`` gives a
    :class:`StreamStalledError`'s ``events`` from its ``messages``."""
    stream = _async_stream(source, what, located=True, read=read, events_of=events_of, **options)
    return cast(AsyncIterator[T], stream)


def aiter_messages(
    source: AsyncReader | AsyncIterable[BytesLike],
    *,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
    first_byte_timeout: float | None = None,
    idle_timeout: float | None = None,
) -> AsyncIterator[Message]:
    """Yield each message from an async byte source.

    Works with httpx's ``aiter_bytes()`` or its ``Response`` itself, aiohttp's
    ``ClientResponse`` or its ``content`` (``iter_any()``, ``iter_chunked(n)``), and objects
    with an async ``read(size)``. ``first_byte_timeout`` bounds the wait for the first byte
    and ``idle_timeout`` each later wait for more, in seconds (``None``: no bound; the time
    the caller spends between items does not count); either raises
    :class:`StreamStalledError`, with the messages so far. After any failure, a cancelled
    read included, every call raises :class:`DecoderStateError`. ``aclose()`` closes the
    source at once (a response, or an async iterator).
    """
    stream = _async_stream(
        source, "aiter_messages()", located=False, read=None, read_size=read_size,
        max_payload_length=max_payload_length, max_headers_length=max_headers_length,
        first_byte_timeout=first_byte_timeout, idle_timeout=idle_timeout,
    )  # fmt: skip
    return cast(AsyncIterator[Message], stream)


def aiter_frames(
    source: AsyncReader | AsyncIterable[BytesLike],
    *,
    read_size: int = DEFAULT_READ_SIZE,
    max_payload_length: int | None = DEFAULT_MAX_PAYLOAD_LENGTH,
    max_headers_length: int | None = DEFAULT_MAX_HEADERS_LENGTH,
    first_byte_timeout: float | None = None,
    idle_timeout: float | None = None,
) -> AsyncIterator[Frame]:
    """The async twin of :func:`iter_frames`, with :func:`aiter_messages`' timeouts."""
    stream = _async_stream(
        source, "aiter_frames()", located=True, read=None, read_size=read_size,
        max_payload_length=max_payload_length, max_headers_length=max_headers_length,
        first_byte_timeout=first_byte_timeout, idle_timeout=idle_timeout,
    )  # fmt: skip
    return cast(AsyncIterator[Frame], stream)
