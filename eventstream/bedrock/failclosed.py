"""Iterators that fail closed, for the generators of the layers above the adapters.

The adapters' rule (``eventstream._io``): once an iteration has raised, every later call
raises :class:`~eventstream.DecoderStateError` whose ``__cause__`` is the first error. A bare
Python generator instead ends cleanly on the call after it raised, so a consumer that caught
the error and went on would read a cut stream as a whole one.

Public so that the tools (``translate``, ``capture``) use it by a public name; not documented
API. A generator records its failure in an :class:`Ending` (``except BaseException as exc:
ending.fail(exc); raise``), and :class:`FailClosed` chains the generator and the ending: each
item costs what the bare generator costs (a chain's ``__next__`` is C; a wrapper generator
or a ``__next__`` written in Python would add a frame resume per item).
"""

from __future__ import annotations

import itertools
from collections.abc import Generator
from typing import Any, NoReturn

from .._errors import DecoderStateError, EventStreamError

__all__ = ["Ending", "FailClosed"]


class Ending:
    """How an iteration ended: its first failure, if any. As an iterator (last in a
    :class:`FailClosed` chain) it ends after a clean end and raises
    :class:`~eventstream.DecoderStateError` after a failure, every time."""

    __slots__ = ("what", "failure")

    def __init__(self, what: str) -> None:
        self.what = what
        self.failure: BaseException | None = None

    def fail(self, error: BaseException) -> None:
        """Record ``error``, the first failure (a later one, from a ``finally``, is not)."""
        if self.failure is None:
            self.failure = error

    def __iter__(self) -> Ending:
        return self

    def __next__(self) -> NoReturn:
        failure = self.failure
        if failure is None:
            raise StopIteration
        if isinstance(failure, EventStreamError):
            text = f"{self.what} failed earlier and stays failed ({failure.message})"
            where = {
                "offset": failure.offset,
                "frame_index": failure.frame_index,
                "frame_offset": failure.frame_offset,
            }
        else:
            text = f"{self.what} failed earlier and stays failed ({type(failure).__name__})"
            where = {}
        error = DecoderStateError(text, **where)
        error.__cause__ = failure
        raise error


class FailClosed(itertools.chain):  # type: ignore[type-arg]
    """``generator``, then ``ending``: after the generator raised (and recorded it in
    ``ending``), every call raises :class:`~eventstream.DecoderStateError`. ``close()``
    closes the generator; a closed one ends cleanly."""

    __slots__ = ("_generator",)
    _generator: Generator[Any, Any, Any]

    def __new__(cls, generator: Generator[Any, Any, Any], ending: Ending) -> FailClosed:
        self = super().__new__(cls, generator, ending)
        self._generator = generator
        return self

    def close(self) -> None:
        """Stop: close the generator."""
        self._generator.close()
