"""Conformance (issue 14, item 5): every real capture and bundled sample, and streams the
Bedrock-level strategies draw, translated to each format and back, reassemble to the same
message, as far as that format carries it (tests/test_translate_support.py's views: text,
tool calls with parsed input, reasoning with signature, stop reason, usage with cache).

Each SSE body is fed back in slices that cut events anywhere, as a network would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from eventstream import bedrock as br
from eventstream import bedrock_strategies as bs
from eventstream import samples
from eventstream import translate as tr
from tests.support import SHARED
from tests.test_translate_support import (
    anthropic_view,
    gpt_oss_stream,
    llama_stream,
    openai_view,
    reasoning_stream,
)

CAPTURES = sorted((SHARED / "captures").glob("*.bin")) if (SHARED / "captures").is_dir() else []


def _pieces(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def _retry(result: br.Reassembled) -> list[bool | None]:
    return [error.retryable for error in result.errors]


KNOWN = {cls.exception_type for cls in br.HTTP_ERRORS.values()}


def _expected_retry(original: br.Reassembled) -> list[bool | None]:
    # The first error ends the translated stream; a stream that just stops short gets one
    # too (an internal error: retryable), never a clean end. An exception bedrock does not
    # know comes back mid-stream as an internal error, retryable (docs/translate.md).
    if original.errors:
        first = original.errors[0]
        return [first.retryable if first.type in KNOWN else True]
    return [] if original.complete else [True]


def _cut(view: dict[str, Any], complete: bool) -> dict[str, Any]:
    # A stream cut before its end: Converse and OpenAI carry usage only at the end, so the
    # counts an Invoke stream gave at its start do not come back (docs/translate.md).
    return view if complete else {**view, "usage": None, "cache_split": None}


def check_round_trips(events: list[br.TypedEvent], size: int = 29) -> None:
    """Translate ``events`` to Anthropic SSE and OpenAI chunks and back (both Bedrock
    streams for Anthropic), and compare each reassembly with the original's."""
    original = br.reassemble(events)
    anthropic = b"".join(tr.to_anthropic(events, model="m"))
    for stream in ("converse", "invoke"):
        back = br.reassemble(tr.from_anthropic(_pieces(anthropic, size), stream))
        whole = original.complete or stream == "invoke"
        assert _cut(anthropic_view(back), whole) == _cut(anthropic_view(original), whole), stream
        assert back.complete == original.complete, stream
        assert _retry(back) == _expected_retry(original), stream
        assert [t.complete for t in back.tool_uses] == [t.complete for t in original.tool_uses]
    openai = b"".join(tr.to_openai(events, model="m"))
    back = br.reassemble(tr.from_openai(_pieces(openai, size)))
    assert _cut(openai_view(back), original.complete) == _cut(
        openai_view(original), original.complete
    )
    assert back.complete == original.complete
    assert _retry(back) == _expected_retry(original)


def _read(data: bytes) -> list[br.TypedEvent]:
    return list(br.events(data, stream="auto", raise_exceptions=False))


@pytest.mark.parametrize("name", list(samples.SAMPLES))
def test_every_bundled_sample_round_trips(name: str) -> None:
    check_round_trips(_read(samples.sample_bytes(name)))


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.stem)
def test_every_capture_round_trips(path: Path) -> None:
    # AI21's chunks too: Invoke chunks of every family go through bedrock.ChunkReader.
    check_round_trips(_read(path.read_bytes()))


@pytest.mark.parametrize("make", [llama_stream, gpt_oss_stream, reasoning_stream])
def test_other_families_and_every_block_kind_round_trip(make: Any) -> None:
    check_round_trips(make())


def test_the_captures_are_there() -> None:
    if not CAPTURES:
        pytest.skip(f"{SHARED / 'captures'} is absent (../shared is only beside the project)")
    assert len(CAPTURES) >= 8


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bs.converse_streams(max_blocks=5))
def test_drawn_converse_streams_round_trip(drawn: bs.BedrockStream) -> None:
    assert drawn.matches(br.reassemble(drawn.events))  # the strategy's own answer holds
    check_round_trips(list(drawn.events), size=17)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bs.invoke_streams(max_blocks=4))
def test_drawn_invoke_streams_round_trip(drawn: bs.BedrockStream) -> None:
    check_round_trips(list(drawn.events), size=23)


@settings(max_examples=40, deadline=None)
@given(bs.interrupted_streams())
def test_drawn_interrupted_streams_end_in_the_same_error(drawn: bs.BedrockStream) -> None:
    check_round_trips(list(drawn.events))
