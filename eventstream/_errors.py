"""The error hierarchy: one root, subclasses that say what went wrong and where.

This module imports nothing from the package, so every other module can import it.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar, Literal

__all__ = [
    "EventStreamError",
    "ChecksumError",
    "PreludeChecksumError",
    "MessageChecksumError",
    "FrameLengthError",
    "LimitExceededError",
    "HeaderError",
    "TruncatedError",
    "TrailingDataError",
    "EncodeError",
    "InputTypeError",
    "ConfigurationError",
    "DecoderStateError",
    "StreamStalledError",
]


class EventStreamError(Exception):
    """Root of every error this library raises.

    ``offset`` is the absolute byte offset of the problem in the input (``None`` when
    encoding), ``frame_index`` the zero-based index of the frame it belongs to, and
    ``frame_offset`` the offset at which that frame starts. ``messages`` holds the
    :class:`Message` objects that the failing :meth:`Decoder.feed` call had completed before
    the fault.

    Every error survives pickle, ``copy.copy`` and ``copy.deepcopy`` (so it can cross a
    process pool) with all its attributes; a subclass keeps each constructor parameter as
    the attribute of the same name.
    """

    # Typed loosely so that this module need not import _message (which imports it).
    messages: tuple[Any, ...] = ()

    def __init__(
        self,
        message: str,
        *,
        offset: int | None = None,
        frame_index: int | None = None,
        frame_offset: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.frame_index = frame_index
        self.frame_offset = frame_offset

    def __str__(self) -> str:
        if self.offset is None:
            return self.message
        where = f"byte {self.offset}"
        if self.frame_index is not None:
            where = f"frame {self.frame_index}, {where}"
        return f"{where}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # The default rebuilds with cls(*self.args): that fails for a constructor with
        # required keywords, and an error raised in a ProcessPoolExecutor worker then broke
        # the pool. Call the constructor with its parameters, then restore every attribute
        # (messages, a frame_offset set after raising, ...).
        cls = type(self)
        keywords = {name: getattr(self, name) for name in _parameters(cls) if hasattr(self, name)}
        return _rebuild, (cls, keywords), self.__dict__.copy()


def _parameters(cls: type[EventStreamError]) -> tuple[str, ...]:
    """The named parameters of the constructors from ``cls`` up to the root (cached)."""
    names = _PARAMETERS.get(cls)
    if names is None:
        found: dict[str, None] = {}
        for klass in cls.__mro__:
            init = vars(klass).get("__init__")
            if init is not None:
                for parameter in list(inspect.signature(init).parameters.values())[1:]:
                    if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
                        found.setdefault(parameter.name)
            if klass is EventStreamError:
                break
        names = _PARAMETERS[cls] = tuple(found)
    return names


_PARAMETERS: dict[type[EventStreamError], tuple[str, ...]] = {}


def _rebuild(cls: type[EventStreamError], keywords: dict[str, Any]) -> EventStreamError:
    """Unpickle an error: its constructor, called with the keywords it was built from."""
    return cls(**keywords)


class ChecksumError(EventStreamError):
    """A CRC-32 did not match; ``which`` names the CRC, ``expected`` is the one on the wire."""

    which: Literal["prelude", "message"]

    def __init__(self, message: str, *, expected: int, actual: int, **where: int | None) -> None:
        super().__init__(message, **where)
        self.expected = expected
        self.actual = actual


class PreludeChecksumError(ChecksumError):
    """The CRC over the first 8 bytes of a frame did not match."""

    which = "prelude"


class MessageChecksumError(ChecksumError):
    """The CRC over a whole frame did not match."""

    which = "message"


class FrameLengthError(EventStreamError):
    """A frame's length fields are impossible (total < 16, headers past the payload)."""

    def __init__(
        self, message: str, *, total_length: int, headers_length: int, **where: int | None
    ) -> None:
        super().__init__(message, **where)
        self.total_length = total_length
        self.headers_length = headers_length


class LimitExceededError(FrameLengthError):
    """A frame is valid but larger than a configured limit.

    ``limit_name`` is the keyword that sets the limit (``max_payload_length`` or
    ``max_headers_length``), ``limit`` its value and ``actual`` the frame's figure.
    """

    def __init__(
        self,
        message: str,
        *,
        limit_name: str,
        limit: int,
        actual: int,
        total_length: int,
        headers_length: int,
        **where: int | None,
    ) -> None:
        super().__init__(message, total_length=total_length, headers_length=headers_length, **where)
        self.limit_name = limit_name
        self.limit = limit
        self.actual = actual


class HeaderError(EventStreamError):
    """The header block of a frame whose CRCs are valid is malformed.

    ``problem`` is one of ``"unknown-type"``, ``"truncated"``, ``"empty-name"``,
    ``"invalid-utf8"``, ``"duplicate-name"`` or ``"value-too-long"``; ``header_name`` is the
    name of the header concerned when it could be read.
    """

    def __init__(
        self, message: str, *, problem: str, header_name: str | None = None, **where: int | None
    ) -> None:
        super().__init__(message, **where)
        self.problem = problem
        self.header_name = header_name


class TruncatedError(EventStreamError):
    """The input ended inside a frame: ``expected`` bytes of it were due, ``received`` came."""

    def __init__(self, message: str, *, expected: int, received: int, **where: int | None) -> None:
        super().__init__(message, **where)
        self.expected = expected
        self.received = received


class TrailingDataError(EventStreamError):
    """Bytes follow the one frame that :func:`eventstream.decode` was given."""


class EncodeError(EventStreamError, ValueError):
    """A message or header value cannot be put on the wire (range, length or type)."""


class InputTypeError(EventStreamError, TypeError):
    """The input is not a bytes-like object (bytes, bytearray, memoryview, ...)."""


class ConfigurationError(EventStreamError, ValueError):
    """An argument that configures the library is out of range (a negative limit, ...)."""


class DecoderStateError(EventStreamError):
    """The decoder was used after it failed or was closed; ``__cause__`` is the first error."""


class StreamStalledError(EventStreamError):
    """The source sent nothing for too long; retryable (``retryable`` is true).

    ``timeout_name`` names the wait that ran out by the keyword that bounds it:
    ``"first_byte_timeout"`` (no byte had come) or ``"idle_timeout"``; ``timeout`` is its
    seconds, or ``None`` when the source's own read timeout fired (a socket's
    ``settimeout``, httpx, urllib3; the original error is ``__cause__``). ``offset`` is the
    number of bytes received, ``frame_index`` and ``frame_offset`` the frame waited for.
    ``messages`` holds every message the iteration had yielded when one of our timeouts was
    on (else it is empty: nothing was kept), and from ``bedrock.aevents`` ``events`` holds
    them typed, so ``bedrock.reassemble(exc.events)`` is the answer so far. Memory stays
    bounded: only the messages of a stream's first ``eventstream._io.KEPT_LIMIT`` bytes
    (16 MiB) are kept, and ``messages_whole`` is false when there were more.
    """

    retryable: ClassVar[bool] = True
    # Typed loosely, like ``messages``: the Bedrock layer is above this module.
    events: tuple[Any, ...] = ()
    messages_whole: bool = True

    def __init__(
        self, message: str, *, timeout_name: str, timeout: float | None, **where: int | None
    ) -> None:
        super().__init__(message, **where)
        self.timeout_name = timeout_name
        self.timeout = timeout
