"""Regression tests for the escapes tests/test_hostile_sweep.py found in translate, Nova Sonic,
capture, the decode CLI and the service layers (each failed before its fix).

The rule they hold the code to: an iteration that raised stays failed (every later call
raises :class:`eventstream.DecoderStateError` whose ``__cause__`` is the first error, as the
codec's adapters do), memory stays bounded by the input rather than by what it claims, and a
wrong argument type is refused with the library's own error, never a ``TypeError`` or
``AttributeError`` from inside.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

import eventstream as es
from eventstream import bedrock as br
from eventstream import translate
from eventstream.bedrock import nova_sonic as ns


def _fails_then_stays_failed(iterator: Iterator[Any]) -> list[Any]:
    """The items before the first error; then two more calls, each refused with a
    DecoderStateError whose cause is that first error."""
    items: list[Any] = []
    try:
        items.extend(iterator)
    except Exception as exc:  # any error: the iterator's first
        first = exc
    else:
        raise AssertionError("the iteration did not fail")
    for _ in range(2):
        with pytest.raises(es.DecoderStateError) as again:
            next(iterator)
        assert again.value.__cause__ is first
    return items


# --- translate ------------------------------------------------------------------------------

_BAD_SSE = [b"data: {bad\n\n", b"data: {}\n\n"]


@pytest.mark.parametrize("translator", [translate.from_anthropic, translate.from_openai])
def test_from_translators_stay_failed(translator: Callable[..., Iterator[Any]]) -> None:
    iterator = translator(_BAD_SSE)
    _fails_then_stays_failed(iterator)


def _events_then(error: BaseException) -> Iterator[br.TypedEvent]:
    yield br.MessageStart(role="assistant")
    raise error


@pytest.mark.parametrize(
    "translator",
    [lambda e: translate.to_anthropic(e, model="m"), lambda e: translate.to_openai(e, model="m")],
    ids=["to_anthropic", "to_openai"],
)
def test_to_translators_stay_failed_after_a_source_error(
    translator: Callable[[Iterable[br.TypedEvent]], Iterator[bytes]],
) -> None:
    # An error that is not ours (the source's own) cannot be written as an error event: it
    # is raised, and the stream must not then look finished.
    iterator = translator(_events_then(RuntimeError("the upstream socket broke")))
    written = _fails_then_stays_failed(iterator)
    assert written  # what came before the error went out


@pytest.mark.parametrize("translator", [translate.from_anthropic, translate.from_openai])
def test_from_translators_still_end_cleanly_and_close(
    translator: Callable[..., Iterator[Any]],
) -> None:
    events = [br.MessageStart(role="assistant"), br.MessageStop(stop_reason="end_turn")]
    writer = (
        translate.to_anthropic if translator is translate.from_anthropic else translate.to_openai
    )
    body = b"".join(writer(events, model="m"))
    iterator = translator([body])
    assert [type(e) for e in iterator][:1] == [br.MessageStart]
    with pytest.raises(StopIteration):
        next(iterator)  # a clean end stays a clean end
    closed = translator([body])
    next(closed)
    closed.close()  # type: ignore[attr-defined]
    assert list(closed) == []


# --- Nova Sonic -----------------------------------------------------------------------------

_SESSION_END = b'{"event":{"sessionEnd":{}}}'


def test_nova_sonic_input_events_stop_at_the_refused_chunk() -> None:
    # Before: map(decode_input, chunks), so the next call decoded the chunk after the bad one.
    iterator = ns.input_events([b"not json", _SESSION_END])
    assert _fails_then_stays_failed(iterator) == []


def test_nova_sonic_output_events_stay_failed() -> None:
    # A stream exception among the events is raised, and stays raised.
    thrown = br.ModelStreamErrorException("the model failed")
    events = [br.Chunk(bytes=b'{"event":{"completionEnd":{}}}'), thrown, br.Chunk(bytes=b"{}")]
    iterator = ns.output_events(events)
    assert len(_fails_then_stays_failed(iterator)) == 1
    bad = ns.output_events([br.Chunk(bytes=b"not json"), br.Chunk(bytes=b"{}")])
    assert _fails_then_stays_failed(bad) == []


def test_nova_sonic_iterators_still_read_a_whole_stream() -> None:
    assert [type(e) for e in ns.input_events([_SESSION_END, br.Chunk(bytes=_SESSION_END)])] == [
        ns.SessionEnd,
        ns.SessionEnd,
    ]


@pytest.mark.parametrize("function", [ns.decode_input, ns.decode_output])
@pytest.mark.parametrize("argument", [None, "{}", 2**70, -1, 10**6], ids=repr)
def test_nova_sonic_decode_refuses_what_is_not_bytes(
    function: Callable[[Any], Any], argument: Any
) -> None:
    # Before: bytes(argument): TypeError, OverflowError, ValueError, or (an int n) n zero
    # bytes built before the JSON reader refused them.
    with pytest.raises(es.InputTypeError):
        function(argument)


@pytest.mark.parametrize("function", [ns.input_events, ns.output_events])
@pytest.mark.parametrize("argument", [None, 3, b"{}"], ids=repr)
def test_nova_sonic_iterators_refuse_what_is_not_an_iterable_of_chunks(
    function: Callable[[Any], Any], argument: Any
) -> None:
    with pytest.raises(es.InputTypeError):
        list(function(argument))
