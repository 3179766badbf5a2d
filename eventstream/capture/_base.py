"""What every input reader shares: the error for input that is not in its format, the
event-stream media type, and the bodies the wrapped-input readers find.

Kept below :mod:`._formats` and the readers of :mod:`._containers`, so that each imports it
and neither imports the other's module back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .._errors import EventStreamError
from ..bedrock import StreamName
from ._exchange import Exchange

__all__ = ["EVENTSTREAM_CONTENT_TYPE", "InputFormatError"]

EVENTSTREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"


class InputFormatError(EventStreamError):
    """The input cannot be read in its given or detected format.

    ``offset`` is the position in the input (characters for text) where reading failed, when
    one position is to blame.
    """

    # Named by where it is public, as tracebacks show it.
    __module__ = "eventstream.capture"


class FoundBody(Protocol):
    """A body as a reader hands it over (:class:`Found`, or a loaded ``Body``)."""

    @property
    def data(self) -> bytes: ...
    @property
    def label(self) -> str | None: ...
    @property
    def stream_hint(self) -> StreamName | None: ...
    @property
    def exchange(self) -> Exchange | None: ...


@dataclass(frozen=True)
class Found:
    """An event-stream body a wrapped-input reader found; :mod:`._formats` makes it a Body."""

    data: bytes
    label: str | None = None
    stream_hint: StreamName | None = None
    exchange: Exchange | None = None
